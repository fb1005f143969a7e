"""`apislo ingest`: access logs -> a Parquet dataset partitioned by day."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from apislo.cli._common import echo_json, fail_on_apislo_error, progress
from apislo.errors import (
    ApisloError,
    ArgumentNames,
    ConfigError,
    DatasetWriteError,
    FilesRefusedError,
    IngestError,
    InsideDatasetError,
    LogFormatNeededError,
)
from apislo.sources.files import disk_size
from apislo.sources.ingest import IngestReport, empty_folder_warning, ingest, list_logs
from apislo.sources.logs import format_names
from apislo.sources.logs.base import ParseOptions
from apislo.sources.quarantine import dataset_root, quarantine_path
from apislo.zones import check_polars_timezone

#: How the run's errors and warnings name its arguments: by this command's options.
OPTIONS = ArgumentNames(
    "--out",
    "--format",
    "--format NAME",
    "--log-format",
    "--tz",
    "--tz ZONE",
    "--max-reject-rate",
    "--log-format '<body of the log_format directive>'",
)


class _Command(click.Command):
    """The command, whose ``--json`` prints a JSON object also when its command line cannot be
    read (an unknown option, a bad value): ``{"error": MESSAGE}``, click's usage error on stderr
    as without it (exit status 2)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # (click's parser takes the arguments out of ``args``)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            if self._json_flag_in(ctx, given):
                echo_json({"error": exc.format_message()})
            raise

    def _json_flag_in(self, ctx: click.Context, args: list[str]) -> bool:
        """Whether ``--json`` is in ``args`` as the flag (``--json=1`` too, whose value click
        refuses): not a path after ``--``, nor the value of an option that takes one (``--tz
        --json``, the zone forgotten; click's options say which take values, and how many)."""
        values = {
            name: param.nargs
            for param in self.get_params(ctx)
            if isinstance(param, click.Option) and not (param.is_flag or param.count)
            for name in param.opts
        }
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                return False
            if arg.partition("=")[0] == "--json":
                return True
            for _ in range(values.get(arg, 0)):
                next(rest, None)
        return False


@click.command(name="ingest", cls=_Command)
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--out",
    "dataset",
    required=True,
    type=click.Path(file_okay=False),
    help="Dataset directory (created if missing; appended to).",
)
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", *format_names()]),
    help="Log format; 'auto' detects it per file from a sample and says what it chose.",
)
@click.option(
    "--log-format",
    default=None,
    help="An NGINX log_format body (the quoted part); implies --format nginx-custom.",
)
@click.option(
    "--tz",
    default=None,
    help="IANA zone for timestamps without one (HAProxy, syslog), e.g. Europe/Paris.",
)
@click.option(
    "--route-map",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="YAML list of {match: REGEX, api: NAME, route: NAME?} naming APIs and routes.",
)
@click.option(
    "--max-reject-rate",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Refuse a file (adding nothing of it) when more of its lines are rejected. Above 0.5, "
    "format detection also settles for a format that recognises 1 - RATE of the sample.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the results.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def command(
    paths: tuple[str, ...],
    dataset: str,
    fmt: str,
    log_format: str | None,
    tz: str | None,
    route_map: str | None,
    max_reject_rate: float,
    as_json: bool,
    quiet: bool,
) -> None:
    """Read access logs (files, globs, directories, .gz, rotated) into a Parquet dataset.

    Files already ingested add nothing; a file that grew is resumed where the last run stopped.
    Lines that are not requests are counted by reason and kept in DATASET.quarantine.jsonl.
    A file in no known format, or mostly rejects, adds nothing: the other files are stored, then
    the command names it and exits 1. One run at a time per dataset.
    """
    refused: FilesRefusedError | None = None
    empty: list[str] = []
    with fail_on_apislo_error(), _report_on_error(as_json, dataset, empty):
        if log_format is not None and fmt not in ("auto", "nginx-custom"):
            raise click.UsageError(
                f"--log-format is the template of format nginx-custom; it cannot be read as "
                f"--format {fmt} (drop one of them)"
            )
        if tz is not None:  # (as ParseOptions does, naming the option)
            check_polars_timezone(tz, OPTIONS.tz)
        options = ParseOptions(tz=tz, log_format=log_format)
        unlisted: dict[str, IngestError] = {}
        try:
            files = list_logs(paths, dataset, unlisted, empty)
        except InsideDatasetError as exc:  # PATHS and --out contradict each other
            raise click.UsageError(str(exc.passing(OPTIONS))) from None
        total = sum(disk_size(p) for p in files)
        with progress(total, "ingest", quiet or as_json) as bar:
            try:
                report = ingest(
                    [*files, *unlisted],  # (the run tries those folders again: refused)
                    dataset,
                    fmt,
                    options,
                    route_map,
                    max_reject_rate,
                    on_progress=bar.update,
                    names=OPTIONS,
                )
            except FilesRefusedError as exc:  # the other files were stored: say what they gave
                report, refused = exc.report, exc
            except LogFormatNeededError as exc:  # (worded for Python: log_format=...)
                raise exc.passing(OPTIONS) from None
    _print_report(_with_empty_folders(report, empty), as_json)
    if refused is not None:
        for error in refused.errors.values():
            click.echo(f"error: {error}", err=True)
        sys.exit(1)


@contextmanager
def _report_on_error(as_json: bool, dataset: str, empty: list[str]) -> Iterator[None]:
    """An error that stops the run: the warnings found before it (empty folders; those of a run
    the dataset stopped mid-way) on stderr, and with ``--json`` the run's JSON object too, what
    it stored before (:func:`_stopped_report`) and ``error``, the error's message; the error
    then goes on as without them (its line on stderr, exit status 1, or 2 for a usage error).

    Args:
        dataset: ``--out``.
        empty: the folders found to hold no file, so far.
    """
    try:
        yield
    except (ApisloError, click.UsageError) as exc:
        report = _with_empty_folders(_stopped_report(exc, dataset), empty)
        _print_warnings(report)
        if as_json:
            message = exc.format_message() if isinstance(exc, click.UsageError) else str(exc)
            echo_json({**report.to_json(), "error": message})
        raise


def _stopped_report(exc: Exception, dataset: str) -> IngestReport:
    """What a run that ``exc`` stopped stored: the report of a dataset that could not be
    written mid-run (:class:`DatasetWriteError`), else nothing (a run stopped before reading a
    file)."""
    if isinstance(exc, DatasetWriteError) and exc.report is not None:
        return exc.report
    root = dataset_root(dataset)
    try:
        quarantine = str(quarantine_path(root))
    except ConfigError:  # (the file system's root: nothing beside it; the error says so)
        quarantine = ""
    return IngestReport(dataset=str(root), quarantine=quarantine)


def _with_empty_folders(report: IngestReport, empty: list[str]) -> IngestReport:
    """``report`` with the warnings of the ``empty`` folders first."""
    report.warnings[:0] = [empty_folder_warning(folder) for folder in empty]
    return report


def _print_warnings(report: IngestReport) -> None:
    """The run's warnings, a line each on stderr."""
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)


def _print_report(report: IngestReport, as_json: bool) -> None:
    """The run's warnings (stderr), then its JSON object or a summary line per run."""
    _print_warnings(report)
    if as_json:
        echo_json(report.to_json())
        return
    for path, name in report.formats.items():
        click.echo(f"{path}: format {name}")
    rejected = sum(report.rejected.values())
    click.echo(
        f"{report.files} file(s), {report.lines:,} lines: {report.records:,} requests stored in "
        f"{report.dataset}, {rejected:,} rejected"
        + (
            f" ({', '.join(f'{k} {v:,}' for k, v in report.rejected.items())}; see "
            f"{Path(report.quarantine)})"
            if rejected
            else ""
        )
        + (f"; {len(report.unchanged)} unchanged file(s) skipped" if report.unchanged else "")
        + (f"; {len(report.refused)} refused" if report.refused else "")
    )
