"""Tests for cases.design: analytic validations, stress tests with known bias, exact
reproducibility across executors, and input errors.

Expected values come from closed forms or reference packages (statsmodels' power functions,
scipy quadrature, the Goodman-Bacon decomposition of the expected outcomes), never from the code
under test; simulated diagnosands must fall within 3 Monte Carlo standard errors of them.
The design components are module-level functions so that worker processes can unpickle them.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import integrate, stats
from statsmodels.stats.power import TTestIndPower

from cases.design import (
    ANSWER_COLUMNS,
    Design,
    DesignError,
    Diagnosis,
    diagnosands,
    diagnose,
    draw,
    minimum_for_power,
    redesign,
    sims_for_mcse,
    simulate,
    tidy_estimate,
)
from cases.methods.panel import bacon_decomposition, staggered_did, twfe

Z3 = 3.0  # tolerance in Monte Carlo standard errors


def within_mcse(simulated: float, expected: float, mcse: float, k: float = Z3) -> bool:
    return abs(simulated - expected) <= k * mcse


# ------------------------------------------------------------------------------------------
# Two-arm trial, individually randomised
# ------------------------------------------------------------------------------------------
def two_arm_population(rng: np.random.Generator, n: int, effect: float) -> pd.DataFrame:
    """Potential outcomes Y0 ~ N(0, 1), Y1 = Y0 + effect (effect in SD units)."""
    y0 = rng.normal(size=n)
    return pd.DataFrame({"y0": y0, "y1": y0 + effect})


def ate(population: pd.DataFrame) -> dict[str, float]:
    return {"ate": float((population["y1"] - population["y0"]).mean())}


def complete_assignment(population: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Exactly half the units treated, at random; reveal the treated or control outcome."""
    n = len(population)
    z = rng.permutation(np.arange(n) < n // 2).astype(int)
    y = np.where(z == 1, population["y1"], population["y0"])
    return pd.DataFrame({"z": z, "y": y})


def student_t(sample: pd.DataFrame) -> list[dict]:
    """Difference in means with the pooled-variance two-sample t-test (scipy)."""
    treated, control = sample.loc[sample["z"] == 1, "y"], sample.loc[sample["z"] == 0, "y"]
    res = stats.ttest_ind(treated, control, equal_var=True)
    diff = float(treated.mean() - control.mean())
    se = diff / float(res.statistic)
    return [tidy_estimate("difference_in_means", "ate", diff, se, df=len(sample) - 2)]


def two_arm(n: int = 100, effect: float = 0.4) -> Design:
    return Design(
        functools.partial(two_arm_population, n=n, effect=effect),
        ate,
        complete_assignment,
        student_t,
        name="two_arm",
    )


@pytest.mark.parametrize("effect", [0.0, 0.2, 0.4, 0.6])
def test_power_of_two_sample_t_test_matches_statsmodels(effect: float) -> None:
    n_per_arm = 50
    result = diagnose(two_arm(2 * n_per_arm, effect), sims=1000, seed=20190601)
    row = result.iloc[0]
    if effect == 0.0:
        analytic = 0.05  # the size of the test
    else:
        analytic = TTestIndPower().power(effect_size=effect, nobs1=n_per_arm, alpha=0.05)
    mcse = np.sqrt(analytic * (1 - analytic) / 1000)
    assert row["sims"] == 1000 and row["n_missing"] == 0
    assert within_mcse(row["power"], analytic, mcse), (row["power"], analytic, mcse)
    assert within_mcse(row["bias"], 0.0, row["bias_mcse"])


# ------------------------------------------------------------------------------------------
# Cluster-randomised trial: villages assigned, households measured
# ------------------------------------------------------------------------------------------
def village_population(
    rng: np.random.Generator, n_villages: int, per_village: int, icc: float, effect: float
) -> pd.DataFrame:
    """Y0 = u_v + e_i with u_v ~ N(0, icc) and e_i ~ N(0, 1 - icc): total variance 1 and
    intracluster correlation icc; Y1 = Y0 + effect."""
    village = np.repeat(np.arange(n_villages), per_village)
    u = rng.normal(0, np.sqrt(icc), n_villages)[village]
    y0 = u + rng.normal(0, np.sqrt(1 - icc), len(village))
    return pd.DataFrame({"village": village, "y0": y0, "y1": y0 + effect})


def assign_villages(population: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Half the villages treated at random; every household of a village shares its arm."""
    villages = np.unique(population["village"])
    treated = rng.permutation(np.arange(len(villages)) < len(villages) // 2)
    z = treated[population["village"].to_numpy()].astype(int)
    y = np.where(z == 1, population["y1"], population["y0"])
    return pd.DataFrame({"village": population["village"], "z": z, "y": y})


def cluster_answers(sample: pd.DataFrame) -> list[dict]:
    """(a) the t-test on village means (the analysis at the level of assignment); (b) the
    household-level t-test that ignores clustering (invalid: below the level of assignment)."""
    village = sample["village"].to_numpy()
    y, z = sample["y"].to_numpy(), sample["z"].to_numpy()
    size = np.bincount(village)
    y_v, z_v = np.bincount(village, weights=y) / size, np.bincount(village, weights=z) / size
    rows = []
    for name, (yy, zz) in (("village_means_t", (y_v, z_v)), ("household_t_naive", (y, z))):
        treated, control = yy[zz == 1], yy[zz == 0]
        res = stats.ttest_ind(treated, control, equal_var=True)
        diff = float(treated.mean() - control.mean())
        rows.append(tidy_estimate(name, "ate", diff, diff / float(res.statistic), len(yy) - 2))
    return rows


def cluster_trial(n_villages: int, per_village: int, icc: float, effect: float) -> Design:
    model = functools.partial(
        village_population,
        n_villages=n_villages,
        per_village=per_village,
        icc=icc,
        effect=effect,
    )
    return Design(model, ate, assign_villages, cluster_answers, name="cluster_trial")


@pytest.mark.parametrize("effect", [0.3, 0.5])
def test_cluster_randomised_power_matches_design_effect_formula(effect: float) -> None:
    """Analytic power (Kerry and Bland 1998, BMJ 316:549, doi:10.1136/bmj.316.7130.549, and
    BMJ 316:1455, doi:10.1136/bmj.316.7142.1455): a village mean of m households has variance
    sigma_c^2 = icc + (1 - icc)/m = DE/m with DE = 1 + (m - 1) icc (total variance 1), so the
    t-test on J village means (J/2 per arm, df J - 2) has the power of a two-sample t-test with
    standardised effect effect/sigma_c and J/2 units per arm; equivalently an individually
    randomised trial with the effective sample size J m / DE. With equal village sizes and a
    normal outcome this is exact (noncentral t), which is why those parameters are used.
    The household-level t-test ignores the clustering: its standard error is about 1/sqrt(DE)
    of the true one, so its coverage is about 2 Phi(t_{0.975, n-2} / sqrt(DE)) - 1."""
    j, m, icc, sims = 30, 10, 0.1, 1000
    de = 1 + (m - 1) * icc
    sigma_c = np.sqrt(de / m)
    analytic = TTestIndPower().power(effect_size=effect / sigma_c, nobs1=j / 2, alpha=0.05)
    result = diagnose(cluster_trial(j, m, icc, effect), sims=sims, seed=316549)
    good = result.set_index("estimator").loc["village_means_t"]
    naive = result.set_index("estimator").loc["household_t_naive"]
    assert within_mcse(good["power"], analytic, np.sqrt(analytic * (1 - analytic) / sims))
    assert within_mcse(good["coverage"], 0.95, np.sqrt(0.95 * 0.05 / sims))
    assert within_mcse(good["bias"], 0.0, good["bias_mcse"])
    # Same point estimate (equal village sizes), so identical bias; invalid intervals.
    assert naive["bias"] == pytest.approx(good["bias"], abs=1e-12)
    naive_coverage = 2 * stats.norm.cdf(stats.t.ppf(0.975, j * m - 2) / np.sqrt(de)) - 1
    assert naive["coverage"] < 0.95 - Z3 * naive["coverage_mcse"]
    # the approximation ignores the sampling spread of the pooled SD: allow 0.02 besides MCSE
    assert abs(naive["coverage"] - naive_coverage) <= 0.02 + Z3 * naive["coverage_mcse"]


# ------------------------------------------------------------------------------------------
# Correctly specified OLS: coverage and bias
# ------------------------------------------------------------------------------------------
SLOPE, SIGMA, N_OLS = 0.7, 2.0, 40


def regression_population(rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=N_OLS)
    return pd.DataFrame({"x": x, "y": 1.0 + SLOPE * x + rng.normal(0, SIGMA, N_OLS)})


def slope(population: pd.DataFrame) -> dict[str, float]:
    return {"slope": SLOPE}


def observe_all(population: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return population


def ols_slope(sample: pd.DataFrame) -> list[dict]:
    fit = sm.OLS(sample["y"].to_numpy(), sm.add_constant(sample["x"].to_numpy())).fit()
    low, high = fit.conf_int(0.05)[1]
    return [
        {
            "estimator": "ols",
            "estimand": "slope",
            "estimate": fit.params[1],
            "std_error": fit.bse[1],
            "conf_low": low,
            "conf_high": high,
            "p_value": fit.pvalues[1],
        }
    ]


def test_correct_ols_interval_covers_95_percent_and_is_unbiased() -> None:
    """Normal errors, normal regressor: the 95 % t interval covers exactly 0.95, the slope is
    unbiased, and Var(b) = sigma^2 E[1/sum (x - xbar)^2] = sigma^2/(n - 3) (inverse chi-square
    with n - 1 degrees of freedom)."""
    sims = 1000
    design = Design(regression_population, slope, observe_all, ols_slope, name="ols")
    row = diagnose(design, sims=sims, seed=1998).iloc[0]
    assert within_mcse(row["coverage"], 0.95, np.sqrt(0.95 * 0.05 / sims))
    assert within_mcse(row["bias"], 0.0, row["bias_mcse"])
    assert within_mcse(row["sd_estimate"], SIGMA / np.sqrt(N_OLS - 3), row["sd_estimate_mcse"])


# ------------------------------------------------------------------------------------------
# Staggered adoption with growing effects: TWFE biased, Callaway-Sant'Anna not
# ------------------------------------------------------------------------------------------
YEARS = np.arange(1, 7)
ADOPTION = {3: 8, 4: 8, 5: 7, 0: 7}  # adoption year -> number of villages (0: never)


def growing_effect(event_time: np.ndarray, step: float) -> np.ndarray:
    """tau(e) = step * (1 + e) for e >= 0 (grows with years of exposure), else 0."""
    return np.where(event_time >= 0, step * (1.0 + event_time), 0.0)


def staggered_population(
    rng: np.random.Generator, households: int = 300, step: float = 0.5
) -> pd.DataFrame:
    """Households in 30 villages over six years; each village adopts in year 3, 4 or 5 or never
    (fixed counts, villages assigned at random); Y0 has household, village and year effects."""
    n_villages = sum(ADOPTION.values())
    per = households // n_villages
    cohort = rng.permutation(np.repeat(list(ADOPTION), list(ADOPTION.values())))
    village = np.repeat(np.arange(n_villages), per)
    hh = np.arange(len(village))
    t = np.tile(YEARS, len(hh))
    g = np.repeat(cohort[village], len(YEARS))
    vil = np.repeat(village, len(YEARS))
    y0 = (
        np.repeat(rng.normal(0, 1, len(hh)), len(YEARS))
        + rng.normal(0, 0.5, n_villages)[vil]
        + 0.2 * t
        + rng.normal(0, 1, len(t))
    )
    tau = np.where(g > 0, growing_effect(t - g, step), 0.0)
    return pd.DataFrame(
        {"hh": np.repeat(hh, len(YEARS)), "village": vil, "year": t, "g": g, "y0": y0, "tau": tau}
    )


def att_treated_cells(population: pd.DataFrame) -> dict[str, float]:
    """ATT over treated household-years: mean of tau where treated."""
    treated = (population["g"] > 0) & (population["year"] >= population["g"])
    return {"att": float(population.loc[treated, "tau"].mean())}


def observe_panel(population: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    d = ((population["g"] > 0) & (population["year"] >= population["g"])).astype(int)
    return population.assign(D=d, y=population["y0"] + population["tau"])


def twfe_and_cs(sample: pd.DataFrame) -> list[dict]:
    fe = twfe(sample, "y", "D", "hh", "year", cluster="village", backend="within")
    cs = staggered_did(sample, "y", "hh", "year", "g", cluster="village").simple.iloc[0]
    return [
        {
            "estimator": "twfe",
            "estimand": "att",
            "estimate": fe.coef,
            "std_error": fe.se,
            "conf_low": fe.ci_low,
            "conf_high": fe.ci_high,
            "p_value": fe.pvalue,
        },
        {
            "estimator": "callaway_santanna",
            "estimand": "att",
            "estimate": cs["att"],
            "std_error": cs["se"],
            "conf_low": cs["ci_low"],
            "conf_high": cs["ci_high"],
            "p_value": cs["pvalue"],
        },
    ]


def test_twfe_is_biased_under_growing_staggered_effects_and_callaway_santanna_is_not() -> None:
    """Goodman-Bacon (2021, J. Econometrics 225(2): 254-277, doi:10.1016/j.jeconom.2021.03.014):
    TWFE is a weighted sum of 2x2 DiDs; when effects grow, the "later vs earlier treated"
    comparisons subtract growing effects, so TWFE understates the ATT. TWFE is linear in y and
    the adoption counts are fixed, so E[b_TWFE] is the decomposition of the expected outcomes
    (tau alone: household, village and year effects are absorbed by the fixed effects)."""
    sims = 150
    design = Design(staggered_population, att_treated_cells, observe_panel, twfe_and_cs)
    result = diagnose(design, sims=sims, seed=2021).set_index("estimator")
    fe, cs = result.loc["twfe"], result.loc["callaway_santanna"]

    # analytic: the expected-outcome panel for one adoption pattern, decomposed
    households = 300
    expected = staggered_population(np.random.default_rng(0), households)
    expected = observe_panel(expected, np.random.default_rng(0))
    expected["ey"] = expected["tau"]
    bacon = bacon_decomposition(expected, "ey", "D", "hh", "year")
    twfe_expected = float((bacon.table["weight"] * bacon.table["estimate"]).sum())
    att = att_treated_cells(expected)["att"]
    assert twfe_expected == pytest.approx(bacon.twfe, abs=1e-9)

    assert fe["mean_estimand"] == pytest.approx(att, abs=1e-12)  # fixed adoption counts
    assert abs(fe["bias"]) > Z3 * fe["bias_mcse"]  # clearly biased
    assert fe["bias"] < 0  # growing effects: TWFE understates the ATT
    assert within_mcse(fe["mean_estimate"], twfe_expected, fe["mean_estimate_mcse"])
    assert within_mcse(fe["bias"], twfe_expected - att, fe["bias_mcse"])
    assert within_mcse(cs["bias"], 0.0, cs["bias_mcse"])


# ------------------------------------------------------------------------------------------
# Self-selection into a project: the naive comparison is biased, randomisation is not
# ------------------------------------------------------------------------------------------
SELECTION = 1.5  # log-odds of joining fall by 1.5 per SD of baseline income
PROJECT_EFFECT = 0.3


def join_probability(y0: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(SELECTION * y0))


def project_population(rng: np.random.Generator, n: int = 400) -> pd.DataFrame:
    y0 = rng.normal(size=n)
    return pd.DataFrame({"y0": y0, "y1": y0 + PROJECT_EFFECT})


def self_selection(population: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Poorer households (low Y0) are more likely to join the project."""
    z = (rng.random(len(population)) < join_probability(population["y0"].to_numpy())).astype(int)
    return pd.DataFrame({"z": z, "y": np.where(z == 1, population["y1"], population["y0"])})


def welch(sample: pd.DataFrame) -> list[dict]:
    treated, control = sample.loc[sample["z"] == 1, "y"], sample.loc[sample["z"] == 0, "y"]
    diff = float(treated.mean() - control.mean())
    se = float(np.sqrt(treated.var() / len(treated) + control.var() / len(control)))
    return [tidy_estimate("difference_in_means", "ate", diff, se)]


def project_design(assignment: str) -> Design:
    data = self_selection if assignment == "self" else complete_assignment
    return Design(project_population, ate, data, welch, name=f"project_{assignment}")


def test_naive_comparison_under_self_selection_is_biased_randomisation_is_not() -> None:
    """Selection bias = E[Y0 | joined] - E[Y0 | not joined] with Y0 ~ N(0, 1) and
    P(join | Y0) = 1/(1 + exp(1.5 Y0)), by quadrature."""
    phi = stats.norm.pdf
    p_join = integrate.quad(lambda y: join_probability(y) * phi(y), -12, 12)[0]
    m_join = integrate.quad(lambda y: y * join_probability(y) * phi(y), -12, 12)[0] / p_join
    m_stay = integrate.quad(lambda y: y * (1 - join_probability(y)) * phi(y), -12, 12)[0] / (
        1 - p_join
    )
    analytic_bias = m_join - m_stay
    result = redesign(project_design, assignment=["self", "random"], sims=500, seed=7)
    selected = result.set_index("assignment").loc["self"]
    randomised = result.set_index("assignment").loc["random"]
    assert abs(selected["bias"]) > Z3 * selected["bias_mcse"]
    assert within_mcse(selected["bias"], analytic_bias, selected["bias_mcse"])
    assert selected["coverage"] < 0.5  # the interval is centred on the wrong value
    assert within_mcse(randomised["bias"], 0.0, randomised["bias_mcse"])
    assert within_mcse(randomised["coverage"], 0.95, np.sqrt(0.95 * 0.05 / 500))


# ------------------------------------------------------------------------------------------
# Redesign and minimum sample for 80 % power
# ------------------------------------------------------------------------------------------
def test_minimum_sample_for_80_percent_power_matches_statsmodels() -> None:
    effect, sims = 0.5, 800
    grid = [100, 150, 200]  # total households, half per arm
    curve = redesign(two_arm, n=grid, effect=effect, sims=sims, seed=64)
    assert list(curve["n"]) == grid and (curve["effect"] == effect).all()
    for row in curve.itertuples():
        analytic = TTestIndPower().power(effect_size=effect, nobs1=row.n // 2, alpha=0.05)
        assert within_mcse(row.power, analytic, np.sqrt(analytic * (1 - analytic) / sims))
    n1 = TTestIndPower().solve_power(effect_size=effect, power=0.8, alpha=0.05)  # 63.8 per arm
    smallest_analytic = min(n for n in grid if n / 2 >= n1)
    found = minimum_for_power(curve, "n").iloc[0]
    assert found["reached"] and found["value"] == smallest_analytic
    assert found["power"] == curve.loc[curve["n"] == smallest_analytic, "power"].item()
    assert 100 < found["interpolated"] <= 150


def test_minimum_for_power_reads_a_hand_made_curve() -> None:
    curve = pd.DataFrame(
        {
            "villages": [10, 20, 30, 10, 20, 30],
            "effect": [0.2, 0.2, 0.2, 0.4, 0.4, 0.4],
            "estimator": ["dim"] * 6,
            "estimand": ["ate"] * 6,
            "power": [0.3, 0.5, 0.7, 0.6, 0.9, 0.99],
            "power_mcse": [0.01] * 6,
        }
    )
    out = minimum_for_power(curve, "villages").set_index("effect")
    assert not out.loc[0.2, "reached"] and np.isnan(out.loc[0.2, "value"])
    assert out.loc[0.4, "value"] == 20 and out.loc[0.4, "robust"]
    assert out.loc[0.4, "interpolated"] == pytest.approx(10 + 10 * (0.8 - 0.6) / (0.9 - 0.6))


# ------------------------------------------------------------------------------------------
# Monte Carlo standard errors: the published formulas on a hand-made table
# ------------------------------------------------------------------------------------------
def test_diagnosands_and_mcse_follow_morris_white_crowther_formulas() -> None:
    rng = np.random.default_rng(3)
    s = 400
    est = rng.normal(1.1, 0.5, s)
    se = np.abs(rng.normal(0.5, 0.05, s))
    table = pd.DataFrame(
        {
            "sim": np.arange(s),
            "estimator": "e",
            "estimand": "theta",
            "estimate": est,
            "std_error": se,
            "conf_low": est - 1.96 * se,
            "conf_high": est + 1.96 * se,
            "p_value": 2 * stats.norm.sf(np.abs(est / se)),
            "estimand_value": 1.0,
        }
    )
    row = diagnosands(table).iloc[0]
    err = est - 1.0
    cover = np.mean(np.abs(err) <= 1.96 * se)
    power = np.mean(2 * stats.norm.sf(np.abs(est / se)) < 0.05)
    rmse = np.sqrt(np.mean(err**2))
    assert row["bias"] == pytest.approx(err.mean())
    assert row["bias_mcse"] == pytest.approx(np.sqrt(np.sum((err - err.mean()) ** 2) / (s - 1) / s))
    assert row["rmse"] == pytest.approx(rmse)
    mse_mcse = np.sqrt(np.sum((err**2 - np.mean(err**2)) ** 2) / (s * (s - 1)))
    assert row["rmse_mcse"] == pytest.approx(mse_mcse / (2 * rmse))
    assert row["coverage"] == pytest.approx(cover)
    assert row["coverage_mcse"] == pytest.approx(np.sqrt(cover * (1 - cover) / s))
    assert row["power"] == pytest.approx(power)
    assert row["power_mcse"] == pytest.approx(np.sqrt(power * (1 - power) / s))
    assert row["sd_estimate_mcse"] == pytest.approx(np.std(est, ddof=1) / np.sqrt(2 * (s - 1)))
    assert row["mean_se"] == pytest.approx(se.mean())


# ------------------------------------------------------------------------------------------
# Reproducibility: identical simulations for any executor
# ------------------------------------------------------------------------------------------
def test_identical_diagnosis_for_jobs_1_jobs_2_and_dask() -> None:
    design = two_arm(60, 0.3)
    one = diagnose(design, sims=120, seed=11, return_sims=True)
    two = diagnose(design, sims=120, seed=11, jobs=2, return_sims=True)
    dask = diagnose(design, sims=120, seed=11, jobs=2, executor="dask", return_sims=True)
    assert isinstance(one, Diagnosis)
    assert list(one.simulations["sim"]) == list(range(120))
    for other in (two, dask):
        pd.testing.assert_frame_equal(one.simulations, other.simulations, check_exact=True)
        pd.testing.assert_frame_equal(one.diagnosands, other.diagnosands, check_exact=True)
    # a different seed gives a different table; the same seed the same as a SeedSequence
    other_seed = simulate(design, sims=120, seed=12)
    assert not other_seed["estimate"].equals(one.simulations["estimate"])
    as_sequence = simulate(design, sims=120, seed=np.random.SeedSequence(11))
    pd.testing.assert_frame_equal(as_sequence, one.simulations, check_exact=True)


def test_first_simulations_do_not_depend_on_the_number_of_simulations() -> None:
    design = two_arm(40, 0.3)
    short = simulate(design, sims=10, seed=5)
    long = simulate(design, sims=30, seed=5, jobs=2)
    pd.testing.assert_frame_equal(short, long.iloc[:10], check_exact=True)


# ------------------------------------------------------------------------------------------
# Bad inputs
# ------------------------------------------------------------------------------------------
def nan_when_flagged(sample: pd.DataFrame) -> list[dict]:
    rows = student_t(sample)
    if sample["y"].iloc[0] > 1.0:  # about one simulation in six: no estimate
        rows[0].update(estimate=float("nan"), std_error=float("nan"), p_value=float("nan"))
    return rows


def without_p_value(sample: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(student_t(sample)).drop(columns=["p_value", "conf_high"])


def unknown_estimand(sample: pd.DataFrame) -> list[dict]:
    return [{**student_t(sample)[0], "estimand": "att"}]


def duplicated_rows(sample: pd.DataFrame) -> list[dict]:
    return student_t(sample) * 2


def failing_model(rng: np.random.Generator) -> pd.DataFrame:
    raise ValueError("no such village")


def with_answer(answer) -> Design:  # type: ignore[no-untyped-def]
    return Design(
        functools.partial(two_arm_population, n=20, effect=0.2),
        ate,
        complete_assignment,
        answer,
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sims": 0}, "sims must be an integer >= 1, got 0"),
        ({"sims": 2.5}, "sims must be an integer >= 1"),
        ({"jobs": 0}, "jobs must be an integer >= 1, got 0"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"executor": "threads"}, "executor must be 'process' or 'dask'"),
        ({"alpha": 1.5}, "alpha must be between 0 and 1"),
    ],
)
def test_bad_run_arguments_are_refused(kwargs: dict, message: str) -> None:
    args = {"sims": 10, "seed": 1, **kwargs}
    with pytest.raises(DesignError, match=message):
        diagnose(two_arm(20, 0.2), **args)


def test_bad_designs_give_clear_errors() -> None:
    with pytest.raises(DesignError, match="model must be callable, got int"):
        Design(3, ate, complete_assignment, student_t)  # type: ignore[arg-type]
    with pytest.raises(DesignError, match=r"lacks column\(s\) \['conf_high', 'p_value'\]"):
        diagnose(with_answer(without_p_value), sims=2, seed=1)
    with pytest.raises(DesignError, match=r"estimand 'att'.*inquiry gives \['ate'\]"):
        diagnose(with_answer(unknown_estimand), sims=2, seed=1)
    with pytest.raises(DesignError, match="more than one row for estimator"):
        diagnose(with_answer(duplicated_rows), sims=2, seed=1)
    broken = Design(failing_model, ate, complete_assignment, student_t)
    with pytest.raises(DesignError, match="simulation 0: model raised ValueError: no such village"):
        diagnose(broken, sims=3, seed=1)
    with pytest.raises(DesignError, match="simulation 0: model raised ValueError: no such village"):
        diagnose(broken, sims=3, seed=1, jobs=2)  # sent back from a worker process intact
    local = Design(
        lambda rng: two_arm_population(rng, 10, 0.1), ate, complete_assignment, student_t
    )
    with pytest.raises(DesignError, match="model cannot be sent to worker processes"):
        diagnose(local, sims=4, seed=1, jobs=2)
    assert len(diagnose(local, sims=4, seed=1)) == 1  # fine in one process


def test_nan_estimates_are_counted_and_reported_not_dropped_silently() -> None:
    with pytest.warns(RuntimeWarning, match=r"gave no finite estimate"):
        out = diagnose(with_answer(nan_when_flagged), sims=200, seed=3, return_sims=True)
    table, row = out.simulations, out.diagnosands.iloc[0]
    n_nan = int(table["estimate"].isna().sum())
    assert 0 < n_nan < 200
    assert row["sims"] == 200 and row["n_missing"] == n_nan and row["n_estimates"] == 200 - n_nan
    finite = table.dropna(subset=["estimate"])
    assert row["bias"] == pytest.approx((finite["estimate"] - finite["estimand_value"]).mean())
    assert set(ANSWER_COLUMNS) <= set(table.columns)


def test_bad_redesign_grids_are_refused() -> None:
    with pytest.raises(DesignError, match="at least one grid parameter"):
        redesign(two_arm, sims=5, seed=1)
    with pytest.raises(DesignError, match="grid parameter 'n' has no values"):
        redesign(two_arm, n=[], sims=5, seed=1)
    with pytest.raises(DesignError, match=r"returned str, not a Design"):
        redesign(lambda n: "design", n=[10], sims=5, seed=1)
    with pytest.raises(DesignError, match=r"design_factory\(\{'size': 10\}\) raised TypeError"):
        redesign(two_arm, size=[10], sims=5, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curve = redesign(two_arm, n=40, effect=pd.Series([0.1, 0.2]), sims=5, seed=1)
    assert list(curve["n"]) == [40, 40] and list(curve["effect"]) == [0.1, 0.2]


def student_t_frame(sample: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(student_t(sample))


def student_t_mapping(sample: pd.DataFrame) -> dict:
    return student_t(sample)[0]


def test_answer_as_data_frame_mapping_or_list_gives_the_same_diagnosis() -> None:
    tables = [
        simulate(with_answer(answer), sims=30, seed=9)
        for answer in (student_t, student_t_frame, student_t_mapping)
    ]
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other, check_exact=True)


def test_redesign_on_a_running_dask_scheduler_equals_the_serial_run() -> None:
    from dask.distributed import LocalCluster

    serial = redesign(two_arm, n=[20, 40], effect=0.3, sims=40, seed=4, return_sims=True)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        remote = redesign(
            two_arm,
            n=[20, 40],
            effect=0.3,
            sims=40,
            seed=4,
            executor="dask",
            scheduler=cluster.scheduler_address,
            return_sims=True,
        )
    pd.testing.assert_frame_equal(serial.simulations, remote.simulations, check_exact=True)
    pd.testing.assert_frame_equal(serial.diagnosands, remote.diagnosands, check_exact=True)
    assert list(serial.simulations.columns[:2]) == ["n", "effect"]
    assert serial.simulations.groupby("n")["sim"].nunique().tolist() == [40, 40]


def test_draw_keeps_one_simulation_whole_with_the_same_streams() -> None:
    design = two_arm(30, 0.4)
    table = simulate(design, sims=6, seed=21, jobs=2)
    one = draw(design, seed=21, sim=4)
    pd.testing.assert_frame_equal(
        one.answers, table.loc[table["sim"] == 4].reset_index(drop=True), check_exact=True
    )
    assert len(one.population) == 30 and set(one.sample.columns) == {"z", "y"}
    assert one.estimands == pytest.approx({"ate": 0.4})
    # the answer is recomputable from the kept sample by the reference t-test
    treated, control = (
        one.sample.loc[one.sample["z"] == 1, "y"],
        one.sample["y"][one.sample["z"] == 0],
    )
    assert one.answers["estimate"].item() == pytest.approx(treated.mean() - control.mean())
    with pytest.raises(DesignError, match="sim must be a non-negative integer, got -1"):
        draw(design, seed=21, sim=-1)


def uniform_world(rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({"u": rng.random(3)})


def uniform_sample(population: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return population.assign(v=rng.random(3))


def first_draws(sample: pd.DataFrame) -> list[dict]:
    return [
        tidy_estimate("model_draw", "zero", sample["u"].iloc[0], 1.0),
        tidy_estimate("data_draw", "zero", sample["v"].iloc[0], 1.0),
    ]


def zero(population: pd.DataFrame) -> dict[str, float]:
    return {"zero": 0.0}


def test_streams_are_the_documented_seed_sequence_children() -> None:
    """Simulation i: model generator from SeedSequence(seed).spawn(sims)[i].spawn(2)[0], data
    strategy generator from its [1], as the module docstring states."""
    table = simulate(Design(uniform_world, zero, uniform_sample, first_draws), sims=5, seed=99)
    children = np.random.SeedSequence(99).spawn(5)
    for i, child in enumerate(children):
        model_ss, data_ss = child.spawn(2)
        got = table.loc[table["sim"] == i].set_index("estimator")["estimate"]
        assert got["model_draw"] == np.random.default_rng(model_ss).random(3)[0]
        assert got["data_draw"] == np.random.default_rng(data_ss).random(3)[0]


@pytest.mark.parametrize(("mcse", "share", "expected"), [(0.015, 0.5, 1112), (0.015, 0.8, 712)])
def test_sims_for_mcse_is_the_smallest_count_meeting_the_bound(mcse, share, expected) -> None:
    n = sims_for_mcse(mcse, share)
    assert n == expected
    assert np.sqrt(share * (1 - share) / n) <= mcse < np.sqrt(share * (1 - share) / (n - 1))
    with pytest.raises(DesignError, match="mcse must be positive"):
        sims_for_mcse(0.0)


@pytest.mark.parametrize("alternative", ["less", "greater"])
def test_one_sided_tidy_estimate_matches_student_t(alternative: str) -> None:
    # H0 against null 0.25: p is the lower (less) or upper (greater) tail of t(df) at
    # t = (estimate - 0.25) / se, and the bound is the matching one-sided 95 % limit.
    from cases.design import tidy_estimate

    row = tidy_estimate("e", "x", 0.1, 0.05, df=14, null=0.25, alternative=alternative)
    t = (0.1 - 0.25) / 0.05
    q = stats.t.ppf(0.95, 14)
    if alternative == "less":
        assert row["p_value"] == pytest.approx(stats.t.cdf(t, 14), rel=1e-12)
        assert row["conf_low"] == -np.inf
        assert row["conf_high"] == pytest.approx(0.1 + q * 0.05, rel=1e-12)
    else:
        assert row["p_value"] == pytest.approx(stats.t.sf(t, 14), rel=1e-12)
        assert row["conf_high"] == np.inf
        assert row["conf_low"] == pytest.approx(0.1 - q * 0.05, rel=1e-12)
    two = tidy_estimate("e", "x", 0.1, 0.05, df=14, null=0.25)
    assert two["p_value"] == pytest.approx(2 * stats.t.sf(abs(t), 14), rel=1e-12)
