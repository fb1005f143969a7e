"""Erlang C and M/M/c waiting times against textbook values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apislo.errors import ConfigError
from apislo.simulate.queueing import erlang_c, mean_wait_s, sample_wait_s


def test_erlang_c_two_servers_textbook() -> None:
    # c=2, lambda=1, mu=1 -> a=1: C = (a^2/2! * 2/(2-1)) / (1 + a + a^2/2! * 2/(2-1)) = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)


def test_erlang_c_three_servers_by_hand() -> None:
    # c=3, a=2: a^3/3! * 3/(3-2) = 8/6 * 3 = 4; sum_{k<3} a^k/k! = 1 + 2 + 2 = 5 -> C = 4/9
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9, rel=1e-12)


def test_erlang_c_one_server_is_rho() -> None:
    rho = np.array([0.0, 0.1, 0.5, 0.9, 0.99])
    np.testing.assert_allclose(erlang_c(1, rho), rho, rtol=1e-12)


def test_erlang_c_vectorised_shape() -> None:
    out = erlang_c(2, np.array([[1.0, 1.0], [0.0, 1.0]]))
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out, [[1 / 3, 1 / 3], [0.0, 1 / 3]], rtol=1e-12)


def test_mean_wait_mm1_and_mm3() -> None:
    # M/M/1, lambda=0.5, mu=1: Wq = rho / (mu - lambda) = 0.5 / 0.5 = 1 s
    assert mean_wait_s(1, 0.5, 1.0) == pytest.approx(1.0, rel=1e-12)
    # M/M/3, lambda=2, mu=1: Wq = C / (c mu - lambda) = (4/9) / 1
    assert mean_wait_s(3, 2.0, 1.0) == pytest.approx(4 / 9, rel=1e-12)
    # Allen-Cunneen: deterministic service (cv=0) halves the M/M/1 wait (M/D/1 is exact: 0.5 s)
    assert mean_wait_s(1, 0.5, 1.0, service_cv=0.0) == pytest.approx(0.5, rel=1e-12)


def test_sample_wait_matches_the_formula() -> None:
    rng = np.random.default_rng(1)
    n = 400_000
    waits = sample_wait_s(rng, 2, np.full(n, 1.0), np.full(n, 1.0))
    # P(wait > 0) = 1/3 (sd of the estimate ~0.0007), mean wait = (1/3) / (2 - 1) = 1/3 s
    assert (waits > 0).mean() == pytest.approx(1 / 3, abs=0.004)
    assert waits.mean() == pytest.approx(1 / 3, rel=0.02)


def _erlang_c_by_sums(c: int, a: float) -> float:
    """Erlang C from its textbook sums: (a^c/c! c/(c-a)) / (sum_{k<c} a^k/k! + a^c/c! c/(c-a))."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_call_centre_example() -> None:
    # 100 calls per 30 min, 180 s handling time, 11 agents: a = 100 x 180 / 1800 = 10 Erlangs.
    # P(wait) = 0.6821 (the usual worked example), speed of answer = C x 180 / (11 - 10) = 122.8 s
    lam, aht = 100 / 1800, 180.0
    assert erlang_c(11, 10.0) == pytest.approx(_erlang_c_by_sums(11, 10.0), rel=1e-12)
    assert round(float(erlang_c(11, 10.0)), 4) == 0.6821
    assert mean_wait_s(11, lam, aht) == pytest.approx(_erlang_c_by_sums(11, 10.0) * aht, rel=1e-12)
    # service level: P(W_q <= 20 s) = 1 - C exp(-(c - a) 20 / AHT) = 39.0 %
    level = 1 - _erlang_c_by_sums(11, 10.0) * math.exp(-(11 - 10) * 20 / aht)
    assert round(level, 3) == 0.390


@pytest.mark.parametrize(
    ("c", "load"),
    [
        (0, 0.5),
        (2, 2.0),
        (2, 2.5),
        (1, -0.1),
        # NaN passed both range checks and gave P(wait) = NaN; a fractional c a TypeError
        (2, math.nan),
        (2, [0.5, math.nan]),
        (2.5, 1.0),
    ],
)
def test_unstable_or_invalid_queue_is_refused(c: int, load: float) -> None:
    with pytest.raises(ConfigError):
        erlang_c(c, load)


@pytest.mark.parametrize(("arrival_rps", "service_mean_s"), [(-1.0, -1.0), (math.nan, 1.0)])
def test_negative_or_nan_rates_are_refused(arrival_rps: float, service_mean_s: float) -> None:
    # -1 x -1 is a load of 1 in [0, 2): the wait came out as 1/3 / (2 / -1 + 1) = -1/3 s
    with pytest.raises(ConfigError):
        mean_wait_s(2, arrival_rps, service_mean_s)
    with pytest.raises(ConfigError):
        sample_wait_s(np.random.default_rng(0), 2, arrival_rps, service_mean_s)


@pytest.mark.parametrize("service_cv", [math.nan, -0.5])
def test_a_negative_or_nan_service_cv_is_refused(service_cv: float) -> None:
    # a NaN cv made every wait NaN, silently (until 2026-11-30); a cv is never negative
    with pytest.raises(ConfigError, match="service cv must be >= 0"):
        mean_wait_s(2, 1.0, 1.0, service_cv)
    with pytest.raises(ConfigError, match="service cv must be >= 0"):
        sample_wait_s(np.random.default_rng(0), 1, np.full(3, 0.9), 1.0, service_cv)
