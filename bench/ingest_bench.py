"""Ingest-speed benchmark: apislo's nginx-timed parser beside its baselines, in one run.

Generates an ``nginx-timed`` log (default 2,000,000 lines, ~360 MB, 3 % upstream retry lists) with
apislo's own writer, then measures, each in a fresh subprocess so peak RSS is its own:

* ``cat > /dev/null`` (the disk/page-cache ceiling),
* apislo ``nginx-timed`` parse in chunks (``--chunk-mb``, default 32); ``first_call_s`` is the
  first parse call (one line), included in the figures,
* ``apislo.ingest`` end to end in this process (read, parse, normalise, Parquet),
* the ``apislo ingest`` command, Python start and imports included,
* the command on a directory of 100 files of 1,000 lines (the big file's first lines),
  format detected per file: what each file costs beyond its lines (``cli_files``),
* polars ``read_csv`` with a fixed column count (the naive columnar reader; it reports how many
  lines it dropped or mangled: the retry-list lines),
* pure Python ``re``,
* GoAccess (installed with apt-get when running as root and missing; else "not available").

Usage::

    .venv/bin/python bench/ingest_bench.py [--lines 2000000] [--chunk-mb 32] [--repeat 3] [--keep]

Each step runs ``--repeat`` times, the steps taking turns so that a slow spell of the machine
(wall clock on a shared VM moves by a third between runs) falls on all of them alike; a row
shows each step's median run, and ``runs_s`` lists all its times.

Outputs go to ``bench/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import polars as pl

__all__ = ["generate", "main"]

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parent.parent
TIMED = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" $request_time $upstream_response_time'
)
#: Browsers (with a page as referer) and API clients (no referer), as in a public API's log;
#: with these the lines average about 181 bytes, the size of the issue's 362 MB file.
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
)
API_CLIENTS = ("okhttp/4.12.0", "python-requests/2.32.3", "Go-http-client/1.1")
REFERERS = ("https://shop.example.com/cart", "https://shop.example.com/account/orders")
ROUTES = ("/api/v1/orders/{}", "/api/v1/users/{}/cart", "/api/v2/search?q=item{}", "/healthz")


def generate(path: Path, lines: int, retry_fraction: float = 0.03, seed: int = 7) -> None:
    """Write a realistic ``nginx-timed`` log of ``lines`` lines to ``path``.

    Request ends fall on whole seconds (as ``$time_local`` writes them), latencies are log-normal
    (median ~50 ms), ``retry_fraction`` of the lines carry a two-member upstream retry list such as
    ``0.512, 0.034`` (and last that much longer), and a few clients are IPv6. 45 % of the lines
    come from browsers (a full user agent and a referer), the others from API clients; lines
    average 181 bytes, as in the issue's 2 M-line, 362 MB file.
    """
    import numpy as np
    import polars as pl

    from apislo.sources.logs.nginx_format import compile_log_format

    fmt = compile_log_format(TIMED, "nginx-timed")
    rng = np.random.default_rng(seed)
    block = 500_000
    with path.open("w") as out:
        for start in range(0, lines, block):
            n = min(block, lines - start)
            end_s = 1_735_689_600 + (start + np.arange(n)) * 86_400 // max(lines, 1)
            latency = np.round(rng.lognormal(np.log(0.05), 0.9, n), 3)
            upstream = np.round(latency * 0.9, 3)
            retry = rng.random(n) < retry_fraction
            first_try = np.round(rng.uniform(0.001, 0.6, n), 3)
            # a retried request lasts its failed first try plus the successful one
            latency = np.where(retry, np.round(latency + first_try, 3), latency)
            ip4 = [f"10.{a}.{b}.{c}" for a, b, c in rng.integers(0, 255, (64, 3))]
            ips = np.array([*ip4, "2001:db8::17", "fe80::1"])
            route = rng.integers(0, len(ROUTES), n)
            item = rng.integers(1, 5000, n)
            templates = pl.lit(pl.Series(ROUTES).gather(route))
            ids = pl.lit(pl.Series(item)).cast(pl.String)
            paths = pl.select(templates.str.replace("{}", ids, literal=True)).to_series()
            browser = rng.random(n) < 0.45
            agents = np.where(
                browser,
                np.array(BROWSERS)[rng.integers(0, len(BROWSERS), n)],
                np.array(API_CLIENTS)[rng.integers(0, len(API_CLIENTS), n)],
            )
            referers = np.array(REFERERS)[rng.integers(0, len(REFERERS), n)]
            status = rng.choice([200, 200, 200, 201, 204, 304, 404, 429, 500, 502], n)
            events = pl.DataFrame(
                {
                    "ts": pl.Series(
                        (end_s * 1_000_000 - np.round(latency * 1e6)).astype("int64")
                    ).cast(pl.Datetime("us", "UTC")),
                    "method": rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"], n),
                    "path": paths,
                    "status": status.astype("int16"),
                    "latency_s": latency,
                    "bytes_out": rng.integers(0, 20_000, n),
                    "remote_addr": ips[rng.integers(0, len(ips), n)],
                    "http_user_agent": agents,
                    "http_referer": np.where(browser, referers, "-"),
                    "upstream_response_time": _upstream_text(upstream, first_try, retry),
                }
            )
            out.write("\n".join(fmt.write(events)))
            out.write("\n")


def _upstream_text(upstream: np.ndarray, first_try: np.ndarray, retry: np.ndarray) -> pl.Series:
    """``0.045`` or, on retry lines, ``0.512, 0.045``, as NGINX writes them."""
    import polars as pl

    def seconds(values: np.ndarray) -> pl.Series:
        ms = pl.Series(values * 1000).round().cast(pl.Int64)
        return (ms // 1000).cast(pl.String) + "." + (ms % 1000).cast(pl.String).str.zfill(3)

    last = seconds(upstream)
    first = seconds(first_try) + ", "
    return pl.select(pl.when(pl.Series(retry)).then(first + last).otherwise(last)).to_series()


# ---------------------------------------------------------------- measured steps (subprocesses)


def _step_cat(path: Path, _chunk: int) -> dict:
    """``cat FILE > /dev/null`` (its CPU time and RSS are the child's)."""
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu_children_s": usage.ru_utime + usage.ru_stime,
        "child_peak_rss_mb": usage.ru_maxrss / 1024,
    }


def _chunks(path: Path, chunk_bytes: int) -> Iterator[bytes]:
    """Complete-line chunks of about ``chunk_bytes``: a block plus the rest of its last line."""
    with path.open("rb") as fh:
        while block := fh.read(chunk_bytes):
            yield block + fh.readline() if not block.endswith(b"\n") else block


def _step_apislo(path: Path, chunk: int) -> dict:
    from apislo.sources.logs import get_format

    fmt = get_format("nginx-timed")
    start = time.perf_counter()
    fmt.parse(b"\n")  # the first call, timed apart
    first_call_s = time.perf_counter() - start
    events = rejects = 0
    p99 = []
    for data in _chunks(path, chunk):
        parsed = fmt.parse(data)
        events += parsed.events.height
        rejects += parsed.rejects.height
        p99.append(parsed.events["latency_s"])
    import polars as pl

    return {
        "events": events,
        "rejects": rejects,
        "p99_s": float(pl.concat(p99).quantile(0.99, "nearest")),
        "first_call_s": round(first_call_s, 2),
    }


def _step_polars_fixed(path: Path, _chunk: int) -> dict:
    """The naive columnar reader: a fixed column count, rows whose fields do not parse dropped."""
    import polars as pl

    frame = pl.read_csv(
        path,
        separator=" ",
        quote_char='"',
        has_header=False,
        truncate_ragged_lines=True,
        infer_schema=False,
    )
    latency = frame[:, 10].cast(pl.Float64, strict=False)
    upstream = frame[:, 11].cast(pl.Float64, strict=False)
    kept = latency.is_not_null() & upstream.is_not_null()
    return {
        "events": int(kept.sum()),
        "dropped_or_mangled": frame.height - int(kept.sum()),
        "p99_s": float(latency.filter(kept).quantile(0.99, "nearest")),
    }


_LINE_RE = re.compile(
    r'(\S+) - (\S+) \[([^\]]+)\] "(\S+) (\S+) (\S+)" (\d{3}) (\d+|-) "([^"]*)" "([^"]*)" '
    r"([\d.]+|-) (.+)$"
)


def _step_python_re(path: Path, _chunk: int) -> dict:
    events = 0
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = _LINE_RE.match(line)
            if m:
                float(m.group(11))
                events += 1
    return {"events": events}


def _step_ingest(path: Path, _chunk: int) -> dict:
    """``apislo.ingest`` in this process; ``kernel_start_s`` (the first parse call, once per
    process) is measured apart but included in the figures."""
    from apislo.sources import ingest as ingest_module
    from apislo.sources.logs import get_format

    dataset = OUT / "ingest-dataset"
    shutil.rmtree(dataset, ignore_errors=True)
    start = time.perf_counter()
    get_format("nginx-timed").parse(b"\n")
    kernel_start_s = time.perf_counter() - start
    report = ingest_module.ingest([path], dataset, format="nginx-timed")
    return {
        "events": report.records,
        "rejects": sum(report.rejected.values()),
        "kernel_start_s": round(kernel_start_s, 2),
    }


def _step_cli(path: Path, _chunk: int) -> dict:
    """``apislo ingest`` as a user runs it: a new process, Python start and imports included."""
    dataset = OUT / "cli-dataset"
    shutil.rmtree(dataset, ignore_errors=True)
    apislo = Path(sys.executable).parent / "apislo"
    cmd = [str(apislo), "ingest", str(path), "--out", str(dataset), "--format", "nginx-timed"]
    subprocess.run(cmd, capture_output=True, check=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu_children_s": usage.ru_utime + usage.ru_stime,
        "child_peak_rss_mb": usage.ru_maxrss / 1024,
    }


SMALL_FILES, SMALL_FILE_LINES = 100, 1_000


def _write_small_files(path: Path) -> None:
    """The first lines of ``path`` as :data:`SMALL_FILES` files in ``bench/out/small-files``."""
    folder = OUT / "small-files"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    with path.open("rb") as source:
        for number in range(SMALL_FILES):
            lines = [source.readline() for _ in range(SMALL_FILE_LINES)]
            (folder / f"access-{number:03d}.log").write_bytes(b"".join(lines))


def _step_cli_files(_path: Path, _chunk: int) -> dict:
    """``apislo ingest DIR`` (format auto-detected) on the files of :func:`_write_small_files`."""
    dataset = OUT / "cli-files-dataset"
    shutil.rmtree(dataset, ignore_errors=True)
    apislo = Path(sys.executable).parent / "apislo"
    cmd = [str(apislo), "ingest", str(OUT / "small-files"), "--out", str(dataset)]
    subprocess.run(cmd, capture_output=True, check=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "lines": SMALL_FILES * SMALL_FILE_LINES,
        "cpu_children_s": usage.ru_utime + usage.ru_stime,
        "child_peak_rss_mb": usage.ru_maxrss / 1024,
    }


def _cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _run_step(name: str, path: Path, chunk: int) -> None:
    """Run one step in this (fresh) process and print its figures as one JSON line."""
    if name in {"apislo", "ingest", "polars_fixed"}:  # imports are not part of the figure
        import polars  # noqa: F401

        import apislo.sources.ingest
        import apislo.sources.logs.nginx  # noqa: F401
    start, cpu = time.perf_counter(), _cpu_seconds()
    extra = STEPS[name](path, chunk)
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu + extra.pop("cpu_children_s", 0.0)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_mb = max(rss_mb, extra.pop("child_peak_rss_mb", 0.0))
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_rss_mb": rss_mb, **extra}))


def _measure(name: str, path: Path, chunk: int) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--step",
        name,
        "--file",
        str(path),
        "--chunk-mb",
        str(chunk // (1 << 20)),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _goaccess_binary() -> str | None:
    """GoAccess on PATH, installed from Debian when running as root and missing."""
    binary = shutil.which("goaccess")
    if binary is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "goaccess"], capture_output=True, check=False
        )
        binary = shutil.which("goaccess")
    return binary


def _step_goaccess(path: Path, _chunk: int) -> dict:
    """GoAccess 1.x on the same file, JSON report (its CPU time is the child's)."""
    binary = shutil.which("goaccess")
    assert binary is not None
    log_format = '%h - %e [%d:%t %^] "%r" %s %b "%R" "%u" %T %^'
    cmd = [
        binary,
        str(path),
        "--log-format",
        log_format,
        "--date-format",
        "%d/%b/%Y",
        "--time-format",
        "%H:%M:%S",
        "-o",
        str(OUT / "goaccess.json"),
        "--no-progress",
    ]
    subprocess.run(cmd, capture_output=True, check=True)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu_children_s": usage.ru_utime + usage.ru_stime,
        "child_peak_rss_mb": usage.ru_maxrss / 1024,
    }


STEPS = {
    "cat": _step_cat,
    "apislo": _step_apislo,
    "ingest": _step_ingest,
    "cli": _step_cli,
    "cli_files": _step_cli_files,
    "polars_fixed": _step_polars_fixed,
    "python_re": _step_python_re,
    "goaccess": _step_goaccess,
}


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one row per method."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--chunk-mb", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each step (median shown)")
    parser.add_argument("--keep", action="store_true", help="reuse an existing generated log")
    parser.add_argument("--only", default="", help="comma-separated steps to run")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    chunk = args.chunk_mb << 20
    if args.step:
        _run_step(args.step, Path(args.file), chunk)
        return

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"nginx-timed-{args.lines}.log"
    if args.generate:
        generate(Path(args.file), args.lines)
        return
    if not (args.keep and path.exists()):
        # In a child process: Linux keeps a parent's peak RSS in ru_maxrss across fork + exec,
        # so a parent that generated the data would inflate every step's figure.
        start = time.perf_counter()
        cmd = [
            sys.executable,
            __file__,
            "--generate",
            "--file",
            str(path),
            "--lines",
            str(args.lines),
        ]
        subprocess.run(cmd, check=True, cwd=ROOT)
        print(f"generated {path} in {time.perf_counter() - start:.1f} s")
    # apislo's modules compiled, as an installed package's are (`make bench` does it too): run
    # straight after an edit, each command would compile the changed ones anew (50-70 ms)
    compileall.compile_dir(ROOT / "apislo", quiet=1)
    size_mb = path.stat().st_size / 1e6
    print(f"{args.lines:,} lines, {size_mb:.0f} MB, chunks of {args.chunk_mb} MB")
    print(f"{os.cpu_count()} CPUs, load average before the run: {os.getloadavg()[0]:.1f}\n")
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=False)  # warm the cache
    steps = [s for s in STEPS if not args.only or s in args.only.split(",")]
    if "cli_files" in steps and args.lines < SMALL_FILES * SMALL_FILE_LINES:
        steps.remove("cli_files")
        print(f"cli_files skipped: it needs --lines {SMALL_FILES * SMALL_FILE_LINES:,} or more\n")
    if "cli_files" in steps:
        _write_small_files(path)
    missing = "goaccess" in steps and _goaccess_binary() is None
    runs: dict[str, list[dict]] = {name: [] for name in steps if not missing or name != "goaccess"}
    for _ in range(args.repeat):
        for name in runs:
            runs[name].append(_measure(name, path, chunk))
    results = {name: _median_run(rows) for name, rows in runs.items()}
    if missing:
        results["goaccess"] = {"error": "not available"}
    print(
        f"{'method':<14}{'lines/s':>12}{'MB/s':>8}{'CPU s':>8}{'lines/CPU-s':>13}"
        f"{'peak RSS MB':>13}  notes"
    )
    for name, row in results.items():
        if "error" in row:
            print(f"{name:<14}{'-':>12}{'-':>8}{'-':>8}{'-':>13}{'-':>13}  {row['error']}")
            continue
        lines = row.get("lines", args.lines)
        rate = lines / row["seconds"]
        notes = {k: v for k, v in row.items() if k not in {"seconds", "cpu_s", "peak_rss_mb"}}
        per_cpu = lines / max(row["cpu_s"], 1e-9)
        mb_s = size_mb * lines / args.lines / row["seconds"]
        print(
            f"{name:<14}{rate:>12,.0f}{mb_s:>8,.0f}{row['cpu_s']:>8.1f}"
            f"{per_cpu:>13,.0f}{row['peak_rss_mb']:>13,.0f}  {json.dumps(notes)}"
        )
    base = results.get("goaccess", {}).get("seconds")
    if base:
        ratios = [
            f"{name} {base / results[name]['seconds']:.1f}x"
            for name in ("ingest", "cli")
            if "seconds" in results.get(name, {})
        ]
        if ratios:
            print(f"\nagainst GoAccess (median runs): {', '.join(ratios)}")
    (OUT / "ingest_bench.json").write_text(json.dumps(results, indent=2))


def _median_run(rows: list[dict]) -> dict:
    """The run with the median time (the slower middle one of an even count), with every
    run's seconds as ``runs_s``; the first error if a run failed."""
    failed = [row for row in rows if "error" in row]
    if failed:
        return failed[0]
    ordered = sorted(rows, key=lambda row: row["seconds"])
    return {**ordered[len(ordered) // 2], "runs_s": [round(r["seconds"], 2) for r in ordered]}


if __name__ == "__main__":
    main()
