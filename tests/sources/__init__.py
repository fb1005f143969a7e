"""Helpers shared by the ingest tests: NGINX ``combined`` lines whose order number is their
time, files made to look settled, and the orders a dataset holds."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

import apislo

#: Order ``n``'s request was logged at this time + ``n`` seconds.
ORDERS_START = pd.Timestamp("2026-11-01 11:00Z")


def order_lines(first: int, count: int) -> str:
    """``count`` NGINX ``combined`` lines for orders ``first``, ``first + 1``...: 01 Nov 2026,
    11:MM:SS UTC where MM:SS counts the order, 200, 512 bytes (about 100 bytes a line)."""
    return "".join(
        f'10.0.0.1 - - [01/Nov/2026:11:{n // 60:02d}:{n % 60:02d} +0000] "GET /v1/orders/{n} '
        f'HTTP/1.1" 200 512 "-" "curl/8.5"\n'
        for n in range(first, first + count)
    )


def settled(path: Path) -> None:
    """Make ``path`` look written to five minutes ago: no writer is finishing its lines (its
    last line is read, stray lines are not waited on)."""
    stamp = path.stat().st_mtime - 300
    os.utime(path, (stamp, stamp))


def stored_orders(dataset: Path) -> list[int]:
    """The orders stored (their requests' seconds after :data:`ORDERS_START`; routes are
    templated, so the time tells them apart)."""
    ts = apislo.load(dataset)["ts"]
    return sorted(int(s) for s in (ts - ORDERS_START).dt.total_seconds())
