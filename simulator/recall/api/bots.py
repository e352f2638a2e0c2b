"""``/api/v1/bot/``: create a bot for a Zoom meeting and retrieve it (Recall's bot API, the
part that calls the token callbacks of SPEC §7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from recall_sim.simulator.recall.api import metadata
from recall_sim.simulator.recall.api.auth import Guard
from recall_sim.simulator.recall.api.bodies import read_data
from recall_sim.simulator.recall.api.forms import parse_bot_create
from recall_sim.simulator.recall.api.methods import add_options
from recall_sim.simulator.recall.api.responses import (
    BODY_ERRORS,
    documented_errors,
    json_response,
)
from recall_sim.simulator.recall.api.schemas import BOT_CREATE_BODY, Bot, request_body
from recall_sim.simulator.recall.fake import FakeRecall

__all__ = ["bots_router"]

_BOT_ID = {"id": "$response.body#/id"}
_CREATED_LINKS: dict[str, Any] = {
    "Retrieve": {"operationId": "bot_retrieve", "parameters": _BOT_ID},
}


def bots_router(fake: FakeRecall, guard: Guard) -> APIRouter:
    router = APIRouter(prefix="/bot", tags=["bot"])
    any_request = [Depends(guard.any)]

    @router.post(
        "/",
        operation_id="bot_create",
        status_code=201,
        dependencies=any_request,
        responses={
            201: {
                "model": Bot,
                "description": "Created; the bot joins at join_at (or at once) and calls "
                "its zoom URLs then; status_changes shows how that went",
                "links": _CREATED_LINKS,
            },
            **documented_errors(401, 413, 415, 429, bad_request=BODY_ERRORS),
        },
        openapi_extra=request_body(BOT_CREATE_BODY),
    )
    async def bot_create(request: Request) -> Response:
        data = await read_data(request, max_bytes=fake.settings.max_body_bytes)
        form = parse_bot_create(data)
        bot = fake.create_bot(meeting_url=form.meeting_url, zoom=form.zoom, join_at=form.join_at)
        return json_response(201, Bot.of(bot))

    add_options(router, "/", metadata.BOT_LIST, guard, operation_id="bot_options")

    @router.get(
        "/{id}/",
        operation_id="bot_retrieve",
        dependencies=any_request,
        responses={200: {"model": Bot}, **documented_errors(401, 404, 429)},
    )
    async def bot_retrieve(id: str) -> Response:
        return json_response(200, Bot.of(fake.get_bot(id)))

    add_options(router, "/{id}/", metadata.BOT_INSTANCE, guard, operation_id="bot_instance_options")

    return router
