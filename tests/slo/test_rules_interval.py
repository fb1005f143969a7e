"""`apislo slo rules --interval` must be a Prometheus duration, checked before anything is written.

``--interval abc`` (or ``-5m``) used to write the rules, which promtool then refused with
``not a valid duration string: "abc"``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from apislo.cli import main
from apislo.errors import ConfigError
from apislo.slo import load
from apislo.slo.rules import rules_yaml
from tests.conftest import require_binary

SHOP = Path(__file__).resolve().parents[2] / "examples" / "slo" / "shop.yaml"


@pytest.mark.parametrize("interval", ["abc", "-5m", "0m", "1.5m", "99999999d"])
def test_a_bad_interval_is_a_usage_error_and_writes_nothing(tmp_path: Path, interval: str) -> None:
    out = tmp_path / "b.yaml"
    result = CliRunner().invoke(
        main, ["slo", "rules", str(SHOP), "--interval", interval, "--out", str(out)]
    )
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"Error: Invalid value for '--interval': {interval!r} is not a Prometheus duration "
        "such as 30s, 1m (positive, at most 1830d)\n"
    )
    assert "wrote" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "written"), [("30s", "30s"), ("1m", "1m"), ("90s", "1m30s"), ("1h30m", "1h30m")]
)
def test_group_interval_gives_the_prometheus_duration(text: str, written: str) -> None:
    from apislo.slo.rules import group_interval

    assert group_interval(text) == written


def test_the_python_api_refuses_a_bad_interval_too() -> None:
    with pytest.raises(ConfigError) as info:
        rules_yaml(load(SHOP)[:1], interval="abc")
    assert str(info.value) == (
        "'abc' is not a Prometheus duration such as 30s, 1m (positive, at most 1830d)"
    )


def test_a_good_interval_is_written_to_every_group_and_passes_promtool(tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    out = tmp_path / "b.yaml"
    result = CliRunner().invoke(
        main, ["slo", "rules", str(SHOP), "--interval", "90s", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    groups = yaml.safe_load(out.read_text(encoding="utf-8"))["groups"]
    assert [g["interval"] for g in groups] == ["1m30s"] * 3
    checked = subprocess.run(
        [promtool, "check", "rules", str(out)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
