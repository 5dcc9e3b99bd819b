"""Statistical disclosure control: small-cell suppression and the identifier scan of the book.

Suppression is checked on a worked cross-tab (primary cell, complements, and that no hidden
cell can be solved for from the printed margins) and as a property over random count tables.
The identifier scan is checked on planted text and end to end: a book whose notebook prints a
PRC ID number, a mobile number and a deny-listed name fails to build, naming the page.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cases.present import report
from cases.present.disclosure import (
    SuppressionInputError,
    load_deny_list,
    recoverable_cells,
    scan_build,
    scan_text,
    suppress_small_cells,
)

# GB 11643-1999, the standard's own worked example of a citizen identity number (check
# character X); 13912345678 has the mainland mobile pattern 1[3-9] + 9 digits.
EXAMPLE_ID = "11010519491231002X"
EXAMPLE_MOBILE = "13912345678"


def _with_margins(interior: pd.DataFrame) -> pd.DataFrame:
    table = interior.copy()
    table["Total"] = table.sum(axis=1)
    table.loc["Total"] = table.sum(axis=0)
    return table


def _lines_hidden(mask: np.ndarray) -> list[int]:
    """Suppressed cells per row and per column (each row/column ends in its total)."""
    return [int(r.sum()) for r in mask] + [int(c.sum()) for c in mask.T]


# --------------------------------------------------------------------------- suppression


def test_crosstab_with_one_small_cell_hides_it_and_its_complements():
    interior = pd.DataFrame(
        [[12, 3, 20], [15, 9, 22], [8, 7, 30]],
        index=["poor household", "village cadre", "township official"],
        columns=["dissatisfied", "neutral", "satisfied"],
    )
    table = _with_margins(interior)
    result = suppress_small_cells(table, k=5, margins=True)
    mask = result.mask.to_numpy()
    # Primary: the only cell with 0 < n < 5.
    assert result.primary.to_numpy().sum() == 1
    assert result.primary.loc["poor household", "neutral"]
    assert result.table.loc["poor household", "neutral"] == "…"
    # Complements: 8 (smallest other cell of the primary's row is 12; of its column 7 or 9).
    assert all(n == 0 or n >= 2 for n in _lines_hidden(mask))
    # Solving the printed table: each hidden cell still has a free direction.
    assert not recoverable_cells(mask, margins=True).any()
    # Two worked alternatives the solver could reach for a 3x3 table with margins: the
    # hidden cells form a rectangle (2x2), so every hidden value can shift by +d/-d.
    assert mask.sum() == 4
    rows, cols = np.nonzero(mask)
    assert len(set(rows)) == 2 and len(set(cols)) == 2
    # Visible cells are the original numbers.
    visible = ~mask
    assert (result.table.to_numpy()[visible] == table.to_numpy()[visible]).all()


def test_recovery_by_subtraction_is_what_the_complements_prevent():
    interior = pd.DataFrame([[12, 3, 20], [15, 9, 22]], columns=list("abc"))
    table = _with_margins(interior)
    primary_only = suppress_small_cells(table, k=5, margins=True).primary.to_numpy()
    # With only the primary cell hidden, its row total minus the others gives it back.
    assert recoverable_cells(primary_only, margins=True)[0, 1]
    assert table.iloc[0, 3] - table.iloc[0, 0] - table.iloc[0, 2] == 3


def test_counts_argument_suppresses_means_from_few_respondents():
    means = pd.DataFrame({"x": [3.2, 4.1], "y": [2.5, 3.9]}, index=["r1", "r2"])
    counts = pd.DataFrame({"x": [40, 2], "y": [35, 30]}, index=["r1", "r2"])
    result = suppress_small_cells(means, counts, k=5)
    assert result.table.loc["r2", "x"] == "…"
    assert result.primary.to_numpy().sum() == 1
    assert all(n == 0 or n >= 2 for n in _lines_hidden(result.mask.to_numpy()))


def test_k_is_configurable_and_zero_cells_are_not_primary():
    table = pd.DataFrame([[0, 7, 12], [9, 6, 14]], columns=list("abc"))
    assert not suppress_small_cells(table, k=5).mask.to_numpy().any()
    hidden = suppress_small_cells(table, k=8).primary
    assert hidden.loc[0, "b"] and hidden.loc[1, "b"] and not hidden.loc[0, "a"]


@pytest.mark.parametrize(
    ("table", "counts", "k", "match"),
    [
        (pd.DataFrame([[1.5, 3]]), None, 5, r"cell \(0, 0\) is 1.5"),
        (pd.DataFrame([[-1, 3]]), None, 5, r"cell \(0, 0\) is -1"),
        (pd.DataFrame([[np.nan, 3]]), None, 5, "non-negative whole numbers"),
        (pd.DataFrame([[1, 3]]), pd.DataFrame([[1, 3, 4]]), 5, "same index and columns"),
        (pd.DataFrame([["a", 3]]), None, 5, "non-numeric"),
        (pd.DataFrame([[1, 3]]), None, 0, "k must be an integer >= 1"),
    ],
    ids=["fractional-count", "negative-count", "nan-count", "shape", "text", "k-zero"],
)
def test_bad_suppression_input_is_refused(table, counts, k, match):
    with pytest.raises(SuppressionInputError, match=match):
        suppress_small_cells(table, counts, k=k)


@settings(max_examples=120, deadline=None)
@given(
    interior=st.integers(1, 5).flatmap(
        lambda m: st.integers(1, 5).flatmap(
            lambda n: arrays(np.int64, (m, n), elements=st.integers(0, 15))
        )
    ),
    k=st.integers(1, 8),
    margins=st.booleans(),
)
def test_suppression_properties_on_random_tables(interior, k, margins):
    table = pd.DataFrame(interior)
    if margins:
        table = _with_margins(table)
    result = suppress_small_cells(table, k=k, margins=margins)
    counts = table.to_numpy()
    mask = result.mask.to_numpy()
    primary = result.primary.to_numpy()
    # Every cell with 0 < n < k is hidden, and primaries are exactly those.
    assert (primary == ((counts > 0) & (counts < k))).all()
    assert mask[primary].all()
    # No row or column (of two or more cells, or any line with margins) has exactly one hidden.
    for line in list(mask) + list(mask.T):
        if len(line) >= 2 or margins:
            assert line.sum() != 1
    # No primary cell can be solved for from the published cells and totals.
    assert not (recoverable_cells(mask, margins) & primary).any()
    # Unsuppressed cells are published unchanged.
    assert (result.table.to_numpy()[~mask] == counts[~mask]).all()


def test_report_crosstab_goes_through_suppression():
    rng = np.random.default_rng(20240501)
    roles = ["poor household"] * 40 + ["village cadre"] * 30 + ["first secretary"] * 3
    answers = rng.choice(["agree", "disagree"], size=len(roles))
    df = pd.DataFrame({"role": roles, "answer": answers})
    shown = report.crosstab(df, "role", "answer", simulated=True, caption="Answers by role")
    frame = shown.frame
    assert frame.loc["first secretary", "Total"] == "…"
    # Every non-empty cell of that row has fewer than 5 respondents, so all are hidden.
    secretaries = df.loc[df.role == "first secretary", "answer"].value_counts()
    assert len(secretaries) >= 1
    for answer, n in secretaries.items():
        assert 0 < n < 5 and frame.loc["first secretary", answer] == "…"
    assert "suppressed" in shown.note and "fewer than 5" in shown.note
    assert "…" in shown.to_html()
    mask = frame.eq("…").to_numpy()
    assert all(n == 0 or n >= 2 for n in _lines_hidden(mask))


def test_report_crosstab_refuses_missing_values():
    df = pd.DataFrame({"role": ["a", None, "b"], "answer": ["x", "y", "x"]})
    with pytest.raises(ValueError, match="column 'role' has 1 missing value"):
        report.crosstab(df, "role", "answer", simulated=True)


# --------------------------------------------------------------------------- identifier scan


def test_scan_text_finds_and_masks_identifiers():
    text = f"户主 张三丰, 身份证 {EXAMPLE_ID}, 手机 +86 {EXAMPLE_MOBILE}."
    found = scan_text(text, deny_list=["张三丰"])
    kinds = [kind for kind, _, _ in found]
    assert kinds == ["deny_list", "prc_id", "mobile"]
    masked = {kind: m for kind, m, _ in found}
    assert masked["prc_id"] == "1101**********002X"
    assert EXAMPLE_ID not in " ".join(masked.values())
    assert EXAMPLE_MOBILE not in masked["mobile"] and masked["mobile"].endswith("5678")
    assert masked["deny_list"] == "张**"


@pytest.mark.parametrize(
    "text",
    [
        "11010519491231002Y",  # wrong check character
        "110105194912310021",  # wrong check digit
        "sha256: 9f86d081884c7d659a2feaa0c55ad0153912345678a",  # digits inside a hash
        "build 2139123456789",  # 13 digits: not a mobile
        "id=x13912345678",  # glued to a letter (CSS ids, base64)
        "population 1,391,234,567",  # thousands separators
    ],
)
def test_scan_text_ignores_lookalikes(text):
    assert scan_text(text) == []


def test_scan_build_reads_pages_and_downloads_but_not_images_or_js(tmp_path):
    site = tmp_path / "html"
    (site / "_static").mkdir(parents=True)
    (site / "_sources").mkdir()
    (site / "page.html").write_text(
        f"<html><script>var x='{EXAMPLE_MOBILE}'</script><p>ok</p>"
        f'<img src="data:image/png;base64,AA{EXAMPLE_MOBILE}AA"></html>',
        encoding="utf-8",
    )
    (site / "_static" / "lib.js").write_text(f"var id='{EXAMPLE_ID}';", encoding="utf-8")
    (site / "leak.html").write_text(
        f"<html>\n<td>&#49;3912345678</td>\n<td>{EXAMPLE_ID}</td></html>", encoding="utf-8"
    )
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": "x = 1",
                "outputs": [
                    {"output_type": "display_data", "data": {"image/png": f"{EXAMPLE_MOBILE}"}},
                    {"output_type": "stream", "name": "stdout", "text": "call 13812345678\n"},
                ],
            }
        ]
    }
    (site / "_sources" / "chapter.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (site / "_sources" / "table.csv").write_text("name,phone\n王五,13712345678\n", encoding="utf-8")
    deny = tmp_path / "deny-list.txt"
    deny.write_text("# informants\n王五\n\n", encoding="utf-8")
    assert load_deny_list(deny) == ["王五"]
    found = {(f.path, f.kind) for f in scan_build(site, deny)}
    assert found == {
        ("leak.html", "mobile"),
        ("leak.html", "prc_id"),
        ("_sources/chapter.ipynb", "mobile"),
        ("_sources/table.csv", "mobile"),
        ("_sources/table.csv", "deny_list"),
    }
    with pytest.raises(FileNotFoundError, match="not a folder"):
        scan_build(tmp_path / "missing")


# --------------------------------------------------------------------------- end to end


@pytest.mark.slow
@pytest.mark.xdist_group("book")
def test_real_book_has_no_identifier(full_build):
    html = full_build / "book" / "_build" / "html"
    assert (html / "index.html").is_file()
    assert scan_build(html) == []


@pytest.mark.slow
@pytest.mark.xdist_group("small")
def test_planted_identifier_fails_the_build_naming_the_page(small_built_copy, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # rich would wrap the findings at 80 columns
    root = small_built_copy
    case_file = root / "data" / "cases" / "w_town.yaml"
    text = case_file.read_text(encoding="utf-8")
    planted = f"Informant 赵六, ID {EXAMPLE_ID}, mobile {EXAMPLE_MOBILE}; how"
    assert "  research_question: >-\n    After" in text
    text = text.replace(
        "  research_question: >-\n    After", f"  research_question: >-\n    {planted} after"
    )
    case_file.write_text(text, encoding="utf-8")
    (root / "deny-list.txt").write_text("赵六\n", encoding="utf-8")
    done = run_cli(root, "build", "--jobs", "2", timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    err = done.stderr
    assert "personal identifier" in err and "do not publish" in err
    page = "cases/w_town/case_profile.html"
    assert f"{page}:" in err
    assert "PRC resident ID number 1101**********002X" in err
    assert "mobile number 1391***5678" in err
    assert "name on the deny-list 赵*" in err
    assert EXAMPLE_ID not in err and EXAMPLE_MOBILE not in err and "赵六" not in err
