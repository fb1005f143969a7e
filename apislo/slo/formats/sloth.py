"""Sloth ``prometheus/v1`` specs mapped into :class:`apislo.slo.spec.SLO`.

Each ``slos[]`` item becomes a ``ratio`` SLO over Sloth's default 30-day rolling window
(Occurrences), alerting with the ``sloth`` policy (the Workbook's table). ``objective`` is a
percentage in Sloth (``99.9``; a fraction such as ``0.999`` is refused). ``sli.events`` maps to
``bad_query`` / ``total_query``; both must hold the ``{{.window}}`` placeholder, as Sloth
requires, and it stays in the queries (apislo fills it in when it runs them).
``sli.raw`` (a precomputed error ratio) and ``sli.plugin`` are refused: they give no event
counts, so budgets could not be exact; so is an ``error_query`` that is the ``total_query``
(every event bad; Sloth refuses it too). Sloth checks ``service`` and SLO names with one rule
(:data:`SLOTH_NAME`, ``NameRegexp`` in its ``pkg/common/conventions``), which allows upper case:
apislo lower-cases SLO names with a warning, as its SLO names are lower case everywhere (OpenSLO
export, ``apislo_slo`` labels), and refuses a name neither rule allows (``my shop``). A service
must satisfy Sloth's rule (at least two characters: ``a`` is refused, as Sloth refuses it); one
Sloth allows is kept as written (it labels the rules, ``apislo_service``, where routes and
dashboards match it), with the warning of :meth:`~apislo.slo.formats._fields.Node.service` when
it is not an apislo name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from apislo.slo.formats._fields import NAME_RULE, Node, warn
from apislo.slo.formats.apislo_yaml import DEFAULT_PERIOD
from apislo.slo.policy import Tier, workbook_policy
from apislo.slo.spec import (
    SLI,
    SLO,
    WINDOW_PLACEHOLDER,
    Alerting,
    Objective,
    SourceHints,
    TimeWindow,
)

__all__ = ["VERSION", "parse"]

VERSION = "prometheus/v1"
#: Sloth's rule for service and SLO names (``NameRegexp``, ``pkg/common/conventions``).
SLOTH_NAME = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]\Z")  # (Go's $ is \Z)
#: Sloth's window placeholder, as its Go templates accept it (``{{.window}}``, ``{{ .window }}``).


def parse(doc: Mapping[str, Any], path: str) -> list[SLO]:
    """Every SLO of one Sloth ``prometheus/v1`` document."""
    top = Node.of(path, "", doc)
    top.only("version", "service", "labels", "slos")
    service = _service(top)
    labels = top.labels("labels")
    slos = [_slo(node, service, labels) for node in top.children("slos", required=True)]
    names = [s.name for s in slos]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise top.error(f"slos[{i}].name", f"{name!r} is repeated", "unique names")
    return slos


def _slo(node: Node, service: str, labels: tuple[tuple[str, str], ...]) -> SLO:
    node.only("name", "objective", "description", "labels", "sli", "alerting")
    name = _name(node)
    raw = node.raw("objective")
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 < raw < 1:
        raise node.error(
            "objective",
            f"{raw} looks like a fraction: Sloth objectives are percentages",
            f"1 <= objective < 100 (a percentage: {raw * 100:g}, not {raw:g})",
        )
    rule = "1 <= objective < 100 (a percentage: 99.9 for 99.9 %)"
    objective = node.number("objective", required=True, low=0, high=100, rule=rule)
    assert objective is not None
    target = node.budgeted("objective", round(objective / 100, 12), rule)
    sli_node = node.child("sli", required=True)
    assert sli_node is not None
    return SLO(
        name=name,
        service=service,
        sli=_sli(sli_node),
        objectives=(Objective(target=target),),
        window=TimeWindow.rolling_window(DEFAULT_PERIOD),
        description=node.text("description", default="") or "",
        alerting=_alerting(node.child("alerting")),
        source=SourceHints(kind="prometheus"),
        labels=tuple(sorted({**dict(labels), **dict(node.labels("labels"))}.items())),
        origin=f"{node.path} ({VERSION})",
    )


def _service(top: Node) -> str:
    """``service``, kept as written.

    Raises:
        SpecError: Sloth's rule (:data:`SLOTH_NAME`) refuses it, as Sloth does (``my shop``, a
            single character ``a``), naming the file and ``service``.
    """
    _sloth_name(top, "service")
    service = top.service(required=True)
    assert service is not None
    return service


def _name(node: Node) -> str:
    """The SLO's ``name``, lower-cased with a warning when Sloth's rule allows it and apislo's
    does not: apislo names are lower case (:data:`NAME_RULE`), as OpenSLO's are, so an export
    keeps them, and ``Cart`` and ``cart`` cannot become two SLOs with one alert name.

    Raises:
        SpecError: a name Sloth's rule refuses (``my shop``, a single character ``a``), naming
            the file and ``name``.
    """
    raw = _sloth_name(node, "name")
    lower = raw.lower()
    if lower != raw and NAME_RULE.match(lower):
        warn(
            node.path,
            node.where("name"),
            f"{raw!r} is read as {lower!r}: apislo SLO names are lower case",
        )
        return lower
    name = node.name("name")
    assert name is not None
    return name


def _sloth_name(node: Node, key: str) -> str:
    """``key`` (``service`` or ``name``) as written, checked as Sloth checks it.

    Raises:
        SpecError: Sloth's rule (:data:`SLOTH_NAME`) refuses it, naming the file and ``key``.
    """
    raw = node.text(key, required=True) or ""
    if not SLOTH_NAME.match(raw):
        raise node.error(
            key,
            f"{raw!r} is not a valid Sloth name",
            "at least 2 characters: letters, digits, - . _, a letter or digit first and last",
        )
    return raw


def _sli(node: Node) -> SLI:
    """``sli.events`` as a ratio SLI of bad and total events.

    Raises:
        SpecError: a ``raw`` or ``plugin`` SLI, a query without ``{{.window}}``, or an
            ``error_query`` that is the ``total_query``.
    """
    node.only("events", "raw", "plugin")
    if not node.has("events"):
        kind = "raw" if node.has("raw") else "plugin"
        raise node.error(
            kind,
            f"Sloth {kind} SLIs give no event counts, so apislo cannot compute exact budgets",
            "events with error_query and total_query",
        )
    events = node.child("events")
    assert events is not None
    events.only("error_query", "total_query")
    bad, total = _windowed(events, "error_query"), _windowed(events, "total_query")
    if _canonical(bad) == _canonical(total):
        raise events.error(
            "error_query",
            "is the total_query, so every event would be bad",
            'a query of the failed events only, e.g. with code=~"5.."',
        )
    return SLI(kind="ratio", bad_query=bad, total_query=total)


def _canonical(query: str) -> str:
    """A query with its spaces collapsed and Sloth's placeholder written one way."""
    return " ".join(WINDOW_PLACEHOLDER.sub("{{.window}}", query).split())


def _windowed(events: Node, key: str) -> str:
    """A query of ``sli.events``, which must hold Sloth's ``{{.window}}`` placeholder (Sloth
    refuses a query without it): apislo, like Sloth, sets it to each window it counts over,
    and a fixed range would count the wrong events."""
    query = events.text(key, required=True)
    assert query is not None
    if not WINDOW_PLACEHOLDER.search(query):
        raise events.error(
            key,
            f"{query!r} has no {{{{.window}}}} placeholder: Sloth fills it with each window "
            "(5m, 1h, 30d...), so a fixed range counts the wrong events",
            "a range of [{{.window}}], e.g. sum(rate(http_requests_total[{{.window}}]))",
        )
    return query


def _alerting(node: Node | None) -> Alerting:
    """Sloth's ``alerting`` block: the Workbook's tiers; ``page_alert.disable`` or
    ``ticket_alert.disable`` drops that severity's tiers (both: no alerts at all)."""
    if node is None:
        return Alerting(policy="sloth")
    node.only("name", "labels", "annotations", "page_alert", "ticket_alert")
    page, ticket = node.child("page_alert"), node.child("ticket_alert")
    for sub in (page, ticket):
        if sub is not None:
            sub.only("labels", "annotations", "disable")
    shared = dict(node.labels("labels"))
    off = {sev for sev, sub in (("page", page), ("ticket", ticket)) if sub and sub.flag("disable")}
    disabled = off == {"page", "ticket"}
    tiers: tuple[Tier, ...] = ()
    if off and not disabled:
        tiers = tuple(t for t in workbook_policy(DEFAULT_PERIOD).tiers if t.severity not in off)
    return Alerting(
        policy="sloth",
        tiers=tiers,
        page_labels=tuple(
            sorted({**shared, **dict(page.labels("labels") if page else ())}.items())
        ),
        ticket_labels=tuple(
            sorted({**shared, **dict(ticket.labels("labels") if ticket else ())}.items())
        ),
        annotations=node.labels("annotations"),
        page_annotations=page.labels("annotations") if page else (),
        ticket_annotations=ticket.labels("annotations") if ticket else (),
        disabled=disabled,
        name=node.text("name"),
    )
