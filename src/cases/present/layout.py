"""Layout rules for figures: legends outside the data, labels that do not collide, axes that
fit the data, outliers named, size legends.

Every figure of the book goes through these helpers, and ``tests/test_figures.py`` checks the
result with matplotlib's text extents (no two text boxes overlap, no legend over an axes,
nothing off the canvas, nothing under 8 points at column width).

The collision rule for labels (:func:`label_lines`) is a greedy one: labels are placed left
to right, each in the lowest row of a band above the data where it does not overlap a label
already placed. It stands in for a general label-repulsion package such as ``adjustText``
(not a dependency): the labels of reference lines only need to move along one axis, and a
label never leaves its line.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

__all__ = [
    "axis_label",
    "fit_texts",
    "label_lines",
    "legend_outside",
    "mark_clipped",
    "nice_size_values",
    "robust_limit",
    "size_handles",
    "size_legend",
    "wrap",
]


def wrap(label: str, width: int) -> str:
    """``label`` broken into lines of at most ``width`` characters (whole words)."""
    return "\n".join(textwrap.wrap(str(label), width=width)) or str(label)


def axis_label(label: str, unit: str) -> str:
    """An axis label with its unit once: ``"<label>\n(<unit>)"``, where a trailing
    parenthesis of ``label`` (e.g. "Migrant worker returned (probability)") is dropped when a
    ``unit`` is given, so the axis never reads "(probability) (probability per household-year)"."""
    if not unit:
        return label
    base = re.sub(r"\s*\([^()]*\)\s*$", "", label) or label
    return f"{base}\n({unit})"


def legend_outside(
    target: mpl.axes.Axes | mpl.figure.Figure,
    where: Literal["right", "below", "auto"] = "auto",
    *,
    handles: Sequence[Any] | None = None,
    labels: Sequence[str] | None = None,
    ncols: int | None = None,
    **kwargs: Any,
) -> mpl.legend.Legend | None:
    """A legend placed outside every plotting area, never over data or a title.

    ``target`` is an Axes (its own handles) or a Figure (handles of all its axes, one entry
    per label); the axes' own legends are replaced, except size legends
    (:func:`size_legend`). ``where``: ``"right"`` beside the axes' top right corner;
    ``"below"`` centred under the figure (``fig.legend(loc="outside lower center")``, which the
    constrained layout makes room for); ``"auto"`` chooses ``"right"`` for an axes legend
    whose longest label has at most 28 characters and at most 8 entries, else ``"below"``.
    Returns the legend, or None when there is nothing to show. Extra ``kwargs`` go to
    :meth:`~matplotlib.axes.Axes.legend`.
    """
    fig = target if isinstance(target, mpl.figure.Figure) else target.figure
    if handles is None or labels is None:
        sources = fig.axes if isinstance(target, mpl.figure.Figure) else [target]
        found: dict[str, Any] = {}
        for ax in sources:
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
                if label and not label.startswith("_"):
                    found.setdefault(label, handle)
        handles, labels = list(found.values()), list(found)
    if not labels:
        return None
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None and legend.get_gid() != "size-legend" and target in (ax, fig):
            legend.remove()
    if where == "auto":
        short = max(len(str(label)) for label in labels) <= 28 and len(labels) <= 8
        where = "right" if short and not isinstance(target, mpl.figure.Figure) else "below"
    if where == "right":
        if isinstance(target, mpl.figure.Figure):
            return fig.legend(handles, labels, loc="outside right upper", **kwargs)
        return target.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            **kwargs,
        )
    if where != "below":
        raise ValueError(f"legend_outside: where must be 'right', 'below' or 'auto', not {where!r}")
    if ncols is None:
        longest = max(len(str(label)) for label in labels)
        per_row = max(1, int(fig.get_figwidth() * 12 // (longest + 4)))
        ncols = min(len(labels), per_row)
    legend = fig.legend(handles, labels, loc="outside lower center", ncols=ncols, **kwargs)
    legend.set_gid("outside-below")
    _lift_over_footer(legend)
    return legend


def _lift_over_footer(legend: mpl.legend.Legend) -> None:
    """Raise an outside-below figure legend over the strip the constrained layout keeps free
    at the foot (its ``rect``; the provenance line), by widening its border pad: the layout
    reserves the legend's own height above that strip, so legend and axes stay apart."""
    engine = legend.figure.get_layout_engine()
    rect = engine.get().get("rect") if engine is not None else None
    bottom = float(rect[1]) if rect is not None else 0.0
    size = legend.get_texts()[0].get_fontsize() if legend.get_texts() else 10.0
    footer_pt = bottom * legend.figure.get_figheight() * 72.0
    legend.borderaxespad = footer_pt / size + 0.3


def _rewrap(text: mpl.text.Text, available_px: float, renderer: Any) -> None:
    """Re-wrap ``text`` so its box is at most ``available_px`` wide (whole words)."""
    box = text.get_window_extent(renderer)
    if box.width <= available_px or available_px <= 0:
        return
    flat = " ".join(text.get_text().split())
    longest = max(len(line) for line in text.get_text().split("\n"))
    chars = max(12, int(longest * available_px / box.width * 0.96))
    text.set_text(wrap(flat, chars))


def fit_texts(fig: mpl.figure.Figure, margin_px: float = 4.0) -> None:
    """Wrap titles and figure-level texts that would run past the right edge of ``fig``.

    Rule: after a layout pass, a left-aligned title (or a figure text such as the provenance
    line) wider than the space from where it starts to the figure's right edge is re-wrapped
    at whole words to fit; outside-below figure legends are lifted over the layout's foot
    strip (above the provenance line). Called by
    :func:`cases.present.report.label_figure`, the last step of every figure.
    """
    for legend in fig.legends:
        if legend.get_gid() == "outside-below":
            _lift_over_footer(legend)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    right = fig.bbox.x1 - margin_px
    for ax in fig.axes:
        for title in (ax.title, ax._left_title, ax._right_title):
            if title.get_text():
                box = title.get_window_extent(renderer)
                _rewrap(title, right - max(box.x0, fig.bbox.x0 + margin_px), renderer)
    for text in fig.texts:
        if text.get_gid() != "watermark" and text.get_text() and text.get_rotation() == 0:
            box = text.get_window_extent(renderer)
            _rewrap(text, right - max(box.x0, fig.bbox.x0 + margin_px), renderer)


def _overlap(a: Any, b: Any, pad: float) -> bool:
    return a.x0 < b.x1 + pad and b.x0 < a.x1 + pad


def label_lines(
    ax: mpl.axes.Axes,
    positions: Sequence[float],
    labels: Sequence[str],
    *,
    styles: Sequence[dict[str, Any]] | None = None,
    fontsize: float = 8.5,
    pad_px: float = 4.0,
) -> list[mpl.text.Text]:
    """Vertical reference lines at ``positions`` (data x), each labelled above the data.

    Rule: the labels sit in a band at the top of the axes, centred on their line, each in the
    lowest row where it does not overlap a label already placed (greedy, left to right, with
    ``pad_px`` pixels between labels; rows are a fixed number of points apart). The y axis is
    extended so that the band holds no data (with a quarter of spare room, as the final layout
    may shrink the axes), and the lines stop at the top of the data. Call it after the data
    are drawn and the x limits are final. Returns the label texts. ``styles`` are keyword
    arguments of :meth:`~matplotlib.axes.Axes.vlines` per line (default: dashed grey).
    """
    if len(positions) != len(labels):
        raise ValueError("label_lines: one label per position")
    styles = list(styles) if styles is not None else [{}] * len(positions)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    texts: dict[int, mpl.text.Text] = {}
    rows: list[list[Any]] = []
    row_of: dict[int, int] = {}
    base = blended_transform_factory(ax.transData, ax.transAxes)
    for i in order:
        text = ax.text(
            positions[i],
            1.0,
            labels[i],
            transform=base,
            ha="center",
            va="top",
            fontsize=fontsize,
            color=styles[i].get("color", "0.25"),
        )
        box = text.get_window_extent(renderer)
        for r, placed in enumerate(rows):
            if not any(_overlap(box, other, pad_px) for other in placed):
                placed.append(box)
                row_of[i] = r
                break
        else:
            rows.append([box])
            row_of[i] = len(rows) - 1
        texts[i] = text
    row_pt = 1.3 * fontsize
    for i in order:
        shift = mpl.transforms.ScaledTranslation(
            0, -(row_of[i] * row_pt + 2) / 72, fig.dpi_scale_trans
        )
        texts[i].set_transform(base + shift)
    band_px = (len(rows) * row_pt + 6) / 72 * fig.dpi * 1.25
    axes_px = max(ax.get_window_extent(renderer).height, 1.0)
    band = min(0.5, band_px / axes_px)
    low, high = ax.get_ylim()
    if ax.get_yscale() == "linear":
        ax.set_ylim(low, low + (high - low) / (1.0 - band))
    for i in order:
        style = {"colors": "0.25", "linestyles": "--", "linewidth": 1.0, **styles[i]}
        ax.vlines(positions[i], low, high, **style)
    return [texts[i] for i in range(len(positions))]


def robust_limit(values: Sequence[float] | np.ndarray, fence: float = 3.0) -> float:
    """The largest of ``values`` that is not a far outlier: at most the outer fence of
    Tukey's box plot, ``Q3 + fence · IQR`` with ``fence = 3`` (quartiles by linear
    interpolation; inner and outer fences as described at
    https://statistics.about.com/od/HelpandTutorials/fl/What-Are-Inner-and-Outer-Fences.htm).
    Values above it are drawn cut at the axis limit and named (:func:`mark_clipped`). NaNs
    are ignored. Raises ``ValueError`` for no finite value."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        raise ValueError("robust_limit: no finite value")
    q1, q3 = np.percentile(finite, [25, 75])
    upper = q3 + fence * (q3 - q1)
    inside = finite[finite <= upper]
    return float(inside.max()) if inside.size else float(finite.max())


def mark_clipped(
    ax: mpl.axes.Axes, y: float, limit: float, label: str, *, fontsize: float = 8.5
) -> mpl.text.Text:
    """Mark a horizontal bar cut at the axis ``limit`` (x) at height ``y``: a break sign at the
    end of the bar and ``label`` (e.g. "+1,181 %") just inside the axes, so the outlier is
    named rather than dropped."""
    ax.plot([limit], [y], marker=(2, 0, -30), markersize=12, color="white", mew=3, zorder=5)
    ax.plot([limit], [y], marker=(2, 0, -30), markersize=12, color="0.2", mew=1, zorder=6)
    return ax.annotate(
        label,
        (limit, y),
        xytext=(-6, 0),
        textcoords="offset points",
        ha="right",
        va="center",
        fontsize=fontsize,
        color="0.1",
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
        zorder=7,
    )


def nice_size_values(values: Sequence[float] | np.ndarray, k: int = 3) -> list[float]:
    """``k`` round numbers spanning ``values`` (for a size legend): matplotlib's
    ``MaxNLocator`` steps inside ``[min, max]``, thinned to at most ``k``, zero dropped."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size == 0:
        return []
    low, high = float(finite.min()), float(finite.max())
    if math.isclose(low, high):
        return [high]
    ticks = mpl.ticker.MaxNLocator(nbins=k + 1, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    inside = [float(t) for t in ticks if low <= t <= high and t > 0]
    if len(inside) < 2:
        inside = [low, high]
    step = max(1, math.ceil(len(inside) / k))
    return inside[::-1][::step][::-1]


def size_handles(
    values: Sequence[float] | np.ndarray,
    size_of: Callable[[float], float],
    *,
    fmt: str = "{:,.0f}",
    color: str = "0.5",
    k: int = 3,
) -> tuple[list[Line2D], list[str]]:
    """Legend entries for marker sizes: :func:`nice_size_values` of ``values``, each drawn
    with the marker area ``size_of(value)`` (points², as :meth:`~matplotlib.axes.Axes.scatter`
    ``s``) and labelled with ``fmt``."""
    shown = nice_size_values(values, k)
    handles = [
        Line2D([], [], linestyle="none", marker="o", color=color, markersize=math.sqrt(size_of(v)))
        for v in shown
    ]
    return handles, [fmt.format(v) for v in shown]


def size_legend(
    ax: mpl.axes.Axes,
    values: Sequence[float] | np.ndarray,
    size_of: Callable[[float], float],
    *,
    title: str,
    fmt: str = "{:,.0f}",
    color: str = "0.5",
    k: int = 3,
) -> mpl.legend.Legend | None:
    """A legend of marker sizes for a dot plot whose marker area encodes a value.

    ``size_of(value)`` must be the function the plot used (marker area in points², as
    :meth:`~matplotlib.axes.Axes.scatter` ``s``); the legend shows :func:`size_handles` and
    is placed outside the axes, at the right and bottom, with rows and handles spaced for the
    largest marker. Any other legend of ``ax`` stays: it is re-added as an artist.
    """
    handles, labels = size_handles(values, size_of, fmt=fmt, color=color, k=k)
    if not handles:
        return None
    size = mpl.rcParams["legend.fontsize"]
    size = size if isinstance(size, (int, float)) else 9.5
    widest = max(h.get_markersize() for h in handles)
    existing = ax.get_legend()
    legend = ax.legend(
        handles,
        labels,
        title=title,
        loc="lower left",
        bbox_to_anchor=(1.02, 0.0),
        borderaxespad=0.0,
        labelspacing=0.5,
        handlelength=max(1.0, widest / size),
        handleheight=max(0.7, widest / size),
        borderpad=0.6,
    )
    legend.set_gid("size-legend")
    if existing is not None:
        ax.add_artist(existing)
    return legend
