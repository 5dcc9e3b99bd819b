"""Presentation layer: turns facts into what a reader sees.

It holds the one text renderer and its named number formats (:mod:`cases.present.text`), and
the shared result type of every page builder (:mod:`cases.present.page`). Modules here may
import the core, data and methods layers, never the page builders or the runner above them.
Every sentence lives in a text template under ``text/`` (Markdown with Jinja2 placeholders),
never in Python.
"""
