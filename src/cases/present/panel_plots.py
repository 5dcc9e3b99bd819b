"""Figures for :mod:`cases.methods.panel` (to be re-exported from :mod:`cases.present.report`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cases.core.errors import ParameterError
from cases.present.layout import legend_outside

__all__ = ["plot_event_study"]

_REQUIRED = ("event_time", "ci_low", "ci_high")


def plot_event_study(
    table: pd.DataFrame,
    ax: Any = None,
    *,
    estimate: str | None = None,
    ref: int | None = None,
    label: str | None = None,
    color: str = "C0",
    xlabel: str = "Periods relative to treatment",
    ylabel: str = "Effect (units of the outcome)",
    title: str | None = None,
) -> Any:
    """Plot event-study coefficients with confidence intervals; mark the reference period.

    Accepts the ``table`` of :func:`cases.methods.panel.event_study` (columns ``event_time``,
    ``coef``,
    ``ci_low``, ``ci_high``, ``reference``) or the ``dynamic`` table of
    :func:`cases.methods.panel.staggered_did` (``att`` instead of ``coef``; its ``"overall"`` row is
    skipped). Points are the estimates, vertical bars the pointwise intervals; the reference
    period (coefficient normalised to 0) is drawn as a hollow marker with a dotted vertical line,
    and a dashed line at 0 is the null of no effect. The x ticks are the event times with an
    estimate (and the reference); the legend sits outside the axes
    (:func:`cases.present.layout.legend_outside`). Returns the matplotlib ``Axes``.

    Raises:
        ParameterError: missing columns or an empty table.
    """
    import matplotlib.pyplot as plt

    if not isinstance(table, pd.DataFrame) or table.empty:
        raise ParameterError("plot_event_study: table must be a non-empty DataFrame")
    if estimate is None:
        estimate = "coef" if "coef" in table.columns else "att"
    missing = [c for c in (*_REQUIRED, estimate) if c not in table.columns]
    if missing:
        raise ParameterError(f"plot_event_study: table lacks column(s) {missing}")
    tab = table[pd.to_numeric(table["event_time"], errors="coerce").notna()].copy()
    tab["event_time"] = tab["event_time"].astype(float)
    if ref is None and "reference" in tab.columns and tab["reference"].any():
        ref = int(tab.loc[tab["reference"].astype(bool), "event_time"].iloc[0])
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    is_ref = tab["event_time"] == ref if ref is not None else pd.Series(False, index=tab.index)
    est = tab.loc[~is_ref]
    ax.axhline(0.0, color="0.4", linestyle="--", linewidth=0.8)
    ax.errorbar(
        est["event_time"],
        est[estimate],
        yerr=[est[estimate] - est["ci_low"], est["ci_high"] - est[estimate]],
        fmt="o",
        color=color,
        capsize=3,
        label=label,
    )
    if ref is not None:
        ax.axvline(ref, color="0.5", linestyle=":", linewidth=1)
        ax.plot(
            [ref],
            [0.0],
            marker="o",
            markerfacecolor="white",
            markeredgecolor=color,
            linestyle="none",
            label=f"reference ({ref})",
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    # Ticks only where there is an estimate or the reference: no orphan ticks.
    shown = {int(t) for t in tab.loc[tab[estimate].notna() | is_ref, "event_time"]}
    ax.set_xticks(sorted(shown | ({int(ref)} if ref is not None else set())))
    if title:
        ax.set_title(title)
    if ax.get_legend_handles_labels()[1]:
        legend_outside(ax, "right")
    return ax
