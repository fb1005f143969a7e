"""A profile file's fields are type-checked when it is loaded: a matcher YAML reads as a number
(``code: 200``) or a list (``["=~", ".+"]``) is one line naming the file and the field, not a
traceback when the query is built, nor a regex matcher where matchers test equality only."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError
from apislo.sources.prometheus import load_profile

HEAD = (
    "name: p1\ndescription: t\nrequests: http_requests_total\nstatus_label: code\napi_label: api\n"
)
EQUALITY = (
    "matchers test equality only: give each label's value as text, in quotes if it reads as a "
    'number (code: "200")'
)


def _profile(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "p1.yaml"
    path.write_text(HEAD + extra, encoding="utf-8")
    return path


LABEL_RULE = (
    "is not a Prometheus label name (letters, digits and _ only, not starting with a digit)"
)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("matchers: {code: 200}", f"matchers.code: expected text, got 200; {EQUALITY}"),
        (
            "matchers: {service: ['=~', '.+']}",
            f"matchers.service: expected text, got ['=~', '.+']; {EQUALITY}",
        ),
        ("matchers: {code: null}", f"matchers.code: expected text, got None; {EQUALITY}"),
        ("matchers: [reporter]", f"matchers: expected a mapping, got ['reporter']; {EQUALITY}"),
        ("matchers: {200: x}", "matchers: expected names as text, got 200"),
        (
            "labels: [namespace]",
            "labels: expected a mapping, got ['namespace']; give each frame key's metric label "
            "name as text",
        ),
        ("latency: 5", "latency: expected text, got 5"),
        ("matchers: {a-b: x}", f"matchers.a-b: 'a-b' {LABEL_RULE}"),
        ("labels: {route: 9route}", f"labels.route: '9route' {LABEL_RULE}"),
        # (never read: the api key's label is api_label; until 2026-11-29 ignored silently)
        (
            "labels: {api: service}",
            "labels.api: the api key's label is api_label (this entry is never read); give it "
            "there",
        ),
        ("latency: http.duration", "latency: 'http.duration' is not a Prometheus metric name"),
    ],
)
def test_a_field_of_the_wrong_type_or_name_is_one_line_naming_file_and_field(
    tmp_path: Path, extra: str, problem: str
) -> None:
    path = _profile(tmp_path, extra + "\n")
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    assert str(info.value) == f"profile {path}: {problem}"


def test_text_matchers_still_load(tmp_path: Path) -> None:
    path = _profile(tmp_path, 'matchers: {reporter: destination, code: "200"}\n')
    assert load_profile(path).matchers == {"reporter": "destination", "code": "200"}


def test_prom_pull_says_which_matcher(tmp_path: Path) -> None:
    """The security review's reproducer: a traceback (cannot unpack non-iterable int) before."""
    path = _profile(tmp_path, "matchers: {code: 200}\n")
    args = ["prom", "pull", "http://127.0.0.1:9", "--profile", str(path), "--start", "-1h"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "t.parquet")])
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: profile {path}: matchers.code: expected text, got 200; {EQUALITY}\n",
    )


def test_a_lone_surrogate_is_one_line_naming_file_and_field(tmp_path: Path) -> None:
    """UTF-8 cannot hold it: the query that carried it was a UnicodeEncodeError traceback."""
    path = _profile(tmp_path, 'matchers: {reporter: "a\\ud83d"}\n')
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    assert str(info.value) == (
        f"{path}: metric profile field matchers.reporter holds U+D83D, half of a UTF-16 "
        "surrogate pair, which UTF-8 cannot hold: write the character itself, or one escape "
        "such as \\U0001F600 (not a \\ud83d\\ude00 pair)"
    )


def test_a_bad_api_label_is_one_line_naming_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "p1.yaml"
    path.write_text(HEAD.replace("api_label: api", "api_label: api name"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    assert str(info.value) == f"profile {path}: api_label: 'api name' {LABEL_RULE}"


def test_a_labels_entry_for_api_that_names_the_api_label_is_taken(tmp_path: Path) -> None:
    """``labels: {api: api}`` beside ``api_label: api`` says what ``api_label`` says: it loaded
    before 2026-11-29, and was refused that day as if it named another label."""
    profile = load_profile(_profile(tmp_path, "labels: {api: api, route: handler}"))
    assert (profile.label_for("api"), profile.label_for("route")) == ("api", "handler")
