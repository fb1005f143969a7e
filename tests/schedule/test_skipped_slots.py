"""A slot skipped because the job's lock was held runs once the lock is free (QA, 2026-11-29:
`run-due` recorded it `skipped` and then said "nothing due" for it forever, so a job whose run
outlasted the time to its next slot, or that a demo run held, lost that slot's report)."""

from __future__ import annotations

from datetime import UTC, datetime

from apislo.schedule.history import read_history
from apislo.schedule.jobs import load_jobs
from apislo.schedule.lock import job_lock
from apislo.schedule.run import run_due, run_job
from tests.schedule.test_run import dirs, fake  # noqa: F401  (the fixtures)

SLOT = "2026-11-28T06:00:00+00:00"  # the 06:00 UTC slot before 07:00 on 2026-11-28


def test_a_slot_skipped_for_a_held_lock_runs_when_the_lock_is_free(dirs, fake) -> None:  # noqa: F811
    sched, reports = dirs
    alpha = load_jobs(sched)[0]
    with job_lock(reports / ".locks", alpha.name):  # a run of an earlier slot, still going
        first = run_due(sched, reports, now=datetime(2026, 11, 28, 7, tzinfo=UTC))
    assert [(r.job, r.scheduled_for, r.status) for r in first] == [
        ("alpha", SLOT, "skipped"),
        ("beta", SLOT, "ok"),
    ]
    assert [out.name for _, out in fake.calls] == ["2026-11-27.html"]  # beta's
    second = run_due(sched, reports, now=datetime(2026, 11, 28, 7, 1, tzinfo=UTC))
    assert [(r.job, r.scheduled_for, r.status, r.output) for r in second] == [
        ("alpha", SLOT, "ok", "alpha/2026-11-27.html")
    ]
    assert run_due(sched, reports, now=datetime(2026, 11, 28, 7, 2, tzinfo=UTC)) == []
    assert len(fake.calls) == 2


def test_a_slot_the_lock_holder_ran_is_not_run_again(dirs, fake) -> None:  # noqa: F811
    """Two `run-due` at once for the same slot: the loser's skip does not make it run twice."""
    sched, reports = dirs
    alpha = load_jobs(sched)[0]
    now = datetime(2026, 11, 28, 7, tzinfo=UTC)
    with job_lock(reports / ".locks", alpha.name):
        run_due(sched, reports, now=now)  # alpha skipped, beta ran
    run_job(alpha, reports, datetime(2026, 11, 28, 6, tzinfo=UTC))  # what the holder did
    assert run_due(sched, reports, now=datetime(2026, 11, 28, 7, 1, tzinfo=UTC)) == []
    statuses = [(r.job, r.status) for r in read_history(reports)]
    assert statuses == [("alpha", "skipped"), ("beta", "ok"), ("alpha", "ok")]
    assert len(fake.calls) == 2
