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

from cases.errors import DataValidationError
from cases.public_data import DATAPACKAGE, load_table

__all__ = [
    "CENSUS_TABLE",
    "CROSSWALK_TABLE",
    "INDICATORS",
    "POVERTY_TABLE",
    "Indicator",
    "aggregate",
    "compute_indicators",
    "group_counts",
    "group_poverty_status",
    "load_census",
    "load_crosswalk",
    "load_poverty_counties",
    "long_differences",
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
INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "urban_share",
        ("pop_urban",),
        ("pop_total",),
        "share",
        "Urban residents / resident population.",
    ),
    Indicator(
        "aged_65plus_share",
        ("pop_65plus",),
        ("pop_total",),
        "share",
        "Residents aged 65 and over / resident population (full-count age bands).",
    ),
    Indicator(
        "household_size",
        ("family_household_pop",),
        ("family_households",),
        "persons per household",
        "Persons in family households / family households.",
    ),
    Indicator(
        "illiteracy_rate",
        ("illiterate_15plus",),
        ("pop_15plus",),
        "share",
        "Illiterate residents aged 15+ / residents aged 15+ (both full counts).",
    ),
    Indicator(
        "junior_secondary_plus_share",
        ("edu_junior", "edu_senior", "edu_college", "edu_bachelor_plus"),
        EDUCATION,
        "share",
        "Residents whose highest attainment is junior secondary or above / residents in the "
        "attainment table (aged 6 and over; 2020 includes a pre-school category).",
    ),
    Indicator(
        "tertiary_share",
        ("edu_college", "edu_bachelor_plus"),
        EDUCATION,
        "share",
        "Residents with junior college or a degree / residents in the attainment table.",
    ),
    Indicator(
        "mean_years_schooling",
        ("mean_years_schooling",),
        EDUCATION,
        "years",
        "Average years of schooling as published; combined across units weighted by the "
        "residents in the attainment table.",
        kind="weighted_mean",
    ),
    Indicator(
        "tap_water_share",
        ("hh_tap_water",),
        _HH,
        "share",
        "Households with piped tap water in the dwelling / long-form family households.",
    ),
    Indicator(
        "kitchen_share",
        ("hh_kitchen",),
        _HH,
        "share",
        "Households with a kitchen in the dwelling / long-form family households.",
    ),
    Indicator(
        "toilet_share",
        ("hh_toilet",),
        _HH,
        "share",
        "Households with a toilet in the dwelling / long-form family households.",
    ),
    Indicator(
        "bathing_share",
        ("hh_bathing",),
        _HH,
        "share",
        "Households with a bathing facility in the dwelling / long-form family households.",
    ),
)
_BY_NAME = {i.name: i for i in INDICATORS}


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
    ``Float64``. Raises :class:`~cases.errors.DataValidationError` naming
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
    indicator name and :class:`~cases.errors.DataValidationError` for a missing column.
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
    Raises :class:`~cases.errors.DataValidationError` if a census unit has no crosswalk row or a
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
    out["pop_2010"] = wide[("pop_total", 2010)]
    out["pop_2020"] = wide[("pop_total", 2020)]
    for ind in chosen:
        out[f"{ind.name}_2010"] = wide[(ind.name, 2010)]
        out[f"{ind.name}_2020"] = wide[(ind.name, 2020)]
        out[f"{ind.name}_change"] = out[f"{ind.name}_2020"] - out[f"{ind.name}_2010"]
    return out.reset_index()
