"""Public name of :mod:`cases.data.registry` (**contract** module; the code lives there).

Kept importable as ``cases.registry`` for scripts and outside checks; see the layer module for
formulas, rules and references.
"""

from cases.data.registry import (
    CODED_FIELDS,
    POLICY_STAGE_LABELS,
    Actor,
    Benchmark,
    Case,
    CodedItem,
    DescribedItem,
    Mechanism,
    Place,
    PolicyStage,
    Source,
    Study,
    case_files,
    codebook_path,
    list_cases,
    load_case,
    load_vocabulary,
    parse_case_file,
    profile_tables,
    slugs,
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
