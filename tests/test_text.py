"""Text made safe to show: the escapes worked out by hand."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from apislo.errors import ConfigError
from apislo.text import UNPRINTABLE_CLASS, UNPRINTABLE_ESCAPES, printable, read_yaml


def test_printable_escapes_controls_and_bidi_overrides():
    assert printable("a\x00\tb\n\x1b[31m\x7f") == "a\\x00\\x09b\\x0A\\x1B[31m\\x7F"
    assert printable("x\u202efdp.exe\u2066") == "x\\u202Efdp.exe\\u2066"
    assert printable("café /ok") == "café /ok"


def test_the_regex_class_and_the_escapes_name_the_same_characters():
    every = [chr(c) for c in range(0x2100)]
    flagged = pl.Series(every).str.contains(UNPRINTABLE_CLASS).to_list()
    assert [c for c, hit in zip(every, flagged, strict=True) if hit] == list(UNPRINTABLE_ESCAPES)
    assert len(UNPRINTABLE_ESCAPES) == 32 + 1 + 5 + 4


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
