"""Networks with no sockets for the prober: every connection gets one HTTP answer, built
when the connection is made (so a minted token is always fresh)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import httpcore

from tests.support.tokens import CLIENT_ID, zoom_token


class AnsweringNetwork(httpcore.MockBackend):
    """For ``probe``: each connection reads the bytes ``answer()`` builds."""

    def __init__(self, answer: Callable[[], bytes]) -> None:
        super().__init__([])
        self._answer = answer

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[object] | None = None,
    ) -> httpcore.NetworkStream:
        return httpcore.MockStream([self._answer()])


class AsyncAnsweringNetwork(httpcore.AsyncMockBackend):
    """For ``aprobe`` and the fake Recall: each connection reads the bytes ``answer()`` builds."""

    def __init__(self, answer: Callable[[], bytes]) -> None:
        super().__init__([])
        self._answer = answer

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[object] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return httpcore.AsyncMockStream([self._answer()])


def http_answer(body: str, *, status: str = "200 OK", content_type: str = "text/plain") -> bytes:
    payload = body.encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


def good_token_network() -> AsyncAnsweringNetwork:
    """Every callback URL answers a fresh, good token at once."""
    return AsyncAnsweringNetwork(lambda: http_answer(zoom_token(client_id=CLIENT_ID)))
