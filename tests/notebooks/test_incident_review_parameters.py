"""incident_review's parameters say what an empty start or end means (QA: they said
"required", yet a run without them reported on the last 7 days), as ``views.window`` does it."""

from __future__ import annotations

import nbformat
import pandas as pd

from apislo.report import views
from tests.conftest import ROOT


def test_empty_start_and_end_are_documented_as_the_window_they_give() -> None:
    nb = nbformat.read(ROOT / "notebooks" / "incident_review.ipynb", as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    lines = cell.source.splitlines()
    assert lines[1] == 'start = ""  # ISO 8601 UTC; empty: 7 days before end'
    assert lines[2] == 'end = ""  # ISO 8601 UTC; empty: now (to the minute)'
    week = (pd.Timestamp("2026-11-01", tz="UTC"), pd.Timestamp("2026-11-08", tz="UTC"))
    assert views.window("", "2026-11-08T00:00Z") == week
