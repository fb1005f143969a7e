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


@pytest.fixture(scope="module")
def pod_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """API ``main`` scraped every 60 s at 17 s past the minute (value = seconds since T0);
    API ``pod``, a short-lived series of three samples (values 1, 3, 4) at T0 + 5,490 s, 5,610 s
    and 5,670 s: the scrape at 5,550 s was missed; and API ``rare``, its 503s, scraped every
    10 minutes at 5 minutes past (value = seconds since T0)."""
    require_binary("promtool")
    require_binary("prometheus")
    root: Path = tmp_path_factory.mktemp("short-lived")
    t0 = int(T0.timestamp())
    lines = ["# TYPE http_requests counter"]
    lines += [
        f'http_requests_total{{api="main",code="200"}} {s} {t0 + s}'
        for s in range(17, 3 * 3600, 60)
    ]
    lines += [
        f'http_requests_total{{api="pod",code="200"}} {v} {t0 + s}'
        for v, s in ((1, 5490), (3, 5610), (4, 5670))
    ]
    lines += [
        f'http_requests_total{{api="rare",code="503"}} {s} {t0 + s}'
        for s in range(300, 3 * 3600, 600)
    ]
    (root / "pod.om").write_text("\n".join([*lines, "# EOF"]) + "\n")
    with LocalPrometheus(backfill(root / "pod.om", root / "data", "24h")) as server:
        yield server.url


def test_a_short_lived_series_that_missed_a_scrape_is_no_reason_to_refuse(pod_url: str) -> None:
    # 2m intervals end at multiples of 120 s after T0: pod's samples fall in (5,400, 5,520],
    # (5,520, 5,640] and (5,640, 5,760], one each, so increase() counts none of its 3 requests,
    # as a missed scrape loses a 60 s-scraped series' requests at any step. Its shortest gap is
    # 60 s: the step is twice that. Until 2026-11-29 this was refused with "their samples are
    # about 60 s apart; use a step of at least 2m", the step given. `main` holds two samples
    # (17 s and 77 s in) in each interval, extrapolated to 120 requests: 30 x 120 in the hour.
    # (`rare`'s 503s are left out, for the test below)
    window = {"start": T0 + H, "end": T0 + 2 * H, "where": {"code": "200"}}
    frame = Prometheus(pod_url, cache=False).traffic("generic", step="2m", **window)
    assert frame.groupby("api")["requests"].sum().to_dict() == {"main": 3600}
    assert set(frame["requests"]) == {120}
    # at 90 s, a step under twice its scrape interval, `main` is still refused
    with pytest.raises(ConfigError, match="use a step of at least 2m"):
        Prometheus(pod_url, cache=False).traffic("generic", step="90s", **window)


def test_a_series_scraped_too_rarely_is_named_beside_one_that_missed_a_scrape(
    pod_url: str,
) -> None:
    # At 2m, `rare` (one sample every 10 minutes) and `pod` hold at most one sample in each
    # interval. `pod` missed a scrape; `rare` counts none of its requests, so the step is
    # refused, and the message is about `rare`: its samples are more than Prometheus's 5
    # minutes apart, so the span over them is taken: 6 samples (T0 + 3,900 s ... 6,900 s) in
    # the 3,360 s checked ([T0 + 3,840 s, T0 + 7,200 s], both ends in Prometheus 2), 3,360 s /
    # 5 = 672 s, and twice that. Until 2026-11-29 it named `pod`'s 60 s gap: "use a step of at
    # least 2m", the step given.
    with pytest.raises(ConfigError) as caught:
        Prometheus(pod_url, cache=False).traffic("generic", T0 + H, T0 + 2 * H, "2m")
    assert str(caught.value) == (
        "some series of http_requests_total hold at most one sample in each 2m interval "
        "(where increase() needs two, so none of their requests is counted, while other "
        "series fill the frame): their samples are about 672 s apart; use a step of at "
        "least 1344s"
    )


@pytest.fixture(scope="module")
def idle_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Five hours from T0: API ``busy`` scraped every 15 s at 3 s past each quarter minute
    (value = seconds since T0); every 60 s at 17 s past the minute, API ``idle``, its value 7
    throughout, and API ``late``, 0 until T0 + 2 h, then seconds since T0 + 2 h until
    T0 + 2.5 h (1,800 requests), then 1,800."""
    require_binary("promtool")
    require_binary("prometheus")
    root: Path = tmp_path_factory.mktemp("idle")
    t0 = int(T0.timestamp())
    lines = ["# TYPE http_requests counter"]
    lines += [
        f'http_requests_total{{api="busy",code="200"}} {s} {t0 + s}' for s in range(3, 5 * 3600, 15)
    ]
    lines += [
        f'http_requests_total{{api="idle",code="200"}} 7 {t0 + s}' for s in range(17, 5 * 3600, 60)
    ]
    lines += [
        f'http_requests_total{{api="late",code="200"}} {min(max(s - 7200, 0), 1800)} {t0 + s}'
        for s in range(17, 5 * 3600, 60)
    ]
    (root / "idle.om").write_text("\n".join([*lines, "# EOF"]) + "\n")
    with LocalPrometheus(backfill(root / "idle.om", root / "data", "24h")) as server:
        yield server.url


def test_an_idle_series_with_one_sample_an_interval_is_no_reason_to_refuse(idle_url: str) -> None:
    # At 30 s, `idle` (and `late`, 0 until T0 + 2 h) holds at most one sample an interval, but
    # its value never changes: it has no request to lose. Until 2026-11-29 refused as `slow`
    # above ("use a step of at least 2m"). `busy` holds two samples 15 s apart (3 s and 18 s
    # in) in each interval, extrapolated to the edges: 30 requests in each of the hour's 120
    # intervals.
    frame = Prometheus(idle_url, cache=False).traffic("generic", T0 + H, T0 + 2 * H, "30s")
    assert frame.groupby("api")["requests"].sum().to_dict() == {"busy": 3600}
    assert len(frame) == 120
    assert set(frame["requests"]) == {30}


def test_an_idle_series_just_under_twice_its_scrape_interval_is_no_reason_to_refuse(
    idle_url: str,
) -> None:
    # 110 s intervals (multiples of 110 s since 1970; T0 + 3,620 s is one): `idle`'s samples,
    # at 17 s past each minute, fall one or two in each; of the 29 intervals checked (those
    # starting T0 + 3,620 s + 110 k s, k = 0..28), 5 hold one between two holding some (k = 0,
    # 6, 12, 18, 24: 17 %, under the quarter). Its scrape interval, 60 s, fits twice in 110 s
    # by no margin, so until 2026-11-29 that was refused ("17% of the 110s intervals hold one
    # sample ...; use a step of at least 2m"), though its value never changes and no request
    # is lost: its intervals holding two samples count 0. `busy` holds 7 or 8 samples in each
    # interval, the first and last within 15 s of its edges: extrapolated to them, 110
    # requests in each of the 30 intervals.
    start = T0 + pd.Timedelta(seconds=3620)
    frame = Prometheus(idle_url, cache=False).traffic(
        "generic", start, start + 30 * pd.Timedelta(seconds=110), "110s"
    )
    # (`late`, 0 until T0 + 2 h, is as idle as `idle` here)
    assert frame.groupby("api")["requests"].sum().to_dict() == {"busy": 3300, "idle": 0, "late": 0}
    assert set(frame.loc[frame["api"] == "busy", "requests"]) == {110}


def test_a_series_idle_in_the_intervals_checked_but_counting_before_is_refused(
    idle_url: str,
) -> None:
    # Over [T0 + 2 h, T0 + 4.5 h) at 30 s, the intervals checked are the last 120 at most, from
    # T0 + 3.5 h on, where `late` (60 s scrapes, one sample in every other interval) is idle;
    # its 1,800 requests, all in the first half hour, count nothing, so it is refused. `idle`,
    # the same throughout, is not what the message names; `late`'s samples are 60 s apart.
    with pytest.raises(ConfigError) as caught:
        Prometheus(idle_url, cache=False).traffic("generic", T0 + 2 * H, T0 + 4.5 * H, "30s")
    assert str(caught.value) == (
        "some series of http_requests_total hold at most one sample in each 30s interval "
        "(where increase() needs two, so none of their requests is counted, while other "
        "series fill the frame): their samples are about 60 s apart; use a step of at least 2m"
    )
