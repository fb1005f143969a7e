"""Lazy package exports, so ``import apislo`` (and its subpackages) stays fast."""

from __future__ import annotations

import importlib
import sys

#: ``typing.TYPE_CHECKING`` without importing typing (10 ms), as type checkers read any
#: ``TYPE_CHECKING``: the ``apislo`` console script loads this and ``apislo`` before it can
#: turn a Ctrl-C into "Aborted!" (:mod:`apislo.cli`).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["TYPE_CHECKING", "lazy_exports"]


def lazy_exports(
    package: str, exports: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``__getattr__``, importing each exported name from its module on first use,
    and its ``__dir__``, listing those names before their first use too, so that ``dir()``,
    ``help()`` and a notebook's tab completion show them (loading none).

    Args:
        package: the package's ``__name__``.
        exports: exported name -> module that defines it.

    Example:
        >>> exports = {"load": "apislo.slo.loader"}
        >>> __getattr__, __dir__ = lazy_exports(__name__, exports)  # doctest: +SKIP
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
