"""A raw-ASGI callback for benchmarks: a fixed Zoom-shaped JWT, or timed answers.

Routes: ``/token`` (the token at once), ``/health``, ``/delay?s=4.9`` (the token after
``s`` seconds), ``/drip?s=7`` (headers at once, the body spread over ``s`` seconds).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

from simulator.zoom_jwt import mint_zoom_token

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

TOKEN = mint_zoom_token(
    signing_key="benchmark-key-" + "k" * 50,
    client_id="benchClientId000000001",
    user_id="benchUser0000000000001",
    account_id="benchAccount0000000001",
    issued_at=int(time.time()),
    lifetime=24 * 3600,
).encode()
HEADERS = [(b"content-type", b"text/plain"), (b"cache-control", b"no-store")]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    query = parse_qs(scope.get("query_string", b"").decode())
    seconds = float(query.get("s", ["0"])[0])
    path = scope["path"]
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
