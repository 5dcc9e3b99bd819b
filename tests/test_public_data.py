"""Loaders and internal consistency of the transcribed public statistics.

Published figures used below, with where they were read (addresses in data/raw/SOURCES.md):
- Census 2010 (6th census county yearbook, compiled by Dong, Du & Liu 2022, SSRN 4049338):
  Liupanshui 2,851,332 = 616,210 + 495,162 + 704,615 + 1,035,345; Pingliang 2,068,033.
- NBS, "新中国成立70周年经济社会发展成就系列报告之十五" (2019): rural poor fell by 1,650, 1,232,
  1,442, 1,240, 1,289 and 1,386 (10k) in 2013-2018; NBS/Xinhua: 9,899 (10k) poor in 2012.
- Official exit counts of the 832 national poverty counties: 28, 125, 283, 344, 52 (2016-2020).
- World Bank WDI (2021 PPP), China 2019: $3.00 0.0 %, $4.20 3.2 %, $8.30 28.9 %.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cases.core.errors import DataValidationError
from cases.core.paths import DATA
from cases.data.public_data import (
    DATAPACKAGE,
    UnknownTableError,
    load_table,
    source_line,
    table_names,
    update_hashes,
)


@pytest.fixture(scope="module")
def census() -> pd.DataFrame:
    return load_table("census_population")


@pytest.fixture(scope="module")
def national() -> pd.DataFrame:
    return load_table("national_rural_poverty").set_index("year")


# ---------------------------------------------------------------- loaders


def test_table_names_lists_every_table_and_no_file_resource() -> None:
    assert "census_population" in table_names()
    # eleven China tables (three from the county census compilation), mpdta, ehec_data, the
    # coded abstract segments and the coders' disagreements
    assert len(table_names()) == 15
    assert "codebook" not in table_names()
    with pytest.raises(UnknownTableError, match=r"'codebook'.*yaml file, not a table"):
        load_table("codebook")


def test_load_table_applies_schema_dtypes(national: pd.DataFrame) -> None:
    assert str(national.index.dtype) == "Int64"
    assert str(national["rural_poor_10k"].dtype) == "Int64"
    assert str(national["incidence_pct"].dtype) == "Float64"
    assert str(national["rural_poor_status"].dtype) == "string"
    counties = load_table("case_area_counties")
    assert str(counties["on_national_list"].dtype) == "boolean"
    assert pd.api.types.is_datetime64_any_dtype(counties["approval_date"])
    lankao = counties.set_index("code_2020").loc[410225]
    assert lankao["approval_date"] == pd.Timestamp("2017-02-27")


def test_gaps_stay_missing_never_zero(national: pd.DataFrame) -> None:
    # SOURCES.md section 7: the 2010 count and the 2017-2020 current-price lines were not verified.
    assert pd.isna(national.loc[2010, "rural_poor_10k"])
    assert national.loc[2010, "rural_poor_status"] == "not_verified"
    for year in range(2017, 2021):
        assert pd.isna(national.loc[year, "poverty_line_yuan"])
        assert national.loc[year, "poverty_line_status"] == "not_verified"


def test_status_is_not_verified_exactly_where_a_value_is_missing(national: pd.DataFrame) -> None:
    for value, status in [
        ("rural_poor_10k", "rural_poor_status"),
        ("annual_reduction_10k", "annual_reduction_status"),
        ("incidence_pct", "incidence_status"),
        ("poverty_line_yuan", "poverty_line_status"),
    ]:
        missing = national[value].isna()
        assert (national.loc[missing, status] == "not_verified").all(), value
        assert (national.loc[~missing, status] != "not_verified").all(), value


def test_unknown_table_error_names_the_table_and_the_known_ones() -> None:
    with pytest.raises(UnknownTableError, match=r"'census_pop'.*census_population") as info:
        load_table("census_pop")
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    with pytest.raises(KeyError, match="nope"):
        source_line("nope")


def test_load_table_names_file_line_and_column_of_a_bad_cell(tmp_path: Path) -> None:
    shutil.copy(DATAPACKAGE, tmp_path / "datapackage.json")
    shutil.copytree(DATA / "raw", tmp_path / "raw")
    path = tmp_path / "raw" / "poor_area_rural_income.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("8452", "8452.5"), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"line 2, column income_yuan: '8452.5'"):
        load_table("poor_area_rural_income", tmp_path / "datapackage.json")


def test_load_table_rejects_a_header_that_differs_from_the_schema(tmp_path: Path) -> None:
    shutil.copy(DATAPACKAGE, tmp_path / "datapackage.json")
    shutil.copytree(DATA / "raw", tmp_path / "raw")
    path = tmp_path / "raw" / "poor_area_rural_income.csv"
    text = path.read_text(encoding="utf-8").replace("income_yuan", "income", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataValidationError, match="does not match schema"):
        load_table("poor_area_rural_income", tmp_path / "datapackage.json")


def test_source_line_cites_publisher_and_licence() -> None:
    census_line = source_line("census_population")
    assert census_line.startswith("Source: ") and census_line.endswith(".")
    assert ". Licence: MIT" in census_line
    assert "Dong, Du & Liu (2022)" in census_line and "SSRN 4049338" in census_line
    assert "MIT" in census_line
    assert "CC BY 4.0" in source_line("international_poverty")
    assert "NBS" in source_line("national_rural_poverty")


def test_update_hashes_keeps_the_rest_of_the_descriptor(tmp_path: Path) -> None:
    shutil.copytree(DATA, tmp_path, dirs_exist_ok=True)
    before = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    update_hashes(tmp_path / "datapackage.json")
    after = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert after == before  # the committed descriptor is already up to date


# ---------------------------------------------------------------- census consistency


def _counties_of(census: pd.DataFrame, prefecture: str) -> pd.DataFrame:
    return census[(census["level"] == "county") & (census["prefecture_zh"] == prefecture)]


def test_liupanshui_2010_counties_sum_to_prefecture_total(census: pd.DataFrame) -> None:
    # 6th census county yearbook via Dong, Du & Liu (2022); SOURCES.md section 3:
    # 616,210 + 495,162 + 704,615 + 1,035,345 = 2,851,332.
    counties = _counties_of(census, "六盘水市")
    assert len(counties) == 4
    assert counties["pop_2010"].sum() == 2_851_332
    prefecture = census.set_index("code_2020").loc[520200]
    assert prefecture["pop_2010"] == 2_851_332
    for col in ["urban_2010", "rural_2010", "pop_2020", "urban_2020", "rural_2020"]:
        assert counties[col].sum() == prefecture[col], col


def test_pingliang_seven_counties_sum_to_prefecture_total(census: pd.DataFrame) -> None:
    # 6th census county yearbook via Dong, Du & Liu (2022): Pingliang 2010 = 2,068,033.
    counties = _counties_of(census, "平凉市")
    assert len(counties) == 7
    assert counties["pop_2010"].sum() == 2_068_033
    prefecture = census.set_index("code_2020").loc[620800]
    for col in ["pop_2010", "urban_2010", "rural_2010", "pop_2020", "urban_2020", "rural_2020"]:
        assert counties[col].sum() == prefecture[col], col


def test_urban_plus_rural_equals_total_in_every_row(census: pd.DataFrame) -> None:
    for year in (2010, 2020):
        diff = census[f"urban_{year}"] + census[f"rural_{year}"] - census[f"pop_{year}"]
        assert (diff == 0).all(), census.loc[diff != 0, "name_2020"].tolist()


def test_renamed_flag_matches_code_or_name_change(census: pd.DataFrame) -> None:
    changed = (census["code_2010"] != census["code_2020"]) | (
        census["name_2010"] != census["name_2020"]
    )
    assert (census["renamed"] == changed).all()
    # SOURCE.md of leiii/census: 盘县 520222 -> 盘州市 520281, 水城县 520221 -> 520204,
    # 华亭县 620824 -> 华亭市 620881.
    pairs = set(
        zip(census.loc[changed, "code_2010"], census.loc[changed, "code_2020"], strict=True)
    )
    assert pairs == {(520222, 520281), (520221, 520204), (620824, 620881)}


def test_units_lie_in_their_province(census: pd.DataFrame) -> None:
    provinces = census[census["level"] == "province"].set_index("province_zh")["code_2020"]
    assert set(provinces.index) == {"贵州省", "甘肃省", "山东省", "河南省"}
    province_pop = census.set_index("code_2020")["pop_2010"]
    for row in census[census["level"] != "province"].itertuples():
        province_code = provinces[row.province_zh]
        assert row.code_2020 // 10_000 == province_code // 10_000, row.name_2020
        assert row.pop_2010 < province_pop[province_code], row.name_2020


# ---------------------------------------------------------------- national series


def test_incidence_is_monotone_non_increasing_2010_2020(national: pd.DataFrame) -> None:
    incidence = national["incidence_pct"].loc[2010:2020]
    assert incidence.notna().all()
    assert incidence.is_monotonic_decreasing
    # WDI SI.POV.NAHC (China), the NBS rural incidence: 17.2 in 2010, 0.6 in 2019.
    assert incidence.loc[2010] == 17.2 and incidence.loc[2019] == 0.6


def test_counts_follow_published_reductions(national: pd.DataFrame) -> None:
    # NBS 70th-anniversary report no. 15 (2019): 9,899 - 1,650 = 8,249 (2013);
    # 8,249 - 1,232 = 7,017 (2014, also quoted directly); 7,017 - 1,442 = 5,575 (2015);
    # 5,575 - 1,240 = 4,335; 4,335 - 1,289 = 3,046; 3,046 - 1,386 = 1,660 (all quoted directly).
    assert national.loc[2013, "rural_poor_10k"] == 9_899 - 1_650 == 8_249
    assert national.loc[2015, "rural_poor_10k"] == 7_017 - 1_442 == 5_575
    with_reduction = national[national["annual_reduction_10k"].notna()]
    # 2012: 12,238 - 2,339 = 9,899 (Xinhua / China Daily, 2013-02-27); 2019: 1,660 - 1,109 = 551
    # (People's Daily, 2020-01-25); 2020: 551 - 551 = 0, the declared end of rural poverty.
    assert list(with_reduction.index) == list(range(2012, 2021))
    assert national.loc[2012, "annual_reduction_10k"] == 2_339
    assert national.loc[2019, "annual_reduction_10k"] == 1_109
    assert national.loc[2020, "rural_poor_10k"] == 0
    assert national.loc[2020, "annual_reduction_status"] == "derived"
    assert "not an NBS survey count" in national.loc[2020, "count_source"]
    for year, row in with_reduction.iterrows():
        previous = national.loc[year - 1, "rural_poor_10k"]
        assert row["rural_poor_10k"] == previous - row["annual_reduction_10k"], year


def test_derived_rows_are_exactly_2013_and_2015(national: pd.DataFrame) -> None:
    derived = national.index[national["rural_poor_status"] == "derived"].tolist()
    assert derived == [2013, 2015]


def test_regional_counts_add_up_to_the_national_count(national: pd.DataFrame) -> None:
    # NBS via Xinhua / People's Daily: East + Central + West = 300 + 1,112 + 1,634 = 3,046 (2017);
    # 147 + 597 + 916 = 1,660 (2018); 47 + 181 + 323 = 551 (2019).
    facts = load_table("locality_facts")
    regional = facts[facts["place"].str.startswith("China: ")]
    totals = regional.groupby("year")["value"].sum()
    assert totals.to_dict() == {2017: 3046.0, 2018: 1660.0, 2019: 551.0}
    for year, total in totals.items():
        assert national.loc[year, "rural_poor_10k"] == total


def test_poor_area_income_rises_and_matches_nbs() -> None:
    income = load_table("poor_area_rural_income")
    all_areas = income[income["area"] == "all poor areas"].set_index("year")["income_yuan"]
    # NBS: 8,452 (2016), 9,377 (2017), 10,371 (2018), 11,567 (2019) yuan.
    assert all_areas.to_dict() == {2016: 8452, 2017: 9377, 2018: 10371, 2019: 11567}
    assert all_areas.is_monotonic_increasing


# ---------------------------------------------------------------- delisting


def test_national_exit_counts_sum_to_832() -> None:
    exits = load_table("county_exit_counts")
    national = exits[exits["scope"] == "China"].set_index("exit_year")
    assert national["official_count"].to_dict() == {
        2016: 28,
        2017: 125,
        2018: 283,
        2019: 344,
        2020: 52,
    }
    assert national["official_count"].sum() == 832
    assert national["list_count"].sum() == 832
    flagged = national.index[national["flag"] == "list_differs_from_official"].tolist()
    assert flagged == [2018, 2019]
    assert (
        (national["official_count"] != national["list_count"]) == national["flag"].notna()
    ).all()


def test_province_list_counts_match_list_totals_and_official_counts() -> None:
    exits = load_table("county_exit_counts")
    provinces = exits[exits["scope"] != "China"]
    # 832 list: Guizhou 66, Gansu 58, Henan 38 national poverty counties.
    assert provinces.groupby("scope")["list_count"].sum().to_dict() == {
        "Gansu": 58,
        "Guizhou": 66,
        "Henan": 38,
    }
    official = provinces[provinces["official_count"].notna()]
    assert (official["official_count"] == official["list_count"]).all()
    assert (provinces["official_count"].isna() == (provinces["flag"] == "list_only")).all()


def test_case_counties_exit_fields_are_coherent() -> None:
    counties = load_table("case_area_counties")
    listed = counties["on_national_list"]
    assert counties.loc[listed, "exit_year"].notna().all()
    assert counties.loc[~listed, "exit_year"].isna().all()
    assert not counties.loc[~listed, "verified"].any()
    verified = counties[counties["verified"]]
    assert verified["approval_date"].notna().all()
    # Approval follows the assessment year (announced in the next year).
    assert (verified["approval_date"].dt.year == verified["exit_year"] + 1).all()
    # Never on the national list: 钟山区, 崇信县, 华亭市, 沂水县, 博兴县 (SOURCES.md section 2a).
    assert set(counties.loc[~listed, "code_2020"]) == {520201, 620823, 620881, 371323, 371625}
    # Liupanshui has four units and Pingliang seven, all present in the census table.
    assert counties["prefecture_en"].value_counts()[["Liupanshui", "Pingliang"]].tolist() == [4, 7]


# ---------------------------------------------------------------- international and facts


def test_international_headcounts_are_ordered_by_line() -> None:
    wdi = load_table("international_poverty")
    # pivot (not pivot_table) so a duplicated (year, line) raises instead of being averaged.
    wide = wdi.pivot(index="year", columns="line_usd_2021ppp", values="headcount_pct")  # noqa: PD010
    assert wide.notna().all().all()
    # A headcount cannot fall when the line rises.
    assert ((wide[3.0] <= wide[4.2]) & (wide[4.2] <= wide[8.3])).all()
    # WDI, China 2019: 0.0 / 3.2 / 28.9 %.
    assert wide.loc[2019].tolist() == [0.0, 3.2, 28.9]
    codes = wdi.groupby("line_usd_2021ppp")["indicator_code"].unique().map(list).to_dict()
    assert codes == {3.0: ["SI.POV.DDAY"], 4.2: ["SI.POV.LMIC"], 8.3: ["SI.POV.UMIC"]}


def test_competing_baselines_have_exactly_one_used_value() -> None:
    facts = load_table("locality_facts")
    groups = facts.groupby(["place", "indicator", "year"])
    competing = [key for key, group in groups if len(group) > 1]
    # Liupanshui 2014: 603,700 / 23.30 % (71.cn) against 509,900 / 19.55 % (second baseline).
    assert sorted(competing) == [
        ("Liupanshui", "poverty_incidence", 2014),
        ("Liupanshui", "registered_poor_population", 2014),
    ]
    for key in competing:
        used = groups.get_group(key)["used_in_book"]
        assert used.notna().all() and used.sum() == 1, key
    used_rows = facts[facts["used_in_book"].fillna(False).astype(bool)]
    assert set(used_rows.loc[used_rows["year"] == 2014, "value"]) == {603700.0, 23.30}


def test_facts_have_sources_and_sensible_shares() -> None:
    facts = load_table("locality_facts")
    assert facts["source_page"].str.startswith("http").all()
    shares = facts[facts["unit"] == "percent"]["value"]
    assert ((shares >= 0) & (shares <= 100)).all()


def test_post2020_policy_rows_have_publisher_address_and_reasons() -> None:
    facts = load_table("post2020_policy")
    assert facts["key"].is_unique
    assert facts["source_publisher"].str.strip().ne("").all()
    assert facts["source_page"].str.startswith("http").all()
    # a fact not found has no value, is not verified and says why
    missing = facts[facts["value"].isna()]
    assert not missing["verified"].any()
    assert missing["note"].str.contains("not found", case=False).all()
    # every unverified row explains itself
    assert facts.loc[~facts["verified"], "note"].notna().all()
    by_key = facts.set_index("key")["value"]
    assert by_key["key_counties_total"] == 160
    assert by_key["transition_years"] == 5
    assert by_key["monitoring_range_floor_multiple"] == 1.5


# ---------------------------------------------------------------- publisher and address per row

#: Real-data tables whose rows each carry a publisher and an address: table -> (publisher
#: column, address column). county_census and census_crosswalk are whole-table transcriptions
#: of one compilation and name it once, in the resource's ``sources`` (tested below).
ROW_SOURCES = {
    "poor_area_rural_income": ("source", "source_page"),
    "county_exit_counts": ("source", "source_page"),
    "case_area_counties": ("source_publisher", "source_page"),
    "census_population": ("source", "source_page"),
    "poverty_counties": ("source_publisher", "source_page"),
    "international_poverty": ("source", "source_page"),
    "locality_facts": ("source_publisher", "source_page"),
    "post2020_policy": ("source_publisher", "source_page"),
}
#: national_rural_poverty: each value column with its publisher and address columns.
NATIONAL_SOURCES = {
    "rural_poor_10k": ("count_source", "count_page"),
    "annual_reduction_10k": ("reduction_source", "reduction_page"),
    "incidence_pct": ("incidence_source", "incidence_page"),
    "poverty_line_yuan": ("line_source", "line_page"),
}
ADDRESS = r"^https?://[^\s/]+\.[^\s]+$"


@pytest.mark.parametrize("table", sorted(ROW_SOURCES))
def test_every_real_data_row_names_a_publisher_and_an_address(table: str) -> None:
    publisher, address = ROW_SOURCES[table]
    frame = load_table(table)
    assert frame[publisher].notna().all() and (frame[publisher].str.strip() != "").all(), table
    bad = frame.loc[~frame[address].fillna("").str.match(ADDRESS), address]
    assert bad.empty, f"{table}: rows without an address: {bad.index.tolist()[:10]}"


def test_every_national_value_names_its_publisher_and_address(national: pd.DataFrame) -> None:
    for value, (publisher, address) in NATIONAL_SOURCES.items():
        given = national[national[value].notna()]
        assert given[publisher].notna().all(), value
        assert given[address].fillna("").str.match(ADDRESS).all(), value


def test_unverified_national_values_say_why() -> None:
    """Where a national value is left empty, the publisher column says why (issue 21 item 2)."""
    national = load_table("national_rural_poverty")
    empty_line = national[national["poverty_line_status"] == "not_verified"]
    assert empty_line["line_source"].str.startswith("not verified:").all()
    assert national.set_index("year").loc[2010, "count_source"].startswith("not verified:")


def test_whole_table_transcriptions_name_their_source_in_the_package() -> None:
    resources = {
        r["name"]: r for r in json.loads(Path(DATAPACKAGE).read_text(encoding="utf-8"))["resources"]
    }
    for name in ("county_census", "census_crosswalk"):
        sources = resources[name]["sources"]
        upstream = [s for s in sources if s.get("path", "").startswith("http")]
        assert upstream and all(s.get("title") for s in upstream), name


def test_county_lists_are_kept_apart() -> None:
    """832 national poverty counties = 592 key counties ∪ 680 contiguous-area counties (with
    overlap); provincial counts of poor counties are labelled as national plus provincial."""
    facts = load_table("locality_facts")
    china = facts[facts["place"] == "China"].set_index("indicator")["value"].astype(float)
    assert china["national_poverty_counties"] == 832 == len(load_table("poverty_counties"))
    assert china["key_counties_poverty_alleviation"] == 592
    assert china["contiguous_area_counties"] == 680
    assert 832 < 592 + 680  # the two lists overlap
    assert "poor_counties_total" not in set(facts["indicator"])
    provincial = facts[facts["indicator"] == "poor_counties_national_and_provincial"]
    assert set(provincial["place"]) == {"Gansu", "Henan"}


def test_gansu_exits_are_consistent_across_tables() -> None:
    """A Gansu province-year is published exactly when its counties are verified in the county
    list by the same batch; the count equals the verified national counties of that year."""
    exits = load_table("county_exit_counts")
    counties = load_table("poverty_counties")
    gansu = counties[counties["province_zh"] == "甘肃省"]
    for _, row in exits[exits["scope"] == "Gansu"].iterrows():
        year = int(row["exit_year"])
        in_year = gansu[gansu["exit_year"] == year]
        verified = bool(len(in_year)) and bool(in_year["verified"].astype(bool).all())
        if row["official_status"] in ("published", "derived"):
            assert verified, year
            assert int(row["official_count"]) == len(in_year), year
        else:
            assert not verified, year
