"""Two job files giving one name (QA, 2026-11-29: `cp scheduled/alpha.yaml scheduled/alpha2.yaml`
to start a new job, its `name:` not yet changed) stop no other job: both files are invalid,
recorded failed under their file names and shown in the index, and every other job runs. Until
then `run-due` stopped at `job name 'alpha' is used by ...`, ran no job and recorded nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError
from apislo.schedule.jobs import load_jobs
from apislo.schedule.run import run_due
from tests.schedule.test_run import JOB, dirs, fake  # noqa: F401  (the fixtures)

NOW = datetime(2026, 11, 28, 7, tzinfo=UTC)


@pytest.fixture
def copied(dirs) -> tuple[Path, Path]:  # noqa: F811
    """alpha (a.yaml), beta (b.yaml) and c.yaml, a copy of a.yaml still named alpha."""
    sched, reports = dirs
    (sched / "c.yaml").write_text(JOB.format(name="alpha", retries=0))
    return sched, reports


def test_both_files_of_one_name_fail_and_the_other_jobs_run(copied, fake) -> None:  # noqa: F811
    sched, reports = copied
    error = f"job name 'alpha' is used by {sched / 'a.yaml'} and {sched / 'c.yaml'}; "
    error += "give each its own name"
    records = run_due(sched, reports, now=NOW)
    assert [(r.job, r.status, r.error) for r in records] == [
        ("a", "failed", error),
        ("c", "failed", error),
        ("beta", "ok", ""),
    ]
    assert [out.relative_to(reports).as_posix() for _, out in fake.calls] == [
        "beta/2026-11-27.html"
    ]
    assert run_due(sched, reports, now=datetime(2026, 11, 28, 7, 1, tzinfo=UTC)) == []
    index = (reports / "index.html").read_text()
    assert index.count(error.replace("'", "&#x27;")) == 4  # latest a and c, and their runs


def test_schedule_list_names_them_and_exits_1(copied) -> None:
    sched, _ = copied
    result = CliRunner().invoke(main, ["schedule", "list", "--dir", str(sched), "--count", "1"])
    assert result.exit_code == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()[::2]] == ["beta"]
    error = f"job name 'alpha' is used by {sched / 'a.yaml'} and {sched / 'c.yaml'}"
    assert result.stderr == f"error: {error}; give each its own name\n"


def test_without_a_place_for_invalid_files_it_is_raised(copied) -> None:
    sched, _ = copied
    with pytest.raises(ConfigError) as info:
        load_jobs(sched)
    assert str(info.value) == (
        f"job name 'alpha' is used by {sched / 'a.yaml'} and {sched / 'c.yaml'}; "
        "give each its own name"
    )


def test_two_jobs_writing_one_output_are_both_invalid(dirs, fake) -> None:  # noqa: F811
    """c.yaml, a copy of a.yaml renamed gamma, its output still `alpha/...`: gamma's report
    replaced alpha's, and each job's `keep` deleted the other's reports."""
    sched, reports = dirs
    job = JOB.format(name="gamma", retries=0).replace('"gamma/', '"alpha/')
    (sched / "c.yaml").write_text(job)
    (sched / "d.yaml").write_text(JOB.format(name="delta", retries=0).replace('"delta/', '"{job}/'))
    error = f"output 'alpha/{{period_start:%Y-%m-%d}}.html' is used by {sched / 'a.yaml'} and "
    error += f"{sched / 'c.yaml'}; put {{job}} in it"
    records = run_due(sched, reports, now=NOW)
    assert [(r.job, r.status, r.error) for r in records] == [
        ("a", "failed", error),
        ("c", "failed", error),
        ("beta", "ok", ""),
        ("delta", "ok", ""),
    ]
    assert [out.relative_to(reports).as_posix() for _, out in fake.calls] == [
        "beta/2026-11-27.html",
        "delta/2026-11-27.html",
    ]
