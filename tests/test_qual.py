"""Tests for cases.methods.qual: codebook, coded segments, matrices, agreement, and the shipped
corpus."""

from __future__ import annotations

import hashlib
import re
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.methods.qual import (
    CASE_SLUGS,
    CONSENSUS,
    NO_CODE,
    QUAL,
    SEGMENT_COLUMNS,
    agreement_by_family,
    cases_with_code,
    code_cooccurrence,
    code_matrix,
    cohens_kappa,
    consensus_coding,
    disagreements,
    intercoder_agreement,
    krippendorff_alpha,
    load_codebook,
    load_coded_corpus,
    load_resolutions,
    load_segments,
    profile_agreement,
    seeds_dir,
    sentence_spans,
    shared_ngrams,
    to_qdc,
)

SEEDS = seeds_dir()
needs_seeds = pytest.mark.skipif(
    not all((SEEDS / f"{c}.txt").is_file() for c in CASE_SLUGS),
    reason=f"seed abstracts not found in {SEEDS} (set CASES_SEEDS)",
)


# ------------------------------------------------------------------------------------------
# Cohen's kappa
# ------------------------------------------------------------------------------------------


def test_kappa_published_example():
    # Wikipedia, "Cohen's kappa", simple worked example: two readers judge 50 grant proposals;
    # both yes 20, A yes/B no 5, A no/B yes 10, both no 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4.
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohens_kappa(a, b) == pytest.approx(0.4, abs=1e-12)


def test_kappa_three_categories_hand_computed():
    # 10 units, labels x/y/z.  Table (rows A, cols B): x: [3,1,0], y: [0,3,1], z: [1,0,1].
    pairs = (
        [("x", "x")] * 3
        + [("x", "y")]
        + [("y", "y")] * 3
        + [("y", "z")]
        + [("z", "x")]
        + [("z", "z")]
    )
    a, b = zip(*pairs, strict=True)
    p_o = Fraction(7, 10)
    # marginals A: x 4, y 4, z 2; B: x 4, y 4, z 2
    p_e = Fraction(4 * 4 + 4 * 4 + 2 * 2, 100)
    expected = float((p_o - p_e) / (1 - p_e))  # = 0.34/0.64
    assert cohens_kappa(list(a), list(b)) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=2, max_size=40))
def test_kappa_properties(pairs):
    a, b = (list(x) for x in zip(*pairs, strict=True))
    try:
        k = cohens_kappa(a, b)
    except ValueError:
        assert len(set(a) | set(b)) == 1  # undefined only when one single label is used
        return
    assert k <= 1 + 1e-12
    assert cohens_kappa(b, a) == pytest.approx(k)  # symmetric in the raters
    relabel = {"a": "q", "b": "r", "c": "s"}
    assert cohens_kappa([relabel[x] for x in a], [relabel[x] for x in b]) == pytest.approx(k)
    if a == b:
        assert k == pytest.approx(1.0)


def test_kappa_errors():
    with pytest.raises(ParameterError, match="3 labels but rater_b has 2"):
        cohens_kappa([1, 2, 3], [1, 2])
    with pytest.raises(ParameterError, match="no units"):
        cohens_kappa([], [])
    with pytest.raises(ValueError, match="undefined"):
        cohens_kappa(["x", "x"], ["x", "x"])


# ------------------------------------------------------------------------------------------
# Matrices and agreement on a hand-built example
# ------------------------------------------------------------------------------------------


def _toy() -> pd.DataFrame:
    rows = [
        # case, segment, code, coder
        ("c1", "s1", "p", "A"),
        ("c1", "s1", "q", "A"),
        ("c1", "s2", "p", "A"),
        ("c2", "s3", "q", "A"),
        ("c2", "s3", "r", "A"),
        ("c2", "s3", "p", "A"),
        ("c1", "s1", "p", "B"),
        ("c1", "s2", "p", "B"),
        ("c1", "s2", "q", "B"),
    ]
    return pd.DataFrame(rows, columns=["case", "segment_id", "code", "coder"])


def test_code_matrix_counts_segments():
    m = code_matrix(_toy(), coder="A", codes=["p", "q", "r", "z"])
    assert m.loc["c1"].tolist() == [2, 1, 0, 0]
    assert m.loc["c2"].tolist() == [1, 1, 1, 0]
    with pytest.raises(ParameterError, match="coder 'C' has no segments"):
        code_matrix(_toy(), coder="C")


def test_cooccurrence_counts():
    c = code_cooccurrence(_toy(), coder="A")
    assert c.loc["p", "p"] == 3
    assert c.loc["p", "q"] == 2  # s1 and s3
    assert c.loc["q", "r"] == 1  # s3
    assert (c.to_numpy() == c.to_numpy().T).all()


def test_intercoder_agreement_toy():
    ag = intercoder_agreement(_toy()).set_index("code")
    # shared segments s1, s2; codes used there: p, q.  Decisions: 2 segments x 2 codes.
    # p: A {s1,s2}, B {s1,s2} -> agree twice; q: A {s1}, B {s2} -> disagree twice.
    assert ag.loc["p", ["both", "only_a", "only_b", "neither"]].tolist() == [2, 0, 0, 0]
    assert ag.loc["q", ["both", "only_a", "only_b", "neither"]].tolist() == [0, 1, 1, 0]
    assert np.isnan(ag.loc["p", "kappa"])  # always applied by both: kappa undefined
    assert ag.loc["ALL", "n_decisions"] == 4
    assert ag.loc["ALL", "percent_agreement"] == 0.5
    # pooled table: yes/yes 2, yes/no 1, no/yes 1, no/no 0 -> p_o = .5, p_e = .75^2 + .25^2
    assert ag.loc["ALL", "kappa"] == pytest.approx((0.5 - 0.625) / (1 - 0.625))


# ------------------------------------------------------------------------------------------
# Loader validation: one test per bad-input kind
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def codebook():
    return load_codebook()


def _good_rows() -> list[dict]:
    base = {
        "case": "w_town",
        "source": "w_town.txt",
        "segment_id": "t1",
        "sentence": "2",
        "start": "455",
        "end": "722",
        "coder": "A",
        "paraphrase": "A test paraphrase.",
    }
    return [dict(base, code="problem_formalism"), dict(base, code="actor_government")]


def _write_rows(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "segments.csv"
    pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS)).to_csv(path, index=False)
    return path


def test_loader_accepts_good_rows(tmp_path, codebook):
    seg = load_segments(_write_rows(tmp_path, _good_rows()), codebook)
    assert seg["start"].dtype.kind == "i"
    assert len(seg) == 2


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "problem_aliens", "row 2, column 'code': unknown code 'problem_aliens'"),
        ("case", "atlantis", "row 2, column 'case': unknown case 'atlantis'"),
        ("coder", "Z", "row 2, column 'coder': unknown coder 'Z'"),
        ("start", "x1", "row 2, column 'start': 'x1' is not a whole number"),
        ("end", "9999", "row 2, column 'end': 9999 is beyond the 3402 characters of w_town.txt"),
        ("source", "h_county.txt", "row 2, column 'source': 'h_county.txt'"),
        ("paraphrase", " ", "row 2, column 'paraphrase': empty"),
    ],
)
def test_loader_names_row_and_column(tmp_path, codebook, field, value, message):
    rows = _good_rows()
    rows[1][field] = value
    # keep the segment's location consistent so only the planted problem is reported (except
    # for fields that are part of the location, where the inconsistency is reported as well)
    with pytest.raises(DataValidationError) as exc:
        load_segments(_write_rows(tmp_path, rows), codebook)
    assert any(p.startswith(message) for p in exc.value.problems), exc.value.problems


def test_loader_start_not_before_end(tmp_path, codebook):
    rows = _good_rows()
    for r in rows:
        r["start"], r["end"] = "722", "455"
    with pytest.raises(DataValidationError, match="row 1, columns 'start'/'end': start 722"):
        load_segments(_write_rows(tmp_path, rows), codebook)


def test_loader_inconsistent_segment_and_duplicates(tmp_path, codebook):
    rows = _good_rows()
    rows[1]["start"] = "456"
    rows.append(dict(rows[0]))
    with pytest.raises(DataValidationError) as exc:
        load_segments(_write_rows(tmp_path, rows), codebook)
    msgs = exc.value.problems
    assert any(m.startswith("rows 1, 2, 3, column 'segment_id': segment 't1'") for m in msgs)
    assert any(
        m.startswith("row 3: segment 't1' has code 'problem_formalism' from coder 'A' twice")
        for m in msgs
    )


def test_loader_wrong_columns(tmp_path, codebook):
    path = tmp_path / "segments.csv"
    pd.DataFrame(_good_rows()).drop(columns="coder").assign(text="x").to_csv(path, index=False)
    with pytest.raises(DataValidationError) as exc:
        load_segments(path, codebook)
    assert "column 'coder': missing" in exc.value.problems
    assert "column 'text': unexpected" in exc.value.problems


def test_codebook_unknown_family_names_field(tmp_path):
    doc = yaml.safe_load((QUAL / "codebook.yaml").read_text(encoding="utf-8"))
    doc["codes"][3]["family"] = "villains"
    path = tmp_path / "cb.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(
        DataValidationError,
        match=r"codes\.3 \(theory_needs_prosperity\): unknown family 'villains'",
    ):
        load_codebook(path)


def test_codebook_code_without_rules_names_field(tmp_path):
    doc = yaml.safe_load((QUAL / "codebook.yaml").read_text(encoding="utf-8"))
    del doc["codes"][5]["exclude"]
    path = tmp_path / "cb.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"codes\[5\]\.exclude: Field required"):
        load_codebook(path)


def test_codebook_is_one_compact_hierarchy(codebook):
    # One codebook of about 40 codes in families; ids name their family; every code has a
    # definition, inclusion and exclusion rules and an invented example.
    assert len(codebook.codes) <= 42
    families = {f.id for f in codebook.families}
    assert {"actor", "mechanism", "problem", "cause", "recommendation", "theory", "method"} <= (
        families
    )
    for code in codebook.codes:
        assert code.id.startswith(code.family + "_")
        assert code.include and code.exclude and code.example and code.label
    assert {f.registry_field for f in codebook.families} >= {"problems", "causes", "mechanisms"}


# ------------------------------------------------------------------------------------------
# Sentence splitting and paraphrase overlap
# ------------------------------------------------------------------------------------------


def test_sentence_spans_rule():
    text = "First task.It is hard. The No.1 document after2020.the end? “Quoted” start."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "First task.",
        "It is hard.",
        "The No.1 document after2020.the end?",
        "“Quoted” start.",
    ]


def test_shared_ngrams():
    src = "the poor households lack endogenous motivation to escape poverty"
    assert shared_ngrams("Poor households lack endogenous motivation, they say.", src) == [
        "poor households lack endogenous motivation"
    ]
    assert shared_ngrams("Poor households lack endogenous drive.", src) == []  # 4 words: fine


# ------------------------------------------------------------------------------------------
# The shipped coded corpus
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus():
    return load_coded_corpus()


def test_corpus_covers_all_cases_and_families(corpus):
    seg = corpus.segments
    a = seg[seg["coder"] == "A"]
    assert set(a["case"]) == set(CASE_SLUGS)
    family = a["code"].map(corpus.codebook.family_of)
    for case in CASE_SLUGS:
        families = set(family[a["case"] == case])
        assert {"actor", "problem", "cause", "recommendation", "method", "theory"} <= families, case
    # every code of the codebook is used at least once
    assert set(a["code"]) == set(corpus.codebook.code_ids)


def test_corpus_coders_disclosed(corpus):
    # Two independent passes (coders A and B) and their adjudicated consensus, each described in
    # the codebook and in data/qual/CODING.md.
    assert [c.id for c in corpus.codebook.coders] == ["A", "B", CONSENSUS]
    assert set(corpus.segments["coder"]) == {"A", "B", CONSENSUS}
    for coder in corpus.codebook.coders[:2]:
        assert "published abstracts only" in coder.description
    assert "never saw coder A's codes" in corpus.codebook.coders[1].description
    coding = (QUAL / "CODING.md").read_text(encoding="utf-8")
    assert "Coder A" in coding and "Coder B" in coding and "adjudicat" in coding
    assert "second, independent pass" in coding


#: Segments added in the version-4 revision (A Town's rural-revitalisation remedy, Pingliang's
#: description of itself as remote and backward), coded blind by a later coder-B session.
ADDED_IN_REVISION = {"sat_27", "plg_22"}


def test_second_coder_coded_every_segment(corpus):
    seg = corpus.segments
    ids = {c: set(seg.loc[seg["coder"] == c, "segment_id"]) for c in ("A", "B", CONSENSUS)}
    assert ids["A"] == ids[CONSENSUS] == ids["B"]
    assert len(ids["A"]) == 93 and ADDED_IN_REVISION <= ids["B"]
    coding = (QUAL / "CODING.md").read_text(encoding="utf-8")
    for seg_id in ADDED_IN_REVISION:  # the later blind coding is disclosed
        assert seg_id in coding
    assert "coded a second time, blind" in coding


def test_disagreement_table_lists_every_disagreement(corpus):
    # data/qual/disagreements.csv holds exactly the decisions on which A and B differ, before
    # resolution, each with a resolution and a reason.
    # Rows resolved "withdrawn" are later revisions of codes both coders applied, not
    # disagreements; they follow the disagreements.
    table = load_resolutions()
    revised = table["resolution"] == "withdrawn"
    found = disagreements(corpus.segments, corpus.codebook)
    pd.testing.assert_frame_equal(
        table.loc[~revised, list(found.columns)].reset_index(drop=True), found
    )
    assert set(table["resolution"]) <= {"kept", "dropped", "code added", "withdrawn"}
    assert revised.to_numpy()[revised.to_numpy().argmax() :].all()


def test_h_county_states_no_causes_of_its_own(corpus):
    # The H County abstract lists difficulties of county governments in general (sentence 11)
    # before it introduces its case, and announces but does not state its analysis of causes:
    # the consensus coding gives H County no cause, so it sits on neither side of the
    # cross-case contrast of causes. Its identification remark is not coded for the county.
    seg = corpus.segments
    cons = seg[(seg["coder"] == CONSENSUS) & (seg["case"] == "h_county")]
    assert not cons["code"].str.startswith("cause_").any()
    general = cons["segment_id"].isin(["hcy_04", "hcy_05", "hcy_06", "hcy_07"])
    assert set(cons.loc[general, "code"]) == {NO_CODE}
    assert "h_county" not in cases_with_code(seg, "cause_weak_safeguards")
    assert "h_county" not in cases_with_code(seg, "cause_top_down_administration")


def test_consensus_rows_follow_from_the_resolutions(corpus):
    seg = corpus.segments
    independent = seg[seg["coder"] != CONSENSUS]
    built = consensus_coding(independent, load_resolutions(), corpus.codebook)
    shipped = seg[seg["coder"] == CONSENSUS].reset_index(drop=True)
    pd.testing.assert_frame_equal(shipped, built.astype(shipped.dtypes.to_dict()))


def test_analyses_read_the_consensus_coding():
    from cases.methods import qual

    assert qual.ANALYSIS_CODER == CONSENSUS


def test_shipped_qdc_is_the_current_export(corpus):
    shipped = (QUAL / "codebook.qdc").read_text(encoding="utf-8")
    assert shipped == to_qdc(corpus.codebook, corpus.segments, coder=CONSENSUS), (
        "data/qual/codebook.qdc is stale: run cases.methods.qual.write_qdc() and update_hashes()"
    )
    root = check_qdc(shipped)
    codes = [c for f in root.find(f"{_QDC}Codes") for c in f.findall(f"{_QDC}Code")]
    assert len(codes) == len(corpus.codebook.codes)
    assert len(root.find(f"{_QDC}Sets")) == len(CASE_SLUGS)


def test_case_profiles_agree_with_the_coded_corpus(corpus):
    # For every case and every code family: each code of the case profile (data/cases) appears
    # among the codes of that case's coded segments, and vice versa.
    from cases.data import registry

    agreement = profile_agreement(registry.list_cases(), corpus)
    assert set(agreement["case"]) == set(CASE_SLUGS)
    wrong = agreement[~agreement["agree"]]
    assert wrong.empty, wrong.to_string()


def test_profile_agreement_reports_a_missing_code(corpus):
    from cases.data import registry

    cases = registry.list_cases()
    seg = corpus.segments[corpus.segments["code"] != "problem_formalism"]
    broken = type(corpus)(codebook=corpus.codebook, segments=seg)
    agreement = profile_agreement(cases, broken).set_index(["case", "code"])
    row = agreement.loc[("h_county", "problem_formalism")]
    assert bool(row["in_profile"]) and not bool(row["in_corpus"]) and not bool(row["agree"])


def test_endogenous_motivation_counted_once_per_case(corpus):
    # One code for the problem, one for the remedy: the counts the book states follow from them.
    seg = corpus.segments
    assert cases_with_code(seg, "problem_endogenous_motivation") == [
        "h_county",
        "pingliang",
        "w_town",
    ]
    # A Town proposes platforms (for training among others) but says nothing of the poor's own
    # drive: four abstracts recommend stimulating it.
    assert cases_with_code(seg, "recommendation_stimulate_motivation") == [
        "h_county",
        "liupanshui",
        "pingliang",
        "w_town",
    ]


@needs_seeds
def test_every_offset_slice_exists_in_seed_text(corpus):
    seg = corpus.segments.drop_duplicates("segment_id")
    for case, grp in seg.groupby("case"):
        text = (SEEDS / f"{case}.txt").read_text(encoding="utf-8")
        assert (grp["end"] <= len(text)).all(), case
        for rec in grp.itertuples():
            piece = text[rec.start : rec.end]
            assert piece.strip() == piece and len(piece) > 0, rec.segment_id
            a, b = sentence_spans(text)[rec.sentence - 1]
            assert a <= rec.start < b, rec.segment_id


@needs_seeds
def test_seed_checksums_match_codebook(corpus):
    for case, src in corpus.codebook.sources.items():
        raw = (SEEDS / src.file).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == src.sha256, case
        assert len(raw.decode("utf-8")) == src.chars, case
    load_coded_corpus(check_sources=True)  # sentence numbers agree with sentence_spans


@needs_seeds
def test_paraphrases_never_repeat_five_words_of_the_abstract(corpus):
    seg = corpus.segments.drop_duplicates("segment_id")
    offenders = {}
    for rec in seg.itertuples():
        text = (SEEDS / rec.source).read_text(encoding="utf-8")
        shared = shared_ngrams(rec.paraphrase, text, n=5)
        if shared:
            offenders[rec.segment_id] = shared
    assert offenders == {}


@needs_seeds
def test_csv_contains_no_abstract_sentences():
    raw = (QUAL / "abstract_segments.csv").read_text(encoding="utf-8")
    for case in CASE_SLUGS:
        text = (SEEDS / f"{case}.txt").read_text(encoding="utf-8")
        for a, b in sentence_spans(text):
            sentence = text[a:b].strip(" |")
            if len(sentence.split()) >= 5:
                assert sentence not in raw, sentence[:60]


def test_matrix_on_corpus(corpus):
    m = code_matrix(corpus.segments, codes=corpus.codebook.code_ids)
    assert list(m.index) == sorted(CASE_SLUGS)
    assert m.shape[1] == len(corpus.codebook.codes)
    # endogenous motivation is a problem in w_town and pingliang; not coded for liupanshui
    assert m.loc["w_town", "problem_endogenous_motivation"] >= 1
    assert m.loc["pingliang", "problem_endogenous_motivation"] >= 1
    assert m.loc["liupanshui", "problem_endogenous_motivation"] == 0
    co = code_cooccurrence(corpus.segments)
    assert co.loc["problem_weak_social_organisations", "actor_social_organisation"] >= 2


def test_glossary_counts_of_endogenous_motivation_follow_the_coding(corpus):
    # book/glossary.md states how many theses name the problem and the remedy; the statement
    # must match the coded corpus (glue cannot reach the glossary page).
    import re

    numbers = {"three": 3, "four": 4, "five": 5, "two": 2, "one": 1, "all five": 5}
    text = (paths.ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    entry = text[text.index("Endogenous motivation (") :].split("\n\n")[0]
    entry = " ".join(entry.split())
    found = re.search(r"a finding in (\w+) of the five theses", entry)
    assert found, entry
    seg = corpus.segments
    assert numbers[found.group(1)] == len(cases_with_code(seg, "problem_endogenous_motivation"))
    remedy = re.search(r"(\w+) of the five propose", entry)
    assert remedy, entry
    assert numbers[remedy.group(1)] == len(
        cases_with_code(seg, "recommendation_stimulate_motivation")
    )


def test_codebook_rules_refer_only_to_existing_codes(codebook):
    # Inclusion and exclusion rules send the coder to other codes by id: those must exist.
    import re

    families = "|".join(f.id for f in codebook.families)
    pattern = re.compile(rf"\b(?:{families})_[a-z_]+[a-z]")
    known = set(codebook.code_ids)
    for code in codebook.codes:
        for text in (code.definition, code.include, code.exclude):
            for ref in pattern.findall(text):
                assert ref in known, (code.id, ref)


# ------------------------------------------------------------------------------------------
# Krippendorff's alpha, agreement per family, disagreements and the consensus coding
# ------------------------------------------------------------------------------------------


def test_alpha_package_documented_example():
    # The docstring of krippendorff.alpha (PyPI package "krippendorff", 0.9.0; source
    # https://github.com/pln-fing-udelar/fast-krippendorff, src/krippendorff/krippendorff.py,
    # "Examples", repeated in its tests/test_krippendorff.py): three coders, fifteen units,
    # np.nan where a coder gave no value; printed alpha 0.691358 (nominal), 0.810845 (interval).
    n = np.nan
    data = [
        [n, n, n, n, n, 3, 4, 1, 2, 1, 1, 3, 3, n, 3],
        [1, n, 2, 1, 3, 3, 4, 3, n, n, n, n, n, n, n],
        [n, n, 2, 1, 3, 4, 4, n, 2, 1, 1, 3, 3, n, 4],
    ]
    assert round(krippendorff_alpha(data), 6) == 0.691358
    assert round(krippendorff_alpha(data, "interval"), 6) == 0.810845


def test_alpha_krippendorffs_own_worked_example():
    # Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Departmental papers
    # (ASC) 43, University of Pennsylvania, https://repository.upenn.edu/asc_papers/43 (an
    # earlier version, dated 2007-06-01, at https://studylib.net/doc/5840696): four observers,
    # twelve units, values 1-5, missing values; nominal alpha = .743.  The paper's own page could
    # not be read in full here: the data are as documented for the R package
    # (https://rdrr.io/github/jucor/krippendorff/man/mwebreliability5.html, "4 observers,
    # 12 units") and the value .743 is the one quoted with these data by users of the
    # krippendorff package; the package's own tests give .815 (ordinal) for the same matrix.
    n = np.nan
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    assert round(krippendorff_alpha(data), 3) == 0.743
    assert round(krippendorff_alpha(data, "ordinal"), 3) == 0.815


def test_alpha_two_coders_binary_hand_computed():
    # The kappa example above as reliability data: yes/yes 20, yes/no 5, no/yes 10, no/no 15.
    # Coincidences: o(y,y) = 40, o(n,n) = 30, o(y,n) = o(n,y) = 15; n = 100, n_y = 55, n_n = 45.
    # alpha = 1 - (n - 1) o(y,n) / (n_y n_n) = 1 - 99 * 15 / (55 * 45) = 0.4.
    a = [1] * 25 + [0] * 25
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert krippendorff_alpha([a, b]) == pytest.approx(0.4, abs=1e-12)
    assert np.isnan(krippendorff_alpha([[1, 1, 1], [1, 1, 1]]))  # one value: undefined
    assert krippendorff_alpha([[1, 0, 1], [1, 0, 1]]) == pytest.approx(1.0)


def _two_coder_toy() -> pd.DataFrame:
    base = {"case": "w_town", "source": "w_town.txt", "sentence": 2, "paraphrase": "P."}
    rows = [
        # segment, start, code, coder
        ("t1", 10, "problem_formalism", "A"),
        ("t1", 10, "actor_government", "A"),
        ("t2", 30, "problem_limited_effect", "A"),
        ("t3", 50, "cause_weak_safeguards", "A"),
        ("t4", 70, "actor_poor_households", "A"),
        ("t1", 10, "problem_formalism", "B"),
        ("t1", 10, "actor_government", "B"),
        ("t2", 30, "problem_formalism", "B"),
        ("t3", 50, NO_CODE, "B"),  # read by B, no code applies
        ("t4", 70, "actor_poor_households", "B"),
        ("t4", 70, "actor_government", "B"),
    ]
    return pd.DataFrame(
        [dict(base, segment_id=s, start=st, end=st + 15, code=c, coder=k) for s, st, c, k in rows],
        columns=list(SEGMENT_COLUMNS),
    )


def test_agreement_by_family_counts_alpha_and_interval(codebook):
    seg = _two_coder_toy()
    ag = agreement_by_family(seg, codebook, n_boot=200, seed=1).set_index("family")
    # 4 shared segments (t3 counts: B read it and applied nothing).
    assert (ag["n_segments"] == 4).all()
    # problem family: codes used problem_formalism, problem_limited_effect -> 8 decisions;
    # formalism: t1 both, t2 only B; limited effect: t2 only A.
    prob = ag.loc["problem"]
    assert (prob["n_codes"], prob["n_decisions"]) == (2, 8)
    assert (prob["both"], prob["only_a"], prob["only_b"], prob["neither"]) == (1, 1, 1, 5)
    assert prob["percent_agreement"] == 0.75
    # cause: t3 only A -> alpha from 4 decisions [1,0,0,0] vs [0,0,0,0]
    cause = ag.loc["cause"]
    assert cause["alpha"] == pytest.approx(
        krippendorff_alpha([[0, 0, 1, 0], [0, 0, 0, 0]]), nan_ok=True
    )
    # pooled row equals the pooled per-code agreement
    pooled = intercoder_agreement(seg).set_index("code").loc["ALL"]
    assert ag.loc["all", "alpha"] == pytest.approx(pooled["alpha"])
    assert ag.loc["all", "kappa"] == pytest.approx(pooled["kappa"])
    assert ag.loc["all", "alpha_low"] <= ag.loc["all", "alpha"] <= ag.loc["all", "alpha_high"]
    # seeded: the same seed gives the same interval
    again = agreement_by_family(seg, codebook, n_boot=200, seed=1).set_index("family")
    assert again.loc["all", "alpha_low"] == ag.loc["all", "alpha_low"]
    assert list(ag.index[:-1]) == [
        f.id for f in codebook.families if f.id in {"actor", "problem", "cause"}
    ]
    with pytest.raises(ParameterError, match="n_boot"):
        agreement_by_family(seg, codebook, n_boot=0)


def test_disagreements_and_consensus(codebook, tmp_path):
    seg = _two_coder_toy()
    found = disagreements(seg, codebook)
    assert list(zip(found["segment_id"], found["code"], strict=True)) == [
        ("t2", "problem_formalism"),
        ("t2", "problem_limited_effect"),
        ("t3", "cause_weak_safeguards"),
        ("t4", "actor_government"),
    ]
    assert found.loc[0, "coder_a"] == "not applied" and found.loc[0, "coder_b"] == "applied"
    resolved = found.assign(
        resolution=["code added", "kept", "dropped", "dropped"], reason="Rule says so."
    )
    path = tmp_path / "disagreements.csv"
    resolved.to_csv(path, index=False)
    resolutions = load_resolutions(path)
    consensus = consensus_coding(seg, resolutions, codebook)
    assert set(consensus["coder"]) == {CONSENSUS}
    codes = consensus.groupby("segment_id")["code"].apply(list).to_dict()
    assert codes == {
        "t1": ["actor_government", "problem_formalism"],
        "t2": ["problem_formalism", "problem_limited_effect"],
        "t3": [NO_CODE],
        "t4": ["actor_poor_households"],
    }
    # every disagreement must be resolved, and only disagreements
    with pytest.raises(DataValidationError, match="not resolved"):
        consensus_coding(seg, resolutions.iloc[1:], codebook)
    extra = pd.concat([resolutions, resolutions.iloc[[0]].assign(segment_id="t1")])
    with pytest.raises(DataValidationError, match="the coders agree"):
        consensus_coding(seg, extra, codebook)
    # A later rule may withdraw a code both coders applied (t1 problem_formalism); the
    # consensus then leaves it out, and only such codes may be withdrawn.
    withdraw = {
        "case": "w_town",
        "segment_id": "t1",
        "family": "problem",
        "code": "problem_formalism",
        "coder_a": "applied",
        "coder_b": "applied",
        "resolution": "withdrawn",
        "reason": "A later rule.",
    }
    revised = pd.concat([resolutions, pd.DataFrame([withdraw])], ignore_index=True)
    revised.to_csv(path, index=False)
    again = consensus_coding(seg, load_resolutions(path), codebook)
    assert again.groupby("segment_id")["code"].apply(list).to_dict()["t1"] == ["actor_government"]
    wrong = pd.concat(
        [resolutions, pd.DataFrame([dict(withdraw, segment_id="t4", code="actor_government")])],
        ignore_index=True,
    )
    with pytest.raises(DataValidationError, match="not applied by both coders"):
        consensus_coding(seg, wrong, codebook)
    # A segment only coder A coded keeps coder A's codes.
    extra_a = pd.concat(
        [seg, seg.iloc[[0]].assign(segment_id="t5", start=90, end=105)], ignore_index=True
    )
    single = consensus_coding(extra_a, resolutions, codebook)
    assert list(single.loc[single["segment_id"] == "t5", "code"]) == ["problem_formalism"]


def test_resolutions_must_fit_the_disagreement(tmp_path):
    row = {
        "case": "w_town",
        "segment_id": "t2",
        "family": "problem",
        "code": "problem_formalism",
        "coder_a": "not applied",
        "coder_b": "applied",
        "resolution": "kept",
        "reason": "",
    }
    path = tmp_path / "d.csv"
    pd.DataFrame([row, dict(row, code="problem_limited_effect", resolution="maybe")]).to_csv(
        path, index=False
    )
    with pytest.raises(DataValidationError) as exc:
        load_resolutions(path)
    problems = exc.value.problems
    assert "row 1: 'kept' but coder A did not apply 'problem_formalism'" in problems
    assert any(p.startswith("row 1, column 'reason': empty") for p in problems)
    assert any(p.startswith("row 2, column 'resolution': 'maybe'") for p in problems)
    pd.DataFrame([dict(row, resolution="withdrawn", reason="Later rule.")]).to_csv(
        path, index=False
    )
    with pytest.raises(DataValidationError, match="'withdrawn' needs 'problem_formalism' applied"):
        load_resolutions(path)


def test_uncoded_marker_must_stand_alone(tmp_path, codebook):
    rows = _good_rows()
    rows[1]["code"] = NO_CODE
    with pytest.raises(DataValidationError, match="has code 'none' from coder 'A' beside"):
        load_segments(_write_rows(tmp_path, rows), codebook)
    assert len(load_segments(_write_rows(tmp_path, rows[1:]), codebook)) == 1


# ------------------------------------------------------------------------------------------
# REFI-QDA codebook export (.qdc)
# ------------------------------------------------------------------------------------------

# The REFI-QDA Codebook schema (Codebook.xsd, QDA-XML codebook 1.0, www.qdasoftware.org) as
# located: its text is carried by QualCoder, https://github.com/ccbogel/QualCoder, file
# qualcoder/xsd.py (commit df469fb86bf5130673db5ab2df99d7523ff98bca), variable xsd_codebook;
# other exporters point at http://schema.qdasoftware.org/versions/Codebook/v1.0/Codebook.xsd.
# lxml is not installed in the project's environment, so the test below checks the rules of
# that schema one by one: root CodeBook in namespace urn:QDA-XML:codebook:1.0 with a required
# Codes and an optional Sets (in that order) and an optional origin attribute; Codes holds one
# or more Code; a Code has the required attributes guid (GUID pattern), name and isCodable
# (xsd:boolean), an optional color (#RRGGBB or #RGB), an optional Description first and then
# nested Code elements only; Sets holds one or more Set (guid, name, optional Description,
# then MemberCode elements with a guid).
_QDC = "{urn:QDA-XML:codebook:1.0}"
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_RGB = re.compile(r"#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})")


def _check_qdc_code(el, guids: list[str]) -> None:
    assert el.tag == f"{_QDC}Code"
    assert set(el.attrib) <= {"guid", "name", "isCodable", "color"}
    assert _GUID.fullmatch(el.attrib["guid"]) and el.attrib["name"]
    assert el.attrib["isCodable"] in {"true", "false", "1", "0"}
    if "color" in el.attrib:
        assert _RGB.fullmatch(el.attrib["color"])
    guids.append(el.attrib["guid"])
    children = list(el)
    if children and children[0].tag == f"{_QDC}Description":
        children = children[1:]
    for child in children:
        _check_qdc_code(child, guids)


def check_qdc(text: str) -> ET.Element:
    """Check ``text`` against the REFI-QDA Codebook schema's rules; return the root."""
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == f"{_QDC}CodeBook"
    assert set(root.attrib) <= {"origin"}
    parts = [child.tag for child in root]
    assert parts in ([f"{_QDC}Codes"], [f"{_QDC}Codes", f"{_QDC}Sets"])
    guids: list[str] = []
    codes = root.find(f"{_QDC}Codes")
    assert len(codes) >= 1
    for el in codes:
        _check_qdc_code(el, guids)
    assert len(set(guids)) == len(guids)
    sets = root.find(f"{_QDC}Sets")
    if sets is not None:
        assert len(sets) >= 1
        for s in sets:
            assert s.tag == f"{_QDC}Set" and set(s.attrib) == {"guid", "name"}
            members = list(s)
            if members and members[0].tag == f"{_QDC}Description":
                members = members[1:]
            for m in members:
                assert m.tag == f"{_QDC}MemberCode" and m.attrib["guid"] in guids
    return root


def test_qdc_export_follows_the_codebook_schema(codebook):
    seg = _two_coder_toy()
    text = to_qdc(codebook, seg, coder="A")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = check_qdc(text)
    families = root.find(f"{_QDC}Codes")
    assert [f.attrib["name"] for f in families] == [f.label for f in codebook.families]
    assert all(f.attrib["isCodable"] == "false" for f in families)
    codes = [c for f in families for c in f.findall(f"{_QDC}Code")]
    assert [c.attrib["name"] for c in codes] == [
        c.label for f in codebook.families for c in codebook.codes if c.family == f.id
    ]
    formalism = next(c for c in codes if c.attrib["name"] == "Formalism")
    desc = formalism.find(f"{_QDC}Description").text
    assert desc.startswith("Code id: problem_formalism")
    assert "w_town.txt 10-25 (t1)" in desc
    (case_set,) = root.find(f"{_QDC}Sets")
    assert case_set.attrib["name"] == "Case: w_town"
    # stable GUIDs: a second export is identical
    assert to_qdc(codebook, seg, coder="A") == text
    # the codebook alone (no segments) is valid too
    check_qdc(to_qdc(codebook))


@needs_seeds
def test_resolution_reasons_never_repeat_five_words_of_the_abstract():
    table = load_resolutions()
    offenders = {}
    for rec in table.itertuples():
        text = (SEEDS / f"{rec.case}.txt").read_text(encoding="utf-8")
        shared = shared_ngrams(rec.reason, text, n=5)
        if shared:
            offenders[(rec.segment_id, rec.code)] = shared
    assert offenders == {}
