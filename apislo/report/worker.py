"""Child process that executes one notebook with papermill (``python -m apislo.report.worker REQ``).

The runner starts it in its own session so an overall timeout can stop it: SIGTERM becomes an
exception here, papermill then saves the partial notebook and shuts the kernel down. On Linux the
worker also gets SIGTERM when the runner dies, even by SIGKILL, so no worker or kernel outlives
the run (whose job lock died with the runner). The outcome (``{"ok": bool, "ename": str,
"evalue": str}``) is written as JSON to ``request["result"]``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["execute", "main"]


class _Terminated(Exception):
    """The runner's overall timeout expired."""


def _on_sigterm(_signum: int, _frame: Any) -> NoReturn:
    raise _Terminated("the report's overall timeout expired")


def _stop_with_runner(runner_pid: int | None) -> None:
    """Ask Linux for SIGTERM when the runner (this process's parent) dies; stop now if it
    already has."""
    if not sys.platform.startswith("linux") or runner_pid is None:
        return
    import ctypes

    pr_set_pdeathsig = 1  # <linux/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != runner_pid:
        raise _Terminated("the runner stopped before the report started")


def execute(request: dict[str, Any]) -> dict[str, Any]:
    """Run papermill as described by ``request`` and describe the outcome."""
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    try:
        papermill.execute_notebook(
            request["input"],
            request["output"],
            parameters=request["parameters"],
            kernel_name=request["kernel"],
            execution_timeout=request["cell_timeout_s"],
            start_timeout=request["start_timeout_s"],
            progress_bar=False,
            cwd=request["cwd"],
        )
    except papermill.PapermillExecutionError as exc:
        return {"ok": False, "ename": exc.ename, "evalue": exc.evalue}
    except DeadKernelError:
        evalue = "the kernel died (os._exit, a crash, or out of memory)"
        return {"ok": False, "ename": "DeadKernel", "evalue": evalue}
    except CellTimeoutError:
        evalue = f"a cell ran longer than the per-cell timeout of {request['cell_timeout_s']} s"
        return {"ok": False, "ename": "CellTimeout", "evalue": evalue}
    except _Terminated as exc:
        return {"ok": False, "ename": "Timeout", "evalue": str(exc)}
    return {"ok": True, "ename": "", "evalue": ""}


def main(argv: list[str] | None = None) -> int:
    """Entry point: read the request file named on the command line, run, write the result."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    request = json.loads(Path((argv or sys.argv[1:])[0]).read_text())
    try:
        _stop_with_runner(request.get("runner_pid"))
        outcome = execute(request)
    except _Terminated as exc:
        outcome = {"ok": False, "ename": "Timeout", "evalue": str(exc)}
    except Exception as exc:  # anything else (bad kernel name, unreadable notebook): report it
        outcome = {"ok": False, "ename": type(exc).__name__, "evalue": str(exc)}
    Path(request["result"]).write_text(json.dumps(outcome))
    return 0 if outcome["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
