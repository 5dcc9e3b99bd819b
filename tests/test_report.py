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
