"""Benchmark the census chapter: read the tables, build the crosswalk groups, compute every
indicator and fit every regression and matching of ``cases.pages.county_census``.

Target (issue 20): at most 10 s on 2 cores for reading, crosswalk, indicators and regressions.
Prints wall seconds per step (figures are timed separately; they are not in the target).
Multithreaded BLAS on a shared 2-core machine can make small least-squares fits much slower;
the gap regressions absorb the province effects so that each fit is a narrow matrix.

Usage: python benchmarks/bench_census.py
"""

from __future__ import annotations

import time

import matplotlib

matplotlib.use("Agg")


def main() -> None:
    t0 = time.perf_counter()
    from cases.methods import census

    data = census.load_census(), census.load_crosswalk(), census.load_poverty_counties()
    t1 = time.perf_counter()
    print(f"read tables            {t1 - t0:6.2f} s")
    frame = census.analysis_frame(*data)
    t2 = time.perf_counter()
    print(f"crosswalk + indicators {t2 - t1:6.2f} s  ({len(frame)} areas)")
    from cases.pages import county_census

    county_census._frame.cache_clear()
    t3 = time.perf_counter()
    page = county_census.build()
    t4 = time.perf_counter()
    print(f"whole page (with figures) {t4 - t3:6.2f} s  ({len(page.numbers)} numbers)")
    print(f"total                  {t4 - t0:6.2f} s")


if __name__ == "__main__":
    main()
