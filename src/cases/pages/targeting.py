"""Page "Targeting" (``notebooks/targeting.ipynb``): who is on a list, who is in need, and who
is wrongly on or off it.

Facts only, no sentences: :func:`build` returns a :class:`~cases.present.page.Page` whose numbers,
facts, tables and figures the notebook shows; the words are in ``text/targeting.md`` and the
per-case designs in ``data/settings/targeting.yaml`` (:func:`designs`). The cases:

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

Public API: :func:`designs`, :func:`design`, :class:`Reference`, :class:`TargetingDesign`,
:func:`need_flags`, :func:`error_intervals`, :func:`errors_table`, :func:`errors_by_village`,
:func:`village_figure`, :func:`mistargeting_logit`, :func:`profile_table`,
:func:`vulnerability_figure`, :func:`registration_figure`, :func:`claims_table`, :func:`build`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.data import registry
from cases.methods import inference, measures
from cases.methods.inference import bh_adjust
from cases.pages.policy_evaluation import CaseDesigns, data_format_markdown, load_settings
from cases.pages.poverty_profile import SCHEME_LABELS, mpi_k_grid
from cases.present import layout, report
from cases.present.page import Page
from cases.simulate import synth

__all__ = [
    "FDR",
    "Reference",
    "TargetingDesign",
    "build",
    "claims_table",
    "design",
    "designs",
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

#: The per-case designs (:func:`designs`) and the claim table's column labels.
SETTINGS: Path = paths.DATA / "settings" / "targeting.yaml"
#: Label of the planted values' column in the errors and logit tables.
PLANTED = "Planted (simulated, hypothesis)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(_Strict):
    """A measure of need the list is checked against: ``key`` (glue-key part, and the column
    added by :func:`need_flags`), ``label`` (tables), ``short`` (adjective) and ``phrase``
    (running text)."""

    key: str
    label: str
    short: str
    phrase: str


class PlantedTerm(_Strict):
    """A logit term with a planted log-odds: ``planted`` names the value in ``planted_effects``
    of ``data/synth/<case>.yaml``; the planted log-odds is ``sign`` times that value."""

    model: Literal["inclusion", "exclusion"]
    term: str
    planted: str
    sign: float = 1.0


class ClaimSource(_Strict):
    """Where the thesis's claim is in the registry (``data/cases/<case>.yaml``): the first entry
    of ``list`` with ``code`` whose description contains ``contains`` (if given)."""

    list: Literal["causes", "problems", "achievements", "mechanisms"]
    code: str
    contains: str | None = None


class TargetingDesign(_Strict):
    """A list (``list_column`` column of the ``households`` table) and the need measures it is
    checked against; ``covariates`` (column -> label) enter the mis-targeting logits. Field
    meanings: the comment at the top of ``data/settings/targeting.yaml``. Rule: an ``mpi``
    design needs its ``indicator_year``."""

    list_column: str
    register_label: str
    register_phrase: str
    need: Literal["mpi", "vulnerability"]
    indicator_year: int | None = None
    references: tuple[Reference, ...] = Field(min_length=1)
    covariates: dict[str, str] = Field(min_length=1)
    planted_logit: tuple[PlantedTerm, ...] = ()
    planted_errors: dict[Literal["inclusion", "exclusion"], str] = Field(default_factory=dict)
    implied_inclusion: bool = False
    claim: ClaimSource
    needed: str

    @model_validator(mode="after")
    def _year_for_mpi(self) -> TargetingDesign:
        if self.need == "mpi" and self.indicator_year is None:
            raise ValueError("indicator_year is required when need is 'mpi'")
        return self

    @property
    def covariate_labels(self) -> dict[str, str]:
        """Column -> display label of every covariate."""
        return dict(self.covariates)


class _Settings(CaseDesigns[TargetingDesign]):
    figure_labels: dict[str, str]


def designs(path: Path | None = None) -> dict[str, TargetingDesign]:
    """Every case's targeting design, read from ``data/settings/targeting.yaml``.

    Raises:
        DataValidationError: the file is missing or a field is wrong (file and field named).
    """
    return load_settings(_Settings, path or SETTINGS).designs


def _figure_label(name: str) -> str:
    """An axis label or panel title of the page's figures (``figure_labels`` in the settings).

    Raises:
        DataValidationError: the settings have no label ``name``.
    """
    labels = load_settings(_Settings, SETTINGS).figure_labels
    if name not in labels:
        raise DataValidationError(str(SETTINGS), [f"figure_labels.{name}: not found"])
    return labels[name]


def design(case: str) -> TargetingDesign:
    """The targeting design of ``case``.

    Raises:
        ParameterError: the case has no targeting analysis.
    """
    found = designs()
    if case not in found:
        raise ParameterError(f"case={case!r} has no targeting analysis; cases: {sorted(found)}")
    return found[case]


_VULN_COVARIATES = ("head_education_years", "labour_share", "chronic_illness", "has_migrant_worker")


def _plain(value: Any) -> Any:
    """A plain Python scalar for messages and glue (``2`` rather than ``np.int64(2)``)."""
    return value.item() if isinstance(value, np.generic) else value


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

    Rules: a design with ``need: mpi`` (h_county) adds ``income_poor = income_below_line`` and
    ``mpi_poor`` = poor by the Alkire-Foster dual cutoff ``k = mpi_k`` on the exit standard of
    the design's ``indicator_year``
    (:func:`cases.methods.measures.exit_standard`: income, food and clothing
    and the three guarantees; drinking water only from 2019) with the weight vector
    ``mpi_weights`` of :func:`cases.methods.measures.weight_schemes` (default equal across
    dimensions)
    (Alkire and Foster 2011). The ``drinking_water_unsafe`` column is still required (a logit
    covariate).
    A design with ``need: vulnerability`` (w_town) adds ``vulnerable`` = probability of consumption
    below ``vulnerability_line`` (yuan per person per year) of at least 0.5, by the three-step FGLS
    of Chaudhuri, Jalan and Suryahadi (2002) on schooling of the head, labour share, chronic illness
    and migrant work; the column ``vulnerability`` holds the probability. Returns ``(households,
    extra)`` with ``extra`` the :class:`~cases.methods.measures.MPIResult` or
    :class:`~cases.methods.measures.VulnerabilityResult`.

    Raises:
        ParameterError: unknown case or ``mpi_weights``.
        DataValidationError: missing table or column.
        cases.methods.measures.MeasureInputError: invalid values (as the measures).
    """
    d = design(case)
    source = f"targeting.need_flags({case})"
    if "households" not in data.tables:
        raise DataValidationError(source, ["table 'households' not found"])
    hh = data["households"].copy()
    covariates = list(d.covariates)
    if d.need == "mpi":
        base = measures.exit_standard(int(d.indicator_year or 0))
        schemes = measures.weight_schemes(base)
        if mpi_weights not in schemes:
            raise ParameterError(f"mpi_weights must be one of {list(schemes)}; got {mpi_weights!r}")
        spec = base.reweighted(schemes[mpi_weights])
        ind = list(spec)
        need = ["village_id", d.list_column, *ind, *covariates]
    else:
        need = ["village_id", d.list_column, "consumption_per_capita", *covariates]
    missing = sorted(set(need) - set(hh.columns))
    if missing:
        raise DataValidationError(source, [f"households: column {c!r} not found" for c in missing])
    if d.need == "mpi":
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
    n_boot: int = inference.MIN_BOOT,
    seed: int = 20201123,
    cluster: str = "village_id",
) -> pd.DataFrame:
    """Inclusion and exclusion errors with bootstrap standard errors and 95% intervals.

    Point estimates: :func:`cases.methods.measures.targeting_errors` (inclusion = share of the
    listed who are not in need; exclusion = share of those in need who are not listed; Coady,
    Grosh and Hoddinott 2004). Intervals: percentile intervals of a seeded bootstrap that
    resamples whole ``cluster`` units (villages), through the rule of
    :mod:`cases.methods.inference` (at least 999 replicates, at least 10 villages;
    :func:`cases.methods.inference.cluster_share_bootstrap`, the same draws as
    :func:`cases.methods.measures.bootstrap`; Efron and Tibshirani 1993). Returns a
    frame indexed ``inclusion``/``exclusion`` with columns ``error``, ``se``, ``ci_low``,
    ``ci_high``.

    Raises:
        ParameterError: ``n_boot < 999``, fewer than 10 villages (the number named), or
            ``cluster`` not a column.
        cases.methods.measures.MeasureInputError: as the measures (flags not 0/1, ...).
    """
    if cluster not in df.columns:
        raise ParameterError(f"cluster column {cluster!r} not in the table")
    point = measures.targeting_errors(df[register], df[need])
    listed = df[register].to_numpy(dtype=float)
    in_need = df[need].to_numpy(dtype=float)
    # Both errors are shares of sums: inclusion = not in need among the listed, exclusion =
    # not listed among those in need; bootstrapped from village totals.
    parts = {"inclusion": (1 - in_need, listed), "exclusion": (1 - listed, in_need)}
    rows = {}
    for kind, (flag, weight) in parts.items():
        b = inference.cluster_share_bootstrap(
            flag, weight, df[cluster].to_numpy(), n_boot=n_boot, seed=seed
        )
        if not math.isclose(b.estimate, point[f"{kind}_error"], rel_tol=1e-12, abs_tol=1e-15):
            raise AssertionError(f"{kind} error: bootstrap estimate disagrees with the measure")
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
                entry[PLANTED] = float(planted[kind]) if i == 0 and kind in planted else math.nan
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

    Each dot is a village (area: its denominator, shown in a size legend); the dashed line and
    band are the overall error and its 95% interval. Legends sit outside the panels. Returns
    the figure (not yet stamped).
    """
    fig, axes = plt.subplots(1, 2, figsize=(report.COLUMN_WIDTH_IN, 4.0), sharey=True)

    def size_of(n: float) -> float:
        return 8 + 4 * n

    denominators: list[float] = []
    specs = (
        (
            "inclusion",
            "inclusion_error",
            "listed",
            _figure_label("village_inclusion"),
        ),
        (
            "exclusion",
            "exclusion_error",
            "in_need",
            _figure_label("village_exclusion"),
        ),
    )
    for ax, (kind, col, den, title) in zip(axes, specs, strict=True):
        sub = by_village.dropna(subset=[col]).sort_values(col).reset_index(drop=True)
        denominators.extend(sub[den].astype(float))
        ax.scatter(
            np.arange(len(sub)),
            sub[col],
            s=size_of(sub[den]),
            color=report.PALETTE[0 if kind == "inclusion" else 3],
            alpha=0.7,
            edgecolor="white",
            linewidth=0.4,
        )
        o = overall.loc[kind]
        ax.axhspan(o["ci_low"], o["ci_high"], color="0.8", alpha=0.5, label="overall, 95% CI")
        ax.axhline(o["error"], color="0.3", linestyle="--", linewidth=1, label="overall error")
        ax.set_title(title, loc="left", fontsize=10)
        ax.set_xlabel("Villages, sorted by error")
        ax.set_ylim(-0.03, 1.03)
    axes[0].set_ylabel(f"{register_label} vs {need_label.lower()}\n(share)")
    layout.size_legend(axes[1], denominators, size_of, title="Households in\nthe denominator")
    layout.legend_outside(fig, "below", handles=None, labels=None, ncols=2)
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
    Fitted by maximum likelihood (statsmodels ``Logit``) with inference clustered by ``cluster``
    through :func:`cases.methods.inference.cluster_inference` (CR1 with the ``G/(G-1)
    (N-1)/(N-K)`` factor, ``t(G - 1)`` intervals and p-values; fewer than 10 clusters raise;
    ``None``: the inverse information, for unclustered data only). Rows: the covariates
    (constant dropped), columns ``Term``, ``Log-odds``, ``SE``, ``95% CI low``, ``95% CI high``,
    ``Odds ratio``, ``p`` and ``p (BH)`` (Benjamini-Hochberg adjusted over this model's
    coefficients, :func:`cases.methods.inference.bh_adjust`: the family is the scan of every
    covariate); ``attrs`` hold ``n``, ``events`` and ``separated`` — 0/1 covariates left out
    because their "1" group has no events or only events (perfect separation: an infinite
    estimate; Albert and Anderson 1984). Coefficients are log-odds per unit of the covariate
    (Hosmer, Lemeshow and Sturdivant 2013, *Applied Logistic Regression*, ch. 3).

    ``attrs["warning"]`` carries the rule's warning for readers (non-linear model with fewer
    than 30 clusters), ``""`` otherwise.

    Raises:
        ParameterError: ``kind`` not inclusion/exclusion, or fewer than 10 clusters.
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
    warning = ""
    if cluster:
        tidy = inference.cluster_inference(
            model, sample[cluster].to_numpy(), fit_kwargs={"disp": 0}
        )
        fit = tidy.attrs["fit"]
        warning = str(tidy["warning"].iloc[0])
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
    out.attrs.update(n=len(y), events=int(y.sum()), separated=separated, warning=warning)
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
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 3.8))
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
    ax.set_xlabel(_figure_label("vulnerability_axis"))
    ax.set_ylabel("Households (log scale)")
    layout.legend_outside(ax, "right")
    return fig


def registration_figure(
    df: pd.DataFrame, register: str, score: np.ndarray, poor: str = "income_poor"
) -> mpl.figure.Figure:
    """Share listed by deprivation score, separately for income-poor and other households.

    ``score`` is the Alkire-Foster deprivation score of each household (0-1); points are the
    listed share among households with that score (area: number of households, with a size
    legend; the largest group of either kind sets the scale). Shows whether
    listing follows visible deprivations rather than income. Returns the figure (not stamped).
    """
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 3.8))
    work = pd.DataFrame({"score": np.round(score, 2), "listed": df[register], "poor": df[poor]})
    largest = float(work.groupby(["poor", "score"]).size().max())

    def size_of(n: Any) -> Any:
        return 10 + 60 * np.sqrt(n / largest)

    for flag, label, colour in ((1, "income-poor", 3), (0, "not income-poor", 0)):
        g = work[work["poor"] == flag].groupby("score")["listed"].agg(["mean", "size"])
        ax.plot(g.index, g["mean"], color=report.PALETTE[colour], linewidth=1)
        ax.scatter(
            g.index,
            g["mean"],
            s=size_of(g["size"]),
            color=report.PALETTE[colour],
            label=label,
        )
    ax.set_xlabel(_figure_label("deprivation_axis"))
    ax.set_ylabel("Share registered")
    ax.set_ylim(-0.03, 1.03)
    layout.legend_outside(ax, "right")
    layout.size_legend(ax, work.groupby(["poor", "score"]).size(), size_of, title="Households")
    return fig


# --------------------------------------------------------------------------------------------
# Claim-evidence table and the whole analysis
# --------------------------------------------------------------------------------------------
#: False discovery rate at which a logit coefficient counts as a finding (Benjamini-Hochberg,
#: within each model's family of coefficients).
FDR = 0.05


def findings(tab: pd.DataFrame, fdr: float = FDR) -> pd.DataFrame:
    """The rows of a logit table that survive the Benjamini-Hochberg adjustment at ``fdr``,
    smallest adjusted p-value first (an empty frame when none does)."""
    return tab[tab["p (BH)"] <= fdr].sort_values("p (BH)")


def thesis_claim(case: str) -> str:
    """The thesis's claim on targeting, from the registry (``data/cases/<case>.yaml``): the
    description of the first entry of the design's ``claim.list`` with its ``claim.code`` (and
    containing ``claim.contains``, when set), with a capital first letter and one final full
    stop.

    Raises:
        ParameterError: unknown case.
        DataValidationError: no registry entry matches.
    """
    src = design(case).claim
    profile = registry.load_case(case)
    for entry in getattr(profile, src.list):
        if entry.code == src.code and (src.contains is None or src.contains in entry.description):
            text = entry.description
            return text[:1].upper() + text[1:].rstrip(".") + "."
    raise DataValidationError(
        f"data/cases/{case}.yaml", [f"{src.list}: no entry {src.code!r} matches the claim"]
    )


def claims_table(page: Page, passages: Mapping[str, str]) -> pd.DataFrame:
    """The claim-evidence table of a built page: the thesis's claim (``facts["claim"]``), what
    the page shows (the passage ``claims`` of ``text/targeting.md``, on one line) and what
    field data would test it (``facts["needed"]``), under the column labels
    ``facts["claim_columns"]``.

    Raises:
        KeyError: ``passages`` lacks the ``claims`` passage.
    """
    columns = page.facts["claim_columns"]
    row = (page.facts["claim"], " ".join(passages["claims"].split()), page.facts["needed"])
    return pd.DataFrame([dict(zip(columns, row, strict=True))])


def _planted_logit_column(
    d: TargetingDesign, kind: str, tab: pd.DataFrame, planted: Mapping[str, Any]
) -> pd.DataFrame:
    terms = {t.term: t for t in d.planted_logit if t.model == kind}
    values = [
        float(planted[terms[term].planted]) * terms[term].sign if term in terms else 0.0
        for term in tab.index
    ]
    return tab.assign(**{PLANTED: values})


def _logit_facts(kind: str, tab: pd.DataFrame, d: TargetingDesign) -> tuple[dict, dict]:
    """Numbers (glue suffixes) and the fact dict of one mis-targeting logit."""
    key = f"text_logit_{kind}"
    sig = findings(tab)
    numbers: dict[str, Any] = {
        f"{key}_n_terms": len(tab),
        f"{key}_n_raw05": int((tab["p"] < 0.05).sum()),
        f"{key}_n_bh05": len(sig),
        f"{key}_min_p": float(tab["p"].min()),
        f"{key}_min_p_bh": float(tab["p (BH)"].min()),
        f"{key}_n": int(tab.attrs["n"]),
        f"{key}_events": int(tab.attrs["events"]),
    }
    found = []
    for term, row in sig.iterrows():
        numbers[f"{key}_{term}_or"] = float(row["Odds ratio"])
        found.append(
            {
                "label": str(row["Term"]).lower(),
                "odds_ratio": float(row["Odds ratio"]),
                "log_odds": float(row["Log-odds"]),
                "p": float(row["p"]),
                "p_bh": float(row["p (BH)"]),
            }
        )
    labels = d.covariate_labels
    fact = {
        "kind": kind,
        "n": int(tab.attrs["n"]),
        "events": int(tab.attrs["events"]),
        "separated": [labels.get(c, c).lower() for c in tab.attrs["separated"]],
        "warning": tab.attrs.get("warning", ""),
        "findings": found,
    }
    return numbers, fact


def build(
    data: synth.SimulatedData,
    case: str,
    *,
    mpi_k: float = 1 / 3,
    vulnerability_line: float = 6000.0,
    bootstrap_reps: int = inference.MIN_BOOT,
    mpi_weights: str = "equal_dimensions",
    seed: int = 20201123,
) -> Page:
    """The targeting page of one case: numbers, facts, tables and figures (no sentences).

    Steps: :func:`need_flags`; :func:`error_intervals` for every need measure; the errors
    table; :func:`errors_by_village` and the logits of :func:`mistargeting_logit` for the first
    need measure; :func:`profile_table`; for a design with ``need: mpi``, :func:`mpi_sensitivity`
    over the weight vectors and the k grid of the poverty profile
    (:func:`cases.pages.poverty_profile.mpi_k_grid`).

    Numbers (glued by :func:`cases.present.page.show` with the prefix ``targeting``):
    ``<need>_<inclusion|exclusion>_{error,se,ci_low,ci_high}`` for every need measure and
    ``text_*`` (counts, the measure's settings, village ranges, logit counts and the odds ratio
    of every finding, the planted errors on simulated data); every float has the verify
    tolerance 1e-6. Facts: the case, the design's labels and phrases, ``need`` (mpi or
    vulnerability), ``simulated``, ``planted_drivers`` (the plant includes logit drivers), the
    ``logits`` (count, findings, separated covariates) and what the claim table needs. Tables:
    ``errors``, ``logit_inclusion``, ``logit_exclusion``, ``profile``, and ``mpi_sensitivity``
    for an ``mpi`` design. Figures: ``village`` and ``need`` (not stamped).

    Raises:
        ParameterError, DataValidationError, cases.methods.measures.MeasureInputError: as the
            steps.
    """
    d = design(case)
    simulated = bool(data.meta.get("simulated", True))
    planted = data.meta.get("planted_effects") if simulated else None
    hh, extra = need_flags(
        data, case, mpi_k=mpi_k, vulnerability_line=vulnerability_line, mpi_weights=mpi_weights
    )
    page = Page()
    n = page.numbers
    intervals, counts = {}, {}
    for ref in d.references:
        frame = error_intervals(hh, d.list_column, ref.key, n_boot=bootstrap_reps, seed=seed)
        intervals[ref.label] = frame
        counts[ref.label] = {
            "listed": float(hh[d.list_column].sum()),
            "in_need": float(hh[ref.key].sum()),
        }
        for kind, row in frame.iterrows():
            for stat in ("error", "se", "ci_low", "ci_high"):
                n[f"{ref.key}_{kind}_{stat}"] = float(row[stat])
    planted_err = {k: float(planted[v]) for k, v in d.planted_errors.items()} if planted else None
    if planted_err is not None and d.implied_inclusion:
        planted_err["inclusion"] = implied_inclusion_error(
            float(data.meta["derived"]["true_vulnerable_share"]),
            float(planted["monitoring_exclusion_rate"]),
            float(planted["monitoring_rate_not_vulnerable"]),
        )
    main = d.references[0]
    n["text_n_households"] = len(hh)
    n["text_n_villages"] = int(hh["village_id"].nunique())
    n["text_n_listed"] = int(hh[d.list_column].sum())
    for ref in d.references:
        n[f"text_n_{ref.key}"] = int(hh[ref.key].sum())
    if d.need == "mpi":
        n["text_mpi_k"] = float(mpi_k)
        n["text_mpi_n_indicators"] = len(extra.dim_weights)
        n["text_mpi_h"] = float(extra.H)
    else:
        n["text_vulnerability_line"] = float(vulnerability_line)
        n["text_vulnerability_threshold"] = float(extra.threshold)
        n["text_vulnerable_share"] = float(extra.share_vulnerable)
    planted_kinds = [k for k in ("inclusion", "exclusion") if planted_err and k in planted_err]
    for kind in planted_kinds:
        n[f"text_planted_{kind}"] = _plain(planted_err[kind])
    n["text_bootstrap_reps"] = int(bootstrap_reps)
    by_village = errors_by_village(hh, d.list_column, main.key)
    n["text_village_inclusion_min"] = float(by_village["inclusion_error"].min())
    n["text_village_inclusion_max"] = float(by_village["inclusion_error"].max())
    n["text_village_exclusion_min"] = float(by_village["exclusion_error"].min())
    n["text_village_exclusion_max"] = float(by_village["exclusion_error"].max())
    n["text_village_median_in_need"] = float(by_village["in_need"].median())
    logit_facts = []
    for kind in ("inclusion", "exclusion"):
        tab = mistargeting_logit(
            hh, d.list_column, main.key, list(d.covariates), kind, labels=d.covariate_labels
        )
        if planted and d.planted_logit:
            tab = _planted_logit_column(d, kind, tab, planted)
        numbers, fact = _logit_facts(kind, tab, d)
        n.update(numbers)
        logit_facts.append(fact)
        page.tables[f"logit_{kind}"] = tab
    if d.need == "mpi":
        spec = measures.exit_standard(int(d.indicator_year or 0))
        sensitivity = mpi_sensitivity(hh, d.list_column, spec, mpi_k_grid(spec, mpi_k))
        n["text_mpi_exclusion_min"] = float(sensitivity["Exclusion error"].min())
        n["text_mpi_exclusion_max"] = float(sensitivity["Exclusion error"].max())
        n["text_mpi_n_specs"] = len(sensitivity)
        page.tables["mpi_sensitivity"] = sensitivity
    page.tables["errors"] = errors_table(intervals, counts, planted_err)
    page.tables["profile"] = profile_table(
        hh, d.list_column, main.key, list(d.covariates), d.covariate_labels, need_label=main.short
    )
    page.tolerances = {k: 1e-6 for k, v in n.items() if isinstance(v, float)}
    first = intervals[main.label]
    page.facts.update(
        {
            "case": case,
            "simulated": simulated,
            "need": d.need,
            "register_phrase": d.register_phrase,
            "references": [
                {
                    **r.model_dump(),
                    "n": int(hh[r.key].sum()),
                    **{k: dict(intervals[r.label].loc[k]) for k in ("inclusion", "exclusion")},
                }
                for r in d.references
            ],
            "main": main.model_dump(),
            "planted_kinds": planted_kinds,
            "planted": {k: planted_err[k] for k in planted_kinds} if planted_err else {},
            "planted_drivers": bool(d.planted_logit),
            "logits": logit_facts,
            "main_errors": {k: dict(first.loc[k]) for k in ("inclusion", "exclusion")},
            "data_format": data_format_markdown(case, ("households",)),
            "claim": thesis_claim(case),
            "needed": d.needed,
            "claim_columns": list(load_settings(_Settings, SETTINGS).claim_columns),
        }
    )
    page.figures["village"] = village_figure(
        by_village, first, register_label=d.register_label, need_label=main.label
    )
    if d.need == "vulnerability":
        page.figures["need"] = vulnerability_figure(hh, d.list_column, threshold=extra.threshold)
    else:
        page.figures["need"] = registration_figure(hh, d.list_column, extra.deprivation_score)
    return page
