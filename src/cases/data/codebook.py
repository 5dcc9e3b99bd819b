"""The codebook of the qualitative coding (``data/qual/codebook.yaml``): its model and loader.

The codebook is data that the registry (every coded field of a case file) and the coding
methods (:mod:`cases.methods.qual`) both read, so it lives in the data layer. Families group
codes; every code id begins with its family id; coders and the coded source texts (with their
SHA-256) are recorded beside the codes.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cases.core import paths
from cases.core.files import load_yaml
from cases.data.instruments import by_id


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Family(_Strict):
    """A code family (actors, mechanisms, problems, ...) and the registry field it codes."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    registry_field: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    definition: str


class Code(_Strict):
    """One code: id, family, label, definition, inclusion and exclusion rules, and an invented
    example (never a quotation)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    family: str
    label: str = Field(min_length=3)
    definition: str = Field(min_length=10)
    include: str = Field(min_length=10)
    exclude: str = Field(min_length=10)
    example: str = Field(min_length=5)


class Coder(_Strict):
    """Who coded, when, and how independent the pass was."""

    id: str
    description: str


class Source(_Strict):
    """A coded source text: its file name, length in characters and SHA-256 of its bytes."""

    case: str
    file: str
    chars: int = Field(gt=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Codebook(_Strict):
    """The one codebook: families, codes (each in one family), coders and coded sources.

    Every code id begins with its family id and an underscore (``problem_formalism``), so a
    code names its family wherever it appears.
    """

    title: str
    version: int = Field(ge=1)
    segmentation_rule: str
    families: list[Family] = Field(min_length=1)
    codes: list[Code] = Field(min_length=1)
    coders: list[Coder] = Field(min_length=1)
    sources: dict[str, Source] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Codebook:
        families = {f.id for f in self.families}
        fields = [f.registry_field for f in self.families]
        if len(set(fields)) != len(fields):
            raise ValueError("families: two families code the same registry_field")
        ids = [c.id for c in self.codes]
        dupes = sorted({c for c in ids if ids.count(c) > 1})
        if dupes:
            raise ValueError(f"codes: duplicate code(s) {dupes}")
        for i, c in enumerate(self.codes):
            if c.family not in families:
                raise ValueError(f"codes.{i} ({c.id}): unknown family {c.family!r}")
            if not c.id.startswith(c.family + "_"):
                raise ValueError(
                    f"codes.{i} ({c.id}): the id must begin with its family {c.family + '_'!r}"
                )
        return self

    @property
    def code_ids(self) -> list[str]:
        """Code ids in codebook order."""
        return [c.id for c in self.codes]

    def code(self, code: str) -> Code:
        """The code with this id; KeyError naming it if unknown."""
        return by_id(self.codes, code, f"unknown code {code!r}")

    def family_of(self, code: str) -> str:
        """Family of a code; KeyError naming it if unknown."""
        return self.code(code).family

    def label_of(self, code: str) -> str:
        """Label of a code; KeyError naming it if unknown."""
        return self.code(code).label

    def codes_of(self, family: str) -> dict[str, str]:
        """``{code: label}`` of one family, in codebook order (empty if the family is unknown)."""
        return {c.id: c.label for c in self.codes if c.family == family}

    def family_for_field(self, registry_field: str) -> str:
        """The family id that codes a registry field (``problems`` -> ``problem``)."""
        for f in self.families:
            if f.registry_field == registry_field:
                return f.id
        raise KeyError(f"no family codes the registry field {registry_field!r}")


def load_codebook(path: str | os.PathLike[str] = paths.QUAL / "codebook.yaml") -> Codebook:
    """Load and validate a codebook YAML file.

    Raises:
        DataValidationError: file missing, not YAML, or a field fails validation (the message
            names the file and the field, e.g. ``codes[3].family``).
    """
    return load_yaml(Codebook, path)
