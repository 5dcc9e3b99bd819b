"""Benjamini-Hochberg adjusted p-values (cases.methods.inference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cases.core.errors import ParameterError
from cases.methods.inference import bh_adjust, bh_table


def test_hand_example_from_stdlib_padjust_documentation() -> None:
    # stdlib padjust(pvalues, 'bh') examples, https://stdlib.io/docs/api/latest/@stdlib/stats/padjust
    # ([0.008, 0.03, 0.123, 0.6, 0.2] -> [0.04, 0.075, ~0.205, 0.6, 0.25]); by hand: sorted
    # 0.008, 0.03, 0.123, 0.2, 0.6 times m/i = 5, 5/2, 5/3, 5/4, 1 gives 0.04, 0.075, 0.205,
    # 0.25, 0.6, already increasing, so no step-down minimum changes them.
    np.testing.assert_allclose(
        bh_adjust([0.008, 0.03, 0.123, 0.6, 0.2]), [0.04, 0.075, 0.205, 0.6, 0.25]
    )
    # same page: [0.319, 0.201, 0.4, 0.374, 0.113] -> all 0.4 (the running minimum from the top)
    np.testing.assert_allclose(bh_adjust([0.319, 0.201, 0.4, 0.374, 0.113]), [0.4] * 5)


def test_original_benjamini_hochberg_1995_example_rejects_four() -> None:
    # Benjamini and Hochberg (1995), section 4: 15 p-values of a multiple-endpoint trial; at
    # q = 0.05 the procedure rejects the four smallest (Bonferroni rejects three). Values and
    # result as quoted in the SciPy documentation of scipy.stats.false_discovery_control,
    # https://docs.scipy.org/doc/scipy-1.16.2/reference/generated/scipy.stats.false_discovery_control.html
    ps = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344]
    ps += [0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000]
    adj = bh_adjust(ps)
    assert (adj <= 0.05).sum() == 4
    assert list(adj <= 0.05) == [True] * 4 + [False] * 11
    # by hand: the fourth is 0.0095 * 15 / 4, the fifth 0.0201 * 15 / 5 (first above 0.05)
    assert adj[3] == pytest.approx(0.0095 * 15 / 4)
    assert adj[4] == pytest.approx(0.0201 * 15 / 5)
    assert (np.asarray(ps) * 15 <= 0.05).sum() == 3


def test_order_missing_values_and_table() -> None:
    p = pd.Series([0.2, np.nan, 0.008, 0.03], index=["a", "b", "c", "d"])
    t = bh_table(p)
    assert list(t.index) == ["a", "b", "c", "d"]
    assert np.isnan(t.loc["b", "p_bh"]) and not t.loc["b", "reject_bh"]
    # m = 3 non-missing: 0.008 * 3 = 0.024, 0.03 * 3 / 2 = 0.045, 0.2 * 3 / 3 = 0.2
    np.testing.assert_allclose(t["p_bh"].dropna(), [0.2, 0.024, 0.045])
    assert list(t["reject_bh"]) == [False, False, True, True]


@pytest.mark.parametrize("bad", [[0.1, 1.2], [-0.01], ["x"]])
def test_invalid_p_values_are_refused(bad: list) -> None:
    with pytest.raises(ParameterError):
        bh_adjust(bad)


def test_invalid_alpha_is_refused() -> None:
    with pytest.raises(ParameterError, match="alpha"):
        bh_table(pd.Series([0.1]), alpha=1.5)
