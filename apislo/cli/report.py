"""`apislo report` commands: run a notebook into an offline HTML report; rebuild the index."""

from __future__ import annotations

import click

from apislo.cli._common import fail_on_apislo_error, parameter_option, typed_parameters

__all__ = ["command"]


@click.group(name="report")
def command() -> None:
    """Run parameterised notebooks into self-contained HTML reports."""


@command.command(name="run")
@click.argument("notebook", type=click.Path(dir_okay=False))
@parameter_option(
    "Notebook parameter (repeatable), one its parameters cell defines; numbers and "
    "true/false are typed. Never secrets: "
    "tokens and other connection settings come from the environment (APISLO_PROMETHEUS_TOKEN "
    "or APISLO_PROMETHEUS_TOKEN_FILE, APISLO_PROMETHEUS_HEADERS...; see the README)."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="HTML report path (default reports/<notebook>.html); the executed .ipynb goes beside it.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0, min_open=True),
    default=1800.0,
    show_default=True,
    help="Overall timeout, seconds (> 0).",
)
@click.option(
    "--cell-timeout",
    "cell_timeout_s",
    type=click.IntRange(min=1),
    default=600,
    show_default=True,
    help="Per-cell timeout, whole seconds (>= 1).",
)
def run(
    notebook: str,
    parameters: tuple[tuple[str, str], ...],
    out: str | None,
    timeout_s: float,
    cell_timeout_s: int,
) -> None:
    """Execute NOTEBOOK with papermill and write offline HTML (code hidden, charts as SVG).

    On failure the exit status is 1, the last good report is kept, and the failed executed
    notebook is kept as NAME.failed.ipynb.
    """
    from apislo.report.runner import run_report

    with fail_on_apislo_error():
        result = run_report(
            notebook,
            typed_parameters(parameters),
            out,
            cell_timeout_s=cell_timeout_s,
            timeout_s=timeout_s,
        )
    click.echo(
        f"report {result.html_path} (notebook {result.notebook_path}, run "
        f"{result.provenance.run_id}, {result.provenance.duration_s:.1f} s)"
    )


@command.command(name="site")
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(file_okay=False),
    default="reports",
    show_default=True,
    help="Reports directory.",
)
@click.option(
    "--dir",
    "schedule_dir",
    type=click.Path(file_okay=False),
    default="scheduled",
    show_default=True,
    help="Job directory, to list jobs that never ran.",
)
def site(reports_dir: str, schedule_dir: str) -> None:
    """Regenerate REPORTS/index.html from the run history. An invalid job file is named on
    stderr and listed in the index with its error, as `schedule run-due` records it. REPORTS
    must exist (a mistyped --reports is an error, not a new empty site)."""
    from pathlib import Path

    from apislo.cli.schedule import check_reports_dir, warn_invalid
    from apislo.errors import ConfigError
    from apislo.schedule.jobs import load_jobs
    from apislo.schedule.run import rebuild_site

    invalid: dict[Path, ConfigError] = {}
    with fail_on_apislo_error():
        check_reports_dir(reports_dir)
        jobs = load_jobs(schedule_dir, invalid) if Path(schedule_dir).is_dir() else []
        warn_invalid(invalid)
        click.echo(rebuild_site(reports_dir, jobs, invalid))
