"""Research designs declared as four functions and diagnosed by simulation.

A design (Blair, Cooper, Coppock and Humphreys 2019, "Declaring and Diagnosing Research
Designs", *American Political Science Review* 113(3): 838-859, doi:10.1017/S0003055419000194)
is declared by four plain callables:

- ``model(rng) -> population``: a :class:`pandas.DataFrame`, one possible world (units, their
  potential outcomes, their villages...), drawn with the generator ``rng``;
- ``inquiry(population) -> {estimand: value}``: the true answers to the questions asked of that
  world (e.g. ``{"ate": 0.4}``), as finite floats;
- ``data_strategy(population, rng) -> sample``: sampling, assignment and measurement (what a
  researcher would observe), drawn with its own generator;
- ``answer_strategy(sample) -> DataFrame``: one row per estimator and estimand with the columns
  ``estimator, estimand, estimate, std_error, conf_low, conf_high, p_value`` (a mapping or a
  list of mappings with those keys is accepted too: cheaper than a DataFrame per simulation;
  :func:`tidy_estimate` builds one row).

:func:`diagnose` runs the four steps ``sims`` times and summarises each ``(estimator, estimand)``
by its *diagnosands* (bias, RMSE, coverage, power...), each with its Monte Carlo standard error;
:func:`draw` keeps one simulation whole (population, sample, answers);
:func:`redesign` repeats the diagnosis over a grid of design parameters (sample size, number of
villages, effect size) for power curves; :func:`minimum_for_power` reads the smallest grid value
that reaches a target power off such a curve.

Reproducibility: simulation ``i`` draws from its own stream, child ``i`` of
``numpy.random.SeedSequence(seed).spawn(sims)``; that child's two children seed the model's and
the data strategy's generators (``numpy.random.default_rng``). No stream depends on which
worker runs a simulation or on how simulations are chunked, so the simulations table is
identical for ``jobs=1``, any ``jobs`` and a Dask cluster. The answer strategy gets no
generator: it must be a deterministic function of the sample (a bootstrap inside it uses a fixed
seed, as :func:`cases.methods.panel.staggered_did` does).

Parallel runs send the design to other processes by pickling it, so its four callables must be
module-level functions (or :func:`functools.partial` of them, or instances of module-level
classes); lambdas and functions defined inside other functions are refused with a
:class:`DesignError` before anything runs. Dask workers must be able to import :mod:`cases` and
the modules that define those functions (a ``LocalCluster`` started here inherits this
process's ``sys.path``; a remote scheduler's workers need them installed).
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import math
import pickle
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from cases.core.errors import CasesError
from cases.core.parallel import dask_client

__all__ = [
    "ALTERNATIVES",
    "ANSWER_COLUMNS",
    "DIAGNOSANDS",
    "Design",
    "DesignError",
    "Diagnosis",
    "Draw",
    "diagnosands",
    "diagnose",
    "draw",
    "minimum_for_power",
    "redesign",
    "sims_for_mcse",
    "simulate",
    "tidy_estimate",
]

#: Columns every answer strategy must return, in this order.
ANSWER_COLUMNS: tuple[str, ...] = (
    "estimator",
    "estimand",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
)

#: Diagnosands reported by :func:`diagnosands`; each has a ``<name>_mcse`` column.
DIAGNOSANDS: tuple[str, ...] = (
    "mean_estimand",
    "mean_estimate",
    "bias",
    "sd_estimate",
    "rmse",
    "mean_se",
    "coverage",
    "power",
)

#: Simulation chunks per worker: enough to balance uneven simulations, few enough that the
#: cost of sending the design and collecting results stays small.
CHUNKS_PER_JOB = 4

Executor = Literal["process", "dask"]


class DesignError(CasesError, ValueError):
    """A design, its inputs or one of its steps is invalid; the message names what and where.

    (A plain message-only exception, so it survives being sent back from a worker process.)
    """


# --------------------------------------------------------------------------------------------
# Declaration
# --------------------------------------------------------------------------------------------
_STEPS = ("model", "inquiry", "data_strategy", "answer_strategy")


@dataclass(frozen=True)
class Design:
    """A research design: model, inquiry, data strategy and answer strategy (see the module
    docstring for the signature of each). ``name`` labels the design in messages.

    Raises:
        DesignError: a component that is not callable.
    """

    model: Callable[[np.random.Generator], pd.DataFrame]
    inquiry: Callable[[pd.DataFrame], Mapping[str, float]]
    data_strategy: Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]
    answer_strategy: Callable[[pd.DataFrame], pd.DataFrame]
    name: str = "design"

    def __post_init__(self) -> None:
        bad = [s for s in _STEPS if not callable(getattr(self, s))]
        if bad:
            raise DesignError(
                f"design {self.name!r}: "
                + "; ".join(
                    f"{s} must be callable, got {type(getattr(self, s)).__name__}" for s in bad
                )
            )


@dataclass
class Diagnosis:
    """What :func:`diagnose` returns with ``return_sims=True``: ``diagnosands`` (the default
    return value) and ``simulations`` (one row per simulation, estimator and estimand)."""

    diagnosands: pd.DataFrame
    simulations: pd.DataFrame


@dataclass
class Draw:
    """One simulation of a design, kept whole (:func:`draw`): the ``population`` the model drew,
    the inquiry's ``estimands``, the ``sample`` the data strategy produced and the ``answers``
    (rows of the simulations table)."""

    population: Any
    estimands: dict[str, float]
    sample: Any
    answers: pd.DataFrame


Alternative = Literal["two-sided", "less", "greater"]
#: The alternatives :func:`tidy_estimate` tests.
ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")


def tidy_estimate(
    estimator: str,
    estimand: str,
    estimate: float,
    std_error: float,
    df: float | None = None,
    alpha: float = 0.05,
    null: float = 0.0,
    alternative: Alternative = "two-sided",
) -> dict[str, Any]:
    """One answer-strategy row: a Wald test of ``estimate`` against ``null`` and the matching
    confidence set, with t = (estimate − null) / std_error referred to Student's t with ``df``
    degrees of freedom (the standard normal when ``df`` is None). Units are those of
    ``estimate``.

    - ``"two-sided"`` (H0: θ = null): p = 2·P(T > |t|); interval ``estimate ± q·std_error``, q the
      ``1 - alpha/2`` quantile;
    - ``"less"`` (H0: θ ≥ null, H1: θ < null; a shortfall against a benchmark): p = P(T ≤ t);
      one-sided interval ``(-inf, estimate + q·std_error]``, q the ``1 - alpha`` quantile;
    - ``"greater"`` (H0: θ ≤ null, H1: θ > null): p = P(T ≥ t); interval
      ``[estimate - q·std_error, inf)``.

    Each interval is the set of values the test at level ``alpha`` does not reject, so its
    coverage is the diagnosis of that test. Raises :class:`DesignError` for another
    ``alternative``.
    """
    if alternative not in ALTERNATIVES:
        raise DesignError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")
    dist = stats.norm if df is None else stats.t(df)
    t = (estimate - null) / std_error if std_error > 0 else math.nan
    if alternative == "two-sided":
        q = float(dist.ppf(1 - alpha / 2))
        p = float(2 * dist.sf(abs(t))) if std_error > 0 else math.nan
        low, high = estimate - q * std_error, estimate + q * std_error
    else:
        q = float(dist.ppf(1 - alpha))
        if alternative == "less":
            p = float(dist.cdf(t)) if std_error > 0 else math.nan
            low, high = -math.inf, estimate + q * std_error
        else:
            p = float(dist.sf(t)) if std_error > 0 else math.nan
            low, high = estimate - q * std_error, math.inf
    return {
        "estimator": estimator,
        "estimand": estimand,
        "estimate": float(estimate),
        "std_error": float(std_error),
        "conf_low": float(low),
        "conf_high": float(high),
        "p_value": p,
    }


# --------------------------------------------------------------------------------------------
# One simulation, and a chunk of them (what a worker runs)
# --------------------------------------------------------------------------------------------
def _child(root: np.random.SeedSequence, key: tuple[int, ...]) -> np.random.SeedSequence:
    """The SeedSequence that ``root.spawn`` would give at spawn-key suffix ``key``, without
    changing ``root`` (so a stream never depends on earlier calls)."""
    return np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, *key), pool_size=root.pool_size
    )


def _call(design: Design, step: str, sim: int, *args: Any) -> Any:
    try:
        return getattr(design, step)(*args)
    except DesignError:
        raise
    except Exception as exc:
        raise DesignError(
            f"design {design.name!r}, simulation {sim}: {step} raised {type(exc).__name__}: {exc}"
        ) from exc


def _one_simulation(design: Design, root: np.random.SeedSequence, sim: int) -> list[tuple]:
    """Run simulation ``sim`` (0-based); return its rows ``(sim, *ANSWER_COLUMNS, value)``."""
    return _simulate_one(design, root, sim)[3]


def _simulate_one(
    design: Design, root: np.random.SeedSequence, sim: int
) -> tuple[Any, dict[str, float], Any, list[tuple]]:
    """Simulation ``sim``: population, estimand values, sample and the checked answer rows."""
    rng_model = np.random.default_rng(_child(root, (sim, 0)))
    rng_data = np.random.default_rng(_child(root, (sim, 1)))
    population = _call(design, "model", sim, rng_model)
    truth = _call(design, "inquiry", sim, population)
    where = f"design {design.name!r}, simulation {sim}"
    if not isinstance(truth, Mapping) or not truth:
        raise DesignError(
            f"{where}: inquiry must return a non-empty mapping of estimand name to value, "
            f"got {truth!r}"
        )
    values: dict[str, float] = {}
    for key, value in truth.items():
        try:
            values[str(key)] = float(value)
        except (TypeError, ValueError):
            raise DesignError(
                f"{where}: estimand {key!r} has non-numeric value {value!r}"
            ) from None
        if not math.isfinite(values[str(key)]):
            raise DesignError(f"{where}: estimand {key!r} is not finite ({value!r})")
    sample = _call(design, "data_strategy", sim, population, rng_data)
    answer = _call(design, "answer_strategy", sim, sample)
    if isinstance(answer, Mapping):
        answer = [answer]
    if isinstance(answer, pd.DataFrame):
        have = list(answer.columns)
        columns = {c: answer[c].tolist() for c in ANSWER_COLUMNS if c in answer.columns}
        n_rows = len(answer)
    elif isinstance(answer, list) and all(isinstance(r, Mapping) for r in answer):
        have = sorted({k for r in answer for k in r})
        columns = {c: [r.get(c) for r in answer] for c in ANSWER_COLUMNS if c in have}
        n_rows = len(answer)
    else:
        raise DesignError(
            f"{where}: answer_strategy must return a DataFrame (or a mapping or a list of "
            f"mappings) with columns {list(ANSWER_COLUMNS)}, got {type(answer).__name__}"
        )
    missing = [c for c in ANSWER_COLUMNS if c not in columns]
    if missing:
        raise DesignError(
            f"{where}: answer_strategy result lacks column(s) {missing} "
            f"(has {have}; needs {list(ANSWER_COLUMNS)})"
        )
    if n_rows == 0:
        raise DesignError(f"{where}: answer_strategy returned no rows")
    rows: list[tuple] = []
    seen: set[tuple[str, str]] = set()
    for i in range(n_rows):
        estimator, estimand = str(columns["estimator"][i]), str(columns["estimand"][i])
        if estimand not in values:
            raise DesignError(
                f"{where}: answer_strategy reports estimand {estimand!r} (estimator "
                f"{estimator!r}) that the inquiry does not define (inquiry gives {sorted(values)})"
            )
        if (estimator, estimand) in seen:
            raise DesignError(
                f"{where}: answer_strategy returned more than one row for estimator "
                f"{estimator!r} and estimand {estimand!r}"
            )
        seen.add((estimator, estimand))
        numbers = []
        for c in ANSWER_COLUMNS[2:]:
            v = columns[c][i]
            try:
                numbers.append(math.nan if v is None else float(v))
            except (TypeError, ValueError):
                raise DesignError(
                    f"{where}: answer_strategy column {c!r} is not numeric for estimator "
                    f"{estimator!r}, estimand {estimand!r}: {v!r}"
                ) from None
        rows.append((sim, estimator, estimand, *numbers, values[estimand]))
    return population, values, sample, rows


_SIM_COLUMNS = ["sim", *ANSWER_COLUMNS, "estimand_value"]


def _run_chunk(design: Design, root: np.random.SeedSequence, sims: Sequence[int]) -> pd.DataFrame:
    """Run the simulations numbered ``sims`` in order (what one worker task does)."""
    rows = [row for i in sims for row in _one_simulation(design, root, i)]
    out = pd.DataFrame.from_records(rows, columns=_SIM_COLUMNS)
    return out.astype({"sim": np.int64, "estimator": object, "estimand": object})


# --------------------------------------------------------------------------------------------
# Executors
# --------------------------------------------------------------------------------------------
def _check_picklable(design: Design) -> None:
    """Refuse a design that cannot be sent to a worker process, naming the component."""
    for step in _STEPS:
        try:
            pickle.dumps(getattr(design, step))
        except Exception as exc:
            raise DesignError(
                f"design {design.name!r}: {step} cannot be sent to worker processes "
                f"({type(exc).__name__}: {exc}); with jobs > 1 or executor='dask' use a "
                "module-level function, a functools.partial of one, or an instance of a "
                "module-level class (not a lambda or a function defined inside another)"
            ) from None


def _chunks(n: int, pieces: int) -> list[range]:
    """Split ``range(n)`` into at most ``pieces`` contiguous, near-equal chunks."""
    k = max(1, min(n, pieces))
    bounds = np.linspace(0, n, k + 1).round().astype(int)
    return [range(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _run_tasks(
    tasks: list[tuple[Design, np.random.SeedSequence, range]],
    jobs: int,
    executor: str,
    scheduler: str | None,
) -> list[pd.DataFrame]:
    """Run every ``(design, root, sims)`` task and return the results in task order."""
    if executor == "dask":
        with dask_client(jobs, scheduler) as client:
            futures = [client.submit(_run_chunk, *task, pure=False) for task in tasks]
            return client.gather(futures)
    if jobs <= 1 or len(tasks) <= 1:
        return [_run_chunk(*task) for task in tasks]
    with cf.ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_run_chunk, *task) for task in tasks]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()  # chunks not started yet; a failure stops the diagnosis
            raise


def _check_run_args(sims: Any, seed: Any, jobs: Any, executor: Any, alpha: Any = 0.05) -> None:
    problems = []
    if isinstance(sims, bool) or not isinstance(sims, int | np.integer) or sims < 1:
        problems.append(f"sims must be an integer >= 1, got {sims!r}")
    if isinstance(jobs, bool) or not isinstance(jobs, int | np.integer) or jobs < 1:
        problems.append(f"jobs must be an integer >= 1, got {jobs!r}")
    if not isinstance(seed, np.random.SeedSequence) and (
        isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0
    ):
        problems.append(f"seed must be a non-negative integer or a SeedSequence, got {seed!r}")
    if executor not in ("process", "dask"):
        problems.append(f"executor must be 'process' or 'dask', got {executor!r}")
    if not isinstance(alpha, float | int) or not 0 < alpha < 1:
        problems.append(f"alpha must be between 0 and 1, got {alpha!r}")
    if problems:
        raise DesignError("; ".join(problems))


def _root(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(
            seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size
        )
    return np.random.SeedSequence(int(seed))


def _tasks_for(
    design: Design, sims: int, seed: int | np.random.SeedSequence, jobs: int, executor: str
) -> list[tuple[Design, np.random.SeedSequence, range]]:
    if not isinstance(design, Design):
        raise DesignError(f"design must be a Design, got {type(design).__name__}")
    if jobs > 1 or executor == "dask":
        _check_picklable(design)
    parallel = jobs > 1 or executor == "dask"
    pieces = jobs * CHUNKS_PER_JOB if parallel else 1
    root = _root(seed)
    return [(design, root, chunk) for chunk in _chunks(sims, pieces)]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def simulate(
    design: Design,
    sims: int,
    seed: int | np.random.SeedSequence,
    jobs: int = 1,
    executor: Executor = "process",
    scheduler: str | None = None,
) -> pd.DataFrame:
    """Run ``sims`` simulations of ``design`` and return the simulations table.

    One row per simulation, estimator and estimand: ``sim`` (0-based), the answer columns
    (:data:`ANSWER_COLUMNS`) and ``estimand_value`` (the inquiry's value in that simulation's
    world), ordered by ``sim`` and then as the answer strategy returned them. Seeding and
    parallelism as in the module docstring: ``jobs=1`` runs in this process; ``jobs > 1`` uses a
    process pool of ``jobs`` workers; ``executor="dask"`` sends the chunks to the Dask scheduler
    at ``scheduler`` (an address), or to a new ``LocalCluster`` of ``jobs`` single-threaded
    worker processes when ``scheduler`` is None. The table is the same in every case.

    Raises:
        DesignError: ``sims`` or ``jobs`` below 1, a negative seed, unknown ``executor``, a
            design that cannot be pickled for workers, a step that raises (simulation number
            and step named), an inquiry that is not a non-empty mapping of finite values, an
            answer strategy result without the required columns (named), with an estimand the
            inquiry does not define (named), or with two rows for one estimator and estimand.
    """
    _check_run_args(sims, seed, jobs, executor)
    tasks = _tasks_for(design, int(sims), seed, int(jobs), executor)
    parts = _run_tasks(tasks, int(jobs), executor, scheduler)
    return pd.concat(parts, ignore_index=True)


def draw(design: Design, seed: int | np.random.SeedSequence, sim: int = 0) -> Draw:
    """Simulation number ``sim`` of ``design`` under ``seed``, kept whole: the same random
    streams as row ``sim`` of ``simulate(design, sims, seed)`` for any ``sims > sim``, so the
    data shown for one draw are exactly those behind that row of a diagnosis.

    Raises:
        DesignError: a negative ``sim``, and the errors of :func:`simulate`.
    """
    _check_run_args(1, seed, 1, "process")
    if isinstance(sim, bool) or not isinstance(sim, int | np.integer) or sim < 0:
        raise DesignError(f"sim must be a non-negative integer, got {sim!r}")
    if not isinstance(design, Design):
        raise DesignError(f"design must be a Design, got {type(design).__name__}")
    population, values, sample, rows = _simulate_one(design, _root(seed), int(sim))
    answers = pd.DataFrame.from_records(rows, columns=_SIM_COLUMNS)
    return Draw(population, values, sample, answers)


def _mcse_mean(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def _mcse_prop(p: float, n: int) -> float:
    return float(np.sqrt(p * (1 - p) / n)) if n > 0 else float("nan")


def _summarise(group: pd.DataFrame, n_sims: int, alpha: float) -> dict[str, float]:
    est = group["estimate"].to_numpy(float)
    ok = np.isfinite(est)
    out: dict[str, float] = {"sims": n_sims, "n_estimates": int(ok.sum())}
    out["n_missing"] = n_sims - out["n_estimates"]
    est = est[ok]
    theta = group["estimand_value"].to_numpy(float)[ok]
    se = group["std_error"].to_numpy(float)[ok]
    lo = group["conf_low"].to_numpy(float)[ok]
    hi = group["conf_high"].to_numpy(float)[ok]
    pv = group["p_value"].to_numpy(float)[ok]
    s = len(est)
    nan = float("nan")
    err = est - theta
    out["mean_estimand"] = float(theta.mean()) if s else nan
    out["mean_estimand_mcse"] = _mcse_mean(theta)
    out["mean_estimate"] = float(est.mean()) if s else nan
    out["mean_estimate_mcse"] = _mcse_mean(est)
    out["bias"] = float(err.mean()) if s else nan
    out["bias_mcse"] = _mcse_mean(err)
    sd = float(np.std(est, ddof=1)) if s > 1 else nan
    out["sd_estimate"] = sd
    out["sd_estimate_mcse"] = sd / np.sqrt(2 * (s - 1)) if s > 1 else nan
    sq = err**2
    mse = float(sq.mean()) if s else nan
    out["rmse"] = float(np.sqrt(mse))
    mse_mcse = _mcse_mean(sq)
    out["rmse_mcse"] = mse_mcse / (2 * out["rmse"]) if out["rmse"] > 0 else nan
    fse = np.isfinite(se)
    out["mean_se"] = float(se[fse].mean()) if fse.any() else nan
    out["mean_se_mcse"] = _mcse_mean(se[fse])
    # One-sided intervals have an infinite end; only a missing (NaN) end leaves one out.
    fci = ~np.isnan(lo) & ~np.isnan(hi) & (np.isfinite(lo) | np.isfinite(hi))
    n_ci = int(fci.sum())
    cover = float(((lo[fci] <= theta[fci]) & (theta[fci] <= hi[fci])).mean()) if n_ci else nan
    out["coverage"] = cover
    out["coverage_mcse"] = _mcse_prop(cover, n_ci)
    fp = np.isfinite(pv)
    n_p = int(fp.sum())
    power = float((pv[fp] < alpha).mean()) if n_p else nan
    out["power"] = power
    out["power_mcse"] = _mcse_prop(power, n_p)
    return out


def diagnosands(simulations: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Diagnosands of a simulations table (:func:`simulate`), one row per estimator and estimand.

    With ``S`` the simulations whose estimate is finite, ``e_s`` the estimate, ``θ_s`` the
    estimand's value in simulation s, ``se_s`` the standard error, ``[l_s, u_s]`` the interval
    and ``p_s`` the p-value (units of ``e`` and ``θ``; coverage and power are shares):

    - ``mean_estimand`` = mean θ_s; ``mean_estimate`` = mean e_s;
    - ``bias`` = mean(e_s − θ_s);
    - ``sd_estimate`` = sd(e_s) (ddof 1; the empirical standard error);
    - ``rmse`` = sqrt(mean((e_s − θ_s)²));
    - ``mean_se`` = mean se_s (over finite se_s), to set against ``sd_estimate``;
    - ``coverage`` = share of s with l_s ≤ θ_s ≤ u_s (over intervals without a missing end; a
      one-sided interval has one infinite end);
    - ``power`` = share of s with p_s < ``alpha`` (over finite p-values).

    Monte Carlo standard errors (Morris, White and Crowther 2019, "Using simulation studies to
    evaluate statistical methods", *Statistics in Medicine* 38(11): 2074-2102,
    doi:10.1002/sim.8086, table 6): a mean of x_s has ``sd(x)/sqrt(S)`` (so
    ``bias_mcse = sd(e − θ)/sqrt(S)``); a share p has ``sqrt(p(1 − p)/S)``; ``sd_estimate`` has
    ``sd_estimate/sqrt(2(S − 1))``; ``rmse`` has, by the delta method from the MSE's
    ``sd((e − θ)²)/sqrt(S)``, ``rmse_mcse = sd((e − θ)²) / (2·rmse·sqrt(S))``.

    Counts: ``sims`` is the number of simulations run; ``n_estimates`` those with a finite
    estimate for this estimator and estimand; ``n_missing = sims − n_estimates`` (NaN
    estimates and simulations in which the answer strategy returned no row for the pair), which
    are left out of every diagnosand, reported here and warned about, never dropped silently.

    Raises:
        DesignError: a table without the simulation columns, or ``alpha`` outside (0, 1).
    """
    need = ["sim", *ANSWER_COLUMNS, "estimand_value"]
    missing = [c for c in need if c not in simulations.columns]
    if missing:
        raise DesignError(f"simulations table lacks column(s) {missing}")
    if not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise DesignError(f"alpha must be between 0 and 1, got {alpha!r}")
    n_sims = int(simulations["sim"].nunique())
    rows = []
    for (estimator, estimand), group in simulations.groupby(["estimator", "estimand"], sort=False):
        rows.append(
            {"estimator": estimator, "estimand": estimand, **_summarise(group, n_sims, alpha)}
        )
    out = pd.DataFrame(rows)
    lacking = out.loc[out["n_missing"] > 0]
    for row in lacking.itertuples(index=False):
        warnings.warn(
            f"estimator {row.estimator!r}, estimand {row.estimand!r}: {row.n_missing} of "
            f"{row.sims} simulations gave no finite estimate; diagnosands use the other "
            f"{row.n_estimates}",
            RuntimeWarning,
            stacklevel=2,
        )
    order = ["estimator", "estimand", "sims", "n_estimates", "n_missing"]
    for name in DIAGNOSANDS:
        order += [name, f"{name}_mcse"]
    return out[order]


def diagnose(
    design: Design,
    sims: int,
    seed: int | np.random.SeedSequence,
    jobs: int = 1,
    executor: Executor = "process",
    scheduler: str | None = None,
    alpha: float = 0.05,
    return_sims: bool = False,
) -> pd.DataFrame | Diagnosis:
    """Diagnose ``design`` by ``sims`` simulations (Blair et al. 2019).

    Returns the :func:`diagnosands` table: one row per ``estimator, estimand`` with ``bias``,
    ``rmse``, ``coverage``, ``power`` (share of p < ``alpha``, default 0.05), ``mean_estimate``,
    ``mean_se``, ``sims`` and the other diagnosands, each with ``<name>_mcse``; with
    ``return_sims=True``, a :class:`Diagnosis` holding that table and the simulations table of
    :func:`simulate`. Seeding, ``jobs``, ``executor`` and ``scheduler`` as in :func:`simulate`:
    the result is identical for any number of workers and either executor.

    Raises:
        DesignError: as :func:`simulate` and :func:`diagnosands`.
    """
    _check_run_args(sims, seed, jobs, executor, alpha)
    table = simulate(design, sims, seed, jobs=jobs, executor=executor, scheduler=scheduler)
    summary = diagnosands(table, alpha=alpha)
    return Diagnosis(summary, table) if return_sims else summary


def redesign(
    design_factory: Callable[..., Design],
    *,
    sims: int,
    seed: int | np.random.SeedSequence,
    jobs: int = 1,
    executor: Executor = "process",
    scheduler: str | None = None,
    alpha: float = 0.05,
    return_sims: bool = False,
    **grid: Any,
) -> pd.DataFrame | Diagnosis:
    """Diagnose ``design_factory(**params)`` for every combination of the ``grid`` values.

    ``grid`` maps each parameter of the factory to a sequence of values (list, tuple, range,
    array or Series; a single value, or a string, counts as one value; wrap a list that is one
    value in another list), e.g. ``redesign(make, n_villages=[10, 20, 40], effect=[0.2,
    0.4], sims=500, seed=1)``. Combinations run in the order of ``itertools.product`` over the
    parameters as given. Every combination uses the same ``seed`` (common random numbers), so
    differences between grid points are not blurred by different draws. All simulations of all
    combinations share one pool of ``jobs`` workers (or one Dask cluster).

    Returns the :func:`diagnosands` rows of each combination with the parameter columns first
    (or a :class:`Diagnosis` whose ``simulations`` carry the parameter columns too).

    Raises:
        DesignError: an empty grid, an empty value list, a factory that fails or does not
            return a :class:`Design`, and the errors of :func:`simulate`.
    """
    _check_run_args(sims, seed, jobs, executor, alpha)
    if not callable(design_factory):
        raise DesignError(f"design_factory must be callable, got {type(design_factory).__name__}")
    if not grid:
        raise DesignError("redesign needs at least one grid parameter, e.g. n_villages=[10, 20]")
    values: dict[str, list[Any]] = {}
    for key, val in grid.items():
        seq = (
            [val]
            if isinstance(val, str | bytes)
            or not isinstance(val, Sequence | np.ndarray | pd.Series | pd.Index)
            else list(val)
        )
        if not seq:
            raise DesignError(f"grid parameter {key!r} has no values")
        values[key] = seq
    combos = [
        dict(zip(values, combo, strict=True)) for combo in itertools.product(*values.values())
    ]
    tasks = []
    owner: list[int] = []
    for i, params in enumerate(combos):
        try:
            design = design_factory(**params)
        except Exception as exc:
            raise DesignError(
                f"design_factory({params}) raised {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(design, Design):
            raise DesignError(
                f"design_factory({params}) returned {type(design).__name__}, not a Design"
            )
        part = _tasks_for(design, int(sims), seed, int(jobs), executor)
        tasks += part
        owner += [i] * len(part)
    parts = _run_tasks(tasks, int(jobs), executor, scheduler)
    summaries, tables = [], []
    for i, params in enumerate(combos):
        table = pd.concat(
            [p for p, o in zip(parts, owner, strict=True) if o == i], ignore_index=True
        )
        summary = diagnosands(table, alpha=alpha)
        for j, (key, val) in enumerate(params.items()):
            summary.insert(j, key, [val] * len(summary))
            if return_sims:
                table.insert(j, key, [val] * len(table))
        summaries.append(summary)
        tables.append(table)
    out = pd.concat(summaries, ignore_index=True)
    return Diagnosis(out, pd.concat(tables, ignore_index=True)) if return_sims else out


def sims_for_mcse(mcse: float, share: float = 0.5) -> int:
    """Simulations needed for a share diagnosand (power, coverage) to have Monte Carlo standard
    error at most ``mcse``: the smallest S with ``sqrt(share (1 - share) / S) <= mcse``, i.e.
    ``ceil(share (1 - share) / mcse^2)``. ``share=0.5`` is the worst case (e.g. 1,112
    simulations for an MCSE of 0.015 whatever the power turns out to be; 0.8 needs 712).

    Raises:
        DesignError: ``mcse`` not positive or ``share`` outside [0, 1].
    """
    if not mcse > 0:
        raise DesignError(f"mcse must be positive, got {mcse!r}")
    if not 0 <= share <= 1:
        raise DesignError(f"share must be between 0 and 1, got {share!r}")
    return max(1, math.ceil(share * (1 - share) / mcse**2 - 1e-9))


def minimum_for_power(
    curve: pd.DataFrame,
    parameter: str,
    target: float = 0.8,
    diagnosand: str = "power",
) -> pd.DataFrame:
    """Smallest value of ``parameter`` whose ``diagnosand`` reaches ``target`` on a redesign grid.

    For each estimator, estimand and combination of the other parameter columns of ``curve``
    (the output of :func:`redesign`, whose parameter columns stand left of ``estimator``), the
    rows are sorted by ``parameter`` and the result holds:
    ``value`` — the smallest grid value with ``diagnosand >= target`` (NaN if none), with its
    ``diagnosand`` and ``<diagnosand>_mcse``; ``reached`` — whether any grid value reaches it;
    ``robust`` — whether that value's diagnosand is at least ``target`` plus two Monte Carlo
    standard errors (so Monte Carlo noise alone is unlikely to have carried it over);
    ``interpolated`` — the value where the curve crosses ``target`` by linear interpolation
    between that grid point and the one below it (``value`` itself when it is the first grid
    point). Units of ``value`` are those of the parameter (households, villages, effect size).
    With ``parameter`` the effect size this is the minimum detectable effect at the grid's
    sample size; with a sample size, the minimum sample for ``target`` power.

    Raises:
        DesignError: ``parameter``, ``diagnosand`` or its MCSE column not in ``curve``.
    """
    for col in (parameter, diagnosand, f"{diagnosand}_mcse", "estimator", "estimand"):
        if col not in curve.columns:
            raise DesignError(f"curve has no column {col!r} (columns: {list(curve.columns)})")
    others = [c for c in curve.columns[: curve.columns.get_loc("estimator")] if c != parameter]
    keys = [*others, "estimator", "estimand"]
    rows = []
    for key, group in curve.groupby(keys, sort=False):
        g = group.sort_values(parameter)
        x = g[parameter].to_numpy(float)
        y = g[diagnosand].to_numpy(float)
        se = g[f"{diagnosand}_mcse"].to_numpy(float)
        hit = np.flatnonzero(y >= target)
        row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        if hit.size:
            k = int(hit[0])
            interp = x[k]
            if k > 0 and y[k] > y[k - 1]:
                interp = x[k - 1] + (target - y[k - 1]) * (x[k] - x[k - 1]) / (y[k] - y[k - 1])
            row.update(
                parameter=parameter,
                value=x[k],
                interpolated=float(interp),
                reached=True,
                robust=bool(y[k] - 2 * se[k] >= target),
                **{diagnosand: y[k], f"{diagnosand}_mcse": se[k]},
            )
        else:
            row.update(
                parameter=parameter,
                value=float("nan"),
                interpolated=float("nan"),
                reached=False,
                robust=False,
                **{diagnosand: float("nan"), f"{diagnosand}_mcse": float("nan")},
            )
        rows.append(row)
    return pd.DataFrame(rows)
