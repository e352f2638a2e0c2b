"""A network with no sockets for ``aprobe`` and the fake Recall: every connection answers
one fixed HTTP response, built when the connection opens (so a minted token is fresh)."""

from __future__ import annotations

import ssl
from collections.abc import Callable

from recall_sim.simulator.connections import AsyncConnection, AsyncNetwork
from tests.support.tokens import CLIENT_ID, zoom_token


class _CannedConnection:
    def __init__(self, answer: bytes, sent: list[bytes]) -> None:
        self._unread = answer
        self._sent = sent

    async def send(self, data: bytes) -> None:
        self._sent.append(data)

    async def receive(self) -> bytes:
        data, self._unread = self._unread, b""
        return data

    def close(self) -> None:
        pass


def answering(answer: Callable[[], bytes], *, sent: list[bytes] | None = None) -> AsyncNetwork:
    """Connections that answer ``answer()``; what the prober sends is appended to ``sent``."""
    record = [] if sent is None else sent

    async def connect(host: str, port: int, tls: ssl.SSLContext | None) -> AsyncConnection:
        return _CannedConnection(answer(), record)

    return connect


def http_answer(body: str, *, status: str = "200 OK", content_type: str = "text/plain") -> bytes:
    payload = body.encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


def good_token_network() -> AsyncNetwork:
    """Every callback URL answers a fresh, good token at once."""
    return answering(lambda: http_answer(zoom_token(client_id=CLIENT_ID)))
