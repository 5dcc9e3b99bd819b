"""Benchmark the joint test of the H County specification curve (Simonsohn, Simmons and Nelson
2020; :func:`cases.run.sweep.joint_inference`).

Recomputes the curve of ``params/sweeps/h_county_policy.yaml`` (20 specifications: 8
Callaway-Sant'Anna, 8 Sun-Abraham, 4 TWFE over comparison group x sample x covariates) on the
chapter's one simulated dataset and runs ``--draws`` cluster-bootstrap resamples under the null
with ``jobs=1`` and ``jobs=2``, checks that both give identical draws, and prints wall and CPU
seconds per draw and the extrapolation to 500 draws. ``--profile`` first times one
specification of each estimator on the original data (CPU seconds, mean of 5 calls).

The specifications come from the sweep record (``cases sweep h_county --grid
params/sweeps/h_county_policy.yaml`` must have run, or the record be published).

Run: ``cd /work/main && PYTHONPATH=src .venv/bin/python benchmarks/bench_spec_joint.py``
(``--draws 10`` for a smoke run).
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np

from cases.methods.multiverse import null_resampling
from cases.run import sweep


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    record, table = sweep.read_results("h_county_policy")
    panel, specs, columns = sweep._policy_specifications(record, table.reset_index(drop=True))
    print(f"{len(specs)} specifications, {len(panel)} household-years")
    if args.profile:
        for key in ("twfe", "cs", "sa"):
            chosen = [s for s in specs if s.estimator == key]
            start = time.process_time()
            for _ in range(5):
                for s in chosen:
                    s(panel)
            print(f"  {key}: {(time.process_time() - start) / (5 * len(chosen)):.4f} CPU s each")
    results = {}
    for jobs in (1, 2):
        wall, cpu = time.perf_counter(), _cpu()
        res = null_resampling(panel, specs, draws=args.draws, seed=20201123, jobs=jobs, **columns)
        wall, cpu = time.perf_counter() - wall, _cpu() - cpu
        results[jobs] = res
        print(
            f"jobs={jobs}: {args.draws} draws in {wall:.1f} s wall, {cpu:.1f} s CPU "
            f"({wall / args.draws:.3f} s wall, {cpu / args.draws:.3f} s CPU per draw; "
            f"500 draws about {500 * wall / args.draws:.0f} s wall)"
        )
    same = np.array_equal(results[1].draws_median, results[2].draws_median) and np.array_equal(
        results[1].draws_significant, results[2].draws_significant
    )
    print(f"identical draws for jobs 1 and 2: {same}")
    print(sweep.joint_numbers(results[1]))


if __name__ == "__main__":
    main()
