"""Covariates in the robust staggered DiD estimators: ``staggered_did(controls=, est_method=)``.

Callaway-Sant'Anna with the outcome-regression, IPW and doubly-robust 2x2 estimators of Sant'Anna
and Zhao (2020) against the published ``did`` output and against the ``csdid`` Python port on the
same data; Sun-Abraham with a covariate on planted data; inputs refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cases.core.errors import DataValidationError, ParameterError
from cases.core.paths import ROOT
from cases.methods.panel import staggered_did

MPDTA = ROOT / "data" / "external" / "mpdta.csv"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(MPDTA, float_precision="round_trip")


# ------------------------------------------------------------------------------------------
# Published: did package reference manual (did 2.1.2, CRAN, Date/Publication 2022-07-20;
# package home https://github.com/bcallaway11/did/), examples of att_gt(), sections "Using
# covariates" (summary(att_gt(yname="lemp", tname="year", idname="countyreal",
# gname="first.treat", xformla=~lpop, data=mpdta))) and "Specify comparison units" (same with
# control_group="notyettreated"); default est_method="dr". Located with the search tool (code
# corpus: the stored text of the CRAN manual did.pdf). Standard errors there are multiplier
# bootstrap (1000 draws), so they are compared loosely; ATT(g,t) and the pre-test p-value
# (a Wald statistic on the analytic covariance) are compared to the published 4-5 decimals.
# ------------------------------------------------------------------------------------------
PUBLISHED_LPOP = {
    # (group, time): (ATT never-treated, bootstrap SE, ATT not-yet-treated, bootstrap SE)
    (2004, 2004): (-0.0145, 0.0233, -0.0212, 0.0225),
    (2004, 2005): (-0.0764, 0.0297, -0.0816, 0.0296),
    (2004, 2006): (-0.1404, 0.0348, -0.1382, 0.0382),
    (2004, 2007): (-0.1069, 0.0340, -0.1069, 0.0353),
    (2006, 2004): (-0.0005, 0.0236, -0.0075, 0.0236),
    (2006, 2005): (-0.0062, 0.0184, -0.0046, 0.0193),
    (2006, 2006): (0.0010, 0.0194, 0.0087, 0.0171),
    (2006, 2007): (-0.0413, 0.0189, -0.0413, 0.0195),
    (2007, 2004): (0.0267, 0.0145, 0.0269, 0.0136),
    (2007, 2005): (-0.0046, 0.0163, -0.0042, 0.0158),
    (2007, 2006): (-0.0284, 0.0191, -0.0284, 0.0185),
    (2007, 2007): (-0.0288, 0.0166, -0.0288, 0.0167),
}
# "P-value for pre-test of parallel trends assumption: 0.23267" (never) and "0.23326" (not yet)
PUBLISHED_PRETEST = {"never": 0.23267, "notyet": 0.23326}
ROUND = 0.00005 + 1e-9


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_doubly_robust_reproduces_published_did_output_with_lpop(
    mpdta: pd.DataFrame, control: str
) -> None:
    res = staggered_did(
        mpdta, "lemp", "countyreal", "year", "first.treat", control=control, controls=["lpop"]
    )
    assert res.est_method == "dr" and res.controls == ("lpop",)
    table = res.att_gt.set_index(["group", "time"])
    assert len(table) == len(PUBLISHED_LPOP)
    col = 0 if control == "never" else 2
    for (g, t), vals in PUBLISHED_LPOP.items():
        row = table.loc[(g, t)]
        assert row["att"] == pytest.approx(vals[col], abs=ROUND), (g, t)
        # analytic SEs vs 1000-draw bootstrap SEs (Monte Carlo noise of several percent)
        assert row["se"] == pytest.approx(vals[col + 1], rel=0.15), (g, t)
    assert res.pretrend_pvalue == pytest.approx(PUBLISHED_PRETEST[control], abs=0.000005)


# ------------------------------------------------------------------------------------------
# Reference package: csdid 0.4.3 (PyPI; with drdid 1.1.7, numpy 2.4.6, pandas 3.1.1), run in a
# separate virtual environment on data/external/mpdta.csv:
#   ATTgt(yname="lemp", gname="first.treat", idname="countyreal", tname="year", data=df,
#         xformla="lemp~lpop", control_group=...).fit(est_method=..., bstrap=False)
#   and .aggte(typec="simple" | "dynamic" | "group", bstrap=False)
# ATT(g,t) ordered (2004, 2004..2007), (2006, ...), (2007, ...); analytic SEs; aggregations
# as (overall ATT, overall SE, [ATT by event time -3..3 or by group], [SE ...]); rounded to 6
# decimals. These numbers come from csdid, not from the code under test.
# ------------------------------------------------------------------------------------------
CSDID = {
    ("never", "dr"): {
        "att": [
            -0.01453,
            -0.076422,
            -0.140448,
            -0.106904,
            -0.000472,
            -0.006203,
            0.000961,
            -0.041294,
            0.026728,
            -0.004577,
            -0.028447,
            -0.028781,
        ],
        "se": [
            0.022129,
            0.028671,
            0.035378,
            0.032886,
            0.022223,
            0.018496,
            0.0194,
            0.019721,
            0.014066,
            0.015718,
            0.018181,
            0.016239,
        ],
        "simple": (-0.041752, 0.011503, None, None),
        "dynamic": (
            -0.080354,
            0.018958,
            [0.026728, -0.003616, -0.023244, -0.02106, -0.053003, -0.140448, -0.106904],
            [0.014066, 0.012928, 0.014485, 0.011494, 0.016346, 0.035378, 0.032886],
        ),
        "group": (
            -0.03282,
            0.011898,
            [-0.084576, -0.020167, -0.028781],
            [0.024565, 0.01747, 0.016239],
        ),
    },
    ("never", "reg"): {
        "att": [
            -0.014911,
            -0.076996,
            -0.14108,
            -0.107544,
            -0.002066,
            -0.006968,
            0.000766,
            -0.041536,
            0.026366,
            -0.00476,
            -0.028502,
            -0.028789,
        ],
        "se": [
            0.022056,
            0.02836,
            0.034836,
            0.032738,
            0.022122,
            0.018346,
            0.019196,
            0.019717,
            0.014019,
            0.01567,
            0.018132,
            0.016168,
        ],
        "simple": (-0.041969, 0.011445, None, None),
        "dynamic": (
            -0.080782,
            0.018746,
            [0.026366, -0.00413, -0.023465, -0.021147, -0.053356, -0.14108, -0.107544],
            [0.014019, 0.012917, 0.014442, 0.011481, 0.016293, 0.034836, 0.032738],
        ),
        "group": (
            -0.032929,
            0.01186,
            [-0.085133, -0.020385, -0.028789],
            [0.024251, 0.017403, 0.016168],
        ),
    },
    ("never", "ipw"): {
        "att": [
            -0.014548,
            -0.07645,
            -0.140465,
            -0.106933,
            -0.000869,
            -0.006397,
            0.001208,
            -0.041308,
            0.026556,
            -0.004661,
            -0.02834,
            -0.028895,
        ],
        "se": [
            0.022115,
            0.028649,
            0.035371,
            0.032889,
            0.022153,
            0.018457,
            0.019488,
            0.019721,
            0.014044,
            0.015669,
            0.018189,
            0.016246,
        ],
        "simple": (-0.041777, 0.0115, None, None),
        "dynamic": (
            -0.080377,
            0.018954,
            [0.026556, -0.003774, -0.023207, -0.021088, -0.053022, -0.140465, -0.106933],
            [0.014044, 0.012896, 0.014493, 0.011498, 0.016347, 0.035371, 0.032889],
        ),
        "group": (
            -0.032875,
            0.011893,
            [-0.084599, -0.02005, -0.028895],
            [0.024553, 0.017527, 0.016246],
        ),
    },
    ("notyet", "dr"): {
        "att": [
            -0.021183,
            -0.081603,
            -0.138192,
            -0.106904,
            -0.007455,
            -0.004563,
            0.008661,
            -0.041294,
            0.026933,
            -0.004201,
            -0.028447,
            -0.028781,
        ],
        "se": [
            0.021648,
            0.028342,
            0.034228,
            0.032886,
            0.021836,
            0.018291,
            0.016839,
            0.019721,
            0.013914,
            0.015548,
            0.018181,
            0.016239,
        ],
        "simple": (-0.041352, 0.011428, None, None),
        "dynamic": (
            -0.079993,
            0.018494,
            [0.026933, -0.004962, -0.022861, -0.020144, -0.05473, -0.138192, -0.106904],
            [0.013914, 0.012805, 0.014612, 0.011632, 0.0164, 0.034228, 0.032886],
        ),
        "group": (
            -0.032264,
            0.011983,
            [-0.08697, -0.016317, -0.028781],
            [0.024062, 0.016188, 0.016239],
        ),
    },
    ("notyet", "reg"): {
        "att": [
            -0.021248,
            -0.08185,
            -0.138469,
            -0.107544,
            -0.008082,
            -0.006217,
            0.009375,
            -0.041536,
            0.026718,
            -0.004255,
            -0.028502,
            -0.028789,
        ],
        "se": [
            0.021616,
            0.028111,
            0.033881,
            0.032738,
            0.021765,
            0.01803,
            0.016906,
            0.019717,
            0.013896,
            0.015522,
            0.018132,
            0.016168,
        ],
        "simple": (-0.041375, 0.011377, None, None),
        "dynamic": (
            -0.080249,
            0.018319,
            [0.026718, -0.00515, -0.023289, -0.020007, -0.054974, -0.138469, -0.107544],
            [0.013896, 0.012784, 0.014531, 0.0116, 0.016363, 0.033881, 0.032738],
        ),
        "group": (
            -0.032252,
            0.011933,
            [-0.087278, -0.01608, -0.028789],
            [0.02383, 0.016237, 0.016168],
        ),
    },
    ("notyet", "ipw"): {
        "att": [
            -0.021185,
            -0.081607,
            -0.138195,
            -0.106933,
            -0.007607,
            -0.004681,
            0.008791,
            -0.041308,
            0.026838,
            -0.004258,
            -0.02834,
            -0.028895,
        ],
        "se": [
            0.021645,
            0.028337,
            0.034227,
            0.032889,
            0.021809,
            0.018272,
            0.016853,
            0.019721,
            0.013907,
            0.015517,
            0.018189,
            0.016246,
        ],
        "simple": (-0.041389, 0.011419, None, None),
        "dynamic": (
            -0.080016,
            0.01849,
            [0.026838, -0.005042, -0.022806, -0.020195, -0.054741, -0.138195, -0.106933],
            [0.013907, 0.012782, 0.014614, 0.011632, 0.016402, 0.034227, 0.032889],
        ),
        "group": (
            -0.032331,
            0.011976,
            [-0.08698, -0.016259, -0.028895],
            [0.024057, 0.016209, 0.016246],
        ),
    },
}


@pytest.mark.parametrize(("control", "est_method"), sorted(CSDID))
def test_all_estimators_match_csdid_on_mpdta(
    mpdta: pd.DataFrame, control: str, est_method: str
) -> None:
    ref = CSDID[(control, est_method)]
    res = staggered_did(
        mpdta,
        "lemp",
        "countyreal",
        "year",
        "first.treat",
        control=control,  # type: ignore[arg-type]
        controls=("lpop",),
        est_method=est_method,  # type: ignore[arg-type]
    )
    np.testing.assert_allclose(res.att_gt["att"], ref["att"], atol=1e-6 + 1e-9)
    np.testing.assert_allclose(res.att_gt["se"], ref["se"], atol=1e-6 + 1e-9)
    att, se, _, _ = ref["simple"]
    assert res.simple["att"].iloc[0] == pytest.approx(att, abs=1e-6 + 1e-9)
    assert res.simple["se"].iloc[0] == pytest.approx(se, abs=1e-6 + 1e-9)
    dyn = res.dynamic.set_index("event_time")
    att, se, atts, ses = ref["dynamic"]
    assert dyn.loc["overall", "att"] == pytest.approx(att, abs=1e-6 + 1e-9)
    assert dyn.loc["overall", "se"] == pytest.approx(se, abs=1e-6 + 1e-9)
    np.testing.assert_allclose(dyn.loc[list(range(-3, 4)), "att"], atts, atol=1e-6 + 1e-9)
    np.testing.assert_allclose(dyn.loc[list(range(-3, 4)), "se"], ses, atol=1e-6 + 1e-9)
    grp = res.group.set_index("group")
    att, se, atts, ses = ref["group"]
    assert grp.loc["overall", "att"] == pytest.approx(att, abs=1e-6 + 1e-9)
    assert grp.loc["overall", "se"] == pytest.approx(se, abs=1e-6 + 1e-9)
    np.testing.assert_allclose(grp.loc[[2004, 2006, 2007], "att"], atts, atol=1e-6 + 1e-9)
    np.testing.assert_allclose(grp.loc[[2004, 2006, 2007], "se"], ses, atol=1e-6 + 1e-9)


# ------------------------------------------------------------------------------------------
# Planted effects: selection on a covariate that also drives the untreated trend
# ------------------------------------------------------------------------------------------
def simulate_confounded(n: int = 4000, seed: int = 3) -> pd.DataFrame:
    """Years 1..6, cohorts 3, 5 and never (0) chosen by a multinomial logit in x; the untreated
    trend is 0.4 + 0.8 x per year, so unconditional parallel trends fail and conditional parallel
    trends hold. True ATT(g, t) = 1 + (t - g) for t >= g."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n)
    scores = np.column_stack([np.zeros(n), 0.9 * x - 0.3, -0.7 * x - 0.2])
    prob = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    pick = (rng.random(n)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1)
    g = np.array([0, 3, 5])[pick]
    years = np.arange(1, 7)
    ids = np.repeat(np.arange(n), len(years))
    t = np.tile(years, n)
    gg, xx = np.repeat(g, len(years)), np.repeat(x, len(years))
    e = t - gg
    tau = np.where((gg > 0) & (e >= 0), 1.0 + e, 0.0)
    y = np.repeat(rng.normal(0, 1, n), len(years)) + (0.4 + 0.8 * xx) * t + tau
    y = y + rng.normal(0, 0.3, len(t))
    return pd.DataFrame(
        {"id": ids, "year": t, "g": gg, "x": xx, "y": y, "village": ids // 40, "tau": tau}
    )


@pytest.fixture(scope="module")
def confounded() -> pd.DataFrame:
    return simulate_confounded()


def _post_truth(res_att_gt: pd.DataFrame) -> np.ndarray:
    return np.where(res_att_gt["time"] >= res_att_gt["group"], 1.0 + res_att_gt["event_time"], 0)


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_covariate_adjusted_estimators_recover_planted_effects(
    confounded: pd.DataFrame, control: str
) -> None:
    plain = staggered_did(confounded, "y", "id", "year", "g", control=control)  # type: ignore[arg-type]
    truth = _post_truth(plain.att_gt)
    # without the covariate the cohorts' different x shift every comparison
    assert np.max(np.abs(plain.att_gt["att"] - truth)) > 0.3
    assert plain.pretrend_pvalue < 1e-6
    for method in ("dr", "reg", "ipw"):
        res = staggered_did(
            confounded,
            "y",
            "id",
            "year",
            "g",
            control=control,  # type: ignore[arg-type]
            controls=["x"],
            est_method=method,  # type: ignore[arg-type]
        )
        z = (res.att_gt["att"] - truth) / res.att_gt["se"]
        assert np.max(np.abs(z)) < 4.0, (method, control)
        assert res.pretrend_pvalue > 0.001, method


def test_doubly_robust_survives_a_misspecified_outcome_model(confounded: pd.DataFrame) -> None:
    # an extra untreated trend 1.5 x^2 per year, which an outcome model linear in x misses; the
    # propensity score (logit-linear in x) stays right, so "dr" and "ipw" recover the effect
    # while "reg" does not (Sant'Anna and Zhao 2020, Theorem 1)
    df = confounded.copy()
    df["y"] = df["y"] + 1.5 * df["x"] ** 2 * df["year"]
    errs = {}
    for method in ("dr", "ipw", "reg"):
        res = staggered_did(df, "y", "id", "year", "g", controls=["x"], est_method=method)  # type: ignore[arg-type]
        truth = _post_truth(res.att_gt)
        errs[method] = float(np.max(np.abs((res.att_gt["att"] - truth) / res.att_gt["se"])))
    assert errs["dr"] < 4.0 and errs["ipw"] < 4.0
    assert errs["reg"] > 4.0


def test_covariates_with_village_clusters_and_bootstrap(confounded: pd.DataFrame) -> None:
    kw = {"controls": ["x"], "cluster": "village"}
    an = staggered_did(confounded, "y", "id", "year", "g", **kw)  # type: ignore[arg-type]
    b1 = staggered_did(confounded, "y", "id", "year", "g", se_method="bootstrap", seed=5, **kw)  # type: ignore[arg-type]
    b2 = staggered_did(confounded, "y", "id", "year", "g", se_method="bootstrap", seed=5, **kw)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(b1.att_gt, b2.att_gt)
    np.testing.assert_allclose(b1.att_gt["att"], an.att_gt["att"])
    np.testing.assert_allclose(b1.att_gt["se"], an.att_gt["se"], rtol=0.2)
    # village clustering changes the standard errors, not the estimates
    ent = staggered_did(confounded, "y", "id", "year", "g", controls=["x"])
    np.testing.assert_allclose(ent.att_gt["att"], an.att_gt["att"])
    assert not np.allclose(ent.att_gt["se"], an.att_gt["se"])


def test_no_controls_ignores_est_method_and_keeps_unconditional_results(
    mpdta: pd.DataFrame,
) -> None:
    base = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat")
    for method in ("dr", "reg", "ipw"):
        res = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", est_method=method)  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(res.att_gt, base.att_gt)
        assert res.est_method == ""


def test_sun_abraham_with_a_time_varying_control_recovers_planted_effects() -> None:
    rng = np.random.default_rng(11)
    n, years = 1500, np.arange(1, 8)
    g = rng.choice([3, 5, 0], size=n, p=[0.35, 0.35, 0.3])
    ids = np.repeat(np.arange(n), len(years))
    t = np.tile(years, n)
    gg = np.repeat(g, len(years))
    e = t - gg
    tau = np.where((gg > 0) & (e >= 0), 2.0 + 0.5 * e, 0.0)
    # a control whose path differs by cohort; it moves y with slope 3
    x1 = 0.3 * t * (gg == 3) - 0.2 * t * (gg == 5) + rng.normal(0, 1, len(t))
    y = np.repeat(rng.normal(0, 1, n), len(years)) + 0.2 * t + tau + 3.0 * x1
    y = y + rng.normal(0, 0.5, len(t))
    df = pd.DataFrame({"id": ids, "year": t, "g": gg, "x1": x1, "y": y})
    plain = staggered_did(df, "y", "id", "year", "g", method="sun_abraham")
    adj = staggered_did(df, "y", "id", "year", "g", method="sun_abraham", controls=["x1"])
    truth = np.where(adj.att_gt["event_time"] >= 0, 2.0 + 0.5 * adj.att_gt["event_time"], 0.0)
    z = (adj.att_gt["att"] - truth) / adj.att_gt["se"]
    assert np.max(np.abs(z)) < 4.0
    assert np.max(np.abs(plain.att_gt["att"] - truth)) > 0.5
    assert adj.controls == ("x1",) and adj.est_method == ""


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"controls": ["x"], "est_method": "aipw"}, ParameterError, "est_method"),
        ({"controls": ["y"]}, ParameterError, "controls"),
        ({"controls": ["x", "x"]}, ParameterError, "controls"),
        ({"controls": ["nope"]}, DataValidationError, "nope"),
    ],
)
def test_bad_controls_are_refused(
    confounded: pd.DataFrame, kwargs: dict, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        staggered_did(confounded, "y", "id", "year", "g", **kwargs)


def test_missing_covariate_values_are_refused(confounded: pd.DataFrame) -> None:
    df = confounded.copy()
    df.loc[5, "x"] = np.nan
    with pytest.raises(DataValidationError, match="'x' has 1 missing"):
        staggered_did(df, "y", "id", "year", "g", controls=["x"])


def test_collinear_covariates_are_refused_with_the_reason(confounded: pd.DataFrame) -> None:
    df = confounded.assign(x2=lambda d: 2.0 * d["x"])
    with pytest.raises(DataValidationError, match="collinear covariates"):
        staggered_did(df, "y", "id", "year", "g", controls=["x", "x2"], est_method="reg")
    with pytest.raises(DataValidationError, match="singular information"):
        staggered_did(df, "y", "id", "year", "g", controls=["x", "x2"], est_method="ipw")


# ------------------------------------------------------------------------------------------
# Sun-Abraham with a covariate against pyfixest. fixest's base_stagg (the walkthrough's
# feols(y ~ x1 + sunab(year_treated, year) | id + year, base_stagg)) ships only inside the R
# package's .RData and no copy of the data was found (pyfixest 0.60.0 does not ship it, and has
# no sunab()), so the reference is pyfixest 0.60.0 (PyPI, separate virtual environment) on
# mpdta with a deterministic time-varying covariate x1, fitting the same Sun-Abraham
# regression with the cohort x relative-time dummies written out (never-treated reference
# cohort, relative period -1 omitted):
#   pf.feols("lemp ~ sa_2004_p0 + ... + sa_2007_p0 + x1 | countyreal + year", data=df,
#            vcov={"CRV1": "countyreal"}).tidy()
# pyfixest's small-sample factor counts the time effects and the constant in K (K = 13 + 5),
# ours counts the regressors only (k = 13), so its standard errors are ours times
# sqrt((n - 13) / (n - 18)) with n = 2500.
# ------------------------------------------------------------------------------------------
PYFIXEST_SA_X1 = {
    # (cohort, relative period): (estimate, CRV1 standard error) from pyfixest
    (2004, 0): (-0.010828753468375715, 0.023239843418854756),
    (2004, 1): (-0.07085530865882089, 0.030170688952855084),
    (2004, 2): (-0.1376255948250815, 0.035352509129858975),
    (2004, 3): (-0.10101118347572334, 0.0340605943565639),
    (2006, -3): (-0.00018778526805796942, 0.031671172644712905),
    (2006, -2): (0.004703620248299917, 0.019679307310152362),
    (2006, 0): (-0.006726720869348684, 0.01780803981240353),
    (2006, 1): (-0.04549896053197269, 0.020368897254036244),
    (2007, -4): (0.005956400554656316, 0.02458647754785582),
    (2007, -3): (0.03565090109307, 0.02121981126969819),
    (2007, -2): (0.03202004636663099, 0.01797005597103039),
    (2007, 0): (-0.02694667622386331, 0.01668484885935511),
}


@pytest.mark.parametrize("backend", ["linearmodels", "within"])
def test_sun_abraham_with_covariate_matches_pyfixest(mpdta: pd.DataFrame, backend: str) -> None:
    df = mpdta.copy()
    df["x1"] = np.sin(df["countyreal"] + 0.37 * df["year"]) + 0.1 * df["lpop"] * (df["year"] - 2005)
    res = staggered_did(
        df,
        "lemp",
        "countyreal",
        "year",
        "first.treat",
        method="sun_abraham",
        controls=["x1"],
        backend=backend,  # type: ignore[arg-type]
    )
    table = res.att_gt.set_index(["group", "event_time"])
    assert len(table) == len(PYFIXEST_SA_X1)
    ssc = np.sqrt((2500 - 13) / (2500 - 18))
    for key, (est, se) in PYFIXEST_SA_X1.items():
        assert table.loc[key, "att"] == pytest.approx(est, abs=1e-9), key
        assert table.loc[key, "se"] * ssc == pytest.approx(se, rel=1e-6), key


# ------------------------------------------------------------------------------------------
# Universal base period (did's base_period="universal": every ATT(g,t) compares with g-1,
# the cell t = g-1 is the normalisation) against csdid 0.4.3 (same environment as above):
#   ATTgt(..., xformla=None | "lemp~lpop", control_group="nevertreated")
#       .fit(est_method="dr", base_period="universal", bstrap=False); .aggte("dynamic")
# csdid lists the normalised cells (t = g-1) with ATT 0 and no SE; they are omitted here.
# ------------------------------------------------------------------------------------------
# fmt: off
CSDID_UNIVERSAL = {
    # controls: (ATT(g,t) in (g, t) order without t = g-1, SEs, dynamic e=-4..3 without -1, SEs)
    (): (
        [-0.010503, -0.070423, -0.137259, -0.100811, -0.003769, 0.002751, -0.004595,
         -0.041224, 0.003306, 0.033813, 0.031087, -0.026054],
        [0.023251, 0.030985, 0.036436, 0.034359, 0.031342, 0.019559, 0.017755, 0.020229,
         0.024452, 0.021129, 0.017878, 0.016655],
        [0.003306, 0.025022, 0.024459, -0.019932, -0.050957, -0.137259, -0.100811],
        [0.024452, 0.018119, 0.014236, 0.011826, 0.016893, 0.036436, 0.034359],
    ),
    ("lpop",): (
        [-0.01453, -0.076422, -0.140448, -0.106904, 0.006675, 0.006203, 0.000961,
         -0.041294, 0.006296, 0.033024, 0.028447, -0.028781],
        [0.022129, 0.028671, 0.035378, 0.032886, 0.030288, 0.018496, 0.0194, 0.019721,
         0.024537, 0.021235, 0.018181, 0.016239],
        [0.006296, 0.02686, 0.023244, -0.02106, -0.053003, -0.140448, -0.106904],
        [0.024537, 0.0181, 0.014485, 0.011494, 0.016346, 0.035378, 0.032886],
    ),
}
# fmt: on


@pytest.mark.parametrize("controls", sorted(CSDID_UNIVERSAL))
def test_universal_base_period_matches_csdid(
    mpdta: pd.DataFrame, controls: tuple[str, ...]
) -> None:
    att, se, dyn, dyn_se = CSDID_UNIVERSAL[controls]
    res = staggered_did(
        mpdta,
        "lemp",
        "countyreal",
        "year",
        "first.treat",
        controls=controls,
        base_period="universal",
    )
    assert res.base_period == "universal"
    np.testing.assert_allclose(res.att_gt["att"], att, atol=1e-6 + 1e-9)
    np.testing.assert_allclose(res.att_gt["se"], se, atol=1e-6 + 1e-9)
    d = res.dynamic.set_index("event_time")
    events = [-4, -3, -2, 0, 1, 2, 3]
    np.testing.assert_allclose(d.loc[events, "att"], dyn, atol=1e-6 + 1e-9)
    np.testing.assert_allclose(d.loc[events, "se"], dyn_se, atol=1e-6 + 1e-9)
    # the covariance of the event-time estimates carries the same standard errors
    assert res.dynamic_cov is not None
    np.testing.assert_allclose(
        np.sqrt(np.diag(res.dynamic_cov.loc[events, events])), dyn_se, atol=2e-6
    )
    # post-period cells do not depend on the base-period choice
    varying = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", controls=controls)
    post = varying.att_gt[varying.att_gt["time"] >= varying.att_gt["group"]]
    upost = res.att_gt[res.att_gt["time"] >= res.att_gt["group"]]
    np.testing.assert_allclose(upost["att"].to_numpy(), post["att"].to_numpy())


def test_sun_abraham_dynamic_covariance_matches_its_standard_errors(mpdta: pd.DataFrame) -> None:
    res = staggered_did(mpdta, "lemp", "countyreal", "year", "first.treat", method="sun_abraham")
    d = res.dynamic[res.dynamic["event_time"] != "overall"].set_index("event_time")
    assert res.dynamic_cov is not None and res.base_period == "universal"
    np.testing.assert_allclose(np.sqrt(np.diag(res.dynamic_cov)), d["se"].to_numpy(float))


# ------------------------------------------------------------------------------------------
# Baseline covariates beside unit fixed effects (issue 18: covariates on the curve)
# ------------------------------------------------------------------------------------------
def _trend_by_baseline(seed: int, effect: float) -> pd.DataFrame:
    """Households in 40 villages over 5 years; a baseline covariate x shifts each later year's
    outcome by 0.3 * x * (year - 1) and villages with larger x adopt earlier, so parallel trends
    hold only given x. Planted effect ``effect`` from adoption on."""
    rng = np.random.default_rng(seed)
    rows = []
    for v in range(40):
        xv = rng.normal()
        g = 0 if v < 12 else (3 if xv > 0 else 4)
        for h in range(10):
            x = xv + rng.normal(0, 0.5)
            a = rng.normal()
            for t in range(1, 6):
                d = int(g > 0 and t >= g)
                y = a + 0.1 * t + 0.3 * x * (t - 1) + effect * d + rng.normal(0, 0.3)
                rows.append((v * 100 + h, v, t, g, d, x, y))
    return pd.DataFrame(rows, columns=["hh", "village", "year", "g", "d", "x", "y"])


def test_baseline_by_period_builds_the_year_interactions() -> None:
    from cases.methods.panel import baseline_by_period

    df = pd.DataFrame(
        {"hh": [1, 1, 1, 2, 2, 2], "year": [1, 2, 3] * 2, "x": [2.0, 2.0, 2.0, -1.0, -1.0, -1.0]}
    )
    out, names = baseline_by_period(df, ["x"], "hh", "year")
    assert names == ["x_by_2", "x_by_3"]
    assert out["x_by_2"].tolist() == [0.0, 2.0, 0.0, 0.0, -1.0, 0.0]
    assert out["x_by_3"].tolist() == [0.0, 0.0, 2.0, 0.0, 0.0, -1.0]


def test_baseline_by_period_refuses_a_covariate_that_changes() -> None:
    from cases.methods.panel import baseline_by_period

    df = pd.DataFrame({"hh": [1, 1, 2, 2], "year": [1, 2, 1, 2], "x": [1.0, 1.0, 0.0, 5.0]})
    with pytest.raises(DataValidationError, match=r"'x' changes within hh=2 \(row 4\)"):
        baseline_by_period(df, ["x"], "hh", "year")


def test_baseline_adjustment_removes_the_bias_of_covariate_driven_trends() -> None:
    # Without x every estimator credits the earlier adopters' x-driven growth to the reform;
    # with x (year interactions for TWFE and Sun-Abraham, DR controls for Callaway-Sant'Anna)
    # each recovers the planted 0.2.
    from cases.methods.panel import baseline_by_period, twfe

    df = _trend_by_baseline(7, 0.2)
    work, by = baseline_by_period(df, ["x"], "hh", "year")
    raw = twfe(df, "y", "d", "hh", "year", cluster="village", backend="within").coef
    adj = twfe(work, "y", "d", "hh", "year", controls=by, cluster="village", backend="within")
    cs_raw = staggered_did(df, "y", "hh", "year", "g", cluster="village").simple["att"].iloc[0]
    cs_adj = staggered_did(df, "y", "hh", "year", "g", cluster="village", controls=["x"])
    sa_adj = staggered_did(
        work, "y", "hh", "year", "g", method="sun_abraham", cluster="village", controls=by
    )
    assert raw - 0.2 > 0.1 and cs_raw - 0.2 > 0.1
    assert abs(adj.coef - 0.2) < 3 * adj.se
    assert abs(cs_adj.simple["att"].iloc[0] - 0.2) < 3 * cs_adj.simple["se"].iloc[0]
    assert abs(sa_adj.simple["att"].iloc[0] - 0.2) < 3 * sa_adj.simple["se"].iloc[0]


def test_sun_abraham_notyet_leaves_out_interactions_of_dropped_years_with_a_note() -> None:
    from cases.methods.panel import baseline_by_period

    df = _trend_by_baseline(8, 0.2)
    work, by = baseline_by_period(df, ["x"], "hh", "year")
    res = staggered_did(
        work, "y", "hh", "year", "g", method="sun_abraham", control="notyet", controls=by
    )
    # Last cohort 4 is the control, so years 4 and 5 are dropped and x_by_4, x_by_5 are empty.
    assert any("x_by_4, x_by_5" in n and "left out" in n for n in res.notes)
    assert np.isfinite(res.simple["att"].iloc[0])
