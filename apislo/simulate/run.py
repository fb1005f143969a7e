"""``simulate()``: generate the traffic, write the logs, ``truth.json`` and optional metrics."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from apislo import __version__
from apislo.errors import ConfigError
from apislo.simulate.catalog import APIS, LOW_TRAFFIC_RPS
from apislo.simulate.episodes import Episode, schedule_episodes
from apislo.simulate.openmetrics import OpenMetricsStats, write_openmetrics
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


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="\n")
    os.replace(tmp, path)


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


def _check_folder(out: Path) -> None:
    """Refuse an output folder that, or whose nearest existing parent, is not a directory.

    Raises:
        ConfigError: naming the path that is something else (a regular file, say).
    """
    existing = next((p for p in (out, *out.parents) if os.path.exists(p)), None)
    if existing is not None and not os.path.isdir(existing):
        raise ConfigError(f"{existing}: not a directory; pass a writable folder as --out")


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
    formats: Sequence[str] = ("nginx-timed",),
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
        formats: log format names, assigned to APIs round-robin.
        openmetrics: also write the traffic as OpenMetrics samples.
        end: end of the period (UTC; ISO 8601 string or datetime; rounded down to the minute);
            default: now rounded down to the hour minus 2 h.
        rate: volume multiplier (1.0 gives about 480 k requests for 7 days and 6 APIs).
        openmetrics_step_s: seconds between OpenMetrics samples.
        now: the current time, for tests (default: the clock).

    Returns:
        The paths written, the truth and the generated events.

    Raises:
        ConfigError: a parameter is out of range, a format is unknown or has no writer, or
            ``openmetrics`` is asked for data that ends less than 2 h before now.

    Example:
        >>> result = simulate("demo", days=1, apis=3, seed=7)      # doctest: +SKIP
        >>> result.truth["apis"]["orders"]["status_5xx"]          # doctest: +SKIP
    """
    if not 1 <= apis <= len(APIS):
        raise ConfigError(f"--apis must be between 1 and {len(APIS)}, got {apis}")
    _check_positive("--days", days)
    _check_positive("--rate", rate)
    _check_folder(Path(out_dir))
    if seed < 0:
        raise ConfigError(f"--seed must be a non-negative integer, got {seed}")
    fmts = _formats(formats)
    end_ts = _as_utc(end) if end is not None else default_end(now)
    if openmetrics and end_ts > (now or datetime.now(UTC)) - timedelta(hours=2):
        raise ConfigError(
            f"--end {end_ts:%Y-%m-%dT%H:%MZ} is later than 2 h before now: Prometheus rejects "
            "backfilled or scraped samples that recent. Pass an earlier --end or omit it."
        )
    start_ts = _start(end_ts, days)

    rng = np.random.default_rng(seed)
    specs = list(APIS[:apis])
    specs[-1] = replace(specs[-1], mean_rps=LOW_TRAFFIC_RPS)
    names = [a.name for a in specs]
    episodes = schedule_episodes(specs, start_ts, end_ts, rng)
    events, backends = generate_events(specs, start_ts, end_ts, episodes, rate, rng)

    out = Path(out_dir)
    try:
        (out / "logs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create {out / 'logs'} ({exc.strerror}); pass a writable folder as --out"
        ) from None
    previous = _previous_files(out)
    logs: dict[str, Path] = {}
    per_api = truth_from_events(events, names, start_ts, end_ts)
    for i, name in enumerate(names):
        fmt = fmts[i % len(fmts)]
        path = out / "logs" / f"{name}.{fmt.name}.log"
        lines = fmt.write(events.filter(pl.col("api") == name))
        _write_atomic(path, "".join(line + "\n" for line in lines))
        logs[name] = path
        per_api[name] = {
            "format": fmt.name,
            "log": str(path.relative_to(out)),
            **per_api[name],
            "backend": vars(backends[name]),
        }

    om_stats = None
    if openmetrics:
        tmp = out / (OPENMETRICS_FILE + ".tmp")
        om_stats = write_openmetrics(events, tmp, start_ts, end_ts, openmetrics_step_s, apis=names)
        os.replace(tmp, out / OPENMETRICS_FILE)
        om_stats = replace(om_stats, path=out / OPENMETRICS_FILE)

    written = [p.relative_to(out).as_posix() for p in logs.values()]
    if om_stats:
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
    truth_path = out / TRUTH_FILE
    _write_atomic(truth_path, json.dumps(truth, indent=1) + "\n")
    for stale in previous - {out / w for w in written}:
        if stale.is_file() and out.resolve() in stale.resolve().parents:
            stale.unlink()
    return SimulationResult(out, logs, truth_path, truth, events, episodes, om_stats)
