"""reports/index.html: latest per job, history, failures marked, everything escaped, offline."""

from __future__ import annotations

import re
from pathlib import Path

from apislo.report.site import build_site
from apislo.schedule.history import RunRecord, append_record, read_history


def rec(job: str, day: int, status: str, output: str = "", error: str = "") -> RunRecord:
    return RunRecord(
        job, f"2026-11-{day:02d}T06:00:00+00:00", f"2026-11-{day:02d}T06:00:01+00:00",
        f"2026-11-{day:02d}T06:01:00+00:00", status, output, error,
    )  # fmt: skip


def test_index_lists_latest_good_report_and_marks_failures(tmp_path: Path) -> None:
    (tmp_path / "daily").mkdir()
    (tmp_path / "daily" / "2026-11-01.html").write_text("ok")
    (tmp_path / "daily" / "2026-11-01.ipynb").write_text("{}")
    append_record(tmp_path, rec("daily", 1, "ok", "daily/2026-11-01.html"))
    append_record(
        tmp_path, rec("daily", 2, "failed", "daily/2026-11-02.html", "<script>x</script>")
    )
    page = build_site(tmp_path, ["daily", "monthly"], {"monthly": "Compliance <b>"}).read_text()
    latest = page.split("<h2>History</h2>")[0]
    # the last run failed, but the link is to the last good report
    assert 'class="status-failed"' in latest
    assert '<a href="daily/2026-11-01.html">latest report</a>' in latest
    assert '<a href="daily/2026-11-01.ipynb">notebook</a>' in latest
    assert "never run" in latest and "Compliance &lt;b&gt;" in latest
    # history: newest first, the failure's error escaped, no link to a report that was not written
    history = page.split("<h2>History</h2>")[1]
    assert history.index("2026-11-02T06:00") < history.index("2026-11-01T06:00")
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script" not in page
    assert 'href="daily/2026-11-02.html"' not in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)


def test_history_survives_a_torn_line(tmp_path: Path) -> None:
    append_record(tmp_path, rec("daily", 1, "ok"))
    with (tmp_path / "history.jsonl").open("a") as fh:
        fh.write('{"job": "daily", "sched')  # a writer killed mid-line
    append_record(tmp_path, rec("daily", 2, "ok"))
    assert [r.scheduled_for[:10] for r in read_history(tmp_path)] == ["2026-11-01", "2026-11-02"]
