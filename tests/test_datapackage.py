"""The public-statistics data package: Frictionless validity (offline), hashes, metadata."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import socket
from pathlib import Path

import frictionless
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.core.errors import DataValidationError
from cases.core.paths import DATA
from cases.data.public_data import DATAPACKAGE, update_hashes, verify_package

PUBLIC_TABLES = {
    "national_rural_poverty",
    "poor_area_rural_income",
    "county_exit_counts",
    "case_area_counties",
    "census_population",
    "international_poverty",
    "locality_facts",
    "post2020_policy",
    "county_census",
    "census_crosswalk",
    "poverty_counties",
}
#: Public data that is not a table: prefecture boundaries for the census chapter's map.
PUBLIC_MAPS = {"prefectures_map"}
EXPECTED_TABLES = PUBLIC_TABLES | {
    "mpdta",  # published example data for the panel tests (data/external/)
    "ehec_data",  # published example data for the HonestDiD sensitivity tests (data/external/)
    "abstract_segments",  # coded paraphrases of the five abstracts (project input)
    "disagreements",  # coders A and B: every disagreement and its resolution (project input)
}
#: Folders and files of data/ whose files the analyses read; each must be a package resource.
INPUT_GLOBS = (
    "raw/*.csv",
    "external/*.csv",
    "cases/*.yaml",
    "instruments/*.yaml",
    "qual/*",
    "synth/*.yaml",
    "samples/*.csv",
    "cross_case_headlines.yaml",
)


@pytest.fixture(scope="module")
def descriptor() -> dict:
    return json.loads(DATAPACKAGE.read_text(encoding="utf-8"))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any attempt to open a network connection fail, so validation must run offline."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of data/ (the package and its files) in a temporary directory."""
    shutil.copytree(DATA, tmp_path, dirs_exist_ok=True)
    return tmp_path / "datapackage.json"


def test_frictionless_validation_of_whole_package_passes_offline(no_network: None) -> None:
    report = frictionless.validate(str(DATAPACKAGE))
    assert report.valid, report.flatten(["taskNumber", "rowNumber", "fieldName", "type", "note"])
    assert {task.name for task in report.tasks} == {r["name"] for r in _resources()}
    assert {t.name for t in report.tasks if t.type == "table"} == EXPECTED_TABLES


def _resources() -> list[dict]:
    return json.loads(DATAPACKAGE.read_text(encoding="utf-8"))["resources"]


def test_every_input_file_of_the_analyses_is_a_resource() -> None:
    files = {p.relative_to(DATA).as_posix() for g in INPUT_GLOBS for p in DATA.glob(g)}
    files = {f for f in files if not f.endswith("README.md")}
    assert files <= {r["path"] for r in _resources()}, sorted(
        files - {r["path"] for r in _resources()}
    )
    assert len(files) >= 29  # 8 public tables, 2 external, 5 + 5 case files, 3 instruments, ...


def test_frictionless_detects_a_changed_yaml_file(package_copy: Path, no_network: None) -> None:
    # File resources are checked by hash and size: an edited codebook must fail validation.
    path = package_copy.parent / "qual" / "codebook.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    report = frictionless.validate(str(package_copy))
    assert not report.valid
    assert {e[0] for e in report.flatten(["type"])} == {"hash-count", "byte-count"}


def test_frictionless_detects_a_corrupted_cell(package_copy: Path, no_network: None) -> None:
    # Guard against a validation that cannot fail: break one census figure (non-numeric),
    # restamp the hash so only the schema check can catch it.
    path = package_copy.parent / "raw" / "census_population.csv"
    text = path.read_text(encoding="utf-8").replace("2851332", "2,851,332x", 1)
    path.write_text(text, encoding="utf-8")
    update_hashes(package_copy)
    report = frictionless.validate(str(package_copy))
    assert not report.valid
    assert "type-error" in {e[0] for e in report.flatten(["type"])}


def test_frictionless_checks_the_case_county_foreign_key(
    package_copy: Path, no_network: None
) -> None:
    # A county code absent from census_population must be reported as a foreign-key error.
    path = package_copy.parent / "raw" / "case_area_counties.csv"
    text = path.read_text(encoding="utf-8").replace("371625,371625,", "371699,371625,", 1)
    path.write_text(text, encoding="utf-8")
    update_hashes(package_copy)
    report = frictionless.validate(str(package_copy))
    assert [e[0] for e in report.flatten(["type"])] == ["foreign-key"]


def test_every_resource_hash_matches_recomputed_sha256(descriptor: dict) -> None:
    for resource in descriptor["resources"]:
        data = (DATA / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), resource["path"]
        assert resource["bytes"] == len(data), resource["path"]


def test_verify_package_returns_digests_for_every_resource() -> None:
    digests = verify_package()
    assert set(digests) == {r["name"] for r in _resources()}
    assert EXPECTED_TABLES < set(digests)


def test_verify_package_names_the_mismatching_file(package_copy: Path) -> None:
    path = package_copy.parent / "raw" / "international_poverty.csv"
    path.write_bytes(path.read_bytes() + b"\n")
    with pytest.raises(DataValidationError, match=r"raw/international_poverty\.csv") as info:
        verify_package(package_copy)
    assert len(info.value.problems) == 1


def test_verify_package_names_a_missing_file(package_copy: Path) -> None:
    (package_copy.parent / "raw" / "locality_facts.csv").unlink()
    with pytest.raises(DataValidationError, match=r"raw/locality_facts\.csv.*is missing"):
        verify_package(package_copy)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=200), flip=st.integers(min_value=0, max_value=199))
def test_update_then_verify_roundtrip_and_any_change_is_caught(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, flip: int
) -> None:
    # Property: after update_hashes, verify_package passes; changing any byte makes it fail.
    root = tmp_path_factory.mktemp("pkg")
    (root / "t.csv").write_bytes(content)
    package = root / "datapackage.json"
    package.write_text(json.dumps({"resources": [{"name": "t", "path": "t.csv"}]}))
    update_hashes(package)
    assert verify_package(package) == {"t": hashlib.sha256(content).hexdigest()}
    changed = bytearray(content or b"\x00")
    changed[flip % len(changed)] ^= 0xFF
    (root / "t.csv").write_bytes(bytes(changed) if content else bytes(changed) + b"x")
    with pytest.raises(DataValidationError, match=r"t\.csv"):
        verify_package(package)


def test_every_resource_has_a_role_sources_licence_and_simulated_flag(descriptor: dict) -> None:
    roles = {"public_statistics", "external_example", "project_input"}
    for resource in descriptor["resources"]:
        name = resource["name"]
        assert resource["role"] in roles, name
        assert isinstance(resource["simulated"], bool), name
        assert resource["sources"] and all(s["title"] for s in resource["sources"]), name
        assert resource["licenses"], name
        assert resource["title"] and resource["description"], name
    simulated = {r["path"] for r in descriptor["resources"] if r["simulated"]}
    assert simulated == {p.relative_to(DATA).as_posix() for p in DATA.glob("samples/*.csv")}


def test_every_public_table_is_real_sourced_licensed_and_keyed(descriptor: dict) -> None:
    public = [r for r in descriptor["resources"] if r["role"] != "project_input"]
    assert {r["name"] for r in public} == PUBLIC_TABLES | PUBLIC_MAPS | {"mpdta", "ehec_data"}
    for resource in public:
        if resource["name"] in PUBLIC_MAPS:
            assert resource["path"].endswith(".geojson") and resource["sources"], resource["name"]
            assert resource["licenses"] and resource["simulated"] is False, resource["name"]
            continue
        name = resource["name"]
        assert resource["simulated"] is False, name
        assert not Path(resource["path"]).is_absolute(), name
        assert resource["path"].startswith(("raw/", "external/")), name
        assert resource["path"].endswith(".csv"), name
        assert resource["sources"] and all(s["title"] and s["path"] for s in resource["sources"])
        assert resource["licenses"], name
        assert resource["schema"].get("primaryKey"), name
        for field in resource["schema"]["fields"]:
            assert field.get("description"), f"{name}.{field['name']} has no description"


def test_quantities_carry_units(descriptor: dict) -> None:
    # Every count, amount or share field states its unit (identifiers and years do not need one).
    no_unit_needed = {"year", "exit_year", "code_2010", "code_2020", "fact_id", "value"}
    no_unit_needed |= {"countyreal", "treat"}  # mpdta: identifier and 0/1 indicator
    no_unit_needed |= {"stfips"}  # ehec_data: state identifier
    no_unit_needed |= {"sentence", "start", "end"}  # abstract_segments: positions in a text
    for resource in descriptor["resources"]:
        for field in resource.get("schema", {}).get("fields", []):
            if field["type"] in ("integer", "number") and field["name"] not in no_unit_needed:
                assert field.get("unit"), f"{resource['name']}.{field['name']} has no unit"


def test_csv_files_are_utf8_with_one_header_row_matching_the_schema(descriptor: dict) -> None:
    for resource in descriptor["resources"]:
        if "schema" not in resource:
            continue
        path = DATA / resource["path"]
        text = path.read_bytes().decode("utf-8")  # raises if not UTF-8
        assert not text.startswith("\ufeff"), f"{path.name} has a byte-order mark"
        rows = list(csv.reader(text.splitlines()))
        assert rows[0] == [f["name"] for f in resource["schema"]["fields"]], path.name
        assert all(len(r) == len(rows[0]) for r in rows[1:]), path.name
        assert len(rows) > 1, path.name


def test_wdi_and_census_licences_are_stated(descriptor: dict) -> None:
    by_name = {r["name"]: r for r in descriptor["resources"]}
    assert by_name["international_poverty"]["licenses"][0]["name"] == "CC-BY-4.0"
    assert by_name["census_population"]["licenses"][0]["name"] == "MIT"


def test_runs_stop_on_a_changed_public_table_but_not_on_an_edited_project_file(
    package_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Authors edit registry and parameter files between runs (the tests check those hashes);
    # a transcribed public table must never change silently.
    from cases.core import paths
    from cases.run import pipeline

    monkeypatch.setattr(paths, "DATA", package_copy.parent)
    case = package_copy.parent / "cases" / "h_county.yaml"
    case.write_text(case.read_text(encoding="utf-8") + "# note\n", encoding="utf-8")
    pipeline.verify_data_package()  # no error
    with pytest.raises(DataValidationError, match=r"case_h_county[\s\S]*update_hashes"):
        verify_package(package_copy)
    table = package_copy.parent / "raw" / "locality_facts.csv"
    table.write_bytes(table.read_bytes() + b"\n")
    with pytest.raises(DataValidationError, match=r"locality_facts\.csv") as info:
        pipeline.verify_data_package()
    assert "case_h_county" not in str(info.value)
