"""When a Timeslices SLO's slices are longer than its policy's short windows, `slo compute`
and `slo backtest` name that cause (the slice length), not the step."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from apislo.cli import main
from apislo.model import EVENT_SCHEMA

T = pd.Timestamp("2026-03-02T00:00Z")

SPEC = """
version: apislo/v1
service: shop
slos:
  - name: hourly
    api: checkout
    objectives: [{target: 0.99, timeslice_target: 0.9, timeslice_window: 1h}]
    budgeting_method: Timeslices
"""

CAUSE = (
    "the alert window 5m is not a whole number of the SLO's 1h timeslices: a Timeslices or "
    "RatioTimeslices SLO alerts on its slices, so every alert window must be a multiple of its "
    "timeslice_window; use a timeslice_window that divides every alert window of its policy "
    "(1m or 5m for the workbook and pyrra policies, whose shortest window is 5m), or alert "
    "tiers whose windows are multiples of 1h (a finer --step does not help)"
)


def _setup(tmp_path: Path) -> tuple[Path, Path]:
    """The spec, and a dataset of one 200 checkout request at 2026-03-02T00:00:10Z."""
    spec = tmp_path / "slo.yaml"
    spec.write_text(textwrap.dedent(SPEC), encoding="utf-8")
    root = tmp_path / "events"
    root.mkdir()
    columns = {name: pa.nulls(1) for name in EVENT_SCHEMA.names}
    columns["ts"] = pa.array([(T + pd.Timedelta("10s")).to_pydatetime()])
    columns["api"] = pa.array(["checkout"])
    columns["route"] = pa.array(["/a"])
    columns["status"] = pa.array([200])
    columns["latency_s"] = pa.array([0.1])
    pq.write_table(pa.table(columns).cast(EVENT_SCHEMA), root / "part-0.parquet")
    return spec, root


def test_compute_note_names_the_slice_length(tmp_path: Path) -> None:
    """--step 1min already; the 5m and 30m windows are not whole 1-hour slices. (The old note
    said "--step 1min is coarser; try --step 1min".) Burn rates: the 1h window holds the one
    good slice (00:00-01:00): 0; 5m and 30m are left out."""
    spec, source = _setup(tmp_path)
    args = ["slo", "compute", str(spec), "--source", str(source), "--at", "2026-03-02T01:00Z"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"note: alerts not evaluated for hourly: {CAUSE}; burn rates over windows that are not "
        "a whole number of its slices (or of the step) are left out\n"
    )
    (record,) = json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)
    assert record["alerts_firing"] is None
    assert (record["burn_rates"]["5m"], record["burn_rates"]["1h"]) == (None, 0)


def test_backtest_error_names_the_slice_length(tmp_path: Path) -> None:
    """The old error said "use a finer step (--step 1min ...)" with --step 1min given."""
    spec, source = _setup(tmp_path)
    result = CliRunner().invoke(
        main,
        ["slo", "backtest", str(spec), "--source", str(source), "--start", "2026-03-02T00:00Z",
         "--end", "2026-03-02T06:00Z", "--step", "1min"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == f"error: {CAUSE}\n"


def test_coarse_step_still_names_the_step(tmp_path: Path) -> None:
    """An Occurrences SLO at --step 1h: the 5m window is not a whole number of 1-hour rows;
    that message (about the step) is unchanged."""
    spec, source = _setup(tmp_path)
    spec.write_text(
        "version: apislo/v1\nservice: shop\nslos:\n"
        "  - {name: plain, api: checkout, objectives: [{target: 0.99}]}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        main,
        ["slo", "compute", str(spec), "--source", str(source), "--at", "2026-03-02T06:00Z",
         "--step", "1h"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "note: alerts not evaluated for plain: the alert window 5m is not a whole number of 1h "
        "intervals: use a finer step (--step 1min on the command line"
    )
