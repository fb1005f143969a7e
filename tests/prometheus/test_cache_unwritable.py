"""A chunk cache folder that cannot be written stops no pull: one warning names the folder and
what to pass instead, and the pull goes on uncached (until 2026-11-29, a raw traceback from
``mkdir`` or the salt file)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from apislo.sources.prometheus import Prometheus
from tests.prometheus.conftest import T0

pytestmark = pytest.mark.prometheus
H = pd.Timedelta(hours=1)
PROMQL = "sum by (api) (increase(http_requests_total[1h]))"
ADVICE = (
    'going on without it: make it writable, or pass cache="/another/folder" (command line: '
    "$APISLO_CACHE_DIR) or cache=False (--no-cache)"
)


def test_a_cache_folder_under_a_file_warns_once_and_the_pull_goes_on(
    prom_url: str, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    folder = tmp_path / "file" / "cache"
    prom = Prometheus(prom_url, cache=folder, chunk_points=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = prom.query_range(PROMQL, T0 + H, T0 + 3 * H, "1h")
        again = prom.query_range(PROMQL, T0 + H, T0 + 3 * H, "1h")
    assert [str(w.message) for w in caught] == [
        f"Prometheus chunk cache: cannot write {folder}: {tmp_path / 'file'} is a file, not a "
        f"folder; {ADVICE}"
    ]
    # orders, per hour: 600 (code 200, 10 a minute) + 6 (500s, one each 10 minutes), and 120
    # 429s (2 a minute from minute 120) in the third hour
    assert frame[frame["api"] == "orders"]["value"].tolist() == [606.0, 606.0, 726.0]
    pd.testing.assert_frame_equal(frame, again)


def test_a_traffic_pull_with_a_cache_under_proc_warns_and_counts(prom_url: str) -> None:
    prom = Prometheus(prom_url, cache="/proc/apislo-nope/cache")
    with pytest.warns(UserWarning) as caught:
        frame = prom.traffic("kong", T0, T0 + 2 * H, "1h")
    assert [str(w.message) for w in caught] == [
        "Prometheus chunk cache: cannot write /proc/apislo-nope/cache: No such file or "
        f"directory; {ADVICE}"
    ]
    assert frame["requests"].tolist() == [240, 240]  # kong pay: 4 a minute


def test_the_command_line_goes_on_with_an_unwritable_cache(prom_url: str, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    out = tmp_path / "q.csv"
    args = ["prom", "query", prom_url, PROMQL, "--start", "2026-01-05T01:00Z"]
    args += ["--end", "2026-01-05T03:00Z", "--step", "1h", "--out", str(out)]
    result = subprocess.run(
        [sys.executable, "-c", "from apislo.cli import run; run()", *args],
        env={**os.environ, "APISLO_CACHE_DIR": str(tmp_path / "file")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out)
    assert frame[frame["api"] == "orders"]["value"].tolist() == [606.0, 606.0, 726.0]
    folder = tmp_path / "file" / "prometheus"  # $APISLO_CACHE_DIR/prometheus
    # one line, as the commands print their own warnings (it was Python's file:line: form,
    # with a source line after it)
    assert result.stderr.splitlines()[0] == (
        f"warning: Prometheus chunk cache: cannot write {folder}: {tmp_path / 'file'} is a "
        f"file, not a folder; {ADVICE}"
    )
    assert "UserWarning" not in result.stderr and "Traceback" not in result.stderr
