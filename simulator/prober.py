"""One GET to a callback URL, done the way Recall does it, under a hard total deadline.

Per-operation timeouts (httpx's connect/read/write) cannot bound a server that
sends headers at once and then drips its body, so the whole exchange — DNS,
connect, TLS, headers and every body byte — runs inside one ``asyncio.timeout``.
Every probe opens a fresh connection, as Recall's calls are independent, so the
connect time is always measured and never hidden by a pooled connection.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Coroutine, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

import httpx

from simulator.clock import SYSTEM_CLOCK, Clock
from simulator.observation import ErrorKind, Observation, ProbeFailure, Timings

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_MAX_BODY", "USER_AGENT", "aprobe", "probe"]

DEFAULT_DEADLINE = 5.0
DEFAULT_MAX_BODY = 64 * 1024
USER_AGENT = "recall-sim/0.1 (Recall access-token callback prober)"

_CONNECTED_EVENTS = frozenset({"connection.connect_tcp.complete", "connection.start_tls.complete"})
_HEADERS_EVENTS = frozenset(
    {"http11.receive_response_headers.complete", "http2.receive_response_headers.complete"}
)

_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    # Building a context loads the CA bundle (milliseconds); do it once per process.
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = ssl.create_default_context()
    return _ssl_context


_loop_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def _loop_client() -> httpx.AsyncClient:
    """The running loop's client: built once per loop, since building one costs a quarter of
    a local probe. Keep-alive is off, so every probe still opens its own connection and
    holds nothing open between probes; callers bound concurrency, so the pool does not."""
    loop = asyncio.get_running_loop()
    client = _loop_clients.get(loop)
    if client is None:
        client = httpx.AsyncClient(
            verify=_shared_ssl_context(),
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        )
        _loop_clients[loop] = client
    return client


async def aprobe(
    url: str,
    *,
    deadline: float = DEFAULT_DEADLINE,
    max_body: int = DEFAULT_MAX_BODY,
    headers: Mapping[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Observation:
    """GET ``url`` once, without following redirects, and record what happened.

    Never raises for anything the server or network does: failures are classified
    into ``Observation.error``. The body is read up to ``max_body`` bytes; a longer
    answer is cut there and reported as ``body-too-large``.
    """
    request_headers = {"User-Agent": USER_AGENT, "Accept": "*/*", **(headers or {})}
    started_at = clock.now()
    t0 = time.perf_counter()
    marks: dict[str, float] = {}

    async def trace(event: str, info: Mapping[str, Any]) -> None:
        if event in _CONNECTED_EVENTS:
            marks["connect"] = time.perf_counter() - t0
        elif event in _HEADERS_EVENTS:
            marks["first_byte"] = time.perf_counter() - t0

    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    body = bytearray()
    truncated = False
    failure: ProbeFailure | None = None
    http = client if client is not None else _loop_client()
    try:
        async with asyncio.timeout(deadline):
            request = http.build_request(
                "GET",
                url,
                headers=request_headers,
                # asyncio.timeout is the real deadline; httpx's timeout is only a backstop.
                timeout=httpx.Timeout(deadline + 1.0),
                extensions={"trace": trace},
            )
            response = await http.send(request, stream=True, follow_redirects=False)
            try:
                marks.setdefault("first_byte", time.perf_counter() - t0)
                status = response.status_code
                response_headers = tuple(
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
                )
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > max_body:
                        del body[max_body:]
                        truncated = True
                        failure = ProbeFailure(
                            ErrorKind.BODY_TOO_LARGE,
                            f"body exceeded {max_body} bytes; reading stopped there",
                        )
                        break
            finally:
                await response.aclose()
    except TimeoutError:
        failure = _deadline_failure(deadline, got_headers=status is not None, body_bytes=len(body))
    except Exception as exc:  # the prober never raises for what the target or network does
        failure = classify_error(exc, got_headers=status is not None)
    total = time.perf_counter() - t0
    return Observation(
        url=url,
        started_at=started_at,
        deadline=deadline,
        timings=Timings(
            connect=marks.get("connect"), first_byte=marks.get("first_byte"), total=total
        ),
        status=status,
        headers=response_headers,
        body=bytes(body),
        body_truncated=truncated,
        error=failure,
        request_headers=tuple(request_headers.items()),
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
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL) or any(
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
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return ProbeFailure(ErrorKind.CONNECT_ERROR, f"could not connect: {_first_line(chain)}")
    if isinstance(exc, httpx.TimeoutException):
        return _deadline_failure(0, got_headers=got_headers, body_bytes=0)
    reset_words = ("disconnected", "peer closed", "reset", "broken pipe", "incomplete")
    if isinstance(exc, httpx.ReadError | httpx.WriteError | ConnectionError) or any(
        word in text.lower() for word in reset_words
    ):
        where = "during the body" if got_headers else "before any response"
        return ProbeFailure(ErrorKind.CONNECTION_RESET, f"connection closed {where}")
    if isinstance(exc, httpx.ProtocolError | httpx.DecodingError):
        return ProbeFailure(ErrorKind.INVALID_HTTP, f"not valid HTTP: {_first_line(chain)}")
    return ProbeFailure(ErrorKind.CONNECT_ERROR, f"{type(exc).__name__}: {_first_line(chain)}")


def _first_line(chain: list[BaseException]) -> str:
    for exc in reversed(chain):  # the deepest cause says most
        text = str(exc).strip()
        if text:
            return text.splitlines()[0][:200]
    return type(chain[0]).__name__


_T = TypeVar("_T")


class _LoopThread:
    """A private event loop in a daemon thread, so the sync API can reuse the async core."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        future: Future[_T] = asyncio.run_coroutine_threadsafe(coroutine, self._ensure_loop())
        return future.result()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(
                    target=loop.run_forever, name="recall-sim-prober", daemon=True
                ).start()
                self._loop = loop
            return self._loop


_loop_thread = _LoopThread()


def probe(
    url: str,
    *,
    deadline: float = DEFAULT_DEADLINE,
    max_body: int = DEFAULT_MAX_BODY,
    headers: Mapping[str, str] | None = None,
    client: httpx.AsyncClient | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Observation:
    """Synchronous :func:`aprobe`; safe to call from any thread, including inside an event loop.

    A given ``client`` is used on the prober's private event loop and must not be
    shared with another loop.
    """
    return _loop_thread.run(
        aprobe(
            url, deadline=deadline, max_body=max_body, headers=headers, client=client, clock=clock
        )
    )
