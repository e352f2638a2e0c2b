"""A callback server that answers in every broken way the SPEC names, plus a good way.

Each route is one behaviour, so a test picks the failure by path. Timing routes
sleep on the server side, which is how deadline boundaries are tested exactly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from recall_sim.simulator.zoom_jwt import REFRESH
from tests.support.tokens import OTHER_CLIENT_ID, jwt_with_payload, zoom_token

GOOD_HEADERS = {"Cache-Control": "no-store"}


def _token_answer(token: str, **headers: str) -> PlainTextResponse:
    return PlainTextResponse(token, headers={**GOOD_HEADERS, **headers})


def _query_float(request: Request, name: str, default: float) -> float:
    return float(request.query_params.get(name, default))


async def good(request: Request) -> Response:
    validity = _query_float(request, "validity", 3600)
    user_id = request.query_params.get("uid")
    if user_id:
        return _token_answer(zoom_token(validity=validity, user_id=user_id))
    return _token_answer(zoom_token(validity=validity))


async def slow(request: Request) -> Response:
    await asyncio.sleep(_query_float(request, "delay", 6.0))
    return _token_answer(zoom_token())


async def drip(request: Request) -> Response:
    """Headers at once, then the token a few bytes at a time over ``seconds``."""
    seconds = _query_float(request, "seconds", 7.0)
    token = zoom_token().encode()
    steps = 20
    piece = -(-len(token) // steps)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(token), piece):
            yield token[start : start + piece]
            await asyncio.sleep(seconds / steps)

    return StreamingResponse(chunks(), media_type="text/plain", headers=GOOD_HEADERS)


async def huge(request: Request) -> Response:
    """A 100 MB answer, streamed so the server itself stays small."""
    block = b"A" * 65536

    async def blocks() -> AsyncIterator[bytes]:
        for _ in range(100 * 1024 * 1024 // len(block)):
            if await request.is_disconnected():
                return
            yield block

    return StreamingResponse(blocks(), media_type="text/plain")


async def status(request: Request) -> Response:
    return PlainTextResponse("error", status_code=int(request.query_params.get("code", "500")))


async def stack_trace(request: Request) -> Response:
    body = (
        "Traceback (most recent call last):\n"
        '  File "/app/callback.py", line 42, in handle\n'
        "    token = store[user_id]\nKeyError: 'user'\n"
    )
    return PlainTextResponse(body, status_code=500)


async def redirect(request: Request) -> Response:
    return RedirectResponse("/good?auth_token=sekret-value-123", status_code=302)


Endpoint = Callable[[Request], Awaitable[Response]]


def _body_route(
    make_body: Callable[[], str | bytes], content_type: str = "text/plain", *, no_store: bool = True
) -> Endpoint:
    """An endpoint answering 200 with a freshly made body."""

    async def endpoint(request: Request) -> Response:
        headers = GOOD_HEADERS if no_store else {}
        return Response(make_body(), media_type=content_type, headers=headers)

    return endpoint


BODY_ROUTES: dict[str, tuple[Callable[[], str | bytes], str]] = {
    "/json": (lambda: json.dumps({"access_token": zoom_token()}), "application/json"),
    "/quoted": (lambda: json.dumps(zoom_token()), "text/plain"),
    "/bearer": (lambda: "Bearer " + zoom_token(), "text/plain"),
    "/html": (lambda: f"<html><body>{zoom_token()}</body></html>", "text/html"),
    "/two-lines": (lambda: zoom_token() + "\n" + zoom_token(), "text/plain"),
    "/whitespace": (lambda: "  " + zoom_token() + "\n", "text/plain"),
    "/refresh-token": (lambda: zoom_token(token_type=REFRESH), "text/plain"),
    "/wrong-issuer": (lambda: zoom_token(client_id=OTHER_CLIENT_ID), "text/plain"),
    "/json-content-type": (lambda: zoom_token(), "application/json"),
    "/exp-string": (lambda: jwt_with_payload(b'{"exp": "tomorrow", "type": 0}'), "text/plain"),
    "/missing-exp": (lambda: jwt_with_payload(b'{"uid": "u", "type": 0}'), "text/plain"),
    "/non-json-payload": (lambda: jwt_with_payload(b"not json at all"), "text/plain"),
    "/huge-token": (lambda: jwt_with_payload(b'{"exp": 1}' + b" " * 40000), "text/plain"),
    "/empty": (lambda: b"", "text/plain"),
    "/not-jwt": (lambda: b"just-some-opaque-string", "text/plain"),
    "/bad-base64": (lambda: b"eyJ!!!.@@@@.####", "text/plain"),
    "/non-utf8": (lambda: b"\xff\xfe\xfa token", "text/plain"),
    # A token written through a UTF-8-with-BOM encoder ('utf-8-sig', some editors).
    "/bom": (lambda: b"\xef\xbb\xbf" + zoom_token().encode(), "text/plain"),
}


def build_callback_app() -> Starlette:
    routes = [
        Route("/good", good),
        Route("/slow", slow),
        Route("/drip", drip),
        Route("/huge", huge),
        Route("/status", status),
        Route("/stack-trace", stack_trace),
        Route("/redirect", redirect),
        Route("/no-cache-header", _body_route(lambda: zoom_token(), no_store=False)),
    ]
    routes += [Route(path, _body_route(make, ctype)) for path, (make, ctype) in BODY_ROUTES.items()]
    return Starlette(routes=routes)
