"""Multiverse (specification-curve) sweeps: one analysis over every combination of choices.

A grid file (``params/sweeps/<name>.yaml``) names a case, an analysis template, the parameter
choices to cross, and the glued estimates to collect::

    case: liupanshui
    analysis: policy_evaluation
    parameters:                 # Cartesian product of these lists
      estimator_control: [never, notyet]
      cluster: [village, household]
    fixed: {cluster: village}   # optional: the same for every run
    reference: {key: policy_text_log_income_planted_att, label: planted effect}   # optional
    estimates:                  # each becomes one more choice, "estimator"
      - label: Callaway–Sant'Anna
        estimate: policy_log_income_cs_att
        ci_low: policy_log_income_cs_ci_low
        ci_high: policy_log_income_cs_ci_high

Every combination is an ordinary runner job (same parameter checks, content-addressed cache
and executors, so a 200-run sweep can go to a Dask cluster unchanged); its notebook and
manifest go to ``.cache/cases/sweeps/<name>/``. The collected table is written, sorted and
stably formatted, to the run results (``.cache/cases/results/sweeps/<name>.json``); ``cases
publish`` records it in ``results/sweeps/<name>.json``, which the book's page reads and
draws as a specification curve (Simonsohn, Simmons and Nelson 2020, "Specification curve
analysis", *Nature Human Behaviour* 4, 1208–1214): estimates sorted with their intervals
above, the choices that produced each one as an indicator panel below.

What a grid may vary is a rule per analysis in ``data/settings/specification_curve.yaml``
(:func:`rules`): parameters that change the data rather than its analysis (the seed, the
simulated sample size) are ``held`` at the chapter's own value, choices that give invalid
inference (clustering below the level of assignment) are refused, and with
``chapter_on_curve`` the chapter's own specification (``params/<case>.yaml``) must be one of
the combinations; it is marked in the table (column ``chapter``) and on the figure.

:func:`joint_inference` adds the paper's joint test: every specification is recomputed on the
sweep's one dataset (estimates must match the record), the null is imposed on each and the
curve is recomputed on resamples (:mod:`cases.methods.multiverse`); :func:`curve_page` reports
the p-values of the median estimate and of the number of significant specifications.
"""

from __future__ import annotations

import ast
import hashlib
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from cases.core import manifest, paths
from cases.core.atomic import write_atomic
from cases.core.errors import ParameterError, RegistryError
from cases.core.files import load_yaml, read_yaml
from cases.present import layout, report
from cases.present.page import Page
from cases.run import pipeline


@dataclass(frozen=True)
class EstimateSpec:
    label: str
    estimate: str
    ci_low: str
    ci_high: str
    #: Varied parameters this estimator does not use (TWFE has no comparison-group choice):
    #: one row per distinct combination of the others, the ignored choice shown as
    #: :data:`NOT_USED`, so the curve holds no redundant specification.
    ignores: tuple[str, ...] = ()
    #: The analysis's own name of the estimator (e.g. ``cs``), with which the curve is
    #: recomputed for joint inference (:func:`joint_inference`); empty: not recomputable.
    estimator: str = ""


#: The value shown for a choice an estimator does not use.
NOT_USED = "not used"


@dataclass(frozen=True)
class Grid:
    name: str
    case: str
    analysis: str
    parameters: dict[str, list[Any]]
    fixed: dict[str, Any]
    estimates: tuple[EstimateSpec, ...]
    #: Optional glued value each run reports as the truth to compare with (e.g. a planted effect).
    reference_key: str | None = None
    reference_label: str = ""
    #: The chapter's own value of every varied parameter (empty: the analysis is not in the
    #: case's chapter, so no combination is marked as the chapter's).
    chapter: dict[str, Any] = field(default_factory=dict)
    #: Parameters held at the chapter's value, ``{name: {"value", "why"}}``, and the refused
    #: choices, ``{name: {value: why}}`` (from :func:`rules`), for the page.
    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    invalid: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return int(np.prod([len(v) for v in self.parameters.values()])) if self.parameters else 1


#: The per-analysis rules of what a specification curve may vary.
RULES: Path = paths.DATA / "settings" / "specification_curve.yaml"


class AnalysisRules(BaseModel):
    """What a grid of one analysis may vary: ``held`` (name: why) parameters stay at the
    chapter's value; ``invalid`` (name: {value: why}) choices are refused; with
    ``chapter_on_curve`` the chapter's specification must be a combination of the grid."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    held: dict[str, str] = {}
    invalid: dict[str, dict[str, str]] = {}
    chapter_on_curve: bool = False
    #: How the page names each parameter in running text (default: the name with spaces).
    labels: dict[str, str] = {}
    #: How the figure and the table head each parameter (default: its label, capitalised).
    headings: dict[str, str] = {}
    #: How the page names each value of a parameter, ``{name: {value: display name}}``
    #: (default: the value as written).
    values: dict[str, dict[str, str]] = {}


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    analyses: dict[str, AnalysisRules]
    #: Headings of the table's own columns (estimator, estimate, ci_low, ci_high, reference,
    #: chapter) and of the ignored-choice value (:data:`NOT_USED`).
    columns: dict[str, str] = {}
    not_used: str = "not used"
    #: The source line under the figure and the table; ``{analysis}`` and ``{case}`` are the
    #: analysis and case titles.
    source: str = "specification curve of the {analysis} analysis, {case}"


@cache
def _load_rules(path: Path) -> _Rules:
    return load_yaml(_Rules, path)


def rules(analysis: str, path: Path | None = None) -> AnalysisRules:
    """The rules of ``analysis`` from ``data/settings/specification_curve.yaml`` (none: an
    analysis the file does not list may vary anything it declares).

    Raises:
        DataValidationError: the file is missing or malformed (file and field named).
    """
    return _load_rules(path or RULES).analyses.get(analysis, AnalysisRules())


@dataclass(frozen=True)
class Display:
    """How the specification-curve page names the parameters, values and columns of a sweep
    record (from ``data/settings/specification_curve.yaml``); no raw name reaches the page."""

    labels: dict[str, str]
    headings: dict[str, str]
    values: dict[str, dict[str, str]]
    source: str

    def label(self, name: str) -> str:
        """The parameter's name in running text (``comparison group``)."""
        return self.labels.get(name, name.replace("_", " "))

    def heading(self, name: str) -> str:
        """The parameter's or column's heading in the figure and the table."""
        if name in self.headings:
            return self.headings[name]
        text = self.label(name)
        return text[:1].upper() + text[1:]

    def value(self, name: str, value: Any) -> str:
        """A value of a parameter as the page names it (``Never-adopting villages``)."""
        return self.values.get(name, {}).get(str(value), str(value))

    def prose_value(self, name: str, value: Any) -> str:
        """:meth:`value` for running text: a named value without its capital letter
        (``never-adopting villages``)."""
        text = self.value(name, value)
        named = str(value) in self.values.get(name, {})
        return text[:1].lower() + text[1:] if named else text


def display(record: dict[str, Any], path: Path | None = None) -> Display:
    """The display names of a sweep ``record`` (see :class:`Display`)."""
    loaded = _load_rules(path or RULES)
    analysis = loaded.analyses.get(record["analysis"], AnalysisRules())
    named = dict(analysis.values)
    values = {
        name: {NOT_USED: loaded.not_used, **named.get(name, {})}
        for name in {*record.get("choices", {}), *named}
    }
    source = loaded.source.format(
        analysis=record["analysis"].replace("_", " "),
        case=record["case"].replace("_", " ").title(),
    )
    return Display(
        labels=dict(analysis.labels),
        headings={**loaded.columns, **analysis.headings},
        values=values,
        source=source,
    )


def chapter_parameters(case: str, analysis: str) -> dict[str, Any] | None:
    """The chapter's own parameters of ``analysis``: the template's defaults overridden by
    ``params/<case>.yaml`` (without ``case``); ``None`` when the chapter does not run it."""
    chapter = {j.analysis: j for j in pipeline.jobs_for(case)}
    if analysis not in chapter:
        return None
    declared = pipeline.notebook_parameters(paths.NOTEBOOKS / f"{analysis}.ipynb")
    values = {}
    for name, spec in declared.items():
        try:
            values[name] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            values[name] = spec["default"]
    values.update(chapter[analysis].parameters)
    values.pop("case", None)
    return values


def _check_rules(
    path: Path,
    case: str,
    analysis: str,
    choices: dict[str, list[Any]],
    fixed: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
    """Apply :func:`rules` to a grid; returns the chapter's values of the varied parameters
    (empty when the chapter does not run the analysis), the held parameters with their values
    and reasons, and the refused choices.

    Raises:
        ParameterError: a held parameter varied or fixed away from the chapter's value, an
            invalid choice, or (``chapter_on_curve``) the chapter's choice missing; the file,
            the field and the reason are named.
    """
    rule = rules(analysis)
    chapter = chapter_parameters(case, analysis)
    where = f"params/{case}.yaml" if chapter is not None else f"notebooks/{analysis}.ipynb"
    for name, why in rule.held.items():
        if name in choices:
            raise ParameterError(
                f"{path}: field 'parameters.{name}': {name} may not vary in a specification "
                f"curve of {analysis}: {why}"
            )
        if name in fixed and chapter is not None and fixed[name] != chapter.get(name):
            raise ParameterError(
                f"{path}: field 'fixed.{name}': {fixed[name]!r} is not the chapter's own value "
                f"{chapter.get(name)!r} ({where}); {name} is held at it: {why}"
            )
    for name, bad in rule.invalid.items():
        listed = [("parameters", v) for v in choices.get(name, [])]
        listed += [("fixed", fixed[name])] if name in fixed else []
        for section, value in listed:
            if str(value) in bad:
                raise ParameterError(
                    f"{path}: field '{section}.{name}': {name}={value!r} is not a valid "
                    f"specification of {analysis}: {bad[str(value)]}"
                )
    if rule.chapter_on_curve and chapter is not None:
        for name, values in choices.items():
            if chapter.get(name) not in values:
                raise ParameterError(
                    f"{path}: field 'parameters.{name}': the chapter's own choice "
                    f"{chapter.get(name)!r} ({where}) is not among {values}; the chapter's "
                    "specification must be on the curve"
                )
        for name, value in fixed.items():
            if value != chapter.get(name):
                raise ParameterError(
                    f"{path}: field 'fixed.{name}': {value!r} is not the chapter's own value "
                    f"{chapter.get(name)!r} ({where}); the chapter's specification must be on "
                    "the curve"
                )
    base = chapter or {}
    held = {n: {"value": fixed.get(n, base.get(n)), "why": w} for n, w in rule.held.items()}
    marked = {n: base[n] for n in choices if n in base} if chapter is not None else {}
    return marked, held, {n: dict(v) for n, v in rule.invalid.items()}


def load_grid(path: str | Path, case: str | None = None) -> Grid:
    """Read and check a grid file.

    Rules: ``case`` (from the file, or the ``case`` argument; both must agree when both are
    given) is a registered slug; ``analysis`` is a template; every name under
    ``parameters`` and ``fixed`` is declared by the template (and not ``case``); every choice
    list is non-empty and without duplicates; at least one estimate, each naming ``label``,
    ``estimate``, ``ci_low`` and ``ci_high``; and the analysis's rules (:func:`rules`): no
    held parameter varied or fixed away from the chapter's value, no invalid choice, and
    (``chapter_on_curve``) the chapter's own specification among the combinations.

    Raises:
        RegistryError: a malformed file (named, with the field).
        ParameterError: an unknown case or parameter, a value of the wrong type, or a choice
            the analysis's rules refuse (file, field and reason named).
    """
    path = Path(path)
    data = read_yaml(path, error=RegistryError)
    if case is not None:
        if "case" in data and str(data["case"]) != case:
            raise ParameterError(f"{path}: grid is for case {data['case']!r}, not {case!r}")
        data = {**data, "case": case}
    missing = [k for k in ("case", "analysis", "parameters", "estimates") if k not in data]
    if missing:
        raise RegistryError(f"{path}: missing field(s) {', '.join(missing)}")
    unknown = set(data) - {"case", "analysis", "parameters", "fixed", "estimates", "reference"}
    if unknown:
        raise RegistryError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}")
    case, analysis = str(data["case"]), str(data["analysis"])
    pipeline.plan([case])  # raises for an unknown slug
    template = paths.NOTEBOOKS / f"{analysis}.ipynb"
    if not template.is_file():
        raise RegistryError(f"{path}: field 'analysis': no template notebooks/{analysis}.ipynb")
    declared = pipeline.notebook_parameters(template)
    choices = data["parameters"] or {}
    fixed = data.get("fixed") or {}
    if not isinstance(choices, dict) or not isinstance(fixed, dict):
        raise RegistryError(f"{path}: 'parameters' and 'fixed' must be mappings")
    both = sorted(set(choices) & set(fixed))
    if both:
        raise RegistryError(
            f"{path}: field 'fixed.{both[0]}': also listed under 'parameters' (vary it or fix it)"
        )
    for name, values in {**choices, **{k: [v] for k, v in fixed.items()}}.items():
        if name == "case" or name not in declared:
            valid = ", ".join(n for n in declared if n != "case")
            raise ParameterError(
                f"{path}: parameter {name!r} is not one {analysis} accepts; valid: {valid}"
            )
        if not isinstance(values, list) or not values:
            raise RegistryError(f"{path}: field 'parameters.{name}' must be a non-empty list")
        if len({json.dumps(v, sort_keys=True) for v in values}) != len(values):
            raise RegistryError(f"{path}: field 'parameters.{name}' repeats a choice")
        for value in values:
            pipeline.coerce_parameter(template, name, value, declared[name]["type"])
    estimates = []
    for i, entry in enumerate(data["estimates"] or []):
        need = ("label", "estimate", "ci_low", "ci_high")
        if not isinstance(entry, dict) or any(k not in entry for k in need):
            raise RegistryError(f"{path}: estimates[{i}] needs {', '.join(need)}")
        ignores = entry.get("ignores") or []
        if not isinstance(ignores, list) or any(n not in choices for n in ignores):
            raise RegistryError(
                f"{path}: estimates[{i}].ignores must list parameters the grid varies "
                f"({', '.join(sorted(choices))}), got {ignores!r}"
            )
        estimates.append(
            EstimateSpec(
                **{k: str(entry[k]) for k in need},
                ignores=tuple(map(str, ignores)),
                estimator=str(entry.get("estimator", "")),
            )
        )
    if not estimates:
        raise RegistryError(f"{path}: field 'estimates' lists no estimate")
    reference = data.get("reference") or {}
    if reference and (not isinstance(reference, dict) or "key" not in reference):
        raise RegistryError(f"{path}: field 'reference' needs a 'key' (and optional 'label')")
    chapter, held, invalid = _check_rules(path, case, analysis, dict(choices), dict(fixed))
    return Grid(
        path.stem,
        case,
        analysis,
        dict(choices),
        dict(fixed),
        tuple(estimates),
        reference_key=reference.get("key"),
        reference_label=str(reference.get("label", "")),
        chapter=chapter,
        held=held,
        invalid=invalid,
    )


def run_id(choice: dict[str, Any]) -> str:
    """A short, stable id for one combination of choices."""
    text = json.dumps(choice, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def combinations(grid: Grid) -> list[dict[str, Any]]:
    """Every combination of the grid's choices, in a stable order."""
    names = sorted(grid.parameters)
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(grid.parameters[n] for n in names))
    ]


def grid_jobs(grid: Grid) -> list[pipeline.Job]:
    """One runner job per combination; the case's own parameters are the base."""
    chapter = {j.analysis: j for j in pipeline.jobs_for(grid.case)}
    base = chapter.get(grid.analysis) or pipeline.Job(grid.analysis, grid.case, {"case": grid.case})
    jobs = []
    for choice in combinations(grid):
        params = {**base.parameters, **grid.fixed, **choice, "case": grid.case}
        jobs.append(
            pipeline.Job(
                analysis=grid.analysis,
                slug=grid.case,
                parameters=params,
                inputs=base.inputs,
                sweep_run=f"{grid.name}/{run_id(choice)}",
            )
        )
    return jobs


def collect(grid: Grid, jobs: Sequence[pipeline.Job]) -> pd.DataFrame:
    """One row per (combination, estimate): the choices, estimate and interval, and
    ``chapter`` (whether the combination is the chapter's own specification). For an estimate
    that ``ignores`` a choice, one row per distinct combination of the other choices (the run
    at the chapter's value of the ignored choice, else its first value), the ignored choice
    shown as :data:`NOT_USED`.

    Raises:
        ParameterError: a run's manifest lacks a listed estimate key (names run and key).
    """
    rows = []
    for job, choice in zip(jobs, combinations(grid), strict=True):
        values = manifest.collect_file(job.results_file)
        for spec in grid.estimates:
            keep_at = {
                n: grid.chapter[n]
                if grid.chapter.get(n) in grid.parameters[n]
                else grid.parameters[n][0]
                for n in spec.ignores
            }
            if any(choice[n] != v for n, v in keep_at.items()):
                continue
            keys = (spec.estimate, spec.ci_low, spec.ci_high, *filter(None, [grid.reference_key]))
            missing = [k for k in keys if k not in values]
            if missing:
                raise ParameterError(
                    f"sweep {grid.name}: run {job.sweep_run} did not glue {', '.join(missing)}"
                )
            rows.append(
                {
                    **{k: NOT_USED if k in spec.ignores else choice[k] for k in sorted(choice)},
                    "estimator": spec.label,
                    "chapter": bool(grid.chapter)
                    and all(choice[k] == grid.chapter.get(k) for k in choice),
                    "estimate": values[spec.estimate]["value"],
                    "ci_low": values[spec.ci_low]["value"],
                    "ci_high": values[spec.ci_high]["value"],
                    **(
                        {"reference": values[grid.reference_key]["value"]}
                        if grid.reference_key
                        else {}
                    ),
                }
            )
    choices = sorted(grid.parameters)
    return pd.DataFrame(manifest.order_specifications(rows, choices)).reset_index(drop=True)


def results_file(name: str) -> Path:
    """Where ``cases sweep`` writes the sweep's table (untracked run results)."""
    return manifest.run_results_path(f"{manifest.SWEEPS}/{name}")


def published_file(name: str) -> Path:
    """The committed table ``results/sweeps/<name>.json`` (written by ``cases publish``)."""
    return manifest.published_path(f"{manifest.SWEEPS}/{name}")


def write_results(grid: Grid, table: pd.DataFrame) -> Path:
    """The run's sweep record: the grid and the table, ordered by estimate with ties broken
    by each specification's identity, floats at the manifests' precision (stable text)."""
    record = {
        "case": grid.case,
        "analysis": grid.analysis,
        "choices": {k: grid.parameters[k] for k in sorted(grid.parameters)},
        "fixed": grid.fixed,
        "chapter_specification": grid.chapter,
        "held": grid.held,
        "invalid": grid.invalid,
        "estimators": [s.label for s in grid.estimates],
        "ignores": {s.label: list(s.ignores) for s in grid.estimates if s.ignores},
        "estimator_keys": {s.label: s.estimator for s in grid.estimates if s.estimator},
        "reference_label": grid.reference_label,
        "specifications": table.to_dict(orient="records"),
    }
    target = results_file(grid.name)
    write_atomic(target, manifest.sweep_record(record))
    return target


def read_results(name: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """The grid description and the table of a finished sweep: this machine's latest run of
    ``cases sweep`` (untracked, :func:`results_file`) when there is one, else the published
    table (``results/sweeps/``). A page thus shows the sweep it was built with, and
    ``cases publish`` can record both together (it needs every page current first).

    Raises:
        RegistryError: the sweep has neither run here nor been published (``cases sweep``,
            then ``cases publish``).
    """
    path = results_file(name)
    if not path.is_file():
        path = published_file(name)
    if not path.is_file():
        raise RegistryError(
            f"{path}: no published results for sweep {name!r}; run `cases sweep` and then "
            "`cases publish` first"
        )
    record = json.loads(path.read_text(encoding="utf-8"))
    return record, pd.DataFrame(record["specifications"])


def run_sweep(
    grid_path: str | Path,
    case: str | None = None,
    n_jobs: int = 1,
    force: bool = False,
    executor: str = "process",
    scheduler: str | None = None,
    on_result: Callable[[pipeline.JobResult], None] | None = None,
) -> tuple[list[pipeline.JobResult], pd.DataFrame | None]:
    """Run every combination of a grid (cached, parallel or on Dask) and collect the table.

    Returns the job results and the table (``None`` if any run failed; nothing is written).
    """
    grid = load_grid(grid_path, case)
    jobs = grid_jobs(grid)
    results = pipeline.run(
        jobs,
        n_jobs=n_jobs,
        force=force,
        on_result=on_result,
        executor=executor,
        scheduler=scheduler,
    )
    if any(r.status not in {"ran", "cached"} for r in results):
        return results, None
    table = collect(grid, jobs)
    write_results(grid, table)
    return results, table


def spec_curve_figure(
    table: pd.DataFrame,
    choice_columns: Sequence[str],
    *,
    title: str,
    reference: float | None = None,
    reference_label: str = "",
    highlight: str | None = None,
    highlight_label: str = "",
    names: Display | None = None,
) -> mpl.figure.Figure:
    """Specification curve: estimates sorted, with intervals (top); the choices behind each
    estimate as filled markers (bottom). ``reference`` draws a horizontal line (e.g. a planted
    value), labelled ``reference_label``. ``highlight`` names a boolean column (e.g.
    ``chapter``): its rows get a ring in the top panel and a shaded column through both,
    labelled ``highlight_label``. With ``names`` the choice rows are labelled by their
    headings and display values (``Comparison group: Never-adopting villages``), else by the
    raw ``name: value``."""
    ordered = table.sort_values("estimate").reset_index(drop=True)
    x = np.arange(len(ordered))
    rows = [
        (col, value)
        for col in choice_columns
        for value in sorted(ordered[col].astype(str).unique())
    ]
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        sharex=True,
        figsize=(report.COLUMN_WIDTH_IN, 3.6 + 0.28 * len(rows)),
        height_ratios=[2.2, 0.35 * len(rows) + 0.4],
    )
    excludes_zero = (ordered["ci_low"] > 0) | (ordered["ci_high"] < 0)
    colours = np.where(excludes_zero, "#0072B2", "#999999")
    top.vlines(x, ordered["ci_low"], ordered["ci_high"], colors=colours, lw=1.2)
    top.scatter(x, ordered["estimate"], c=colours, s=18, zorder=3)
    top.axhline(0, color="#000000", lw=0.8)
    if highlight is not None and highlight in ordered:
        marked = ordered[highlight].astype(bool).to_numpy()
        for ax in (top, bottom):
            for xi in x[marked]:
                ax.axvspan(xi - 0.45, xi + 0.45, color="#F0E442", alpha=0.35, lw=0, zorder=0)
        top.scatter(
            x[marked],
            ordered.loc[marked, "estimate"],
            s=90,
            facecolors="none",
            edgecolors="#000000",
            linewidths=1.2,
            zorder=4,
            label=highlight_label or None,
        )
    if reference is not None:
        top.axhline(reference, color="#D55E00", ls="--", lw=1, label=reference_label or None)
    if top.get_legend_handles_labels()[1]:
        layout.legend_outside(fig, "below", ncols=1)
    top.set_ylabel("Estimate (95% CI)")
    top.set_title(title, loc="left")
    for r, (col, value) in enumerate(rows):
        chosen = (ordered[col].astype(str) == value).to_numpy()
        bottom.scatter(x[chosen], [r] * int(chosen.sum()), marker="s", s=22, color="#333333")
        bottom.scatter(x[~chosen], [r] * int((~chosen).sum()), marker="s", s=22, color="#E0E0E0")
    ticks = [f"{names.heading(c)}: {names.value(c, v)}" if names else f"{c}: {v}" for c, v in rows]
    bottom.set_yticks(range(len(rows)), ticks)
    bottom.invert_yaxis()
    bottom.set_xlabel("Specification (sorted by estimate)")
    bottom.set_xticks([])
    return fig


#: The table's columns after the choices, in this order.
_RESULT_COLUMNS = ("estimate", "ci_low", "ci_high", "reference", "chapter")


def curve_table(record: dict[str, Any], table: pd.DataFrame) -> pd.DataFrame:
    """The page's table of every specification: the estimator and the choices (display
    names), then estimate, interval low and high, the planted value and the chapter flag,
    sorted by estimate, all headed by :class:`Display` headings. Numbers are unchanged."""
    names = display(record)
    choices = ["estimator", *[c for c in record["choices"] if c in table]]
    order = [*choices, *[c for c in _RESULT_COLUMNS if c in table]]
    out = table.sort_values("estimate", kind="stable")[order].reset_index(drop=True)
    for name in choices:
        out[name] = [names.value(name, v) for v in out[name]]
    if "chapter" in out:
        out["chapter"] = out["chapter"].map({True: "yes", False: ""})
    return out.rename(columns={c: names.heading(c) for c in out.columns})


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per estimator: number of specifications, median estimate, range, and the share of
    intervals that exclude zero."""
    excl = (table["ci_low"] > 0) | (table["ci_high"] < 0)
    grouped = table.assign(excludes_zero=excl).groupby("estimator", sort=True)
    out = grouped.agg(
        n=("estimate", "size"),
        median=("estimate", "median"),
        low=("estimate", "min"),
        high=("estimate", "max"),
        share_excluding_zero=("excludes_zero", "mean"),
    )
    if "reference" in table:
        out["median_minus_reference"] = out["median"] - grouped["reference"].median()
    return out


def curve_page(record: dict[str, Any], table: pd.DataFrame, joint: Any = None) -> Page:
    """The specification-curve page of a finished sweep: numbers and facts for
    ``text/specification_curve.md`` (no sentences).

    Numbers: ``n_specs``, ``n_runs``, ``n_estimators``, ``min``, ``max``, ``share_excl_zero``
    (per cent of intervals excluding zero) and ``reference`` (median planted value, or None).
    Facts: the case and analysis titles; ``choices`` (name, label, options), ``held`` and
    ``invalid`` (name, value, why, from the record), ``ignores`` (estimator, labels of the
    choices it does not use), ``chapter_choices`` (label, value) and
    ``chapter`` (the chapter's estimates: estimator, estimate, ci_low, ci_high), and
    ``by_estimator`` (:func:`summarise` per estimator, ``gap`` from the planted value or None).
    With ``joint`` (a :func:`joint_inference` result): the numbers of :func:`joint_numbers`
    (the direction as the fact ``joint_positive``), the fact ``joint`` (True) and
    ``joint_excluded`` (per specification left out of the joint test: its choices in
    words and the resamples in which it gave no estimate).
    """
    names = display(record)
    label = names.label

    excl = (table["ci_low"] > 0) | (table["ci_high"] < 0)
    reference = float(table["reference"].median()) if "reference" in table else None
    summary = summarise(table)
    page = Page()
    page.numbers.update(
        {
            "n_specs": len(table),
            "n_runs": int(np.prod([len(v) for v in record["choices"].values()])),
            "n_estimators": len(record["estimators"]),
            "min": float(table["estimate"].min()),
            "max": float(table["estimate"].max()),
            "share_excl_zero": 100 * float(excl.mean()),
        }
    )
    if reference is not None:
        page.numbers["reference"] = reference
    joint_facts: dict[str, Any] = {"joint": joint is not None}
    if joint is not None:
        values = joint_numbers(joint)
        joint_facts["joint_positive"] = values.pop("joint_positive")
        page.numbers.update(values)
        ordered = table.reset_index(drop=True)
        choice_names = ["estimator", *[c for c in record["choices"] if c in ordered]]
        joint_facts["joint_excluded"] = [
            {
                "choices": [names.prose_value(c, ordered.loc[k, c]) for c in choice_names],
                "failures": int(joint.failures[k]),
            }
            for k in joint.excluded
        ]
    page.tolerances = {k: 1e-6 for k, v in page.numbers.items() if isinstance(v, float)}
    if joint is not None:
        # Resampled shares: one resample whose statistic ties the observed one to the last
        # digits can fall the other way on another processor; a few resamples of 500 either
        # way change no conclusion.
        page.tolerances.update({"joint_p_median": 0.01, "joint_p_significant": 0.01})
    marked = table.loc[table["chapter"].astype(bool)] if "chapter" in table else table.iloc[:0]
    page.facts.update(
        {
            **joint_facts,
            "reference": reference,
            "case_title": record["case"].replace("_", " ").title(),
            "source": names.source,
            "analysis": record["analysis"],
            "analysis_title": record["analysis"].replace("_", " "),
            "choices": [
                {"name": k, "label": label(k), "options": [names.prose_value(k, v) for v in vals]}
                for k, vals in record["choices"].items()
            ],
            "estimators": list(record["estimators"]),
            "ignores": [
                {"estimator": e, "labels": [label(n) for n in names]}
                for e, names in record.get("ignores", {}).items()
            ],
            "held": [
                {
                    "name": k,
                    "label": label(k),
                    "value": names.prose_value(k, h["value"]),
                    "why": h["why"],
                }
                for k, h in record.get("held", {}).items()
            ],
            "invalid": [
                {"name": k, "label": label(k), "value": v, "why": why}
                for k, bad in record.get("invalid", {}).items()
                for v, why in bad.items()
            ],
            "chapter_choices": [
                {"label": label(k), "value": names.prose_value(k, v)}
                for k, v in record.get("chapter_specification", {}).items()
            ],
            "chapter": [
                {k: row[k] for k in ("estimator", "estimate", "ci_low", "ci_high")}
                for _, row in marked.sort_values("estimator").iterrows()
            ],
            "by_estimator": [
                {
                    "estimator": name,
                    "median": float(row["median"]),
                    "low": float(row["low"]),
                    "high": float(row["high"]),
                    "gap": float(row["median_minus_reference"])
                    if "median_minus_reference" in row
                    else None,
                }
                for name, row in summary.iterrows()
            ],
        }
    )
    return page


# --------------------------------------------------------------------------------------------
# Joint inference (Simonsohn, Simmons and Nelson 2020)
# --------------------------------------------------------------------------------------------
#: Largest difference allowed between the sweep's published estimates and their recomputation
#: for joint inference (units of the estimate; the record keeps 6 significant digits).
RECOMPUTE_TOLERANCE = 1e-6


def _policy_specifications(
    record: dict[str, Any], table: pd.DataFrame
) -> tuple[pd.DataFrame, list[Any], dict[str, str]]:
    """The policy evaluation's curve as callables on its one dataset (the record's held
    seed, sample size and data folder)."""
    from cases.pages import policy_evaluation as pe

    held = {k: v.get("value") for k, v in record.get("held", {}).items()}
    keys = record.get("estimator_keys") or {}
    missing = sorted(set(table["estimator"]) - set(keys))
    if missing:
        raise ParameterError(
            f"sweep of {record['case']}/{record['analysis']}: estimator(s) {missing} have no "
            "'estimator' key in the grid, so the curve cannot be recomputed; add it and rerun "
            "`cases sweep`"
        )
    fixed = record.get("fixed", {})

    def choice(row: pd.Series, name: str, default: str) -> str:
        value = row.get(name, fixed.get(name, default))
        return default if value == NOT_USED or pd.isna(value) else str(value)

    specs = [
        pe.Specification(
            case=record["case"],
            outcome=pe.design(record["case"]).outcomes[0].key,
            estimator=keys[row["estimator"]],
            control=choice(row, "estimator_control", "never"),
            sample=choice(row, "sample", "all"),
            covariates=choice(row, "covariates", "none"),
            cluster=choice(row, "cluster", "village"),
        )
        for _, row in table.iterrows()
    ]
    panel, columns = pe.curve_panel(
        record["case"],
        seed=int(held["seed"]),
        n=int(held["n"]),
        data_dir=str(held.get("data_dir") or ""),
        covariates=any(s.covariates != "none" for s in specs),
    )
    return panel, specs, columns


#: Analyses whose curve :func:`joint_inference` can recompute, and how.
JOINT_ANALYSES: dict[str, Callable[..., tuple[pd.DataFrame, list[Any], dict[str, str]]]] = {
    "policy_evaluation": _policy_specifications,
}


def joint_inference(
    record: dict[str, Any],
    table: pd.DataFrame,
    draws: int = 500,
    seed: int = 20201123,
    jobs: int = 1,
) -> Any:
    """Joint inference on a finished sweep's curve (Simonsohn, Simmons and Nelson 2020): every
    specification of ``table`` recomputed on the sweep's one dataset, the null imposed on each,
    ``draws`` cluster-bootstrap resamples (:func:`cases.methods.multiverse.null_resampling`,
    seeded by ``seed``, identical for any ``jobs``). Returns its
    :class:`~cases.methods.multiverse.NullCurve`, whose ``estimates`` follow ``table``'s rows.

    Raises:
        ParameterError: an analysis without a recomputation rule, a grid without estimator
            keys, or a recomputed estimate that differs from the sweep's by more than
            :data:`RECOMPUTE_TOLERANCE` (the sweep is stale: rerun ``cases sweep``).
    """
    from cases.methods.multiverse import null_resampling

    rule = JOINT_ANALYSES.get(record["analysis"])
    if rule is None:
        raise ParameterError(
            f"joint inference is defined for {sorted(JOINT_ANALYSES)}, not {record['analysis']!r}"
        )
    table = table.reset_index(drop=True)
    panel, specs, columns = rule(record, table)
    result = null_resampling(panel, specs, draws=draws, seed=seed, jobs=jobs, **columns)
    gap = np.abs(result.estimates - table["estimate"].to_numpy(float))
    if gap.max() > RECOMPUTE_TOLERANCE:
        worst = int(gap.argmax())
        raise ParameterError(
            f"sweep of {record['case']}/{record['analysis']}: specification {worst + 1} "
            f"({table.loc[worst, 'estimator']}) recomputes to {result.estimates[worst]:.6g}, "
            f"not the sweep's {table.loc[worst, 'estimate']:.6g}; rerun `cases sweep`"
        )
    return result


def joint_numbers(result: Any) -> dict[str, Any]:
    """The page's numbers of a :func:`joint_inference` result: ``joint_draws``,
    ``joint_n_specs``, ``joint_median`` (units of the estimate), ``joint_p_median``,
    ``joint_n_significant`` (significant at 5 % in the dominant direction),
    ``joint_p_significant``, ``joint_seed``, ``joint_n_incomplete`` (resamples in which some
    tested specification gave no estimate), ``joint_n_excluded`` (specifications left out:
    no estimate in too many resamples), and ``joint_positive`` (the dominant direction
    is positive)."""
    return {
        "joint_draws": int(result.draws),
        "joint_n_specs": int(result.n_specifications),
        "joint_n_excluded": len(result.excluded),
        "joint_median": float(result.median),
        "joint_p_median": float(result.p_median),
        "joint_n_significant": int(result.n_significant),
        "joint_p_significant": float(result.p_significant),
        "joint_seed": int(result.seed),
        "joint_n_incomplete": int(result.n_incomplete),
        "joint_positive": bool(result.direction > 0),
    }
