"""Choropleth maps drawn offline from GeoJSON with matplotlib alone.

A feature's polygons become one compound :class:`matplotlib.path.Path` (outer rings and holes),
so each feature is exactly one patch of the returned collection. Coordinates are longitude and
latitude in degrees, drawn in a plain equirectangular projection whose aspect ratio is set for
the map's middle latitude (``1 / cos(latitude)``); the maps are for reading patterns, not for
measuring distances or areas.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.patches import PathPatch
from matplotlib.path import Path

__all__ = ["choropleth", "feature_path"]


def _rings(geometry: Mapping[str, Any]) -> list[tuple[list[list[float]], bool]]:
    """Every ring of a geometry with a flag: True for an outer boundary, False for a hole."""
    kind = geometry["type"]
    if kind == "Polygon":
        polygons = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        raise ValueError(f"feature_path: unsupported geometry type {kind!r}")
    return [(ring, i == 0) for polygon in polygons for i, ring in enumerate(polygon)]


def _signed_area(points: np.ndarray) -> float:
    """Shoelace formula: positive for a counter-clockwise ring."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def feature_path(geometry: Mapping[str, Any]) -> Path:
    """One compound path for a GeoJSON ``Polygon`` or ``MultiPolygon`` geometry.

    Every ring becomes a closed sub-path, outer boundaries turned counter-clockwise and holes
    clockwise (whatever their order in the file), so that matplotlib's non-zero winding rule
    leaves the holes empty. Raises :class:`ValueError` for other geometry types.
    """
    vertices: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for ring, outer in _rings(geometry):
        points = np.asarray(ring, dtype=float)
        if len(points) < 3:
            continue
        if (_signed_area(points) > 0) != outer:
            points = points[::-1]
        ring_codes = np.full(len(points), Path.LINETO, dtype=np.uint8)
        ring_codes[0] = Path.MOVETO
        ring_codes[-1] = Path.CLOSEPOLY
        vertices.append(points)
        codes.append(ring_codes)
    return Path(np.concatenate(vertices), np.concatenate(codes))


def choropleth(
    ax: mpl.axes.Axes,
    geometries: Sequence[Mapping[str, Any]],
    values: Sequence[float],
    *,
    cmap: str,
    norm: mpl.colors.Normalize,
    missing_colour: str = "#DDDDDD",
    outlined: Sequence[bool] | None = None,
) -> PatchCollection:
    """Fill each geometry by its value; return the collection (one patch per geometry).

    Missing values (NaN) are drawn in ``missing_colour``. Geometries flagged in ``outlined`` are
    drawn again on top with a thick black edge. The axes get equal scaling for the middle
    latitude and no ticks.
    """
    paths = [feature_path(g) for g in geometries]
    colours = mpl.colormaps[cmap]
    faces = [
        missing_colour if v is None or not math.isfinite(v) else colours(norm(v)) for v in values
    ]
    patches = [PathPatch(p) for p in paths]
    collection = PatchCollection(patches, facecolors=faces, edgecolors="white", linewidths=0.2)
    ax.add_collection(collection)
    if outlined is not None:
        ring = [PathPatch(p) for p, flag in zip(paths, outlined, strict=True) if flag]
        ax.add_collection(
            PatchCollection(ring, facecolors="none", edgecolors="black", linewidths=1.2)
        )
    ax.autoscale_view()
    low, high = ax.get_ylim()
    ax.set_aspect(1.0 / math.cos(math.radians((low + high) / 2)))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return collection
