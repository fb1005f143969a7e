"""SLO maths against OpenSLO's worked example and hand-computed small cases."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from apislo.errors import ConfigError, SpecError
from apislo.slo import maths
from apislo.slo.spec import SLI, TimeWindow

T0 = pd.Timestamp("2026-01-05T00:00Z")  # a Monday
TWO_WEEKS = TimeWindow.rolling_window(timedelta(days=14))
AVAILABILITY = SLI(kind="availability")


def _frame(requests: np.ndarray, failures: np.ndarray, step: str = "1min") -> pd.DataFrame:
    n = len(requests)
    return pd.DataFrame(
        {
            "ts": pd.date_range(T0, periods=n, freq=step),
            "api": "shop",
            "requests": requests,
            "status_5xx": failures,
            "status_4xx": 0,
            "status_429": 0,
        }
    )


def _units(frame: pd.DataFrame, method: str, slice_target: float | None = None) -> maths.Units:
    good, total = maths.good_total(frame, AVAILABILITY)
    counts = maths.to_counts(frame, good, total, by=("api",))
    return maths.budget_units(counts, method, slice_target, timedelta(minutes=1))


def _ddos_minutes(attack_minutes: int) -> pd.DataFrame:
    """Two weeks at 99 % success (99 of 100 a minute), then an attack at 1 % (1 of 100).

    The request volume does not matter to (Ratio)Timeslices: only the slice ratios do.
    """
    base, attack = 14 * 24 * 60, attack_minutes
    requests = np.full(base + attack, 100)
    failures = np.concatenate([np.full(base, 1), np.full(attack, 99)])
    return _frame(requests, failures)


def _first_exhausted_minute(remaining: np.ndarray) -> int:
    """Attack minutes until the remaining budget first reaches 0 (rows after the 2 weeks)."""
    base = 14 * 24 * 60
    after = remaining[base:, 0]
    return int(np.argmax(after <= 0)) + 1


def test_openslo_timeslices_exhaust_after_16h48m() -> None:
    # 2 weeks = 20,160 one-minute slices; budget = 5 % x 20,160 = 1,008 bad slices.
    # Baseline minutes (99 % good) meet the 95 % slice target; attack minutes (1 %) do not,
    # so the budget is gone after 1,008 attack minutes = 16 h 48 min (OpenSLO's figure).
    units = _units(_ddos_minutes(1100), "Timeslices", slice_target=0.95)
    sums = maths.window_sums(units, TWO_WEEKS)
    remaining = sums.remaining(0.95)
    minutes = _first_exhausted_minute(remaining)
    assert minutes == 1008
    assert timedelta(minutes=minutes) == timedelta(hours=16, minutes=48)
    # One minute earlier 1 slice of budget is left: 1 - 1007/1008.
    assert remaining[20160 + 1006, 0] == pytest.approx(1 / 1008, abs=1e-12)


def test_openslo_ratio_timeslices_exhaust_after_about_13h45m() -> None:
    # Budget = 5 % x 20,160 slices = 1,008 slice-units of (1 - ratio). After k attack minutes
    # the window holds 20,160 - k baseline slices (1 - 0.99 = 0.01 each) and k attack slices
    # (0.99 each): 0.01 (20,160 - k) + 0.99 k = 201.6 + 0.98 k. Exhausted when
    # 201.6 + 0.98 k >= 1,008, k >= 806.4 / 0.98 = 822.86: the 823rd minute, 13 h 43 min
    # ("about 13 hours and 45 minutes" in OpenSLO's example).
    units = _units(_ddos_minutes(900), "RatioTimeslices")
    remaining = maths.window_sums(units, TWO_WEEKS).remaining(0.95)
    minutes = _first_exhausted_minute(remaining)
    assert minutes == 823
    assert timedelta(minutes=minutes) == timedelta(hours=13, minutes=43)
    # Before the attack the baseline alone has used 201.6 / 1,008 = 20 % of the budget.
    assert remaining[20159, 0] == pytest.approx(0.8, abs=1e-9)


def test_openslo_occurrences_budget_is_16800_failures() -> None:
    # 24,000 requests a day for 14 days = 336,000 requests (1,000 an hour, hourly rows);
    # budget = 5 % x 336,000 = 16,800 failed requests. OpenSLO's "16,632 failed requests" is
    # 0.99 x 16,800: the failures among 16,800 attack requests served at 1 % availability.
    # After those 16,632 failures 168 failures (1 %) of budget are left; the 16,800th failure
    # exhausts it exactly.
    requests = np.full(14 * 24, 1000)
    failures = np.zeros(14 * 24, dtype=np.int64)
    failures[-17:-1] = 990  # 16 attack hours at 1 % availability: 15,840 failures
    failures[-1] = 792  # 15,840 + 792 = 16,632
    good, total = maths.good_total(_frame(requests, failures, "1h"), AVAILABILITY)
    counts = maths.to_counts(_frame(requests, failures, "1h"), good, total)
    sums = maths.window_sums(maths.budget_units(counts, "Occurrences"), TWO_WEEKS)
    assert sums.total_events[-1, 0] == 336_000
    assert sums.bad[-1, 0] == 16_632
    assert sums.remaining(0.95)[-1, 0] == pytest.approx(168 / 16_800, abs=1e-12)
    assert sums.sli()[-1, 0] == pytest.approx(1 - 16_632 / 336_000, abs=1e-15)
    failures[-1] += 168
    frame = _frame(requests, failures, "1h")
    counts = maths.to_counts(frame, *maths.good_total(frame, AVAILABILITY))
    sums = maths.window_sums(maths.budget_units(counts, "Occurrences"), TWO_WEEKS)
    assert sums.remaining(0.95)[-1, 0] == 0.0


def test_timeslices_without_traffic_count_as_good() -> None:
    # 10 one-minute slices: 2 with traffic (one bad: 5 of 10 good < 0.9), 8 empty.
    # Rolling 10 min window: 1 bad slice of 10 -> SLI 0.9; budget 0.5 x 10 = 5 slices,
    # remaining 1 - 1/5 = 0.8.
    requests = np.array([10, 0, 0, 10, 0, 0, 0, 0, 0, 0])
    failures = np.array([5, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    units = _units(_frame(requests, failures), "Timeslices", slice_target=0.9)
    sums = maths.window_sums(units, TimeWindow.rolling_window(timedelta(minutes=10)))
    assert sums.sli()[-1, 0] == pytest.approx(0.9)
    assert sums.remaining(0.5)[-1, 0] == pytest.approx(0.8)


def test_ratio_timeslices_skip_empty_slices() -> None:
    # Slices with traffic: ratios 0.5 and 1.0 -> mean 0.75; the 8 empty ones have no ratio.
    requests = np.array([10, 0, 0, 10, 0, 0, 0, 0, 0, 0])
    failures = np.array([5, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    units = _units(_frame(requests, failures), "RatioTimeslices")
    sums = maths.window_sums(units, TimeWindow.rolling_window(timedelta(minutes=10)))
    assert sums.sli()[-1, 0] == pytest.approx(0.75)
    assert sums.weight[-1, 0] == 2


def test_occurrences_rolling_and_burn_rate_by_hand() -> None:
    # Minutes: requests 100 each; failures 0,0,1,2,3. Rolling 3-minute window at the end:
    # 6 bad / 300 -> SLI 0.98, error ratio 0.02; objective 0.99 -> burn 0.02/0.01 = 2;
    # budget 0.01 x 300 = 3 events, remaining 1 - 6/3 = -1 (overspent: may go negative).
    frame = _frame(np.full(5, 100), np.array([0, 0, 1, 2, 3]))
    units = _units(frame, "Occurrences")
    sums = maths.window_sums(units, TimeWindow.rolling_window(timedelta(minutes=3)))
    assert sums.sli()[-1, 0] == pytest.approx(0.98)
    assert sums.remaining(0.99)[-1, 0] == pytest.approx(-1.0)
    burn = maths.burn_rate(units, timedelta(minutes=3), 0.99)
    assert burn[-1, 0] == pytest.approx(2.0)
    # 1-minute burn in the 3rd minute: 1/100 / 0.01 = 1.
    assert maths.burn_rate(units, timedelta(minutes=1), 0.99)[2, 0] == pytest.approx(1.0)


def test_calendar_month_resets_at_the_first_in_the_time_zone() -> None:
    # Hourly rows from 2026-01-31 20:00Z to 2026-02-01 03:00Z, 10 requests each, 1 failure in
    # every row. In Europe/Paris (UTC+1) February starts at 2026-01-31 23:00Z, so the row
    # starting 23:00Z opens a new period: its month-to-date sums are 10 requests, 1 bad.
    start = pd.Timestamp("2026-01-31T20:00Z")
    frame = pd.DataFrame(
        {
            "ts": pd.date_range(start, periods=8, freq="1h"),
            "requests": 10,
            "status_5xx": 1,
            "status_4xx": 0,
            "status_429": 0,
        }
    )
    counts = maths.to_counts(frame, *maths.good_total(frame, AVAILABILITY))
    sums = maths.window_sums(
        maths.budget_units(counts, "Occurrences"),
        TimeWindow.calendar_window("month", "Europe/Paris"),
    )
    assert sums.total_events[:, 0].tolist() == [10, 20, 30, 10, 20, 30, 40, 50]
    assert sums.bad[:, 0].tolist() == [1, 2, 3, 1, 2, 3, 4, 5]


def test_calendar_timeslices_budget_covers_the_whole_month() -> None:
    # February 2026 in UTC has 28 x 24 = 672 hours; 1-hour slices, objective 0.99:
    # budget = 0.01 x 672 = 6.72 slices whatever part of the month has passed.
    frame = pd.DataFrame(
        {
            "ts": pd.date_range("2026-02-01T00:00Z", periods=3, freq="1h"),
            "requests": [10, 10, 10],
            "status_5xx": [0, 9, 0],
            "status_4xx": 0,
            "status_429": 0,
        }
    )
    counts = maths.to_counts(frame, *maths.good_total(frame, AVAILABILITY))
    units = maths.budget_units(counts, "Timeslices", 0.9, timedelta(hours=1))
    sums = maths.window_sums(units, TimeWindow.calendar_window("month"))
    assert sums.budget_weight[-1, 0] == 672
    assert sums.remaining(0.99)[-1, 0] == pytest.approx(1 - 1 / 6.72)
    assert sums.sli()[-1, 0] == pytest.approx(2 / 3)


def test_status_classes_and_429() -> None:
    # 100 requests: 3 5xx, 10 4xx of which 4 are 429.
    frame = pd.DataFrame(
        {
            "ts": [T0],
            "requests": [100],
            "status_5xx": [3],
            "status_4xx": [10],
            "status_429": [4],
        }
    )
    cases = [
        (SLI(), 97),  # 5xx only
        (SLI(count_429=True), 93),  # 5xx + 429
        (SLI(bad_status=("4xx", "5xx")), 91),  # 5xx + 4xx except 429: 100 - 3 - 6
        (SLI(bad_status=("4xx", "5xx"), count_429=True), 87),  # every 4xx and 5xx
    ]
    for sli, expected_good in cases:
        good, total = maths.good_total(frame, sli)
        assert (good[0], total[0]) == (expected_good, 100), sli


def test_latency_threshold_must_be_a_bucket() -> None:
    frame = pd.DataFrame(
        {"ts": [T0], "latency_count": [10], "le_0.25": [7], "le_1": [9], "requests": [10]}
    )
    good, total = maths.good_total(frame, SLI(kind="latency"), threshold_s=0.25)
    assert (good[0], total[0]) == (7, 10)
    with pytest.raises(SpecError, match=r"0\.3 s.*buckets: 0\.25, 1"):
        maths.good_total(frame, SLI(kind="latency"), threshold_s=0.3)


def test_availability_and_latency_uses_exact_column_when_present() -> None:
    # 10 requests, 7 under 250 ms, 2 5xx. Exact joint count given: 6.
    # Without it the lower bound is 7 - 2 = 5.
    base = {"ts": [T0], "requests": [10], "latency_count": [10], "le_0.25": [7]}
    frame = pd.DataFrame({**base, "status_5xx": [2], "status_4xx": [0], "status_429": [0]})
    sli = SLI(kind="availability_and_latency")
    assert maths.good_total(frame, sli, 0.25)[0][0] == 5
    frame["good_le_0.25"] = 6
    assert maths.good_total(frame, sli, 0.25)[0][0] == 6


def test_groups_and_gaps_on_the_grid() -> None:
    # Two APIs; api b has no row in the second minute: its cell is 0, not missing.
    frame = pd.DataFrame(
        {
            "ts": [T0, T0, T0 + pd.Timedelta("1min")],
            "api": ["a", "b", "a"],
            "requests": [1, 2, 3],
            "status_5xx": [0, 1, 0],
            "status_4xx": 0,
            "status_429": 0,
        }
    )
    counts = maths.to_counts(frame, *maths.good_total(frame, AVAILABILITY), by=("api",))
    assert counts.groups["api"].tolist() == ["a", "b"]
    assert counts.total.tolist() == [[1, 2], [3, 0]]
    assert counts.good.tolist() == [[1, 1], [3, 0]]


def test_off_grid_timestamps_and_windows_are_refused() -> None:
    frame = _frame(np.full(3, 1), np.zeros(3))
    frame.loc[1, "ts"] += pd.Timedelta("10s")
    with pytest.raises(ConfigError, match="not on a 0 days 00:01:00 grid"):
        maths.to_counts(frame, np.ones(3), np.ones(3), step="1min")
    units = _units(_frame(np.full(3, 1), np.zeros(3)), "Occurrences")
    with pytest.raises(ConfigError, match="not a whole number"):
        maths.burn_rate(units, timedelta(seconds=90), 0.99)


def test_wilson_and_low_traffic_workbook_case() -> None:
    # Workbook: 10 requests an hour, 99.9 %: one failure in an hour is an error ratio of 0.1,
    # a burn of 0.1 / 0.001 = 100 > 14.4, so such an SLI is flagged as low traffic.
    # 1,000 requests an hour are not: 1 failure is a burn of 1.
    window = timedelta(days=30)
    flags = maths.low_traffic(np.array([10.0 * 720, 1000.0 * 720]), window, 0.999)
    assert flags.tolist() == [True, False]
    # Wilson 95 % for 0 of 0 is undefined; for 10 of 10 the upper bound is 1 and the lower
    # bound n / (n + z^2) = 10 / 13.8415 = 0.7225.
    lo, hi = maths.wilson_interval(np.array([10.0, 0.0]), np.array([10.0, 0.0]))
    assert lo[0] == pytest.approx(10 / (10 + maths.Z95**2))
    assert hi[0] == pytest.approx(1.0)
    assert np.isnan(lo[1])


@pytest.mark.parametrize("order", [["ts", "api"], ["api", "ts"], None])
def test_complete_frames_in_any_order_give_the_same_grid(order: list[str] | None) -> None:
    # Two APIs x three minutes, every cell present; a: requests 1, 2, 3; b: 10, 20, 30.
    frame = pd.DataFrame(
        {
            "ts": [T0, T0, T0 + pd.Timedelta("1min"), T0 + pd.Timedelta("1min"),
                   T0 + pd.Timedelta("2min"), T0 + pd.Timedelta("2min")],
            "api": pd.Categorical(["a", "b"] * 3, categories=["unused", "a", "b"]),
            "requests": [1, 10, 2, 20, 3, 30],
            "status_5xx": [0, 1, 0, 0, 1, 0],
            "status_4xx": 0,
            "status_429": 0,
        }
    )  # fmt: skip
    if order is None:
        frame = frame.iloc[[5, 0, 3, 2, 4, 1]]  # shuffled: the bincount path
    else:
        frame = frame.sort_values(order, kind="stable")
    counts = maths.to_counts(frame, *maths.good_total(frame, AVAILABILITY), by=("api",))
    assert counts.groups["api"].tolist() == ["a", "b"]  # the unused category is dropped
    assert counts.total.tolist() == [[1, 10], [2, 20], [3, 30]]
    assert counts.good.tolist() == [[1, 9], [2, 20], [2, 30]]


@pytest.mark.parametrize("order", ["time-major", "group-major", "shuffled"])
def test_to_counts_gives_the_same_grid_whatever_the_row_order(order: str) -> None:
    from apislo.slo.maths import to_counts

    t0 = pd.Timestamp("2026-01-01T00:00Z")
    rows = [  # (minute, api, good, total)
        (0, "a", 1, 2),
        (0, "b", 3, 3),
        (1, "a", 0, 1),
        (1, "b", 5, 6),
        (2, "a", 7, 7),
        (2, "b", 0, 0),
    ]
    frame = pd.DataFrame(rows, columns=["minute", "api", "good", "total"])
    if order == "group-major":
        frame = frame.sort_values(["api", "minute"], kind="stable")
    elif order == "shuffled":  # and one row missing: the scatter path fills it with zeros
        frame = frame.iloc[[3, 0, 4, 1, 2]]
    frame["ts"] = t0 + pd.to_timedelta(frame["minute"], unit="min")
    counts = to_counts(frame, frame["good"].to_numpy(), frame["total"].to_numpy(), ("api",),
                       "1min", t0, t0 + pd.Timedelta(minutes=3))  # fmt: skip
    assert counts.groups["api"].tolist() == (["b", "a"] if order == "shuffled" else ["a", "b"])
    a, b = (1, 0) if order == "shuffled" else (0, 1)
    assert counts.good[:, a].tolist() == [1, 0, 7]
    assert counts.total[:, a].tolist() == [2, 1, 7]
    assert counts.good[:, b].tolist() == [3, 5, 0]
    assert counts.total[:, b].tolist() == [3, 6, 0]


def test_op_lt_counts_requests_strictly_below_the_threshold() -> None:
    # latencies 0.1, 0.3, 0.3, 0.5 s: 3 at most 0.3 s (le), 1 strictly below it (lt);
    # one of the two at 0.3 s is a 5xx, so 2 are fast and not bad with lte, 1 with lt
    base = {"ts": [T0], "requests": [4], "latency_count": [4], "le_0.3": [3], "lt_0.3": [1]}
    frame = pd.DataFrame(base)
    latency = SLI(kind="latency")
    assert maths.good_total(frame, latency, 0.3)[0][0] == 3
    assert maths.good_total(frame, latency, 0.3, "lt")[0][0] == 1
    both = SLI(kind="availability_and_latency")
    frame = frame.assign(**{"good_le_0.3": [2], "good_lt_0.3": [1]})
    assert maths.good_total(frame, both, 0.3, "lt")[0][0] == 1
    # a histogram (le buckets only) cannot tell the requests at exactly 0.3 s
    with pytest.raises(SpecError) as info:
        maths.good_total(frame.drop(columns=["lt_0.3"]), latency, 0.3, "lt")
    assert info.value.field == "objectives[].op"
    assert "no 'lt_0.3' column" in info.value.problem


def test_window_errors_print_durations_as_specs_write_them() -> None:
    # they used to print pandas' "1 days 00:00:00" and "0 days 00:07:00"
    frame = _frame(np.full(1440, 10), np.zeros(1440))
    good, total = maths.good_total(frame, AVAILABILITY)
    counts = maths.to_counts(frame, good, total)
    units = maths.budget_units(counts, "Timeslices", 0.9, timedelta(minutes=7))
    with pytest.raises(ConfigError) as info:
        maths.window_sums(units, TimeWindow.rolling_window(timedelta(days=1)))
    assert str(info.value) == (
        "SLO window 1d is not a whole number of 7m units (the data interval, or the timeslice "
        "window); choose a multiple of it"
    )
    frame = _frame(np.full(720, 10), np.zeros(720), step="2min")
    good, total = maths.good_total(frame, AVAILABILITY)
    counts = maths.to_counts(frame, good, total)
    with pytest.raises(ConfigError) as info:
        maths.budget_units(counts, "Timeslices", 0.9, timedelta(minutes=5))
    assert str(info.value) == (
        "timeslice window 5m is not a multiple of the data interval 2m; use a finer interval "
        "or a longer slice"
    )
