"""M/M/c queueing maths for the simulated backends: Erlang C and waiting times.

A backend has ``c`` identical instances, requests arrive at ``lambda`` per second and a request
holds an instance for a service time ``S`` (mean ``E[S]`` seconds). The offered load is
``a = lambda * E[S]`` Erlangs and the utilisation ``rho = a / c``. For ``rho < 1``, Erlang's C
formula gives the probability that an arriving request has to wait; in an M/M/c queue the wait of
those that do is exponential with rate ``c / E[S] - lambda``. For non-exponential service times
the Allen-Cunneen approximation scales the mean wait by ``(1 + cv_s**2) / 2`` (Poisson arrivals).

>>> round(float(erlang_c(2, 1.0)), 6)   # c=2, lambda=1, mu=1: textbook value 1/3
0.333333
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from apislo.errors import ConfigError

__all__ = ["erlang_c", "mean_wait_s", "sample_wait_s"]


def erlang_c(c: int, offered_load: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Probability that an arriving request waits in an M/M/c queue (Erlang C).

    Computed through the numerically stable Erlang B recursion
    ``B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))`` and ``C = c B / (c - a (1 - B))``.

    Args:
        c: number of servers (backend instances), at least 1.
        offered_load: ``a = lambda * E[S]`` in Erlangs (scalar or array); must be below ``c``.

    Returns:
        ``P(wait > 0)`` with the shape of ``offered_load``.

    Raises:
        ConfigError: ``c`` is not a whole number >= 1, or a load is negative, NaN or not below
            ``c`` (the queue is unstable).
    """
    if isinstance(c, bool) or not isinstance(c, int | np.integer) or c < 1:
        raise ConfigError(f"a backend needs a whole number of instances >= 1, got c={c!r}")
    a = np.asarray(offered_load, dtype=np.float64)
    ok = (a >= 0) & (a < c)  # (NaN fails both)
    if not np.all(ok):
        raise ConfigError(
            f"offered load must be in [0, c={c}) Erlangs for a stable M/M/{c} queue; "
            f"got {_first_bad(a, ok):.3f}. Lower the load or add instances."
        )
    b = np.ones_like(a)
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1.0 - b))


def _first_bad(values: npt.NDArray[np.float64], ok: npt.NDArray[np.bool_]) -> float:
    """The first of ``values`` that is not ``ok``, for a message."""
    return float(values[~ok].flat[0])


def _rates(
    arrival_rps: npt.ArrayLike, service_mean_s: npt.ArrayLike, service_cv: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Arrival rates and mean service times as arrays, refused when negative or NaN (two
    negatives would make a positive load, and a negative wait), as is such a coefficient of
    variation ``service_cv`` (a NaN one made every wait NaN until 2026-11-30).

    Raises:
        ConfigError: a rate, a service time or ``service_cv`` is negative or NaN.
    """
    lam = np.asarray(arrival_rps, dtype=np.float64)
    es = np.asarray(service_mean_s, dtype=np.float64)
    cv = np.asarray(service_cv, dtype=np.float64)
    for name, value in (("arrival rate", lam), ("mean service time", es), ("service cv", cv)):
        ok = value >= 0  # (NaN fails)
        if not np.all(ok):
            raise ConfigError(f"{name} must be >= 0, got {_first_bad(value, ok)}")
    return lam, es


def mean_wait_s(
    c: int, arrival_rps: npt.ArrayLike, service_mean_s: npt.ArrayLike, service_cv: float = 1.0
) -> npt.NDArray[np.float64]:
    """Mean queueing delay in seconds (M/M/c, Allen-Cunneen corrected for ``service_cv``).

    Args:
        c: backend instances.
        arrival_rps: arrival rate, requests per second.
        service_mean_s: mean service time, seconds.
        service_cv: coefficient of variation of the service time (1 = exponential).

    Returns:
        ``E[W_q] = C(c, a) / (c / E[S] - lambda) * (1 + cv**2) / 2`` seconds.

    Raises:
        ConfigError: as :func:`erlang_c`, or a rate, service time or ``service_cv`` is
            negative or NaN.
    """
    lam, es = _rates(arrival_rps, service_mean_s, service_cv)
    p_wait = erlang_c(c, lam * es)
    return p_wait / (c / es - lam) * (1.0 + service_cv**2) / 2.0


def sample_wait_s(
    rng: np.random.Generator,
    c: int,
    arrival_rps: npt.ArrayLike,
    service_mean_s: npt.ArrayLike,
    service_cv: float = 1.0,
) -> npt.NDArray[np.float64]:
    """Draw one queueing delay per request (seconds), vectorised over requests.

    A request waits with probability ``C(c, a)``; a waiting request's delay is exponential with
    mean ``E[S] / (c (1 - rho)) * (1 + cv**2) / 2``, so the overall mean is :func:`mean_wait_s`.

    Args:
        rng: the simulation's random generator.
        c: backend instances.
        arrival_rps: per-request arrival rate of its minute (requests per second).
        service_mean_s: per-request mean service time, seconds.
        service_cv: coefficient of variation of the service time.

    Returns:
        Delays in seconds, zero for requests that found a free instance.

    Raises:
        ConfigError: as :func:`mean_wait_s`.
    """
    lam, es = _rates(arrival_rps, service_mean_s, service_cv)
    p_wait = erlang_c(c, lam * es)
    scale = (1.0 + service_cv**2) / 2.0 / (c / es - lam)
    waits = rng.random(lam.shape) < p_wait
    return np.where(waits, rng.exponential(1.0, lam.shape) * scale, 0.0)
