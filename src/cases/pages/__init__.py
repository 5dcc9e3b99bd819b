"""Pages layer: one module per analysis template; ``build(...) -> Page``; may import core, data,
methods and present, never run. Each module computes the numbers, facts, tables and figures of
one page and returns them as a :class:`cases.present.page.Page`; every sentence that depends on
them lives in the page's text template (``text/<analysis>.md``).
"""
