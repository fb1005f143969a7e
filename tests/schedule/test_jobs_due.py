"""Job files and due-time arithmetic: windows worked out by hand from the calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from apislo.errors import ConfigError
from apislo.schedule.due import due_slot, last_fire, next_fires, period_window
from apislo.schedule.jobs import load_job, load_jobs

JOB = """\
name: daily
notebook: notebooks/x.ipynb
cron: "0 6 * * *"
timezone: {tz}
period: {period}
parameters:
  start: "{{period_start}}"
  end: "{{period_end}}"
  api: payments
output: "daily/{{period_start:%Y-%m-%d}}.html"
retries: 1
keep: 2
"""


def write_job(tmp_path: Path, tz: str = "UTC", period: str = "day", name: str = "daily.yaml"):
    sched = tmp_path / "scheduled"
    sched.mkdir(exist_ok=True)
    path = sched / name
    path.write_text(JOB.format(tz=tz, period=period))
    return load_job(path)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_job_loads_with_defaults_and_resolves_notebook(tmp_path: Path) -> None:
    job = write_job(tmp_path)
    assert (job.name, job.cron, job.retries, job.keep) == ("daily", "0 6 * * *", 1, 2)
    assert job.notebook == tmp_path / "notebooks" / "x.ipynb"
    assert (job.timeout_s, job.cell_timeout_s) == (1800.0, 600)


def test_render_templates_parameters_and_output(tmp_path: Path) -> None:
    job = write_job(tmp_path)
    slot = utc(2026, 11, 28, 6)
    params, output = job.render(slot, *period_window(job, slot))
    assert params == {
        "start": "2026-11-27T00:00:00+00:00",
        "end": "2026-11-28T00:00:00+00:00",
        "api": "payments",
    }
    assert output == "daily/2026-11-27.html"


def test_monthly_output_is_named_by_local_month(tmp_path: Path) -> None:
    # Paris job on 1 Nov: October, which starts 30 Sep 22:00Z; the file is named 2026-10
    job = write_job(tmp_path, tz="Europe/Paris", period="month")
    slot = datetime(2026, 11, 1, 6, tzinfo=job.zone)
    params, output = job.render(slot, *period_window(job, slot))
    assert output == "daily/2026-10-01.html"
    assert params["start"] == "2026-10-01T00:00:00+02:00"
    assert params["end"] == "2026-11-01T00:00:00+01:00"


def test_day_window_on_dst_day_is_23_hours(tmp_path: Path) -> None:
    # Europe/Paris moved to summer time on Sunday 2026-03-29 (last Sunday of March):
    # that day runs 00:00+01:00 (23:00Z the day before) to 00:00+02:00 (22:00Z): 23 hours.
    job = write_job(tmp_path, tz="Europe/Paris")
    start, end = period_window(job, datetime(2026, 3, 30, 6, tzinfo=job.zone))
    assert start.astimezone(UTC) == utc(2026, 3, 28, 23)
    assert end.astimezone(UTC) == utc(2026, 3, 29, 22)


def test_week_window_is_last_full_iso_week(tmp_path: Path) -> None:
    # 2026-11-25 is a Wednesday (Nov 1 2026 is a Sunday); last full week: Mon 16 .. Mon 23.
    job = write_job(tmp_path, period="week")
    assert period_window(job, utc(2026, 11, 25, 6)) == (utc(2026, 11, 16), utc(2026, 11, 23))


def test_month_window_crossing_dst_end(tmp_path: Path) -> None:
    # October 2026 in Paris: 1 Oct 00:00+02:00 (30 Sep 22:00Z) to 1 Nov 00:00+01:00 (31 Oct 23:00Z)
    job = write_job(tmp_path, tz="Europe/Paris", period="month")
    start, end = period_window(job, datetime(2026, 11, 1, 7, tzinfo=job.zone))
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        utc(2026, 9, 30, 22),
        utc(2026, 10, 31, 23),
    )


def test_due_runs_latest_slot_once_and_catches_up_once(tmp_path: Path) -> None:
    job = write_job(tmp_path)
    now = utc(2026, 11, 28, 5)
    slot = due_slot(job, now, [])
    assert slot == utc(2026, 11, 27, 6)  # 06:00 today has not come yet
    assert due_slot(job, now, [slot.isoformat()]) is None
    # three days of downtime: only the latest missed slot is due, once
    later = utc(2026, 11, 30, 9)
    assert due_slot(job, later, [slot.isoformat()]) == utc(2026, 11, 30, 6)
    assert last_fire(job, utc(2026, 11, 30, 6)) == utc(2026, 11, 30, 6)


def test_a_time_that_comes_twice_when_clocks_go_back_runs_once(tmp_path: Path) -> None:
    """02:30 in Paris on 2026-10-25 is 00:30Z (+02:00) and again 01:30Z (+01:00): the run of
    the first pass is the day's run, as classic cron has it."""
    path = tmp_path / "dst.yaml"
    path.write_text(JOB.format(tz="Europe/Paris", period="day").replace("0 6 * * *", "30 2 * * *"))
    job = load_job(path)
    first = due_slot(job, utc(2026, 10, 25, 0, 45), [])
    assert first is not None and first.astimezone(UTC) == utc(2026, 10, 25, 0, 30)
    for now in (utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 1, 31), utc(2026, 10, 25, 2)):
        assert due_slot(job, now, [first.isoformat()]) is None
    # the latest fire never moves back: 00:30Z until the second pass at 01:30Z
    fires = [last_fire(job, utc(2026, 10, 25, 1, m)).astimezone(UTC) for m in (0, 15, 30)]
    assert fires == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)]
    nxt = due_slot(job, utc(2026, 10, 26, 2), [first.isoformat()])
    assert nxt is not None and nxt.astimezone(UTC) == utc(2026, 10, 26, 1, 30)
    # `schedule list` shows the day's 02:30 once too (+02:00), then the next day's
    fires = [f.astimezone(UTC) for f in next_fires(job, utc(2026, 10, 24, 12), 3)]
    assert fires == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30), utc(2026, 10, 27, 1, 30)]
    between = next_fires(job, utc(2026, 10, 25, 1), 1)  # after the run, before the second pass
    assert [f.astimezone(UTC) for f in between] == [utc(2026, 10, 26, 1, 30)]


def test_next_fires_in_job_zone(tmp_path: Path) -> None:
    job = write_job(tmp_path, tz="Europe/Paris")
    fires = next_fires(job, utc(2026, 11, 28, 12), 2)
    # 06:00 in Paris in winter is 05:00Z
    assert [f.astimezone(UTC) for f in fires] == [utc(2026, 11, 29, 5), utc(2026, 11, 30, 5)]


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("0 6 * * *", "61 6 * * *"), "cron"),
        (("timezone: UTC", "timezone: Mars/Base"), "timezone"),
        (("period: day", "period: fortnight"), "period"),
        (("api: payments", "api_token: abc"), "environment"),
        (("keep: 2", "keep: 2\ncolour: red"), "unknown keys"),
        (('output: "daily/', 'output: "../../etc/'), "stay under"),
    ],
)
def test_invalid_job_files_are_refused(tmp_path: Path, replace: tuple[str, str], message: str):
    path = tmp_path / "bad.yaml"
    path.write_text(JOB.format(tz="UTC", period="day").replace(*replace))
    with pytest.raises(ConfigError, match=message) as info:
        job = load_job(path)
        job.render(utc(2026, 1, 2), utc(2026, 1, 1), utc(2026, 1, 2))
    assert "bad.yaml" in str(info.value)


def test_duplicate_job_names_are_refused(tmp_path: Path) -> None:
    write_job(tmp_path, name="a.yaml")
    write_job(tmp_path, name="b.yaml")
    with pytest.raises(ConfigError, match="used by"):
        load_jobs(tmp_path / "scheduled")
