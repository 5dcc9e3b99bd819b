"""Poverty profile of one case, and the "How the data were simulated" page.

Two templates use this module. ``notebooks/poverty_profile.ipynb`` (one page per case) shows
the income distribution, Foster–Greer–Thorbecke P0/P1/P2 at the national line of the year,
relative poverty at 40/50/60 % of the median, the Gini coefficient, the Alkire–Foster
multidimensional index on the "two assurances, three guarantees" indicators where the data
have them, a decomposition by village group or household type, and seeded (village-clustered)
bootstrap intervals for every estimate. ``notebooks/simulation.ipynb`` renders
:func:`cases.simulate.synth.describe` with the sizes of the generated tables and the planted
effects.

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
- **Intervals**: percentile bootstrap (:func:`cases.methods.measures.fgt_ci`,
  :func:`cases.methods.measures.mpi_ci`,
  :func:`cases.methods.measures.bootstrap`) resampling villages with replacement, all from one seed.
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

References: Foster, Greer and Thorbecke (1984), Econometrica 52(3); Alkire and Foster (2011),
Journal of Public Economics 95(7-8); Haughton and Khandker (2009), Handbook on Poverty and
Inequality, World Bank; Efron and Tibshirani (1993), An Introduction to the Bootstrap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from cases.core.errors import DataValidationError, ParameterError
from cases.data import public_data, registry
from cases.methods import measures
from cases.present import report
from cases.simulate import synth

__all__ = [
    "ALPHAS",
    "LAYOUTS",
    "MPI_K_GRID",
    "MPI_NUMBER_KEYS",
    "RELATIVE_SHARES",
    "SCHEME_LABELS",
    "CaseLayout",
    "MPIProfile",
    "PovertyLine",
    "PovertyProfile",
    "SimulationPage",
    "absolute_line",
    "comparison_table",
    "decomposition",
    "decomposition_display",
    "fgt_display",
    "fgt_table",
    "figure_caption",
    "income_figure",
    "mpi_k_grid",
    "mpi_robustness_table",
    "mpi_tables",
    "own_data_markdown",
    "poverty_profile",
    "profile_frame",
    "profile_years",
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
_NATIONAL_TABLE = "national_rural_poverty"


# --------------------------------------------------------------------------------------------
# Case layouts: which table and columns give a household x year income frame
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseLayout:
    """Where a case's tables hold the profile's inputs.

    ``income_table`` holds ``income_column`` (long by ``year_column``) or one income column per
    year (``wide_income``: year -> column); ``household_table`` holds ``household_size``,
    ``village_id`` and the grouping column; ``group_from`` builds the subgroup label of each
    household (a village group or a household type) from the merged frame.
    ``indicator_table`` holds the six indicator columns (recorded in ``indicator_year``), one
    row per household; it may be the household table itself. ``indicator_line_parameter``
    names the generator parameter (``data/synth/<case>.yaml``) of the line behind
    ``income_below_line`` in simulated data.
    """

    case: str
    income_table: str
    household_table: str
    default_year: int
    group_label: str
    group_from: Callable[[pd.DataFrame, Any], pd.Series]
    group_columns: tuple[str, ...]
    income_column: str = "income_per_capita"
    year_column: str | None = "year"
    wide_income: dict[int, str] = field(default_factory=dict)
    fixed_years: tuple[int, ...] = ()
    indicator_table: str = "households"
    indicator_year: int | None = None
    indicator_line_parameter: str | None = None


def _county_group(frame: pd.DataFrame, data: Any) -> pd.Series:
    villages = data["villages"].set_index("village_id")["county_name"]
    return frame["village_id"].map(villages)


def _size_group(frame: pd.DataFrame, data: Any) -> pd.Series:
    size = frame["household_size"]
    return pd.Series(
        np.where(size <= 1, "1 person", np.where(size == 2, "2 persons", "3 or more persons")),
        index=frame.index,
    )


def _flag_group(column: str, yes: str, no: str) -> Callable[[pd.DataFrame, Any], pd.Series]:
    def group(frame: pd.DataFrame, data: Any) -> pd.Series:
        return pd.Series(np.where(frame[column] == 1, yes, no), index=frame.index)

    return group


def _poor_village_group(frame: pd.DataFrame, data: Any) -> pd.Series:
    poor = data["villages"].set_index("village_id")["poor_village"]
    flag = frame["village_id"].map(poor)
    return pd.Series(np.where(flag == 1, "poor village", "other village"), index=frame.index)


LAYOUTS: dict[str, CaseLayout] = {
    "liupanshui": CaseLayout(
        case="liupanshui",
        income_table="panel",
        household_table="panel",
        default_year=2014,
        group_label="county-level unit",
        group_from=_county_group,
        group_columns=(),
        indicator_year=2014,
        indicator_line_parameter="poverty_line_2014",
    ),
    "shandong_a_town": CaseLayout(
        case="shandong_a_town",
        income_table="households",
        household_table="households",
        default_year=2016,
        group_label="household size",
        group_from=_size_group,
        group_columns=(),
        year_column=None,
        fixed_years=(2016,),
        indicator_year=2016,
        indicator_line_parameter="poverty_line_2016",
    ),
    "w_town": CaseLayout(
        case="w_town",
        income_table="incomes",
        household_table="households",
        default_year=2021,
        group_label="registration before 2020",
        group_from=_flag_group(
            "formerly_registered_poor", "formerly registered poor", "never registered"
        ),
        group_columns=("formerly_registered_poor",),
        indicator_year=2021,
        indicator_line_parameter="monitoring_income_line_2021",
    ),
    "h_county": CaseLayout(
        case="h_county",
        income_table="panel",
        household_table="households",
        default_year=2016,
        group_label="registration in 2016",
        group_from=_flag_group("registered_poor", "registered poor", "not registered"),
        group_columns=("registered_poor",),
        indicator_year=2016,
        indicator_line_parameter="poverty_line_2016",
    ),
    "pingliang": CaseLayout(
        case="pingliang",
        income_table="households",
        household_table="households",
        default_year=2014,
        group_label="village type",
        group_from=_poor_village_group,
        group_columns=(),
        year_column=None,
        wide_income={2014: "income_2014", 2019: "income_2019"},
        indicator_year=2014,
        indicator_line_parameter="poverty_line_2014",
    ),
}


def _layout(case: str) -> CaseLayout:
    if case not in LAYOUTS:
        raise ParameterError(
            f"case {case!r} has no poverty-profile layout; known: {sorted(LAYOUTS)}"
        )
    return LAYOUTS[case]


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
    group or household type, see :data:`LAYOUTS`) and, where the case's indicator table has
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
    n_boot: int = 199,
    seed: int,
    ci: float = 0.95,
) -> pd.DataFrame:
    """FGT P_alpha (alpha = 0, 1, 2) at each line, with bootstrap SE and percentile interval.

    ``P_alpha = sum_i w_i ((z - y_i)/z)^alpha 1[y_i < z] / sum_i w_i`` (Foster, Greer and
    Thorbecke 1984) on ``frame["income"]`` (yuan per person per year). Absolute lines are fixed
    and bootstrapped with :func:`cases.methods.measures.fgt_ci`; relative lines are recomputed as
    ``share x median`` inside each replicate (:func:`cases.methods.measures.bootstrap`). Villages
    are
    the resampling units. Returns one row per line and alpha: ``line``, ``label``, ``kind``,
    ``basis``, ``line_value``, ``alpha``, ``estimate``, ``se``, ``ci_low``, ``ci_high``
    (shares in [0, 1]).

    Raises:
        cases.methods.measures.MeasureInputError: invalid incomes, weights or bootstrap settings.
    """
    w = _weights(frame, weight_by_persons)
    income = frame["income"].to_numpy(dtype=float)
    cluster = frame["village_id"].to_numpy()
    rows = []
    for line in lines:
        for alpha in ALPHAS:
            if line.kind == "absolute":
                res = measures.fgt_ci(
                    income, line.value, alpha, w, n_boot=n_boot, seed=seed, ci=ci, cluster=cluster
                )
            else:
                res = measures.bootstrap(
                    _relative_fgt(line.share, alpha, weight_by_persons),
                    frame,
                    n_boot=n_boot,
                    seed=seed,
                    ci=ci,
                    cluster="village_id",
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
        out["Village pairs in the same order (%)"] = 100 * conc["share_kept"]
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

    ``numbers`` are the glue values (keys without the ``poverty_`` prefix) and ``markdown``
    the case-specific prose whose numbers are ``{glue:text}`poverty_<key>``` roles.
    """

    case: str
    year: int
    simulated: bool
    data_label: str
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
    markdown: dict[str, str] = field(default_factory=dict)

    def estimate(self, line: str, alpha: int) -> pd.Series:
        """The ``fgt`` row of ``line`` (e.g. "nat", "rel50") and ``alpha``.

        Raises:
            KeyError: no such row.
        """
        sel = self.fgt[(self.fgt["line"] == line) & (self.fgt["alpha"] == alpha)]
        if len(sel) != 1:
            raise KeyError(f"no FGT estimate for line {line!r}, alpha {alpha!r}")
        return sel.iloc[0]


class _Prose:
    """Markdown whose numbers are ``{glue:text}`` roles; records every number once."""

    def __init__(self, prefix: str = "poverty_") -> None:
        self.prefix = prefix
        self.numbers: dict[str, Any] = {}

    def num(self, key: str, value: Any, fmt: str = "") -> str:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"glued number {key!r} is not finite: {value!r}")
        if key in self.numbers and self.numbers[key] != value:
            raise ValueError(f"glue key {key!r} given two values: {self.numbers[key]!r}, {value!r}")
        self.numbers[key] = value
        return f"{{glue:text}}`{self.prefix}{key}{':' + fmt if fmt else ''}`"


def poverty_profile(
    data: synth.SimulatedData,
    case: str,
    *,
    seed: int,
    year: int = 0,
    poverty_line: float = 0.0,
    weight_by_persons: bool = False,
    n_boot: int = 199,
    mpi_k: float = 1 / 3,
    mpi_weights: str = "equal_dimensions",
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
    Then the glue numbers and case prose (``numbers``, ``markdown``).

    Raises:
        ParameterError: unknown case or year, bad ``poverty_line``, ``n_boot < 2``,
            ``mpi_k`` outside (0, 1] or an unknown ``mpi_weights``.
        DataValidationError: incomplete household rows (see :func:`profile_frame`).
    """
    lay = _layout(case)
    if not isinstance(n_boot, int) or n_boot < 2:
        raise ParameterError(f"bootstrap_reps must be an integer >= 2; got {n_boot!r}")
    if not 0 < mpi_k <= 1:
        raise ParameterError(f"mpi_k must be in (0, 1]; got {mpi_k!r}")
    known = list(measures.weight_schemes(measures.exit_standard(lay.indicator_year)))
    if mpi_weights not in known:
        raise ParameterError(f"mpi_weights must be one of {known}; got {mpi_weights!r}")
    simulated = bool(data.meta.get("simulated", True))
    year = year or lay.default_year
    frame = profile_frame(data, case, year)
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
    gini = measures.bootstrap(
        lambda df: measures.gini(df["income"], _weights(df, weight_by_persons)),
        frame,
        n_boot=n_boot,
        seed=seed,
        cluster="village_id",
    )
    dec = decomposition(frame, headline, weight_by_persons=weight_by_persons) if headline else None
    has_mpi = all(c in frame.columns for c in INDICATORS)
    mpi = (
        _mpi(frame, mpi_k, weight_by_persons, n_boot, seed, lay.indicator_year, mpi_weights)
        if has_mpi
        else None
    )
    trend = trend_table(data, case, simulated=simulated, weight_by_persons=weight_by_persons)
    label = "the simulated data" if simulated else f"the field data in `{data_dir}`"
    profile = PovertyProfile(
        case=case,
        year=year,
        simulated=simulated,
        data_label=label,
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
    _write_prose(profile, own_share, mpi_k, data)
    return profile


def _join(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _pct(p: _Prose, key: str, value: float) -> str:
    return p.num(key, float(value), ".1%")


def _interval(p: _Prose, key: str, row: pd.Series, fmt: str) -> str:
    return (
        f"95% interval {p.num(key + '_low', float(row['ci_low']), fmt)} to "
        f"{p.num(key + '_high', float(row['ci_high']), fmt)}"
    )


def _write_prose(prof: PovertyProfile, own_share: float | None, mpi_k: float, data: Any) -> None:
    p = _Prose()
    yr = p.num("year", prof.year)
    case = registry.load_case(prof.case)
    frame = prof.frame
    unit = "persons" if prof.weight_by_persons else "households"
    md: dict[str, str] = {}

    # Glue every cell of the FGT table (estimate, SE, bounds) for the results manifest.
    for _, row in prof.fgt.iterrows():
        key = f"{row['line']}_p{row['alpha']}"
        p.num(f"{row['line']}_line", float(row["line_value"]))
        p.num(key, float(row["estimate"]))
        p.num(key + "_se", float(row["se"]))
        p.num(key + "_low", float(row["ci_low"]))
        p.num(key + "_high", float(row["ci_high"]))

    # Intro
    where = f"in {prof.data_label}"
    intro = [
        f"This page profiles income poverty in {case.short_title} in "
        f"{p.num('year', prof.year)}, {where}: "
        f"{p.num('n_households', len(frame))} households in "
        f"{p.num('n_villages', int(frame['village_id'].nunique()))} villages. Income is "
        "per-capita income in yuan per person per year, in current prices."
    ]
    intro.append(
        "Shares are shares of persons (households weighted by their size)."
        if prof.weight_by_persons
        else "Each household counts once, so shares are shares of households. Published "
        "incidences are shares of persons; the parameter `weight_by_persons` weights households "
        "by their size to match them."
    )
    if prof.case == "shandong_a_town":
        intro.append(
            "The household table of this case holds registered poor households only, so every "
            "share on this page is a share of registered poor households, not of the town."
        )
    if prof.simulated:
        intro.append(_calibration_sentence(prof.case, p, data))
    md["intro"] = " ".join(intro)

    # Income distribution and Gini
    y = frame["income"].to_numpy(dtype=float)
    wts = _weights(frame, prof.weight_by_persons)
    median = measures.relative_line(y, 1.0, wts)
    mean = float(np.average(y, weights=wts))
    md["income_text"] = (
        f"Median income is {p.num('median_income', median, ',.0f')} yuan and mean income "
        f"{p.num('mean_income', mean, ',.0f')} yuan. The Gini coefficient is "
        f"{p.num('gini', prof.gini.estimate, '.3f')} (standard error "
        f"{p.num('gini_se', prof.gini.std_error, '.3f')}; 95% interval "
        f"{p.num('gini_low', prof.gini.ci_low, '.3f')} to "
        f"{p.num('gini_high', prof.gini.ci_high, '.3f')}). "
        f"{{numref}}`fig-poverty-income-{prof.case}` shows the distribution on a log scale "
        "with the poverty lines."
    )

    # Absolute line
    abs_line = next((ln for ln in prof.lines if ln.kind == "absolute"), None)
    if abs_line is not None:
        r0, r1, r2 = (prof.estimate("nat", a) for a in ALPHAS)
        basis = {
            "national": (
                f"The national rural poverty line of {yr} is "
                f"{p.num('nat_line', abs_line.value, ',.0f')} yuan: the 2010 standard of "
                f"{p.num('standard_2010', _standard_2010(), ',.0f')} yuan a year at 2010 "
                "prices, in current prices (published figure in "
                "`data/raw/national_rural_poverty.csv`)."
            ),
            "given": (
                f"The line is the one passed as the `poverty_line` parameter: "
                f"{p.num('nat_line', abs_line.value, ',.0f')} yuan."
            ),
            "simulated_parameter": (
                f"`data/raw/national_rural_poverty.csv` has no verified national line for "
                f"{yr}. The line used, {p.num('nat_line', abs_line.value, ',.0f')} yuan, "
                f"is the simulated data's own parameter `poverty_line_{prof.year}`, not a "
                "verified figure."
            ),
        }[abs_line.basis]
        md["absolute_text"] = (
            f"{basis} In {prof.data_label}, {_pct(p, 'nat_p0', r0['estimate'])} of {unit} are "
            f"below it ({_interval(p, 'nat_p0', r0, '.1%')}). The poverty gap index P1 is "
            f"{p.num('nat_p1', float(r1['estimate']), '.2%')} "
            f"({_interval(p, 'nat_p1', r1, '.2%')}): spread over everyone, the shortfall "
            "below the line equals that share of the line per head. The squared gap P2, "
            "which weighs the poorest most, is "
            f"{p.num('nat_p2', float(r2['estimate']), '.2%')} "
            f"({_interval(p, 'nat_p2', r2, '.2%')})."
        )
    else:
        reason = (
            f"No absolute national line applies to {yr}: absolute poverty was declared "
            "eliminated at the end of 2020, and `data/raw/national_rural_poverty.csv` has no "
            f"verified line for any year after {p.num('last_line_year', _last_line_year())}."
            if prof.year > 2020
            else f"`data/raw/national_rural_poverty.csv` has no verified national line for "
            f"{yr}, and the data carry no line parameter for that year."
        )
        if own_share is not None and prof.headline is not None:
            reason += (
                " The question after 2020 is relative poverty. The simulated data's own line "
                "parameter is a relative line at "
                f"{p.num('own_share', own_share, '.0%')} of the median "
                "(`relative_line_share`), so the headline measures below use it."
            )
        else:
            reason += (
                " No absolute measure is computed; the relative lines below are the only ones, "
                "and groups are compared at half the median."
            )
        md["absolute_text"] = reason

    # Relative lines
    rel = [ln for ln in prof.lines if ln.kind == "relative"]
    parts = [
        f"{p.num(f'{ln.key}_share', ln.share, '.0%')} of the median is "
        f"{p.num(f'{ln.key}_line', ln.value, ',.0f')} yuan, and "
        f"{_pct(p, f'{ln.key}_p0', prof.estimate(ln.key, 0)['estimate'])} of {unit} are "
        f"below it ({_interval(p, f'{ln.key}_p0', prof.estimate(ln.key, 0), '.1%')})"
        for ln in rel
    ]
    rel_text = (
        "Relative lines are set at shares of the median income: "
        + "; ".join(parts)
        + ". The bootstrap re-estimates the median in every replicate, so these intervals "
        "include the uncertainty of the line itself."
    )
    if prof.case == "w_town":
        rel_text += (
            " This is the question the W Town thesis asks after 2020: who is poor relative to "
            "the people around them, now that the absolute line is met."
        )
    if prof.case == "shandong_a_town":
        rel_text += (
            " Because only registered poor households are in the data, the median is theirs: "
            "these lines show how unequal incomes are among the registered poor, not who is "
            "relatively poor in the town."
        )
    md["relative_text"] = rel_text
    md["fgt_caption"] = (
        f"FGT poverty measures, {prof.year}: estimate (95% bootstrap interval, villages "
        f"resampled, {int(prof.gini.n_boot)} replicates); P0, P1 and P2 in % (x 100), P0 of {unit}"
    )

    # Decomposition
    if prof.decomposition is not None and prof.headline is not None:
        dec = prof.decomposition
        top = dec.sort_values("p0_contribution_share", ascending=False).iloc[0]
        lo = dec.sort_values("p0", ascending=True).iloc[0]
        hi = dec.sort_values("p0", ascending=False).iloc[0]
        line_text = (
            "the absolute line" if prof.headline.kind == "absolute" else f"{prof.headline.label}"
        )
        md["decomposition_text"] = (
            f"Split by {prof.layout.group_label}, the headcount at {line_text} ranges from "
            f"{_pct(p, 'group_p0_min', lo['p0'])} ({lo['group']}) to "
            f"{_pct(p, 'group_p0_max', hi['p0'])} ({hi['group']}). The group "
            f"'{top['group']}' holds {_pct(p, 'top_group_pop_share', top['pop_share'])} of "
            f"{unit} and {_pct(p, 'top_group_contribution', top['p0_contribution_share'])} of "
            "the poor: the FGT measures are additive over groups, so the contributions in the "
            "table sum to 100%."
        )
    else:
        md["decomposition_text"] = (
            "With no headline line for this year there is no decomposition; the relative lines "
            "above describe the whole sample only."
        )

    # MPI
    md["mpi_text"] = _mpi_prose(prof, p, mpi_k, unit)

    # Trend
    if prof.trend is not None:
        missing = prof.trend.loc[prof.trend["Absolute line (yuan)"].isna(), "Year"].tolist()
        years = sorted(int(y) for y in prof.trend["Year"])
        joiner = " and " if len(years) == 2 else " to "
        text = (
            f"The data hold incomes for {p.num('first_year', years[0])}{joiner}"
            f"{p.num('last_year', years[-1])}. The table gives the headcount in each year "
            "(point estimates)."
        )
        if missing:
            years_text = p.num("years_without_line", _join([str(y) for y in missing]))
            text += (
                f" No verified national line exists for {years_text}, so only the relative "
                f"headcount is shown for {'that year' if len(missing) == 1 else 'those years'}."
            )
        md["trend_text"] = text
    else:
        md["trend_text"] = (
            f"The data of this case hold incomes for one year only "
            f"({p.num('year', prof.year)}), so there is "
            "no change over time to show."
        )
    md["own_data"] = own_data_markdown(prof.case)
    prof.numbers = p.numbers
    prof.markdown = md


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


def _calibration_sentence(case: str, p: _Prose, data: Any = None) -> str:
    """How the simulated income distribution was set (from data/synth/<case>.yaml); ``data``
    (the simulated tables) gives the realised sample shares where they differ by chance."""
    par = {k: v["value"] for k, v in synth.load_params(case)["parameters"].items()}
    head = "The income distribution was set by the simulation, not observed: "
    tail = (
        " So the poverty levels below follow from inputs of the simulation, up to sampling "
        "variation in the simulated sample; they are not the thesis's findings (see the page "
        "on how the data were simulated)."
    )
    if case == "liupanshui":
        body = (
            "its spread was chosen so that "
            f"{_pct(p, 'calib_incidence', par['incidence_2014'])} of households fall below the "
            f"2014 line of {p.num('calib_line', float(par['poverty_line_2014']), ',.0f')} yuan "
            "(Liupanshui's published incidence of 2014, a share of persons, used here as a "
            "share of households), with mean income "
            f"{p.num('calib_mean', float(par['income_mean_2014']), ',.0f')} yuan; the reform's "
            "planted income effect is added in the villages that adopted it."
        )
    elif case == "h_county":
        body = (
            "its spread was chosen so that "
            f"{_pct(p, 'calib_incidence', par['incidence_2016'])} of households fall below the "
            f"2016 line of {p.num('calib_line', float(par['poverty_line_2016']), ',.0f')} yuan, "
            "an assumed county incidence, around the published poor-area mean income of "
            f"{p.num('calib_mean', float(par['income_mean_2016']), ',.0f')} yuan; the planted "
            "effect of industrial projects is added for participants."
        )
    elif case == "w_town":
        body = (
            "its spread was chosen so that "
            f"{_pct(p, 'calib_incidence', par['relative_poverty_target'])} of households fall "
            f"below {p.num('calib_share', float(par['relative_line_share']), '.0%')} of the "
            "median in 2021, an assumed value (no official relative-poverty statistic exists)."
        )
    elif case == "shandong_a_town":
        body = (
            "registered households' incomes are lognormal with an assumed mean of "
            f"{p.num('calib_mean', float(par['income_mean']), ',.0f')} yuan and log-SD "
            f"{p.num('calib_log_sd', float(par['income_log_sd']), '.2f')}."
        )
    else:  # pingliang
        share = float(data["households"]["registered_poor"].mean()) if data is not None else None
        sample = (
            f" (in this sample {_pct(p, 'registered_share', share)})" if share is not None else ""
        )
        body = (
            f"households are registered poor at end-2014 with probability "
            f"{_pct(p, 'calib_incidence', par['incidence_2014'])}{sample}, Zhuanglang County's "
            "published incidence (a share of persons, used here as a share of households), "
            "with a mean income of "
            f"{p.num('calib_mean', float(par['poor_income_2014']), ',.2f')} yuan among them "
            "(Zhuanglang's published figure); other households' mean income is set from the "
            "published poor-area series."
        )
    return head + body + tail


def _mpi_prose(prof: PovertyProfile, p: _Prose, k: float, unit: str) -> str:
    table = prof.layout.indicator_table
    if prof.mpi is None:
        missing = [c for c in INDICATORS if c not in prof.frame.columns]
        return (
            f"The data of this case have no deprivation indicators of the 'two assurances, "
            f"three guarantees' standard: the columns {', '.join(f'`{c}`' for c in missing)} "
            f"are not in a `{table}` table. So this section is skipped; no indicator is "
            f"invented. With these six 0/1 columns (1 = deprived) in `{table}.csv`, one row "
            "per household, the section runs."
        )
    res, ci = prof.mpi.result, prof.mpi.interval
    contrib = res.contribution.sort_values(ascending=False, kind="stable")
    spec = prof.mpi.spec
    dims = {d: sum(res.contribution[n] for n in names) for d, names in spec.dimensions.items()}
    top_dims = [d for d, v in dims.items() if round(v, 4) == round(max(dims.values()), 4)]
    top_dim = top_dims[0]
    # Indicators whose contributions tie with the largest (to 4 decimals) are named together.
    tied = [n for n, v in contrib.items() if round(v, 4) == round(contrib.iloc[0], 4)]
    top_names = _join([f"'{n.replace('_', ' ')}'" for n in tied])
    top_share = _pct(p, "mpi_top_contribution", contrib.iloc[0])
    dim_share = _pct(p, "mpi_top_dimension_contribution", dims[top_dim])
    short = [n for n in spec if spec[n] < k]
    _mpi_numbers(prof, p)
    text = (
        "A household is multidimensionally poor when its weighted "
        f"deprivation score reaches k = {p.num('mpi_k', float(k), '.2f')}. Then the "
        f"headcount H is {_pct(p, 'mpi_h', res.H)}, the average intensity A among the poor "
        f"is {p.num('mpi_a', float(res.A), '.3f')}, and the adjusted headcount M0 = H x A is "
        f"{p.num('mpi_m0', float(res.M0), '.3f')} (standard error "
        f"{p.num('mpi_m0_se', ci.std_error, '.3f')}; 95% interval "
        f"{p.num('mpi_m0_low', ci.ci_low, '.3f')} to {p.num('mpi_m0_high', ci.ci_high, '.3f')})."
    )
    if short:
        names = _join([f"'{n.replace('_', ' ')}'" for n in short])
        weights = "weights" if len(short) > 1 else "weight"
        are, one = ("are", "either deprivation") if len(short) > 1 else ("is", "that deprivation")
        text += (
            f" The {weights} of {names} {are} below k, so {one} alone does not make a "
            "household multidimensionally poor; it takes one more deprivation. This is the "
            "difference from the official checks, which work like the union rule: a household "
            "that fails any one requirement counts as poor."
        )
    else:
        text += " The official checks work like the union rule: failing any one counts."
    if len(tied) > 1:
        leader = f"The indicators {top_names} contribute the most to M0 ({top_share} each)"
    else:
        leader = f"The indicator {top_names} contributes the most to M0 ({top_share})"
    if len(top_dims) > 1:
        dim_names = _join([f"'{d.replace('_', ' ')}'" for d in top_dims])
        dim_text = f"the dimensions {dim_names} contribute {dim_share} each"
    else:
        dim_text = f"the dimension '{top_dim.replace('_', ' ')}' contributes {dim_share}"
    text += (
        f" By the union rule, {_pct(p, 'mpi_h_union', prof.mpi.union_headcount)} of {unit} "
        f"are poor. {leader}, and {dim_text}."
    )
    param = prof.layout.indicator_line_parameter
    if prof.simulated and param:
        entry = synth.load_params(prof.case)["parameters"][param]
        basis = "the national line" if "source" in entry else "an assumed line"
        text += (
            " In the simulated data the income indicator marks income below "
            f"{p.num('mpi_income_line', float(entry['value']), ',.0f')} yuan per person a year "
            f"({basis}; parameter `{param}`: {entry['meaning'].split(';')[0]}); the other "
            "indicators are drawn with assumed rates that are higher for income-poor "
            "households (see 'How the data were simulated')."
        )
    if prof.layout.indicator_year is not None and prof.layout.indicator_year != prof.year:
        yr = p.num("year", prof.year)
        recorded = p.num("indicator_year", prof.layout.indicator_year)
        text += f" The indicators were recorded in {recorded}, not in {yr}."
    return text


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


def _mpi_numbers(prof: PovertyProfile, p: _Prose) -> None:
    """Glue numbers of the MPI specification and its robustness grid (for the notebook's
    Markdown): dimensions and their weight in the indicator year, the range of M0 over the
    grid, and how village rankings hold up against the page's specification."""
    if prof.mpi is None:
        return
    spec = prof.mpi.spec
    year = prof.layout.indicator_year
    p.num("mpi_indicator_year", int(year) if year is not None else prof.year)
    p.num("mpi_n_dimensions", len(spec.dimensions))
    p.num("mpi_dimension_weight", 1.0 / len(spec.dimensions))
    p.num("mpi_water_first_year", measures.WATER_CHECK_FIRST_YEAR)
    rob, vil = prof.mpi.robustness, prof.mpi.village_robustness
    p.num("mpi_grid_n_specs", len(rob.overall))
    p.num("mpi_grid_m0_min", float(rob.overall["M0"].min()))
    p.num("mpi_grid_m0_max", float(rob.overall["M0"].max()))
    p.num("mpi_grid_h_min", float(rob.overall["H"].min()))
    p.num("mpi_grid_h_max", float(rob.overall["H"].max()))
    conc = vil.concordance
    p.num("mpi_n_villages", len(vil.by_group))
    p.num("mpi_village_pairs", int(conc["pairs"].iloc[0]))
    p.num("mpi_village_share_kept_min", float(conc["share_kept"].min()))
    p.num("mpi_village_tau_min", float(conc["kendall_tau"].min()))
    p.num("mpi_village_robust_share", float(vil.robust_share))


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


def figure_caption(profile: PovertyProfile) -> str:
    """Caption of :func:`income_figure`, naming only the lines it draws."""
    parts = [
        f"Per-capita income of households, {profile.year} (log scale), stacked by "
        f"{profile.layout.group_label}."
    ]
    if any(ln.kind == "absolute" for ln in profile.lines):
        parts.append(f"Solid line: the {_line_name(profile.lines[0])}.")
    parts.append("Dashed lines: shares of the median.")
    return " ".join(parts)


def income_figure(profile: PovertyProfile, *, source: str | None = None) -> mpl.figure.Figure:
    """Histogram of per-capita income on a log axis, by group, with the lines marked
    (absolute: solid; relative: dashed), stamped with its provenance."""
    frame = profile.frame
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
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
    styles = {"absolute": "-", "relative": "--"}
    top = ax.get_ylim()[1]
    for line in profile.lines:
        ax.axvline(line.value, color="#222222", linestyle=styles[line.kind], linewidth=1.2)
        label = "national line" if line.basis == "national" else line.label.replace("the ", "")
        if line.kind == "absolute" and line.basis != "national":
            label = "absolute line"
        # Relative labels hang from the top, the absolute one stands at the foot, so a line
        # close to a relative one (the national line near 60% of the median) stays readable.
        at_top = line.kind == "relative"
        ax.text(
            line.value,
            top * (0.98 if at_top else 0.02),
            label,
            fontsize=8,
            rotation=90,
            ha="right",
            va="top" if at_top else "bottom",
            color="#222222",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
        )
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_xlabel("Per-capita income (yuan per person per year, log scale)")
    ax.set_ylabel(f"Households (% of all, {profile.year})")
    ax.set_title(f"Income distribution, {profile.year}", loc="left")
    report.label_figure(fig, simulated=profile.simulated, source=source)
    return fig


# --------------------------------------------------------------------------------------------
# Thesis comparison and own-data notes
# --------------------------------------------------------------------------------------------
def _line_name(line: PovertyLine) -> str:
    """Running-text name of a line: "national line", "40% of the median", ..."""
    if line.kind == "relative":
        return line.label
    return {
        "national": "national line",
        "given": "given line",
        "simulated_parameter": "simulation's line parameter",
    }[line.basis]


def _fmt_pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def comparison_table(profile: PovertyProfile) -> pd.DataFrame:
    """Rows of "What the thesis reported" | "What this analysis shows" | "What would be needed
    to test it with field data", from the case registry and this profile (own words)."""
    case = registry.load_case(profile.case)
    data = "the simulated data" if profile.simulated else "the field data"
    head = profile.headline
    head_p0 = profile.estimate(head.key, 0)["estimate"] if head else None
    dec = profile.decomposition
    by_group = (
        "; ".join(f"{g}: {_fmt_pct(v)}" for g, v in zip(dec["group"], dec["p0"], strict=True))
        if dec is not None
        else "no headline line"
    )
    planted = (
        " The level was planted, so it reproduces an input, not a finding."
        if profile.simulated
        else ""
    )
    line_text = _line_name(head) if head else "no line"
    rows: list[tuple[str, str, str]] = []
    if profile.case == "liupanshui":
        rows.append(
            (
                case.achievements[0].description,
                f"In {data}, {_fmt_pct(head_p0)} of households are below the {line_text} in "
                f"{profile.year}.{planted} One year cannot show a rise; the trend table and the "
                "policy evaluation look at change.",
                "Per-capita income of the same households before and after the reform, with "
                "village identifiers and each village's reform year.",
            )
        )
    elif profile.case == "shandong_a_town":
        rows.append(
            (
                next(
                    a.description
                    for a in case.achievements
                    if "living conditions" in a.description.lower()
                ),
                f"In {data}, {_fmt_pct(head_p0)} of registered poor households are below the "
                f"{line_text} in {profile.year}; the income level is assumed, not observed.",
                "Incomes of registered and non-registered households in at least two years.",
            )
        )
        prob = next(x for x in case.problems if x.code == "problem_imprecise_identification")
        rows.append(
            (
                prob.description.capitalize() + ".",
                "This page sees only registered households, so it cannot say who was left out; "
                "the participation analysis relates the assistance received to income.",
                "Income and assistance received for all households of the town, registered or not.",
            )
        )
    elif profile.case == "w_town":
        rows.append(
            (
                "Households that left poverty are to be kept from falling back into it "
                "(research question).",
                f"Headcount at {line_text} by group in {data}: {by_group}."
                + (
                    " The formerly registered were simulated as the households with the lowest "
                    "incomes, so the gap is built in; one year cannot show who stayed out of "
                    "poverty."
                    if profile.simulated
                    else " One year cannot show who stayed out of poverty."
                ),
                "Incomes of the same households every year after 2020 and the monitoring list, "
                "to count who fell back below a line.",
            )
        )
        rows.append(
            (
                "After 2020 the task is relative poverty (research question).",
                "P0 at 40%, 50% and 60% of the median: "
                + ", ".join(
                    _fmt_pct(profile.estimate(k, 0)["estimate"])
                    for k in ("rel40", "rel50", "rel60")
                )
                + ".",
                "An agreed relative line (none is official) and a representative income survey "
                "of the town.",
            )
        )
    elif profile.case == "h_county":
        rows.append(
            (
                "The thesis examines how effective the county's targeted poverty alleviation "
                "was (research question).",
                f"In {data}, {_fmt_pct(head_p0)} of households are below the {line_text} in "
                f"{profile.year}.{planted}",
                "Household incomes across the study years from a county survey, not the register.",
            )
        )
        # H County lists poor identification among the difficulties that hamper its work.
        prob = next(
            x
            for x in case.causes
            if x.code == "cause_weak_safeguards" and "identif" in x.description
        )
        mpi_part = ""
        if profile.mpi is not None:
            by = profile.mpi.by_group
            mpi_part = (
                " M0 by group: "
                + "; ".join(
                    f"{g}: {v:.3f}" for g, v in zip(by.index.astype(str), by["M0"], strict=True)
                )
                + "."
            )
        rows.append(
            (
                prob.description.capitalize() + ".",
                f"Headcount by registration: {by_group}.{mpi_part} Registered households that "
                "are not poor and poor ones that are not registered show up here; the targeting "
                "analysis measures the errors.",
                "The register and an independent measurement of income and of the two "
                "assurances and three guarantees for the same households.",
            )
        )
    else:  # pingliang
        rows.append(
            (
                "Six of the town's ten villages were registered as poor (research question).",
                f"Headcount at the {line_text} by village group in {data}: {by_group}.{planted}",
                "Household incomes by village from the town's records or a survey.",
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


def own_data_markdown(case: str) -> str:
    """Markdown list of the tables and columns the profile reads from a ``data_dir`` folder
    (from :data:`cases.simulate.synth.TABLE_SCHEMAS`)."""
    lay = _layout(case)
    schema = synth.TABLE_SCHEMAS[case]
    tables = dict.fromkeys([lay.income_table, lay.household_table])
    used = {"household_id", "village_id", "household_size", "year", *lay.group_columns}
    used |= {lay.income_column, *lay.wide_income.values()}
    if lay.group_from is _county_group:
        tables["villages"] = None
        used |= {"county_name"}
    if lay.group_from is _poor_village_group:
        tables["villages"] = None
        used |= {"poor_village"}
    lines = []
    for table in tables:
        cols = [(c, k, u, d) for c, k, u, d in schema[table] if c in used]
        lines.append(f"- `{table}.csv`: " + "; ".join(f"`{c}` ({u})" for c, _k, u, _d in cols))
    optional = ", ".join(f"`{c}`" for c in INDICATORS)
    year = f", recorded in {lay.indicator_year}" if lay.indicator_year else ""
    note = (
        f"The multidimensional section needs the six 0/1 indicator columns {optional} in "
        f"`{lay.indicator_table}.csv` (1 = deprived, one row per household{year}); without "
        "them the section is skipped."
    )
    return "\n".join(lines) + "\n\n" + note


# --------------------------------------------------------------------------------------------
# "How the data were simulated"
# --------------------------------------------------------------------------------------------
_DESCRIBE_SECTIONS = {
    "### Data-generating process": "dgp",
    "### Parameters": "parameters",
    "### Planted effects (hypotheses)": "planted",
    "### Tables": "tables",
}


def _fmt_value(value: Any) -> str:
    """A planted value as text: mappings as ``key: value`` pairs, lists comma-separated."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_fmt_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_fmt_value(v) for v in value)
    return str(value)


def table_sizes(data: synth.SimulatedData) -> pd.DataFrame:
    """Rows and columns of each table of ``data``."""
    return pd.DataFrame(
        [
            {"Table": name, "Rows": len(df), "Columns": df.shape[1]}
            for name, df in data.tables.items()
        ]
    )


@dataclass
class SimulationPage:
    """Content of the "How the data were simulated" page: glue numbers, Markdown blocks and
    the two tables (sizes, planted effects)."""

    case: str
    simulated: bool
    sizes: pd.DataFrame
    planted: pd.DataFrame
    numbers: dict[str, Any]
    markdown: dict[str, str]


def _describe_sections(case: str) -> dict[str, str]:
    """Split :func:`cases.simulate.synth.describe` into its sections (title line dropped).

    Raises:
        ValueError: an expected section heading is missing.
    """
    text = synth.describe(case)
    found: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        if line in _DESCRIBE_SECTIONS:
            current = _DESCRIBE_SECTIONS[line]
            found[current] = []
        elif current is not None:
            found[current].append(line)
    missing = [h for h, k in _DESCRIBE_SECTIONS.items() if k not in found]
    if missing:
        raise ValueError(f"synth.describe({case!r}) lacks the section(s) {missing}")
    return {k: "\n".join(v).strip() for k, v in found.items()}


def simulation_page(
    data: synth.SimulatedData, case: str, *, seed: int, n: int, data_dir: str = ""
) -> SimulationPage:
    """Assemble the simulation page of ``case`` for the data the analyses of this run use.

    Simulated data: the generator's description (:func:`cases.simulate.synth.describe`), the sizes
    of
    the generated tables and the planted effects of ``data/synth/<case>.yaml``, each stated as
    a hypothesis. The researcher's own data (``data_dir``): the page says so and lists their
    table sizes; the description and planted effects are shown as what the simulated version
    would use.

    Raises:
        as :func:`cases.simulate.synth.load_params`; ValueError if describe() changes its sections.
    """
    simulated = bool(data.meta.get("simulated", True))
    p = _Prose("simulation_")
    params = synth.load_params(case)
    sections = _describe_sections(case)
    sizes = table_sizes(data)
    planted = pd.DataFrame(
        [
            {
                "Effect": name.replace("_", " "),
                "Planted value": _fmt_value(ent["value"]),
                "Unit": ent["unit"],
                "Thesis claim it encodes (hypothesis)": ent["claim"],
                "Recovered by": ent["recovered_by"],
            }
            for name, ent in params["planted_effects"].items()
        ]
    )
    md: dict[str, str] = {}
    total_rows = int(sizes["Rows"].sum())
    if simulated:
        md["intro"] = (
            f"The field data of this chapter are simulated. The generator `cases.simulate.synth`"
            " makes "
            f"{p.num('n_tables', len(sizes))} tables for this case from the parameters in "
            f"`data/synth/{case}.yaml`: the title of the set is *{params['title']}*. Every "
            "table and figure made from them carries a 'Simulated data' stamp. Where a "
            "parameter has a real published counterpart it is calibrated to it; the rest are "
            "assumptions, each with its reason (table below)."
        )
        md["sizes_text"] = (
            f"With seed {p.num('seed', int(seed))} and {p.num('n', int(n))} households the "
            f"generator gives {p.num('total_rows', total_rows, ',')} rows in all. Each analysis "
            "page generates its data again from its own `seed` and `n` parameters (shown at "
            "the top of its notebook), so sizes can differ between pages."
        )
        md["planted_text"] = (
            f"The generator plants {p.num('n_planted', len(planted))} effects. They encode the "
            "thesis's claims as hypotheses of a stated size, chosen by this compendium: they "
            "are not findings, and recovering them only shows that an analysis can detect an "
            "effect of that size. The thesis's own data, which are not public, could show "
            "something else."
        )
        md["description_intro"] = (
            "The rest of this page is the generator's own documentation"
            " (`cases.simulate.synth.describe`)."
        )
    else:
        md["intro"] = (
            f"The data of this chapter are the researcher's own, read from `{data_dir}` "
            "(validated against the documented format). Nothing on the chapter's pages is "
            "simulated in this run."
        )
        md["sizes_text"] = (
            f"The folder holds {p.num('n_tables', len(sizes))} tables with "
            f"{p.num('total_rows', total_rows, ',')} rows in all."
        )
        md["planted_text"] = (
            f"No effects were planted in these data. The {p.num('n_planted', len(planted))} "
            "effects below are the hypotheses that the book's simulated version encodes; they "
            "are listed so that the results on your data can be set beside them."
        )
        md["description_intro"] = (
            "The rest of this page documents the generator that the published book uses in "
            "place of field data; this run did not use it."
        )
    md.update({f"describe_{k}": v for k, v in sections.items() if k != "planted"})
    return SimulationPage(case, simulated, sizes, planted, p.numbers, md)
