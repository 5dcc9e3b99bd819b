"""The questionnaire tables (cases.pages.survey_analysis.questionnaire_tables): every item of
every instrument file appears once, in Chinese and in English, with its reverse-keying and its
answer codes as the file states them. Expected values are read from the YAML files with
PyYAML, not through the instrument model the tables are built from."""

from __future__ import annotations

import re

import pytest
import yaml

from cases.core import paths
from cases.methods import survey
from cases.pages import survey_analysis

INSTRUMENTS = sorted((paths.ROOT / "data" / "instruments").glob("*.yaml"))
CJK = re.compile(r"[\u4e00-\u9fff]")


def _raw(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_there_are_instruments_to_check():
    assert {p.stem for p in INSTRUMENTS} >= {
        "good_governance",
        "gov_people_interaction",
        "endogenous_motivation",
    }


@pytest.mark.parametrize("path", INSTRUMENTS, ids=lambda p: p.stem)
def test_every_item_appears_once_with_both_languages(path):
    raw = _raw(path)
    cols = survey_analysis.settings().questionnaire_columns
    items, answers = survey_analysis.questionnaire_tables(survey.load_instrument(path.stem))
    assert len(items) == len(raw["items"])
    reverse = {i for s in raw["scales"] for i in s.get("reverse", [])}
    for position, item in enumerate(raw["items"], start=1):
        assert CJK.search(item["zh"]), (path.stem, item["id"])  # Chinese wording present
        assert item["en"].strip() and not CJK.search(item["en"]), (path.stem, item["id"])
        rows = items[(items[cols.zh] == item["zh"]) & (items[cols.en] == item["en"])]
        assert len(rows) == 1, (path.stem, item["id"])
        row = rows.iloc[0]
        assert row[cols.number] == position
        assert (row[cols.reverse] == cols.reverse_mark) == (item["id"] in reverse)
        assert row[cols.reverse] in ("", cols.reverse_mark)
        response = item.get("response") or raw["response"]
        assert row[cols.answers] == f"{response['min']}–{response['max']}"
    # Every answer code of every range in use, with the file's labels in both languages.
    ranges = {
        (r["min"], r["max"]): r
        for r in [raw["response"], *(i.get("response") for i in raw["items"])]
        if r
    }
    used = set(items[cols.answers])
    expected = [
        (f"{lo}–{hi}", code, r["labels_zh"][code], r["labels_en"][code])
        for (lo, hi), r in sorted(ranges.items())
        if f"{lo}–{hi}" in used
        for code in range(lo, hi + 1)
    ]
    got = list(
        answers[[cols.answers, cols.code, cols.label_zh, cols.label_en]].itertuples(
            index=False, name=None
        )
    )
    assert got == expected


@pytest.mark.parametrize("path", INSTRUMENTS, ids=lambda p: p.stem)
def test_instrument_files_say_the_wording_is_the_compendiums_not_the_theses(path):
    text = path.read_text(encoding="utf-8")
    assert "written for this compendium" in text
    assert "in English and Chinese" in " ".join(_raw(path)["provenance"].split())


def test_known_items_from_the_instrument_files():
    cols = survey_analysis.settings().questionnaire_columns
    items, _ = survey_analysis.questionnaire_tables(survey.load_instrument("good_governance"))
    law_3 = items[
        items[cols.en] == "Officials sometimes bend the rules when handing out assistance."
    ]
    assert law_3[cols.zh].tolist() == ["干部在发放帮扶资源时有时会变通规定。"]
    assert law_3[cols.reverse].tolist() == [cols.reverse_mark]
    assert law_3[cols.scale].tolist() == ["Rule of law (法治)"]
    assert law_3[cols.number].tolist() == [3]
    law_1 = items[items[cols.number] == 1]
    assert law_1[cols.reverse].tolist() == [""] and law_1[cols.answers].tolist() == ["1–5"]


def test_a_subset_of_scales_in_the_order_asked_with_each_range_used():
    cols = survey_analysis.settings().questionnaire_columns
    inst = survey.load_instrument("gov_people_interaction")
    raw = _raw(paths.ROOT / "data" / "instruments" / "gov_people_interaction.yaml")
    position = {it["id"]: i for i, it in enumerate(raw["items"], start=1)}
    items, answers = survey_analysis.questionnaire_tables(
        inst, ["satisfaction", "propaganda_communication"]
    )
    assert items[cols.number].tolist() == [
        position[i] for i in ("sat_1", "sat_2", "sat_3", "prop_1", "prop_2", "prop_3")
    ]
    assert items[cols.reverse].tolist() == ["", "", cols.reverse_mark, "", "", ""]
    assert items[cols.answers].tolist() == ["1–5"] * 3 + ["0–4"] * 3
    never = answers[(answers[cols.answers] == "0–4") & (answers[cols.code] == 0)]
    assert never[[cols.label_zh, cols.label_en]].values.tolist() == [["从不", "Never"]]
    assert len(answers) == 5 + 5  # codes 0-4 and 1-5
    with pytest.raises(KeyError, match="no scale 'nonsense'"):
        survey_analysis.questionnaire_tables(inst, ["nonsense"])
