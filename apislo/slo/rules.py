"""Prometheus recording and alerting rules for SLOs, and ``promtool test rules`` tests for them.

For every SLO objective one rule group holds, in evaluation order:

* one recording rule per alert window and for the SLO period: the **event-weighted** error ratio
  ``sum(increase(bad[w])) / sum(increase(total[w]))`` (``apislo:slo_error_ratio:rate<w>``), never
  an average of 5-minute ratios;
* ``apislo:slo_objective:ratio``, ``apislo:slo_error_budget:ratio`` and
  ``apislo:slo_error_budget_remaining:ratio`` (over the SLO period; calendar windows use their
  nominal length, e.g. 30 days for a month);
* one multi-window alert per policy tier: both the long- and the short-window ratio above
  ``factor * (1 - objective)`` (for the tier's ``alert_after``, written as ``for:``), with
  ``severity`` (page|ticket) and ``apislo_*`` labels and static annotations (summary,
  description, and the spec's own, e.g. ``runbook_url``).

Every rule carries ``apislo_slo``, ``apislo_id``, ``apislo_objective``, ``apislo_service`` and
``apislo_window`` labels. Label values from specs are untrusted: they go into PromQL only through
:func:`apislo.sources.prometheus.promql.matchers` (escaped), and into alert annotations and alert
labels (both are Go templates Prometheus expands) with ``{{`` and ``}}`` escaped by
:func:`escape_template`, so they stay text. Recording-rule labels are never expanded, so they are
written literally.

Metric names come from a Prometheus profile (:mod:`apislo.sources.prometheus.profiles`, default
``generic``: ``http_requests_total{api,code}`` and ``http_request_duration_seconds``); ``ratio``
SLIs use their own PromQL with Sloth's ``{{.window}}`` placeholder.

>>> from datetime import timedelta
>>> from apislo.slo.spec import SLI, SLO, Objective, TimeWindow
>>> slo = SLO("checkout", "shop", SLI(), (Objective(0.999),),
...           TimeWindow.rolling_window(timedelta(days=30)), api="checkout")
>>> print(error_ratio_expr(slo, slo.objectives[0], "5m"))
sum(increase(http_requests_total{api="checkout",code=~"5.."}[5m]))
/
sum(increase(http_requests_total{api="checkout"}[5m]))
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import yaml

from apislo import __version__
from apislo.errors import ConfigError, SpecError
from apislo.model import number_label
from apislo.slo.alerts import alert_name
from apislo.slo.loader import check_ids
from apislo.slo.maths import error_allowance
from apislo.slo.policy import (
    Policy,
    Tier,
    check_duration,
    parse_duration,
    policy_for,
    prom_duration,
)
from apislo.slo.spec import SLO, WINDOW_PLACEHOLDER, Objective
from apislo.sources.prometheus.profiles import Profile, load_profile
from apislo.sources.prometheus.promql import label_name, matchers, selector, strip_comments
from apislo.text import SURROGATE_INSTEAD, lone_surrogate, printable

__all__ = [
    "FORMATS",
    "RATIO_RECORD",
    "TESTS_HEADER",
    "alert_annotations",
    "alert_labels",
    "check_buckets",
    "error_ratio_expr",
    "escape_template",
    "group_interval",
    "promtool_test_step",
    "promtool_testable",
    "promtool_tests_by_step",
    "promtool_tests_document",
    "promtool_tests_yaml",
    "record_labels",
    "rule_groups",
    "rules_document",
    "rules_yaml",
    "slo_id",
    "synthetic_series",
    "unsupported",
]

#: Output formats of :func:`rules_yaml`.
FORMATS: tuple[str, ...] = ("prometheus", "prometheus-operator")
#: Recording-rule name prefix of the error ratios (``apislo:slo_error_ratio:rate5m``).
RATIO_RECORD = "apislo:slo_error_ratio:rate"
_WINDOW_TOKEN = "__APISLO_WINDOW__"
_STATUS_REGEX = {"3xx": "3..", "4xx": "4..", "5xx": "5.."}
_SAMPLE_CODE = {"3xx": "302", "4xx": "400", "5xx": "500"}
T = TypeVar("T")


def slo_id(slo: SLO, objective: Objective) -> str:
    """The ``apislo_id`` label value: ``<service>-<slo>-<objective label>``."""
    return slo.objective_id(objective)


def _profile(slo: SLO) -> Profile:
    return load_profile(slo.source.profile or "generic")


def _group_labels(slo: SLO, profile: Profile) -> list[str]:
    """Metric labels the ratios are summed by (the SLO's ``group_by``)."""
    return [profile.label_for(key) for key in slo.group_by]


def _base_matchers(slo: SLO, profile: Profile) -> dict[str, str | tuple[str, str]]:
    found: dict[str, str | tuple[str, str]] = dict(profile.matchers)
    found.update(dict(slo.source.labels))
    if slo.api is not None:
        found[profile.api_label] = slo.api
    return found


def _sum(expr: str, by: Sequence[str]) -> str:
    return f"sum by ({', '.join(by)}) ({expr})" if by else f"sum({expr})"


def _le_value(threshold_s: float, profile: Profile) -> str:
    """A threshold (seconds) as the ``le`` bound of the profile's histogram, in its unit: every
    digit it has (:func:`~apislo.model.number_label`: ``0.1234561``, not ``:g``'s ``0.123456``,
    another bucket), and exact in milliseconds (``123.4561``, not ``123.45609999999999``)."""
    return number_label(threshold_s, round(math.log10(profile.unit_divisor)))


def _le_matcher(threshold_s: float, profile: Profile) -> tuple[str, str]:
    """``le`` matcher for a threshold: exporters write ``1`` or ``1.0``; match both."""
    value = _le_value(threshold_s, profile)
    forms = dict.fromkeys([value, repr(float(value))])
    if len(forms) == 1:
        return ("=", next(iter(forms)))
    return ("=~", "|".join(re.escape(f) for f in forms))


def _status_matchers(
    slo: SLO, profile: Profile
) -> tuple[dict[str, str | tuple[str, str]], dict[str, str | tuple[str, str]]]:
    """Matchers selecting bad statuses, and a second matcher on the same label (``!="429"``)."""
    classes = sorted(slo.sli.bad_status)
    codes = [_STATUS_REGEX[c] for c in classes]
    second: dict[str, str | tuple[str, str]] = {}
    if slo.sli.count_429 and "4xx" not in classes:
        codes.append("429")
    elif "4xx" in classes and not slo.sli.count_429:
        second[profile.status_label] = ("!=", "429")
    return {profile.status_label: ("=~", "|".join(codes))}, second


def _selector(
    metric: str,
    labels: Mapping[str, str | tuple[str, str]],
    second: Mapping[str, str | tuple[str, str]] | None = None,
) -> str:
    """A series selector; ``second`` adds more matchers on labels already matched."""
    text = selector(metric, labels)
    if not second:
        return text
    more = matchers(second)
    return text[:-1] + "," + more[1:] if labels else metric + more


def _bad_total(slo: SLO, objective: Objective, window: str) -> tuple[str, str]:
    """PromQL for bad and total events over ``window`` (a Prometheus duration)."""
    sli = slo.sli
    if sli.kind == "ratio":
        # (without comments: in a rule's one-line "(...)" a comment would take the ")" along,
        # and a {{.window}} in one is no placeholder; until 2026-11-30 both went through)
        total = strip_comments(sli.total_query or "")
        numerator = strip_comments(sli.bad_query or sli.good_query or "")
        if not total or not numerator:
            raise SpecError(
                slo.origin,
                "sli",
                "a ratio SLI needs total_query and a bad or good query",
                "bad_query/good_query and total_query",
            )
        numerator_field = "bad_query" if sli.bad_query else "good_query"
        for name, query in (("total_query", total), (numerator_field, numerator)):
            if not WINDOW_PLACEHOLDER.search(query):
                raise SpecError(
                    slo.origin,
                    f"sli.{name}",  # (until 2026-11-30 always sli.total_query)
                    f"query {query!r} has no {{{{.window}}}} placeholder for the window",
                    "e.g. sum(rate(http_requests_total[{{.window}}]))",
                )
        total_q = WINDOW_PLACEHOLDER.sub(window, total)
        numerator_q = WINDOW_PLACEHOLDER.sub(window, numerator)
        if sli.bad_query:
            return f"({numerator_q})", f"({total_q})"
        return f"(({total_q}) - ({numerator_q}))", f"({total_q})"
    profile = _profile(slo)
    by = _group_labels(slo, profile)
    base = _base_matchers(slo, profile)
    if sli.kind == "availability":
        total = _sum(f"increase({selector(profile.requests, base)}[{window}])", by)
        status, second = _status_matchers(slo, profile)
        bad_sel = _selector(profile.requests, {**base, **status}, second)
        return _sum(f"increase({bad_sel}[{window}])", by), total
    if sli.kind == "latency":
        if not profile.latency:
            raise ConfigError(f"profile {profile.name} has no latency histogram for SLO {slo.name}")
        threshold = slo.threshold_s(objective)
        if threshold is None:
            raise SpecError(
                slo.origin, "sli.threshold_s", "a latency SLI needs a threshold", "seconds"
            )
        if objective.threshold_op == "lt":
            raise ConfigError(
                f"SLO {slo.name}: objective {objective.label} counts requests strictly faster "
                f"than {threshold:g} s (op: lt), and a histogram's le buckets count those at "
                "most their bound; use op: lte"
            )
        count = selector(profile.latency + "_count", base)
        fast = selector(
            profile.latency + "_bucket", {**base, "le": _le_matcher(threshold, profile)}
        )
        total = _sum(f"increase({count}[{window}])", by)
        return f"({total} - {_sum(f'increase({fast}[{window}])', by)})", total
    raise ConfigError(
        f"SLO {slo.name}: Prometheus rules cannot count {sli.kind} exactly (status and latency "
        "come from separate metrics); split it into an availability and a latency SLO"
    )


def error_ratio_expr(slo: SLO, objective: Objective, window: str) -> str:
    """Event-weighted error ratio over ``window``: ``sum(increase(bad)) / sum(increase(total))``.

    Args:
        slo: the SLO.
        objective: the objective (its latency threshold for latency SLIs).
        window: a Prometheus duration (``5m``, ``30d``).
    """
    bad, total = _bad_total(slo, objective, window)
    return f"{bad}\n/\n{total}"


def _check_occurrences(slo: SLO) -> None:
    """Refuse a time-slice budget: the rules' ratios and alerts count events.

    Raises:
        ConfigError: ``slo`` budgets Timeslices or RatioTimeslices.
    """
    if slo.budgeting_method != "Occurrences":
        raise ConfigError(
            f"SLO {slo.name}: its budget counts time slices ({slo.budgeting_method}) but "
            "Prometheus rules count events (Occurrences), so their alerts would not match "
            "`apislo slo compute`, which evaluates it exactly"
        )


def check_buckets(slos: Sequence[SLO], buckets_s: Sequence[float] | None) -> None:
    """Refuse a latency threshold that is not a bucket of the histogram the rules read: its
    ``le`` matcher would select no series, so the error ratio would be empty and the alerts
    could never fire (``apislo slo compute`` refuses it against Prometheus too).

    Args:
        slos: the SLOs.
        buckets_s: the histogram's finite bucket bounds in seconds, or ``None`` when they are
            not known (nothing is checked).

    Raises:
        SpecError: naming the SLO's file and field, the threshold and the buckets.
    """
    if buckets_s is None:
        return
    bounds = sorted(float(b) for b in buckets_s)
    for slo in slos:
        if slo.sli.kind != "latency":
            continue
        for i, objective in enumerate(slo.objectives):
            threshold = slo.threshold_s(objective)
            if threshold is None or any(math.isclose(threshold, b, rel_tol=1e-9) for b in bounds):
                continue
            own = objective.threshold_s is not None
            raise SpecError(
                slo.origin,
                f"objectives[{i}].threshold_s" if own else "sli.threshold_s",
                f"SLO {slo.name}: {number_label(threshold)} s is not a bucket of the latency "
                f"histogram {_profile(slo).latency}, so its rules would select no series and "
                "their alerts could never fire",
                f"one of its buckets: {', '.join(map(number_label, bounds))} (seconds)",
            )


def unsupported(slo: SLO) -> str | None:
    """Why rules cannot be generated for ``slo``, or ``None`` when they can."""
    try:
        for objective in slo.objectives:
            _bad_total(slo, objective, "5m")
        _check_occurrences(slo)
        policy_for(slo)
    except (ConfigError, SpecError) as exc:
        return str(exc)
    return None


def promtool_testable(slo: SLO) -> bool:
    """Whether :func:`promtool_tests_document` can drive ``slo``'s alerts with synthetic series
    (availability and latency SLIs with alerts; ratio SLIs select arbitrary series)."""
    return not slo.alerting.disabled and slo.sli.kind in ("availability", "latency")


def _spec_label(slo: SLO, field: str, key: str) -> str:
    """``key`` from the spec's ``field`` if it is a Prometheus label name.

    Raises:
        SpecError: naming the spec file and the field (``labels.team-name``).
    """
    try:
        return label_name(key)
    except ConfigError:
        raise SpecError(
            slo.origin,
            f"{field}.{key}",
            "is not a Prometheus label name, so it cannot label the SLO's rules",
            "letters, digits and _, not starting with a digit (team_name)",
        ) from None


def record_labels(slo: SLO, objective: Objective, window: str | None = None) -> dict[str, str]:
    """Labels of an SLO's recording rules (``apislo_window`` when ``window`` is given)."""
    labels = {_spec_label(slo, "labels", k): str(v) for k, v in slo.labels}
    labels.update(
        {
            "apislo_service": slo.service,
            "apislo_slo": slo.name,
            "apislo_objective": objective.label,
            "apislo_id": slo_id(slo, objective),
        }
    )
    if window is not None:
        labels["apislo_window"] = window
    return labels


def alert_labels(slo: SLO, objective: Objective, tier: Tier) -> dict[str, str]:
    """Labels an alerting rule adds, as Prometheus shows them (before template escaping): the
    SLO's ids, severity, tier, windows, and the spec's page/ticket labels.

    ``severity`` is the tier's (``page`` or ``ticket``) unless the spec's page/ticket labels
    set it (Sloth specs often route on ``severity: critical``); the ``apislo_*`` labels always
    come from apislo.
    """
    extra = slo.alerting.page_labels if tier.severity == "page" else slo.alerting.ticket_labels
    labels = {"severity": tier.severity}
    field = f"alerting.{tier.severity}_labels"
    labels.update({_spec_label(slo, field, k): str(v) for k, v in extra})
    labels.update(
        {
            "apislo_slo": slo.name,
            "apislo_objective": objective.label,
            "apislo_id": slo_id(slo, objective),
            "apislo_tier": tier.name,
            "apislo_long_window": prom_duration(tier.long_window),
            "apislo_short_window": prom_duration(tier.short_window),
        }
    )
    return labels


#: ``{{``, and ``}}`` with a ``{`` before it: that ``{`` and the ``{{`` of the action written in
#: place of ``}}`` would open an action (``{}}`` in ``{"items":{}}``).
_TEMPLATE_DELIMS = re.compile(r"\{\{|\{?\}\}")


def escape_template(text: str) -> str:
    """Make text safe in a Prometheus alert template (annotation or label value): ``{{`` and
    ``}}`` stay literal.

    >>> escape_template("a {{ $value }}"), escape_template("{}}")
    ('a {{"{{"}} $value {{"}}"}}', '{{"{}}"}}')
    """
    return _TEMPLATE_DELIMS.sub(lambda m: '{{"' + m.group() + '"}}', text)


def _num(value: float) -> str:
    """A float literal Go parses back to the same float64 (Python's shortest repr)."""
    return repr(float(value))


def alert_annotations(slo: SLO, objective: Objective, tier: Tier, policy: Policy) -> dict[str, str]:
    """Annotations of a tier's alert as Prometheus shows them (before template escaping)."""
    period = slo.window.period
    fraction = tier.budget_fraction(period)
    summary = (
        f"SLO {slo.name} ({objective.label}) is burning its error budget more than "
        f"{tier.factor:g}x too fast"
    )
    description = (
        f"The error ratio of {slo.service}/{slo.name} over both the last "
        f"{prom_duration(tier.long_window)} and the last {prom_duration(tier.short_window)} is "
        f"above {tier.factor:g} x {error_allowance(objective.target):.12g} (objective "
        f"{objective.target:.12g}, {slo.window.label} window): at this rate "
        f"{fraction:.1%} of the budget goes in {prom_duration(tier.long_window)}. Policy "
        f"{policy.name}, tier {tier.name}."
    )
    if slo.description:
        description += f" {slo.description}"
    found = {"summary": summary, "description": description}
    alerting = slo.alerting
    own = alerting.page_annotations if tier.severity == "page" else alerting.ticket_annotations
    found.update({str(k): str(v) for k, v in (*alerting.annotations, *own)})
    return found


@dataclass(frozen=True)
class _Objective:
    slo: SLO
    objective: Objective
    policy: Policy

    @property
    def group_name(self) -> str:
        return f"apislo-{slo_id(self.slo, self.objective)}"


def _objectives(slos: Sequence[SLO]) -> list[_Objective]:
    """Each objective of ``slos`` with its policy.

    Raises:
        SpecError: two objectives share an ``apislo_id``, hence a rule group name
            (:func:`apislo.slo.loader.check_ids`; specs are checked when loaded).
    """
    check_ids(slos)
    out = []
    for slo in slos:
        policy = policy_for(slo)
        out.extend(_Objective(slo, objective, policy) for objective in slo.objectives)
    return out


def _group(item: _Objective, interval: str) -> dict[str, Any]:
    slo, objective, policy = item.slo, item.objective, item.policy
    _check_occurrences(slo)
    windows = [*policy.windows]
    if slo.window.period not in windows:
        windows.append(slo.window.period)
    rules: list[dict[str, Any]] = []
    for window in windows:
        w = prom_duration(window)
        rules.append(
            {
                "record": f"{RATIO_RECORD}{w}",
                "expr": error_ratio_expr(slo, objective, w),
                "labels": record_labels(slo, objective, w),
            }
        )
    labels = record_labels(slo, objective)
    allowance = error_allowance(objective.target)
    only = matchers({"apislo_id": slo_id(slo, objective)})
    period = prom_duration(slo.window.period)
    rules += [
        {"record": "apislo:slo_objective:ratio", "expr": _num(objective.target), "labels": labels},
        {"record": "apislo:slo_error_budget:ratio", "expr": _num(allowance), "labels": labels},
        {
            "record": "apislo:slo_error_budget_remaining:ratio",
            "expr": f"1 - ({RATIO_RECORD}{period}{only} / {_num(allowance)})",
            "labels": {**labels, "apislo_window": period},
        },
    ]
    if not slo.alerting.disabled:
        for tier in policy.tiers:
            threshold = f"({_num(tier.factor)} * {_num(allowance)})"
            long_w, short_w = prom_duration(tier.long_window), prom_duration(tier.short_window)
            expr = (
                f"{RATIO_RECORD}{long_w}{only} > {threshold}\n"
                "and ignoring (apislo_window)\n"
                f"{RATIO_RECORD}{short_w}{only} > {threshold}"
            )
            tier_labels = alert_labels(slo, objective, tier)
            annotations = alert_annotations(slo, objective, tier, policy)
            rule: dict[str, Any] = {"alert": alert_name(slo, tier), "expr": expr}
            if tier.alert_after:
                rule["for"] = prom_duration(tier.alert_after)
            rule["labels"] = {k: escape_template(v) for k, v in tier_labels.items()}
            rule["annotations"] = {k: escape_template(v) for k, v in annotations.items()}
            rules.append(rule)
    return {"name": item.group_name, "interval": interval, "rules": rules}


def _encodable(slo: SLO, value: T) -> T:
    """``value`` (text, or mappings and lists of it, made from ``slo``), once UTF-8 can encode
    all its text: Prometheus reads rules and tests as UTF-8. The spec loader refuses a lone
    surrogate in a spec file; this catches the SLOs built in Python.

    Raises:
        SpecError: some text holds a lone surrogate (:data:`~apislo.text.LONE_SURROGATE`),
            naming the SLO's origin, the SLO and where the text goes.
    """
    if found := lone_surrogate(value):
        where, character = found
        raise SpecError(
            slo.origin,
            f"SLO {slo.name!r}",
            f"the text for {where or 'its rules'} holds {character}, half of a UTF-16 surrogate "
            "pair, which UTF-8, and so Prometheus, cannot hold",
            SURROGATE_INSTEAD,
        )
    return value


def group_interval(text: str) -> str:
    """A rule group's evaluation interval as the Prometheus duration written in the rules.

    Args:
        text: a duration such as ``30s``, ``1m``, ``1h30m`` (``90s`` is written ``1m30s``).

    Raises:
        ConfigError: not such a duration, zero, or longer than
            :data:`~apislo.slo.spec.MAX_DURATION` (1830 days): promtool would refuse the rules.
    """
    try:
        return prom_duration(check_duration(parse_duration(text)))
    except ValueError:
        raise ConfigError(
            f"{text!r} is not a Prometheus duration such as 30s, 1m (positive, at most 1830d)"
        ) from None


def rule_groups(
    slos: Sequence[SLO], interval: str = "1m", buckets_s: Sequence[float] | None = None
) -> list[dict[str, Any]]:
    """One rule group per SLO objective (recordings first, then alerts).

    Args:
        slos: the SLOs.
        interval: evaluation interval of the groups (:func:`group_interval`).
        buckets_s: the latency histogram's bucket bounds in seconds, when known: a latency
            threshold must be one of them (:func:`check_buckets`).

    Raises:
        ConfigError: ``interval`` is not a positive Prometheus duration.
    """
    every = group_interval(interval)
    check_buckets(slos, buckets_s)
    return [_encodable(item.slo, _group(item, every)) for item in _objectives(slos)]


def rules_document(
    slos: Sequence[SLO],
    fmt: str = "prometheus",
    name: str = "apislo-slos",
    interval: str = "1m",
    buckets_s: Sequence[float] | None = None,
) -> dict[str, Any]:
    """The rules as a YAML-ready mapping.

    Args:
        slos: SLOs from :func:`apislo.slo.load`.
        fmt: ``prometheus`` (a rule file) or ``prometheus-operator`` (a ``PrometheusRule``).
        name: ``metadata.name`` of the PrometheusRule (made DNS-1123 safe).
        interval: evaluation interval of the groups.
        buckets_s: the latency histogram's bucket bounds in seconds, when known.

    Raises:
        ConfigError: unknown format, an SLI the rules cannot express, a Timeslices or
            RatioTimeslices budget (the rules count events), or an ``interval`` that is not a
            positive Prometheus duration.
        SpecError: a latency threshold is not one of ``buckets_s``.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown rules format {fmt!r}: use one of {', '.join(FORMATS)}")
    groups = rule_groups(slos, interval, buckets_s)
    if fmt == "prometheus":
        return {"groups": groups}
    safe = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:253] or "apislo-slos"
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": safe, "labels": {"app.kubernetes.io/managed-by": "apislo"}},
        "spec": {"groups": groups},
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, keys in insertion order, no ``&id`` aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


#: Characters YAML 1.1 reads as line breaks besides ``\n`` and ``\r`` (which PyYAML escapes
#: anyway): NEL, LS and PS. Written as they are, a block or a quoted scalar folds them (NEL comes
#: back as ``\n`` or a space), and a YAML 1.2 reader takes them as text with the indentation after
#: them; escaped (``\N``, ``\L``, ``\P``) in a double-quoted scalar, every reader gets them back.
_OTHER_BREAKS = re.compile("[\x85\u2028\u2029]")


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _OTHER_BREAKS.search(value) else "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(doc: Mapping[str, Any], header: str) -> str:
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return header + body


#: What a tests file's first line says it is (see :data:`TESTS_HEADER`).
_TESTS_WHAT = "promtool rule tests"
#: How every tests file :func:`promtool_tests_yaml` writes begins.
TESTS_HEADER = f"# {_TESTS_WHAT} generated by apislo"


#: What a one-line YAML comment cannot hold as it is, besides :func:`~apislo.text.printable`'s
#: C0 controls: C1 controls (NEL is a line break), LS and PS (line breaks), U+FFFE and U+FFFF
#: (not allowed in YAML) and lone surrogates (a file name that is not UTF-8).
_NOT_IN_COMMENT = re.compile("[\x80-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def _escape(found: re.Match[str]) -> str:
    """A character as :func:`~apislo.text.printable` writes one: ``\\x85``, ``\\u2028``."""
    code = ord(found.group())
    return f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}"


def _header(slos: Sequence[SLO], what: str) -> str:
    """The provenance comment: spec files whose names hold line breaks or characters YAML
    refuses are written with those escaped (``\\x0A``), so the comment stays one line."""
    origins = sorted({_NOT_IN_COMMENT.sub(_escape, printable(str(s.origin))) for s in slos})
    return f"# {what} generated by apislo {__version__} from: {', '.join(origins)}\n"


def rules_yaml(
    slos: Sequence[SLO],
    fmt: str = "prometheus",
    name: str = "apislo-slos",
    interval: str = "1m",
    buckets_s: Sequence[float] | None = None,
) -> str:
    """The rules as YAML text (see :func:`rules_document`), with a provenance comment."""
    document = rules_document(slos, fmt, name, interval, buckets_s)
    return _dump(document, _header(slos, "Prometheus rules"))


# --- promtool unit tests ---------------------------------------------------------------------

#: Requests per minute in synthetic series (large, so small burn fractions are whole counts).
_RATE = 1_000_000
#: Burn scenarios burn this many times faster than the tier's factor.
_BURN_MULTIPLE = 4
#: Healthy scenarios burn at this fraction of the smallest factor.
_HEALTHY_FRACTION = 0.5


def synthetic_series(
    slo: SLO, objective: Objective, bad_cumulative: Sequence[str], total_cumulative: Sequence[str]
) -> list[dict[str, str]]:
    """``input_series`` entries whose rules' bad and total counters follow the given values.

    Args:
        slo: the SLO (its profile's metric and label names are used).
        objective: the objective (latency threshold).
        bad_cumulative: promtool ``values`` of the bad-event counter.
        total_cumulative: promtool ``values`` of the all-event counter.

    Raises:
        ConfigError: ratio SLIs (arbitrary PromQL) have no synthetic series.
    """
    if slo.sli.kind not in ("availability", "latency"):
        raise ConfigError(f"SLO {slo.name}: no synthetic series for a {slo.sli.kind} SLI")
    profile = _profile(slo)
    labels = {k: v for k, v in _base_matchers(slo, profile).items() if isinstance(v, str)}
    labels.update({label: "synthetic" for label in _group_labels(slo, profile)})
    bad, total = " ".join(bad_cumulative), " ".join(total_cumulative)
    if slo.sli.kind == "availability":
        bad_code = _SAMPLE_CODE[sorted(slo.sli.bad_status)[0]]
        good, bad_series = dict(labels), dict(labels)
        good[profile.status_label], bad_series[profile.status_label] = "200", bad_code
        return [
            {"series": selector(profile.requests, bad_series), "values": bad},
            {"series": selector(profile.requests, good), "values": _difference(total, bad)},
        ]
    threshold = slo.threshold_s(objective) or 0.0
    le = _le_value(threshold, profile)
    return [
        {"series": selector(profile.latency + "_count", labels), "values": total},
        {
            "series": selector(profile.latency + "_bucket", {**labels, "le": le}),
            "values": _difference(total, bad),
        },
    ]


def _difference(total: str, bad: str) -> str:
    """Element-wise ``total - bad`` of two explicit promtool value lists."""
    return " ".join(str(int(t) - int(b)) for t, b in zip(total.split(), bad.split(), strict=True))


def _ramp(per_step: int, steps: int, start_after: int = 0) -> list[str]:
    """Cumulative counter values at steps ``0..steps``: ``per_step`` per step from step
    ``start_after`` on (the interval ``[i, i+1)`` shows in the sample at ``i + 1``)."""
    return [str(per_step * max(0, i - start_after)) for i in range(steps + 1)]


def _first_fire(tier: Tier, objective: Objective, bad: int, total: int, step: timedelta) -> int:
    """Steps after a burn starts at which ``tier`` first fires, from the window maths.

    With ``total`` events and (after the start) ``bad`` bad events per step, and a full long
    window of traffic behind, after ``k`` burning steps the long window's error ratio is
    ``k * bad / (L * total)`` and the short one's ``min(k, S) * bad / (S * total)`` (``L``, ``S``
    in steps). The alert fires at the first ``k`` where both exceed ``factor * (1 -
    objective)``, computed with the float64 operations Prometheus performs.
    """
    threshold = tier.threshold(objective.target)
    long_n, short_n = tier.long_window // step, tier.short_window // step
    guess = max(1, int(threshold * long_n * total / bad) - 2)
    for k in range(guess, long_n + 1):
        if (k * bad) / (long_n * total) > threshold and (min(k, short_n) * bad) / (
            short_n * total
        ) > threshold:
            return k
    raise ConfigError(f"tier {tier.name}: the synthetic burn never fires within its long window")


def _expected(slo: SLO, objective: Objective, tier: Tier, policy: Policy) -> dict[str, Any]:
    profile = _profile(slo)
    labels = record_labels(slo, objective, prom_duration(tier.long_window))
    labels.update({label: "synthetic" for label in _group_labels(slo, profile)})
    labels.update(alert_labels(slo, objective, tier))
    annotations = alert_annotations(slo, objective, tier, policy)
    return {"exp_labels": labels, "exp_annotations": annotations}


def _tests_for(item: _Objective, step: timedelta) -> list[dict[str, Any]]:
    slo, objective, policy = item.slo, item.objective, item.policy
    tests = []
    interval = prom_duration(step)
    for tier in policy.tiers:
        if not tier.can_fire(objective.target):
            continue
        threshold = tier.threshold(objective.target)
        long_n = tier.long_window // step
        fraction = min(_BURN_MULTIPLE * threshold, (threshold + 1) / 2)
        bad = max(1, round(fraction * _RATE))
        # (Prometheus fires once ``for`` has elapsed since the first evaluation that found it)
        fire = _first_fire(tier, objective, bad, _RATE, step) + math.ceil(tier.alert_after / step)
        steps = long_n + fire + 1
        name = alert_name(slo, tier)
        tests.append(
            {
                "name": f"{slo_id(slo, objective)} {tier.name}: a {bad / _RATE:.4%} error ratio "
                f"from {prom_duration(tier.long_window)} on fires {prom_duration(fire * step)} "
                "later",
                "interval": interval,
                "input_series": synthetic_series(
                    slo, objective, _ramp(bad, steps, long_n), _ramp(_RATE, steps)
                ),
                "alert_rule_test": [
                    {
                        "eval_time": prom_duration((long_n + fire - 1) * step),
                        "alertname": name,
                        "exp_alerts": [],
                    },
                    {
                        "eval_time": prom_duration((long_n + fire) * step),
                        "alertname": name,
                        "exp_alerts": [_expected(slo, objective, tier, policy)],
                    },
                ],
            }
        )
    smallest = min(t.threshold(objective.target) for t in policy.tiers)
    bad = int(_HEALTHY_FRACTION * min(smallest, 1.0) * _RATE)
    longest = max(t.long_window for t in policy.tiers) // step
    steps = longest + 12
    checks = sorted({12, longest // 2, longest, steps})
    tests.append(
        {
            "name": f"{slo_id(slo, objective)}: a {bad / _RATE:.4%} error ratio stays silent",
            "interval": interval,
            "input_series": synthetic_series(
                slo, objective, _ramp(bad, steps), _ramp(_RATE, steps)
            ),
            "alert_rule_test": [
                {
                    "eval_time": prom_duration(i * step),
                    "alertname": alert_name(slo, tier),
                    "exp_alerts": [],
                }
                for i in checks
                for tier in policy.tiers
            ],
        }
    )
    return tests


def promtool_test_step(slos: Sequence[SLO]) -> timedelta:
    """Evaluation interval of the promtool tests: the largest that divides every window.

    Evaluating every minute over days of synthetic series is slow in promtool (a 1-day window
    takes ~25 s); the Workbook's windows are all multiples of 5 minutes.
    """
    minutes = 0
    for item in _objectives(slos):
        for w in (*item.policy.windows, item.slo.window.period):
            minutes = math.gcd(minutes, int(w // timedelta(minutes=1)))
    return timedelta(minutes=max(minutes, 1))


def promtool_tests_document(slos: Sequence[SLO], rule_file: str) -> dict[str, Any]:
    """A ``promtool test rules`` file for the rules of ``slos``.

    Per SLO objective and tier, a burn scenario (a full long window of steady traffic, then an
    error ratio ``4 x factor x (1 - objective)``, or halfway to 100 % when that is above it;
    tiers whose threshold is 100 % or more can never fire and get no burn test) checks that
    the alert is silent one evaluation before the time the window maths predict (plus the
    tier's ``alert_after``, its ``for``) and firing at it, with its exact labels and
    annotations; a healthy scenario (half the smallest
    threshold) checks every alert stays silent. Series and evaluations are spaced
    :func:`promtool_test_step` apart.

    Args:
        slos: the SLOs (only availability and latency SLIs; ratio SLIs are skipped).
        rule_file: path of the rules file, relative to the tests file's folder.

    Raises:
        ConfigError: none of the SLOs has an SLI that synthetic series can drive.
    """
    tests = []
    step = promtool_test_step(slos)
    for item in _objectives(slos):
        if not promtool_testable(item.slo):
            continue
        tests.extend(_encodable(item.slo, _tests_for(item, step)))
    if not tests:
        raise ConfigError(
            "no SLO here has an availability or latency SLI with alerts, so there is nothing "
            "promtool tests could drive with synthetic series"
        )
    return {"rule_files": [rule_file], "evaluation_interval": prom_duration(step), "tests": tests}


def promtool_tests_yaml(slos: Sequence[SLO], rule_file: str | Path) -> str:
    """The promtool tests as YAML text (see :func:`promtool_tests_document`)."""
    return _dump(promtool_tests_document(slos, str(rule_file)), _header(slos, _TESTS_WHAT))


def promtool_tests_by_step(
    slos: Sequence[SLO], rule_file: str | Path
) -> list[tuple[timedelta, str]]:
    """The promtool tests of the testable SLOs as YAML texts, one per evaluation step, the
    largest step first (empty when no SLO is testable).

    promtool evaluates a whole file at one step (``evaluation_interval``), the largest dividing
    every window of its SLOs. SLOs whose windows share only a shorter one (``pyrra`` scales its
    windows with the period: 1h4m for 30 days, so 1 minute) would make the others' tests run at
    it too: a Workbook SLO's took 100 s at 1 minute instead of 6 s at 5. Each step's SLOs get a
    file of their own.
    """
    by_step: dict[timedelta, list[SLO]] = {}
    for slo in slos:
        if promtool_testable(slo):
            by_step.setdefault(promtool_test_step([slo]), []).append(slo)
    return [
        (step, promtool_tests_yaml(group, rule_file))
        for step, group in sorted(by_step.items(), reverse=True)
    ]
