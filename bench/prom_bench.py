"""Prometheus pull benchmark: apislo's chunked, concurrent range query beside
``prometheus-api-client``'s own ``get_metric_range_data(chunk_size=...)``, same server, same run.

Generates ``--series`` counters (default 50) sampled every 60 s for ``--days`` (default 30: 43,201
points per series, four times Prometheus's 11,000-point limit for one query), backfills them with
``promtool`` into a temporary data directory, starts Debian's ``prometheus`` on a free loopback
port, then times (best of ``--repeat``):

* baseline fetch: ``PrometheusConnect.get_metric_range_data(metric, chunk_size=1 day)``
  (sequential instant queries of ``metric[1d]``), the same plus its ``MetricRangeDataFrame``, and
  the same asking for uncompressed answers (as apislo does on loopback);
* apislo ``Prometheus.query_range(metric, step="60s")`` to a tidy frame, with the default
  concurrency (4) and with concurrency 1, and a second run served from the chunk cache.

Then checks that both give identical (series, ts, value) triples, counting the duplicate samples
the baseline returns at its chunk edges (its range selectors include both ends).

Usage::

    .venv/bin/python bench/prom_bench.py [--series 50] [--days 30] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from apislo.sources.prometheus import Prometheus
from apislo.sources.prometheus.local import LocalPrometheus, backfill

__all__ = ["generate", "main"]

METRIC = "bench_requests_total"
START = pd.Timestamp("2026-01-01T00:00:00Z")


def generate(path: Path, series: int, days: int, seed: int = 7) -> int:
    """Write an OpenMetrics file of ``series`` counters at 60 s for ``days``; returns samples."""
    rng = np.random.default_rng(seed)
    points = days * 1440 + 1
    t0 = int(START.timestamp())
    ts = t0 + 60 * np.arange(points, dtype=np.int64)
    frames = []
    for k in range(series):
        values = np.cumsum(rng.poisson(20 + k, points))
        frames.append(pl.DataFrame({"api": f"api{k:02d}", "v": values, "t": ts}))
    data = pl.concat(frames)
    lines = data.select(
        pl.concat_str([pl.lit(METRIC + '{api="'), "api", pl.lit('"} '), "v", pl.lit(" "), "t"])
    )
    with path.open("w") as out:
        out.write("# TYPE bench_requests counter\n")
        lines.write_csv(out, include_header=False, quote_style="never")
        out.write("# EOF\n")
    return data.height


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def _triples_baseline(data: list[dict]) -> tuple[pd.DataFrame, int]:
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "api": s["metric"]["api"],
                    "ts": np.array([p[0] for p in s["values"]], dtype=np.float64),
                    "value": np.array([p[1] for p in s["values"]], dtype=np.float64),
                }
            )
            for s in data
        ]
    )
    unique = rows.drop_duplicates(["api", "ts"])
    return unique.sort_values(["api", "ts"]).reset_index(drop=True), len(rows) - len(unique)


def _triples_apislo(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "api": frame["api"].astype(str).to_numpy(),
            "ts": frame["ts"].astype("int64[pyarrow]").to_numpy() / 1e6,
            "value": frame["value"].to_numpy("float64"),
        }
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; 1 if values differ or tools are missing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", type=int, default=50)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not (shutil.which("prometheus") and shutil.which("promtool")):
        print("prometheus/promtool not installed: skipped (apt-get install prometheus)")
        return 1
    from prometheus_api_client import MetricRangeDataFrame, PrometheusConnect

    end = START + pd.Timedelta(days=args.days)
    with tempfile.TemporaryDirectory(prefix="apislo-prom-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        samples = generate(root / "bench.om", args.series, args.days)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        backfill(root / "bench.om", root / "data", max_block_duration=f"{args.days * 24 + 24}h")
        backfilled = time.perf_counter() - started
        print(f"data: {args.series} series x {args.days * 1440 + 1:,} points = {samples:,} samples")
        print(f"generate {generated:.1f} s, promtool backfill {backfilled:.1f} s")
        with LocalPrometheus(root / "data") as server:
            client = PrometheusConnect(server.url)

            def baseline() -> list[dict]:
                return client.get_metric_range_data(
                    METRIC,
                    start_time=START.to_pydatetime(),
                    end_time=end.to_pydatetime(),
                    chunk_size=timedelta(days=1),
                )

            def baseline_frame() -> pd.DataFrame:
                return MetricRangeDataFrame(baseline())

            def pull(concurrency: int, cache: Path | bool = False) -> pd.DataFrame:
                prom = Prometheus(server.url, cache=cache, concurrency=concurrency)
                return prom.query_range(METRIC, START, end, "60s")

            plain = PrometheusConnect(server.url, headers={"Accept-Encoding": "identity"})

            def baseline_plain() -> list[dict]:
                return plain.get_metric_range_data(
                    METRIC,
                    start_time=START.to_pydatetime(),
                    end_time=end.to_pydatetime(),
                    chunk_size=timedelta(days=1),
                )

            # interleaved repeats, best of each, so machine load hits both sides alike
            runs: dict[str, list[float]] = {}
            for _ in range(args.repeat):
                for name, fn in (
                    ("base", baseline),
                    ("base_plain", baseline_plain),
                    ("ours", lambda: pull(4)),
                    ("ours1", lambda: pull(1)),
                ):
                    seconds, result = _best(fn, 1)
                    runs.setdefault(name, []).append(seconds)
                    if name == "base":
                        raw = result
                    elif name == "ours":
                        ours = result
            t_base, t_plain = min(runs["base"]), min(runs["base_plain"])
            t_ours, t_ours1 = min(runs["ours"]), min(runs["ours1"])
            t_base_df, _ = _best(baseline_frame, 1)
            pull(4, root / "cache")
            t_cached, _ = _best(lambda: pull(4, root / "cache"), args.repeat)

        base, duplicates = _triples_baseline(raw)
        mine = _triples_apislo(ours)
        same = (
            len(base) == len(mine)
            and (base["api"].to_numpy() == mine["api"].to_numpy()).all()
            and np.array_equal(base["ts"].to_numpy(), mine["ts"].to_numpy())
            and np.array_equal(base["value"].to_numpy(), mine["value"].to_numpy())
        )
    rows = [
        ("prometheus-api-client get_metric_range_data (1 d chunks)", t_base),
        ("  ... + MetricRangeDataFrame", t_base_df),
        ("  ... without gzip (Accept-Encoding: identity)", t_plain),
        ("apislo query_range -> tidy frame, concurrency 4", t_ours),
        ("apislo query_range -> tidy frame, concurrency 1", t_ours1),
        ("apislo query_range, all chunks from the cache", t_cached),
    ]
    for label, seconds in rows:
        print(f"{label:<60} {seconds:7.2f} s  {samples / seconds / 1e6:6.2f} M points/s")
    print(
        f"speed-up vs get_metric_range_data: {t_base / t_ours:.1f}x (fetch only), "
        f"{t_base_df / t_ours:.1f}x (with its frame)"
    )
    print(
        f"identical (series, ts, value): {same}; rows {len(mine):,}; baseline returned "
        f"{duplicates:,} duplicate samples at its chunk edges (removed before comparing)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
