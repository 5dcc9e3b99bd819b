"""Tests of cases.pages.targeting: hand-checked helpers, planted errors and drivers, smoke run."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.pages import targeting as tg
from cases.present.page import Page
from cases.simulate import synth

ROLE = re.compile(r"\{glue:text\}`([a-z0-9_]+)")


@pytest.fixture(autouse=True)
def _close_figures():
    # build() draws the page's figures; the tests do not show them.
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_errors_by_village_by_hand():
    # Village 1: listed {a, b}, in need {a, c}: b wrongly in (1/2), c wrongly out (1/2).
    # Village 2: both listed and in need: no errors. Village 3: nobody listed or in need: NaN.
    df = pd.DataFrame(
        {
            "village_id": [1, 1, 1, 1, 2, 2, 3],
            "listed": [1, 1, 0, 0, 1, 1, 0],
            "need": [1, 0, 1, 0, 1, 1, 0],
        }
    )
    out = tg.errors_by_village(df, "listed", "need").set_index("village_id")
    assert list(out["households"]) == [4, 2, 1]
    assert out.loc[1, "inclusion_error"] == 0.5 and out.loc[1, "exclusion_error"] == 0.5
    assert out.loc[2, "inclusion_error"] == 0.0 and out.loc[2, "exclusion_error"] == 0.0
    assert math.isnan(out.loc[3, "inclusion_error"]) and math.isnan(out.loc[3, "exclusion_error"])
    bad = df.assign(need=[1, 0, 2, 0, 1, 1, 0])
    with pytest.raises(DataValidationError, match="'need' must be 0/1; got 2 at row 2"):
        tg.errors_by_village(bad, "listed", "need")


def test_implied_inclusion_error_by_hand():
    # s = 0.2 in need, exclusion 0.3, 4% of the others listed:
    # wrongly listed 0.04 * 0.8 = 0.032, rightly listed 0.7 * 0.2 = 0.14 -> 0.032 / 0.172.
    assert tg.implied_inclusion_error(0.2, 0.3, 0.04) == pytest.approx(0.032 / 0.172)
    with pytest.raises(ParameterError, match="exclusion"):
        tg.implied_inclusion_error(0.2, 1.3, 0.04)


def test_profile_table_counts_and_means_by_hand():
    df = pd.DataFrame(
        {"listed": [1, 1, 0, 0, 0], "need": [1, 0, 1, 1, 0], "x": [2.0, 4.0, 1.0, 3.0, 10.0]}
    )
    out = tg.profile_table(df, "listed", "need", ["x"], need_label="poor")
    assert list(out.columns) == [
        "Listed, poor (n = 1)",
        "Missed (poor, not listed) (n = 2)",
        "Listed, not poor (n = 1)",
        "Neither (n = 1)",
    ]
    # missed (poor, not listed): x = 1 and 3 -> mean 2
    assert list(out.loc["x"]) == [2.0, 2.0, 4.0, 10.0]


def test_error_intervals_are_seeded_and_contain_the_estimate():
    data = synth.generate("h_county", seed=2, n=2000)
    hh, _ = tg.need_flags(data, "h_county")
    a = tg.error_intervals(hh, "registered_poor", "income_poor", n_boot=999, seed=9)
    b = tg.error_intervals(hh, "registered_poor", "income_poor", n_boot=999, seed=9)
    pd.testing.assert_frame_equal(a, b)
    assert ((a["ci_low"] <= a["error"]) & (a["error"] <= a["ci_high"])).all()


@pytest.fixture(scope="module")
def h_county_large():
    data = synth.generate("h_county", seed=7, n=40000)
    hh, _ = tg.need_flags(data, "h_county")
    return hh


def test_h_county_errors_close_to_planted(h_county_large):
    hh = h_county_large
    out = tg.error_intervals(hh, "registered_poor", "income_poor", n_boot=999, seed=1)
    assert out.loc["inclusion", "error"] == pytest.approx(0.20, abs=0.03)
    assert out.loc["exclusion", "error"] == pytest.approx(0.15, abs=0.03)


def test_logits_recover_planted_drivers(h_county_large):
    covariates = list(tg.design("h_county").covariates)
    inc = tg.mistargeting_logit(
        h_county_large, "registered_poor", "income_poor", covariates, "inclusion"
    )
    exc = tg.mistargeting_logit(
        h_county_large, "registered_poor", "income_poor", covariates, "exclusion"
    )
    # Planted (data/synth/h_county.yaml): connection +2.0 and unsafe housing +1.0 log-odds of
    # registration for the non-poor; safe housing +1.0 log-odds of exclusion for the poor.
    # Village effects (SD 0.5) attenuate marginal logits slightly, hence the tolerance.
    assert inc.loc["official_connection", "Log-odds"] == pytest.approx(2.0, abs=0.35)
    assert inc.loc["housing_unsafe", "Log-odds"] == pytest.approx(1.0, abs=0.35)
    assert exc.loc["housing_unsafe", "Log-odds"] == pytest.approx(-1.0, abs=0.4)
    assert abs(exc.loc["official_connection", "Log-odds"]) < 0.6
    assert inc.attrs["n"] == int((h_county_large["income_poor"] == 0).sum())


def test_logit_reports_perfectly_separated_covariates():
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame(
        {
            "village_id": np.arange(n) // 10,
            "need": np.zeros(n, dtype=int),
            "x": rng.integers(0, 2, n),
            "rare": (np.arange(n) < 20).astype(int),
        }
    )
    df["listed"] = ((rng.random(n) < 0.2 + 0.3 * df["x"]) & (df["rare"] == 0)).astype(int)
    tab = tg.mistargeting_logit(df, "listed", "need", ["x", "rare"], "inclusion")
    assert tab.attrs["separated"] == ["rare"]
    assert list(tab.index) == ["x"]
    with pytest.raises(ParameterError, match="kind"):
        tg.mistargeting_logit(df, "listed", "need", ["x"], "leakage")
    with pytest.raises(DataValidationError, match="no variation"):
        tg.mistargeting_logit(df, "listed", "need", ["x"], "exclusion")


def test_w_town_exclusion_of_vulnerable_close_to_planted():
    data = synth.generate("w_town", seed=4, n=20000)
    hh, vres = tg.need_flags(data, "w_town", vulnerability_line=6000.0)
    out = tg.error_intervals(hh, "monitored", "vulnerable", n_boot=999, seed=1)
    # Planted: 30% of truly vulnerable households are not monitored; the estimated
    # vulnerability misclassifies some households near the threshold, hence the tolerance.
    assert out.loc["exclusion", "error"] == pytest.approx(0.30, abs=0.05)
    true_share = data.meta["derived"]["true_vulnerable_share"]
    assert vres.share_vulnerable == pytest.approx(true_share, abs=0.03)


def test_build_numbers_keep_their_glue_keys_and_the_text_renders():
    data = synth.generate("w_town", seed=5, n=1500)
    page = tg.build(data, "w_town", bootstrap_reps=999, seed=1)
    assert isinstance(page, Page)
    for kind in ("inclusion", "exclusion"):
        for stat in ("error", "se", "ci_low", "ci_high"):
            assert f"vulnerable_{kind}_{stat}" in page.numbers
    errors = page.tables["errors"].set_index("Error")
    assert page.numbers["vulnerable_exclusion_error"] == errors["Share"].iloc[1]
    assert page.numbers["text_n_listed"] == int(errors["Denominator"].iloc[0])
    assert page.numbers["text_bootstrap_reps"] == 999
    # every float is recorded with the page's tolerance; no number is NaN
    assert all(page.tolerances[k] == 1e-6 for k, v in page.numbers.items() if isinstance(v, float))
    assert all(math.isfinite(v) for v in page.numbers.values())
    passages = page.render("targeting")
    assert {"intro_md", "errors_md", "village_md", "drivers_md", "claims"} <= set(passages)
    assert "{{" not in "".join(passages.values())
    assert tg.PLANTED in page.tables["errors"].columns
    assert tg.PLANTED not in page.tables["logit_inclusion"].columns
    claims = tg.claims_table(page, passages)
    assert claims.shape == (1, 3) and "\n" not in claims.iloc[0, 1]
    with pytest.raises(ParameterError, match="no targeting analysis"):
        tg.build(data, "liupanshui")


@pytest.mark.parametrize("case", ["h_county", "w_town"])
def test_text_template_renders_for_every_case(case):
    # Every placeholder of text/targeting.md resolves for each case with a targeting page.
    page = tg.build(synth.generate(case, seed=3, n=1200), case, bootstrap_reps=999, seed=1)
    passages = page.render("targeting")
    assert all(text.strip() for name, text in passages.items())
    assert f"fig-targeting-village-{case}" in passages["village_md"]


def test_settings_errors_name_file_and_field(tmp_path):
    import yaml

    raw = yaml.safe_load(tg.SETTINGS.read_text(encoding="utf-8"))
    raw["designs"]["h_county"]["need"] = "income"
    del raw["designs"]["w_town"]["list_column"]
    bad = tmp_path / "targeting.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        tg.designs(bad)
    message = str(info.value)
    assert str(bad) in message
    assert "designs.h_county.need" in message and "designs.w_town.list_column" in message
    raw["designs"]["w_town"]["list_column"] = "monitored"
    raw["designs"]["h_county"]["need"] = "mpi"
    del raw["designs"]["h_county"]["indicator_year"]
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(DataValidationError, match="indicator_year"):
        tg.designs(bad)


@pytest.mark.slow
def test_template_runs_with_papermill(tmp_path):
    import nbformat
    import papermill

    out = tmp_path / "targeting.ipynb"
    papermill.execute_notebook(
        str(paths.NOTEBOOKS / "targeting.ipynb"),
        str(out),
        parameters={"case": "w_town", "n": 1500, "bootstrap_reps": 999},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    names, nested = set(), set()
    for cell in nbformat.read(out, as_version=4).cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                names.add(name)
                data = output.get("data", {})
                text = data.get("application/papermill.record/text/markdown", "")
                nested |= set(ROLE.findall(text + data.get("text/markdown", "")))
    assert {"targeting_vulnerable_exclusion_error", "targeting_vulnerable_exclusion_se"} <= names
    assert {"targeting_intro_md", "targeting_drivers_md", "targeting_text_n_listed"} <= names
    assert nested <= names  # the notebook's own Markdown cites glued numbers only


def test_mpi_sensitivity_by_hand():
    # Five households (exit standard of 2016: five dimensions; water is not an indicator):
    #   hh  registered  income food edu med housing  equal score (1/5)  income 1/2 (others 1/8)
    #   1   1           1      0    0   0   1        0.4                0.625
    #   2   0           1      0    0   0   0        0.2                0.5
    #   3   1           0      1    1   0   0        0.4                0.25
    #   4   0           0      0    0   1   0        0.2                0.125
    #   5   0           0      0    0   0   0        0                  0
    # Equal weights, k = 0.2: poor 1-4; registered 1, 3 -> inclusion 0/2 = 0, exclusion 2/4.
    # Equal weights, k = 1/3: poor 1, 3 -> exclusion 0, inclusion 0.
    # Income 1/2, k = 1/3: poor 1, 2 -> inclusion 1/2 (hh3), exclusion 1/2 (hh2).
    hh = pd.DataFrame(
        {
            "registered_poor": [1, 0, 1, 0, 0],
            "income_below_line": [1, 1, 0, 0, 0],
            "food_clothing_insecure": [0, 0, 1, 0, 0],
            "education_not_guaranteed": [0, 0, 1, 0, 0],
            "medical_not_guaranteed": [0, 0, 0, 1, 0],
            "housing_unsafe": [1, 0, 0, 0, 0],
            "drinking_water_unsafe": [1, 1, 1, 1, 1],
        }
    )
    from cases.methods import measures

    spec = measures.exit_standard(tg.design("h_county").indicator_year)
    out = tg.mpi_sensitivity(hh, "registered_poor", spec, [0.2, 1 / 3])
    out = out.set_index(["Weights", "k"])
    row = out.loc[("Equal by dimension", 0.2)]
    assert (row["MPI-poor (%)"], row["Inclusion error"], row["Exclusion error"]) == (80, 0, 0.5)
    row = out.loc[("Equal by dimension", 1 / 3)]
    assert (row["Inclusion error"], row["Exclusion error"]) == (0, 0)
    row = out.loc[("Income 1/2, rest equal", 1 / 3)]
    assert (row["Inclusion error"], row["Exclusion error"]) == (0.5, 0.5)
    assert len(out) == 6  # three weight vectors x two cutoffs


def test_h_county_analysis_has_an_mpi_sensitivity_table():
    data = synth.generate("h_county", seed=5, n=1500)
    page = tg.build(data, "h_county", bootstrap_reps=999, seed=1)
    table = page.tables["mpi_sensitivity"]
    # k grid: the union cutoff 0.2, 1/3 (the default k) and 0.5, for three weight vectors.
    assert len(table) == 9 == page.numbers["text_mpi_n_specs"]
    assert page.numbers["text_mpi_n_indicators"] == 5
    ref = table[(table["Weights"] == "Equal by dimension") & np.isclose(table["k"], 1 / 3)]
    hh, _ = tg.need_flags(data, "h_county")
    poor = hh["mpi_poor"] == 1
    expected = float(((hh["registered_poor"] == 0) & poor).sum() / poor.sum())
    assert ref["Exclusion error"].iloc[0] == pytest.approx(expected)
    assert page.numbers["mpi_poor_exclusion_error"] == pytest.approx(expected)
    w_town = tg.build(synth.generate("w_town", seed=5, n=800), "w_town")
    assert "mpi_sensitivity" not in w_town.tables


def test_logit_tables_carry_bh_adjusted_pvalues_and_findings_use_them(h_county_large):
    from statsmodels.stats.multitest import multipletests

    covariates = list(tg.design("h_county").covariates)
    inc = tg.mistargeting_logit(
        h_county_large, "registered_poor", "income_poor", covariates, "inclusion"
    )
    expected = multipletests(inc["p"].to_numpy(), method="fdr_bh")[1]
    assert inc["p (BH)"].to_numpy() == pytest.approx(expected)
    assert (inc["p (BH)"] >= inc["p"] - 1e-15).all()
    found = tg.findings(inc)
    # The planted drivers survive the adjustment; findings are sorted by adjusted p.
    assert {"official_connection", "housing_unsafe"} <= set(found.index)
    assert found["p (BH)"].is_monotonic_increasing
    # A raw p-value below 0.05 that does not survive is not a finding.
    fake = inc.assign(p=[0.02] + [0.9] * (len(inc) - 1))
    fake["p (BH)"] = multipletests(fake["p"].to_numpy(), method="fdr_bh")[1]
    assert tg.findings(fake).empty == (fake["p (BH)"].min() > tg.FDR)


def test_w_town_names_no_strongest_predictor_from_noise():
    # Nothing is planted on W Town's traits: no predictor may be named from unadjusted p-values.
    data = synth.generate("w_town", seed=20201123, n=6000)
    page = tg.build(data, "w_town", bootstrap_reps=999)
    logits = [page.tables["logit_inclusion"], page.tables["logit_exclusion"]]
    assert all(tg.findings(tab).empty for tab in logits)
    # ...although an unadjusted p-value falls below 0.05 (the noise the issue found).
    assert min(tab["p"].min() for tab in logits) < 0.05
    assert (
        page.numbers["text_logit_inclusion_n_raw05"] + page.numbers["text_logit_exclusion_n_raw05"]
        >= 1
    )
    # The text and the claim table name only findings (adjusted p), here none.
    assert [m["findings"] for m in page.facts["logits"]] == [[], []]
    assert page.numbers["text_logit_inclusion_n_bh05"] == 0
    assert page.numbers["text_logit_exclusion_n_bh05"] == 0
