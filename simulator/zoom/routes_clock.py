"""HTTP controls for the simulator's virtual clock (shared by every fake that reads it)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from recall_sim.simulator.clock import VirtualClock

__all__ = ["build_clock_router"]


class _Advance(BaseModel):
    seconds: float = Field(allow_inf_nan=False)


class _SetTime(BaseModel):
    now: float = Field(gt=0, allow_inf_nan=False)


def build_clock_router(clock: VirtualClock) -> APIRouter:
    """``GET ""`` reads the clock; ``POST /advance``, ``/set``, ``/freeze``, ``/unfreeze``,
    ``/reset`` move it. Each answers the clock's state afterwards."""
    router = APIRouter(tags=["clock"])

    def state() -> dict[str, float]:
        return {"now": clock.now(), "offset": clock.offset}

    @router.get("")
    def read() -> dict[str, float]:
        return state()

    def moved(move: Callable[[], object]) -> dict[str, float]:
        try:
            move()
        except ValueError as exc:  # out of the range every timestamp can show
            raise HTTPException(400, str(exc)) from None
        return state()

    @router.post("/advance")
    def advance(body: _Advance) -> dict[str, float]:
        return moved(lambda: clock.advance(body.seconds))

    @router.post("/set")
    def set_time(body: _SetTime) -> dict[str, float]:
        return moved(lambda: clock.set(body.now))

    @router.post("/freeze")
    def freeze() -> dict[str, float]:
        clock.freeze()
        return state()

    @router.post("/unfreeze")
    def unfreeze() -> dict[str, float]:
        clock.unfreeze()
        return state()

    @router.post("/reset")
    def reset() -> dict[str, float]:
        clock.reset()
        return state()

    return router
