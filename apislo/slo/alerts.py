"""Multi-window multi-burn-rate alert evaluation over history, vectorised.

Counts are held as a ``(group x interval)`` matrix (:class:`CountMatrix`): one row per API (or
group), one column per traffic-frame interval. The error ratio over a window at evaluation time
``t`` is ``sum(bad) / sum(total)`` over the intervals that *start* in ``[t - window, t)``, i.e. the
same events as Prometheus's ``sum(increase(bad[w])) / sum(increase(total[w]))`` on counters sampled
at interval boundaries. Sums come from one cumulative sum per row (numpy), so every window at every
minute costs two subtractions: no Python loop per API-minute. Evaluation times are the ends of the
intervals (``ts + step``), like a Prometheus rule evaluated every ``step``.

A tier is active at ``t`` when the error ratio over its long **and** its short window is strictly
above ``factor x (1 - objective)``. An interval with no events has no ratio (Prometheus: NaN) and
never fires.

>>> import numpy as np, pandas as pd
>>> from datetime import timedelta
>>> from apislo.slo.policy import Policy, Tier
>>> m = CountMatrix(pd.Timestamp("2026-01-01", tz="UTC"), timedelta(minutes=1),
...                 pd.DataFrame({"api": ["a"]}), np.array([[0, 5, 5, 0.]]), np.full((1, 4), 10.))
>>> tier = Tier("page", "page", timedelta(minutes=2), timedelta(minutes=1), 10.0)
>>> evaluate_alerts(m, Policy("p", (tier,)), objective=0.99).active["page"].tolist()
[[False, True, True, False]]
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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

#: Groups (rows) processed together: keeps temporaries small and in cache.
_CHUNK_ROWS = 64
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class CountMatrix:
    """Bad and total events per group and interval.

    Attributes:
        start: start of the first interval (UTC).
        step: interval length (the traffic frame's resolution).
        groups: one row per matrix row, one column per group key (``api``...).
        bad: float64 array ``(groups, intervals)`` of bad events.
        total: float64 array ``(groups, intervals)`` of all events.
    """

    start: pd.Timestamp
    step: timedelta
    groups: pd.DataFrame
    bad: np.ndarray
    total: np.ndarray

    @property
    def eval_times(self) -> pd.DatetimeIndex:
        """Evaluation time of each column: the end of its interval (UTC)."""
        n = self.bad.shape[1]
        return pd.date_range(self.start + self.step, periods=n, freq=self.step)

    def group_labels(self) -> list[str]:
        """One readable label per row (``api`` or ``api/route``)."""
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


def _windowed(cum: np.ndarray, steps: int) -> np.ndarray:
    """Sums over the last ``steps`` columns from a cumulative sum with a leading zero column.

    ``cum[:, k]`` is the sum of columns ``< k``; result column ``i`` sums columns
    ``max(0, i - steps + 1) .. i`` (a partial window at the start of history).
    """
    n = cum.shape[1] - 1
    out = cum[:, 1:].copy()
    if steps < n:
        out[:, steps:] -= cum[:, 1 : n - steps + 1]
    return out


def _cumulative(values: np.ndarray) -> np.ndarray:
    cum = np.zeros((values.shape[0], values.shape[1] + 1))
    np.cumsum(values, axis=1, out=cum[:, 1:])
    return cum


def error_ratio(matrix: CountMatrix, window: timedelta) -> np.ndarray:
    """Event-weighted error ratio over ``window`` at every evaluation time.

    Returns:
        float64 array ``(groups, intervals)``; NaN where the window holds no events.
    """
    steps = window_steps(window, matrix.step)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _windowed(_cumulative(matrix.bad), steps) / _windowed(
            _cumulative(matrix.total), steps
        )


@dataclass
class AlertHistory:
    """When each tier of a policy was active, per group and evaluation time.

    Attributes:
        matrix: the counts evaluated.
        policy: the policy.
        objective: the SLO target (fraction).
        active: tier name -> bool array ``(groups, intervals)``.
        burn_rates: window -> float array ``(groups, intervals)``, only when asked for.
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
            rows, starts, stops = intervals_from_mask(self.active[tier.name])
            part = self.matrix.groups.iloc[rows].reset_index(drop=True)
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
    """Runs of ``True`` in each row of a 2-D bool array.

    Returns:
        ``(row, start, stop)`` int arrays: row ``row`` is ``True`` on columns ``start..stop-1``
        (``stop`` equals the column count for a run still open at the end).

    >>> intervals_from_mask(np.array([[0, 1, 1, 0, 1]], dtype=bool))
    (array([0, 0]), array([1, 4]), array([3, 5]))
    """
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, stops = np.nonzero(edges == -1)
    return rows, starts, stops


def _row_chunks(n: int) -> Iterator[slice]:
    for lo in range(0, n, _CHUNK_ROWS):
        yield slice(lo, min(lo + _CHUNK_ROWS, n))


def evaluate_alerts(
    matrix: CountMatrix,
    policy: Policy,
    objective: float,
    keep_burn_rates: bool = False,
) -> AlertHistory:
    """Evaluate every tier of ``policy`` at every interval end, for every group.

    Args:
        matrix: bad/total counts per group and interval.
        policy: the tiers to evaluate.
        objective: SLO target as a fraction (``0.999``).
        keep_burn_rates: also return the burn rate over every policy window (memory: one
            float64 array per window).

    Returns:
        An :class:`AlertHistory`.

    Raises:
        ConfigError: a window is not a whole number of the matrix's intervals.
    """
    windows = policy.windows
    steps = {w: window_steps(w, matrix.step) for w in windows}
    shape = matrix.bad.shape
    active = {t.name: np.zeros(shape, dtype=bool) for t in policy.tiers}
    burns = {w: np.empty(shape) for w in windows} if keep_burn_rates else {}
    budget = 1 - objective
    for rows in _row_chunks(shape[0]):
        cum_bad, cum_total = _cumulative(matrix.bad[rows]), _cumulative(matrix.total[rows])
        ratios = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for w in windows:
                ratios[w] = _windowed(cum_bad, steps[w])
                ratios[w] /= _windowed(cum_total, steps[w])
                if keep_burn_rates:
                    np.divide(ratios[w], budget, out=burns[w][rows])
        for tier in policy.tiers:
            threshold = tier.threshold(objective)
            np.logical_and(
                ratios[tier.long_window] > threshold,
                ratios[tier.short_window] > threshold,
                out=active[tier.name][rows],
            )
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
    first = ts_ns.min() if start is None else _utc(start).as_unit("ns").value
    uniq_head = np.unique(ts_ns[: min(len(ts_ns), 1_000_000)])
    if step is None:
        gaps = np.diff(uniq_head)
        step = (
            timedelta(microseconds=int(gaps.min()) // 1000) if len(gaps) else timedelta(minutes=1)
        )
    step_ns = int(step.total_seconds() * 1e9)
    offset = ts_ns - first
    if np.any(offset % step_ns) or np.any(offset < 0):
        raise ConfigError(
            f"traffic-frame timestamps are not on a regular {step} grid: build it with "
            "apislo.traffic(events, interval=...) so every ts is an interval start"
        )
    t_idx = offset // step_ns
    n_t = int(t_idx.max()) + 1
    if end is not None:
        n_t = -(-(_utc(end).as_unit("ns").value - first) // step_ns)
        keep = t_idx < n_t
        if not keep.all():
            frame, bad, total, t_idx = frame[keep], bad[keep], total[keep], t_idx[keep]
    g_codes, groups = _group_codes(frame, by)
    n_g = len(groups)
    flat = t_idx * n_g + g_codes
    dense = len(flat) == n_t * n_g and np.array_equal(flat, np.arange(len(flat)))
    mats = []
    for values in (bad, total):
        values = np.asarray(values, dtype=np.float64)
        if dense:
            mats.append(np.ascontiguousarray(values.reshape(n_t, n_g).T))
        else:
            grid = np.bincount(flat, weights=values, minlength=n_t * n_g)
            mats.append(np.ascontiguousarray(grid.reshape(n_t, n_g).T))
    start = pd.Timestamp(first, unit="ns", tz="UTC")
    return CountMatrix(start, step, groups, mats[0], mats[1])


def _group_codes(frame: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Dense codes ``0..G-1`` (sorted by key) per row, and the key table."""
    if not by:
        return np.zeros(len(frame), dtype=np.int64), pd.DataFrame(index=range(1))
    if len(by) == 1:
        col = frame[by[0]]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy().astype(np.int64)
            used = np.unique(codes)
            remap = np.full(len(col.cat.categories), -1, dtype=np.int64)
            remap[used] = np.arange(len(used))
            groups = pd.DataFrame({by[0]: col.cat.categories[used].astype(str)})
            return remap[codes], groups
        codes, uniques = pd.factorize(col, sort=True)
        return codes.astype(np.int64), pd.DataFrame({by[0]: np.asarray(uniques, dtype=object)})
    keyed = frame[list(by)].astype(str)
    codes = keyed.groupby(list(by), sort=True).ngroup().to_numpy().astype(np.int64)
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
            alert_name(slo, tier) for tier in policy.tiers if history.active[tier.name][:, -1].any()
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
        bad = sum(frame[f"status_{c}"].to_numpy(dtype=np.float64) for c in sorted(classes))
        status_429 = frame["status_429"].to_numpy(dtype=np.float64)
        if "4xx" in classes and not sli.count_429:
            bad = bad - status_429
        elif "4xx" not in classes and sli.count_429:
            bad = bad + status_429
        return frame, np.asarray(bad, dtype=np.float64), frame["requests"].to_numpy(np.float64), by
    if sli.kind == "latency":
        threshold = slo.threshold_s(objective)
        column = bucket_column(threshold) if threshold is not None else ""
        if column not in frame.columns:
            buckets = ", ".join(c for c in frame.columns if c.startswith("le_")) or "none"
            raise ConfigError(
                f"SLO {slo.name}: no bucket column for latency threshold {threshold} s (have "
                f"{buckets}); rebuild the traffic frame with thresholds_s including it"
            )
        total = frame["latency_count"].to_numpy(np.float64)
        return frame, total - frame[column].to_numpy(np.float64), total, by
    raise ConfigError(
        f"SLO {slo.name}: a {sli.kind} SLI cannot be evaluated from a traffic frame; evaluate it "
        "from events or Prometheus"
    )
