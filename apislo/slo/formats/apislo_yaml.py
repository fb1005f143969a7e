"""apislo's own SLO spec format (``version: apislo/v1``); the README's SLO section has an example.

.. code-block:: yaml

    version: apislo/v1
    service: shop
    owners: [team-checkout]
    slos:
      - name: checkout-availability
        api: checkout
        sli: {kind: availability, bad_status: [5xx], count_429: false}
        objectives: [{target: 0.999}]
        window: 30d
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from apislo.errors import ConfigError, SpecError
from apislo.slo.formats._fields import Node, warn
from apislo.slo.policy import POLICIES, prom_duration, tiers_from_spec
from apislo.slo.spec import (
    BUDGETING_METHODS,
    CALENDAR_UNITS,
    MAX_DURATION,
    SLI,
    SLI_KINDS,
    SLO,
    STATUS_CLASSES,
    TARGET_RULE,
    Alerting,
    Objective,
    SourceHints,
    TimeWindow,
)
from apislo.zones import check_timezone as check_zone

__all__ = [
    "DEFAULT_PERIOD",
    "VERSION",
    "check_calendar_count",
    "check_group_by",
    "check_objective_labels",
    "check_slice_window",
    "check_timezone",
    "parse",
    "parse_sli",
    "parse_source",
    "parse_window",
    "warn_milliseconds",
]

VERSION = "apislo/v1"
#: The default SLO period: 30 days (the SRE Workbook's alerting table is for 30 days).
DEFAULT_PERIOD = timedelta(days=30)
_SLO_KEYS = (
    "name", "api", "service", "description", "owners", "sli", "objectives", "window",
    "budgeting_method", "alerting", "group_by", "source", "labels",
)  # fmt: skip
_GROUP_KEYS = ("api", "route", "consumer", "method", "api_version", "gateway")


def warn_milliseconds(node: Node, key: str, threshold_s: float | None) -> None:
    """Warn when a latency threshold read from ``key`` is over 60 seconds: most likely written
    in milliseconds (``300`` for 300 ms), which would make almost every request fast."""
    if threshold_s is not None and threshold_s > 60:
        warn(node.path, node.where(key), f"{threshold_s:g} s: is this milliseconds?")


def parse_sli(node: Node) -> SLI:
    """An :class:`SLI` from a mapping with ``kind``, ``bad_status``, ``count_429``,
    ``threshold_s``, ``good_query``, ``bad_query``, ``total_query``, ``name``."""
    node.only(
        "kind", "bad_status", "count_429", "threshold_s", "good_query", "bad_query",
        "total_query", "name",
    )  # fmt: skip
    kind = node.text("kind", default="availability", allowed=SLI_KINDS)
    bad_status = node.strings("bad_status") or ("5xx",)
    for i, cls in enumerate(bad_status):
        if cls not in STATUS_CLASSES:
            raise node.error(
                f"bad_status[{i}]", f"{cls!r} is not a status class", ", ".join(STATUS_CLASSES)
            )
    threshold = node.number("threshold_s", low=0, rule="seconds, > 0 (0.3 for 300 ms)")
    warn_milliseconds(node, "threshold_s", threshold)
    sli = SLI(
        kind=kind,
        bad_status=tuple(bad_status),
        count_429=node.flag("count_429"),
        threshold_s=threshold,
        good_query=node.text("good_query"),
        bad_query=node.text("bad_query"),
        total_query=node.text("total_query"),
        name=node.text("name"),
    )
    if kind == "ratio" and (not sli.total_query or not (sli.good_query or sli.bad_query)):
        raise node.error("total_query", "a ratio SLI needs total_query and good_query or bad_query")
    if kind == "ratio" and sli.good_query and sli.bad_query:
        raise node.error("bad_query", "give good_query or bad_query, not both")
    return sli


def parse_source(node: Node) -> SourceHints:
    """The ``source`` block: ``kind``, ``profile``, ``data_source`` and ``labels`` (Prometheus
    label matchers that select the SLO's series)."""
    node.only("kind", "profile", "data_source", "labels")
    return SourceHints(
        kind=node.text("kind", allowed=("logs", "prometheus")),
        profile=node.text("profile"),
        data_source=node.text("data_source"),
        labels=node.labels("labels"),
    )


def parse_window(node: Node, key: str = "window") -> TimeWindow:
    """A rolling window (``30d``) or a calendar one (``{calendar: month, timezone: UTC}``)."""
    if not node.has(key):
        return TimeWindow.rolling_window(DEFAULT_PERIOD)
    if not isinstance(node.raw(key), Mapping):
        duration = node.duration(key)
        assert duration is not None
        return TimeWindow.rolling_window(duration)
    child = node.child(key)
    assert child is not None
    child.only("rolling", "calendar", "timezone", "count")
    if child.has("rolling"):
        calendar_keys = [k for k in ("calendar", "timezone", "count") if child.has(k)]
        if calendar_keys:
            raise child.error(
                calendar_keys[0],
                "given with rolling: a window is rolling or calendar-aligned, not both",
                "{rolling: 30d}, or {calendar: month, timezone: Europe/Paris, count: 1}",
            )
        duration = child.duration("rolling")
        assert duration is not None
        return TimeWindow.rolling_window(duration)
    unit = child.text("calendar", required=True, allowed=CALENDAR_UNITS)
    timezone = child.text("timezone", default="UTC") or "UTC"
    check_timezone(child, "timezone", timezone)
    count = child.count("count")
    window = TimeWindow(kind="calendar", unit=unit, count=count, timezone=timezone)
    check_calendar_count(child, "count", window)
    return window


def check_calendar_count(node: Node, key: str, window: TimeWindow) -> None:
    """Refuse a calendar window whose period (``count`` units of their nominal length: a month
    is 30 days, a year 365) is longer than :data:`~apislo.slo.spec.MAX_DURATION` (1830 days):
    at most 1830 days, 261 weeks, 61 months, 20 quarters or 5 years."""
    unit = window.unit or "day"
    most = MAX_DURATION // TimeWindow.calendar_window(unit).period
    if window.count > most:
        raise node.error(
            key,
            f"{window.count} {unit}s make a period longer than {MAX_DURATION.days}d",
            f"at most {most} {unit}s (a period of at most {MAX_DURATION.days}d, 5 years)",
        )


def check_group_by(node: Node, key: str, group_by: Sequence[str]) -> None:
    """Refuse a ``group_by`` column the traffic frame does not have (``route``, ``consumer``...).

    Args:
        node: where ``key`` sits in the spec.
        key: the field that gave ``group_by``.
        group_by: the columns, in the order given.
    """
    for i, column in enumerate(group_by):
        if column not in _GROUP_KEYS:
            raise node.error(f"{key}[{i}]", f"cannot group by {column!r}", ", ".join(_GROUP_KEYS))


def check_objective_labels(nodes: Sequence[Node], objectives: Sequence[Objective]) -> None:
    """Refuse two objectives of one SLO with the same label (their name, or their target as a
    percentage): they would share one ``apislo_id``, so their rule groups and alerts would
    clash and their results could not be told apart.

    Args:
        nodes: where each objective sits in the spec.
        objectives: the objectives read from them, in the same order.
    """
    seen: dict[str, Node] = {}
    for node, objective in zip(nodes, objectives, strict=True):
        first = seen.setdefault(objective.label, node)
        if first is not node:
            raise SpecError(
                node.path,
                node.field,
                f"its label {objective.label!r} is also that of {first.field} (an objective "
                "without a name is labelled by its target), so both would get one apislo_id",
                "a distinct name per objective (name: fast), or distinct targets",
            )


def check_timezone(node: Node, key: str, name: str) -> None:
    """Refuse a time zone that is not in the IANA database."""
    try:
        check_zone(name)
    except ConfigError:
        raise node.error(
            key, f"unknown time zone {name!r}", "an IANA name such as Europe/Paris"
        ) from None


def check_slice_window(
    node: Node, key: str, slice_window: timedelta | None, window: TimeWindow
) -> None:
    """Refuse a slice length that does not divide the SLO window (a rolling duration, or a
    day for calendar windows, whose periods are whole local days): the last slice of every
    window would straddle its end."""
    if slice_window is None:
        return
    span = window.period if window.is_rolling else timedelta(days=1)
    if span % slice_window:
        what = f"the {prom_duration(span)} window" if window.is_rolling else "a day"
        raise node.error(
            key,
            f"{prom_duration(slice_window)} does not divide {what} "
            f"({span / slice_window:.6g} slices)",
            f"a slice length that divides {what}, e.g. 1m, 5m",
        )
    if not window.is_rolling:
        check_slice_offsets(node, key, slice_window, window)


def check_slice_offsets(node: Node, key: str, slice_window: timedelta, window: TimeWindow) -> None:
    """Refuse a slice length with which slices cannot start at every calendar period's start
    (local midnight): slices are cut on one grid, aligned to a period's start, and in a zone
    whose UTC offsets differ by part of a slice (Europe/Paris, +1h and +2h, with 2h slices)
    some periods would start mid-slice, charging that slice to one day or the other."""
    import math

    from apislo.slo.windows import utc_offsets

    offsets = utc_offsets(window.timezone)
    seconds = [int((o - offsets[0]).total_seconds()) for o in offsets[1:]]
    if all(s % int(slice_window.total_seconds()) == 0 for s in seconds):
        return
    fits = math.gcd(86400, *seconds)
    shown = ", ".join(_offset_text(o) for o in offsets)
    raise node.error(
        key,
        f"{prom_duration(slice_window)} slices cannot all start at local midnight in "
        f"{window.timezone} (UTC offsets {shown}): one grid of slices would straddle the "
        "start of some calendar periods",
        f"a slice length that divides {prom_duration(timedelta(seconds=fits))}, e.g. 1m, 5m",
    )


def _offset_text(offset: timedelta) -> str:
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_objective(node: Node, method: str, sli: SLI, window: TimeWindow) -> Objective:
    """One objective; checks the fields the budgeting method needs, and that its slice length
    divides ``window``."""
    node.only(
        "target", "name", "display_name", "threshold_s", "timeslice_target", "timeslice_window"
    )
    raw_target = node.raw("target")
    rule = TARGET_RULE
    if isinstance(raw_target, int | float) and 50 <= raw_target < 100:
        raise node.error(
            "target",
            f"{raw_target} looks like a percentage",
            f"0 < target < 1 (a fraction: {raw_target / 100:g} for {raw_target:g} %)",
        )
    target = node.number("target", required=True, low=0, high=1, rule=rule)
    assert target is not None
    target = node.budgeted("target", target, rule)
    threshold = node.number("threshold_s", low=0, rule="seconds, > 0")
    if threshold is not None and not sli.uses_latency:
        raise node.error("threshold_s", f"the SLI kind {sli.kind!r} has no latency threshold")
    warn_milliseconds(node, "threshold_s", threshold)
    if sli.uses_latency and threshold is None and sli.threshold_s is None:
        raise node.error("threshold_s", "a latency SLI needs a threshold", "seconds, e.g. 0.3")
    slice_target = node.number("timeslice_target", low=0, high=1.0000001, rule="0 < x <= 1")
    slice_window = node.duration("timeslice_window")
    if method == "Timeslices" and slice_target is None:
        raise node.error("timeslice_target", "Timeslices needs a slice target", "0 < x <= 1")
    if method != "Occurrences" and slice_window is None:
        raise node.error("timeslice_window", f"{method} needs a slice length", "e.g. 1m, 5m")
    check_slice_window(node, "timeslice_window", slice_window, window)
    return Objective(
        target=target,
        name=node.name("name", required=False),
        display_name=node.text("display_name"),
        threshold_s=threshold,
        timeslice_target=slice_target,
        timeslice_window=slice_window,
    )


def parse_alerting(node: Node | None, window: TimeWindow) -> Alerting:
    """The ``alerting`` block: ``policy`` (a preset name) or inline ``tiers``."""
    if node is None:
        return Alerting()
    node.only("policy", "tiers", "name", "page_labels", "ticket_labels", "annotations", "disabled")
    policy = node.text("policy")
    tiers = tuple(node.items("tiers"))
    if policy is not None and not tiers and policy not in POLICIES:
        raise node.error("policy", f"unknown policy {policy!r}", ", ".join(POLICIES))
    if tiers:
        tiers_from_spec(tiers, window.period, node.path, node.where("tiers"))
    return Alerting(
        policy=policy,
        tiers=tiers,
        page_labels=node.labels("page_labels"),
        ticket_labels=node.labels("ticket_labels"),
        annotations=node.labels("annotations"),
        disabled=node.flag("disabled"),
        name=node.text("name"),
    )


def parse(doc: Mapping[str, Any], path: str) -> list[SLO]:
    """Every SLO of one ``apislo/v1`` document."""
    top = Node.of(path, "", doc)
    top.only("version", "service", "owners", "labels", "slos")
    service = top.service(required=True)
    owners = top.strings("owners")
    labels = top.labels("labels")
    slos = []
    for node in top.children("slos", required=True):
        slos.append(_parse_slo(node, service, owners, labels))
    names = [s.name for s in slos]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise top.error(f"slos[{i}].name", f"{name!r} is repeated", "unique names")
    return slos


def _parse_slo(
    node: Node, service: str | None, owners: tuple[str, ...], labels: tuple[tuple[str, str], ...]
) -> SLO:
    node.only(*_SLO_KEYS)
    sli_node = node.child("sli")
    sli = parse_sli(sli_node) if sli_node is not None else SLI()
    method = node.text("budgeting_method", default="Occurrences", allowed=BUDGETING_METHODS)
    assert method is not None
    window = parse_window(node)
    objective_nodes = list(node.children("objectives", True))
    objectives = tuple(parse_objective(o, method, sli, window) for o in objective_nodes)
    check_objective_labels(objective_nodes, objectives)
    group_by = node.strings("group_by")
    check_group_by(node, "group_by", group_by)
    source = node.child("source")
    hints = parse_source(source) if source is not None else SourceHints()
    name = node.name("name")
    assert name is not None
    return SLO(
        name=name,
        service=node.service() or service or "",
        sli=sli,
        objectives=objectives,
        window=window,
        budgeting_method=method,
        api=node.text("api"),
        description=node.text("description", default="") or "",
        owners=node.strings("owners") or owners,
        alerting=parse_alerting(node.child("alerting"), window),
        group_by=group_by,
        source=hints,
        labels=tuple(sorted({**dict(labels), **dict(node.labels("labels"))}.items())),
        origin=f"{node.path} ({VERSION})",
    )
