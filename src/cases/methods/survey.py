"""Survey instruments (Likert scales), reliability, scale scores, group comparisons, ordered logit.

Instruments live as YAML in ``data/instruments/`` and load into typed pydantic objects
(:class:`Instrument`).  Reliability follows classical test theory: Cronbach's alpha, McDonald's
omega from a one-factor maximum-likelihood model, corrected item–total correlations and
alpha-if-item-deleted.  Group comparisons and the ordered logit return tidy DataFrames.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from cases.core.errors import DataValidationError, ParameterError
from cases.data.instruments import (
    Instrument,
    Item,
    ResponseRange,
    Scale,
    list_instruments,
    load_instrument,
)

__all__ = [
    "Instrument",
    "Item",
    "ResponseRange",
    "Scale",
    "compare_groups",
    "corrected_item_total",
    "cronbach_alpha",
    "item_analysis",
    "list_instruments",
    "load_instrument",
    "mcdonald_omega",
    "one_factor_ml",
    "ordered_logit",
    "reliability_table",
    "reverse_code",
    "scale_scores",
]


# --------------------------------------------------------------------------------------------
# Instrument model
# --------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------
# Reliability
# --------------------------------------------------------------------------------------------


def _item_matrix(items: pd.DataFrame | np.ndarray, *, min_items: int = 2) -> np.ndarray:
    """Complete-case float matrix (respondents x items); raises ValueError on bad input."""
    if isinstance(items, pd.DataFrame):
        non_numeric = [c for c in items.columns if not pd.api.types.is_numeric_dtype(items[c])]
        if non_numeric:
            raise DataValidationError(
                "items", [f"column {c!r} is not numeric" for c in non_numeric]
            )
        x = items.to_numpy(dtype=float)
    else:
        x = np.asarray(items, dtype=float)
    if x.ndim != 2:
        raise ParameterError(f"items must be 2-dimensional (respondents x items), got {x.ndim}-D")
    if x.shape[1] < min_items:
        raise ParameterError(f"items: need at least {min_items} items, got {x.shape[1]}")
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] < 3:
        raise ParameterError(f"items: need at least 3 complete respondents, got {x.shape[0]}")
    return x


def cronbach_alpha(items: pd.DataFrame | np.ndarray) -> float:
    """Cronbach's coefficient alpha of a set of items (columns) over respondents (rows).

    Formula: ``alpha = k/(k-1) * (1 - sum_i s_i^2 / s_X^2)``, with ``k`` items, ``s_i^2`` the
    item variances and ``s_X^2`` the variance of the unweighted sum score (both with ddof=1;
    the ddof cancels).  Rows with any missing answer are excluded (listwise deletion), as
    SPSS RELIABILITY and R psych::alpha(use="complete") do.  Unitless; at most 1, may be negative.

    Reference: Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika* 16, 297–334.

    Raises:
        ParameterError: fewer than 2 items or 3 complete rows; zero variance of the sum score.
        DataValidationError: a non-numeric column.
    """
    x = _item_matrix(items)
    k = x.shape[1]
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        raise ParameterError("items: the sum score has zero variance; alpha is undefined")
    return float(k / (k - 1) * (1.0 - x.var(axis=0, ddof=1).sum() / total_var))


def one_factor_ml(
    items: pd.DataFrame | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit a one-factor model by maximum likelihood; return (loadings, uniquenesses).

    Model: ``Sigma = lambda lambda' + diag(psi)``.  statsmodels ``Factor(method="ml")`` fits the
    correlation matrix (standardised solution); ML is scale invariant, so the covariance-metric
    estimates are ``lambda_i = lambda*_i s_i`` and ``psi_i = psi*_i s_i^2``.  Loadings are signed
    so that their sum is positive.  Complete cases only.

    Reference: Lawley, D. N. & Maxwell, A. E. (1971). *Factor Analysis as a Statistical Method*,
    2nd ed., ch. 4.

    Raises:
        ParameterError: fewer than 3 items (one-factor model not identified) or rows.
    """
    from statsmodels.multivariate.factor import Factor

    x = _item_matrix(items, min_items=3)
    sd = x.std(axis=0, ddof=1)
    if np.any(sd == 0):
        raise ParameterError("items: an item has zero variance; the factor model is undefined")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns on Heywood cases; handled below
        res = Factor(x, n_factor=1, method="ml").fit()
    std_loadings = np.asarray(res.loadings, dtype=float)[:, 0]
    if std_loadings.sum() < 0:
        std_loadings = -std_loadings
    std_uniq = np.clip(1.0 - std_loadings**2, 0.0, None)
    return std_loadings * sd, std_uniq * sd**2


def mcdonald_omega(items: pd.DataFrame | np.ndarray) -> float:
    """McDonald's omega (total) for the unweighted sum of the items, one-factor model.

    Formula: ``omega = (sum_i lambda_i)^2 / ((sum_i lambda_i)^2 + sum_i psi_i)`` with
    loadings ``lambda`` and uniquenesses ``psi`` from :func:`one_factor_ml` (maximum likelihood,
    covariance metric), i.e. the model-implied share of sum-score variance due to the common
    factor.  Equals alpha when items are essentially tau-equivalent; exceeds it otherwise.

    Reference: McDonald, R. P. (1999). *Test Theory: A Unified Treatment*, eq. 6.20b;
    Revelle, W. & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega and the glb.
    *Psychometrika* 74, 145–154.

    Raises:
        ParameterError: fewer than 3 items or too few complete rows.
    """
    loadings, uniq = one_factor_ml(items)
    common = loadings.sum() ** 2
    return float(common / (common + uniq.sum()))


def corrected_item_total(items: pd.DataFrame) -> pd.Series:
    """Corrected item–total correlation: Pearson r of each item with the sum of the *other* items.

    Complete cases only.  Reference: Nunnally, J. C. & Bernstein, I. H. (1994). *Psychometric
    Theory*, 3rd ed., ch. 8.  Raises as :func:`cronbach_alpha`.
    """
    x = _item_matrix(items)
    total = x.sum(axis=1)
    r = [np.corrcoef(x[:, j], total - x[:, j])[0, 1] for j in range(x.shape[1])]
    return pd.Series(r, index=list(items.columns), name="corrected_item_total_r")


def item_analysis(items: pd.DataFrame) -> pd.DataFrame:
    """Per-item table: n, mean, sd, corrected item–total r and alpha if the item is deleted.

    Columns: ``item, n, mean, sd, corrected_item_total_r, alpha_if_deleted``.  Statistics use
    the complete cases of the whole item set, so every row refers to the same respondents.
    Alpha-if-deleted needs at least 3 items (2 remain).
    """
    complete = items.dropna()
    x = _item_matrix(complete, min_items=3)
    r = corrected_item_total(complete)
    rows = []
    for j, col in enumerate(items.columns):
        rest = np.delete(x, j, axis=1)
        rows.append(
            {
                "item": col,
                "n": x.shape[0],
                "mean": x[:, j].mean(),
                "sd": x[:, j].std(ddof=1),
                "corrected_item_total_r": r[col],
                "alpha_if_deleted": cronbach_alpha(rest),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Scale scores
# --------------------------------------------------------------------------------------------


def reverse_code(values: pd.Series | np.ndarray, low: int, high: int) -> pd.Series | np.ndarray:
    """Reverse a Likert code: ``x' = low + high - x`` (missing stays missing)."""
    return low + high - values


def recoded_items(data: pd.DataFrame, instrument: Instrument, scale: Scale) -> pd.DataFrame:
    """The item columns of ``scale`` as floats, reverse-keyed items recoded (:func:`reverse_code`).

    The frame keeps ``data``'s index and has one column per item, in scale order; missing
    answers stay missing.
    """
    block = pd.DataFrame(index=data.index)
    for item in scale.items:
        lo, hi = instrument.item_range(item)
        col = pd.to_numeric(data[item]).astype(float)
        block[item] = reverse_code(col, lo, hi) if item in scale.reverse else col
    return block


def scale_scores(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    min_share_answered: float = 0.5,
    scales: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Scale scores: the mean of a scale's answered items, after reverse-coding.

    Rule for partial answers ("half rule", prorated mean): a respondent's score on a scale is
    the mean of the items they answered if they answered at least ``min_share_answered`` of the
    scale's items (default 0.5, i.e. at least half), otherwise NaN.  Reverse-keyed items are
    recoded ``low + high - x`` first.  Scores are on the item response metric (e.g. 1–5).
    The returned frame keeps ``data``'s index and has one column per scale.

    Reference: Bell, M. L., Fairclough, D. L. et al. (2014). Handling missing items in the
    Hospital Anxiety and Depression Scale: a simulation study. *BMC Research Notes* 7, 1–8
    (half rule).

    Raises:
        DataValidationError: an item column is missing from ``data`` or holds a code outside
            its range (read data with :func:`cases.data.io.read_survey` first).
        ParameterError: ``min_share_answered`` not in (0, 1]; unknown scale id.
    """
    if not 0 < min_share_answered <= 1:
        raise ParameterError(f"min_share_answered must be in (0, 1], got {min_share_answered}")
    chosen = [instrument.scale(s) for s in scales] if scales is not None else instrument.scales
    problems: list[str] = []
    for s in chosen:
        for item in s.items:
            if item not in data.columns:
                problems.append(f"column {item!r}: missing (scale {s.id})")
                continue
            lo, hi = instrument.item_range(item)
            col = pd.to_numeric(data[item], errors="coerce")
            bad = data.index[
                (col.notna() & ~col.between(lo, hi)) | (col.isna() & data[item].notna())
            ]
            if len(bad):
                problems.append(
                    f"column {item!r}: {len(bad)} value(s) outside {lo}-{hi} or "
                    f"non-numeric (first at index {bad[0]!r})"
                )
    if problems:
        raise DataValidationError("scale_scores", problems)
    out = {}
    for s in chosen:
        block = recoded_items(data, instrument, s)
        answered = block.notna().sum(axis=1)
        score = block.mean(axis=1, skipna=True)
        out[s.id] = score.where(answered >= min_share_answered * len(s.items))
    return pd.DataFrame(out, index=data.index)


def reliability_table(
    data: pd.DataFrame, instrument: Instrument, *, omega: bool = True
) -> pd.DataFrame:
    """Alpha and omega for every multi-item scale of an instrument (after reverse-coding).

    Columns: ``scale, label_en, label_zh, k, n_complete, alpha, omega``, on the complete cases
    of each scale (listwise).  Omega is NaN for scales with fewer than 3 items (one-factor
    model not identified); with ``omega=False`` it is not computed and the column is left out.
    """
    rows = []
    for s in instrument.scales:
        if len(s.items) < 2:
            continue
        complete = recoded_items(data, instrument, s).dropna()
        row = {
            "scale": s.id,
            "label_en": s.label_en,
            "label_zh": s.label_zh,
            "k": len(s.items),
            "n_complete": len(complete),
            "alpha": cronbach_alpha(complete),
        }
        if omega:
            row["omega"] = mcdonald_omega(complete) if len(s.items) >= 3 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Group comparisons
# --------------------------------------------------------------------------------------------


def compare_groups(
    data: pd.DataFrame,
    value: str,
    group: str,
    *,
    method: Literal["kruskal", "anova"] = "kruskal",
    correction: str = "holm",
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare a score across groups (e.g. respondent roles): omnibus test plus pairwise tests.

    - ``method="kruskal"``: Kruskal–Wallis H (scipy), effect size
      ``epsilon^2 = H / ((n^2 - 1)/(n + 1))`` (Tomczak, M. & Tomczak, E. (2014). The need to
      report effect size estimates revisited. *Trends in Sport Sciences* 21(1), 19–25);
      pairwise two-sided Mann–Whitney U with rank-biserial correlation
      ``r = 1 - 2U/(n_1 n_2)`` (Kerby, D. S. (2014), *Comprehensive Psychology* 3).
    - ``method="anova"``: one-way ANOVA F, effect size ``eta^2 = SS_between / SS_total``;
      pairwise Welch t-tests with Cohen's d (pooled SD).

    Pairwise p-values are adjusted with ``statsmodels.stats.multitest.multipletests``
    (``correction``, default Holm 1979).  Rows with missing value or group are excluded
    (their count is in the omnibus table as ``n_missing``).

    Returns:
        ``(omnibus, pairwise)``: omnibus has columns ``test, statistic, df, p, effect_size,
        effect_size_name, n, n_groups, n_missing``; pairwise has ``group_1, group_2, n_1, n_2,
        statistic, p, p_adjusted, reject, effect_size, effect_size_name``.

    Raises:
        ParameterError: unknown column or method; fewer than 2 groups with 2+ observations.
    """
    from statsmodels.stats.multitest import multipletests

    for col in (value, group):
        if col not in data.columns:
            raise ParameterError(f"column {col!r} not in data (columns: {list(data.columns)})")
    if method not in ("kruskal", "anova"):
        raise ParameterError(f"method must be 'kruskal' or 'anova', got {method!r}")
    sub = data[[value, group]].dropna()
    n_missing = len(data) - len(sub)
    groups = {g: v[value].to_numpy(dtype=float) for g, v in sub.groupby(group, sort=True)}
    small = [g for g, v in groups.items() if len(v) < 2]
    groups = {g: v for g, v in groups.items() if len(v) >= 2}
    if len(groups) < 2:
        raise ParameterError(
            f"need at least 2 groups of {group!r} with 2+ observations (too small: {small})"
        )
    n = sum(len(v) for v in groups.values())
    k = len(groups)
    if method == "kruskal":
        h, p = stats.kruskal(*groups.values())
        omnibus = {
            "test": "Kruskal-Wallis H",
            "statistic": h,
            "df": k - 1,
            "p": p,
            "effect_size": h * (n + 1) / (n**2 - 1),
            "effect_size_name": "epsilon^2",
        }
    else:
        f, p = stats.f_oneway(*groups.values())
        allv = np.concatenate(list(groups.values()))
        ss_total = ((allv - allv.mean()) ** 2).sum()
        ss_between = sum(len(v) * (v.mean() - allv.mean()) ** 2 for v in groups.values())
        omnibus = {
            "test": "one-way ANOVA F",
            "statistic": f,
            "df": k - 1,
            "p": p,
            "effect_size": ss_between / ss_total,
            "effect_size_name": "eta^2",
        }
    omnibus.update(n=n, n_groups=k, n_missing=n_missing)
    rows = []
    for g1, g2 in itertools.combinations(groups, 2):
        a, b = groups[g1], groups[g2]
        if method == "kruskal":
            u, p = stats.mannwhitneyu(a, b, alternative="two-sided")
            es, es_name = 1 - 2 * u / (len(a) * len(b)), "rank-biserial r"
        else:
            u, p = stats.ttest_ind(a, b, equal_var=False)
            pooled = np.sqrt(
                ((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1))
                / (len(a) + len(b) - 2)
            )
            es, es_name = (a.mean() - b.mean()) / pooled, "Cohen's d"
        rows.append(
            {
                "group_1": g1,
                "group_2": g2,
                "n_1": len(a),
                "n_2": len(b),
                "statistic": u,
                "p": p,
                "effect_size": es,
                "effect_size_name": es_name,
            }
        )
    pairwise = pd.DataFrame(rows)
    reject, p_adj, _, _ = multipletests(pairwise["p"], alpha=alpha, method=correction)
    pairwise.insert(6, "p_adjusted", p_adj)
    pairwise.insert(7, "reject", reject)
    return pd.DataFrame([omnibus]), pairwise


# --------------------------------------------------------------------------------------------
# Ordered logit
# --------------------------------------------------------------------------------------------


def coefficient_table(res: Any, *, conf_level: float, statistic: str) -> pd.DataFrame:
    """The coefficients of a fitted statsmodels model as a tidy table, one row per parameter.

    Columns ``term, estimate, se, ci_low, ci_high, <statistic>, p``: the parameters in the
    model's order, their standard errors, the ``conf_level`` interval of ``res.conf_int``, the
    test statistic (``res.tvalues``, named ``statistic``: ``"z"`` or ``"t"``) and its p-value.
    """
    ci = res.conf_int(alpha=1 - conf_level)
    return pd.DataFrame(
        {
            "term": res.params.index,
            "estimate": res.params.to_numpy(),
            "se": res.bse.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
            statistic: res.tvalues.to_numpy(),
            "p": res.pvalues.to_numpy(),
        }
    )


def ordered_logit(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    conf_level: float = 0.95,
    cluster: str | None = None,
) -> pd.DataFrame:
    """Proportional-odds (ordered) logit of an ordinal outcome on predictors.

    Model: ``P(y <= j | x) = logistic(tau_j - x'beta)`` (McCullagh, P. (1980). Regression models
    for ordinal data. *JRSS B* 42, 109–142), fitted by maximum likelihood with statsmodels
    ``OrderedModel(distr="logit")`` (BFGS).  Outcome categories are the sorted distinct values.
    Categorical (object/category/bool) predictors are dummy-coded, first level as reference.
    Rows with any missing value in the used columns are excluded (count in ``attrs["n_dropped"]``).
    ``cluster`` (a column, e.g. ``village_id``): inference clustered by it through
    :func:`cases.methods.inference.cluster_inference` (CR1, ``t(G - 1)``; fewer than 10
    clusters raise, fewer than 30 set ``attrs["warning"]``); ``None`` keeps the inverse-Hessian
    errors, for unclustered records only.

    Returns:
        Tidy table with columns ``term, estimate, se, ci_low, ci_high, z, p, odds_ratio`` —
        slopes (log-odds per unit) then thresholds (statsmodels parameterises thresholds after
        the first as log increments; they are reported as fitted, with ``odds_ratio`` NaN).
        ``attrs`` holds ``n``, ``n_dropped``, ``loglik``, ``converged``, ``warning`` (``""`` or a
        sentence readers must see), ``n_clusters`` (None unclustered) and ``method``.

    Raises:
        ParameterError: unknown column; fewer than 3 outcome categories; too few rows; fewer
            than 10 clusters.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    used = [outcome, *predictors] + ([cluster] if cluster else [])
    missing = [c for c in used if c not in data.columns]
    if missing:
        raise ParameterError(f"columns {missing} not in data")
    if not predictors:
        raise ParameterError("predictors: at least one predictor is required")
    sub = data[used].dropna()
    n_dropped = len(data) - len(sub)
    levels = sorted(sub[outcome].unique())
    if len(levels) < 3:
        raise ParameterError(
            f"outcome {outcome!r} has {len(levels)} categories; use a binary logit for < 3"
        )
    exog = pd.get_dummies(sub[list(predictors)], drop_first=True, dtype=float)
    if len(sub) < exog.shape[1] + len(levels) + 5:
        raise ParameterError(f"too few complete rows ({len(sub)}) for the model")
    endog = pd.Series(
        pd.Categorical(sub[outcome], categories=levels, ordered=True), index=sub.index
    )
    model = OrderedModel(endog, exog, distr="logit")
    fit_kwargs = {"method": "bfgs", "disp": False, "maxiter": 1000}
    warning, n_clusters, method = "", None, "inverse Hessian (records independent)"
    if cluster:
        from cases.methods import inference

        tidy = inference.cluster_inference(
            model, sub[cluster].to_numpy(), conf_level=conf_level, fit_kwargs=fit_kwargs
        )
        res = tidy.attrs["fit"]
        warning = str(tidy["warning"].iloc[0])
        n_clusters, method = int(tidy["n_clusters"].iloc[0]), str(tidy["method"].iloc[0])
    else:
        res = model.fit(**fit_kwargs)
    table = coefficient_table(res, conf_level=conf_level, statistic="z")
    slopes = table["term"].isin(exog.columns)
    table["odds_ratio"] = np.where(slopes, np.exp(table["estimate"]), np.nan)
    table.attrs.update(
        n=len(sub),
        n_dropped=n_dropped,
        loglik=float(res.llf),
        converged=bool(res.mle_retvals.get("converged", True)),
        warning=warning,
        n_clusters=n_clusters,
        method=method,
    )
    return table
