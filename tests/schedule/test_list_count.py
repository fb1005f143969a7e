"""``schedule list --count N`` shows N next run times; a count below 1 is refused, as
``history --limit`` is (QA: `--count 0` and `--count -2` exited 0 showing no run time)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from tests.schedule.test_run import JOB


@pytest.mark.parametrize("count", ["0", "-2"])
def test_a_count_below_one_is_refused(tmp_path: Path, count: str) -> None:
    (tmp_path / "a.yaml").write_text(JOB.format(name="alpha", retries=0))
    out = CliRunner().invoke(main, ["schedule", "list", "--dir", str(tmp_path), "--count", count])
    assert out.exit_code == 2  # a usage error, before anything is printed
    assert f"Invalid value for '--count': {count} is not in the range x>=1." in out.output
    assert "alpha" not in out.output
