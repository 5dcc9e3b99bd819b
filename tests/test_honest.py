"""Rambachan-Roth relative-magnitudes sensitivity (cases.methods.honest)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cases.core.errors import ParameterError
from cases.core.paths import ROOT
from cases.methods.honest import (
    breakdown_mbar,
    event_study_sensitivity,
    original_ci,
    relative_magnitudes_ci,
    sensitivity,
    staggered_sensitivity,
)

# ------------------------------------------------------------------------------------------
# Published example: HonestDiD README, "Example usage - Medicaid expansions"
# (https://github.com/asheshrambachan/HonestDiD, README.md): the TWFE event study
#   feols(dins ~ i(year, D, ref = 2013) | stfips + year, cluster = "stfips",
#         data = ehec_data with year < 2016 and yexp2 != 2015, D = 1[yexp2 == 2014])
# and createSensitivityResults_relativeMagnitudes(numPrePeriods = 5, numPostPeriods = 2,
# Mbarvec = seq(0.5, 2, by = 0.5)) for the first post-period (2014) effect:
#   Mbar 0.5: [0.0240, 0.0672]; 1: [0.0170, 0.0720]; 1.5: [0.00824, 0.0797];
#   2: [-0.000916, 0.0881]; "the breakdown value for a significant effect is Mbar = 2".
# Average of the two post-period effects (l_vec = c(0.5, 0.5)): the Stata port's README
# (https://github.com/mcaceresb/stata-honestdid, README.md, "Sensitivity Analysis for Average
# Effects"), printed to 3 decimals: original [0.040, 0.075]; Mbar 0: [0.041, 0.075];
# 0.5: [0.033, 0.080]; 1: [0.020, 0.090]; 1.5: [0.006, 0.103]; 2: [-0.008, 0.117].
# Both packages report the lowest and highest *accepted points of a grid* (1000 points over
# +-20 sd(theta) in R, deltarm.R), i.e. end points rounded inwards by up to one grid step
# (0.00037 here), while ours are refined to 1e-4 sd; the tests check that the published end
# points lie inside ours by at most one step plus the printed rounding.
#
# Inputs: betahat and sigma of that regression, computed with pyfixest 0.60.0 (PyPI, in a
# separate virtual environment; fixest's CRV1 by stfips with its small-sample factors) on
# data/external/ehec_data.csv:
#   pf.feols("dins ~ Dy2008 + ... + Dy2012 + Dy2014 + Dy2015 | stfips + year", df,
#            vcov={"CRV1": "stfips"}), Dy<year> = 1[year == <year>] * D.
# Its first post-period interval, 0.04645 -+ 1.96 * 0.00915 = [0.0285, 0.0644], is the
# published "(Original)" [0.029, 0.064].
# ------------------------------------------------------------------------------------------
BETAHAT = [
    -0.005285354532720766,
    -0.011297324648151183,
    -0.002675991811793651,
    -0.0014193122521107759,
    0.00033966351897164645,
    0.04644685415994549,
    0.06920617547902184,
]
SIGMA = np.array(
    [
        [7.488483635897655e-05, 6.039874095644363e-05, 4.444619818461135e-05,
         3.385764706089174e-05, 4.328011254743545e-05, 4.7658804787779316e-05,
         2.4251286997541037e-05],
        [6.039874095644359e-05, 7.266500616996959e-05, 3.789330221288092e-05,
         2.866578025148455e-05, 4.543320628403737e-05, 4.428850119318048e-05,
         2.824655042984578e-05],
        [4.4446198184611315e-05, 3.789330221288089e-05, 5.0520519401628916e-05,
         2.673679432483881e-05, 2.778193567674032e-05, 3.06064410890551e-05,
         9.63753388266851e-06],
        [3.385764706089171e-05, 2.8665780251484537e-05, 2.6736794324838817e-05,
         4.0032220263377645e-05, 2.4128599757163753e-05, 2.3808682090735747e-05,
         2.923878143363398e-06],
        [4.328011254743544e-05, 4.5433206284037375e-05, 2.7781935676740343e-05,
         2.4128599757163763e-05, 5.462662207054266e-05, 3.6825310517431355e-05,
         9.722947502417818e-06],
        [4.765880478777932e-05, 4.4288501193180504e-05, 3.060644108905515e-05,
         2.3808682090735767e-05, 3.682531051743136e-05, 8.375668824677488e-05,
         6.321397962533729e-05],
        [2.4251286997540993e-05, 2.824655042984577e-05, 9.637533882668544e-06,
         2.9238781433634344e-06, 9.722947502417828e-06, 6.321397962533726e-05,
         0.00010712352303004367],
    ]
)  # fmt: skip
PUBLISHED_FIRST = {0.5: (0.0240, 0.0672), 1.0: (0.0170, 0.0720), 1.5: (0.00824, 0.0797)}
PUBLISHED_FIRST[2.0] = (-0.000916, 0.0881)
PUBLISHED_AVG = {0.0: (0.041, 0.075), 0.5: (0.033, 0.080), 1.0: (0.020, 0.090)}
PUBLISHED_AVG |= {1.5: (0.006, 0.103), 2.0: (-0.008, 0.117)}
R_STEP = 40 * np.sqrt(SIGMA[5, 5]) / 999  # R's grid step for the first post-period effect


def _inside_by_at_most(ours: tuple[float, float], pub: tuple[float, float], gap: float) -> None:
    lb, ub = ours
    assert lb - 1e-6 <= pub[0] <= lb + gap, (ours, pub)
    assert ub - gap <= pub[1] <= ub + 1e-6, (ours, pub)


def test_original_interval_matches_published() -> None:
    lo, hi = original_ci(BETAHAT, SIGMA, 5, 2)
    assert (round(lo, 3), round(hi, 3)) == (0.029, 0.064)
    lo, hi = original_ci(BETAHAT, SIGMA, 5, 2, l_vec=[0.5, 0.5])
    assert (round(lo, 3), round(hi, 3)) == (0.040, 0.075)


@pytest.mark.parametrize("mbar", sorted(PUBLISHED_FIRST))
def test_first_period_robust_interval_matches_honestdid_readme(mbar: float) -> None:
    ours = relative_magnitudes_ci(BETAHAT, SIGMA, 5, 2, mbar)
    # published to 3 significant digits, on R's grid: inside ours by at most one grid step
    _inside_by_at_most(ours, PUBLISHED_FIRST[mbar], R_STEP + 0.00005)


def test_average_effect_robust_interval_matches_stata_readme() -> None:
    for mbar, pub in PUBLISHED_AVG.items():
        lb, ub = relative_magnitudes_ci(BETAHAT, SIGMA, 5, 2, mbar, l_vec=[0.5, 0.5])
        # printed to 3 decimals (+-0.0005) after rounding inwards to a grid point
        assert lb - 0.0005 <= pub[0] <= lb + 0.0015, (mbar, lb, pub)
        assert ub - 0.0015 <= pub[1] <= ub + 0.0005, (mbar, ub, pub)


def test_breakdown_values_match_the_published_sensitivity_tables() -> None:
    # first period: significant at Mbar = 1.5, not at 2 ("breakdown value ... Mbar = 2")
    b1 = breakdown_mbar(BETAHAT, SIGMA, 5, 2, mbar_tol=0.02)
    assert 1.5 < b1 <= 2.0
    # average: significant at 1.5 ([0.006, 0.103]), not at 2 ([-0.008, 0.117])
    b2 = breakdown_mbar(BETAHAT, SIGMA, 5, 2, l_vec=[0.5, 0.5], mbar_tol=0.02)
    assert 1.5 < b2 <= 2.0


def test_sensitivity_table_and_monotone_widening() -> None:
    res = sensitivity(BETAHAT, SIGMA, 5, 2, mbars=(0.0, 1.0, 2.0), mbar_tol=0.05)
    t = res.table
    assert list(t["mbar"]) == [0.0, 1.0, 2.0]
    assert (np.diff(t["lb"]) < 0).all() and (np.diff(t["ub"]) > 0).all()
    assert list(t["excludes_zero"]) == [True, True, False]
    assert res.estimate == pytest.approx(BETAHAT[5])
    assert 1.0 < res.breakdown <= 2.0


def test_one_post_period_uses_all_moments_and_no_nuisance() -> None:
    b = np.array(BETAHAT[:6])
    s = SIGMA[:6, :6]
    lb1, ub1 = relative_magnitudes_ci(b, s, 5, 1, 1.0)
    lb2, ub2 = relative_magnitudes_ci(b, s, 5, 1, 2.0)
    assert lb2 < lb1 < b[5] < ub1 < ub2
    # the restriction cannot do better than the identified set under exact parallel trends
    olo, ohi = original_ci(b, s, 5, 1)
    assert lb1 < olo and ub1 > ohi


def test_no_pretrend_large_effect_has_large_breakdown() -> None:
    # exact zero pre-trends would give an infinite bound; tiny noisy pre-trends and a large,
    # precise effect give a breakdown value well above 1
    b = [0.001, -0.001, 0.0005, 0.5, 0.5]
    s = np.diag([1e-4] * 5)
    assert breakdown_mbar(b, s, 3, 2, mbar_max=5.0, mbar_tol=0.05) > 2.0


def test_insignificant_effect_has_no_breakdown_value() -> None:
    assert np.isnan(breakdown_mbar([0.01, 0.0, 0.001], np.eye(3) * 1e-2, 2, 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"betahat": [0.1, 0.2]}, "entries"),
        ({"sigma": np.eye(6)}, "sigma must be"),
        ({"sigma": -np.eye(7)}, "positive semi-definite"),
        ({"n_pre": 0, "n_post": 7}, "n_pre"),
        ({"mbar": -1.0}, "mbar"),
        ({"l_vec": [1.0]}, "l_vec"),
        ({"alpha": 1.5}, "alpha"),
    ],
)
def test_bad_inputs_are_refused(kwargs: dict, message: str) -> None:
    args = {"betahat": BETAHAT, "sigma": SIGMA, "n_pre": 5, "n_post": 2, "mbar": 1.0}
    args.update(kwargs)
    with pytest.raises(ParameterError, match=message):
        relative_magnitudes_ci(**args)


def test_ehec_file_reproduces_the_regression_inputs() -> None:
    # the betahat above are the TWFE event-study coefficients on the shipped file (the project's
    # own event_study gives the same point estimates)
    from cases.methods.panel import event_study

    df = pd.read_csv(ROOT / "data" / "external" / "ehec_data.csv", float_precision="round_trip")
    df = df[(df["year"] < 2016) & (df["yexp2"].isna() | (df["yexp2"] != 2015))].copy()
    df["g"] = np.where(df["yexp2"] == 2014, 2014, 0)  # later adopters are untreated by 2015
    es = event_study(df, "dins", "stfips", "year", "g", window=(-6, 1), cluster="entity")
    coefs = es.table.set_index("event_time")["coef"]
    np.testing.assert_allclose(coefs[[-6, -5, -4, -3, -2, 0, 1]], BETAHAT, atol=1e-10)


# ------------------------------------------------------------------------------------------
# Wrappers for the project's result types
# ------------------------------------------------------------------------------------------
def _ehec_nonstaggered() -> pd.DataFrame:
    df = pd.read_csv(ROOT / "data" / "external" / "ehec_data.csv", float_precision="round_trip")
    df = df[(df["year"] < 2016) & (df["yexp2"].isna() | (df["yexp2"] != 2015))].copy()
    df["g"] = np.where(df["yexp2"] == 2014, 2014, 0)
    return df


def test_event_study_wrapper_reproduces_the_published_sensitivity() -> None:
    from cases.methods.panel import event_study

    es = event_study(_ehec_nonstaggered(), "dins", "stfips", "year", "g", window=(-6, 1))
    res = event_study_sensitivity(es, mbars=(1.0, 2.0), mbar_tol=0.05)
    # the project's clustered covariance differs from fixest's only by the small-sample factor
    # (time effects not counted), so the published intervals hold to a little more than R's grid
    t = res.table.set_index("mbar")
    assert t.loc[1.0, "lb"] == pytest.approx(0.0170, abs=0.0006)
    assert t.loc[1.0, "ub"] == pytest.approx(0.0720, abs=0.0006)
    assert t.loc[2.0, "lb"] == pytest.approx(-0.000916, abs=0.0006)
    assert 1.5 < res.breakdown <= 2.05
    avg = event_study_sensitivity(es, target="average", mbars=(1.5,), mbar_tol=0.05)
    assert avg.table["lb"].iloc[0] == pytest.approx(0.006, abs=0.0015)


def test_staggered_wrappers_need_a_universal_base_period() -> None:
    from cases.methods.panel import staggered_did

    df = _ehec_nonstaggered()
    cs_varying = staggered_did(df, "dins", "stfips", "year", "g")
    with pytest.raises(ParameterError, match="universal"):
        staggered_sensitivity(cs_varying)
    cs = staggered_did(df, "dins", "stfips", "year", "g", base_period="universal")
    sa = staggered_did(df, "dins", "stfips", "year", "g", method="sun_abraham")
    # one treated cohort and never-treated controls: CS (universal base) and SA are the same
    # 2x2 comparisons with -1 as reference, hence the same event-time estimates
    np.testing.assert_allclose(
        cs.dynamic["att"].to_numpy(float), sa.dynamic["att"].to_numpy(float), atol=1e-10
    )
    r_cs = staggered_sensitivity(cs, mbars=(1.0,), mbar_tol=0.05)
    r_sa = staggered_sensitivity(sa, mbars=(1.0,), mbar_tol=0.05)
    assert r_cs.estimate == pytest.approx(BETAHAT[5], abs=1e-10)
    assert r_sa.estimate == pytest.approx(BETAHAT[5], abs=1e-10)
    for r in (r_cs, r_sa):
        assert r.table["lb"].iloc[0] > 0 and 1.0 < r.breakdown < 3.0


def test_wrapper_refuses_other_reference_periods() -> None:
    from cases.methods.panel import event_study

    es = event_study(_ehec_nonstaggered(), "dins", "stfips", "year", "g", window=(-6, 1), ref=-2)
    with pytest.raises(ParameterError, match="reference period must be -1"):
        event_study_sensitivity(es)
