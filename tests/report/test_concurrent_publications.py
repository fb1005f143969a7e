"""Two processes publishing one report at once (two `apislo report run --out` the same file, a
scheduled run beside one by hand) take turns: the report and its notebook are of one run.

Each renamed its files one by one, with nothing between two publishers: when the second
published between the first one's two renames, the HTML of one run was left beside the notebook
of the other. Found on 2026-11-30.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from apislo.report import run_report
from apislo.report.atomic import atomic_write_text, atomic_write_texts
from tests.conftest import wait_until_waiting
from tests.report.conftest import NOTEBOOKS


def _pair(out: Path, run: str) -> dict[Path, str]:
    """What a run publishes: its notebook, then its HTML (as the runner orders them)."""
    return {out.with_suffix(".ipynb"): f"notebook of {run}", out: f"report of {run}"}


def test_a_second_publication_waits_for_the_first_ones_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run B publishes the same report when run A has renamed its notebook, not yet its HTML:
    B waits for A's lock (seen in /proc/locks), then replaces both. The pair is B's, whole,
    where it used to be A's report beside B's notebook; no lock file is left."""
    out = tmp_path / "daily.html"
    second = threading.Thread(target=atomic_write_texts, args=(_pair(out, "B"),))
    real_replace = os.replace

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        real_replace(source, target)
        if second.ident is None:  # A's first rename is done: B publishes now
            second.start()
            lock = tmp_path / ".publish.lock"
            if lock.exists():  # (A holds it)
                wait_until_waiting(lock, second)
            else:  # (no lock to wait for: B runs through)
                second.join(timeout=10)

    monkeypatch.setattr(os, "replace", replace)
    atomic_write_texts(_pair(out, "A"))
    second.join(timeout=10)
    assert (out.read_text(), out.with_suffix(".ipynb").read_text()) == (
        "report of B",
        "notebook of B",
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["daily.html", "daily.ipynb"]


def test_a_good_run_never_removes_the_failed_notebook_of_a_run_that_failed_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run A succeeds, run B of the same report fails, finishing together: B keeps its failed
    notebook just as A removes the failed notebook of an earlier run. A removed it after letting
    go of the publication lock, so B's could be kept first and then removed by A, no failed
    notebook left for the last run, which failed. Now A removes it under the lock: B, which
    keeps it under the lock too (:func:`atomic_write_text`, as the runner keeps one), waits
    for A (seen in /proc/locks) and keeps its own after. Found on 2026-11-30.

    A runs the runner for real but for the notebook: no kernel, and HTML of one line."""
    import apislo.report.html
    import apislo.report.runner as runner

    out = tmp_path / "daily.html"
    failed = tmp_path / "daily.failed.ipynb"
    failed.write_text("failed notebook of an earlier run")
    lock = tmp_path / ".publish.lock"
    second = threading.Thread(target=atomic_write_text, args=(failed, "failed notebook of B"))

    def execute(source: Path, executed: Path, *_: object) -> dict[str, bool]:
        shutil.copy(source, executed)
        return {"ok": True}

    real_unlink = os.unlink

    def unlink(path: str | os.PathLike[str], *args: object, **kwargs: object) -> None:
        if Path(path) == failed and second.ident is None:  # A removes it now: B keeps its own
            second.start()
            if lock.exists():  # (A holds it)
                wait_until_waiting(lock, second)
            else:  # (no lock to wait for: B runs through)
                second.join(timeout=10)
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(runner, "_execute", execute)
    monkeypatch.setattr(apislo.report.html, "notebook_to_html", lambda *_: "<p>report of A</p>")
    monkeypatch.setattr(os, "unlink", unlink)
    run_report(NOTEBOOKS / "good.ipynb", {"n": 3}, out, kernel="python3")
    second.join(timeout=10)
    assert out.read_text() == "<p>report of A</p>"
    assert failed.read_text() == "failed notebook of B"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "daily.failed.ipynb",
        "daily.html",
        "daily.ipynb",
    ]
