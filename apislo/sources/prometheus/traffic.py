"""Traffic frames from a gateway's metrics, via a :class:`~.profiles.Profile`.

For interval length ``I``, each row ``ts`` holds ``increase(metric[I])`` evaluated at ``ts + I``
and summed by the group labels: requests by status class, histogram buckets, ``_count`` and
``_sum``. Counter resets, scrape gaps and staleness are handled by PromQL's ``increase``; the
README ("How exact is a traffic frame from Prometheus?") says when this equals the log counts.

The window ``[start, end)`` is counted as the log side counts it: when ``start`` or ``end`` is not
a multiple of ``I``, the first or last row (still at its interval's start) holds only the part of
its interval inside the window, ``increase(metric[part])`` evaluated at the part's end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from apislo.aggregate import group_keys, refuse_repeats
from apislo.errors import ConfigError
from apislo.model import (
    LONGER_STEP,
    STATUS_COLUMNS,
    arrow_to_pandas,
    bucket_column,
    check_frame_rows,
    traffic_columns,
)
from apislo.sources.prometheus.frames import TS_TYPE, empty_table, table_to_frame
from apislo.sources.prometheus.profiles import Profile, load_profile
from apislo.sources.prometheus.promql import format_duration, selector
from apislo.sources.prometheus.times import (
    TimeLike,
    align_down,
    align_up,
    parse_step,
    parse_time,
)

if TYPE_CHECKING:
    from apislo.sources.prometheus.client import Prometheus

__all__ = ["pull_traffic", "traffic_queries"]

#: A step is refused when more than this share of the intervals of a series of the request
#: counter hold one sample (:func:`_check_two_samples`), even at twice the scrape interval or
#: more: there, each missed scrape leaves one such interval, and a scraper missing one in eight
#: is still let through.
_MAX_LONE_SHARE = 0.25
#: Under twice the scrape interval by more than this fraction, a step is refused as soon as one
#: interval holds one sample. The scrape interval is the lower quartile of a series' gaps
#: between samples (:data:`_TYPICAL_SHARE`). The 1% is for scrapers whose interval runs
#: slightly long (a 2m step is let through on gaps of 60 s up to 60.6 s); between 1.98 and two
#: scrape intervals, at most 2% of the intervals hold one sample.
_STEP_TOLERANCE = 0.01
#: A series' scrape interval is the lower quartile of its gaps between samples: a step fits it
#: when at least this share of its gaps fit twice in the step (:func:`_fits`). Missed scrapes
#: lengthen a few gaps, jitter shortens about half of them by milliseconds, and a phase shift
#: (a restart, a scraper moved) shortens one. Until 2026-11-30 it was the shortest gap, which
#: that one made up: on 60 s scrapes shifted once by 30 s, a 110s step was let through, 2,970
#: of 3,600 requests counted. Likewise a series holds two samples in its intervals when at
#: least this share of those holding samples hold two (:func:`_check_counted`).
_TYPICAL_SHARE = 0.25
#: :func:`_check_two_samples` looks at the last this many intervals at most (two hours at 1 m):
#: its query's cost grows with them (1,440 added about 1 s to a 6-day pull of 51,840 rows that
#: took 2 s), and a share of a quarter shows well enough in 120.
_CHECKED_INTERVALS = 120
#: ... and counts a series' share over this many intervals at least, so that a series seen in
#: a few intervals, one of them after a missed scrape, is no reason to refuse.
_LEAST_CHECKED = 12
#: :func:`_counting` reads the window in this many pieces, one at a time, so that the samples a
#: query holds at once are a series' samples of one piece (and this many values per series),
#: not of the whole window: Prometheus refuses a query holding more than its
#: ``--query.max-samples`` (50,000,000 by default), and until 2026-11-30 a check failed so
#: where the traffic frame, pulled in chunks, did not.
_PIECES = 100


def traffic_queries(
    profile: Profile,
    labels: Sequence[str],
    step_s: int,
    where: dict[str, str],
    window: str | None = None,
) -> dict[str, str]:
    """The PromQL behind a traffic frame: name -> query (``requests``, ``buckets``, ``count``,
    ``sum``; the last three only when the profile has a histogram).

    ``where`` keys are named like ``by`` keys: ``api`` is the profile's API label (``service``
    for Kong), other names map through the profile's ``labels`` or are labels themselves.
    ``window`` is the range of ``increase`` (default: the interval, ``step_s``), shorter for a
    partial interval at an edge of the window.
    """
    window = window or format_duration(step_s)
    match = _selection(profile, where)
    keys = ", ".join(labels)

    def inc(metric: str, extra: str = "") -> str:
        by = ", ".join(x for x in (keys, extra) if x)
        return f"sum by ({by}) (increase({selector(metric, match)}[{window}]))"

    queries = {"requests": inc(profile.requests, profile.status_label)}
    if profile.latency:
        queries["buckets"] = inc(profile.latency + "_bucket", "le")
        queries["count"] = inc(profile.latency + "_count")
        queries["sum"] = inc(profile.latency + "_sum")
    return queries


def _selection(profile: Profile, where: dict[str, str]) -> dict[str, str]:
    """The equality matchers of every selector: the profile's own and ``where``'s (keys named
    like ``by`` keys)."""
    return {**profile.matchers, **{profile.label_for(k): v for k, v in where.items()}}


def _check_sampled(
    prom: Prometheus,
    profile: Profile,
    where: dict[str, str],
    t0: pd.Timestamp,
    t1: pd.Timestamp,
    step_s: int,
) -> None:
    """Refuse a step too short for the request counter's scrape interval, called when the
    traffic frame came out empty: ``increase`` needs two samples inside an interval, so with a
    step at or under the scrape interval (1 m intervals, 60 s scrapes off the minute) every
    interval is empty and the frame would silently count no request at all.

    Raises:
        ConfigError: the counter has three samples or more in ``[t0, t1]`` (at a step of two
            scrape intervals or more, two of any three samples share an interval; two samples
            alone may be a series born on either side of an interval's start).
    """
    counter = selector(profile.requests, _selection(profile, where))
    found = prom.query(f"max(count_over_time({counter}[{_range(t1 - t0)}]))", at=t1)
    samples = int(found["value"].max()) if len(found) else 0
    if samples >= 3:
        raise ConfigError(
            f"{profile.requests} has {samples} samples in the window but no "
            f"{format_duration(step_s)} interval holds two, so increase() counts nothing in "
            "any: the step is not longer than the scrape interval; use a step of at least "
            "twice the scrape interval (2m for 60 s scrapes)"
        )


def _check_two_samples(
    prom: Prometheus,
    profile: Profile,
    where: dict[str, str],
    whole: pd.Timestamp,
    t1: pd.Timestamp,
    step_s: int,
) -> None:
    """Refuse a step shorter than twice the request counter's scrape interval, called when the
    traffic frame is not empty: between one and two scrape intervals, some intervals hold one
    sample (a share of ``2 - step / scrape interval`` of them, when scrapes do not fall on their
    edges), ``increase`` counts nothing in those, and the frame silently misses their requests
    (at 1.5 scrape intervals, half of them; at 1.9, a tenth).

    Each series' share is counted over the whole intervals of the window (their ends from
    ``whole`` on) but the last, at most the last :data:`_CHECKED_INTERVALS`, and only over
    those whose intervals before and after hold samples too: a series born, ended or in a
    scrape gap there is fine. The series with the largest share decides, and when it is not 0,
    whether the scrape interval of the series with such intervals fits the step
    (:func:`_fitting_share`; worked out, :func:`_scrape_interval`, only to refuse). A series
    whose value does not change in the window (idle, :func:`_counting`) loses no request and
    is left out: until 2026-11-29 one scraped every 60 s beside busy ones scraped every 15 s
    refused a 110s step. The scrape interval is the lower quartile of a series' gaps
    (:data:`_TYPICAL_SHARE`), so that one gap shortened (a phase shift) does not let through a
    step that is short for all the others.

    Raises:
        ConfigError: some intervals hold one sample, and the step is under twice the scrape
            interval by more than :data:`_STEP_TOLERANCE`, or more than :data:`_MAX_LONE_SHARE`
            of a series' intervals hold one (missed scrapes); the message names the step to
            use: twice the scrape interval (in the second case, estimated from the share, on
            the high side by one interval of those checked).
    """
    last, span = _checked_span(whole, t1, step_s)
    if span <= pd.Timedelta(0):
        return
    width = pd.Timedelta(seconds=step_s)
    step = format_duration(step_s)
    counter = selector(profile.requests, _selection(profile, where))

    def samples(offset: int) -> str:
        """Samples per series in the interval ending ``offset`` intervals before the time."""
        shift = f" offset {format_duration(offset * step_s)}" if offset else ""
        return f"count_over_time({counter}[{step}]{shift})"

    # per series and time: 1 if the interval ending a step earlier holds one sample and those
    # on either side of it hold some, 0 if it holds two or more
    lone = f"(({samples(1)} < bool 2) and {samples(2)} and {samples(0)})[{_range(span)}:{step}]"
    share = f"sum_over_time({lone}) / clamp_min(count_over_time({lone}), {_LEAST_CHECKED})"

    # (the gaps over the samples of the intervals checked: back to the start of the one before
    # the first)
    gaps = span + 3 * width

    def worst_share(only: str) -> float:
        """The largest share among the series ``only`` keeps (`` and`` a condition; ``""``:
        all)."""
        found = prom.query(f"max({share}{only})", at=last)
        return float(found["value"].iloc[0]) if len(found) else 0.0

    def misfits(only: str) -> str:
        """PromQL: the series ``only`` keeps that have intervals holding one sample and a
        scrape interval that does not fit twice in the step (:func:`_fitting_share`)."""
        return f"(sum_over_time({lone}) > 0){only} and {_fitting_share(counter, gaps, step_s, '<')}"

    worst = worst_share("")
    if worst <= 0:
        return
    if worst <= _MAX_LONE_SHARE and not len(prom.query(f"count({misfits('')})", at=last)):
        return  # (missed scrapes at a step that fits, the everyday case: one pass over the gaps)
    # (idle series left out only now, as that reads the whole window, and the scrape interval
    # to name worked out only now, as that reads the gaps three times: until 2026-11-30 it was
    # as soon as an interval held one sample, which tripled the checks' time on a missed scrape)
    counting = f" and {_counting(counter, whole, last, step_s)}"
    worst = worst_share(counting)
    if worst <= 0:
        return
    gap_s = _scrape_interval(prom, counter, misfits(counting), last, gaps, step_s)
    if gap_s is not None:
        scrape_s = math.ceil(gap_s)
    elif worst > _MAX_LONE_SHARE:
        # share = 2 - step / scrape interval, give or take one interval of those checked
        scrape_s = round(step_s / (2 - min(worst + width / (span + width), 1.0)))
    else:
        return
    raise ConfigError(
        f"{worst:.0%} of the {step} intervals hold one sample of {profile.requests} (where "
        "increase() needs two, so they count no request): the step is shorter than twice "
        f"the scrape interval (about {scrape_s} s); use a step of at least "
        f"{format_duration(2 * scrape_s)}"
    )


def _checked_span(
    whole: pd.Timestamp, t1: pd.Timestamp, step_s: int
) -> tuple[pd.Timestamp, pd.Timedelta]:
    """``(last, span)`` of the step checks: ``last`` the end of the window's last whole
    interval, the checks evaluated at the ends of the intervals in the ``span`` before it,
    those after the first whole one (ending at ``whole``), at most the last
    :data:`_CHECKED_INTERVALS` (the span is not positive when there are none)."""
    last = align_down(t1, step_s)
    width = pd.Timedelta(seconds=step_s)
    return last, min(last - whole, width * _CHECKED_INTERVALS) - width


def _check_counted(
    prom: Prometheus,
    profile: Profile,
    where: dict[str, str],
    whole: pd.Timestamp,
    t1: pd.Timestamp,
    step_s: int,
) -> None:
    """Refuse a step at which a series of the request counter holds three samples or more in
    the intervals checked (:func:`_checked_span`) but at most one in each, or in all but a few
    (two in fewer than :data:`_TYPICAL_SHARE` of those holding samples): ``increase`` counts
    none of its requests, or only those of the few. Called when the traffic frame is not
    empty: series scraped more often (by another job, in another cluster) fill it, and the
    intervals of such a series that hold a sample lie between empty ones, which
    :func:`_check_two_samples` does not count. Until 2026-11-29 such a series was left out of
    the frame without a word (at a 30 s step, one scraped every 60 s beside one scraped every
    15 s); until 2026-11-30 one interval holding two samples let it through (that series
    shifting its scrapes once by 20 s, 30 of its 3,600 requests in the hour counted).

    Let through, as they lose no request or no more than missed scrapes do at any step
    (both were refused until 2026-11-29): a series whose value does not change in the window
    (:func:`_counting`: an idle cluster scraped every 60 s beside a busy one scraped every
    15 s, at a 30 s step), and one whose scrape interval fits twice in the step (:func:`_fits`,
    within :data:`_STEP_TOLERANCE`), as :func:`_check_two_samples` lets missed scrapes through
    (a pod's series of samples at 0, 120 and 180 s, at a 2m step over 60 s scrapes, was told to
    "use a step of at least 2m", the step given).

    Raises:
        ConfigError: naming the step to use: twice the scrape interval of such series
            (:func:`_scrape_interval`; past 5 minutes, the span over their samples).
    """
    last, span = _checked_span(whole, t1, step_s)
    if span <= pd.Timedelta(0):
        return
    step = format_duration(step_s)
    counter = selector(profile.requests, _selection(profile, where))
    seen = f"count_over_time({counter}[{_range(span)}])"
    held = f"count_over_time({counter}[{step}])"  # per interval, where it holds samples

    def intervals(only: str) -> str:
        """Per series, the intervals checked that hold samples (``only``: that many,
        ``" >= 2"``)."""
        return f"count_over_time(({held}{only})[{_range(span)}:{step}])"

    doubled = f"{intervals(' >= 2')} >= {_TYPICAL_SHARE!r} * {intervals('')}"
    blind = f"({seen} >= 3) unless ({doubled})"
    spacing = f"{span.total_seconds():g} / ({seen} - 1)"
    if not len(prom.query(f"max({spacing} and {blind})", at=last)):
        return
    # (left out only now, as finding them costs more: those whose scrape interval fits twice
    # in the step, and the idle)
    blind += f" unless {_fits(counter, span, step_s)} and {_counting(counter, whole, last, step_s)}"
    found = prom.query(f"max({spacing} and {blind})", at=last)
    if not len(found):
        return
    gap_s = _scrape_interval(prom, counter, blind, last, span, step_s)
    scrape_s = math.ceil(gap_s if gap_s is not None else float(found["value"].iloc[0]))
    raise ConfigError(
        f"some series of {profile.requests} hold at most one sample in each {step} interval "
        "(where increase() needs two, so none of their requests is counted, while other "
        f"series fill the frame): their samples are about {scrape_s} s apart; use a step of "
        f"at least {format_duration(2 * scrape_s)}"
    )


def _counting(counter: str, whole: pd.Timestamp, last: pd.Timestamp, step_s: int) -> str:
    """PromQL condition (parenthesised), evaluated at ``last``, selecting the series of
    ``counter`` whose value changes in the window (from the start of the interval before the
    first whole one, which ends at ``whole``, to ``last``): an idle series loses no request to
    a step too short, and is no reason to refuse it. The whole window, not only the intervals
    checked, so that a series idle there but counting before them still counts. It reads every
    sample of the window: ask it only once a series is found.

    The window is read in :data:`_PIECES` pieces, a series' largest and smallest value in each
    (its value changes where they differ over the window), evaluated at the pieces' ends: a
    subquery's evaluation times are multiples of its step since 1970, so the pieces' ranges
    are offset by ``lag`` (under a piece) and the subquery by ``-lag``, which puts them on
    ``last``. (The window is whole seconds long, so a hundredth of it whole milliseconds.)
    """
    span = last - whole + 2 * pd.Timedelta(seconds=step_s)
    piece = span / _PIECES
    ms = pd.Timedelta(milliseconds=1)
    lag = -(last.value // 1_000_000) % (piece // ms) * ms

    def over(fn: str) -> str:
        inner = f"{fn}_over_time({counter}[{_range(piece)}]{_offset(lag)})"
        return f"{fn}_over_time({inner}[{_range(span - piece)}:{_range(piece)}]{_offset(-lag)})"

    return f"({over('max')} != {over('min')})"


def _offset(by: pd.Timedelta) -> str:
    """A PromQL ``offset`` modifier (with its leading space) for ``by`` (whole milliseconds,
    negative for later), or nothing for 0."""
    if by == pd.Timedelta(0):
        return ""
    return f" offset {'-' if by < pd.Timedelta(0) else ''}{_range(abs(by))}"


def _fitting_gap_s(step_s: int) -> float:
    """The longest scrape interval (seconds) a step of ``step_s`` seconds is twice of, within
    :data:`_STEP_TOLERANCE`: a step under twice a longer one is refused."""
    return step_s / (2 * (1 - _STEP_TOLERANCE))


def _gaps(counter: str, span: pd.Timedelta, step_s: int, only: str = "") -> str:
    """PromQL range vector: per series of ``counter``, its gaps in seconds between samples in
    the ``span`` before the evaluation time, read every half step (and ``only`` those, or
    only whether, a comparison: ``" <= 60"``, ``" <= bool 60"``).

    Each half step that holds samples gives one value, ``timestamp(counter) -
    timestamp(counter offset half)`` (the gaps before its samples, end to end) over the number
    of its samples: their mean gap, which is the gap itself when the scrape interval is over
    half a step. (Not the gaps end to end: on 31 s scrapes at a 2m step, most half steps hold
    two samples, 62 s end to end, over the 60.6 s that fits, and the lower quartile would be
    62 s.) None where the sample before the half step is more than 5 minutes (Prometheus's
    lookback) before it, or its last sample more than 5 minutes before its end.
    """
    half = pd.Timedelta(seconds=step_s) / 2
    since = f"timestamp({counter}) - timestamp({counter} offset {_range(half)})"
    # (its samples after the half step's start: Prometheus 2's ranges include both ends)
    samples = f"count_over_time({counter}[{_range(half - pd.Timedelta(milliseconds=1))}])"
    return f"((({since}) > 0) / {samples}{only})[{_range(span)}:{_range(half)}]"


def _fits(counter: str, span: pd.Timedelta, step_s: int) -> str:
    """PromQL condition (parenthesised), evaluated at the end of ``span``: the series of
    ``counter`` whose scrape interval fits twice in a step of ``step_s`` seconds
    (:func:`_fitting_share`)."""
    return _fitting_share(counter, span, step_s, ">=")


def _fitting_share(counter: str, span: pd.Timedelta, step_s: int, compare: str) -> str:
    """PromQL condition (parenthesised), evaluated at the end of ``span``, on the share of the
    gaps of each series of ``counter`` in the ``span`` (:func:`_gaps`; as many as gaps, half
    steps holding samples) that fit twice in a step of ``step_s`` seconds (within
    :data:`_STEP_TOLERANCE`): ``compare`` (``">="``, ``"<"``) to :data:`_TYPICAL_SHARE`. Its
    scrape interval fits when that share is at least :data:`_TYPICAL_SHARE`; a series with no
    gaps there (its samples more than 5 minutes apart) is selected by neither."""
    fitting = _gaps(counter, span, step_s, f" <= bool {_fitting_gap_s(step_s)!r}")
    return f"(avg_over_time({fitting}) {compare} {_TYPICAL_SHARE!r})"


def _scrape_interval(
    prom: Prometheus,
    counter: str,
    which: str,
    at: pd.Timestamp,
    span: pd.Timedelta,
    step_s: int,
) -> float | None:
    """The scrape interval in seconds (to the millisecond) of the series of ``counter`` that
    ``which`` selects (a condition on them, evaluated at ``at``): per series the lower quartile
    of its gaps between samples in the ``span`` before ``at`` (:func:`_gaps`), the longest of
    those; None when no such series has two samples under 5 minutes apart (Prometheus's
    lookback).

    The lower quartile is the shortest gap that at least :data:`_TYPICAL_SHARE` of the gaps are
    not longer than: the longest gap up to PromQL's quartile, which interpolates between the
    gaps on either side of its rank (a pod's gaps of 120 s, after a missed scrape, and 60 s
    read 75 s). So a series fits the step exactly when this fits (:func:`_fits`), and twice
    this, rounded up, is a step that it fits.
    """
    gaps = _gaps(counter, span, step_s)
    quartile = f"quantile_over_time({_TYPICAL_SHARE!r}, {gaps} @ {at.timestamp():.3f})"
    # (give or take a millisecond, as interpolating between equal gaps may miss them by a bit)
    typical = f"max_over_time({_gaps(counter, span, step_s, f' <= {quartile} + 0.001')})"
    found = prom.query(f"max({typical} and ({which}))", at=at)
    return round(float(found["value"].iloc[0]), 3) if len(found) else None


def _status_columns(frame: pd.DataFrame, keys: list[str], status: str) -> pd.DataFrame:
    codes = frame[status].astype("string").fillna("")
    first = codes.str[:1]
    value = frame["value"].astype("float64").fillna(0.0)
    parts = {"requests": value}
    for column in STATUS_COLUMNS[:4]:
        parts[column] = value.where(first == column[7], 0.0)
    parts["status_429"] = value.where(codes == "429", 0.0)
    wide = pd.DataFrame({"ts": frame["ts"], **{k: frame[k] for k in keys}, **parts})
    return wide.groupby(["ts", *keys], dropna=False, sort=False).sum().reset_index()


def _bucket_columns(
    frame: pd.DataFrame, keys: list[str], divisor: float, thresholds_s: Sequence[float] | None
) -> pd.DataFrame:
    if "le" not in frame.columns:  # the histogram has no series for this selection
        names = [bucket_column(t) for t in sorted(thresholds_s or ())]
        return pd.DataFrame(columns=["ts", *keys, *names])
    le_s = _seconds(frame["le"], divisor)
    finite = np.isfinite(le_s.to_numpy(na_value=np.nan))
    frame = frame.loc[finite].assign(le_s=le_s[finite])
    available = sorted(float(v) for v in frame["le_s"].unique())  # (shown in messages as 0.05)
    wanted = available if thresholds_s is None else sorted(thresholds_s)
    missing = [t for t in wanted if not np.isclose(available, t, rtol=1e-9, atol=0).any()]
    if missing:
        raise ConfigError(
            f"the exporter has no bucket at {missing} s; its buckets are {available} s "
            "(thresholds must be bucket boundaries)"
        )
    close = np.isclose(frame["le_s"].to_numpy()[:, None], wanted, rtol=1e-9, atol=0)
    # (named after each threshold a bucket is close to: a threshold of 0.1 + 0.2 s names the
    # bucket 0.3 after itself, as the series of the frame are looked up by that name; beside a
    # threshold of 0.3 s, the bucket fills both columns)
    names = [bucket_column(t) for t in wanted]
    rows, columns = np.nonzero(close)
    frame = frame.iloc[rows].assign(column=np.array(names, dtype=object)[columns])
    wide = frame.pivot_table(
        index=["ts", *keys],
        columns="column",
        values="value",
        aggfunc="sum",
        dropna=False,
        observed=True,
    )
    wide.columns.name = None
    return wide.reindex(columns=names).reset_index()


def _seconds(le: pd.Series, divisor: float) -> pd.Series:
    """Bucket bounds ``le`` (text, in the exporter's unit) in seconds, each the float its
    decimal quotient reads as: ``33.3`` ms is 0.0333 s, where ``33.3 / 1000`` is
    0.033299999999999996, a bucket column of another name (:func:`~apislo.model.bucket_column`).
    Bounds written with up to 15 significant digits come out exact (the division's error is
    below half a unit of the 15th)."""
    values = pd.to_numeric(le.astype("string"), errors="coerce").astype("float64")
    if divisor == 1:
        return values
    exact = {v: float(f"{v / divisor:.15g}") for v in values.dropna().unique()}
    return values.map(exact).astype("float64")


def _renamed(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame.rename(columns={"value": name})


def pull_traffic(
    prom: Prometheus,
    profile: str | Profile,
    start: TimeLike,
    end: TimeLike,
    step: str | int,
    by: str | Sequence[str],
    thresholds_s: Sequence[float] | None,
    where: dict[str, str],
) -> pd.DataFrame:
    """Build the traffic frame; see :meth:`Prometheus.traffic` for the arguments."""
    keys = group_keys(by)  # one key name, as for logs, or several
    prof = load_profile(profile)
    thresholds_s = _thresholds(thresholds_s)
    _check_where(where)
    step_s = parse_step(step)
    now = pd.Timestamp.now(tz="UTC")
    # (Prometheus keeps milliseconds: a window edge finer than that cannot be asked for)
    t0, t1 = parse_time(start, now).floor("ms"), parse_time(end, now).floor("ms")
    if t1 <= t0:
        raise ConfigError(f"end {t1} is not after start {t0}; check start/end")
    step = pd.Timedelta(seconds=step_s)
    first = align_down(t0, step_s)
    last = align_up(t1, step_s) - step  # start of the interval holding the window's end
    intervals = (last - first) // step + 1
    check_frame_rows(intervals, 1, LONGER_STEP)  # before any request (4 a chunk of the range)
    labels = [prof.label_for(k) for k in keys]
    _check_one_key_per_label(prof, keys, labels)
    rename = dict(zip(labels, keys, strict=True))
    queries = traffic_queries(prof, labels, step_s, where)
    edges = _edges(t0, t1, step_s)
    edge_queries = [
        (row, at, traffic_queries(prof, labels, step_s, where, window)) for row, at, window in edges
    ]
    pulled = {}
    request_labels: set[str] = set()  # the group keys the request counter's series carry
    whole = align_up(t0, step_s) + step  # end of the first whole interval
    for name, promql in queries.items():
        if whole <= t1:
            frame = prom.query_range(promql, whole, t1, step_s)
        else:
            frame = table_to_frame(empty_table())
        frame = frame.assign(ts=frame["ts"] - step)
        parts = [frame] + [
            _at_row(prom.query(edge[name], at=at), row) for row, at, edge in edge_queries
        ]
        frame = pd.concat([p for p in parts if len(p)] or parts[:1], ignore_index=True)
        frame = frame.rename(columns=rename)
        if name == "requests":  # (queried first)
            request_labels = set(frame.columns)
        elif name == "buckets":
            _check_histogram_labels(prof, frame, request_labels, keys)
        for key in keys:
            if key not in frame.columns:
                frame[key] = pd.Series(pd.NA, index=frame.index, dtype=pd.ArrowDtype(pa.string()))
        pulled[name] = frame
    if pulled["requests"].empty:
        _check_sampled(prom, prof, where, t0, t1, step_s)
    else:
        _check_two_samples(prom, prof, where, whole, t1, step_s)
        _check_counted(prom, prof, where, whole, t1, step_s)
    status = prof.status_label
    if status not in pulled["requests"].columns:
        pulled["requests"][status] = pd.Series(
            pd.NA, index=pulled["requests"].index, dtype="string"
        )
    parts = [_status_columns(pulled["requests"], keys, status)]
    thresholds: Sequence[float] = ()
    if "buckets" in pulled:
        buckets = _bucket_columns(pulled["buckets"], keys, prof.unit_divisor, thresholds_s)
        thresholds = [float(c[3:]) for c in buckets.columns if c.startswith("le_")]
        count = _renamed(pulled["count"][["ts", *keys, "value"]], "latency_count")
        total = _renamed(pulled["sum"][["ts", *keys, "value"]], "latency_sum_s")
        total["latency_sum_s"] = total["latency_sum_s"] / prof.unit_divisor
        parts += [count, total, buckets]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part, on=["ts", *keys], how="outer")
    groups = len(merged[keys].drop_duplicates()) if keys else 1
    check_frame_rows(intervals, groups, LONGER_STEP)
    merged = _complete(merged, keys, pd.date_range(first, last, freq=step))
    columns = traffic_columns(keys, thresholds)
    for column in columns:
        if column not in merged.columns:
            merged[column] = 0.0
    merged = merged[columns].sort_values([*keys, "ts"]).reset_index(drop=True)
    return _typed(merged, keys, columns[1 + len(keys) :])


def _thresholds(thresholds_s: Sequence[float] | None) -> list[float] | None:
    """``thresholds_s`` (seconds; a NumPy array too) as a list, or ``None`` for every bucket.

    Raises:
        ConfigError: a threshold given twice (its column would be filled twice).
    """
    if thresholds_s is None:
        return None
    values = list(thresholds_s)
    refuse_repeats("thresholds_s", values)
    return values


def _check_where(where: dict[str, str]) -> None:
    """Refuse a ``where`` value that is not text: a matcher tests equality with text, and
    ``{"code": 200}`` was a ``TypeError`` from deep inside the query builder.

    Raises:
        ConfigError: naming the key.
    """
    for key, value in where.items():
        if not isinstance(value, str):
            raise ConfigError(
                f"where {key}: expected text, got {value!r}; where= tests equality only: give "
                'each label\'s value as text, in quotes if it reads as a number ({"code": "200"})'
            )


def _check_one_key_per_label(profile: Profile, keys: list[str], labels: list[str]) -> None:
    """Refuse ``by`` keys that read one label (``labels``, key by key): ``api`` beside the
    profile's API label (Kong's ``service``), where one of the two columns came out empty (a
    key given twice is refused before, by :func:`~apislo.aggregate.group_keys`).

    Raises:
        ConfigError: naming the keys and the label.
    """
    for label in dict.fromkeys(labels):
        named = [k for k, name in zip(keys, labels, strict=True) if name == label]
        if len(named) > 1:
            raise ConfigError(
                f"by {keys}: {' and '.join(named)} read the same label, {label} (profile "
                f"{profile.name}); give each label once"
            )


def _edges(
    t0: pd.Timestamp, t1: pd.Timestamp, step_s: int
) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    """The partial intervals at the edges of ``[t0, t1)``: ``(row ts, evaluation time, range)``.

    A ``start`` inside an interval counts ``[start, interval end or end)``; an ``end`` inside a
    later interval counts ``[interval start, end)``. Whole intervals are the range query's.

    >>> [(str(r.time()), str(a.time()), w) for r, a, w in _edges(
    ...     pd.Timestamp("2026-01-01 10:30Z"), pd.Timestamp("2026-01-01 13:00:01.5Z"), 3600)]
    [('10:00:00', '11:00:00', '30m'), ('13:00:00', '13:00:01.500000', '1500ms')]
    """
    edges = []
    head_end = align_up(t0, step_s)
    if head_end != t0:
        at = min(head_end, t1)
        edges.append((align_down(t0, step_s), at, _range(at - t0)))
    tail = align_down(t1, step_s)
    if tail != t1 and tail >= head_end:
        edges.append((tail, t1, _range(t1 - tail)))
    return edges


def _at_row(frame: pd.DataFrame, row: pd.Timestamp) -> pd.DataFrame:
    """An instant query's frame with ``ts`` set to its row's interval start."""
    return frame.assign(ts=pd.array([row] * len(frame), dtype=pd.ArrowDtype(TS_TYPE)))


def _range(span: pd.Timedelta) -> str:
    """A PromQL range for ``span`` (whole milliseconds): ``30m``, ``90s``, ``1500ms``."""
    ms = span // pd.Timedelta(milliseconds=1)
    return format_duration(ms // 1000) if ms % 1000 == 0 else f"{ms}ms"


def _check_histogram_labels(
    profile: Profile, buckets: pd.DataFrame, request_labels: set[str], by: Sequence[str]
) -> None:
    """Refuse a ``by`` key that the request counter carries (``request_labels``: its series'
    labels, by key name) and the latency histogram does not: its latency columns would be 0 in
    every group, and an extra ``<NA>`` group would hold them.

    Raises:
        ConfigError: no series of the histogram has the key's label (and some series do exist).
    """
    lacking = [k for k in by if k in request_labels and len(buckets) and k not in buckets]
    if lacking:
        labels = ", ".join(profile.label_for(k) for k in lacking)
        raise ConfigError(
            f"profile {profile.name}: the latency histogram {profile.latency} has no label "
            f"{labels}, so its latency columns cannot be split by {', '.join(lacking)}; group by "
            "labels that both it and the request counter carry"
        )


def _complete(frame: pd.DataFrame, keys: list[str], grid: pd.DatetimeIndex) -> pd.DataFrame:
    """Zero rows for every interval of the requested span where a group had no series (as the
    log side does with ``start``/``end``), so windows over rows are windows in time."""
    if frame.empty:
        return frame
    frame = frame.assign(ts=frame["ts"].astype("datetime64[ns, UTC]"))
    groups = frame[keys].drop_duplicates() if keys else pd.DataFrame(index=[0])
    full = pd.DataFrame({"ts": grid.astype("datetime64[ns, UTC]")}).merge(groups, how="cross")
    return full.merge(frame, on=["ts", *keys], how="left")


def _typed(frame: pd.DataFrame, keys: list[str], counts: list[str]) -> pd.DataFrame:
    """Arrow dtypes as the log side has them: ``ts`` timestamp[us, UTC], keys string, counts
    int64 (``increase`` rounded to the nearest integer), ``latency_sum_s`` double."""
    out = {"ts": pa.array(frame["ts"].astype("datetime64[us, UTC]")).cast(TS_TYPE)}
    for key in keys:
        out[key] = pa.array(frame[key].astype("string").to_numpy(na_value=None), pa.string())
    for column in counts:
        values = frame[column].astype("float64").fillna(0.0).to_numpy()
        if column == "latency_sum_s":
            out[column] = pa.array(values, pa.float64())
        else:
            out[column] = pa.array(np.rint(values).astype("int64"), pa.int64())
    return arrow_to_pandas(pa.table(out))
