"""Prometheus (and PromQL-compatible stores) as a source of tidy frames and traffic frames.

>>> import apislo
>>> prom = apislo.prometheus("http://127.0.0.1:9090", bearer_token_env="TOKEN")  # doctest: +SKIP
>>> frame = prom.traffic(profile="generic", start="-7d", end="now", step="1h")      # doctest: +SKIP
"""

from __future__ import annotations

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
