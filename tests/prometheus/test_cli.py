"""`apislo prom query|pull|backfill|serve` against the real server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import requests
from click.testing import CliRunner

from apislo.cli import main
from apislo.sources.prometheus.local import free_port
from tests.prometheus.conftest import T0, fixture_openmetrics

pytestmark = pytest.mark.prometheus
START, END = "2026-01-05T00:00:00Z", "2026-01-05T03:00:00Z"


def test_query_to_csv(prom_url: str, tmp_path: Path) -> None:
    out = tmp_path / "q.csv"
    promql = 'sum by (code) (increase(http_requests_total{api="orders"}[1h]))'
    result = CliRunner().invoke(
        main,
        [
            "prom",
            "query",
            prom_url,
            promql,
            "--start",
            "2026-01-05T01:00Z",
            "--end",
            END,
            "--step",
            "1h",
            "--out",
            str(out),
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype={"code": str})
    assert list(frame.columns) == ["ts", "code", "value"]
    assert frame[frame["code"] == "200"]["value"].tolist() == [600.0, 600.0, 600.0]


def test_pull_to_parquet(prom_url: str, tmp_path: Path) -> None:
    out = tmp_path / "traffic.parquet"
    result = CliRunner().invoke(
        main,
        [
            "prom",
            "pull",
            prom_url,
            "--profile",
            "kong",
            "--start",
            START,
            "--end",
            END,
            "--step",
            "1h",
            "--out",
            str(out),
            "--no-cache",
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert frame["requests"].tolist() == [240, 240, 240]
    assert frame["ts"].iloc[0] == T0


def test_errors_are_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(
        main, ["prom", "query", url, "up", "--timeout", "0.5", "--no-cache", "--header", "bad"]
    )
    assert result.exit_code == 1 and "NAME:VALUE" in result.output
    result = CliRunner().invoke(
        main, ["prom", "pull", url, "--profile", "nope", "--out", str(tmp_path / "x.parquet")]
    )
    assert result.exit_code == 1 and "unknown profile 'nope'" in result.output


def test_backfill_then_serve(tmp_path: Path) -> None:
    om = tmp_path / "f.om"
    om.write_text(fixture_openmetrics())
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["prom", "backfill", str(om), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert list(data.glob("*/meta.json"))  # at least one TSDB block
    bad = tmp_path / "bad.om"
    bad.write_text(fixture_openmetrics().replace("# EOF\n", ""))
    result = CliRunner().invoke(main, ["prom", "backfill", str(bad), "--data-dir", str(data)])
    assert result.exit_code == 1 and "# EOF" in result.output

    port = free_port()
    apislo = str(Path(sys.executable).parent / "apislo")
    serve = subprocess.Popen(
        [apislo, "prom", "serve", "--data-dir", str(data), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        assert serve.stderr is not None
        assert f"at {url}" in serve.stderr.readline()  # printed once the server is ready
        answer = requests.get(
            url + "/api/v1/query",
            params={
                "query": 'kong_http_requests_total{service="pay"}',
                "time": T0.timestamp() + 60,
            },
            timeout=5,
        ).json()
        assert answer["data"]["result"][0]["value"][1] == "4"  # 4 m at minute 1
    finally:
        serve.send_signal(signal.SIGTERM)
        _, stderr = serve.communicate(timeout=15)
    assert serve.returncode == 143, stderr  # 128 + SIGTERM, as every command (0 until 2026-11-30)
    with pytest.raises(requests.ConnectionError):  # the server went down with the command
        requests.get(url + "/-/ready", timeout=1)


def _state(pid: int) -> str | None:
    """The state letter of process ``pid`` (``Z``: exited, not yet reaped), None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


def test_serve_killed_outright_takes_its_prometheus_down(tmp_path: Path) -> None:
    """`apislo prom serve` killed with SIGKILL (the OOM killer, `kill -9`), which no handler
    sees: its Prometheus stops too (Linux's parent-death signal), where until 2026-11-30 it went
    on serving, holding the port and the data directory's lock against the next serve."""
    port = free_port()
    apislo = str(Path(sys.executable).parent / "apislo")
    serve = subprocess.Popen(
        [apislo, "prom", "serve", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert serve.stderr is not None
    assert f"at http://127.0.0.1:{port}" in serve.stderr.readline()  # (ready)
    children = Path(f"/proc/{serve.pid}/task/{serve.pid}/children").read_text().split()
    server = int(children[0])
    try:
        assert Path(f"/proc/{server}/comm").read_text() == "prometheus\n"  # its own pid
        serve.kill()
        serve.wait(timeout=10)
        deadline = time.monotonic() + 15
        while _state(server) not in (None, "Z") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(server) in (None, "Z")
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/-/ready", timeout=1)
    finally:
        if _state(server) not in (None, "Z"):
            os.kill(server, signal.SIGKILL)


@pytest.mark.parametrize(
    ("stop", "code", "said"), [("SIGTERM", 143, ""), ("SIGINT", 130, "\nAborted!\n")]
)
def test_serve_stopped_by_a_signal_stops_its_prometheus_and_exits_as_other_commands(
    stop: str, code: int, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (systemd, a CronJob) or Ctrl-C while serving: its Prometheus is stopped, and the
    command exits 128 + the signal's number, as the other commands do, where it exited 0 (a
    service manager saw a clean exit). A stand-in server, whose wait is interrupted so."""
    stopped: list[str] = []

    class Server:
        url = "http://127.0.0.1:1"

        def __init__(self, data_dir: str, port: int) -> None:
            self.process = self

        def __enter__(self) -> Server:
            return self

        def __exit__(self, *_exc: object) -> None:
            stopped.append("stopped")

        def wait(self) -> int:
            signal.raise_signal(signal.Signals[stop])  # (its handler raises at once)
            return 0

    monkeypatch.setattr("apislo.sources.prometheus.local.LocalPrometheus", Server)
    handler = signal.getsignal(signal.SIGTERM)
    result = CliRunner().invoke(main, ["prom", "serve", "--data-dir", str(tmp_path)])
    serving = f"Prometheus serving {tmp_path} at http://127.0.0.1:1 (Ctrl-C stops it)\n"
    assert (result.exit_code, result.stderr, stopped) == (code, serving + said, ["stopped"])
    assert signal.getsignal(signal.SIGTERM) is handler  # (put back: a caller's own)


def test_a_data_dir_that_cannot_be_made_is_a_one_line_error(tmp_path: Path) -> None:
    """A file where a folder of --data-dir should be: an error naming it, not a traceback."""
    om = tmp_path / "f.om"
    om.write_text(fixture_openmetrics())
    (tmp_path / "file").write_text("")
    data = tmp_path / "file" / "data"
    expected = (
        f"error: cannot create the data directory {data} (Not a directory); pass a writable "
        "folder as --data-dir\n"
    )
    for args in (["backfill", str(om)], ["serve", "--port", "0"]):
        result = CliRunner().invoke(main, ["prom", *args, "--data-dir", str(data)])
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", expected), args
        assert isinstance(result.exception, SystemExit), args


@pytest.mark.parametrize("port", ["-1", "65536"])
def test_a_port_outside_0_to_65535_is_a_usage_error(port: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["prom", "serve", "--data-dir", str(tmp_path / "data"), "--port", port]
    )
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"Error: Invalid value for '--port': {port} is not in the range 0<=x<=65535.\n"
    )
    assert not (tmp_path / "data").exists()
