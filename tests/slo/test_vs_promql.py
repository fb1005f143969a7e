"""Second opinion from a real Prometheus: the same simulated day, SLIs computed by PromQL
(``sum by (api) (increase(...[1d]))`` evaluated by Prometheus itself) and by apislo, from the logs
and from Prometheus.

The simulator samples each counter every 60 s from 0 at the period start, so at the end of the
day ``increase(x[1d])`` has samples on both ends of its window and is the exact count (see
tests/prometheus/test_vs_logs.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import apislo
from apislo.cli import main
from apislo.slo import SLI, SLO, Objective, SourceHints, TimeWindow, evaluate
from apislo.slo.rules import error_ratio_expr
from apislo.sources.prometheus import Prometheus
from apislo.sources.prometheus.local import LocalPrometheus, backfill
from tests.conftest import SIMULATED_END, SimulatedPrometheus, require_binary

pytestmark = pytest.mark.prometheus
END = SIMULATED_END
DAY = TimeWindow.rolling_window(timedelta(days=1))


@pytest.fixture
def sim(simulated_prometheus: SimulatedPrometheus) -> tuple[str, pd.DataFrame]:
    """(Prometheus URL, events read from the logs)."""
    return simulated_prometheus.url, simulated_prometheus.events


def _promql(url: str, query: str) -> dict[str, float]:
    frame = Prometheus(url, cache=False).query(query, at=END)
    return {str(row["api"]): float(row["value"]) for _, row in frame.iterrows()}


def _by_api(summary: pd.DataFrame, column: str) -> dict[str, float]:
    rows = summary[summary["group"].str.startswith("api=")]
    return {g[4:]: float(v) for g, v in zip(rows["group"], rows[column], strict=True)}


def test_availability_sli_matches_promql(sim: tuple[str, pd.DataFrame]) -> None:
    url, events = sim
    bad = _promql(url, 'sum by (api) (increase(http_requests_total{code=~"5.."}[1d]))')
    total = _promql(url, "sum by (api) (increase(http_requests_total[1d]))")
    expected = {api: 1 - bad.get(api, 0.0) / total[api] for api in total}
    slo = SLO("avail", "sim", SLI(), (Objective(0.99),), DAY, group_by=("api",))
    from_logs = evaluate(slo, events, at=END, step="1h", series=False).summary
    from_prom = evaluate(slo, url, at=END, step="1h", series=False).summary
    assert set(_by_api(from_logs, "sli")) == set(expected)
    for api, sli in expected.items():
        assert _by_api(from_logs, "sli")[api] == pytest.approx(sli, abs=1e-12), api
        assert _by_api(from_prom, "sli")[api] == pytest.approx(sli, abs=1e-12), api
        assert _by_api(from_logs, "total")[api] == pytest.approx(total[api], abs=1e-6)


def test_latency_sli_matches_promql(sim: tuple[str, pd.DataFrame]) -> None:
    url, events = sim
    fast = _promql(
        url, 'sum by (api) (increase(http_request_duration_seconds_bucket{le="0.3"}[1d]))'
    )
    count = _promql(url, "sum by (api) (increase(http_request_duration_seconds_count[1d]))")
    slo = SLO(
        "fast", "sim", SLI(kind="latency", threshold_s=0.3), (Objective(0.9),), DAY,
        group_by=("api",),
    )  # fmt: skip
    from_logs = _by_api(evaluate(slo, events, at=END, step="1h", series=False).summary, "sli")
    from_prom = _by_api(evaluate(slo, url, at=END, step="1h", series=False).summary, "sli")
    for api in count:
        assert from_logs[api] == pytest.approx(fast[api] / count[api], abs=1e-12), api
        assert from_prom[api] == pytest.approx(fast[api] / count[api], abs=1e-12), api


def test_threshold_between_buckets_is_refused_for_prometheus(
    sim: tuple[str, pd.DataFrame],
) -> None:
    url, _ = sim
    slo = SLO("odd", "sim", SLI(kind="latency", threshold_s=0.25), (Objective(0.9),), DAY)
    # The Prometheus source refuses it, naming the exporter's buckets.
    with pytest.raises(apislo.errors.ConfigError, match=r"no bucket at \[0\.25\] s.*0\.3"):
        evaluate(slo, url, at=END, step="1h", series=False)


def test_ratio_sli_from_queries_matches_promql(sim: tuple[str, pd.DataFrame]) -> None:
    # A Sloth/OpenSLO-style ratio SLI: apislo runs the queries hour by hour ({{.window}} = 1h)
    # and sums the hours; Prometheus computes the day in one go.
    url, _ = sim
    bad = sum(
        _promql(url, 'sum by (api) (increase(http_requests_total{code=~"5.."}[1d]))').values()
    )
    total = sum(_promql(url, "sum by (api) (increase(http_requests_total[1d]))").values())
    sli = SLI(
        kind="ratio",
        bad_query='sum(increase(http_requests_total{code=~"5.."}[{{.window}}]))',
        total_query="sum(increase(http_requests_total[{{ .window }}]))",
    )
    slo = SLO("ratio", "sim", sli, (Objective(0.99),), DAY)
    row = evaluate(slo, url, at=END, step="1h", series=False).summary.iloc[0]
    assert row["total"] == pytest.approx(total, abs=1e-6)
    assert row["sli"] == pytest.approx(1 - bad / total, abs=1e-12)


#: Two environments of one API, one sample a minute at T0 + m minutes: prod 200s 10 m, 500s
#: m // 10; staging 200s 2 m, 500s 3 m. And API "jit", scraped every 60 s at 17 s past the
#: minute (as Prometheus staggers its scrapes): 200s 100 m, 500s m; API "miss" likewise, 200s
#: 1000 + 10 m, but for the scrape missed at minute 30 (00:30:17).
ENV_T0 = pd.Timestamp("2026-01-05T00:00:00Z")
ENV_SERIES = {
    ('{api="orders",code="200",env="prod"}', 0): lambda m: 10 * m,
    ('{api="orders",code="500",env="prod"}', 0): lambda m: m // 10,
    ('{api="orders",code="200",env="staging"}', 0): lambda m: 2 * m,
    ('{api="orders",code="500",env="staging"}', 0): lambda m: 3 * m,
    ('{api="jit",code="200"}', 17): lambda m: 100 * m,
    ('{api="jit",code="500"}', 17): lambda m: m,
    ('{api="miss",code="200"}', 17): lambda m: None if m == 30 else 1000 + 10 * m,
}


@pytest.fixture(scope="module")
def env_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prometheus serving :data:`ENV_SERIES` for minutes 0..120."""
    require_binary("promtool")
    require_binary("prometheus")
    root = tmp_path_factory.mktemp("env-labels")
    t0 = int(ENV_T0.timestamp())
    lines = ["# TYPE http_requests counter"]
    for (labels, offset), value in ENV_SERIES.items():
        lines += [
            f"http_requests_total{labels} {value(m)} {t0 + offset + 60 * m}"
            for m in range(121)
            if value(m) is not None
        ]
    (root / "env.om").write_text("\n".join([*lines, "# EOF"]) + "\n")
    with LocalPrometheus(backfill(root / "env.om", root / "data", "24h")) as server:
        yield server.url


def test_source_labels_select_series_as_the_rules_do(env_url: str) -> None:
    # source.labels {env: prod}: the rules match env="prod", so must `slo compute`. Over
    # [01:00, 02:00) prod has 10 x 60 = 600 200s and 12 - 6 = 6 500s: SLI 600 / 606. Staging's
    # 120 + 180 requests (186 errors) were counted too: 720 / 906.
    hints = SourceHints(kind="prometheus", labels=(("env", "prod"),))
    hour = TimeWindow.rolling_window(timedelta(hours=1))
    slo = SLO("orders", "shop", SLI(), (Objective(0.99),), hour, api="orders", source=hints)
    at = ENV_T0 + pd.Timedelta(hours=2)
    row = evaluate(slo, env_url, at=at, step="1m", series=False).summary.iloc[0]
    assert (row["good"], row["total"]) == (600, 606)
    ratio = error_ratio_expr(slo, slo.objectives[0], "1h")
    rule = Prometheus(env_url, cache=False).query(ratio, at)
    assert rule["value"].tolist() == pytest.approx([6 / 606], abs=1e-15)
    assert 1 - row["sli"] == pytest.approx(6 / 606, abs=1e-15)


def test_a_step_not_longer_than_the_scrape_interval_is_refused(env_url: str) -> None:
    # "jit" is scraped every 60 s at :17: no 1-minute interval holds two samples, so every
    # increase(...[1m]) is empty and the SLO read "SLI n/a" (0 requests) without a word. At 2m
    # each interval holds two samples, 17 s and 43 s from its edges, and increase() extrapolates
    # to exactly 200 + 2 requests: over [01:00, 02:00) 6,000 good of 6,060.
    slo = SLO("jit", "shop", SLI(), (Objective(0.99),), TimeWindow.rolling_window(
        timedelta(hours=1)), api="jit")  # fmt: skip
    at = ENV_T0 + pd.Timedelta(hours=2)
    with pytest.raises(apislo.errors.ConfigError, match=r"no 1m interval holds two.*\(2m for"):
        evaluate(slo, env_url, at=at, step="1m", series=False)
    hour = {"start": at - pd.Timedelta(hours=1), "end": at, "step": "1m"}
    with pytest.raises(apislo.errors.ConfigError, match="no 1m interval holds two"):
        Prometheus(env_url, cache=False).traffic(where={"api": "jit"}, **hour)
    row = evaluate(slo, env_url, at=at, step="2m", series=False).summary.iloc[0]
    assert (row["good"], row["total"]) == (6000, 6060)
    # an API without series still gives an empty frame, not this error
    assert Prometheus(env_url, cache=False).traffic(where={"api": "none"}, **hour).empty


#: At a 90 s step over [01:00, 02:00), "jit" (60 s scrapes at :17) has 40 intervals starting 0,
#: 90, 180 ... s after 01:00; the even ones hold two samples (17 s and 77 s in), the odd ones one
#: (47 s in). Checked: the 39 intervals ending 01:01:30 ... 01:58:30 (the last has no next), of
#: which the 19 odd ones hold one sample: 19/39 = 49 %. The scrape interval is the lower quartile
#: of the gaps between samples, 60 s: a step of at least 2m. ("miss" at :17 too is the same there.)
LONE = (
    "49% of the 90s intervals hold one sample of http_requests_total (where increase() needs "
    "two, so they count no request): the step is shorter than twice the scrape interval (about "
    "60 s); use a step of at least 2m"
)


def test_a_step_under_twice_the_scrape_interval_is_refused(env_url: str, tmp_path: Path) -> None:
    # increase() counted nothing in the odd intervals and extrapolated the even ones to 1.5 x
    # 101 = 151.5 (152): apislo returned 20 x 152 = 3,040 of jit's 6,060 requests, every other
    # interval 0, and SLIs from them, without a word.
    at = ENV_T0 + pd.Timedelta(hours=2)
    hour = {"start": at - pd.Timedelta(hours=1), "end": at, "step": "90s"}
    prom = Prometheus(env_url, cache=False)
    with pytest.raises(apislo.errors.ConfigError) as info:
        prom.traffic(where={"api": "jit"}, **hour)
    assert str(info.value) == LONE
    # all APIs at once: orders, whose scrapes fall on the interval edges, does not hide jit
    with pytest.raises(apislo.errors.ConfigError) as info:
        prom.traffic(**hour)
    assert str(info.value) == LONE
    slo = SLO("jit", "shop", SLI(), (Objective(0.99),), TimeWindow.rolling_window(
        timedelta(hours=1)), api="jit")  # fmt: skip
    with pytest.raises(apislo.errors.ConfigError, match="hold one sample"):
        evaluate(slo, env_url, at=at, step="90s", series=False)
    window = ["--start", "2026-01-05T01:00Z", "--end", "2026-01-05T02:00Z", "--step", "90s"]
    out = tmp_path / "pull.csv"
    pulled = CliRunner().invoke(
        main, ["prom", "pull", env_url, *window, "--out", str(out), "--no-cache"]
    )
    assert (pulled.exit_code, pulled.stderr) == (1, f"error: {LONE}\n")
    assert not out.exists()


def test_scrapes_on_the_interval_edges_hold_two_samples_each(env_url: str) -> None:
    # orders is scraped on the minute: every 90 s interval [a, a + 90] (both ends, Prometheus 2)
    # holds two samples a minute apart, which increase() extrapolates by 1.5. Not refused, and
    # approximate: per interval 15 (prod 200s) + 3 + 4.5 (staging) + 1.5 where prod's 500s step
    # (at minutes 70, 90, 100 and 120 of the 60 minute steps the intervals see: those from m
    # with m - 60 = 0 or 2 mod 3), each rounded half to even: 36 x 22 + 4 x 24 = 888 of 906,
    # 36 x 4 + 4 x 6 = 168 of 186 errors.
    at = ENV_T0 + pd.Timedelta(hours=2)
    frame = Prometheus(env_url, cache=False).traffic(
        where={"api": "orders"}, start=at - pd.Timedelta(hours=1), end=at, step="90s"
    )
    assert (frame["requests"].sum(), frame["status_5xx"].sum()) == (888, 168)


@pytest.mark.parametrize(
    ("step", "lone"),
    [
        # 1.8 scrape intervals, 2 - 1.8 = a fifth of the intervals hold one sample. Intervals
        # are multiples of 108 s since the epoch; 01:00 is 36 s past one. Checked: the 31
        # intervals [01:01:12 + 108 k s, + 108 s], k = 0..30 (ends from 01:03:00, the first
        # whole interval's, to 01:57:00, the last but one's). The first "jit" sample in each is
        # (5 + 12 k) mod 60 s in: 5, 17, 29, 41, 53, 5 ...; the next, 60 s later, is inside only
        # when that is 48 s or less: one sample for k = 4, 9 ... 29, 6 of 31 = 19 %.
        ("108s", "19% of the 108s"),
        # 1.9, a tenth: 01:00 is 12 s past a multiple of 114 s; the 29 intervals [01:01:42 +
        # 114 k s, + 114 s], k = 0..28; first sample (35 + 6 k) mod 60 s in, one sample when
        # over 54 s: 59 for k = 4, 14, 24, 3 of 29 = 10 %.
        ("114s", "10% of the 114s"),
    ],
)
def test_a_step_just_under_twice_the_scrape_interval_is_refused(
    env_url: str, step: str, lone: str
) -> None:
    # Until 2026-11-29 only a share over a quarter was refused: 108s gave 4,732 of jit's 6,060
    # requests, 114s 5,356, without a word. The scrape interval is the shortest gap between
    # two samples, 60 s.
    at = ENV_T0 + pd.Timedelta(hours=2)
    with pytest.raises(apislo.errors.ConfigError) as info:
        Prometheus(env_url, cache=False).traffic(
            where={"api": "jit"}, start=at - pd.Timedelta(hours=1), end=at, step=step
        )
    assert str(info.value) == (
        f"{lone} intervals hold one sample of http_requests_total (where increase() needs "
        "two, so they count no request): the step is shorter than twice the scrape interval "
        "(about 60 s); use a step of at least 2m"
    )


def test_twice_the_scrape_interval_is_accepted(env_url: str) -> None:
    # At 2m each interval holds two samples of "jit", 17 s and 43 s from its edges, which
    # increase() extrapolates by two: 2 x 100 200s and 2 x 1 500s in each of the 30.
    prom = Prometheus(env_url, cache=False)
    at = ENV_T0 + pd.Timedelta(hours=2)
    frame = prom.traffic(where={"api": "jit"}, start=at - pd.Timedelta(hours=1), end=at, step="2m")
    assert len(frame) == 30
    assert set(frame["status_2xx"]) == {200}
    assert set(frame["status_5xx"]) == {2}
    # "miss" over [00:00, 01:00): the interval [00:30, 00:32] holds one sample (00:31:17), as
    # the scrape at 00:30:17 was missed, and counts nothing; the other 29 count 2 x 10. One of
    # the 28 intervals checked (not the first: none before it), 4 %, under the quarter let
    # through; the shortest gap is 60 s, so the step is not short.
    first = {"start": ENV_T0, "end": ENV_T0 + pd.Timedelta(hours=1), "step": "2m"}
    frame = prom.traffic(where={"api": "miss"}, **first)
    counts = dict(zip(frame["ts"].dt.strftime("%H:%M"), frame["requests"], strict=True))
    assert counts == {f"00:{m:02d}": 0 if m == 30 else 20 for m in range(0, 60, 2)}
