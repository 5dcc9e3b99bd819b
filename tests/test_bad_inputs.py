"""The bad-input matrix: every input the compendium must refuse, and how it refuses it.

Each row is one bad input: the library call (or command line) that receives it, the exception
type (or exit status) expected, and a pattern that the message must contain, naming the
offending file, column, row, parameter or value. ``book/methods_inputs.md`` documents the same
matrix for readers and authors; keep the two in step.

Library rows run in-process on small files written to ``tmp_path``; command-line rows run
``python -m cases.run.cli`` on a project copy and all stop before any notebook executes.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli

from cases.core.errors import DataValidationError, ParameterError, RegistryError
from cases.data import io, registry
from cases.methods import measures, panel, survey
from cases.methods.measures import MeasureInputError
from cases.present.disclosure import SuppressionInputError, suppress_small_cells
from cases.run import pipeline, sweep

# The worked example of `cases import` (data/samples/own_data): an existing folder.
OWN_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "own_data"

# GB 11643-1999's own example citizen identity number (valid check character X).
EXAMPLE_ID = "11010519491231002X"

MINI_INSTRUMENT = """\
id: mini
title_en: Mini instrument
title_zh: 迷你量表
cases: [w_town]
provenance: written for tests/test_bad_inputs.py
roles: [official, household]
missing_codes: [9]
response: {min: 1, max: 5}
items:
  - {id: q1, zh: 题一, en: item one}
  - {id: q2, zh: 题二, en: item two}
scales:
  - {id: trust, label_en: Trust, label_zh: 信任, items: [q1, q2]}
"""


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def _survey(folder: Path, body: str, **kwargs) -> pd.DataFrame:
    instrument = _write(folder, "mini.yaml", MINI_INSTRUMENT)
    return io.read_survey(_write(folder, "survey.csv", body), instrument, **kwargs)


def _panel(**changes) -> pd.DataFrame:
    """A small balanced panel: 4 villages, 2015-2020, two treated in 2018."""
    rows = [
        {"village": v, "year": t, "income": 100.0 + v + t - 2015, "g": g}
        for v, g in zip(range(4), (2018, 2018, 0, 0), strict=True)
        for t in range(2015, 2021)
    ]
    df = pd.DataFrame(rows)
    df["treated"] = ((df.g > 0) & (df.year >= df.g)).astype(int)
    for column, value in changes.items():
        df[column] = value
    return df


def _case_without(folder: Path, field: str) -> None:
    text = (Path(registry.paths.CASES_DIR) / "w_town.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{field}:"))
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()),
        len(lines),
    )
    cases_dir = folder / "cases"
    cases_dir.mkdir()
    (cases_dir / "w_town.yaml").write_text("\n".join(lines[:start] + lines[end:]) + "\n")
    registry.load_case("w_town", cases_dir=cases_dir)


def _grid_with(folder: Path, section: str, name: str, value: object) -> object:
    """The committed H County grid with ``section.name`` set to ``value`` (a varied name
    leaves ``fixed``), loaded."""
    import yaml

    data = yaml.safe_load(Path("params/sweeps/h_county_policy.yaml").read_text("utf-8"))
    data[section][name] = value
    if section == "parameters":
        data["fixed"].pop(name, None)
    path = folder / "grid.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return sweep.load_grid(path)


MPI_WEIGHTS = {"school": 0.5, "water": 0.5}
MPI_DATA = pd.DataFrame({"school": [0, 1, 1], "water": [1, 0, 1]})


@dataclass(frozen=True)
class Bad:
    """One library-level bad input: ``call(tmp_path)`` must raise ``error`` matching ``names``."""

    id: str
    call: Callable[[Path], object]
    error: type[Exception]
    names: str


LIBRARY_CASES = [
    # ---- data readers (cases.data.io) ----------------------------------------------------------
    Bad(
        "missing-file",
        lambda d: io.read_table(d / "nowhere.csv"),
        DataValidationError,
        r"nowhere\.csv.*file not found",
    ),
    Bad(
        "empty-file",
        lambda d: io.read_table(_write(d, "empty.csv", "")),
        DataValidationError,
        r"empty\.csv.*empty file",
    ),
    Bad(
        "header-only-file",
        lambda d: io.read_table(_write(d, "header.csv", "respondent_id,q1\n")),
        DataValidationError,
        r"header\.csv.*no data rows",
    ),
    Bad(
        "truncated-csv",
        lambda d: io.read_table(
            _write(d, "cut.csv", "respondent_id,role,q1,q2\nr1,official,3,4\nr2,hou")
        ),
        DataValidationError,
        r"cut\.csv.*row 2: truncated: 2 field\(s\) but the header has 4.*looks cut off",
    ),
    Bad(
        "wrong-delimiter",
        lambda d: io.read_table(_write(d, "semi.csv", "respondent_id;role;q1\nr1;official;3\n")),
        DataValidationError,
        r"semi\.csv.*looks like ';'-delimited: pass delimiter=';'",
    ),
    Bad(
        "gbk-file-declared-utf8",
        lambda d: io.read_table(
            _write(d, "gbk.csv", "respondent_id,role\nr1,村干部\n", encoding="gbk"),
            encoding="utf-8",
        ),
        DataValidationError,
        r"gbk\.csv.*cannot decode as 'utf-8'.*decodes as GBK",
    ),
    Bad(
        "unknown-encoding-name",
        lambda d: io.read_table(_write(d, "a.csv", "x\n1\n"), encoding="utf-9"),
        ParameterError,
        r"encoding='utf-9' is not a known codec",
    ),
    Bad(
        "unsupported-file-type",
        lambda d: io.read_table(_write(d, "survey.pdf", "%PDF")),
        DataValidationError,
        r"survey\.pdf.*unsupported file type '\.pdf'",
    ),
    Bad(
        "duplicate-column-names",
        lambda d: io.read_table(_write(d, "dup.csv", "respondent_id,q1,q1\nr1,1,2\n")),
        DataValidationError,
        r"column name 'q1' appears twice \(columns 2 and 3\)",
    ),
    Bad(
        "duplicate-respondent-ids",
        lambda d: _survey(d, "respondent_id,role,q1,q2\nr1,official,3,4\nr1,household,2,2\n"),
        DataValidationError,
        r"row 2, column 'respondent_id': duplicate respondent id 'r1' \(first at row 1\)",
    ),
    Bad(
        "likert-code-out-of-range",
        lambda d: _survey(d, "respondent_id,role,q1,q2\nr1,official,3,7\n"),
        DataValidationError,
        r"row 1, column 'q2': Likert code 7 is outside the scale 1-5",
    ),
    Bad(
        "likert-not-numeric",
        lambda d: _survey(d, "respondent_id,role,q1,q2\nr1,official,agree,4\n"),
        DataValidationError,
        r"row 1, column 'q1': value 'agree' is not numeric",
    ),
    Bad(
        "unknown-respondent-role",
        lambda d: _survey(d, "respondent_id,role,q1,q2\nr1,mayor,3,4\n"),
        DataValidationError,
        r"row 1, column 'role': unknown respondent role 'mayor'",
    ),
    Bad(
        "survey-with-id-number-column",
        lambda d: _survey(d, f"respondent_id,role,q1,q2,身份证号\nr1,official,3,4,{EXAMPLE_ID}\n"),
        DataValidationError,
        r"column '身份证号': header suggests a PRC resident ID number",
    ),
    Bad(
        "id-number-hidden-in-free-column",
        lambda d: _survey(
            d,
            f"respondent_id,role,q1,q2,note\nr1,official,3,4,{EXAMPLE_ID}\n",
            extra_columns=["note"],
        ),
        DataValidationError,
        r"column 'note': 1 value\(s\) look like a PRC resident ID number.*1101\*+002X",
    ),
    Bad(
        "survey-with-mobile-numbers",
        lambda d: _survey(
            d,
            "respondent_id,role,q1,q2,contact\nr1,official,3,4,13912345678\n",
            extra_columns=["contact"],
        ),
        DataValidationError,
        r"column 'contact': 1 value\(s\) look like a phone/mobile number",
    ),
    Bad(
        "missing-instrument-item",
        lambda d: _survey(d, "respondent_id,role,q1\nr1,official,3\n"),
        DataValidationError,
        r"column 'q2': missing \(required by instrument mini\)",
    ),
    Bad(
        "missing-data-directory",
        lambda d: io.check_data_dir(d / "field_data"),
        ParameterError,
        r"data_dir: data folder '.*field_data' does not exist",
    ),
    Bad(
        "data-directory-is-a-file",
        lambda d: io.check_data_dir(_write(d, "survey.csv", "x\n1\n")),
        ParameterError,
        r"data_dir: '.*survey\.csv' is a file, not a data folder",
    ),
    Bad(
        "data-file-sha256-mismatch",
        lambda d: (
            _write(d, "census.csv", "year,population\n2020,100\n"),
            _write(
                d,
                "datapackage.json",
                '{"resources": [{"name": "census", "path": "census.csv", '
                '"hash": "sha256:' + "0" * 64 + '"}]}',
            ),
            io.verify_checksums(d / "datapackage.json"),
        ),
        DataValidationError,
        r"resource census: file census\.csv has sha256 [0-9a-f]{64}, expected 0{64}",
    ),
    # ---- survey instruments (cases.methods.survey)
    # -------------------------------------------------
    Bad(
        "instrument-references-undefined-item",
        lambda d: survey.load_instrument(
            _write(d, "bad.yaml", MINI_INSTRUMENT.replace("items: [q1, q2]", "items: [q1, q9]"))
        ),
        DataValidationError,
        r"bad\.yaml.*scales\.trust\.items: undefined item\(s\) \['q9'\]",
    ),
    Bad(
        "instrument-missing-field",
        lambda d: survey.load_instrument(
            _write(
                d,
                "nofield.yaml",
                MINI_INSTRUMENT.replace("provenance: written for tests/test_bad_inputs.py\n", ""),
            )
        ),
        DataValidationError,
        r"nofield\.yaml.*provenance: Field required",
    ),
    # ---- case registry (cases.data.registry) ----------------------------------------------------
    Bad(
        "case-file-missing-field",
        lambda d: _case_without(d, "title"),
        RegistryError,
        r"w_town\.yaml.*title",
    ),
    Bad(
        "unknown-case-slug",
        lambda d: registry.load_case("atlantis"),
        RegistryError,
        r"unknown case slug 'atlantis'; valid slugs: .*w_town",
    ),
    # ---- poverty measures (cases.methods.measures)
    # -------------------------------------------------
    Bad(
        "negative-income-gini",
        lambda d: measures.gini([1200.0, -50.0, 3000.0]),
        MeasureInputError,
        r"gini needs non-negative incomes; found -50\.0 at position 1",
    ),
    Bad(
        "non-positive-consumption-vulnerability",
        lambda d: measures.vulnerability(
            [1200.0, 0.0, 3000.0, 2500.0], pd.DataFrame({"size": [1, 2, 3, 4]}), 2300.0
        ),
        MeasureInputError,
        r"consumption must be positive \(its log is modelled\); found 0\.0 at",
    ),
    Bad(
        "non-positive-poverty-line",
        lambda d: measures.fgt([1200.0, 3000.0], line=0),
        MeasureInputError,
        r"poverty line must be a positive finite number; got 0",
    ),
    Bad(
        "nan-weights",
        lambda d: measures.fgt([1200.0, 3000.0], 2300.0, weights=[1.0, np.nan]),
        MeasureInputError,
        r"weights has 1 NaN value\(s\) \(first at position 1\)",
    ),
    Bad(
        "all-zero-weights",
        lambda d: measures.fgt([1200.0, 3000.0], 2300.0, weights=[0.0, 0.0]),
        MeasureInputError,
        r"weights are all zero",
    ),
    Bad(
        "negative-weight",
        lambda d: measures.gini([1200.0, 3000.0], weights=[1.0, -2.0]),
        MeasureInputError,
        r"weights must be non-negative; found negative weight -2\.0 at position 1",
    ),
    Bad(
        "weights-length-mismatch",
        lambda d: measures.fgt([1200.0, 3000.0], 2300.0, weights=[1.0]),
        MeasureInputError,
        r"weights and income have mismatched lengths \(1 vs 2\)",
    ),
    Bad(
        "indicator-not-0-1",
        lambda d: measures.mpi(MPI_DATA.assign(water=[1, 2, 0]), MPI_WEIGHTS, k=0.5),
        MeasureInputError,
        r"indicator column 'water' must hold only 0/1 deprivation codes; found 2 at row 1",
    ),
    Bad(
        "mpi-weights-not-summing-to-1",
        lambda d: measures.mpi(MPI_DATA, {"school": 0.5, "water": 0.4}, k=0.5),
        MeasureInputError,
        r"dim_weights must sum to 1; they sum to 0\.9",
    ),
    Bad(
        "mpi-k-zero",
        lambda d: measures.mpi(MPI_DATA, MPI_WEIGHTS, k=0),
        MeasureInputError,
        r"poverty cutoff k must be in \(0, 1\]; got 0",
    ),
    Bad(
        "mpi-k-above-1",
        lambda d: measures.mpi(MPI_DATA, MPI_WEIGHTS, k=1.5),
        MeasureInputError,
        r"poverty cutoff k must be in \(0, 1\]; got 1\.5",
    ),
    # ---- panels (cases.methods.panel)
    # --------------------------------------------------------------
    Bad(
        "panel-duplicate-entity-time",
        lambda d: panel.twfe(
            pd.concat([_panel(), _panel().iloc[[3]]]), "income", "treated", "village", "year"
        ),
        DataValidationError,
        r"2 rows share an \(village, year\) pair, e\.g\. village=0, year=2018",
    ),
    Bad(
        "treatment-after-panel-ends",
        lambda d: panel.staggered_did(
            _panel(g=[2030] * 6 + [2018] * 6 + [0] * 12), "income", "village", "year", "g"
        ),
        DataValidationError,
        r"first_treated 'g' = 2030 for village=0 is outside the panel's periods 2015\.\.2020",
    ),
    Bad(
        "panel-non-numeric-time",
        lambda d: panel.twfe(
            _panel(year=[f"Y{t}" for t in range(24)]), "income", "treated", "village", "year"
        ),
        DataValidationError,
        r"time column 'year' must be numeric",
    ),
    Bad(
        "panel-missing-outcome",
        lambda d: panel.twfe(
            _panel(income=[np.nan] + [1.0] * 23), "income", "treated", "village", "year"
        ),
        DataValidationError,
        r"column 'income' has 1 missing value\(s\)",
    ),
    Bad(
        "panel-missing-column",
        lambda d: panel.twfe(_panel(), "income", "treatment", "village", "year"),
        DataValidationError,
        r"column 'treatment' not found",
    ),
    # ---- runner parameters (cases.run.pipeline) ------------------------------------------------
    Bad(
        "override-without-equals",
        lambda d: pipeline.parse_override("seed"),
        ParameterError,
        r"parameter override 'seed' must look like KEY=VALUE",
    ),
    Bad(
        "parameter-wrong-type",
        lambda d: pipeline.coerce_parameter(Path("case_profile.ipynb"), "seed", "7.5", "int"),
        ParameterError,
        r"case_profile\.ipynb: parameter 'seed' expects int, got '7\.5'",
    ),
    Bad(
        "yaml-parameter-wrong-type",
        lambda d: pipeline.coerce_parameter(Path("case_profile.ipynb"), "seed", True, "int"),
        ParameterError,
        r"parameter 'seed' expects int, got True \(bool\)",
    ),
    Bad(
        "unknown-executor",
        lambda d: pipeline.run([], executor="spark"),
        ParameterError,
        r"executor must be one of \('process', 'dask'\), got 'spark'",
    ),
    # ---- disclosure control (cases.present.disclosure)
    # ---------------------------------------------
    Bad(
        "suppression-fractional-count",
        lambda d: suppress_small_cells(pd.DataFrame({"a": [2.5, 7.0]})),
        SuppressionInputError,
        r"cell \(0, 'a'\) is 2\.5",
    ),
    # ---- specification-curve grids (cases.run.sweep, data/settings/specification_curve.yaml)
    Bad(
        "sweep-grid-varies-seed",
        lambda d: _grid_with(d, "parameters", "seed", [20201123, 20201124]),
        ParameterError,
        r"grid\.yaml: field 'parameters\.seed': seed may not vary .*design diagnosis",
    ),
    Bad(
        "sweep-grid-varies-n",
        lambda d: _grid_with(d, "parameters", "n", [3000, 6000]),
        ParameterError,
        r"grid\.yaml: field 'parameters\.n': n may not vary",
    ),
    Bad(
        "sweep-grid-fixes-n-off-the-chapter",
        lambda d: _grid_with(d, "fixed", "n", 3000),
        ParameterError,
        # The chapter's own n is 0: the case's one simulated world (data/synth/h_county.yaml).
        r"grid\.yaml: field 'fixed\.n': 3000 is not the chapter's own value 0",
    ),
    Bad(
        "sweep-grid-household-clusters",
        lambda d: _grid_with(d, "fixed", "cluster", "household"),
        ParameterError,
        r"grid\.yaml: field 'fixed\.cluster': cluster='household' is not a valid "
        r"specification .*below the level of assignment",
    ),
    Bad(
        "sweep-grid-chapter-off-the-curve",
        lambda d: _grid_with(d, "parameters", "estimator_control", ["notyet"]),
        ParameterError,
        r"grid\.yaml: field 'parameters\.estimator_control': the chapter's own choice 'never'",
    ),
]


@pytest.mark.parametrize("case", LIBRARY_CASES, ids=[c.id for c in LIBRARY_CASES])
def test_library_refuses_bad_input(case: Bad, tmp_path: Path) -> None:
    with pytest.raises(case.error) as caught:
        case.call(tmp_path)
    assert isinstance(caught.value, ValueError), "every refusal is a ValueError subclass"
    assert re.search(case.names, str(caught.value), flags=re.DOTALL), str(caught.value)


def test_matrix_ids_are_unique_and_cover_at_least_25_inputs() -> None:
    ids = [c.id for c in LIBRARY_CASES] + [c[0] for c in CLI_CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 25


# --------------------------------------------------------------------------- command line


def _edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{relative} no longer contains {old!r}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def _append(relative: str, extra: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")

    return apply


def _remove(relative: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / relative).unlink()

    return apply


def _nothing(root: Path) -> None:
    return None


# (id, change to the project copy, arguments, exit status, pattern the message must contain)
CLI_CASES = [
    (
        "cli-unknown-case-slug",
        _nothing,
        ["run", "atlantis"],
        2,
        r"unknown case slug\(s\) 'atlantis'",
    ),
    (
        "cli-unknown-parameter",
        _nothing,
        ["run", "h_county", "-p", "sede=3"],
        2,
        r"'sede'.*valid parameters",
    ),
    (
        "cli-mistyped-parameter",
        _nothing,
        ["run", "h_county", "-p", "seed=abc"],
        2,
        r"parameter 'seed' expects int, got 'abc'",
    ),
    (
        "cli-bad-p-syntax",
        _nothing,
        ["run", "h_county", "-p", "seed"],
        2,
        r"'seed' must look like KEY=VALUE",
    ),
    (
        "cli-unknown-executor",
        _nothing,
        ["run", "h_county", "--executor", "spark"],
        2,
        r"invalid choice: 'spark'",
    ),
    (
        "cli-jobs-not-a-number",
        _nothing,
        ["run", "h_county", "--jobs", "two"],
        2,
        r"argument --jobs: expected a whole number >= 1, got 'two'",
    ),
    (
        "cli-jobs-zero",
        _nothing,
        ["run", "liupanshui", "--jobs", "0"],
        2,
        r"argument --jobs: expected a whole number >= 1, got 0",
    ),
    (
        "cli-jobs-negative-build",
        _nothing,
        ["build", "--jobs", "-1"],
        2,
        r"argument --jobs: expected a whole number >= 1, got -1",
    ),
    (
        "cli-jobs-not-a-number-verify",
        _nothing,
        ["verify", "--jobs", "x"],
        2,
        r"argument --jobs: expected a whole number >= 1, got 'x'",
    ),
    (
        "cli-jobs-zero-sweep",
        _nothing,
        ["sweep", "liupanshui", "--grid", "g.yaml", "--jobs", "0"],
        2,
        r"argument --jobs: expected a whole number >= 1, got 0",
    ),
    (
        "cli-slugs-and-all",
        _nothing,
        ["run", "h_county", "--all"],
        2,
        r"give case slugs or --all, not both",
    ),
    (
        "cli-missing-data-directory",
        _nothing,
        ["run", "h_county", "-p", "data_dir=/nonexistent/field_data"],
        2,
        r"data_dir: data folder '/nonexistent/field_data' does not exist",
    ),
    (
        "cli-check-data-unknown-slug",
        _nothing,
        ["check-data", "atlantis", "data/samples"],
        2,
        r"unknown case slug 'atlantis'",
    ),
    (
        "cli-check-data-missing-folder",
        _nothing,
        ["check-data", "h_county", "/nonexistent/own_data"],
        2,
        r"DIR: '/nonexistent/own_data' is not an existing folder",
    ),
    (
        "cli-import-missing-mapping",
        _nothing,
        ["import", "h_county", str(OWN_SAMPLE), "--mapping", "/nonexistent/map.yaml", "--out", "x"],
        2,
        r"--mapping: file '/nonexistent/map\.yaml' not found",
    ),
    (
        "cli-import-without-out",
        _nothing,
        ["import", "h_county", str(OWN_SAMPLE), "--mapping", "m.yaml"],
        2,
        r"the following arguments are required: --out",
    ),
    (
        "cli-report-into-the-book",
        _nothing,
        ["report", "h_county", str(OWN_SAMPLE), "--out", "book/mine"],
        2,
        r"--out 'book/mine' is inside book/",
    ),
    (
        "cli-own-data-without-out",
        _nothing,
        ["run", "h_county", "-p", f"data_dir={OWN_SAMPLE}"],
        2,
        r"own data are never run into book/ or results/; use `cases report",
    ),
    (
        "cli-out-with-book-notebooks",
        _nothing,
        ["run", "--all", "--out", "/tmp/never-written"],
        2,
        r"--out runs the analyses of one case",
    ),
    (
        "cli-malformed-params-yaml",
        _append("params/h_county.yaml", "  - name: [unclosed\n"),
        ["run", "h_county"],
        2,
        r"h_county\.yaml: not valid YAML",
    ),
    (
        "cli-params-unknown-key",
        _edit("params/h_county.yaml", "    parameters:", "    paramters:"),
        ["run", "h_county"],
        2,
        r"h_county\.yaml: analyses\[0\] has unknown key\(s\) \['paramters'\]",
    ),
    (
        "cli-params-wrong-type",
        _edit("params/h_county.yaml", "seed: 20201123", "seed: twenty"),
        ["run", "h_county"],
        2,
        # The only seed params/h_county.yaml sets is the design page's (the data pages take
        # the world's seed from the templates).
        r"design\.ipynb: parameter 'seed' expects int, got 'twenty'",
    ),
    (
        "cli-params-unknown-template",
        _edit("params/h_county.yaml", "- name: case_profile", "- name: case_profil"),
        ["run", "h_county"],
        2,
        r"notebook template not found: .*case_profil\.ipynb",
    ),
    (
        "cli-data-sha256-mismatch",
        _append("data/raw/census_population.csv", "\n"),
        ["run", "h_county"],
        1,
        r"census_population\.csv has sha256 [0-9a-f]{64}, expected [0-9a-f]{64}",
    ),
    (
        "cli-data-file-missing",
        _remove("data/raw/locality_facts.csv"),
        ["run", "h_county"],
        1,
        r"file raw/locality_facts\.csv is missing",
    ),
]


USAGE_CASES = [c for c in CLI_CASES if c[1] is _nothing]
PROJECT_CASES = [c for c in CLI_CASES if c[1] is not _nothing]


@pytest.mark.parametrize(
    ("args", "status", "names"),
    [c[2:] for c in USAGE_CASES],
    ids=[c[0] for c in USAGE_CASES],
)
def test_cli_refuses_bad_usage(capsys, monkeypatch, args, status, names) -> None:
    """In-process on the project itself: each refusal happens before anything is written."""
    from cases.run import cli

    monkeypatch.setenv("COLUMNS", "400")  # rich would wrap long messages at 80 columns
    try:
        code = cli.main(args)
    except SystemExit as exc:  # argparse refuses its own arguments this way
        code = exc.code
    assert code == status
    err = capsys.readouterr().err
    assert re.search(names, err, flags=re.DOTALL), err


@pytest.mark.parametrize(
    ("setup", "args", "status", "names"),
    [c[1:] for c in PROJECT_CASES],
    ids=[c[0] for c in PROJECT_CASES],
)
def test_cli_refuses_bad_project_files(
    project_copy, monkeypatch, setup, args, status, names
) -> None:
    """On a project copy with one file broken: ``cases run`` stops before any notebook runs."""
    monkeypatch.setenv("COLUMNS", "400")
    setup(project_copy)
    done = run_cli(project_copy, *args, timeout=120)
    assert done.returncode == status, done.stderr
    assert re.search(names, done.stderr, flags=re.DOTALL), done.stderr
    assert not list((project_copy / "book").rglob("*.ipynb"))
    scratch = project_copy / ".cache" / "cases" / "tmp"
    assert not scratch.exists() or not list(scratch.iterdir())


def test_check_data_dir_accepts_an_existing_folder(tmp_path: Path) -> None:
    assert io.check_data_dir(tmp_path) == tmp_path.resolve()
    shutil.rmtree(tmp_path)
    with pytest.raises(ParameterError, match="does not exist"):
        io.check_data_dir(tmp_path)
