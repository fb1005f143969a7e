"""The errors and warnings of reading logs name its arguments as the caller's user passes them:
Python's keyword arguments from :func:`apislo.read_logs` and :func:`apislo.ingest` (until
2026-11-30 they named the command's options there too), ``apislo ingest``'s options on the
command line, whose output is as it was."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import apislo
from apislo.cli import main
from apislo.errors import FilesRefusedError, FormatDetectionError, RejectRateError
from apislo.sources.ingest import ingest

REQUEST = (
    '10.0.0.1 - - [01/Nov/2026:12:00:01 +0100] "GET /v1/orders/17 HTTP/1.1" 200 512 "-" '
    '"curl/8.5"\n'
)
NOISE = "this is not a request\n"
HAPROXY = (
    "2001:db8::1:40001 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/+109 200 +2750"
    ' - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"\n'
)
#: (file content, format, the message's end from Python, from the command line)
REFUSALS = {
    "no format recognised": (
        NOISE * 3,
        "auto",
        ". Pass format='NAME', or log_format= with the NGINX log_format line that wrote it.",
        ". Pass --format NAME, or --log-format with the NGINX log_format line that wrote it.",
    ),
    # 3 of the 4 lines rejected: 75 %, above the default limit of 50 %
    "mostly rejects": (
        REQUEST + NOISE * 3,
        "nginx-combined",
        ": 3 of 4 lines (75.0%) are not nginx-combined requests, above max_reject_rate 50.0%. "
        "Nothing from this file was added (its lines are not quarantined either); check format= "
        "(or log_format=).",
        ": 3 of 4 lines (75.0%) are not nginx-combined requests, above --max-reject-rate 50.0%. "
        "Nothing from this file was added (its lines are not quarantined either); check --format "
        "(or --log-format).",
    ),
    # 1.5 MiB before the first line break: no complete line in the 1 MiB sampled
    "no line to sample": (
        "x" * (3 << 19) + "\n" + REQUEST,
        "auto",
        ": no complete line in its first 1 MiB, so its format cannot be detected; "
        "pass format='NAME' to read it anyway",
        ": no complete line in its first 1 MiB, so its format cannot be detected; "
        "pass --format NAME to read it anyway",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_file_names_the_arguments_as_python_passes_them(
    tmp_path: Path, case: str
) -> None:
    content, fmt, from_python, _ = REFUSALS[case]
    log = tmp_path / "access.log"
    log.write_text(content)
    with pytest.raises(FilesRefusedError) as caught:
        ingest([log], tmp_path / "events", fmt)
    assert str(caught.value.errors[str(log)]).endswith(from_python)
    assert caught.value.report.refused[str(log)] == str(caught.value.errors[str(log)])
    assert str(caught.value.errors[str(log)]).startswith(f"{log}: ")


@pytest.mark.parametrize("case", list(REFUSALS))
def test_the_command_names_its_options_in_a_refusal(tmp_path: Path, case: str) -> None:
    """The command line's text, error line and ``--json``'s ``refused``, is as it was."""
    content, fmt, _, on_command_line = REFUSALS[case]
    log = tmp_path / "access.log"
    log.write_text(content)
    args = ["ingest", str(log), "--out", str(tmp_path / "events"), "--format", fmt, "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {log}: ")
    assert result.stderr.endswith(f"{on_command_line}\n")
    assert result.stderr.count("\n") == 1
    line = result.stderr.removeprefix("error: ").removesuffix("\n")
    result = CliRunner().invoke(main, [*args, "--json"])
    assert json.loads(result.stdout)["refused"][str(log)] == line


def test_read_logs_names_format_and_log_format_for_a_file_of_no_known_format(
    tmp_path: Path,
) -> None:
    log = tmp_path / "access.log"
    log.write_text(NOISE * 3)
    with pytest.raises(FormatDetectionError) as caught:
        apislo.read_logs(log)
    assert str(caught.value).endswith(REFUSALS["no format recognised"][2])


def test_the_zone_warning_names_tz_as_python_passes_it(tmp_path: Path) -> None:
    log = tmp_path / "haproxy.log"
    log.write_text(HAPROXY)
    warning = f"{log}: haproxy-http timestamps carry no time zone; read as UTC (pass tz='ZONE')"
    with pytest.warns(UserWarning) as warned:
        apislo.read_logs(log, format="haproxy-http")
    assert [str(w.message) for w in warned] == [warning]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (ingest reports it, warns nothing)
        report = ingest([log], tmp_path / "events", "haproxy-http")
    assert report.warnings == [warning]


def test_the_command_names_its_tz_option_in_the_zone_warning(tmp_path: Path) -> None:
    log = tmp_path / "haproxy.log"
    log.write_text(HAPROXY)
    args = ["ingest", str(log), "--out", str(tmp_path / "events"), "--format", "haproxy-http"]
    result = CliRunner().invoke(main, [*args, "-q"])
    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: {log}: haproxy-http timestamps carry no time zone; read as UTC (pass --tz "
        "ZONE)\n"
    )


def test_a_refusal_after_a_format_change_names_the_arguments_as_its_run_does() -> None:
    """(``test_ingest_format_change.py`` reads such a file; this is its message's end.)"""
    from apislo.cli.ingest import OPTIONS

    python = RejectRateError("a.log", "nginx-timed", 250, 440, 0.5).kept_before(61)
    command = RejectRateError("a.log", "nginx-timed", 250, 440, 0.5, names=OPTIONS)
    found = "250 of 440 lines (56.8%) are not nginx-timed requests, above"
    rest = (
        "50.0%. The lines before line 61 were stored; nothing from there on was added (nor "
        "quarantined); check"
    )
    assert str(python) == (
        f"a.log: from line 61, where its format changed, {found} max_reject_rate {rest} format= "
        "(or log_format=)."
    )
    assert str(command.kept_before(61)) == (
        f"a.log: from line 61, where its format changed, {found} --max-reject-rate {rest} "
        "--format (or --log-format)."
    )
