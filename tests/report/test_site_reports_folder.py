"""``report site --reports DIR`` needs DIR to exist (QA: a mistyped --reports made a new folder
holding an index where every job had never run, and exited 0)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from apislo.cli import main


def test_a_missing_reports_folder_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nonexist"
    out = CliRunner().invoke(main, ["report", "site", "--reports", str(missing)])
    assert out.exit_code == 1
    assert out.stderr == (
        f"error: --reports {missing}: no such folder; pass the folder holding history.jsonl "
        "(or create it first)\n"
    )
    assert not missing.exists()


def test_an_existing_empty_reports_folder_gets_its_index(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["report", "site", "--reports", str(tmp_path)])
    assert (out.exit_code, out.stdout) == (0, f"{tmp_path / 'index.html'}\n")
