"""Prometheus (and PromQL-compatible stores) as a source of tidy frames and traffic frames.

>>> import apislo
>>> prom = apislo.prometheus("http://127.0.0.1:9090", bearer_token_env="TOKEN")  # doctest: +SKIP
>>> frame = prom.traffic(profile="generic", start="-7d", end="now", step="1h")      # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from apislo._lazy import lazy_exports

if TYPE_CHECKING:
    from apislo.sources.prometheus.client import Prometheus, prometheus
    from apislo.sources.prometheus.profiles import Profile, load_profile, profile_names
    from apislo.sources.prometheus.promql import escape_label_value, matchers, selector
    from apislo.sources.prometheus.transport import Transport

__all__ = [
    "Profile",
    "Prometheus",
    "Transport",
    "escape_label_value",
    "load_profile",
    "matchers",
    "profile_names",
    "prometheus",
    "selector",
]

# Loaded on first use, so that a module of the package (the connection settings a report's
# kernel reads) does not pull in the HTTP client and pyarrow.
_LAZY = {
    "Prometheus": "apislo.sources.prometheus.client",
    "prometheus": "apislo.sources.prometheus.client",
    "Profile": "apislo.sources.prometheus.profiles",
    "load_profile": "apislo.sources.prometheus.profiles",
    "profile_names": "apislo.sources.prometheus.profiles",
    "escape_label_value": "apislo.sources.prometheus.promql",
    "matchers": "apislo.sources.prometheus.promql",
    "selector": "apislo.sources.prometheus.promql",
    "Transport": "apislo.sources.prometheus.transport",
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
