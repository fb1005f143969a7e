"""The OpenMetrics writer on a hand-made frame: the whole file worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from apislo.errors import ConfigError
from apislo.simulate.openmetrics import canonical_number, escape_label_value, write_openmetrics

T0 = datetime(2026, 1, 1, tzinfo=UTC)  # 1767225600 s


def _events(rows: list[tuple[str, str, int, float, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts": [T0 + timedelta(seconds=s) for _, _, _, s, _ in rows],
            "api": [r[0] for r in rows],
            "method": [r[1] for r in rows],
            "status": [r[2] for r in rows],
            "latency_s": [r[4] for r in rows],
        },
        schema_overrides={"ts": pl.Datetime("us", "UTC"), "status": pl.Int16},
    )


def test_golden_file(tmp_path: Path) -> None:
    events = _events(
        [
            ('a"x', "GET", 200, 0.0, 0.3),  # at the first sample time: counted from t0+60
            ('a"x', "GET", 200, 59.999, 0.301),
            ('a"x', "POST", 500, 60.0, 6.0),  # at t0+60 exactly: counted from t0+120; > 5 s
        ]
    )
    stats = write_openmetrics(events, tmp_path / "m.om", T0, T0 + timedelta(seconds=120))
    t = [1767225600, 1767225660, 1767225720]
    c = 'http_requests_total{api="a\\"x",method='
    h = "http_request_duration_seconds"
    les = ["0.05", "0.1", "0.2", "0.3", "0.5", "1.0", "2.0", "5.0", "+Inf"]
    point = {  # cumulative buckets by hand: 0.3 <= 0.3; 0.301 <= 0.5; 6.0 only in +Inf
        t[0]: ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "0.000000"),
        t[1]: ([0, 0, 0, 1, 2, 2, 2, 2, 2], 2, "0.601000"),
        t[2]: ([0, 0, 0, 1, 2, 2, 2, 2, 3], 3, "6.601000"),
    }
    expected = [
        "# TYPE http_requests counter",
        "# HELP http_requests HTTP requests by API, method and status code.",
        *[f'{c}"GET",code="200"}} {v} {ts}' for v, ts in zip([0, 2, 2], t, strict=True)],
        *[f'{c}"POST",code="500"}} {v} {ts}' for v, ts in zip([0, 0, 1], t, strict=True)],
        f"# TYPE {h} histogram",
        f"# UNIT {h} seconds",
        f"# HELP {h} Request latency from start to end, seconds.",
    ]
    for ts in t:
        buckets, count, total = point[ts]
        expected += [
            f'{h}_bucket{{api="a\\"x",le="{le}"}} {b} {ts}'
            for le, b in zip(les, buckets, strict=True)
        ]
        expected += [
            f'{h}_count{{api="a\\"x"}} {count} {ts}',
            f'{h}_sum{{api="a\\"x"}} {total} {ts}',
        ]
    expected.append("# EOF")
    assert (tmp_path / "m.om").read_text().splitlines() == expected
    assert (tmp_path / "m.om").read_text().endswith("# EOF\n")
    assert stats.series == 2 + 11 and stats.samples == 13 * 3


def test_events_outside_the_period_are_refused(tmp_path: Path) -> None:
    events = _events([("a", "GET", 200, 120.0, 0.1)])  # starts at the end: outside [start, end)
    with pytest.raises(ConfigError, match="outside the metrics period"):
        write_openmetrics(events, tmp_path / "m.om", T0, T0 + timedelta(seconds=120))
    assert not (tmp_path / "m.om").exists()


def test_too_many_samples_are_refused_before_anything_is_built(tmp_path: Path) -> None:
    """A year of samples every second for one API without requests: 11 histogram series (8
    buckets, +Inf, _count, _sum) x 31,536,001 times (0..31,536,000 s) = 346,896,011 samples,
    over the 15,000,000 cap; refused before the 31 M sample times (252 MB) are even built."""
    none = pl.DataFrame(schema=_events([("a", "GET", 200, 0.0, 0.1)]).schema)
    year = timedelta(days=365)
    with pytest.raises(ConfigError) as caught:
        write_openmetrics(none, tmp_path / "m.om", T0, T0 + year, 1, apis=["a"])
    assert str(caught.value) == (
        "metrics.om would hold 346,896,011 samples (11 series x 31,536,001 times), more than "
        "the 15,000,000 apislo writes (about 310 bytes of memory each); pass a larger "
        "--openmetrics-step or fewer --days"
    )
    assert not (tmp_path / "m.om").exists()


def test_canonical_numbers_from_the_spec() -> None:
    # OpenMetrics 1.0, "Considerations: Canonical Numbers"
    values = [0.0, 0.001, 0.002, 0.01, 0.1, 0.9, 0.95, 0.99, 0.999, 1.0, 1.7, 10.0]
    assert [canonical_number(v) for v in values] == [
        "0.0",
        "0.001",
        "0.002",
        "0.01",
        "0.1",
        "0.9",
        "0.95",
        "0.99",
        "0.999",
        "1.0",
        "1.7",
        "10.0",
    ]
    powers = [1e-10, 1e-09, 1e-05, 0.0001, 0.1, 1.0, 100000.0, 1e06, 1e10]
    assert [canonical_number(v) for v in powers] == [
        "1e-10",
        "1e-09",
        "1e-05",
        "0.0001",
        "0.1",
        "1.0",
        "100000.0",
        "1e+06",
        "1e+10",
    ]
    assert canonical_number(math.inf) == "+Inf"


def test_label_escaping() -> None:
    assert escape_label_value('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
