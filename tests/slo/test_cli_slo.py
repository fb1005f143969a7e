"""`apislo slo validate|export|compute|history` end to end through click."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from apislo.cli import main
from apislo.model import EVENT_SCHEMA
from tests.conftest import require_binary

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


def test_compute_json_says_at_which_instant_and_from_which_source(tmp_path: Path) -> None:
    # --at 00:05:30 is evaluated at the start of its 1-minute step, 00:05:00, as the text's
    # first line says; the JSON said neither the instant nor the source
    dataset = str(_dataset(tmp_path))
    args = ["slo", "compute", str(_spec(tmp_path)), "--source", dataset]
    result = CliRunner().invoke(main, [*args, "--at", "2026-03-02T00:05:30Z", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["at"] == "2026-03-02T00:05:00+00:00"
    assert row["source"] == dataset
    text = CliRunner().invoke(main, [*args, "--at", "2026-03-02T00:05:30Z"])
    assert text.stdout.splitlines()[0] == f"at 2026-03-02T00:05:00+00:00  source {dataset}"


def test_backtest_json_says_which_history_it_replayed(tmp_path: Path) -> None:
    # --start is rounded up and --end down to the 1-minute step: 23:01 to 00:05, as the text's
    # heading says; the JSON did not say it
    args = ["slo", "backtest", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path))]
    args += ["--start", "2026-03-01T23:00:30Z", "--end", "2026-03-02T00:05:30Z"]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert (report["start"], report["end"]) == (
        "2026-03-01T23:01:00+00:00",
        "2026-03-02T00:05:00+00:00",
    )
    text = CliRunner().invoke(main, args)
    assert text.stdout.splitlines()[0] == (
        "== checkout-availability (2026-03-01 23:01 .. 2026-03-02 00:05 UTC)"
    )


@pytest.mark.parametrize(
    ("period", "periods"),
    [
        ("year", "2026"),  # year 0: a ValueError traceback
        ("year", "349"),  # 1677-01-01, before the first instant a pandas timestamp holds
        ("month", "30000"),  # year -474: a traceback
        ("week", "200000"),  # about 3,800 years back: it came out as a week of 1970
        ("year", "99999999999999999999999"),  # past int64: an OverflowError traceback
    ],
)
def test_history_periods_reaching_before_1677_are_a_one_line_error(
    period: str, periods: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main,
        ["slo", "history", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--end", "2026-03-03T00:00Z", "--period", period, "--periods", periods],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr == (
        f"error: {periods} {period}s back from 2026-03-03T00:00:00+00:00 start before "
        "1677-09-22, the earliest time apislo handles: ask for fewer periods (--periods), or "
        "give a start\n"
    )


def test_history_periods_back_to_1678_are_taken(tmp_path: Path) -> None:
    # 348 years before 2026 starts on 1678-01-01: no longer refused as too early (1-minute
    # counts over 348 years are then too many rows, another one-line error)
    result = CliRunner().invoke(
        main,
        ["slo", "history", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--end", "2026-03-03T00:00Z", "--period", "year", "--periods", "348"],
    )  # fmt: skip
    # minutes from 1678-01-01 to 2026-03-03; the advice is the command's step,
    # not `complete=False`, which only apislo.traffic in Python has (until 2026-11-29 it said so)
    minutes = (datetime(2026, 3, 3) - datetime(1678, 1, 1)).days * 1440
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: a complete traffic frame would hold {minutes:,} rows ({minutes:,} intervals x "
        "1 groups), over 20,000,000; use a longer step or a shorter span\n",
    )


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


def test_export_out_creates_folders_and_unwritable_out_is_one_line(tmp_path: Path) -> None:
    # `slo export --out` into a folder not yet there stopped with a FileNotFoundError traceback
    # (`slo rules --out` creates it); a path under a file is an error naming that file, for
    # both (the reason was "File exists", the error of making the folder where the file is).
    spec = str(_spec(tmp_path))
    out = tmp_path / "new" / "dir" / "slo.openslo.yaml"
    result = CliRunner().invoke(main, ["slo", "export", spec, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    (doc,) = list(yaml.safe_load_all(out.read_text(encoding="utf-8")))
    assert doc["spec"]["objectives"] == [{"target": 0.99}]
    blocked = tmp_path / "slo.yaml" / "out.yaml"  # slo.yaml is a file, not a folder
    for command in ("export", "rules"):
        result = CliRunner().invoke(main, ["slo", command, spec, "--out", str(blocked)])
        assert result.exit_code == 1, result.output
        assert result.stderr.splitlines() == [
            f"error: cannot write {blocked}: {tmp_path / 'slo.yaml'} is a file, not a folder"
        ]


def test_history_text_labels_periods_in_their_time_zone(tmp_path: Path) -> None:
    # March in Paris starts at 2026-02-28T23:00Z (UTC+1): its label is 2026-03-01, not the UTC
    # date 2026-02-28. The 10 requests (one 503) of 2026-03-02 fall in it.
    result = CliRunner().invoke(
        main,
        ["slo", "history", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--period", "month", "--timezone", "Europe/Paris", "--start", "2026-03-01T00:00+01:00",
         "--end", "2026-03-03T00:00Z"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2026-03-01  checkout-availability  99%: 90.00000% MISSED (partial)"
    ]


@pytest.mark.parametrize(
    ("command", "option", "value", "message"),
    [
        ("history", "--timezone", "Mars/Olympus",
         "error: --timezone 'Mars/Olympus': unknown time zone; pass an IANA name such as "
         "Europe/Paris or UTC"),
        ("compute", "--at", "yesterday",
         "error: --at 'yesterday' is not a time; use ISO 8601 (2026-01-31T00:00Z), now, or -7d"),
        ("compute", "--at", "-1x",
         "error: --at '-1x' is not a duration; write it like 30s, 1m, 1h, 7d or 1h30m"),
        ("history", "--end", "garbage",
         "error: --end 'garbage' is not a time; use ISO 8601 (2026-01-31T00:00Z), now, or -7d"),
        ("backtest", "--start", "garbage",
         "error: --start 'garbage' is not a time; use ISO 8601 (2026-01-31T00:00Z), now, or "
         "-7d"),
        ("compute", "--step", "garbage",
         "error: interval 'garbage' is not a duration like '5min' or '1h'"),
        ("history", "--step", "0s",
         "error: interval '0s' must be a positive whole number of microseconds"),
        # a step without a unit was read as nanoseconds: 300 ns is no whole microsecond
        ("compute", "--step", "300",
         "error: interval '300' is a number without a unit; give a duration such as '300s', "
         "'5min' or '1h'"),
        # an empty value was NaT, reported as "start=NaT"; years past 2262 were tracebacks
        ("compute", "--at", "",
         "error: --at '' is not a time; use ISO 8601 (2026-01-31T00:00Z), now, or -7d"),
        ("compute", "--at", "9999-12-31",
         "error: --at '9999-12-31' is out of range: times must lie between 1677-09-22 and "
         "2262-04-11"),
        ("history", "--end", "now+300y",
         "error: --end 'now+300y' is out of range: times must lie between 1677-09-22 and "
         "2262-04-11"),
        ("backtest", "--start", "-200000d",
         "error: --start '-200000d' is out of range: times must lie between 1677-09-22 and "
         "2262-04-11"),
    ],
    ids=["timezone", "at-word", "at-relative", "end", "backtest-start", "step", "step-zero",
         "step-without-unit", "at-empty", "at-year-9999", "end-300y-ahead", "start-200000d-back"],
)  # fmt: skip
def test_bad_time_or_zone_options_are_one_line_errors(
    tmp_path: Path, command: str, option: str, value: str, message: str
) -> None:
    args = ["slo", command, str(_spec(tmp_path)), "--source", str(_dataset(tmp_path))]
    result = CliRunner().invoke(main, [*args, option, value])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == message
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_compute_at_relative_time(tmp_path: Path) -> None:
    # --at -1d reads like `apislo prom --start -1d`: a day before now, floored to the 1-minute
    # step.
    before = pd.Timestamp.now(tz="UTC")
    result = CliRunner().invoke(
        main,
        ["slo", "compute", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--at", "-1d"],
    )  # fmt: skip
    after = pd.Timestamp.now(tz="UTC")
    assert result.exit_code == 0, result.output
    at = pd.Timestamp(result.stdout.splitlines()[0].split()[1])
    day = pd.Timedelta(days=1)
    assert (before - day).floor("1min") <= at <= (after - day).floor("1min")


def _openmetrics(errors_every_min: int) -> str:
    """orders: 10 requests/min with code 200, and one 500 every ``errors_every_min`` minutes,
    sampled each minute from 2026-01-05T00:00Z to 03:00Z (counters at minute m: 10 m and
    m // errors_every_min)."""
    t0 = int(pd.Timestamp("2026-01-05T00:00Z").timestamp())
    lines = ["# TYPE http_requests counter"]
    for code, value in (("200", lambda m: 10 * m), ("500", lambda m: m // errors_every_min)):
        lines += [
            f'http_requests_total{{api="orders",code="{code}"}} {value(m)} {t0 + 60 * m}'
            for m in range(181)
        ]
    return "\n".join([*lines, "# EOF"]) + "\n"


#: One orders SLO over an hour with one ticket tier (also used by the connection tests).
ORDERS_SPEC = """
version: apislo/v1
service: shop
slos:
  - name: orders-availability
    api: orders
    objectives: [{target: 0.99}]
    window: 1h
    alerting:
      tiers: [{severity: ticket, long_window: 1h, short_window: 5m, factor: 1}]
"""


@pytest.mark.prometheus
def test_no_cache_reads_what_the_server_serves_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two servers in turn at the same URL: server A has one 500 every 10 minutes, server B one
    every 5. B's numbers are read, with the chunk cache (keyed by the server's start time; until
    2026-11-29 it kept A's numbers for B's URL) and with --no-cache."""
    require_binary("promtool")
    require_binary("prometheus")
    from apislo.sources.prometheus.local import LocalPrometheus, backfill, free_port

    monkeypatch.setenv("APISLO_CACHE_DIR", str(tmp_path / "cache"))
    spec = str(_spec(tmp_path, ORDERS_SPEC))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = {}
    for name, every in (("a", 10), ("b", 5)):
        (tmp_path / f"{name}.om").write_text(_openmetrics(every))
        data[name] = backfill(tmp_path / f"{name}.om", tmp_path / name, "24h")
    compute = ["slo", "compute", spec, "--source", url, "--at", "2026-01-05T02:00Z", "--json"]

    def good_total(*extra: str) -> tuple[int, int]:
        result = CliRunner().invoke(main, [*compute, *extra])
        assert result.exit_code == 0, result.output
        (row,) = json.loads(result.stdout)
        return row["good"], row["total"]

    # The 1-hour window at 02:00 holds minutes 60-119: 600 good; 500s 12 - 6 = 6 on A,
    # 24 - 12 = 12 on B.
    with LocalPrometheus(data["a"], port):
        assert good_total() == (600, 606)
    with LocalPrometheus(data["b"], port):
        assert good_total() == (600, 612)  # not A's chunks from the cache
        assert good_total("--no-cache") == (600, 612)
        history = CliRunner().invoke(
            main,
            ["slo", "history", spec, "--source", url, "--period", "week", "--start",
             "2026-01-05T00:00Z", "--end", "2026-01-05T03:00Z", "--json", "--no-cache"],
        )  # fmt: skip
        backtest = CliRunner().invoke(
            main,
            ["slo", "backtest", spec, "--source", url, "--start", "2026-01-05T00:00Z", "--end",
             "2026-01-05T03:00Z", "--json", "--no-cache"],
        )  # fmt: skip
    assert history.exit_code == 0, history.output
    (week,) = json.loads(history.stdout)
    # minutes 0-179 of B: 1,800 good, 180 // 5 = 36 errors
    assert (week["good"], week["total"]) == (1800, 1836)
    assert backtest.exit_code == 0, backtest.output
    # B: every 5-minute window holds one 500 in 51 requests (1.96 % > the 1 % threshold of
    # factor 1), and so does the 1-hour window from the first error on: the alert fires at
    # 00:05 and never resets. (On A the 1-hour ratio is at most 1/101 < 1 %: it never fires.)
    (report,) = json.loads(backtest.stdout)
    fired = [(a["tier"], a["fired_at"], a["reset_at"]) for a in report["alerts"]]
    assert fired == [("ticket-1h", "2026-01-05T00:05:00+00:00", None)]


def _openmetrics_by_method() -> str:
    """orders from 2026-01-05T00:00Z to 03:00Z, sampled each minute m: GET 200 10 m and GET 500
    m // 10; POST 200 5 m and POST 500 m // 5. The latency histogram has no method label, as
    many exporters' do not."""
    t0 = int(pd.Timestamp("2026-01-05T00:00Z").timestamp())
    series = {
        ("GET", "200"): lambda m: 10 * m,
        ("GET", "500"): lambda m: m // 10,
        ("POST", "200"): lambda m: 5 * m,
        ("POST", "500"): lambda m: m // 5,
    }
    lines = ["# TYPE http_requests counter"]
    for (method, code), value in series.items():
        lines += [
            f'http_requests_total{{api="orders",method="{method}",code="{code}"}} {value(m)} '
            f"{t0 + 60 * m}"
            for m in range(181)
        ]
    lines.append("# TYPE http_request_duration_seconds histogram")
    for suffix, labels in (("_bucket", ',le="0.3"'), ("_bucket", ',le="+Inf"'), ("_count", "")):
        lines += [
            f'http_request_duration_seconds{suffix}{{api="orders"{labels}}} {15 * m} {t0 + 60 * m}'
            for m in range(181)
        ]
    lines += [
        f'http_request_duration_seconds_sum{{api="orders"}} {1.5 * m} {t0 + 60 * m}'
        for m in range(181)
    ]
    return "\n".join([*lines, "# EOF"]) + "\n"


@pytest.mark.prometheus
def test_availability_from_prometheus_grouped_by_a_label_the_histogram_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An availability SLI does not read the latency histogram, so grouping it by method (a
    label only the request counter has) works from Prometheus as it does from logs."""
    require_binary("promtool")
    require_binary("prometheus")
    from apislo.sources.prometheus.local import LocalPrometheus, backfill

    monkeypatch.setenv("APISLO_CACHE_DIR", str(tmp_path / "cache"))
    spec = _spec(tmp_path, ORDERS_SPEC + "    group_by: [method]\n")
    (tmp_path / "m.om").write_text(_openmetrics_by_method())
    data = backfill(tmp_path / "m.om", tmp_path / "data", "24h")
    with LocalPrometheus(data) as prom:
        result = CliRunner().invoke(
            main,
            ["slo", "compute", str(spec), "--source", prom.url, "--at", "2026-01-05T02:00Z",
             "--json"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The 1-hour window at 02:00 holds minutes 60-119: GET 600 good, 12 - 6 = 6 errors; POST
    # 300 good, 24 - 12 = 12 errors.
    got = {row["group"]: (row["good"], row["total"]) for row in json.loads(result.stdout)}
    assert got == {"method=GET": (600, 606), "method=POST": (300, 312), "all": (900, 918)}


def test_compute_text_without_burn_rates_prints_no_burn_label(tmp_path: Path) -> None:
    # A week after the only requests (2026-03-02 00:00), the 1-day window and every burn-rate
    # window (3 days at most) hold no event: SLI n/a, nothing spent, low traffic, and no burn
    # rate to print, so no dangling "burn" label either.
    result = CliRunner().invoke(
        main,
        ["slo", "compute", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--at", "2026-03-09T00:00:00Z"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == (
        "checkout-availability  99% over 1d: SLI n/a, budget left 100.0%  LOW TRAFFIC"
    )


def test_compute_says_when_a_coarse_step_leaves_the_alerts_unevaluated(tmp_path: Path) -> None:
    # With --step 1h the Workbook policy's 5m and 30m short windows cannot be made of 1-hour
    # rows: no alert can be evaluated, so none may read as "none firing". The text says so on
    # stderr, and JSON gives null instead of an empty list; the 5m and 30m burn rates are null.
    args = ["slo", "compute", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
            "--at", "2026-03-02T06:00:00Z", "--step", "1h"]  # fmt: skip
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0, text.output
    assert text.stderr.startswith(
        "note: alerts not evaluated for checkout-availability: the alert window 5m is not a "
        "whole number of 1h intervals: use a finer step (--step 1min on the command line"
    )
    (record,) = json.loads(CliRunner().invoke(main, [*args, "--json"]).stdout)
    assert record["alerts_firing"] is None
    assert (record["burn_rates"]["5m"], record["burn_rates"]["30m"]) == (None, None)


def test_history_with_start_after_end_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["slo", "history", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--period", "week", "--start", "2026-11-29T00:00:00Z", "--end", "2026-11-28T00:00:00Z"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: --start 2026-11-29T00:00:00+00:00 is not before --end "
        "2026-11-28T00:00:00+00:00: the range holds no period; give a --start earlier than --end"
    ]


def _truth(tmp_path: Path) -> Path:
    path = tmp_path / "truth.json"
    episodes = [
        {"kind": "outage", "api": "checkout", "start": "2026-03-02T00:00:00Z",
         "end": "2026-03-02T00:10:00Z"},
        {"kind": "low-traffic", "api": "search", "start": "2026-03-01T00:00:00Z",
         "end": "2026-03-03T00:00:00Z"},
    ]  # fmt: skip
    path.write_text(json.dumps({"episodes": episodes}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--incident-kind", "outtage"],
         "error: --incident-kind 'outtage': no incident in {truth} has that kind; allowed: "
         "outage"),
        (["--incident-kind", "low-traffic"],
         "error: --incident-kind 'low-traffic': low-traffic episodes are a condition of the "
         "whole period, not incidents; allowed: outage"),
        (["--step", "1h"],
         "error: the alert window 5m is not a whole number of 1h intervals: use a finer step "
         "(--step 1min on the command line; interval='1min' for apislo.traffic in Python), or "
         "a policy whose windows are multiples of the step"),
    ],
    ids=["kind-typo", "kind-not-an-incident", "step-too-long"],
)  # fmt: skip
def test_backtest_option_errors(tmp_path: Path, extra: list[str], message: str) -> None:
    truth = _truth(tmp_path)
    result = CliRunner().invoke(
        main,
        ["slo", "backtest", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--incidents", str(truth), "--start", "2026-03-02", "--end", "2026-03-03", *extra],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [message.format(truth=truth)]


def test_backtest_incident_kind_needs_incidents(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["slo", "backtest", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--start", "2026-03-02", "--end", "2026-03-03", "--incident-kind", "outage"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: --incident-kind needs --incidents (truth.json or a start/end table)"
    ]


def test_backtest_warns_when_an_slo_without_api_meets_incidents_on_several_apis(
    tmp_path: Path,
) -> None:
    # Like a Sloth or PromQL-ratio SLO: no API, so an incident on any API can take its alerts.
    # truth.json has checkout's outage and search's low-traffic (not an incident), plus an
    # outage on search: two APIs with incidents.
    truth = _truth(tmp_path)
    doc = json.loads(truth.read_text())
    doc["episodes"].append({"kind": "outage", "api": "search", "start": "2026-03-02T01:00:00Z",
                            "end": "2026-03-02T02:00:00Z"})  # fmt: skip
    truth.write_text(json.dumps(doc))
    spec = _spec(tmp_path, SPEC.replace("    api: checkout\n", ""))
    result = CliRunner().invoke(
        main,
        ["slo", "backtest", str(spec), "--source", str(_dataset(tmp_path)), "--incidents",
         str(truth), "--start", "2026-03-02", "--end", "2026-03-03"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "warning: checkout-availability names no API, so its alerts are matched with the "
        "incidents of every API (checkout, search); keep those of its own (--incident-kind, or "
        "an incidents table with only them) for precision and recall that mean something"
    ]


def test_history_periods_cannot_be_negative(tmp_path: Path) -> None:
    # --periods -1 would start the history after its end: nothing, silently.
    result = CliRunner().invoke(
        main,
        ["slo", "history", str(_spec(tmp_path)), "--source", str(_dataset(tmp_path)),
         "--periods", "-1"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "Invalid value for '--periods': -1 is not in the range x>=0." in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["validate"],
        ["compute", "--at", "2026-03-02T00:05Z"],
        ["backtest", "--start", "2026-03-02T00:00Z", "--end", "2026-03-02T00:05Z"],
    ],
    ids=["validate", "compute", "backtest"],
)
def test_an_alert_that_cannot_fire_warns_once_in_every_command(
    command: list[str], tmp_path: Path
) -> None:
    # at a 90 % objective the workbook's page tier needs an error ratio above 14.4 x 0.1 =
    # 1.44; the others (6 x 0.1, 1 x 0.1) can fire. Only `slo rules` said so until 2026-11-30.
    spec = _spec(tmp_path, SPEC.replace("0.99", "0.9").replace("1d", "30d"))
    args = ["slo", command[0], str(spec), *command[1:]]
    if command[0] != "validate":
        args += ["--source", str(_dataset(tmp_path))]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warned == [
        "warning: CheckoutAvailabilityPageBurnRate1h of SLO checkout-availability (90%) can "
        "never fire: its threshold 14.4 x 0.1 = 1.44 is an error ratio of 100 % or more (tier "
        "page-1h); at this objective a tier's factor must be under 10"
    ]


def test_backtest_warns_of_alerts_of_each_replayed_policy_that_cannot_fire(
    tmp_path: Path,
) -> None:
    # a 28d window at 90 %: pyrra's page tier 14 x 0.1 = 1.4 and the spec's own (workbook)
    # 0.02 x 672 h / 1 h = 13.44 x 0.1 = 1.344 cannot fire; pyrra's 7, 2, 1 and the
    # workbook's 5.6 (6h), 2.8 (1d) and 0.933 (3d) can
    spec = _spec(tmp_path, SPEC.replace("0.99", "0.9").replace("1d", "28d"))
    args = ["slo", "backtest", str(spec), "--source", str(_dataset(tmp_path))]
    args += ["--policy", "pyrra", "--policy", "spec"]
    args += ["--start", "2026-03-02T00:00Z", "--end", "2026-03-02T00:05Z"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warned == [
        "warning: CheckoutAvailabilityPageBurnRate1h of SLO checkout-availability (90%) can "
        "never fire: its threshold 14 x 0.1 = 1.4 is an error ratio of 100 % or more (tier "
        "page-1h of policy pyrra); at this objective a tier's factor must be under 10",
        "warning: CheckoutAvailabilityPageBurnRate1h of SLO checkout-availability (90%) can "
        "never fire: its threshold 13.44 x 0.1 = 1.344 is an error ratio of 100 % or more "
        "(tier page-1h of policy workbook); at this objective a tier's factor must be under 10",
    ]
