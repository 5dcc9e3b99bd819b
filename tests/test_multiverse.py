"""Joint inference of a specification curve under the null (Simonsohn, Simmons and Nelson 2020):
planted effects, the null imposed exactly, identical results for any number of workers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cases.core.errors import ParameterError
from cases.methods.multiverse import curve_statistics, null_resampling
from cases.methods.panel import staggered_did, twfe


def _panel(effect: float, seed: int) -> pd.DataFrame:
    """40 villages of 8 households over 4 years; 20 villages adopt in year 3 (D = 1 from then
    on), the others never; village and household effects, planted effect ``effect``."""
    rng = np.random.default_rng(seed)
    rows = []
    for v in range(40):
        u = rng.normal(0, 0.3)
        g = 3 if v % 2 else 0
        for h in range(8):
            a = rng.normal()
            size = int(rng.integers(1, 7))
            for t in range(1, 5):
                d = int(g > 0 and t >= g)
                y = u + a + 0.1 * t + effect * d + rng.normal(0, 0.5)
                rows.append((v * 100 + h, v, t, g, d, size, y))
    return pd.DataFrame(rows, columns=["hh", "village", "year", "g", "d", "size", "y"])


class Spec:
    """A specification: TWFE or Callaway-Sant'Anna, on all households or on small ones."""

    def __init__(self, method: str, small: bool) -> None:
        self.method, self.small = method, small

    def __call__(self, df: pd.DataFrame) -> tuple[float, float]:
        work = df.loc[df["size"] <= 3] if self.small else df
        if self.method == "twfe":
            r = twfe(work, "y", "d", "hh", "year", cluster="village", backend="within")
            return r.coef, r.pvalue
        s = staggered_did(work, "y", "hh", "year", "g", cluster="village").simple.iloc[0]
        return float(s["att"]), float(s["pvalue"])


SPECS = [Spec(m, s) for m in ("twfe", "cs") for s in (False, True)]
KW = {"outcome": "y", "treat": "d", "cluster": "village", "entity": "hh"}


def test_removing_each_estimate_from_the_treated_outcomes_imposes_the_null() -> None:
    df = _panel(0.5, 1)
    for spec in SPECS:
        b, _ = spec(df)
        null = df.assign(y=df["y"] - b * df["d"])
        assert spec(null)[0] == pytest.approx(0.0, abs=1e-10)


def test_curve_statistics_counts_significant_estimates_by_sign() -> None:
    med, pos, neg = curve_statistics([0.3, -0.2, 0.5, 0.1], [0.01, 0.01, 0.2, 0.04])
    assert med == pytest.approx(0.2) and pos == 2 and neg == 1
    # A specification without an estimate counts in neither the median nor the counts.
    med, pos, neg = curve_statistics([0.3, np.nan, 0.5], [0.01, np.nan, 0.01])
    assert med == pytest.approx(0.4) and (pos, neg) == (2, 0)


def test_planted_zero_effect_gives_non_small_p_values() -> None:
    # Eight datasets with no effect (TWFE on all and on small households, for speed): under the
    # null a p-value is about uniform, so a typical one is far from small and fewer than three
    # of eight fall below 0.05 (probability of three or more about 0.006).
    specs = [Spec("twfe", False), Spec("twfe", True)]
    res = [null_resampling(_panel(0.0, s), specs, draws=100, seed=5, **KW) for s in range(8)]
    p_med = np.array([r.p_median for r in res])
    p_sig = np.array([r.p_significant for r in res])
    assert np.median(p_med) > 0.2
    assert (p_med < 0.05).sum() <= 2 and (p_sig < 0.05).sum() <= 2


def test_planted_large_effect_gives_small_p_values() -> None:
    res = null_resampling(_panel(0.5, 3), SPECS, draws=100, seed=5, **KW)
    assert res.n_significant == len(SPECS)
    # Four closely correlated specifications are all significant together in a few per cent
    # of null draws, so the count's p-value cannot fall far below 0.05; the median's can.
    assert res.p_median < 0.01 and res.p_significant < 0.05
    # Under the imposed null the resampled medians centre on zero.
    assert abs(np.median(res.draws_median)) < 0.05


def test_identical_for_any_number_of_workers() -> None:
    df = _panel(0.1, 4)
    one = null_resampling(df, SPECS, draws=12, seed=9, jobs=1, **KW)
    two = null_resampling(df, SPECS, draws=12, seed=9, jobs=2, **KW)
    np.testing.assert_array_equal(one.draws_median, two.draws_median)
    np.testing.assert_array_equal(one.draws_significant, two.draws_significant)
    assert one.p_median == two.p_median


def test_bad_inputs_are_refused() -> None:
    df = _panel(0.1, 4)
    with pytest.raises(ParameterError, match="at least one specification"):
        null_resampling(df, [], **KW)
    with pytest.raises(ParameterError, match="lack column"):
        null_resampling(df.drop(columns="d"), SPECS, **KW)
    with pytest.raises(ParameterError, match="draws and jobs"):
        null_resampling(df, SPECS, draws=0, **KW)


def test_stratified_resamples_keep_every_cohort_and_match_for_any_workers() -> None:
    # 10 villages, only 2 adopting: an unstratified draw loses both adopters in about
    # (8/10)**10 = 11 % of draws, where no treated effect is defined; within cohorts, never.
    df = _panel(0.3, 4)
    df = df.loc[df["village"] < 10].copy()
    df["g"] = np.where(df["village"] < 2, 3, 0)
    df["d"] = ((df["g"] > 0) & (df["year"] >= df["g"])).astype(int)
    spec = [Spec("twfe", False)]
    one = null_resampling(df, spec, draws=40, seed=3, jobs=1, strata="g", **KW)
    two = null_resampling(df, spec, draws=40, seed=3, jobs=2, strata="g", **KW)
    assert one.n_incomplete == 0
    np.testing.assert_array_equal(one.draws_median, two.draws_median)


def test_strata_that_vary_within_a_cluster_are_refused() -> None:
    df = _panel(0.0, 1)
    with pytest.raises(ParameterError, match="varies within"):
        null_resampling(df, SPECS[:1], draws=2, strata="size", **KW)


class Fragile:
    """A specification that gives no estimate unless the resample holds all 20 adopting
    villages as distinct villages (almost never in a cluster-bootstrap draw); else TWFE."""

    def __call__(self, df: pd.DataFrame) -> tuple[float, float]:
        if df.loc[df["g"] > 0, "village"].nunique() < 20:
            raise ParameterError("too few adopting villages")
        return Spec("twfe", False)(df)


def test_a_specification_failing_on_many_resamples_is_left_out_not_conditioned_on() -> None:
    df = _panel(0.5, 3)
    with_fragile = null_resampling(df, [*SPECS, Fragile()], draws=30, seed=5, **KW)
    without = null_resampling(df, SPECS, draws=30, seed=5, **KW)
    assert with_fragile.excluded == (len(SPECS),)
    assert with_fragile.failures[len(SPECS)] > 3  # more than 10 % of 30 resamples
    assert with_fragile.n_specifications == len(SPECS)
    # the test is that of the other specifications, observed and resampled alike
    assert with_fragile.median == pytest.approx(without.median, abs=1e-12)
    np.testing.assert_allclose(with_fragile.draws_median, without.draws_median, atol=1e-12)
    assert with_fragile.p_median == without.p_median
