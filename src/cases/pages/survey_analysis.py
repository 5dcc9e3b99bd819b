"""Survey analysis of a case: reliability, scale scores by group, group gaps and outcome models.

One entry point, :func:`run`, adapts to the case's questionnaire (``SurveyResults.kind``):

- ``governance`` (``shandong_a_town``): the eight good-governance dimensions rated by township
  officials, first secretaries, village officials and poor households; the gap between
  officials and poor households; an ordered logit of perceived effectiveness on the eight
  dimension scores.
- ``interaction`` (``liupanshui``): exposure to the four government-people interaction
  channels; ordered logits of satisfaction (``sat_1``) and confidence (``conf_1``) on the four
  channel scores.
- ``motivation`` (``w_town``, ``h_county``, ``pingliang``): the endogenous-motivation scale and
  an OLS regression of yearly log-income growth on its three facets.

The building blocks (:func:`group_means`, :func:`group_gap`, :func:`annual_log_growth`,
:func:`ols_table`) are public and tested on hand-checkable data. Scores, reliability and the
ordered logit come from :mod:`cases.methods.survey`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from cases.core.errors import DataValidationError, ParameterError
from cases.methods import survey
from cases.present import report
from cases.simulate import synth

__all__ = [
    "CASE_DESIGNS",
    "Design",
    "SurveyResults",
    "annual_log_growth",
    "group_gap",
    "group_means",
    "ols_table",
    "run",
]


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------
def _finite_values(values: pd.Series, what: str) -> np.ndarray:
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if x.size < 2:
        raise ParameterError(f"{what}: need at least 2 non-missing values, got {x.size}")
    return x


def group_means(
    scores: pd.DataFrame,
    scales: Sequence[str],
    group: str,
    *,
    conf_level: float = 0.95,
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Mean score of each scale by group with a t confidence interval.

    Rule: ``mean ± t_{n-1, (1+conf)/2} s / sqrt(n)`` over the respondents of the group with a
    score (missing scores excluded; ``s`` the SD with ddof=1). Units: those of the scores
    (e.g. 1-5 agreement codes).

    Returns:
        Columns ``scale, group, n, mean, sd, ci_low, ci_high`` (groups in ``order`` if given,
        else sorted).

    Raises:
        ParameterError: ``group`` or a scale column missing; ``conf_level`` not in (0, 1); a
            group with fewer than 2 scores on a scale.
    """
    if not 0 < conf_level < 1:
        raise ParameterError(f"conf_level must be in (0, 1), got {conf_level}")
    missing = [c for c in [group, *scales] if c not in scores.columns]
    if missing:
        raise ParameterError(f"columns {missing} not in the scores (have {list(scores.columns)})")
    groups = list(order) if order is not None else sorted(scores[group].dropna().unique())
    rows = []
    for scale in scales:
        for g in groups:
            x = _finite_values(scores.loc[scores[group] == g, scale], f"scale {scale!r}, {g!r}")
            sd = float(x.std(ddof=1))
            half = float(stats.t.ppf((1 + conf_level) / 2, x.size - 1)) * sd / math.sqrt(x.size)
            mean = float(x.mean())
            rows.append(
                {
                    "scale": scale,
                    "group": g,
                    "n": int(x.size),
                    "mean": mean,
                    "sd": sd,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
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
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Difference in mean score, focal groups (pooled) minus reference groups (pooled).

    Rule: Welch's unequal-variance t interval, ``d = mean_f - mean_r``,
    ``se = sqrt(s_f^2/n_f + s_r^2/n_r)``, degrees of freedom by Welch-Satterthwaite, via
    :func:`scipy.stats.ttest_ind` (``equal_var=False``). Units: score points.
    Reference: Welch, B. L. (1947). The generalization of "Student's" problem when several
    different population variances are involved. *Biometrika* 34, 28-35.

    Returns:
        Columns ``scale, n_focal, n_reference, mean_focal, mean_reference, gap, se, df,
        ci_low, ci_high, p``.

    Raises:
        ParameterError: a column missing; focal and reference overlapping or empty; fewer than
            two scores on either side.
    """
    if not focal or not reference or set(focal) & set(reference):
        raise ParameterError(
            f"focal {list(focal)} and reference {list(reference)} must be non-empty and disjoint"
        )
    missing = [c for c in [group, *scales] if c not in scores.columns]
    if missing:
        raise ParameterError(f"columns {missing} not in the scores (have {list(scores.columns)})")
    rows = []
    for scale in scales:
        a = _finite_values(scores.loc[scores[group].isin(focal), scale], f"{scale!r} focal")
        b = _finite_values(scores.loc[scores[group].isin(reference), scale], f"{scale!r} ref")
        res = stats.ttest_ind(a, b, equal_var=False)
        ci = res.confidence_interval(conf_level)
        rows.append(
            {
                "scale": scale,
                "n_focal": int(a.size),
                "n_reference": int(b.size),
                "mean_focal": float(a.mean()),
                "mean_reference": float(b.mean()),
                "gap": float(a.mean() - b.mean()),
                "se": float(math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)),
                "df": float(res.df),
                "ci_low": float(ci.low),
                "ci_high": float(ci.high),
                "p": float(res.pvalue),
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
    controls: Sequence[str] = (),
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """OLS with heteroskedasticity-robust (HC1) standard errors, as a tidy table.

    Model: ``y = a + x'b + c'w + e``, fitted by statsmodels ``OLS``; standard errors HC1
    (White 1980 with the n/(n-k) correction; MacKinnon, J. G. & White, H. (1985), *Journal of
    Econometrics* 29, 305-325). Categorical controls are dummy-coded (first level omitted).
    Rows with a missing value in a used column are excluded (count in ``attrs["n_dropped"]``).

    Returns:
        Columns ``term, estimate, se, ci_low, ci_high, t, p`` for the intercept, predictors and
        controls; ``attrs``: ``n``, ``n_dropped``, ``r2``.

    Raises:
        ParameterError: a column missing or too few complete rows.
    """
    import statsmodels.api as sm

    cols = [outcome, *predictors, *controls]
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ParameterError(f"columns {missing} not in data")
    sub = data[cols].dropna()
    exog = pd.get_dummies(sub[[*predictors, *controls]], drop_first=True, dtype=float)
    exog = sm.add_constant(exog, has_constant="add")
    if len(sub) < exog.shape[1] + 3:
        raise ParameterError(f"too few complete rows ({len(sub)}) for {exog.shape[1]} terms")
    res = sm.OLS(sub[outcome].astype(float), exog).fit(cov_type="HC1")
    ci = res.conf_int(alpha=1 - conf_level)
    table = pd.DataFrame(
        {
            "term": res.params.index,
            "estimate": res.params.to_numpy(),
            "se": res.bse.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
            "t": res.tvalues.to_numpy(),
            "p": res.pvalues.to_numpy(),
        }
    )
    table.attrs.update(n=len(sub), n_dropped=len(data) - len(sub), r2=float(res.rsquared))
    return table


# --------------------------------------------------------------------------------------------
# Case designs
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    """How a case's questionnaire is analysed.

    ``group_col`` names the grouping of respondents (``role``, or ``social_security`` derived
    from the household table); ``focal``/``reference`` the groups whose gap is estimated.
    ``outcomes`` are ordinal items for ordered logits (``governance``/``interaction``).
    """

    kind: str
    instrument: str
    table: str
    scales: tuple[str, ...]
    group_col: str
    group_labels: tuple[tuple[str, str], ...]
    focal: tuple[str, ...]
    reference: tuple[str, ...]
    focal_label: str
    reference_label: str
    outcomes: tuple[str, ...] = ()


_GG = (
    "rule_of_law",
    "fairness",
    "transparency",
    "responsiveness",
    "participation",
    "effectiveness",
    "accountability",
    "integrity",
)
_CHANNELS = (
    "propaganda_communication",
    "project_assistance",
    "internet_interaction",
    "party_group_organisation",
)
_FACETS = ("willingness", "self_efficacy", "dependence")
_MOTIVATION_ROLES = (
    ("poor_household", "Registered poor households"),
    ("relieved_household", "Households lifted out of poverty"),
    ("low_income_household", "Low-income households"),
    ("non_poor_villager", "Other villagers"),
)

#: The survey design of every case that runs this analysis.
CASE_DESIGNS: dict[str, Design] = {
    "shandong_a_town": Design(
        kind="governance",
        instrument="good_governance",
        table="survey",
        scales=_GG,
        group_col="role",
        group_labels=(
            ("township_official", "Township officials"),
            ("first_secretary", "First secretaries"),
            ("village_official", "Village officials"),
            ("poor_household", "Poor households"),
        ),
        focal=("township_official", "first_secretary", "village_official"),
        reference=("poor_household",),
        focal_label="officials",
        reference_label="poor households",
        outcomes=("outcome_effectiveness",),
    ),
    "liupanshui": Design(
        kind="interaction",
        instrument="gov_people_interaction",
        table="survey",
        scales=_CHANNELS,
        group_col="role",
        group_labels=(
            ("poor_household", "Poor households"),
            ("non_poor_villager", "Other villagers"),
        ),
        focal=("poor_household",),
        reference=("non_poor_villager",),
        focal_label="poor households",
        reference_label="other villagers",
        outcomes=("sat_1", "conf_1"),
    ),
    "w_town": Design(
        kind="motivation",
        instrument="endogenous_motivation",
        table="motivation",
        scales=_FACETS,
        group_col="role",
        group_labels=_MOTIVATION_ROLES[1:],
        focal=("relieved_household", "low_income_household"),
        reference=("non_poor_villager",),
        focal_label="relatively poor households (lifted out of poverty or low-income)",
        reference_label="other villagers",
    ),
    "h_county": Design(
        kind="motivation",
        instrument="endogenous_motivation",
        table="motivation",
        scales=_FACETS,
        group_col="role",
        group_labels=(_MOTIVATION_ROLES[0], _MOTIVATION_ROLES[3]),
        focal=("poor_household",),
        reference=("non_poor_villager",),
        focal_label="registered poor households",
        reference_label="other villagers",
    ),
    "pingliang": Design(
        kind="motivation",
        instrument="endogenous_motivation",
        table="motivation",
        scales=_FACETS,
        group_col="social_security",
        group_labels=(
            ("covered", "Covered by social security"),
            ("not_covered", "Not covered"),
        ),
        focal=("covered",),
        reference=("not_covered",),
        focal_label="registered households covered by social security (dibao or tekun)",
        reference_label="registered households not covered",
    ),
}

#: Income source of the motivation cases: (table, long or wide, description).
_INCOME_SOURCE = {
    "w_town": "incomes",
    "h_county": "panel",
    "pingliang": "households",
}

_PLANTED_OUTCOME = {
    "effectiveness_logit": "outcome_effectiveness",
    "satisfaction_logit": "sat_1",
    "confidence_logit": "conf_1",
}
_OUTCOME_LABELS = {
    "outcome_effectiveness": "perceived effectiveness of poverty alleviation",
    "sat_1": "satisfaction with the government's poverty-alleviation work",
    "conf_1": "confidence in staying out of poverty",
}


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclass
class SurveyResults:
    """Everything the ``survey_analysis`` page of one case shows (see :func:`run`).

    ``numbers`` are glued as ``survey_<key>``; ``markdown`` values are Markdown strings glued
    as ``survey_<key>`` whose numbers are ``{glue:text}`` roles on keys in ``numbers``.
    """

    case: str
    kind: str
    simulated: bool
    design: Design
    reliability: pd.DataFrame
    scores: pd.DataFrame
    means: pd.DataFrame
    gap: pd.DataFrame
    model: pd.DataFrame
    claims: pd.DataFrame
    numbers: dict[str, Any]
    markdown: dict[str, str]
    figures: dict[str, Callable[[], mpl.figure.Figure]] = field(default_factory=dict)
    source: str | None = None


class _Prose:
    """Builds Markdown whose numbers are ``{glue:text}`` roles, recording each number."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.numbers: dict[str, Any] = {}

    def num(self, key: str, value: Any, fmt: str = ".2f") -> str:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"glued number {key!r} is not finite: {value!r}")
        if key in self.numbers and self.numbers[key] != value:
            raise ValueError(f"glue key {key!r} given two values: {self.numbers[key]!r}, {value!r}")
        self.numbers[key] = value
        spec = f":{fmt}" if fmt else ""
        return f"{{glue:text}}`{self.prefix}{key}{spec}`"

    def record(self, key: str, value: Any) -> None:
        """Record a number that is glued (and kept in the results manifest) but not in prose."""
        self.num(key, value)


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _label(instrument: survey.Instrument, scale: str) -> str:
    return instrument.scale(scale).label_en


def _groups(case: str, design: Design, data: synth.SimulatedData) -> pd.Series:
    """Group label of every respondent of the case's survey table."""
    table = data[design.table]
    if design.group_col == "role":
        return table["role"].astype(object)
    # pingliang: coverage by social security, from the household table
    hh = data["households"].set_index("household_id")["social_security"]
    unknown = ~table["household_id"].isin(hh.index)
    if unknown.any():
        first = table.loc[unknown, "household_id"].iloc[0]
        raise DataValidationError(
            "motivation", [f"household_id {first!r} is not in the households table"]
        )
    covered = table["household_id"].map(hh)
    return pd.Series(np.where(covered == 1, "covered", "not_covered"), index=table.index)


def _incomes_long(case: str, data: synth.SimulatedData) -> pd.DataFrame:
    if case == "pingliang":
        hh = data["households"]
        return pd.concat(
            [
                pd.DataFrame(
                    {"household_id": hh["household_id"], "year": year, "income_per_capita": hh[c]}
                )
                for year, c in ((2014, "income_2014"), (2019, "income_2019"))
            ],
            ignore_index=True,
        )
    table = data[_INCOME_SOURCE[case]]
    return table[["household_id", "year", "income_per_capita"]]


def _planted(meta: Mapping[str, Any], name: str) -> Any:
    return (meta.get("planted_effects") or {}).get(name)


def _claim_text(case: str, name: str) -> str:
    raw = synth.load_params(case)["planted_effects"][name]
    text = str(raw["claim"]).strip()
    return text[0].upper() + text[1:] + "."


# --------------------------------------------------------------------------------------------
# The analysis
# --------------------------------------------------------------------------------------------
def run(
    case: str,
    data: synth.SimulatedData,
    *,
    conf_level: float = 0.95,
    source: str | None = None,
    instrument: str | None = None,
) -> SurveyResults:
    """Run the survey analysis of ``case`` on ``data`` (simulated or a researcher's own).

    Steps: scale scores (:func:`cases.methods.survey.scale_scores`, half rule), reliability of every
    multi-item scale (alpha and omega, :func:`cases.methods.survey.reliability_table`), mean scores
    by
    group (:func:`group_means`) and the focal-minus-reference gap (:func:`group_gap`), then the
    outcome model of the case's kind: ordered logit(s) of the ordinal outcome(s) on the scale
    scores (:func:`cases.methods.survey.ordered_logit`, log-odds per score point) or OLS of yearly
    log-income growth on the three motivation facets with role dummies as controls
    (:func:`ols_table`, log points per year per score point). ``source`` names the field data
    for provenance lines (None for simulated data). ``instrument`` (a path to an instrument
    YAML) replaces the case's questionnaire: its ``scale`` scales are scored and compared, its
    ``outcome`` items modelled (the case's outcomes when it declares none).

    Raises:
        ParameterError: ``case`` does not run this analysis (known cases listed).
        DataValidationError: a table or column missing, or codes outside their range.
    """
    if case not in CASE_DESIGNS:
        raise ParameterError(
            f"survey_analysis: case {case!r} has no survey design; known: {sorted(CASE_DESIGNS)}"
        )
    design = CASE_DESIGNS[case]
    own = None
    if instrument:
        own = survey.load_instrument(instrument)
        outcomes = tuple(i for s in own.scales if s.kind == "outcome" for i in s.items)
        design = dataclasses.replace(
            design,
            instrument=str(instrument),
            scales=tuple(s.id for s in own.scales if s.kind == "scale"),
            outcomes=outcomes or design.outcomes,
        )
    simulated = bool(data.meta.get("simulated", True))
    if design.table not in data.tables:
        raise DataValidationError(case, [f"table {design.table!r} not found"])
    instrument = survey.load_instrument(design.instrument)
    table = data[design.table]
    scores = survey.scale_scores(table, instrument)
    scores.insert(0, "group", _groups(case, design, data))
    scores.insert(0, "household_id", table["household_id"])
    reliability = survey.reliability_table(table, instrument)
    order = [g for g, _ in design.group_labels if (scores["group"] == g).sum() >= 2]
    means = group_means(scores, design.scales, "group", conf_level=conf_level, order=order)
    gap = group_gap(
        scores, design.scales, "group", design.focal, design.reference, conf_level=conf_level
    )

    if design.kind == "motivation":
        growth = annual_log_growth(_incomes_long(case, data))
        frame = scores.merge(growth, on="household_id", how="left", validate="many_to_one")
        controls = ["group"] if len(frame["group"].unique()) > 1 else []
        model = ols_table(
            frame, "growth", list(design.scales), controls=controls, conf_level=conf_level
        )
        model.insert(0, "outcome", "growth")
        model["n"] = model.attrs["n"]
        model_frame = frame
    else:
        joined = pd.concat([scores, table[list(design.outcomes)]], axis=1)
        parts = []
        for outcome in design.outcomes:
            fit = survey.ordered_logit(joined, outcome, list(design.scales), conf_level=conf_level)
            fit = fit[fit["term"].isin(design.scales)].copy()
            fit.insert(0, "outcome", outcome)
            fit["n"] = fit.attrs["n"]
            parts.append(fit)
        model = pd.concat(parts, ignore_index=True)
        model_frame = joined

    p = _Prose("survey_")
    md: dict[str, str] = {}
    md["reliability_text"] = _reliability_text(p, reliability)
    if own is None:
        md["intro"] = _intro(p, case, design, instrument, scores, simulated, data)
        md["groups_text"] = _groups_text(p, case, design, instrument, gap, simulated, data.meta)
        md["model_text"] = _model_text(p, case, design, instrument, model, simulated, data.meta)
        md["data_text"] = _data_text(case, design)
        claims = _claims(case, design, instrument, gap, model, simulated, data.meta)
    else:
        # An author's own questionnaire: the case's sentences name the case's scales, so only
        # the tables, figures and numbers are shown (no thesis claims either).
        md.update(intro="", groups_text="", model_text="", data_text="")
        claims = pd.DataFrame()
    _record_all(p, design, reliability, gap, model)

    res = SurveyResults(
        case=case,
        kind=design.kind,
        simulated=simulated,
        design=design,
        reliability=reliability,
        scores=scores,
        means=means,
        gap=gap,
        model=model,
        claims=claims,
        numbers=p.numbers,
        markdown=md,
        source=source,
    )
    res.figures = {
        "groups_fig": lambda: groups_figure(res, instrument),
        "model_fig": lambda: (
            growth_figure(model_frame, model, simulated=simulated, source=source)
            if design.kind == "motivation" and own is None
            else coefficient_figure(res, instrument)
        ),
    }
    n_groups = len(order)
    md["groups_block"] = _figure_block(
        "survey_groups_fig",
        f"fig-survey-groups-{case}",
        f"Mean score on each scale by group with 95% intervals, and the gap between "
        f"{design.focal_label} and {design.reference_label}",
        f"Left: mean score of each scale for the {n_groups} groups of respondents, with 95% "
        f"intervals. Right: {design.focal_label} minus {design.reference_label}, with 95% "
        "Welch intervals.",
    )
    md["model_block"] = _figure_block(
        "survey_model_fig",
        f"fig-survey-model-{case}",
        "Estimated coefficients with 95% intervals"
        if design.kind != "motivation"
        else "Yearly income growth against the willingness score, with binned means",
        "Ordered-logit coefficients (log-odds per score point) with 95% intervals."
        if design.kind != "motivation"
        else "Yearly log-income growth against the willingness score: households (dots), "
        "means within willingness bins with 95% intervals, and the fitted OLS line.",
    )
    return res


def _figure_block(key: str, name: str, alt: str, caption: str) -> str:
    return f"```{{glue:figure}} {key}\n:name: {name}\n:alt: {alt}\n\n{caption}\n```"


def _record_all(
    p: _Prose, design: Design, reliability: pd.DataFrame, gap: pd.DataFrame, model: pd.DataFrame
) -> None:
    """Every main estimate with its SE and interval, for the results manifest."""
    for _, r in reliability.iterrows():
        p.record(f"alpha_{r['scale']}", float(r["alpha"]))
        if pd.notna(r["omega"]):
            p.record(f"omega_{r['scale']}", float(r["omega"]))
    for _, r in gap.iterrows():
        for col, suffix in (
            ("gap", ""),
            ("se", "_se"),
            ("ci_low", "_ci_low"),
            ("ci_high", "_ci_high"),
        ):
            p.record(f"gap_{r['scale']}{suffix}", float(r[col]))
    for _, r in model.iterrows():
        if r["term"] == "const":
            continue
        stem = f"{r['outcome']}_{r['term']}".replace("outcome_effectiveness_", "effectiveness_")
        for col, suffix in (
            ("estimate", ""),
            ("se", "_se"),
            ("ci_low", "_ci_low"),
            ("ci_high", "_ci_high"),
        ):
            p.record(f"coef_{stem}{suffix}", float(r[col]))


def _intro(
    p: _Prose,
    case: str,
    design: Design,
    instrument: survey.Instrument,
    scores: pd.DataFrame,
    simulated: bool,
    data: synth.SimulatedData,
) -> str:
    n = p.num("n_respondents", len(scores), "d")
    data_phrase = (
        "the simulated questionnaire (generated by `cases.simulate.synth`; the thesis's own data"
        " are not "
        "public)"
        if simulated
        else "the questionnaire data supplied for this run"
    )
    counts = scores["group"].value_counts()
    labels = dict(design.group_labels)
    parts = [
        f"{p.num(f'n_{g}', int(counts.get(g, 0)), 'd')} {labels[g].lower()}"
        for g, _ in design.group_labels
        if counts.get(g, 0) > 0
    ]
    what = {
        "governance": "rated the eight dimensions of good governance (three items each) and the "
        "overall effectiveness of poverty alleviation",
        "interaction": "reported how often they met each of the four channels of "
        "government-people interaction (three items each, 0 = never to 4 = very often) and "
        "rated their satisfaction and confidence",
        "motivation": "answered the endogenous-motivation scale: willingness to lift oneself "
        "out of poverty, self-efficacy and dependence on assistance",
    }[design.kind]
    return (
        f"This page analyses {data_phrase}: {n} respondents ({_join(parts)}) {what}. "
        f"The items are those of the instrument *{instrument.title_en}* "
        f"(`data/instruments/{design.instrument}.yaml`), written for this compendium."
    )


def _reliability_text(p: _Prose, reliability: pd.DataFrame) -> str:
    lo = reliability.loc[reliability["alpha"].idxmin()]
    hi = reliability.loc[reliability["alpha"].idxmax()]
    omega = reliability["omega"].dropna()
    below = int((reliability["alpha"] < 0.7).sum())
    text = (
        f"Cronbach's alpha of the {p.num('n_scales', len(reliability), 'd')} multi-item scales "
        f"ranges from {p.num('alpha_min', float(lo['alpha']))} ({lo['label_en'].lower()}) to "
        f"{p.num('alpha_max', float(hi['alpha']))} ({hi['label_en'].lower()})"
    )
    if len(omega):
        text += (
            f"; McDonald's omega from {p.num('omega_min', float(omega.min()))} to "
            f"{p.num('omega_max', float(omega.max()))}"
        )
    text += ". "
    if below:
        text += (
            f"{p.num('n_alpha_below_07', below, 'd')} of them fall below the conventional 0.7, "
            "so their scores carry more measurement error and their associations are "
            "attenuated."
        )
    else:
        text += "None falls below the conventional 0.7."
    return text


def _sig(r: pd.Series) -> bool:
    return bool(r["ci_low"] > 0 or r["ci_high"] < 0)


def _groups_text(
    p: _Prose,
    case: str,
    design: Design,
    instrument: survey.Instrument,
    gap: pd.DataFrame,
    simulated: bool,
    meta: Mapping[str, Any],
) -> str:
    k = len(gap)
    n_pos = int((gap["gap"] > 0).sum())
    n_sig = int(gap.apply(_sig, axis=1).sum())
    big = gap.loc[gap["gap"].abs().idxmax()]
    fig = f"{{numref}}`fig-survey-groups-{case}`"
    text = (
        f"The point estimate is higher for {design.focal_label} than for "
        f"{design.reference_label} on {p.num('gap_n_positive', n_pos, 'd')} of the "
        f"{p.num('gap_n_scales', k, 'd')} scales, and the 95% interval of the difference "
        f"excludes zero on {p.num('gap_n_excluding_zero', n_sig, 'd')} ({fig}); only those "
        "differences are distinguishable from sampling noise. "
        f"The largest difference is on {_label(instrument, big['scale']).lower()}: "
        f"{p.num('gap_largest', float(big['gap']), '+.2f')} points on the item scale "
        f"(95% interval {p.num('gap_largest_ci_low', float(big['ci_low']), '+.2f')} to "
        f"{p.num('gap_largest_ci_high', float(big['ci_high']), '+.2f')})."
    )
    if not simulated:
        return text
    if design.kind == "governance":
        shift = _planted(meta, "role_shift") or {}
        lam = float(np.mean(meta["parameters"]["item_loadings"]))
        officials = {
            r: meta["parameters"]["officials_per_poor_respondent"][r] for r in design.focal
        }
        pooled = sum(shift[r] * w for r, w in officials.items()) / sum(officials.values())
        expected = lam * (pooled - shift["poor_household"])
        text += (
            " The simulation planted a shift of officials' latent ratings above poor households' "
            f"(township officials {p.num('planted_shift_township', shift['township_official'])}, "
            f"first secretaries {p.num('planted_shift_secretary', shift['first_secretary'])}, "
            f"village officials {p.num('planted_shift_village', shift['village_official'])} "
            "latent SD). With the mean item loading this implies a gap of about "
            f"{p.num('planted_gap_expected', expected)} points before rounding and clipping of "
            "the answers, which pull the observed gap somewhat towards zero. This is a "
            "hypothesis built into the data, not a result of the thesis."
        )
    elif case == "h_county":
        shift = _planted(meta, "registered_motivation_shift") or {}
        text += (
            " The simulation planted lower willingness "
            f"({p.num('planted_shift_willingness', shift['willingness'], '+.1f')} latent SD) and "
            "self-efficacy "
            f"({p.num('planted_shift_self_efficacy', shift['self_efficacy'], '+.1f')}) and higher "
            f"dependence ({p.num('planted_shift_dependence', shift['dependence'], '+.1f')}) for "
            "registered households: a hypothesis, not a result of the thesis."
        )
    elif case == "pingliang":
        shift = _planted(meta, "social_security_dependence_shift")
        text += (
            " The simulation planted higher dependence on assistance for covered households "
            f"({p.num('planted_shift_dependence', shift, '+.1f')} latent SD, about "
            f"{p.num('planted_gap_expected', 0.8 * shift)} points given the item loading): a "
            "hypothesis, not a result of the thesis. No other difference was planted."
        )
    elif case == "w_town":
        text += (
            " No difference between the groups was planted as such; in the simulation, "
            "motivation and income share a common ability factor, so the relatively poor score "
            "lower on willingness and self-efficacy by construction."
        )
    else:
        text += (
            " No difference between the groups was planted: channel exposure depends on whether "
            "the village adopted the reform, not on a household's poverty, so differences near "
            "zero are expected."
        )
    return text


def _model_text(
    p: _Prose,
    case: str,
    design: Design,
    instrument: survey.Instrument,
    model: pd.DataFrame,
    simulated: bool,
    meta: Mapping[str, Any],
) -> str:
    fig = f"{{numref}}`fig-survey-model-{case}`"
    if design.kind == "motivation":
        will = model[model["term"] == "willingness"].iloc[0]
        years = {"w_town": "2021 to 2023", "h_county": "2015 to 2019", "pingliang": "2014 to 2019"}
        text = (
            f"Regressing yearly log-income growth ({years[case]}) on the three facet scores"
            + (
                " with the respondent's group as a control"
                if (model["term"].str.startswith("group_")).any()
                else ""
            )
            + f" ({p.num('model_n', int(will['n']), 'd')} "
            f"households, {fig}), each point of willingness on the 1-5 scale goes with "
            f"{p.num('coef_growth_willingness', float(will['estimate']), '+.3f')} log "
            f"points of growth a year (95% interval "
            f"{p.num('coef_growth_willingness_ci_low', float(will['ci_low']), '+.3f')} to "
            f"{p.num('coef_growth_willingness_ci_high', float(will['ci_high']), '+.3f')}). "
            "This is an association: motivation was measured once, at the end, and households "
            "that grew faster may feel more able for that reason."
        )
        if simulated:
            kappa = _planted(meta, "income_growth_per_willingness_point")
            if kappa is not None:
                text += (
                    " The simulation planted "
                    f"{p.num('planted_growth_per_point', kappa, '.3f')} log points a year per "
                    "point of willingness, a hypothesis built into the data."
                )
            else:
                text += (
                    " No link between motivation and income growth was planted in this case's "
                    "simulation, so an interval covering zero is the expected result."
                )
        return text
    parts = []
    for outcome in design.outcomes:
        sub = model[model["outcome"] == outcome]
        top = sub.loc[sub["estimate"].idxmax()]
        n_sig = int(sub.apply(_sig, axis=1).sum())
        o = "effectiveness" if outcome == "outcome_effectiveness" else outcome
        parts.append(
            f"In the ordered logit of {_OUTCOME_LABELS[outcome]} (`{outcome}`, 1-5) on the "
            f"{len(sub)} scores, the largest coefficient is on "
            f"{_label(instrument, top['term']).lower()}: "
            f"{p.num(f'{o}_top', float(top['estimate']))} log-odds per point (95% interval "
            f"{p.num(f'{o}_top_ci_low', float(top['ci_low']))} to "
            f"{p.num(f'{o}_top_ci_high', float(top['ci_high']))}; odds ratio "
            f"{p.num(f'{o}_top_or', float(np.exp(top['estimate'])))}). The intervals of "
            f"{p.num(f'{o}_n_excluding_zero', n_sig, 'd')} coefficients exclude zero."
        )
    text = " ".join(parts) + f" {fig} shows every coefficient with its interval."
    if simulated:
        key = {
            "governance": ("effectiveness_logit",),
            "interaction": ("satisfaction_logit", "confidence_logit"),
        }
        for name in key[design.kind]:
            planted = _planted(meta, name) or {}
            best = max(planted, key=planted.get)
            text += (
                " The simulation planted slopes of "
                f"{p.num(f'planted_{name}_min', min(planted.values()))} to "
                f"{p.num(f'planted_{name}_max', max(planted.values()))} log-odds per point for "
                f"{_OUTCOME_LABELS[_PLANTED_OUTCOME[name]]}"
                f", the largest on {_label(instrument, best).lower()}."
            )
            sub = model[model["outcome"] == _PLANTED_OUTCOME[name]].set_index("term")
            missed = [
                t
                for t, v in planted.items()
                if t in sub.index and not sub.loc[t, "ci_low"] <= v <= sub.loc[t, "ci_high"]
            ]
            n_missed = p.num(f"planted_{name}_n_outside", len(missed), "d")
            text += (
                f" The 95% interval misses the planted slope on {n_missed} of "
                f"{p.num(f'planted_{name}_n', len(planted), 'd')} scores"
                + (
                    f" ({_join([_label(instrument, t).lower() for t in missed])}); with "
                    f"{len(planted)} 95% intervals, were they independent, at least one would "
                    "miss by chance with probability "
                    f"{p.num(f'planted_{name}_p_any_miss', 1 - 0.95 ** len(planted), '.0%')}."
                    if missed
                    else "."
                )
            )
        text += " These are hypotheses built into the data, not results of the thesis."
    return text


def _data_text(case: str, design: Design) -> str:
    schema = synth.TABLE_SCHEMAS[case]
    tables = [design.table]
    if design.kind == "motivation":
        tables += ["households"] if case == "pingliang" else [_INCOME_SOURCE[case]]
    lines = []
    for t in tables:
        cols = [c for c, *_ in schema[t]]
        shown = ", ".join(f"`{c}`" for c in cols[:6]) + (
            f" and the {len(cols) - 6} item or detail columns" if len(cols) > 6 else ""
        )
        lines.append(f"- `{t}.csv`: {shown}")
    return (
        f'Point `data_dir` at a folder with `metadata.json` (`{{"case": "{case}", '
        '"simulated": false}`) and these tables, in the format documented in'
        " `cases.simulate.synth` "
        "(UTF-8 CSV, one row per respondent or record; an unanswered item is an empty cell):\n\n"
        + "\n".join(lines)
        + f"\n\nItem columns are those of `data/instruments/{design.instrument}.yaml`; codes "
        "outside an item's range stop the run with the column and row named. The other tables "
        "of the case's format must be present too, since the folder is read as a whole."
    )


def _fmt_ci(r: pd.Series, digits: int = 2) -> str:
    est, lo, hi = (f"{r[c]:+.{digits}f}" for c in ("estimate", "ci_low", "ci_high"))
    return f"{est} (95% CI {lo} to {hi})"


def _claims(
    case: str,
    design: Design,
    instrument: survey.Instrument,
    gap: pd.DataFrame,
    model: pd.DataFrame,
    simulated: bool,
    meta: Mapping[str, Any],
) -> pd.DataFrame:
    """The claim-evidence table: thesis claim, what this analysis shows, what a test needs."""
    where = "In the simulated data" if simulated else "In these data"
    note = (
        " (the size was planted as a hypothesis, so this checks the method, not the claim)"
        if simulated
        else ""
    )
    rows = []
    g = gap.set_index("scale")
    gap_text = "; ".join(
        f"{_label(instrument, s).lower()} {g.loc[s, 'gap']:+.2f} "
        f"({g.loc[s, 'ci_low']:+.2f} to {g.loc[s, 'ci_high']:+.2f})"
        for s in design.scales
    )
    if design.kind == "governance":
        rows.append(
            (
                _claim_text(case, "role_shift"),
                f"{where}, officials minus poor households, points on the 1-5 scale (95% "
                f"interval): {gap_text}{note}.",
                "The thesis's questionnaire answers by respondent role, with the sampling of "
                "each group described, so that a gap is not an artefact of who was asked.",
            )
        )
        m = model.set_index("term")
        rows.append(
            (
                _claim_text(case, "effectiveness_logit"),
                f"{where}, ordered-logit slopes on perceived effectiveness: rule of law "
                f"{_fmt_ci(m.loc['rule_of_law'])}, fairness {_fmt_ci(m.loc['fairness'])}"
                f"{note}.",
                "Ratings of the dimensions and of results from the same respondents, ideally "
                "with results measured independently (e.g. exit records), since one "
                "respondent's general impression drives all their ratings.",
            )
        )
    elif design.kind == "interaction":
        for outcome, name in (("sat_1", "satisfaction_logit"), ("conf_1", "confidence_logit")):
            m = model[model["outcome"] == outcome].set_index("term")
            rows.append(
                (
                    _claim_text(case, name),
                    f"{where}, ordered-logit slopes on `{outcome}`: project-based assistance "
                    f"{_fmt_ci(m.loc['project_assistance'])}, internet-based interaction "
                    f"{_fmt_ci(m.loc['internet_interaction'])}{note}.",
                    "Survey answers from reform and non-reform villages with the year each "
                    "village adopted the reform, so that exposure is not confounded by village "
                    "conditions; repeated waves would show change over time.",
                )
            )
    else:
        will = model[model["term"] == "willingness"].iloc[0]
        growth_claim = (
            _claim_text(case, "income_growth_per_willingness_point")
            if case == "w_town"
            else "Poor households' own drive matters for leaving poverty (the thesis names "
            "a lack of it among the problems)."
        )
        rows.append(
            (
                growth_claim,
                f"{where}, log-income growth per year per point of willingness: "
                f"{_fmt_ci(will, 3)}"
                + (
                    note
                    if case == "w_town"
                    else " (no link was planted in this case's simulation)"
                    if simulated
                    else ""
                )
                + ".",
                "Motivation measured before the income period, with incomes from records "
                "rather than recall, so that the order of cause and effect is clear.",
            )
        )
        if case in ("h_county", "pingliang"):
            name = (
                "registered_motivation_shift"
                if case == "h_county"
                else ("social_security_dependence_shift")
            )
            rows.append(
                (
                    _claim_text(case, name),
                    f"{where}, {design.focal_label} minus {design.reference_label}, points "
                    f"(95% interval): {gap_text}{note}.",
                    "The motivation scale piloted and validated in the field, answered by "
                    "registered and other households sampled in the same villages.",
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "What the thesis reported",
            "What this analysis shows",
            "What would be needed to test it with field data",
        ],
    )


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------
def groups_figure(res: SurveyResults, instrument: survey.Instrument) -> mpl.figure.Figure:
    """Dot plot of mean scores by group (left) and the focal-minus-reference gap (right),
    both with 95% intervals; stamped with the provenance line."""
    design = res.design
    labels = [_label(instrument, s) for s in design.scales]
    ypos = np.arange(len(design.scales))[::-1]
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(9.0, 1.6 + 0.45 * len(labels)), sharey=True, width_ratios=[3, 2]
    )
    groups = list(dict.fromkeys(res.means["group"]))
    names = dict(design.group_labels)
    offsets = np.linspace(-0.25, 0.25, len(groups)) if len(groups) > 1 else [0.0]
    for (g, off), colour in zip(zip(groups, offsets, strict=True), report.PALETTE, strict=False):
        sub = res.means[res.means["group"] == g].set_index("scale").loc[list(design.scales)]
        ax1.errorbar(
            sub["mean"],
            ypos + off,
            xerr=[sub["mean"] - sub["ci_low"], sub["ci_high"] - sub["mean"]],
            fmt="o",
            ms=5,
            color=colour,
            label=f"{names[g]} (n = {int(sub['n'].max())})",
        )
    ax1.set_yticks(ypos, labels)
    ax1.set_xlabel("Mean score (item scale)")
    # Above the axes, under the title: below them it would cover the x-axis label.
    ax1.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=8, frameon=False)
    gap = res.gap.set_index("scale").loc[list(design.scales)]
    ax2.errorbar(
        gap["gap"],
        ypos,
        xerr=[gap["gap"] - gap["ci_low"], gap["ci_high"] - gap["gap"]],
        fmt="s",
        ms=5,
        color="#000000",
    )
    ax2.axvline(0, color="#888888", lw=1)
    ax2.set_xlabel("Difference (points)")
    ax2.set_title(
        f"{design.focal_label.split(' (')[0].capitalize()}\nminus {design.reference_label}",
        loc="left",
        fontsize=9,
        pad=20,
    )
    ax1.set_title("Mean score by group", loc="left", fontsize=10, pad=20)
    report.label_figure(fig, simulated=res.simulated, source=res.source)
    return fig


def coefficient_figure(res: SurveyResults, instrument: survey.Instrument) -> mpl.figure.Figure:
    """Ordered-logit coefficients (log-odds per score point) with 95% intervals, one marker
    colour per outcome; stamped with the provenance line."""
    design = res.design
    labels = [_label(instrument, s) for s in design.scales]
    ypos = np.arange(len(design.scales))[::-1]
    fig, ax = plt.subplots(figsize=(7.0, 1.6 + 0.4 * len(labels)))
    outcomes = list(design.outcomes)
    offsets = np.linspace(-0.15, 0.15, len(outcomes)) if len(outcomes) > 1 else [0.0]
    for outcome, off, colour in zip(outcomes, offsets, report.PALETTE, strict=False):
        sub = res.model[res.model["outcome"] == outcome].set_index("term")
        sub = sub.loc[list(design.scales)]
        ax.errorbar(
            sub["estimate"],
            ypos + off,
            xerr=[sub["estimate"] - sub["ci_low"], sub["ci_high"] - sub["estimate"]],
            fmt="o",
            ms=5,
            color=colour,
            label=_OUTCOME_LABELS[outcome].capitalize(),
        )
    ax.axvline(0, color="#888888", lw=1)
    ax.set_yticks(ypos, labels)
    ax.set_xlabel("Log-odds per score point (95% interval)")
    # Above the axes, so no coefficient is hidden behind it.
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=1, fontsize=8, frameon=False)
    report.label_figure(fig, simulated=res.simulated, source=res.source)
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
    bins (with 95% t intervals, bins of fewer than 5 households omitted); the line is the OLS
    willingness slope through the means.
    """
    sub = frame[["willingness", "growth"]].dropna()
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
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
    stats_by_bin = sub.groupby(cut, observed=True)["growth"].agg(["mean", "std", "size"])
    stats_by_bin = stats_by_bin[stats_by_bin["size"] >= 5]
    mids = np.array([iv.mid for iv in stats_by_bin.index])
    half = (
        stats.t.ppf(0.975, stats_by_bin["size"] - 1)
        * stats_by_bin["std"]
        / np.sqrt(stats_by_bin["size"])
    )
    ax.errorbar(
        mids,
        stats_by_bin["mean"],
        yerr=half,
        fmt="o",
        color="#000000",
        label="Mean within willingness bin (95% interval)",
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
    ax.legend(loc="upper left", fontsize=8)
    report.label_figure(fig, simulated=simulated, source=source)
    return fig


def display_tables(res: SurveyResults) -> dict[str, pd.DataFrame]:
    """Presentation frames: reliability, mean scores by group, gaps and the model (tidy)."""
    instrument = survey.load_instrument(res.design.instrument)
    names = dict(res.design.group_labels)
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
                f"{a:.2f} to {b:.2f}"
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
                f"{a:+.2f} to {b:+.2f}"
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
    model["Outcome"] = (
        model["outcome"]
        .map({**_OUTCOME_LABELS, "growth": "yearly log-income growth"})
        .str.capitalize()
    )
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
