"""The text renderer: named formats, passages as blocks, and errors that name the template
and line."""

from __future__ import annotations

import pytest

from cases.present.page import Page
from cases.present.text import FORMATS, TextTemplateError, pvalue, render_blocks


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("pct1", 0.1234, "12.3 %"),
        ("pct0", 0.995, "100 %"),
        ("points", -0.052, "−5.2 points"),
        ("int", 1234567, "1,234,567"),
        ("yuan", 2800.4, "2,800 yuan"),
        ("dec2", -0.004, "0.00"),  # never "-0.00"
        ("dec3", -0.1234, "−0.123"),
        ("signed", 0.1234, "+0.12"),
        ("signed", -0.05, "−0.05"),
        ("signed", 0.0001, "0.00"),
        ("dec1", float("nan"), "n/a"),
        ("words", 10, "ten"),
        ("words", 0, "zero"),
        ("words", 13, "13"),
        ("words", 2.5, "2.5"),
        # signed1/signed3: the sign always shown, a typographic minus, never a negative zero
        ("signed1", -0.04, "0.0"),
        ("signed1", 6.34, "+6.3"),
        ("signed1", -21.46, "−21.5"),
        ("signed3", -0.0004, "0.000"),
        ("signed3", 0.0312, "+0.031"),
        ("signed3", -0.0094, "−0.009"),
        # ordinal: ranks in words up to twelfth, then digits with the English suffix
        ("ordinal", 1, "first"),
        ("ordinal", 3.0, "third"),
        ("ordinal", 12, "twelfth"),
        ("ordinal", 13, "13th"),
        ("ordinal", 21, "21st"),
        ("ordinal", 102, "102nd"),
        ("ordinal", 111, "111th"),
        ("ordinal", 0, "0"),
        ("ordinal", 2.5, "2.5"),
    ],
)
def test_named_formats(name, value, text):
    assert FORMATS[name](value) == text


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.0004, "p < 0.001"), (0.001, "p = 0.001"), (0.0234, "p = 0.02"), (0.345, "p = 0.34")],
)
def test_p_values_are_printed_as_the_book_prints_them(p, text):
    assert pvalue(p) == text


def _template(tmp_path, body: str) -> None:
    (tmp_path / "demo.md").write_text(body, encoding="utf-8")


def test_blocks_render_with_conditions_and_formats(tmp_path):
    _template(
        tmp_path,
        "{% block gap %}\nThe gap is {{ gap | points }}"
        "{% if significant %}, and the interval excludes zero{% endif %}.\n{% endblock %}\n"
        "{% block n %}{{ n | int }} counties{% endblock %}\n",
    )
    page = Page(numbers={"gap": 0.0523, "n": 832}, facts={"significant": True})
    assert page.render("demo", tmp_path) == {
        "gap": "The gap is 5.2 points, and the interval excludes zero.",
        "n": "832 counties",
    }


def test_an_unknown_placeholder_names_the_template_and_line(tmp_path):
    _template(tmp_path, "{% block a %}\nfine\n{{ missing_value | pct1 }}\n{% endblock %}\n")
    with pytest.raises(TextTemplateError, match=r"demo\.md, line 3 \(block 'a'\).*missing_value"):
        render_blocks("demo", {}, tmp_path)


def test_an_unknown_format_and_a_missing_template_are_errors(tmp_path):
    _template(tmp_path, "{% block a %}{{ x | percent }}{% endblock %}")
    with pytest.raises(TextTemplateError, match=r"demo\.md, line 1.*percent"):
        render_blocks("demo", {"x": 1}, tmp_path)
    with pytest.raises(TextTemplateError, match=r"nothing\.md: text template not found"):
        render_blocks("nothing", {}, tmp_path)
