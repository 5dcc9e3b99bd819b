"""The authors' guide: its shipped sample files, its generated tables, and the page itself."""

from __future__ import annotations

import csv
import io
import os
import re

import nbformat
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.core import paths
from cases.core.errors import CasesError, DataValidationError
from cases.data.io import read_survey
from cases.methods.survey import cronbach_alpha, load_instrument
from cases.pages import guide
from cases.present.text import render_blocks
from cases.run import pipeline
from cases.simulate.synth import TABLE_SCHEMAS

SAMPLES = paths.DATA / "samples"
GOOD = SAMPLES / "governance_survey_gbk.csv"
BROKEN = SAMPLES / "governance_survey_broken.csv"
GUIDE = paths.NOTEBOOKS / "authors_guide.ipynb"
EXTRA = ["村名", "性别"]
# The planted problems as documented in data/samples/README.md: (data row, column, new text).
PLANTED = [(12, "trans_2", "7"), (23, "respondent_id", "GG008"), (31, "role", "village_head")]
PARAM_LINE = re.compile(r"^(\w+): (\w+) = (.+?)  # (.+)$")


def _rows(path) -> list[list[str]]:
    """The cells of a sample file as text, decoded as GBK by the standard library."""
    return list(csv.reader(io.StringIO(path.read_bytes().decode("gbk"), newline="")))


def _phones(path) -> list[str]:
    rows = _rows(path)
    j = rows[0].index("phone")
    return [r[j] for r in rows[1:]]


# ------------------------------------------------------------------------------ sample files


def test_shipped_samples_are_reproduced_byte_for_byte_by_the_seeded_generator(tmp_path):
    good, broken = guide.write_samples(tmp_path)  # default seed: the shipped one
    assert good.read_bytes() == GOOD.read_bytes()
    assert broken.read_bytes() == BROKEN.read_bytes()


def test_good_sample_is_a_gbk_csv_with_chinese_headers_and_fake_phone_numbers():
    raw = GOOD.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GBK, not UTF-8 (the reader must detect it)
    assert b"\r\n" in raw
    rows = _rows(GOOD)
    header = rows[0]
    assert header[:5] == ["respondent_id", "role", "村名", "性别", "phone"]
    assert header[5:] == load_instrument("good_governance").item_ids
    assert len(rows) - 1 == 40
    # The documented artificial pattern: 1, a digit 3-9, 0000, five digits.
    assert all(re.fullmatch(r"1[3-9]0000\d{5}", p) for p in _phones(GOOD))


def test_good_sample_reads_with_the_phone_column_dropped():
    survey = read_survey(
        GOOD, "good_governance", identifiers={"phone": "drop"}, extra_columns=EXTRA
    )
    assert "phone" not in survey.columns
    assert len(survey) == 40 and survey.attrs["encoding"] == "gb18030"
    assert survey["role"].value_counts().to_dict() == {
        "poor_household": 20,
        "village_official": 10,
        "township_official": 6,
        "first_secretary": 4,
    }
    assert set(survey["村名"]) <= {"东岭村", "西河村", "南坪村", "北山村"}
    # Answers coded 9 ("don't know") in the file are missing after reading, never a 9.
    assert not (survey[load_instrument("good_governance").item_ids] == 9).any().any()
    nines = sum(cell == "9" for row in _rows(GOOD)[1:] for cell in row[5:])
    assert nines > 0
    assert survey[load_instrument("good_governance").item_ids].isna().to_numpy().sum() >= nines


def test_good_sample_without_declaring_the_phone_column_is_refused_naming_it():
    with pytest.raises(DataValidationError, match=r"column 'phone'.*phone/mobile") as info:
        read_survey(GOOD, "good_governance", extra_columns=EXTRA)
    assert all(p not in str(info.value) for p in _phones(GOOD))  # values never echoed


def test_the_guard_catches_the_phone_numbers_by_content_under_an_innocent_header(tmp_path):
    rows = _rows(GOOD)
    rows[0] = ["contact" if c == "phone" else c for c in rows[0]]
    renamed = tmp_path / "renamed.csv"
    with renamed.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    with pytest.raises(DataValidationError, match=r"column 'contact': 40 value\(s\)") as info:
        read_survey(renamed, "good_governance", extra_columns=EXTRA)
    assert all(p not in str(info.value) for p in _phones(GOOD))


def test_broken_sample_differs_from_the_good_one_in_exactly_the_planted_cells():
    good, broken = _rows(GOOD), _rows(BROKEN)
    header = good[0]
    changed = [
        (i, header[j], cell)
        for i, (g, b) in enumerate(zip(good[1:], broken[1:], strict=True), start=1)
        for j, cell in enumerate(b)
        if cell != g[j]
    ]
    assert changed == PLANTED


def test_broken_sample_raises_naming_row_and_column_of_each_planted_problem():
    with pytest.raises(DataValidationError) as info:
        read_survey(BROKEN, "good_governance", identifiers={"phone": "drop"}, extra_columns=EXTRA)
    problems = info.value.problems
    assert any(p.startswith("row 12, column 'trans_2'") and "Likert code 7" in p for p in problems)
    assert any(
        p.startswith("row 23, column 'respondent_id'") and "'GG008'" in p and "first at row 8" in p
        for p in problems
    )
    assert any(p.startswith("row 31, column 'role'") and "'village_head'" in p for p in problems)
    # The first occurrence of the duplicated id is flagged as well, and nothing else.
    assert guide.problem_locations(info.value) == [
        (8, "respondent_id"),
        (12, "trans_2"),
        (23, "respondent_id"),
        (31, "role"),
    ]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_seed_gives_a_valid_sample_and_the_same_planted_problems(tmp_path_factory, seed):
    folder = tmp_path_factory.mktemp("seed")
    good, broken = guide.write_samples(folder, seed)
    survey = guide.read_sample(good)
    assert len(survey) == 40 and "phone" not in survey.columns
    with pytest.raises(DataValidationError) as info:
        guide.read_sample(broken)
    assert guide.problem_locations(info.value) == [
        (8, "respondent_id"),
        (12, "trans_2"),
        (23, "respondent_id"),
        (31, "role"),
    ]


def test_samples_readme_says_simulated_and_documents_the_plants():
    text = (SAMPLES / "README.md").read_text(encoding="utf-8")
    assert "simulated" in text.lower() and "datapackage.json" in text
    for row, column, value in PLANTED:
        assert f"row {row}" in text and column in text and value in text


def test_the_planted_dimensions_are_recovered_once_reverse_keys_are_applied():
    # Planted: items of a dimension share a general and a dimension factor (loadings 0.6, 0.6,
    # noise 0.7), so on the latent scale r = 0.72/1.21 and alpha = 3r/(1+2r) = 0.82 for three
    # items; coarse 1-5 codes and 40 respondents pull it down a little.
    reliability = guide.alpha_by_dimension(guide.read_sample(GOOD))
    assert len(reliability) == 8
    assert (reliability["alpha"] > 0.5).all()
    assert 0.65 < reliability["alpha"].mean() < 0.9
    # Without reverse-coding, a dimension with a negatively worded item falls apart.
    survey = guide.read_sample(GOOD)
    assert cronbach_alpha(survey[["fair_1", "fair_2", "fair_3"]].dropna()) < 0.3


# ------------------------------------------------------------------------------ generated tables


def test_parameter_table_covers_every_parameter_of_every_template():
    expected = set()
    templates = sorted(paths.NOTEBOOKS.glob("*.ipynb"))
    for template in templates:
        nb = nbformat.read(template, as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        for line in cell.source.splitlines():
            if line.strip() and not line.startswith("#"):  # a comment: no parameters
                name, kind, default, meaning = PARAM_LINE.match(line).groups()
                expected.add((template.stem, name, kind, default, meaning))
    table = guide.parameter_table()
    listed = {(r.notebook, r.parameter, r.type, r.default, r.meaning) for r in table.itertuples()}
    assert listed == expected
    assert len(table) == len(expected)
    runs = dict(zip(table["notebook"], table["runs for"], strict=False))
    assert runs["authors_guide"] == "book"
    assert "h_county" in runs["poverty_profile"]
    numbers = guide.parameter_numbers(table, n_templates=len(templates))
    assert numbers["n_templates"] == len(templates)
    assert numbers["n_parameters"] == len(expected)
    declaring = {t for t, *_ in expected}
    assert guide.parameter_numbers(table)["n_templates"] == len(declaring)
    # A template declares only what it uses (tests/test_structure.py), so few or no parameters
    # are shared; seed's default is the compendium's seed wherever it is declared.
    declared = [{n for t, n, *_ in expected if t == template.stem} for template in templates]
    assert set(numbers["shared_parameters"]) == set.intersection(*declared)
    assert numbers["seed_default"] == str(guide.SAMPLE_SEED)
    assert 0 < numbers["seed_count"] <= numbers["n_templates"]


def test_error_catalogue_triggers_every_kind_and_never_shows_a_phone_number(tmp_path):
    table = guide.error_catalogue(tmp_path)
    assert table["problem"].is_unique and len(table) >= 14
    assert tuple(table["problem"]) == guide.ERROR_KINDS
    messages = dict(zip(table["problem"], table["message"], strict=True))
    assert "gb18030" in messages["wrong encoding"]
    assert "delimiter=';'" in messages["wrong delimiter"]
    assert "row 12, column 'trans_2'" in messages["Likert code out of range"]
    assert "CASES_ID_KEY" in messages["hash key not set"]
    assert "'village_head'" in messages["unknown respondent role"]
    phones = _phones(GOOD)
    assert not [m for m in table["message"] for p in phones if p in m]


def test_field_data_schema_lists_every_column_of_the_case():
    schema = guide.field_data_schema("h_county")
    expected = [(f"{t}.csv", c[0]) for t, cols in TABLE_SCHEMAS["h_county"].items() for c in cols]
    assert list(zip(schema["file"], schema["column"], strict=True)) == expected
    assert set(schema["needed"]) == {"required"}  # H County's targeting needs every column
    optional = guide.field_data_schema("pingliang").set_index("column")["needed"]
    assert optional["housing_unsafe"].startswith("optional") and optional["labour_capacity"] == (
        "required"
    )
    assert set(
        guide.field_data_schema("liupanshui").query("file == 'households.csv'")["needed"]
    ) == {"optional table"}
    with pytest.raises(ValueError, match="atlantis"):
        guide.field_data_schema("atlantis")


def test_citation_is_rendered_from_citation_cff():
    cff = yaml.safe_load((paths.ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    cite = guide.citation()
    assert cite.title == cff["title"] and cite.version == cff["version"]
    assert cff["title"] in cite.text and f"Version {cff['version']}" in cite.text
    assert cite.n_references == len(cff["references"])
    assert cite.bibtex.startswith("@software{") and cite.bibtex.count("{") == cite.bibtex.count("}")


def test_id_key_sets_the_key_only_inside_the_block(monkeypatch):
    monkeypatch.setenv("CASES_ID_KEY", "outer")
    with guide.id_key("inner"):
        assert os.environ["CASES_ID_KEY"] == "inner"
    assert os.environ["CASES_ID_KEY"] == "outer"
    with guide.id_key(None):
        assert "CASES_ID_KEY" not in os.environ
    assert os.environ["CASES_ID_KEY"] == "outer"


# ------------------------------------------------------------------------------ the page


@pytest.fixture(scope="module")
def page():
    return guide.build()


def test_build_collects_the_numbers_the_guide_quotes(page):
    numbers = page.numbers
    assert numbers["sample_n_respondents"] == 40 and numbers["broken_n_planted"] == 3
    assert numbers["broken_n_problems"] == 4 and numbers["broken_dup_first_row"] == 8
    assert numbers["errors_n_kinds"] == len(guide.ERROR_KINDS)
    assert numbers["n_templates"] == len(list(paths.NOTEBOOKS.glob("*.ipynb")))
    assert numbers["schema_case"] == guide.SCHEMA_CASE
    schema = TABLE_SCHEMAS[guide.SCHEMA_CASE]
    assert numbers["schema_n_tables"] == len(schema)
    assert numbers["schema_n_columns"] == sum(len(cols) for cols in schema.values())
    assert page.facts["schema_files"] == [f"{t}.csv" for t in schema]
    assert page.facts["sample_shipped"] and page.facts["sample_reproduced"]
    assert set(page.tolerances) == {k for k, v in numbers.items() if isinstance(v, float)}
    assert set(page.tolerances) == {"alpha_min", "alpha_max"}


def test_the_text_template_renders_every_passage_the_notebook_quotes(page):
    # Every placeholder resolves, for the book's run and for the other states of the sample.
    for shipped, reproduced in [(True, True), (True, False), (False, True)]:
        context = dict(page.context(), sample_shipped=shipped, sample_reproduced=reproduced)
        passages = render_blocks("authors_guide", context)
        assert all(passages.values())
        assert str(page.facts["sample_seed"]) in passages["sample_sentence"]
    passages = page.render("authors_guide")
    # Each kind of error has its meaning; the citation block holds the citation file's fields.
    errors = guide.with_meanings(page.tables["errors"], passages)
    assert errors["what it means"].str.len().gt(0).all()
    assert page.numbers["cite_title"] in passages["cite_block"]
    assert all(f"`{f}`" in passages["schema_files"] for f in page.facts["schema_files"])
    # Every guide_ key the notebook's Markdown uses is glued: by show() (numbers and passages)
    # or by the notebook's own glue calls (the run layer's exit codes and scaffold preview).
    nb = nbformat.read(GUIDE, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    used = set(re.findall(r"guide_[a-z0-9_]+", prose))
    glued = {f"guide_{k}" for k in [*page.numbers, *passages]}
    glued |= set(re.findall(r"report\.glue\(\"(guide_[a-z0-9_]+)\"", code))
    assert used and used <= glued, used - glued


def test_a_kind_of_error_without_a_meaning_is_an_error(page):
    passages = page.render("authors_guide")
    del passages[guide.meaning_block("wrong delimiter")]
    with pytest.raises(CasesError, match="meaning_wrong_delimiter"):
        guide.with_meanings(page.tables["errors"], passages)


def test_the_guides_worked_example_runs_as_a_test(tmp_path, monkeypatch):
    import papermill

    monkeypatch.delenv("CASES_MANIFEST", raising=False)
    output = tmp_path / "authors_guide.ipynb"
    papermill.execute_notebook(
        str(GUIDE), str(output), kernel_name="python3", cwd=str(tmp_path), progress_bar=False
    )
    assert pipeline.error_outputs(output) == []
    nb = nbformat.read(output, as_version=4)
    printed = "\n".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    # The broken file's problems are shown to the reader, with project-relative file names.
    assert "data/samples/governance_survey_broken.csv: 4 problem(s) found" in printed
    assert "row 31, column 'role'" in printed and str(paths.ROOT) not in printed
    # No fake phone number reaches any output of the page.
    everything = nbformat.writes(nb)
    assert not [p for p in _phones(GOOD) if p in everything]


# --------------------------------------------------------------------------- the generators


@pytest.fixture(scope="module")
def guide_page():
    return guide.build()


def test_every_generator_has_its_own_dgp_passage_and_parameter_table(guide_page):
    """The guide's section on the generators: one passage per generator of
    cases.simulate.synth (chosen by the fact ``dgp``), each followed by its parameters by name;
    the shared blocks once; a generator without a passage is an error."""
    from cases.present.text import TextTemplateError
    from cases.simulate import synth

    text = guide_page.render("authors_guide")["generators"]
    titles = [synth.load_params(case)["title"] for case in synth.SLUGS]
    starts = [text.index(f"**{title}**") for title in titles]
    assert starts == sorted(starts), "one part per case, in the order of SLUGS"
    parts = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    for case, part in zip(synth.SLUGS, parts, strict=True):
        for name in synth.load_params(case)["parameters"]:
            assert f"| `{name}` |" in part, (case, name)
        assert ":func:" not in part and ":data:" not in part
    assert len(set(parts)) == len(synth.SLUGS)
    assert text.count("**Shared indicator block**") == 1
    assert text.count("**Shared motivation block**") == 1
    facts = dict(guide_page.facts)
    facts["generators"] = [dict(g) for g in facts["generators"]]
    facts["generators"][0]["dgp"] = "no_such_generator"
    with pytest.raises(
        TextTemplateError, match=r"authors_guide\.md, line \d+ \(block 'generators'\)"
    ):
        render_blocks("authors_guide", {**guide_page.numbers, **facts})


def test_field_data_schemas_hold_every_case_once(guide_page):
    schemas = guide_page.tables["schemas"]
    for case, tables in TABLE_SCHEMAS.items():
        rows = schemas[schemas["case"] == case]
        expected = [(f"{t}.csv", c[0]) for t, cols in tables.items() for c in cols]
        assert list(zip(rows["file"], rows["column"], strict=True)) == expected
    assert len(schemas) == sum(len(c) for t in TABLE_SCHEMAS.values() for c in t.values())
