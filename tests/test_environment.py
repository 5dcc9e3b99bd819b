"""The conda environment mirrors the dependency ranges of pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import yaml

from cases.core import paths


def _name(requirement: str) -> str:
    return re.split(r"[<>=!\[ ]", requirement, maxsplit=1)[0].lower()


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    required = project["project"]["dependencies"] + [
        d
        for d in project["project"]["optional-dependencies"]["dev"]
        if not d.startswith("pip-tools")
    ]
    env = yaml.safe_load((paths.ROOT / "environment.yml").read_text(encoding="utf-8"))
    entries = [d for d in env["dependencies"] if isinstance(d, str)]
    # Packages that conda-forge lacks come from PyPI through the `pip:` sub-list.
    entries += [p for d in env["dependencies"] if isinstance(d, dict) for p in d.get("pip", [])]
    conda = {_name(d): d for d in entries}
    for requirement in required:
        name = _name(requirement)
        assert name in conda, f"{name} is in pyproject.toml but not environment.yml"
        spec = (
            requirement.split("]")[-1][len(name) :]
            if "[" in requirement
            else requirement[len(name) :]
        )
        assert conda[name].endswith(spec), f"{name}: pyproject {spec!r} vs conda {conda[name]!r}"


def test_lock_pins_every_direct_dependency_exactly():
    lock = (paths.ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {m.group(1).lower() for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==", lock, re.M)}
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for requirement in project["project"]["dependencies"]:
        assert _name(requirement).replace("_", "-") in pinned, requirement
