"""Chinese text in figures renders with real glyphs, not missing-glyph boxes."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from fontTools.ttLib import TTCollection

from cases.present import fonts, report

# Place names and policy terms the book prints in characters (glossary, figures).
CHINESE_LABELS = ["六盘水", "平凉", "精准扶贫", "甘肃省", "贵州", "三变改革", "返贫"]


def _glyph_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [
        str(w.message)
        for w in caught
        if "missing from font" in str(w.message) or "Glyph" in str(w.message)
    ]


def _draw_with_labels() -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.bar(range(len(CHINESE_LABELS)), range(1, len(CHINESE_LABELS) + 1))
        ax.set_xticks(range(len(CHINESE_LABELS)), CHINESE_LABELS)
        ax.set_title("Liupanshui 六盘水 and Pingliang 平凉")
        ax.set_ylabel("贫困人口 (million people)")
        fig.canvas.draw()
        plt.close(fig)
    return _glyph_warnings(caught)


def test_theme_renders_chinese_labels_without_missing_glyphs():
    with matplotlib.rc_context():
        report.set_theme()
        assert _draw_with_labels() == []


def test_without_the_cjk_font_the_same_figure_reports_missing_glyphs():
    # Control: the check above can fail. DejaVu Sans alone has no CJK ideographs.
    with matplotlib.rc_context():
        report.set_theme()
        matplotlib.rcParams["font.family"] = ["DejaVu Sans"]
        problems = _draw_with_labels()
    assert problems and any("missing from font" in p for p in problems)


def test_theme_keeps_the_latin_font_first_and_falls_back_to_cjk():
    with matplotlib.rc_context():
        report.set_theme()
        sans = matplotlib.rcParams["font.sans-serif"]
        assert sans.index(fonts.CJK_FAMILY) == 1
        assert matplotlib.rcParams["font.family"] == ["sans-serif", fonts.CJK_FAMILY]


def test_font_file_covers_every_character_the_book_uses():
    # Independent of matplotlib: read the simplified-Chinese face's character map directly.
    collection = TTCollection(str(fonts.cjk_font_file()))
    faces = {face["name"].getDebugName(1): face for face in collection.fonts}
    cmap = faces[fonts.CJK_FAMILY].getBestCmap()
    for char in "".join(CHINESE_LABELS):
        assert ord(char) in cmap, char


def test_missing_font_file_is_a_clear_error(tmp_path):
    with pytest.raises(fonts.FontNotFoundError, match="not found"):
        fonts.register_cjk_font(tmp_path / "nope.ttc")
