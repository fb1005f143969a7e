"""Export :class:`~apislo.slo.spec.SLO` objects as OpenSLO ``openslo/v1`` documents.

Ratio SLIs become ``ratioMetric`` with Prometheus queries (and a ``metricSourceRef`` to the
SLO's ``source.data_source``, the ``DataSource`` they were read with); apislo's log-based SLIs
become a metric source of ``type: apislo`` carrying apislo's SLI fields, ``api``, ``group_by``
and ``source`` (whose Prometheus profile and label matchers select the SLO's series):
``ratioMetric`` for availability, ``thresholdMetric`` for latency kinds, which
:mod:`apislo.slo.formats.openslo` reads back. Inline alert tiers become one inline
``AlertPolicy`` per tier (OpenSLO allows one condition per policy), named as the policy the
tier was read from (else ``<slo>-<tier>``), with their ``alert_after`` as ``alertAfter`` and
their short window in the condition's ``apislo.dev/short-window`` annotation. What OpenSLO has
no field for goes into the SLO's ``metadata.annotations`` under ``apislo.dev/``: a named policy,
the owners, the alert name, whether alerts are disabled, the page/ticket alert labels and
annotations (:data:`~apislo.slo.formats.openslo.ALERT_NOTES`, as JSON objects), and a ratio
SLI's ``api`` and ``group_by``.

>>> from apislo.slo.spec import SLO, SLI, Objective, TimeWindow
>>> from datetime import timedelta
>>> slo = SLO("a", "shop", SLI(), (Objective(0.99),), TimeWindow.rolling_window(timedelta(days=7)))
>>> to_openslo([slo])[0]["spec"]["timeWindow"]
[{'duration': '7d', 'isRolling': True}]
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import yaml

from apislo.errors import ConfigError
from apislo.slo.formats._fields import NAME_RULE
from apislo.slo.formats.openslo import ALERT_NOTES
from apislo.slo.formats.openslo import ANNOTATION as ANNOTATION_PREFIX
from apislo.slo.policy import Tier, policy_for, prom_duration
from apislo.slo.spec import SLI, SLO, Objective, TimeWindow

__all__ = ["dump_openslo", "shorthand", "to_openslo"]

_CALENDAR_POSTFIX = {"day": "d", "week": "w", "month": "M", "quarter": "Q", "year": "Y"}


def shorthand(delta: timedelta) -> str:
    """OpenSLO duration shorthand for a fixed duration: ``30d``, ``6h``, ``5m``.

    Raises:
        ConfigError: ``delta`` is not a whole number of minutes (a ``ValueError``).
    """
    seconds = int(delta.total_seconds())
    if seconds <= 0 or seconds != delta.total_seconds() or seconds % 60:
        raise ConfigError(
            f"{delta} is not a whole number of minutes, which OpenSLO's duration shorthand "
            "needs (it has no seconds)"
        )
    for postfix, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{postfix}"
    raise AssertionError("unreachable")


def _window(window: TimeWindow) -> dict[str, Any]:
    if window.is_rolling:
        return {"duration": shorthand(window.period), "isRolling": True}
    calendar: dict[str, Any] = {"timeZone": window.timezone}
    if window.start is not None:
        calendar["startTime"] = window.start.strftime("%Y-%m-%d %H:%M:%S")
    postfix = _CALENDAR_POSTFIX[window.unit or "day"]
    return {"duration": f"{window.count}{postfix}", "calendar": calendar, "isRolling": False}


def _apislo_spec(slo: SLO) -> dict[str, Any]:
    sli = slo.sli
    spec: dict[str, Any] = {"kind": sli.kind}
    if sli.uses_status:
        spec["bad_status"] = list(sli.bad_status)
        spec["count_429"] = sli.count_429
    if sli.threshold_s is not None:
        spec["threshold_s"] = sli.threshold_s
    if slo.api is not None:
        spec["api"] = slo.api
    if slo.group_by:
        spec["group_by"] = list(slo.group_by)
    hints = slo.source
    source: dict[str, Any] = {
        key: value
        for key, value in (
            ("kind", hints.kind),
            ("profile", hints.profile),
            ("data_source", hints.data_source),
        )
        if value is not None
    }
    if hints.labels:
        source["labels"] = dict(hints.labels)
    if source:
        spec["source"] = source
    return {"metricSource": {"type": "apislo", "spec": spec}}


def _prometheus(query: str, data_source: str | None) -> dict[str, Any]:
    """A Prometheus metric source running ``query``, with a ``metricSourceRef`` to the
    ``DataSource`` named ``data_source`` (the SLO's ``source.data_source``), if any.

    Raises:
        ConfigError: ``data_source`` is no OpenSLO name (:data:`NAME_RULE`; apislo/v1 takes
            any text there, ``Prom Main``), which OpenSLO's validators would refuse.
    """
    if data_source is not None and not NAME_RULE.match(data_source):
        raise ConfigError(
            f"source.data_source {data_source!r} cannot name a DataSource in a "
            "metricSourceRef: OpenSLO names are lower-case letters, digits, - . _, at most "
            "253; rename it (e.g. prom-main)"
        )
    ref = {"metricSourceRef": data_source} if data_source is not None else {}
    return {"metricSource": {**ref, "type": "Prometheus", "spec": {"query": query}}}


def _indicator(slo: SLO) -> dict[str, Any]:
    sli: SLI = slo.sli
    if sli.kind == "ratio":
        part = "good" if sli.good_query else "bad"
        data_source = slo.source.data_source
        metric = {
            "counter": True,
            part: _prometheus(sli.good_query or sli.bad_query or "", data_source),
            "total": _prometheus(sli.total_query or "", data_source),
        }
        spec: dict[str, Any] = {"ratioMetric": metric}
    elif sli.uses_latency:
        spec = {"thresholdMetric": _apislo_spec(slo)}
    else:
        good, total = _apislo_spec(slo), _apislo_spec(slo)  # two copies: no YAML anchors
        spec = {"ratioMetric": {"counter": True, "good": good, "total": total}}
    return {"metadata": {"name": sli.name or f"{slo.name}-sli"}, "spec": spec}


def _objective(objective: Objective) -> dict[str, Any]:
    """One objective; an unnamed one with a display name gets its label as ``name`` (which the
    import reads back as no name), else the import would name it after the display name and
    its id (``apislo_id`` in rules and alerts) would change."""
    out: dict[str, Any] = {}
    if objective.display_name:
        out["displayName"] = objective.display_name
    if objective.name or objective.display_name:
        out["name"] = objective.label
    if objective.threshold_s is not None:
        out["op"], out["value"] = objective.threshold_op, objective.threshold_s
    out["target"] = objective.target
    if objective.timeslice_target is not None:
        out["timeSliceTarget"] = objective.timeslice_target
    if objective.timeslice_window is not None:
        out["timeSliceWindow"] = _slice_window(objective.timeslice_window)
    return out


def _slice_window(delta: timedelta) -> str | float:
    """``timeSliceWindow``: a shorthand (``5m``), else a number of minutes (``0.5`` for 30 s):
    OpenSLO reads a bare number as minutes, and its shorthand has no seconds."""
    try:
        return shorthand(delta)
    except ConfigError:
        return delta / timedelta(minutes=1)


def _tier_shorthand(tier: Tier, field: str, delta: timedelta) -> str:
    """:func:`shorthand` of a tier's ``field``, whose error names the tier and the field."""
    try:
        return shorthand(delta)
    except ConfigError as exc:
        raise ConfigError(f"tier {tier.name!r} {field}: {exc}") from None


def _policy_names(slo: SLO, tiers: tuple[Tier, ...]) -> list[str]:
    """The name of each tier's inline ``AlertPolicy``: the policy it was read from (OpenSLO
    names every object, inline ones too), else ``<slo>-<tier>`` (apislo's and Sloth's tiers
    have none). A name several tiers share (a policy read with several conditions) becomes
    ``<policy>-<tier>``, as each tier is a policy of its own (OpenSLO allows one condition).
    Names that would still repeat (policy ``a`` with condition ``b`` beside a policy ``a-b``)
    are all ``<slo>-<tier>``, distinct as tier names are: the import would read a repeated
    name as one policy, and a second export would rename them."""
    given = slo.alerting.policy_names or (None,) * len(tiers)
    names = []
    for tier, name in zip(tiers, given, strict=True):
        if name is None:
            names.append(f"{slo.name}-{tier.name}")
        else:
            names.append(f"{name}-{tier.name}" if given.count(name) > 1 else name)
    if len(set(names)) < len(names):
        return [f"{slo.name}-{tier.name}" for tier in tiers]
    return names


def _openslo_name(tier: Tier, kind: str, name: str) -> str:
    """``name`` for the ``kind`` object of ``tier``, which OpenSLO names (:data:`NAME_RULE`).

    Raises:
        ConfigError: it is no such name (an apislo tier may be named ``Fast burn``).
    """
    if not NAME_RULE.match(name):
        raise ConfigError(
            f"tier {tier.name!r} name: {name!r} cannot name its {kind}: OpenSLO names are "
            "lower-case letters, digits, - . _, at most 253; rename the tier (e.g. fast-burn)"
        )
    return name


def _alert_policies(slo: SLO) -> list[dict[str, Any]]:
    policies = []
    tiers = policy_for(slo).tiers
    for tier, name in zip(tiers, _policy_names(slo, tiers), strict=True):
        short = {ANNOTATION_PREFIX + "short-window": prom_duration(tier.short_window)}
        condition = {
            "kind": "AlertCondition",
            "metadata": {
                "name": _openslo_name(tier, "AlertCondition", tier.name),
                "annotations": short,
            },
            "spec": {
                "severity": tier.severity,
                "condition": {
                    "kind": "burnrate",
                    "threshold": tier.factor,
                    "lookbackWindow": _tier_shorthand(tier, "long_window", tier.long_window),
                    "alertAfter": (
                        _tier_shorthand(tier, "alert_after", tier.alert_after)
                        if tier.alert_after
                        else "0m"
                    ),
                },
            },
        }
        policies.append(
            {
                "kind": "AlertPolicy",
                "metadata": {"name": _openslo_name(tier, "AlertPolicy", name)},
                "spec": {
                    "alertWhenBreaching": True,
                    "conditions": [condition],
                    "notificationTargets": [],
                },
            }
        )
    return policies


def to_openslo(slos: list[SLO]) -> list[dict[str, Any]]:
    """One ``openslo/v1`` ``SLO`` document (a plain dict) per SLO, with an inline SLI."""
    docs = []
    for slo in slos:
        try:
            docs.append(_document(slo))
        except ConfigError as exc:
            problem = f"SLO {slo.name!r} ({slo.origin}) cannot be exported: {exc}"
            raise ConfigError(problem) from None
    return docs


def _policy_note(slo: SLO, policies: list[dict[str, Any]]) -> str | None:
    """The SLO's ``apislo.dev/alert-policy`` annotation: the preset it names without tiers, or
    the name of its tiers' policy when the import would not read it off ``policies`` (whose
    names it joins with ``-``): ``spec`` of apislo's own tiers, ``workbook`` beside ``tiers``,
    ``sloth`` of a Sloth SLO with one severity disabled, a policy read with several conditions."""
    if not policies:
        return slo.alerting.policy
    name = policy_for(slo).name
    return None if name == "-".join(p["metadata"]["name"] for p in policies) else name


def _annotations(slo: SLO, policies: list[dict[str, Any]]) -> dict[str, str]:
    """The ``apislo.dev/`` annotations of an SLO: what OpenSLO has no field for (``policies``:
    its exported alert policies)."""
    annotations = {}
    if slo.owners:
        annotations[ANNOTATION_PREFIX + "owners"] = ",".join(slo.owners)
    if slo.alerting.name:
        annotations[ANNOTATION_PREFIX + "alert-name"] = slo.alerting.name
    policy = _policy_note(slo, policies)
    if policy:
        annotations[ANNOTATION_PREFIX + "alert-policy"] = policy
    if slo.alerting.disabled:
        annotations[ANNOTATION_PREFIX + "alerts-disabled"] = "true"
    for field, key in ALERT_NOTES.items():
        if getattr(slo.alerting, field):
            text = json.dumps(dict(getattr(slo.alerting, field)), ensure_ascii=False)
            annotations[ANNOTATION_PREFIX + key] = text
    if slo.sli.kind == "ratio":  # (an apislo metric source carries them itself)
        if slo.api is not None:
            annotations[ANNOTATION_PREFIX + "api"] = slo.api
        if slo.group_by:
            annotations[ANNOTATION_PREFIX + "group-by"] = ",".join(slo.group_by)
    return annotations


def _document(slo: SLO) -> dict[str, Any]:
    """The ``openslo/v1`` ``SLO`` document of one SLO."""
    policies = _alert_policies(slo) if slo.alerting.tiers else []
    annotations = _annotations(slo, policies)
    metadata: dict[str, Any] = {"name": slo.name}
    if slo.labels:
        metadata["labels"] = dict(slo.labels)
    if annotations:
        metadata["annotations"] = annotations
    spec: dict[str, Any] = {"service": slo.service}
    if slo.description:
        spec["description"] = slo.description
    spec["indicator"] = _indicator(slo)
    spec["timeWindow"] = [_window(slo.window)]
    spec["budgetingMethod"] = slo.budgeting_method
    spec["objectives"] = [_objective(o) for o in slo.objectives]
    if policies:
        spec["alertPolicies"] = policies
    return {"apiVersion": "openslo/v1", "kind": "SLO", "metadata": metadata, "spec": spec}


def dump_openslo(slos: list[SLO]) -> str:
    """The OpenSLO v1 documents of :func:`to_openslo` as one multi-document YAML text."""
    return yaml.safe_dump_all(to_openslo(slos), sort_keys=False, allow_unicode=True)
