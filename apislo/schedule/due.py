"""When a job is due, and which data window a run covers (croniter, in the job's time zone).

A job is due when its most recent fire time at or before *now* has no run in the history. Only that
latest slot runs, so after downtime a job catches up once, not once per missed slot; a wall-clock
time that comes twice when clocks go back is one slot.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from apislo.schedule.jobs import Job

__all__ = ["due_slot", "last_fire", "next_fires", "period_window"]


def last_fire(job: Job, now: datetime) -> datetime:
    """The job's most recent fire time at or before ``now`` (aware, in the job's zone).

    croniter's ``get_prev`` can land a day early when clocks go back (at 01:00Z on 2026-10-25 a
    Paris ``30 2 * * *`` job got 2026-10-24 02:30); its ``get_next`` does not, so the answer is
    walked forward from a little before ``get_prev``'s, comparing instants (not wall times).
    """
    from croniter import croniter

    local_now = now.astimezone(job.zone)
    last = croniter(job.cron, local_now + timedelta(seconds=1)).get_prev(datetime)
    it = croniter(job.cron, last - timedelta(hours=3))
    while (fire := it.get_next(datetime)).astimezone(UTC) <= now.astimezone(UTC):
        last = fire
    return last


def next_fires(job: Job, now: datetime, count: int = 3) -> list[datetime]:
    """The job's next ``count`` fire times after ``now`` (aware, in the job's zone); a wall-clock
    time that comes twice when clocks go back is listed once, as it runs once."""
    from croniter import croniter

    it = croniter(job.cron, now.astimezone(job.zone))
    fires: list[datetime] = []
    previous = _wall(last_fire(job, now), job)
    while len(fires) < count:
        fire = it.get_next(datetime)
        if _wall(fire, job) != previous:
            fires.append(fire)
        previous = _wall(fire, job)
    return fires


def period_window(job: Job, scheduled: datetime) -> tuple[datetime, datetime]:
    """``[start, end)`` of the last full period before ``scheduled``, in the job's zone.

    ``day`` is yesterday (local midnight to midnight, 23 or 25 hours on DST days), ``week`` the last
    full ISO week (Monday to Monday), ``month`` the last calendar month, ``hour`` the last full
    local hour (the hour before 03:00 when clocks jump from 02:00 to 03:00 is 01:00 to 03:00,
    one hour long; the local hour 02:00 to 03:00 that comes twice when they go back is two
    hours long); ``none`` gives ``(scheduled, scheduled)``.
    """
    local = scheduled.astimezone(job.zone)
    if job.period == "none":
        return local, local
    if job.period == "hour":
        end = local.replace(minute=0, second=0, microsecond=0)
        before = (end.astimezone(UTC) - timedelta(hours=1)).astimezone(job.zone)
        return _local(before.replace(minute=0, second=0, microsecond=0), job), end
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if job.period == "day":
        return _local(midnight - timedelta(days=1), job), midnight
    if job.period == "week":
        end = _local(midnight - timedelta(days=local.weekday()), job)
        return _local(end - timedelta(days=7), job), end
    end = midnight.replace(day=1)
    start = (end - timedelta(days=1)).replace(day=1)
    return _local(start, job), _local(end, job)


def _local(wall: datetime, job: Job) -> datetime:
    """Re-attach the zone to a wall-clock time so the UTC offset is the one valid on that date
    (for a time that comes twice when clocks go back, its first pass)."""
    return wall.replace(tzinfo=None, fold=0).replace(tzinfo=job.zone)


def due_slot(job: Job, now: datetime, done_slots: Iterable[str]) -> datetime | None:
    """The slot to run now, or ``None`` when the latest slot already ran.

    Args:
        job: the job.
        now: current time (aware).
        done_slots: ISO ``scheduled_for`` values of this job's recorded runs.
    """
    slot = last_fire(job, now)
    # A slot is done when a run had its local wall-clock time: when clocks go back, 02:30 comes
    # twice (+02:00, then +01:00), and cron runs a job once, not once per pass.
    done = {_wall(datetime.fromisoformat(s), job) for s in done_slots}
    return None if _wall(slot, job) in done else slot


def _wall(moment: datetime, job: Job) -> datetime:
    """``moment``'s wall-clock time in the job's zone (naive)."""
    return moment.astimezone(job.zone).replace(tzinfo=None)
