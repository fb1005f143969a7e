"""`apislo ingest`'s command line, read by the real console script in a process of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sources.test_ingest_paths import _apislo

#: click's usage lines, before the error of a command line it cannot read.
USAGE = "Usage: apislo ingest [OPTIONS] PATHS...\nTry 'apislo ingest --help' for help.\n\n"
RATE = "Invalid value for '--max-reject-rate': 2.0 is not in the range 0<=x<=1."
NO_ROUTES = "Invalid value for '--route-map': File '--json' does not exist."


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--route-map", "--json"], NO_ROUTES),
        (["--tz", "--json", "--max-reject-rate", "2"], RATE),
        (["--log-format", "--json", "--max-reject-rate", "2"], RATE),
    ],
)
def test_json_as_the_value_of_another_option_prints_no_json(
    tmp_path: Path, args: list[str], error: str
) -> None:
    """`--json` right after an option that takes a value is that value (the zone forgotten
    after `--tz`), not the flag: a command line click cannot read then printed
    `{"error": ...}` all the same, as if `--json` had been given. Only click's usage error."""
    result = _apislo("ingest", "a.log", "--out", "events", *args, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"{USAGE}Error: {error}\n")


@pytest.mark.parametrize(
    ("args", "error", "usage"),
    [
        (["--tz", "UTC", "--json", "--max-reject-rate", "2"], RATE, USAGE),
        (["--out", "--json", "--json", "--max-reject-rate", "2"], RATE, USAGE),
        (["--json", "--tz"], "Option '--tz' requires an argument.", ""),
        (["--quiet=1", "--json"], "Option '--quiet' does not take a value.", ""),
        # the flag given a value: click's error is about --json itself (it printed no JSON)
        (["--json=1"], "Option '--json' does not take a value.", ""),
    ],
)
def test_the_json_flag_prints_why_the_command_line_cannot_be_read(
    tmp_path: Path, args: list[str], error: str, usage: str
) -> None:
    """`--json` itself (after an option's value, before an option given none, after a flag
    given one, given a value) still prints `{"error": ...}`, click's error on stderr as
    without it."""
    result = _apislo("ingest", "a.log", *args, cwd=tmp_path)
    assert (result.returncode, json.loads(result.stdout)) == (2, {"error": error})
    assert result.stderr == f"{usage}Error: {error}\n"
