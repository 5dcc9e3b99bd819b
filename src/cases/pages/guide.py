"""The authors' guide: the shipped sample survey export and the tables the guide page shows.

The guide (``notebooks/authors_guide.ipynb``) teaches authors to re-run notebooks, bring their
own survey exports and field data, add a case and cite the compendium. :func:`build` returns the
numbers, facts and tables it shows; its generated sentences are in ``text/authors_guide.md``.
Everything is generated here, so the page cannot drift from the code:

- :func:`sample_bytes` is the seeded generator of the two files in ``data/samples/``: a
  *simulated* export of the good-governance survey (GBK-encoded CSV, as Excel and Chinese
  survey platforms write it) and a deliberately broken copy with three planted problems
  (:data:`BROKEN_PLANTS`). The shipped files are never edited by hand: ``tests/test_guide.py``
  checks that :func:`write_samples` reproduces them byte for byte.
- :func:`parameter_table` lists every parameter of every template (papermill's inspection of
  the ``parameters`` cells); :func:`error_catalogue` triggers each kind of survey-validation
  error on variants of the sample and records the message the library gives;
  :func:`field_data_schema` renders :data:`cases.simulate.synth.TABLE_SCHEMAS` for one case;
  :func:`citation` reads ``CITATION.cff``. (What ``cases new`` writes is shown by
  :func:`cases.run.scaffold.preview`, which the notebook calls itself: a page does not import
  the run layer.)

The sample is simulated data: no respondent exists. Its phone numbers are generated from the
seed in an obviously artificial pattern (``1`` + a digit 3–9 + ``0000`` + five digits) so that
the identifier guard of :func:`cases.data.io.read_survey` has something to detect; they are not
taken from anyone.
"""

from __future__ import annotations

import contextlib
import csv
import io as _stdio
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from cases.core import paths
from cases.core.errors import CasesError, DataValidationError, ParameterError, RegistryError
from cases.present.page import Page

__all__ = [
    "BROKEN_PLANTS",
    "ERROR_KINDS",
    "EXTRA_COLUMNS",
    "INSTRUMENT",
    "PHONE_COLUMN",
    "ROLE_COUNTS",
    "SAMPLE_ENCODING",
    "SAMPLE_IDENTIFIERS",
    "SAMPLE_SEED",
    "SCHEMA_CASE",
    "Citation",
    "PlantedProblem",
    "SampleFiles",
    "WorkedExample",
    "alpha_by_dimension",
    "build",
    "citation",
    "error_catalogue",
    "field_data_schema",
    "field_data_schemas",
    "generators",
    "id_key",
    "meaning_block",
    "parameter_numbers",
    "parameter_table",
    "problem_locations",
    "read_sample",
    "relative_message",
    "sample_bytes",
    "sample_files",
    "sample_paths",
    "with_meanings",
    "worked_example",
    "write_samples",
]

#: Seed of the shipped sample files (the compendium's default seed).
SAMPLE_SEED = 20201123
#: The case whose field-data folder format the guide shows.
SCHEMA_CASE = "h_county"
#: Instrument the sample follows (``data/instruments/good_governance.yaml``).
INSTRUMENT = "good_governance"
#: Encoding of the sample files: GBK, the default of Excel on Chinese-language Windows.
SAMPLE_ENCODING = "gbk"
GOOD_NAME = "governance_survey_gbk.csv"
BROKEN_NAME = "governance_survey_broken.csv"
#: Respondents per role, in the instrument's role order (40 in all).
ROLE_COUNTS: dict[str, int] = {
    "township_official": 6,
    "first_secretary": 4,
    "village_official": 10,
    "poor_household": 20,
}
VILLAGES = ("东岭村", "西河村", "南坪村", "北山村")
GENDERS = ("男", "女")
#: Columns of the sample that are not instrument items (Chinese headers, as exported).
EXTRA_COLUMNS: tuple[str, ...] = ("村名", "性别")
#: The column of fake phone numbers the identifier guard must catch.
PHONE_COLUMN = "phone"
#: How the worked example declares the identifier column.
SAMPLE_IDENTIFIERS: dict[str, str] = {PHONE_COLUMN: "drop"}
#: Share of item answers coded 9 ("don't know", a declared missing code) and left empty.
DONT_KNOW_SHARE = 0.01
EMPTY_SHARE = 0.005
#: Mean shift of the latent rating by role (officials rate their own governance higher).
ROLE_SHIFT = {
    "township_official": 0.5,
    "first_secretary": 0.4,
    "village_official": 0.3,
    "poor_household": 0.0,
}


@dataclass(frozen=True)
class PlantedProblem:
    """One problem planted in the broken sample: data ``row`` (1-based), ``column``, new text."""

    kind: str
    row: int
    column: str
    value: str


#: The three problems of ``governance_survey_broken.csv`` (a copy of the good sample otherwise).
BROKEN_PLANTS: tuple[PlantedProblem, ...] = (
    PlantedProblem("Likert code out of range", 12, "trans_2", "7"),
    PlantedProblem("duplicate respondent id", 23, "respondent_id", "GG008"),
    PlantedProblem("unknown respondent role", 31, "role", "village_head"),
)


# --------------------------------------------------------------------------------------------
# The sample files
# --------------------------------------------------------------------------------------------


def _instrument():
    from cases.methods.survey import load_instrument

    return load_instrument(INSTRUMENT)


def _to_csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    buffer = _stdio.StringIO()
    # CRLF line ends and GBK bytes: what Excel writes for "CSV" on Chinese-language Windows.
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(SAMPLE_ENCODING)


def _sample_rows(seed: int) -> list[list[str]]:
    """Header plus one row of text cells per simulated respondent (see :func:`sample_bytes`)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ParameterError(f"seed must be an integer, got {seed!r}")
    inst = _instrument()
    rng = np.random.default_rng(int(seed))
    roles = [role for role, k in ROLE_COUNTS.items() for _ in range(k)]
    roles = [roles[i] for i in rng.permutation(len(roles))]
    n = len(roles)
    scale_of = {item: s for s in inst.scales for item in s.items}
    general = rng.normal(size=n)
    dimension = {s.id: rng.normal(size=n) for s in inst.scales}
    shift = np.array([ROLE_SHIFT[r] for r in roles])
    lo, hi = inst.response.min, inst.response.max
    codes: dict[str, np.ndarray] = {}
    for item in inst.item_ids:
        scale = scale_of[item]
        latent = 0.6 * general + 0.6 * dimension[scale.id] + 0.7 * rng.normal(size=n) + shift
        # Cut points at -1.5, -0.5, 0.5, 1.5 (plus a small positive mean) give codes 1-5.
        code = np.digitize(latent + 0.2, [-1.5, -0.5, 0.5, 1.5]) + lo
        codes[item] = hi + lo - code if item in scale.reverse else code
    missing_code = str(inst.missing_codes[0]) if inst.missing_codes else ""
    villages = rng.choice(len(VILLAGES), size=n)
    genders = rng.choice(len(GENDERS), size=n)
    second = rng.integers(3, 10, size=n)
    tail = rng.integers(0, 100_000, size=n)
    draw = rng.random(size=(n, len(inst.item_ids)))
    header = [inst.id_column, inst.role_column, *EXTRA_COLUMNS, PHONE_COLUMN, *inst.item_ids]
    rows = [header]
    for i in range(n):
        answers = []
        for j, item in enumerate(inst.item_ids):
            if draw[i, j] < DONT_KNOW_SHARE:
                answers.append(missing_code)
            elif draw[i, j] < DONT_KNOW_SHARE + EMPTY_SHARE:
                answers.append("")
            else:
                answers.append(str(int(codes[item][i])))
        phone = f"1{second[i]}0000{tail[i]:05d}"
        rows.append(
            [
                f"GG{i + 1:03d}",
                roles[i],
                VILLAGES[villages[i]],
                GENDERS[genders[i]],
                phone,
                *answers,
            ]
        )
    return rows


def sample_bytes(seed: int = SAMPLE_SEED) -> tuple[bytes, bytes]:
    """The bytes of the good and the broken sample survey export for ``seed``.

    Generator (simulated respondents, no real person): 40 respondents in the four roles of the
    good-governance instrument (:data:`ROLE_COUNTS`, in random order), ids ``GG001``..``GG040``
    in row order. Each item's latent rating is ``0.6 g + 0.6 d_s + 0.7 e + shift(role)`` with
    ``g`` a general factor, ``d_s`` the factor of the item's dimension and ``e`` noise, all
    independent standard normal; it is cut at -1.5, -0.5, 0.5, 1.5 (after adding 0.2) into
    codes 1-5, and reverse-keyed items are written ``6 - code``. About 1% of answers are the
    instrument's missing code 9 and 0.5% are empty. Extra columns: village (``村名``) and
    gender (``性别``) in Chinese, and ``phone``: ``1`` + a digit 3-9 + ``0000`` + five digits,
    an obviously artificial mobile-number pattern that the identifier guard detects.
    Written as CSV with CRLF line ends, GBK-encoded. The broken copy equals the good one except
    for the cells in :data:`BROKEN_PLANTS`.

    Raises:
        ParameterError: ``seed`` is not an integer.
        CasesError: a planted duplicate id does not exist in the generated file.
    """
    rows = _sample_rows(seed)
    header = rows[0]
    broken = [list(r) for r in rows]
    ids = [r[0] for r in rows[1:]]
    for plant in BROKEN_PLANTS:
        if plant.kind == "duplicate respondent id" and plant.value not in ids:
            raise CasesError(f"planted duplicate id {plant.value!r} is not in the sample")
        broken[plant.row][header.index(plant.column)] = plant.value
    return _to_csv_bytes(rows), _to_csv_bytes(broken)


def sample_paths(folder: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    """Paths of the good and the broken sample in ``folder`` (default ``data/samples``)."""
    base = Path(folder) if folder is not None else paths.DATA / "samples"
    return base / GOOD_NAME, base / BROKEN_NAME


def write_samples(
    folder: str | os.PathLike[str] | None = None, seed: int = SAMPLE_SEED
) -> tuple[Path, Path]:
    """Write the good and the broken sample (:func:`sample_bytes`) into ``folder``.

    The default folder is ``data/samples``: ``write_samples()`` regenerates the shipped files.

    Raises:
        ParameterError: ``seed`` is not an integer.
    """
    good_bytes, broken_bytes = sample_bytes(seed)
    good, broken = sample_paths(folder)
    good.parent.mkdir(parents=True, exist_ok=True)
    good.write_bytes(good_bytes)
    broken.write_bytes(broken_bytes)
    return good, broken


@dataclass(frozen=True)
class SampleFiles:
    """The sample files a run of the guide reads, and whether they are the shipped ones
    (``shipped``) and equal to what the generator gives for ``seed`` (``reproduced``)."""

    good: Path
    broken: Path
    seed: int
    shipped: bool
    reproduced: bool


def sample_files(seed: int = SAMPLE_SEED, scratch: str | os.PathLike[str] | None = None):
    """The sample files for ``seed``: the shipped ones for :data:`SAMPLE_SEED`, else new ones.

    With the shipped seed the files in ``data/samples`` are used and compared byte for byte
    with :func:`sample_bytes`; with another seed a new pair is written into ``scratch`` (a new
    temporary folder by default), so ``-p seed=7`` re-runs the worked example on other data.

    Raises:
        ParameterError: ``seed`` is not an integer.
        DataValidationError: the shipped files are missing (named).
    """
    good_bytes, broken_bytes = sample_bytes(seed)
    if seed == SAMPLE_SEED:
        good, broken = sample_paths()
        missing = [str(p) for p in (good, broken) if not p.is_file()]
        if missing:
            raise DataValidationError(
                str(good.parent), [f"sample file missing: {p}" for p in missing]
            )
        same = good.read_bytes() == good_bytes and broken.read_bytes() == broken_bytes
        return SampleFiles(good, broken, seed, shipped=True, reproduced=same)
    folder = Path(scratch) if scratch is not None else Path(tempfile.mkdtemp(prefix="samples-"))
    good, broken = write_samples(folder, seed)
    return SampleFiles(good, broken, seed, shipped=False, reproduced=True)


def read_sample(
    path: str | os.PathLike[str],
    identifiers: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a sample export with :func:`cases.data.io.read_survey` as the guide does.

    Instrument ``good_governance``; ``identifiers`` defaults to :data:`SAMPLE_IDENTIFIERS`
    (the phone column dropped); the Chinese village and gender columns are declared extra.

    Raises:
        DataValidationError: every problem of the file, with row and column.
    """
    from cases.data.io import read_survey

    return read_survey(
        path,
        INSTRUMENT,
        identifiers=dict(SAMPLE_IDENTIFIERS if identifiers is None else identifiers),
        extra_columns=list(EXTRA_COLUMNS),
    )


@contextlib.contextmanager
def id_key(value: str | None, env_var: str = "CASES_ID_KEY") -> Iterator[None]:
    """Set (or, with ``None``, unset) the identifier-hashing key for the block, then restore it.

    For demonstrations only: a real key is a secret set in the shell, never in a notebook.
    """
    previous = os.environ.get(env_var)
    if value is None:
        os.environ.pop(env_var, None)
    else:
        os.environ[env_var] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(env_var, None)
        else:
            os.environ[env_var] = previous


def alpha_by_dimension(frame: pd.DataFrame) -> pd.DataFrame:
    """Cronbach's alpha of each multi-item dimension of the good-governance instrument.

    The alpha of :func:`cases.methods.survey.reliability_table` (omega not computed):
    reverse-keyed items are recoded ``min + max - x`` (:func:`cases.methods.survey.reverse_code`)
    and respondents with a missing answer on the dimension are left out (listwise), then
    :func:`cases.methods.survey.cronbach_alpha` (Cronbach, 1951) is applied. Columns:
    ``dimension``, ``维度``, ``items``, ``n_complete``, ``alpha``.

    Raises:
        ParameterError: fewer than 3 complete respondents on a dimension.
    """
    from cases.methods.survey import reliability_table

    table = reliability_table(frame, _instrument(), omega=False)
    table = table.rename(columns={"label_en": "dimension", "label_zh": "维度", "k": "items"})
    return table[["dimension", "维度", "items", "n_complete", "alpha"]]


def problem_locations(error: DataValidationError) -> list[tuple[int, str]]:
    """``(row, column)`` of every row-level problem in a :class:`DataValidationError`."""
    found = []
    for problem in error.problems:
        match = re.match(r"row (\d+), column '([^']+)'", problem)
        if match:
            found.append((int(match.group(1)), match.group(2)))
    return found


def relative_message(error: DataValidationError) -> str:
    """The error's message with the file named relative to the project root when inside it.

    A published page should not show the absolute path of the machine that built it.
    """
    source = Path(error.source)
    try:
        shown = source.resolve().relative_to(paths.ROOT.resolve()).as_posix()
    except ValueError:
        return str(error)
    return str(error).replace(error.source, shown, 1)


@dataclass(frozen=True)
class WorkedExample:
    """What the guide's worked example finds: the read survey, reliability, the broken file's
    error, and the numbers its prose quotes (``numbers``, glued as ``guide_<key>``)."""

    survey: pd.DataFrame
    reliability: pd.DataFrame
    broken_error: DataValidationError
    numbers: dict[str, object]


def worked_example(files: SampleFiles, demo_key: str = "demo key, not secret") -> WorkedExample:
    """Run the worked example on ``files`` and collect the numbers the guide quotes.

    Reads the good file with the phone column dropped (:func:`read_sample`) and once more with
    it hashed (``demo_key`` set only for that read, :func:`id_key`), computes
    :func:`alpha_by_dimension`, counts the raw missing-code and empty answers, and reads the
    broken file expecting a :class:`DataValidationError`.

    Raises:
        DataValidationError: the good file does not validate.
        CasesError: the broken file validates (its planted problems went undetected).
    """
    from cases.data.io import read_table

    inst = _instrument()
    survey = read_sample(files.good)
    with id_key(demo_key):
        hashed = read_sample(files.good, identifiers={PHONE_COLUMN: "hash"})
    reliability = alpha_by_dimension(survey)
    raw = read_table(files.good)
    items = raw[inst.item_ids]
    missing_code = str(inst.missing_codes[0]) if inst.missing_codes else None
    try:
        read_sample(files.broken)
    except DataValidationError as error:
        broken_error = error
    else:
        raise CasesError(f"{files.broken}: the broken sample was read without error")
    low = reliability.loc[reliability["alpha"].idxmin()]
    high = reliability.loc[reliability["alpha"].idxmax()]
    plants = {p.kind: p for p in BROKEN_PLANTS}
    likert = plants["Likert code out of range"]
    duplicate = plants["duplicate respondent id"]
    role = plants["unknown respondent role"]
    numbers: dict[str, object] = {
        "instrument_min": inst.response.min,
        "instrument_max": inst.response.max,
        "instrument_n_roles": len(inst.roles),
        "instrument_n_scales": len(inst.scales),
        "sample_n_respondents": len(survey),
        "sample_n_items": len(inst.item_ids),
        "sample_n_columns_raw": raw.shape[1],
        "sample_n_columns_read": survey.shape[1],
        "sample_encoding": str(survey.attrs.get("encoding", "")),
        "sample_n_dont_know": int((items == missing_code).to_numpy().sum()),
        "sample_missing_code": int(missing_code) if missing_code else -1,
        "sample_n_empty": int(items.isna().to_numpy().sum()),
        "sample_n_township_official": int((survey["role"] == "township_official").sum()),
        "sample_n_first_secretary": int((survey["role"] == "first_secretary").sum()),
        "sample_n_village_official": int((survey["role"] == "village_official").sum()),
        "sample_n_poor_household": int((survey["role"] == "poor_household").sum()),
        "alpha_n_dimensions": len(reliability),
        "alpha_min": float(low["alpha"]),
        "alpha_min_dimension": str(low["dimension"]).lower(),
        "alpha_max": float(high["alpha"]),
        "alpha_max_dimension": str(high["dimension"]).lower(),
        "alpha_n_complete_min": int(reliability["n_complete"].min()),
        "hash_length": int(hashed[PHONE_COLUMN].str.len().max()),
        "hash_n_distinct": int(hashed[PHONE_COLUMN].nunique()),
        "broken_n_problems": len(broken_error.problems),
        "broken_n_planted": len(BROKEN_PLANTS),
        "broken_likert_row": likert.row,
        "broken_likert_column": likert.column,
        "broken_likert_code": int(likert.value),
        "broken_dup_row": duplicate.row,
        "broken_dup_id": duplicate.value,
        "broken_dup_first_row": raw[inst.id_column].tolist().index(duplicate.value) + 1,
        "broken_role_row": role.row,
        "broken_role_value": role.value,
    }
    return WorkedExample(survey, reliability, broken_error, numbers)


# --------------------------------------------------------------------------------------------
# Parameters of the templates
# --------------------------------------------------------------------------------------------


def _runs_for() -> dict[str, list[str]]:
    """Template name -> the case slugs (and ``book``) whose parameter files list it."""
    from cases.data import plan
    from cases.data.registry import slugs

    found: dict[str, list[str]] = {}
    for slug in [*slugs(), plan.BOOK_PARAMS]:
        for job in plan.jobs_for(slug):
            found.setdefault(job.analysis, []).append(job.slug or "book")
    return found


def parameter_table(notebooks: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Every parameter of every template in ``notebooks`` (default ``notebooks/``).

    One row per (template, parameter), in file and cell order, from
    :func:`cases.data.plan.notebook_parameters` (papermill's inspection of the cell tagged
    ``parameters``). Columns: ``notebook``, ``parameter``, ``type``, ``default`` (as written),
    ``meaning`` (the line comment), ``runs for`` (the cases whose ``params/<case>.yaml`` list the
    template, ``book`` for ``params/_book.yaml``; ``case`` is set by the runner from the file).

    Raises:
        ParameterError: a template has no parameters cell.
        RegistryError: a malformed parameter file.
    """
    from cases.data.plan import notebook_parameters

    folder = Path(notebooks) if notebooks is not None else paths.NOTEBOOKS
    runs = _runs_for()
    rows = []
    for template in sorted(folder.glob("*.ipynb")):
        where = ", ".join(runs.get(template.stem, [])) or "not listed in params/"
        for name, spec in notebook_parameters(template).items():
            rows.append(
                {
                    "notebook": template.stem,
                    "parameter": name,
                    "type": spec["type"],
                    "default": spec["default"],
                    "meaning": spec["help"],
                    "runs for": where,
                }
            )
    return pd.DataFrame(
        rows, columns=["notebook", "parameter", "type", "default", "meaning", "runs for"]
    )


def parameter_numbers(table: pd.DataFrame, n_templates: int | None = None) -> dict[str, object]:
    """Counts and facts the guide quotes about a :func:`parameter_table`.

    ``n_templates`` (given, or else the templates in the table: a template that declares no
    parameter has no row), ``n_parameters``, ``shared_parameters`` (the names every template
    declares, in table order; none when a template declares nothing), ``seed_default`` (the
    most common default of ``seed``, as written) and ``seed_count`` (in how many templates it
    is the default).

    Raises:
        ParameterError: the table is empty, no template declares ``seed``, or ``n_templates``
            is smaller than the number of templates in the table.
    """
    if table.empty:
        raise ParameterError("parameter table is empty: no templates found")
    templates = list(dict.fromkeys(table["notebook"]))
    total = len(templates) if n_templates is None else n_templates
    if total < len(templates):
        raise ParameterError(f"n_templates={total} but the table lists {len(templates)} templates")
    per_template = table.groupby("notebook", sort=False)["parameter"].apply(set)
    shared = [p for p in table["parameter"].drop_duplicates() if all(p in s for s in per_template)]
    seeds = table.loc[table["parameter"] == "seed", "default"]
    if seeds.empty:
        raise ParameterError("no template declares a seed parameter")
    common = seeds.value_counts()
    return {
        "n_templates": total,
        "n_parameters": len(table),
        "shared_parameters": shared if total == len(templates) else [],
        "seed_default": str(common.index[0]),
        "seed_count": int(common.iloc[0]),
    }


# --------------------------------------------------------------------------------------------
# Validation errors, by kind
# --------------------------------------------------------------------------------------------

#: The kinds of survey-validation error the guide triggers, in the order of its table.
ERROR_KINDS: tuple[str, ...] = (
    "wrong encoding",
    "wrong delimiter",
    "truncated row",
    "duplicate header",
    "undeclared identifier",
    "identifier under another header",
    "hash key not set",
    "missing item column",
    "unexpected column",
    "non-numeric answer",
    "Likert code out of range",
    "duplicate respondent id",
    "missing respondent id",
    "unknown respondent role",
    "unsupported file type",
)


def meaning_block(kind: str) -> str:
    """The passage of ``text/authors_guide.md`` that says what an error ``kind`` means:
    ``meaning_`` + the kind in lower case with runs of other characters as ``_``."""
    return "meaning_" + re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_")


def with_meanings(errors: pd.DataFrame, passages: Mapping[str, str]) -> pd.DataFrame:
    """The :func:`error_catalogue` table with the column ``what it means``: for each kind, the
    passage :func:`meaning_block` of the rendered text template (``passages``).

    Raises:
        CasesError: a kind has no passage in the template (the block is named).
    """
    missing = [meaning_block(k) for k in errors["problem"] if meaning_block(k) not in passages]
    if missing:
        raise CasesError(f"text/authors_guide.md has no block {', '.join(missing)}")
    out = errors.copy()
    out["what it means"] = [passages[meaning_block(k)] for k in errors["problem"]]
    return out


def _first_problem(action) -> str:
    try:
        action()
    except DataValidationError as error:
        return error.problems[0]
    raise CasesError("a variant of the sample that should fail validation was read without error")


def error_catalogue(scratch: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One row per kind of survey-validation error, with the message the library gives.

    Each kind is triggered for real on a variant of the good sample (:func:`sample_bytes` with
    :data:`SAMPLE_SEED`) written into ``scratch`` (a temporary folder by default) and read with
    :func:`cases.data.io.read_table` / :func:`cases.data.io.read_survey`; the message is the first
    problem of the :class:`DataValidationError` raised. Columns: ``problem`` (the kinds of
    :data:`ERROR_KINDS`, in that order) and ``message`` (as raised, without the file path); what
    each kind means is a passage of the text template (:func:`with_meanings`).

    Raises:
        CasesError: a variant was read without error (the catalogue would be wrong).
    """
    from cases.data.io import read_table

    folder = Path(scratch) if scratch is not None else Path(tempfile.mkdtemp(prefix="errors-"))
    folder.mkdir(parents=True, exist_ok=True)
    good_bytes, _ = sample_bytes(SAMPLE_SEED)
    rows = [r for r in csv.reader(_stdio.StringIO(good_bytes.decode(SAMPLE_ENCODING), newline=""))]
    header = rows[0]

    def variant(name: str, data: list[list[str]] | bytes, suffix: str = ".csv") -> Path:
        path = folder / f"{name}{suffix}"
        path.write_bytes(data if isinstance(data, bytes) else _to_csv_bytes(data))
        return path

    def edit(row: int, column: str, value: str) -> list[list[str]]:
        copy = [list(r) for r in rows]
        copy[row][header.index(column)] = value
        return copy

    def renamed(column: str, new: str) -> list[list[str]]:
        return [[new if c == column else c for c in header], *rows[1:]]

    def without(column: str) -> list[list[str]]:
        j = header.index(column)
        return [r[:j] + r[j + 1 :] for r in rows]

    good = variant("good", good_bytes)
    semicolon = _stdio.StringIO()
    csv.writer(semicolon, delimiter=";", lineterminator="\r\n").writerows(rows)
    truncated = good_bytes.rstrip(b"\r\n").rsplit(b",", 3)[0]
    duplicate_header = [[*r, r[-1]] for r in rows]
    by_kind = {
        "wrong encoding": lambda: read_table(good, encoding="utf-8"),
        "wrong delimiter": lambda: read_table(
            variant("semicolon", semicolon.getvalue().encode(SAMPLE_ENCODING))
        ),
        "truncated row": lambda: read_table(variant("truncated", truncated)),
        "duplicate header": lambda: read_table(variant("dup_header", duplicate_header)),
        "undeclared identifier": lambda: read_sample(good, identifiers={}),
        "identifier under another header": lambda: read_sample(
            variant("renamed", renamed(PHONE_COLUMN, "contact")), identifiers={}
        ),
        "hash key not set": lambda: _read_with_hash_unset(good),
        "missing item column": lambda: read_sample(variant("no_eff_3", without("eff_3"))),
        "unexpected column": lambda: _read_without_extras(good),
        "non-numeric answer": lambda: read_sample(variant("text", edit(3, "fair_1", "同意"))),
        "Likert code out of range": lambda: read_sample(variant("code", edit(12, "trans_2", "7"))),
        "duplicate respondent id": lambda: read_sample(
            variant("dup_id", edit(23, "respondent_id", "GG008"))
        ),
        "missing respondent id": lambda: read_sample(
            variant("no_id", edit(5, "respondent_id", ""))
        ),
        "unknown respondent role": lambda: read_sample(
            variant("role", edit(31, "role", "village_head"))
        ),
        "unsupported file type": lambda: read_table(variant("export", b"{}", ".json")),
    }
    if tuple(by_kind) != ERROR_KINDS:
        raise CasesError("error_catalogue does not trigger exactly the kinds of ERROR_KINDS")
    out = [{"problem": kind, "message": _first_problem(action)} for kind, action in by_kind.items()]
    return pd.DataFrame(out, columns=["problem", "message"])


def _read_with_hash_unset(path: Path) -> pd.DataFrame:
    with id_key(None):
        return read_sample(path, identifiers={PHONE_COLUMN: "hash"})


def _read_without_extras(path: Path) -> pd.DataFrame:
    from cases.data.io import read_survey

    return read_survey(path, INSTRUMENT, identifiers=SAMPLE_IDENTIFIERS)


# --------------------------------------------------------------------------------------------
# Field data, new cases, citation
# --------------------------------------------------------------------------------------------


def field_data_schema(case: str) -> pd.DataFrame:
    """The folder format a case's notebooks read with ``-p data_dir=...``, one row per column.

    From :data:`cases.simulate.synth.TABLE_SCHEMAS`: ``file`` (``<table>.csv``), ``column``,
    ``type``
    (``int``, ``int?`` = integer that may be empty, ``float``, ``str``), ``unit``, ``meaning``
    and ``needed`` (:func:`cases.simulate.synth.requirement`: required, or which optional part).

    Raises:
        RegistryError: ``case`` has no table schema (the message lists the valid cases).
    """
    from cases.simulate.synth import TABLE_SCHEMAS, requirement

    if case not in TABLE_SCHEMAS:
        raise RegistryError(
            f"no field-data format for case {case!r}; cases with one: {', '.join(TABLE_SCHEMAS)}"
        )
    rows = [
        {
            "file": f"{table}.csv",
            "column": c,
            "type": k,
            "unit": u,
            "meaning": d,
            "needed": requirement(case, table, c),
        }
        for table, cols in TABLE_SCHEMAS[case].items()
        for c, k, u, d in cols
    ]
    return pd.DataFrame(rows)


def generators() -> list[dict[str, Any]]:
    """The generator documentation of every case of :data:`cases.simulate.synth.SLUGS`, in that
    order, for the guide's section on simulated data (block ``generators`` of
    ``text/authors_guide.md``): each is :func:`cases.simulate.synth.description` of the case
    with its ``case`` (slug) and ``title`` (the ``title`` of ``data/synth/<case>.yaml``).

    Raises:
        as :func:`cases.simulate.synth.load_params`.
    """
    from cases.simulate import synth

    return [
        {"case": case, "title": synth.load_params(case)["title"], **synth.description(case)}
        for case in synth.SLUGS
    ]


def field_data_schemas() -> pd.DataFrame:
    """:func:`field_data_schema` of every case of :data:`cases.simulate.synth.TABLE_SCHEMAS`,
    stacked, with the ``case`` first: the one table of folder formats in the guide."""
    from cases.simulate.synth import TABLE_SCHEMAS

    return pd.concat(
        [field_data_schema(case).assign(case=case) for case in TABLE_SCHEMAS], ignore_index=True
    )[["case", "file", "column", "type", "unit", "meaning", "needed"]]


@dataclass(frozen=True)
class Citation:
    """The compendium's citation, from ``CITATION.cff``."""

    title: str
    version: str
    year: str
    authors: tuple[str, ...]
    license: str
    n_references: int
    text: str
    bibtex: str


def _cff_author(entry: Mapping[str, object]) -> str:
    if "name" in entry:
        return str(entry["name"])
    return " ".join(str(entry[k]) for k in ("given-names", "family-names") if k in entry)


def citation(path: str | os.PathLike[str] | None = None) -> Citation:
    """Render ``CITATION.cff`` (Citation File Format 1.2.0) as a reference line and BibTeX.

    Reference line: ``<authors> (<year>). <title> (Version <version>) [Computer software].``
    (APA 7 style for software); BibTeX: a ``@software`` entry with the same fields.

    Raises:
        DataValidationError: the file is missing or lacks ``title``, ``version`` or ``authors``.
    """
    cff = Path(path) if path is not None else paths.ROOT / "CITATION.cff"
    try:
        data = yaml.safe_load(cff.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataValidationError(str(cff), ["citation file not found"]) from None
    missing = [k for k in ("title", "version", "authors") if not (data or {}).get(k)]
    if missing:
        raise DataValidationError(str(cff), [f"field {k!r} missing" for k in missing])
    authors = tuple(_cff_author(a) for a in data["authors"])
    year = str(data.get("date-released", ""))[:4] or "n.d."
    title, version = str(data["title"]).strip(), str(data["version"])
    text = f"{' & '.join(authors)} ({year}). *{title}* (Version {version}) [Computer software]."
    bibtex = "\n".join(
        [
            "@software{poverty_governance_compendium,",
            f"  author  = {{{{{' and '.join(authors)}}}}},",
            f"  title   = {{{title}}},",
            f"  version = {{{version}}},",
            f"  year    = {{{year}}},",
            f"  license = {{{data.get('license', '')}}}",
            "}",
        ]
    )
    return Citation(
        title=title,
        version=version,
        year=year,
        authors=authors,
        license=str(data.get("license", "")),
        n_references=len(data.get("references") or []),
        text=text,
        bibtex=bibtex,
    )


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


def build(seed: int = SAMPLE_SEED, schema_case: str = SCHEMA_CASE) -> Page:
    """The guide's numbers, facts and tables (its sentences: ``text/authors_guide.md``).

    - numbers: the :func:`worked_example` numbers of the sample files for ``seed``
      (:func:`sample_files`), ``n_templates`` and ``n_parameters`` (:func:`parameter_numbers`),
      ``errors_n_kinds``, ``schema_case``, ``schema_n_tables``, ``schema_n_columns`` and
      ``cite_title``, ``cite_version``, ``cite_year``, ``cite_n_references``; floats have a
      verify tolerance of 1e-9;
    - facts: ``sample_seed``, ``sample_shipped``, ``sample_reproduced``, ``sample_good`` and
      ``sample_broken`` (the two files), ``shared_parameters``, ``seed_default``,
      ``seed_count``, ``schema_files`` (in table order), ``cite_text``, ``cite_bibtex``;
    - tables: ``parameters`` (:func:`parameter_table`), ``errors`` (:func:`error_catalogue`,
      without the meanings), ``schema`` (:func:`field_data_schema` of ``schema_case``) and
      ``schemas`` (:func:`field_data_schemas`, every case);
    - facts ``generators`` (:func:`generators`): each case's data-generating process,
      parameters and table formats, documented in the section on simulated data.

    Raises:
        ParameterError: ``seed`` is not an integer.
        DataValidationError: the shipped sample files are missing or do not validate.
        RegistryError: ``schema_case`` has no field-data format.
    """
    page = Page()
    sample = sample_files(seed)
    example = worked_example(sample)
    page.numbers.update(example.numbers)
    page.facts.update(
        sample_seed=sample.seed,
        sample_shipped=sample.shipped,
        sample_reproduced=sample.reproduced,
        sample_good=sample.good,
        sample_broken=sample.broken,
    )

    parameters = parameter_table()
    counts = parameter_numbers(parameters, n_templates=len(list(paths.NOTEBOOKS.glob("*.ipynb"))))
    page.numbers.update(n_templates=counts["n_templates"], n_parameters=counts["n_parameters"])
    page.facts.update({k: counts[k] for k in ("shared_parameters", "seed_default", "seed_count")})
    page.tables["parameters"] = parameters

    errors = error_catalogue()
    page.numbers["errors_n_kinds"] = len(errors)
    page.tables["errors"] = errors

    schema = field_data_schema(schema_case)
    files = list(dict.fromkeys(schema["file"]))
    page.numbers.update(
        schema_case=schema_case, schema_n_tables=len(files), schema_n_columns=len(schema)
    )
    page.facts["schema_files"] = files
    page.tables["schema"] = schema
    page.tables["schemas"] = field_data_schemas()
    page.facts["generators"] = generators()

    cite = citation()
    page.numbers.update(
        cite_title=cite.title,
        cite_version=cite.version,
        cite_year=cite.year,
        cite_n_references=cite.n_references,
    )
    page.facts.update(cite_text=cite.text, cite_bibtex=cite.bibtex)
    page.tolerances = {k: 1e-9 for k, v in page.numbers.items() if isinstance(v, float)}
    return page
