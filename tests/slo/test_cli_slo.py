"""`apislo slo validate|export|compute|history` end to end through click."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from click.testing import CliRunner

from apislo.cli import main
from apislo.model import EVENT_SCHEMA

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "slo"
T = pd.Timestamp("2026-03-02T00:00Z")


def _dataset(tmp_path: Path) -> Path:
    """10 checkout requests in the first minute of 2026-03-02, 1 of them a 503."""
    root = tmp_path / "events"
    root.mkdir()
    n = 10
    columns = {name: pa.nulls(n) for name in EVENT_SCHEMA.names}
    columns["ts"] = pa.array([T.to_pydatetime()] * n)
    columns["api"] = pa.array(["checkout"] * n)
    columns["route"] = pa.array(["/a"] * n)
    columns["status"] = pa.array([503] + [200] * (n - 1))
    columns["latency_s"] = pa.array([0.1] * n)
    pq.write_table(pa.table(columns).cast(EVENT_SCHEMA), root / "part-0.parquet")
    return root


SPEC = """
version: apislo/v1
service: shop
slos:
  - name: checkout-availability
    api: checkout
    objectives: [{target: 0.99}]
    window: 1d
"""


def _spec(tmp_path: Path, body: str = SPEC) -> Path:
    path = tmp_path / "slo.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_validate_examples() -> None:
    result = CliRunner().invoke(main, ["slo", "validate", str(EXAMPLES), "--json"])
    assert result.exit_code == 0, result.output
    names = {row["slo"] for row in json.loads(result.stdout)}
    assert "checkout-availability" in names and "cart-requests-availability" in names


def test_validate_error_names_file_and_field(tmp_path: Path) -> None:
    path = _spec(tmp_path, SPEC.replace("target: 0.99", "target: 99"))
    result = CliRunner().invoke(main, ["slo", "validate", str(path)])
    assert result.exit_code == 1
    assert f"error: {path}: slos[0].objectives[0].target: 99 looks like a percentage" in (
        result.stderr
    )


def test_validate_prints_warnings(tmp_path: Path) -> None:
    path = tmp_path / "o.yaml"
    path.write_text(
        textwrap.dedent(
            """
            apiVersion: openslo/v1
            kind: SLO
            metadata: {name: monthly}
            spec:
              service: shop
              indicator:
                metadata: {name: x}
                spec: {thresholdMetric: {metricSource: {type: apislo, spec: {kind: availability}}}}
              timeWindow:
                - duration: 1m  # a month
                  isRolling: true
              budgetingMethod: Occurrences
              objectives: [{target: 0.99}]
            """
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["slo", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "`m` is minutes, `M` is months" in result.stderr


def test_compute_json(tmp_path: Path) -> None:
    # 10 requests, one 503; objective 0.99 -> budget 0.1 events, remaining 1 - 1/0.1 = -9;
    # 1-hour burn: (1/10) / 0.01 = 10.
    result = CliRunner().invoke(
        main,
        ["slo", "compute", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--at", "2026-03-02T00:05:00Z", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["slo"] == "checkout-availability" and row["api"] == "checkout"
    assert (row["good"], row["total"]) == (9, 10)
    assert row["sli"] == 0.9
    assert row["window"] == "1d" and row["budgeting_method"] == "Occurrences"
    assert row["objective"] == 0.99
    assert abs(row["error_budget_remaining"] - (-9.0)) < 1e-9
    assert abs(row["burn_rates"]["1h"] - 10.0) < 1e-9
    assert isinstance(row["alerts_firing"], list)


def test_compute_text_and_missing_source(tmp_path: Path) -> None:
    spec = str(_spec(tmp_path))
    ok = CliRunner().invoke(
        main, ["slo", "compute", spec, "--source", str(_dataset(tmp_path)), "--at",
               "2026-03-02T00:05:00Z"],
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "checkout-availability  99% over 1d: SLI 90.00000%" in ok.stdout
    bad = CliRunner().invoke(main, ["slo", "compute", spec, "--source", str(tmp_path / "nope")])
    assert bad.exit_code == 1
    assert "not a dataset directory" in bad.stderr


def test_compute_text_writes_control_characters_of_group_values_escaped(tmp_path: Path) -> None:
    """A route with a newline and an ESC (a dataset written by another tool) cannot forge an
    output line or colour the terminal: the header, one line for the route, one for [all]."""
    root = _dataset(tmp_path)
    table = pq.read_table(root / "part-0.parquet")
    routes = pa.array(["/a\n\x1b[31mFORGED"] * table.num_rows)
    pq.write_table(table.set_column(2, "route", routes), root / "part-0.parquet")
    spec = _spec(tmp_path, SPEC + "    group_by: [route]\n")
    result = CliRunner().invoke(
        main, ["slo", "compute", str(spec), "--source", str(root), "--at", "2026-03-02T00:05:00Z"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("checkout-availability [route=/a\\x0A\\x1B[31mFORGED]  99% over 1d")
    assert lines[2].startswith("checkout-availability [all]  99% over 1d")


def test_history_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["slo", "history", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--period", "month", "--start", "2026-03-01", "--end", "2026-03-03", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["period_start"] == "2026-03-01T00:00:00+00:00"
    assert (row["good"], row["total"], row["met"], row["complete"]) == (9, 10, False, False)


def test_export_openslo(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["slo", "export", str(_spec(tmp_path))])
    assert result.exit_code == 0, result.output
    (doc,) = list(yaml.safe_load_all(result.stdout))
    assert doc["apiVersion"] == "openslo/v1" and doc["kind"] == "SLO"
    assert doc["spec"]["timeWindow"] == [{"duration": "1d", "isRolling": True}]
    assert doc["spec"]["objectives"] == [{"target": 0.99}]
