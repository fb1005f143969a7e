"""Run jobs: once now, what is due, everything (the demo), or in a loop (``schedule serve``).

Every run takes the job's lock, retries on failure (not on a :class:`ConfigError`, which no
retry mends: a missing notebook, a file that is not one), appends one history record, prunes the
job's old reports and failed notebooks and the history's old runs
(:mod:`~apislo.schedule.retention`) and regenerates ``reports/index.html``. A job that fails,
even to be written or recorded (disk full, no permission), stops no other job. ``run-due`` and
the demo's runs first sweep what dead runs left anywhere in the reports folder
(:func:`~apislo.report.atomic.sweep_tree`), a removed job's folder too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apislo.errors import ApisloError, ConfigError, ReportWriteError
from apislo.report.atomic import sweep_tree
from apislo.schedule.due import due_slot, last_fire, next_fires, period_window
from apislo.schedule.history import RunRecord, append_record, read_history
from apislo.schedule.jobs import Job, load_jobs
from apislo.schedule.lock import job_lock
from apislo.schedule.retention import prune_reports, trim_history

__all__ = ["rebuild_site", "run_all_jobs", "run_due", "run_job", "serve"]

log = logging.getLogger(__name__)
LOCK_DIR = ".locks"
_RETRY_PAUSE_S = 5.0


def _now() -> datetime:
    return datetime.now(UTC)


def run_job(
    job: Job,
    reports_dir: str | Path,
    scheduled: datetime | None = None,
    params_override: Mapping[str, Any] | None = None,
    *,
    only_if_not_done: bool = False,
    window: tuple[datetime, datetime] | None = None,
) -> RunRecord:
    """Run one job for the slot ``scheduled`` (default: its latest fire time) and record it.

    Args:
        job: the job.
        reports_dir: reports directory (outputs, history, locks, index).
        scheduled: the cron slot; sets the data window.
        params_override: parameters that replace the job's (e.g. the demo's dataset path).
        only_if_not_done: skip (without recording) when the slot has run (``ok`` or
            ``failed``; a ``skipped`` run is none); checked under the lock, so two concurrent
            ``run-due`` never run a slot twice.
        window: ``[start, end)`` to report on instead of the job's period before the slot (the
            demo's simulated week): the parameters, the output name and the record follow it,
            and the run is recorded as a demo run (``demo``, no ``scheduled_for``), which
            takes no slot.

    Returns:
        The record appended (status ``ok``, ``failed`` or ``skipped``); ``failed`` with the
        error if the history could not be written (see :func:`_append`).

    Raises:
        ApisloError: the run could not start: its lock cannot be written, or its template fails.
    """
    from apislo.report.runner import new_run_id, run_report

    reports_dir = Path(reports_dir)
    scheduled = scheduled or last_fire(job, _now())
    demo = window is not None
    slot = "" if demo else scheduled.isoformat()
    start_at = _now()
    with job_lock(reports_dir / LOCK_DIR, job.name) as taken:
        if not taken:
            record = RunRecord(
                job.name,
                slot,
                start_at.isoformat(timespec="seconds"),
                _now().isoformat(timespec="seconds"),
                "skipped",
                error="another run of this job is in progress (lock held)",
                demo=demo,
            )
            return _append(reports_dir, record)
        if only_if_not_done and _slot_done(reports_dir, job, scheduled):
            return RunRecord(job.name, scheduled.isoformat(), "", "", "skipped", error="done")
        window = window or period_window(job, scheduled)
        params, output = job.render(scheduled, *window)
        params.update(params_override or {})
        status, error, run_id, attempts = "failed", "", new_run_id(), 0
        stopped: BaseException | None = None
        try:
            for attempts in range(1, job.retries + 2):
                try:
                    run_report(
                        job.notebook,
                        params,
                        reports_dir / output,
                        cell_timeout_s=job.cell_timeout_s,
                        timeout_s=job.timeout_s,
                        run_id=run_id,
                    )
                    status, error = "ok", ""
                    break
                except ApisloError as exc:
                    error = str(exc)
                    log.warning("%s attempt %d failed: %s", job.name, attempts, exc)
                    if isinstance(exc, ConfigError):  # (no notebook, not a notebook): no retry
                        break
                    if attempts <= job.retries:
                        time.sleep(_RETRY_PAUSE_S)
        except (KeyboardInterrupt, SystemExit) as exc:  # SIGTERM or Ctrl-C: record, then stop
            stopped = exc
            error = "stopped (SIGTERM or Ctrl-C) before it ended; any last good report stays"
        window_utc = [w.astimezone(UTC).isoformat() for w in window]
        record = RunRecord(
            job.name,
            slot,
            start_at.isoformat(timespec="seconds"),
            _now().isoformat(timespec="seconds"),
            status,
            output,
            error,
            run_id,
            attempts,
            None if job.period == "none" else window_utc,
            demo,
        )
        record = _append(reports_dir, record)
        if stopped is not None:
            _refresh_site(reports_dir, [job])
            raise stopped
        history = read_history(reports_dir)
        prune_reports(reports_dir, job, output, history)
        trim_history(reports_dir, job, history)
    _refresh_site(reports_dir, [job])
    return record


def _append(reports_dir: Path, record: RunRecord) -> RunRecord:
    """Append ``record`` to the history and return it. A history that cannot be written stops no
    job: its error is logged (one line on stderr from the command line) and the record is
    returned ``failed`` with that error, so the command exits 1; the unrecorded slot stays due."""
    try:
        append_record(reports_dir, record)
    except ReportWriteError as exc:
        log.error("error: %s; the run of %s was not recorded", exc, record.job)
        error = "; ".join(e for e in (record.error, f"not recorded: {exc}") if e)
        return replace(record, status="failed", error=error)
    return record


def _refresh_site(reports_dir: Path, jobs: list[Job]) -> None:
    """Regenerate the index; one that cannot be written is logged (one line on stderr from the
    command line) and stops no job: the history still holds every run."""
    try:
        rebuild_site(reports_dir, jobs)
    except ReportWriteError as exc:
        log.error("error: %s; the index was not updated", exc)


def _slot_done(reports_dir: Path, job: Job, scheduled: datetime) -> bool:
    return due_slot(job, scheduled, _done_slots(read_history(reports_dir), job)) is None


def _done_slots(history: list[RunRecord], job: Job) -> list[str]:
    """The slots of ``job`` that ran (``ok`` or ``failed``): a ``skipped`` run did not (another
    run held the lock, maybe one of an earlier slot still going), and a demo run or the record
    of an invalid job file takes none (its ``scheduled_for`` is empty)."""
    return [
        r.scheduled_for
        for r in history
        if r.job == job.name and r.status != "skipped" and r.scheduled_for
    ]


def rebuild_site(
    reports_dir: str | Path,
    jobs: list[Job] | None = None,
    invalid: Mapping[Path, ConfigError] | None = None,
) -> Path:
    """Regenerate the reports index, listing ``jobs`` even if they never ran, and each invalid
    job file (path -> its error, from :func:`load_jobs`) under its name with its error."""
    from apislo.report.site import build_site

    jobs = jobs or []
    return build_site(
        reports_dir,
        [j.name for j in jobs],
        {j.name: j.description for j in jobs},
        {path.stem: str(error) for path, error in (invalid or {}).items()},
    )


def run_due(
    schedule_dir: str | Path,
    reports_dir: str | Path,
    now: datetime | None = None,
    params_override: Mapping[str, Any] | None = None,
) -> list[RunRecord]:
    """Run every job whose latest slot at ``now`` has not run yet; idempotent.

    A job file that is not valid does not stop the others: it is recorded as a ``failed`` run
    named after the file (once per distinct error), so the index and the exit status show it.
    So is a job whose notebook does not define a name of ``params_override``
    (:func:`check_overrides`), named after the job, its slot left due: the others run (until
    2026-11-30 the override was given to it anyway and ignored).

    Returns:
        The records of the runs made (empty when nothing was due).

    Raises:
        ConfigError: the schedule directory is missing.
    """
    reports_dir = Path(reports_dir)
    now = now or _now()
    sweep_tree(reports_dir)
    invalid: dict[Path, ConfigError] = {}
    jobs = load_jobs(schedule_dir, invalid)
    refused = _override_errors(jobs, params_override)
    history = read_history(reports_dir)
    errors = [*((path.stem, exc) for path, exc in invalid.items()), *refused.items()]
    records = [
        record
        for name, exc in errors
        if (record := _record_invalid(reports_dir, name, exc, history, now)) is not None
    ]
    for job in jobs:
        if job.name in refused:
            continue
        slot = due_slot(job, now, _done_slots(history, job))
        if slot is None:
            continue
        record = _run_or_record(job, reports_dir, slot, params_override, only_if_not_done=True)
        if record.error != "done":
            records.append(record)
    _refresh_site(reports_dir, jobs)
    return records


def check_overrides(jobs: list[Job], params_override: Mapping[str, Any] | None) -> None:
    """Refuse, before any job runs, a parameter override that the notebook of one of ``jobs``
    does not define: its run would fail on it (:func:`~apislo.report.runner.run_report`) and use
    up its slot, recorded and not retried. A notebook that is missing or cannot be read is left
    to its job's run, which fails naming it.

    Raises:
        ConfigError: naming the job, the unknown name and what its notebook defines.
    """
    refused = _override_errors(jobs, params_override)
    if refused:
        raise next(iter(refused.values()))


def _override_errors(
    jobs: list[Job], params_override: Mapping[str, Any] | None
) -> dict[str, ConfigError]:
    """Each job of ``jobs`` whose notebook does not define a name of ``params_override``, by
    name, with the error naming the job, the unknown name and what its notebook defines."""
    from apislo.report.params import check_defined
    from apislo.report.runner import notebook_parameters

    refused: dict[str, ConfigError] = {}
    for job in jobs if params_override else ():
        try:
            defined = notebook_parameters(job.notebook)
        except ConfigError:
            continue
        try:
            check_defined(params_override or {}, defined, job.notebook)
        except ConfigError as exc:
            refused[job.name] = ConfigError(
                f"job {job.name}: {exc}. An override is given to every job: run the jobs "
                "whose notebook defines it one at a time (apislo schedule run NAME -p ...)"
            )
    return refused


def _run_or_record(
    job: Job,
    reports_dir: Path,
    scheduled: datetime,
    params_override: Mapping[str, Any] | None,
    **options: Any,
) -> RunRecord:
    """:func:`run_job`; a run that cannot even start (its lock cannot be written, its template
    fails) is recorded as failed instead of raised, so it stops no other job."""
    try:
        return run_job(job, reports_dir, scheduled, params_override, **options)
    except ApisloError as exc:
        return _record_failed(reports_dir, job.name, scheduled.isoformat(), exc)


def _record_failed(reports_dir: Path, name: str, scheduled_for: str, error: Exception) -> RunRecord:
    """Record a run that failed before its notebook started."""
    stamp = _now().isoformat(timespec="seconds")
    record = RunRecord(name, scheduled_for, stamp, stamp, "failed", error=str(error), attempts=0)
    return _append(reports_dir, record)


def _record_invalid(
    reports_dir: Path,
    name: str,
    error: ConfigError,
    history: list[RunRecord],
    now: datetime,
) -> RunRecord | None:
    """Record an invalid job file (``name`` is its file's) or a job that cannot run (an override
    its notebook does not define) as a failed run of job ``name``, unless its latest record
    already says the same (``run-due`` may run every minute). It takes no slot (no
    ``scheduled_for``): the job's slot at ``now`` runs once the file is fixed."""
    latest = next((r for r in reversed(history) if r.job == name), None)
    if latest is not None and latest.status == "failed" and latest.error == str(error):
        return None
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    record = RunRecord(name, "", stamp, stamp, "failed", error=str(error), attempts=0)
    return _append(reports_dir, record)


def run_all_jobs(
    schedule_dir: str | Path,
    reports_dir: str | Path,
    params_override: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> list[RunRecord]:
    """Run every job once now, for its latest slot, due or not (``apislo demo`` uses this).

    With ``window``, the runs are demo runs: recorded ``demo``, without a slot, they leave each
    job's slots to ``run-due`` (the demo's week-long reports are not the jobs' real ones).

    Args:
        schedule_dir: directory of job YAML files.
        reports_dir: reports directory.
        params_override: parameters replacing the jobs' own (e.g. ``{"dataset": "data/demo"}``).
        now: the time that picks each job's latest slot (default: now).
        window: ``[start, end)`` every job reports on instead of its own period (see
            :func:`run_job`).
    """
    reports_dir = Path(reports_dir)
    now = now or _now()
    sweep_tree(reports_dir)
    jobs = load_jobs(schedule_dir)
    check_overrides(jobs, params_override)
    records = [
        _run_or_record(job, reports_dir, last_fire(job, now), params_override, window=window)
        for job in jobs
    ]
    _refresh_site(reports_dir, jobs)
    return records


def serve(
    schedule_dir: str | Path,
    reports_dir: str | Path,
    poll_s: float = 60.0,
    stop: threading.Event | None = None,
    params_override: Mapping[str, Any] | None = None,
) -> None:
    """Run due jobs, sleep until the next fire time (at most ``poll_s`` seconds), repeat.

    Job files are re-read each turn, so edits apply without a restart. Returns when ``stop`` is
    set; a failing job is recorded and the loop continues. ``params_override`` replaces those
    parameters of every job, as in :func:`run_due`: one that the notebook of a job does not
    define is refused when it starts (:func:`check_overrides`); after that, a job that does
    not (a job file added, a notebook edited) is recorded failed as an invalid job file is, and
    the others run, as they would without the override.

    Raises:
        ConfigError: an override is refused when it starts.
    """
    stop = stop or threading.Event()
    if params_override:
        check_overrides(load_jobs(schedule_dir, {}), params_override)
    while not stop.is_set():
        try:
            run_due(schedule_dir, reports_dir, params_override=params_override)
            fires = [next_fires(j, _now(), 1)[0] for j in load_jobs(schedule_dir, {})]
        except ApisloError as exc:
            log.error("schedule: %s", exc)
            fires = []
        wait = min([(f - _now()).total_seconds() for f in fires] + [poll_s])
        stop.wait(max(wait, 1.0))
