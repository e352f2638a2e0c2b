"""Assemble the fake Recall's HTTP surface: the API under ``/api/v2``, the bot API under
``/api/v1`` and the control API.

Both are FastAPI sub-applications mounted on the host app, so each keeps its own
error handlers (DRF shapes) and OpenAPI schema (``/api/v2/openapi.json``) without
touching the host's. Mounted apps get no lifespan events: the host's lifespan
must run ``fake.running()`` for the poller (``build_recall_app`` does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from recall_sim.simulator.control_guard import ControlAccess, ControlGuard
from recall_sim.simulator.recall.api.apps import apps_router
from recall_sim.simulator.recall.api.auth import Guard
from recall_sim.simulator.recall.api.bots import bots_router
from recall_sim.simulator.recall.api.control import control_router
from recall_sim.simulator.recall.api.credentials import credentials_router
from recall_sim.simulator.recall.api.errors import install_error_handlers
from recall_sim.simulator.recall.api.logs import logs_router
from recall_sim.simulator.recall.api.meetings import meetings_router
from recall_sim.simulator.recall.api.methods import install_method_handling
from recall_sim.simulator.recall.fake import FakeRecall

__all__ = [
    "API_PREFIX",
    "BOT_API_PREFIX",
    "CONTROL_PREFIX",
    "build_bot_api",
    "build_control_api",
    "build_recall_api",
    "build_recall_app",
    "mount_recall",
]

API_PREFIX = "/api/v2"
BOT_API_PREFIX = "/api/v1"  # Recall's bot API is still v1
CONTROL_PREFIX = "/_sim/recall"


def build_recall_api(fake: FakeRecall) -> FastAPI:
    """Recall's ``/api/v2`` Zoom OAuth endpoints as an app to mount at `API_PREFIX`."""
    return _api(
        fake,
        "Recall.ai API (Zoom OAuth, simulated by recall-sim)",
        "2",
        [apps_router, credentials_router, logs_router, meetings_router],
    )


def build_bot_api(fake: FakeRecall) -> FastAPI:
    """Recall's ``/api/v1/bot/`` (create, retrieve) as an app to mount at `BOT_API_PREFIX`,
    with the same key, rate limits and DRF-shaped errors as the ``/api/v2`` app."""
    return _api(fake, "Recall.ai API (bots, simulated by recall-sim)", "1", [bots_router])


def _api(
    fake: FakeRecall,
    title: str,
    version: str,
    routers: Sequence[Callable[[FakeRecall, Guard], APIRouter]],
) -> FastAPI:
    """An app of ``routers`` sharing one key guard, DRF-shaped errors and method handling."""
    api = FastAPI(title=title, version=version, docs_url="/docs", redoc_url=None)
    install_error_handlers(api)
    guard = Guard(fake)
    install_method_handling(api, guard)
    for router in routers:
        api.include_router(router(fake, guard))
    _without_422(api)
    return api


def _without_422(api: FastAPI) -> None:
    """Drop FastAPI's generated 422 answers from the schema: query parameters and bodies
    are read by hand, so validation errors are DRF's 400s, never 422s."""
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            schema = generate()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    operation.get("responses", {}).pop("422", None)
            components = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                components.pop(name, None)
            api.openapi_schema = schema
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


def build_control_api(fake: FakeRecall) -> FastAPI:
    """The ``/_sim/recall`` control endpoints as an app to mount at `CONTROL_PREFIX`."""
    control = FastAPI(title="recall-sim: fake Recall controls", docs_url="/docs", redoc_url=None)
    install_error_handlers(control)
    control.include_router(control_router(fake))
    return control


def mount_recall(app: FastAPI, fake: FakeRecall) -> None:
    """Mount the API and the control endpoints on ``app`` (whose lifespan runs the poller)."""
    app.mount(API_PREFIX, build_recall_api(fake))
    app.mount(BOT_API_PREFIX, build_bot_api(fake))
    app.mount(CONTROL_PREFIX, build_control_api(fake))


def build_recall_app(fake: FakeRecall, *, control: ControlAccess | None = None) -> FastAPI:
    """A server with only the fake Recall, its poller running for the server's lifetime.

    ``control``: who may use ``/_sim/recall`` (default: loopback ``Host`` names, no token).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with fake.running():
            yield

    app = FastAPI(title="recall-sim (fake Recall)", lifespan=lifespan)
    app.add_middleware(ControlGuard, access=control or ControlAccess())
    mount_recall(app, fake)
    return app
