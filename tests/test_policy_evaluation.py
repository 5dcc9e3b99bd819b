"""Tests of cases.pages.policy_evaluation: hand-checked helpers, planted-effect recovery, smoke
run."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.methods import honest, panel
from cases.pages import policy_evaluation as pe
from cases.present.page import Page
from cases.simulate import synth

ROLE = re.compile(r"\{glue:text\}`([a-z0-9_]+)")


@pytest.fixture(autouse=True)
def _close_figures():
    # build() draws the page's figures; the tests do not show them.
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_planted_att_by_hand():
    # Post cells (e >= 0): e=0 n=10, e=1 n=10, e=0 n=30; tau(e) = 0.05 + 0.03 e.
    # (10*0.05 + 10*0.08 + 30*0.05) / 50 = (0.5 + 0.8 + 1.5) / 50 = 0.056; e=-1 is ignored.
    att_gt = pd.DataFrame({"event_time": [-1, 0, 1, 0], "n_treated": [99, 10, 10, 30]})
    effect = pe.planted_effect(
        "liupanshui",
        "log_income",
        {"income_effect_at_adoption": 0.05, "income_effect_growth_per_year": 0.03},
    )
    assert pe.planted_att(att_gt, effect) == pytest.approx(0.056)
    with pytest.raises(DataValidationError, match="no post-treatment"):
        pe.planted_att(att_gt.iloc[:1], effect)


def test_planted_effect_rules():
    constant = pe.planted_effect("h_county", "log_income", {"project_income_effect": 0.04})
    assert list(constant(np.array([-2.0, 0.0, 3.0]))) == [0.0, 0.04, 0.04]
    assert pe.planted_effect("h_county", "log_income", None) is None
    with pytest.raises(ParameterError, match="lack 'project_income_effect'"):
        pe.planted_effect("h_county", "log_income", {})


def test_comparison_table_on_a_fabricated_result():
    summary = pd.DataFrame(
        {
            "att": [0.1, 0.2, 0.3],
            "se": [0.01, 0.02, 0.03],
            "ci_low": [0.08, 0.16, 0.24],
            "ci_high": [0.12, 0.24, 0.36],
            "planted": [0.25, 0.25, 0.26],
        },
        index=["twfe", "cs", "sa"],
    )
    tab = pe.comparison_table({"Y": summary})
    assert list(tab["Estimator"]) == [
        "Two-way fixed effects (TWFE)",
        "Callaway–Sant'Anna",
        "Sun–Abraham",
    ]
    assert list(tab["Estimate"]) == [0.1, 0.2, 0.3]
    assert list(tab["95% CI high"]) == [0.12, 0.24, 0.36]
    assert list(tab["Planted ATT (simulated, hypothesis)"]) == [0.25, 0.25, 0.26]
    own = pe.comparison_table({"Y": summary}, simulated=False)
    assert "Planted ATT (simulated, hypothesis)" not in own.columns
    with pytest.raises(DataValidationError, match="unknown estimator"):
        pe.comparison_table({"Y": summary.rename(index={"sa": "ols"})})


@pytest.fixture(scope="module")
def liupanshui():
    data = synth.generate("liupanshui", seed=11, n=6000)
    return pe.analysis_panel(data, "liupanshui"), data.meta["planted_effects"]


def test_robust_estimators_recover_the_planted_att_and_twfe_is_biased_down(liupanshui):
    df, planted = liupanshui
    est = pe.estimate_outcome(df, "liupanshui", "log_income", planted=planted)
    s = est.summary
    # Planted ATT over the treated cells is about 0.10 (tau grows 0.03 a year from 0.05).
    assert abs(s.loc["cs", "att"] - s.loc["cs", "planted"]) < 0.035
    assert abs(s.loc["sa", "att"] - s.loc["sa", "planted"]) < 0.035
    # Growing effects make the "later vs earlier" comparisons subtract effect: TWFE is too low
    # (Goodman-Bacon 2021, section 3).
    assert s.loc["twfe", "att"] < s.loc["cs", "planted"] - 0.015
    dyn = est.cs.dynamic.set_index("event_time")
    assert dyn.loc[0, "att"] == pytest.approx(0.05, abs=0.04)
    assert dyn.loc[4, "att"] == pytest.approx(0.17, abs=0.06)


def test_return_migration_effect_recovered_with_notyet_control(liupanshui):
    df, planted = liupanshui
    est = pe.estimate_outcome(
        df,
        "liupanshui",
        "returned_migrant",
        control="notyet",
        cluster="household",
        planted=planted,
    )
    assert est.summary.loc["cs", "planted"] == pytest.approx(0.04)
    assert abs(est.summary.loc["cs", "att"] - 0.04) < 0.02
    assert est.twfe.cov_type == "clustered"


def test_cluster_option_reaches_all_three_estimators(liupanshui):
    # The reform is assigned by village, so `cluster="village"` must cluster every estimator
    # there; household clustering is the other option. Same point estimates either way.
    df, _ = liupanshui
    village = pe.estimate_outcome(df, "liupanshui", "log_income").summary
    household = pe.estimate_outcome(df, "liupanshui", "log_income", cluster="household").summary
    pd.testing.assert_series_equal(village["att"], household["att"])
    assert (village["se"] != household["se"]).all()
    direct = panel.staggered_did(
        df, "log_income", "household_id", "year", "first_treated", cluster="village_id"
    )
    assert village.loc["cs", "se"] == pytest.approx(float(direct.simple["se"].iloc[0]))


def test_h_county_project_effect_recovered():
    data = synth.generate("h_county", seed=5, n=40000)
    df = pe.analysis_panel(data, "h_county")
    assert set(df["household_id"]) == set(
        data["households"].query("registered_poor == 1")["household_id"]
    )
    est = pe.estimate_outcome(df, "h_county", "log_income", planted=data.meta["planted_effects"])
    assert abs(est.summary.loc["cs", "att"] - 0.04) < 0.035
    assert abs(est.summary.loc["twfe", "att"] - 0.04) < 0.035


def test_bad_options_and_inputs_are_named(liupanshui):
    df, _ = liupanshui
    with pytest.raises(ParameterError, match="estimator_control"):
        pe.estimate_outcome(df, "liupanshui", "log_income", control="later")
    with pytest.raises(ParameterError, match="cluster"):
        pe.estimate_outcome(df, "liupanshui", "log_income", cluster="county")
    with pytest.raises(ParameterError, match="no policy evaluation"):
        pe.analysis_panel(synth.generate("w_town", seed=1, n=50), "w_town")
    data = synth.generate("liupanshui", seed=1, n=100)
    data.tables["panel"].loc[3, "income_per_capita"] = 0.0
    with pytest.raises(DataValidationError, match="household_id=1"):
        pe.analysis_panel(data, "liupanshui")


def test_baseline_bottom40_keeps_the_poorest_by_pre_reform_income():
    # The restriction ranks households on income before the first adoption only, so it
    # cannot select on the reform's effect; it keeps 40 % of them (ties aside).
    data = synth.generate("liupanshui", seed=3, n=1000)
    full = pe.analysis_panel(data, "liupanshui")
    poor = pe.analysis_panel(data, "liupanshui", "baseline_bottom40")
    start = int(full.loc[full["first_treated"] > 0, "first_treated"].min())
    base = full.loc[full["year"] < start].groupby("household_id")["income_per_capita"].mean()
    kept = set(poor["household_id"])
    assert len(kept) == int((base <= base.quantile(0.4)).sum())
    assert base[list(kept)].max() <= base.drop(list(kept)).min()
    assert set(poor["year"]) == set(full["year"])
    with pytest.raises(ParameterError, match="sample must be one of"):
        pe.analysis_panel(data, "liupanshui", "poorest")
    late = synth.generate("liupanshui", seed=3, n=100)
    panel_ = late.tables["panel"]
    first = int(panel_.loc[panel_["first_treated"] > 0, "first_treated"].min())
    late.tables["panel"] = panel_.loc[panel_["year"] >= first].reset_index(drop=True)
    with pytest.raises(DataValidationError, match="no year before the first adoption"):
        pe.analysis_panel(late, "liupanshui", "baseline_bottom40")


def test_bacon_panel_uses_households_when_balanced_else_villages():
    rows = []
    for hh, village, g in [(1, 1, 2), (2, 1, 2), (3, 2, 0), (4, 2, 0), (5, 3, 3), (6, 3, 3)]:
        for t in (1, 2, 3, 4):
            rows.append((hh, village, t, int(g > 0 and t >= g), float(hh + t)))
    df = pd.DataFrame(rows, columns=["household_id", "village_id", "year", "d", "y"])
    frame, level, entity = pe.bacon_panel(df, "d", "y")
    assert (level, entity, len(frame)) == ("household", "household_id", 24)
    unbalanced = df.drop(index=0)
    frame, level, entity = pe.bacon_panel(unbalanced, "d", "y")
    assert (level, entity, len(frame)) == ("village", "village_id", 12)
    # village 1, year 1: households 1 (dropped) and 2 -> only household 2: y = 2 + 1 = 3
    assert frame.query("village_id == 1 and year == 1")["y"].item() == 3.0
    mixed = unbalanced.copy()
    mixed.loc[(mixed["household_id"] == 2) & (mixed["year"] == 4), "d"] = 0
    with pytest.raises(DataValidationError, match="village_id=1"):
        pe.bacon_panel(mixed, "d", "y")


def test_build_keeps_glue_keys_and_the_text_renders():
    data = synth.generate("liupanshui", seed=3, n=1500)
    page = pe.build(data, "liupanshui")
    assert isinstance(page, Page)
    assert page.facts["bacon"]["level"] == "household"
    assert math.isclose(page.tables["bacon"]["weight"].sum(), 1.0, rel_tol=1e-9)
    for o in ("log_income", "returned_migrant"):
        for name in ("twfe", "cs", "sa"):
            for stat in ("att", "se", "ci_low", "ci_high"):
                assert f"{o}_{name}_{stat}" in page.numbers
        assert f"text_{o}_planted_att" in page.numbers
        assert f"honest_{o}_pretrend_p" in page.numbers
    comparison = page.tables["comparison"]
    cs = comparison[comparison["Estimator"] == pe.ESTIMATOR_LABELS["cs"]]
    assert page.numbers["log_income_cs_att"] == cs["Estimate"].iloc[0]
    assert page.numbers["text_n_households"] == 1500
    assert (
        page.numbers["text_n_treated_households"] + page.numbers["text_n_never_households"] == 1500
    )
    assert all(math.isfinite(v) for v in page.numbers.values())
    assert all(page.tolerances[k] == 1e-6 for k, v in page.numbers.items() if isinstance(v, float))
    passages = page.render("policy_evaluation")
    assert {"intro_md", "estimates_md", "event_text_md", "bacon_text_md", "claims"} <= set(passages)
    assert page.facts["simulated"]
    claims = pe.claims_table(page, passages)
    assert len(claims) == 2 and not claims.iloc[:, 1].str.contains("\n").any()


@pytest.mark.parametrize(
    ("case", "options"),
    [
        ("liupanshui", {}),
        ("h_county", {}),
        ("liupanshui", {"control": "notyet", "cluster": "household"}),
        ("liupanshui", {"sample": "baseline_bottom40"}),
    ],
)
def test_text_template_renders_for_every_case(case, options):
    # Every placeholder of text/policy_evaluation.md resolves for each case and option.
    page = pe.build(synth.generate(case, seed=4, n=900), case, **options)
    passages = page.render("policy_evaluation")
    assert all(text.strip() for text in passages.values())
    assert f"fig-policy-bacon-{case}" in passages["bacon_text_md"]
    assert len(pe.claims_table(page, passages)) == len(pe.design(case).outcomes)


def test_settings_errors_name_file_and_field(tmp_path):
    import yaml

    raw = yaml.safe_load(pe.SETTINGS.read_text(encoding="utf-8"))
    raw["designs"]["h_county"]["sample"] = "everyone"
    del raw["designs"]["liupanshui"]["outcomes"][1]["unit"]
    bad = tmp_path / "policy_evaluation.yaml"
    bad.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        pe.designs(bad)
    message = str(info.value)
    assert str(bad) in message and "designs.h_county.sample" in message
    assert "designs.liupanshui.outcomes[1].unit" in message


@pytest.mark.slow
def test_template_runs_with_papermill(tmp_path):
    import nbformat
    import papermill

    out = tmp_path / "policy_evaluation.ipynb"
    papermill.execute_notebook(
        str(paths.NOTEBOOKS / "policy_evaluation.ipynb"),
        str(out),
        parameters={"case": "h_county", "n": 2000},
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
    assert {"policy_log_income_cs_att", "policy_log_income_cs_se", "policy_event_fig"} <= names
    assert {"policy_intro_md", "policy_honest_sensitivity", "policy_text_n_households"} <= names
    assert nested <= names


def test_sensitivity_table_matches_the_honest_functions_and_cs_equals_sa():
    # h_county: balanced panel, never-treated comparison, no covariates.
    data = synth.generate("h_county", seed=7, n=3000)
    df = pe.analysis_panel(data, "h_county")
    est = pe.estimate_outcome(df, "h_county", "log_income")
    assert est.cs.base_period == "universal"
    # With only never-treated comparisons, no covariates and a balanced panel, Callaway-
    # Sant'Anna (universal base) and Sun-Abraham give the same event-time point estimates.
    cs = est.cs.dynamic.set_index("event_time")["att"]
    sa = est.sa.dynamic.set_index("event_time")["att"]
    pd.testing.assert_series_equal(cs, sa.loc[cs.index], check_names=False, atol=1e-10)
    # The universal base leaves the joint pre-trend test unchanged.
    varying = panel.staggered_did(
        df, "log_income", "household_id", "year", "first_treated", cluster="village_id"
    )
    assert est.cs.pretrend_pvalue == pytest.approx(varying.pretrend_pvalue, rel=1e-9)
    tab = pe.sensitivity_table([est])
    assert len(tab) == 6
    assert set(tab["estimator"]) == {"twfe", "cs", "sa"}
    row = tab.query("estimator == 'cs' and target == 'average'").iloc[0]
    direct = honest.staggered_sensitivity(est.cs, "average", mbars=(1.0,))
    assert row["estimate"] == pytest.approx(direct.estimate)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(direct.original)
    if math.isnan(direct.breakdown):
        assert math.isnan(row["breakdown"]) and row["status"] == "insignificant"
    else:
        assert row["breakdown"] == pytest.approx(direct.breakdown)
    # Insignificant rows have no breakdown value; significant ones have one in [0, 10].
    sig = tab["status"] != "insignificant"
    assert tab.loc[~sig, "breakdown"].isna().all()
    assert tab.loc[sig, "breakdown"].between(0, pe.SENSITIVITY_MBAR_MAX).all()


def test_sensitivity_numbers_are_finite_and_facts_say_when_cs_equals_sa():
    data = synth.generate("h_county", seed=7, n=3000)
    page = pe.build(data, "h_county")
    honest = {k: v for k, v in page.numbers.items() if k.startswith("honest_")}
    assert honest["honest_mbar"] == pe.SENSITIVITY_MBAR
    assert honest["honest_mbar_max"] == pe.SENSITIVITY_MBAR_MAX
    assert all(math.isfinite(v) for v in honest.values())
    assert page.facts["never"] and page.facts["balanced"] and not page.facts["covariates"]
    # CS (universal base) and SA coincide here: the gap the text reports is ~0.
    assert honest["honest_log_income_cs_sa_max_gap"] < 1e-8
    rows = page.facts["outcomes"][0]["rows"]
    assert set(rows) == {f"{k}_{t}" for k in ("twfe", "cs", "sa") for t in ("first", "average")}
    passages = page.render("policy_evaluation")
    assert {"honest_sensitivity", "honest_coincide"} <= set(passages)


def test_estimates_and_counts_print_as_the_page_always_printed_them():
    # fixed2/fixed3 print like Python's ".2f"/".3f" (ASCII hyphen, no thousands separator);
    # plain prints whole numbers and years without separators.
    from cases.present.text import FORMATS

    assert FORMATS["fixed3"](-0.0094) == "-0.009" == format(-0.0094, ".3f")
    assert FORMATS["fixed2"](1234.567) == "1234.57"
    assert FORMATS["fixed3"](float("nan")) == "n/a"
    assert FORMATS["plain"](2012) == "2012" and FORMATS["plain"](np.int64(6000)) == "6000"


def test_h_county_baseline_covariates_join_and_keep_the_planted_effect():
    # covariates="baseline" adds household size and official connection from the households
    # table (one value per household); the adjusted estimators still find the planted 0.04,
    # and specification_estimate gives exactly the page's numbers.
    data = synth.generate("h_county", seed=5, n=40000)
    df = pe.analysis_panel(data, "h_county", covariates="baseline")
    hh = data["households"].set_index("household_id")
    for col in ("household_size", "official_connection"):
        assert (df[col].to_numpy() == hh.loc[df["household_id"], col].to_numpy()).all()
    adjust = pe.design("h_county").baseline_covariates
    est = pe.estimate_outcome(df, "h_county", "log_income", covariates=adjust)
    for key in ("twfe", "cs", "sa"):
        assert abs(est.summary.loc[key, "att"] - 0.04) < 0.035
        one = pe.specification_estimate(df, "h_county", "log_income", key, covariates=adjust)
        assert one["att"] == pytest.approx(est.summary.loc[key, "att"], abs=1e-12)
        assert one["pvalue"] == pytest.approx(est.summary.loc[key, "pvalue"], abs=1e-12)


def test_baseline_covariates_refused_where_the_design_has_none():
    data = synth.generate("liupanshui", seed=3, n=300)
    with pytest.raises(ParameterError, match="declares no baseline_covariates"):
        pe.analysis_panel(data, "liupanshui", covariates="baseline")
    with pytest.raises(ParameterError, match="covariates must be one of"):
        pe.analysis_panel(data, "liupanshui", covariates="all")
