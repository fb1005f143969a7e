"""Fixtures for the runner tests: the broken-notebook corpus and one good report made once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).parent / "notebooks"


@pytest.fixture(scope="session")
def good_report(tmp_path_factory: pytest.TempPathFactory):
    """One successful run of ``good.ipynb`` (n=3): (ReportResult, reports dir)."""
    from apislo.report import run_report

    out = tmp_path_factory.mktemp("good") / "report.html"
    return run_report(NOTEBOOKS / "good.ipynb", {"n": 3}, out)


@pytest.fixture
def last_good(good_report, tmp_path: Path) -> Path:
    """A fresh directory holding a copy of the good report as ``report.html``."""
    target = tmp_path / "report.html"
    shutil.copy(good_report.html_path, target)
    shutil.copy(good_report.notebook_path, tmp_path / "report.ipynb")
    return target
