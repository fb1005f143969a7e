"""truth.json against what read_logs + traffic compute from the simulator's own logs, exactly.

One test per registered format whose writer exists: simulate with that format, read the logs
back with :func:`apislo.read_logs`, aggregate with :func:`apislo.traffic` per hour and compare
every count of ``truth.json`` (requests, status classes, 429s, latency > 0.3 s).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from apislo.simulate import simulate
from apislo.simulate.truth import COUNT_COLUMNS
from apislo.sources.logs import format_names, get_format

from .conftest import END

ROUNDTRIP = {"days": 0.5, "apis": 3, "seed": 5, "rate": 0.3, "end": END}


NEEDS_OPTIONS = {"nginx-custom"}  # writes only with a log_format; simulate() takes names only
#: Formats that stamp the request's end and log no request time: apislo can only take the end
#: as the start, so a request spanning an hour boundary lands in the next hour. Their expected
#: counts are the generator's events keyed by end time (a whole second by construction).
END_STAMPED_NO_LATENCY = {"nginx-combined", "kong-proxy"}


def _by_end_time(events: pd.DataFrame, hours: pd.Index) -> pd.DataFrame:
    end = events["ts"] + pd.to_timedelta((events["latency_s"] * 1000).round(), unit="ms")
    status = events["status"].astype(int)
    flags = pd.DataFrame(
        {
            "requests": 1,
            **{f"status_{k}xx": status // 100 == k for k in (2, 3, 4, 5)},
            "status_429": status == 429,
        }
    )
    counts = flags.groupby(end.dt.floor("h")).sum()
    counts.index = counts.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    return counts.reindex(hours, fill_value=0)


@pytest.mark.parametrize(
    "name",
    [n for n in format_names() if n not in NEEDS_OPTIONS and not n.startswith("test-")],
)
def test_truth_matches_read_logs_and_traffic(name: str, tmp_path: Path) -> None:
    import apislo

    try:
        fmt = get_format(name)
    except ImportError as exc:
        pytest.skip(f"{name}: module not available yet ({exc})")
    try:
        result = simulate(tmp_path, formats=(name,), **ROUNDTRIP)
    except Exception as exc:  # a writer that does not exist yet or needs options
        if "cannot write" in str(exc) or isinstance(exc, NotImplementedError):
            pytest.skip(f"{name}: no writer yet ({exc})")
        raise
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a rejected line would be a writer/parser disagreement
        # (the simulator writes zone-less times, HAProxy's, in UTC: said so, no warning)
        events = apislo.read_logs(sorted(result.logs.values()), format=fmt.name, tz="UTC")
    assert len(events) == result.truth["totals"]["requests"]
    frame = apislo.traffic(
        events,
        interval="1h",
        by=("api",),
        thresholds_s=(0.3,),
        quantiles=(),
        start=pd.Timestamp(result.truth["start"]),
        end=pd.Timestamp(result.truth["end"]),
    )
    got = frame.groupby("ts")[
        [
            "requests",
            "status_2xx",
            "status_3xx",
            "status_4xx",
            "status_5xx",
            "status_429",
            "latency_count",
            "le_0.3",
        ]
    ].sum()
    got["latency_gt_0.3s"] = got["latency_count"] - got["le_0.3"]
    hourly = [pd.DataFrame(a["hourly"]).set_index("ts") for a in result.truth["apis"].values()]
    want = sum(h[list(COUNT_COLUMNS)] for h in hourly)
    if name in END_STAMPED_NO_LATENCY:
        want = _by_end_time(result.events.to_pandas(), want.index)
    assert len(got) == len(want) == 12
    columns = list(COUNT_COLUMNS)
    if got["latency_count"].sum() == 0:  # no latency logged (aws-apigw-clf, END_STAMPED...)
        columns.remove("latency_gt_0.3s")
    else:
        np.testing.assert_array_equal(got["latency_count"], got["requests"])
    for column in columns:
        np.testing.assert_array_equal(
            got[column].to_numpy(), want[column].to_numpy(), err_msg=f"{name}: {column}"
        )
