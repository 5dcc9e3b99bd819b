"""What runs for each case: the parameter files ``params/<slug>.yaml`` and the templates'
parameter cells.

A *job* is one analysis template (``notebooks/<analysis>.ipynb``) run for one case (or once for
the whole book, ``params/_book.yaml``) with the parameters its file lists. This module reads and
checks those files and inspects templates; it runs nothing (the runner is
:mod:`cases.run.pipeline`), so page builders and the guide may list jobs without importing the
run layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from cases.core import manifest, paths
from cases.core.errors import ParameterError, RegistryError
from cases.core.files import read_yaml
from cases.data.registry import slugs as registered_slugs

BOOK_PARAMS = "_book"


# --------------------------------------------------------------------------- jobs and params


@dataclass(frozen=True)
class Job:
    """One notebook execution: an analysis template run for a case (or for the whole book)."""

    analysis: str
    slug: str | None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    #: A sweep run's own name, relative to ``.cache/cases/sweeps`` (``<grid>/<run id>``); its
    #: notebook and manifest go there instead of into ``book/`` and ``results/``.
    sweep_run: str | None = None
    #: An own-data run's output folder (``cases report``/``cases run --out``): its notebook and
    #: manifest go there, never into ``book/`` or ``results/``.
    out_dir: str | None = None

    @property
    def name(self) -> str:
        if self.sweep_run:
            return f"sweep/{self.sweep_run}"
        return f"{self.slug}/{self.analysis}" if self.slug else self.analysis

    @property
    def template(self) -> Path:
        return paths.NOTEBOOKS / f"{self.analysis}.ipynb"

    @property
    def output(self) -> Path:
        if self.sweep_run:
            return paths.CACHE / "sweeps" / f"{self.sweep_run}.ipynb"
        if self.out_dir:
            return Path(self.out_dir) / f"{self.analysis}.ipynb"
        if self.slug:
            return paths.BOOK / "cases" / self.slug / f"{self.analysis}.ipynb"
        return paths.BOOK / f"{self.analysis}.ipynb"

    @property
    def results_file(self) -> Path:
        """Where the run's manifest of glued values is written (untracked: the committed
        ``results/`` changes only through ``cases publish``)."""
        if self.sweep_run:
            return paths.CACHE / "sweeps" / f"{self.sweep_run}.json"
        if self.out_dir:
            return Path(self.out_dir) / "results" / f"{self.analysis}.json"
        return manifest.run_results_path(self.name)


def _read_params_file(path: Path) -> dict:
    data = read_yaml(path, error=RegistryError)
    if not isinstance(data.get("analyses"), list):
        raise RegistryError(f"{path}: expected a mapping with a list under 'analyses'")
    return data


def jobs_for(slug: str) -> list[Job]:
    """The jobs of one case's chapter (``params/<slug>.yaml``), in chapter order.

    Each entry of ``analyses`` is ``{name: <template>, parameters: {...}, inputs: [...]}``;
    ``case`` is always set to the slug. ``inputs`` lists data files (relative to the project
    root) whose content decides whether the job is stale.

    Raises:
        RegistryError: unknown slug, or a malformed parameter file (named).
    """
    if slug != BOOK_PARAMS and slug not in registered_slugs():
        valid = ", ".join(registered_slugs())
        raise RegistryError(f"unknown case slug {slug!r}; valid slugs: {valid}")
    path = paths.PARAMS / f"{slug}.yaml"
    data = _read_params_file(path)
    jobs = []
    for i, entry in enumerate(data["analyses"]):
        if not isinstance(entry, dict) or "name" not in entry:
            raise RegistryError(f"{path}: analyses[{i}] needs a 'name'")
        extra = set(entry) - {"name", "parameters", "inputs"}
        if extra:
            raise RegistryError(f"{path}: analyses[{i}] has unknown key(s) {sorted(extra)}")
        params = dict(entry.get("parameters") or {})
        if slug != BOOK_PARAMS:
            params["case"] = slug
        jobs.append(
            Job(
                analysis=entry["name"],
                slug=None if slug == BOOK_PARAMS else slug,
                parameters=params,
                inputs=tuple(entry.get("inputs") or ()),
            )
        )
    return jobs


def book_jobs() -> list[Job]:
    """Book-level notebooks (``params/_book.yaml``), run after every case notebook."""
    return jobs_for(BOOK_PARAMS)


def plan(selected: Sequence[str] | None = None, include_book: bool | None = None) -> list[Job]:
    """Jobs for the selected slugs (all cases when ``None``), then the book-level jobs.

    Book-level jobs are included when every case is selected, unless ``include_book`` says.
    """
    all_slugs = registered_slugs()
    chosen = list(all_slugs) if not selected else list(dict.fromkeys(selected))
    unknown = [s for s in chosen if s not in all_slugs]
    if unknown:
        raise RegistryError(
            f"unknown case slug(s) {', '.join(map(repr, unknown))}; "
            f"valid slugs: {', '.join(all_slugs)}"
        )
    jobs = [job for slug in chosen for job in jobs_for(slug)]
    if include_book if include_book is not None else not selected:
        jobs.extend(book_jobs())
    return jobs


def notebook_parameters(template: Path) -> dict[str, dict[str, Any]]:
    """The parameters declared in a template's ``parameters`` cell (papermill's inspection).

    Returns ``{name: {"type": "int"|"str"|..., "default": <source text>, "help": <comment>}}``;
    ``{}`` when the tagged cell declares nothing.

    Raises:
        ParameterError: the template has no cell tagged ``parameters``.
    """
    import papermill

    if not template.is_file():
        raise ParameterError(f"notebook template not found: {template}")
    cells = nbformat.read(template, as_version=4).cells
    if not any("parameters" in c.metadata.get("tags", []) for c in cells):
        raise ParameterError(f"{template}: no cell tagged 'parameters'")
    # A page that reads only committed tables declares nothing (its cell holds a comment).
    found = papermill.inspect_notebook(str(template))
    return {
        name: {
            "type": spec["inferred_type_name"],
            "default": spec["default"],
            "help": spec["help"],
        }
        for name, spec in found.items()
    }
