"""OpenSLO ``openslo/v1`` and ``openslo/v1alpha`` specs mapped into :class:`apislo.slo.spec.SLO`.

v1 kinds read: ``SLO``, ``SLI`` (inline ``indicator`` or ``indicatorRef``), ``DataSource``,
``AlertPolicy`` and ``AlertCondition`` (inline or by reference); ``Service`` and
``AlertNotificationTarget`` are accepted and ignored. References resolve across every file given
to one :func:`apislo.slo.load` call.

SLIs: ``ratioMetric`` (``good``/``bad`` + ``total`` Prometheus queries -> a ``ratio`` SLI) and
``thresholdMetric`` (-> a latency SLI: the share of requests at most ``value`` seconds, from the
traffic frame's buckets; strictly below it with ``op: lt``). A metric source of ``type: apislo``
carries apislo's own SLI fields in its ``spec`` (``kind``, ``bad_status``, ``count_429``,
``threshold_s``, plus ``api``, ``group_by`` and ``source``, apislo's ``source`` block), so an
OpenSLO file can describe an SLO computed from gateway logs; in a ``ratioMetric`` the ``total``
source must not contradict ``good``'s. An objective's ``op`` / ``value`` needs a latency SLI.

A ``burnrate`` ``AlertCondition`` is a tier; its ``alertAfter`` is the tier's ``alert_after``
(Prometheus's ``for``). What OpenSLO has no field for, apislo's export keeps in
``apislo.dev/`` annotations (:data:`ANNOTATION`), which are read back here.

Calendar windows honour ``startTime``: periods start on its date (weeks on its weekday,
quarters and years in its month); for months, quarters and years it must be the 1st.

Durations use OpenSLO's shorthand, case-sensitive: ``m`` minutes, ``M`` months. A rolling window
in minutes is almost always a typo for months and raises a :class:`SpecWarning`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apislo.slo.formats._fields import Node, warn
from apislo.slo.formats.apislo_yaml import (
    check_calendar_count,
    check_group_by,
    check_objective_labels,
    check_slice_window,
    check_timezone,
    parse_sli,
    parse_source,
    warn_milliseconds,
)
from apislo.slo.policy import check_duration, parse_duration, prom_duration, tiers_from_spec
from apislo.slo.spec import (
    BUDGETING_METHODS,
    SLI,
    SLO,
    Alerting,
    Objective,
    SourceHints,
    TimeWindow,
)
from apislo.slo.windows import CALENDAR_SHORTHAND, parse_shorthand, shorthand_timedelta

__all__ = [
    "ALERT_NOTES", "ANNOTATION", "KINDS", "V1", "V1ALPHA", "parse_v1", "parse_v1alpha", "scan_text",
]  # fmt: skip

V1 = "openslo/v1"
V1ALPHA = "openslo/v1alpha"
KINDS = ("SLO", "SLI", "DataSource", "AlertPolicy", "AlertCondition", "AlertNotificationTarget",
         "Service")  # fmt: skip
#: Prefix of the ``metadata.annotations`` apislo writes and reads: on an SLO, its owners, alert
#: policy, alert name, alerts disabled, :data:`ALERT_NOTES`, and the ``api`` and ``group-by``
#: of an SLI in PromQL; on an ``AlertCondition``, its tier's ``short-window``.
ANNOTATION = "apislo.dev/"
#: :class:`~apislo.slo.spec.Alerting` fields OpenSLO has no field for -> the SLO annotation
#: (after :data:`ANNOTATION`) that holds them, as a JSON object of text.
ALERT_NOTES = {
    "page_labels": "page-labels",
    "ticket_labels": "ticket-labels",
    "annotations": "alert-annotations",
    "page_annotations": "page-annotations",
    "ticket_annotations": "ticket-annotations",
}
#: The annotations (after :data:`ANNOTATION`) apislo reads on an SLO, and on an
#: ``AlertCondition``; another under that prefix is refused, as a typo would be ignored.
_SLO_NOTES = (
    "owners", "alert-policy", "alert-name", "alerts-disabled", "api", "group-by",
    *ALERT_NOTES.values(),
)  # fmt: skip
_CONDITION_NOTES = ("short-window",)
_CALENDAR_UNITS = {"w": "week", "d": "day", **CALENDAR_SHORTHAND}
_OBJECTIVE_KEYS = (
    "displayName", "name", "op", "value", "target", "targetPercent", "timeSliceTarget",
    "timeSliceWindow",
)  # fmt: skip
#: A v1 objective's own SLI and weight: a composite SLO, refused (:func:`_refuse_composite`).
_COMPOSITE_KEYS = ("indicator", "indicatorRef", "compositeWeight")
_PAGE_WORDS = {"page", "critical", "sev1", "sev-1", "p1", "high", "urgent"}
#: ``AlertPolicy`` flags: (field, the value apislo does not honour, what apislo does instead).
_POLICY_FLAGS = (
    ("alertWhenBreaching", False, "apislo's alerts fire while their condition breaches (to have "
     "no alerts, give the SLO no alert policy)"),
    ("alertWhenResolved", True, "apislo raises no alert when a condition resolves, its alert "
     "just stops (whether that is notified is Alertmanager's send_resolved)"),
    ("alertWhenNoData", True, "apislo's alerts never fire on windows without events (alert on "
     "missing series with a rule of your own, e.g. absent())"),
)  # fmt: skip
_ZERO_DURATION = re.compile(r"^0+[smhdw]$")
_MONTH_COMMENT = re.compile(r"^\s*-?\s*duration:\s*['\"]?(\d+)m['\"]?\s*#(.*month.*)$", re.I)


def scan_text(text: str, path: str) -> None:
    """Warn about ``duration: <n>m`` lines whose comment speaks of months (YAML drops comments)."""
    for lineno, line in enumerate(text.splitlines(), start=1):
        match = _MONTH_COMMENT.match(line)
        if match:
            n = match.group(1)
            warn(
                path,
                f"line {lineno}",
                f"duration {n}m means {n} minute(s), but the comment says month: write {n}M "
                "for months (OpenSLO postfixes are case-sensitive)",
            )


# ---------------------------------------------------------------------------------------------
# openslo/v1


def parse_v1(docs: list[tuple[str, Mapping[str, Any]]]) -> list[SLO]:
    """Every ``SLO`` among ``docs`` (``(path, document)`` pairs, all ``openslo/v1``).

    Raises:
        SpecError: an invalid field, an unknown kind, or a reference to a missing object.
    """
    index: dict[str, dict[str, Node]] = {kind: {} for kind in KINDS}
    for path, doc in docs:
        top = Node.of(path, "", doc)
        top.only("apiVersion", "kind", "metadata", "spec")
        kind = top.text("kind", required=True, allowed=KINDS)
        meta = top.child("metadata", required=True)
        assert kind is not None and meta is not None
        name = meta.text("name", required=True)
        assert name is not None
        if name in index[kind]:
            raise meta.error("name", f"a {kind} named {name!r} is defined twice", "unique names")
        index[kind][name] = top
    return [_slo_v1(top, index) for top in index["SLO"].values()]


def _metadata(top: Node) -> tuple[str, str | None, Node]:
    """Name, display name and the ``metadata`` node of an object (an SLO's ``labels`` are
    read from it with :meth:`Node.labels`: they label its Prometheus rules)."""
    meta = top.child("metadata", required=True)
    assert meta is not None
    name = meta.name("name")
    assert name is not None
    return name, meta.text("displayName"), meta


def _rule_labels(meta: Node) -> tuple[tuple[str, str], ...]:
    """An SLO's ``metadata.labels``, which label its Prometheus rules, with each name made a
    Prometheus label name as Prometheus makes Kubernetes label names one (every character other
    than a letter, digit or ``_`` becomes ``_``; ``_`` before a leading digit), with a warning:
    OpenSLO objects are labelled Kubernetes-style (``app.kubernetes.io/name``).

    Raises:
        SpecError: two names become one.
    """
    labels: dict[str, str] = {}
    for name, value in meta.pairs("labels"):
        prom = re.sub(r"\W", "_", name, flags=re.ASCII)
        prom = f"_{prom}" if prom[:1].isdigit() else prom
        if prom in labels:
            raise meta.error(
                f"labels.{name}",
                f"is {prom} in Prometheus rules, as another label is",
                "label names that stay apart once characters other than letters, digits and _ "
                "are _",
            )
        if prom != name:
            warn(
                meta.path,
                f"{meta.where('labels')}.{name}",
                f"written as {prom} in Prometheus rules",
            )
        labels[prom] = value
    return tuple(sorted(labels.items()))


def _slo_v1(top: Node, index: dict[str, dict[str, Node]]) -> SLO:
    name, display, meta = _metadata(top)
    spec = top.child("spec", required=True)
    assert spec is not None
    spec.only(
        "description", "service", "indicator", "indicatorRef", "timeWindow", "budgetingMethod",
        "objectives", "alertPolicies",
    )  # fmt: skip
    objective_nodes = list(spec.children("objectives", required=True))
    for objective_node in objective_nodes:
        _refuse_composite(objective_node)
    sli_node = _resolve(spec, "indicator", "indicatorRef", "SLI", index)
    sli, api, group_by, hints = _sli_v1(sli_node, index)
    notes = _notes(meta, _SLO_NOTES)
    api, group_by = _scope(meta, notes, api, group_by)
    method = spec.text("budgetingMethod", required=True, allowed=BUDGETING_METHODS)
    assert method is not None
    windows = list(spec.children("timeWindow"))
    if len(windows) > 1:
        raise spec.error("timeWindow", "holds more than one window", "exactly one item")
    text = " ".join(filter(None, (name, display, spec.text("description"))))
    window = _window_v1(windows[0], text) if windows else None
    if window is None:
        raise spec.error("timeWindow", "missing", "one rolling or calendar window")
    objectives = tuple(_objective(o, method, sli, window, v1=True) for o in objective_nodes)
    check_objective_labels(objective_nodes, objectives)
    if (
        sli.uses_latency
        and sli.threshold_s is None
        and any(o.threshold_s is None for o in objectives)
    ):
        raise spec.error("objectives", "a thresholdMetric SLO needs op and value per objective")
    alerting = _alerting_v1(spec, index, window)
    if ANNOTATION + "alert-policy" in notes:  # (a preset, or the name of the tiers' policy)
        alerting = replace(alerting, policy=notes[ANNOTATION + "alert-policy"])
    owners = notes.get(ANNOTATION + "owners")
    return SLO(
        name=name,
        service=spec.service() or "",
        sli=sli,
        objectives=objectives,
        window=window,
        budgeting_method=method,
        api=api,
        description=spec.text("description", default="") or "",
        owners=_noted_list(owners or ""),
        alerting=replace(
            alerting,
            name=notes.get(ANNOTATION + "alert-name"),
            disabled=notes.get(ANNOTATION + "alerts-disabled", "").lower() == "true",
            **{field: _noted_labels(meta, notes, key) for field, key in ALERT_NOTES.items()},
        ),
        group_by=group_by,
        source=hints,
        labels=_rule_labels(meta),
        origin=f"{top.path} ({V1})",
    )


def _notes(meta: Node, known: tuple[str, ...]) -> dict[str, str]:
    """An object's ``metadata.annotations``.

    Raises:
        SpecError: one under :data:`ANNOTATION` that apislo does not read (``known``), as
            ``apislo.dev/page-label`` for ``page-labels``: it would be ignored.
    """
    notes = dict(meta.pairs("annotations"))
    for key in notes:
        if key.startswith(ANNOTATION) and key.removeprefix(ANNOTATION) not in known:
            raise meta.error(
                f"annotations.{key}",
                f"is not an annotation apislo reads ({ANNOTATION} is apislo's own prefix)",
                ", ".join(ANNOTATION + k for k in known),
            )
    return notes


def _noted_list(text: str) -> tuple[str, ...]:
    """A comma-separated annotation (``alice, bob``) as its items, without spaces around them."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _scope(
    meta: Node, notes: Mapping[str, str], api: str | None, group_by: tuple[str, ...]
) -> tuple[str | None, tuple[str, ...]]:
    """The SLO's ``api`` and ``group_by``: its apislo metric source's, or those of the
    annotations ``apislo.dev/api`` and ``apislo.dev/group-by`` (comma-separated), which apislo's
    export writes for an SLI in PromQL (a ratio SLI's queries carry neither).

    Raises:
        SpecError: an annotation contradicts the apislo metric source, or names a column the
            traffic frame does not have.
    """
    noted_api = notes.get(ANNOTATION + "api")
    noted_group_by = _noted_list(notes.get(ANNOTATION + "group-by", ""))
    for key, own, noted in (("api", api, noted_api), ("group-by", group_by, noted_group_by)):
        if own and noted and own != noted:
            raise meta.error(
                f"annotations.{ANNOTATION}{key}",
                f"{noted!r} contradicts the apislo metric source's {own!r}",
                "the same value in both, or one of them",
            )
    check_group_by(meta, f"annotations.{ANNOTATION}group-by", noted_group_by)
    return api or noted_api, group_by or noted_group_by


def _noted_labels(meta: Node, notes: Mapping[str, str], key: str) -> tuple[tuple[str, str], ...]:
    """The alert labels (or annotations) apislo's export keeps in the SLO annotation
    ``apislo.dev/<key>``, a JSON object of text, as sorted pairs.

    Raises:
        SpecError: not such an object, or a name that is not a Prometheus label name.
    """
    full = ANNOTATION + key
    if full not in notes:
        return ()
    try:
        value = json.loads(notes[full])
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise meta.error(
            f"annotations.{full}",
            f"{notes[full]!r} is not a JSON object of text",
            '{"severity": "critical"}',
        )
    return Node(meta.path, meta.where("annotations"), {full: value}).labels(full)


def _resolve(
    spec: Node, inline: str, ref: str, kind: str, index: dict[str, dict[str, Node]]
) -> Node:
    """The inline object under ``inline`` or the one named by ``ref`` (not both: OpenSLO
    allows one, and the other would be ignored)."""
    if spec.has(inline) and spec.has(ref):
        raise spec.error(ref, f"given with {inline}", f"{inline} or {ref}, not both")
    if spec.has(inline):
        node = spec.child(inline)
        assert node is not None
        return node
    name = spec.text(ref)
    if name is None:
        raise spec.error(inline, f"missing (give {inline} or {ref})")
    if name not in index[kind]:
        known = ", ".join(index[kind]) or "none loaded"
        raise spec.error(ref, f"no {kind} named {name!r} in the files given", known)
    return index[kind][name]


def _listed(item: Node, ref: str, kind: str, index: dict[str, dict[str, Node]]) -> Node:
    """An item of ``alertPolicies`` or ``conditions``: an inline object (it has a ``spec``) or
    the one its ``ref`` names, not both."""
    if item.has("spec") and item.has(ref):
        raise item.error(ref, "given with an inline spec", f"an inline {kind} or {ref}, not both")
    return item if item.has("spec") else _resolve(item, "spec", ref, kind, index)


def _source(node: Node, index: dict[str, dict[str, Node]]) -> tuple[str, Node | None, str | None]:
    """Type, spec and data-source name of a ``metricSource``. The ``DataSource`` a
    ``metricSourceRef`` names must be among the files only when the metric source gives no
    ``type``, to take it from there: apislo reads nothing else of it (where Prometheus is, it
    is told on the command line), so beside a ``type`` the reference is kept as a name, as in
    the OpenSLO README's examples and apislo's export. One that names none of the
    ``DataSource`` objects given (a typo, most likely) warns."""
    ms = node.child("metricSource", required=True)
    assert ms is not None
    ms.only("metricSourceRef", "type", "spec")
    ref = ms.text("metricSourceRef")
    kind = ms.text("type")
    if ref is not None and ref not in index["DataSource"]:
        known = ", ".join(index["DataSource"]) or "none loaded"
        if kind is None:
            raise ms.error("metricSourceRef", f"no DataSource named {ref!r}", known)
        if index["DataSource"]:  # (none given: an export read alone, no typo to tell)
            warn(
                ms.path,
                ms.where("metricSourceRef"),
                f"no DataSource named {ref!r} among those given ({known}): kept as a name, "
                "as a type is given beside it; check its spelling",
            )
    if ref is not None and kind is None:
        ds_spec = index["DataSource"][ref].child("spec")
        kind = ds_spec.text("type") if ds_spec else None
    if kind is None:
        raise ms.error("type", "missing (and no metricSourceRef to take it from)")
    return kind, ms.child("spec"), ref


def _query(spec: Node | None, where: Node) -> str:
    for key in ("query", "promql"):
        if spec is not None and spec.has(key):
            return str(spec.raw(key))
    raise where.error("metricSource.spec.query", "missing", "a PromQL query")


#: An apislo metric source's SLI, ``api``, ``group_by`` and ``source`` hints (``None`` if none).
_ApisloSource = tuple[SLI, str | None, tuple[str, ...], SourceHints | None]


def _apislo_sli(spec: Node | None) -> _ApisloSource:
    if spec is None:
        return SLI(), None, (), None
    rest = {k: v for k, v in spec.data.items() if k not in ("api", "group_by", "source")}
    source = spec.child("source")
    group_by = spec.strings("group_by")
    check_group_by(spec, "group_by", group_by)
    return (
        parse_sli(Node(spec.path, spec.field, rest)),
        spec.text("api"),
        group_by,
        parse_source(source) if source is not None else None,
    )


def _sli_v1(
    node: Node, index: dict[str, dict[str, Node]]
) -> tuple[SLI, str | None, tuple[str, ...], SourceHints]:
    name = node.child("metadata").text("name") if node.has("metadata") else None
    spec = node.child("spec", required=True)
    assert spec is not None
    spec.only("description", "thresholdMetric", "ratioMetric")
    if spec.has("thresholdMetric") == spec.has("ratioMetric"):
        raise spec.error("ratioMetric", "give exactly one of thresholdMetric and ratioMetric")
    if spec.has("thresholdMetric"):
        metric = spec.child("thresholdMetric")
        assert metric is not None
        kind, mspec, ref = _source(metric, index)
        hints = _hints(kind, ref)
        if kind.lower() == "apislo":
            sli, api, group_by, source = _apislo_sli(mspec)
            return _named(sli, name), api, group_by, source or hints
        warn(
            spec.path,
            spec.where("thresholdMetric"),
            f"the {kind} query is not run: apislo evaluates a thresholdMetric as the share of "
            "requests with latency within each objective's value (seconds) from the traffic "
            "frame's latency buckets",
        )
        return SLI(kind="latency", name=name), None, (), hints
    metric = spec.child("ratioMetric")
    assert metric is not None
    metric.only("counter", "good", "bad", "total", "rawType", "raw")
    if metric.has("raw"):
        raise metric.error(
            "raw",
            "precomputed ratios cannot give event counts, so budgets and burn rates would not "
            "be exact",
            "good or bad with total",
        )
    if metric.has("good") == metric.has("bad"):
        raise metric.error("good", "give exactly one of good and bad (with total)")
    part = "good" if metric.has("good") else "bad"
    part_node, total_node = metric.child(part), metric.child("total", required=True)
    assert part_node is not None and total_node is not None
    kind, part_spec, ref = _source(part_node, index)
    hints = _hints(kind, ref)
    total_kind, total_spec, total_ref = _source(total_node, index)
    if total_ref is not None and total_ref != ref:
        warn(
            total_node.path,
            total_node.where("metricSource.metricSourceRef"),
            f"{total_ref!r}, but {part} names {'none' if ref is None else repr(ref)}: apislo "
            f"keeps one data source per SLO, {part}'s (an export writes it in both), and runs "
            "both queries on the one Prometheus it is given",
        )
    if (kind.lower() == "apislo") != (total_kind.lower() == "apislo"):
        raise total_node.error(
            "metricSource.type",
            f"{total_kind} while {part} is {kind}: an apislo source counts {part} and total "
            "events itself, from one SLI",
            f"type {kind} in both {part} and total",
        )
    if kind.lower() == "apislo":
        part_source = _apislo_sli(part_spec)
        if total_spec is not None:
            _same_apislo_source(part, part_source, total_node, _apislo_sli(total_spec))
        sli, api, group_by, source = part_source
        return _named(sli, name), api, group_by, source or hints
    queries = {
        f"{part}_query": _query(part_spec, part_node),
        "total_query": _query(total_spec, total_node),
    }
    return SLI(kind="ratio", name=name, **queries), None, (), hints


def _same_apislo_source(
    part: str,
    part_sli: _ApisloSource,
    total_node: Node,
    total_sli: _ApisloSource,
) -> None:
    """Refuse a ``ratioMetric`` whose ``good`` (or ``bad``) and ``total`` apislo sources describe
    different events: apislo counts both from one SLI, so one of them would be ignored."""
    (sli, api, group_by, source), (other, other_api, other_group_by, other_source) = (
        part_sli,
        total_sli,
    )
    fields = {
        "kind": (sli.kind, other.kind),
        "bad_status": (list(sli.bad_status), list(other.bad_status)),
        "count_429": (sli.count_429, other.count_429),
        "threshold_s": (sli.threshold_s, other.threshold_s),
        "api": (api, other_api),
        "group_by": (list(group_by), list(other_group_by)),
        "source": (source, other_source),
    }
    differ = [f"{k} {a!r} in {part}, {b!r} in total" for k, (a, b) in fields.items() if a != b]
    if differ:
        raise total_node.error(
            "metricSource.spec",
            f"contradicts {part}'s apislo source ({'; '.join(differ)})",
            f"the same apislo spec in {part} and total, or none in total",
        )


def _named(sli: SLI, name: str | None) -> SLI:
    return replace(sli, name=sli.name or name)


def _hints(kind: str, ref: str | None) -> SourceHints:
    """A metric source's hints: a ``Prometheus`` one's queries run on Prometheus; an ``apislo``
    one's SLI is counted from logs or from Prometheus alike (its own ``source`` block may say
    which), so its type names no source kind."""
    source = "prometheus" if kind.lower() == "prometheus" else None
    return SourceHints(kind=source, data_source=ref)


def _window_v1(node: Node, text: str) -> TimeWindow:
    node.only("duration", "isRolling", "calendar")
    raw = node.text("duration", required=True)
    assert raw is not None
    try:
        number, postfix = parse_shorthand(raw)
    except ValueError as exc:
        raise node.error("duration", str(exc), "e.g. 28d, 4w, 1M, 1Q") from None
    calendar = node.child("calendar")
    rolling = node.flag("isRolling", default=calendar is None)
    if rolling:
        if calendar is not None:
            raise node.error("calendar", "given with isRolling: true", "drop one of them")
        if postfix in CALENDAR_SHORTHAND:
            raise node.error(
                "duration",
                f"{raw} has no fixed length for a rolling window",
                "days or weeks, e.g. 30d, 4w (or isRolling: false with a calendar)",
            )
        try:
            duration = check_duration(shorthand_timedelta(number, postfix))
        except ValueError as exc:
            raise node.error("duration", str(exc), "e.g. 28d, 4w (at most 1830d)") from None
        _warn_short(node, raw, duration, text)
        return TimeWindow.rolling_window(duration)
    if postfix not in _CALENDAR_UNITS:
        raise node.error("duration", f"{raw} is not a calendar duration", "e.g. 1d, 1w, 1M, 1Q, 1Y")
    timezone, start = _calendar(calendar)
    unit = _CALENDAR_UNITS[postfix]
    _check_start(calendar, unit, start)
    window = TimeWindow(kind="calendar", unit=unit, count=number, timezone=timezone, start=start)
    check_calendar_count(node, "duration", window)
    return window


def _calendar(calendar: Node | None) -> tuple[str, datetime | None]:
    """Time zone (default UTC) and start of a ``calendar`` block."""
    if calendar is None:
        return "UTC", None
    calendar.only("startTime", "timeZone")
    timezone = calendar.text("timeZone", default="UTC") or "UTC"
    check_timezone(calendar, "timeZone", timezone)
    return timezone, _start_time(calendar, timezone)


def _start_time(calendar: Node, timezone: str) -> datetime | None:
    """``startTime`` as the local date and time in ``timezone`` it is in OpenSLO ("format
    without time zone"). An offset (``2026-01-07T00:00:00+02:00``, ``...Z``) is accepted when
    it is ``timezone``'s at that local time (it then says nothing more), and refused otherwise
    (:func:`_check_offset`): until 2026-11-30 it was dropped, so periods started at the wrong
    instant (``+02:00`` read in UTC: 2 hours late)."""
    raw = calendar.raw("startTime")
    if raw is None:
        return None
    try:
        start = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    except ValueError:
        raise calendar.error(
            "startTime", f"{raw!r} is not a date and time", "2026-01-01 00:00:00"
        ) from None
    if (start.hour, start.minute, start.second) != (0, 0, 0):
        warn(
            calendar.path,
            calendar.where("startTime"),
            f"{raw}: periods start at local midnight; the time of day is not used",
        )
    _check_offset(calendar, raw, start, timezone)
    return start.replace(tzinfo=None)


def _check_offset(calendar: Node, raw: Any, start: datetime, timezone: str) -> None:
    """Refuse a ``startTime`` whose UTC offset is none ``timezone`` gives its local time: either
    of the two a time the clocks give twice has (00:30 on 2026-11-01 in Havana is -04:00, then
    -05:00; until 2026-11-30 the second was refused)."""
    offset = start.utcoffset()
    local, zone = start.replace(tzinfo=None), ZoneInfo(timezone)
    zone_offsets = list(dict.fromkeys(zone.utcoffset(local.replace(fold=f)) for f in (0, 1)))
    if offset is None or offset in zone_offsets:
        return
    fixed = _fixed_zone(offset)
    raise calendar.error(
        "startTime",
        f"{raw}: its UTC offset {_utc(offset)} is not that of timeZone {timezone} "
        f"({' or '.join(map(_utc, zone_offsets))} then): OpenSLO's startTime is a local time in "
        "timeZone, whose midnights start the periods",
        f"a startTime without an offset, and the time zone meant as timeZone (an IANA name{fixed})",
    )


def _fixed_zone(offset: timedelta) -> str:
    """``; Etc/GMT-2 is a fixed +02:00``: the IANA zone of a fixed UTC ``offset`` of whole
    hours (POSIX signs; ``UTC`` for none, until 2026-11-30 ``Etc/GMT+0``), or ``""`` when there
    is none (a half hour; an offset beyond +14:00 or -12:00, whose ``Etc/GMT-15`` was named
    until 2026-11-30)."""
    hours = offset / timedelta(hours=1)
    if not hours.is_integer() or not -12 <= hours <= 14:
        return ""
    name = "UTC" if hours == 0 else f"Etc/GMT{-int(hours):+d}"
    return f"; {name} is a fixed {_utc(offset)}"


def _utc(offset: timedelta | None) -> str:
    """A UTC offset as ISO 8601 writes it: ``+02:00``, ``-05:30``, ``+00:00``."""
    minutes = int((offset or timedelta(0)) / timedelta(minutes=1))
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _check_start(calendar: Node | None, unit: str, start: datetime | None) -> None:
    """Refuse a ``startTime`` apislo cannot honour: months, quarters and years run from the
    1st of a month (a quarter or a year may start in any month)."""
    if calendar is None or start is None or unit in ("day", "week") or start.day == 1:
        return
    raise calendar.error(
        "startTime",
        f"{start:%Y-%m-%d} is not the 1st of a month: apislo's {unit}s run from the 1st",
        f"the 1st of a month, e.g. {start:%Y-%m}-01 00:00:00",
    )


def _warn_short(node: Node, raw: str, duration: timedelta, text: str) -> None:
    if duration >= timedelta(days=1):
        return
    months = " The SLO's name or description mentions a month." if "month" in text.lower() else ""
    warn(
        node.path,
        node.where("duration"),
        f"a rolling window of {raw} is {duration}: `m` is minutes, `M` is months.{months}",
    )


def _target(node: Node) -> float:
    """``target`` (a fraction) or ``targetPercent`` (a percentage) as a fraction; a value that
    looks like the other one (``target: 99``, ``targetPercent: 0.99``) is refused."""
    if node.has("target") == node.has("targetPercent"):
        raise node.error("target", "give exactly one of target and targetPercent")
    key = "target" if node.has("target") else "targetPercent"
    raw = node.raw(key)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if key == "target" and 1 < raw < 100:
            raise node.error(
                key,
                f"{raw} looks like a percentage",
                f"0 < target < 1 (a fraction: {raw / 100:g} for {raw:g} %), "
                f"or targetPercent: {raw:g}",
            )
        if key == "targetPercent" and 0 < raw < 1:
            raise node.error(
                key,
                f"{raw} looks like a fraction",
                f"1 <= targetPercent < 100 (a percentage: {raw * 100:g}, not {raw:g}), "
                f"or target: {raw:g}",
            )
    if key == "target":
        rule = "0 < target < 1 (a fraction: 0.99 for 99 %)"
        target = node.number(key, low=0, high=1, rule=rule)
    else:
        rule = "1 <= targetPercent < 100 (a percentage: 99 for 99 %)"
        percent = node.number(key, low=0, high=100, rule=rule)
        target = round(percent / 100, 12) if percent is not None else None
    assert target is not None
    return node.budgeted(key, target, rule)


def _refuse_composite(objective: Node) -> None:
    """Refuse a v1 objective with its own ``indicator``, ``indicatorRef`` or
    ``compositeWeight``: OpenSLO's composite SLO, one budget weighted over several SLIs, which
    apislo does not evaluate (it would count the SLO's own SLI, or none, for that objective)."""
    for key in _COMPOSITE_KEYS:
        if key in objective.data:
            raise objective.error(
                key,
                "makes a composite SLO (an objective with its own SLI), which apislo does not "
                "evaluate: it counts every objective on the SLO's one SLI",
                "one SLO per SLI, given in spec.indicator or spec.indicatorRef, without "
                "indicator, indicatorRef or compositeWeight on its objectives",
            )


def _objective(node: Node, method: str, sli: SLI, window: TimeWindow, v1: bool) -> Objective:
    node.only(*_OBJECTIVE_KEYS, *(() if v1 else ("ratioMetrics",)))
    target = _target(node)
    threshold = None
    op = "lte"
    if node.has("op") or node.has("value"):
        op = node.text("op", required=True, allowed=("lte", "lt", "gte", "gt")) or "lte"
        if sli.uses_latency and op in ("gte", "gt"):
            raise node.error("op", f"{op} on a latency threshold", "lte, lt")
        # (OpenSLO: `value` is needed with a thresholdMetric only; its own example SLO gives a
        # ratioMetric objective `op: gt` without one)
        threshold = node.number("value", required=sli.uses_latency, low=0, rule="seconds, > 0")
        if sli.kind == "availability" and threshold is not None:
            raise node.error(
                "value",
                f"{threshold:g} s is a latency threshold, but the SLI kind is availability (an "
                "apislo metric source without kind is availability)",
                "kind: latency in the SLI's apislo metricSource spec (kind: "
                "availability_and_latency to count 5xx answers as bad too), or no op and value",
            )
        if sli.uses_latency:
            warn_milliseconds(node, "value", threshold)
    slice_target = node.number("timeSliceTarget", low=0, high=1.0000001, rule="0 < x <= 1")
    slice_window = _slice_window(node) if v1 else None
    if method == "Timeslices" and slice_target is None:
        raise node.error(
            "timeSliceTarget", "required with budgetingMethod Timeslices", "0 < x <= 1"
        )
    if method != "Occurrences" and slice_window is None:
        if v1:
            raise node.error("timeSliceWindow", f"required with {method}", "e.g. 1m, 5m")
        slice_window = timedelta(minutes=1)
        warn(node.path, node.where("timeSliceTarget"), "v1alpha has no slice length: using 1m")
    check_slice_window(node, "timeSliceWindow", slice_window, window)
    name = node.text("name") or _slug(node.text("displayName"))
    if name == Objective(target).label:
        name = None  # the name apislo gives an unnamed objective (written by its export)
    latency = threshold is not None and sli.uses_latency
    return Objective(
        target=target,
        name=name,
        display_name=node.text("displayName"),
        threshold_s=threshold if sli.uses_latency else None,
        timeslice_target=slice_target,
        timeslice_window=slice_window,
        threshold_op="lt" if latency and op == "lt" else "lte",
    )


def _slug(text: str | None) -> str | None:
    if not text:
        return None
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or None


def _slice_window(node: Node) -> timedelta | None:
    """``timeSliceWindow``: a duration (``1m``) or a bare number of minutes, positive."""
    raw = node.raw("timeSliceWindow")
    if raw is None:
        return None
    allowed = "1m, 5m, or a number of minutes > 0"
    try:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            slice_window = timedelta(minutes=raw)  # a bare number is minutes (OpenSLO)
        else:
            slice_window = shorthand_timedelta(*parse_shorthand(str(raw)))
    except (ValueError, KeyError, OverflowError):  # .nan, a calendar unit; .inf, 1e300
        raise node.error("timeSliceWindow", f"{raw!r} is not a fixed duration", allowed) from None
    try:
        return check_duration(slice_window)
    except ValueError as exc:
        raise node.error("timeSliceWindow", str(exc), allowed) from None


def _alerting_v1(spec: Node, index: dict[str, dict[str, Node]], window: TimeWindow) -> Alerting:
    """The SLO's ``alertPolicies``: one tier per ``burnrate`` condition, each with the name of
    the policy it sits in (inline or referenced: OpenSLO names every object, inline ones too)."""
    tiers: list[dict[str, Any]] = []
    names = []
    policy_names: list[str] = []
    for i, item in enumerate(spec.items("alertPolicies")):
        holder = Node.of(spec.path, f"{spec.where('alertPolicies')}[{i}]", item)
        policy = _listed(holder, "alertPolicyRef", "AlertPolicy", index)
        name, _, _ = _metadata(policy)
        names.append(name)
        pspec = policy.child("spec", required=True)
        assert pspec is not None
        pspec.only(
            "description", "alertWhenBreaching", "alertWhenResolved", "alertWhenNoData",
            "conditions", "notificationTargets",
        )  # fmt: skip
        _warn_policy_flags(pspec)
        for j, cond in enumerate(pspec.items("conditions", required=True)):
            holder = Node.of(pspec.path, f"{pspec.where('conditions')}[{j}]", cond)
            condition = _listed(holder, "conditionRef", "AlertCondition", index)
            tiers.append(_tier(condition))
            policy_names.append(name)
    if not tiers:
        return Alerting()
    tiers_from_spec(tiers, window.period, spec.path)
    return Alerting(policy="-".join(names), tiers=tuple(tiers), policy_names=tuple(policy_names))


def _warn_policy_flags(pspec: Node) -> None:
    """Warn about an ``AlertPolicy``'s ``alertWhen...`` flags that ask for what apislo does not
    do (:data:`_POLICY_FLAGS`)."""
    for key, value, instead in _POLICY_FLAGS:
        if pspec.has(key) and pspec.flag(key) == value:
            warn(pspec.path, pspec.where(key), f"{str(value).lower()} is not honoured: {instead}")


def _tier(condition: Node) -> dict[str, Any]:
    """An ``AlertCondition`` of kind ``burnrate`` as a tier; ``alertAfter`` is its
    ``alert_after``. The short window is the condition's ``apislo.dev/short-window``
    annotation (written by apislo's export), else 1/12 of the long one (the Workbook's ratio),
    at least one minute."""
    name, _, meta = _metadata(condition)
    spec = condition.child("spec", required=True)
    assert spec is not None
    spec.only("description", "severity", "condition")
    severity_raw = (spec.text("severity", required=True) or "").lower()
    severity = "page" if severity_raw in _PAGE_WORDS else "ticket"
    if severity != severity_raw:
        warn(spec.path, spec.where("severity"), f"{severity_raw!r} is treated as {severity}")
    cond = spec.child("condition", required=True)
    assert cond is not None
    cond.only("kind", "op", "threshold", "lookbackWindow", "alertAfter")
    kind = cond.text("kind", default="burnrate", allowed=("burnrate",))
    assert kind == "burnrate"
    op = cond.text("op", default="gt", allowed=("lte", "lt", "gte", "gt"))
    if op in ("lte", "lt"):  # (the OpenSLO README's own example: `op: lte` for "exceeds 2")
        warn(
            cond.path,
            cond.where("op"),
            f"{op} is read as gt: a burn-rate alert fires while the burn rate is above the "
            "threshold",
        )
    long_window = _fixed_duration(cond, "lookbackWindow", "1h, 6h (at most 1830d)")
    raw_after = cond.text("alertAfter", default="0m") or "0m"
    alert_after = (
        timedelta(0)
        if _ZERO_DURATION.match(raw_after.strip())
        else _fixed_duration(cond, "alertAfter", "0m, 5m, 1h (at most 1830d)")
    )
    factor = cond.number("threshold", required=True, low=0, rule="a burn rate > 0")
    tier = {
        "name": name,
        "severity": severity,
        "long_window": prom_duration(long_window),
        "short_window": prom_duration(_short_window(meta, long_window)),
        "factor": factor,
    }
    return {**tier, "alert_after": prom_duration(alert_after)} if alert_after else tier


def _fixed_duration(node: Node, key: str, allowed: str) -> timedelta:
    """A required duration shorthand of fixed length (``5m``, ``1h``; not ``1M``), positive and
    at most :data:`~apislo.slo.spec.MAX_DURATION`."""
    raw = node.text(key, required=True)
    assert raw is not None
    try:
        return check_duration(shorthand_timedelta(*parse_shorthand(raw)))
    except KeyError:  # a calendar unit
        raise node.error(key, f"{raw!r} is not a fixed duration", allowed) from None
    except ValueError as exc:
        raise node.error(key, str(exc), allowed) from None


def _short_window(meta: Node, long_window: timedelta) -> timedelta:
    """A condition's short window: its ``apislo.dev/short-window`` annotation (a Prometheus
    duration shorter than ``long_window``), else 1/12 of ``long_window``, at least a minute."""
    raw = _notes(meta, _CONDITION_NOTES).get(ANNOTATION + "short-window")
    if raw is None:
        return timedelta(minutes=max(round(long_window / timedelta(minutes=1) / 12), 1))
    key = f"annotations.{ANNOTATION}short-window"
    try:
        short = check_duration(parse_duration(raw))
    except ValueError as exc:
        raise meta.error(key, str(exc), "a duration such as 5m, 1h30m") from None
    if short >= long_window:
        raise meta.error(
            key,
            f"{raw} is not shorter than the lookbackWindow {prom_duration(long_window)}",
            "a shorter window, about 1/12 of it",
        )
    return short


# ---------------------------------------------------------------------------------------------
# openslo/v1alpha

#: v1alpha rolling units -> their duration-shorthand postfix.
_V1ALPHA_UNITS = {"second": "s", "minute": "m", "hour": "h", "day": "d", "week": "w"}


def parse_v1alpha(doc: Mapping[str, Any], path: str) -> list[SLO]:
    """The SLO of one ``openslo/v1alpha`` document (``Service`` documents give none).

    v1alpha puts ``ratioMetrics`` on each objective: objectives with different ratio queries
    become separate SLOs named ``<name>-<objective>``.
    """
    top = Node.of(path, "", doc)
    top.only("apiVersion", "kind", "metadata", "spec")
    kind = top.text("kind", required=True, allowed=("SLO", "Service"))
    if kind == "Service":
        return []
    name, _, meta = _metadata(top)
    labels = _rule_labels(meta)
    spec = top.child("spec", required=True)
    assert spec is not None
    spec.only("description", "service", "indicator", "timeWindows", "budgetingMethod", "objectives")
    method = spec.text("budgetingMethod", required=True, allowed=BUDGETING_METHODS)
    assert method is not None
    windows = list(spec.children("timeWindows", required=True))
    if len(windows) != 1:
        raise spec.error("timeWindows", "must hold exactly one window", "one item")
    window = _window_v1alpha(windows[0])
    service = spec.service(required=True) or ""
    indicator = spec.child("indicator")
    base_sli = SLI(kind="latency") if indicator is not None else None
    groups: dict[tuple[str, str] | None, list[Node]] = {}
    for obj in spec.children("objectives", required=True):
        key = None
        ratio = obj.child("ratioMetrics")
        if ratio is not None:
            ratio.only("good", "total", "counter")
            good, total = ratio.child("good", required=True), ratio.child("total", required=True)
            assert good is not None and total is not None
            key = (_query_v1alpha(good), _query_v1alpha(total))
        groups.setdefault(key, []).append(obj)
    slos = []
    for i, (key, objs) in enumerate(groups.items()):
        if key is None:
            if base_sli is None:
                raise spec.error("indicator", "missing (and no ratioMetrics on the objectives)")
            sli = base_sli
        else:
            sli = SLI(kind="ratio", good_query=key[0], total_query=key[1])
        objectives = tuple(_objective(o, method, sli, window, v1=False) for o in objs)
        check_objective_labels(objs, objectives)
        slo_name = name if len(groups) == 1 else f"{name}-{objectives[0].name or i + 1}"
        slos.append(
            SLO(
                name=slo_name,
                service=service,
                sli=sli,
                objectives=objectives,
                window=window,
                budgeting_method=method,
                description=spec.text("description", default="") or "",
                labels=labels,
                origin=f"{path} ({V1ALPHA})",
            )
        )
    return slos


def _query_v1alpha(node: Node) -> str:
    node.only("source", "queryType", "query", "metricSource")
    query = node.text("query", required=True)
    assert query is not None
    return query


def _window_v1alpha(node: Node) -> TimeWindow:
    node.only("unit", "count", "isRolling", "calendar")
    unit = (node.text("unit", required=True) or "").lower()
    count = node.count("count", required=True)
    calendar = node.child("calendar")
    rolling = node.flag("isRolling", default=calendar is None)
    if rolling:
        if unit not in _V1ALPHA_UNITS:
            raise node.error("unit", f"{unit!r} has no fixed length", "Day, Week (rolling)")
        try:
            duration = check_duration(shorthand_timedelta(count, _V1ALPHA_UNITS[unit]))
        except ValueError as exc:
            raise node.error("count", str(exc), "a window of at most 1830d (5 years)") from None
        if duration < timedelta(days=1):
            short = prom_duration(duration)
            warn(node.path, node.where("unit"), f"a rolling window of {short} is very short")
        return TimeWindow.rolling_window(duration)
    if unit not in ("day", "week", "month", "quarter", "year"):
        raise node.error(
            "unit", f"{unit!r} is not a calendar unit", "Day, Week, Month, Quarter, Year"
        )
    timezone, start = _calendar(calendar)
    _check_start(calendar, unit, start)
    window = TimeWindow(kind="calendar", unit=unit, count=count, timezone=timezone, start=start)
    check_calendar_count(node, "count", window)
    return window
