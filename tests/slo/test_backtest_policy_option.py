"""``slo backtest --policy`` takes the names its help lists, and an unknown one is a usage
error naming the option (QA: the help said "workbook, pyrra, spec", the error said
"<policy>: alerting.policy: ... Allowed: workbook, sloth, pyrra.")."""

from __future__ import annotations

from click.testing import CliRunner

from apislo.cli import main


def test_an_unknown_policy_is_a_usage_error_listing_every_name() -> None:
    args = ["slo", "backtest", "spec.yaml", "--source", "data", "--policy", "nope"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 2
    assert out.output.splitlines()[-1] == (
        "Error: Invalid value for '--policy': 'nope' is not one of 'workbook', 'sloth', "
        "'pyrra', 'spec'."
    )


def test_the_help_lists_the_same_names() -> None:
    out = CliRunner().invoke(main, ["slo", "backtest", "--help"])
    assert "--policy [workbook|sloth|pyrra|spec]" in out.output
