"""The OAuth endpoints over HTTP (in-process): redirects, token answers, Zoom-shaped refusals."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from recall_sim.simulator.zoom import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    EventKind,
    FakeZoom,
    Outcome,
)
from recall_sim.simulator.zoom_jwt import decode_zoom_token
from tests.zoom.flows import (
    DEFAULT_AUTH,
    REDIRECT_URI,
    authorize,
    bearer,
    exchange,
    onboard,
    refresh,
)


def _basic(value: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode()}


def test_authorize_redirects_with_code_and_state_keeping_the_redirect_query(
    client: TestClient,
) -> None:
    response = client.get(
        "/zoom/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": DEFAULT_CLIENT_ID,
            "redirect_uri": "https://app.example/cb?tenant=7",
            "state": "s t&a=te",
        },
        follow_redirects=False,
    )

    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.netloc == "app.example" and location.path == "/cb"
    query = parse_qs(location.query)
    assert query["tenant"] == ["7"] and query["state"] == ["s t&a=te"]
    assert len(query["code"][0]) >= 30


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"client_id": "nope", "redirect_uri": REDIRECT_URI}, 400, "invalid_client"),
        ({"client_id": DEFAULT_CLIENT_ID}, 400, "invalid_request"),
        ({"client_id": DEFAULT_CLIENT_ID, "redirect_uri": "ftp://x"}, 400, "invalid_request"),
        (
            {
                "client_id": DEFAULT_CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "response_type": "token",
            },
            400,
            "unsupported_response_type",
        ),
    ],
)
def test_authorize_refusals_are_zoom_shaped(
    client: TestClient, params: dict[str, str], status: int, error: str
) -> None:
    response = client.get(
        "/zoom/oauth/authorize",
        params={"response_type": "code", **params},
        follow_redirects=False,
    )

    assert response.status_code == status
    assert response.json()["error"] == error
    assert set(response.json()) == {"reason", "error"}


def test_token_success_body_and_headers(client: TestClient) -> None:
    response = exchange(client, authorize(client))

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {
        "access_token",
        "token_type",
        "refresh_token",
        "expires_in",
        "scope",
        "api_url",
    }
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3599
    assert body["api_url"] == "http://127.0.0.1/zoom"
    assert "user:read:zak" in body["scope"].split()
    assert response.headers["cache-control"] == "no-store"
    claims = decode_zoom_token(body["access_token"]).claims
    assert claims["exp"] - claims["iat"] == 3600


def test_zoom_style_query_string_parameters_are_accepted(client: TestClient) -> None:
    code = authorize(client)
    response = client.post(
        "/zoom/oauth/token",
        params={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=DEFAULT_AUTH,
    )

    assert response.status_code == 200, response.text


def test_client_credentials_in_the_body_are_accepted(client: TestClient) -> None:
    tokens = onboard(client)
    response = client.post(
        "/zoom/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )

    assert response.status_code == 200, response.text


def test_reusing_a_spent_refresh_token_over_http(client: TestClient, zoom: FakeZoom) -> None:
    tokens = onboard(client)
    assert refresh(client, tokens["refresh_token"]).status_code == 200

    again = refresh(client, tokens["refresh_token"])

    assert again.status_code == 400
    assert again.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}
    assert len(zoom.refresh_token_reuses()) == 1


FORM = "application/x-www-form-urlencoded"
GOOD_CLIENT = _basic(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}")
REFRESH_FORM = "grant_type=refresh_token&refresh_token=abc"


@pytest.mark.parametrize(
    ("headers", "content", "status", "error"),
    [
        pytest.param(
            {"Content-Type": FORM, **GOOD_CLIENT},
            "refresh_token=abc",
            400,
            "invalid_request",
            id="missing grant_type",
        ),
        pytest.param(
            {"Content-Type": FORM, **GOOD_CLIENT},
            "grant_type=password",
            400,
            "unsupported_grant_type",
            id="unsupported grant",
        ),
        pytest.param(
            {"Content-Type": FORM, "Authorization": ""},
            REFRESH_FORM,
            401,
            "invalid_client",
            id="empty authorization",
        ),
        pytest.param(
            {"Content-Type": FORM, "Authorization": "Basic !!!notbase64"},
            REFRESH_FORM,
            401,
            "invalid_client",
            id="basic not base64",
        ),
        pytest.param(
            {"Content-Type": FORM, "Authorization": "Bearer abc"},
            REFRESH_FORM,
            401,
            "invalid_client",
            id="wrong scheme",
        ),
        pytest.param(
            {"Content-Type": FORM, **_basic("no-colon")},
            REFRESH_FORM,
            401,
            "invalid_client",
            id="basic without colon",
        ),
        pytest.param(
            {"Content-Type": FORM, **_basic("unknown:secret")},
            REFRESH_FORM,
            401,
            "invalid_client",
            id="unknown client",
        ),
        pytest.param(
            {"Content-Type": FORM, **_basic(f"{DEFAULT_CLIENT_ID}:wrong")},
            REFRESH_FORM,
            401,
            "invalid_client",
            id="wrong secret",
        ),
        pytest.param(
            {"Content-Type": FORM}, REFRESH_FORM, 401, "invalid_client", id="no client credentials"
        ),
        pytest.param(
            {"Content-Type": "application/json", **GOOD_CLIENT},
            '{"grant_type": "refresh_token"}',
            400,
            "invalid_request",
            id="json body",
        ),
        pytest.param(
            {"Content-Type": "text/plain", **GOOD_CLIENT},
            REFRESH_FORM,
            400,
            "invalid_request",
            id="text body",
        ),
        pytest.param(
            {"Content-Type": FORM, **GOOD_CLIENT},
            "grant_type=refresh_token&grant_type=x",
            400,
            "invalid_request",
            id="duplicate parameter",
        ),
        pytest.param(
            {"Content-Type": FORM, **GOOD_CLIENT},
            "a=1&" * 60,
            400,
            "invalid_request",
            id="too many parameters",
        ),
        pytest.param(
            {"Content-Type": FORM, **GOOD_CLIENT},
            "x=" + "a" * 20_000,
            413,
            "invalid_request",
            id="huge body",
        ),
    ],
)
def test_malformed_token_requests_get_zoom_shaped_4xx(
    client: TestClient,
    zoom: FakeZoom,
    headers: dict[str, str],
    content: str,
    status: int,
    error: str,
) -> None:
    response = client.post("/zoom/oauth/token", content=content, headers=headers)

    assert (response.status_code, response.json()["error"]) == (status, error), response.text
    assert set(response.json()) == {"reason", "error"}
    assert zoom.journal(outcome=Outcome.REJECTED)[-1].error == error


def test_a_body_that_is_not_utf8_is_refused(client: TestClient) -> None:
    response = client.post(
        "/zoom/oauth/token",
        content=b"grant_type=\xff\xfe",
        headers={"Content-Type": FORM, **_basic(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}")},
    )

    assert response.status_code == 400
    assert response.json() == {"reason": "Request body is not UTF-8.", "error": "invalid_request"}


@pytest.mark.parametrize(
    ("data", "reason", "error"),
    [
        (
            {"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI},
            "Missing code.",
            "invalid_request",
        ),
        (
            {"grant_type": "authorization_code", "code": "bogus", "redirect_uri": REDIRECT_URI},
            "Invalid authorization code",
            "invalid_grant",
        ),
        ({"grant_type": "refresh_token"}, "Missing refresh_token.", "invalid_request"),
        (
            {"grant_type": "refresh_token", "refresh_token": "bogus"},
            "Invalid Token!",
            "invalid_grant",
        ),
    ],
)
def test_grant_refusals_are_journaled(
    client: TestClient, zoom: FakeZoom, data: dict[str, str], reason: str, error: str
) -> None:
    response = client.post("/zoom/oauth/token", data=data, auth=DEFAULT_AUTH)

    assert response.status_code == 400
    assert response.json() == {"reason": reason, "error": error}
    [event] = zoom.journal(outcome=Outcome.REJECTED)
    assert event.reason == reason


def test_an_access_token_is_not_a_refresh_token(client: TestClient) -> None:
    tokens = onboard(client)

    response = refresh(client, tokens["access_token"])

    assert response.json() == {"reason": "Invalid Token!", "error": "invalid_grant"}


def test_revoke_kills_the_grant(client: TestClient, zoom: FakeZoom) -> None:
    tokens = onboard(client)

    response = client.post(
        "/zoom/oauth/revoke", data={"token": tokens["access_token"]}, auth=DEFAULT_AUTH
    )

    assert response.status_code == 200
    assert response.json() == {"status": "success"}
    assert client.get("/zoom/v2/users/me", headers=bearer(tokens["access_token"])).json() == {
        "code": 124,
        "message": "Invalid access token.",
    }
    assert refresh(client, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert zoom.journal(kind=EventKind.REVOKE)[0].outcome is Outcome.OK


def test_revoke_refusals(client: TestClient, zoom: FakeZoom) -> None:
    no_token = client.post("/zoom/oauth/revoke", data={}, auth=DEFAULT_AUTH)
    no_client = client.post("/zoom/oauth/revoke", data={"token": "x"})
    unknown = client.post("/zoom/oauth/revoke", data={"token": "x"}, auth=DEFAULT_AUTH)

    assert (no_token.status_code, no_token.json()["error"]) == (400, "invalid_request")
    assert (no_client.status_code, no_client.json()["error"]) == (401, "invalid_client")
    assert [e.outcome for e in zoom.journal(kind=EventKind.REVOKE)] == [
        Outcome.REJECTED,
        Outcome.REJECTED,
        Outcome.REJECTED,
    ]
    # RFC 7009: an unknown token is not an error.
    assert unknown.json() == {"status": "success"}


def test_api_url_setting_overrides_the_derived_one(client: TestClient, zoom: FakeZoom) -> None:
    zoom.configure(api_url="https://api.zoom.us")

    assert onboard(client)["api_url"] == "https://api.zoom.us"
