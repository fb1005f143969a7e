"""`apislo schedule` commands: list jobs, run what is due, run the loop, show the history."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from apislo.cli._common import (
    echo_json,
    fail_on_apislo_error,
    parameter_option,
    typed_parameters,
)

if TYPE_CHECKING:
    from apislo.errors import ConfigError

__all__ = ["command", "warn_invalid"]

_dir = click.option(
    "--dir",
    "schedule_dir",
    type=click.Path(file_okay=False),
    default="scheduled",
    show_default=True,
    help="Directory of job YAML files.",
)
_reports = click.option(
    "--reports",
    "reports_dir",
    type=click.Path(file_okay=False),
    default="reports",
    show_default=True,
    help="Reports directory (outputs, history.jsonl, index.html).",
)
_params = parameter_option(
    "Parameter overriding every job's (repeatable), e.g. -p dataset data/demo; a job whose "
    "notebook does not define it is not run (run and serve refuse it at once)."
)


@click.group(name="schedule")
def command() -> None:
    """Scheduled reports: one YAML job per file in scheduled/."""


def _echo_records(records: list) -> None:
    for r in records:
        slot = f" [{r.scheduled_for}]" if r.scheduled_for else ""  # (none: an invalid job file)
        tail = f" -> {r.output}" if r.status == "ok" else f": {r.error}"
        click.echo(f"{r.job}{slot} {r.status}{tail}")


@command.command(name="list")
@_dir
@click.option(
    "--count",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Next run times to show (at least 1).",
)
def list_jobs(schedule_dir: str, count: int) -> None:
    """Show each job with its next run times (exit 1 after naming each invalid job file)."""
    from datetime import UTC, datetime

    from apislo.schedule.due import next_fires
    from apislo.schedule.jobs import load_jobs

    invalid: dict[Path, ConfigError] = {}
    with fail_on_apislo_error():
        jobs = load_jobs(schedule_dir, invalid)
    now = datetime.now(UTC)
    for job in jobs:
        click.echo(
            f"{job.name}: {job.notebook} cron '{job.cron}' ({job.timezone}), "
            f"period {job.period}, keep {job.keep}"
        )
        for fire in next_fires(job, now, count):
            click.echo(f"  next {fire.isoformat()}")
    for error in dict.fromkeys(invalid.values()):  # (files sharing a name share one error)
        click.echo(f"error: {error}", err=True)
    if invalid:
        sys.exit(1)


@command.command(name="run-due")
@_dir
@_reports
@_params
def run_due(schedule_dir: str, reports_dir: str, parameters: tuple[tuple[str, str], ...]) -> None:
    """Run every job that is due, then exit (for cron, systemd timers, CronJobs, Airflow).

    Idempotent: a slot already run is not run again. Exits 1 if any run failed.
    """
    from apislo.schedule.run import run_due as _run_due

    with fail_on_apislo_error():
        records = _run_due(schedule_dir, reports_dir, params_override=typed_parameters(parameters))
    if not records:
        click.echo("nothing due")
    _echo_records(records)
    sys.exit(1 if any(r.status == "failed" for r in records) else 0)


#: sysexits.h: a temporary failure, the caller is invited to retry (the job's lock was held).
_EX_TEMPFAIL = 75


@command.command(name="run")
@click.argument("job_name")
@_dir
@_reports
@_params
def run_one(
    job_name: str, schedule_dir: str, reports_dir: str, parameters: tuple[tuple[str, str], ...]
) -> None:
    """Run JOB_NAME now for its latest slot, due or not. Exits 1 if it failed, 75 (EX_TEMPFAIL,
    try again later) if it was skipped because another run of the job was in progress. Another
    job file that is invalid is named on stderr and does not stop it."""
    from apislo.schedule.jobs import load_jobs
    from apislo.schedule.run import check_overrides, run_job

    invalid: dict[Path, ConfigError] = {}
    with fail_on_apislo_error():
        overrides = typed_parameters(parameters)  # (a refused -p: one line, as run-due's)
        jobs = {j.name: j for j in load_jobs(schedule_dir, invalid)}
        if job_name not in jobs:
            raise _no_job(job_name, sorted(jobs), invalid)
        warn_invalid(invalid)
        check_overrides([jobs[job_name]], overrides)
        record = run_job(jobs[job_name], reports_dir, params_override=overrides)
    _echo_records([record])
    sys.exit({"ok": 0, "skipped": _EX_TEMPFAIL}.get(record.status, 1))


def warn_invalid(invalid: dict[Path, ConfigError]) -> None:
    """Name each invalid job file on stderr, one ``warning:`` line each (it stops no other job)."""
    for error in dict.fromkeys(invalid.values()):  # (files sharing a name share one error)
        click.echo(f"warning: {error}", err=True)


def _no_job(name: str, jobs: list[str], invalid: dict[Path, ConfigError]) -> ConfigError:
    """The error for a job name that was not loaded: its job file's own error when the file
    named after it is invalid, else the list of jobs."""
    from apislo.errors import ConfigError

    errors = [error for path, error in invalid.items() if path.stem == name]
    if errors:
        return errors[0]
    return ConfigError(f"no job {name!r}; jobs: {', '.join(jobs) or 'none'}")


@command.command(name="serve")
@_dir
@_reports
@_params
@click.option(
    "--poll",
    "poll_s",
    type=float,
    default=60.0,
    show_default=True,
    help="Longest sleep between checks, seconds.",
)
def serve(
    schedule_dir: str, reports_dir: str, parameters: tuple[tuple[str, str], ...], poll_s: float
) -> None:
    """Run the scheduler loop in the foreground (Ctrl-C or SIGTERM stops it).

    Like the other commands, a signal stops a report in progress (its worker and kernel too),
    records it as stopped, and exits 143 on SIGTERM, 130 on Ctrl-C. A refused ``-p`` exits 1
    at once, in one line (until 2026-11-30 a traceback).
    """
    from apislo.schedule.run import serve as _serve

    click.echo(f"serving {schedule_dir} -> {reports_dir}; Ctrl-C stops")
    # (SIGTERM raises SystemExit(143) and Ctrl-C KeyboardInterrupt: see apislo.cli.run)
    with fail_on_apislo_error():
        overrides = typed_parameters(parameters)
        _serve(schedule_dir, reports_dir, poll_s=poll_s, params_override=overrides)


@command.command(name="history")
@_reports
@_dir
@click.option(
    "--job",
    "job_name",
    default=None,
    help="Only this job: one in --dir, or one with runs on record (a job file since removed).",
)
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest runs shown."
)
@click.option("--json", "as_json", is_flag=True, help="A JSON array of the recorded runs.")
def history(
    reports_dir: str, schedule_dir: str, job_name: str | None, limit: int, as_json: bool
) -> None:
    """Show recorded runs, newest last. An unknown --job is an error, as for `schedule run`."""
    from dataclasses import asdict

    from apislo.schedule.history import read_history
    from apislo.schedule.jobs import load_jobs

    with fail_on_apislo_error():
        if not _before_first_run(schedule_dir):
            check_reports_dir(reports_dir)
    every = read_history(reports_dir)
    recorded = {r.job for r in every}
    if job_name is not None and job_name not in recorded:
        invalid: dict[Path, ConfigError] = {}
        with fail_on_apislo_error():
            jobs = load_jobs(schedule_dir, invalid) if Path(schedule_dir).is_dir() else []
            if job_name not in {j.name for j in jobs}:
                raise _no_job(job_name, sorted(recorded | {j.name for j in jobs}), invalid)
    records = [r for r in every if job_name in (None, r.job)][-limit:]
    if as_json:
        echo_json([asdict(r) for r in records])
        return
    for r in records:
        tail = r.output if r.status == "ok" else r.error
        click.echo(f"{r.start}  {r.job:<20} {r.status:<8} {r.attempts}x  {tail}")


def _before_first_run(schedule_dir: str) -> bool:
    """Whether the default ``--reports`` may be missing: in a project (``--dir`` is a folder)
    whose jobs have not run yet, which is no mistyped folder (on 2026-11-29 it was refused)."""
    from click.core import ParameterSource

    source = click.get_current_context().get_parameter_source("reports_dir")
    return source is ParameterSource.DEFAULT and Path(schedule_dir).is_dir()


def check_reports_dir(reports_dir: str) -> None:
    """Refuse a ``--reports`` folder that does not exist, for the commands that read what runs
    wrote there: a mistyped one is an error, not an empty history or a new empty site (until
    2026-11-29 `schedule history` printed nothing and exited 0).

    Raises:
        ConfigError: naming the option and the folder.
    """
    from apislo.errors import ConfigError

    if not Path(reports_dir).is_dir():
        raise ConfigError(
            f"--reports {reports_dir}: no such folder; pass the folder holding history.jsonl"
            " (or create it first)"
        )
