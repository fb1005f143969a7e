"""JSON-lines reader: fast path, per-line fallback, batches, recovery."""

from __future__ import annotations

import polars as pl

from apislo.sources.logs.jsonlines import field_schema, json_true, read_records


def test_schema_nests_dotted_paths():
    assert field_schema(["a", "b.c", "b.d"], lists=["t"]) == {
        "a": pl.String(),
        "b": pl.Struct({"c": pl.String(), "d": pl.String()}),
        "t": pl.List(pl.String()),
    }


def test_fast_path_reads_numbers_as_text_and_missing_as_null():
    chunk = b'{"a": 1, "b": {"c": 2.5}}\n{"a": "-", "b": null, "extra": [1]}\n{"z": true}\n'
    rec = read_records(chunk, ["a", "b.c"])
    assert rec.frame.rows() == [
        (0, '{"a": 1, "b": {"c": 2.5}}', "1", "2.5"),
        (1, '{"a": "-", "b": null, "extra": [1]}', "-", None),
        (2, '{"z": true}', None, None),
    ]
    assert rec.rejects.height == 0


def test_json_true_tells_the_boolean_from_the_string():
    """Both read as the text `true`; only the boolean is `true`. `"true"`, `false`, a number, an
    absent field or parent, and `true` under another name are not, in plain lines and in batch
    elements alike."""
    lines = [
        b'{"q": {"k": true}}',
        b'{"q": {"k": "true"}}',
        b'{"q": {"k": false}}',
        b'{"q": {"k": 1}}',
        b'{"q": {}, "k": true}',
        b'{"q": null}',
    ]
    expected = [True, False, False, False, False, False]
    plain = read_records(b"\n".join(lines) + b"\n", ["q.k"])
    assert plain.frame["q.k"].to_list() == ["true", "true", "false", "1", None, None]
    assert json_true(plain.frame, "q.k").to_list() == expected
    batch = read_records(b"[" + b", ".join(lines) + b"]\n", ["q.k"])
    assert json_true(batch.frame, "q.k").to_list() == expected


def test_fallback_classifies_bad_lines_and_expands_batches():
    chunk = (
        b'{"a": 1}\n'
        b"\n"
        b"plain text\n"
        b'[{"a": 2}, {"a": 3}, 7]\n'
        b'{"a": 4\n'
        b'{"a": 5,, }\n'
        b"[]\n"
        b'{"a": {"nested": 1}}\n'
    )
    rec = read_records(chunk, ["a"], lists=["t"])
    assert rec.frame.select("line_no", "a").rows() == [
        (0, "1"),
        (3, "2"),
        (3, "3"),
        (7, '{"nested": 1}'),
    ]
    assert rec.rejects.rows() == [
        (1, "not_a_request", ""),
        (2, "not_a_request", "plain text"),
        (3, "not_a_request", "7"),
        (4, "truncated", '{"a": 4'),
        (5, "bad_json", '{"a": 5,, }'),
        (6, "not_a_request", "[]"),
    ]


def test_misfit_record_rejected_alone():
    # "b" must be an object; a string there cannot be read with the schema.
    chunk = b'{"b": {"c": "x"}}\n{"b": "oops"}\n\n{"b": {"c": "y"}}\n'
    rec = read_records(chunk, ["b.c"])
    assert rec.frame.select("line_no", "b.c").rows() == [(0, "x"), (3, "y")]
    assert rec.rejects.select("line_no", "reason").rows() == [
        (1, "bad_json"),
        (2, "not_a_request"),
    ]


def test_recover_hook():
    def recover(text: str):
        return {"a": "recovered"} if "broken" in text else None

    chunk = b'{"a": "ok"}\n{"a": "broken"" }\n{"a": "other"" }\n'
    rec = read_records(chunk, ["a"], recover=recover)
    assert rec.frame.select("line_no", "a").rows() == [(0, "ok"), (1, "recovered")]
    assert rec.rejects.select("line_no", "reason").rows() == [(2, "bad_json")]


def test_empty_chunk():
    rec = read_records(b"", ["a"])
    assert rec.frame.height == 0 and rec.rejects.height == 0


def test_bad_lines_in_a_large_chunk_keep_every_other_line():
    lines = [f'{{"a": {i}}}' for i in range(3000)]
    lines[5] = '{"a": 5'  # cut off
    lines[2999] = "not json"
    rec = read_records(("\n".join(lines) + "\n").encode(), ["a"])
    assert rec.rejects.select("line_no", "reason").rows() == [
        (5, "truncated"),
        (2999, "not_a_request"),
    ]
    assert rec.frame.height == 2998
    assert rec.frame["line_no"].to_list() == [i for i in range(2999) if i != 5]
    assert rec.frame["a"].to_list() == [str(i) for i in range(2999) if i != 5]


def test_a_lone_surrogate_escape_is_read_as_a_replacement_character():
    """``\\ud83d`` with no low half after it (a string cut inside an emoji), and ``\\udcff``
    alone (Python's JSON for an undecodable byte), are read as U+FFFD, in the fast path's chunk
    and in a batch alike; the line is kept as written. Until 2026-11-30 polars read the first
    as U+0000 and the second made the line ``bad_json``. A pair (``\\ud83d\\ude00``) is one
    character, U+1F600; an escaped backslash before ``ud83d`` (``\\\\ud83d``) is no escape."""
    lines = [
        rb'{"p": "/caf\ud83d", "u": "bob\uD83D"}',
        rb'{"p": "/b\udcff", "u": "-"}',
        rb'{"p": "/c\ud83d\ude00", "u": "\\ud83d"}',
        rb'{"p": "/d", "u": "x"}',
    ]
    expected = [
        ("/caf\ufffd", "bob\ufffd"),
        ("/b\ufffd", "-"),
        ("/c\U0001f600", "\\ud83d"),
        ("/d", "x"),
    ]
    plain = read_records(b"\n".join(lines) + b"\n", ["p", "u"])
    assert plain.frame.select("line_no", "p", "u").rows() == [
        (i, *row) for i, row in enumerate(expected)
    ]
    assert plain.frame["line"].to_list() == [line.decode() for line in lines]
    assert plain.rejects.height == 0
    batch = read_records(b"[" + b", ".join(lines) + b"]\n", ["p", "u"])
    assert batch.frame.select("p", "u").rows() == expected
