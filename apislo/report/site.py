"""``reports/index.html``: latest report per job, then the run history; plain, offline, escaped.

Demo runs (``apislo demo``'s week-long reports) are no job's last run (they take no slot); the
latest good report may be a demo run's, marked as such, so the demo's index links its reports.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from apislo.report.atomic import atomic_write_text
from apislo.report.html import CSP

if TYPE_CHECKING:
    from apislo.schedule.history import RunRecord

__all__ = ["HISTORY_ROWS", "INDEX_FILE", "build_site"]

INDEX_FILE = "index.html"
#: The newest runs the index lists in its history table.
HISTORY_ROWS = 500
_CSS = """
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 75em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 2em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; }
th, td { vertical-align: top; }
tr.failed td { background: #fdecea; }
.status-ok { color: #1e7a3c; font-weight: bold; }
.status-failed { color: #b3261e; font-weight: bold; }
.status-skipped, .status-never-run { color: #777; }
.error { font-family: monospace; font-size: 0.85em; white-space: pre-wrap; }
"""


def _link(reports_dir: Path, output: str, label: str) -> str:
    if not output or not (reports_dir / output).is_file():
        return ""
    return f'<a href="{html.escape(quote(output))}">{html.escape(label)}</a>'


def _last_run(name: str, runs: list[RunRecord], invalid: str | None) -> RunRecord | None:
    """The job's last run, or its job file's error as a failed run when the file is invalid
    and the last run does not already say so."""
    from apislo.schedule.history import RunRecord

    last = runs[-1] if runs else None
    if invalid is None or (last is not None and last.error == invalid):
        return last
    return RunRecord(name, "", "", "", "failed", error=invalid, attempts=0)


def build_site(
    reports_dir: str | Path,
    jobs: Iterable[str] = (),
    descriptions: dict[str, str] | None = None,
    invalid: Mapping[str, str] | None = None,
) -> Path:
    """Regenerate ``reports_dir/index.html`` from the run history.

    Args:
        reports_dir: the reports directory (holds ``history.jsonl``).
        jobs: job names to list even if they never ran.
        descriptions: job name -> one-line description.
        invalid: job file name (its stem, as ``run-due`` records it) -> the error of that
            invalid job file; shown as the job's last run, failed, unless that run says so.

    Returns:
        The index path.
    """
    from apislo.schedule.history import read_history

    reports_dir = Path(reports_dir)
    records = read_history(reports_dir)
    descriptions, invalid = descriptions or {}, invalid or {}
    e = html.escape
    names = sorted({*jobs, *invalid, *(r.job for r in records)})
    latest_rows = []
    for name in names:
        runs = [r for r in records if r.job == name and r.status != "skipped"]
        last = _last_run(name, [r for r in runs if not r.demo], invalid.get(name))
        good = next((r for r in reversed(runs) if r.status == "ok"), None)
        good_link = _link(reports_dir, good.output, "latest report") if good else ""
        nb_link = (
            _link(reports_dir, str(Path(good.output).with_suffix(".ipynb")), "notebook")
            if good
            else ""
        )
        demo = " <small>(demo run)</small>" if good and good.demo and good_link else ""
        status, token = (last.status, last.status) if last else ("never run", "never-run")
        when = e(last.end) if last else ""
        error = f'<div class="error">{e(last.error)}</div>' if last and last.error else ""
        latest_rows.append(
            f'<tr class="{e(token)}"><td>{e(name)}<br><small>{e(descriptions.get(name, ""))}'
            f'</small></td><td class="status-{e(token)}">{e(status)}{error}</td><td>{when}</td>'
            f"<td>{good_link} {nb_link}{demo}</td><td>{e(good.end) if good else ''}</td></tr>"
        )
    history_rows = []
    for r in reversed(records[-HISTORY_ROWS:]):
        failed_nb = ""
        if r.status == "failed" and r.output:
            failed_nb = _link(
                reports_dir, str(Path(r.output).with_suffix(".failed.ipynb")), "failed notebook"
            )
        slot = f"demo over {' to '.join(r.window or [])}" if r.demo else r.scheduled_for
        history_rows.append(
            f'<tr class="{e(r.status)}"><td>{e(r.job)}</td><td>{e(slot)}</td>'
            f"<td>{e(r.start)}</td><td>{e(r.end)}</td>"
            f'<td class="status-{e(r.status)}">{e(r.status)}</td>'
            f"<td>{_link(reports_dir, r.output, r.output) if r.status == 'ok' else failed_nb}</td>"
            f'<td class="error">{e(r.error)}</td></tr>'
        )
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>apislo reports</title><style>{_CSS}</style></head>
<body><h1>apislo reports</h1><p>Generated {e(generated)}. Times are UTC unless marked.</p>
<h2>Latest per job</h2>
<table><tr><th>Job</th><th>Last run</th><th>Finished</th><th>Latest good report</th>
<th>Good report finished</th></tr>
{"".join(latest_rows) or '<tr><td colspan="5">No jobs.</td></tr>'}
</table>
<h2>History</h2>
<table><tr><th>Job</th><th>Scheduled for</th><th>Start</th><th>End</th><th>Status</th>
<th>Output</th><th>Error</th></tr>
{"".join(history_rows) or '<tr><td colspan="7">No runs yet.</td></tr>'}
</table></body></html>
"""
    return atomic_write_text(reports_dir / INDEX_FILE, page)
