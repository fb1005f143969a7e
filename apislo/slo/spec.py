"""The domain model of an SLO: one set of frozen dataclasses every spec loader maps into.

apislo's own YAML, OpenSLO (``openslo/v1``, ``openslo/v1alpha``) and Sloth (``prometheus/v1``)
specs all load into :class:`SLO`; the maths, alerting, backtests and rule generation only ever
read this model. Fractions are in ``[0, 1]`` (``0.999``, not ``99.9``); durations are
:class:`datetime.timedelta`; latency thresholds are seconds (``threshold_s``).

>>> slo = SLO(
...     name="checkout-availability",
...     service="shop",
...     api="checkout",
...     sli=SLI(kind="availability"),
...     objectives=(Objective(target=0.999),),
...     window=TimeWindow.rolling_window(timedelta(days=30)),
... )
>>> slo.window.period
datetime.timedelta(days=30)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from numbers import Real
from typing import Any, Literal

from apislo.errors import SpecError

__all__ = [
    "BUDGETING_METHODS",
    "CALENDAR_UNITS",
    "MAX_DURATION",
    "SLI",
    "SLI_KINDS",
    "SLO",
    "STATUS_CLASSES",
    "TARGET_RULE",
    "WINDOW_PLACEHOLDER",
    "Alerting",
    "BudgetingMethod",
    "CalendarUnit",
    "Objective",
    "SLIKind",
    "SourceHints",
    "ThresholdOp",
    "TimeWindow",
    "error_allowance",
    "target_problem",
]

SLIKind = Literal["availability", "latency", "availability_and_latency", "ratio"]
BudgetingMethod = Literal["Occurrences", "Timeslices", "RatioTimeslices"]
CalendarUnit = Literal["day", "week", "month", "quarter", "year"]
ThresholdOp = Literal["lte", "lt"]

SLI_KINDS: tuple[str, ...] = ("availability", "latency", "availability_and_latency", "ratio")
BUDGETING_METHODS: tuple[str, ...] = ("Occurrences", "Timeslices", "RatioTimeslices")
CALENDAR_UNITS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
#: Sloth's ``{{.window}}`` in a ratio SLI's PromQL (spaces inside allowed, as Go's templates do):
#: the range apislo sets to the step it evaluates at, or to an alert's window in its rules.
WINDOW_PLACEHOLDER = re.compile(r"\{\{\s*\.window\s*\}\}")
#: Status classes an availability SLI may count as bad (traffic-frame columns ``status_<class>``).
STATUS_CLASSES: tuple[str, ...] = ("3xx", "4xx", "5xx")
#: The longest duration a spec may give (SLO window or calendar period, slice, alert window):
#: five years of 366 days, 1830d. Prometheus durations and pandas Timedeltas hold at most
#: 2**63 ns (106,751 days, about 292 years; promtool refuses ``[106752d]`` as "duration out of
#: range") and pandas Timestamps start in 1677, so a window of ``99999999d`` can be neither
#: written in a rule nor evaluated. No SLO needs more than a few years; five calendar years fit.
MAX_DURATION: timedelta = timedelta(days=5 * 366)

#: What an objective's target may be: a fraction that leaves an error budget.
TARGET_RULE = "0 < target < 1 (a fraction: 0.999 for 99.9 %)"

#: Nominal length of one calendar unit, used only where a single period length is needed
#: (burn-rate factors, budget in minutes); the maths use the real calendar boundaries.
_NOMINAL_DAYS: dict[str, float] = {
    "day": 1,
    "week": 7,
    "month": 30,
    "quarter": 91,
    "year": 365,
}


def error_allowance(target: float) -> float:
    """``1 - target`` rounded to 12 decimals, so ``0.05 x 20160`` is exactly 1008 slices.

    >>> 1 - 0.95, error_allowance(0.95)
    (0.050000000000000044, 0.05)
    """
    return round(1.0 - target, 12)


def target_problem(target: Any) -> str | None:
    """Why ``target`` cannot be an objective's target (:data:`TARGET_RULE`), or ``None``.

    >>> target_problem(0.999) is None, target_problem(1.0), target_problem(0.9999999999999)
    (True, '1.0 is out of range', '0.9999999999999 leaves no error budget (1 - target rounds to 0)')
    """
    if isinstance(target, bool) or not isinstance(target, Real):
        return f"{target!r} is not a number"
    if not math.isfinite(target):
        return f"{target} is not a finite number"
    if 1 < target < 100:
        return f"{target} looks like a percentage ({target / 100:g} is {target:g} %)"
    if not 0 < target < 1:
        return f"{target} is out of range"
    if error_allowance(float(target)) <= 0:
        return f"{target} leaves no error budget (1 - target rounds to 0)"
    return None


@dataclass(frozen=True)
class SLI:
    """What counts as a good event.

    Attributes:
        kind: ``availability`` (good = status not in ``bad_status``), ``latency`` (good =
            ``latency_s <= threshold_s``), ``availability_and_latency`` (both at once) or
            ``ratio`` (good/total or bad/total PromQL queries, Prometheus only).
        bad_status: status classes counted as bad, from :data:`STATUS_CLASSES`; default 5xx.
        count_429: whether 429 Too Many Requests counts as the API's fault (bad). Default
            ``False``: a 429 is the client exceeding its quota. Only matters when ``4xx`` is bad.
        threshold_s: latency threshold in seconds (latency kinds); an objective may override it.
        good_query: PromQL for good events (ratio kind), an increase/rate expression.
        bad_query: PromQL for bad events (ratio kind, instead of ``good_query``).
        total_query: PromQL for all events (ratio kind).
        name: the SLI's name when the spec gives one (OpenSLO ``SLI`` kind).
    """

    kind: SLIKind = "availability"
    bad_status: tuple[str, ...] = ("5xx",)
    count_429: bool = False
    threshold_s: float | None = None
    good_query: str | None = None
    bad_query: str | None = None
    total_query: str | None = None
    name: str | None = None

    @property
    def uses_latency(self) -> bool:
        """Whether good events depend on a latency threshold."""
        return self.kind in ("latency", "availability_and_latency")

    @property
    def uses_status(self) -> bool:
        """Whether good events depend on the response status."""
        return self.kind in ("availability", "availability_and_latency")


@dataclass(frozen=True)
class Objective:
    """One target of an SLO (an SLO may have several, e.g. 95 % under 300 ms, 99 % under 1 s).

    Attributes:
        target: fraction of good events (or good slices) required, e.g. ``0.999``.
        name: short name (OpenSLO ``objectives[].name``), used in labels and output.
        display_name: human-readable name.
        threshold_s: latency threshold in seconds for this objective (OpenSLO
            ``thresholdMetric`` objectives carry ``op: lte, value: ...``); overrides
            :attr:`SLI.threshold_s`.
        threshold_op: how a latency is compared with the threshold: ``lte`` (good when
            ``latency_s <= threshold``, the default and Prometheus's ``le``) or ``lt`` (good
            when strictly below it, OpenSLO ``op: lt``).
        timeslice_target: for ``Timeslices``: a slice is good when its good ratio is
            ``>= timeslice_target``.
        timeslice_window: slice length for ``Timeslices`` and ``RatioTimeslices``.

    Raises:
        SpecError: ``target`` is not a fraction that leaves an error budget
            (:data:`TARGET_RULE`: ``1.0``, ``99.9``, ``0``, NaN and ``0.9999999999999`` are
            refused here, where an SLO built in Python would otherwise fail later, in the
            maths, with a ``ZeroDivisionError`` or a meaningless budget).
    """

    target: float
    name: str | None = None
    display_name: str | None = None
    threshold_s: float | None = None
    timeslice_target: float | None = None
    timeslice_window: timedelta | None = None
    threshold_op: ThresholdOp = "lte"

    def __post_init__(self) -> None:
        problem = target_problem(self.target)
        if problem is not None:
            raise SpecError("<inline>", "objectives[].target", problem, TARGET_RULE)

    @property
    def label(self) -> str:
        """A stable label for output: the name, or the target as a percentage."""
        return self.name or f"{self.target * 100:.12g}%"


@dataclass(frozen=True)
class TimeWindow:
    """The SLO period: a rolling duration, or calendar-aligned periods in a time zone.

    Attributes:
        kind: ``rolling`` or ``calendar``.
        duration: length of a rolling window (e.g. 28 days); ``None`` for calendar windows.
        unit: calendar unit (``week`` starts Monday, ``month``, ``quarter``...); ``None`` for
            rolling windows.
        count: number of calendar units in one period (OpenSLO ``duration: 2w`` -> 2 weeks).
        timezone: IANA zone the calendar boundaries are in (``Europe/Paris``); default UTC.
        start: calendar anchor (OpenSLO ``calendar.startTime``, a local date in ``timezone``),
            or ``None`` for natural boundaries (Monday 00:00, the 1st of the month...). Periods
            start on its date and follow each other from there: weeks on its weekday, quarters
            and years in its month (a fiscal year from April). Its time of day is not used; for
            months, quarters and years it must be the 1st of a month.
    """

    kind: Literal["rolling", "calendar"]
    duration: timedelta | None = None
    unit: CalendarUnit | None = None
    count: int = 1
    timezone: str = "UTC"
    start: datetime | None = None

    @classmethod
    def rolling_window(cls, duration: timedelta) -> TimeWindow:
        """A rolling window of ``duration``."""
        return cls(kind="rolling", duration=duration)

    @classmethod
    def calendar_window(
        cls, unit: CalendarUnit, timezone: str = "UTC", count: int = 1
    ) -> TimeWindow:
        """Calendar-aligned periods of ``count`` ``unit`` in ``timezone``."""
        return cls(kind="calendar", unit=unit, count=count, timezone=timezone)

    @property
    def is_rolling(self) -> bool:
        """Whether the window is rolling (else calendar-aligned)."""
        return self.kind == "rolling"

    @property
    def period(self) -> timedelta:
        """Length of one period; nominal for calendar units (month 30 d, quarter 91 d)."""
        if self.duration is not None:
            return self.duration
        return timedelta(days=_NOMINAL_DAYS[self.unit or "day"] * self.count)

    @property
    def label(self) -> str:
        """Short text such as ``30d`` or ``calendar month (Europe/Paris)``."""
        if self.is_rolling and self.duration is not None:
            return _format_timedelta(self.duration)
        plural = f"{self.count} {self.unit}s" if self.count != 1 else f"{self.unit}"
        start = f" from {self.start:%Y-%m-%d}" if self.start and not self._natural_start else ""
        return f"calendar {plural}{start} ({self.timezone})"

    @property
    def _natural_start(self) -> bool:
        """Whether :attr:`start` falls on a natural boundary of :attr:`unit` (a Monday for
        weeks, 1 January or 1 April... for quarters), so it moves no period boundary."""
        start = self.start
        if start is None or self.unit == "day":
            return True
        if self.unit == "week":
            return start.weekday() == 0
        months = {"month": 1, "quarter": 3, "year": 12}[self.unit or "month"]
        return start.day == 1 and (start.month - 1) % months == 0


@dataclass(frozen=True)
class Alerting:
    """Which alerting policy applies to an SLO.

    Attributes:
        policy: name of a policy preset or a named policy (``apislo.slo.policy``), or ``None``
            for the default multi-window multi-burn-rate policy for the SLO period.
        tiers: inline tiers exactly as written in the spec (each a mapping), or ready
            ``apislo.slo.policy.Tier`` objects (a Sloth spec that disables only its page or
            only its ticket alerts keeps the other severity's Workbook tiers); parsed and
            validated by ``apislo.slo.policy``. Empty when ``policy`` names one in full.
        page_labels: labels added to page alerts (Sloth ``alerting.pageAlert.labels``).
        ticket_labels: labels added to ticket alerts.
        annotations: annotations added to every alert.
        page_annotations, ticket_annotations: annotations added to page (ticket) alerts only,
            over ``annotations`` (Sloth ``alerting.page_alert.annotations``).
        disabled: alerts are not generated (Sloth ``pageAlert.disable`` on both).
        name: Sloth's ``alerting.name`` (required there), kept as read; apislo writes one
            alert per tier, named ``<SloName><Severity>BurnRate<window>``, not after it.
        policy_names: the name of the OpenSLO ``AlertPolicy`` each of ``tiers`` was read from,
            one per tier, kept so an export names its policies as the spec did; empty when the
            spec names none (apislo's and Sloth's tiers).
    """

    policy: str | None = None
    tiers: tuple[Any, ...] = ()
    page_labels: tuple[tuple[str, str], ...] = ()
    ticket_labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    page_annotations: tuple[tuple[str, str], ...] = ()
    ticket_annotations: tuple[tuple[str, str], ...] = ()
    disabled: bool = False
    name: str | None = None
    policy_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceHints:
    """Where an SLO's data is expected to come from (hints, not requirements).

    Attributes:
        kind: ``logs``, ``prometheus`` or ``None`` (any).
        profile: Prometheus exporter profile name (``generic``...), or ``None``.
        data_source: a named data source (OpenSLO ``DataSource`` name).
        labels: label matchers added to generated Prometheus queries, as pairs.
    """

    kind: str | None = None
    profile: str | None = None
    data_source: str | None = None
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SLO:
    """A service-level objective.

    Attributes:
        name: unique name (DNS-label style is safest: used in rule names and labels).
        service: the service the SLO belongs to.
        sli: what counts as a good event.
        objectives: one or more targets, each evaluated separately.
        window: the SLO period.
        budgeting_method: ``Occurrences`` (good events / all events), ``Timeslices`` (good
            slices / all slices) or ``RatioTimeslices`` (mean of slice ratios).
        api: the traffic frame's ``api`` value this SLO covers, or ``None`` for every row
            (summed, or one result per API when ``group_by`` holds ``api``).
        description: free text.
        owners: owners (teams or people).
        alerting: the alerting policy.
        group_by: extra grouping columns (``route``, ``consumer``...): one result per group.
        source: data-source hints.
        labels: labels from the spec (propagated to rules and output).
        origin: file the SLO was loaded from and its format, e.g.
            ``examples/slo/shop.yaml (apislo/v1)``.
    """

    name: str
    service: str
    sli: SLI
    objectives: tuple[Objective, ...]
    window: TimeWindow
    budgeting_method: BudgetingMethod = "Occurrences"
    api: str | None = None
    description: str = ""
    owners: tuple[str, ...] = ()
    alerting: Alerting = field(default_factory=Alerting)
    group_by: tuple[str, ...] = ()
    source: SourceHints = field(default_factory=SourceHints)
    labels: tuple[tuple[str, str], ...] = ()
    origin: str = "<inline>"

    def objective_id(self, objective: Objective) -> str:
        """The ``apislo_id`` of one objective: ``<service>-<name>-<objective label>``; rule
        groups and alerts are named and labelled by it, so it must be unique."""
        return f"{self.service}-{self.name}-{objective.label}"

    def threshold_s(self, objective: Objective) -> float | None:
        """Latency threshold (seconds) in force for ``objective``, or ``None``."""
        if not self.sli.uses_latency:
            return None
        return objective.threshold_s if objective.threshold_s is not None else self.sli.threshold_s


def _format_timedelta(delta: timedelta) -> str:
    """``30d``, ``6h``, ``5m``, ``90s``: the largest unit that divides ``delta`` exactly."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
