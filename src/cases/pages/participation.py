"""Participation analysis of a case: who takes part, how the actors are tied, and who is reached.

One entry point, :func:`run`, adapts to the data the case has (``ParticipationResults.kind``):

- ``network`` (``pingliang``): the five subjects (government, enterprises, social organisations,
  village committees, poor households) as a network built with networkx from the interaction
  records: density, degree and betweenness centrality by actor type, tie rates by pair of
  types, the government's "bottom-line" role, and social-security coverage of households
  without labour capacity.
- ``assistance`` (``shandong_a_town``, ``w_town``): which actors delivered which kinds of
  assistance (an actor x kind table under small-cell suppression,
  :func:`cases.present.report.crosstab`)
  and to whom; coverage gaps (households with no assistance record); for A Town the
  "helping the better-off" pattern by income quintile, for W Town the focus on monitored
  households.

The building blocks are public and tested on hand-checkable data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd

from cases.core.errors import DataValidationError, ParameterError
from cases.pages.survey_analysis import _figure_block, _join, _Prose
from cases.present import report
from cases.simulate import synth

__all__ = [
    "ACTOR_TYPES",
    "ParticipationResults",
    "assistance_rate_ratio",
    "better_off_logit",
    "build_network",
    "centrality_by_type",
    "centrality_table",
    "government_role",
    "no_record_share",
    "proportion_ci",
    "run",
    "share_by_group",
    "tie_rates",
]

#: The five subjects of the Pingliang thesis, in the order used for layout and tables.
ACTOR_TYPES = (
    "government",
    "enterprise",
    "social_organisation",
    "village_committee",
    "poor_household",
)
_TYPE_LABELS = {
    "government": "Government",
    "enterprise": "Enterprises",
    "social_organisation": "Social organisations",
    "village_committee": "Village committees",
    "poor_household": "Poor households",
}
_ACTOR3_LABELS = {
    "government": "Government",
    "enterprise": "Enterprises",
    "social_organisation": "Social organisations",
}
#: Minimum number of households behind a published share (as report.crosstab's k).
MIN_CELL = 5


# --------------------------------------------------------------------------------------------
# Proportions
# --------------------------------------------------------------------------------------------
def proportion_ci(successes: int, n: int, conf_level: float = 0.95) -> tuple[float, float, float]:
    """Share ``successes / n`` with its Wilson score interval.

    Rule: Wilson (1927) interval via ``statsmodels.stats.proportion.proportion_confint``
    (``method="wilson"``); preferred to the Wald interval for shares near 0 or 1 (Brown, Cai &
    DasGupta 2001, *Statistical Science* 16, 101-133). Returns ``(share, low, high)``.

    Raises:
        ParameterError: ``n <= 0``, ``successes`` outside ``0..n``, ``conf_level`` not in (0, 1).
    """
    from statsmodels.stats.proportion import proportion_confint

    if n <= 0 or not 0 <= successes <= n:
        raise ParameterError(f"proportion: need 0 <= successes <= n and n > 0, got {successes}/{n}")
    if not 0 < conf_level < 1:
        raise ParameterError(f"conf_level must be in (0, 1), got {conf_level}")
    lo, hi = proportion_confint(successes, n, alpha=1 - conf_level, method="wilson")
    return successes / n, float(lo), float(hi)


def share_by_group(
    frame: pd.DataFrame,
    flag: str,
    group: str,
    *,
    order: Sequence[Any] | None = None,
    labels: Mapping[Any, str] | None = None,
    conf_level: float = 0.95,
    min_n: int = MIN_CELL,
) -> pd.DataFrame:
    """Share of rows with ``flag == 1`` in each group, with Wilson intervals.

    Groups with fewer than ``min_n`` rows keep their ``n`` but show no share (NaN), so a
    published share never rests on fewer than ``min_n`` households.

    Returns:
        Columns ``group, label, n, count, share, ci_low, ci_high``.

    Raises:
        ParameterError: a column missing. DataValidationError: ``flag`` not 0/1 (row named).
    """
    for col in (flag, group):
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
        sub = frame.loc[frame[group] == g, flag]
        n, k = int(sub.size), int(sub.sum())
        share = lo = hi = math.nan
        if n >= min_n:
            share, lo, hi = proportion_ci(k, n, conf_level)
        rows.append(
            {
                "group": g,
                "label": (labels or {}).get(g, str(g)),
                "n": n,
                "count": k if n >= min_n else math.nan,
                "share": share,
                "ci_low": lo,
                "ci_high": hi,
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
            non-positive contact count (row named).
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
    for i, row in enumerate(interactions.itertuples(index=False)):
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
) -> pd.DataFrame:
    """Logit of "record from a non-government actor" on the household's centred log income.

    Model: ``P(non-government | record) = expit(a + b (ln y_h - median_h ln y_h))``, one row
    per record, standard errors clustered by household (statsmodels ``Logit``,
    ``cov_type="cluster"``). ``b > 0`` means better-off households get relatively more
    assistance from enterprises and social organisations; ``expit(a)`` is the non-government
    share at the median income. Units: log-odds per log point of income.

    Returns:
        Tidy table: ``term`` (``const``, ``log_income_centred``), ``estimate, se, ci_low,
        ci_high, z, p``; ``attrs``: ``n_records``, ``n_households``, ``median_log_income``.

    Raises:
        DataValidationError: a non-positive income or unknown household.
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
    res = sm.Logit(y.to_numpy(), exog).fit(
        disp=False, cov_type="cluster", cov_kwds={"groups": assistance["household_id"].to_numpy()}
    )
    ci = res.conf_int(alpha=1 - conf_level)
    out = pd.DataFrame(
        {
            "term": res.params.index,
            "estimate": res.params.to_numpy(),
            "se": res.bse.to_numpy(),
            "ci_low": np.asarray(ci)[:, 0],
            "ci_high": np.asarray(ci)[:, 1],
            "z": res.tvalues.to_numpy(),
            "p": res.pvalues.to_numpy(),
        }
    )
    out.attrs.update(
        n_records=len(assistance),
        n_households=int(assistance["household_id"].nunique()),
        median_log_income=med,
    )
    return out


def assistance_rate_ratio(
    households: pd.DataFrame, assistance: pd.DataFrame, flag: str, conf_level: float = 0.95
) -> dict[str, float]:
    """Ratio of mean assistance records per household, ``flag == 1`` versus ``flag == 0``.

    Model: Poisson regression of each household's record count on the flag (statsmodels
    ``GLM``, log link) with robust (HC0) standard errors, so the interval holds under
    over-dispersion; ``ratio = exp(b)`` (Cameron & Trivedi 2013, *Regression Analysis of Count
    Data*, 2nd ed., sec. 3.2).

    Returns:
        ``ratio, ci_low, ci_high, log_ratio, se, mean_flagged, mean_other``.

    Raises:
        DataValidationError: ``flag`` not 0/1 or a record naming an unknown household.
    """
    import statsmodels.api as sm

    _check_records(households, assistance)
    if not households[flag].isin([0, 1]).all():
        raise DataValidationError("households", [f"column {flag!r} must be 0/1"])
    counts = (
        assistance.groupby("household_id").size().reindex(households["household_id"], fill_value=0)
    )
    x = households[flag].to_numpy(dtype=float)
    exog = sm.add_constant(pd.DataFrame({flag: x}))
    res = sm.GLM(counts.to_numpy(dtype=float), exog, family=sm.families.Poisson()).fit(
        cov_type="HC0"
    )
    ci = np.asarray(res.conf_int(alpha=1 - conf_level))[1]
    b, se = float(res.params.iloc[1]), float(res.bse.iloc[1])
    return {
        "ratio": math.exp(b),
        "ci_low": math.exp(ci[0]),
        "ci_high": math.exp(ci[1]),
        "log_ratio": b,
        "se": se,
        "mean_flagged": float(counts.to_numpy()[x == 1].mean()),
        "mean_other": float(counts.to_numpy()[x == 0].mean()),
    }


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclass
class ParticipationResults:
    """Everything the ``participation`` page of one case shows (see :func:`run`).

    ``numbers`` are glued as ``participation_<key>``; ``markdown`` values are Markdown strings
    glued as ``participation_<key>``. ``tables`` maps a name to ``(frame, caption)`` for
    :func:`cases.present.report.table`; ``records`` (assistance cases) is the record table for the
    small-cell-safe actor x kind cross-tab.
    """

    case: str
    kind: str
    simulated: bool
    numbers: dict[str, Any]
    markdown: dict[str, str]
    tables: dict[str, tuple[pd.DataFrame, str]]
    claims: pd.DataFrame
    records: pd.DataFrame | None = None
    graph: nx.Graph | None = None
    figures: dict[str, Callable[[], mpl.figure.Figure]] = field(default_factory=dict)
    source: str | None = None


def run(
    case: str,
    data: synth.SimulatedData,
    *,
    conf_level: float = 0.95,
    source: str | None = None,
) -> ParticipationResults:
    """Run the participation analysis of ``case`` on ``data`` (simulated or a researcher's own).

    ``pingliang``: network analysis (:func:`build_network`, :func:`centrality_table`,
    :func:`tie_rates`, :func:`government_role`) and social-security coverage by registration and
    labour capacity (:func:`share_by_group`, Wilson intervals). ``shandong_a_town`` and
    ``w_town``: assistance records by actor and kind, households without any record, and who
    receives (:func:`better_off_logit` by income; :func:`assistance_rate_ratio` for monitored
    households). ``source`` names the field data for provenance lines (None when simulated).

    Raises:
        ParameterError: ``case`` does not run this analysis.
        DataValidationError: a table or column missing or inconsistent.
    """
    if case not in ("pingliang", "shandong_a_town", "w_town"):
        raise ParameterError(
            f"participation: case {case!r} has no participation data; known: "
            "pingliang, shandong_a_town, w_town"
        )
    simulated = bool(data.meta.get("simulated", True))
    if case == "pingliang":
        return _run_network(case, data, simulated, conf_level, source)
    return _run_assistance(case, data, simulated, conf_level, source)


def _where(simulated: bool) -> str:
    return "In the simulated data" if simulated else "In these data"


def _planted(meta: Mapping[str, Any], name: str) -> Any:
    return (meta.get("planted_effects") or {}).get(name)


def _claim(case: str, name: str) -> str:
    text = str(synth.load_params(case)["planted_effects"][name]["claim"]).strip()
    return text[0].upper() + text[1:] + "."


_CLAIM_COLUMNS = [
    "What the thesis reported",
    "What this analysis shows",
    "What would be needed to test it with field data",
]
_PLANTED_NOTE = " (planted as a hypothesis, so this checks the method, not the claim)"


def _run_network(
    case: str, data: synth.SimulatedData, simulated: bool, conf_level: float, source: str | None
) -> ParticipationResults:
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
    cov_frame = hh.assign(group=groups)
    cov_labels = {
        "registered_no_labour": "Registered poor, no labour capacity",
        "registered_labour": "Registered poor, with labour capacity",
        "other_no_labour": "Other households, no labour capacity",
        "other_labour": "Other households, with labour capacity",
    }
    coverage = share_by_group(
        cov_frame,
        "social_security",
        "group",
        order=list(cov_labels),
        labels=cov_labels,
        conf_level=conf_level,
    )
    p = _Prose("participation_")
    md: dict[str, str] = {}
    n_by = by_type.set_index("actor_type")["n"]
    counts = [
        f"{p.num(f'n_{t}', int(n_by[t]), 'd')} {_TYPE_LABELS[t].lower()}"
        if t != "government"
        else f"{p.num('n_government', int(n_by[t]), 'd')} township government"
        for t in ACTOR_TYPES
        if t in n_by.index
    ]
    data_phrase = (
        "the simulated interaction records (generated by `cases.simulate.synth`; the thesis's own "
        "records are not public)"
        if simulated
        else "the interaction records supplied for this run"
    )
    md["intro"] = (
        f"This page analyses {data_phrase}. The network has {_join(counts)}: "
        f"{p.num('n_actors', g.number_of_nodes(), 'd')} actors joined by "
        f"{p.num('n_ties', g.number_of_edges(), 'd')} ties, a tie meaning at least one contact "
        "in the year."
    )
    bt = by_type.set_index("actor_type")
    top_deg = bt["mean_degree_centrality"].idxmax()
    fig = f"{{numref}}`fig-participation-actors-{case}`"
    gov_rank = gov["gov_degree_rank"]
    gov_pct = 100 * gov["gov_share_of_household_ties"]
    isolated = gov["households_isolated"]
    md["actors_text"] = (
        f"The network's density, the share of all possible ties that exist, is "
        f"{p.num('density', nx.density(g), '.3f')}; it is low mainly because households are "
        f"many and tied to few others ({fig}). The government's degree centrality is "
        f"{p.num('gov_degree_centrality', gov['gov_degree_centrality'], '.3f')} (it is tied to "
        f"that share of all other actors; rank {p.num('gov_degree_rank', gov_rank, 'd')}"
        f" of {p.num('n_actors', g.number_of_nodes(), 'd')}) and its betweenness centrality "
        f"{p.num('gov_betweenness', gov['gov_betweenness'], '.3f')} (rank "
        f"{p.num('gov_betweenness_rank', gov['gov_betweenness_rank'], 'd')}). By actor type the "
        f"highest mean degree centrality belongs to {_TYPE_LABELS[top_deg].lower()}. "
        f"Of the {p.num('household_ties', gov['household_ties'], 'd')} ties of poor households, "
        f"{p.num('gov_household_ties', gov['gov_household_ties'], 'd')} "
        f"({p.num('gov_share_of_household_ties', gov_pct, '.1f')}%) "
        f"are with the government, and {p.num('households_isolated', isolated, 'd')}"
        f" of {p.num('n_households', gov['n_households'], 'd')} poor households have no tie at all."
    )
    r = rates.set_index("pair")
    for pair in (
        "enterprise--poor_household",
        "social_organisation--poor_household",
        "village_committee--poor_household",
        "government--poor_household",
    ):
        if pair in r.index and pd.notna(r.loc[pair, "rate"]):
            p.record(f"tie_rate_{pair.replace('--', '_to_')}", float(r.loc[pair, "rate"]))
    ent = (
        r.loc["enterprise--poor_household", "rate"]
        if "enterprise--poor_household" in r.index
        else math.nan
    )
    org = (
        r.loc["social_organisation--poor_household", "rate"]
        if "social_organisation--poor_household" in r.index
        else math.nan
    )
    if math.isfinite(ent) and math.isfinite(org):
        md["actors_text"] += (
            f" An enterprise is tied to {p.num('tie_pct_enterprise_household', 100 * ent, '.1f')}% "
            "of poor households and a social organisation to "
            f"{p.num('tie_pct_organisation_household', 100 * org, '.1f')}%."
        )
    if simulated:
        planted = _planted(data.meta, "tie_probability") or {}
        md["actors_text"] += (
            " The simulation planted these tie probabilities (for example "
            f"{p.num('planted_gov_household', planted.get('government--poor_household', math.nan))}"
            " between the government and a poor household, "
            f"{p.num('planted_ent_household', planted.get('enterprise--poor_household', math.nan))}"
            " between an enterprise and a poor household), so the pattern is a hypothesis built "
            "into the data, not a finding."
        )
    cov = coverage.set_index("group")
    rn = cov.loc["registered_no_labour"]
    if pd.isna(rn["share"]):
        raise DataValidationError(
            "households", [f"fewer than {MIN_CELL} registered households without labour capacity"]
        )
    md["reach_text"] = (
        "The thesis proposes that social security (minimum living allowance, *dibao*, or support "
        "for the extremely poor, *tekun*) be the floor for households that cannot work. Among "
        f"the {p.num('n_registered_no_labour', int(rn['n']), 'd')} registered poor households "
        "without labour capacity, "
        f"{p.num('coverage_registered_no_labour', 100 * rn['share'], '.1f')}% are covered (95% "
        f"interval {p.num('coverage_registered_no_labour_ci_low', 100 * rn['ci_low'], '.1f')} to "
        f"{p.num('coverage_registered_no_labour_ci_high', 100 * rn['ci_high'], '.1f')}%), so "
        f"{p.num('uncovered_registered_no_labour', int(rn['n'] - rn['count']), 'd')} of them "
        f"are not ({{numref}}`fig-participation-reach-{case}`)."
    )
    on = cov.loc["other_no_labour"]
    if pd.notna(on["share"]):
        md["reach_text"] += (
            " Among other households without labour capacity coverage is "
            f"{p.num('coverage_other_no_labour', 100 * on['share'], '.1f')}% (95% interval "
            f"{p.num('coverage_other_no_labour_ci_low', 100 * on['ci_low'], '.1f')} to "
            f"{p.num('coverage_other_no_labour_ci_high', 100 * on['ci_high'], '.1f')}%)."
        )
    if simulated:
        planted = _planted(data.meta, "social_security_coverage") or {}
        planted_pct = 100 * planted["registered_no_labour"]
        md["reach_text"] += (
            " The simulation planted coverage of "
            f"{p.num('planted_coverage_registered_no_labour', planted_pct, '.0f')}"
            "% for registered households without labour capacity: a hypothesis, not a result of "
            "the thesis."
        )
    for g_ in cov.index:
        if pd.notna(cov.loc[g_, "share"]):
            p.record(f"coverage_share_{g_}", float(cov.loc[g_, "share"]))
            p.record(f"coverage_share_{g_}_ci_low", float(cov.loc[g_, "ci_low"]))
            p.record(f"coverage_share_{g_}_ci_high", float(cov.loc[g_, "ci_high"]))
    for _, row in by_type.iterrows():
        p.record(
            f"mean_degree_centrality_{row['actor_type']}", float(row["mean_degree_centrality"])
        )
        p.record(f"mean_betweenness_{row['actor_type']}", float(row["mean_betweenness"]))

    where = _where(simulated)
    note = _PLANTED_NOTE if simulated else ""
    claims = pd.DataFrame(
        [
            (
                _claim(case, "tie_probability"),
                f"{where}, the government ranks {gov['gov_degree_rank']} of "
                f"{g.number_of_nodes()} actors by degree centrality "
                f"({gov['gov_degree_centrality']:.3f}); enterprises are tied to "
                f"{100 * ent:.1f}% and social organisations to {100 * org:.1f}% of poor "
                f"households{note}.",
                "Records of who met whom (meeting minutes, assistance ledgers, a roster survey "
                "of actors) over a stated period, so that ties are observed rather than recalled.",
            ),
            (
                _claim(case, "social_security_coverage"),
                f"{where}, {100 * rn['share']:.1f}% of registered households without labour "
                f"capacity are covered (95% interval {100 * rn['ci_low']:.1f} to "
                f"{100 * rn['ci_high']:.1f}%){note}.",
                "The town's dibao and tekun rolls linked to the poverty register and to an "
                "assessment of each household's labour capacity.",
            ),
        ],
        columns=_CLAIM_COLUMNS,
    )
    cent_show = by_type.assign(actor_type=by_type["actor_type"].map(_TYPE_LABELS)).rename(
        columns={
            "actor_type": "Actor type",
            "n": "Actors",
            "mean_degree": "Mean ties",
            "mean_degree_centrality": "Mean degree centrality",
            "max_degree_centrality": "Max degree centrality",
            "mean_betweenness": "Mean betweenness",
            "max_betweenness": "Max betweenness",
        }
    )
    rate_show = rates.assign(
        pair=[
            f"{_TYPE_LABELS[a]} – {_TYPE_LABELS[b]}"
            for a, b in zip(rates["type_a"], rates["type_b"], strict=True)
        ]
    )[["pair", "possible", "ties", "rate"]].rename(
        columns={
            "pair": "Pair of actor types",
            "possible": "Possible pairs",
            "ties": "Ties",
            "rate": "Tie rate",
        }
    )
    cov_show = _share_display(coverage, "Households", "Covered")
    tables = {
        "centrality": (cent_show, "Degree and betweenness centrality by actor type"),
        "tie_rates": (
            rate_show,
            "Ties by pair of actor types (committee–household pairs within the same village only)",
        ),
        "coverage": (
            cov_show,
            "Social-security (dibao/tekun) coverage by registration and "
            "labour capacity, with 95% Wilson intervals",
        ),
    }
    md["actors_block"] = _figure_block(
        "participation_actors_fig",
        f"fig-participation-actors-{case}",
        "Network of the five kinds of actor: government at the centre, enterprises and social "
        "organisations, village committees and poor households on outer rings",
        "The five subjects as a network. Rings from the centre: government; enterprises and "
        "social organisations; village committees; poor households (grouped by village). "
        "Marker size grows with the number of ties.",
    )
    md["reach_block"] = _figure_block(
        "participation_reach_fig",
        f"fig-participation-reach-{case}",
        "Share of households covered by social security by registration and labour capacity, "
        "with 95% intervals",
        "Social-security (dibao/tekun) coverage by registration and labour capacity, with 95% "
        "Wilson intervals.",
    )
    md["data_text"] = _data_text(case, ["actors", "interactions", "households"])
    res = ParticipationResults(
        case=case,
        kind="network",
        simulated=simulated,
        numbers=p.numbers,
        markdown=md,
        tables=tables,
        claims=claims,
        graph=g,
        source=source,
    )
    res.figures = {
        "actors_fig": lambda: network_figure(g, simulated=simulated, source=source),
        "reach_fig": lambda: share_figure(
            coverage,
            xlabel="Covered by social security (%, 95% interval)",
            simulated=simulated,
            source=source,
        ),
    }
    return res


def _share_display(shares: pd.DataFrame, n_label: str, count_label: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Group": shares["label"],
            n_label: shares["n"],
            count_label: shares["count"],
            "Share (%)": 100 * shares["share"],
            "95% interval (%)": [
                "—" if pd.isna(a) else f"{100 * a:.1f} to {100 * b:.1f}"
                for a, b in zip(shares["ci_low"], shares["ci_high"], strict=True)
            ],
        }
    )


def _quintile(income: pd.Series) -> pd.Series:
    labels = [f"Q{i}" for i in range(1, 6)]
    return pd.qcut(income.rank(method="first"), 5, labels=labels).astype(str)


def _run_assistance(
    case: str, data: synth.SimulatedData, simulated: bool, conf_level: float, source: str | None
) -> ParticipationResults:
    hh = data["households"]
    rec = data["assistance"]
    none = no_record_share(hh, rec)
    p = _Prose("participation_")
    md: dict[str, str] = {}
    where = _where(simulated)
    note = _PLANTED_NOTE if simulated else ""
    data_phrase = (
        "the simulated assistance records (generated by `cases.simulate.synth`; the thesis's own "
        "records are not public)"
        if simulated
        else "the assistance records supplied for this run"
    )
    by_actor = rec["actor_type"].value_counts()
    parts = [
        f"{p.num(f'records_{a}', int(by_actor.get(a, 0)), 'd')} from "
        f"{_ACTOR3_LABELS[a].lower() if a != 'government' else 'the government'}"
        for a in _ACTOR3_LABELS
    ]
    who = "registered poor households" if case == "shandong_a_town" else "households"
    md["intro"] = (
        f"This page analyses {data_phrase}: {p.num('n_records', len(rec), 'd')} records of "
        f"assistance to {p.num('n_households', len(hh), 'd')} {who} ({_join(parts)}). A record "
        "is one delivery of one kind of assistance by one actor to one household."
    )
    gov_share = float((rec["actor_type"] == "government").mean())
    kinds = rec.groupby("actor_type")["kind"].agg(lambda s: s.value_counts().idxmax())
    md["actors_text"] = (
        f"The government delivered {p.num('gov_share_of_records', 100 * gov_share, '.1f')}% of "
        "the records. "
        + " ".join(
            f"The most frequent kind from {_actor_phrase(a)} was {_kind_label(kinds[a])}."
            for a in _ACTOR3_LABELS
            if a in kinds.index
        )
        + " The table below counts records by actor and kind; "
        + f"{{numref}}`fig-participation-actors-{case}` "
        "shows each actor's mix of kinds."
    )
    tables: dict[str, tuple[pd.DataFrame, str]] = {}
    frame = pd.DataFrame(
        {"household_id": hh["household_id"].to_numpy(), "no_record": none.to_numpy()}
    )
    claims = []
    if case == "shandong_a_town":
        frame["group"] = _quintile(hh["income_per_capita"].reset_index(drop=True))
        labels = {
            f"Q{i}": f"Income quintile {i}"
            + (" (poorest)" if i == 1 else " (best-off)" if i == 5 else "")
            for i in range(1, 6)
        }
        gaps = share_by_group(
            frame, "no_record", "group", order=list(labels), labels=labels, conf_level=conf_level
        )
        q = pd.Series(
            _quintile(hh["income_per_capita"]).to_numpy(), index=hh["household_id"].to_numpy()
        )
        rq = rec.assign(
            group=rec["household_id"].map(q).to_numpy(),
            nongov=(rec["actor_type"] != "government").astype(int).to_numpy(),
        )
        reach = share_by_group(
            rq, "nongov", "group", order=list(labels), labels=labels, conf_level=conf_level
        )
        fit = better_off_logit(hh, rec, conf_level=conf_level).set_index("term")
        b = fit.loc["log_income_centred"]
        a = fit.loc["const"]
        q1, q5 = reach.iloc[0], reach.iloc[-1]
        md["reach_text"] = (
            f"Of the registered poor households, {p.num('no_record_n', int(none.sum()), 'd')} "
            f"({p.num('no_record_pct', 100 * none.mean(), '.1f')}%) have no assistance record at "
            "all. Who gets assistance from enterprises and social organisations depends on "
            f"income ({{numref}}`fig-participation-reach-{case}`): their share of records is "
            f"{p.num('nongov_pct_q1', 100 * q1['share'], '.1f')}% in the poorest income quintile "
            f"and {p.num('nongov_pct_q5', 100 * q5['share'], '.1f')}% in the best-off. In a logit "
            "of a record coming from a non-government actor on the household's log income "
            "(centred at the median; standard errors clustered by household) the slope is "
            f"{p.num('better_off_slope', float(b['estimate']))} log-odds per log point of income "
            f"(95% interval {p.num('better_off_slope_ci_low', float(b['ci_low']))} to "
            f"{p.num('better_off_slope_ci_high', float(b['ci_high']))}): a positive slope is the "
            '"helping the better-off" pattern. At the median income the non-government share is '
            f"{p.num('nongov_pct_at_median', 100 * _expit(float(a['estimate'])), '.1f')}%."
        )
        p.record("better_off_slope_se", float(b["se"]))
        p.record("better_off_intercept", float(a["estimate"]))
        p.record("better_off_intercept_se", float(a["se"]))
        if simulated:
            planted_slope = _planted(data.meta, "help_the_better_off_slope")
            planted_share = 100 * _planted(data.meta, "non_government_share_at_median_income")
            md["reach_text"] += (
                " The simulation planted a slope of "
                f"{p.num('planted_better_off_slope', planted_slope)}"
                " and a share of "
                f"{p.num('planted_nongov_pct_at_median', planted_share, '.0f')}"
                "% at the median: hypotheses built into the data, not results of the thesis."
            )
        claims.append(
            (
                _claim(case, "help_the_better_off_slope"),
                f"{where}, the log-odds of non-government assistance rise by "
                f"{b['estimate']:.2f} per log point of income (95% interval {b['ci_low']:.2f} to "
                f"{b['ci_high']:.2f}){note}.",
                "Assistance ledgers of the township, the enterprises and the social organisations, "
                "linked to household incomes measured before the assistance.",
            )
        )
        claims.append(
            (
                _claim(case, "non_government_share_at_median_income"),
                f"{where}, enterprises and social organisations delivered "
                f"{100 * (1 - gov_share):.1f}% of the records{note}.",
                "Complete ledgers from every actor, including assistance given outside the "
                "official teams, valued in the same way.",
            )
        )
        reach_show = _share_display(reach, "Records", "From enterprises or social organisations")
        gaps_show = _share_display(gaps, "Households", "Without any record")
        tables["reach"] = (
            reach_show,
            "Share of assistance records from enterprises and social "
            "organisations by household income quintile (95% Wilson intervals; "
            "records of one household are not independent, so these intervals "
            "are narrower than they should be — the logit in the text clusters "
            "by household)",
        )
        tables["gaps"] = (
            gaps_show,
            "Households without any assistance record by income quintile (95% Wilson intervals)",
        )
        fig_shares = reach
        xlabel = "Records from enterprises or social organisations (%, 95% interval)"
        reach_caption = (
            "Share of assistance records from enterprises and social organisations "
            "by household income quintile, with 95% Wilson intervals."
        )
    else:
        monitored = hh["monitored"].to_numpy()
        formerly = hh["formerly_registered_poor"].to_numpy()
        grp = np.where(
            monitored == 1, "monitored", np.where(formerly == 1, "formerly_registered", "other")
        )
        frame["group"] = grp
        labels = {
            "monitored": "On the return-to-poverty monitoring list",
            "formerly_registered": "Formerly registered poor, not monitored",
            "other": "Other households",
        }
        gaps = share_by_group(
            frame, "no_record", "group", order=list(labels), labels=labels, conf_level=conf_level
        )
        rr = assistance_rate_ratio(hh, rec, "monitored", conf_level=conf_level)
        gm = gaps.set_index("group").loc["monitored"]
        md["reach_text"] = (
            f"Monitored households, those on the return-to-poverty monitoring list, receive "
            f"{p.num('rate_ratio_monitored', rr['ratio'])} times as many records per household "
            f"as others (95% interval {p.num('rate_ratio_monitored_ci_low', rr['ci_low'])} to "
            f"{p.num('rate_ratio_monitored_ci_high', rr['ci_high'])}; Poisson regression with "
            "robust standard errors). Yet "
            f"{p.num('no_record_pct_monitored', 100 * gm['share'], '.1f')}% of monitored "
            "households (95% interval "
            f"{p.num('no_record_pct_monitored_ci_low', 100 * gm['ci_low'], '.1f')}"
            f" to {p.num('no_record_pct_monitored_ci_high', 100 * gm['ci_high'], '.1f')}%) have no "
            "assistance record in 2021-2023, and of all households "
            f"{p.num('no_record_pct', 100 * none.mean(), '.1f')}% have none "
            f"({{numref}}`fig-participation-reach-{case}`)."
        )
        p.record("rate_ratio_monitored_log_se", rr["se"])
        if simulated:
            planted_ratio = _planted(data.meta, "assistance_rate_ratio_monitored")
            md["reach_text"] += (
                " The simulation planted a rate ratio of "
                f"{p.num('planted_rate_ratio_monitored', planted_ratio)}"
                ": a hypothesis built into the data, not a result of the thesis. Whether a "
                "household is vulnerable but left off the list is the subject of the "
                "targeting analysis."
            )
        claims.append(
            (
                _claim(case, "assistance_rate_ratio_monitored"),
                f"{where}, monitored households receive {rr['ratio']:.2f} times as many records "
                f"(95% interval {rr['ci_low']:.2f} to {rr['ci_high']:.2f}), but "
                f"{100 * gm['share']:.1f}% of them have none{note}.",
                "The monitoring list and the assistance ledgers of all actors for the same "
                "households and years.",
            )
        )
        claims.append(
            (
                "Enterprises and social organisations take too small a part, and coordination "
                "among the actors is weak (problems named in the thesis).",
                f"{where}, the government delivered {100 * gov_share:.1f}% of the records"
                + (
                    " (actor shares were set as assumptions, not planted effects)."
                    if simulated
                    else "."
                ),
                "Ledgers from every actor and a record of joint work (shared projects, meetings), "
                "which the assistance records alone do not show.",
            )
        )
        fig_shares = gaps
        xlabel = "Households without any assistance record (%, 95% interval)"
        reach_caption = (
            "Share of households without any assistance record in 2021-2023 by "
            "monitoring status, with 95% Wilson intervals."
        )
        tables["gaps"] = (
            _share_display(gaps, "Households", "Without any record"),
            "Households without any assistance record by monitoring status (95% Wilson intervals)",
        )
    for _, row in gaps.iterrows():
        if pd.notna(row["share"]):
            p.record(f"no_record_share_{row['group'].lower()}", float(row["share"]))
            p.record(f"no_record_share_{row['group'].lower()}_ci_low", float(row["ci_low"]))
            p.record(f"no_record_share_{row['group'].lower()}_ci_high", float(row["ci_high"]))

    md["actors_block"] = _figure_block(
        "participation_actors_fig",
        f"fig-participation-actors-{case}",
        "Stacked bars: each actor's assistance records split by kind",
        "Kinds of assistance delivered by each actor (share of the actor's records; "
        f"combinations with fewer than {MIN_CELL} records are left out).",
    )
    md["reach_block"] = _figure_block(
        "participation_reach_fig", f"fig-participation-reach-{case}", reach_caption, reach_caption
    )
    md["data_text"] = _data_text(case, ["households", "assistance"])
    res = ParticipationResults(
        case=case,
        kind="assistance",
        simulated=simulated,
        numbers=p.numbers,
        markdown=md,
        tables=tables,
        claims=pd.DataFrame(claims, columns=_CLAIM_COLUMNS),
        records=rec.assign(
            actor=rec["actor_type"].map(_ACTOR3_LABELS).fillna(rec["actor_type"]),
            kind_label=rec["kind"].map(_kind_label),
        ),
        source=source,
    )
    res.figures = {
        "actors_fig": lambda: kind_mix_figure(rec, simulated=simulated, source=source),
        "reach_fig": lambda: share_figure(
            fig_shares, xlabel=xlabel, simulated=simulated, source=source
        ),
    }
    return res


def _actor_phrase(actor: str) -> str:
    return "the government" if actor == "government" else _ACTOR3_LABELS[actor].lower()


def _kind_label(kind: str) -> str:
    return kind.replace("in_kind", "in-kind").replace("_", " ")


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _data_text(case: str, tables: Sequence[str]) -> str:
    schema = synth.TABLE_SCHEMAS[case]
    lines = [f"- `{t}.csv`: " + ", ".join(f"`{c}`" for c, *_ in schema[t]) for t in tables]
    return (
        f'Point `data_dir` at a folder with `metadata.json` (`{{"case": "{case}", '
        '"simulated": false}`) and the tables of the case\'s format documented in'
        " `cases.simulate.synth` "
        "(UTF-8 CSV). This analysis reads:\n\n" + "\n".join(lines) + "\n\nActor types must be "
        "spelled as in the simulated data ("
        + ", ".join(
            f"`{t}`" for t in (ACTOR_TYPES if case == "pingliang" else tuple(_ACTOR3_LABELS))
        )
        + (
            "); an unknown household or actor, a self-tie or a duplicated tie stops the run "
            "with the row named."
            if case == "pingliang"
            else "); a record naming a household that is not in the households table stops "
            "the run, with the household named."
        )
    )


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------
def network_layout(g: nx.Graph) -> dict[Any, np.ndarray]:
    """Deterministic shell layout: government in the centre, then enterprises and social
    organisations, village committees, and poor households (sorted by village, then id)."""

    def members(types: Sequence[str]) -> list[Any]:
        nodes = [v for v, d in g.nodes(data=True) if d["actor_type"] in types]
        return sorted(nodes, key=lambda v: (g.nodes[v].get("village_id") or 0, str(v)))

    shells = [
        members(["government"]),
        members(["enterprise", "social_organisation"]),
        members(["village_committee"]),
        members(["poor_household"]),
    ]
    shells = [s for s in shells if s]
    return nx.shell_layout(g, nlist=shells)


def network_figure(g: nx.Graph, *, simulated: bool, source: str | None = None) -> mpl.figure.Figure:
    """The actor network in :func:`network_layout`; colour by actor type, size by degree."""
    pos = network_layout(g)
    fig, ax = plt.subplots(figsize=(7.5, 7.5))
    nx.draw_networkx_edges(g, pos, ax=ax, width=0.3, alpha=0.25, edge_color="#555555")
    for t, colour in zip(ACTOR_TYPES, report.PALETTE, strict=False):
        nodes = [v for v, d in g.nodes(data=True) if d["actor_type"] == t]
        if not nodes:
            continue
        sizes = [
            12 + 4 * math.sqrt(g.degree(v)) ** 2 if t != "poor_household" else 8 for v in nodes
        ]
        nx.draw_networkx_nodes(
            g,
            pos,
            nodelist=nodes,
            node_size=sizes,
            node_color=colour,
            ax=ax,
            label=f"{_TYPE_LABELS[t]} ({len(nodes)})",
            linewidths=0,
        )
    handles = [
        mpl.lines.Line2D([], [], marker="o", ls="", color=c, label=_TYPE_LABELS[t])
        for t, c in zip(ACTOR_TYPES, report.PALETTE, strict=False)
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=True)
    ax.set_axis_off()
    ax.set_aspect("equal")
    report.label_figure(fig, simulated=simulated, source=source)
    return fig


def share_figure(
    shares: pd.DataFrame, *, xlabel: str, simulated: bool, source: str | None = None
) -> mpl.figure.Figure:
    """Shares by group with their intervals (dot and whisker), groups top to bottom."""
    sub = shares.dropna(subset=["share"])
    y = np.arange(len(sub))[::-1]
    fig, ax = plt.subplots(figsize=(7.0, 1.4 + 0.45 * len(sub)))
    ax.errorbar(
        100 * sub["share"],
        y,
        xerr=[100 * (sub["share"] - sub["ci_low"]), 100 * (sub["ci_high"] - sub["share"])],
        fmt="o",
        color=report.PALETTE[0],
        ms=6,
    )
    ax.set_yticks(y, [f"{lab} (n = {n})" for lab, n in zip(sub["label"], sub["n"], strict=True)])
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, 100)
    report.label_figure(fig, simulated=simulated, source=source)
    return fig


def kind_mix_figure(
    records: pd.DataFrame, *, simulated: bool, source: str | None = None, min_cell: int = MIN_CELL
) -> mpl.figure.Figure:
    """Stacked horizontal bars: each actor's records split by kind (shares of the actor's
    records); actor x kind cells with fewer than ``min_cell`` records are left out."""
    counts = pd.crosstab(records["actor_type"], records["kind"])
    counts = counts.where(counts >= min_cell, 0)
    order = [a for a in _ACTOR3_LABELS if a in counts.index]
    counts = counts.loc[order]
    shares = counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
    fig, ax = plt.subplots(figsize=(7.5, 1.8 + 0.5 * len(order)))
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
    ax.set_yticks(
        y, [f"{_ACTOR3_LABELS.get(a, a)} (n = {int(counts.loc[a].sum())})" for a in order]
    )
    ax.set_xlabel("Share of the actor's records (%)")
    ax.set_xlim(0, 100)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=3, fontsize=8, frameon=False)
    report.label_figure(fig, simulated=simulated, source=source)
    return fig
