"""Scheduled reports: one YAML file per job in ``scheduled/``, run when due, recorded, indexed.

>>> from apislo.schedule import run_due, run_all_jobs
>>> records = run_due("scheduled", "reports")             # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apislo._lazy import lazy_exports

__all__ = ["Job", "RunRecord", "load_jobs", "run_all_jobs", "run_due", "run_job", "serve"]

if TYPE_CHECKING:
    from apislo.schedule.history import RunRecord
    from apislo.schedule.jobs import Job, load_jobs
    from apislo.schedule.run import run_all_jobs, run_due, run_job, serve

_LAZY = {
    "Job": "apislo.schedule.jobs",
    "load_jobs": "apislo.schedule.jobs",
    "RunRecord": "apislo.schedule.history",
    "run_all_jobs": "apislo.schedule.run",
    "run_due": "apislo.schedule.run",
    "run_job": "apislo.schedule.run",
    "serve": "apislo.schedule.run",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
