"""apislo: notebook-driven API observability and SLO workbench.

Light to import: heavy parts load on first use.

>>> import apislo
>>> events = apislo.read_logs(["access.log"])          # doctest: +SKIP
>>> report = apislo.ingest(["access.log"], "data/events")  # doctest: +SKIP
>>> frame = apislo.traffic(events, interval="5min")    # doctest: +SKIP
>>> prom = apislo.prometheus("http://localhost:9090")  # doctest: +SKIP
>>> frame = prom.traffic(profile="generic", start="-7d", step="1h")  # doctest: +SKIP
"""

from __future__ import annotations

from apislo._lazy import TYPE_CHECKING, lazy_exports

__version__ = "0.1.0"

__all__ = ["__version__", "ingest", "load", "prometheus", "read_logs", "traffic"]

if TYPE_CHECKING:
    from apislo.aggregate import traffic
    from apislo.sources.ingest import ingest, load, read_logs
    from apislo.sources.prometheus import prometheus

_LAZY = {
    "ingest": "apislo.sources.ingest",
    "read_logs": "apislo.sources.ingest",
    "load": "apislo.sources.ingest",
    "traffic": "apislo.aggregate",
    "prometheus": "apislo.sources.prometheus",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
