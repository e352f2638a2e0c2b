"""How each injected fault looks on the wire, as ASGI responses for the token endpoint."""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from recall_sim.simulator.zoom.faults import Fault, FaultKind

__all__ = ["ConnectionDropped", "fault_response", "quiet_dropped_connection_logs"]

# Truncated mid-string: valid UTF-8, invalid JSON, and no token in it.
MALFORMED_BODY = b'{"access_token": "eyJzdiI6IjAwMDAwMiIsImFsZyI6IkhTNTEyIiwidiI6IjIu'
# The length the dropped response promises and never delivers.
_PROMISED_LENGTH = 640


class ConnectionDropped(Exception):
    """Raised on purpose after the headers went out, so the server closes the socket."""


class _DroppedConnectionResponse(Response):
    """Headers promising a body, then no body: the client sees an incomplete response.

    ASGI has no "close the socket" message; raising after ``http.response.start`` is
    how an app makes uvicorn close the connection mid-response.
    """

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(_PROMISED_LENGTH).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"", "more_body": True})
        raise ConnectionDropped("injected fault: drop_connection")


def fault_response(fault: Fault, *, api: bool = False) -> Response:
    """The response for every fault kind but ``stall`` (which delays a normal answer);
    ``api``: in the REST API's error shape rather than the OAuth endpoints'."""
    if fault.kind is FaultKind.SERVER_ERROR:
        if api:
            return JSONResponse({"code": 500, "message": "Internal Error"}, status_code=500)
        return JSONResponse({"reason": "Internal Error", "error": "server_error"}, status_code=500)
    if fault.kind is FaultKind.RATE_LIMITED:
        return JSONResponse(
            {
                "code": 429,
                "message": "You have reached the maximum per-second rate limit for this API. "
                "Try again later.",
            },
            status_code=429,
            headers={"Retry-After": str(fault.retry_after)},
        )
    if fault.kind is FaultKind.MALFORMED_BODY:
        return Response(MALFORMED_BODY, status_code=200, media_type="application/json")
    if fault.kind is FaultKind.DROP_CONNECTION:
        return _DroppedConnectionResponse()
    raise ValueError(f"{fault.kind.value} has no response of its own")


class _DropFilter(logging.Filter):
    """Hides uvicorn's traceback for the drops we cause on purpose; other errors still log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


_DROP_FILTER = _DropFilter()


def quiet_dropped_connection_logs() -> None:
    """Install the filter on uvicorn's error logger (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if _DROP_FILTER not in logger.filters:
        logger.addFilter(_DROP_FILTER)
