"""The one way to read a YAML settings file and to hash a file.

- :func:`read_yaml` reads a YAML file whose top level must be a mapping; :func:`validate` checks
  it against a pydantic model. Every problem is raised as one
  :class:`~cases.core.errors.DataValidationError` naming the file and the field path
  (``designs.h_county.treated_share``), never a bare pydantic or YAML traceback.
- :func:`sha256_file` is the SHA-256 hex digest of a file's bytes, read in 1 MiB chunks (the
  cache key, the data package's checksums and the run records all use it).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cases.core.errors import CasesError, DataValidationError

Model = TypeVar("Model", bound=BaseModel)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest (64 lowercase hex characters) of the file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def field_path(loc: tuple[Any, ...]) -> str:
    """A pydantic error location as a dotted path with list indices in brackets:
    ``("cases", 0, "name")`` -> ``cases[0].name``."""
    return ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")


def read_yaml(
    path: str | os.PathLike[str], *, error: type[CasesError] = DataValidationError
) -> dict[str, Any]:
    """The mapping at the top of a YAML file (UTF-8).

    Raises:
        DataValidationError: (or ``error``, e.g. :class:`~cases.core.errors.RegistryError` for
            the registry and parameter files) the file is missing, is not valid YAML, or its top
            level is not a mapping; the message names the file.
    """
    source = Path(path)

    def fail(problem: str) -> CasesError:
        if issubclass(error, DataValidationError):
            return error(str(source), [problem])
        return error(f"{source}: {problem}")

    if not source.is_file():
        raise fail("file not found")
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise fail(f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise fail(f"expected a mapping at top level, got {type(data).__name__}")
    return data


def validate(model: type[Model], data: Any, source: str | os.PathLike[str]) -> Model:
    """``data`` checked against the pydantic ``model``.

    Raises:
        DataValidationError: one line per failing field, ``<field path>: <reason>``, under the
            name of ``source``.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{field_path(err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        ]
        raise DataValidationError(str(source), problems) from None


def load_yaml(model: type[Model], path: str | os.PathLike[str]) -> Model:
    """Read ``path`` (:func:`read_yaml`) and validate it against ``model`` (:func:`validate`)."""
    return validate(model, read_yaml(path), path)
