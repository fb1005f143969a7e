"""An objective's target is checked where the model is built, not only in the spec loaders: an
SLO made in Python with ``Objective(target=1.0)`` loaded silently and ``evaluate`` stopped with
ZeroDivisionError (``low_traffic``: ``1 / (1 - 1.0)``) until 2026-11-29; 1.5, 0, -0.1 and NaN
gave a meaningless budget without any error."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from apislo.errors import ApisloError, SpecError
from apislo.slo import SLI, SLO, Objective, TimeWindow, evaluate

RULE = "0 < target < 1 (a fraction: 0.999 for 99.9 %)"


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        (1.0, "1.0 is out of range"),  # no budget at all: a division by zero later
        (0.0, "0.0 is out of range"),
        (-0.1, "-0.1 is out of range"),
        (1.5, "1.5 looks like a percentage (0.015 is 1.5 %)"),
        (99.9, "99.9 looks like a percentage (0.999 is 99.9 %)"),
        (100, "100 is out of range"),
        (math.nan, "nan is not a finite number"),
        (math.inf, "inf is not a finite number"),
        (0.9999999999999, "0.9999999999999 leaves no error budget (1 - target rounds to 0)"),
        ("0.999", "'0.999' is not a number"),
        (True, "True is not a number"),
    ],
)
def test_an_objective_without_an_error_budget_is_refused(target: object, problem: str) -> None:
    with pytest.raises(SpecError) as info:
        Objective(target=target)  # type: ignore[arg-type]
    error = info.value
    assert isinstance(error, ApisloError)
    assert (error.path, error.field, error.problem, error.allowed) == (
        "<inline>",
        "objectives[].target",
        problem,
        RULE,
    )


def test_a_valid_target_builds_and_evaluates() -> None:
    # 1,000 requests, 2 of them 5xx, target 0.99: SLI 0.998, budget 10 events, 8 left = 0.8.
    assert Objective(target=np.float64(0.999)).target == 0.999
    slo = SLO(
        "checkout", "shop", SLI(), (Objective(0.99),),
        TimeWindow.rolling_window(timedelta(hours=1)), api="checkout",
    )  # fmt: skip
    traffic = pd.DataFrame(
        {
            "ts": [pd.Timestamp("2026-01-01T00:00Z")], "api": "checkout", "requests": [1000],
            "status_2xx": [998], "status_3xx": 0, "status_4xx": 0, "status_5xx": [2],
            "status_429": 0,
        }
    )  # fmt: skip
    row = evaluate(slo, traffic, at="2026-01-01T00:01Z", series=False).summary.iloc[0]
    assert row["sli"] == pytest.approx(0.998)
    assert row["remaining"] == pytest.approx(0.8)
