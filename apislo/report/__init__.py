"""Reports: run a parameterised notebook with papermill and publish offline, self-contained HTML.

>>> from apislo.report import run_report
>>> result = run_report("notebooks/slo_report.ipynb", {"days": 7})   # doctest: +SKIP
>>> result.html_path                                                  # doctest: +SKIP
PosixPath('reports/slo_report.html')

Inside a notebook, :func:`record` keeps a value in the executed notebook (for tests and jobs) and
:func:`record_provenance` states the data window, sources and spec files shown in the report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apislo._lazy import lazy_exports

__all__ = ["ReportResult", "build_site", "record", "record_provenance", "run_report"]

if TYPE_CHECKING:
    from apislo.report.glue import record
    from apislo.report.provenance import record_provenance
    from apislo.report.runner import ReportResult, run_report
    from apislo.report.site import build_site

_LAZY = {
    "ReportResult": "apislo.report.runner",
    "run_report": "apislo.report.runner",
    "build_site": "apislo.report.site",
    "record": "apislo.report.glue",
    "record_provenance": "apislo.report.provenance",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
