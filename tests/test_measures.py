"""Tests for cases.methods.measures: published and hand-computed examples, properties,
simulations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from cases.methods import measures as m

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

incomes = st.lists(
    st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=40,
)
positive_incomes = st.lists(
    st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False),
    min_size=2,
    max_size=40,
)
lines = st.floats(min_value=0.5, max_value=2e4, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------------------------------------
# Published and hand-computed examples
# ---------------------------------------------------------------------------------------------


def test_fgt_haughton_khandker_country_c():
    # Haughton, J. and Khandker, S. R. (2009), Handbook on Poverty and Inequality, World Bank,
    # ch. 4, the two tables "Calculating the Poverty Gap Index, Assuming Poverty Line of 125"
    # (p. 70 and p. 72): expenditure in country C is 100, 110, 150, 160 with z = 125.
    # Published: P1 = 0.08 [= 0.32/4] and P2 = 0.0136 [= 0.0544/4].
    # P0 by hand: two of four below 125 -> 0.5.
    country_c = [100, 110, 150, 160]
    assert m.fgt(country_c, 125, alpha=0) == pytest.approx(0.5)
    assert m.fgt(country_c, 125, alpha=1) == pytest.approx(0.08)
    assert m.fgt(country_c, 125, alpha=2) == pytest.approx(0.0136)


def test_fgt_hand_example_with_weights_and_fractional_alpha():
    # Foster, Greer and Thorbecke (1984) definition P_a = sum w_i ((z - y_i)/z)^a 1[y_i < z] / W.
    # z = 10, incomes (2, 5, 10, 20), household sizes (1, 3, 2, 4), W = 10.
    # Normalised gaps: 0.8, 0.5, 0 (at the line: not poor), 0.
    # P0 = (1 + 3) / 10 = 0.4
    # P1 = (1*0.8 + 3*0.5) / 10 = 2.3 / 10 = 0.23
    # P2 = (1*0.64 + 3*0.25) / 10 = 1.39 / 10 = 0.139
    # P0.5 = (1*sqrt(0.8) + 3*sqrt(0.5)) / 10 = (0.894427 + 2.121320) / 10 = 0.3015748
    y, w = [2, 5, 10, 20], [1, 3, 2, 4]
    assert m.fgt(y, 10, 0, w) == pytest.approx(0.4)
    assert m.fgt(y, 10, 1, w) == pytest.approx(0.23)
    assert m.fgt(y, 10, 2, w) == pytest.approx(0.139)
    assert m.fgt(y, 10, 0.5, w) == pytest.approx(0.3015748, abs=1e-7)
    # A negative income (net loss) has a normalised gap above 1: y = -5, z = 10 -> 1.5.
    assert m.fgt([-5, 20], 10, 1) == pytest.approx(0.75)


def test_gini_hand_example():
    # Textbook G = sum_i sum_j |y_i - y_j| / (2 n^2 mean). For (1, 2, 3, 4): the 6 unordered
    # pairs differ by 1, 2, 3, 1, 2, 1 -> sum over ordered pairs 2 * 10 = 20; 2 * 16 * 2.5 = 80;
    # G = 20 / 80 = 0.25.
    assert m.gini([1, 2, 3, 4]) == pytest.approx(0.25)
    # Weighted (2, 1, 1) on (1, 2, 3) is the data (1, 1, 2, 3): ordered-pair differences
    # 2*(0 + 1 + 2 + 1 + 2 + 1) = 14; n = 4, mean = 7/4; G = 14 / (2 * 16 * 7/4) = 14/56 = 0.25.
    assert m.gini([1, 2, 3], weights=[2, 1, 1]) == pytest.approx(0.25)
    # Everyone equal -> 0; one person has everything among n -> (n - 1)/n.
    assert m.gini([5, 5, 5]) == pytest.approx(0.0)
    assert m.gini([0, 0, 0, 8]) == pytest.approx(0.75)


# Alkire, S. and Foster, J. (2011), "Counting and multidimensional poverty measurement",
# J. Public Econ. 95: 476-487, section 2: achievement matrix y (4 persons x 4 dimensions) and
# deprivation cutoffs z = (13, 12, 3, 1); a person is deprived when y_ij < z_j. The paper's text
# could not be retrieved; its scores c = (0, 0.5, 1, 0.25) are printed in Alkire et al. (2015),
# Box 5.5 (test_mpi_alkire_et_al_2015_box_5_5). The other numbers are computed by hand:
#   g0 = [[0,0,0,0], [0,1,0,1], [1,1,1,1], [0,1,0,0]], counts c = (0, 2, 4, 1).
#   Equal weights 1/4 -> scores (0, 0.5, 1, 0.25).
#   k = 2 of 4 (0.5): poor = persons 2 and 3; H = 2/4 = 1/2; A = (2 + 4)/(2 * 4) = 3/4;
#   M0 = 6/16 = 3/8. Censored headcounts (a, b, c, d) = (1/4, 2/4, 1/4, 2/4), uncensored
#   (1/4, 3/4, 1/4, 2/4); contributions w_j h_j / M0 = (1/6, 1/3, 1/6, 1/3).
#   k = 1 of 4 (union): H = 3/4, A = 7/12, M0 = 7/16. k = 4 of 4 (intersection): only person 3 is
#   poor: H = 1/4, A = 4/4 = 1, M0 = 1/4.
AF_ACHIEVEMENTS = np.array(
    [[13.1, 14, 4, 1], [15.2, 7, 5, 0], [12.5, 10, 1, 0], [20, 11, 3, 1]], dtype=float
)
AF_CUTOFFS = np.array([13, 12, 3, 1], dtype=float)


def af_deprivations() -> pd.DataFrame:
    return pd.DataFrame(
        (AF_ACHIEVEMENTS < AF_CUTOFFS).astype(np.int8), columns=["inc", "edu", "hlth", "water"]
    )


EQUAL4 = {"inc": 0.25, "edu": 0.25, "hlth": 0.25, "water": 0.25}


def test_mpi_alkire_foster_2011_matrix():
    res = m.mpi(af_deprivations(), EQUAL4, k=0.5)
    assert res.H == pytest.approx(1 / 2)
    assert res.A == pytest.approx(3 / 4)
    assert res.M0 == pytest.approx(3 / 8)
    np.testing.assert_allclose(res.censored_headcount.to_numpy(), [1 / 4, 2 / 4, 1 / 4, 2 / 4])
    np.testing.assert_allclose(res.uncensored_headcount.to_numpy(), [1 / 4, 3 / 4, 1 / 4, 2 / 4])
    np.testing.assert_allclose(res.contribution.to_numpy(), [1 / 6, 1 / 3, 1 / 6, 1 / 3])
    np.testing.assert_array_equal(res.is_poor, [False, True, True, False])

    union = m.mpi(af_deprivations(), EQUAL4, k=0.25)
    assert (union.H, union.A, union.M0) == pytest.approx((3 / 4, 7 / 12, 7 / 16))
    inter = m.mpi(af_deprivations(), EQUAL4, k=1.0)
    assert (inter.H, inter.A, inter.M0) == pytest.approx((1 / 4, 1.0, 1 / 4))


def test_mpi_nested_weights_and_boolean_indicators():
    # Nested {dimension: {indicator: weight}}: living standards split in two halves of 1/4.
    # Scores for the AF matrix: person 2 = 0.25 (edu) + 0.125 (water) = 0.375,
    # person 3 = 1, person 4 = 0.25. With k = 0.3: poor = 2 and 3; H = 1/2;
    # M0 = (0.375 + 1)/4 = 0.34375; A = 1.375/2 = 0.6875.
    nested = {
        "income": {"inc": 0.25},
        "edu": {"edu": 0.25},
        "living": {"hlth": 0.375, "water": 0.125},
    }
    res = m.mpi(af_deprivations().astype(bool), nested, k=0.3)
    assert (res.H, res.A, res.M0) == pytest.approx((0.5, 0.6875, 0.34375))


def test_mpi_alkire_et_al_2015_box_5_5():
    # Alkire, Foster, Seth, Santos, Roche and Ballon (2015), Multidimensional Poverty
    # Measurement and Analysis, OUP, section 5.5.1, Box 5.5 "Same M0 but different composition
    # of incidence and intensity" (text of the section as retrieved from
    # https://study.sci.house/general-economic-issues/the-set-partial-and-consistent-sub-indices-the-120611.html):
    # four persons, four equally weighted dimensions, deprivation cutoffs z = (500, 5, Not
    # malnourished, Has access to improved sanitation). Printed: the deprivation score vectors
    # are c = (0, 0.5, 1, 0.25) for X and c' = (0, 0.5, 0.5, 0.5) for X'; persons 2 and 3 are
    # poor in X, persons 2, 3 and 4 in X'; the two societies have the same M0. The printed
    # vector c is that of the AF (2011) matrix above. The deprivation matrix of X' was not
    # retrieved; any matrix with scores c' serves (below). By hand at k = 1/2:
    #   X:  H = 2/4, A = (0.5 + 1)/2 = 0.75, M0 = 1.5/4 = 0.375
    #   X': H = 3/4, A = (0.5 + 0.5 + 0.5)/3 = 0.5, M0 = 1.5/4 = 0.375 (same M0).
    res = m.mpi(af_deprivations(), EQUAL4, k=0.5)
    np.testing.assert_allclose(res.deprivation_score, [0, 0.5, 1, 0.25])
    np.testing.assert_array_equal(res.is_poor, [False, True, True, False])
    x_prime = pd.DataFrame(
        [[0, 0, 0, 0], [0, 1, 0, 1], [1, 1, 0, 0], [0, 1, 1, 0]],
        columns=["inc", "edu", "hlth", "water"],
    )
    res_p = m.mpi(x_prime, EQUAL4, k=0.5)
    np.testing.assert_allclose(res_p.deprivation_score, [0, 0.5, 0.5, 0.5])
    np.testing.assert_array_equal(res_p.is_poor, [False, True, True, True])
    assert (res.H, res.A, res.M0) == pytest.approx((0.5, 0.75, 0.375))
    assert (res_p.H, res_p.A, res_p.M0) == pytest.approx((0.75, 0.5, 0.375))
    assert res.M0 == pytest.approx(res_p.M0)


def test_mpi_alkire_foster_matrix_matches_mpitb():
    # Reference package: mpitb 0.2 (PyPI, Python port of Suppa's Stata mpitb), installed only in
    # a separate venv and run on the AF (2011) matrix above with one indicator per dimension
    # (equal weights 1/4) and klist = [25, 50, 100] (k in percent). Its printed results:
    #   k=25:  H 0.75, A 0.5833333333333334, M0 0.4375; hdk (0.25, 0.75, 0.25, 0.5);
    #          pctb (0.142857142857, 0.428571428571, 0.142857142857, 0.285714285714)
    #   k=50:  H 0.5, A 0.75, M0 0.375; hdk (0.25, 0.5, 0.25, 0.5); pctb (1/6, 1/3, 1/6, 1/3)
    #   k=100: H 0.25, A 1.0, M0 0.25; hd (uncensored) (0.25, 0.75, 0.25, 0.5)
    # Chapter 5 of Alkire et al. (2015) (OPHI Working Paper 86,
    # https://kipdf.com/ophi-working-paper-no-86_5ac79c531723dddf8342a94c.html and
    # https://multidimensionalpoverty.org/chapter-5/) prints this matrix's deprivation scores
    # (Box 5.5, see test_mpi_alkire_et_al_2015_box_5_5) but, in the text retrieved, not its H,
    # A and M0; mpitb's values above and the hand arithmetic are the checks of those.
    d = af_deprivations()
    r25 = m.mpi(d, EQUAL4, k=0.25)
    assert (r25.H, r25.A, r25.M0) == pytest.approx((0.75, 0.5833333333333334, 0.4375))
    np.testing.assert_allclose(r25.censored_headcount.to_numpy(), [0.25, 0.75, 0.25, 0.5])
    np.testing.assert_allclose(
        r25.contribution.to_numpy(),
        [0.14285714285714285, 0.42857142857142855, 0.14285714285714285, 0.2857142857142857],
    )
    r50 = m.mpi(d, EQUAL4, k=0.5)
    assert (r50.H, r50.A, r50.M0) == pytest.approx((0.5, 0.75, 0.375))
    r100 = m.mpi(d, EQUAL4, k=1.0)
    assert (r100.H, r100.A, r100.M0) == pytest.approx((0.25, 1.0, 0.25))
    np.testing.assert_allclose(r100.uncensored_headcount.to_numpy(), [0.25, 0.75, 0.25, 0.5])


# Eight households in two villages on the exit-standard indicators (columns in the order of
# measures.exit_standard: income, food/clothing, education, medical, housing, water).
EXIT_TOY = pd.DataFrame(
    [
        [1, 1, 0, 0, 0, 1, 1],
        [1, 0, 0, 0, 0, 1, 0],
        [1, 1, 1, 1, 0, 0, 0],
        [1, 0, 0, 0, 0, 0, 1],
        [2, 0, 0, 0, 1, 1, 0],
        [2, 1, 0, 0, 0, 0, 0],
        [2, 0, 0, 0, 0, 0, 0],
        [2, 1, 1, 1, 1, 1, 1],
    ],
    columns=["v", *m.TWO_ASSURANCES_THREE_GUARANTEES],
)


def test_exit_standard_matches_mpitb_on_toy_data():
    # mpitb 0.2 (separate venv), est(..., klist=[20, 34], over=["v"]) with one indicator per
    # dimension and equal weights: all six indicators (2019 on) and the five without water
    # (before 2019); then weights={income: 0.5, others: 0.1} at k = 34. Printed results:
    #   2019, k=20: H 0.5, A 0.5833333333333333, M0 0.29166666666666663;
    #               v1 M0 0.25, v2 M0 0.3333333333333333
    #   2019, k=34: H 0.375, A 0.6666666666666666, M0 0.25; v1 (H 0.5, A 0.5), v2 (H 0.25, A 1)
    #   2016, k=20: H 0.75, A 0.4666666666666666, M0 0.35; v1 M0 0.3, v2 M0 0.4
    #   2016, k=34: H 0.5, A 0.6, M0 0.3; v1 M0 0.25, v2 M0 0.35
    #   income 1/2, k=34: H 0.5, A 0.725, M0 0.3625; v1 M0 0.35, v2 M0 0.375
    s19, s16 = m.exit_standard(2019), m.exit_standard(2016)
    res = m.mpi(EXIT_TOY, s19, 0.2)
    assert (res.H, res.A, res.M0) == pytest.approx((0.5, 0.5833333333333333, 0.29166666666666663))
    by = m.mpi_by(EXIT_TOY, s19, 0.2, "v")
    np.testing.assert_allclose(by["M0"].to_numpy(), [0.25, 0.3333333333333333])
    res = m.mpi(EXIT_TOY, s19, 0.34)
    assert (res.H, res.A, res.M0) == pytest.approx((0.375, 0.6666666666666666, 0.25))
    by = m.mpi_by(EXIT_TOY, s19, 0.34, "v")
    np.testing.assert_allclose(by[["H", "A"]].to_numpy(), [[0.5, 0.5], [0.25, 1.0]])
    res = m.mpi(EXIT_TOY, s16, 0.2)
    assert (res.H, res.A, res.M0) == pytest.approx((0.75, 0.4666666666666666, 0.35))
    np.testing.assert_allclose(m.mpi_by(EXIT_TOY, s16, 0.2, "v")["M0"], [0.3, 0.4])
    res = m.mpi(EXIT_TOY, s16, 0.34)
    assert (res.H, res.A, res.M0) == pytest.approx((0.5, 0.6, 0.3))
    np.testing.assert_allclose(m.mpi_by(EXIT_TOY, s16, 0.34, "v")["M0"], [0.25, 0.35])
    heavy = m.weight_schemes(s19)["income_half"]
    res = m.mpi(EXIT_TOY, heavy, 0.34)
    assert (res.H, res.A, res.M0) == pytest.approx((0.5, 0.725, 0.3625))
    np.testing.assert_allclose(m.mpi_by(EXIT_TOY, heavy, 0.34, "v")["M0"], [0.35, 0.375])


def test_exit_standard_dimensions_depend_on_the_year():
    # 一达标、两不愁、三保障: income its own dimension; water only from 2019.
    before, after = m.exit_standard(2016), m.exit_standard(2019)
    assert m.WATER_CHECK_FIRST_YEAR == 2019
    assert list(before.dimensions) == [
        "income",
        "food_clothing",
        "compulsory_education",
        "basic_medical_care",
        "housing_safety",
    ]
    assert "drinking_water_unsafe" not in before
    assert list(after.dimensions)[-1] == "drinking_water"
    assert m.exit_standard(2018).dimensions == before.dimensions
    assert list(m.exit_standard(None)) == list(after) == list(m.TWO_ASSURANCES_THREE_GUARANTEES)
    # Equal weights across dimensions: 1/5 before 2019, 1/6 from 2019.
    assert all(w == pytest.approx(1 / 5) for w in before.values())
    assert all(w == pytest.approx(1 / 6) for w in after.values())
    assert all(after.definition(n) for n in after)
    # Relative dimension weights are normalised: income 2, the rest 1 -> 2/6 and 1/6.
    custom = m.exit_standard(
        2016, dimension_weights={d: 1 for d in before.dimensions} | {"income": 2}
    )
    assert custom["income_below_line"] == pytest.approx(2 / 6)
    assert custom["housing_unsafe"] == pytest.approx(1 / 6)
    with pytest.raises(m.MeasureInputError, match="drinking_water"):
        m.exit_standard(2016, dimension_weights={d: 1 for d in after.dimensions})


def test_nested_weights_and_weight_schemes_by_hand():
    # Two dimensions, the second with two indicators: w = (1/2, 1/4, 1/4); relative weights
    # (3, 1) -> (3/4, 1/8, 1/8).
    dims = {"a": ["x"], "b": ["y", "z"]}
    assert m.nested_weights(dims) == pytest.approx({"x": 0.5, "y": 0.25, "z": 0.25})
    assert m.nested_weights(dims, {"a": 3, "b": 1}) == pytest.approx(
        {"x": 0.75, "y": 0.125, "z": 0.125}
    )
    with pytest.raises(m.MeasureInputError, match="positive"):
        m.nested_weights(dims, {"a": 0, "b": 1})
    schemes = m.weight_schemes(m.exit_standard(2016))
    # One indicator per dimension: equal by indicator = equal by dimension, so it is not repeated.
    assert list(schemes) == ["equal_dimensions", "income_half", "income_in_food_clothing"]
    # Income 1/2, four other dimensions 1/8 each; income folded into food and clothing: four
    # dimensions of 1/4, income and food/clothing 1/8 each.
    assert schemes["income_half"]["income_below_line"] == pytest.approx(0.5)
    assert schemes["income_half"]["housing_unsafe"] == pytest.approx(0.125)
    assert schemes["income_in_food_clothing"]["income_below_line"] == pytest.approx(0.125)
    assert schemes["income_in_food_clothing"]["housing_unsafe"] == pytest.approx(0.25)
    for w in schemes.values():
        assert sum(w.values()) == pytest.approx(1.0)
    nested = m.weight_schemes(
        m.IndicatorSpec(
            "t",
            (
                m.Indicator("x", "a", 0.5, ""),
                m.Indicator("y", "b", 0.25, ""),
                m.Indicator("z", "b", 0.25, ""),
            ),
        )
    )
    assert nested["equal_indicators"] == pytest.approx({"x": 1 / 3, "y": 1 / 3, "z": 1 / 3})


def test_rank_concordance_by_hand():
    # Reference (0.1, 0.2, 0.3, 0.3): ordered pairs are all 6 but (3, 4) -> 5.
    # Alternative (0.2, 0.1, 0.3, 0.4): pair (1, 2) flips; (1,3), (1,4), (2,3), (2,4) keep -> 4/5.
    # Kendall tau-b: concordant 4, discordant 1, ties only in the reference (pair 3-4):
    # (4 - 1) / sqrt((6 - 1) * 6) = 3 / sqrt(30) = 0.5477226.
    out = m.rank_concordance([0.1, 0.2, 0.3, 0.3], [0.2, 0.1, 0.3, 0.4])
    assert (out["pairs"], out["kept"]) == (5, 4)
    assert out["share_kept"] == pytest.approx(0.8)
    assert out["kendall_tau"] == pytest.approx(3 / math.sqrt(30))
    # A tie in the alternative does not keep an order.
    assert m.rank_concordance([1, 2], [1, 1])["share_kept"] == 0.0
    assert math.isnan(m.rank_concordance([1, 1], [1, 2])["share_kept"])


def test_mpi_robustness_grid_on_the_toy_villages():
    # Village M0 from the mpitb values above (2019 indicators): equal weights k = 0.2 -> (0.25,
    # 1/3); k = 0.34 -> (0.25, 0.25), a tie; income 1/2, k = 0.34 -> (0.35, 0.375).
    s19 = m.exit_standard(2019)
    schemes = {"equal": dict(s19), "income_half": m.weight_schemes(s19)["income_half"]}
    rob = m.mpi_robustness(EXIT_TOY, schemes, [0.2, 0.34], "v")
    assert rob.reference == ("equal", 0.2)
    assert rob.overall.loc[("equal", 0.34), "M0"] == pytest.approx(0.25)
    assert rob.by_group[("income_half", 0.34)].to_numpy() == pytest.approx([0.35, 0.375])
    # The one pair (v1 < v2 under the reference) keeps its order except where the villages tie.
    assert rob.concordance.loc[("equal", 0.2), "share_kept"] == 1.0
    assert rob.concordance.loc[("equal", 0.34), "share_kept"] == 0.0
    assert rob.concordance.loc[("income_half", 0.34), "share_kept"] == 1.0
    assert rob.robust_share == 0.0
    with pytest.raises(m.MeasureInputError, match="reference"):
        m.mpi_robustness(EXIT_TOY, schemes, [0.2], "v", reference=("equal", 0.5))


def test_relative_line_hand_examples():
    # Median of (1, 2, 3, 4, 100) is 3; half of it is 1.5.
    assert m.relative_line([1, 2, 3, 4, 100]) == pytest.approx(1.5)
    # Even count: median (2 + 3)/2 = 2.5; 40% of it is 1.0.
    assert m.relative_line([4, 1, 3, 2], share=0.4) == pytest.approx(1.0)
    # Weights (1, 1, 5) on (10, 20, 30): 5 of 7 units at 30 -> median 30.
    assert m.relative_line([10, 20, 30], weights=[1, 1, 5]) == pytest.approx(15.0)


def test_targeting_errors_hand_example():
    # Household sizes as weights. registered / poor / size:
    #   1: R, P, 4   2: R, not P, 2   3: not R, P, 5   4: not R, P, 1   5: not R, not P, 3
    # N(R & P) = 4, N(R & ~P) = 2, N(~R & P) = 6, N(~R & ~P) = 3.
    # Inclusion error = 2 / (4 + 2) = 1/3; exclusion error = 6 / (4 + 6) = 0.6.
    reg = [True, True, False, False, False]
    poor = [1, 0, 1, 1, 0]
    out = m.targeting_errors(reg, poor, weights=[4, 2, 5, 1, 3])
    assert out["inclusion_error"] == pytest.approx(1 / 3)
    assert out["exclusion_error"] == pytest.approx(0.6)
    assert out["confusion"].loc[True, True] == 4
    assert out["confusion"].loc[True, False] == 2
    assert out["confusion"].loc[False, True] == 6
    assert out["confusion"].loc[False, False] == 3
    assert (out["n_registered"], out["n_poor"], out["n_total"]) == (6, 10, 15)


def test_targeting_errors_degenerate_cases_are_nan():
    none_registered = m.targeting_errors([0, 0, 0], [1, 0, 1])
    assert math.isnan(none_registered["inclusion_error"])
    assert none_registered["exclusion_error"] == pytest.approx(1.0)
    none_poor = m.targeting_errors([1, 0, 1], [0, 0, 0])
    assert math.isnan(none_poor["exclusion_error"])
    assert none_poor["inclusion_error"] == pytest.approx(1.0)


def test_fgt_by_hand_example():
    # Group a: incomes 2, 8 (z = 10): P1 = (0.8 + 0.2)/2 = 0.5; group b: 12, 5: P1 = 0.25.
    # Population shares 1/2 each; contributions 0.25 and 0.125; total 0.375;
    # relative contributions 2/3 and 1/3.
    df = pd.DataFrame({"y": [2, 12, 8, 5], "g": ["a", "b", "a", "b"]})
    out = m.fgt_by(df, "y", 10, "g", alpha=1)
    assert list(out.index) == ["a", "b"]
    np.testing.assert_allclose(out["fgt"], [0.5, 0.25])
    np.testing.assert_allclose(out["pop_share"], [0.5, 0.5])
    np.testing.assert_allclose(out["contribution"], [0.25, 0.125])
    np.testing.assert_allclose(out["contribution_share"], [2 / 3, 1 / 3])
    assert out.attrs["total"] == pytest.approx(0.375)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------


def gini_pairwise(y: np.ndarray) -> float:
    """Reference: the textbook mean-difference formula, computed by brute force."""
    y = np.asarray(y, dtype=float)
    return np.abs(y[:, None] - y[None, :]).sum() / (2 * y.size**2 * y.mean())


@FAST
@given(incomes, lines, lines, st.sampled_from([0, 0.5, 1, 2, 3]))
def test_fgt_monotone_in_line(y, z1, z2, alpha):
    lo, hi = sorted((z1, z2))
    assert m.fgt(y, lo, alpha) <= m.fgt(y, hi, alpha) + 1e-12


@FAST
@given(incomes, lines)
def test_fgt_ordering_p0_p1_p2(y, z):
    p0, p1, p2 = (m.fgt(y, z, a) for a in (0, 1, 2))
    assert 0 <= p2 <= p1 + 1e-12
    assert p1 <= p0 + 1e-12
    assert p0 <= 1


@FAST
@given(
    st.lists(
        st.tuples(
            st.floats(0, 1e4, allow_nan=False),
            st.integers(0, 4),
            st.floats(0.1, 10, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
    ),
    lines,
    st.sampled_from([0, 1, 2]),
)
def test_fgt_by_contributions_sum_to_total(rows, z, alpha):
    df = pd.DataFrame(rows, columns=["y", "g", "w"])
    out = m.fgt_by(df, "y", z, "g", alpha=alpha, weights="w")
    total = m.fgt(df["y"], z, alpha, df["w"])
    assert out["contribution"].sum() == pytest.approx(total, abs=1e-12)
    assert out.attrs["total"] == pytest.approx(total, abs=1e-12)
    assert out["pop_share"].sum() == pytest.approx(1.0)
    if total > 0:
        assert out["contribution_share"].sum() == pytest.approx(1.0)
    # Each group's value is the FGT of that group alone.
    for key, sub in df.groupby("g"):
        assert out.loc[key, "fgt"] == pytest.approx(m.fgt(sub["y"], z, alpha, sub["w"]))


@FAST
@given(positive_incomes, lines, st.integers(2, 4))
def test_replication_invariance_fgt_gini(y, z, copies):
    rep = np.tile(y, copies)
    for a in (0, 1, 2):
        assert m.fgt(rep, z, a) == pytest.approx(m.fgt(y, z, a), abs=1e-12)
    assert m.gini(rep) == pytest.approx(m.gini(y), abs=1e-12)


@FAST
@given(
    st.lists(
        st.tuples(st.floats(0.01, 1e4, allow_nan=False), st.integers(0, 5)), min_size=1, max_size=30
    ),
    lines,
)
def test_integer_weights_equal_repeated_rows(rows, z):
    y = np.array([r[0] for r in rows])
    k = np.array([r[1] for r in rows])
    if k.sum() == 0:
        k[0] = 1
    rep = np.repeat(y, k)
    for a in (0, 1, 2):
        assert m.fgt(y, z, a, weights=k) == pytest.approx(m.fgt(rep, z, a), abs=1e-12)
    assert m.gini(y, weights=k) == pytest.approx(m.gini(rep), abs=1e-9)
    assert m.relative_line(y, weights=k) == pytest.approx(m.relative_line(rep))
    assert m.relative_line(rep) == pytest.approx(0.5 * np.median(rep))


@FAST
@given(positive_incomes, st.floats(0.01, 1e3, allow_nan=False))
def test_gini_bounds_scale_invariance_and_textbook_value(y, scale):
    g = m.gini(y)
    assert 0 <= g < 1
    assert m.gini(np.asarray(y) * scale) == pytest.approx(g, abs=1e-9)
    assert g == pytest.approx(gini_pairwise(np.asarray(y)), abs=1e-9)
    # Equal weights give the unweighted value.
    assert m.gini(y, weights=np.full(len(y), 2.5)) == pytest.approx(g, abs=1e-9)


deprivation_rows = st.lists(
    st.tuples(*[st.integers(0, 1)] * 4, st.integers(1, 4), st.integers(0, 2)),
    min_size=1,
    max_size=30,
)
weight_vectors = st.sampled_from(
    [
        {"a": 0.25, "b": 0.25, "c": 0.25, "d": 0.25},
        {"a": 0.5, "b": 1 / 6, "c": 1 / 6, "d": 1 / 6},
        {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4},
    ]
)
cutoffs = st.sampled_from([0.1, 0.25, 1 / 3, 0.5, 0.75, 1.0])


def deprivation_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["a", "b", "c", "d", "w", "g"])


@FAST
@given(deprivation_rows, weight_vectors, cutoffs)
def test_mpi_identities(rows, wts, k):
    df = deprivation_frame(rows)
    res = m.mpi(df, wts, k, weights=df["w"])
    if res.H > 0:
        assert res.M0 == pytest.approx(res.H * res.A, abs=1e-12)
        assert res.contribution.sum() == pytest.approx(1.0)
        assert 0 < res.A <= 1 + 1e-12
        assert res.A >= k - 1e-9
    else:
        assert res.M0 == 0 and math.isnan(res.A)
    # M0 is the weighted sum of censored headcounts; censoring never raises a headcount.
    assert (pd.Series(wts) * res.censored_headcount).sum() == pytest.approx(res.M0, abs=1e-12)
    assert (res.censored_headcount <= res.uncensored_headcount + 1e-12).all()


@FAST
@given(deprivation_rows, weight_vectors, cutoffs, st.integers(2, 3))
def test_mpi_replication_and_integer_weights(rows, wts, k, copies):
    df = deprivation_frame(rows)
    base = m.mpi(df, wts, k)
    rep = m.mpi(pd.concat([df] * copies, ignore_index=True), wts, k)
    assert (rep.H, rep.M0) == pytest.approx((base.H, base.M0), abs=1e-12)
    weighted = m.mpi(df, wts, k, weights=df["w"])
    expanded = m.mpi(df.loc[df.index.repeat(df["w"])], wts, k)
    assert (weighted.H, weighted.M0) == pytest.approx((expanded.H, expanded.M0), abs=1e-12)
    pd.testing.assert_series_equal(weighted.censored_headcount, expanded.censored_headcount)


@FAST
@given(deprivation_rows, weight_vectors, cutoffs)
def test_mpi_by_decomposition(rows, wts, k):
    df = deprivation_frame(rows)
    total = m.mpi(df, wts, k, weights="w")
    out = m.mpi_by(df, wts, k, by="g", weights="w")
    assert (out["pop_share"] * out["M0"]).sum() == pytest.approx(total.M0, abs=1e-12)
    assert out["contribution"].sum() == pytest.approx(total.M0, abs=1e-12)
    for key, sub in df.groupby("g"):
        assert out.loc[key, "M0"] == pytest.approx(m.mpi(sub, wts, k, weights=sub["w"]).M0)


def test_fgt_by_and_mpi_by_integer_codes_match_string_codes():
    rng = np.random.default_rng(7)
    n = 500
    df = pd.DataFrame(
        {"y": rng.lognormal(0, 1, n), "county": rng.integers(100, 140, n).astype(np.int16)}
    )
    df["county_s"] = "c" + df["county"].astype(str)
    a = m.fgt_by(df, "y", 1.0, "county", alpha=2)
    b = m.fgt_by(df, "y", 1.0, "county_s", alpha=2)
    np.testing.assert_allclose(a["fgt"].to_numpy(), b["fgt"].to_numpy())
    assert [f"c{c}" for c in a.index] == list(b.index)


# ---------------------------------------------------------------------------------------------
# Vulnerability: planted heteroskedastic model
# ---------------------------------------------------------------------------------------------


def test_vulnerability_recovers_true_probabilities():
    rng = np.random.default_rng(20020102)
    n = 20_000
    x = pd.DataFrame(
        {
            "hh_size": rng.integers(1, 8, n).astype(float),
            "head_schooling": rng.uniform(0, 12, n),
            "remote": rng.binomial(1, 0.4, n).astype(float),
        }
    )
    beta = np.array([8.6, -0.08, 0.05, -0.25])  # const, hh_size, schooling, remote
    theta = np.array([0.05, 0.01, 0.004, 0.12])  # variance of ln c, linear in X, always > 0
    xm = np.column_stack([np.ones(n), x.to_numpy()])
    mean, var = xm @ beta, xm @ theta
    log_c = mean + rng.normal(0, 1, n) * np.sqrt(var)
    line = 4000.0
    true_prob = stats.norm.cdf((np.log(line) - mean) / np.sqrt(var))

    res = m.vulnerability(np.exp(log_c), x, line)
    assert np.mean(np.abs(res.probability.to_numpy() - true_prob)) < 0.02
    np.testing.assert_allclose(res.beta.to_numpy(), beta, atol=0.02)
    np.testing.assert_allclose(res.theta.to_numpy(), theta, atol=0.02)
    assert res.share_vulnerable == pytest.approx(np.mean(true_prob >= 0.5), abs=0.02)
    # Higher threshold, fewer vulnerable.
    assert m.vulnerability(np.exp(log_c), x, line, threshold=0.8).share_vulnerable < (
        res.share_vulnerable
    )


def test_vulnerability_errors():
    x = pd.DataFrame({"z": [1.0, 2.0, 3.0, 4.0, 5.0]})
    c = [100.0, 200.0, 300.0, 400.0, 500.0]
    with pytest.raises(ValueError, match="consumption must be positive"):
        m.vulnerability([100.0, -1.0, 300.0, 400.0, 500.0], x, 250)
    with pytest.raises(ValueError, match="mismatched lengths"):
        m.vulnerability(c[:4], x, 250)
    with pytest.raises(ValueError, match="poverty line must be a positive"):
        m.vulnerability(c, x, 0)
    with pytest.raises(ValueError, match="NaN"):
        m.vulnerability([100.0, np.nan, 300.0, 400.0, 500.0], x, 250)
    with pytest.raises(ValueError, match="threshold"):
        m.vulnerability(c, x, 250, threshold=1.5)
    with pytest.raises(ValueError, match="negative weight"):
        m.vulnerability(c, x, 250, weights=[1, 1, -1, 1, 1])


# ---------------------------------------------------------------------------------------------
# Bootstrap
# ---------------------------------------------------------------------------------------------


def test_fgt_ci_matches_binomial_standard_error():
    # Headcount of iid data: SE = sqrt(p (1 - p) / n).
    rng = np.random.default_rng(11)
    n = 2000
    y = rng.lognormal(0, 1, n)
    p = m.fgt(y, 1.0)
    res = m.fgt_ci(y, 1.0, n_boot=800, seed=5)
    assert res.std_error == pytest.approx(math.sqrt(p * (1 - p) / n), rel=0.12)
    assert res.ci_low < p < res.ci_high
    assert res.estimate == pytest.approx(p)
    again = m.fgt_ci(y, 1.0, n_boot=800, seed=5)
    np.testing.assert_array_equal(res.replicates, again.replicates)


def test_cluster_bootstrap_reflects_planted_village_effect():
    # 60 villages of 20 households; a village shock makes poverty cluster. The SE of the
    # headcount is then the SD of village headcounts / sqrt(60) (equal cluster sizes), well
    # above the iid binomial SE. The cluster bootstrap should find the former.
    rng = np.random.default_rng(3)
    villages, size = 60, 20
    village = np.repeat(np.arange(villages), size)
    shock = rng.normal(0, 1.0, villages)[village]
    y = np.exp(shock + rng.normal(0, 0.5, villages * size))
    poor = y < 1.0
    village_rates = poor.reshape(villages, size).mean(axis=1)
    cluster_se = village_rates.std(ddof=1) / math.sqrt(villages)
    iid_se = math.sqrt(poor.mean() * (1 - poor.mean()) / poor.size)
    res = m.fgt_ci(y, 1.0, n_boot=1000, seed=9, cluster=village)
    assert res.std_error == pytest.approx(cluster_se, rel=0.15)
    assert res.std_error > 1.5 * iid_se


def test_generic_bootstrap_uses_same_draws_as_fgt_ci():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "y": rng.lognormal(0, 1, 240),
            "village": np.repeat(np.arange(24), 10),
            "county": np.repeat(np.arange(4), 60),
        }
    )
    generic = m.bootstrap(
        lambda d: m.fgt(d["y"], 1.0, 1), df, n_boot=50, seed=4, cluster="village", strata="county"
    )
    fast = m.fgt_ci(df["y"], 1.0, 1, n_boot=50, seed=4, cluster=df["village"], strata=df["county"])
    np.testing.assert_allclose(generic.replicates, fast.replicates)
    # Gini has no fast path: the generic bootstrap still gives a sensible interval.
    g = m.bootstrap(lambda d: m.gini(d["y"]), df, n_boot=100, seed=2, cluster="village")
    assert g.ci_low < m.gini(df["y"]) < g.ci_high


def test_mpi_ci_and_bootstrap_errors():
    rng = np.random.default_rng(12)
    n = 1000
    df = pd.DataFrame(rng.binomial(1, [0.3, 0.2, 0.4, 0.1], size=(n, 4)), columns=list("abcd"))
    wts = {"a": 0.25, "b": 0.25, "c": 0.25, "d": 0.25}
    res = m.mpi_ci(df, wts, 0.5, n_boot=400, seed=3)
    full = m.mpi(df, wts, 0.5)
    assert res.estimate == pytest.approx(full.M0)
    # M0 is the mean of censored scores c_i 1[poor_i]: iid SE = SD / sqrt(n).
    censored = np.where(full.is_poor, full.deprivation_score, 0.0)
    assert res.std_error == pytest.approx(censored.std(ddof=1) / math.sqrt(n), rel=0.15)
    with pytest.raises(ValueError, match="n_boot"):
        m.mpi_ci(df, wts, 0.5, n_boot=1, seed=3)
    with pytest.raises(ValueError, match="ci must be in"):
        m.fgt_ci([1, 2, 3], 2, n_boot=10, seed=1, ci=1.2)
    with pytest.raises(ValueError, match="not nested in strata"):
        m.fgt_ci([1, 2, 3, 4], 2, n_boot=10, seed=1, cluster=[0, 0, 1, 1], strata=[0, 1, 1, 1])


# ---------------------------------------------------------------------------------------------
# Errors: every kind, every function
# ---------------------------------------------------------------------------------------------

Y = [1.0, 2.0, 3.0, 4.0]


def call_with(fn_name: str, income, weights=None, line=2.5, **kw):
    if fn_name == "fgt":
        return m.fgt(income, line, 1, weights, **kw)
    if fn_name == "fgt_by":
        df = pd.DataFrame({"y": income, "g": [0, 0, 1, 1][: len(income)]})
        if weights is not None and len(weights) == len(income):
            df["w"] = weights
            weights = "w"
        return m.fgt_by(df, "y", line, "g", 1, weights, **kw)
    if fn_name == "relative_line":
        return m.relative_line(income, 0.5, weights, **kw)
    if fn_name == "gini":
        return m.gini(income, weights, **kw)
    if fn_name == "targeting_errors":
        flags = [0 if np.isnan(v) else 1 for v in income]
        reg = [np.nan if np.isnan(v) else f for v, f in zip(income, flags, strict=True)]
        return m.targeting_errors(reg, [1, 0, 1, 0][: len(income)], weights, **kw)
    raise AssertionError(fn_name)


UNIVARIATE = ["fgt", "fgt_by", "relative_line", "gini", "targeting_errors"]


@pytest.mark.parametrize("fn", UNIVARIATE)
def test_errors_negative_and_zero_weights(fn):
    with pytest.raises(ValueError, match=r"non-negative.*negative weight -1\.0 at position 2"):
        call_with(fn, Y, [1, 1, -1, 1])
    with pytest.raises(ValueError, match="weights are all zero"):
        call_with(fn, Y, [0, 0, 0, 0])


@pytest.mark.parametrize("fn", ["fgt", "relative_line", "gini", "targeting_errors"])
def test_errors_mismatched_lengths(fn):
    with pytest.raises(ValueError, match=r"mismatched lengths \(3 vs 4\)"):
        call_with(fn, Y, [1, 1, 1])


def test_errors_mismatched_lengths_grouped():
    df = pd.DataFrame({"y": Y, "g": [0, 0, 1, 1]})
    with pytest.raises(ValueError, match="mismatched lengths"):
        m.fgt_by(df, "y", 2.5, "g", weights=[1, 1, 1])
    with pytest.raises(ValueError, match="mismatched lengths"):
        m.targeting_errors([1, 0, 1], [1, 0])


@pytest.mark.parametrize("fn", UNIVARIATE)
def test_errors_nan_and_dropna(fn):
    with_nan = [1.0, np.nan, 3.0, 4.0]
    with pytest.raises(ValueError, match=r"1 NaN value\(s\).*dropna=True"):
        call_with(fn, with_nan)
    with pytest.raises(ValueError, match="weights has 1 NaN"):
        call_with(fn, Y, [1, np.nan, 1, 1])


def test_dropna_equals_measure_on_cleaned_data():
    y = [1.0, np.nan, 3.0, 4.0, 0.5]
    w = [1, 2, np.nan, 1, 3]
    clean_y, clean_w = [1.0, 4.0, 0.5], [1, 1, 3]
    assert m.fgt(y, 2, 1, w, dropna=True) == pytest.approx(m.fgt(clean_y, 2, 1, clean_w))
    assert m.gini(y, w, dropna=True) == pytest.approx(m.gini(clean_y, clean_w))
    assert m.relative_line(y, 0.5, w, dropna=True) == pytest.approx(
        m.relative_line(clean_y, 0.5, clean_w)
    )
    df = pd.DataFrame({"y": y, "w": w, "g": ["a", "a", "b", None, "b"]})
    out = m.fgt_by(df, "y", 2, "g", weights="w", dropna=True)
    # Kept rows: 0 (a) and 4 (b); row 3 has no group.
    assert out.attrs["total"] == pytest.approx(m.fgt([1.0, 0.5], 2, 0, [1, 3]))
    ind = pd.DataFrame({"a": [1, np.nan, 0, 1], "b": [1, 0, 0, np.nan]})
    res = m.mpi(ind, {"a": 0.5, "b": 0.5}, 0.5, dropna=True)
    assert res.H == pytest.approx(0.5)  # kept rows 0 (poor) and 2 (not poor)


@pytest.mark.parametrize("line", [0, -10, np.nan, np.inf])
def test_errors_non_positive_line(line):
    with pytest.raises(ValueError, match="poverty line must be a positive finite number"):
        m.fgt(Y, line)
    with pytest.raises(ValueError, match="poverty line must be a positive finite number"):
        m.fgt_by(pd.DataFrame({"y": Y, "g": [0, 0, 1, 1]}), "y", line, "g")
    with pytest.raises(ValueError, match="poverty line must be a positive finite number"):
        m.fgt_ci(Y, line, n_boot=10, seed=1)


def test_errors_other_parameters():
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        m.fgt(Y, 2, alpha=-1)
    with pytest.raises(ValueError, match="share must be a positive"):
        m.relative_line(Y, share=0)
    with pytest.raises(ValueError, match="median income is 0"):
        m.relative_line([0, 0, 0, 5])
    with pytest.raises(ValueError, match="non-negative incomes"):
        m.gini([1, -2, 3])
    with pytest.raises(ValueError, match="positive total income"):
        m.gini([0, 0])
    with pytest.raises(ValueError, match="non-finite value inf"):
        m.fgt([1, np.inf], 2)
    with pytest.raises(ValueError, match="by column 'county' is not in the DataFrame"):
        m.fgt_by(pd.DataFrame({"y": Y}), "y", 2, "county")
    with pytest.raises(ValueError, match=r"by \('g'\) has 1 missing"):
        m.fgt_by(pd.DataFrame({"y": Y, "g": ["a", None, "b", "b"]}), "y", 2, "g")
    with pytest.raises(ValueError, match="registered must be 0/1"):
        m.targeting_errors([1, 2, 0], [1, 0, 0])


def test_mpi_errors():
    df = af_deprivations()
    with pytest.raises(ValueError, match=r"sum to 1; they sum to 0\.75"):
        m.mpi(df, {"inc": 0.25, "edu": 0.25, "hlth": 0.25}, 0.5)
    with pytest.raises(ValueError, match=r"lacks the column\(s\).*\['income'\]"):
        m.mpi(df, {"income": 0.5, "edu": 0.5}, 0.5)
    with pytest.raises(ValueError, match=r"k must be in \(0, 1\]"):
        m.mpi(df, EQUAL4, 0)
    with pytest.raises(ValueError, match=r"k must be in \(0, 1\]"):
        m.mpi(df, EQUAL4, 1.5)
    with pytest.raises(ValueError, match=r"must hold only 0/1.*found 2 at row 1"):
        m.mpi(df.assign(inc=[0, 2, 1, 0]), EQUAL4, 0.5)
    with pytest.raises(ValueError, match=r"NaN in 1 row\(s\).*dropna=True"):
        m.mpi(df.astype(float).assign(edu=[0, np.nan, 1, 1]), EQUAL4, 0.5)
    with pytest.raises(ValueError, match="mismatched lengths"):
        m.mpi(df, EQUAL4, 0.5, weights=[1, 1, 1])
    with pytest.raises(ValueError, match="negative weight"):
        m.mpi(df, EQUAL4, 0.5, weights=[1, -1, 1, 1])
    with pytest.raises(ValueError, match="weights are all zero"):
        m.mpi_by(df.assign(g=1), EQUAL4, 0.5, by="g", weights=[0, 0, 0, 0])
    with pytest.raises(ValueError, match="dim_weights\\['edu'\\] must be positive"):
        m.mpi(df, {"inc": 1.25, "edu": -0.25}, 0.5)


def test_errors_are_cases_errors():
    with pytest.raises(m.MeasureInputError):
        m.fgt(Y, 0)
    assert issubclass(m.MeasureInputError, ValueError)


def test_mpi_without_profile_table_gives_hand_values(monkeypatch):
    # Force the per-indicator path used for more than 16 indicators; same AF (2011) matrix and
    # hand-computed values as test_mpi_alkire_foster_2011_matrix.
    monkeypatch.setattr(m, "MAX_PROFILE_INDICATORS", 0)
    res = m.mpi(af_deprivations(), EQUAL4, k=0.5)
    assert (res.H, res.A, res.M0) == pytest.approx((1 / 2, 3 / 4, 3 / 8))
    np.testing.assert_allclose(res.censored_headcount.to_numpy(), [1 / 4, 2 / 4, 1 / 4, 2 / 4])
    by = m.mpi_by(af_deprivations().assign(g=[0, 0, 1, 1]), EQUAL4, 0.5, "g")
    # Group 0: persons 1 (score 0) and 2 (0.5, poor) -> M0 = 0.25; group 1: persons 3 (1.0,
    # poor) and 4 (0.25) -> M0 = 0.5.
    np.testing.assert_allclose(by["M0"].to_numpy(), [0.25, 0.5])


def test_mpi_seventeen_indicators():
    # 17 equally weighted indicators (more than the profile table handles). Unit 1 is deprived
    # in 9 (score 9/17 = 0.529 >= 0.5: poor), unit 2 in 8 (0.471: not poor), unit 3 in all 17.
    # H = 2/3; M0 = (9/17 + 1)/3 = 26/51; A = (9/17 + 1)/2 = 13/17.
    names = [f"i{j}" for j in range(17)]
    rows = [[1] * 9 + [0] * 8, [1] * 8 + [0] * 9, [1] * 17]
    df = pd.DataFrame(rows, columns=names)
    res = m.mpi(df, dict.fromkeys(names, 1 / 17), 0.5)
    assert (res.H, res.A, res.M0) == pytest.approx((2 / 3, 13 / 17, 26 / 51))


def test_income_order_fast_path_for_float32_data():
    # Above 100,000 rows float32-exact incomes use the packed-key sort; the weighted median and
    # Gini must agree with the textbook definitions computed independently here.
    rng = np.random.default_rng(5)
    n = 150_000
    y = rng.lognormal(8, 0.7, n).astype(np.float32)
    y[:10] = -y[:10]  # negatives exercise the sign handling of the key (relative_line only)
    w = rng.integers(1, 6, n)
    rep = np.repeat(y.astype(np.float64), w)
    assert m.relative_line(y, 0.5, w) == pytest.approx(0.5 * np.median(rep), rel=1e-12)
    pos = np.abs(y)
    srt = np.sort(pos.astype(np.float64))
    ranks = np.arange(1, n + 1)
    textbook = np.sum((2 * ranks - n - 1) * srt) / (n * srt.sum())
    assert m.gini(pos) == pytest.approx(textbook, abs=1e-12)
    assert m.gini(pos, weights=np.ones(n)) == pytest.approx(textbook, abs=1e-9)


def test_indicator_spec_reweighted():
    spec = m.exit_standard(2016)
    heavy = spec.reweighted(m.weight_schemes(spec)["income_half"])
    assert list(heavy) == list(spec) and heavy.dimensions == spec.dimensions
    assert heavy["income_below_line"] == pytest.approx(0.5)
    assert heavy.union_cutoff == pytest.approx(0.125)
    with pytest.raises(m.MeasureInputError, match="exactly the indicators"):
        spec.reweighted({"income_below_line": 1.0})
    with pytest.raises(m.MeasureInputError, match="sum to"):
        spec.reweighted(dict.fromkeys(spec, 0.5))
