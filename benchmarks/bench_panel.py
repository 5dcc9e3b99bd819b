"""Benchmark cases.methods.panel against pyfixest on simulated household panels.

Stages (each in a fresh subprocess, so peak RSS is per stage):
- TWFE and the binned event study on 1,000,000 households x 7 years (7,000,000 rows);
- Callaway-Sant'Anna and Sun-Abraham on 100,000 households x 7 years, with standard errors
  clustered by household and then by village (40 households a village).
Each stage prints wall seconds (estimation only, data simulation excluded) and peak RSS
(``resource.getrusage``), and, where pyfixest fits the same specification, its time, the ratio
ours/pyfixest and the largest coefficient difference (must be < 1e-6).

Run: ``cd /work/main && .venv/bin/python benchmarks/bench_panel.py``
(``--households N`` and ``--staggered-households N`` shrink the data for a smoke run).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

SEED = 20261123


def simulate(n_households: int, seed: int = SEED) -> pd.DataFrame:
    """Household panel, years 2014-2020, village-level staggered adoption (2016-2020 or never)."""
    rng = np.random.default_rng(seed)
    years = np.arange(2014, 2021)
    cohort = rng.choice(
        [2016, 2017, 2018, 2019, 2020, 0], size=n_households, p=[0.15, 0.15, 0.15, 0.15, 0.15, 0.25]
    )
    hh = np.repeat(np.arange(n_households, dtype=np.int64), len(years))
    year = np.tile(years, n_households)
    g = np.repeat(cohort, len(years))
    e = year - g
    treated = (g > 0) & (e >= 0)
    effect = np.where(treated, 0.05 + 0.02 * e, 0.0)
    y = (
        np.repeat(rng.normal(8.0, 0.6, n_households), len(years))
        + 0.03 * (year - 2014)
        + effect
        + rng.normal(0, 0.3, hh.size)
    )
    village = hh // 40  # 40 households a village, for the clustered stage
    return pd.DataFrame(
        {"hh": hh, "village": village, "year": year, "g": g, "y": y, "D": treated.astype(np.int8)}
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pyfixest_fit(df: pd.DataFrame, fml: str) -> tuple[float, pd.Series] | None:
    try:
        import pyfixest as pf
    except ImportError:
        return None
    t0 = time.perf_counter()
    fit = pf.feols(fml, data=df, vcov={"CRV1": "hh"})
    return time.perf_counter() - t0, fit.coef()


def stage_twfe(n: int) -> dict:
    from cases.methods.panel import twfe

    df = simulate(n)
    t0 = time.perf_counter()
    res = twfe(df, "y", "D", "hh", "year")
    ours = time.perf_counter() - t0
    out = {
        "stage": "twfe",
        "rows": len(df),
        "seconds": ours,
        "coef": res.coef,
        "backend": res.backend,
    }
    pf = pyfixest_fit(df, "y ~ D | hh + year")
    if pf is not None:
        out.update(pyfixest_seconds=pf[0], max_abs_coef_diff=abs(float(pf[1]["D"]) - res.coef))
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def stage_event_study(n: int) -> dict:
    from cases.methods.panel import event_study

    df = simulate(n)
    t0 = time.perf_counter()
    res = event_study(df, "y", "hh", "year", "g", window=(-4, 4), ref=-1)
    ours = time.perf_counter() - t0
    out = {"stage": "event_study", "rows": len(df), "seconds": ours}
    # the same specification for pyfixest: binned relative-time dummies, never-treated zeros
    rel = np.where(df["g"] > 0, np.clip(df["year"] - df["g"], -4, 4), np.nan)
    names = []
    for k in [k for k in range(-4, 5) if k != -1]:
        name = f"evt_m{-k}" if k < 0 else f"evt_p{k}"
        df[name] = (rel == k).astype(np.int8)
        names.append(name)
    pf = pyfixest_fit(df, "y ~ " + " + ".join(names) + " | hh + year")
    if pf is not None:
        ours_coef = res.table.set_index("event_time")["coef"]
        diffs = [
            abs(float(pf[1][nm]) - ours_coef[k])
            for nm, k in zip(names, [k for k in range(-4, 5) if k != -1], strict=True)
        ]
        out.update(pyfixest_seconds=pf[0], max_abs_coef_diff=max(diffs))
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def stage_staggered(n: int, method: str, cluster: str = "entity") -> dict:
    from cases.methods.panel import staggered_did

    df = simulate(n)
    t0 = time.perf_counter()
    res = staggered_did(df, "y", "hh", "year", "g", method=method, cluster=cluster)
    ours = time.perf_counter() - t0
    out = {
        "stage": method if cluster == "entity" else f"{method}, by {cluster}",
        "rows": len(df),
        "seconds": ours,
        "simple_att": float(res.simple["att"].iloc[0]),
    }
    if method == "sun_abraham" and cluster == "entity":
        # same interacted regression in pyfixest: cohort x relative-time dummies (ref -1)
        names = []
        for j, row in res.att_gt.reset_index(drop=True).iterrows():
            nm = f"sa{j}"
            df[nm] = ((df["g"] == row["group"]) & (df["year"] == row["time"])).astype(np.int8)
            names.append(nm)
        pf = pyfixest_fit(df, "y ~ " + " + ".join(names) + " | hh + year")
        if pf is not None:
            diffs = np.abs(pf[1][names].to_numpy() - res.att_gt["att"].to_numpy())
            out.update(pyfixest_seconds=pf[0], max_abs_coef_diff=float(diffs.max()))
    elif method == "callaway_santanna":
        out["pyfixest"] = "no Callaway-Sant'Anna estimator in pyfixest"
    else:
        out["pyfixest"] = "not compared (same regression as the household-clustered stage)"
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def run_stage(name: str, n: int) -> dict:
    if name == "twfe":
        return stage_twfe(n)
    if name == "event_study":
        return stage_event_study(n)
    if name.endswith("_village"):
        return stage_staggered(n, name.removesuffix("_village"), cluster="village")
    return stage_staggered(n, name)


def report(r: dict) -> None:
    line = (
        f"{r['stage']:<30} rows={r['rows']:>9,}  ours={r['seconds']:7.2f} s  "
        f"peak RSS={r['peak_rss_mib']:8.0f} MiB"
    )
    if "pyfixest_seconds" in r:
        ok = "OK" if r["max_abs_coef_diff"] < 1e-6 else "MISMATCH"
        ratio = r["seconds"] / r["pyfixest_seconds"]
        line += (
            f"  pyfixest={r['pyfixest_seconds']:7.2f} s  ratio={ratio:5.2f}"
            f"  max|coef diff|={r['max_abs_coef_diff']:.1e} ({ok})"
        )
    elif "pyfixest" in r:
        line += f"  pyfixest: {r['pyfixest']}"
    else:
        line += "  pyfixest not installed"
    print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=1_000_000)
    ap.add_argument("--staggered-households", type=int, default=100_000)
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stage:
        print(json.dumps(run_stage(args.stage, args.n)))
        return
    try:
        import pyfixest

        print(f"pyfixest {pyfixest.__version__}")
    except ImportError:
        print("pyfixest not installed")
    plan = [
        ("twfe", args.households),
        ("event_study", args.households),
        ("callaway_santanna", args.staggered_households),
        ("sun_abraham", args.staggered_households),
        ("callaway_santanna_village", args.staggered_households),
        ("sun_abraham_village", args.staggered_households),
    ]
    for name, n in plan:
        proc = subprocess.run(
            [sys.executable, __file__, "--stage", name, "--n", str(n)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            print(f"{name}: failed\n{proc.stderr[-2000:]}")
            continue
        report(json.loads(proc.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
