"""Helpers shared by the SLO tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from apislo.errors import SpecError
from apislo.slo.loader import load


def write_spec(tmp_path: Path, body: str, name: str = "spec.yaml") -> Path:
    """``body`` (indented as in a test, dedented here) written to ``tmp_path / name``."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def spec_error(path: Path) -> SpecError:
    """The :class:`SpecError` loading ``path`` raises (the test fails if none)."""
    with pytest.raises(SpecError) as info:
        load(path)
    return info.value
