"""Tests for cases.pages.participation: a hand-drawn network, coverage shares, planted effects,
the settings file and the text template."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import yaml

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.core.files import read_yaml
from cases.pages import participation
from cases.pages.participation import (
    assistance_rate_ratio,
    better_off_logit,
    build_network,
    centrality_by_type,
    centrality_table,
    government_role,
    proportion_ci,
    share_by_group,
    tie_rates,
)
from cases.present.text import FORMATS
from cases.simulate import synth


def tiny_network():
    """Hand-drawn: a government G tied to an enterprise E, a committee C (village 1) and a
    household H1 (village 1); C tied to H1 and H2 (village 1); H3 (village 1) isolated.

        E - G - C - H2
             \\ /
              H1        H3
    """
    actors = pd.DataFrame(
        {
            "actor_id": ["G", "E", "C", "H1", "H2", "H3"],
            "actor_type": [
                "government",
                "enterprise",
                "village_committee",
                "poor_household",
                "poor_household",
                "poor_household",
            ],
            "village_id": pd.array([None, None, 1, 1, 1, 1], dtype="Int64"),
        }
    )
    edges = [("G", "E"), ("G", "C"), ("G", "H1"), ("C", "H1"), ("C", "H2")]
    types = dict(zip(actors["actor_id"], actors["actor_type"], strict=True))
    interactions = pd.DataFrame(
        {
            "source_id": [a for a, _ in edges],
            "source_type": [types[a] for a, _ in edges],
            "target_id": [b for _, b in edges],
            "target_type": [types[b] for _, b in edges],
            "contacts_per_year": [1, 2, 3, 4, 5],
        }
    )
    return actors, interactions


def test_tiny_network_by_hand():
    g = build_network(*tiny_network())
    # Density: 5 ties of 6*5/2 = 15 possible pairs = 1/3.
    assert nx.density(g) == pytest.approx(1 / 3)
    cent = centrality_table(g).set_index("actor_id")
    # Degree centrality deg / (N - 1): G 3/5, C 3/5, H1 2/5, E 1/5, H2 1/5, H3 0.
    assert cent["degree_centrality"].to_dict() == pytest.approx(
        {"G": 0.6, "E": 0.2, "C": 0.6, "H1": 0.4, "H2": 0.2, "H3": 0.0}
    )
    # Betweenness (pairs among the 5 connected nodes whose shortest paths pass through v,
    # split over equal paths), normalised by (N-1)(N-2)/2 = 10:
    #   G lies on E-C, E-H1 (only path E-G-H1) and E-H2 (E-G-C-H2): 3 pairs -> 0.3.
    #   C lies on G-H2, H1-H2 and E-H2: 3 -> 0.3.  H1 lies on no shortest path
    #   (G-C is direct). E and H2 are leaves: 0.
    assert cent["betweenness"].to_dict() == pytest.approx(
        {"G": 0.3, "E": 0.0, "C": 0.3, "H1": 0.0, "H2": 0.0, "H3": 0.0}
    )
    by_type = centrality_by_type(centrality_table(g)).set_index("actor_type")
    # Households: mean of 0.4, 0.2, 0 = 0.2.
    assert by_type.loc["poor_household", "mean_degree_centrality"] == pytest.approx(0.2)
    gov = government_role(g, centrality_table(g))
    # Household ties: G-H1, C-H1, C-H2 = 3, of which 1 with the government.
    assert gov["household_ties"] == 3 and gov["gov_household_ties"] == 1
    assert gov["gov_share_of_household_ties"] == pytest.approx(1 / 3)
    assert gov["households_isolated"] == 1 and gov["gov_degree_rank"] == 1
    rates = tie_rates(g).set_index("pair")
    # Committee-household pairs within village 1: 1 committee x 3 households = 3; 2 tied.
    assert rates.loc["village_committee--poor_household", "possible"] == 3
    assert rates.loc["village_committee--poor_household", "rate"] == pytest.approx(2 / 3)
    assert rates.loc["government--poor_household", "rate"] == pytest.approx(1 / 3)
    assert "poor_household--poor_household" not in rates.index


def test_build_network_rejects_bad_records():
    actors, inter = tiny_network()
    with pytest.raises(DataValidationError, match="unknown actor"):
        build_network(actors, inter.assign(target_id=["X", "C", "H1", "H1", "H2"]))
    with pytest.raises(DataValidationError, match="twice"):
        build_network(actors, pd.concat([inter, inter.iloc[:1]], ignore_index=True))
    with pytest.raises(DataValidationError, match="types disagree"):
        build_network(actors, inter.assign(source_type="enterprise"))
    with pytest.raises(DataValidationError, match="appears twice"):
        build_network(pd.concat([actors, actors.iloc[:1]]), inter)


def test_share_interval_is_design_based_and_clustered():
    # 12 villages of 10 households; the interval is the ratio estimator's (inference module),
    # not Wilson: with whole villages alike it is much wider than the Wilson interval.
    from statsmodels.stats.proportion import proportion_confint

    from cases.methods.inference import cluster_proportion

    village = np.repeat(np.arange(12), 10)
    flag = np.repeat([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1], 10)
    share, lo, hi = proportion_ci(flag, village)
    ref = cluster_proportion(flag, village)
    assert (share, lo, hi) == (ref["share"], ref["ci_low"], ref["ci_high"])
    assert share == pytest.approx(0.5)
    w_lo, w_hi = proportion_confint(60, 120, method="wilson")
    assert hi - lo > 2 * (w_hi - w_lo)
    with pytest.raises(ParameterError, match="got 3"):
        proportion_ci([1, 0, 1], [1, 2, 3])


def test_share_by_group_hides_small_groups():
    frame = pd.DataFrame(
        {
            "g": ["a"] * 12 + ["b"] * 3,
            "f": [1, 1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0],
            "v": [*range(12), 0, 1, 2],
        }
    )
    out = share_by_group(frame, "f", "g", cluster="v").set_index("group")
    assert out.loc["a", "share"] == 0.5 and out.loc["a", "n"] == 12
    assert out.loc["a", "n_clusters"] == 12
    assert math.isnan(out.loc["b", "share"]) and math.isnan(out.loc["b", "count"])
    with pytest.raises(DataValidationError, match="0/1"):
        share_by_group(frame.assign(f=2), "f", "g", cluster="v")
    with pytest.raises(ParameterError, match=r"group 'a'.*got 4"):
        share_by_group(frame.assign(v=frame["v"] % 4), "f", "g", cluster="v")


def test_rate_ratio_by_hand():
    # Twelve households in twelve villages. Flagged households have 2, 4, 2, 4, 2, 4 records
    # (mean 3), others 1, 0, 2, 1, 0, 2 (mean 1): the Poisson MLE of the ratio is the ratio of
    # means, 3.
    hh = pd.DataFrame(
        {"household_id": range(1, 13), "m": [1] * 6 + [0] * 6, "village_id": range(101, 113)}
    )
    counts = [2, 4, 2, 4, 2, 4, 1, 0, 2, 1, 0, 2]
    ids = [h for h, c in zip(range(1, 13), counts, strict=True) for _ in range(c)]
    rec = pd.DataFrame({"household_id": ids, "actor_type": "government", "kind": "x"})
    rr = assistance_rate_ratio(hh, rec, "m")
    assert rr["ratio"] == pytest.approx(3.0)
    assert rr["ci_low"] < 3 < rr["ci_high"]
    assert rr["n_clusters"] == 12 and "only 12 clusters" in rr["warning"]
    with pytest.raises(DataValidationError, match="not in the households"):
        assistance_rate_ratio(hh, rec.assign(household_id=99), "m")
    with pytest.raises(ParameterError, match="got 3"):
        assistance_rate_ratio(hh.assign(village_id=hh["household_id"] % 3), rec, "m")


# --------------------------------------------------------------------------- planted effects


@pytest.fixture(autouse=True)
def _close_figures():
    """Every page carries its figures; close them after each test."""
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def pingliang():
    data = synth.generate("pingliang", seed=8, n=4000)
    page = participation.build("pingliang", data)
    plt.close("all")
    return data, page


def test_network_recovers_planted_structure(pingliang):
    data, page = pingliang
    planted = data.meta["planted_effects"]["tie_probability"]
    rates = tie_rates(build_network(data["actors"], data["interactions"])).set_index("pair")
    for pair in (
        "government--poor_household",
        "village_committee--poor_household",
        "enterprise--poor_household",
    ):
        assert rates.loc[pair, "rate"] == pytest.approx(planted[pair], abs=0.05), pair
        key = f"tie_rate_{pair.replace('--', '_to_')}"
        assert page.numbers[key] == pytest.approx(rates.loc[pair, "rate"], rel=1e-12)
    # Ordering planted by the tie probabilities: the government is the most central type.
    types = ("government", "enterprise", "social_organisation", "village_committee")
    degree = {t: page.numbers[f"mean_degree_centrality_{t}"] for t in types}
    between = {t: page.numbers[f"mean_betweenness_{t}"] for t in types}
    assert max(degree, key=degree.get) == "government"
    assert max(between, key=between.get) == "government"
    assert page.facts["top_degree_type"] == "government"
    assert page.numbers["gov_degree_rank"] == 1
    # Expected government share of household ties: 0.35 / (0.35 + 0.7 + 4*0.04 + 2*0.02)
    # = 0.35 / 1.25 = 0.28 (every household's village has one committee).
    assert page.numbers["gov_share_of_household_ties"] / 100 == pytest.approx(0.28, abs=0.04)
    # Printed percentages are the recorded rates times 100.
    assert page.numbers["tie_pct_enterprise_household"] == pytest.approx(
        100 * page.numbers["tie_rate_enterprise_to_poor_household"]
    )
    assert page.facts["tie_rates_known"] is True


def test_social_security_coverage_recovers_planted_share(pingliang):
    data, page = pingliang
    planted = data.meta["planted_effects"]["social_security_coverage"]
    got = page.numbers["coverage_share_registered_no_labour"]
    assert got == pytest.approx(planted["registered_no_labour"], abs=0.06)
    lo, hi = (page.numbers[f"coverage_share_registered_no_labour_ci_{s}"] for s in ("low", "high"))
    assert lo < got < hi
    assert page.numbers["coverage_registered_no_labour"] == pytest.approx(100 * got)
    n, uncovered = (
        page.numbers[k] for k in ("n_registered_no_labour", "uncovered_registered_no_labour")
    )
    assert uncovered == round(n * (1 - got))
    assert page.numbers["planted_coverage_registered_no_labour"] == pytest.approx(
        100 * planted["registered_no_labour"]
    )


def test_help_the_better_off_recovered():
    data = synth.generate("shandong_a_town", seed=4, n=4000)
    fit = better_off_logit(data["households"], data["assistance"]).set_index("term")
    e = data.meta["planted_effects"]
    assert fit.loc["log_income_centred", "estimate"] == pytest.approx(
        e["help_the_better_off_slope"], abs=0.2
    )
    share = 1 / (1 + np.exp(-fit.loc["const", "estimate"]))
    assert share == pytest.approx(e["non_government_share_at_median_income"], abs=0.03)
    # No record: Poisson(3) gives exp(-3) = 0.0498 households without any record.
    page = participation.build("shandong_a_town", data)
    assert page.numbers["no_record_pct"] / 100 == pytest.approx(math.exp(-3), abs=0.015)
    assert page.numbers["better_off_slope"] == fit.loc["log_income_centred", "estimate"]
    assert page.numbers["nongov_pct_at_median"] == pytest.approx(100 * share)
    assert page.facts["nongov_share_of_records"] == pytest.approx(
        100 - page.numbers["gov_share_of_records"]
    )
    counts = data["assistance"]["actor_type"].value_counts()
    assert page.numbers["n_records"] == len(data["assistance"]) == counts.sum()
    assert page.numbers["records_enterprise"] == counts["enterprise"]
    assert set(page.tables) == {"reach", "gaps", "records"}


def test_monitored_rate_ratio_recovered():
    data = synth.generate("w_town", seed=4, n=5000)
    page = participation.build("w_town", data)
    assert page.numbers["rate_ratio_monitored"] == pytest.approx(
        data.meta["planted_effects"]["assistance_rate_ratio_monitored"], abs=0.3
    )
    # Monitored households get Poisson(0.8 x 2.5 = 2) records: exp(-2) = 0.135 have none.
    assert page.numbers["no_record_share_monitored"] == pytest.approx(math.exp(-2), abs=0.05)
    assert page.numbers["no_record_pct_monitored"] == pytest.approx(
        100 * page.numbers["no_record_share_monitored"]
    )
    assert set(page.tables) == {"gaps", "records"}


def test_numbers_are_plain_and_floats_carry_the_page_tolerance():
    data = synth.generate("w_town", seed=1, n=800)
    page = participation.build("w_town", data)
    for key, value in page.numbers.items():
        assert type(value) in (int, float), key
        assert page.tolerances.get(key) == (1e-6 if isinstance(value, float) else None), key


# --------------------------------------------------------------------------- settings and text


def _cases_of_the_notebook() -> list[tuple[str, dict]]:
    """(case, parameters) of every params/<case>.yaml that lists the participation notebook."""
    out = []
    for path in sorted(paths.PARAMS.glob("*.yaml")):
        for analysis in yaml.safe_load(path.read_text(encoding="utf-8"))["analyses"]:
            if analysis["name"] == "participation":
                out.append((path.stem, analysis.get("parameters") or {}))
    return out


def test_settings_cover_every_case_that_runs_the_notebook():
    # Pingliang and post-2020 W Town no longer run this page (their theses collected no
    # records); their settings stay because the tests exercise the network and monitoring
    # variants of the page on their simulated worlds.
    assert {c for c, _ in _cases_of_the_notebook()} <= set(participation.settings().cases)


def test_a_wrong_settings_field_names_the_file_and_the_field(tmp_path, monkeypatch):
    data = read_yaml(participation.settings_path())
    data["cases"]["w_town"].pop("reach")
    data["cases"]["pingliang"]["kind"] = "survey"
    bad = tmp_path / "participation.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(participation, "settings_path", lambda: bad)
    with pytest.raises(DataValidationError) as info:
        participation.settings()
    message = str(info.value)
    assert "participation.yaml" in message
    assert "cases.pingliang.kind" in message and "cases.w_town" in message


@pytest.mark.parametrize("simulated", [True, False], ids=["simulated", "own-data"])
def test_text_template_renders_for_every_case(simulated):
    """Every placeholder of text/participation.md resolves for every case, simulated or not;
    the notebook's glued passages and figures are all produced; no number is left as a role."""
    notebook = json.loads((paths.NOTEBOOKS / "participation.ipynb").read_text(encoding="utf-8"))
    markdown = "".join("".join(c["source"]) for c in notebook["cells"])
    wanted = set(re.findall(r"glue:md\}`?\s*participation_([a-z0-9_]+)", markdown))
    assert wanted == {
        "intro",
        "actors_text",
        "actors_block",
        "reach_text",
        "reach_block",
        "data_text",
    }
    for case, params in _cases_of_the_notebook():
        data = synth.generate(case, seed=params.get("seed", 1), n=800)
        if not simulated:
            data = replace(data, meta={**data.meta, "simulated": False})
        page = participation.build(case, data, source=None if simulated else "field data")
        passages = page.render("participation")
        assert wanted <= set(passages), case
        for key, text in passages.items():
            assert text.strip(), (case, key)
            assert "{glue:text}" not in text, (case, key)
            assert not re.search(r"\bnan\b|n/a", text), (case, key)
        figures = set(
            re.findall(r"glue:figure\} participation_([a-z0-9_]+)", "".join(passages.values()))
        )
        assert figures == set(page.figures) == {"actors_fig", "reach_fig"}, case
        assert f"fig-participation-reach-{case}" in passages["reach_block"]
        claims = participation.claims_table(passages)
        assert claims.shape == (2, 3) and claims.notna().all().all()
        shows = claims.iloc[:, 1]
        planted_note = shows.str.contains("planted as a hypothesis").any()
        assert planted_note == simulated, case
        assert ("simulated" in passages["intro"]) == simulated, case


def test_a_network_page_prints_its_numbers():
    """The sentences show the page's numbers in the page's formats."""
    data = synth.generate("pingliang", seed=3, n=800)
    page = participation.build("pingliang", data)
    text = page.render("participation")
    n = page.numbers
    assert f"{n['n_actors']} actors joined by {n['n_ties']} ties" in text["intro"]
    assert f"is {n['density']:.3f};" in text["actors_text"]
    assert f"({n['gov_share_of_household_ties']:.1f}%)" in text["actors_text"]
    assert f"{n['coverage_registered_no_labour']:.1f}% are covered" in text["reach_text"]


def test_counts_print_without_separators_as_before():
    """The page prints counts as the glue roles (":d") did: 5903, not 5,903."""
    assert FORMATS["plain"](5903) == "5903"
    assert FORMATS["plain"](5903.0) == "5903"
    assert FORMATS["plain"](-12) == "-12"  # as Python prints it
    assert FORMATS["plain"](float("nan")) == "n/a"


def test_unknown_case():
    data = synth.generate("w_town", seed=1, n=800)
    with pytest.raises(ParameterError, match="no participation data"):
        participation.build("h_county", data)


@pytest.mark.slow
def test_template_runs_with_papermill(tmp_path):
    import papermill

    out = tmp_path / "participation.ipynb"
    papermill.execute_notebook(
        str(paths.NOTEBOOKS / "participation.ipynb"),
        str(out),
        parameters={"case": "pingliang", "n": 800, "seed": 1},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    assert "participation_actors_fig" in out.read_text(encoding="utf-8")
