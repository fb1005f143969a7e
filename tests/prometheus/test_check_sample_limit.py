"""The step checks within a server's ``--query.max-samples``: Prometheus refuses a query that
holds more samples at once (50,000,000 by default). The traffic frame is pulled in chunks, one
series' interval at a time; until 2026-11-30 the check of whether a series counts anything
read each series' whole window at once (``changes(...[window])``), so a long window failed the
pull with the frame already in hand.

Data (two days from T0, one request a second where counting; a server refusing queries that
hold over 5,000 samples): label ``grp`` ``a``: API ``fast`` scraped every 15 s at 3 s past each
quarter minute, API ``slow`` every 60 s at 17 s past the minute (value = seconds since T0 at
each sample); ``grp`` ``b``: ``fast`` likewise, API ``idle`` every 60 s at 17 s past, value 7.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from apislo.errors import ConfigError
from apislo.sources.prometheus import Prometheus
from apislo.sources.prometheus.local import LocalPrometheus, backfill
from tests.conftest import require_binary
from tests.prometheus.conftest import T0

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)
END_S = 2 * 86400
#: Over 46 hours, `fast` has 11,040 samples: reading them at once is refused. Measured with
#: Prometheus's query statistics (``stats=all``, peak samples): the pull's largest query holds
#: 2,881 at once (a chunk's 1,440 values of two series, and more); the checks at most 1,737;
#: until 2026-11-30 the check held 11,044.
MAX_SAMPLES = 5000
WINDOW = {"start": T0 + H, "end": T0 + 47 * H, "step": "30s"}


@pytest.fixture(scope="module")
def limited_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_binary("promtool")
    require_binary("prometheus")
    root: Path = tmp_path_factory.mktemp("sample-limit")
    t0 = int(T0.timestamp())
    lines = ["# TYPE http_requests counter"]
    for grp, api, first, every, value in (
        ("a", "fast", 3, 15, None),
        ("a", "slow", 17, 60, None),
        ("b", "fast", 3, 15, None),
        ("b", "idle", 17, 60, 7),
    ):
        labels = f'api="{api}",code="200",grp="{grp}"'
        lines += [
            f"http_requests_total{{{labels}}} {s if value is None else value} {t0 + s}"
            for s in range(first, END_S, every)
        ]
    (root / "limit.om").write_text("\n".join([*lines, "# EOF"]) + "\n")
    data = backfill(root / "limit.om", root / "data", "72h")
    with LocalPrometheus(data, flags=[f"--query.max-samples={MAX_SAMPLES}"]) as server:
        yield server.url


def test_a_series_too_slow_for_the_step_is_refused_within_the_limit(limited_url: str) -> None:
    # At 30 s `slow` holds at most one sample in each interval, and its value changes: refused,
    # as tests/prometheus/test_mixed_scrape_intervals.py has it over an hour. Until 2026-11-30
    # this was "Prometheus error 422 execution: query processing would load too many samples
    # into memory in query execution".
    with pytest.raises(ConfigError) as caught:
        Prometheus(limited_url, cache=False).traffic("generic", where={"grp": "a"}, **WINDOW)
    assert str(caught.value) == (
        "some series of http_requests_total hold at most one sample in each 30s interval "
        "(where increase() needs two, so none of their requests is counted, while other "
        "series fill the frame): their samples are about 60 s apart; use a step of at least 2m"
    )


def test_an_idle_series_is_let_through_within_the_limit(limited_url: str) -> None:
    # `idle` holds at most one sample in each interval, but its value never changes: no request
    # is lost. `fast` holds two samples 15 s apart (3 s and 18 s in) in each interval,
    # extrapolated to its edges: 30 requests in each of the 46 x 120 intervals.
    frame = Prometheus(limited_url, cache=False).traffic("generic", where={"grp": "b"}, **WINDOW)
    assert frame.groupby("api")["requests"].sum().to_dict() == {"fast": 46 * 120 * 30}
    assert set(frame["requests"]) == {30}
