"""The Prometheus client: instant and range queries as tidy frames, and traffic frames.

Built on ``prometheus-api-client`` (its :class:`~prometheus_api_client.PrometheusConnect` is
available as :attr:`Prometheus.client`, sharing this object's configured session), with what it
lacks done here: chunked concurrent range queries under the 11,000-point limit, retries with
backoff, structured errors, auth from environment variables or files, escaping and a chunk cache.

>>> prom = Prometheus("http://127.0.0.1:9090", cache=False)            # doctest: +SKIP
>>> prom.query_range('sum by (api) (rate(http_requests_total[5m]))',
...                  start="-1d", end="now", step="1m")                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from apislo.errors import ConfigError
from apislo.sources.prometheus.cache import ChunkCache, default_cache_dir
from apislo.sources.prometheus.chunks import MAX_POINTS, Chunk, plan_chunks
from apislo.sources.prometheus.endpoint import Endpoint, QueryContext
from apislo.sources.prometheus.frames import (
    Block,
    empty_table,
    parse_matrix,
    parse_vector,
    stitch,
    table_to_frame,
)
from apislo.sources.prometheus.times import TimeLike, parse_step, parse_time
from apislo.sources.prometheus.transport import Transport

if TYPE_CHECKING:
    from prometheus_api_client import PrometheusConnect

    from apislo.sources.prometheus.profiles import Profile

__all__ = ["Prometheus", "prometheus"]

_TRANSPORT_FIELDS = frozenset(f.name for f in fields(Transport))


def _iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


class Prometheus:
    """A Prometheus-compatible server (Prometheus, Thanos, Mimir, VictoriaMetrics).

    Args:
        url: base URL, e.g. ``http://127.0.0.1:9090`` or ``https://mimir.example/prometheus``.
        transport: connection settings; alternatively pass its fields as keyword arguments
            (``bearer_token_env="PROM_TOKEN"``, ``headers={"X-Scope-OrgID": "a"}``...).
        cache: ``True`` for the default cache directory (:func:`default_cache_dir`), a path for
            another, ``False`` for none.
        chunk_points: evaluation times per range request (at most 11,000, Prometheus's limit).
        cache_settle: how old a chunk's last evaluation time must be before it is cached.
    """

    def __init__(
        self,
        url: str,
        *,
        transport: Transport | None = None,
        cache: bool | str | Path = True,
        chunk_points: int = 1440,
        cache_settle: str | pd.Timedelta = "10m",
        **transport_options: Any,
    ) -> None:
        unknown = set(transport_options) - _TRANSPORT_FIELDS
        if unknown:
            raise ConfigError(
                f"unknown option(s) {sorted(unknown)}; transport options are "
                f"{sorted(_TRANSPORT_FIELDS)}"
            )
        if transport is not None and transport_options:
            raise ConfigError("give transport=Transport(...) or transport keywords, not both")
        self.transport = transport or Transport(**transport_options)
        self.endpoint = Endpoint(url, self.transport)
        if not 1 <= chunk_points <= MAX_POINTS:
            raise ConfigError(f"chunk_points must be between 1 and {MAX_POINTS}")
        self.chunk_points = chunk_points
        self.cache: ChunkCache | None = None
        if cache is not False:
            root = default_cache_dir() if cache is True else Path(cache)
            settle = pd.Timedelta(seconds=parse_step(cache_settle))
            self.cache = ChunkCache(
                root,
                self.endpoint.url,
                self.transport.headers,
                settle,
                self.endpoint.credentials_digest,
            )

    @property
    def url(self) -> str:
        """The server's API root, without credentials."""
        return self.endpoint.url

    def __repr__(self) -> str:
        return f"Prometheus({self.url!r})"

    def __enter__(self) -> Prometheus:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release pooled connections."""
        self.endpoint.session.close()

    @cached_property
    def client(self) -> PrometheusConnect:
        """A ``prometheus_api_client.PrometheusConnect`` with the same auth, TLS and headers,
        for the parts of the HTTP API not wrapped here (labels, series, targets, metadata).

        It gets its own session (it mounts its own retry adapter on the session it is given).
        """
        from prometheus_api_client import PrometheusConnect

        return PrometheusConnect(
            self.endpoint.base,
            session=self.endpoint.new_session(),
            timeout=self.transport.timeout_s,
        )

    # --- queries -------------------------------------------------------------------------------

    def query(self, promql: str, at: TimeLike = "now") -> pd.DataFrame:
        """Evaluate ``promql`` at one instant.

        Args:
            promql: the query (build label matchers with :func:`~apislo.sources.prometheus.matchers`
                so values are escaped).
            at: evaluation time: ISO 8601, ``now``, ``-1h``, datetime or Unix seconds.

        Returns:
            Columns ``ts`` (UTC), one per label (sorted), ``value`` (float64); Arrow dtypes.

        Raises:
            NativeHistogramError: a series of the answer is a native histogram (its message
                says what to query instead).
        """
        ts = parse_time(at)
        params = {"query": promql, "time": f"{ts.timestamp():.3f}"}
        parse = partial(parse_vector, query=promql)
        block = self.endpoint.call("/api/v1/query", params, parse, QueryContext(promql, _iso(ts)))
        return table_to_frame(stitch([block]))

    def query_range(
        self, promql: str, start: TimeLike, end: TimeLike = "now", step: str | int = "1m"
    ) -> pd.DataFrame:
        """Evaluate ``promql`` at every multiple of ``step`` in ``[start, end]``.

        Ranges of any length: split into chunks of :attr:`chunk_points` evaluation times (under
        Prometheus's 11,000-point limit), fetched concurrently (``transport.concurrency``),
        stitched with no duplicate and no missing time; complete past chunks come from the cache,
        under the identity the server tells at this call (its start time, where it tells one:
        another dataset served on the same URL is another generation).

        Args:
            promql: the query.
            start: first time (rounded up to a multiple of ``step``).
            end: last time (rounded down to a multiple of ``step``).
            step: ``"30s"``, ``"1m"``, ``"1h"`` or seconds.

        Returns:
            Columns ``ts`` (UTC), one per label (sorted), ``value`` (float64), Arrow dtypes,
            sorted by labels then time.

        Raises:
            NativeHistogramError: a series of the answer holds native histogram samples (its
                message says what to query instead).
        """
        return table_to_frame(self.range_table(promql, start, end, step))

    def range_table(
        self, promql: str, start: TimeLike, end: TimeLike = "now", step: str | int = "1m"
    ) -> pa.Table:
        """:meth:`query_range` as an Arrow table (no pandas conversion)."""
        now = pd.Timestamp.now(tz="UTC")
        t0, t1 = parse_time(start, now), parse_time(end, now)
        if t1 < t0:
            raise ConfigError(f"end {_iso(t1)} is before start {_iso(t0)}")
        step_s = parse_step(step)
        chunks = plan_chunks(t0, t1, step_s, self.chunk_points)
        if not chunks:
            return empty_table()
        generation = self._cache_generation(chunks)
        workers = min(self.transport.concurrency, len(chunks))
        if workers == 1:
            blocks = [self._chunk(promql, c, generation) for c in chunks]
        else:
            with ThreadPoolExecutor(workers, thread_name_prefix="apislo-prom") as pool:
                blocks = list(pool.map(lambda c: self._chunk(promql, c, generation), chunks))
        return stitch(blocks)

    def _cache_generation(self, chunks: Sequence[Chunk]) -> str | None:
        """The server identity the cache entries of a range query over ``chunks`` are keyed by:
        its start time (:meth:`~apislo.sources.prometheus.endpoint.Endpoint.start_time`; a
        restart, as serving another dataset takes, starts a new generation), ``""`` for a server
        that tells none (its URL alone), or ``None`` for no cache: there is none, no chunk is
        complete (none was ever stored), or the server could not be asked now (the query then
        neither reads nor writes it).

        Asked at each range query that may use the cache, not once per client: a notebook's
        client outlives the server it was made for (one small request, about 2 ms on loopback).
        """
        if self.cache is None or not any(self.cache.cacheable(c) for c in chunks):
            return None
        return self.endpoint.start_time()

    def _chunk(self, promql: str, chunk: Chunk, generation: str | None) -> Block:
        cache = self.cache if generation is not None else None
        if cache is not None and (hit := cache.get(promql, chunk, generation)) is not None:
            try:
                return Block.from_table(hit)
            except (KeyError, TypeError, ValueError):  # not written by this version: refetch
                pass
        params = {
            "query": promql,
            "start": str(int(chunk.start.timestamp())),
            "end": str(int(chunk.end.timestamp())),
            "step": str(chunk.step_s),
        }
        context = QueryContext(promql, _iso(chunk.start), _iso(chunk.end))
        parse = partial(parse_matrix, query=promql)
        block = self.endpoint.call("/api/v1/query_range", params, parse, context)
        if cache is not None:
            cache.put(promql, chunk, block.to_table(), generation)
        return block

    # --- traffic frames ------------------------------------------------------------------------

    def traffic(
        self,
        profile: str | Profile = "generic",
        start: TimeLike = "-7d",
        end: TimeLike = "now",
        step: str | int = "1h",
        by: str | Sequence[str] = ("api",),
        thresholds_s: Sequence[float] | None = None,
        where: dict[str, str] | None = None,
    ) -> pd.DataFrame:
        """The traffic frame (:func:`apislo.model.traffic_columns`) from a gateway's metrics.

        Args:
            profile: a profile name (``generic``, ``kong``, ``envoy``, ``ingress-nginx``,
                ``apicast``, ``traefik``, ``istio``), a YAML path, or a :class:`Profile`.
            start: window start; rows are intervals aligned to multiples of ``step``, and a
                first interval that starts before ``start`` counts only from ``start``.
            end: window end (exclusive); a last interval that ends after ``end`` counts only
                up to ``end``. The window is ``[start, end)``, as the log side counts it.
            step: interval length (``"5m"``, ``"1h"``...).
            by: group keys, one name (``"api"``) or several (``("api", "route")``), as for
                :func:`apislo.traffic`; ``api`` maps to the profile's API label, other names
                are labels.
            thresholds_s: bucket thresholds in seconds to keep (default: all the exporter has).
            where: extra equality matchers (key -> value, text), escaped; keys are named like
                ``by`` keys (``api`` is the profile's API label, e.g. Kong's ``service``).

        Returns:
            The traffic frame, sorted by ``by`` then ``ts``, with zero rows for every interval
            of the window in which a group that has series in it counted nothing (also before
            its first sample and after its last, as :func:`apislo.traffic` does with ``start``
            and ``end``); counts are PromQL ``increase`` rounded to int64
            (exact when samples fall on interval boundaries and on ``start`` and ``end``: see
            the README).

        Raises:
            ConfigError: among others, a step too short for the request counter's scrape
                interval (under two of them: intervals holding one sample count nothing); the
                message names the step to use.
        """
        from apislo.sources.prometheus.traffic import pull_traffic

        return pull_traffic(self, profile, start, end, step, by, thresholds_s, where or {})


def prometheus(url: str, **options: Any) -> Prometheus:
    """Connect to a Prometheus-compatible server; see :class:`Prometheus` for ``options``.

    >>> import apislo
    >>> prom = apislo.prometheus("http://127.0.0.1:9090", cache=False)
    >>> prom
    Prometheus('http://127.0.0.1:9090')
    """
    return Prometheus(url, **options)
