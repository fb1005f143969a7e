"""`apislo slo rules` and `apislo slo backtest`: Prometheus rules with promtool tests, and
alert-policy backtests. Added to the `slo` group by :mod:`apislo.cli.slo`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from apislo.cli._common import (
    connection_options,
    echo_json,
    fail_on_apislo_error,
    load_specs,
    open_source,
    warn_alerts_that_cannot_fire,
    write_file,
)
from apislo.slo.policy import REPLAYABLE

__all__ = ["backtest", "rules"]


def _interval(_ctx: click.Context, _param: click.Parameter, text: str) -> str:
    """``--interval`` as the Prometheus duration the rules will hold; a usage error (exit 2)
    when it is not a positive duration such as 30s, 1m."""
    from apislo.errors import ConfigError
    from apislo.slo.rules import group_interval

    try:
        return group_interval(text)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("rules")
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["prometheus", "prometheus-operator"]),
    default="prometheus",
    show_default=True,
    help="A Prometheus rule file, or a Kubernetes PrometheusRule.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option(
    "--tests",
    type=click.Path(dir_okay=False),
    help="Also write `promtool test rules` tests for the rules (needs --out).",
)
@click.option("--name", default="apislo-slos", show_default=True, help="PrometheusRule name.")
@click.option(
    "--interval",
    default="1m",
    show_default=True,
    callback=_interval,
    help="Rule-group evaluation interval, a Prometheus duration (30s, 1m).",
)
@click.option(
    "--buckets",
    help="The latency histogram's bucket bounds in seconds, comma-separated "
    "(0.05,0.1,0.3,1): a latency threshold that is not one of them is an error.",
)
def rules(
    specs: tuple[str, ...],
    fmt: str,
    out: str | None,
    tests: str | None,
    name: str,
    interval: str,
    buckets: str | None,
) -> None:
    """Prometheus recording and alerting rules for the SLOs in SPECS.

    Error ratios are event-weighted over every window (sum(increase(bad[w])) /
    sum(increase(total[w]))); alerts are the SLO's multi-window multi-burn-rate policy. Check
    them with `promtool check rules FILE` and `promtool test rules TESTS`.
    """
    from apislo.errors import ConfigError
    from apislo.slo.rules import (
        promtool_testable,
        promtool_tests_by_step,
        rules_document,
        rules_yaml,
        unsupported,
    )

    if tests and not out:
        raise click.UsageError("--tests needs --out: the tests load the rules from that file")
    if tests and fmt != "prometheus":
        raise click.UsageError("--tests needs --format prometheus (promtool reads rule files)")
    with fail_on_apislo_error():
        buckets_s = _buckets(buckets)
        slos = []
        for slo in load_specs(specs):
            problem = unsupported(slo)
            if problem:
                click.echo(f"warning: skipped {slo.name}: {problem}", err=True)
            else:
                slos.append(slo)
        if not slos:
            raise ConfigError("none of the SLOs can be written as Prometheus rules (see above)")
        if buckets_s is None:
            _warn_off_default_buckets(slos)
        warn_alerts_that_cannot_fire(slos)
        text = rules_yaml(slos, fmt, name, interval, buckets_s)
        test_files: list[tuple[Path, str]] = []
        if tests and not any(promtool_testable(slo) for slo in slos):
            click.echo(
                f"warning: no promtool tests written to {tests}: no SLO here has an availability "
                "or latency SLI with alerts (ratio SLIs get rules but no synthetic tests)",
                err=True,
            )
        elif tests:
            rule_file = Path(out).resolve()
            relative = Path(_relpath(rule_file, Path(tests).resolve().parent))
            by_step = promtool_tests_by_step(slos, relative)
            test_files = [
                (_step_path(Path(tests), step, first=i == 0), text)
                for i, (step, text) in enumerate(by_step)
            ]
        groups = len(rules_document(slos, "prometheus", name, interval)["groups"])
    with fail_on_apislo_error():
        if out:
            write_file(out, text)
        for path, test_text in test_files:
            write_file(str(path), test_text)
    if out:
        click.echo(f"wrote {groups} rule group(s) to {out}", err=True)
    else:
        click.echo(text, nl=False)
    if test_files:
        for stale in _stale_step_files(Path(tests), [path for path, _ in test_files]):
            stale.unlink()
            click.echo(f"removed {stale}: tests of another step, from an earlier run", err=True)
    if len(test_files) == 1:
        click.echo(f"wrote promtool tests to {tests}", err=True)
    elif test_files:
        names = " and ".join(str(path) for path, _ in test_files)
        click.echo(
            f"wrote promtool tests to {names}, one file per evaluation step (the SLOs' windows "
            "share no longer one): run `promtool test rules` on each",
            err=True,
        )


def _stale_step_files(tests: Path, written: list[Path]) -> list[Path]:
    """Files beside ``tests`` named as :func:`_step_path` names them, that apislo wrote as
    promtool tests (their first line says so) and this run did not write: left by a run whose
    SLOs had other steps, they would test rules no longer there. A file of the user's named
    alike (``tests.30d.yaml``), or the rules themselves, are never taken."""
    import re

    from apislo.slo.rules import TESTS_HEADER

    pattern = re.compile(
        rf"{re.escape(tests.stem)}\.(?:\d+(?:ms|[smhdwy]))+{re.escape(tests.suffix)}"
    )
    if not tests.parent.is_dir():
        return []
    stale = []
    for path in sorted(tests.parent.iterdir()):
        if path in written or not pattern.fullmatch(path.name) or not path.is_file():
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            if handle.readline().startswith(TESTS_HEADER):
                stale.append(path)
    return stale


def _warn_off_default_buckets(slos: list[Any]) -> None:
    """Warn when a latency threshold is not one of the client libraries' default buckets: an
    exporter with those buckets has no series for it (``--buckets`` names the real ones)."""
    from apislo.errors import SpecError
    from apislo.model import DEFAULT_BUCKETS_S
    from apislo.slo.rules import check_buckets

    for slo in slos:
        try:
            check_buckets([slo], DEFAULT_BUCKETS_S)
        except SpecError as exc:
            click.echo(
                f"warning: {exc.problem}, if the exporter keeps the client libraries' default "
                "buckets; pass --buckets with its bounds to check (and refuse) this",
                err=True,
            )


def _buckets(text: str | None) -> list[float] | None:
    """``--buckets 0.05,0.1,0.3`` as seconds, or ``None`` when not given.

    Raises:
        ConfigError: no bound, or one that is not a number above 0 (``nan``, ``-1``).
    """
    from apislo.errors import ConfigError

    if text is None:
        return None
    try:
        bounds = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        bounds = []
    if not bounds or not all(bound > 0 for bound in bounds):  # (nan > 0 is False)
        raise ConfigError(
            f"--buckets {text!r}: give bucket bounds in seconds, comma-separated (0.05,0.1,0.3)"
        )
    return bounds


def _step_path(tests: Path, step: timedelta, first: bool) -> Path:
    """Where the tests evaluated every ``step`` go: ``tests`` for the first (largest) step,
    ``tests.1m.yaml`` beside it for the others."""
    from apislo.slo.policy import prom_duration

    if first:
        return tests
    return tests.with_name(f"{tests.stem}.{prom_duration(step)}{tests.suffix}")


def _relpath(path: Path, start: Path) -> str:
    import os

    return os.path.relpath(path, start)


@click.command("backtest")
@click.argument("spec", type=click.Path())
@click.option(
    "--source",
    required=True,
    help="Dataset directory, or a Prometheus URL (then the connection options below apply).",
)
@click.option(
    "--incidents", type=click.Path(dir_okay=False), help="truth.json or a start/end table."
)
@click.option(
    "--policy",
    "policies",
    type=click.Choice(REPLAYABLE),
    multiple=True,
    help="Policy to replay (spec: the SLO's own); repeat to compare. Default: the spec's.",
)
@click.option(
    "--incident-kind",
    "kinds",
    multiple=True,
    help="Only incidents of this kind (e.g. outage); repeatable. Default: all (low-traffic "
    "episodes are never incidents).",
)
@click.option(
    "--start",
    help="Start of history (ISO 8601, naive = UTC; now; or relative, -7d). Default: truth.json's "
    "start, else --end minus 7 days.",
)
@click.option("--end", help="End of history (as --start). Default: truth.json's end, else now.")
@click.option("--step", default="1min", show_default=True, help="Interval of the counts.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print alerts, incidents and summary as JSON."
)
@connection_options
def backtest(
    spec: str,
    source: str,
    incidents: str | None,
    policies: tuple[str, ...],
    kinds: tuple[str, ...],
    start: str | None,
    end: str | None,
    step: str,
    as_json: bool,
    **connection: Any,
) -> None:
    """Replay alerting policies for the SLOs in SPEC over history.

    Lists when each alert fired and reset; with --incidents, scores each policy (precision,
    recall, detection time, reset time) and compares them side by side.
    """
    import pandas as pd

    from apislo.errors import ConfigError
    from apislo.slo.backtest import backtest as run_backtest
    from apislo.slo.backtest import load_incidents, policies_for
    from apislo.sources.prometheus.times import parse_time

    with fail_on_apislo_error():
        end_ts = parse_time(end, what="--end") if end else None
        start_ts = parse_time(start, what="--start") if start else None
        slos = load_specs((spec,))
        warn_alerts_that_cannot_fire(slos, policies)
        if kinds and not incidents:
            raise ConfigError("--incident-kind needs --incidents (truth.json or a start/end table)")
        known = load_incidents(incidents) if incidents else None
        if known is not None and kinds:
            known = known[known["kind"].isin(_checked_kinds(kinds, known, incidents))]
        truth_start, truth_end = _truth_span(incidents)
        src = open_source(source, connection)
        step_td = pd.Timedelta(step)
        if end_ts is None:
            end_ts = parse_time(truth_end or "now", what=f"end of {incidents}")
        if start_ts is None and truth_start:
            start_ts = parse_time(truth_start, what=f"start of {incidents}")
        end_ts = end_ts.floor(step_td)
        start_ts = start_ts.ceil(step_td) if start_ts is not None else end_ts - pd.Timedelta(days=7)
        if start_ts >= end_ts:
            raise ConfigError(
                f"--start {start_ts.isoformat()} is not before --end {end_ts.isoformat()}: "
                "no history to replay; give a --start earlier than --end"
            )
        results = []
        for slo in slos:
            if known is not None:
                _warn_other_apis(slo, known)
            frame = src.frame(slo, start_ts, end_ts, step_td)
            chosen = policies_for(slo, policies)
            results.append(
                (slo, run_backtest(slo, frame, chosen, known, start_ts, end_ts, step_td))
            )
    if as_json:
        echo_json([_json(slo, result, start_ts, end_ts) for slo, result in results])
        return
    for slo, result in results:
        click.echo(f"== {slo.name} ({start_ts:%Y-%m-%d %H:%M} .. {end_ts:%Y-%m-%d %H:%M} UTC)")
        if result.alerts.empty:
            click.echo("no alerts fired")
        else:
            columns = ["policy", "tier", "group", "fired_at", "reset_at", "incidents"]
            if len(slo.objectives) > 1:  # (which objective's alert)
                columns.insert(1, "objective_name")
            click.echo(result.alerts[columns].to_string(index=False))
        click.echo(result.summary.to_string(index=False))


def _checked_kinds(kinds: tuple[str, ...], known: Any, path: str) -> tuple[str, ...]:
    """``--incident-kind`` values, each one the kind of an incident in ``path``.

    Raises:
        ConfigError: a kind no incident has (a typo gives no incidents and a NaN recall), or
            one of :data:`apislo.slo.backtest.NOT_INCIDENTS`; the message lists those allowed.
    """
    from apislo.errors import ConfigError
    from apislo.slo.backtest import NOT_INCIDENTS

    allowed = sorted(set(known["kind"]) - set(NOT_INCIDENTS))
    for kind in kinds:
        if kind not in allowed:
            why = (
                f"{kind} episodes are a condition of the whole period, not incidents"
                if kind in NOT_INCIDENTS
                else f"no incident in {path} has that kind"
            )
            raise ConfigError(
                f"--incident-kind {kind!r}: {why}; allowed: "
                f"{', '.join(allowed) or f'none (no incident in {path})'}"
            )
    return kinds


def _warn_other_apis(slo: Any, known: Any) -> None:
    """Say so when an SLO naming no API (Sloth, PromQL ratio SLIs) is scored against incidents
    on several APIs: each of its alerts then belongs to any API's overlapping incident."""
    from apislo.slo.backtest import NOT_INCIDENTS

    if slo.api is not None or "api" in slo.group_by:
        return
    apis = sorted(set(known.loc[~known["kind"].isin(NOT_INCIDENTS), "api"].dropna()))
    if len(apis) > 1:
        click.echo(
            f"warning: {slo.name} names no API, so its alerts are matched with the incidents of "
            f"every API ({', '.join(apis)}); keep those of its own (--incident-kind, or an "
            "incidents table with only them) for precision and recall that mean something",
            err=True,
        )


def _truth_span(path: str | None) -> tuple[str | None, str | None]:
    """``start`` and ``end`` of a simulator ``truth.json`` (``None`` for other files)."""
    import json

    if not path or not path.endswith(".json"):
        return None, None
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(doc, dict):
        return None, None
    return doc.get("start"), doc.get("end")


def json_cell(value: Any) -> Any:
    """One cell of a backtest table as JSON: a missing value (NaN, NaT, None, an infinite
    number) is ``None`` (``null``; JSON has no NaN), times and durations ISO 8601, NumPy
    scalars plain numbers; lists (an alert's incidents) are kept."""
    import math

    import numpy as np

    if isinstance(value, (list, tuple)):
        return [json_cell(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_cell(v) for v in value.tolist()]
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bool, int, str)):
        return value
    import pandas as pd

    if pd.isna(value):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else value


def _json(slo: Any, result: Any, start: Any, end: Any) -> dict[str, Any]:
    """One SLO's backtest as JSON, with the history replayed, ``start`` to ``end`` (ISO 8601,
    UTC: what the text output's heading says)."""

    def records(frame: Any) -> list[dict[str, Any]]:
        return [{str(k): json_cell(v) for k, v in row.items()} for row in frame.to_dict("records")]

    return {
        "slo": slo.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "alerts": records(result.alerts),
        "incidents": records(result.incidents),
        "summary": records(result.summary),
    }
