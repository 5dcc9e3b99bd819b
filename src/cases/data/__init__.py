"""Data layer: every file the library reads, validated before anything is computed.

The five-case registry and the per-case settings (:mod:`cases.data.registry`), the public
tables with their sources and checksums (:mod:`cases.data.public_data`) and the one reader of
field data, with encodings, value labels, missing codes and the identifier guard
(:mod:`cases.data.io`). Imports only the core layer; errors name the file, row (from 1) and column.
"""
