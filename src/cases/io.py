"""Public name of :mod:`cases.data.io` (**contract** module; the code lives there).

Kept importable as ``cases.io`` for scripts and outside checks; see the layer module for
formulas, rules and references.
"""

from cases.data.io import (
    ID_KEY_ENV,
    IdentifierAction,
    IdentifierFinding,
    check_data_dir,
    hash_identifier,
    is_valid_prc_id,
    is_valid_prc_mobile,
    read_survey,
    read_table,
    scan_identifiers,
    sha256_file,
    verify_checksums,
)

__all__ = [
    "ID_KEY_ENV",
    "IdentifierAction",
    "IdentifierFinding",
    "check_data_dir",
    "hash_identifier",
    "is_valid_prc_id",
    "is_valid_prc_mobile",
    "read_survey",
    "read_table",
    "scan_identifiers",
    "sha256_file",
    "verify_checksums",
]
