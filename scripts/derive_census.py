"""Rebuild the project's census and poverty-county tables in ``data/raw/`` from upstream files.

Upstream (not committed; see ``data/raw/SOURCES.md``):

- ``leiii-census/census_county_2010_v1.xlsx`` and ``census_county_2020_v1.xlsx``: county tables of
  the 6th and 7th censuses compiled by Dong, Du and Liu (2022), repository leiii/census at commit
  0ba0f1efae092f4aa6569ef38e53b3bb4d2f0087 (MIT);
- ``leiii-census/census_city_2010-2020_v1.csv``: the same compilation's prefecture panel, whose
  ``coord`` column holds WKT boundaries;
- ``poverty-counties-832/poverty_county_list.csv``: a third-party list of the 832 national poverty
  counties, used only as a checklist of official facts.

Outputs (committed): ``county_census.csv``, ``poverty_counties.csv``, ``census_crosswalk.csv``,
``prefectures.geojson`` and ``census_upstream.sha256`` (checksums of the upstream files read).
Hand-written inputs: ``census_crosswalk_rules.yaml`` and ``poverty_exit_batches.yaml``.

Needs pandas, openpyxl, PyYAML and shapely (a separate tools environment; the library does not
import shapely). Usage::

    python scripts/derive_census.py --upstream /path/to/reference-data
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
DEFAULT_UPSTREAM = ROOT.parent / "shared" / "reference-data"

CENSUS_2010 = "leiii-census/census_county_2010_v1.xlsx"
CENSUS_2020 = "leiii-census/census_county_2020_v1.xlsx"
CITY_PANEL = "leiii-census/census_city_2010-2020_v1.csv"
POVERTY_LIST = "poverty-counties-832/poverty_county_list.csv"

#: Marker: the sum of the full-count age bands from 15 up (both sexes). The compilation's own
#: "15岁及以上人口" / "十五岁以上人口" columns come from the long-form sample (about a tenth of the
#: population), while the illiterate count is a full count, so they cannot be divided.
AGE_15PLUS = "<age bands 15+>"
#: Age-band headers: 2010 "15-19岁（男）", "85岁及以上（女）"; 2020 "男_15到19岁", "女_85岁以上".
_AGE_BAND = re.compile(
    r"^(?:(\d+)(?:-\d+岁|岁及以上)（[男女][）)]"  # 2010
    r"|[男女]_(\d+)(?:到\d+岁|岁以上))$"  # 2020
)

#: Our column -> upstream header(s), whitespace removed. Several headers are summed (male + female).
COLUMNS_2010: dict[str, tuple[str, ...]] = {
    "pop_total": ("合计",),
    "pop_urban": ("城镇人口",),
    "pop_rural": ("乡村人口",),
    "family_households": ("户数",),
    "family_household_pop": ("人口数",),
    "persons_per_household": ("户规模（人/户）",),
    "pop_65plus": (
        "65-69岁（男）",
        "65-69岁（女）",
        "70-74岁（男）",
        "70-74岁（女）",
        "75-79岁（男）",
        "75-79岁（女）",
        "80-84岁（男）",
        "80-84岁（女）",
        "85岁及以上（男）",
        "85岁及以上（女）",
    ),
    "pop_15plus": (AGE_15PLUS,),
    "illiterate_15plus": ("15岁及以上文盲人口-合计",),
    "edu_none": ("未上过学-男", "未上过学-女"),
    "edu_preschool": (),
    "edu_primary": ("小学-男", "小学-女"),
    "edu_junior": ("初中-男", "初中-女"),
    "edu_senior": ("高中-男", "高中-女"),
    "edu_college": ("大学专科-男", "大学专科-女"),
    "edu_bachelor_plus": ("大学本科及以上-男", "大学本科及以上-女"),
    "mean_years_schooling": ("平均受教育年限（年）-合计",),
    "housing_households": ("全部数据-家庭户",),
    "long_form_households": ("长表数据-家庭户",),
    "hh_tap_water": ("住房内有无管道自来水-有",),
    "hh_kitchen": ("住房内有无厨房-有",),
    "hh_toilet": ("住房内有无厕所-有",),
    "hh_bathing": ("住房内有无洗澡设施-有",),
}
COLUMNS_2020: dict[str, tuple[str, ...]] = {
    "pop_total": ("人口数_合计",),
    "pop_urban": ("城镇人口",),
    "pop_rural": ("乡村人口",),
    "family_households": ("家庭户数",),
    "family_household_pop": ("家庭户人口数",),
    "persons_per_household": ("户规模",),
    "pop_65plus": (
        "男_65到69岁",
        "女_65到69岁",
        "男_70到74岁",
        "女_70到74岁",
        "男_75到79岁",
        "女_75到79岁",
        "男_80到84岁",
        "女_80到84岁",
        "男_85岁以上",
        "女_85岁以上",
    ),
    "pop_15plus": (AGE_15PLUS,),
    "illiterate_15plus": ("15岁及以上文盲人口",),
    "edu_none": ("未上过学_男", "未上过学_女"),
    "edu_preschool": ("学前教育_男", "学前教育_女"),
    "edu_primary": ("小学_男", "小学_女"),
    "edu_junior": ("初中_男", "初中_女"),
    "edu_senior": ("高中_男", "高中_女"),
    "edu_college": ("大学专科_男", "大学专科_女"),
    "edu_bachelor_plus": ("本科及以上_男", "本科及以上_女"),
    "mean_years_schooling": ("平均受教育年限_合计",),
    "housing_households": ("家庭户户数",),
    "long_form_households": ("家庭户户数_长表",),
    "hh_tap_water": ("住房內有管道自来水",),
    "hh_kitchen": ("住房內有厨房",),
    "hh_toilet": ("住房內有厕所",),
    "hh_bathing": ("住房内有洗澡设施",),
}
DECIMAL_COLUMNS = {"persons_per_household", "mean_years_schooling"}
ID_COLUMNS = [
    "year",
    "unit_id",
    "code",
    "name_zh",
    "prefecture_code",
    "prefecture_zh",
    "province_code",
    "province_zh",
]
#: 2020: 三沙市 (460300) is the total of the three island-group rows that follow it.
SKIP_2020 = {"460300"}
SANSHA_ISLANDS = {"西沙群岛", "南沙群岛", "中沙群岛的岛礁及其海域"}
#: List rows whose census unit cannot be told: code and name point to different places.
UNRESOLVED_LIST_ROWS = {
    "630104": (
        "Unresolved: the list gives code 630104 and prefecture 西宁市, which is 城西区 in the 2020 "
        "census; 冷湖行委 (海西州) has a 2010 row but no 2020 row. Not linked to a census unit."
    ),
}
GROUP_ROWS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "全国"}


LIST_PAGE = (
    "https://github.com/Clebeech/ds_project/blob/bfc271efd6627b12a92f216a2a054183835e20ec/"
    "data/poverty_county_list.csv"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _norm(header: object) -> str:
    return re.sub(r"\s+", "", str(header))


def _counts(frame: pd.DataFrame, mapping: dict[str, tuple[str, ...]], label: str) -> pd.DataFrame:
    """Our count columns from the upstream headers; summed headers stay blank if all are blank."""
    frame = frame.rename(columns=_norm)
    out = {}
    for ours, headers in mapping.items():
        if headers == (AGE_15PLUS,):
            headers = tuple(
                c
                for c in frame.columns
                if (m := _AGE_BAND.match(c)) and int(m.group(1) or m.group(2)) >= 15
            )
        missing = [h for h in headers if h not in frame.columns]
        if missing:
            raise KeyError(f"{label}: upstream header(s) {missing} not found (for {ours})")
        if not headers:
            out[ours] = pd.Series(pd.NA, index=frame.index, dtype="Float64")
            continue
        values = frame[list(headers)].apply(pd.to_numeric, errors="coerce")
        out[ours] = values.sum(axis=1, min_count=1)
    return pd.DataFrame(out, index=frame.index)


def read_2010(path: Path) -> pd.DataFrame:
    """County-level rows of the 2010 table (indent-2 rows of 地区), with province and prefecture."""
    raw = pd.read_excel(path, dtype=str)
    raw.columns = [_norm(c) for c in raw.columns]
    raw = raw[raw["地区"].notna() & raw["合计"].notna()].copy()
    indent = raw["地区"].str.len() - raw["地区"].str.lstrip().str.len()
    raw["name_zh"] = raw["地区"].str.strip()
    raw["code"] = raw["区划代码"].fillna("")
    rows = []
    province = ("", "")
    prefecture = ("", "")
    for index, row in raw.iterrows():
        code, name = row["code"], row["name_zh"]
        if indent[index] == 0:
            if code.endswith("0000"):
                province = (code, name)
                prefecture = ("", "")
            else:
                prefecture = (code, name)
            continue
        pref_code = code[:4] + "00" if code else prefecture[0]
        parent = pref_code or province[0]
        rows.append(
            {
                "year": 2010,
                "unit_id": code or f"{parent}:{name}",
                "code": code,
                "name_zh": name,
                "prefecture_code": pref_code,
                "prefecture_zh": prefecture[1],
                "province_code": province[0],
                "province_zh": province[1],
                "_index": index,
            }
        )
    ids = pd.DataFrame(rows).set_index("_index")
    counts = _counts(raw.loc[ids.index], COLUMNS_2010, "census 2010")
    return pd.concat([ids, counts], axis=1).reset_index(drop=True)


def read_2020(path: Path) -> pd.DataFrame:
    """County-level rows of the 2020 table: coded units below prefecture level, prefecture-level
    units without county rows (e.g. 东莞市), and the uncoded zones that the 7th census tabulated
    as county-level units (development zones, 管理区, island groups)."""
    raw = pd.read_excel(path, dtype=str)
    raw.columns = [_norm(c) for c in raw.columns]
    raw["code"] = raw["区划代码"].fillna("")
    coded = raw.loc[raw["code"] != "", "code"]
    province_by_name = {r["省"]: r["code"] for _, r in raw.iterrows() if r["code"].endswith("0000")}
    pref_by_name = {
        (r["省"], r["市"]): r["code"]
        for _, r in raw.iterrows()
        if r["code"].endswith("00") and not r["code"].endswith("0000")
    }
    prefix_count = coded.str[:4].value_counts()
    rows = []
    for index, row in raw.iterrows():
        code, name = row["code"], _norm(row["区县"])
        if code.endswith("0000") or code in SKIP_2020 or (name in GROUP_ROWS and not code):
            continue
        if code.endswith("00") and prefix_count[code[:4]] > 1:
            continue  # a prefecture with county rows beneath it
        province_code = province_by_name[row["省"]]
        pref_code = code[:4] + "00" if code else pref_by_name.get((row["省"], row["市"]), "")
        if name in SANSHA_ISLANDS:
            pref_code = "460300"
        rows.append(
            {
                "year": 2020,
                "unit_id": code or f"{pref_code or province_code}:{name}",
                "code": code,
                "name_zh": name,
                "prefecture_code": pref_code,
                "prefecture_zh": row["市"],
                "province_code": province_code,
                "province_zh": row["省"],
                "_index": index,
            }
        )
    ids = pd.DataFrame(rows).set_index("_index")
    counts = _counts(raw.loc[ids.index], COLUMNS_2020, "census 2020")
    return pd.concat([ids, counts], axis=1).reset_index(drop=True)


def province_totals(path: Path, year: int) -> pd.Series:
    """Published province totals (合计 / 人口数_合计 of the province rows), keyed by code."""
    raw = pd.read_excel(path, dtype=str)
    raw.columns = [_norm(c) for c in raw.columns]
    column = "合计" if year == 2010 else "人口数_合计"
    rows = raw[raw["区划代码"].fillna("").str.endswith("0000")]
    return rows.set_index("区划代码")[column].astype(int)


def fill_rural(frame: pd.DataFrame) -> pd.DataFrame:
    """Upstream leaves 乡村人口 blank where a district is wholly urban (urban = total): set 0."""
    blank = frame["pop_rural"].isna() & frame["pop_urban"].eq(frame["pop_total"])
    frame.loc[blank, "pop_rural"] = 0
    blank = frame["pop_urban"].isna() & frame["pop_rural"].eq(frame["pop_total"])
    frame.loc[blank, "pop_urban"] = 0
    return frame


# ------------------------------------------------------------------ crosswalk

_SUFFIX = re.compile(r"(行政委员会|行委|特区|林区|自治县|自治旗|新区|县|区|市|旗)$")


def stem(name: str) -> str:
    """Name without its unit-type suffix: 水城县 and 水城区 share the stem 水城. The 2010 table
    sometimes writes 市 as the look-alike 巿 (U+5DFF); it is read as 市."""
    return _SUFFIX.sub("", name.replace("巿", "市"))


def is_zone(code: str) -> bool:
    """A 2020 statistical zone (development zone, new area): uncoded, or a code ending 7x."""
    return not code or code[4] == "7"


class Groups:
    """Union-find over ("2010"|"2020", unit_id) nodes; each group records how it was formed."""

    def __init__(self) -> None:
        self.parent: dict[tuple[int, str], tuple[int, str]] = {}
        self.method: dict[tuple[int, str], str] = {}
        self.rule: dict[tuple[int, str], str] = {}

    def find(self, node: tuple[int, str]) -> tuple[int, str]:
        self.parent.setdefault(node, node)
        while self.parent[node] != node:
            self.parent[node] = self.parent[self.parent[node]]
            node = self.parent[node]
        return node

    def union(self, nodes: list[tuple[int, str]], method: str, rule: str = "") -> None:
        for node in nodes:
            self.method.setdefault(node, method)
            if rule:
                self.rule.setdefault(node, rule)
        roots = [self.find(n) for n in nodes]
        for root in roots[1:]:
            self.parent[root] = roots[0]


def build_crosswalk(units: pd.DataFrame, rules: list[dict]) -> pd.DataFrame:
    """Assign every unit of both years to one group (see data/raw/SOURCES.md for the steps)."""
    groups = Groups()
    u10 = units[units["year"] == 2010].set_index("unit_id")
    u20 = units[units["year"] == 2020].set_index("unit_id")
    left, right = set(u10.index), set(u20.index)

    def pair(a: str, b: str, method: str) -> None:
        groups.union([(2010, a), (2020, b)], method)
        left.discard(a)
        right.discard(b)

    # 1. same published code
    for code in sorted({c for c in u10["code"] if c} & {c for c in u20["code"] if c}):
        pair(code, code, "code")

    # 2-4. names, unique on both sides within a key
    def by_key(key_of) -> None:
        keys10, keys20 = defaultdict(list), defaultdict(list)
        for uid in sorted(left):
            keys10[key_of(u10.loc[uid])].append(uid)
        for uid in sorted(right):
            keys20[key_of(u20.loc[uid])].append(uid)
        return keys10, keys20

    steps = [
        ("name_in_prefecture", lambda r: (r["prefecture_code"], r["name_zh"])),
        ("stem_in_prefecture", lambda r: (r["prefecture_code"], stem(r["name_zh"]))),
        ("name_in_province", lambda r: (r["province_code"], r["name_zh"])),
        ("stem_in_province", lambda r: (r["province_code"], stem(r["name_zh"]))),
    ]
    for method, key_of in steps:
        keys10, keys20 = by_key(key_of)
        for key, ids in keys10.items():
            if len(ids) == 1 and len(keys20.get(key, [])) == 1 and key[1]:
                pair(ids[0], keys20[key][0], method)

    # 5. manual rules
    for rule in rules:
        nodes = [(2010, str(u)) for u in rule.get("units_2010", [])]
        nodes += [(2020, str(u)) for u in rule.get("units_2020", [])]
        for year, uid in nodes:
            table = u10 if year == 2010 else u20
            if uid not in table.index:
                raise KeyError(f"census_crosswalk_rules.yaml {rule['id']}: no {year} unit {uid}")
        groups.union(nodes, f"rule:{rule['id']}", rule["id"])
        left.difference_update(uid for year, uid in nodes if year == 2010)
        right.difference_update(uid for year, uid in nodes if year == 2020)

    # 6. leftovers pooled within a prefecture when both years have some
    pref10, pref20 = defaultdict(list), defaultdict(list)
    for uid in left:
        pref10[u10.loc[uid, "prefecture_code"]].append((2010, uid))
    for uid in right:
        if not is_zone(u20.loc[uid, "code"]):  # zones are carved from several units: left alone
            pref20[u20.loc[uid, "prefecture_code"]].append((2020, uid))
    for pref in sorted(set(pref10) & set(pref20)):
        if pref:
            sole = len(pref10[pref]) == 1 and len(pref20[pref]) == 1
            method = "sole_remaining_in_prefecture" if sole else "pooled_in_prefecture"
            groups.union(pref10[pref] + pref20[pref], method)
    rows = []
    for year, table in ((2010, u10), (2020, u20)):
        for uid, row in table.iterrows():
            node = (year, uid)
            groups.find(node)
            rows.append(
                {
                    "year": year,
                    "unit_id": uid,
                    "code": row["code"],
                    "name_zh": row["name_zh"],
                    "province_zh": row["province_zh"],
                    "_root": groups.find(node),
                    "match_method": groups.method.get(node, "unmatched"),
                    "rule_id": groups.rule.get(node, ""),
                }
            )
    frame = pd.DataFrame(rows)
    members = frame.groupby("_root")["unit_id"].agg(min)
    frame["group_id"] = frame["_root"].map(lambda r: f"G{members[r]}")
    n10 = frame[frame["year"] == 2010].groupby("_root").size()
    n20 = frame[frame["year"] == 2020].groupby("_root").size()

    def kind(root: object) -> str:
        a, b = n10.get(root, 0), n20.get(root, 0)
        if a == 0 or b == 0:
            return "only_2020" if a == 0 else "only_2010"
        if a == 1 and b == 1:
            return "one_to_one"
        return "merged" if b == 1 else "split" if a == 1 else "many_to_many"

    frame["group_type"] = frame["_root"].map(kind)
    frame = frame.drop(columns="_root")
    return frame[
        [
            "year",
            "unit_id",
            "code",
            "name_zh",
            "province_zh",
            "group_id",
            "group_type",
            "match_method",
            "rule_id",
        ]
    ].sort_values(["year", "unit_id"])


# ------------------------------------------------------------------ poverty counties


def build_poverty(
    path: Path, census2020: pd.DataFrame, batches: list[dict], cases: pd.DataFrame
) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str)
    raw = raw[raw["行政区划代码"].notna() & raw["县域名称"].notna()]
    out = pd.DataFrame(
        {
            "code": raw["行政区划代码"].str.replace(r"\.0$", "", regex=True),
            "name_zh": raw["县域名称"].str.strip(),
            "province_zh": raw["所属省份"].str.strip(),
            "prefecture_zh": raw["所属城市"].str.strip(),
            "list_exit_year": raw["摘帽时间"].str.replace(r"\.0$", "", regex=True).astype(int),
        }
    ).reset_index(drop=True)
    # census 2020 unit: same code, else same name (or stem) within the province
    c20 = census2020.set_index("unit_id")
    census_ids, census_notes = [], []
    for _, row in out.iterrows():
        code, name = row["code"], row["name_zh"]
        if code in UNRESOLVED_LIST_ROWS:
            census_ids.append("")
            census_notes.append(UNRESOLVED_LIST_ROWS[code])
            continue
        same_prefecture = code in c20.index and (
            c20.loc[code, "prefecture_zh"][:2] == row["prefecture_zh"][:2]
        )
        if code in c20.index and (stem(c20.loc[code, "name_zh"]) == stem(name) or same_prefecture):
            census_ids.append(code)
            published = c20.loc[code, "name_zh"]
            census_notes.append(
                ""
                if stem(published) == stem(name)
                else f"The 2020 census names unit {code} {published}."
            )
            continue
        same_province = c20[c20["province_zh"] == row["province_zh"]]
        hits: list[str] = []
        for test in (
            same_province["name_zh"] == name,
            same_province["name_zh"].map(stem) == stem(name),
            same_province["name_zh"].str.startswith(stem(name)),
        ):
            hits = list(same_province.index[test])
            if hits:
                break
        if len(hits) == 1:
            census_ids.append(hits[0])
            census_notes.append(
                f"List code {code} is not a 2020 census code; matched by name to "
                f"{hits[0]} ({c20.loc[hits[0], 'name_zh']})."
            )
        else:
            census_ids.append("")
            census_notes.append("No 2020 census unit of this name or code.")
    out["census_unit_2020"] = census_ids
    out["exit_year"] = out["list_exit_year"]
    out["verified"] = False
    out["source_publisher"] = "Third-party 832 list only (马克数据网 compilation; no licence)"
    # Where the list itself was read (the repository file at the commit used).
    out["source_page"] = LIST_PAGE
    out["note"] = census_notes

    def add_note(i: int, text: str) -> None:
        out.loc[i, "note"] = (out.loc[i, "note"] + " " + text).strip()

    for batch in batches:
        by_province = batch.get("counties_by_province") or {batch["province"]: batch["counties"]}
        named = [(province, name) for province, names in by_province.items() for name in names]
        for province, name in named:
            in_province = out["province_zh"] == province
            hit = out.index[in_province & out["name_zh"].eq(name)]
            if len(hit) == 0:
                hit = out.index[in_province & out["name_zh"].str.startswith(stem(name))]
            if len(hit) == 0 and batch.get("includes_provincial"):
                print(f"{batch['id']}: {name} is not on the national list (provincial county)")
                continue
            if len(hit) != 1:
                raise KeyError(f"poverty_exit_batches.yaml {batch['id']}: {name}: {len(hit)} rows")
            i = hit[0]
            out.loc[i, ["exit_year", "verified", "source_publisher", "source_page"]] = [
                batch["exit_year"],
                True,
                batch["publisher"],
                batch["page"],
            ]
            if out.loc[i, "list_exit_year"] != batch["exit_year"]:
                add_note(
                    i,
                    f"The third-party list gives {out.loc[i, 'list_exit_year']}; the official "
                    f"announcement gives {batch['exit_year']}.",
                )
    # the case-area table is the project's own verified record: keep consistent with it
    for _, case in cases.iterrows():
        if case["on_national_list"] != "true":
            continue
        hit = out.index[out["census_unit_2020"] == case["code_2020"]]
        if len(hit) != 1:
            raise KeyError(f"case_area_counties.csv {case['code_2020']} not in the 832 list")
        i = hit[0]
        if int(case["exit_year"]) != out.loc[i, "exit_year"]:
            raise ValueError(f"case_area_counties.csv disagrees on {case['name_zh']}")
        if case["verified"] == "true" and not out.loc[i, "verified"]:
            out.loc[i, ["verified", "source_publisher", "source_page"]] = [
                True,
                case["source_publisher"],
                case["source_page"],
            ]
    out["verified"] = out["verified"].map({True: "true", False: "false"})
    return out[
        [
            "code",
            "name_zh",
            "province_zh",
            "prefecture_zh",
            "census_unit_2020",
            "exit_year",
            "list_exit_year",
            "verified",
            "source_publisher",
            "source_page",
            "note",
        ]
    ].sort_values("code")


# ------------------------------------------------------------------ map


def build_geojson(path: Path, tolerance: float, digits: int) -> dict:
    from shapely import wkt
    from shapely.geometry import mapping

    panel = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    features = []
    for _, row in panel.iterrows():
        geom = wkt.loads(row["coord"])
        simple = geom.simplify(tolerance, preserve_topology=True)
        if not simple.is_valid:
            simple = simple.buffer(0)
        shape = json.loads(json.dumps(mapping(simple)))

        def rnd(obj: object) -> object:
            if isinstance(obj, list | tuple):
                if obj and isinstance(obj[0], float | int):
                    return [round(float(v), digits) for v in obj]
                return [rnd(o) for o in obj]
            return obj

        shape["coordinates"] = rnd(shape["coordinates"])
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "prefecture_code": row["city_code"],
                    "prefecture_zh": row["city"],
                    "province_code": row["province_code"],
                    "province_zh": row["province"],
                },
                "geometry": shape,
            }
        )
    return {"type": "FeatureCollection", "features": features}


# ------------------------------------------------------------------ main


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def to_int_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as integers, published decimals as they are; blanks stay blank."""
    out = frame.copy()
    for column in COLUMNS_2010:
        values = pd.to_numeric(out[column], errors="coerce")
        if column in DECIMAL_COLUMNS:
            out[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:g}")
        else:
            out[column] = values.map(lambda v: "" if pd.isna(v) else str(round(v)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", type=Path, default=DEFAULT_UPSTREAM)
    parser.add_argument("--out", type=Path, default=RAW)
    parser.add_argument("--tolerance", type=float, default=0.01, help="simplify, degrees")
    parser.add_argument("--digits", type=int, default=3, help="coordinate decimals")
    args = parser.parse_args(argv)
    files = [CENSUS_2010, CENSUS_2020, CITY_PANEL, POVERTY_LIST]
    missing = [f for f in files if not (args.upstream / f).is_file()]
    if missing:
        print(f"upstream files not found under {args.upstream}: {missing}", file=sys.stderr)
        return 1
    checksums = {f: sha256(args.upstream / f) for f in files}
    recorded = args.out / "census_upstream.sha256"
    if recorded.is_file():
        old = dict(line.split()[::-1] for line in recorded.read_text("utf-8").splitlines())
        changed = [f for f in files if old.get(f) != checksums[f]]
        if changed:
            print(f"upstream files differ from census_upstream.sha256: {changed}")

    census = pd.concat(
        [read_2010(args.upstream / CENSUS_2010), read_2020(args.upstream / CENSUS_2020)],
        ignore_index=True,
    )
    census = fill_rural(census)
    for year, file in ((2010, CENSUS_2010), (2020, CENSUS_2020)):
        published = province_totals(args.upstream / file, year)
        sums = census[census["year"] == year].groupby("province_code")["pop_total"].sum()
        diff = (sums - published.reindex(sums.index)).abs()
        if diff.max() > 0:
            print(f"{year}: county sums differ from province rows:\n{diff[diff > 0]}")
    if census.duplicated(["year", "unit_id"]).any():
        raise ValueError("duplicate (year, unit_id)")
    census_out = to_int_text(census[ID_COLUMNS + list(COLUMNS_2010)])
    write_csv(census_out.sort_values(["year", "unit_id"]), args.out / "county_census.csv")

    rules = yaml.safe_load((args.out / "census_crosswalk_rules.yaml").read_text("utf-8"))
    crosswalk = build_crosswalk(census, rules.get("rules", []) if rules else [])
    write_csv(crosswalk, args.out / "census_crosswalk.csv")

    batches = yaml.safe_load((args.out / "poverty_exit_batches.yaml").read_text("utf-8"))
    cases = pd.read_csv(args.out / "case_area_counties.csv", dtype=str, keep_default_na=False)
    poverty = build_poverty(
        args.upstream / POVERTY_LIST,
        census[census["year"] == 2020],
        batches["batches"],
        cases,
    )
    write_csv(poverty, args.out / "poverty_counties.csv")

    geo = build_geojson(args.upstream / CITY_PANEL, args.tolerance, args.digits)
    (args.out / "prefectures.geojson").write_text(
        json.dumps(geo, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    lines = [f"{digest}  {name}" for name, digest in checksums.items()]
    (args.out / "census_upstream.sha256").write_text("\n".join(lines) + "\n", encoding="utf-8")

    pops = crosswalk.merge(census[["year", "unit_id", "pop_total"]], on=["year", "unit_id"])
    by_group = pops.pivot_table("pop_total", "group_id", "year", aggfunc="sum")
    ruled = pops.loc[pops["rule_id"] != "", ["rule_id", "group_id"]].drop_duplicates()
    print(ruled.join(by_group, on="group_id").to_string())
    summary = crosswalk.groupby(["year", "match_method"]).size()
    print(summary.to_string())
    print(poverty.groupby("exit_year").size().to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
