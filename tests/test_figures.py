"""The overlap test: every figure of the book, rendered from small builds, is readable.

For each figure the pages draw (page builders called with small sizes, or the figure helpers
with the data the book uses), the rendered text boxes (matplotlib's
``Text.get_window_extent`` and ``Legend.get_window_extent``) are checked:

- no two text boxes overlap (titles, axis labels, tick labels, legends, annotations, the
  source and stamp lines; the diagonal "SIMULATED DATA" watermark is meant to lie under the
  data and is left out);
- no legend lies over an axes' plotting area (legends go outside, chosen by the helper);
- nothing falls outside the figure canvas;
- every text is at least :data:`MIN_PT` points when the saved figure is shown at the book's
  column width (:data:`COLUMN_PX` CSS pixels of 1/96 inch);
- images are saved at twice the screen density.

The checker is tested on planted figures that break each rule, so the test can fail.
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text

from cases.present import layout, report

#: The width of the book's text column in CSS pixels (sphinx-book-theme, desktop).
COLUMN_PX = 700
#: The smallest readable text at column width, in points.
MIN_PT = 8.0
#: Overlaps smaller than this (pixels at the figure's own dpi of 100) are anti-aliasing slack.
SLACK_PX = 1.0


# ------------------------------------------------------------------------------ the checker


@dataclass(frozen=True)
class Box:
    name: str
    x0: float
    y0: float
    x1: float
    y1: float
    size_pt: float | None

    def overlaps(self, other: Box, slack: float = SLACK_PX) -> bool:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return w > slack and h > slack


def _shown(text: Text) -> bool:
    return bool(text.get_visible() and text.get_text().strip() and text.get_gid() != "watermark")


def _axis_texts(ax: mpl.axes.Axes) -> Iterator[tuple[str, Text]]:
    yield "title", ax.title
    yield "title", ax._left_title
    yield "title", ax._right_title
    # An axes drawn without its axes (``set_axis_off``) draws no tick or axis label.
    for axis_name, axis in (("x", ax.xaxis), ("y", ax.yaxis)) if ax.axison else ():
        yield f"{axis_name}label", axis.label
        yield f"{axis_name}offset", axis.offsetText
        # Only the ticks inside the view limits are drawn.
        for tick in axis._update_ticks():
            yield f"{axis_name}tick", tick.label1
            yield f"{axis_name}tick", tick.label2
    for text in ax.texts:
        yield "annotation", text


def text_boxes(fig: Figure) -> tuple[list[Box], list[Box], list[Box]]:
    """Every drawn text box of ``fig`` (legends as one box each), the legend boxes, and the
    axes' plotting areas, in display pixels after a draw."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes: list[Box] = []
    legends: list[Box] = []
    areas: list[Box] = []

    seen: set[int] = set()

    def add(kind: str, text: Text) -> None:
        if id(text) in seen:
            return
        seen.add(id(text))
        if _shown(text):
            bb = text.get_window_extent(renderer)
            label = f"{kind}: {text.get_text()[:40]!r}"
            boxes.append(Box(label, bb.x0, bb.y0, bb.x1, bb.y1, text.get_fontsize()))

    def add_legend(legend: Legend | None) -> None:
        if legend is None or not legend.get_visible():
            return
        bb = legend.get_window_extent(renderer)
        sizes = [t.get_fontsize() for t in legend.get_texts() if _shown(t)]
        if _shown(legend.get_title()):
            sizes.append(legend.get_title().get_fontsize())
        first = next((t.get_text() for t in legend.get_texts()), "")
        box = Box(f"legend: {first[:30]!r}", bb.x0, bb.y0, bb.x1, bb.y1, min(sizes, default=None))
        boxes.append(box)
        legends.append(box)

    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for kind, text in _axis_texts(ax):
            add(kind, text)
        # The axes' legend and any legend re-added as an artist (a second legend).
        for child in ax.get_children():
            if isinstance(child, Legend):
                add_legend(child)
        if ax.axison or ax.collections or ax.patches or ax.lines:
            bb = ax.bbox
            areas.append(Box(f"axes {ax.get_label() or id(ax)}", bb.x0, bb.y0, bb.x1, bb.y1, None))
    for text in fig.texts:
        add("figure text", text)
    for attr in ("_suptitle", "_supxlabel", "_supylabel"):
        text = getattr(fig, attr, None)
        if text is not None:
            add(attr.strip("_"), text)
    for legend in fig.legends:
        add_legend(legend)
    return boxes, legends, areas


def saved_width_in(fig: Figure) -> float:
    """The width in inches of the image as the notebook saves it (``bbox_inches='tight'``,
    0.1 inch padding)."""
    renderer = fig.canvas.get_renderer()
    return fig.get_tightbbox(renderer).width + 0.2


def display_scale(fig: Figure) -> float:
    """Points on screen per point in the figure when the saved PNG (``2 × figure.dpi`` pixels
    per inch) is shown with ``max-width: 100 %`` in a column of :data:`COLUMN_PX` CSS pixels
    (96 per inch): ``min(COLUMN_PX, 2 · dpi · width) / (96 · width)``."""
    width_in = saved_width_in(fig)
    # The book lays the image out at its pixel width, shrunk to fit the column.
    shown_px = min(COLUMN_PX, 2 * fig.dpi * width_in)
    return shown_px / (96.0 * width_in)


def problems(fig: Figure) -> list[str]:
    """What makes ``fig`` unreadable: overlapping text boxes, legends over plotting areas,
    text outside the canvas, text under :data:`MIN_PT` at column width."""
    boxes, legends, areas = text_boxes(fig)
    found: list[str] = []
    for a, b in itertools.combinations(boxes, 2):
        if a.overlaps(b):
            found.append(f"overlap: {a.name} / {b.name}")
    for legend in legends:
        for area in areas:
            if legend.overlaps(area):
                found.append(f"legend over data: {legend.name} on {area.name}")
    width, height = fig.bbox.width, fig.bbox.height
    for box in boxes:
        if box.x0 < -SLACK_PX or box.y0 < -SLACK_PX or box.x1 > width + SLACK_PX:
            found.append(f"outside the canvas: {box.name}")
        elif box.y1 > height + SLACK_PX:
            found.append(f"outside the canvas: {box.name}")
    scale = display_scale(fig)
    for box in boxes:
        if box.size_pt is not None and box.size_pt * scale < MIN_PT - 1e-9:
            found.append(f"too small: {box.name} at {box.size_pt * scale:.1f} pt")
    return found


# ------------------------------------------------------------------- the checker on plants


@pytest.fixture(autouse=True)
def _theme_and_close():
    report.set_theme()
    yield
    plt.close("all")


def test_checker_finds_a_planted_overlap():
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    ax.plot([0, 1], [0, 1])
    ax.set_title("A title")
    ax.text(0.5, 1.0, "a note on the title", transform=ax.transAxes, ha="center", va="bottom")
    found = problems(fig)
    assert any(p.startswith("overlap:") and "title" in p and "note" in p for p in found), found


def test_checker_finds_a_legend_over_the_data_and_over_the_title():
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    ax.plot([0, 1], [0, 1], label="a line")
    ax.set_title("Title", loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, 1.08))
    found = problems(fig)
    assert any(p.startswith("legend over data") for p in found), found
    assert any(p.startswith("overlap:") and "legend" in p and "title" in p for p in found), found


def test_checker_finds_text_off_the_canvas_and_small_text():
    fig, ax = plt.subplots(figsize=(10.0, 4.0))
    ax.plot([0, 1], [0, 1])
    fig.text(1.02, 0.5, "beyond the edge")
    ax.set_xlabel("small print", fontsize=8)
    found = problems(fig)
    assert any(p.startswith("outside the canvas") for p in found), found
    # 8 pt on a figure about 10 inches wide shown 700 px wide is about 5.8 pt.
    assert any(p.startswith("too small") and "small print" in p for p in found), found


def test_checker_passes_a_clean_figure():
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    ax.plot([0, 1, 2], [0, 1, 4], label="a line")
    ax.set_title("A clean figure", loc="left")
    ax.set_xlabel("x (units)")
    ax.set_ylabel("y (units)")
    layout.legend_outside(ax)
    report.label_figure(fig, simulated=True)
    assert problems(fig) == []


def test_overlapping_tick_labels_are_found():
    fig, ax = plt.subplots(figsize=(4.0, 3.0))
    ax.bar([f"a rather long category name {i}" for i in range(6)], range(6))
    assert any("xtick" in p for p in problems(fig))


def test_theme_saves_png_at_twice_the_density():
    from IPython.core.formatters import PNGFormatter  # noqa: F401  (IPython is installed)

    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    ax.plot([0, 1], [0, 1])
    from IPython.core.pylabtools import print_figure

    png = print_figure(fig, fmt="retina")
    import io

    from PIL import Image

    width = Image.open(io.BytesIO(png)).size[0]
    # 7 inches at 2 x 100 dpi, give or take the tight bounding box.
    assert 2 * 7.0 * fig.dpi * 0.9 < width < 2 * 7.0 * fig.dpi * 1.1
    assert report.FIGURE_FORMAT == "retina"


# ------------------------------------------------------------------------- the gallery


def _stamped(figures: dict[str, Figure]) -> dict[str, Figure]:
    """Stamp the figures a page returns unstamped, as their notebooks do (simulated data)."""
    for fig in figures.values():
        if not any(t.get_gid() == "provenance" for t in fig.texts):
            report.label_figure(fig, simulated=True)
    return figures


def _quiet(build: Callable[[], dict[str, Figure]]) -> dict[str, Figure]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _stamped(build())


def _context_figures() -> dict[str, Figure]:
    from cases.pages import context

    out: dict[str, Figure] = {}
    for slug in context.CASE_AREAS:
        page = context.build(slug)
        out.update({f"area_context/{slug}/{k}": f for k, f in page.figures.items()})
    page = context.build_national()
    out.update({f"national_context/{k}": f for k, f in page.figures.items()})
    return out


def _census_figures() -> dict[str, Figure]:
    from cases.pages import county_census

    page = county_census.build()
    return {f"county_census/{k}": f for k, f in page.figures.items()}


def _cross_case_figures() -> dict[str, Figure]:
    from cases.data import public_data, registry
    from cases.methods import qual
    from cases.pages import cross_case as cc

    cases = registry.list_cases()
    corpus = qual.load_coded_corpus()
    theme_of = {c.id: c.family for c in corpus.codebook.codes}
    labels = {c.id: c.label for c in corpus.codebook.codes}
    out: dict[str, Figure] = {}
    for theme in cc.THEMES:
        matrix = cc.theme_matrix(corpus.segments, theme_of, theme, cases)
        out[f"cross_case/{theme}"] = report.heatmap(
            cc.labelled(matrix, cases, labels),
            title=f"{theme.title()} named in each abstract (segments)",
            simulated=False,
            source="thesis abstracts, coded for this compendium (consensus coding of two coders)",
            annotate=True,
        )
    national = public_data.load_table("national_rural_poverty")
    counties = cc.case_area_counties(public_data.load_table("case_area_counties"))
    texts = report_texts()
    fig = cc.timeline_figure(cases, national, counties, texts)
    report.label_figure(
        fig,
        simulated=False,
        source=public_data.source_line("national_rural_poverty")
        + " Exit years: "
        + public_data.source_line("case_area_counties"),
    )
    out["cross_case/timeline"] = fig
    return out


def report_texts() -> dict[str, str]:
    from cases.present.text import render_blocks

    return render_blocks("cross_case", _cross_context())


@functools.cache
def _cross_context() -> dict[str, object]:
    from cases.data import registry
    from cases.methods import qual
    from cases.pages import context, county_census
    from cases.pages import cross_case as cc

    cases = registry.list_cases()
    corpus = qual.load_coded_corpus()
    labels = {c.id: c.label for c in corpus.codebook.codes}
    bench = [s for s, a in context.area_settings().cases.items() if a.scope == "benchmarks"]
    page = cc.synthesis(cases, corpus.segments, labels, county_census.case_area_indicators(), bench)
    return page.context()


def _simulated_page_figures() -> dict[str, Figure]:
    from cases.pages import (
        participation,
        policy_evaluation,
        survey_analysis,
        targeting,
    )
    from cases.simulate import synth

    out: dict[str, Figure] = {}
    for case in ("h_county", "shandong_a_town"):
        data = synth.generate(case, seed=3, n=1200)
        page = survey_analysis.build(case, data)
        out.update({f"survey_analysis/{case}/{k}": f for k, f in page.figures.items()})
    data = synth.generate("h_county", seed=3, n=900)
    page = policy_evaluation.build(data, "h_county")
    out.update({f"policy_evaluation/h_county/{k}": f for k, f in page.figures.items()})
    page = targeting.build(data, "h_county", bootstrap_reps=999, seed=1)
    out.update({f"targeting/h_county/{k}": f for k, f in page.figures.items()})
    # Two outcomes, one of them a probability: the event-study rows and their units.
    page = policy_evaluation.build(synth.generate("liupanshui", seed=3, n=900), "liupanshui")
    out.update({f"policy_evaluation/liupanshui/{k}": f for k, f in page.figures.items()})
    for case in ("pingliang", "shandong_a_town"):
        data = synth.generate(case, seed=8, n=1500)
        page = participation.build(case, data)
        out.update({f"participation/{case}/{k}": f for k, f in page.figures.items()})
    return out


def _profile_figures() -> dict[str, Figure]:
    from cases.pages import poverty_profile
    from cases.simulate import synth

    out: dict[str, Figure] = {}
    for case in ("h_county", "shandong_a_town"):
        data = synth.generate(case, seed=3, n=1200)
        page = poverty_profile.build(data, case, seed=3)
        out.update({f"poverty_profile/{case}/{k}": f for k, f in page.figures.items()})
    return out


def _design_figures() -> dict[str, Figure]:
    from cases.pages import design

    page = design.build("h_county", seed=7, sims=24, curve_sims=12, stress_sims=12)
    return {f"design/h_county/{k}": f for k, f in page.figures.items()}


def _spec_curve_figures() -> dict[str, Figure]:
    from cases.run import sweep

    rng = np.random.default_rng(1)
    rows = []
    for estimator, group, sample in itertools.product(
        ("TWFE", "Callaway-Sant'Anna", "Sun-Abraham"),
        ("never", "notyet"),
        ("all households", "poorest 40 % before adoption"),
    ):
        est = 0.04 + rng.normal(0, 0.02)
        rows.append(
            {
                "estimator": estimator,
                "control": group,
                "sample": sample,
                "estimate": est,
                "ci_low": est - 0.05,
                "ci_high": est + 0.05,
                "chapter": estimator == "TWFE" and group == "never" and sample == "all households",
            }
        )
    fig = sweep.spec_curve_figure(
        pd.DataFrame(rows),
        ["control", "sample", "estimator"],
        title="12 estimates of the effect on log income",
        reference=0.04,
        reference_label="planted average effect (truth in the simulated data)",
        highlight="chapter",
        highlight_label="the chapter's own specification",
    )
    report.label_figure(fig, simulated=True, source="specification curve of a test grid")
    return {"specification_curve/curve": fig}


GALLERY = {
    "context": _context_figures,
    "census": _census_figures,
    "cross_case": _cross_case_figures,
    "simulated": _simulated_page_figures,
    "profile": _profile_figures,
    "design": _design_figures,
    "spec_curve": _spec_curve_figures,
}


@functools.cache
def gallery(part: str) -> dict[str, Figure]:
    """The figures of one part of the book (built once per test session)."""
    report.set_theme()
    figures = _quiet(GALLERY[part])
    assert figures, part
    return figures


@pytest.mark.parametrize("part", sorted(GALLERY))
def test_every_figure_is_readable(part: str):
    report.set_theme()
    failures = {name: problems(fig) for name, fig in gallery(part).items()}
    failures = {name: found for name, found in failures.items() if found}
    assert not failures, "\n".join(f"{n}: {'; '.join(f)}" for n, f in failures.items())


# ------------------------------------------------------------------- the layout helpers


def test_robust_limit_is_the_outer_fence_of_a_box_plot():
    # Sorted 1, 2, 3, 4, 5, 1000: Q1 = 2.25, Q3 = 4.75 (linear interpolation), IQR = 2.5,
    # fence = 4.75 + 3 * 2.5 = 12.25: the largest value inside it is 5.
    assert layout.robust_limit([1, 2, 3, 4, 5, 1000, float("nan")]) == 5.0
    assert layout.robust_limit([1, 2, 3]) == 3.0
    with pytest.raises(ValueError, match="no finite"):
        layout.robust_limit([float("nan")])


def test_axis_label_states_the_unit_once():
    label = layout.axis_label(
        "Migrant worker returned (probability)", "probability per household-year"
    )
    assert label == "Migrant worker returned\n(probability per household-year)"
    assert layout.axis_label("Log income per capita", "log points") == (
        "Log income per capita\n(log points)"
    )
    assert layout.axis_label("Share (%)", "") == "Share (%)"


def test_nice_size_values_are_round_and_inside_the_range():
    shown = layout.nice_size_values([3, 17, 41])
    assert 2 <= len(shown) <= 3 and all(3 <= v <= 41 and v % 5 == 0 for v in shown)
    assert layout.nice_size_values([7, 7]) == [7.0]
    assert layout.nice_size_values([]) == []


def test_reference_line_labels_never_collide():
    fig, ax = plt.subplots(figsize=(6.0, 3.5))
    ax.bar(range(10), np.linspace(1, 10, 10))
    ax.set_xlim(-1, 10)
    positions = [2.0, 2.2, 2.4, 6.0]
    labels = ["40% of median", "50% of median", "national line", "60% of median"]
    texts = layout.label_lines(ax, positions, labels)
    report.label_figure(fig, simulated=False, source="test")
    assert problems(fig) == []
    # Each label is centred on its own line; the three close ones are on three rows.
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for text, x in zip(texts, positions, strict=True):
        box = text.get_window_extent(renderer)
        centre = ax.transData.transform((x, 0))[0]
        assert abs((box.x0 + box.x1) / 2 - centre) < 1.0
    assert len({round(t.get_window_extent(renderer).y0) for t in texts[:3]}) == 3
    # No bar reaches the label band.
    band_bottom = min(t.get_window_extent(renderer).y0 for t in texts)
    top_of_bars = ax.transData.transform((0, 10.0))[1]
    assert top_of_bars < band_bottom


def test_boundary_recode_outlier_is_cut_and_named():
    from cases.pages import context

    fig = context.build("liupanshui").figures["census"]
    ax = fig.axes[0]
    notes = [t.get_text() for t in ax.texts]
    # Shuicheng's urban residents: +1,181 % between the censuses (a boundary recode).
    assert "+1,181 %" in notes
    assert ax.get_xlim()[1] < 300
    # Every other bar is drawn whole inside the axis.
    widths = [p.get_width() for p in ax.patches if hasattr(p, "get_width")]
    assert max(widths) <= ax.get_xlim()[1] + 1e-9


def test_dot_plots_with_sized_markers_carry_a_size_legend():
    figures = gallery("simulated")
    for name in ("targeting/h_county/village", "targeting/h_county/need"):
        legends = [
            child
            for ax in figures[name].axes
            for child in ax.get_children()
            if isinstance(child, Legend) and child.get_gid() == "size-legend"
        ]
        assert len(legends) == 1, name
        values = [float(t.get_text().replace(",", "")) for t in legends[0].get_texts()]
        assert len(values) >= 2 and values == sorted(values), name


def test_units_are_stated_once_on_the_event_study_axes():
    fig = gallery("simulated")["policy_evaluation/liupanshui/event"]
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert any("probability per household-year" in label for label in labels)
    assert not any(label.count("probability") > 1 for label in labels), labels


def test_network_is_drawn_by_actor_type():
    import networkx as nx

    from cases.pages import participation

    g = nx.Graph()
    kinds = {"g1": "government", "v1": "village_committee", "v2": "village_committee"}
    kinds |= {f"h{i}": "poor_household" for i in range(6)}
    for node, kind in kinds.items():
        g.add_node(node, actor_type=kind)
    edges = [("g1", "v1", 2), ("g1", "h0", 1), ("g1", "h1", 3), ("v1", "h0", 1), ("v2", "h2", 4)]
    edges += [("v1", "v2", 5), ("h3", "h4", 1)]
    g.add_weighted_edges_from(edges)
    actors, pairs = participation.type_ties(g)
    assert actors.to_dict() == {"government": 1, "village_committee": 2, "poor_household": 6}
    got = {(r.source_type, r.target_type): (r.ties, r.contacts) for r in pairs.itertuples()}
    assert got == {
        ("government", "village_committee"): (1, 2.0),
        ("government", "poor_household"): (2, 4.0),
        ("village_committee", "village_committee"): (1, 5.0),
        ("village_committee", "poor_household"): (2, 5.0),
        ("poor_household", "poor_household"): (1, 1.0),
    }
    fig = participation.network_figure(g, simulated=True)
    circles = [c for c in fig.axes[0].collections if len(c.get_offsets()) == 1]
    assert len(circles) == 3  # one per actor type, not one per actor
    assert problems(fig) == []


def test_event_study_has_no_orphan_ticks_and_keeps_its_legend_off_the_data():
    from cases.present.panel_plots import plot_event_study

    table = pd.DataFrame(
        {
            "event_time": [-3, -2, -1, 0, 1, 2],
            "coef": [np.nan, 0.01, 0.0, 0.05, 0.06, 0.07],
            "ci_low": [np.nan, -0.02, 0.0, 0.01, 0.02, 0.03],
            "ci_high": [np.nan, 0.04, 0.0, 0.09, 0.10, 0.11],
            "reference": [False, False, True, False, False, False],
        }
    )
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    plot_event_study(table, ax=ax, label="estimate, 95% CI")
    # -3 has no estimate: no tick there; -1 is the reference (hollow marker), so it keeps one.
    assert list(ax.get_xticks()) == [-2, -1, 0, 1, 2]
    report.label_figure(fig, simulated=True)
    assert problems(fig) == []
