"""Whether a stream gets colour and in-place rewriting: decided in one place for every command.

The order follows pytest's ``should_do_markup`` (``_pytest/_io/terminalwriter.py``), with
an explicit ``--color always|never`` first: per https://no-color.org, a command-line
option overrides ``NO_COLOR``, and ``NO_COLOR`` overrides everything the user did not say.
"""

from __future__ import annotations

import os
from typing import Literal

__all__ = ["COLOR_CHOICES", "ColorChoice", "paint", "should_do_markup"]

ColorChoice = Literal["auto", "always", "never"]
COLOR_CHOICES: tuple[ColorChoice, ...] = ("auto", "always", "never")

# SGR codes; "dim" is faint text, which some terminals show as grey.
_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "bold": "1", "dim": "2"}


def should_do_markup(stream: object, color: str = "auto") -> bool:
    """True when ``stream`` should get ANSI colour (and ``\\r`` rewriting) under ``color``.

    ``auto`` asks the environment, first match wins: ``PY_COLORS=1|0`` (pytest's own
    switch, so a pytest run and ours agree), a non-empty ``NO_COLOR`` (off), a non-empty
    ``FORCE_COLOR`` (on), ``TERM=dumb`` (off), then whether the stream is a terminal.
    """
    if color == "always":
        return True
    if color == "never":
        return False
    if os.environ.get("PY_COLORS") == "1":
        return True
    if os.environ.get("PY_COLORS") == "0":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream is no terminal
        return False


def paint(text: str, *styles: str) -> str:
    """``text`` wrapped in the ANSI codes for ``styles`` (names from ``_CODES``) and a reset."""
    if not styles:
        return text
    codes = ";".join(_CODES[style] for style in styles)
    return f"\x1b[{codes}m{text}\x1b[0m"
