"""County indicators from the 2010 and 2020 censuses, and their long differences.

Reads only the committed tables of the data package (``data/raw/county_census.csv``,
``census_crosswalk.csv`` and ``poverty_counties.csv``, see ``data/raw/SOURCES.md``); the
upstream compilation is read by ``scripts/derive_census.py`` alone.

Indicators are data (:data:`INDICATORS`): each names the count columns it is built from.

- A *ratio* indicator is ``sum(numerator columns) / sum(denominator columns)``. Computed on a
  group of units (a merged county, a province, the poverty counties of a province) the counts are
  summed first, so the result is the ratio of totals, i.e. the mean of the units' ratios
  weighted by their denominators (households for amenity shares, persons for population
  shares).
- A *weighted mean* indicator is a published average (for example mean years of schooling)
  combined across units with the weights in ``denominator``:
  ``sum(value * weight) / sum(weight)``.

Long differences (2020 minus 2010) are taken on the groups of the crosswalk, so a county that
was merged, split or renamed is compared with the same area in both years (as far as the
census division lists allow; no boundary adjustment is made).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cases.core.errors import DataValidationError
from cases.data.public_data import DATAPACKAGE, indicator_definitions, load_table

__all__ = [
    "CENSUS_TABLE",
    "CROSSWALK_TABLE",
    "INDICATORS",
    "INDICATORS_BY_NAME",
    "POVERTY_TABLE",
    "GapEstimate",
    "Indicator",
    "aggregate",
    "aggregate_groups",
    "analysis_frame",
    "compute_indicators",
    "group_counts",
    "group_poverty_status",
    "load_census",
    "load_crosswalk",
    "load_poverty_counties",
    "long_differences",
    "map_feature",
    "match_within_province",
    "matched_difference",
    "percentile_ranks",
    "poverty_gap",
]

CENSUS_TABLE = "county_census"
CROSSWALK_TABLE = "census_crosswalk"
POVERTY_TABLE = "poverty_counties"
YEARS = (2010, 2020)

EDUCATION = (
    "edu_none",
    "edu_preschool",
    "edu_primary",
    "edu_junior",
    "edu_senior",
    "edu_college",
    "edu_bachelor_plus",
)


@dataclass(frozen=True)
class Indicator:
    """One census indicator.

    Attributes:
        name: column name of the indicator in results.
        numerator: count columns summed for the numerator (``ratio``), or the one column holding
            a published average (``weighted_mean``).
        denominator: count columns summed for the denominator (``ratio``) or for the weights
            (``weighted_mean``).
        unit: unit of the value (``share`` is a proportion in [0, 1]).
        description: what the indicator measures, with its census columns.
        kind: ``ratio`` or ``weighted_mean``.
    """

    name: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    unit: str
    description: str
    kind: Literal["ratio", "weighted_mean"] = "ratio"

    @property
    def is_share(self) -> bool:
        """True when the value is a proportion in [0, 1]."""
        return self.unit == "share"

    @property
    def columns(self) -> tuple[str, ...]:
        """Every census column the indicator reads."""
        return self.numerator + self.denominator


_HH = ("long_form_households",)
#: Each indicator's definition in words, from data/indicators.yaml.
_DEFINITIONS = indicator_definitions("census")
INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "urban_share",
        ("pop_urban",),
        ("pop_total",),
        "share",
        _DEFINITIONS["urban_share"],
    ),
    Indicator(
        "aged_65plus_share",
        ("pop_65plus",),
        ("pop_total",),
        "share",
        _DEFINITIONS["aged_65plus_share"],
    ),
    Indicator(
        "household_size",
        ("family_household_pop",),
        ("family_households",),
        "persons per household",
        _DEFINITIONS["household_size"],
    ),
    Indicator(
        "illiteracy_rate",
        ("illiterate_15plus",),
        ("pop_15plus",),
        "share",
        _DEFINITIONS["illiteracy_rate"],
    ),
    Indicator(
        "junior_secondary_plus_share",
        ("edu_junior", "edu_senior", "edu_college", "edu_bachelor_plus"),
        EDUCATION,
        "share",
        _DEFINITIONS["junior_secondary_plus_share"],
    ),
    Indicator(
        "tertiary_share",
        ("edu_college", "edu_bachelor_plus"),
        EDUCATION,
        "share",
        _DEFINITIONS["tertiary_share"],
    ),
    Indicator(
        "mean_years_schooling",
        ("mean_years_schooling",),
        EDUCATION,
        "years",
        _DEFINITIONS["mean_years_schooling"],
        kind="weighted_mean",
    ),
    Indicator(
        "tap_water_share",
        ("hh_tap_water",),
        _HH,
        "share",
        _DEFINITIONS["tap_water_share"],
    ),
    Indicator(
        "kitchen_share",
        ("hh_kitchen",),
        _HH,
        "share",
        _DEFINITIONS["kitchen_share"],
    ),
    Indicator(
        "toilet_share",
        ("hh_toilet",),
        _HH,
        "share",
        _DEFINITIONS["toilet_share"],
    ),
    Indicator(
        "bathing_share",
        ("hh_bathing",),
        _HH,
        "share",
        _DEFINITIONS["bathing_share"],
    ),
)
_BY_NAME = {i.name: i for i in INDICATORS}
#: Indicators by name.
INDICATORS_BY_NAME = _BY_NAME


def _source(name: str) -> str:
    return f"data/raw/{name}.csv"


def _indicators(names: Iterable[str] | None) -> list[Indicator]:
    if names is None:
        return list(INDICATORS)
    chosen = []
    for name in names:
        if name not in _BY_NAME:
            raise KeyError(f"unknown census indicator {name!r}; known: {', '.join(_BY_NAME)}")
        chosen.append(_BY_NAME[name])
    return chosen


def _require(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(source, [f"column {c!r} is missing" for c in missing])


# ------------------------------------------------------------------ loading


def load_census(datapackage_path: str = str(DATAPACKAGE)) -> pd.DataFrame:
    """The county census table (2010 and 2020 rows), typed by its schema.

    Identifiers (``unit_id``, ``code``, ``prefecture_code``, ``province_code``) stay strings, so
    6-digit codes keep their form; counts are nullable integers (``Int64``), published averages
    ``Float64``. Raises :class:`~cases.core.errors.DataValidationError` naming
    ``data/raw/county_census.csv`` if a needed column is missing or a cell does not parse.
    """
    frame = load_table(CENSUS_TABLE, datapackage_path)
    needed = {c for i in INDICATORS for c in i.columns} | {"year", "unit_id", "pop_total"}
    _require(frame, sorted(needed), _source(CENSUS_TABLE))
    return frame


def load_crosswalk(datapackage_path: str = str(DATAPACKAGE)) -> pd.DataFrame:
    """The 2010-2020 crosswalk: one row per unit and year with its ``group_id``."""
    frame = load_table(CROSSWALK_TABLE, datapackage_path)
    _require(frame, ["year", "unit_id", "group_id", "group_type"], _source(CROSSWALK_TABLE))
    return frame


def load_poverty_counties(datapackage_path: str = str(DATAPACKAGE)) -> pd.DataFrame:
    """The 832 national poverty counties with exit year and ``census_unit_2020``."""
    frame = load_table(POVERTY_TABLE, datapackage_path)
    _require(frame, ["code", "census_unit_2020", "exit_year"], _source(POVERTY_TABLE))
    return frame


# ------------------------------------------------------------------ indicators


def _counts_for(frame: pd.DataFrame, chosen: Sequence[Indicator]) -> pd.DataFrame:
    """Float counts, plus ``<name>__product`` columns (value x weight) for weighted means."""
    columns = sorted({c for i in chosen for c in i.columns})
    out = frame[columns].astype("float64")
    for ind in chosen:
        if ind.kind == "weighted_mean":
            weight = _sum(out, ind.denominator)
            out[f"{ind.name}__weight"] = weight.where(out[ind.numerator[0]].notna())
            out[f"{ind.name}__product"] = out[ind.numerator[0]] * weight
    return out


def _sum(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    # Blank cells are skipped; a row whose columns are all blank stays blank.
    return frame[list(columns)].sum(axis=1, min_count=1)


def _evaluate(counts: pd.DataFrame, chosen: Sequence[Indicator]) -> pd.DataFrame:
    values = {}
    for ind in chosen:
        if ind.kind == "weighted_mean":
            num = counts[f"{ind.name}__product"]
            den = counts[f"{ind.name}__weight"]
        else:
            num = _sum(counts, ind.numerator)
            den = _sum(counts, ind.denominator)
        with np.errstate(divide="ignore", invalid="ignore"):
            values[ind.name] = (num / den).where(den > 0)
    return pd.DataFrame(values, index=counts.index)


def compute_indicators(frame: pd.DataFrame, names: Iterable[str] | None = None) -> pd.DataFrame:
    """Indicators for each row of ``frame`` (county rows, or rows of summed counts).

    Returns ``frame``'s non-count columns joined with one column per indicator. A ratio with a
    zero or blank denominator is missing (never 0). Raises :class:`KeyError` for an unknown
    indicator name and :class:`~cases.core.errors.DataValidationError` for a missing column.
    """
    chosen = _indicators(names)
    _require(frame, sorted({c for i in chosen for c in i.columns}), "census frame")
    values = _evaluate(_counts_for(frame, chosen), chosen)
    keys = [c for c in frame.columns if c == "year" or not pd.api.types.is_numeric_dtype(frame[c])]
    return pd.concat([frame[keys], values], axis=1)


def aggregate(
    frame: pd.DataFrame, by: str | Sequence[str], names: Iterable[str] | None = None
) -> pd.DataFrame:
    """Indicators of groups of rows, from summed counts.

    ``by`` names the grouping column(s) of ``frame`` (e.g. ``["year", "province_code"]``).
    Counts are summed within each group (blank cells skipped) before the ratios are formed, so
    a group's share is weighted by its denominator; weighted means use their weights. Returns
    one row per group with ``pop_total`` and the indicators.
    """
    by = [by] if isinstance(by, str) else list(by)
    chosen = _indicators(names)
    _require(frame, [*by, "pop_total"], "census frame")
    counts = _counts_for(frame, chosen)
    counts["pop_total"] = frame["pop_total"].astype("float64")
    counts = counts.loc[:, ~counts.columns.duplicated()]
    summed = counts.groupby([frame[b] for b in by], dropna=False).sum(min_count=1)
    result = _evaluate(summed, chosen)
    result.insert(0, "pop_total", summed["pop_total"])
    return result.reset_index()


# ------------------------------------------------------------------ crosswalk


def group_counts(census: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Counts summed over the crosswalk groups: one row per ``group_id`` and year.

    Every unit belongs to exactly one group in its year, so no resident is counted twice.
    Raises :class:`~cases.core.errors.DataValidationError` if a census unit has no crosswalk row or
    a
    unit appears twice.
    """
    keys = ["year", "unit_id"]
    dup = crosswalk.duplicated(keys)
    if dup.any():
        first = crosswalk.loc[dup, keys].iloc[0].tolist()
        raise DataValidationError(_source(CROSSWALK_TABLE), [f"unit {first} listed twice"])
    merged = census.merge(
        crosswalk[[*keys, "group_id", "group_type"]], on=keys, how="left", validate="1:1"
    )
    lost = merged["group_id"].isna()
    if lost.any():
        first = merged.loc[lost, keys].iloc[0].tolist()
        raise DataValidationError(
            _source(CROSSWALK_TABLE), [f"census unit {first} has no crosswalk row"]
        )
    counts = _counts_for(merged, INDICATORS)
    counts["pop_total"] = merged["pop_total"].astype("float64")
    counts = counts.loc[:, ~counts.columns.duplicated()]
    counts["n_units"] = 1.0
    summed = counts.groupby([merged["group_id"], merged["year"]]).sum(min_count=1)
    types = crosswalk.drop_duplicates("group_id").set_index("group_id")["group_type"]
    summed = summed.reset_index()
    summed.insert(2, "group_type", summed["group_id"].map(types))
    return summed


def group_poverty_status(crosswalk: pd.DataFrame, poverty: pd.DataFrame) -> pd.DataFrame:
    """For each crosswalk group: number of national poverty counties in it and their exit year.

    ``exit_year`` is the latest exit year of the group's poverty counties (a group exits when
    its last listed county does); missing for groups with none.
    """
    linked = poverty[poverty["census_unit_2020"].notna()]
    units = crosswalk[crosswalk["year"] == 2020].set_index("unit_id")["group_id"]
    missing = sorted(set(linked["census_unit_2020"]) - set(units.index))
    if missing:
        raise DataValidationError(
            _source(POVERTY_TABLE), [f"census_unit_2020 {m!r} not in crosswalk" for m in missing]
        )
    groups = linked.assign(group_id=linked["census_unit_2020"].map(units))
    status = groups.groupby("group_id").agg(
        n_poverty_counties=("code", "size"), exit_year=("exit_year", "max")
    )
    every = pd.Index(crosswalk["group_id"].unique(), name="group_id")
    status = status.reindex(every)
    status["n_poverty_counties"] = status["n_poverty_counties"].fillna(0).astype(int)
    status["on_list"] = status["n_poverty_counties"] > 0
    return status.reset_index()


def _levels_and_changes(out: pd.DataFrame, wide: pd.DataFrame, chosen: Sequence[Indicator]) -> None:
    """Add to ``out`` (in place) ``pop_2010``, ``pop_2020`` and for each indicator
    ``<name>_2010``, ``<name>_2020`` and ``<name>_change`` (2020 minus 2010), from ``wide``
    (columns ``(variable, year)``)."""
    out["pop_2010"] = wide[("pop_total", 2010)]
    out["pop_2020"] = wide[("pop_total", 2020)]
    for ind in chosen:
        out[f"{ind.name}_2010"] = wide[(ind.name, 2010)]
        out[f"{ind.name}_2020"] = wide[(ind.name, 2020)]
        out[f"{ind.name}_change"] = out[f"{ind.name}_2020"] - out[f"{ind.name}_2010"]


def long_differences(
    census: pd.DataFrame | None = None,
    crosswalk: pd.DataFrame | None = None,
    names: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Indicators in 2010 and 2020 and their change, for every group present in both years.

    Columns: ``group_id``, ``group_type``, ``name_2010`` and ``name_2020`` (member names joined
    by "+"), ``province_zh`` (2020), ``pop_2010``, ``pop_2020``, then for each indicator
    ``<name>_2010``, ``<name>_2020`` and ``<name>_change`` (2020 minus 2010, in the indicator's
    unit; for shares a change in proportion, x 100 for percentage points). Groups found in one
    year only are left out (see the crosswalk's ``group_type``).
    """
    census = load_census() if census is None else census
    crosswalk = load_crosswalk() if crosswalk is None else crosswalk
    chosen = _indicators(names)
    counts = group_counts(census, crosswalk)
    values = _evaluate(counts, chosen)
    values[["group_id", "year", "group_type", "pop_total"]] = counts[
        ["group_id", "year", "group_type", "pop_total"]
    ]
    wide = values.pivot_table(
        index=["group_id", "group_type"],
        columns="year",
        values=["pop_total", *[i.name for i in chosen]],
        aggfunc="first",
        dropna=False,
    )
    wide = wide[wide[("pop_total", 2010)].notna() & wide[("pop_total", 2020)].notna()]
    out = pd.DataFrame(index=wide.index)
    for year in YEARS:
        members = crosswalk[crosswalk["year"] == year].groupby("group_id")
        out[f"name_{year}"] = members["name_zh"].agg("+".join).reindex(wide.index, level=0)
    out["province_zh"] = members["province_zh"].first().reindex(wide.index, level=0)
    _levels_and_changes(out, wide, chosen)
    return out.reset_index()


# ------------------------------------------------------------------ comparisons


def analysis_frame(
    census: pd.DataFrame | None = None,
    crosswalk: pd.DataFrame | None = None,
    poverty: pd.DataFrame | None = None,
    names: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per crosswalk group present in both censuses, ready for comparisons.

    The columns of :func:`long_differences`, plus the group's 2020 ``province_code``,
    ``prefecture_code`` and ``prefecture_zh`` (those of its most populous 2020 member), its
    members' 2020 codes (``codes_2020``, joined by "+"), and from
    :func:`group_poverty_status` ``n_poverty_counties``, ``on_list`` (bool) and ``exit_year``
    (the latest exit year of its listed counties; missing if none).
    """
    census = load_census() if census is None else census
    crosswalk = load_crosswalk() if crosswalk is None else crosswalk
    poverty = load_poverty_counties() if poverty is None else poverty
    frame = long_differences(census, crosswalk, names)
    keys = ["year", "unit_id"]
    members = census.loc[census["year"] == 2020].merge(
        crosswalk[[*keys, "group_id"]], on=keys, how="inner", validate="1:1"
    )
    members = members.sort_values(["group_id", "pop_total"], ascending=[True, False])
    first = members.drop_duplicates("group_id").set_index("group_id")
    for column in ("province_code", "prefecture_code", "prefecture_zh"):
        frame[column] = frame["group_id"].map(first[column])
    codes = members.dropna(subset=["code"]).groupby("group_id")["code"].agg("+".join)
    frame["codes_2020"] = frame["group_id"].map(codes)
    status = group_poverty_status(crosswalk, poverty).set_index("group_id")
    frame["n_poverty_counties"] = frame["group_id"].map(status["n_poverty_counties"]).astype(int)
    frame["on_list"] = frame["n_poverty_counties"] > 0
    frame["exit_year"] = frame["group_id"].map(status["exit_year"]).astype("Int64")
    return frame


@dataclass(frozen=True)
class GapEstimate:
    """A difference with its cluster-robust 95 % interval.

    Attributes:
        estimate: the coefficient (in the outcome's unit; a share difference for shares).
        std_error: CR1 cluster-robust standard error.
        conf_low, conf_high: 95 % interval, ``estimate -/+ t(G-1, 0.975) * std_error``.
        p_value: two-sided, from the same t distribution with ``G - 1`` degrees of freedom.
        n_units: observations used; n_treated: of which treated; n_clusters: clusters G.
    """

    estimate: float
    std_error: float
    conf_low: float
    conf_high: float
    p_value: float
    n_units: int
    n_treated: int
    n_clusters: int

    @property
    def excludes_zero(self) -> bool:
        """True when the 95 % interval lies entirely above or below zero."""
        return bool(self.conf_low > 0 or self.conf_high < 0)

    def as_dict(self) -> dict[str, float | int | bool]:
        """The fields (and ``excludes_zero``) as plain Python values."""
        return {
            "estimate": float(self.estimate),
            "std_error": float(self.std_error),
            "conf_low": float(self.conf_low),
            "conf_high": float(self.conf_high),
            "p_value": float(self.p_value),
            "n_units": int(self.n_units),
            "n_treated": int(self.n_treated),
            "n_clusters": int(self.n_clusters),
            "excludes_zero": self.excludes_zero,
        }


def _cluster_ols(
    y: np.ndarray, x: np.ndarray, weights: np.ndarray | None, groups: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    import statsmodels.api as sm

    model = sm.WLS(y, x, weights=weights) if weights is not None else sm.OLS(y, x)
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    ci = np.asarray(fit.conf_int(0.05))
    return (
        np.asarray(fit.params),
        np.asarray(fit.bse),
        ci[:, 0],
        ci[:, 1],
        np.asarray(fit.pvalues),
    )


def poverty_gap(
    frame: pd.DataFrame,
    outcome: str,
    *,
    treated: str = "on_list",
    weights: str | None = None,
    fixed_effects: str | None = "province_code",
    cluster: str = "prefecture_code",
    controls: Sequence[str] = (),
) -> GapEstimate:
    """The gap in ``outcome`` between treated units (e.g. poverty counties) and the others.

    Fits ``y_i = a + b D_i + c' x_i + province_i + e_i`` by OLS, or by WLS with weights
    ``w_i`` (e.g. resident population, so the gap compares residents rather than counties), and
    returns ``b``. With ``fixed_effects`` (a column of group labels) the comparison is within
    those groups, and only groups holding both treated and untreated units are kept (the others
    carry no information about ``b``). The fixed effects are absorbed by subtracting (weighted)
    group means from ``y``, ``D`` and ``x`` (Frisch-Waugh-Lovell: the same ``b`` as with group
    dummies). Standard errors are cluster-robust by ``cluster`` with the CR1 small-sample factor
    ``G/(G-1) * (N-1)/(N-K)`` (statsmodels ``cov_type="cluster"``, as Stata's
    ``vce(cluster)``); ``K`` counts ``D`` and the controls but not the absorbed effects, which
    are nested in the clusters when provinces hold whole prefectures (the default of R's fixest,
    ``fixef.K = "nested"``). Intervals and p-values use a t distribution with ``G - 1`` degrees
    of freedom, where ``G`` is the number of clusters. Rows with a missing outcome,
    weight or control are dropped.

    Raises:
        ValueError: a named column is missing, no treated or no untreated unit is left, or
            fewer than two clusters remain.
    """
    needed = [outcome, treated, cluster, *controls]
    needed += [weights] if weights else []
    needed += [fixed_effects] if fixed_effects else []
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"poverty_gap: column(s) {missing} not in the frame")
    data = frame[needed].copy()
    data[treated] = data[treated].astype(bool)
    numeric = [outcome, *controls, *([weights] if weights else [])]
    data[numeric] = data[numeric].astype("float64")
    data = data.dropna()
    if weights:
        data = data[data[weights] > 0]
    if fixed_effects:
        mixed = data.groupby(fixed_effects)[treated].transform(lambda d: 0 < d.mean() < 1)
        data = data[mixed.astype(bool)]
    n_treated = int(data[treated].sum())
    if n_treated == 0 or n_treated == len(data):
        raise ValueError(f"poverty_gap: no contrast in {treated!r} for {outcome!r}")
    groups = pd.factorize(data[cluster].astype(str))[0]
    n_clusters = int(groups.max()) + 1
    if n_clusters < 2:
        raise ValueError("poverty_gap: fewer than two clusters")
    w = data[weights].to_numpy(dtype=float) if weights else None
    columns = [treated, *controls]
    design = data[columns].astype(float)
    y = data[outcome].astype(float)
    if fixed_effects:
        # Absorb the fixed effects: subtract (weighted) group means (Frisch-Waugh-Lovell).
        wts = pd.Series(w if w is not None else 1.0, index=data.index)
        labels = data[fixed_effects].astype(str)

        def _within(frame: pd.DataFrame) -> pd.DataFrame:
            means = frame.mul(wts, axis=0).groupby(labels).transform("sum")
            return frame - means.div(wts.groupby(labels).transform("sum"), axis=0)

        design = _within(design)
        y = _within(y.to_frame())[outcome]
    else:
        design.insert(0, "const", 1.0)
    params, bse, low, high, pvalues = _cluster_ols(
        y.to_numpy(dtype=float), design.to_numpy(dtype=float), w, groups
    )
    at = columns.index(treated) + (0 if fixed_effects else 1)
    return GapEstimate(
        float(params[at]),
        float(bse[at]),
        float(low[at]),
        float(high[at]),
        float(pvalues[at]),
        len(data),
        n_treated,
        n_clusters,
    )


def percentile_ranks(values: pd.Series, by: pd.Series | None = None) -> pd.Series:
    """Mid-rank percentile of each value within its group (or among all values).

    ``P_i = 100 * (#{j: v_j < v_i} + 0.5 * #{j: v_j = v_i}) / n`` over the ``n`` non-missing
    values of the group (ties share a percentile; i itself counts as one of the ties), so
    ``0 < P_i < 100``. Missing values get a missing percentile.
    """
    values = values.astype("float64")

    def _one(v: pd.Series) -> pd.Series:
        n = v.notna().sum()
        return 100.0 * (v.rank(method="average") - 0.5) / n

    if by is None:
        return _one(values)
    return values.groupby(by, dropna=False, group_keys=False).apply(_one).reindex(values.index)


def match_within_province(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    *,
    treated: str = "on_list",
    by: str = "province_code",
) -> pd.DataFrame:
    """Nearest-neighbour match (one control, with replacement) for each treated unit.

    Controls are untreated units of the same ``by`` group (province). The distance is Euclidean
    on covariates standardised by their standard deviation over all rows with complete values:
    ``d(i, j) = sqrt(sum_k ((x_ik - x_jk) / s_k)^2)``. Treated units in a group with no control,
    or with a missing covariate, are not matched. Returns one row per matched treated unit with
    ``treated_index``, ``control_index`` (index labels of ``frame``) and ``distance``.
    """
    data = frame[[treated, by, *covariates]].dropna()
    x = data[list(covariates)].astype("float64")
    z = (x - x.mean()) / x.std(ddof=1)
    rows = []
    for _, part in data.groupby(by):
        flag = part[treated].astype(bool)
        if not flag.any() or flag.all():
            continue
        zt = z.loc[part.index[flag]].to_numpy()
        zc = z.loc[part.index[~flag]].to_numpy()
        dist = np.sqrt(((zt[:, None, :] - zc[None, :, :]) ** 2).sum(axis=2))
        best = dist.argmin(axis=1)
        controls = part.index[~flag][best]
        for t, c, d in zip(part.index[flag], controls, dist.min(axis=1), strict=True):
            rows.append((t, c, float(d)))
    return pd.DataFrame(rows, columns=["treated_index", "control_index", "distance"])


def matched_difference(
    frame: pd.DataFrame,
    pairs: pd.DataFrame,
    outcome: str,
    *,
    cluster: str = "prefecture_code",
) -> GapEstimate:
    """Mean difference in ``outcome`` between matched treated units and their controls.

    ``tau = (1/n) sum_i (y_i - y_m(i))`` over the pairs of :func:`match_within_province`. Its
    interval treats the matches as fixed: CR1 cluster-robust on the treated unit's ``cluster``
    (the pair differences regressed on a constant), with ``G - 1`` degrees of freedom. It
    ignores the uncertainty of choosing the matches and the reuse of controls, so it is
    narrower than an Abadie-Imbens interval would be.

    Raises:
        ValueError: no pair has both outcomes.
    """
    y_t = frame.loc[pairs["treated_index"], outcome].to_numpy(dtype=float)
    y_c = frame.loc[pairs["control_index"], outcome].to_numpy(dtype=float)
    diff = y_t - y_c
    keep = ~np.isnan(diff)
    if not keep.any():
        raise ValueError(f"matched_difference: no complete pair for {outcome!r}")
    clusters = frame.loc[pairs["treated_index"], cluster].astype(str).to_numpy()[keep]
    groups = pd.factorize(clusters)[0]
    params, bse, low, high, pvalues = _cluster_ols(
        diff[keep], np.ones((int(keep.sum()), 1)), None, groups
    )
    return GapEstimate(
        float(params[0]),
        float(bse[0]),
        float(low[0]),
        float(high[0]),
        float(pvalues[0]),
        int(keep.sum()),
        int(keep.sum()),
        int(groups.max()) + 1,
    )


def aggregate_groups(
    keys: pd.Series,
    census: pd.DataFrame | None = None,
    crosswalk: pd.DataFrame | None = None,
    names: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Indicators of sets of crosswalk groups in 2010 and 2020, from summed counts.

    ``keys`` maps ``group_id`` (its index) to a label (a prefecture, an exit cohort…); groups
    without a label are left out. Counts are summed over the groups of each label in each
    year before the ratios are formed (so a share is household- or person-weighted), giving
    one row per label with ``n_groups``, ``pop_2010``, ``pop_2020`` and for each indicator
    ``<name>_2010``, ``<name>_2020`` and ``<name>_change``.
    """
    census = load_census() if census is None else census
    crosswalk = load_crosswalk() if crosswalk is None else crosswalk
    chosen = _indicators(names)
    counts = group_counts(census, crosswalk)
    counts["key"] = counts["group_id"].map(keys)
    counts = counts.dropna(subset=["key"])
    numeric = counts.drop(columns=["group_id", "group_type", "key", "year"])
    summed = numeric.groupby([counts["key"], counts["year"]]).sum(min_count=1)
    values = _evaluate(summed, chosen)
    values["pop_total"] = summed["pop_total"]
    wide = values.unstack("year")  # noqa: PD010 (a MultiIndex of key and year)
    out = pd.DataFrame(index=wide.index)
    out["n_groups"] = keys.dropna().value_counts().reindex(out.index)
    _levels_and_changes(out, wide, chosen)
    out.index.name = "key"
    return out.reset_index()


def map_feature(frame: pd.DataFrame, features: pd.DataFrame) -> pd.Series:
    """The map feature (prefecture polygon) of each row of ``frame`` (an analysis frame).

    ``features`` has ``prefecture_code`` and ``prefecture_zh`` per polygon. Rule, first match
    wins: the row's ``prefecture_code``; the code of its first 2020 member (county-level units
    drawn as their own polygon, e.g. the province-administered counties of Hubei and Hainan);
    its prefecture name when that name is unique among the features; the province's first
    prefecture code (``xx0100``, e.g. Chongqing's counties). Missing when none applies.
    """
    codes = set(features["prefecture_code"])
    names = features.drop_duplicates("prefecture_zh", keep=False)
    by_name = names.set_index("prefecture_zh")["prefecture_code"]

    def _one(row: pd.Series) -> str | None:
        first = str(row["codes_2020"]).split("+")[0]
        candidates = [
            row["prefecture_code"],
            first,
            by_name.get(row["prefecture_zh"]),
            str(row["province_code"])[:2] + "0100",
        ]
        return next((c for c in candidates if c in codes), None)

    return frame.apply(_one, axis=1)


def crosswalk_coverage(census: pd.DataFrame, crosswalk: pd.DataFrame) -> dict[str, float]:
    """Share of each census year's residents who live in units followed into the other year.

    ``matched_share_<year> = sum of pop_total over units whose crosswalk group exists in both
    censuses / sum of pop_total over all units of that year`` (a proportion). Units only in one
    census (``group_type`` ``only_2010`` or ``only_2020``) are the unmatched ones.

    Raises:
        DataValidationError: a column is missing from either table.
    """
    _require(census, ["year", "unit_id", "pop_total"], "county_census")
    _require(crosswalk, ["year", "unit_id", "group_type"], "census_crosswalk")
    keys = ["year", "unit_id"]
    joined = census[[*keys, "pop_total"]].merge(
        crosswalk[[*keys, "group_type"]], on=keys, how="left", validate="one_to_one"
    )
    matched = ~joined["group_type"].isin(["only_2010", "only_2020"])
    out = {}
    for year, part in joined.groupby("year"):
        out[f"matched_share_{year}"] = float(
            part.loc[matched[part.index], "pop_total"].sum() / part["pop_total"].sum()
        )
    return out


def crosswalk_exceptions(crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Every unit that is not followed one to one between the censuses: merged, split,
    pooled (many to many) or present in one census only, with its group, how it was matched
    and the manual rule used (if any), ordered by province, group, year and code.

    Raises:
        DataValidationError: a column is missing.
    """
    columns = ["year", "code", "name_zh", "province_zh", "group_id", "group_type"]
    _require(crosswalk, [*columns, "match_method", "rule_id"], "census_crosswalk")
    rows = crosswalk[crosswalk["group_type"] != "one_to_one"]
    return rows.sort_values(["province_zh", "group_id", "year", "code"]).reset_index(drop=True)[
        [*columns, "match_method", "rule_id"]
    ]
