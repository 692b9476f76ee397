"""Run every benchmark and print one table: work, goal, floor, measured, ratio, met.

    .venv/bin/python scripts/bench_all.py [--quick] [--only NAME ...]

NAME is a benchmark's short name (leads, site_import, reports, portal, syndication).
`--quick` runs each with small sizes, a smoke check whose figures mean little. The
machine (cores, CPU model), its load average and the CPU time stolen by the hypervisor
during the run are printed beside the table, since figures from a busy machine are not
comparable. The exit code is 0 whatever the figures: this reports, the table's last
column judges.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import platform
import sys
import time
import traceback

from benchlib import Row, print_table

BENCHMARKS = ("leads", "site_import", "reports", "portal", "syndication")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    return f"{os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def cpu_times() -> list[int] | None:
    """The machine's CPU time counters (/proc/stat: user … steal), or None elsewhere."""
    try:
        with open("/proc/stat", encoding="utf-8") as stat:
            return [int(n) for n in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None


def stolen(before: list[int] | None, after: list[int] | None) -> str:
    """The share of CPU time the hypervisor gave to other guests during the run: on a
    virtual machine, the neighbours' load that the load average does not show."""
    if before is None or after is None:
        return "steal unknown"
    spent = [b - a for a, b in zip(before, after, strict=True)]
    return f"CPU steal {100 * spent[7] / max(1, sum(spent)):.1f} %"


def run_one(name: str, quick: bool) -> list[Row]:
    """The benchmark's rows; a row saying why when it has no `run(argv)` or fails."""
    module = importlib.import_module(f"bench_{name}")
    entry = getattr(module, "run", None)
    if entry is None or list(inspect.signature(entry).parameters) != ["argv"]:
        return [Row(f"{name}: no run(argv) in bench_{name}.py", "", "", "", None, False)]
    try:
        return list(entry(["--quick"] if quick else []))
    except Exception as exc:  # one broken benchmark must not hide the others' rows
        traceback.print_exc()
        return [Row(f"{name}: failed ({type(exc).__name__}: {exc})", "", "", "", None, False)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke check")
    parser.add_argument("--only", action="append", choices=BENCHMARKS, metavar="NAME")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"before: {load()}")
    rows: list[Row] = []
    started, counters = time.monotonic(), cpu_times()
    for name in args.only or BENCHMARKS:
        print(f"running {name} …", file=sys.stderr, flush=True)
        rows.extend(run_one(name, args.quick))
    print(f"after: {load()}, {stolen(counters, cpu_times())}, {time.monotonic() - started:.0f} s")
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
