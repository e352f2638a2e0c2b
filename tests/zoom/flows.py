"""Small steps of Zoom's OAuth flow, usable with a TestClient or an httpx.Client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from recall_sim.simulator.zoom import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

DEFAULT_AUTH = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
REDIRECT_URI = "https://app.example/zoom/callback"


def authorize(
    http: httpx.Client,
    *,
    base: str = "/zoom",
    client_id: str = DEFAULT_CLIENT_ID,
    redirect_uri: str = REDIRECT_URI,
    user: str | None = None,
    state: str | None = None,
) -> str:
    """Run the (automatic) consent and return the code from the redirect."""
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
    if user is not None:
        params["sim_user"] = user
    if state is not None:
        params["state"] = state
    response = http.get(f"{base}/oauth/authorize", params=params, follow_redirects=False)
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def exchange(
    http: httpx.Client,
    code: str,
    *,
    base: str = "/zoom",
    redirect_uri: str = REDIRECT_URI,
    auth: tuple[str, str] = DEFAULT_AUTH,
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return http.post(f"{base}/oauth/token", data=data, auth=auth)


def refresh(
    http: httpx.Client,
    refresh_token: str,
    *,
    base: str = "/zoom",
    auth: tuple[str, str] = DEFAULT_AUTH,
) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return http.post(f"{base}/oauth/token", data=data, auth=auth)


def onboard(http: httpx.Client, *, base: str = "/zoom", user: str | None = None) -> dict[str, str]:
    """Authorize and exchange; the token response body."""
    response = exchange(http, authorize(http, base=base, user=user), base=base)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
