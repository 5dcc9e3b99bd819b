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
