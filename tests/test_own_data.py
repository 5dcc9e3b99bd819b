"""Own field data (issue 17): the one reader behind ``data_dir``, ``cases check-data``,
``cases import`` with a mapping file, and ``cases report`` that never touches the book.

Each test builds a small made-up folder in ``tmp_path`` (from the seeded H County or Shandong
generator, relabelled as field data) and plants one of the failures a new user hit.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import keep_only_analyses, run_cli

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.data import fielddata, io
from cases.data.plan import jobs_for
from cases.run import cli, owndata, pipeline
from cases.simulate import synth

# GB 11643-1999's own example identity number (valid check character X).
EXAMPLE_ID = "11010519491231002X"
SAMPLE = paths.DATA / "samples" / "own_data"


def unstamp(folder: Path) -> None:
    """Remove the simulator's stamp column from every CSV of ``folder`` (cell texts kept)."""
    for path in folder.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.drop(columns=fielddata.SIMULATION_STAMP_COLUMN).to_csv(path, index=False)


def own_folder(root: Path, slug: str = "h_county", n: int = 200, **meta) -> Path:
    """A made-up field-data folder: the seeded generator's tables without the simulator's stamp
    (as a researcher's own export would be), metadata of field data."""
    folder = synth.write(synth.generate(slug, seed=11, n=n), root)
    unstamp(folder)
    body = {"case": slug, "simulated": False, "title": "My township survey", **meta}
    (folder / "metadata.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return folder


def check_cli(capsys, monkeypatch, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", "400")
    try:
        code = cli.main(list(args))
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def edit(path: Path, column: str, row: int, value: object) -> None:
    """Set data row ``row`` (from 1) of ``column`` in a UTF-8 CSV."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row - 1, column] = "" if value is None else str(value)
    frame.to_csv(path, index=False)


# ------------------------------------------------------------------------------ the reader


def test_gbk_csv_with_text_ids_reads_exactly(tmp_path):
    folder = own_folder(tmp_path / "own")
    households = pd.read_csv(folder / "households.csv")
    households["household_id"] = [f"QS{i:03d}" for i in households["household_id"]]
    households["村名"] = "南坪村"
    households.to_csv(folder / "households.csv", index=False, encoding="gbk")
    spec = synth.folder_spec("h_county")
    frame, findings = fielddata.read_table_checked(folder, spec, "households", {})
    assert [f for f in findings if f.level == "problem"] == []
    assert frame["household_id"].tolist() == households["household_id"].tolist()
    assert frame["household_size"].tolist() == households["household_size"].tolist()
    assert set(frame["村名"]) == {"南坪村"}


def test_blanks_and_declared_codes_become_missing(tmp_path):
    folder = own_folder(tmp_path / "own")
    path = folder / "motivation.csv"
    original = pd.read_csv(path)
    edit(path, "will_1", 2, None)  # a blank answer
    edit(path, "eff_2", 3, 9)  # the instrument's code 9 = don't know
    data = synth.field_data("h_county", folder)
    motivation = data["motivation"]
    assert np.isnan(motivation.loc[1, "will_1"]) and np.isnan(motivation.loc[2, "eff_2"])
    assert motivation.loc[0, "will_1"] == original.loc[0, "will_1"]
    assert motivation["eff_2"].notna().sum() == len(original) - 1


def test_declared_income_code_is_missing_and_its_row_dropped_only_when_asked(tmp_path):
    folder = own_folder(tmp_path / "own", missing_codes={"income_per_capita": [-9]})
    edit(folder / "panel.csv", "income_per_capita", 4, -9)
    chk = owndata.check("h_county", folder)
    assert [(f.file, f.row, f.line, f.column) for f in chk.problems] == [
        ("panel.csv", 4, 5, "income_per_capita")
    ]
    assert "declared missing" in chk.problems[0].message
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    (folder / "metadata.json").write_text(json.dumps({**meta, "drop_incomplete_rows": True}))
    chk = owndata.check("h_county", folder)
    assert chk.problems == []
    n_rows = len(pd.read_csv(folder / "panel.csv"))
    assert len(chk.tables["panel"]) == n_rows - 1
    assert (chk.tables["panel"]["income_per_capita"] != -9).all()
    assert any(
        "1 row(s) lacking a required value dropped (rows 4)" in f.message for f in chk.warnings
    )


def test_xlsx_with_a_title_row_is_read_from_its_header(tmp_path):
    folder = own_folder(tmp_path / "own")
    panel = pd.read_csv(folder / "panel.csv")
    (folder / "panel.csv").unlink()
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["某镇农户收入面板（虚构）"])
    book.active.append(list(panel.columns))
    for row in panel.head(30).itertuples(index=False):
        book.active.append(list(row))
    book.save(folder / "panel.xlsx")
    frame, findings = fielddata.read_table_checked(
        folder, synth.folder_spec("h_county"), "panel", {}
    )
    assert [f.describe() for f in findings if f.level == "problem"] == []
    assert frame.attrs["header_line"] == 2
    assert frame["income_per_capita"].tolist() == panel["income_per_capita"].head(30).tolist()


# ------------------------------------------------------------------------------ check-data


def test_sentinels_minus_9_and_99_are_flagged_with_file_row_column(tmp_path, capsys, monkeypatch):
    folder = own_folder(tmp_path / "own")
    edit(folder / "panel.csv", "income_per_capita", 7, -9)
    edit(folder / "households.csv", "household_size", 3, 99)
    code, out = check_cli(capsys, monkeypatch, "check-data", "h_county", str(folder))
    assert code == 1
    assert (
        "households.csv, row 3 (line 4), column 'household_size', value 99: looks like a "
        "missing-value code; declare it in metadata.json "
        '("missing_codes": {"household_size": [99]})'
    ) in out
    assert "panel.csv, row 7 (line 8), column 'income_per_capita', value -9" in out
    assert "own: 2 problem(s)" in out


def test_unknown_labels_are_refused_with_the_allowed_list(tmp_path):
    folder = own_folder(tmp_path / "own")
    edit(folder / "motivation.csv", "role", 5, "pinkun")
    chk = owndata.check("h_county", folder)
    (problem,) = chk.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "motivation.csv",
        5,
        "role",
        "'pinkun'",
    )
    assert "allowed: poor_household, relieved_household, low_income_household" in problem.message
    with pytest.raises(DataValidationError, match=r"row 5 \(line 6\), column 'role'"):
        synth.field_data("h_county", folder)["motivation"]


def test_an_item_reverse_coded_twice_is_warned(tmp_path):
    folder = own_folder(tmp_path / "own", n=600)
    motivation = pd.read_csv(folder / "motivation.csv")
    motivation["will_4"] = 6 - motivation["will_4"]  # the export already reversed it
    motivation.to_csv(folder / "motivation.csv", index=False)
    chk = owndata.check("h_county", folder)
    assert chk.problems == []
    twice = [f for f in chk.warnings if "reverse-coded twice" in f.message]
    assert [f.column for f in twice if f.column] == ["will_4"]
    clean = owndata.check("h_county", own_folder(tmp_path / "clean", n=600))
    assert not [f for f in clean.warnings if "reverse" in f.message]


def test_fewer_than_20_clusters_are_warned(tmp_path):
    folder = own_folder(tmp_path / "own")
    villages = pd.read_csv(folder / "households.csv")["village_id"].nunique()
    chk = owndata.check("h_county", folder)
    assert villages < 20
    assert any(
        f.file == "households.csv" and f"only {villages} clusters (village_id)" in f.message
        for f in chk.warnings
    )


def test_identifiers_are_never_printed_in_full(tmp_path, capsys, monkeypatch):
    folder = own_folder(tmp_path / "own")
    households = pd.read_csv(folder / "households.csv", dtype=str)
    households.loc[0, "household_id"] = EXAMPLE_ID
    households.loc[1, "household_id"] = EXAMPLE_ID  # a duplicate: the id would be echoed
    households["联系电话"] = "13800000000"
    households.to_csv(folder / "households.csv", index=False)
    code, out = check_cli(capsys, monkeypatch, "check-data", "h_county", str(folder))
    assert code == 1
    assert EXAMPLE_ID not in out and "13800000000" not in out
    assert "联系电话" in out and "1101**********002X" in out
    # The reader behind data_dir refuses it the same way, masked.
    with pytest.raises(DataValidationError) as info:
        synth.field_data("h_county", folder)["households"]
    assert EXAMPLE_ID not in str(info.value)


def test_simulated_metadata_is_refused(tmp_path, capsys, monkeypatch):
    folder = synth.write(synth.generate("h_county", seed=3, n=150), tmp_path / "sim")
    code, out = check_cli(capsys, monkeypatch, "check-data", "h_county", str(folder))
    assert code == 1
    assert "metadata.json: this folder carries simulation metadata (generator" in out
    assert "simulated data cannot be presented as field data" in out
    with pytest.raises(DataValidationError, match="simulated data cannot be presented"):
        synth.field_data("h_county", folder)


def test_every_table_the_simulator_writes_carries_its_stamp(tmp_path):
    folder = synth.write(synth.generate("h_county", seed=3, n=150), tmp_path / "sim")
    stamp = f"cases.simulate.synth {synth.GENERATOR_VERSION} seed 3"
    for path in sorted(folder.glob("*.csv")):
        header, *rows = path.read_text(encoding="utf-8").splitlines()
        assert header.endswith(",simulated_by"), path.name
        assert rows and all(r.endswith("," + stamp) for r in rows), path.name
    # Readers of the simulator's folders are unaffected: read() drops the column.
    back = synth.read(folder)
    assert "simulated_by" not in back["households"].columns and back.meta["simulated"] is True


def test_a_simulated_table_copied_into_a_field_folder_is_refused(tmp_path, capsys, monkeypatch):
    folder = own_folder(tmp_path / "own")
    sim = synth.write(synth.generate("h_county", seed=3, n=150), tmp_path / "sim")
    shutil.copy(sim / "motivation.csv", folder / "motivation.csv")
    code, out = check_cli(capsys, monkeypatch, "check-data", "h_county", str(folder))
    assert code == 1
    assert (
        "motivation.csv, column 'simulated_by': this table was written by the simulator (column "
        f"'simulated_by': 'cases.simulate.synth {synth.GENERATOR_VERSION} seed 3'): simulated "
        "data cannot be presented as field data"
    ) in out
    assert "own: 1 problem(s)" in out  # the folder's own tables pass
    data = synth.field_data("h_county", folder)
    assert len(data["households"]) == 200
    with pytest.raises(DataValidationError, match=r"motivation\.csv.*written by the simulator"):
        data["motivation"]
    # Saved again as XLSX with the stamp column renamed: still the simulator's table.
    (folder / "motivation.csv").unlink()
    frame = pd.read_csv(sim / "motivation.csv").rename(columns={"simulated_by": "note"})
    frame.to_excel(folder / "motivation.xlsx", index=False)
    (problem,) = owndata.check("h_county", folder).problems
    assert (problem.file, problem.column) == ("motivation.xlsx", "note")
    assert "written by the simulator" in problem.message


def test_a_clean_folder_exits_0_and_a_bad_table_blocks_only_its_readers(
    tmp_path, capsys, monkeypatch
):
    folder = own_folder(tmp_path / "own")
    code, out = check_cli(capsys, monkeypatch, "check-data", "h_county", str(folder))
    assert code == 0 and "own: 0 problem(s)" in out
    edit(folder / "motivation.csv", "will_2", 1, 7)  # out of the 1-5 range
    data = synth.field_data("h_county", folder)
    assert len(data["households"]) == 200  # the profile's table still reads
    with pytest.raises(DataValidationError, match=r"column 'will_2', value 7: answer outside"):
        data["motivation"]


def test_compatible_with_todays_folder_format(tmp_path):
    folder = own_folder(tmp_path / "own")
    (folder / "metadata.json").write_text('{"case": "h_county", "simulated": false}')
    data = synth.field_data("h_county", folder)
    assert data.meta["case"] == "h_county" and data.meta["simulated"] is False
    assert data["panel"]["year"].dtype == np.int64


# ------------------------------------------------------------------------------ cache key


def test_changing_one_byte_of_the_folder_changes_the_fingerprint(tmp_path):
    folder = own_folder(tmp_path / "own")
    job = next(j for j in jobs_for("h_county") if j.analysis == "poverty_profile")
    params = {**job.parameters, "data_dir": str(folder)}
    before = pipeline.input_fingerprint(job, params)
    assert pipeline.input_fingerprint(job, params) == before
    text = (folder / "households.csv").read_bytes()
    (folder / "households.csv").write_bytes(text.replace(b",3,", b",4,", 1))
    assert pipeline.input_fingerprint(job, params) != before


# ------------------------------------------------------------------------------ import


def test_import_of_the_shipped_example_passes_check_data(tmp_path, capsys, monkeypatch):
    out = tmp_path / "folder"
    code, printed = check_cli(
        capsys,
        monkeypatch,
        "import",
        "h_county",
        str(SAMPLE),
        "--mapping",
        str(SAMPLE / "mapping.yaml"),
        "--out",
        str(out),
    )
    assert code == 0, printed
    assert "folder: 0 problem(s)" in printed
    households = pd.read_csv(out / "households.csv")
    assert "身份证号" not in households.columns and "户主姓名" not in households.columns
    assert households["household_id"].iloc[0] == "HH0001"
    assert set(households["registered_poor"]) == {0, 1}
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert meta["missing_codes"] == {
        "households.household_size": [99],
        "panel.income_per_capita": [-9],
    }
    chk = owndata.check("h_county", out)
    assert len(chk.tables["households"]) == 600 - 3  # the three households of unknown size
    assert not (chk.tables["households"]["household_size"] == 99).any()
    assert not (chk.tables["panel"]["income_per_capita"] == -9).any()
    raw = pd.read_spss(SAMPLE / "motivation.sav", convert_categoricals=False)
    # will_4 was reversed in the export; the folder holds the raw answer the instrument expects.
    answered = raw["will_4"].between(1, 5)
    assert (
        pd.read_csv(out / "motivation.csv")["will_4"][answered] == 6 - raw["will_4"][answered]
    ).all()
    assert not [f for f in chk.warnings if "reverse" in f.message]
    # Panel rows of the dropped households go too, named by their rows in the file.
    cascade = [f for f in chk.warnings if "refer to households dropped" in f.message]
    assert [f.file for f in cascade] == ["panel.csv", "motivation.csv"]
    # No identifier was printed on the way.
    ids = pd.read_csv(SAMPLE / "households_gbk.csv", encoding="gbk", dtype=str)["身份证号"]
    assert not any(i in printed for i in ids)


def test_import_refuses_an_unmapped_label_and_writes_nothing(tmp_path):
    mapping = (SAMPLE / "mapping.yaml").read_text(encoding="utf-8")
    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    (raw / "mapping.yaml").write_text(mapping.replace("{贫困户: 1, 一般户: 0}", "{贫困户: 1}"))
    with pytest.raises(
        DataValidationError, match=r"row 1, column 'registered_poor': label '一般户'"
    ):
        owndata.import_folder("h_county", raw, raw / "mapping.yaml", tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------ report


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_report_runs_into_out_and_leaves_book_and_results_byte_identical(project_copy, tmp_path):
    keep_only_analyses(project_copy, keep=("poverty_profile", "policy_evaluation"))
    # 400 households: as many villages as the world's village size gives (at least 10, the
    # fewest for which the inference rule gives intervals)
    folder = own_folder(tmp_path / "township_2019", n=400, place="Qingshui Township", year=2019)
    book, results = _tree_digest(project_copy / "book"), _tree_digest(project_copy / "results")
    out = tmp_path / "report"
    done = run_cli(project_copy, "report", "h_county", str(folder), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert _tree_digest(project_copy / "book") == book
    assert _tree_digest(project_copy / "results") == results
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<h1>My township survey — Qingshui Township (2019)</h1>" in page
    assert str(folder) not in page and "township_2019" in page
    assert not re.search(r'(?:src|href)="https?://', page)
    assert "thesis&#x27;s findings" not in page and "Claims of the thesis" not in page
    assert "Source: field data in township_2019" in page
    # The pages' prose, rendered with the folder's numbers (computed here from its files), in
    # the place of metadata.json; no thesis-claims table, no word about simulated data.
    prose = _visible_text(page)
    households = pd.read_csv(folder / "households.csv")
    panel = pd.read_csv(folder / "panel.csv")
    # metadata.json's year (2019, which the panel holds) is the profile's year
    mean_2019 = panel.loc[panel["year"] == 2019, "income_per_capita"].mean()
    n, villages = len(households), households["village_id"].nunique()
    assert (
        "This page profiles income poverty in Qingshui Township in 2019, in the field data in "
        f"township_2019: {n} households in {villages} villages."
    ) in prose
    assert f"and mean income {mean_2019:,.0f} yuan." in prose
    assert "Figure 1 shows the distribution on a log scale" in prose
    assert "Figure 1. Per-capita income of households, 2019 (log scale)" in prose
    assert "simulat" not in prose.lower() and "thesis" not in prose.lower()
    assert "H County" not in prose and "planted" not in prose
    # What the book hides stays hidden (the setup cell's last value, a Markdown object).
    assert "IPython" not in prose and "Figure 2. Dynamic effects by years since adoption" in prose
    assert (out / "poverty_profile.ipynb").is_file() and (
        out / "results" / "poverty_profile.json"
    ).is_file()
    assert hashlib.sha256((folder / "households.csv").read_bytes()).hexdigest() in page
    # A second run is cached; one changed byte re-runs it.
    again = run_cli(project_copy, "report", "h_county", str(folder), "--out", str(out))
    assert "(cached" in again.stderr
    size = int(pd.read_csv(folder / "households.csv")["household_size"].iloc[0])
    edit(folder / "households.csv", "household_size", 1, size + 1)  # a real change of one cell
    third = run_cli(project_copy, "report", "h_county", str(folder), "--out", str(out))
    assert third.returncode == 0 and "(ran" in third.stderr, third.stderr


def test_partial_report_runs_what_a_bad_table_does_not_touch(project_copy, tmp_path):
    # A role label the questionnaire does not allow breaks the motivation table only: by
    # default nothing runs; with --partial the poverty profile (which never reads it) runs and
    # the survey analysis is named as failed, exit 1.
    keep_only_analyses(project_copy, keep=("poverty_profile", "survey_analysis"))
    folder = own_folder(tmp_path / "township", n=400)
    edit(folder / "motivation.csv", "role", 5, "pinkun")
    out = tmp_path / "report"
    refused = run_cli(project_copy, "report", "h_county", str(folder), "--out", str(out))
    assert refused.returncode == 1 and not out.exists()
    done = run_cli(project_copy, "report", "h_county", str(folder), "--out", str(out), "--partial")
    assert done.returncode == 1, done.stderr
    assert "poverty_profile (ran" in done.stderr
    assert "survey_analysis (failed" in done.stderr and "motivation.csv" in done.stderr
    assert "row 5" in done.stderr and "pinkun" in done.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "This page profiles income poverty" in _visible_text(page)


def test_partial_report_still_refuses_simulated_metadata(tmp_path):
    folder = own_folder(tmp_path / "township", n=200)
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    (folder / "metadata.json").write_text(json.dumps({**meta, "simulated": True}), encoding="utf-8")
    page, chk, results = owndata.build_report("h_county", folder, tmp_path / "report", partial=True)
    assert page is None and results == [] and chk.problems
    assert not (tmp_path / "report").exists()


def _visible_text(page: str) -> str:
    """The text a reader sees in an HTML page (tags dropped, whitespace collapsed)."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.hidden = 0

        def handle_starttag(self, tag, attrs) -> None:
            self.hidden += tag in ("style", "title")

        def handle_endtag(self, tag) -> None:
            self.hidden -= tag in ("style", "title")

        def handle_data(self, data) -> None:
            if not self.hidden:
                self.parts.append(data)

    parser = Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", "".join(parser.parts))


def test_report_refuses_a_folder_with_problems_and_writes_nothing(tmp_path, capsys, monkeypatch):
    folder = own_folder(tmp_path / "own")
    edit(folder / "households.csv", "household_size", 2, 99)
    code, out = check_cli(
        capsys, monkeypatch, "report", "h_county", str(folder), "--out", str(tmp_path / "r")
    )
    assert code == 1 and "Not running" in out
    assert not (tmp_path / "r").exists()


def test_own_data_never_run_into_the_book(tmp_path):
    job = next(j for j in jobs_for("h_county") if j.analysis == "poverty_profile")
    with pytest.raises(ParameterError, match="never run into book/"):
        pipeline.run([job], overrides={"data_dir": str(tmp_path)})
    with pytest.raises(ParameterError, match="inside book/"):
        pipeline.run([job], overrides={"data_dir": str(tmp_path)}, out_dir=paths.BOOK / "x")


def test_masking_helper_never_echoes_an_identifier():
    assert EXAMPLE_ID not in fielddata._shown("household_id", EXAMPLE_ID)
    assert io._mask(EXAMPLE_ID) == fielddata._shown("household_id", EXAMPLE_ID)


# ------------------------------------------------------------------------------ instrument

OWN_INSTRUMENT = """\
id: township_motivation
title_en: Township motivation questionnaire (made up for a test)
title_zh: 乡镇内生动力问卷（测试用，虚构）
cases: [h_county]
provenance: written for tests/test_own_data.py
roles: [poor_household, relieved_household, low_income_household, non_poor_villager]
missing_codes: [8]
response: {min: 1, max: 5}
items:
  - {id: q1, zh: 我想靠自己的劳动改善生活。, en: I want to better my life by my own work.}
  - {id: q2, zh: 有机会我愿意外出务工。, en: I would work away from home if I could.}
  - {id: q3, zh: 有帮扶就够了。, en: Assistance is enough for me.}
  - {id: q4, zh: 我有挣钱的技能。, en: I have skills to earn money.}
  - {id: q5, zh: 培训对我有用。, en: Training is useful to me.}
scales:
  - {id: drive, label_en: Drive, label_zh: 动力, items: [q1, q2, q3], reverse: [q3]}
  - {id: skill, label_en: Skill, label_zh: 技能, items: [q4, q5]}
"""


def test_a_custom_instrument_validates_and_scores_an_own_questionnaire(tmp_path):
    from cases.methods import survey

    folder = own_folder(tmp_path / "own", n=600)
    motivation = pd.read_csv(folder / "motivation.csv")
    own = motivation[["respondent_id", "household_id", "role"]].assign(
        q1=motivation["will_1"],
        q2=motivation["will_3"],
        q3=motivation["will_4"],
        q4=motivation["eff_1"],
        q5=motivation["eff_2"],
    )
    own.loc[0, "q2"] = 8  # the instrument's own missing code
    own.to_csv(folder / "motivation.csv", index=False)
    path = tmp_path / "township_motivation.yaml"
    path.write_text(OWN_INSTRUMENT, encoding="utf-8")
    assert owndata.check("h_county", folder, instrument=path).problems == []
    # Without the instrument, the folder is refused: its items are not the case's.
    assert any("will_1" in str(f.column) for f in owndata.check("h_county", folder).problems)
    data = synth.field_data("h_county", folder, instrument=path)
    assert np.isnan(data["motivation"].loc[0, "q2"])
    instrument = survey.load_instrument(path)
    reliability = survey.reliability_table(data["motivation"], instrument)
    assert list(reliability["scale"]) == ["drive", "skill"]
    scores = survey.scale_scores(data["motivation"], instrument)
    row = data["motivation"].iloc[1]
    assert scores.loc[1, "drive"] == pytest.approx((row["q1"] + row["q2"] + 6 - row["q3"]) / 3)
    # Reverse-coded twice in the file: the check says so.
    own["q3"] = 6 - own["q3"]
    own.to_csv(folder / "motivation.csv", index=False)
    warned = owndata.check("h_county", folder, instrument=path).warnings
    assert any("scale drive" in f.message and "reverse" in f.message for f in warned)


def test_an_empty_table_and_a_csv_title_row_are_named_not_raw_pandas_errors(tmp_path):
    folder = own_folder(tmp_path / "own")
    (folder / "motivation.csv").write_bytes(b"")
    panel = (folder / "panel.csv").read_text(encoding="utf-8")
    (folder / "panel.csv").write_bytes(("收入面板（虚构）\n" + panel).encode("gb18030"))
    chk = owndata.check("h_county", folder)
    messages = [f.describe() for f in chk.problems]
    assert "motivation.csv: empty file: no header and no data rows" in messages
    assert any(m.startswith("panel.csv: row 1: has extra fields") for m in messages)
    assert (
        'the first line looks like a title above the header: set "header_rows": {"panel": 2}'
        in "\n".join(messages)
    )
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    meta["header_rows"] = {"panel": 2}
    (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    chk = owndata.check("h_county", folder)
    assert [f.file for f in chk.problems] == ["motivation.csv"]
    assert len(chk.tables["panel"]) == len(pd.read_csv(io_text(panel)))


def io_text(text: str):
    import io as stdio

    return stdio.StringIO(text)


def test_spss_role_codes_are_refused_naming_their_value_label(tmp_path):
    import pyreadstat

    folder = own_folder(tmp_path / "own")
    motivation = pd.read_csv(folder / "motivation.csv")
    (folder / "motivation.csv").unlink()
    codes = {"poor_household": 1, "non_poor_villager": 4}
    motivation["role"] = motivation["role"].map(codes).astype(float)
    pyreadstat.write_sav(
        motivation,
        str(folder / "motivation.sav"),
        variable_value_labels={"role": {1.0: "贫困户", 4.0: "一般农户"}},
    )
    chk = owndata.check("h_county", folder)
    first = chk.problems[0]
    assert (first.file, first.column) == ("motivation.sav", "role")
    assert (
        first.message.startswith("unknown category (labelled '")
        and "allowed: poor_household" in first.message
    )
    assert len(chk.problems) == len(motivation)


def _own_questionnaire_folder(tmp_path: Path) -> tuple[Path, Path]:
    """The made-up ``township_motivation`` questionnaire in an own h_county folder: its own
    item ids q1-q5, q3 reverse-keyed, the declared missing code 8 in row 1 of q2."""
    folder = own_folder(tmp_path / "own", n=600)
    motivation = pd.read_csv(folder / "motivation.csv")
    own = motivation[["respondent_id", "household_id", "role"]].assign(
        q1=motivation["will_1"],
        q2=motivation["will_3"],
        q3=motivation["will_4"],  # as answered; the instrument reverses it
        q4=motivation["eff_1"],
        q5=motivation["eff_2"],
    )
    own.loc[0, "q2"] = 8
    own.to_csv(folder / "motivation.csv", index=False)
    path = tmp_path / "township_motivation.yaml"
    path.write_text(OWN_INSTRUMENT, encoding="utf-8")
    return folder, path


def _alpha(items: np.ndarray) -> float:
    """Cronbach's alpha by its formula, k/(k-1) (1 - sum of item variances / total variance)."""
    k = items.shape[1]
    return k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / items.sum(axis=1).var(ddof=1))


def test_the_survey_page_runs_on_a_custom_instrument(tmp_path):
    from cases.pages import survey_analysis

    folder, path = _own_questionnaire_folder(tmp_path)
    data = synth.field_data("h_county", folder, instrument=path)
    page = survey_analysis.build("h_county", data, source="field data", instrument=str(path))
    raw = pd.read_csv(folder / "motivation.csv").replace(8, np.nan)
    drive = raw[["q1", "q2", "q3"]].assign(q3=6 - raw["q3"]).dropna().to_numpy(float)
    skill = raw[["q4", "q5"]].dropna().to_numpy(float)
    assert page.numbers["alpha_drive"] == pytest.approx(_alpha(drive), rel=1e-12)
    assert page.numbers["alpha_skill"] == pytest.approx(_alpha(skill), rel=1e-12)
    assert page.numbers["n_scales"] == 2
    # The comparison is on the instrument's scales; the growth model needs willingness: absent.
    assert set(page.tables["gap"]["Scale"]) == {"Drive", "Skill"}
    assert "gap_drive" in page.numbers and "gap_skill" in page.numbers
    assert page.facts["own_instrument"] and not page.facts["has_model"]
    assert "model_fig" not in page.figures and page.facts["claim_rows"] == []
    assert not any(k.startswith("coef_") for k in page.numbers)
    passages = page.render("survey_analysis")
    assert "No outcome model is shown" in passages["model_text"]
    assert "`willingness`" in passages["model_text"]
    assert "Township motivation questionnaire" in passages["intro"]
    assert "survey_model_fig" not in passages["model_block"]
    plt.close("all")


def test_the_survey_notebook_takes_the_instrument_parameter(tmp_path):
    import papermill as pm

    folder, path = _own_questionnaire_folder(tmp_path)
    out = tmp_path / "survey_analysis.ipynb"
    params = {"case": "h_county", "data_dir": str(folder), "instrument": str(path)}
    notebook = paths.ROOT / "notebooks" / "survey_analysis.ipynb"
    pm.execute_notebook(
        str(notebook),
        str(out),
        parameters=params,
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    code = {
        "".join(c["source"]).split("\n")[1].strip(): c
        for c in cells
        if c["cell_type"] == "code" and "report.table" in "".join(c["source"])
    }
    assert code['page.tables["reliability"],']["outputs"]  # the instrument's scales
    assert not code['page.tables["model"],']["outputs"]  # no willingness: no model table
    assert not code["claims,"]["outputs"]


def test_a_custom_instrument_with_the_model_scales_gets_the_growth_model(tmp_path):
    from cases.pages import survey_analysis

    folder = own_folder(tmp_path / "own", n=600)
    motivation = pd.read_csv(folder / "motivation.csv")
    renames = {f"will_{i}": f"w{i}" for i in range(1, 5)}
    renames |= {f"eff_{i}": f"e{i}" for i in range(1, 4)}
    renames |= {f"dep_{i}": f"d{i}" for i in range(1, 4)}
    motivation.rename(columns=renames).to_csv(folder / "motivation.csv", index=False)
    items = "\n".join(f"  - {{id: {i}, zh: 题目{i}, en: Item {i}}}" for i in renames.values())
    path = tmp_path / "renamed.yaml"
    path.write_text(
        "id: renamed\ntitle_en: Renamed items (made up)\ntitle_zh: 改名题目（虚构）\n"
        "cases: [h_county]\nprovenance: tests\nresponse: {min: 1, max: 5}\n"
        "roles: [poor_household, non_poor_villager]\n"
        f"items:\n{items}\nscales:\n"
        "  - {id: willingness, label_en: Will, label_zh: 意愿, items: [w1, w2, w3, w4], "
        "reverse: [w4]}\n"
        "  - {id: self_efficacy, label_en: Efficacy, label_zh: 效能, items: [e1, e2, e3]}\n"
        "  - {id: dependence, label_en: Dependence, label_zh: 依赖, items: [d1, d2, d3]}\n",
        encoding="utf-8",
    )
    own = survey_analysis.build(
        "h_county",
        synth.field_data("h_county", folder, instrument=path),
        source="x",
        instrument=str(path),
    )
    reference = own_folder(tmp_path / "case", n=600)  # the same answers under the case's ids
    case = survey_analysis.build("h_county", synth.field_data("h_county", reference), source="x")
    # Same answers under other ids: the same estimates, and the model is shown.
    assert own.facts["has_model"] and "model_fig" in own.figures
    for key in ("coef_growth_willingness", "gap_willingness", "alpha_dependence"):
        assert own.numbers[key] == pytest.approx(case.numbers[key], rel=1e-12)
    columns = [c for t in own.facts["data_tables"] for c in t["columns"]]
    assert "w1" in columns and "will_1" not in columns
    assert "Renamed items" in own.render("survey_analysis")["intro"]
    plt.close("all")


# ------------------------------------------------------------------------------ --instrument


def test_check_data_validates_the_instrument_before_reading_the_folder(
    tmp_path, capsys, monkeypatch
):
    folder, path = _own_questionnaire_folder(tmp_path)
    code, out = check_cli(
        capsys, monkeypatch, "check-data", "h_county", str(folder), "--instrument", str(path)
    )
    assert code == 0 and "own: 0 problem(s)" in out, out
    # q3 reverse-keyed but not in its scale: the file and the field are named, nothing is read.
    broken = tmp_path / "broken.yaml"
    broken.write_text(OWN_INSTRUMENT.replace("reverse: [q3]", "reverse: [q4]"), encoding="utf-8")
    code, out = check_cli(
        capsys, monkeypatch, "check-data", "h_county", str(folder), "--instrument", str(broken)
    )
    assert code == 1
    assert "broken.yaml" in out and "scales.drive.reverse: item(s) ['q4'] not in the scale" in out
    assert "problem(s)," not in out  # the folder was not read
    code, out = check_cli(
        capsys, monkeypatch, "check-data", "h_county", str(folder), "--instrument", "nope.yaml"
    )
    assert code == 2 and "instrument file 'nope.yaml' not found" in out


def test_report_takes_the_instrument_hashes_it_and_reruns_when_it_changes(project_copy, tmp_path):
    keep_only_analyses(project_copy, keep=("survey_analysis",))
    folder, path = _own_questionnaire_folder(tmp_path)
    out = tmp_path / "report"
    args = ("report", "h_county", str(folder), "--out", str(out), "--instrument", str(path))
    done = run_cli(project_copy, *args)
    assert done.returncode == 0, done.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    # The survey analysis ran on the instrument's scales (the reliability table names them).
    assert ">Drive<" in page and ">Skill<" in page and "will_1" not in page
    assert "own instrument, <code>township_motivation.yaml</code>" in page
    assert hashlib.sha256(path.read_bytes()).hexdigest() in page
    assert str(tmp_path) not in page
    again = run_cli(project_copy, *args)
    assert "survey_analysis (cached" in again.stderr, again.stderr
    path.write_text(OWN_INSTRUMENT.replace("Drive", "Own drive"), encoding="utf-8")
    third = run_cli(project_copy, *args)
    assert third.returncode == 0 and "survey_analysis (ran" in third.stderr, third.stderr
    assert ">Own drive<" in (out / "report.html").read_text(encoding="utf-8")
    # An invalid instrument stops the report before any notebook runs.
    path.write_text(OWN_INSTRUMENT.replace("min: 1", "min: 9"), encoding="utf-8")
    shutil.rmtree(out)
    bad = run_cli(project_copy, *args)
    assert bad.returncode == 1 and "township_motivation.yaml" in bad.stderr
    assert "response" in bad.stderr and not out.exists()


def test_an_instrument_without_the_compared_groups_is_refused_before_anything_runs(
    tmp_path, capsys, monkeypatch
):
    from cases.pages import survey_analysis

    folder, path = _own_questionnaire_folder(tmp_path)
    motivation = pd.read_csv(folder / "motivation.csv")
    own_roles = {"poor_household": "poor household", "non_poor_villager": "other villager"}
    motivation["role"] = motivation["role"].replace(own_roles)
    motivation.to_csv(folder / "motivation.csv", index=False)
    path.write_text(
        OWN_INSTRUMENT.replace(
            "roles: [poor_household, relieved_household, low_income_household, non_poor_villager]",
            "roles: [poor household, other villager]",
        ),
        encoding="utf-8",
    )
    code, out = check_cli(
        capsys, monkeypatch, "check-data", "h_county", str(folder), "--instrument", str(path)
    )
    assert code == 1
    assert (
        "roles: the survey analysis of h_county compares poor_household with non_poor_villager"
        in out
    )
    assert "(roles now: poor household, other villager)" in out
    # The page says the same when run directly (papermill), instead of a numpy error.
    data = synth.field_data("h_county", folder, instrument=path)
    with pytest.raises(DataValidationError, match="roles: the survey analysis of h_county"):
        survey_analysis.build("h_county", data, source="x", instrument=str(path))
    # With the case's codes listed but no registered poor household answering: named too.
    folder2, path2 = _own_questionnaire_folder(tmp_path / "second")
    motivation = pd.read_csv(folder2 / "motivation.csv")
    motivation = motivation[motivation["role"] != "poor_household"]
    motivation.to_csv(folder2 / "motivation.csv", index=False)
    data = synth.field_data("h_county", folder2, instrument=path2)
    with pytest.raises(
        DataValidationError,
        match=r"column 'role': no respondent in poor_household, which the analysis compares "
        r"\(values found: non_poor_villager\)",
    ):
        survey_analysis.build("h_county", data, source="x", instrument=str(path2))
    plt.close("all")


def test_interaction_problems_name_rows_from_1():
    from cases.pages import participation

    actors = pd.DataFrame({"actor_id": ["G1", "H1"], "actor_type": ["government", "household"]})
    interactions = pd.DataFrame(
        {
            "source_id": ["G1", "G1"],
            "source_type": ["government", "government"],
            "target_id": ["H1", "H1"],
            "target_type": ["household", "household"],
            "contacts_per_year": [3, 2],
        }
    )
    with pytest.raises(DataValidationError, match=r"row 2: pair \(G1, H1\) appears twice"):
        participation.build_network(actors, interactions)


def test_import_hashing_an_identifier_gives_a_folder_that_passes_check_data(
    tmp_path, capsys, monkeypatch
):
    import hmac

    raw = tmp_path / "raw"
    shutil.copytree(SAMPLE, raw)
    mapping = (raw / "mapping.yaml").read_text(encoding="utf-8")
    mapping = mapping.replace(
        "identifiers: {户主姓名: drop, 身份证号: drop}",
        "identifiers: {户主姓名: drop, 身份证号: hash}\n    keep_extra: true",
    )
    (raw / "mapping.yaml").write_text(mapping, encoding="utf-8")
    monkeypatch.setenv("CASES_ID_KEY", "a-test-key")
    out = tmp_path / "folder"
    code, printed = check_cli(
        capsys, monkeypatch, "import", "h_county", str(raw), "--mapping",
        str(raw / "mapping.yaml"), "--out", str(out),
    )  # fmt: skip
    assert code == 0 and "folder: 0 problem(s)" in printed, printed
    ids = pd.read_csv(raw / "households_gbk.csv", encoding="gbk", dtype=str)["身份证号"]
    hashed = pd.read_csv(out / "households.csv", dtype=str)["身份证号"]
    # HMAC-SHA256 (RFC 2104) of the upper-cased number, keyed by CASES_ID_KEY.
    expected = [hmac.new(b"a-test-key", i.upper().encode(), "sha256").hexdigest() for i in ids]
    assert hashed.tolist() == expected
    assert not any(i in (out / "households.csv").read_text(encoding="utf-8") for i in ids)
    # A raw number under the same header is still refused.
    frame = pd.read_csv(out / "households.csv", dtype=str)
    frame.loc[0, "身份证号"] = EXAMPLE_ID
    frame.to_csv(out / "households.csv", index=False)
    assert any("身份证号" in f.describe() for f in owndata.check("h_county", out).problems)


def test_import_checks_the_folder_with_the_mappings_instrument(tmp_path, capsys, monkeypatch):
    folder, _ = _own_questionnaire_folder(tmp_path)  # township_motivation.yaml beside map.yaml
    (folder / "metadata.json").unlink()
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "case: h_county\n"
        "instrument: township_motivation.yaml\n"
        "files:\n"
        "  households.csv: {table: households}\n"
        "  panel.csv: {table: panel}\n"
        "  motivation.csv: {table: motivation, missing_codes: {q2: [8]}}\n",
        encoding="utf-8",
    )
    out = tmp_path / "imported"
    code, printed = check_cli(
        capsys, monkeypatch, "import", "h_county", str(folder), "--mapping", str(mapping),
        "--out", str(out),
    )  # fmt: skip
    # The folder's items are the instrument's (q1-q5), not the case's: checked with it.
    assert code == 0 and "imported: 0 problem(s)" in printed, printed
    assert list(pd.read_csv(out / "motivation.csv").columns[3:]) == ["q1", "q2", "q3", "q4", "q5"]
