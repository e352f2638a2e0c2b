"""The simulator as one ASGI app: the fake Zoom under ``/zoom``, test controls under ``/_sim``.

`Simulator` holds the shared clock and each fake; `build_app` mounts each fake's
routers. The fake Recall joins the same way: a ``recall`` field on `Simulator`, its
routers under ``/api/v2`` and its controls under ``/_sim/recall``, and a line in
`Simulator.reset`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from fastapi import FastAPI

from simulator.clock import VirtualClock
from simulator.zoom import FakeZoom, ZoomSettings
from simulator.zoom.routes_admin import build_admin_router
from simulator.zoom.routes_api import build_api_router
from simulator.zoom.routes_clock import build_clock_router
from simulator.zoom.routes_oauth import build_oauth_router

__all__ = ["CONTROL_PREFIX", "ZOOM_PREFIX", "Simulator", "build_app"]

ZOOM_PREFIX: Final = "/zoom"
CONTROL_PREFIX: Final = "/_sim"


@dataclass(frozen=True)
class Simulator:
    """Everything one simulator process fakes, sharing one virtual clock."""

    clock: VirtualClock
    zoom: FakeZoom

    @classmethod
    def create(
        cls, *, zoom_settings: ZoomSettings | None = None, clock: VirtualClock | None = None
    ) -> Simulator:
        clock = clock if clock is not None else VirtualClock()
        return cls(clock=clock, zoom=FakeZoom(clock=clock, settings=zoom_settings))

    def reset(self) -> None:
        """Back to the state at start: real time, defaults only, no faults, empty journals."""
        self.clock.reset()
        self.zoom.reset()


def build_app(sim: Simulator) -> FastAPI:
    """The ASGI app serving ``sim``; run it with uvicorn or `simulator.serving.ThreadedServer`."""
    app = FastAPI(
        title="recall-sim",
        summary="Fake Recall.ai and fake Zoom for testing customer-managed OAuth callbacks",
        docs_url=f"{CONTROL_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{CONTROL_PREFIX}/openapi.json",
    )
    app.include_router(build_oauth_router(sim.zoom), prefix=ZOOM_PREFIX)
    app.include_router(build_api_router(sim.zoom), prefix=ZOOM_PREFIX)
    app.include_router(build_admin_router(sim.zoom), prefix=f"{CONTROL_PREFIX}/zoom")
    # One clock for the whole simulator; reachable beside the Zoom controls as well.
    clock_router = build_clock_router(sim.clock)
    app.include_router(clock_router, prefix=f"{CONTROL_PREFIX}/clock")
    app.include_router(clock_router, prefix=f"{CONTROL_PREFIX}/zoom/clock")

    @app.get(f"{CONTROL_PREFIX}/health", tags=["simulator"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "now": sim.clock.now(), "components": ["zoom"]}

    @app.post(f"{CONTROL_PREFIX}/reset", tags=["simulator"])
    def reset() -> dict[str, str]:
        sim.reset()
        return {"status": "reset"}

    return app
