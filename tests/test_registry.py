"""The case registry: the five cases load, and malformed files are refused by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cases.core import paths
from cases.core.errors import RegistryError
from cases.data import registry

SLUGS = {"liupanshui", "shandong_a_town", "w_town", "h_county", "pingliang"}


def test_five_cases_load_with_their_slugs():
    cases = registry.list_cases()
    assert {c.slug for c in cases} == SLUGS
    for case in cases:
        assert case.title and case.place.name_zh and case.study.research_question
        assert case.source.bibkey == f"thesis_{case.slug}"
        # every case paraphrases the seed abstract of the same name
        assert case.source.seed_file == f"{case.slug}.txt"


def test_known_facts_of_the_cases():
    # Facts stated in the abstracts (../shared/seeds): place, stage, benchmarks.
    assert registry.load_case("liupanshui").place.province == "Guizhou"
    assert registry.load_case("pingliang").place.province == "Gansu"
    assert registry.load_case("shandong_a_town").place.province == "Shandong"
    assert registry.load_case("w_town").study.policy_stage == "consolidation_relative_poverty"
    others = SLUGS - {"w_town"}
    assert {registry.load_case(s).study.policy_stage for s in others} == {
        "targeted_poverty_alleviation"
    }
    benchmarks = {b.place for b in registry.load_case("h_county").benchmarks}
    assert benchmarks == {"Yishui County", "Boxing County", "Lankao County"}
    informants = set(registry.load_case("shandong_a_town").informants)
    assert informants == {
        "township officials",
        "first secretaries",
        "village officials",
        "poor households",
    }


def test_unknown_slug_lists_valid_ones():
    with pytest.raises(RegistryError, match=r"unknown case slug 'nowhere'.*liupanshui"):
        registry.load_case("nowhere")


def _broken_copy(tmp_path: Path, slug: str, mutate) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    data = yaml.safe_load((paths.CASES_DIR / f"{slug}.yaml").read_text(encoding="utf-8"))
    mutate(data)
    (folder / f"{slug}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return folder


def test_missing_field_is_named(tmp_path):
    folder = _broken_copy(tmp_path, "h_county", lambda d: d["study"].pop("research_question"))
    with pytest.raises(RegistryError, match=r"h_county\.yaml.*'study\.research_question'"):
        registry.load_case("h_county", cases_dir=folder)


def test_wrong_policy_stage_is_named(tmp_path):
    folder = _broken_copy(
        tmp_path, "w_town", lambda d: d["study"].__setitem__("policy_stage", "someday")
    )
    with pytest.raises(RegistryError, match=r"w_town\.yaml.*'study\.policy_stage'"):
        registry.load_case("w_town", cases_dir=folder)


def test_unknown_vocabulary_code_is_named(tmp_path):
    folder = _broken_copy(
        tmp_path, "pingliang", lambda d: d["problems"][1].__setitem__("code", "laziness")
    )
    with pytest.raises(RegistryError, match=r"'problems\[1\]\.code': unknown code 'laziness'"):
        registry.load_case("pingliang", cases_dir=folder)


def test_unknown_key_is_refused(tmp_path):
    folder = _broken_copy(tmp_path, "liupanshui", lambda d: d.__setitem__("titel", "typo"))
    with pytest.raises(RegistryError, match=r"'titel'"):
        registry.load_case("liupanshui", cases_dir=folder)


def test_slug_must_match_file_name(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(paths.CASES_DIR / "h_county.yaml", folder / "x_county.yaml")
    with pytest.raises(RegistryError, match=r"x_county\.yaml: field 'slug'"):
        registry.list_cases(folder)


def test_invalid_yaml_names_file(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "bad.yaml").write_text("slug: [unclosed\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"bad\.yaml: not valid YAML"):
        registry.list_cases(folder)


def test_code_of_another_family_is_refused_naming_file_and_field(tmp_path):
    # A problem code is not a cause code: each field takes the codes of its own family.
    folder = _broken_copy(
        tmp_path, "pingliang", lambda d: d["causes"][0].__setitem__("code", "problem_formalism")
    )
    with pytest.raises(
        RegistryError,
        match=r"pingliang\.yaml: field 'causes\[0\]\.code': unknown code 'problem_formalism'"
        r".*data/qual/codebook\.yaml",
    ):
        registry.load_case("pingliang", cases_dir=folder)


def test_uncoded_cause_is_refused(tmp_path):
    folder = _broken_copy(
        tmp_path, "w_town", lambda d: d.__setitem__("causes", ["old habits persist"])
    )
    with pytest.raises(RegistryError, match=r"w_town\.yaml.*'causes\[0\]'"):
        registry.load_case("w_town", cases_dir=folder)


def test_vocabulary_comes_from_the_one_codebook():
    from cases.methods.qual import load_codebook

    book = load_codebook()
    vocabulary = registry.load_vocabulary()
    assert set(vocabulary) == set(registry.CODED_FIELDS)
    for family in book.families:
        assert vocabulary[family.registry_field] == book.codes_of(family.id)
    assert not (paths.DATA / "vocabulary.yaml").exists()  # merged into data/qual/codebook.yaml


def test_problem_codes_follow_the_abstracts():
    # ../shared/seeds: a lack of endogenous motivation or self-development capacity is a
    # finding in W Town, Pingliang and H County; formalism only in H County. H County states no
    # causes of its own (its list of difficulties concerns county governments in general);
    # Pingliang's backward thinking is a cause; A Town proposes no motivation remedy but takes
    # up rural revitalisation.
    cases = {c.slug: c for c in registry.list_cases()}
    with_motivation = {
        s for s, c in cases.items() if "problem_endogenous_motivation" in c.codes("problems")
    }
    assert with_motivation == {"w_town", "pingliang", "h_county"}
    with_formalism = {s for s, c in cases.items() if "problem_formalism" in c.codes("problems")}
    assert with_formalism == {"h_county"}
    assert cases["h_county"].codes("causes") == []
    assert "cause_attitudes_of_poor" in cases["pingliang"].codes("causes")
    town = cases["shandong_a_town"]
    assert "recommendation_stimulate_motivation" not in town.codes("recommendations")
    assert any("rural revitalisation" in r.description for r in town.recommendations)
    assert "problem_weak_social_organisations" in cases["shandong_a_town"].codes("problems")


def test_profile_tables_cover_every_section():
    tables = registry.profile_tables(registry.load_case("h_county"))
    assert set(tables) == {
        "design",
        "actors",
        "mechanisms",
        "findings",
        "problems",
        "causes",
        "recommendations",
        "benchmarks",
    }
    assert len(tables["problems"]) == 4  # four problems in data/cases/h_county.yaml
    assert len(tables["causes"]) == 0 and "Cause" in tables["causes"].columns  # none stated
    assert "benchmarks" not in registry.profile_tables(registry.load_case("w_town"))
