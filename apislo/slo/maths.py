"""Exact SLO maths over history, vectorised on a (time x group) matrix.

Definitions (OpenSLO's, applied to every interval of history at once):

* **Occurrences**: SLI = good events / all events in the window. Error budget = ``(1 - target)
  x events`` (in events); consumed = bad events / budget.
* **Timeslices**: the window is cut into slices (``timeslice_window``; for calendar windows
  aligned to the periods' start, local midnight, else to the epoch); a slice is good when its
  good ratio is ``>= timeslice_target``. **A slice with no traffic counts as good** (nothing
  failed). SLI = good slices / slices. Error budget = ``(1 - target) x`` the slices of the whole
  window (the whole calendar period for calendar windows), reported in minutes.
* **RatioTimeslices**: SLI = the mean of the slices' good ratios; slices with no traffic have no
  ratio and are left out. Budget and consumption as for Timeslices, per slice with traffic.

All three reduce to one kernel: per unit (an interval for Occurrences, a slice otherwise) a
``bad`` amount and a ``weight`` (events; 1 per slice; 1 per slice with traffic). Over any window,
``error ratio = sum(bad) / sum(weight)``, ``SLI = 1 - error ratio``, ``burn rate = error ratio /
(1 - target)`` and ``remaining = 1 - sum(bad) / ((1 - target) x budget weight)``; it may go
negative. Window sums are differences of prefix (cumulative) sums along the time axis,
computed once per matrix and shared by every window, so any window at any row costs one
subtraction, for every group at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from apislo.errors import ConfigError, SpecError
from apislo.model import as_utc, bucket_column, utc_index
from apislo.slo.policy import duration_text
from apislo.slo.spec import SLI, BudgetingMethod, ThresholdOp, TimeWindow, error_allowance
from apislo.slo.windows import period_ids, period_starts

__all__ = [
    "Counts",
    "Units",
    "WindowSums",
    "budget_units",
    "burn_rate",
    "error_allowance",
    "good_total",
    "low_traffic",
    "period_first_rows",
    "prefix_sum",
    "strict_column",
    "target_met",
    "to_counts",
    "wilson_interval",
    "window_sums",
]

#: z for a two-sided 95 % interval.
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Counts:
    """Good and total events per interval and group on a regular, gap-free time grid.

    Attributes:
        start: start of the first interval (UTC).
        step: interval length.
        groups: one row per matrix column, one column per group key (no columns: one group).
        good: good events, shape ``(intervals, groups)``, float64 (exact below 2**53).
        total: all events, same shape.
    """

    start: pd.Timestamp
    step: pd.Timedelta
    groups: pd.DataFrame
    good: np.ndarray
    total: np.ndarray

    @property
    def ends(self) -> pd.DatetimeIndex:
        """End of each interval (UTC): the instant a row's window sums refer to."""
        return pd.date_range(self.start + self.step, periods=len(self.good), freq=self.step)

    @cached_property
    def prefix_good(self) -> np.ndarray:
        """:func:`prefix_sum` of ``good`` (computed once)."""
        return prefix_sum(self.good)

    @cached_property
    def prefix_total(self) -> np.ndarray:
        """:func:`prefix_sum` of ``total`` (computed once)."""
        return prefix_sum(self.total)


@dataclass(frozen=True)
class Units:
    """Budget units of one budgeting method (intervals for Occurrences, slices otherwise).

    Attributes:
        counts: the events at unit resolution (good and total per unit).
        method: the budgeting method.
        bad: bad amount per unit: bad events, 1 per bad slice, or ``1 - ratio`` per slice.
        weight: weight per unit: events, 1 per slice, or 1 per slice with traffic.
    """

    counts: Counts
    method: BudgetingMethod
    bad: np.ndarray
    weight: np.ndarray

    @property
    def step(self) -> pd.Timedelta:
        """Length of one unit."""
        return self.counts.step

    @cached_property
    def prefix_bad(self) -> np.ndarray:
        """:func:`prefix_sum` of ``bad`` (computed once, shared by every window)."""
        return prefix_sum(self.bad)

    @cached_property
    def prefix_weight(self) -> np.ndarray:
        """:func:`prefix_sum` of ``weight`` (computed once)."""
        if self.method == "Occurrences":
            return self.counts.prefix_total
        return prefix_sum(self.weight)


@dataclass(frozen=True)
class WindowSums:
    """Sums over the SLO window ending at each row.

    Attributes:
        bad: sum of ``bad``.
        weight: sum of ``weight`` (the SLI's denominator).
        budget_weight: the weight the error budget is a fraction of (for Timeslices, every
            slice of the full window or calendar period; otherwise ``weight``).
        good_events: good events in the window.
        total_events: all events in the window.
    """

    bad: np.ndarray
    weight: np.ndarray
    budget_weight: np.ndarray
    good_events: np.ndarray
    total_events: np.ndarray

    def sli(self) -> np.ndarray:
        """``1 - bad / weight``; NaN where the window holds nothing."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1.0 - self.bad / self.weight

    def remaining(self, target: float) -> np.ndarray:
        """Fraction of the error budget left, ``1 - bad / ((1 - target) x budget weight)``.

        1 where the window holds nothing; may be negative (budget overspent).
        """
        budget = error_allowance(target) * self.budget_weight
        with np.errstate(invalid="ignore", divide="ignore"):
            out = 1.0 - self.bad / budget
        return np.where(budget > 0, out, np.where(self.bad > 0, -np.inf, 1.0))


def target_met(bad: np.ndarray | float, weight: np.ndarray | float, target: float) -> np.ndarray:
    """Whether the SLI ``1 - bad / weight`` is at or above ``target``: ``bad <= (1 - target) x
    weight``, compared on the sums (a relative 1e-12 absorbs their float rounding), not on the
    SLI, whose division may land a hair below a target it meets exactly.

    >>> target_met(np.array([1.0, 2.0]), 1000.0, 0.999).tolist()
    [True, False]
    """
    allowed = error_allowance(target) * np.asarray(weight, dtype=np.float64)
    return np.asarray(bad, dtype=np.float64) <= allowed * (1 + 1e-12)


def _status_bad(frame: pd.DataFrame, sli: SLI) -> np.ndarray:
    bad = np.zeros(len(frame), dtype=np.float64)
    for cls in sli.bad_status:
        bad += _column(frame, f"status_{cls}")
    if sli.count_429 != ("4xx" in sli.bad_status):
        sign = 1.0 if sli.count_429 else -1.0
        bad += sign * _column(frame, "status_429")
    return bad


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        raise ConfigError(
            f"the traffic frame has no column {name!r} (columns: {', '.join(map(str, frame))}); "
            "build it with apislo.traffic(...) or a Prometheus profile that provides it"
        )
    return frame[name].to_numpy(dtype=np.float64, na_value=0.0)


def _bucket(frame: pd.DataFrame, threshold_s: float) -> np.ndarray:
    name = bucket_column(threshold_s)
    if name in frame.columns:
        return _column(frame, name)
    buckets = [c[3:] for c in frame.columns if str(c).startswith("le_")]
    raise SpecError(
        "<source>",
        "sli.threshold_s",
        f"no latency bucket at {threshold_s:g} s in this data (buckets: "
        f"{', '.join(buckets) or 'none'}). From logs, pass thresholds_s=({threshold_s:g},) to "
        "apislo.traffic; from Prometheus the threshold must equal a histogram bucket",
        ", ".join(buckets) or "a histogram bucket boundary",
    )


def strict_column(threshold_s: float) -> str:
    """Name of the column counting requests strictly faster than ``threshold_s`` seconds (for
    ``threshold_op`` ``lt``), beside the cumulative ``le_<s>`` buckets.

    >>> strict_column(0.3)
    'lt_0.3'
    """
    return "lt_" + bucket_column(threshold_s)[3:]


def _strict(frame: pd.DataFrame, name: str, threshold_s: float) -> np.ndarray:
    if name in frame.columns:
        return _column(frame, name)
    raise SpecError(
        "<source>",
        "objectives[].op",
        f"lt counts requests strictly faster than {threshold_s:g} s, and this data has no "
        f"{name!r} column: histogram buckets (le_<s>, Prometheus's le) count requests at most "
        "their bound, so they cannot tell a request at exactly the threshold",
        "op: lte with a histogram bucket, or events (logs), from which it is exact",
    )


def good_total(
    frame: pd.DataFrame,
    sli: SLI,
    threshold_s: float | None = None,
    threshold_op: ThresholdOp = "lte",
) -> tuple[np.ndarray, np.ndarray]:
    """Good and total events for each row of a traffic frame.

    * availability: total = ``requests``, bad = the ``bad_status`` classes (429 per
      ``count_429``); requests with no status (client left) count as good.
    * latency: total = ``latency_count``, good = ``le_<threshold_s>`` (``lt_<threshold_s>``,
      requests strictly faster, when ``threshold_op`` is ``lt``).
    * availability_and_latency: total = ``requests``, good = ``good_le_<threshold_s>`` (requests
      neither bad nor slow, exact, added by :mod:`apislo.slo.source` from events; for ``lt``,
      ``good_lt_<threshold_s>``). Without that column, the lower bound ``max(le - bad, 0)`` is
      used (it assumes every bad request fast; for ``lt`` there is none).
    * ratio: the frame's ``good`` (or ``bad``) and ``total`` columns.

    Args:
        frame: a traffic frame (:mod:`apislo.model`).
        sli: the SLI.
        threshold_s: latency threshold in seconds for latency kinds.
        threshold_op: ``lte`` (good when ``latency_s <= threshold_s``) or ``lt`` (strictly
            below), the objective's :attr:`~apislo.slo.spec.Objective.threshold_op`.

    Returns:
        ``(good, total)`` float64 arrays aligned with ``frame``'s rows.

    Raises:
        SpecError: the latency threshold is not a bucket of the frame (names the buckets), or
            ``lt`` on a frame without the ``lt_<s>`` column (a histogram cannot give it).
        ConfigError: a needed column is missing.
    """
    if sli.kind == "ratio":
        total = _column(frame, "total")
        if "good" in frame.columns:
            return _column(frame, "good"), total
        return total - _column(frame, "bad"), total
    if sli.uses_latency and threshold_s is None:
        raise SpecError("<spec>", "sli.threshold_s", "a latency SLI needs a threshold", "seconds")
    if sli.kind == "availability":
        total = _column(frame, "requests")
        return total - _status_bad(frame, sli), total
    strict = threshold_op == "lt"
    if sli.kind == "latency":
        if strict:
            fast = _strict(frame, strict_column(threshold_s), threshold_s)
            return fast, _column(frame, "latency_count")
        return _bucket(frame, threshold_s), _column(frame, "latency_count")
    total = _column(frame, "requests")
    if strict:
        return _strict(frame, "good_" + strict_column(threshold_s), threshold_s), total
    exact = "good_" + bucket_column(threshold_s)
    if exact in frame.columns:
        return _column(frame, exact), total
    return np.maximum(_bucket(frame, threshold_s) - _status_bad(frame, sli), 0.0), total


def _codes(frame: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Dense group code per row and the groups table (one row per code)."""
    if not by:
        return np.zeros(len(frame), dtype=np.int64), pd.DataFrame(index=range(1))
    missing = [k for k in by if k not in frame.columns]
    if missing:
        raise ConfigError(
            f"cannot group by {missing}: the traffic frame has no such column; compute it with "
            f"apislo.traffic(events, by=({', '.join(repr(k) for k in ('api', *missing))},))"
        )
    if len(by) == 1:
        column = frame[by[0]]
        if isinstance(column.dtype, pd.CategoricalDtype) and not column.isna().any():
            codes = column.cat.codes.to_numpy().astype(np.int64)
            used = np.flatnonzero(np.bincount(codes, minlength=len(column.cat.categories)))
            if len(used) < len(column.cat.categories):
                codes = np.searchsorted(used, codes)
            uniques = np.asarray(column.cat.categories, dtype=object)[used]
            return codes, pd.DataFrame({by[0]: uniques})
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        return codes.astype(np.int64), pd.DataFrame({by[0]: np.asarray(uniques, dtype=object)})
    codes = np.zeros(len(frame), dtype=np.int64)
    levels = []
    for key in by:
        key_codes, uniques = pd.factorize(frame[key], use_na_sentinel=False)
        codes = codes * len(uniques) + key_codes
        levels.append(uniques)
    dense, combined = pd.factorize(codes)
    groups = {}
    rest = combined.copy()
    for key, uniques in zip(reversed(by), reversed(levels), strict=True):
        groups[key] = np.asarray(uniques, dtype=object)[rest % len(uniques)]
        rest //= len(uniques)
    return dense, pd.DataFrame({k: groups[k] for k in by})


def to_counts(
    frame: pd.DataFrame,
    good: np.ndarray,
    total: np.ndarray,
    by: Sequence[str] = (),
    step: pd.Timedelta | str | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> Counts:
    """Scatter per-row good/total counts onto a gap-free (interval x group) grid.

    Args:
        frame: a traffic frame (only ``ts`` and the ``by`` columns are read).
        good: good events per row (:func:`good_total`).
        total: all events per row.
        by: group-key columns; empty for one group.
        step: interval length; default the smallest gap between distinct ``ts``.
        start: first interval start of the grid (floored to ``step``); default the first ``ts``.
        end: the grid ends at the last interval starting before ``end``; default the last ``ts``.

    Returns:
        :class:`Counts`; intervals without rows hold zeros.

    Raises:
        ConfigError: ``ts`` is not on a regular grid of ``step``.
    """
    ns = utc_index(frame["ts"]).as_unit("ns").asi8
    if step is None:
        uniq = np.sort(pd.unique(ns))
        step = pd.Timedelta(int(np.diff(uniq).min()) if len(uniq) > 1 else 60_000_000_000)
    step = pd.Timedelta(step)
    step_ns = step.value
    lo = _utc_ns(start) if start is not None else int(ns.min())
    lo -= lo % step_ns
    hi = _utc_ns(end) if end is not None else int(ns.max()) + step_ns
    n_rows = max(-(-(hi - lo) // step_ns), 0)
    codes, groups = _codes(frame, by)
    good, total = np.asarray(good, dtype=np.float64), np.asarray(total, dtype=np.float64)
    layout = _dense_layout(ns, codes, lo, step_ns, n_rows, len(groups))
    if layout == "time-major":
        good_m, total_m = good.reshape(n_rows, -1), total.reshape(n_rows, -1)
    elif layout == "group-major":
        good_m, total_m = good.reshape(-1, n_rows).T, total.reshape(-1, n_rows).T
    else:
        rows = _grid_rows(ns - lo, step_ns)
        if rows is None:
            raise ConfigError(
                f"traffic-frame timestamps are not on a {step} grid; recompute the frame with "
                f"interval='{step}' or pass step= matching its interval"
            )
        keep = (rows >= 0) & (rows < n_rows)
        if not keep.all():
            rows, codes, good, total = rows[keep], codes[keep], good[keep], total[keep]
        good_m, total_m = _scatter(rows, codes, good, total, n_rows, len(groups))
    return Counts(pd.Timestamp(lo, unit="ns", tz="UTC"), step, groups, good_m, total_m)


def _grid_rows(offset_ns: np.ndarray, step_ns: int) -> np.ndarray | None:
    """``offset_ns // step_ns``, or ``None`` when any offset is not a whole number of steps.

    Integer division is slow in NumPy; a float multiply, a rounding and an exact integer check
    give the same answer several times faster.
    """
    rows = np.rint(offset_ns * (1.0 / step_ns)).astype(np.int64)
    if not np.array_equal(rows * step_ns, offset_ns):
        return None
    return rows


def _dense_layout(
    ns: np.ndarray, codes: np.ndarray, lo: int, step_ns: int, n_rows: int, n_groups: int
) -> str | None:
    """``"time-major"`` or ``"group-major"`` when the frame is exactly the full grid, sorted by
    time then group or by group then time (as :func:`apislo.traffic` writes it), so it can be
    reshaped without a copy; else ``None``.

    The checks compare against one column or row of the grid, keeping temporaries to booleans:
    a month of minutes for 1,000 APIs is 43 M rows, and fresh 8-byte temporaries of that size
    cost more in page faults than the arithmetic.
    """
    if n_groups == 0 or len(ns) != n_rows * n_groups or len(ns) == 0:
        return None
    grid = lo + np.arange(n_rows, dtype=np.int64) * step_ns
    group_ids = np.arange(n_groups, dtype=np.int64)
    by_time = ns.reshape(n_rows, n_groups)
    if (
        np.array_equal(by_time[:, 0], grid)
        and (by_time == grid[:, None]).all()
        and (codes.reshape(n_rows, n_groups) == group_ids[None, :]).all()
    ):
        return "time-major"
    by_group = ns.reshape(n_groups, n_rows)
    if (
        np.array_equal(by_group[0], grid)
        and (by_group == grid[None, :]).all()
        and (codes.reshape(n_groups, n_rows) == group_ids[:, None]).all()
    ):
        return "group-major"
    return None


def _scatter(
    rows: np.ndarray,
    codes: np.ndarray,
    good: np.ndarray,
    total: np.ndarray,
    n_rows: int,
    n_groups: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The (interval x group) matrices of ``good`` and ``total``, summed with ``bincount``
    (duplicate rows add up)."""
    shape = (n_rows, n_groups)
    flat = rows * n_groups + codes
    size = n_rows * n_groups
    good_m = np.bincount(flat, weights=good, minlength=size).reshape(shape)
    total_m = np.bincount(flat, weights=total, minlength=size).reshape(shape)
    return good_m, total_m


def _utc_ns(value: pd.Timestamp | str) -> int:
    return int(as_utc(value).as_unit("ns").value)


def _resample(
    counts: Counts, slice_window: timedelta, anchor: pd.Timestamp | None = None
) -> Counts:
    """Sum ``counts`` into slices of ``slice_window`` (a multiple of the step), aligned to
    ``anchor`` (a slice starts there; default the epoch, 1970-01-01T00:00Z)."""
    step_ns, slice_ns = counts.step.value, pd.Timedelta(slice_window).value
    if slice_ns % step_ns:
        raise ConfigError(
            f"timeslice window {duration_text(slice_window)} is not a multiple of the data "
            f"interval {duration_text(counts.step)}; use a finer interval or a longer slice"
        )
    k = slice_ns // step_ns
    if k == 1:
        return counts
    anchor_ns = 0 if anchor is None else _utc_ns(anchor)
    lead = ((counts.start.value - anchor_ns) % slice_ns) // step_ns
    n = len(counts.good)
    n_slices = -(-(lead + n) // k)
    pad_after = n_slices * k - lead - n

    def fold(m: np.ndarray) -> np.ndarray:
        padded = np.pad(m, ((lead, pad_after), (0, 0)))
        return padded.reshape(n_slices, k, m.shape[1]).sum(axis=1)

    start = pd.Timestamp(counts.start.value - lead * step_ns, unit="ns", tz="UTC")
    return Counts(
        start, pd.Timedelta(slice_ns), counts.groups, fold(counts.good), fold(counts.total)
    )


def budget_units(
    counts: Counts,
    method: BudgetingMethod,
    timeslice_target: float | None = None,
    timeslice_window: timedelta | None = None,
    anchor: pd.Timestamp | None = None,
) -> Units:
    """The ``bad`` and ``weight`` per unit for a budgeting method (see the module docstring).

    Args:
        counts: events per interval.
        method: ``Occurrences``, ``Timeslices`` or ``RatioTimeslices``.
        timeslice_target: good-ratio a slice needs to be good (Timeslices).
        timeslice_window: slice length (Timeslices, RatioTimeslices); default the interval.
        anchor: an instant where a slice starts (a calendar period's start, so that no slice
            straddles local midnight); default the epoch.

    Returns:
        :class:`Units` at interval (Occurrences) or slice resolution.
    """
    if method == "Occurrences":
        return Units(counts, method, counts.total - counts.good, counts.total)
    sliced = _resample(counts, timeslice_window or counts.step, anchor)
    has_traffic = sliced.total > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(has_traffic, sliced.good / sliced.total, 1.0)
    if method == "Timeslices":
        if timeslice_target is None:
            raise SpecError("<spec>", "objectives[].timeslice_target", "missing", "0 < x <= 1")
        bad = (ratio < timeslice_target).astype(np.float64)
        return Units(sliced, method, bad, np.ones_like(bad))
    if method == "RatioTimeslices":
        return Units(sliced, method, 1.0 - ratio, has_traffic.astype(np.float64))
    raise SpecError("<spec>", "budgeting_method", f"{method!r} is unknown", "Occurrences, ...")


def prefix_sum(x: np.ndarray) -> np.ndarray:
    """Cumulative sums down the rows with a leading zero row: ``P[i] = x[:i].sum(axis=0)``.

    The sum over rows ``a..b`` (inclusive) is then ``P[b + 1] - P[a]``.

    >>> prefix_sum(np.array([[1.0], [2.0], [3.0]])).ravel().tolist()
    [0.0, 1.0, 3.0, 6.0]
    """
    out = np.empty((x.shape[0] + 1, *x.shape[1:]), dtype=np.float64)
    out[0] = 0.0
    np.cumsum(x, axis=0, out=out[1:])
    return out


def period_first_rows(ids: np.ndarray) -> np.ndarray:
    """For each row, the first row of its period (``ids`` non-decreasing).

    >>> period_first_rows(np.array([5, 5, 6, 6, 6])).tolist()
    [0, 0, 2, 2, 2]
    """
    return np.searchsorted(ids, ids, side="left")


def _units_in(delta: timedelta | pd.Timedelta, step: pd.Timedelta, what: str) -> int:
    n, rest = divmod(pd.Timedelta(delta).value, step.value)
    if rest or n < 1:
        raise ConfigError(
            f"{what} {duration_text(delta)} is not a whole number of {duration_text(step)} "
            "units (the data interval, or the timeslice window); choose a multiple of it"
        )
    return int(n)


#: Up to this many evaluation rows, window sums add the rows directly: one evaluation instant
#: costs one pass over its window instead of prefix sums over the whole history.
_DIRECT_ROWS = 8


def _window_total(
    matrix: np.ndarray, prefix: Callable[[], np.ndarray], rows: np.ndarray, first: np.ndarray
) -> np.ndarray:
    """Sums of ``matrix`` over rows ``first[i]..rows[i]`` for each ``i``."""
    if len(rows) <= _DIRECT_ROWS:
        sums = [matrix[f : r + 1].sum(axis=0) for f, r in zip(first, rows, strict=True)]
        return np.stack(sums) if sums else np.empty((0, matrix.shape[1]))
    totals = prefix()
    return totals[rows + 1] - totals[first]


def _rows(units: Units, rows: np.ndarray | None) -> np.ndarray:
    return np.arange(len(units.bad)) if rows is None else np.asarray(rows, dtype=np.int64)


def window_sums(units: Units, window: TimeWindow, rows: np.ndarray | None = None) -> WindowSums:
    """Sums over the SLO window (rolling, or calendar period to date) ending at ``rows``.

    Args:
        units: budget units.
        window: the SLO window.
        rows: row indices to evaluate at (default every row); each row's sums cover the
            window ending at that row's end.

    Returns:
        :class:`WindowSums`, one row per entry of ``rows``.
    """
    rows = _rows(units, rows)
    counts = units.counts
    if window.is_rolling:
        n = _units_in(window.period, units.step, "SLO window")
        first = np.maximum(rows + 1 - n, 0)
        full = np.full((len(rows), 1), float(n))
    else:
        ids = period_ids(counts.ends - counts.step, window)
        first = period_first_rows(ids)[rows]
        uniq, inverse = np.unique(ids[rows], return_inverse=True)
        bounds = period_starts(np.append(uniq, uniq[-1] + 1) if len(uniq) else uniq, window)
        lengths = np.diff(bounds.as_unit("ns").asi8) // units.step.value if len(uniq) else []
        full = np.asarray(lengths, dtype=np.float64)[inverse][:, None]

    weight = _window_total(units.weight, lambda: units.prefix_weight, rows, first)
    budget = np.broadcast_to(full, weight.shape) if units.method == "Timeslices" else weight
    return WindowSums(
        bad=_window_total(units.bad, lambda: units.prefix_bad, rows, first),
        weight=weight,
        budget_weight=budget,
        good_events=_window_total(counts.good, lambda: counts.prefix_good, rows, first),
        total_events=_window_total(counts.total, lambda: counts.prefix_total, rows, first),
    )


def burn_rate(
    units: Units, window: timedelta, target: float, rows: np.ndarray | None = None
) -> np.ndarray:
    """Burn rate over the rolling ``window`` ending at ``rows`` (default every row):
    error ratio / (1 - target).

    The error ratio is ``sum(bad) / sum(weight)`` over the window: event-weighted for
    Occurrences (not an average of shorter ratios). NaN where the window holds no traffic.
    """
    n = _units_in(window, units.step, "burn-rate window")
    rows = _rows(units, rows)
    first = np.maximum(rows + 1 - n, 0)
    bad = _window_total(units.bad, lambda: units.prefix_bad, rows, first)
    weight = _window_total(units.weight, lambda: units.prefix_weight, rows, first)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (bad / weight) / error_allowance(target)


def wilson_interval(
    good: np.ndarray | float, total: np.ndarray | float, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a good ratio (default 95 %); NaN where ``total`` is 0.

    >>> lo, hi = wilson_interval(9.0, 10.0)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.5958, 0.9821)
    """
    good, total = np.asarray(good, dtype=np.float64), np.asarray(total, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = good / total
        z2n = z * z / total
        centre = (p + z2n / 2) / (1 + z2n)
        half = z / (1 + z2n) * np.sqrt(p * (1 - p) / total + z2n / (4 * total))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def low_traffic(
    total_events: np.ndarray, window: timedelta, target: float, page_burn: float = 14.4
) -> np.ndarray:
    """Whether an SLI rests on too few events to be trusted.

    True when one bad event in an average hour of the window would on its own burn faster than
    ``page_burn`` (the Workbook's 1-hour page threshold): fewer than ``1 / (page_burn x (1 -
    target))`` events per hour (69.4 for 99.9 %; the Workbook's 10 requests an hour turn one
    failure into a 100x burn). Also true when the whole window holds fewer events than one
    budget event needs, ``1 / (1 - target)``.
    """
    hours = pd.Timedelta(window) / pd.Timedelta(hours=1)
    per_hour = np.asarray(total_events, dtype=np.float64) / hours
    allowance = error_allowance(target)
    return (per_hour < 1.0 / (page_burn * allowance)) | (total_events < 1.0 / allowance)
