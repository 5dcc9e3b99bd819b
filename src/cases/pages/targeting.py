"""Targeting template logic: who is on a list, who is in need, and who is wrongly on or off it.

Used by ``notebooks/targeting.ipynb`` for:

- ``h_county``: the 2016 poor-household register (建档立卡) against households that are
  income-poor (below the national line) and poor by the Alkire-Foster "two assurances, three
  guarantees" index (:func:`cases.methods.measures.mpi`);
- ``w_town``: the return-to-poverty monitoring list after 2020 against households vulnerable to
  poverty, estimated as expected poverty (Chaudhuri, Jalan and Suryahadi 2002,
  :func:`cases.methods.measures.vulnerability`).

For each list and need measure: inclusion and exclusion errors (:func:`cases.methods.measures.
targeting_errors`) with village-cluster bootstrap intervals
(:func:`cases.methods.measures.bootstrap`),
errors by village, logits of being wrongly included and wrongly excluded on household
covariates (statsmodels, village-clustered errors), and the profile of each targeting cell.

Public API: :data:`DESIGNS`, :class:`Reference`, :class:`TargetingDesign`, :func:`need_flags`,
:func:`error_intervals`, :func:`errors_table`, :func:`errors_by_village`,
:func:`village_figure`, :func:`mistargeting_logit`, :func:`profile_table`,
:func:`vulnerability_figure`, :func:`claims_table`, :func:`analyse`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cases.core.errors import DataValidationError, ParameterError
from cases.data import registry
from cases.methods import measures
from cases.methods.inference import bh_adjust
from cases.pages.policy_evaluation import Prose, data_format_markdown
from cases.pages.poverty_profile import SCHEME_LABELS, mpi_k_grid
from cases.present import report
from cases.present.text import pvalue
from cases.simulate import synth

__all__ = [
    "DESIGNS",
    "FDR",
    "INDICATOR_YEAR",
    "Reference",
    "TargetingAnalysis",
    "TargetingDesign",
    "analyse",
    "claims_table",
    "error_intervals",
    "errors_by_village",
    "errors_table",
    "findings",
    "implied_inclusion_error",
    "mistargeting_logit",
    "mpi_sensitivity",
    "need_flags",
    "profile_table",
    "registration_figure",
    "village_figure",
    "vulnerability_figure",
]


@dataclass(frozen=True)
class Reference:
    """A measure of need the list is checked against: ``key`` (glue-key part, and the column
    added by :func:`need_flags`), ``label``, a ``phrase`` and a ``short`` adjective for prose."""

    key: str
    label: str
    phrase: str
    short: str


@dataclass(frozen=True)
class TargetingDesign:
    """A list (``register`` column of the ``households`` table) and the need measures it is
    checked against; ``covariates`` enter the mis-targeting logits; ``planted_logit`` maps
    ``(model, term)`` to the planted log-odds name in ``data/synth/<case>.yaml`` (and a sign)."""

    case: str
    register: str
    register_label: str
    register_phrase: str
    references: tuple[Reference, ...]
    covariates: tuple[str, ...]
    covariate_labels: Mapping[str, str]
    needed: str
    planted_logit: Mapping[tuple[str, str], tuple[str, float]] = field(default_factory=dict)
    planted_errors: Mapping[str, str] = field(default_factory=dict)


_H_DEPRIVATIONS = (
    "food_clothing_insecure",
    "education_not_guaranteed",
    "medical_not_guaranteed",
    "drinking_water_unsafe",
)

DESIGNS: dict[str, TargetingDesign] = {
    "h_county": TargetingDesign(
        case="h_county",
        register="registered_poor",
        register_label="Registered poor (2016)",
        register_phrase="the 2016 poor-household register",
        references=(
            Reference(
                "income_poor",
                "Income-poor",
                "households below the national poverty line",
                "income-poor",
            ),
            Reference(
                "mpi_poor",
                "MPI-poor",
                'households poor by the "two assurances, three guarantees" index',
                "MPI-poor",
            ),
        ),
        covariates=("official_connection", "housing_unsafe", "household_size", *_H_DEPRIVATIONS),
        covariate_labels={
            "official_connection": "Tie to a village official",
            "housing_unsafe": "Unsafe housing",
            "household_size": "Household size (persons)",
            "food_clothing_insecure": "Food or clothing insecure",
            "education_not_guaranteed": "Schooling not guaranteed",
            "medical_not_guaranteed": "Medical care not guaranteed",
            "drinking_water_unsafe": "Drinking water unsafe",
        },
        needed=(
            "The register for the identification year linked to an independent income and "
            "deprivation survey of all households (registered or not) in a sample of villages, "
            "with ties to village officials recorded."
        ),
        planted_logit={
            ("inclusion", "official_connection"): ("connection_log_odds", 1.0),
            ("inclusion", "housing_unsafe"): ("unsafe_housing_log_odds_inclusion", 1.0),
            ("exclusion", "housing_unsafe"): ("safe_housing_log_odds_exclusion", -1.0),
        },
        planted_errors={"inclusion": "inclusion_error", "exclusion": "exclusion_error"},
    ),
    "w_town": TargetingDesign(
        case="w_town",
        register="monitored",
        register_label="Monitored",
        register_phrase="the return-to-poverty monitoring list",
        references=(
            Reference(
                "vulnerable",
                "Vulnerable",
                "households vulnerable to poverty (expected poverty of at least one half)",
                "vulnerable",
            ),
        ),
        covariates=(
            "head_education_years",
            "labour_share",
            "chronic_illness",
            "has_migrant_worker",
            "household_size",
            "formerly_registered_poor",
        ),
        covariate_labels={
            "head_education_years": "Schooling of head (years)",
            "labour_share": "Share of members able to work",
            "chronic_illness": "Chronic illness in household",
            "has_migrant_worker": "Member works away",
            "household_size": "Household size (persons)",
            "formerly_registered_poor": "Formerly registered poor",
        },
        needed=(
            "The monitoring list with the date each household was added, and a household "
            "survey of consumption and its determinants for all households, repeated so that "
            "predicted vulnerability can be checked against later falls into poverty."
        ),
        planted_errors={"exclusion": "monitoring_exclusion_rate"},
    ),
}

#: Year in which each case's deprivation indicators were recorded (h_county: the 2016
#: identification year, see ``cases.simulate.synth``); it sets the exit standard of the MPI
#: (:func:`cases.methods.measures.exit_standard`: no drinking water before 2019).
INDICATOR_YEAR: dict[str, int] = {"h_county": 2016}

_VULN_COVARIATES = ("head_education_years", "labour_share", "chronic_illness", "has_migrant_worker")


def _plain(value: Any) -> Any:
    """A plain Python scalar for messages (``2`` rather than ``np.int64(2)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _design(case: str) -> TargetingDesign:
    if case not in DESIGNS:
        raise ParameterError(f"case={case!r} has no targeting analysis; cases: {sorted(DESIGNS)}")
    return DESIGNS[case]


# --------------------------------------------------------------------------------------------
# Need measures
# --------------------------------------------------------------------------------------------
def need_flags(
    data: synth.SimulatedData,
    case: str,
    *,
    mpi_k: float = 1 / 3,
    vulnerability_line: float = 6000.0,
    mpi_weights: str = "equal_dimensions",
) -> tuple[pd.DataFrame, Any]:
    """The ``households`` table with a 0/1 column per need measure of the case.

    Rules: h_county ``income_poor = income_below_line``; ``mpi_poor`` = poor by the
    Alkire-Foster dual cutoff ``k = mpi_k`` on the exit standard of the indicator year
    (:data:`INDICATOR_YEAR`, :func:`cases.methods.measures.exit_standard`: income, food and clothing
    and the three guarantees; drinking water only from 2019) with the weight vector
    ``mpi_weights`` of :func:`cases.methods.measures.weight_schemes` (default equal across
    dimensions)
    (Alkire and Foster 2011). The ``drinking_water_unsafe`` column is still required (a logit
    covariate).
    w_town ``vulnerable`` = probability of consumption below ``vulnerability_line`` (yuan per
    person per year) of at least 0.5, by the three-step FGLS of Chaudhuri, Jalan and Suryahadi
    (2002) on schooling of the head, labour share, chronic illness and migrant work; the column
    ``vulnerability`` holds the probability. Returns ``(households, extra)`` with ``extra`` the
    :class:`~cases.methods.measures.MPIResult` or
    :class:`~cases.methods.measures.VulnerabilityResult`.

    Raises:
        ParameterError: unknown case or ``mpi_weights``.
        DataValidationError: missing table or column.
        cases.methods.measures.MeasureInputError: invalid values (as the measures).
    """
    design = _design(case)
    source = f"targeting.need_flags({case})"
    if "households" not in data.tables:
        raise DataValidationError(source, ["table 'households' not found"])
    hh = data["households"].copy()
    if case == "h_county":
        base = measures.exit_standard(INDICATOR_YEAR[case])
        schemes = measures.weight_schemes(base)
        if mpi_weights not in schemes:
            raise ParameterError(f"mpi_weights must be one of {list(schemes)}; got {mpi_weights!r}")
        spec = base.reweighted(schemes[mpi_weights])
        ind = list(spec)
        need = ["village_id", design.register, *ind, *design.covariates]
    else:
        need = ["village_id", design.register, "consumption_per_capita", *design.covariates]
    missing = sorted(set(need) - set(hh.columns))
    if missing:
        raise DataValidationError(source, [f"households: column {c!r} not found" for c in missing])
    if case == "h_county":
        res = measures.mpi(hh[ind], spec, mpi_k)
        hh["income_poor"] = hh["income_below_line"].astype(int)
        hh["mpi_poor"] = res.is_poor.astype(int)
        return hh, res
    vres = measures.vulnerability(
        hh["consumption_per_capita"], hh[list(_VULN_COVARIATES)], vulnerability_line
    )
    hh["vulnerability"] = vres.probability.to_numpy()
    hh["vulnerable"] = (vres.probability.to_numpy() >= vres.threshold).astype(int)
    return hh, vres


def mpi_sensitivity(
    hh: pd.DataFrame, register: str, spec: measures.IndicatorSpec, ks: Sequence[float]
) -> pd.DataFrame:
    """Targeting errors of ``register`` against the MPI-poor for every weight vector of
    :func:`cases.methods.measures.weight_schemes` (``spec``) and cutoff in ``ks`` (the grid of the
    poverty profile, :func:`cases.pages.poverty_profile.mpi_k_grid`).

    For each specification ``(w, k)``: MPI-poor ``P_i = 1[sum_j w_j g_ij >= k]``
    (:func:`cases.methods.measures.mpi`), its share (%), and the inclusion error
    ``N(R and not P) / N(R)`` and exclusion error ``N(P and not R) / N(P)``
    (:func:`cases.methods.measures.targeting_errors`; NaN when nobody is MPI-poor). Point estimates.

    Raises:
        cases.methods.measures.MeasureInputError: as the measures.
    """
    rows = []
    for name, weights in measures.weight_schemes(spec).items():
        for k in ks:
            poor = measures.mpi(hh[list(spec)], weights, k).is_poor
            err = measures.targeting_errors(hh[register], poor)
            rows.append(
                {
                    "Weights": SCHEME_LABELS.get(name, name.replace("_", " ")),
                    "k": float(k),
                    "MPI-poor (%)": 100 * float(poor.mean()),
                    "Inclusion error": err["inclusion_error"],
                    "Exclusion error": err["exclusion_error"],
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
def error_intervals(
    df: pd.DataFrame,
    register: str,
    need: str,
    *,
    n_boot: int = 200,
    seed: int = 20201123,
    cluster: str | None = "village_id",
) -> pd.DataFrame:
    """Inclusion and exclusion errors with bootstrap standard errors and 95% intervals.

    Point estimates: :func:`cases.methods.measures.targeting_errors` (inclusion = share of the
    listed
    who are not in need; exclusion = share of those in need who are not listed; Coady, Grosh
    and Hoddinott 2004). Intervals: percentile intervals of a seeded bootstrap that resamples
    ``cluster`` units (villages; rows when ``None``), :func:`cases.methods.measures.bootstrap`
    (Efron and Tibshirani 1993). Returns a frame indexed ``inclusion``/``exclusion`` with
    columns ``error``, ``se``, ``ci_low``, ``ci_high``.

    Raises:
        cases.methods.measures.MeasureInputError: as the measures (flags not 0/1, n_boot < 2, ...).
    """
    rows = {}
    for kind in ("inclusion", "exclusion"):
        key = f"{kind}_error"

        def stat(frame: pd.DataFrame, key: str = key) -> float:
            return measures.targeting_errors(frame[register], frame[need])[key]

        b = measures.bootstrap(stat, df, n_boot=n_boot, seed=seed, cluster=cluster)
        rows[kind] = {
            "error": b.estimate,
            "se": b.std_error,
            "ci_low": b.ci_low,
            "ci_high": b.ci_high,
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def implied_inclusion_error(
    share_in_need: float, exclusion: float, rate_not_in_need: float
) -> float:
    """Inclusion error implied by a need share s, exclusion error e and listing rate r of
    households not in need: ``r (1 - s) / (r (1 - s) + (1 - e) s)`` (expected share of the
    listed who are not in need).

    Raises:
        ParameterError: a value outside [0, 1], or nobody listed.
    """
    for name, v in (
        ("share_in_need", share_in_need),
        ("exclusion", exclusion),
        ("rate_not_in_need", rate_not_in_need),
    ):
        if not 0 <= v <= 1:
            raise ParameterError(f"{name} must be in [0, 1], got {v!r}")
    wrong = rate_not_in_need * (1 - share_in_need)
    right = (1 - exclusion) * share_in_need
    if wrong + right == 0:
        raise ParameterError("nobody is listed: the inclusion error is undefined")
    return wrong / (wrong + right)


def errors_table(
    intervals: Mapping[str, pd.DataFrame],
    counts: Mapping[str, Mapping[str, float]],
    planted: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per need measure and error: counts, error, SE, 95% CI (and planted value).

    ``intervals`` maps a need label to the frame of :func:`error_intervals`; ``counts`` maps it
    to ``{"listed": ..., "in_need": ...}``; ``planted`` maps ``inclusion``/``exclusion`` to the
    planted (or planted-implied) error of the simulated data, applied to the first need measure
    only, the one the plant was defined on.
    """
    rows = []
    for i, (label, frame) in enumerate(intervals.items()):
        for kind, row in frame.iterrows():
            entry = {
                "Need measure": label,
                "Error": "Inclusion (listed, not in need)"
                if kind == "inclusion"
                else "Exclusion (in need, not listed)",
                "Denominator": int(counts[label]["listed" if kind == "inclusion" else "in_need"]),
                "Share": float(row["error"]),
                "SE": float(row["se"]),
                "95% CI low": float(row["ci_low"]),
                "95% CI high": float(row["ci_high"]),
            }
            if planted is not None:
                entry["Planted (simulated, hypothesis)"] = (
                    float(planted[kind]) if i == 0 and kind in planted else math.nan
                )
            rows.append(entry)
    return pd.DataFrame(rows)


def errors_by_village(
    df: pd.DataFrame, register: str, need: str, village: str = "village_id"
) -> pd.DataFrame:
    """Inclusion and exclusion errors per village.

    Per village: ``households``, ``listed`` (sum of ``register``), ``in_need`` (sum of
    ``need``), ``inclusion_error = #(listed and not in need) / listed`` and
    ``exclusion_error = #(in need and not listed) / in_need`` (NaN when the denominator is 0).

    Raises:
        DataValidationError: a missing column, or flags other than 0/1 (row named).
    """
    for col in (register, need, village):
        if col not in df.columns:
            raise DataValidationError("errors_by_village", [f"column {col!r} not found"])
    for col in (register, need):
        bad = ~df[col].isin([0, 1])
        if bad.any():
            raise DataValidationError(
                "errors_by_village",
                [
                    f"{col!r} must be 0/1; got {_plain(df.loc[bad, col].iloc[0])!r} at row "
                    f"{_plain(df.index[bad][0])!r}"
                ],
            )
    r, p = df[register].astype(int), df[need].astype(int)
    work = pd.DataFrame(
        {
            village: df[village],
            "households": 1,
            "listed": r,
            "in_need": p,
            "wrongly_in": r * (1 - p),
            "wrongly_out": p * (1 - r),
        }
    )
    g = work.groupby(village).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        g["inclusion_error"] = np.where(g["listed"] > 0, g["wrongly_in"] / g["listed"], np.nan)
        g["exclusion_error"] = np.where(g["in_need"] > 0, g["wrongly_out"] / g["in_need"], np.nan)
    return g.reset_index()


def village_figure(
    by_village: pd.DataFrame, overall: pd.DataFrame, *, register_label: str, need_label: str
) -> mpl.figure.Figure:
    """Inclusion and exclusion errors by village, sorted, against the overall error.

    Each dot is a village (size: its denominator); the dashed line and band are the overall
    error and its 95% interval. Returns the figure (not yet stamped).
    """
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.8), sharey=True)
    specs = (
        (
            "inclusion",
            "inclusion_error",
            "listed",
            "Inclusion error\n(share of the listed not in need)",
        ),
        (
            "exclusion",
            "exclusion_error",
            "in_need",
            "Exclusion error\n(share of those in need not listed)",
        ),
    )
    for ax, (kind, col, den, title) in zip(axes, specs, strict=True):
        sub = by_village.dropna(subset=[col]).sort_values(col).reset_index(drop=True)
        ax.scatter(
            np.arange(len(sub)),
            sub[col],
            s=8 + 4 * sub[den],
            color=report.PALETTE[0 if kind == "inclusion" else 3],
            alpha=0.7,
            edgecolor="white",
            linewidth=0.4,
        )
        o = overall.loc[kind]
        ax.axhspan(o["ci_low"], o["ci_high"], color="0.8", alpha=0.5, label="overall, 95% CI")
        ax.axhline(o["error"], color="0.3", linestyle="--", linewidth=1)
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_xlabel("Villages, sorted by error")
        ax.set_ylim(-0.03, 1.03)
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    axes[0].set_ylabel(f"{register_label} vs {need_label.lower()}\n(share)")
    return fig


# --------------------------------------------------------------------------------------------
# Mis-targeting logits
# --------------------------------------------------------------------------------------------
def mistargeting_logit(
    df: pd.DataFrame,
    register: str,
    need: str,
    covariates: Sequence[str],
    kind: str,
    *,
    cluster: str | None = "village_id",
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Logit of being wrongly included or wrongly excluded, as a tidy table.

    ``kind="inclusion"``: among households not in need, ``P(listed) = logistic(a + x'b)``;
    ``kind="exclusion"``: among households in need, ``P(not listed) = logistic(a + x'b)``.
    Fitted by maximum likelihood (statsmodels ``Logit``) with standard errors clustered by
    ``cluster`` (``None``: the inverse information). Rows: the covariates (constant dropped),
    columns ``Term``, ``Log-odds``, ``SE``, ``95% CI low``, ``95% CI high``, ``Odds ratio``,
    ``p`` and ``p (BH)`` (Benjamini-Hochberg adjusted over this model's coefficients,
    :func:`cases.methods.inference.bh_adjust`: the family is the scan of every covariate);
    ``attrs`` hold ``n``, ``events`` and ``separated`` — 0/1 covariates left out because
    their "1" group has no events or only events (perfect separation: an infinite estimate;
    Albert and Anderson 1984). Coefficients are log-odds per unit of the
    covariate (Hosmer, Lemeshow and Sturdivant 2013, *Applied Logistic Regression*, ch. 3).

    Raises:
        ParameterError: ``kind`` not inclusion/exclusion.
        DataValidationError: missing columns or values, no events or no non-events, or a
            covariate without variation in the sample (named).
    """
    import statsmodels.api as sm

    if kind not in ("inclusion", "exclusion"):
        raise ParameterError(f"kind must be 'inclusion' or 'exclusion', got {kind!r}")
    cols = [register, need, *covariates] + ([cluster] if cluster else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataValidationError(
            "mistargeting_logit", [f"column {c!r} not found" for c in missing]
        )
    nas = [c for c in cols if df[c].isna().any()]
    if nas:
        raise DataValidationError(
            "mistargeting_logit", [f"column {c!r} has missing values" for c in nas]
        )
    sample = df[df[need] == (0 if kind == "inclusion" else 1)]
    y = sample[register].astype(int) if kind == "inclusion" else 1 - sample[register].astype(int)
    if y.sum() == 0 or y.sum() == len(y):
        raise DataValidationError(
            "mistargeting_logit", [f"{kind}: no variation in the outcome among {len(y)} households"]
        )
    constant = [c for c in covariates if sample[c].nunique() < 2]
    if constant:
        raise DataValidationError(
            "mistargeting_logit", [f"{kind}: covariate {c!r} does not vary" for c in constant]
        )
    # A 0/1 covariate whose "1" group has no events (or only events) is perfectly separated:
    # its maximum-likelihood log-odds is infinite, so it is left out and reported in attrs.
    separated = []
    for c in covariates:
        values = sample[c]
        if values.isin([0, 1]).all():
            ev = y[values.to_numpy() == 1]
            if ev.sum() == 0 or ev.sum() == len(ev):
                separated.append(c)
    covariates = [c for c in covariates if c not in separated]
    if not covariates:
        raise DataValidationError(
            "mistargeting_logit", [f"{kind}: every covariate is perfectly separated"]
        )
    x = sm.add_constant(sample[list(covariates)].astype(float), has_constant="add")
    model = sm.Logit(y.to_numpy(), x)
    if cluster:
        fit = model.fit(disp=0, cov_type="cluster", cov_kwds={"groups": sample[cluster].to_numpy()})
    else:
        fit = model.fit(disp=0)
    ci = fit.conf_int()
    labels = labels or {}
    out = pd.DataFrame(
        {
            "Term": [labels.get(c, c) for c in covariates],
            "Log-odds": fit.params[list(covariates)].to_numpy(),
            "SE": fit.bse[list(covariates)].to_numpy(),
            "95% CI low": ci.loc[list(covariates), 0].to_numpy(),
            "95% CI high": ci.loc[list(covariates), 1].to_numpy(),
            "Odds ratio": np.exp(fit.params[list(covariates)].to_numpy()),
            "p": fit.pvalues[list(covariates)].to_numpy(),
            "p (BH)": bh_adjust(fit.pvalues[list(covariates)].to_numpy()),
        },
        index=list(covariates),
    )
    out.attrs.update(n=len(y), events=int(y.sum()), separated=separated)
    return out


def profile_table(
    df: pd.DataFrame,
    register: str,
    need: str,
    covariates: Sequence[str],
    labels: Mapping[str, str] | None = None,
    need_label: str = "in need",
) -> pd.DataFrame:
    """Mean of each covariate in the four targeting cells (listed x in need), with counts.

    Columns: "Listed, in need", "Missed (in need, not listed)", "Listed, not in need",
    "Neither", each followed by its number of households, e.g. "Neither (n = 1,236)"; one row
    per covariate. Means of 0/1 covariates are shares.

    Raises:
        DataValidationError: a missing column.
    """
    missing = [c for c in (register, need, *covariates) if c not in df.columns]
    if missing:
        raise DataValidationError("profile_table", [f"column {c!r} not found" for c in missing])
    cells = {
        f"Listed, {need_label}": (1, 1),
        f"Missed ({need_label}, not listed)": (0, 1),
        f"Listed, not {need_label}": (1, 0),
        "Neither": (0, 0),
    }
    labels = labels or {}
    out = {}
    for name, (r, p) in cells.items():
        sub = df[(df[register] == r) & (df[need] == p)]
        out[f"{name} (n = {len(sub):,})"] = [
            float(sub[c].mean()) if len(sub) else math.nan for c in covariates
        ]
    return pd.DataFrame(out, index=[labels.get(c, c) for c in covariates])


def vulnerability_figure(
    df: pd.DataFrame, register: str, *, threshold: float = 0.5
) -> mpl.figure.Figure:
    """Histogram of estimated vulnerability (probability of future poverty) by list status.

    The dotted line is the vulnerability threshold (0.5, Chaudhuri, Jalan and Suryahadi 2002).
    Returns the figure (not yet stamped).
    """
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    bins = np.linspace(0, 1, 26)
    for flag, label, colour in ((0, "not monitored", 5), (1, "monitored", 3)):
        ax.hist(
            df.loc[df[register] == flag, "vulnerability"],
            bins=bins,
            alpha=0.6,
            color=report.PALETTE[colour],
            label=label,
        )
    ax.set_yscale("log")
    ax.axvline(threshold, color="0.2", linestyle=":", label=f"threshold ({threshold:g})")
    ax.set_xlabel("Estimated probability of consumption below the line next period")
    ax.set_ylabel("Households (log scale)")
    ax.legend(frameon=False)
    return fig


def registration_figure(
    df: pd.DataFrame, register: str, score: np.ndarray, poor: str = "income_poor"
) -> mpl.figure.Figure:
    """Share listed by deprivation score, separately for income-poor and other households.

    ``score`` is the Alkire-Foster deprivation score of each household (0-1); points are the
    listed share among households with that score (size: number of households). Shows whether
    listing follows visible deprivations rather than income. Returns the figure (not stamped).
    """
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    work = pd.DataFrame({"score": np.round(score, 2), "listed": df[register], "poor": df[poor]})
    for flag, label, colour in ((1, "income-poor", 3), (0, "not income-poor", 0)):
        g = work[work["poor"] == flag].groupby("score")["listed"].agg(["mean", "size"])
        ax.plot(g.index, g["mean"], color=report.PALETTE[colour], linewidth=1)
        ax.scatter(
            g.index,
            g["mean"],
            s=10 + 60 * np.sqrt(g["size"] / g["size"].max()),
            color=report.PALETTE[colour],
            label=label,
        )
    ax.set_xlabel("Deprivation score (two assurances, three guarantees; 0-1)")
    ax.set_ylabel("Share registered")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(frameon=False)
    return fig


# --------------------------------------------------------------------------------------------
# Claim-evidence table and the whole analysis
# --------------------------------------------------------------------------------------------
#: False discovery rate at which a logit coefficient counts as a finding (Benjamini-Hochberg,
#: within each model's family of coefficients).
FDR = 0.05

_NO_FINDING = " No household characteristic predicts {what} at a false discovery rate of 5 %."


def findings(tab: pd.DataFrame, fdr: float = FDR) -> pd.DataFrame:
    """The rows of a logit table that survive the Benjamini-Hochberg adjustment at ``fdr``,
    smallest adjusted p-value first (an empty frame when none does)."""
    return tab[tab["p (BH)"] <= fdr].sort_values("p (BH)")


def claims_table(
    case: str,
    errors: pd.DataFrame,
    logits: Mapping[str, pd.DataFrame],
    *,
    simulated: bool,
) -> pd.DataFrame:
    """The claim-evidence table (columns "What the thesis reported", "What this analysis
    shows", "What would be needed to test it with field data").

    The first column paraphrases the registry (``data/cases/<case>.yaml``); the second states
    the first need measure's errors and the largest logit coefficient of each model; the
    third is the design's ``needed`` text.

    Raises:
        ParameterError: unknown case.
    """
    design = _design(case)
    profile = registry.load_case(case)
    # H County lists poor identification among the difficulties hampering its work (a cause);
    # W Town reports fragmented government as a finding (a problem).
    field, code = {
        "h_county": ("causes", "cause_weak_safeguards"),
        "w_town": ("problems", "problem_fragmented_government"),
    }[case]
    claim = next(
        p.description
        for p in getattr(profile, field)
        if p.code == code and (case != "h_county" or "identif" in p.description)
    )
    claim = claim[:1].upper() + claim[1:].rstrip(".") + "."
    first = errors[errors["Need measure"] == errors["Need measure"].iloc[0]]
    inc, exc = first.iloc[0], first.iloc[1]
    shows = (
        f"Inclusion error {inc['Share']:.2f} (95% CI {inc['95% CI low']:.2f} to "
        f"{inc['95% CI high']:.2f}) and exclusion error {exc['Share']:.2f} (95% CI "
        f"{exc['95% CI low']:.2f} to {exc['95% CI high']:.2f}) against "
        f"{design.references[0].short} households."
    )
    for kind, tab in logits.items():
        found = findings(tab)
        if found.empty:
            shows += _NO_FINDING.format(what=kind)
            continue
        top = found.iloc[0]
        direction = "raises" if top["Log-odds"] > 0 else "lowers"
        shows += (
            f" Strongest predictor of {kind}: {top['Term'].lower()}, which {direction} it "
            f"(log-odds {top['Log-odds']:.2f}, {pvalue(float(top['p']))}; "
            f"BH-adjusted {pvalue(float(top['p (BH)']))})."
        )
    if simulated and design.planted_logit:
        shows += (
            " The data are simulated with planted error rates and drivers, so this shows what "
            "the method recovers, not that the thesis's claim holds."
        )
    elif simulated:
        shows += (
            " The data are simulated with planted error rates but no planted drivers: the "
            "predictors act through the need measure, which is computed from the same traits; "
            "this shows what the method measures, not that the thesis's claim holds."
        )
    return pd.DataFrame(
        [
            {
                "What the thesis reported": claim,
                "What this analysis shows": shows,
                "What would be needed to test it with field data": design.needed,
            }
        ]
    )


@dataclass
class TargetingAnalysis:
    """Everything the targeting page shows for one case."""

    case: str
    design: TargetingDesign
    households: pd.DataFrame
    intervals: dict[str, pd.DataFrame]
    errors: pd.DataFrame
    by_village: pd.DataFrame
    logits: dict[str, pd.DataFrame]
    profile: pd.DataFrame
    claims: pd.DataFrame
    numbers: dict[str, Any]
    markdown: dict[str, str]
    simulated: bool
    extra: Any = None
    mpi_sensitivity: pd.DataFrame | None = None

    @property
    def need_caption(self) -> str:
        """Caption of :meth:`need_figure` for this case."""
        if self.case == "w_town":
            return "Being on the monitoring list and estimated vulnerability, by list status."
        return "Being on the register and need: share registered by deprivation score."

    def need_figure(self) -> mpl.figure.Figure:
        """The case's need figure: vulnerability by list status (w_town) or registration by
        deprivation score (h_county)."""
        if self.case == "w_town":
            return vulnerability_figure(
                self.households, self.design.register, threshold=self.extra.threshold
            )
        return registration_figure(
            self.households, self.design.register, self.extra.deprivation_score
        )


def labels_of(design: TargetingDesign, columns: Sequence[str]) -> list[str]:
    """Display labels (lower case) of covariate columns."""
    return [design.covariate_labels.get(c, c).lower() for c in columns]


def _planted_logit_column(
    design: TargetingDesign, kind: str, tab: pd.DataFrame, planted: Mapping[str, Any]
) -> pd.DataFrame:
    values = []
    for term in tab.index:
        spec = design.planted_logit.get((kind, term))
        values.append(float(planted[spec[0]]) * spec[1] if spec else 0.0)
    return tab.assign(**{"Planted (simulated, hypothesis)": values})


def analyse(
    data: synth.SimulatedData,
    case: str,
    *,
    mpi_k: float = 1 / 3,
    vulnerability_line: float = 6000.0,
    bootstrap_reps: int = 200,
    mpi_weights: str = "equal_dimensions",
    seed: int = 20201123,
) -> TargetingAnalysis:
    """Run the whole targeting analysis of one case and build its page's prose.

    Steps: :func:`need_flags`; :func:`error_intervals` for every need measure; the errors
    table; :func:`errors_by_village` and the logits of :func:`mistargeting_logit` for the first
    need measure; :func:`profile_table`; the claim-evidence table; for h_county,
    :func:`mpi_sensitivity` over the weight vectors and the k grid of the poverty profile
    (:func:`cases.pages.poverty_profile.mpi_k_grid`); Markdown whose numbers are
    glue roles (``targeting_text_*`` in ``numbers``) or keys the notebook glues itself
    (``targeting_<need>_<inclusion|exclusion>_{error,se,ci_low,ci_high}``).

    Raises:
        ParameterError, DataValidationError, cases.methods.measures.MeasureInputError: as the steps.
    """
    design = _design(case)
    simulated = bool(data.meta.get("simulated", True))
    planted = data.meta.get("planted_effects") if simulated else None
    hh, extra = need_flags(
        data, case, mpi_k=mpi_k, vulnerability_line=vulnerability_line, mpi_weights=mpi_weights
    )
    intervals, counts = {}, {}
    for ref in design.references:
        intervals[ref.label] = error_intervals(
            hh, design.register, ref.key, n_boot=bootstrap_reps, seed=seed
        )
        counts[ref.label] = {
            "listed": float(hh[design.register].sum()),
            "in_need": float(hh[ref.key].sum()),
        }
    planted_err = (
        {k: float(planted[v]) for k, v in design.planted_errors.items()} if planted else None
    )
    if planted_err is not None and case == "w_town":
        planted_err["inclusion"] = implied_inclusion_error(
            float(data.meta["derived"]["true_vulnerable_share"]),
            float(planted["monitoring_exclusion_rate"]),
            float(planted["monitoring_rate_not_vulnerable"]),
        )
    errors = errors_table(intervals, counts, planted_err)
    main = design.references[0]
    by_village = errors_by_village(hh, design.register, main.key)
    logits = {}
    for kind in ("inclusion", "exclusion"):
        tab = mistargeting_logit(
            hh, design.register, main.key, design.covariates, kind, labels=design.covariate_labels
        )
        if planted and design.planted_logit:
            tab = _planted_logit_column(design, kind, tab, planted)
        logits[kind] = tab
    profile = profile_table(
        hh,
        design.register,
        main.key,
        design.covariates,
        design.covariate_labels,
        need_label=main.short,
    )
    p = Prose("targeting_text_")
    md: dict[str, str] = {}
    data_phrase = "the simulated data" if simulated else "the field data"
    intro = (
        f"This page checks {design.register_phrase} against "
        + " and against ".join(r.phrase for r in design.references)
        + f" in {data_phrase}: {p.num('n_households', len(hh))} households in "
        f"{p.num('n_villages', int(hh['village_id'].nunique()))} villages, of which "
        f"{p.num('n_listed', int(hh[design.register].sum()))} are listed"
    )
    intro += (
        "".join(
            f" and {p.num('n_' + r.key, int(hh[r.key].sum()))} are {r.short}"
            for r in design.references
        )
        + "."
    )
    if case == "h_county":
        intro += (
            " MPI-poor means a deprivation score of at least "
            f"{p.num('mpi_k', float(mpi_k), '.2f')} on the "
            f"{p.num('mpi_n_indicators', len(extra.dim_weights))} indicators of the national exit "
            "standard (parameter `mpi_k`); the "
            f"MPI headcount is {p.num('mpi_h', float(extra.H), '.3f')}."
        )
    else:
        intro += (
            " Vulnerability is the probability that consumption falls below "
            f"{p.num('vulnerability_line', float(vulnerability_line), ',.0f')} yuan per person "
            "next year (parameter `vulnerability_line`), estimated from schooling, labour, "
            "illness and migrant work; households with a probability of at least "
            f"{p.num('vulnerability_threshold', float(extra.threshold), '.1f')} count as "
            f"vulnerable ({p.num('vulnerable_share', float(extra.share_vulnerable), '.3f')} of "
            "households)."
        )
    if simulated and design.planted_logit:
        intro += (
            " The data are simulated: error rates and their drivers were planted as hypotheses "
            f"taken from the thesis (`data/synth/{case}.yaml`), so the page checks the methods, "
            "not the thesis's claims."
        )
    elif simulated:
        intro += (
            " The data are simulated: only the list's error rates were planted, the same for "
            f"all households in need and for all others (`data/synth/{case}.yaml`), so the page "
            "checks the methods, not the thesis's claims. The list depends on household traits "
            "only through the need measure, which is itself computed from those traits; an "
            "association of a trait with mis-targeting below comes from that, not from a "
            "planted driver of the list."
        )
    md["intro"] = intro
    parts = []
    for ref in design.references:
        k = f"targeting_{ref.key}"
        parts.append(
            f"Against {ref.phrase}, the inclusion error is "
            f"{{glue:text}}`{k}_inclusion_error:.3f` "
            f"(95% CI {{glue:text}}`{k}_inclusion_ci_low:.3f` "
            f"to {{glue:text}}`{k}_inclusion_ci_high:.3f`) and the exclusion error "
            f"{{glue:text}}`{k}_exclusion_error:.3f` "
            f"(95% CI {{glue:text}}`{k}_exclusion_ci_low:.3f` "
            f"to {{glue:text}}`{k}_exclusion_ci_high:.3f`)."
        )
    if planted_err:
        parts.append(
            f"The planted values against {design.references[0].phrase} are "
            + " and ".join(
                f"{p.num('planted_' + kind, planted_err[kind], '.2f')} ({kind})"
                for kind in ("inclusion", "exclusion")
                if kind in planted_err
            )
            + " (implied by the planted rates)."
        )
    parts.append(
        f"Intervals come from {p.num('bootstrap_reps', int(bootstrap_reps))} bootstrap samples "
        "of whole villages (parameter `bootstrap_reps`)."
    )
    md["errors"] = " ".join(parts)
    inc_v, exc_v = by_village["inclusion_error"], by_village["exclusion_error"]
    md["village"] = (
        "{numref}`" + f"fig-targeting-village-{case}" + "` shows the errors of each village. "
        "Village inclusion errors range from "
        f"{p.num('village_inclusion_min', float(inc_v.min()), '.2f')} "
        f"to {p.num('village_inclusion_max', float(inc_v.max()), '.2f')}, and exclusion "
        f"errors from {p.num('village_exclusion_min', float(exc_v.min()), '.2f')} to "
        f"{p.num('village_exclusion_max', float(exc_v.max()), '.2f')}. A village has "
        "only "
        f"{p.num('village_median_in_need', float(by_village['in_need'].median()), '.0f')} "
        "households "
        f"{main.short} at the median, so much of this spread is chance; the bootstrap "
        "interval of the overall error is the figure to compare with other places."
    )
    sent = []
    for kind, tab in logits.items():
        who = f"households not {main.short}" if kind == "inclusion" else f"{main.short} households"
        what = "are listed" if kind == "inclusion" else "are left off the list"
        sig = findings(tab)
        p.num(f"logit_{kind}_n_terms", len(tab))
        p.num(f"logit_{kind}_n_raw05", int((tab["p"] < 0.05).sum()))
        p.num(f"logit_{kind}_n_bh05", len(sig))
        p.num(f"logit_{kind}_min_p", float(tab["p"].min()))
        p.num(f"logit_{kind}_min_p_bh", float(tab["p (BH)"].min()))
        s = (
            f"Among {p.num(f'logit_{kind}_n', int(tab.attrs['n']))} {who}, "
            f"{p.num(f'logit_{kind}_events', int(tab.attrs['events']))} {what}."
        )
        if tab.attrs["separated"]:
            s += (
                " Left out of the model because none (or all) of the households with them "
                "fall in this group: " + ", ".join(labels_of(design, tab.attrs["separated"])) + "."
            )
        if sig.empty:
            s += _NO_FINDING.format(what="this")
        else:
            s += (
                " Characteristics that predict it at a false discovery rate of 5 %: "
                + "; ".join(
                    f"{row['Term'].lower()} (odds ratio "
                    f"{p.num(f'logit_{kind}_{term}_or', float(row['Odds ratio']), '.2f')})"
                    for term, row in sig.iterrows()
                )
                + "."
            )
        sent.append(s)
    md["drivers"] = " ".join(sent)
    if case == "w_town":
        md["drivers"] += (
            " {numref}`" + f"fig-targeting-need-{case}" + "` shows estimated "
            "vulnerability by monitoring status."
        )
    else:
        md["drivers"] += (
            " {numref}`" + f"fig-targeting-need-{case}" + "` shows the share registered at each "
            "deprivation score, for income-poor and other households: if registration followed "
            "visible deprivations rather than income, the lower line would rise with the score."
        )
    sensitivity = None
    if case == "h_county":
        spec = measures.exit_standard(INDICATOR_YEAR[case])
        sensitivity = mpi_sensitivity(hh, design.register, spec, mpi_k_grid(spec, mpi_k))
        exc = sensitivity["Exclusion error"]
        p.num("mpi_exclusion_min", float(exc.min()))
        p.num("mpi_exclusion_max", float(exc.max()))
        p.num("mpi_n_specs", len(sensitivity))
    tables = ("households",)
    md["data_format"] = data_format_markdown(case, tables)
    return TargetingAnalysis(
        case=case,
        design=design,
        households=hh,
        intervals=intervals,
        errors=errors,
        by_village=by_village,
        logits=logits,
        profile=profile,
        claims=claims_table(case, errors, logits, simulated=simulated),
        numbers=p.numbers,
        markdown=md,
        simulated=simulated,
        extra=extra,
        mpi_sensitivity=sensitivity,
    )
