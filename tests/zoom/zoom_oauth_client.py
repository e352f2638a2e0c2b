"""An OAuth client written from Zoom's documentation, as a customer's server would have it.

Nothing in it knows about the simulator: point ``oauth_base`` and ``api_base`` at
``https://zoom.us`` and ``https://api.zoom.us/v2`` and it talks to real Zoom.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


class ZoomOAuthError(Exception):
    pass


@dataclass
class ZoomTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    api_url: str


class ZoomOAuthClient:
    """Authorization-code flow with refresh, per Zoom's OAuth docs."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        oauth_base: str = "https://zoom.us",
        api_base: str = "https://api.zoom.us/v2",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.oauth_base = oauth_base
        self.api_base = api_base
        self.tokens: ZoomTokens | None = None
        self._states: set[str] = set()
        self._http = httpx.Client(timeout=10, trust_env=False)

    def authorize_url(self) -> str:
        state = secrets.token_urlsafe(16)
        self._states.add(state)
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "state": state,
            }
        )
        return f"{self.oauth_base}/oauth/authorize?{query}"

    def _token_request(self, data: dict[str, str]) -> ZoomTokens:
        credentials = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        response = self._http.post(
            f"{self.oauth_base}/oauth/token",
            data=data,
            headers={"Authorization": f"Basic {credentials}"},
        )
        if response.status_code != 200:
            raise ZoomOAuthError(f"{response.status_code} {response.text}")
        body = response.json()
        self.tokens = ZoomTokens(
            access_token=body["access_token"],
            refresh_token=body["refresh_token"],
            expires_in=body["expires_in"],
            api_url=body["api_url"],
        )
        return self.tokens

    def handle_redirect(self, *, code: str, state: str) -> ZoomTokens:
        if state not in self._states:
            raise ZoomOAuthError("unexpected state")
        self._states.discard(state)
        return self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        )

    def refresh(self) -> ZoomTokens:
        assert self.tokens is not None
        return self._token_request(
            {"grant_type": "refresh_token", "refresh_token": self.tokens.refresh_token}
        )

    def get(self, path: str) -> httpx.Response:
        assert self.tokens is not None
        return self._http.get(
            f"{self.api_base}{path}",
            headers={"Authorization": f"Bearer {self.tokens.access_token}"},
        )


def redirect_receiver(client: ZoomOAuthClient, done: threading.Event) -> Starlette:
    """The customer's redirect endpoint: exchanges the code server-to-server."""

    def callback(request: Request) -> PlainTextResponse:
        client.handle_redirect(
            code=request.query_params["code"], state=request.query_params["state"]
        )
        done.set()
        return PlainTextResponse("Zoom connected")

    return Starlette(routes=[Route("/oauth/zoom/callback", callback)])
