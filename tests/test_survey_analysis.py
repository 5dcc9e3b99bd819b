"""Tests for cases.pages.survey_analysis: hand-checked building blocks, planted effects, a smoke
run."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.pages import survey_analysis
from cases.pages.survey_analysis import annual_log_growth, group_gap, group_means, ols_table
from cases.simulate import synth

# --------------------------------------------------------------------------- building blocks


def test_group_gap_two_by_two_by_hand():
    # Two groups x two scales. Officials: a = [4, 5, 3] (mean 4, var 1), b = [2, 2, 5] (mean 3,
    # var 3). Poor households: a = [3, 2] (mean 2.5, var 0.5), b = [4, 4] (mean 4, var 0).
    # Gap a = 4 - 2.5 = 1.5, se = sqrt(1/3 + 0.5/2) = sqrt(7/12) = 0.763763...
    # Welch df = (1/3 + 1/4)^2 / ((1/3)^2/2 + (1/4)^2/1) = (49/144) / (1/18 + 1/16)
    #          = (49/144) / (17/144) = 49/17 = 2.882353...
    scores = pd.DataFrame(
        {
            "group": ["off", "off", "off", "poor", "poor"],
            "a": [4, 5, 3, 3, 2],
            "b": [2, 2, 5, 4, 4],
        }
    )
    gap = group_gap(scores, ["a", "b"], "group", ["off"], ["poor"]).set_index("scale")
    assert gap.loc["a", "gap"] == pytest.approx(1.5)
    assert gap.loc["a", "se"] == pytest.approx(math.sqrt(7 / 12))
    assert gap.loc["a", "df"] == pytest.approx(49 / 17)
    # Scale b: gap 3 - 4 = -1; the reference has zero variance, so se = sqrt(3/3) = 1, df = 2.
    assert gap.loc["b", "gap"] == pytest.approx(-1.0)
    assert gap.loc["b", "se"] == pytest.approx(1.0)
    assert gap.loc["b", "df"] == pytest.approx(2.0)
    # 95% interval: -1 +/- t_{0.975, 2} * 1, with t_{0.975, 2} = 4.302653 (standard t table).
    assert gap.loc["b", "ci_low"] == pytest.approx(-1 - 4.302653, abs=1e-5)
    assert gap.loc["b", "ci_high"] == pytest.approx(-1 + 4.302653, abs=1e-5)


def test_group_means_t_interval_by_hand():
    # [1, 2, 3, 4, 5]: mean 3, sd sqrt(2.5); half-width t_{0.975, 4} sd / sqrt(5) with
    # t_{0.975, 4} = 2.776445 (standard t table) -> 2.776445 * 0.707107 = 1.963243.
    scores = pd.DataFrame({"g": ["x"] * 5 + ["y"] * 2, "s": [1, 2, 3, 4, 5, 1, 1]})
    means = group_means(scores, ["s"], "g", order=["x", "y"]).set_index("group")
    assert means.loc["x", "mean"] == 3
    assert means.loc["x", "ci_low"] == pytest.approx(3 - 1.963243, abs=1e-5)
    assert means.loc["y", "sd"] == 0 and means.loc["y", "ci_high"] == 1


def test_group_gap_rejects_overlap_and_tiny_groups():
    scores = pd.DataFrame({"g": ["a", "a", "b"], "s": [1.0, 2.0, 3.0]})
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
    n=st.integers(5, 40),
)
def test_ols_recovers_an_exact_line(a, b, n):
    # Property: with y exactly a + b x, OLS returns a and b (residual-free fit).
    x = np.linspace(1, 5, n)
    frame = pd.DataFrame({"x": x, "y": a + b * x})
    table = ols_table(frame, "y", ["x"]).set_index("term")
    assert table.loc["const", "estimate"] == pytest.approx(a, abs=1e-8)
    assert table.loc["x", "estimate"] == pytest.approx(b, abs=1e-8)


# --------------------------------------------------------------------------- planted effects


@pytest.fixture(scope="module")
def shandong():
    data = synth.generate("shandong_a_town", seed=11, n=3000)
    return data, survey_analysis.run("shandong_a_town", data)


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
    res = survey_analysis.run("liupanshui", data)
    for outcome, name in (("sat_1", "satisfaction_logit"), ("conf_1", "confidence_logit")):
        est = res.model[res.model["outcome"] == outcome].set_index("term")["estimate"]
        for channel, beta in data.meta["planted_effects"][name].items():
            assert est[channel] == pytest.approx(beta, abs=0.15), (outcome, channel)


def test_motivation_growth_recovers_planted_slope_and_nulls():
    data = synth.generate("w_town", seed=3, n=1500)
    res = survey_analysis.run("w_town", data)
    m = res.model.set_index("term")
    kappa = data.meta["planted_effects"]["income_growth_per_willingness_point"]
    assert m.loc["willingness", "estimate"] == pytest.approx(kappa, abs=0.005)
    # Nothing else drives growth in the DGP: the other facets' intervals should cover zero
    # or be tiny.
    assert abs(m.loc["dependence", "estimate"]) < 0.005
    # pingliang: no link planted; the dependence gap by social security is planted.
    data = synth.generate("pingliang", seed=3, n=6000)
    res = survey_analysis.run("pingliang", data)
    will = res.model.set_index("term").loc["willingness"]
    assert abs(will["estimate"]) < 0.01
    gap = res.gap.set_index("scale").loc["dependence", "gap"]
    # Docstring: about 0.8 x 0.5 = 0.4 points.
    assert gap == pytest.approx(
        0.8 * data.meta["planted_effects"]["social_security_dependence_shift"], abs=0.15
    )


def test_results_are_glue_ready(shandong):
    _, res = shandong
    for key, value in res.numbers.items():
        assert key == key.lower() and " " not in key
        assert not isinstance(value, float) or math.isfinite(value)
    used = set()
    import re

    for text in res.markdown.values():
        used |= set(re.findall(r"\{glue:text\}`survey_([a-z0-9_]+)", text))
    assert used <= set(res.numbers), used - set(res.numbers)
    assert list(res.claims.columns) == [
        "What the thesis reported",
        "What this analysis shows",
        "What would be needed to test it with field data",
    ]


def test_unknown_case_and_field_data_wording(tmp_path):
    data = synth.generate("h_county", seed=2, n=800)
    with pytest.raises(ParameterError, match="no survey design"):
        survey_analysis.run("nowhere", data)
    data.meta["simulated"] = False
    res = survey_analysis.run("h_county", data, source="field data in /x")
    assert "planted" not in " ".join(res.markdown.values())
    assert "In these data" in res.claims.iloc[0, 1]


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
