"""Sensitivity of event studies to violations of parallel trends (Rambachan and Roth 2023).

Pre-trend tests are weak: a joint test that the pre-period coefficients are zero often cannot
reject violations large enough to explain the whole post-period estimate, and conditioning on
passing it distorts later inference (Roth 2022, "Pretest with caution: event-study estimates
after testing for parallel trends", American Economic Review: Insights 4(3), 305-322,
doi:10.1257/aeri.20210236). Rambachan and Roth (2023, "A more credible approach to parallel
trends", Review of Economic Studies 90(5), 2555-2591, doi:10.1093/restud/rdad018) instead bound
how different the post-period violations can be from the pre-period ones and report confidence
sets that are valid under that bound.

This module implements their **relative-magnitudes** restriction

    Delta^RM(Mbar) = {delta : max_{t >= 0} |delta_{t+1} - delta_t|
                               <= Mbar * max_{s < 0} |delta_{s+1} - delta_s|},

with the event-study coefficient vector ``beta = (beta_pre, beta_post) = delta + (0, tau_post)``,
``delta_0 = 0`` at the reference period (event time -1), and a scalar target
``theta = l' tau_post`` (the first post-period effect, ``l = e_1``, or the average of the post
effects, ``l = (1/T, ..., 1/T)``). Units of ``theta`` and of every bound are those of the
event-study coefficients; ``Mbar`` is unitless (a ratio of per-period trend changes).

The confidence set is the union over the period s of the largest pre-period change and its
sign of the conditional-least-favourable hybrid tests of Andrews, Roth and Pakes ("Inference
for linear conditional moment inequalities", Review of Economic Studies 2023; arXiv:1909.10062),
as in the authors' HonestDiD package ("C-LF", the default for Delta^RM). The
**breakdown value** is the largest Mbar at which the robust confidence set still excludes zero:
post-period violations up to Mbar times the largest pre-period one cannot explain the effect.

Implementation notes (own code): for a fixed (s, sign) the restriction is a polyhedron
``A delta <= 0``. Testing ``theta = theta0`` amounts to testing whether some nuisance
``gamma`` (the other directions of ``tau_post``) satisfies ``E[y - X gamma] <= 0`` with
``y = A beta - A_post Gamma^-1 e_1 theta0``. The statistic is the linear programme
``eta = min {eta : y - X gamma <= eta * sd(y)}``, whose dual optimum is the largest of
``v'y`` over the vertices v of ``{lambda >= 0, lambda' sd = 1, lambda' X = 0}``; the vertices
are enumerated once, so the statistic, the least-favourable critical value (simulated) and the
conditioning bounds of the conditional test (the range of ``v*'y`` over which the same vertex
stays optimal, holding the part of y orthogonal to it fixed) are exact and vectorised.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cases.core.errors import ParameterError

__all__ = [
    "HonestResult",
    "breakdown_mbar",
    "event_study_sensitivity",
    "original_ci",
    "relative_magnitudes_ci",
    "sensitivity",
    "staggered_sensitivity",
]

#: Largest number of candidate bases (subsets of moment rows) enumerated for one polyhedron.
MAX_BASES = 250_000


@dataclass
class HonestResult:
    """Relative-magnitudes sensitivity of one target parameter ``theta = l' tau_post``.

    ``table`` has one row per Mbar (``mbar``, ``lb``, ``ub``, ``excludes_zero``); ``original``
    is the usual (parallel-trends) interval ``(lb, ub)``; ``breakdown`` the largest Mbar at which
    the robust interval excludes zero (0.0 if even Mbar = 0 does not; ``nan`` if the original
    interval already contains zero); ``estimate`` is ``l' beta_post``; ``target`` names it.
    """

    target: str
    estimate: float
    original: tuple[float, float]
    table: pd.DataFrame
    breakdown: float
    alpha: float
    l_vec: np.ndarray


# --------------------------------------------------------------------------------------------
# Polyhedra of Delta^RM
# --------------------------------------------------------------------------------------------
def _rm_constraints(n_pre: int, n_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """Rows of ``A`` with ``A delta <= 0`` iff delta is in Delta^RM_{s,sign}(Mbar).

    ``delta`` excludes the reference period (delta_0 = 0); ``s`` indexes the pre-period first
    difference that is largest in absolute value (0 .. n_pre-1 for the changes ending at event
    times -n_pre+1 .. 0), with the given sign. Rows: ``|d_r| <= d_s`` for every pre-period
    difference r and ``|d_t| <= Mbar d_s`` for every post-period difference t.
    """
    n = n_pre + n_post + 1  # with the reference period
    diff = np.zeros((n - 1, n))
    for r in range(n - 1):
        diff[r, r], diff[r, r + 1] = -1.0, 1.0
    vmax = np.zeros(n)
    vmax[s], vmax[s + 1] = -1.0, 1.0
    if not positive:
        vmax = -vmax
    bound = np.vstack([np.tile(vmax, (n_pre, 1)), np.tile(mbar * vmax, (n_post, 1))])
    a = np.vstack([diff - bound, -diff - bound])
    a = a[(a**2).sum(axis=1) > 1e-10]
    return np.delete(a, n_pre, axis=1)


# Gamma^-1 for l = l_key, cached: it depends on the target only.
@functools.lru_cache(maxsize=64)
def _gamma_inverse(l_key: tuple[float, ...]) -> np.ndarray:
    out = np.linalg.inv(_gamma_matrix(np.array(l_key, dtype=float)))
    out.flags.writeable = False
    return out


def _gamma_matrix(l_vec: np.ndarray) -> np.ndarray:
    """Invertible matrix whose first row is ``l'`` (the others are unit vectors)."""
    t = len(l_vec)
    rows = [l_vec]
    for j in range(t):
        e = np.zeros(t)
        e[j] = 1.0
        if np.linalg.matrix_rank(np.vstack([*rows, e])) > len(rows):
            rows.append(e)
        if len(rows) == t:
            break
    return np.vstack(rows)


def _column_basis(x: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Columns spanning the column space of ``x`` (QR with pivoting)."""
    if x.shape[1] == 0:
        return x
    from scipy.linalg import qr

    _, r, piv = qr(x, pivoting=True, mode="economic")
    diag = np.abs(np.diag(r))
    rank = int((diag > tol * max(diag.max(), 1.0)).sum())
    return x[:, np.sort(piv[:rank])]


# All k-subsets of range(m) in lexicographic order, one per row (cached).
@functools.lru_cache(maxsize=64)
def _row_subsets(m: int, k: int) -> np.ndarray:
    out = np.array(list(itertools.combinations(range(m), k)), dtype=np.intp).reshape(-1, k)
    out.flags.writeable = False
    return out


def _dual_vertices(sd: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Vertices of ``{lambda >= 0 : lambda' sd = 1, lambda' X = 0}`` (one per row).

    Every vertex is a basic solution: ``lambda_B = (W_B')^-1 e_1`` for a set B of k+1 rows with
    ``W = [sd, X]`` nonsingular on B, and zero elsewhere.

    Raises:
        ParameterError: too many candidate bases (very long post-period windows).
    """
    m = len(sd)
    w = np.column_stack([sd, x])
    k1 = w.shape[1]
    if math.comb(m, k1) > MAX_BASES:
        raise ParameterError(
            f"{m} moment rows and {k1 - 1} nuisance directions: too many bases to enumerate; "
            "shorten the post-period window or aggregate it"
        )
    # every k1-subset of rows at once: batched determinants and solves (same LAPACK calls)
    combos = _row_subsets(m, k1)
    wb = w[combos]
    scale = np.maximum(1.0, np.abs(wb).max(axis=(1, 2))) ** k1
    keep = np.abs(np.linalg.det(wb)) >= 1e-12 * scale
    combos, wb = combos[keep], wb[keep]
    rhs = np.zeros((len(wb), k1, 1))
    rhs[:, 0, 0] = 1.0
    lam_b = np.linalg.solve(np.swapaxes(wb, 1, 2), rhs)[:, :, 0]
    feasible = (lam_b >= -1e-12).all(axis=1)
    if not feasible.any():
        raise ParameterError("the moment inequalities admit no bounded test statistic")
    combos, lam_b = combos[feasible], lam_b[feasible]
    found = np.zeros((len(combos), m))
    np.put_along_axis(found, combos, np.maximum(lam_b, 0.0), axis=1)
    verts = np.unique(np.round(found, 12), axis=0)
    return verts


@dataclass
class _Polyhedron:
    """Everything the test of one (s, sign) needs, computed once."""

    y0: np.ndarray  # A beta on the rows used
    a_theta: np.ndarray  # y = y0 - a_theta * theta
    sigma_y: np.ndarray
    verts: np.ndarray
    lf_cv: float
    var_b: np.ndarray  # g' Sigma_y g for every vertex g
    c: np.ndarray  # Sigma_y g / (g' Sigma_y g), one row per vertex g
    vc: np.ndarray  # v'c(g): rows g, columns v


# Rows of A used as moments.
def _moment_rows(a: np.ndarray, n_pre: int, n_post: int) -> np.ndarray:
    # post-period moments only (as HonestDiD's default), unless there is one post period
    if n_post == 1:
        return np.arange(len(a))
    return np.flatnonzero(np.abs(a[:, n_pre:]).sum(axis=1) > 0)


# Standard normal draws from default_rng(seed), blocks of (n_sims, m) in turn: the stream that
# rng.multivariate_normal consumes polyhedron by polyhedron. They depend on the seed and the
# numbers of moments only, not on Mbar, theta or the data, hence the cached variant (int seeds).
def _normal_draws(seed: Any, n_sims: int, sizes: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    out = tuple(rng.standard_normal((n_sims, m)) for m in sizes)
    for block in out:
        block.flags.writeable = False
    return out


_cached_normal_draws = functools.lru_cache(maxsize=16)(_normal_draws)


def _prepare(
    beta: np.ndarray,
    sigma: np.ndarray,
    n_pre: int,
    n_post: int,
    a: np.ndarray,
    l_vec: np.ndarray,
    kappa: float,
    z: np.ndarray,
) -> _Polyhedron:
    # z: n_sims standard normal draws of the moments (one row per draw), scaled to
    # N(0, Sigma_y) with Sigma_y = U diag(s) U' as multivariate_normal(method="eigh") does
    gamma_inv = _gamma_inverse(tuple(float(v) for v in l_vec))
    a_post = a[:, n_pre:]
    ag = a_post @ gamma_inv
    rows = _moment_rows(a, n_pre, n_post)
    y0 = (a @ beta)[rows]
    a_theta = ag[rows, 0]
    x = _column_basis(ag[rows, 1:])
    sigma_y = (a @ sigma @ a.T)[np.ix_(rows, rows)]
    sd = np.sqrt(np.diag(sigma_y))
    if (sd <= 0).any():
        raise ParameterError("a moment has zero variance: check the covariance matrix")
    verts = _dual_vertices(sd, x)
    ev, u = np.linalg.eigh(sigma_y)
    draws = z @ (u * np.sqrt(np.abs(ev))).T
    eta_sim = (draws @ verts.T).max(axis=1)
    lf_cv = float(np.quantile(eta_sim, 1.0 - kappa))
    sg = verts @ sigma_y
    var_b = (sg * verts).sum(axis=1)
    # vertices with var_b < 1e-20 are tested on eta alone (see _accepts): no c needed
    c = sg / np.where(var_b < 1e-20, 1.0, var_b)[:, None]
    return _Polyhedron(
        y0=y0,
        a_theta=a_theta,
        sigma_y=sigma_y,
        verts=verts,
        lf_cv=lf_cv,
        var_b=var_b,
        c=c,
        vc=c @ verts.T,
    )


def _accepts(poly: _Polyhedron, theta: np.ndarray, alpha: float, kappa: float) -> np.ndarray:
    """Conditional-least-favourable hybrid test of ``l' tau_post = theta`` (True = accept)."""
    # vectorised over theta: y = y0 - a_theta theta, optimal vertex g, eta = g'y,
    # c = Sigma_y g / (g' Sigma_y g), s_perp = y - c eta; conditioning bounds
    # (v's_perp) / (1 - v'c) over the other vertices v
    y = poly.y0[None, :] - poly.a_theta[None, :] * theta[:, None]
    vals = y @ poly.verts.T
    rows = np.arange(len(theta))
    j = np.argmax(vals, axis=1)
    eta = vals[rows, j]
    out = np.zeros(len(theta), dtype=bool)
    # first stage: least-favourable test at level kappa
    live = eta <= poly.lf_cv
    var_b = poly.var_b[j]
    flat = live & (var_b < 1e-20)
    out[flat] = eta[flat] <= 0
    live &= ~flat
    if not live.any():
        return out
    t, j, eta, y = rows[live], j[live], eta[live], y[live]
    vc = poly.vc[j]
    vs = (y - poly.c[j] * eta[:, None]) @ poly.verts.T
    use = np.abs(1.0 - vc) >= 1e-12
    use[np.arange(len(t)), j] = False
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = vs / (1.0 - vc)
    lo = np.where(use & (vc < 1.0), bound, -np.inf).max(axis=1)
    hi = np.minimum(np.where(use & (vc >= 1.0), bound, np.inf).min(axis=1), poly.lf_cv)
    sigma_b = np.sqrt(var_b[live])
    zlo, zhi, stat = lo / sigma_b, hi / sigma_b, eta / sigma_b
    inside = (zlo <= stat) & (stat <= zhi)
    out[t[~inside]] = True
    if inside.any():
        size = (alpha - kappa) / (1.0 - kappa)
        zl, zh = zlo[inside], zhi[inside]
        cval = zl.copy()
        ok = zl < zh
        if ok.any():
            cval[ok] = stats.truncnorm.ppf(1.0 - size, zl[ok], zh[ok])
        out[t[inside]] = ~(stat[inside] > np.maximum(0.0, cval))
    return out


# --------------------------------------------------------------------------------------------
# Public functions on (beta, sigma)
# --------------------------------------------------------------------------------------------
def _check_inputs(
    betahat: Sequence[float] | np.ndarray,
    sigma: Sequence[Sequence[float]] | np.ndarray,
    n_pre: int,
    n_post: int,
    l_vec: Sequence[float] | np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    beta = np.asarray(betahat, dtype=float).ravel()
    sig = np.asarray(sigma, dtype=float)
    if n_pre < 1 or n_post < 1:
        raise ParameterError(f"need n_pre >= 1 and n_post >= 1, got {n_pre} and {n_post}")
    if len(beta) != n_pre + n_post:
        raise ParameterError(
            f"betahat has {len(beta)} entries but n_pre + n_post = {n_pre + n_post}"
        )
    if sig.shape != (len(beta), len(beta)):
        raise ParameterError(f"sigma must be {len(beta)} x {len(beta)}, got {sig.shape}")
    if not (np.isfinite(beta).all() and np.isfinite(sig).all()):
        raise ParameterError("betahat and sigma must be finite")
    sig = (sig + sig.T) / 2
    if np.linalg.eigvalsh(sig).min() < -1e-10 * max(1.0, float(np.abs(sig).max())):
        raise ParameterError("sigma is not positive semi-definite")
    lv = np.zeros(n_post) if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if l_vec is None:
        lv[0] = 1.0
    if len(lv) != n_post or not np.any(lv):
        raise ParameterError(f"l_vec must be a non-zero vector of length n_post = {n_post}")
    return beta, sig, lv


def original_ci(
    betahat: Sequence[float] | np.ndarray,
    sigma: Sequence[Sequence[float]] | np.ndarray,
    n_pre: int,
    n_post: int,
    l_vec: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """The usual interval for ``theta = l' beta_post`` under exact parallel trends:
    ``l'b -+ z_{1-alpha/2} sqrt(l' V_post l)``."""
    beta, sig, lv = _check_inputs(betahat, sigma, n_pre, n_post, l_vec)
    est = float(lv @ beta[n_pre:])
    se = float(np.sqrt(lv @ sig[n_pre:, n_pre:] @ lv))
    z = stats.norm.ppf(1 - alpha / 2)
    return est - z * se, est + z * se


def _rm_acceptance(
    beta: np.ndarray,
    sig: np.ndarray,
    n_pre: int,
    n_post: int,
    mbar: float,
    lv: np.ndarray,
    alpha: float,
    kappa: float | None,
    n_sims: int,
    seed: int,
) -> Any:
    """The accept(theta) function of the union over (s, sign) of the C-LF hybrid tests."""
    if mbar < 0:
        raise ParameterError(f"mbar must be >= 0, got {mbar!r}")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must lie in (0, 1), got {alpha!r}")
    kap = alpha / 10 if kappa is None else float(kappa)
    if not 0 < kap < alpha:
        raise ParameterError(f"kappa must lie in (0, alpha), got {kappa!r}")
    mats = [
        _rm_constraints(n_pre, n_post, mbar, s, pos) for s in range(n_pre) for pos in (True, False)
    ]
    sizes = tuple(len(_moment_rows(a, n_pre, n_post)) for a in mats)
    cached = isinstance(seed, int | np.integer)
    draws = (_cached_normal_draws if cached else _normal_draws)(seed, int(n_sims), sizes)
    for a in mats:
        rows = _moment_rows(a, n_pre, n_post)
        if (np.sqrt(np.diag((a @ sig @ a.T)[np.ix_(rows, rows)])) <= 0).any():
            raise ParameterError("a moment has zero variance: check the covariance matrix")
    # the union stops at the first accepting polyhedron: prepare the others only when needed
    # (the first eagerly, for the errors of _dual_vertices, which do not depend on s or sign)
    polys: list[_Polyhedron | None] = [None] * len(mats)
    polys[0] = _prepare(beta, sig, n_pre, n_post, mats[0], lv, kap, draws[0])

    def accept(theta: float | np.ndarray) -> np.ndarray:
        thetas = np.atleast_1d(np.asarray(theta, dtype=float))
        ok = np.zeros(len(thetas), dtype=bool)
        for i, p in enumerate(polys):
            todo = ~ok
            if not todo.any():
                break
            if p is None:
                p = polys[i] = _prepare(beta, sig, n_pre, n_post, mats[i], lv, kap, draws[i])
            ok[todo] = _accepts(p, thetas[todo], alpha, kap)
        return ok

    return accept


def relative_magnitudes_ci(
    betahat: Sequence[float] | np.ndarray,
    sigma: Sequence[Sequence[float]] | np.ndarray,
    n_pre: int,
    n_post: int,
    mbar: float,
    l_vec: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.05,
    kappa: float | None = None,
    n_sims: int = 5000,
    seed: int = 0,
    grid_points: int = 1001,
    tol: float | None = None,
) -> tuple[float, float]:
    """Robust confidence interval for ``theta = l' tau_post`` under Delta^RM(Mbar).

    ``betahat`` are the event-study coefficients ordered by event time, the ``n_pre``
    pre-period ones (earliest first, the reference period -1 excluded) then the ``n_post``
    post-period ones (event time 0 first); ``sigma`` their covariance. ``l_vec`` defaults to
    the first post-period effect. The test is the conditional-least-favourable hybrid of
    Andrews, Roth and Pakes (2023) with first-stage size ``kappa`` (default ``alpha / 10``) and
    a least-favourable critical value simulated with ``n_sims`` draws (``seed``), for each
    period s and sign of the largest pre-period change; the interval is the hull of the
    accepted values. Accepted values are searched on ``grid_points`` points over the original
    interval widened by ``(2 Mbar + 20) sd(theta)`` and the end points refined by bisection to
    ``tol`` (default ``1e-4 sd(theta)``). Returns ``(lb, ub)`` in the units of ``betahat``;
    ``(nan, nan)`` if no value is accepted (the restriction is rejected by the pre-periods).

    Raises:
        ParameterError: inconsistent shapes, ``mbar < 0``, a covariance that is not positive
            semi-definite, or ``alpha`` / ``kappa`` outside (0, 1).
    """
    beta, sig, lv = _check_inputs(betahat, sigma, n_pre, n_post, l_vec)
    accept = _rm_acceptance(beta, sig, n_pre, n_post, mbar, lv, alpha, kappa, n_sims, seed)
    sd_theta = float(np.sqrt(lv @ sig[n_pre:, n_pre:] @ lv))
    est = float(lv @ beta[n_pre:])
    # the pre-period changes bound the post-period drift: widen by the largest of them too
    pre = np.concatenate([beta[:n_pre], [0.0]])
    max_pre = float(np.abs(np.diff(pre)).max()) if n_pre > 0 else 0.0
    width = (2 * mbar + 20) * sd_theta + mbar * max_pre * float(np.abs(lv).sum()) * n_post
    grid = np.linspace(est - width, est + width, grid_points)
    ok = accept(grid)
    if not ok.any():
        return float("nan"), float("nan")
    step = tol if tol is not None else 1e-4 * sd_theta
    i_lo, i_hi = int(np.flatnonzero(ok)[0]), int(np.flatnonzero(ok)[-1])

    def refine(inside: float, outside: float) -> float:
        while abs(outside - inside) > step:
            mid = (inside + outside) / 2
            if accept(mid)[0]:
                inside = mid
            else:
                outside = mid
        return inside

    lb = refine(grid[i_lo], grid[i_lo - 1]) if i_lo > 0 else float(grid[0])
    ub = refine(grid[i_hi], grid[i_hi + 1]) if i_hi < grid_points - 1 else float(grid[-1])
    return lb, ub


def breakdown_mbar(
    betahat: Sequence[float] | np.ndarray,
    sigma: Sequence[Sequence[float]] | np.ndarray,
    n_pre: int,
    n_post: int,
    l_vec: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.05,
    mbar_max: float = 10.0,
    mbar_tol: float = 0.01,
    **kwargs: Any,
) -> float:
    """Breakdown value of the relative-magnitudes bound for ``theta = l' tau_post``.

    The largest Mbar in ``[0, mbar_max]`` at which the robust confidence set
    (:func:`relative_magnitudes_ci`) excludes zero, i.e. the hypothesis ``theta = 0`` is
    rejected for every period and sign of the largest pre-period change, found by bisection to
    ``mbar_tol`` (the sets Delta^RM(Mbar) are nested, so exclusion is monotone in Mbar).
    Returns ``nan`` when the original interval contains zero (nothing to break), 0.0 when even
    Mbar = 0 does not exclude zero, and ``mbar_max`` when zero is still excluded there.
    Unitless.
    """
    lo_ci, hi_ci = original_ci(betahat, sigma, n_pre, n_post, l_vec, alpha)
    if lo_ci <= 0 <= hi_ci:
        return float("nan")

    beta, sig, lv = _check_inputs(betahat, sigma, n_pre, n_post, l_vec)
    opts = {k: kwargs[k] for k in ("kappa", "n_sims", "seed") if k in kwargs}
    opts = {"kappa": None, "n_sims": 5000, "seed": 0} | opts

    def excludes(m: float) -> bool:
        accept = _rm_acceptance(beta, sig, n_pre, n_post, m, lv, alpha, **opts)
        return not accept(0.0)[0]

    if not excludes(0.0):
        return 0.0
    if excludes(mbar_max):
        return float(mbar_max)
    lo, hi = 0.0, float(mbar_max)
    while hi - lo > mbar_tol:
        mid = (lo + hi) / 2
        if excludes(mid):
            lo = mid
        else:
            hi = mid
    return lo


def sensitivity(
    betahat: Sequence[float] | np.ndarray,
    sigma: Sequence[Sequence[float]] | np.ndarray,
    n_pre: int,
    n_post: int,
    mbars: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0),
    l_vec: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.05,
    target: str = "",
    mbar_max: float = 10.0,
    mbar_tol: float = 0.01,
    **kwargs: Any,
) -> HonestResult:
    """Robust intervals over a grid of Mbar plus the breakdown value (see module docstring)."""
    beta, sig, lv = _check_inputs(betahat, sigma, n_pre, n_post, l_vec)
    rows = []
    for m in mbars:
        lb, ub = relative_magnitudes_ci(beta, sig, n_pre, n_post, m, lv, alpha, **kwargs)
        rows.append(
            {
                "mbar": float(m),
                "lb": lb,
                "ub": ub,
                "excludes_zero": bool(np.isnan(lb) or lb > 0 or ub < 0),
            }
        )
    return HonestResult(
        target=target or ("first post-period effect" if l_vec is None else "l' tau_post"),
        estimate=float(lv @ beta[n_pre:]),
        original=original_ci(beta, sig, n_pre, n_post, lv, alpha),
        table=pd.DataFrame(rows),
        breakdown=breakdown_mbar(
            beta, sig, n_pre, n_post, lv, alpha, mbar_max=mbar_max, mbar_tol=mbar_tol, **kwargs
        ),
        alpha=alpha,
        l_vec=lv,
    )


# --------------------------------------------------------------------------------------------
# Convenience wrappers for the project's result types
# --------------------------------------------------------------------------------------------
def _l_vector(target: str | Sequence[float], n_post: int) -> tuple[np.ndarray, str]:
    if isinstance(target, str):
        if target == "first":
            lv = np.zeros(n_post)
            lv[0] = 1.0
            return lv, "first post-period effect (event time 0)"
        if target == "average":
            return np.full(n_post, 1.0 / n_post), f"average of the {n_post} post-period effects"
        raise ParameterError(f"target must be 'first', 'average' or a vector, got {target!r}")
    return np.asarray(target, dtype=float), "l' tau_post"


def _from_event_times(
    coefs: pd.Series,
    cov: pd.DataFrame,
    target: str | Sequence[float],
    mbars: Sequence[float],
    alpha: float,
    source: str,
    **kwargs: Any,
) -> HonestResult:
    """Split coefficients indexed by event time (reference -1 absent) into pre and post."""
    times = sorted(int(e) for e in coefs.index)
    pre = [e for e in times if e < 0]
    post = [e for e in times if e >= 0]
    if not pre or not post:
        raise ParameterError(f"{source}: need at least one pre- and one post-period coefficient")
    if -1 in pre:
        raise ParameterError(
            f"{source}: event time -1 carries an estimate; the sensitivity analysis needs the "
            "coefficients normalised to zero at event time -1 (a universal base period)"
        )
    expected = list(range(pre[0], 0))
    expected.remove(-1)
    if pre != expected or post != list(range(0, post[-1] + 1)):
        raise ParameterError(
            f"{source}: event times must be consecutive around the reference -1, got {times}"
        )
    order = pre + post
    beta = coefs.loc[order].to_numpy(float)
    sig = cov.loc[order, order].to_numpy(float)
    lv, label = _l_vector(target, len(post))
    return sensitivity(
        beta, sig, len(pre), len(post), mbars=mbars, l_vec=lv, alpha=alpha, target=label, **kwargs
    )


def event_study_sensitivity(
    result: Any,
    target: str | Sequence[float] = "first",
    mbars: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0),
    alpha: float = 0.05,
    **kwargs: Any,
) -> HonestResult:
    """Relative-magnitudes sensitivity of a TWFE event study
    (:func:`cases.methods.panel.event_study`).

    Uses every estimated coefficient of the window (event time -1 must be the reference) and
    their clustered covariance. ``target`` is ``"first"`` (event time 0), ``"average"`` (mean
    of the post-period coefficients) or a weight vector over the post periods. The window's
    end points are bins of all farther event times; choose a window that covers the data, or
    read the first and last pre-period coefficient as averages. Under staggered adoption with
    heterogeneous effects the TWFE coefficients are contaminated (Sun and Abraham 2021): prefer
    :func:`staggered_sensitivity`. Keyword arguments go to :func:`sensitivity`.

    Raises:
        ParameterError: reference period other than -1, missing event times, or as
            :func:`relative_magnitudes_ci`.
    """
    if result.ref != -1:
        raise ParameterError(
            f"event_study_sensitivity: reference period must be -1, got {result.ref}"
        )
    table = result.table
    names = {
        int(e): (f"evt_m{-int(e)}" if e < 0 else f"evt_p{int(e)}") for e in table["event_time"]
    }
    est = table.loc[~table["reference"]].set_index("event_time")["coef"]
    present = [e for e in est.index if names[int(e)] in result.cov.index]
    coefs = est.loc[present]
    cov = result.cov.loc[[names[int(e)] for e in present], [names[int(e)] for e in present]]
    cov = pd.DataFrame(cov.to_numpy(), index=present, columns=present)
    return _from_event_times(coefs, cov, target, mbars, alpha, "event_study_sensitivity", **kwargs)


def staggered_sensitivity(
    result: Any,
    target: str | Sequence[float] = "first",
    mbars: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0),
    alpha: float = 0.05,
    **kwargs: Any,
) -> HonestResult:
    """Relative-magnitudes sensitivity of the event-time effects of a staggered DiD.

    For a :class:`cases.methods.panel.StaggeredResult` of :func:`cases.methods.panel.staggered_did`.

    Uses ``result.dynamic`` (effects by event time) and ``result.dynamic_cov``. For
    Callaway-Sant'Anna the pre-period estimates must share the base period g-1
    (``base_period="universal"``, as the HonestDiD authors require): with the default "varying"
    base they are period-to-period changes, not deviations from event time -1. Sun-Abraham
    estimates are relative to -1 by construction. ``target`` as in
    :func:`event_study_sensitivity`.

    Raises:
        ParameterError: a Callaway-Sant'Anna result with a varying base period, a result
            without ``dynamic_cov``, or as :func:`event_study_sensitivity`.
    """
    if getattr(result, "base_period", "varying") != "universal":
        raise ParameterError(
            "staggered_sensitivity: re-estimate with base_period='universal' so that every "
            "pre-period estimate is measured from event time -1 (Rambachan and Roth 2023)"
        )
    if result.dynamic_cov is None:
        raise ParameterError("staggered_sensitivity: the result carries no dynamic_cov")
    dyn = result.dynamic[result.dynamic["event_time"] != "overall"]
    coefs = pd.Series(dyn["att"].to_numpy(float), index=[int(e) for e in dyn["event_time"]])
    cov = result.dynamic_cov
    return _from_event_times(coefs, cov, target, mbars, alpha, "staggered_sensitivity", **kwargs)
