"""One GET to a callback URL, done the way Recall does it, under a hard total deadline.

Per-operation timeouts cannot bound a server that sends headers at once and then drips
its body, so every operation of the exchange — DNS, connect, TLS, each write and read —
gets only the time left until one total deadline (:mod:`simulator.deadline_network`).
Every probe opens a fresh connection, as Recall's calls are independent, so the connect
time is always measured and never hidden by a pooled connection.

The core is synchronous (httpcore, the HTTP engine under httpx): a blocking GET on a
fresh connection costs less than half of the same GET through an async client, and
``aprobe`` runs it on a thread pool, where 50 probes in flight outpace an event loop.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import socket
import ssl
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

import httpcore
import httpx

from simulator.clock import SYSTEM_CLOCK, Clock
from simulator.deadline_network import DeadlineBackend, ResolvingBackend
from simulator.observation import ErrorKind, Observation, ProbeFailure, Timings

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BODY",
    "MAX_PROBES_IN_FLIGHT",
    "USER_AGENT",
    "aprobe",
    "probe",
]

DEFAULT_DEADLINE = 5.0
DEFAULT_MAX_BODY = 64 * 1024
USER_AGENT = "recall-sim/0.1 (Recall access-token callback prober)"

_CONNECTED_EVENTS = frozenset({"connection.connect_tcp.complete", "connection.start_tls.complete"})
_HEADERS_EVENTS = frozenset({"http11.receive_response_headers.complete"})

_TIMEOUT_KEYS = ("connect", "read", "write", "pool")
_REAL_NETWORK = ResolvingBackend()
# Callers bound their own concurrency (the poller's slots, a load rule's burst) to at most
# this, so no probe waits for a thread; threads start lazily and each holds one probe.
MAX_PROBES_IN_FLIGHT = 1000
_PROBE_THREADS = ThreadPoolExecutor(MAX_PROBES_IN_FLIGHT, thread_name_prefix="recall-sim-probe")


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

    Blocks the calling thread for at most ``deadline`` seconds (use :func:`aprobe` on an
    event loop). Never raises for anything the server or network does: failures are
    classified into ``Observation.error``. The body is read up to ``max_body`` bytes; a
    longer answer is cut there and reported as ``body-too-large``. ``network`` replaces
    the real network (``httpcore.MockBackend`` in unit tests).
    """
    request_headers = {
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
        "Accept-Encoding": "identity",
        **(headers or {}),
    }
    started_at = clock.now()
    t0 = time.perf_counter()
    marks: dict[str, float] = {}

    def trace(event: str, info: Mapping[str, Any]) -> None:
        if event in _CONNECTED_EVENTS:
            marks["connect"] = time.perf_counter() - t0
        elif event in _HEADERS_EVENTS:
            marks["first_byte"] = time.perf_counter() - t0

    status: int | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    body = bytearray()
    truncated = False
    failure: ProbeFailure | None = None
    backend = DeadlineBackend(network or _REAL_NETWORK, t0 + deadline)
    try:
        target, target_headers = _target(url)
        encoded = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in request_headers.items()]
        request = httpcore.Request(
            "GET",
            target,
            headers=target_headers + encoded,
            # The deadline backend bounds each operation by the time left; these are backstops.
            extensions={"timeout": dict.fromkeys(_TIMEOUT_KEYS, deadline), "trace": trace},
        )
        with httpcore.ConnectionPool(
            ssl_context=_shared_ssl_context(),
            max_keepalive_connections=0,
            network_backend=backend,
        ) as pool:
            response = pool.handle_request(request)
            try:
                marks.setdefault("first_byte", time.perf_counter() - t0)
                status = response.status
                response_headers = tuple(
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers
                )
                for chunk in response.iter_stream():
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
                response.close()
    except _InvalidURL as exc:
        failure = ProbeFailure(ErrorKind.INVALID_URL, f"not a callable URL: {exc}")
    except httpcore.TimeoutException:
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


async def aprobe(
    url: str,
    *,
    deadline: float = DEFAULT_DEADLINE,
    max_body: int = DEFAULT_MAX_BODY,
    headers: Mapping[str, str] | None = None,
    network: httpcore.NetworkBackend | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Observation:
    """:func:`probe` on the prober's thread pool, awaitable from any event loop."""
    call = functools.partial(
        probe,
        url,
        deadline=deadline,
        max_body=max_body,
        headers=headers,
        network=network,
        clock=clock,
    )
    return await asyncio.get_running_loop().run_in_executor(_PROBE_THREADS, call)


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
