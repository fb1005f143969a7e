"""A job file's ``timeout`` and ``cell_timeout`` must be positive: the error names the file, the
field and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from apislo.errors import ConfigError
from apislo.schedule.jobs import load_job
from tests.schedule.test_run import JOB


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("timeout: -5", "timeout: -5.0 is not valid; allowed: a number of seconds > 0"),
        ("timeout: 0", "timeout: 0.0 is not valid; allowed: a number of seconds > 0"),
        ("timeout: .nan", "timeout: nan is not valid; allowed: a number of seconds > 0"),
        (
            "cell_timeout: 0",
            "cell_timeout: 0 is not valid; allowed: a whole number of seconds >= 1",
        ),
        (
            "cell_timeout: -1",
            "cell_timeout: -1 is not valid; allowed: a whole number of seconds >= 1",
        ),
        ("retries: -1", "retries: -1 is not valid; allowed: a whole number >= 0"),
        ("keep: 0", "keep: 0 is not valid; allowed: a whole number >= 1"),
    ],
)
def test_a_job_file_with_a_bad_number_is_refused(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "scheduled" / "t.yaml"
    path.parent.mkdir()
    key = line.partition(":")[0]  # (given once: a key given twice is refused first)
    job = JOB.format(name="t", retries=0).splitlines(keepends=True)
    path.write_text("".join(x for x in job if not x.startswith(f"{key}:")) + line + "\n")
    with pytest.raises(ConfigError) as info:
        load_job(path)
    assert str(info.value) == f"{path}: {message}"


def test_positive_timeouts_are_read_in_seconds(tmp_path: Path) -> None:
    path = tmp_path / "scheduled" / "t.yaml"
    path.parent.mkdir()
    path.write_text(JOB.format(name="t", retries=0) + "timeout: 0.5\ncell_timeout: 1\n")
    job = load_job(path)
    assert (job.timeout_s, job.cell_timeout_s) == (0.5, 1)
