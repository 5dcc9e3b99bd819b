"""The chapter "What the censuses show about the poverty counties" and its methods.

The page is built once from the committed census tables (``data/raw/county_census.csv``,
``census_crosswalk.csv``, ``poverty_counties.csv``, ``prefectures.geojson``). Its numbers are
checked for the signs the design of the list implies, one gap is recomputed by hand from the
CSV files, and the methods are checked on small frames with planted answers.
"""

from __future__ import annotations

import json
import re

import matplotlib as mpl
import nbformat
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch

from cases.core import paths
from cases.methods import census
from cases.present import maps
from cases.present.text import render_blocks

mpl.use("Agg")

NOTEBOOK = paths.NOTEBOOKS / "county_census.ipynb"


@pytest.fixture(scope="module")
def page():
    from cases.pages import county_census

    built = county_census.build()
    yield built
    import matplotlib.pyplot as plt

    plt.close("all")


# --------------------------------------------------------------------------- the page


def test_listed_counties_were_worse_served_in_2010(page):
    # Counties were listed for being poor: within their provinces they should have had less tap
    # water, fewer toilets, more illiteracy and less schooling in 2010, clearly so.
    n = page.numbers
    for key in ("tap", "toilet", "school"):
        assert n[f"gap_{key}_2010_county_hi"] < 0, key
        assert n[f"gap_{key}_2010_pop_hi"] < 0, key
    assert n["gap_illit_2010_county_lo"] > 0
    # The national gap (no province comparison) is larger than the within-province one, since
    # listed counties are concentrated in the poorer provinces.
    assert n["gap_tap_2010_national"] < n["gap_tap_2010_county"]


def test_tap_water_gap_shrank_and_shares_are_shares(page):
    n = page.numbers
    # The campaign's drinking-water target and the ceiling both push the gap towards zero.
    assert n["gap_tap_change_county_lo"] > 0
    assert abs(n["gap_tap_2020_county"]) < abs(n["gap_tap_2010_county"])
    for name, value in n.items():
        if re.match(r"(mean|cohort)_(tap|toilet|illit)_", name):
            assert 0.0 <= value <= 1.0, name
        if name.endswith(("_lo", "_hi")) or name.startswith("gap_"):
            assert np.isfinite(value), name
    # Intervals contain their estimates.
    for name in n:
        if f"{name}_lo" in n:
            assert n[f"{name}_lo"] <= n[name] <= n[f"{name}_hi"], name
    # Sizes: every listed county linked to the 2020 census, all 2010 units followed.
    assert n["n_listed_counties"] == 831
    assert 2_700 < n["n_groups"] < 2_900
    assert 20 <= n["n_within_provinces"] <= 25


def test_matching_narrows_the_2010_difference(page):
    # Matching on 2010 levels within province should leave a smaller 2010 tap-water difference
    # than the plain within-province gap, and the regression adjustment a smaller gain than the
    # raw change of the gap (part of the catch-up is where the areas started).
    n = page.numbers
    assert abs(n["match_tap_2010"]) < abs(n["gap_tap_2010_county"])
    assert n["adj_tap_change"] < n["gap_tap_change_county"]
    assert n["match_n"] <= n["n_within_listed"]


def test_cohorts_started_lower_the_later_they_left(page):
    n = page.numbers
    assert n["cohort_tap_2020_2010"] < n["cohort_tap_2016_2010"] < n["cohort_tap_other_2010"]
    assert page.facts["cohort_last_started_lower"]
    # The range printed for 2020 covers every cohort.
    for year in (2016, 2017, 2018, 2019, 2020):
        value = n[f"cohort_tap_{year}_2020"]
        assert n["cohort_tap_2020_min"] <= value <= n["cohort_tap_2020_max"]


def test_one_within_province_gap_by_hand(page):
    # Yunnan: every unit is one-to-one in the crosswalk, so the 2020 rows of the CSV are the
    # analysis units. With province fixed effects and one province, the resident-weighted gap
    # is the difference of resident-weighted means of the county shares.
    raw = pd.read_csv(paths.RAW / "county_census.csv", dtype={"code": str, "province_code": str})
    listed = pd.read_csv(paths.RAW / "poverty_counties.csv", dtype={"census_unit_2020": str})
    yunnan = raw[(raw["year"] == 2020) & (raw["province_code"] == "530000")].copy()
    yunnan["tap"] = yunnan["hh_tap_water"] / yunnan["long_form_households"]
    yunnan["listed"] = yunnan["code"].isin(listed["census_unit_2020"])

    def wmean(d: pd.DataFrame) -> float:
        return float((d["tap"] * d["pop_total"]).sum() / d["pop_total"].sum())

    by_hand = wmean(yunnan[yunnan["listed"]]) - wmean(yunnan[~yunnan["listed"]])
    frame = census.analysis_frame()
    one = frame[frame["province_code"] == "530000"]
    assert len(one) == len(yunnan)
    est = census.poverty_gap(one, "tap_water_share_2020", weights="pop_2020")
    assert est.estimate == pytest.approx(by_hand, abs=1e-12)
    assert est.n_treated == int(yunnan["listed"].sum())


def test_every_text_block_renders_and_every_glued_key_is_produced(page):
    passages = page.render("county_census")
    assert passages and all(text and "{{" not in text for text in passages.values())
    nb = nbformat.read(NOTEBOOK, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    used = set(re.findall(r"census_[a-z0-9_]+", prose))
    produced = {f"census_{k}" for k in [*page.numbers, *passages]}
    produced |= {f"census_{k}_fig" for k in page.figures}
    assert used and used <= produced, sorted(used - produced)
    for block in passages:
        assert f"census_{block}:myst" in prose, f"block {block} is never placed"


def test_text_renders_under_the_other_branches(page):
    # Flip every boolean fact: each sentence variant must still render (no missing name).
    flipped = {k: (not v) if isinstance(v, bool) else v for k, v in page.facts.items()}
    passages = render_blocks("county_census", {**page.numbers, **flipped})
    assert set(passages) == set(page.render("county_census"))


def test_case_county_percentiles_lie_in_0_100(page):
    pct = {k: v for k, v in page.numbers.items() if "_pct" in k}
    assert len(pct) > 100
    assert all(0.0 <= v <= 100.0 for v in pct.values())
    for case in ("liupanshui", "pingliang", "h_county"):
        table = page.tables[f"case_{case}"]
        cols = [c for c in table.columns if "pct." in c]
        assert table[cols].apply(lambda s: s.between(0, 100)).all().all()
    # Shuicheng (水城) had piped water in about a tenth of its households in 2010, near the
    # bottom of the country (hand-checked values of tests/test_census_data.py's source).
    assert page.numbers["case_shuicheng_tap_2010"] == pytest.approx(0.1004, abs=5e-4)
    assert page.numbers["case_shuicheng_tap_2010_pct"] < 5


def test_map_has_one_patch_per_prefecture(page):
    features = json.loads((paths.RAW / "prefectures.geojson").read_text(encoding="utf-8"))
    n = len(features["features"])
    fig = page.figures["map"]
    for ax in fig.axes[:2]:
        sizes = [len(c.get_paths()) for c in ax.collections if isinstance(c, PatchCollection)]
        assert n in sizes
        # the outlined case prefectures, drawn on top
        assert 5 in sizes


def test_standing_of_each_case():
    from cases.pages import county_census

    for case, n in (("liupanshui", 4), ("pingliang", 7), ("h_county", 3)):
        got = county_census.standing(case)
        assert got.facts["placed"] and len(got.facts["counties"]) == n
        assert 0 <= got.numbers["tap_2020_pct_min"] <= got.numbers["tap_2020_pct_max"] <= 100
        render_blocks("area_context", got.context())
    for case in ("w_town", "shandong_a_town"):
        got = county_census.standing(case)
        assert not got.facts["placed"] and not got.numbers
        render_blocks("area_context", got.context())


# --------------------------------------------------------------------------- methods


def _planted(seed: int = 1, gap: float = -0.2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(6):
        for c in range(8):
            for _ in range(6):
                treated = rng.random() < 0.4
                y = 0.5 + 0.05 * p + gap * treated + rng.normal(0, 0.05)
                rows.append((f"P{p}", f"P{p}C{c}", treated, y, rng.integers(1, 100)))
    return pd.DataFrame(rows, columns=["province_code", "prefecture_code", "on_list", "y", "w"])


def test_poverty_gap_recovers_a_planted_gap_and_matches_dummies():
    frame = _planted()
    est = census.poverty_gap(frame, "y", weights="w")
    assert est.conf_low < -0.2 < est.conf_high
    assert est.n_clusters == 48
    # Same coefficient as the regression with province dummies (Frisch-Waugh-Lovell); the
    # standard error differs only by the (N-1)/(N-K) factor for the dummies.
    x = pd.get_dummies(frame["province_code"], dtype=float)
    x.insert(0, "on_list", frame["on_list"].astype(float))
    fit = sm.WLS(frame["y"], x, weights=frame["w"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["prefecture_code"])[0]}
    )
    assert est.estimate == pytest.approx(fit.params["on_list"], rel=1e-10)
    n, k_dummies = len(frame), x.shape[1]
    factor = np.sqrt((n - k_dummies) / (n - 1))  # undo the dummies' K
    assert est.std_error == pytest.approx(fit.bse["on_list"] * factor, rel=1e-6)


def test_poverty_gap_keeps_only_provinces_with_both_kinds():
    frame = _planted()
    frame.loc[frame["province_code"] == "P0", "on_list"] = False
    est = census.poverty_gap(frame, "y")
    assert est.n_units == int((frame["province_code"] != "P0").sum())
    with pytest.raises(ValueError, match="no contrast"):
        census.poverty_gap(frame.assign(on_list=False), "y")


def test_percentile_ranks_bounds_and_ties():
    values = pd.Series([1.0, 2.0, 2.0, 3.0, np.nan])
    got = census.percentile_ranks(values)
    assert got.tolist()[:4] == [12.5, 50.0, 50.0, 87.5]
    assert np.isnan(got.iloc[4])
    by = pd.Series(["a", "a", "b", "b", "b"])
    within = census.percentile_ranks(values, by)
    assert within.tolist()[:4] == [25.0, 75.0, 25.0, 75.0]


def test_matching_picks_the_nearest_control_in_the_same_province():
    frame = pd.DataFrame(
        {
            "on_list": [True, False, False, True, False],
            "province_code": ["A", "A", "A", "B", "B"],
            "prefecture_code": ["a1", "a1", "a2", "b1", "b1"],
            "x": [0.10, 0.12, 0.50, 0.10, 0.90],
            "y": [1.0, 0.4, 0.0, 2.0, 1.0],
        }
    )
    pairs = census.match_within_province(frame, ["x"])
    assert pairs[["treated_index", "control_index"]].to_numpy().tolist() == [[0, 1], [3, 4]]
    est = census.matched_difference(frame, pairs, "y")
    assert est.estimate == pytest.approx(((1.0 - 0.4) + (2.0 - 1.0)) / 2)


def test_feature_path_keeps_holes_and_map_feature_rules():
    square = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]
    path = maps.feature_path({"type": "Polygon", "coordinates": [square, hole]})
    # Drawn, the hole stays empty (the rings are oriented for the non-zero winding rule).
    fig = Figure(figsize=(2, 2), dpi=50)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.add_patch(PathPatch(path, facecolor="black", edgecolor="none"))
    ax.set_xlim(0, 4)
    ax.set_ylim(0, 4)
    ax.axis("off")
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())

    def dark(x: float, y: float) -> bool:
        col, row = int(x / 4 * 99), int((1 - y / 4) * 99)
        return bool(pixels[row, col, :3].mean() < 128)

    assert dark(3, 3) and not dark(1.5, 1.5)
    features = pd.DataFrame(
        {
            "prefecture_code": ["110100", "429004", "500100"],
            "prefecture_zh": ["北京市", "仙桃市", "重庆市"],
        }
    )
    frame = pd.DataFrame(
        {
            "prefecture_code": ["110100", "429000", "500200"],
            "codes_2020": ["110101", "429004", "500229"],
            "prefecture_zh": ["市辖区", "省直辖", "重庆市"],
            "province_code": ["110000", "420000", "500000"],
        }
    )
    assert census.map_feature(frame, features).tolist() == ["110100", "429004", "500100"]


def test_crosswalk_coverage_and_the_listed_exceptions() -> None:
    # Every 2010 resident lives in a unit followed into 2020; in 2020 the statistical zones and
    # new XPCC cities (about 1.6 % of residents, tests/test_census_data.py) are not.
    crosswalk = census.load_crosswalk()
    coverage = census.crosswalk_coverage(census.load_census(), crosswalk)
    assert coverage["matched_share_2010"] == 1.0
    assert 0.98 < coverage["matched_share_2020"] < 1.0
    exceptions = census.crosswalk_exceptions(crosswalk)
    assert "one_to_one" not in set(exceptions["group_type"])
    # The 142 units present in 2020 only and the six XPCC cities among them are all listed.
    only = exceptions[exceptions["group_type"] == "only_2020"]
    assert len(only) == 142
    assert {"北屯市", "铁门关市", "双河市", "可克达拉市", "昆玉市", "胡杨河市"} <= set(
        only["name_zh"]
    )
    # A renamed county followed one to one (水城县 -> 水城区) is not an exception.
    assert "520221" not in set(exceptions["code"].astype(str))
