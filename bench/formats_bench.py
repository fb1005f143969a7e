"""Parse speed of every log format with a writer, beside the least a Python loop would do.

For each format, the simulator writes two days of four APIs' traffic in that format (about
250,000 requests), cut or repeated to ``--lines`` (default 200,000). Then, in this process,
one thread, best of ``--repeat`` runs (default 3):

* apislo's parser over 32 MB chunks (events and rejects counted: every line must be an event),
* the baseline: ``json.loads`` per line for JSON formats; for text formats, Python ``re``
  matching each line with the format's own line regex (no conversion, no checks).

Usage::

    .venv/bin/python bench/formats_bench.py [--lines 200000] [--repeat 3] [--only kong-json,...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from apislo.simulate import simulate
from apislo.sources.logs import (
    ParseOptions,
    aws_apigw,
    envoy_text,
    format_names,
    get_format,
    haproxy,
    traefik,
)
from apislo.sources.logs.nginx import NginxLogFormat

CHUNK_BYTES = 32 << 20
#: Line regexes of the text formats that are not NGINX templates (those carry their own).
TEXT_PATTERNS = {
    "envoy-text": envoy_text._PATTERN,
    "haproxy-http": haproxy._PATTERN,
    "traefik-clf": traefik._CLF,
    "aws-apigw-clf": aws_apigw._CLF,
}


def sample_log(name: str, lines: int, folder: Path) -> bytes:
    """``lines`` lines of format ``name``: two days of four simulated APIs (about 250,000
    requests, each written once), repeated if more are asked for."""
    result = simulate(
        folder / name,
        formats=(name,),
        days=2,
        apis=4,
        rate=2,
        seed=11,
        end=datetime(2026, 11, 18, 12, 0, tzinfo=UTC),
    )
    text = [
        line
        for log in result.logs.values()
        for line in Path(log).read_bytes().splitlines(keepends=True)
        if line.strip()
    ]
    return b"".join(text[i % len(text)] for i in range(lines))


def chunks(data: bytes) -> list[bytes]:
    """``data`` cut after the last newline of each ``CHUNK_BYTES`` block."""
    out, start = [], 0
    while start < len(data):
        end = data.rfind(b"\n", start, start + CHUNK_BYTES) + 1 or len(data)
        out.append(data[start:end])
        start = end
    return out


def baseline(name: str) -> tuple[str, Callable[[list[str]], int]]:
    """The baseline's label and a function of the lines that returns how many it accepted."""
    fmt = get_format(name, ParseOptions(tz="UTC"))
    if isinstance(fmt, NginxLogFormat) or name in TEXT_PATTERNS:
        pattern = TEXT_PATTERNS.get(name) or fmt.compiled._regex.pattern  # type: ignore[attr-defined]
        match = re.compile(pattern, re.S).match
        return "re.match per line", lambda lines: sum(match(line) is not None for line in lines)

    def decode(lines: list[str]) -> int:
        for line in lines:
            json.loads(line)
        return len(lines)

    return "json.loads per line", decode


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    """Fastest of ``repeat`` calls (seconds) and what the last call returned."""
    times, result = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure(name: str, data: bytes, repeat: int) -> dict[str, object]:
    fmt = get_format(name, ParseOptions(tz="UTC"))
    parts = chunks(data)
    fmt.parse(parts[0][: parts[0].index(b"\n") + 1])  # first call (compilation) not timed

    def parse() -> int:
        events = rejects = 0
        for part in parts:
            parsed = fmt.parse(part)
            events += parsed.events.height
            rejects += parsed.rejects.height
        assert rejects == 0, f"{name}: {rejects} rejects"
        return events

    seconds, events = best_of(repeat, parse)
    label, run_baseline = baseline(name)
    lines = data.decode().splitlines()
    base_seconds, accepted = best_of(repeat, lambda: run_baseline(lines))
    assert accepted == len(lines), f"{name}: the baseline accepted {accepted} of {len(lines)}"
    return {
        "format": name,
        "lines": len(lines),
        "events": events,
        "lines_per_s": len(lines) / seconds,
        "mb_per_s": len(data) / 1e6 / seconds,
        "baseline": label,
        "baseline_lines_per_s": len(lines) / base_seconds,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated format names")
    args = parser.parse_args(argv)
    names = [n for n in format_names() if n != "nginx-custom"]
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    print(f"{args.lines:,} lines per format, best of {args.repeat}, one thread")
    print(f"{os.cpu_count()} CPUs, load average before the run: {os.getloadavg()[0]:.1f}\n")
    print(f"{'format':<16}{'lines/s':>11}{'MB/s':>7}  {'baseline':<20}{'lines/s':>11}{'ratio':>7}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            row = measure(name, sample_log(name, args.lines, Path(tmp)), args.repeat)
            rows.append(row)
            ratio = row["lines_per_s"] / row["baseline_lines_per_s"]  # type: ignore[operator]
            print(
                f"{name:<16}{row['lines_per_s']:>11,.0f}{row['mb_per_s']:>7.1f}  "
                f"{row['baseline']:<20}{row['baseline_lines_per_s']:>11,.0f}{ratio:>6.1f}x",
                flush=True,
            )
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "formats_bench.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
