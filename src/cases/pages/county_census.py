"""Page "What the censuses show about the poverty counties" (``notebooks/county_census``).

Facts only, no sentences: :func:`build` returns the numbers, facts, tables and figures of the
chapter, and :func:`standing` the few numbers a case's area-context page links to. The words
are in ``text/county_census.md`` and ``text/area_context.md``.

Units of analysis are the groups of the 2010-2020 crosswalk present in both censuses
(:func:`cases.methods.census.analysis_frame`): a county-level unit, or a set of units merged
or split between the censuses. A group is *listed* when it holds one of the 832 national
poverty counties. Shares are proportions in [0, 1] (the text prints them in percent and gaps
in percentage points); schooling is in years.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from functools import cache
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cases.core import paths
from cases.data.public_data import load_table
from cases.methods import census
from cases.present import layout, report
from cases.present.maps import choropleth
from cases.present.page import Page
from cases.present.text import FORMATS

__all__ = [
    "CASE_OF_PREFECTURE",
    "KEY_INDICATORS",
    "SOURCE",
    "build",
    "case_area_indicators",
    "standing",
]

#: The provenance line of every exhibit of the chapter.
SOURCE = (
    "Source: 2010 and 2020 population censuses, county tables compiled by Dong, Du and Liu (2022)"
)
#: Short key (glue names) -> indicator; the first four are discussed in the text.
KEY_INDICATORS: dict[str, str] = {
    "tap": "tap_water_share",
    "toilet": "toilet_share",
    "illit": "illiteracy_rate",
    "school": "mean_years_schooling",
}
#: Indicators of the gap table, in order, with their short labels.
TABLE_INDICATORS: dict[str, str] = {
    "tap_water_share": "Tap water in dwelling",
    "kitchen_share": "Kitchen in dwelling",
    "toilet_share": "Toilet in dwelling",
    "bathing_share": "Bathing facility in dwelling",
    "illiteracy_rate": "Illiterate, aged 15+",
    "mean_years_schooling": "Mean years of schooling",
    "junior_secondary_plus_share": "Junior secondary or above",
    "household_size": "Persons per family household",
    "urban_share": "Urban residents",
    "aged_65plus_share": "Aged 65 and over",
}
#: 2010 characteristics the matched comparison balances within province.
MATCH_ON: tuple[str, ...] = (
    "tap_water_share_2010",
    "toilet_share_2010",
    "illiteracy_rate_2010",
    "mean_years_schooling_2010",
    "urban_share_2010",
)
#: Which case each case-area prefecture belongs to (``case_area_counties.prefecture_en``).
CASE_OF_PREFECTURE: dict[str, str] = {
    "Liupanshui": "liupanshui",
    "Pingliang": "pingliang",
    "Kaifeng": "h_county",
    "Linyi": "h_county",
    "Binzhou": "h_county",
}
#: Prefectures outlined on the map (case areas and the benchmarks' prefectures).
CASE_PREFECTURES: tuple[str, ...] = ("520200", "620800", "410200", "371300", "371600")
#: Column headers of the table of units not followed one to one between the censuses.
CROSSWALK_HEADERS: dict[str, str] = {
    "year": "Census",
    "code": "Code",
    "name_zh": "Unit",
    "province_zh": "Province",
    "group_id": "Area",
    "group_type": "Kind",
    "match_method": "Matched by",
    "rule_id": "Manual rule",
}
COHORTS: tuple[int, ...] = (2016, 2017, 2018, 2019, 2020)
_CASE_COLOURS = {"liupanshui": report.PALETTE[3], "pingliang": report.PALETTE[2]}
_CASE_COLOURS["h_county"] = report.PALETTE[4]
_CASE_LABELS = {"liupanshui": "Liupanshui", "pingliang": "Pingliang", "h_county": "H County"}


def _crosswalk_display(exceptions: pd.DataFrame) -> pd.DataFrame:
    """The crosswalk exceptions as a reader reads them: kinds and matching methods in words
    (``many_to_many`` -> ``many to many``, ``rule:<id>`` -> ``manual rule``), rule ids as
    names (``shanghai_huangpu`` -> ``Shanghai Huangpu``)."""
    shown = exceptions.copy()
    method = shown["match_method"].str.replace(r"^rule:.*$", "manual rule", regex=True)
    shown["match_method"] = method.str.replace("_", " ")
    shown["group_type"] = shown["group_type"].str.replace("_", " ")
    shown["rule_id"] = shown["rule_id"].str.replace("_", " ").str.title()
    return shown


def _scale(indicator: str) -> float:
    """Display scale: shares in percent (points for gaps), other units as they are."""
    return 100.0 if census.INDICATORS_BY_NAME[indicator].is_share else 1.0


def _gap_numbers(key: str, estimate: census.GapEstimate) -> dict[str, float]:
    return {key: estimate.estimate, f"{key}_lo": estimate.conf_low, f"{key}_hi": estimate.conf_high}


def _interval(estimate: census.GapEstimate, scale: float) -> str:
    fmt = FORMATS["dec1"] if scale == 100.0 else FORMATS["dec2"]
    return (
        f"{fmt(estimate.estimate * scale)} "
        f"[{fmt(estimate.conf_low * scale)}, {fmt(estimate.conf_high * scale)}]"
    )


@cache
def _frame() -> pd.DataFrame:
    return census.analysis_frame()


def _case_counties() -> pd.DataFrame:
    """Case-area counties with case slug, short name and key, linked to their crosswalk group."""
    counties = load_table("case_area_counties").copy()
    counties["case"] = counties["prefecture_en"].map(CASE_OF_PREFECTURE)
    counties["short"] = counties["name_en"].str.extract(r"^([A-Za-z]+)", expand=False)
    counties["key"] = counties["short"].str.lower()
    frame = _frame()
    by_code = {
        code: gid
        for gid, codes in zip(frame["group_id"], frame["codes_2020"], strict=True)
        for code in str(codes).split("+")
    }
    counties["group_id"] = counties["code_2020"].astype(str).map(by_code)
    return counties.dropna(subset=["case", "group_id"]).reset_index(drop=True)


def _percentiles(frame: pd.DataFrame, indicators: Sequence[str]) -> pd.DataFrame:
    """National and provincial mid-rank percentiles of every group, both years."""
    out = pd.DataFrame(index=frame.index)
    for ind in indicators:
        for year in census.YEARS:
            column = f"{ind}_{year}"
            out[f"{column}_pct_national"] = census.percentile_ranks(frame[column])
            out[f"{column}_pct_province"] = census.percentile_ranks(
                frame[column], frame["province_code"]
            )
    return out


# --------------------------------------------------------------------------- comparisons


def _gaps(frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any], pd.DataFrame]:
    """Within-province gaps of every table indicator; numbers and facts for the key ones."""
    numbers: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    rows = []
    weights = {"county": {}, "pop": {"2010": "pop_2010", "2020": "pop_2020", "change": "pop_2010"}}
    for ind, label in TABLE_INDICATORS.items():
        scale = _scale(ind)
        key = next((k for k, v in KEY_INDICATORS.items() if v == ind), None)
        for wname, wmap in weights.items():
            row = {"Indicator": label, "Weights": "counties" if wname == "county" else "residents"}
            found = {}
            for period in ("2010", "2020", "change"):
                est = census.poverty_gap(frame, f"{ind}_{period}", weights=wmap.get(period))
                found[period] = est
                head = "Change of gap" if period == "change" else f"Gap {period}"
                row[head] = _interval(est, scale)
            rows.append(row)
            if key is None:
                continue
            for period, est in found.items():
                name = f"gap_{key}_{period}_{wname}"
                numbers.update(_gap_numbers(name, est))
                facts[f"{name}_sig"] = est.excludes_zero
            facts[f"gap_{key}_{wname}_narrowed"] = bool(
                abs(found["2020"].estimate) < abs(found["2010"].estimate)
            )
    ref = census.poverty_gap(frame, "tap_water_share_2010")
    numbers["n_within_units"] = ref.n_units
    numbers["n_within_listed"] = ref.n_treated
    numbers["n_within_clusters"] = ref.n_clusters
    mixed = frame.groupby("province_code")["on_list"].agg(lambda s: 0 < s.mean() < 1)
    numbers["n_within_provinces"] = int(mixed.sum())
    for year in census.YEARS:
        raw = census.poverty_gap(frame, f"tap_water_share_{year}", fixed_effects=None)
        numbers.update(_gap_numbers(f"gap_tap_{year}_national", raw))
    return numbers, facts, pd.DataFrame(rows)


def _levels(frame: pd.DataFrame) -> tuple[dict[str, Any], pd.DataFrame]:
    """County means of the table indicators by list status and year (unweighted)."""
    numbers: dict[str, Any] = {}
    rows = []
    for ind, label in TABLE_INDICATORS.items():
        scale = _scale(ind)
        row: dict[str, Any] = {"Indicator": label}
        for year in census.YEARS:
            means = frame.groupby("on_list")[f"{ind}_{year}"].mean()
            row[f"Listed {year}"] = means[True] * scale
            row[f"Other {year}"] = means[False] * scale
        rows.append(row)
    for key, ind in KEY_INDICATORS.items():
        for year in census.YEARS:
            means = frame.groupby("on_list")[f"{ind}_{year}"].mean()
            numbers[f"mean_{key}_{year}_listed"] = float(means[True])
            numbers[f"mean_{key}_{year}_other"] = float(means[False])
    return numbers, pd.DataFrame(rows)


def _matched(frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any], pd.DataFrame]:
    """Listed groups against their nearest unlisted neighbour of 2010 in the same province."""
    pairs = census.match_within_province(frame, MATCH_ON)
    numbers: dict[str, Any] = {"match_n": len(pairs)}
    numbers["match_n_controls"] = int(pairs["control_index"].nunique())
    numbers["match_median_distance"] = float(pairs["distance"].median())
    facts: dict[str, Any] = {}
    rows = []
    for key, ind in KEY_INDICATORS.items():
        scale = _scale(ind)
        level = census.matched_difference(frame, pairs, f"{ind}_2010")
        change = census.matched_difference(frame, pairs, f"{ind}_change")
        adjusted = census.poverty_gap(frame, f"{ind}_change", controls=MATCH_ON)
        numbers.update(_gap_numbers(f"match_{key}_2010", level))
        numbers.update(_gap_numbers(f"match_{key}_change", change))
        numbers.update(_gap_numbers(f"adj_{key}_change", adjusted))
        facts[f"match_{key}_2010_sig"] = level.excludes_zero
        facts[f"match_{key}_change_sig"] = change.excludes_zero
        facts[f"adj_{key}_change_sig"] = adjusted.excludes_zero
        rows.append(
            {
                "Indicator": TABLE_INDICATORS[ind],
                "2010 difference after matching": _interval(level, scale),
                "Change: matched": _interval(change, scale),
                "Change: regression-adjusted": _interval(adjusted, scale),
            }
        )
    return numbers, facts, pd.DataFrame(rows)


def _cohorts(frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any], pd.DataFrame]:
    """Tap-water and toilet shares by exit cohort, pooled (household-weighted)."""
    labels = frame.set_index("group_id")["exit_year"].astype("string").fillna("other")
    pooled = census.aggregate_groups(labels, names=["tap_water_share", "toilet_share"])
    pooled = pooled.set_index("key")
    numbers: dict[str, Any] = {}
    for label, row in pooled.iterrows():
        for ind, key in (("tap_water_share", "tap"), ("toilet_share", "toilet")):
            for year in census.YEARS:
                numbers[f"cohort_{key}_{label}_{year}"] = float(row[f"{ind}_{year}"])
        numbers[f"cohort_n_{label}"] = int(row["n_groups"])
    first, last = str(COHORTS[0]), str(COHORTS[-1])
    start = [pooled.loc[str(c), "tap_water_share_2010"] for c in COHORTS]
    end = [pooled.loc[str(c), "tap_water_share_2020"] for c in COHORTS]
    numbers["cohort_tap_2020_spread"] = float(max(end) - min(end))
    numbers["cohort_tap_2020_min"] = float(min(end))
    numbers["cohort_tap_2020_max"] = float(max(end))
    facts = {
        "cohort_last_started_lower": bool(start[-1] < start[0]),
        "cohort_monotone": bool(all(a > b for a, b in itertools.pairwise(start))),
        "cohort_all_below_other_2020": bool(max(end) < pooled.loc["other", "tap_water_share_2020"]),
        "cohort_first": first,
        "cohort_last": last,
    }
    return numbers, facts, pooled.reset_index()


# --------------------------------------------------------------------------- case areas


def _case_tables(
    frame: pd.DataFrame, counties: pd.DataFrame
) -> tuple[dict[str, Any], dict[str, Any], dict[str, pd.DataFrame]]:
    indicators = list(KEY_INDICATORS.values())
    ranks = _percentiles(frame, indicators)
    ranked = pd.concat([frame, ranks], axis=1).set_index("group_id")
    numbers: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    tables: dict[str, pd.DataFrame] = {}
    for case, members in counties.groupby("case", sort=False):
        rows = []
        for _, county in members.iterrows():
            g = ranked.loc[county["group_id"]]
            for key, ind in KEY_INDICATORS.items():
                scale = _scale(ind)
                row = {"County": county["short"], "Indicator": TABLE_INDICATORS[ind]}
                for year in census.YEARS:
                    value = float(g[f"{ind}_{year}"])
                    nat = float(g[f"{ind}_{year}_pct_national"])
                    prov = float(g[f"{ind}_{year}_pct_province"])
                    row[f"{year} value"] = value * scale
                    row[f"{year} pct. China"] = nat
                    row[f"{year} pct. province"] = prov
                    base = f"case_{county['key']}_{key}_{year}"
                    numbers[base] = value
                    numbers[f"{base}_pct"] = nat
                    numbers[f"{base}_pct_prov"] = prov
                rows.append(row)
        tables[f"case_{case}"] = pd.DataFrame(rows)
        group = ranked.loc[members["group_id"]]
        for year in census.YEARS:
            pct = group[f"tap_water_share_{year}_pct_national"]
            numbers[f"case_{case}_tap_{year}_pct_min"] = float(pct.min())
            numbers[f"case_{case}_tap_{year}_pct_max"] = float(pct.max())
            facts[f"case_{case}_tap_{year}_all_below_median"] = bool((pct < 50).all())
            school = group[f"mean_years_schooling_{year}_pct_national"]
            numbers[f"case_{case}_school_{year}_pct_min"] = float(school.min())
            numbers[f"case_{case}_school_{year}_pct_max"] = float(school.max())
            facts[f"case_{case}_school_{year}_all_below_median"] = bool((school < 50).all())
        numbers[f"case_{case}_n"] = len(members)
        numbers[f"case_{case}_n_listed"] = int(members["on_national_list"].astype(bool).sum())
    return numbers, facts, tables


def standing(case: str) -> Page:
    """The numbers an area-context page shows from this chapter, for ``case``.

    For a case with counties in ``case_area_counties`` (Liupanshui, Pingliang, H County's
    benchmarks): per county (``<key>``) the tap-water share in 2010 and 2020 and its national
    percentile (``tap_<year>_<key>``, ``tap_<year>_pct_<key>``), and the lowest and highest
    national percentile among the case's counties. Facts: ``case``, ``placed`` (False for
    the anonymised towns), ``target`` (the label of the case's rows in the chapter) and
    ``counties`` (short name, key and the two tap-water shares of each county, the same values
    as the numbers, for listing them in order). Percentiles as in
    :func:`cases.methods.census.percentile_ranks` (0-100).
    """
    counties = _case_counties()
    members = counties[counties["case"] == case]
    target = "census-case-" + case.replace("_", "-")
    page = Page(facts={"case": case, "placed": not members.empty, "counties": [], "target": target})
    if members.empty:
        return page
    frame = _frame()
    ranks = _percentiles(frame, ["tap_water_share"])
    ranked = pd.concat([frame, ranks], axis=1).set_index("group_id")
    for _, county in members.iterrows():
        g = ranked.loc[county["group_id"]]
        key = county["key"]
        for year in census.YEARS:
            page.numbers[f"tap_{year}_{key}"] = float(g[f"tap_water_share_{year}"])
            page.numbers[f"tap_{year}_pct_{key}"] = float(g[f"tap_water_share_{year}_pct_national"])
        page.facts["counties"].append(
            {
                "short": county["short"],
                "key": key,
                "tap_2010": page.numbers[f"tap_2010_{key}"],
                "tap_2020": page.numbers[f"tap_2020_{key}"],
            }
        )
    group = ranked.loc[members["group_id"]]
    for year in census.YEARS:
        pct = group[f"tap_water_share_{year}_pct_national"]
        page.numbers[f"tap_{year}_pct_min"] = float(pct.min())
        page.numbers[f"tap_{year}_pct_max"] = float(pct.max())
    return page


def case_area_indicators(
    indicators: Sequence[str] = ("tap_water_share", "mean_years_schooling"),
) -> pd.DataFrame:
    """The census standing of each case's named counties, for the cross-case joint display.

    One row per case that has county-level units in ``case_area_counties`` (the anonymised
    towns have none): ``case``, ``n_counties``, ``n_listed`` (on the national list of 832),
    and for each indicator and census year the lowest and highest national percentile among
    the case's counties (``<indicator>_<year>_pct_min`` / ``_pct_max``, mid-rank percentiles
    of :func:`cases.methods.census.percentile_ranks`, 0-100) and the unweighted mean value
    (``<indicator>_<year>_mean``; shares are proportions). Units are the crosswalk groups of
    :func:`cases.methods.census.analysis_frame`.
    """
    counties = _case_counties()
    frame = _frame()
    ranks = _percentiles(frame, list(indicators))
    ranked = pd.concat([frame, ranks], axis=1).set_index("group_id")
    rows = []
    for case, members in counties.groupby("case", sort=False):
        group = ranked.loc[members["group_id"]]
        row: dict[str, Any] = {
            "case": case,
            "n_counties": len(members),
            "n_listed": int(members["on_national_list"].astype(bool).sum()),
        }
        for ind in indicators:
            for year in census.YEARS:
                pct = group[f"{ind}_{year}_pct_national"]
                row[f"{ind}_{year}_pct_min"] = float(pct.min())
                row[f"{ind}_{year}_pct_max"] = float(pct.max())
                row[f"{ind}_{year}_mean"] = float(group[f"{ind}_{year}"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- figures


#: Panels of the distribution figure: indicator, display scale, bin edges, axis label.
_DISTRIBUTION_PANELS = (
    ("tap_water_share", 100.0, np.linspace(0, 100, 26), "Households with tap water (%)"),
    ("mean_years_schooling", 1.0, np.linspace(3, 14, 23), "Mean years of schooling"),
)


def _distribution_figure(frame: pd.DataFrame, counties: pd.DataFrame) -> mpl.figure.Figure:
    """Histograms (density) of listed and other areas, 2010 and 2020, case counties as ticks
    in a band above the bars (the y axis is extended so the band holds no bars); one legend
    under the panels."""
    fig, axes = plt.subplots(
        2, 2, figsize=(report.COLUMN_WIDTH_IN, 6.8), sharey="row", sharex="row"
    )
    n_cases = counties["case"].nunique()
    band = 0.08 * n_cases + 0.04
    by_group = frame.set_index("group_id")
    for row, (ind, scale, bins, xlabel) in zip(axes, _DISTRIBUTION_PANELS, strict=True):
        for ax, year in zip(row, census.YEARS, strict=True):
            column = f"{ind}_{year}"
            for listed, colour, label in (
                (False, report.PALETTE[0], "Other counties"),
                (True, report.PALETTE[1], "Poverty counties"),
            ):
                values = frame.loc[frame["on_list"] == listed, column].dropna() * scale
                ax.hist(
                    values,
                    bins=bins,
                    density=True,
                    histtype="step",
                    lw=1.8,
                    color=colour,
                    label=label,
                )
            for i, (case, members) in enumerate(counties.groupby("case", sort=False)):
                values = by_group.loc[members["group_id"], column] * scale
                ax.plot(
                    values,
                    np.full(len(values), 0.96 - 0.08 * i),
                    "|",
                    ms=9,
                    mew=2,
                    color=_CASE_COLOURS[case],
                    label=_CASE_LABELS[case],
                    transform=ax.get_xaxis_transform(),
                )
            ax.set_title(str(year), loc="left")
            ax.set_xlabel(xlabel)
        row[0].set_ylabel("Density (areas)")
        low, high = row[0].get_ylim()
        row[0].set_ylim(low, low + (high - low) / (1.0 - band))
    layout.legend_outside(fig, "below", ncols=3)
    report.label_figure(fig, simulated=False, source=SOURCE)
    return fig


def _cohort_figure(pooled: pd.DataFrame) -> mpl.figure.Figure:
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    labels = [str(c) for c in COHORTS] + ["other"]
    shown: list[float] = []
    colours = mpl.colormaps["viridis"](np.linspace(0.0, 0.85, len(COHORTS)))
    table = pooled.set_index("key")
    for i, label in enumerate(labels):
        y = table.loc[label, ["tap_water_share_2010", "tap_water_share_2020"]].to_numpy() * 100
        shown.extend(float(v) for v in y)
        other = label == "other"
        colour = "black" if other else colours[i]
        ax.plot(
            [0, 1], y, marker="o", color=colour, lw=2.4 if other else 1.6, ls="--" if other else "-"
        )
        ax.lines[-1].set_label("Not listed" if other else f"Exit {label}")
    ax.set_xticks([0, 1], ["2010", "2020"])
    ax.set_xlim(-0.15, 1.15)
    # The axis fits the data (rounded out to 10 points), not 0-100 %.
    low = max(0.0, math.floor(min(shown) / 10) * 10 - 5)
    high = min(100.0, math.ceil(max(shown) / 10) * 10 + 5)
    ax.set_ylim(low, high)
    layout.legend_outside(ax, "right", title="Exit cohort")
    ax.set_ylabel("Households with tap water in the dwelling (%)")
    report.label_figure(fig, simulated=False, source=SOURCE)
    return fig


def _map_data(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Any], pd.Series, pd.Series]:
    """Prefecture polygons, and per polygon the share of units listed and the tap-water change.

    The share is listed counties / 2020 county-level units of the areas drawn in the polygon;
    the change is that of the ratio of the polygon's summed household counts, 2020 minus 2010.
    """
    features = json.loads((paths.RAW / "prefectures.geojson").read_text(encoding="utf-8"))
    props = pd.DataFrame([f["properties"] for f in features["features"]])
    geometries = [f["geometry"] for f in features["features"]]
    feature = census.map_feature(frame, props)
    units = frame["codes_2020"].str.count(r"\+") + 1
    listed = frame.groupby(feature)["n_poverty_counties"].sum()
    share = listed / units.groupby(feature).sum()
    change = census.aggregate_groups(
        pd.Series(feature.to_numpy(), index=frame["group_id"]), names=["tap_water_share"]
    ).set_index("key")["tap_water_share_change"]
    return props, geometries, share, change


def _map_figure(frame: pd.DataFrame) -> mpl.figure.Figure:
    props, geometries, share, change = _map_data(frame)
    codes = props["prefecture_code"]
    outlined = codes.isin(CASE_PREFECTURES).tolist()
    fig, axes = plt.subplots(1, 2, figsize=(report.COLUMN_WIDTH_IN, 3.8))
    panels = (
        (share * 100, "YlOrRd", mpl.colors.Normalize(0, 100), "Poverty counties (% of units)"),
        (change * 100, "Blues", mpl.colors.Normalize(0, 60), "Tap water, change (points)"),
    )
    for ax, (values, cmap, norm, label) in zip(axes, panels, strict=True):
        shown = [float(values.get(c, math.nan)) for c in codes]
        choropleth(ax, geometries, shown, cmap=cmap, norm=norm, outlined=outlined)
        ax.set_xlim(73, 136)  # mainland China; the South China Sea islands are left out
        ax.set_ylim(17, 54)
        mappable = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(mappable, ax=ax, orientation="horizontal", shrink=0.7, pad=0.02, label=label)
    report.label_figure(fig, simulated=False, source=SOURCE)
    return fig


# --------------------------------------------------------------------------- the page


def _judgements(numbers: dict[str, Any]) -> dict[str, bool]:
    """Facts that choose between sentences, each a stated rule on the numbers.

    - ``tap_gap_closed``: the 2020 within-province tap-water gap's interval includes zero;
    - ``school_gap_persisted``: the 2020 schooling gap (county-weighted) is at least 80 % of
      the 2010 gap;
    - ``adj_tap_below_half_raw``: the regression-adjusted tap-water gain is less than half of
      the raw change of the gap;
    - ``school_estimates_disagree``: matched and regression-adjusted schooling gains differ in
      sign.
    """
    return {
        "tap_gap_closed": bool(
            numbers["gap_tap_2020_county_lo"] <= 0 <= numbers["gap_tap_2020_county_hi"]
        ),
        "school_gap_persisted": bool(
            abs(numbers["gap_school_2020_county"]) >= 0.8 * abs(numbers["gap_school_2010_county"])
        ),
        "adj_tap_below_half_raw": bool(
            numbers["adj_tap_change"] < 0.5 * numbers["gap_tap_change_county"]
        ),
        "school_estimates_disagree": bool(
            np.sign(numbers["match_school_change"]) != np.sign(numbers["adj_school_change"])
        ),
    }


def build() -> Page:
    """The chapter's numbers, facts, tables and figures, from the committed census tables.

    Gaps are listed minus other units, within province (province fixed effects; provinces with
    both kinds of unit), county-weighted or weighted by residents (2010 residents for changes),
    with CR1 cluster-robust 95 % intervals by 2020 prefecture (:func:`census.poverty_gap`).
    Shares and their gaps are proportions; the text template prints them in % and points.
    """
    frame = _frame()
    counties = _case_counties()
    page = Page()
    page.numbers["n_groups"] = len(frame)
    page.numbers["n_listed_groups"] = int(frame["on_list"].sum())
    page.numbers["n_listed_counties"] = int(frame["n_poverty_counties"].sum())
    poverty = census.load_poverty_counties()
    page.numbers["n_exit_verified"] = int(poverty["verified"].astype(bool).sum())
    page.numbers["n_poverty_list"] = len(poverty)
    page.numbers["n_mixed_groups"] = int((frame["group_type"] != "one_to_one").sum())
    crosswalk = census.load_crosswalk()
    coverage = census.crosswalk_coverage(census.load_census(), crosswalk)
    page.numbers.update({f"crosswalk_{k}": v for k, v in coverage.items()})
    exceptions = census.crosswalk_exceptions(crosswalk)
    page.numbers["crosswalk_n_exceptions"] = len(exceptions)
    page.numbers["crosswalk_n_only_2020"] = int((exceptions["group_type"] == "only_2020").sum())
    page.tables["crosswalk_exceptions"] = _crosswalk_display(exceptions).rename(
        columns=CROSSWALK_HEADERS
    )
    page.numbers["pop_2020_mn"] = float(frame["pop_2020"].sum() / 1e6)
    for part in (_levels(frame),):
        page.numbers.update(part[0])
        page.tables["levels"] = part[1]
    numbers, facts, gaps = _gaps(frame)
    page.numbers.update(numbers)
    page.facts.update(facts)
    page.tables["gaps"] = gaps
    numbers, facts, matched = _matched(frame)
    page.numbers.update(numbers)
    page.facts.update(facts)
    page.tables["matched"] = matched
    numbers, facts, pooled = _cohorts(frame)
    page.numbers.update(numbers)
    page.facts.update(facts)
    numbers, facts, case_tables = _case_tables(frame, counties)
    page.numbers.update(numbers)
    page.facts.update(facts)
    page.tables.update(case_tables)
    _, _, share, change = _map_data(frame)
    both = pd.concat([share, change], axis=1, keys=["share", "change"]).dropna()
    page.numbers["map_n_prefectures"] = len(both)
    page.numbers["map_corr"] = float(both["share"].corr(both["change"]))
    page.facts.update(_judgements(page.numbers))
    page.figures["distribution"] = _distribution_figure(frame, counties)
    page.figures["cohorts"] = _cohort_figure(pooled)
    page.figures["map"] = _map_figure(frame)
    return page
