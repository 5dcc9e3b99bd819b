"""Policy evaluation template logic: staggered reforms, TWFE beside heterogeneity-robust DiD.

Used by ``notebooks/policy_evaluation.ipynb`` for the cases whose thesis credits a reform that
villages or households adopted in different years:

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

Public API: :data:`DESIGNS`, :class:`Outcome`, :class:`PolicyDesign`, :func:`analysis_panel`,
:func:`planted_effect`, :func:`planted_att`, :func:`estimate_outcome`, :func:`comparison_table`,
:func:`cohort_table`, :func:`bacon_panel`, :func:`bacon_figure`, :func:`event_study_figure`,
:func:`claims_table`, :func:`data_format_markdown`, :func:`sensitivity_table`,
:func:`sensitivity_display`, :func:`sensitivity_page`, :func:`analyse` and :class:`Prose`.

Beside the joint pre-trend test the page reports the relative-magnitudes sensitivity of
Rambachan and Roth (2023, :mod:`cases.methods.honest`): the breakdown value of Mbar for the
effect in the adoption year and for the average post-adoption effect, for the TWFE event study,
Callaway-Sant'Anna (universal base period) and Sun-Abraham. Its sentences live in the text
template ``text/policy_evaluation.md``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cases.core.errors import DataValidationError, ParameterError
from cases.data import registry
from cases.methods import honest as honest_mod
from cases.methods import panel as panel_mod
from cases.present import report
from cases.present.page import Page
from cases.present.panel_plots import plot_event_study
from cases.simulate import synth

__all__ = [
    "DESIGNS",
    "ESTIMATOR_LABELS",
    "SENSITIVITY_ESTIMATORS",
    "SENSITIVITY_MBAR",
    "SENSITIVITY_MBAR_MAX",
    "SENSITIVITY_TARGETS",
    "Outcome",
    "OutcomeEstimates",
    "PolicyAnalysis",
    "PolicyDesign",
    "Prose",
    "analyse",
    "analysis_panel",
    "bacon_figure",
    "bacon_panel",
    "claims_table",
    "cohort_table",
    "comparison_table",
    "data_format_markdown",
    "estimate_outcome",
    "event_study_figure",
    "planted_att",
    "planted_effect",
    "sensitivity_display",
    "sensitivity_page",
    "sensitivity_table",
]

#: Estimator keys (used in glue keys) and their display names.
ESTIMATOR_LABELS: dict[str, str] = {
    "twfe": "Two-way fixed effects (TWFE)",
    "cs": "Callaway–Sant'Anna",
    "sa": "Sun–Abraham",
}
_CONTROLS = ("never", "notyet")
_CLUSTERS = {"village": "village_id", "household": "entity"}


# --------------------------------------------------------------------------------------------
# Case designs
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """One outcome: ``key`` (glue-key part), display ``label``, a ``phrase`` for running prose,
    ``unit``, the panel ``column``
    it comes from and whether it is logged (``log=True``: ``ln(column)``, column must be > 0)."""

    key: str
    label: str
    phrase: str
    unit: str
    column: str
    log: bool
    claim: str
    needed: str


@dataclass(frozen=True)
class PolicyDesign:
    """What is evaluated in one case: the reform, its treatment flag and the outcomes.

    ``sample="registered"`` keeps only households with ``registered_poor == 1`` in the
    ``households`` table (so the comparison is with transfer-only registered households).
    """

    case: str
    reform: str
    adopter: str
    treat: str
    outcomes: tuple[Outcome, ...]
    treated_group: str
    comparison_group: str
    sample: str | None = None
    tables: tuple[str, ...] = ("panel",)


DESIGNS: dict[str, PolicyDesign] = {
    "liupanshui": PolicyDesign(
        case="liupanshui",
        reform='the "three changes" reform',
        adopter="village",
        treat="treated",
        treated_group="households in villages that adopted the reform",
        comparison_group="households in villages that had not (yet) adopted it",
        outcomes=(
            Outcome(
                key="log_income",
                label="Log income per capita",
                phrase="log income per capita",
                unit="log points",
                column="income_per_capita",
                log=True,
                claim="income",
                needed=(
                    "Each village's reform start year from county records, and household "
                    "incomes for several years before and after it (for example the yearly "
                    "income checks of the poor-household register), including villages that "
                    "started late or not at all."
                ),
            ),
            Outcome(
                key="returned_migrant",
                label="Migrant worker returned (probability)",
                phrase="the return of migrant workers",
                unit="probability per household-year",
                column="returned_migrant",
                log=False,
                claim="migrants",
                needed=(
                    "A yearly household roster recording members working away and their "
                    "return, linked to the village's reform year, with reasons for return so "
                    "that jobs in reform projects can be told apart from other causes."
                ),
            ),
        ),
    ),
    "h_county": PolicyDesign(
        case="h_county",
        reform='industrial ("blood-making") projects',
        adopter="household",
        treat="project_participant",
        treated_group="registered poor households that joined an industrial project",
        comparison_group="registered poor households on transfer-only support (so far)",
        sample="registered",
        tables=("panel", "households"),
        outcomes=(
            Outcome(
                key="log_income",
                label="Log income per capita",
                phrase="log income per capita",
                unit="log points",
                column="income_per_capita",
                log=True,
                claim="industry",
                needed=(
                    "The project roll-out by village and year, who took part, and the incomes "
                    "of registered households before and after, for participants and for "
                    "households that received transfers only."
                ),
            ),
        ),
    ),
}


def _plain(value: Any) -> Any:
    """A plain Python scalar for messages (``2`` rather than ``np.int64(2)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _design(case: str) -> PolicyDesign:
    if case not in DESIGNS:
        raise ParameterError(
            f"case={case!r} has no policy evaluation; cases with one: {sorted(DESIGNS)}"
        )
    return DESIGNS[case]


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------
def analysis_panel(data: synth.SimulatedData, case: str) -> pd.DataFrame:
    """The household x year panel the evaluation runs on, with outcome columns added.

    Rule: start from the case's ``panel`` table; for a design with ``sample="registered"`` keep
    the households with ``registered_poor == 1`` in the ``households`` table; add each
    outcome's column ``<outcome.key>`` = ``ln(column)`` (log outcomes) or the column itself.

    Raises:
        ParameterError: a case without a policy evaluation.
        DataValidationError: a missing table or column, a household of the panel missing from
            the households table, a non-positive value in a logged column (row named), or an
            empty sample.
    """
    design = _design(case)
    source = f"policy_evaluation.analysis_panel({case})"
    missing_tables = [t for t in design.tables if t not in data.tables]
    if missing_tables:
        raise DataValidationError(source, [f"table {t!r} not found" for t in missing_tables])
    df = data["panel"].copy()
    needed = {"household_id", "village_id", "year", "first_treated", design.treat}
    needed |= {o.column for o in design.outcomes}
    missing = sorted(needed - set(df.columns))
    if missing:
        raise DataValidationError(source, [f"panel: column {c!r} not found" for c in missing])
    if design.sample == "registered":
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
    if df.empty:
        raise DataValidationError(source, ["no households left in the analysis sample"])
    for o in design.outcomes:
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


# --------------------------------------------------------------------------------------------
# Planted effects
# --------------------------------------------------------------------------------------------
def planted_effect(
    case: str, outcome: str, planted: Mapping[str, Any] | None
) -> Callable[[np.ndarray], np.ndarray] | None:
    """The planted effect of the simulated data as a function of event time e = t - G.

    Rules (from ``data/synth/<case>.yaml`` ``planted_effects``; 0 before adoption):
    liupanshui log income ``tau(e) = income_effect_at_adoption + income_effect_growth_per_year
    * e``; liupanshui return migration ``return_migrant_effect``; h_county log income
    ``project_income_effect``. Returns ``None`` when ``planted`` is ``None`` (field data).

    Raises:
        ParameterError: an outcome without a planted rule, or a planted value missing.
    """
    if planted is None:
        return None
    try:
        if case == "liupanshui" and outcome == "log_income":
            a = float(planted["income_effect_at_adoption"])
            b = float(planted["income_effect_growth_per_year"])
            return lambda e: np.where(np.asarray(e, float) >= 0, a + b * np.asarray(e, float), 0.0)
        if case == "liupanshui" and outcome == "returned_migrant":
            c = float(planted["return_migrant_effect"])
        elif case == "h_county" and outcome == "log_income":
            c = float(planted["project_income_effect"])
        else:
            raise ParameterError(f"no planted effect is defined for {case}/{outcome}")
    except KeyError as exc:
        raise ParameterError(f"planted_effects of {case} lack {exc.args[0]!r}") from None
    return lambda e: np.where(np.asarray(e, float) >= 0, c, 0.0)


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
    TWFE gets the Callaway-Sant'Anna target), NaN for field data.

    Raises:
        ParameterError: unknown case, outcome, control or cluster.
        DataValidationError: as the panel estimators.
    """
    _check_options(control, cluster)
    design = _design(case)
    by_key = {o.key: o for o in design.outcomes}
    if outcome not in by_key:
        raise ParameterError(f"outcome must be one of {sorted(by_key)}, got {outcome!r}")
    args = {"entity": "household_id", "time": "year"}
    with warnings.catch_warnings():
        # Singleton or always-treated households are reported by the estimators' own counts.
        warnings.simplefilter("ignore", UserWarning)
        tw = panel_mod.twfe(
            df, outcome, design.treat, cluster=_CLUSTERS[cluster], backend="within", **args
        )
        cs = panel_mod.staggered_did(
            df,
            outcome,
            first_treated="first_treated",
            control=control,
            cluster=_CLUSTERS[cluster],
            base_period="universal",
            **args,
        )
        sa = panel_mod.staggered_did(
            df,
            outcome,
            first_treated="first_treated",
            method="sun_abraham",
            control=control,
            backend="within",
            cluster=_CLUSTERS[cluster],
            **args,
        )
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
    rows = {"twfe": {k: getattr(tw, k if k != "att" else "coef") for k in _STATS}}
    for key, res in (("cs", cs), ("sa", sa)):
        rows[key] = {k: float(res.simple[k].iloc[0]) for k in _STATS}
    summary = pd.DataFrame.from_dict(rows, orient="index")
    if effect is None:
        summary["planted"] = math.nan
    else:
        cs_target = planted_att(cs.att_gt, effect)
        summary["planted"] = [cs_target, cs_target, planted_att(sa.att_gt, effect)]
    return OutcomeEstimates(by_key[outcome], summary, tw, cs, sa, effect, event)


_STATS = ("att", "se", "ci_low", "ci_high", "pvalue")


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
    design = _design(case)
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
    who = "Villages" if design.adopter == "village" else "Villages with participants"
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
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
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
    ax.legend(frameon=False, fontsize=8)
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
    a line shows the planted effect path. Returns the figure (not yet stamped).
    """
    n = len(estimates)
    fig, axes = plt.subplots(n, 2, figsize=(8.0, 3.4 * n), sharex=True, squeeze=False)
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
                label="estimate, 95% CI",
                xlabel="Years since adoption",
                ylabel=f"{est.outcome.label}\n({est.outcome.unit})",
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
            ax.legend(frameon=False, fontsize=7)
    return fig


# --------------------------------------------------------------------------------------------
# Prose helpers
# --------------------------------------------------------------------------------------------
@dataclass
class Prose:
    """Builds Markdown whose numbers are glue roles: ``num(key, value, fmt)`` records the value
    under ``prefix + key`` and returns ``{glue:text}`prefix+key:fmt```.

    Raises:
        ValueError: a non-finite number, or one key given two different values.
    """

    prefix: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def num(self, key: str, value: Any, fmt: str = "") -> str:
        value = value.item() if isinstance(value, np.generic) else value
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"glued number {key!r} is not finite: {value!r}")
        if key in self.numbers and self.numbers[key] != value:
            raise ValueError(f"glue key {key!r} given two values: {self.numbers[key]!r}, {value!r}")
        self.numbers[key] = value
        return f"{{glue:text}}`{self.prefix}{key}{':' + fmt if fmt else ''}`"


def _ref(key: str, fmt: str) -> str:
    """A glue role for a key glued explicitly by the notebook."""
    return f"{{glue:text}}`{key}:{fmt}`"


def _interval(prefix: str, fmt: str) -> str:
    return f"{_ref(prefix + '_att', fmt)} (95% CI {_ref(prefix + '_ci_low', fmt)} to " + (
        f"{_ref(prefix + '_ci_high', fmt)})"
    )


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


def _fmt(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}f}"


def claims_table(
    case: str, estimates: Sequence[OutcomeEstimates], *, simulated: bool
) -> pd.DataFrame:
    """The claim-evidence table: what the thesis reported, what this analysis shows, and what
    would be needed to test it with field data.

    "What the thesis reported" paraphrases the registry (``data/cases/<case>.yaml``); the
    second column states the estimates (and, on simulated data, that the size was planted);
    the third is the outcome's ``needed`` text.

    Raises:
        ParameterError: unknown case.
    """
    _design(case)
    profile = registry.load_case(case)
    achievements = [a.description for a in profile.achievements]
    reported = {
        "income": achievements[0] if achievements else "",
        "migrants": next((a for a in achievements if "igrant" in a), ""),
        "industry": next(
            (
                p.description
                for p in profile.problems
                if p.code == "problem_limited_effect" and "industr" in p.description
            ),
            "",
        ),
    }
    rows = []
    for est in estimates:
        o, s = est.outcome, est.summary
        shows = (
            f"Callaway–Sant'Anna ATT {_fmt(s.loc['cs', 'att'])} {o.unit} "
            f"(95% CI {_fmt(s.loc['cs', 'ci_low'])} to {_fmt(s.loc['cs', 'ci_high'])}); "
            f"Sun–Abraham {_fmt(s.loc['sa', 'att'])}; TWFE {_fmt(s.loc['twfe', 'att'])}."
        )
        if simulated:
            shows += (
                f" The data are simulated with a planted effect (ATT {_fmt(s.loc['cs', 'planted'])}"
                "), so this shows that the estimators recover a hypothesis, not that the "
                "thesis's claim holds."
            )
        rows.append(
            {
                "What the thesis reported": _sentence(reported[o.claim]),
                "What this analysis shows": shows,
                "What would be needed to test it with field data": o.needed,
            }
        )
    return pd.DataFrame(rows)


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


def sensitivity_page(analysis: PolicyAnalysis) -> Page:
    """Facts and numbers of the sensitivity passage (``text/policy_evaluation.md``).

    Numbers (glued with a prefix by :func:`cases.present.page.show`): per outcome ``o``,
    estimator ``k`` and target ``t``, ``<o>_<k>_<t>_breakdown`` when finite; per outcome
    ``<o>_pretrend_p`` and ``<o>_cs_sa_max_gap`` (largest absolute difference between the
    Callaway-Sant'Anna and Sun-Abraham event-time estimates, units of the outcome); ``mbar``
    and ``mbar_max``. Facts: ``outcomes`` (one dict per outcome with its rows), ``never``
    (comparison with never-treated units only), ``balanced`` (every household observed every
    year) and ``covariates`` (False: this page uses none).
    """
    table = analysis.sensitivity
    numbers: dict[str, Any] = {"mbar": SENSITIVITY_MBAR, "mbar_max": SENSITIVITY_MBAR_MAX}
    outcomes = []
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
        outcomes.append(
            {
                "key": o,
                "phrase": est.outcome.phrase,
                "unit": est.outcome.unit,
                "pretrend_p": float(est.cs.pretrend_pvalue),
                "pretrend_df": int(est.cs.pretrend_df),
                "cs_sa_max_gap": gap,
                "rows": rows,
            }
        )
    per_hh = analysis.panel.groupby("household_id")["year"].nunique()
    facts = {
        "outcomes": outcomes,
        "never": analysis.control == "never",
        "balanced": bool((per_hh == analysis.panel["year"].nunique()).all()),
        "covariates": False,
    }
    return Page(numbers=numbers, facts=facts, tolerances={k: 1e-6 for k in numbers})


# --------------------------------------------------------------------------------------------
# Whole analysis
# --------------------------------------------------------------------------------------------
@dataclass
class PolicyAnalysis:
    """Everything the policy-evaluation page shows for one case."""

    case: str
    design: PolicyDesign
    panel: pd.DataFrame
    estimates: list[OutcomeEstimates]
    comparison: pd.DataFrame
    cohorts: pd.DataFrame
    bacon: panel_mod.BaconResult
    bacon_level: str
    claims: pd.DataFrame
    numbers: dict[str, Any]
    markdown: dict[str, str]
    simulated: bool
    sensitivity: pd.DataFrame | None = None
    control: str = "never"


def _direction(twfe: float, robust: float, se: float) -> str:
    gap = twfe - robust
    if abs(gap) < se:
        return "close to"
    return "below" if gap < 0 else "above"


def analyse(
    data: synth.SimulatedData,
    case: str,
    *,
    control: str = "never",
    cluster: str = "village",
) -> PolicyAnalysis:
    """Run the whole policy evaluation of one case and build its page's prose.

    Steps: :func:`analysis_panel`; :func:`estimate_outcome` for every outcome; the comparison
    and cohort tables; the Goodman-Bacon decomposition of the first outcome on
    :func:`bacon_panel`; the claim-evidence table; Markdown with glue roles for the numbers
    (keys ``policy_text_*``, in ``numbers``) and for the estimates the notebook glues itself
    (``policy_<outcome>_<estimator>_{att,se,ci_low,ci_high}``).

    Raises:
        ParameterError, DataValidationError: as the steps.
    """
    _check_options(control, cluster)
    design = _design(case)
    simulated = bool(data.meta.get("simulated", True))
    planted = data.meta.get("planted_effects") if simulated else None
    df = analysis_panel(data, case)
    estimates = [
        estimate_outcome(df, case, o.key, control=control, cluster=cluster, planted=planted)
        for o in design.outcomes
    ]
    first = estimates[0]
    bdf, level, entity = bacon_panel(df, design.treat, first.outcome.key)
    bacon = panel_mod.bacon_decomposition(bdf, first.outcome.key, design.treat, entity, "year")
    p = Prose("policy_text_")
    years = sorted(df["year"].unique())
    per_hh = df.groupby("household_id")["first_treated"].first()
    md: dict[str, str] = {}
    data_phrase = "the simulated data" if simulated else "the field data"
    md["intro"] = (
        f"This page estimates the effect of {design.reform} in {data_phrase}. The comparison is "
        f"between {design.treated_group} and {design.comparison_group}. The panel follows "
        f"{p.num('n_households', int(df['household_id'].nunique()))} households in "
        f"{p.num('n_villages', int(df['village_id'].nunique()))} villages from "
        f"{p.num('first_year', int(years[0]))} to {p.num('last_year', int(years[-1]))}; "
        f"{p.num('n_treated_households', int((per_hh > 0).sum()))} of them were treated at some "
        f"point and {p.num('n_never_households', int((per_hh == 0).sum()))} never were."
    )
    if simulated:
        md["intro"] += (
            " The data are simulated: the size of every effect was planted as a hypothesis "
            f"taken from the thesis (`data/synth/{case}.yaml`), so the page checks the methods, "
            "not the thesis's claims."
        )
    if design.sample == "registered":
        md["intro"] += (
            " Only registered poor households are kept, so that project participants are "
            "compared with registered households that received transfers only."
        )
    # Estimates of every outcome (keys glued by the notebook).
    sentences = []
    for est in estimates:
        k = f"policy_{est.outcome.key}"
        s = est.summary
        sentence = (
            f"For {est.outcome.phrase} ({est.outcome.unit}), Callaway–Sant'Anna gives "
            f"{_interval(k + '_cs', '.3f')}, Sun–Abraham {_interval(k + '_sa', '.3f')} and TWFE "
            f"{_interval(k + '_twfe', '.3f')}."
        )
        if est.effect is not None:
            sentence += (
                f" The planted average effect over the same cells is "
                f"{p.num(est.outcome.key + '_planted_att', float(s.loc['cs', 'planted']), '.3f')}."
            )
        direction = _direction(s.loc["twfe", "att"], s.loc["cs", "att"], s.loc["cs", "se"])
        gap = float(abs(s.loc["twfe", "att"] - s.loc["cs", "att"]))
        gap_text = p.num(est.outcome.key + "_twfe_gap", gap, ".3f")
        if direction == "close to":
            sentence += (
                f" TWFE differs from the Callaway–Sant'Anna estimate by {gap_text}, less than "
                "one standard error of the latter."
            )
        else:
            sentence += f" TWFE is {direction} the Callaway–Sant'Anna estimate by {gap_text}."
        sentences.append(sentence)
    md["estimates"] = " ".join(sentences)
    comparison_units = "never-treated" if control == "never" else "never- and not-yet-treated"
    md["estimates"] += (
        f" The robust estimators use the {comparison_units} "
        f"households as comparison (parameter `estimator_control`); the standard errors of "
        f"all three estimators are clustered by {cluster} (parameter `cluster`)."
    )
    # Event study.
    ev = []
    for est in estimates:
        # The pre-trend test is stated by the sensitivity passage (text/policy_evaluation.md),
        # with the p-value in the book's format; its numbers keep their keys here.
        p.num(est.outcome.key + "_pretrend_p", float(est.cs.pretrend_pvalue))
        p.num(est.outcome.key + "_pretrend_df", int(est.cs.pretrend_df))
        if est.effect is not None:
            dyn = est.cs.dynamic[est.cs.dynamic["event_time"] != "overall"]
            last = dyn.iloc[-1]
            e_last = int(last["event_time"])
            k = est.outcome.key
            e0 = float(dyn.loc[dyn["event_time"] == 0, "att"].iloc[0])
            planted_e0 = float(est.effect(np.array([0.0]))[0])
            planted_last = float(est.effect(np.array([float(e_last)]))[0])
            ev.append(
                f"For {est.outcome.phrase}, the estimate in the adoption year is "
                f"{p.num(k + '_cs_e0', e0, '.3f')} "
                f"against a planted {p.num(k + '_planted_e0', planted_e0, '.3f')}; "
                f"{p.num(k + '_last_e', e_last)} years after adoption it is "
                f"{p.num(k + '_cs_elast', float(last['att']), '.3f')} against "
                f"{p.num(k + '_planted_elast', planted_last, '.3f')}."
            )
    md["event_text"] = (
        "{numref}`"
        + f"fig-policy-event-{case}"
        + "` shows the effects by years since adoption. "
        + " ".join(ev)
    )
    # Bacon decomposition.
    by = bacon.by_type.set_index("type")
    forbidden = [t for t in by.index if t.startswith("Later vs")]
    w_forb = float(by.loc[forbidden, "weight"].sum()) if forbidden else 0.0
    level_text = (
        "on the household panel, which is balanced"
        if level == "household"
        else "on village × year means, because the household panel is not balanced"
    )
    btxt = (
        f"The decomposition of the TWFE coefficient for {first.outcome.phrase} is computed "
        f"{level_text}; it reproduces the TWFE coefficient "
        f"{p.num('bacon_twfe', float(bacon.twfe), '.3f')}. "
    )
    if forbidden:
        est_forb = float(
            (by.loc[forbidden, "weight"] * by.loc[forbidden, "estimate"]).sum() / w_forb
        )
        btxt += (
            f"A share of {p.num('bacon_forbidden_weight', w_forb, '.2f')} of its weight comes "
            'from comparisons that use already-treated units as controls ("later vs earlier '
            'treated"), whose average estimate is '
            f"{p.num('bacon_forbidden_estimate', est_forb, '.3f')}. "
            "When effects grow with time since adoption, the already-treated controls are still "
            "gaining, so these comparisons subtract part of the effect and pull TWFE below the "
            "robust estimates. When the effect is constant, the same comparisons are harmless."
        )
        if first.effect is not None:
            exposure = np.array([0.0, 3.0])
            if np.allclose(first.effect(exposure), first.effect(exposure)[0]):
                btxt += (
                    " The planted effect of this case is constant, so a gap between TWFE and "
                    "the robust estimates here comes from sampling variation and the different "
                    "weights the estimators give to the cohorts, not from this bias."
                )
            else:
                btxt += (
                    " The planted effect of this case grows with exposure, so this is the "
                    "bias to expect here."
                )
    if "Treated vs Never treated" in by.index:
        never = by.loc["Treated vs Never treated"]
        btxt += (
            f" Comparisons with never-treated units carry "
            f"{p.num('bacon_never_weight', float(never['weight']), '.2f')} "
            f"of the weight, with average estimate "
            f"{p.num('bacon_never_estimate', float(never['estimate']), '.3f')}."
        )
    btxt += " {numref}`" + f"fig-policy-bacon-{case}" + "` plots every comparison."
    md["bacon_text"] = btxt
    md["data_format"] = data_format_markdown(case, design.tables)
    comparison = comparison_table(estimates, simulated=simulated)
    return PolicyAnalysis(
        case=case,
        design=design,
        panel=df,
        estimates=estimates,
        comparison=comparison,
        cohorts=cohort_table(df, case),
        bacon=bacon,
        bacon_level=level,
        claims=claims_table(case, estimates, simulated=simulated),
        numbers=p.numbers,
        markdown=md,
        simulated=simulated,
        sensitivity=sensitivity_table(estimates),
        control=control,
    )
