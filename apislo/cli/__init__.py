"""The ``apislo`` command line: one module per command group, each thin (parse, call, print).

A command's module is imported only when that command runs (or ``--help`` lists it), so
``apislo ingest`` does not pay for the imports of the SLO, Prometheus and report commands.
"""

from __future__ import annotations

import sys

__all__ = ["main", "run"]


def _aborted() -> NoReturn:
    """Ctrl-C: click's ``Aborted!``, then exit 130 (128 + SIGINT), as shells and schedulers
    expect of a process stopped by it (click itself exits 1). Written without click, which may
    be what was loading. A stderr nobody reads any more (a closed pipe) is no reason for
    another status."""
    if sys.stderr is not None:  # (None in a process started with its stderr closed)
        try:
            sys.stderr.write("\nAborted!\n")  # (the newline ends the terminal's ^C echo)
            sys.stderr.flush()
        except OSError:  # (BrokenPipeError: nobody is left to tell)
            pass
    sys.exit(130)


# Ctrl-C while the console script loads, click most of it: as later, no traceback. Only Python's
# own start, `import apislo` (kept light for this) and `sys` come before this handler.
try:
    import gc
    import importlib
    import os
    import signal
    import warnings
    from typing import NoReturn, TextIO

    import click

    from apislo import __version__
except KeyboardInterrupt:
    _aborted()

# No command does matrix algebra; OpenBLAS's extra threads would only spin for a while after
# numpy loads, taking CPU from ingest's own threads (2.5 % of an `apislo ingest` profile).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

#: Command name -> the module whose ``command`` it is.
_COMMANDS = {
    "demo": "apislo.cli.demo",
    "ingest": "apislo.cli.ingest",
    "simulate": "apislo.cli.simulate",
    "prom": "apislo.cli.prom",
    "slo": "apislo.cli.slo",
    "report": "apislo.cli.report",
    "schedule": "apislo.cli.schedule",
}


class _LazyGroup(click.Group):
    """A group whose commands are imported from :data:`_COMMANDS` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        return importlib.import_module(_COMMANDS[cmd_name]).command

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; Ctrl-C (a ``KeyboardInterrupt`` no command handled) exits 130
        (:func:`_aborted`)."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            _aborted()


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="apislo")
def main() -> None:
    """apislo: API observability and SLO workbench.

    Gateway logs and Prometheus in; SLOs, error budgets, alerts and reports out.
    """


def run() -> None:
    """The ``apislo`` console script: :func:`main`, in a process of its own.

    SIGTERM exits through ``finally`` blocks (:func:`_exit_on_sigterm`); apislo's warnings are
    ``warning: ...`` lines (:func:`_show_warning`). The command's module is
    imported with the collector off (imports allocate much and free little), then frozen, so the
    collector's passes during the command skip those objects. On the way out everything is
    frozen again, so the interpreter's final pass does not walk the heap: about 0.1 s of an
    `apislo ingest` otherwise. A command of :data:`_EXIT_AT_ONCE` that ends with a status
    skips the interpreter's clean-up altogether (:func:`_exit_at_once`).
    """
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    warnings.showwarning = _show_warning
    gc.disable()
    try:
        if len(sys.argv) > 1 and sys.argv[1] in _COMMANDS:
            importlib.import_module(_COMMANDS[sys.argv[1]])
    except KeyboardInterrupt:  # Ctrl-C while the command loads (a traceback otherwise)
        _aborted()
    finally:
        gc.freeze()
        gc.enable()
    try:
        main()
    except SystemExit as exc:  # (click's standalone main ends with one, 0 included)
        if sys.argv[1:2] and sys.argv[1] in _EXIT_AT_ONCE and isinstance(exc.code, int | None):
            _exit_at_once(exc.code or 0)
        raise
    finally:
        gc.freeze()


#: Commands whose process may end without the interpreter's clean-up once they are done: their
#: threads are joined, their files closed and their locks released before the status is known,
#: and nothing they use registers an exit handler that still has work (Prometheus' temporary
#: folders and notebook kernels of the other commands do).
_EXIT_AT_ONCE = frozenset({"ingest"})


def _exit_at_once(status: int) -> NoReturn:
    """End the process with ``status`` after flushing stdout and stderr, as mypy does: the
    interpreter's clean-up (freeing each module's objects one by one, polars' and NumPy's
    included) took 11-13 ms of an `apislo ingest` of 2 M lines (``strace``: from the last write
    to ``exit_group``), memory the operating system frees at once anyway (in the 25-70 ms
    after ``exit_group``, which remain). Status 120 when stdout cannot be flushed (a full
    disk), as Python's own exit gives; a stream closed or gone changes nothing else."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # (ValueError: closed)
            if stream is sys.stdout and status == 0:
                status = 120
    os._exit(status)


#: apislo's own source folder: warnings raised from code under it are the commands' to word.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_PYTHON_SHOWWARNING = warnings.showwarning


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Show a warning apislo raises (an unwritable cache folder) as one ``warning: ...`` line
    on stderr, as the commands print their own; another library's as Python shows it (its file,
    line and source line)."""
    if filename.startswith(_PACKAGE):
        click.echo(f"warning: {message}", err=True)
    else:
        _PYTHON_SHOWWARNING(message, category, filename, lineno, file, line)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    """SIGTERM (a scheduler or systemd stopping the command) exits like Ctrl-C does, through the
    ``finally`` blocks: a report's worker is stopped with it, the run is recorded as stopped,
    and locks and temporary files are released. Exit status 143 (128 + 15), as by the signal."""
    sys.exit(128 + signum)
