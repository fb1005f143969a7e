"""Shared fixtures: where the real sample logs are, and a rule for tests that need real binaries.

Tests that need a real program (Debian's ``prometheus``, ``promtool``, ``chromium``) call
:func:`require_binary`: in CI (``CI=true``) a missing binary *fails* the test, elsewhere it skips.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Real access logs from public projects; beside the checkout, not inside it.
SAMPLES = ROOT.parent / "shared" / "samples"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_binary(name: str) -> str:
    """Path of ``name`` on PATH; fail in CI, skip elsewhere, when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package; `make test` installs it as root)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def samples_dir() -> Path:
    """``../shared/samples``; tests using it skip where that folder does not exist."""
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} not present (it exists beside CI's clone)")
    return SAMPLES
