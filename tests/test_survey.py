"""Tests for cases.methods.survey: instruments, reliability, scores, group comparisons, ordered
logit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cases.core.errors import DataValidationError, ParameterError
from cases.methods.survey import (
    compare_groups,
    corrected_item_total,
    cronbach_alpha,
    item_analysis,
    list_instruments,
    load_instrument,
    mcdonald_omega,
    one_factor_ml,
    ordered_logit,
    reliability_table,
    scale_scores,
)


def exact_cov_data(target: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Data whose *sample* covariance (ddof=1) equals ``target`` exactly (up to rounding)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, target.shape[0]))
    z -= z.mean(axis=0)
    lz = np.linalg.cholesky(np.cov(z, rowvar=False))
    lt = np.linalg.cholesky(target)
    return z @ np.linalg.inv(lz).T @ lt.T


# ------------------------------------------------------------------------------------------
# Shipped instruments
# ------------------------------------------------------------------------------------------


def test_shipped_instruments_load_and_cover_the_cases():
    names = list_instruments()
    assert {"good_governance", "gov_people_interaction", "endogenous_motivation"} <= set(names)
    gg = load_instrument("good_governance")
    dims = {
        "rule_of_law",
        "fairness",
        "transparency",
        "responsiveness",
        "participation",
        "effectiveness",
        "accountability",
        "integrity",
    }
    scales = {s.id: s for s in gg.scales}
    assert dims <= set(scales)
    assert all(len(scales[d].items) >= 3 for d in dims)
    assert scales["perceived_effectiveness"].kind == "outcome"
    assert gg.roles == [
        "township_official",
        "first_secretary",
        "village_official",
        "poor_household",
    ]
    inter = load_instrument("gov_people_interaction")
    assert {
        "propaganda_communication",
        "project_assistance",
        "internet_interaction",
        "party_group_organisation",
        "satisfaction",
        "confidence",
    } <= {s.id for s in inter.scales}
    assert inter.item_range("prop_1") == (0, 4)
    assert inter.item_range("sat_1") == (1, 5)
    motiv = load_instrument("endogenous_motivation")
    assert set(motiv.cases) == {"w_town", "h_county", "pingliang"}
    for inst in (gg, inter, motiv):
        for item in inst.items:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in item.zh), item.id
            assert item.en.isascii(), item.id


def _write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _mini_doc() -> dict:
    return {
        "id": "mini",
        "title_en": "t",
        "title_zh": "t",
        "cases": ["x"],
        "provenance": "test",
        "response": {"min": 1, "max": 5},
        "items": [{"id": "a", "en": "A", "zh": "甲"}, {"id": "b", "en": "B", "zh": "乙"}],
        "scales": [{"id": "s", "label_en": "S", "label_zh": "S", "items": ["a", "b"]}],
    }


def test_reverse_item_not_in_item_list_is_an_error(tmp_path):
    doc = _mini_doc()
    doc["scales"][0]["reverse"] = ["c"]
    path = _write(tmp_path, doc)
    with pytest.raises(DataValidationError) as exc:
        load_instrument(path)
    msg = str(exc.value)
    assert str(path) in msg
    assert "scales.s.reverse: undefined item(s) ['c']" in msg


def test_scale_item_undefined_is_an_error(tmp_path):
    doc = _mini_doc()
    doc["scales"][0]["items"] = ["a", "zz"]
    with pytest.raises(
        DataValidationError, match=r"scales\.s\.items: undefined item\(s\) \['zz'\]"
    ):
        load_instrument(_write(tmp_path, doc))


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.pop("provenance"), "provenance: Field required"),
        (lambda d: d["items"][1].pop("zh"), r"items\[1\].zh"),
        (lambda d: d["response"].update(max=1), "response"),
        (lambda d: d.update(colour="red"), "colour: Extra inputs"),
        (lambda d: d.update(missing_codes=[3]), "missing_codes: 3 is a valid answer"),
    ],
)
def test_malformed_instrument_names_field(tmp_path, mutate, field):
    doc = _mini_doc()
    mutate(doc)
    with pytest.raises(DataValidationError, match=field.replace(".", r"\.")):
        load_instrument(_write(tmp_path, doc))


def test_missing_instrument_file_lists_available():
    with pytest.raises(DataValidationError, match=r"available: .*good_governance"):
        load_instrument("no_such_instrument")


# ------------------------------------------------------------------------------------------
# Cronbach's alpha: published examples, identities, simulation
# ------------------------------------------------------------------------------------------


def test_alpha_published_tutorial_example():
    # GeeksforGeeks, "How to Calculate Cronbach's Alpha in R" (sample_data with var1..var3,
    # 11 respondents): ltm::cronbach.alpha reports alpha = 0.231.
    data = pd.DataFrame(
        {
            "var1": [1, 2, 1, 2, 1, 2, 1, 3, 3, 1, 4],
            "var2": [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3],
            "var3": [2, 1, 3, 1, 2, 3, 3, 4, 4, 2, 1],
        }
    )
    assert cronbach_alpha(data) == pytest.approx(0.231, abs=5e-4)


def test_alpha_and_alpha_if_deleted_statsbase_example():
    # StatsBase.jl documentation, `cronbachalpha` doctest: covariance matrix
    # [10 6 6 6; 6 11 6 6; 6 6 12 6; 6 6 6 13] gives alpha 0.8136 and alpha if item dropped
    # 0.7500, 0.7606, 0.7714, 0.7826.
    cov = np.array([[10, 6, 6, 6], [6, 11, 6, 6], [6, 6, 12, 6], [6, 6, 6, 13]], dtype=float)
    items = pd.DataFrame(exact_cov_data(cov, n=50, seed=1), columns=list("abcd"))
    assert cronbach_alpha(items) == pytest.approx(0.8136, abs=5e-5)
    table = item_analysis(items)
    np.testing.assert_allclose(
        table["alpha_if_deleted"], [0.7500, 0.7606, 0.7714, 0.7826], atol=5e-5
    )
    # corrected item-total r from the same matrix: cov(a, b+c+d) / sqrt(var a * var(b+c+d))
    expected_r = [
        18 / np.sqrt(10 * (11 + 12 + 13 + 6 * 6)),
        18 / np.sqrt(11 * (10 + 12 + 13 + 36)),
        18 / np.sqrt(12 * (10 + 11 + 13 + 36)),
        18 / np.sqrt(13 * (10 + 11 + 12 + 36)),
    ]
    np.testing.assert_allclose(corrected_item_total(items), expected_r, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(5, 30), st.integers(2, 6)), elements=st.integers(1, 5))
)
def test_alpha_equals_hoyt_anova_reliability(x):
    # Hoyt (1941), Psychometrika 6: alpha = 1 - MS_residual / MS_persons in the persons x items
    # two-way ANOVA without replication.  Computed here from sums of squares, independently.
    x = x.astype(float)
    n, k = x.shape
    grand = x.mean()
    ss_persons = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_items = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_resid = ((x - grand) ** 2).sum() - ss_persons - ss_items
    ms_persons = ss_persons / (n - 1)
    if ms_persons < 1e-9:
        with pytest.raises(ParameterError):
            cronbach_alpha(x)
        return
    hoyt = 1 - (ss_resid / ((n - 1) * (k - 1))) / ms_persons
    assert cronbach_alpha(x) == pytest.approx(hoyt, abs=1e-9)


def test_alpha_recovers_spearman_brown_for_parallel_items():
    # Parallel items x_j = T + e_j, var(T) = 1, var(e_j) = 1.5: inter-item r = 0.4 and
    # alpha = k r / (1 + (k - 1) r) = 6 * 0.4 / 3.0 = 0.8 (Spearman-Brown).
    rng = np.random.default_rng(2024)
    n, k = 20_000, 6
    true = rng.standard_normal((n, 1))
    x = true + rng.normal(scale=np.sqrt(1.5), size=(n, k))
    assert cronbach_alpha(x) == pytest.approx(0.8, abs=0.01)
    assert mcdonald_omega(x) == pytest.approx(0.8, abs=0.01)  # tau-equivalent: omega = alpha


def test_omega_exact_for_one_factor_covariance():
    loadings = np.array([0.9, 0.8, 0.6, 0.4, 0.3])
    uniq = np.array([0.5, 0.4, 0.7, 0.9, 1.2])
    cov = np.outer(loadings, loadings) + np.diag(uniq)
    items = exact_cov_data(cov, n=400, seed=3)
    lam, psi = one_factor_ml(items)
    np.testing.assert_allclose(lam, loadings, atol=2e-3)
    np.testing.assert_allclose(psi, uniq, atol=2e-3)
    theoretical = loadings.sum() ** 2 / (loadings.sum() ** 2 + uniq.sum())  # = 9/12.7
    assert mcdonald_omega(items) == pytest.approx(theoretical, abs=1e-3)
    assert cronbach_alpha(items) < theoretical  # congeneric items: alpha is a lower bound


def test_reliability_errors():
    with pytest.raises(ParameterError, match="at least 2 items"):
        cronbach_alpha(np.ones((10, 1)))
    with pytest.raises(ParameterError, match="zero variance"):
        cronbach_alpha(np.ones((10, 3)))
    with pytest.raises(ParameterError, match="at least 3 items"):
        mcdonald_omega(np.random.default_rng(0).normal(size=(50, 2)))
    with pytest.raises(DataValidationError, match="column 'b' is not numeric"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}))


def test_alpha_uses_complete_cases():
    x = pd.DataFrame({"a": [1, 2, 3, 4, np.nan], "b": [1, 3, 3, 5, 1], "c": [2, 2, 4, 4, 5]})
    assert cronbach_alpha(x) == pytest.approx(cronbach_alpha(x.iloc[:4]))


# ------------------------------------------------------------------------------------------
# Scale scores
# ------------------------------------------------------------------------------------------


def test_scale_scores_half_rule_and_reverse_coding():
    inst = load_instrument("endogenous_motivation")
    data = pd.DataFrame(
        {
            # willingness: will_4 is reverse-keyed (6 - x)
            "will_1": [5, 4, np.nan, np.nan],
            "will_2": [5, 4, 2, np.nan],
            "will_3": [5, np.nan, np.nan, np.nan],
            "will_4": [1, 2, 4, 3],
            "eff_1": [1, 1, 1, 1],
            "eff_2": [2, 2, 2, 2],
            "eff_3": [3, 3, 3, 3],
            "dep_1": [1, 1, 1, 1],
            "dep_2": [1, 1, 1, 1],
            "dep_3": [1, 1, 1, 1],
        }
    )
    scores = scale_scores(data, inst)
    # row 0: (5+5+5+5)/4; row 1: 3 of 4 answered (4+4+4)/3; row 2: 2 of 4 = half -> (2+2)/2;
    # row 3: 1 of 4 < half -> NaN
    np.testing.assert_allclose(scores["willingness"], [5.0, 4.0, 2.0, np.nan])
    np.testing.assert_allclose(scores["self_efficacy"], [2.0] * 4)
    strict = scale_scores(data, inst, min_share_answered=1.0, scales=["willingness"])
    np.testing.assert_allclose(strict["willingness"], [5.0, np.nan, np.nan, np.nan])


def test_scale_scores_reject_bad_input():
    inst = load_instrument("endogenous_motivation")
    data = pd.DataFrame({i: [3] for i in inst.item_ids})
    data.loc[0, "will_2"] = 8
    with pytest.raises(DataValidationError, match="column 'will_2': 1 value"):
        scale_scores(data, inst)
    with pytest.raises(DataValidationError, match="column 'dep_3': missing"):
        scale_scores(data.drop(columns="dep_3").assign(will_2=3), inst)
    with pytest.raises(ParameterError, match="min_share_answered"):
        scale_scores(data, inst, min_share_answered=0)
    with pytest.raises(KeyError, match="no scale 'nope'"):
        scale_scores(data.assign(will_2=3), inst, scales=["nope"])


def test_reliability_table_applies_reverse_coding():
    # Simulate good-governance items from one factor per scale; reverse-keyed items are
    # generated reversed, so only correct reverse-coding restores a high alpha.
    inst = load_instrument("good_governance")
    rng = np.random.default_rng(11)
    n = 3000
    data = {}
    for s in inst.scales:
        factor = rng.standard_normal(n)
        for item in s.items:
            latent = factor + rng.normal(scale=0.7, size=n)
            code = np.clip(np.round(3 + 1.1 * latent), 1, 5)
            data[item] = 6 - code if item in s.reverse else code
    table = reliability_table(pd.DataFrame(data), inst).set_index("scale")
    assert "perceived_effectiveness" not in table.index  # single item: no alpha
    assert (table["alpha"] > 0.7).all()
    assert (table["omega"] > 0.7).all()


# ------------------------------------------------------------------------------------------
# Group comparisons
# ------------------------------------------------------------------------------------------


def _three_groups(seed: int, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    means = {"poor_household": 0.0, "village_official": 0.0, "township_official": 1.0}
    return pd.DataFrame(
        [{"role": g, "score": rng.normal(m, 1.0)} for g, m in means.items() for _ in range(n)]
    )


@pytest.mark.parametrize("method", ["anova", "kruskal"])
def test_compare_groups_recovers_planted_difference(method):
    data = _three_groups(5)
    omnibus, pairwise = compare_groups(data, "score", "role", method=method)
    assert omnibus.loc[0, "p"] < 1e-10
    # Means 0, 0, 1 with unit variance: eta^2 = (2/9) / (1 + 2/9) = 0.1818.
    assert omnibus.loc[0, "effect_size"] == pytest.approx(2 / 11, abs=0.04)
    rejected = {frozenset((r.group_1, r.group_2)) for r in pairwise.itertuples() if r.reject}
    assert rejected == {
        frozenset(("poor_household", "township_official")),
        frozenset(("township_official", "village_official")),
    }
    assert (pairwise["p_adjusted"] >= pairwise["p"]).all()


def test_compare_groups_null_controls_false_positives():
    rng = np.random.default_rng(9)
    hits = 0
    for _ in range(40):
        data = pd.DataFrame({"g": np.repeat(list("abcd"), 25), "y": rng.normal(size=100)})
        _, pairwise = compare_groups(data, "y", "g", method="kruskal")
        hits += bool(pairwise["reject"].any())
    assert hits <= 6  # family-wise error 5 % -> expect about 2 of 40


def test_compare_groups_errors():
    data = _three_groups(1, n=5)
    with pytest.raises(ParameterError, match="column 'nope'"):
        compare_groups(data, "nope", "role")
    with pytest.raises(ParameterError, match="method"):
        compare_groups(data, "score", "role", method="t")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="at least 2 groups"):
        compare_groups(data.assign(role="x"), "score", "role")


# ------------------------------------------------------------------------------------------
# Ordered logit
# ------------------------------------------------------------------------------------------


def test_ordered_logit_recovers_planted_coefficients():
    rng = np.random.default_rng(42)
    n = 4000
    exposure = rng.normal(size=n)
    income = rng.normal(size=n)
    role = rng.choice(["poor_household", "village_official"], size=n)
    latent = (
        0.8 * exposure - 0.5 * income + 0.6 * (role == "village_official") + rng.logistic(size=n)
    )
    satisfaction = np.digitize(latent, [-1.0, 0.5, 2.0]) + 1  # codes 1..4
    data = pd.DataFrame(
        {"satisfaction": satisfaction, "exposure": exposure, "income": income, "role": role}
    )
    data.loc[:9, "income"] = np.nan
    table = ordered_logit(data, "satisfaction", ["exposure", "income", "role"]).set_index("term")
    assert table.loc["exposure", "estimate"] == pytest.approx(0.8, abs=0.1)
    assert table.loc["income", "estimate"] == pytest.approx(-0.5, abs=0.1)
    assert table.loc["role_village_official", "estimate"] == pytest.approx(0.6, abs=0.15)
    assert table.loc["1/2", "estimate"] == pytest.approx(-1.0, abs=0.15)  # first threshold
    row = table.loc["exposure"]
    assert row["ci_low"] < 0.8 < row["ci_high"]
    assert row["odds_ratio"] == pytest.approx(np.exp(row["estimate"]))
    assert table.attrs["n_dropped"] == 10
    assert list(table.columns) == ["estimate", "se", "ci_low", "ci_high", "z", "p", "odds_ratio"]


def test_ordered_logit_errors():
    data = pd.DataFrame({"y": [1, 2] * 20, "x": np.arange(40.0)})
    with pytest.raises(ParameterError, match="2 categories"):
        ordered_logit(data, "y", ["x"])
    with pytest.raises(ParameterError, match=r"\['z'\] not in data"):
        ordered_logit(data, "y", ["z"])
