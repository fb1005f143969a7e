"""Multi-window multi-burn-rate alert evaluation over history, vectorised.

The input is an SLO objective's budget units (:class:`apislo.slo.maths.Units`): a ``bad`` and a
``weight`` matrix of shape ``(intervals, groups)`` (bad events and all events for Occurrences;
bad slices and slices for Timeslices). The error ratio over a window at evaluation time ``t`` is
``sum(bad) / sum(weight)`` over the intervals that *start* in ``[t - window, t)``: for Occurrences
the same events as Prometheus's ``sum(increase(bad[w])) / sum(increase(total[w]))`` on counters
sampled at interval boundaries. Window sums are differences of one cumulative sum per block of
columns, computed in reused buffers on one thread per core, so every window at every minute
costs one subtraction: no Python loop per API-minute. Evaluation times are the interval ends
(``ts + step``), like a Prometheus rule evaluated every ``step``.

A tier is active at ``t`` when the error ratio over its long **and** its short window is strictly
above ``factor x (1 - objective)``, and has been at every evaluation for the tier's
``alert_after`` (Prometheus's ``for``: with evaluations ``step`` apart, the
``ceil(alert_after / step)`` evaluations before ``t`` too). A window with no events has no ratio
(Prometheus: NaN) and never fires. At the start of history a window holds the intervals seen so
far.

>>> import numpy as np, pandas as pd
>>> from datetime import timedelta
>>> from apislo.slo.policy import Policy, Tier
>>> bad, total = np.array([[0, 5, 5, 0.]]).T, np.full((4, 1), 10.)
>>> tier = Tier("page", "page", timedelta(minutes=2), timedelta(minutes=1), 10.0)
>>> history = evaluate_alerts(units_from_arrays(bad, total), Policy("p", (tier,)), 0.99)
>>> history.active["page"][:, 0].tolist()
[False, True, True, False]
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from apislo.errors import ConfigError
from apislo.model import as_utc, utc_index
from apislo.slo.maths import Counts, Units, error_allowance
from apislo.slo.policy import Policy, Tier, policy_for, prom_duration

__all__ = [
    "AlertHistory",
    "alert_history",
    "alert_name",
    "evaluate_alerts",
    "firing",
    "firing_by_group",
    "intervals_from_mask",
    "replay_lookback",
    "units_from_arrays",
    "window_steps",
]

#: Groups (columns) evaluated together: keeps the working buffers a few MB.
_CHUNK_COLS = 16
#: Rows per chunk: a chunk's buffers (rows x columns x 8 bytes) stay in the CPU cache.
_CHUNK_ROWS = 1024
#: Upper bound on worker threads for the evaluation.
_MAX_THREADS = 8


def units_from_arrays(
    bad: np.ndarray,
    total: np.ndarray,
    start: str | pd.Timestamp = "2026-01-01",
    step: timedelta = timedelta(minutes=1),
    groups: pd.DataFrame | None = None,
) -> Units:
    """Occurrences units from ``(intervals, groups)`` arrays of bad and total events.

    For tests, benchmarks and notebooks that already hold a matrix; SLOs over traffic frames get
    theirs from :func:`apislo.slo.evaluation.objective_units`.
    """
    bad, total = np.asarray(bad, dtype=np.float64), np.asarray(total, dtype=np.float64)
    stamp = as_utc(start)
    if groups is None:
        groups = pd.DataFrame({"group": [str(i) for i in range(bad.shape[1])]})
    counts = Counts(stamp, pd.Timedelta(step), groups, total - bad, total)
    return Units(counts, "Occurrences", bad, total)


def window_steps(window: timedelta, step: timedelta, sliced: bool = False) -> int:
    """How many intervals of ``step`` make ``window``.

    Args:
        window: an alert window.
        step: the unit length: the data interval, or the slice length when ``sliced``.
        sliced: ``step`` is the ``timeslice_window`` of a Timeslices or RatioTimeslices SLO.

    Raises:
        ConfigError: the window is not a whole number of intervals (or slices).
    """
    steps, rest = divmod(pd.Timedelta(window), pd.Timedelta(step))
    if (steps < 1 or rest) and sliced:
        raise ConfigError(
            f"the alert window {_text(window)} is not a whole number of the SLO's "
            f"{_text(step)} timeslices: a Timeslices or RatioTimeslices SLO alerts on its "
            "slices, so every alert window must be a multiple of its timeslice_window; use a "
            "timeslice_window that divides every alert window of its policy (1m or 5m for the "
            "workbook and pyrra policies, whose shortest window is 5m), or alert tiers whose "
            f"windows are multiples of {_text(step)} (a finer --step does not help)"
        )
    if steps < 1 or rest:
        raise ConfigError(
            f"the alert window {_text(window)} is not a whole number of {_text(step)} "
            "intervals: use a finer step (--step 1min on the command line; interval='1min' "
            "for apislo.traffic in Python), or a policy whose windows are multiples of the step"
        )
    return int(steps)


def _text(delta: timedelta) -> str:
    """``delta`` as a Prometheus duration (``5m``), or as pandas writes it under a second."""
    try:
        return prom_duration(pd.Timedelta(delta).to_pytimedelta())
    except ValueError:
        return str(pd.Timedelta(delta))


class _Windows:
    """Windowed error ratios over one block of columns, in cache-sized row chunks.

    The cumulative sums of a block span all rows; ratios are computed ``_CHUNK_ROWS`` rows at a
    time into small reused buffers, so the subtractions, divisions and comparisons run in cache
    and large numpy temporaries (and their page faults) never appear.
    """

    def __init__(self, n_rows: int, width: int, steps: Sequence[int]) -> None:
        self.cum_bad = np.zeros((n_rows + 1, width))
        self.cum_weight = np.zeros((n_rows + 1, width))
        chunk = min(_CHUNK_ROWS, n_rows)
        self.ratio = {n: np.empty((chunk, width)) for n in steps}
        self.scratch = np.empty((chunk, width))

    def load(self, bad: np.ndarray, weight: np.ndarray) -> int:
        """Cumulative sums of a ``(rows, <=width)`` block; returns its width."""
        width = bad.shape[1]
        np.cumsum(bad, axis=0, dtype=np.float64, out=self.cum_bad[1:, :width])
        np.cumsum(weight, axis=0, dtype=np.float64, out=self.cum_weight[1:, :width])
        return width

    def ratios(self, steps: int, rows: slice, width: int) -> np.ndarray:
        """Error ratio over the last ``steps`` rows at each of ``rows`` (NaN without events)."""
        n = rows.stop - rows.start
        out, den = self.ratio[steps][:n, :width], self.scratch[:n, :width]
        _window_sum(self.cum_bad[:, :width], steps, rows, out)
        _window_sum(self.cum_weight[:, :width], steps, rows, den)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(out, den, out=out)
        return out


def _window_sum(cum: np.ndarray, steps: int, rows: slice, out: np.ndarray) -> None:
    """``out[i - rows.start] = cum[i + 1] - cum[max(0, i + 1 - steps)]`` for ``i`` in ``rows``."""
    lo, hi = rows.start, rows.stop
    partial = min(max(steps - 1 - lo, 0), hi - lo)  # rows whose window starts before row 0
    out[:partial] = cum[lo + 1 : lo + 1 + partial]
    if partial < hi - lo:
        first = lo + partial
        np.subtract(
            cum[first + 1 : hi + 1], cum[first + 1 - steps : hi + 1 - steps], out=out[partial:]
        )


@dataclass
class AlertHistory:
    """When each tier of a policy was active, per group and evaluation time.

    Attributes:
        units: the budget units evaluated.
        policy: the policy.
        objective: the SLO target (fraction).
        labels: one label per group (matrix column).
        active: tier name -> bool array ``(intervals, groups)``.
        burn_rates: window -> burn-rate array ``(intervals, groups)``, for the windows asked for.
    """

    units: Units
    policy: Policy
    objective: float
    labels: tuple[str, ...]
    active: dict[str, np.ndarray]
    burn_rates: dict[timedelta, np.ndarray] = field(default_factory=dict)

    @property
    def eval_times(self) -> pd.DatetimeIndex:
        """Evaluation time of each row: the end of its interval (UTC)."""
        return self.units.counts.ends

    def intervals(self) -> pd.DataFrame:
        """Every firing episode: one row per tier, group and fire-to-reset span.

        Returns:
            Columns ``tier``, ``severity``, ``group``, ``fired_at``, ``reset_at`` (the first
            evaluation time the tier was no longer active; ``NaT`` while still active at the
            end of history) and ``duration`` (to the end of history when still open).
        """
        times = self.eval_times
        end = times[-1] if len(times) else self.units.counts.start
        labels = np.asarray(self.labels, dtype=object)
        parts = []
        for tier in self.policy.tiers:
            cols, starts, stops = intervals_from_mask(self.active[tier.name])
            closed = stops < len(times)
            reset = pd.Series(pd.NaT, index=range(len(cols)), dtype=times.dtype)
            reset[closed] = times[stops[closed]]
            fired = pd.Series(times[starts], dtype=times.dtype)
            parts.append(
                pd.DataFrame(
                    {
                        "tier": tier.name,
                        "severity": tier.severity,
                        "group": labels[cols],
                        "fired_at": fired,
                        "reset_at": reset,
                        "duration": reset.fillna(end) - fired,
                    }
                )
            )
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["fired_at", "tier"], kind="stable", ignore_index=True)


def intervals_from_mask(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of ``True`` down each column of a 2-D bool array ``(intervals, groups)``.

    Returns:
        ``(column, start, stop)`` int arrays, sorted by column: column ``column`` is ``True`` on
        rows ``start..stop-1`` (``stop`` equals the row count for a run still open at the end).

    >>> intervals_from_mask(np.array([[0, 1, 1, 0, 1]], dtype=bool).T)
    (array([0, 0]), array([1, 4]), array([3, 5]))
    """
    padded = np.zeros((mask.shape[1], mask.shape[0] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask.T
    edges = np.diff(padded, axis=1)
    cols, starts = np.nonzero(edges == 1)
    _, stops = np.nonzero(edges == -1)
    return cols, starts, stops


def _column_blocks(n: int) -> list[slice]:
    return [slice(lo, min(lo + _CHUNK_COLS, n)) for lo in range(0, n, _CHUNK_COLS)]


def _in_threads(run: Callable[[list[slice]], None], blocks: list[slice]) -> None:
    """Split column blocks over up to one thread per core (numpy releases the GIL)."""
    workers = max(1, min(os.cpu_count() or 1, _MAX_THREADS, len(blocks)))
    if workers == 1:
        run(blocks)
        return
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(run, blocks[i::workers]) for i in range(workers)]:
            future.result()


def evaluate_alerts(
    units: Units,
    policy: Policy,
    objective: float,
    burn_windows: Sequence[timedelta] = (),
    labels: Sequence[str] | None = None,
) -> AlertHistory:
    """Evaluate every tier of ``policy`` at every interval end, for every group.

    Args:
        units: budget units ``bad``/``weight`` per interval and group.
        policy: the tiers to evaluate.
        objective: SLO target as a fraction (``0.999``).
        burn_windows: windows whose burn-rate series to keep (e.g. ``policy.windows``, or the
            SLO period); each costs one float64 array the size of the matrix.
        labels: one label per group; default the groups table's rows joined with ``,``.

    Returns:
        An :class:`AlertHistory`.

    Raises:
        ConfigError: a window is not a whole number of intervals.
    """
    windows = tuple(dict.fromkeys((*policy.windows, *burn_windows)))
    sliced = units.method != "Occurrences"
    steps = {w: window_steps(w, units.step, sliced) for w in windows}
    shape = units.bad.shape
    active = {t.name: np.zeros(shape, dtype=bool) for t in policy.tiers}
    burns = {w: np.empty(shape) for w in burn_windows}
    allowance = error_allowance(objective)
    thresholds = {t.name: t.threshold(objective) for t in policy.tiers}

    def run(blocks: list[slice]) -> None:
        width_max = min(_CHUNK_COLS, shape[1])
        work = _Windows(shape[0], width_max, list(set(steps.values())))
        long_ok, short_ok = (np.empty_like(work.scratch, dtype=bool) for _ in range(2))
        for cols in blocks:
            width = work.load(units.bad[:, cols], units.weight[:, cols])
            for lo in range(0, shape[0], _CHUNK_ROWS):
                rows = slice(lo, min(lo + _CHUNK_ROWS, shape[0]))
                n = rows.stop - rows.start
                ratios = {w: work.ratios(k, rows, width) for w, k in steps.items()}
                for w, series in burns.items():
                    np.divide(ratios[w], allowance, out=series[rows, cols])
                for tier in policy.tiers:
                    threshold = thresholds[tier.name]
                    np.greater(ratios[tier.long_window], threshold, out=long_ok[:n, :width])
                    np.greater(ratios[tier.short_window], threshold, out=short_ok[:n, :width])
                    np.logical_and(
                        long_ok[:n, :width], short_ok[:n, :width], out=active[tier.name][rows, cols]
                    )

    _in_threads(run, _column_blocks(shape[1]))
    for tier in policy.tiers:
        _hold(active[tier.name], _hold_steps(tier, units.step))
    if labels is None:
        groups = units.counts.groups
        labels = [",".join(map(str, row)) for row in groups.itertuples(index=False)]
        labels = labels if groups.shape[1] else [""] * shape[1]
    return AlertHistory(units, policy, objective, tuple(labels), active, burns)


def _hold_steps(tier: Tier, step: timedelta) -> int:
    """Evaluations ``step`` apart after the first that finds ``tier``'s condition true at which
    it still pends: Prometheus fires once ``alert_after`` has elapsed since that first one."""
    return math.ceil(pd.Timedelta(tier.alert_after) / pd.Timedelta(step))


def replay_lookback(slo: Any, step: timedelta) -> timedelta:
    """How much history before an evaluation time decides which of ``slo``'s alerts are active
    at it: the longest of its tiers' long windows plus their ``alert_after`` rounded up to whole
    evaluations (``step`` apart, or one slice apart for a Timeslices or RatioTimeslices
    objective, plus one slice: inside a slice, the windows end at its start). A replay that
    starts later judges the first evaluations of that span on windows not yet full.

    Args:
        slo: an :class:`apislo.slo.spec.SLO`.
        step: the interval of the counts.

    Returns:
        The duration; zero when alerting is disabled.
    """
    if slo.alerting.disabled:
        return timedelta(0)
    tiers = policy_for(slo).tiers
    longest = timedelta(0)
    for objective in slo.objectives:
        unit = objective.timeslice_window or step
        margin = objective.timeslice_window or timedelta(0)
        for tier in tiers:
            longest = max(longest, tier.long_window + _hold_steps(tier, unit) * unit + margin)
    return longest


def _hold(active: np.ndarray, steps: int) -> None:
    """Clear, in place, the first ``steps`` rows of every run of ``True`` down each column of
    ``active`` (``(intervals, groups)``): a condition fires only once it has held that long."""
    if steps <= 0:
        return
    cols, starts, stops = intervals_from_mask(active)
    for col, start, stop in zip(cols, starts, np.minimum(starts + steps, stops), strict=True):
        active[start:stop, col] = False


def alert_history(
    slo: Any,
    traffic: pd.DataFrame,
    policy: Policy | None = None,
    start: Any = None,
    end: Any = None,
    step: Any = None,
) -> list[AlertHistory]:
    """Replay ``slo``'s alerting (or ``policy``) over a traffic frame, one history per objective.

    Args:
        slo: an :class:`apislo.slo.spec.SLO`.
        traffic: a traffic frame (:mod:`apislo.model`).
        policy: the policy to replay; default the SLO's own (:func:`policy_for`).
        start: first interval start (default the frame's first ``ts``).
        end: end of history, exclusive (default the end of the frame's last interval); the
            last evaluation is at the last unit end at or before it (a Timeslices slice still
            running at ``end`` is not judged on its first minutes).
        step: interval length (default inferred from ``ts``).
    """
    from apislo.slo.evaluation import objective_units

    policy = policy or policy_for(slo)
    out = []
    for objective in slo.objectives:
        ou = objective_units(slo, objective, traffic, start, end, step)
        units = ou.units if end is None else _ended(ou.units, as_utc(end))
        out.append(evaluate_alerts(units, policy, objective.target, labels=ou.labels))
    return out


def _ended(units: Units, end: pd.Timestamp) -> Units:
    """``units`` without those that end after ``end`` (a slice, or interval, still running)."""
    rows = int(units.counts.ends.searchsorted(end, side="right"))
    if rows == len(units.bad):
        return units
    c = units.counts
    counts = Counts(c.start, c.step, c.groups, c.good[:rows], c.total[:rows])
    return Units(counts, units.method, units.bad[:rows], units.weight[:rows])


def alert_name(slo: Any, tier: Tier) -> str:
    """The Prometheus alert name of an SLO tier: ``<SloName><Severity>BurnRate<LongWindow>``.

    Characters outside ``[A-Za-z0-9]`` are dropped (alert names must be metric names); tiers of
    one SLO that share severity and long window share the name and differ by ``apislo_tier``.

    >>> from apislo.slo.policy import workbook_policy
    >>> from types import SimpleNamespace
    >>> tier = workbook_policy(timedelta(days=30)).tiers[0]
    >>> alert_name(SimpleNamespace(name="checkout-availability"), tier)
    'CheckoutAvailabilityPageBurnRate1h'
    """
    words = "".join(c if c.isalnum() and c.isascii() else " " for c in slo.name).split()
    base = "".join(w[:1].upper() + w[1:] for w in words) or "Slo"
    if base[0].isdigit():
        base = "Slo" + base
    return f"{base}{tier.severity.capitalize()}BurnRate{prom_duration(tier.long_window)}"


def firing(
    slo: Any, traffic: pd.DataFrame, at: datetime | str | pd.Timestamp, step: Any = None
) -> list[str]:
    """Alerts of ``slo`` active at evaluation time ``at`` on a traffic frame.

    A tier's alert is active when, for any objective and any group, the error ratio over the
    intervals starting in ``[at - window, at)`` exceeds the tier's threshold over both its long
    and its short window (:func:`firing_by_group` says for which objective and group).

    Args:
        slo: an :class:`apislo.slo.spec.SLO`.
        traffic: traffic frame covering at least :func:`replay_lookback` before ``at``.
        at: evaluation time (UTC if naive), on an interval boundary.
        step: interval of the frame's counts (as for :func:`firing_by_group`).

    Returns:
        Sorted, distinct alert names (see :func:`alert_name`); ``[]`` when alerting is disabled.
    """
    names: set[str] = set()
    for per_group in firing_by_group(slo, traffic, at, step):
        for active in per_group.values():
            names.update(active)
    return sorted(names)


def firing_by_group(
    slo: Any, traffic: pd.DataFrame, at: datetime | str | pd.Timestamp, step: Any = None
) -> list[dict[str, list[str]]]:
    """Alerts of ``slo`` active at evaluation time ``at``, per objective and group.

    Args:
        slo: an :class:`apislo.slo.spec.SLO`.
        traffic: traffic frame covering at least :func:`replay_lookback` before ``at`` (its
            longest alert window and that window's ``alert_after``).
        at: evaluation time (UTC if naive), on an interval boundary; a Timeslices or
            RatioTimeslices SLO is judged on the slices ended by then (a slice still running at
            ``at`` does not count, as in :func:`apislo.slo.evaluation.evaluate`'s burn rates).
        step: interval of the frame's counts (``"1min"``); default the smallest gap between its
            timestamps, which is wrong for a sparse frame (one holding only the intervals with
            traffic): rows every 10 minutes of a 1-minute frame would be read as 10-minute
            counts. :func:`~apislo.slo.evaluation.evaluate` passes its own ``step``.

    Returns:
        One mapping per objective of ``slo``, in order: group label (``route=/a``; ``all`` for
        the sum over groups; ``""`` without ``group_by``) -> sorted alert names active for that
        objective and group (``[]`` when none is). Groups without traffic in the longest alert
        window before ``at`` are absent; every mapping is empty when alerting is disabled.
    """
    if slo.alerting.disabled:
        return [{} for _ in slo.objectives]
    policy = policy_for(slo)
    at_ts = as_utc(at)
    step = pd.Timedelta(step) if step is not None else _step(traffic)
    start = at_ts - pd.Timedelta(replay_lookback(slo, step))
    ts = utc_index(traffic["ts"])
    recent = traffic[(ts >= start) & (ts < at_ts)]
    if len(recent) == 0:
        return [{} for _ in slo.objectives]
    out = []
    # (the history ends at the last unit ended by ``at``: a slice still running is left out)
    for history in alert_history(slo, recent, policy, start, at_ts, step):
        if not len(history.eval_times):  # (``at`` inside the first slice)
            out.append({})
            continue
        last = {t.name: history.active[t.name][-1] for t in policy.tiers}
        out.append(
            {
                label: sorted({alert_name(slo, t) for t in policy.tiers if last[t.name][j]})
                for j, label in enumerate(history.labels)
            }
        )
    return out


def _step(traffic: pd.DataFrame) -> pd.Timedelta:
    """The traffic frame's interval: the smallest gap between distinct timestamps (1 min alone)."""
    ns = np.unique(utc_index(traffic["ts"]).as_unit("ns").asi8)
    return pd.Timedelta(int(np.diff(ns).min()) if len(ns) > 1 else 60_000_000_000)
