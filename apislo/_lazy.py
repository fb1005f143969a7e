"""Lazy package exports, so ``import apislo`` (and its subpackages) stays fast."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_dir", "lazy_exports"]


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` importing each exported name from its module on first use.

    Args:
        package: the package's ``__name__`` (for the error message).
        exports: exported name -> module that defines it.

    Example:
        >>> __getattr__ = lazy_exports(__name__, {"load": "apislo.slo.loader"})  # doctest: +SKIP
    """

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


def lazy_dir(package: str, exports: dict[str, str]) -> Callable[[], list[str]]:
    """A module ``__dir__`` listing the lazily exported names before their first use too, so
    that ``dir()``, ``help()`` and a notebook's tab completion show them (loading none).

    Args:
        package: the package's ``__name__``.
        exports: exported name -> module that defines it (as for :func:`lazy_exports`).

    Example:
        >>> __dir__ = lazy_dir(__name__, {"load": "apislo.slo.loader"})  # doctest: +SKIP
    """

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __dir__
