"""Run every benchmark in bench/ (``make bench``); each prints its figures and baselines.

Usage: ``python bench/run.py [NAME...]`` where NAME is a file stem such as ``ingest_bench``.
Extra arguments after ``--`` go to every benchmark (e.g. ``-- --lines 200000``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1 :]
    names = set(argv)
    failed = 0
    for script in sorted(HERE.glob("*_bench.py")):
        if names and script.stem not in names:
            continue
        print(f"== {script.stem}", flush=True)
        failed += subprocess.call([sys.executable, str(script), *extra]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
