"""One GET to a callback URL, done the way Recall does it, under a hard total deadline.

Per-operation timeouts cannot bound a server that sends headers at once and then drips
its body, so the whole exchange — DNS, connect, TLS, headers and every body byte — is
bounded by one total deadline: ``aprobe`` runs it inside one ``asyncio.timeout``; the
blocking ``probe`` gives each operation only the time left until the deadline
(:mod:`simulator.deadline_network`). Every probe opens a fresh connection, as Recall's
calls are independent, so the connect time is always measured and never hidden by a
pooled connection.

Both run httpcore, the HTTP engine under httpx, directly: for one GET on a fresh
connection httpx's client layer and anyio cost more than the HTTP itself
(``benchmarks/probe_overhead.py``, ``benchmarks/poller_throughput.py``).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import socket
import ssl
import time
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import unquote

import httpcore
import httpx

from simulator.asyncio_network import AsyncioBackend
from simulator.clock import SYSTEM_CLOCK, Clock
from simulator.deadline_network import DeadlineBackend, ResolvingBackend
from simulator.observation import ErrorKind, Observation, ProbeFailure, Timings

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_MAX_BODY", "USER_AGENT", "aprobe", "probe"]

DEFAULT_DEADLINE = 5.0
DEFAULT_MAX_BODY = 64 * 1024
USER_AGENT = "recall-sim/0.1 (Recall access-token callback prober)"

_CONNECTED_EVENTS = frozenset({"connection.connect_tcp.complete", "connection.start_tls.complete"})
_HEADERS_EVENTS = frozenset({"http11.receive_response_headers.complete"})
_TIMEOUT_KEYS = ("connect", "read", "write", "pool")
_NETWORK = ResolvingBackend()
_ASYNC_NETWORK = AsyncioBackend()


@functools.cache
def _shared_ssl_context() -> ssl.SSLContext:
    # Building a context loads the CA bundle (milliseconds); do it once per process.
    return ssl.create_default_context()


class _InvalidURL(Exception):
    pass


def _target(url: str) -> tuple[httpcore.URL, list[tuple[bytes, bytes]]]:
    """The request target and its Host (and userinfo) headers, encoded as httpx would."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise _InvalidURL(str(exc)) from None
    if parsed.scheme not in ("http", "https"):
        raise _InvalidURL(f"the scheme must be http or https, not {parsed.scheme or 'none'!r}")
    if not parsed.raw_host:
        raise _InvalidURL("the URL has no host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise _InvalidURL(f"port {parsed.port} is outside 1-65535")
    headers = [(b"Host", parsed.netloc)]
    if parsed.userinfo:
        credentials = f"{unquote(parsed.username)}:{unquote(parsed.password)}"
        basic = base64.b64encode(credentials.encode("latin-1", "replace"))
        headers.append((b"Authorization", b"Basic " + basic))
    target = httpcore.URL(
        scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
    )
    return target, headers


class _Exchange:
    """What one probe has seen so far; both the blocking and the async probe fill it in."""

    def __init__(
        self,
        url: str,
        *,
        deadline: float,
        max_body: int,
        headers: Mapping[str, str] | None,
        clock: Clock,
    ) -> None:
        self.url = url
        self.deadline = deadline
        self.max_body = max_body
        self.request_headers = {
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
            "Accept-Encoding": "identity",
            **(headers or {}),
        }
        self.started_at = clock.now()
        self.t0 = time.perf_counter()
        self.marks: dict[str, float] = {}
        self.status: int | None = None
        self.response_headers: tuple[tuple[str, str], ...] = ()
        self.body = bytearray()
        self.truncated = False
        self.failure: ProbeFailure | None = None

    def request(self, trace: object) -> httpcore.Request:
        target, target_headers = _target(self.url)
        encoded = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in self.request_headers.items()
        ]
        return httpcore.Request(
            "GET",
            target,
            headers=target_headers + encoded,
            # Backstops only: the total deadline is enforced around the whole exchange.
            extensions={"timeout": dict.fromkeys(_TIMEOUT_KEYS, self.deadline), "trace": trace},
        )

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event in _CONNECTED_EVENTS:
            self.marks["connect"] = time.perf_counter() - self.t0
        elif event in _HEADERS_EVENTS:
            self.marks["first_byte"] = time.perf_counter() - self.t0

    async def atrace(self, event: str, info: Mapping[str, Any]) -> None:
        self.trace(event, info)

    def answered(self, response: httpcore.Response) -> None:
        self.marks.setdefault("first_byte", time.perf_counter() - self.t0)
        self.status = response.status
        self.response_headers = tuple(
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers
        )

    def received(self, chunk: bytes) -> bool:
        """Keep a body chunk; True once the body cap is reached and reading must stop."""
        self.body.extend(chunk)
        if len(self.body) <= self.max_body:
            return False
        del self.body[self.max_body :]
        self.truncated = True
        self.failure = ProbeFailure(
            ErrorKind.BODY_TOO_LARGE, f"body exceeded {self.max_body} bytes; reading stopped there"
        )
        return True

    def failed(self, exc: Exception) -> None:
        got_headers = self.status is not None
        if isinstance(exc, _InvalidURL):
            self.failure = ProbeFailure(ErrorKind.INVALID_URL, f"not a callable URL: {exc}")
        elif isinstance(exc, TimeoutError | httpcore.TimeoutException):
            self.failure = _deadline_failure(
                self.deadline, got_headers=got_headers, body_bytes=len(self.body)
            )
        else:
            self.failure = classify_error(exc, got_headers=got_headers)

    def observation(self) -> Observation:
        return Observation(
            url=self.url,
            started_at=self.started_at,
            deadline=self.deadline,
            timings=Timings(
                connect=self.marks.get("connect"),
                first_byte=self.marks.get("first_byte"),
                total=time.perf_counter() - self.t0,
            ),
            status=self.status,
            headers=self.response_headers,
            body=bytes(self.body),
            body_truncated=self.truncated,
            error=self.failure,
            request_headers=tuple(self.request_headers.items()),
        )


def probe(
    url: str,
    *,
    deadline: float = DEFAULT_DEADLINE,
    max_body: int = DEFAULT_MAX_BODY,
    headers: Mapping[str, str] | None = None,
    network: httpcore.NetworkBackend | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Observation:
    """GET ``url`` once, without following redirects, and record what happened.

    Blocks the calling thread for at most ``deadline`` seconds (on an event loop, await
    :func:`aprobe` instead). Never raises for anything the server or network does:
    failures are classified into ``Observation.error``. The body is read up to
    ``max_body`` bytes; a longer answer is cut there and reported as ``body-too-large``.
    ``network`` replaces the real network (``httpcore.MockBackend`` in unit tests).
    """
    exchange = _Exchange(url, deadline=deadline, max_body=max_body, headers=headers, clock=clock)
    backend = DeadlineBackend(network or _NETWORK, exchange.t0 + deadline)
    try:
        request = exchange.request(exchange.trace)
        with _pool(httpcore.ConnectionPool, backend) as pool:
            response = pool.handle_request(request)
            try:
                exchange.answered(response)
                for chunk in response.iter_stream():
                    if exchange.received(chunk):
                        break
            finally:
                response.close()
    except Exception as exc:  # the prober never raises for what the target or network does
        exchange.failed(exc)
    return exchange.observation()


async def aprobe(
    url: str,
    *,
    deadline: float = DEFAULT_DEADLINE,
    max_body: int = DEFAULT_MAX_BODY,
    headers: Mapping[str, str] | None = None,
    network: httpcore.AsyncNetworkBackend | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Observation:
    """:func:`probe` for an event loop: the same GET, the same observation, never blocking.

    ``network`` replaces the real network (``httpcore.AsyncMockBackend`` in unit tests).
    """
    exchange = _Exchange(url, deadline=deadline, max_body=max_body, headers=headers, clock=clock)
    try:
        async with asyncio.timeout(deadline):
            request = exchange.request(exchange.atrace)
            async with _pool(httpcore.AsyncConnectionPool, network or _ASYNC_NETWORK) as pool:
                response = await pool.handle_async_request(request)
                try:
                    exchange.answered(response)
                    async for chunk in response.aiter_stream():
                        if exchange.received(chunk):
                            break
                finally:
                    await response.aclose()
    except Exception as exc:  # the prober never raises for what the target or network does
        exchange.failed(exc)
    return exchange.observation()


_Pool = TypeVar("_Pool", httpcore.ConnectionPool, httpcore.AsyncConnectionPool)


def _pool(kind: type[_Pool], network: Any) -> _Pool:
    """A pool for one request: no connection outlives the probe."""
    return kind(
        ssl_context=_shared_ssl_context(), max_keepalive_connections=0, network_backend=network
    )


def _deadline_failure(deadline: float, *, got_headers: bool, body_bytes: int) -> ProbeFailure:
    if got_headers:
        return ProbeFailure(
            ErrorKind.DEADLINE_DURING_BODY,
            f"headers arrived but the body was still incomplete after {deadline:g} s "
            f"({body_bytes} bytes received)",
        )
    return ProbeFailure(
        ErrorKind.DEADLINE_BEFORE_HEADERS, f"no response headers within {deadline:g} s"
    )


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        if isinstance(current, BaseExceptionGroup):
            chain.extend(current.exceptions)
        current = current.__cause__ or current.__context__
    return chain


def classify_error(exc: BaseException, *, got_headers: bool) -> ProbeFailure:
    """Map a transport exception onto the prober's error classes, with a plain message."""
    chain = _causes(exc)
    text = " | ".join(str(e) for e in chain)
    if isinstance(exc, httpcore.UnsupportedProtocol) or any(
        isinstance(e, OverflowError) for e in chain
    ):
        return ProbeFailure(ErrorKind.INVALID_URL, f"not a callable URL: {exc}")
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSL" in text or "CERTIFICATE" in text:
        return ProbeFailure(ErrorKind.TLS_ERROR, f"TLS handshake failed: {_first_line(chain)}")
    if any(isinstance(e, socket.gaierror) for e in chain) or "Name or service not known" in text:
        return ProbeFailure(
            ErrorKind.DNS_FAILURE, f"host name did not resolve: {_first_line(chain)}"
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in text.lower():
        return ProbeFailure(ErrorKind.CONNECTION_REFUSED, "connection refused (nothing listening)")
    if isinstance(exc, httpcore.ConnectError):
        return ProbeFailure(ErrorKind.CONNECT_ERROR, f"could not connect: {_first_line(chain)}")
    reset_words = ("disconnected", "peer closed", "reset", "broken pipe", "incomplete")
    if isinstance(exc, httpcore.ReadError | httpcore.WriteError | ConnectionError) or any(
        word in text.lower() for word in reset_words
    ):
        where = "during the body" if got_headers else "before any response"
        return ProbeFailure(ErrorKind.CONNECTION_RESET, f"connection closed {where}")
    if isinstance(exc, httpcore.ProtocolError):
        return ProbeFailure(ErrorKind.INVALID_HTTP, f"not valid HTTP: {_first_line(chain)}")
    return ProbeFailure(ErrorKind.CONNECT_ERROR, f"{type(exc).__name__}: {_first_line(chain)}")


def _first_line(chain: list[BaseException]) -> str:
    for exc in reversed(chain):  # the deepest cause says most
        text = str(exc).strip()
        if text:
            return text.splitlines()[0][:200]
    return type(chain[0]).__name__
