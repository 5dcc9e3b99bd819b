"""A researcher's own data: check a folder, import raw exports, and report on them.

- :func:`check` — ``cases check-data SLUG DIR``: every problem of the folder at once (the one
  reader, :mod:`cases.data.fielddata`) plus statistical warnings (negative alpha or item–rest
  correlation: an item reverse-coded twice?; few clusters).
- :func:`import_folder` — ``cases import SLUG RAW_DIR --mapping MAP.yaml --out DIR``.
- :func:`build_report` — ``cases report SLUG DIR --out OUT [--instrument FILE.yaml]``: the
  case's analyses on the folder, run by the ordinary runner into ``OUT`` (never ``book/`` or
  ``results/``), and one standalone offline HTML page there: each analysis's passages (its text
  template rendered by the notebook with the author's numbers), tables and figures, without the
  thesis's claims or the template's usage notes.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cases.core.atomic import write_atomic
from cases.core.errors import DataValidationError, ParameterError
from cases.core.files import load_yaml, sha256_file
from cases.data import fielddata, io
from cases.data.instruments import load_instrument
from cases.methods.survey import corrected_item_total, cronbach_alpha, reverse_code
from cases.simulate import synth

__all__ = ["Mapping_", "build_report", "check", "import_folder", "own_instrument"]


# ------------------------------------------------------------------------------ check-data


def _reliability_warnings(chk: fielddata.FolderCheck, spec: fielddata.FolderSpec) -> None:
    for table, name in spec.instruments.items():
        frame = chk.tables.get(table)
        if frame is None:
            continue
        inst = load_instrument(name)
        file = fielddata.table_file(chk.folder, table)[0]
        for scale in inst.scales:
            if scale.kind != "scale" or len(scale.items) < 2:
                continue
            block = pd.DataFrame(
                {
                    i: reverse_code(frame[i], *inst.item_range(i))
                    if i in scale.reverse
                    else frame[i]
                    for i in scale.items
                }
            )
            try:
                alpha = cronbach_alpha(block)
                rest = corrected_item_total(block)
            except (ParameterError, DataValidationError):
                continue
            reverse = ", ".join(scale.reverse) or "none"
            if alpha < 0:
                chk.findings.append(
                    fielddata.Finding(
                        "warning",
                        file.name if file else table,
                        f"scale {scale.id}: Cronbach's alpha is {alpha:.2f} (negative) after "
                        f"reverse-coding {reverse}; were reverse-keyed items reverse-coded twice "
                        "(already reversed in the export)? Declare reverse_applied in the import "
                        "mapping, or check the instrument's reverse list",
                    )
                )
            for item, r in rest.items():
                if np.isfinite(r) and r < 0:
                    chk.findings.append(
                        fielddata.Finding(
                            "warning",
                            file.name if file else table,
                            f"scale {scale.id}: negative item–rest correlation {r:.2f}; "
                            + (
                                "it is reverse-keyed: reverse-coded twice?"
                                if item in scale.reverse
                                else "a reverse-worded item not declared reverse-keyed?"
                            ),
                            column=str(item),
                        )
                    )


def own_instrument(slug: str, instrument: str | os.PathLike[str] | None) -> Path | None:
    """An author's instrument (``--instrument FILE.yaml``), validated before anything runs;
    its resolved path, or None when none is given.

    Raises:
        RegistryError: unknown slug.
        ParameterError: the file does not exist or is not ``.yaml``/``.yml``, or the case has
            no questionnaire table for it to describe (usage).
        DataValidationError: the file is not a valid instrument, or its ``roles`` lack the
            groups the case's survey analysis compares; the message names the file and each
            offending field (e.g. ``scales.drive.reverse``).
    """
    from cases.data.registry import load_case

    load_case(slug)  # an unknown slug is a usage error naming the valid ones
    if instrument is None or not str(instrument).strip():
        return None
    path = Path(instrument).expanduser()
    if not path.is_file():
        raise ParameterError(f"instrument file {str(instrument)!r} not found")
    if path.suffix.lower() not in {".yaml", ".yml"}:
        raise ParameterError(f"instrument {path.name!r} is not an instrument YAML file (.yaml)")
    inst = load_instrument(path)
    tables = synth.folder_spec(slug).instruments
    if not tables:
        raise ParameterError(
            f"instrument: case {slug!r} has no questionnaire table for an instrument to describe"
        )
    from cases.pages import survey_analysis  # plotting libraries: only when an instrument is given

    try:
        problems = survey_analysis.instrument_problems(slug, inst)
    except ParameterError:  # the case runs no survey analysis: nothing more to ask of it
        problems = []
    if problems:
        raise DataValidationError(str(path), problems)
    return path.resolve()


def check(
    slug: str,
    folder: str | os.PathLike[str],
    instrument: str | os.PathLike[str] | None = None,
) -> fielddata.FolderCheck:
    """Read and validate ``folder`` as own data of case ``slug``; every finding at once.
    ``instrument`` (an author's instrument YAML, :func:`own_instrument`) replaces the case's
    questionnaire: the questionnaire table is read with its items, range and missing codes.

    Raises:
        RegistryError/ParameterError: unknown slug, a folder that does not exist, a missing
            instrument file (usage).
        DataValidationError: an invalid instrument file (file and field named).
    """
    instrument = own_instrument(slug, instrument)
    spec = synth.folder_spec(slug, instrument)
    chk = fielddata.check_folder(folder, spec)
    _reliability_warnings(chk, spec)
    return chk


def findings_table(chk: fielddata.FolderCheck) -> pd.DataFrame:
    """One row per finding: level, file, row, line, column, value (masked), message."""
    rows = [
        {
            "level": f.level,
            "file": f.file,
            "row": f.row,
            "line": f.line,
            "column": f.column,
            "value": f.value,
            "message": f.message,
        }
        for f in chk.findings
    ]
    return pd.DataFrame(
        rows, columns=["level", "file", "row", "line", "column", "value", "message"]
    )


# ------------------------------------------------------------------------------ import


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileMapping(_Strict):
    """How one raw export becomes one table of the folder."""

    table: str
    sheet: str | int = 0
    header_row: int | None = Field(default=None, ge=1)
    encoding: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str | int | float, str | int | float]] = Field(default_factory=dict)
    missing_codes: dict[str, list[int | float | str]] = Field(default_factory=dict)
    identifiers: dict[str, str] = Field(default_factory=dict)
    reverse_applied: list[str] = Field(default_factory=list)
    keep_extra: bool = False


class Mapping_(_Strict):
    """A mapping file (``cases import --mapping``): metadata and one entry per raw file."""

    case: str
    title: str | None = None
    place: str | None = None
    year: int | None = None
    instrument: str | None = None
    drop_incomplete_rows: bool = False
    files: dict[str, FileMapping] = Field(min_length=1)


def _norm(text: object) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip()


def import_folder(
    slug: str,
    raw_dir: str | os.PathLike[str],
    mapping_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
) -> Path:
    """Turn raw exports into a valid own-data folder, as a mapping file says.

    For each ``files`` entry: the raw file is read by :func:`cases.data.io.read_table`
    (encodings, XLSX with the header row found or ``header_row``, SAV/DTA); columns are renamed
    (``columns: {raw header: code}``); declared identifier columns are dropped or replaced by
    their keyed hash (``identifiers: {column: drop | hash}``, key from ``CASES_ID_KEY``);
    labels are mapped (``values: {column: {label: code}}``, a label not listed is an error
    naming row and value); answers of ``reverse_applied`` items are reverse-coded back to the
    raw answer the instrument expects; ``missing_codes`` go to ``metadata.json``. Columns not
    renamed and not in the schema are an error unless ``keep_extra``. The folder is written
    only when every file converted without a problem (each file atomically, ``metadata.json``
    last), and then must pass :func:`check`.

    Raises:
        ParameterError: unknown slug, missing raw folder or mapping file (usage).
        DataValidationError: every problem of every file, at once.
    """
    raw = Path(raw_dir).expanduser()
    if not raw.is_dir():
        raise ParameterError(f"raw folder {str(raw_dir)!r} is not an existing folder")
    if not Path(mapping_path).is_file():
        raise ParameterError(f"--mapping: file {str(mapping_path)!r} not found")
    mapping = load_yaml(Mapping_, mapping_path)
    if mapping.case != slug:
        raise ParameterError(f"{mapping_path}: case is {mapping.case!r}, but SLUG is {slug!r}")
    instrument = own_instrument(slug, mapping_instrument(mapping_path, mapping))
    spec = synth.folder_spec(slug, instrument)
    out = Path(out_dir).expanduser()
    problems: list[str] = []
    written: dict[str, pd.DataFrame] = {}
    missing: dict[str, list[int | float | str]] = {}
    header_rows: dict[str, int] = {}
    for name, fm in mapping.files.items():
        src = raw / name
        if fm.table not in spec.tables:
            problems.append(
                f"{mapping_path}: files.{name}.table {fm.table!r} is not a table of {slug} "
                f"(tables: {', '.join(spec.tables)})"
            )
            continue
        try:
            frame = _read_raw(src, fm)
        except DataValidationError as exc:
            problems.extend(f"{name}: {p}" for p in exc.problems)
            continue
        stamp = fielddata.simulation_stamp(frame)
        if stamp is not None:
            problems.append(
                f"{name}: written by the simulator (column {stamp[0]!r}: {stamp[1]!r}); "
                "simulated data cannot be imported as field data"
            )
            continue
        frame.columns = [_norm(c) for c in frame.columns]
        renames = {_norm(k): v for k, v in fm.columns.items()}
        unknown = [k for k in list(renames) + list(fm.identifiers) if _norm(k) not in frame.columns]
        problems.extend(
            f"{name}: column {k!r} named in the mapping is not in the file (columns: "
            f"{', '.join(frame.columns)})"
            for k in unknown
        )
        if unknown:
            continue
        # Identifiers first: nothing below may look at (or echo) their values.
        for col, action in fm.identifiers.items():
            col = _norm(col)
            if action == "drop":
                frame = frame.drop(columns=[col])
            elif action == "hash":
                key = io._id_key(name, io.ID_KEY_ENV)
                frame[col] = [io.hash_identifier(v, key) for v in frame[col].tolist()]
            else:
                problems.append(f"{name}: identifiers.{col} must be 'drop' or 'hash'")
        frame = frame.rename(columns=renames)
        guard = [
            f
            for f in io.scan_identifiers(frame)
            if f.column not in {renames.get(_norm(c), c) for c in fm.identifiers}
        ]
        if guard:
            problems.extend(
                f"{name}: {f.describe()}: declare it under identifiers (drop or hash)"
                for f in guard
            )
            continue
        schema_cols = [c for c, *_ in spec.tables[fm.table]]
        extra = [c for c in frame.columns if c not in schema_cols and c not in fm.identifiers]
        if extra and not fm.keep_extra:
            problems.append(
                f"{name}: column(s) {', '.join(map(repr, extra))} are not in the {fm.table} table "
                "of the case; rename them under columns:, or set keep_extra: true"
            )
        for col, table in fm.values.items():  # noqa: PD011 - the mapping's value maps
            if col not in frame.columns:
                problems.append(f"{name}: values.{col}: no such column after renaming")
                continue
            labels = {_norm(k): v for k, v in table.items()}
            mapped = []
            for row, value in enumerate(frame[col].tolist(), start=1):
                text = io._cell_text(value)
                if text is None or _norm(text) == "":
                    mapped.append(None)
                elif _norm(text) in labels:
                    mapped.append(labels[_norm(text)])
                elif _norm(text) in {_norm(v) for v in labels.values()}:
                    mapped.append(_norm(text))
                else:
                    problems.append(
                        f"{name}: row {row}, column {col!r}: label {_norm(text)!r} is not in the "
                        f"value map (mapped: {', '.join(labels)})"
                    )
                    mapped.append(None)
            frame[col] = mapped
        if fm.reverse_applied:
            inst = (
                load_instrument(spec.instruments[fm.table])
                if fm.table in spec.instruments
                else None
            )
            for item in fm.reverse_applied:
                if inst is None or item not in inst.item_ids or item not in frame.columns:
                    problems.append(f"{name}: reverse_applied {item!r} is not an item in the file")
                    continue
                lo, hi = inst.item_range(item)
                codes = {float(c) for c in inst.missing_codes} | {
                    float(c) for c in fm.missing_codes.get(item, []) if not isinstance(c, str)
                }
                back = []
                for value in frame[item].tolist():
                    try:
                        number = io._as_number(value)
                    except (ValueError, TypeError):
                        back.append(value)  # check-data names it
                        continue
                    in_range = number is not None and number not in codes and lo <= number <= hi
                    back.append(reverse_code(number, lo, hi) if in_range else value)
                frame[item] = back
        for col, codes in fm.missing_codes.items():
            target = renames.get(_norm(col), col)
            missing[f"{fm.table}.{target}"] = list(codes)
        written[fm.table] = frame
        if fm.header_row:
            header_rows[fm.table] = 1  # the folder's copy starts with its header
    if problems:
        raise DataValidationError(str(mapping_path), problems)
    meta: dict[str, Any] = {"case": slug, "simulated": False}
    for key in ("title", "place", "year"):
        if getattr(mapping, key) is not None:
            meta[key] = getattr(mapping, key)
    meta["missing_codes"] = missing
    if mapping.drop_incomplete_rows:
        meta["drop_incomplete_rows"] = True
    meta["imported_from"] = {"mapping": Path(mapping_path).name, "files": sorted(mapping.files)}
    out.mkdir(parents=True, exist_ok=True)
    for table, frame in written.items():
        text = frame.to_csv(index=False, lineterminator="\n")
        write_atomic(out / f"{table}.csv", text.encode("utf-8"))
    body = json.dumps(meta, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    write_atomic(out / fielddata.METADATA_FILE, body)
    return out


def mapping_instrument(
    mapping_path: str | os.PathLike[str], mapping: Mapping_ | None = None
) -> Path | None:
    """The instrument a mapping file names (``instrument:``, relative to the mapping file), or
    None; ``cases import`` reads and checks the questionnaire with it."""
    mapping = mapping or load_yaml(Mapping_, mapping_path)
    if not mapping.instrument:
        return None
    path = Path(mapping.instrument).expanduser()
    return path if path.is_absolute() else Path(mapping_path).parent / path


def _read_raw(path: Path, fm: FileMapping) -> pd.DataFrame:
    if not path.is_file():
        raise DataValidationError(path.name, ["file not found"])
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        frame, _ = fielddata._read_with_header(path, fm.header_row)
        return frame
    if fm.header_row and fm.header_row > 1:
        frame, _ = fielddata._read_with_header(path, fm.header_row)
        return frame
    return io.read_table(path, encoding=fm.encoding, sheet=fm.sheet)


def mapping_example() -> Mapping[str, Any]:  # pragma: no cover - documentation helper
    """The keys a mapping file may use (see :class:`Mapping_` and :class:`FileMapping`)."""
    return Mapping_.model_json_schema()


# ------------------------------------------------------------------------------ report

#: Analyses a report leaves out: their pages are about the thesis's place, the thesis itself or
#: the simulation design, not about the researcher's data.
REPORT_EXCLUDES: tuple[str, ...] = ("area_context", "case_profile", "simulation")
#: Code cells whose source names one of these show the thesis's claims: not in a report.
THESIS_ONLY_MARKERS: tuple[str, ...] = ("claims", "comparison_table", "planted")
REPORT_FILE = "report.html"

_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:2px 6px}}
img{{max-width:100%}}</style></head><body>
{body}
</body></html>
"""


def report_jobs(slug: str, exclude: tuple[str, ...] = REPORT_EXCLUDES) -> list:
    """The case's analyses that read own data (their template declares ``data_dir``)."""
    from cases.data.plan import jobs_for, notebook_parameters

    return [
        j
        for j in jobs_for(slug)
        if j.analysis not in exclude and "data_dir" in notebook_parameters(j.template)
    ]


def _markdown(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(text)


#: Passages (``<prefix>_<block>``) that tell how to run a template on one's own data: the reader
#: of a report has done so, and they describe the simulator's format.
USAGE_PASSAGES: tuple[str, ...] = ("own_data", "data_text", "data_format_md")

_RECORD = "application/papermill.record/"
#: A glued passage quoted by a notebook's Markdown: ``{glue:md}`key:myst``` or a directive.
_GLUE_MD = re.compile(
    r"\{glue:md\}`(?P<inline>[a-z0-9_]+)(?::myst)?`"
    r"|```\{glue:md\}[ \t]+(?P<block>[a-z0-9_]+)[^\n]*\n(?::[a-z]+:[^\n]*\n)*```"
)
_HEADING = re.compile(r"^(?P<hashes>#{1,5})[ \t]+(?P<text>.+)$", re.MULTILINE)
#: A glued figure placed by a passage: ``{glue:figure} key``, options, a blank line, caption.
_GLUE_FIGURE = re.compile(
    r"```\{glue:figure\}[ \t]+(?P<key>[a-z0-9_]+)[ \t]*\n(?P<options>(?::[a-z]+:[^\n]*\n)*)"
    r"\n?(?P<caption>.*?)\n?```",
    re.DOTALL,
)
_NUMREF = re.compile(r"\{numref\}`(?P<name>[^`]+)`")
_ROLE = re.compile(r"\{[a-z:-]+\}`(?P<text>[^`]*)`")


def _glued(nb: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The passages (Markdown) and figures (base64 PNG) a notebook glued, by key."""
    passages: dict[str, str] = {}
    figures: dict[str, str] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            data = output.get("data", {})
            if not name:
                continue
            if _RECORD + "text/markdown" in data:
                passages[name] = data[_RECORD + "text/markdown"]
            elif _RECORD + "image/png" in data:
                figures[name] = data[_RECORD + "image/png"]
    return passages, figures


class _Figures:
    """Numbers the report's figures in order of appearance (``{numref}`` becomes
    "<label> <n>")."""

    def __init__(self, label: str) -> None:
        self.label, self.numbers = label, {}

    def number(self, name: str) -> int:
        return self.numbers.setdefault(name, len(self.numbers) + 1)


def _passage_html(text: str, pngs: Mapping[str, str], figures: _Figures) -> str:
    """A glued passage as HTML: MyST figure directives become figures (image, alt text,
    numbered caption), ``{numref}`` references their numbers, other roles their text."""
    import html as _html

    for match in _GLUE_FIGURE.finditer(text):
        options = dict(re.findall(r"^:([a-z]+):[ \t]*(.*)$", match["options"], re.MULTILINE))
        if options.get("name"):
            figures.number(options["name"])
    placed: list[str] = []

    def figure(match: re.Match[str]) -> str:
        options = dict(re.findall(r"^:([a-z]+):[ \t]*(.*)$", match["options"], re.MULTILINE))
        png = pngs.get(match["key"])
        if png is None:
            return ""
        label = ""
        if options.get("name"):
            label = f"{figures.label} {figures.number(options['name'])}. "
        caption = _markdown(label + match["caption"].strip()).strip()
        caption = caption.removeprefix("<p>").removesuffix("</p>")
        placed.append(
            f'<figure><img alt="{_html.escape(options.get("alt", ""))}" '
            f'src="data:image/png;base64,{png}"><figcaption>{caption}</figcaption></figure>'
        )
        return f"\n\nFIGURE{len(placed) - 1}FIGURE\n\n"

    text = _GLUE_FIGURE.sub(figure, text)
    text = _NUMREF.sub(lambda m: f"{figures.label} {figures.number(m['name'])}", text)
    text = _ROLE.sub(lambda m: m["text"], text)
    out = _markdown(text)
    for i, html in enumerate(placed):
        out = out.replace(f"<p>FIGURE{i}FIGURE</p>", html)
    return out


def _heads_a_passage(following: list[Any], level: int) -> bool:
    """Whether a heading of ``level`` has a shown passage under it: one comes before the next
    heading of the same or a higher level (a section of fixed text only gets no heading)."""
    for item in following:
        if isinstance(item, str):
            return True
        if len(item["hashes"]) <= level:
            return False
    return False


def _notebook_body(notebook: Path, figures: _Figures) -> list[str]:
    """HTML of an executed analysis notebook for the report, in the notebook's order: the
    passages its Markdown quotes (rendered by the notebook with the author's numbers), under
    the headings of the Markdown cells that quote them, then the tables and figures its code
    cells show. Left out: usage passages (:data:`USAGE_PASSAGES`), the notebook's fixed
    Markdown (it explains the method in the book's terms), code cells that show the thesis's
    claims (:data:`THESIS_ONLY_MARKERS`), outputs the book hides (cells tagged ``remove-cell``
    or ``remove-output``) and glued numbers."""
    import html as _html

    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    passages, pngs = _glued(nb)
    parts: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = [
                (m.start(), key)
                for m in _GLUE_MD.finditer(cell.source)
                if (key := m["inline"] or m["block"]) in passages
                and not any(key.endswith(f"_{u}") for u in USAGE_PASSAGES)
            ]
            if not found:
                continue
            headings = [
                (m.start(), m) for m in _HEADING.finditer(cell.source) if len(m["hashes"]) > 1
            ]
            items = [item for _, item in sorted(headings + found, key=lambda x: x[0])]
            for i, item in enumerate(items):
                if isinstance(item, str):
                    parts.append(_passage_html(passages[item], pngs, figures))
                elif _heads_a_passage(items[i + 1 :], len(item["hashes"])):
                    level = min(len(item["hashes"]) + 1, 6)
                    parts.append(f"<h{level}>{_html.escape(item['text'].strip())}</h{level}>")
            continue
        if cell.cell_type != "code" or any(m in cell.source for m in THESIS_ONLY_MARKERS):
            continue
        if {"remove-cell", "remove-output"} & set(cell.metadata.get("tags", [])):
            continue  # hidden in the book too (the setup cell's last value, for one)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "scrapbook" in output.get("metadata", {}):
                continue  # glued: placed by the passages that quote it
            if data.get("image/png"):
                parts.append(
                    f'<figure><img alt="" src="data:image/png;base64,{data["image/png"]}"></figure>'
                )
            elif "text/html" in data:
                parts.append(data["text/html"])
            elif "text/plain" in data and output.get("output_type") != "stream":
                parts.append(f"<pre>{_html.escape(data['text/plain'])}</pre>")
    return parts


def _frame_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, na_rep="", escape=True, border=0)


def build_report(
    slug: str,
    folder: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    n_jobs: int = 1,
    force: bool = False,
    on_result=None,
    instrument: str | os.PathLike[str] | None = None,
    partial: bool = False,
) -> tuple[Path | None, fielddata.FolderCheck, list]:
    """Check ``folder``, run the case's own-data analyses into ``out`` with the ordinary runner,
    and write ``out/report.html``: standalone (no external resource), titled and placed from
    ``metadata.json``, naming the folder (never its absolute path); per analysis the passages,
    tables and figures of its executed notebook (:func:`_notebook_body`: no thesis-claims
    table, no usage notes, figures numbered); appendix: the check-data findings and every
    file's SHA-256.

    The poverty profile is drawn for ``metadata.json``'s ``year`` when the panel holds it
    (:func:`profile_year`). ``instrument`` (an author's instrument YAML) is validated first
    (:func:`own_instrument`), used by the check and passed to every analysis that declares an
    ``instrument`` parameter (the survey analysis); its SHA-256 is in the run's cache key and
    in the appendix.

    Returns ``(report path or None, check, job results)``; None when the folder has problems
    (nothing is run or written). With ``partial=True`` problems in data tables do not stop
    the run: every analysis still reads its tables through the validating reader, so an
    analysis that reads a table with problems fails (named in the report with its error, in
    place of its tables) and the others run; problems of ``metadata.json`` (simulated data,
    wrong case) still stop everything. An analysis that failed makes the command exit 1.

    Raises:
        ParameterError: unknown slug, missing folder, ``out`` inside ``book/`` or ``results/``.
        DataValidationError: the finished report would show an identifier (nothing written).
    """
    import datetime as _dt
    import html as _html

    from cases.core import manifest
    from cases.present.text import render_blocks
    from cases.run import pipeline

    target = pipeline.own_output_dir(out)
    own = own_instrument(slug, instrument)
    chk = check(slug, folder, own)
    if chk.problems and not (partial and partial_allowed(chk)):
        return None, chk, []
    jobs = report_jobs(slug)
    if not jobs:
        raise ParameterError(f"case {slug!r} has no analysis that reads own data")
    root = chk.folder.resolve()
    overrides = {"data_dir": str(root)}
    if own is not None:
        overrides["instrument"] = str(own)
    year = profile_year(chk)
    if year is not None:
        overrides["year"] = str(year)
    results = pipeline.run(
        jobs,
        overrides=overrides,
        n_jobs=n_jobs,
        force=force,
        on_result=on_result,
        out_dir=target,
    )
    meta = chk.meta
    hashes = fielddata.file_hashes(root)
    context = {
        "title": meta.get("title") or root.name,
        "place": meta.get("place"),
        "year": meta.get("year"),
        "folder": root.name,
        "case": slug,
        "problems": len(chk.problems),
        "warnings": len(chk.warnings),
        "files": len(hashes),
        "generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "commit": pipeline._git_commit(),
        "message": "",
        "instrument": own.name if own else None,
        "instrument_sha256": sha256_file(own) if own else None,
    }
    words = render_blocks("own_report", context)
    figures = _Figures(words["figure_label"].strip())
    body = [f"<h1>{_html.escape(words['title'])}</h1>", _markdown(words["intro"])]
    for result in results:
        job = result.job
        label = words.get(f"analysis_{job.analysis}", job.analysis)
        body.append(f"<h2>{_html.escape(label)}</h2>")
        if result.status not in ("ran", "cached"):
            failed = render_blocks("own_report", {**context, "message": result.message})
            body.append(_markdown(failed["analysis_failed"]))
            continue
        body.extend(_notebook_body(job.output, figures))
        entries = manifest.load(job.results_file) if job.results_file.is_file() else {}
        if entries:
            numbers = pd.DataFrame(
                [{"key": k, "value": v.get("value")} for k, v in sorted(entries.items())]
            )
            body.append(
                f"<details><summary>{_html.escape(words['numbers_heading'])}</summary>"
                f"{_markdown(words['numbers_intro'])}{_frame_html(numbers)}</details>"
            )
    body.append(f"<h2>{_html.escape(words['appendix_heading'])}</h2>")
    body.append(f"<h3>{words['checks_heading'].replace('`', '')}</h3>")
    found = findings_table(chk)
    body.append(_frame_html(found) if len(found) else _markdown(words["checks_none"]))
    body.append(f"<h3>{_html.escape(words['hashes_heading'])}</h3>")
    body.append(_frame_html(pd.DataFrame({"file": list(hashes), "sha256": list(hashes.values())})))
    if own is not None:
        body.append(_markdown(words["instrument_hash"]))
    body.append(_markdown(words["provenance"]))
    page = _HTML.format(title=_html.escape(words["title"]), body="\n".join(body))
    page = page.replace(str(root), root.name)
    if own is not None:
        page = page.replace(str(own), own.name)
    for parent in (str(Path(folder).expanduser()), os.path.abspath(folder)):
        page = page.replace(parent, root.name)
    _refuse_unsafe(page, target / REPORT_FILE)
    return write_atomic(target / REPORT_FILE, page), chk, results


def profile_year(chk: fielddata.FolderCheck) -> int | None:
    """The year of the folder's poverty profile: ``metadata.json``'s ``year`` when the panel
    holds that year, else None (the analysis's default year, which the page names)."""
    year = chk.meta.get("year")
    panel = chk.tables.get("panel")
    if not isinstance(year, int) or isinstance(year, bool) or panel is None:
        return None
    if "year" not in panel.columns or year not in set(panel["year"].dropna().astype(int)):
        return None
    return year


def partial_allowed(chk: fielddata.FolderCheck) -> bool:
    """Whether a partial report may run: every problem lies in a data table, none in
    ``metadata.json`` (which decides whether the folder is field data at all)."""
    return all(f.file != fielddata.METADATA_FILE for f in chk.problems)


def _refuse_unsafe(page: str, where: Path) -> None:
    """The same checks as the book's: no identifier, no error output, nothing loaded from the
    network (the report must open offline)."""
    import re

    text = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", page)
    problems = [f.describe() for f in io.scan_identifiers(text)]
    problems += [
        f"loads {m.group(0)!r} from the network"
        for m in re.finditer(r'(?:src|href)="https?://[^"]+', text)
    ]
    if "Traceback (most recent call last)" in text:
        problems.append("contains an error output")
    if problems:
        raise DataValidationError(str(where), problems)


# ------------------------------------------------------------------------------ worked example

#: Raw headers of the worked example (as a township's Excel and SPSS exports name them).
EXAMPLE_HOUSEHOLD_HEADERS = {
    "household_id": "户编号",
    "village_id": "村编号",
    "household_size": "家庭人口",
    "official_connection": "与村干部有亲属关系",
    "registered_poor": "贫困户类型",
    "income_below_line": "收入未达标",
    "food_clothing_insecure": "吃穿未达标",
    "education_not_guaranteed": "义务教育未保障",
    "medical_not_guaranteed": "基本医疗未保障",
    "housing_unsafe": "住房不安全",
    "drinking_water_unsafe": "饮水不安全",
}
EXAMPLE_PANEL_HEADERS = {
    "household_id": "户编号",
    "village_id": "村编号",
    "year": "年份",
    "first_treated": "首次参与产业项目年份",
    "project_participant": "是否参与产业项目",
    "income_per_capita": "人均可支配收入",
}
EXAMPLE_ROLES = {
    1: "poor_household",
    2: "relieved_household",
    3: "low_income_household",
    4: "non_poor_villager",
}
EXAMPLE_ROLE_LABELS = {1: "贫困户", 2: "脱贫户", 3: "低收入户", 4: "一般农户"}


def _fake_prc_id(rng: np.random.Generator) -> str:
    """An 18-character number that passes the GB 11643 check but belongs to no one: its
    address code starts with 99, which is no province."""
    body = "99" + "".join(str(d) for d in rng.integers(0, 10, 4)) + "19"
    body += f"{rng.integers(40, 99):02d}{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}"
    body += "".join(str(d) for d in rng.integers(0, 10, 3))
    total = sum(int(c) * w for c, w in zip(body, io._PRC_ID_WEIGHTS, strict=True))
    return body + io._PRC_ID_CHECK[total % 11]


def write_import_example(folder: str | os.PathLike[str], seed: int = 20201123) -> Path:
    """Write the worked example of ``cases import`` (all made up) into ``folder``.

    From the seeded H County generator (:func:`cases.simulate.synth.generate`, 600 households):

    - ``households_gbk.csv``: GBK, CRLF, Chinese headers, household ids as text (``HH0001``),
      a made-up household-head name and resident ID (address code 99: no province), household
      size 99 for "unknown" in 3 rows, the register as 贫困户/一般户;
    - ``income_panel.xlsx``: a title row above the header, -9 for missing income in 4 rows;
    - ``motivation.sav``: SPSS, role as codes with Chinese value labels, answers 9 = 说不清
      (declared missing by the instrument), the reverse-worded item ``will_4`` already
      reversed in the export;
    - ``mapping.yaml`` is written by hand (see ``data/samples/own_data/README.md``).
    """
    import pyreadstat

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    data = synth.generate("h_county", seed=seed, n=600)
    rng = np.random.default_rng(seed)
    hh = data["households"].copy()
    ids = {h: f"HH{i:04d}" for i, h in enumerate(hh["household_id"], start=1)}
    hh["household_id"] = hh["household_id"].map(ids)
    hh["registered_poor"] = hh["registered_poor"].map({1: "贫困户", 0: "一般户"})
    hh.loc[rng.choice(len(hh), 3, replace=False), "household_size"] = 99
    hh = hh.rename(columns=EXAMPLE_HOUSEHOLD_HEADERS)
    surnames = list("王李张刘陈杨赵黄周吴")
    hh.insert(2, "户主姓名", [f"{surnames[i % 10]}某{i}" for i in range(len(hh))])
    hh.insert(3, "身份证号", [_fake_prc_id(rng) for _ in range(len(hh))])
    text = hh.to_csv(index=False, lineterminator="\r\n")
    write_atomic(out / "households_gbk.csv", text.encode("gbk"))

    panel = data["panel"].copy()
    panel["household_id"] = panel["household_id"].map(ids)
    panel.loc[rng.choice(len(panel), 4, replace=False), "income_per_capita"] = -9
    panel = panel.rename(columns=EXAMPLE_PANEL_HEADERS)
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["H县产业项目农户收入面板（示例数据，全部虚构）"])
    sheet.append(list(panel.columns))
    for row in panel.itertuples(index=False):
        sheet.append([v.item() if hasattr(v, "item") else v for v in row])
    tmp = out / ".income_panel.xlsx.tmp"
    book.save(tmp)
    os.replace(tmp, out / "income_panel.xlsx")

    mot = data["motivation"].copy()
    mot["household_id"] = mot["household_id"].map(ids)
    codes = {v: k for k, v in EXAMPLE_ROLES.items()}
    mot["role"] = mot["role"].map(codes)
    inst = load_instrument("endogenous_motivation")
    items = inst.item_ids
    mot[items] = mot[items].astype(float)
    for item in items:
        mot.loc[rng.choice(len(mot), 2, replace=False), item] = 9
    lo, hi = inst.item_range("will_4")
    mot["will_4"] = mot["will_4"].where(mot["will_4"] == 9, lo + hi - mot["will_4"])
    labels = {
        i: {**{c: inst.response.labels_zh.get(c, str(c)) for c in range(lo, hi + 1)}, 9: "说不清"}
        for i in items
    }
    tmp = out / ".motivation.sav.tmp"
    pyreadstat.write_sav(
        mot,
        str(tmp),
        variable_value_labels={"role": EXAMPLE_ROLE_LABELS, **labels},
        missing_ranges={i: [9] for i in items},
    )
    os.replace(tmp, out / "motivation.sav")
    return out
