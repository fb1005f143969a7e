"""The end-to-end demo behind ``make demo``: simulate, ingest, summarise, report.

Everything runs on generated traffic (no server needed). With ``APISLO_PROMETHEUS_URL`` set, the
reports read that Prometheus instead of the ingested logs.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from apislo.errors import ConfigError, ReportJobsFailed

__all__ = ["DEMO_FORMATS", "SCHEDULE_DIR", "DemoResult", "run_demo"]

#: The summary's columns, as printed.
_SUMMARY_COLUMNS = ["api", "requests", "status_5xx", "status_429", "error_ratio", "p50_s", "p99_s"]
#: Decimals of its fractional columns: one precision per column.
_SUMMARY_DECIMALS = {"error_ratio": 4, "p50_s": 3, "p99_s": 3}

#: The scheduled report jobs the demo runs once each.
SCHEDULE_DIR = "scheduled"
#: The parameters the demo gives every job: the simulated traffic's dataset.
_OVERRIDDEN = ("dataset",)

#: One gateway format per simulated API, to show every source mapping into one model.
DEMO_FORMATS: tuple[str, ...] = (
    "nginx-timed",
    "kong-json",
    "envoy-json",
    "haproxy-http",
    "traefik-json",
    "aws-apigw-json",
)


@dataclass
class DemoResult:
    """Where the demo put things, and the per-API summary it printed."""

    simulation_dir: Path
    dataset: Path
    summary: pd.DataFrame
    index_html: Path


def run_demo(
    workdir: str | Path = "data/demo",
    reports_dir: str | Path = "reports",
    days: int = 7,
    apis: int = 6,
    seed: int = 42,
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """Simulate ``days`` of traffic for ``apis`` APIs, ingest it, print a summary, run reports.

    Its report runs are demo runs: they take no cron slot, so ``run-due`` still runs each
    job's due slot afterwards (see :func:`apislo.schedule.run_all_jobs`).

    Args:
        workdir: where the simulated logs and the dataset go (replaced on each run, once the
            new ones are whole: a run that fails or is stopped leaves the last run's).
        reports_dir: where reports and ``index.html`` go.
        days, apis, seed: the simulation's size and seed.
        echo: where progress lines go.

    Raises:
        ConfigError: not run from the project root (no ``scheduled/``) or a job file is invalid,
            found before any work; or the simulation's parameters are out of range.
    """
    from apislo.aggregate import summary
    from apislo.simulate import simulate
    from apislo.sources.ingest import ingest, load
    from apislo.sources.logs.base import ParseOptions

    _check_jobs()
    work = Path(workdir)
    sim_dir, dataset = work / "simulation", work / "events"
    fresh = work / ".events.new"  # the new dataset, until it is whole
    formats = DEMO_FORMATS[:apis]  # the simulator gives API i the format i modulo their number
    echo(
        f"simulating {_count(days, 'day')} of traffic for {_count(apis, 'API')} "
        f"({', '.join(formats)}) ..."
    )
    # the last run's logs and dataset stay until this run's are whole: the simulator replaces
    # its files together, and the dataset is replaced once its new copy is ingested
    result = simulate(sim_dir, days=days, apis=apis, seed=seed, formats=formats)
    echo(f"ingesting {sim_dir / 'logs'} ...")
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        report = ingest(list(result.logs.values()), fresh, options=ParseOptions(tz="UTC"))
        shutil.rmtree(dataset, ignore_errors=True)
        fresh.rename(dataset)
    except BaseException:  # (Ctrl-C, SIGTERM or an error: no half-written dataset is left)
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    echo(
        f"  {report.lines:,} lines -> {report.records:,} requests, "
        f"{sum(report.rejected.values()):,} rejected; dataset {dataset}"
    )
    table = summary(load(dataset), quantiles=(0.5, 0.99))
    formatters = {column: _fixed(digits) for column, digits in _SUMMARY_DECIMALS.items()}
    echo(table[_SUMMARY_COLUMNS].to_string(index=False, formatters=formatters))
    index = _run_reports(dataset, sim_dir, Path(reports_dir), echo)
    return DemoResult(sim_dir, dataset, table, index)


def _check_jobs() -> None:
    """Refuse to start where the scheduled jobs are not (before minutes of simulation).

    Raises:
        ConfigError: no ``scheduled/`` here, one of its job files is invalid, or the notebook
            of one does not define ``dataset``, which the demo gives every job
            (:func:`~apislo.schedule.run.check_overrides`: until 2026-11-30 that was found
            once the traffic was simulated and ingested).
    """
    from apislo.schedule.jobs import load_jobs
    from apislo.schedule.run import check_overrides

    if not Path(SCHEDULE_DIR).is_dir():
        raise ConfigError(
            f"no {SCHEDULE_DIR}/ in {Path.cwd()}: run apislo demo from the project root "
            "(the folder holding scheduled/ and notebooks/)"
        )
    check_overrides(load_jobs(SCHEDULE_DIR), dict.fromkeys(_OVERRIDDEN))


def _count(number: int, noun: str) -> str:
    """``1 day``, ``7 days``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _fixed(digits: int) -> Callable[[object], str]:
    """A formatter printing ``digits`` decimals, and ``-`` for a missing value."""
    return lambda value: "-" if pd.isna(value) else f"{value:.{digits}f}"


def _run_reports(
    dataset: Path, sim_dir: Path, reports_dir: Path, echo: Callable[[str], None]
) -> Path:
    """Run every scheduled job once over the simulated week, as demo runs (they take no cron
    slot); rebuild the site's index."""
    from apislo.schedule import run_all_jobs

    truth = json.loads((sim_dir / "truth.json").read_text())
    # every job reports on the simulated week, and its report is named and recorded after it
    window = (datetime.fromisoformat(truth["start"]), datetime.fromisoformat(truth["end"]))
    echo(f"running every job in {SCHEDULE_DIR}/ over {truth['start']} .. {truth['end']} ...")
    overrides = dict.fromkeys(_OVERRIDDEN, str(dataset))
    records = run_all_jobs(SCHEDULE_DIR, reports_dir, overrides, window=window)
    for record in records:
        echo(f"  {record.job}: {record.status} {record.output or record.error}")
    failed = [record.job for record in records if record.status != "ok"]
    if failed:
        raise ReportJobsFailed(failed, str(reports_dir / "index.html"))
    return reports_dir / "index.html"
