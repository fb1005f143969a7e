"""Metric profiles: which metrics and labels of a gateway's exporter fill the traffic frame.

A profile is a small YAML file in this folder (one per exporter) or anywhere else (pass its path):

.. code-block:: yaml

    name: generic
    description: what exports it
    requests: http_requests_total          # counter of requests
    status_label: code                     # label holding the HTTP status code
    api_label: api                         # label naming the API (the frame's ``api`` column)
    latency: http_request_duration_seconds # histogram base name (_bucket, _sum, _count)
    latency_unit: s                        # unit of ``le`` and ``_sum``: s or ms
    matchers: {}                           # fixed equality matchers, e.g. {reporter: destination}
    labels: {}                             # other frame keys -> metric labels

>>> load_profile("generic").requests
'http_requests_total'
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from apislo.errors import ConfigError
from apislo.sources.prometheus.promql import label_name, selector
from apislo.text import read_yaml

__all__ = ["PROFILE_DIR", "Profile", "load_profile", "profile_names"]

PROFILE_DIR = Path(__file__).resolve().parent
_UNITS = {"s": 1.0, "ms": 1000.0}
#: The fields of a profile file that map names to text (the others are text), and what to write.
_MAPPINGS = {
    "matchers": "matchers test equality only: give each label's value as text, in quotes if it "
    'reads as a number (code: "200")',
    "labels": "give each frame key's metric label name as text",
}


@dataclass(frozen=True)
class Profile:
    """How one exporter's metrics map to the traffic frame.

    Attributes:
        name: profile name.
        description: one line: which exporter, which version, what must be enabled.
        requests: request counter metric.
        status_label: label of ``requests`` holding the HTTP status code (``"200"``...).
        api_label: label naming the API (service, route, ingress...).
        latency: histogram base name, or ``""`` when the exporter has none.
        latency_unit: ``"s"`` or ``"ms"``: unit of the histogram's ``le`` and ``_sum``.
        matchers: fixed equality matchers added to every selector.
        labels: traffic-frame group keys other than ``api`` -> metric label names.
    """

    name: str
    description: str
    requests: str
    status_label: str
    api_label: str
    latency: str = ""
    latency_unit: str = "s"
    matchers: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.latency_unit not in _UNITS:
            raise ConfigError(f"profile {self.name}: latency_unit must be s or ms")
        for name in (self.status_label, self.api_label, *self.matchers, *self.labels.values()):
            label_name(name)
        selector(self.requests)
        if self.latency:
            selector(self.latency + "_bucket")

    @property
    def unit_divisor(self) -> float:
        """Divide ``le`` and ``_sum`` values by this to get seconds."""
        return _UNITS[self.latency_unit]

    def label_for(self, key: str) -> str:
        """The metric label behind traffic-frame group key ``key``."""
        if key == "api":
            return self.api_label
        return label_name(self.labels.get(key, key))


def profile_names() -> list[str]:
    """Names of the bundled profiles."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_profile(name_or_path: str | Path | Profile) -> Profile:
    """A bundled profile by name, or a user's profile from a YAML file.

    Raises:
        ConfigError: unknown name, unreadable file, or a field missing, unknown, not of its
            type (text; ``matchers`` and ``labels``: a mapping of text to text) or not a
            Prometheus label or metric name where one goes, naming the file.
    """
    if isinstance(name_or_path, Profile):
        return name_or_path
    path = Path(name_or_path)
    if path.suffix not in (".yaml", ".yml"):
        if str(name_or_path) not in profile_names():
            raise ConfigError(
                f"unknown profile {name_or_path!r}; bundled profiles: "
                f"{', '.join(profile_names())}, or pass the path of your own YAML file"
            )
        path = PROFILE_DIR / f"{name_or_path}.yaml"
    doc = read_yaml(path, "metric profile")
    known = {f.name for f in fields(Profile)}
    if not isinstance(doc, dict) or set(doc) - known:
        extra = sorted(set(doc) - known) if isinstance(doc, dict) else "not a mapping"
        raise ConfigError(f"profile {path}: unknown fields {extra}; allowed: {sorted(known)}")
    _check_types(doc, path)
    _check_names(doc, path)
    try:
        return Profile(**doc)
    except TypeError as exc:
        raise ConfigError(f"profile {path}: {exc}") from None


def _check_types(doc: dict[str, Any], path: Path) -> None:
    """Refuse a field of profile file ``path`` that is not text, or, for ``matchers`` and
    ``labels``, not a mapping of text to text: YAML reads ``code: 200`` as a number, and a
    matcher given as a list (``["=~", ".+"]``) would become a regex matcher.

    Raises:
        ConfigError: naming the file and the field (``matchers.code``).
    """
    for key, value in doc.items():
        if key not in _MAPPINGS:
            if not isinstance(value, str):
                raise ConfigError(f"profile {path}: {key}: expected text, got {value!r}")
            continue
        advice = _MAPPINGS[key]
        if not isinstance(value, dict):
            raise ConfigError(f"profile {path}: {key}: expected a mapping, got {value!r}; {advice}")
        for name, item in value.items():
            if not isinstance(name, str):
                raise ConfigError(f"profile {path}: {key}: expected names as text, got {name!r}")
            if not isinstance(item, str):
                raise ConfigError(
                    f"profile {path}: {key}.{name}: expected text, got {item!r}; {advice}"
                )


def _check_names(doc: dict[str, Any], path: Path) -> None:
    """Refuse a label name (``status_label``, ``api_label``, a key of ``matchers``, a value of
    ``labels``) or metric name (``requests``, ``latency``) of profile file ``path`` that
    Prometheus does not allow (:func:`label_name`, :func:`selector`).

    ``labels.api`` is refused too, unless it names ``api_label``'s label: the ``api`` key's
    label is ``api_label``, and that entry was never read (until 2026-11-29 without a word).

    Raises:
        ConfigError: naming the file and the field (``matchers.a-b``).
    """
    if doc.get("labels", {}).get("api", doc.get("api_label")) != doc.get("api_label"):
        raise ConfigError(
            f"profile {path}: labels.api: the api key's label is api_label (this entry is never "
            "read); give it there"
        )
    names = [(key, doc[key], label_name) for key in ("status_label", "api_label") if key in doc]
    names += [(f"matchers.{name}", name, label_name) for name in doc.get("matchers", {})]
    names += [(f"labels.{key}", name, label_name) for key, name in doc.get("labels", {}).items()]
    names += [(key, doc[key], selector) for key in ("requests", "latency") if doc.get(key)]
    for where, name, check in names:
        try:
            check(name)
        except ConfigError as exc:
            raise ConfigError(f"profile {path}: {where}: {exc}") from None
