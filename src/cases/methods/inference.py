"""Multiple testing: false-discovery-rate adjusted p-values.

A page that scans many predictors or outcomes reports, beside each unadjusted p-value, the
Benjamini-Hochberg adjusted p-value (the smallest false discovery rate at which that hypothesis
would be rejected), and calls a result a finding only when the adjusted value is small.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from cases.core.errors import ParameterError

__all__ = ["bh_adjust", "bh_table"]


def bh_adjust(pvalues: Sequence[float] | np.ndarray | pd.Series) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, in the order given.

    With the m p-values sorted, ``p_(1) <= ... <= p_(m)``, the adjusted value of the i-th is
    ``q_(i) = min(1, min_{j >= i} m p_(j) / j)`` (Benjamini and Hochberg 1995, "Controlling the
    false discovery rate: a practical and powerful approach to multiple testing", J. R. Stat.
    Soc. B 57(1), 289-300, doi:10.2307/2346101). Rejecting every hypothesis with ``q <= alpha``
    is the BH step-up procedure, which controls the false discovery rate at ``alpha`` for
    independent or positively dependent tests. Computed by
    ``statsmodels.stats.multitest.multipletests(method="fdr_bh")``. Missing values (NaN) are
    left missing and do not count in m. Values are probabilities (unitless, 0..1).

    Raises:
        ParameterError: a p-value outside [0, 1] or a non-numeric input.
    """
    try:
        p = np.asarray(pvalues, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"p-values must be numbers, got {pvalues!r}") from exc
    ok = ~np.isnan(p)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        bad = p[ok][(p[ok] < 0) | (p[ok] > 1)][0]
        raise ParameterError(f"p-values must lie in [0, 1], got {bad!r}")
    out = np.full(p.shape, np.nan)
    if ok.any():
        out[ok] = multipletests(p[ok], method="fdr_bh")[1]
    return out


def bh_table(pvalues: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """Table of p-values with their BH adjustment, in the input order.

    Columns: ``pvalue`` (as given), ``p_bh`` (:func:`bh_adjust`) and ``reject_bh``
    (``p_bh <= alpha``: a discovery at false discovery rate ``alpha``); the index is kept.

    Raises:
        ParameterError: ``alpha`` outside (0, 1), or as :func:`bh_adjust`.
    """
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must lie in (0, 1), got {alpha!r}")
    adj = bh_adjust(pvalues)
    return pd.DataFrame(
        {"pvalue": np.asarray(pvalues, float), "p_bh": adj, "reject_bh": adj <= alpha},
        index=pvalues.index,
    )
