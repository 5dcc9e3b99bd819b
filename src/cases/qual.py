"""Qualitative coding: the one codebook, coded segments, code matrices and inter-coder agreement.

The shipped corpus (``data/qual/``) codes the five thesis abstracts: each segment is a span of
an abstract (sentence number and character offsets ``start:end`` in the seed file), described by
a paraphrase written for this compendium — the abstract text itself is not stored.  Segments
are in long format: one row per (segment, code, coder).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cases import paths
from cases.errors import DataValidationError, ParameterError
from cases.paths import DATA, ROOT
from cases.registry import slugs as registry_slugs

__all__ = [
    "CASE_SLUGS",
    "QUAL",
    "SEGMENT_COLUMNS",
    "Code",
    "Codebook",
    "CodedCorpus",
    "Family",
    "cases_with_code",
    "code_cooccurrence",
    "code_matrix",
    "cohens_kappa",
    "intercoder_agreement",
    "load_codebook",
    "load_coded_corpus",
    "load_segments",
    "profile_agreement",
    "seeds_dir",
    "sentence_spans",
    "shared_ngrams",
]

#: The five case slugs (contract names, see the design).
#: The registered case slugs (from data/cases/), in file order.
CASE_SLUGS = tuple(registry_slugs())
QUAL = paths.QUAL
SEGMENT_COLUMNS = (
    "case",
    "source",
    "segment_id",
    "sentence",
    "start",
    "end",
    "code",
    "coder",
    "paraphrase",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Family(_Strict):
    """A code family (actors, mechanisms, problems, ...) and the registry field it codes."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    registry_field: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    definition: str


class Code(_Strict):
    """One code: id, family, label, definition, inclusion and exclusion rules, and an invented
    example (never a quotation)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    family: str
    label: str = Field(min_length=3)
    definition: str = Field(min_length=10)
    include: str = Field(min_length=10)
    exclude: str = Field(min_length=10)
    example: str = Field(min_length=5)


class Coder(_Strict):
    """Who coded, when, and how independent the pass was."""

    id: str
    description: str


class Source(_Strict):
    """A coded source text: its file name, length in characters and SHA-256 of its bytes."""

    case: str
    file: str
    chars: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Codebook(_Strict):
    """The one codebook: families, codes (each in one family), coders and coded sources.

    Every code id begins with its family id and an underscore (``problem_formalism``), so a
    code names its family wherever it appears.
    """

    title: str
    version: int = Field(ge=1)
    segmentation_rule: str
    families: list[Family] = Field(min_length=1)
    codes: list[Code] = Field(min_length=1)
    coders: list[Coder] = Field(min_length=1)
    sources: dict[str, Source] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Codebook:
        families = {f.id for f in self.families}
        fields = [f.registry_field for f in self.families]
        if len(set(fields)) != len(fields):
            raise ValueError("families: two families code the same registry_field")
        ids = [c.id for c in self.codes]
        dupes = sorted({c for c in ids if ids.count(c) > 1})
        if dupes:
            raise ValueError(f"codes: duplicate code(s) {dupes}")
        for i, c in enumerate(self.codes):
            if c.family not in families:
                raise ValueError(f"codes.{i} ({c.id}): unknown family {c.family!r}")
            if not c.id.startswith(c.family + "_"):
                raise ValueError(
                    f"codes.{i} ({c.id}): the id must begin with its family {c.family + '_'!r}"
                )
        return self

    @property
    def code_ids(self) -> list[str]:
        """Code ids in codebook order."""
        return [c.id for c in self.codes]

    def family_of(self, code: str) -> str:
        """Family of a code; KeyError naming it if unknown."""
        for c in self.codes:
            if c.id == code:
                return c.family
        raise KeyError(f"unknown code {code!r}")

    def label_of(self, code: str) -> str:
        """Label of a code; KeyError naming it if unknown."""
        for c in self.codes:
            if c.id == code:
                return c.label
        raise KeyError(f"unknown code {code!r}")

    def codes_of(self, family: str) -> dict[str, str]:
        """``{code: label}`` of one family, in codebook order (empty if the family is unknown)."""
        return {c.id: c.label for c in self.codes if c.family == family}

    def family_for_field(self, registry_field: str) -> str:
        """The family id that codes a registry field (``problems`` -> ``problem``)."""
        for f in self.families:
            if f.registry_field == registry_field:
                return f.id
        raise KeyError(f"no family codes the registry field {registry_field!r}")


@dataclass(frozen=True)
class CodedCorpus:
    """A validated codebook and its coded segments (long format, :data:`SEGMENT_COLUMNS`)."""

    codebook: Codebook
    segments: pd.DataFrame


def seeds_dir() -> Path:
    """Folder holding the five abstracts ``<case>.txt``.

    Search order: ``$CASES_SEEDS``; ``data/seeds`` in the repository; ``../shared/seeds`` next
    to the repository (the working layout).  Returns the first that exists, else the last.
    """
    candidates = [Path(os.environ["CASES_SEEDS"])] if os.environ.get("CASES_SEEDS") else []
    candidates += [DATA / "seeds", ROOT.parent / "shared" / "seeds"]
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[-1]


# Sentence boundary: after . ! or ? (optionally followed by spaces) when the next character is an
# upper-case Latin letter or an opening quotation mark.  The abstracts often omit the space after
# a full stop ("task.It is"), and "No.1" or "after2020.the" are not boundaries under this rule.
_SENTENCE_BOUNDARY = re.compile(r"(?<=[.!?])\s*(?=[A-Z\u201c\"\u2018])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split text into sentences; return ``(start, end)`` character offsets (end exclusive).

    Rule: a boundary follows ``.``, ``!`` or ``?`` when the next non-space character is an
    upper-case ASCII letter or an opening quote; spaces at the boundary belong to no sentence.
    Sentence numbers used in the coded corpus are 1-based indices into this list.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_BOUNDARY.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


_WORD = re.compile(r"[a-z0-9]+")


def shared_ngrams(paraphrase: str, source: str, n: int = 5) -> list[str]:
    """Word n-grams (lower-cased alphanumeric tokens) that occur in both texts.

    Used to check that a paraphrase never repeats more than ``n - 1`` consecutive words of its
    source.  Returns the shared n-grams, joined by spaces, in paraphrase order.
    """
    if n < 1:
        raise ParameterError(f"n must be >= 1, got {n}")

    def grams(text: str) -> list[str]:
        words = _WORD.findall(text.lower())
        return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]

    source_grams = set(grams(source))
    return [g for g in grams(paraphrase) if g in source_grams]


def load_codebook(path: str | os.PathLike[str] = QUAL / "codebook.yaml") -> Codebook:
    """Load and validate a codebook YAML file.

    Raises:
        DataValidationError: file missing, not YAML, or a field fails validation (the message
            names the file and the field, e.g. ``codes.3.family``).
    """
    p = Path(path)
    if not p.is_file():
        raise DataValidationError(str(p), ["codebook file not found"])
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataValidationError(str(p), [f"not valid YAML: {exc}"]) from None
    try:
        return Codebook.model_validate(raw)
    except ValidationError as exc:
        problems = [
            f"field {'.'.join(str(x) for x in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()
        ]
        raise DataValidationError(str(p), problems) from None


def load_segments(
    path: str | os.PathLike[str],
    codebook: Codebook,
    *,
    cases: tuple[str, ...] = CASE_SLUGS,
) -> pd.DataFrame:
    """Load coded segments (CSV, UTF-8) and validate them against the codebook.

    Checks, all collected before failing (rows numbered from 1, header excluded): the columns
    are exactly :data:`SEGMENT_COLUMNS`; ``case`` is a known slug; ``code`` is in the codebook;
    ``coder`` is a codebook coder; ``sentence``, ``start``, ``end`` are integers with
    ``0 <= start < end`` and ``end`` within the source length recorded in the codebook;
    ``source`` matches the codebook's file for the case; each ``segment_id`` has one case,
    source, location and paraphrase; a (segment, code, coder) triple appears once; the
    paraphrase is not empty.

    Raises:
        DataValidationError: listing every problem with its row and column.
    """
    p = Path(path)
    source = str(p)
    if not p.is_file():
        raise DataValidationError(source, ["segments file not found"])
    frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    problems: list[str] = []
    if tuple(frame.columns) != SEGMENT_COLUMNS:
        missing = [c for c in SEGMENT_COLUMNS if c not in frame.columns]
        extra = [c for c in frame.columns if c not in SEGMENT_COLUMNS]
        raise DataValidationError(
            source,
            [f"columns must be {list(SEGMENT_COLUMNS)} in that order"]
            + [f"column {c!r}: missing" for c in missing]
            + [f"column {c!r}: unexpected" for c in extra],
        )
    if frame.empty:
        raise DataValidationError(source, ["empty file: no coded segments"])
    codes = set(codebook.code_ids)
    coders = {c.id for c in codebook.coders}
    for row, rec in enumerate(frame.itertuples(index=False), start=1):
        if rec.case not in cases:
            problems.append(f"row {row}, column 'case': unknown case {rec.case!r}")
        if rec.code not in codes:
            problems.append(f"row {row}, column 'code': unknown code {rec.code!r}")
        if rec.coder not in coders:
            problems.append(f"row {row}, column 'coder': unknown coder {rec.coder!r}")
        if not rec.paraphrase.strip():
            problems.append(f"row {row}, column 'paraphrase': empty")
        src = codebook.sources.get(rec.case)
        if src is not None and rec.source != src.file:
            problems.append(
                f"row {row}, column 'source': {rec.source!r} but the codebook lists "
                f"{src.file!r} for case {rec.case!r}"
            )
        nums = {}
        for col in ("sentence", "start", "end"):
            value = getattr(rec, col)
            if not re.fullmatch(r"\d+", value):
                problems.append(f"row {row}, column {col!r}: {value!r} is not a whole number")
            else:
                nums[col] = int(value)
        if {"start", "end"} <= nums.keys():
            if nums["start"] >= nums["end"]:
                problems.append(
                    f"row {row}, columns 'start'/'end': start {nums['start']} is not before "
                    f"end {nums['end']}"
                )
            if src is not None and nums["end"] > src.chars:
                problems.append(
                    f"row {row}, column 'end': {nums['end']} is beyond the {src.chars} "
                    f"characters of {src.file}"
                )
        if nums.get("sentence") == 0:
            problems.append(f"row {row}, column 'sentence': sentences are numbered from 1")
    location = ["case", "source", "sentence", "start", "end", "paraphrase"]
    for seg, grp in frame.groupby("segment_id", sort=False):
        if len(grp[location].drop_duplicates()) > 1:
            rows = ", ".join(str(i + 1) for i in grp.index)
            problems.append(
                f"rows {rows}, column 'segment_id': segment {seg!r} has inconsistent case, "
                "source, location or paraphrase"
            )
    dupes = frame.duplicated(["segment_id", "code", "coder"], keep="first")
    for i in np.flatnonzero(dupes.to_numpy()):
        r = frame.iloc[i]
        problems.append(
            f"row {i + 1}: segment {r.segment_id!r} has code {r.code!r} from coder "
            f"{r.coder!r} twice"
        )
    if problems:
        raise DataValidationError(source, problems)
    for col in ("sentence", "start", "end"):
        frame[col] = frame[col].astype(int)
    return frame


def load_coded_corpus(
    codebook_path: str | os.PathLike[str] = QUAL / "codebook.yaml",
    segments_path: str | os.PathLike[str] = QUAL / "abstract_segments.csv",
    *,
    check_sources: bool = False,
) -> CodedCorpus:
    """Load the codebook and the coded segments, validated (see :func:`load_segments`).

    With ``check_sources=True`` the seed texts in :func:`seeds_dir` must also exist and match
    the SHA-256 recorded in the codebook, and every segment's ``sentence`` must be the
    :func:`sentence_spans` sentence containing its ``start`` offset.

    Raises:
        DataValidationError: any validation problem (file, row and column named).
    """
    codebook = load_codebook(codebook_path)
    segments = load_segments(segments_path, codebook)
    if check_sources:
        problems: list[str] = []
        directory = seeds_dir()
        for case, src in codebook.sources.items():
            f = directory / src.file
            if not f.is_file():
                problems.append(f"source {src.file}: not found in {directory}")
                continue
            raw = f.read_bytes()
            if hashlib.sha256(raw).hexdigest() != src.sha256:
                problems.append(f"source {src.file}: sha256 differs from the codebook's")
                continue
            spans = sentence_spans(raw.decode("utf-8"))
            for row, rec in segments[segments["case"] == case].iterrows():
                if not 1 <= rec.sentence <= len(spans):
                    problems.append(f"row {row + 1}: sentence {rec.sentence} does not exist")
                    continue
                a, b = spans[rec.sentence - 1]
                if not a <= rec.start < b:
                    problems.append(
                        f"row {row + 1}: start {rec.start} is not in sentence {rec.sentence} "
                        f"({a}:{b})"
                    )
        if problems:
            raise DataValidationError(str(segments_path), problems)
    return CodedCorpus(codebook=codebook, segments=segments)


def _select_coder(segments: pd.DataFrame, coder: str | None) -> pd.DataFrame:
    if coder is None:
        return segments
    sub = segments[segments["coder"] == coder]
    if sub.empty:
        raise ParameterError(
            f"coder {coder!r} has no segments (coders: {sorted(segments['coder'].unique())})"
        )
    return sub


def code_matrix(
    segments: pd.DataFrame,
    *,
    coder: str | None = "A",
    by: str = "case",
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """Frequency matrix: number of distinct segments per ``by`` group (rows) carrying each code.

    Counting unit: a segment, so a code applied twice to one segment counts once.  ``codes``
    fixes the column order and includes unused codes as zero columns (e.g. all codebook codes).

    Raises:
        ParameterError: unknown coder or ``by`` column.
    """
    if by not in segments.columns:
        raise ParameterError(f"by={by!r} is not a column of the segments")
    sub = _select_coder(segments, coder).drop_duplicates(["segment_id", "code"])
    matrix = pd.crosstab(sub[by], sub["code"])
    if codes is not None:
        matrix = matrix.reindex(columns=codes, fill_value=0)
    matrix.columns.name = "code"
    return matrix


def code_cooccurrence(segments: pd.DataFrame, *, coder: str | None = "A") -> pd.DataFrame:
    """Code co-occurrence within segments: ``C[i, j]`` = segments carrying both codes i and j.

    The diagonal holds each code's segment count.  Computed as ``X' X`` of the binary
    segment-by-code incidence matrix ``X``.
    """
    sub = _select_coder(segments, coder).drop_duplicates(["segment_id", "code"])
    incidence = pd.crosstab(sub["segment_id"], sub["code"]).clip(upper=1)
    return incidence.T @ incidence


def cohens_kappa(rater_a: list[object] | pd.Series, rater_b: list[object] | pd.Series) -> float:
    """Cohen's kappa for two raters' nominal labels of the same units.

    Formula: ``kappa = (p_o - p_e) / (1 - p_e)`` with observed agreement ``p_o`` (share of units
    with equal labels) and chance agreement ``p_e = sum_c p_A(c) p_B(c)`` from the raters'
    marginal label shares.  Computed from the contingency table by
    ``statsmodels.stats.inter_rater.cohens_kappa``.

    Reference: Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
    Psychological Measurement* 20(1), 37–46.

    Raises:
        ParameterError: different lengths, no units, or missing labels.
        ValueError: chance agreement is 1 (both raters used a single identical label), where
            kappa is undefined.
    """
    from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

    a = pd.Series(list(rater_a), dtype=object)
    b = pd.Series(list(rater_b), dtype=object)
    if len(a) != len(b):
        raise ParameterError(f"rater_a has {len(a)} labels but rater_b has {len(b)}")
    if len(a) == 0:
        raise ParameterError("no units to compare")
    if a.isna().any() or b.isna().any():
        raise ParameterError("labels must not be missing")
    labels = sorted(set(a) | set(b), key=str)
    table = pd.crosstab(
        pd.Categorical(a, categories=labels), pd.Categorical(b, categories=labels), dropna=False
    ).to_numpy(dtype=float)
    p_e = (table.sum(axis=1) @ table.sum(axis=0)) / table.sum() ** 2
    if np.isclose(p_e, 1.0):
        raise ValueError("kappa is undefined: both raters used one and the same label only")
    return float(sm_kappa(table, return_results=False))


def intercoder_agreement(
    segments: pd.DataFrame,
    *,
    coder_a: str = "A",
    coder_b: str = "B",
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """Agreement between two coders on the segments both coded.

    Decision unit: a (segment, code) pair, judged *applied* or *not applied* by each coder, for
    every segment that both coders coded and every code in ``codes`` (default: the codes used by
    either coder on those segments — codes nobody used would inflate agreement).  Returns one
    row per code plus a pooled ``"ALL"`` row with columns ``code, n_decisions, both,
    only_a, only_b, neither, percent_agreement, kappa``; ``kappa`` is NaN where it is undefined
    (a code both coders never, or always, applied).

    Raises:
        ParameterError: a coder has no segments, or no segment is coded by both.
    """
    a = _select_coder(segments, coder_a)
    b = _select_coder(segments, coder_b)
    shared = sorted(set(a["segment_id"]) & set(b["segment_id"]))
    if not shared:
        raise ParameterError(f"no segment is coded by both {coder_a!r} and {coder_b!r}")
    a = a[a["segment_id"].isin(shared)]
    b = b[b["segment_id"].isin(shared)]
    if codes is None:
        codes = sorted(set(a["code"]) | set(b["code"]))
    applied_a = set(zip(a["segment_id"], a["code"], strict=True))
    applied_b = set(zip(b["segment_id"], b["code"], strict=True))
    rows = []
    pooled_a: list[bool] = []
    pooled_b: list[bool] = []
    for code in codes:
        va = [(s, code) in applied_a for s in shared]
        vb = [(s, code) in applied_b for s in shared]
        pooled_a += va
        pooled_b += vb
        rows.append(_agreement_row(code, va, vb))
    rows.append(_agreement_row("ALL", pooled_a, pooled_b))
    return pd.DataFrame(rows)


def _agreement_row(code: str, va: list[bool], vb: list[bool]) -> dict[str, object]:
    both = sum(x and y for x, y in zip(va, vb, strict=True))
    only_a = sum(x and not y for x, y in zip(va, vb, strict=True))
    only_b = sum(y and not x for x, y in zip(va, vb, strict=True))
    neither = len(va) - both - only_a - only_b
    try:
        kappa = cohens_kappa(va, vb)
    except ValueError:
        kappa = np.nan
    return {
        "code": code,
        "n_decisions": len(va),
        "both": both,
        "only_a": only_a,
        "only_b": only_b,
        "neither": neither,
        "percent_agreement": (both + neither) / len(va),
        "kappa": kappa,
    }


def profile_agreement(
    cases: list[object], corpus: CodedCorpus, *, coder: str = "A"
) -> pd.DataFrame:
    """Compare each case profile (``data/cases``) with the coded segments of its abstract.

    For every case and every code family, the codes of the profile's coded field (its
    ``registry_field``, e.g. ``problems``) are compared with the codes of that family that
    ``coder`` applied to the case's segments.  Returns one row per (case, family, code) found on
    either side, with columns ``case, family, field, code, in_profile, in_corpus, agree``.

    Raises:
        ParameterError: ``coder`` has no segments.
    """
    seg = _select_coder(corpus.segments, coder)
    book = corpus.codebook
    rows = []
    for case in cases:
        coded = seg[seg["case"] == case.slug]
        for family in book.families:
            in_profile = {item.code for item in getattr(case, family.registry_field)}
            in_corpus = {c for c in coded["code"] if book.family_of(c) == family.id}
            for code in sorted(in_profile | in_corpus):
                rows.append(
                    {
                        "case": case.slug,
                        "family": family.id,
                        "field": family.registry_field,
                        "code": code,
                        "in_profile": code in in_profile,
                        "in_corpus": code in in_corpus,
                        "agree": (code in in_profile) == (code in in_corpus),
                    }
                )
    return pd.DataFrame(
        rows, columns=["case", "family", "field", "code", "in_profile", "in_corpus", "agree"]
    )


def cases_with_code(segments: pd.DataFrame, code: str, *, coder: str = "A") -> list[str]:
    """The cases (sorted) whose segments carry ``code`` from ``coder``."""
    sub = _select_coder(segments, coder)
    return sorted(set(sub.loc[sub["code"] == code, "case"]))
