"""What a job keeps: its newest ``keep`` good reports, and the runs in ``history.jsonl`` that a
reader of the history still needs.

After each run of a job (:func:`~apislo.schedule.run.run_job`), :func:`prune_reports` deletes
the files of its older reports, then :func:`trim_history` drops the job's records that no
reader needs any more, once there are :data:`TRIM_BATCH` of them. Every reader reads the whole
history, each run several times (100,000 lines took 4.2 s to read at load 4), and until
2026-11-30 it only grew, one line a run. A job's record is kept while it is

* one of the history's newest :data:`~apislo.report.site.HISTORY_ROWS` records (the index's
  history table, ``schedule history``'s newest runs) or one of the job's own newest
  :data:`JOB_RUNS` (``schedule history --job``);
* the job's newest of its kind: of its status (``ok``, ``failed``, ``skipped``), a demo run or
  not, with a slot or without (the index's last run and latest good report, its last failure,
  ``run-due``'s slot done);
* the newest with its output and status whose output :func:`prune_reports` keeps (its newest
  ``keep`` good reports, and every run since the oldest of them): a good run's, and a failed
  run's while a file of that output is left (the failed notebook, or a good report of that
  name). So pruning deletes, and keeps, the same files as with every record.

Only a job's own records are dropped, by its own runs: a removed job's stay as they are, and so
do an invalid job file's (one per distinct error) while no job of its name runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from apislo.errors import ReportWriteError
from apislo.report.site import HISTORY_ROWS
from apislo.schedule.history import RunRecord, drop_records
from apislo.schedule.jobs import Job

__all__ = ["JOB_RUNS", "TRIM_BATCH", "prune_reports", "trim_history"]

log = logging.getLogger(__name__)

#: A job's newest runs always kept in the history.
JOB_RUNS = 100
#: The history is rewritten once a job has this many records no reader needs.
TRIM_BATCH = 100
#: The files of one report output (``NAME.html``), by suffix.
_REPORT_SUFFIXES = (".html", ".ipynb", ".failed.ipynb")


@dataclass
class _Outputs:
    """A job's report outputs (paths relative to the reports directory), as pruning sees them.

    Attributes:
        recent: outputs of its runs since the oldest of its newest ``keep`` good ones: kept.
        old: outputs of its older runs (not in ``recent``), newest first: deleted. (A dict, for
            its order and its lookups: with a list, sorting 100,000 runs took minutes.)
        failed: outputs of its failed runs, newest first.
    """

    recent: set[str] = field(default_factory=set)
    old: dict[str, None] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def _outputs(history: list[RunRecord], job: Job) -> _Outputs:
    """Sort the outputs of ``job``'s runs in ``history`` (oldest first) as pruning does: the
    newest ``job.keep`` good reports and every run since the oldest of them are recent, older
    runs old. Failed runs do not count: they never push a good report out."""
    outputs = _Outputs()
    good: set[str] = set()  # outputs of the newest job.keep good runs
    for r in reversed(history):
        if r.job != job.name or r.status not in ("ok", "failed") or not r.output:
            continue
        if r.status == "failed":
            outputs.failed.append(r.output)
        if len(good) < job.keep:
            outputs.recent.add(r.output)
            if r.status == "ok":
                good.add(r.output)
        elif r.output not in outputs.recent:
            outputs.old[r.output] = None
    return outputs


def prune_reports(reports_dir: Path, job: Job, output: str, history: list[RunRecord]) -> None:
    """Keep this job's newest ``job.keep`` good reports and delete the outputs of runs older than
    the oldest of them (report, executed notebook and failed notebook). Failed runs do not
    count: they never push a good report out. Of the failed notebooks, keep only the one of the
    job's newest failed run and that of this run's ``output`` (its run may have failed without
    being recorded): a job failing day after day, each day's report named after its day, left
    one more every day. Only files under ``reports_dir`` are deleted.

    Args:
        reports_dir: the reports directory.
        job: the job.
        output: this run's output.
        history: the history, read after this run was recorded.
    """
    outputs = _outputs(history, job)
    for stale in outputs.old:
        _delete(reports_dir, stale, _REPORT_SUFFIXES)
    for stale in set(outputs.failed[1:]) - {*outputs.failed[:1], output}:
        _delete(reports_dir, stale, (".failed.ipynb",))


def _delete(reports_dir: Path, output: str, suffixes: tuple[str, ...]) -> None:
    """Delete the files of ``output`` with ``suffixes`` if it lies under ``reports_dir``."""
    html_path = (reports_dir / output).resolve()
    if reports_dir.resolve() not in html_path.parents:
        return
    for suffix in suffixes:
        html_path.with_suffix(suffix).unlink(missing_ok=True)


def trim_history(reports_dir: Path, job: Job, history: list[RunRecord]) -> None:
    """Drop the records of ``job`` that no reader of the history needs (see the module), once
    there are :data:`TRIM_BATCH` of them; run after :func:`prune_reports`. A history that
    cannot be rewritten is said in one line on stderr (from the command line) and left as it
    was: it stops no job.

    Args:
        reports_dir: the reports directory.
        job: the job that ran.
        history: the history :func:`prune_reports` read: with fewer than
            :data:`JOB_RUNS` + :data:`TRIM_BATCH` records of ``job``, nothing can be dropped,
            and the history is not read again.
    """
    if sum(r.job == job.name for r in history) < JOB_RUNS + TRIM_BATCH:
        return
    try:
        drop_records(reports_dir, lambda records: _unneeded(reports_dir, job, records))
    except ReportWriteError as exc:
        log.warning("warning: %s; old runs were not dropped from it", exc)


def _unneeded(reports_dir: Path, job: Job, records: list[RunRecord | None]) -> set[int]:
    """The indices of the records of ``job`` in ``records`` (the history's lines, ``None``
    for a line skipped) that no reader needs; none until there are :data:`TRIM_BATCH`."""
    numbered = [(i, r) for i, r in enumerate(records) if r is not None]
    ours = [(i, r) for i, r in numbered if r.job == job.name]
    needed = {
        *(i for i, _ in numbered[-HISTORY_ROWS:]),
        *(i for i, _ in ours[-JOB_RUNS:]),
        *_newest_of_each_kind(ours),
        *_kept_outputs(reports_dir, job, ours),
    }
    unneeded = {i for i, _ in ours} - needed
    return unneeded if len(unneeded) >= TRIM_BATCH else set()


def _newest_of_each_kind(ours: list[tuple[int, RunRecord]]) -> set[int]:
    """Of a job's numbered records, oldest first, the newest of each status, demo or not, with
    a slot or not."""
    newest = {(r.status, r.demo, bool(r.scheduled_for)): i for i, r in ours}
    return set(newest.values())


def _kept_outputs(reports_dir: Path, job: Job, ours: list[tuple[int, RunRecord]]) -> set[int]:
    """Of a job's numbered records, oldest first, those pruning needs to delete and keep what
    it does with them all: the newest with its output and status whose output it keeps
    (recent), but a failed run's whose output has no file left. (Pruning looks at each
    output's newest good and failed run only; an older run's output that it deletes has no
    file left: the run that made it old deleted them.)"""
    recent = _outputs([r for _, r in ours], job).recent
    seen: set[tuple[str, str]] = set()
    kept: set[int] = set()
    for i, r in reversed(ours):
        if r.output not in recent or (r.output, r.status) in seen:
            continue
        seen.add((r.output, r.status))
        if r.status == "ok" or _has_files(reports_dir, r.output):
            kept.add(i)
    return kept


def _has_files(reports_dir: Path, output: str) -> bool:
    """Whether a file of the report ``output`` (HTML, notebook or failed notebook) exists."""
    html_path = reports_dir / output
    return any(html_path.with_suffix(suffix).exists() for suffix in _REPORT_SUFFIXES)
