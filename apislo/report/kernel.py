"""The project's named Jupyter kernel, ``apislo``: the venv's Python, registered on first use."""

from __future__ import annotations

import sys

from apislo.errors import ConfigError

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

    Raises:
        ConfigError: it is not registered and cannot be (a venv the running user cannot write,
            as a service's user under a venv installed by another); the message says how to
            register it once.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return name
    from ipykernel.kernelspec import install

    try:
        install(kernel_name=name, display_name=f"Python ({name})", prefix=sys.prefix)
    except OSError as exc:
        raise ConfigError(
            f"cannot register the Jupyter kernel {name!r} ({exc.filename or sys.prefix}: "
            f"{exc.strerror or exc}); register it once as the owner of {sys.prefix}: "
            f"{sys.executable} -m ipykernel install --sys-prefix --name {name}"
        ) from None
    return name
