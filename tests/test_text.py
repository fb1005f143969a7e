"""Text made safe to show: the escapes worked out by hand."""

from __future__ import annotations

import polars as pl

from apislo.text import UNPRINTABLE_CLASS, UNPRINTABLE_ESCAPES, printable


def test_printable_escapes_controls_and_bidi_overrides():
    assert printable("a\x00\tb\n\x1b[31m\x7f") == "a\\x00\\x09b\\x0A\\x1B[31m\\x7F"
    assert printable("x\u202efdp.exe\u2066") == "x\\u202Efdp.exe\\u2066"
    assert printable("café /ok") == "café /ok"


def test_the_regex_class_and_the_escapes_name_the_same_characters():
    every = [chr(c) for c in range(0x2100)]
    flagged = pl.Series(every).str.contains(UNPRINTABLE_CLASS).to_list()
    assert [c for c, hit in zip(every, flagged, strict=True) if hit] == list(UNPRINTABLE_ESCAPES)
    assert len(UNPRINTABLE_ESCAPES) == 32 + 1 + 5 + 4
