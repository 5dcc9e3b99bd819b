"""Qualitative coding: the one codebook, coded segments, code matrices and inter-coder agreement.

The shipped corpus (``data/qual/``) codes the five thesis abstracts: each segment is a span of
an abstract (sentence number and character offsets ``start:end`` in the seed file), described by
a paraphrase written for this compendium — the abstract text itself is not stored.  Segments
are in long format: one row per (segment, code, coder).  Two coders (A and B) coded the
segments independently; their agreement per code family (Krippendorff's alpha with bootstrap
intervals, Cohen's kappa) is :func:`agreement_by_family`, their disagreements
:func:`disagreements`, and the adjudicated consensus coding (:data:`CONSENSUS`, built by
:func:`consensus_coding`) is the coding the analyses read (:data:`ANALYSIS_CODER`).
:func:`to_qdc` exports the codebook in the REFI-QDA codebook exchange format.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.core.paths import DATA, ROOT
from cases.data.codebook import Code, Codebook, Coder, Family, Source, load_codebook  # noqa: F401
from cases.data.registry import slugs as registry_slugs

__all__ = [
    "ANALYSIS_CODER",
    "CASE_SLUGS",
    "CONSENSUS",
    "DISAGREEMENT_COLUMNS",
    "NO_CODE",
    "QDC_NAMESPACE",
    "QUAL",
    "RESOLUTIONS",
    "SEGMENT_COLUMNS",
    "Code",
    "Codebook",
    "CodedCorpus",
    "Family",
    "agreement_by_family",
    "cases_with_code",
    "code_cooccurrence",
    "code_matrix",
    "cohens_kappa",
    "consensus_coding",
    "disagreements",
    "intercoder_agreement",
    "krippendorff_alpha",
    "load_codebook",
    "load_coded_corpus",
    "load_resolutions",
    "load_segments",
    "profile_agreement",
    "seeds_dir",
    "sentence_spans",
    "shared_ngrams",
    "to_qdc",
    "write_qdc",
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
#: Coder id of the consensus coding: coder A's and coder B's independent codes after every
#: disagreement was adjudicated (``data/qual/disagreements.csv``).
CONSENSUS = "consensus"
#: The coding every analysis reads (case matrices, profile agreement, cross-case figures).
ANALYSIS_CODER = CONSENSUS
#: Value of ``code`` in the one row that records a segment a coder read and left uncoded.
NO_CODE = "none"
#: How a disagreement was resolved: coder A's code ``kept`` in the consensus, a code
#: ``dropped`` from it (whoever applied it), or coder B's code ``code added`` to it; and one
#: revision that is not a disagreement: a code both coders applied ``withdrawn`` from the
#: consensus when a later version of the codebook's rules excludes it (the log keeps the
#: reason; both coders' original codes stay in the segments table).
RESOLUTIONS = ("kept", "dropped", "code added", "withdrawn")


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


def load_segments(
    path: str | os.PathLike[str],
    codebook: Codebook,
    *,
    cases: tuple[str, ...] = CASE_SLUGS,
) -> pd.DataFrame:
    """Load coded segments (CSV, UTF-8) and validate them against the codebook.

    Checks, all collected before failing (rows numbered from 1, header excluded): the columns
    are exactly :data:`SEGMENT_COLUMNS`; ``case`` is a known slug; ``code`` is in the codebook;
    ``coder`` is a codebook coder; a ``code`` of :data:`NO_CODE` (a segment the coder read and
    left uncoded) is the only row of its segment and coder; ``sentence``, ``start``, ``end``
    are integers with ``0 <= start < end`` and ``end`` within the source length recorded in the
    codebook; ``source`` matches the codebook's file for the case; each ``segment_id`` has one case,
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
        if rec.code not in codes and rec.code != NO_CODE:
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
    empty = frame[frame["code"] == NO_CODE]
    for seg, coder in zip(empty["segment_id"], empty["coder"], strict=True):
        rows = frame.index[(frame["segment_id"] == seg) & (frame["coder"] == coder)]
        if len(rows) > 1:
            problems.append(
                f"rows {', '.join(str(i + 1) for i in rows)}: segment {seg!r} has code "
                f"{NO_CODE!r} from coder {coder!r} beside other codes"
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


def _select_coder(
    segments: pd.DataFrame, coder: str | None, *, keep_uncoded: bool = False
) -> pd.DataFrame:
    """Rows of one coder (all rows if ``coder`` is None); rows marking a segment left uncoded
    (:data:`NO_CODE`) are left out unless ``keep_uncoded``."""
    sub = segments if coder is None else segments[segments["coder"] == coder]
    if sub.empty:
        raise ParameterError(
            f"coder {coder!r} has no segments (coders: {sorted(segments['coder'].unique())})"
        )
    if not keep_uncoded:
        sub = sub[sub["code"] != NO_CODE]
    return sub


def code_matrix(
    segments: pd.DataFrame,
    *,
    coder: str | None = ANALYSIS_CODER,
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


def code_cooccurrence(
    segments: pd.DataFrame, *, coder: str | None = ANALYSIS_CODER
) -> pd.DataFrame:
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
    only_a, only_b, neither, percent_agreement, kappa, alpha``; ``kappa`` and ``alpha``
    (Krippendorff's, nominal: :func:`krippendorff_alpha`) are NaN where they are undefined (a
    code both coders never, or always, applied).  A segment a coder read and left uncoded
    (:data:`NO_CODE`) counts as coded, with every decision *not applied*.

    Raises:
        ParameterError: a coder has no segments, or no segment is coded by both.
    """
    shared, a, b = _shared_codings(segments, coder_a, coder_b)
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
    alpha = krippendorff_alpha(np.array([va, vb], dtype=float))
    return {
        "code": code,
        "n_decisions": len(va),
        "both": both,
        "only_a": only_a,
        "only_b": only_b,
        "neither": neither,
        "percent_agreement": (both + neither) / len(va),
        "kappa": kappa,
        "alpha": alpha,
    }


def _shared_codings(
    segments: pd.DataFrame, coder_a: str, coder_b: str
) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """Segments both coders coded (sorted), and each coder's applied codes on them."""
    a = _select_coder(segments, coder_a, keep_uncoded=True)
    b = _select_coder(segments, coder_b, keep_uncoded=True)
    shared = sorted(set(a["segment_id"]) & set(b["segment_id"]))
    if not shared:
        raise ParameterError(f"no segment is coded by both {coder_a!r} and {coder_b!r}")
    a = a[a["segment_id"].isin(shared) & (a["code"] != NO_CODE)]
    b = b[b["segment_id"].isin(shared) & (b["code"] != NO_CODE)]
    return shared, a, b


def krippendorff_alpha(reliability_data: object, level_of_measurement: str = "nominal") -> float:
    """Krippendorff's alpha of a reliability-data matrix (one row per coder, one column per
    unit, ``np.nan`` where a coder gave no value), computed by the ``krippendorff`` package.

    ``alpha = 1 - D_o / D_e``: observed disagreement over the disagreement expected by chance,
    both from the coincidence matrix of the values paired within units.  Returns NaN where alpha
    is undefined: fewer than two distinct values in the data, or no unit with two values.

    Reference: Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg
    School for Communication, University of Pennsylvania, Departmental Papers 43.
    """
    import krippendorff

    data = np.asarray(reliability_data, dtype=float)
    values = np.unique(data[~np.isnan(data)])
    if values.size < 2 or not ((~np.isnan(data)).sum(axis=0) >= 2).any():
        return float("nan")
    return float(
        krippendorff.alpha(reliability_data=data, level_of_measurement=level_of_measurement)
    )


def _decisions(shared: list[str], applied: set[tuple[str, str]], codes: list[str]) -> np.ndarray:
    """Segment-by-code matrix (len(shared) x len(codes)) of 1.0 = applied, 0.0 = not."""
    return np.array(
        [[float((s, c) in applied) for c in codes] for s in shared], dtype=float
    ).reshape(len(shared), len(codes))


def _bootstrap_alpha(
    da: np.ndarray, db: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Alpha of ``n_boot`` resamples of the segments (rows), with replacement."""
    n = da.shape[0]
    out = np.empty(n_boot)
    for i in range(n_boot):
        idx = rng.integers(0, n, size=n)
        out[i] = krippendorff_alpha(np.vstack([da[idx].ravel(), db[idx].ravel()]))
    return out


def agreement_by_family(
    segments: pd.DataFrame,
    codebook: Codebook,
    *,
    coder_a: str = "A",
    coder_b: str = "B",
    n_boot: int = 1999,
    seed: int = 20260521,
    level: float = 0.95,
) -> pd.DataFrame:
    """Agreement of two coders per code family, on the segments both coded.

    Decision unit: a (segment, code) pair judged *applied* or *not applied* by each coder, for
    every shared segment and every code of the family that either coder applied to a shared
    segment (codes nobody used would only add agreed *not applied* decisions).  Reported per
    family, and pooled over all families (``family`` = ``"all"``): the counts of the 2 x 2
    table, raw agreement, Cohen's kappa, Krippendorff's alpha (nominal) and a percentile
    bootstrap interval for alpha at ``level``.

    Bootstrap: the segments are resampled with replacement (``n_boot`` replicates,
    ``numpy.random.default_rng(seed)``), keeping all decisions of a segment together, because
    the decisions about one segment are not independent of one another.  Replicates in which
    alpha is undefined (one value only) are left out; ``n_boot_defined`` counts the rest.

    Returns:
        One row per family in codebook order, then ``"all"``; columns ``family, label,
        n_segments, n_codes, n_decisions, both, only_a, only_b, neither, percent_agreement,
        kappa, alpha, alpha_low, alpha_high, n_boot_defined``.

    Raises:
        ParameterError: a coder has no segments, no segment is coded by both, ``n_boot`` < 1 or
            ``level`` not in (0, 1).
    """
    if n_boot < 1:
        raise ParameterError(f"n_boot must be >= 1, got {n_boot}")
    if not 0 < level < 1:
        raise ParameterError(f"level must be in (0, 1), got {level}")
    shared, a, b = _shared_codings(segments, coder_a, coder_b)
    applied_a = set(zip(a["segment_id"], a["code"], strict=True))
    applied_b = set(zip(b["segment_id"], b["code"], strict=True))
    used = set(a["code"]) | set(b["code"])
    groups = [
        (f.id, f.label, [c.id for c in codebook.codes if c.family == f.id and c.id in used])
        for f in codebook.families
    ]
    groups.append(("all", "All families", [c for g in groups for c in g[2]]))
    rng = np.random.default_rng(seed)
    tail = (1 - level) / 2
    rows = []
    for family, label, codes in groups:
        if not codes:
            continue
        da = _decisions(shared, applied_a, codes)
        db = _decisions(shared, applied_b, codes)
        row = _agreement_row(family, list(da.ravel() == 1), list(db.ravel() == 1))
        boot = _bootstrap_alpha(da, db, n_boot, rng)
        boot = boot[np.isfinite(boot)]
        low, high = np.quantile(boot, [tail, 1 - tail]) if boot.size else (np.nan, np.nan)
        rows.append(
            {
                "family": family,
                "label": label,
                "n_segments": len(shared),
                "n_codes": len(codes),
                "n_decisions": row["n_decisions"],
                "both": row["both"],
                "only_a": row["only_a"],
                "only_b": row["only_b"],
                "neither": row["neither"],
                "percent_agreement": row["percent_agreement"],
                "kappa": row["kappa"],
                "alpha": row["alpha"],
                "alpha_low": float(low),
                "alpha_high": float(high),
                "n_boot_defined": int(boot.size),
            }
        )
    return pd.DataFrame(rows)


#: Columns of the disagreement table (``data/qual/disagreements.csv``).
DISAGREEMENT_COLUMNS = (
    "case",
    "segment_id",
    "family",
    "code",
    "coder_a",
    "coder_b",
    "resolution",
    "reason",
)


def disagreements(
    segments: pd.DataFrame, codebook: Codebook, *, coder_a: str = "A", coder_b: str = "B"
) -> pd.DataFrame:
    """Every (segment, code) decision on which the two coders differ, on the segments both
    coded: columns ``case, segment_id, family, code, coder_a, coder_b`` (``applied`` /
    ``not applied``), sorted by case (registry order), segment and codebook order."""
    _, a, b = _shared_codings(segments, coder_a, coder_b)
    applied_a = set(zip(a["segment_id"], a["code"], strict=True))
    applied_b = set(zip(b["segment_id"], b["code"], strict=True))
    case_of = dict(zip(segments["segment_id"], segments["case"], strict=False))
    order = {c: i for i, c in enumerate(codebook.code_ids)}
    cases = {c: i for i, c in enumerate(CASE_SLUGS)}
    rows = [
        {
            "case": case_of[seg],
            "segment_id": seg,
            "family": codebook.family_of(code),
            "code": code,
            "coder_a": "applied" if (seg, code) in applied_a else "not applied",
            "coder_b": "applied" if (seg, code) in applied_b else "not applied",
        }
        for seg, code in applied_a ^ applied_b
    ]
    frame = pd.DataFrame(rows, columns=list(DISAGREEMENT_COLUMNS[:6]))
    if frame.empty:
        return frame
    key = frame.assign(_case=frame["case"].map(cases), _code=frame["code"].map(order)).sort_values(
        ["_case", "segment_id", "_code"]
    )
    return key.drop(columns=["_case", "_code"]).reset_index(drop=True)


def load_resolutions(path: str | os.PathLike[str] = QUAL / "disagreements.csv") -> pd.DataFrame:
    """Read the adjudicated disagreements (:data:`DISAGREEMENT_COLUMNS`).

    Raises:
        DataValidationError: missing file, wrong columns, an unknown resolution, an empty
            reason, or a resolution that does not fit the disagreement (``kept`` needs coder A's
            code, ``code added`` coder B's, ``withdrawn`` both coders' codes), each named by
            row.
    """
    p = Path(path)
    if not p.is_file():
        raise DataValidationError(str(p), ["disagreements file not found"])
    frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")
    if tuple(frame.columns) != DISAGREEMENT_COLUMNS:
        raise DataValidationError(
            str(p), [f"columns must be {list(DISAGREEMENT_COLUMNS)} in that order"]
        )
    problems = []
    for row, rec in enumerate(frame.itertuples(index=False), start=1):
        if rec.resolution not in RESOLUTIONS:
            problems.append(
                f"row {row}, column 'resolution': {rec.resolution!r} is not one of "
                f"{list(RESOLUTIONS)}"
            )
        if not rec.reason.strip():
            problems.append(f"row {row}, column 'reason': empty")
        if rec.resolution == "kept" and rec.coder_a != "applied":
            problems.append(f"row {row}: 'kept' but coder A did not apply {rec.code!r}")
        if rec.resolution == "code added" and rec.coder_b != "applied":
            problems.append(f"row {row}: 'code added' but coder B did not apply {rec.code!r}")
        if rec.resolution == "withdrawn" and not rec.coder_a == rec.coder_b == "applied":
            problems.append(f"row {row}: 'withdrawn' needs {rec.code!r} applied by both coders")
    if frame.duplicated(["segment_id", "code"]).any():
        problems.append("a (segment_id, code) pair is resolved twice")
    if problems:
        raise DataValidationError(str(p), problems)
    return frame


def consensus_coding(
    segments: pd.DataFrame,
    resolutions: pd.DataFrame,
    codebook: Codebook,
    *,
    coder_a: str = "A",
    coder_b: str = "B",
) -> pd.DataFrame:
    """The consensus coding (``coder`` = :data:`CONSENSUS`) from two independent codings and
    the adjudication of every disagreement between them.

    A segment both coded carries the codes both applied, coder A's codes resolved ``kept`` and
    coder B's codes resolved ``code added``; a code resolved ``dropped`` is left out, and so is
    a code both applied that a later rule ``withdrawn``.  A segment only coder A coded keeps
    coder A's codes (segments added after the blind pass, awaiting a second coding).  A
    segment left with no code gets one :data:`NO_CODE` row.  Location and paraphrase are the
    segment's (one per segment).  Rows follow coder A's row order, each segment's codes in
    codebook order.

    Raises:
        DataValidationError: a disagreement without a resolution, a resolution other than
            ``withdrawn`` for a decision on which the coders agree, or ``withdrawn`` for a code
            the two coders did not both apply.
    """
    found = disagreements(segments, codebook, coder_a=coder_a, coder_b=coder_b)
    wanted = set(zip(found["segment_id"], found["code"], strict=True))
    revised = resolutions["resolution"] == "withdrawn"
    withdrawn = set(
        zip(resolutions.loc[revised, "segment_id"], resolutions.loc[revised, "code"], strict=True)
    )
    given = set(
        zip(resolutions.loc[~revised, "segment_id"], resolutions.loc[~revised, "code"], strict=True)
    )
    problems = [
        f"segment {s!r}, code {c!r}: disagreement not resolved" for s, c in sorted(wanted - given)
    ]
    problems += [
        f"segment {s!r}, code {c!r}: resolved, but the coders agree"
        for s, c in sorted(given - wanted)
    ]
    shared, a, b = _shared_codings(segments, coder_a, coder_b)
    applied_a = set(zip(a["segment_id"], a["code"], strict=True))
    applied_b = set(zip(b["segment_id"], b["code"], strict=True))
    problems += [
        f"segment {s!r}, code {c!r}: withdrawn, but not applied by both coders"
        for s, c in sorted(withdrawn - (applied_a & applied_b))
    ]
    if problems:
        raise DataValidationError("disagreements", problems)
    keep = {
        (r.segment_id, r.code)
        for r in resolutions.itertuples(index=False)
        if r.resolution in ("kept", "code added")
    }
    consensus = ((applied_a & applied_b) | keep) - withdrawn
    all_a = _select_coder(segments, coder_a)
    only_a = all_a.groupby("segment_id", sort=False)["code"].apply(list).to_dict()
    first = _select_coder(segments, coder_a, keep_uncoded=True).drop_duplicates("segment_id")
    order = {c: i for i, c in enumerate(codebook.code_ids)}
    shared_set = set(shared)
    rows = []
    for rec in first.to_dict("records"):
        seg = rec["segment_id"]
        if seg in shared_set:
            codes = sorted((c for s, c in consensus if s == seg), key=order.__getitem__)
        else:
            codes = sorted(only_a.get(seg, []), key=order.__getitem__)
        for code in codes or [NO_CODE]:
            rows.append({**rec, "code": code, "coder": CONSENSUS})
    return pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))


#: XML namespace of the REFI-QDA codebook exchange format (``.qdc``).
QDC_NAMESPACE = "urn:QDA-XML:codebook:1.0"
#: Namespace of the compendium's code GUIDs (uuid5 of ``code:<id>``, ``family:<id>``, ...).
_GUID_NAMESPACE = uuid.UUID("6f1c7a4e-1d0b-5c55-9a51-2b8f2c0e7d31")
#: One colour per family (Okabe–Ito palette), so QDA software shows the families apart.
_FAMILY_COLOURS = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#0072B2",
    "#F0E442",
    "#999999",
)


def _guid(kind: str, key: str) -> str:
    return str(uuid.uuid5(_GUID_NAMESPACE, f"{kind}:{key}")).upper()


def to_qdc(
    codebook: Codebook,
    segments: pd.DataFrame | None = None,
    *,
    coder: str = CONSENSUS,
    origin: str = "cases compendium (cases.methods.qual.to_qdc)",
) -> str:
    """The codebook in the REFI-QDA codebook exchange format (``.qdc``, XML, UTF-8).

    Structure (REFI-QDA Codebook schema, namespace :data:`QDC_NAMESPACE`): a ``CodeBook`` root
    holding ``Codes`` and ``Sets``.  Each family is a code that cannot be coded
    (``isCodable="false"``) whose children are its codes; every ``Code`` has a stable ``guid``
    (uuid5 of its id, so re-exports keep the same GUIDs), its label as ``name``, a colour per
    family and a ``Description`` with the code id, definition, inclusion and exclusion rules and
    the invented example.  With ``segments``, each code's description also lists the segments
    of ``coder`` that carry it (abstract file, character offsets, segment id), and one ``Set``
    per case gathers the codes applied to that case's abstract.  The codebook format has no
    place for codings anchored in a text, so the coded segments travel as these descriptions
    and sets; nothing of the abstracts' own text is exported.
    """
    from xml.etree import ElementTree as ET

    ns = f"{{{QDC_NAMESPACE}}}"
    ET.register_namespace("", QDC_NAMESPACE)
    root = ET.Element(f"{ns}CodeBook", {"origin": origin})
    codes_el = ET.SubElement(root, f"{ns}Codes")
    coded = None
    if segments is not None:
        coded = _select_coder(segments, coder).drop_duplicates(["segment_id", "code"])
        coded = coded.sort_values(["source", "start", "segment_id"])
    for i, family in enumerate(codebook.families):
        colour = _FAMILY_COLOURS[i % len(_FAMILY_COLOURS)]
        fam_el = ET.SubElement(
            codes_el,
            f"{ns}Code",
            {
                "guid": _guid("family", family.id),
                "name": family.label,
                "isCodable": "false",
                "color": colour,
            },
        )
        ET.SubElement(fam_el, f"{ns}Description").text = (
            f"Code family '{family.id}' (registry field '{family.registry_field}'). "
            f"{family.definition}"
        )
        for code in codebook.codes:
            if code.family != family.id:
                continue
            parts = [
                f"Code id: {code.id}",
                f"Definition: {' '.join(code.definition.split())}",
                f"Include: {' '.join(code.include.split())}",
                f"Exclude: {' '.join(code.exclude.split())}",
                f"Example (invented): {' '.join(code.example.split())}",
            ]
            if coded is not None:
                hits = coded[coded["code"] == code.id]
                where = [
                    f"{r.source} {r.start}-{r.end} ({r.segment_id})"
                    for r in hits.itertuples(index=False)
                ]
                parts.append(
                    f"Coded segments ({coder} coding; abstract, characters start-end): "
                    + ("; ".join(where) if where else "none")
                )
            code_el = ET.SubElement(
                fam_el,
                f"{ns}Code",
                {
                    "guid": _guid("code", code.id),
                    "name": code.label,
                    "isCodable": "true",
                    "color": colour,
                },
            )
            ET.SubElement(code_el, f"{ns}Description").text = "\n".join(parts)
    if coded is not None:
        sets_el = ET.SubElement(root, f"{ns}Sets")
        order = {c: i for i, c in enumerate(codebook.code_ids)}
        for case in [c for c in CASE_SLUGS if c in set(coded["case"])]:
            rows = coded[coded["case"] == case]
            set_el = ET.SubElement(
                sets_el, f"{ns}Set", {"guid": _guid("case", case), "name": f"Case: {case}"}
            )
            ET.SubElement(set_el, f"{ns}Description").text = (
                f"Codes applied to the abstract {rows['source'].iloc[0]} in the {coder} "
                f"coding: {rows['segment_id'].nunique()} segments."
            )
            for code in sorted(set(rows["code"]), key=order.__getitem__):
                ET.SubElement(set_el, f"{ns}MemberCode", {"guid": _guid("code", code)})
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


def write_qdc(
    path: str | os.PathLike[str] = QUAL / "codebook.qdc", corpus: CodedCorpus | None = None
) -> Path:
    """Write :func:`to_qdc` of the shipped codebook and its :data:`ANALYSIS_CODER` coding to
    ``path`` (default ``data/qual/codebook.qdc``, a resource of the data package: run
    :func:`cases.data.public_data.update_hashes` afterwards).  Returns the path."""
    corpus = corpus or load_coded_corpus()
    out = Path(path)
    text = to_qdc(corpus.codebook, corpus.segments, coder=ANALYSIS_CODER)
    out.write_text(text, encoding="utf-8")
    return out


def profile_agreement(
    cases: list[object], corpus: CodedCorpus, *, coder: str = ANALYSIS_CODER
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


def cases_with_code(segments: pd.DataFrame, code: str, *, coder: str = ANALYSIS_CODER) -> list[str]:
    """The cases (sorted) whose segments carry ``code`` from ``coder``."""
    sub = _select_coder(segments, coder)
    return sorted(set(sub.loc[sub["code"] == code, "case"]))
