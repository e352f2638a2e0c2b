"""The background poller: calls every healthy credential's callback on a schedule.

Rounds never wait for each other and calls never wait for each other beyond the
concurrency bound: each call is its own task under a shared semaphore, each with
the prober's hard deadline, so a callback that hangs holds one slot for at most
``callback_deadline`` seconds and delays nobody else. A credential whose previous
call is still in flight is skipped rather than called twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.recall.models import iso_timestamp
from recall_sim.simulator.recall.settings import RecallSettings
from recall_sim.simulator.tasks import cancel_and_wait

__all__ = ["PollRound", "Poller"]

_log = logging.getLogger("recall_sim.recall.poller")


@dataclass(frozen=True)
class PollRound:
    """What one round did: how many callbacks were called and how they fared."""

    started_at: float
    duration_s: float
    polled: int
    accepted: int
    rejected: int
    skipped: int

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": iso_timestamp(self.started_at),
            "duration_s": round(self.duration_s, 4),
            "polled": self.polled,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "skipped": self.skipped,
        }


class Poller:
    """Schedules rounds on the event loop it is started on; rounds can also be run directly."""

    def __init__(
        self,
        *,
        poll_one: Callable[[uuid.UUID], Awaitable[bool | None]],
        work: Callable[[], Sequence[uuid.UUID]],
        settings: Callable[[], RecallSettings],
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self._poll_one = poll_one
        self._work = work
        self._settings = settings
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._in_flight: set[uuid.UUID] = set()
        self._semaphore: tuple[asyncio.AbstractEventLoop, int, asyncio.Semaphore] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduler: asyncio.Task[None] | None = None
        self._rounds: set[asyncio.Task[PollRound | None]] = set()
        self._wake: asyncio.Event | None = None
        self._round_requested = False

    @property
    def running(self) -> bool:
        return self._scheduler is not None and not self._scheduler.done()

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def _slots(self) -> asyncio.Semaphore:
        # One semaphore per loop and bound, shared by overlapping rounds.
        loop = asyncio.get_running_loop()
        size = self._settings().poll_concurrency
        if self._semaphore is None or self._semaphore[:2] != (loop, size):
            self._semaphore = (loop, size, asyncio.Semaphore(size))
        return self._semaphore[2]

    async def run_round(self, credential_ids: Sequence[uuid.UUID] | None = None) -> PollRound:
        """Call every credential in ``credential_ids`` (default: the work list) once, at once."""
        started_at, t0 = self._clock.now(), time.perf_counter()
        targets = list(self._work() if credential_ids is None else credential_ids)
        jitter = self._settings().poll_jitter
        slots = self._slots()
        tasks = []
        skipped = 0
        for credential_id in targets:
            if credential_id in self._in_flight:
                skipped += 1
                continue
            self._in_flight.add(credential_id)
            delay = self._rng.uniform(0, jitter) if jitter > 0 else 0.0
            tasks.append(asyncio.create_task(self._call(credential_id, delay, slots)))
        results = await asyncio.gather(*tasks)
        done = [accepted for accepted in results if accepted is not None]
        accepted = sum(done)
        return PollRound(
            started_at=started_at,
            duration_s=time.perf_counter() - t0,
            polled=len(done),
            accepted=accepted,
            rejected=len(done) - accepted,
            skipped=skipped,
        )

    async def _call(
        self, credential_id: uuid.UUID, delay: float, slots: asyncio.Semaphore
    ) -> bool | None:
        try:
            if delay:
                await asyncio.sleep(delay)
            async with slots:
                return await self._poll_one(credential_id)
        except Exception:  # one broken credential must not end the round or the poller
            _log.exception("polling credential %s failed inside the simulator", credential_id)
            return None
        finally:
            self._in_flight.discard(credential_id)

    # the schedule

    def start(self) -> None:
        """Start scheduling rounds on the running loop (call from inside it)."""
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._scheduler = self._loop.create_task(self._schedule(), name="recall-sim poller")

    async def stop(self) -> None:
        """Stop the schedule and cancel rounds in progress."""
        tasks: list[asyncio.Task[Any]] = list(self._rounds)
        if self._scheduler is not None:
            tasks.append(self._scheduler)
        await cancel_and_wait(tasks)
        self._scheduler = None
        self._rounds.clear()
        self._loop = None

    def trigger(self) -> None:
        """Start a round now without waiting for it; safe from any thread."""
        self._in_loop(self._request_round)

    def reschedule(self) -> None:
        """Restart the wait with the current interval (after a settings change)."""
        self._in_loop(lambda: self._wake.set() if self._wake is not None else None)

    def _request_round(self) -> None:
        self._round_requested = True
        if self._wake is not None:
            self._wake.set()

    def _in_loop(self, action: Callable[[], object]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            action()
        else:
            loop.call_soon_threadsafe(action)

    async def _schedule(self) -> None:
        assert self._wake is not None
        while True:
            interval = self._settings().poll_interval
            timed_out = False
            try:
                async with asyncio.timeout(interval if interval > 0 else None):
                    await self._wake.wait()
            except TimeoutError:
                timed_out = True
            self._wake.clear()
            if timed_out or self._round_requested:
                self._round_requested = False
                task = asyncio.create_task(self._scheduled_round(), name="recall-sim poll round")
                self._rounds.add(task)
                task.add_done_callback(self._rounds.discard)

    async def _scheduled_round(self) -> PollRound | None:
        try:
            return await self.run_round()
        except Exception:  # e.g. the state file vanished: log it and keep the schedule alive
            _log.exception("a scheduled poll round failed inside the simulator")
            return None
