"""Helpers shared by the command modules: progress bars, JSON output, error reporting."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from apislo.errors import ApisloError, ConfigError

__all__ = [
    "echo_json",
    "fail_on_apislo_error",
    "load_specs",
    "no_cache_option",
    "parameter_option",
    "progress",
    "typed_parameters",
    "write_file",
]


def echo_json(payload: Any) -> None:
    """Print one JSON document on standard output."""
    click.echo(json.dumps(payload, indent=2, default=str, ensure_ascii=False))


@contextmanager
def fail_on_apislo_error() -> Iterator[None]:
    """Turn an :class:`ApisloError` into a one-line message on stderr and exit status 1."""
    try:
        yield
    except ApisloError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def write_file(path: str, text: str) -> None:
    """Write ``text`` to ``path``, creating missing folders, via a temporary file and rename,
    so a failure never leaves half a file.

    Raises:
        ConfigError: the file cannot be written (a read-only folder, a file where a folder
            should be); the message names the path and the reason.
    """
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def parameter_option(help_text: str) -> Any:
    """The ``-p/--parameter NAME VALUE`` option (repeatable) of the report commands."""
    return click.option(
        "-p",
        "--parameter",
        "parameters",
        nargs=2,
        multiple=True,
        metavar="NAME VALUE",
        help=help_text,
    )


def no_cache_option() -> Any:
    """The ``--no-cache`` flag of commands that read Prometheus (its chunk cache is skipped)."""
    return click.option(
        "--no-cache", is_flag=True, help="Do not read or write the Prometheus chunk cache."
    )


def typed_parameters(parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """``-p`` pairs as a checked dict, values typed like papermill's (numbers, true/false).

    Raises:
        ConfigError: a name looks like a secret, or a value is a URL with credentials.
    """
    from apislo.report.params import check_parameters, parse_value

    return check_parameters({name: parse_value(value) for name, value in parameters})


def load_specs(specs: tuple[str, ...] | list[str]) -> list[Any]:
    """Load SLO specs, printing spec warnings on stderr as ``warning: ...`` lines."""
    from apislo.slo.loader import SpecWarning, load

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SpecWarning)
        slos = load(list(specs))
    for item in caught:
        if issubclass(item.category, SpecWarning):
            click.echo(f"warning: {item.message}", err=True)
    return slos


def progress(total: int, label: str, quiet: bool) -> Any:
    """A progress bar on a terminal; silent with ``--quiet`` or when stderr is not a TTY."""
    show = not quiet and sys.stderr.isatty()
    return click.progressbar(
        length=total, label=label, file=sys.stderr if show else _Null(), show_pos=False
    )


class _Null:
    """A write-only sink for progress bars that must stay quiet."""

    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False
