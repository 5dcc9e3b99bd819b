"""Panel data and policy evaluation: two-way fixed effects and staggered difference-in-differences.

Reforms in the five cases (village-level "three changes", industrial projects, county delisting
2016-2020) were adopted village by village and year by year, so the natural design is a
staggered difference-in-differences on a household or village panel. Two-way fixed effects
(TWFE) alone is biased under staggered adoption with heterogeneous effects (Goodman-Bacon 2021;
de Chaisemartin and D'Haultfœuille 2020), so this module offers, on one data contract:

- :func:`twfe` — the TWFE regression with entity and time effects and clustered errors;
- :func:`event_study` — the binned relative-time ("dynamic TWFE") event study with a joint
  pre-trend Wald test (plot it with :func:`cases.present.panel_plots.plot_event_study`);
- :func:`staggered_did` — heterogeneity-robust group-time effects ATT(g, t) by Callaway and
  Sant'Anna (2021) or Sun and Abraham (2021), with simple, dynamic and cohort aggregations,
  optionally conditional on covariates (outcome regression, IPW or doubly robust, Sant'Anna and
  Zhao 2020);
- :func:`bacon_decomposition` — the Goodman-Bacon (2021) decomposition of the TWFE estimate
  into its 2x2 comparisons and weights.

Data contract (every function): a long data frame with one row per entity and time; ``time``
numeric (integer-valued for the staggered designs, in the same units as ``first_treated``);
``first_treated`` is the first period in which the entity is treated, and **never-treated
entities are coded 0 or missing (NaN)**. Anything else is refused with a
:class:`cases.core.errors.DataValidationError` (a ``ValueError``) naming the column, entity and
time.

Computation: the within transformation for two-way effects is done by alternating projections
(entity and time demeaning repeated until the largest change is below ``1e-10``; exact after one
sweep on a balanced panel), which equals ``linearmodels.PanelOLS`` with ``entity_effects`` and
``time_effects`` (tested), and scales to millions of rows. ``backend="linearmodels"`` fits the
same model with PanelOLS itself and returns its result object.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from cases.core.errors import DataValidationError, ParameterError
from cases.methods import inference

__all__ = [
    "BaconResult",
    "EventStudyResult",
    "StaggeredResult",
    "TwfeResult",
    "bacon_decomposition",
    "baseline_by_period",
    "event_study",
    "staggered_did",
    "twfe",
]

#: Row count above which ``backend="auto"`` uses the alternating-projections engine instead of
#: PanelOLS (PanelOLS on millions of rows with two-way effects is slow and memory-hungry).
AUTO_LINEARMODELS_MAX_ROWS = 200_000

_Z975 = stats.norm.ppf(0.975)


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------
@dataclass
class TwfeResult:
    """Treatment coefficient of a two-way fixed-effects regression.

    ``coef``/``se``/``ci_low``/``ci_high``/``pvalue`` refer to the treatment variable; ``params``
    and ``cov`` hold every regressor; ``model_result`` is the ``linearmodels`` PanelOLS result
    when that backend was used (``None`` for the alternating-projections engine).
    """

    coef: float
    se: float
    ci_low: float
    ci_high: float
    pvalue: float
    nobs: int
    n_entities: int
    n_periods: int
    params: pd.Series
    cov: pd.DataFrame
    cov_type: str
    backend: str
    n_singletons_dropped: int = 0
    model_result: Any = None
    n_clusters: int | None = None
    warning: str = ""


@dataclass
class EventStudyResult:
    """Binned relative-time event study.

    ``table`` has one row per event time in the window (``event_time``, ``coef``, ``se``,
    ``ci_low``, ``ci_high``, ``pvalue``, ``nobs_treated``, ``reference``); the reference period is
    a row with ``coef`` 0 and missing standard error. ``pretrend_*`` is the joint Wald test that
    every pre-period coefficient (event time < 0, reference excluded) is zero.
    """

    table: pd.DataFrame
    pretrend_stat: float
    pretrend_df: int
    pretrend_pvalue: float
    nobs: int
    ref: int
    window: tuple[int, int]
    cov: pd.DataFrame
    n_singletons_dropped: int = 0
    n_clusters: int | None = None
    warning: str = ""
    model_result: Any = None


@dataclass
class StaggeredResult:
    """Heterogeneity-robust staggered difference-in-differences.

    ``att_gt``: group-time effects (``group``, ``time``, ``event_time``, ``att``, ``se``,
    ``ci_low``, ``ci_high``, ``pvalue``, ``n_treated``, ``n_control``). ``simple``: one-row
    overall ATT. ``dynamic``: by event time, with ``overall`` (average over event times >= 0).
    ``group``: by cohort, with ``overall`` (cohort-size weighted). ``pretrend_*`` is the Wald
    test that all pre-treatment ATT(g, t) are zero (Callaway-Sant'Anna only).
    """

    method: str
    control: str
    att_gt: pd.DataFrame
    simple: pd.DataFrame
    dynamic: pd.DataFrame
    group: pd.DataFrame
    n_entities: int
    se_method: str
    pretrend_stat: float = float("nan")
    pretrend_df: int = 0
    pretrend_pvalue: float = float("nan")
    n_dropped_always_treated: int = 0
    n_singletons_dropped: int = 0
    notes: list[str] = field(default_factory=list)
    controls: tuple[str, ...] = ()
    est_method: str = ""
    base_period: str = "varying"
    dynamic_cov: pd.DataFrame | None = None


@dataclass
class BaconResult:
    """Goodman-Bacon decomposition: ``table`` of 2x2 comparisons (``type``, ``treated``,
    ``control``, ``estimate``, ``weight``); ``twfe`` is the TWFE coefficient it reproduces
    (``sum(weight * estimate)``)."""

    table: pd.DataFrame
    twfe: float
    by_type: pd.DataFrame


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------
def _v(value: Any) -> Any:
    """Plain Python scalar for messages (``2`` rather than ``np.int64(2)``)."""
    return value.item() if isinstance(value, np.generic) else value


def _first(frame: pd.DataFrame, mask: Any) -> dict[str, Any]:
    """First row where ``mask`` holds, column by column (keeps each column's own dtype)."""
    pos = int(np.flatnonzero(np.asarray(mask))[0])
    return {c: _v(frame[c].iloc[pos]) for c in frame.columns}


def _refuse_rows(
    frame: pd.DataFrame, mask: Any, source: str, problem: Callable[[dict[str, Any]], str]
) -> None:
    """Raise :class:`DataValidationError` when ``mask`` holds anywhere: ``problem`` of the first
    such row (:func:`_first`) is the message."""
    if mask.any():
        raise DataValidationError(source, [problem(_first(frame, mask))])


def _require_columns(df: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(f"{source}: df must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataValidationError(
            source, [f"column {c!r} not found (columns: {list(df.columns)})" for c in missing]
        )


def _check_panel(
    df: pd.DataFrame,
    numeric: Sequence[str],
    entity: str,
    time: str,
    source: str,
    integer_time: bool = False,
) -> None:
    """Refuse missing values, non-numeric columns, non-numeric time and duplicate rows."""
    problems: list[str] = []
    for col in [entity, time, *numeric]:
        n_missing = int(df[col].isna().sum())
        if n_missing:
            first = df.index[df[col].isna()][0]
            problems.append(
                f"column {col!r} has {n_missing} missing value(s) (first at row {first!r}); "
                "drop or impute them explicitly before estimation"
            )
    if not pd.api.types.is_numeric_dtype(df[time]) or pd.api.types.is_bool_dtype(df[time]):
        problems.append(
            f"time column {time!r} must be numeric (e.g. the year as an integer), "
            f"got dtype {df[time].dtype}"
        )
    elif integer_time:
        t = df[time].to_numpy(dtype=float)
        bad = np.isfinite(t) & (t != np.round(t))
        if bad.any():
            problems.append(
                f"time column {time!r} must be integer-valued for event time; "
                f"got {df[time][bad].iloc[0]!r}"
            )
    for col in numeric:
        if not pd.api.types.is_numeric_dtype(df[col]) or pd.api.types.is_bool_dtype(df[col]):
            problems.append(f"column {col!r} must be numeric, got dtype {df[col].dtype}")
    if problems:
        raise DataValidationError(source, problems)
    dup = df.duplicated([entity, time], keep=False)
    _refuse_rows(
        df,
        dup,
        source,
        lambda row: (
            f"{int(dup.sum())} rows share an ({entity}, {time}) pair, e.g. "
            f"{entity}={row[entity]!r}, {time}={row[time]!r}; "
            "one row per entity and time is required"
        ),
    )


def _drop_rows(df: pd.DataFrame, drop: np.ndarray | pd.Series, message: str) -> pd.DataFrame:
    """``df`` without the rows ``drop``, with the warning ``message`` when any is dropped (it
    points at the caller of the function that calls this one)."""
    if not drop.any():
        return df
    warnings.warn(message, stacklevel=4)
    return df.loc[~drop]


def _drop_singletons(df: pd.DataFrame, entity: str, source: str) -> tuple[pd.DataFrame, int]:
    """Drop entities observed once (they carry no within variation); warn with the count."""
    counts = df.groupby(entity, sort=False)[entity].transform("size")
    single = counts.to_numpy() == 1
    n = int(single.sum())
    message = (
        f"{source}: dropped {n} singleton entit{'y' if n == 1 else 'ies'} "
        f"(observed in one period only; no within-entity variation)"
    )
    return _drop_rows(df, single, message), n


def _cohorts(
    df: pd.DataFrame, entity: str, time: str, first_treated: str, source: str
) -> pd.Series:
    """Validate ``first_treated`` and return it as floats with never-treated coded 0."""
    col = df[first_treated]
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise DataValidationError(
            source, [f"first_treated column {first_treated!r} must be numeric, got {col.dtype}"]
        )
    g = col.astype(float).fillna(0.0)
    times = df[time].astype(float)
    tmin, tmax = float(times.min()), float(times.max())
    outside = (g != 0) & ((g < tmin) | (g > tmax) | (g != np.round(g)))
    _refuse_rows(
        df,
        outside,
        source,
        lambda row: (
            f"first_treated {first_treated!r} = {_v(row[first_treated])!r} for "
            f"{entity}={_v(row[entity])!r} is outside the panel's periods {tmin:g}..{tmax:g} "
            "(code never-treated entities as 0 or missing)"
        ),
    )
    by_entity = g.groupby(df[entity])
    varies = by_entity.max() != by_entity.min()
    if varies.any():
        ent = varies.index[varies.to_numpy()][0]
        raise DataValidationError(
            source,
            [
                f"first_treated {first_treated!r} is not constant within {entity}={_v(ent)!r}; "
                "it must be the entity's first treated period on every row"
            ],
        )
    if (g == 0).all() or (g != 0).sum() == 0:
        raise DataValidationError(
            source, [f"first_treated {first_treated!r}: no entity is ever treated"]
        )
    return g


# --------------------------------------------------------------------------------------------
# Within transformation and least squares (the engine)
# --------------------------------------------------------------------------------------------
def _demean_two_way(
    mat: np.ndarray,
    ent: np.ndarray,
    tim: np.ndarray,
    n_ent: int,
    n_tim: int,
    tol: float = 1e-10,
    max_iter: int = 10_000,
) -> np.ndarray:
    """Residualise each column on entity and time dummies by alternating projections.

    Method of alternating projections (von Neumann-Halperin; Guimarães and Portugal 2010,
    "A simple feasible procedure to fit models with high-dimensional fixed effects"): subtract
    entity means, then time means, and repeat until the largest change is below ``tol`` times
    the column scale. On a balanced panel one sweep is exact.
    """
    out = np.array(mat, dtype=float, copy=True)
    ent_n = np.bincount(ent, minlength=n_ent).astype(float)
    tim_n = np.bincount(tim, minlength=n_tim).astype(float)
    for j in range(out.shape[1]):
        col = out[:, j]
        scale = max(float(np.abs(col).max()), 1.0)
        for _ in range(max_iter):
            m_e = np.bincount(ent, weights=col, minlength=n_ent) / ent_n
            col -= m_e[ent]
            m_t = np.bincount(tim, weights=col, minlength=n_tim) / tim_n
            col -= m_t[tim]
            if max(np.abs(m_e).max(), np.abs(m_t).max()) < tol * scale:
                break
        else:  # pragma: no cover - pathological designs only
            warnings.warn("alternating projections did not converge", stacklevel=2)
        out[:, j] = col
    return out


def _cluster_sums(scores: np.ndarray, clusters: np.ndarray, n_clusters: int) -> np.ndarray:
    """Column sums of ``scores`` (rows x m) within each cluster code 0..n_clusters-1."""
    sums = np.empty((n_clusters, scores.shape[1]))
    for j in range(scores.shape[1]):
        sums[:, j] = np.bincount(clusters, weights=scores[:, j], minlength=n_clusters)
    return sums


def _fe_ols(
    y: np.ndarray,
    x: np.ndarray,
    ent: np.ndarray,
    tim: np.ndarray,
    clusters: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, str]:
    """OLS of y on x with entity and time effects; returns (params, cov, cov_type).

    Covariance conventions equal PanelOLS ``fit(cov_type="clustered", debiased=True,
    group_debias=True, auto_df=False, count_effects=False)``: V = (X'X)^-1 (sum_g s_g s_g')
    (X'X)^-1 * (n-1)/(n-k) * G/(G-1) (Stata's ``xtreg, fe vce(cluster)``), or for ``clusters=None``
    the classical s^2 (X'X)^-1 with s^2 = e'e / (n - k - N - T + 1).
    """
    ent_codes, ent_idx = np.unique(ent, return_inverse=True)
    tim_codes, tim_idx = np.unique(tim, return_inverse=True)
    n_ent, n_tim = len(ent_codes), len(tim_codes)
    both = _demean_two_way(np.column_stack([y, x]), ent_idx, tim_idx, n_ent, n_tim)
    yd, xd = both[:, 0], both[:, 1:]
    n, k = xd.shape
    xtx = xd.T @ xd
    xtx_inv = np.linalg.inv(xtx)
    params = xtx_inv @ (xd.T @ yd)
    resid = yd - xd @ params
    if clusters is None:
        dof = n - k - n_ent - n_tim + 1
        if dof <= 0:
            raise DataValidationError("panel", ["no residual degrees of freedom"])
        cov = xtx_inv * (resid @ resid / dof)
        return params, cov, "unadjusted"
    _, cl_idx = np.unique(clusters, return_inverse=True)
    n_cl = int(cl_idx.max()) + 1
    if n_cl < 2:
        raise DataValidationError("panel", ["clustered errors need at least 2 clusters"])
    # CR1 of the one inference helper; K = the slope columns (effects swept out, not counted).
    cov = inference.cr1_vcov(xd, resid, cl_idx, k=k)
    return params, cov, "clustered"


def _cluster_values(df: pd.DataFrame, cluster: str | None, entity: str, time: str) -> Any:
    if cluster is None:
        return None
    if cluster == "entity":
        return df[entity].to_numpy()
    if cluster == "time":
        return df[time].to_numpy()
    if cluster not in df.columns:
        raise ParameterError(
            f"cluster={cluster!r} is neither 'entity', 'time', None nor a column of df"
        )
    if df[cluster].isna().any():
        raise DataValidationError("cluster", [f"cluster column {cluster!r} has missing values"])
    return df[cluster].to_numpy()


def _reference(
    df: pd.DataFrame, cluster: str | None, entity: str, time: str
) -> tuple[Any, int | None, str]:
    """Reference distribution of the t ratios, the number of clusters and the rule's warning.

    Clustered fits follow :mod:`cases.methods.inference`: ``t(G - 1)`` (as Stata's ``xtreg, fe
    vce(cluster)`` and fixest), refusal below 10 clusters, and a warning below 30 (the wild
    cluster bootstrap of the rule is not run on the within-transformed panel here); classical
    fits use the normal.

    Raises:
        ParameterError: fewer than 10 clusters (the number named).
    """
    values = _cluster_values(df, cluster, entity, time)
    if values is None:
        return stats.norm, None, ""
    g = inference.n_clusters(values)
    inference.cluster_rule(g, linear=False)
    warning = ""
    if g < inference.WILD_BELOW:
        warning = (
            f"only {g} clusters: cluster-robust intervals of this regression may be too narrow"
        )
    return stats.t(g - 1), g, warning


def _fit(
    df: pd.DataFrame,
    y: str,
    xcols: list[str],
    entity: str,
    time: str,
    cluster: str | None,
    backend: str,
) -> tuple[np.ndarray, np.ndarray, str, str, Any]:
    """Fit y on xcols with two-way effects by the chosen backend."""
    if backend not in ("auto", "linearmodels", "within"):
        raise ParameterError(f"backend must be 'auto', 'linearmodels' or 'within', got {backend!r}")
    if backend == "auto":
        backend = "linearmodels" if len(df) <= AUTO_LINEARMODELS_MAX_ROWS else "within"
    clusters = _cluster_values(df, cluster, entity, time)
    if backend == "within":
        params, cov, cov_type = _fe_ols(
            df[y].to_numpy(float),
            df[xcols].to_numpy(float),
            df[entity].to_numpy(),
            df[time].to_numpy(),
            clusters,
        )
        return params, cov, cov_type, backend, None

    from linearmodels.panel import PanelOLS

    data = df.set_index([entity, time])[[y, *xcols]].astype(float)
    model = PanelOLS(data[y], data[xcols], entity_effects=True, time_effects=True)
    if clusters is None:
        res = model.fit(cov_type="unadjusted", debiased=True, auto_df=False, count_effects=True)
        cov_type = "unadjusted"
    else:
        codes = pd.Series(pd.factorize(clusters)[0], index=data.index, name="cluster")
        res = model.fit(
            cov_type="clustered",
            clusters=codes.to_frame(),
            debiased=True,
            group_debias=True,
            auto_df=False,
            count_effects=False,
        )
        cov_type = "clustered"
    params = res.params.reindex(xcols).to_numpy()
    cov = res.cov.reindex(index=xcols, columns=xcols).to_numpy()
    return params, cov, cov_type, backend, res


# --------------------------------------------------------------------------------------------
# TWFE
# --------------------------------------------------------------------------------------------
def twfe(
    df: pd.DataFrame,
    y: str,
    treat: str,
    entity: str,
    time: str,
    controls: Sequence[str] = (),
    cluster: str | None = "entity",
    backend: Literal["auto", "linearmodels", "within"] = "auto",
    alpha: float = 0.05,
) -> TwfeResult:
    """Two-way fixed-effects regression ``y_it = a_i + l_t + b*treat_it + c'controls_it + e_it``.

    Estimated by least squares on the two-way within transformation (equivalently PanelOLS with
    ``entity_effects=True, time_effects=True``; Wooldridge 2010, *Econometric Analysis of Cross
    Section and Panel Data*, ch. 10). Standard errors: ``cluster="entity"`` (default), ``"time"``
    or a column name gives the one-way cluster-robust (Liang-Zeger) covariance with the
    (n-1)/(n-k) * G/(G-1) small-sample factor of Stata's ``xtreg, fe vce(cluster)``; ``None`` gives
    the classical homoskedastic covariance with the effects counted in the degrees of freedom.
    Clustered fits follow the rule of :mod:`cases.methods.inference` (CR1 from
    :func:`cases.methods.inference.cr1_vcov`; intervals and p-values from ``t(G - 1)``; fewer than
    10 clusters raise :class:`ParameterError`; from 10 to 29 clusters the p-value and interval
    of ``treat`` come from the wild cluster bootstrap on the demeaned data, :func:`_wild_twfe`,
    while ``se`` stays CR1); unclustered fits use the normal approximation. Units of ``coef``
    are those of ``y`` per unit of ``treat``.

    Under staggered adoption with effects that vary over time or cohorts, ``coef`` is a
    variance-weighted average with possibly negative weights (Goodman-Bacon 2021, "Difference-
    in-differences with variation in treatment timing", J. Econometrics 225(2)); see
    :func:`bacon_decomposition` and :func:`staggered_did`.

    Singleton entities are dropped with a warning (count in ``n_singletons_dropped``).

    Raises:
        DataValidationError: missing columns or values, non-numeric time or variables,
            duplicate entity-time rows, or a treatment without within variation.
        ParameterError: unknown ``cluster`` or ``backend``.
    """
    source = "twfe"
    controls = list(controls)
    _require_columns(df, [y, treat, entity, time, *controls], source)
    _check_panel(df, [y, treat, *controls], entity, time, source)
    if df[treat].nunique() < 2:
        raise DataValidationError(
            source, [f"treatment {treat!r} never varies (always {_v(df[treat].iloc[0])!r})"]
        )
    work, n_single = _drop_singletons(df, entity, source)
    within_sd = work.groupby(entity)[treat].std().fillna(0.0)
    if float(within_sd.max()) == 0.0:
        raise DataValidationError(
            source,
            [f"treatment {treat!r} never varies within any {entity}: TWFE cannot identify it"],
        )
    xcols = [treat, *controls]
    dist, n_cl, warning = _reference(work, cluster, entity, time)
    params, cov, cov_type, used, res = _fit(work, y, xcols, entity, time, cluster, backend)
    coef, se = float(params[0]), float(np.sqrt(cov[0, 0]))
    z = dist.ppf(1 - alpha / 2)
    ci_low, ci_high = coef - z * se, coef + z * se
    pvalue = float(2 * dist.sf(abs(coef / se)))
    if n_cl is not None and n_cl < inference.WILD_BELOW:
        pvalue, ci_low, ci_high = _wild_twfe(work, y, xcols, entity, time, cluster, alpha)
        warning = ""
    return TwfeResult(
        coef=coef,
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        pvalue=pvalue,
        nobs=len(work),
        n_entities=int(work[entity].nunique()),
        n_periods=int(work[time].nunique()),
        params=pd.Series(params, index=xcols),
        cov=pd.DataFrame(cov, index=xcols, columns=xcols),
        cov_type=cov_type,
        backend=used,
        n_singletons_dropped=n_single,
        model_result=res,
        n_clusters=n_cl,
        warning=warning,
    )


def _wild_twfe(
    work: pd.DataFrame,
    y: str,
    xcols: list[str],
    entity: str,
    time: str,
    cluster: str | None,
    alpha: float,
) -> tuple[float, float, float]:
    """Wild cluster bootstrap p-value and interval of the treatment coefficient of a TWFE fit
    with fewer than 30 clusters (the rule of :mod:`cases.methods.inference`).

    By Frisch-Waugh-Lovell the coefficient is the OLS slope of the two-way demeaned outcome on
    the demeaned regressors, so the restricted wild cluster bootstrap (WCR, Webb weights,
    9,999 replications, :func:`cases.methods.inference.wild_cluster_test` and
    :func:`~cases.methods.inference.wild_cluster_ci`) runs on the demeaned data; its CR1 factor
    counts the slopes only, as the clustered covariance of :func:`twfe` does (Roodman,
    MacKinnon, Nielsen and Webb 2018, on absorbed fixed effects).
    """
    ent_codes, ent_idx = np.unique(work[entity].to_numpy(), return_inverse=True)
    tim_codes, tim_idx = np.unique(work[time].to_numpy(), return_inverse=True)
    both = _demean_two_way(
        work[[y, *xcols]].to_numpy(float), ent_idx, tim_idx, len(ent_codes), len(tim_codes)
    )
    yd, xd = both[:, 0], both[:, 1:]
    clusters = _cluster_values(work, cluster, entity, time)
    test = inference.wild_cluster_test(xd, yd, clusters, 0)
    lo, hi = inference.wild_cluster_ci(xd, yd, clusters, 0, conf_level=1 - alpha)
    return test["p_value"], lo, hi


# --------------------------------------------------------------------------------------------
# Event study (binned dynamic TWFE)
# --------------------------------------------------------------------------------------------
def _event_label(k: int) -> str:
    return f"evt_m{-k}" if k < 0 else f"evt_p{k}"


def event_study(
    df: pd.DataFrame,
    y: str,
    entity: str,
    time: str,
    first_treated: str,
    window: tuple[int, int] = (-4, 4),
    ref: int = -1,
    cluster: str | None = "entity",
    backend: Literal["auto", "linearmodels", "within"] = "auto",
    alpha: float = 0.05,
) -> EventStudyResult:
    """Relative-time event study with entity and time effects.

    ``y_it = a_i + l_t + sum_{k in window, k != ref} b_k 1[t - G_i = k] + e_it`` where ``G_i``
    is ``first_treated``; event times beyond the window are binned into its end points (k <= lo
    into lo, k >= hi into hi) and never-treated entities (``first_treated`` 0 or missing) have
    all dummies zero, so they and the reference period form the comparison. Event time is in the
    units of ``time``. The joint pre-trend test is the Wald statistic
    ``W = b_pre' V_pre^-1 b_pre`` on the pre-period coefficients (k < 0, k != ref), chi-square
    with as many degrees of freedom (Wooldridge 2010, section 7.2). Standard errors as in
    :func:`twfe`.

    Caveat: with staggered adoption and heterogeneous effects these coefficients mix effects
    from other relative periods (Sun and Abraham 2021, "Estimating dynamic treatment effects in
    event studies with heterogeneous treatment effects", J. Econometrics 225(2)); prefer
    :func:`staggered_did` for inference on dynamics.

    Raises:
        DataValidationError: as :func:`twfe`; ``first_treated`` not constant per entity, outside
            the panel's periods, no never-treated entity, or non-integer time.
        ParameterError: a window that does not contain ``ref`` or is not (negative, positive).
    """
    source = "event_study"
    lo, hi = int(window[0]), int(window[1])
    if not (lo < 0 <= hi) or not (lo <= ref < 0):
        raise ParameterError(
            f"window={window!r}, ref={ref!r}: need window[0] < 0 <= window[1] and "
            "window[0] <= ref < 0"
        )
    _require_columns(df, [y, entity, time, first_treated], source)
    _check_panel(df, [y], entity, time, source, integer_time=True)
    g = _cohorts(df, entity, time, first_treated, source)
    if (g == 0).sum() == 0:
        raise DataValidationError(
            source,
            [
                "no never-treated entity (first_treated 0 or missing): the binned event study "
                "uses them as the reference group"
            ],
        )
    work = df[[y, entity, time]].copy()
    if cluster not in (None, "entity", "time"):
        _require_columns(df, [cluster], source)
        work[cluster] = df[cluster]
    treated = (g != 0).to_numpy()
    rel = np.where(treated, df[time].to_numpy(float) - g.to_numpy(), np.nan)
    rel_binned = np.clip(rel, lo, hi)
    ks = [k for k in range(lo, hi + 1) if k != ref]
    names = [_event_label(k) for k in ks]
    for k, name in zip(ks, names, strict=True):
        work[name] = (rel_binned == k).astype(float)
    work, n_single = _drop_singletons(work, entity, source)
    present = [n for n in names if work[n].any()]
    absent = [k for k, n in zip(ks, names, strict=True) if n not in present]
    dist, n_cl, warning = _reference(work, cluster, entity, time)
    params, cov, _, _, res = _fit(work, y, present, entity, time, cluster, backend)
    est = dict(zip(present, params, strict=True))
    ses = dict(zip(present, np.sqrt(np.diag(cov)), strict=True))
    z = dist.ppf(1 - alpha / 2)
    rows = []
    counts = pd.Series(rel_binned[treated]).value_counts()
    for k in range(lo, hi + 1):
        name = _event_label(k)
        if k == ref:
            b, s = 0.0, float("nan")
        else:
            b, s = float(est.get(name, np.nan)), float(ses.get(name, np.nan))
        rows.append(
            {
                "event_time": k,
                "coef": b,
                "se": s,
                "ci_low": b - z * s if k != ref else float("nan"),
                "ci_high": b + z * s if k != ref else float("nan"),
                "pvalue": float(2 * dist.sf(abs(b / s))) if s > 0 else float("nan"),
                "nobs_treated": int(counts.get(float(k), 0)),
                "reference": k == ref,
            }
        )
    table = pd.DataFrame(rows)
    pre = [i for i, n in enumerate(present) if int(ks[names.index(n)]) < 0]
    if pre:
        b_pre = params[pre]
        v_pre = cov[np.ix_(pre, pre)]
        stat = float(b_pre @ np.linalg.solve(v_pre, b_pre))
        pval = float(stats.chi2.sf(stat, len(pre)))
    else:
        stat, pval = float("nan"), float("nan")
    if absent:
        warnings.warn(f"{source}: no observations at event time(s) {absent}", stacklevel=2)
    return EventStudyResult(
        table=table,
        pretrend_stat=stat,
        pretrend_df=len(pre),
        pretrend_pvalue=pval,
        nobs=len(work),
        ref=ref,
        window=(lo, hi),
        cov=pd.DataFrame(cov, index=present, columns=present),
        n_singletons_dropped=n_single,
        model_result=res,
        n_clusters=n_cl,
        warning=warning,
    )


# --------------------------------------------------------------------------------------------
# Staggered DiD: Callaway-Sant'Anna and Sun-Abraham
# --------------------------------------------------------------------------------------------
def _mammen_weights(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """Mammen (1993) two-point weights: mean 0, variance 1 (as in the ``did`` package)."""
    s5 = np.sqrt(5.0)
    p = (s5 + 1) / (2 * s5)
    low, high = (1 - s5) / 2, (1 + s5) / 2
    return np.where(rng.random(size) < p, low, high)


def _bootstrap_se(psi: np.ndarray, n_boot: int, seed: int, n_units: int) -> np.ndarray:
    """Multiplier-bootstrap standard errors, IQR-based: ``psi`` holds the influence functions
    (one row per entity) or their sums by cluster (one row per cluster, so one multiplier per
    cluster); ``n_units`` is the number of entities N that scales them."""
    rng = np.random.default_rng(seed)
    rows = psi.shape[0]
    draws = []
    chunk = max(1, min(n_boot, 20_000_000 // max(rows, 1)))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        v = _mammen_weights(rng, (b, rows))
        draws.append(v @ psi / n_units)
        done += b
    boot = np.vstack(draws)
    q75, q25 = np.nanpercentile(boot, [75, 25], axis=0)
    return (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))


def _tidy(est: np.ndarray, se: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.norm.sf(np.abs(est / se))
    return {"se": se, "ci_low": est - z * se, "ci_high": est + z * se, "pvalue": p}


def _wif(keep_groups: np.ndarray, pg: np.ndarray, unit_g: np.ndarray) -> np.ndarray:
    """Influence function of estimated aggregation weights pg/sum(pg) (Callaway-Sant'Anna 2021,
    eq. for the aggregated parameters; ``did::aggte`` internal ``wif``)."""
    s = pg.sum()
    ind = (unit_g[:, None] == keep_groups[None, :]).astype(float)
    dev = ind - pg[None, :]
    return dev / s - dev.sum(axis=1)[:, None] * (pg / s**2)[None, :]


def _nested_cluster_codes(df: pd.DataFrame, cluster: str, entity: str, source: str) -> np.ndarray:
    """Integer codes of ``cluster`` for each row, checked to be constant within each entity.

    Raises:
        DataValidationError: the column is missing, has missing values or varies within an
            entity (the entity and its first two values are named).
    """
    _require_columns(df, [cluster], source)
    if df[cluster].isna().any():
        row = int(np.flatnonzero(df[cluster].isna().to_numpy())[0])
        raise DataValidationError(
            source, [f"cluster column {cluster!r} has missing values (first at row {row})"]
        )
    per_entity = df.groupby(entity, sort=False)[cluster].nunique()
    if (per_entity > 1).any():
        bad = _v(per_entity.index[per_entity.to_numpy() > 1][0])
        values = df.loc[df[entity] == bad, cluster].unique()[:2].tolist()
        raise DataValidationError(
            source,
            [
                f"cluster {cluster!r} must be constant within each {entity}: {entity} {bad!r} "
                f"has {values!r}"
            ],
        )
    return pd.factorize(df[cluster])[0].astype(np.int64)


#: Propensity scores of comparison units at or above this level get weight zero in the IPW and
#: doubly-robust 2x2 estimators (the ``trim.level`` of the DRDID package); fitted scores are
#: capped at ``1 - 1e-6`` so the odds ps/(1-ps) stay finite.
PS_TRIM_LEVEL = 0.995


class _CellNotIdentified(Exception):
    """A 2x2 cell whose covariate models cannot be fitted (the reason is the message)."""


def _logit_fit(x: np.ndarray, d: np.ndarray, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression of ``d`` (0/1) on ``x`` by Newton-Raphson (maximum likelihood).

    Returns the fitted probabilities and the inverse information ``(X' W X)^-1`` with
    ``W = diag(p (1 - p))`` (the usual ``vcov`` of a logit fit).

    Raises:
        _CellNotIdentified: a singular information matrix (collinear covariates) or no
            convergence (perfect separation).
    """
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise _CellNotIdentified(
            "propensity score: singular information matrix (collinear covariates)"
        )
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        eta = np.clip(x @ beta, -35.0, 35.0)
        p = 1.0 / (1.0 + np.exp(-eta))
        w = p * (1.0 - p)
        info = (x * w[:, None]).T @ x
        try:
            step = np.linalg.solve(info, x.T @ (d - p))
        except np.linalg.LinAlgError as exc:
            raise _CellNotIdentified("propensity score: singular information matrix") from exc
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10 * (1.0 + np.max(np.abs(beta))):
            break
    else:
        raise _CellNotIdentified("propensity score did not converge (perfect separation?)")
    eta = np.clip(x @ beta, -35.0, 35.0)
    p = 1.0 / (1.0 + np.exp(-eta))
    info = (x * (p * (1.0 - p))[:, None]).T @ x
    try:
        return p, np.linalg.inv(info)
    except np.linalg.LinAlgError as exc:  # pragma: no cover - caught by solve above
        raise _CellNotIdentified("propensity score: singular information matrix") from exc


def _ols_controls(x: np.ndarray, dy: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcome regression of ``dy`` on ``x`` among the comparison units (``d == 0``).

    Returns the fitted values for every unit, ``x @ b``, and the linear representation of
    ``b``: row i is ``(1 - d_i) (dy_i - x_i'b) x_i' (X0'X0 / n)^-1``.

    Raises:
        _CellNotIdentified: the comparison units' covariate matrix is rank deficient.
    """
    c = d == 0
    x0 = x[c]
    if np.linalg.matrix_rank(x0) < x.shape[1]:
        raise _CellNotIdentified("outcome regression: collinear covariates among comparison units")
    b, *_ = np.linalg.lstsq(x0, dy[c], rcond=None)
    fitted = x @ b
    n = len(dy)
    xpx_inv = np.linalg.inv(x0.T @ x0 / n)
    lin_rep = ((1.0 - d) * (dy - fitted))[:, None] * x @ xpx_inv
    return fitted, lin_rep


def _propensity(x: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fitted propensity scores (capped at 1 - 1e-6), comparison-unit weights
    ``w_0 = 1[ps < trim] ps (1-D) / (1-ps)`` and the linear representation of the logit
    coefficients, row i ``(D_i - ps_i) x_i' (X'WX / n)^-1``."""
    ps, vcov = _logit_fit(x, d)
    ps = np.minimum(ps, 1.0 - 1e-6)
    keep = np.where(d == 1, True, ps < PS_TRIM_LEVEL)
    w0 = keep * ps * (1.0 - d) / (1.0 - ps)
    lin_rep = ((d - ps)[:, None] * x) @ (vcov * len(d))
    return ps, w0, lin_rep


def _did_2x2_covariates(
    dy: np.ndarray, d: np.ndarray, x: np.ndarray, est_method: str
) -> tuple[float, np.ndarray]:
    """ATT of one 2x2 comparison with covariates and its influence function (mean zero).

    ``dy`` = Y_t - Y_b for the treated (``d = 1``) and comparison (``d = 0``) units of the cell,
    ``x`` their covariates at the base period b with a leading column of ones. With
    ``w_1 = D``, ``w_0 = ps(X)(1-D)/(1-ps(X))`` (logit propensity score, maximum likelihood) and
    ``m(X) = X'b`` (OLS of dY on X among the comparison units), as in Sant'Anna and Zhao
    (2020), "Doubly robust difference-in-differences estimators", J. Econometrics 219(1),
    101-122, doi:10.1016/j.jeconom.2020.06.003:

    - ``"reg"`` (outcome regression, Heckman, Ichimura and Todd 1997):
      ``ATT = E_n[w_1 (dY - m(X))] / E_n[w_1]``;
    - ``"ipw"`` (normalised/Hajek inverse probability weighting, Abadie 2005):
      ``ATT = E_n[w_1 dY] / E_n[w_1] - E_n[w_0 dY] / E_n[w_0]``;
    - ``"dr"`` (locally efficient doubly robust, their eq. 3.1):
      ``ATT = E_n[(w_1/E_n[w_1] - w_0/E_n[w_0]) (dY - m(X))]``, consistent if either the
      propensity score or the outcome regression is correctly specified.

    The influence function includes the estimation effect of the first-step logit and OLS
    coefficients (Sant'Anna and Zhao 2020, section 3 and appendix), so that
    ``se = sd(psi) / sqrt(n)``; it is the one ``did::att_gt`` receives from ``DRDID``.

    Raises:
        _CellNotIdentified: collinear covariates or a propensity score that cannot be fitted.
    """
    w1 = d.astype(float)
    mw1 = w1.mean()
    if est_method == "reg":
        m, lin_ols = _ols_controls(x, dy, d)
        a_treat = w1 * dy
        a_cont = w1 * m
        eta1 = a_treat.mean() / mw1
        eta0 = a_cont.mean() / mw1
        inf_treat = (a_treat - w1 * eta1) / mw1
        inf_cont = (a_cont - w1 * eta0 + lin_ols @ (w1[:, None] * x).mean(axis=0)) / mw1
        return float(eta1 - eta0), inf_treat - inf_cont
    _, w0, lin_ps = _propensity(x, d)
    mw0 = w0.mean()
    if mw0 <= 0:
        raise _CellNotIdentified("every comparison unit trimmed by the propensity score")
    if est_method == "ipw":
        a_treat, a_cont = w1 * dy, w0 * dy
        eta1, eta0 = a_treat.mean() / mw1, a_cont.mean() / mw0
        inf_treat = (a_treat - w1 * eta1) / mw1
        m2 = (w0 * (dy - eta0))[:, None] * x
        inf_cont = (a_cont - w0 * eta0 + lin_ps @ m2.mean(axis=0)) / mw0
        return float(eta1 - eta0), inf_treat - inf_cont
    # doubly robust
    m, lin_ols = _ols_controls(x, dy, d)
    resid = dy - m
    a_treat, a_cont = w1 * resid, w0 * resid
    eta1, eta0 = a_treat.mean() / mw1, a_cont.mean() / mw0
    inf_treat = (a_treat - w1 * eta1 - lin_ols @ (w1[:, None] * x).mean(axis=0)) / mw1
    m2 = (w0 * (resid - eta0))[:, None] * x
    inf_cont = (
        a_cont - w0 * eta0 + lin_ps @ m2.mean(axis=0) - lin_ols @ (w0[:, None] * x).mean(axis=0)
    ) / mw0
    return float(eta1 - eta0), inf_treat - inf_cont


def _staggered_setup(
    df: pd.DataFrame,
    y: str,
    entity: str,
    time: str,
    first_treated: str,
    source: str,
    cluster: str = "entity",
    controls: Sequence[str] = (),
) -> tuple[pd.DataFrame, pd.Series, int, int]:
    controls = list(controls)
    _require_columns(df, [y, entity, time, first_treated, *controls], source)
    _check_panel(df, [y, *controls], entity, time, source, integer_time=True)
    g = _cohorts(df, entity, time, first_treated, source)
    work = df[[y, entity, time, *controls]].copy()
    work["_g"] = g.to_numpy()
    if cluster != "entity":
        work["_cluster"] = _nested_cluster_codes(df, cluster, entity, source)
    tmin = float(work[time].min())
    always = (work["_g"] != 0) & (work["_g"] <= tmin)
    n_always = int(work.loc[always, entity].nunique())
    message = (
        f"{source}: dropped {n_always} always-treated entities (first_treated <= first "
        f"period {tmin:g}); no untreated period identifies their effect"
    )
    work = _drop_rows(work, always, message)
    work, n_single = _drop_singletons(work, entity, source)
    if (work["_g"] != 0).sum() == 0:
        raise DataValidationError(source, ["no treated entity left after dropping always-treated"])
    return work, work["_g"], n_always, n_single


class _Staggered(NamedTuple):
    """What both staggered estimators take: the prepared panel (:func:`_staggered_setup`), its
    columns, the comparison group, the level of the intervals, the cluster and the controls."""

    work: pd.DataFrame
    y: str
    entity: str
    time: str
    control: str
    alpha: float
    cluster: str
    controls: Sequence[str]


def _callaway_santanna(
    spec: _Staggered,
    se_method: str,
    n_boot: int,
    seed: int,
    est_method: str = "dr",
    base_period: str = "varying",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    work, y, entity, time, control, alpha, cluster, controls = spec
    ent_idx, ent_codes = pd.factorize(work[entity])
    periods = np.sort(work[time].unique().astype(float))
    t_idx = np.searchsorted(periods, work[time].to_numpy(float))
    n_units, n_t = len(ent_codes), len(periods)
    wide = np.full((n_units, n_t), np.nan)
    wide[ent_idx, t_idx] = work[y].to_numpy(float)
    unit_g = np.zeros(n_units)
    unit_g[ent_idx] = work["_g"].to_numpy(float)
    controls = list(controls)
    xwide = np.full((n_units, n_t, len(controls)), np.nan)
    if controls:
        xwide[ent_idx, t_idx, :] = work[controls].to_numpy(float)
    glist = np.sort(np.unique(unit_g[unit_g != 0]))
    if control == "never" and not (unit_g == 0).any():
        raise DataValidationError(
            "staggered_did",
            [
                "control='never' but no never-treated entity (first_treated 0 or missing); "
                "use control='notyet'"
            ],
        )
    cells: list[dict[str, Any]] = []
    infs: list[np.ndarray] = []
    notes: list[str] = []
    n = n_units
    for g in glist:
        base_post = int(np.searchsorted(periods, g)) - 1
        for ti in range(n_t):
            t = periods[ti]
            if base_period == "universal":
                if ti == base_post:
                    continue
                bi = base_post
            else:
                if ti == 0:
                    continue
                bi = base_post if t >= g else ti - 1
            if bi < 0:
                continue
            tb = periods[bi]
            treat_m = unit_g == g
            if control == "never":
                ctrl_m = unit_g == 0
            else:
                ctrl_m = (unit_g == 0) | ((unit_g > max(t, tb)) & (unit_g != g))
            dy = wide[:, ti] - wide[:, bi]
            ok = ~np.isnan(dy)
            tr, co = treat_m & ok, ctrl_m & ok
            n1, n0 = int(tr.sum()), int(co.sum())
            if n1 == 0 or n0 == 0:
                notes.append(f"ATT({g:g},{t:g}) not identified: {n1} treated, {n0} control units")
                continue
            inf = np.zeros(n)
            if controls:
                sub = tr | co
                xs = np.column_stack([np.ones(int(sub.sum())), xwide[sub, bi, :]])
                try:
                    att_cell, inf_sub = _did_2x2_covariates(
                        dy[sub], tr[sub].astype(float), xs, est_method
                    )
                except _CellNotIdentified as exc:
                    notes.append(f"ATT({g:g},{t:g}) not identified: {exc}")
                    continue
                # DRDID scale (mean over the cell's n_sub units) -> did's scale over all n
                inf[sub] = n / int(sub.sum()) * inf_sub
            else:
                m1, m0 = dy[tr].mean(), dy[co].mean()
                att_cell = m1 - m0
                inf[tr] = n / n1 * (dy[tr] - m1)
                inf[co] = -n / n0 * (dy[co] - m0)
            cells.append(
                {
                    "group": g,
                    "time": t,
                    "event_time": t - g,
                    "att": att_cell,
                    "n_treated": n1,
                    "n_control": n0,
                }
            )
            infs.append(inf)
    if not cells:
        raise DataValidationError(
            "staggered_did", ["no ATT(g,t) could be estimated", *dict.fromkeys(notes[:3])]
        )
    att_gt = pd.DataFrame(cells).astype({"group": int, "time": int, "event_time": int})
    psi_cells = np.column_stack(infs)
    att = att_gt["att"].to_numpy()
    grp = att_gt["group"].to_numpy()
    tt = att_gt["time"].to_numpy()
    et = att_gt["event_time"].to_numpy()
    pg_unit = {g: float((unit_g == g).mean()) for g in glist}
    pg = np.array([pg_unit[g] for g in grp])

    def aggregate(keep: np.ndarray) -> tuple[float, np.ndarray]:
        w = pg[keep] / pg[keep].sum()
        est = float(att[keep] @ w)
        inf = psi_cells[:, keep] @ w + _wif(grp[keep], pg[keep], unit_g) @ att[keep]
        return est, inf

    # simple: post cells weighted by group size
    post = tt >= grp
    simple_est, simple_inf = aggregate(post)
    # dynamic: by event time, overall = mean over e >= 0
    e_vals = np.sort(np.unique(et))
    dyn_est, dyn_inf = [], []
    for e in e_vals:
        est, inf = aggregate(et == e)
        dyn_est.append(est)
        dyn_inf.append(inf)
    dyn_post = e_vals >= 0
    dyn_overall = float(np.mean(np.array(dyn_est)[dyn_post]))
    dyn_overall_inf = np.column_stack(dyn_inf)[:, dyn_post].mean(axis=1)
    # group: mean of post cells per cohort; overall weighted by cohort size
    g_est, g_inf = [], []
    for g in glist:
        keep = (grp == g) & post
        g_est.append(float(att[keep].mean()))
        g_inf.append(psi_cells[:, keep].mean(axis=1))
    pgg = np.array([pg_unit[g] for g in glist])
    g_est_a = np.array(g_est)
    grp_overall = float(g_est_a @ (pgg / pgg.sum()))
    grp_overall_inf = (
        np.column_stack(g_inf) @ (pgg / pgg.sum()) + _wif(glist, pgg, unit_g) @ g_est_a
    )

    psi_all = np.column_stack(
        [psi_cells, simple_inf, *dyn_inf, dyn_overall_inf, *g_inf, grp_overall_inf]
    )
    if cluster != "entity":
        # Sum each entity's influence over its cluster: the variance then allows any
        # correlation within a cluster (Liang-Zeger), and the bootstrap draws one multiplier
        # per cluster.
        unit_cluster = np.empty(n_units, dtype=np.int64)
        unit_cluster[ent_idx] = work["_cluster"].to_numpy()
        unit_cluster = pd.factorize(unit_cluster)[0]  # clusters left after the drops
        n_clusters = int(unit_cluster.max()) + 1
        psi_all = _cluster_sums(psi_all, unit_cluster, n_clusters)
        psi_cells = psi_all[:, : psi_cells.shape[1]]
    if se_method == "analytic":
        se_all = np.sqrt((psi_all**2).sum(axis=0)) / n
    else:
        se_all = _bootstrap_se(psi_all, n_boot, seed, n)
    k = len(att)
    se_cells = se_all[:k]
    se_simple = se_all[k]
    se_dyn = se_all[k + 1 : k + 1 + len(e_vals)]
    psi_dyn = psi_all[:, k + 1 : k + 1 + len(e_vals)]
    dyn_cov = pd.DataFrame(
        psi_dyn.T @ psi_dyn / n**2, index=e_vals.astype(int), columns=e_vals.astype(int)
    )
    se_dyn_overall = se_all[k + 1 + len(e_vals)]
    se_g = se_all[k + 2 + len(e_vals) : k + 2 + len(e_vals) + len(glist)]
    se_g_overall = se_all[-1]

    att_gt = att_gt.assign(**_tidy(att, se_cells, alpha))
    simple = pd.DataFrame(
        {
            "att": [simple_est],
            **{
                c: [v[0]]
                for c, v in _tidy(np.array([simple_est]), np.array([se_simple]), alpha).items()
            },
        }
    )
    dyn_vals = np.append(np.array(dyn_est), dyn_overall)
    dyn_se = np.append(se_dyn, se_dyn_overall)
    dynamic = pd.DataFrame(
        {
            "event_time": [*e_vals.astype(int).tolist(), "overall"],
            "att": dyn_vals,
            **_tidy(dyn_vals, dyn_se, alpha),
        }
    )
    g_vals = np.append(g_est_a, grp_overall)
    g_se = np.append(se_g, se_g_overall)
    group = pd.DataFrame(
        {
            "group": [*glist.astype(int).tolist(), "overall"],
            "att": g_vals,
            **_tidy(g_vals, g_se, alpha),
        }
    )
    # pre-trend Wald test on pre-treatment ATT(g,t), analytic covariance
    pre = ~post
    extra: dict[str, Any] = {"notes": notes}
    if pre.any():
        v = psi_cells[:, pre].T @ psi_cells[:, pre] / n**2
        a = att[pre]
        try:
            stat = float(a @ np.linalg.solve(v, a))
        except np.linalg.LinAlgError:
            stat = float(a @ np.linalg.pinv(v) @ a)
        extra.update(
            pretrend_stat=stat,
            pretrend_df=int(pre.sum()),
            pretrend_pvalue=float(stats.chi2.sf(stat, int(pre.sum()))),
        )
    extra["n_entities"] = n
    extra["dynamic_cov"] = dyn_cov
    return att_gt, simple, dynamic, group, extra


def _lincomb(b: np.ndarray, cov: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    return float(w @ b), float(np.sqrt(w @ cov @ w))


def _sun_abraham(
    spec: _Staggered, backend: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    work, y, entity, time, control, alpha, cluster, controls = spec
    g = work["_g"].to_numpy(float)
    notes: list[str] = []
    if control == "never":
        if not (g == 0).any():
            raise DataValidationError(
                "staggered_did",
                [
                    "method='sun_abraham', control='never' but there is no never-treated entity; "
                    "use control='notyet' (last-treated cohort as control)"
                ],
            )
        ctrl_cohorts: set[float] = {0.0}
    else:
        g_last = float(g[g != 0].max())
        ctrl_cohorts = {0.0, g_last}
        keep = work[time].to_numpy(float) < g_last
        work = work.loc[keep]
        g = g[keep]
        notes.append(
            f"control='notyet': last-treated cohort {g_last:g} is the control; "
            f"periods >= {g_last:g} dropped (Sun and Abraham 2021, section 4)"
        )
        # A control that is zero in every kept period (e.g. a baseline covariate interacted
        # with a dropped year, baseline_by_period) carries nothing and would make the design
        # singular; it is left out, with a note.
        empty = [c for c in controls if not work[c].to_numpy(float).any()]
        if empty:
            controls = [c for c in controls if c not in empty]
            notes.append(
                f"control(s) {', '.join(empty)} are zero in every kept period and are left out"
            )
    t = work[time].to_numpy(float)
    rel = t - g
    treated = ~np.isin(g, list(ctrl_cohorts))
    cells = (
        pd.DataFrame({"group": g[treated], "event_time": rel[treated]})
        .value_counts()
        .rename("nobs")
        .reset_index()
        .sort_values(["group", "event_time"])
    )
    cells = cells[cells["event_time"] != -1].reset_index(drop=True)
    x = np.zeros((len(work), len(cells)))
    # Column of each treated row's (cohort, event time) cell (-1: the omitted event time -1).
    index = pd.MultiIndex.from_arrays([cells["group"], cells["event_time"]])
    rows = np.flatnonzero(treated)
    cols = index.get_indexer(pd.MultiIndex.from_arrays([g[rows], rel[rows]]))
    x[rows[cols >= 0], cols[cols >= 0]] = 1.0
    names = [f"sa_{j}" for j in range(len(cells))]
    # One frame built at once (column by column insertion costs more than the fit itself).
    parts = {name: x[:, j] for j, name in enumerate(names)}
    extra = [y, entity, time, *(["_cluster"] if cluster != "entity" else []), *controls]
    parts.update({c: work[c].to_numpy() for c in extra})
    design = pd.DataFrame(parts, index=work.index)
    cluster_by = "entity" if cluster == "entity" else "_cluster"
    k_sa = len(names)
    params, cov, _, _, _ = _fit(design, y, [*names, *controls], entity, time, cluster_by, backend)
    params, cov = params[:k_sa], cov[:k_sa, :k_sa]
    se = np.sqrt(np.diag(cov))
    att_gt = (
        pd.DataFrame(
            {
                "group": cells["group"],
                "time": cells["group"] + cells["event_time"],
                "event_time": cells["event_time"],
                "att": params,
                "n_treated": cells["nobs"],
            }
        )
        .astype({"group": int, "time": int, "event_time": int})
        .assign(**_tidy(params, se, alpha))
    )
    nobs = cells["nobs"].to_numpy(float)
    et = cells["event_time"].to_numpy()
    grp = cells["group"].to_numpy()
    post = et >= 0

    def combo(w: np.ndarray) -> tuple[float, float]:
        return _lincomb(params, cov, w)

    w_simple = np.where(post, nobs, 0.0)
    s_est, s_se = combo(w_simple / w_simple.sum())
    simple = pd.DataFrame(
        {
            "att": [s_est],
            **{c: [v[0]] for c, v in _tidy(np.array([s_est]), np.array([s_se]), alpha).items()},
        }
    )
    e_vals = np.sort(np.unique(et))
    w_dyn = []
    for e in e_vals:
        w = np.where(et == e, nobs, 0.0)
        w_dyn.append(w / w.sum())
    w_dyn_overall = np.mean([w for w, e in zip(w_dyn, e_vals, strict=True) if e >= 0], axis=0)
    dyn = [combo(w) for w in [*w_dyn, w_dyn_overall]]
    w_mat = np.vstack(w_dyn)
    dyn_cov = pd.DataFrame(
        w_mat @ cov @ w_mat.T, index=e_vals.astype(int), columns=e_vals.astype(int)
    )
    dyn_est, dyn_se = np.array([d[0] for d in dyn]), np.array([d[1] for d in dyn])
    dynamic = pd.DataFrame(
        {
            "event_time": [*e_vals.astype(int).tolist(), "overall"],
            "att": dyn_est,
            **_tidy(dyn_est, dyn_se, alpha),
        }
    )
    glist = np.sort(np.unique(grp))
    unit_counts = work.loc[treated].groupby("_g")[entity].nunique()
    w_grp = []
    for gg in glist:
        w = np.where((grp == gg) & post, nobs, 0.0)
        w_grp.append(w / w.sum())
    sizes = np.array([unit_counts.get(gg, 0) for gg in glist], dtype=float)
    w_grp_overall = np.sum([w * s for w, s in zip(w_grp, sizes, strict=True)], axis=0) / sizes.sum()
    gr = [combo(w) for w in [*w_grp, w_grp_overall]]
    g_est, g_se = np.array([d[0] for d in gr]), np.array([d[1] for d in gr])
    group = pd.DataFrame(
        {
            "group": [*glist.astype(int).tolist(), "overall"],
            "att": g_est,
            **_tidy(g_est, g_se, alpha),
        }
    )
    extra = {"notes": notes, "n_entities": work[entity].nunique(), "dynamic_cov": dyn_cov}
    return att_gt, simple, dynamic, group, extra


def staggered_did(
    df: pd.DataFrame,
    y: str,
    entity: str,
    time: str,
    first_treated: str,
    method: Literal["callaway_santanna", "sun_abraham"] = "callaway_santanna",
    control: Literal["never", "notyet"] = "never",
    se_method: Literal["analytic", "bootstrap"] = "analytic",
    n_boot: int = 999,
    seed: int = 20211,
    alpha: float = 0.05,
    backend: Literal["auto", "linearmodels", "within"] = "auto",
    cluster: str = "entity",
    controls: Sequence[str] = (),
    est_method: Literal["dr", "reg", "ipw"] | None = None,
    base_period: Literal["varying", "universal"] = "varying",
) -> StaggeredResult:
    """Heterogeneity-robust DiD for staggered adoption: ATT(g, t) and its aggregations.

    ``first_treated`` (G) is the first treated period; **never-treated entities are coded 0 or
    missing (NaN)**; any other value outside the panel's periods is refused. Entities treated in
    the first period (always-treated) are dropped with a warning, as in ``did::att_gt``.

    ``method="callaway_santanna"`` (Callaway and Sant'Anna 2021, "Difference-in-differences with
    multiple time periods", J. Econometrics 225(2), 200-230), unconditional parallel trends:
    ``ATT(g,t) = E[Y_t - Y_b | G=g] - E[Y_t - Y_b | C]`` with base period ``b = g-1`` for
    ``t >= g`` and ``b = t-1`` before (the ``did`` package's "varying" base period); the
    comparison C is the never-treated (``control="never"``) or the never- and not-yet-treated
    (``G > max(t, b)``, ``control="notyet"``). Each 2x2 uses the entities observed in both t and
    b, so unbalanced panels use every available pair. Standard errors come from the influence
    functions psi_i (one per entity): analytic ``sqrt(sum_i psi_i^2)/N``, or a seeded Mammen
    multiplier bootstrap with the IQR-based scale of ``did`` (``se_method="bootstrap"``). With
    ``cluster`` a column (e.g. the village, which must be constant within each entity) the
    influence functions are first summed within clusters, ``S_c = sum_{i in c} psi_i``:
    analytic ``sqrt(sum_c S_c^2)/N`` (the Liang-Zeger form, no small-sample factor) and one
    bootstrap multiplier per cluster (as ``did::att_gt(clustervars=...)`` draws them).
    Aggregations (``did::aggte``): simple = post-treatment cells weighted by cohort size;
    dynamic = by event time e = t-g, cohort-size weights, overall = mean over e >= 0; group =
    mean of a cohort's post cells, overall weighted by cohort size; the influence functions
    include the estimated weights.

    ``method="sun_abraham"`` (Sun and Abraham 2021, "Estimating dynamic treatment effects in event
    studies with heterogeneous treatment effects", J. Econometrics 225(2), 175-199): one
    regression with entity and time effects and cohort x relative-time dummies (reference
    relative time -1), whose coefficients are CATT(g, e); the control cohort is the never-treated
    (``"never"``) or the last-treated cohort with periods from its adoption dropped
    (``"notyet"``). Aggregations weight CATT(g, e) by cell observation counts (dynamic: within
    each e; group: within each cohort, overall by cohort size; simple: all post cells), with
    delta-method standard errors treating the weights as fixed, clustered by entity or by the
    ``cluster`` column (the covariance of :func:`twfe`).

    **Covariates** (``controls=(...)``, numeric columns, as in :func:`twfe`). Callaway-Sant'Anna
    then assumes parallel trends conditional on X and estimates each ATT(g, t) from the 2x2
    comparison of ``dY = Y_t - Y_b`` between cohort g (D = 1) and its comparison units (D = 0)
    with X taken at the base period b, by ``est_method`` (as in ``did::att_gt``; default "dr"):
    ``"reg"`` outcome regression ``E_n[D (dY - X'b0)] / E_n[D]`` with b0 the OLS of dY on X among
    the comparison units; ``"ipw"`` normalised inverse probability weighting
    ``E_n[D dY]/E_n[D] - E_n[w0 dY]/E_n[w0]``, ``w0 = ps(X)(1-D)/(1-ps(X))`` with a logit
    propensity score (comparison units with ps >= 0.995 get weight zero); ``"dr"`` the locally
    efficient doubly robust estimator ``E_n[(D/E_n[D] - w0/E_n[w0]) (dY - X'b0)]``, consistent if
    either model is right (Sant'Anna and Zhao 2020, "Doubly robust difference-in-differences
    estimators", J. Econometrics 219(1), 101-122, doi:10.1016/j.jeconom.2020.06.003). Their
    influence functions include the first-step estimation of the logit and OLS coefficients,
    so the analytic and bootstrap standard errors, the clustering and the aggregations above
    apply unchanged. A cell whose covariate models cannot be fitted (collinear covariates,
    perfect separation) is left out with a note. ``est_method`` is ignored without controls
    (every method then equals the unconditional estimator, whose results are unchanged).
    Sun-Abraham adds the controls linearly to its regression (as ``feols(y ~ x1 +
    sunab(cohort, period) | id + period)``); the reported CATT(g, e) are then the
    cohort x relative-time coefficients holding the controls fixed.

    ``base_period`` (Callaway-Sant'Anna): ``"varying"`` (default, above) or ``"universal"``,
    where every ATT(g, t) compares with b = g-1 and the cell t = g-1 is the normalisation
    (omitted); post-treatment cells are identical. Use "universal" for event-study plots that
    set pre-periods beside Sun-Abraham and for sensitivity analysis
    (:func:`cases.methods.honest.staggered_sensitivity`). ``dynamic_cov`` of the result is the
    covariance of the event-time estimates (analytic influence-function covariance for
    Callaway-Sant'Anna, also under ``se_method="bootstrap"``; the delta-method covariance for
    Sun-Abraham).

    Units of every estimate are those of ``y``. Confidence intervals are pointwise normal.
    References: Callaway and Sant'Anna (2021), doi:10.1016/j.jeconom.2020.12.001; Sun and
    Abraham (2021), doi:10.1016/j.jeconom.2020.09.006.

    Raises:
        DataValidationError: missing columns/values, non-numeric or non-integer time, duplicate
            entity-time rows, ``first_treated`` varying within an entity or outside the panel's
            periods, no treated entity, no comparison group for the chosen ``control``; a
            control with missing values; no ATT(g, t) estimable (the first reasons named).
        DataValidationError: (also) a ``cluster`` column that is missing, has missing values
            or varies within an entity.
        ParameterError: unknown ``method``, ``control``, ``se_method``, ``est_method`` or
            ``base_period``; ``cluster`` "time"; controls that repeat a column or name ``y``,
            ``entity``, ``time``, ``first_treated`` or ``cluster``.
    """
    source = "staggered_did"
    if method not in ("callaway_santanna", "sun_abraham"):
        raise ParameterError(f"method must be 'callaway_santanna' or 'sun_abraham', got {method!r}")
    if control not in ("never", "notyet"):
        raise ParameterError(f"control must be 'never' or 'notyet', got {control!r}")
    if se_method not in ("analytic", "bootstrap"):
        raise ParameterError(f"se_method must be 'analytic' or 'bootstrap', got {se_method!r}")
    if se_method == "bootstrap" and method == "sun_abraham":
        raise ParameterError("se_method='bootstrap' is available for method='callaway_santanna'")
    if not isinstance(cluster, str) or cluster in ("time", ""):
        raise ParameterError(
            f"cluster must be 'entity' or a column constant within each entity, got {cluster!r}"
        )
    if isinstance(controls, str):
        controls = [controls]
    controls = list(controls)
    reserved = {y, entity, time, first_treated, cluster, "_g", "_cluster"}
    clash = [c for c in controls if c in reserved]
    if clash or len(set(controls)) != len(controls):
        raise ParameterError(
            f"controls must be distinct columns other than y, entity, time, first_treated and "
            f"cluster, got {controls!r}"
        )
    if base_period not in ("varying", "universal"):
        raise ParameterError(f"base_period must be 'varying' or 'universal', got {base_period!r}")
    if est_method is None:
        est_method = "dr"
    if est_method not in ("dr", "reg", "ipw"):
        raise ParameterError(f"est_method must be 'dr', 'reg' or 'ipw', got {est_method!r}")
    work, _, n_always, n_single = _staggered_setup(
        df, y, entity, time, first_treated, source, cluster, controls
    )
    spec = _Staggered(work, y, entity, time, control, alpha, cluster, controls)
    if method == "callaway_santanna":
        att_gt, simple, dynamic, group, extra = _callaway_santanna(
            spec, se_method, n_boot, seed, est_method, base_period
        )
    else:
        att_gt, simple, dynamic, group, extra = _sun_abraham(spec, backend)
    return StaggeredResult(
        method=method,
        control=control,
        att_gt=att_gt,
        simple=simple,
        dynamic=dynamic,
        group=group,
        n_entities=int(extra["n_entities"]),
        se_method=se_method if method == "callaway_santanna" else "cluster-delta",
        pretrend_stat=extra.get("pretrend_stat", float("nan")),
        pretrend_df=extra.get("pretrend_df", 0),
        pretrend_pvalue=extra.get("pretrend_pvalue", float("nan")),
        n_dropped_always_treated=n_always,
        n_singletons_dropped=n_single,
        notes=extra["notes"],
        controls=tuple(controls),
        est_method=est_method if (controls and method == "callaway_santanna") else "",
        base_period=base_period if method == "callaway_santanna" else "universal",
        dynamic_cov=extra.get("dynamic_cov"),
    )


# --------------------------------------------------------------------------------------------
# Goodman-Bacon decomposition
# --------------------------------------------------------------------------------------------
def bacon_decomposition(
    df: pd.DataFrame, y: str, treat: str, entity: str, time: str
) -> BaconResult:
    """Goodman-Bacon (2021) decomposition of the TWFE DiD coefficient into 2x2 comparisons.

    With timing groups k (first treated period) and never-treated U on a balanced panel,
    ``b_TWFE = sum_k s_kU b_kU + sum_{k<l} (s^k_kl b^k_kl + s^l_kl b^l_kl)``; ``b^k_kl`` compares
    early group k with not-yet-treated l before l adopts, ``b^l_kl`` compares late group l with
    already-treated k after k adopted (the "forbidden" comparison that biases TWFE when effects
    change over time). Weights (Goodman-Bacon 2021, "Difference-in-differences with variation
    in treatment timing", J. Econometrics 225(2), 254-277, eq. 10a-10e) are, with sample shares
    n and treated-period shares D̄, divided by the variance of the two-way-demeaned treatment:
    ``s_kU ∝ (n_k+n_U)^2 n_kU(1-n_kU) D̄_k(1-D̄_k)``,
    ``s^k_kl ∝ ((n_k+n_l)(1-D̄_l))^2 n_kl(1-n_kl) (D̄_k-D̄_l)/(1-D̄_l) (1-D̄_k)/(1-D̄_l)``,
    ``s^l_kl ∝ ((n_k+n_l)D̄_k)^2 n_kl(1-n_kl) (D̄_l/D̄_k) (D̄_k-D̄_l)/D̄_k``.
    Always-treated entities form a group with D̄ = 1 (they only serve as controls). The weights
    sum to 1 and ``sum(weight * estimate)`` equals the TWFE coefficient (tested).

    Raises:
        DataValidationError: unbalanced panel, non-binary treatment, a treatment that switches
            off (name of entity and time), a treatment that never varies, plus the checks of
            :func:`twfe`.
    """
    source = "bacon_decomposition"
    _require_columns(df, [y, treat, entity, time], source)
    _check_panel(df, [y, treat], entity, time, source)
    d = df[treat]
    if not d.isin([0, 1]).all():
        bad = df.loc[~d.isin([0, 1])].iloc[0]
        raise DataValidationError(
            source,
            [
                f"treatment {treat!r} must be 0/1, got {_v(bad[treat])!r} at "
                f"{entity}={_v(bad[entity])!r}, {time}={_v(bad[time])!r}"
            ],
        )
    if d.nunique() < 2:
        raise DataValidationError(source, [f"treatment {treat!r} never varies"])
    periods = np.sort(df[time].unique())
    counts = df.groupby(entity)[time].size()
    if (counts != len(periods)).any():
        ent = counts.index[(counts != len(periods)).to_numpy()][0]
        raise DataValidationError(
            source,
            [
                f"unbalanced panel: {entity}={_v(ent)!r} has {counts[ent]} of {len(periods)} "
                "periods; the decomposition needs a balanced panel (Goodman-Bacon 2021)"
            ],
        )
    s = df.sort_values([entity, time])
    prev = s.groupby(entity)[treat].shift()
    off = (prev == 1) & (s[treat] == 0)
    _refuse_rows(
        s,
        off,
        source,
        lambda row: (
            f"treatment {treat!r} switches off at {entity}={_v(row[entity])!r}, "
            f"{time}={_v(row[time])!r}; the decomposition assumes it stays on"
        ),
    )
    first = s.loc[s[treat] == 1].groupby(entity)[time].min()
    timing = s[entity].map(first).fillna(0).to_numpy(float)
    ent_timing = pd.Series(timing, index=s.index).groupby(s[entity].to_numpy()).first()
    n_units = len(ent_timing)
    share = ent_timing.value_counts() / n_units
    t_arr = periods.astype(float)
    means = (
        pd.DataFrame({"k": timing, "t": s[time].to_numpy(float), "y": s[y].to_numpy(float)})
        .pivot_table(index="k", columns="t", values="y", aggfunc="mean")
        .reindex(columns=t_arr)
    )
    dbar = {k: float((t_arr >= k).mean()) for k in share.index if k != 0}

    def did2x2(tr: float, co: float, window: np.ndarray, post: np.ndarray) -> float:
        mt, mc = means.loc[tr].to_numpy()[window], means.loc[co].to_numpy()[window]
        p = post[window]
        return float((mt[p].mean() - mt[~p].mean()) - (mc[p].mean() - mc[~p].mean()))

    # variance of the two-way demeaned treatment (balanced panel)
    dmat = (t_arr[None, :] >= np.array(list(ent_timing.replace(0, np.inf)))[:, None]).astype(float)
    dd = dmat - dmat.mean(axis=1, keepdims=True) - dmat.mean(axis=0, keepdims=True) + dmat.mean()
    v_d = float((dd**2).mean())
    rows = []
    ks = sorted(k for k in share.index if k != 0)
    n_u = float(share.get(0.0, 0.0))
    for k in ks:
        if n_u > 0 and 0 < dbar[k] < 1:
            nk = share[k]
            nku = nk / (nk + n_u)
            w = (nk + n_u) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k]) / v_d
            est = did2x2(k, 0.0, np.ones_like(t_arr, bool), t_arr >= k)
            rows.append(("Treated vs Never treated", k, 0.0, est, w))
    for i, k in enumerate(ks):
        for ell in ks[i + 1 :]:
            nk, nl = share[k], share[ell]
            nkl = nk / (nk + nl)
            dk, dl = dbar[k], dbar[ell]
            if dk < 1:
                w = (
                    ((nk + nl) * (1 - dl)) ** 2
                    * nkl
                    * (1 - nkl)
                    * (dk - dl)
                    / (1 - dl)
                    * (1 - dk)
                    / (1 - dl)
                    / v_d
                )
                est = did2x2(k, ell, t_arr < ell, t_arr >= k)
                rows.append(("Earlier vs Later treated", k, ell, est, w))
            if dl > 0:
                w = ((nk + nl) * dk) ** 2 * nkl * (1 - nkl) * (dl / dk) * (dk - dl) / dk / v_d
                est = (
                    did2x2(ell, k, t_arr >= k, t_arr >= ell)
                    if dk < 1
                    else did2x2(ell, k, np.ones_like(t_arr, bool), t_arr >= ell)
                )
                kind = "Later vs Always treated" if dk == 1 else "Later vs Earlier treated"
                rows.append((kind, ell, k, est, w))
    table = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight"])
    table = table[table["weight"] > 0].reset_index(drop=True)
    fit = twfe(df, y, treat, entity, time, cluster=None, backend="within")
    by_type = (
        table.assign(wx=table["weight"] * table["estimate"])
        .groupby("type")
        .agg(weight=("weight", "sum"), wx=("wx", "sum"))
        .assign(estimate=lambda t: t["wx"] / t["weight"])
        .drop(columns="wx")
        .reset_index()
    )
    return BaconResult(table=table, twfe=fit.coef, by_type=by_type)


def baseline_by_period(
    df: pd.DataFrame, columns: Sequence[str], entity: str, time: str
) -> tuple[pd.DataFrame, list[str]]:
    """Time-invariant (baseline) covariates made usable beside unit fixed effects.

    A baseline covariate ``x_i`` (fixed for each entity) is absorbed by entity effects, so
    :func:`twfe` and Sun-Abraham (:func:`staggered_did` with ``method="sun_abraham"``) cannot
    adjust for it as a plain control. The standard adjustment under conditional parallel trends
    lets outcomes move differently over time by ``x``: one column ``x_i * 1[t == s]`` for every
    period ``s`` except the first (the reference), named ``<x>_by_<s>``. Callaway-Sant'Anna takes
    ``x`` itself as a control (its 2x2 comparisons use ``x`` at the base period).

    Returns a copy of ``df`` with the new columns, and their names (in covariate, period order).

    Raises:
        DataValidationError: a missing or non-numeric column, a missing value, or a covariate
            that changes within an entity (row named, from 1), i.e. one that is not baseline.
    """
    source = "baseline_by_period"
    columns = list(columns)
    _require_columns(df, [entity, time, *columns], source)
    problems = []
    for c in columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            problems.append(f"column {c!r} is not numeric")
            continue
        bad = df[c].isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(f"column {c!r}: missing value in row {i + 1}")
            continue
        varies = (df[c] != df.groupby(entity)[c].transform("first")).to_numpy()
        if varies.any():
            i = int(np.flatnonzero(varies)[0])
            problems.append(
                f"column {c!r} changes within {entity}={_v(df[entity].iloc[i])!r} (row {i + 1}): "
                "a baseline covariate must be fixed for each unit"
            )
    if problems:
        raise DataValidationError(source, problems)
    out = df.copy()
    periods = sorted(out[time].unique())
    names = []
    for c in columns:
        x = out[c].to_numpy(float)
        for s in periods[1:]:
            name = f"{c}_by_{_v(s)}"
            out[name] = x * (out[time].to_numpy() == s)
            names.append(name)
    return out, names
