"""``/api/v2/zoom-oauth-credentials/``: create (calls the callback), list, retrieve, delete,
``access-token/`` and ``validate/``."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from recall_sim.simulator.recall.api import metadata
from recall_sim.simulator.recall.api.auth import Guard
from recall_sim.simulator.recall.api.bodies import read_data
from recall_sim.simulator.recall.api.forms import parse_credential_create
from recall_sim.simulator.recall.api.methods import add_options
from recall_sim.simulator.recall.api.params import (
    CREDENTIAL_PARAMETERS,
    credential_query,
    cursor_param,
    documented,
)
from recall_sim.simulator.recall.api.responses import (
    FILTER_ERRORS,
    documented_errors,
    json_response,
    paginated,
)
from recall_sim.simulator.recall.api.schemas import (
    CREDENTIAL_CREATE_BODY,
    AccessTokenOut,
    DetailOut,
    DuplicateOut,
    FieldErrorsOut,
    PaginatedZoomOauthCredentialList,
    ZoomOauthCredential,
    request_body,
)
from recall_sim.simulator.recall.fake import FakeRecall

__all__ = ["credentials_router"]

_CREATE_ERRORS = (
    FieldErrorsOut | DetailOut | DuplicateOut,
    'Invalid fields ({"<field>": ["<message>", ...]}; an oauth_app that does not exist is '
    'one), a body that cannot be parsed, the callback\'s answer refused ({"detail": "..."} '
    'naming the rule that failed), an authorization code Zoom refused ("detail" names '
    "Zoom's error), or, under the reject duplicate policy, a second credential for one "
    "Zoom user",
)
_CALLBACK_REFUSED = (
    DetailOut,
    'The callback\'s answer refused ({"detail": "..."} naming the rule that failed), or, '
    "for a Recall-managed credential, Zoom refused to refresh its token (detail names "
    "Zoom's error)",
)
_CREDENTIAL_ID = {"id": "$response.body#/id"}
# What a client can do next with a created credential (OpenAPI links).
_CREATED_LINKS: dict[str, Any] = {
    "Retrieve": {"operationId": "zoom_oauth_credentials_retrieve", "parameters": _CREDENTIAL_ID},
    "Delete": {"operationId": "zoom_oauth_credentials_destroy", "parameters": _CREDENTIAL_ID},
    "AccessToken": {
        "operationId": "zoom_oauth_credentials_access_token",
        "parameters": _CREDENTIAL_ID,
    },
    "Validate": {"operationId": "zoom_oauth_credentials_validate", "parameters": _CREDENTIAL_ID},
    "ListLogs": {
        "operationId": "zoom_oauth_credential_logs_list",
        "parameters": {"credential": "$response.body#/id"},
    },
    "SyncMeetings": {
        "operationId": "zoom_oauth_credentials_sync_meetings",
        "parameters": _CREDENTIAL_ID,
    },
    "ListMeetingMappings": {
        "operationId": "zoom_meetings_to_credentials_list",
        "parameters": {"credential": "$response.body#/id"},
    },
}


def credentials_router(fake: FakeRecall, guard: Guard) -> APIRouter:
    router = APIRouter(prefix="/zoom-oauth-credentials", tags=["zoom-oauth-credentials"])
    any_request = [Depends(guard.any)]

    def app_exists(app_id: uuid.UUID) -> bool:
        return fake.store.get_app(app_id) is not None

    @router.post(
        "/",
        operation_id="zoom_oauth_credentials_create",
        status_code=201,
        dependencies=any_request,
        responses={
            201: {
                "model": ZoomOauthCredential,
                "description": "Created, or (default duplicate policy) the existing "
                "credential for that Zoom user, updated",
                "links": _CREATED_LINKS,
            },
            **documented_errors(401, 413, 415, 429, bad_request=_CREATE_ERRORS),
        },
        openapi_extra=request_body(CREDENTIAL_CREATE_BODY),
    )
    async def zoom_oauth_credentials_create(request: Request) -> Response:
        data = await read_data(request, max_bytes=fake.settings.max_body_bytes)
        form = parse_credential_create(data, app_exists=app_exists)
        if form.authorization_code is not None:
            code = form.authorization_code
            outcome = await fake.acreate_managed_credential(
                oauth_app=form.oauth_app,
                code=code.code,
                redirect_uri=code.redirect_uri,
                code_verifier=code.code_verifier,
            )
        else:
            assert form.access_token_callback_url is not None
            outcome = await fake.acreate_credential(
                oauth_app=form.oauth_app, access_token_callback_url=form.access_token_callback_url
            )
        return json_response(201, ZoomOauthCredential.of(outcome.credential))

    @router.get(
        "/",
        operation_id="zoom_oauth_credentials_list",
        dependencies=[Depends(guard.listing)],
        responses={
            200: {"model": PaginatedZoomOauthCredentialList},
            **documented_errors(401, 404, 429, bad_request=FILTER_ERRORS),
        },
        openapi_extra=documented(CREDENTIAL_PARAMETERS),
    )
    async def zoom_oauth_credentials_list(request: Request) -> Response:
        query = credential_query(request.query_params, app_exists=app_exists)
        page = fake.list_credentials(query, cursor=cursor_param(request.query_params))
        body = PaginatedZoomOauthCredentialList(**paginated(request, page, ZoomOauthCredential.of))
        return json_response(200, body)

    add_options(
        router, "/", metadata.CREDENTIAL_LIST, guard, operation_id="zoom_oauth_credentials_options"
    )

    @router.get(
        "/{id}/",
        operation_id="zoom_oauth_credentials_retrieve",
        dependencies=any_request,
        responses={200: {"model": ZoomOauthCredential}, **documented_errors(401, 404, 429)},
    )
    async def zoom_oauth_credentials_retrieve(id: str) -> Response:
        return json_response(200, ZoomOauthCredential.of(fake.get_credential(id)))

    @router.delete(
        "/{id}/",
        operation_id="zoom_oauth_credentials_destroy",
        status_code=204,
        dependencies=any_request,
        responses={204: {"description": "Deleted"}, **documented_errors(401, 404, 429)},
    )
    async def zoom_oauth_credentials_destroy(id: str) -> Response:
        fake.delete_credential(id)
        return Response(status_code=204)

    add_options(
        router,
        "/{id}/",
        metadata.CREDENTIAL_INSTANCE,
        guard,
        operation_id="zoom_oauth_credentials_instance_options",
    )

    @router.get(
        "/{id}/access-token/",
        operation_id="zoom_oauth_credentials_access_token",
        dependencies=any_request,
        responses={
            200: {"model": AccessTokenOut},
            **documented_errors(401, 404, 429, bad_request=_CALLBACK_REFUSED),
        },
    )
    async def zoom_oauth_credentials_access_token(id: str) -> Response:
        return json_response(200, AccessTokenOut.of(await fake.aaccess_token(id)))

    add_options(
        router,
        "/{id}/access-token/",
        metadata.ACCESS_TOKEN,
        guard,
        operation_id="zoom_oauth_credentials_access_token_options",
    )

    @router.post(
        "/{id}/validate/",
        operation_id="zoom_oauth_credentials_validate",
        dependencies=any_request,
        response_class=Response,  # 200 with an empty body, not JSON
        responses={
            200: {"description": "The callback passed; the credential is healthy"},
            **documented_errors(401, 404, 429, bad_request=_CALLBACK_REFUSED),
        },
    )
    async def zoom_oauth_credentials_validate(id: str) -> Response:
        await fake.avalidate(id)
        return Response(status_code=200)

    add_options(
        router,
        "/{id}/validate/",
        metadata.VALIDATE,
        guard,
        operation_id="zoom_oauth_credentials_validate_options",
    )

    return router
