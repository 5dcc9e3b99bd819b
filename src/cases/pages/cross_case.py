"""Cross-case synthesis: the coded corpus of the five abstracts, shared problems with their
evidence, a timeline against the national campaign, and the simulated headline estimates.

Everything here reads inputs of the build: the case registry (``data/cases``), the coded corpus
(``data/qual``), the public data package (``data/raw``) and the run results that the case
notebooks of the same build wrote (``.cache/cases/results/``). Only the last is simulated, and
the table built from it says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cases.core import paths
from cases.core.errors import DataValidationError
from cases.core.files import load_yaml
from cases.data.registry import POLICY_STAGE_LABELS, Case
from cases.methods.qual import ANALYSIS_CODER
from cases.present import report
from cases.present.page import Page

#: NBS's three economic regions, for the provinces of the cases.
REGION_OF_PROVINCE = {"Guizhou": "West", "Gansu": "West", "Henan": "Central", "Shandong": "East"}

#: Problems the synthesis follows across cases (codebook codes), as the literature on China's
#: poverty governance often raises them.
COMMON_PROBLEMS: tuple[str, ...] = (
    "problem_endogenous_motivation",
    "problem_weak_social_organisations",
    "problem_fragmented_government",
    "problem_formalism",
    "problem_imprecise_identification",
)

#: Code families of the codebook shown as case × code matrices, in book order.
THEMES: tuple[str, ...] = ("actor", "mechanism", "problem", "cause", "recommendation")


def code_label(code: str, labels: dict[str, str] | None = None) -> str:
    """The codebook label of ``code`` if ``labels`` has it, else the id without its family
    prefix: ``problem_weak_social_organisations`` → ``Weak social organisations``."""
    if labels and code in labels:
        return labels[code]
    _, _, rest = code.partition("_")
    text = (rest or code).replace("_", " ")
    return text[:1].upper() + text[1:]


def case_label(case: Case) -> str:
    """Column label: short title, policy stage and region (or 'region not stated')."""
    stage = (
        "after 2020" if case.study.policy_stage == "consolidation_relative_poverty" else "to 2020"
    )
    region = REGION_OF_PROVINCE.get(case.place.province)
    where = f"{case.place.province}, {region}" if region else "province not stated"
    return f"{case.short_title}\n({stage}; {where})"


def case_overview(cases: Sequence[Case]) -> pd.DataFrame:
    """One row per case: place, province, region, policy stage and inferred study period."""
    rows = []
    for case in cases:
        rows.append(
            {
                "Case": case.short_title,
                "Place": f"{case.place.name} ({case.place.name_zh})",
                "Province": case.place.province,
                "Region": REGION_OF_PROVINCE.get(case.place.province, "not stated"),
                "Policy stage": POLICY_STAGE_LABELS[case.study.policy_stage],
                "Study period (inferred)": case.study.period,
            }
        )
    return pd.DataFrame(rows)


def theme_matrix(
    segments: pd.DataFrame,
    codebook_codes: dict[str, str],
    theme: str,
    cases: Sequence[Case],
    *,
    coder: str = ANALYSIS_CODER,
) -> pd.DataFrame:
    """Segments per code (rows) and case (columns) for one codebook family, in the coding of
    ``coder`` (default: the coding the analyses read, :data:`cases.methods.qual.ANALYSIS_CODER`).

    ``codebook_codes`` maps each code to its family (``{c.id: c.family}``).

    Counting unit: a segment (a code applied to one segment counts once). Rows are ordered by
    the number of cases whose abstract uses the code, then by total segments, then by code;
    codes of the theme that no abstract uses are left out. Columns follow ``cases``.

    Raises:
        ValueError: ``theme`` has no codes in the codebook.
    """
    codes = [code for code, code_theme in codebook_codes.items() if code_theme == theme]
    if not codes:
        raise ValueError(f"theme {theme!r} has no codes in the codebook")
    coded = segments[(segments["coder"] == coder) & segments["code"].isin(codes)]
    coded = coded.drop_duplicates(["segment_id", "code"])
    matrix = pd.crosstab(coded["code"], coded["case"])
    matrix = matrix.reindex(columns=[c.slug for c in cases], fill_value=0)
    order = sorted(
        matrix.index,
        key=lambda code: (-int((matrix.loc[code] > 0).sum()), -int(matrix.loc[code].sum()), code),
    )
    return matrix.loc[order]


def labelled(
    matrix: pd.DataFrame, cases: Sequence[Case], labels: dict[str, str] | None = None
) -> pd.DataFrame:
    """The same matrix with readable row and column labels (codebook ``labels`` if given),
    for figures."""
    by_slug = {c.slug: c for c in cases}
    out = matrix.copy()
    out.index = [code_label(c, labels) for c in matrix.index]
    out.columns = [case_label(by_slug[s]) for s in matrix.columns]
    return out


def shared_codes(matrix: pd.DataFrame, min_cases: int = 2) -> list[str]:
    """Codes used by at least ``min_cases`` cases."""
    return [code for code in matrix.index if int((matrix.loc[code] > 0).sum()) >= min_cases]


def common_problem_evidence(
    segments: pd.DataFrame,
    cases: Sequence[Case],
    problems: Sequence[str] = COMMON_PROBLEMS,
    labels: dict[str, str] | None = None,
    *,
    coder: str = ANALYSIS_CODER,
) -> pd.DataFrame:
    """For each common problem: how many cases report it and where, with a paraphrase.

    ``labels`` maps codes to the codebook's labels (default: labels derived from the ids).

    Evidence location: case, sentence number and character offsets in the seed abstract, and
    the segment id of the coded corpus (in the coding of ``coder``). The paraphrase is the
    corpus's own wording.
    """
    coded = segments[(segments["coder"] == coder) & segments["code"].isin(problems)]
    coded = coded.drop_duplicates(["segment_id", "code"])
    short = {c.slug: c.short_title for c in cases}
    rows = []
    for problem in problems:
        hits = coded[coded["code"] == problem].sort_values(["case", "sentence", "start"])
        locations = [
            f"{short[r.case]}: sentence {r.sentence} ({r.start}–{r.end}), {r.segment_id}"
            for r in hits.itertuples()
        ]
        first = hits.drop_duplicates("case")
        rows.append(
            {
                "Problem": code_label(problem, labels),
                "Cases": int(hits["case"].nunique()),
                "Reported in": ", ".join(short[c] for c in first["case"]) or "none",
                "Evidence (abstract location, segment)": "; ".join(locations) or "—",
                "Example (paraphrase)": first["paraphrase"].iloc[0] if len(first) else "—",
            }
        )
    return pd.DataFrame(rows)


def _year_span(period: str) -> tuple[int, int]:
    parts = period.replace("–", "-").split("-")
    try:
        return int(parts[0]), int(parts[-1])
    except ValueError:
        problem = f"period {period!r} is not YYYY–YYYY"
        raise DataValidationError("case registry", [problem]) from None


def case_area_counties(counties: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``counties`` (``case_area_counties`` table) that lie in a case's own area:
    the county codes of the cases whose place is named (:data:`cases.pages.context.CASE_AREAS`,
    scope ``named``); benchmark counties a thesis compares with are left out.

    Raises:
        DataValidationError: ``counties`` has no ``code_2020`` column.
    """
    from cases.pages.context import CASE_AREAS

    if "code_2020" not in counties.columns:
        raise DataValidationError("case_area_counties", ["column 'code_2020' not found"])
    codes = {c for a in CASE_AREAS.values() if a.scope == "named" for c in a.county_codes}
    return counties[counties["code_2020"].astype(int).isin(codes)]


#: Passages of ``text/cross_case.md`` that label the timeline figure.
TIMELINE_TEXTS: tuple[str, ...] = (
    "timeline_title",
    "timeline_incidence",
    "timeline_exits",
    "timeline_campaign_end",
    "timeline_xlabel",
)


def timeline_figure(
    cases: Sequence[Case],
    national: pd.DataFrame,
    counties: pd.DataFrame,
    texts: Mapping[str, str],
) -> mpl.figure.Figure:
    """Rural poverty incidence 2010–2020 (NBS/WDI), the exit years of the case-area poverty
    counties by prefecture (one dot per county, count beside it), and the cases' study periods
    (bars, inferred from the abstracts), on one time axis.

    ``national`` needs ``year`` and ``incidence_pct``; ``counties`` needs ``prefecture_en``,
    ``on_national_list`` and ``exit_year``. ``texts`` holds the labels, the passages
    :data:`TIMELINE_TEXTS` of ``text/cross_case.md`` (``render_blocks("cross_case", {})``).

    Raises:
        DataValidationError: a label is missing from ``texts`` (named).
    """
    missing = [name for name in TIMELINE_TEXTS if name not in texts]
    if missing:
        raise DataValidationError("text/cross_case.md", [f"no block {name!r}" for name in missing])
    fig, (top, middle, bottom) = plt.subplots(
        3, 1, figsize=(report.COLUMN_WIDTH_IN, 6.6), sharex=True, height_ratios=[1.2, 0.7, 1.0]
    )
    series = national.dropna(subset=["incidence_pct"]).sort_values("year")
    top.plot(series["year"], series["incidence_pct"], marker="o", color="#0072B2")
    top.set_ylabel(texts["timeline_incidence"])
    top.set_title(texts["timeline_title"], loc="left")

    listed = counties[counties["on_national_list"].astype(bool) & counties["exit_year"].notna()]
    groups = sorted(listed["prefecture_en"].unique())
    for row, prefecture in enumerate(groups):
        exits = listed[listed["prefecture_en"] == prefecture].groupby("exit_year").size()
        middle.scatter(exits.index.astype(float), [row] * len(exits), s=40 * exits, color="#E69F00")
        for year, count in exits.items():
            middle.annotate(
                f"{count}",
                (float(year), row),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
            )
    middle.set_yticks(range(len(groups)), groups)
    middle.set_ylim(-0.6, len(groups) - 0.4)
    middle.invert_yaxis()
    middle.set_ylabel(texts["timeline_exits"])

    for row, case in enumerate(cases):
        start, end = _year_span(case.study.period)
        after = case.study.policy_stage == "consolidation_relative_poverty"
        bottom.barh(row, end - start + 1, left=start - 0.5, color="#D55E00" if after else "#009E73")
    bottom.set_yticks(range(len(cases)), [c.short_title for c in cases])
    bottom.invert_yaxis()
    for ax in (top, middle, bottom):
        ax.axvline(2020.5, color="#000000", lw=1)
    top.text(
        2020.6, top.get_ylim()[1] * 0.9, texts["timeline_campaign_end"], fontsize=8.5, va="top"
    )
    bottom.set_xlabel(texts["timeline_xlabel"])
    bottom.set_xlim(2009.5, 2024.5)
    return fig


@dataclass(frozen=True)
class Headline:
    """One simulated headline estimate to collect from a results manifest."""

    case: str
    analysis: str
    key: str
    label: str
    se_key: str | None = None
    planted: float | None = None
    #: A glued value of the same run holding the planted truth (when it depends on the sample).
    planted_key: str | None = None


def load_headlines(path: Path | None = None, listed_only: bool = True) -> list[Headline]:
    """Read ``data/cross_case_headlines.yaml`` (which glued estimates the synthesis compares).

    With ``listed_only``, entries whose analysis is not in the case's chapter
    (``params/<case>.yaml``) are left out, so a project that trims a chapter still builds.

    Raises:
        DataValidationError: a malformed entry (named by index and field).
    """
    path = path or paths.DATA / "cross_case_headlines.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out, problems = [], []
    for i, entry in enumerate(data.get("headlines", [])):
        try:
            out.append(Headline(**entry))
        except TypeError as exc:
            problems.append(f"headlines[{i}]: {exc}")
    if problems:
        raise DataValidationError(str(path), problems)
    if listed_only:
        from cases.data import plan

        chapters: dict[str, set[str]] = {}
        for h in out:
            if h.case not in chapters:
                chapters[h.case] = {job.analysis for job in plan.jobs_for(h.case)}
        out = [h for h in out if h.analysis in chapters[h.case]]
    return out


def headline_table(
    headlines: Sequence[Headline], cases: Sequence[Case], results_dir: Path | None = None
) -> pd.DataFrame:
    """The headline estimates as the case notebooks published them (simulated data).

    Values are read from the run results of the case notebooks
    (``.cache/cases/results/<case>/<analysis>.json``), written by the same glue calls that put
    them in the case chapters of this build.

    Raises:
        DataValidationError: a manifest or key is missing (named), e.g. a chapter not yet run.
    """
    results_dir = results_dir or paths.RUN_RESULTS
    short = {c.slug: c.short_title for c in cases}
    rows: list[dict[str, object]] = []
    unread: list[tuple[Path, str]] = []  # (manifest, case) that could not be read
    keyless: list[tuple[Path, list[str]]] = []  # (manifest, keys) it lacks
    for h in headlines:
        path = results_dir / h.case / f"{h.analysis}.json"
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            unread.append((path, h.case))
            continue
        missing = [k for k in (h.key, h.se_key, h.planted_key) if k and k not in manifest]
        if missing:
            keyless.append((path, missing))
            continue
        planted = manifest[h.planted_key]["value"] if h.planted_key else h.planted
        rows.append(
            {
                "Case": short.get(h.case, h.case),
                "Analysis": h.analysis.replace("_", " "),
                "Estimate": h.label,
                "Value": manifest[h.key]["value"],
                "Std. error": manifest[h.se_key]["value"] if h.se_key else float("nan"),
                "Planted value": planted if planted is not None else float("nan"),
            }
        )
    if unread or keyless:
        raise DataValidationError(
            "cross-case headline estimates",
            [f"{path}: missing or unreadable (run `cases run {case}`)" for path, case in unread]
            + [f"{path}: no key {', '.join(map(repr, keys))}" for path, keys in keyless],
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- synthesis


class Lens(BaseModel):
    """One analytical lens of the synthesis: its labels and the codes that signal it."""

    model_config = ConfigDict(extra="forbid")
    label: str
    label_zh: str
    codes: tuple[str, ...] = Field(min_length=1)


class SynthesisColumns(BaseModel):
    """Column labels of the joint display and the lens table."""

    model_config = ConfigDict(extra="forbid")
    case: str
    lens: str
    problems: str
    lenses: str
    counties: str
    tap: str
    school: str
    none_named: str
    benchmarks: str


class SynthesisSettings(BaseModel):
    """``data/settings/cross_case.yaml``: the lenses (each code in at most one) and labels."""

    model_config = ConfigDict(extra="forbid")
    lenses: dict[str, Lens] = Field(min_length=1)
    followed: dict[str, str] = {}
    columns: SynthesisColumns

    @model_validator(mode="after")
    def _one_lens_per_code(self) -> SynthesisSettings:
        seen: dict[str, str] = {}
        for name, lens in self.lenses.items():
            for code in lens.codes:
                if code in seen:
                    raise ValueError(f"code {code!r} is in lenses {seen[code]!r} and {name!r}")
                seen[code] = name
        return self


@cache
def synthesis_settings(path: Path | None = None) -> SynthesisSettings:
    """The validated synthesis settings (``data/settings/cross_case.yaml``)."""
    return load_yaml(SynthesisSettings, path or paths.SETTINGS / "cross_case.yaml")


def lens_matrix(
    segments: pd.DataFrame,
    cases: Sequence[Case],
    lenses: Mapping[str, Lens],
    *,
    coder: str = ANALYSIS_CODER,
) -> pd.DataFrame:
    """Segments per lens (rows, in the order of ``lenses``) and case (columns, in case order).

    Rule: a segment counts once for a lens when it carries at least one of the lens's codes in
    the coding of ``coder``; a lens no abstract touches keeps its row of zeros.
    """
    coded = segments[segments["coder"] == coder]
    rows = {}
    for name, lens in lenses.items():
        hits = coded[coded["code"].isin(lens.codes)].drop_duplicates("segment_id")
        counts = hits.groupby("case")["segment_id"].nunique()
        rows[name] = [int(counts.get(c.slug, 0)) for c in cases]
    return pd.DataFrame.from_dict(rows, orient="index", columns=[c.slug for c in cases])


def _range(low: float, high: float) -> str:
    return f"{low:.0f}–{high:.0f}"


def joint_display(
    cases: Sequence[Case],
    segments: pd.DataFrame,
    labels: Mapping[str, str],
    census_rows: pd.DataFrame,
    settings: SynthesisSettings,
    benchmark_cases: Sequence[str] = (),
    *,
    coder: str = ANALYSIS_CODER,
) -> pd.DataFrame:
    """The joint display: per case, the problems its abstract reports (codebook labels, with
    the number of coded segments), the lenses with most coded segments, and the census
    standing of the county-level units named for its area (``census_rows`` from
    :func:`cases.pages.county_census.case_area_indicators`).

    Rules: problems are the ``problem_`` codes in the coding of ``coder``, most segments
    first; the lenses listed are those tied for the largest count (:func:`lens_matrix`);
    percentile ranges are the lowest and highest national percentile (0-100) of the case's
    units in 2020. A case in ``benchmark_cases`` names counties only as benchmarks, which the
    cell says; a case with no row in ``census_rows`` names none.
    """
    cols = settings.columns
    coded = segments[(segments["coder"] == coder) & segments["code"].str.startswith("problem_")]
    coded = coded.drop_duplicates(["segment_id", "code"])
    lenses = lens_matrix(segments, cases, settings.lenses, coder=coder)
    by_case = census_rows.set_index("case") if len(census_rows) else census_rows
    rows = []
    for case in cases:
        problems = coded[coded["case"] == case.slug]["code"].value_counts()
        problems = problems.sort_index().sort_values(ascending=False, kind="stable")
        column = lenses[case.slug]
        top = [settings.lenses[n].label for n in column.index if column[n] == column.max() > 0]
        row = {
            cols.case: case.short_title,
            cols.problems: "; ".join(f"{labels.get(c, c)} ({n})" for c, n in problems.items()),
            cols.lenses: "; ".join(top),
        }
        if case.slug in getattr(by_case, "index", []):
            r = by_case.loc[case.slug]
            suffix = cols.benchmarks if case.slug in benchmark_cases else ""
            row[cols.counties] = f"{int(r['n_counties'])} ({int(r['n_listed'])}){suffix}"
            row[cols.tap] = _range(
                r["tap_water_share_2020_pct_min"], r["tap_water_share_2020_pct_max"]
            )
            row[cols.school] = _range(
                r["mean_years_schooling_2020_pct_min"], r["mean_years_schooling_2020_pct_max"]
            )
        else:
            row[cols.counties] = cols.none_named
            row[cols.tap] = "—"
            row[cols.school] = "—"
        rows.append(row)
    return pd.DataFrame(rows)


def synthesis(
    cases: Sequence[Case],
    segments: pd.DataFrame,
    labels: Mapping[str, str],
    census_rows: pd.DataFrame,
    benchmark_cases: Sequence[str] = (),
    settings: SynthesisSettings | None = None,
) -> Page:
    """The facts of the synthesis section (words in ``text/cross_case.md``).

    Numbers: per lens ``<lens>`` of the settings, ``lens_<lens>_cases`` (cases whose abstract
    has a segment of the lens) and ``lens_<lens>_segments``; per case with named units,
    ``census_<case>_tap_2020_pct_max`` and ``census_<case>_school_2020_pct_min`` / ``_max``
    (national percentiles, 0-100); ``n_named_cases``; ``n_cases``; per followed code
    ``<key>``, ``followed_<key>_cases``. Facts: ``lens_<lens>_case_names`` and
    ``followed_<key>_case_names`` (short titles, in case order), ``no_cause_case_names`` (cases
    whose coded abstract states no cause), ``lens_labels`` and
    ``tap_all_below_median`` (every named case's units below the national median of tap
    water in 2020). Tables: ``lenses`` (segments per lens and case, labelled) and ``joint``
    (:func:`joint_display`).
    """
    settings = settings or synthesis_settings()
    page = Page()
    matrix = lens_matrix(segments, cases, settings.lenses)
    short = {c.slug: c.short_title for c in cases}
    for name in matrix.index:
        row = matrix.loc[name]
        page.numbers[f"lens_{name}_cases"] = int((row > 0).sum())
        page.numbers[f"lens_{name}_segments"] = int(row.sum())
        page.facts[f"lens_{name}_case_names"] = [short[s] for s in row.index if row[s] > 0]
    page.facts["lens_labels"] = {n: lens.label for n, lens in settings.lenses.items()}
    analysed = segments[segments["coder"] == ANALYSIS_CODER]
    page.numbers["n_cases"] = len(cases)
    for key, code in settings.followed.items():
        using = set(analysed.loc[analysed["code"] == code, "case"])
        page.numbers[f"followed_{key}_cases"] = len(using)
        page.facts[f"followed_{key}_case_names"] = [c.short_title for c in cases if c.slug in using]
    # Cases whose abstract states no cause at all (no consensus code of the cause family).
    with_cause = set(analysed.loc[analysed["code"].str.startswith("cause_"), "case"])
    page.facts["no_cause_case_names"] = [c.short_title for c in cases if c.slug not in with_cause]
    named = census_rows.set_index("case") if len(census_rows) else census_rows
    page.numbers["n_named_cases"] = len(census_rows)
    for case, r in getattr(named, "iterrows", lambda: iter(()))():
        page.numbers[f"census_{case}_tap_2020_pct_max"] = float(r["tap_water_share_2020_pct_max"])
        page.numbers[f"census_{case}_school_2020_pct_min"] = float(
            r["mean_years_schooling_2020_pct_min"]
        )
        page.numbers[f"census_{case}_school_2020_pct_max"] = float(
            r["mean_years_schooling_2020_pct_max"]
        )
    page.facts["tap_all_below_median"] = bool(
        len(census_rows) and (census_rows["tap_water_share_2020_pct_max"] < 50).all()
    )
    table = matrix.copy()
    table.index = [
        f"{settings.lenses[n].label} ({settings.lenses[n].label_zh})" for n in table.index
    ]
    table.columns = [short[s] for s in table.columns]
    page.tables["lenses"] = table.rename_axis(settings.columns.lens).reset_index()
    page.tables["joint"] = joint_display(
        cases, segments, labels, census_rows, settings, benchmark_cases
    )
    return page
