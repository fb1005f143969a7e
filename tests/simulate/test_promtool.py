"""metrics.om for real: promtool backfills it, and Prometheus answers PromQL with the log counts."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from apislo.simulate import SimulationResult, simulate
from tests.conftest import require_binary

from .conftest import tsv_registered

pytestmark = pytest.mark.prometheus

END = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimulationResult, Path]:
    """Six hours, two APIs, backfilled into a TSDB folder with promtool's default 2 h blocks."""
    promtool = require_binary("promtool")
    out = tmp_path_factory.mktemp("om")
    with tsv_registered():
        result = simulate(
            out, days=0.25, apis=2, seed=3, formats=("test-tsv",), openmetrics=True, end=END
        )
    tsdb = out / "tsdb"
    run = subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(result.openmetrics.path),
            str(tsdb),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return result, tsdb


def test_promtool_writes_blocks_in_the_period(backfilled) -> None:
    result, tsdb = backfilled
    listing = subprocess.run(
        [require_binary("promtool"), "tsdb", "list", str(tsdb)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    header, rows = listing[0].split(), [line.split() for line in listing[1:] if line.strip()]
    assert header[:5] == ["BLOCK", "ULID", "MIN", "TIME", "MAX"]
    # columns: ULID, min time (ms), max time (ms), duration, samples, chunks, series, size
    start_ms = int(END.timestamp() * 1000) - 6 * 3_600_000
    end_ms = int(END.timestamp() * 1000)
    assert len(rows) == 4  # 2 h blocks: [0,2), [2,4), [4,6) h and the last sample at 6 h
    assert min(int(r[1]) for r in rows) == start_ms
    assert max(int(r[2]) for r in rows) == end_ms + 1  # max time is exclusive
    # promtool silently drops out-of-order samples: every written sample must be there
    assert sum(int(r[4]) for r in rows) == result.openmetrics.samples


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _query(base: str, promql: str) -> float:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    with urllib.request.urlopen(url, timeout=10) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    (sample,) = body["data"]["result"]
    return float(sample["value"][1])


def test_promql_differences_equal_log_counts(backfilled, tmp_path: Path) -> None:
    result, tsdb = backfilled
    prometheus = require_binary("prometheus")
    data = tmp_path / "data"
    shutil.copytree(tsdb, data)
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    port = _free_port()
    proc = subprocess.Popen(
        [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=10y",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        events = result.events.to_pandas()
        t1, t2 = (
            pd.Timestamp(END) - pd.Timedelta(hours=5),
            pd.Timestamp(END) - pd.Timedelta(minutes=97),
        )
        checked = {"requests": 0, "errors": 0, "slow": 0}
        for api in ("orders", "payments"):
            window = events[(events["api"] == api) & (events["ts"] >= t1) & (events["ts"] < t2)]
            s1, s2 = int(t1.timestamp()), int(t2.timestamp())
            got = _query(
                base,
                f'sum(http_requests_total{{api="{api}"}} @ {s2}) - '
                f'sum(http_requests_total{{api="{api}"}} @ {s1})',
            )
            assert got == len(window)
            errors = _query(  # "or vector(0)": an API may have no 5xx series at all
                base,
                f'(sum(http_requests_total{{api="{api}",code=~"5.."}} @ {s2}) or vector(0)) - '
                f'(sum(http_requests_total{{api="{api}",code=~"5.."}} @ {s1}) or vector(0))',
            )
            assert errors == int((window["status"] >= 500).sum())
            slow = _query(
                base,
                f'(http_request_duration_seconds_count{{api="{api}"}} @ {s2} - ignoring(le) '
                f'http_request_duration_seconds_bucket{{api="{api}",le="0.3"}} @ {s2}) - '
                f'(http_request_duration_seconds_count{{api="{api}"}} @ {s1} - ignoring(le) '
                f'http_request_duration_seconds_bucket{{api="{api}",le="0.3"}} @ {s1})',
            )
            assert slow == int((window["latency_s"] > 0.3).sum())
            checked = {
                "requests": checked["requests"] + got,
                "errors": checked["errors"] + errors,
                "slow": checked["slow"] + slow,
            }
        assert min(checked.values()) > 0  # the window holds requests, errors and slow ones
    finally:
        proc.terminate()
        proc.wait(timeout=30)
