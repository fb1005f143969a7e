"""An hourly job's data window across DST changes: every hour of data reported once, worked out
by hand from Europe/Paris's 2026 clock changes (29 March 02:00+01:00 -> 03:00+02:00, that is
01:00Z; 25 October 03:00+02:00 -> 02:00+01:00, that is 01:00Z)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from apislo.schedule.due import due_slot, last_fire, period_window
from apislo.schedule.jobs import load_job


def _hourly(tmp_path: Path):
    path = tmp_path / "scheduled" / "hourly.yaml"
    path.parent.mkdir()
    path.write_text(
        "name: hourly\nnotebook: notebooks/x.ipynb\ncron: '5 * * * *'\n"
        "timezone: Europe/Paris\nperiod: hour\n"
        "output: 'hourly/{period_start:%Y-%m-%dT%H%M}.html'\n"
    )
    return load_job(path)


def _utc_window(job, now: datetime) -> tuple[datetime, datetime, str]:
    slot = last_fire(job, now)
    start, end = period_window(job, slot)
    return start.astimezone(UTC), end.astimezone(UTC), job.render(slot, start, end)[1]


def test_hour_after_clocks_jump_forward_is_reported(tmp_path: Path) -> None:
    # Slots: 01:05+01:00 (00:05Z) reports 00:00-01:00 local, 23:00Z-00:00Z. There is no 02:05:
    # the next slot is 03:05+02:00 (01:05Z), whose last full hour is 01:00-02:00+01:00
    # (00:00Z-01:00Z; the clock then reads 03:00). Until 2026-11-29 it was the empty window
    # 01:00Z-01:00Z, named after the 02:00 that never was, and 00:00Z-01:00Z was never reported.
    job = _hourly(tmp_path)
    assert _utc_window(job, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == (
        datetime(2026, 3, 28, 23, tzinfo=UTC),
        datetime(2026, 3, 29, 0, tzinfo=UTC),
        "hourly/2026-03-29T0000.html",
    )
    assert _utc_window(job, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == (
        datetime(2026, 3, 29, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 1, tzinfo=UTC),
        "hourly/2026-03-29T0100.html",
    )
    assert _utc_window(job, datetime(2026, 3, 29, 2, 30, tzinfo=UTC)) == (
        datetime(2026, 3, 29, 1, tzinfo=UTC),
        datetime(2026, 3, 29, 2, tzinfo=UTC),
        "hourly/2026-03-29T0300.html",
    )


def test_hour_that_comes_twice_is_reported_whole(tmp_path: Path) -> None:
    # 02:05 comes twice (00:05Z at +02:00, 01:05Z at +01:00) and runs once, at 00:05Z, for
    # 01:00-02:00+02:00 (23:00Z-00:00Z). The slot after, 03:05+01:00 (02:05Z), reports the
    # local hour 02:00-03:00, both passes: 00:00Z-02:00Z. Until 2026-11-29 it was the same.
    job = _hourly(tmp_path)
    first = last_fire(job, datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    assert due_slot(job, datetime(2026, 10, 25, 1, 30, tzinfo=UTC), [first.isoformat()]) is None
    assert _utc_window(job, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == (
        datetime(2026, 10, 24, 23, tzinfo=UTC),
        datetime(2026, 10, 25, 0, tzinfo=UTC),
        "hourly/2026-10-25T0100.html",
    )
    assert _utc_window(job, datetime(2026, 10, 25, 2, 30, tzinfo=UTC)) == (
        datetime(2026, 10, 25, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 2, tzinfo=UTC),
        "hourly/2026-10-25T0200.html",
    )


def test_hour_in_a_half_hour_zone(tmp_path: Path) -> None:
    # Asia/Kolkata (+05:30, no DST): the 10:05 slot reports 09:00-10:00 local, 03:30Z-04:30Z.
    job = replace(_hourly(tmp_path), timezone="Asia/Kolkata")
    assert _utc_window(job, datetime(2026, 11, 29, 4, 40, tzinfo=UTC))[:2] == (
        datetime(2026, 11, 29, 3, 30, tzinfo=UTC),
        datetime(2026, 11, 29, 4, 30, tzinfo=UTC),
    )
