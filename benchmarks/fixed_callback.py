"""A raw-ASGI callback for benchmarks: a fixed Zoom-shaped JWT, or timed answers.

Routes: ``/token`` (the token at once), ``/health``, ``/delay?s=4.9`` (the token after
``s`` seconds), ``/drip?s=7`` (headers at once, the body spread over ``s`` seconds),
``/user/{n}`` (a token for Zoom user ``benchUser{n}``, minted on first use and cached, so
thousands of credentials each see their own user; with ``?hang=S`` it answers at once until
``/arm`` has been requested, then only after ``S`` seconds: a callback that registers fine
and hangs later).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from recall_sim.simulator.zoom_jwt import mint_zoom_token

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

CLIENT_ID = "benchClientId000000001"
TOKEN = mint_zoom_token(
    signing_key="benchmark-key-" + "k" * 50,
    client_id=CLIENT_ID,
    user_id="benchUser0000000000001",
    account_id="benchAccount0000000001",
    issued_at=int(time.time()),
    lifetime=24 * 3600,
).encode()
HEADERS = [(b"content-type", b"text/plain"), (b"cache-control", b"no-store")]
_user_tokens: dict[int, bytes] = {}
_armed = {"hang": False}


def user_id(n: int | str) -> str:
    """The Zoom user id that ``/user/{n}`` hands out a token for."""
    return f"benchUser{int(n):013d}"


def _user_token(n: int) -> bytes:
    token = _user_tokens.get(n)
    if token is None:
        token = mint_zoom_token(
            signing_key="benchmark-key-" + "k" * 50,
            client_id=CLIENT_ID,
            user_id=user_id(n),
            account_id="benchAccount0000000001",
            issued_at=int(time.time()),
            lifetime=24 * 3600,
        ).encode()
        _user_tokens[n] = token
    return token


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    query = parse_qs(scope.get("query_string", b"").decode())
    seconds = float(query.get("s", ["0"])[0])
    path: str = scope["path"]
    if path.startswith("/user/") and path[6:].isdigit():
        if _armed["hang"] and "hang" in query:
            await asyncio.sleep(float(query["hang"][0]))
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": _user_token(int(path[6:]))})
        return
    if path == "/arm":
        _armed["hang"] = True
    if path == "/delay":
        await asyncio.sleep(seconds)
    if path == "/drip":
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        steps = 20
        piece = -(-len(TOKEN) // steps)
        for start in range(0, len(TOKEN), piece):
            await send(
                {
                    "type": "http.response.body",
                    "body": TOKEN[start : start + piece],
                    "more_body": True,
                }
            )
            await asyncio.sleep(seconds / steps)
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": TOKEN})
