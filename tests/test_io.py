"""Tests for cases.data.io: reading survey exports, validation, identifier guard, checksums.

Every fixture file is generated in ``tmp_path``; nothing under ``data/`` is written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.core.errors import DataValidationError, ParameterError
from cases.data.io import (
    hash_identifier,
    is_valid_prc_id,
    is_valid_prc_mobile,
    read_survey,
    read_table,
    scan_identifiers,
    sha256_file,
    verify_checksums,
)
from cases.methods.survey import load_instrument

# GB 11643-1999 gives 11010519491231002X as its worked example of a citizen identity number
# (address code 110105, born 1949-12-31, sequence 002, check character X).
STANDARD_EXAMPLE_ID = "11010519491231002X"

MINI = {
    "id": "mini",
    "title_en": "Mini test instrument",
    "title_zh": "测试量表",
    "cases": ["shandong_a_town"],
    "provenance": "test fixture",
    "roles": ["township_official", "poor_household"],
    "missing_codes": [9],
    "response": {"min": 1, "max": 5},
    "items": [
        {"id": "q1", "en": "Item one.", "zh": "题一。"},
        {"id": "q2", "en": "Item two.", "zh": "题二。"},
        {"id": "q3", "en": "Item three.", "zh": "题三。"},
    ],
    "scales": [
        {
            "id": "s",
            "label_en": "S",
            "label_zh": "S",
            "items": ["q1", "q2", "q3"],
            "reverse": ["q3"],
        }
    ],
}

GOOD_ROWS = [
    ["R1", "poor_household", "1", "2", "3"],
    ["R2", "township_official", "4", "5", "1"],
    ["R3", "poor_household", "3", "", "2"],
]
HEADER = ["respondent_id", "role", "q1", "q2", "q3"]


@pytest.fixture
def mini(tmp_path: Path):
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(MINI, allow_unicode=True), encoding="utf-8")
    return load_instrument(path)


def write_csv(path: Path, header, rows, *, encoding="utf-8", sep=",", newline_at_end=True):
    text = "\n".join(sep.join(r) for r in [header, *rows])
    if newline_at_end:
        text += "\n"
    path.write_bytes(text.encode(encoding))
    return path


def problems_of(excinfo) -> list[str]:
    return excinfo.value.problems


# ------------------------------------------------------------------------------------------
# Encodings and formats
# ------------------------------------------------------------------------------------------


def test_reads_clean_utf8_csv_and_converts_items(tmp_path, mini):
    path = write_csv(tmp_path / "ok.csv", HEADER, GOOD_ROWS)
    df = read_survey(path, mini)
    assert list(df.columns) == HEADER
    assert df["q1"].tolist() == [1.0, 4.0, 3.0]
    assert np.isnan(df.loc[2, "q2"])  # empty cell = missing answer, not zero
    assert df.attrs["encoding"] == "utf-8"
    assert df.attrs["dropped_rows"] == []


def test_gbk_csv_with_chinese_headers_reads_correctly(tmp_path, mini):
    header = [*HEADER, "村名", "性别"]
    rows = [
        [*r, v, g]
        for r, v, g in zip(GOOD_ROWS, ["东村", "西村", "南村"], ["男", "女", "女"], strict=True)
    ]
    path = write_csv(tmp_path / "gbk.csv", header, rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")  # the fixture really is not UTF-8
    df = read_survey(path, mini, extra_columns=["村名", "性别"])
    assert df.attrs["encoding"] == "gb18030"
    assert list(df.columns) == header
    assert df["村名"].tolist() == ["东村", "西村", "南村"]
    assert df["性别"].tolist() == ["男", "女", "女"]


def test_utf8_bom_csv(tmp_path, mini):
    path = write_csv(tmp_path / "bom.csv", HEADER, GOOD_ROWS, encoding="utf-8-sig")
    df = read_survey(path, mini)
    assert df.columns[0] == "respondent_id"  # the BOM is not glued to the first header
    assert df.attrs["encoding"] == "utf-8-sig"


def test_gbk_file_read_with_explicit_utf8_names_file_and_byte_offset(tmp_path, mini):
    path = write_csv(
        tmp_path / "mislabelled.csv",
        [*HEADER, "村名"],
        [[*r, "东村"] for r in GOOD_ROWS],
        encoding="gbk",
    )
    raw = path.read_bytes()
    offset = raw.index("村名".encode("gbk"))  # first non-ASCII byte
    with pytest.raises(DataValidationError) as exc:
        read_survey(path, mini, encoding="utf-8", extra_columns=["村名"])
    msg = str(exc.value)
    assert str(path) in msg
    assert f"byte offset {offset}" in msg
    assert "GBK" in msg


def test_xlsx_roundtrip(tmp_path, mini):
    frame = pd.DataFrame(GOOD_ROWS, columns=HEADER).replace("", np.nan)
    for q in ("q1", "q2", "q3"):
        frame[q] = pd.to_numeric(frame[q])
    path = tmp_path / "survey.xlsx"
    frame.to_excel(path, index=False, engine="openpyxl")
    df = read_survey(path, mini)
    assert df["q3"].tolist() == [3.0, 1.0, 2.0]
    assert df["respondent_id"].tolist() == ["R1", "R2", "R3"]


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_and_stata_keep_value_labels(tmp_path, mini, suffix):
    frame = pd.DataFrame(
        {
            "respondent_id": ["R1", "R2", "R3"],
            "role": ["poor_household"] * 3,
            "q1": [1.0, 2.0, 5.0],
            "q2": [3.0, 3.0, 4.0],
            "q3": [2.0, 9.0, 1.0],
        }
    )
    labels = {"q1": {1.0: "Strongly disagree", 5.0: "Strongly agree"}}
    path = tmp_path / f"survey{suffix}"
    writer = pyreadstat.write_sav if suffix == ".sav" else pyreadstat.write_dta
    writer(frame, str(path), variable_value_labels=labels)
    df = read_survey(path, mini)
    assert df.attrs["value_labels"]["q1"][5] == "Strongly agree"
    assert df["q1"].tolist() == [1.0, 2.0, 5.0]  # codes, not label text
    assert np.isnan(df.loc[1, "q3"])  # 9 is the instrument's declared missing code


def test_raw_file_is_not_modified(tmp_path, mini):
    path = write_csv(tmp_path / "ok.csv", HEADER, GOOD_ROWS, encoding="gbk")
    before = sha256_file(path)
    read_survey(path, mini)
    assert sha256_file(path) == before


# ------------------------------------------------------------------------------------------
# One test per kind of bad input; each asserts the message names row/column/value
# ------------------------------------------------------------------------------------------


def test_missing_and_unexpected_columns(tmp_path, mini):
    header = ["respondent_id", "role", "q1", "q2", "village"]
    rows = [[*r[:4], "east"] for r in GOOD_ROWS]
    path = write_csv(tmp_path / "cols.csv", header, rows)
    with pytest.raises(DataValidationError) as exc:
        read_survey(path, mini)
    msgs = problems_of(exc)
    assert any("column 'q3'" in m and "missing" in m for m in msgs)
    assert any("column 'village'" in m and "unexpected" in m for m in msgs)


def test_likert_code_out_of_range(tmp_path, mini):
    rows = [r.copy() for r in GOOD_ROWS]
    rows[1][3] = "7"
    path = write_csv(tmp_path / "range.csv", HEADER, rows)
    with pytest.raises(DataValidationError) as exc:
        read_survey(path, mini)
    assert problems_of(exc) == ["row 2, column 'q2': Likert code 7 is outside the scale 1-5"]


def test_non_integer_code_is_out_of_range(tmp_path, mini):
    rows = [r.copy() for r in GOOD_ROWS]
    rows[0][2] = "2.5"
    path = write_csv(tmp_path / "frac.csv", HEADER, rows)
    with pytest.raises(DataValidationError, match=r"row 1, column 'q1': Likert code 2.5"):
        read_survey(path, mini)


def test_non_numeric_value(tmp_path, mini):
    rows = [r.copy() for r in GOOD_ROWS]
    rows[2][4] = "agree"
    path = write_csv(tmp_path / "text.csv", HEADER, rows)
    with pytest.raises(DataValidationError) as exc:
        read_survey(path, mini)
    assert problems_of(exc) == ["row 3, column 'q3': value 'agree' is not numeric"]


def test_duplicate_respondent_ids(tmp_path, mini):
    rows = [r.copy() for r in GOOD_ROWS]
    rows[2][0] = "R1"
    path = write_csv(tmp_path / "dupe.csv", HEADER, rows)
    with pytest.raises(DataValidationError) as exc:
        read_survey(path, mini)
    msgs = problems_of(exc)
    assert "row 3, column 'respondent_id': duplicate respondent id 'R1' (first at row 1)" in msgs
    assert any(m.startswith("row 1, column 'respondent_id'") for m in msgs)


def test_unknown_role(tmp_path, mini):
    rows = [r.copy() for r in GOOD_ROWS]
    rows[1][1] = "village_doctor"
    path = write_csv(tmp_path / "role.csv", HEADER, rows)
    with pytest.raises(DataValidationError) as exc:
        read_survey(path, mini)
    (msg,) = problems_of(exc)
    assert msg.startswith("row 2, column 'role': unknown respondent role 'village_doctor'")
    assert "township_official" in msg


@pytest.mark.parametrize("content", [b"", b"   \n", b"respondent_id,role,q1,q2,q3\n"])
def test_empty_file(tmp_path, mini, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(DataValidationError, match="empty file") as exc:
        read_survey(path, mini)
    assert str(path) in str(exc.value)


def test_truncated_last_line(tmp_path, mini):
    rows = [*GOOD_ROWS, ["R4", "poor_household", "2"]]
    path = write_csv(tmp_path / "cut.csv", HEADER, rows, newline_at_end=False)
    with pytest.raises(DataValidationError) as exc:
        read_survey(path, mini)
    (msg,) = problems_of(exc)
    assert msg.startswith("row 4: truncated: 3 field(s) but the header has 5")
    assert "cut off" in msg


def test_ragged_middle_row(tmp_path, mini):
    rows = [r.copy() for r in GOOD_ROWS]
    rows[0] = [*rows[0], "extra"]
    path = write_csv(tmp_path / "ragged.csv", HEADER, rows)
    with pytest.raises(DataValidationError, match=r"row 1: has extra fields: 6 field\(s\)"):
        read_survey(path, mini)


def test_semicolon_file_read_with_default_delimiter(tmp_path, mini):
    path = write_csv(tmp_path / "semi.csv", HEADER, GOOD_ROWS, sep=";")
    with pytest.raises(DataValidationError, match="looks like ';'-delimited"):
        read_survey(path, mini)
    df = read_survey(path, mini, delimiter=";")  # the explicit fix works
    assert df.shape == (3, 5)


def test_all_problems_collected_in_one_error(tmp_path, mini):
    rows = [r.copy() for r in GOOD_ROWS]
    rows[0][2] = "6"
    rows[1][1] = "chief"
    rows[2][3] = "x"
    path = write_csv(tmp_path / "many.csv", HEADER, rows)
    with pytest.raises(DataValidationError) as exc:
        read_survey(path, mini)
    msgs = problems_of(exc)
    assert len(msgs) == 3
    assert [m.split(",")[0] for m in msgs] == ["row 1", "row 2", "row 3"]
    assert "3 problem(s)" in str(exc.value)


def test_drop_invalid_drops_and_reports_count(tmp_path, mini):
    rows = [r.copy() for r in GOOD_ROWS]
    rows[0][2] = "6"
    path = write_csv(tmp_path / "drop.csv", HEADER, rows)
    with pytest.warns(UserWarning, match=r"dropped 1 invalid row\(s\) of 3 \(rows 1\)"):
        df = read_survey(path, mini, drop_invalid=True)
    assert df["respondent_id"].tolist() == ["R2", "R3"]
    assert df.attrs["dropped_rows"] == [1]
    assert "Likert code 6" in df.attrs["dropped_problems"][0]


def test_drop_invalid_does_not_hide_column_problems(tmp_path, mini):
    path = write_csv(tmp_path / "cols.csv", HEADER[:-1], [r[:-1] for r in GOOD_ROWS])
    with pytest.raises(DataValidationError, match="column 'q3': missing"):
        read_survey(path, mini, drop_invalid=True)


def test_shipped_instrument_by_name(tmp_path):
    inst = load_instrument("good_governance")
    rng = np.random.default_rng(7)
    data = pd.DataFrame(rng.integers(1, 6, size=(4, len(inst.item_ids))), columns=inst.item_ids)
    data.insert(0, "role", inst.roles)
    data.insert(0, "respondent_id", [f"A{i}" for i in range(4)])
    path = tmp_path / "gg.csv"
    data.to_csv(path, index=False)
    df = read_survey(path, "good_governance")
    assert df.shape == data.shape
    assert df.attrs["instrument"] == "good_governance"


# ------------------------------------------------------------------------------------------
# Identifier guard
# ------------------------------------------------------------------------------------------


def test_published_id_example_and_check_character():
    assert is_valid_prc_id(STANDARD_EXAMPLE_ID)
    assert is_valid_prc_id(STANDARD_EXAMPLE_ID.lower())
    assert not is_valid_prc_id("110105194912310021")  # wrong check character
    assert not is_valid_prc_id("11010519491331002X")  # month 13 (check recomputed below)
    assert not is_valid_prc_id("1101051949123100")
    assert not is_valid_prc_id(110105194912310021)


def _check_char(body: str) -> str:
    # Independent formulation of ISO 7064 MOD 11-2: find C such that
    # sum(a_i * 2^(18-i)) + C_value = 1 (mod 11), with X standing for 10.
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


birth = st.dates(
    min_value=pd.Timestamp("1920-01-01").date(), max_value=pd.Timestamp("2015-12-31").date()
)


@settings(max_examples=200, deadline=None)
@given(
    area=st.integers(100000, 999999),
    born=birth,
    seq=st.integers(0, 999),
    pos=st.integers(0, 16),
    delta=st.integers(1, 9),
)
def test_id_check_digit_detects_every_single_digit_error(area, born, seq, pos, delta):
    body = f"{area}{born:%Y%m%d}{seq:03d}"
    good = body + _check_char(body)
    assert is_valid_prc_id(good)
    wrong = body[:pos] + str((int(body[pos]) + delta) % 10) + body[pos + 1 :]
    # MOD 11-2 detects all single substitution errors (ISO 7064), so the old check fails.
    assert not is_valid_prc_id(wrong + good[-1])


def test_mobile_numbers():
    assert is_valid_prc_mobile("13912345678")
    assert is_valid_prc_mobile("+86 18612345678")
    assert is_valid_prc_mobile(15012345678)
    assert is_valid_prc_mobile(15012345678.0)
    assert not is_valid_prc_mobile("12012345678")  # second digit must be 3-9
    assert not is_valid_prc_mobile("1391234567")


def test_scan_text_finds_offsets_and_masks():
    text = f"户主 {STANDARD_EXAMPLE_ID} 电话13912345678，住山东省某县A镇B村3组12号。"
    found = scan_identifiers(text)
    kinds = [f.kind for f in found]
    assert kinds == ["prc_id", "phone", "address"]
    idf = found[0]
    assert text[idf.start : idf.end] == STANDARD_EXAMPLE_ID
    assert STANDARD_EXAMPLE_ID not in idf.describe()
    assert "13912345678" not in found[1].describe()
    assert scan_identifiers("A town has 740 million fewer poor people since 1978.") == []


def test_scan_frame_by_header_and_content():
    frame = pd.DataFrame(
        {
            "姓名": ["张三"],
            "village_name": ["东村"],
            "id_card": ["x"],
            "contact": ["13812345678"],
            "code": [STANDARD_EXAMPLE_ID],
            "q1": [3],
        }
    )
    found = {(f.column, f.kind, f.how) for f in scan_identifiers(frame)}
    assert found == {
        ("姓名", "name", "header"),
        ("id_card", "prc_id", "header"),
        ("contact", "phone", "content"),
        ("code", "prc_id", "content"),
    }


def test_id_number_column_is_refused(tmp_path, mini):
    header = [*HEADER, "身份证号"]
    rows = [[*r, STANDARD_EXAMPLE_ID] for r in GOOD_ROWS]
    path = write_csv(tmp_path / "ids.csv", header, rows, encoding="gbk")
    with pytest.raises(DataValidationError) as exc:
        read_survey(path, mini)
    msg = str(exc.value)
    assert "column '身份证号'" in msg
    assert "PRC resident ID number" in msg
    assert "identifiers=" in msg
    assert STANDARD_EXAMPLE_ID not in msg  # the raw identifier is never echoed


def test_id_numbers_under_innocuous_header_refused_by_content(tmp_path, mini):
    header = [*HEADER, "code"]
    rows = [[*r, c] for r, c in zip(GOOD_ROWS, ["a", STANDARD_EXAMPLE_ID, "b"], strict=True)]
    path = write_csv(tmp_path / "ids.csv", header, rows)
    with pytest.raises(
        DataValidationError,
        match=r"column 'code': 1 value\(s\) look like a PRC "
        r"resident ID number \(first at row 2",
    ):
        read_survey(path, mini, extra_columns=["code"])


def test_declared_identifier_is_hashed_with_env_key(tmp_path, mini, monkeypatch):
    monkeypatch.setenv("CASES_ID_KEY", "test-secret")
    header = [*HEADER, "phone"]
    phones = ["13912345678", "13912345679", ""]
    rows = [[*r, p] for r, p in zip(GOOD_ROWS, phones, strict=True)]
    path = write_csv(tmp_path / "ph.csv", header, rows)
    df = read_survey(path, mini, identifiers={"phone": "hash"})
    expected = hmac.new(b"test-secret", b"13912345678", hashlib.sha256).hexdigest()
    assert df.loc[0, "phone"] == expected
    assert df.loc[0, "phone"] != df.loc[1, "phone"]
    assert df.loc[2, "phone"] is None  # missing stays missing
    assert not any("1391234567" in str(v) for v in df["phone"])
    assert df.attrs["identifiers"] == {"phone": "hash"}


def test_hash_requires_env_key(tmp_path, mini, monkeypatch):
    monkeypatch.delenv("CASES_ID_KEY", raising=False)
    rows = [[*r, "13912345678"] for r in GOOD_ROWS]
    path = write_csv(tmp_path / "ph.csv", [*HEADER, "mobile"], rows)
    with pytest.raises(DataValidationError, match="CASES_ID_KEY is unset"):
        read_survey(path, mini, identifiers={"mobile": "hash"})


def test_declared_identifier_dropped(tmp_path, mini, monkeypatch):
    monkeypatch.delenv("CASES_ID_KEY", raising=False)  # drop needs no key
    rows = [[*r, n] for r, n in zip(GOOD_ROWS, ["张三", "李四", "王五"], strict=True)]
    path = write_csv(tmp_path / "names.csv", [*HEADER, "户主姓名"], rows, encoding="gbk")
    df = read_survey(path, mini, identifiers={"户主姓名": "drop"})
    assert "户主姓名" not in df.columns


def test_bad_identifier_action_and_missing_declared_column(tmp_path, mini):
    path = write_csv(tmp_path / "ok.csv", HEADER, GOOD_ROWS)
    with pytest.raises(ParameterError, match="identifiers\\['x'\\] = 'keep'"):
        read_survey(path, mini, identifiers={"x": "keep"})
    with pytest.raises(DataValidationError, match="column 'x': declared in identifiers"):
        read_survey(path, mini, identifiers={"x": "drop"})


def test_hash_identifier_normalises_case_and_numbers():
    key = b"k"
    assert hash_identifier("11010519491231002x", key) == hash_identifier(STANDARD_EXAMPLE_ID, key)
    assert hash_identifier(13912345678, key) == hash_identifier("13912345678", key)
    assert hash_identifier(13912345678.0, key) == hash_identifier(" 13912345678 ", key)


# ------------------------------------------------------------------------------------------
# Checksums
# ------------------------------------------------------------------------------------------


def _package(tmp_path: Path, resources: list[dict]) -> Path:
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text(json.dumps({"name": "t", "resources": resources}), encoding="utf-8")
    return descriptor


def test_verify_checksums_ok(tmp_path):
    (tmp_path / "raw").mkdir()
    a = tmp_path / "raw" / "a.csv"
    a.write_bytes(b"x,y\n1,2\n")
    digest = hashlib.sha256(b"x,y\n1,2\n").hexdigest()
    descriptor = _package(
        tmp_path, [{"name": "a", "path": "raw/a.csv", "hash": f"sha256:{digest}"}]
    )
    assert verify_checksums(descriptor) == {"raw/a.csv": digest}


def test_verify_checksums_names_every_bad_file(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"changed\n")
    (tmp_path / "c.csv").write_bytes(b"c\n")
    good = hashlib.sha256(b"original\n").hexdigest()
    descriptor = _package(
        tmp_path,
        [
            {"name": "a", "path": "a.csv", "hash": f"sha256:{good}"},
            {"name": "b", "path": "b.csv", "hash": f"sha256:{good}"},
            {"name": "c", "path": "c.csv"},
            {"name": "d", "path": "c.csv", "hash": "md5:" + hashlib.md5(b"c\n").hexdigest()},
        ],
    )
    with pytest.raises(DataValidationError) as exc:
        verify_checksums(descriptor)
    msgs = problems_of(exc)
    assert len(msgs) == 4
    assert "file a.csv has sha256" in msgs[0] and good in msgs[0]
    assert "file b.csv is missing" in msgs[1]
    assert "c.csv): no 'hash'" in msgs[2]
    assert "'md5' is not sha256" in msgs[3]


def test_verify_checksums_bad_descriptor(tmp_path):
    with pytest.raises(DataValidationError, match="not found"):
        verify_checksums(tmp_path / "nope.json")
    with pytest.raises(DataValidationError, match="no resources"):
        verify_checksums(_package(tmp_path, []))


def test_read_table_unsupported_suffix(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{}")
    with pytest.raises(DataValidationError, match=r"unsupported file type '\.json'"):
        read_table(path)


def test_warning_free_on_clean_file(tmp_path, mini):
    path = write_csv(tmp_path / "ok.csv", HEADER, GOOD_ROWS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_survey(path, mini)
