"""``/api/v2/zoom-oauth-credentials/``: create (calls the callback), list, retrieve, delete,
``access-token/`` and ``validate/``."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from recall_sim.simulator.recall.api.auth import Guard
from recall_sim.simulator.recall.api.bodies import read_data
from recall_sim.simulator.recall.api.forms import parse_credential_create
from recall_sim.simulator.recall.api.params import credential_query, cursor_param
from recall_sim.simulator.recall.api.responses import documented_errors, json_response, paginated
from recall_sim.simulator.recall.api.schemas import (
    AccessTokenOut,
    CredentialCreateIn,
    CredentialOut,
    DuplicateOut,
    PaginatedCredentials,
    request_body,
)
from recall_sim.simulator.recall.fake import FakeRecall

__all__ = ["credentials_router"]


def credentials_router(fake: FakeRecall, guard: Guard) -> APIRouter:
    router = APIRouter(prefix="/zoom-oauth-credentials", tags=["zoom-oauth-credentials"])
    any_request = [Depends(guard.any)]

    def app_exists(app_id: uuid.UUID) -> bool:
        return fake.store.get_app(app_id) is not None

    @router.post(
        "/",
        status_code=201,
        dependencies=any_request,
        responses={
            201: {"model": CredentialOut},
            **documented_errors(400, 401, 413, 415, 429),
            400: {"model": DuplicateOut, "description": "Invalid input or callback rejected"},
        },
        openapi_extra=request_body(CredentialCreateIn),
    )
    async def zoom_oauth_credentials_create(request: Request) -> Response:
        data = await read_data(request, max_bytes=fake.settings.max_body_bytes)
        form = parse_credential_create(data, app_exists=app_exists)
        outcome = await fake.acreate_credential(
            oauth_app=form.oauth_app, access_token_callback_url=form.access_token_callback_url
        )
        return json_response(201, CredentialOut.of(outcome.credential))

    @router.get(
        "/",
        dependencies=[Depends(guard.listing)],
        responses={200: {"model": PaginatedCredentials}, **documented_errors(400, 401, 404, 429)},
    )
    async def zoom_oauth_credentials_list(
        request: Request,
        oauth_app: str | None = None,
        user_id: str | None = None,
        account_id: str | None = None,
        status: str | None = None,
        meeting_sync_status: str | None = None,
        created_at_after: str | None = None,
        created_at_before: str | None = None,
        cursor: str | None = None,
    ) -> Response:
        query = credential_query(request.query_params, app_exists=app_exists)
        page = fake.list_credentials(query, cursor=cursor_param(request.query_params))
        body = PaginatedCredentials(**paginated(request, page, CredentialOut.of))
        return json_response(200, body)

    @router.get(
        "/{id}/",
        dependencies=any_request,
        responses={200: {"model": CredentialOut}, **documented_errors(401, 404, 429)},
    )
    async def zoom_oauth_credentials_retrieve(id: str) -> Response:
        return json_response(200, CredentialOut.of(fake.get_credential(id)))

    @router.delete(
        "/{id}/",
        status_code=204,
        dependencies=any_request,
        responses={204: {"description": "Deleted"}, **documented_errors(401, 404, 429)},
    )
    async def zoom_oauth_credentials_destroy(id: str) -> Response:
        fake.delete_credential(id)
        return Response(status_code=204)

    @router.get(
        "/{id}/access-token/",
        dependencies=any_request,
        responses={200: {"model": AccessTokenOut}, **documented_errors(400, 401, 404, 429)},
    )
    async def zoom_oauth_credentials_access_token(id: str) -> Response:
        return json_response(200, AccessTokenOut.of(await fake.aaccess_token(id)))

    @router.post(
        "/{id}/validate/",
        dependencies=any_request,
        response_class=Response,  # 200 with an empty body, not JSON
        responses={
            200: {"description": "The callback passed; the credential is healthy"},
            **documented_errors(400, 401, 404, 429),
        },
    )
    async def zoom_oauth_credentials_validate(id: str) -> Response:
        await fake.avalidate(id)
        return Response(status_code=200)

    return router
