"""Where `apislo prom query|pull` write: ``--out`` that cannot be written is a one-line error
(it was a pyarrow traceback), and a ``.CSV`` name gets CSV (it got Parquet)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from apislo.cli import main

pytestmark = pytest.mark.prometheus
WINDOW = ["--start", "2026-01-05T00:00Z", "--end", "2026-01-05T02:00Z", "--step", "1h"]


def _pull(url: str, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["prom", "pull", url, "--profile", "kong", *WINDOW, "--out", str(out), "--no-cache"]
    )
    return result.exit_code, result.stderr


def test_an_upper_case_csv_name_gets_csv(prom_url: str, tmp_path: Path) -> None:
    out = tmp_path / "TRAFFIC.CSV"
    assert _pull(prom_url, out) == (0, f"2 rows -> {out}\n")
    frame = pd.read_csv(out)
    assert frame["requests"].tolist() == [240, 240]  # conftest: Kong pay, 4 m at minute m


def test_an_out_that_cannot_be_written_is_one_line(prom_url: str, tmp_path: Path) -> None:
    assert _pull(prom_url, tmp_path) == (1, f"error: cannot write {tmp_path}: Is a directory\n")
    (tmp_path / "file").write_text("")
    out = tmp_path / "file" / "t.parquet"
    expected = f"error: cannot write {out}: {tmp_path / 'file'} is a file, not a folder\n"
    assert _pull(prom_url, out) == (1, expected)
    result = CliRunner().invoke(
        main, ["prom", "query", prom_url, "up", *WINDOW, "--out", str(tmp_path), "--no-cache"]
    )
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: cannot write {tmp_path}: Is a directory\n",
    )
