"""Page "Policy evaluation" (``notebooks/policy_evaluation.ipynb``): staggered reforms, TWFE
beside heterogeneity-robust DiD.

Facts only, no sentences: :func:`build` returns a :class:`~cases.present.page.Page` whose numbers,
facts, tables and figures the notebook shows; the words are in ``text/policy_evaluation.md`` and
the per-case designs in ``data/settings/policy_evaluation.yaml`` (:func:`designs`). The cases are
those whose thesis credits a reform that villages or households adopted in different years:

- ``liupanshui``: the "three changes" reform (villages adopt 2014-2018) and household log
  income per capita and the return of migrant workers;
- ``h_county``: industrial ("blood-making") projects for registered poor households against
  transfer-only support, and their log income per capita.

For each outcome the page sets the two-way fixed-effects (TWFE) coefficient beside the
Callaway and Sant'Anna (2021) and Sun and Abraham (2021) estimators of
:func:`cases.methods.panel.staggered_did`, shows their dynamic effects, and decomposes the TWFE
coefficient into its 2x2 comparisons (Goodman-Bacon 2021,
:func:`cases.methods.panel.bacon_decomposition`)
to show where TWFE goes wrong when effects grow with exposure. On simulated data every table
carries the planted effect (``data/synth/<case>.yaml``), labelled as planted.

Beside the joint pre-trend test the page reports the relative-magnitudes sensitivity of
Rambachan and Roth (2023, :mod:`cases.methods.honest`): the breakdown value of Mbar for the
effect in the adoption year and for the average post-adoption effect, for the TWFE event study,
Callaway-Sant'Anna (universal base period) and Sun-Abraham.

Public API: :func:`designs`, :func:`design`, :class:`Outcome`, :class:`PolicyDesign`,
:func:`analysis_panel`, :func:`planted_effect`, :func:`planted_att`, :func:`estimate_outcome`,
:func:`comparison_table`, :func:`cohort_table`, :func:`bacon_panel`, :func:`bacon_figure`,
:func:`event_study_figure`, :func:`claims_table`, :func:`data_format_markdown`,
:func:`sensitivity_table`, :func:`sensitivity_display` and :func:`build`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.core.files import load_yaml
from cases.data import registry
from cases.methods import honest as honest_mod
from cases.methods import inference
from cases.methods import panel as panel_mod
from cases.present import layout, report
from cases.present.page import Page
from cases.present.panel_plots import plot_event_study
from cases.simulate import synth

__all__ = [
    "ESTIMATORS",
    "ESTIMATOR_LABELS",
    "SENSITIVITY_ESTIMATORS",
    "SENSITIVITY_MBAR",
    "SENSITIVITY_MBAR_MAX",
    "SENSITIVITY_TARGETS",
    "Outcome",
    "OutcomeEstimates",
    "PolicyAnalysis",
    "PolicyDesign",
    "analyse",
    "analysis_panel",
    "bacon_figure",
    "bacon_panel",
    "build",
    "claims_table",
    "cohort_table",
    "comparison_table",
    "data_format_markdown",
    "design",
    "designs",
    "estimate_outcome",
    "event_study_figure",
    "planted_att",
    "planted_effect",
    "sensitivity_display",
    "sensitivity_table",
    "specification_estimate",
]

#: Estimator keys (used in glue keys) and their display names.
ESTIMATOR_LABELS: dict[str, str] = {
    "twfe": "Two-way fixed effects (TWFE)",
    "cs": "Callaway–Sant'Anna",
    "sa": "Sun–Abraham",
}
_CONTROLS = ("never", "notyet")
#: Analysis samples (parameter ``sample``): ``all`` households of the design's sample, or only
#: those in the poorest ``BASELINE_BOTTOM_SHARE`` by mean income before any adoption.
_SAMPLES = ("all", "baseline_bottom40")
BASELINE_BOTTOM_SHARE = 0.4
_CLUSTERS = {"village": "village_id", "household": "entity"}
#: Covariate adjustment (parameter ``covariates``): ``none``, or the design's
#: ``baseline_covariates`` (:func:`estimate_outcome`).
_COVARIATES = ("none", "baseline")
#: The per-case designs (:func:`designs`) and the claim table's column labels.
SETTINGS: Path = paths.DATA / "settings" / "policy_evaluation.yaml"


# --------------------------------------------------------------------------------------------
# Case designs
# --------------------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlantedPath(_Strict):
    """Names in ``planted_effects`` of ``data/synth/<case>.yaml``: the effect at adoption
    (``value``) and, for an effect that grows with exposure, its yearly ``growth``."""

    value: str
    growth: str | None = None


class ClaimSource(_Strict):
    """Where the thesis's claim is in the registry (``data/cases/<case>.yaml``): the first entry
    of ``list`` (with ``code``, and containing ``contains``, when given)."""

    list: Literal["achievements", "problems", "causes", "mechanisms"]
    code: str | None = None
    contains: str | None = None


class Outcome(_Strict):
    """One outcome: ``key`` (glue-key part), display ``label``, a ``phrase`` for running prose,
    ``unit``, the panel ``column`` it comes from and whether it is logged (``log=True``:
    ``ln(column)``, column must be > 0); ``planted`` (simulated data), ``claim`` and ``needed``
    feed the planted effect and the claim-evidence table."""

    key: str
    label: str
    phrase: str
    unit: str
    column: str
    log: bool
    planted: PlantedPath
    claim: ClaimSource
    needed: str


class PolicyDesign(_Strict):
    """What is evaluated in one case: the reform, its treatment flag and the outcomes.

    ``sample="registered"`` keeps only households with ``registered_poor == 1`` in the
    ``households`` table (so the comparison is with transfer-only registered households).
    """

    reform: str
    treat: str
    outcomes: tuple[Outcome, ...] = Field(min_length=1)
    treated_group: str
    comparison_group: str
    cohort_column: str
    sample: Literal["registered"] | None = None
    tables: tuple[str, ...] = ("panel",)
    #: Baseline household covariates (columns of the ``households`` table, fixed per household)
    #: that the parameter ``covariates="baseline"`` adjusts for; empty: the case has none.
    baseline_covariates: tuple[str, ...] = ()


DesignT = TypeVar("DesignT", bound=BaseModel)
SettingsT = TypeVar("SettingsT", bound=BaseModel)


class CaseDesigns(_Strict, Generic[DesignT]):
    """A page's settings file (``data/settings/<page>.yaml``): the headings of the claim
    table's columns and each case's design; a page adds its own fields."""

    claim_columns: tuple[str, str, str]
    designs: dict[str, DesignT]


@cache
def load_settings(model: type[SettingsT], path: Path) -> SettingsT:
    """``path`` validated against ``model`` (:func:`cases.core.files.load_yaml`), read once."""
    return load_yaml(model, path)


_Settings = CaseDesigns[PolicyDesign]


def designs(path: Path | None = None) -> dict[str, PolicyDesign]:
    """Every case's policy-evaluation design, read from ``data/settings/policy_evaluation.yaml``.

    Raises:
        DataValidationError: the file is missing or a field is wrong (file and field named).
    """
    return load_settings(_Settings, path or SETTINGS).designs


def design(case: str) -> PolicyDesign:
    """The policy-evaluation design of ``case``.

    Raises:
        ParameterError: the case has no policy evaluation.
    """
    found = designs()
    if case not in found:
        raise ParameterError(
            f"case={case!r} has no policy evaluation; cases with one: {sorted(found)}"
        )
    return found[case]


def _plain(value: Any) -> Any:
    """A plain Python scalar for messages (``2`` rather than ``np.int64(2)``)."""
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def analysis_panel(
    data: synth.SimulatedData, case: str, sample: str = "all", covariates: str = "none"
) -> pd.DataFrame:
    """The household x year panel the evaluation runs on, with outcome columns added.

    Rule: start from the case's ``panel`` table; for a design with ``sample="registered"`` keep
    the households with ``registered_poor == 1`` in the ``households`` table; add each
    outcome's column ``<outcome.key>`` = ``ln(column)`` (log outcomes) or the column itself.
    ``sample="baseline_bottom40"`` then keeps the households whose mean of the first outcome's
    column (income per capita) over the baseline years — every year before the earliest
    adoption, so before any unit was treated — is at or below its 40th percentile across
    households (the poorest two-fifths before the reform; a restriction on a pre-treatment
    variable only, so it does not select on the reform's effect). ``covariates="baseline"``
    adds the design's ``baseline_covariates`` from the ``households`` table (one value per
    household, repeated over its years).

    Raises:
        ParameterError: a case without a policy evaluation, or an unknown ``sample``.
        DataValidationError: a missing table or column, a household of the panel missing from
            the households table, a non-positive value in a logged column (row named), no
            baseline year before the earliest adoption (``baseline_bottom40``), or an empty
            sample.
    """
    if sample not in _SAMPLES:
        raise ParameterError(f"sample must be one of {_SAMPLES}, got {sample!r}")
    d = design(case)
    _check_covariates(d, case, covariates)
    source = f"policy_evaluation.analysis_panel({case})"
    missing_tables = [t for t in d.tables if t not in data.tables]
    if missing_tables:
        raise DataValidationError(source, [f"table {t!r} not found" for t in missing_tables])
    df = data["panel"].copy()
    needed = {"household_id", "village_id", "year", "first_treated", d.treat}
    needed |= {o.column for o in d.outcomes}
    missing = sorted(needed - set(df.columns))
    if missing:
        raise DataValidationError(source, [f"panel: column {c!r} not found" for c in missing])
    if d.sample == "registered":
        hh = data["households"]
        if "registered_poor" not in hh.columns:
            raise DataValidationError(source, ["households: column 'registered_poor' not found"])
        status = hh.set_index("household_id")["registered_poor"]
        reg = df["household_id"].map(status)
        if reg.isna().any():
            first = df.loc[reg.isna(), "household_id"].iloc[0]
            raise DataValidationError(
                source, [f"panel household_id={first!r} is not in the households table"]
            )
        df = df.loc[reg.to_numpy() == 1]
    if covariates == "baseline":
        df = _add_baseline(df, data, d, source)
    if sample == "baseline_bottom40" and not df.empty:
        df = _baseline_bottom(df, d.outcomes[0].column, source)
    if df.empty:
        raise DataValidationError(source, ["no households left in the analysis sample"])
    for o in d.outcomes:
        values = df[o.column].astype(float)
        if o.log:
            bad = ~(values > 0)
            if bad.any():
                first = df.index[bad.to_numpy()][0]
                value, hh, year = (
                    _plain(df.loc[first, c]) for c in (o.column, "household_id", "year")
                )
                raise DataValidationError(
                    source,
                    [
                        f"panel: {o.column!r} must be positive to take its log; got "
                        f"{value!r} for household_id={hh!r}, year={year!r}"
                    ],
                )
            df[o.key] = np.log(values)
        else:
            df[o.key] = values
    return df.reset_index(drop=True)


def _check_covariates(d: PolicyDesign, case: str, covariates: str) -> None:
    if covariates not in _COVARIATES:
        raise ParameterError(f"covariates must be one of {_COVARIATES}, got {covariates!r}")
    if covariates == "baseline" and not d.baseline_covariates:
        raise ParameterError(
            f"covariates='baseline': the {case} design declares no baseline_covariates "
            f"({SETTINGS.name})"
        )


def _add_baseline(
    df: pd.DataFrame, data: synth.SimulatedData, d: PolicyDesign, source: str
) -> pd.DataFrame:
    """``df`` with the design's baseline covariates joined from the ``households`` table."""
    if "households" not in data.tables:
        raise DataValidationError(source, ["table 'households' not found (baseline covariates)"])
    hh = data["households"]
    missing = [c for c in ("household_id", *d.baseline_covariates) if c not in hh.columns]
    if missing:
        raise DataValidationError(source, [f"households: column {c!r} not found" for c in missing])
    if hh["household_id"].duplicated().any():
        first = _plain(hh.loc[hh["household_id"].duplicated(), "household_id"].iloc[0])
        raise DataValidationError(source, [f"households: household_id={first!r} repeats"])
    table = hh.set_index("household_id")[list(d.baseline_covariates)]
    out = df.join(table, on="household_id")
    for c in d.baseline_covariates:
        bad = out[c].isna().to_numpy()
        if bad.any():
            hid = _plain(out.loc[bad, "household_id"].iloc[0])
            raise DataValidationError(
                source, [f"households: no value of {c!r} for household_id={hid!r}"]
            )
    return out


def _baseline_bottom(df: pd.DataFrame, column: str, source: str) -> pd.DataFrame:
    """The households of ``df`` in the poorest :data:`BASELINE_BOTTOM_SHARE` by mean ``column``
    over the years before the earliest adoption (see :func:`analysis_panel`)."""
    adopted = df.loc[df["first_treated"] > 0, "first_treated"]
    start = int(adopted.min()) if not adopted.empty else int(df["year"].max()) + 1
    before = df.loc[df["year"] < start]
    if before.empty:
        raise DataValidationError(
            source, [f"sample='baseline_bottom40': no year before the first adoption ({start})"]
        )
    baseline = before.groupby("household_id")[column].mean()
    keep = baseline.index[baseline <= baseline.quantile(BASELINE_BOTTOM_SHARE)]
    return df.loc[df["household_id"].isin(keep)]


# --------------------------------------------------------------------------------------------
# Planted effects
# --------------------------------------------------------------------------------------------
def planted_effect(
    case: str, outcome: str, planted: Mapping[str, Any] | None
) -> Callable[[np.ndarray], np.ndarray] | None:
    """The planted effect of the simulated data as a function of event time e = t - G.

    Rule (names from the outcome's ``planted`` in ``data/settings/policy_evaluation.yaml``,
    values from ``planted_effects`` of ``data/synth/<case>.yaml``; 0 before adoption):
    ``tau(e) = value + growth * e`` when the outcome has a ``growth``, else ``tau(e) = value``
    (liupanshui log income grows; liupanshui return migration and h_county log income are
    constant). Returns ``None`` when ``planted`` is ``None`` (field data).

    Raises:
        ParameterError: an unknown case or outcome, or a planted value missing.
    """
    if planted is None:
        return None
    by_key = {o.key: o for o in design(case).outcomes}
    if outcome not in by_key:
        raise ParameterError(f"no planted effect is defined for {case}/{outcome}")
    path = by_key[outcome].planted
    try:
        a = float(planted[path.value])
        b = None if path.growth is None else float(planted[path.growth])
    except KeyError as exc:
        raise ParameterError(f"planted_effects of {case} lack {exc.args[0]!r}") from None
    if b is not None:
        return lambda e: np.where(np.asarray(e, float) >= 0, a + b * np.asarray(e, float), 0.0)
    return lambda e: np.where(np.asarray(e, float) >= 0, a, 0.0)


def planted_att(att_gt: pd.DataFrame, effect: Callable[[np.ndarray], np.ndarray]) -> float:
    """The planted value of an overall ATT over the post-treatment cells an estimator used.

    ``sum_c n_c tau(e_c) / sum_c n_c`` over the cells c of ``att_gt`` with event time
    ``e_c >= 0``, weighted by their treated counts ``n_treated`` — the weights of the "simple"
    aggregation of Callaway and Sant'Anna (2021, section 3.2; cohort sizes on a balanced panel)
    and of Sun and Abraham's (2021) cell-share weights. Units: those of the outcome.

    Raises:
        DataValidationError: missing columns or no post-treatment cell.
    """
    need = {"event_time", "n_treated"}
    if not need <= set(att_gt.columns):
        raise DataValidationError("planted_att", [f"att_gt lacks {sorted(need - set(att_gt))}"])
    post = att_gt["event_time"].to_numpy(float) >= 0
    if not post.any():
        raise DataValidationError("planted_att", ["no post-treatment cell (event_time >= 0)"])
    w = att_gt.loc[post, "n_treated"].to_numpy(float)
    tau = effect(att_gt.loc[post, "event_time"].to_numpy(float))
    return float(np.sum(w * tau) / np.sum(w))


# --------------------------------------------------------------------------------------------
# Estimation
# --------------------------------------------------------------------------------------------
@dataclass
class OutcomeEstimates:
    """All estimates for one outcome: ``summary`` (index twfe/cs/sa; columns att, se, ci_low,
    ci_high, pvalue, planted), the full results, and the planted effect function (or None)."""

    outcome: Outcome
    summary: pd.DataFrame
    twfe: panel_mod.TwfeResult
    cs: panel_mod.StaggeredResult
    sa: panel_mod.StaggeredResult
    effect: Callable[[np.ndarray], np.ndarray] | None
    event: panel_mod.EventStudyResult | None = None


def _check_options(control: str, cluster: str) -> None:
    if control not in _CONTROLS:
        raise ParameterError(f"estimator_control must be one of {_CONTROLS}, got {control!r}")
    if cluster not in _CLUSTERS:
        raise ParameterError(f"cluster must be one of {tuple(_CLUSTERS)}, got {cluster!r}")


def estimate_outcome(
    df: pd.DataFrame,
    case: str,
    outcome: str,
    *,
    control: str = "never",
    cluster: str = "village",
    planted: Mapping[str, Any] | None = None,
    covariates: Sequence[str] = (),
) -> OutcomeEstimates:
    """TWFE, Callaway-Sant'Anna and Sun-Abraham estimates of one outcome's ATT.

    TWFE: :func:`cases.methods.panel.twfe` of the outcome on the treatment flag with household and
    year
    effects. Robust estimators: :func:`cases.methods.panel.staggered_did` with ``control`` ("never":
    never-treated; "notyet": also not-yet-treated), simple aggregation; Callaway-Sant'Anna with
    the universal base period (every pre-period estimate measured from event time -1, as for
    Sun-Abraham and as the sensitivity analysis needs; post-period cells and the joint pre-trend
    test are those of the varying base). ``event``: the TWFE event study
    (:func:`cases.methods.panel.event_study`, reference -1) over every event time of the data, so no
    end point is binned. All have standard errors clustered by ``cluster`` ("village": the
    village column, the level at which the reform was assigned; "household": the entity).
    Each row carries the planted ATT over the cells that estimator used (:func:`planted_att`;
    TWFE gets the Callaway-Sant'Anna target), NaN for field data. ``covariates`` (baseline
    columns of ``df``, fixed per household): Callaway-Sant'Anna takes them as controls of its
    doubly robust 2x2 comparisons (parallel trends conditional on them); TWFE and Sun-Abraham,
    whose household effects absorb them, take them interacted with the years
    (:func:`cases.methods.panel.baseline_by_period`); the event study stays unadjusted.

    Raises:
        ParameterError: unknown case, outcome, control or cluster.
        DataValidationError: as the panel estimators.
    """
    _check_options(control, cluster)
    d = design(case)
    by_key = {o.key: o for o in d.outcomes}
    if outcome not in by_key:
        raise ParameterError(f"outcome must be one of {sorted(by_key)}, got {outcome!r}")
    args = {"entity": "household_id", "time": "year"}
    tw, cs, sa = (
        _fit_estimator(df, d, outcome, key, control, cluster, covariates)
        for key in ("twfe", "cs", "sa")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        treated_g = df.loc[df["first_treated"] > 0, "first_treated"]
        window = (
            int(df["year"].min() - treated_g.max()),
            int(df["year"].max() - treated_g.min()),
        )
        event = panel_mod.event_study(
            df,
            outcome,
            first_treated="first_treated",
            window=window,
            ref=-1,
            cluster=_CLUSTERS[cluster],
            backend="within",
            **args,
        )
    effect = planted_effect(case, outcome, planted)
    rows = {key: _summary_row(res) for key, res in (("twfe", tw), ("cs", cs), ("sa", sa))}
    summary = pd.DataFrame.from_dict(rows, orient="index")
    if effect is None:
        summary["planted"] = math.nan
    else:
        cs_target = planted_att(cs.att_gt, effect)
        summary["planted"] = [cs_target, cs_target, planted_att(sa.att_gt, effect)]
    return OutcomeEstimates(by_key[outcome], summary, tw, cs, sa, effect, event)


_STATS = ("att", "se", "ci_low", "ci_high", "pvalue")
#: Estimator keys of :func:`specification_estimate`.
ESTIMATORS = ("twfe", "cs", "sa")


def _fit_estimator(
    df: pd.DataFrame,
    d: PolicyDesign,
    outcome: str,
    key: str,
    control: str,
    cluster: str,
    covariates: Sequence[str],
) -> panel_mod.TwfeResult | panel_mod.StaggeredResult:
    """One estimator of :func:`estimate_outcome` (``key``: twfe, cs or sa)."""
    args = {"entity": "household_id", "time": "year", "cluster": _CLUSTERS[cluster]}
    covariates = list(covariates)
    work, by_year = df, []
    if covariates and key != "cs":
        work, by_year = panel_mod.baseline_by_period(df, covariates, "household_id", "year")
    with warnings.catch_warnings():
        # Singleton or always-treated households are reported by the estimators' own counts.
        warnings.simplefilter("ignore", UserWarning)
        if key == "twfe":
            return panel_mod.twfe(
                work, outcome, d.treat, controls=by_year, backend="within", **args
            )
        if key == "cs":
            return panel_mod.staggered_did(
                work,
                outcome,
                first_treated="first_treated",
                control=control,
                base_period="universal",
                controls=covariates,
                **args,
            )
        return panel_mod.staggered_did(
            work,
            outcome,
            first_treated="first_treated",
            method="sun_abraham",
            control=control,
            backend="within",
            controls=by_year,
            **args,
        )


def _summary_row(res: panel_mod.TwfeResult | panel_mod.StaggeredResult) -> dict[str, float]:
    if isinstance(res, panel_mod.TwfeResult):
        return {k: float(getattr(res, k if k != "att" else "coef")) for k in _STATS}
    return {k: float(res.simple[k].iloc[0]) for k in _STATS}


def specification_estimate(
    df: pd.DataFrame,
    case: str,
    outcome: str,
    estimator: str,
    *,
    control: str = "never",
    cluster: str = "village",
    covariates: Sequence[str] = (),
) -> dict[str, float]:
    """One estimator's overall ATT of one outcome, exactly as :func:`estimate_outcome` computes
    it (``estimator``: ``twfe``, ``cs`` or ``sa``): ``{att, se, ci_low, ci_high, pvalue}``,
    units of the outcome. Used to recompute a specification curve without the page's other
    exhibits (:mod:`cases.run.sweep`).

    Raises:
        ParameterError: unknown case, outcome, estimator, control or cluster.
        DataValidationError: as the panel estimators.
    """
    _check_options(control, cluster)
    if estimator not in ESTIMATORS:
        raise ParameterError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    d = design(case)
    if outcome not in {o.key for o in d.outcomes}:
        raise ParameterError(f"outcome must be one of {[o.key for o in d.outcomes]}")
    res = _fit_estimator(df, d, outcome, estimator, control, cluster, covariates)
    return _summary_row(res)


def comparison_table(
    estimates: Sequence[OutcomeEstimates] | Mapping[str, pd.DataFrame],
    labels: Mapping[str, str] | None = None,
    *,
    simulated: bool = True,
) -> pd.DataFrame:
    """The estimator comparison table: one row per outcome and estimator.

    Columns: Outcome, Estimator, Estimate, SE, 95% CI low, 95% CI high and, on simulated data,
    "Planted ATT (simulated, hypothesis)". ``estimates`` is a sequence of
    :class:`OutcomeEstimates` or a mapping ``outcome label -> summary frame`` (index
    ``twfe``/``cs``/``sa``, columns ``att``, ``se``, ``ci_low``, ``ci_high`` and ``planted``).
    Values are not rounded (rounding happens in :func:`cases.present.report.table`).

    Raises:
        DataValidationError: a summary frame without the required columns or an unknown
            estimator key.
    """
    if not isinstance(estimates, Mapping):
        estimates = {e.outcome.label: e.summary for e in estimates}
    labels = dict(ESTIMATOR_LABELS if labels is None else labels)
    rows = []
    for outcome_label, summary in estimates.items():
        need = {"att", "se", "ci_low", "ci_high", "planted"}
        if not need <= set(summary.columns):
            raise DataValidationError(
                "comparison_table", [f"{outcome_label}: columns {sorted(need - set(summary))}"]
            )
        for key, row in summary.iterrows():
            if key not in labels:
                raise DataValidationError("comparison_table", [f"unknown estimator {key!r}"])
            rows.append(
                {
                    "Outcome": outcome_label,
                    "Estimator": labels[key],
                    "Estimate": float(row["att"]),
                    "SE": float(row["se"]),
                    "95% CI low": float(row["ci_low"]),
                    "95% CI high": float(row["ci_high"]),
                    "Planted ATT (simulated, hypothesis)": float(row["planted"]),
                }
            )
    out = pd.DataFrame(rows)
    if not simulated:
        out = out.drop(columns="Planted ATT (simulated, hypothesis)")
    return out


def cohort_table(df: pd.DataFrame, case: str) -> pd.DataFrame:
    """Adoption cohorts: villages and households by first treated year (0 = never treated).

    Raises:
        ParameterError: unknown case.
    """
    d = design(case)
    per_hh = df.groupby("household_id").agg(
        first_treated=("first_treated", "first"), village_id=("village_id", "first")
    )
    out = (
        per_hh.groupby("first_treated")
        .agg(villages=("village_id", "nunique"), households=("village_id", "size"))
        .reset_index()
    )
    out["Adoption year"] = [
        "never (comparison)" if g == 0 else str(int(g)) for g in out["first_treated"]
    ]
    who = d.cohort_column
    return out.rename(columns={"villages": who, "households": "Households"})[
        ["Adoption year", who, "Households"]
    ]


# --------------------------------------------------------------------------------------------
# Bacon decomposition
# --------------------------------------------------------------------------------------------
def bacon_panel(df: pd.DataFrame, treat: str, y: str) -> tuple[pd.DataFrame, str, str]:
    """The panel for the Goodman-Bacon decomposition, with the level it is at.

    Rule: the decomposition needs a balanced panel and a binary treatment that stays on
    (Goodman-Bacon 2021). If the household panel is balanced it is used as is (level
    ``"household"``); otherwise it is aggregated to village x year means of ``y`` (level
    ``"village"``), which needs the treatment to be the same for every household of a village
    in a year and every village to be observed every year. Returns ``(frame, level, entity)``.

    Raises:
        DataValidationError: an unbalanced household panel that cannot be aggregated (treatment
            differs within a village-year, or a village is missing a year; named).
    """
    periods = df["year"].nunique()
    if (df.groupby("household_id")["year"].nunique() == periods).all():
        return df[["household_id", "year", treat, y]].copy(), "household", "household_id"
    spread = df.groupby(["village_id", "year"])[treat].agg(["min", "max"])
    mixed = spread[spread["min"] != spread["max"]]
    if not mixed.empty:
        v, t = (x.item() if hasattr(x, "item") else x for x in mixed.index[0])
        raise DataValidationError(
            "bacon_panel",
            [
                f"unbalanced household panel and {treat!r} differs within village_id={v!r} in "
                f"year={t!r}: neither level gives the balanced panel the decomposition needs"
            ],
        )
    agg = df.groupby(["village_id", "year"]).agg(**{y: (y, "mean"), treat: (treat, "first")})
    agg = agg.reset_index()
    counts = agg.groupby("village_id")["year"].size()
    if (counts != periods).any():
        v = counts.index[(counts != periods).to_numpy()][0]
        raise DataValidationError(
            "bacon_panel",
            [f"village_id={v.item()!r} is observed in {int(counts[v])} of {periods} years"],
        )
    return agg, "village", "village_id"


_TYPE_MARKERS = {
    "Treated vs Never treated": ("o", 0),
    "Earlier vs Later treated": ("s", 1),
    "Later vs Earlier treated": ("^", 3),
    "Later vs Always treated": ("D", 4),
}


def bacon_figure(
    result: panel_mod.BaconResult, *, outcome_label: str, unit: str
) -> mpl.figure.Figure:
    """Scatter of each 2x2 DiD estimate against its weight, by comparison type.

    The horizontal line is the TWFE coefficient, the weighted mean of the points
    (Goodman-Bacon 2021, fig. 6). Returns the figure (not yet stamped).
    """
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 4.2))
    for kind, sub in result.table.groupby("type", sort=False):
        marker, colour = _TYPE_MARKERS.get(kind, ("x", 5))
        ax.scatter(
            sub["weight"],
            sub["estimate"],
            marker=marker,
            s=45,
            color=report.PALETTE[colour],
            label=kind,
            edgecolor="white",
            linewidth=0.5,
        )
    ax.axhline(result.twfe, color="0.3", linestyle="--", linewidth=1, label="TWFE coefficient")
    ax.axhline(0, color="0.6", linewidth=0.6)
    ax.set_xlabel("Weight in the TWFE coefficient")
    ax.set_ylabel(f"2x2 DiD estimate ({unit})")
    ax.set_title(f"{outcome_label}: the 2x2 comparisons inside TWFE", loc="left")
    layout.legend_outside(ax, "auto")
    return fig


# --------------------------------------------------------------------------------------------
# Event-study figure
# --------------------------------------------------------------------------------------------
def event_study_figure(estimates: Sequence[OutcomeEstimates]) -> mpl.figure.Figure:
    """Dynamic effects of the robust estimators, one row per outcome.

    Left: Callaway-Sant'Anna by event time, right: Sun-Abraham; both measure every estimate
    from the year before adoption (Callaway-Sant'Anna with the universal base period), so the
    reference period e = -1 (normalised to 0) is marked in both and the pre-period estimates
    are comparable across the two panels. Bars are pointwise 95% intervals; on simulated data
    a line shows the planted effect path. One legend under the panels. Returns the figure
    (not yet stamped).
    """
    n = len(estimates)
    fig, axes = plt.subplots(
        n, 2, figsize=(report.COLUMN_WIDTH_IN, 3.2 * n + 0.8), sharex=True, squeeze=False
    )
    for row, est in zip(axes, estimates, strict=True):
        for ax, res, name, ref, colour in (
            (row[0], est.cs, "cs", -1, report.PALETTE[0]),
            (row[1], est.sa, "sa", -1, report.PALETTE[3]),
        ):
            plot_event_study(
                res.dynamic,
                ax=ax,
                ref=ref,
                color=colour,
                label=f"{ESTIMATOR_LABELS[name]}: estimate, 95% CI",
                xlabel="Years since adoption",
                ylabel=layout.axis_label(est.outcome.label, est.outcome.unit),
                title=ESTIMATOR_LABELS[name],
            )
            if est.effect is not None:
                e = pd.to_numeric(res.dynamic["event_time"], errors="coerce").dropna()
                grid = np.arange(int(e.min()), int(e.max()) + 1)
                ax.plot(
                    grid,
                    est.effect(grid),
                    color="0.2",
                    linewidth=1,
                    drawstyle="steps-mid" if np.ptp(est.effect(grid[grid >= 0])) == 0 else None,
                    label="planted (hypothesis)",
                )
    for ax in axes[:-1].ravel():
        ax.set_xlabel("")  # the axis is shared: its label once, under the last row
    layout.legend_outside(fig, "below", ncols=2)
    return fig


# --------------------------------------------------------------------------------------------
# Data format
# --------------------------------------------------------------------------------------------
def data_format_markdown(case: str, tables: Sequence[str]) -> str:
    """A Markdown list of the tables and columns a researcher's ``data_dir`` needs.

    Taken from :data:`cases.simulate.synth.TABLE_SCHEMAS` (column, type, unit, meaning).

    Raises:
        ParameterError: an unknown case or table.
    """
    if case not in synth.TABLE_SCHEMAS:
        raise ParameterError(f"unknown case {case!r}")
    lines = []
    for name in tables:
        if name not in synth.TABLE_SCHEMAS[case]:
            raise ParameterError(f"case {case!r} has no table {name!r}")
        lines.append(f"- `{name}.csv`:")
        lines.extend(f"  - `{c}` ({k}; {u}): {d}" for c, k, u, d in synth.TABLE_SCHEMAS[case][name])
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Claim-evidence table
# --------------------------------------------------------------------------------------------
def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def thesis_claims(case: str) -> list[str]:
    """What the thesis reported about each outcome of the case, from the registry
    (``data/cases/<case>.yaml``): the description of the first entry of the outcome's
    ``claim.list`` that has its ``claim.code`` and contains ``claim.contains`` (each when set),
    with a capital first letter and one final full stop; "." when none matches.

    Raises:
        ParameterError: unknown case.
    """
    profile = registry.load_case(case)
    out = []
    for o in design(case).outcomes:
        src = o.claim
        found = next(
            (
                e.description
                for e in getattr(profile, src.list)
                if (src.code is None or e.code == src.code)
                and (src.contains is None or src.contains in e.description)
            ),
            "",
        )
        out.append(_sentence(found))
    return out


def claims_table(page: Page, passages: Mapping[str, str]) -> pd.DataFrame:
    """The claim-evidence table of a built page, one row per outcome: what the thesis reported
    (``facts["claims"]``), what the page shows (the paragraphs of the passage ``claims`` of
    ``text/policy_evaluation.md``, one per outcome, each on one line) and what field data would
    test it (``facts["needed"]``), under the column labels ``facts["claim_columns"]``.

    Raises:
        DataValidationError: the passage does not have one paragraph per outcome.
    """
    shows = [" ".join(par.split()) for par in passages["claims"].split("\n\n") if par.strip()]
    reported, needed = page.facts["claims"], page.facts["needed"]
    if len(shows) != len(reported):
        raise DataValidationError(
            "text/policy_evaluation.md",
            [f"block 'claims': {len(shows)} paragraphs for {len(reported)} outcomes"],
        )
    columns = page.facts["claim_columns"]
    return pd.DataFrame(
        [dict(zip(columns, row, strict=True)) for row in zip(reported, shows, needed, strict=True)]
    )


# --------------------------------------------------------------------------------------------
# Sensitivity to violations of parallel trends (Rambachan and Roth 2023)
# --------------------------------------------------------------------------------------------
#: Estimators of the sensitivity analysis (glue-key part -> display name).
SENSITIVITY_ESTIMATORS: dict[str, str] = {
    "twfe": "TWFE event study",
    "cs": ESTIMATOR_LABELS["cs"],
    "sa": ESTIMATOR_LABELS["sa"],
}
#: Targets of the sensitivity analysis (glue-key part -> display name).
SENSITIVITY_TARGETS: dict[str, str] = {
    "first": "Adoption year (e = 0)",
    "average": "Average of post-adoption years",
}
#: The Mbar of the robust interval shown in the table, and the search cap of the breakdown.
SENSITIVITY_MBAR = 1.0
SENSITIVITY_MBAR_MAX = 10.0


def _breakdown_status(breakdown: float, original: tuple[float, float]) -> str:
    """``insignificant`` (the usual interval covers zero), ``zero``, ``capped`` or ``value``."""
    if original[0] <= 0 <= original[1]:
        return "insignificant"
    if breakdown <= 0:
        return "zero"
    return "capped" if breakdown >= SENSITIVITY_MBAR_MAX else "value"


def sensitivity_table(estimates: Sequence[OutcomeEstimates], alpha: float = 0.05) -> pd.DataFrame:
    """Relative-magnitudes sensitivity of every outcome's event study (Rambachan and Roth 2023).

    For each outcome, estimator (TWFE event study, Callaway-Sant'Anna with the universal base
    period, Sun-Abraham) and target (the effect in the adoption year e = 0; the average of the
    post-adoption effects), :func:`cases.methods.honest.event_study_sensitivity` or
    :func:`cases.methods.honest.staggered_sensitivity`: the estimate, its usual 95% interval,
    the robust interval at Mbar = :data:`SENSITIVITY_MBAR` and the breakdown value of Mbar (the
    largest Mbar at which the robust interval excludes zero; NaN when the usual interval
    already covers zero, :data:`SENSITIVITY_MBAR_MAX` when zero is still excluded there).
    Columns: ``outcome``, ``estimator``, ``target`` (keys), ``estimate``, ``ci_low``,
    ``ci_high``, ``rm_low``, ``rm_high`` (units of the outcome), ``breakdown`` (unitless) and
    ``status`` (see :func:`_breakdown_status`).

    Raises:
        ParameterError: as the sensitivity functions (e.g. a result without a universal base).
    """
    rows = []
    for est in estimates:
        if est.event is None:
            raise ParameterError("sensitivity_table: the estimates carry no TWFE event study")
        for key in SENSITIVITY_ESTIMATORS:
            for target in SENSITIVITY_TARGETS:
                if key == "twfe":
                    fn, res = honest_mod.event_study_sensitivity, est.event
                else:
                    fn, res = honest_mod.staggered_sensitivity, getattr(est, key)
                out = fn(
                    res,
                    target,
                    mbars=(SENSITIVITY_MBAR,),
                    alpha=alpha,
                    mbar_max=SENSITIVITY_MBAR_MAX,
                )
                band = out.table.iloc[0]
                rows.append(
                    {
                        "outcome": est.outcome.key,
                        "estimator": key,
                        "target": target,
                        "estimate": out.estimate,
                        "ci_low": float(out.original[0]),
                        "ci_high": float(out.original[1]),
                        "rm_low": float(band["lb"]),
                        "rm_high": float(band["ub"]),
                        "breakdown": float(out.breakdown),
                        "status": _breakdown_status(float(out.breakdown), out.original),
                    }
                )
    return pd.DataFrame(rows)


def sensitivity_display(table: pd.DataFrame, estimates: Sequence[OutcomeEstimates]) -> pd.DataFrame:
    """The sensitivity table as shown on the page (display names; values not rounded)."""
    labels = {e.outcome.key: e.outcome.label for e in estimates}
    return pd.DataFrame(
        {
            "Outcome": table["outcome"].map(labels),
            "Estimator": table["estimator"].map(SENSITIVITY_ESTIMATORS),
            "Effect": table["target"].map(SENSITIVITY_TARGETS),
            "Estimate": table["estimate"],
            "95% CI low": table["ci_low"],
            "95% CI high": table["ci_high"],
            f"Robust CI low (Mbar = {SENSITIVITY_MBAR:g})": table["rm_low"],
            f"Robust CI high (Mbar = {SENSITIVITY_MBAR:g})": table["rm_high"],
            "Breakdown Mbar": table["breakdown"],
        }
    )


def _honest(analysis: PolicyAnalysis) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Numbers (without the ``honest_`` part of their glue keys) and per-outcome facts of the
    sensitivity passage: per outcome ``o``, estimator ``k`` and target ``t``,
    ``<o>_<k>_<t>_breakdown`` when finite; ``<o>_pretrend_p``, ``<o>_pretrend_df`` and
    ``<o>_cs_sa_max_gap`` (largest absolute difference between the Callaway-Sant'Anna and
    Sun-Abraham event-time estimates, units of the outcome); ``mbar`` and ``mbar_max``."""
    table = analysis.sensitivity
    numbers: dict[str, Any] = {"mbar": SENSITIVITY_MBAR, "mbar_max": SENSITIVITY_MBAR_MAX}
    facts = []
    for est in analysis.estimates:
        o = est.outcome.key
        sub = table[table["outcome"] == o]
        cs_dyn = est.cs.dynamic.set_index("event_time")["att"]
        sa_dyn = est.sa.dynamic.set_index("event_time")["att"]
        common = cs_dyn.index.intersection(sa_dyn.index)
        gap = float((cs_dyn[common] - sa_dyn[common]).abs().max())
        numbers[f"{o}_pretrend_p"] = float(est.cs.pretrend_pvalue)
        numbers[f"{o}_pretrend_df"] = int(est.cs.pretrend_df)
        numbers[f"{o}_cs_sa_max_gap"] = gap
        rows = {}
        for _, r in sub.iterrows():
            name = f"{o}_{r['estimator']}_{r['target']}_breakdown"
            if math.isfinite(r["breakdown"]):
                numbers[name] = float(r["breakdown"])
            rows[f"{r['estimator']}_{r['target']}"] = r.to_dict()
        facts.append(
            {
                "pretrend_p": float(est.cs.pretrend_pvalue),
                "pretrend_df": int(est.cs.pretrend_df),
                "cs_sa_max_gap": gap,
                "rows": rows,
            }
        )
    return numbers, facts


# --------------------------------------------------------------------------------------------
# Whole analysis
# --------------------------------------------------------------------------------------------
@dataclass
class PolicyAnalysis:
    """Every estimate the policy-evaluation page rests on, for one case."""

    case: str
    design: PolicyDesign
    panel: pd.DataFrame
    estimates: list[OutcomeEstimates]
    bacon: panel_mod.BaconResult
    bacon_level: str
    simulated: bool
    sensitivity: pd.DataFrame
    control: str = "never"
    cluster: str = "village"
    sample: str = "all"
    covariates: str = "none"


def analyse(
    data: synth.SimulatedData,
    case: str,
    *,
    control: str = "never",
    cluster: str = "village",
    sample: str = "all",
    covariates: str = "none",
) -> PolicyAnalysis:
    """Every estimate of one case's policy evaluation.

    Steps: :func:`analysis_panel` (with ``sample`` and ``covariates``: ``none`` or ``baseline``,
    the design's baseline household covariates); :func:`estimate_outcome` for every outcome; the
    Goodman-Bacon decomposition of the first outcome on :func:`bacon_panel`;
    :func:`sensitivity_table`.

    Raises:
        ParameterError, DataValidationError: as the steps.
    """
    _check_options(control, cluster)
    d = design(case)
    simulated = bool(data.meta.get("simulated", True))
    planted = data.meta.get("planted_effects") if simulated else None
    df = analysis_panel(data, case, sample, covariates)
    adjust = d.baseline_covariates if covariates == "baseline" else ()
    estimates = [
        estimate_outcome(
            df, case, o.key, control=control, cluster=cluster, planted=planted, covariates=adjust
        )
        for o in d.outcomes
    ]
    first = estimates[0]
    bdf, level, entity = bacon_panel(df, d.treat, first.outcome.key)
    bacon = panel_mod.bacon_decomposition(bdf, first.outcome.key, d.treat, entity, "year")
    return PolicyAnalysis(
        case=case,
        design=d,
        panel=df,
        estimates=estimates,
        bacon=bacon,
        bacon_level=level,
        simulated=simulated,
        sensitivity=sensitivity_table(estimates),
        control=control,
        cluster=cluster,
        sample=sample,
        covariates=covariates,
    )


def _direction(twfe: float, robust: float, se: float) -> str:
    """``close to`` (within one standard error of the robust estimate), ``below`` or
    ``above``."""
    gap = twfe - robust
    if abs(gap) < se:
        return "close to"
    return "below" if gap < 0 else "above"


def _outcome_facts(est: OutcomeEstimates, n: dict[str, Any]) -> dict[str, Any]:
    """The facts of one outcome's passages; records its ``text_*`` numbers in ``n``."""
    k, s = est.outcome.key, est.summary
    fact: dict[str, Any] = {
        "key": k,
        "phrase": est.outcome.phrase,
        "unit": est.outcome.unit,
        **{name: {c: float(s.loc[name, c]) for c in s.columns} for name in s.index},
        "planted_att": None,
        "event": None,
    }
    if est.effect is not None:
        fact["planted_att"] = n[f"text_{k}_planted_att"] = float(s.loc["cs", "planted"])
    fact["direction"] = _direction(s.loc["twfe", "att"], s.loc["cs", "att"], s.loc["cs", "se"])
    fact["gap"] = n[f"text_{k}_twfe_gap"] = float(abs(s.loc["twfe", "att"] - s.loc["cs", "att"]))
    n[f"text_{k}_pretrend_p"] = float(est.cs.pretrend_pvalue)
    n[f"text_{k}_pretrend_df"] = int(est.cs.pretrend_df)
    if est.effect is not None:
        dyn = est.cs.dynamic[est.cs.dynamic["event_time"] != "overall"]
        last = dyn.iloc[-1]
        e_last = int(last["event_time"])
        event = {
            "cs_e0": float(dyn.loc[dyn["event_time"] == 0, "att"].iloc[0]),
            "planted_e0": float(est.effect(np.array([0.0]))[0]),
            "last_e": e_last,
            "cs_elast": float(last["att"]),
            "planted_elast": float(est.effect(np.array([float(e_last)]))[0]),
        }
        n.update({f"text_{k}_{name}": value for name, value in event.items()})
        fact["event"] = event
    return fact


def _bacon_facts(analysis: PolicyAnalysis, n: dict[str, Any]) -> dict[str, Any]:
    """Facts of the decomposition passage; records its ``text_bacon_*`` numbers in ``n``.

    ``forbidden``: the weight and weighted mean estimate of the "Later vs ..." comparisons
    (already-treated units as controls), or None; ``never``: those of "Treated vs Never
    treated", or None; ``constant``: whether the planted effect of the first outcome is the
    same at 0 and 3 years of exposure (None on field data)."""
    by = analysis.bacon.by_type.set_index("type")
    n["text_bacon_twfe"] = float(analysis.bacon.twfe)
    first = analysis.estimates[0]
    facts: dict[str, Any] = {"level": analysis.bacon_level, "forbidden": None, "never": None}
    forbidden = [t for t in by.index if t.startswith("Later vs")]
    if forbidden:
        w = float(by.loc[forbidden, "weight"].sum())
        est = float((by.loc[forbidden, "weight"] * by.loc[forbidden, "estimate"]).sum() / w)
        n["text_bacon_forbidden_weight"], n["text_bacon_forbidden_estimate"] = w, est
        facts["forbidden"] = {"weight": w, "estimate": est}
    if "Treated vs Never treated" in by.index:
        never = by.loc["Treated vs Never treated"]
        w, est = float(never["weight"]), float(never["estimate"])
        n["text_bacon_never_weight"], n["text_bacon_never_estimate"] = w, est
        facts["never"] = {"weight": w, "estimate": est}
    facts["constant"] = None
    if first.effect is not None:
        exposure = np.array([0.0, 3.0])
        facts["constant"] = bool(np.allclose(first.effect(exposure), first.effect(exposure)[0]))
    return facts


def build(data: synth.SimulatedData, case: str, **options: str) -> Page:
    """The policy-evaluation page of one case: numbers, facts, tables and figures (no
    sentences). ``options``: ``control``, ``cluster``, ``sample`` and ``covariates`` of
    :func:`analyse`.

    Numbers (glued by :func:`cases.present.page.show` with the prefix ``policy``; every float
    with the verify tolerance 1e-6): ``<outcome>_<twfe|cs|sa>_{att,se,ci_low,ci_high}``;
    ``text_*`` (the panel's size and years, per outcome the planted ATT, the TWFE gap, the
    pre-trend test and, on simulated data, the effects in the adoption year and the last year
    against the planted ones; the decomposition's shares); ``honest_*`` (the sensitivity
    analysis, see :func:`_honest`). Facts: the design's phrases, ``simulated``, ``sample`` (with
    ``bottom_share_pct``), ``control``,
    ``cluster``, ``n_clusters``, ``twfe_wild`` (fewer than 30 clusters: the TWFE interval is the
    wild cluster bootstrap's) and ``inference_warnings`` (the rule of
    :mod:`cases.methods.inference`: sentences readers must see), ``outcomes`` (estimates,
    direction of TWFE against Callaway-Sant'Anna, event effects and sensitivity rows of each
    outcome), ``bacon``, ``never``/``balanced``/ ``covariates`` (when Callaway-Sant'Anna and
    Sun-Abraham must coincide) and what the claim table needs. Tables: ``cohorts``,
    ``comparison``, ``sensitivity``, ``bacon``. Figures: ``event`` and ``bacon`` (not stamped).

    Raises:
        ParameterError, DataValidationError: as :func:`analyse`.
    """
    analysis = analyse(data, case, **options)
    control, cluster, sample = analysis.control, analysis.cluster, analysis.sample
    d, df = analysis.design, analysis.panel
    page = Page()
    n = page.numbers
    for est in analysis.estimates:
        for name, row in est.summary.iterrows():
            for stat in ("att", "se", "ci_low", "ci_high"):
                n[f"{est.outcome.key}_{name}_{stat}"] = float(row[stat])
    years = sorted(df["year"].unique())
    per_hh = df.groupby("household_id")["first_treated"].first()
    n["text_n_households"] = int(df["household_id"].nunique())
    n["text_n_villages"] = int(df["village_id"].nunique())
    n["text_first_year"] = int(years[0])
    n["text_last_year"] = int(years[-1])
    n["text_n_treated_households"] = int((per_hh > 0).sum())
    n["text_n_never_households"] = int((per_hh == 0).sum())
    outcomes = [_outcome_facts(est, n) for est in analysis.estimates]
    bacon = _bacon_facts(analysis, n)
    honest_numbers, honest_facts = _honest(analysis)
    n.update({f"honest_{k}": v for k, v in honest_numbers.items()})
    for fact, extra in zip(outcomes, honest_facts, strict=True):
        fact.update(extra)
    page.tolerances = {k: 1e-6 for k, v in n.items() if isinstance(v, float)}
    per_year = analysis.panel.groupby("household_id")["year"].nunique()
    page.facts.update(
        {
            "case": case,
            "simulated": analysis.simulated,
            "reform": d.reform,
            "treated_group": d.treated_group,
            "comparison_group": d.comparison_group,
            "registered_only": d.sample == "registered",
            "sample": sample,
            "bottom_share_pct": round(100 * BASELINE_BOTTOM_SHARE),
            "control": control,
            "cluster": cluster,
            "n_clusters": analysis.estimates[0].twfe.n_clusters,
            "twfe_wild": (analysis.estimates[0].twfe.n_clusters or 10**9) < inference.WILD_BELOW,
            "inference_warnings": sorted(
                {
                    w
                    for est in analysis.estimates
                    for w in (est.twfe.warning, est.event.warning if est.event else "")
                    if w
                }
            ),
            "outcomes": outcomes,
            "bacon": bacon,
            "never": control == "never",
            "balanced": bool((per_year == analysis.panel["year"].nunique()).all()),
            "covariates": analysis.covariates != "none",
            "data_format": data_format_markdown(case, d.tables),
            "claims": thesis_claims(case),
            "needed": [o.needed for o in d.outcomes],
            "claim_columns": list(load_settings(_Settings, SETTINGS).claim_columns),
        }
    )
    page.tables["cohorts"] = cohort_table(df, case)
    page.tables["comparison"] = comparison_table(analysis.estimates, simulated=analysis.simulated)
    page.tables["sensitivity"] = sensitivity_display(analysis.sensitivity, analysis.estimates)
    page.tables["bacon"] = analysis.bacon.by_type
    page.figures["event"] = event_study_figure(analysis.estimates)
    first = analysis.estimates[0].outcome
    page.figures["bacon"] = bacon_figure(analysis.bacon, outcome_label=first.label, unit=first.unit)
    return page


# --------------------------------------------------------------------------------------------
# Specification curve: one specification as a callable, for joint inference
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Specification:
    """One specification of the policy evaluation's curve, as a picklable callable
    ``spec(panel) -> (att, p_value)`` for :func:`cases.methods.multiverse.null_resampling`.

    ``panel`` is the case's full analysis panel (:func:`analysis_panel` with ``sample="all"``
    and, when any specification adjusts, the baseline covariates joined); the call applies the
    sample restriction ``sample`` to it and runs :func:`specification_estimate`, so a resampled
    panel gets the whole analysis again (the poorest 40 % are re-ranked within it)."""

    case: str
    outcome: str
    estimator: str
    control: str = "never"
    sample: str = "all"
    covariates: str = "none"
    cluster: str = "village"

    def __call__(self, panel: pd.DataFrame) -> tuple[float, float]:
        d = design(self.case)
        work = panel
        if self.sample == "baseline_bottom40":
            work = _baseline_bottom(panel, d.outcomes[0].column, "Specification")
        adjust = d.baseline_covariates if self.covariates == "baseline" else ()
        r = specification_estimate(
            work,
            self.case,
            self.outcome,
            self.estimator,
            control=self.control,
            cluster=self.cluster,
            covariates=adjust,
        )
        return r["att"], r["pvalue"]


def curve_panel(
    case: str, seed: int, n: int, data_dir: str = "", covariates: bool = False
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The one dataset a specification curve analyses (:func:`cases.simulate.synth.field_data`
    with the chapter's ``seed`` and ``n``, or ``data_dir``) as the full analysis panel, with the
    baseline covariates joined when ``covariates``; and the columns
    :func:`cases.methods.multiverse.null_resampling` needs (``outcome``: the first outcome,
    ``treat``: the design's 0/1 treatment, ``cluster``: villages, the level of assignment,
    ``entity``: households, ``strata``: the village's adoption cohort, the first year any of
    its households was treated, 0 if none).

    Raises:
        ParameterError, DataValidationError: as :func:`analysis_panel`.
    """
    data = synth.field_data(case, data_dir, seed=seed, n=n)
    panel = analysis_panel(data, case, "all", "baseline" if covariates else "none")
    d = design(case)
    columns = {
        "outcome": d.outcomes[0].key,
        "treat": d.treat,
        "cluster": _CLUSTERS["village"],
        "entity": "household_id",
        # villages are resampled within their adoption cohort (the first year any of their
        # households was treated): every resample keeps the design's cohorts (with 30
        # villages an unstratified draw can lose one)
        "strata": "village_cohort",
    }
    panel = panel.assign(
        village_cohort=panel.groupby(columns["cluster"])["first_treated"].transform(
            lambda g: g[g > 0].min() if (g > 0).any() else 0
        )
    )
    return panel, columns


__all__ += ["Specification", "curve_panel"]
