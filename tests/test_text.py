"""Text made safe to show: the escapes worked out by hand."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from apislo.errors import ConfigError
from apislo.text import (
    SECRET_JSON_KEYS,
    SECRET_KEY_PATTERN,
    SECRET_NAME_PATTERN,
    SECRET_QUERY_KEYS,
    UNPRINTABLE_CLASS,
    UNPRINTABLE_ESCAPES,
    is_secret_key,
    printable,
    read_yaml,
)


def test_printable_escapes_controls_and_bidi_overrides():
    assert printable("a\x00\tb\n\x1b[31m\x7f") == "a\\x00\\x09b\\x0A\\x1B[31m\\x7F"
    assert printable("x\u202efdp.exe\u2066") == "x\\u202Efdp.exe\\u2066"
    assert printable("café /ok") == "café /ok"


def test_the_regex_class_and_the_escapes_name_the_same_characters():
    every = [chr(c) for c in range(0x2100)]
    flagged = pl.Series(every).str.contains(UNPRINTABLE_CLASS).to_list()
    assert [c for c, hit in zip(every, flagged, strict=True) if hit] == list(UNPRINTABLE_ESCAPES)
    assert len(UNPRINTABLE_ESCAPES) == 32 + 1 + 5 + 4


def test_the_secret_name_pattern_names_what_is_secret_key_knows_by_name():
    """One list: every name of :data:`SECRET_QUERY_KEYS` and :data:`SECRET_JSON_KEYS` (written
    with ``_``, ``-`` or neither) is matched whole by ``SECRET_NAME_PATTERN`` and is a secret
    key; the header-only ones (``cookie``, ``x-auth-token``...) are no query parameter's."""
    names = pl.Series([*SECRET_QUERY_KEYS, *SECRET_JSON_KEYS, "Set_Cookie", "XAuthToken"])
    assert names.str.contains(f"(?i)^{SECRET_NAME_PATTERN}$").all()
    assert all(is_secret_key(name) for name in names)
    headers = pl.Series(["cookie", "set-cookie", "x-auth-token", "proxy-authorization"])
    assert not headers.str.contains(f"(?i)^{SECRET_KEY_PATTERN}$").any()
    others = pl.Series(["cookies", "cookie_policy", "x-auth-token-ttl", "monkey", "author"])
    assert not others.str.contains(f"(?i)^{SECRET_NAME_PATTERN}$").any()


@pytest.mark.parametrize("tagged", ["!!bool hunter2", "!!timestamp hunter2"])
def test_a_tagged_value_that_cannot_be_is_a_config_error_without_the_value(
    tmp_path: Path, tagged: str
) -> None:
    # a KeyError (its message: the value, lowercased) and an AttributeError escaped read_yaml:
    # a job file holding one stopped `apislo schedule run-due` for every job
    path = tmp_path / "job.yaml"
    path.write_text(f"name: a\nparameters:\n  x: {tagged}\n")
    with pytest.raises(ConfigError) as info:
        read_yaml(path, "job file")
    assert str(info.value) == f"{path}: job file is not valid YAML: a value does not fit its tag"


@pytest.mark.parametrize(
    ("text", "line", "key", "first"),
    [
        # the same key written two ways: both are the number 1, and YAML 1.1's `yes` is true
        ("1: a\n0x1: b\n", 2, "0x1", 1),
        ("yes: a\ntrue: b\n", 2, "true", 1),
        # in a flow mapping inside a list, both on one line
        ("a:\n  - {b: 1, c: 2, b: 3}\n", 2, "b", 2),
        # a key written as an alias is where the alias is, not at its anchor (line 1): until
        # 2026-11-29 the first was said to be on line 1, and an alias given second was the error
        ("base: &k name\nm:\n  *k : 1\n  name: 2\n", 4, "name", 3),
        ("base: &k name\nm:\n  name: 2\n  *k : 1\n", 4, "name", 3),
    ],
)
def test_read_yaml_refuses_a_key_given_twice(
    tmp_path: Path, text: str, line: int, key: str, first: int
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        read_yaml(path, "profile")
    assert str(info.value) == (
        f"{path}: line {line}: profile is not valid YAML: duplicate key '{key}' "
        f"(also on line {first}): keep one"
    )


def test_read_yaml_lets_a_mapping_override_what_it_merges(tmp_path: Path) -> None:
    # YAML's merge key: the mapping's own `x` wins over the merged one; not a duplicate
    path = tmp_path / "p.yaml"
    path.write_text("base: &b {x: 1, y: 2}\nlocal:\n  <<: *b\n  x: 3\n")
    assert read_yaml(path, "profile") == {"base": {"x": 1, "y": 2}, "local": {"x": 3, "y": 2}}
