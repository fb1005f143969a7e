"""No number in a log line crashes a parser: each line becomes one event or one counted reject.

For every format with a writer, each number of a simulated line is replaced in turn by values no
gateway writes (25 nines, a negative 14-digit number, 99999). Before, such values crashed the
casts to the integer and time columns (an Int16 of 10**14 retries, epoch milliseconds times
1,000 past the Int64 range).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from apislo.simulate import simulate
from apislo.sources.logs import ParseOptions, format_names, get_format

HUGE = (b"9" * 25, b"-" + b"9" * 14, b"99999")
NUMBER = re.compile(rb"\d+(?:\.\d+)?")


@pytest.mark.parametrize(
    "name", [n for n in format_names() if n != "nginx-custom" and not n.startswith("test-")]
)
def test_every_number_made_huge_gives_one_row(name: str, tmp_path: Path) -> None:
    result = simulate(
        tmp_path,
        formats=(name,),
        days=0.02,
        apis=1,
        seed=3,
        end=datetime(2026, 11, 18, 12, 0, tzinfo=UTC),
    )
    (log,) = result.logs.values()
    line = next(text for text in Path(log).read_bytes().splitlines(keepends=True) if text.strip())
    parser = get_format(name, ParseOptions(tz="UTC"))
    rows = []
    for match in NUMBER.finditer(line):
        for huge in HUGE:
            parsed = parser.parse(line[: match.start()] + huge + line[match.end() :])
            rows.append(parsed.events.height + parsed.rejects.height)
    assert len(rows) >= 3 * len(HUGE)  # a time, a status, a size at least
    assert rows == [1] * len(rows)
