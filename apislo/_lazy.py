"""Lazy package exports, so ``import apislo`` (and its subpackages) stays fast."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_exports"]


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
