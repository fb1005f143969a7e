"""Run every benchmark in bench/ (``make bench``); each prints its figures and baselines.

Usage: ``python bench/run.py [NAME...] [-- ARG...]`` where NAME is a file stem such as
``ingest_bench``. Arguments after ``--`` go to every benchmark run, so name the ones that take
them (``bench/run.py ingest_bench -- --lines 200000``; each script's ``--help`` lists its own).
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
    scripts = sorted(HERE.glob("*_bench.py"))
    known = [script.stem for script in scripts]
    if {"-h", "--help"} & set(argv):
        print(__doc__.strip())
        print("benchmarks:", ", ".join(known))
        return 0
    unknown = sorted(set(argv) - set(known))
    if unknown:
        print(f"no benchmark {', '.join(unknown)}; benchmarks: {', '.join(known)}", file=sys.stderr)
        return 2
    names = set(argv)
    failed = 0
    for script in scripts:
        if names and script.stem not in names:
            continue
        print(f"== {script.stem}", flush=True)
        failed += subprocess.call([sys.executable, str(script), *extra]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
