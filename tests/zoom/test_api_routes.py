"""The REST API over HTTP (in-process): resources and Zoom's 401s for bad tokens."""

from __future__ import annotations

import jwt
import pytest
from fastapi.testclient import TestClient

from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.zoom import DEFAULT_ACCOUNT_ID, DEFAULT_USER_ID, FakeZoom
from recall_sim.simulator.zoom_jwt import decode_zoom_token
from tests.zoom.flows import bearer, onboard, refresh

INVALID = {"code": 124, "message": "Invalid access token."}
EXPIRED = {"code": 124, "message": "Access token is expired."}


def test_users_me_describes_the_token_user(client: TestClient) -> None:
    token = onboard(client, user="gina@example.com")["access_token"]

    response = client.get("/zoom/v2/users/me", headers=bearer(token))

    me = response.json()
    assert response.status_code == 200
    assert me["email"] == "gina@example.com"
    assert me["id"] == decode_zoom_token(token).user_id
    assert me["account_id"] == DEFAULT_ACCOUNT_ID
    assert isinstance(me["pmi"], int) and len(str(me["pmi"])) == 10
    assert me["type"] == 2


def test_meetings_list_the_users_meetings(client: TestClient, zoom: FakeZoom) -> None:
    meeting = zoom.add_meeting(DEFAULT_USER_ID, topic="Standup")
    token = onboard(client)["access_token"]

    body = client.get("/zoom/v2/users/me/meetings", headers=bearer(token)).json()

    assert body["total_records"] == 1
    assert body["meetings"][0]["id"] == meeting.id
    assert body["meetings"][0]["topic"] == "Standup"


@pytest.mark.parametrize(
    "path",
    [
        "/zoom/v2/users/me/zak",
        "/zoom/v2/users/me/token?type=zak",
        "/zoom/v2/users/me/token?type=onbehalf",
    ],
)
def test_user_tokens(client: TestClient, path: str) -> None:
    token = onboard(client)["access_token"]

    response = client.get(path, headers=bearer(token))

    assert response.status_code == 200
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["uid"] == DEFAULT_USER_ID


def test_an_unknown_user_token_type_is_a_400(client: TestClient) -> None:
    token = onboard(client)["access_token"]

    response = client.get("/zoom/v2/users/me/token?type=bogus", headers=bearer(token))

    assert response.status_code == 400
    assert set(response.json()) == {"code", "message"}


def test_local_recording_join_token(client: TestClient, zoom: FakeZoom) -> None:
    meeting = zoom.add_meeting(DEFAULT_USER_ID)
    token = onboard(client)["access_token"]

    ok = client.get(
        f"/zoom/v2/meetings/{meeting.id}/jointoken/local_recording", headers=bearer(token)
    )
    missing = client.get(
        "/zoom/v2/meetings/81234567890/jointoken/local_recording", headers=bearer(token)
    )

    assert ok.status_code == 200
    assert ok.json()["expire_in"] == 120 and ok.json()["token"]
    assert missing.status_code == 404
    assert missing.json()["code"] == 3001


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Basic abc"},
    ],
)
def test_missing_or_unknown_tokens_get_zoom_401(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.get("/zoom/v2/users/me", headers=headers)

    assert (response.status_code, response.json()) == (401, INVALID)


def test_a_130_second_token_over_http_expires_after_the_clock_moves(
    client: TestClient, zoom: FakeZoom
) -> None:
    client.patch("/_sim/zoom/settings", json={"access_token_lifetime": 130})
    tokens = onboard(client)
    claims = decode_zoom_token(tokens["access_token"]).claims
    assert claims["exp"] - claims["iat"] == 130
    assert tokens["expires_in"] == 129

    client.post("/_sim/zoom/clock/advance", json={"seconds": 131})
    response = client.get("/zoom/v2/users/me", headers=bearer(tokens["access_token"]))

    assert (response.status_code, response.json()) == (401, EXPIRED)
    fresh = refresh(client, tokens["refresh_token"]).json()["access_token"]
    assert client.get("/zoom/v2/users/me", headers=bearer(fresh)).status_code == 200


def test_a_deauthorized_users_token_gets_zoom_401(client: TestClient, clock: VirtualClock) -> None:
    token = onboard(client, user="hank")["access_token"]

    assert client.post("/_sim/zoom/users/hank/deauthorize").json() == {"revoked_grants": 1}
    response = client.get("/zoom/v2/users/me", headers=bearer(token))

    assert (response.status_code, response.json()) == (401, INVALID)
