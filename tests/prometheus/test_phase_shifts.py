"""Series whose scrapes shift their phase once (a restart, a scraper moved): one gap between
samples is shorter than the scrape interval. The step checks read a series' scrape interval
from its gaps; until 2026-11-30 from the shortest one, so that one gap let through steps at
which the series counted few of its requests, or none.

Data (one request a second for each API from T0, value = seconds since T0 at each sample, 3
hours; the shift at T0 + 1.5 h = 5,400 s): ``shifted`` scraped every 60 s at 17 s past the
minute, from 5,387 s on at 47 s past (one gap of 30 s, 5,357 -> 5,387 s); ``rare`` every 120 s
at 17 s past even minutes, from 5,357 s on at 77 s past (one gap of 60 s). Label ``grp`` ``b``:
API ``dense`` scraped every 15 s at 3 s past each quarter minute, API ``slow`` every 60 s at
5 s past the minute, from 5,365 s on at 25 s past (one gap of 20 s); ``grp`` ``c``: ``dense``
likewise, ``slow`` at 25 s past, from 5,375 s on at 35 s past (one gap of 10 s).
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
SHIFT_S = 5400
END_S = 3 * 3600


def _shifted(first: int, every: int, gap: int) -> list[int]:
    """Seconds after T0: every ``every`` s from ``first`` until the shift, then one ``gap``,
    then every ``every`` s again."""
    before = list(range(first, SHIFT_S, every))
    return before + list(range(before[-1] + gap, END_S, every))


@pytest.fixture(scope="module")
def shifted_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_binary("promtool")
    require_binary("prometheus")
    root: Path = tmp_path_factory.mktemp("phase-shifts")
    dense = list(range(3, END_S, 15))
    series = {
        ("shifted", "a"): _shifted(17, 60, 30),
        ("rare", "a"): _shifted(17, 120, 60),
        ("dense", "b"): dense,
        ("slow", "b"): _shifted(5, 60, 20),
        ("dense", "c"): dense,
        ("slow", "c"): _shifted(25, 60, 10),
    }
    t0 = int(T0.timestamp())
    lines = ["# TYPE http_requests counter"]
    for (api, grp), seconds in series.items():
        labels = f'api="{api}",code="200",grp="{grp}"'
        lines += [f"http_requests_total{{{labels}}} {s} {t0 + s}" for s in seconds]
    (root / "shifted.om").write_text("\n".join([*lines, "# EOF"]) + "\n")
    with LocalPrometheus(backfill(root / "shifted.om", root / "data", "24h")) as server:
        yield server.url


HOUR = {"start": T0 + H, "end": T0 + 2 * H}


def test_a_phase_shift_does_not_let_a_step_under_twice_the_scrape_interval_through(
    shifted_url: str,
) -> None:
    # 110 s intervals are multiples of 110 s since 1970 (T0 + 3,620 s is one). Checked: the 31
    # intervals [T0 + 3,620 s + 110 j s, + 110 s], j = 0..30 (ends from the first whole
    # interval's, T0 + 3,840 s, to the last but one's). The first sample in each is d s in,
    # d = (17 - 20 - 50 j) mod 60 = (57 + 10 j) mod 60 before the shift, (27 + 10 j) mod 60
    # after (47 s past); the next, 60 s later, is inside when d <= 50: one sample when d = 57,
    # for j = 0, 6, 12 (intervals ending before 5,387 s) and 21, 27 (starting from 5,380 s on,
    # j >= 16): 5 of 31 = 16 %. Under the quarter, and until 2026-11-30 the shortest
    # gap, 30 s, fitted twice in 110 s: let through, 2,970 of the hour's 3,600 requests, 7 of
    # the 34 rows 0. The scrape interval is 60 s, as all gaps but one are.
    with pytest.raises(ConfigError) as caught:
        Prometheus(shifted_url, cache=False).traffic(
            "generic", step="110s", where={"api": "shifted"}, **HOUR
        )
    assert str(caught.value) == (
        "16% of the 110s intervals hold one sample of http_requests_total (where increase() "
        "needs two, so they count no request): the step is shorter than twice the scrape "
        "interval (about 60 s); use a step of at least 2m"
    )


def test_the_step_named_counts_every_request_across_the_shift(shifted_url: str) -> None:
    # At 2m each interval holds the samples 17 s and 77 s in (47 s and 107 s after the shift;
    # [5,280, 5,400] holds 5,297, 5,357 and 5,387 s), extrapolated to its edges: 120 requests,
    # 30 x 120 in the hour.
    frame = Prometheus(shifted_url, cache=False).traffic(
        "generic", step="2m", where={"api": "shifted"}, **HOUR
    )
    assert frame["requests"].tolist() == [120] * 30


def test_a_series_beside_faster_ones_is_refused_though_one_interval_holds_two_samples(
    shifted_url: str,
) -> None:
    # At 30 s `slow` holds one sample in every other interval, but [T0 + 5,340 s, + 30 s] holds
    # two (5,345 and 5,365 s). Until 2026-11-30 that one interval let the series through:
    # `slow` counted 30 of its 3,600 requests (119 of its 120 rows 0) while `dense` filled the
    # frame. Its gaps are all 60 s but one (20 s): 60 s apart.
    with pytest.raises(ConfigError) as caught:
        Prometheus(shifted_url, cache=False).traffic(
            "generic", step="30s", where={"grp": "b"}, **HOUR
        )
    assert str(caught.value) == (
        "some series of http_requests_total hold at most one sample in each 30s interval "
        "(where increase() needs two, so none of their requests is counted, while other "
        "series fill the frame): their samples are about 60 s apart; use a step of at least 2m"
    )


def test_one_short_gap_does_not_make_a_series_fit_the_step(shifted_url: str) -> None:
    # `slow`'s samples 5,365 and 5,375 s (10 s apart) fall in two 30 s intervals: it holds at
    # most one sample in each. Until 2026-11-30 its shortest gap, 10 s, fitted twice in the
    # 30 s step, so it was let through as a series that missed scrapes: none of its 3,600
    # requests counted, the API missing from the frame.
    with pytest.raises(ConfigError) as caught:
        Prometheus(shifted_url, cache=False).traffic(
            "generic", step="30s", where={"grp": "c"}, **HOUR
        )
    assert str(caught.value).endswith(
        "their samples are about 60 s apart; use a step of at least 2m"
    )


def test_a_step_of_one_scrape_interval_was_and_is_refused(shifted_url: str) -> None:
    # At 2m over `rare`'s 120 s scrapes, each of the 29 intervals checked ([T0 + 3,600 s +
    # 120 j s, + 120 s], j = 0..28) holds one sample, but [5,280, 5,400] holds two (5,297 and
    # 5,357 s): 28 of 29 = 97 %, over the quarter, so the step was refused before 2026-11-30
    # too, its scrape interval then estimated from that share (120 s / (2 - 1)).
    with pytest.raises(ConfigError) as caught:
        Prometheus(shifted_url, cache=False).traffic(
            "generic", step="2m", where={"api": "rare"}, **HOUR
        )
    assert str(caught.value) == (
        "97% of the 2m intervals hold one sample of http_requests_total (where increase() "
        "needs two, so they count no request): the step is shorter than twice the scrape "
        "interval (about 120 s); use a step of at least 4m"
    )
