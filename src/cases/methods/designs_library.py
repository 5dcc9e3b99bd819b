"""Reusable research designs for the case chapters' claims, declared for :mod:`cases.design`.

Each *block* is a family of designs (Blair, Cooper, Coppock and Humphreys 2019,
doi:10.1017/S0003055419000194): a frozen dataclass of its parameters on the base :class:`Block`
(which holds the world's size), whose method ``model`` draws a world, and module-level
functions for the other steps, so a design can be sent to worker processes. :func:`make_design`
builds one from a block name and keyword parameters (the per-case values live in
``data/settings/design.yaml``); :data:`BLOCKS` lists the blocks.

Every world is a set of ``n_villages`` villages of ``per_village`` sampled units (households, or
cadres in ``common_method`` with townships as the clusters). Outcomes are in standard-deviation
units of the outcome unless a block says otherwise, so effects are standardised effect sizes.
A village effect ``u_v ~ N(0, icc)`` and a unit effect with variance ``1 - icc`` give the
intracluster correlation ``icc``.

Inference rule (one for every block): ordinary least squares with cluster-robust standard errors
clustered by village (CR1: ``V = c (X'X)^-1 (sum_g X_g'u_g u_g'X_g) (X'X)^-1`` with
``c = G/(G-1) * (N-1)/(N-K)``; Cameron and Miller 2015, doi:10.3368/jhr.50.2.317) and
Student-t critical values with ``G - 1`` degrees of freedom (:func:`ols_cr1`); with few
clusters, the wild cluster bootstrap with Webb's six-point weights (:func:`wild_cluster`): the
p-value from the restricted bootstrap (null imposed, WCR), the interval from the unrestricted
bootstrap-t (WCU). A household-level test that ignores villages is shown only as the invalid
contrast.

Blocks:

- ``cluster_comparison``: a village-level exposure, household outcomes at baseline and endline;
  villages exposed at random or selected on their own level (``selection``).
- ``project_selection``: households select into a project on their stable level
  (``selection``) or on their own income path (``trend_selection``); endline comparison vs
  difference in differences.
- ``staggered_adoption``: villages adopt a reform in cohorts over ``n_years``; effects grow with
  years of exposure; adoption timing may follow village trends (``timing_selection``); TWFE vs
  Callaway-Sant'Anna on village-year means (:func:`cases.methods.panel.staggered_did`).
- ``targeting_gap``: who received support by pre-support income under equal village quotas;
  pooled vs within-village comparisons; income measured before or after support.
- ``common_method``: a self-reported exposure and a self-reported outcome that share a response
  style (common-method bias) vs an exposure taken from records.
- ``value_share``: the share of the value of assistance that came from enterprises and social
  organisations (ratio of values) vs the share of assistance records.
- ``fragmentation``: overlapping and missing assistance across departments for monitored
  households, from department rosters linked by ID number or by name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from cases.methods.design import Design, DesignError, tidy_estimate

__all__ = [
    "BLOCKS",
    "WEBB",
    "Block",
    "boundary",
    "expected_gap",
    "make_design",
    "ols_cr1",
    "t_power",
    "wild_cluster",
]

#: Webb's six-point weights (Webb 2013, "Reworking wild bootstrap based inference for clustered
#: errors", Queen's Economics Department Working Paper 1315), each with probability 1/6: mean 0,
#: variance 1.
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
#: Replicates of the wild cluster bootstrap inside a design (kept small: it runs per simulation).
WILD_REPS = 199
#: Seed of the wild bootstrap's weights (answer strategies are deterministic; see cases.design).
WILD_SEED = 20190601


# --------------------------------------------------------------------------------------------
# Inference helpers
# --------------------------------------------------------------------------------------------
def _cluster_sum(values: np.ndarray, cluster: np.ndarray, n_clusters: int) -> np.ndarray:
    """Sum the rows of ``values`` (n x ...) within clusters coded 0..G-1: G x ...."""
    out = np.zeros((n_clusters, *values.shape[1:]))
    np.add.at(out, cluster, values)
    return out


def ols_cr1(
    y: np.ndarray, x: np.ndarray, cluster: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS of ``y`` on the columns of ``x`` (include the constant yourself).

    Returns ``(beta, se, df)``. With ``cluster`` (codes 0..G-1): CR1 standard errors
    ``sqrt(diag(c (X'X)^-1 M (X'X)^-1))``, ``M = sum_g s_g s_g'``, ``s_g = sum_{i in g} x_i u_i``,
    ``c = G/(G-1) (N-1)/(N-K)``, and ``df = G - 1`` (Cameron and Miller 2015, "A practitioner's
    guide to cluster-robust inference", J. Human Resources 50(2): 317-372). With ``cluster``
    None: the classical ``s^2 (X'X)^-1`` with ``df = N - K`` (valid only for independent units).
    """
    n, k = x.shape
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ (x.T @ y)
    u = y - x @ beta
    if cluster is None:
        s2 = float(u @ u) / (n - k)
        return beta, np.sqrt(np.diag(xtx_inv) * s2), float(n - k)
    g = int(cluster.max()) + 1
    scores = _cluster_sum(x * u[:, None], cluster, g)
    c = g / (g - 1) * (n - 1) / (n - k)
    v = c * xtx_inv @ (scores.T @ scores) @ xtx_inv
    return beta, np.sqrt(np.diag(v)), float(g - 1)


def _boot_t(
    x: np.ndarray,
    fitted: np.ndarray,
    resid: np.ndarray,
    cluster: np.ndarray,
    weights: np.ndarray,
    j: int,
    centre: float,
) -> np.ndarray:
    """Bootstrap t statistics of coefficient ``j`` for ``y* = fitted + resid * w_g``."""
    n, k = x.shape
    g = weights.shape[0]
    xtx_inv = np.linalg.inv(x.T @ x)
    ystar = fitted[:, None] + resid[:, None] * weights[cluster]  # n x B
    bstar = xtx_inv @ (x.T @ ystar)  # k x B
    ustar = ystar - x @ bstar
    a = x @ xtx_inv[j]  # n: the influence of unit i on coefficient j
    contrib = _cluster_sum(a[:, None] * ustar, cluster, g)  # G x B
    c = g / (g - 1) * (n - 1) / (n - k)
    se = np.sqrt(c * (contrib**2).sum(axis=0))
    return (bstar[j] - centre) / se


def wild_cluster(
    y: np.ndarray,
    x: np.ndarray,
    cluster: np.ndarray,
    j: int,
    reps: int = WILD_REPS,
    seed: int = WILD_SEED,
    alpha: float = 0.05,
) -> tuple[float, float, float, float, float]:
    """Wild cluster bootstrap for coefficient ``j`` of the OLS of ``y`` on ``x``.

    Returns ``(estimate, cr1_se, p_value, conf_low, conf_high)``. The p-value is the restricted
    wild cluster bootstrap (WCR): the model is re-fitted without column ``j`` (the null
    ``beta_j = 0`` imposed), bootstrap outcomes ``y* = X_r b_r + u_r w_g`` take one Webb weight
    ``w_g`` per cluster, and ``p = share of |t*| >= |t|`` with t the CR1 t statistic. The
    interval is the unrestricted bootstrap-t (WCU): ``beta_j ± q se`` with q the ``1 - alpha``
    quantile of ``|t*|`` from ``y* = X b + u w_g``. (Cameron, Gelbach and Miller 2008, Review of
    Economics and Statistics 90(3): 414-427; MacKinnon and Webb 2018, "The wild bootstrap for few
    (treated) clusters", Econometrics Journal 21(2): 114-135; Webb's weights as in the
    ``wildboottest`` package.)
    """
    beta, se, _ = ols_cr1(y, x, cluster)
    g = int(cluster.max()) + 1
    rng = np.random.default_rng(seed)
    weights = WEBB[rng.integers(0, 6, size=(g, reps))]
    t_obs = beta[j] / se[j]
    keep = [c for c in range(x.shape[1]) if c != j]
    xr = x[:, keep]
    br = np.linalg.lstsq(xr, y, rcond=None)[0]
    fitted_r = xr @ br
    t_r = _boot_t(x, fitted_r, y - fitted_r, cluster, weights, j, 0.0)
    p = float(np.mean(np.abs(t_r) >= abs(t_obs)))
    fitted_u = x @ beta
    t_u = _boot_t(x, fitted_u, y - fitted_u, cluster, weights, j, beta[j])
    q = float(np.quantile(np.abs(t_u), 1 - alpha))
    return float(beta[j]), float(se[j]), p, float(beta[j] - q * se[j]), float(beta[j] + q * se[j])


def _row_cr1(
    name: str,
    estimand: str,
    y: np.ndarray,
    x: np.ndarray,
    cluster: np.ndarray,
    j: int = 1,
    null: float = 0.0,
    alternative: str = "two-sided",
) -> dict[str, Any]:
    beta, se, df = ols_cr1(y, x, cluster)
    return tidy_estimate(name, estimand, beta[j], se[j], df=df, null=null, alternative=alternative)


def _check_test(benchmark: float, alternative: str, wild: bool) -> None:
    """The wild cluster bootstrap here tests only ``= 0`` two-sided."""
    if alternative not in ("two-sided", "less", "greater"):
        raise DesignError(f"alternative must be two-sided, less or greater, got {alternative!r}")
    if wild and (alternative != "two-sided" or benchmark != 0):
        raise DesignError(
            "the wild cluster bootstrap of these designs tests effect = 0 two-sided only; "
            f"got benchmark {benchmark!r}, alternative {alternative!r}"
        )


def _row_naive(name: str, estimand: str, y: np.ndarray, x: np.ndarray, j: int = 1) -> dict:
    beta, se, df = ols_cr1(y, x, None)
    return tidy_estimate(name, estimand, beta[j], se[j], df=df)


def _row_wild(
    name: str, estimand: str, y: np.ndarray, x: np.ndarray, cluster: np.ndarray, j: int = 1
) -> dict[str, Any]:
    est, se, p, lo, hi = wild_cluster(y, x, cluster, j)
    return {
        "estimator": name,
        "estimand": estimand,
        "estimate": est,
        "std_error": se,
        "conf_low": lo,
        "conf_high": hi,
        "p_value": p,
    }


Fit = tuple[str, np.ndarray, np.ndarray]


def _village_rows(
    estimand: str,
    village: np.ndarray,
    cr1: list[Fit],
    naive: list[Fit] | None = None,
    wild: list[Fit] | None = None,
) -> list[dict[str, Any]]:
    """Answer rows for ``estimand``, each fit ``(estimator, y, x)`` testing coefficient 1: the
    ``cr1`` fits clustered by ``village`` (:func:`ols_cr1`), then the ``naive`` fits that ignore
    villages, then the ``wild`` fits by the wild cluster bootstrap (:func:`wild_cluster`)."""
    rows = [_row_cr1(name, estimand, y, x, village) for name, y, x in cr1]
    rows += [_row_naive(name, estimand, y, x) for name, y, x in naive or ()]
    rows += [_row_wild(name, estimand, y, x, village) for name, y, x in wild or ()]
    return rows


def _villages(
    rng: np.random.Generator, n_villages: int, per_village: int, icc: float
) -> tuple[np.ndarray, np.ndarray]:
    """Village codes of the units (0..V-1, ``per_village`` each) and the village effects."""
    village = np.repeat(np.arange(n_villages), per_village)
    return village, rng.normal(0.0, np.sqrt(icc), n_villages)


def _ranked_choice(score: np.ndarray, share: float) -> np.ndarray:
    """1 for the ``round(share * n)`` units with the highest ``score`` (at least 1, at most n-1)."""
    n = len(score)
    k = int(np.clip(round(share * n), 1, n - 1))
    out = np.zeros(n, dtype=int)
    out[np.argsort(-score, kind="stable")[:k]] = 1
    return out


def _logit_normal_mean(f: Callable[[np.ndarray], np.ndarray], base: float, sd: float) -> float:
    """``E[f(p)]`` for ``p = 1/(1 + exp(-(base + v)))``, ``v ~ N(0, sd^2)``: 60-point
    Gauss-Hermite quadrature (probabilists' weights)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    p = 1 / (1 + np.exp(-(base + sd * nodes)))
    return float(np.sum(weights * f(p)) / np.sqrt(2 * np.pi))


def _intercept(*columns: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(columns[0])), *columns])


# Names of estimators (they label table rows; the page's text describes them).
DIM_CR1 = "endline_difference_cr1"
DID_CR1 = "difference_in_differences_cr1"
DID_WILD = "difference_in_differences_wild"
DIM_WILD = "endline_difference_wild"
NAIVE_HH = "endline_difference_ignoring_villages"


# --------------------------------------------------------------------------------------------
# Blocks: their parameters, and one way to turn them into a design
# --------------------------------------------------------------------------------------------
#: Arguments of the steps that :func:`cases.design.simulate` passes itself.
_SIMULATION_ARGS = frozenset({"population", "rng", "sample"})


@dataclass(frozen=True)
class Block:
    """The parameters of a design block and its model: every world has ``n_villages`` clusters
    of ``per_village`` units. A subclass adds its own parameters (fields with defaults), its
    ``name``, its model (the method :meth:`model`, one world drawn with ``rng``) and its other
    three ``steps`` (inquiry, data strategy, answer strategy: module-level functions). Each step
    receives, by keyword, the fields and properties named in its signature, so the design is
    picklable and a block states only what differs."""

    n_villages: int
    per_village: int

    name: ClassVar[str]
    steps: ClassVar[tuple[Callable[..., Any], ...]]

    def _bind(self, step: Callable[..., Any]) -> Callable[..., Any]:
        names = [a for a in inspect.signature(step).parameters if a not in _SIMULATION_ARGS]
        if not names:
            return step
        return functools.partial(step, **{a: getattr(self, a) for a in names})

    def model(self, rng: np.random.Generator) -> pd.DataFrame:
        """One world of the block (a subclass defines it)."""
        raise NotImplementedError

    def design(self) -> Design:
        """The declared design (:class:`cases.design.Design`)."""
        inquiry, data, answer = (self._bind(s) for s in self.steps)
        return Design(self.model, inquiry, data, answer, name=self.name)


# --------------------------------------------------------------------------------------------
# Block: cluster_comparison
# --------------------------------------------------------------------------------------------


def cc_inquiry(population: pd.DataFrame) -> dict[str, float]:
    """The average effect of village exposure on the outcome: ``mean(y1 - y0)``."""
    return {"ate": float((population["y1"] - population["y0"]).mean())}


def cc_data(
    population: pd.DataFrame,
    rng: np.random.Generator,
    exposed_share: float,
    selection: float,
) -> pd.DataFrame:
    """Expose ``exposed_share`` of the villages: those with the highest
    ``selection * u_v / sd(u) + N(0, 1)`` (``selection = 0``: at random)."""
    u = population.groupby("village", sort=True)["u"].first().to_numpy()
    sd = u.std() if u.std() > 0 else 1.0
    z_v = _ranked_choice(selection * u / sd + rng.normal(size=len(u)), exposed_share)
    z = z_v[population["village"].to_numpy()]
    y = np.where(z == 1, population["y1"], population["y0"])
    return pd.DataFrame(
        {"village": population["village"], "z": z, "y": y, "y_pre": population["y_pre"]}
    )


def cc_answer(sample: pd.DataFrame, wild: bool) -> list[dict[str, Any]]:
    """Endline difference (CR1), difference in differences (CR1), the household-level test that
    ignores villages, and with ``wild`` both comparisons by the wild cluster bootstrap."""
    village = sample["village"].to_numpy()
    y, z, pre = (sample[c].to_numpy(float) for c in ("y", "z", "y_pre"))
    x = _intercept(z)
    return _village_rows(
        "ate",
        village,
        cr1=[(DIM_CR1, y, x), (DID_CR1, y - pre, x)],
        naive=[(NAIVE_HH, y, x)],
        wild=[(DIM_WILD, y, x), (DID_WILD, y - pre, x)] if wild else None,
    )


@dataclass(frozen=True)
class ClusterComparison(Block):
    """A village-level exposure compared across villages (see the module docstring)."""

    icc: float = 0.1
    effect: float = 0.3
    stable: float = 0.5
    exposed_share: float = 0.5
    selection: float = 0.0
    wild: bool = False

    name = "cluster_comparison"
    steps = (cc_inquiry, cc_data, cc_answer)

    def model(self, rng: np.random.Generator) -> pd.DataFrame:
        """Households in villages; ``y_pre = u_v + a_i + e_pre``, ``y0 = u_v + a_i + e_post``,
        ``y1 = y0 + effect``; ``a_i`` carries the share ``stable`` of the household variance
        ``1 - icc`` (so baseline and endline correlate), the rest is fresh noise each round."""
        village, u = _villages(rng, self.n_villages, self.per_village, self.icc)
        n = len(village)
        a = rng.normal(0.0, np.sqrt((1 - self.icc) * self.stable), n)
        noise = np.sqrt((1 - self.icc) * (1 - self.stable))
        y_pre = u[village] + a + rng.normal(0.0, noise, n)
        y0 = u[village] + a + rng.normal(0.0, noise, n)
        return pd.DataFrame(
            {"village": village, "u": u[village], "y_pre": y_pre, "y0": y0, "y1": y0 + self.effect}
        )


# --------------------------------------------------------------------------------------------
# Block: project_selection
# --------------------------------------------------------------------------------------------


def ps_inquiry(population: pd.DataFrame) -> dict[str, float]:
    """The effect on participants (ATT): mean gain of the households that joined."""
    return {"att": float(population.loc[population["d"] == 1, "gain"].mean())}


def ps_data(population: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The survey records every sampled household at baseline and endline (no further draws)."""
    return population


def ps_answer(
    sample: pd.DataFrame, wild: bool, benchmark: float, alternative: str
) -> list[dict[str, Any]]:
    """Participants vs others at endline and the difference in differences (baseline to
    endline), both village-clustered (CR1) and tested against ``benchmark`` with
    ``alternative`` (:func:`cases.design.tidy_estimate`; ``"less"``: H0 effect >= benchmark,
    a claimed shortfall); with ``wild`` the DiD by the wild cluster bootstrap too (two-sided
    against 0 only)."""
    _check_test(benchmark, alternative, wild)
    village = sample["village"].to_numpy()
    d, pre, post = (sample[c].to_numpy(float) for c in ("d", "y_pre", "y_post"))
    x = _intercept(d)
    rows = [
        _row_cr1(name, "att", y, x, village, null=benchmark, alternative=alternative)
        for name, y in ((DIM_CR1, post), (DID_CR1, post - pre))
    ]
    if wild:
        rows.append(_row_wild(DID_WILD, "att", post - pre, x, village))
    return rows


@dataclass(frozen=True)
class ProjectSelection(Block):
    """Households selecting into a project (see the module docstring)."""

    icc: float = 0.1
    effect: float = 0.3
    effect_sd: float = 0.2
    stable: float = 0.6
    take_up: float = 0.3
    selection: float = 0.0
    trend_sd: float = 0.0
    trend_selection: float = 0.0
    wild: bool = False
    #: The value the effect is tested against, and the test's alternative (a claimed shortfall:
    #: ``"less"``, H0 effect >= benchmark).
    benchmark: float = 0.0
    alternative: str = "two-sided"

    name = "project_selection"
    steps = (ps_inquiry, ps_data, ps_answer)

    def model(self, rng: np.random.Generator) -> pd.DataFrame:
        """Households with a stable level ``a_i``, an own income path ``s_i ~ N(0, trend_sd)``
        (change from baseline to endline without the project) and an own gain
        ``effect + effect_sd * g_i`` (``g_i ~ N(0, 1)``); a share ``take_up`` joins: those with
        the highest ``selection * a_i/sd(a) + trend_selection * s_i/trend_sd + N(0, 1)``. Baseline
        ``y_pre = u_v + a_i + e_pre``; endline ``y_post = u_v + a_i + s_i + e_post + d_i * gain_i``
        (the household variance ``1 - icc`` split as in :meth:`ClusterComparison.model`)."""
        village, u = _villages(rng, self.n_villages, self.per_village, self.icc)
        n = len(village)
        a_sd = np.sqrt((1 - self.icc) * self.stable)
        a = rng.normal(0.0, a_sd, n)
        noise = np.sqrt((1 - self.icc) * (1 - self.stable))
        g = rng.normal(size=n)
        path = rng.normal(0.0, self.trend_sd, n) if self.trend_sd > 0 else np.zeros(n)
        gain = self.effect + self.effect_sd * g
        score = self.selection * a / max(a_sd, 1e-12) + rng.normal(size=n)
        if self.trend_sd > 0:
            score = score + self.trend_selection * path / self.trend_sd
        d = _ranked_choice(score, self.take_up)
        y_pre = u[village] + a + rng.normal(0.0, noise, n)
        y_post = u[village] + a + path + rng.normal(0.0, noise, n) + d * gain
        return pd.DataFrame(
            {"village": village, "d": d, "gain": gain, "y_pre": y_pre, "y_post": y_post}
        )

    def boundary(self) -> dict[str, float]:
        """Parameters that put the true effect exactly at the benchmark (the null's edge)."""
        return {"effect": self.benchmark}


# --------------------------------------------------------------------------------------------
# Block: staggered_adoption
# --------------------------------------------------------------------------------------------
TWFE = "twfe_cr1"
CS = "callaway_santanna"


def sa_inquiry(population: pd.DataFrame) -> dict[str, float]:
    """The average effect over adopted village-years (the 'simple' ATT of Callaway and
    Sant'Anna 2021)."""
    return {"att": float(population.loc[population["d"] == 1, "tau"].mean())}


def _twfe_cr1(df: pd.DataFrame) -> dict[str, Any]:
    """Two-way fixed effects on a balanced village-year panel: the coefficient of ``d`` after
    two-way demeaning (``x - x_i. - x_.t + x_..``), CR1 errors clustered by village with
    ``G - 1`` degrees of freedom (the degrees of freedom of the fixed effects enter ``c``)."""
    v = df["village"].to_numpy()
    t = df["year"].to_numpy() - 1
    nv, nt = v.max() + 1, t.max() + 1

    def demean(a: np.ndarray) -> np.ndarray:
        m = np.zeros((nv, nt))
        m[v, t] = a
        return (m - m.mean(1, keepdims=True) - m.mean(0, keepdims=True) + m.mean())[v, t]

    yd, dd = demean(df["y"].to_numpy(float)), demean(df["d"].to_numpy(float))
    beta = float(dd @ yd / (dd @ dd))
    u = yd - beta * dd
    s = np.bincount(v, weights=dd * u, minlength=nv)
    n, k = len(yd), 1 + (nv - 1) + (nt - 1) + 1
    c = nv / (nv - 1) * (n - 1) / (n - k)
    se = float(np.sqrt(c * (s @ s)) / (dd @ dd))
    return tidy_estimate(TWFE, "att", beta, se, df=nv - 1)


def sa_answer(sample: pd.DataFrame) -> list[dict[str, Any]]:
    """TWFE (CR1 by village) and Callaway-Sant'Anna (never-treated comparison, analytic
    influence-function errors by village; :func:`cases.methods.panel.staggered_did`)."""
    from cases.methods.panel import staggered_did

    rows = [_twfe_cr1(sample)]
    res = staggered_did(sample, "y", "village", "year", "g")
    simple = res.simple.iloc[0]
    rows.append(tidy_estimate(CS, "att", float(simple["att"]), float(simple["se"])))
    return rows


@dataclass(frozen=True)
class StaggeredAdoption(Block):
    """Villages adopting a reform in cohorts (see the module docstring)."""

    n_years: int = 6
    cohorts: tuple[int, ...] = (3, 4, 5)
    never_share: float = 0.3
    icc: float = 0.1
    effect: float = 0.1
    growth: float = 0.1
    trend_sd: float = 0.05
    timing_selection: float = 0.0

    name = "staggered_adoption"
    steps = (sa_inquiry, ps_data, sa_answer)

    def model(self, rng: np.random.Generator) -> pd.DataFrame:
        """Village-year means of ``per_village`` households over years 1..n_years.

        Each village has an effect ``u_v``, a linear trend ``b_v ~ N(0, trend_sd)`` per year and an
        adoption year ``G_v`` (0 = never): a share ``never_share`` never adopts, the others fall
        in ``cohorts`` in equal numbers, ordered at random (``timing_selection = 0``) or, as it
        grows, by their trend (steeper trends adopt earlier). The effect in year t of a village
        that adopted in G is ``effect + growth * (t - G)`` for t >= G (effects grow with
        exposure). The village-year mean has sampling noise of variance
        ``(1 - icc) / per_village``."""
        years = np.arange(1, self.n_years + 1)
        u = rng.normal(0.0, np.sqrt(self.icc), self.n_villages)
        b = rng.normal(0.0, self.trend_sd, self.n_villages)
        n_never = round(self.never_share * self.n_villages)
        order = np.argsort(
            -(self.timing_selection * b / max(self.trend_sd, 1e-12))
            - rng.normal(size=self.n_villages)
        )
        g = np.zeros(self.n_villages, dtype=int)
        adopters = order[: self.n_villages - n_never]
        g[adopters] = np.array(self.cohorts)[
            np.arange(len(adopters)) * len(self.cohorts) // len(adopters)
        ]
        vv, tt = np.meshgrid(np.arange(self.n_villages), years, indexing="ij")
        vv, tt = vv.ravel(), tt.ravel()
        gg = g[vv]
        treated = (gg > 0) & (tt >= gg)
        tau = np.where(treated, self.effect + self.growth * (tt - gg), 0.0)
        y0 = (
            u[vv]
            + b[vv] * (tt - 1)
            + 0.05 * tt
            + rng.normal(0, np.sqrt((1 - self.icc) / self.per_village), len(vv))
        )
        return pd.DataFrame(
            {
                "village": vv,
                "year": tt,
                "g": gg,
                "d": treated.astype(int),
                "tau": tau,
                "y": y0 + tau,
            }
        )

    def __post_init__(self) -> None:
        object.__setattr__(self, "cohorts", tuple(self.cohorts))


# --------------------------------------------------------------------------------------------
# Block: targeting_gap
# --------------------------------------------------------------------------------------------
POOLED = "pooled_halves_cr1"
WITHIN_PRE = "within_village_pre_support_income_cr1"
WITHIN_POST = "within_village_survey_income_cr1"


def _within_upper_half(values: np.ndarray, village: np.ndarray, per_village: int) -> np.ndarray:
    """1 for units above their village's median of ``values`` (villages of equal size)."""
    m = values.reshape(-1, per_village)
    rank = m.argsort(axis=1).argsort(axis=1)
    return (rank >= per_village // 2).astype(int).ravel()


def tg_inquiry(population: pd.DataFrame, truth: float) -> dict[str, float]:
    """The capture gap: the probability of support in the better-off half of a village minus
    that in the poorer half (by pre-support income); a superpopulation value computed once by
    :func:`expected_gap`."""
    return {"gap": truth}


@functools.lru_cache(maxsize=64)
def expected_gap(per_village: int, quota: float, capture: float, villages: int = 20_000) -> float:
    """The superpopulation capture gap of :meth:`TargetingGap.model`, by one large simulation
    with a fixed seed (``villages`` villages; Monte Carlo SE about
    ``0.5 / sqrt(villages * per_village)``). It does not depend on ``icc`` or ``uplift``:
    halves and quotas are within villages."""
    rng = np.random.default_rng(20190601)
    pop = TargetingGap(villages, per_village, icc=0.0, quota=quota, capture=capture).model(rng)
    s = pop["support"].to_numpy(float)
    up = pop["upper"].to_numpy(bool)
    return float(s[up].mean() - s[~up].mean())


def tg_answer(sample: pd.DataFrame, per_village: int) -> list[dict[str, Any]]:
    """Support (0/1) regressed on an upper-half indicator, CR1 by village: halves by the
    county-wide median of pre-support income (pooled); halves within each village by pre-support
    income (from the register or recall); halves within each village by income at the survey."""
    village = sample["village"].to_numpy()
    s = sample["support"].to_numpy(float)
    pre = sample["income_pre"].to_numpy(float)
    pooled = (pre > np.median(pre)).astype(float)
    within_post = _within_upper_half(
        sample["income_survey"].to_numpy(float), village, per_village
    ).astype(float)
    return [
        _row_cr1(POOLED, "gap", s, _intercept(pooled), village),
        _row_cr1(WITHIN_PRE, "gap", s, _intercept(sample["upper"].to_numpy(float)), village),
        _row_cr1(WITHIN_POST, "gap", s, _intercept(within_post), village),
    ]


@dataclass(frozen=True)
class TargetingGap(Block):
    """Who received support by income, under equal village quotas (module docstring)."""

    icc: float = 0.2
    quota: float = 0.3
    capture: float = 0.3
    uplift: float = 0.0

    name = "targeting_gap"
    steps = (tg_inquiry, ps_data, tg_answer)

    def model(self, rng: np.random.Generator) -> pd.DataFrame:
        """Households with log income ``u_v + e_i`` (village share of variance ``icc``). Each
        village gives support to the same share ``quota`` of its households (an equal quota):
        those with the highest ``capture * z_i + N(0, 1)``, z_i the household's income
        standardised within its village (``capture > 0``: the better-off get more; ``< 0``: the
        poorer do). Support raises income by ``uplift`` (log points) before the survey."""
        village, u = _villages(rng, self.n_villages, self.per_village, self.icc)
        e = rng.normal(0.0, np.sqrt(1 - self.icc), len(village))
        income = u[village] + e
        m = e.reshape(self.n_villages, self.per_village)
        z = ((m - m.mean(1, keepdims=True)) / m.std(1, keepdims=True)).ravel()
        score = (self.capture * z + rng.normal(size=len(z))).reshape(
            self.n_villages, self.per_village
        )
        k = max(1, round(self.quota * self.per_village))
        rank = (-score).argsort(axis=1).argsort(axis=1)
        support = (rank < k).astype(int).ravel()
        upper = _within_upper_half(income, village, self.per_village)
        return pd.DataFrame(
            {
                "village": village,
                "income_pre": income,
                "income_survey": income + self.uplift * support,
                "support": support,
                "upper": upper,
            }
        )

    def __post_init__(self) -> None:
        if self.per_village % 2:
            raise DesignError("targeting_gap needs an even number of households per village")

    @property
    def truth(self) -> float:
        """The superpopulation capture gap (:func:`expected_gap`)."""
        return expected_gap(self.per_village, self.quota, self.capture)


# --------------------------------------------------------------------------------------------
# Block: common_method
# --------------------------------------------------------------------------------------------
SELF_SELF = "self_report_both_cr1"
RECORD_SELF = "records_exposure_cr1"
RECORD_SELF_WILD = "records_exposure_wild"


def cm_inquiry(population: pd.DataFrame, effect: float) -> dict[str, float]:
    """The slope of the outcome on the true exposure (``effect``, SD units per SD)."""
    return {"slope": float(effect)}


def cm_answer(sample: pd.DataFrame, wild: bool) -> list[dict[str, Any]]:
    """The self-reported outcome on the self-reported exposure, and on the recorded exposure
    (with ``wild``, the latter by the wild cluster bootstrap too); CR1 by village."""
    village = sample["village"].to_numpy()
    y = sample["y_self"].to_numpy(float)
    x_self, x_record = (_intercept(sample[c].to_numpy(float)) for c in ("x_self", "x_record"))
    cr1 = [(SELF_SELF, y, x_self), (RECORD_SELF, y, x_record)]
    return _village_rows(
        "slope", village, cr1, wild=[(RECORD_SELF_WILD, y, x_record)] if wild else None
    )


@dataclass(frozen=True)
class CommonMethod(Block):
    """A self-reported outcome on a self-reported or recorded exposure (module docstring)."""

    icc: float = 0.1
    effect: float = 0.2
    style_sd: float = 0.5
    report_noise: float = 0.2
    wild: bool = False

    name = "common_method"
    steps = (cm_inquiry, ps_data, cm_answer)

    def model(self, rng: np.random.Generator) -> pd.DataFrame:
        """Units with a true exposure ``x ~ N(0, 1)`` (e.g. contacts with officials) and an outcome
        ``y = u_v + effect * x + e`` (SD units). Self-reports add a respondent's response style
        ``r ~ N(0, style_sd)`` to both the reported exposure and the reported outcome, plus
        reporting noise ``N(0, report_noise)`` to the exposure; records (e.g. a contact ledger) hold
        the true exposure."""
        village, u = _villages(rng, self.n_villages, self.per_village, self.icc)
        n = len(village)
        x = rng.normal(size=n)
        y = (
            u[village]
            + self.effect * x
            + rng.normal(0.0, np.sqrt(max(1 - self.icc - self.effect**2, 0.05)), n)
        )
        r = rng.normal(0.0, self.style_sd, n)
        return pd.DataFrame(
            {
                "village": village,
                "x_true": x,
                "x_self": x + r + rng.normal(0.0, self.report_noise, n),
                "x_record": x,
                "y_self": y + r,
            }
        )


# --------------------------------------------------------------------------------------------
# Block: value_share
# --------------------------------------------------------------------------------------------
VALUE_RATIO = "value_ratio_cr1"
RECORD_SHARE = "record_share_cr1"


def vs_inquiry(population: pd.DataFrame, benchmark: float, expected_share: float) -> dict:
    """The gap between the non-government share of the value of assistance and ``benchmark``
    (the superpopulation share ``expected_share`` minus the benchmark; units: share)."""
    return {"share_gap": float(expected_share - benchmark)}


def _ratio_cr1(num: np.ndarray, den: np.ndarray, village: np.ndarray) -> tuple[float, float, float]:
    """Ratio of totals ``R = sum num / sum den`` with a linearised village-cluster variance:
    ``z_i = (num_i - R den_i) / mean(den)``, ``var(R) = G/(G-1) sum_g (sum_{i in g} z_i)^2 / N^2``
    (the linearised, Taylor-series variance of a ratio of totals with the CR1 factor),
    ``df = G - 1``."""
    r = float(num.sum() / den.sum())
    z = (num - r * den) / den.mean()
    g = int(village.max()) + 1
    s = np.bincount(village, weights=z, minlength=g)
    se = float(np.sqrt(g / (g - 1) * (s @ s)) / len(z))
    return r, se, float(g - 1)


def vs_answer(sample: pd.DataFrame, alternative: str) -> list[dict[str, Any]]:
    """The value share (ratio of yuan) and the record share (ratio of counts), each minus the
    benchmark, with linearised village-cluster errors, tested against 0 with ``alternative``
    (``"less"``: H0 share >= benchmark, the claim that contributions fell short)."""
    village = sample["village"].to_numpy()
    b = float(sample["benchmark"].iloc[0])
    rows = []
    for name, num, den in (
        (VALUE_RATIO, "value_nongov", "value"),
        (RECORD_SHARE, "records_nongov", "records"),
    ):
        r, se, df = _ratio_cr1(sample[num].to_numpy(float), sample[den].to_numpy(float), village)
        rows.append(tidy_estimate(name, "share_gap", r - b, se, df=df, alternative=alternative))
    return rows


@dataclass(frozen=True)
class ValueShare(Block):
    """The non-government share of the value of assistance vs a benchmark (module docstring)."""

    records_mean: float = 3.0
    nongov_share_records: float = 0.3
    value_ratio: float = 0.5
    value_sigma: float = 1.0
    village_sd: float = 0.5
    benchmark: float = 0.25
    alternative: str = "two-sided"

    name = "value_share"
    steps = (vs_inquiry, ps_data, vs_answer)

    def model(self, rng: np.random.Generator) -> pd.DataFrame:
        """Assistance records of households: Poisson(``records_mean``) per household; a record comes
        from an enterprise or social organisation with probability ``nongov_share_records`` (on the
        logit scale, shifted by a village effect of SD ``village_sd``); values are lognormal (log-SD
        ``value_sigma``), with non-government records worth ``value_ratio`` times government ones
        on average. Returns one row per household with its totals."""
        n_hh = self.n_villages * self.per_village
        village = np.repeat(np.arange(self.n_villages), self.per_village)
        logit = np.log(self.nongov_share_records / (1 - self.nongov_share_records))
        p_v = 1 / (1 + np.exp(-(logit + rng.normal(0, self.village_sd, self.n_villages))))
        k = rng.poisson(self.records_mean, n_hh)
        owner = np.repeat(np.arange(n_hh), k)
        nongov = rng.random(len(owner)) < p_v[village[owner]]
        mu = -(self.value_sigma**2) / 2
        value = np.exp(rng.normal(mu, self.value_sigma, len(owner))) * np.where(
            nongov, self.value_ratio, 1.0
        )
        return pd.DataFrame(
            {
                "village": village,
                "records": np.bincount(owner, minlength=n_hh),
                "records_nongov": np.bincount(owner, weights=nongov, minlength=n_hh),
                "value": np.bincount(owner, weights=value, minlength=n_hh),
                "value_nongov": np.bincount(owner, weights=value * nongov, minlength=n_hh),
                "benchmark": self.benchmark,
            }
        )

    @property
    def expected_share(self) -> float:
        """The superpopulation share ``r P / (r P + 1 - P)``, with r the value ratio and
        ``P = E[p_v]`` the mean record share over villages (the logit-normal mean, by
        Gauss-Hermite quadrature): record counts and values are independent of each other, so
        expected non-government value per household is ``records_mean P r`` against
        ``records_mean (1 - P)`` from government."""
        base = np.log(self.nongov_share_records / (1 - self.nongov_share_records))
        p = _logit_normal_mean(lambda q: q, base, self.village_sd)
        r = self.value_ratio
        return p * r / (p * r + 1 - p)

    def boundary(self) -> dict[str, float]:
        """Parameters that put the benchmark exactly at the true share (the null's edge)."""
        return {"benchmark": self.expected_share}


# --------------------------------------------------------------------------------------------
# Block: fragmentation
# --------------------------------------------------------------------------------------------
GAP_ID = "missing_rate_id_linked_cr1"
GAP_NAME = "missing_rate_name_linked_cr1"
OVERLAP_ID = "overlap_rate_id_linked_cr1"
OVERLAP_NAME = "overlap_rate_name_linked_cr1"


def fr_inquiry(population: pd.DataFrame, truth: tuple[float, float]) -> dict[str, float]:
    """The township's missing rate minus the benchmark and its overlap rate (superpopulation
    values computed by :func:`fragmentation`)."""
    return {"missing_gap": truth[0], "overlap": truth[1]}


def fr_answer(sample: pd.DataFrame, benchmark: float, alternative: str) -> list[dict[str, Any]]:
    """Village-clustered means (intercept-only OLS, CR1) of the missing rate (minus the
    benchmark, tested against 0 with ``alternative``; ``"greater"``: H0 missing rate <=
    benchmark) and the overlap rate (two-sided against 0), from ID-linked and from name-linked
    rosters."""
    village = sample["village"].to_numpy()
    one = np.ones((len(sample), 1))
    rows = []
    for name, col, estimand, shift, alt in (
        (GAP_ID, "missing", "missing_gap", benchmark, alternative),
        (GAP_NAME, "missing_name", "missing_gap", benchmark, alternative),
        (OVERLAP_ID, "overlap", "overlap", 0.0, "two-sided"),
        (OVERLAP_NAME, "overlap_name", "overlap", 0.0, "two-sided"),
    ):
        y = sample[col].to_numpy(float) - shift
        rows.append(_row_cr1(name, estimand, y, one, village, j=0, alternative=alt))
    return rows


@dataclass(frozen=True)
class Fragmentation(Block):
    """Overlapping and missing assistance across departments (module docstring)."""

    departments: int = 3
    cover: float = 0.35
    village_sd: float = 0.5
    link_error: float = 0.0
    benchmark: float = 0.2
    alternative: str = "two-sided"

    name = "fragmentation"
    steps = (fr_inquiry, ps_data, fr_answer)

    def model(self, rng: np.random.Generator) -> pd.DataFrame:
        """Monitored households, each in need of one kind of help that ``departments`` departments
        may each give: each department covers a household with probability ``cover`` (logit shifted
        by a village effect of SD ``village_sd``). Missing: no department helps; overlapping: two or
        more help. Linking rosters by name misses each true match with probability ``link_error``
        (name variants), so name-linked counts are lower."""
        village = np.repeat(np.arange(self.n_villages), self.per_village)
        n = len(village)
        logit = (
            np.log(self.cover / (1 - self.cover))
            + rng.normal(0, self.village_sd, self.n_villages)[village]
        )
        p = 1 / (1 + np.exp(-logit))
        helped = rng.random((n, self.departments)) < p[:, None]
        found = helped & (rng.random((n, self.departments)) >= self.link_error)
        k_true, k_name = helped.sum(1), found.sum(1)
        return pd.DataFrame(
            {
                "village": village,
                "missing": (k_true == 0).astype(int),
                "overlap": (k_true >= 2).astype(int),
                "missing_name": (k_name == 0).astype(int),
                "overlap_name": (k_name >= 2).astype(int),
            }
        )

    @property
    def truth(self) -> tuple[float, float]:
        """Superpopulation estimands, over the distribution of village effects: with D
        departments each helping with probability p_v, ``missing = E[(1 - p_v)^D]`` (minus the
        benchmark) and ``overlap = 1 - E[(1 - p_v)^D] - D E[p_v (1 - p_v)^(D-1)]``
        (Gauss-Hermite quadrature)."""
        base = np.log(self.cover / (1 - self.cover))
        d = self.departments
        missing = _logit_normal_mean(lambda q: (1 - q) ** d, base, self.village_sd)
        one = _logit_normal_mean(lambda q: d * q * (1 - q) ** (d - 1), base, self.village_sd)
        return (missing - self.benchmark, 1 - missing - one)

    def boundary(self) -> dict[str, float]:
        """Parameters that put the benchmark exactly at the true missing rate (the null's
        edge)."""
        return {"benchmark": self.truth[0] + self.benchmark}


#: Block name -> its parameters ``(n_villages, per_village, **parameters)``; ``.design()`` of
#: an instance is the design.
BLOCKS: dict[str, type[Block]] = {
    b.name: b
    for b in (
        ClusterComparison,
        ProjectSelection,
        StaggeredAdoption,
        TargetingGap,
        CommonMethod,
        ValueShare,
        Fragmentation,
    )
}


def boundary(block: str, **parameters: Any) -> dict[str, float]:
    """Overrides of ``parameters`` that put the tested quantity of ``block`` exactly at its
    benchmark (the edge of a one-sided null, where a valid test rejects in at most ``alpha``
    of simulations).

    Raises:
        DesignError: an unknown block, a bad parameter, or a block without a benchmark.
    """
    if block not in BLOCKS:
        raise DesignError(f"unknown design block {block!r}; blocks: {sorted(BLOCKS)}")
    try:
        instance = BLOCKS[block](**parameters)
    except TypeError as exc:
        raise DesignError(f"design block {block!r}: {exc}") from None
    if not hasattr(instance, "boundary"):
        raise DesignError(f"design block {block!r} tests no benchmark")
    return instance.boundary()


def make_design(block: str, **parameters: Any) -> Design:
    """The design of ``block`` (a key of :data:`BLOCKS`) with ``parameters``.

    Raises:
        DesignError: an unknown block or a parameter the block does not take.
    """
    if block not in BLOCKS:
        raise DesignError(f"unknown design block {block!r}; blocks: {sorted(BLOCKS)}")
    try:
        return BLOCKS[block](**parameters).design()
    except TypeError as exc:
        raise DesignError(f"design block {block!r}: {exc}") from None


def t_power(effect: float, se: float, df: float, alpha: float = 0.05) -> float:
    """Power of a two-sided t test of ``effect / se`` with ``df`` degrees of freedom:
    ``P(|T| > t_{1-alpha/2, df})`` for T noncentral t with noncentrality ``effect / se``."""
    q = stats.t.ppf(1 - alpha / 2, df)
    ncp = effect / se
    return float(stats.nct.sf(q, df, ncp) + stats.nct.cdf(-q, df, ncp))
