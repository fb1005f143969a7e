"""The traffic generator: per-minute load profiles -> one row per request, fully vectorised.

How a request comes to be (all draws from one ``numpy.random.Generator``, in a fixed order):

1. **Load profile** per API and minute: a daily cosine (peak at the API's ``peak_hour_utc``,
   trough 1/9 of the peak), weekends at 55 % / 45 %, 10 % lognormal noise, and episode factors.
   Logged requests per minute are Poisson with mean ``mean_rps * rate * profile * 60``.
2. **Backend** (M/M/c): the backend serves the whole fleet, not only the logged gateway; its
   arrival rate follows the same profile, scaled so the normal weekday peak runs at the API's
   ``peak_rho``, so ``rho = lambda * E[S] / c`` per minute does not depend on ``--rate``. Above
   ``RHO_MAX`` the gateway sheds the excess ``1 - RHO_MAX / rho`` with fast 503s.
3. **Request**: arrival uniform in its minute (ms), route, API version (``v1``'s share falls from
   70 % to 10 % over the period), consumer (Zipf by rank), ids and byte counts.
4. **Status**: 429 when the consumer is over its plan's hourly quota on that API (the gateway
   answers first), else 5xx inside an outage, else shed, else the route's base mix.
5. **Latency** (whole ms): lognormal service time + Erlang-C queueing delay (``upstream``) + 1-3
   ms gateway overhead; 504 = 5 s upstream timeout; 502 = two quick failed attempts; gateway
   answers (429, outage/shed 503) are never proxied.
6. **Timestamp**: the request's end is put on a whole second (NGINX's resolution) by moving its
   start by less than a second, staying inside its arrival minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from apislo.simulate.catalog import (
    CONSUMER_NAMES,
    HOST,
    PLANS,
    ROUTES,
    WEEKEND_LOAD,
    ApiSpec,
    plan_of_rank,
)
from apislo.simulate.episodes import ABUSIVE_CONSUMER, Episode
from apislo.simulate.ids import random_ids
from apislo.simulate.queueing import sample_wait_s
from apislo.sources.logs.base import RAW_SCHEMA

__all__ = ["RHO_MAX", "UPSTREAM_TIMEOUT_MS", "BackendStats", "generate_events"]

#: Utilisation above which the gateway sheds load with 503s (the queue limit).
RHO_MAX = 0.95
#: Upstream timeout: a 504's upstream time, milliseconds.
UPSTREAM_TIMEOUT_MS = 5000

_DAILY_AMPLITUDE = 0.8  # profile = 1 + 0.8 cos(...): peak/trough = 9
_WEEK_MEAN = (5 + sum(WEEKEND_LOAD.values())) / 7
_PEAK_PROFILE = (1 + _DAILY_AMPLITUDE) / _WEEK_MEAN  # weekday peak of the normalised profile
_NOISE_SIGMA = 0.10
_V1_SHARE = (0.70, 0.10)  # v1's share at the start and at the end of the period
_ZIPF_S = 1.1

# Base status mix: (status, probability) by route shape/method; the rest is the route's success.
_BASE_ERRORS = {
    500: 0.0005,
    502: 0.0001,
    503: 0.0001,
    504: 0.0001,
    401: 0.004,
    403: 0.002,
}
_ROUTE_EXTRA = {  # extra statuses by (method, shape)
    ("GET", "list"): {400: 0.005},
    ("GET", "item"): {404: 0.025, 304: 0.03},
    ("POST", "collection"): {400: 0.03, 409: 0.005},
    ("PUT", "item"): {400: 0.02, 404: 0.01},
    ("DELETE", "item"): {404: 0.03},
    ("GET", "sub"): {404: 0.02, 304: 0.02},
}
_OUTAGE_MIX = ((503, 0.5), (502, 0.3), (504, 0.2))


@dataclass(frozen=True)
class BackendStats:
    """What the queueing model saw for one API's backend.

    Attributes:
        instances: ``c``.
        service_mean_s: configured mean service time, seconds (before episodes).
        service_cv: service-time coefficient of variation.
        peak_rho: configured utilisation at the normal weekday peak.
        max_rho: highest per-minute utilisation in the simulation (episodes included).
        shed_minutes: minutes with ``rho > RHO_MAX`` (load shed with 503).
    """

    instances: int
    service_mean_s: float
    service_cv: float
    peak_rho: float
    max_rho: float
    shed_minutes: int


def _minute_mask(minutes_s: np.ndarray, episode: Episode) -> np.ndarray:
    return (minutes_s >= episode.start.timestamp()) & (minutes_s < episode.end.timestamp())


def _profile(minutes_s: np.ndarray, api: ApiSpec) -> np.ndarray:
    hour = (minutes_s % 86400) / 3600.0
    daily = 1.0 + _DAILY_AMPLITUDE * np.cos(2 * np.pi * (hour - api.peak_hour_utc) / 24.0)
    weekday = (minutes_s // 86400 + 3) % 7  # 1970-01-01 was a Thursday
    weekly = np.ones_like(daily)
    for day, factor in WEEKEND_LOAD.items():
        weekly[weekday == day] = factor
    return daily * weekly / _WEEK_MEAN


def _status_table() -> tuple[np.ndarray, np.ndarray]:
    """Codes (K) and cumulative probabilities (routes x K) of the base status mix."""
    codes = sorted(
        {c for extra in _ROUTE_EXTRA.values() for c in extra}
        | set(_BASE_ERRORS)
        | {r.ok_status for r in ROUTES}
    )
    probs = np.zeros((len(ROUTES), len(codes)))
    for i, route in enumerate(ROUTES):
        for code, p in {**_BASE_ERRORS, **_ROUTE_EXTRA[(route.method, route.shape)]}.items():
            probs[i, codes.index(code)] += p
        probs[i, codes.index(route.ok_status)] += 1.0 - probs[i].sum()
    return np.array(codes), np.cumsum(probs, axis=1)


def _lognormal(rng: np.random.Generator, mean: np.ndarray, cv: float) -> np.ndarray:
    sigma2 = np.log1p(cv**2)
    return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2))


def _pick(cum: np.ndarray, row: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Categorical draws: index of the first ``cum[row[i]]`` entry >= ``u[i]``, per row."""
    out = np.empty(len(u), dtype=np.int64)
    for r in range(cum.shape[0]):
        m = row == r
        out[m] = np.searchsorted(cum[r], u[m])
    return out


def _quota_rank(group: np.ndarray, arrival_ms: np.ndarray) -> np.ndarray:
    """0-based rank of each request by arrival within its (api, consumer, clock hour) group."""
    key = group * 2**22 + arrival_ms % 3_600_000  # ms within the hour < 2**22
    order = np.argsort(key, kind="stable")
    g = group[order]
    idx = np.arange(len(g))
    first = np.maximum.accumulate(np.where(np.r_[True, g[1:] != g[:-1]], idx, 0))
    rank = np.empty_like(idx)
    rank[order] = idx - first
    return rank


def generate_events(
    apis: list[ApiSpec],
    start: datetime,
    end: datetime,
    episodes: list[Episode],
    rate: float,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, dict[str, BackendStats]]:
    """Generate every request of ``[start, end)``.

    Args:
        apis: the APIs (``mean_rps`` already set for the low-traffic one).
        start: period start, UTC, whole minute.
        end: period end, UTC, whole minute.
        episodes: from :func:`apislo.simulate.episodes.schedule_episodes`.
        rate: volume multiplier (logged requests only; backend utilisation is unchanged).
        rng: the simulation's generator.

    Returns:
        Raw events (:data:`~apislo.sources.logs.base.RAW_SCHEMA` columns, sorted by ``ts``,
        ``latency_s`` in whole milliseconds) and the backend statistics per API.
    """
    t0 = int(start.timestamp())
    n_min = int((end - start).total_seconds() // 60)
    minutes_s = t0 + 60 * np.arange(n_min, dtype=np.int64)
    n_api = len(apis)

    # 1-2. load, backend utilisation and request counts per (api, minute)
    load = np.empty((n_api, n_min))
    service_mean = np.empty((n_api, n_min))
    outage = np.zeros((n_api, n_min))
    for i, api in enumerate(apis):
        load[i] = _profile(minutes_s, api)
        service_mean[i] = api.service_mean_s
    load *= rng.lognormal(-(_NOISE_SIGMA**2) / 2, _NOISE_SIGMA, load.shape)
    names = [a.name for a in apis]
    abuse_lambda = np.zeros((n_api, n_min))
    for ep in episodes:
        i, mask = names.index(ep.api), _minute_mask(minutes_s, ep)
        if ep.kind == "traffic-spike":
            load[i, mask] *= ep.params["load_factor"]
        elif ep.kind == "latency-regression":
            service_mean[i, mask] *= ep.params["service_factor"]
        elif ep.kind == "outage":
            outage[i, mask] = ep.params["error_fraction"]
        elif ep.kind == "abusive-consumer":
            abuse_lambda[i, mask] = ep.params["rps"] * rate * 60
    instances = np.array([a.instances for a in apis], dtype=np.float64)[:, None]
    backend_rps = (
        np.array([a.peak_rho * a.instances / a.service_mean_s for a in apis])[:, None]
        * load
        / _PEAK_PROFILE
    )
    rho = backend_rps * service_mean / instances
    counts = rng.poisson(np.array([a.mean_rps for a in apis])[:, None] * rate * load * 60)
    abuse_counts = rng.poisson(abuse_lambda)

    # 3. one row per request
    flat = np.concatenate([counts.ravel(), abuse_counts.ravel()])
    cell = np.repeat(np.tile(np.arange(n_api * n_min), 2), flat)
    abusive = np.repeat(np.r_[np.zeros(n_api * n_min, bool), np.ones(n_api * n_min, bool)], flat)
    n = len(cell)
    api_i, minute = cell // n_min, cell % n_min
    arrival_ms = minutes_s[minute] * 1000 + rng.integers(0, 60_000, n)

    weights = np.array([r.weight for r in ROUTES])
    route = rng.choice(len(ROUTES), n, p=weights / weights.sum())
    route[abusive] = rng.choice(2, int(abusive.sum()))  # scrapers list and fetch
    progress = (minutes_s[minute] - t0) / max(n_min * 60, 1)
    v1 = rng.random(n) < _V1_SHARE[0] + (_V1_SHARE[1] - _V1_SHARE[0]) * progress
    v1 |= abusive

    n_cons = len(CONSUMER_NAMES)
    zipf = (1.0 / np.arange(1, n_cons + 1) ** _ZIPF_S)[None, :] * rng.lognormal(
        0, 0.3, (n_api, n_cons)
    )
    cum = np.cumsum(zipf / zipf.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(n)
    consumer = np.minimum(_pick(cum, api_i, u), n_cons - 1)
    consumer[abusive] = n_cons  # the scraper, last in the name list

    # 4. status
    quotas = np.array(
        [PLANS[plan_of_rank(r)].quota_per_hour or np.iinfo(np.int64).max for r in range(n_cons)]
        + [PLANS["free"].quota_per_hour],
        dtype=np.int64,
    )
    hour = (arrival_ms // 3_600_000 - t0 // 3600).astype(np.int64)  # clock hours since start
    group = (api_i.astype(np.int64) * (n_cons + 1) + consumer) * (n_min // 60 + 2) + hour
    limited = _quota_rank(group, arrival_ms) >= quotas[consumer]

    codes, cum_status = _status_table()
    u = rng.random(n)
    status = codes[np.minimum(_pick(cum_status, route, u), len(codes) - 1)]
    rho_req = rho[api_i, minute]
    p_shed = np.where(rho_req > RHO_MAX, 1.0 - RHO_MAX / rho_req, 0.0)
    shed = rng.random(n) < p_shed
    out_codes = np.array([c for c, _ in _OUTAGE_MIX])
    out_cum = np.cumsum([p for _, p in _OUTAGE_MIX])
    failed = rng.random(n) < outage[api_i, minute]
    out_status = out_codes[np.minimum(np.searchsorted(out_cum, rng.random(n)), len(out_codes) - 1)]
    status = np.where(shed, 503, status)
    status = np.where(failed, out_status, status)
    status = np.where(limited, 429, status)
    gateway_answer = limited | (failed & (out_status == 503)) | (shed & ~failed)

    # 5. latency, whole milliseconds
    factors = np.array([r.service_factor for r in ROUTES])
    factors = factors / (weights / weights.sum() * factors).sum()
    es = service_mean[api_i, minute]
    cvs = np.array([a.service_cv for a in apis])
    service_s = np.empty(n)
    wait_s = np.empty(n)
    admitted_rps = backend_rps[api_i, minute] * (1.0 - p_shed)
    for i, api in enumerate(apis):
        m = api_i == i
        service_s[m] = _lognormal(rng, es[m] * factors[route[m]], cvs[i])
        wait_s[m] = sample_wait_s(rng, api.instances, admitted_rps[m], es[m], api.service_cv)
    upstream_ms = np.maximum(1, np.ceil((service_s + wait_s) * 1000)).astype(np.int64)
    attempts = np.ones(n, dtype=np.int64)
    is_502 = (status == 502) & ~gateway_answer
    upstream_ms[is_502] = rng.integers(2, 30, int(is_502.sum()))
    attempts[is_502] = 2
    upstream_ms[(status == 504) & ~gateway_answer] = UPSTREAM_TIMEOUT_MS
    upstream_ms[gateway_answer] = 0
    latency_ms = upstream_ms + rng.integers(1, 4, n)

    # 6. end on a whole second, start moved by < 1 s within the arrival minute
    end_ms = -(-(arrival_ms + latency_ms) // 1000) * 1000
    start_ms = end_ms - latency_ms
    start_ms = np.where(start_ms >= (minutes_s[minute] + 60) * 1000, start_ms - 1000, start_ms)

    # bytes
    is_write = np.isin(route, [i for i, r in enumerate(ROUTES) if r.method in ("POST", "PUT")])
    bytes_in = rng.integers(180, 700, n) + np.where(
        is_write, np.round(_lognormal(rng, np.full(n, 900.0), 0.6)), 0
    ).astype(np.int64)
    out_mean = np.array([6000.0 if r.shape == "list" else 1500.0 for r in ROUTES])[route]
    bytes_out = np.round(_lognormal(rng, out_mean, 0.5)).astype(np.int64)
    bytes_out = np.where(status >= 400, rng.integers(60, 240, n), bytes_out)
    bytes_out = np.where(np.isin(status, [204, 304]), 0, bytes_out)
    bytes_out = np.where(status == 201, rng.integers(200, 600, n), bytes_out)

    events = pl.DataFrame(
        {
            "ts": start_ms * 1000,
            "status": status,
            "latency_s": latency_ms / 1000.0,
            "upstream_latency_s": upstream_ms / 1000.0,
            "attempts": attempts,
            "bytes_in": bytes_in,
            "bytes_out": bytes_out,
            "api_i": api_i,
            "route": route,
            "consumer_i": consumer,
            "v1": v1,
            "gateway_answer": gateway_answer,
        }
    )
    events = events.with_columns(
        pl.col("ts").cast(pl.Datetime("us", "UTC")),
        method=pl.Series([r.method for r in ROUTES]).gather(events["route"]),
        path=_paths(events, apis, rng),
        host=pl.lit(HOST),
        consumer=pl.Series([*CONSUMER_NAMES, ABUSIVE_CONSUMER]).gather(events["consumer_i"]),
        api=pl.Series(names).gather(events["api_i"]),
        api_version=pl.when(pl.col("v1")).then(pl.lit("v1")).otherwise(pl.lit("v2")),
        upstream_latency_s=pl.when(pl.col("gateway_answer"))
        .then(None)
        .otherwise(pl.col("upstream_latency_s")),
        attempts=pl.when(pl.col("gateway_answer")).then(None).otherwise(pl.col("attempts")),
        termination=pl.lit(None),
        cache_status=pl.lit(None),
    )
    events = events.select(pl.col(c).cast(t) for c, t in RAW_SCHEMA.items()).sort(
        "ts", "api", maintain_order=True
    )

    stats = {
        a.name: BackendStats(
            instances=a.instances,
            service_mean_s=a.service_mean_s,
            service_cv=a.service_cv,
            peak_rho=a.peak_rho,
            max_rho=round(float(rho[i].max()), 4) if n_min else 0.0,
            shed_minutes=int((rho[i] > RHO_MAX).sum()),
        )
        for i, a in enumerate(apis)
    }
    return events, stats


def _route_ids(*shapes: str) -> list[int]:
    return [i for i, r in enumerate(ROUTES) if r.shape in shapes]


def _paths(events: pl.DataFrame, apis: list[ApiSpec], rng: np.random.Generator) -> pl.Series:
    """Concrete request targets: ``/v2/orders/123``, ``/v1/payments?page=3``..."""
    n = events.height
    api_i = events["api_i"].to_numpy()
    route = events["route"].to_numpy()
    listing = np.flatnonzero(np.isin(route, _route_ids("list")))
    with_id = np.isin(route, _route_ids("item", "sub"))
    is_sub = np.isin(route, _route_ids("sub"))
    heads = pl.Series([f"/{v}/{a.name}" for a in apis for v in ("v2", "v1")])
    tail = pl.repeat("", n, dtype=pl.String, eager=True)
    tail = tail.scatter(listing, "?page=" + pl.Series(rng.integers(1, 21, len(listing))).cast(str))
    # "/{id}" for items, "/{id}/{sub}" for sub-resources; ids drawn only where needed
    subs = pl.Series(["", *[f"/{a.sub_resource}" for a in apis]])
    for kind in ("int", "uuid", "hex"):
        of_kind = np.isin(api_i, [i for i, a in enumerate(apis) if a.id_kind == kind])
        rows = np.flatnonzero(of_kind & with_id)
        if len(rows):
            sub = subs.gather(np.where(is_sub[rows], api_i[rows] + 1, 0))
            tail = tail.scatter(rows, "/" + random_ids(rng, len(rows), kind) + sub)
    return heads.gather(api_i * 2 + events["v1"].to_numpy()) + tail
