"""Tests for cases.qual: codebook, coded segments, matrices, agreement, and the shipped corpus."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cases import paths
from cases.errors import DataValidationError, ParameterError
from cases.qual import (
    CASE_SLUGS,
    QUAL,
    SEGMENT_COLUMNS,
    cases_with_code,
    code_cooccurrence,
    code_matrix,
    cohens_kappa,
    intercoder_agreement,
    load_codebook,
    load_coded_corpus,
    load_segments,
    profile_agreement,
    seeds_dir,
    sentence_spans,
    shared_ngrams,
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
    with pytest.raises(DataValidationError, match=r"field codes\.5\.exclude: Field required"):
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
    # One coding pass so far, by coder A; the independent second pass is described in
    # data/qual/CODING.md.
    assert [c.id for c in corpus.codebook.coders] == ["A"]
    assert set(corpus.segments["coder"]) == {"A"}
    assert "published abstracts only" in corpus.codebook.coders[0].description
    coding = (QUAL / "CODING.md").read_text(encoding="utf-8")
    assert "Coder A" in coding and "second, independent pass" in coding


def test_case_profiles_agree_with_the_coded_corpus(corpus):
    # For every case and every code family: each code of the case profile (data/cases) appears
    # among the codes of that case's coded segments, and vice versa.
    from cases import registry

    agreement = profile_agreement(registry.list_cases(), corpus)
    assert set(agreement["case"]) == set(CASE_SLUGS)
    wrong = agreement[~agreement["agree"]]
    assert wrong.empty, wrong.to_string()


def test_profile_agreement_reports_a_missing_code(corpus):
    from cases import registry

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
    assert len(cases_with_code(seg, "recommendation_stimulate_motivation")) == 5


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
    remedy = len(cases_with_code(seg, "recommendation_stimulate_motivation"))
    assert ("all five propose" in entry) == (remedy == 5)


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
