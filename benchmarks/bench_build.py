"""Benchmark the whole-book build and a sweep: cold, warm no-op, one-case change; jobs 1 vs 2
vs a Dask LocalCluster.

Each measurement runs the real CLI (`python -m cases.cli`) in a fresh copy of the project
(`cases.manifest.copy_project`), so caches start empty. Prints wall seconds per step.

Targets (issue "Reproducibility engine", 2-core machine): warm no-op rebuild under 10 s;
rebuild after changing one case's parameters under 25 % of the cold build; the sweep at least
1.6x faster with --jobs 2 than with --jobs 1.

Usage: python benchmarks/bench_build.py [--skip-build] [--skip-sweep]
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

from cases.manifest import copy_project

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
    """Run the CLI in ``root``; return wall seconds; stop on failure."""
    env = dict(os.environ, CASES_ROOT=str(root))
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cases.cli", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"`cases {' '.join(args)}` failed:\n{done.stderr[-4000:]}")
    return seconds


def bench_build(jobs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        root = Path(tmp)
        copy_project(root)
        cold = cli(root, "build", "--jobs", str(jobs))
        warm = cli(root, "build", "--jobs", str(jobs))
        params = root / "params" / "w_town.yaml"
        data = yaml.safe_load(params.read_text(encoding="utf-8"))
        data["analyses"][0].setdefault("parameters", {})["seed"] = 7
        params.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        one = cli(root, "build", "--jobs", str(jobs))
    print(f"book cold build (no cache), --jobs {jobs}: {cold:8.1f} s")
    print(f"book warm no-op rebuild:                 {warm:8.1f} s   (target < 10 s)")
    print(
        f"book rebuild after one case's params:    {one:8.1f} s   "
        f"({100 * one / cold:.0f} % of cold; target < 25 %)"
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
