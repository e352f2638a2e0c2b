"""Recall's rate limits (300 requests/min per workspace, 60/min on list endpoints).

A sliding one-minute window per bucket. Real time (monotonic), not the simulation
clock: throttling is about how fast a client sends, whatever time the test pretends.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable

__all__ = ["RateLimiter"]

WINDOW = 60.0


class RateLimiter:
    """Counts requests per bucket; `acquire` answers how long to wait when over the limit."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._hits: dict[str, collections.deque[float]] = {}

    def acquire(self, limits: dict[str, int]) -> int | None:
        """Count one request against every bucket in ``limits`` (name -> per minute).

        None when allowed (and counted in every bucket); else the whole seconds until
        the fullest bucket has room, and nothing is counted.
        """
        now = self._monotonic()
        with self._lock:
            wait = 0.0
            for bucket, limit in limits.items():
                hits = self._hits.setdefault(bucket, collections.deque())
                while hits and hits[0] <= now - WINDOW:
                    hits.popleft()
                if len(hits) >= limit:
                    wait = max(wait, hits[len(hits) - limit] + WINDOW - now)
            if wait > 0:
                return max(1, math.ceil(wait))
            for bucket in limits:
                self._hits[bucket].append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
