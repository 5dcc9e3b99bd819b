"""Atomic file writes: a reader sees the old file or the new one, never a partial one.

Every output the compendium writes (manifests, stamps, simulated data, generated pages, edited
tables of contents) goes through :func:`write_atomic`, so a run killed at any moment leaves the
previous good file in place.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8, or bytes) to a temporary file in the same folder, then
    rename it over ``path`` (atomic on POSIX). Creates the folder if needed. On any error the
    temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
