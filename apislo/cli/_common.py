"""Helpers shared by the command modules: progress bars, JSON output, error reporting, and the
connection options of the commands that read Prometheus."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from apislo.errors import ApisloError, ConfigError, WriteError
from apislo.text import LONE_SURROGATE

if TYPE_CHECKING:
    from apislo.slo.source import Source
    from apislo.sources.prometheus import Prometheus

__all__ = [
    "connect",
    "connection_options",
    "echo_json",
    "fail_on_apislo_error",
    "load_specs",
    "no_cache_option",
    "open_source",
    "parameter_option",
    "progress",
    "typed_parameters",
    "warn_alerts_that_cannot_fire",
    "write_file",
]


def echo_json(payload: Any) -> None:
    """Print one JSON document on standard output, in UTF-8. A byte of a path that is not UTF-8
    is written as its escape (``"\\udcff"``, which ``json.loads`` reads back as the path's
    text): the byte itself is no UTF-8, so no JSON, and a strict stream refuses to write it."""
    text = json.dumps(payload, indent=2, default=str, ensure_ascii=False)
    click.echo(LONE_SURROGATE.sub(lambda match: f"\\u{ord(match[0]):04x}", text))


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
        WriteError: the file cannot be written (a read-only folder, a file where a folder
            should be); the message names the path and the reason (that file, for a file in
            the way).
    """
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise WriteError(path, exc) from None


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


#: The options of every command that reads a Prometheus server (``apislo prom query|pull``,
#: ``apislo slo compute|history|backtest --source URL``): the settings of
#: :class:`~apislo.sources.prometheus.Transport`. Secrets only by environment variable or file,
#: never as values (a command line shows in ``ps`` and shell history).
_CONNECTION_OPTIONS = [
    click.option("--bearer-token-env", metavar="VAR", help="Env variable holding a bearer token."),
    click.option(
        "--bearer-token-file", metavar="FILE", help="File holding a bearer token (re-read)."
    ),
    click.option("--basic-user", metavar="USER", help="HTTP basic auth user."),
    click.option("--basic-password-env", metavar="VAR", help="Env variable holding its password."),
    click.option("--basic-password-file", metavar="FILE", help="File holding its password."),
    click.option("--ca-file", metavar="PEM", help="CA bundle to trust for https."),
    click.option("--client-cert", metavar="PEM", help="Client certificate (mutual TLS)."),
    click.option("--client-key", metavar="PEM", help="Key of --client-cert if separate."),
    click.option(
        "--insecure-skip-verify",
        is_flag=True,
        help="Do not verify the server's TLS certificate (throwaway test servers only).",
    ),
    click.option(
        "--header",
        "headers",
        multiple=True,
        metavar="NAME:VALUE",
        help="Extra header, repeatable (e.g. X-Scope-OrgID:tenant); one holding a key "
        "(X-Api-Key, Cookie...) goes in --headers-env.",
    ),
    click.option(
        "--headers-env",
        metavar="VAR",
        help="Env variable holding extra headers, NAME:VALUE comma-separated, percent-decoded "
        "(e.g. APISLO_PROMETHEUS_HEADERS).",
    ),
    click.option(
        "--timeout",
        "timeout_s",
        default=30.0,
        show_default=True,
        help="Per-request timeout, seconds.",
    ),
    click.option(
        "--concurrency", default=4, show_default=True, help="Parallel requests for long ranges."
    ),
    no_cache_option(),
]


def connection_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add :data:`_CONNECTION_OPTIONS` to a command; they reach it as keyword arguments, to be
    passed on as one dict to :func:`connect` or :func:`open_source`."""
    for option in reversed(_CONNECTION_OPTIONS):
        func = option(func)
    return func


def connect(url: str, options: dict[str, Any]) -> Prometheus:
    """A Prometheus client for ``url`` with the :func:`connection_options` given, and the
    headers of the variable ``--headers-env`` names, where a header holding a key goes.

    Raises:
        ConfigError: a header refused (see
            :func:`~apislo.sources.prometheus.settings.command_options`), or settings
            :class:`Transport` refuses.
    """
    from apislo.sources.prometheus import Prometheus
    from apislo.sources.prometheus.settings import command_options

    settings = dict(options)
    cache = not settings.pop("no_cache")
    transport = command_options(settings)
    prom = Prometheus(url, cache=cache, **transport)
    if not transport["verify"] and url.startswith("https://"):
        _warn_unverified(prom.url)
    return prom


def _warn_unverified(url: str) -> None:
    """Say once that ``url``'s TLS certificate goes unchecked, instead of urllib3's two-line
    warning at every request."""
    from urllib3.exceptions import InsecureRequestWarning

    warnings.simplefilter("ignore", InsecureRequestWarning)
    click.echo(
        f"warning: the TLS certificate of {url} is not verified (--insecure-skip-verify)",
        err=True,
    )


def open_source(source: str, options: dict[str, Any]) -> Source:
    """The ``--source`` of an ``apislo slo`` command: a Prometheus URL, connected with the
    :func:`connection_options` given, or a dataset directory.

    Raises:
        ConfigError: not a URL nor a dataset directory, or connection options given with a
            dataset (they would be ignored; ``--no-cache`` is, harmlessly).
    """
    from apislo.slo.source import resolve_source

    if source.startswith(("http://", "https://")):
        return resolve_source(connect(source, options))
    resolved = resolve_source(source)
    flags = _connection_flags_given(options)
    if flags:
        raise ConfigError(
            f"{flags[0]} is for a Prometheus --source (http(s)://...), and {source} is a "
            "dataset directory: leave it out"
        )
    return resolved


def _connection_flags_given(options: dict[str, Any]) -> list[str]:
    """The flags of the connection ``options`` given on the command line, except ``--no-cache``."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    return [
        param.opts[0]
        for param in ctx.command.params
        if param.name in options
        and param.name != "no_cache"
        and ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT
    ]


def typed_parameters(parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """``-p`` pairs as a checked dict, values typed like papermill's (numbers, true/false).

    Raises:
        ConfigError: a name looks like a secret, or a value is a URL with credentials.
    """
    from apislo.report.params import check_parameters, parse_value

    return check_parameters({name: parse_value(value) for name, value in parameters})


def load_specs(specs: tuple[str, ...] | list[str]) -> list[Any]:
    """Load SLO specs, printing spec warnings on stderr as ``warning: ...`` lines, also when the
    specs are refused (a warning may say why: a Sloth name lower-cased into another's)."""
    from apislo.slo.loader import SpecWarning, load

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SpecWarning)
        try:
            return load(list(specs))
        finally:
            for item in caught:
                if issubclass(item.category, SpecWarning):
                    click.echo(f"warning: {item.message}", err=True)


def warn_alerts_that_cannot_fire(slos: list[Any], policies: tuple[str, ...] = ()) -> None:
    """Warn, once per alert, about each alert whose error-ratio threshold, ``factor x (1 -
    objective)``, is 1 or more: no error ratio exceeds it, so it can never fire (the Workbook's
    14.4 on a 90 % objective asks for 144 % of requests failing). ``slo rules``, ``validate``,
    ``compute`` and ``backtest`` (over the ``policies`` it replays, named in the warning) all
    say so; until 2026-11-30 only ``slo rules`` did.

    Args:
        slos: the SLOs loaded (an SLO with alerting disabled is skipped unless ``policies``
            names the policies to replay).
        policies: names given to ``slo backtest --policy`` (default: each SLO's own policy).
    """
    from apislo.slo.alerts import alert_name
    from apislo.slo.backtest import policies_for
    from apislo.slo.maths import error_allowance

    for slo in slos:
        if slo.alerting.disabled and not policies:
            continue
        for policy in policies_for(slo, policies):
            of_policy = f" of policy {policy.name}" if policies else ""
            for objective in slo.objectives:
                allowance = error_allowance(objective.target)
                for tier in policy.tiers:
                    if tier.can_fire(objective.target):
                        continue
                    click.echo(
                        f"warning: {alert_name(slo, tier)} of SLO {slo.name} ({objective.label}) "
                        f"can never fire: its threshold {tier.factor:g} x {allowance:g} = "
                        f"{tier.threshold(objective.target):g} is an error ratio of 100 % or "
                        f"more (tier {tier.name}{of_policy}); at this objective a tier's factor "
                        f"must be under {1 / allowance:g}",
                        err=True,
                    )


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
