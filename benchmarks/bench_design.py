"""Benchmark cases.design: diagnosing a staggered-adoption design of the Liupanshui size.

The design (simulated, placeholder names only): 300 households in 30 villages ("Village 01" ...
"Village 30", 10 households each) observed over six years (2015-2020); villages adopt the
reform in 2017, 2018 or 2019 (8, 8 and 7 villages, assigned at random) or not at all (7);
the outcome is household per-capita income in yuan, with household, village and year effects,
and an effect that grows with years of exposure (400 yuan in the first year, +400 a year).
Estimand: the ATT over treated household-years. Answer strategy: Callaway-Sant'Anna (simple
aggregation, never-treated comparison) and TWFE, both from :mod:`cases.methods.panel` with standard
errors clustered by village.

The script diagnoses the design with ``--sims`` simulations (1,000 by default) three ways in
one run — ``jobs=1``, ``jobs=2`` (process pool) and a Dask ``LocalCluster`` of 2 single-threaded
workers (start-up included) — checks that the three simulations tables are identical, and prints
wall seconds, speed-ups and CPU seconds (this process plus its reaped workers: on a machine
shared with other work, CPU seconds show the parallel overhead even when wall times are noisy),
repeated ``--repeat`` times. ``--profile N`` first times the steps
of one simulation over N simulations in this process (model, data strategy, each estimator).

Run: ``cd /work/main && PYTHONPATH=src .venv/bin/python benchmarks/bench_design.py``
(``--sims 100`` for a smoke run).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from cases.design import Design, diagnosands, simulate
from cases.methods.panel import staggered_did, twfe

YEARS = np.arange(2015, 2021)
ADOPTION = {2017: 8, 2018: 8, 2019: 7, 0: 7}  # adoption year -> villages (0: never)
HOUSEHOLDS_PER_VILLAGE = 10
SEED = 20261129


RUNS: dict[str, dict] = {
    "jobs=1": {"jobs": 1},
    "jobs=2": {"jobs": 2},
    "dask LocalCluster(2)": {"jobs": 2, "executor": "dask"},
}


def liupanshui_world(rng: np.random.Generator) -> pd.DataFrame:
    """One simulated world: household-years with untreated income ``y0`` and effect ``tau``."""
    n_v = sum(ADOPTION.values())
    cohort = rng.permutation(np.repeat(list(ADOPTION), list(ADOPTION.values())))
    village = np.repeat(np.arange(n_v), HOUSEHOLDS_PER_VILLAGE)
    n_h, n_t = len(village), len(YEARS)
    vil = np.repeat(village, n_t)
    year = np.tile(YEARS, n_h)
    g = cohort[vil]
    y0 = (
        6000.0
        + np.repeat(rng.normal(0, 1500, n_h), n_t)
        + rng.normal(0, 800, n_v)[vil]
        + 600.0 * (year - YEARS[0])
        + rng.normal(0, 1000, n_h * n_t)
    )
    e = year - g
    tau = np.where((g > 0) & (e >= 0), 400.0 * (1 + e), 0.0)
    names = np.array([f"Village {v + 1:02d}" for v in range(n_v)])
    return pd.DataFrame(
        {
            "household": np.repeat(np.arange(n_h), n_t),
            "village": names[vil],
            "year": year,
            "first_treated": g,
            "y0": y0,
            "tau": tau,
        }
    )


def att(world: pd.DataFrame) -> dict[str, float]:
    treated = (world["first_treated"] > 0) & (world["year"] >= world["first_treated"])
    return {"att": float(world.loc[treated, "tau"].mean())}


def observe(world: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A census of the 300 households: observed income and the reform indicator."""
    treated = (world["first_treated"] > 0) & (world["year"] >= world["first_treated"])
    return world.assign(income=world["y0"] + world["tau"], reform=treated.astype(int))


def estimate(sample: pd.DataFrame) -> list[dict]:
    cs = staggered_did(
        sample, "income", "household", "year", "first_treated", cluster="village"
    ).simple.iloc[0]
    fe = twfe(sample, "income", "reform", "household", "year", cluster="village", backend="within")
    return [
        {
            "estimator": "callaway_santanna",
            "estimand": "att",
            "estimate": cs["att"],
            "std_error": cs["se"],
            "conf_low": cs["ci_low"],
            "conf_high": cs["ci_high"],
            "p_value": cs["pvalue"],
        },
        {
            "estimator": "twfe",
            "estimand": "att",
            "estimate": fe.coef,
            "std_error": fe.se,
            "conf_low": fe.ci_low,
            "conf_high": fe.ci_high,
            "p_value": fe.pvalue,
        },
    ]


DESIGN = Design(liupanshui_world, att, observe, estimate, name="liupanshui_staggered")


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its reaped child processes (the pool's
    and the LocalCluster's workers are reaped when they shut down)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def profile(n: int) -> None:
    """Mean milliseconds per simulation of each step, over ``n`` simulations in this process."""
    rng = np.random.default_rng(SEED)
    spent = {"model": 0.0, "data_strategy": 0.0, "callaway_santanna": 0.0, "twfe": 0.0}
    for _ in range(n):
        t0 = time.perf_counter()
        world = liupanshui_world(rng)
        t1 = time.perf_counter()
        sample = observe(world, rng)
        t2 = time.perf_counter()
        staggered_did(sample, "income", "household", "year", "first_treated", cluster="village")
        t3 = time.perf_counter()
        twfe(sample, "income", "reform", "household", "year", cluster="village", backend="within")
        t4 = time.perf_counter()
        for key, dt in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            spent[key] += dt
    for key, total in spent.items():
        print(f"  {key:<18} {1000 * total / n:7.2f} ms per simulation")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sims", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument(
        "--only",
        choices=list(RUNS),
        help="run one executor only (to time whole processes from outside)",
    )
    args = parser.parse_args()
    if args.profile:
        print(f"profile over {args.profile} simulations (one process):")
        profile(args.profile)
    print(f"design {DESIGN.name}: 300 households, 30 villages, 6 years; sims = {args.sims}")
    for rep in range(args.repeat):
        timings: dict[str, float] = {}
        cpu: dict[str, float] = {}
        tables: dict[str, pd.DataFrame] = {}
        for label, kwargs in RUNS.items():
            if args.only and label != args.only:
                continue
            c0 = cpu_seconds()
            t0 = time.perf_counter()
            tables[label] = simulate(DESIGN, args.sims, SEED, **kwargs)
            timings[label] = time.perf_counter() - t0
            cpu[label] = cpu_seconds() - c0
        base = next(iter(tables.values()))
        same = all(base.equals(t) for t in tables.values())
        print(f"run {rep + 1}: identical simulations tables across executors: {same}")
        for label, secs in timings.items():
            ratio = timings.get("jobs=1", float("nan")) / secs
            print(
                f"  {label:<22} {secs:7.2f} s   speed-up vs jobs=1 {ratio:4.2f}x   "
                f"cpu {cpu[label]:6.2f} s"
            )
    summary = diagnosands(base)
    cols = ["estimator", "mean_estimand", "bias", "bias_mcse", "coverage", "power", "sims"]
    print("diagnosands:")
    print(summary[cols].to_string(index=False))


if __name__ == "__main__":
    main()
