"""Poverty profile of one case, and the "How the data were simulated" page: facts, no prose.

Two templates use this module, each with its own text template (the words):

- ``notebooks/poverty_profile.ipynb`` calls :func:`build`, whose :class:`~cases.present.page.Page`
  holds the income distribution, Foster–Greer–Thorbecke P0/P1/P2 at the national line of the
  year, relative poverty at 40/50/60 % of the median, the Gini coefficient, the Alkire–Foster
  multidimensional index on the "two assurances, three guarantees" indicators where the data
  have them, a decomposition by village group or household type, and seeded
  village-cluster bootstrap intervals (at least 999 replicates) for every estimate. Sentences:
  ``text/poverty_profile.md``.
- ``notebooks/simulation.ipynb`` calls :func:`simulation_page`: the sizes of the generated
  tables, the planted effects and the generator's documentation as facts
  (:func:`cases.simulate.synth.description`). Sentences: ``text/simulation.md``.

Per-case choices (which tables hold the inputs, how households are grouped, which passages of
the text apply) are in ``data/settings/poverty_profile.yaml``, validated by :class:`Settings`.

Rules
-----
- **Unit.** A household counts once (shares of households) unless ``weight_by_persons`` is
  set (weights = household size, shares of persons, as published incidences are). Income is
  per-capita income in yuan per person per year, current prices.
- **Absolute line** of a year, first match wins (:func:`absolute_line`): a line passed by the
  user; the national rural line (2010 standard in current prices) from
  ``data/raw/national_rural_poverty.csv`` when its status is ``published``; for simulated data,
  the generator's own ``poverty_line_<year>`` parameter (said to be a simulation parameter,
  not a verified figure); otherwise none — then a simulated data set's own relative-line
  parameter (``relative_line_share``, W Town after 2020) becomes the headline line.
- **Relative lines** are 40, 50 and 60 % of the median
  (:func:`cases.methods.measures.relative_line`).
  Their bootstrap re-estimates the median in every replicate, so an interval includes the
  uncertainty of the line itself.
- **Intervals**: the rule of :mod:`cases.methods.inference` for poverty measures: a
  percentile bootstrap resampling whole villages with replacement, at least
  :data:`cases.methods.inference.MIN_BOOT` (999) replicates, all from one seed
  (:func:`cases.methods.measures.fgt_ci` and :func:`cases.methods.measures.mpi_ci` after
  :func:`cases.methods.inference.require_cluster_bootstrap`; the relative lines and the Gini
  through :func:`cases.methods.inference.cluster_bootstrap`). Fewer than 10 villages: no
  profile (ParameterError naming the number), since no interval would hold its level.
- **MPI** only when the profile frame holds all six indicator columns of
  :data:`cases.methods.measures.TWO_ASSURANCES_THREE_GUARANTEES`; nothing is imputed or invented.
  The
  index follows the exit standard of the layout's ``indicator_year``
  (:func:`cases.methods.measures.exit_standard`): income, food and clothing and the three guarantees
  as dimensions, of equal weight unless ``mpi_weights`` says otherwise, and drinking water
  only from 2019 (its column is then ignored for earlier years). Its robustness to k and to
  the weight vectors of :func:`cases.methods.measures.weight_schemes` is in
  :func:`mpi_robustness_table`.
- **FGT table**: P0, P1 and P2 on one scale, all in percent (x 100).
- **Glue keys**: every number of a page is glued as ``poverty_<name>`` (``simulation_<name>``),
  floats with tolerance 1e-6 on the poverty page; a profile without an MPI glues NaN under
  :data:`MPI_NUMBER_KEYS`, because the notebook's own Markdown names them.

References: Foster, Greer and Thorbecke (1984), Econometrica 52(3); Alkire and Foster (2011),
Journal of Public Economics 95(7-8); Haughton and Khandker (2009), Handbook on Poverty and
Inequality, World Bank; Efron and Tibshirani (1993), An Introduction to the Bootstrap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from pydantic import BaseModel, ConfigDict, Field

from cases.core import files, paths
from cases.core.errors import DataValidationError, ParameterError
from cases.data import public_data, registry
from cases.methods import inference, measures
from cases.present import layout, report
from cases.present.page import Page
from cases.simulate import synth

__all__ = [
    "ALPHAS",
    "MPI_K_GRID",
    "MPI_NUMBER_KEYS",
    "RELATIVE_SHARES",
    "SCHEME_LABELS",
    "SETTINGS_PATH",
    "CaseLayout",
    "MPIProfile",
    "PovertyLine",
    "PovertyProfile",
    "Settings",
    "absolute_line",
    "build",
    "claims_table",
    "decomposition",
    "decomposition_display",
    "fgt_display",
    "fgt_table",
    "income_figure",
    "layouts",
    "mpi_k_grid",
    "mpi_robustness_table",
    "mpi_tables",
    "poverty_profile",
    "profile_frame",
    "profile_years",
    "settings",
    "simulation_page",
    "table_sizes",
    "trend_table",
]

#: FGT parameters shown: headcount (0), poverty gap (1), squared gap (2).
ALPHAS: tuple[int, ...] = (0, 1, 2)
#: Relative lines as shares of the median (W Town's post-2020 question; OECD uses 0.5).
RELATIVE_SHARES: tuple[float, ...] = (0.4, 0.5, 0.6)
#: Indicator columns of the "two assurances, three guarantees" specification.
INDICATORS: tuple[str, ...] = synth.INDICATOR_COLUMNS
#: The per-case settings file.
SETTINGS_PATH = paths.SETTINGS / "poverty_profile.yaml"
#: Tolerance of every float glued on the poverty page (results manifest).
FLOAT_TOLERANCE = 1e-6
#: Rows of the thesis comparison table the text template can fill (blocks ``claim<i>_<col>``).
CLAIM_ROWS = 2
_NATIONAL_TABLE = "national_rural_poverty"


# --------------------------------------------------------------------------------------------
# Settings: data/settings/poverty_profile.yaml
# --------------------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupBy(_Strict):
    """How households are grouped: ``county`` (the village's ``county_name``),
    ``household_size`` (labels ``one``, ``two``, ``more``), ``flag`` (a 0/1 ``column`` of the
    household frame) or ``village_flag`` (a 0/1 ``column`` of the villages table); ``labels``
    of a flag are ``flagged`` (value 1) and ``other``."""

    kind: Literal["county", "household_size", "flag", "village_flag"]
    column: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class LayoutSettings(_Strict):
    """One case's entry under ``layouts`` (see :class:`CaseLayout`)."""

    income_table: str
    household_table: str
    default_year: int
    group_label: str
    group_by: GroupBy
    group_columns: tuple[str, ...] = ()
    income_column: str = "income_per_capita"
    year_column: str | None = "year"
    wide_income: dict[int, str] = Field(default_factory=dict)
    fixed_years: tuple[int, ...] = ()
    indicator_table: str = "households"
    indicator_year: int | None = None
    indicator_line_parameter: str | None = None


class ThesisItem(_Strict):
    """A statement of ``data/cases/<case>.yaml``: the first item of ``section`` with ``code``
    (if given) whose description contains ``contains`` (if given, case-insensitive)."""

    section: Literal["achievements", "problems", "causes", "mechanisms"]
    code: str | None = None
    contains: str | None = None


class TextSettings(_Strict):
    """One case's entry under ``text``: facts that choose passages of the text template."""

    sample: Literal["all", "registered_poor"] = "all"
    calibration: str
    calibration_numbers: dict[str, str]
    calibration_sample_share: str | None = None
    relative_note: Literal["none", "post2020_question", "registered_median"] = "none"
    claims: str
    thesis_items: tuple[ThesisItem, ...] = ()


class Settings(_Strict):
    """``data/settings/poverty_profile.yaml``: ``layouts`` and ``text`` per case slug, and
    ``labels``, the longer column labels and axis titles of the page's tables and figure."""

    layouts: dict[str, LayoutSettings]
    text: dict[str, TextSettings]
    labels: dict[str, str]


@cache
def settings() -> Settings:
    """The validated settings file (read once per process).

    Raises:
        DataValidationError: the file is missing or a field is invalid (file and field named).
    """
    return files.load_yaml(Settings, SETTINGS_PATH)


# --------------------------------------------------------------------------------------------
# Case layouts: which table and columns give a household x year income frame
# --------------------------------------------------------------------------------------------
class CaseLayout(LayoutSettings):
    """Where a case's tables hold the profile's inputs: its :class:`LayoutSettings` and ``case``.

    ``income_table`` holds ``income_column`` (long by ``year_column``) or one income column per
    year (``wide_income``: year -> column); ``household_table`` holds ``household_size``,
    ``village_id`` and the grouping column; ``group_by`` says how the subgroup label of each
    household (a village group or a household type) is built from the merged frame.
    ``indicator_table`` holds the six indicator columns (recorded in ``indicator_year``), one
    row per household; it may be the household table itself. ``indicator_line_parameter``
    names the generator parameter (``data/synth/<case>.yaml``) of the line behind
    ``income_below_line`` in simulated data.
    """

    case: str

    def group_from(self, frame: pd.DataFrame, data: Any) -> pd.Series:
        """The group label of every household of ``frame`` (by :attr:`group_by`)."""
        how = self.group_by
        if how.kind == "county":
            villages = data["villages"].set_index("village_id")["county_name"]
            return frame["village_id"].map(villages)
        if how.kind == "household_size":
            size = frame["household_size"]
            one, two, more = how.labels["one"], how.labels["two"], how.labels["more"]
            return pd.Series(
                np.where(size <= 1, one, np.where(size == 2, two, more)), index=frame.index
            )
        if how.kind == "flag":
            flag = frame[how.column]
        else:
            flag = frame["village_id"].map(data["villages"].set_index("village_id")[how.column])
        return pd.Series(
            np.where(flag == 1, how.labels["flagged"], how.labels["other"]), index=frame.index
        )

    def village_columns(self) -> tuple[str, ...]:
        """Columns of the villages table the grouping reads (none for household groupings)."""
        if self.group_by.kind == "county":
            return ("county_name",)
        if self.group_by.kind == "village_flag":
            return (str(self.group_by.column),)
        return ()


def layouts() -> dict[str, CaseLayout]:
    """Every case's layout, from :func:`settings`."""
    return {
        case: CaseLayout(
            case=case, **entry.model_dump(exclude={"group_by"}), group_by=entry.group_by
        )
        for case, entry in settings().layouts.items()
    }


def _layout(case: str) -> CaseLayout:
    known = layouts()
    if case not in known:
        raise ParameterError(f"case {case!r} has no poverty-profile layout; known: {sorted(known)}")
    return known[case]


def profile_years(data: synth.SimulatedData, case: str) -> list[int]:
    """The years for which the data hold household incomes, ascending.

    Raises:
        ParameterError: ``case`` has no layout.
    """
    lay = _layout(case)
    if lay.wide_income:
        return sorted(lay.wide_income)
    if lay.year_column is None:
        return list(lay.fixed_years)
    return sorted(int(y) for y in data[lay.income_table][lay.year_column].unique())


def _indicator_frame(data: synth.SimulatedData, lay: CaseLayout) -> pd.DataFrame | None:
    """``household_id`` and the six indicators from the layout's indicator table, or None
    when the table or all six columns are absent (own data may leave them out).

    Raises:
        DataValidationError: some but not all six columns are present.
    """
    table = data.tables.get(lay.indicator_table)
    if table is None:
        return None
    present = [c for c in INDICATORS if c in table.columns]
    if not present:
        return None
    if len(present) < len(INDICATORS):
        missing = [c for c in INDICATORS if c not in table.columns]
        raise DataValidationError(
            f"{lay.case}/{lay.indicator_table}.csv",
            [f"indicator columns {', '.join(missing)} missing: give all six or none"],
        )
    return table[["household_id", *INDICATORS]]


def profile_frame(data: synth.SimulatedData, case: str, year: int) -> pd.DataFrame:
    """One row per household for ``year``: ``household_id``, ``village_id``,
    ``household_size``, ``income`` (yuan per person per year), ``group`` (label of the village
    group or household type, see :func:`layouts`) and, where the case's indicator table has
    them, the six indicator columns of
    :data:`cases.methods.measures.TWO_ASSURANCES_THREE_GUARANTEES`
    (recorded in the layout's ``indicator_year``, whatever ``year`` is).

    Raises:
        ParameterError: ``year`` not in :func:`profile_years`.
        DataValidationError: a household with no income, duplicate households in the year, a
            household with income but no indicator row, or only some of the six indicators.
    """
    lay = _layout(case)
    years = profile_years(data, case)
    if year not in years:
        raise ParameterError(f"year {year!r} is not in the {case} data; available: {years}")
    inc = data[lay.income_table]
    if lay.wide_income:
        frame = inc.rename(columns={lay.wide_income[year]: "income"})
    elif lay.year_column is not None:
        frame = inc[inc[lay.year_column] == year].rename(columns={lay.income_column: "income"})
    else:
        frame = inc.rename(columns={lay.income_column: "income"})
    if lay.household_table != lay.income_table:
        hh = data[lay.household_table]
        wanted = ["household_id", "village_id", "household_size", *lay.group_columns]
        frame = frame[["household_id", "income"]].merge(
            hh[wanted], on="household_id", how="left", validate="one_to_one"
        )
    frame = frame.drop(columns=[c for c in INDICATORS if c in frame.columns])
    indicators = _indicator_frame(data, lay)
    if indicators is not None:
        frame = frame.merge(indicators, on="household_id", how="left", validate="one_to_one")
    keep = ["household_id", "village_id", "household_size", "income"]
    keep += [c for c in INDICATORS if c in frame.columns]
    out = frame[keep].reset_index(drop=True).copy()
    if indicators is not None and out[list(INDICATORS)].isna().any(axis=None):
        hid = out.loc[out[list(INDICATORS)].isna().any(axis=1), "household_id"].iloc[0]
        raise DataValidationError(
            f"{case}/{lay.indicator_table}.csv",
            [f"household_id {hid} has income in {year} but no indicator row"],
        )
    source = f"{case}/{lay.income_table}.csv"
    if out["household_id"].duplicated().any():
        dup = out.loc[out["household_id"].duplicated(), "household_id"].iloc[0]
        raise DataValidationError(source, [f"household_id {dup} appears twice in {year}"])
    missing = out["income"].isna() | out["village_id"].isna() | out["household_size"].isna()
    if missing.any():
        hid = out.loc[missing, "household_id"].iloc[0]
        raise DataValidationError(
            source,
            [
                f"{int(missing.sum())} household(s) without income, village or size in {year} "
                f"(first household_id {hid})"
            ],
        )
    out["group"] = lay.group_from(frame.reset_index(drop=True), data).to_numpy()
    return out


# --------------------------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PovertyLine:
    """A poverty line: ``key`` (glue-key part), ``label`` (table text), ``value`` (yuan per
    person per year, current prices), ``kind`` ("absolute" | "relative"), ``share`` of the
    median for relative lines, and ``basis``: "national" (verified national line), "given"
    (passed by the user), "simulated_parameter" (the generator's own parameter) or "relative"."""

    key: str
    label: str
    value: float
    kind: str
    basis: str
    share: float | None = None


def absolute_line(
    year: int, *, case: str, simulated: bool, poverty_line: float = 0.0
) -> PovertyLine | None:
    """The absolute line of ``year`` by the rule of the module docstring, or ``None``.

    ``poverty_line > 0`` is used as given (yuan per person per year). The national line is the
    2010 rural standard (2,300 yuan at 2010 prices) in current prices, read with
    :func:`cases.data.public_data.load_table`; only rows whose ``poverty_line_status`` is
    ``published`` count. For simulated data only, ``poverty_line_<year>`` of
    ``data/synth/<case>.yaml`` is the fallback.

    Raises:
        ParameterError: a negative or non-finite ``poverty_line``.
    """
    if not math.isfinite(poverty_line) or poverty_line < 0:
        raise ParameterError(
            f"poverty_line must be 0 (use the national line) or positive; got {poverty_line!r}"
        )
    if poverty_line > 0:
        return PovertyLine("nat", f"Given line, {year}", float(poverty_line), "absolute", "given")
    national = public_data.load_table(_NATIONAL_TABLE)
    row = national[(national["year"] == year) & (national["poverty_line_status"] == "published")]
    if len(row) == 1:
        value = float(row["poverty_line_yuan"].iloc[0])
        return PovertyLine("nat", f"National line, {year}", value, "absolute", "national")
    if simulated:
        params = synth.load_params(case)["parameters"]
        entry = params.get(f"poverty_line_{year}")
        if entry is not None:
            return PovertyLine(
                "nat",
                f"Simulation's line parameter, {year}",
                float(entry["value"]),
                "absolute",
                "simulated_parameter",
            )
    return None


def _relative_lines(income: np.ndarray, weights: np.ndarray | None) -> list[PovertyLine]:
    return [
        PovertyLine(
            f"rel{round(s * 100)}",
            f"{round(s * 100)}% of the median",
            measures.relative_line(income, s, weights),
            "relative",
            "relative",
            s,
        )
        for s in RELATIVE_SHARES
    ]


# --------------------------------------------------------------------------------------------
# Estimates
# --------------------------------------------------------------------------------------------
def _weights(frame: pd.DataFrame, weight_by_persons: bool) -> np.ndarray | None:
    return frame["household_size"].to_numpy(dtype=float) if weight_by_persons else None


def fgt_table(
    frame: pd.DataFrame,
    lines: list[PovertyLine],
    *,
    weight_by_persons: bool = False,
    n_boot: int = inference.MIN_BOOT,
    seed: int,
    ci: float = 0.95,
) -> pd.DataFrame:
    """FGT P_alpha (alpha = 0, 1, 2) at each line, with bootstrap SE and percentile interval.

    ``P_alpha = sum_i w_i ((z - y_i)/z)^alpha 1[y_i < z] / sum_i w_i`` (Foster, Greer and
    Thorbecke 1984) on ``frame["income"]`` (yuan per person per year). Absolute lines are fixed
    and bootstrapped with :func:`cases.methods.measures.fgt_ci`; relative lines are recomputed as
    ``share x median`` inside each replicate (:func:`cases.methods.measures.bootstrap`). Villages
    are the resampling units, by the rule of :mod:`cases.methods.inference` (checked by
    :func:`cases.methods.inference.require_cluster_bootstrap` and
    :func:`cases.methods.inference.cluster_bootstrap`). Returns one row per line and alpha:
    ``line``, ``label``, ``kind``,
    ``basis``, ``line_value``, ``alpha``, ``estimate``, ``se``, ``ci_low``, ``ci_high``
    (shares in [0, 1]).

    Raises:
        ParameterError: fewer than 10 villages, ``n_boot < 999`` or a non-integer seed.
        cases.methods.measures.MeasureInputError: invalid incomes or weights.
    """
    w = _weights(frame, weight_by_persons)
    income = frame["income"].to_numpy(dtype=float)
    cluster = frame["village_id"].to_numpy()
    inference.require_cluster_bootstrap(cluster, n_boot, seed)
    rows = []
    for line in lines:
        for alpha in ALPHAS:
            if line.kind == "absolute":
                res = measures.fgt_ci(
                    income, line.value, alpha, w, n_boot=n_boot, seed=seed, ci=ci, cluster=cluster
                )
            else:
                res = inference.cluster_bootstrap(
                    _relative_fgt(line.share, alpha, weight_by_persons),
                    frame,
                    "village_id",
                    n_boot=n_boot,
                    seed=seed,
                    conf_level=ci,
                )
            rows.append(
                {
                    "line": line.key,
                    "label": line.label,
                    "kind": line.kind,
                    "basis": line.basis,
                    "line_value": line.value,
                    "alpha": alpha,
                    "estimate": res.estimate,
                    "se": res.std_error,
                    "ci_low": res.ci_low,
                    "ci_high": res.ci_high,
                }
            )
    return pd.DataFrame(rows)


def _relative_fgt(
    share: float | None, alpha: int, weight_by_persons: bool
) -> Callable[[pd.DataFrame], float]:
    def stat(df: pd.DataFrame) -> float:
        w = _weights(df, weight_by_persons)
        y = df["income"].to_numpy(dtype=float)
        return measures.fgt(y, measures.relative_line(y, share, w), alpha, w)

    return stat


def decomposition(
    frame: pd.DataFrame, line: PovertyLine, *, weight_by_persons: bool = False
) -> pd.DataFrame:
    """P0 and P1 at ``line`` by ``frame["group"]`` with population shares and each group's
    share of the total headcount (:func:`cases.methods.measures.fgt_by`; contributions sum to 1).

    Columns: ``group``, ``households``, ``pop_share``, ``p0``, ``p1``, ``p0_contribution_share``.

    Raises:
        cases.methods.measures.MeasureInputError: as :func:`cases.methods.measures.fgt_by`.
    """
    weights = "household_size" if weight_by_persons else None
    p0 = measures.fgt_by(frame, "income", line.value, "group", 0, weights)
    p1 = measures.fgt_by(frame, "income", line.value, "group", 1, weights)
    counts = frame.groupby("group").size()
    return pd.DataFrame(
        {
            "group": p0.index.astype(str),
            "households": counts.reindex(p0.index).to_numpy(),
            "pop_share": p0["pop_share"].to_numpy(),
            "p0": p0["fgt"].to_numpy(),
            "p1": p1["fgt"].reindex(p0.index).to_numpy(),
            "p0_contribution_share": p0["contribution_share"].to_numpy(),
        }
    )


@dataclass(frozen=True)
class MPIProfile:
    """Alkire–Foster results of a profile: the indicator specification of the indicator year
    (:func:`cases.methods.measures.exit_standard`), the main result at ``k``, its bootstrap, the
    union-rule headcount, the decomposition by group, and the robustness grid over k and
    weight vectors by group (``robustness``) and by village (``village_robustness``)."""

    spec: measures.IndicatorSpec
    result: measures.MPIResult
    interval: measures.BootstrapResult
    union_headcount: float
    by_group: pd.DataFrame
    robustness: measures.MPIRobustness
    village_robustness: measures.MPIRobustness


#: Cutoffs of the robustness grid besides the page's own k and the spec's union cutoff.
MPI_K_GRID: tuple[float, ...] = (1 / 3, 0.5)


def mpi_k_grid(spec: measures.IndicatorSpec, k: float) -> list[float]:
    """The k values of the robustness grid: the union cutoff of ``spec`` (its smallest
    weight), :data:`MPI_K_GRID` and the page's ``k``, ascending, without near-duplicates."""
    out: list[float] = []
    for value in sorted([spec.union_cutoff, *MPI_K_GRID, float(k)]):
        if not out or value - out[-1] > 1e-6:
            out.append(value)
    return out


def _mpi(
    frame: pd.DataFrame,
    k: float,
    weight_by_persons: bool,
    n_boot: int,
    seed: int,
    year: int | None,
    weights_name: str = "equal_dimensions",
) -> MPIProfile:
    base = measures.exit_standard(year)
    schemes = measures.weight_schemes(base)
    spec = base.reweighted(schemes[weights_name])
    w = _weights(frame, weight_by_persons)
    result = measures.mpi(frame, spec, k, w)
    inference.require_cluster_bootstrap(frame["village_id"], n_boot, seed)
    interval = measures.mpi_ci(frame, spec, k, w, n_boot=n_boot, seed=seed, cluster="village_id")
    union = measures.mpi(frame, spec, spec.union_cutoff, w).H
    by_group = measures.mpi_by(frame, spec, k, "group", w)
    grid = mpi_k_grid(base, k)
    ref = (weights_name, float(k))
    robustness = measures.mpi_robustness(frame, schemes, grid, "group", w, reference=ref)
    villages = measures.mpi_robustness(frame, schemes, grid, "village_id", w, reference=ref)
    return MPIProfile(spec, result, interval, union, by_group, robustness, villages)


def _pct_text(shares: pd.Series) -> list[str]:
    """Shares as percentage text with one decimal ("—" for NaN), for mixed-precision tables."""
    return ["—" if pd.isna(x) else f"{100 * x:.1f}" for x in shares]


def mpi_tables(profile: PovertyProfile) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Display tables of the MPI: per indicator (dimension, weight, uncensored and censored
    headcount %, contribution to M0 %) and per group (H, A, M0, share of M0 %).

    Raises:
        ValueError: the profile has no MPI.
    """
    if profile.mpi is None:
        raise ValueError(f"the {profile.case} profile has no MPI (no indicator columns)")
    spec = profile.mpi.spec
    res = profile.mpi.result
    indicators = pd.DataFrame(
        {
            "Indicator": [n.replace("_", " ") for n in spec],
            "Dimension": [spec.to_frame().loc[n, "dimension"].replace("_", " ") for n in spec],
            "Weight": [spec[n] for n in spec],
            "Deprived (%)": [100 * res.uncensored_headcount[n] for n in spec],
            "Poor and deprived (%)": [100 * res.censored_headcount[n] for n in spec],
            "Contribution to M0 (%)": [100 * res.contribution[n] for n in spec],
        }
    )
    by = profile.mpi.by_group
    groups = pd.DataFrame(
        {
            profile.layout.group_label.capitalize(): by.index.astype(str),
            "Households (%)": _pct_text(by["pop_share"]),
            "H (%)": _pct_text(by["H"]),
            "A": by["A"].to_numpy(),
            "M0": by["M0"].to_numpy(),
            "Share of M0 (%)": _pct_text(by["contribution_share"]),
        }
    )
    return indicators, groups


#: Display labels of the weight vectors of :func:`cases.methods.measures.weight_schemes`.
SCHEME_LABELS: dict[str, str] = {
    "equal_dimensions": "Equal by dimension",
    "equal_indicators": "Equal by indicator",
    "income_half": "Income 1/2, rest equal",
    "income_in_food_clothing": "Income within food and clothing",
}


def mpi_robustness_table(profile: PovertyProfile) -> pd.DataFrame:
    """The robustness grid for display: one row per weight vector and k with H (%), A, M0,
    M0 of each group of the profile, and, for the ranking of villages by M0 against the
    page's specification (its ``mpi_weights`` at its k), the share of village
    pairs that keep their order (%) and Kendall's tau-b
    (:func:`cases.methods.measures.mpi_robustness`).

    Raises:
        ValueError: the profile has no MPI.
    """
    if profile.mpi is None:
        raise ValueError(f"the {profile.case} profile has no MPI (no indicator columns)")
    rob, vil = profile.mpi.robustness, profile.mpi.village_robustness
    rows = []
    for (scheme, k), row in rob.overall.iterrows():
        out = {
            "Weights": SCHEME_LABELS.get(scheme, scheme.replace("_", " ")),
            "k": k,
            "H (%)": 100 * row["H"],
            "A": row["A"],
            "M0": row["M0"],
        }
        for group, value in rob.by_group[(scheme, k)].items():
            out[f"M0, {group}"] = value
        conc = vil.concordance.loc[(scheme, k)]
        out[settings().labels["village_pairs_kept"]] = 100 * conc["share_kept"]
        out["Kendall's tau (villages)"] = conc["kendall_tau"]
        rows.append(out)
    return pd.DataFrame(rows)


def trend_table(
    data: synth.SimulatedData, case: str, *, simulated: bool, weight_by_persons: bool = False
) -> pd.DataFrame | None:
    """P0 (%) by year at the absolute line of each year (where :func:`absolute_line` finds
    one; else missing) and at 50 % of that year's median; ``None`` for single-year data.

    Raises:
        as :func:`profile_frame`.
    """
    years = profile_years(data, case)
    if len(years) < 2:
        return None
    rows = []
    for year in years:
        frame = profile_frame(data, case, year)
        w = _weights(frame, weight_by_persons)
        y = frame["income"].to_numpy(dtype=float)
        line = absolute_line(year, case=case, simulated=simulated)
        rows.append(
            {
                "Year": str(year),
                "Absolute line (yuan)": line.value if line else np.nan,
                "Basis of the line": _BASIS_TEXT[line.basis] if line else "no verified line",
                "P0 at the absolute line (%)": 100 * measures.fgt(y, line.value, 0, w)
                if line
                else np.nan,
                "Median income (yuan)": measures.relative_line(y, 1.0, w),
                "P0 at 50% of the median (%)": 100
                * measures.fgt(y, measures.relative_line(y, 0.5, w), 0, w),
            }
        )
    return pd.DataFrame(rows)


_BASIS_TEXT = {
    "national": "national line (published)",
    "given": "given by the user",
    "simulated_parameter": "simulation parameter (not verified)",
    "relative": "share of the median",
}


# --------------------------------------------------------------------------------------------
# The profile
# --------------------------------------------------------------------------------------------
@dataclass
class PovertyProfile:
    """Everything the poverty-profile page of one case shows (see :func:`poverty_profile`).

    ``numbers`` are the glue values (keys without the ``poverty_`` prefix) and ``facts`` what
    ``text/poverty_profile.md`` needs besides them to choose and fill its sentences.
    """

    case: str
    year: int
    simulated: bool
    data_dir: str
    layout: CaseLayout
    frame: pd.DataFrame
    lines: list[PovertyLine]
    headline: PovertyLine | None
    fgt: pd.DataFrame
    gini: measures.BootstrapResult
    decomposition: pd.DataFrame | None
    mpi: MPIProfile | None
    trend: pd.DataFrame | None
    weight_by_persons: bool
    numbers: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def estimate(self, line: str, alpha: int) -> pd.Series:
        """The ``fgt`` row of ``line`` (e.g. "nat", "rel50") and ``alpha``.

        Raises:
            KeyError: no such row.
        """
        sel = self.fgt[(self.fgt["line"] == line) & (self.fgt["alpha"] == alpha)]
        if len(sel) != 1:
            raise KeyError(f"no FGT estimate for line {line!r}, alpha {alpha!r}")
        return sel.iloc[0]


#: The MPI weights of :func:`poverty_profile` and :func:`build` when none are given.
DEFAULT_MPI_WEIGHTS = "equal_dimensions"


class _Numbers(dict[str, Any]):
    """Glue numbers: Python scalars, finite floats, one value per key."""

    def put(self, key: str, value: Any) -> Any:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"glued number {key!r} is not finite: {value!r}")
        if key in self and self[key] != value:
            raise ValueError(f"glue key {key!r} given two values: {self[key]!r}, {value!r}")
        self[key] = value
        return value


def poverty_profile(
    data: synth.SimulatedData,
    case: str,
    *,
    seed: int,
    year: int = 0,
    poverty_line: float = 0.0,
    weight_by_persons: bool = False,
    n_boot: int = inference.MIN_BOOT,
    mpi_k: float = 1 / 3,
    mpi_weights: str = DEFAULT_MPI_WEIGHTS,
    data_dir: str = "",
) -> PovertyProfile:
    """Compute the poverty profile of ``case`` in ``year`` (0 = the case's default year).

    Steps: :func:`profile_frame`; lines by :func:`absolute_line` and 40/50/60 % of the median;
    :func:`fgt_table`; Gini (:func:`cases.methods.measures.gini`, Lerman–Yitzhaki form) with a
    village
    bootstrap; :func:`decomposition` at the headline line; Alkire–Foster M0 at cutoff ``mpi_k``
    on the exit standard of the indicator year with the weight vector ``mpi_weights`` (a name
    of :func:`cases.methods.measures.weight_schemes`; default equal across dimensions), the
    union-rule
    headcount and the robustness grid (:class:`MPIProfile`) when the indicator columns are
    present; :func:`trend_table`.
    Then the glue numbers and the facts of the text template (``numbers``, ``facts``).

    Raises:
        ParameterError: unknown case or year, bad ``poverty_line``, ``n_boot`` below
            :data:`cases.methods.inference.MIN_BOOT`, fewer than 10 villages in the year (the
            rule of :mod:`cases.methods.inference`; the message names the number), ``mpi_k``
            outside (0, 1] or an unknown ``mpi_weights``.
        DataValidationError: incomplete household rows (see :func:`profile_frame`), or the
            settings file is invalid.
    """
    lay = _layout(case)
    if not 0 < mpi_k <= 1:
        raise ParameterError(f"mpi_k must be in (0, 1]; got {mpi_k!r}")
    known = list(measures.weight_schemes(measures.exit_standard(lay.indicator_year)))
    if mpi_weights not in known:
        raise ParameterError(f"mpi_weights must be one of {known}; got {mpi_weights!r}")
    simulated = bool(data.meta.get("simulated", True))
    year = year or lay.default_year
    frame = profile_frame(data, case, year)
    try:
        inference.require_cluster_bootstrap(frame["village_id"], n_boot, seed)
    except ParameterError as exc:
        raise ParameterError(
            f"poverty profile of {case}, {year} (bootstrap_reps = {n_boot!r}, villages "
            f"resampled): {exc}"
        ) from exc
    w = _weights(frame, weight_by_persons)
    income = frame["income"].to_numpy(dtype=float)
    absolute = absolute_line(year, case=case, simulated=simulated, poverty_line=poverty_line)
    relative = _relative_lines(income, w)
    lines = ([absolute] if absolute else []) + relative
    headline = absolute
    own_share = None
    if headline is None and simulated:
        own = synth.load_params(case)["parameters"].get("relative_line_share")
        if own is not None:
            own_share = float(own["value"])
            headline = next((r for r in relative if math.isclose(r.share, own_share)), None)
    if headline is None:
        # No absolute line and no line parameter: groups are compared at half the median.
        headline = next(r for r in relative if math.isclose(r.share, 0.5))
    fgt = fgt_table(frame, lines, weight_by_persons=weight_by_persons, n_boot=n_boot, seed=seed)
    gini = inference.cluster_bootstrap(
        lambda df: measures.gini(df["income"], _weights(df, weight_by_persons)),
        frame,
        "village_id",
        n_boot=n_boot,
        seed=seed,
    )
    dec = decomposition(frame, headline, weight_by_persons=weight_by_persons) if headline else None
    has_mpi = all(c in frame.columns for c in INDICATORS)
    mpi = (
        _mpi(frame, mpi_k, weight_by_persons, n_boot, seed, lay.indicator_year, mpi_weights)
        if has_mpi
        else None
    )
    trend = trend_table(data, case, simulated=simulated, weight_by_persons=weight_by_persons)
    profile = PovertyProfile(
        case=case,
        year=year,
        simulated=simulated,
        data_dir=data_dir,
        layout=lay,
        frame=frame,
        lines=lines,
        headline=headline,
        fgt=fgt,
        gini=gini,
        decomposition=dec,
        mpi=mpi,
        trend=trend,
        weight_by_persons=weight_by_persons,
    )
    _numbers_and_facts(profile, own_share, mpi_k, data)
    return profile


def build(
    data: synth.SimulatedData, case: str, *, source: str | None = None, **options: Any
) -> Page:
    """The poverty-profile page of ``case``: ``options`` are the keyword arguments of
    :func:`poverty_profile` (``seed`` required); ``source`` stamps the figure.

    ``numbers`` are the glue values (floats with tolerance :data:`FLOAT_TOLERANCE`; NaN under
    :data:`MPI_NUMBER_KEYS` when there is no MPI), ``facts`` those of the text template;
    ``tables``: ``fgt``, and where they exist ``trend``, ``decomposition``,
    ``mpi_indicators``, ``mpi_groups`` and ``mpi_robustness``; ``figures``: ``income``
    (stamped with ``source``). The thesis comparison table needs the rendered passages:
    :func:`claims_table`.

    Raises:
        as :func:`poverty_profile`.
    """
    profile = poverty_profile(data, case, **options)
    mpi_weights = options.get("mpi_weights", DEFAULT_MPI_WEIGHTS)
    numbers = dict(profile.numbers)
    tolerances = {k: FLOAT_TOLERANCE for k, v in numbers.items() if isinstance(v, float)}
    if profile.mpi is None:  # the notebook's own Markdown names these numbers
        numbers.update(dict.fromkeys(MPI_NUMBER_KEYS, float("nan")))
    tables: dict[str, Any] = {"fgt": fgt_display(profile)}
    if profile.trend is not None:
        tables["trend"] = profile.trend
    shown = decomposition_display(profile)
    if shown is not None:
        tables["decomposition"] = shown
    if profile.mpi is not None:
        tables["mpi_indicators"], tables["mpi_groups"] = mpi_tables(profile)
        tables["mpi_robustness"] = mpi_robustness_table(profile)
    facts = {
        **profile.facts,
        "mpi_weights": mpi_weights,
        "scheme_label": SCHEME_LABELS[mpi_weights],
    }
    figures = {"income": income_figure(profile, source=source)}
    return Page(numbers, facts, tables, figures, tolerances)


def _standard_2010() -> float:
    """The 2010 rural standard (yuan per person per year at 2010 prices), from data/raw."""
    national = public_data.load_table(_NATIONAL_TABLE)
    row = national[(national["year"] == 2010) & (national["poverty_line_status"] == "published")]
    if len(row) != 1:
        raise DataValidationError(_NATIONAL_TABLE, ["no published 2010 line (the 2010 standard)"])
    return float(row["poverty_line_yuan"].iloc[0])


def _last_line_year() -> int:
    """The latest year with a published national line in data/raw."""
    national = public_data.load_table(_NATIONAL_TABLE)
    return int(national.loc[national["poverty_line_status"] == "published", "year"].max())


def _interval(num: _Numbers, key: str, row: pd.Series) -> dict[str, float]:
    """Estimate and 95 % bounds of an FGT row, glued as ``key``, ``key_low``, ``key_high``."""
    return {
        "estimate": num.put(key, float(row["estimate"])),
        "low": num.put(key + "_low", float(row["ci_low"])),
        "high": num.put(key + "_high", float(row["ci_high"])),
    }


def _thesis_items(case: str, items: tuple[ThesisItem, ...]) -> list[str]:
    """The descriptions of ``items`` in the case registry (first match of each)."""
    entry = registry.load_case(case)
    out = []
    for item in items:
        found = [
            x.description
            for x in getattr(entry, item.section)
            if (item.code is None or x.code == item.code)
            and (item.contains is None or item.contains.lower() in x.description.lower())
        ]
        if not found:
            raise DataValidationError(
                str(SETTINGS_PATH), [f"text.{case}.thesis_items: no match for {item!r}"]
            )
        out.append(found[0])
    return out


def _numbers_and_facts(
    prof: PovertyProfile, own_share: float | None, mpi_k: float, data: Any
) -> None:
    """Fill ``prof.numbers`` (glue values) and ``prof.facts`` (for the text template).

    Which numbers exist depends on the case as the text needs them: the calibration numbers
    only for simulated data, the 2010 standard only at a verified national line, and so on.
    """
    num = _Numbers()
    text = settings().text[prof.case]
    frame = prof.frame
    num.put("year", prof.year)

    # Every cell of the FGT table (estimate, SE, bounds) for the results manifest.
    for _, row in prof.fgt.iterrows():
        key = f"{row['line']}_p{row['alpha']}"
        num.put(f"{row['line']}_line", float(row["line_value"]))
        num.put(key, float(row["estimate"]))
        num.put(key + "_se", float(row["se"]))
        num.put(key + "_low", float(row["ci_low"]))
        num.put(key + "_high", float(row["ci_high"]))

    facts: dict[str, Any] = {
        "case": prof.case,
        "short_title": registry.load_case(prof.case).short_title,
        # An author's own data name their place in metadata.json; never the thesis's place.
        "place": None if prof.simulated else (getattr(data, "meta", {}) or {}).get("place"),
        "simulated": prof.simulated,
        "data_dir": prof.data_dir,
        "weight_by_persons": prof.weight_by_persons,
        "sample": text.sample,
        "relative_note": text.relative_note,
        "group_label": prof.layout.group_label,
        "n_boot": int(prof.gini.n_boot),
    }
    num.put("n_households", len(frame))
    num.put("n_villages", int(frame["village_id"].nunique()))

    # How the simulated income distribution was set (data/synth/<case>.yaml).
    facts["calibration"] = text.calibration if prof.simulated else None
    if prof.simulated:
        par = {k: v["value"] for k, v in synth.load_params(prof.case)["parameters"].items()}
        for name, parameter in text.calibration_numbers.items():
            num.put(name, float(par[parameter]))
        if text.calibration_sample_share is not None:
            share = float(data["households"][text.calibration_sample_share].mean())
            num.put("registered_share", share)

    # Income distribution and Gini.
    y = frame["income"].to_numpy(dtype=float)
    wts = _weights(frame, prof.weight_by_persons)
    num.put("median_income", measures.relative_line(y, 1.0, wts))
    num.put("mean_income", float(np.average(y, weights=wts)))
    num.put("gini", prof.gini.estimate)
    num.put("gini_se", prof.gini.std_error)
    num.put("gini_low", prof.gini.ci_low)
    num.put("gini_high", prof.gini.ci_high)

    # Absolute line.
    abs_line = next((ln for ln in prof.lines if ln.kind == "absolute"), None)
    facts["absolute_basis"] = abs_line.basis if abs_line is not None else None
    facts["after_2020"] = prof.year > 2020
    facts["own_relative_line"] = own_share is not None and prof.headline is not None
    if abs_line is not None:
        num.put("nat_line", abs_line.value)
        if abs_line.basis == "national":
            num.put("standard_2010", _standard_2010())
    else:
        if prof.year > 2020:
            num.put("last_line_year", _last_line_year())
        if facts["own_relative_line"]:
            num.put("own_share", own_share)

    # Relative lines.
    facts["relative"] = [
        {
            "share": num.put(f"{ln.key}_share", ln.share),
            "line": num.put(f"{ln.key}_line", ln.value),
            **_interval(num, f"{ln.key}_p0", prof.estimate(ln.key, 0)),
        }
        for ln in prof.lines
        if ln.kind == "relative"
    ]

    # Decomposition at the headline line.
    head = prof.headline
    facts["headline_kind"] = head.kind if head is not None else None
    facts["headline_basis"] = head.basis if head is not None else None
    facts["headline_share"] = head.share if head is not None else None
    facts["has_decomposition"] = prof.decomposition is not None and head is not None
    if facts["has_decomposition"]:
        dec = prof.decomposition
        top = dec.sort_values("p0_contribution_share", ascending=False).iloc[0]
        lo = dec.sort_values("p0", ascending=True).iloc[0]
        hi = dec.sort_values("p0", ascending=False).iloc[0]
        num.put("group_p0_min", float(lo["p0"]))
        num.put("group_p0_max", float(hi["p0"]))
        num.put("top_group_pop_share", float(top["pop_share"]))
        num.put("top_group_contribution", float(top["p0_contribution_share"]))
        facts.update(low_group=lo["group"], high_group=hi["group"], top_group=top["group"])
        facts["groups"] = [
            {"group": g, "p0": float(v)} for g, v in zip(dec["group"], dec["p0"], strict=True)
        ]
    else:
        facts["groups"] = []

    _mpi_numbers_and_facts(prof, num, facts, mpi_k)

    # Trend over the years of the data.
    facts["has_trend"] = prof.trend is not None
    facts["years_without_line"] = []
    if prof.trend is not None:
        missing = prof.trend.loc[prof.trend["Absolute line (yuan)"].isna(), "Year"].tolist()
        years = sorted(int(y) for y in prof.trend["Year"])
        num.put("first_year", years[0])
        num.put("last_year", years[-1])
        facts["n_years"] = len(years)
        facts["years_without_line"] = [int(y) for y in missing]
        if missing:
            # Recorded in the results manifest as one string, as the page has always glued it.
            shown = [str(y) for y in missing]
            joined = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
            num.put("years_without_line", joined)

    # Tables and columns read from a data_dir folder (cases.simulate.synth.TABLE_SCHEMAS).
    lay = prof.layout
    schema = synth.TABLE_SCHEMAS[prof.case]
    tables = dict.fromkeys([lay.income_table, lay.household_table])
    used = {"household_id", "village_id", "household_size", "year", *lay.group_columns}
    used |= {lay.income_column, *lay.wide_income.values(), *lay.village_columns()}
    if lay.village_columns():
        tables["villages"] = None
    facts["own_tables"] = [
        {
            "name": t,
            "columns": [{"column": c, "unit": u} for c, _k, u, _d in schema[t] if c in used],
        }
        for t in tables
    ]
    facts["indicator_columns"] = list(INDICATORS)
    facts["indicator_table"] = lay.indicator_table
    facts["indicator_year"] = lay.indicator_year

    # The thesis comparison table.
    facts["claims"] = text.claims
    facts["thesis"] = _thesis_items(prof.case, text.thesis_items)
    head_row = prof.estimate(head.key, 0) if head is not None else None
    facts["headline_p0"] = float(head_row["estimate"]) if head_row is not None else None

    prof.numbers = dict(num)
    prof.facts = facts


def _mpi_numbers_and_facts(
    prof: PovertyProfile, num: _Numbers, facts: dict[str, Any], k: float
) -> None:
    """Numbers and facts of the multidimensional section (nothing but ``has_mpi`` and the
    missing columns without an MPI)."""
    facts["has_mpi"] = prof.mpi is not None
    if prof.mpi is None:
        facts["missing_indicators"] = [c for c in INDICATORS if c not in prof.frame.columns]
        facts["mpi_groups"] = []
        return
    res, ci = prof.mpi.result, prof.mpi.interval
    contrib = res.contribution.sort_values(ascending=False, kind="stable")
    spec = prof.mpi.spec
    dims = {d: sum(res.contribution[n] for n in names) for d, names in spec.dimensions.items()}
    top_dims = [d for d, v in dims.items() if round(v, 4) == round(max(dims.values()), 4)]
    # Indicators whose contributions tie with the largest (to 4 decimals) are named together.
    facts["top_indicators"] = [
        n for n, v in contrib.items() if round(v, 4) == round(contrib.iloc[0], 4)
    ]
    facts["top_dimensions"] = top_dims
    num.put("mpi_top_contribution", float(contrib.iloc[0]))
    num.put("mpi_top_dimension_contribution", float(dims[top_dims[0]]))
    facts["below_k"] = [n for n in spec if spec[n] < k]
    _mpi_numbers(prof, num)
    num.put("mpi_k", float(k))
    num.put("mpi_h", float(res.H))
    num.put("mpi_a", float(res.A))
    num.put("mpi_m0", float(res.M0))
    num.put("mpi_m0_se", ci.std_error)
    num.put("mpi_m0_low", ci.ci_low)
    num.put("mpi_m0_high", ci.ci_high)
    num.put("mpi_h_union", prof.mpi.union_headcount)
    param = prof.layout.indicator_line_parameter
    facts["mpi_line_parameter"] = param if prof.simulated and param else None
    if facts["mpi_line_parameter"]:
        entry = synth.load_params(prof.case)["parameters"][param]
        num.put("mpi_income_line", float(entry["value"]))
        facts["mpi_line_sourced"] = "source" in entry
        facts["mpi_line_meaning"] = entry["meaning"].split(";")[0]
    recorded = prof.layout.indicator_year
    facts["indicators_other_year"] = recorded is not None and recorded != prof.year
    if facts["indicators_other_year"]:
        num.put("indicator_year", recorded)
    by = prof.mpi.by_group
    facts["mpi_groups"] = [
        {"group": g, "m0": float(v)} for g, v in zip(by.index.astype(str), by["M0"], strict=True)
    ]
    facts["mpi_k_value"] = float(res.k)


#: Glue keys (without ``poverty_``) of :func:`_mpi_numbers`; the notebook glues NaN under
#: them when a profile has no MPI, so its Markdown still resolves.
MPI_NUMBER_KEYS: tuple[str, ...] = (
    "mpi_indicator_year",
    "mpi_n_dimensions",
    "mpi_dimension_weight",
    "mpi_water_first_year",
    "mpi_grid_n_specs",
    "mpi_grid_m0_min",
    "mpi_grid_m0_max",
    "mpi_grid_h_min",
    "mpi_grid_h_max",
    "mpi_n_villages",
    "mpi_village_pairs",
    "mpi_village_share_kept_min",
    "mpi_village_tau_min",
    "mpi_village_robust_share",
)


def _mpi_numbers(prof: PovertyProfile, num: _Numbers) -> None:
    """Glue numbers of the MPI specification and its robustness grid (for the notebook's
    Markdown): dimensions and their weight in the indicator year, the range of M0 over the
    grid, and how village rankings hold up against the page's specification."""
    if prof.mpi is None:
        return
    spec = prof.mpi.spec
    year = prof.layout.indicator_year
    num.put("mpi_indicator_year", int(year) if year is not None else prof.year)
    num.put("mpi_n_dimensions", len(spec.dimensions))
    num.put("mpi_dimension_weight", 1.0 / len(spec.dimensions))
    num.put("mpi_water_first_year", measures.WATER_CHECK_FIRST_YEAR)
    rob, vil = prof.mpi.robustness, prof.mpi.village_robustness
    num.put("mpi_grid_n_specs", len(rob.overall))
    num.put("mpi_grid_m0_min", float(rob.overall["M0"].min()))
    num.put("mpi_grid_m0_max", float(rob.overall["M0"].max()))
    num.put("mpi_grid_h_min", float(rob.overall["H"].min()))
    num.put("mpi_grid_h_max", float(rob.overall["H"].max()))
    conc = vil.concordance
    num.put("mpi_n_villages", len(vil.by_group))
    num.put("mpi_village_pairs", int(conc["pairs"].iloc[0]))
    num.put("mpi_village_share_kept_min", float(conc["share_kept"].min()))
    num.put("mpi_village_tau_min", float(conc["kendall_tau"].min()))
    num.put("mpi_village_robust_share", float(vil.robust_share))


# --------------------------------------------------------------------------------------------
# Display tables and figure
# --------------------------------------------------------------------------------------------
def fgt_display(profile: PovertyProfile) -> pd.DataFrame:
    """The FGT table for display: one row per line, "estimate (low to high)" per alpha; P0,
    P1 and P2 on one scale, all in percent (``100 x P_alpha``)."""
    rows = []
    for key in dict.fromkeys(profile.fgt["line"]):
        sub = profile.fgt[profile.fgt["line"] == key].set_index("alpha")
        first = sub.iloc[0]
        row = {
            "Line": first["label"],
            "Basis": _BASIS_TEXT[first["basis"]],
            "Yuan per person per year": first["line_value"],
        }
        for alpha, name, scale, fmt in (
            (0, "P0 (%)", 100, ".1f"),
            (1, "P1 (%)", 100, ".2f"),
            (2, "P2 (%)", 100, ".2f"),
        ):
            r = sub.loc[alpha]
            row[name] = (
                f"{format(scale * r['estimate'], fmt)} ({format(scale * r['ci_low'], fmt)} to "
                f"{format(scale * r['ci_high'], fmt)})"
            )
        rows.append(row)
    return pd.DataFrame(rows)


def decomposition_display(profile: PovertyProfile) -> pd.DataFrame | None:
    """The decomposition for display (percentages), or ``None`` without a headline line."""
    dec = profile.decomposition
    if dec is None:
        return None
    return pd.DataFrame(
        {
            profile.layout.group_label.capitalize(): dec["group"],
            "Households": dec["households"],
            "Share of households (%)"
            if not profile.weight_by_persons
            else "Share of persons (%)": 100 * dec["pop_share"],
            "P0 (%)": 100 * dec["p0"],
            "P1 (% of the line)": 100 * dec["p1"],
            "Share of the poor (%)": 100 * dec["p0_contribution_share"],
        }
    )


def income_figure(profile: PovertyProfile, *, source: str | None = None) -> mpl.figure.Figure:
    """Histogram of per-capita income on a log axis, by group, with the lines marked
    (absolute: solid; relative: dashed) and labelled above the bars without collisions
    (:func:`cases.present.layout.label_lines`); the legend outside the axes; stamped with its
    provenance."""
    frame = profile.frame
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 4.2))
    positive = frame[frame["income"] > 0]
    sns.histplot(
        data=positive,
        x="income",
        hue="group",
        log_scale=True,
        element="step",
        stat="percent",
        common_norm=True,
        multiple="stack",
        bins=40,
        ax=ax,
    )
    legend = ax.get_legend()
    if legend is not None:
        legend.set_title(profile.layout.group_label.capitalize())
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    # Absolute lines solid, relative lines dashed; labels in rows above the bars.
    positions, labels, styles = [], [], []
    for line in profile.lines:
        label = "national line" if line.basis == "national" else line.label.replace("the ", "")
        if line.kind == "absolute" and line.basis != "national":
            label = "absolute line"
        positions.append(line.value)
        labels.append(label)
        dash = "-" if line.kind == "absolute" else "--"
        styles.append({"colors": "#222222", "linestyles": dash, "linewidth": 1.2})
    layout.label_lines(ax, positions, labels, styles=styles)
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_xlabel(settings().labels["income_axis"])
    ax.set_ylabel(f"Households (% of all, {profile.year})")
    ax.set_title(f"Income distribution, {profile.year}", loc="left")
    report.label_figure(fig, simulated=profile.simulated, source=source)
    return fig


# --------------------------------------------------------------------------------------------
# Thesis comparison table (its cells are passages of the text template)
# --------------------------------------------------------------------------------------------
def claims_table(passages: Mapping[str, str]) -> pd.DataFrame:
    """The table "what the thesis reported | what this analysis shows | what would be needed
    to test it with field data" from the rendered passages ``claim<i>_reported``,
    ``claim<i>_shows`` and ``claim<i>_needed`` (i = 1..:data:`CLAIM_ROWS`); a row whose
    ``reported`` passage is empty does not apply to the case. A cell is one line: runs of
    whitespace (the template's line breaks) become one space. Column labels from
    :func:`settings`.

    Raises:
        KeyError: a passage is missing from ``passages``.
    """
    labels = settings().labels
    columns = ("reported", "shows", "needed")
    rows = [
        tuple(" ".join(passages[f"claim{i}_{col}"].split()) for col in columns)
        for i in range(1, CLAIM_ROWS + 1)
        if passages[f"claim{i}_reported"]
    ]
    return pd.DataFrame(rows, columns=[labels[f"claims_{col}"] for col in columns])


# --------------------------------------------------------------------------------------------
# "How the data were simulated"
# --------------------------------------------------------------------------------------------
def _fmt_value(value: Any) -> str:
    """A planted value as text: mappings as ``key: value`` pairs (underscores in keys read as
    spaces: ``self efficacy``), lists comma-separated."""
    if isinstance(value, dict):
        return "; ".join(f"{str(k).replace('_', ' ')}: {_fmt_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_fmt_value(v) for v in value)
    return str(value)


#: A file of the data package named in a calibration text (``national_rural_poverty.csv``).
_PACKAGE_FILE = re.compile(r"\b([a-z][a-z0-9_]*)\.csv\b")
#: A program identifier in a calibration text (``fact_id``, ``drinking_water_unsafe``).
_IDENTIFIER = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def reader_text(text: str, titles: Mapping[str, str]) -> str:
    """A calibration text of ``data/synth/<case>.yaml`` as the reader's page shows it: a file
    of the data package (``<name>.csv``) becomes its table's title in quotation marks (``titles``:
    resource name -> title, from ``data/datapackage.json``), and any other identifier its words
    (``fact_id 46`` -> ``fact id 46``). The text is otherwise unchanged.

    Raises:
        DataValidationError: a ``.csv`` name that the data package does not list.
    """
    unknown = sorted({m for m in _PACKAGE_FILE.findall(text) if m not in titles})
    if unknown:
        raise DataValidationError(
            "data/synth calibration text",
            [f"{name}.csv is not a table of the data package" for name in unknown],
        )
    text = _PACKAGE_FILE.sub(lambda m: f"“{titles[m.group(1)]}”", text)
    return _IDENTIFIER.sub(lambda m: m.group().replace("_", " "), text)


def calibration_table(case: str, datapackage_path: Any = public_data.DATAPACKAGE) -> pd.DataFrame:
    """The reader's calibration table of ``case``: one row per parameter of
    ``data/synth/<case>.yaml`` (in file order) with what it sets, its value (mappings as
    ``key: value`` pairs), unit, basis (*published*, *derived from published figures*,
    *borrowed* with what the figure describes, or *assumed*), what a published figure measures
    (— otherwise) and its source or the reason for the assumption. Texts pass through
    :func:`reader_text`, so no file name or identifier reaches the page; the parameters' names
    and the generator's equations are documented for authors (:mod:`cases.pages.guide`).

    Raises:
        as :func:`cases.simulate.synth.load_params` and :func:`reader_text`.
    """
    import json

    descriptor = json.loads(Path(datapackage_path).read_text(encoding="utf-8"))
    titles = {r["name"]: r.get("title", r["name"]) for r in descriptor["resources"]}
    rows = []
    for ent in synth.load_params(case)["parameters"].values():
        sourced = "source" in ent
        basis_text = str(ent["source"] if sourced else ent["assumed"])
        if not sourced:
            basis = "assumed"
        elif ent.get("borrowed"):
            basis = f"borrowed: {ent['borrowed']}"
        elif basis_text.startswith("derived"):
            basis = "derived from published figures"
        else:
            basis = "published"
        rows.append(
            {
                "What it sets": ent["meaning"],
                "Value": _fmt_value(ent["value"]),
                "Unit": ent["unit"],
                "Basis": basis,
                "What the published figure measures": ent.get("measures") or "—",
                "Source, or reason for the assumption": basis_text,
            }
        )
    table = pd.DataFrame(rows)
    for column in table.columns:
        table[column] = [reader_text(" ".join(str(v).split()), titles) for v in table[column]]
    return table


def table_sizes(data: synth.SimulatedData) -> pd.DataFrame:
    """Rows and columns of each table of ``data``."""
    return pd.DataFrame(
        [
            {"Table": name, "Rows": len(df), "Columns": df.shape[1]}
            for name, df in data.tables.items()
        ]
    )


def simulation_page(
    data: synth.SimulatedData, case: str, *, seed: int, n: int, data_dir: str = ""
) -> Page:
    """The simulation page of ``case`` for the data the analyses of this run use.

    Simulated data: the sizes of the generated tables, the calibration and the planted effects
    of ``data/synth/<case>.yaml`` (each effect stated as a hypothesis); the facts of
    :func:`cases.simulate.synth.description` are passed on. The researcher's own data
    (``data_dir``): their table sizes; the calibration and planted effects are those the
    simulated version would use.
    ``numbers``: ``n_tables``, ``total_rows``, ``n_planted``; the case's one world
    (:func:`cases.simulate.synth.world`, shared by every page of the chapter) as
    ``world_seed``, ``world_villages``, ``world_households_per_village``,
    ``world_households``, ``world_first_year`` and ``world_last_year``; and, for simulated
    data, ``seed`` and ``n`` as generated (``n`` of 0 means the world: the generator's
    ``meta`` gives the drawn size). Facts: ``is_world`` (this run draws exactly the world),
    ``world_basis`` (why that size) and ``world_unit``. ``tables``: ``sizes``, ``planted`` and
    ``calibration`` (:func:`calibration_table`); words in ``text/simulation.md``. The
    generator's equations and parameter names are not on this page: the authors' guide
    documents them (:func:`cases.pages.guide.generators`).

    Raises:
        as :func:`cases.simulate.synth.load_params`.
    """
    simulated = bool(data.meta.get("simulated", True))
    params = synth.load_params(case)
    world = synth.world(case)
    sizes = table_sizes(data)
    planted = pd.DataFrame(
        [
            {
                "Effect": name.replace("_", " "),
                "Planted value": _fmt_value(ent["value"]),
                "Unit": ent["unit"],
                "Thesis claim it encodes (hypothesis)": ent["claim"],
            }
            for name, ent in params["planted_effects"].items()
        ]
    )
    numbers: dict[str, Any] = {"n_tables": len(sizes)}
    numbers.update(
        world_seed=world.seed,
        world_villages=world.villages,
        world_households_per_village=world.households_per_village,
        world_households=world.households,
        world_first_year=world.first_year,
        world_last_year=world.last_year,
    )
    if simulated:
        numbers.update(
            seed=int(data.meta.get("seed", seed)), n=int(data.meta.get("n", n or world.households))
        )
    numbers["total_rows"] = int(sizes["Rows"].sum())
    numbers["n_planted"] = len(planted)
    facts = {
        "case": case,
        "simulated": simulated,
        "data_dir": data_dir,
        "title": params["title"],
        "is_world": simulated
        and numbers["seed"] == world.seed
        and numbers["n"] == world.households,
        "world_basis": world.basis,
        "world_unit": world.unit,
        **synth.description(case),
    }
    tables = {"sizes": sizes, "planted": planted, "calibration": calibration_table(case)}
    return Page(numbers, facts, tables)
