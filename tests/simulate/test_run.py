"""simulate(): determinism, files written, errors that lose nothing, and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError
from apislo.simulate import default_end, simulate

from .conftest import END

TINY = {"days": 0.5, "apis": 3, "rate": 0.3, "end": END, "formats": ("test-tsv",)}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path) -> None:
    a = simulate(tmp_path / "a", seed=11, openmetrics=True, **TINY)
    b = simulate(tmp_path / "b", seed=11, openmetrics=True, **TINY)
    c = simulate(tmp_path / "c", seed=12, openmetrics=True, **TINY)
    files_a, files_b, files_c = (_files(tmp_path / x) for x in "abc")
    assert sorted(files_a) == [
        "logs/catalog.test-tsv.log",
        "logs/orders.test-tsv.log",
        "logs/payments.test-tsv.log",
        "metrics.om",
        "truth.json",
    ]
    assert files_a == files_b
    assert a.events.equals(b.events)
    assert all(files_a[name] != files_c[name] for name in files_a)
    assert not a.events.equals(c.events)


def test_formats_round_robin_and_stale_files(tmp_path: Path) -> None:
    keep = tmp_path / "notes.txt"
    tmp_path.mkdir(exist_ok=True)
    keep.write_text("mine")
    simulate(tmp_path, **{**TINY, "formats": ("test-tsv",)}, openmetrics=True)
    assert (tmp_path / "metrics.om").exists()
    # a second run with fewer APIs and no metrics removes only what the first run wrote
    result = simulate(tmp_path, **{**TINY, "apis": 2})
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == [
        "orders.test-tsv.log",
        "payments.test-tsv.log",
    ]
    assert not (tmp_path / "metrics.om").exists()
    assert keep.read_text() == "mine"
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["files"] == ["logs/orders.test-tsv.log", "logs/payments.test-tsv.log"]
    assert {a["format"] for a in truth["apis"].values()} == {"test-tsv"}
    assert result.logs["orders"] == tmp_path / "logs" / "orders.test-tsv.log"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"apis": 0}, "--apis must be between 1 and 8"),
        ({"apis": 9}, "--apis must be between 1 and 8"),
        ({"days": 0}, "must be positive"),
        ({"rate": -1}, "must be positive"),
        ({"formats": ("no-such-format",)}, "unknown log format 'no-such-format'; known formats:"),
        ({"formats": ()}, "at least one log format"),
        ({"formats": ("test-tsv", "test-nowrite")}, "'test-nowrite' cannot write logs yet"),
        ({"end": "yesterday"}, "not an ISO 8601 time"),
        ({"seed": -1}, "non-negative"),
    ],
)
def test_bad_parameters_write_nothing(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        simulate(tmp_path / "out", **{**TINY, **kwargs})
    assert not (tmp_path / "out").exists()


def test_out_must_be_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("mine")
    with pytest.raises(ConfigError, match="pass a writable folder as --out"):
        simulate(tmp_path / "file", **TINY)
    assert (tmp_path / "file").read_text() == "mine"


def test_openmetrics_refuses_recent_data(tmp_path: Path) -> None:
    now = datetime(2026, 11, 18, 13, 30, tzinfo=UTC)  # END + 1.5 h: too recent for backfill
    with pytest.raises(ConfigError, match="later than 2 h before now"):
        simulate(tmp_path / "out", **TINY, openmetrics=True, now=now)
    result = simulate(tmp_path / "out", **TINY, openmetrics=True, now=now + timedelta(minutes=30))
    assert result.openmetrics is not None


def test_default_end_is_two_hours_before_the_hour() -> None:
    assert default_end(datetime(2026, 11, 18, 15, 59, 59, tzinfo=UTC)) == datetime(
        2026, 11, 18, 13, 0, tzinfo=UTC
    )


def test_cli_writes_and_reports(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "sim"
    res = runner.invoke(
        main,
        [
            "simulate",
            "--out",
            str(out),
            "--days",
            "0.5",
            "--apis",
            "2",
            "--rate",
            "0.2",
            "--formats",
            "test-tsv",
            "--end",
            "2026-11-18T12:00:00Z",
        ],
    )
    assert res.exit_code == 0, res.output
    truth = json.loads((out / "truth.json").read_text())
    assert truth["end"] == "2026-11-18T12:00:00Z"
    assert f"{truth['totals']['requests']:,}" in res.output
    assert "episode outage" in res.output
    quiet = runner.invoke(
        main,
        [
            "simulate",
            "--out",
            str(out),
            "--days",
            "0.5",
            "--apis",
            "2",
            "--formats",
            "test-tsv",
            "--end",
            "2026-11-18T12:00Z",
            "--quiet",
        ],
    )
    assert quiet.exit_code == 0 and quiet.output == ""


def test_cli_error_is_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path / "x"), "--apis", "12"])
    assert res.exit_code == 1
    assert res.output.strip() == "error: --apis must be between 1 and 8, got 12"


def test_a_period_without_requests(tmp_path: Path) -> None:
    # one minute at 1/1000 of the volume: ~0.01 requests expected, none with this seed
    result = simulate(
        tmp_path,
        days=1 / 1440,
        apis=2,
        rate=0.001,
        end=END,
        formats=("test-tsv",),
        openmetrics=True,
    )
    assert result.events.height == 0
    assert result.truth["totals"]["requests"] == 0
    assert all(p.read_text() == "" for p in result.logs.values())
    text = (tmp_path / "metrics.om").read_text()
    # no counter series, but each API's histogram is there, at 0 on both sample times
    assert "http_requests_total" not in text
    assert text.count('http_request_duration_seconds_count{api="orders"} 0 ') == 2
    assert text.count('http_request_duration_seconds_count{api="payments"} 0 ') == 2


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--days", "inf", "--days must be positive and finite, got inf"),
        ("--days", "nan", "--days must be positive and finite, got nan"),
        ("--rate", "inf", "--rate must be positive and finite, got inf"),
        ("--days", "1e6", "--days 1000000.0 reaches back before year 1; pass fewer days"),
    ],
)
def test_cli_refuses_days_and_rates_it_cannot_simulate(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    out = tmp_path / "out"
    args = ["simulate", "--out", str(out), "--end", "2026-11-18T12:00Z", option, value]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1
    assert res.output == f"error: {message}\n"
    assert not out.exists()


@pytest.mark.parametrize("out", ["file", "file/sub"])
def test_cli_out_that_is_or_is_inside_a_file_is_a_one_line_error(tmp_path: Path, out: str) -> None:
    (tmp_path / "file").write_text("mine")
    args = ["simulate", "--out", str(tmp_path / out), "--days", "0.5", "--apis", "1"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1
    assert res.output == (
        f"error: {tmp_path / 'file'}: not a directory; pass a writable folder as --out\n"
    )
    assert (tmp_path / "file").read_text() == "mine"
