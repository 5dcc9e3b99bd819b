"""Survey instruments (Likert questionnaires) as data: the model and the loader.

An instrument lives as YAML in ``data/instruments/``: its items, scales (with reverse-worded
items), the response range and the declared missing codes. The field-data reader
(:mod:`cases.data.io`) and the reliability methods (:mod:`cases.methods.survey`, which
re-exports these names as the contract module ``cases.survey``) both use it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cases.core.errors import DataValidationError
from cases.core.files import load_yaml
from cases.core.paths import INSTRUMENTS

_Entry = TypeVar("_Entry")


def by_id(entries: Iterable[_Entry], wanted: str, missing: str) -> _Entry:
    """The first of ``entries`` whose ``id`` is ``wanted``.

    Raises:
        KeyError: none has it (message ``missing``).
    """
    for entry in entries:
        if entry.id == wanted:  # type: ignore[attr-defined]
            return entry
    raise KeyError(missing)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResponseRange(_Strict):
    """Integer response codes ``min..max`` with optional bilingual labels per code."""

    min: int
    max: int
    labels_en: dict[int, str] = Field(default_factory=dict)
    labels_zh: dict[int, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> ResponseRange:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must exceed min ({self.min})")
        for name, labels in (("labels_en", self.labels_en), ("labels_zh", self.labels_zh)):
            bad = [c for c in labels if not self.min <= c <= self.max]
            if bad:
                raise ValueError(f"{name} has codes {bad} outside {self.min}-{self.max}")
        return self


class Item(_Strict):
    """One questionnaire item with its wording in Chinese and English."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)
    response: ResponseRange | None = None


class Scale(_Strict):
    """A set of items scored together; ``reverse`` lists reverse-keyed items of the scale.

    ``kind``: ``"scale"`` (multi-item construct), ``"outcome"`` (single-item outcome) or
    ``"exposure"`` (frequency of exposure to a channel).
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label_en: str
    label_zh: str
    kind: Literal["scale", "outcome", "exposure"] = "scale"
    items: list[str] = Field(min_length=1)
    reverse: list[str] = Field(default_factory=list)


class Instrument(_Strict):
    """A survey instrument: items, scales, response range, respondent roles.

    Invariants checked on load: item ids unique; every scale item and every reverse-keyed item
    is defined in ``items``; reverse-keyed items belong to their scale; an item belongs to at
    most one scale; scale ids unique; roles unique; missing codes outside every response range.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title_en: str
    title_zh: str
    cases: list[str] = Field(min_length=1)
    description: str = ""
    provenance: str = Field(min_length=1)
    id_column: str = "respondent_id"
    role_column: str = "role"
    roles: list[str] = Field(default_factory=list)
    missing_codes: list[int] = Field(default_factory=list)
    response: ResponseRange
    items: list[Item] = Field(min_length=1)
    scales: list[Scale] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_references(self) -> Instrument:
        ids = [it.id for it in self.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"items: duplicate item id(s) {dupes}")
        defined = set(ids)
        owner: dict[str, str] = {}
        scale_ids = [s.id for s in self.scales]
        if len(set(scale_ids)) != len(scale_ids):
            raise ValueError(f"scales: duplicate scale id(s) in {scale_ids}")
        for s in self.scales:
            undefined = [i for i in s.items if i not in defined]
            if undefined:
                raise ValueError(f"scales.{s.id}.items: undefined item(s) {undefined}")
            undefined = [i for i in s.reverse if i not in defined]
            if undefined:
                raise ValueError(f"scales.{s.id}.reverse: undefined item(s) {undefined}")
            outside = [i for i in s.reverse if i not in s.items]
            if outside:
                raise ValueError(f"scales.{s.id}.reverse: item(s) {outside} not in the scale")
            for i in s.items:
                if i in owner:
                    raise ValueError(f"scales.{s.id}.items: item {i!r} already in {owner[i]}")
                owner[i] = s.id
        if len(set(self.roles)) != len(self.roles):
            raise ValueError(f"roles: duplicates in {self.roles}")
        for code in self.missing_codes:
            for it in self.items:
                lo, hi = self.item_range(it.id)
                if lo <= code <= hi:
                    raise ValueError(
                        f"missing_codes: {code} is a valid answer of item {it.id} ({lo}-{hi})"
                    )
        return self

    @property
    def item_ids(self) -> list[str]:
        """Item ids in instrument order."""
        return [it.id for it in self.items]

    def item(self, item_id: str) -> Item:
        """Return the item with this id; raises KeyError naming it."""
        return by_id(self.items, item_id, f"instrument {self.id}: no item {item_id!r}")

    def scale(self, scale_id: str) -> Scale:
        """Return the scale with this id; raises KeyError naming it and the valid ids."""
        return by_id(
            self.scales,
            scale_id,
            f"instrument {self.id}: no scale {scale_id!r} (scales: "
            f"{', '.join(s.id for s in self.scales)})",
        )

    def item_range(self, item_id: str) -> tuple[int, int]:
        """(min, max) response code of an item: its own range, else the instrument's."""
        rng = self.item(item_id).response or self.response
        return rng.min, rng.max


def list_instruments(directory: str | os.PathLike[str] = INSTRUMENTS) -> list[str]:
    """Names (file stems) of the instrument YAML files in ``directory``, sorted."""
    return sorted(p.stem for p in Path(directory).glob("*.yaml"))


def load_instrument(name_or_path: str | os.PathLike[str]) -> Instrument:
    """Load and validate an instrument YAML file.

    ``name_or_path`` is a path to a ``.yaml`` file or the stem of a file in
    ``data/instruments/`` (e.g. ``"good_governance"``).

    Raises:
        DataValidationError: file missing, not YAML, or failing the schema; the message names
            the file and each offending field (e.g. ``scales[0].reverse``).
    """
    path = Path(name_or_path)
    if path.suffix not in {".yaml", ".yml"}:
        path = INSTRUMENTS / f"{name_or_path}.yaml"
    source = str(path)
    if not path.is_file():
        available = ", ".join(list_instruments(path.parent)) or "none"
        raise DataValidationError(source, [f"instrument file not found (available: {available})"])
    return load_yaml(Instrument, path)
