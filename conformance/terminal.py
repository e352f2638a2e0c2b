"""Whether a stream gets colour and in-place rewriting: decided in one place for every command.

The order follows pytest's ``should_do_markup`` (``_pytest/_io/terminalwriter.py``), with
an explicit ``--color always|never`` first: per https://no-color.org, a command-line
option overrides ``NO_COLOR``, and ``NO_COLOR`` overrides everything the user did not say.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Literal, TextIO

__all__ = [
    "COLOR_CHOICES",
    "ColorChoice",
    "ProgressLine",
    "can_rewrite",
    "paint",
    "should_do_markup",
]

ColorChoice = Literal["auto", "always", "never"]
COLOR_CHOICES: tuple[ColorChoice, ...] = ("auto", "always", "never")

# SGR codes; "dim" is faint text, which some terminals show as grey.
_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "bold": "1", "dim": "2"}


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):  # a closed or detached stream is no terminal
        return False


def can_rewrite(stream: object) -> bool:
    """True when ``stream`` is a terminal that understands ``\\r`` and cursor movement.

    Separate from colour: ``--color never`` or ``NO_COLOR`` turn colour off, not
    progress; a pipe or a log file gets no progress whatever the colour.
    """
    return _isatty(stream) and os.environ.get("TERM") != "dumb"


def should_do_markup(stream: object, color: str = "auto") -> bool:
    """True when ``stream`` should get ANSI colour under ``color``.

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
    return can_rewrite(stream)


def paint(text: str, *styles: str) -> str:
    """``text`` wrapped in the ANSI codes for ``styles`` (names from ``_CODES``) and a reset."""
    if not styles:
        return text
    codes = ";".join(_CODES[style] for style in styles)
    return f"\x1b[{codes}m{text}\x1b[0m"


class ProgressLine:
    """A status line just under the output's current line, rewritten in place with ``\\r``,
    then erased, with the cursor put back where the output had got to.

    So pytest's own progress (its dots, or a verbose line waiting for PASSED) goes on
    where it was, with its colours, and nothing of the status line is left behind. Only
    for a terminal: ask `can_rewrite` first. Updates closer together than ``interval``
    are dropped (as pytest's collection line is throttled), except the first. ``guard``
    is entered around each write: under pytest, a test's output capture redirects the
    terminal's file descriptor, so the capture has to be suspended meanwhile.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        width: Callable[[], int],
        column: Callable[[], int],
        interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        guard: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        self._stream = stream
        self._width = width  # the terminal's columns, asked each time: it may be resized
        self._column = column  # where the output's current line ends, for the way back
        self._interval = interval
        self._clock = clock
        self._guard = guard
        self._shown = False
        self._last = -math.inf

    def show(self, text: str) -> None:
        now = self._clock()
        if self._shown and now - self._last < self._interval:
            return
        self._last = now
        # Never wider than the terminal: a wrapped line would leave the cursor a row lower
        # than clear() expects.
        text = text[: max(self._width() - 1, 1)]
        lead = "\r" if self._shown else "\n"
        self._write(f"{lead}{text}\x1b[K")
        self._shown = True

    def clear(self) -> None:
        """Erase the status line and go back to the end of the line above (no-op if none)."""
        if not self._shown:
            return
        self._shown = False
        self._last = -math.inf
        self._write(f"\r\x1b[K\x1b[1A\x1b[{self._column() + 1}G")

    def _write(self, text: str) -> None:
        with self._guard():
            self._stream.write(text)
            self._stream.flush()
