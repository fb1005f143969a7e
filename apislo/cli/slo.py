"""`apislo slo` commands: validate and export specs, compute SLOs, show compliance history."""

from __future__ import annotations

from typing import Any

import click

from apislo.cli import slo_alerts
from apislo.cli._common import (
    connection_options,
    echo_json,
    fail_on_apislo_error,
    load_specs,
    open_source,
    warn_alerts_that_cannot_fire,
    write_file,
)
from apislo.text import printable

__all__ = ["command"]

_SOURCE_HELP = (
    "Dataset directory (apislo ingest), or a Prometheus URL http(s)://host:port (then the "
    "connection options below apply)."
)
_TIME_HELP = "ISO 8601 (naive = UTC), now, or relative (-1d, now-2h)"


@click.group(name="slo")
def command() -> None:
    """SLOs: specs (apislo, OpenSLO, Sloth), error budgets, burn rates, history, alerts."""


@command.command("validate")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the SLOs found as JSON.")
def validate(specs: tuple[str, ...], as_json: bool) -> None:
    """Check SLO specs (apislo/v1, OpenSLO v1 or v1alpha, Sloth prometheus/v1).

    Exits 1 with the file, field and what is allowed on the first error; warnings (for example
    an OpenSLO `duration: 1m` meant as a month) go to standard error.
    """
    from apislo.slo.policy import policy_for

    with fail_on_apislo_error():
        slos = load_specs(specs)
        policies = {slo.name: policy_for(slo) for slo in slos}
        warn_alerts_that_cannot_fire(slos)
    rows = [
        {
            "slo": slo.name,
            "origin": slo.origin,
            "sli": slo.sli.kind,
            "window": slo.window.label,
            "budgeting_method": slo.budgeting_method,
            "objectives": [o.target for o in slo.objectives],
            "policy": policies[slo.name].name,
        }
        for slo in slos
    ]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        targets = ", ".join(f"{t:.12g}" for t in row["objectives"])
        click.echo(
            f"ok  {row['slo']}  {row['sli']}  {row['window']}  {row['budgeting_method']}  "
            f"[{targets}]  policy {row['policy']}  ({row['origin']})"
        )
    click.echo(f"{len(rows)} SLO(s) valid", err=True)


@command.command("export")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
def export(specs: tuple[str, ...], out: str | None) -> None:
    """Export SLO specs as OpenSLO v1 YAML (--out: its missing folders are created)."""
    from apislo.slo.formats.openslo_export import dump_openslo

    with fail_on_apislo_error():
        text = dump_openslo(load_specs(specs))
        if out:
            write_file(out, text)
    if not out:
        click.echo(text, nl=False)


@command.command("compute")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@click.option("--source", required=True, help=_SOURCE_HELP)
@click.option("--at", default="now", show_default=True, help=f"Evaluation time: {_TIME_HELP}.")
@click.option("--step", default="1min", show_default=True, help="Interval of the counts.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per SLO and group.")
@connection_options
def compute(
    specs: tuple[str, ...], source: str, at: str, step: str, as_json: bool, **connection: Any
) -> None:
    """SLI, error budget and burn rates of each SLO (and group) at --at."""
    from apislo.slo.evaluation import evaluate
    from apislo.sources.prometheus.times import parse_time

    with fail_on_apislo_error():
        at_ts = parse_time(at, what="--at")
        slos = load_specs(specs)
        warn_alerts_that_cannot_fire(slos)
        src = open_source(source, connection)
        result = evaluate(slos, src, at=at_ts, step=step, series=False)
    records = result.records()
    if as_json:
        echo_json(records)
        return
    click.echo(f"at {result.at.isoformat()}  source {result.source}")
    for r in records:
        sli = "n/a" if r["sli"] is None else f"{r['sli']:.5%}"
        left = r["error_budget_remaining"]
        left_text = "n/a" if left is None else f"{left:.1%}"
        group = f" [{printable(r['group'])}]" if r["group"] else ""  # a value from the data
        burns = " ".join(f"{w}={v:.2f}" for w, v in r["burn_rates"].items() if v is not None)
        burn_text = f"  burn {burns}" if burns else ""  # none without events in any window
        flag = "  LOW TRAFFIC" if r["low_traffic"] else ""
        alerts = f"  firing: {', '.join(r['alerts_firing'])}" if r["alerts_firing"] else ""
        click.echo(
            f"{r['slo']}{group}  {r['objective_name']} over {r['window']}: SLI {sli}, "
            f"budget left {left_text}{burn_text}{flag}{alerts}"
        )
    for name, why in sorted(result.alerts_not_evaluated.items()):
        click.echo(
            f"note: alerts not evaluated for {name}: {why}; burn rates over windows that are "
            "not a whole number of its slices (or of the step) are left out",
            err=True,
        )


@command.command("history")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@click.option("--source", required=True, help=_SOURCE_HELP)
@click.option(
    "--period",
    type=click.Choice(["week", "month", "quarter", "year"]),
    default="month",
    show_default=True,
)
@click.option(
    "--start", default=None, help=f"First instant: {_TIME_HELP} (default: --periods back)."
)
@click.option("--end", default="now", show_default=True, help=f"Last instant: {_TIME_HELP}.")
@click.option(
    "--periods",
    default=6,
    show_default=True,
    type=click.IntRange(min=0),
    help="Periods back when no --start.",
)
@click.option(
    "--timezone", default="UTC", show_default=True, help="IANA zone of period boundaries."
)
@click.option("--step", default="1min", show_default=True, help="Interval of the counts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON records.")
@connection_options
def history(
    specs: tuple[str, ...],
    source: str,
    period: str,
    start: str | None,
    end: str,
    periods: int,
    timezone: str,
    step: str,
    as_json: bool,
    **connection: Any,
) -> None:
    """Attainment per past calendar period (met or missed) for each SLO and objective.

    Periods are labelled with their first day in --timezone; JSON gives exact UTC instants.
    """
    from apislo.errors import ConfigError
    from apislo.slo.evaluation import compliance_history
    from apislo.sources.prometheus.times import parse_time
    from apislo.zones import check_timezone

    with fail_on_apislo_error():
        check_timezone(timezone, "--timezone")
        start_ts = parse_time(start, what="--start") if start is not None else None
        end_ts = parse_time(end, what="--end")
        if start_ts is not None and start_ts >= end_ts:
            raise ConfigError(
                f"--start {start_ts.isoformat()} is not before --end {end_ts.isoformat()}: the "
                "range holds no period; give a --start earlier than --end"
            )
        slos = load_specs(specs)
        src = open_source(source, connection)
        frame = compliance_history(slos, src, period, start_ts, end_ts, timezone, step, periods)
    if as_json:
        records = frame.to_dict("records")
        for r in records:
            r["period_start"] = r["period_start"].isoformat()
            r["period_end"] = r["period_end"].isoformat()
            for key in ("good", "total", "sli", "remaining", "events_total"):
                value = float(r[key])
                r[key] = value if value == value and abs(value) != float("inf") else None
        echo_json(records)
        return
    for r in frame.to_dict("records"):
        group = f" [{printable(r['group'])}]" if r["group"] else ""  # a value from the data
        sli = "n/a" if r["sli"] != r["sli"] else f"{r['sli']:.5%}"
        state = "no data" if r["met"] is None else "met" if r["met"] else "MISSED"
        partial = "" if r["complete"] else " (partial)"
        click.echo(
            f"{r['period_start'].tz_convert(timezone):%Y-%m-%d}  {r['slo']}{group}  "
            f"{r['objective']}: {sli} {state}{partial}"
        )


command.add_command(slo_alerts.rules)
command.add_command(slo_alerts.backtest)
