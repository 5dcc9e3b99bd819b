"""Cross-case synthesis helpers, on toy segments and on the real coded corpus."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cases.core import paths
from cases.core.errors import DataValidationError
from cases.data import public_data, registry
from cases.methods import qual
from cases.pages import cross_case as cc

CASES = registry.list_cases()
THEME_OF = {
    "problem_formalism": "problem",
    "problem_weak_social_organisations": "problem",
    "actor_government": "actor",
}


def _segments(rows):
    columns = ["case", "segment_id", "sentence", "start", "end", "code", "coder", "paraphrase"]
    return pd.DataFrame(rows, columns=columns)


TOY = _segments(
    [
        ("h_county", "h1", 3, 10, 50, "problem_formalism", "A", "Paperwork over substance."),
        ("h_county", "h1", 3, 10, 50, "problem_formalism", "A", "Paperwork over substance."),
        ("h_county", "h2", 5, 60, 90, "problem_formalism", "A", "Forms instead of visits."),
        (
            "w_town",
            "w1",
            2,
            0,
            40,
            "problem_weak_social_organisations",
            "A",
            "NGOs take little part.",
        ),
        ("pingliang", "p1", 7, 5, 30, "problem_weak_social_organisations", "A", "Few NGOs join."),
        ("pingliang", "p1", 7, 5, 30, "problem_weak_social_organisations", "B", "Few NGOs join."),
        ("w_town", "w2", 4, 50, 80, "actor_government", "A", "The township leads."),
    ]
)


def test_theme_matrix_counts_segments_once_and_orders_by_spread():
    matrix = cc.theme_matrix(TOY, THEME_OF, "problem", CASES, coder="A")
    # formalism: h1 (coded twice, counted once) + h2 = 2 segments in one case;
    # weak social orgs: one segment each in w_town and pingliang (coder B ignored) = two cases.
    assert list(matrix.index) == ["problem_weak_social_organisations", "problem_formalism"]
    assert matrix.loc["problem_formalism", "h_county"] == 2
    assert matrix.loc["problem_weak_social_organisations"].sum() == 2
    assert list(matrix.columns) == [c.slug for c in CASES]
    assert cc.shared_codes(matrix) == ["problem_weak_social_organisations"]
    with pytest.raises(ValueError, match="theme 'outcome' has no codes"):
        cc.theme_matrix(TOY, THEME_OF, "outcome", CASES, coder="A")


def test_common_problem_evidence_names_locations():
    table = cc.common_problem_evidence(TOY, CASES, problems=("problem_formalism",), coder="A")
    row = table.iloc[0]
    assert row["Cases"] == 1 and row["Reported in"] == "H County"
    assert row["Evidence (abstract location, segment)"] == (
        "H County: sentence 3 (10–50), h1; H County: sentence 5 (60–90), h2"
    )


def test_labels():
    assert cc.code_label("problem_weak_social_organisations") == "Weak social organisations"
    assert cc.code_label("problem_formalism", {"problem_formalism": "Formalism!"}) == "Formalism!"
    w_town = registry.load_case("w_town")
    assert cc.case_label(w_town) == "W Town (post-2020)\n(after 2020; province not stated)"
    assert "Guizhou, West" in cc.case_label(registry.load_case("liupanshui"))


@pytest.fixture(scope="module")
def corpus():
    return qual.load_coded_corpus()


def _cases_with(corpus, family: str, code: str) -> set[str]:
    family_of = {c.id: c.family for c in corpus.codebook.codes}
    matrix = cc.theme_matrix(corpus.segments, family_of, family, CASES)
    if code not in matrix.index:
        return set()
    used = matrix.loc[code]
    return set(used[used > 0].index)


def test_real_corpus_formalism_is_h_county_only(corpus):
    # Only the H County abstract names formalism as a finding (../shared/seeds/h_county.txt).
    assert _cases_with(corpus, "problem", "problem_formalism") == {"h_county"}


def test_real_corpus_codes_recur_across_cases(corpus):
    # The merged codebook is general enough for codes to recur: most problem codes are
    # reported by two or more cases.
    family_of = {c.id: c.family for c in corpus.codebook.codes}
    problems = cc.theme_matrix(corpus.segments, family_of, "problem", CASES)
    assert len(cc.shared_codes(problems)) >= len(problems) // 2


def test_real_corpus_points_raised_by_the_review(corpus):
    # A Town: enterprises and social organisations give too little help -> both codes.
    assert "shandong_a_town" in _cases_with(corpus, "problem", "problem_weak_social_organisations")
    assert "shandong_a_town" in _cases_with(
        corpus, "problem", "problem_insufficient_enterprise_contribution"
    )
    # H County states no causes of its own: its list of difficulties concerns county
    # governments in general (codebook version 4), so it has no causes row; every other case has.
    assert _cases_with(corpus, "cause", "cause_misconceived_approach") == set()
    causes = cc.theme_matrix(
        corpus.segments, {c.id: c.family for c in corpus.codebook.codes}, "cause", CASES
    )
    with_cause = {case for case in causes.columns if (causes[case] > 0).any()}
    assert with_cause == {c.slug for c in CASES} - {"h_county"}


def test_headline_table_reads_manifests(tmp_path):
    (tmp_path / "h_county").mkdir()
    manifest = {"policy_att": {"value": 0.041, "tolerance": 1e-9}, "policy_se": {"value": 0.01}}
    (tmp_path / "h_county" / "policy_evaluation.json").write_text(json.dumps(manifest))
    spec = [cc.Headline("h_county", "policy_evaluation", "policy_att", "ATT", "policy_se", 0.04)]
    table = cc.headline_table(spec, CASES, results_dir=tmp_path)
    assert table.loc[0, "Value"] == 0.041 and table.loc[0, "Std. error"] == 0.01
    assert table.loc[0, "Planted value"] == 0.04 and table.loc[0, "Case"] == "H County"
    missing = [cc.Headline("w_town", "targeting", "targeting_x", "x")]
    with pytest.raises(DataValidationError, match=r"w_town/targeting\.json: missing"):
        cc.headline_table(missing, CASES, results_dir=tmp_path)
    wrong_key = [cc.Headline("h_county", "policy_evaluation", "nope", "x")]
    with pytest.raises(DataValidationError, match="no key 'nope'"):
        cc.headline_table(wrong_key, CASES, results_dir=tmp_path)


def test_overview_regions():
    overview = cc.case_overview(CASES).set_index("Case")
    assert overview.loc["Liupanshui", "Region"] == "West"
    assert overview.loc["A Town (Shandong)", "Region"] == "East"
    assert overview.loc["H County", "Region"] == "not stated"


def test_case_area_counties_leave_out_the_benchmark_counties():
    # data/raw/case_area_counties.csv also holds H County's benchmarks (Lankao 410225, Yishui,
    # Boxing); the timeline must show only the counties of Liupanshui and Pingliang.
    counties = public_data.load_table("case_area_counties")
    own = cc.case_area_counties(counties)
    assert set(own["prefecture_en"]) == {"Liupanshui", "Pingliang"}
    assert 410225 not in set(own["code_2020"].astype(int))
    assert len(own) == len(counties[counties["prefecture_en"].isin(["Liupanshui", "Pingliang"])])


def test_the_timeline_is_labelled_from_the_text_template():
    import matplotlib.pyplot as plt

    texts = _synthesis().render("cross_case")
    assert set(cc.TIMELINE_TEXTS) <= set(texts) and all(texts.values())
    counties = cc.case_area_counties(public_data.load_table("case_area_counties"))
    national = public_data.load_table("national_rural_poverty")
    fig = cc.timeline_figure(CASES, national, counties, texts)
    top, middle, bottom = fig.axes
    drawn = {
        top.get_title(loc="left"),
        top.get_ylabel(),
        middle.get_ylabel(),
        bottom.get_xlabel(),
        *(t.get_text() for t in top.texts),
    }
    plt.close(fig)
    assert {texts[name] for name in cc.TIMELINE_TEXTS} <= drawn
    with pytest.raises(DataValidationError, match="timeline_xlabel"):
        partial = {k: v for k, v in texts.items() if k != "timeline_xlabel"}
        cc.timeline_figure(CASES, national, counties, partial)


# --------------------------------------------------------------------------- synthesis


def _synthesis():
    from cases.pages import county_census

    corpus = qual.load_coded_corpus()
    labels = {c.id: c.label for c in corpus.codebook.codes}
    return cc.synthesis(
        CASES, corpus.segments, labels, county_census.case_area_indicators(), ["h_county"]
    )


def _segments(rows):
    return pd.DataFrame(
        [
            {"case": case, "segment_id": seg, "code": code, "coder": "consensus"}
            for case, seg, code in rows
        ]
    )


def test_lens_matrix_counts_a_segment_once_per_lens():
    settings = cc.synthesis_settings()
    lens = settings.lenses["collaborative"]
    segs = _segments(
        [
            ("w_town", "w1", lens.codes[0]),
            ("w_town", "w1", lens.codes[1]),  # same segment, same lens: counts once
            ("w_town", "w2", lens.codes[1]),
            ("pingliang", "p1", "problem_formalism"),
        ]
    )
    matrix = cc.lens_matrix(segs, CASES, settings.lenses)
    assert matrix.loc["collaborative", "w_town"] == 2
    assert matrix.loc["campaign", "pingliang"] == 1
    assert matrix.loc["collaborative"].drop("w_town").sum() == 0


def test_synthesis_settings_refuse_a_code_in_two_lenses(tmp_path):
    path = tmp_path / "cross_case.yaml"
    text = (paths.SETTINGS / "cross_case.yaml").read_text(encoding="utf-8")
    path.write_text(
        text.replace("codes: [problem_imprecise_identification,", "codes: [problem_formalism,"),
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError, match="problem_formalism"):
        cc.synthesis_settings.__wrapped__(path)


def test_every_lens_code_is_in_the_codebook():
    known = {c.id for c in qual.load_coded_corpus().codebook.codes}
    settings = cc.synthesis_settings()
    for lens in settings.lenses.values():
        assert set(lens.codes) <= known
    assert set(settings.followed.values()) <= known


def test_joint_display_places_census_beside_coded_problems():
    page = _synthesis()
    joint = page.tables["joint"].set_index(cc.synthesis_settings().columns.case)
    cols = cc.synthesis_settings().columns
    # Anonymised towns name no county; H County's row is its benchmark counties.
    assert joint.loc["A Town (Shandong)", cols.counties] == cols.none_named
    assert joint.loc["W Town (post-2020)", cols.tap] == "—"
    assert joint.loc["H County", cols.counties].endswith(cols.benchmarks)
    # Liupanshui: four county-level units, three on the national list (case_area_counties).
    assert joint.loc["Liupanshui", cols.counties] == "4 (3)"
    # Problems come from the coded corpus, with their segment counts.
    assert "Formalism (1)" in joint.loc["H County", cols.problems]
    # Every placeholder of the synthesis text resolves and every lens has a row.
    passages = page.render("cross_case")
    assert all(passages.values())
    assert len(page.tables["lenses"]) == len(cc.synthesis_settings().lenses)
    assert page.numbers["n_named_cases"] == 3


def test_the_contrast_of_causes_puts_each_case_on_one_side_at_most():
    # Reader's review: H County (no stated causes) was counted among the abstracts tracing
    # problems to the administrative tradition and among those tracing them to weak
    # safeguards. From the abstracts: Liupanshui, Pingliang and W Town give the administrative
    # tradition, A Town weak safeguards, H County neither; four abstracts recommend raising the
    # poor's own motivation (not A Town).
    page = _synthesis()
    top_down = set(page.facts["followed_top_down_case_names"])
    safeguards = set(page.facts["followed_weak_safeguards_case_names"])
    assert top_down == {"Liupanshui", "W Town (Pingliang)", "W Town (post-2020)"}
    assert safeguards == {"A Town (Shandong)"}
    assert not top_down & safeguards and "H County" not in safeguards
    assert page.facts["no_cause_case_names"] == ["H County"]
    assert page.numbers["followed_motivation_recommended_cases"] == 4
    text = " ".join(page.render("cross_case")["argument_disagree"].split())
    assert "The coding gives no cause to H County, which therefore sits on neither side" in text
    remedy = " ".join(page.render("cross_case")["argument_remedy"].split())
    assert "four of the five abstracts recommend stimulating" in remedy
