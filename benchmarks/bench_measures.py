"""Benchmark cases.methods.measures at the scale of China's 2014 national poverty registration.

Builds a synthetic population (default 30 million households, 90 million people, 832
counties), then times FGT P0/P1/P2, the relative line, the Gini, the six-indicator MPI
(two assurances and three guarantees), and the county decompositions (fgt_by, mpi_by). Prints
wall seconds and peak resident memory (ru_maxrss) after each step, then compares each measure
with a straightforward pandas implementation of the same number on a 1-million-household
sample (ratio = pandas seconds / cases.methods.measures seconds, and the largest absolute
difference).

Target: the national-scale pass within 60 s and 12 GB on 2 cores. Prints figures only (no
asserts on time). Run:

    .venv/bin/python benchmarks/bench_measures.py [--households N] [--people N]
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cases.methods import measures

SPEC = measures.TWO_ASSURANCES_THREE_GUARANTEES
INDICATORS = list(SPEC)
LINE = 2300.0  # yuan per capita per year, 2010 prices: the national rural poverty line
K = 1 / 3
CHUNK = 5_000_000  # rows generated at a time, so float64 temporaries stay small


def peak_rss_gib() -> float:
    """Peak resident set size of this process so far, GiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def timed(label: str, fn: Callable[[], Any], log: list[tuple[str, float, float]]) -> Any:
    start = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - start
    log.append((label, seconds, peak_rss_gib()))
    print(f"{label:<44} {seconds:8.2f} s   peak RSS {peak_rss_gib():6.2f} GiB", flush=True)
    return out


def synthesise(households: int, people: int, counties: int, seed: int) -> pd.DataFrame:
    """Households with size (int8), county code (int16), per-capita income (float32, yuan) and
    six 0/1 deprivation indicators (bool) correlated with income and county."""
    rng = np.random.default_rng(seed)
    mean_size = people / households
    county_effect = rng.normal(0.0, 0.35, counties)
    # County-level service gaps (schools, clinics, water) raise deprivation rates locally.
    county_gap = rng.beta(2, 12, size=(counties, len(INDICATORS)))
    size = np.empty(households, dtype=np.int8)
    county = np.empty(households, dtype=np.int16)
    income = np.empty(households, dtype=np.float32)
    flags = {name: np.empty(households, dtype=bool) for name in INDICATORS}
    for start in range(0, households, CHUNK):
        stop = min(start + CHUNK, households)
        n = stop - start
        size[start:stop] = np.minimum(1 + rng.poisson(mean_size - 1, n), 20)
        c = rng.integers(0, counties, n, dtype=np.int16)
        county[start:stop] = c
        log_inc = np.log(3800.0) + county_effect[c] + rng.normal(0.0, 0.75, n)
        income[start:stop] = np.exp(log_inc)
        # Poorer households are likelier to be deprived in every indicator.
        poorness = 1.0 / (1.0 + np.exp(2.0 * (log_inc - np.log(LINE))))
        for j, name in enumerate(INDICATORS):
            if name == "income_below_line":
                flags[name][start:stop] = income[start:stop] < LINE
            else:
                p = 0.5 * county_gap[c, j] + 0.35 * poorness
                flags[name][start:stop] = rng.random(n) < p
    frame = {"county": county, "size": size, "income": income, **flags}
    return pd.DataFrame(frame, copy=False)


# Straightforward pandas versions of the same numbers (the comparison baseline).


def pandas_fgt(df: pd.DataFrame, alpha: int) -> float:
    gap = (1 - df["income"].astype("float64") / LINE).clip(lower=0)
    term = (df["income"] < LINE).astype(float) if alpha == 0 else gap**alpha
    return float((term * df["size"]).sum() / df["size"].sum())


def pandas_relative_line(df: pd.DataFrame) -> float:
    s = df[["income", "size"]].sort_values("income")
    cum = s["size"].cumsum()
    half = cum.iloc[-1] / 2
    i = int((cum >= half).to_numpy().argmax())
    if cum.iloc[i] == half:
        return 0.5 * float(s["income"].iloc[i] + s["income"].iloc[i + 1]) / 2
    return 0.5 * float(s["income"].iloc[i])


def pandas_gini(df: pd.DataFrame) -> float:
    s = df[["income", "size"]].astype("float64").sort_values("income")
    mass = s["income"] * s["size"]
    cum = mass.cumsum() / mass.sum()
    prev = cum.shift(fill_value=0.0)
    return float(1 - (s["size"] * (prev + cum)).sum() / s["size"].sum())


def pandas_mpi(df: pd.DataFrame) -> float:
    score = sum(df[name].astype(float) * weight for name, weight in SPEC.items())
    poor = score >= K - 1e-9
    return float((score * poor * df["size"]).sum() / df["size"].sum())


def pandas_fgt_by(df: pd.DataFrame, alpha: int) -> pd.Series:
    gap = (1 - df["income"].astype("float64") / LINE).clip(lower=0)
    term = (df["income"] < LINE).astype(float) if alpha == 0 else gap**alpha
    sums = (
        df.assign(wt=term * df["size"], w=df["size"].astype(float))
        .groupby("county")[["wt", "w"]]
        .sum()
    )
    return sums["wt"] / sums["w"]


def pandas_mpi_by(df: pd.DataFrame) -> pd.Series:
    score = sum(df[name].astype(float) * weight for name, weight in SPEC.items())
    censored = score.where(score >= K - 1e-9, 0.0)
    sums = (
        df.assign(wm=censored * df["size"], w=df["size"].astype(float))
        .groupby("county")[["wm", "w"]]
        .sum()
    )
    return sums["wm"] / sums["w"]


def national_pass(df: pd.DataFrame, log: list[tuple[str, float, float]]) -> dict[str, Any]:
    w = df["size"]
    out: dict[str, Any] = {}
    for a in (0, 1, 2):
        out[f"P{a}"] = timed(
            f"fgt alpha={a}", lambda a=a: measures.fgt(df["income"], LINE, a, w), log
        )
    out["line"] = timed(
        "relative_line (50% weighted median)",
        lambda: measures.relative_line(df["income"], 0.5, w),
        log,
    )
    out["gini"] = timed("gini (weighted)", lambda: measures.gini(df["income"], w), log)
    out["mpi"] = timed("mpi (6 indicators, k=1/3)", lambda: measures.mpi(df, SPEC, K, w), log)
    for a in (0, 1, 2):
        out[f"P{a}_by"] = timed(
            f"fgt_by county alpha={a}",
            lambda a=a: measures.fgt_by(df, "income", LINE, "county", a, "size"),
            log,
        )
    out["mpi_by"] = timed(
        "mpi_by county", lambda: measures.mpi_by(df, SPEC, K, "county", "size"), log
    )
    return out


def compare_with_pandas(df: pd.DataFrame) -> None:
    w = df["size"]
    cases_fns: dict[str, Callable[[], Any]] = {
        "fgt P0/P1/P2": lambda: [measures.fgt(df["income"], LINE, a, w) for a in (0, 1, 2)],
        "relative_line": lambda: measures.relative_line(df["income"], 0.5, w),
        "gini": lambda: measures.gini(df["income"], w),
        "mpi M0": lambda: measures.mpi(df, SPEC, K, w).M0,
        "fgt_by P0/P1/P2": lambda: [
            measures.fgt_by(df, "income", LINE, "county", a, "size")["fgt"].to_numpy()
            for a in (0, 1, 2)
        ],
        "mpi_by M0": lambda: measures.mpi_by(df, SPEC, K, "county", "size")["M0"].to_numpy(),
    }
    pandas_fns: dict[str, Callable[[], Any]] = {
        "fgt P0/P1/P2": lambda: [pandas_fgt(df, a) for a in (0, 1, 2)],
        "relative_line": lambda: pandas_relative_line(df),
        "gini": lambda: pandas_gini(df),
        "mpi M0": lambda: pandas_mpi(df),
        "fgt_by P0/P1/P2": lambda: [pandas_fgt_by(df, a).to_numpy() for a in (0, 1, 2)],
        "mpi_by M0": lambda: pandas_mpi_by(df).to_numpy(),
    }
    print(
        f"\n{'measure (1M-household sample)':<32} {'cases s':>9} {'pandas s':>9} "
        f"{'ratio':>7} {'max |diff|':>11}"
    )
    for name in cases_fns:
        t0 = time.perf_counter()
        ours = cases_fns[name]()
        t1 = time.perf_counter()
        theirs = pandas_fns[name]()
        t2 = time.perf_counter()
        diff = float(
            np.max(
                np.abs(
                    np.concatenate([np.ravel(x) for x in np.atleast_1d(ours)])
                    - np.concatenate([np.ravel(x) for x in np.atleast_1d(theirs)])
                )
            )
        )
        print(f"{name:<32} {t1 - t0:9.3f} {t2 - t1:9.3f} {(t2 - t1) / (t1 - t0):7.1f} {diff:11.2e}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=30_000_000)
    parser.add_argument("--people", type=int, default=90_000_000)
    parser.add_argument("--counties", type=int, default=832)
    parser.add_argument(
        "--sample", type=int, default=1_000_000, help="households in the pandas comparison"
    )
    parser.add_argument("--seed", type=int, default=20141)
    args = parser.parse_args(argv)
    if args.people < args.households:
        parser.error("--people must be at least --households")

    print(f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"{args.households:,} households, {args.people:,} people, {args.counties} counties\n")
    log: list[tuple[str, float, float]] = []
    df = timed(
        "synthesise population",
        lambda: synthesise(args.households, args.people, args.counties, args.seed),
        log,
    )
    print(
        f"  (frame {df.memory_usage(deep=True).sum() / 2**30:.2f} GiB, "
        f"{int(df['size'].sum()):,} people)"
    )
    out = national_pass(df, log)
    measure_seconds = sum(s for label, s, _ in log[1:])
    print(
        f"\nnational pass (all measures, excluding synthesis): {measure_seconds:.1f} s; "
        f"peak RSS {peak_rss_gib():.2f} GiB"
    )
    print(
        f"P0={out['P0']:.4f} P1={out['P1']:.4f} P2={out['P2']:.4f} "
        f"relative line={out['line']:.1f} gini={out['gini']:.4f} "
        f"H={out['mpi'].H:.4f} A={out['mpi'].A:.4f} M0={out['mpi'].M0:.4f} "
        f"counties={len(out['mpi_by'])}"
    )

    sample_n = min(args.sample, args.households)
    sample = df.iloc[:sample_n].copy()
    del df
    compare_with_pandas(sample)


if __name__ == "__main__":
    main()
