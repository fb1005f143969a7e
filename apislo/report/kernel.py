"""The project's named Jupyter kernel, ``apislo``: the venv's Python, registered on first use."""

from __future__ import annotations

import sys

__all__ = ["KERNEL_NAME", "ensure_kernel"]

#: Kernel name used by the runner, the committed notebooks and ``make lab``.
KERNEL_NAME = "apislo"


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Register kernel ``name`` for this interpreter (``sys.prefix``) unless it already exists.

    The kernel runs ``sys.executable``, so reports run with the same packages as ``apislo``.

    Args:
        name: kernel name.

    Returns:
        The kernel name, for papermill's ``kernel_name``.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return name
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name=f"Python ({name})", prefix=sys.prefix)
    return name
