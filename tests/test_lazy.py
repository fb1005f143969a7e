"""Lazily exporting packages (:mod:`apislo._lazy`) list their exports before first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

PACKAGES = ["apislo", "apislo.report", "apislo.schedule", "apislo.slo", "apislo.sources.prometheus"]


@pytest.mark.parametrize("package", PACKAGES)
def test_dir_lists_every_export_before_its_first_use_and_loads_none(package: str) -> None:
    """``dir()`` (and so ``help()`` and tab completion in a notebook) missed them all: since
    `apislo.sources.prometheus` exports lazily, ``help()`` of it showed no class or function.
    A fresh interpreter, where no export has been used yet."""
    script = (
        f"import importlib, sys; p = importlib.import_module({package!r})\n"
        "loaded = set(sys.modules)\n"
        "print(sorted(set(p.__all__) - set(dir(p))), sorted(set(sys.modules) - loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[] []"
