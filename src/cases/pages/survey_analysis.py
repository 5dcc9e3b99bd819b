"""Page "Survey analysis" (``notebooks/survey_analysis``): reliability, scale scores by group,
the gap between two sets of groups, and an outcome model, for one case.

Facts only, no sentences: :func:`build` returns a :class:`~cases.present.page.Page` whose
numbers (glued as ``survey_<name>``), facts, tables and figures the words of
``text/survey_analysis.md`` describe. Each case's questionnaire design (instrument, groups,
outcomes, income table, planted effects the text tells about, rows of the claim-evidence
table) is data in ``data/settings/survey_analysis.yaml`` (:class:`Design`). The design's
``kind`` picks the outcome model:

- ``governance``: ordered logit(s) of a rating on the good-governance dimension scores;
- ``interaction``: ordered logits of satisfaction and confidence on the channel scores;
- ``motivation``: OLS of yearly log-income growth on the three motivation facets.

The building blocks (:func:`group_means`, :func:`group_gap`, :func:`annual_log_growth`,
:func:`ols_table`) are public and tested on hand-checkable data; :func:`analyse` returns the
estimates without the page. Scores, reliability and the ordered logit come from
:mod:`cases.methods.survey`.

Inference: respondents sit in villages (and the planted exposures are set by village), so every
interval and test of the page is clustered by the respondent's village (:data:`CLUSTER`, from
the survey table or mapped from ``households`` through ``household_id``) by the one rule of
:mod:`cases.methods.inference`: CR1 with ``t(G - 1)`` from 30 villages, the wild cluster
bootstrap (Webb weights, :data:`WILD_BOOT` replications, seed :data:`WILD_SEED`) for the
least-squares estimates (group means, gaps, growth regression) with 10 to 29 villages, CR1 with
a warning shown on the page for the ordered logits below 30 villages, and no page at all below
10 villages or when the data hold no village (ParameterError / DataValidationError naming it;
there is no unclustered fallback).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.core.files import load_yaml
from cases.methods import inference, survey
from cases.present import layout, report
from cases.present.page import Page
from cases.present.text import signed, table_number
from cases.simulate import synth

__all__ = [
    "CLUSTER",
    "SETTINGS_FILE",
    "WILD_BOOT",
    "WILD_SEED",
    "Design",
    "SurveyResults",
    "SurveySettings",
    "analyse",
    "annual_log_growth",
    "build",
    "claims_table",
    "design",
    "display_tables",
    "group_gap",
    "group_means",
    "ols_table",
    "settings",
]

#: Per-case survey designs, column headers of the claim table, labels (see the file's comment).
SETTINGS_FILE = paths.SETTINGS / "survey_analysis.yaml"
#: The column every interval of the page is clustered by: the respondent's village.
CLUSTER = "village_id"
#: Replications and seed of the wild cluster bootstrap (fewer than 30 villages).
WILD_BOOT = 9999
WILD_SEED = 20190101


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------
def _finite_values(values: pd.Series, what: str) -> np.ndarray:
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if x.size < 2:
        raise ParameterError(f"{what}: need at least 2 non-missing values, got {x.size}")
    return x


def _scored(
    scores: pd.DataFrame, scale: str, group: str, cluster: str, groups: Sequence[Any]
) -> pd.DataFrame:
    """Rows of ``groups`` with a numeric score on ``scale``: columns ``group``, ``score``,
    ``cluster``."""
    sub = scores.loc[scores[group].isin(list(groups)), [group, scale, cluster]]
    out = pd.DataFrame(
        {
            "group": sub[group].to_numpy(),
            "score": pd.to_numeric(sub[scale], errors="coerce").to_numpy(dtype=float),
            "cluster": sub[cluster].to_numpy(),
        }
    )
    return out[out["score"].notna()].reset_index(drop=True)


def _columns_present(scores: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in scores.columns]
    if missing:
        raise ParameterError(f"columns {missing} not in the scores (have {list(scores.columns)})")


def group_means(
    scores: pd.DataFrame,
    scales: Sequence[str],
    group: str,
    *,
    cluster: str = CLUSTER,
    conf_level: float = 0.95,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Mean score of each scale by group with an interval clustered by ``cluster``.

    Rule: the OLS of the score on one dummy per group (no constant) over the respondents of
    all groups with a score (missing scores excluded), whose coefficients are the group means,
    with inference by :func:`cases.methods.inference.cluster_inference` (CR1 and ``t(G - 1)``,
    or the wild cluster bootstrap with 10 to 29 clusters). Each mean is thus a domain estimate
    of the whole design: every cluster counts in G, also those without respondents of the
    group. ``sd`` is the plain SD (ddof=1), a description of spread. Units: those of the
    scores (e.g. 1-5 agreement codes).

    Returns:
        Columns ``scale, group, n, mean, sd, ci_low, ci_high, n_clusters, method`` (groups in
        ``order`` if given, else sorted).

    Raises:
        ParameterError: ``group``, ``cluster`` or a scale column missing; ``conf_level`` not in
            (0, 1); a group with fewer than 2 scores on a scale; fewer than 10 clusters.
    """
    if not 0 < conf_level < 1:
        raise ParameterError(f"conf_level must be in (0, 1), got {conf_level}")
    import statsmodels.api as sm

    _columns_present(scores, [group, cluster, *scales])
    groups = list(order) if order is not None else sorted(scores[group].dropna().unique())
    rows = []
    for scale in scales:
        sub = _scored(scores, scale, group, cluster, groups)
        for g in groups:
            _finite_values(sub.loc[sub["group"] == g, "score"], f"scale {scale!r}, {g!r}")
        dummies = pd.DataFrame({str(g): (sub["group"] == g).astype(float) for g in groups})
        tidy = inference.cluster_inference(
            sm.OLS(sub["score"], dummies),
            sub["cluster"].to_numpy(),
            conf_level=conf_level,
            n_boot=WILD_BOOT,
            seed=WILD_SEED,
        ).set_index("term")
        for g in groups:
            r = tidy.loc[str(g)]
            x = sub.loc[sub["group"] == g, "score"]
            rows.append(
                {
                    "scale": scale,
                    "group": g,
                    "n": int(x.size),
                    "mean": float(r["estimate"]),
                    "sd": float(x.std(ddof=1)),
                    "ci_low": float(r["conf_low"]),
                    "ci_high": float(r["conf_high"]),
                    "n_clusters": int(r["n_clusters"]),
                    "method": str(r["method"]),
                }
            )
    return pd.DataFrame(rows)


def group_gap(
    scores: pd.DataFrame,
    scales: Sequence[str],
    group: str,
    focal: Sequence[str],
    reference: Sequence[str],
    *,
    cluster: str = CLUSTER,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Difference in mean score, focal groups (pooled) minus reference groups (pooled), with
    inference clustered by ``cluster``.

    Rule: the OLS of the score on a constant and a focal dummy over the respondents of both
    sides, ``d = mean_f - mean_r`` (the dummy's coefficient), by
    :func:`cases.methods.inference.clustered_ols`: CR1 standard error (small-sample factor
    ``G/(G-1) (N-1)/(N-K)``) with ``t(G - 1)``, and with 10 to 29 clusters the wild cluster
    bootstrap p-value and interval (Webb weights, :data:`WILD_BOOT` replications). Units: score
    points.

    Returns:
        Columns ``scale, n_focal, n_reference, mean_focal, mean_reference, gap, se, ci_low,
        ci_high, p, n_clusters, method``.

    Raises:
        ParameterError: a column missing; focal and reference overlapping or empty; fewer than
            two scores on either side; fewer than 10 clusters.
    """
    if not focal or not reference or set(focal) & set(reference):
        raise ParameterError(
            f"focal {list(focal)} and reference {list(reference)} must be non-empty and disjoint"
        )
    _columns_present(scores, [group, cluster, *scales])
    rows = []
    for scale in scales:
        sub = _scored(scores, scale, group, cluster, [*focal, *reference])
        is_focal = sub["group"].isin(list(focal))
        a = _finite_values(sub.loc[is_focal, "score"], f"{scale!r} focal")
        b = _finite_values(sub.loc[~is_focal, "score"], f"{scale!r} ref")
        frame = pd.DataFrame(
            {"score": sub["score"], "focal": is_focal.astype(float), "cluster": sub["cluster"]}
        )
        r = inference.clustered_ols(
            frame,
            "score",
            ["focal"],
            "cluster",
            conf_level=conf_level,
            n_boot=WILD_BOOT,
            seed=WILD_SEED,
        ).iloc[0]
        rows.append(
            {
                "scale": scale,
                "n_focal": int(a.size),
                "n_reference": int(b.size),
                "mean_focal": float(a.mean()),
                "mean_reference": float(b.mean()),
                "gap": float(r["estimate"]),
                "se": float(r["std_error"]),
                "ci_low": float(r["conf_low"]),
                "ci_high": float(r["conf_high"]),
                "p": float(r["p_value"]),
                "n_clusters": int(r["n_clusters"]),
                "method": str(r["method"]),
            }
        )
    return pd.DataFrame(rows)


def annual_log_growth(
    long: pd.DataFrame,
    *,
    id_col: str = "household_id",
    year_col: str = "year",
    income_col: str = "income_per_capita",
) -> pd.DataFrame:
    """Yearly log growth of income per unit between its first and last observed year.

    Rule: ``g_i = (ln y_i,last - ln y_i,first) / (last - first)`` (log points per year; 0.03 is
    about 3% a year), with first and last the earliest and latest year observed for the unit.

    Returns:
        Columns ``<id_col>, first_year, last_year, growth`` (one row per unit).

    Raises:
        ParameterError: a column missing.
        DataValidationError: a non-positive or missing income (row named), a unit observed in a
            single year, or a duplicated (unit, year).
    """
    missing = [c for c in (id_col, year_col, income_col) if c not in long.columns]
    if missing:
        raise ParameterError(f"columns {missing} not in the income table")
    inc = pd.to_numeric(long[income_col], errors="coerce")
    bad = long.index[~(inc > 0)]
    if len(bad):
        raise DataValidationError(
            "income table",
            [
                f"column {income_col!r}: {len(bad)} missing or non-positive value(s), "
                f"first at row {bad[0]!r} ({long.loc[bad[0], income_col]!r}); "
                "log growth needs y > 0"
            ],
        )
    dup = long.duplicated([id_col, year_col])
    if dup.any():
        first = long.loc[dup, [id_col, year_col]].iloc[0].tolist()
        raise DataValidationError("income table", [f"duplicated ({id_col}, {year_col}): {first}"])
    frame = pd.DataFrame({"id": long[id_col], "year": long[year_col], "log_y": np.log(inc)})
    frame = frame.sort_values(["id", "year"], kind="stable")
    grouped = frame.groupby("id", sort=True)
    out = pd.DataFrame(
        {
            "first_year": grouped["year"].first(),
            "last_year": grouped["year"].last(),
            "first": grouped["log_y"].first(),
            "last": grouped["log_y"].last(),
        }
    )
    single = out.index[out["first_year"] == out["last_year"]]
    if len(single):
        raise DataValidationError(
            "income table", [f"{id_col} {single[0]!r}: observed in one year only; no growth"]
        )
    out["growth"] = (out["last"] - out["first"]) / (out["last_year"] - out["first_year"])
    out = out.drop(columns=["first", "last"]).reset_index().rename(columns={"id": id_col})
    return out


def ols_table(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    cluster: str = CLUSTER,
    controls: Sequence[str] = (),
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """OLS with inference clustered by ``cluster``, as a tidy table.

    Model: ``y = a + x'b + c'w + e``, fitted by statsmodels ``OLS``; inference by
    :func:`cases.methods.inference.cluster_inference`: CR1 standard errors with ``t(G - 1)``,
    and with 10 to 29 clusters wild cluster bootstrap p-values and intervals (Webb weights,
    :data:`WILD_BOOT` replications; Cameron, Gelbach and Miller 2008). Categorical controls are
    dummy-coded (first level omitted). Rows with a missing value in a used column are excluded
    (count in ``attrs["n_dropped"]``).

    Returns:
        Columns ``term, estimate, se, ci_low, ci_high, t, p, n_clusters, method, warning`` for
        the intercept, predictors and controls (``t`` = estimate / CR1 SE); ``attrs``: ``n``,
        ``n_dropped``, ``r2``, ``n_clusters``.

    Raises:
        ParameterError: a column missing, too few complete rows or fewer than 10 clusters.
    """
    import statsmodels.api as sm

    cols = [outcome, *predictors, *controls, cluster]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ParameterError(f"columns {missing} not in data")
    sub = data[cols].dropna()
    exog = pd.get_dummies(sub[[*predictors, *controls]], drop_first=True, dtype=float)
    exog = sm.add_constant(exog, has_constant="add")
    if len(sub) < exog.shape[1] + 3:
        raise ParameterError(f"too few complete rows ({len(sub)}) for {exog.shape[1]} terms")
    tidy = inference.cluster_inference(
        sm.OLS(sub[outcome].astype(float), exog),
        sub[cluster].to_numpy(),
        conf_level=conf_level,
        n_boot=WILD_BOOT,
        seed=WILD_SEED,
    )
    table = report.estimate_table(tidy, "t")
    fit = tidy.attrs["fit"]
    table.attrs.update(
        n=len(sub),
        n_dropped=len(data) - len(sub),
        r2=float(fit.rsquared),
        n_clusters=int(tidy["n_clusters"].iloc[0]),
    )
    return table


# --------------------------------------------------------------------------------------------
# Case designs (data/settings/survey_analysis.yaml)
# --------------------------------------------------------------------------------------------
class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Group(_Settings):
    """A group of respondents: its code in the data and its label for readers."""

    key: str
    label: str


class Outcome(_Settings):
    """An outcome of the model: data column, glue stem of its numbers, label for readers, and
    the planted effect of ``data/synth/<case>.yaml`` that holds its true slope(s), if any."""

    column: str
    key: str
    label: str
    planted: str | None = None


class Income(_Settings):
    """Incomes per capita of the motivation cases: a long table (``household_id, year,
    income_per_capita``), or, with ``wide``, one column per year; ``years`` as the text names
    them (first, last)."""

    table: str
    wide: dict[int, str] | None = None
    years: tuple[int, int]


class PlantedGap(_Settings):
    """Which story the text tells about the planted group difference (simulated data only).

    - ``role_shift``: latent shift by role (``effect``: role -> SD), pooled over the focal
      roles with the simulation's weights, times the mean item loading;
    - ``facet_shift``: latent shift of each motivation facet (``effect``: facet -> SD);
    - ``dependence_shift``: a shift of dependence alone (``effect``: SD), times ``loading``;
    - ``common_ability``: no planted gap, a shared ability factor; ``none``: nothing planted.
    """

    story: Literal["role_shift", "facet_shift", "dependence_shift", "common_ability", "none"]
    effect: str | None = None
    loading: float | None = None

    @model_validator(mode="after")
    def _complete(self) -> PlantedGap:
        if self.story in ("role_shift", "facet_shift", "dependence_shift") and not self.effect:
            raise ValueError(f"story {self.story!r} needs the planted effect it reads (effect)")
        if self.story == "dependence_shift" and self.loading is None:
            raise ValueError("story 'dependence_shift' needs the item loading (loading)")
        return self


class ClaimRow(_Settings):
    """A row of the claim-evidence table: its passages in the text template (``claim_<row>``,
    ``claim_<row>_needs``) and the planted effect whose stated claim it restates (without one,
    the template's ``claim_<row>_reported``)."""

    row: Literal[
        "role_gap", "effectiveness", "satisfaction", "confidence", "growth", "motivation_gap"
    ]
    claim: str | None = None


class Design(_Settings):
    """How a case's questionnaire is analysed.

    ``group_col`` names the grouping of respondents (``role``, or ``social_security``: coverage
    from the household table, 1 = covered); ``focal``/``reference`` the groups whose gap is
    estimated. ``outcomes`` are ordinal items for ordered logits (``governance``,
    ``interaction``) or the one growth outcome (``motivation``, with its ``income`` table).
    """

    kind: Literal["governance", "interaction", "motivation"]
    instrument: str
    table: str
    scales: tuple[str, ...] = Field(min_length=1)
    group_col: Literal["role", "social_security"]
    groups: tuple[Group, ...] = Field(min_length=2)
    focal: tuple[str, ...] = Field(min_length=1)
    reference: tuple[str, ...] = Field(min_length=1)
    focal_label: str
    reference_label: str
    outcomes: tuple[Outcome, ...] = Field(min_length=1)
    income: Income | None = None
    planted_gap: PlantedGap
    claims: tuple[ClaimRow, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Design:
        keys = [g.key for g in self.groups]
        unknown = [g for g in (*self.focal, *self.reference) if g not in keys]
        if unknown:
            raise ValueError(f"focal/reference group(s) {unknown} not among groups {keys}")
        if set(self.focal) & set(self.reference):
            raise ValueError("focal and reference groups overlap")
        if (self.kind == "motivation") != (self.income is not None):
            raise ValueError("an income table is needed for, and only for, kind 'motivation'")
        if self.kind == "motivation" and [o.key for o in self.outcomes] != ["growth"]:
            raise ValueError("kind 'motivation' has the one outcome with key 'growth'")
        return self

    @property
    def group_labels(self) -> dict[str, str]:
        """Group code -> label, in display order."""
        return {g.key: g.label for g in self.groups}

    @property
    def outcome_labels(self) -> dict[str, str]:
        """Outcome column -> label."""
        return {o.column: o.label for o in self.outcomes}


class ClaimsColumns(_Settings):
    reported: str
    shows: str
    needs: str


class QuestionnaireColumns(_Settings):
    """Headers and fixed words of the questionnaire tables (:func:`questionnaire_tables`):
    the item table's columns (``number`` … ``answers``), the word marking a reverse-keyed item
    (``reverse_mark``), the answer-code table's columns (``code``, ``label_zh``, ``label_en``)
    and the source lines under both tables (``source`` for the compendium's instruments,
    ``source_own`` for an author's own)."""

    number: str
    scale: str
    zh: str
    en: str
    reverse: str
    answers: str
    reverse_mark: str
    code: str
    label_zh: str
    label_en: str
    source: str
    source_own: str


class SurveySettings(_Settings):
    """``data/settings/survey_analysis.yaml``: designs by case slug (``scale_sets`` and
    ``growth`` are shared definitions the designs refer to by YAML anchor)."""

    scale_sets: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    growth: Outcome | None = None
    claims_columns: ClaimsColumns
    questionnaire_columns: QuestionnaireColumns
    designs: dict[str, Design]


@cache
def settings() -> SurveySettings:
    """The validated settings file (read once).

    Raises:
        DataValidationError: the file is missing or a field is wrong (file and field named).
    """
    return load_yaml(SurveySettings, SETTINGS_FILE)


def design(case: str) -> Design:
    """The survey design of ``case``.

    Raises:
        ParameterError: ``case`` does not run this analysis (known cases listed).
    """
    designs = settings().designs
    if case not in designs:
        raise ParameterError(
            f"survey_analysis: case {case!r} has no survey design; known: {sorted(designs)}"
        )
    return designs[case]


def instrument_problems(case: str, inst: survey.Instrument) -> list[str]:
    """What keeps an author's instrument from running this case's analysis, as messages naming
    the instrument's field: the groups compared come from the case's settings and are read from
    the ``role`` column, so the instrument's ``roles`` must list them (with ``[]`` the column is
    not checked, and a group spelled otherwise would silently drop out).

    Raises:
        ParameterError: ``case`` does not run this analysis.
    """
    plan = design(case)
    if plan.group_col != "role":
        return []
    missing = [g for g in (*plan.focal, *plan.reference) if g not in inst.roles]
    if not missing:
        return []
    return [
        f"roles: the survey analysis of {case} compares {', '.join(plan.focal)} with "
        f"{', '.join(plan.reference)} (data/settings/survey_analysis.yaml), read from the role "
        f"column; list {', '.join(missing)} under roles and use these codes in your data "
        f"(roles now: {', '.join(inst.roles) or 'none'})"
    ]


# --------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------
@dataclass
class SurveyResults:
    """The estimates of one case's survey analysis (see :func:`analyse`).

    ``model`` has one row per term and outcome (column ``outcome``: the outcome's data column,
    ``growth`` for the motivation cases); ``model_frame`` is the data it was fitted on;
    ``shown_groups`` the groups with at least two respondents, in display order.
    """

    case: str
    design: Design
    instrument: survey.Instrument
    simulated: bool
    reliability: pd.DataFrame
    scores: pd.DataFrame
    means: pd.DataFrame
    gap: pd.DataFrame
    model: pd.DataFrame
    model_frame: pd.DataFrame
    shown_groups: list[str]
    scales: tuple[str, ...] = ()
    own_instrument: bool = False
    has_model: bool = True


def _label(instrument: survey.Instrument, scale: str) -> str:
    return instrument.scale(scale).label_en


def _groups(design: Design, data: synth.SimulatedData) -> pd.Series:
    """Group code of every respondent of the design's survey table."""
    table = data[design.table]
    if design.group_col == "role":
        return table["role"].astype(object)
    # social_security: coverage by dibao or tekun, from the household table
    hh = data["households"].set_index("household_id")["social_security"]
    unknown = ~table["household_id"].isin(hh.index)
    if unknown.any():
        first = table.loc[unknown, "household_id"].iloc[0]
        raise DataValidationError(
            design.table, [f"household_id {first!r} is not in the households table"]
        )
    covered = table["household_id"].map(hh)
    return pd.Series(np.where(covered == 1, "covered", "not_covered"), index=table.index)


def _villages(design: Design, data: synth.SimulatedData) -> pd.Series:
    """The village (:data:`CLUSTER`) of every respondent of the design's survey table: its own
    column, or else the household's village from the ``households`` table through
    ``household_id``.

    Raises:
        DataValidationError: neither the survey table nor a ``households`` table holds the
            village, or a respondent's household or village is unknown. Without the village
            the page reports no interval at all rather than one that ignores the clustering.
    """
    table = data[design.table]
    refusal = (
        "respondents sit in villages, so every interval of the survey page is clustered by "
        "village; without the village no clustered interval can be computed, and none that "
        "ignores the clustering is reported"
    )
    if CLUSTER in table.columns:
        village = table[CLUSTER]
    else:
        hh = data.tables.get("households")
        if hh is None or CLUSTER not in hh.columns or "household_id" not in hh.columns:
            raise DataValidationError(
                design.table,
                [
                    f"no column {CLUSTER!r}, and no households table with {CLUSTER!r} to find "
                    f"it through household_id: {refusal}"
                ],
            )
        of = pd.Series(hh[CLUSTER].to_numpy(), index=hh["household_id"].to_numpy())
        if of.index.duplicated().any():
            dup = of.index[of.index.duplicated()][0]
            raise DataValidationError("households", [f"household_id {dup!r} appears twice"])
        village = table["household_id"].map(of)
    if village.isna().any():
        first = table.loc[village.isna(), "household_id"].iloc[0]
        raise DataValidationError(
            design.table, [f"household_id {first!r}: no {CLUSTER!r} found; {refusal}"]
        )
    return village


def _incomes_long(income: Income, data: synth.SimulatedData) -> pd.DataFrame:
    """``household_id, year, income_per_capita`` from the design's income table."""
    table = data[income.table]
    if income.wide is None:
        return table[["household_id", "year", "income_per_capita"]]
    return pd.concat(
        [
            pd.DataFrame(
                {"household_id": table["household_id"], "year": year, "income_per_capita": table[c]}
            )
            for year, c in income.wide.items()
        ],
        ignore_index=True,
    )


def _model_possible(plan: Design, instrument: survey.Instrument, data: synth.SimulatedData) -> bool:
    """Whether the design's outcome model can run with ``instrument``: every scale it uses
    (e.g. ``willingness`` for the growth model) is a scale of the instrument, and its outcome
    columns (or its income table) are in the data."""
    ids = {s.id for s in instrument.scales}
    if not set(plan.scales) <= ids:
        return False
    if plan.income is not None:
        return plan.income.table in data.tables
    return all(o.column in data[plan.table].columns for o in plan.outcomes)


def analyse(
    case: str,
    data: synth.SimulatedData,
    *,
    conf_level: float = 0.95,
    instrument: str = "",
) -> SurveyResults:
    """The survey analysis of ``case`` on ``data`` (simulated or a researcher's own).

    Steps: scale scores (:func:`cases.methods.survey.scale_scores`, half rule), reliability of
    every multi-item scale (alpha and omega, :func:`cases.methods.survey.reliability_table`),
    mean scores by group (:func:`group_means`) and the focal-minus-reference gap
    (:func:`group_gap`), then the outcome model of the design's kind: ordered logit(s) of the
    ordinal outcome(s) on the scale scores (:func:`cases.methods.survey.ordered_logit`,
    log-odds per score point) or OLS of yearly log-income growth on the three motivation facets
    with group dummies as controls when there is more than one group (:func:`ols_table`, log
    points per year per score point). Every interval is clustered by the respondent's village
    (:func:`_villages`, module docstring).

    ``instrument`` (a path to an instrument YAML, :mod:`cases.data.instruments`; empty for the
    case's own questionnaire) replaces the case's questionnaire: reliability is reported for
    every multi-item scale of it, the group comparison is made on each of its scales of kind
    ``scale`` (groups, focal and reference still from the case's settings, read from the
    ``role`` column), and the outcome model only when every scale it uses is one of the
    instrument's (:func:`_model_possible`; ``has_model`` False otherwise, ``model`` empty).

    Raises:
        ParameterError: ``case`` does not run this analysis (known cases listed), or fewer than
            10 villages (the number named).
        DataValidationError: a table or column missing, codes outside their range, or no
            village for the respondents.
    """
    plan = design(case)
    simulated = bool(data.meta.get("simulated", True))
    if plan.table not in data.tables:
        raise DataValidationError(case, [f"table {plan.table!r} not found"])
    own = bool(str(instrument).strip())
    inst = survey.load_instrument(instrument if own else plan.instrument)
    if own and (problems := instrument_problems(case, inst)):
        raise DataValidationError(str(instrument), problems)
    scales = tuple(s.id for s in inst.scales if s.kind == "scale") if own else tuple(plan.scales)
    if not scales:
        raise ParameterError(f"instrument {inst.id!r}: no scale of kind 'scale' to compare")
    has_model = _model_possible(plan, inst, data) if own else True
    table = data[plan.table]
    scores = survey.scale_scores(table, inst)
    scores.insert(0, "group", _groups(plan, data))
    scores.insert(0, "household_id", table["household_id"])
    scores.insert(1, CLUSTER, _villages(plan, data).to_numpy())
    reliability = survey.reliability_table(table, inst)
    shown = [g.key for g in plan.groups if (scores["group"] == g.key).sum() >= 2]
    for side in (plan.focal, plan.reference):
        if not scores["group"].isin(list(side)).any():
            found = ", ".join(map(str, sorted(scores["group"].dropna().unique()))) or "none"
            raise DataValidationError(
                plan.table,
                [
                    f"column {plan.group_col!r}: no respondent in {', '.join(side)}, which the "
                    f"analysis compares (values found: {found})"
                ],
            )
    means = group_means(scores, scales, "group", conf_level=conf_level, order=shown)
    gap = group_gap(scores, scales, "group", plan.focal, plan.reference, conf_level=conf_level)
    if not has_model:
        frame = scores
        model = pd.DataFrame(
            columns=["outcome", "term", "estimate", "se", "ci_low", "ci_high", "t", "p"]
        )
    elif plan.income is not None:
        growth = annual_log_growth(_incomes_long(plan.income, data))
        frame = scores.merge(growth, on="household_id", how="left", validate="many_to_one")
        controls = ["group"] if len(frame["group"].unique()) > 1 else []
        facets = list(plan.scales)
        model = ols_table(frame, "growth", facets, controls=controls, conf_level=conf_level)
        model.insert(0, "outcome", "growth")
        model["n"] = model.attrs["n"]
    else:
        frame = pd.concat([scores, table[[o.column for o in plan.outcomes]]], axis=1)
        parts = []
        for outcome in plan.outcomes:
            fit = survey.ordered_logit(
                frame, outcome.column, list(plan.scales), conf_level=conf_level, cluster=CLUSTER
            )
            attrs = dict(fit.attrs)
            # Clustered: the statistic is referred to t(G - 1), so it is named t, not z.
            fit = fit[fit["term"].isin(plan.scales)].rename(columns={"z": "t"})
            fit.insert(0, "outcome", outcome.column)
            fit["n"] = attrs["n"]
            fit["n_clusters"] = attrs["n_clusters"]
            fit["method"] = attrs["method"]
            fit["warning"] = attrs["warning"]
            parts.append(fit)
        model = pd.concat(parts, ignore_index=True)
    return SurveyResults(
        case=case,
        design=plan,
        instrument=inst,
        simulated=simulated,
        reliability=reliability,
        scores=scores,
        means=means,
        gap=gap,
        model=model,
        model_frame=frame,
        shown_groups=shown,
        scales=scales,
        own_instrument=own,
        has_model=has_model,
    )


# --------------------------------------------------------------------------------------------
# The page: numbers and facts
# --------------------------------------------------------------------------------------------
def _put(page: Page, key: str, value: Any) -> Any:
    """Record a number of the page (numpy scalars as Python numbers); returns it.

    Raises:
        ValueError: the value is not finite, or ``key`` already holds a different value.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"number {key!r} is not finite: {value!r}")
    if key in page.numbers and page.numbers[key] != value:
        raise ValueError(f"number {key!r} given two values: {page.numbers[key]!r}, {value!r}")
    page.numbers[key] = value
    return value


def _planted(meta: Mapping[str, Any], name: str | None) -> Any:
    return (meta.get("planted_effects") or {}).get(name) if name else None


def _excludes_zero(r: pd.Series) -> bool:
    return bool(r["ci_low"] > 0 or r["ci_high"] < 0)


def _sample(page: Page, res: SurveyResults) -> None:
    """Respondents in all and by group (groups with nobody left out)."""
    counts = res.scores["group"].value_counts()
    _put(page, "n_respondents", len(res.scores))
    groups = []
    for g in res.design.groups:
        n = int(counts.get(g.key, 0))
        if n > 0:
            groups.append({"label": g.label, "n": _put(page, f"n_{g.key}", n)})
    page.facts["respondent_groups"] = groups
    page.facts["instrument"] = res.instrument.id if res.own_instrument else res.design.instrument
    page.facts["instrument_title"] = res.instrument.title_en


def _reliability(page: Page, res: SurveyResults) -> None:
    """Lowest and highest alpha (with their scales), omega range, scales below 0.7."""
    rel = res.reliability
    lo = rel.loc[rel["alpha"].idxmin()]
    hi = rel.loc[rel["alpha"].idxmax()]
    _put(page, "n_scales", len(rel))
    _put(page, "alpha_min", float(lo["alpha"]))
    _put(page, "alpha_max", float(hi["alpha"]))
    page.facts["alpha_min_scale"] = lo["label_en"]
    page.facts["alpha_max_scale"] = hi["label_en"]
    omega = rel["omega"].dropna()
    page.facts["has_omega"] = bool(len(omega))
    if len(omega):
        _put(page, "omega_min", float(omega.min()))
        _put(page, "omega_max", float(omega.max()))
    below = int((rel["alpha"] < 0.7).sum())
    page.facts["any_alpha_below_07"] = below > 0
    if below:
        _put(page, "n_alpha_below_07", below)


def _group_gap(page: Page, res: SurveyResults, meta: Mapping[str, Any]) -> None:
    """Signs and intervals of the gaps, the largest one, and the planted difference."""
    plan, gap = res.design, res.gap
    big = gap.loc[gap["gap"].abs().idxmax()]
    _put(page, "gap_n_positive", int((gap["gap"] > 0).sum()))
    _put(page, "gap_n_scales", len(gap))
    _put(page, "gap_n_excluding_zero", int(gap.apply(_excludes_zero, axis=1).sum()))
    _put(page, "gap_largest", float(big["gap"]))
    _put(page, "gap_largest_ci_low", float(big["ci_low"]))
    _put(page, "gap_largest_ci_high", float(big["ci_high"]))
    page.facts["gap_largest_scale"] = _label(res.instrument, big["scale"])
    page.facts["focal_label"] = plan.focal_label
    page.facts["reference_label"] = plan.reference_label
    page.facts["n_shown_groups"] = len(res.shown_groups)
    page.facts["planted_gap"] = plan.planted_gap.story
    if res.simulated:
        _planted_gap(page, plan, meta)


#: Glue names of the planted role shifts (story ``role_shift``).
_ROLE_SHIFT_KEYS = {
    "township_official": "planted_shift_township",
    "first_secretary": "planted_shift_secretary",
    "village_official": "planted_shift_village",
}


def _planted_gap(page: Page, plan: Design, meta: Mapping[str, Any]) -> None:
    """Numbers of the planted group difference, by the design's story.

    - ``role_shift``: each official role's latent shift, and the expected gap in score points,
      mean item loading x (focal shifts pooled with the simulation's respondents per poor
      respondent - mean reference shift);
    - ``facet_shift``: each facet's latent shift;
    - ``dependence_shift``: the latent shift of dependence and loading x shift in points.
    """
    story = plan.planted_gap
    shift = _planted(meta, story.effect)
    if story.story == "role_shift":
        shift = shift or {}
        params = meta["parameters"]
        lam = float(np.mean(params["item_loadings"]))
        weights = {r: params["officials_per_poor_respondent"][r] for r in plan.focal}
        pooled = sum(shift[r] * w for r, w in weights.items()) / sum(weights.values())
        reference = sum(shift[r] for r in plan.reference) / len(plan.reference)
        for role in plan.focal:
            _put(page, _ROLE_SHIFT_KEYS[role], shift[role])
        _put(page, "planted_gap_expected", lam * (pooled - reference))
    elif story.story == "facet_shift":
        for facet, value in (shift or {}).items():
            _put(page, f"planted_shift_{facet}", value)
    elif story.story == "dependence_shift":
        _put(page, "planted_shift_dependence", shift)
        _put(page, "planted_gap_expected", story.loading * shift)


def _growth_model(page: Page, res: SurveyResults, meta: Mapping[str, Any]) -> None:
    """The willingness slope of the growth regression, and the planted slope if any."""
    model = res.model
    will = model[model["term"] == "willingness"].iloc[0]
    page.facts["growth_group_control"] = bool(model["term"].str.startswith("group_").any())
    page.facts["income_first_year"], page.facts["income_last_year"] = res.design.income.years
    _put(page, "model_n", int(will["n"]))
    _put(page, "coef_growth_willingness", float(will["estimate"]))
    _put(page, "coef_growth_willingness_ci_low", float(will["ci_low"]))
    _put(page, "coef_growth_willingness_ci_high", float(will["ci_high"]))
    kappa = _planted(meta, res.design.outcomes[0].planted) if res.simulated else None
    page.facts["growth_planted"] = kappa is not None
    if kappa is not None:
        _put(page, "planted_growth_per_point", kappa)


def _logit_models(page: Page, res: SurveyResults, meta: Mapping[str, Any]) -> None:
    """Per ordered logit: the largest coefficient and how many intervals exclude zero; with
    simulated data, the planted slopes and how many 95 % intervals miss them."""
    model, instrument = res.model, res.instrument
    fits, slopes = [], []
    for outcome in res.design.outcomes:
        sub = model[model["outcome"] == outcome.column]
        top = sub.loc[sub["estimate"].idxmax()]
        o = outcome.key
        fits.append(
            {
                "column": outcome.column,
                "label": outcome.label,
                "n_terms": len(sub),
                "top_scale": _label(instrument, top["term"]),
                "top": _put(page, f"{o}_top", float(top["estimate"])),
                "ci_low": _put(page, f"{o}_top_ci_low", float(top["ci_low"])),
                "ci_high": _put(page, f"{o}_top_ci_high", float(top["ci_high"])),
                "odds_ratio": _put(page, f"{o}_top_or", float(np.exp(top["estimate"]))),
                "n_excluding_zero": _put(
                    page, f"{o}_n_excluding_zero", int(sub.apply(_excludes_zero, axis=1).sum())
                ),
            }
        )
        planted = _planted(meta, outcome.planted) if res.simulated else None
        if not planted:
            continue
        name = outcome.planted
        terms = sub.set_index("term")
        missed = [
            t
            for t, v in planted.items()
            if t in terms.index and not terms.loc[t, "ci_low"] <= v <= terms.loc[t, "ci_high"]
        ]
        slope = {
            "label": outcome.label,
            "largest_scale": _label(instrument, max(planted, key=planted.get)),
            "min": _put(page, f"planted_{name}_min", min(planted.values())),
            "max": _put(page, f"planted_{name}_max", max(planted.values())),
            "n_outside": _put(page, f"planted_{name}_n_outside", len(missed)),
            "n": _put(page, f"planted_{name}_n", len(planted)),
            "missed_scales": [_label(instrument, t) for t in missed],
        }
        if missed:
            slope["p_any_miss"] = _put(page, f"planted_{name}_p_any_miss", 1 - 0.95 ** len(planted))
        slopes.append(slope)
    page.facts["logit_fits"] = fits
    page.facts["planted_slopes"] = slopes


def _inference(page: Page, res: SurveyResults) -> None:
    """Facts on how the intervals were computed, for the text: villages of the respondents
    (``n_villages``), and for the means, the gaps and the model the number of clusters, whether
    the wild cluster bootstrap gave the intervals (``*_wild``) and the warnings readers must see
    (``model_warnings``, distinct, in outcome order)."""
    page.facts["n_villages"] = int(res.scores[CLUSTER].nunique())
    page.facts["wild_boot"] = WILD_BOOT
    tables = (("means", res.means), ("gap", res.gap), ("model", res.model))
    for name, table in tables if res.has_model else tables[:2]:
        page.facts[f"{name}_n_clusters"] = int(table["n_clusters"].max())
        page.facts[f"{name}_wild"] = bool(table["method"].str.startswith("wild").any())
    warnings = res.model["warning"] if "warning" in res.model else pd.Series(dtype=str)
    page.facts["model_warnings"] = [w for w in dict.fromkeys(warnings) if w]


def _record_estimates(page: Page, res: SurveyResults) -> None:
    """Every main estimate with its SE and interval, for the results manifest."""
    for _, r in res.reliability.iterrows():
        _put(page, f"alpha_{r['scale']}", float(r["alpha"]))
        if pd.notna(r["omega"]):
            _put(page, f"omega_{r['scale']}", float(r["omega"]))
    columns = (("se", "_se"), ("ci_low", "_ci_low"), ("ci_high", "_ci_high"))
    for _, r in res.gap.iterrows():
        _put(page, f"gap_{r['scale']}", float(r["gap"]))
        for col, suffix in columns:
            _put(page, f"gap_{r['scale']}{suffix}", float(r[col]))
    stems = {o.column: o.key for o in res.design.outcomes}
    for _, r in res.model.iterrows():
        if r["term"] == "const":
            continue
        stem = f"coef_{stems[r['outcome']]}_{r['term']}"
        _put(page, stem, float(r["estimate"]))
        for col, suffix in columns:
            _put(page, f"{stem}{suffix}", float(r[col]))


def _data_format(page: Page, case: str, plan: Design, instrument: str = "") -> None:
    """The tables a researcher's folder needs: name, first six columns, how many more (with
    ``instrument``, the survey table holds that instrument's items)."""
    if str(instrument).strip():
        schema = synth.folder_spec(case, instrument).tables
    else:
        schema = synth.TABLE_SCHEMAS[case]
    names = [plan.table] + ([plan.income.table] if plan.income else [])
    tables = []
    for name in names:
        columns = [c for c, *_ in schema[name]]
        tables.append({"name": name, "columns": columns[:6], "n_more": max(len(columns) - 6, 0)})
    page.facts["data_tables"] = tables


def _restate(case: str, effect: str) -> str:
    """The claim stated with a planted effect of ``data/synth/<case>.yaml``, as a sentence."""
    text = str(synth.load_params(case)["planted_effects"][effect]["claim"]).strip()
    return text[0].upper() + text[1:] + "."


def _claims(page: Page, res: SurveyResults) -> None:
    """Rows of the claim-evidence table, the restated claims, and every gap for its cells."""
    plan = res.design
    rows = () if res.own_instrument else plan.claims
    page.facts["claim_rows"] = [row.row for row in rows]
    page.facts["claims_restated"] = {
        row.row: _restate(res.case, row.claim) if row.claim else None for row in rows
    }
    gap = res.gap.set_index("scale")
    page.facts["gaps"] = [
        {
            "scale": _label(res.instrument, s),
            "gap": float(gap.loc[s, "gap"]),
            "ci_low": float(gap.loc[s, "ci_low"]),
            "ci_high": float(gap.loc[s, "ci_high"]),
        }
        for s in res.scales
    ]


def build(
    case: str,
    data: synth.SimulatedData,
    *,
    conf_level: float = 0.95,
    source: str | None = None,
    instrument: str = "",
) -> Page:
    """The survey-analysis page of ``case``: numbers, facts, tables and figures.

    The estimates are those of :func:`analyse`. Numbers (glued as ``survey_<name>``; floats
    verified to a relative tolerance of 1e-6): respondents by group, the alpha and omega range,
    the gap summary, the outcome model's headline coefficients, planted values (simulated data
    only) and every main estimate with its SE and interval (``alpha_<scale>``,
    ``gap_<scale>[_se|_ci_low|_ci_high]``, ``coef_<outcome>_<term>[...]``). Facts: labels,
    which passages apply (``kind``, ``simulated``, ``planted_gap``, ``claim_rows``...), and
    per-outcome records for the text template. Tables: ``reliability``, ``means``, ``gap`` and
    ``model`` for display (:func:`display_tables`); the claim-evidence table needs the rendered
    text (:func:`claims_table`). ``source`` names field data in the figures' provenance line
    (None for simulated data). ``instrument``: an author's own questionnaire (see
    :func:`analyse`); facts ``own_instrument`` and ``has_model`` tell the text which parts
    apply (no claim rows with an own instrument: the thesis's claims are about its own).

    Raises:
        ParameterError: ``case`` does not run this analysis (known cases listed).
        DataValidationError: a table or column missing, or codes outside their range.
    """
    res = analyse(case, data, conf_level=conf_level, instrument=instrument)
    page = Page()
    page.facts.update(case=case, kind=res.design.kind, simulated=res.simulated)
    _sample(page, res)
    _reliability(page, res)
    _group_gap(page, res, data.meta)
    page.facts["own_instrument"] = res.own_instrument
    page.facts["has_model"] = res.has_model
    page.facts["model_scales"] = [str(s) for s in res.design.scales]
    if not res.has_model:
        page.facts.update(model_wild=False, model_warnings=[], logit_fits=[], planted_slopes=[])
    elif res.design.kind == "motivation":
        _growth_model(page, res, data.meta)
    else:
        _logit_models(page, res, data.meta)
    _inference(page, res)
    _record_estimates(page, res)
    _data_format(page, case, res.design, instrument)
    _claims(page, res)
    page.tolerances = {k: 1e-6 for k, v in page.numbers.items() if isinstance(v, float)}
    page.tables.update(display_tables(res))
    page.tables["questionnaire"], page.tables["answers"] = questionnaire_tables(res.instrument)
    page.facts["instrument_title_zh"] = res.instrument.title_zh
    cols = settings().questionnaire_columns
    page.facts["questionnaire_source"] = cols.source_own if res.own_instrument else cols.source
    page.figures["groups_fig"] = groups_figure(res, source=source)
    if res.has_model:
        page.figures["model_fig"] = (
            growth_figure(res.model_frame, res.model, simulated=res.simulated, source=source)
            if res.design.kind == "motivation"
            else coefficient_figure(res, source=source)
        )
    return page


def claims_table(page: Page, passages: Mapping[str, str]) -> pd.DataFrame:
    """The claim-evidence table of a built page, from its rendered text: one row per
    ``page.facts["claim_rows"]``; the claim restated from the simulation's YAML (or the
    template's ``claim_<row>_reported``), what this analysis shows (``claim_<row>``) and what
    a test would need (``claim_<row>_needs``); headers from the settings file.

    Raises:
        KeyError: a passage of a listed row is missing from ``passages``.
    """
    columns = settings().claims_columns
    rows = []
    for row in page.facts["claim_rows"]:
        restated = page.facts["claims_restated"][row]
        rows.append(
            {
                columns.reported: restated or passages[f"claim_{row}_reported"],
                columns.shows: passages[f"claim_{row}"],
                columns.needs: passages[f"claim_{row}_needs"],
            }
        )
    return pd.DataFrame(rows, columns=[columns.reported, columns.shows, columns.needs])


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------
def _interval_dots(
    ax: mpl.axes.Axes, frame: pd.DataFrame, column: str, ypos: Any, **style: Any
) -> None:
    """Estimates ``frame[column]`` at heights ``ypos``, each with its interval ``ci_low`` to
    ``ci_high`` as a horizontal error bar (markers of size 5; ``style`` as for ``errorbar``)."""
    estimate = frame[column]
    ax.errorbar(
        estimate,
        ypos,
        xerr=[estimate - frame["ci_low"], frame["ci_high"] - estimate],
        ms=5,
        **style,
    )


def groups_figure(res: SurveyResults, *, source: str | None = None) -> mpl.figure.Figure:
    """Dot plot of mean scores by group (left) and the focal-minus-reference gap (right),
    both with 95% intervals; the group legend under the panels; stamped with the provenance
    line."""
    design = res.design
    labels = [_label(res.instrument, s) for s in res.scales]
    ypos = np.arange(len(res.scales))[::-1]
    fig, (ax1, ax2) = plt.subplots(
        1,
        2,
        figsize=(report.COLUMN_WIDTH_IN, 2.2 + 0.45 * len(labels)),
        sharey=True,
        width_ratios=[3, 2],
    )
    groups = list(dict.fromkeys(res.means["group"]))
    names = design.group_labels
    offsets = np.linspace(-0.25, 0.25, len(groups)) if len(groups) > 1 else [0.0]
    for (g, off), colour in zip(zip(groups, offsets, strict=True), report.PALETTE, strict=False):
        sub = res.means[res.means["group"] == g].set_index("scale").loc[list(res.scales)]
        _interval_dots(
            ax1,
            sub,
            "mean",
            ypos + off,
            fmt="o",
            color=colour,
            label=f"{names[g]} (n = {int(sub['n'].max())})",
        )
    ax1.set_yticks(ypos, labels)
    ax1.set_xlabel("Mean score (item scale)")
    gap = res.gap.set_index("scale").loc[list(res.scales)]
    _interval_dots(ax2, gap, "gap", ypos, fmt="s", color="#000000")
    ax2.axvline(0, color="#888888", lw=1)
    ax2.set_xlabel("Difference (points)")
    ax2.set_title(
        f"{design.focal_label.split(' (')[0].capitalize()}\nminus {design.reference_label}",
        loc="left",
        fontsize=10,
    )
    ax1.set_title("Mean score by group", loc="left", fontsize=10)
    layout.legend_outside(fig, "below", ncols=2 if len(groups) > 2 else None)
    report.label_figure(fig, simulated=res.simulated, source=source)
    return fig


def coefficient_figure(res: SurveyResults, *, source: str | None = None) -> mpl.figure.Figure:
    """Ordered-logit coefficients (log-odds per score point) with 95% intervals, one marker
    colour per outcome; stamped with the provenance line."""
    design = res.design
    labels = [_label(res.instrument, s) for s in design.scales]
    ypos = np.arange(len(design.scales))[::-1]
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 2.0 + 0.4 * len(labels)))
    outcomes = list(design.outcomes)
    offsets = np.linspace(-0.15, 0.15, len(outcomes)) if len(outcomes) > 1 else [0.0]
    for outcome, off, colour in zip(outcomes, offsets, report.PALETTE, strict=False):
        sub = res.model[res.model["outcome"] == outcome.column].set_index("term")
        sub = sub.loc[list(design.scales)]
        _interval_dots(
            ax,
            sub,
            "estimate",
            ypos + off,
            fmt="o",
            color=colour,
            label=outcome.label.capitalize(),
        )
    ax.axvline(0, color="#888888", lw=1)
    ax.set_yticks(ypos, labels)
    ax.set_xlabel("Log-odds per score point (95% interval)")
    # Under the axes, so no coefficient is hidden behind it.
    layout.legend_outside(fig, "below", ncols=1)
    report.label_figure(fig, simulated=res.simulated, source=source)
    return fig


def growth_figure(
    frame: pd.DataFrame,
    model: pd.DataFrame,
    *,
    simulated: bool,
    source: str | None = None,
    bins: int = 8,
) -> mpl.figure.Figure:
    """Binned scatter of yearly log-income growth against the willingness score.

    Households are light dots; black markers are the mean growth within equal-width willingness
    bins (point estimates, bins of fewer than 5 households omitted: an interval that treated the
    households of a bin as independent would ignore their villages); the line is the OLS
    willingness slope through the means, whose clustered interval the page reports.
    """
    sub = frame[["willingness", "growth"]].dropna()
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 4.4))
    ax.scatter(
        sub["willingness"],
        sub["growth"],
        s=6,
        alpha=0.25,
        color=report.PALETTE[0],
        label="Households",
    )
    edges = np.linspace(1, 5, bins + 1)
    cut = pd.cut(sub["willingness"], edges, include_lowest=True)
    stats_by_bin = sub.groupby(cut, observed=True)["growth"].agg(["mean", "size"])
    stats_by_bin = stats_by_bin[stats_by_bin["size"] >= 5]
    mids = np.array([iv.mid for iv in stats_by_bin.index])
    ax.plot(
        mids,
        stats_by_bin["mean"],
        "o",
        color="#000000",
        label="Mean within willingness bin",
    )
    b = float(model.loc[model["term"] == "willingness", "estimate"].iloc[0])
    xs = np.linspace(1, 5, 50)
    x0, y0 = float(sub["willingness"].mean()), float(sub["growth"].mean())
    ax.plot(
        xs, y0 + b * (xs - x0), color=report.PALETTE[3], lw=2, label=f"OLS slope {b:+.3f} per point"
    )
    ax.set_xlabel("Willingness score (1-5)")
    ax.set_ylabel("Yearly log-income growth")
    lo, hi = np.nanpercentile(sub["growth"], [1, 99])
    pad = 0.1 * (hi - lo)
    ax.set_ylim(lo - pad, hi + pad)
    layout.legend_outside(fig, "below")
    report.label_figure(fig, simulated=simulated, source=source)
    return fig


def questionnaire_tables(
    instrument: survey.Instrument, scales: Sequence[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The questionnaire as a reader sees it: its items in Chinese and English, and the codes
    of its answers, with headers from the settings file (``questionnaire_columns``).

    Item table: one row per item of ``scales`` (scale ids, in the instrument's order of scales;
    None: every scale, then any item in no scale), in the instrument's item order within a
    scale. Columns: the item's number in the instrument (1 = its first item), the scale
    (``label_en (label_zh)``; an en dash for an item in no scale), the wording in Chinese and
    in English, the reverse-keyed mark (empty when the item is scored as worded; a
    reverse-keyed item is recoded ``min + max - x`` before scoring) and the range of answer
    codes (``min–max``: the item's own range, else the instrument's).

    Answer table: one row per code of every range the shown items use (``min`` to ``max``),
    with the range, the code and its Chinese and English labels (an em dash where the
    instrument gives none).

    Raises:
        KeyError: a scale id of ``scales`` is not a scale of ``instrument`` (the valid ids
            named).
    """
    cols = settings().questionnaire_columns
    chosen = [instrument.scale(s) for s in scales] if scales is not None else instrument.scales
    number = {item.id: i for i, item in enumerate(instrument.items, start=1)}
    rows: list[tuple[int, str, Any]] = []
    for scale in chosen:
        rows += [(number[i], f"{scale.label_en} ({scale.label_zh})", scale) for i in scale.items]
    if scales is None:
        owned = {i for scale in instrument.scales for i in scale.items}
        rows += [(number[it.id], "–", None) for it in instrument.items if it.id not in owned]
    ranges: dict[tuple[int, int], survey.ResponseRange] = {}
    records = []
    for n, label, scale in rows:
        item = instrument.items[n - 1]
        response = item.response or instrument.response
        span = (response.min, response.max)
        ranges.setdefault(span, response)
        reverse = scale is not None and item.id in scale.reverse
        records.append(
            {
                cols.number: n,
                cols.scale: label,
                cols.zh: item.zh,
                cols.en: item.en,
                cols.reverse: cols.reverse_mark if reverse else "",
                cols.answers: f"{span[0]}–{span[1]}",
            }
        )
    items = pd.DataFrame(
        records, columns=[cols.number, cols.scale, cols.zh, cols.en, cols.reverse, cols.answers]
    )
    codes = [
        {
            cols.answers: f"{lo}–{hi}",
            cols.code: code,
            cols.label_zh: response.labels_zh.get(code, "—"),
            cols.label_en: response.labels_en.get(code, "—"),
        }
        for (lo, hi), response in sorted(ranges.items())
        for code in range(lo, hi + 1)
    ]
    answers = pd.DataFrame(codes, columns=[cols.answers, cols.code, cols.label_zh, cols.label_en])
    return items, answers


def display_tables(res: SurveyResults) -> dict[str, pd.DataFrame]:
    """Presentation frames: reliability, mean scores by group, gaps and the model (tidy)."""
    instrument = res.instrument
    names = res.design.group_labels
    rel = res.reliability[["label_en", "label_zh", "k", "n_complete", "alpha", "omega"]].rename(
        columns={
            "label_en": "Scale",
            "label_zh": "量表",
            "k": "Items",
            "n_complete": "Respondents",
            "alpha": "Alpha",
            "omega": "Omega",
        }
    )
    means = res.means.assign(
        Scale=[_label(instrument, s) for s in res.means["scale"]],
        Group=[names[g] for g in res.means["group"]],
        **{
            "95% interval": [
                f"{table_number(a)} to {table_number(b)}"
                for a, b in zip(res.means["ci_low"], res.means["ci_high"], strict=True)
            ]
        },
    )[["Scale", "Group", "n", "mean", "sd", "95% interval"]].rename(
        columns={"mean": "Mean", "sd": "SD"}
    )
    gap = res.gap.assign(
        Scale=[_label(instrument, s) for s in res.gap["scale"]],
        **{
            "95% interval": [
                f"{signed(a)} to {signed(b)}"
                for a, b in zip(res.gap["ci_low"], res.gap["ci_high"], strict=True)
            ]
        },
    )[
        [
            "Scale",
            "n_focal",
            "n_reference",
            "mean_focal",
            "mean_reference",
            "gap",
            "se",
            "95% interval",
            "p",
        ]
    ].rename(
        columns={
            "n_focal": "n (focal)",
            "n_reference": "n (reference)",
            "mean_focal": "Mean (focal)",
            "mean_reference": "Mean (reference)",
            "gap": "Difference",
            "se": "SE",
        }
    )
    model = res.model.copy()
    model["Term"] = [_label(instrument, t) if t in res.design.scales else t for t in model["term"]]
    model["Term"] = [
        f"Group: {names.get(t[len('group_') :], t)}" if t.startswith("group_") else t
        for t in model["Term"]
    ]
    model["Term"] = model["Term"].replace({"const": "Intercept"})
    model["Outcome"] = model["outcome"].map(res.design.outcome_labels).str.capitalize()
    stat = "z" if "z" in model.columns else "t"
    model = model[["Outcome", "Term", "estimate", "se", "ci_low", "ci_high", stat, "p"]].rename(
        columns={
            "estimate": "Estimate",
            "se": "SE",
            "ci_low": "95% CI low",
            "ci_high": "95% CI high",
        }
    )
    return {"reliability": rel, "means": means, "gap": gap, "model": model}
