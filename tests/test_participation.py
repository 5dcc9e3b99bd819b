"""Tests for cases.pages.participation: a hand-drawn network, coverage shares, planted effects."""

from __future__ import annotations

import math
import re

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
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


def test_wilson_interval_published_example():
    # Newcombe, R. G. (1998), Statistics in Medicine 17, 857-872, Table I, example (a):
    # 81 of 263, Wilson score interval 0.2553 to 0.3662.
    share, lo, hi = proportion_ci(81, 263)
    assert share == pytest.approx(81 / 263)
    assert lo == pytest.approx(0.2553, abs=5e-5)
    assert hi == pytest.approx(0.3662, abs=5e-5)
    with pytest.raises(ParameterError):
        proportion_ci(3, 2)


def test_share_by_group_hides_small_groups():
    frame = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 3, "f": [1, 1, 1, 0, 0, 0, 1, 1, 0]})
    out = share_by_group(frame, "f", "g").set_index("group")
    assert out.loc["a", "share"] == 0.5 and out.loc["a", "n"] == 6
    assert math.isnan(out.loc["b", "share"]) and math.isnan(out.loc["b", "count"])
    with pytest.raises(DataValidationError, match="0/1"):
        share_by_group(frame.assign(f=2), "f", "g")


def test_rate_ratio_by_hand():
    # Flagged households have 2 and 4 records (mean 3), others 1 and 0 and 2 (mean 1):
    # the Poisson MLE of the ratio is the ratio of means, 3.
    hh = pd.DataFrame({"household_id": [1, 2, 3, 4, 5], "m": [1, 1, 0, 0, 0]})
    rec = pd.DataFrame(
        {
            "household_id": [1, 1, 2, 2, 2, 2, 3, 5, 5],
            "actor_type": ["government"] * 9,
            "kind": ["x"] * 9,
        }
    )
    rr = assistance_rate_ratio(hh, rec, "m")
    assert rr["ratio"] == pytest.approx(3.0)
    assert rr["ci_low"] < 3 < rr["ci_high"]
    with pytest.raises(DataValidationError, match="not in the households"):
        assistance_rate_ratio(hh, rec.assign(household_id=9), "m")


# --------------------------------------------------------------------------- planted effects


@pytest.fixture(scope="module")
def pingliang():
    data = synth.generate("pingliang", seed=8, n=4000)
    return data, participation.run("pingliang", data)


def test_network_recovers_planted_structure(pingliang):
    data, res = pingliang
    planted = data.meta["planted_effects"]["tie_probability"]
    rates = tie_rates(res.graph).set_index("pair")
    for pair in (
        "government--poor_household",
        "village_committee--poor_household",
        "enterprise--poor_household",
    ):
        assert rates.loc[pair, "rate"] == pytest.approx(planted[pair], abs=0.05), pair
    # Ordering planted by the tie probabilities: the government is the most central type.
    types = ("government", "enterprise", "social_organisation", "village_committee")
    degree = {t: res.numbers[f"mean_degree_centrality_{t}"] for t in types}
    between = {t: res.numbers[f"mean_betweenness_{t}"] for t in types}
    assert max(degree, key=degree.get) == "government"
    assert max(between, key=between.get) == "government"
    assert res.numbers["gov_degree_rank"] == 1
    # Expected government share of household ties: 0.35 / (0.35 + 0.7 + 4*0.04 + 2*0.02)
    # = 0.35 / 1.25 = 0.28 (every household's village has one committee).
    assert res.numbers["gov_share_of_household_ties"] / 100 == pytest.approx(0.28, abs=0.04)


def test_social_security_coverage_recovers_planted_share(pingliang):
    data, res = pingliang
    planted = data.meta["planted_effects"]["social_security_coverage"]
    got = res.numbers["coverage_share_registered_no_labour"]
    assert got == pytest.approx(planted["registered_no_labour"], abs=0.06)
    lo, hi = (res.numbers[f"coverage_share_registered_no_labour_ci_{s}"] for s in ("low", "high"))
    assert lo < got < hi


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
    res = participation.run("shandong_a_town", data)
    assert res.numbers["no_record_pct"] / 100 == pytest.approx(math.exp(-3), abs=0.015)


def test_monitored_rate_ratio_recovered():
    data = synth.generate("w_town", seed=4, n=5000)
    res = participation.run("w_town", data)
    assert res.numbers["rate_ratio_monitored"] == pytest.approx(
        data.meta["planted_effects"]["assistance_rate_ratio_monitored"], abs=0.3
    )
    # Monitored households get Poisson(0.8 x 2.5 = 2) records: exp(-2) = 0.135 have none.
    assert res.numbers["no_record_share_monitored"] == pytest.approx(math.exp(-2), abs=0.05)


def test_glue_keys_and_unknown_case():
    data = synth.generate("w_town", seed=1, n=800)
    res = participation.run("w_town", data)
    used = set()
    for text in res.markdown.values():
        used |= set(re.findall(r"\{glue:text\}`participation_([a-z0-9_]+)", text))
    assert used <= set(res.numbers), used - set(res.numbers)
    with pytest.raises(ParameterError, match="no participation data"):
        participation.run("h_county", data)


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
