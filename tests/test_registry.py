"""The case registry: the five cases load, and malformed files are refused by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from cases import paths, registry
from cases.errors import RegistryError

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


def test_code_matrix_counts_each_case_code_once():
    cases = registry.list_cases()
    for field in registry.CODED_FIELDS:
        matrix = registry.code_matrix(cases, field, labels=False)
        for case in cases:
            assert matrix[case.slug].sum() == len(set(case.codes(field)))
        totals = matrix.sum(axis=1).tolist()
        assert totals == sorted(totals, reverse=True)


def test_problem_codes_follow_the_abstracts():
    # Weak endogenous motivation is named as a problem in the W Town and Pingliang abstracts;
    # H County names a lack of ability (capacity), not of will (../shared/seeds).
    matrix = registry.code_matrix(registry.list_cases(), "problems", labels=False)
    assert set(matrix.columns[matrix.loc["endogenous_motivation"] == 1]) == {"w_town", "pingliang"}
    assert matrix.loc["lack_capacity", "h_county"] == 1
    assert matrix.loc["formalism"].sum() == 1 and matrix.loc["formalism", "h_county"] == 1


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
    assert len(tables["problems"]) == 5  # five problems in data/cases/h_county.yaml
    assert "benchmarks" not in registry.profile_tables(registry.load_case("w_town"))
