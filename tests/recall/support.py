"""A callback server whose behaviour each test switches at run time, per callback name.

``/cb/{name}`` answers as ``Callbacks.modes[name]`` says: a good token for that
name's user, an error, a hang, a token about to expire. It records each request's
headers, so tests can check what the fake Recall sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from collections import defaultdict
from enum import StrEnum

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from recall_sim.simulator.recall import FakeRecall
from tests.support.tokens import CLIENT_ID, jwt_with_payload, zoom_token

ACCOUNT_PREFIX = "acct"


class Mode(StrEnum):
    GOOD = "good"
    ERROR = "error"  # HTTP 500
    HANG = "hang"  # sleeps for Callbacks.hang_seconds
    EXPIRING = "expiring"  # a token with 60 s left
    NO_UID = "no-uid"  # a decodable access token without the uid claim


def user_for(name: str) -> str:
    """A 22-character Zoom-like user id, distinct per callback name."""
    return "u" + hashlib.sha256(name.encode()).hexdigest()[:21]


class Callbacks:
    """The switchboard: modes, user ids and the requests seen, per callback name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.modes: dict[str, Mode] = {}
        self.users: dict[str, str] = {}
        self.client_id = CLIENT_ID
        self.hang_seconds = 30.0
        self.requests: defaultdict[str, list[dict[str, str]]] = defaultdict(list)

    def reset(self) -> None:
        with self._lock:
            self.modes.clear()
            self.users.clear()
            self.requests.clear()
            self.hang_seconds = 30.0

    def set(self, name: str, mode: Mode, *, user_id: str | None = None) -> None:
        with self._lock:
            self.modes[name] = mode
            if user_id is not None:
                self.users[name] = user_id

    def calls(self, name: str) -> int:
        with self._lock:
            return len(self.requests[name])

    async def handle(self, request: Request) -> Response:
        name = request.path_params["name"]
        with self._lock:
            self.requests[name].append(dict(request.headers))
            mode = self.modes.get(name, Mode.GOOD)
            user_id = self.users.get(name, user_for(name))
        if mode is Mode.ERROR:
            return PlainTextResponse("upstream failure", status_code=500)
        if mode is Mode.HANG:
            await asyncio.sleep(self.hang_seconds)
        if mode is Mode.NO_UID:
            claims = {"iss": f"zm:cid:{self.client_id}", "exp": int(time.time()) + 3600, "type": 0}
            return PlainTextResponse(jwt_with_payload(json.dumps(claims).encode()))
        validity = 60 if mode is Mode.EXPIRING else 3600
        token = zoom_token(validity=validity, user_id=user_id, client_id=self.client_id)
        return PlainTextResponse(token, headers={"Cache-Control": "no-store"})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/cb/{name}", self.handle)])


def register(fake: FakeRecall, app_id: str, url: str) -> str:
    """Create a credential for ``url`` and return its id."""
    return str(
        fake.create_credential(oauth_app=app_id, access_token_callback_url=url).credential.id
    )
