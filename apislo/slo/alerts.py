"""Multi-window multi-burn-rate alert evaluation over history, vectorised.

Counts are held as an ``(interval x group)`` matrix (:class:`CountMatrix`): one row per
traffic-frame interval, one column per API (or group), which is exactly a traffic frame sorted by
``ts`` then ``api``, reshaped. The error ratio over a window at evaluation time ``t`` is
``sum(bad) / sum(total)`` over the intervals that *start* in ``[t - window, t)``: the same events as
Prometheus's ``sum(increase(bad[w])) / sum(increase(total[w]))`` on counters sampled at interval
boundaries. Sums come from one cumulative sum per column block (numpy), so every window at every
minute costs one subtraction: no Python loop per API-minute. Evaluation times are the ends of the
intervals (``ts + step``), like a Prometheus rule evaluated every ``step``.

A tier is active at ``t`` when the error ratio over its long **and** its short window is strictly
above ``factor x (1 - objective)``. An interval with no events has no ratio (Prometheus: NaN) and
never fires. At the start of history a window holds the intervals seen so far.

>>> import numpy as np, pandas as pd
>>> from datetime import timedelta
>>> from apislo.slo.policy import Policy, Tier
>>> m = CountMatrix(pd.Timestamp("2026-01-01", tz="UTC"), timedelta(minutes=1),
...                 pd.DataFrame({"api": ["a"]}), np.array([[0, 5, 5, 0.]]).T, np.full((4, 1), 10.))
>>> tier = Tier("page", "page", timedelta(minutes=2), timedelta(minutes=1), 10.0)
>>> evaluate_alerts(m, Policy("p", (tier,)), objective=0.99).active["page"][:, 0].tolist()
[False, True, True, False]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from apislo.errors import ConfigError
from apislo.model import bucket_column
from apislo.slo.policy import Policy, Tier, policy_for

__all__ = [
    "AlertHistory",
    "CountMatrix",
    "alert_name",
    "count_matrix",
    "error_ratio",
    "evaluate_alerts",
    "firing",
    "intervals_from_mask",
    "slo_counts",
    "window_steps",
]

#: Groups (columns) evaluated together: keeps the working buffers a few MB.
_CHUNK_COLS = 16
#: Upper bound on worker threads for the evaluation.
_MAX_THREADS = 8
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class CountMatrix:
    """Bad and total events per group and interval.

    Attributes:
        start: start of the first interval (UTC).
        step: interval length (the traffic frame's resolution).
        groups: one row per matrix column, one column per group key (``api``...).
        bad: array ``(intervals, groups)`` of bad events (any numeric dtype).
        total: array ``(intervals, groups)`` of all events.
    """

    start: pd.Timestamp
    step: timedelta
    groups: pd.DataFrame
    bad: np.ndarray
    total: np.ndarray

    @property
    def eval_times(self) -> pd.DatetimeIndex:
        """Evaluation time of each row: the end of its interval (UTC)."""
        n = self.bad.shape[0]
        return pd.date_range(self.start + self.step, periods=n, freq=self.step)

    def group_labels(self) -> list[str]:
        """One readable label per column (``api`` or ``api/route``)."""
        if self.groups.shape[1] == 0:
            return ["all"] * len(self.groups)
        return self.groups.astype(str).agg("/".join, axis=1).tolist()


def window_steps(window: timedelta, step: timedelta) -> int:
    """How many intervals of ``step`` make ``window``.

    Raises:
        ConfigError: the window is not a whole number of intervals.
    """
    steps, rest = divmod(window, step)
    if steps < 1 or rest:
        raise ConfigError(
            f"the alert window {window} is not a whole number of {step} intervals: rebuild the "
            "traffic frame at a finer interval, e.g. apislo.traffic(events, interval='1min')"
        )
    return int(steps)


class _Windows:
    """Windowed sums over one block of columns, reusing preallocated buffers.

    Large numpy temporaries cost page faults on every allocation; evaluating a block of columns
    in fixed buffers keeps the work in memory already mapped.
    """

    def __init__(self, n_rows: int, width: int, windows: Sequence[int]) -> None:
        self.cum_bad = np.zeros((n_rows + 1, width))
        self.cum_total = np.zeros((n_rows + 1, width))
        self.ratio = {w: np.empty((n_rows, width)) for w in windows}
        self.scratch = np.empty((n_rows, width))

    def load(self, bad: np.ndarray, total: np.ndarray) -> int:
        """Cumulative sums of a ``(rows, <=width)`` block; returns its width."""
        width = bad.shape[1]
        np.cumsum(bad, axis=0, dtype=np.float64, out=self.cum_bad[1:, :width])
        np.cumsum(total, axis=0, dtype=np.float64, out=self.cum_total[1:, :width])
        return width

    def ratios(self, steps: int, width: int) -> np.ndarray:
        """Error ratio over the last ``steps`` rows at every row (NaN without events)."""
        out, den = self.ratio[steps][:, :width], self.scratch[:, :width]
        _window_sum(self.cum_bad[:, :width], steps, out)
        _window_sum(self.cum_total[:, :width], steps, den)
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(out, den, out=out)
        return out


def _window_sum(cum: np.ndarray, steps: int, out: np.ndarray) -> None:
    """``out[i] = cum[i + 1] - cum[max(0, i + 1 - steps)]`` (rows; ``cum[0]`` is zero)."""
    n = out.shape[0]
    head = min(steps, n)
    out[:head] = cum[1 : head + 1]
    if steps < n:
        np.subtract(cum[steps + 1 :], cum[1 : n - steps + 1], out=out[steps:])


def error_ratio(matrix: CountMatrix, window: timedelta) -> np.ndarray:
    """Event-weighted error ratio over ``window`` at every evaluation time.

    Returns:
        float64 array ``(intervals, groups)``; NaN where the window holds no events.
    """
    steps = window_steps(window, matrix.step)
    n_rows, n_cols = matrix.bad.shape
    out = np.empty((n_rows, n_cols))

    def run(blocks: list[slice]) -> None:
        work = _Windows(n_rows, min(_CHUNK_COLS, n_cols), (steps,))
        for cols in blocks:
            width = work.load(matrix.bad[:, cols], matrix.total[:, cols])
            out[:, cols] = work.ratios(steps, width)

    _in_threads(run, _column_blocks(n_cols))
    return out


@dataclass
class AlertHistory:
    """When each tier of a policy was active, per group and evaluation time.

    Attributes:
        matrix: the counts evaluated.
        policy: the policy.
        objective: the SLO target (fraction).
        active: tier name -> bool array ``(intervals, groups)``.
        burn_rates: window -> burn-rate array ``(intervals, groups)``, for the windows asked for.
    """

    matrix: CountMatrix
    policy: Policy
    objective: float
    active: dict[str, np.ndarray]
    burn_rates: dict[timedelta, np.ndarray] = field(default_factory=dict)

    def intervals(self) -> pd.DataFrame:
        """Every firing episode: one row per tier, group and fire-to-reset span.

        Returns:
            Columns ``tier``, ``severity``, ``group`` keys..., ``fired_at``, ``reset_at`` (the
            first evaluation time the alert was no longer active; ``NaT`` while still firing at
            the end of history), ``duration`` (timedelta; up to the end of history if open).
        """
        times = self.matrix.eval_times
        end = times[-1] + self.matrix.step if len(times) else self.matrix.start
        parts = []
        for tier in self.policy.tiers:
            cols, starts, stops = intervals_from_mask(self.active[tier.name])
            part = self.matrix.groups.iloc[cols].reset_index(drop=True)
            part.insert(0, "severity", tier.severity)
            part.insert(0, "tier", tier.name)
            part["fired_at"] = times[starts]
            reset = pd.Series(pd.NaT, index=part.index, dtype=part["fired_at"].dtype)
            closed = stops < len(times)
            reset[closed] = times[stops[closed]]
            part["reset_at"] = reset
            part["duration"] = reset.fillna(end) - part["fired_at"]
            parts.append(part)
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
    matrix: CountMatrix,
    policy: Policy,
    objective: float,
    burn_windows: Sequence[timedelta] = (),
) -> AlertHistory:
    """Evaluate every tier of ``policy`` at every interval end, for every group.

    Args:
        matrix: bad/total counts per interval and group.
        policy: the tiers to evaluate.
        objective: SLO target as a fraction (``0.999``).
        burn_windows: windows whose burn-rate series to keep (e.g. ``policy.windows``, or the
            SLO period for the remaining budget); each costs one float64 array like the matrix.

    Returns:
        An :class:`AlertHistory`.

    Raises:
        ConfigError: a window is not a whole number of the matrix's intervals.
    """
    windows = tuple(dict.fromkeys((*policy.windows, *burn_windows)))
    steps = {w: window_steps(w, matrix.step) for w in windows}
    shape = matrix.bad.shape
    active = {t.name: np.zeros(shape, dtype=bool) for t in policy.tiers}
    burns = {w: np.empty(shape) for w in burn_windows}
    budget = 1 - objective

    def run(blocks: list[slice]) -> None:
        width_max = min(_CHUNK_COLS, shape[1])
        work = _Windows(shape[0], width_max, set(steps.values()))
        long_ok, short_ok = (np.empty((shape[0], width_max), dtype=bool) for _ in range(2))
        for cols in blocks:
            width = work.load(matrix.bad[:, cols], matrix.total[:, cols])
            ratios = {w: work.ratios(n, width) for w, n in steps.items()}
            for w, series in burns.items():
                np.divide(ratios[w], budget, out=series[:, cols])
            for tier in policy.tiers:
                threshold = tier.threshold(objective)
                np.greater(ratios[tier.long_window], threshold, out=long_ok[:, :width])
                np.greater(ratios[tier.short_window], threshold, out=short_ok[:, :width])
                np.logical_and(
                    long_ok[:, :width], short_ok[:, :width], out=active[tier.name][:, cols]
                )

    _in_threads(run, _column_blocks(shape[1]))
    return AlertHistory(matrix, policy, objective, active, burns)


def count_matrix(
    frame: pd.DataFrame,
    bad: np.ndarray,
    total: np.ndarray,
    by: Sequence[str] = ("api",),
    step: timedelta | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> CountMatrix:
    """Pivot per-row bad/total counts of a traffic frame into a :class:`CountMatrix`.

    Missing ``(group, interval)`` rows count as no events. A frame sorted by ``ts`` then group
    with every group in every interval is reshaped without a scatter.

    Args:
        frame: traffic frame with ``ts`` (interval start, UTC) and the ``by`` columns.
        bad: bad events per row of ``frame``.
        total: all events per row of ``frame``.
        by: group-key columns.
        step: interval length; inferred from the smallest gap between timestamps if ``None``.
        start: first interval start of the grid (default: the earliest ``ts``).
        end: end of the grid, exclusive (default: the end of the latest interval).

    Raises:
        ConfigError: the frame is empty or its timestamps are not on a regular grid.
    """
    if len(frame) == 0:
        raise ConfigError("the traffic frame has no rows: widen the time range or check --source")
    ts_ns = pd.DatetimeIndex(frame["ts"]).as_unit("ns").asi8
    first = int(ts_ns.min()) if start is None else _utc(start).as_unit("ns").value
    if step is None:
        gaps = np.diff(np.unique(ts_ns[:1_000_000]))
        step = timedelta(microseconds=int(gaps.min()) // 1000) if len(gaps) else _MINUTE
    step_ns = step // timedelta(microseconds=1) * 1000
    t_idx, rest = np.divmod(ts_ns - first, step_ns)
    if rest.any() or t_idx.min() < 0:
        raise ConfigError(
            f"traffic-frame timestamps are not on a regular {step} grid from {_utc(first)}: "
            "build it with apislo.traffic(events, interval=...) so every ts is an interval start"
        )
    del rest
    n_t = int(t_idx.max()) + 1
    if end is not None:
        n_t = -(-(_utc(end).as_unit("ns").value - first) // step_ns)
        keep = t_idx < n_t
        if not keep.all():
            frame, bad, total, t_idx = frame[keep], bad[keep], total[keep], t_idx[keep]
    g_codes, groups = _group_codes(frame, by)
    n_g = len(groups)
    bad, total = np.asarray(bad), np.asarray(total)
    if _is_dense_grid(t_idx, g_codes, n_t, n_g):
        mats = [bad.reshape(n_t, n_g), total.reshape(n_t, n_g)]
    else:
        flat = t_idx * n_g + g_codes
        mats = [
            np.bincount(flat, weights=v, minlength=n_t * n_g).reshape(n_t, n_g)
            for v in (bad, total)
        ]
    return CountMatrix(_utc(first), step, groups, mats[0], mats[1])


def _is_dense_grid(t_idx: np.ndarray, g_codes: np.ndarray, n_t: int, n_g: int) -> bool:
    """Whether rows are exactly every interval x every group, sorted by interval then group."""
    if len(t_idx) != n_t * n_g:
        return False
    return bool(
        (g_codes.reshape(n_t, n_g) == np.arange(n_g)).all()
        and (t_idx.reshape(n_t, n_g) == np.arange(n_t)[:, None]).all()
    )


def _group_codes(frame: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Dense codes ``0..G-1`` (sorted by key) per row, and the key table."""
    if not by:
        return np.zeros(len(frame), dtype=np.intp), pd.DataFrame(index=range(1))
    if len(by) == 1:
        col = frame[by[0]]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy()
            n_cat = len(col.cat.categories)
            used = np.flatnonzero(np.bincount(codes, minlength=n_cat))
            labels = col.cat.categories[used].astype(str)
            order = np.argsort(labels, kind="stable")
            remap = np.full(n_cat, -1, dtype=np.intp)
            remap[used[order]] = np.arange(len(used))
            return remap[codes], pd.DataFrame({by[0]: np.asarray(labels[order], dtype=object)})
        codes, uniques = pd.factorize(col, sort=True)
        return codes.astype(np.intp), pd.DataFrame({by[0]: np.asarray(uniques, dtype=object)})
    keyed = frame[list(by)].astype(str)
    codes = keyed.groupby(list(by), sort=True).ngroup().to_numpy().astype(np.intp)
    groups = keyed.drop_duplicates().sort_values(list(by), ignore_index=True)
    return codes, groups


def alert_name(slo: Any, tier: Tier) -> str:
    """The Prometheus alert name for an SLO tier: ``<SloName><Severity>BurnRate<LongWindow>``.

    Characters outside ``[A-Za-z0-9]`` are dropped (alert names must be metric names).

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
    window = "".join(c for c in tier.name.split("-", 1)[-1] if c.isalnum())
    return f"{base}{tier.severity.capitalize()}BurnRate{window}"


def firing(slo: Any, traffic: pd.DataFrame, at: datetime | str | pd.Timestamp) -> list[str]:
    """Alerts of ``slo`` active at evaluation time ``at`` on a traffic frame.

    The alert of a tier is active when, for any objective and any group, the error ratio over
    the intervals starting in ``[at - window, at)`` exceeds the tier's threshold for both the
    long and the short window.

    Args:
        slo: an :class:`apislo.slo.spec.SLO`.
        traffic: traffic frame covering at least the longest alert window before ``at``.
        at: evaluation time (UTC if naive); should fall on an interval boundary.

    Returns:
        Sorted, distinct alert names (see :func:`alert_name`).
    """
    policy = policy_for(slo)
    at_ts = _utc(at)
    horizon = max(t.long_window for t in policy.tiers)
    ts = pd.DatetimeIndex(traffic["ts"])
    recent = traffic[(ts >= at_ts - horizon) & (ts < at_ts)]
    if len(recent) == 0:
        return []
    names: set[str] = set()
    for objective in slo.objectives:
        frame, bad, total, by = slo_counts(slo, objective, recent)
        if len(frame) == 0:
            continue
        matrix = count_matrix(frame, bad, total, by, start=at_ts - horizon, end=at_ts)
        history = evaluate_alerts(matrix, policy, objective.target)
        names.update(
            alert_name(slo, tier) for tier in policy.tiers if history.active[tier.name][-1].any()
        )
    return sorted(names)


def _utc(value: datetime | str | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def slo_counts(
    slo: Any, objective: Any, traffic: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, tuple[str, ...]]:
    """Rows of ``traffic`` the SLO covers, their bad and total events, and the group keys.

    Availability: bad = the ``bad_status`` classes (a 429 is bad only if ``count_429``), total =
    ``requests``. Latency: bad = ``latency_count - le_<threshold>``, total = ``latency_count``.

    Raises:
        ConfigError: the SLI cannot be evaluated from a traffic frame (ratio and
            availability-and-latency SLIs need events or PromQL), or the latency threshold has no
            bucket column.
    """
    frame = traffic if slo.api is None else traffic[traffic["api"] == slo.api]
    by = tuple(dict.fromkeys((("api",) if slo.api is not None else ()) + tuple(slo.group_by)))
    sli = slo.sli
    if sli.kind == "availability":
        classes = set(sli.bad_status)
        columns = [frame[f"status_{c}"].to_numpy() for c in sorted(classes)]
        bad = columns[0] if len(columns) == 1 else np.sum(columns, axis=0)
        if "4xx" in classes and not sli.count_429:
            bad = bad - frame["status_429"].to_numpy()
        elif "4xx" not in classes and sli.count_429:
            bad = bad + frame["status_429"].to_numpy()
        return frame, bad, frame["requests"].to_numpy(), by
    if sli.kind == "latency":
        threshold = slo.threshold_s(objective)
        column = bucket_column(threshold) if threshold is not None else ""
        if column not in frame.columns:
            buckets = ", ".join(c for c in frame.columns if c.startswith("le_")) or "none"
            raise ConfigError(
                f"SLO {slo.name}: no bucket column for latency threshold {threshold} s (have "
                f"{buckets}); rebuild the traffic frame with thresholds_s including it"
            )
        total = frame["latency_count"].to_numpy()
        return frame, total - frame[column].to_numpy(), total, by
    raise ConfigError(
        f"SLO {slo.name}: a {sli.kind} SLI cannot be evaluated from a traffic frame; evaluate it "
        "from events or Prometheus"
    )
