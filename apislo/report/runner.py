"""``apislo report run``: execute a notebook with papermill, then publish offline HTML atomically.

Success writes ``NAME.ipynb`` (executed, with provenance in its metadata) and ``NAME.html`` beside
it, together: both through temporary files in the run's working folder, then renamed
(:mod:`apislo.report.atomic`). Failure (cell error, dead kernel, per-cell or overall timeout) keeps
the executed notebook as ``NAME.failed.ipynb`` (credentials in its outputs and in the error
redacted), leaves the last good ``NAME.html`` and its notebook untouched and raises
:class:`~apislo.errors.ReportRunError`; a report that cannot be written (disk full, no permission)
leaves them untouched too and raises :class:`~apislo.errors.ReportWriteError`.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apislo import __version__
from apislo.errors import ConfigError, ReportRunError, ReportWriteError
from apislo.report.atomic import atomic_write_text, atomic_write_texts, work_folder, writing
from apislo.report.kernel import KERNEL_NAME, ensure_kernel
from apislo.report.params import (
    check_defined,
    check_parameters,
    defined_parameters,
    redact_credentials,
)
from apislo.report.provenance import PROVENANCE_KEY, Provenance

__all__ = [
    "CHART_RENDERER_ENV",
    "ReportResult",
    "check_timeouts",
    "new_run_id",
    "notebook_parameters",
    "run_report",
]

#: Environment variable the runner sets for the kernel; :func:`apislo.charts.setup` reads it.
CHART_RENDERER_ENV = "APISLO_CHART_RENDERER"
_PAPERMILL_TAGS = {"injected-parameters", "papermill-error-cell-tag"}
_KILL_GRACE_S = 15.0
#: The last line of a Python traceback (``OSError: [Errno 28] No space left on device``): the one
#: line of a dead worker's log worth quoting (its other lines are kernel and papermill chatter).
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception)(?::.*)?$")
_QUOTE_CHARS = 200


@dataclass
class ReportResult:
    """A successful report run.

    Attributes:
        html_path: the self-contained HTML report.
        notebook_path: the executed notebook beside it.
        provenance: what the report states about its making.
        records: values the notebook kept with :func:`apislo.report.glue`.
    """

    html_path: Path
    notebook_path: Path
    provenance: Provenance
    records: dict[str, Any] = field(default_factory=dict)


def new_run_id() -> str:
    """A sortable unique run id: UTC time and 6 random hex digits (``20261128T150000Z-1a2b3c``)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def check_timeouts(timeout_s: float, cell_timeout_s: int) -> None:
    """Refuse timeouts no run could meet.

    Args:
        timeout_s: overall timeout, seconds: a finite number > 0.
        cell_timeout_s: per-cell timeout, seconds: a whole number >= 1.

    Raises:
        ConfigError: naming the timeout (``timeout`` or ``cell_timeout``) and what is allowed.
    """
    if not (math.isfinite(timeout_s) and timeout_s > 0):
        raise ConfigError(f"timeout: {timeout_s!r} is not valid; allowed: a number of seconds > 0")
    if cell_timeout_s < 1:
        raise ConfigError(
            f"cell_timeout: {cell_timeout_s!r} is not valid; "
            "allowed: a whole number of seconds >= 1"
        )


def run_report(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    cell_timeout_s: int = 600,
    timeout_s: float = 1800.0,
    start_timeout_s: int = 60,
    kernel: str = KERNEL_NAME,
    run_id: str | None = None,
) -> ReportResult:
    """Run ``notebook`` with ``parameters`` and write ``out`` (HTML) and the executed notebook.

    Args:
        notebook: a parameterised ``.ipynb`` (one cell tagged ``parameters``).
        parameters: values injected after the ``parameters`` cell: names that cell defines
            (:func:`~apislo.report.params.check_defined`), none that looks like a secret, at
            any depth (:func:`~apislo.report.params.check_parameters`).
        out: HTML path; default ``reports/<notebook stem>.html``. The executed notebook goes beside
            it with the suffix ``.ipynb``.
        cell_timeout_s: per-cell timeout, seconds.
        timeout_s: overall timeout, seconds (kernel start included).
        start_timeout_s: kernel start timeout, seconds.
        kernel: Jupyter kernel name; the project's kernel is registered when missing.
        run_id: id for this run (default: :func:`new_run_id`).

    Returns:
        Paths, provenance and recorded values of the run.

    Raises:
        ConfigError: the notebook is missing or is not a notebook, ``out`` is not ``.html`` or
            would put the executed notebook in the place of ``notebook`` or a file where a
            folder is, a timeout is not positive, or a parameter is refused (a secret, or a
            name the notebook's parameters cell does not define).
        ReportRunError: the notebook failed; the last good report was kept.
        ReportWriteError: the report could not be written (disk full, no permission); the last
            good report and its notebook were kept.
    """
    import nbformat

    source = Path(notebook)
    defined = notebook_parameters(source)
    params = check_parameters(parameters)
    check_defined(params, defined, source)
    html_path = Path(out) if out else Path("reports") / f"{source.stem}.html"
    if html_path.suffix != ".html":
        raise ConfigError(f"--out {html_path} must end with .html (the notebook goes beside it)")
    check_timeouts(timeout_s, cell_timeout_s)
    ipynb_path = html_path.with_suffix(".ipynb")
    failed_path = html_path.with_suffix(".failed.ipynb")
    _check_not_source(source, html_path, (ipynb_path, failed_path))
    _check_no_folder(html_path, (html_path, ipynb_path, failed_path))
    run_id = run_id or new_run_id()
    if kernel == KERNEL_NAME:
        ensure_kernel(kernel)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    with work_folder(html_path) as tmp:
        executed = tmp / "executed.ipynb"
        outcome = _execute(
            source, executed, params, kernel, cell_timeout_s, start_timeout_s, timeout_s, tmp
        )
        duration_s = time.monotonic() - t0
        prov = Provenance(
            notebook=str(source),
            run_id=run_id,
            apislo_version=__version__,
            parameters=params,
            started=started.isoformat(timespec="seconds"),
            duration_s=duration_s,
            kernel=kernel,
        )
        if not outcome["ok"]:
            raise _keep_failed(source, executed, failed_path, outcome, prov, tmp)
        from apislo.report.glue import read_records
        from apislo.report.html import notebook_to_html

        nb = nbformat.read(executed, as_version=4)
        records = read_records(nb)
        prov = prov.with_recorded(records.get(PROVENANCE_KEY))
        nb.metadata["apislo"] = {"status": "ok", **prov.to_dict()}
        html = notebook_to_html(nb, prov)
        pair = {ipynb_path: nbformat.writes(nb), html_path: html}
        atomic_write_texts(pair, tmp, remove=[failed_path])  # (under the lock its keeping takes)
    return ReportResult(html_path, ipynb_path, prov, records)


def _check_not_source(source: Path, html_path: Path, written: tuple[Path, ...]) -> None:
    """Refuse an ``out`` whose executed notebook (or failed one) would be ``source`` itself:
    ``--out notebooks/explore.html`` would replace ``notebooks/explore.ipynb`` with its run,
    outputs and injected parameters, which later runs without those parameters would take.

    Raises:
        ConfigError: naming ``out`` and the notebook.
    """
    if source.resolve() in {path.resolve() for path in written}:
        raise ConfigError(
            f"--out {html_path} would replace the notebook {source} with its executed copy; "
            "write the report under another name or in another folder"
        )


def _check_no_folder(html_path: Path, written: tuple[Path, ...]) -> None:
    """Refuse an ``out`` whose report, executed notebook or failed notebook would go where a
    folder is: no file can replace it, so the run would end in an error after its kernel ran
    (until 2026-11-30, a folder in the failed notebook's place failed a good run after its
    report was published, and one in the report's place after the notebook had run).

    A path that cannot even be looked at (its folder not searchable) is let through: writing
    there fails as for any unwritable folder (``ReportWriteError``), where ``Path.is_dir``
    raised a ``PermissionError`` traceback.

    Raises:
        ConfigError: naming ``out`` and the folder.
    """
    for path in written:
        # (a link is replaced, not what it names; os.path's tests take an error for "no")
        if os.path.isdir(path) and not os.path.islink(path):
            raise ConfigError(
                f"--out {html_path}: {path} is a folder, where the run writes a file; "
                "move it away or write the report under another name"
            )


def notebook_parameters(notebook: str | os.PathLike[str]) -> list[str] | None:
    """The parameters ``notebook`` defines (:func:`~apislo.report.params.defined_parameters`),
    read before any kernel starts; ``None`` when it has no cell tagged ``parameters``.

    Raises:
        ConfigError: ``notebook`` is missing, cannot be read, is not JSON, or is JSON that
            nbformat cannot read as a notebook; or its parameters cell is not Python.
    """
    import nbformat

    source = Path(notebook)
    if not source.is_file():
        raise ConfigError(f"notebook {source} not found; pass the path of an .ipynb file")
    try:
        nb = nbformat.read(source, as_version=4)
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read it ({exc.strerror})") from None
    except ValueError:  # (nbformat's NotJSONError, a file that is not UTF-8)
        reason = "not JSON"
    except (AttributeError, nbformat.ValidationError) as exc:  # (JSON of another shape)
        reason = f"nbformat cannot read it: {exc}"
    else:
        return defined_parameters(nb, source)
    raise ConfigError(
        f"{source}: not a Jupyter notebook ({reason}); pass the path of an .ipynb file"
    )


def _execute(
    source: Path,
    executed: Path,
    params: dict[str, Any],
    kernel: str,
    cell_timeout_s: int,
    start_timeout_s: int,
    timeout_s: float,
    tmp: Path,
) -> dict[str, Any]:
    """Run the worker process; stop it (then its session) when the overall timeout expires."""
    request_path, result_path = tmp / "request.json", tmp / "result.json"
    request = {
        "input": str(source),
        "output": str(executed),
        "parameters": params,
        "kernel": kernel,
        "cell_timeout_s": cell_timeout_s,
        "start_timeout_s": start_timeout_s,
        "cwd": os.getcwd(),
        "result": str(result_path),
        "runner_pid": os.getpid(),  # (the worker stops if this process dies)
    }
    log_path = tmp / "worker.log"
    with writing(tmp.parent):
        request_path.write_text(json.dumps(request, default=str))
        log = open(log_path, "wb")  # noqa: SIM115 (closed by the block below)
    env = {**os.environ, CHART_RENDERER_ENV: "svg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    with log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "apislo.report.worker", str(request_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _stop(proc)
            return {
                "ok": False,
                "ename": "Timeout",
                "evalue": f"the report ran longer than its overall timeout of {timeout_s:g} s",
            }
        except BaseException:  # this process is being stopped (SIGTERM, Ctrl-C): so is the run
            _stop(proc)
            raise
    if result_path.is_file():
        return json.loads(result_path.read_text())
    evalue = _worker_died(proc.returncode, log_path.read_text(errors="replace"))
    return {"ok": False, "ename": "WorkerDied", "evalue": evalue}


def _worker_died(returncode: int, log: str) -> str:
    """One line on a worker that ended without writing its result: the signal that killed it or
    its exit status, and the last Python exception line of its ``log`` if there is one."""
    if returncode < 0:
        how = f"was killed by signal {-returncode} ({_signal_name(-returncode)})"
    else:
        how = f"exited with status {returncode}"
    errors = [line for line in log.splitlines() if _EXCEPTION_LINE.match(line)]
    cause = f" ({errors[-1][:_QUOTE_CHARS]})" if errors else ""
    return f"the report's worker {how}{cause}"


def _signal_name(number: int) -> str:
    """``SIGKILL`` for 9; ``unknown signal`` for a number this platform does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the worker (SIGTERM), then its whole session (its kernel too) if it lingers."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=_KILL_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _keep_failed(
    source: Path,
    executed: Path,
    failed_path: Path,
    outcome: dict[str, Any],
    prov: Provenance,
    work: Path,
) -> ReportRunError:
    """Keep the partial executed notebook as ``failed_path`` (if it can be read and written,
    staged in the run's working folder ``work``) and build the error to raise. The error and
    the notebook's outputs quote the kernel (an exception's text, a cell's output): credentials
    in them are redacted (:func:`~apislo.report.params.redact_credentials`), so that none
    reaches the history or the index, as none may come in by a parameter."""
    import nbformat

    cell_index, snippet = -1, ""
    where, not_kept = "", "the notebook never started"
    nb = _read_partial(executed)
    if nb is not None:
        cell_index, snippet = _failing_cell(nb)
    quoted = f"{outcome['evalue']} (in `{snippet}`)" if snippet else outcome["evalue"]
    evalue, quoted = redact_credentials([outcome["evalue"], quoted])
    if nb is not None:
        _redact_outputs(nb)
        nb.metadata["apislo"] = {"status": "failed", **outcome, "evalue": evalue, **prov.to_dict()}
        try:
            where = str(atomic_write_text(failed_path, nbformat.writes(nb), work))
        except ReportWriteError as exc:
            not_kept = str(exc)
    return ReportRunError(str(source), cell_index, outcome["ename"], quoted, where, not_kept)


def _redact_outputs(nb: Any) -> None:
    """Redact credentials (:func:`~apislo.report.params.redact_credentials`) in the text of
    every output of ``nb``: errors (their message and traceback), streams, and text data
    (``text/plain``, ``text/html``...; not images)."""
    places: list[tuple[Any, Any]] = []  # (container, key) of each text
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            places += [(output, key) for key in ("ename", "evalue", "text") if key in output]
            places += [(output["traceback"], i) for i in range(len(output.get("traceback", [])))]
            data = output.get("data", {})
            places += [(data, mime) for mime in data if mime.startswith("text/")]
    texts = redact_credentials([container[key] for container, key in places])
    for (container, key), text in zip(places, texts, strict=True):
        container[key] = text


def _read_partial(executed: Path) -> Any | None:
    """The executed notebook the worker left, or ``None`` when it left none or only part of one
    (its disk filled up)."""
    import nbformat

    if not executed.is_file():
        return None
    try:
        return nbformat.read(executed, as_version=4)
    except (OSError, ValueError):  # (nbformat's NotJSONError is a ValueError)
        return None


def _failing_cell(nb: Any) -> tuple[int, str]:
    """Index in the *source* notebook and first line of the cell that failed or was running.

    Papermill marks the failing cell ``metadata.papermill.exception``; for a dead kernel or a
    timeout, the failing cell is the last one that started. Cells papermill added (injected
    parameters, error banners) are not counted.
    """
    own = [c for c in nb.cells if not _PAPERMILL_TAGS & set(c.metadata.get("tags", []))]
    marks = [c.metadata.get("papermill", {}) for c in own]
    failing = [i for i, m in enumerate(marks) if m.get("exception")]
    started = [i for i, m in enumerate(marks) if m.get("start_time")]
    index = failing[0] if failing else (started[-1] if started else -1)
    if index < 0:
        return -1, ""
    lines = own[index].source.strip().splitlines()
    return index, (lines[0][:80] if lines else "")
