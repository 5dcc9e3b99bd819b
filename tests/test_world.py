"""One simulated world per case (issue 18, item 3).

A case's simulated households, villages, years and seed are declared once, in the ``world``
block of ``data/synth/<case>.yaml``; every page of the chapter (and the design page's
diagnoses) uses that world, so all pages report the same sample size. The expected numbers
below are read from the YAML file itself (the declaration), never from the code under test.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

from cases.core import paths
from cases.data import registry
from cases.pages import design as design_page
from cases.pages import participation, policy_evaluation, survey_analysis, targeting
from cases.pages import poverty_profile as pp
from cases.run import pipeline, sweep
from cases.simulate import synth

#: The templates that analyse a case's simulated data (``n`` and ``seed`` parameters).
DATA_PAGES = (
    "poverty_profile",
    "survey_analysis",
    "policy_evaluation",
    "targeting",
    "participation",
    "simulation",
)
#: The chapters with pages on simulated data (the theses that ran surveys).
DATA_CASES = ("h_county", "shandong_a_town")


def declared(case: str) -> dict[str, int]:
    """The world as written in ``data/synth/<case>.yaml`` (read here with plain YAML)."""
    raw = yaml.safe_load((paths.SYNTH / f"{case}.yaml").read_text(encoding="utf-8"))
    world = raw["world"]
    out = {k: world[k]["value"] for k in ("seed", "villages", "households_per_village")}
    out["households"] = out["villages"] * out["households_per_village"]
    return out


# --------------------------------------------------------------------------------------------
# Declared once
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", registry.slugs())
def test_the_world_is_declared_once_and_read_by_synth_and_the_design_page(case):
    raw = yaml.safe_load((paths.SYNTH / f"{case}.yaml").read_text(encoding="utf-8"))
    # No second declaration of the size or seed in the synth file...
    assert "defaults" not in raw
    assert not {"households_per_village", "n_villages", "n", "seed"} & set(raw["parameters"])
    # ...nor in the design page's settings.
    settings = yaml.safe_load((paths.SETTINGS / "design.yaml").read_text(encoding="utf-8"))
    assert not {"world", "world_basis"} & set(settings["cases"][case])
    assert "world" not in design_page.CaseDesigns.model_fields

    want = declared(case)
    world = synth.world(case)
    assert (world.seed, world.villages, world.households_per_village, world.households) == (
        want["seed"],
        want["villages"],
        want["households_per_village"],
        want["households"],
    )
    assert world.basis == " ".join(raw["world"]["basis"].split())
    # The design page draws every household design's population in that world's villages
    # (one row per household, or per village and year for a design on village-year means).
    for claim in design_page.settings().cases[case].claims:
        if claim.units is None:
            population = design_page.claim_design(case, claim.id).model(np.random.default_rng(1))
            assert population["village"].nunique() == want["villages"], claim.id
            if "year" not in population.columns:
                assert len(population) == want["households"], claim.id


@pytest.mark.parametrize("case", registry.slugs())
def test_generate_without_arguments_draws_the_declared_world(case):
    want = declared(case)
    data = synth.generate(case)
    assert data.meta["seed"] == want["seed"] and data.meta["n"] == want["households"]
    assert data.meta["is_world"] is True
    hh = data["households"]
    assert len(hh) == want["households"]
    if "village_id" in hh.columns:
        sizes = hh.groupby("village_id").size()
        assert len(sizes) == want["villages"]
        assert set(sizes) == {want["households_per_village"]}
    # The same seed and size give the same tables (one world, not one per page).
    again = synth.field_data(case, "", seed=want["seed"], n=0)
    for name, df in data.tables.items():
        assert again[name].equals(df), name
    # An explicit n still works and is not the world.
    other = synth.field_data(case, "", seed=want["seed"], n=want["households"] + 30)
    assert other.meta["n"] == want["households"] + 30 and other.meta["is_world"] is False


def test_world_years_are_the_years_of_the_tables():
    world = synth.world("h_county")
    years = synth.generate("h_county")["panel"]["year"]
    assert (int(years.min()), int(years.max())) == (world.first_year, world.last_year)
    raw = yaml.safe_load((paths.SYNTH / "h_county.yaml").read_text(encoding="utf-8"))
    params = raw["parameters"]
    assert (world.first_year, world.last_year) == (
        params["first_year"]["value"],
        params["last_year"]["value"],
    )


def test_a_negative_n_is_refused_by_name():
    with pytest.raises(Exception, match="n must be 0"):
        synth.field_data("h_county", "", n=-3)


# --------------------------------------------------------------------------------------------
# Every page uses the world
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", registry.slugs())
def test_chapter_parameters_of_every_data_page_select_the_world(case):
    """``params/<case>.yaml`` over the templates' defaults: n = 0 (the world) and the world's
    seed, for every page that simulates data; and the design page reads the synth file."""
    want = declared(case)
    jobs = {j.analysis: j for j in pipeline.jobs_for(case)}
    for name in DATA_PAGES:
        template = paths.NOTEBOOKS / f"{name}.ipynb"
        params = sweep.chapter_parameters(case, name)
        if params is None:
            continue
        assert params["n"] == 0, (case, name)
        assert params["seed"] == want["seed"], (case, name)
        assert f"data/synth/{case}.yaml" in [str(p) for p in jobs[name].inputs]
        help_text = synth_help(template)
        assert "world" in help_text and "0" in help_text
    assert f"data/synth/{case}.yaml" in [str(p) for p in jobs["design"].inputs]


def synth_help(template: Path) -> str:
    """The help comment of the template's ``n`` parameter."""
    text = template.read_text(encoding="utf-8")
    found = re.search(r'"n: int = 0  # ([^"\\]*)', text)
    assert found, f"{template.name}: no 'n: int = 0' parameter"
    return found.group(1)


@functools.cache
def pages(case: str) -> dict[str, dict]:
    """The glued numbers of every page of ``case``'s chapter, each built as its notebook builds
    it: data from ``synth.field_data`` with the chapter's parameters (bootstraps at the
    minimum of 999 replicates; the design page with few simulations)."""
    jobs = {j.analysis for j in pipeline.jobs_for(case)}
    out: dict[str, dict] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in sorted(jobs & set(DATA_PAGES)):
            ch = sweep.chapter_parameters(case, name)
            data = synth.field_data(case, "", seed=ch["seed"], n=ch["n"])
            if name == "poverty_profile":
                page = pp.build(data, case, seed=ch["seed"], n_boot=999)
            elif name == "survey_analysis":
                page = survey_analysis.build(case, data)
            elif name == "policy_evaluation":
                page = policy_evaluation.build(data, case)
            elif name == "targeting":
                page = targeting.build(data, case, bootstrap_reps=999, seed=ch["seed"])
            elif name == "participation":
                page = participation.build(case, data)
            else:
                page = pp.simulation_page(data, case, seed=ch["seed"], n=ch["n"])
            out[name] = dict(page.numbers)
        out["design"] = design_page.build(
            case, sims=24, curve_sims=12, stress_sims=12, seed=7
        ).numbers
    return out


@pytest.mark.parametrize("case", DATA_CASES)
def test_all_pages_of_a_case_report_the_same_sample_size(case):
    want = declared(case)
    got = pages(case)
    # The whole world: households and villages.
    whole = {
        "poverty_profile": ("n_households", "n_villages"),
        "targeting": ("text_n_households", "text_n_villages"),
        "simulation": ("world_households", "world_villages"),
        "design": ("n_households", "n_villages"),
        "survey_analysis": ("frame_households", "frame_villages"),
    }
    seen = []
    for name, (hh_key, vil_key) in whole.items():
        if name not in got:
            continue
        assert got[name][hh_key] == want["households"], (name, got[name][hh_key])
        assert got[name][vil_key] == want["villages"], (name, got[name][vil_key])
        seen.append(name)
    assert len(seen) >= 4, seen
    if "simulation" in got:
        assert got["simulation"]["n"] == want["households"]
        assert got["simulation"]["seed"] == want["seed"]
    if "participation" in got:
        assert got["participation"]["n_households"] == want["households"]
    # Pages on a stated part of the world: the policy evaluation keeps registered households
    # (its text says so) in the world's villages; the questionnaire is a sample of the world.
    if "policy_evaluation" in got:
        pe = got["policy_evaluation"]
        registered = int(synth.generate(case)["households"]["registered_poor"].sum())
        assert pe["text_n_households"] == registered
        assert pe["text_n_villages"] <= want["villages"]
        assert pe["text_first_year"] == synth.world(case).first_year
        assert pe["text_last_year"] == synth.world(case).last_year
    if "survey_analysis" in got:
        share = yaml.safe_load((paths.SYNTH / f"{case}.yaml").read_text(encoding="utf-8"))[
            "parameters"
        ]["survey_fraction"]["value"]
        n_households_answering = round(share * want["households"])
        assert got["survey_analysis"]["n_respondents"] >= n_households_answering
        assert math.isfinite(got["survey_analysis"]["n_respondents"])


def test_the_simulation_page_opens_with_the_world_statement():
    case = "h_county"
    want = declared(case)
    data = synth.field_data(case, "", n=0)
    page = pp.simulation_page(data, case, seed=want["seed"], n=0)
    passages = page.render("simulation")
    assert next(iter(passages)) == "world"
    text = " ".join(passages["world"].split())
    assert f"{want['households']} households in {want['villages']} villages" in text
    assert f"seed {want['seed']}" in text and "2015 to 2019" in text
    assert "another world" not in text
    other = pp.simulation_page(synth.field_data(case, "", seed=3, n=100), case, seed=3, n=100)
    assert "This run draws another world (100 households from seed 3)" in " ".join(
        other.render("simulation")["world"].split()
    )


def test_every_specification_of_the_curve_has_enough_villages_in_the_world():
    """The sweep holds n at the world (n = 0); each sample it varies must leave at least the
    ten villages below which the inference rule refuses any clustered interval."""
    from cases.methods.inference import MIN_CLUSTERS

    grid = sweep.load_grid(Path("params/sweeps/h_county_policy.yaml"))
    assert grid.held["n"]["value"] == 0
    data = synth.field_data("h_county", "", seed=grid.held["seed"]["value"], n=0)
    for sample in grid.parameters["sample"]:
        panel = policy_evaluation.analysis_panel(data, "h_county", sample=sample)
        assert panel["village_id"].nunique() >= MIN_CLUSTERS, sample
