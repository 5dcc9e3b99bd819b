"""Sphinx extension for the book: pages that work offline and log no errors in the browser.

Loaded from ``book/_config.yml`` (``sphinx.extra_extensions``). It fixes two things the stock
Jupyter Book 1.x stack gets wrong on every page, both caught by ``tests/test_browser.py``:

- sphinx-thebe's inline configuration script (``const THEBE_JS_URL = …``) and
  sphinx-togglebutton's are emitted twice, and the second ``const`` declaration is a
  JavaScript ``SyntaxError``; identical scripts are now written once per page;
- the pydata theme logs "Got invalid theme mode" on a first visit because Jupyter Book leaves
  its ``default_mode`` (an ``html_context`` value) empty; it is set to ``auto`` (follow the
  reader's system setting) unless the book configures it.
"""

from __future__ import annotations

from typing import Any

DEFAULT_MODE = "auto"


def _script_key(script: Any) -> tuple:
    # Inline scripts come with filename None from some extensions and "" from others.
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def dedupe_scripts(scripts: list[Any]) -> list[Any]:
    """``scripts`` without repeats (same file or inline body and attributes), first kept."""
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    return unique


def _on_page_context(app, pagename, templatename, context, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = dedupe_scripts(list(context["script_files"]))
    # The pydata theme reads ``default_mode`` from the template context (html_context).
    if not context.get("default_mode"):
        context["default_mode"] = DEFAULT_MODE


def setup(app) -> dict[str, Any]:
    # Late priority: run after the theme and extensions have added their scripts.
    app.connect("html-page-context", _on_page_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
