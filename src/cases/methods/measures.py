"""Poverty, inequality, targeting and vulnerability measures.

Every function takes array-likes or pandas objects and optional ``weights`` (sampling weights or
household-size weights: non-negative, one per unit, not all zero). Positions, not pandas index
labels, pair an observation with its weight. Bad input raises :class:`MeasureInputError` (a
``ValueError``) whose message names the parameter and the problem: mismatched lengths, negative
or all-zero weights, NaN (unless ``dropna=True`` is passed, which drops every unit with a NaN in
any of its inputs), non-finite values, or a non-positive poverty line.

Contents
--------
- :func:`fgt`, :func:`fgt_by` — Foster, Greer and Thorbecke (1984) P_alpha and its subgroup
  decomposition.
- :func:`relative_line` — a share of the (weighted) median.
- :func:`gini` — the (weighted) Gini coefficient.
- :func:`mpi`, :func:`mpi_by`, :class:`MPIResult` — Alkire and Foster (2011) adjusted headcount
  ratio M0 and its partial indices; :func:`exit_standard` gives the indicator specification of
  China's official exit standard 一达标、两不愁、三保障 for a year (drinking water from 2019;
  :data:`TWO_ASSURANCES_THREE_GUARANTEES` is the full set), :func:`nested_weights` and
  :func:`weight_schemes` its weights.
- :func:`mpi_robustness`, :func:`rank_concordance` — M0 and group rankings over a grid of k and
  weight vectors (Alkire et al. 2015, ch. 8).
- :func:`targeting_errors` — inclusion and exclusion errors of a beneficiary register.
- :func:`vulnerability` — vulnerability as expected poverty (Chaudhuri, Jalan and Suryahadi 2002).
- :func:`bootstrap`, :func:`fgt_ci`, :func:`mpi_ci` — seeded (cluster, stratified) bootstrap
  standard errors with percentile intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cases.core.errors import CasesError
from cases.data.public_data import indicator_definitions

__all__ = [
    "TWO_ASSURANCES_THREE_GUARANTEES",
    "WATER_CHECK_FIRST_YEAR",
    "BootstrapResult",
    "Indicator",
    "IndicatorSpec",
    "MPIResult",
    "MPIRobustness",
    "MeasureInputError",
    "VulnerabilityResult",
    "bootstrap",
    "exit_dimensions",
    "exit_standard",
    "fgt",
    "fgt_by",
    "fgt_ci",
    "gini",
    "mpi",
    "mpi_by",
    "mpi_ci",
    "mpi_robustness",
    "nested_weights",
    "rank_concordance",
    "relative_line",
    "targeting_errors",
    "vulnerability",
    "weight_schemes",
]

# Deprivation scores are sums of float weights (1/6 + 1/12 + ...); comparing them with k exactly
# would misclassify a score that equals k up to rounding, so identification allows this slack.
SCORE_TOLERANCE = 1e-9
# Indicator weights must sum to one within this tolerance.
WEIGHT_SUM_TOLERANCE = 1e-6

ArrayLike = Any  # numpy array, pandas Series, list, ...


class MeasureInputError(CasesError, ValueError):
    """An input to a :mod:`cases.methods.measures` function is invalid; the message says which and
    why."""


# --------------------------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------------------------


def _as_float_array(values: ArrayLike, name: str) -> np.ndarray:
    """Return ``values`` as a 1-d float64 array, or raise naming ``name``."""
    if isinstance(values, pd.DataFrame):
        raise MeasureInputError(f"{name} must be one-dimensional; got a DataFrame")
    arr = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if arr.ndim != 1:
        raise MeasureInputError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if arr.dtype == bool:
        return arr.astype(np.float64)
    try:
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise MeasureInputError(f"{name} must be numeric; got dtype {arr.dtype}") from exc


def _first_position(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_length(arr: np.ndarray, n: int, name: str, reference: str) -> None:
    if arr.shape[0] != n:
        raise MeasureInputError(
            f"{name} and {reference} have mismatched lengths ({arr.shape[0]} vs {n})"
        )


def _nan_mask(arrays: dict[str, np.ndarray], dropna: bool) -> np.ndarray | None:
    """Rows to keep when ``dropna``; raise on NaN when not. ``None`` means keep all."""
    keep: np.ndarray | None = None
    for name, arr in arrays.items():
        nan = np.isnan(arr)
        if nan.any():
            if not dropna:
                raise MeasureInputError(
                    f"{name} has {int(nan.sum())} NaN value(s) (first at position "
                    f"{_first_position(nan)}); clean them or pass dropna=True to drop those units"
                )
            keep = ~nan if keep is None else keep & ~nan
    return keep


def _check_finite(arr: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        pos = _first_position(bad)
        raise MeasureInputError(
            f"{name} has a non-finite value {arr[pos].item()!r} at position {pos}"
        )


def _check_weights(w: np.ndarray, name: str = "weights") -> None:
    _check_finite(w, name)
    neg = w < 0
    if neg.any():
        pos = _first_position(neg)
        raise MeasureInputError(
            f"{name} must be non-negative; found negative weight {w[pos].item()!r} "
            f"at position {pos}"
        )
    if not (w > 0).any():
        raise MeasureInputError(f"{name} are all zero (or empty); at least one must be positive")


def _positive_number(value: Any, name: str, *, expected: str = "a number") -> float:
    """``value`` as a float; MeasureInputError naming ``name`` unless positive and finite
    (``expected`` describes what a value that is no number at all should have been)."""
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise MeasureInputError(f"{name} must be {expected}; got {value!r}") from exc
    if not math.isfinite(number) or number <= 0:
        raise MeasureInputError(f"{name} must be a positive finite number; got {value!r}")
    return number


def _prepare(
    named: dict[str, ArrayLike],
    weights: ArrayLike | None,
    dropna: bool,
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """Convert, length-check, NaN-handle and validate one or more variables plus weights.

    Returns the cleaned float arrays and the weights (``None`` when unweighted).
    """
    arrays = {name: _as_float_array(v, name) for name, v in named.items()}
    first_name = next(iter(arrays))
    n = arrays[first_name].shape[0]
    for name, arr in arrays.items():
        _check_length(arr, n, name, first_name)
    w = None
    if weights is not None:
        w = _as_float_array(weights, "weights")
        _check_length(w, n, "weights", first_name)
    checks = dict(arrays)
    if w is not None:
        checks["weights"] = w
    keep = _nan_mask(checks, dropna)
    if keep is not None:
        arrays = {name: arr[keep] for name, arr in arrays.items()}
        w = None if w is None else w[keep]
    for name, arr in arrays.items():
        _check_finite(arr, name)
        if arr.shape[0] == 0:
            raise MeasureInputError(f"{name} is empty (no units left to measure)")
    if w is not None:
        _check_weights(w)
    return arrays, w


def _check_alpha(alpha: float) -> float:
    try:
        value = float(alpha)
    except (TypeError, ValueError) as exc:
        raise MeasureInputError(f"alpha must be a number >= 0; got {alpha!r}") from exc
    if not math.isfinite(value) or value < 0:
        raise MeasureInputError(f"alpha must be a finite number >= 0; got {alpha!r}")
    return value


# --------------------------------------------------------------------------------------------
# FGT
# --------------------------------------------------------------------------------------------


def _fgt_terms(x: np.ndarray, line: float, alpha: float) -> np.ndarray:
    """Per-unit FGT terms (1 - x/z)^alpha * 1[x < z] (bool array when alpha == 0)."""
    if alpha == 0:
        return x < line
    gap = 1.0 - x / line
    np.maximum(gap, 0.0, out=gap)
    if alpha != 1:
        # 0 ** alpha is 0 for alpha > 0, so the non-poor keep a zero term.
        np.power(gap, alpha, out=gap)
    return gap


def _weighted_mean(terms: np.ndarray, w: np.ndarray | None) -> float:
    if w is None:
        if terms.dtype == bool:
            return float(np.count_nonzero(terms) / terms.shape[0])
        return float(terms.mean())
    if terms.dtype == bool:
        # A dot product with the 0/1 terms is faster than boolean-mask indexing.
        terms = terms.astype(np.float64)
    return float(np.dot(w, terms) / w.sum())


def fgt(
    income: ArrayLike,
    line: float,
    alpha: float = 0,
    weights: ArrayLike | None = None,
    *,
    dropna: bool = False,
) -> float:
    """Foster–Greer–Thorbecke poverty index P_alpha.

    ``P_alpha = sum_i w_i * ((z - y_i) / z)^alpha * 1[y_i < z] / sum_i w_i``

    with welfare ``y`` (income or consumption per capita, any currency unit), poverty line ``z``
    in the same unit and ``alpha >= 0``: 0 gives the headcount ratio, 1 the poverty-gap index,
    2 the squared poverty gap (severity). A unit exactly at the line is not poor. Negative
    incomes are allowed (their normalised gap exceeds 1). Result is a share in [0, 1] for
    non-negative incomes.

    Reference: Foster, J., Greer, J. and Thorbecke, E. (1984), "A class of decomposable poverty
    measures", Econometrica 52(3): 761-766; Haughton, J. and Khandker, S. (2009), Handbook on
    Poverty and Inequality, World Bank, ch. 4.

    Raises:
        MeasureInputError: mismatched lengths, negative or all-zero weights, NaN without
            ``dropna=True``, non-finite values, a non-positive line or a negative alpha.
    """
    z = _positive_number(line, "poverty line")
    a = _check_alpha(alpha)
    arrays, w = _prepare({"income": income}, weights, dropna)
    return _weighted_mean(_fgt_terms(arrays["income"], z, a), w)


def _group_codes(keys: np.ndarray | pd.Series, name: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes 0..G-1 (sorted by key) and the group labels; codes -1 mark missing keys."""
    values = keys.to_numpy() if isinstance(keys, pd.Series) else np.asarray(keys)
    if values.dtype.kind in "iu" and values.size:
        # Small-range integer keys (county codes): offsetting is far cheaper than hashing.
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 50_000_000:
            raw = values.astype(np.int64, copy=False) - lo
            present = np.bincount(raw, minlength=hi - lo + 1) > 0
            remap = np.cumsum(present) - 1
            codes = remap[raw]
            labels = pd.Index(np.flatnonzero(present) + lo, name=name)
            return codes.astype(np.intp, copy=False), labels
    codes, uniques = pd.factorize(pd.Series(values), sort=True, use_na_sentinel=True)
    return codes, pd.Index(uniques, name=name)


def _resolve_column(df: pd.DataFrame, spec: ArrayLike | str, name: str) -> ArrayLike:
    if isinstance(spec, str):
        if spec not in df.columns:
            raise MeasureInputError(f"{name} column {spec!r} is not in the DataFrame")
        return df[spec]
    return spec


def _groups_from(
    df_len: int, by_values: ArrayLike, by_name: str, dropna: bool
) -> tuple[np.ndarray, pd.Index, np.ndarray | None]:
    codes, labels = _group_codes(by_values, by_name)
    if codes.shape[0] != df_len:
        raise MeasureInputError(
            f"by and the data have mismatched lengths ({codes.shape[0]} vs {df_len})"
        )
    missing = codes < 0
    keep = None
    if missing.any():
        if not dropna:
            raise MeasureInputError(
                f"by ({by_name!r}) has {int(missing.sum())} missing value(s) (first at position "
                f"{_first_position(missing)}); pass dropna=True to drop those units"
            )
        keep = ~missing
    return codes, labels, keep


def fgt_by(
    df: pd.DataFrame,
    income: str,
    line: float,
    by: str,
    alpha: float = 0,
    weights: str | ArrayLike | None = None,
    *,
    dropna: bool = False,
) -> pd.DataFrame:
    """FGT P_alpha by subgroup with population shares and additive contributions.

    For groups g with population weight ``N_g`` (``N`` in total):

    - ``fgt``: the group's P_alpha,
    - ``population``: ``N_g`` (sum of weights, or count when unweighted),
    - ``pop_share``: ``N_g / N``,
    - ``contribution``: ``pop_share * fgt`` — these sum to the overall P_alpha (FGT 1984
      subgroup decomposability),
    - ``contribution_share``: ``contribution / P_alpha`` — sum to 1 (NaN when P_alpha = 0).

    ``income`` and ``by`` name columns of ``df``; ``weights`` is a column name, an array-like of
    ``len(df)`` or ``None``. Groups are sorted by key; the overall value is in
    ``result.attrs["total"]``.

    Reference: Foster, Greer and Thorbecke (1984), Econometrica 52(3), section 3 (decomposition).

    Raises:
        MeasureInputError: as :func:`fgt`, plus a missing column or missing group keys without
            ``dropna=True``.
    """
    if not isinstance(df, pd.DataFrame):
        raise MeasureInputError(f"df must be a pandas DataFrame; got {type(df).__name__}")
    z = _positive_number(line, "poverty line")
    a = _check_alpha(alpha)
    x_in = _resolve_column(df, income, "income")
    w_in = None if weights is None else _resolve_column(df, weights, "weights")
    by_in = _resolve_column(df, by, "by")
    codes, labels, keep_by = _groups_from(len(df), by_in, str(by), dropna)
    x = _as_float_array(x_in, "income")
    w = None if w_in is None else _as_float_array(w_in, "weights")
    if w is not None:
        _check_length(w, x.shape[0], "weights", "income")
    checks = {"income": x} if w is None else {"income": x, "weights": w}
    keep = _nan_mask(checks, dropna)
    if keep_by is not None:
        keep = keep_by if keep is None else keep & keep_by
    if keep is not None:
        x, codes = x[keep], codes[keep]
        w = None if w is None else w[keep]
    _check_finite(x, "income")
    if x.shape[0] == 0:
        raise MeasureInputError("income is empty (no units left to measure)")
    if w is not None:
        _check_weights(w)
    n_groups = len(labels)
    terms = _fgt_terms(x, z, a)
    if w is None:
        pop = np.bincount(codes, minlength=n_groups).astype(np.float64)
        num = np.bincount(codes, weights=terms, minlength=n_groups)
    else:
        pop = np.bincount(codes, weights=w, minlength=n_groups)
        num = np.bincount(codes, weights=terms * w, minlength=n_groups)
    present = pop > 0
    total_pop = pop.sum()
    total = num.sum() / total_pop
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(present, num / np.where(present, pop, 1.0), np.nan)
        contribution = num / total_pop
        share = contribution / total if total > 0 else np.full(n_groups, np.nan)
    out = pd.DataFrame(
        {
            "fgt": value,
            "population": pop,
            "pop_share": pop / total_pop,
            "contribution": contribution,
            "contribution_share": share,
        },
        index=labels,
    )
    # Groups whose units were all dropped (dropna) or carry zero weight have no population.
    out = out[present]
    out.attrs["total"] = float(total)
    out.attrs["alpha"] = a
    out.attrs["line"] = z
    return out


# --------------------------------------------------------------------------------------------
# Relative line and Gini
# --------------------------------------------------------------------------------------------


def _income_order(x: np.ndarray) -> np.ndarray:
    """Permutation sorting ``x`` ascending (ties in any order: neither the weighted median nor
    the Lorenz curve depends on how equal incomes are ordered).

    When every value is exactly representable in float32 (e.g. float32 survey or register
    files), the float32 bit pattern is mapped to an order-preserving unsigned integer and packed
    with the row number into one uint64 key, so a plain ``np.sort`` (about twice as fast as
    ``np.argsort`` on tens of millions of rows) yields the permutation.
    """
    n = x.shape[0]
    if n < 2**32 and n >= 100_000:
        x32 = x.astype(np.float32)
        if np.array_equal(x32, x):
            bits = x32.view(np.uint32)
            negative = (bits >> np.uint32(31)).astype(bool)
            # IEEE-754 to monotone unsigned: flip all bits of negatives, the sign bit otherwise.
            mono = np.where(negative, ~bits, bits | np.uint32(0x80000000))
            key = mono.astype(np.uint64) << np.uint64(32)
            key |= np.arange(n, dtype=np.uint64)
            key.sort()
            return (key & np.uint64(0xFFFFFFFF)).astype(np.intp)
    return np.argsort(x)


def _weighted_median(x: np.ndarray, w: np.ndarray | None) -> float:
    """Median that, for integer weights, equals the median of the replicated data."""
    if w is None:
        return float(np.median(x))
    positive = w > 0
    if not positive.all():
        x, w = x[positive], w[positive]
    order = _income_order(x)
    xs = x[order]
    cum = np.cumsum(w[order])
    half = cum[-1] / 2.0
    i = int(np.searchsorted(cum, half, side="left"))
    # Cumulative weight landing exactly on half the total is the even-count case: average the
    # two neighbouring values, as the unweighted median does.
    if i + 1 < xs.shape[0] and math.isclose(cum[i], half, rel_tol=1e-12, abs_tol=0.0):
        return float((xs[i] + xs[i + 1]) / 2.0)
    return float(xs[i])


def relative_line(
    income: ArrayLike,
    share: float = 0.5,
    weights: ArrayLike | None = None,
    *,
    dropna: bool = False,
) -> float:
    """Relative poverty line: ``share`` times the (weighted) median income.

    The weighted median is the smallest income at which the cumulative weight reaches half the
    total; when it lands exactly on half, the mean of that income and the next (so unweighted
    data give the textbook median and integer weights equal repeating rows). Result is in the
    unit of ``income``. Relative lines at 40-50% of median income are the option
    discussed for China after the 2020 eradication of absolute poverty; the OECD relative
    poverty rate uses 50% of the median (OECD Income Distribution Database).

    Raises:
        MeasureInputError: input problems as in :func:`fgt`; ``share`` not a positive finite
            number; a non-positive median (the line would be non-positive).
    """
    s = _positive_number(share, "share", expected="a positive number")
    arrays, w = _prepare({"income": income}, weights, dropna)
    median = _weighted_median(arrays["income"], w)
    if median <= 0:
        raise MeasureInputError(
            f"the (weighted) median income is {median!r}; a relative poverty line needs a "
            "positive median"
        )
    return s * median


def gini(
    income: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    dropna: bool = False,
) -> float:
    """Weighted Gini coefficient from the Lorenz curve.

    With units sorted by income, population shares ``p_i = w_i / sum w`` and cumulative income
    shares ``L_i``: ``G = 1 - sum_i p_i (L_{i-1} + L_i)`` (trapezoid rule on the Lorenz curve).
    Unweighted, this equals the textbook ``sum_i sum_j |y_i - y_j| / (2 n^2 mean(y))``; integer
    weights equal repeating rows. Dimensionless, in [0, 1); scale and replication invariant.

    Reference: Haughton and Khandker (2009), Handbook on Poverty and Inequality, ch. 6;
    Lerman, R. and Yitzhaki, S. (1989), "Improving the accuracy of estimates of Gini
    coefficients", Journal of Econometrics 42: 43-47.

    Raises:
        MeasureInputError: input problems as in :func:`fgt`; negative incomes; zero total income.
    """
    arrays, w = _prepare({"income": income}, weights, dropna)
    x = arrays["income"]
    neg = x < 0
    if neg.any():
        pos = _first_position(neg)
        raise MeasureInputError(
            f"gini needs non-negative incomes; found {x[pos].item()!r} at position {pos}"
        )
    if w is None:
        xs = np.sort(x)
        n = xs.shape[0]
        total = xs.sum()
        if total <= 0:
            raise MeasureInputError("gini needs a positive total income; all incomes are zero")
        # G = sum_i (2i - n - 1) y_(i) / (n * sum y), the unweighted closed form.
        ranks = np.arange(1, n + 1, dtype=np.float64)
        return float(np.dot(2.0 * ranks - n - 1.0, xs) / (n * total))
    order = _income_order(x)
    xs = x[order]
    ws = w[order]
    income_mass = ws * xs
    total = income_mass.sum()
    if total <= 0:
        raise MeasureInputError("gini needs a positive total income; all incomes are zero")
    cum = np.cumsum(income_mass) / total
    prev = np.empty_like(cum)
    prev[0] = 0.0
    prev[1:] = cum[:-1]
    return float(1.0 - np.dot(ws, prev + cum) / ws.sum())


# --------------------------------------------------------------------------------------------
# Multidimensional poverty (Alkire-Foster)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """One deprivation indicator: coded 1 when the unit is deprived, 0 otherwise."""

    name: str
    dimension: str
    weight: float
    definition: str


@dataclass(frozen=True)
class IndicatorSpec(Mapping[str, float]):
    """An ordered set of indicators with nested weights; behaves as ``{name: weight}``.

    Being a ``Mapping`` from indicator name to weight, it can be passed directly as
    ``dim_weights`` to :func:`mpi`, :func:`mpi_by` and :func:`mpi_ci`.
    """

    name: str
    indicators: tuple[Indicator, ...]
    source: str = ""

    def __post_init__(self) -> None:
        names = [i.name for i in self.indicators]
        if len(set(names)) != len(names):
            raise MeasureInputError(f"indicator names in {self.name!r} are not unique: {names}")
        total = sum(i.weight for i in self.indicators)
        if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
            raise MeasureInputError(f"indicator weights of {self.name!r} sum to {total}, not 1")

    def __getitem__(self, key: str) -> float:
        for ind in self.indicators:
            if ind.name == key:
                return ind.weight
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (i.name for i in self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    @property
    def dimensions(self) -> dict[str, tuple[str, ...]]:
        """Dimension -> its indicator names, in order."""
        out: dict[str, list[str]] = {}
        for ind in self.indicators:
            out.setdefault(ind.dimension, []).append(ind.name)
        return {d: tuple(v) for d, v in out.items()}

    def definition(self, name: str) -> str:
        """The documented definition of indicator ``name``."""
        for ind in self.indicators:
            if ind.name == name:
                return ind.definition
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        """Indicator table: name (index), dimension, weight, definition."""
        return pd.DataFrame(
            [(i.name, i.dimension, i.weight, i.definition) for i in self.indicators],
            columns=["indicator", "dimension", "weight", "definition"],
        ).set_index("indicator")

    def reweighted(self, weights: Mapping[str, float]) -> IndicatorSpec:
        """The same indicators and dimensions with new ``weights`` (``{indicator: w_j}``,
        naming every indicator of the spec, positive, summing to 1), e.g. a vector of
        :func:`weight_schemes`.

        Raises:
            MeasureInputError: weights for other indicators, or weights that do not sum to 1.
        """
        names = [i.name for i in self.indicators]
        if sorted(weights) != sorted(names):
            raise MeasureInputError(
                f"weights must name exactly the indicators {names}; got {sorted(weights)}"
            )
        return IndicatorSpec(
            name=self.name,
            source=self.source,
            indicators=tuple(
                Indicator(i.name, i.dimension, float(weights[i.name]), i.definition)
                for i in self.indicators
            ),
        )

    @property
    def union_cutoff(self) -> float:
        """Smallest indicator weight: ``k`` at this value identifies anyone deprived in any one
        indicator as poor (the union rule the official exit standard applies)."""
        return min(i.weight for i in self.indicators)


#: First year in which the exit checks included safe drinking water (the 2019 guidance of the
#: State Council Leading Group Office of Poverty Alleviation and Development). Before it, the
#: checks were income, food and clothing, and the three guarantees only.
WATER_CHECK_FIRST_YEAR = 2019

# The indicators of the exit standard, one per dimension; the weight field is filled in by
# exit_standard() (equal across the dimensions that apply in the year, equal within each).
_EXIT_TEXTS = indicator_definitions("exit_standard")
_EXIT_INDICATORS: tuple[Indicator, ...] = (
    Indicator("income_below_line", "income", 0.0, _EXIT_TEXTS["income_below_line"]),
    Indicator(
        "food_clothing_insecure", "food_clothing", 0.0, _EXIT_TEXTS["food_clothing_insecure"]
    ),
    Indicator(
        "education_not_guaranteed",
        "compulsory_education",
        0.0,
        _EXIT_TEXTS["education_not_guaranteed"],
    ),
    Indicator(
        "medical_not_guaranteed", "basic_medical_care", 0.0, _EXIT_TEXTS["medical_not_guaranteed"]
    ),
    Indicator("housing_unsafe", "housing_safety", 0.0, _EXIT_TEXTS["housing_unsafe"]),
    Indicator("drinking_water_unsafe", "drinking_water", 0.0, _EXIT_TEXTS["drinking_water_unsafe"]),
)

#: Where the standard comes from and what is this project's own (data/indicators.yaml).
_EXIT_SOURCE = indicator_definitions("sources")["exit_standard"]


def nested_weights(
    dimensions: Mapping[str, Sequence[str]],
    dimension_weights: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Indicator weights nested in dimensions: ``w_j = v_d / n_d`` for indicator j of
    dimension d with ``n_d`` indicators.

    ``dimension_weights`` gives the relative weight ``v_d`` of each dimension (normalised to
    sum to 1: ``v_d = u_d / sum_e u_e``); ``None`` gives equal weights ``v_d = 1 / D`` over the
    ``D`` dimensions, as the global MPI does (Alkire and Santos 2010, OPHI Working Paper 38).

    Raises:
        MeasureInputError: a dimension without indicators or without a weight, a weight that
            is not positive, or a weight for an unknown dimension.
    """
    if not dimensions:
        raise MeasureInputError("dimensions is empty")
    empty = [d for d, names in dimensions.items() if not names]
    if empty:
        raise MeasureInputError(f"dimension(s) without indicators: {empty}")
    if dimension_weights is None:
        raw = dict.fromkeys(dimensions, 1.0)
    else:
        unknown = sorted(set(dimension_weights) - set(dimensions))
        lacking = [d for d in dimensions if d not in dimension_weights]
        if unknown or lacking:
            raise MeasureInputError(
                f"dimension_weights must name exactly the dimensions {list(dimensions)}; "
                f"unknown: {unknown}, missing: {lacking}"
            )
        raw = {d: float(dimension_weights[d]) for d in dimensions}
        bad = {d: v for d, v in raw.items() if not (math.isfinite(v) and v > 0)}
        if bad:
            raise MeasureInputError(f"dimension weights must be positive; got {bad}")
    total = sum(raw.values())
    return {name: raw[d] / total / len(names) for d, names in dimensions.items() for name in names}


def exit_dimensions(year: int | None = None) -> dict[str, tuple[str, ...]]:
    """Dimension -> indicator names of the exit standard that applies in ``year``.

    Six dimensions from :data:`WATER_CHECK_FIRST_YEAR` (2019) on, or when ``year`` is
    ``None``: income, food and clothing, compulsory education, basic medical care, housing
    safety and drinking water. Five before 2019: drinking water was not yet checked.
    """
    water = year is None or int(year) >= WATER_CHECK_FIRST_YEAR
    out: dict[str, tuple[str, ...]] = {}
    for ind in _EXIT_INDICATORS:
        if ind.dimension == "drinking_water" and not water:
            continue
        out.setdefault(ind.dimension, ())
        out[ind.dimension] += (ind.name,)
    return out


def exit_standard(
    year: int | None = None, *, dimension_weights: Mapping[str, float] | None = None
) -> IndicatorSpec:
    """The indicator specification of China's exit standard 一达标、两不愁、三保障 in ``year``.

    Dimensions (:func:`exit_dimensions`): income above the line as a criterion of its own
    (``income_below_line``); food and clothing assured (``food_clothing_insecure``); the three
    guarantees (``education_not_guaranteed``, ``medical_not_guaranteed``, ``housing_unsafe``);
    and, from 2019 only, safe drinking water (``drinking_water_unsafe``). ``year=None`` gives
    the full set of 2019 onwards. Weights (:func:`nested_weights`): equal across dimensions by
    default (``1/5`` before 2019, ``1/6`` from 2019), equal within a dimension; or relative
    ``dimension_weights`` per dimension of that year.

    Raises:
        MeasureInputError: ``dimension_weights`` that do not fit the year's dimensions.
    """
    dims = exit_dimensions(year)
    weights = nested_weights(dims, dimension_weights)
    by_name = {i.name: i for i in _EXIT_INDICATORS}
    label = "all years from 2019" if year is None else str(int(year))
    return IndicatorSpec(
        name=f"exit_standard_{'2019' if year is None else int(year)}",
        source=f"{_EXIT_SOURCE} Dimensions of {label}.",
        indicators=tuple(
            Indicator(n, by_name[n].dimension, w, by_name[n].definition) for n, w in weights.items()
        ),
    )


#: The full exit standard (2019 onwards: six dimensions, weight 1/6 each). Profiles of years
#: before 2019 use :func:`exit_standard` of their year, which leaves out drinking water.
TWO_ASSURANCES_THREE_GUARANTEES = exit_standard(None)


def weight_schemes(spec: IndicatorSpec) -> dict[str, dict[str, float]]:
    """Alternative weight vectors of ``spec`` for robustness analysis (OPHI practice).

    - ``equal_dimensions``: the spec's dimensions weighted ``1/D``, equal within each;
    - ``equal_indicators``: every indicator ``1/J`` (left out when identical to the first);
    - ``income_half``: the income dimension ``1/2``, the other dimensions share ``1/2``
      equally (only when the spec has a dimension named ``income``);
    - ``income_in_food_clothing``: income and food and clothing folded into one dimension
      (both ``1/(2D')``), the other dimensions ``1/D'`` with ``D' = D - 1`` (the book's
      specification before issue 19; only when both dimensions are present).

    Returns name -> ``{indicator: weight}``; every vector sums to 1.
    """
    dims = spec.dimensions
    out = {"equal_dimensions": nested_weights(dims)}
    names = list(spec)
    equal_ind = {n: 1.0 / len(names) for n in names}
    if any(abs(equal_ind[n] - out["equal_dimensions"][n]) > WEIGHT_SUM_TOLERANCE for n in names):
        out["equal_indicators"] = equal_ind
    if "income" in dims and len(dims) > 1:
        others = len(dims) - 1
        out["income_half"] = nested_weights(
            dims, {d: (0.5 if d == "income" else 0.5 / others) for d in dims}
        )
    if "income" in dims and "food_clothing" in dims and len(dims) > 2:
        merged: dict[str, tuple[str, ...]] = {}
        for d, inds in dims.items():
            key = "food_clothing" if d == "income" else d
            merged[key] = merged.get(key, ()) + inds
        folded = nested_weights(merged)
        out["income_in_food_clothing"] = {n: folded[n] for n in names}
    return out


def _flatten_dim_weights(dim_weights: Mapping[str, Any] | pd.Series) -> dict[str, float]:
    """``{indicator: weight}`` from a flat or nested ``{dimension: {indicator: weight}}`` map."""
    if isinstance(dim_weights, pd.Series):
        items = list(dim_weights.items())
    elif isinstance(dim_weights, Mapping):
        items = list(dim_weights.items())
    else:
        raise MeasureInputError(
            "dim_weights must be a mapping {indicator: weight}, a nested mapping "
            "{dimension: {indicator: weight}} or a pandas Series; got "
            f"{type(dim_weights).__name__}"
        )
    flat: dict[str, float] = {}
    for key, value in items:
        sub = value.items() if isinstance(value, Mapping) else [(key, value)]
        for name, weight in sub:
            if name in flat:
                raise MeasureInputError(f"dim_weights lists indicator {name!r} twice")
            try:
                wt = float(weight)
            except (TypeError, ValueError) as exc:
                raise MeasureInputError(
                    f"dim_weights[{name!r}] must be a number; got {weight!r}"
                ) from exc
            if not math.isfinite(wt) or wt <= 0:
                raise MeasureInputError(f"dim_weights[{name!r}] must be positive; got {weight!r}")
            flat[str(name)] = wt
    if not flat:
        raise MeasureInputError("dim_weights is empty")
    total = sum(flat.values())
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise MeasureInputError(f"dim_weights must sum to 1; they sum to {total:.6g}")
    return flat


def _check_k(k: float) -> float:
    try:
        value = float(k)
    except (TypeError, ValueError) as exc:
        raise MeasureInputError(f"poverty cutoff k must be a number in (0, 1]; got {k!r}") from exc
    if not (0 < value <= 1):
        raise MeasureInputError(f"poverty cutoff k must be in (0, 1]; got {k!r}")
    return value


def _indicator_matrix(
    indicators: pd.DataFrame, names: Sequence[str]
) -> tuple[list[np.ndarray], np.ndarray]:
    """Validated 0/1 indicator columns and a per-row NaN mask."""
    if not isinstance(indicators, pd.DataFrame):
        raise MeasureInputError(
            f"indicators must be a pandas DataFrame; got {type(indicators).__name__}"
        )
    missing = [c for c in names if c not in indicators.columns]
    if missing:
        raise MeasureInputError(f"indicators lacks the column(s) named in dim_weights: {missing}")
    cols: list[np.ndarray] = []
    nan_rows = np.zeros(len(indicators), dtype=bool)
    for name in names:
        raw = indicators[name].to_numpy()
        if raw.dtype == bool:
            cols.append(raw)
            continue
        if raw.dtype.kind not in "iuf":
            raise MeasureInputError(
                f"indicator column {name!r} must be 0/1 or boolean; got dtype {raw.dtype}"
            )
        if raw.dtype.kind == "f":
            nan = np.isnan(raw)
            nan_rows |= nan
            bad = ~nan & (raw != 0) & (raw != 1)
        else:
            bad = (raw != 0) & (raw != 1)
        if bad.any():
            pos = _first_position(bad)
            raise MeasureInputError(
                f"indicator column {name!r} must hold only 0/1 deprivation codes; found "
                f"{raw[pos].item()!r} at row {pos}"
            )
        cols.append(raw)
    return cols, nan_rows


@dataclass(frozen=True)
class MPIResult:
    """Alkire-Foster results.

    Attributes:
        H: multidimensional headcount ratio (share of the population identified as poor).
        A: average intensity, the mean deprivation score among the poor (NaN when nobody is
            poor).
        M0: adjusted headcount ratio, ``H * A``.
        uncensored_headcount: share deprived in each indicator (whole population).
        censored_headcount: share both poor and deprived in each indicator.
        contribution: each indicator's share of M0, ``w_j * censored_j / M0`` (sums to 1; NaN
            when M0 = 0).
        k: the poverty cutoff used; dim_weights: indicator weights used.
        deprivation_score, is_poor: per-unit score ``c_i`` and identification (after dropna).
    """

    H: float
    A: float
    M0: float
    uncensored_headcount: pd.Series
    censored_headcount: pd.Series
    contribution: pd.Series
    k: float
    dim_weights: pd.Series
    deprivation_score: np.ndarray = field(repr=False)
    is_poor: np.ndarray = field(repr=False)


def _prepare_mpi(
    indicators: pd.DataFrame,
    dim_weights: Mapping[str, Any] | pd.Series,
    k: float,
    weights: ArrayLike | None,
    dropna: bool,
    extra_keep: np.ndarray | None = None,
) -> tuple[dict[str, float], list[np.ndarray], np.ndarray | None, float, np.ndarray | None]:
    flat = _flatten_dim_weights(dim_weights)
    cutoff = _check_k(k)
    names = list(flat)
    cols, nan_rows = _indicator_matrix(indicators, names)
    n = len(indicators)
    w = None
    if weights is not None:
        if isinstance(weights, str):
            weights = _resolve_column(indicators, weights, "weights")
        w = _as_float_array(weights, "weights")
        _check_length(w, n, "weights", "indicators")
    keep = None
    if nan_rows.any():
        if not dropna:
            bad_col = next(c for c, arr in zip(names, cols, strict=True) if _has_nan(arr))
            raise MeasureInputError(
                f"indicators have NaN in {int(nan_rows.sum())} row(s) (first at row "
                f"{_first_position(nan_rows)}, e.g. column {bad_col!r}); pass dropna=True to "
                "drop those units"
            )
        keep = ~nan_rows
    if w is not None:
        wkeep = _nan_mask({"weights": w}, dropna)
        if wkeep is not None:
            keep = wkeep if keep is None else keep & wkeep
    if extra_keep is not None:
        keep = extra_keep if keep is None else keep & extra_keep
    if keep is not None:
        cols = [c[keep] for c in cols]
        w = None if w is None else w[keep]
    if cols[0].shape[0] == 0:
        raise MeasureInputError("indicators is empty (no units left to measure)")
    if w is not None:
        _check_weights(w)
    return flat, cols, w, cutoff, keep


def _has_nan(arr: np.ndarray) -> bool:
    return arr.dtype.kind == "f" and bool(np.isnan(arr).any())


# Up to this many indicators, units are summarised by their deprivation profile (a bit pattern,
# at most 2**16 distinct profiles): one weighted bincount over profiles then gives every AF
# statistic, instead of one pass over the data per indicator and statistic.
MAX_PROFILE_INDICATORS = 16


def _profile_codes(cols: list[np.ndarray]) -> np.ndarray | None:
    """Bit-pattern code of each unit's deprivation profile (bit j = indicator j), or ``None``
    when there are too many indicators for a profile table."""
    n_ind = len(cols)
    if n_ind > MAX_PROFILE_INDICATORS:
        return None
    dtype = np.uint8 if n_ind <= 8 else np.uint16
    code = np.zeros(cols[0].shape[0], dtype=dtype)
    bit = np.empty_like(code)
    for j, col in enumerate(cols):
        np.left_shift(col.astype(dtype, copy=False), dtype(j), out=bit)
        code |= bit
    return code


def _profile_table(flat: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Indicator bits (profiles x indicators), score of every profile."""
    n_ind = len(flat)
    profiles = np.arange(2**n_ind)
    bits = ((profiles[:, None] >> np.arange(n_ind)[None, :]) & 1).astype(np.float64)
    return bits, bits @ np.fromiter(flat.values(), dtype=np.float64, count=n_ind)


def _scores(
    flat: dict[str, float], cols: list[np.ndarray], cutoff: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit deprivation score ``c_i`` and identification ``c_i >= k``."""
    code = _profile_codes(cols)
    if code is not None:
        _, profile_score = _profile_table(flat)
        score = profile_score[code]
    else:
        score = np.zeros(cols[0].shape[0], dtype=np.float64)
        for wt, col in zip(flat.values(), cols, strict=True):
            score += wt * col
    return score, score >= cutoff - SCORE_TOLERANCE


def _af_totals(
    flat: dict[str, float],
    cols: list[np.ndarray],
    cutoff: float,
    w: np.ndarray | None,
    codes: np.ndarray | None = None,
    n_groups: int = 1,
) -> dict[str, np.ndarray]:
    """Weighted totals per group (rows) for the AF statistics: population, poor, censored score
    sum, and per-indicator uncensored and censored deprivation totals (groups x indicators)."""
    profile = _profile_codes(cols)
    if profile is not None:
        bits, profile_score = _profile_table(flat)
        n_prof = bits.shape[0]
        key = profile if codes is None else codes.astype(np.int64) * n_prof + profile
        table = np.bincount(key, weights=w, minlength=n_groups * n_prof).reshape(n_groups, n_prof)
        poor = profile_score >= cutoff - SCORE_TOLERANCE
        return {
            "pop": table.sum(axis=1),
            "poor": table[:, poor].sum(axis=1),
            "censored_score": table @ np.where(poor, profile_score, 0.0),
            "uncensored": table @ bits,
            "censored": table[:, poor] @ bits[poor],
        }
    score, is_poor = _scores(flat, cols, cutoff)
    grp = np.zeros(score.shape[0], dtype=np.intp) if codes is None else codes
    v = np.ones(score.shape[0]) if w is None else w
    vp = v * is_poor
    return {
        "pop": np.bincount(grp, weights=v, minlength=n_groups),
        "poor": np.bincount(grp, weights=vp, minlength=n_groups),
        "censored_score": np.bincount(grp, weights=vp * score, minlength=n_groups),
        "uncensored": np.column_stack(
            [np.bincount(grp, weights=v * c, minlength=n_groups) for c in cols]
        ),
        "censored": np.column_stack(
            [np.bincount(grp, weights=vp * c, minlength=n_groups) for c in cols]
        ),
    }


def mpi(
    indicators: pd.DataFrame,
    dim_weights: Mapping[str, Any] | pd.Series,
    k: float,
    weights: ArrayLike | str | None = None,
    *,
    dropna: bool = False,
) -> MPIResult:
    """Alkire–Foster adjusted headcount ratio M0 and its partial indices.

    ``indicators`` holds one 0/1 (or boolean) column per indicator, 1 = deprived; only the
    columns named in ``dim_weights`` are used. ``dim_weights`` maps indicator -> weight, or
    dimension -> {indicator -> weight} (nested, absolute weights); weights are positive and
    sum to 1. :data:`TWO_ASSURANCES_THREE_GUARANTEES` can be passed as is.

    Deprivation score ``c_i = sum_j w_j g_ij``; unit i is poor when ``c_i >= k`` (dual cutoff,
    ``0 < k <= 1``, compared with a 1e-9 tolerance for float sums). With population weights
    ``v_i`` (count when unweighted):

    - ``H = sum v_i 1[poor_i] / sum v_i``, ``A = sum v_i c_i 1[poor_i] / sum v_i 1[poor_i]``,
    - ``M0 = sum v_i c_i 1[poor_i] / sum v_i = H * A``,
    - censored headcount ``h_j = sum v_i g_ij 1[poor_i] / sum v_i``; ``M0 = sum_j w_j h_j``,
    - contribution ``w_j h_j / M0``.

    Reference: Alkire, S. and Foster, J. (2011), "Counting and multidimensional poverty
    measurement", Journal of Public Economics 95(7-8): 476-487; Alkire, S. et al. (2015),
    Multidimensional Poverty Measurement and Analysis, OUP, ch. 5.

    Raises:
        MeasureInputError: indicators not a DataFrame, missing or non-0/1 columns, weights that
            are not positive or do not sum to 1, k outside (0, 1], weight problems as in
            :func:`fgt`, NaN without ``dropna=True``.
    """
    flat, cols, w, cutoff, _ = _prepare_mpi(indicators, dim_weights, k, weights, dropna)
    totals = _af_totals(flat, cols, cutoff, w)
    names = list(flat)
    total = float(totals["pop"][0])
    n_poor = float(totals["poor"][0])
    m_num = float(totals["censored_score"][0])
    big_h = n_poor / total
    m0 = m_num / total
    intensity = m_num / n_poor if n_poor > 0 else math.nan
    weight_series = pd.Series(flat, name="weight")
    censored = pd.Series(totals["censored"][0] / total, index=names, name="censored_headcount")
    contribution = (
        weight_series * censored / m0 if m0 > 0 else pd.Series(np.nan, index=names, dtype=float)
    )
    score, is_poor = _scores(flat, cols, cutoff)
    return MPIResult(
        H=big_h,
        A=intensity,
        M0=m0,
        uncensored_headcount=pd.Series(
            totals["uncensored"][0] / total, index=names, name="uncensored_headcount"
        ),
        censored_headcount=censored,
        contribution=contribution.rename("contribution"),
        k=cutoff,
        dim_weights=weight_series,
        deprivation_score=score,
        is_poor=is_poor,
    )


def mpi_by(
    indicators: pd.DataFrame,
    dim_weights: Mapping[str, Any] | pd.Series,
    k: float,
    by: str | ArrayLike,
    weights: ArrayLike | str | None = None,
    *,
    dropna: bool = False,
) -> pd.DataFrame:
    """Alkire–Foster M0, H and A by subgroup, with population-share decomposition.

    ``by`` is a column of ``indicators`` or an array-like of group labels. Columns: ``H``,
    ``A``, ``M0``, ``population``, ``pop_share``, ``contribution`` (``pop_share * M0``; these
    sum to the overall M0, the subgroup decomposability of Alkire and Foster 2011, section 4)
    and ``contribution_share`` (sum to 1; NaN when M0 = 0). Overall M0 is in
    ``result.attrs["total"]``.

    Raises:
        MeasureInputError: as :func:`mpi`, plus missing group keys without ``dropna=True``.
    """
    if not isinstance(indicators, pd.DataFrame):
        raise MeasureInputError(
            f"indicators must be a pandas DataFrame; got {type(indicators).__name__}"
        )
    by_values = _resolve_column(indicators, by, "by")
    by_name = by if isinstance(by, str) else getattr(by_values, "name", None) or "group"
    codes, labels, keep_by = _groups_from(len(indicators), by_values, str(by_name), dropna)
    flat, cols, w, cutoff, keep = _prepare_mpi(
        indicators, dim_weights, k, weights, dropna, extra_keep=keep_by
    )
    if keep is not None:
        codes = codes[keep]
    g = len(labels)
    totals = _af_totals(flat, cols, cutoff, w, codes=codes, n_groups=g)
    pop, n_poor, m_num = totals["pop"], totals["poor"], totals["censored_score"]
    present = pop > 0
    total_pop = pop.sum()
    total = m_num.sum() / total_pop
    safe_pop = np.where(present, pop, 1.0)
    out = pd.DataFrame(
        {
            "H": np.where(present, n_poor / safe_pop, np.nan),
            "A": np.where(n_poor > 0, m_num / np.where(n_poor > 0, n_poor, 1.0), np.nan),
            "M0": np.where(present, m_num / safe_pop, np.nan),
            "population": pop,
            "pop_share": pop / total_pop,
            "contribution": m_num / total_pop,
            "contribution_share": (m_num / total_pop / total) if total > 0 else np.nan,
        },
        index=labels,
    )
    out = out[present]
    out.attrs["total"] = float(total)
    out.attrs["k"] = cutoff
    return out


# --------------------------------------------------------------------------------------------
# Robustness of the MPI to k and weights (OPHI practice)
# --------------------------------------------------------------------------------------------


def rank_concordance(reference: ArrayLike, alternative: ArrayLike) -> dict[str, float]:
    """How far ``alternative`` keeps the order of groups that ``reference`` gives them.

    For every pair of groups ``(g, h)`` with ``r_g != r_h`` in the reference values ``r``
    (the ordered pairs), the pair keeps its order when ``sign(a_g - a_h) = sign(r_g - r_h)``
    in the alternative values ``a`` (a tie in ``a`` does not keep it). Returns ``pairs`` (number
    of ordered pairs), ``kept``, ``share_kept = kept / pairs`` (NaN without ordered pairs) and
    Kendall's ``tau_b`` of ``r`` and ``a`` (:func:`scipy.stats.kendalltau`; NaN when either is
    constant). This is the pairwise-comparison robustness check of Alkire et al. (2015),
    Multidimensional Poverty Measurement and Analysis, ch. 8, without the significance test.

    Raises:
        MeasureInputError: mismatched lengths or NaN values.
    """
    arrays, _ = _prepare({"reference": reference, "alternative": alternative}, None, False)
    r, a = arrays["reference"], arrays["alternative"]
    dr = np.sign(r[:, None] - r[None, :])
    da = np.sign(a[:, None] - a[None, :])
    upper = np.triu(np.ones(dr.shape, dtype=bool), k=1)
    ordered = upper & (dr != 0)
    pairs = int(ordered.sum())
    kept = int((ordered & (dr == da)).sum())
    if r.shape[0] > 1 and np.ptp(r) > 0 and np.ptp(a) > 0:
        tau = float(stats.kendalltau(r, a).statistic)
    else:
        tau = math.nan
    return {
        "pairs": float(pairs),
        "kept": float(kept),
        "share_kept": kept / pairs if pairs else math.nan,
        "kendall_tau": tau,
    }


@dataclass(frozen=True)
class MPIRobustness:
    """M0 over a grid of weight vectors and cutoffs, and how group rankings hold up.

    Attributes:
        overall: one row per specification (index ``scheme``, ``k``): ``H``, ``A``, ``M0``.
        by_group: M0 of each group (rows) under each specification (columns ``(scheme, k)``).
        concordance: per specification, :func:`rank_concordance` of its group M0 against the
            reference specification's (``pairs``, ``kept``, ``share_kept``, ``kendall_tau``).
        reference: the reference specification ``(scheme, k)``.
        robust_share: share of the reference's ordered group pairs that keep their order
            under every specification of the grid (NaN without ordered pairs).
    """

    overall: pd.DataFrame
    by_group: pd.DataFrame
    concordance: pd.DataFrame
    reference: tuple[str, float]
    robust_share: float


def mpi_robustness(
    indicators: pd.DataFrame,
    schemes: Mapping[str, Mapping[str, Any] | pd.Series],
    ks: Sequence[float],
    by: str | ArrayLike,
    weights: ArrayLike | str | None = None,
    *,
    reference: tuple[str, float] | None = None,
) -> MPIRobustness:
    """Robustness of the Alkire–Foster M0 and of the ranking of groups to weights and k.

    For every weight vector ``s`` in ``schemes`` (name -> ``dim_weights`` as in :func:`mpi`)
    and cutoff ``k`` in ``ks``: overall ``H``, ``A``, ``M0`` (:func:`mpi`) and ``M0_g`` of each
    group ``g`` of ``by`` (:func:`mpi_by`). Each specification's group values are compared
    with the reference specification (default: the first scheme at the first k) by
    :func:`rank_concordance`; ``robust_share`` counts a reference pair as robust when
    ``sign(M0_g - M0_h)`` is the same under all specifications. Groups absent from the data
    (or with zero weight) are dropped.

    Reference: Alkire, S., Foster, J., Seth, S., Santos, M. E., Roche, J. M. and Ballon, P.
    (2015), Multidimensional Poverty Measurement and Analysis, OUP, ch. 8 (robustness of
    rankings to the poverty cutoff and to weights).

    Raises:
        MeasureInputError: no schemes or no k, an unknown reference, or as :func:`mpi_by`.
    """
    if not schemes:
        raise MeasureInputError("schemes is empty: give at least one weight vector")
    k_list = [_check_k(k) for k in ks]
    if not k_list:
        raise MeasureInputError("ks is empty: give at least one cutoff")
    ref = reference or (next(iter(schemes)), k_list[0])
    if ref[0] not in schemes or not any(abs(ref[1] - k) < SCORE_TOLERANCE for k in k_list):
        raise MeasureInputError(f"reference {ref!r} is not in the grid of schemes and ks")
    rows, columns = [], {}
    for name, dim_weights in schemes.items():
        for k in k_list:
            res = mpi(indicators, dim_weights, k, weights)
            rows.append({"scheme": name, "k": k, "H": res.H, "A": res.A, "M0": res.M0})
            columns[(name, k)] = mpi_by(indicators, dim_weights, k, by, weights)["M0"]
    overall = pd.DataFrame(rows).set_index(["scheme", "k"])
    by_group = pd.DataFrame(columns)
    by_group.columns = pd.MultiIndex.from_tuples(list(columns), names=["scheme", "k"])
    ref_key = next(c for c in columns if c[0] == ref[0] and abs(c[1] - ref[1]) < SCORE_TOLERANCE)
    r = by_group[ref_key].to_numpy()
    conc = pd.DataFrame(
        [rank_concordance(r, by_group[c].to_numpy()) for c in columns],
        index=overall.index,
    )
    dr = np.sign(r[:, None] - r[None, :])
    ordered = np.triu(np.ones(dr.shape, dtype=bool), k=1) & (dr != 0)
    robust = ordered.copy()
    for c in columns:
        a = by_group[c].to_numpy()
        robust &= np.sign(a[:, None] - a[None, :]) == dr
    n_ordered = int(ordered.sum())
    return MPIRobustness(
        overall=overall,
        by_group=by_group,
        concordance=conc,
        reference=ref_key,
        robust_share=float(robust.sum() / n_ordered) if n_ordered else math.nan,
    )


# --------------------------------------------------------------------------------------------
# Targeting
# --------------------------------------------------------------------------------------------


def targeting_errors(
    registered: ArrayLike,
    poor: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    dropna: bool = False,
) -> dict[str, Any]:
    """Inclusion and exclusion errors of a beneficiary register against true poverty status.

    With ``R`` = registered (e.g. on the 建档立卡 poor-household register), ``P`` = actually poor
    (by survey measurement), and weighted counts ``N(.)``:

    - ``inclusion_error = N(R and not P) / N(R)`` — share of registered beneficiaries who are
      not poor (leakage, type-II targeting error, Cornia and Stewart 1993 "E-mistake");
    - ``exclusion_error = N(P and not R) / N(P)`` — share of the poor left off the register
      (undercoverage, "F-mistake");
    - ``confusion``: 2x2 weighted table, rows ``registered`` (True/False), columns ``poor``
      (True/False);
    - ``n_registered``, ``n_poor``, ``n_total``: weighted totals.

    Degenerate cases: when nobody is registered the inclusion error is NaN (undefined: no
    beneficiaries); when nobody is poor the exclusion error is NaN (undefined: no poor). This
    is how the "inaccurate identification of poor households" finding in H County is measured.

    Reference: Coady, D., Grosh, M. and Hoddinott, J. (2004), Targeting of Transfers in
    Developing Countries, World Bank, ch. 2; Cornia, G. A. and Stewart, F. (1993), "Two errors
    of targeting", Journal of International Development 5(5): 459-496.

    Raises:
        MeasureInputError: flags not 0/1 or boolean, mismatched lengths, weight problems, NaN
            without ``dropna=True``.
    """
    arrays, w = _prepare(
        {"registered": registered, "poor": poor},
        weights,
        dropna,
    )
    flags = {}
    for name, arr in arrays.items():
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            pos = _first_position(bad)
            raise MeasureInputError(
                f"{name} must be 0/1 or boolean; found {arr[pos].item()!r} at position {pos}"
            )
        flags[name] = arr.astype(bool)
    reg, pov = flags["registered"], flags["poor"]
    v = np.ones(reg.shape[0]) if w is None else w
    table = np.array(
        [
            [v[reg & pov].sum(), v[reg & ~pov].sum()],
            [v[~reg & pov].sum(), v[~reg & ~pov].sum()],
        ]
    )
    n_registered = table[0].sum()
    n_poor = table[:, 0].sum()
    confusion = pd.DataFrame(
        table,
        index=pd.Index([True, False], name="registered"),
        columns=pd.Index([True, False], name="poor"),
    )
    return {
        "inclusion_error": float(table[0, 1] / n_registered) if n_registered > 0 else math.nan,
        "exclusion_error": float(table[1, 0] / n_poor) if n_poor > 0 else math.nan,
        "confusion": confusion,
        "n_registered": float(n_registered),
        "n_poor": float(n_poor),
        "n_total": float(table.sum()),
    }


# --------------------------------------------------------------------------------------------
# Vulnerability (Chaudhuri, Jalan and Suryahadi 2002)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VulnerabilityResult:
    """Vulnerability as expected poverty.

    Attributes:
        probability: per-household ``P(ln c < ln z)`` next period (Series aligned with the
            input rows kept).
        share_vulnerable: weighted share with probability >= ``threshold``.
        threshold: the vulnerability threshold used.
        beta: FGLS coefficients of the mean of ln c; theta: FGLS coefficients of its variance.
        mean_log_consumption, variance_log_consumption: per-household ``X b`` and ``X theta``.
    """

    probability: pd.Series
    share_vulnerable: float
    threshold: float
    beta: pd.Series
    theta: pd.Series
    mean_log_consumption: pd.Series = field(repr=False)
    variance_log_consumption: pd.Series = field(repr=False)


def vulnerability(
    consumption: ArrayLike,
    covariates: pd.DataFrame | ArrayLike,
    line: float,
    *,
    threshold: float = 0.5,
    weights: ArrayLike | None = None,
    add_constant: bool = True,
    dropna: bool = False,
) -> VulnerabilityResult:
    """Vulnerability to poverty as expected poverty (three-step FGLS).

    Model: ``ln c_h = X_h b + e_h`` with ``Var(e_h) = X_h theta``. Steps (Amemiya 1977 FGLS as
    applied by Chaudhuri, Jalan and Suryahadi 2002):

    1. OLS of ``ln c`` on ``X``; residuals ``e``.
    2. OLS of ``e^2`` on ``X`` gives ``theta_OLS``; then WLS of ``e^2`` on ``X`` with weights
       ``1 / (X theta_OLS)^2`` gives ``theta_FGLS``; ``sigma2_h = X_h theta_FGLS``.
    3. WLS of ``ln c`` on ``X`` with weights ``1 / sigma2_h`` gives ``b_FGLS``.

    Vulnerability ``v_h = Phi((ln z - X_h b) / sqrt(X_h theta))``, the probability that the
    household's consumption falls below the line ``z`` next period; a household is vulnerable
    when ``v_h >= threshold`` (0.5 in CJS 2002). Sampling ``weights`` multiply the regression
    weights and weight the vulnerable share. ``consumption`` and ``line`` share one unit
    (e.g. yuan per capita per year); ``covariates`` are household characteristics (a constant
    is added unless ``add_constant=False``). Regressions use statsmodels.

    Reference: Chaudhuri, S., Jalan, J. and Suryahadi, A. (2002), "Assessing household
    vulnerability to poverty from cross-sectional data: a methodology and estimates from
    Indonesia", Columbia University Discussion Paper 0102-52 (which takes the three-step FGLS
    from Amemiya 1977).

    Raises:
        MeasureInputError: non-positive consumption, covariates of the wrong length or
            non-numeric, a non-positive line, threshold outside (0, 1), weight problems, NaN
            without ``dropna=True``, or a fitted variance ``X theta`` that is not positive for
            some household (the linear variance model does not fit; the message says how many).
    """
    import statsmodels.api as sm  # deferred: statsmodels is slow to import

    z = _positive_number(line, "poverty line")
    t = float(threshold)
    if not (0 < t < 1):
        raise MeasureInputError(f"threshold must be in (0, 1); got {threshold!r}")
    if isinstance(covariates, pd.DataFrame):
        xdf = covariates.reset_index(drop=True)
    else:
        arr = np.asarray(covariates)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise MeasureInputError(f"covariates must be two-dimensional; got shape {arr.shape}")
        xdf = pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])
    non_numeric = [c for c in xdf.columns if not pd.api.types.is_numeric_dtype(xdf[c])]
    if non_numeric:
        raise MeasureInputError(f"covariates must be numeric; non-numeric column(s): {non_numeric}")
    c_arr = _as_float_array(consumption, "consumption")
    index = consumption.index if isinstance(consumption, pd.Series) else pd.RangeIndex(len(c_arr))
    _check_length(xdf.to_numpy(dtype=np.float64), c_arr.shape[0], "covariates", "consumption")
    named = {"consumption": c_arr}
    named.update({f"covariates[{col!r}]": xdf[col].to_numpy(np.float64) for col in xdf.columns})
    w_arr = None if weights is None else _as_float_array(weights, "weights")
    if w_arr is not None:
        _check_length(w_arr, c_arr.shape[0], "weights", "consumption")
        named["weights"] = w_arr
    keep = _nan_mask(named, dropna)
    if keep is not None:
        c_arr, xdf, index = c_arr[keep], xdf[keep].reset_index(drop=True), index[keep]
        w_arr = None if w_arr is None else w_arr[keep]
    _check_finite(c_arr, "consumption")
    for col in xdf.columns:
        _check_finite(xdf[col].to_numpy(np.float64), f"covariates[{col!r}]")
    nonpos = c_arr <= 0
    if nonpos.any():
        pos = _first_position(nonpos)
        raise MeasureInputError(
            f"consumption must be positive (its log is modelled); found {c_arr[pos].item()!r} at "
            f"position {pos}"
        )
    if w_arr is not None:
        _check_weights(w_arr)
    base_w = np.ones(c_arr.shape[0]) if w_arr is None else w_arr
    x = sm.add_constant(xdf.astype(np.float64), has_constant="skip") if add_constant else xdf
    xm = x.to_numpy(dtype=np.float64)
    if xm.shape[0] <= xm.shape[1]:
        raise MeasureInputError(
            f"vulnerability needs more households ({xm.shape[0]}) than covariates ({xm.shape[1]})"
        )
    y = np.log(c_arr)

    step1 = sm.WLS(y, xm, weights=base_w).fit()
    e2 = step1.resid**2
    theta_ols = sm.WLS(e2, xm, weights=base_w).fit().params
    s2_ols = xm @ theta_ols
    _check_variance(s2_ols, "step-2 OLS")
    theta = sm.WLS(e2, xm, weights=base_w / s2_ols**2).fit().params
    s2 = xm @ theta
    _check_variance(s2, "step-2 FGLS")
    beta = sm.WLS(y, xm, weights=base_w / s2).fit().params
    mean = xm @ beta
    prob = stats.norm.cdf((math.log(z) - mean) / np.sqrt(s2))
    vulnerable = prob >= t
    share = float(np.dot(base_w, vulnerable) / base_w.sum())
    names = list(x.columns)
    return VulnerabilityResult(
        probability=pd.Series(prob, index=index, name="vulnerability"),
        share_vulnerable=share,
        threshold=t,
        beta=pd.Series(beta, index=names, name="beta"),
        theta=pd.Series(theta, index=names, name="theta"),
        mean_log_consumption=pd.Series(mean, index=index, name="mean_log_consumption"),
        variance_log_consumption=pd.Series(s2, index=index, name="variance_log_consumption"),
    )


def _check_variance(s2: np.ndarray, step: str) -> None:
    bad = s2 <= 0
    if bad.any():
        raise MeasureInputError(
            f"the {step} variance model X*theta is non-positive for {int(bad.sum())} "
            f"household(s) (first at position {_first_position(bad)}); the linear "
            "heteroskedasticity model does not fit these covariates"
        )


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BootstrapResult:
    """Bootstrap summary: point estimate on the full sample, standard error (SD of the
    replicates), percentile interval ``[ci_low, ci_high]`` at level ``ci``, and the replicates."""

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    ci: float
    n_boot: int
    replicates: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class _Design:
    """Resampling units: ``unit_of_row`` maps rows to primary sampling units (PSUs) 0..G-1;
    ``units_by_stratum`` lists the PSUs of each stratum."""

    unit_of_row: np.ndarray
    n_units: int
    units_by_stratum: tuple[np.ndarray, ...]


def _design(n: int, cluster: ArrayLike | None, strata: ArrayLike | None) -> _Design:
    if cluster is None:
        unit = np.arange(n)
        n_units = n
    else:
        unit, labels, _ = _groups_from(n, cluster, "cluster", dropna=False)
        n_units = len(labels)
    if strata is None:
        return _Design(unit, n_units, (np.arange(n_units),))
    s_codes, s_labels, _ = _groups_from(n, strata, "strata", dropna=False)
    # Each PSU must sit in one stratum (households within villages within counties).
    stratum_of_unit = np.full(n_units, -1, dtype=np.int64)
    stratum_of_unit[unit] = s_codes
    if not np.array_equal(stratum_of_unit[unit], s_codes):
        raise MeasureInputError("cluster is not nested in strata: a cluster spans two strata")
    groups = tuple(np.flatnonzero(stratum_of_unit == s) for s in range(len(s_labels)))
    return _Design(unit, n_units, groups)


def _count_chunks(design: _Design, n_boot: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Yield (chunk, G) arrays of how often each PSU is drawn: within every stratum with n_h
    PSUs, n_h draws with replacement (the naive bootstrap of Efron 1979 per stratum)."""
    chunk = max(1, min(n_boot, 4_000_000 // max(design.n_units, 1)))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        counts = np.zeros((size, design.n_units), dtype=np.int64)
        for units in design.units_by_stratum:
            n_h = units.shape[0]
            draws = rng.integers(0, n_h, size=(size, n_h))
            flat = (draws + (np.arange(size) * n_h)[:, None]).ravel()
            counts[:, units] = np.bincount(flat, minlength=size * n_h).reshape(size, n_h)
        done += size
        yield counts


def _summarise(estimate: float, reps: np.ndarray, ci: float) -> BootstrapResult:
    lo, hi = np.quantile(reps, [(1 - ci) / 2, 1 - (1 - ci) / 2])
    return BootstrapResult(
        estimate=float(estimate),
        std_error=float(np.std(reps, ddof=1)),
        ci_low=float(lo),
        ci_high=float(hi),
        ci=ci,
        n_boot=int(reps.shape[0]),
        replicates=reps,
    )


def _check_boot_args(n_boot: int, seed: int, ci: float) -> None:
    if not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise MeasureInputError(f"n_boot must be an integer >= 2; got {n_boot!r}")
    if not isinstance(seed, int | np.integer):
        raise MeasureInputError(f"seed must be an integer; got {seed!r}")
    if not (0 < ci < 1):
        raise MeasureInputError(f"ci must be in (0, 1); got {ci!r}")


def _ratio_bootstrap(
    numerator: np.ndarray,
    denominator: np.ndarray,
    design: _Design,
    n_boot: int,
    seed: int,
    ci: float,
) -> BootstrapResult:
    """Bootstrap of ``sum(numerator) / sum(denominator)`` resampling PSUs: per-PSU totals make
    each replicate two dot products."""
    num_u = np.bincount(design.unit_of_row, weights=numerator, minlength=design.n_units)
    den_u = np.bincount(design.unit_of_row, weights=denominator, minlength=design.n_units)
    rng = np.random.default_rng(seed)
    reps = []
    for counts in _count_chunks(design, n_boot, rng):
        den = counts @ den_u
        with np.errstate(invalid="ignore", divide="ignore"):
            reps.append((counts @ num_u) / den)
    return _summarise(numerator.sum() / denominator.sum(), np.concatenate(reps), ci)


def bootstrap(
    stat_fn: Callable[[pd.DataFrame], float],
    data: pd.DataFrame,
    *,
    n_boot: int = 999,
    seed: int,
    ci: float = 0.95,
    cluster: str | ArrayLike | None = None,
    strata: str | ArrayLike | None = None,
) -> BootstrapResult:
    """Seeded nonparametric bootstrap of any statistic of a DataFrame.

    Each replicate resamples primary sampling units with replacement — rows, or the clusters
    named by ``cluster`` (e.g. villages) — independently within each stratum (``strata``, e.g.
    counties; clusters must nest in strata), keeping every drawn cluster's rows, and evaluates
    ``stat_fn`` on the resampled frame. Returns the full-sample estimate, the replicate SD as
    standard error and the percentile interval at level ``ci``. The same ``seed`` gives the same
    replicates, and the same draws as :func:`fgt_ci` / :func:`mpi_ci` with the same design.

    Reference: Efron, B. and Tibshirani, R. (1993), An Introduction to the Bootstrap, ch. 13
    (percentile interval); Davison, A. and Hinkley, D. (1997), Bootstrap Methods and their
    Application, ch. 3 (stratified and hierarchical data).

    Raises:
        MeasureInputError: n_boot < 2, a non-integer seed, ci outside (0, 1), cluster not nested
            in strata, missing design labels or mismatched lengths.
    """
    _check_boot_args(n_boot, seed, ci)
    if not isinstance(data, pd.DataFrame):
        raise MeasureInputError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    cl = None if cluster is None else _resolve_column(data, cluster, "cluster")
    st = None if strata is None else _resolve_column(data, strata, "strata")
    design = _design(len(data), cl, st)
    order = np.argsort(design.unit_of_row, kind="stable")
    sizes = np.bincount(design.unit_of_row, minlength=design.n_units)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rng = np.random.default_rng(seed)
    reps = np.empty(n_boot)
    i = 0
    for counts in _count_chunks(design, n_boot, rng):
        for row in counts:
            units = np.repeat(np.arange(design.n_units), row)
            lengths = sizes[units]
            # Row positions of every drawn unit, concatenated without a Python loop.
            offsets = np.repeat(starts[units] - np.cumsum(lengths) + lengths, lengths)
            idx = order[offsets + np.arange(lengths.sum())]
            reps[i] = stat_fn(data.iloc[idx])
            i += 1
    return _summarise(stat_fn(data), reps, ci)


def fgt_ci(
    income: ArrayLike,
    line: float,
    alpha: float = 0,
    weights: ArrayLike | None = None,
    *,
    n_boot: int = 999,
    seed: int,
    ci: float = 0.95,
    cluster: ArrayLike | None = None,
    strata: ArrayLike | None = None,
) -> BootstrapResult:
    """Bootstrap standard error and percentile interval of :func:`fgt`.

    Resamples rows, or clusters (e.g. villages) within strata (e.g. counties), as
    :func:`bootstrap`; vectorised because P_alpha is a ratio of sums: per-cluster totals of
    ``w * term`` and ``w`` are combined by each replicate's draw counts. ``cluster`` and
    ``strata`` are array-likes of labels, one per unit. NaN is not dropped here: clean first.

    Reference: as :func:`fgt` and :func:`bootstrap`.

    Raises:
        MeasureInputError: as :func:`fgt` and :func:`bootstrap`.
    """
    _check_boot_args(n_boot, seed, ci)
    z = _positive_number(line, "poverty line")
    a = _check_alpha(alpha)
    arrays, w = _prepare({"income": income}, weights, dropna=False)
    x = arrays["income"]
    v = np.ones(x.shape[0]) if w is None else w
    design = _design(x.shape[0], cluster, strata)
    return _ratio_bootstrap(v * _fgt_terms(x, z, a), v, design, n_boot, seed, ci)


def mpi_ci(
    indicators: pd.DataFrame,
    dim_weights: Mapping[str, Any] | pd.Series,
    k: float,
    weights: ArrayLike | str | None = None,
    *,
    n_boot: int = 999,
    seed: int,
    ci: float = 0.95,
    cluster: str | ArrayLike | None = None,
    strata: str | ArrayLike | None = None,
) -> BootstrapResult:
    """Bootstrap standard error and percentile interval of the Alkire–Foster M0.

    Same resampling design as :func:`fgt_ci`; ``cluster`` and ``strata`` may name columns of
    ``indicators``. M0 is the ratio ``sum v_i c_i 1[poor_i] / sum v_i``, so replicates are
    computed from per-cluster totals.

    Reference: Alkire et al. (2015), Multidimensional Poverty Measurement and Analysis, ch. 8
    (bootstrap inference for M0); Efron and Tibshirani (1993).

    Raises:
        MeasureInputError: as :func:`mpi` and :func:`bootstrap`.
    """
    _check_boot_args(n_boot, seed, ci)
    flat, cols, w, cutoff, _ = _prepare_mpi(indicators, dim_weights, k, weights, dropna=False)
    score, poor = _scores(flat, cols, cutoff)
    v = np.ones(score.shape[0]) if w is None else w
    cl = None if cluster is None else _resolve_column(indicators, cluster, "cluster")
    st = None if strata is None else _resolve_column(indicators, strata, "strata")
    design = _design(score.shape[0], cl, st)
    return _ratio_bootstrap(v * np.where(poor, score, 0.0), v, design, n_boot, seed, ci)
