"""Simulated field data (cases.simulate.synth): planted effects are recovered by the library, data
are
labelled simulated, output is byte-deterministic, and bad parameters fail clearly.

Expected values come from the YAML parameters (the planted sizes) and closed-form consequences
of the documented data-generating process, never from running the generator and copying output.
"""

from __future__ import annotations

import math
import shutil
from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cases.core.errors import DataValidationError, ParameterError
from cases.core.paths import SYNTH
from cases.data.public_data import load_table
from cases.methods import measures, panel, survey
from cases.simulate import synth

#: Tolerance in standard errors for estimates that report one (about 1 in 15,000 two-sided
#: under normality, so a failure means a real discrepancy, not bad luck of the seed).
Z = 4.0
#: Allowance for the small bias of mean differences of Likert scores from clipping at 1 and 5
#: (about 0.02 for a 0.4-0.6 shift with item SD 1; see the generator docstrings).
CLIP_BIAS = 0.03


@cache
def data(slug: str, n: int, seed: int = 7) -> synth.SimulatedData:
    return synth.generate(slug, seed=seed, n=n)


def planted(slug: str) -> dict:
    raw = yaml.safe_load((SYNTH / f"{slug}.yaml").read_text(encoding="utf-8"))
    return {k: v["value"] for k, v in raw["planted_effects"].items()}


def params(slug: str) -> dict:
    raw = yaml.safe_load((SYNTH / f"{slug}.yaml").read_text(encoding="utf-8"))
    return {k: v["value"] for k, v in raw["parameters"].items()}


# --------------------------------------------------------------------------------------------
# Labelling, schema, round trip, determinism
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", synth.SLUGS)
def test_every_table_is_labelled_simulated_and_matches_its_schema(slug):
    d = synth.generate(slug, seed=1, n=300)
    assert d.meta["simulated"] is True and d.meta["case"] == slug and d.meta["seed"] == 1
    assert set(d.meta["planted_effects"]) == set(planted(slug))
    assert set(d.tables) == set(synth.TABLE_SCHEMAS[slug])
    for name, df in d.tables.items():
        assert df.attrs["simulated"] is True, name
        assert list(df.columns) == [c for c, *_ in synth.TABLE_SCHEMAS[slug][name]], name
        assert len(df) > 0, name


@pytest.mark.parametrize("slug", synth.SLUGS)
def test_write_is_byte_identical_for_a_seed_and_read_round_trips(slug, tmp_path):
    a = synth.write(synth.generate(slug, seed=11, n=250), tmp_path / "a")
    b = synth.write(synth.generate(slug, seed=11, n=250), tmp_path / "b")
    files = sorted(p.name for p in a.iterdir())
    assert files == sorted(p.name for p in b.iterdir())
    assert "metadata.json" in files and not any(f.endswith(".tmp") for f in files)
    for f in files:
        raw = (a / f).read_bytes()
        assert raw == (b / f).read_bytes(), f
        assert b"\r\n" not in raw
    c = synth.write(synth.generate(slug, seed=12, n=250), tmp_path / "c")
    assert any((a / f).read_bytes() != (c / f).read_bytes() for f in files if f.endswith(".csv"))
    original = synth.generate(slug, seed=11, n=250)
    back = synth.read(a)
    assert back.meta == original.meta
    for name, df in original.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], df, check_exact=True)
        assert back.tables[name].attrs["simulated"] is True


def test_read_accepts_a_researchers_folder_and_names_missing_columns(tmp_path):
    folder = synth.write(synth.generate("pingliang", seed=3, n=200), tmp_path / "own")
    (folder / "metadata.json").unlink()
    with pytest.raises(ParameterError, match="case"):
        synth.read(folder)
    # Without metadata the tables' stamp column still says they were generated.
    assert synth.read(folder, case="pingliang").meta["simulated"] is True
    for path in folder.glob("*.csv"):  # a researcher's export has no stamp
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.drop(columns="simulated_by").to_csv(path, index=False)
    own = synth.read(folder, case="pingliang")
    assert own.meta["simulated"] is False
    assert all(df.attrs["simulated"] is False for df in own.tables.values())
    hh = pd.read_csv(folder / "households.csv").drop(columns="labour_capacity")
    hh.to_csv(folder / "households.csv", index=False)
    with pytest.raises(DataValidationError, match=r"households\.csv[\s\S]*'labour_capacity'"):
        synth.read(folder, case="pingliang")


def test_own_data_may_leave_out_the_indicators_but_not_part_of_them(tmp_path):
    folder = synth.write(synth.generate("pingliang", seed=3, n=200), tmp_path / "own")
    hh = pd.read_csv(folder / "households.csv")
    hh.drop(columns=list(synth.INDICATOR_COLUMNS)).to_csv(folder / "households.csv", index=False)
    own = synth.read(folder)
    assert not set(synth.INDICATOR_COLUMNS) & set(own["households"].columns)
    hh.drop(columns="housing_unsafe").to_csv(folder / "households.csv", index=False)
    with pytest.raises(DataValidationError, match=r"'housing_unsafe': missing \(optional group"):
        synth.read(folder)
    # Liupanshui keeps its indicators in their own table, which may be absent.
    lps = synth.write(synth.generate("liupanshui", seed=3, n=200), tmp_path / "lps")
    (lps / "households.csv").unlink()
    assert "households" not in synth.read(lps).tables
    (lps / "panel.csv").unlink()
    with pytest.raises(DataValidationError, match="table 'panel'"):
        synth.read(lps)
    # H County's targeting needs them: there they are required.
    hc = synth.write(synth.generate("h_county", seed=3, n=200), tmp_path / "hc")
    hh = pd.read_csv(hc / "households.csv").drop(columns=list(synth.INDICATOR_COLUMNS))
    hh.to_csv(hc / "households.csv", index=False)
    with pytest.raises(DataValidationError, match=r"'income_below_line': missing\n"):
        synth.read(hc)


# --------------------------------------------------------------------------------------------
# Bad parameters
# --------------------------------------------------------------------------------------------
def test_unknown_slug_and_bad_sizes_are_refused():
    with pytest.raises(ParameterError, match="unknown case slug 'atlantis'"):
        synth.generate("atlantis")
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ParameterError, match="n must be a positive integer"):
            synth.generate("w_town", n=bad)
    with pytest.raises(ParameterError, match="seed"):
        synth.generate("w_town", seed=-1, n=10)


def _broken_copy(tmp_path: Path, slug: str, edit) -> Path:
    raw = yaml.safe_load((SYNTH / f"{slug}.yaml").read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / f"broken_{slug}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (
            lambda r: r["parameters"]["incidence_2014"].update(value=1.7),
            "parameters.incidence_2014.value",
        ),
        (
            lambda r: r["parameters"].pop("households_per_village"),
            "parameters.households_per_village: missing",
        ),
        (
            lambda r: r["parameters"].update(incidense_2014=r["parameters"]["incidence_2014"]),
            "parameters.incidense_2014: unknown",
        ),
        (
            lambda r: r["parameters"]["cohort_shares"]["value"].update(never=0.5),
            "parameters.cohort_shares.value: entries must sum to 1",
        ),
        (
            lambda r: r["planted_effects"]["satisfaction_logit"].pop("claim"),
            "planted_effects.satisfaction_logit.claim: missing",
        ),
        (
            lambda r: r["parameters"]["first_year"].pop("assumed"),
            "parameters.first_year: give exactly one of source",
        ),
        (lambda r: r.update(case="w_town"), "field case"),
    ],
)
def test_malformed_yaml_names_file_and_field(tmp_path, edit, field):
    path = _broken_copy(tmp_path, "liupanshui", edit)
    with pytest.raises(DataValidationError) as err:
        synth.generate("liupanshui", n=20, params_path=path)
    assert path.name in str(err.value) and field in str(err.value)


def test_unparseable_or_missing_yaml(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_text("case: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"x\.yaml[\s\S]*not valid YAML"):
        synth.load_params("h_county", bad)
    with pytest.raises(DataValidationError, match="not found"):
        synth.load_params("h_county", tmp_path / "nope.yaml")


def test_infeasible_planted_inclusion_error_is_refused(tmp_path):
    path = _broken_copy(
        tmp_path, "h_county", lambda r: r["planted_effects"]["inclusion_error"].update(value=0.95)
    )
    with pytest.raises(DataValidationError, match="inclusion_error"):
        synth.generate("h_county", n=2000, params_path=path)


# --------------------------------------------------------------------------------------------
# Calibration and documentation
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", synth.SLUGS)
def test_calibrated_values_equal_the_real_tables(slug):
    raw = synth.load_params(slug)
    checked = 0
    for name, entry in raw["parameters"].items():
        real = entry.get("real")
        if real is None:
            continue
        table = load_table(real["table"])
        if "where" in real:
            mask = pd.Series(True, index=table.index)
            for col, val in real["where"].items():
                mask &= table[col].astype(str) == str(val)
            assert mask.sum() == 1, f"{name}: {real} matches {mask.sum()} rows"
            cell = float(table.loc[mask, real["column"]].iloc[0]) * real.get("scale", 1)
            assert math.isclose(entry["value"], cell, rel_tol=1e-9), name
        else:
            keyed = table.set_index(table[real["key"]].astype(str))[real["column"]]
            for key, val in entry["value"].items():
                cell = keyed[str(key)]
                if val is None:
                    assert pd.isna(cell), f"{name}[{key}]"
                else:
                    assert math.isclose(float(val), float(cell)), f"{name}[{key}]"
        checked += 1
    if slug != "shandong_a_town":  # A Town is anonymised; only assumed values or ratios
        assert checked >= 2


@pytest.mark.parametrize("slug", synth.SLUGS)
def test_description_documents_dgp_parameters_and_planted_effects(slug):
    facts = synth.description(slug)
    assert facts["version"] == synth.GENERATOR_VERSION
    assert [p["name"] for p in facts["parameters"]] == list(params(slug))
    assert [e["name"] for e in facts["planted"]] == list(planted(slug))
    assert {p["basis"] for p in facts["parameters"]} <= {"source", "assumed"}
    cells = [v for row in facts["parameters"] + facts["planted"] for v in row.values()]
    assert not any("\n" in str(v) or "|" in str(v).replace("\\|", "") for v in cells)
    assert [t["file"] for t in facts["tables"]] == [
        f"{slug}/{t}.csv" for t in synth.TABLE_SCHEMAS[slug]
    ]
    for table in facts["tables"]:
        assert all(c["requirement"] for c in table["columns"])
    # The DGP's words are in text/simulation.md; the facts choose the passage and fill it.
    assert facts["dgp"] == slug
    assert facts["param"] == params(slug)
    assert facts["uses_motivation"] is ("motivation_item_loading" in facts["param"])
    assert facts["uses_indicators"] is ("deprivation_if_poor" in facts["param"])


def test_table_schemas_come_from_the_schema_file_with_their_python_shape():
    kinds = {"int", "int?", "float", "str"}
    assert list(synth.TABLE_SCHEMAS) == list(synth.SLUGS)
    for tables in synth.TABLE_SCHEMAS.values():
        for cols in tables.values():
            assert all(isinstance(c, tuple) and len(c) == 4 for c in cols)
            assert {c[1] for c in cols} <= kinds
            assert all(c[2] and c[3] for c in cols)
            assert len({c[0] for c in cols}) == len(cols)
    hh = synth.TABLE_SCHEMAS["h_county"]["households"]
    assert [c[0] for c in hh[-len(synth.INDICATOR_COLUMNS) :]] == list(synth.INDICATOR_COLUMNS)


def test_a_malformed_schema_file_names_the_file_and_field(tmp_path):
    text = synth.SCHEMAS_FILE.read_text(encoding="utf-8")
    bad = tmp_path / "schemas.yaml"
    bad.write_text(text.replace("[treated, int,", "[treated, integer,"), encoding="utf-8")
    with pytest.raises(
        DataValidationError, match=r"schemas\.yaml[\s\S]*cases\.liupanshui\.panel\[5\]"
    ):
        synth._schemas(bad)
    bad.write_text(text.replace("\n  pingliang:\n", "\n  elsewhere:\n"), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"schemas\.yaml[\s\S]*cases: expected"):
        synth._schemas(bad)


@settings(max_examples=60, deadline=None)
@given(
    mean=st.floats(2000, 20000),
    ratio=st.floats(0.1, 0.9),
    headcount=st.floats(0.01, 0.45),
)
def test_lognormal_calibration_hits_the_target_headcount(mean, ratio, headcount):
    line = ratio * mean
    s = synth._sigma_from_headcount(mean, line, headcount)
    mu = math.log(mean) - s * s / 2
    assert math.isclose(stats.lognorm.cdf(line, s, scale=math.exp(mu)), headcount, abs_tol=1e-9)
    assert math.isclose(stats.lognorm.mean(s, scale=math.exp(mu)), mean, rel_tol=1e-9)


# --------------------------------------------------------------------------------------------
# Liupanshui: staggered reform, TWFE bias, ordered logit
# --------------------------------------------------------------------------------------------
def _true_att_simple(p: dict, e: dict) -> float:
    """Callaway-Sant'Anna 'simple' aggregation of the planted tau(k): post cells weighted by
    cohort size (here the expected cohort share)."""
    num = den = 0.0
    for g, share in p["cohort_shares"].items():
        if g == "never":
            continue
        for t in range(int(g), p["last_year"] + 1):
            k = t - int(g)
            num += share * (e["income_effect_at_adoption"] + e["income_effect_growth_per_year"] * k)
            den += share
    return num / den


def test_liupanshui_staggered_did_recovers_dynamic_effect_and_twfe_is_biased():
    d, e, p = data("liupanshui", 6000), planted("liupanshui"), params("liupanshui")
    df = d["panel"].assign(log_income=lambda x: np.log(x["income_per_capita"]))
    cs = panel.staggered_did(df, "log_income", "household_id", "year", "first_treated")
    dyn = cs.dynamic.set_index("event_time")
    for k in range(5):
        truth = e["income_effect_at_adoption"] + e["income_effect_growth_per_year"] * k
        assert abs(dyn.loc[k, "att"] - truth) < Z * dyn.loc[k, "se"], (k, dyn.loc[k, "att"])
    for k in (-3, -2):  # no anticipation planted: pre-period placebo effects near zero
        assert abs(dyn.loc[k, "att"]) < Z * dyn.loc[k, "se"]
    truth = _true_att_simple(p, e)
    att, se = float(cs.simple["att"].iloc[0]), float(cs.simple["se"].iloc[0])
    assert abs(att - truth) < Z * se
    y14 = d["panel"].loc[d["panel"]["year"] == 2014, "income_per_capita"]
    # calibration: 2014 headcount under the 2014 line is the registered incidence (23.30%),
    # lowered a little by the first cohort's reform effect. Village effects (SD 0.31 log
    # points, 120 villages) give the headcount a standard error of about 0.011, hence 0.045.
    assert abs(measures.fgt(y14, p["poverty_line_2014"]) - p["incidence_2014"]) < 0.045
    tw = panel.twfe(df, "log_income", "treated", "household_id", "year", backend="within")
    # Growing effects + already-treated controls bias static TWFE down (Goodman-Bacon 2021).
    assert tw.coef < truth - 0.02 and tw.ci_high < truth
    ret = panel.staggered_did(
        d["panel"], "returned_migrant", "household_id", "year", "first_treated"
    )
    ret_att, ret_se = float(ret.simple["att"].iloc[0]), float(ret.simple["se"].iloc[0])
    assert abs(ret_att - e["return_migrant_effect"]) < Z * ret_se


def test_liupanshui_ordered_logit_recovers_channel_coefficients():
    d, e = data("liupanshui", 6000), planted("liupanshui")
    inst = survey.load_instrument("gov_people_interaction")
    channels = list(e["satisfaction_logit"])
    scores = survey.scale_scores(d["survey"], inst, scales=channels)
    frame = pd.concat([d["survey"][["sat_1", "conf_1"]], scores], axis=1)
    for outcome, key in (("sat_1", "satisfaction_logit"), ("conf_1", "confidence_logit")):
        fit = survey.ordered_logit(frame, outcome, channels).set_index("term")
        for c in channels:
            assert abs(fit.loc[c, "estimate"] - e[key][c]) < Z * fit.loc[c, "se"], (outcome, c)
        # the ordering claimed by the thesis: project-based assistance matters most
        assert fit.loc[channels, "estimate"].idxmax() == "project_assistance"


# --------------------------------------------------------------------------------------------
# Shandong A Town: reliability, role gap, dimension effects, assistance
# --------------------------------------------------------------------------------------------
def _derived_alpha(lam: list[float], psi: float, phi: float) -> float:
    err = psi**2 + 1 / 12  # item noise plus rounding (Sheppard's correction)
    k = len(lam)
    item_var = sum(l_**2 * phi + err for l_ in lam)
    total_var = sum(lam) ** 2 * phi + k * err
    return k / (k - 1) * (1 - item_var / total_var)


def test_shandong_alpha_role_gap_and_dimension_effects():
    d, e, p = data("shandong_a_town", 5000), planted("shandong_a_town"), params("shandong_a_town")
    sv = d["survey"]
    inst = survey.load_instrument("good_governance")
    shares = sv["role"].value_counts(normalize=True)
    shift = pd.Series(e["role_shift"])
    phi = 1 + float(
        (shares * (shift[shares.index] - (shares * shift[shares.index]).sum()) ** 2).sum()
    )
    expected_alpha = _derived_alpha(p["item_loadings"], p["item_unique_sd"], phi)
    rel = survey.reliability_table(sv, inst).set_index("scale")
    for dim in e["effectiveness_logit"]:
        assert abs(rel.loc[dim, "alpha"] - expected_alpha) < 0.04, dim

    dims = list(e["effectiveness_logit"])
    scores = survey.scale_scores(sv, inst)
    by_role = scores[dims].groupby(sv["role"]).mean()
    mean_loading = float(np.mean(p["item_loadings"]))
    poor = scores.loc[sv["role"] == "poor_household", dims]
    for role in ("township_official", "first_secretary", "village_official"):
        grp = scores.loc[sv["role"] == role, dims]
        gap = by_role.loc[role] - by_role.loc["poor_household"]
        se = np.sqrt(grp.var() / len(grp) + poor.var() / len(poor))
        expected = mean_loading * (shift[role] - shift["poor_household"])
        # CLIP_BIAS: clipping at code 5 shrinks the gap of the highest-rating role slightly
        assert ((gap - expected).abs() < Z * se + CLIP_BIAS).all(), (role, gap - expected)
    omnibus, _ = survey.compare_groups(pd.concat([scores, sv["role"]], axis=1), "fairness", "role")
    assert omnibus["p"].iloc[0] < 1e-6

    frame = pd.concat([sv[["outcome_effectiveness"]], scores[dims]], axis=1)
    fit = survey.ordered_logit(frame, "outcome_effectiveness", dims).set_index("term")
    for dim in dims:
        err = abs(fit.loc[dim, "estimate"] - e["effectiveness_logit"][dim])
        assert err < Z * fit.loc[dim, "se"], dim
    assert set(fit.loc[dims, "estimate"].nlargest(2).index) == {"rule_of_law", "fairness"}


def test_shandong_assistance_goes_to_the_better_off():
    d, e = data("shandong_a_town", 5000), planted("shandong_a_town")
    rec = d["assistance"].merge(d["households"], on=["household_id", "village_id"])
    x = np.log(rec["income_per_capita"])
    x = x - np.median(np.log(d["households"]["income_per_capita"]))
    y = (rec["actor_type"] != "government").astype(float)
    fit = sm.Logit(y, sm.add_constant(x.rename("log_income"))).fit(disp=False)
    expected_const = math.log(
        e["non_government_share_at_median_income"]
        / (1 - e["non_government_share_at_median_income"])
    )
    assert abs(fit.params["const"] - expected_const) < Z * fit.bse["const"]
    assert (
        abs(fit.params["log_income"] - e["help_the_better_off_slope"]) < Z * fit.bse["log_income"]
    )
    assert set(rec["actor_type"]) == {"government", "enterprise", "social_organisation"}


# --------------------------------------------------------------------------------------------
# W Town: relative poverty, vulnerability, monitoring, motivation
# --------------------------------------------------------------------------------------------
def test_w_town_relative_poverty_vulnerability_and_monitoring():
    d, e, p = data("w_town", 8000), planted("w_town"), params("w_town")
    inc = d["incomes"]
    y21 = inc.loc[inc["year"] == p["years"][0], "income_per_capita"].to_numpy()
    line = measures.relative_line(y21, p["relative_line_share"])
    assert abs(measures.fgt(y21, line) - p["relative_poverty_target"]) < 0.015

    hh = d["households"]
    cov = hh[["head_education_years", "labour_share", "chronic_illness", "has_migrant_worker"]]
    z = p["vulnerability_line"]
    vul = measures.vulnerability(hh["consumption_per_capita"], cov, z)
    b = pd.Series(e["log_consumption_mean"])
    theta = pd.Series(e["log_consumption_variance"])
    for name in cov.columns:
        assert abs(vul.beta[name] - b[name]) < 0.05 + 0.05 * abs(b[name]), name
    assert abs(vul.theta["chronic_illness"] - theta["chronic_illness"]) < 0.04
    x = sm.add_constant(cov.astype(float))
    true_prob = stats.norm.cdf((math.log(z) - x @ b[x.columns]) / np.sqrt(x @ theta[x.columns]))
    true_vulnerable = true_prob >= 0.5
    assert abs(vul.share_vulnerable - true_vulnerable.mean()) < 0.02

    te = measures.targeting_errors(hh["monitored"], true_vulnerable)
    assert abs(te["exclusion_error"] - e["monitoring_exclusion_rate"]) < 0.05
    pi = true_vulnerable.mean()
    inc_rate = (1 - pi) * e["monitoring_rate_not_vulnerable"]
    expected_inclusion = inc_rate / (inc_rate + pi * (1 - e["monitoring_exclusion_rate"]))
    assert abs(te["inclusion_error"] - expected_inclusion) < 0.06
    # the same exclusion is visible when vulnerability is estimated rather than known
    est = measures.targeting_errors(hh["monitored"], vul.probability >= 0.5)
    assert abs(est["exclusion_error"] - e["monitoring_exclusion_rate"]) < 0.08

    counts = (
        d["assistance"].groupby("household_id").size().reindex(hh["household_id"], fill_value=0)
    )
    mon = hh.set_index("household_id")["monitored"] == 1
    ratio = counts[mon].mean() / counts[~mon].mean()
    assert abs(ratio - e["assistance_rate_ratio_monitored"]) < 0.5


def test_w_town_motivation_predicts_income_growth():
    d, e = data("w_town", 8000), planted("w_town")
    inst = survey.load_instrument("endogenous_motivation")
    mot = d["motivation"]
    score = survey.scale_scores(mot, inst, scales=["willingness"])["willingness"]
    wide = d["incomes"].pivot_table(
        index="household_id", columns="year", values="income_per_capita", aggfunc="first"
    )
    growth = (np.log(wide.iloc[:, -1]) - np.log(wide.iloc[:, 0])) / (wide.shape[1] - 1)
    g = growth.reindex(mot["household_id"]).to_numpy()
    fit = stats.linregress(score.to_numpy(), g)
    assert abs(fit.slope - e["income_growth_per_willingness_point"]) < Z * fit.stderr
    alpha = survey.reliability_table(mot, inst).set_index("scale")["alpha"]
    assert (alpha > 0.5).all()


# --------------------------------------------------------------------------------------------
# H County: targeting errors, MPI, industrial project, motivation
# --------------------------------------------------------------------------------------------
def test_h_county_targeting_errors_and_their_drivers():
    d, e = data("h_county", 20000), planted("h_county")
    hh = d["households"]
    p = params("h_county")
    y16 = d["panel"].loc[d["panel"]["year"] == 2016, "income_per_capita"]
    assert abs(measures.fgt(y16, p["poverty_line_2016"]) - p["incidence_2016"]) < 0.02
    te = measures.targeting_errors(hh["registered_poor"], hh["income_below_line"])
    assert abs(te["inclusion_error"] - e["inclusion_error"]) < 0.03
    assert abs(te["exclusion_error"] - e["exclusion_error"]) < 0.03
    conn = hh["official_connection"] == 1
    with_conn = measures.targeting_errors(
        hh.loc[conn, "registered_poor"], hh.loc[conn, "income_below_line"]
    )
    without = measures.targeting_errors(
        hh.loc[~conn, "registered_poor"], hh.loc[~conn, "income_below_line"]
    )
    assert with_conn["inclusion_error"] > without["inclusion_error"] + 0.1
    unsafe = hh["housing_unsafe"] == 1
    ex_safe = measures.targeting_errors(
        hh.loc[~unsafe, "registered_poor"], hh.loc[~unsafe, "income_below_line"]
    )["exclusion_error"]
    ex_unsafe = measures.targeting_errors(
        hh.loc[unsafe, "registered_poor"], hh.loc[unsafe, "income_below_line"]
    )["exclusion_error"]
    assert ex_safe > ex_unsafe
    wrong = (hh["registered_poor"] != hh["income_below_line"]).astype(float)
    by_village = wrong.groupby(hh["village_id"]).mean()
    assert by_village.std() > 0.01  # errors vary by village


# The line and year that define income_below_line in each case (generator docstrings).
INCOME_POVERTY = {
    "liupanshui": ("panel", "income_per_capita", 2014, "poverty_line_2014"),
    "shandong_a_town": ("households", "income_per_capita", None, "poverty_line_2016"),
    "w_town": ("incomes", "income_per_capita", 2021, "monitoring_income_line_2021"),
    "h_county": ("panel", "income_per_capita", 2016, "poverty_line_2016"),
    "pingliang": ("households", "income_2014", None, "poverty_line_2014"),
}


@pytest.mark.parametrize("slug", synth.SLUGS)
def test_mpi_headcounts_match_the_planted_deprivation_rates(slug):
    # Shared indicator block (synth._indicators docstring): indicator j has uncensored
    # headcount pi p_j + (1 - pi) q_j and the union-rule H = pi + (1 - pi)(1 - prod(1 - q_j)),
    # with p_j, q_j from data/synth/<slug>.yaml.
    d, p = data(slug, 20000), params(slug)
    hh = d["households"]
    table, column, year, line = INCOME_POVERTY[slug]
    inc = d[table] if year is None else d[table][d[table]["year"] == year]
    income = inc.set_index("household_id")[column]
    if slug == "h_county":  # true poverty is income before the project effect (docstring)
        effect = planted(slug)["project_income_effect"]
        income = income * np.exp(-effect * inc.set_index("household_id")["project_participant"])
    flag = hh.set_index("household_id")["income_below_line"]
    wrong = flag != (income < p[line]).astype(int)
    assert (abs(income[wrong] - p[line]) < 0.01).all()  # only rounding at the line may differ
    spec = measures.TWO_ASSURANCES_THREE_GUARANTEES
    res = measures.mpi(hh[list(spec)], spec, k=spec.union_cutoff)
    pi = hh["income_below_line"].mean()
    q = p["deprivation_if_not_poor"]
    expected_h = pi + (1 - pi) * (1 - np.prod([1 - v for v in q.values()]))
    assert abs(res.H - expected_h) < 0.015
    for name, rate in p["deprivation_if_poor"].items():
        expected = pi * rate + (1 - pi) * q[name]
        assert abs(res.uncensored_headcount[name] - expected) < 0.01, name


@pytest.mark.parametrize("slug", ["liupanshui", "shandong_a_town", "w_town", "pingliang"])
def test_indicator_parameters_change_only_the_indicators(slug, tmp_path):
    # The indicators are drawn last, so other tables do not depend on their parameters.
    def no_deprivation(raw):
        for key in ("deprivation_if_poor", "deprivation_if_not_poor"):
            rates = raw["parameters"][key]["value"]
            raw["parameters"][key]["value"] = dict.fromkeys(rates, 0.0)

    path = _broken_copy(tmp_path, slug, no_deprivation)
    base, zero = (
        synth.generate(slug, seed=4, n=500),
        synth.generate(slug, seed=4, n=500, params_path=path),
    )
    for name, df in base.tables.items():
        keep = [c for c in df.columns if c not in synth.INDICATOR_COLUMNS[1:]]
        pd.testing.assert_frame_equal(zero.tables[name][keep], df[keep], check_exact=True)
    assert zero["households"][list(synth.INDICATOR_COLUMNS[1:])].to_numpy().sum() == 0
    assert base["households"][list(synth.INDICATOR_COLUMNS[1:])].to_numpy().sum() > 0


def test_h_county_industrial_project_effect_is_small_and_recovered():
    d, e = data("h_county", 20000), planted("h_county")
    reg = d["households"].loc[d["households"]["registered_poor"] == 1, "household_id"]
    df = d["panel"][d["panel"]["household_id"].isin(reg)]
    df = df.assign(log_income=np.log(df["income_per_capita"]))
    res = panel.staggered_did(df, "log_income", "household_id", "year", "first_treated")
    att, se = float(res.simple["att"].iloc[0]), float(res.simple["se"].iloc[0])
    assert abs(att - e["project_income_effect"]) < Z * se
    assert att < 0.1  # "inconspicuous": a small effect, not a large one


def test_h_county_registered_households_report_lower_motivation():
    d, e, p = data("h_county", 20000), planted("h_county"), params("h_county")
    inst = survey.load_instrument("endogenous_motivation")
    mot = d["motivation"]
    scores = survey.scale_scores(mot, inst)
    reg, other = scores[mot["role"] == "poor_household"], scores[mot["role"] != "poor_household"]
    diff = reg.mean() - other.mean()
    se = np.sqrt(reg.var() / len(reg) + other.var() / len(other))
    lam = p["motivation_item_loading"]
    for facet, shift in e["registered_motivation_shift"].items():
        assert abs(diff[facet] - lam * shift) < Z * se[facet] + CLIP_BIAS, facet


# --------------------------------------------------------------------------------------------
# Pingliang: incidence, social security, network
# --------------------------------------------------------------------------------------------
def test_pingliang_incidence_and_social_security_floor():
    d, e, p = data("pingliang", 20000), planted("pingliang"), params("pingliang")
    hh = d["households"]
    assert d["villages"]["poor_village"].sum() == p["n_poor_villages"] == 6
    assert len(d["villages"]) == p["n_villages"] == 10
    assert abs(hh["registered_poor"].mean() - p["incidence_2014"]) < 0.013
    still = (hh["registered_poor"] == 1) & hh["exit_year"].isna()
    assert abs(still.mean() - p["incidence_2019"]) < 0.003
    reg = hh[hh["registered_poor"] == 1]
    no_lab = reg[reg["labour_capacity"] == 0]
    cover = e["social_security_coverage"]
    assert abs(no_lab["social_security"].mean() - cover["registered_no_labour"]) < 0.04
    assert (
        abs(
            reg.loc[reg["labour_capacity"] == 1, "social_security"].mean()
            - cover["registered_labour"]
        )
        < 0.02
    )
    ratio = p["poor_persons_lifted_2014_2019"] / p["poor_households_lifted_2014_2019"]
    assert abs(reg["household_size"].mean() - ratio) < 0.1
    for year in (2014, 2019):
        mean_income = reg[f"income_{year}"].mean()
        assert abs(mean_income / p[f"poor_income_{year}"] - 1) < 0.03, year
    # the 2014 headcount under the national line (2,800 yuan) is within the registered share
    line_2014 = float(
        load_table("national_rural_poverty").set_index("year").loc[2014, "poverty_line_yuan"]
    )
    assert measures.fgt(hh["income_2014"], line_2014) < p["incidence_2014"]


def test_pingliang_network_government_central_and_weak_ties_to_poor():
    d, e, p = data("pingliang", 20000), planted("pingliang"), params("pingliang")
    edges = d["interactions"]
    graph = nx.from_pandas_edgelist(edges, "source_id", "target_id", "contacts_per_year")
    graph.add_nodes_from(d["actors"]["actor_id"])
    kind = d["actors"].set_index("actor_id")["actor_type"]
    degree = pd.Series(dict(graph.degree()))
    assert degree.idxmax() == "gov_township"
    between = pd.Series(nx.betweenness_centrality(graph, k=200, seed=1))
    assert between.idxmax() == "gov_township"
    # expected degree of an actor of each type, from the planted tie probabilities
    counts = kind.value_counts()
    tie = {tuple(k.split("--")): v for k, v in e["tie_probability"].items()}
    n_poor = counts["poor_household"]

    def expected_degree(t: str) -> float:
        total = 0.0
        for (a, b), prob in tie.items():
            if t not in (a, b):
                continue
            other = b if t == a else a
            n_other = counts[other]
            if {a, b} == {"village_committee", "poor_household"}:
                n_other = n_poor / p["n_villages"] if t == "village_committee" else 1
            total += prob * n_other
        return total

    observed = degree.groupby(kind[degree.index]).mean()
    expected = pd.Series({t: expected_degree(t) for t in counts.index})
    assert list(observed.sort_values().index) == list(expected.sort_values().index)
    poor_nodes = kind.index[kind == "poor_household"]
    linked = edges[edges["target_type"] == "poor_household"]
    ent_share = linked.loc[linked["source_type"] == "enterprise", "target_id"].nunique() / len(
        poor_nodes
    )
    expected_share = 1 - (1 - tie[("enterprise", "poor_household")]) ** p["n_enterprises"]
    assert abs(ent_share - expected_share) < 0.02
    gov_share = linked.loc[linked["source_type"] == "government", "target_id"].nunique() / len(
        poor_nodes
    )
    assert gov_share > 2 * ent_share


def test_pingliang_covered_households_report_more_dependence():
    d, e, p = data("pingliang", 20000), planted("pingliang"), params("pingliang")
    inst = survey.load_instrument("endogenous_motivation")
    mot = d["motivation"].merge(d["households"][["household_id", "social_security"]])
    dep = survey.scale_scores(mot, inst, scales=["dependence"])["dependence"]
    cov, rest = dep[mot["social_security"] == 1], dep[mot["social_security"] == 0]
    se = math.sqrt(cov.var() / len(cov) + rest.var() / len(rest))
    expected = p["motivation_item_loading"] * e["social_security_dependence_shift"]
    assert abs(cov.mean() - rest.mean() - expected) < Z * se + CLIP_BIAS


def test_generated_files_live_only_where_asked(tmp_path):
    out = synth.write(synth.generate("w_town", seed=2, n=50), tmp_path / "nested" / "dir")
    assert out.is_dir() and (out / "metadata.json").is_file()
    shutil.rmtree(out)


# --------------------------------------------------------------------------------------------
# The calibration table says what each published figure measures and whose it is
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", synth.SLUGS)
def test_every_published_value_says_what_it_measures(slug):
    facts = synth.description(slug)
    for row in facts["parameters"]:
        if row["basis"] == "source":
            assert row["measures"].strip(), row["name"]
        else:
            assert row["measures"] == "" and row["borrowed"] == "", row["name"]


def test_borrowed_figures_are_marked_as_borrowed():
    # Pingliang's W Town is an anonymised township: every Zhuanglang County figure
    # (locality_facts.csv fact_id 25-32) is a county's, borrowed for the town.
    raw = synth.load_params("pingliang")["parameters"]
    zhuanglang = [n for n, e in raw.items() if "Zhuanglang" in e.get("source", "")]
    assert len(zhuanglang) == 6
    for name in zhuanglang:
        assert raw[name]["borrowed"].startswith("Zhuanglang County"), name
    # National poor-area incomes stand in for H County, W Town and Pingliang.
    for slug, names in {
        "h_county": ["income_mean_2016", "income_mean_2019"],
        "w_town": ["poor_area_income_2016", "poor_area_income_2019"],
        "pingliang": ["poor_area_income_2016", "poor_area_income_2019"],
    }.items():
        raw = synth.load_params(slug)["parameters"]
        for name in names:
            assert "national aggregate" in raw[name]["borrowed"], (slug, name)
    # A Town's household size is Linyi's (a Shandong prefecture), not the town's.
    town = synth.load_params("shandong_a_town")["parameters"]
    assert town["mean_household_size"]["borrowed"].startswith("Linyi")


def test_registered_incidence_is_not_called_an_income_headcount():
    for slug in ("liupanshui", "pingliang"):
        entry = synth.load_params(slug)["parameters"]["incidence_2014"]
        assert "registered" in entry["measures"] and "quotas" in entry["measures"], slug
        assert "not an income headcount" in entry["measures"], slug


def test_liupanshui_uses_one_baseline():
    # Incidence is baseline A (71.cn, locality_facts.csv fact_id 4); the 2014 income is not
    # taken from the page of baseline B (fact_id 10) but derived from the 2013 and 2015 figures
    # of China Youth Daily (fact_id 14, 15): sqrt(6,015 x 7,522) = 6,726.4.
    raw = synth.load_params("liupanshui")["parameters"]
    assert raw["incidence_2014"]["real"]["where"] == {"fact_id": 4}
    assert raw["income_mean_2014"]["value"] == pytest.approx(math.sqrt(6015 * 7522), abs=0.5)
    assert "fact_id: 10" not in str(raw["income_mean_2014"].get("real", ""))


def test_shandong_line_and_monitoring_line_say_whose_they_are():
    town = synth.load_params("shandong_a_town")["parameters"]["poverty_line_2016"]
    # Shandong ran its own standard; its 2016 value was not found, so the national line stands in.
    assert "provincial standard" in town["meaning"] and "national line" in town["meaning"]
    facts = load_table("locality_facts").set_index("fact_id")
    assert facts.loc[67, "value"] == 2500 and facts.loc[68, "qualifier"] == "planned"
    line = synth.load_params("w_town")["parameters"]["monitoring_income_line_2021"]
    assert "each province sets its own line" in line["measures"]
    assert "province" in line["borrowed"]


def test_measures_and_borrowed_need_a_source(tmp_path):
    path = _broken_copy(
        tmp_path,
        "h_county",
        lambda r: r["parameters"]["first_year"].update(borrowed="somewhere else"),
    )
    with pytest.raises(DataValidationError, match=r"first_year\.borrowed: only allowed"):
        synth.load_params("h_county", params_path=path)
