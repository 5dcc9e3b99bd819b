"""Benchmark the whole-book build (cold, warm no-op, one case's parameters changed) and a
sweep (jobs 1 vs 2 vs a Dask LocalCluster).

Each measurement runs the real CLI (`python -m cases.run.cli`) in a fresh temporary copy of the
project (`cases.run.verify.copy_project`), so the first build starts with no executed notebook,
no cache and no Sphinx output. The three build timings come from one copy, in this order:

1. cold: `cases build --jobs N` in the fresh copy;
2. warm no-op: the same command again, nothing changed;
3. one case's parameters changed: a new `seed` for w_town's `poverty_profile` in
   `params/w_town.yaml`, then the same command (that notebook runs again, and so does every
   book-level notebook whose inputs it changes; Sphinx rebuilds what changed).

Targets (issue 15, 2-core machine): cold at most 60 s (stretch 45 s), warm no-op at most 3 s,
one case changed at most 20 % of cold. Prints wall seconds per step and the ratios.

Usage: python benchmarks/bench_build.py [--jobs N] [--skip-build] [--skip-sweep]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from cases.run.verify import copy_project

SWEEP_GRID = {
    "case": "liupanshui",
    "analysis": "policy_evaluation",
    "parameters": {"seed": list(range(20201123, 20201131)), "cluster": ["village", "household"]},
    "fixed": {"n": 1500},
    "estimates": [
        {
            "label": "Callaway-Sant'Anna",
            "estimate": "policy_log_income_cs_att",
            "ci_low": "policy_log_income_cs_ci_low",
            "ci_high": "policy_log_income_cs_ci_high",
        }
    ],
}


def cli(root: Path, *args: str) -> float:
    """Run the CLI in ``root``; return wall seconds; stop on failure. Echoes the runner's
    "N ran, M cached" line to stderr, so what each step executed is on record."""
    env = dict(os.environ, CASES_ROOT=str(root))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cases.run.cli", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"`cases {' '.join(args)}` failed:\n{done.stderr[-4000:]}")
    lines = (done.stdout + done.stderr).splitlines()
    counts = [line for line in lines if " ran, " in line and " cached" in line]
    print(f"  cases {' '.join(args)}: {seconds:.1f} s; {(counts or ['?'])[-1]}", file=sys.stderr)
    return seconds


def set_seed(root: Path, slug: str, analysis: str, seed: int) -> None:
    """Give ``analysis`` of ``slug`` a new ``seed`` in ``params/<slug>.yaml``."""
    params = root / "params" / f"{slug}.yaml"
    data = yaml.safe_load(params.read_text(encoding="utf-8"))
    entry = next(a for a in data["analyses"] if a["name"] == analysis)
    entry.setdefault("parameters", {})["seed"] = seed
    params.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def bench_build(jobs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        root = Path(tmp)
        copy_project(root)
        cold = cli(root, "build", "--jobs", str(jobs))
        warm = cli(root, "build", "--jobs", str(jobs))
        set_seed(root, "w_town", "poverty_profile", 7)
        one = cli(root, "build", "--jobs", str(jobs))
    print(
        f"book cold build (no cache), --jobs {jobs}: {cold:6.1f} s   (target <= 60 s, stretch 45 s)"
    )
    print(
        f"book warm no-op rebuild:                 {warm:6.1f} s   "
        f"({warm / cold:.3f} of cold; target <= 3 s)"
    )
    print(
        f"book rebuild, one case's params changed: {one:6.1f} s   "
        f"({one / cold:.3f} of cold = {100 * one / cold:.0f} %; target <= 20 %)"
    )


def bench_sweep() -> None:
    timings = {}
    for label, args in [
        ("--jobs 1", ["--jobs", "1"]),
        ("--jobs 2", ["--jobs", "2"]),
        ("dask LocalCluster (2 workers)", ["--jobs", "2", "--executor", "dask"]),
    ]:
        with tempfile.TemporaryDirectory(prefix="bench-sweep-") as tmp:
            root = Path(tmp)
            copy_project(root)
            grid = root / "params" / "sweeps" / "bench16.yaml"
            grid.write_text(yaml.safe_dump(SWEEP_GRID), encoding="utf-8")
            timings[label] = cli(root, "sweep", "liupanshui", "--grid", str(grid), *args)
    for label, seconds in timings.items():
        print(f"16-run sweep, {label:31s} {seconds:8.1f} s")
    print(
        f"speed-up --jobs 2 over --jobs 1: {timings['--jobs 1'] / timings['--jobs 2']:.2f}x "
        "(target >= 1.6x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if not args.skip_build:
        bench_build(args.jobs)
    if not args.skip_sweep:
        bench_sweep()


if __name__ == "__main__":
    main()
