"""simulate(): determinism, files written, errors that lose nothing, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
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


def test_one_format_given_as_text_is_that_format(tmp_path: Path) -> None:
    # a string was iterated: `unknown log format 't'`
    result = simulate(tmp_path, **{**TINY, "apis": 2, "formats": "test-tsv"})
    assert {a["format"] for a in result.truth["apis"].values()} == {"test-tsv"}


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


def test_formats_no_api_takes_are_named_in_a_warning(tmp_path: Path) -> None:
    # 2 APIs take the first 2 of 4 formats listed (test-tsv twice): nginx-timed and kong-json
    # would go unwritten without a word
    with pytest.warns(UserWarning) as caught:
        result = simulate(
            tmp_path,
            **{**TINY, "apis": 2, "formats": ("test-tsv", "test-tsv", "nginx-timed", "kong-json")},
        )
    assert [str(w.message) for w in caught] == [
        "--formats nginx-timed, kong-json: no log written, as 2 APIs take the first 2 formats "
        "listed (one each, round-robin); pass more --apis (at most 8) or fewer formats"
    ]
    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == [
        "orders.test-tsv.log",
        "payments.test-tsv.log",
    ]
    assert result.truth["parameters"]["formats"] == [
        "test-tsv", "test-tsv", "nginx-timed", "kong-json"
    ]  # fmt: skip


def test_formats_every_api_takes_give_no_warning(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a third format repeating the first is no format left out; 3 formats for 3 APIs
        simulate(
            tmp_path / "a",
            **{**TINY, "apis": 2, "formats": ("test-tsv", "nginx-timed", "test-tsv")},
        )
        simulate(
            tmp_path / "b",
            **{**TINY, "apis": 3, "formats": ("test-tsv", "nginx-timed", "kong-json")},
        )


def test_cli_names_formats_no_api_takes_in_one_warning_line(tmp_path: Path) -> None:
    args = ["simulate", "--out", str(tmp_path), "--days", "0.01", "--apis", "1", "--quiet"]
    args += ["--end", "2026-11-18T12:00Z", "--formats", "nginx-timed,kong-json,envoy-json"]
    result = subprocess.run(
        [sys.executable, "-c", "from apislo.cli import run; run()", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == ""
    assert result.stderr == (
        "warning: --formats kong-json, envoy-json: no log written, as 1 API takes the first "
        "format listed (one each, round-robin); pass more --apis (at most 8) or fewer formats\n"
    )
    assert [p.name for p in (tmp_path / "logs").iterdir()] == ["orders.nginx-timed.log"]


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


def _no_temporary_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("step", ["0", "-5"])
def test_a_bad_openmetrics_step_replaces_nothing(tmp_path: Path, step: str) -> None:
    """QA's run: a seed-1 run, then seed 2 with a bad --openmetrics-step into the same folder.
    The step used to be checked only after the logs were rewritten (seed 2's logs beside seed
    1's truth.json); now the second run stops first, and every file is seed 1's."""
    base = ["simulate", "--out", str(tmp_path), "--days", "0.5", "--apis", "2", "--rate", "0.2"]
    base += ["--formats", "test-tsv", "--end", "2026-11-18T12:00Z", "--openmetrics"]
    assert CliRunner().invoke(main, [*base, "--seed", "1"]).exit_code == 0
    before = _files(tmp_path)
    res = CliRunner().invoke(main, [*base, "--seed", "2", "--openmetrics-step", step])
    assert res.exit_code == 1
    assert res.output == (
        f"error: the OpenMetrics sample step must be a whole number of seconds >= 1, got {step}\n"
    )
    assert _files(tmp_path) == before


@pytest.mark.parametrize(
    ("end", "days", "message"),
    [
        # 1970-01-01T06:00 - 12 h: six hours before the epoch
        ("1970-01-01T06:00Z", "0.5", "the period would start at 1969-12-31T18:00:00Z"),
        # 0999-06-01 - 7 days, written with four digits
        ("0999-06-01T00:00Z", "7", "the period would start at 0999-05-25T00:00:00Z"),
    ],
)
def test_cli_refuses_a_period_ingest_cannot_read(
    tmp_path: Path, end: str, days: str, message: str
) -> None:
    out = tmp_path / "out"
    args = ["simulate", "--out", str(out), "--end", end, "--days", days, "--apis", "2"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1
    assert res.output == (
        f"error: {message}, before 1970: apislo ingest reads request times in the years "
        "1970-9999 only; pass a later --end or fewer --days\n"
    )
    assert not out.exists()


def test_a_period_from_the_epoch_is_read_back_whole(tmp_path: Path) -> None:
    """The earliest period allowed starts at 1970-01-01T00:00Z, and ingest's reader keeps every
    request of it (NGINX's end-stamped lines included)."""
    import warnings

    import apislo

    result = simulate(
        tmp_path, days=0.5, apis=2, rate=0.2, end="1970-01-01T12:00Z", formats=("nginx-timed",)
    )
    assert result.truth["start"] == "1970-01-01T00:00:00Z"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (a rejected line warns)
        events = apislo.read_logs(sorted(result.logs.values()), format="nginx-timed")
    assert len(events) == result.truth["totals"]["requests"] == result.events.height > 0


def test_a_period_from_the_epoch_keeps_its_times_in_aws_json_logs(tmp_path: Path) -> None:
    """API Gateway's requestTimeEpoch is in milliseconds; one under 1e11 (before March 1973)
    was read as seconds, 1000 times too late: the request of 1970-01-01T00:00:30Z at
    1970-01-01T08:20Z. Every start time reads back as generated, to the millisecond."""
    import warnings

    import apislo

    result = simulate(
        tmp_path, days=0.5, apis=2, rate=0.2, end="1970-01-01T12:00Z", formats=("aws-apigw-json",)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (a rejected line warns)
        events = apislo.read_logs(sorted(result.logs.values()), format="aws-apigw-json")
    want = result.events["ts"].sort().to_list()
    assert sorted(events["ts"].tolist()) == want and len(want) > 0


def test_iso_utc_writes_four_digit_years() -> None:
    from apislo.simulate.truth import iso_utc

    assert iso_utc(datetime(999, 5, 31, 12, tzinfo=UTC)) == "0999-05-31T12:00:00Z"
    assert iso_utc(datetime(2026, 11, 28, 12, 0, 5, 999, tzinfo=UTC)) == "2026-11-28T12:00:05Z"


@pytest.mark.parametrize("target", ["truth.json", "logs/orders.test-tsv.log", "metrics.om"])
def test_cli_a_folder_where_a_file_goes_is_a_one_line_error(tmp_path: Path, target: str) -> None:
    """A folder at a path the run would write: one line, exit 1, nothing replaced, no
    temporary file (it was a 32-line IsADirectoryError with `.tmp` files left behind)."""
    args = ["simulate", "--out", str(tmp_path), "--days", "0.5", "--apis", "2", "--rate", "0.2"]
    args += ["--formats", "test-tsv", "--end", "2026-11-18T12:00Z", "--openmetrics"]
    assert CliRunner().invoke(main, [*args, "--seed", "1"]).exit_code == 0
    (tmp_path / target).unlink()
    (tmp_path / target).mkdir()
    before = _files(tmp_path)
    res = CliRunner().invoke(main, [*args, "--seed", "2"])
    assert res.exit_code == 1
    assert res.output == (
        f"error: {tmp_path / target} is a folder, not a file; remove it or pass another --out\n"
    )
    assert _files(tmp_path) == before
    assert _no_temporary_files(tmp_path)


def test_a_write_error_replaces_nothing_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that fills up while truth.json (the last file) is written: a one-line error naming
    it; the previous run's logs, metrics and truth are as they were."""
    import errno

    simulate(tmp_path, seed=1, openmetrics=True, **TINY)
    before = _files(tmp_path)
    write_text = Path.write_text

    def full_disk(path: Path, text: str, *args: object, **kwargs: object) -> int:
        if path.name.startswith(".truth.json."):
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(path, text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", full_disk)
    with pytest.raises(ConfigError) as caught:
        simulate(tmp_path, seed=2, openmetrics=True, **TINY)
    assert str(caught.value) == (
        f"cannot write {tmp_path / 'truth.json'} (No space left on device); pass a writable "
        "folder with free space as --out"
    )
    assert _files(tmp_path) == before
    assert _no_temporary_files(tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # ten years is the longest period: 100,000 days ending in 9999 start in 9725, inside
        # the calendar, but would need 144 M minutes x 6 APIs of load profiles (about 70 GB)
        (
            ["--days", "100000", "--end", "9999-01-01T00:00Z"],
            "--days 100000 is more than the 3,660 days apislo simulates",
        ),
        # 6 APIs: 0.18 + 0.10 + 0.24 + 0.08 + 0.14 + 0.004 = 0.744 requests/s at --rate 1;
        # x 30 x 604,800 s = 13,499,136 requests
        (
            ["--days", "7", "--rate", "30", "--end", "2026-11-18T12:00Z"],
            "6 APIs over 7 days at --rate 30 would make about 13.5 million requests, more than "
            "the 10 million apislo simulates at once (about 500 bytes of memory each); pass a "
            "lower --rate, fewer --days or fewer --apis",
        ),
    ],
)
def test_cli_refuses_a_volume_that_would_not_fit_in_memory(
    tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["simulate", "--out", str(out), *args])
    assert res.exit_code == 1
    assert res.output == f"error: {message}\n"
    assert not out.exists()


def test_too_many_openmetrics_samples_replace_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One minute without requests (see test_a_period_without_requests), 2 APIs, a sample every
    second: 0 counter series + 2 x 11 histogram series (8 buckets, +Inf, _count, _sum), at the
    61 times 0..60 s: 1,342 samples, over a cap lowered to 1,000. The metrics are refused after
    the events were generated, and the previous run is left whole."""
    from apislo.simulate import openmetrics

    one_minute = {"days": 1 / 1440, "apis": 2, "rate": 0.001, "end": END, "openmetrics": True}
    simulate(tmp_path, formats=("test-tsv",), **one_minute)
    before = _files(tmp_path)
    monkeypatch.setattr(openmetrics, "MAX_SAMPLES", 1000, raising=False)
    with pytest.raises(ConfigError) as caught:
        simulate(tmp_path, formats=("test-tsv",), openmetrics_step_s=1, seed=2, **one_minute)
    assert str(caught.value) == (
        "metrics.om would hold 1,342 samples (22 series x 61 times), more than the 1,000 apislo "
        "writes (about 310 bytes of memory each); pass a larger --openmetrics-step or fewer --days"
    )
    assert _files(tmp_path) == before
    assert _no_temporary_files(tmp_path)
    # into a new folder: not even the folder is left
    with pytest.raises(ConfigError, match=r"metrics\.om would hold 1,342 samples"):
        simulate(
            tmp_path / "new" / "sim", formats=("test-tsv",), openmetrics_step_s=1, **one_minute
        )
    assert not (tmp_path / "new").exists()
