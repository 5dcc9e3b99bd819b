"""Seeded simulated field data for the five cases (``cases.simulate.synth``).

The five theses' questionnaires, interviews and household records are not public. This module
replaces them with **simulated** data whose data-generating process (DGP) is written out for
readers in ``text/authors_guide.md`` (block ``generators``, one passage per generator), whose
parameters live in ``data/synth/<slug>.yaml``, and
whose thesis claims are encoded as **planted effects** of stated size. Planted effects are
hypotheses taken from the thesis abstracts, not findings: the analyses are checked by
recovering them (``tests/test_synth.py``).

Where a real published figure exists (``data/raw/*.csv``) a parameter is calibrated to it and
its YAML entry names the table and row (``real: {table, where, column}``; the tests check the
value against the table). Everything else is marked ``assumed`` with a one-line reason.

Public API
----------
- :func:`generate` ``(slug, seed=None, n=None, params_path=None) -> SimulatedData``
- :func:`world` ``(slug, params_path=None) -> World`` — the case's one simulated world (seed,
  villages, households per village, years), read from the YAML's ``world`` block.
- :func:`write` ``(data, folder)`` — CSV per table + ``metadata.json``, atomically, byte-stable.
- :func:`read` ``(folder, case=None) -> SimulatedData`` — the same structure, from simulated
  output or from a researcher's own files in the documented format (below).
- :func:`description` ``(slug, params_path=None) -> dict`` — the facts of the page "How the
  data were simulated" (its words: ``text/simulation.md``).
- :func:`load_params` ``(slug, params_path=None) -> dict`` — the validated YAML.
- :data:`SLUGS`, :data:`TABLE_SCHEMAS`, :data:`GENERATOR_VERSION`, :class:`SimulatedData`.

YAML schema (``data/synth/<slug>.yaml``)
----------------------------------------
::

    case: <slug>                      # must equal the file's case
    title: <text>
    world:                            # the case's one simulated world, shared by all its pages
      basis: <why this size, a clause that follows "because">
      seed: {value: <int >= 0>, unit, meaning, source | assumed}
      villages: {value: <int >= 10>, unit, meaning, source | assumed}
      households_per_village: {value: <int > 0>, unit, meaning, source | assumed}
    parameters:                       # every name the generator needs, no others
      <name>:
        value: <number | list | mapping>
        unit: <text>
        meaning: <text>
        source: <citation>            # exactly one of source / assumed
        real: {table: <raw table>, where: {<column>: <value>}, column: <column>}   # optional
        measures: <what the published figure measures>   # with source; optional
        borrowed: <the other place or aggregate the figure describes>   # with source; optional
        assumed: <one-line reason>
    planted_effects:
      <name>:
        value: <number | list | mapping>
        unit: <text>
        meaning: <text>
        claim: <the thesis claim it encodes (paraphrase)>
        recovered_by: <library call that should recover it>
        assumed: <why this size>

Folder format (``write`` / ``read``)
------------------------------------
One ``<table>.csv`` per table (UTF-8, comma, header row, LF newlines, no index; integers as
digits, missing as empty, 0/1 for flags, floats rounded at generation to the stated decimals
and written in shortest round-trip form; generated tables end with the stamp column
``simulated_by``, see :func:`write`) and ``metadata.json`` (sorted keys, two-space indent,
LF). A researcher's folder needs the CSVs of the case's tables (extra columns are kept) and a
``metadata.json`` with at least ``{"case": "<slug>", "simulated": false}``; without it, pass
``case=`` to :func:`read`. Columns, types and units of every table are listed at the end of
this docstring (generated from :data:`TABLE_SCHEMAS`, which is read from
``data/synth/schemas.yaml``).

Errors: an unknown slug, ``n <= 0`` or a non-integer seed raise
:class:`cases.core.errors.ParameterError`; a missing or malformed YAML file, or a folder that does
not
match the documented format, raises :class:`cases.core.errors.DataValidationError` naming the file
and field (or table and column).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from scipy import optimize, special, stats

from cases.core.atomic import write_atomic
from cases.core.errors import DataValidationError, ParameterError
from cases.core.files import load_yaml
from cases.core.paths import INSTRUMENTS, SYNTH
from cases.data import fielddata
from cases.data.instruments import load_instrument
from cases.data.io import parse_file
from cases.methods.inference import MIN_CLUSTERS
from cases.methods.measures import TWO_ASSURANCES_THREE_GUARANTEES

__all__ = [
    "GENERATOR_VERSION",
    "INDICATOR_COLUMNS",
    "OPTIONAL_COLUMNS",
    "OPTIONAL_TABLES",
    "SLUGS",
    "TABLE_SCHEMAS",
    "SimulatedData",
    "World",
    "description",
    "generate",
    "load_params",
    "read",
    "requirement",
    "world",
    "write",
]

#: Bumped whenever a generator's output for a given seed and YAML changes.
GENERATOR_VERSION = "1.2.0"

SLUGS: tuple[str, ...] = ("liupanshui", "shandong_a_town", "w_town", "h_county", "pingliang")

METADATA_FILE = "metadata.json"


@dataclass
class SimulatedData:
    """A case's data set: ``tables`` (name -> DataFrame) and ``meta`` (JSON-able dict).

    ``meta["simulated"]`` is True for generated data; every generated table also carries
    ``df.attrs["simulated"] = True`` and ``df.attrs["case"]``.
    """

    tables: dict[str, pd.DataFrame]
    meta: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


# --------------------------------------------------------------------------------------------
# Table schemas: (column, kind, unit, meaning), read from data/synth/schemas.yaml
# --------------------------------------------------------------------------------------------
SCHEMAS_FILE = SYNTH / "schemas.yaml"

Kind = Literal["int", "int?", "float", "str"]
Column = tuple[str, Kind, str, str]


def _instrument(name: str) -> dict[str, Any]:
    """Raw instrument YAML (items, scales, reverse keys) from ``data/instruments``."""
    return parse_file(INSTRUMENTS / f"{name}.yaml", "YAML", "instrument file not found")


def _scale_items(name: str) -> dict[str, tuple[list[str], list[str]]]:
    """Scale id -> (items, reverse-keyed items) of an instrument, in instrument order."""
    return {
        s["id"]: (list(s["items"]), list(s.get("reverse", []))) for s in _instrument(name)["scales"]
    }


def _item_ids(name: str) -> list[str]:
    return [it["id"] for it in _instrument(name)["items"]]


#: The six indicator columns of the exit standard 一达标、两不愁、三保障 plus drinking water (names
#: as in :data:`cases.methods.measures.TWO_ASSURANCES_THREE_GUARANTEES`), income first. Every table
#: has all six; the index uses ``drinking_water_unsafe`` only for indicators recorded in 2019 or
#: later (:func:`cases.methods.measures.exit_standard`).
INDICATOR_COLUMNS: tuple[str, ...] = tuple(TWO_ASSURANCES_THREE_GUARANTEES)
_DEPRIVATIONS = list(INDICATOR_COLUMNS[1:])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Items(_Strict):
    """One int column per item of ``data/instruments/<items>.yaml``; ``unit_by_prefix`` gives
    the unit of the items whose id starts with ``<prefix>_``."""

    items: str
    unit: str
    meaning: str
    unit_by_prefix: dict[str, str] = {}


class _Indicators(_Strict):
    """The six indicator columns recorded in year ``indicators`` at the income line ``line``."""

    indicators: str
    line: str


class _IndicatorText(_Strict):
    """Kind, unit and meaning pattern (``{year}``; ``{line}`` for income) of the indicators."""

    kind: Kind
    unit: str
    meaning: str
    income_meaning: str


class _SchemaFile(_Strict):
    """``data/synth/schemas.yaml``: ``cases`` (case -> table -> entries); ``shared`` holds the
    YAML anchors of repeated columns and is not read otherwise."""

    indicator: _IndicatorText
    shared: dict[str, Any] = {}
    cases: dict[str, dict[str, list[Column | _Items | _Indicators]]]


def _columns(entry: Column | _Items | _Indicators, text: _IndicatorText) -> list[Column]:
    """The schema rows of one entry of ``schemas.yaml`` (a column, an instrument's items or the
    indicator block)."""
    if isinstance(entry, _Items):
        return [
            (i, "int", entry.unit_by_prefix.get(i.split("_")[0], entry.unit), entry.meaning)
            for i in _item_ids(entry.items)
        ]
    if isinstance(entry, _Indicators):
        meaning = text.meaning.format(year=entry.indicators)
        income = text.income_meaning.format(line=entry.line)
        return [
            (c, text.kind, text.unit, meaning + (income if c == "income_below_line" else ""))
            for c in INDICATOR_COLUMNS
        ]
    return [entry]


def _schemas(path: Path = SCHEMAS_FILE) -> dict[str, dict[str, list[Column]]]:
    """``TABLE_SCHEMAS`` from ``path``, every case of :data:`SLUGS` in that order.

    Raises:
        DataValidationError: the file is missing or malformed, or its cases are not
            :data:`SLUGS` (file and field named).
    """
    spec = load_yaml(_SchemaFile, path)
    if set(spec.cases) != set(SLUGS):
        raise DataValidationError(
            str(path), [f"cases: expected {', '.join(SLUGS)}; got {', '.join(spec.cases)}"]
        )
    return {
        slug: {
            table: [col for entry in entries for col in _columns(entry, spec.indicator)]
            for table, entries in spec.cases[slug].items()
        }
        for slug in SLUGS
    }


#: slug -> table -> [(column, kind, unit, meaning)]; kind: int, int? (nullable), float, str.
#: Read once from ``data/synth/schemas.yaml``.
TABLE_SCHEMAS: dict[str, dict[str, list[Column]]] = _schemas()

#: Column groups a researcher's own data may leave out, all together or not at all:
#: slug -> table -> group. Generated data always have them; the poverty profile skips its
#: MPI section when they are absent. (H County's targeting needs the indicators, so there
#: they are required.)
OPTIONAL_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "shandong_a_town": {"households": INDICATOR_COLUMNS},
    "w_town": {"households": INDICATOR_COLUMNS},
    "pingliang": {"households": INDICATOR_COLUMNS},
}

#: Tables a researcher's own data may leave out: slug -> table names.
OPTIONAL_TABLES: dict[str, tuple[str, ...]] = {"liupanshui": ("households",)}

_DTYPES = {"int": "int64", "int?": "Int64", "float": "float64", "str": "object"}


def requirement(slug: str, table: str, column: str) -> str:
    """Whether a researcher's own data must have ``column`` of ``table``: "required",
    "optional table" (the whole table may be absent, :data:`OPTIONAL_TABLES`) or
    "optional, all of <group> or none" (:data:`OPTIONAL_COLUMNS`)."""
    if table in OPTIONAL_TABLES.get(slug, ()):
        return "optional table"
    group = OPTIONAL_COLUMNS.get(slug, {}).get(table, ())
    if column in group:
        return f"optional, all {len(group)} indicator columns or none"
    return "required"


def _schema_markdown(slug: str) -> str:
    lines = []
    for table, cols in TABLE_SCHEMAS[slug].items():
        lines.append(f"\n``{slug}/{table}.csv``\n")
        for c, k, u, d in cols:
            need = requirement(slug, table, c)
            lines.append(
                f"- ``{c}`` ({k}; {u}): {d}" + ("" if need == "required" else f" ({need})")
            )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Parameters: loading and validation
# --------------------------------------------------------------------------------------------
Check = Callable[[Any], str | None]


def _num(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _share(x: Any) -> str | None:
    return None if _num(x) and 0 <= x <= 1 else f"must be a share in [0, 1], got {x!r}"


def _open_share(x: Any) -> str | None:
    return None if _num(x) and 0 < x < 1 else f"must be in (0, 1), got {x!r}"


def _positive(x: Any) -> str | None:
    return None if _num(x) and x > 0 else f"must be a positive number, got {x!r}"


def _real(x: Any) -> str | None:
    return None if _num(x) else f"must be a finite number, got {x!r}"


def _pos_int(x: Any) -> str | None:
    return (
        None
        if isinstance(x, int) and not isinstance(x, bool) and x > 0
        else (f"must be a positive integer, got {x!r}")
    )


def _year(x: Any) -> str | None:
    ok = isinstance(x, int) and not isinstance(x, bool) and 1990 <= x <= 2035
    return None if ok else f"must be a year 1990-2035, got {x!r}"


def _real_list(k: int | None = None, increasing: bool = False) -> Check:
    def check(x: Any) -> str | None:
        if not isinstance(x, list) or not all(_num(v) for v in x):
            return f"must be a list of numbers, got {x!r}"
        if k is not None and len(x) != k:
            return f"must have {k} entries, got {len(x)}"
        if increasing and any(b <= a for a, b in itertools.pairwise(x)):
            return f"must be strictly increasing, got {x}"
        return None

    return check


def _mapping(
    keys: list[str] | None = None, each: Check = _real, sums_to_one: bool = False
) -> Check:
    def check(x: Any) -> str | None:
        if not isinstance(x, dict) or not x:
            return f"must be a non-empty mapping, got {x!r}"
        if keys is not None and sorted(map(str, x)) != sorted(keys):
            return f"keys must be {sorted(keys)}, got {sorted(map(str, x))}"
        for k, v in x.items():
            msg = each(v)
            if msg:
                return f"entry {k!r} {msg}"
        if sums_to_one and abs(sum(x.values()) - 1) > 1e-6:
            return f"entries must sum to 1, got {sum(x.values())!r}"
        return None

    return check


def _matrix(rows: list[str]) -> Check:
    def check(x: Any) -> str | None:
        if not isinstance(x, dict) or sorted(x) != sorted(rows):
            return f"must map each of {sorted(rows)} to shares, got {x!r}"
        for r, v in x.items():
            msg = _mapping(each=_share, sums_to_one=True)(v)
            if msg:
                return f"row {r!r} {msg}"
        return None

    return check


_ACTORS3 = ["government", "enterprise", "social_organisation"]
_FACETS = ["willingness", "self_efficacy", "dependence"]
_GG_DIMS = [
    "rule_of_law",
    "fairness",
    "transparency",
    "responsiveness",
    "participation",
    "effectiveness",
    "accountability",
    "integrity",
]
_CHANNELS = [
    "propaganda_communication",
    "project_assistance",
    "internet_interaction",
    "party_group_organisation",
]
_GG_ROLES = ["township_official", "first_secretary", "village_official", "poor_household"]
_PL_TYPES = [
    "government",
    "enterprise",
    "social_organisation",
    "village_committee",
    "poor_household",
]
_PL_PAIRS = [f"{a}--{b}" for i, a in enumerate(_PL_TYPES) for b in _PL_TYPES[i + 1 :]]
_WT_COVARIATES = ["head_education_years", "labour_share", "chronic_illness", "has_migrant_worker"]

_MOTIVATION_PARAMS: dict[str, Check] = {
    "motivation_facet_loading": _mapping(_FACETS),
    "motivation_item_loading": _positive,
    "motivation_item_unique_sd": _positive,
}

_INDICATOR_PARAMS: dict[str, Check] = {
    "deprivation_if_poor": _mapping(_DEPRIVATIONS, _share),
    "deprivation_if_not_poor": _mapping(_DEPRIVATIONS, _share),
}

_SPECS: dict[str, dict[str, dict[str, Check]]] = {
    "liupanshui": {
        "parameters": {
            "first_year": _year,
            "last_year": _year,
            "mean_household_size": _positive,
            "income_mean_2013": _positive,
            "income_mean_2014": _positive,
            "income_mean_2015": _positive,
            "poverty_line_2014": _positive,
            "incidence_2014": _open_share,
            "variance_shares": _mapping(["village", "household", "idiosyncratic"], _share, True),
            "county_rural_population_2010": _mapping(each=_positive),
            "county_exit_year": _mapping(each=lambda v: None if v is None else _year(v)),
            "cohort_shares": _mapping(each=_share, sums_to_one=True),
            "return_migrant_base_rate": _share,
            "survey_fraction": _open_share,
            "channel_baseline": _mapping(_CHANNELS),
            "channel_adoption_shift": _mapping(_CHANNELS),
            "item_loading": _positive,
            "item_unique_sd": _positive,
            "satisfaction_thresholds": _real_list(4, increasing=True),
            "confidence_thresholds": _real_list(4, increasing=True),
            "secondary_item_noise_sd": _positive,
            **_INDICATOR_PARAMS,
        },
        "planted_effects": {
            "income_effect_at_adoption": _real,
            "income_effect_growth_per_year": _real,
            "return_migrant_effect": _real,
            "satisfaction_logit": _mapping(_CHANNELS),
            "confidence_logit": _mapping(_CHANNELS),
        },
    },
    "shandong_a_town": {
        "parameters": {
            "year": _year,
            "mean_household_size": _positive,
            "income_mean": _positive,
            "income_log_sd": _positive,
            "survey_fraction": _open_share,
            "officials_per_poor_respondent": _mapping(_GG_ROLES[:3], _positive),
            "dimension_correlation": _share,
            "item_intercept": _real,
            "item_loadings": _real_list(3),
            "item_unique_sd": _positive,
            "outcome_thresholds": _real_list(4, increasing=True),
            "records_per_household": _positive,
            "enterprise_share_of_non_government": _share,
            "kind_by_actor": _matrix(_ACTORS3),
            "value_median_by_kind": _mapping(each=_positive),
            "value_log_sd": _positive,
            "poverty_line_2016": _positive,
            **_INDICATOR_PARAMS,
        },
        "planted_effects": {
            "role_shift": _mapping(_GG_ROLES),
            "effectiveness_logit": _mapping(_GG_DIMS),
            "non_government_share_at_median_income": _open_share,
            "help_the_better_off_slope": _real,
        },
    },
    "w_town": {
        "parameters": {
            "years": _real_list(),
            "mean_household_size": _positive,
            "poor_area_income_2016": _positive,
            "poor_area_income_2019": _positive,
            "relative_line_share": _open_share,
            "relative_poverty_target": _open_share,
            "income_ability_correlation": _share,
            "income_year_noise_sd": _positive,
            "formerly_registered_share": _open_share,
            "vulnerability_line": _positive,
            "survey_fraction": _open_share,
            "records_per_household": _positive,
            "actor_shares": _mapping(_ACTORS3, _share, True),
            "kind_by_actor": _matrix(_ACTORS3),
            "value_median_by_kind": _mapping(each=_positive),
            "value_log_sd": _positive,
            "monitoring_income_line_2021": _positive,
            **_MOTIVATION_PARAMS,
            **_INDICATOR_PARAMS,
        },
        "planted_effects": {
            "log_consumption_mean": _mapping(["const", *_WT_COVARIATES]),
            "log_consumption_variance": _mapping(["const", *_WT_COVARIATES]),
            "monitoring_exclusion_rate": _share,
            "monitoring_rate_not_vulnerable": _share,
            "assistance_rate_ratio_monitored": _positive,
            "income_growth_per_willingness_point": _real,
        },
    },
    "h_county": {
        "parameters": {
            "first_year": _year,
            "last_year": _year,
            "identification_year": _year,
            "mean_household_size": _positive,
            "income_mean_2016": _positive,
            "income_mean_2019": _positive,
            "poverty_line_2016": _positive,
            "incidence_2016": _open_share,
            "variance_shares": _mapping(["village", "household", "idiosyncratic"], _share, True),
            "connection_prevalence": _share,
            "village_registration_sd": _real,
            **_INDICATOR_PARAMS,
            "project_cohort_shares": _mapping(each=_share, sums_to_one=True),
            "project_participation_rate": _share,
            "survey_fraction": _open_share,
            **_MOTIVATION_PARAMS,
        },
        "planted_effects": {
            "inclusion_error": _open_share,
            "exclusion_error": _open_share,
            "connection_log_odds": _real,
            "unsafe_housing_log_odds_inclusion": _real,
            "safe_housing_log_odds_exclusion": _real,
            "project_income_effect": _real,
            "registered_motivation_shift": _mapping(_FACETS),
        },
    },
    "pingliang": {
        "parameters": {
            "n_poor_villages": _pos_int,
            "incidence_2014": _open_share,
            "incidence_2019": _open_share,
            "registered_rate_non_poor_village": _share,
            "poor_households_lifted_2014_2019": _positive,
            "poor_persons_lifted_2014_2019": _positive,
            "mean_household_size_not_registered": _positive,
            "poor_income_2014": _positive,
            "poor_income_2019": _positive,
            "poor_area_income_2016": _positive,
            "poor_area_income_2019": _positive,
            "income_log_sd": _positive,
            "no_labour_share_registered": _share,
            "no_labour_share_not_registered": _share,
            "disability_share": _mapping(["no_labour", "labour"], _share),
            "n_enterprises": _pos_int,
            "n_social_organisations": _pos_int,
            "contacts_extra_mean": _positive,
            "survey_fraction": _open_share,
            "poverty_line_2014": _positive,
            **_MOTIVATION_PARAMS,
            **_INDICATOR_PARAMS,
        },
        "planted_effects": {
            "tie_probability": _mapping(_PL_PAIRS, _share),
            "social_security_coverage": _mapping(
                ["registered_no_labour", "registered_labour", "other_no_labour", "other_labour"],
                _share,
            ),
            "social_security_dependence_shift": _real,
        },
    },
}

_ENTRY_KEYS = {"value", "unit", "meaning", "source", "assumed", "real", "measures", "borrowed"}
_EFFECT_KEYS = {"value", "unit", "meaning", "claim", "recovered_by", "assumed"}


def _check_slug(slug: str) -> None:
    if slug not in SLUGS:
        raise ParameterError(f"unknown case slug {slug!r}; known: {', '.join(SLUGS)}")


#: The entries of the ``world`` block and the smallest value each may take: the seed, the
#: villages (at least :data:`cases.methods.inference.MIN_CLUSTERS`, below which the project's
#: inference rule refuses clustered intervals) and the households per village.
_WORLD_MIN: dict[str, int] = {"seed": 0, "villages": MIN_CLUSTERS, "households_per_village": 1}


def _validate_world(world: Any) -> list[str]:
    """Problems of the ``world`` block (see the module docstring), each naming its field."""
    if not isinstance(world, dict):
        return ["field world: must be a mapping with basis, " + ", ".join(_WORLD_MIN)]
    problems = [
        f"field world.{k}: unknown (the world is {', '.join(_WORLD_MIN)})"
        for k in world
        if k not in {"basis", *_WORLD_MIN}
    ]
    if not isinstance(world.get("basis"), str) or not world.get("basis", "").strip():
        problems.append("field world.basis: must be a non-empty sentence (why this size)")
    for key, low in _WORLD_MIN.items():
        entry = world.get(key)
        where = f"field world.{key}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: missing (a mapping with value, unit, meaning, ...)")
            continue
        problems += [f"{where}.{k}: unknown key" for k in entry if k not in _ENTRY_KEYS - {"real"}]
        problems += [
            f"{where}.{k}: missing" for k in ("value", "unit", "meaning") if k not in entry
        ]
        if ("source" in entry) == ("assumed" in entry):
            problems.append(f"{where}: give exactly one of source (real figure) or assumed")
        v = entry.get("value")
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            problems.append(f"{where}.value: must be an integer >= {low}, got {v!r}")
    return problems


def _validate(raw: Any, slug: str, source: str) -> list[str]:
    if not isinstance(raw, dict):
        return ["(top level): must be a mapping"]
    problems = []
    extra = sorted(set(raw) - {"case", "title", "world", "parameters", "planted_effects"})
    problems += [f"field {k}: unknown top-level field" for k in extra]
    if raw.get("case") != slug:
        problems.append(f"field case: must be {slug!r}, got {raw.get('case')!r}")
    if not isinstance(raw.get("title"), str) or not raw.get("title"):
        problems.append("field title: must be a non-empty string")
    problems += _validate_world(raw.get("world"))
    for section, keys in (("parameters", _ENTRY_KEYS), ("planted_effects", _EFFECT_KEYS)):
        entries = raw.get(section)
        spec = _SPECS[slug][section]
        if not isinstance(entries, dict):
            problems.append(f"field {section}: must be a mapping")
            continue
        problems += [f"field {section}.{k}: missing" for k in spec if k not in entries]
        problems += [
            f"field {section}.{k}: unknown (not used by the generator)"
            for k in entries
            if k not in spec
        ]
        for name, entry in entries.items():
            where = f"field {section}.{name}"
            if not isinstance(entry, dict):
                problems.append(f"{where}: must be a mapping with value, unit, meaning, ...")
                continue
            problems += [f"{where}.{k}: unknown key" for k in entry if k not in keys]
            required = {"value", "unit", "meaning"} | (
                {"claim", "recovered_by", "assumed"} if section == "planted_effects" else set()
            )
            problems += [f"{where}.{k}: missing" for k in sorted(required) if k not in entry]
            if section == "parameters" and ("source" in entry) == ("assumed" in entry):
                problems.append(f"{where}: give exactly one of source (real figure) or assumed")
            for key in ("measures", "borrowed"):
                if key in entry and "source" not in entry:
                    problems.append(f"{where}.{key}: only allowed with source")
                if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
                    problems.append(f"{where}.{key}: must be a non-empty string")
            if "real" in entry:
                real = entry["real"]
                if "source" not in entry:
                    problems.append(f"{where}.real: only allowed with source")
                if not isinstance(real, dict) or not (
                    {"table", "column"} <= set(real) <= {"table", "column", "where", "key", "scale"}
                    and ("where" in real) != ("key" in real)
                ):
                    problems.append(
                        f"{where}.real: must be {{table, column, where | key, "
                        f"[scale]}}, got {real!r}"
                    )
            if "value" in entry and name in spec:
                msg = spec[name](entry["value"])
                if msg:
                    problems.append(f"{where}.value: {msg}")
    params = raw.get("parameters") if isinstance(raw.get("parameters"), dict) else {}
    kinds, by_actor = (
        entry.get("value") if isinstance(entry, dict) else None
        for entry in (params.get("value_median_by_kind"), params.get("kind_by_actor"))
    )
    if isinstance(kinds, dict) and isinstance(by_actor, dict):
        for actor, row in by_actor.items():
            unknown = sorted(set(row) - set(kinds)) if isinstance(row, dict) else []
            if unknown:
                problems.append(
                    f"field parameters.kind_by_actor.value.{actor}: kinds {unknown} "
                    "have no entry in value_median_by_kind"
                )
    return problems


def load_params(slug: str, params_path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Load and validate ``data/synth/<slug>.yaml`` (or ``params_path``).

    Returns the parsed mapping (``case``, ``title``, ``world``, ``parameters``,
    ``planted_effects``). Every parameter the generator needs must be present with a value of
    the right form (shares in [0, 1], mappings with the documented keys and sums, increasing
    thresholds) and with exactly one of ``source``/``assumed``; unknown names are refused as
    probable typos.

    Raises:
        ParameterError: unknown ``slug``.
        DataValidationError: file missing, not YAML or failing the schema; the message names the
            file and each offending field (e.g. ``field parameters.incidence_2014.value``).
    """
    _check_slug(slug)
    path = Path(params_path) if params_path is not None else SYNTH / f"{slug}.yaml"
    source = str(path)
    raw = parse_file(path, "YAML", "parameter file not found")
    problems = _validate(raw, slug, source)
    if problems:
        raise DataValidationError(source, problems)
    return raw


def _values(section: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v["value"] for k, v in section.items()}


@dataclass(frozen=True)
class World:
    """A case's one simulated world: every page of the chapter analyses the tables that
    :func:`generate` draws from this seed and size (a page may take a stated subsample, such as
    the questionnaire's ``survey_fraction``), and the design page diagnoses its designs at this
    size.

    ``households = villages * households_per_village``; ``first_year``-``last_year`` are the
    years the tables cover (read from the case's parameters, :data:`_YEARS`); ``basis`` is why
    this size (a clause that reads after "because"); ``unit`` is what a household of the world
    is (the unit of ``households_per_village``).
    """

    case: str
    seed: int
    villages: int
    households_per_village: int
    first_year: int
    last_year: int
    basis: str
    unit: str

    @property
    def households(self) -> int:
        """Households of the world: villages x households per village."""
        return self.villages * self.households_per_village


#: The years each generator's tables cover, from its parameters: (first, last).
_YEARS: dict[str, Callable[[Mapping[str, Any]], tuple[int, int]]] = {
    "liupanshui": lambda p: (p["first_year"], p["last_year"]),
    "shandong_a_town": lambda p: (p["year"], p["year"]),
    "w_town": lambda p: (int(min(p["years"])), int(max(p["years"]))),
    "h_county": lambda p: (p["first_year"], p["last_year"]),
    # Pingliang's generator draws incomes in 2014 and 2019 and exits in 2015-2019.
    "pingliang": lambda p: (2014, 2019),
}


def world(slug: str, params_path: str | os.PathLike[str] | None = None) -> World:
    """The case's one simulated world, declared once in the ``world`` block of
    ``data/synth/<slug>.yaml`` (the design page reads the same block).

    Raises: as :func:`load_params`.
    """
    raw = load_params(slug, params_path)
    w = raw["world"]
    first, last = _YEARS[slug](_values(raw["parameters"]))
    return World(
        case=slug,
        seed=int(w["seed"]["value"]),
        villages=int(w["villages"]["value"]),
        households_per_village=int(w["households_per_village"]["value"]),
        first_year=int(first),
        last_year=int(last),
        basis=" ".join(str(w["basis"]).split()),
        unit=str(w["households_per_village"]["unit"]),
    )


# --------------------------------------------------------------------------------------------
# Shared building blocks
# --------------------------------------------------------------------------------------------
def _log_income(
    rng: np.random.Generator,
    p: Mapping[str, Any],
    sigma: float,
    village: np.ndarray,
    n_vil: int,
    years: np.ndarray,
    mean: float,
    growth: float,
    base_year: int,
) -> np.ndarray:
    """Log income without treatment, households x years: a lognormal year mean (``mean`` in
    ``base_year``, growing by ``growth`` a year) plus village, household and idiosyncratic
    normal terms splitting ``sigma**2`` by ``p["variance_shares"]``, drawn in that order."""
    n, t_n = village.size, years.size
    vs = p["variance_shares"]
    v_eff = math.sqrt(vs["village"]) * sigma * rng.standard_normal(n_vil)
    a_eff = math.sqrt(vs["household"]) * sigma * rng.standard_normal(n)
    eps = math.sqrt(vs["idiosyncratic"]) * sigma * rng.standard_normal((n, t_n))
    mu_t = math.log(mean) - sigma**2 / 2 + growth * (years - base_year)
    return mu_t[None, :] + (a_eff + v_eff[village])[:, None] + eps


def _sigma_from_headcount(mean: float, line: float, headcount: float) -> float:
    """Log-SD of a lognormal with the given mean whose share below ``line`` is ``headcount``.

    From ``mean = exp(mu + s^2/2)`` and ``Phi((ln z - mu)/s) = H``:
    ``s^2/2 - q s + ln(z/mean) = 0`` with ``q = Phi^-1(H)``, so ``s = q + sqrt(q^2 - 2 ln(z/m))``.
    """
    q = float(stats.norm.ppf(headcount))
    disc = q * q - 2 * math.log(line / mean)
    if disc < 0 or q + math.sqrt(disc) <= 0:
        raise DataValidationError(
            "synth calibration", [f"no lognormal has mean {mean}, share {headcount} below {line}"]
        )
    return q + math.sqrt(disc)


def _household_size(rng: np.random.Generator, n: int, mean: float) -> np.ndarray:
    """1 + Poisson(mean - 1): at least one member, mean ``mean``."""
    return 1 + rng.poisson(max(mean - 1.0, 0.0), n)


def _likert(latent: np.ndarray, lo: int = 1, hi: int = 5) -> np.ndarray:
    return np.clip(np.rint(latent), lo, hi).astype(np.int64)


def _ordinal(latent: np.ndarray, thresholds: list[float]) -> np.ndarray:
    """1 + number of thresholds below the latent value (categories 1..len+1)."""
    return 1 + np.searchsorted(np.asarray(thresholds, float), latent, side="left").astype(np.int64)


def _motivation(
    rng: np.random.Generator,
    motivation: np.ndarray,
    shifts: Mapping[str, np.ndarray | float],
    p: Mapping[str, Any],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Items of ``endogenous_motivation.yaml`` from a one-factor-per-facet model.

    Rule: facet latent ``f_k = s_k m + sqrt(1 - s_k^2) u_k + shift_k`` (``s_k`` from
    ``motivation_facet_loading``, ``shifts`` in latent SD units); item code
    ``clip(round(3 + lambda f_k + psi e), 1, 5)``, reverse-keyed items stored as ``6 - code``.
    The written account is the shared motivation passage of block ``generators`` in
    ``text/authors_guide.md``.

    Returns the item columns and the willingness score (mean of the reverse-recoded
    willingness items, as :func:`cases.methods.survey.scale_scores` computes it).
    """
    scales = _scale_items("endogenous_motivation")
    lam, psi = p["motivation_item_loading"], p["motivation_item_unique_sd"]
    n = motivation.shape[0]
    cols: dict[str, np.ndarray] = {}
    willingness = np.zeros(n)
    for facet in _FACETS:
        s = p["motivation_facet_loading"][facet]
        f = s * motivation + math.sqrt(max(1 - s * s, 0.0)) * rng.standard_normal(n)
        f = f + shifts.get(facet, 0.0)
        items, reverse = scales[facet]
        for item in items:
            code = _likert(3 + lam * f + psi * rng.standard_normal(n))
            cols[item] = 6 - code if item in reverse else code
            if facet == "willingness":
                willingness += code
        if facet == "willingness":
            willingness /= len(items)
    return cols, willingness


def _assistance(
    rng: np.random.Generator,
    household: np.ndarray,
    years: np.ndarray,
    actor_p: np.ndarray,
    p: Mapping[str, Any],
) -> pd.DataFrame:
    """Assistance records: actor by ``actor_p`` (rows x 3), kind by ``kind_by_actor``, value
    lognormal with the kind's median and ``value_log_sd``; one row per record."""
    m = household.shape[0]
    u = rng.random(m)
    actor_idx = (u[:, None] > np.cumsum(actor_p, axis=1)).sum(axis=1).clip(0, 2)
    kinds = sorted(p["value_median_by_kind"])
    kind_idx = np.empty(m, dtype=np.int64)
    u2 = rng.random(m)
    for a, actor in enumerate(_ACTORS3):
        probs = np.array([p["kind_by_actor"][actor].get(k, 0.0) for k in kinds])
        sel = actor_idx == a
        kind_idx[sel] = (
            (u2[sel, None] > np.cumsum(probs)[None, :]).sum(axis=1).clip(0, len(kinds) - 1)
        )
    medians = np.array([p["value_median_by_kind"][k] for k in kinds], float)
    value = np.round(medians[kind_idx] * np.exp(p["value_log_sd"] * rng.standard_normal(m)), 2)
    return pd.DataFrame(
        {
            "record_id": np.arange(1, m + 1, dtype=np.int64),
            "household_id": household.astype(np.int64),
            "year": years.astype(np.int64),
            "actor_type": np.array(_ACTORS3, dtype=object)[actor_idx],
            "kind": np.array(kinds, dtype=object)[kind_idx],
            "value_yuan": value,
        }
    )


def _indicators(
    rng: np.random.Generator, income_poor: np.ndarray, p: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """The six exit-standard indicator columns (0/1, 1 = deprived), keyed by name.

    Rule: ``income_below_line`` is ``income_poor``; each other indicator j is Bernoulli with
    ``deprivation_if_poor[j]`` for income-poor households and ``deprivation_if_not_poor[j]``
    otherwise, independently given income poverty. Drinking water is drawn in every case; the
    index uses it only from 2019 (:func:`cases.methods.measures.exit_standard`). The reader's
    account (with the implied headcounts) is the shared indicator passage of block
    ``generators`` in ``text/authors_guide.md``.
    """
    n = income_poor.shape[0]
    out = {"income_below_line": income_poor.astype(np.int64)}
    for name in _DEPRIVATIONS:
        q = np.where(
            income_poor, p["deprivation_if_poor"][name], p["deprivation_if_not_poor"][name]
        )
        out[name] = (rng.random(n) < q).astype(np.int64)
    return out


def _intercept_for_mean(target: float, linear: np.ndarray) -> float:
    """``a`` such that ``mean(expit(a + linear)) = target`` (bisection, deterministic)."""
    return float(optimize.brentq(lambda a: special.expit(a + linear).mean() - target, -40, 40))


# --------------------------------------------------------------------------------------------
# Generators
# --------------------------------------------------------------------------------------------
def _gen_liupanshui(rng: np.random.Generator, n: int, p: dict[str, Any], e: dict[str, Any]):
    """Liupanshui tables ``villages``, ``households``, ``panel`` (household x year,
    ``first_year``-``last_year``) and ``survey`` (a ``survey_fraction`` sample, 2019).

    Rule: villages get a county (by 2010 rural population) and a random reform cohort
    (``cohort_shares``); log income is year + household + village + idiosyncratic normal terms,
    its SD solved from ``incidence_2014`` at ``poverty_line_2014``, plus a reform effect that
    grows with exposure; return migration is Bernoulli with a constant planted effect; channel
    items load on a latent exposure shifted by adoption, and the satisfaction and confidence
    items are ordered logits of the channel scores (planted log-odds); the 2014 indicators are
    drawn last (:func:`_indicators`).

    Readers get the DGP with its formulas from the ``liupanshui`` passage of block
    ``generators`` in ``text/authors_guide.md``: change both together.

    Returns ``(tables, derived)``; ``derived`` holds ``income_log_sd`` and
    ``income_growth_per_year``.
    """
    years = np.arange(p["first_year"], p["last_year"] + 1)
    t_n = years.size
    hpv = p["households_per_village"]
    n_vil = -(-n // hpv)
    village = np.arange(n) // hpv
    counties = sorted(p["county_rural_population_2010"])
    weights = np.array([p["county_rural_population_2010"][c] for c in counties], float)
    county_idx = rng.choice(len(counties), size=n_vil, p=weights / weights.sum())
    cohorts = list(p["cohort_shares"])
    cohort_years = np.array([0 if str(c) == "never" else int(c) for c in cohorts])
    g_v = cohort_years[rng.choice(len(cohorts), size=n_vil, p=list(p["cohort_shares"].values()))]

    sigma = _sigma_from_headcount(
        p["income_mean_2014"], p["poverty_line_2014"], p["incidence_2014"]
    )
    growth = math.log(p["income_mean_2015"] / p["income_mean_2013"]) / 2
    base = _log_income(rng, p, sigma, village, n_vil, years, p["income_mean_2014"], growth, 2014)
    g_i = g_v[village]
    k = years[None, :] - g_i[:, None]
    treated = (g_i[:, None] > 0) & (k >= 0)
    tau = e["income_effect_at_adoption"] + e["income_effect_growth_per_year"] * k
    log_y = base + np.where(treated, tau, 0.0)
    income = np.round(np.exp(log_y), 2)
    ret_p = p["return_migrant_base_rate"] + e["return_migrant_effect"] * treated
    returned = (rng.random((n, t_n)) < ret_p).astype(np.int64)
    size = _household_size(rng, n, p["mean_household_size"])

    hh_ids = np.arange(1, n + 1, dtype=np.int64)
    panel = pd.DataFrame(
        {
            "household_id": np.repeat(hh_ids, t_n),
            "village_id": np.repeat(village + 1, t_n).astype(np.int64),
            "year": np.tile(years, n).astype(np.int64),
            "household_size": np.repeat(size, t_n).astype(np.int64),
            "first_treated": np.repeat(g_i, t_n).astype(np.int64),
            "treated": treated.ravel().astype(np.int64),
            "income_per_capita": income.ravel(),
            "returned_migrant": returned.ravel(),
        }
    )
    exit_years = p["county_exit_year"]
    # Simulated villages get placeholder county-level units (code 1, 2, ...; "District A",
    # "District B", ...), never a real unit's code or name: the real units' rural population
    # only weights the draw.
    county_codes = np.arange(1, len(counties) + 1)
    names = {int(k): f"District {chr(ord('A') + k - 1)}" for k in county_codes}
    villages = pd.DataFrame(
        {
            "village_id": np.arange(1, n_vil + 1, dtype=np.int64),
            "county_code": county_codes[county_idx].astype(np.int64),
            "county_name": np.array([names[c] for c in county_codes], dtype=object)[county_idx],
            "county_exit_year": pd.array(
                [exit_years[counties[i]] for i in county_idx], dtype="Int64"
            ),
            "first_treated": g_v.astype(np.int64),
        }
    )

    m = max(1, round(p["survey_fraction"] * n))
    sample = np.sort(rng.permutation(n)[:m])
    adopted = (g_i[sample] > 0).astype(float)
    scales = _scale_items("gov_people_interaction")
    cols: dict[str, np.ndarray] = {}
    score = {}
    for c in _CHANNELS:
        x = p["channel_adoption_shift"][c] * adopted + rng.standard_normal(m)
        items, _ = scales[c]
        total = np.zeros(m)
        for item in items:
            code = _likert(
                p["channel_baseline"][c]
                + p["item_loading"] * x
                + p["item_unique_sd"] * rng.standard_normal(m),
                0,
                4,
            )
            cols[item] = code
            total += code
        score[c] = total / len(items)
    noise = p["secondary_item_noise_sd"]
    for outcome, beta_key, thr_key in (
        ("satisfaction", "satisfaction_logit", "satisfaction_thresholds"),
        ("confidence", "confidence_logit", "confidence_thresholds"),
    ):
        latent = sum(e[beta_key][c] * (score[c] - 2) for c in _CHANNELS) + rng.logistic(size=m)
        items, reverse = scales[outcome]
        for j, item in enumerate(items):
            extra = 0.0 if j == 0 else noise * rng.standard_normal(m)
            code = _ordinal(latent + extra, p[thr_key])
            cols[item] = 6 - code if item in reverse else code
        if outcome == "satisfaction":
            (trust_item,) = scales["government_trust"][0]
            cols[trust_item] = _ordinal(latent + noise * rng.standard_normal(m), p[thr_key])
    poor_2014 = income[sample, list(years).index(2014)] < p["poverty_line_2014"]
    survey = pd.DataFrame(
        {
            "respondent_id": np.arange(1, m + 1, dtype=np.int64),
            "household_id": hh_ids[sample],
            "village_id": (village[sample] + 1).astype(np.int64),
            "role": np.where(poor_2014, "poor_household", "non_poor_villager").astype(object),
        }
    )
    item_order = _item_ids("gov_people_interaction")
    survey = pd.concat([survey, pd.DataFrame({i: cols[i] for i in item_order})], axis=1)
    # Drawn last so that the tables above do not depend on the indicator parameters.
    poor_all_2014 = income[:, list(years).index(2014)] < p["poverty_line_2014"]
    households = pd.DataFrame({"household_id": hh_ids, **_indicators(rng, poor_all_2014, p)})
    derived = {"income_log_sd": sigma, "income_growth_per_year": growth}
    tables = {"villages": villages, "households": households, "panel": panel, "survey": survey}
    return tables, derived


def _gen_shandong_a_town(rng: np.random.Generator, n: int, p: dict[str, Any], e: dict[str, Any]):
    """A Town (Shandong) tables ``households`` (``n`` registered poor households), ``survey``
    (good-governance questionnaire by role) and ``assistance`` (records by actor).

    Rule: lognormal income in ``year``; questionnaire respondents are a ``survey_fraction``
    sample of households plus officials per poor respondent; each of the eight dimensions is a
    latent rating (role shift + correlated normals) measured by congeneric 1-5 items; the
    perceived-effectiveness item is an ordered logit of the observed dimension scores (planted
    coefficients); assistance records are Poisson per household, non-government with a
    probability that rises with income (planted slope); indicators drawn last at
    ``poverty_line_2016``.

    Readers get the DGP with its formulas from the ``shandong_a_town`` passage of block
    ``generators`` in ``text/authors_guide.md``: change both together.

    Returns ``(tables, derived)``; ``derived`` holds ``median_log_income`` and
    ``n_respondents``.
    """
    hpv = p["households_per_village"]
    village = np.arange(n) // hpv
    n_vil = int(village.max()) + 1
    s = p["income_log_sd"]
    log_y = math.log(p["income_mean"]) - s * s / 2 + s * rng.standard_normal(n)
    income = np.round(np.exp(log_y), 2)
    households = pd.DataFrame(
        {
            "household_id": np.arange(1, n + 1, dtype=np.int64),
            "village_id": (village + 1).astype(np.int64),
            "household_size": _household_size(rng, n, p["mean_household_size"]).astype(np.int64),
            "income_per_capita": income,
        }
    )

    m_poor = max(1, round(p["survey_fraction"] * n))
    sample = np.sort(rng.permutation(n)[:m_poor])
    roles = [np.full(m_poor, "poor_household", dtype=object)]
    hh = [households["household_id"].to_numpy()[sample]]
    vil = [(village[sample] + 1).astype(np.int64)]
    for role in _GG_ROLES[:3]:
        k = round(p["officials_per_poor_respondent"][role] * m_poor)
        roles.append(np.full(k, role, dtype=object))
        hh.append(np.full(k, -1, dtype=np.int64))
        vil.append(rng.integers(1, n_vil + 1, size=k))
    role = np.concatenate(roles)
    m = role.shape[0]
    shift = np.array([e["role_shift"][r] for r in role], float)
    rho = p["dimension_correlation"]
    general = rng.standard_normal(m)
    scales = _scale_items("good_governance")
    lam = p["item_loadings"]
    cols: dict[str, np.ndarray] = {}
    centred_sum = np.zeros(m)
    for d in _GG_DIMS:
        theta = shift + math.sqrt(rho) * general + math.sqrt(1 - rho) * rng.standard_normal(m)
        items, reverse = scales[d]
        total = np.zeros(m)
        for j, item in enumerate(items):
            code = _likert(
                p["item_intercept"] + lam[j] * theta + p["item_unique_sd"] * rng.standard_normal(m)
            )
            total += code
            cols[item] = 6 - code if item in reverse else code
        centred_sum += e["effectiveness_logit"][d] * (total / len(items) - 3)
    (outcome_item,) = scales["perceived_effectiveness"][0]
    cols[outcome_item] = _ordinal(centred_sum + rng.logistic(size=m), p["outcome_thresholds"])
    survey = pd.DataFrame(
        {
            "respondent_id": np.arange(1, m + 1, dtype=np.int64),
            "household_id": pd.array(
                np.where(np.concatenate(hh) < 0, None, np.concatenate(hh)), dtype="Int64"
            ),
            "village_id": np.concatenate(vil).astype(np.int64),
            "role": role,
        }
    )
    survey = pd.concat(
        [survey, pd.DataFrame({i: cols[i] for i in _item_ids("good_governance")})], axis=1
    )

    counts = rng.poisson(p["records_per_household"], n)
    rec_hh = np.repeat(np.arange(n), counts)
    x = log_y[rec_hh] - np.median(log_y)
    p_nongov = special.expit(
        special.logit(e["non_government_share_at_median_income"])
        + e["help_the_better_off_slope"] * x
    )
    p_ent = p["enterprise_share_of_non_government"]
    actor_p = np.column_stack([1 - p_nongov, p_nongov * p_ent, p_nongov * (1 - p_ent)])
    records = _assistance(rng, rec_hh + 1, np.full(rec_hh.shape[0], p["year"]), actor_p, p)
    records.insert(2, "village_id", (village[rec_hh] + 1).astype(np.int64))
    # Drawn last so that the tables above do not depend on the indicator parameters.
    indicators = _indicators(rng, income < p["poverty_line_2016"], p)
    households = households.assign(**indicators)
    derived = {"median_log_income": float(np.median(log_y)), "n_respondents": int(m)}
    return {"households": households, "survey": survey, "assistance": records}, derived


def _gen_w_town(rng: np.random.Generator, n: int, p: dict[str, Any], e: dict[str, Any]):
    """W Town after 2020 tables ``households``, ``incomes`` (household x ``years``),
    ``motivation`` (a ``survey_fraction`` sample) and ``assistance``.

    Rule: a latent ability drives schooling, labour share, migration and (with
    ``income_ability_correlation``) 2021 income, whose log-SD puts ``relative_poverty_target``
    below ``relative_line_share`` x the median; later incomes grow with the willingness score
    (planted); log consumption has mean ``X b`` and variance ``X theta`` (planted), which define
    true vulnerability and the monitoring list; assistance records are Poisson with a planted
    rate ratio for monitored households; indicators drawn last at
    ``monitoring_income_line_2021``.

    Readers get the DGP with its formulas from the ``w_town`` passage of block
    ``generators`` in ``text/authors_guide.md``: change both together.

    Returns ``(tables, derived)``; ``derived`` holds ``income_log_sd_2021``,
    ``income_growth_per_year``, ``income_mean_2021`` and ``true_vulnerable_share``.

    Raises:
        DataValidationError: ``X theta`` (the consumption variance) is not positive for some
            household.
    """
    years = np.asarray(p["years"], dtype=np.int64)
    hpv = p["households_per_village"]
    village = np.arange(n) // hpv
    ability = rng.standard_normal(n)
    edu = np.clip(np.rint(7 + 2.5 * ability + 2 * rng.standard_normal(n)), 0, 16).astype(np.int64)
    labour = np.round(np.clip(0.55 + 0.12 * ability + 0.15 * rng.standard_normal(n), 0, 1), 2)
    migrant = (rng.random(n) < special.expit(-0.3 + 0.5 * ability)).astype(np.int64)
    chronic = (rng.random(n) < 0.18).astype(np.int64)
    size = _household_size(rng, n, p["mean_household_size"]).astype(np.int64)

    g = math.log(p["poor_area_income_2019"] / p["poor_area_income_2016"]) / 3
    base = p["poor_area_income_2019"] * math.exp(2 * g)
    sigma = math.log(p["relative_line_share"]) / float(stats.norm.ppf(p["relative_poverty_target"]))
    r = p["income_ability_correlation"]
    log_y0 = (
        math.log(base)
        - sigma**2 / 2
        + sigma * (r * ability + math.sqrt(1 - r * r) * rng.standard_normal(n))
    )

    motivation = 0.5 * ability + math.sqrt(0.75) * rng.standard_normal(n)
    formerly = np.zeros(n, dtype=np.int64)
    noisy = log_y0 + 0.3 * rng.standard_normal(n)
    k_reg = round(p["formerly_registered_share"] * n)
    formerly[np.argsort(noisy, kind="stable")[:k_reg]] = 1
    items, willingness = _motivation(rng, motivation, {}, p)

    kappa = e["income_growth_per_willingness_point"]
    dt = years - years[0]
    log_y = log_y0[:, None] + dt[None, :] * (g + kappa * (willingness - 3))[:, None]
    log_y[:, 1:] += p["income_year_noise_sd"] * rng.standard_normal((n, years.size - 1))
    income = np.round(np.exp(log_y), 2)

    xmat = np.column_stack([np.ones(n), edu, labour, chronic, migrant]).astype(float)
    names = ["const", *_WT_COVARIATES]
    b = np.array([e["log_consumption_mean"][k] for k in names], float)
    theta = np.array([e["log_consumption_variance"][k] for k in names], float)
    var = xmat @ theta
    if (var <= 0).any():
        raise DataValidationError(
            "planted_effects.log_consumption_variance",
            [f"X theta is not positive for {int((var <= 0).sum())} households"],
        )
    mean = xmat @ b
    consumption = np.round(np.exp(mean + np.sqrt(var) * rng.standard_normal(n)), 2)
    v_true = stats.norm.cdf((math.log(p["vulnerability_line"]) - mean) / np.sqrt(var))
    vulnerable = v_true >= 0.5
    monitor_p = np.where(
        vulnerable, 1 - e["monitoring_exclusion_rate"], e["monitoring_rate_not_vulnerable"]
    )
    monitored = (rng.random(n) < monitor_p).astype(np.int64)

    rel_line = p["relative_line_share"] * float(np.median(income[:, 0]))
    role = np.where(
        formerly == 1,
        "relieved_household",
        np.where(income[:, 0] < rel_line, "low_income_household", "non_poor_villager"),
    ).astype(object)
    hh_ids = np.arange(1, n + 1, dtype=np.int64)
    households = pd.DataFrame(
        {
            "household_id": hh_ids,
            "village_id": (village + 1).astype(np.int64),
            "household_size": size,
            "labour_share": labour,
            "head_education_years": edu,
            "chronic_illness": chronic,
            "has_migrant_worker": migrant,
            "formerly_registered_poor": formerly,
            "monitored": monitored,
            "consumption_per_capita": consumption,
        }
    )
    incomes = pd.DataFrame(
        {
            "household_id": np.repeat(hh_ids, years.size),
            "year": np.tile(years, n),
            "income_per_capita": income.ravel(),
        }
    )
    m = max(1, round(p["survey_fraction"] * n))
    sample = np.sort(rng.permutation(n)[:m])
    motivation_df = pd.DataFrame(
        {
            "respondent_id": np.arange(1, m + 1, dtype=np.int64),
            "household_id": hh_ids[sample],
            "role": role[sample],
            **{k: items[k][sample] for k in _item_ids("endogenous_motivation")},
        }
    )
    rate = p["records_per_household"] * np.where(
        monitored == 1, e["assistance_rate_ratio_monitored"], 1.0
    )
    counts = rng.poisson(rate)
    rec_hh = np.repeat(hh_ids, counts)
    shares = np.array([p["actor_shares"][a] for a in _ACTORS3], float)
    rec_years = rng.choice(years, size=rec_hh.shape[0])
    records = _assistance(rng, rec_hh, rec_years, np.broadcast_to(shares, (rec_hh.shape[0], 3)), p)
    # Drawn last so that the tables above do not depend on the indicator parameters.
    indicators = _indicators(rng, income[:, 0] < p["monitoring_income_line_2021"], p)
    households = households.assign(**indicators)
    derived = {
        "income_log_sd_2021": sigma,
        "income_growth_per_year": g,
        "income_mean_2021": base,
        "true_vulnerable_share": float(vulnerable.mean()),
    }
    tables = {
        "households": households,
        "incomes": incomes,
        "motivation": motivation_df,
        "assistance": records,
    }
    return tables, derived


def _gen_h_county(rng: np.random.Generator, n: int, p: dict[str, Any], e: dict[str, Any]):
    """H County tables ``households``, ``panel`` (household x year,
    ``first_year``-``last_year``) and ``motivation`` (a ``survey_fraction`` sample).

    Rule: log income as in Liupanshui (SD solved from ``incidence_2016``) gives true poverty in
    ``identification_year``; indicators are drawn from it before registration, which has
    planted exclusion and inclusion errors (intercepts solved so the expected errors equal
    ``exclusion_error`` and ``inclusion_error``) driven by housing, official connection and a
    village effect; registered households in adopting villages join the industrial project
    (constant planted income effect); registered households' motivation facets are shifted
    (planted).

    Readers get the DGP with its formulas from the ``h_county`` passage of block
    ``generators`` in ``text/authors_guide.md``: change both together.

    Returns ``(tables, derived)``; ``derived`` holds ``income_log_sd``,
    ``income_growth_per_year``, ``exclusion_intercept``, ``inclusion_intercept`` and
    ``non_poor_registration_rate``.

    Raises:
        DataValidationError: the inclusion error implies a registration rate of the non-poor
            outside (0, 1).
    """
    years = np.arange(p["first_year"], p["last_year"] + 1)
    t_n = years.size
    hpv = p["households_per_village"]
    village = np.arange(n) // hpv
    n_vil = int(village.max()) + 1
    sigma = _sigma_from_headcount(
        p["income_mean_2016"], p["poverty_line_2016"], p["incidence_2016"]
    )
    g = math.log(p["income_mean_2019"] / p["income_mean_2016"]) / 3
    base = _log_income(rng, p, sigma, village, n_vil, years, p["income_mean_2016"], g, 2016)
    id_col = list(years).index(p["identification_year"])
    poor = np.exp(base[:, id_col]) < p["poverty_line_2016"]

    indicators = _indicators(rng, poor, p)
    unsafe = indicators["housing_unsafe"]
    connection = (rng.random(n) < p["connection_prevalence"]).astype(np.int64)
    u_v = p["village_registration_sd"] * rng.standard_normal(n_vil)
    lin_e = e["safe_housing_log_odds_exclusion"] * (1 - unsafe) + u_v[village]
    lin_i = (
        e["connection_log_odds"] * connection
        + e["unsafe_housing_log_odds_inclusion"] * unsafe
        + u_v[village]
    )
    n_poor, n_not = int(poor.sum()), int((~poor).sum())
    ie, ee = e["inclusion_error"], e["exclusion_error"]
    a_e = _intercept_for_mean(ee, lin_e[poor]) if n_poor else 0.0
    r = ie / (1 - ie) * (1 - ee) * n_poor / max(n_not, 1)
    if not 0 < r < 1:
        raise DataValidationError(
            "planted_effects.inclusion_error",
            [f"implied registration rate of the non-poor {r:.3f} is not in (0, 1)"],
        )
    a_i = _intercept_for_mean(r, lin_i[~poor]) if n_not else 0.0
    u = rng.random(n)
    registered = np.where(poor, u >= special.expit(a_e + lin_e), u < special.expit(a_i + lin_i))

    cohorts = list(p["project_cohort_shares"])
    cohort_years = np.array([0 if str(c) == "never" else int(c) for c in cohorts])
    g_v = cohort_years[
        rng.choice(len(cohorts), size=n_vil, p=list(p["project_cohort_shares"].values()))
    ]
    joins = registered & (g_v[village] > 0) & (rng.random(n) < p["project_participation_rate"])
    first = np.where(joins, g_v[village], 0)
    d = (first[:, None] > 0) & (years[None, :] >= first[:, None])
    income = np.round(np.exp(base + e["project_income_effect"] * d), 2)

    hh_ids = np.arange(1, n + 1, dtype=np.int64)
    households = pd.DataFrame(
        {
            "household_id": hh_ids,
            "village_id": (village + 1).astype(np.int64),
            "household_size": _household_size(rng, n, p["mean_household_size"]).astype(np.int64),
            "official_connection": connection,
            "registered_poor": registered.astype(np.int64),
            **indicators,
        }
    )
    panel = pd.DataFrame(
        {
            "household_id": np.repeat(hh_ids, t_n),
            "village_id": np.repeat(village + 1, t_n).astype(np.int64),
            "year": np.tile(years, n).astype(np.int64),
            "first_treated": np.repeat(first, t_n).astype(np.int64),
            "project_participant": d.ravel().astype(np.int64),
            "income_per_capita": income.ravel(),
        }
    )
    shifts = {f: registered * e["registered_motivation_shift"][f] for f in _FACETS}
    items, _ = _motivation(rng, rng.standard_normal(n), shifts, p)
    m = max(1, round(p["survey_fraction"] * n))
    sample = np.sort(rng.permutation(n)[:m])
    motivation_df = pd.DataFrame(
        {
            "respondent_id": np.arange(1, m + 1, dtype=np.int64),
            "household_id": hh_ids[sample],
            "role": np.where(registered[sample], "poor_household", "non_poor_villager").astype(
                object
            ),
            **{k: items[k][sample] for k in _item_ids("endogenous_motivation")},
        }
    )
    derived = {
        "income_log_sd": sigma,
        "income_growth_per_year": g,
        "exclusion_intercept": a_e,
        "inclusion_intercept": a_i,
        "non_poor_registration_rate": r,
    }
    return {"households": households, "panel": panel, "motivation": motivation_df}, derived


def _gen_pingliang(rng: np.random.Generator, n: int, p: dict[str, Any], e: dict[str, Any]):
    """W Town, Pingliang tables ``villages``, ``households``, ``actors``, ``interactions``
    (the five-subject network) and ``motivation`` (registered households).

    Rule: households spread over ``n_villages`` (the first ``n_poor_villages`` poor); end-2014
    registration with a rate solved so the overall share is ``incidence_2014``; a constant
    yearly exit hazard 2015-2019 reaching ``incidence_2019``; lognormal incomes in 2014 and
    2019 by registration; labour capacity, disability and planted social-security coverage;
    ties between actor types with planted probabilities and ``1 + Poisson`` weights; the
    dependence facet shifted for covered households (planted); indicators drawn last at
    ``poverty_line_2014``.

    Readers get the DGP with its formulas from the ``pingliang`` passage of block
    ``generators`` in ``text/authors_guide.md``: change both together.

    Returns ``(tables, derived)``; ``derived`` holds ``registration_rate_poor_village``,
    ``exit_hazard``, ``mean_size_registered`` and ``income_mean_other_2014``.

    Raises:
        DataValidationError: more poor villages than villages, or an implied registration
            rate in poor villages outside [0, 1].
    """
    n_vil, n_pv = p["n_villages"], p["n_poor_villages"]
    if n_pv > n_vil:
        raise DataValidationError(
            "parameters.n_poor_villages", [f"{n_pv} poor villages exceed n_villages = {n_vil}"]
        )
    village = np.arange(n) % n_vil
    poor_village = village < n_pv
    share_pv = float(poor_village.mean())
    p_other = p["registered_rate_non_poor_village"]
    p_poor = (p["incidence_2014"] - (1 - share_pv) * p_other) / max(share_pv, 1e-12)
    if not 0 <= p_poor <= 1:
        raise DataValidationError(
            "parameters.registered_rate_non_poor_village",
            [f"implied registration rate in poor villages {p_poor:.3f}"],
        )
    registered = rng.random(n) < np.where(poor_village, p_poor, p_other)
    hazard = 1 - (p["incidence_2019"] / p["incidence_2014"]) ** (1 / 5)
    exit_draw = 2015 + rng.geometric(hazard, n) - 1
    exit_year = np.where(registered & (exit_draw <= 2019), exit_draw, 0)
    size_reg = p["poor_persons_lifted_2014_2019"] / p["poor_households_lifted_2014_2019"]
    size = np.where(
        registered,
        _household_size(rng, n, size_reg),
        _household_size(rng, n, p["mean_household_size_not_registered"]),
    )

    g = math.log(p["poor_area_income_2019"] / p["poor_area_income_2016"]) / 3
    mean_all_2014 = p["poor_area_income_2016"] * math.exp(-2 * g)
    inc = p["incidence_2014"]
    mean_other = (mean_all_2014 - inc * p["poor_income_2014"]) / (1 - inc)
    s = p["income_log_sd"]
    z = rng.standard_normal(n)
    log_2014 = np.where(registered, math.log(p["poor_income_2014"]), math.log(mean_other))
    log_2014 = log_2014 - s * s / 2 + s * z
    growth = np.where(registered, math.log(p["poor_income_2019"] / p["poor_income_2014"]), 5 * g)
    log_2019 = log_2014 + growth + 0.1 * rng.standard_normal(n) - 0.005

    no_labour = rng.random(n) < np.where(
        registered, p["no_labour_share_registered"], p["no_labour_share_not_registered"]
    )
    disability = rng.random(n) < np.where(
        no_labour, p["disability_share"]["no_labour"], p["disability_share"]["labour"]
    )
    cov = e["social_security_coverage"]
    cov_p = np.where(
        registered,
        np.where(no_labour, cov["registered_no_labour"], cov["registered_labour"]),
        np.where(no_labour, cov["other_no_labour"], cov["other_labour"]),
    )
    social = rng.random(n) < cov_p
    hh_ids = np.arange(1, n + 1, dtype=np.int64)
    households = pd.DataFrame(
        {
            "household_id": hh_ids,
            "village_id": (village + 1).astype(np.int64),
            "household_size": size.astype(np.int64),
            "registered_poor": registered.astype(np.int64),
            "exit_year": pd.array(np.where(exit_year > 0, exit_year, None), dtype="Int64"),
            "labour_capacity": (~no_labour).astype(np.int64),
            "disability": disability.astype(np.int64),
            "social_security": social.astype(np.int64),
            "income_2014": np.round(np.exp(log_2014), 2),
            "income_2019": np.round(np.exp(log_2019), 2),
        }
    )
    villages = pd.DataFrame(
        {
            "village_id": np.arange(1, n_vil + 1, dtype=np.int64),
            "poor_village": (np.arange(n_vil) < n_pv).astype(np.int64),
        }
    )

    reg_idx = np.flatnonzero(registered)
    ids = {
        "government": np.array(["gov_township"], dtype=object),
        "enterprise": np.array([f"ent_{k + 1}" for k in range(p["n_enterprises"])], dtype=object),
        "social_organisation": np.array(
            [f"org_{k + 1}" for k in range(p["n_social_organisations"])], dtype=object
        ),
        "village_committee": np.array([f"vc_{k + 1}" for k in range(n_vil)], dtype=object),
        "poor_household": np.array([f"hh_{h}" for h in hh_ids[reg_idx]], dtype=object),
    }
    actor_village = {
        "village_committee": np.arange(1, n_vil + 1),
        "poor_household": village[reg_idx] + 1,
    }
    actors = pd.DataFrame(
        {
            "actor_id": np.concatenate([ids[t] for t in _PL_TYPES]),
            "actor_type": np.concatenate(
                [np.full(ids[t].shape[0], t, dtype=object) for t in _PL_TYPES]
            ),
            "village_id": pd.array(
                np.concatenate(
                    [actor_village.get(t, np.full(ids[t].shape[0], None)) for t in _PL_TYPES]
                ),
                dtype="Int64",
            ),
        }
    )
    edges = []
    for pair in _PL_PAIRS:
        a, b = pair.split("--")
        prob = e["tie_probability"][pair]
        if a == "village_committee" and b == "poor_household":
            src = ids[a][village[reg_idx]]
            tgt = ids[b]
        else:
            src = np.repeat(ids[a], ids[b].shape[0])
            tgt = np.tile(ids[b], ids[a].shape[0])
        keep = rng.random(src.shape[0]) < prob
        k = int(keep.sum())
        edges.append(
            pd.DataFrame(
                {
                    "source_id": src[keep],
                    "source_type": np.full(k, a, dtype=object),
                    "target_id": tgt[keep],
                    "target_type": np.full(k, b, dtype=object),
                    "contacts_per_year": (1 + rng.poisson(p["contacts_extra_mean"], k)).astype(
                        np.int64
                    ),
                }
            )
        )
    interactions = pd.concat(edges, ignore_index=True)

    shifts = {"dependence": social * e["social_security_dependence_shift"]}
    items, _ = _motivation(rng, rng.standard_normal(n), shifts, p)
    m = max(1, round(p["survey_fraction"] * reg_idx.shape[0])) if reg_idx.size else 0
    sample = np.sort(rng.permutation(reg_idx)[:m])
    motivation_df = pd.DataFrame(
        {
            "respondent_id": np.arange(1, m + 1, dtype=np.int64),
            "household_id": hh_ids[sample],
            "role": np.full(m, "poor_household", dtype=object),
            **{k: items[k][sample] for k in _item_ids("endogenous_motivation")},
        }
    )
    # Drawn last so that the tables above do not depend on the indicator parameters.
    indicators = _indicators(rng, households["income_2014"].to_numpy() < p["poverty_line_2014"], p)
    households = households.assign(**indicators)
    derived = {
        "registration_rate_poor_village": p_poor,
        "exit_hazard": hazard,
        "mean_size_registered": size_reg,
        "income_mean_other_2014": mean_other,
    }
    tables = {
        "villages": villages,
        "households": households,
        "actors": actors,
        "interactions": interactions,
        "motivation": motivation_df,
    }
    return tables, derived


_GENERATORS = {
    "liupanshui": _gen_liupanshui,
    "shandong_a_town": _gen_shandong_a_town,
    "w_town": _gen_w_town,
    "h_county": _gen_h_county,
    "pingliang": _gen_pingliang,
}


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
def _str_keys(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _str_keys(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_str_keys(v) for v in obj]
    return obj


def _jsonable(obj: Any) -> Any:
    """Round-trip through JSON so ``meta`` equals what :func:`read` returns."""
    return json.loads(json.dumps(_str_keys(obj), sort_keys=True, default=float))


def _conform(df: pd.DataFrame, slug: str, table: str, source: str) -> pd.DataFrame:
    """Cast the schema's columns to their dtypes; missing columns or bad values are errors,
    except an :data:`OPTIONAL_COLUMNS` group left out entirely."""
    schema = TABLE_SCHEMAS[slug][table]
    group = OPTIONAL_COLUMNS.get(slug, {}).get(table, ())
    present = [c for c in group if c in df.columns]
    optional_absent = set(group) if not present else set()
    problems = [
        f"column {c!r}: missing"
        + (f" (optional group {', '.join(group)}: give all or none)" if c in group else "")
        for c, *_ in schema
        if c not in df.columns and c not in optional_absent
    ]
    out = df.copy(deep=False)
    for col, kind, *_ in schema:
        if col not in df.columns or (
            str(out[col].dtype) == _DTYPES[kind] and not (kind == "str" and out[col].isna().any())
        ):
            continue  # already the documented type: no copy (generated tables are large)
        try:
            if kind == "str":
                if out[col].isna().any():
                    raise ValueError("missing values")
                out[col] = out[col].astype(object)
            elif kind == "int":
                if out[col].isna().any():
                    raise ValueError("missing values")
                as_float = pd.to_numeric(out[col]).astype(float)
                if not np.array_equal(as_float, np.round(as_float)):
                    raise ValueError("non-integer values")
                out[col] = as_float.astype(np.int64)
            elif kind == "int?":
                out[col] = pd.to_numeric(out[col]).astype("Int64")
            else:
                out[col] = pd.to_numeric(out[col]).astype(np.float64)
        except (ValueError, TypeError) as exc:
            first = out[col].iloc[0] if len(out) else None
            problems.append(
                f"column {col!r}: cannot be read as {kind} ({exc}; first value {first!r})"
            )
    if problems:
        raise DataValidationError(source, problems)
    out.attrs = {}
    return out


def generate(
    slug: str,
    seed: int | None = None,
    n: int | None = None,
    params_path: str | os.PathLike[str] | None = None,
) -> SimulatedData:
    """Generate a case's simulated field data from an explicit seed.

    ``n`` is the number of households of the household frame (for ``shandong_a_town`` the
    registered poor households; survey samples are ``survey_fraction`` of them). Without
    ``seed`` and ``n`` the result is the case's one world (:func:`world`: its seed and
    ``villages x households_per_village`` households, declared in the YAML's ``world`` block);
    an explicit ``n`` keeps the world's households per village, so the number of villages is
    ``ceil(n / households_per_village)`` (Pingliang: the world's villages, whose households
    then number about ``n / villages`` each). Generation is vectorised with numpy
    (``np.random.default_rng(seed)``); the same seed, ``n`` and YAML give identical tables. The
    DGP of each case is written out in ``text/authors_guide.md`` (block ``generators``).

    Returns :class:`SimulatedData` whose ``meta`` holds ``simulated=True``, ``case``, ``seed``,
    ``n``, ``world`` (the declared world's numbers) and ``is_world`` (whether this draw is that
    world), ``generator_version``, ``params_file``, ``params_sha256``, ``parameters`` and
    ``planted_effects`` (values), ``derived`` (calibrated quantities such as solved log-SDs) and
    ``tables`` (rows and columns); every table has ``attrs["simulated"] = True``.

    Raises:
        ParameterError: unknown ``slug``; ``n`` not a positive integer; ``seed`` not a
            non-negative integer.
        DataValidationError: malformed parameter file (file and field named) or parameters that
            are jointly infeasible (e.g. an inclusion error that needs a registration rate > 1).
    """
    _check_slug(slug)
    path = Path(params_path) if params_path is not None else SYNTH / f"{slug}.yaml"
    raw = load_params(slug, path)
    the_world = world(slug, path)
    seed = the_world.seed if seed is None else seed
    n = the_world.households if n is None else n
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n <= 0:
        raise ParameterError(f"n must be a positive integer (households), got {n!r}")
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    params, effects = _values(raw["parameters"]), _values(raw["planted_effects"])
    # The world's size reaches the generators as parameters: households per village (every
    # generator) and the number of villages (Pingliang's, whose town has a fixed number).
    params.update(
        households_per_village=the_world.households_per_village, n_villages=the_world.villages
    )
    rng = np.random.default_rng(int(seed))
    tables, derived = _GENERATORS[slug](rng, int(n), params, effects)
    tables = {name: _conform(df, slug, name, f"synth.{slug}.{name}") for name, df in tables.items()}
    meta = _jsonable(
        {
            "simulated": True,
            "case": slug,
            "title": raw["title"],
            "seed": int(seed),
            "n": int(n),
            "world": {
                "seed": the_world.seed,
                "villages": the_world.villages,
                "households_per_village": the_world.households_per_village,
                "households": the_world.households,
                "first_year": the_world.first_year,
                "last_year": the_world.last_year,
            },
            "is_world": int(seed) == the_world.seed and int(n) == the_world.households,
            "generator": "cases.simulate.synth",
            "generator_version": GENERATOR_VERSION,
            "params_file": path.name,
            "params_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "parameters": params,
            "planted_effects": effects,
            "derived": derived,
            "tables": {k: {"rows": len(v), "columns": list(v.columns)} for k, v in tables.items()},
        }
    )
    for df in tables.values():
        df.attrs.update(simulated=True, case=slug)
    return SimulatedData(tables=tables, meta=meta)


def _stamp(meta: Mapping[str, Any]) -> str | None:
    """The value of the stamp column of generated tables (None for data not generated here)."""
    if not meta.get("simulated"):
        return None
    return (
        f"{fielddata.SIMULATION_STAMP_PREFIX} {meta.get('generator_version', GENERATOR_VERSION)} "
        f"seed {meta.get('seed')}"
    )


def write(data: SimulatedData, folder: str | os.PathLike[str]) -> Path:
    """Write each table to ``<folder>/<table>.csv`` and ``meta`` to ``metadata.json``.

    Simulated tables (``meta["simulated"]``) are stamped: each CSV gets a last column
    ``simulated_by`` (:data:`cases.data.fielddata.SIMULATION_STAMP_COLUMN`) holding
    ``cases.simulate.synth <version> seed <seed>`` in every row, so a table copied into a
    field-data folder on its own is still known as simulated (``cases check-data`` refuses it,
    naming the file). :func:`read` removes the column again.

    Byte-stable: UTF-8, LF newlines, no index, floats in shortest round-trip form (values are
    rounded at generation), JSON with sorted keys and two-space indent. Each file is written to
    a temporary file in the same folder and renamed into place (atomic per file on POSIX);
    ``metadata.json`` is written last, so its presence marks a complete folder. Returns the
    folder.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    stamp = _stamp(data.meta)
    for name, df in data.tables.items():
        stamped = df.assign(**{fielddata.SIMULATION_STAMP_COLUMN: stamp}) if stamp else df
        text = stamped.to_csv(index=False, lineterminator="\n")
        write_atomic(out / f"{name}.csv", text.encode("utf-8"))
    meta = json.dumps(data.meta, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    write_atomic(out / METADATA_FILE, meta.encode("utf-8"))
    return out


def read(folder: str | os.PathLike[str], case: str | None = None) -> SimulatedData:
    """Read a folder written by :func:`write`, or a researcher's own files in the same format.

    The case is ``meta["case"]`` from ``metadata.json`` or the ``case`` argument (they must
    agree). Every table of the case's schema must be present as ``<table>.csv`` with its
    documented columns, which are cast to their types (extra columns are kept as read); only
    the tables in :data:`OPTIONAL_TABLES` and the column groups in :data:`OPTIONAL_COLUMNS`
    (left out entirely) may be absent.
    ``df.attrs["simulated"]`` mirrors ``meta["simulated"]`` (False when no metadata says
    otherwise and no table carries the stamp column of :func:`write`, which is removed).

    Raises:
        ParameterError: unknown case, or ``case`` disagreeing with the metadata.
        DataValidationError: folder or table missing, unreadable metadata, missing columns or
            values that cannot be cast (file and column named).
    """
    src = Path(folder)
    if not src.is_dir():
        raise DataValidationError(str(src), ["folder not found"])
    meta_path = src / METADATA_FILE
    meta: dict[str, Any] = {}
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataValidationError(str(meta_path), [f"invalid JSON: {exc}"]) from None
        if not isinstance(meta, dict):
            raise DataValidationError(str(meta_path), ["top level must be an object"])
    slug = meta.get("case", case)
    if case is not None and slug != case:
        raise ParameterError(f"case={case!r} but {meta_path} says case={slug!r}")
    if slug is None:
        raise ParameterError(f"{src}: no metadata.json with a case; pass case=<slug>")
    _check_slug(slug)
    meta.setdefault("case", slug)
    meta.setdefault("simulated", False)
    tables = {}
    stamped = False
    for name in TABLE_SCHEMAS[slug]:
        path = src / f"{name}.csv"
        if not path.is_file() and name in OPTIONAL_TABLES.get(slug, ()):
            continue
        if not path.is_file():
            raise DataValidationError(str(path), [f"table {name!r} of case {slug!r} not found"])
        kinds = {c: k for c, k, *_ in TABLE_SCHEMAS[slug][name]}
        df = pd.read_csv(
            path,
            encoding="utf-8",
            dtype={c: str for c, k in kinds.items() if k == "str"},
            keep_default_na=True,
        )
        if fielddata.SIMULATION_STAMP_COLUMN in df.columns:
            stamped = True
            df = df.drop(columns=fielddata.SIMULATION_STAMP_COLUMN)
        tables[name] = _conform(df, slug, name, str(path))
    # A stamped table was written by the generator, whatever metadata.json says.
    meta["simulated"] = bool(meta["simulated"]) or stamped
    for df in tables.values():
        df.attrs.update(simulated=meta["simulated"], case=slug)
    return SimulatedData(tables=tables, meta=meta)


def _fmt(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value)
    if value is None:
        return "—"
    return str(value)


def _cell(text: Any) -> str:
    return _fmt(text).replace("|", "\\|").replace("\n", " ")


def description(slug: str, params_path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The generator's documentation for one case: facts of the page "How the data were
    simulated" (``text/simulation.md``) and of the authors' guide's section on the generators
    (block ``generators`` of ``text/authors_guide.md``, through
    :func:`cases.pages.guide.generators`).

    - ``version``: :data:`GENERATOR_VERSION`;
    - ``dgp``: which generator makes the data (the slug), choosing the DGP passage of
      ``text/authors_guide.md``; ``uses_motivation`` and ``uses_indicators``: whether the case's
      parameters use the shared motivation and indicator blocks (so the page describes them);
      ``param``: the parameter values (name -> value as in the YAML) the passage states,
      with the world's ``households_per_village`` and ``n_villages``;
    - ``parameters``: one row per parameter of ``data/synth/<slug>.yaml``: ``name``, and as
      Markdown table cells (``|`` escaped, one line) ``value``, ``unit``, ``meaning``, ``basis``
      ("source" or "assumed"), ``basis_text`` (the citation or the reason), ``measures`` (what
      the published figure measures; empty for assumed values) and ``borrowed`` (the other
      place or aggregate a published figure describes, when it is not the case's own; else
      empty);
    - ``planted``: one row per planted effect: ``name``, ``value``, ``unit``, ``claim``,
      ``recovered_by``, ``why`` (the reason for its size), as cells;
    - ``tables``: per table of :data:`TABLE_SCHEMAS`, ``file`` (``<slug>/<table>.csv``) and
      ``columns`` with ``column``, ``kind``, ``unit``, ``meaning`` and ``requirement``
      (:func:`requirement`).

    Raises: as :func:`load_params`.
    """
    raw = load_params(slug, params_path)
    parameters = [
        {
            "name": name,
            "value": _cell(ent["value"]),
            "unit": _cell(ent["unit"]),
            "meaning": _cell(ent["meaning"]),
            "basis": "source" if "source" in ent else "assumed",
            "basis_text": _cell(ent["source"] if "source" in ent else ent["assumed"]),
            "measures": _cell(ent.get("measures", "")),
            "borrowed": _cell(ent.get("borrowed", "")),
        }
        for name, ent in raw["parameters"].items()
    ]
    planted = [
        {
            "name": name,
            **{k: _cell(ent[k]) for k in ("value", "unit", "claim", "recovered_by")},
            "why": _cell(ent["assumed"]),
        }
        for name, ent in raw["planted_effects"].items()
    ]
    tables = [
        {
            "file": f"{slug}/{table}.csv",
            "columns": [
                {
                    "column": c,
                    "kind": k,
                    "unit": u,
                    "meaning": d,
                    "requirement": requirement(slug, table, c),
                }
                for c, k, u, d in cols
            ],
        }
        for table, cols in TABLE_SCHEMAS[slug].items()
    ]
    uses = raw["parameters"]
    w = world(slug, params_path)
    return {
        "version": GENERATOR_VERSION,
        "dgp": slug,
        "uses_motivation": "motivation_item_loading" in uses,
        "uses_indicators": "deprivation_if_poor" in uses,
        # The world's size reaches the DGP passages under the names the generators use.
        "param": {
            **_values(uses),
            "households_per_village": w.households_per_village,
            "n_villages": w.villages,
        },
        "parameters": parameters,
        "planted": planted,
        "tables": tables,
    }


__doc__ = (
    (__doc__ or "")
    + "\nTable formats\n-------------\n"
    + "\n".join(_schema_markdown(s) for s in SLUGS)
)


def field_data(
    case: str,
    data_dir: str | os.PathLike[str] = "",
    seed: int | None = None,
    n: int | None = None,
    instrument: str | os.PathLike[str] | None = None,
) -> SimulatedData:
    """The field data an analysis template runs on: a researcher's folder, or simulated data.

    Rule: with an empty ``data_dir`` the case's generator runs with ``seed`` and ``n``
    (``meta["simulated"]`` is True and every exhibit is stamped "Simulated data"); ``n`` of 0
    or None, and ``seed`` None, mean the case's one world (:func:`world`), which every page of a
    chapter shares; otherwise the
    folder is read by the one field-data reader, :mod:`cases.data.fielddata` (through
    :mod:`cases.io`: encodings, XLSX/SAV/DTA, declared missing codes, identifier guard), each
    table validated when an analysis first uses it. A folder whose ``metadata.json`` carries
    simulation metadata is refused. ``instrument`` (a path to an instrument YAML) replaces the
    case's questionnaire in the validation of its survey table.

    Raises:
        ParameterError: ``data_dir`` is given but is not an existing folder (named).
        DataValidationError: the metadata or a table read does not match the format (every
            problem with file, row, column and masked value).
    """
    if not str(data_dir).strip():
        if isinstance(n, int | np.integer) and not isinstance(n, bool) and n < 0:
            raise ParameterError(f"n must be 0 (the case's world) or a positive integer, got {n}")
        return generate(case, seed=seed, n=n or None)
    _check_slug(case)
    meta, tables = fielddata.open_folder(data_dir, folder_spec(case, instrument or None))
    return SimulatedData(tables=tables, meta=meta)  # type: ignore[arg-type]


def _table_instruments(case: str) -> dict[str, str]:
    """Table -> instrument of the tables whose columns are a questionnaire's items (the
    ``{items: <instrument>}`` entries of ``data/synth/schemas.yaml``)."""
    spec = load_yaml(_SchemaFile, SCHEMAS_FILE)
    return {
        table: entry.items
        for table, entries in spec.cases[case].items()
        for entry in entries
        if isinstance(entry, _Items)
    }


_TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "villages": ("village_id",),
    "households": ("household_id",),
    "survey": ("respondent_id",),
    "motivation": ("respondent_id",),
    "assistance": ("record_id",),
    "actors": ("actor_id",),
    "panel": ("household_id", "year"),
    "incomes": ("household_id", "year"),
}


def folder_spec(
    case: str, instrument: str | os.PathLike[str] | None = None
) -> fielddata.FolderSpec:
    """What an own-data folder of ``case`` holds (tables, kinds, categories, instruments), for
    the one reader :mod:`cases.data.fielddata`. ``instrument`` replaces the case's
    questionnaire (a path to an instrument YAML)."""
    _check_slug(case)
    instruments = _table_instruments(case)
    tables = {t: list(cols) for t, cols in TABLE_SCHEMAS[case].items()}
    categories: dict[str, dict[str, list[str]]] = {}
    for table, own in list(instruments.items()):
        items = set(_item_ids(own))  # the case's questionnaire, replaced by ``instrument``
        name = instruments[table] = str(instrument) if instrument is not None else own
        inst = load_instrument(name)
        tables[table] = [c for c in tables[table] if c[0] not in items] + [
            (i, "int", f"code {inst.item_range(i)[0]}-{inst.item_range(i)[1]}", f"{inst.id} item")
            for i in inst.item_ids
        ]
        if inst.roles:
            categories.setdefault(table, {})["role"] = list(inst.roles)
    for table, cols in tables.items():
        for col, *_ in cols:
            if col == "actor_type" and table == "assistance":
                categories.setdefault(table, {})[col] = list(_ACTORS3)
            elif col.endswith("_type") and table in ("actors", "interactions"):
                categories.setdefault(table, {})[col] = list(_PL_TYPES)
    clusters = {
        t: "village_id" for t, cols in tables.items() if any(c[0] == "village_id" for c in cols)
    }
    return fielddata.FolderSpec(
        case=case,
        tables=tables,
        optional_tables=OPTIONAL_TABLES.get(case, ()),
        optional_columns=OPTIONAL_COLUMNS.get(case, {}),
        categories=categories,
        instruments=instruments,
        keys={t: k for t, k in _TABLE_KEYS.items() if t in tables},
        clusters={t: c for t, c in clusters.items() if t in ("households", "panel")},
    )
