"""A CJK font for figures, so Chinese place names and policy terms render on any machine.

Matplotlib's bundled DejaVu Sans has no Chinese glyphs: labels such as 六盘水 or 精准扶贫 come
out as empty boxes unless a font that covers them is registered. The compendium ships one as a
Python dependency, ``noto-cjk-sans-otc`` (Google's Noto Sans CJK, SIL Open Font License 1.1),
so a fresh ``pip install`` is enough; the Debian package ``fonts-noto-cjk`` is used if the
wheel is absent.

Matplotlib falls back from one font to the next only along ``font.family`` (since 3.6), not
along ``font.sans-serif``; :func:`use_cjk_font` therefore puts the CJK family both after the
Latin font in ``font.sans-serif`` and after ``"sans-serif"`` in ``font.family``. Latin text
keeps the Latin font; characters it lacks come from the CJK font.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
from matplotlib import font_manager

from cases.core.errors import CasesError

#: The face of the Noto Sans CJK collection drawn for Chinese text (simplified-Chinese forms).
CJK_FAMILY = "Noto Sans CJK SC"
#: Where Debian's ``fonts-noto-cjk`` puts the same collection.
SYSTEM_FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc"),
)


class FontNotFoundError(CasesError, FileNotFoundError):
    """No font file covering Chinese characters could be found."""


def cjk_font_file() -> Path:
    """The Noto Sans CJK collection file: from the ``noto-cjk-sans-otc`` wheel, else Debian's.

    Raises:
        FontNotFoundError: neither is installed (the message says what to install).
    """
    try:
        import noto_cjk_sans_otc

        packaged = Path(str(noto_cjk_sans_otc.FONT_PATH))
        if packaged.is_file():
            return packaged
    except ImportError:
        pass
    for candidate in SYSTEM_FONT_FILES:
        if candidate.is_file():
            return candidate
    raise FontNotFoundError(
        "no CJK font found for Chinese labels in figures: install the Python package "
        "'noto-cjk-sans-otc' (it is in requirements.lock) or the Debian package 'fonts-noto-cjk'"
    )


def register_cjk_font(path: Path | None = None) -> str:
    """Register the CJK font file with matplotlib's font manager and return its family name.

    Registering the same file twice is harmless (the font manager is only told once).

    Raises:
        FontNotFoundError: ``path`` (or the default, :func:`cjk_font_file`) does not exist.
        ValueError: the file registers no face named :data:`CJK_FAMILY`.
    """
    path = Path(path) if path is not None else cjk_font_file()
    if not path.is_file():
        raise FontNotFoundError(f"CJK font file not found: {path}")
    known = {Path(entry.fname) for entry in font_manager.fontManager.ttflist}
    if path not in known:
        font_manager.fontManager.addfont(str(path))
    names = {e.name for e in font_manager.fontManager.ttflist if Path(e.fname) == path}
    if CJK_FAMILY not in names:
        raise ValueError(f"{path}: no face named {CJK_FAMILY!r} (found: {sorted(names)})")
    return CJK_FAMILY


def use_cjk_font(path: Path | None = None) -> str:
    """Register the CJK font and make matplotlib fall back to it for glyphs the Latin font lacks.

    Rule: ``font.sans-serif`` becomes ``[<current first sans-serif font>, CJK, <rest>]`` and
    ``font.family`` becomes ``["sans-serif", CJK]``. Call it after ``seaborn.set_theme``, which
    resets the font settings.

    Raises:
        FontNotFoundError: no CJK font is installed.
    """
    family = register_cjk_font(path)
    sans = [name for name in mpl.rcParams["font.sans-serif"] if name != family]
    latin = sans[:1] or ["DejaVu Sans"]
    mpl.rcParams["font.sans-serif"] = [*latin, family, *sans[1:]]
    mpl.rcParams["font.family"] = ["sans-serif", family]
    return family
