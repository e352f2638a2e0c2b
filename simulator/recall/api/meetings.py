"""Meeting sync over HTTP: ``/api/v2/zoom-meetings-to-credentials/`` (list) and
``/api/v2/zoom-oauth-credentials/{id}/sync-meetings/`` (the simulator's own: sync now)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from recall_sim.simulator.recall.api.auth import Guard
from recall_sim.simulator.recall.api.meeting_params import (
    MEETING_MAPPING_PARAMETERS,
    meeting_mapping_query,
)
from recall_sim.simulator.recall.api.metadata import _view
from recall_sim.simulator.recall.api.methods import add_options
from recall_sim.simulator.recall.api.params import cursor_param, documented
from recall_sim.simulator.recall.api.responses import (
    FILTER_ERRORS,
    documented_errors,
    json_response,
    paginated,
)
from recall_sim.simulator.recall.api.schemas import (
    DetailOut,
    PaginatedZoomMeetingToCredentialList,
    ZoomMeetingToCredential,
    ZoomOauthCredential,
)
from recall_sim.simulator.recall.fake import FakeRecall

__all__ = ["meetings_router"]

MAPPING_LIST = _view("Zoom Meeting To Credential List")
SYNC_MEETINGS = _view("Sync meetings")
_SYNC_REFUSED = (
    DetailOut,
    "The credential is unhealthy (call validate/ first; nothing changes), or this fake "
    'Recall has no Zoom to sync with ({"detail": "..."} says which)',
)


def meetings_router(fake: FakeRecall, guard: Guard) -> APIRouter:
    router = APIRouter()

    @router.get(
        "/zoom-meetings-to-credentials/",
        operation_id="zoom_meetings_to_credentials_list",
        tags=["zoom-meetings-to-credentials"],
        summary="List Zoom Meeting to OAuth Credential Mappings",
        description="The meetings each credential's last successful meeting sync found: "
        "the Zoom user's scheduled meetings and their personal meeting id.",
        dependencies=[Depends(guard.listing)],
        responses={
            200: {"model": PaginatedZoomMeetingToCredentialList},
            **documented_errors(401, 404, 429, bad_request=FILTER_ERRORS),
        },
        openapi_extra=documented(MEETING_MAPPING_PARAMETERS),
    )
    async def zoom_meetings_to_credentials_list(request: Request) -> Response:
        query = meeting_mapping_query(
            request.query_params,
            credential_exists=lambda c: fake.store.get_credential(c) is not None,
        )
        page = fake.meeting_mappings(query, cursor=cursor_param(request.query_params))
        body = PaginatedZoomMeetingToCredentialList(
            **paginated(request, page, ZoomMeetingToCredential.of)
        )
        return json_response(200, body)

    add_options(
        router,
        "/zoom-meetings-to-credentials/",
        MAPPING_LIST,
        guard,
        operation_id="zoom_meetings_to_credentials_options",
        tags=["zoom-meetings-to-credentials"],
    )

    path = "/zoom-oauth-credentials/{id}/sync-meetings/"

    @router.post(
        path,
        operation_id="zoom_oauth_credentials_sync_meetings",
        tags=["zoom-oauth-credentials"],
        summary="Sync the credential's Zoom meetings now (recall-sim's own endpoint)",
        description="Reads the Zoom user and their meetings with a token for the "
        "credential and rewrites its meeting mappings. Answers when the sync is over: "
        "200 with the credential, its meeting_sync_status completed, or failed with a "
        "credential log naming why (Zoom's error and the endpoint).",
        dependencies=[Depends(guard.any)],
        responses={
            200: {
                "model": ZoomOauthCredential,
                "description": "The sync ran; meeting_sync_status says how it went",
            },
            **documented_errors(401, 404, 429, bad_request=_SYNC_REFUSED),
        },
    )
    async def zoom_oauth_credentials_sync_meetings(id: str) -> Response:
        return json_response(200, ZoomOauthCredential.of(await fake.async_meetings(id)))

    add_options(
        router,
        path,
        SYNC_MEETINGS,
        guard,
        operation_id="zoom_oauth_credentials_sync_meetings_options",
        tags=["zoom-oauth-credentials"],
    )

    return router
