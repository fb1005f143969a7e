"""A hand-made events dataset small enough to work every figure out by hand.

7 requests on 2026-11-01 (UTC), two APIs, one route name that is markup:

=====  ============================  ======  =========  =========
time   route (api)                   status  latency_s  consumer
=====  ============================  ======  =========  =========
00:10  /pay (pay)                    200     0.02       acme
00:20  /pay (pay)                    200     0.2        acme
00:30  /pay (pay)                    500     0.6        globex
00:40  <script>alert(1)</script>     404     0.003      <b>evil</b>
01:10  /pay (pay)                    200     0.04       acme
01:20  <script>alert(1)</script>     200     3.0        globex
01:30  /u/{id} (users)               429     0.07       acme
=====  ============================  ======  =========  =========
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from apislo.model import EVENT_SCHEMA

XSS = "<script>alert(1)</script>"
ROWS = [
    ("00:10", "pay", "/pay", 200, 0.02, "acme"),
    ("00:20", "pay", "/pay", 200, 0.2, "acme"),
    ("00:30", "pay", "/pay", 500, 0.6, "globex"),
    ("00:40", "pay", XSS, 404, 0.003, "<b>evil</b>"),
    ("01:10", "pay", "/pay", 200, 0.04, "acme"),
    ("01:20", "pay", XSS, 200, 3.0, "globex"),
    ("01:30", "users", "/u/{id}", 429, 0.07, "acme"),
]
START, END = "2026-11-01T00:00:00+00:00", "2026-11-01T02:00:00+00:00"


def events_table() -> pa.Table:
    """The rows above as an Arrow table with the full event schema."""
    import pandas as pd

    n = len(ROWS)
    columns = {name: pa.nulls(n, EVENT_SCHEMA.field(name).type) for name in EVENT_SCHEMA.names}
    columns["ts"] = pa.array(
        [pd.Timestamp(f"2026-11-01T{r[0]}:00Z").to_pydatetime() for r in ROWS],
        EVENT_SCHEMA.field("ts").type,
    )
    for i, name in ((1, "api"), (2, "route"), (5, "consumer")):
        columns[name] = pa.array([r[i] for r in ROWS], pa.string())
    columns["status"] = pa.array([r[3] for r in ROWS], pa.int16())
    columns["latency_s"] = pa.array([r[4] for r in ROWS], pa.float64())
    columns["method"] = pa.array(["GET"] * n, pa.string())
    return pa.table(columns, schema=EVENT_SCHEMA)


def write_dataset(root: Path) -> Path:
    """Write the events as a one-file Parquet dataset under ``root``; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    pq.write_table(events_table(), root / "part-0.parquet")
    return root
