"""A kernel that cannot be registered (QA, 2026-11-29: `run-due` as a service's user, the venv
installed by another, the `apislo` kernel not yet registered) is one line naming what to run,
recorded per job: it stopped `run-due` with a PermissionError traceback, no job recorded, and
`report run` alike. Registration is faked to fail; no kernel starts."""

from __future__ import annotations

import errno
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.schedule.run import run_due
from tests.report.conftest import NOTEBOOKS

SPECS = "/srv/apislo/.venv/share/jupyter/kernels/apislo"
ERROR = (
    f"cannot register the Jupyter kernel 'apislo' ({SPECS}: Permission denied); register it "
    f"once as the owner of {sys.prefix}: {sys.executable} -m ipykernel install --sys-prefix "
    "--name apislo"
)


@pytest.fixture(autouse=True)
def unregistered(monkeypatch: pytest.MonkeyPatch) -> None:
    """No kernel registered, and a venv this user cannot write."""
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpecManager

    def install(**_options: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", SPECS)

    monkeypatch.setattr(KernelSpecManager, "find_kernel_specs", lambda self: {})
    monkeypatch.setattr(ipykernel.kernelspec, "install", install)


def test_run_due_records_it_for_each_job(tmp_path: Path) -> None:
    sched = tmp_path / "scheduled"
    sched.mkdir()
    for name in ("alpha", "beta"):
        job = f'name: {name}\nnotebook: {NOTEBOOKS / "good.ipynb"}\ncron: "0 6 * * *"\nretries: 2\n'
        (sched / f"{name}.yaml").write_text(job)
    records = run_due(sched, tmp_path / "reports", now=datetime(2026, 11, 28, 7, tzinfo=UTC))
    assert [(r.job, r.status, r.error, r.attempts) for r in records] == [
        ("alpha", "failed", ERROR, 1),  # a configuration error: not retried
        ("beta", "failed", ERROR, 1),
    ]


def test_report_run_says_it_in_one_line(tmp_path: Path) -> None:
    args = ["report", "run", str(NOTEBOOKS / "good.ipynb"), "--out", str(tmp_path / "r.html")]
    result = CliRunner().invoke(main, args)
    assert (result.exit_code, result.stderr) == (1, f"error: {ERROR}\n")
