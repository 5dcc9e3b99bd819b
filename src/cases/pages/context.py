"""Real public statistics set around the cases: the national context and each case's area.

Two notebooks use this module, each with its own builder; both return facts, not prose.
:func:`build_national` (``notebooks/national_context``) gives the national decline of rural
poverty under the 2010 standard, the waves of poverty counties leaving the national list, the
national line against the World Bank's international lines, rural income in poor areas and the
facts of the years after 2020. :func:`build` (``notebooks/area_context``, one page per case)
gives the case area's poverty counties and their exit years, its 2010→2020 census change
against its province, the published local figures, and, where a thesis's claim meets a public
figure, that figure. The sentences are in ``text/national_context.md`` and
``text/area_context.md``; which statistics describe each case's area is in
``data/settings/area_context.yaml`` (:class:`CaseSettings`), and the longer figure and table
labels of the national chapter in ``data/settings/national_context.yaml``.

Every value comes from ``data/raw/`` through :func:`cases.data.public_data.load_table`, which keeps
the status flags of the data package: ``published`` (quoted on a page read), ``derived``
(arithmetic from published figures) and ``not_verified`` (left empty). Derived values are
drawn with hollow markers, unverified ones are never drawn or filled in, and tables carry a
status column. Figure text is English/pinyin only (the font setup has no CJK glyphs yet).

Public API: :func:`build`, :func:`build_national`, :func:`percent_change`,
:func:`census_change`, :func:`exit_table`, :func:`facts_table`, :func:`baselines_table`,
:func:`national_numbers`, :func:`national_exit_table`, :func:`national_line_table`,
:func:`post2020_numbers`, :func:`post2020_table`, the figure builders
(:func:`poverty_decline_figure`, :func:`exit_waves_figure`, :func:`international_lines_figure`,
:func:`poor_area_income_figure`, :func:`census_change_figure`, :func:`residents_figure`),
:func:`area_settings` and :data:`CASE_AREAS` (slug -> :class:`CaseSettings`).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cases.core import paths
from cases.core.errors import DataValidationError
from cases.core.files import load_yaml
from cases.data import public_data
from cases.present import layout, report
from cases.present.page import Page

__all__ = [
    "CASE_AREAS",  # noqa: F822 (module __getattr__ reads it from the settings)
    "AreaSettings",
    "CaseSettings",
    "FactNumber",
    "area_settings",
    "baselines_table",
    "build",
    "build_national",
    "census_change",
    "census_change_figure",
    "census_cut_bars",
    "census_display_table",
    "exit_table",
    "exit_waves_figure",
    "facts_table",
    "international_lines_figure",
    "national_exit_table",
    "national_line_table",
    "national_numbers",
    "national_settings",
    "percent_change",
    "poor_area_income_figure",
    "post2020_numbers",
    "post2020_table",
    "poverty_decline_figure",
    "residents_figure",
]

#: Plain-language meaning of the data package's status flags, used in legends and tables.
STATUS_TEXT = {
    "published": "published",
    "derived": "derived (arithmetic from published figures)",
    "not_verified": "not verified (left empty)",
}
_BLUE, _ORANGE, _GREEN, _VERMILION = (
    report.PALETTE[0],
    report.PALETTE[1],
    report.PALETTE[2],
    report.PALETTE[3],
)
_CHANGE_COLOURS = {
    "total": report.PALETTE[0],
    "urban": report.PALETTE[1],
    "rural": report.PALETTE[2],
}


# --------------------------------------------------------------------------- small helpers


def percent_change(before: float, after: float, *, what: str = "value") -> float:
    """Percentage change from ``before`` to ``after``: ``100 * (after - before) / before``.

    Units: percent of the earlier value (a fall gives a negative number).

    Raises:
        ValueError: ``before`` or ``after`` missing (None/NaN/NA), or ``before`` not positive;
            the message names ``what``.
    """
    for label, value in (("before", before), ("after", after)):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            raise ValueError(f"percent_change of {what}: {label} value is missing")
    if before <= 0:
        raise ValueError(f"percent_change of {what}: before value must be positive, got {before!r}")
    return 100.0 * (float(after) - float(before)) / float(before)


def _unit_key(name_en: str) -> str:
    """A short snake_case key for a place from its English name (``"Liuzhi Special District"``
    → ``"liuzhi"``), used in glue keys."""
    match = re.match(r"[A-Za-z]+", name_en)
    if not match:
        raise ValueError(f"cannot make a key from place name {name_en!r}")
    return match.group().lower()


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(table, [f"missing column(s) {missing}"])


def _single(frame: pd.DataFrame, mask: pd.Series, what: str) -> pd.Series:
    rows = frame[mask.fillna(False).astype(bool)]
    if len(rows) != 1:
        raise ValueError(f"expected exactly one row for {what}, found {len(rows)}")
    return rows.iloc[0]


def _py(value: Any) -> Any:
    """A plain Python scalar (glued values must print as literals, not ``np.int64(…)``)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _year_text(year: Any) -> str:
    """A year for display ("—" if missing); text, so table formatting adds no thousands mark."""
    return "—" if year is None or pd.isna(year) else str(int(year))


def _value_text(value: Any, unit: str = "") -> str:
    """A published value as printed: whole numbers with thousands separators (years without
    them), others as given."""
    if value is None or pd.isna(value):
        return "—"
    value = float(value)
    if value.is_integer():
        return str(int(value)) if str(unit).startswith("year") else f"{int(value):,}"
    return f"{value:,}"


# --------------------------------------------------------------------------- census


def census_change(census: pd.DataFrame, codes: Sequence[int]) -> pd.DataFrame:
    """Resident population 2010 and 2020 and its percentage change for the units ``codes``.

    Rule: for each unit (by 2020 code, in the order given) and each of total, urban and rural,
    ``change_pct = 100 * (x_2020 - x_2010) / x_2010`` (:func:`percent_change`); urban shares are
    ``urban / total``. Units: persons and percent. Data: the 2010 and 2020 censuses as compiled
    by Dong, Du & Liu (2022), not boundary-adjusted (``renamed`` marks units whose code or
    name changed).

    Returns one row per unit with ``code``, ``key`` (short glue-key name), ``name_en``,
    ``name_zh``, ``level``, ``renamed``, the six counts, ``total_change_pct``,
    ``urban_change_pct``, ``rural_change_pct``, ``urban_share_2010_pct`` and
    ``urban_share_2020_pct``.

    Raises:
        ValueError: an empty ``codes``, a code not in the table (listing the known codes), or a
            missing count.
    """
    _require_columns(
        census,
        [
            "code_2020",
            "name_en",
            "name_2020",
            "level",
            "renamed",
            "pop_2010",
            "urban_2010",
            "rural_2010",
            "pop_2020",
            "urban_2020",
            "rural_2020",
        ],
        "census_population",
    )
    if not codes:
        raise ValueError("census_change: codes must name at least one unit")
    known = set(int(c) for c in census["code_2020"].dropna())
    unknown = [c for c in codes if int(c) not in known]
    if unknown:
        raise ValueError(f"census_change: unknown code(s) {unknown}; known: {sorted(known)}")
    rows = []
    for code in codes:
        row = _single(census, census["code_2020"] == int(code), f"census code {code}")
        record: dict[str, Any] = {
            "code": int(code),
            "key": _unit_key(str(row["name_en"])),
            "name_en": str(row["name_en"]),
            "name_zh": str(row["name_2020"]),
            "level": str(row["level"]),
            "renamed": bool(row["renamed"]),
        }
        for part in ("pop", "urban", "rural"):
            for year in (2010, 2020):
                value = row[f"{part}_{year}"]
                if pd.isna(value):
                    raise ValueError(f"census_change: {part}_{year} missing for code {code}")
                record[f"{part}_{year}"] = int(value)
        for part, label in (("pop", "total"), ("urban", "urban"), ("rural", "rural")):
            record[f"{label}_change_pct"] = percent_change(
                record[f"{part}_2010"], record[f"{part}_2020"], what=f"{label} population of {code}"
            )
        for year in (2010, 2020):
            record[f"urban_share_{year}_pct"] = (
                100.0 * record[f"urban_{year}"] / record[f"pop_{year}"]
            )
        rows.append(record)
    return pd.DataFrame(rows)


def census_display_table(change: pd.DataFrame) -> pd.DataFrame:
    """The census change as a reader's table (names, counts, signed percentage changes)."""
    table = pd.DataFrame(
        {
            "Unit": [
                n + (" †" if r else "")
                for n, r in zip(change["name_en"], change["renamed"], strict=True)
            ],
            "单位": change["name_zh"],
            "Level": change["level"],
            "Residents 2010": change["pop_2010"],
            "Residents 2020": change["pop_2020"],
            "Total change (%)": change["total_change_pct"],
            "Urban change (%)": change["urban_change_pct"],
            "Rural change (%)": change["rural_change_pct"],
        }
    )
    return table


def census_cut_bars(change: pd.DataFrame) -> list[dict[str, Any]]:
    """The bars of :func:`census_change_figure` cut at the axis end: the total, urban and rural
    % changes above :func:`cases.present.layout.robust_limit` of all of them (Tukey's outer
    fence), one dict per bar with ``unit`` (short English name), ``part`` ("total", "urban" or
    "rural") and ``value`` (the % change written on the bar), in the figure's row order.
    Empty when no value is a far outlier (or none is finite)."""
    parts = ("total", "urban", "rural")
    values = np.concatenate([change[f"{part}_change_pct"].to_numpy(float) for part in parts])
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    limit = layout.robust_limit(finite)
    return [
        {"unit": _short(str(row["name_en"])), "part": part, "value": float(value)}
        for _, row in change.iterrows()
        for part in parts
        if np.isfinite(value := float(row[f"{part}_change_pct"])) and value > limit
    ]


def census_change_figure(change: pd.DataFrame, *, title: str) -> mpl.figure.Figure:
    """Horizontal grouped bars of the total, urban and rural % change 2010→2020 per unit.

    Units marked ``renamed`` get a dagger (not boundary-adjusted). A far outlier (above the
    outer fence of Tukey's box plot, :func:`cases.present.layout.robust_limit`; e.g. a county whose
    urban residents grew by more than 1,000 % because its boundary was recoded) would flatten
    every other bar: the axis stops just past the largest other value and the outlier's bar
    is cut there with a break sign and its value written on it. The legend sits outside the
    axes. Stamped with the census source line.
    """
    n = len(change)
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 1.4 + 0.55 * n))
    positions = np.arange(n)[::-1]
    height = 0.26
    parts = ("total", "urban", "rural")
    values = np.concatenate([change[f"{part}_change_pct"].to_numpy(float) for part in parts])
    finite = values[np.isfinite(values)]
    limit = layout.robust_limit(finite) if finite.size else 0.0
    cut = finite.size > 0 and finite.max() > limit
    right = max(limit, 0.0) * 1.12 + 5.0 if cut else None
    for offset, part in zip((height, 0.0, -height), parts, strict=True):
        shown = change[f"{part}_change_pct"].to_numpy(float)
        ax.barh(
            positions + offset,
            np.minimum(shown, right) if cut else shown,
            height=height,
            color=_CHANGE_COLOURS[part],
            label=f"{part.capitalize()} residents",
        )
        if cut:
            for y, value in zip(positions + offset, shown, strict=True):
                if np.isfinite(value) and value > limit:
                    layout.mark_clipped(ax, y, right, f"{value:+,.0f} %")
    labels = [
        f"{_short(name)}{' †' if renamed else ''} ({level})"
        for name, renamed, level in zip(
            change["name_en"], change["renamed"], change["level"], strict=True
        )
    ]
    ax.set_yticks(positions, labels)
    ax.axvline(0, color="#333333", linewidth=0.8)
    if cut:
        ax.set_xlim(right=right)
    ax.set_xlabel("Change in resident population, 2010 to 2020 (%)")
    ax.set_title(title, loc="left")
    handles, _ = ax.get_legend_handles_labels()
    if change["renamed"].any():
        handles.append(Patch(visible=False, label="† renamed or recoded;\nnot boundary-adjusted"))
    if cut:
        handles.append(
            Patch(visible=False, label="bar cut at the axis end;\nits value written on it")
        )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    ax.grid(axis="y", visible=False)
    report.label_figure(fig, simulated=False, source=public_data.source_line("census_population"))
    return fig


def residents_figure(change: pd.DataFrame, code: int, *, title: str) -> mpl.figure.Figure:
    """Urban and rural residents (millions) of one unit in 2010 and 2020, side by side."""
    row = _single(change, change["code"] == int(code), f"census code {code}")
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    years = np.array([0, 1])
    width = 0.36
    for offset, part in ((-width / 2, "urban"), (width / 2, "rural")):
        values = [row[f"{part}_2010"] / 1e6, row[f"{part}_2020"] / 1e6]
        bars = ax.bar(
            years + offset,
            values,
            width=width,
            color=_CHANGE_COLOURS[part],
            label=f"{part.capitalize()} residents",
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=8.5, padding=2)
    ax.set_xticks(years, ["2010 census", "2020 census"])
    ax.set_ylabel("Residents (millions)")
    ax.set_title(title, loc="left")
    layout.legend_outside(ax, "right")
    ax.margins(y=0.15)
    report.label_figure(fig, simulated=False, source=public_data.source_line("census_population"))
    return fig


# --------------------------------------------------------------------------- counties and exits


def _status_of_county(on_list: Any, verified: Any) -> str:
    labels = area_settings().labels.county_status
    if on_list is pd.NA or on_list is None:
        return labels.unknown
    if not bool(on_list):
        return labels.not_listed
    if verified is not pd.NA and bool(verified):
        return labels.verified
    return labels.not_verified


def exit_table(counties: pd.DataFrame, codes: Sequence[int]) -> pd.DataFrame:
    """The case-area counties: national-list membership, exit year, approval date and status.

    Rule: one row per 2020 code, in the order given. ``Exit year`` is the assessment year of
    exit (the province's approval came later, often the next year); it is left empty (shown
    "—") where the unit was not on the list. ``Status`` says whether the exit was read in a
    provincial announcement (``verified``) or rests on the third-party list only.

    Raises:
        ValueError: a code not in ``case_area_counties`` (listing the known codes).
    """
    _require_columns(
        counties,
        [
            "code_2020",
            "name_en",
            "name_zh",
            "prefecture_en",
            "province_en",
            "on_national_list",
            "exit_year",
            "approval_date",
            "verified",
            "source_publisher",
            "source_page",
        ],
        "case_area_counties",
    )
    known = sorted(int(c) for c in counties["code_2020"].dropna())
    rows = []
    for code in codes:
        if int(code) not in known:
            raise ValueError(f"exit_table: unknown county code {code}; known: {known}")
        row = _single(counties, counties["code_2020"] == int(code), f"county code {code}")
        date = row["approval_date"]
        rows.append(
            {
                "County-level unit": str(row["name_en"]),
                "县级单位": str(row["name_zh"]),
                "Prefecture, province": f"{row['prefecture_en']}, {row['province_en']}",
                "On the national list": "yes" if bool(row["on_national_list"]) else "no",
                "Exit (assessment year)": _year_text(row["exit_year"]),
                "Approved": "—" if pd.isna(date) else pd.Timestamp(date).strftime("%Y-%m-%d"),
                "Status": _status_of_county(row["on_national_list"], row["verified"]),
                "Publisher": str(row["source_publisher"]),
                "Where read": where_read([row["source_page"]])[0],
            }
        )
    table = pd.DataFrame(rows)
    return table


def national_exit_table(exits: pd.DataFrame) -> pd.DataFrame:
    """Exits by assessment year for China, Guizhou, Gansu and Henan, with a status column.

    Rule: ``Official`` is the announced count (empty where none was read); ``Third-party
    list`` is the project's tally of the 832 list; ``Status`` is ``published`` or ``not
    verified (list tally only)``, plus the discrepancy flag where the list and the official
    count differ.
    """
    _require_columns(
        exits,
        [
            "scope",
            "exit_year",
            "official_count",
            "official_status",
            "list_count",
            "flag",
            "source",
            "source_page",
        ],
        "county_exit_counts",
    )
    status = exits["official_status"].map(
        {
            "published": "published",
            "derived": "derived (counties named in official batches)",
            "not_verified": "not verified (list tally only)",
        }
    )
    if status.isna().any():
        bad = exits.loc[status.isna(), "official_status"].tolist()
        raise ValueError(f"national_exit_table: unknown official_status value(s) {bad}")
    flag_text = (
        exits["flag"]
        .map({"list_differs_from_official": "; list differs from official count"})
        .fillna("")
    )
    return pd.DataFrame(
        {
            "Scope": exits["scope"],
            "Exit (assessment year)": exits["exit_year"].map(_year_text),
            "Official count": exits["official_count"],
            "Third-party list": exits["list_count"],
            "Status": (status + flag_text).astype(str),
            "Publisher": exits["source"],
            "Where read": where_read(exits["source_page"]),
        }
    )


def exit_waves_figure(exits: pd.DataFrame) -> mpl.figure.Figure:
    """Two panels: national official exits by year (list tally overlaid), and by year for
    Guizhou, Gansu and Henan, with list-only (not verified) counts drawn hatched and hollow."""
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(report.COLUMN_WIDTH_IN, 4.6), width_ratios=[1, 1.5]
    )
    china = exits[exits["scope"] == "China"].sort_values("exit_year")
    years = china["exit_year"].astype(int).to_numpy()
    bars = left.bar(
        years, china["official_count"].astype(float), color=_BLUE, width=0.6, label="Official count"
    )
    left.bar_label(bars, fontsize=8.5, label_type="center", color="white")
    left.scatter(
        years,
        china["list_count"].astype(float),
        marker="D",
        s=22,
        color="black",
        zorder=3,
        label="Third-party list tally",
    )
    for year, official, listed in zip(
        years, china["official_count"], china["list_count"], strict=True
    ):
        if int(official) != int(listed):
            left.annotate(
                f"list: {int(listed)}",
                (year, float(listed)),
                xytext=(0, 8),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                color=_VERMILION,
            )
    left.set_title("China: counties leaving\nthe list", loc="left")
    left.set_xlabel("Assessment year of exit")
    left.set_ylabel("National poverty counties (count)")
    left.set_xticks(years)
    left.margins(y=0.18)
    left_handles, left_labels = left.get_legend_handles_labels()

    provinces = ["Guizhou", "Gansu", "Henan"]
    width = 0.26
    colours = dict(zip(provinces, (_ORANGE, _GREEN, _VERMILION), strict=True))
    for i, province in enumerate(provinces):
        rows = exits[exits["scope"] == province].sort_values("exit_year")
        for _, row in rows.iterrows():
            x = int(row["exit_year"]) + (i - 1) * width
            if row["official_status"] == "published":
                right.bar(x, float(row["official_count"]), width=width, color=colours[province])
                value = int(row["official_count"])
            elif row["official_status"] == "derived":
                right.bar(
                    x,
                    float(row["official_count"]),
                    width=width,
                    color=colours[province],
                    alpha=0.45,
                    edgecolor=colours[province],
                    linewidth=1.2,
                )
                value = int(row["official_count"])
            else:
                right.bar(
                    x,
                    float(row["list_count"]),
                    width=width,
                    facecolor="white",
                    edgecolor=colours[province],
                    hatch="///",
                    linewidth=1.2,
                )
                value = int(row["list_count"])
            right.text(x, value + 0.4, str(value), ha="center", va="bottom", fontsize=8)
    handles = [Patch(color=colours[p], label=p) for p in provinces]
    handles += [
        Patch(facecolor="#777777", label="Official count (published)"),
        Patch(facecolor="#777777", alpha=0.45, label="Counties named in official batches"),
        Patch(
            facecolor="white",
            edgecolor="#777777",
            hatch="///",
            label="List tally only (not verified)",
        ),
    ]
    right.set_title("Guizhou, Gansu and Henan", loc="left")
    right.set_xlabel("Assessment year of exit")
    right.set_ylabel("Counties (count)")
    right.set_xticks(sorted(exits["exit_year"].astype(int).unique()))
    right.margins(y=0.15)
    for ax in (left, right):
        ax.grid(axis="x", visible=False)
        ax.tick_params(axis="x", labelsize=9.5)
    layout.legend_outside(
        fig,
        "below",
        handles=[*left_handles, *handles],
        labels=[*left_labels, *(h.get_label() for h in handles)],
        ncols=3,
        fontsize=8.5,
    )
    report.label_figure(fig, simulated=False, source=public_data.source_line("county_exit_counts"))
    return fig


# --------------------------------------------------------------------------- national series


def _status_markers(
    ax: mpl.axes.Axes, x: Sequence[int], y: Sequence[float], statuses: Sequence[str], colour: str
) -> None:
    """Line through the available values; filled markers for published, hollow for derived,
    a grey band (no value) for not verified."""
    xs = [xi for xi, yi in zip(x, y, strict=True) if not pd.isna(yi)]
    ys = [float(yi) for yi in y if not pd.isna(yi)]
    ax.plot(xs, ys, color=colour, linewidth=1.5, zorder=2)
    for xi, yi, status in zip(x, y, statuses, strict=True):
        if status == "not_verified":
            if not pd.isna(yi):
                raise ValueError(f"year {xi}: a value flagged not_verified must be empty, got {yi}")
            ax.axvspan(xi - 0.4, xi + 0.4, color="#BBBBBB", alpha=0.35, zorder=0, linewidth=0)
            continue
        if pd.isna(yi):
            raise ValueError(f"year {xi}: status {status!r} but the value is missing")
        if status == "published":
            ax.plot(xi, float(yi), "o", color=colour, markersize=6, zorder=3)
        elif status == "derived":
            ax.plot(
                xi,
                float(yi),
                "o",
                markerfacecolor="white",
                markeredgecolor=colour,
                markeredgewidth=1.5,
                markersize=7,
                zorder=3,
            )
        else:
            raise ValueError(f"year {xi}: unknown status {status!r}")


def _status_handles(colour: str, statuses: Sequence[str]) -> list[Any]:
    """Legend entries for the marker styles of :func:`_status_markers`."""
    handles = [Line2D([], [], marker="o", color=colour, label=STATUS_TEXT["published"])]
    if "derived" in statuses:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                color=colour,
                markerfacecolor="white",
                markeredgewidth=1.5,
                label="derived (arithmetic)",
            )
        )
    if "not_verified" in statuses:
        handles.append(Patch(color="#BBBBBB", alpha=0.6, label="not verified (no value)"))
    return handles


def poverty_decline_figure(national: pd.DataFrame) -> mpl.figure.Figure:
    """Twin panels: rural poor population (millions) and rural poverty incidence (%),
    2010–2020, under the 2010 standard; markers by status (see :func:`_status_markers`)."""
    _require_columns(
        national,
        ["year", "rural_poor_10k", "rural_poor_status", "incidence_pct", "incidence_status"],
        "national_rural_poverty",
    )
    data = national.sort_values("year")
    years = data["year"].astype(int).tolist()
    fig, (left, right) = plt.subplots(1, 2, figsize=(report.COLUMN_WIDTH_IN, 3.8))
    poor_millions = [v / 100 if not pd.isna(v) else np.nan for v in data["rural_poor_10k"]]
    _status_markers(left, years, poor_millions, data["rural_poor_status"].tolist(), _BLUE)
    left.set_title("Rural poor population", loc="left")
    left.set_ylabel("Rural poor (millions of persons)")
    _status_markers(
        right, years, data["incidence_pct"].tolist(), data["incidence_status"].tolist(), _VERMILION
    )
    right.set_title("Rural poverty incidence", loc="left")
    right.set_ylabel("Share of rural residents (%)")
    for ax in (left, right):
        ax.set_xlabel("End of year")
        ax.set_xticks(years[::2])
        ax.set_ylim(bottom=0)
    statuses = [*data["rural_poor_status"], *data["incidence_status"]]
    handles = _status_handles("0.3", list(dict.fromkeys(statuses)))
    layout.legend_outside(fig, "below", handles=handles, labels=[h.get_label() for h in handles])
    report.label_figure(
        fig, simulated=False, source=public_data.source_line("national_rural_poverty")
    )
    return fig


def international_lines_figure(
    international: pd.DataFrame, national: pd.DataFrame
) -> mpl.figure.Figure:
    """WDI headcounts for China at $3.00, $4.20 and $8.30 a day (2021 PPP), every survey year,
    with the NBS rural incidence under the 2010 standard (rural residents only) dashed."""
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 4.8))
    styles = {
        3.0: (_BLUE, "$3.00 a day"),
        4.2: (_ORANGE, "$4.20 a day"),
        8.3: (_GREEN, "$8.30 a day"),
    }
    for line, (colour, label) in styles.items():
        rows = international[np.isclose(international["line_usd_2021ppp"].astype(float), line)]
        rows = rows.sort_values("year")
        ax.plot(
            rows["year"].astype(int),
            rows["headcount_pct"].astype(float),
            "o-",
            color=colour,
            markersize=3.5,
            label=f"{label} (2021 PPP), whole population",
        )
    labels = national_settings().labels
    nat = national.dropna(subset=["incidence_pct"]).sort_values("year")
    ax.plot(
        nat["year"].astype(int),
        nat["incidence_pct"].astype(float),
        "s--",
        color="black",
        markersize=3.5,
        label=labels.lines_national_label,
    )
    ax.set_xlabel("Year")
    ax.set_ylabel("Population below the line (%)")
    ax.set_title(labels.lines_title, loc="left")
    ax.set_ylim(0, 102)
    layout.legend_outside(fig, "below", ncols=2, fontsize=8.5)
    # Both series are WDI (the national one is NBS's rural incidence as carried by WDI).
    source = f"{public_data.source_line('international_poverty')} {labels.lines_national_source}"
    report.label_figure(fig, simulated=False, source=source)
    return fig


def national_line_table(national: pd.DataFrame) -> pd.DataFrame:
    """The national rural poverty line in current yuan per person per year, with its status.

    Values flagged ``not_verified`` stay empty (shown "—"); they are never extrapolated.
    """
    data = national.sort_values("year")
    bad = data[(data["poverty_line_status"] == "not_verified") & data["poverty_line_yuan"].notna()]
    if len(bad):
        raise ValueError(
            f"national_line_table: not_verified line with a value in {bad['year'].tolist()}"
        )
    return pd.DataFrame(
        {
            "Year": data["year"].map(_year_text),
            national_settings().labels.line_table_column: data["poverty_line_yuan"],
            "Status": data["poverty_line_status"].map(STATUS_TEXT).astype(str),
            "Publisher": data["line_source"],
            "Where read": where_read(data["line_page"]),
        }
    )


def poor_area_income_figure(income: pd.DataFrame) -> mpl.figure.Figure:
    """Bars of rural per-capita disposable income in poor areas 2016–2019 (current yuan), with
    the 2019 values for contiguous poor areas and key counties as markers."""
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 4.0))
    everyone = income[income["area"] == "all poor areas"].sort_values("year")
    bars = ax.bar(
        everyone["year"].astype(int),
        everyone["income_yuan"].astype(float),
        color=_BLUE,
        width=0.6,
        label="All poor areas",
    )
    ax.bar_label(
        bars, labels=[f"{int(v):,}" for v in everyone["income_yuan"]], fontsize=8.5, padding=2
    )
    # The 2019 sub-areas are narrow bars beside the all-areas bar, so their values stay legible.
    subareas = {
        "contiguous poor areas": (0.42, _ORANGE),
        "key counties for poverty alleviation": (0.62, _GREEN),
    }
    for area, (offset, colour) in subareas.items():
        rows = income[income["area"] == area]
        sub = ax.bar(
            rows["year"].astype(int) + offset,
            rows["income_yuan"].astype(float),
            width=0.18,
            color=colour,
            label=area.capitalize(),
        )
        ax.bar_label(
            sub,
            labels=[f"{int(v):,}" for v in rows["income_yuan"]],
            fontsize=8,
            rotation=90,
            label_type="center",
            color="white",
        )
    if (income["status"] != "published").any():
        raise ValueError("poor_area_income_figure: every income value must be published")
    ax.set_xticks(everyone["year"].astype(int))
    ax.set_xlabel("Year")
    labels = national_settings().labels
    ax.set_ylabel(labels.income_axis)
    ax.set_title(labels.income_title, loc="left")
    ax.set_ylim(0, float(income["income_yuan"].max()) * 1.12)
    ax.yaxis.set_major_formatter(mpl.ticker.StrMethodFormatter("{x:,.0f}"))
    layout.legend_outside(fig, "below")
    ax.grid(axis="x", visible=False)
    report.label_figure(
        fig, simulated=False, source=public_data.source_line("poor_area_rural_income")
    )
    return fig


def _value(frame: pd.DataFrame, year: int, column: str, status_column: str | None = None) -> Any:
    row = _single(frame, frame["year"] == year, f"year {year}")
    if status_column is not None and row[status_column] == "not_verified":
        raise ValueError(f"{column} for {year} is not verified; it cannot be quoted")
    value = row[column]
    if pd.isna(value):
        raise ValueError(f"{column} for {year} is missing")
    return _py(value)


def national_numbers(
    national: pd.DataFrame,
    exits: pd.DataFrame,
    international: pd.DataFrame,
    income: pd.DataFrame,
) -> dict[str, Any]:
    """Every number quoted in the national chapter, keyed for glue (prefix ``national_``).

    Rules: rural poor in millions = 10k persons / 100; the fall 2011→2019 in percent of 2011;
    exit totals sum the official counts; income growth 2016→2019 in percent of 2016 (current
    prices, not deflated). Only values flagged ``published`` or ``derived`` are quoted; a
    ``not_verified`` one raises ``ValueError`` rather than being filled in.
    """
    out: dict[str, Any] = {}
    poor = {y: _value(national, y, "rural_poor_10k", "rural_poor_status") for y in (2011, 2019)}
    out["poor_2011_mn"] = poor[2011] / 100
    out["poor_2019_mn"] = poor[2019] / 100
    out["poor_fall_pct"] = -percent_change(poor[2011], poor[2019], what="rural poor 2011-2019")
    for year in (2010, 2013, 2019, 2020):
        out[f"incidence_{year}"] = float(
            _value(national, year, "incidence_pct", "incidence_status")
        )
    statuses = national["rural_poor_status"]
    out["n_poor_derived"] = int((statuses == "derived").sum())
    out["n_poor_not_verified"] = int((statuses == "not_verified").sum())
    out["poor_derived_years"] = " and ".join(
        str(int(y)) for y in national.loc[statuses == "derived", "year"]
    )
    out["poor_not_verified_years"] = " and ".join(
        str(int(y)) for y in national.loc[statuses == "not_verified", "year"]
    )
    line_ok = national[national["poverty_line_status"] != "not_verified"]
    out["line_2010"] = _value(national, 2010, "poverty_line_yuan", "poverty_line_status")
    out["line_last_year"] = int(line_ok["year"].max())
    out["line_last"] = _value(
        national, out["line_last_year"], "poverty_line_yuan", "poverty_line_status"
    )
    out["line_first_unverified_year"] = int(
        national.loc[national["poverty_line_status"] == "not_verified", "year"].min()
    )

    china = exits[exits["scope"] == "China"]
    for year in range(2016, 2021):
        row = _single(china, china["exit_year"] == year, f"China exits {year}")
        out[f"exits_{year}"] = int(row["official_count"])
    out["exits_total"] = int(china["official_count"].sum())
    for year in (2018, 2019):
        row = _single(china, china["exit_year"] == year, f"China exits {year}")
        out[f"exits_list_{year}"] = int(row["list_count"])
    provinces = exits[exits["scope"] != "China"]
    out["n_province_years"] = len(provinces)
    out["n_province_years_published"] = int((provinces["official_status"] == "published").sum())
    out["n_province_years_derived"] = int((provinces["official_status"] == "derived").sum())

    for line, tag in ((3.0, "300"), (4.2, "420"), (8.3, "830")):
        rows = international[np.isclose(international["line_usd_2021ppp"].astype(float), line)]
        for year in (2010, 2020):
            out[f"wdi_{tag}_{year}"] = float(
                _single(rows, rows["year"] == year, f"WDI {line} {year}")["headcount_pct"]
            )
    lines = sorted(float(v) for v in international["line_usd_2021ppp"].unique())
    if len(lines) != 3:
        raise ValueError(f"national_numbers: expected three international lines, got {lines}")
    out["usd_low"], out["usd_mid"], out["usd_high"] = lines
    rows = international[np.isclose(international["line_usd_2021ppp"].astype(float), 8.3)]
    out["wdi_830_2021"] = float(
        _single(rows, rows["year"] == 2021, "WDI 8.3 2021")["headcount_pct"]
    )
    out["wdi_first_year"] = int(international["year"].min())
    out["wdi_last_year"] = int(international["year"].max())

    everyone = income[income["area"] == "all poor areas"]
    out["income_2016"] = int(
        _single(everyone, everyone["year"] == 2016, "income 2016")["income_yuan"]
    )
    out["income_2019"] = int(
        _single(everyone, everyone["year"] == 2019, "income 2019")["income_yuan"]
    )
    out["income_growth_pct"] = percent_change(
        out["income_2016"], out["income_2019"], what="poor-area income 2016-2019"
    )
    for area, tag in (
        ("contiguous poor areas", "contiguous"),
        ("key counties for poverty alleviation", "key_counties"),
    ):
        rows = income[(income["area"] == area)]
        out[f"income_2019_{tag}"] = int(_single(rows, rows["year"] == 2019, area)["income_yuan"])
    return out


# --------------------------------------------------------------------------- locality facts


def _fact_status(row: pd.Series) -> str:
    parts = []
    if not pd.isna(row["qualifier"]):
        parts.append(str(row["qualifier"]).replace("_", " "))
    if not pd.isna(row["used_in_book"]):
        parts.append(
            "used in the book" if bool(row["used_in_book"]) else "alternative baseline, not used"
        )
    if pd.isna(row["year"]):
        parts.append("year not stated")
    return "; ".join(parts) if parts else "published"


def indicator_labels(indicators: pd.Series) -> pd.Series:
    """The display names of ``locality_facts`` indicators (``labels.indicators`` of
    ``data/settings/area_context.yaml``): ``poor_villages_exited_2014_2019`` -> ``poor villages
    exited, 2014–2019``.

    Raises:
        ValueError: an indicator without a display name (naming it and the settings file).
    """
    names = area_settings().labels.indicators
    missing = sorted(set(indicators.astype(str)) - set(names))
    if missing:
        raise ValueError(
            f"{settings_path('area_context')}: labels.indicators has no display name for "
            f"indicator(s) {missing} of locality_facts.csv"
        )
    return indicators.astype(str).map(names)


def facts_table(facts: pd.DataFrame, places: Sequence[str]) -> pd.DataFrame:
    """The published facts about ``places`` (in ``locality_facts`` order), with a status column.

    ``Status`` combines the qualifier (approximate, lower bound), the ``used_in_book`` flag
    for competing baselines, and "year not stated" where the page gave no year.

    Raises:
        ValueError: a place with no facts (listing the known places).
    """
    _require_columns(
        facts,
        [
            "place",
            "place_zh",
            "indicator",
            "year",
            "value",
            "unit",
            "qualifier",
            "source_publisher",
            "source_page",
            "used_in_book",
        ],
        "locality_facts",
    )
    known = list(dict.fromkeys(facts["place"].astype(str)))
    missing = [p for p in places if p not in known]
    if missing:
        raise ValueError(f"facts_table: no facts for place(s) {missing}; known: {known}")
    rows = facts[facts["place"].isin(list(places))]
    return pd.DataFrame(
        {
            "Place": rows["place"],
            "地点": rows["place_zh"],
            "Indicator": indicator_labels(rows["indicator"]),
            "Year": rows["year"].map(_year_text),
            "Value": rows["value"].map(_value_text),
            "Unit": rows["unit"],
            "Status": rows.apply(_fact_status, axis=1),
            "Publisher": rows["source_publisher"],
            "Where read": where_read(rows["source_page"]),
        }
    ).reset_index(drop=True)


def baselines_table(facts: pd.DataFrame, place: str) -> pd.DataFrame:
    """The competing published baselines for ``place``: rows whose ``used_in_book`` is set.

    Returns indicator, year, value, unit, whether the book uses it, and the publisher.

    Raises:
        ValueError: ``place`` has no facts with ``used_in_book`` set.
    """
    rows = facts[(facts["place"] == place) & facts["used_in_book"].notna()]
    if rows.empty:
        raise ValueError(f"baselines_table: no competing baselines recorded for {place!r}")
    return pd.DataFrame(
        {
            "Indicator": indicator_labels(rows["indicator"]),
            "Year": rows["year"].map(_year_text),
            "Value": rows["value"].map(_value_text),
            "Unit": rows["unit"],
            "Used in the book": rows["used_in_book"].map({True: "yes", False: "no (alternative)"}),
            "Publisher": rows["source_publisher"],
            "Where read": where_read(rows["source_page"]),
        }
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- after 2020

_POST2020_COLUMNS = [
    "key",
    "value",
    "unit",
    "year",
    "scope",
    "description",
    "source_publisher",
    "source_page",
    "verified",
    "note",
]


def post2020_numbers(policy: pd.DataFrame) -> dict[str, Any]:
    """The value of every ``post2020_policy`` row that has one, keyed by the row's ``key``.

    Whole numbers come back as ``int``, fractions as ``float``. Rows whose fact was not found
    (empty ``value``) are left out, so prose cannot quote them. ``transition_first_year`` is
    derived: the last year of the transition period minus its length, plus one.

    Raises:
        DataValidationError: a missing column or a repeated key.
    """
    _require_columns(policy, _POST2020_COLUMNS, "post2020_policy")
    if not policy["key"].is_unique:
        dup = sorted(policy.loc[policy["key"].duplicated(), "key"].astype(str))
        raise DataValidationError("post2020_policy", [f"repeated keys {dup}"])
    out: dict[str, Any] = {}
    for key, value in zip(policy["key"].astype(str), policy["value"], strict=True):
        if pd.isna(value):
            continue
        value = float(value)
        out[key] = int(value) if value.is_integer() else value
    if {"transition_years", "transition_last_year"} <= set(out):
        out["transition_first_year"] = out["transition_last_year"] - out["transition_years"] + 1
    return out


def _host(url: str) -> str:
    match = re.match(r"https?://(?:www\.)?([^/]+)", url)
    return match.group(1) if match else url


def where_read(addresses: pd.Series | Sequence[Any]) -> list[str]:
    """A short "where read" link per row: the page's host, linked to the full address.

    Rule: one HTML anchor per address (host without ``www.``, escaped); an empty address
    gives "—". The table renderer keeps the HTML, so the book shows a link per row.
    """
    out = []
    for url in addresses:
        if url is None or url is pd.NA or (isinstance(url, float) and pd.isna(url)) or not str(url):
            out.append("—")
            continue
        text = str(url)
        out.append(f'<a href="{html.escape(text, quote=True)}">{html.escape(_host(text))}</a>')
    return out


def _post2020_status(row: pd.Series) -> str:
    if pd.isna(row["value"]):
        return "not found"
    return "published" if bool(row["verified"]) else "not verified (project tally)"


def post2020_table(policy: pd.DataFrame) -> pd.DataFrame:
    """The post-2020 facts for display: fact, value, scope, status, publisher and a short
    "where read" link (the page's host, linked to the address)."""
    _require_columns(policy, _POST2020_COLUMNS, "post2020_policy")
    where = where_read(policy["source_page"])
    return pd.DataFrame(
        {
            "Fact": policy["description"],
            "Value": [
                _value_text(v, u) for v, u in zip(policy["value"], policy["unit"], strict=True)
            ],
            "Unit": policy["unit"],
            "Year": policy["year"].map(_year_text),
            "Scope": policy["scope"],
            "Status": policy.apply(_post2020_status, axis=1),
            "Publisher": policy["source_publisher"],
            "Where read": where,
        }
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- settings

#: Exit facts an area page may state (``exit_numbers`` in the settings).
ExitNumber = Literal[
    "case_counties", "last_case_exit", "first_wave", "national_total", "last_national_exit"
]
_CHANGES = ("total", "urban", "rural")


class FactNumber(BaseModel):
    """One ``locality_facts`` row quoted by an area page: ``kind`` ``count`` is glued as a whole
    number, ``value`` as a float, divided by ``divide_by`` (10k persons / 100 = millions)."""

    model_config = ConfigDict(extra="forbid")
    place: str
    indicator: str
    year: int | None
    used: bool | None = None
    kind: Literal["count", "value"]
    divide_by: float = Field(default=1.0, gt=0)


class CaseSettings(BaseModel):
    """Which public statistics describe one case's area and which of them its page states
    (the fields are described at the top of ``data/settings/area_context.yaml``)."""

    model_config = ConfigDict(extra="forbid")
    scope: Literal["named", "benchmarks", "province", "national"]
    census_codes: tuple[int, ...] = Field(min_length=1)
    county_codes: tuple[int, ...] = ()
    fact_places: tuple[str, ...] = Field(min_length=1)
    stated_units: tuple[int, ...] = ()
    pattern: bool = False
    rural_range: bool = False
    claim_unit: int | None = None
    claim_assumes: dict[Literal["total", "urban", "rural"], Literal["rise", "fall"]] = {}
    exit_table: Literal["counties", "national", "none"]
    exit_numbers: tuple[ExitNumber, ...] = ()
    first_wave_unit: int | None = None
    international_line: float | None = None
    baselines_place: str | None = None
    fact_numbers: dict[str, FactNumber] = {}
    constants: dict[str, int | float] = {}
    exit_caption: str | None = None
    post2020: bool = False
    census_title: str
    claim_title: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CaseSettings:
        census = set(self.census_codes)
        if not set(self.stated_units) <= census:
            raise ValueError(
                f"stated_units {sorted(set(self.stated_units) - census)} not in census_codes"
            )
        if self.claim_unit is not None and self.claim_unit not in census:
            raise ValueError(f"claim_unit {self.claim_unit} not in census_codes")
        if (self.claim_unit is None) != (self.claim_title is None):
            raise ValueError("claim_unit and claim_title go together")
        if self.claim_assumes and self.claim_unit is None:
            raise ValueError("claim_assumes needs a claim_unit")
        if ("first_wave" in self.exit_numbers) != (self.first_wave_unit is not None):
            raise ValueError("first_wave in exit_numbers and first_wave_unit go together")
        if {"last_case_exit", "last_national_exit"} <= set(self.exit_numbers):
            raise ValueError("last_case_exit and last_national_exit both give last_exit_year")
        if self.exit_table == "counties" and not self.county_codes:
            raise ValueError("exit_table counties needs county_codes")
        if (self.exit_table == "none") != (self.exit_caption is None):
            raise ValueError("an exit table needs an exit_caption, and only an exit table has one")
        return self


class CountyStatusLabels(BaseModel):
    """The ``Status`` column of the exit table (:func:`exit_table`)."""

    model_config = ConfigDict(extra="forbid")
    unknown: str
    not_listed: str
    verified: str
    not_verified: str


class AreaLabels(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county_status: CountyStatusLabels
    #: Display names of the indicators of ``locality_facts.csv`` (:func:`indicator_labels`).
    indicators: dict[str, str] = Field(default_factory=dict)


class AreaSettings(BaseModel):
    """``data/settings/area_context.yaml``: the settings of every case and the table labels."""

    model_config = ConfigDict(extra="forbid")
    cases: dict[str, CaseSettings] = Field(min_length=1)
    labels: AreaLabels


class NationalLabels(BaseModel):
    """``data/settings/national_context.yaml``: labels of the national chapter's figures and
    tables that are too long to sit in code."""

    model_config = ConfigDict(extra="forbid")
    lines_title: str
    lines_national_label: str
    lines_national_source: str
    line_table_column: str
    income_title: str
    income_axis: str


class NationalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    labels: NationalLabels


def settings_path(analysis: str) -> Path:
    """``data/settings/<analysis>.yaml``."""
    return paths.SETTINGS / f"{analysis}.yaml"


@cache
def area_settings(path: Path | None = None) -> AreaSettings:
    """The validated area-context settings (:func:`cases.core.files.load_yaml`)."""
    return load_yaml(AreaSettings, path or settings_path("area_context"))


@cache
def national_settings(path: Path | None = None) -> NationalSettings:
    """The validated national-context settings (figure and table labels)."""
    return load_yaml(NationalSettings, path or settings_path("national_context"))


def __getattr__(name: str) -> Any:
    # ``CASE_AREAS`` (slug -> CaseSettings) is read from the settings file on first use.
    if name == "CASE_AREAS":
        return area_settings().cases
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------- area page


def _short(name_en: str) -> str:
    """``"Liuzhi Special District"`` → ``"Liuzhi"``; ``"Panzhou (formerly Pan County)"`` →
    ``"Panzhou"`` (the name a sentence uses)."""
    return re.match(r"[A-Za-z]+", name_en).group()  # type: ignore[union-attr]


def _expect(condition: bool, what: str) -> None:
    """Stop if the data no longer support a sentence of the text (rather than print it)."""
    if not condition:
        raise DataValidationError("context text", [what])


def _fact_by(
    facts: pd.DataFrame, place: str, indicator: str, year: int | None, used: bool | None = None
) -> pd.Series:
    mask = (facts["place"] == place) & (facts["indicator"] == indicator)
    mask &= facts["year"].isna() if year is None else (facts["year"] == year)
    if used is not None:
        mask &= facts["used_in_book"] == used
    return _single(facts, mask, f"{place} {indicator} {year}")


def _put(page: Page, key: str, value: Any) -> None:
    """Record a glued number; the same key may be set twice only to the same value."""
    value = _py(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"glued number {key!r} is not finite: {value!r}")
    if key in page.numbers and page.numbers[key] != value:
        raise ValueError(f"glue key {key!r} given two values: {page.numbers[key]!r}, {value!r}")
    page.numbers[key] = value


def _unit_facts(change: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per census unit (by key): its short name, counts and percentage changes."""
    units = {}
    for _, row in change.iterrows():
        unit: dict[str, Any] = {"label": _short(str(row["name_en"])), "code": int(row["code"])}
        for part in ("pop", "urban", "rural"):
            for year in (2010, 2020):
                unit[f"{part}_{year}"] = _py(row[f"{part}_{year}"])
        for part in _CHANGES:
            unit[part] = _py(row[f"{part}_change_pct"])
        units[str(row["key"])] = unit
    return units


def _pattern(change: pd.DataFrame) -> dict[str, Any]:
    """Which units lost residents overall, where rural residents did not fall and where urban
    residents did not rise (short names, in the order of the census table)."""
    names = [_short(n) for n in change["name_en"]]

    def where(column: str, test: Callable[[float], bool]) -> list[str]:
        return [n for n, c in zip(names, change[column], strict=True) if test(c)]

    return {
        "n_shown": len(names),
        "shrinking": where("total_change_pct", lambda c: c < 0),
        "rural_up": where("rural_change_pct", lambda c: c >= 0),
        "urban_down": where("urban_change_pct", lambda c: c <= 0),
    }


def _exit_waves(page: Page, counties: pd.DataFrame, codes: Sequence[int]) -> None:
    """Numbers and facts of the case's counties on the list: how many, and per exit year the
    units that left, the province's approval date (when one date was read for the year) and
    whether the year rests on the third-party list only."""
    sub = counties.set_index(counties["code_2020"].astype(int)).loc[list(codes)]
    on = sub[sub["on_national_list"].astype(bool)]
    off = sub[~sub["on_national_list"].astype(bool)]
    _put(page, "n_units", len(sub))
    _put(page, "n_on_list", len(on))
    waves = []
    for year, group in on.groupby(on["exit_year"].astype(int), sort=True):
        names = [_short(n) for n in group["name_en"]]
        verified = group["verified"].astype(bool)
        key = f"exit_year_{_unit_key(names[0])}"
        _put(page, key, year)
        dates = group.loc[verified, "approval_date"].dropna().unique()
        approved = None
        if len(dates) == 1:
            approved = pd.Timestamp(dates[0]).strftime("%Y-%m-%d")
            _put(page, f"{key}_approved", approved)
        waves.append(
            {
                "names": names,
                "year": int(year),
                "approved": approved,
                "unverified": bool((~verified).all()),
            }
        )
    page.facts["exit_waves"] = waves
    page.facts["off_list"] = [_short(n) for n in off["name_en"]]


def _exit_numbers(
    page: Page,
    area: CaseSettings,
    counties: pd.DataFrame,
    exits: pd.DataFrame,
) -> None:
    china = exits[exits["scope"] == "China"]
    for item in area.exit_numbers:
        if item == "case_counties":
            _exit_waves(page, counties, area.county_codes)
        elif item == "last_case_exit":
            listed = counties[counties["code_2020"].isin(area.county_codes)]
            _put(page, "last_exit_year", int(listed["exit_year"].max()))
        elif item == "first_wave":
            row = _single(counties, counties["code_2020"] == area.first_wave_unit, "first wave")
            key = _unit_key(str(row["name_en"]))
            first_year = int(china["exit_year"].min())
            if int(row["exit_year"]) != first_year:
                raise DataValidationError(
                    "context text",
                    [f"the text says {row['name_en']} left in the first wave ({first_year})"],
                )
            wave = _single(china, china["exit_year"] == first_year, "the first national wave")
            _put(page, "first_wave_exits", wave["official_count"])
            _put(page, f"{key}_exit_year", row["exit_year"])
            _put(page, f"{key}_approved", pd.Timestamp(row["approval_date"]).strftime("%Y-%m-%d"))
        elif item == "national_total":
            _put(page, "n_national_counties", int(china["official_count"].sum()))
        elif item == "last_national_exit":
            _put(page, "last_exit_year", int(china["exit_year"].max()))


def _exit_exhibit(
    area: CaseSettings, counties: pd.DataFrame, exits: pd.DataFrame
) -> tuple[pd.DataFrame | None, str | None]:
    """The exit table of the page and its source line (None, None without one)."""
    if area.exit_table == "counties":
        return exit_table(counties, area.county_codes), public_data.source_line(
            "case_area_counties"
        )
    if area.exit_table == "national":
        china = exits[exits["scope"] == "China"].sort_values("exit_year")
        return (
            national_exit_table(china).drop(columns=["Scope"]),
            public_data.source_line("county_exit_counts"),
        )
    return None, None


def _international(
    page: Page, line: float, national: pd.DataFrame, international: pd.DataFrame
) -> None:
    """The 2020 national rural incidence and the World Bank headcounts at ``line`` (USD a day,
    2021 PPP) in 2020 and 2021; the glue keys keep their names (``wdi_830_<year>``)."""
    rows = international[np.isclose(international["line_usd_2021ppp"].astype(float), line)]
    _put(page, "incidence_2020", _value(national, 2020, "incidence_pct", "incidence_status"))
    _put(page, "wdi_line_usd", float(rows["line_usd_2021ppp"].iloc[0]))
    for year in (2020, 2021):
        row = _single(rows, rows["year"] == year, f"WDI {line} {year}")
        _put(page, f"wdi_830_{year}", float(row["headcount_pct"]))


def build(case: str, datapackage_path: Any = public_data.DATAPACKAGE) -> Page:
    """The numbers, facts, tables and figures of one case's area-context page; the words are in
    ``text/area_context.md`` and the case's choices in ``data/settings/area_context.yaml``.

    Rules: percentage changes by :func:`census_change`; exit years from
    ``case_area_counties`` with their verification status; facts from ``locality_facts``
    (:class:`FactNumber`). Numbers: for each ``stated_units`` unit ``<key>_total_change_pct``,
    ``_urban_`` and ``_rural_``; for the ``claim_unit`` also ``<key>_pop_2010`` …
    ``<key>_rural_2020``; the exit numbers of ``exit_numbers``; ``rural_change_min_abs`` and
    ``rural_change_max_abs`` (smallest and largest fall of rural residents, in percent, as
    positive numbers); the international-line numbers; the fact numbers and the constants.
    The page also carries :func:`cases.pages.county_census.standing` (its numbers and facts),
    whose block the same template holds. Facts: ``case``, ``scope``, ``units`` (every census
    unit by key), ``stated``, ``claim``, ``shown`` (short names of the census units),
    ``pattern``, ``exit_waves``/``off_list``, ``exit_caption``, ``exit_source``. Tables:
    ``census``, ``facts`` and, where the case has them, ``exits``, ``baselines`` and
    ``post2020`` (with the ``post2020_<key>`` facts of :func:`post2020_numbers`). Figures:
    ``census`` and, with a claim, ``claim``.

    Raises:
        ValueError: ``case`` has no settings (listing the known ones).
        DataValidationError: the data contradict a sentence the text takes for granted.
    """
    from cases.pages import county_census

    areas = area_settings().cases
    if case not in areas:
        raise ValueError(f"area_context: unknown case {case!r}; known: {sorted(areas)}")
    area = areas[case]
    census = public_data.load_table("census_population", datapackage_path)
    counties = public_data.load_table("case_area_counties", datapackage_path)
    facts = public_data.load_table("locality_facts", datapackage_path)
    exits = public_data.load_table("county_exit_counts", datapackage_path)

    change = census_change(census, area.census_codes)
    units = _unit_facts(change)
    key_of = {unit["code"]: key for key, unit in units.items()}
    standing = county_census.standing(case)
    page = Page(
        numbers=dict(standing.numbers),
        facts={**standing.facts, "scope": area.scope, "units": units},
        tolerances=dict(standing.tolerances),
    )
    page.facts["shown"] = [unit["label"] for unit in units.values()]
    page.facts["stated"] = [key_of[code] for code in area.stated_units]
    for key in page.facts["stated"]:
        for part in _CHANGES:
            _put(page, f"{key}_{part}_change_pct", units[key][part])
    page.facts["claim"] = None
    if area.claim_unit is not None:
        key = key_of[area.claim_unit]
        claim = units[key]
        for part, sign in area.claim_assumes.items():
            _expect(
                (claim[part] > 0) if sign == "rise" else (claim[part] < 0),
                f"the {case} claim text assumes {part} residents {sign}",
            )
        for part in ("pop", "urban", "rural"):
            for year in (2010, 2020):
                _put(page, f"{key}_{part}_{year}", claim[f"{part}_{year}"])
        for part in _CHANGES:
            _put(page, f"{key}_{part}_change_pct", claim[part])
        page.facts["claim"] = key
        page.figures["claim"] = residents_figure(change, area.claim_unit, title=area.claim_title)
    page.facts["pattern"] = _pattern(change) if area.pattern else None
    if area.rural_range:
        _put(page, "rural_change_min_abs", float(-change["rural_change_pct"].max()))
        _put(page, "rural_change_max_abs", float(-change["rural_change_pct"].min()))

    page.facts["exit_waves"], page.facts["off_list"] = [], []
    _exit_numbers(page, area, counties, exits)
    exit_tab, exit_source = _exit_exhibit(area, counties, exits)
    page.facts["exit_caption"] = area.exit_caption
    page.facts["exit_source"] = exit_source
    if exit_tab is not None:
        page.tables["exits"] = exit_tab

    if area.international_line is not None:
        national = public_data.load_table("national_rural_poverty", datapackage_path)
        international = public_data.load_table("international_poverty", datapackage_path)
        _international(page, area.international_line, national, international)
    for key, spec in area.fact_numbers.items():
        value = _fact_by(facts, spec.place, spec.indicator, spec.year, spec.used)["value"]
        if spec.kind == "count":
            _put(page, key, int(value))
        else:
            _put(page, key, float(value) / spec.divide_by if spec.divide_by != 1 else float(value))
    for key, value in area.constants.items():
        _put(page, key, value)

    page.tables["census"] = census_display_table(change)
    page.tables["facts"] = facts_table(facts, area.fact_places)
    if area.baselines_place is not None:
        page.tables["baselines"] = baselines_table(facts, area.baselines_place)
    page.facts["post2020"] = area.post2020
    if area.post2020:
        # The national facts after 2020, repeated for a case set in that period (facts, not
        # numbers: the national chapter publishes them).
        policy = public_data.load_table("post2020_policy", datapackage_path)
        page.facts.update({f"post2020_{k}": v for k, v in post2020_numbers(policy).items()})
        page.tables["post2020"] = post2020_table(policy)
    page.figures["census"] = census_change_figure(change, title=area.census_title)
    # The bars the figure cuts at the axis end, for its caption (facts: the census chapter
    # publishes the values).
    page.facts["census_cut"] = census_cut_bars(change)
    return page


# --------------------------------------------------------------------------- national page

#: ``locality_facts`` rows stating the size of each county list: (place, indicator) by key.
_COUNTY_LISTS = {
    "lists_national": ("China", "national_poverty_counties"),
    "lists_key": ("China", "key_counties_poverty_alleviation"),
    "lists_contiguous": ("China", "contiguous_area_counties"),
    "gansu_poor_counties": ("Gansu", "poor_counties_national_and_provincial"),
    "henan_poor_counties": ("Henan", "poor_counties_national_and_provincial"),
}


def county_list_numbers(facts: pd.DataFrame, listed: pd.DataFrame) -> dict[str, int]:
    """The sizes of the three kinds of county list, kept apart: the national poverty counties
    (832), the key counties for poverty alleviation (592) and the contiguous-area counties
    (680), as published (``locality_facts``); provinces' own counts of their poor counties,
    national and provincial together (Gansu, Henan); and each province's rows in the national
    list (``poverty_counties``: ``gansu_national_counties``, ``henan_national_counties``).

    Raises:
        ValueError: a list size missing from ``locality_facts``, or a national list whose
            length differs from the published size.
    """
    out: dict[str, int] = {}
    for key, (place, indicator) in _COUNTY_LISTS.items():
        row = _single(
            facts,
            (facts["place"] == place) & (facts["indicator"] == indicator),
            f"{place} {indicator}",
        )
        out[key] = int(float(row["value"]))
    if len(listed) != out["lists_national"]:
        raise ValueError(
            f"county_list_numbers: the national list has {len(listed)} rows, "
            f"the published size is {out['lists_national']}"
        )
    for key, province in (("gansu", "甘肃省"), ("henan", "河南省")):
        out[f"{key}_national_counties"] = int((listed["province_zh"] == province).sum())
    return out


def build_national(datapackage_path: Any = public_data.DATAPACKAGE) -> Page:
    """The numbers, tables and figures of the national chapter (``notebooks/national_context``);
    the words are in ``text/national_context.md``.

    Numbers: :func:`national_numbers` as they are, and :func:`post2020_numbers` under
    ``post2020_<key>``. Facts: ``poor_derived``/``poor_not_verified`` (the years of the rural
    poor counts flagged so, in order). Tables: ``exits``, ``line``, ``post2020``. Figures:
    ``poverty``, ``exits``, ``lines``, ``income``.
    """
    national = public_data.load_table("national_rural_poverty", datapackage_path)
    exits = public_data.load_table("county_exit_counts", datapackage_path)
    international = public_data.load_table("international_poverty", datapackage_path)
    income = public_data.load_table("poor_area_rural_income", datapackage_path)
    policy = public_data.load_table("post2020_policy", datapackage_path)
    page = Page(numbers=national_numbers(national, exits, international, income))
    page.numbers.update({f"post2020_{k}": v for k, v in post2020_numbers(policy).items()})
    statuses = national["rural_poor_status"]
    for status in ("derived", "not_verified"):
        years = national.loc[statuses == status, "year"]
        page.facts[f"poor_{status}"] = [int(y) for y in years]
    facts = public_data.load_table("locality_facts", datapackage_path)
    listed = public_data.load_table("poverty_counties", datapackage_path)
    page.numbers.update(county_list_numbers(facts, listed))
    page.tables["exits"] = national_exit_table(exits)
    page.tables["line"] = national_line_table(national)
    page.tables["post2020"] = post2020_table(policy)
    page.figures["poverty"] = poverty_decline_figure(national)
    page.figures["exits"] = exit_waves_figure(exits)
    page.figures["lines"] = international_lines_figure(international, national)
    page.figures["income"] = poor_area_income_figure(income)
    return page
