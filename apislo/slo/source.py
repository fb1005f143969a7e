"""Where an SLO's counts come from: a traffic frame, events, a Parquet dataset or Prometheus.

:func:`resolve_source` turns what the caller passed into a :class:`Source`; its
:meth:`Source.frame` gives, for one SLO, a traffic frame (:mod:`apislo.model`) over a time range
with exactly the columns that SLO needs:

* **traffic frame** (a DataFrame with ``requests``): used as is. Latency thresholds must be
  among its ``le_<s>`` columns.
* **events** (a pandas/polars/Arrow frame with ``status`` and ``latency_s``) or a **dataset**
  directory (read with :func:`apislo.load`): aggregated with :func:`apislo.traffic` at exactly
  the SLO's thresholds, so every count is exact. For ``availability_and_latency`` an extra column
  ``good_le_<s>`` counts requests both fast and not bad, exactly.
* **Prometheus** (an ``http(s)://`` URL or a client from :func:`apislo.prometheus`): the
  profile's traffic frame (the SLO's ``source.profile``, default ``generic``) of the series
  its Prometheus rules select (its API and ``source.labels``); a latency
  threshold must equal a histogram bucket. An SLI that uses no latency (``availability``) reads
  only the request counter, so it may be grouped by labels the latency histogram lacks. Ratio
  SLIs run their ``good``/``bad`` and ``total`` queries with ``{{.window}}`` set to the step; the
  result of a query that calls ``rate`` or ``irate`` and not ``increase`` (:func:`_per_second`)
  is multiplied by the step's seconds to give counts. A query's fixed range (``[1m]`` rather
  than ``[{{.window}}]``) other than the step raises a :class:`SpecWarning`
  (:func:`_warn_fixed_ranges`): its counts are not the step's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from apislo.errors import ConfigError, FrameTooLargeError
from apislo.model import LONGER_STEP, bucket_column, utc_index
from apislo.slo.formats._fields import warn
from apislo.slo.maths import strict_column
from apislo.slo.policy import parse_duration, prom_duration
from apislo.slo.spec import SLO, WINDOW_PLACEHOLDER
from apislo.sources.prometheus.promql import called_functions, range_texts

__all__ = ["Source", "resolve_source", "slo_keys", "slo_strict_thresholds", "slo_thresholds"]

#: PromQL functions whose result is per second.
_RATES = frozenset({"rate", "irate"})


def slo_keys(slo: SLO) -> tuple[str, ...]:
    """Group keys an SLO's traffic frame needs: ``api`` (to select or split) and ``group_by``."""
    keys = ["api", *slo.group_by]
    return tuple(dict.fromkeys(keys))


def slo_thresholds(slo: SLO) -> tuple[float, ...]:
    """Every latency threshold (seconds) an SLO's objectives use, sorted."""
    values = {slo.threshold_s(o) for o in slo.objectives}
    return tuple(sorted(v for v in values if v is not None))


def slo_strict_thresholds(slo: SLO) -> tuple[float, ...]:
    """The latency thresholds (seconds) objectives compare with ``op: lt``, sorted."""
    values = {slo.threshold_s(o) for o in slo.objectives if o.threshold_op == "lt"}
    return tuple(sorted(v for v in values if v is not None))


def _is_traffic(frame: Any) -> bool:
    return isinstance(frame, pd.DataFrame) and "requests" in frame.columns


def _is_events(frame: Any) -> bool:
    columns = getattr(frame, "column_names", None)
    if columns is None:
        columns = getattr(frame, "columns", None)
    return columns is not None and "status" in list(columns) and "latency_s" in list(columns)


@dataclass
class Source:
    """A resolved data source (see the module docstring).

    Attributes:
        kind: ``traffic``, ``events``, ``dataset`` or ``prometheus``.
        data: the frame, the dataset path or the Prometheus client.
        label: how to name the source in outputs (never a secret: URLs lose their userinfo).
    """

    kind: str
    data: Any
    label: str
    _events: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    def frame(
        self, slo: SLO, start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta
    ) -> pd.DataFrame:
        """A traffic frame for ``slo`` over ``[start, end)`` at ``step`` intervals.

        Raises:
            ConfigError: the source cannot provide what the SLO needs (says what would).
        """
        if slo.sli.kind == "ratio":
            if self.kind != "prometheus":
                return self._ratio_from_frame(slo)
            return self._ratio_from_prometheus(slo, start, end, step)
        if self.kind == "traffic":
            return self.data
        if self.kind == "prometheus":
            return self.data.traffic(
                profile=_profile(slo),
                start=start,
                end=end,
                step=int(step.total_seconds()),
                by=slo_keys(slo),
                thresholds_s=slo_thresholds(slo) or None,
            )
        events = self._load_events(slo, start, end)
        return _events_traffic(events, slo, start, end, step)

    def _load_events(self, slo: SLO, start: pd.Timestamp, end: pd.Timestamp) -> Any:
        if self.kind == "events":
            return self.data
        key = (start, end, slo.api)
        if key not in self._events:
            import apislo

            apis = [slo.api] if slo.api is not None else None
            self._events[key] = apislo.load(self.data, start=start, end=end, apis=apis)
        return self._events[key]

    def _ratio_from_frame(self, slo: SLO) -> pd.DataFrame:
        frame = self.data if self.kind == "traffic" else None
        if frame is None or "total" not in frame.columns:
            raise ConfigError(
                f"SLO {slo.name!r} has a ratio SLI (PromQL queries): evaluate it against a "
                "Prometheus URL, or pass a frame with ts, total and good (or bad) columns"
            )
        return frame

    def _ratio_from_prometheus(
        self, slo: SLO, start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta
    ) -> pd.DataFrame:
        step_s = int(step.total_seconds())
        window = prom_duration(step.to_pytimedelta())
        parts = {}
        for column, query in (
            ("good", slo.sli.good_query),
            ("bad", slo.sli.bad_query),
            ("total", slo.sli.total_query),
        ):
            if not query:
                continue
            _warn_fixed_ranges(slo, column, query, step)
            promql = WINDOW_PLACEHOLDER.sub(window, query)
            got = self.data.query_range(promql, start + step, end, step_s)
            per_second = _per_second(promql)
            values = got["value"].to_numpy(dtype=np.float64, na_value=0.0)
            keys = [k for k in slo.group_by if k in got.columns]
            part = pd.DataFrame({"ts": utc_index(got["ts"]) - step})
            for k in keys:
                part[k] = got[k].to_numpy()
            part[column] = values * (step_s if per_second else 1)
            # a series without a group_by label is a group of its own, as in a traffic frame
            grouped = part.groupby(["ts", *keys], as_index=False, dropna=False)
            parts[column] = grouped[column].sum()
        frames = list(parts.values())
        merged = frames[0]
        for other in frames[1:]:
            merged = merged.merge(other, how="outer")
        return merged.fillna(dict.fromkeys(parts, 0.0))  # (counts only: keys may be NA)


def _warn_fixed_ranges(slo: SLO, role: str, query: str, step: pd.Timedelta) -> None:
    """Warn when the ``role`` (``good``, ``bad``, ``total``) query of a ratio SLI has a range
    written as a duration that is not ``step``: run every step, ``increase(x[1m])`` counts 1
    minute of each 5 (a range longer than the step counts events more than once), and a rate
    over a range other than the step only estimates the step's. A range equal to the step is
    what ``[{{.window}}]`` becomes, and exact. Until 2026-11-30 such counts were silent."""
    off = [  # (each range once: until 2026-11-30 "[1m], [1m]" when two selectors had it)
        r
        for r in dict.fromkeys(range_texts(query))
        if not WINDOW_PLACEHOLDER.fullmatch(r) and not _is_duration(r, step)
    ]
    if not off:
        return
    ranges = ", ".join(f"[{r}]" for r in off)
    every = prom_duration(step.to_pytimedelta())
    warn(
        slo.origin,
        f"sli.{role}_query",
        f"SLO {slo.name}: the {role} query's fixed range {ranges} is not the {every} step it "
        f"is evaluated at, so its counts are wrong (an increase counts the events of {ranges}, "
        f"not of {every}; a rate only estimates them): write [{{{{.window}}}}], which apislo "
        "sets to the step",
    )


def _is_duration(text: str, step: pd.Timedelta) -> bool:
    """Whether the PromQL duration ``text`` is ``step`` (``60s`` is ``1m``); ``False`` for a
    duration :func:`~apislo.slo.policy.parse_duration` does not read (``500ms``, ``1y``)."""
    try:
        return parse_duration(text) == step
    except ValueError:
        return False


def _per_second(promql: str) -> bool:
    """Whether a ratio SLI's query gives events per second: it calls ``rate`` or ``irate`` and
    not ``increase`` (:func:`~apislo.sources.prometheus.promql.called_functions`: ``rate (x[5m])``
    too, but not ``rate(`` in a label matcher's text or a comment). Until 2026-11-30 it was
    the text ``rate(`` anywhere, so ``rate (x[5m])`` was read as counts (300 times too few at
    a 5m step) and a matcher ``path=~"/rate(/.*)?"`` as per second."""
    calls = called_functions(promql)
    return bool(calls & _RATES) and "increase" not in calls


def _profile(slo: SLO) -> Any:
    """The SLO's Prometheus profile (``source.profile``, default ``generic``), its matchers
    extended, as the SLO's Prometheus rules match series, by its ``source.labels`` (metric label
    names) and its API; without its latency histogram when the SLI uses no latency, so that it
    is neither read nor required to carry the ``group_by`` labels."""
    from dataclasses import replace

    from apislo.sources.prometheus.profiles import load_profile

    profile = load_profile(slo.source.profile or "generic")
    matchers = {**profile.matchers, **dict(slo.source.labels)}
    if slo.api is not None:
        matchers[profile.api_label] = slo.api
    profile = replace(profile, matchers=matchers)
    return profile if slo.sli.uses_latency else replace(profile, latency="")


def _status_is_bad(slo: SLO) -> Any:
    """Polars expression: the event's status counts as bad for the SLO's SLI."""
    import polars as pl

    cls = pl.col("status") // 100
    bad = pl.lit(False)
    for name in slo.sli.bad_status:
        bad = bad | (cls == int(name[0]))
    is_429 = pl.col("status") == 429
    bad = (bad | is_429) if slo.sli.count_429 else (bad & ~is_429)
    return bad.fill_null(False)


def _events_traffic(
    events: Any, slo: SLO, start: pd.Timestamp, end: pd.Timestamp, step: pd.Timedelta
) -> pd.DataFrame:
    import polars as pl

    from apislo.aggregate import to_polars, traffic

    thresholds = slo_thresholds(slo)
    keys = slo_keys(slo)
    columns = ("ts", "status", "latency_s", *keys)  # (converted alone: see to_polars)
    options = dict(interval=step, by=keys, quantiles=(), start=start, end=end)
    try:
        frame = traffic(events, thresholds_s=thresholds, **options)
    except FrameTooLargeError as exc:  # (an SLO's frame is complete: the step is what to change)
        raise exc.advising(LONGER_STEP) from None
    both = slo.sli.kind == "availability_and_latency"
    parts = []
    if both and thresholds:
        masked = to_polars(events, columns).with_columns(
            pl.when(_status_is_bad(slo))
            .then(None)
            .otherwise(pl.col("latency_s"))
            .alias("latency_s")
        )
        good = traffic(masked, thresholds_s=thresholds, **options)
        names = {bucket_column(t): "good_" + bucket_column(t) for t in thresholds}
        parts.append(good[["ts", *keys, *names]].rename(columns=names))
    for t in slo_strict_thresholds(slo):
        # requests strictly faster than t (op: lt): the le_t bucket of the events below t
        fast = pl.col("latency_s") < t
        if both:
            fast = fast & ~_status_is_bad(slo)
        masked = to_polars(events, columns).with_columns(
            pl.when(fast).then(pl.col("latency_s")).otherwise(None).alias("latency_s")
        )
        below = traffic(masked, thresholds_s=(t,), **options)
        name = ("good_" if both else "") + strict_column(t)
        parts.append(
            below[["ts", *keys, bucket_column(t)]].rename(columns={bucket_column(t): name})
        )
    for part in parts:
        frame = frame.merge(part, on=["ts", *keys], how="left")
    return frame


def resolve_source(source: Any, cache: bool = True) -> Source:
    """Classify ``source``: a traffic frame, events, a dataset path, or Prometheus.

    Args:
        source: a traffic frame; an events frame (pandas, polars or Arrow); a dataset directory
            written by ``apislo ingest``; an ``http(s)://`` Prometheus URL; a client from
            :func:`apislo.prometheus`; or a :class:`Source` (returned as is).
        cache: for a Prometheus URL, read and write the chunk cache (``False``: always ask the
            server, as ``--no-cache`` does).

    Raises:
        ConfigError: none of these (says what is accepted).
    """
    if isinstance(source, Source):
        return source
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        import apislo
        from apislo.sources.prometheus.endpoint import public_url

        return Source("prometheus", apislo.prometheus(source, cache=cache), public_url(source))
    if hasattr(source, "query_range") and hasattr(source, "traffic"):
        # a client's url never holds credentials (its endpoint keeps them apart)
        return Source("prometheus", source, str(getattr(source, "url", "prometheus")))
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_dir():
            raise ConfigError(
                f"{path}: not a dataset directory (create one with `apislo ingest`) and not an "
                "http(s):// Prometheus URL"
            )
        return Source("dataset", path, str(path))
    if _is_traffic(source):
        return Source("traffic", source, "traffic frame")
    if _is_events(source):
        return Source("events", source, "events")
    raise ConfigError(
        f"cannot use a {type(source).__name__} as an SLO source: pass a traffic frame, an events "
        "frame, a dataset directory or a Prometheus URL/client"
    )
