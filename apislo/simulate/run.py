"""``simulate()``: generate the traffic, write the logs, ``truth.json`` and optional metrics."""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from apislo import __version__
from apislo.errors import ConfigError
from apislo.simulate.catalog import APIS, simulated_apis
from apislo.simulate.episodes import Episode, schedule_episodes
from apislo.simulate.limits import check_period, check_volume
from apislo.simulate.openmetrics import OpenMetricsStats, check_step, write_openmetrics
from apislo.simulate.output import check_files, check_folder, written_together
from apislo.simulate.traffic import generate_events
from apislo.simulate.truth import (
    COUNT_COLUMNS,
    SLOW_THRESHOLD_S,
    episode_counts,
    iso_utc,
    truth_from_events,
)
from apislo.sources.logs import FORMATS, LogFormat, format_names, get_format
from apislo.sources.logs.base import RAW_SCHEMA

__all__ = ["TRUTH_FILE", "SimulationResult", "default_end", "simulate"]

TRUTH_FILE = "truth.json"
OPENMETRICS_FILE = "metrics.om"


@dataclass
class SimulationResult:
    """What :func:`simulate` wrote and generated.

    Attributes:
        out_dir: the output folder.
        logs: API name -> log file written.
        truth_path: ``truth.json``.
        truth: its content.
        events: the generated raw events (sorted by ``ts``), for tests and notebooks.
        episodes: the scripted episodes.
        openmetrics: what the OpenMetrics writer wrote, or ``None``.
    """

    out_dir: Path
    logs: dict[str, Path]
    truth_path: Path
    truth: dict[str, Any]
    events: pl.DataFrame
    episodes: list[Episode] = field(default_factory=list)
    openmetrics: OpenMetricsStats | None = None


def default_end(now: datetime | None = None) -> datetime:
    """Now rounded down to the hour, minus 2 h (UTC): what Prometheus backfill accepts."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)


def _as_utc(ts: datetime | str) -> datetime:
    if isinstance(ts, str):
        try:
            ts = datetime.fromisoformat(ts.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(
                f"--end {ts!r} is not an ISO 8601 time; use e.g. 2026-11-28T12:00:00Z"
            ) from None
    ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    return ts.replace(second=0, microsecond=0)


def _formats(names: Sequence[str]) -> list[LogFormat]:
    """The formats, each checked to write an empty frame (before anything is generated)."""
    if not names:
        raise ConfigError(
            f"give at least one log format; known formats: {', '.join(format_names())}"
        )
    out = []
    empty = pl.DataFrame(schema=RAW_SCHEMA)
    for name in names:
        try:
            fmt = get_format(name)
            fmt.write(empty)
        except ImportError as exc:
            raise ConfigError(
                f"log format {name!r} is registered but its module is not available ({exc}); "
                "choose another --formats entry"
            ) from None
        except NotImplementedError:
            raise ConfigError(
                f"log format {name!r} cannot write logs yet; choose another --formats entry"
            ) from None
        except ConfigError as exc:
            if name not in FORMATS:
                raise
            raise ConfigError(
                f"log format {name!r} cannot be simulated ({exc}); choose another --formats entry"
            ) from None
        out.append(fmt)
    return out


def _warn_unused(formats: list[LogFormat], used: list[LogFormat]) -> None:
    """Warn about formats no API was given: with more formats than APIs, the APIs take the first
    ones, one each (round-robin), and the others would go unwritten without a word."""
    taken = {fmt.name for fmt in used}
    unused = [name for name in dict.fromkeys(fmt.name for fmt in formats) if name not in taken]
    if unused:
        n = len(used)
        first = f"{n} APIs take the first {n} formats" if n > 1 else "1 API takes the first format"
        warnings.warn(
            f"--formats {', '.join(unused)}: no log written, as {first} listed (one each, "
            f"round-robin); pass more --apis (at most {len(APIS)}) or fewer formats",
            stacklevel=3,
        )


def _previous_files(out_dir: Path) -> set[Path]:
    """Files a previous run recorded in ``truth.json`` (so stale logs can be removed)."""
    try:
        old = json.loads((out_dir / TRUTH_FILE).read_text(encoding="utf-8"))
        return {out_dir / p for p in old.get("files", [])}
    except (OSError, ValueError, AttributeError, TypeError):
        return set()


def _check_positive(option: str, value: float) -> None:
    """Refuse a value that is not a positive finite number (zero, negative, NaN, infinite).

    Raises:
        ConfigError: naming ``option`` and the value.
    """
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{option} must be positive and finite, got {value}")


def _start(end_ts: datetime, days: float) -> datetime:
    """Start of the period of ``days`` (rounded to whole minutes) that ends at ``end_ts``.

    Raises:
        ConfigError: the period is shorter than a minute or would start before year 1.
    """
    try:
        span_min = round(days * 1440)
        start_ts = end_ts - timedelta(minutes=span_min)
    except OverflowError:
        raise ConfigError(f"--days {days} reaches back before year 1; pass fewer days") from None
    if span_min < 1:
        raise ConfigError(f"--days {days} is shorter than a minute")
    return start_ts


def simulate(
    out_dir: str | Path,
    days: float = 7,
    apis: int = 6,
    seed: int = 42,
    formats: str | Sequence[str] = ("nginx-timed",),
    openmetrics: bool = False,
    end: datetime | str | None = None,
    rate: float = 1.0,
    openmetrics_step_s: int = 60,
    now: datetime | None = None,
) -> SimulationResult:
    """Simulate gateway traffic for several APIs and write it with its ground truth.

    Writes ``out_dir/logs/<api>.<format>.log`` (formats assigned to APIs round-robin),
    ``out_dir/truth.json`` and, with ``openmetrics``, ``out_dir/metrics.om``. Deterministic for
    a seed (and an explicit ``end``). Files of a previous run listed in its ``truth.json`` and
    not rewritten are removed; nothing else in ``out_dir`` is touched.

    Args:
        out_dir: output folder (created if missing).
        days: length of the period, days (rounded to whole minutes).
        apis: how many APIs, 1 to 8; the last one is the low-traffic API.
        seed: seed of the ``numpy.random.Generator``.
        formats: log format names (or one name), assigned to APIs round-robin (with more
            formats than APIs, a ``UserWarning`` names those no API takes).
        openmetrics: also write the traffic as OpenMetrics samples.
        end: end of the period (UTC; ISO 8601 string or datetime; rounded down to the minute);
            default: now rounded down to the hour minus 2 h.
        rate: volume multiplier (1.0 gives about 480 k requests for 7 days and 6 APIs).
        openmetrics_step_s: seconds between OpenMetrics samples.
        now: the current time, for tests (default: the clock).

    Returns:
        The paths written, the truth and the generated events.

    Raises:
        ConfigError: a parameter is out of range, a format is unknown or has no writer,
            ``openmetrics`` is asked for data that ends less than 2 h before now, the period
            leaves the years ingest reads (:func:`~apislo.simulate.limits.check_period`), the
            volume is too large (:func:`~apislo.simulate.limits.check_volume`,
            :data:`~apislo.simulate.openmetrics.MAX_SAMPLES`), a folder stands where a file is
            to be written, or a file cannot be written (disk full, no permission). The files
            are written together (:func:`~apislo.simulate.output.written_together`), so an
            error leaves the previous run's files as they were.

    Example:
        >>> result = simulate("demo", days=1, apis=3, seed=7)      # doctest: +SKIP
        >>> result.truth["apis"]["orders"]["status_5xx"]          # doctest: +SKIP
    """
    specs = simulated_apis(apis)
    _check_positive("--days", days)
    _check_positive("--rate", rate)
    out = Path(out_dir)
    check_folder(out / "logs")
    if seed < 0:
        raise ConfigError(f"--seed must be a non-negative integer, got {seed}")
    if isinstance(formats, str):  # (one name: not its letters, `unknown log format 'k'`)
        formats = [formats]
    fmts = _formats(formats)
    end_ts = _as_utc(end) if end is not None else default_end(now)
    if openmetrics and end_ts > (now or datetime.now(UTC)) - timedelta(hours=2):
        raise ConfigError(
            f"--end {end_ts:%Y-%m-%dT%H:%MZ} is later than 2 h before now: Prometheus rejects "
            "backfilled or scraped samples that recent. Pass an earlier --end or omit it."
        )
    if openmetrics:
        check_step(openmetrics_step_s)
    start_ts = _start(end_ts, days)
    check_period(start_ts)
    check_volume(specs, (end_ts - start_ts) // timedelta(minutes=1), rate)
    fmt_of = {a.name: fmts[i % len(fmts)] for i, a in enumerate(specs)}
    _warn_unused(fmts, list(fmt_of.values()))
    logs = {name: out / "logs" / f"{name}.{fmt.name}.log" for name, fmt in fmt_of.items()}
    truth_path = out / TRUTH_FILE
    check_files([*logs.values(), truth_path, *([out / OPENMETRICS_FILE] if openmetrics else [])])

    rng = np.random.default_rng(seed)
    names = list(fmt_of)
    episodes = schedule_episodes(specs, start_ts, end_ts, rng)
    events, backends = generate_events(specs, start_ts, end_ts, episodes, rate, rng)

    previous = _previous_files(out)
    per_api = truth_from_events(events, names, start_ts, end_ts)
    for name, path in logs.items():
        per_api[name] = {
            "format": fmt_of[name].name,
            "log": str(path.relative_to(out)),
            **per_api[name],
            "backend": vars(backends[name]),
        }
    written = [p.relative_to(out).as_posix() for p in logs.values()]
    if openmetrics:
        written.append(OPENMETRICS_FILE)
    truth = {
        "apislo_version": __version__,
        "parameters": {
            "days": days,
            "apis": apis,
            "seed": seed,
            "rate": rate,
            "formats": list(formats),
            "openmetrics": openmetrics,
            "openmetrics_step_s": openmetrics_step_s if openmetrics else None,
        },
        "start": iso_utc(start_ts),
        "end": iso_utc(end_ts),
        "latency_threshold_s": SLOW_THRESHOLD_S,
        "timestamps": "ts = request start, UTC; every request ends on a whole second",
        "totals": {c: sum(per_api[n][c] for n in names) for c in COUNT_COLUMNS},
        "apis": per_api,
        "episodes": [
            {
                **e.to_json(),
                "counts": episode_counts(events, e.api, e.start, e.end, e.params.get("consumer")),
            }
            for e in episodes
        ],
        "files": written,
    }

    om_stats = None
    with written_together() as stage:
        if openmetrics:  # first: it refuses too many samples before any log is formatted
            om_path = out / OPENMETRICS_FILE
            om_stats = write_openmetrics(
                events, stage(om_path), start_ts, end_ts, openmetrics_step_s, apis=names
            )
            om_stats = replace(om_stats, path=om_path)
        for name, path in logs.items():
            lines = fmt_of[name].write(events.filter(pl.col("api") == name))
            text = "".join(line + "\n" for line in lines)
            stage(path).write_text(text, encoding="utf-8", newline="\n")
        text = json.dumps(truth, indent=1) + "\n"
        stage(truth_path).write_text(text, encoding="utf-8", newline="\n")
    for stale in previous - {out / w for w in written}:
        if stale.is_file() and out.resolve() in stale.resolve().parents:
            stale.unlink()
    return SimulationResult(out, logs, truth_path, truth, events, episodes, om_stats)
