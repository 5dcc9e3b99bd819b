"""Page "Research designs" (``notebooks/design.ipynb``): each quantitative claim of a thesis as a
hypothesis, the study that would test it, and that study's diagnosis by simulation.

Facts only, no sentences: :func:`build` returns a :class:`~cases.present.page.Page`; the words
are in ``text/design.md``, the per-case claims and designs in ``data/settings/design.yaml``
(:func:`settings`), the designs themselves in :mod:`cases.methods.designs_library`. For each
claim: the diagnosis at the chapter's sample size (:func:`cases.design.diagnose`: bias, RMSE,
coverage, power, each with its Monte Carlo standard error), a power curve over the number of
villages (:func:`cases.design.redesign`) with the smallest size reaching 80 % power
(:func:`cases.design.minimum_for_power`), and stress tests in which identification fails
(Blair, Cooper, Coppock and Humphreys 2019). The page opens with what the thesis actually did,
from the registry (:func:`cases.data.registry.load_case`).

Public API: :class:`Claim`, :class:`CaseDesigns`, :func:`settings`, :func:`claim_design`,
:func:`diagnose_claim`, :func:`curve_figure`, :data:`SEP`, :func:`build`.
"""

from __future__ import annotations

import math
import warnings
from functools import cache
from pathlib import Path
from typing import Any, Literal

import matplotlib.pyplot as plt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cases.core import paths
from cases.core.errors import ParameterError
from cases.core.files import load_yaml
from cases.data import registry
from cases.methods import design as dz
from cases.methods import survey
from cases.methods.designs_library import BLOCKS, boundary, make_design
from cases.pages import survey_analysis
from cases.present import layout, report
from cases.present.page import Page
from cases.simulate import synth

__all__ = [
    "SEP",
    "SETTINGS",
    "CaseDesigns",
    "Claim",
    "build",
    "claim_design",
    "curve_figure",
    "diagnose_claim",
    "settings",
]

#: The per-case designs and the page's labels.
SETTINGS: Path = paths.SETTINGS / "design.yaml"
#: Separator between the per-claim passages of a block of ``text/design.md`` (the notebook
#: splits each such passage on it to put each claim's tables and figure beside its text).
SEP = "<!-- next claim -->"
#: Target power of the minimum-size search.
TARGET_POWER = 0.8
#: Below this many clusters, clustered intervals are flagged as unreliable (issue 19).
FEW_CLUSTERS = 10


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where the claim is in ``data/cases/<slug>.yaml``: a list and a 0-based index."""

    list: Literal["achievements", "problems", "causes", "mechanisms"]
    index: int = Field(ge=0)


class Units(_Strict):
    """A sample of other units than the chapter's households (e.g. cadres in townships)."""

    clusters: int = Field(ge=4)
    per_cluster: int = Field(ge=2)
    unit: str
    cluster: str
    axis: str


class Stress(_Strict):
    """A scenario in which identification fails: parameter overrides, and the estimator that
    still protects (``none`` when none does)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    parameters: dict[str, Any]
    protects: str
    fails: str | None = None
    lesson: str


class Benchmark(_Strict):
    """The level a claim is tested against: its ``value`` (``units``: ``share``, a proportion
    0-1, or ``sd``, standard deviations of the outcome), whether it is a ``placeholder`` the
    author must fix in advance or ``sourced``, the ``basis`` (running text: where the value
    comes from, or where an author should take it from), and for a sourced value its
    ``source`` (citation key or address)."""

    value: float
    units: Literal["share", "sd"]
    status: Literal["placeholder", "sourced"]
    basis: str
    source: str | None = None

    @model_validator(mode="after")
    def _sourced(self) -> Benchmark:
        if self.status == "sourced" and not self.source:
            raise ValueError("a sourced benchmark needs its source")
        if self.status == "placeholder" and self.source:
            raise ValueError("a placeholder benchmark has no source; mark it sourced")
        if self.units == "share" and not 0 < self.value < 1:
            raise ValueError(f"a share benchmark lies strictly between 0 and 1, got {self.value}")
        return self


class ClaimTest(_Strict):
    """The test the claim calls for: ``two-sided`` against no effect (a claimed effect or
    difference), or one-sided against a ``benchmark``: ``less`` (H0: quantity >= benchmark; the
    claim that it fell short) or ``greater`` (H0: quantity <= benchmark; the claim that it
    exceeds the benchmark)."""

    alternative: Literal["two-sided", "less", "greater"] = "two-sided"
    benchmark: Benchmark | None = None

    @model_validator(mode="after")
    def _one_sided_needs_benchmark(self) -> ClaimTest:
        if (self.alternative != "two-sided") != (self.benchmark is not None):
            raise ValueError("a one-sided test needs a benchmark, and a benchmark a one-sided test")
        return self


class Questionnaire(_Strict):
    """The questionnaire a design's data strategy uses: an instrument of ``data/instruments/``
    and the scales of it that the design measures (shown on the page in Chinese and English)."""

    instrument: str
    scales: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_scales(self) -> Questionnaire:
        known = [s.id for s in survey.load_instrument(self.instrument).scales]
        unknown = [s for s in self.scales if s not in known]
        if unknown:
            raise ValueError(f"scales {unknown} are not scales of {self.instrument!r}: {known}")
        return self


class Claim(_Strict):
    """One claim of a thesis as a declared design (field meanings: the settings file's header)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    source: Source
    hypothesis: str
    unit: str
    sample_note: str
    assignment: str
    outcome: str
    estimator_note: str
    block: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    units: Units | None = None
    main: str
    naive: str
    curve: tuple[int, ...] = Field(min_length=2)
    stress: tuple[Stress, ...] = Field(min_length=1)
    test: ClaimTest = ClaimTest()
    questionnaire: Questionnaire | None = None

    @model_validator(mode="after")
    def _known_block(self) -> Claim:
        if self.block not in BLOCKS:
            raise ValueError(f"block {self.block!r} is not one of {sorted(BLOCKS)}")
        for key in ("n_villages", "per_village"):
            if key in self.parameters:
                raise ValueError(f"parameters: {key} comes from world or units, not parameters")
        for key in ("benchmark", "alternative"):
            if key in self.parameters:
                raise ValueError(f"parameters: {key} comes from test, not parameters")
        return self

    def test_parameters(self) -> dict[str, Any]:
        """The block parameters of the claim's test (benchmark value and alternative)."""
        if self.test.benchmark is None:
            return {}
        return {"benchmark": self.test.benchmark.value, "alternative": self.test.alternative}


class Qualitative(_Strict):
    """A claim left to the qualitative synthesis: where it is in the registry and why no
    quantitative design here tests it."""

    source: Source
    reason: str


class CaseDesigns(_Strict):
    """A case's claims. Its world (villages and households per village) is the case's one
    simulated world, :func:`cases.simulate.synth.world`, declared in ``data/synth/<case>.yaml``."""

    evidence: str
    collected_data: bool
    claims: tuple[Claim, ...] = Field(min_length=2)
    qualitative: tuple[Qualitative, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> CaseDesigns:
        ids = [c.id for c in self.claims]
        if len(set(ids)) != len(ids):
            raise ValueError(f"claim ids must be unique, got {ids}")
        return self


class Labels(_Strict):
    estimators: dict[str, str]
    estimands: dict[str, str]
    figure: dict[str, str]
    columns: dict[str, str]
    baseline: str
    #: Scenario label of the diagnosis at the benchmark (one-sided tests).
    boundary: str
    source: str
    captions: dict[str, str]
    #: The registry's entry (``data/cases/<case>.yaml``, ``informants``) meaning that the
    #: abstract names no informants.
    informants_unstated: str


class Settings(_Strict):
    labels: Labels
    cases: dict[str, CaseDesigns]

    @model_validator(mode="after")
    def _labelled(self) -> Settings:
        for slug, case in self.cases.items():
            for claim in case.claims:
                names = [
                    claim.main,
                    claim.naive,
                    *(s.protects for s in claim.stress),
                    *(s.fails for s in claim.stress if s.fails),
                ]
                for name in names:
                    if name != "none" and name not in self.labels.estimators:
                        raise ValueError(f"{slug}.{claim.id}: estimator {name!r} has no label")
        return self


@cache
def _load(path: Path) -> Settings:
    return load_yaml(Settings, path)


def settings(path: Path | None = None) -> Settings:
    """The page's settings, read from ``data/settings/design.yaml`` and validated.

    Raises:
        DataValidationError: the file is missing or a field is wrong (file and field named).
    """
    return _load(path or SETTINGS)


def _case(case: str) -> CaseDesigns:
    found = settings().cases
    if case not in found:
        raise ParameterError(f"case={case!r} has no design page; cases: {sorted(found)}")
    return found[case]


def _size(case: str, claim: Claim) -> tuple[int, int]:
    """(clusters, units per cluster) of a claim: its own ``units`` or the chapter's one world
    (:func:`cases.simulate.synth.world`)."""
    if claim.units is not None:
        return claim.units.clusters, claim.units.per_cluster
    w = synth.world(case)
    return w.villages, w.households_per_village


def claim_design(
    case: str, claim_id: str, n_villages: int | None = None, **overrides: Any
) -> dz.Design:
    """The declared design of one claim at its sample size (or ``n_villages`` clusters), with
    block parameters ``overrides`` (a stress scenario).

    Raises:
        ParameterError: unknown case or claim.
    """
    c = _case(case)
    claims = {cl.id: cl for cl in c.claims}
    if claim_id not in claims:
        raise ParameterError(f"{case}: no claim {claim_id!r}; claims: {sorted(claims)}")
    claim = claims[claim_id]
    clusters, per = _size(case, claim)
    params = {**claim.parameters, **claim.test_parameters(), **overrides}
    clusters = int(params.pop("n_villages", n_villages or clusters))
    return make_design(claim.block, n_villages=clusters, per_village=per, **params)


class _Factory:
    """A picklable design factory for :func:`cases.design.redesign` (grid over clusters)."""

    def __init__(self, case: str, claim_id: str) -> None:
        self.case, self.claim_id = case, claim_id

    def __call__(self, n_villages: int) -> dz.Design:
        return claim_design(self.case, self.claim_id, n_villages=n_villages)


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def diagnose_claim(
    case: str,
    claim_id: str,
    sims: int,
    seed: int,
    curve_sims: int,
    stress_sims: int,
    jobs: int = 1,
) -> dict[str, pd.DataFrame]:
    """Diagnosis (``sims`` simulations), power curve (``curve_sims`` per grid point) and stress
    tests (``stress_sims`` each, the declared design as baseline at the same count) of one
    claim; for a one-sided test against a benchmark also the scenario ``boundary`` (the true
    value exactly at the benchmark: the main estimator's power there is the test's size).
    Returns ``{"diagnosis", "curve", "minimum", "stress"}`` tables of
    :mod:`cases.design` diagnosands; ``stress`` has a ``scenario`` column (``baseline`` first).
    """
    c = _case(case)
    claim = next(cl for cl in c.claims if cl.id == claim_id)
    main = _quiet(dz.diagnose, claim_design(case, claim_id), sims=sims, seed=seed, jobs=jobs)
    curve = _quiet(
        dz.redesign,
        _Factory(case, claim_id),
        sims=curve_sims,
        seed=seed,
        jobs=jobs,
        n_villages=list(claim.curve),
    )
    minimum = dz.minimum_for_power(curve, "n_villages", target=TARGET_POWER)
    parts = []
    base = _quiet(
        dz.diagnose, claim_design(case, claim_id), sims=stress_sims, seed=seed + 1, jobs=jobs
    )
    parts.append(base.assign(scenario="baseline"))
    if claim.test.benchmark is not None:
        c_params = {**claim.parameters, **claim.test_parameters()}
        clusters, per = _size(case, claim)
        at = boundary(claim.block, n_villages=clusters, per_village=per, **c_params)
        d = claim_design(case, claim_id, **at)
        parts.append(
            _quiet(dz.diagnose, d, sims=stress_sims, seed=seed + 1, jobs=jobs).assign(
                scenario="boundary"
            )
        )
    for s in claim.stress:
        d = claim_design(case, claim_id, **s.parameters)
        parts.append(
            _quiet(dz.diagnose, d, sims=stress_sims, seed=seed + 1, jobs=jobs).assign(scenario=s.id)
        )
    stress = pd.concat(parts, ignore_index=True)
    return {"diagnosis": main, "curve": curve, "minimum": minimum, "stress": stress}


def curve_figure(
    curve: pd.DataFrame,
    estimator: str,
    minimum: float,
    declared: int | None = None,
    axis: str | None = None,
) -> plt.Figure:
    """Power against the number of clusters for ``estimator``, with ±2 Monte Carlo standard
    errors, the 80 % line, the minimum size and the declared size (``declared`` clusters)
    marked, x-axis label ``axis`` (default: the settings' villages label); the legend under
    the axes; stamped as simulated."""
    lab = settings().labels
    rows = curve.loc[curve["estimator"] == estimator].sort_values("n_villages")
    fig, ax = plt.subplots(figsize=(report.COLUMN_WIDTH_IN, 4.0))
    ax.errorbar(
        rows["n_villages"],
        rows["power"],
        yerr=2 * rows["power_mcse"],
        marker="o",
        capsize=3,
        label=lab.estimators[estimator],
    )
    ax.axhline(
        TARGET_POWER, color="#444444", linestyle="--", linewidth=1, label=lab.figure["target"]
    )
    if math.isfinite(minimum):
        ax.axvline(minimum, color="#D55E00", linestyle=":", label=lab.figure["minimum"])
    if declared is not None:
        ax.axvline(declared, color="#009E73", linestyle="-.", label=lab.figure["declared"])
    ax.set_xlabel(axis or lab.figure["clusters"])
    ax.set_ylabel(layout.wrap(lab.figure["power"], 28))
    ax.set_ylim(0, 1.02)
    layout.legend_outside(fig, "below", ncols=2)
    report.label_figure(fig, simulated=True, source=lab.source)
    return fig


def _diagnosis_table(diag: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    col = labels.columns
    out = pd.DataFrame(
        {
            col["estimator"]: diag["estimator"].map(labels.estimators),
            col["estimand"]: diag["estimand"].map(labels.estimands),
            col["true_value"]: diag["mean_estimand"],
            col["mean_estimate"]: diag["mean_estimate"],
            col["bias"]: diag["bias"],
            col["bias_mcse"]: diag["bias_mcse"],
            col["rmse"]: diag["rmse"],
            col["coverage"]: diag["coverage"],
            col["coverage_mcse"]: diag["coverage_mcse"],
            col["power"]: diag["power"],
            col["power_mcse"]: diag["power_mcse"],
        }
    )
    return out


def _stress_table(stress: pd.DataFrame, claim: Claim, labels: Labels) -> pd.DataFrame:
    names = {
        "baseline": labels.baseline,
        "boundary": labels.boundary,
        **{s.id: s.label for s in claim.stress},
    }
    t = _diagnosis_table(stress, labels)
    t.insert(0, labels.columns["scenario"], stress["scenario"].map(names))
    return t.drop(columns=[labels.columns["true_value"], labels.columns["mean_estimate"]])


def _row(table: pd.DataFrame, estimator: str, scenario: str | None = None) -> pd.Series:
    sel = table["estimator"] == estimator
    if scenario is not None:
        sel &= table["scenario"] == scenario
    return table.loc[sel].iloc[0]


def _informants(entry: registry.Case, labels: Labels) -> list[str]:
    """The informants the registry names; empty when its entry is the marker that the abstract
    names none (``labels.informants_unstated``).

    Raises:
        ParameterError: the marker stands beside named informants.
    """
    named = [i for i in entry.informants if i != labels.informants_unstated]
    if named and len(named) != len(entry.informants):
        raise ParameterError(
            f"data/cases/{entry.slug}.yaml: field 'informants': {labels.informants_unstated!r} "
            f"stands beside named informants {named}"
        )
    return named


def _registry_item(case: registry.Case, source: Source) -> str:
    items = getattr(case, source.list)
    item = items[source.index]
    return getattr(item, "description", None) or getattr(item, "name", "")


def build(
    case: str,
    sims: int = 1100,
    seed: int = 20201123,
    curve_sims: int = 300,
    stress_sims: int = 400,
    jobs: int = 1,
) -> Page:
    """The design page of ``case``: what the thesis did (registry), the simulated world, and per
    claim its design, diagnosis, power curve, minimum size and stress tests.

    Numbers (glued as ``design_<name>``): ``n_villages``, ``n_households`` (the chapter's one
    world, :func:`cases.simulate.synth.world`),
    ``sims``, ``curve_sims``, ``stress_sims``, ``n_claims``; per claim ``<id>_power``,
    ``<id>_power_mcse``, ``<id>_bias``, ``<id>_bias_mcse``, ``<id>_coverage``,
    ``<id>_coverage_mcse``, ``<id>_rmse``, ``<id>_naive_bias``, ``<id>_naive_coverage``,
    ``<id>_min_clusters`` (NaN when the grid never reaches 80 %), ``<id>_clusters``,
    ``<id>_units``, and per stress scenario ``<id>_<stress>_main_bias``, ``..._main_coverage``,
    ``..._naive_bias``, ``..._naive_coverage``; for a claim tested one-sided against a
    benchmark also ``<id>_benchmark`` (its value, from the settings) and ``<id>_size``,
    ``<id>_size_mcse``, ``<id>_size_coverage`` (the main estimator with the truth exactly at
    the benchmark). Facts: the registry's methods, its informants (empty when the registry
    holds ``labels.informants_unstated``) and the claims (dicts for the text's loops, with
    the test's alternative and the benchmark's units, status, basis and source).

    Raises:
        ParameterError: unknown case; DataValidationError: bad settings; RegistryError: bad
            registry entry.
    """
    c = _case(case)
    entry = registry.load_case(case)
    vocab = registry.load_vocabulary()
    lab = settings().labels
    world = synth.world(case)
    numbers: dict[str, Any] = {
        "n_villages": world.villages,
        "n_households": world.households,
        "households_per_village": world.households_per_village,
        "sims": sims,
        "curve_sims": curve_sims,
        "stress_sims": stress_sims,
        "n_claims": len(c.claims),
        "max_power_mcse": math.sqrt(0.25 / sims),
    }
    tables: dict[str, Any] = {}
    figures: dict[str, Any] = {}
    claims: list[dict[str, Any]] = []
    for i, claim in enumerate(c.claims):
        res = diagnose_claim(case, claim.id, sims, seed + 1000 * i, curve_sims, stress_sims, jobs)
        diag, stress = res["diagnosis"], res["stress"]
        main, naive = _row(diag, claim.main), _row(diag, claim.naive)
        mins = res["minimum"]
        mrow = mins.loc[mins["estimator"] == claim.main].iloc[0]
        clusters, per = _size(case, claim)
        p = claim.id
        values = {
            "power": main["power"],
            "power_mcse": main["power_mcse"],
            "bias": main["bias"],
            "bias_mcse": main["bias_mcse"],
            "coverage": main["coverage"],
            "coverage_mcse": main["coverage_mcse"],
            "rmse": main["rmse"],
            "true_value": main["mean_estimand"],
            "naive_bias": naive["bias"],
            "naive_bias_mcse": naive["bias_mcse"],
            "naive_coverage": naive["coverage"],
            "min_clusters": float(mrow["value"]),
            "min_reached": bool(mrow["reached"]),
            "clusters": clusters,
            "units": clusters * per,
            "per_cluster": per,
            "curve_max": max(claim.curve),
            "curve_min": min(claim.curve),
        }
        stresses = []
        for s in claim.stress:
            m = _row(stress, claim.main, s.id)
            failing = s.fails or claim.naive
            nv = _row(stress, failing, s.id)
            pr = _row(stress, s.protects, s.id) if s.protects != "none" else None
            sv = {
                "main_bias": m["bias"],
                "main_bias_mcse": m["bias_mcse"],
                "main_coverage": m["coverage"],
                "main_power": m["power"],
                "naive_bias": nv["bias"],
                "naive_coverage": nv["coverage"],
                "main_biased": bool(abs(m["bias"]) > 3 * m["bias_mcse"]),
                "naive_biased": bool(abs(nv["bias"]) > 3 * nv["bias_mcse"]),
                "protected": pr is not None and bool(abs(pr["bias"]) <= 3 * pr["bias_mcse"]),
            }
            for k in ("main_bias", "main_coverage", "naive_bias", "naive_coverage"):
                numbers[f"{p}_{s.id}_{k}"] = float(sv[k])
            stresses.append(
                {
                    "id": s.id,
                    "label": s.label,
                    "lesson": s.lesson,
                    "protects": s.protects,
                    "protects_label": lab.estimators.get(s.protects, ""),
                    "fails_label": lab.estimators[failing],
                    **sv,
                }
            )
        test = claim.test
        bench = test.benchmark
        if bench is not None:
            b = _row(stress, claim.main, "boundary")
            values.update(
                benchmark=bench.value,
                size=b["power"],
                size_mcse=b["power_mcse"],
                size_coverage=b["coverage"],
            )
        for k, v in values.items():
            if not isinstance(v, bool) and not (isinstance(v, float) and math.isnan(v)):
                numbers[f"{p}_{k}"] = float(v) if not isinstance(v, int) else v
        claims.append(
            {
                "id": p,
                "number": i + 1,
                "claim_text": _registry_item(entry, claim.source),
                "hypothesis": claim.hypothesis,
                "unit": claim.unit,
                "sample_note": claim.sample_note,
                "assignment": claim.assignment,
                "outcome": claim.outcome,
                "estimator_note": claim.estimator_note,
                "alternative": test.alternative,
                "one_sided": test.alternative != "two-sided",
                "benchmark_units": bench.units if bench else "",
                "benchmark_status": bench.status if bench else "",
                "benchmark_placeholder": bool(bench and bench.status == "placeholder"),
                "benchmark_basis": bench.basis if bench else "",
                "benchmark_source": (bench.source or "") if bench else "",
                "size_ok": bool(
                    bench is None or values["size"] <= 0.05 + 3 * max(values["size_mcse"], 0.007)
                ),
                "main_label": lab.estimators[claim.main],
                "naive_label": lab.estimators[claim.naive],
                "own_units": claim.units is not None,
                "unit_plural": claim.units.unit if claim.units else "",
                "cluster_plural": claim.units.cluster if claim.units else "",
                "stress": stresses,
                "naive_biased": bool(abs(naive["bias"]) > 3 * naive["bias_mcse"]),
                "few_cluster_stress": any(
                    int(st.parameters.get("n_villages", clusters)) < FEW_CLUSTERS
                    for st in claim.stress
                ),
                "few_clusters": FEW_CLUSTERS,
                "naive_undercovers": bool(
                    naive["coverage"] < 0.95 - 3 * max(naive["coverage_mcse"], 0.007)
                ),
                "main_biased": bool(abs(main["bias"]) > 3 * main["bias_mcse"]),
                **values,
            }
        )
        if claim.questionnaire is not None:
            q = claim.questionnaire
            tables[f"{p}_questionnaire"], tables[f"{p}_answers"] = (
                survey_analysis.questionnaire_tables(survey.load_instrument(q.instrument), q.scales)
            )
        claims[-1]["has_questionnaire"] = claim.questionnaire is not None
        claims[-1]["questionnaire_source"] = survey_analysis.settings().questionnaire_columns.source
        tables[f"{p}_diagnosis"] = _diagnosis_table(diag, lab)
        tables[f"{p}_stress"] = _stress_table(stress, claim, lab)
        figures[f"{p}_curve"] = curve_figure(
            res["curve"],
            claim.main,
            values["min_clusters"],
            declared=clusters,
            axis=claim.units.axis if claim.units else None,
        )
    methods = [vocab["methods"][m.code] + (f" ({m.note})" if m.note else "") for m in entry.methods]
    facts = {
        "case": case,
        "short_title": entry.short_title,
        "methods": methods,
        "informants": _informants(entry, lab),
        "evidence": c.evidence,
        "collected_data": c.collected_data,
        "world_basis": world.basis,
        "claims": claims,
        "qualitative": [
            {"claim_text": _registry_item(entry, q.source), "reason": q.reason}
            for q in c.qualitative
        ],
        "sep": SEP,
        "target_power": TARGET_POWER,
    }
    return Page(numbers=numbers, facts=facts, tables=tables, figures=figures)


def claim_ids(case: str) -> list[str]:
    """The ids of a case's claims, in page order."""
    return [cl.id for cl in _case(case).claims]


def stress_ids(case: str, claim_id: str) -> list[str]:
    """The ids of a claim's stress scenarios."""
    return [s.id for cl in _case(case).claims if cl.id == claim_id for s in cl.stress]


__all__ += ["claim_ids", "stress_ids"]
