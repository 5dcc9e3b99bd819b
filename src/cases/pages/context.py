"""Real public statistics set around the cases: the national context and each case's area.

Two notebooks use this module. ``national_context`` shows the national decline of rural
poverty under the 2010 standard, the waves of poverty counties leaving the national list, the
national line against the World Bank's international lines, and rural income in poor areas.
``area_context`` (one page per case) shows the case area's poverty counties and their exit
years, its 2010→2020 census change against its province, the published local figures, and,
where a thesis's claim meets a public figure, the two side by side.

Every value comes from ``data/raw/`` through :func:`cases.data.public_data.load_table`, which keeps
the status flags of the data package: ``published`` (quoted on a page read), ``derived``
(arithmetic from published figures) and ``not_verified`` (left empty). Derived values are
drawn with hollow markers, unverified ones are never drawn or filled in, and tables carry a
status column. Figure text is English/pinyin only (the font setup has no CJK glyphs yet).

Public API: :func:`percent_change`, :func:`census_change`, :func:`exit_table`,
:func:`facts_table`, :func:`baselines_table`, :func:`national_numbers`,
:func:`national_exit_table`, :func:`national_line_table`, the figure builders
(:func:`poverty_decline_figure`, :func:`exit_waves_figure`, :func:`international_lines_figure`,
:func:`poor_area_income_figure`, :func:`census_change_figure`, :func:`residents_figure`),
:data:`CASE_AREAS` and :func:`area_context`.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cases.core.errors import DataValidationError
from cases.data import public_data
from cases.present import report

__all__ = [
    "CASE_AREAS",
    "AreaContext",
    "CaseArea",
    "Claim",
    "area_context",
    "baselines_table",
    "census_change",
    "census_change_figure",
    "census_display_table",
    "exit_table",
    "exit_waves_figure",
    "facts_table",
    "international_lines_figure",
    "national_exit_table",
    "national_line_table",
    "national_numbers",
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


def census_change_figure(change: pd.DataFrame, *, title: str) -> mpl.figure.Figure:
    """Horizontal grouped bars of the total, urban and rural % change 2010→2020 per unit.

    Units marked ``renamed`` get a dagger (not boundary-adjusted). Stamped with the census
    source line.
    """
    n = len(change)
    fig, ax = plt.subplots(figsize=(7.0, 1.4 + 0.55 * n))
    positions = np.arange(n)[::-1]
    height = 0.26
    for offset, part in zip((height, 0.0, -height), ("total", "urban", "rural"), strict=True):
        ax.barh(
            positions + offset,
            change[f"{part}_change_pct"],
            height=height,
            color=_CHANGE_COLOURS[part],
            label=f"{part.capitalize()} residents",
        )
    labels = [
        f"{_short(name)}{' †' if renamed else ''} ({level})"
        for name, renamed, level in zip(
            change["name_en"], change["renamed"], change["level"], strict=True
        )
    ]
    ax.set_yticks(positions, labels)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel("Change in resident population, 2010 to 2020 (%)")
    ax.set_title(title, loc="left")
    handles, _ = ax.get_legend_handles_labels()
    if change["renamed"].any():
        handles.append(Patch(visible=False, label="† renamed or recoded;\nnot boundary-adjusted"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.grid(axis="y", visible=False)
    report.label_figure(fig, simulated=False, source=public_data.source_line("census_population"))
    return fig


def residents_figure(change: pd.DataFrame, code: int, *, title: str) -> mpl.figure.Figure:
    """Urban and rural residents (millions) of one unit in 2010 and 2020, side by side."""
    row = _single(change, change["code"] == int(code), f"census code {code} in the change table")
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
        ax.bar_label(bars, fmt="%.2f", fontsize=8, padding=2)
    ax.set_xticks(years, ["2010 census", "2020 census"])
    ax.set_ylabel("Residents (millions)")
    ax.set_title(title, loc="left")
    ax.legend(fontsize=8)
    ax.margins(y=0.15)
    report.label_figure(fig, simulated=False, source=public_data.source_line("census_population"))
    return fig


# --------------------------------------------------------------------------- counties and exits


def _status_of_county(on_list: Any, verified: Any) -> str:
    if on_list is pd.NA or on_list is None:
        return "list status unknown"
    if not bool(on_list):
        return "not on the list (third-party list only; not checked against an official list)"
    if verified is not pd.NA and bool(verified):
        return "verified (provincial announcement)"
    return "not verified (exit year from the third-party list only)"


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
        ["scope", "exit_year", "official_count", "official_status", "list_count", "flag"],
        "county_exit_counts",
    )
    status = exits["official_status"].map(
        {"published": "published", "not_verified": "not verified (list tally only)"}
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
        }
    )


def exit_waves_figure(exits: pd.DataFrame) -> mpl.figure.Figure:
    """Two panels: national official exits by year (list tally overlaid), and by year for
    Guizhou, Gansu and Henan, with list-only (not verified) counts drawn hatched and hollow."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 4.0), width_ratios=[1, 1.5])
    china = exits[exits["scope"] == "China"].sort_values("exit_year")
    years = china["exit_year"].astype(int).to_numpy()
    bars = left.bar(
        years, china["official_count"].astype(float), color=_BLUE, width=0.6, label="Official count"
    )
    left.bar_label(bars, fontsize=8, label_type="center", color="white")
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
                fontsize=7,
                color=_VERMILION,
            )
    left.set_title("China: counties leaving the list", loc="left")
    left.set_xlabel("Assessment year of exit")
    left.set_ylabel("National poverty counties (count)")
    left.set_xticks(years)
    left.margins(y=0.18)
    left.legend(fontsize=7, loc="upper left")

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
            right.text(x, value + 0.4, str(value), ha="center", va="bottom", fontsize=7)
    handles = [Patch(color=colours[p], label=p) for p in provinces]
    handles += [
        Patch(facecolor="#777777", label="Official count (published)"),
        Patch(
            facecolor="white",
            edgecolor="#777777",
            hatch="///",
            label="List tally only (not verified)",
        ),
    ]
    right.legend(handles=handles, fontsize=7, loc="upper left")
    right.set_title("Guizhou, Gansu and Henan", loc="left")
    right.set_xlabel("Assessment year of exit")
    right.set_ylabel("National poverty counties (count)")
    right.set_xticks(sorted(exits["exit_year"].astype(int).unique()))
    right.margins(y=0.15)
    for ax in (left, right):
        ax.grid(axis="x", visible=False)
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


def _status_legend(ax: mpl.axes.Axes, colour: str, statuses: Sequence[str]) -> None:
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
    ax.legend(handles=handles, fontsize=7, loc="upper right")


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
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.8))
    poor_millions = [v / 100 if not pd.isna(v) else np.nan for v in data["rural_poor_10k"]]
    _status_markers(left, years, poor_millions, data["rural_poor_status"].tolist(), _BLUE)
    _status_legend(left, _BLUE, data["rural_poor_status"].tolist())
    left.set_title("Rural poor population", loc="left")
    left.set_ylabel("Rural poor (millions of persons)")
    _status_markers(
        right, years, data["incidence_pct"].tolist(), data["incidence_status"].tolist(), _VERMILION
    )
    _status_legend(right, _VERMILION, data["incidence_status"].tolist())
    right.set_title("Rural poverty incidence", loc="left")
    right.set_ylabel("Share of rural residents (%)")
    for ax in (left, right):
        ax.set_xlabel("End of year")
        ax.set_xticks(years[::2])
        ax.set_ylim(bottom=0)
    report.label_figure(
        fig, simulated=False, source=public_data.source_line("national_rural_poverty")
    )
    return fig


def international_lines_figure(
    international: pd.DataFrame, national: pd.DataFrame
) -> mpl.figure.Figure:
    """WDI headcounts for China at $3.00, $4.20 and $8.30 a day (2021 PPP), every survey year,
    with the NBS rural incidence under the 2010 standard (rural residents only) dashed."""
    fig, ax = plt.subplots(figsize=(8.0, 4.6))
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
    nat = national.dropna(subset=["incidence_pct"]).sort_values("year")
    ax.plot(
        nat["year"].astype(int),
        nat["incidence_pct"].astype(float),
        "s--",
        color="black",
        markersize=3.5,
        label="National rural line (2010 standard), rural residents only",
    )
    ax.set_xlabel("Year")
    ax.set_ylabel("Population below the line (%)")
    ax.set_title("China: poverty headcounts at international and national lines", loc="left")
    ax.set_ylim(0, 102)
    ax.legend(fontsize=7, loc="upper right")
    # Both series are WDI (the national one is NBS's rural incidence as carried by WDI).
    source = (
        f"{public_data.source_line('international_poverty')} National rural line: WDI "
        "SI.POV.NAHC (NBS rural incidence), CC BY 4.0."
    )
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
            "Line (current yuan per person per year)": data["poverty_line_yuan"],
            "Status": data["poverty_line_status"].map(STATUS_TEXT).astype(str),
        }
    )


def poor_area_income_figure(income: pd.DataFrame) -> mpl.figure.Figure:
    """Bars of rural per-capita disposable income in poor areas 2016–2019 (current yuan), with
    the 2019 values for contiguous poor areas and key counties as markers."""
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    everyone = income[income["area"] == "all poor areas"].sort_values("year")
    bars = ax.bar(
        everyone["year"].astype(int),
        everyone["income_yuan"].astype(float),
        color=_BLUE,
        width=0.6,
        label="All poor areas",
    )
    ax.bar_label(
        bars, labels=[f"{int(v):,}" for v in everyone["income_yuan"]], fontsize=8, padding=2
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
            fontsize=7,
            rotation=90,
            label_type="center",
            color="white",
        )
    if (income["status"] != "published").any():
        raise ValueError("poor_area_income_figure: every income value must be published")
    ax.set_xticks(everyone["year"].astype(int))
    ax.set_xlabel("Year")
    ax.set_ylabel("Current yuan per person per year")
    ax.set_title("Disposable income of rural residents in poor areas", loc="left")
    ax.set_ylim(0, float(income["income_yuan"].max()) * 1.18)
    ax.legend(fontsize=7, loc="upper left")
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
            "Indicator": rows["indicator"].str.replace("_", " "),
            "Year": rows["year"].map(_year_text),
            "Value": rows["value"].map(_value_text),
            "Unit": rows["unit"],
            "Status": rows.apply(_fact_status, axis=1),
            "Publisher": rows["source_publisher"],
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
            "Indicator": rows["indicator"].str.replace("_", " "),
            "Year": rows["year"].map(_year_text),
            "Value": rows["value"].map(_value_text),
            "Unit": rows["unit"],
            "Used in the book": rows["used_in_book"].map({True: "yes", False: "no (alternative)"}),
            "Publisher": rows["source_publisher"],
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


def _post2020_status(row: pd.Series) -> str:
    if pd.isna(row["value"]):
        return "not found"
    return "published" if bool(row["verified"]) else "not verified (project tally)"


def post2020_table(policy: pd.DataFrame) -> pd.DataFrame:
    """The post-2020 facts for display: fact, value, scope, status, publisher and a short
    "where read" link (the page's host, linked to the address)."""
    _require_columns(policy, _POST2020_COLUMNS, "post2020_policy")
    where = [
        f'<a href="{html.escape(url, quote=True)}">{html.escape(_host(url))}</a>'
        for url in policy["source_page"].astype(str)
    ]
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


# --------------------------------------------------------------------------- case areas


@dataclass(frozen=True)
class Claim:
    """A thesis claim that meets a public figure, with what the figure does and does not show."""

    text: str
    census_code: int
    shows: str
    does_not_show: str


@dataclass(frozen=True)
class CaseArea:
    """Which public statistics describe a case's area.

    ``scope``: ``named`` (the place itself is named), ``benchmarks`` (only the thesis's
    benchmark places are named), ``province`` (anonymised place in a named province) or
    ``national`` (neither place nor province named).
    """

    slug: str
    scope: str
    census_codes: tuple[int, ...]
    county_codes: tuple[int, ...]
    fact_places: tuple[str, ...]
    claim: Claim | None = None


_LIUPANSHUI_CLAIM = Claim(
    text="The thesis reports that migrant workers came back to work in the reform's industrial "
    "projects (see the case profile).",
    census_code=520200,
    shows="more people lived in Liupanshui in 2020 than in 2010, so the city did not lose "
    "residents overall. That is consistent with some workers coming back, or with fewer "
    "leaving, but equally with births exceeding deaths. Its villages held far fewer residents, "
    "so any return went mostly to towns, or was outweighed by departures and by villages "
    "reclassified as urban",
    does_not_show="the census counts residents where they usually live, not migrants or "
    "returnees: a net change mixes births and deaths, departures and returns, and villages "
    "reclassified as urban. It cannot say whether anyone came back, from where, or whether "
    "those who came back work in the reform's projects",
)
_SHANDONG_CLAIM = Claim(
    text="The thesis sets its study against the departure of many young rural labourers from "
    "the countryside (a background statement of the abstract, not a finding about A Town).",
    census_code=370000,
    shows="a large fall in the number of people living in rural Shandong while its urban "
    "population grew, which is consistent with an outflow from the countryside",
    does_not_show="it does not measure outflow: rural areas reclassified as urban, deaths "
    "exceeding births in an ageing countryside, and moves to the county town all lower the "
    "rural count too. The census tables held here have no age breakdown, so they say nothing "
    "about the young in particular, and nothing about A Town itself",
)

#: The public statistics that describe each case's area.
CASE_AREAS: dict[str, CaseArea] = {
    "liupanshui": CaseArea(
        slug="liupanshui",
        scope="named",
        census_codes=(520000, 520200, 520201, 520203, 520204, 520281),
        county_codes=(520201, 520203, 520204, 520281),
        fact_places=(
            "Liupanshui",
            "Pan County",
            "Liuzhi Special District",
            "Shepeng village (Pugu township)",
        ),
        claim=_LIUPANSHUI_CLAIM,
    ),
    "pingliang": CaseArea(
        slug="pingliang",
        scope="named",
        census_codes=(620000, 620800, 620802, 620821, 620822, 620823, 620881, 620825, 620826),
        county_codes=(620802, 620821, 620822, 620823, 620881, 620825, 620826),
        fact_places=("Zhuanglang County", "Gansu"),
    ),
    "h_county": CaseArea(
        slug="h_county",
        scope="benchmarks",
        census_codes=(410000, 410200, 410225, 370000, 371300, 371323, 371600, 371625),
        county_codes=(410225, 371323, 371625),
        fact_places=("Lankao County", "Henan", "Linyi", "Wantou village (Boxing County)"),
    ),
    "shandong_a_town": CaseArea(
        slug="shandong_a_town",
        scope="province",
        census_codes=(370000, 520000, 620000, 410000),
        county_codes=(),
        fact_places=("China", "China: eastern region", "Linyi"),
        claim=_SHANDONG_CLAIM,
    ),
    "w_town": CaseArea(
        slug="w_town",
        scope="national",
        census_codes=(520000, 620000, 370000, 410000),
        county_codes=(),
        fact_places=(
            "China",
            "China: eastern region",
            "China: central region",
            "China: western region",
        ),
    ),
}


class _Prose:
    """Builds case-specific Markdown whose numbers are glue roles, recording each number."""

    def __init__(self, prefix: str = "context_"):
        self.prefix = prefix
        self.numbers: dict[str, Any] = {}

    def num(self, key: str, value: Any, fmt: str = "") -> str:
        value = _py(value)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"glued number {key!r} is not finite: {value!r}")
        if key in self.numbers and self.numbers[key] != value:
            raise ValueError(f"glue key {key!r} given two values: {self.numbers[key]!r}, {value!r}")
        self.numbers[key] = value
        spec = f":{fmt}" if fmt else ""
        return f"{{glue:text}}`{self.prefix}{key}{spec}`"


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _short(name_en: str) -> str:
    """``"Liuzhi Special District"`` → ``"Liuzhi"``; ``"Panzhou (formerly Pan County)"`` →
    ``"Panzhou"`` (for running prose)."""
    return re.match(r"[A-Za-z]+", name_en).group()  # type: ignore[union-attr]


def _figure_block(key: str, name: str, alt: str, caption: str) -> str:
    return f"```{{glue:figure}} {key}\n:name: {name}\n:alt: {alt}\n\n{caption}\n```"


@dataclass
class AreaContext:
    """Everything the ``area_context`` page of one case shows (see :func:`area_context`)."""

    case: str
    area: CaseArea
    numbers: dict[str, Any]
    markdown: dict[str, str]
    census: pd.DataFrame
    exit_table: pd.DataFrame | None
    exit_source: str | None
    exit_caption: str | None
    facts: pd.DataFrame
    baselines: pd.DataFrame | None
    figures: dict[str, Callable[[], mpl.figure.Figure]] = field(default_factory=dict)


def _change_sentence(p: _Prose, row: pd.Series, label: str) -> str:
    key = row["key"]
    return (
        f"{label}: total {p.num(f'{key}_total_change_pct', row['total_change_pct'], '+.1f')}%, "
        f"urban {p.num(f'{key}_urban_change_pct', row['urban_change_pct'], '+.1f')}%, "
        f"rural {p.num(f'{key}_rural_change_pct', row['rural_change_pct'], '+.1f')}%"
    )


def _exit_sentences(
    p: _Prose, table: pd.DataFrame, counties: pd.DataFrame, codes: Sequence[int]
) -> str:
    """Which units were on the list, when each left it, and how sure the date is."""
    sub = counties.set_index(counties["code_2020"].astype(int)).loc[list(codes)]
    on = sub[sub["on_national_list"].astype(bool)]
    off = sub[~sub["on_national_list"].astype(bool)]
    parts = [
        f"Of these {p.num('n_units', len(sub))} county-level units, "
        f"{p.num('n_on_list', len(on))} were national poverty counties."
    ]
    for year, group in on.groupby(on["exit_year"].astype(int), sort=True):
        names = [_short(n) for n in group["name_en"]]
        verified = group["verified"].astype(bool)
        key = f"exit_year_{_unit_key(names[0])}"
        sentence = f"{_join(names)} left the list in the {p.num(key, year)} assessment"
        dates = group.loc[verified, "approval_date"].dropna().unique()
        if len(dates) == 1:
            sentence += (
                " (approved by the province on "
                f"{p.num(key + '_approved', pd.Timestamp(dates[0]).strftime('%Y-%m-%d'))})"
            )
        if (~verified).all():
            sentence += (
                ", according to the third-party list only: no official announcement was "
                "read, so the table marks "
                f"{'this year' if len(group) == 1 else 'these years'} not verified"
            )
        parts.append(sentence + ".")
    if len(off):
        names = [_short(n) for n in off["name_en"]]
        verb = "was" if len(names) == 1 else "were"
        parts.append(
            f"{_join(names)} {verb} not on the list (according to the third-party list, not "
            "checked against an official one)."
        )
    return " ".join(parts)


def area_context(case: str, datapackage_path: Any = public_data.DATAPACKAGE) -> AreaContext:
    """Assemble the public statistics, prose and figures of one case's area-context page.

    Rules: see :data:`CASE_AREAS` for the units of each case; percentage changes by
    :func:`census_change`; exit years from ``case_area_counties`` with their verification
    status; facts from ``locality_facts``. Every number in the returned Markdown is a
    ``{glue:text}`context_<key>``` role whose value is in ``numbers`` (glue them all, with the
    ``context_`` prefix). Figure ``:name:`` labels carry the case slug, so they stay unique
    across the book's pages.

    Raises:
        ValueError: ``case`` has no entry in :data:`CASE_AREAS` (listing the known ones).
    """
    if case not in CASE_AREAS:
        raise ValueError(f"area_context: unknown case {case!r}; known: {sorted(CASE_AREAS)}")
    area = CASE_AREAS[case]
    census = public_data.load_table("census_population", datapackage_path)
    counties = public_data.load_table("case_area_counties", datapackage_path)
    facts = public_data.load_table("locality_facts", datapackage_path)
    exits = public_data.load_table("county_exit_counts", datapackage_path)
    national = public_data.load_table("national_rural_poverty", datapackage_path)
    international = public_data.load_table("international_poverty", datapackage_path)

    change = census_change(census, area.census_codes)
    rows = {int(r["code"]): r for _, r in change.iterrows()}
    p = _Prose()
    md: dict[str, str] = {}
    census_fig_name = f"fig-context-census-{case}"
    claim_fig_name = f"fig-context-claim-{case}"
    figures: dict[str, Callable[[], mpl.figure.Figure]] = {}
    exit_tab: pd.DataFrame | None = None
    exit_source: str | None = None
    exit_caption: str | None = None
    baselines: pd.DataFrame | None = None

    if case == "liupanshui":
        exit_caption = "National-list status and exit of Liupanshui's county-level units"
        city, guizhou = rows[520200], rows[520000]
        _expect(
            city["total_change_pct"] > 0 > city["rural_change_pct"],
            "the Liupanshui claim text assumes total residents rose and rural residents fell",
        )
        md["intro"] = (
            "The thesis names its place, Liupanshui City (六盘水市) in Guizhou, so the city and "
            "its county-level units can be matched to public statistics: the national list of "
            "poverty counties, the 2010 and 2020 censuses, and figures published about the city."
        )
        exit_tab = exit_table(counties, area.county_codes)
        exit_source = public_data.source_line("case_area_counties")
        listed = counties[counties["code_2020"].isin(area.county_codes)]
        last_exit = int(listed["exit_year"].max())
        md["exit_text"] = _exit_sentences(p, exit_tab, counties, area.county_codes) + (
            f" After the {p.num('last_exit_year', last_exit)} batch every poor county of "
            "Liupanshui had left the list, ahead of the national deadline at the end of 2020."
        )
        md["census_text"] = (
            f"{{numref}}`{census_fig_name}` compares the city and its units with Guizhou. "
            + _change_sentence(p, city, "Liupanshui")
            + "; "
            + _change_sentence(p, guizhou, "Guizhou")
            + ". "
            + _pattern_sentence(change)
        )
        md["census_figure"] = _figure_block(
            "context_census_fig",
            census_fig_name,
            "Horizontal bars of the percentage change in total, urban and rural residents "
            "2010-2020 for Guizhou, Liupanshui and its four county-level units.",
            "Change in resident population between the 2010 and 2020 censuses: Guizhou, "
            "Liupanshui and its county-level units (total, urban, rural). † renamed or recoded "
            "unit (not boundary-adjusted).",
        )
        md["claim_text"] = _claim_text(
            p,
            area.claim,
            rows[area.claim.census_code],
            "Liupanshui",
            claim_fig_name,
            extra=(
                f"Guizhou's rural residents changed by "
                f"{p.num('guizhou_rural_change_pct', guizhou['rural_change_pct'], '+.1f')}% "
                "over the same years."
            ),
        )
        md["claim_figure"] = _figure_block(
            "context_claim_fig",
            claim_fig_name,
            "Bars of Liupanshui's urban and rural residents in millions at the 2010 and 2020 "
            "censuses.",
            "Liupanshui's urban and rural residents at the 2010 and 2020 censuses (millions), "
            "the public figure nearest to the thesis's report of returning migrant workers.",
        )
        figures["claim"] = lambda: residents_figure(
            change, 520200, title="Liupanshui: urban and rural residents"
        )
        baselines = baselines_table(facts, "Liupanshui")
        md["facts_text"] = _liupanshui_facts_text(p, facts)
        census_title = "Liupanshui and Guizhou: population change 2010-2020"
    elif case == "pingliang":
        exit_caption = "National-list status and exit of Pingliang's county-level units"
        city, gansu = rows[620800], rows[620000]
        md["intro"] = (
            "The thesis names the prefecture, Pingliang City (平凉市) in Gansu, but not the "
            "township: W Town is anonymised and cannot be matched to public statistics. This "
            "section therefore describes the prefecture, its county-level units and the "
            "province, which frame the town without describing it."
        )
        exit_tab = exit_table(counties, area.county_codes)
        exit_source = public_data.source_line("case_area_counties")
        md["exit_text"] = _exit_sentences(p, exit_tab, counties, area.county_codes)
        md["census_text"] = (
            f"{{numref}}`{census_fig_name}` compares the prefecture and its units with Gansu. "
            + _change_sentence(p, city, "Pingliang")
            + "; "
            + _change_sentence(p, gansu, "Gansu")
            + ". "
            + _pattern_sentence(change)
        )
        md["census_figure"] = _figure_block(
            "context_census_fig",
            census_fig_name,
            "Horizontal bars of the percentage change in total, urban and rural residents "
            "2010-2020 for Gansu, Pingliang and its seven county-level units.",
            "Change in resident population between the 2010 and 2020 censuses: Gansu, "
            "Pingliang and its county-level units (total, urban, rural). † renamed or recoded "
            "unit (not boundary-adjusted).",
        )
        md["claim_text"] = (
            "The abstract describes a deeply poor township in which six of ten administrative "
            "villages were registered as poor. That is a township-level fact with no public "
            "counterpart here, so no claim of the thesis is set against the statistics on this "
            "page; they describe the prefecture around the town."
        )
        md["claim_figure"] = ""
        md["facts_text"] = _pingliang_facts_text(p, facts)
        census_title = "Pingliang and Gansu: population change 2010-2020"
    elif case == "h_county":
        exit_caption = "National-list status and exit of the benchmark counties"
        lankao, yishui, boxing = rows[410225], rows[371323], rows[371625]
        lankao_row = _single(counties, counties["code_2020"] == 410225, "Lankao")
        lankao_date = pd.Timestamp(lankao_row["approval_date"]).strftime("%Y-%m-%d")
        first_wave = _single(
            exits, (exits["scope"] == "China") & (exits["exit_year"] == 2016), "China exits 2016"
        )
        md["intro"] = (
            "H County is anonymised and the thesis does not name its province, so the county "
            "cannot be matched to public statistics. The thesis does name the three counties it "
            "learned from (Lankao in Henan, Yishui and Boxing in Shandong); this section "
            "describes them. Their figures describe the benchmarks, not H County."
        )
        exit_tab = exit_table(counties, area.county_codes)
        exit_source = public_data.source_line("case_area_counties")
        md["exit_text"] = (
            f"Lankao was among the first {p.num('first_wave_exits', first_wave['official_count'])} "
            "national poverty counties to leave the list, in the "
            f"{p.num('lankao_exit_year', lankao_row['exit_year'])} "
            "assessment (approved by Henan on "
            f"{p.num('lankao_approved', lankao_date)}). "
            "Yishui and Boxing were never national poverty counties: according to the "
            "third-party list, Shandong had none, and it ran a provincial poverty standard of "
            "its own."
        )
        md["census_text"] = (
            f"{{numref}}`{census_fig_name}` sets the three counties beside their prefectures "
            "and provinces. "
            + _change_sentence(p, lankao, "Lankao")
            + "; "
            + _change_sentence(p, yishui, "Yishui")
            + "; "
            + _change_sentence(p, boxing, "Boxing")
            + ". "
            + _pattern_sentence(change)
        )
        md["census_figure"] = _figure_block(
            "context_census_fig",
            census_fig_name,
            "Horizontal bars of the percentage change in total, urban and rural residents "
            "2010-2020 for Henan, Kaifeng, Lankao, Shandong, Linyi, Yishui, Binzhou and Boxing.",
            "Change in resident population between the 2010 and 2020 censuses: the benchmark "
            "counties Lankao, Yishui and Boxing, with their prefectures and provinces.",
        )
        md["claim_text"] = (
            "Because H County cannot be identified, none of the thesis's claims about it can be "
            "set against public statistics. The benchmarks' figures show what the places the "
            "thesis learned from looked like; they are not evidence about H County."
        )
        md["claim_figure"] = ""
        md["facts_text"] = _h_county_facts_text(p, facts)
        census_title = "Benchmark counties: population change 2010-2020"
    elif case == "shandong_a_town":
        shandong = rows[370000]
        _expect(
            shandong["urban_change_pct"] > 0 > shandong["rural_change_pct"],
            "the Shandong claim text assumes urban residents rose and rural residents fell",
        )
        n_national = int(exits.loc[exits["scope"] == "China", "official_count"].sum())
        exit_caption = None
        md["intro"] = (
            "A Town is anonymised: the thesis names only its province, Shandong (山东省), so the "
            "town cannot be matched to public statistics. This section gives the provincial "
            "context, set beside the three other provinces of the book's named cases."
        )
        md["exit_text"] = (
            "Shandong had no national poverty counties (according to the third-party list of the "
            f"{p.num('n_national_counties', n_national)}); its poverty work ran under a provincial "
            "standard, so A Town's county, whichever it is, was not on the national list."
        )
        md["census_text"] = (
            f"{{numref}}`{census_fig_name}` compares Shandong with Guizhou, Gansu and Henan. "
            + _change_sentence(p, shandong, "Shandong")
            + "."
        )
        md["census_figure"] = _figure_block(
            "context_census_fig",
            census_fig_name,
            "Horizontal bars of the percentage change in total, urban and rural residents "
            "2010-2020 for Shandong, Guizhou, Gansu and Henan.",
            "Change in resident population between the 2010 and 2020 censuses: Shandong, with "
            "the provinces of the book's other named cases for comparison.",
        )
        md["claim_text"] = _claim_text(p, area.claim, shandong, "Shandong", claim_fig_name)
        md["claim_figure"] = _figure_block(
            "context_claim_fig",
            claim_fig_name,
            "Bars of Shandong's urban and rural residents in millions at the 2010 and 2020 "
            "censuses.",
            "Shandong's urban and rural residents at the 2010 and 2020 censuses (millions), "
            "the public figure nearest to the thesis's statement that young rural labourers "
            "were leaving.",
        )
        figures["claim"] = lambda: residents_figure(
            change, 370000, title="Shandong: urban and rural residents"
        )
        md["facts_text"] = _regional_facts_text(p, facts, focus="eastern", shandong=True)
        census_title = "Shandong and the other case provinces: population change 2010-2020"
    else:  # w_town
        md["intro"] = (
            "W Town is anonymised and the thesis does not name its province, so the town cannot "
            "be matched to public statistics. This section gives the national context of its "
            "period, the years after absolute poverty was declared ended in 2020."
        )
        china = exits[exits["scope"] == "China"].sort_values("exit_year")
        exit_tab = national_exit_table(china).drop(columns=["Scope"])
        exit_caption = "National poverty counties leaving the list, China, by assessment year"
        exit_source = public_data.source_line("county_exit_counts")
        md["exit_text"] = (
            "Whether W Town's county was a national poverty county is not known. All "
            f"{p.num('n_national_counties', int(china['official_count'].sum()))} had left the "
            f"list by the end of the {p.num('last_exit_year', int(china['exit_year'].max()))} "
            "assessment; the waves are shown in the national chapter "
            "({numref}`fig-national-exits`)."
        )
        smallest_fall = float(-change["rural_change_pct"].max())
        largest_fall = float(-change["rural_change_pct"].min())
        md["census_text"] = (
            "With no province to compare, "
            f"{{numref}}`{census_fig_name}` shows, for orientation only, the provinces of the "
            "book's other cases; none of them is known to be W Town's. Rural residents fell "
            f"in each, by between {p.num('rural_change_min_abs', smallest_fall, '.1f')}% "
            f"and {p.num('rural_change_max_abs', largest_fall, '.1f')}%."
        )
        md["census_figure"] = _figure_block(
            "context_census_fig",
            census_fig_name,
            "Horizontal bars of the percentage change in total, urban and rural residents "
            "2010-2020 for Guizhou, Gansu, Shandong and Henan.",
            "Change in resident population between the 2010 and 2020 censuses in the provinces "
            "of the book's other cases (for orientation; W Town's province is not stated).",
        )
        wdi = international[np.isclose(international["line_usd_2021ppp"].astype(float), 8.3)]
        wdi_line = float(wdi["line_usd_2021ppp"].iloc[0])
        wdi_2020 = float(_single(wdi, wdi["year"] == 2020, "WDI 8.3 2020")["headcount_pct"])
        wdi_2021 = float(_single(wdi, wdi["year"] == 2021, "WDI 8.3 2021")["headcount_pct"])
        incidence_2020 = _value(national, 2020, "incidence_pct", "incidence_status")
        md["claim_text"] = (
            "The thesis studies relative poverty after 2020. No official relative-poverty line "
            "exists in the public data held here, and the national rural incidence under the "
            "2010 standard was "
            f"{p.num('incidence_2020', incidence_2020, '.1f')}% "
            "in 2020. The nearest public measure is the World Bank's upper-middle-income line: "
            f"{p.num('wdi_830_2020', wdi_2020, '.1f')}% "
            f"of China's population lived below \\${p.num('wdi_line_usd', wdi_line, '.2f')} "
            "a day (2021 PPP) in 2020 and "
            f"{p.num('wdi_830_2021', wdi_2021, '.1f')}% "
            "in 2021 ({numref}`fig-national-lines`). This shows that a large share of the "
            "population remained poor by a higher standard once absolute poverty had ended; "
            "it does not show where W Town stands, and an international line is not the "
            "relative-poverty line the thesis has in mind."
        )
        md["claim_figure"] = ""
        md["facts_text"] = _regional_facts_text(p, facts, focus="all", shandong=False)
        census_title = "Provinces of the book's cases: population change 2010-2020"

    figures["census"] = lambda: census_change_figure(change, title=census_title)
    fact_table = facts_table(facts, area.fact_places)
    return AreaContext(
        case=case,
        area=area,
        numbers=p.numbers,
        markdown=md,
        census=change,
        exit_table=exit_tab,
        exit_source=exit_source,
        exit_caption=exit_caption,
        facts=fact_table,
        baselines=baselines,
        figures=figures,
    )


def _pattern_sentence(change: pd.DataFrame) -> str:
    """Which units lost residents overall, and whether rural residents fell and urban residents
    rose everywhere, stated from the data (never assumed)."""
    names = [_short(n) for n in change["name_en"]]
    shrinking = [n for n, c in zip(names, change["total_change_pct"], strict=True) if c < 0]
    rural_up = [n for n, c in zip(names, change["rural_change_pct"], strict=True) if c >= 0]
    urban_down = [n for n, c in zip(names, change["urban_change_pct"], strict=True) if c <= 0]
    parts = []
    if rural_up:
        parts.append(f"Rural residents fell everywhere except {_join(rural_up)}")
    else:
        parts.append("Rural residents fell in every unit shown")
    if urban_down:
        parts.append(f"urban residents rose everywhere except {_join(urban_down)}")
    else:
        parts.append("urban residents rose in every unit")
    sentence = "; ".join(parts) + "."
    if shrinking and len(shrinking) == len(names):
        sentence += " Every unit shown lost residents overall."
    elif shrinking:
        sentence += f" {_join(shrinking)} lost residents overall."
    else:
        sentence += " No unit shown lost residents overall."
    return sentence


def _expect(condition: bool, what: str) -> None:
    """Stop if the data no longer support a sentence of the prose (rather than print it)."""
    if not condition:
        raise DataValidationError("context prose", [what])


def _claim_text(
    p: _Prose, claim: Claim | None, row: pd.Series, label: str, fig_name: str, extra: str = ""
) -> str:
    if claim is None:
        raise ValueError(f"{label}: no claim recorded")
    key = row["key"]
    return (
        f"{claim.text} The nearest public figure is the census ({{numref}}`{fig_name}`). "
        f"Between 2010 and 2020 {label}'s residents went from "
        f"{p.num(f'{key}_pop_2010', row['pop_2010'], ',d')} to "
        f"{p.num(f'{key}_pop_2020', row['pop_2020'], ',d')} "
        f"({p.num(f'{key}_total_change_pct', row['total_change_pct'], '+.1f')}%); urban residents "
        f"from {p.num(f'{key}_urban_2010', row['urban_2010'], ',d')} to "
        f"{p.num(f'{key}_urban_2020', row['urban_2020'], ',d')} "
        f"({p.num(f'{key}_urban_change_pct', row['urban_change_pct'], '+.1f')}%), and rural "
        f"residents from {p.num(f'{key}_rural_2010', row['rural_2010'], ',d')} to "
        f"{p.num(f'{key}_rural_2020', row['rural_2020'], ',d')} "
        f"({p.num(f'{key}_rural_change_pct', row['rural_change_pct'], '+.1f')}%). "
        + (extra + " " if extra else "")
        + f"\n\n**What the figure shows:** {claim.shows}.\n\n"
        f"**What it does not show:** {claim.does_not_show}."
    )


def _fact(facts: pd.DataFrame, fact_id: int) -> pd.Series:
    return _single(facts, facts["fact_id"] == fact_id, f"locality fact {fact_id}")


def _fact_by(
    facts: pd.DataFrame, place: str, indicator: str, year: int | None, used: bool | None = None
) -> pd.Series:
    mask = (facts["place"] == place) & (facts["indicator"] == indicator)
    mask &= facts["year"].isna() if year is None else (facts["year"] == year)
    if used is not None:
        mask &= facts["used_in_book"] == used
    return _single(facts, mask, f"{place} {indicator} {year}")


def _liupanshui_facts_text(p: _Prose, facts: pd.DataFrame) -> str:
    a_pop = _fact_by(facts, "Liupanshui", "registered_poor_population", 2014, used=True)
    b_pop = _fact_by(facts, "Liupanshui", "registered_poor_population", 2014, used=False)
    a_inc = _fact_by(facts, "Liupanshui", "poverty_incidence", 2014, used=True)
    b_inc = _fact_by(facts, "Liupanshui", "poverty_incidence", 2014, used=False)
    end_pop = _fact_by(facts, "Liupanshui", "registered_poor_population", 2019)
    end_inc = _fact_by(facts, "Liupanshui", "poverty_incidence", 2019)
    return (
        "Liupanshui's registered poor population for 2014 was published on two baselines that "
        f"disagree: {p.num('baseline_a_poor_2014', int(a_pop['value']), ',d')} people and an "
        f"incidence of {p.num('baseline_a_incidence_2014', float(a_inc['value']), '.2f')}% "
        f"(baseline A) against {p.num('baseline_b_poor_2014', int(b_pop['value']), ',d')} people "
        f"and {p.num('baseline_b_incidence_2014', float(b_inc['value']), '.2f')}% (baseline B). "
        "**The book uses baseline A**, because the same article gives both ends of 2014–2019 on "
        f"one basis: {p.num('poor_2019', int(end_pop['value']), ',d')} people and "
        f"{p.num('incidence_2019', float(end_inc['value']), '.2f')}% in 2019. Baseline B is "
        "shown as an alternative only. Both were read on reprint pages whose original publisher "
        "is not identified, so neither is an official statistical release."
    )


def _pingliang_facts_text(p: _Prose, facts: pd.DataFrame) -> str:
    start = _fact_by(facts, "Zhuanglang County", "poverty_incidence", 2014)
    end = _fact_by(facts, "Zhuanglang County", "poverty_incidence", 2019)
    registered = _fact_by(facts, "Gansu", "registered_poor_population", 2013)
    return (
        "Few local figures were found. In Zhuanglang, one of Pingliang's poverty counties (not "
        "known to be W Town's), the published poverty incidence fell from "
        f"{p.num('zhuanglang_incidence_2014', float(start['value']), '.2f')}% at the end of 2014 "
        f"to {p.num('zhuanglang_incidence_2019', float(end['value']), '.2f')}% at the end of "
        "2019. Gansu registered "
        f"{p.num('gansu_registered_poor_2013', int(registered['value']), ',d')} poor people in "
        "2013. Rows without a stated year are marked so."
    )


def _h_county_facts_text(p: _Prose, facts: pd.DataFrame) -> str:
    lankao = _fact_by(facts, "Lankao County", "poverty_incidence", 2016)
    linyi = _fact_by(facts, "Linyi", "poverty_incidence", 2015)
    linyi_poor = _fact_by(facts, "Linyi", "poor_persons", 2015)
    return (
        "At the provincial check before its exit, Lankao's poverty incidence was "
        f"{p.num('lankao_incidence_2016', float(lankao['value']), '.2f')}%. Linyi, Yishui's "
        "prefecture, counted "
        f"{p.num('linyi_poor_2015', int(linyi_poor['value']), ',d')} poor people "
        f"({p.num('linyi_incidence_2015', float(linyi['value']), '.2f')}%) at the end of 2015 "
        "under Shandong's provincial standard, which is not the national one, so the two "
        "incidences are not comparable. Wantou village in Boxing, a Taobao village, is known "
        "for e-commerce; its figures are approximate or lower bounds, as the table marks."
    )


def _regional_facts_text(p: _Prose, facts: pd.DataFrame, *, focus: str, shandong: bool) -> str:
    regions = ("eastern", "central", "western") if focus == "all" else ("eastern",)
    parts = []
    for region in regions:
        place = f"China: {region} region"
        start = _fact_by(facts, place, "rural_poor_10k", 2017)
        end = _fact_by(facts, place, "rural_poor_10k", 2019)
        parts.append(
            f"the {region} region from "
            f"{p.num(f'{region}_poor_2017_mn', start['value'] / 100, '.2f')} million to "
            f"{p.num(f'{region}_poor_2019_mn', end['value'] / 100, '.2f')} million"
        )
    provinces = _fact_by(facts, "China", "provinces_incidence_at_most_3pct", 2018)
    text = (
        "Between the end of 2017 and the end of 2019 the rural poor under the national standard "
        f"fell in {_join(parts)}. In 2018, "
        f"{p.num('provinces_at_most_3pct_2018', int(provinces['value']))} provinces had a rural "
        f"poverty incidence of {p.num('incidence_threshold_pct', 3)}% or less"
    )
    if shandong:
        linyi_poor = _fact_by(facts, "Linyi", "poor_persons", 2015)
        linyi = _fact_by(facts, "Linyi", "poverty_incidence", 2015)
        text += (
            ", Shandong among them. Shandong is in the eastern region. Under its provincial "
            "standard, Linyi (one Shandong prefecture, not known to be A Town's) counted "
            f"{p.num('linyi_poor_2015', int(linyi_poor['value']), ',d')} poor people "
            f"({p.num('linyi_incidence_2015', float(linyi['value']), '.2f')}%) at the end of 2015."
        )
    else:
        text += "."
    return text
