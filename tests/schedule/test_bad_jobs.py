"""A job file with a bad template or a six-field cron is refused when it is read (``schedule
list`` names it), and it stops no other job in ``run-due`` or ``serve`` (fake notebook runs)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import apislo.report.runner as runner
from apislo.cli import main
from apislo.errors import ConfigError
from apislo.schedule.history import read_history
from apislo.schedule.jobs import load_job, load_jobs
from apislo.schedule.run import run_due, serve
from tests.schedule.test_run import JOB, FakeRunner

# QA's /tmp/qa3/repro/aaa-bad.yaml: `{period}` is no template value (period_start is)
BAD_TEMPLATE = """\
name: aaa-bad
notebook: notebooks/quick.ipynb
cron: "* * * * *"
period: hour
parameters:
  label: "{period}"
output: "aaa/{scheduled:%Y%m%d%H%M}.html"
"""


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """Two good jobs (alpha, beta: daily at 06:00 UTC) and QA's bad one, and the reports dir."""
    sched = tmp_path / "scheduled"
    sched.mkdir()
    (sched / "a.yaml").write_text(JOB.format(name="alpha", retries=0))
    (sched / "b.yaml").write_text(JOB.format(name="beta", retries=0))
    (sched / "aaa-bad.yaml").write_text(BAD_TEMPLATE)
    return sched, tmp_path / "reports"


@pytest.fixture
def sched(dirs: tuple[Path, Path]) -> Path:
    return dirs[0]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRunner:
    fake = FakeRunner()
    monkeypatch.setattr(runner, "run_report", fake)
    return fake


def test_a_bad_template_is_refused_when_the_file_is_read(sched: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_job(sched / "aaa-bad.yaml")
    assert str(info.value).startswith(f"{sched / 'aaa-bad.yaml'}: template error 'period'; use")
    invalid: dict = {}
    assert [j.name for j in load_jobs(sched, invalid)] == ["alpha", "beta"]
    assert list(invalid) == [sched / "aaa-bad.yaml"]


def test_run_due_runs_the_good_jobs_and_records_the_bad_one(dirs, sched: Path, fake) -> None:
    _, reports = dirs
    now = datetime(2026, 11, 28, 7, tzinfo=UTC)
    records = run_due(sched, reports, now=now)
    assert [(r.job, r.status) for r in records] == [
        ("aaa-bad", "failed"),
        ("alpha", "ok"),
        ("beta", "ok"),
    ]
    assert "template error 'period'" in records[0].error
    assert len(fake.calls) == 2
    assert [r.job for r in read_history(reports)] == ["aaa-bad", "alpha", "beta"]


def test_serve_runs_the_good_jobs_beside_a_bad_one(dirs, sched: Path, fake) -> None:
    _, reports = dirs

    class OneTurn(threading.Event):
        """Stops the loop at its first sleep: one turn of run-due, then return."""

        def wait(self, timeout: float | None = None) -> bool:
            self.set()
            return True

    serve(sched, reports, poll_s=1, stop=OneTurn())
    assert len(fake.calls) == 2  # alpha and beta, at their latest 06:00 slot
    assert sorted(r.job for r in read_history(reports)) == ["aaa-bad", "alpha", "beta"]


def test_list_names_the_bad_template_and_exits_1(sched: Path, monkeypatch) -> None:
    monkeypatch.chdir(sched.parent)
    out = CliRunner().invoke(main, ["schedule", "list", "--count", "1"])
    assert out.exit_code == 1
    assert out.stdout.startswith("alpha: ") and out.stdout.count("  next ") == 2
    assert out.stderr.startswith("error: scheduled/aaa-bad.yaml: template error 'period'")


@pytest.mark.parametrize("cron", ["0 6 * * * *", "0 0 6 * * * *", "0 6 * *"])
def test_cron_needs_exactly_five_fields(tmp_path: Path, cron: str) -> None:
    path = tmp_path / "scheduled" / "six.yaml"
    path.parent.mkdir()
    path.write_text(JOB.format(name="six", retries=0).replace("0 6 * * *", cron))
    with pytest.raises(ConfigError) as info:
        load_job(path)
    assert str(info.value) == (
        f"{path}: cron: {cron!r} is not valid; allowed: a five-field cron expression such as "
        "'0 6 * * *'"
    )


def test_a_job_name_ending_in_a_newline_is_refused(tmp_path: Path) -> None:
    # `name: "daily\n"` (or a `|` block) passed until 2026-11-29: `$` matched before the final
    # newline, and the name went into the report folder's path and the history
    path = tmp_path / "scheduled" / "daily.yaml"
    path.parent.mkdir()
    path.write_text(JOB.format(name="daily", retries=0).replace("name: daily", 'name: "daily\\n"'))
    with pytest.raises(ConfigError) as info:
        load_job(path)
    assert (
        str(info.value)
        == f"{path}: name: 'daily\\n' is not valid; allowed: letters, digits, - and _"
    )


def test_a_job_file_that_is_not_yaml_or_not_utf8_is_one_line_and_stops_no_job(
    dirs, sched: Path, fake
) -> None:
    # QA: PyYAML's message quoted the broken line, a password with it, into the history and
    # index.html; a Latin-1 file stopped run-due with a UnicodeDecodeError traceback
    (sched / "aaa-bad.yaml").unlink()
    (sched / "quote.yaml").write_text(
        'name: quote\nnotebook: n.ipynb\ncron: "0 6 * * *"\nparameters:\n'
        '  prometheus_url: "https://bob:hunter2@prom.example\n'
    )
    (sched / "latin.yaml").write_bytes(b'name: latin\ndescription: "caf\xe9"\n')
    _, reports = dirs
    records = run_due(sched, reports, now=datetime(2026, 11, 28, 7, tzinfo=UTC))
    assert [(r.job, r.status, r.error) for r in records] == [
        ("latin", "failed", f"{sched / 'latin.yaml'}: cannot read job file: not UTF-8 text"),
        (
            "quote",
            "failed",
            f"{sched / 'quote.yaml'}: line 6: job file is not valid YAML: "
            "found unexpected end of stream",
        ),
        ("alpha", "ok", ""),
        ("beta", "ok", ""),
    ]
    assert "hunter2" not in (reports / "history.jsonl").read_text()
    assert "hunter2" not in (reports / "index.html").read_text()


def test_a_date_that_cannot_be_or_a_self_holding_value_stops_no_job(
    dirs, sched: Path, fake
) -> None:
    # QA: `start: 2026-02-30` (YAML reads it as a date) and `apis: &a [orders, *a]` (a list
    # holding itself) were a ValueError and a RecursionError traceback: run-due and `schedule
    # list` stopped at them, no job ran
    (sched / "aaa-bad.yaml").unlink()
    head = 'notebook: n.ipynb\ncron: "0 6 * * *"\nparameters:\n'
    (sched / "feb.yaml").write_text(f"name: feb\n{head}  start: 2026-02-30\n")
    (sched / "loop.yaml").write_text(f"name: loop\n{head}  apis: &a [orders, *a]\n")
    _, reports = dirs
    records = run_due(sched, reports, now=datetime(2026, 11, 28, 7, tzinfo=UTC))
    assert [(r.job, r.status, r.error) for r in records] == [
        (
            "feb",
            "failed",
            f"{sched / 'feb.yaml'}: job file is not valid YAML: a value does not fit its type "
            "(day is out of range for month)",
        ),
        (
            "loop",
            "failed",
            f"{sched / 'loop.yaml'}: parameter 'apis' holds itself or is nested too deep; "
            "give plain values",
        ),
        ("alpha", "ok", ""),
        ("beta", "ok", ""),
    ]


def test_a_key_given_twice_is_one_line_naming_it_and_stops_no_job(dirs, sched: Path, fake) -> None:
    # QA: PyYAML kept the second `parameters:` silently, so the run went without the first's
    # Prometheus URL; the error names the key and both lines (counted by hand: 4 and 6), never
    # the value (a password in the URL)
    (sched / "aaa-bad.yaml").unlink()
    (sched / "twice.yaml").write_text(
        'name: twice\nnotebook: n.ipynb\ncron: "0 6 * * *"\nparameters:\n'
        '  prometheus_url: "https://bob:hunter2@prom.example"\nparameters:\n  spec: s.yaml\n'
    )
    _, reports = dirs
    records = run_due(sched, reports, now=datetime(2026, 11, 28, 7, tzinfo=UTC))
    assert [(r.job, r.status, r.error) for r in records] == [
        (
            "twice",
            "failed",
            f"{sched / 'twice.yaml'}: line 6: job file is not valid YAML: duplicate key "
            "'parameters' (also on line 4): keep one",
        ),
        ("alpha", "ok", ""),
        ("beta", "ok", ""),
    ]
    assert "hunter2" not in (reports / "history.jsonl").read_text()


def test_values_nested_too_deep_are_one_line_and_stop_no_job(dirs, sched: Path, fake) -> None:
    # QA: a list nested 1,000 deep was a RecursionError traceback from PyYAML, which composes
    # nested values recursively: run-due stopped at it, no job ran. The nesting is all on line 5
    (sched / "aaa-bad.yaml").unlink()
    head = 'notebook: n.ipynb\ncron: "0 6 * * *"\nparameters:\n'
    (sched / "deep.yaml").write_text(f"name: deep\n{head}  apis: {'[' * 1000}{']' * 1000}\n")
    _, reports = dirs
    records = run_due(sched, reports, now=datetime(2026, 11, 28, 7, tzinfo=UTC))
    assert [(r.job, r.status, r.error) for r in records] == [
        (
            "deep",
            "failed",
            f"{sched / 'deep.yaml'}: line 5: job file is not valid YAML: values nested too deep "
            "(hundreds of lists or mappings, one in another): nest them less",
        ),
        ("alpha", "ok", ""),
        ("beta", "ok", ""),
    ]
