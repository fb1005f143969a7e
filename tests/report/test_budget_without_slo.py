"""``budget_spent`` of evaluations without any SLO (an API the spec has none for) is an empty
table with the usual columns, not a KeyError."""

from __future__ import annotations

from pathlib import Path

import apislo.slo
from apislo.report import slo_views
from tests.report.tiny import END, START, write_dataset


def test_budget_spent_without_slos_is_empty(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "events")
    before = apislo.slo.evaluate([], dataset, at=START, series=False)
    after = apislo.slo.evaluate([], dataset, at=END, series=False)
    spent = slo_views.budget_spent(before, after)
    assert spent.empty
    assert list(spent.columns) == [
        "slo", "objective", "remaining_before_pct", "remaining_after_pct", "spent_pct",
    ]  # fmt: skip
