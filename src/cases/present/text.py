"""The one text renderer: Markdown templates with Jinja2 placeholders and named formats.

Every sentence a reader sees that depends on a result lives in a text template under
``text/<analysis>.md`` (project root). A template is Markdown with Jinja2 syntax; each
``{% block name %}…{% endblock %}`` is one passage that a page glues under its own key, e.g.::

    {% block gap %}
    Poverty counties had {{ tap_gap | pct1 }} fewer households with tap water
    {%- if tap_gap_ci.excludes_zero %}, a gap the 95 % interval does not cover{% endif %}.
    {% endblock %}

Rules:

- An unknown placeholder is an error (:class:`TextTemplateError`) naming the template and the
  line; so is an unknown format.
- Numbers are formatted only through the named formats of :data:`FORMATS` (one place for the
  house style), never with f-strings in Python.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Collection, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cases.core import paths
from cases.core.errors import CasesError

MINUS = "−"  # U+2212: a typographic minus for printed numbers


class TextTemplateError(CasesError):
    """A text template could not be rendered: missing template, block or placeholder."""


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _fixed(value: Any, digits: int, suffix: str = "", scale: float = 1.0) -> str:
    number = _number(value)
    if number is None:
        return "n/a"
    text = f"{number * scale:,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        text = text.lstrip("-")  # never print "-0.0"
    return text.replace("-", MINUS) + suffix


def pct(value: Any, digits: int = 1) -> str:
    """A share (0.123) as a percentage with ``digits`` decimals: ``12.3 %``."""
    return _fixed(value, digits, " %", scale=100.0)


def points(value: Any, digits: int = 1) -> str:
    """A difference of shares (0.052) in percentage points: ``5.2 points``."""
    return _fixed(value, digits, " points", scale=100.0)


def integer(value: Any) -> str:
    """A count with thousands separators: ``12,345``."""
    return _fixed(value, 0)


def yuan(value: Any) -> str:
    """An amount of yuan, rounded to the yuan: ``2,800 yuan``."""
    return _fixed(value, 0, " yuan")


def pvalue(value: Any) -> str:
    """A p-value as printed in the book: ``p < 0.001``, ``p = 0.02``, ``p = 0.34``."""
    number = _number(value)
    if number is None:
        return "p = n/a"
    if number < 0.001:
        return "p < 0.001"
    return f"p = {number:.3f}" if number < 0.01 else f"p = {number:.2f}"


def table_pvalue(value: Any) -> str:
    """A p-value in a table cell: ``< 0.001`` below 0.001 (a wild-bootstrap p-value of exactly
    0 included), else three decimals (``0.021``); ``n/a`` when missing."""
    number = _number(value)
    if number is None:
        return "n/a"
    return "< 0.001" if number < 0.001 else f"{number:.3f}"


def table_number(value: Any, digits: int = 2) -> str:
    """A number in a table cell: ``digits`` decimals, thousands separators, a typographic minus,
    and never a negative zero (``-0.0004`` prints ``0.000``)."""
    return _fixed(value, digits)


def signed(value: Any, digits: int = 2) -> str:
    """A number with its sign always shown: ``+0.12``, ``−0.05``, ``0.00``."""
    text = _fixed(value, digits)
    return text if text.startswith(MINUS) or float(text.replace(",", "")) == 0 else "+" + text


def plain(value: Any) -> str:
    """A number as Python prints it, without thousands separators: ``2012``, ``6000``, ``0.5``
    (years, and counts in passages that always printed them this way); a whole float prints
    as a whole number (``5903.0`` -> ``5903``)."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return "n/a"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def fixed(value: Any, digits: int) -> str:
    """Fixed decimals as Python's ``.<digits>f`` prints them: an ASCII hyphen for a negative
    number and no thousands separator (``-0.009``), the form of the book's ``{glue:text}``
    roles; for estimates whose printed form must not change."""
    number = _number(value)
    return "n/a" if number is None else f"{number:.{digits}f}"


def hyphen_signed(value: Any, digits: int = 1) -> str:
    """A number with its sign always shown and an ASCII hyphen-minus, as Python's ``+.1f``
    prints it: ``+6.3``, ``-21.5``, ``+0.0``. Only for pages whose printed text predates the
    typographic minus of :func:`signed` (the area-context page's percentage changes)."""
    number = _number(value)
    return "n/a" if number is None else format(number, f"+.{digits}f")


def tight_pct(value: Any, digits: int = 1) -> str:
    """A share as Python's ``.<digits>%`` prints it, the percent sign close to the number:
    ``12.3%`` (:func:`pct` prints ``12.3 %``). Only for pages whose printed text predates the
    house style (the poverty profile)."""
    number = _number(value)
    return "n/a" if number is None else format(number, f".{digits}%")


def general(value: Any) -> str:
    """A number in Python's general ``g`` form, six significant digits: ``0.333333``, ``0.5``
    (a cutoff k in a table caption)."""
    number = _number(value)
    return "n/a" if number is None else format(number, "g")


_NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
)  # fmt: skip


def words(value: Any) -> str:
    """A whole number from zero to twelve in words (``10`` -> ``ten``), as prose spells small
    counts; any other value as :func:`plain` prints it."""
    value = value.item() if hasattr(value, "item") else value
    whole = isinstance(value, int) and not isinstance(value, bool)
    return _NUMBER_WORDS[value] if whole and 0 <= value < len(_NUMBER_WORDS) else plain(value)


_ORDINAL_WORDS = (
    "zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
    "ninth", "tenth", "eleventh", "twelfth",
)  # fmt: skip


def ordinal(value: Any) -> str:
    """A rank as prose spells it: ``1`` -> ``first`` up to ``12`` -> ``twelfth``, then digits
    with the English suffix (``13th``, ``21st``, ``102nd``, ``111th``); any other value (a
    fraction, a negative number, text) as :func:`plain` prints it."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        return plain(value)
    if value < len(_ORDINAL_WORDS):
        return _ORDINAL_WORDS[value]
    suffix = (
        "th" if value % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
    )
    return f"{value}{suffix}"


#: The named formats, usable as Jinja2 filters: ``{{ share | pct1 }}``.
FORMATS: dict[str, Callable[..., str]] = {
    "pct": pct,
    "pct0": lambda v: pct(v, 0),
    "pct1": lambda v: pct(v, 1),
    "points": points,
    "int": integer,
    "yuan": yuan,
    "dec0": lambda v: _fixed(v, 0),
    "dec1": lambda v: _fixed(v, 1),
    "dec2": lambda v: _fixed(v, 2),
    "dec3": lambda v: _fixed(v, 3),
    "signed": signed,
    "pvalue": pvalue,
    "table_pvalue": table_pvalue,
    "plain": plain,
    "fixed2": lambda v: fixed(v, 2),
    "fixed3": lambda v: fixed(v, 3),
    "hyphen_signed1": hyphen_signed,
    "hyphen_signed2": lambda v: hyphen_signed(v, 2),
    "hyphen_signed3": lambda v: hyphen_signed(v, 3),
    "pct0_tight": lambda v: tight_pct(v, 0),
    "pct1_tight": lambda v: tight_pct(v, 1),
    "pct2_tight": lambda v: tight_pct(v, 2),
    "general": general,
    "words": words,
    # Appended for prose that must never print "-0.000" or an ASCII hyphen as a minus sign:
    "signed1": lambda v: signed(v, 1),
    "signed3": lambda v: signed(v, 3),
    # Appended for a whole percentage change with its sign ("+1,181"):
    "signed0": lambda v: signed(v, 0),
    "ordinal": ordinal,
}


@cache
def _environment(folder: str) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown, not HTML
    )
    env.filters.update(FORMATS)
    return env


def template_path(name: str, folder: Path | None = None) -> Path:
    """``text/<name>.md``: the text template of one analysis."""
    return (folder or paths.TEXT) / f"{name}.md"


def _where(exc: BaseException, path: Path) -> str:
    """``text/x.md, line N`` from the traceback Jinja2 rewrites into template frames."""
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    return f"{path}, line {lines[-1]}" if lines else str(path)


def render_blocks(
    name: str,
    context: Mapping[str, Any],
    folder: Path | None = None,
    only: Collection[str] | None = None,
) -> dict[str, str]:
    """Render every block of the template ``name`` (or the blocks named in ``only``) with
    ``context``: ``{block: Markdown}``.

    Raises:
        TextTemplateError: the template is missing or malformed, a block of ``only`` is not in
            it, a placeholder or attribute is not in ``context``, or a filter is not one of
            :data:`FORMATS` (template and line named).
    """
    import jinja2

    path = template_path(name, folder)
    env = _environment(str(path.parent))
    try:
        template = env.get_template(path.name)
    except jinja2.TemplateNotFound:
        raise TextTemplateError(f"{path}: text template not found") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TextTemplateError(f"{path}, line {exc.lineno}: {exc.message}") from None
    if only is not None and (missing := sorted(set(only) - set(template.blocks))):
        raise TextTemplateError(f"{path}: no block {', '.join(missing)}")
    ctx = template.new_context(dict(context))
    out = {}
    for block, render in template.blocks.items():
        if only is not None and block not in only:
            continue
        try:
            try:
                out[block] = "".join(render(ctx)).strip()
            except Exception:
                env.handle_exception()  # re-raises with the template's own line numbers
        except jinja2.UndefinedError as exc:
            raise TextTemplateError(
                f"{_where(exc, path)} (block {block!r}): {exc.message}"
            ) from None
        except (TypeError, ValueError) as exc:
            raise TextTemplateError(f"{_where(exc, path)} (block {block!r}): {exc}") from None
    return out
