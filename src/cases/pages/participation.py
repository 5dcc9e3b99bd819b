"""Participation page of a case: who takes part, how the actors are tied, and who is reached.

Facts only, no sentences: :func:`build` returns the page's numbers, facts, tables and figures
(:class:`cases.present.page.Page`); the words are in ``text/participation.md`` and the per-case
design and the labels in ``data/settings/participation.yaml`` (:func:`settings`). The design
of a case (``kind``) follows the data it has:

- ``network`` (``pingliang``): the five subjects (government, enterprises, social organisations,
  village committees, poor households) as a network built with networkx from the interaction
  records: density, degree and betweenness centrality by actor type, tie rates by pair of
  types, the government's "bottom-line" role, and social-security coverage of households
  without labour capacity.
- ``assistance`` (``shandong_a_town``, ``w_town``): which actors delivered which kinds of
  assistance (an actor x kind table under small-cell suppression,
  :func:`cases.present.report.crosstab`) and to whom; coverage gaps (households with no
  assistance record); who is reached by income quintile (the "helping the better-off"
  pattern) or by return-to-poverty monitoring status (``reach``).

The building blocks are public and tested on hand-checkable data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, model_validator

from cases.core import paths
from cases.core.errors import DataValidationError, ParameterError
from cases.core.files import load_yaml
from cases.methods import inference
from cases.present import layout, report
from cases.present.page import Page
from cases.present.text import FORMATS
from cases.simulate import synth

__all__ = [
    "ACTOR_TYPES",
    "MIN_CELL",
    "Settings",
    "assistance_rate_ratio",
    "better_off_logit",
    "build",
    "build_network",
    "centrality_by_type",
    "centrality_table",
    "claims_table",
    "government_role",
    "kind_mix_figure",
    "network_figure",
    "no_record_share",
    "proportion_ci",
    "settings",
    "share_by_group",
    "share_figure",
    "tie_rates",
    "type_ties",
]

#: The five subjects of the Pingliang thesis, in the order used for layout and tables; the
#: first three also deliver assistance in the assistance records.
ACTOR_TYPES = (
    "government",
    "enterprise",
    "social_organisation",
    "village_committee",
    "poor_household",
)
#: Minimum number of households behind a published share (as report.crosstab's k).
MIN_CELL = 5


# --------------------------------------------------------------------------------------------
# Proportions
# --------------------------------------------------------------------------------------------
def proportion_ci(
    flag: Sequence[int] | np.ndarray | pd.Series,
    clusters: Sequence[Any] | np.ndarray | pd.Series,
    conf_level: float = 0.95,
    domain: Sequence[int] | np.ndarray | pd.Series | None = None,
) -> tuple[float, float, float]:
    """Share of records with ``flag == 1`` and its design-based interval for clustered records.

    Rule: the ratio estimator with the between-cluster (linearised) variance and ``t(G - 1)``,
    :func:`cases.methods.inference.cluster_proportion`: households of one village, or records
    of one household, are not independent draws, so an interval that treats them as such (Wilson,
    Wald) is too narrow. ``domain`` (0/1 mask) restricts the share to a group, estimated as a
    domain of the whole design (every cluster counts). Returns ``(share, low, high)`` as
    proportions.

    Raises:
        ParameterError: fewer than 10 clusters (the number named), a flag not 0/1, mismatched
            lengths or ``conf_level`` not in (0, 1).
    """
    r = inference.cluster_proportion(flag, clusters, domain=domain, conf_level=conf_level)
    return r["share"], r["ci_low"], r["ci_high"]


def share_by_group(
    frame: pd.DataFrame,
    flag: str,
    group: str,
    *,
    cluster: str,
    order: Sequence[Any] | None = None,
    labels: Mapping[Any, str] | None = None,
    conf_level: float = 0.95,
    min_n: int = MIN_CELL,
) -> pd.DataFrame:
    """Share of rows with ``flag == 1`` in each group, with design-based intervals clustered by
    the column ``cluster`` (:func:`proportion_ci`).

    Each group's share is a domain estimate of the whole design (all clusters of ``frame``
    count, as in survey practice). Groups with fewer than ``min_n`` rows keep their ``n`` but
    show no share (NaN), so a published share never rests on fewer than ``min_n`` households.

    Returns:
        Columns ``group, label, n, count, share, ci_low, ci_high, n_clusters`` (clusters with
        records of the group).

    Raises:
        ParameterError: a column missing, or fewer than 10 clusters in ``frame`` (group and
            number named). DataValidationError: ``flag`` not 0/1 (row named).
    """
    for col in (flag, group, cluster):
        if col not in frame.columns:
            raise ParameterError(f"column {col!r} not in the table")
    bad = frame.index[~frame[flag].isin([0, 1])]
    if len(bad):
        raise DataValidationError(
            flag, [f"column {flag!r} must be 0/1; row {bad[0]!r} has {frame.loc[bad[0], flag]!r}"]
        )
    groups = list(order) if order is not None else sorted(frame[group].dropna().unique())
    rows = []
    for g in groups:
        rows_g = frame[group] == g
        sub = frame.loc[rows_g, flag]
        n, k = int(sub.size), int(sub.sum())
        share = lo = hi = math.nan
        n_cl = int(frame.loc[rows_g, cluster].nunique())
        if n >= min_n:
            try:
                share, lo, hi = proportion_ci(
                    frame[flag], frame[cluster], conf_level, domain=rows_g.astype(int)
                )
            except ParameterError as exc:
                raise ParameterError(f"group {g!r}: {exc}") from exc
        rows.append(
            {
                "group": g,
                "label": (labels or {}).get(g, str(g)),
                "n": n,
                "count": k if n >= min_n else math.nan,
                "share": share,
                "ci_low": lo,
                "ci_high": hi,
                "n_clusters": n_cl,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Network
# --------------------------------------------------------------------------------------------
def build_network(actors: pd.DataFrame, interactions: pd.DataFrame) -> nx.Graph:
    """Undirected weighted graph of the actors and their interaction ties.

    Nodes: ``actor_id`` with attributes ``actor_type`` and ``village_id``; every actor is a
    node, tied or not. Edges: one per interaction row, ``weight = contacts_per_year``.

    Raises:
        DataValidationError: duplicated actor ids; an interaction naming an unknown actor, a
            type that disagrees with the actor table, a self-tie, a duplicated pair, or a
            non-positive contact count (row named, counted from 1 like a spreadsheet's data
            rows).
    """
    need_a = ("actor_id", "actor_type")
    need_i = ("source_id", "source_type", "target_id", "target_type", "contacts_per_year")
    miss = [c for c in need_a if c not in actors.columns] + [
        c for c in need_i if c not in interactions.columns
    ]
    if miss:
        raise DataValidationError("network", [f"column {c!r}: missing" for c in miss])
    dup = actors["actor_id"].duplicated()
    if dup.any():
        raise DataValidationError(
            "actors", [f"actor_id {actors.loc[dup, 'actor_id'].iloc[0]!r} appears twice"]
        )
    types = dict(zip(actors["actor_id"], actors["actor_type"], strict=True))
    villages = (
        dict(zip(actors["actor_id"], actors["village_id"], strict=True))
        if "village_id" in actors.columns
        else {}
    )
    g = nx.Graph()
    for a in actors["actor_id"]:
        v = villages.get(a)
        g.add_node(a, actor_type=types[a], village_id=None if pd.isna(v) else int(v))
    problems = []
    # Rows are named as a spreadsheet counts them (data rows from 1, the header excluded), or by
    # the file's own row numbers when the reader dropped rows (``attrs["file_rows"]``).
    numbers = interactions.attrs.get("file_rows") or []
    if len(numbers) != len(interactions):
        numbers = range(1, len(interactions) + 1)
    for i, row in zip(numbers, interactions.itertuples(index=False), strict=True):
        s, t = row.source_id, row.target_id
        if s not in types or t not in types:
            problems.append(f"row {i}: unknown actor {s if s not in types else t!r}")
        elif types[s] != row.source_type or types[t] != row.target_type:
            problems.append(f"row {i}: actor types disagree with the actors table ({s}, {t})")
        elif s == t:
            problems.append(f"row {i}: self-tie of {s!r}")
        elif g.has_edge(s, t):
            problems.append(f"row {i}: pair ({s}, {t}) appears twice")
        elif not row.contacts_per_year > 0:
            problems.append(f"row {i}: contacts_per_year {row.contacts_per_year!r} is not > 0")
        else:
            g.add_edge(s, t, weight=int(row.contacts_per_year))
        if len(problems) >= 5:
            break
    if problems:
        raise DataValidationError("interactions", problems)
    return g


def centrality_table(g: nx.Graph) -> pd.DataFrame:
    """Per actor: degree, degree centrality and betweenness centrality.

    Rules (networkx): degree centrality ``deg(v) / (N - 1)``; betweenness
    ``sum_{s != v != t} sigma_st(v) / sigma_st``, normalised by ``(N - 1)(N - 2) / 2``
    (undirected), on the unweighted graph (a tie counts once, however many contacts).
    Reference: Freeman, L. C. (1978/79). Centrality in social networks: conceptual
    clarification. *Social Networks* 1, 215-239; Brandes, U. (2001). A faster algorithm for
    betweenness centrality. *J. Math. Sociology* 25, 163-177.

    Raises:
        ParameterError: fewer than 3 actors (centralities undefined).
    """
    if g.number_of_nodes() < 3:
        raise ParameterError(f"network: need at least 3 actors, got {g.number_of_nodes()}")
    deg = nx.degree_centrality(g)
    btw = nx.betweenness_centrality(g, normalized=True)
    return pd.DataFrame(
        {
            "actor_id": list(g.nodes),
            "actor_type": [g.nodes[v]["actor_type"] for v in g.nodes],
            "degree": [g.degree(v) for v in g.nodes],
            "degree_centrality": [deg[v] for v in g.nodes],
            "betweenness": [btw[v] for v in g.nodes],
        }
    )


def centrality_by_type(table: pd.DataFrame, order: Sequence[str] = ACTOR_TYPES) -> pd.DataFrame:
    """Mean and maximum degree and betweenness centrality of each actor type.

    Returns:
        Columns ``actor_type, n, mean_degree, mean_degree_centrality, max_degree_centrality,
        mean_betweenness, max_betweenness`` (types in ``order`` that are present, then others).
    """
    present = [t for t in order if t in set(table["actor_type"])]
    present += sorted(set(table["actor_type"]) - set(present))
    agg = table.groupby("actor_type").agg(
        n=("actor_id", "size"),
        mean_degree=("degree", "mean"),
        mean_degree_centrality=("degree_centrality", "mean"),
        max_degree_centrality=("degree_centrality", "max"),
        mean_betweenness=("betweenness", "mean"),
        max_betweenness=("betweenness", "max"),
    )
    return agg.loc[present].reset_index()


def tie_rates(g: nx.Graph, order: Sequence[str] = ACTOR_TYPES) -> pd.DataFrame:
    """Observed ties over possible pairs for every pair of actor types.

    Rule: possible pairs of types (A, B) are ``n_A n_B`` (``n_A (n_A - 1) / 2`` when A = B),
    except village committee - poor household pairs, which are counted within the same village
    only (a committee serves its own village). Rate = ties / possible pairs.

    Returns:
        Columns ``pair, type_a, type_b, possible, ties, rate`` (rate NaN when nothing is
        possible).
    """
    types = [t for t in order if any(d["actor_type"] == t for _, d in g.nodes(data=True))]
    nodes_by = {t: [v for v, d in g.nodes(data=True) if d["actor_type"] == t] for t in types}
    ties: dict[tuple[str, str], int] = {}
    rank = {t: i for i, t in enumerate(types)}
    for u, v in g.edges:
        a, b = sorted((g.nodes[u]["actor_type"], g.nodes[v]["actor_type"]), key=rank.get)
        ties[(a, b)] = ties.get((a, b), 0) + 1
    rows = []
    for i, a in enumerate(types):
        for b in types[i:]:
            if a == b:
                possible = len(nodes_by[a]) * (len(nodes_by[a]) - 1) // 2
            elif {a, b} == {"village_committee", "poor_household"}:
                vc = pd.Series([g.nodes[v]["village_id"] for v in nodes_by["village_committee"]])
                hh = pd.Series([g.nodes[v]["village_id"] for v in nodes_by["poor_household"]])
                possible = int(sum(int((vc == v).sum()) * c for v, c in hh.value_counts().items()))
            else:
                possible = len(nodes_by[a]) * len(nodes_by[b])
            k = ties.get((a, b), 0)
            rows.append(
                {
                    "pair": f"{a}--{b}",
                    "type_a": a,
                    "type_b": b,
                    "possible": possible,
                    "ties": k,
                    "rate": k / possible if possible else math.nan,
                }
            )
    # Household-household ties are not part of the record format: leave the pair out.
    # Pairs that cannot occur (a single government) are left out too.
    return pd.DataFrame(
        [r for r in rows if r["pair"] != "poor_household--poor_household" and r["possible"] > 0]
    )


def government_role(g: nx.Graph, centrality: pd.DataFrame) -> dict[str, float | int]:
    """The government's "bottom-line" role in the network.

    Returns a dict: ``gov_degree_centrality`` and ``gov_betweenness`` (of the government
    actor; the largest if there are several), ``gov_degree_rank`` and ``gov_betweenness_rank``
    (1 = most central among all actors; ties share the best rank), ``household_ties`` (all ties
    of poor households), ``gov_household_ties``, ``gov_share_of_household_ties``
    (``gov_household_ties / household_ties``), ``n_households``, ``households_tied_to_gov``,
    ``households_isolated`` (poor households with no tie at all).

    Raises:
        DataValidationError: no government actor or no poor household in the network.
    """
    gov = [v for v, d in g.nodes(data=True) if d["actor_type"] == "government"]
    hh = [v for v, d in g.nodes(data=True) if d["actor_type"] == "poor_household"]
    if not gov or not hh:
        raise DataValidationError(
            "actors", ["the network needs a government actor and at least one poor household"]
        )
    c = centrality.set_index("actor_id")
    deg_rank = c["degree_centrality"].rank(ascending=False, method="min")
    btw_rank = c["betweenness"].rank(ascending=False, method="min")
    top = max(gov, key=lambda v: c.loc[v, "degree_centrality"])
    hh_set, gov_set = set(hh), set(gov)
    household_ties = sum(1 for u, v in g.edges if u in hh_set or v in hh_set)
    gov_hh = sum(
        1 for u, v in g.edges if (u in hh_set and v in gov_set) or (v in hh_set and u in gov_set)
    )
    tied = sum(1 for h in hh if any(n in gov_set for n in g.neighbors(h)))
    return {
        "gov_degree_centrality": float(c.loc[top, "degree_centrality"]),
        "gov_betweenness": float(c.loc[top, "betweenness"]),
        "gov_degree_rank": int(deg_rank[top]),
        "gov_betweenness_rank": int(btw_rank[top]),
        "household_ties": int(household_ties),
        "gov_household_ties": int(gov_hh),
        "gov_share_of_household_ties": gov_hh / household_ties if household_ties else math.nan,
        "n_households": len(hh),
        "households_tied_to_gov": int(tied),
        "households_isolated": int(sum(1 for h in hh if g.degree(h) == 0)),
    }


# --------------------------------------------------------------------------------------------
# Assistance records
# --------------------------------------------------------------------------------------------
def _check_records(households: pd.DataFrame, assistance: pd.DataFrame) -> None:
    for name, frame, cols in (
        ("households", households, ("household_id",)),
        ("assistance", assistance, ("household_id", "actor_type", "kind")),
    ):
        miss = [c for c in cols if c not in frame.columns]
        if miss:
            raise DataValidationError(name, [f"column {c!r}: missing" for c in miss])
    unknown = ~assistance["household_id"].isin(households["household_id"])
    if unknown.any():
        first = assistance.loc[unknown, "household_id"].iloc[0]
        raise DataValidationError(
            "assistance",
            [
                f"{int(unknown.sum())} record(s) name households not in the households table "
                f"(first household_id {first!r})"
            ],
        )


def no_record_share(households: pd.DataFrame, assistance: pd.DataFrame) -> pd.Series:
    """0/1 per household (index ``household_id``): 1 when it has no assistance record.

    Raises:
        DataValidationError: a record naming a household not in ``households``.
    """
    _check_records(households, assistance)
    has = households["household_id"].isin(assistance["household_id"])
    return pd.Series((~has).astype(int).to_numpy(), index=households["household_id"].to_numpy())


def better_off_logit(
    households: pd.DataFrame,
    assistance: pd.DataFrame,
    income_col: str = "income_per_capita",
    conf_level: float = 0.95,
    cluster: str = "village_id",
) -> pd.DataFrame:
    """Logit of "record from a non-government actor" on the household's centred log income.

    Model: ``P(non-government | record) = expit(a + b (ln y_h - median_h ln y_h))``, one row
    per record, inference clustered by the households' ``cluster`` column (the village: records
    of one household and households of one village share their assistance teams) through
    :func:`cases.methods.inference.cluster_inference` (CR1, ``t(G - 1)``; a ``warning`` below
    30 clusters). ``b > 0`` means better-off households get relatively more assistance from
    enterprises and social organisations; ``expit(a)`` is the non-government share at the median
    income. Units: log-odds per log point of income.

    Returns:
        Tidy table: ``term`` (``const``, ``log_income_centred``), ``estimate, se, ci_low,
        ci_high, z, p, n_clusters, method, warning``; ``attrs``: ``n_records``,
        ``n_households``, ``median_log_income``.

    Raises:
        DataValidationError: a non-positive income or unknown household.
        ParameterError: ``cluster`` not a column of ``households``, or fewer than 10 clusters.
    """
    import statsmodels.api as sm

    _check_records(households, assistance)
    inc = pd.to_numeric(households[income_col], errors="coerce")
    if not (inc > 0).all():
        bad = households.index[~(inc > 0)][0]
        raise DataValidationError(
            "households", [f"column {income_col!r}: row {bad!r} is missing or not > 0"]
        )
    log_y = pd.Series(np.log(inc.to_numpy()), index=households["household_id"].to_numpy())
    med = float(np.median(log_y))
    x = assistance["household_id"].map(log_y) - med
    y = (assistance["actor_type"] != "government").astype(float)
    exog = sm.add_constant(pd.DataFrame({"log_income_centred": x.to_numpy()}))
    groups = _record_clusters(households, assistance, cluster)
    tidy = inference.cluster_inference(
        sm.Logit(y.to_numpy(), exog), groups, conf_level=conf_level, fit_kwargs={"disp": False}
    )
    out = report.estimate_table(tidy, "z")
    out.attrs.update(
        n_records=len(assistance),
        n_households=int(assistance["household_id"].nunique()),
        median_log_income=med,
    )
    return out


def assistance_rate_ratio(
    households: pd.DataFrame,
    assistance: pd.DataFrame,
    flag: str,
    conf_level: float = 0.95,
    cluster: str = "village_id",
) -> dict[str, Any]:
    """Ratio of mean assistance records per household, ``flag == 1`` versus ``flag == 0``.

    Model: Poisson regression of each household's record count on the flag (statsmodels
    ``GLM``, log link); the Poisson pseudo-likelihood stays consistent under over-dispersion
    (Cameron & Trivedi 2013, *Regression Analysis of Count Data*, 2nd ed., sec. 3.2), and
    inference is clustered by the households' ``cluster`` column (the village) through
    :func:`cases.methods.inference.cluster_inference` (CR1, ``t(G - 1)``); ``ratio = exp(b)``.

    Returns:
        ``ratio, ci_low, ci_high, log_ratio, se, mean_flagged, mean_other, n_clusters,
        warning``.

    Raises:
        DataValidationError: ``flag`` not 0/1 or a record naming an unknown household.
        ParameterError: ``cluster`` not a column of ``households``, or fewer than 10 clusters.
    """
    import statsmodels.api as sm

    _check_records(households, assistance)
    if not households[flag].isin([0, 1]).all():
        raise DataValidationError("households", [f"column {flag!r} must be 0/1"])
    counts = (
        assistance.groupby("household_id").size().reindex(households["household_id"], fill_value=0)
    )
    if cluster not in households.columns:
        raise ParameterError(f"cluster column {cluster!r} not in the households table")
    x = households[flag].to_numpy(dtype=float)
    exog = sm.add_constant(pd.DataFrame({flag: x}))
    model = sm.GLM(counts.to_numpy(dtype=float), exog, family=sm.families.Poisson())
    tidy = inference.cluster_inference(
        model, households[cluster].to_numpy(), terms=[flag], conf_level=conf_level
    )
    row = tidy.iloc[0]
    b, se = float(row["estimate"]), float(row["std_error"])
    return {
        "ratio": math.exp(b),
        "ci_low": math.exp(row["conf_low"]),
        "ci_high": math.exp(row["conf_high"]),
        "log_ratio": b,
        "se": se,
        "mean_flagged": float(counts.to_numpy()[x == 1].mean()),
        "mean_other": float(counts.to_numpy()[x == 0].mean()),
        "n_clusters": int(row["n_clusters"]),
        "warning": str(row["warning"]),
    }


def _record_clusters(
    households: pd.DataFrame, assistance: pd.DataFrame, cluster: str
) -> np.ndarray:
    """The cluster (village) of each assistance record, through its household."""
    if cluster not in households.columns:
        raise ParameterError(f"cluster column {cluster!r} not in the households table")
    of = pd.Series(households[cluster].to_numpy(), index=households["household_id"].to_numpy())
    return assistance["household_id"].map(of).to_numpy()


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------
class CaseSettings(BaseModel):
    """What one case's data hold and which question of reach they answer.

    Rules: ``kind`` is ``network`` (actors and ties) or ``assistance`` (records of assistance);
    an ``assistance`` case names its ``reach`` (``income_quintile`` or ``monitoring``) and the
    ``population`` its records cover (``registered_poor`` or ``all``); a ``network`` case names
    neither.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["network", "assistance"]
    reach: Literal["income_quintile", "monitoring"] | None = None
    population: Literal["registered_poor", "all"] | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> CaseSettings:
        assistance = self.kind == "assistance"
        for name in ("reach", "population"):
            if assistance and getattr(self, name) is None:
                raise ValueError(f"an assistance case needs {name!r}")
            if not assistance and getattr(self, name) is not None:
                raise ValueError(f"a network case takes no {name!r}")
        return self


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActorLabels(_Strict):
    government: str
    enterprise: str
    social_organisation: str
    village_committee: str
    poor_household: str


class CoverageLabels(_Strict):
    registered_no_labour: str
    registered_labour: str
    other_no_labour: str
    other_labour: str


class MonitoringLabels(_Strict):
    monitored: str
    formerly_registered: str
    other: str


class QuintileLabels(_Strict):
    Q1: str
    Q2: str
    Q3: str
    Q4: str
    Q5: str


class CentralityColumns(_Strict):
    actor_type: str
    n: str
    mean_degree: str
    mean_degree_centrality: str
    max_degree_centrality: str
    mean_betweenness: str
    max_betweenness: str


class TieRateColumns(_Strict):
    pair: str
    possible: str
    ties: str
    rate: str


class ShareColumns(_Strict):
    group: str
    share: str
    interval: str


class ShareCounts(_Strict):
    """Per share table: the label of its ``n`` column and of its ``count`` column."""

    coverage: tuple[str, str]
    reach: tuple[str, str]
    gaps: tuple[str, str]


class AxisLabels(_Strict):
    coverage: str
    reach: str
    gaps: str
    kind_mix: str


class Labels(_Strict):
    """Short labels of table columns, table rows and figure axes (row order = field order)."""

    actor_types: ActorLabels
    coverage_groups: CoverageLabels
    monitoring_groups: MonitoringLabels
    quintiles: QuintileLabels
    centrality_columns: CentralityColumns
    tie_rate_columns: TieRateColumns
    share_columns: ShareColumns
    share_counts: ShareCounts
    claim_columns: tuple[str, str, str]
    axes: AxisLabels


class Settings(_Strict):
    """``data/settings/participation.yaml``: the cases that run the analysis, the column of the
    households table that inference is clustered by (``cluster``, the village), and the
    labels."""

    cases: dict[str, CaseSettings]
    cluster: str
    labels: Labels


def settings_path() -> Path:
    """``data/settings/participation.yaml`` of the project."""
    return paths.SETTINGS / "participation.yaml"


def settings() -> Settings:
    """The validated settings file (:func:`settings_path`).

    Raises:
        DataValidationError: the file is missing or a field is wrong (file and field named).
    """
    return load_yaml(Settings, settings_path())


def _labels() -> Labels:
    return settings().labels


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------
#: Planted effects whose thesis claim heads a row of the claims table, by design.
_CLAIMS = {
    "network": ("tie_probability", "social_security_coverage"),
    "income_quintile": ("help_the_better_off_slope", "non_government_share_at_median_income"),
    "monitoring": ("assistance_rate_ratio_monitored",),
}
#: Tables of field data each kind reads, in the order the page lists them.
_TABLES = {
    "network": ("actors", "interactions", "households"),
    "assistance": ("households", "assistance"),
}
#: A share and its interval as recorded: (key suffix, column of :func:`share_by_group`).
_SHARE_PARTS = (("", "share"), ("_ci_low", "ci_low"), ("_ci_high", "ci_high"))
#: Tie rates recorded in the results, by pair of actor types.
_RECORDED_PAIRS = (
    "enterprise--poor_household",
    "social_organisation--poor_household",
    "village_committee--poor_household",
    "government--poor_household",
)


def build(
    case: str,
    data: synth.SimulatedData,
    *,
    conf_level: float = 0.95,
    source: str | None = None,
) -> Page:
    """The participation page of ``case`` on ``data`` (simulated or a researcher's own).

    The case's design comes from ``data/settings/participation.yaml``. ``network`` cases:
    the actor network (:func:`build_network`, :func:`centrality_table`, :func:`tie_rates`,
    :func:`government_role`) and social-security coverage by registration and labour capacity
    (:func:`share_by_group`, design-based intervals clustered by village). ``assistance``
    cases: records by actor and kind, households without any record, and who is reached
    (:func:`better_off_logit` by income quintile, or :func:`assistance_rate_ratio` for
    monitored households). Every interval is clustered by the settings' ``cluster`` column
    (:mod:`cases.methods.inference`); ``inference_warnings`` (fact) lists what readers must be
    told about it.

    Numbers (glued as ``participation_<key>``, tolerance 1e-6 for floats) keep the units of
    their names: ``*_pct*`` and ``coverage_<group>`` in percent, ``*_share_*`` as proportions,
    slopes in log-odds per log point of income. Facts choose the sentences of
    ``text/participation.md``. Tables are ready to show (labels from the settings);
    ``records`` (assistance) is the record table for the small-cell-safe actor x kind
    cross-tab. Figures: ``actors_fig`` and ``reach_fig``. ``source`` names the field data for
    provenance lines (None when simulated).

    Raises:
        ParameterError: ``case`` does not run this analysis.
        DataValidationError: a table or column missing or inconsistent, or a settings field
            wrong.
        ValueError: a number of the page is not finite.
    """
    config = settings()
    if case not in config.cases:
        raise ParameterError(
            f"participation: case {case!r} has no participation data; known: "
            + ", ".join(config.cases)
        )
    design = config.cases[case]
    simulated = bool(data.meta.get("simulated", True))
    page = Page()
    page.facts.update(
        case=case,
        kind=design.kind,
        reach=design.reach,
        population=design.population,
        simulated=simulated,
        min_cell=MIN_CELL,
    )
    page.facts["inference_warnings"] = []
    page.facts["cluster"] = config.cluster
    if design.kind == "network":
        _network_page(page, data, config.labels, conf_level, source, config.cluster)
        claims = _CLAIMS["network"]
        page.facts["actor_codes"] = list(ACTOR_TYPES)
    else:
        _assistance_page(page, data, design, config.labels, conf_level, source, config.cluster)
        claims = _CLAIMS[str(design.reach)]
        page.facts["actor_codes"] = list(ACTOR_TYPES[:3])
    page.facts["thesis_claims"] = {name: _claim(case, name) for name in claims}
    schema = synth.TABLE_SCHEMAS[case]
    page.facts["data_tables"] = [
        {"name": t, "columns": [c for c, *_ in schema[t]]} for t in _TABLES[design.kind]
    ]
    page.tolerances = {k: 1e-6 for k, v in page.numbers.items() if isinstance(v, float)}
    return page


def claims_table(passages: Mapping[str, str]) -> pd.DataFrame:
    """The claims table from the rendered passages ``claim<i>_reported``, ``claim<i>_shows``
    and ``claim<i>_needed`` (i = 1, 2), with the column labels of the settings."""
    columns = list(_labels().claim_columns)
    rows = [
        [passages[f"claim{i}_{part}"] for part in ("reported", "shows", "needed")] for i in (1, 2)
    ]
    return pd.DataFrame(rows, columns=columns)


def _number(page: Page, key: str, value: Any) -> None:
    """Put one number on the page as a plain Python value; a non-finite float is an error."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"number {key!r} of the participation page is not finite: {value!r}")
    page.numbers[key] = value


def _planted(meta: Mapping[str, Any], name: str) -> Any:
    return (meta.get("planted_effects") or {}).get(name)


def _claim(case: str, name: str) -> str:
    text = str(synth.load_params(case)["planted_effects"][name]["claim"]).strip()
    return text[0].upper() + text[1:] + "."


def _network_page(
    page: Page,
    data: synth.SimulatedData,
    labels: Labels,
    conf_level: float,
    source: str | None,
    cluster: str,
) -> None:
    simulated = page.facts["simulated"]
    type_labels = labels.actor_types.model_dump()
    g = build_network(data["actors"], data["interactions"])
    cent = centrality_table(g)
    by_type = centrality_by_type(cent)
    rates = tie_rates(g)
    gov = government_role(g, cent)
    hh = data["households"]
    groups = np.where(hh["registered_poor"] == 1, "registered", "other")
    groups = pd.Series(groups, index=hh.index) + np.where(
        hh["labour_capacity"] == 1, "_labour", "_no_labour"
    )
    cov_labels = labels.coverage_groups.model_dump()
    coverage = share_by_group(
        hh.assign(group=groups),
        "social_security",
        "group",
        cluster=cluster,
        order=list(cov_labels),
        labels=cov_labels,
        conf_level=conf_level,
    )
    page.facts["n_clusters"] = int(hh[cluster].nunique())

    n_by = by_type.set_index("actor_type")["n"]
    present = [t for t in ACTOR_TYPES if t in n_by.index]
    for t in present:
        _number(page, f"n_{t}", int(n_by[t]))
    page.facts["actor_counts"] = [{"type": t, "n": int(n_by[t])} for t in present]
    _number(page, "n_actors", g.number_of_nodes())
    _number(page, "n_ties", g.number_of_edges())
    _number(page, "density", nx.density(g))
    for key in ("gov_degree_centrality", "gov_degree_rank", "gov_betweenness"):
        _number(page, key, gov[key])
    for key in ("gov_betweenness_rank", "household_ties", "gov_household_ties"):
        _number(page, key, gov[key])
    _number(page, "gov_share_of_household_ties", 100 * gov["gov_share_of_household_ties"])
    _number(page, "households_isolated", gov["households_isolated"])
    _number(page, "n_households", gov["n_households"])
    page.facts["top_degree_type"] = by_type.set_index("actor_type")[
        "mean_degree_centrality"
    ].idxmax()

    r = rates.set_index("pair")
    for pair in _RECORDED_PAIRS:
        if pair in r.index and pd.notna(r.loc[pair, "rate"]):
            _number(page, f"tie_rate_{pair.replace('--', '_to_')}", float(r.loc[pair, "rate"]))

    def rate(pair: str) -> float:
        return float(r.loc[pair, "rate"]) if pair in r.index else math.nan

    ent = rate("enterprise--poor_household")
    org = rate("social_organisation--poor_household")
    page.facts["tie_pct"] = {"enterprise": 100 * ent, "organisation": 100 * org}
    page.facts["tie_rates_known"] = math.isfinite(ent) and math.isfinite(org)
    if page.facts["tie_rates_known"]:
        _number(page, "tie_pct_enterprise_household", 100 * ent)
        _number(page, "tie_pct_organisation_household", 100 * org)
    if simulated:
        planted = _planted(data.meta, "tie_probability") or {}
        pairs = (("gov", "government"), ("ent", "enterprise"))
        for short, actor in pairs:
            value = planted.get(f"{actor}--poor_household", math.nan)
            _number(page, f"planted_{short}_household", value)

    cov = coverage.set_index("group")
    rn = cov.loc["registered_no_labour"]
    if pd.isna(rn["share"]):
        raise DataValidationError(
            "households", [f"fewer than {MIN_CELL} registered households without labour capacity"]
        )
    _number(page, "n_registered_no_labour", int(rn["n"]))
    for suffix, col in _SHARE_PARTS:
        _number(page, f"coverage_registered_no_labour{suffix}", 100 * rn[col])
    _number(page, "uncovered_registered_no_labour", int(rn["n"] - rn["count"]))
    on = cov.loc["other_no_labour"]
    page.facts["other_no_labour_known"] = bool(pd.notna(on["share"]))
    if page.facts["other_no_labour_known"]:
        for suffix, col in _SHARE_PARTS:
            _number(page, f"coverage_other_no_labour{suffix}", 100 * on[col])
    if simulated:
        planted = _planted(data.meta, "social_security_coverage") or {}
        value = 100 * planted["registered_no_labour"]
        _number(page, "planted_coverage_registered_no_labour", value)
    for g_ in cov.index:
        if pd.notna(cov.loc[g_, "share"]):
            for suffix, col in _SHARE_PARTS:
                _number(page, f"coverage_share_{g_}{suffix}", float(cov.loc[g_, col]))
    for _, row in by_type.iterrows():
        t = row["actor_type"]
        _number(page, f"mean_degree_centrality_{t}", float(row["mean_degree_centrality"]))
        _number(page, f"mean_betweenness_{t}", float(row["mean_betweenness"]))

    page.tables["centrality"] = by_type.assign(
        actor_type=by_type["actor_type"].map(type_labels)
    ).rename(columns=labels.centrality_columns.model_dump())
    pairs_shown = [
        f"{type_labels[a]} – {type_labels[b]}"
        for a, b in zip(rates["type_a"], rates["type_b"], strict=True)
    ]
    page.tables["tie_rates"] = rates.assign(pair=pairs_shown)[
        ["pair", "possible", "ties", "rate"]
    ].rename(columns=labels.tie_rate_columns.model_dump())
    page.tables["coverage"] = _share_display(coverage, labels, "coverage")
    page.figures["actors_fig"] = network_figure(g, simulated=simulated, source=source)
    page.figures["reach_fig"] = share_figure(
        coverage, xlabel=labels.axes.coverage, simulated=simulated, source=source
    )


def _share_display(shares: pd.DataFrame, labels: Labels, table: str) -> pd.DataFrame:
    """A share table as shown: group label, n, count, share and interval in percent."""
    n_label, count_label = getattr(labels.share_counts, table)
    columns = labels.share_columns
    dec1 = FORMATS["dec1"]
    return pd.DataFrame(
        {
            columns.group: shares["label"],
            n_label: shares["n"],
            count_label: shares["count"],
            columns.share: 100 * shares["share"],
            columns.interval: [
                "—" if pd.isna(a) else f"{dec1(100 * a)} to {dec1(100 * b)}"
                for a, b in zip(shares["ci_low"], shares["ci_high"], strict=True)
            ],
        }
    )


def _quintile(income: pd.Series) -> pd.Series:
    labels = [f"Q{i}" for i in range(1, 6)]
    return pd.qcut(income.rank(method="first"), 5, labels=labels).astype(str)


def _assistance_page(
    page: Page,
    data: synth.SimulatedData,
    design: CaseSettings,
    labels: Labels,
    conf_level: float,
    source: str | None,
    cluster: str,
) -> None:
    simulated = page.facts["simulated"]
    actor_labels = {a: getattr(labels.actor_types, a) for a in ACTOR_TYPES[:3]}
    hh = data["households"]
    rec = data["assistance"]
    none = no_record_share(hh, rec)
    by_actor = rec["actor_type"].value_counts()
    for a in actor_labels:
        _number(page, f"records_{a}", int(by_actor.get(a, 0)))
    _number(page, "n_records", len(rec))
    _number(page, "n_households", len(hh))
    gov_share = float((rec["actor_type"] == "government").mean())
    _number(page, "gov_share_of_records", 100 * gov_share)
    page.facts["nongov_share_of_records"] = 100 * (1 - gov_share)
    kinds = rec.groupby("actor_type")["kind"].agg(lambda s: s.value_counts().idxmax())
    page.facts["most_frequent_kinds"] = [
        {"actor": a, "kind": _kind_label(kinds[a])} for a in actor_labels if a in kinds.index
    ]
    if cluster not in hh.columns:
        raise DataValidationError("households", [f"column {cluster!r}: missing"])
    frame = pd.DataFrame(
        {
            "household_id": hh["household_id"].to_numpy(),
            "no_record": none.to_numpy(),
            cluster: hh[cluster].to_numpy(),
        }
    )
    page.facts["n_clusters"] = int(hh[cluster].nunique())
    if design.reach == "income_quintile":
        gaps = _income_reach(page, data, frame, none, labels, conf_level, source, cluster)
    else:
        gaps = _monitoring_reach(page, data, frame, none, labels, conf_level, source, cluster)
    for _, row in gaps.iterrows():
        if pd.notna(row["share"]):
            for suffix, col in _SHARE_PARTS:
                _number(page, f"no_record_share_{row['group'].lower()}{suffix}", float(row[col]))
    page.tables["gaps"] = _share_display(gaps, labels, "gaps")
    page.tables["records"] = rec.assign(
        actor=rec["actor_type"].map(actor_labels).fillna(rec["actor_type"]),
        kind_label=rec["kind"].map(_kind_label),
    )
    page.figures["actors_fig"] = kind_mix_figure(rec, simulated=simulated, source=source)


def _shares(
    frame: pd.DataFrame, column: str, groups: dict[str, str], cluster: str, conf_level: float
) -> pd.DataFrame:
    """:func:`share_by_group` of ``column`` by ``frame["group"]``, in the order of ``groups``
    (code -> label)."""
    return share_by_group(
        frame,
        column,
        "group",
        cluster=cluster,
        order=list(groups),
        labels=groups,
        conf_level=conf_level,
    )


def _income_reach(
    page: Page,
    data: synth.SimulatedData,
    frame: pd.DataFrame,
    none: pd.Series,
    labels: Labels,
    conf_level: float,
    source: str | None,
    cluster: str,
) -> pd.DataFrame:
    """Reach by income quintile: the non-government share of records and the better-off
    logit; returns the no-record shares by quintile."""
    hh, rec = data["households"], data["assistance"]
    quintiles = labels.quintiles.model_dump()
    frame["group"] = _quintile(hh["income_per_capita"].reset_index(drop=True))
    gaps = _shares(frame, "no_record", quintiles, cluster, conf_level)
    q = pd.Series(
        _quintile(hh["income_per_capita"]).to_numpy(), index=hh["household_id"].to_numpy()
    )
    rq = pd.DataFrame(
        {
            "group": rec["household_id"].map(q).to_numpy(),
            "nongov": (rec["actor_type"] != "government").astype(int).to_numpy(),
            cluster: _record_clusters(hh, rec, cluster),
        }
    )
    reach = _shares(rq, "nongov", quintiles, cluster, conf_level)
    fit = better_off_logit(hh, rec, conf_level=conf_level, cluster=cluster).set_index("term")
    page.facts["inference_warnings"].extend(w for w in fit["warning"].unique() if w)
    b = fit.loc["log_income_centred"]
    a = fit.loc["const"]
    _number(page, "no_record_n", int(none.sum()))
    _number(page, "no_record_pct", 100 * none.mean())
    _number(page, "nongov_pct_q1", 100 * reach.iloc[0]["share"])
    _number(page, "nongov_pct_q5", 100 * reach.iloc[-1]["share"])
    _number(page, "better_off_slope", float(b["estimate"]))
    _number(page, "better_off_slope_ci_low", float(b["ci_low"]))
    _number(page, "better_off_slope_ci_high", float(b["ci_high"]))
    _number(page, "nongov_pct_at_median", 100 * _expit(float(a["estimate"])))
    _number(page, "better_off_slope_se", float(b["se"]))
    _number(page, "better_off_intercept", float(a["estimate"]))
    _number(page, "better_off_intercept_se", float(a["se"]))
    if page.facts["simulated"]:
        slope = _planted(data.meta, "help_the_better_off_slope")
        share = 100 * _planted(data.meta, "non_government_share_at_median_income")
        _number(page, "planted_better_off_slope", slope)
        _number(page, "planted_nongov_pct_at_median", share)
    page.tables["reach"] = _share_display(reach, labels, "reach")
    page.figures["reach_fig"] = share_figure(
        reach, xlabel=labels.axes.reach, simulated=page.facts["simulated"], source=source
    )
    return gaps


def _monitoring_reach(
    page: Page,
    data: synth.SimulatedData,
    frame: pd.DataFrame,
    none: pd.Series,
    labels: Labels,
    conf_level: float,
    source: str | None,
    cluster: str,
) -> pd.DataFrame:
    """Reach by monitoring status: the rate ratio of records for monitored households;
    returns the no-record shares by status."""
    hh, rec = data["households"], data["assistance"]
    monitored = hh["monitored"].to_numpy()
    formerly = hh["formerly_registered_poor"].to_numpy()
    frame["group"] = np.where(
        monitored == 1, "monitored", np.where(formerly == 1, "formerly_registered", "other")
    )
    status = labels.monitoring_groups.model_dump()
    gaps = _shares(frame, "no_record", status, cluster, conf_level)
    rr = assistance_rate_ratio(hh, rec, "monitored", conf_level=conf_level, cluster=cluster)
    if rr["warning"]:
        page.facts["inference_warnings"].append(rr["warning"])
    gm = gaps.set_index("group").loc["monitored"]
    _number(page, "rate_ratio_monitored", rr["ratio"])
    _number(page, "rate_ratio_monitored_ci_low", rr["ci_low"])
    _number(page, "rate_ratio_monitored_ci_high", rr["ci_high"])
    for suffix, col in _SHARE_PARTS:
        _number(page, f"no_record_pct_monitored{suffix}", 100 * gm[col])
    _number(page, "no_record_pct", 100 * none.mean())
    _number(page, "rate_ratio_monitored_log_se", rr["se"])
    if page.facts["simulated"]:
        ratio = _planted(data.meta, "assistance_rate_ratio_monitored")
        _number(page, "planted_rate_ratio_monitored", ratio)
    page.figures["reach_fig"] = share_figure(
        gaps, xlabel=labels.axes.gaps, simulated=page.facts["simulated"], source=source
    )
    return gaps


def _kind_label(kind: str) -> str:
    """A kind code as a label: ``in_kind_goods`` -> ``in-kind goods``."""
    return kind.replace("in_kind", "in-kind").replace("_", " ")


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------
def type_ties(g: nx.Graph) -> tuple[pd.Series, pd.DataFrame]:
    """The actor network aggregated by actor type: actors per type (in :data:`ACTOR_TYPES`
    order, types without actors left out) and one row per pair of types with ties between
    them (``source_type``, ``target_type`` in that order, ``ties``: number of edges,
    ``contacts``: sum of their ``weight``); ties within a type have the same type twice."""
    kinds = pd.Series({v: d["actor_type"] for v, d in g.nodes(data=True)}, dtype=object)
    actors = kinds.value_counts().reindex(list(ACTOR_TYPES)).dropna().astype(int)
    rank = {t: i for i, t in enumerate(ACTOR_TYPES)}
    rows = []
    for u, v, d in g.edges(data=True):
        a, b = sorted((kinds[u], kinds[v]), key=rank.__getitem__)
        rows.append((a, b, float(d.get("weight", 1.0))))
    edges = pd.DataFrame(rows, columns=["source_type", "target_type", "contacts"])
    pairs = (
        edges.groupby(["source_type", "target_type"], sort=False)
        .agg(ties=("contacts", "size"), contacts=("contacts", "sum"))
        .reset_index()
    )
    order = pairs["source_type"].map(rank) * 10 + pairs["target_type"].map(rank)
    return actors, pairs.loc[order.sort_values().index].reset_index(drop=True)


def network_figure(g: nx.Graph, *, simulated: bool, source: str | None = None) -> mpl.figure.Figure:
    """The actor network drawn by actor type (:func:`type_ties`), not actor by actor.

    One circle per type on a regular polygon (government at the top), its area proportional
    to the number of actors (size legend); one line per pair of types with ties, its width
    proportional to the number of ties and the number written on it; ties within a type are
    counted under the type's name. Hundreds of households drawn one by one would be a
    hairball; the aggregated graph shows who is tied to whom and how often.
    """
    actors, pairs = type_ties(g)
    type_labels = _labels().actor_types.model_dump()
    colours = dict(zip(ACTOR_TYPES, report.PALETTE, strict=False))
    types = list(actors.index)
    angles = np.pi / 2 - 2 * np.pi * np.arange(len(types)) / max(len(types), 1)
    pos = {t: np.array([np.cos(a), np.sin(a)]) for t, a in zip(types, angles, strict=True)}
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 5.6))
    between = pairs[pairs["source_type"] != pairs["target_type"]]
    most = float(between["ties"].max()) if len(between) else 1.0
    for row in between.itertuples():
        (x0, y0), (x1, y1) = pos[row.source_type], pos[row.target_type]
        ax.plot([x0, x1], [y0, y1], color="#777777", lw=0.8 + 7.0 * row.ties / most, zorder=1)
        ax.text(
            x0 + 0.42 * (x1 - x0),
            y0 + 0.42 * (y1 - y0),
            f"{int(row.ties):,}",
            ha="center",
            va="center",
            fontsize=8.5,
            zorder=4,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
        )
    largest = float(actors.max())

    def size_of(n: float) -> float:
        return 100 + 1200 * n / largest

    within = pairs[pairs["source_type"] == pairs["target_type"]].set_index("source_type")
    for t in types:
        x, y = pos[t]
        ax.scatter([x], [y], s=size_of(actors[t]), color=colours[t], zorder=3, edgecolor="white")
        n = int(actors[t])
        lines = [type_labels[t], f"{n:,} actor{'' if n == 1 else 's'}"]
        if t in within.index:
            lines.append(f"{int(within.loc[t, 'ties']):,} ties among them")
        outward = 1.0 if y >= -0.2 else -1.0
        ax.annotate(
            "\n".join(lines),
            (x, y),
            xytext=(0, outward * (np.sqrt(size_of(actors[t])) / 2 + 6)),
            textcoords="offset points",
            ha="center",
            va="bottom" if outward > 0 else "top",
            fontsize=9,
            zorder=5,
        )
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.55, 1.6)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ties = [mpl.lines.Line2D([], [], color="#777777", lw=0.8 + 7.0 * f) for f in (0.25, 1.0)]
    tie_labels = [f"{max(1, round(most * f)):,} ties" for f in (0.25, 1.0)]
    sizes, size_labels = layout.size_handles(actors.to_numpy(), size_of)
    widest = max((h.get_markersize() for h in sizes), default=10.0)
    layout.legend_outside(
        fig,
        "below",
        handles=[*ties, *sizes],
        labels=[*tie_labels, *(f"{label} actors" for label in size_labels)],
        ncols=len(ties) + len(sizes),
        handlelength=max(2.0, widest / 9.5),
        handleheight=max(0.7, widest / 9.5),
        columnspacing=1.2,
        title=report.exhibit_text("network_size_legend"),
    )
    report.label_figure(fig, simulated=simulated, source=source)
    return fig


def share_figure(
    shares: pd.DataFrame, *, xlabel: str, simulated: bool, source: str | None = None
) -> mpl.figure.Figure:
    """Shares by group with their intervals (dot and whisker), groups top to bottom. The x
    axis fits the intervals (rounded out to 5 %), not 0-100 % whatever the data."""
    sub = shares.dropna(subset=["share"])
    y = np.arange(len(sub))[::-1]
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 1.6 + 0.45 * len(sub)))
    ax.errorbar(
        100 * sub["share"],
        y,
        xerr=[100 * (sub["share"] - sub["ci_low"]), 100 * (sub["ci_high"] - sub["share"])],
        fmt="o",
        color=report.PALETTE[0],
        ms=6,
    )
    ax.set_yticks(y, [f"{lab} (n = {n})" for lab, n in zip(sub["label"], sub["n"], strict=True)])
    ax.set_xlabel(layout.wrap(xlabel, 60))
    low = max(0.0, math.floor(20 * float(sub["ci_low"].min()) - 0.2) * 5)
    high = min(100.0, math.ceil(20 * float(sub["ci_high"].max()) + 0.2) * 5)
    ax.set_xlim(low, high)
    report.label_figure(fig, simulated=simulated, source=source)
    return fig


def kind_mix_figure(
    records: pd.DataFrame, *, simulated: bool, source: str | None = None, min_cell: int = MIN_CELL
) -> mpl.figure.Figure:
    """Stacked horizontal bars: each actor's records split by kind (shares of the actor's
    records); actor x kind cells with fewer than ``min_cell`` records are left out."""
    labels = _labels()
    actor_labels = {a: getattr(labels.actor_types, a) for a in ACTOR_TYPES[:3]}
    counts = pd.crosstab(records["actor_type"], records["kind"])
    counts = counts.where(counts >= min_cell, 0)
    order = [a for a in actor_labels if a in counts.index]
    counts = counts.loc[order]
    shares = counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 2.2 + 0.5 * len(order)))
    left = np.zeros(len(order))
    y = np.arange(len(order))[::-1]
    for kind, colour in zip(shares.columns, report.PALETTE, strict=False):
        ax.barh(
            y,
            100 * shares[kind],
            left=100 * left,
            color=colour,
            label=_kind_label(kind).capitalize(),
            height=0.6,
        )
        left += shares[kind].to_numpy()
    ax.set_yticks(y, [f"{actor_labels.get(a, a)} (n = {int(counts.loc[a].sum())})" for a in order])
    ax.set_xlabel(labels.axes.kind_mix)
    ax.set_xlim(0, 100)
    layout.legend_outside(fig, "below", ncols=3)
    report.label_figure(fig, simulated=simulated, source=source)
    return fig
