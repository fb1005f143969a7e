"""Series of one request counter scraped at different intervals: at a step under twice the
slower one's, that series holds at most one sample in each interval, and ``increase`` counts
none of its requests. The faster series fill the frame, so it is not empty; until 2026-11-29
the slower series was left out without a word.

Data (one request a second for each API, from T0): API ``fast`` scraped every 15 s at 3 s past
each quarter minute, API ``slow`` every 60 s at 17 s past the minute, counter value = seconds
since T0 at each scrape.
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


@pytest.fixture(scope="module")
def mixed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_binary("promtool")
    require_binary("prometheus")
    root: Path = tmp_path_factory.mktemp("mixed-scrapes")
    t0 = int(T0.timestamp())
    lines = ["# TYPE http_requests counter"]
    for api, first, every in (("fast", 3, 15), ("slow", 17, 60)):
        lines += [
            f'http_requests_total{{api="{api}",code="200"}} {s} {t0 + s}'
            for s in range(first, 3 * 3600, every)
        ]
    (root / "mixed.om").write_text("\n".join([*lines, "# EOF"]) + "\n")
    with LocalPrometheus(backfill(root / "mixed.om", root / "data", "24h")) as server:
        yield server.url


def test_a_series_with_one_sample_an_interval_beside_faster_ones_is_refused(
    mixed_url: str,
) -> None:
    # at 30 s, each interval holds two samples of `fast` and at most one of `slow`
    prom = Prometheus(mixed_url, cache=False)
    with pytest.raises(ConfigError) as caught:
        prom.traffic("generic", T0 + H, T0 + 2 * H, "30s")
    assert str(caught.value) == (
        "some series of http_requests_total hold at most one sample in each 30s interval "
        "(where increase() needs two, so none of their requests is counted, while other "
        "series fill the frame): their samples are about 60 s apart; use a step of at least 2m"
    )


def test_the_step_named_counts_both(mixed_url: str) -> None:
    # at 2 m, each interval holds 8 samples of `fast` and 2 of `slow`; the rate is constant,
    # so increase's extrapolation to the interval edges is exact: 120 requests an interval,
    # 3,600 in the hour for each API
    frame = Prometheus(mixed_url, cache=False).traffic("generic", T0 + H, T0 + 2 * H, "2m")
    assert frame.groupby("api")["requests"].sum().to_dict() == {"fast": 3600, "slow": 3600}
    assert set(frame["requests"]) == {120}
