"""Where the watch's text goes: a live view on a terminal, plain lines anywhere else.

pip's spinners are the model: one small interface, two implementations, chosen once
(`open_display`) from whether the stream is a terminal. The live view rewrites its
status area in place, as rich's ``Live`` does, with call lines scrolling above it; the
plain one never rewrites, and prints the status every minute so a CI log shows
progress and no job runner takes silence for a hang (pip's ``NonInteractiveSpinner``).
Both end with the final diagnosis, Ctrl-C included.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from typing import Final, Protocol, TextIO

from recall_sim.conformance.terminal import can_rewrite
from recall_sim.conformance.watch.render import Style, cut, render_status
from recall_sim.conformance.watch.state import WatchState

__all__ = ["Display", "LineDisplay", "LiveDisplay", "open_display"]

# The live status is redrawn at most this often between calls (pytest's
# REPORT_COLLECTING_RESOLUTION): enough to tick the progress without flicker.
LIVE_REFRESH_S: Final = 0.5
# How often plain output repeats the status: pip's non-interactive spinner's minute.
STATUS_EVERY_S: Final = 60.0

_HIDE_CURSOR, _SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"
_CLEAR_TO_END = "\x1b[J"


class Display(Protocol):
    def update(self, state: WatchState, lines: Sequence[str] = ()) -> None:
        """Show ``lines`` (calls, Zoom events) for good, and the status as the display does."""

    def finish(self, state: WatchState, final: str) -> None:
        """Leave the final diagnosis on screen; called exactly once, Ctrl-C included."""


class LiveDisplay:
    """A status area at the bottom of the terminal, rewritten in place; lines scroll above.

    The area's lines are cut to the terminal's width so none wraps: the rewrite moves
    the cursor up by the number of lines it wrote, which must be the number on screen.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        style: Style,
        width: Callable[[], int] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._style = style
        self._width = width or (lambda: shutil.get_terminal_size((100, 24)).columns)
        self._clock = clock
        self._area = 0  # lines of the status area now on screen
        self._drawn_at: float | None = None

    def update(self, state: WatchState, lines: Sequence[str] = ()) -> None:
        now = self._clock()
        if not lines and self._drawn_at is not None and now - self._drawn_at < LIVE_REFRESH_S:
            return
        width = max(self._width() - 1, 10)  # the last column would wrap on some terminals
        status = [cut(line, width) for line in render_status(state, style=self._style).split("\n")]
        text = self._erase() + "".join(line + "\n" for line in lines)
        text += "".join(line + "\n" for line in status)
        if self._drawn_at is None:
            text = _HIDE_CURSOR + text
        self._stream.write(text)
        self._stream.flush()
        self._area = len(status)
        self._drawn_at = now

    def finish(self, state: WatchState, final: str) -> None:
        self._stream.write(self._erase() + _SHOW_CURSOR + "\n" + final)
        self._stream.flush()
        self._area = 0

    def _erase(self) -> str:
        # Up to the first line of the area, column 0, then clear everything below.
        return f"\r\x1b[{self._area}A{_CLEAR_TO_END}" if self._area else ""


class LineDisplay:
    """Plain lines, never rewritten: one per call or event, the status every minute."""

    def __init__(
        self,
        stream: TextIO,
        *,
        style: Style,
        status_every: float = STATUS_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._style = style
        self._every = status_every
        self._clock = clock
        self._status_at = clock()

    def update(self, state: WatchState, lines: Sequence[str] = ()) -> None:
        text = "".join(line + "\n" for line in lines)
        now = self._clock()
        if now - self._status_at >= self._every:
            status = render_status(state, style=self._style)
            text += "".join(f"-- {line}\n" for line in status.split("\n"))
            self._status_at = now
        if text:
            self._stream.write(text)
            self._stream.flush()

    def finish(self, state: WatchState, final: str) -> None:
        self._stream.write("\n" + final)
        self._stream.flush()


def open_display(stream: TextIO, style: Style) -> Display:
    """The live view on a terminal that can move its cursor (`can_rewrite`), plain lines
    otherwise. Colour is decided apart (`recall_sim.conformance.terminal.should_do_markup`, giving
    ``style``): ``NO_COLOR`` or ``--color never`` keeps the live view without colour, and
    ``--color always`` colours plain lines sent to a file or a pipe.
    """
    if can_rewrite(stream):
        return LiveDisplay(stream, style=style)
    return LineDisplay(stream, style=style)
