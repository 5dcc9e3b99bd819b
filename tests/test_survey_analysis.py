"""Tests for cases.pages.survey_analysis: hand-checked building blocks, planted effects, the
page's numbers and facts, its text template for every case, its settings file, a smoke run."""

from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.core.files import load_yaml, read_yaml, validate
from cases.pages import survey_analysis
from cases.pages.survey_analysis import annual_log_growth, group_gap, group_means, ols_table
from cases.present.text import FORMATS, render_blocks
from cases.simulate import synth

NOTEBOOK = paths.NOTEBOOKS / "survey_analysis.ipynb"

# --------------------------------------------------------------------------- building blocks


def _two_groups(n_clusters: int, per_cluster: int = 4, seed: int = 0) -> pd.DataFrame:
    """Scores of officials and poor households in ``n_clusters`` villages with a village
    effect, so clustering matters (two respondents of each group per village)."""
    rng = np.random.default_rng(seed)
    village = np.repeat(np.arange(n_clusters), per_cluster)
    group = np.tile(["off", "off", "poor", "poor"], n_clusters)[: village.size]
    effect = rng.normal(0, 1, n_clusters)[village]
    a = 3 + 0.5 * (group == "off") + effect + rng.normal(0, 0.5, village.size)
    return pd.DataFrame({"group": group, "village_id": village, "a": a, "b": -a})


def test_group_gap_is_the_clustered_ols_of_the_inference_rule():
    from cases.methods import inference

    for g, method in ((40, "CR1, t(39)"), (12, "wild cluster bootstrap")):
        scores = _two_groups(g)
        gap = group_gap(scores, ["a", "b"], "group", ["off"], ["poor"]).set_index("scale")
        frame = scores.assign(focal=(scores["group"] == "off").astype(float))
        ref = inference.clustered_ols(frame, "a", ["focal"], "village_id").iloc[0]
        row = gap.loc["a"]
        # The gap is the difference in means, its interval that of clustered_ols.
        means = scores.groupby("group")["a"].mean()
        assert row["gap"] == pytest.approx(means["off"] - means["poor"])
        assert row["gap"] == pytest.approx(ref["estimate"])
        assert (row["se"], row["ci_low"], row["ci_high"], row["p"]) == (
            ref["std_error"],
            ref["conf_low"],
            ref["conf_high"],
            ref["p_value"],
        )
        assert row["n_clusters"] == g and row["method"].startswith(method)
        assert gap.loc["b", "gap"] == pytest.approx(-row["gap"])
    # The Welch interval ignores the villages; the clustered one is another interval.
    from scipy import stats as sps

    off, poor = (scores.loc[scores["group"] == k, "a"] for k in ("off", "poor"))
    welch = sps.ttest_ind(off, poor, equal_var=False).confidence_interval(0.95)
    assert not np.isclose(welch.low, row["ci_low"])
    with pytest.raises(ParameterError, match="at least 10 clusters, got 9"):
        group_gap(_two_groups(9), ["a"], "group", ["off"], ["poor"])


def test_group_means_clustered_interval_by_hand():
    # 40 respondents, each its own village (G = N = 40 >= 30: CR1). Group x: [1..5] x 4 (mean 3,
    # sum of squared deviations 40); group y: [2, 4] x 10 (mean 3, SS 20). The means are the
    # coefficients of the group dummies (K = 2); CR1 variance of x:
    # G/(G-1) (N-1)/(N-K) SS / n^2 = 40/38 x 40 / 400 = 0.105263, se 0.324443;
    # half-width t_{0.975, 39} se = 2.022691 x 0.324443 = 0.656245 (standard t table).
    scores = pd.DataFrame(
        {
            "g": ["x"] * 20 + ["y"] * 20,
            "s": [1, 2, 3, 4, 5] * 4 + [2, 4] * 10,
            "village_id": np.arange(40),
        }
    )
    means = group_means(scores, ["s"], "g", order=["x", "y"]).set_index("group")
    assert means.loc["x", "mean"] == pytest.approx(3)
    assert means.loc["x", "ci_low"] == pytest.approx(3 - 0.656245, abs=1e-5)
    assert means.loc["x", "n_clusters"] == 40 and means.loc["x", "method"] == "CR1, t(39)"
    assert means.loc["y", "sd"] == pytest.approx(math.sqrt(20 / 19))
    with pytest.raises(ParameterError, match="at least 10 clusters, got 8"):
        group_means(scores.assign(village_id=np.arange(40) % 8), ["s"], "g")


def test_group_gap_rejects_overlap_and_tiny_groups():
    scores = pd.DataFrame({"g": ["a", "a", "b"], "s": [1.0, 2.0, 3.0], "village_id": [1, 2, 3]})
    with pytest.raises(ParameterError, match="disjoint"):
        group_gap(scores, ["s"], "g", ["a"], ["a"])
    with pytest.raises(ParameterError, match="at least 2"):
        group_gap(scores, ["s"], "g", ["a"], ["b"])
    with pytest.raises(ParameterError, match="not in the scores"):
        group_means(scores, ["nope"], "g")


def test_annual_log_growth_by_hand_and_errors():
    long = pd.DataFrame(
        {
            "household_id": [1, 1, 1, 2, 2],
            "year": [2021, 2022, 2023, 2023, 2021],
            "income_per_capita": [100.0, 120.0, 100.0 * math.e**0.1, 50.0, 50.0],
        }
    )
    g = annual_log_growth(long).set_index("household_id")
    assert g.loc[1, "growth"] == pytest.approx(0.05)  # 0.1 log points over two years
    assert g.loc[2, "growth"] == pytest.approx(0.0)  # unsorted years are sorted first
    bad = long.assign(income_per_capita=[100.0, 0.0, 1.0, 1.0, 1.0])
    with pytest.raises(DataValidationError, match="non-positive"):
        annual_log_growth(bad)
    with pytest.raises(DataValidationError, match="one year"):
        annual_log_growth(long[long["household_id"] == 1].iloc[:1])
    with pytest.raises(DataValidationError, match="duplicated"):
        annual_log_growth(pd.concat([long, long.iloc[:1]]))


@settings(max_examples=30, deadline=None)
@given(
    a=st.floats(-5, 5),
    b=st.floats(-2, 2),
    n=st.integers(30, 60),
)
def test_ols_recovers_an_exact_line(a, b, n):
    # Property: with y exactly a + b x, OLS returns a and b (residual-free fit).
    x = np.linspace(1, 5, n)
    frame = pd.DataFrame({"x": x, "y": a + b * x, "village_id": np.arange(n)})
    table = ols_table(frame, "y", ["x"]).set_index("term")
    assert table.loc["const", "estimate"] == pytest.approx(a, abs=1e-8)
    assert table.loc["x", "estimate"] == pytest.approx(b, abs=1e-8)


def test_ols_table_is_the_clustered_inference_of_the_rule():
    import statsmodels.api as sm

    from cases.methods import inference

    scores = _two_groups(15)
    scores["x"] = np.random.default_rng(1).normal(size=len(scores))
    table = ols_table(scores, "a", ["x"], controls=["group"]).set_index("term")
    exog = sm.add_constant(
        pd.DataFrame({"x": scores["x"], "group_poor": (scores["group"] == "poor").astype(float)})
    )
    ref = inference.cluster_inference(
        sm.OLS(scores["a"], exog), scores["village_id"].to_numpy()
    ).set_index("term")
    for term in ("const", "x", "group_poor"):
        assert table.loc[term, "ci_low"] == ref.loc[term, "conf_low"]
        assert table.loc[term, "se"] == ref.loc[term, "std_error"]
    assert table.loc["x", "method"].startswith("wild cluster bootstrap")
    assert table.attrs["n_clusters"] == 15
    # HC1 (heteroskedasticity-robust, unclustered) gives another standard error.
    hc1 = sm.OLS(scores["a"], exog).fit(cov_type="HC1").bse["group_poor"]
    assert not np.isclose(hc1, table.loc["group_poor", "se"])


# --------------------------------------------------------------------------- planted effects


@pytest.fixture(scope="module")
def shandong():
    data = synth.generate("shandong_a_town", seed=11, n=3000)
    return data, survey_analysis.analyse("shandong_a_town", data)


def test_role_gap_recovers_planted_shift(shandong):
    data, res = shandong
    meta = data.meta
    shift = meta["planted_effects"]["role_shift"]
    w = meta["parameters"]["officials_per_poor_respondent"]
    pooled = sum(shift[r] * w[r] for r in w) / sum(w.values())
    # The generator docstring: gap ~ mean loading x latent shift, before rounding/clipping
    # (which attenuate a little). 0.7 x 0.6 = 0.42 with the YAML values.
    expected = float(np.mean(meta["parameters"]["item_loadings"])) * pooled
    assert (res.gap["gap"] > 0).all()
    assert res.gap["gap"].mean() == pytest.approx(expected, abs=0.08)
    assert (res.gap["ci_low"] > 0).all()


def test_effectiveness_logit_recovers_planted_slopes(shandong):
    data, res = shandong
    planted = data.meta["planted_effects"]["effectiveness_logit"]
    est = res.model.set_index("term")["estimate"]
    for dim, beta in planted.items():
        assert est[dim] == pytest.approx(beta, abs=0.2), dim
    assert est.idxmax() in ("rule_of_law", "fairness")


def test_interaction_logits_recover_planted_slopes():
    data = synth.generate("liupanshui", seed=5, n=4000)
    res = survey_analysis.analyse("liupanshui", data)
    for outcome, name in (("sat_1", "satisfaction_logit"), ("conf_1", "confidence_logit")):
        est = res.model[res.model["outcome"] == outcome].set_index("term")["estimate"]
        for channel, beta in data.meta["planted_effects"][name].items():
            assert est[channel] == pytest.approx(beta, abs=0.15), (outcome, channel)


def test_motivation_growth_recovers_planted_slope_and_nulls():
    data = synth.generate("w_town", seed=3, n=1500)
    res = survey_analysis.analyse("w_town", data)
    m = res.model.set_index("term")
    kappa = data.meta["planted_effects"]["income_growth_per_willingness_point"]
    assert m.loc["willingness", "estimate"] == pytest.approx(kappa, abs=0.005)
    # Nothing else drives growth in the DGP: the other facets' intervals should cover zero
    # or be tiny.
    assert abs(m.loc["dependence", "estimate"]) < 0.005
    # pingliang: no link planted; the dependence gap by social security is planted.
    data = synth.generate("pingliang", seed=3, n=6000)
    res = survey_analysis.analyse("pingliang", data)
    will = res.model.set_index("term").loc["willingness"]
    assert abs(will["estimate"]) < 0.01
    gap = res.gap.set_index("scale").loc["dependence", "gap"]
    # Docstring: about 0.8 x 0.5 = 0.4 points.
    assert gap == pytest.approx(
        0.8 * data.meta["planted_effects"]["social_security_dependence_shift"], abs=0.15
    )


# --------------------------------------------------------------------------- the page


@pytest.fixture(scope="module")
def shandong_page(shandong):
    data, _ = shandong
    page = survey_analysis.build("shandong_a_town", data)
    plt.close("all")
    return page


def test_page_numbers_are_glue_ready_and_verified_to_1e6(shandong_page):
    page = shandong_page
    for key, value in page.numbers.items():
        assert key == key.lower() and " " not in key
        assert isinstance(value, bool | int | float), key  # plain Python numbers, no numpy
        assert not isinstance(value, float) or math.isfinite(value)
    floats = {k for k, v in page.numbers.items() if isinstance(v, float)}
    assert floats and page.tolerances == dict.fromkeys(floats, 1e-6)
    assert set(page.figures) == {"groups_fig", "model_fig"}
    assert {"reliability", "means", "gap", "model"} <= set(page.tables)


def test_page_numbers_are_the_estimates(shandong, shandong_page):
    _, res = shandong
    page = shandong_page
    gap = res.gap.set_index("scale")
    largest = gap["gap"].abs().idxmax()
    assert page.numbers["gap_largest"] == gap.loc[largest, "gap"]
    assert page.facts["gap_largest_scale"] == res.instrument.scale(largest).label_en
    assert page.numbers["gap_n_scales"] == len(gap) == 8
    assert page.numbers["gap_n_positive"] == int((gap["gap"] > 0).sum())
    for scale in gap.index:
        assert page.numbers[f"gap_{scale}_ci_low"] == gap.loc[scale, "ci_low"]
    est = res.model.set_index("term")
    top = est["estimate"].idxmax()
    assert page.numbers["effectiveness_top"] == est.loc[top, "estimate"]
    assert page.numbers["effectiveness_top_or"] == pytest.approx(math.exp(est.loc[top, "estimate"]))
    assert page.numbers["coef_effectiveness_fairness"] == est.loc["fairness", "estimate"]
    counts = res.scores["group"].value_counts()
    assert page.numbers["n_respondents"] == len(res.scores) == counts.sum()
    assert page.numbers["n_first_secretary"] == counts["first_secretary"]
    rel = res.reliability
    assert page.numbers["alpha_min"] == rel["alpha"].min()
    assert page.numbers["n_scales"] == len(rel)


def test_planted_numbers_follow_the_simulation(shandong, shandong_page):
    data, _ = shandong
    page, meta = shandong_page, data.meta
    shift = meta["planted_effects"]["role_shift"]
    assert page.numbers["planted_shift_township"] == shift["township_official"]
    assert page.numbers["planted_shift_village"] == shift["village_official"]
    w = meta["parameters"]["officials_per_poor_respondent"]
    pooled = sum(shift[r] * w[r] for r in w) / sum(w.values())
    lam = float(np.mean(meta["parameters"]["item_loadings"]))
    assert page.numbers["planted_gap_expected"] == pytest.approx(lam * pooled)
    planted = meta["planted_effects"]["effectiveness_logit"]
    assert page.numbers["planted_effectiveness_logit_n"] == len(planted) == 8
    assert page.numbers["planted_effectiveness_logit_max"] == max(planted.values())
    outside = page.numbers["planted_effectiveness_logit_n_outside"]
    (slopes,) = page.facts["planted_slopes"]
    assert len(slopes["missed_scales"]) == outside
    assert ("planted_effectiveness_logit_p_any_miss" in page.numbers) == (outside > 0)
    assert page.facts["planted_gap"] == "role_shift" and page.facts["simulated"]


def test_pingliang_planted_gap_uses_the_item_loading_of_the_settings():
    data = synth.generate("pingliang", seed=4, n=800)
    page = survey_analysis.build("pingliang", data)
    plt.close("all")
    shift = data.meta["planted_effects"]["social_security_dependence_shift"]
    loading = survey_analysis.design("pingliang").planted_gap.loading
    assert page.numbers["planted_shift_dependence"] == shift
    assert page.numbers["planted_gap_expected"] == pytest.approx(loading * shift)
    assert loading == 0.8
    # no planted income link in pingliang: the growth fact says so and no number is made up
    assert not page.facts["growth_planted"] and "planted_growth_per_point" not in page.numbers
    # incomes come from the wide household table: 2014 and 2019
    assert (page.facts["income_first_year"], page.facts["income_last_year"]) == (2014, 2019)


def test_unknown_case_and_field_data_facts():
    data = synth.generate("h_county", seed=2, n=800)
    with pytest.raises(ParameterError, match="no survey design"):
        survey_analysis.build("nowhere", data)
    data.meta["simulated"] = False
    page = survey_analysis.build("h_county", data, source="field data in /x")
    plt.close("all")
    # Field data: nothing planted is reported, and every sentence takes the field-data branch.
    assert not page.facts["simulated"]
    assert not [k for k in page.numbers if k.startswith("planted_")]
    assert not page.facts["growth_planted"]
    passages = page.render("survey_analysis")
    table = survey_analysis.claims_table(page, passages)
    assert len(table) == 2  # growth, and the registered-motivation gap


def test_villages_come_from_households_and_without_them_nothing_is_reported():
    # h_county's motivation table has no village_id: it is mapped through household_id.
    data = synth.generate("h_county", seed=2, n=800)
    assert "village_id" not in data["motivation"].columns
    res = survey_analysis.analyse("h_county", data)
    villages = data["households"].set_index("household_id")["village_id"]
    expected = data["motivation"]["household_id"].map(villages).to_numpy()
    assert (res.scores["village_id"].to_numpy() == expected).all()
    assert res.model["n_clusters"].iloc[0] == res.gap["n_clusters"].iloc[0] == 20
    # Own data without any village: a clear refusal, not an unclustered interval.
    data.tables["households"] = data["households"].drop(columns="village_id")
    with pytest.raises(DataValidationError, match="clustered by village"):
        survey_analysis.analyse("h_county", data)
    # Fewer than 10 villages: refused with the number named.
    few = synth.generate("h_county", seed=2, n=800)
    few.tables["households"]["village_id"] = few["households"]["village_id"] % 9
    with pytest.raises(ParameterError, match="got 9"):
        survey_analysis.analyse("h_county", few)


def test_logit_warning_below_30_villages_is_shown_on_the_page():
    # liupanshui with n = 600: 12 villages, so the ordered logits keep CR1 with a warning that
    # the page must print; with n = 2000 (40 villages) there is none.
    data = synth.generate("liupanshui", seed=1, n=600)
    page = survey_analysis.build("liupanshui", data)
    plt.close("all")
    assert page.facts["model_n_clusters"] == page.facts["n_villages"] == 12
    (warning,) = page.facts["model_warnings"]
    assert "only 12 clusters" in warning
    text = page.render("survey_analysis")
    assert f"carry a caution ({warning})." in text["inference_text"]
    assert page.facts["gap_wild"] and "wild cluster bootstrap" in text["inference_text"]
    assert "9,999 replications" in text["inference_text"]
    assert "Welch" not in "".join(text.values())
    big = survey_analysis.build("liupanshui", synth.generate("liupanshui", seed=1, n=2000))
    plt.close("all")
    assert big.facts["model_warnings"] == [] and not big.facts["gap_wild"]
    assert "CR1" in big.render("survey_analysis")["inference_text"]


# --------------------------------------------------------------------------- the text


@pytest.fixture(scope="module")
def pages():
    """The page of every case that runs this analysis, simulated and as field data, and one
    with an unreliable scale."""
    out = {}
    for case in survey_analysis.settings().designs:
        for simulated in (True, False):
            # 800 households: at least 10 villages with respondents in every case (Pingliang's
            # ten villages all hold some; with 600 one may hold none and the page is refused)
            data = synth.generate(case, seed=1, n=800)
            data.meta["simulated"] = simulated
            source = None if simulated else "field data in /x"
            out[case, simulated] = survey_analysis.build(case, data, source=source)
            plt.close("all")
    # Willingness items shuffled across respondents: a scale with alpha below 0.7.
    data = synth.generate("w_town", seed=1, n=600)
    table = data["motivation"]
    rng = np.random.default_rng(0)
    for column in [c for c in table.columns if c.startswith("will_")]:
        table[column] = rng.permutation(table[column].to_numpy())
    out["w_town", "shuffled"] = page = survey_analysis.build("w_town", data)
    plt.close("all")
    assert page.facts["any_alpha_below_07"] and page.numbers["n_alpha_below_07"] >= 1
    return out


def test_text_renders_for_every_case_and_every_glued_key_is_produced(pages):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    used = set(re.findall(r"\{glue:[a-z]+\}[` ](survey_[a-z0-9_]+)", prose))
    assert {"survey_intro", "survey_model_block"} <= used
    for (case, simulated), page in pages.items():
        passages = page.render("survey_analysis")  # an unknown placeholder would raise
        assert all("{{" not in t and "{%" not in t for t in passages.values())
        produced = {f"survey_{k}" for k in [*page.numbers, *passages]}
        produced |= {f"survey_{k}" for k in page.figures}
        assert used <= produced, (case, sorted(used - produced))
        for block in ("intro", "reliability_text", "groups_text", "model_text", "data_text"):
            assert passages[block], (case, simulated, block)
        # one row per claim of the settings file, no cell empty
        table = survey_analysis.claims_table(page, passages)
        assert len(table) == len(survey_analysis.design(case).claims)
        assert table.map(bool).all().all(), case
        cols = survey_analysis.settings().claims_columns
        assert list(table.columns) == [cols.reported, cols.shows, cols.needs]


def test_each_page_shows_its_instrument_in_both_languages(pages):
    # The questionnaire table of each case's page holds every item of the case's instrument
    # file, and the text names the instrument in both languages and says whose wording it is.
    cols = survey_analysis.settings().questionnaire_columns
    for (case, _simulated), page in pages.items():
        name = survey_analysis.settings().designs[case].instrument
        raw = yaml.safe_load(
            (paths.ROOT / "data" / "instruments" / f"{name}.yaml").read_text(encoding="utf-8")
        )
        table = page.tables["questionnaire"]
        assert sorted(table[cols.en]) == sorted(i["en"] for i in raw["items"]), case
        assert sorted(table[cols.zh]) == sorted(i["zh"] for i in raw["items"]), case
        text = page.render("survey_analysis")["questionnaire_text"]
        assert raw["title_en"] in text and raw["title_zh"] in text, case
        assert "the Chinese wording is the compendium's own, not the" in text, case
        assert page.facts["questionnaire_source"] == cols.source


def test_text_renders_under_the_other_branches(pages):
    # Flip every boolean fact (except those whose numbers exist only when true): each sentence
    # variant must still render.
    needs_numbers = {"simulated", "has_omega", "any_alpha_below_07", "growth_planted"}
    for (case, _), page in pages.items():
        flipped = {
            k: (not v) if isinstance(v, bool) and k not in needs_numbers else v
            for k, v in page.facts.items()
        }
        passages = render_blocks("survey_analysis", {**page.numbers, **flipped})
        assert set(passages) == set(page.render("survey_analysis")), case


def test_every_name_the_text_prints_comes_from_some_page(pages):
    # Names printed through a format are numbers or facts of at least one case's page (or
    # loop variables of the template), so no passage depends on a name nothing produces.
    text = (paths.TEXT / "survey_analysis.md").read_text(encoding="utf-8")
    printed = set(re.findall(r"\{\{-?\s*([a-z0-9_]+)\s*\|", text))
    loop_vars = set(re.findall(r"\{%-?\s*for ([a-z0-9_]+) in", text))
    known = set().union(*(page.context() for page in pages.values()))
    assert printed and printed - loop_vars <= known, sorted(printed - loop_vars - known)


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("plain", 2000, "2000"),  # no thousands separator, as the page printed it
        ("fixed2", -0.051, "-0.05"),  # hyphen-minus
        ("fixed3", 0.03, "0.030"),
        ("hyphen_signed1", -0.4, "-0.4"),
        ("hyphen_signed2", 0.0001, "+0.00"),
        ("hyphen_signed3", 0.0312, "+0.031"),
        ("pct0_tight", 0.3366, "34%"),
    ],
)
def test_formats_keep_the_numbers_as_printed_before(name, value, text):
    assert FORMATS[name](value) == text


# --------------------------------------------------------------------------- settings


def test_every_case_that_runs_the_notebook_has_a_design():
    runs = set()
    for path in paths.PARAMS.glob("*.yaml"):
        analyses = read_yaml(path).get("analyses") or []
        if any(a.get("name") == "survey_analysis" for a in analyses):
            runs.add(path.stem)
    # The interview-based theses no longer run this page; their designs stay as test worlds.
    assert runs and runs <= set(survey_analysis.settings().designs)
    for case, plan in survey_analysis.settings().designs.items():
        groups = plan.group_labels
        assert set(plan.focal) | set(plan.reference) <= set(groups), case
        restated = [row.claim for row in plan.claims if row.claim]
        effects = synth.load_params(case)["planted_effects"]
        assert all(c in effects for c in restated), case


def test_a_broken_settings_file_names_the_file_and_the_field(tmp_path):
    raw = read_yaml(survey_analysis.SETTINGS_FILE)
    raw["designs"]["w_town"]["kind"] = "motivations"
    with pytest.raises(DataValidationError, match=r"designs\.w_town\.kind"):
        validate(survey_analysis.SurveySettings, raw, "survey_analysis.yaml")
    raw = read_yaml(survey_analysis.SETTINGS_FILE)
    raw["designs"]["h_county"]["focal"] = ["nobody"]
    with pytest.raises(DataValidationError, match=r"designs\.h_county.*nobody"):
        validate(survey_analysis.SurveySettings, raw, "survey_analysis.yaml")
    raw = read_yaml(survey_analysis.SETTINGS_FILE)
    del raw["designs"]["pingliang"]["planted_gap"]["loading"]
    with pytest.raises(DataValidationError, match=r"designs\.pingliang\.planted_gap.*loading"):
        validate(survey_analysis.SurveySettings, raw, "survey_analysis.yaml")
    missing = tmp_path / "none.yaml"
    with pytest.raises(DataValidationError, match=r"none\.yaml"):
        load_yaml(survey_analysis.SurveySettings, missing)


# --------------------------------------------------------------------------- smoke run


@pytest.mark.slow
def test_template_runs_with_papermill(tmp_path):
    import papermill

    out = tmp_path / "survey.ipynb"
    papermill.execute_notebook(
        str(paths.NOTEBOOKS / "survey_analysis.ipynb"),
        str(out),
        parameters={"case": "liupanshui", "n": 600, "seed": 1},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    assert "survey_groups_fig" in out.read_text(encoding="utf-8")
