"""A ratio SLI's query with a fixed range (``[1m]``, not ``[{{.window}}]``) is run at every step
as written: ``increase(x[1m])`` at a 5-minute step counts 1 minute of each 5. Evaluating it
warns, naming the SLO, the query, the range and the step, unless the range is the step (what
``{{.window}}`` becomes). Until 2026-11-30 it was silent. A real Prometheus case is in
``tests/prometheus/test_ratio_rates.py``."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

import pandas as pd
import pytest

from apislo.slo import SLI, SLO, Objective, TimeWindow
from apislo.slo.formats._fields import SpecWarning
from apislo.slo.source import Source

T = pd.Timestamp("2026-03-02T00:00Z")
STEP = pd.Timedelta(minutes=5)
WINDOWED = "sum(increase(all_total[{{.window}}]))"


class _Prometheus:
    """Answers every query with one point at ``T + 5 min``, value 1."""

    def query_range(self, promql: str, start: Any, end: Any, step: int) -> pd.DataFrame:
        return pd.DataFrame({"ts": [T + STEP], "value": [1.0]})


def _evaluate(good: str | None = None, bad: str | None = None, total: str = WINDOWED) -> None:
    sli = SLI(kind="ratio", good_query=good, bad_query=bad, total_query=total)
    window = TimeWindow.rolling_window(timedelta(days=1))
    slo = SLO("pay", "shop", sli, (Objective(0.99),), window, origin="s.yaml (openslo/v1)")
    Source("prometheus", _Prometheus(), "p").frame(slo, T, T + STEP, STEP)


def _message(field: str, role: str, ranges: str) -> str:
    return (
        f"s.yaml (openslo/v1): {field}: SLO pay: the {role} query's fixed range {ranges} is not "
        f"the 5m step it is evaluated at, so its counts are wrong (an increase counts the events "
        f"of {ranges}, not of 5m; a rate only estimates them): write [{{{{.window}}}}], which "
        "apislo sets to the step"
    )


@pytest.mark.parametrize(
    ("queries", "message"),
    [
        ({"good": "sum(increase(ok_total[1m]))"}, _message("sli.good_query", "good", "[1m]")),
        ({"bad": "sum(rate(err_total[10m]))"}, _message("sli.bad_query", "bad", "[10m]")),
        (
            {"bad": "sum(rate(e[{{.window}}]))", "total": "sum(rate(a[1m])) + sum(rate(b[2h]))"},
            _message("sli.total_query", "total", "[1m], [2h]"),
        ),
        (  # a range written twice is named once (twice until 2026-11-30)
            {"good": "sum(increase(a[1m])) + sum(increase(b[1m]))"},
            _message("sli.good_query", "good", "[1m]"),
        ),
        (  # a subquery's range, not its resolution
            {"good": "sum(max_over_time(ok[1h:5m]))"},
            _message("sli.good_query", "good", "[1h]"),
        ),
    ],
    ids=["good-increase", "bad-rate", "total-two-ranges", "one-range-twice", "subquery"],
)
def test_a_fixed_range_other_than_the_step_warns(queries: dict[str, str], message: str) -> None:
    with pytest.warns(SpecWarning) as caught:
        _evaluate(**queries)
    assert [str(w.message) for w in caught] == [message]


@pytest.mark.parametrize(
    "good",
    [
        "sum(increase(ok_total[5m]))",  # the step itself: exact
        "sum(increase(ok_total[300s]))",
        "sum(rate(ok_total[{{ .window }}]))",
        'sum(increase(ok_total{path="/x[1m]"}[{{.window}}])) # not [1m]',
        "sum(max_over_time(ok[5m:1m]))",
    ],
)
def test_a_range_of_the_step_or_the_placeholder_does_not_warn(good: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _evaluate(good=good)
