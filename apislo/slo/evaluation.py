"""Evaluate SLOs over history: the summary at an instant, the budget and burn-rate series, and the
compliance history per calendar period.

>>> import apislo.slo
>>> slos = apislo.slo.load("examples/slo/shop.yaml")                            # doctest: +SKIP
>>> result = apislo.slo.evaluate(slos, "events/", at="2026-11-28T00:00Z")       # doctest: +SKIP
>>> result.summary[["slo", "group", "sli", "remaining"]]                         # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from apislo.errors import ConfigError
from apislo.slo import maths
from apislo.slo.policy import policy_for, prom_duration
from apislo.slo.source import Source, resolve_source
from apislo.slo.spec import SLO, Objective, TimeWindow
from apislo.slo.windows import period_bounds, period_ids, period_starts
from apislo.text import MISSING_KEY
from apislo.zones import check_timezone

__all__ = [
    "DEFAULT_BURN_WINDOWS",
    "EvaluationResult",
    "ObjectiveUnits",
    "compliance_history",
    "evaluate",
    "objective_units",
    "window_sums_at",
]

#: Burn-rate windows reported when an SLO's policy gives none: the Workbook's long and short ones.
DEFAULT_BURN_WINDOWS: tuple[timedelta, ...] = tuple(
    timedelta(minutes=m) for m in (5, 30, 60, 120, 360, 1440, 4320)
)
ALL = "all"  # group label of the sum over every group


@dataclass(frozen=True)
class ObjectiveUnits:
    """The budget units of one SLO objective, ready for window sums and burn rates.

    Attributes:
        slo: the SLO.
        objective: the objective.
        units: :class:`apislo.slo.maths.Units`; the last column is the sum over every group
            (group label ``all``) when the SLO has ``group_by``.
        labels: one group label per matrix column (``route=/a``; ``all`` or ``""``).
    """

    slo: SLO
    objective: Objective
    units: maths.Units
    labels: tuple[str, ...]


def _select(frame: pd.DataFrame, slo: SLO) -> pd.DataFrame:
    if slo.api is None or "api" not in frame.columns:
        return frame
    return frame[frame["api"] == slo.api]


def _label(row: pd.Series) -> str:
    """``route=/a,consumer=<NA>``: a missing key is :data:`~apislo.text.MISSING_KEY`, as in the
    traffic frame and the charts (not ``nan``, which is also a consumer name one could have)."""
    return ",".join(f"{k}={MISSING_KEY if pd.isna(v) else v}" for k, v in row.items())


def objective_units(
    slo: SLO,
    objective: Objective,
    frame: pd.DataFrame,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    step: pd.Timedelta,
    align: TimeWindow | None = None,
) -> ObjectiveUnits:
    """Counts of ``frame`` for one objective, on the grid ``[start, end)`` by ``step``.

    Slices (Timeslices, RatioTimeslices) start at the periods' starts of the calendar window
    ``align`` (default the SLO's window when it is a calendar one: local midnight, so a 1-hour
    slice in Asia/Kolkata runs from hh:30 UTC), else at the epoch (UTC).

    Args:
        slo: the SLO (selects ``api``, groups by ``group_by``).
        objective: the objective (threshold, slice settings).
        frame: a traffic frame from :class:`apislo.slo.source.Source`.
        start: first interval start (UTC); ``None`` for the frame's first ``ts``.
        end: end of the grid (UTC); ``None`` for the end of the frame's last interval.
        step: interval length of ``frame``.
        align: the calendar window whose period starts the slices are aligned to.
    """
    frame = _select(frame, slo)
    threshold_s = slo.threshold_s(objective)
    good, total = maths.good_total(frame, slo.sli, threshold_s, objective.threshold_op)
    counts = maths.to_counts(frame, good, total, slo.group_by, step, start, end)
    labels = [_label(row) for _, row in counts.groups.iterrows()] if slo.group_by else [""]
    if slo.group_by:
        groups = pd.concat(
            [counts.groups, pd.DataFrame({k: [None] for k in slo.group_by})], ignore_index=True
        )
        counts = maths.Counts(
            counts.start, counts.step, groups, _with_sum(counts.good), _with_sum(counts.total)
        )
        labels.append(ALL)
    align = align if align is not None else slo.window
    anchor = None if align.is_rolling else period_bounds(align, counts.start)[0]
    units = maths.budget_units(
        counts,
        slo.budgeting_method,
        objective.timeslice_target,
        objective.timeslice_window,
        anchor,
    )
    return ObjectiveUnits(slo, objective, units, tuple(labels))


def _with_sum(matrix: np.ndarray) -> np.ndarray:
    """``matrix`` with one more column: the sum of each row."""
    out = np.empty((matrix.shape[0], matrix.shape[1] + 1))
    out[:, :-1] = matrix
    np.sum(matrix, axis=1, out=out[:, -1])
    return out


def burn_windows(slo: SLO) -> tuple[timedelta, ...]:
    """The windows burn rates are reported over: the SLO's alerting policy's windows."""
    try:
        return policy_for(slo).windows
    except Exception:
        return DEFAULT_BURN_WINDOWS


def _lookback(
    slo: SLO, at: pd.Timestamp, windows: Sequence[timedelta], step: pd.Timedelta
) -> pd.Timestamp:
    """Where ``slo``'s data must start for its window, its burn ``windows`` and its alerts
    (:func:`~apislo.slo.alerts.replay_lookback`: a tier's ``alert_after`` looks further back)
    to be exact at ``at``."""
    from apislo.slo.alerts import replay_lookback

    longest = max([slo.window.period if slo.window.is_rolling else timedelta(0), *windows])
    start = at - pd.Timedelta(longest)
    if not slo.window.is_rolling:
        start = min(start, period_bounds(slo.window, at - pd.Timedelta(1, "ns"))[0])
    slice_max = max((o.timeslice_window or timedelta(0) for o in slo.objectives), default=None)
    start -= pd.Timedelta(slice_max or timedelta(0))
    return min(start, at - pd.Timedelta(replay_lookback(slo, step)))


@dataclass(frozen=True)
class EvaluationResult:
    """What :func:`evaluate` returns.

    Attributes:
        at: the evaluation instant (UTC).
        source: the source's label (URLs without credentials).
        summary: one row per SLO x objective x group; columns ``slo``, ``objective``
            (label), ``target``, ``api``, ``group`` (``route=/a``; ``all`` for the sum over
            groups; ``""`` without grouping), ``window``, ``budgeting_method``, ``good``,
            ``total`` (events for Occurrences, slices otherwise), ``sli``, ``sli_low`` and
            ``sli_high`` (Wilson 95 %), ``met`` (the SLI at or above the target, compared
            on the counts; ``None`` without any event in the window: no data, not a success, as
            in :func:`compliance_history`), ``events_good``, ``events_total``, ``error_budget`` and
            ``budget_unit`` (``events`` or ``minutes``), ``consumed`` and ``remaining``
            (fractions of the budget; remaining may be negative), ``low_traffic``,
            ``alerts_firing`` (sorted names of the alerts active at ``at`` for this objective
            and group; ``None`` where they cannot be evaluated: ``alerts_not_evaluated``
            says why), and one
            ``burn_<window>`` column per burn-rate window (``burn_1h``).
        remaining_budget: ``ts`` (window end, UTC), ``slo``, ``objective``, ``group``,
            ``remaining``: the remaining-budget series, one point per ``series_every``.
        burn_rates: ``ts``, ``slo``, ``objective``, ``group``, ``window``, ``burn_rate``.
        alerts_firing: SLO name -> names of its alerts active at ``at`` for any of its
            objectives and groups (:func:`apislo.slo.alerts.firing`; the summary's
            ``alerts_firing`` column has them per objective and group); SLOs whose SLI the
            alert engine cannot evaluate from a traffic frame are absent.
        alerts_not_evaluated: SLO name -> why its alerts could not be evaluated (the SLOs
            whose ``alerts_firing`` is ``None``), e.g. an alert window that is not a whole
            number of the SLO's slices or of the step.
        burn_windows: SLO name -> its own burn-rate windows (``1h``...): the summary has a
            ``burn_<window>`` column for every SLO's windows, NaN in the rows of the SLOs
            without that window; :meth:`records` keeps each SLO's own.
    """

    at: pd.Timestamp
    source: str
    summary: pd.DataFrame
    remaining_budget: pd.DataFrame
    burn_rates: pd.DataFrame
    alerts_firing: dict[str, list[str]]
    burn_windows: dict[str, tuple[str, ...]] = field(default_factory=dict)
    alerts_not_evaluated: dict[str, str] = field(default_factory=dict)

    def records(self) -> list[dict]:
        """JSON-ready objects, one per SLO x objective x group (NaN becomes ``None``), each
        with the evaluation instant ``at`` (ISO 8601, UTC) and the ``source`` it was read from."""
        burn_cols = [c for c in self.summary.columns if c.startswith("burn_")]
        out = []
        for row in self.summary.to_dict("records"):
            own = self.burn_windows.get(row["slo"])
            cols = burn_cols if own is None else [f"burn_{w}" for w in own]
            out.append(
                {
                    "slo": row["slo"],
                    "api": None if pd.isna(row["api"]) else row["api"],
                    "group": row["group"],
                    "window": row["window"],
                    "budgeting_method": row["budgeting_method"],
                    "objective": row["target"],
                    "objective_name": row["objective"],
                    "good": _json(row["good"]),
                    "total": _json(row["total"]),
                    "sli": _json(row["sli"]),
                    "sli_interval": [_json(row["sli_low"]), _json(row["sli_high"])],
                    "error_budget": _json(row["error_budget"]),
                    "budget_unit": row["budget_unit"],
                    "error_budget_remaining": _json(row["remaining"]),
                    "low_traffic": bool(row["low_traffic"]),
                    "burn_rates": {c[5:]: _json(row[c]) for c in cols if c in row},
                    "alerts_firing": _names(row["alerts_firing"]),
                    "at": self.at.isoformat(),
                    "source": self.source,
                }
            )
        return out


def _names(firing: list[str] | None) -> list[str] | None:
    """A row's firing alert names for JSON; ``None`` where the alerts were not evaluated (an
    alert window is not a whole number of the data's step, or of the SLO's slices:
    :attr:`EvaluationResult.alerts_not_evaluated` says which)."""
    return None if firing is None else list(firing)


def _json(value: Any) -> Any:
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _sample(ends: pd.DatetimeIndex, every: pd.Timedelta | None) -> np.ndarray:
    """Rows whose end is on the ``every`` grid, phased as the rows are: slices aligned to
    local midnight in Asia/Kolkata (1-hour slices ending at hh:30 UTC) give a point per hour
    at hh:30, not none."""
    if every is None:
        return np.arange(len(ends))
    ns = ends.as_unit("ns").asi8
    step = int(ns[1] - ns[0]) if len(ns) > 1 else every.value
    phase = int(ns[0]) % step if len(ns) else 0
    return np.flatnonzero((ns - phase) % every.value == 0)


def evaluate(
    slos: SLO | Sequence[SLO],
    source: Any,
    at: Any = "now",
    step: str | pd.Timedelta = "1min",
    series: bool = True,
    series_every: str | pd.Timedelta | None = "1h",
) -> EvaluationResult:
    """Evaluate SLOs at ``at``: SLI, error budget, burn rates, and their series over the window.

    Args:
        slos: SLOs from :func:`apislo.slo.load`.
        source: a traffic frame, events, a dataset directory, a Prometheus URL or client
            (:func:`apislo.slo.source.resolve_source`).
        at: the evaluation instant (ISO 8601, naive = UTC; ``"now"``; or relative, ``"-1d"``);
            only intervals that end at or before it count.
        step: interval of the counts (``1min``); windows must be whole multiples of it.
        series: also build the ``remaining_budget`` and ``burn_rates`` series over the last
            SLO period (reads one more period of history, so the first point has a full
            window).
        series_every: spacing of series points (``1h``), or ``None`` for every interval.

    Returns:
        :class:`EvaluationResult`.

    Raises:
        ConfigError: ``at`` is not a time, the source cannot provide what an SLO needs, or
            the windows do not fit the step.
        SpecError: a latency threshold is not a histogram bucket of the data.
    """
    from apislo.sources.prometheus.times import parse_time  # lazy: it loads the HTTP client

    slos = [slos] if isinstance(slos, SLO) else list(slos)
    src = resolve_source(source)
    at_ts = parse_time(at, what="at")
    step_td = _step(step)
    at_ts = at_ts.floor(step_td)
    every = pd.Timedelta(series_every) if series_every is not None else None
    rows, remaining_parts, burn_parts = [], [], []
    alerts: dict[str, list[str]] = {}
    own_windows: dict[str, tuple[str, ...]] = {}
    not_evaluated: dict[str, str] = {}
    for slo in slos:
        windows = burn_windows(slo)
        own_windows[slo.name] = tuple(prom_duration(w) for w in windows)
        start = _lookback(slo, at_ts, windows, step_td)
        if series and slo.window.is_rolling:
            start -= pd.Timedelta(slo.window.period)
        frame = src.frame(slo, start, at_ts, step_td)
        firing, why = _firing(slo, frame, at_ts, step_td)
        if why is not None:
            not_evaluated[slo.name] = why
        if firing is not None:
            alerts[slo.name] = sorted({n for group in firing for v in group.values() for n in v})
        for k, objective in enumerate(slo.objectives):
            ou = objective_units(slo, objective, frame, start, at_ts, step_td)
            rows.extend(_summary_rows(ou, at_ts, windows, None if firing is None else firing[k]))
            if series:
                remaining, burns = _series(ou, at_ts, windows, every)
                remaining_parts.append(remaining)
                burn_parts.append(burns)
    summary = pd.DataFrame(rows)
    remaining_budget = (
        pd.concat(remaining_parts, ignore_index=True) if remaining_parts else _empty_series()
    )
    burn_rates = pd.concat(burn_parts, ignore_index=True) if burn_parts else _empty_burns()
    return EvaluationResult(
        at_ts, src.label, summary, remaining_budget, burn_rates, alerts, own_windows, not_evaluated
    )


def _firing(
    slo: SLO, frame: pd.DataFrame, at: pd.Timestamp, step: pd.Timedelta
) -> tuple[list[dict[str, list[str]]] | None, str | None]:
    """Alerts active at ``at`` per objective and group (:func:`apislo.slo.alerts.firing_by_group`
    on the counts at ``step``, the step of every other figure of the summary) and ``None``; or
    ``None`` and why the alert engine cannot evaluate them."""
    from apislo.slo.alerts import firing_by_group

    if slo.alerting.disabled:
        return [{} for _ in slo.objectives], None
    try:
        return firing_by_group(slo, frame, at, step), None
    except ConfigError as exc:
        return None, str(exc)


def _empty_series() -> pd.DataFrame:
    return pd.DataFrame(columns=["ts", "slo", "objective", "group", "remaining"])


def _empty_burns() -> pd.DataFrame:
    return pd.DataFrame(columns=["ts", "slo", "objective", "group", "window", "burn_rate"])


def _row_at(units: maths.Units, at: pd.Timestamp) -> int:
    ends = units.counts.ends
    row = int(ends.searchsorted(at, side="right")) - 1
    if row < 0:
        raise ConfigError(f"no complete interval ends at or before {at}; evaluate later")
    return row


def _window_length(window: TimeWindow, at: pd.Timestamp) -> timedelta:
    if window.is_rolling:
        return window.period
    return (at - period_bounds(window, at - pd.Timedelta(1, "ns"))[0]).to_pytimedelta()


def window_sums_at(units: maths.Units, window: TimeWindow, at: pd.Timestamp) -> maths.WindowSums:
    """Window sums of ``units`` over the SLO ``window`` at ``at``, those :func:`evaluate`
    reports (its ``remaining`` is :meth:`~apislo.slo.maths.WindowSums.remaining` of them), one
    row: at the last unit ended by ``at``, over the window ``at`` is in.

    Raises:
        ConfigError: no unit of ``units`` ends at or before ``at``.
    """
    return _window_sums_at(units, window, np.array([_row_at(units, at)]), at)


def _window_sums_at(
    units: maths.Units, window: TimeWindow, rows: np.ndarray, at: pd.Timestamp
) -> maths.WindowSums:
    """Window sums at the last unit ended by ``at`` (``rows``), over the window ``at`` is in.

    A calendar window at ``at`` is the period holding the instant just before ``at`` (an
    ``at`` on a boundary ends the period before it), counted from its start with only the
    units that have ended. Just after a period starts, no slice of it may have ended yet (the
    1-hour slice from 00:00 at 00:03): the last ended unit then belongs to the period before,
    which is not the window at ``at``, so the sums are those of the empty new period (no
    slice, nothing bad; for Timeslices a budget of the whole new period's slices).
    """
    sums = maths.window_sums(units, window, rows)
    if window.is_rolling:
        return sums
    start, end = period_bounds(window, at - pd.Timedelta(1, "ns"))
    if units.counts.ends[int(rows[0])] > start:
        return sums
    zero = np.zeros_like(sums.weight)
    slices = np.full_like(sums.weight, (end - start) / units.step)
    budget = slices if units.method == "Timeslices" else zero
    return maths.WindowSums(zero, zero, budget, zero.copy(), zero.copy())


def _round_budget(budget: Any) -> Any:
    """An error budget rounded to 12 significant digits: ``(1 - target)`` (12 decimals) times a
    count of events or minutes, without the binary rounding error of the product (``0.1 x 24
    x 60`` is 144.00000000000003 in floating point; the budget is 144 minutes)."""
    if np.ndim(budget) == 0:
        value = float(budget)
        return float(f"{value:.12g}") if math.isfinite(value) else value
    return np.array([_round_budget(b) for b in np.asarray(budget, dtype=np.float64)])


def _summary_rows(
    ou: ObjectiveUnits,
    at: pd.Timestamp,
    windows: Sequence[timedelta],
    firing: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Summary rows of one objective, one per group; ``firing``: group label -> alert names
    active at ``at`` (a group absent has none), or ``None`` when alerts were not evaluated."""
    slo, objective, units = ou.slo, ou.objective, ou.units
    r = np.array([_row_at(units, at)])
    sums = window_sums_at(units, slo.window, at)
    allowance = maths.error_allowance(objective.target)
    weight, bad = sums.weight[0], sums.bad[0]
    good = weight - bad
    low, high = maths.wilson_interval(good, weight)
    remaining = sums.remaining(objective.target)[0]
    met = maths.target_met(bad, weight, objective.target)
    minutes = units.step / pd.Timedelta(minutes=1)
    if slo.budgeting_method == "Occurrences":
        budget, unit = allowance * sums.budget_weight[0], "events"
    else:
        budget, unit = allowance * (sums.budget_weight[0] * minutes), "minutes"
    budget = _round_budget(budget)
    low_traffic = maths.low_traffic(
        sums.total_events[0], _window_length(slo.window, at), objective.target
    )
    burns = {}
    for w in windows:
        try:
            burn = maths.burn_rate(units, w, objective.target, r)[0]
            burns[f"burn_{prom_duration(w)}"] = burn
        except ConfigError:
            burns[f"burn_{prom_duration(w)}"] = np.full(len(ou.labels), np.nan)
    groups = units.counts.groups
    apis = [None] * len(ou.labels)
    if "api" in groups.columns:
        apis = [None if pd.isna(a) else a for a in groups["api"].tolist()]
    rows = []
    for j, label in enumerate(ou.labels):
        rows.append(
            {
                "slo": slo.name,
                "objective": objective.label,
                "target": objective.target,
                "api": slo.api if slo.api is not None else apis[j],
                "group": label,
                "window": slo.window.label,
                "budgeting_method": slo.budgeting_method,
                "good": good[j],
                "total": weight[j],
                "sli": 1 - bad[j] / weight[j] if weight[j] else np.nan,
                "sli_low": low[j],
                "sli_high": high[j],
                "met": bool(met[j]) if sums.total_events[0, j] else None,
                "events_good": sums.good_events[0, j],
                "events_total": sums.total_events[0, j],
                "error_budget": budget if np.ndim(budget) == 0 else budget[j],
                "budget_unit": unit,
                "consumed": 1 - remaining[j],
                "remaining": remaining[j],
                "low_traffic": bool(low_traffic[j]),
                "alerts_firing": None if firing is None else list(firing.get(label, [])),
                **{k: v[j] for k, v in burns.items()},
            }
        )
    return rows


def _series(
    ou: ObjectiveUnits,
    at: pd.Timestamp,
    windows: Sequence[timedelta],
    every: pd.Timedelta | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    slo, objective, units = ou.slo, ou.objective, ou.units
    ends = units.counts.ends
    keep = _sample(ends, every)
    keep = keep[(ends[keep] <= at) & (ends[keep] > at - pd.Timedelta(_series_span(slo, at)))]
    labels = np.array(ou.labels, dtype=object)
    n_groups = len(labels)
    ts = np.repeat(ends[keep].to_numpy(), n_groups)
    group = np.tile(labels, len(keep))
    base = {"slo": slo.name, "objective": objective.label}
    remaining = maths.window_sums(units, slo.window, keep).remaining(objective.target)
    rem = pd.DataFrame({"ts": ts, **base, "group": group, "remaining": remaining.ravel()})
    parts = []
    for w in windows:
        try:
            burn = maths.burn_rate(units, w, objective.target, keep)
        except ConfigError:
            continue
        part = {"ts": ts, **base, "group": group, "window": prom_duration(w)}
        parts.append(pd.DataFrame({**part, "burn_rate": burn.ravel()}))
    burns = pd.concat(parts, ignore_index=True) if parts else _empty_burns()
    return rem, burns


def _series_span(slo: SLO, at: pd.Timestamp) -> timedelta:
    return _window_length(slo.window, at) if not slo.window.is_rolling else slo.window.period


def compliance_history(
    slos: SLO | Sequence[SLO],
    source: Any,
    period: str = "month",
    start: Any = None,
    end: Any = "now",
    timezone: str = "UTC",
    step: str | pd.Timedelta = "1min",
    periods: int = 6,
) -> pd.DataFrame:
    """Attainment per past calendar period (month, quarter...), met or missed.

    Each period is evaluated on its own, with the SLO's budgeting method: the SLI over the
    period against each objective's target.

    Args:
        slos: the SLOs.
        source: as for :func:`evaluate`.
        period: ``day``, ``week``, ``month``, ``quarter`` or ``year``.
        start: first instant (as ``at`` of :func:`evaluate`; default: ``periods`` whole periods
            before the current one).
        end: last instant (default now); the current, partial period is included and marked
            ``complete = False``.
        timezone: IANA zone of the period boundaries.
        step: interval of the counts.
        periods: how many periods back when ``start`` is not given.

    Returns:
        One row per SLO x objective x group x period: ``slo``, ``objective``, ``target``,
        ``group``, ``period_start``, ``period_end`` (UTC), ``good``, ``total``, ``sli``,
        ``met`` (``None`` for a period without any event: no data, not a success),
        ``remaining`` (budget left at the period's end), ``events_total``, ``complete`` (the
        requested range covers the whole period).

    Raises:
        ConfigError: ``start`` or ``end`` is not a time, ``start`` is not before ``end``,
            ``timezone`` is not an IANA zone, or the source cannot provide what an SLO needs.
    """
    from apislo.sources.prometheus.times import parse_time  # lazy: it loads the HTTP client

    slos = [slos] if isinstance(slos, SLO) else list(slos)
    check_timezone(timezone)
    calendar = TimeWindow.calendar_window(period, timezone)  # type: ignore[arg-type]
    step_td = _step(step)
    end_ts = parse_time(end, what="end").floor(step_td)
    if start is None:
        start_ts = _periods_back(end_ts, periods, calendar, period)
    else:
        start_ts = parse_time(start, what="start").floor(step_td)
    if start_ts >= end_ts:
        raise ConfigError(
            f"start {start_ts.isoformat()} is not before end {end_ts.isoformat()}: the range "
            "holds no period; give a start earlier than the end (or periods >= 0)"
        )
    src: Source = resolve_source(source)
    rows = []
    for slo in slos:
        frame = src.frame(slo, start_ts, end_ts, step_td)
        for objective in slo.objectives:
            ou = objective_units(slo, objective, frame, start_ts, end_ts, step_td, calendar)
            rows.extend(_history_rows(ou, calendar, start_ts, end_ts))
    return pd.DataFrame(rows)


#: The earliest period start :func:`compliance_history` takes: that of a pandas timestamp in
#: nanoseconds, as for a ``start`` (:func:`~apislo.sources.prometheus.times.parse_time`).
_EARLIEST = pd.Timestamp("1677-09-22", tz="UTC")


def _periods_back(
    end: pd.Timestamp, periods: int, calendar: TimeWindow, period: str
) -> pd.Timestamp:
    """Start (UTC) of the calendar period ``periods`` periods before the one holding the
    instant just before ``end``.

    Raises:
        ConfigError: that period would start before :data:`_EARLIEST` (a year before 1 gave a
            traceback, and a week thousands of years back came out as a date near 1970).
    """
    current = period_ids(pd.DatetimeIndex([end - pd.Timedelta(1, "ns")]), calendar)[0]
    first = period_ids(pd.DatetimeIndex([_EARLIEST]), calendar)[0] + 1  # starts after it
    wanted = int(current) - periods  # (Python ints: any --periods, no overflow)
    if wanted < first:
        raise ConfigError(
            f"{periods} {period}s back from {end.isoformat()} start before "
            f"{_EARLIEST:%Y-%m-%d}, the earliest time apislo handles: ask for fewer periods "
            "(--periods), or give a start"
        )
    return period_starts(np.array([wanted]), calendar)[0]


def _history_rows(
    ou: ObjectiveUnits, calendar: TimeWindow, start: pd.Timestamp, end: pd.Timestamp
) -> list[dict[str, Any]]:
    units = ou.units
    begins = units.counts.ends - units.step
    inside = (begins >= start) & (units.counts.ends <= end)
    rows_idx = np.flatnonzero(inside)
    if not len(rows_idx):
        return []
    ids = period_ids(begins[rows_idx], calendar)
    cuts = np.flatnonzero(np.r_[True, np.diff(ids) != 0])
    uniq = ids[cuts]
    bounds = period_starts(np.append(uniq, uniq[-1] + 1), calendar)

    def per_period(m: np.ndarray) -> np.ndarray:
        return np.add.reduceat(m[rows_idx], cuts, axis=0)

    bad, weight = per_period(units.bad), per_period(units.weight)
    events = per_period(units.counts.total)
    allowance = maths.error_allowance(ou.objective.target)
    out = []
    for p in range(len(uniq)):
        p_start, p_end = bounds[p], bounds[p + 1]
        if units.method == "Timeslices":
            budget_weight = (p_end - p_start) / units.step
        else:
            budget_weight = weight[p]
        for j, label in enumerate(ou.labels):
            w, b = weight[p, j], bad[p, j]
            sli = 1 - b / w if w and events[p, j] else np.nan
            budget = allowance * (
                budget_weight if np.ndim(budget_weight) == 0 else budget_weight[j]
            )
            out.append(
                {
                    "slo": ou.slo.name,
                    "objective": ou.objective.label,
                    "target": ou.objective.target,
                    "group": label,
                    "period_start": p_start,
                    "period_end": p_end,
                    "good": w - b,
                    "total": w,
                    "sli": sli,
                    "met": bool(maths.target_met(b, w, ou.objective.target))
                    if events[p, j]
                    else None,
                    "remaining": 1 - b / budget if budget else (1.0 if not b else -np.inf),
                    "events_total": events[p, j],
                    "complete": bool(p_start >= start and p_end <= end),
                }
            )
    return out


def _step(step: str | pd.Timedelta) -> pd.Timedelta:
    """``step`` checked (:func:`apislo.aggregate.parse_interval`, imported when needed: it loads
    polars, which a Prometheus source does not need)."""
    from apislo.aggregate import parse_interval

    return parse_interval(step)
