"""Run each committed notebook once per session, in the real kernel, on the hand-made dataset."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.tiny import END, START, write_dataset

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The events of tests/report/tiny.py as a dataset directory."""
    return write_dataset(tmp_path_factory.mktemp("tiny") / "events")


@pytest.fixture(scope="session")
def explore_report(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """``explore.ipynb`` over the tiny dataset, hourly, sliced by route."""
    from apislo.report import run_report

    params = {"dataset": str(tiny_dataset), "start": START, "end": END, "interval": "1h"}
    out = tmp_path_factory.mktemp("explore") / "explore.html"
    return run_report(NOTEBOOKS / "explore.ipynb", params, out)


SPEC = Path(__file__).parent / "data" / "tiny_slo.yaml"
INCIDENT_START = "2026-11-01T00:25:00+00:00"


@pytest.fixture(scope="session")
def slo_report(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """``slo_report.ipynb`` evaluated at 02:00, after the last tiny request."""
    from apislo.report import run_report

    params = {
        "spec": str(SPEC), "dataset": str(tiny_dataset), "at": END, "history_periods": 2,
    }  # fmt: skip
    out = tmp_path_factory.mktemp("slo") / "slo.html"
    return run_report(NOTEBOOKS / "slo_report.ipynb", params, out)


@pytest.fixture(scope="session")
def incident_report(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """``incident_review.ipynb`` for API ``pay`` from 00:25 to 02:00."""
    from apislo.report import run_report

    params = {
        "api": "pay", "start": INCIDENT_START, "end": END, "spec": str(SPEC),
        "dataset": str(tiny_dataset), "interval": "1h",
    }  # fmt: skip
    out = tmp_path_factory.mktemp("incident") / "incident.html"
    return run_report(NOTEBOOKS / "incident_review.ipynb", params, out)
