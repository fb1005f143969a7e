"""The real gonx sample (satyrius/gonx ``example/access.log``) parsed as nginx-custom.

Expected figures come from the file itself, with awk, not from the parser:

* ``wc -l``: 1,000 lines; ``awk '{print NF}' | sort | uniq -c``: all 13 fields, so 0 rejects;
* ``awk '{s[$7]++}'``: 901 status 200, 99 status 404;
* ``awk '{b+=$9; i+=$8}'``: bytes_out 21,110,399, bytes_in 765,735;
* first line ``[10/Sep/2015:17:57:59 +0000] ... 0.138`` -> ts 17:57:58.862 UTC;
* ``awk '$10>m{m=$10;l=NR}'``: the slowest request is line 257 with 3.631 s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from apislo.sources.logs import ParseOptions, get_format

GONX = (
    '$remote_addr [$time_local] "$request" $status $request_length $body_bytes_sent '
    '$request_time "$t_size" $read_time $gen_time'
)


@pytest.mark.samples
def test_gonx_sample(samples_dir: Path) -> None:
    data = (samples_dir / "nginx-custom-gonx.log").read_bytes()
    parsed = get_format("nginx-custom", ParseOptions(log_format=GONX)).parse(data)
    events = parsed.events
    assert (events.height, parsed.rejects.height) == (1000, 0)
    assert events["status"].value_counts().sort("status").rows() == [(200, 901), (404, 99)]
    assert events["bytes_out"].sum() == 21_110_399
    assert events["bytes_in"].sum() == 765_735
    assert events["ts"][0] == datetime(2015, 9, 10, 17, 57, 58, 862_000, tzinfo=UTC)
    assert events["latency_s"].max() == 3.631
    assert events["latency_s"].arg_max() == 256  # line 257, 0-based
    assert events["path"][0] == "/t/x100/a2/a8/6806ed71570139f1656554d94bbb.jpeg"
