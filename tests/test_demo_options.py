"""`apislo demo`'s checks and output: --apis takes the simulator's range (a usage error before
any work), outside the project root it stops before any work with advice that works for it, and
its progress line and summary read right (plurals, the formats used, one precision per column).
The demo's reports are fake runs here (tests/test_demo.py runs the real ones)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import apislo.report.runner as runner
import apislo.sources.ingest
from apislo.cli import main
from apislo.demo import run_demo
from apislo.errors import ConfigError
from apislo.simulate.catalog import APIS, simulated_apis
from apislo.simulate.limits import check_volume, max_days
from apislo.sources.ingest import ingest as real_ingest
from apislo.sources.ingest import load
from tests.conftest import ROOT
from tests.schedule.test_run import FakeRunner


def test_apis_takes_the_simulators_range() -> None:
    assert len(APIS) == 8
    help_text = CliRunner().invoke(main, ["demo", "--help"]).output
    assert "--apis INTEGER RANGE  [default: 6; 1<=x<=8]" in help_text


@pytest.mark.parametrize("apis", ["9", "0"])
def test_apis_out_of_range_is_a_usage_error_before_any_work(
    apis: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo", "--apis", apis])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.endswith(
        f"Error: Invalid value for '--apis': {apis} is not in the range 1<=x<=8.\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("days", "apis", "most"),
    # 10 M requests / (the APIs' mean requests per second x 86,400 s), the last API at 0.004/s:
    # 6 APIs 0.744/s -> 155.6 days; 8 APIs 0.894/s -> 129.5; 4 APIs 0.524/s -> 220.9
    [("156", "6", 155), ("130", "8", 129), ("400", "4", 220)],
)
def test_more_days_than_the_simulator_makes_is_a_usage_error_before_any_work(
    days: str, apis: str, most: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "scheduled", tmp_path / "scheduled")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo", "--days", days, "--apis", apis])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.endswith(
        f"Error: Invalid value for '--days': {days} days of {apis} APIs would be more than the "
        f"10 million requests the simulator makes at once; pass --days {most} or fewer, or "
        "fewer --apis\n"
    )  # (the simulator's own refusal named --rate, an option the demo does not have)
    assert [p.name for p in tmp_path.iterdir()] == ["scheduled"]


def test_the_most_days_are_those_the_simulator_takes() -> None:
    for apis, most in ((6, 155), (8, 129), (3, 407), (1, 3660)):
        specs = simulated_apis(apis)
        assert max_days(specs, rate=1.0) == most
        check_volume(specs, most * 1440, rate=1.0)
        with pytest.raises(ConfigError):
            check_volume(specs, (most + 1) * 1440, rate=1.0)


def test_the_most_days_at_a_rate_making_the_cap_in_whole_days_are_those_days() -> None:
    # 1 API (0.004/s) at this rate makes 0.004 x rate x 86,400 s x 35 days = 10 M requests,
    # the cap, which check_volume takes: 35 days. Until 2026-11-29 max_days said 34, its
    # quotient a hair under 35.
    specs, rate = simulated_apis(1), 10_000_000 / (0.004 * 86_400 * 35)
    assert max_days(specs, rate) == 35
    check_volume(specs, 35 * 1440, rate)
    with pytest.raises(ConfigError):
        check_volume(specs, 36 * 1440, rate)


def test_outside_the_project_root_it_stops_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo", "--days", "1", "--apis", "1"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: no scheduled/ in {tmp_path}: run apislo demo from the project root (the folder "
        "holding scheduled/ and notebooks/)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_progress_line_and_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "scheduled", tmp_path / "scheduled")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "run_report", FakeRunner())
    lines: list[str] = []
    run_demo("data/demo", "reports", days=1, apis=2, echo=lines.append)
    assert lines[0] == "simulating 1 day of traffic for 2 APIs (nginx-timed, kong-json) ..."
    table = lines[3].splitlines()
    assert table[0].split() == [
        "api", "requests", "status_5xx", "status_429", "error_ratio", "p50_s", "p99_s"
    ]  # fmt: skip
    assert [row.split()[0] for row in table[1:]] == [api.name for api in APIS[:2]]
    for row in table[1:]:
        error_ratio, p50, p99 = row.split()[4:]
        assert re.fullmatch(r"0\.\d{4}", error_ratio), row
        assert re.fullmatch(r"\d\.\d{3}", p50) and re.fullmatch(r"\d\.\d{3}", p99), row


def _first_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int, bytes]:
    """A demo run (fake reports) in ``tmp_path``: its workdir, its truth's request count (counted
    from the generator's events) and its truth.json."""
    shutil.copytree(ROOT / "scheduled", tmp_path / "scheduled")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "run_report", FakeRunner())
    work = tmp_path / "data" / "demo"
    run_demo(work, "reports", days=1, apis=1, seed=1, echo=lambda _line: None)
    truth = (work / "simulation" / "truth.json").read_bytes()
    return work, json.loads(truth)["totals"]["requests"], truth


def test_a_refused_run_keeps_the_last_runs_logs_and_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`apislo demo --days 400` takes the CLI's range but 6 APIs over 400 days is more than the
    simulator makes: the error used to come after the last run's simulation and dataset were
    deleted, leaving the scheduled jobs (which read data/demo/events) no data."""
    work, requests, truth = _first_run(tmp_path, monkeypatch)
    with pytest.raises(ConfigError, match=r"25\.7 million requests"):
        run_demo(work, "reports", days=400, apis=6, echo=lambda _line: None)
    assert (work / "simulation" / "truth.json").read_bytes() == truth
    assert len(load(work / "events")) == requests
    assert sorted(p.name for p in work.iterdir()) == ["events", "simulation"]


def test_a_run_stopped_while_ingesting_keeps_the_last_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or SIGTERM) once the new logs are partly stored leaves the last run's dataset
    whole, not a mix or an empty one, and no staging folder."""
    work, requests, _truth = _first_run(tmp_path, monkeypatch)

    def stopped(*args: object, **kwargs: object) -> None:
        real_ingest(*args, **kwargs)  # every file stored, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(apislo.sources.ingest, "ingest", stopped)
    with pytest.raises(KeyboardInterrupt):
        run_demo(work, "reports", days=1, apis=1, seed=2, echo=lambda _line: None)
    assert len(load(work / "events")) == requests
    assert sorted(p.name for p in work.iterdir()) == ["events", "simulation"]


def test_a_job_whose_notebook_takes_no_dataset_stops_it_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo gives every job `dataset`: a job of the project's own whose notebook does not
    define it is refused before the simulation (until 2026-11-30 once the traffic was
    simulated and ingested, minutes later)."""
    import nbformat

    (tmp_path / "scheduled").mkdir()
    (tmp_path / "notebooks").mkdir()
    cell = nbformat.v4.new_code_cell('prometheus_url = ""')
    cell.metadata["tags"] = ["parameters"]
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), tmp_path / "notebooks" / "prom.ipynb")
    (tmp_path / "scheduled" / "prom.yaml").write_text(
        'name: prom\nnotebook: notebooks/prom.ipynb\ncron: "0 6 * * *"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "run_report", FakeRunner())
    result = CliRunner().invoke(main, ["demo", "--days", "1", "--apis", "1"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: job prom: unknown parameter 'dataset': notebooks/prom.ipynb's parameters cell "
        "defines prometheus_url. An override is given to every job: run the jobs whose "
        "notebook defines it one at a time (apislo schedule run NAME -p ...)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "scheduled"]
