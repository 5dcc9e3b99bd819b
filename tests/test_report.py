"""Provenance labels on every exhibit."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from cases.present import report


def _texts(fig):
    return [t.get_text() for t in fig.texts]


def test_simulated_figure_is_stamped():
    fig, _ = plt.subplots()
    report.label_figure(fig, simulated=True)
    assert any(t.startswith("Simulated data") for t in _texts(fig))
    assert "SIMULATED DATA" in _texts(fig)
    plt.close(fig)


def test_real_figure_names_its_source():
    fig, _ = plt.subplots()
    report.label_figure(fig, simulated=False, source="NBS release, 2020")
    assert "Source: NBS release, 2020" in _texts(fig)
    assert not any("Simulated" in t for t in _texts(fig))
    plt.close(fig)


def test_real_exhibit_without_source_is_refused():
    with pytest.raises(ValueError, match="needs source"):
        report.provenance(simulated=False, source=None)
    with pytest.raises(ValueError, match="needs source"):
        report.table(pd.DataFrame({"a": [1]}), simulated=False)


def test_table_html_carries_label_and_caption():
    html = report.table(
        pd.DataFrame({"x": [1.23456]}), simulated=True, caption="Incomes <yuan>"
    ).to_html()
    assert "Simulated data" in html
    assert "Incomes &lt;yuan&gt;" in html
    assert "1.23" in html and "1.2346" not in html  # rounded for display only


def test_glue_keys_must_be_snake_case():
    assert report.check_glue_key("liupanshui_att_income") == "liupanshui_att_income"
    for bad in ("Liupanshui", "att-income", "1st", "a b"):
        with pytest.raises(ValueError, match="snake_case"):
            report.check_glue_key(bad)


def _cells(html: str) -> list[str]:
    import html as html_lib
    import re

    return [html_lib.unescape(c).strip() for c in re.findall(r">([^<>]*)</td>", html)]


def test_table_cells_never_print_a_negative_zero_and_p_values_are_house_style():
    df = pd.DataFrame(
        {
            "Estimate": [-0.0004, -1.25, 0.0],
            "p": [0.0, 0.0213, 0.00049],
            "p (BH)": [0.3, 0.0009, None],
            "pop": [-0.00001, 2.0, 3.0],
        }
    )
    cells = _cells(report.table(df, simulated=True, precision=3).to_html())
    assert not [c for c in cells if c.startswith(("-0", "−0"))]
    assert "0.000" in cells and "−1.250" in cells
    assert cells.count("< 0.001") == 3  # p = 0 (a wild bootstrap's), 0.00049 and 0.0009
    assert "0.021" in cells and "0.300" in cells
    # The interactive table: numbers stay numbers, but no negative zero and the same p-values.
    shown = report.interactive_table(df, simulated=True, precision=2)
    assert "-0.0" not in shown.to_html() and "−0.0" not in shown.to_html()
    assert "&lt; 0.001" in shown.to_html() or "< 0.001" in shown.to_html()
    assert shown.frame.equals(df)  # the data are unchanged


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.0, "< 0.001"), (0.00099, "< 0.001"), (0.001, "0.001"), (0.0213, "0.021")],
)
def test_table_pvalue(value, shown):
    from cases.present.text import table_number, table_pvalue

    assert table_pvalue(value) == shown
    assert table_number(-0.0004, 3) == "0.000"


# --------------------------------------------------------------------------- table layout


def _right_aligned_columns(html: str) -> set[int]:
    """Column positions whose data cells the table's CSS sets flush right."""
    import re

    found = set()
    for rule in re.findall(r"([^{}]*)\{\s*text-align: right;\s*\}", html):
        found |= {int(n) for n in re.findall(r"td\.col(\d+)", rule)}
    return found


def test_numbers_flush_right_text_flush_left():
    df = pd.DataFrame(
        {
            "County": ["六盘水市", "Village 01"],
            "Households": [1200, 35],
            "Share": [0.25, 0.5],
            "p": ["< 0.001", "0.200"],  # already printed: still numbers to the reader
            "Note": ["text", "1 of 2 rows"],
        }
    )
    html = report.table(df, simulated=True, index=False).to_html()
    assert _right_aligned_columns(html) == {1, 2, 3}
    assert report.numeric_columns(df) == ["Households", "Share", "p"]


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (
            ["Estimate", "95 % CI high", "95 % CI low", "p"],
            ["Estimate", "95 % CI low", "95 % CI high", "p"],
        ),
        (["term", "ci_high", "ci_low"], ["term", "ci_low", "ci_high"]),
        (["Upper", "Lower", "n"], ["Lower", "Upper", "n"]),
        (["low", "high"], ["low", "high"]),  # already in order
        (["Lowland share", "Highland share"], ["Lowland share", "Highland share"]),  # no pair
        (["ci_low", "n"], ["ci_low", "n"]),  # no twin
    ],
)
def test_interval_bounds_low_before_high(columns, expected):
    assert report.interval_order(columns) == expected


def test_table_shows_interval_low_before_high_and_keeps_the_values():
    df = pd.DataFrame({"Estimate": [0.5], "95 % CI high": [0.9], "95 % CI low": [0.1]})
    shown = report.table(df, simulated=True, index=False)
    assert list(shown.frame.columns) == ["Estimate", "95 % CI low", "95 % CI high"]
    cells = _cells(shown.to_html())
    assert cells == ["0.50", "0.10", "0.90"]


def test_table_ids_are_unique_per_content_and_stable():
    import re

    a = report.table(pd.DataFrame({"x": [1.0]}), simulated=True, caption="A").to_html()
    b = report.table(pd.DataFrame({"x": [2.0]}), simulated=True, caption="A").to_html()
    again = report.table(pd.DataFrame({"x": [1.0]}), simulated=True, caption="A").to_html()
    ids = [re.search(r'<table id="([^"]+)"', h).group(1) for h in (a, b, again)]
    assert ids[0] != ids[1] and ids[0] == ids[2]


# --------------------------------------------------------------------------- LaTeX for the PDF


def test_latex_table_escapes_keeps_chinese_and_uses_booktabs():
    df = pd.DataFrame(
        {
            "County": ["六盘水市", "A & B_1"],
            "Estimate": [-2.5, 0.1234],
            "p": [0.0004, 0.2],
            "Share (%)": [12.0, 50.0],
        }
    )
    latex = report.table(df, simulated=True, caption="Rates, 50 % or more", index=False).to_latex()
    lines = latex.splitlines()
    assert lines[0] == report.LATEX_MARKER
    assert r"\begin{longtable}{lrrr}" in latex  # text left, numbers right
    assert latex.count(r"\toprule") == 2 and r"\midrule" in latex and r"\bottomrule" in latex
    assert r"\caption{Rates, 50 \% or more}" in latex
    assert r"六盘水市 & −2.50 & < 0.001 & 12.00 \\" in latex
    assert r"A \& B\_1 & 0.12 & 0.200 & 50.00 \\" in latex
    assert r"Share (\%)" in latex
    assert r"\color[HTML]{B00020}" in latex and "Simulated data" in latex


def test_latex_of_a_long_interactive_table_says_how_many_rows_it_shows():
    df = pd.DataFrame({"Village": [f"Village {i:02d}" for i in range(1, 61)], "n": range(60)})
    latex = report.interactive_table(df, simulated=False, source="test rows").to_latex()
    import re

    rows = [line for line in latex.splitlines() if re.match(r"Village \d\d & ", line)]
    assert len(rows) == report.LATEX_MAX_ROWS == 40
    assert rows[-1].startswith("Village 40 ")
    assert "The first 40 of 60 rows" in latex and r"\color[HTML]{444444}" in latex


def _widths(latex: str) -> list[float]:
    import re

    return [float(w) for w in re.findall(r"p\{([0-9.]+)\\linewidth\}", latex)]


def test_long_text_columns_wrap_in_the_pdf():
    df = pd.DataFrame({"Claim": ["a sentence long enough to need more than one line " * 2]})
    latex = report.table(df, simulated=True, index=False).to_latex()
    assert r">{\raggedright\arraybackslash}p{" in latex and len(_widths(latex)) == 1
    assert _widths(latex)[0] <= 1 - report._COLUMN_GAP / 100


def test_wide_numeric_tables_fit_the_line_with_wrapped_headers():
    # Like the census pages' tables: ten columns of numbers under long headers.
    columns = [f"{year} pct. {area}" for year in (2010, 2020) for area in ("China", "province")]
    df = pd.DataFrame(
        [["Zhuanglang", "Tap water in dwelling"] + [74.1, 60.9, 68.4, 93.4] * 2],
        columns=["County", "Indicator"] + columns + [c + " (again)" for c in columns],
    )
    latex = report.table(df, simulated=False, source="census", index=False).to_latex()
    size = latex.splitlines()[1].split("\\setlength")[0].removeprefix("\\begingroup")
    widths = _widths(latex)
    assert len(widths) == 10 and latex.count(r"{\raggedleft\arraybackslash}") == 8
    gaps = report._COLUMN_GAP * 10 / report.LATEX_LINE_CHARS[size]
    assert sum(widths) + gaps <= 1.0 + 1e-9
    # A number never breaks: each numeric column is at least as wide as "74.10".
    assert min(widths[2:]) * report.LATEX_LINE_CHARS[size] >= len("74.10")


def test_narrow_tables_keep_natural_columns():
    df = pd.DataFrame({"Table": ["households", "panel"], "Rows": [2000, 10000]})
    latex = report.table(df, simulated=True, index=False, precision=0).to_latex()
    assert r"\begin{longtable}{lr}" in latex and r"\small" in latex


def test_latex_escape():
    assert report.latex_escape(r"50 % of $x_1$ & {a} #2 ~ ^ \ 贫困") == (
        r"50 \% of \$x\_1\$ \& \{a\} \#2 \textasciitilde{} \textasciicircum{} "
        r"\textbackslash{} 贫困"
    )


# --------------------------------------------------------------------------- itables notices


ITABLES_NOTICES = ("init_notebook_mode", "trusted", "🔒", "ⓘ", "Loading ITables")


def test_interactive_table_html_has_no_itables_notices():
    df = pd.DataFrame({"Village": [f"Village {i:02d}" for i in range(1, 21)], "n": range(20)})
    html = report.interactive_table(df, simulated=True, caption="Twenty villages").to_html()
    assert not [notice for notice in ITABLES_NOTICES if notice in html]
    assert "Village 20" in html and "Twenty villages" in html  # the table itself stays
    # Numbers flush right (column 1), text wrapping in its column (no "nowrap").
    assert '"columnDefs": [{"className": "dt-right", "targets": [1]}]' in html
    assert "nowrap" not in html


def test_interactive_table_shows_missing_text_as_a_dash():
    df = pd.DataFrame({"Unit": pd.array(["A", None] * 10, dtype="string"), "n": [1.5, None] * 10})
    html = report.interactive_table(df, simulated=True).to_html()
    assert "&lt;NA&gt;" not in html and "<NA>" not in html and "—" in html


def test_itables_init_cell_loses_its_notice_but_keeps_the_library():
    from itables import options
    from itables.javascript import generate_init_offline_itables_html

    raw = generate_init_offline_itables_html(options.dt_bundle)
    assert "is your notebook <it>trusted</it>" in raw  # what itables prints by itself
    cleaned = report._without_itables_notices(raw)
    assert not [notice for notice in ITABLES_NOTICES if notice in cleaned]
    assert "<script" in cleaned and len(cleaned) > 0.9 * len(raw)  # the bundle is still there


def test_identifier_axis_names_are_not_shown():
    records = pd.DataFrame(
        {"actor": ["Township"] * 6 + ["Village"] * 6, "kind_label": ["cash", "goods"] * 6}
    )
    html = report.crosstab(records, "actor", "kind_label", simulated=True, k=1).to_html()
    assert "kind_label" not in html and ">actor<" not in html
    assert "Township" in html and "goods" in html
    pivot = pd.DataFrame({"x": [1.0]}, index=pd.Index(["a"], name="household_id"))
    pivot.columns.name = "kind_label"
    shown = report.table(pivot, simulated=True)
    assert "household_id" not in shown.to_html() and "kind_label" not in shown.to_html()
    assert "household" not in shown.to_latex()
    human = pd.DataFrame({"x": [1.0]}, index=pd.Index(["a"], name="Village"))
    assert ">Village<" in report.table(human, simulated=True).to_html()


def test_latex_cells_keep_links_and_comparisons():
    link = '<a href="http://www.71.cn/2020/0326/a_b.shtml?x=1&amp;y=50%">71.cn</a>'
    assert (
        report.latex_cell(link) == r"\href{http://www.71.cn/2020/0326/a_b.shtml?x=1\&y=50\%}{71.cn}"
    )
    assert report.latex_cell("p < 0.05 and n > 30") == "p < 0.05 and n > 30"
    assert report.latex_cell("<b>六盘水</b> &amp; co_1") == r"六盘水 \& co\_1"
    df = pd.DataFrame({"Where read": [link], "Value": ["1,200"]})
    latex = report.table(df, simulated=False, source="web", index=False).to_latex()
    assert r"\href{http://www.71.cn/" in latex and "<a" not in latex
