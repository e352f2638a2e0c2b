"""Clocks passed into everything that reasons about time, so expiry is testable without sleeping."""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["LATEST_INSTANT", "SYSTEM_CLOCK", "Clock", "SystemClock", "VirtualClock"]

# 9999-12-31T23:59:59Z: the last instant an ISO-8601 timestamp (every journal's ``at``,
# every API's ``created_at``) can show, so the virtual clock never goes past it.
LATEST_INSTANT = 253_402_300_799.0


class Clock(Protocol):
    """Wall-clock time as Unix seconds."""

    def now(self) -> float: ...


class SystemClock:
    """The machine's wall clock."""

    def now(self) -> float:
        return time.time()


SYSTEM_CLOCK = SystemClock()


class VirtualClock:
    """Real time shifted by an offset that tests move forward, or frozen at a fixed instant.

    Running by default so that servers built on it behave normally until a test
    advances it; ``freeze()`` stops it for exact arithmetic.
    """

    def __init__(self, *, start: float | None = None, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0 if start is None else start - time.time()
        self._frozen_at: float | None = None
        if frozen:
            self.freeze()

    def now(self) -> float:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return time.time() + self._offset

    @property
    def offset(self) -> float:
        """Seconds this clock is ahead of the machine's clock."""
        return self.now() - time.time()

    def advance(self, seconds: float) -> float:
        """Move time forward (or back, if negative) and return the new now.

        Raises ValueError, moving nothing, when the result would leave 1970..9999.
        """
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = _in_range(self._frozen_at + seconds)
                return self._frozen_at
            _in_range(time.time() + self._offset + seconds)
            self._offset += seconds
            return time.time() + self._offset

    def set(self, instant: float) -> None:
        """Jump to an absolute Unix time, keeping the running/frozen state.

        Raises ValueError, moving nothing, when ``instant`` is outside 1970..9999.
        """
        _in_range(instant)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = instant
            else:
                self._offset = instant - time.time()

    def freeze(self) -> None:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = time.time() + self._offset

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def reset(self) -> None:
        """Back to the machine's time, running."""
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None


def _in_range(instant: float) -> float:
    if not 0.0 <= instant <= LATEST_INSTANT:
        raise ValueError(
            f"the clock would move to Unix time {instant:.0f}, outside 1970-01-01..9999-12-31 "
            f"(0..{LATEST_INSTANT:.0f})"
        )
    return instant
