"""The line digests a state entry keeps of a file's first and last bytes read, and how many
lines a file rewritten still shares with them."""

from __future__ import annotations

import hashlib

import pytest

from apislo.sources.known import line_digests, shared_lines

TEXT = b"alpha\nbeta\ngamma\n"


def _digest(data: bytes) -> str:
    """8 hex digits of the SHA-256 of ``data``, computed in one go."""
    return hashlib.sha256(data).hexdigest()[:8]


def test_line_digests_cover_the_bytes_up_to_each_line_end() -> None:
    """One digest per line end, of everything before it; an unterminated last line counts
    only when the bytes are all that was read (``whole``)."""
    expected = _digest(b"alpha\n") + _digest(b"alpha\nbeta\n") + _digest(TEXT)
    assert line_digests(TEXT) == expected
    assert line_digests(TEXT + b"del") == expected
    assert line_digests(TEXT + b"del", whole=True) == expected + _digest(TEXT + b"del")
    assert line_digests(b"") == line_digests(b"no line end") == ""


@pytest.mark.parametrize(
    ("data", "shared"),
    [
        (TEXT, (17, 3)),  # the same lines
        (b"alpha\nbeta\n", (11, 2)),  # trimmed
        (b"alpha\nbeta\ndelta\n", (11, 2)),  # trimmed, then written on
        (b"alpha\nbeta\ngamma\ndelta\n", (17, 3)),  # grown
        (b"alpha\nbet", (6, 1)),  # a line cut short is not the line
        (b"alphA\nbeta\ngamma\n", (0, 0)),  # changed from the first line
    ],
)
def test_shared_lines_counts_the_first_lines_in_common(
    data: bytes, shared: tuple[int, int]
) -> None:
    assert shared_lines(data, line_digests(TEXT)) == shared
