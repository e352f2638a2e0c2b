"""The simulator as one ASGI app: the fake Zoom under ``/zoom``, the fake Recall under
``/api/v2``, test controls under ``/_sim``.

`Simulator` holds the shared clock and each fake; `build_app` mounts each fake's
routers. The fake Recall's API and controls (``/_sim/recall``) are mounted sub-apps
with their own DRF-style error handlers; mounted apps get no lifespan events, so
this app's lifespan runs the fake Recall's poller.

`build_zoom_paths_app` serves the same fake Zoom at Zoom's own layout (``/oauth/...``
and ``/v2/...`` at the root), for a second listener: one base URL then stands for both
``https://zoom.us`` and ``https://api.zoom.us``, and a client needs only its base
URLs changed. It has no lifespan and no ``/_sim`` controls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import InitVar, dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
from fastapi import FastAPI

from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.control_guard import ControlAccess, ControlGuard
from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.recall.api import API_PREFIX, mount_recall
from recall_sim.simulator.recall.zoom_client import ZoomClient
from recall_sim.simulator.timeline import ZoomEventPoint
from recall_sim.simulator.zoom import FakeZoom, ZoomSettings
from recall_sim.simulator.zoom.routes_admin import build_admin_router
from recall_sim.simulator.zoom.routes_api import build_api_router
from recall_sim.simulator.zoom.routes_clock import build_clock_router
from recall_sim.simulator.zoom.routes_oauth import build_oauth_router

__all__ = [
    "API_PREFIX",
    "CONTROL_PREFIX",
    "ZOOM_PREFIX",
    "Simulator",
    "build_app",
    "build_zoom_paths_app",
]

ZOOM_PREFIX: Final = "/zoom"
CONTROL_PREFIX: Final = "/_sim"
# The fake Recall's base URL for its in-process fake Zoom; never resolved (no socket).
IN_PROCESS_ZOOM: Final = "http://zoom.recall-sim.invalid"


@dataclass(frozen=True)
class Simulator:
    """Everything one simulator process fakes, sharing one virtual clock."""

    clock: VirtualClock
    zoom: FakeZoom
    # Optional so that `Simulator(clock=..., zoom=...)` keeps working; a fake Recall on
    # the same clock is made when none is given.
    with_recall: InitVar[FakeRecall | None] = None
    recall: FakeRecall = field(init=False)

    def __post_init__(self, with_recall: FakeRecall | None) -> None:
        recall = with_recall if with_recall is not None else FakeRecall(clock=self.clock)
        # The fake Recall's logs name a failure's cause from both sides, as check does.
        recall.attach_zoom_journal(_zoom_events(self.zoom))
        # ...and grades contract.token-live against what this fake Zoom minted.
        recall.attach_token_inspector(self.zoom.token_liveness)
        # ...and grades bots' OBF, ZAK and join tokens against the tokens it minted.
        recall.attach_minted_tokens(self.zoom)
        # ...and talks to it over HTTP at Zoom's own paths, in process (no socket).
        recall.attach_zoom(
            ZoomClient(
                base_url=IN_PROCESS_ZOOM,
                clock=self.clock,
                transport=httpx.ASGITransport(app=build_zoom_paths_app(self)),
            )
        )
        object.__setattr__(self, "recall", recall)  # frozen: set once, here

    @classmethod
    def create(
        cls,
        *,
        zoom_settings: ZoomSettings | None = None,
        clock: VirtualClock | None = None,
        recall_settings: RecallSettings | None = None,
        state_path: str | Path | None = None,
    ) -> Simulator:
        """``state_path``: a SQLite file keeping the fake Recall's apps, credentials and logs."""
        clock = clock if clock is not None else VirtualClock()
        recall = FakeRecall(clock=clock, settings=recall_settings, state_path=state_path)
        return cls(
            clock=clock, zoom=FakeZoom(clock=clock, settings=zoom_settings), with_recall=recall
        )

    def reset(self) -> None:
        """Back to the state at start: real time, defaults only, no faults, empty journals.

        The fake Recall forgets its apps, credentials, logs and journal but keeps its
        settings (the API key in particular).
        """
        self.clock.reset()
        self.zoom.reset()
        self.recall.reset()


def _zoom_events(zoom: FakeZoom) -> Callable[[float], list[ZoomEventPoint]]:
    def since(instant: float) -> list[ZoomEventPoint]:
        return [ZoomEventPoint.from_event(e) for e in zoom.journal() if e.at >= instant]

    return since


def build_app(sim: Simulator, *, control: ControlAccess | None = None) -> FastAPI:
    """The ASGI app serving ``sim``; run it with uvicorn or `serving.ThreadedServer`.

    ``control``: who may use ``/_sim/`` (default: loopback ``Host`` names, no token).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with sim.recall.running():
            yield

    app = FastAPI(
        lifespan=lifespan,
        title="recall-sim",
        summary="Fake Recall.ai and fake Zoom for testing customer-managed OAuth callbacks",
        docs_url=f"{CONTROL_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{CONTROL_PREFIX}/openapi.json",
    )
    app.add_middleware(ControlGuard, access=control or ControlAccess())
    app.include_router(build_oauth_router(sim.zoom), prefix=ZOOM_PREFIX)
    app.include_router(build_api_router(sim.zoom), prefix=ZOOM_PREFIX)
    app.include_router(build_admin_router(sim.zoom), prefix=f"{CONTROL_PREFIX}/zoom")
    # One clock for the whole simulator; reachable beside the Zoom controls as well.
    clock_router = build_clock_router(sim.clock)
    app.include_router(clock_router, prefix=f"{CONTROL_PREFIX}/clock")
    app.include_router(clock_router, prefix=f"{CONTROL_PREFIX}/zoom/clock")
    mount_recall(app, sim.recall)  # API_PREFIX and f"{CONTROL_PREFIX}/recall"

    @app.get(f"{CONTROL_PREFIX}/health", tags=["simulator"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "now": sim.clock.now(), "components": ["zoom", "recall"]}

    @app.post(f"{CONTROL_PREFIX}/reset", tags=["simulator"])
    def reset() -> dict[str, str]:
        sim.reset()
        return {"status": "reset"}

    return app


def build_zoom_paths_app(sim: Simulator) -> FastAPI:
    """``sim``'s fake Zoom at Zoom's own paths: ``/oauth/authorize``, ``/oauth/token``,
    ``/oauth/revoke`` and ``/v2/...`` at the root, for a listener of its own.

    The same routers as the ``/zoom`` mount of `build_app`, over the same `FakeZoom` and
    clock, so both listeners see one state. Token responses' ``api_url`` is this app's
    base URL as the client called it. No lifespan (the app from `build_app` runs the fake
    Recall's poller) and no ``/_sim`` controls, and no docs: only Zoom's paths are here.
    """
    app = FastAPI(
        title="recall-sim: the fake Zoom at Zoom's own paths",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.include_router(build_oauth_router(sim.zoom))
    app.include_router(build_api_router(sim.zoom))
    return app
