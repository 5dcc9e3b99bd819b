"""The five-case registry: one YAML file per case in ``data/cases/``.

Each file paraphrases one thesis abstract into a fixed structure (place, study design,
theories, methods, actors, mechanisms, achievements, problems, causes, recommendations,
benchmark places). Every coded item (theories, methods, actors, mechanisms, achievements,
problems, causes, recommendations) carries a code of the compendium's one codebook,
``data/qual/codebook.yaml`` — the same codebook the coded corpus of the abstracts uses — so the
cases can be compared item by item and a case profile agrees with its coded abstract.

Contract: :func:`list_cases` and :func:`load_case` are called by outside checks.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cases.core import paths
from cases.core.errors import RegistryError
from cases.core.files import field_path, read_yaml

PolicyStage = Literal["targeted_poverty_alleviation", "consolidation_relative_poverty"]

POLICY_STAGE_LABELS: dict[str, str] = {
    "targeted_poverty_alleviation": "Targeted poverty alleviation (to 2020)",
    "consolidation_relative_poverty": "Consolidation and relative poverty (after 2020)",
}

#: The coded fields of a case file, in the order the book presents them. Each is coded by one
#: family of the codebook (its ``registry_field``).
CODED_FIELDS: tuple[str, ...] = (
    "theories",
    "methods",
    "actors",
    "mechanisms",
    "achievements",
    "problems",
    "causes",
    "recommendations",
)

__all__ = [
    "CODED_FIELDS",
    "POLICY_STAGE_LABELS",
    "Actor",
    "Benchmark",
    "Case",
    "CodedItem",
    "DescribedItem",
    "Mechanism",
    "Place",
    "PolicyStage",
    "Source",
    "Study",
    "case_files",
    "codebook_path",
    "list_cases",
    "load_case",
    "load_vocabulary",
    "parse_case_file",
    "profile_tables",
    "slugs",
]


class _Model(BaseModel):
    # Unknown keys are typos until proven otherwise: refuse them.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Place(_Model):
    name: str = Field(min_length=1)
    name_zh: str = Field(min_length=1)
    province: str = Field(min_length=1)
    province_zh: str = Field(min_length=1)
    admin_level: str = Field(min_length=1)
    anonymised: bool


class Study(_Model):
    #: Study years, ``YYYY–YYYY`` (en dash or hyphen), e.g. ``2017–2019``.
    period: str = Field(pattern=r"^\d{4}[–-]\d{4}$")
    period_basis: str = Field(min_length=1)
    policy_stage: PolicyStage
    research_question: str = Field(min_length=1)


class CodedItem(_Model):
    """An item tagged with a codebook code and an optional note in the case's own terms."""

    code: str
    note: str | None = None


class Actor(_Model):
    code: str
    role: str = Field(min_length=1)


class DescribedItem(_Model):
    code: str
    description: str = Field(min_length=1)


class Mechanism(_Model):
    code: str
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)


class Benchmark(_Model):
    place: str
    place_zh: str
    province: str
    lesson: str


class Source(_Model):
    bibkey: str = Field(pattern=r"^[a-z0-9_]+$")
    seed_file: str


class Case(_Model):
    """One case study, validated. Field names match the YAML keys."""

    slug: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    short_title: str = Field(min_length=1)
    place: Place
    study: Study
    theories: tuple[CodedItem, ...] = Field(min_length=1)
    methods: tuple[CodedItem, ...] = Field(min_length=1)
    informants: tuple[str, ...] = Field(min_length=1)
    actors: tuple[Actor, ...] = Field(min_length=1)
    mechanisms: tuple[Mechanism, ...] = Field(min_length=1)
    achievements: tuple[DescribedItem, ...] = ()
    problems: tuple[DescribedItem, ...] = Field(min_length=1)
    # May be empty: an abstract can report problems without stating their causes (H County).
    causes: tuple[DescribedItem, ...] = ()
    recommendations: tuple[DescribedItem, ...] = Field(min_length=1)
    benchmarks: tuple[Benchmark, ...] = ()
    source: Source

    @field_validator("informants")
    @classmethod
    def _non_empty_strings(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for i, item in enumerate(value):
            if not item.strip():
                raise ValueError(f"item {i} is empty")
        return value

    def codes(self, field: str) -> list[str]:
        """Codebook codes of one coded field (``theories``, ``methods``, ``actors``, ...)."""
        if field not in CODED_FIELDS:
            raise ValueError(f"field must be one of {CODED_FIELDS}, got {field!r}")
        return [item.code for item in getattr(self, field)]


def codebook_path() -> Path:
    """The one codebook, ``data/qual/codebook.yaml``."""
    return paths.QUAL / "codebook.yaml"


@lru_cache(maxsize=4)
def load_vocabulary(path: Path | None = None) -> dict[str, dict[str, str]]:
    """Return ``{field: {code: label}}`` for every coded field, from the one codebook.

    The codes of a field are those of the codebook family whose ``registry_field`` it is
    (``problems`` -> family ``problem``), with their labels.

    Raises:
        RegistryError: the codebook is missing or invalid, or a coded field has no family
            (the message names the file).
    """
    from cases.core.errors import DataValidationError
    from cases.data.codebook import load_codebook

    path = Path(path) if path is not None else codebook_path()
    try:
        codebook = load_codebook(path)
    except DataValidationError as exc:
        raise RegistryError(str(exc)) from None
    families = {f.registry_field: f.id for f in codebook.families}
    missing = [f for f in CODED_FIELDS if f not in families]
    if missing:
        raise RegistryError(f"{path}: no code family for field(s) {', '.join(missing)}")
    return {field: codebook.codes_of(families[field]) for field in CODED_FIELDS}


def parse_case_file(path: Path, vocabulary: dict[str, dict[str, str]] | None = None) -> Case:
    """Read and validate one case file.

    Rules: every required field present and non-empty; no unknown keys; ``slug`` equals the
    file stem; every coded item uses a code of the codebook family that codes its field.

    Raises:
        RegistryError: naming the file and the field (dotted path, e.g. ``study.policy_stage``).
    """
    path = Path(path)
    data = read_yaml(path, error=RegistryError)
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"field '{field_path(e['loc'])}': {e['msg']}" for e in exc.errors())
        raise RegistryError(f"{path}: {problems}") from None
    if case.slug != path.stem:
        raise RegistryError(f"{path}: field 'slug' is {case.slug!r} but the file is {path.name}")
    vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
    unknown = [
        f"field '{field}[{i}].code': unknown code {item.code!r} for {field}"
        for field in CODED_FIELDS
        for i, item in enumerate(getattr(case, field))
        if item.code not in vocabulary[field]
    ]
    if unknown:
        raise RegistryError(
            f"{path}: " + "; ".join(unknown) + " (see the codes of its family in "
            "data/qual/codebook.yaml)"
        )
    return case


def case_files(cases_dir: Path | None = None) -> list[Path]:
    """The case files, sorted by name."""
    return sorted((cases_dir or paths.CASES_DIR).glob("*.yaml"))


def list_cases(cases_dir: Path | None = None) -> list[Case]:
    """All registered cases, validated, in slug order.

    Raises:
        RegistryError: if any case file is malformed (the first one found, named).
    """
    return [parse_case_file(p) for p in case_files(cases_dir)]


def slugs(cases_dir: Path | None = None) -> list[str]:
    """The registered slugs, from the file names (no validation)."""
    return [p.stem for p in case_files(cases_dir)]


def load_case(slug: str, cases_dir: Path | None = None) -> Case:
    """Load one case by slug.

    Raises:
        RegistryError: unknown slug (the message lists the valid ones) or a malformed file.
    """
    path = (cases_dir or paths.CASES_DIR) / f"{slug}.yaml"
    if not path.is_file():
        valid = ", ".join(slugs(cases_dir))
        raise RegistryError(f"unknown case slug {slug!r}; valid slugs: {valid}")
    return parse_case_file(path)


#: The profile tables of the described items: table key, case field, column names.
_DESCRIBED_TABLES: tuple[tuple[str, str, list[str]], ...] = (
    ("findings", "achievements", ["Code", "Reported achievement"]),
    ("problems", "problems", ["Problem", "As described in the thesis"]),
    ("causes", "causes", ["Cause", "As given in the thesis"]),
    ("recommendations", "recommendations", ["Recommendation", "As proposed in the thesis"]),
)


def profile_tables(case: Case) -> dict[str, pd.DataFrame]:
    """The tables of a case profile, keyed by section: design, actors, mechanisms, findings,
    problems, causes, recommendations and (if any) benchmarks. Codes are shown as codebook
    labels beside the case's own wording."""
    vocab = load_vocabulary()
    design = pd.DataFrame(
        [
            ("Place", f"{case.place.name} ({case.place.name_zh})"),
            ("Province", f"{case.place.province} ({case.place.province_zh})"),
            ("Administrative level", case.place.admin_level),
            ("Name anonymised in the thesis", "yes" if case.place.anonymised else "no"),
            ("Study period (inferred)", case.study.period),
            ("Policy stage", POLICY_STAGE_LABELS[case.study.policy_stage]),
            ("Research question", case.study.research_question),
            ("Theories", "; ".join(vocab["theories"][t.code] for t in case.theories)),
            (
                "Methods",
                "; ".join(
                    vocab["methods"][m.code] + (f" ({m.note})" if m.note else "")
                    for m in case.methods
                ),
            ),
            ("Informants", "; ".join(case.informants)),
        ],
        columns=["Item", "Description"],
    )
    tables = {
        "design": design,
        "actors": pd.DataFrame(
            [(vocab["actors"][a.code], a.role) for a in case.actors], columns=["Actor", "Role"]
        ),
        "mechanisms": pd.DataFrame(
            [(vocab["mechanisms"][m.code], m.name, m.description) for m in case.mechanisms],
            columns=["Code", "Mechanism", "How it works"],
        ),
    }
    for key, field, columns in _DESCRIBED_TABLES:
        items: tuple[DescribedItem, ...] = getattr(case, field)
        tables[key] = pd.DataFrame(
            [(vocab[field][item.code], item.description) for item in items], columns=columns
        )
    if case.benchmarks:
        tables["benchmarks"] = pd.DataFrame(
            [(f"{b.place} ({b.place_zh})", b.province, b.lesson) for b in case.benchmarks],
            columns=["Benchmark place", "Province", "Lesson drawn"],
        )
    return tables
