"""Inference on clustered data, and multiple testing.

One rule for every interval and test of the book on clustered records (households in villages,
records of households, panel years of households): inference is clustered at the level of
sampling or assignment (the village unless a page says otherwise), through the helpers below.

The rule (:func:`cluster_rule`), by the number of clusters G:

- **G < 10** (:data:`MIN_CLUSTERS`): no clustered inference; the helpers raise
  :class:`~cases.core.errors.ParameterError` naming G. With so few clusters neither the
  cluster-robust variance nor the wild cluster bootstrap has reliable size (Webb 2014 finds
  problems below about eleven clusters even for the bootstrap), and a published interval that
  is known to be too narrow is worse than none.
- **10 <= G < 30** (:data:`WILD_BELOW`): regression coefficients of linear models get the
  restricted wild cluster bootstrap (WCR, Webb six-point weights, at least 999 replications,
  fixed seed): the p-value of ``beta_j = 0`` and the interval by test inversion
  (:func:`wild_cluster_test`, :func:`wild_cluster_ci`); the standard error shown stays CR1.
  Cameron, Gelbach and Miller (2008) show that cluster-robust t tests over-reject with five to
  thirty clusters and that the wild cluster bootstrap-t restores the size; Webb's six-point
  weights avoid the few distinct bootstrap p-values of Rademacher weights when G is small.
  Non-linear models (logit, Poisson) keep CR1 with ``t(G - 1)`` and carry a ``warning``.
- **G >= 30**: cluster-robust CR1 standard errors (:func:`cr1_vcov`) with the small-sample
  factor ``G/(G-1) * (N-1)/(N-K)`` and ``t(G - 1)`` reference distribution (as Stata's
  ``vce(cluster)``, fixest's default and statsmodels' ``cov_type="cluster"``).
- Poverty measures and other non-smooth statistics: the cluster (village) bootstrap of
  :func:`cases.methods.measures.bootstrap` with at least 999 replicates
  (:func:`cluster_bootstrap`).
- Proportions from clustered records: the design-based ratio-estimator interval of
  :func:`cluster_proportion` (linearised variance between clusters, ``t(G - 1)``), never the
  Wilson interval, which assumes independent records.

References (each located; addresses where it was read):
Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2008), "Bootstrap-based improvements for
inference with clustered errors", *Review of Economics and Statistics* 90(3), 414-427,
https://direct.mit.edu/rest/article-abstract/90/3/414/57731/ (NBER Technical Working Paper 344,
http://www.nber.org/papers/t0344): cluster-robust t tests over-reject with 5 to 30 clusters, the
wild cluster bootstrap-t corrects it;
Webb, M. D. (2014), "Reworking wild bootstrap based inference for clustered errors", Queen's
Economics Department Working Paper 1315 (the six-point weights; problems below eleven clusters);
MacKinnon, J. G. and Webb, M. D. (2017), "Wild bootstrap inference for wildly different cluster
sizes", *Journal of Applied Econometrics* 32(2), 233-254,
http://qed.econ.queensu.ca/jae/datasets/mackinnon005/readme.mw.txt (unbalanced clusters, few
treated clusters);
Roodman, D., MacKinnon, J. G., Nielsen, M. O. and Webb, M. D. (2018), "Fast and wild: bootstrap
inference in Stata using boottest", Queen's Economics Department Working Paper 1406 (the
algebra of the wild cluster bootstrap used here; Stata's ``boottest``,
http://fmwww.bc.edu/repec/bocode/b/boottest.sthlp).
None is cited by a book page yet, so none is in ``book/references.bib``.

Multiple testing: a page that scans many predictors or outcomes reports, beside each unadjusted
p-value, the Benjamini-Hochberg adjusted p-value (the smallest false discovery rate at which that
hypothesis would be rejected), and calls a result a finding only when the adjusted value is small.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cases.core.errors import ParameterError

__all__ = [
    "MIN_BOOT",
    "MIN_CLUSTERS",
    "RESULT_COLUMNS",
    "WEBB_POINTS",
    "WILD_BELOW",
    "bh_adjust",
    "bh_table",
    "cluster_bootstrap",
    "cluster_inference",
    "cluster_proportion",
    "cluster_rule",
    "cluster_share_bootstrap",
    "clustered_ols",
    "cr1_vcov",
    "n_clusters",
    "require_cluster_bootstrap",
    "webb_weights",
    "wild_cluster_ci",
    "wild_cluster_test",
]

#: Fewer clusters than this: clustered inference is refused (ParameterError naming G).
MIN_CLUSTERS = 10
#: Fewer clusters than this (and at least MIN_CLUSTERS): wild cluster bootstrap for OLS.
WILD_BELOW = 30
#: Fewest bootstrap replications accepted (wild and cluster bootstrap alike).
MIN_BOOT = 999
#: Webb's six-point distribution: +-sqrt(1/2), +-1, +-sqrt(3/2), each with probability 1/6
#: (mean 0, variance 1); the order is the one of the ``wildboottest`` package, so that the
#: same seed draws the same weights.
WEBB_POINTS = np.concatenate([-np.sqrt(np.array([3, 2, 1]) / 2), np.sqrt(np.array([1, 2, 3]) / 2)])
#: Columns of every tidy result of this module, in this order.
RESULT_COLUMNS = (
    "term",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
    "n_obs",
    "n_clusters",
    "method",
    "warning",
)


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


# --------------------------------------------------------------------------------------------
# Clusters and the rule
# --------------------------------------------------------------------------------------------
def n_clusters(clusters: Sequence[Any] | np.ndarray | pd.Series) -> int:
    """Number of distinct cluster labels G.

    Raises:
        ParameterError: a missing label (NaN/None), or no label at all.
    """
    labels = pd.Series(np.asarray(clusters, dtype=object).ravel())
    if labels.empty:
        raise ParameterError("clustered inference: no observations")
    if labels.isna().any():
        row = int(labels.isna().to_numpy().argmax())
        raise ParameterError(f"clustered inference: cluster label missing at row {row}")
    return int(labels.nunique())


def cluster_rule(g: int, *, linear: bool = True) -> str:
    """The method the rule of this module assigns to ``g`` clusters.

    Returns ``"cr1"`` (G >= :data:`WILD_BELOW`, or a non-linear model with G >= 10) or
    ``"wild"`` (linear model with :data:`MIN_CLUSTERS` <= G < :data:`WILD_BELOW`).

    Raises:
        ParameterError: ``g < MIN_CLUSTERS`` (the message names the number of clusters).
    """
    if g < MIN_CLUSTERS:
        raise ParameterError(
            f"clustered inference needs at least {MIN_CLUSTERS} clusters, got {g}: with so few "
            "clusters no interval or test on these data would hold its level, so none is reported"
        )
    return "wild" if linear and g < WILD_BELOW else "cr1"


def _codes(clusters: Any, n: int) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 of the clusters in sorted label order, and G."""
    arr = np.asarray(clusters, dtype=object).ravel()
    if arr.shape[0] != n:
        raise ParameterError(f"clusters has {arr.shape[0]} labels for {n} observations")
    g = n_clusters(arr)
    codes = pd.Series(arr).astype("category").cat.codes.to_numpy().astype(np.int64)
    return codes, g


def _check_conf(conf_level: float) -> None:
    if not 0 < conf_level < 1:
        raise ParameterError(f"conf_level must lie in (0, 1), got {conf_level!r}")


def _check_boot(n_boot: int, seed: int) -> None:
    if not isinstance(n_boot, int | np.integer) or n_boot < MIN_BOOT:
        raise ParameterError(f"n_boot must be an integer >= {MIN_BOOT}, got {n_boot!r}")
    if not isinstance(seed, int | np.integer):
        raise ParameterError(f"seed must be an integer, got {seed!r}")


# --------------------------------------------------------------------------------------------
# CR1
# --------------------------------------------------------------------------------------------
def cr1_vcov(
    x: np.ndarray, resid: np.ndarray, clusters: Any, *, k: int | None = None
) -> np.ndarray:
    """Cluster-robust (CR1) covariance of OLS coefficients.

    Formula: ``V = c (X'X)^-1 [sum_g X_g' u_g u_g' X_g] (X'X)^-1`` with residuals ``u`` and the
    small-sample factor ``c = G/(G-1) * (N-1)/(N-K)`` (the cluster-robust variance of Cameron,
    Gelbach and Miller 2008, with the factor of Stata's ``regress, vce(cluster)``, R's
    ``sandwich::vcovCL`` default and statsmodels' ``cov_type="cluster"``). ``k`` is the
    number of estimated coefficients K (default: the columns of ``x``; give it when fixed
    effects were swept out). Units: squared units of the coefficients.

    Raises:
        ParameterError: mismatched lengths, a missing cluster label, fewer than 2 clusters or
            ``N <= K``.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    u = np.asarray(resid, dtype=float).ravel()
    n, kx = x.shape
    if u.shape[0] != n:
        raise ParameterError(f"resid has {u.shape[0]} rows for {n} rows of x")
    codes, g = _codes(clusters, n)
    k = kx if k is None else int(k)
    if g < 2 or n <= k:
        raise ParameterError(f"CR1 needs G >= 2 and N > K, got G = {g}, N = {n}, K = {k}")
    bread = np.linalg.pinv(x.T @ x)
    xu = x * u[:, None]
    scores = np.column_stack([np.bincount(codes, weights=xu[:, j], minlength=g) for j in range(kx)])
    meat = scores.T @ scores
    factor = g / (g - 1) * (n - 1) / (n - k)
    v = factor * bread @ meat @ bread
    return (v + v.T) / 2


# --------------------------------------------------------------------------------------------
# Wild cluster bootstrap (WCR, Webb weights)
# --------------------------------------------------------------------------------------------
def webb_weights(g: int, n_boot: int, seed: int) -> np.ndarray:
    """``g x n_boot`` matrix of Webb six-point weights drawn with ``numpy`` ``default_rng(seed)``.

    The draw is ``rng.choice(WEBB_POINTS, size=g * n_boot).reshape(g, n_boot)``, the same as the
    ``wildboottest`` package (0.3.2, ``weights.webb``) so that both give identical bootstrap
    samples for the same seed (clusters in sorted label order).
    """
    rng = np.random.default_rng(seed)
    return rng.choice(WEBB_POINTS, replace=True, size=g * n_boot).reshape(g, n_boot)


class _WildSetup:
    """Quantities of the restricted wild cluster bootstrap that do not depend on the null value
    (Roodman, MacKinnon, Nielsen and Webb 2018: everything is a function of the
    cluster-level scores, so each replication costs O(G^2) whatever N)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, codes: np.ndarray, g: int, j: int):
        n, k = x.shape
        self.j, self.g, self.k = j, g, k
        self.xtx_inv = np.linalg.inv(x.T @ x)
        self.beta = self.xtx_inv @ (x.T @ y)
        self.ssc = g / (g - 1) * (n - 1) / (n - k)
        # Per-cluster X_g'X_g and X_g'y_g, X_g'x_j
        self.xgx = np.zeros((g, k, k))
        np.add.at(self.xgx, codes, x[:, :, None] * x[:, None, :])
        self.xgy = np.zeros((g, k))
        np.add.at(self.xgy, codes, x * y[:, None])
        r = np.zeros(k)
        r[j] = 1.0
        self.r = r
        self.a = self.xtx_inv @ r  # (X'X)^-1 R'
        self.raxr = float(r @ self.a)  # R (X'X)^-1 R'
        resid = y - x @ self.beta
        sg = np.zeros((g, k))
        np.add.at(sg, codes, x * resid[:, None])
        self.se = float(np.sqrt(self.ssc * self.a @ (sg.T @ sg) @ self.a))
        # R (X'X)^-1 X_g'X_g (X'X)^-1, one row vector per cluster (g x k)
        self.rxg = np.einsum("k,gkl,lm->gm", self.a, self.xgx, self.xtx_inv)

    def t_boot(self, null: float, v: np.ndarray) -> tuple[float, np.ndarray]:
        """The t statistic of ``beta_j = null`` and its bootstrap replicates under weights ``v``."""
        # Restricted estimate: beta_tilde = beta - (X'X)^-1 R' (R b - null) / (R (X'X)^-1 R')
        beta_r = self.beta - self.a * (self.beta[self.j] - null) / self.raxr
        scores = self.xgy - np.einsum("gkl,l->gk", self.xgx, beta_r)  # X_g' u_tilde_g (g x k)
        c = scores @ self.a  # R (X'X)^-1 s_g
        h = self.rxg @ scores.T  # H[g, h] = R (X'X)^-1 X_g'X_g (X'X)^-1 s_h
        numer = c @ v
        z = c[:, None] * v - h @ v
        denom = self.ssc * np.sum(z * z, axis=0)
        t_star = numer / np.sqrt(denom)
        t_obs = (self.beta[self.j] - null) / self.se
        return t_obs, t_star


def _boot_p(t_obs: float, t_star: np.ndarray) -> float:
    """The bootstrap p-value: the share of replicates with ``|t*| > |t|`` (strict)."""
    return float(np.mean(np.abs(t_obs) < np.abs(t_star)))


def _wild_args(
    x: Any, y: Any, clusters: Any, term: int | str, names: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    if isinstance(x, pd.DataFrame):
        names = list(x.columns)
    xa = np.asarray(x, dtype=float)
    if xa.ndim == 1:
        xa = xa[:, None]
    ya = np.asarray(y, dtype=float).ravel()
    if ya.shape[0] != xa.shape[0]:
        raise ParameterError(f"y has {ya.shape[0]} rows for {xa.shape[0]} rows of x")
    if isinstance(term, str):
        if names is None or term not in list(names):
            raise ParameterError(f"term {term!r} is not a column of x")
        j = list(names).index(term)
    else:
        j = int(term)
        if not 0 <= j < xa.shape[1]:
            raise ParameterError(f"term index {j} outside 0..{xa.shape[1] - 1}")
    codes, g = _codes(clusters, xa.shape[0])
    return xa, ya, codes, g, j


def _wild_setup(
    x: Any,
    y: Any,
    clusters: Any,
    term: int | str,
    names: Sequence[str] | None,
    n_boot: int,
    seed: int,
) -> _WildSetup:
    """Check the arguments of a wild cluster bootstrap and the number of clusters; its setup."""
    _check_boot(n_boot, seed)
    xa, ya, codes, g, j = _wild_args(x, y, clusters, term, names)
    cluster_rule(g)
    return _WildSetup(xa, ya, codes, g, j)


def wild_cluster_test(
    x: Any,
    y: Any,
    clusters: Any,
    term: int | str,
    *,
    null: float = 0.0,
    n_boot: int = 9999,
    seed: int = 20190101,
    names: Sequence[str] | None = None,
) -> dict[str, float]:
    """Restricted wild cluster bootstrap (WCR-C, "11") test of ``beta_term = null`` in OLS.

    Bootstrap samples ``y*_g = X_g beta_tilde + v_g u_tilde_g`` with ``beta_tilde`` the OLS
    estimate under the null and one Webb weight ``v_g`` per cluster (:func:`webb_weights`);
    each replication's t statistic uses the CR1 standard error (factor
    ``G/(G-1) (N-1)/(N-K)``). The two-sided p-value is the share of replications with
    ``|t*| > |t|`` (strict, as ``wildboottest``). Algebra of Roodman, MacKinnon, Nielsen and
    Webb (2018); weights of Webb (2014); the method of Cameron, Gelbach and Miller (2008).
    Validated against ``wildboottest.wildboottest`` (0.3.2, ``bootstrap_type="11"``,
    ``weights_type="webb"``, ``impose_null=True``): identical p-values for the same seed
    (``tests/test_inference.py``). ``x`` includes the constant; ``term`` is a column index or
    name. Returns ``statistic`` (t, CR1), ``p_value``, ``std_error`` (CR1), ``estimate``,
    ``n_clusters``, ``n_boot``.

    Raises:
        ParameterError: fewer than :data:`MIN_CLUSTERS` clusters, ``n_boot < 999``, a
            non-integer seed, an unknown term or mismatched lengths.
    """
    setup = _wild_setup(x, y, clusters, term, names, n_boot, seed)
    t_obs, t_star = setup.t_boot(float(null), webb_weights(setup.g, n_boot, seed))
    return {
        "estimate": float(setup.beta[setup.j]),
        "std_error": setup.se,
        "statistic": float(t_obs),
        "p_value": _boot_p(t_obs, t_star),
        "n_clusters": setup.g,
        "n_boot": int(n_boot),
    }


def wild_cluster_ci(
    x: Any,
    y: Any,
    clusters: Any,
    term: int | str,
    *,
    conf_level: float = 0.95,
    n_boot: int = 9999,
    seed: int = 20190101,
    names: Sequence[str] | None = None,
) -> tuple[float, float]:
    """Wild cluster bootstrap interval of ``beta_term`` by test inversion.

    The interval is the set of null values ``b`` that the test of :func:`wild_cluster_test`
    (same weights for every ``b``) does not reject at ``1 - conf_level``; its two ends are found
    by bisection between the estimate and a bracket widened from ``estimate +- 2 t(G-1) se``
    (as ``boottest`` does, Roodman, MacKinnon, Nielsen and Webb 2018). Units of the coefficient.

    Raises:
        ParameterError: as :func:`wild_cluster_test`, or ``conf_level`` outside (0, 1).
    """
    _check_conf(conf_level)
    setup = _wild_setup(x, y, clusters, term, names, n_boot, seed)
    g = setup.g
    v = webb_weights(g, n_boot, seed)
    alpha = 1 - conf_level
    est, se = float(setup.beta[setup.j]), setup.se

    def pval(b: float) -> float:
        return _boot_p(*setup.t_boot(b, v))

    def end(sign: float) -> float:
        inside = est
        step = 2 * stats.t.ppf(1 - alpha / 2, g - 1) * se if se > 0 else 1.0
        outside = est + sign * step
        for _ in range(60):
            if pval(outside) <= alpha:
                break
            inside, outside = outside, outside + sign * step
            step *= 2
        for _ in range(60):
            mid = (inside + outside) / 2
            if pval(mid) > alpha:
                inside = mid
            else:
                outside = mid
            if abs(outside - inside) <= 1e-6 * max(se, 1e-12):
                break
        return (inside + outside) / 2

    return end(-1.0), end(1.0)


# --------------------------------------------------------------------------------------------
# The one helper for regression models
# --------------------------------------------------------------------------------------------
def cluster_inference(
    model: Any,
    clusters: Any,
    *,
    terms: Sequence[str] | None = None,
    conf_level: float = 0.95,
    n_boot: int = 9999,
    seed: int = 20190101,
    fit_kwargs: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Fit a statsmodels model with inference clustered by ``clusters``, by the module's rule.

    ``model`` is an unfitted statsmodels model (``OLS``, ``Logit``, ``GLM``, ...) whose rows
    match ``clusters``. Every model gets CR1 standard errors (statsmodels
    ``cov_type="cluster"``, ``use_correction=True``, ``df_correction=True``: the factor
    ``G/(G-1) (N-1)/(N-K)``) and intervals and p-values from ``t(G - 1)``. For ``OLS`` with
    10 <= G < 30 the p-value (of ``beta = 0``) and interval of each term in ``terms`` (default:
    all) come from the wild cluster bootstrap (:func:`wild_cluster_test`,
    :func:`wild_cluster_ci`); a non-linear model with G < 30 keeps CR1 and gets a ``warning``
    that pages must show. See the module docstring for the rule and its references.

    Returns:
        Tidy table, one row per term, columns :data:`RESULT_COLUMNS` (``method`` names the
        procedure, ``warning`` is ``""`` or a sentence for readers); ``attrs["fit"]`` holds the
        fitted statsmodels result.

    Raises:
        ParameterError: fewer than :data:`MIN_CLUSTERS` clusters (G named), ``conf_level``
            outside (0, 1), ``n_boot < 999``, an unknown term, or mismatched lengths.
    """
    import statsmodels.api as sm

    _check_conf(conf_level)
    n = int(model.exog.shape[0])
    codes, g = _codes(clusters, n)
    linear = type(model) is sm.OLS
    rule = cluster_rule(g, linear=linear)
    fit = model.fit(
        cov_type="cluster",
        cov_kwds={"groups": codes, "use_correction": True, "df_correction": True},
        use_t=True,
        **(fit_kwargs or {}),
    )
    names = list(model.exog_names)
    wanted = names if terms is None else list(terms)
    unknown = [t for t in wanted if t not in names]
    if unknown:
        raise ParameterError(f"terms not in the model: {unknown}; known: {names}")
    params = np.asarray(fit.params)
    bse = np.asarray(fit.bse)
    ci = np.asarray(fit.conf_int(alpha=1 - conf_level))
    pv = np.asarray(fit.pvalues)
    warning = ""
    method = f"CR1, t({g - 1})"
    if rule == "cr1" and g < WILD_BELOW:
        warning = (
            f"only {g} clusters: cluster-robust intervals of this non-linear model may be too "
            "narrow"
        )
    rows = []
    for t in wanted:
        i = names.index(t)
        row = {
            "term": t,
            "estimate": float(params[i]),
            "std_error": float(bse[i]),
            "conf_low": float(ci[i, 0]),
            "conf_high": float(ci[i, 1]),
            "p_value": float(pv[i]),
            "n_obs": n,
            "n_clusters": g,
            "method": method,
            "warning": warning,
        }
        if rule == "wild":
            x, y = np.asarray(model.exog, float), np.asarray(model.endog, float)
            test = wild_cluster_test(x, y, codes, i, n_boot=n_boot, seed=seed)
            lo, hi = wild_cluster_ci(
                x, y, codes, i, conf_level=conf_level, n_boot=n_boot, seed=seed
            )
            row.update(
                p_value=test["p_value"],
                conf_low=lo,
                conf_high=hi,
                method=f"wild cluster bootstrap (WCR, Webb weights, B = {n_boot})",
            )
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    out.attrs["fit"] = fit
    return out


def clustered_ols(
    frame: pd.DataFrame,
    outcome: str,
    regressors: Sequence[str],
    cluster: str,
    *,
    terms: Sequence[str] | None = None,
    conf_level: float = 0.95,
    n_boot: int = 9999,
    seed: int = 20190101,
) -> pd.DataFrame:
    """OLS of ``outcome`` on a constant and ``regressors`` with inference clustered by the
    column ``cluster``: :func:`cluster_inference` on ``statsmodels.OLS``. Rows with a missing
    value in any used column are dropped. Returns the tidy table of :func:`cluster_inference`
    (terms default to ``regressors``; the constant is ``const``).

    Raises:
        ParameterError: a column missing, or as :func:`cluster_inference`.
    """
    import statsmodels.api as sm

    cols = [outcome, *regressors, cluster]
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ParameterError(f"columns not in the table: {missing}")
    sub = frame[cols].dropna()
    exog = sm.add_constant(sub[list(regressors)].astype(float), has_constant="add")
    model = sm.OLS(sub[outcome].astype(float), exog)
    return cluster_inference(
        model,
        sub[cluster].to_numpy(),
        terms=list(regressors) if terms is None else terms,
        conf_level=conf_level,
        n_boot=n_boot,
        seed=seed,
    )


# --------------------------------------------------------------------------------------------
# Proportions and bootstrapped measures
# --------------------------------------------------------------------------------------------
def cluster_proportion(
    flag: Any,
    clusters: Any,
    *,
    domain: Any = None,
    conf_level: float = 0.95,
) -> dict[str, Any]:
    """Share of records with ``flag == 1`` and its design-based interval for clustered records.

    Ratio estimator ``p = sum_g y_g / sum_g n_g`` (``y_g``: flagged records of cluster g, ``n_g``:
    its records) with the linearised between-cluster variance of a with-replacement sample of
    clusters (no finite-population correction), ``v(p) = G/(G-1) * sum_g (y_g - p n_g)^2 / N^2``:
    exactly the CR1 variance (:func:`cr1_vcov`, K = 1) of the intercept in an OLS of the flag
    on a constant, so the same rule and references apply (checked in tests).
    Interval ``p +- t_{G-1} sqrt(v)``, clipped to [0, 1]. With one record per cluster it
    reduces to ``p (1 - p) / (N - 1)``. Units: proportion (0..1).

    ``domain`` (optional 0/1 or boolean mask, same length): the share is estimated for the
    records of the domain (a group such as an income quintile) as a domain (subpopulation)
    estimate of the whole design: ``y_g`` and ``n_g`` count only domain records, but every
    cluster of the design counts in G, including clusters without domain records (the usual
    subpopulation estimate of survey practice; a group present in few villages then does not
    lose the design's degrees of freedom). Without it the whole table is the domain.

    Returns:
        ``share, std_error, ci_low, ci_high, n, count, n_clusters, method``.

    Raises:
        ParameterError: fewer than :data:`MIN_CLUSTERS` clusters (G named), a flag not 0/1,
            mismatched lengths or ``conf_level`` outside (0, 1).
    """
    _check_conf(conf_level)
    y = np.asarray(flag, dtype=float).ravel()
    if y.size == 0:
        raise ParameterError("proportion: no records")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ParameterError("proportion: the flag must be 0/1")
    codes, g = _codes(clusters, y.size)
    cluster_rule(g, linear=False)
    d = np.ones(y.size) if domain is None else np.asarray(domain, dtype=float).ravel()
    if d.shape != y.shape or not np.isin(d, (0.0, 1.0)).all():
        raise ParameterError("proportion: domain must be a 0/1 mask as long as the flag")
    n = int(d.sum())
    if n == 0:
        raise ParameterError("proportion: no records in the domain")
    y = y * d
    p = float(y.sum() / n)
    yg = np.bincount(codes, weights=y, minlength=g)
    ng = np.bincount(codes, weights=d, minlength=g)
    var = g / (g - 1) * float(np.sum((yg - p * ng) ** 2)) / n**2
    se = float(np.sqrt(var))
    half = float(stats.t.ppf(1 - (1 - conf_level) / 2, g - 1)) * se
    return {
        "share": p,
        "std_error": se,
        "ci_low": max(0.0, p - half),
        "ci_high": min(1.0, p + half),
        "n": n,
        "count": int(y.sum()),
        "n_clusters": g,
        "method": f"design-based (ratio estimator, clusters as PSUs), t({g - 1})",
    }


def cluster_bootstrap(
    stat_fn: Callable[[pd.DataFrame], float],
    data: pd.DataFrame,
    cluster: str,
    *,
    n_boot: int = MIN_BOOT,
    seed: int,
    conf_level: float = 0.95,
    strata: str | None = None,
) -> Any:
    """Cluster (village) bootstrap of a statistic, under the rule of this module.

    Checks the number of clusters (:func:`cluster_rule`) and ``n_boot >= 999``, then calls
    :func:`cases.methods.measures.bootstrap` (resampling whole clusters with replacement,
    percentile interval; Cameron, Gelbach and Miller 2008, sec. III, the pairs cluster
    bootstrap). Returns its :class:`~cases.methods.measures.BootstrapResult`.

    Raises:
        ParameterError: fewer than :data:`MIN_CLUSTERS` clusters (G named), ``n_boot < 999``,
            a non-integer seed, or ``cluster`` not a column.
    """
    from cases.methods import measures

    _check_conf(conf_level)
    _check_boot(n_boot, seed)
    if cluster not in data.columns:
        raise ParameterError(f"cluster column {cluster!r} not in the table")
    cluster_rule(n_clusters(data[cluster]), linear=False)
    return measures.bootstrap(
        stat_fn, data, n_boot=n_boot, seed=seed, ci=conf_level, cluster=cluster, strata=strata
    )


def cluster_share_bootstrap(
    flag: Any,
    weight: Any,
    clusters: Any,
    *,
    n_boot: int = MIN_BOOT,
    seed: int,
    conf_level: float = 0.95,
) -> Any:
    """Cluster bootstrap of a share ``sum(w * flag) / sum(w)``, vectorised.

    The same resampling of whole clusters as :func:`cluster_bootstrap` and the same draws for
    the same seed, computed from per-cluster totals: the share is the weighted headcount of
    :func:`cases.methods.measures.fgt_ci` with "income" ``1 - flag`` below the line 0.5
    (``alpha = 0``), so it reuses that vectorised bootstrap instead of a second one. Use it for
    targeting errors (inclusion: ``flag`` = not in need, ``weight`` = listed; exclusion:
    ``flag`` = not listed, ``weight`` = in need). Units: proportion (0..1). Returns the
    :class:`~cases.methods.measures.BootstrapResult`.

    Raises:
        ParameterError: fewer than :data:`MIN_CLUSTERS` clusters (G named), ``n_boot < 999``
            or a non-integer seed. MeasureInputError: flags or weights invalid.
    """
    from cases.methods import measures

    _check_conf(conf_level)
    _check_boot(n_boot, seed)
    f = np.asarray(flag, dtype=float).ravel()
    cl = np.asarray(clusters, dtype=object).ravel()
    cluster_rule(n_clusters(cl), linear=False)
    return measures.fgt_ci(
        1.0 - f, 0.5, 0, weights=weight, n_boot=n_boot, seed=seed, ci=conf_level, cluster=cl
    )


def require_cluster_bootstrap(clusters: Any, n_boot: int, seed: int) -> int:
    """Check a village bootstrap against the rule before running it, and return G.

    For callers of the vectorised bootstraps of :mod:`cases.methods.measures`
    (:func:`~cases.methods.measures.fgt_ci`, :func:`~cases.methods.measures.mpi_ci`) that
    resample the clusters themselves: at least :data:`MIN_BOOT` replicates, an integer seed and
    at least :data:`MIN_CLUSTERS` clusters.

    Raises:
        ParameterError: ``n_boot < 999``, a non-integer seed, a missing cluster label or fewer
            than 10 clusters (the number named).
    """
    _check_boot(n_boot, seed)
    g = n_clusters(clusters)
    cluster_rule(g, linear=False)
    return g
