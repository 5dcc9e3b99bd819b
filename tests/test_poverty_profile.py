"""Tests of cases.pages.poverty_profile: hand-computed toy profiles, planted-effect recovery on the
simulated cases, the simulation page, the text templates (text/poverty_profile.md and
text/simulation.md) rendered for every case, the settings file, and a papermill smoke run of
both templates."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cases.core import files, paths
from cases.core.errors import DataValidationError, ParameterError
from cases.pages import poverty_profile as pp
from cases.simulate import synth

ROLE = re.compile(r"\{glue:text\}`poverty_([a-z0-9_]+)(?::[^`]*)?`")

# Six households in two villages, copied five times into ten villages (the fewest the
# clustered-inference rule accepts): copies leave every share, median and index unchanged, so the
# comments below reason on the six. Incomes (yuan per person per year) and indicators chosen so
# that everything can be computed by hand (see the comments in the tests).
TOY_INCOME = [500.0, 1000.0, 1500.0, 2000.0, 3000.0, 4000.0]
TOY_INDICATORS = {
    #                        hh1 hh2 hh3 hh4 hh5 hh6
    "income_below_line": [1, 1, 1, 0, 0, 0],
    "food_clothing_insecure": [0, 1, 0, 0, 0, 0],
    "education_not_guaranteed": [0, 0, 0, 0, 0, 0],
    "medical_not_guaranteed": [0, 0, 0, 0, 0, 0],
    "housing_unsafe": [1, 0, 0, 0, 0, 0],
    "drinking_water_unsafe": [0, 0, 0, 0, 1, 0],
}


TOY_COPIES = 5


def toy_h_county(sizes: list[int] | None = None, copies: int = TOY_COPIES) -> synth.SimulatedData:
    """An h_county-shaped data set (own data, not simulated) with the six toy households,
    ``copies`` times (copy c: households 6c+1..6c+6 in villages 2c+1 and 2c+2)."""
    n = 6 * copies
    ids = np.arange(1, n + 1)
    villages = [2 * c + v for c in range(copies) for v in (1, 1, 1, 2, 2, 2)]
    households = pd.DataFrame(
        {
            "household_id": ids,
            "village_id": villages,
            "household_size": (sizes or [1] * 6) * copies,
            "official_connection": [0] * n,
            "registered_poor": [1, 1, 0, 0, 1, 0] * copies,
            **{k: v * copies for k, v in TOY_INDICATORS.items()},
        }
    )
    panel = pd.DataFrame(
        {
            "household_id": ids,
            "village_id": villages,
            "year": [2016] * n,
            "first_treated": [0] * n,
            "project_participant": [0] * n,
            "income_per_capita": TOY_INCOME * copies,
        }
    )
    return synth.SimulatedData(
        tables={"households": households, "panel": panel},
        meta={"case": "h_county", "simulated": False},
    )


def toy_profile(**kwargs) -> pp.PovertyProfile:
    args = {"seed": 7, "poverty_line": 2000.0, "mpi_k": 0.2, "data_dir": "toy"}
    args.update(kwargs)
    return pp.poverty_profile(toy_h_county(), "h_county", **args)


def test_fgt_at_a_given_line_by_hand():
    prof = toy_profile()
    # z = 2000: poor are 500, 1000, 1500 (2000 sits on the line and is not poor).
    # P0 = 3/6; gaps (z - y)/z = 0.75, 0.5, 0.25 -> P1 = 1.5/6 = 0.25;
    # P2 = (0.5625 + 0.25 + 0.0625)/6 = 0.875/6.
    assert prof.estimate("nat", 0)["estimate"] == pytest.approx(0.5)
    assert prof.estimate("nat", 1)["estimate"] == pytest.approx(0.25)
    assert prof.estimate("nat", 2)["estimate"] == pytest.approx(0.875 / 6)
    assert prof.headline.basis == "given" and prof.headline.value == 2000.0
    assert prof.numbers["nat_p0"] == pytest.approx(0.5)
    for _, row in prof.fgt.iterrows():
        assert row["se"] >= 0 and row["ci_low"] <= row["ci_high"]


def test_relative_lines_by_hand():
    prof = toy_profile()
    # Median of the six incomes = (1500 + 2000)/2 = 1750; lines 700, 875, 1050.
    lines = {ln.key: ln.value for ln in prof.lines if ln.kind == "relative"}
    assert lines == pytest.approx({"rel40": 700.0, "rel50": 875.0, "rel60": 1050.0})
    # Below 700 and 875: only 500 -> 1/6; below 1050: 500 and 1000 -> 2/6.
    assert prof.estimate("rel40", 0)["estimate"] == pytest.approx(1 / 6)
    assert prof.estimate("rel50", 0)["estimate"] == pytest.approx(1 / 6)
    assert prof.estimate("rel60", 0)["estimate"] == pytest.approx(2 / 6)
    # P1 at 875: (875 - 500)/875 / 6.
    assert prof.estimate("rel50", 1)["estimate"] == pytest.approx(375 / 875 / 6)


def test_weighting_by_persons_by_hand():
    data = toy_h_county(sizes=[4, 3, 1, 1, 1, 2])
    prof = pp.poverty_profile(data, "h_county", seed=7, poverty_line=2000.0, weight_by_persons=True)
    # Persons below 2000: 4 + 3 + 1 = 8 of 12.
    assert prof.estimate("nat", 0)["estimate"] == pytest.approx(8 / 12)
    assert prof.facts["weight_by_persons"] is True


def test_decomposition_by_registration_by_hand():
    dec = toy_profile().decomposition.set_index("group")
    # Registered: 500, 1000, 3000 -> P0 2/3; not registered: 1500, 2000, 4000 -> P0 1/3.
    assert dec.loc["registered poor", "p0"] == pytest.approx(2 / 3)
    assert dec.loc["not registered", "p0"] == pytest.approx(1 / 3)
    # Each group is half the households, so the registered hold 0.5 * 2/3 / 0.5 = 2/3 of the poor.
    assert dec.loc["registered poor", "p0_contribution_share"] == pytest.approx(2 / 3)
    assert dec["p0_contribution_share"].sum() == pytest.approx(1.0)


def test_mpi_by_hand():
    mpi = toy_profile(mpi_k=1 / 3).mpi
    # H County's indicators are recorded in 2016, before drinking water entered the checks, so
    # the index has five dimensions (income, food/clothing, education, medical, housing) of
    # weight 1/5 and hh5's water deprivation does not count. Scores: hh1 income + housing =
    # 0.4, hh2 income + food = 0.4, hh3 income = 0.2, hh4 0, hh5 0, hh6 0. With k = 1/3 the poor
    # are hh1 and hh2: H = 2/6, A = 0.4, M0 = 0.8/6. Union rule (k = 0.2) adds hh3: 3/6.
    assert list(mpi.spec) == [
        "income_below_line",
        "food_clothing_insecure",
        "education_not_guaranteed",
        "medical_not_guaranteed",
        "housing_unsafe",
    ]
    assert mpi.result.H == pytest.approx(2 / 6)
    assert mpi.result.A == pytest.approx(0.4)
    assert mpi.result.M0 == pytest.approx(0.8 / 6)
    assert mpi.union_headcount == pytest.approx(3 / 6)
    # Censored headcounts: income 2/6, food 1/6, housing 1/6. Contributions w h / M0:
    # income 0.2 * 2/6 / (0.8/6) = 0.5, food and housing 0.25 each.
    expected = {
        "income_below_line": 0.5,
        "food_clothing_insecure": 0.25,
        "education_not_guaranteed": 0.0,
        "medical_not_guaranteed": 0.0,
        "housing_unsafe": 0.25,
    }
    for name, value in expected.items():
        assert mpi.result.contribution[name] == pytest.approx(value)
    # By registration: registered hh1, hh2, hh5 -> M0 = (0.4 + 0.4)/3; the others none.
    by = mpi.by_group
    assert by.loc["registered poor", "M0"] == pytest.approx(0.8 / 3)
    assert by.loc["not registered", "M0"] == pytest.approx(0.0)
    # Robustness grid: k in (0.2, 1/3, 0.5) x three weight vectors. Income 1/2 (others 1/8),
    # k = 0.5: hh1 0.5 + 0.125, hh2 0.5 + 0.125, hh3 0.5 -> all three poor: H = 3/6,
    # M0 = 1.75/6. Income within food and clothing (income, food 1/8; education, medical,
    # housing 1/4), k = 0.5: hh1 0.375, hh2 0.25, hh3 0.125 -> nobody poor.
    rob = mpi.robustness
    assert rob.overall.loc[("income_half", 0.5), "H"] == pytest.approx(0.5)
    assert rob.overall.loc[("income_half", 0.5), "M0"] == pytest.approx(1.75 / 6)
    assert rob.overall.loc[("income_in_food_clothing", 0.5), "M0"] == 0.0
    # Villages: v1 = hh1-3 has M0 > 0 under the page's k, v2 = hh4-6 has 0: one ordered pair,
    # tied (0 = 0) under "income within food and clothing" at k = 0.5, so not robust everywhere.
    vil = mpi.village_robustness
    assert vil.concordance.loc[("equal_dimensions", 1 / 3), "share_kept"] == 1.0
    assert vil.concordance.loc[("income_in_food_clothing", 0.5), "share_kept"] == 0.0
    assert vil.robust_share == 0.0
    table = pp.mpi_robustness_table(toy_profile(mpi_k=1 / 3))
    assert len(table) == 9
    assert list(table["k"].iloc[:3]) == pytest.approx([0.2, 1 / 3, 0.5])
    indicators, groups = pp.mpi_tables(toy_profile())
    assert sum(float(x) for x in groups["Share of M0 (%)"]) == pytest.approx(100.0)
    assert indicators["Contribution to M0 (%)"].sum() == pytest.approx(100.0)


def test_mpi_skipped_without_indicator_columns():
    # Own data may leave the six indicators out (synth.OPTIONAL_COLUMNS / OPTIONAL_TABLES).
    data = synth.generate("shandong_a_town", seed=3, n=300)
    data.tables["households"] = data["households"].drop(columns=list(pp.INDICATORS))
    prof = pp.poverty_profile(data, "shandong_a_town", seed=3)
    assert prof.mpi is None
    assert prof.facts["has_mpi"] is False
    assert prof.facts["missing_indicators"] == list(pp.INDICATORS)
    assert prof.facts["indicator_table"] == "households"
    page = pp.build(data, "shandong_a_town", seed=3)
    assert all(math.isnan(page.numbers[k]) for k in pp.MPI_NUMBER_KEYS)
    assert not set(pp.MPI_NUMBER_KEYS) & set(page.tolerances)
    assert "mpi_indicators" not in page.tables and "mpi_robustness" not in page.tables
    assert "`households.csv`" in page.render("poverty_profile")["mpi_text"]
    with pytest.raises(ValueError, match="no MPI"):
        pp.mpi_tables(prof)
    lps = synth.generate("liupanshui", seed=3, n=500)
    del lps.tables["households"]
    assert pp.poverty_profile(lps, "liupanshui", seed=3).mpi is None


def test_partial_indicators_or_missing_indicator_rows_are_refused():
    data = synth.generate("pingliang", seed=3, n=300)
    data.tables["households"] = data["households"].drop(columns="housing_unsafe")
    with pytest.raises(DataValidationError, match=r"households\.csv[\s\S]*housing_unsafe"):
        pp.profile_frame(data, "pingliang", 2014)
    lps = synth.generate("liupanshui", seed=3, n=300)
    lps.tables["households"] = lps["households"].iloc[1:]
    with pytest.raises(DataValidationError, match="household_id 1 has income in 2016"):
        pp.profile_frame(lps, "liupanshui", 2016)


@pytest.mark.parametrize("case", synth.SLUGS)
def test_every_case_has_an_mpi_section_with_its_indicator_year(case):
    data = synth.generate(case, seed=4, n=600)
    prof = pp.poverty_profile(data, case, seed=4)
    assert prof.mpi is not None
    assert prof.numbers["mpi_m0"] == pytest.approx(prof.mpi.result.M0)
    indicators, groups = pp.mpi_tables(prof)
    # Drinking water is an indicator only from 2019 (measures.WATER_CHECK_FIRST_YEAR).
    water = prof.layout.indicator_year >= 2019
    assert len(indicators) == (6 if water else 5) and len(groups) >= 2
    assert ("drinking_water_unsafe" in prof.mpi.spec) == water
    assert prof.numbers["mpi_n_dimensions"] == (6 if water else 5)
    # Equal dimension weights (1/5 or 1/6) are below the default k = 1/3, so the page must say
    # that one deprivation alone, income poverty included, is not enough.
    assert prof.facts["below_k"] == list(prof.mpi.spec)
    assert "income_below_line" in prof.facts["below_k"]
    assert set(pp.MPI_NUMBER_KEYS) <= set(prof.numbers)


def test_absolute_line_rule(monkeypatch):
    # data/raw/national_rural_poverty.csv: 2014 published at 2,800 yuan, 2016 at 2,952;
    # 2017 onwards not verified.
    assert pp.absolute_line(2014, case="liupanshui", simulated=True).value == 2800.0
    assert pp.absolute_line(2016, case="h_county", simulated=True).basis == "national"
    assert pp.absolute_line(2019, case="pingliang", simulated=True) is None
    assert pp.absolute_line(2021, case="w_town", simulated=True) is None
    given = pp.absolute_line(2019, case="pingliang", simulated=False, poverty_line=4000)
    assert (given.value, given.basis) == (4000.0, "given")
    with pytest.raises(ParameterError, match="poverty_line"):
        pp.absolute_line(2014, case="liupanshui", simulated=True, poverty_line=-1.0)
    # Without a verified national figure, simulated data fall back on the generator's own
    # poverty_line_2014 parameter (2800 in data/synth/liupanshui.yaml); field data do not.
    from cases.data import public_data

    real = public_data.load_table("national_rural_poverty")
    unverified = real.assign(poverty_line_status="not_verified")
    monkeypatch.setattr(pp.public_data, "load_table", lambda name: unverified)
    fallback = pp.absolute_line(2014, case="liupanshui", simulated=True)
    assert (fallback.value, fallback.basis) == (2800.0, "simulated_parameter")
    assert pp.absolute_line(2014, case="liupanshui", simulated=False) is None


def test_bad_inputs_are_named():
    data = toy_h_county()
    with pytest.raises(ParameterError, match="year 2030"):
        pp.poverty_profile(data, "h_county", seed=1, year=2030)
    with pytest.raises(ParameterError, match=r"bootstrap_reps = 998[\s\S]*>= 999"):
        pp.poverty_profile(data, "h_county", seed=1, n_boot=998)
    with pytest.raises(ParameterError, match="mpi_k"):
        pp.poverty_profile(data, "h_county", seed=1, mpi_k=0)
    with pytest.raises(ParameterError, match="no poverty-profile layout"):
        pp.profile_years(data, "atlantis")
    broken = toy_h_county()
    broken.tables["panel"].loc[2, "income_per_capita"] = np.nan
    with pytest.raises(DataValidationError, match="household_id 3"):
        pp.profile_frame(broken, "h_county", 2016)


def test_intervals_follow_the_clustered_inference_rule():
    # The rule of cases.methods.inference: the village bootstrap with at least 999 replicates
    # (the default), and no profile at all with fewer than 10 villages.
    from cases.methods import inference, measures

    # build passes its options to poverty_profile, whose default is the page's.
    assert pp.poverty_profile.__kwdefaults__["n_boot"] == inference.MIN_BOOT == 999
    prof = toy_profile()
    assert prof.gini.n_boot == 999 and prof.facts["n_boot"] == 999
    assert prof.numbers["n_villages"] == 10
    frame = prof.frame
    gini = inference.cluster_bootstrap(
        lambda df: measures.gini(df["income"]), frame, "village_id", n_boot=999, seed=7
    )
    assert (prof.gini.ci_low, prof.gini.ci_high) == (gini.ci_low, gini.ci_high)
    nat = measures.fgt_ci(
        frame["income"], 2000.0, 0, n_boot=999, seed=7, cluster=frame["village_id"].to_numpy()
    )
    row = prof.estimate("nat", 0)
    assert (row["ci_low"], row["ci_high"], row["se"]) == (nat.ci_low, nat.ci_high, nat.std_error)
    # Resampling households instead of villages would give another interval: the test can fail.
    flat = measures.fgt_ci(frame["income"], 2000.0, 0, n_boot=999, seed=7)
    assert (flat.ci_low, flat.ci_high) != (nat.ci_low, nat.ci_high)
    with pytest.raises(ParameterError, match=r"at least 10 clusters, got 2"):
        pp.poverty_profile(toy_h_county(copies=1), "h_county", seed=7, poverty_line=2000.0)
    with pytest.raises(ParameterError, match=r"at least 10 clusters, got 8"):
        pp.fgt_table(
            toy_h_county(copies=4)["panel"].rename(columns={"income_per_capita": "income"}),
            [prof.headline],
            seed=7,
        )


def _sigma(mean: float, line: float, headcount: float) -> float:
    """Log-SD of a lognormal with this mean and share below the line (solved by hand:
    s^2/2 - q s + ln(z/m) = 0, q = Phi^-1(H))."""
    q = stats.norm.ppf(headcount)
    return q + math.sqrt(q * q - 2 * math.log(line / mean))


def test_liupanshui_2014_incidence_is_recovered():
    # data/synth/liupanshui.yaml: the income spread is calibrated so that 23.30% of households
    # are below the 2014 line of 2,800 yuan (mean 6,726, derived from the 2013 and 2015
    # incomes) before the reform; the 2014 reform cohort (20% of villages) adds 0.05 log points
    # in 2014. Expected P0 =
    # 0.8 * 0.2330 + 0.2 * Phi((ln 2800 - mu - 0.05) / sigma), mu = ln 6726 - sigma^2 / 2.
    sigma = _sigma(6726, 2800, 0.2330)
    mu = math.log(6726) - sigma**2 / 2
    expected = 0.8 * 0.2330 + 0.2 * stats.norm.cdf((math.log(2800) - mu - 0.05) / sigma)
    data = synth.generate("liupanshui", seed=11, n=20000)
    frame = pp.profile_frame(data, "liupanshui", 2014)
    line = pp.absolute_line(2014, case="liupanshui", simulated=True)
    row = pp.fgt_table(frame, [line], seed=11).query("alpha == 0").iloc[0]
    assert row["se"] < 0.01  # precise enough for the check to mean something
    assert abs(row["estimate"] - expected) < 3 * row["se"]
    assert row["ci_low"] < expected < row["ci_high"]


def test_w_town_relative_poverty_target_is_recovered():
    # data/synth/w_town.yaml: log income in 2021 is normal with sigma = ln(0.4) / Phi^-1(0.12),
    # so 12% of households are below 40% of the median (relative_poverty_target).
    data = synth.generate("w_town", seed=5, n=4000)
    prof = pp.poverty_profile(data, "w_town", seed=5)
    assert prof.year == 2021 and prof.headline.key == "rel40"
    row = prof.estimate("rel40", 0)
    assert abs(row["estimate"] - 0.12) < max(3 * row["se"], 0.01)
    # No absolute line after 2020: the generator's own relative line (40 %) is the headline.
    assert prof.facts["absolute_basis"] is None and prof.facts["after_2020"]
    assert prof.facts["own_relative_line"] and prof.numbers["own_share"] == 0.4
    assert prof.numbers["last_line_year"] == 2016  # national_rural_poverty.csv: 2017+ unverified


def test_h_county_union_headcount_matches_the_dgp():
    # h_county generator docstring: with income-poor share pi and non-poor deprivation rates
    # q_j (data/synth/h_county.yaml), the union-rule headcount is
    # H = pi + (1 - pi)(1 - prod_j (1 - q_j)); q = 0.02, 0.01, 0.03, 0.08 (food/clothing,
    # education, medical, housing; drinking water, q = 0.10, is not checked in 2016).
    data = synth.generate("h_county", seed=9, n=6000)
    prof = pp.poverty_profile(data, "h_county", seed=9)
    pi = data["households"]["income_below_line"].mean()
    expected = pi + (1 - pi) * (1 - 0.98 * 0.99 * 0.97 * 0.92)
    assert prof.mpi.union_headcount == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("case", synth.SLUGS)
def test_every_case_renders_its_text_template(case):
    # Every placeholder of text/poverty_profile.md resolves (the renderer's StrictUndefined
    # raises otherwise), numbers are glue-safe, and the page's exhibits exist.
    data = synth.generate(case, seed=2, n=500)  # at least 10 villages in every case
    page = pp.build(data, case, seed=2)
    passages = page.render("poverty_profile")
    assert {"intro", "income_text", "absolute_text", "relative_text", "fgt_caption"} <= set(
        passages
    )
    assert {"decomposition_text", "mpi_text", "trend_text", "own_data"} <= set(passages)
    assert all(passages[k] for k in ("intro", "income_text", "mpi_text", "income_fig_block"))
    assert not any(ROLE.search(text) for text in passages.values())
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in page.numbers)
    assert f"fig-poverty-income-{case}" in passages["income_text"]
    assert f":name: fig-poverty-income-{case}" in passages["income_fig_block"]
    assert all(isinstance(v, float) for k, v in page.numbers.items() if k in page.tolerances)
    table = pp.claims_table(passages)
    labels = pp.settings().labels
    assert list(table.columns) == [labels[f"claims_{c}"] for c in ("reported", "shows", "needed")]
    assert 1 <= len(table) <= pp.CLAIM_ROWS
    assert all(cell and "\n" not in cell for cell in table.to_numpy().ravel())
    has_absolute = page.facts["absolute_basis"] is not None
    assert len(page.tables["fgt"]) == len(pp.RELATIVE_SHARES) + has_absolute
    fig = page.figures["income"]
    assert any("SIMULATED DATA" in t.get_text() for t in fig.texts)
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"weight_by_persons": True},
        {"poverty_line": 2500.0},
        {"year": 2019},
        {"mpi_weights": "income_half", "mpi_k": 0.5},
    ],
)
def test_text_template_renders_every_branch_on_own_data(kwargs):
    # Own (not simulated) data, a given line, a year without a national line, other weights:
    # each choice of the text renders without an unknown placeholder.
    data = synth.generate("pingliang", seed=2, n=300)
    own = synth.SimulatedData(data.tables, {"case": "pingliang", "simulated": False})
    page = pp.build(own, "pingliang", seed=2, data_dir="/field", source="/field", **kwargs)
    passages = page.render("poverty_profile")
    assert "`/field`" in passages["intro"]
    assert page.facts["calibration"] is None and "calib_incidence" not in page.numbers
    basis = page.facts["absolute_basis"]
    assert basis == (
        "given" if "poverty_line" in kwargs else None if kwargs.get("year") else "national"
    )
    assert pp.claims_table(passages).shape[0] == 1
    import matplotlib.pyplot as plt

    plt.close("all")


def test_fgt_table_and_numbers_agree():
    prof = toy_profile()
    display = pp.fgt_display(prof)
    assert len(display) == len(prof.lines)
    for _, row in prof.fgt.iterrows():
        key = f"{row['line']}_p{row['alpha']}"
        assert prof.numbers[key] == row["estimate"]
        assert (prof.numbers[key + "_low"], prof.numbers[key + "_high"]) == (
            row["ci_low"],
            row["ci_high"],
        )


def test_settings_are_validated_and_cover_every_case(tmp_path):
    s = pp.settings()
    assert set(s.layouts) == set(synth.SLUGS) == set(s.text)
    for case in synth.SLUGS:
        assert pp.layouts()[case].case == case
    bad = tmp_path / "poverty_profile.yaml"
    bad.write_text("layouts:\n  h_county:\n    income_table: panel\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"poverty_profile\.yaml[\s\S]*household_table"):
        files.load_yaml(pp.Settings, bad)


def test_no_branch_on_the_case_slug():
    import inspect

    source = inspect.getsource(pp)
    assert not re.search(r"\b(case|slug)\s*(==|in \()", source)


@pytest.mark.parametrize("case", synth.SLUGS)
def test_simulation_page(case):
    data = synth.generate(case, seed=4, n=300)
    page = pp.simulation_page(data, case, seed=4, n=300)
    params = synth.load_params(case)
    planted = page.tables["planted"]
    assert len(planted) == len(params["planted_effects"]) == page.numbers["n_planted"]
    sizes = page.tables["sizes"]
    assert dict(zip(sizes["Table"], sizes["Rows"], strict=True)) == {
        name: len(df) for name, df in data.tables.items()
    }
    assert page.numbers["total_rows"] == sum(len(df) for df in data.tables.values())
    assert (page.numbers["seed"], page.numbers["n"]) == (4, 300)
    assert page.facts["simulated"] is True
    passages = page.render("simulation")
    assert set(passages) == {"world", "intro", "sizes_text", "planted_text", "description_intro"}
    # The calibration table: one row per parameter, in file order, with the parameter's meaning
    # and unit; no file name and no program identifier reaches the reader (issue 22).
    calibration = page.tables["calibration"]
    entries = list(params["parameters"].values())
    assert len(calibration) == len(entries)
    assert list(calibration["Unit"]) == [" ".join(str(e["unit"]).split()) for e in entries]
    assert [b == "assumed" for b in calibration["Basis"]] == ["source" not in e for e in entries]
    cells = " ".join(calibration.astype(str).to_numpy().ravel())
    assert not re.search(r"\b[a-z][a-z0-9]*_[a-z0-9]+", cells), "an identifier on the page"
    assert not re.search(r"\.(csv|ya?ml)\b", cells), "a file name on the page"
    own = synth.SimulatedData(data.tables, {"case": case, "simulated": False})
    own_page = pp.simulation_page(own, case, seed=4, n=300, data_dir="/field")
    assert own_page.facts["simulated"] is False
    world = {f"world_{k}" for k in ("seed", "villages", "households_per_village")}
    world |= {f"world_{k}" for k in ("households", "first_year", "last_year")}
    assert set(own_page.numbers) == {"n_tables", "total_rows", "n_planted"} | world
    assert page.facts["is_world"] is False  # seed 4 and 300 households are not the world
    assert "`/field`" in own_page.render("simulation")["intro"]


def test_reader_text_names_tables_and_spells_out_identifiers():
    titles = {"national_rural_poverty": "National rural poverty"}
    assert (
        pp.reader_text("national_rural_poverty.csv year 2016, poverty_line_yuan", titles)
        == "“National rural poverty” year 2016, poverty line yuan"
    )
    with pytest.raises(DataValidationError, match=r"atlantis\.csv is not a table"):
        pp.reader_text("see atlantis.csv", titles)


@pytest.mark.slow
def test_templates_run_with_papermill(tmp_path):
    import nbformat
    import papermill

    names: set[str] = set()
    roles: set[str] = set()
    for template, params in (
        ("poverty_profile", {"case": "h_county", "n": 400, "bootstrap_reps": 999}),
        ("simulation", {"case": "h_county", "n": 400}),
    ):
        out = tmp_path / f"{template}.ipynb"
        papermill.execute_notebook(
            str(paths.NOTEBOOKS / f"{template}.ipynb"),
            str(out),
            parameters=params,
            kernel_name="python3",
            cwd=str(tmp_path),
            progress_bar=False,
        )
        nb = nbformat.read(out, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                roles |= {f"poverty_{k}" for k in ROLE.findall(cell.source)}
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name")
                if name:
                    names.add(name)
    assert {"poverty_nat_p0", "poverty_mpi_m0", "poverty_income_fig"} <= names
    assert {"poverty_intro", "poverty_mpi_text", "poverty_income_fig_block"} <= names
    assert {"simulation_intro", "simulation_world", "simulation_total_rows"} <= names
    assert roles and roles <= names


def test_tied_top_contributors_are_named_together():
    # Two indicators (and their one-indicator dimensions) with the same deprivation pattern
    # contribute equally to M0; the prose must not pick one of them.
    data = synth.generate("h_county", seed=4, n=400)
    hh = data.tables["households"]
    data.tables["households"] = hh.assign(
        food_clothing_insecure=hh["housing_unsafe"], income_below_line=0
    )
    page = pp.build(data, "h_county", seed=4)
    assert page.facts["top_indicators"] == ["food_clothing_insecure", "housing_unsafe"]
    assert page.facts["top_dimensions"] == ["food_clothing", "housing_safety"]
    text = page.render("poverty_profile")["mpi_text"]
    assert "'food clothing insecure' and 'housing unsafe'" in text
    assert "'food clothing' and 'housing safety'" in text


def test_notebook_markdown_glues_only_numbers_the_profile_makes():
    import json

    nb = json.loads((paths.NOTEBOOKS / "poverty_profile.ipynb").read_text(encoding="utf-8"))
    md = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    used = set(ROLE.findall(md)) - {"income_fig_block", "own_data"}
    data = synth.generate("h_county", seed=2, n=400)
    page = pp.build(data, "h_county", seed=2)
    glued = set(page.numbers) | set(page.render("poverty_profile"))
    assert used, "the notebook's Markdown glues numbers"
    assert used <= glued, sorted(used - glued)


def test_mpi_weights_parameter_by_hand():
    # Income 1/2, the other four dimensions 1/8 (2016: no water). Toy scores: hh1 income +
    # housing = 0.625, hh2 income + food = 0.625, hh3 income = 0.5, others 0. k = 1/3: poor
    # hh1-3, H = 3/6, M0 = 1.75/6; union cutoff (smallest weight) 1/8 -> the same three.
    mpi = toy_profile(mpi_k=1 / 3, mpi_weights="income_half").mpi
    assert mpi.spec["income_below_line"] == pytest.approx(0.5)
    assert (mpi.result.H, mpi.result.M0) == pytest.approx((0.5, 1.75 / 6))
    assert mpi.union_headcount == pytest.approx(0.5)
    assert mpi.robustness.reference == ("income_half", pytest.approx(1 / 3))
    with pytest.raises(ParameterError, match="mpi_weights"):
        toy_profile(mpi_weights="income_only")


@pytest.mark.parametrize("value", [0.0, 0.12, 0.12345, 0.0005, 0.99951, 1 / 3, 0.125, 2 / 3])
def test_tight_formats_print_as_the_old_format_specs(value):
    # The page printed its numbers with Python format specs (glue roles ``key:.1%``); the
    # named formats it now uses must print the same text.
    from cases.present.text import FORMATS

    assert FORMATS["pct0_tight"](value) == format(value, ".0%")
    assert FORMATS["pct1_tight"](value) == format(value, ".1%")
    assert FORMATS["pct2_tight"](value) == format(value, ".2%")
    assert FORMATS["general"](value) == format(value, "g")
    assert FORMATS["dec3"](value) == format(value, ".3f")
    assert FORMATS["plain"](2016) == "2016" and FORMATS["int"](12600) == format(12600, ",")
    assert FORMATS["dec0"](2951.6) == format(2951.6, ",.0f")
