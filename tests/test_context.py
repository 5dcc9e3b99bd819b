"""Tests for cases.pages.context: real public statistics around the cases.

Expected values are computed by hand from the CSV files in data/raw/ (the arithmetic is in the
comments), never by the code under test.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.patches import Rectangle

from cases.core.errors import DataValidationError
from cases.core.files import read_yaml
from cases.data import public_data
from cases.pages import context
from cases.present.page import Page

FIG_NAME = re.compile(r":name: (\S+)")
AREA_BLOCKS = {
    "intro",
    "exit_text",
    "post2020_text",
    "census_text",
    "census_figure",
    "claim_text",
    "claim_figure",
    "facts_text",
    "census_standing",
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {name: public_data.load_table(name) for name in public_data.table_names()}


@pytest.fixture(scope="module")
def areas() -> dict[str, Page]:
    return {slug: context.build(slug) for slug in context.CASE_AREAS}


@pytest.fixture(scope="module")
def passages(areas) -> dict[str, dict[str, str]]:
    return {slug: page.render("area_context") for slug, page in areas.items()}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------- percent_change


def test_percent_change_hand_example():
    # Liupanshui total residents, census_population.csv: 2,851,332 (2010) -> 3,031,602 (2020).
    # 3,031,602 - 2,851,332 = 180,270; 180,270 / 2,851,332 = 0.063223 -> +6.3223 %.
    assert context.percent_change(2851332, 3031602) == pytest.approx(6.32231, abs=1e-4)


@pytest.mark.parametrize("before", [0, -5])
def test_percent_change_rejects_non_positive_base(before):
    with pytest.raises(ValueError, match=r"rural population.*must be positive"):
        context.percent_change(before, 10, what="rural population")


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_percent_change_rejects_missing(missing):
    with pytest.raises(ValueError, match="missing"):
        context.percent_change(missing, 10)
    with pytest.raises(ValueError, match="missing"):
        context.percent_change(10, missing)


@given(
    before=st.floats(min_value=1.0, max_value=1e9, allow_nan=False),
    rate=st.floats(min_value=-99.0, max_value=500.0, allow_nan=False),
)
def test_percent_change_inverts_growth(before, rate):
    # Growing ``before`` by ``rate`` percent must give back ``rate``.
    after = before * (1 + rate / 100)
    assert context.percent_change(before, after) == pytest.approx(rate, abs=1e-6)


# --------------------------------------------------------------------------- census


def test_census_change_liupanshui_and_provinces(tables):
    change = context.census_change(tables["census_population"], [520200, 520000, 370000])
    rows = change.set_index("code")
    # Liupanshui (520200): urban 816,603 -> 1,481,555: +664,952 / 816,603 = +81.429 %;
    # rural 2,034,729 -> 1,550,047: -484,682 / 2,034,729 = -23.820 %.
    assert rows.loc[520200, "urban_change_pct"] == pytest.approx(81.429, abs=1e-3)
    assert rows.loc[520200, "rural_change_pct"] == pytest.approx(-23.820, abs=1e-3)
    # Guizhou (520000): total 34,748,556 -> 38,562,148: +3,813,592 / 34,748,556 = +10.975 %;
    # rural 23,011,023 -> 18,066,202: -4,944,821 / 23,011,023 = -21.489 %.
    assert rows.loc[520000, "total_change_pct"] == pytest.approx(10.975, abs=1e-3)
    assert rows.loc[520000, "rural_change_pct"] == pytest.approx(-21.489, abs=1e-3)
    # Shandong (370000): rural 48,171,992 -> 37,513,199: -10,658,793 / 48,171,992 = -22.127 %;
    # urban 47,620,727 -> 64,014,254: +16,393,527 / 47,620,727 = +34.425 %;
    # total 95,792,719 -> 101,527,453: +5,734,734 / 95,792,719 = +5.987 %.
    assert rows.loc[370000, "rural_change_pct"] == pytest.approx(-22.127, abs=1e-3)
    assert rows.loc[370000, "urban_change_pct"] == pytest.approx(34.425, abs=1e-3)
    assert rows.loc[370000, "total_change_pct"] == pytest.approx(5.987, abs=1e-3)
    # Liupanshui urban share 2010: 816,603 / 2,851,332 = 28.64 %.
    assert rows.loc[520200, "urban_share_2010_pct"] == pytest.approx(28.639, abs=1e-3)
    assert list(change["code"]) == [520200, 520000, 370000], "order of the request is kept"
    assert rows.loc[520200, "key"] == "liupanshui"


def test_census_change_pingliang_and_benchmarks(tables):
    change = context.census_change(tables["census_population"], [620800, 410225, 371323])
    rows = change.set_index("code")
    # Pingliang (620800): total 2,068,033 -> 1,848,607: -219,426 / 2,068,033 = -10.610 %.
    assert rows.loc[620800, "total_change_pct"] == pytest.approx(-10.610, abs=1e-3)
    # Lankao (410225): urban 169,931 -> 364,379: +194,448 / 169,931 = +114.428 %.
    assert rows.loc[410225, "urban_change_pct"] == pytest.approx(114.428, abs=1e-3)
    # Yishui (371323): total 998,331 -> 967,570: -30,761 / 998,331 = -3.081 %.
    assert rows.loc[371323, "total_change_pct"] == pytest.approx(-3.081, abs=1e-3)


def test_census_change_flags_renamed_units(tables):
    change = context.census_change(tables["census_population"], [520204, 520203])
    # Shuicheng (520221 -> 520204) was recoded in 2020; Liuzhi was not.
    assert change["renamed"].tolist() == [True, False]


def test_census_change_rejects_unknown_code(tables):
    with pytest.raises(ValueError, match=r"unknown code\(s\) \[999999\]"):
        context.census_change(tables["census_population"], [520200, 999999])
    with pytest.raises(ValueError, match="at least one unit"):
        context.census_change(tables["census_population"], [])


def test_census_figure_is_stamped_with_its_source(areas):
    fig = areas["pingliang"].figures["census"]
    texts = [t.get_text() for t in fig.texts]
    assert any(t.startswith("Source: Dong, Du & Liu (2022)") for t in texts)
    assert not any("Simulated" in t for t in texts)


def test_census_cut_bars_name_the_far_outlier_and_only_it():
    # Twelve values: totals 1..4, urban 5, 6, 7, 500, rural -1..-4. Linear quartiles of the
    # sorted values: Q1 = -2 + 0.75 = -1.25, Q3 = 5 + 0.25 = 5.25, outer fence
    # 5.25 + 3 x 6.5 = 24.75; the largest value inside is 7, so only 500 is cut.
    change = pd.DataFrame(
        {
            "name_en": ["Alpha", "Beta", "Gamma", "Delta"],
            "total_change_pct": [1.0, 2.0, 3.0, 4.0],
            "urban_change_pct": [5.0, 6.0, 7.0, 500.0],
            "rural_change_pct": [-1.0, -2.0, -3.0, -4.0],
        }
    )
    assert context.census_cut_bars(change) == [{"unit": "Delta", "part": "urban", "value": 500.0}]
    change.loc[3, "urban_change_pct"] = 8.0
    assert context.census_cut_bars(change) == []


def test_census_caption_says_which_bar_is_cut(areas, passages):
    # Liupanshui's units include Shuicheng, recoded in 2020: its urban residents grew more than
    # tenfold, far beyond every other bar of the figure.
    cut = areas["liupanshui"].facts["census_cut"]
    assert [(c["unit"], c["part"]) for c in cut] == [("Shuicheng", "urban")]
    assert cut[0]["value"] > 1000
    # The figure marks the same bar, with the same value written on it.
    texts = [t.get_text() for t in areas["liupanshui"].figures["census"].axes[0].texts]
    assert f"{cut[0]['value']:+,.0f} %" in texts
    assert (
        "urban change of Shuicheng (+1,181%) is cut at the end"
        in passages["liupanshui"]["census_figure"]
    )
    assert areas["pingliang"].facts["census_cut"] == []
    assert "cut at the end" not in passages["pingliang"]["census_figure"]


# --------------------------------------------------------------------------- exits


def test_exit_table_liupanshui(tables):
    table = context.exit_table(tables["case_area_counties"], [520201, 520203, 520204])
    rows = table.set_index("County-level unit")
    # case_area_counties.csv: Zhongshan not on the list; Liuzhi exit 2018, approved 2019-04-25;
    # Shuicheng exit 2019, approved 2020-03-03; both read in Guizhou's announcements.
    assert rows.loc["Zhongshan District", "On the national list"] == "no"
    assert rows.loc["Zhongshan District", "Exit (assessment year)"] == "—"
    assert rows.loc["Liuzhi Special District", "Exit (assessment year)"] == "2018"
    assert rows.loc["Liuzhi Special District", "Approved"] == "2019-04-25"
    assert rows.loc["Liuzhi Special District", "Status"].startswith("verified")
    shuicheng = "Shuicheng District (formerly Shuicheng County)"
    assert rows.loc[shuicheng, "Approved"] == "2020-03-03"


def test_exit_table_marks_list_only_exits_not_verified(tables):
    table = context.exit_table(tables["case_area_counties"], [620821, 620825])
    # Jingchuan's 2018 exit rests on the third-party list only (verified = false).
    assert table["Status"].tolist()[0].startswith("not verified")
    assert table["Approved"].tolist()[0] == "—"
    assert table["Status"].tolist()[1].startswith("verified")


def test_exit_table_rejects_unknown_code(tables):
    with pytest.raises(ValueError, match="unknown county code 123456"):
        context.exit_table(tables["case_area_counties"], [123456])


def test_national_exit_table_flags_discrepancy_and_unverified(tables):
    table = context.national_exit_table(tables["county_exit_counts"])
    china = table[table["Scope"] == "China"].set_index("Exit (assessment year)")
    # county_exit_counts.csv: official 283 vs list 282 (2018), official 344 vs list 345 (2019).
    assert "list differs" in china.loc["2018", "Status"]
    assert "list differs" in china.loc["2019", "Status"]
    assert china.loc["2016", "Status"] == "published"
    gansu = table[table["Scope"] == "Gansu"].set_index("Exit (assessment year)")
    # Gansu: 2019 (30 national counties named in the notice of 2020-02-19) and 2020 (8) are
    # official counts; 2017's six counties are all named in the national office's second 2017
    # batch (derived); 2016 and 2018 are list tallies.
    assert (gansu["Status"] == "not verified (list tally only)").sum() == 2
    assert gansu["Official count"].isna().sum() == 2
    assert gansu.loc["2017", "Status"].startswith("derived")
    assert gansu.loc["2019", "Official count"] == 30
    # Every row names its publisher and links to where it was read.
    assert table["Publisher"].notna().all()
    assert table["Where read"].str.startswith('<a href="http').all()


def test_exit_waves_figure_hatches_every_unverified_province_year(tables):
    exits = tables["county_exit_counts"]
    fig = context.exit_waves_figure(exits)
    right = fig.axes[1]
    hatched = [p for p in right.patches if isinstance(p, Rectangle) and p.get_hatch()]
    # 15 province-years: 5 with an official count (Guizhou 2018, 2019; Gansu 2019, 2020;
    # Henan 2018) and 1 derived from named batches (Gansu 2017) are not hatched.
    assert len(hatched) == 15 - 5 - 1
    assert any(t.get_text().startswith("Source: Official national") for t in fig.texts)


# --------------------------------------------------------------------------- national series


def test_national_numbers_hand_checked(tables):
    numbers = context.national_numbers(
        tables["national_rural_poverty"],
        tables["county_exit_counts"],
        tables["international_poverty"],
        tables["poor_area_rural_income"],
    )
    # Rural poor: 12,238 (10k) in 2011 = 122.38 million; 551 (10k) in 2019 = 5.51 million;
    # fall (12,238 - 551) / 12,238 = 11,687 / 12,238 = 95.498 %.
    assert numbers["poor_2011_mn"] == pytest.approx(122.38)
    assert numbers["poor_2019_mn"] == pytest.approx(5.51)
    assert numbers["poor_fall_pct"] == pytest.approx(95.498, abs=1e-3)
    # Official exits 28 + 125 + 283 + 344 + 52 = 832.
    assert numbers["exits_total"] == 832
    assert (numbers["exits_list_2018"], numbers["exits_list_2019"]) == (282, 345)
    # Poor-area income 8,452 (2016) -> 11,567 (2019): 3,115 / 8,452 = +36.855 %.
    assert numbers["income_growth_pct"] == pytest.approx(36.855, abs=1e-3)
    assert numbers["poor_derived_years"] == "2013 and 2015"
    # 2020: the declared count of zero (national_rural_poverty.csv) is published, 2010 is not.
    assert numbers["poor_not_verified_years"] == "2010"
    assert (numbers["line_2010"], numbers["line_last_year"], numbers["line_last"]) == (
        2300,
        2016,
        2952,
    )
    assert (numbers["usd_low"], numbers["usd_mid"], numbers["usd_high"]) == (3.0, 4.2, 8.3)
    assert numbers["wdi_830_2021"] == pytest.approx(21.0)
    # Plain Python scalars, so the glued text is a literal (not "np.int64(832)").
    assert all(type(v) in (int, float, str) for v in numbers.values())


def test_national_numbers_refuse_to_quote_unverified_values(tables):
    national = tables["national_rural_poverty"].copy()
    national.loc[national["year"] == 2019, "rural_poor_status"] = "not_verified"
    with pytest.raises(ValueError, match="2019 is not verified"):
        context.national_numbers(
            national,
            tables["county_exit_counts"],
            tables["international_poverty"],
            tables["poor_area_rural_income"],
        )


def test_poverty_decline_figure_marks_statuses(tables):
    fig = context.poverty_decline_figure(tables["national_rural_poverty"])
    left = fig.axes[0]
    hollow = [
        line
        for line in left.lines
        if line.get_marker() == "o" and line.get_markerfacecolor() in ("white", "w", (1, 1, 1, 1))
    ]
    # Derived counts: 2013 = 9,899 - 1,650 = 8,249 (10k) = 82.49 million; 2015 = 7,017 - 1,442
    # = 5,575 (10k) = 55.75 million.
    points = sorted((float(line.get_xdata()[0]), float(line.get_ydata()[0])) for line in hollow)
    assert points == [(2013.0, pytest.approx(82.49)), (2015.0, pytest.approx(55.75))]
    # 2010 is not verified: shaded, and no marker drawn there; 2020 (declared zero) is drawn.
    drawn_years = {float(x) for line in left.lines for x in np.atleast_1d(line.get_xdata())}
    assert 2010.0 not in drawn_years and 2020.0 in drawn_years
    shaded_centres = sorted(
        p.get_x() + p.get_width() / 2 for p in left.patches if isinstance(p, Rectangle)
    )
    assert shaded_centres == [pytest.approx(2010.0)]


def test_poverty_decline_figure_rejects_a_value_flagged_not_verified(tables):
    national = tables["national_rural_poverty"].copy()
    national.loc[national["year"] == 2010, "rural_poor_10k"] = 16567
    with pytest.raises(ValueError, match="year 2010: a value flagged not_verified must be empty"):
        context.poverty_decline_figure(national)


def test_national_line_table_leaves_unverified_years_empty(tables):
    table = context.national_line_table(tables["national_rural_poverty"]).set_index("Year")
    line = "Line (current yuan per person per year)"
    assert table.loc["2016", line] == 2952
    for year in ("2017", "2018", "2019", "2020"):
        assert pd.isna(table.loc[year, line])
        assert table.loc[year, "Status"] == "not verified (left empty)"


# --------------------------------------------------------------------------- locality facts


def test_liupanshui_baselines_say_which_is_used(tables):
    table = context.baselines_table(tables["locality_facts"], "Liupanshui")
    pop_2014 = table[
        (table["Indicator"] == "registered poor population") & (table["Year"] == "2014")
    ]
    # locality_facts.csv rows 1 and 2: baseline A 603,700 (used), baseline B 509,900 (not used).
    assert dict(zip(pop_2014["Value"], pop_2014["Used in the book"], strict=True)) == {
        "603,700": "yes",
        "509,900": "no (alternative)",
    }


def test_facts_table_status_column(tables):
    table = context.facts_table(tables["locality_facts"], ["Wantou village (Boxing County)"])
    statuses = table["Status"].tolist()
    # Rows 49-52: lower bound (sales), approximate + no year (households), no year (population),
    # approximate + no year (income).
    assert statuses == [
        "lower bound",
        "approximate; year not stated",
        "year not stated",
        "approximate; year not stated",
    ]
    assert table["Value"].tolist()[0] == "300,000,000"


def test_facts_table_rejects_unknown_place(tables):
    with pytest.raises(ValueError, match="no facts for place"):
        context.facts_table(tables["locality_facts"], ["Atlantis"])


# --------------------------------------------------------------------------- case areas


def test_every_case_has_an_area():
    from cases.data import registry

    assert set(context.CASE_AREAS) == set(registry.slugs())


def test_area_context_rejects_unknown_case():
    with pytest.raises(ValueError, match="unknown case 'atlantis'"):
        context.build("atlantis")


@pytest.mark.parametrize("slug", sorted(context.CASE_AREAS))
def test_area_text_renders_for_every_case(passages, areas, slug):
    # Every placeholder of text/area_context.md resolves for every case (an unknown one
    # raises TextTemplateError), and the page has the passages the notebook glues.
    assert set(passages[slug]) == AREA_BLOCKS
    # claim_figure and post2020_text are empty for the cases without a claim or not set after
    # 2020 (the post-2020 block is tested below).
    for block in AREA_BLOCKS - {"claim_figure", "post2020_text"}:
        assert passages[slug][block], f"{slug}: empty passage {block}"
    # Numbers are printed by the renderer, not left as roles for the book to fill in.
    assert not any("{glue:text}" in text for text in passages[slug].values())
    assert all(isinstance(v, int | float | str) for v in areas[slug].numbers.values())


def test_area_figure_names_are_unique_across_cases(passages):
    names = [
        name
        for texts in passages.values()
        for text in texts.values()
        for name in FIG_NAME.findall(text)
    ]
    assert len(names) == len(set(names))
    for slug, texts in passages.items():
        for name in FIG_NAME.findall(texts["census_figure"] + texts["claim_figure"]):
            assert name.endswith(slug)


def test_stated_census_changes_are_glued(areas):
    # Each stated unit's three changes are numbers of the page (Pingliang: -10.610 % total,
    # hand-checked above; Gansu rural 16,384,078 -> 11,952,499 = -27.048 %).
    page = areas["pingliang"]
    assert page.facts["stated"] == ["pingliang", "gansu"]
    assert page.numbers["pingliang_total_change_pct"] == pytest.approx(-10.610, abs=1e-3)
    assert page.numbers["gansu_rural_change_pct"] == pytest.approx(-27.048, abs=1e-3)
    assert page.facts["pattern"]["shrinking"] == page.facts["shown"]  # every unit lost residents
    h_county = areas["h_county"]
    # Yishui alone lost residents (-3.081 %); rural residents fell and urban rose everywhere.
    assert h_county.facts["pattern"]["shrinking"] == ["Yishui"]
    assert h_county.facts["pattern"]["rural_up"] == h_county.facts["pattern"]["urban_down"] == []


def test_claims_meet_the_census_where_the_thesis_makes_them(areas, passages):
    liupanshui = areas["liupanshui"]
    # Liupanshui rural residents: -23.820 % (hand: -484,682 / 2,034,729).
    assert liupanshui.facts["claim"] == "liupanshui"
    assert liupanshui.numbers["liupanshui_rural_change_pct"] == pytest.approx(-23.820, abs=1e-3)
    assert liupanshui.numbers["liupanshui_pop_2010"] == 2851332
    assert "claim" in liupanshui.figures
    shandong = areas["shandong_a_town"]
    assert shandong.facts["claim"] == "shandong"
    assert shandong.numbers["shandong_rural_change_pct"] == pytest.approx(-22.127, abs=1e-3)
    assert shandong.numbers["shandong_urban_2020"] == 64014254
    for slug in ("pingliang", "h_county", "w_town"):
        assert areas[slug].facts["claim"] is None
        assert passages[slug]["claim_figure"] == ""
        assert "claim" not in areas[slug].figures


def test_exit_waves_of_pingliang(areas):
    page = areas["pingliang"]
    # case_area_counties.csv: 7 units, 5 listed; Kongtong 2017 (approved 2018-10-10); Jingchuan
    # and Lingtai 2018 on the third-party list only; Zhuanglang and Jingning 2019 (2020-03-03).
    assert (page.numbers["n_units"], page.numbers["n_on_list"]) == (7, 5)
    waves = {w["year"]: w for w in page.facts["exit_waves"]}
    assert sorted(waves) == [2017, 2018, 2019]
    assert waves[2018]["unverified"] and waves[2018]["approved"] is None
    assert "exit_year_jingchuan_approved" not in page.numbers
    assert page.numbers["exit_year_zhuanglang_approved"] == "2020-03-03"
    assert page.facts["off_list"] == ["Chongxin", "Huating"]


def test_liupanshui_uses_baseline_a(areas):
    area = areas["liupanshui"]
    assert area.numbers["baseline_a_poor_2014"] == 603700
    assert area.numbers["baseline_b_poor_2014"] == 509900
    baselines = area.tables["baselines"]
    assert len(baselines) == 6
    used = dict(zip(baselines["Value"], baselines["Used in the book"], strict=True))
    assert (used["603,700"], used["509,900"]) == ("yes", "no (alternative)")


@pytest.mark.parametrize(
    ("slug", "scope"),
    [
        ("liupanshui", "named"),
        ("pingliang", "named"),
        ("h_county", "benchmarks"),
        ("shandong_a_town", "province"),
        ("w_town", "national"),
    ],
)
def test_scope_of_each_case(areas, slug, scope):
    assert areas[slug].facts["scope"] == scope


def test_benchmarks_of_h_county(areas):
    area = areas["h_county"]
    # Lankao left in the 2016 assessment, one of the first 28 (county_exit_counts.csv, China 2016).
    assert area.numbers["lankao_exit_year"] == 2016
    assert area.numbers["first_wave_exits"] == 28
    assert area.numbers["lankao_approved"] == "2017-02-27"
    # Boxing rural residents 245,152 -> 179,298: -65,854 / 245,152 = -26.863 %.
    assert area.numbers["boxing_rural_change_pct"] == pytest.approx(-26.863, abs=1e-3)
    assert area.tables["exits"]["On the national list"].tolist() == ["yes", "no", "no"]


def test_w_town_rural_fall_range(areas):
    area = areas["w_town"]
    # Rural falls: Guizhou 21.489 %, Shandong 22.127 %, Henan 23.392 %
    # (57,810,172 -> 44,286,965), Gansu 27.048 % (16,384,078 -> 11,952,499).
    assert area.numbers["rural_change_min_abs"] == pytest.approx(21.489, abs=1e-3)
    assert area.numbers["rural_change_max_abs"] == pytest.approx(27.048, abs=1e-3)
    # 2020 national rural incidence 0.0 %; WDI $8.30 headcount 29.5 % (2020), 21.0 % (2021).
    assert area.numbers["incidence_2020"] == 0.0
    assert (area.numbers["wdi_830_2020"], area.numbers["wdi_830_2021"]) == (29.5, 21.0)
    assert area.tables["exits"]["Official count"].sum() == 832


def test_area_pages_glue_the_census_standing(areas):
    # The census chapter's numbers of the case's counties come with the page.
    assert (
        areas["liupanshui"].numbers["tap_2010_pct_min"]
        <= areas["liupanshui"].numbers["tap_2010_pct_max"]
    )
    assert areas["w_town"].facts["placed"] is False


def test_prose_guard_stops_on_contradicting_data():
    with pytest.raises(DataValidationError, match="assumes"):
        context._expect(False, "the Liupanshui claim text assumes total residents rose")


def _settings_with(tmp_path, edit) -> context.AreaSettings:
    data = read_yaml(context.settings_path("area_context"))
    edit(data)
    path = tmp_path / "area_context.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return context.area_settings(path)


def test_claim_the_data_contradict_stops_the_page(tmp_path, monkeypatch):
    # Liupanshui's total residents rose (+6.3 %): a claim text assuming a fall must not print.
    settings = _settings_with(
        tmp_path, lambda d: d["cases"]["liupanshui"].update(claim_assumes={"total": "fall"})
    )
    monkeypatch.setattr(context, "area_settings", lambda: settings)
    with pytest.raises(DataValidationError, match="assumes total residents fall"):
        context.build("liupanshui")


def test_settings_errors_name_the_file_and_field(tmp_path):
    with pytest.raises(
        DataValidationError, match=r"(?s)area_context\.yaml.*cases\.pingliang: .*999999"
    ):
        _settings_with(tmp_path, lambda d: d["cases"]["pingliang"].update(stated_units=[999999]))
    with pytest.raises(DataValidationError, match=r"cases\.w_town\.exit_numbers"):
        _settings_with(tmp_path, lambda d: d["cases"]["w_town"].update(exit_numbers=["nowhere"]))


def test_case_settings_keep_no_prose_switch_on_the_slug():
    # The builder chooses nothing by the case's name: no branch on a slug in the module.
    source = Path(context.__file__).read_text(encoding="utf-8")
    for slug in context.CASE_AREAS:
        assert f'"{slug}"' not in source


# --------------------------------------------------------------------------- national page


def test_national_page_numbers_and_text(tables):
    page = context.build_national()
    numbers = context.national_numbers(
        tables["national_rural_poverty"],
        tables["county_exit_counts"],
        tables["international_poverty"],
        tables["poor_area_rural_income"],
    )
    lists = {
        "lists_national": 832,
        "lists_key": 592,
        "lists_contiguous": 680,
        "gansu_poor_counties": 75,
        "gansu_national_counties": 58,
        "henan_poor_counties": 53,
        "henan_national_counties": 38,
    }
    assert {k: page.numbers[k] for k in lists} == lists
    rest = {k: v for k, v in page.numbers.items() if not k.startswith("post2020_")}
    assert {k: v for k, v in rest.items() if k not in lists} == numbers
    assert page.numbers["post2020_key_counties_total"] == 160
    assert page.facts["poor_derived"] == [2013, 2015]
    assert page.facts["poor_not_verified"] == [2010]
    assert set(page.figures) == {"poverty", "exits", "lines", "income"}
    assert set(page.tables) == {"exits", "line", "post2020"}
    # Every placeholder of text/national_context.md resolves.
    passages = page.render("national_context")
    assert "decline" in passages and all(passages.values())
    assert not any("{glue:text}" in text for text in passages.values())


# --------------------------------------------------------------------------- after 2020


@pytest.fixture(scope="module")
def policy() -> pd.DataFrame:
    return public_data.load_table("post2020_policy")


def test_post2020_numbers_hand_checked(policy):
    numbers = context.post2020_numbers(policy)
    assert numbers["key_counties_total"] == 160
    assert numbers["monitoring_range_floor_multiple"] == 1.5
    assert numbers["monitoring_line_approx"] == 6000
    assert (numbers["transition_first_year"], numbers["transition_last_year"]) == (2021, 2025)
    assert isinstance(numbers["key_counties_guizhou"], int)
    # a fact not found is never offered to the prose
    assert "key_counties_gansu" not in numbers


def test_post2020_numbers_reject_repeated_keys(policy):
    with pytest.raises(DataValidationError, match="repeated keys"):
        context.post2020_numbers(pd.concat([policy, policy.iloc[:1]]))


def test_post2020_table_links_every_row_and_marks_status(policy):
    table = context.post2020_table(policy)
    assert len(table) == len(policy)
    assert table["Where read"].str.match(r'<a href="https?://[^"]+">[^<]+</a>$').all()
    status = dict(zip(policy["key"], table["Status"], strict=True))
    assert status["key_counties_gansu"] == "not found"
    assert status["key_counties_guizhou"] == "not verified (project tally)"
    assert status["key_counties_total"] == "published"


@pytest.mark.parametrize(
    ("value", "text"), [(6.3223, "+6.3"), (-21.489, "-21.5"), (0.0, "+0.0"), (None, "n/a")]
)
def test_percentage_changes_print_as_the_page_always_printed_them(value, text):
    # The area page's signed changes keep Python's "+.1f" (ASCII hyphen-minus).
    from cases.present.text import FORMATS

    assert FORMATS["hyphen_signed1"](value) == text


def test_only_the_post2020_case_shows_the_post2020_facts():
    """W Town (post-2020) carries the national post-2020 facts and table, with an address per
    row; the other cases render the block empty."""
    w_town = context.build("w_town")
    assert w_town.facts["post2020"] and w_town.facts["post2020_key_counties_total"] == 160
    assert w_town.tables["post2020"]["Where read"].str.startswith('<a href="http').all()
    assert "6,000 yuan" in w_town.render("area_context")["post2020_text"]
    other = context.build("liupanshui")
    assert "post2020" not in other.tables
    assert other.render("area_context")["post2020_text"] == ""


def test_every_published_indicator_has_a_human_display_name(tables):
    # Issue 22: no identifier on the page. Each indicator of locality_facts.csv is shown by its
    # display name (data/settings/area_context.yaml), never as the column code.
    indicators = tables["locality_facts"]["indicator"]
    shown = context.indicator_labels(indicators)
    assert shown[indicators == "poor_villages_exited_2014_2019"].iloc[0] == (
        "poor villages exited, 2014–2019"
    )
    assert not [name for name in shown if "_" in name or not name.strip()]
    with pytest.raises(ValueError, match=r"labels\.indicators has no display name.*'gnp_2030'"):
        context.indicator_labels(pd.Series(["gdp", "gnp_2030"]))
