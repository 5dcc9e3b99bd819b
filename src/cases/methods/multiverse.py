"""Joint inference for a specification curve by resampling under the null.

Simonsohn, Simmons and Nelson (2020, "Specification curve analysis", *Nature Human Behaviour*
4: 1208-1214, doi:10.1038/s41562-020-0912-z) ask how inconsistent a whole curve of
specifications, taken together, is with no effect. The specifications are neither independent
nor one model, so the distribution of a curve-wide statistic under the null has no formula;
they obtain it by resampling data in which the null is known to hold:

1. estimate every specification ``k`` on the data: ``b_k`` (and its p-value);
2. impose the null separately for each specification by removing its own estimated effect
   from the treated outcomes: ``y*_k = y - b_k * D`` (``D`` the treatment indicator of each
   observation), so specification ``k`` estimates exactly zero on its null data;
3. draw resamples of the null data and re-estimate every specification on each;
4. compare curve-wide statistics with their null distribution. Two are reported here: the
   median estimate over the specifications, and the number of specifications significant at
   ``alpha`` in the direction that has more of them (positive or negative, chosen the same way
   in the data and in every resample). Each p-value is the share of resamples whose statistic
   is at least as extreme as the observed one: a median at least as far from zero, either
   side (no direction is predicted here), and at least as many significant specifications.

The resamples here are cluster bootstrap draws (clusters drawn with replacement, each copy a
new cluster with its own entities), because treatment is assigned by cluster: resampling
households would break the dependence that the clustered inference of each specification
assumes. With ``strata`` (a column constant within a cluster, e.g. a staggered design's
adoption cohort) clusters are drawn with replacement within each stratum, so every resample
keeps the design's number of clusters per cohort: with few villages an unstratified draw can
lose a whole cohort or every treated village, and no estimator is defined on it. Draw ``i``
uses its own generator, ``numpy.random.SeedSequence(seed).spawn(draws)[i]``, so results are
identical for any number of workers.

A specification is any picklable callable ``spec(frame) -> (estimate, p_value)`` (a module-level
function or an instance of a module-level class) that re-runs the whole analysis, including
any sample restriction, on the frame it is given.
"""

from __future__ import annotations

import concurrent.futures as cf
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cases.core.errors import CasesError, ParameterError

__all__ = ["NullCurve", "curve_statistics", "null_resampling"]

Specification = Callable[[pd.DataFrame], tuple[float, float]]
#: Largest share of resamples in which a specification may give no estimate and still be part
#: of the joint test (see :func:`null_resampling`); a specification that fails more often is
#: left out of the test (and named), and the test is refused when none is left.
MAX_INCOMPLETE = 0.1


@dataclass(frozen=True)
class NullCurve:
    """Result of :func:`null_resampling`: the observed curve (``estimates``, ``p_values``, one
    per specification), its ``median`` and ``n_significant`` (in the dominant direction,
    ``direction``: +1 or -1), the same two statistics in each resample (``draws_median``,
    ``draws_significant``) and their p-values ``p_median`` and ``p_significant``."""

    estimates: np.ndarray
    p_values: np.ndarray
    direction: int
    median: float
    n_significant: int
    draws_median: np.ndarray
    draws_significant: np.ndarray
    p_median: float
    p_significant: float
    draws: int
    seed: int
    alpha: float
    #: Resamples in which some tested specification gave no finite estimate (it raised, or a
    #: resample lacked what it needs, e.g. a cohort); their statistics use the others.
    n_incomplete: int = 0
    #: Positions of the specifications left out of the test: each gave no estimate in more
    #: than :data:`MAX_INCOMPLETE` of the resamples (``failures`` says in how many).
    excluded: tuple[int, ...] = ()
    #: Per specification, the resamples in which it gave no estimate.
    failures: tuple[int, ...] = ()

    @property
    def n_specifications(self) -> int:
        """Specifications in the joint test (those not ``excluded``)."""
        return len(self.estimates) - len(self.excluded)


def curve_statistics(
    estimates: Sequence[float], p_values: Sequence[float], alpha: float = 0.05
) -> tuple[float, int, int]:
    """The median of the finite ``estimates`` and the numbers of specifications with
    ``p < alpha`` and a positive, and with ``p < alpha`` and a negative, estimate."""
    est = np.asarray(estimates, float)
    sig = np.asarray(p_values, float) < alpha
    if not np.isfinite(est).all():
        sig &= np.isfinite(est)
        est = np.where(np.isfinite(est), est, np.nan)
        med = float(np.nanmedian(est)) if np.isfinite(est).any() else float("nan")
        return med, int(np.sum(sig & (est > 0))), int(np.sum(sig & (est < 0)))
    return float(np.median(est)), int(np.sum(sig & (est > 0))), int(np.sum(sig & (est < 0)))


def _resample(
    base: pd.DataFrame,
    groups: list[np.ndarray],
    strata: list[np.ndarray],
    cluster: str,
    entity: str,
    entity_codes: np.ndarray,
    n_entities: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One cluster bootstrap draw of ``base``: its rows and their positions in ``base``.
    ``groups[g]`` are the rows of cluster ``g``; ``strata`` the cluster numbers of each stratum
    (one stratum holding every cluster for an unstratified draw)."""
    pick = np.concatenate([rng.choice(members, size=len(members)) for members in strata])
    idx = np.concatenate([groups[g] for g in pick])
    copy = np.repeat(np.arange(len(pick)), [len(groups[g]) for g in pick])
    out = base.iloc[idx].reset_index(drop=True)
    out[cluster] = copy
    out[entity] = copy * n_entities + entity_codes[idx]
    return out, idx


def _run_draws(
    base: pd.DataFrame,
    null_outcomes: np.ndarray,
    specs: Sequence[Specification],
    outcome: str,
    cluster: str,
    entity: str,
    strata_column: str | None,
    root: np.random.SeedSequence,
    indices: Sequence[int],
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Draws ``indices``: ``(index, estimates, p_values)`` each, one entry per specification.
    A specification that raises on a resample gives NaN (numerical warnings of resamples that
    lack what an estimator needs are silenced; :func:`null_resampling` counts the NaNs)."""
    codes, uniques = pd.factorize(base[cluster], sort=True)
    groups = [np.flatnonzero(codes == g) for g in range(len(uniques))]
    if strata_column is None:
        strata = [np.arange(len(groups))]
    else:
        first = np.array([g[0] for g in groups])
        labels = base[strata_column].to_numpy()[first]
        strata = [np.flatnonzero(labels == v) for v in pd.unique(labels)]
    entity_codes, entities = pd.factorize(base[entity], sort=True)
    out = []
    for i in indices:
        child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, int(i)))
        rng = np.random.default_rng(child)
        frame, idx = _resample(
            base, groups, strata, cluster, entity, entity_codes, len(entities), rng
        )
        est, pv = [], []
        for k, spec in enumerate(specs):
            frame[outcome] = null_outcomes[idx, k]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    warnings.simplefilter("ignore", UserWarning)
                    e, p = spec(frame)
            except (CasesError, np.linalg.LinAlgError, ValueError):
                e, p = float("nan"), float("nan")
            est.append(e)
            pv.append(p)
        out.append((int(i), np.array(est, float), np.array(pv, float)))
    return out


def null_resampling(
    data: pd.DataFrame,
    specs: Sequence[Specification],
    *,
    outcome: str,
    treat: str,
    cluster: str,
    entity: str,
    strata: str | None = None,
    draws: int = 500,
    seed: int = 20201123,
    jobs: int = 1,
    alpha: float = 0.05,
) -> NullCurve:
    """Joint test of a specification curve under the null (module docstring; Simonsohn,
    Simmons and Nelson 2020).

    ``data`` holds the outcome column ``outcome`` that every specification reads, the 0/1
    treatment indicator ``treat`` of each row (the observations whose outcome carries the
    effect), the ``cluster`` column (the level of assignment, resampled) and the ``entity``
    column (units within clusters, relabelled per copy); optionally ``strata``, a column
    constant within each cluster whose strata keep their number of clusters in every resample
    (module docstring). ``draws`` resamples, seeded by
    ``seed``, spread over ``jobs`` processes (identical results for any ``jobs``).

    Raises:
        ParameterError: no specification, fewer than 2 clusters, a missing column, a
            non-binary ``treat``, a ``strata`` column that varies within a cluster,
            ``draws`` < 1, ``jobs`` < 1, ``alpha`` outside (0, 1), or no specification
            left: a specification that gives no estimate in more than
            :data:`MAX_INCOMPLETE` of the resamples is left out of the test (``excluded``:
            conditioning the null distribution on its estimability would distort it), and
            the observed and resampled statistics are those of the others; a resample in
            which one of those others fails is counted in ``n_incomplete`` and its
            statistics use the rest.
    """
    if not specs:
        raise ParameterError("null_resampling needs at least one specification")
    wanted = (outcome, treat, cluster, entity, *((strata,) if strata else ()))
    missing = [c for c in wanted if c not in data.columns]
    if missing:
        raise ParameterError(f"null_resampling: data lack column(s) {missing}")
    if strata and (data.groupby(cluster)[strata].agg(lambda v: len(set(v))) > 1).any():
        raise ParameterError(
            f"null_resampling: strata column {strata!r} varies within a {cluster!r} cluster"
        )
    if not set(np.unique(data[treat])) <= {0, 1}:
        raise ParameterError(f"null_resampling: {treat!r} must be 0/1")
    if data[cluster].nunique() < 2:
        raise ParameterError("null_resampling needs at least 2 clusters")
    if not isinstance(draws, int) or draws < 1 or not isinstance(jobs, int) or jobs < 1:
        raise ParameterError(f"draws and jobs must be positive integers, got {draws!r}, {jobs!r}")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be between 0 and 1, got {alpha!r}")
    base = data.reset_index(drop=True)
    observed = [spec(base) for spec in specs]
    est = np.array([o[0] for o in observed], float)
    pv = np.array([o[1] for o in observed], float)
    d = base[treat].to_numpy(float)
    null_outcomes = base[outcome].to_numpy(float)[:, None] - d[:, None] * est[None, :]
    root = np.random.SeedSequence(seed)
    args = (base, null_outcomes, list(specs), outcome, cluster, entity, strata, root)
    if jobs == 1:
        rows = _run_draws(*args, range(draws))
    else:
        chunks = [range(start, draws, jobs) for start in range(jobs)]
        with cf.ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(_run_draws, *args, c) for c in chunks]
            rows = [r for f in futures for r in f.result()]
    rows.sort(key=lambda r: r[0])
    draw_est = np.array([r[1] for r in rows])
    draw_pv = np.array([r[2] for r in rows])
    failures = (~np.isfinite(draw_est)).sum(axis=0)
    keep = failures <= MAX_INCOMPLETE * draws
    if not keep.any():
        raise ParameterError(
            f"null_resampling: every specification gave no estimate in more than "
            f"{MAX_INCOMPLETE:.0%} of {draws} resamples; the curve cannot be tested by "
            "resampling these clusters"
        )
    median, pos, neg = curve_statistics(est[keep], pv[keep], alpha)
    direction = 1 if pos > neg or (pos == neg and median >= 0) else -1
    n_sig = max(pos, neg)
    stats = [
        curve_statistics(e[keep], p[keep], alpha) for e, p in zip(draw_est, draw_pv, strict=True)
    ]
    meds = np.array([m for m, _, _ in stats])
    sigs = np.array([max(a, b) for _, a, b in stats])
    incomplete = int((~np.isfinite(draw_est[:, keep])).any(axis=1).sum())
    return NullCurve(
        estimates=est,
        p_values=pv,
        direction=direction,
        median=median,
        n_significant=n_sig,
        draws_median=meds,
        draws_significant=sigs,
        p_median=float(np.mean(np.abs(meds) >= abs(median))),
        p_significant=float(np.mean(sigs >= n_sig)),
        draws=draws,
        seed=seed,
        alpha=alpha,
        n_incomplete=incomplete,
        excluded=tuple(int(k) for k in np.flatnonzero(~keep)),
        failures=tuple(int(f) for f in failures),
    )
