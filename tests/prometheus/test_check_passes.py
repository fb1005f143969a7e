"""How often the step checks read the gaps between a series' samples. Each pass reads every
series of the counter over the intervals checked, through ``timestamp()``, which Prometheus 2.42
evaluates slowly (on 52 series of 15 s and 60 s samples over 7 days, about 0.7 s a pass at a 2m
step, 14 s at 1h). Since 2026-11-30 a series' scrape interval is the lower quartile of its gaps,
three passes where the shortest gap took one; they are read only to refuse a step. Until
2026-11-30 they were read as soon as an interval held one sample: a missed scrape at a step
that fits (the everyday case), or an idle series.

Data (one request a second for each API from T0, value = seconds since T0 at each sample, 3
hours): label ``grp`` ``a``: API ``fast`` scraped every 15 s at 3 s past each quarter minute,
API ``missed`` every 60 s at 17 s past the minute but for the scrape at 5,417 s; ``grp`` ``b``:
``fast`` likewise, API ``idle`` every 60 s at 17 s past the minute, value 7.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from apislo.sources.prometheus import Prometheus
from apislo.sources.prometheus.local import LocalPrometheus, backfill
from apislo.sources.prometheus.times import TimeLike
from tests.conftest import require_binary
from tests.prometheus.conftest import T0

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)
END_S = 3 * 3600
HOUR = {"start": T0 + H, "end": T0 + 2 * H}


@pytest.fixture(scope="module")
def passes_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_binary("promtool")
    require_binary("prometheus")
    root: Path = tmp_path_factory.mktemp("check-passes")
    t0 = int(T0.timestamp())
    quarter = list(range(3, END_S, 15))
    minute = list(range(17, END_S, 60))
    series = {
        ("fast", "a"): [(s, s) for s in quarter],
        ("missed", "a"): [(s, s) for s in minute if s != 5417],
        ("fast", "b"): [(s, s) for s in quarter],
        ("idle", "b"): [(s, 7) for s in minute],
    }
    lines = ["# TYPE http_requests counter"]
    for (api, grp), samples in series.items():
        labels = f'api="{api}",code="200",grp="{grp}"'
        lines += [f"http_requests_total{{{labels}}} {v} {t0 + s}" for s, v in samples]
    (root / "passes.om").write_text("\n".join([*lines, "# EOF"]) + "\n")
    with LocalPrometheus(backfill(root / "passes.om", root / "data", "24h")) as server:
        yield server.url


def _recorded(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Prometheus, list[str]]:
    """A client whose instant queries are recorded in the list, in order."""
    prom = Prometheus(url, cache=False)
    sent: list[str] = []
    query = prom.query

    def record(promql: str, at: TimeLike = "now") -> pd.DataFrame:
        sent.append(promql)
        return query(promql, at=at)

    monkeypatch.setattr(prom, "query", record)
    return prom, sent


def _gap_passes(sent: list[str]) -> int:
    """Passes over the gaps: each reads ``timestamp(counter)`` and ``timestamp(counter offset
    half)`` (:func:`apislo.sources.prometheus.traffic._gaps`)."""
    return sum(promql.count("timestamp(") for promql in sent) // 2


def test_a_missed_scrape_at_a_step_that_fits_reads_the_gaps_once(
    passes_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 2m, [T0 + 5,400 s, + 120 s] holds one sample of `missed` (5,477 s), between intervals
    # holding two: one interval of the 29 checked. Its gaps are 60 s but one of 120 s, and 60 s
    # fits twice in 2m: let through, after one pass over the gaps, as before 2026-11-30 (the
    # shortest gap); until 2026-11-30, three (the gaps' quartile, the gaps up to it, and
    # whether they fit). Each other interval holds the samples 17 s and 77 s in, extrapolated
    # to its edges: 120 requests, 29 x 120 = 3,480; `fast` holds 8 samples 15 s apart from 3 s
    # in: 120 in each of the 30 intervals.
    prom, sent = _recorded(passes_url, monkeypatch)
    frame = prom.traffic("generic", step="2m", where={"grp": "a"}, **HOUR)
    assert frame.groupby("api")["requests"].sum().to_dict() == {"fast": 3600, "missed": 3480}
    assert _gap_passes(sent) == 1
    assert not [promql for promql in sent if "quantile_over_time" in promql]


def test_an_idle_series_is_left_out_before_the_gaps_are_read(
    passes_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At 90s, half of the intervals hold one sample of `idle` (2 - 90 / 60), over the quarter:
    # the step is too short for it, were its value to change; it does not, and no other series
    # holds one sample in an interval (`fast` holds 6, 15 s apart from 3 s in: 90 requests in
    # each of the 40 intervals). Let through without reading the gaps; until 2026-11-30 after
    # three passes.
    prom, sent = _recorded(passes_url, monkeypatch)
    frame = prom.traffic("generic", step="90s", where={"grp": "b"}, **HOUR)
    assert frame.groupby("api")["requests"].sum().to_dict() == {"fast": 3600, "idle": 0}
    assert _gap_passes(sent) == 0
