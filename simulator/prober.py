"""One GET to a callback URL, done the way Recall does it, under a hard total deadline.

Per-operation timeouts cannot bound a server that sends headers at once and then drips
its body, so the whole exchange — DNS, connect, TLS, headers and every body byte — is
bounded by one total deadline: ``aprobe`` runs it inside one ``asyncio.timeout``; the
blocking ``probe`` gives each operation only the time left (``connections``).
Every probe opens a fresh connection, as Recall's calls are independent, so the connect
time is always measured and never hidden by a pooled connection.

HTTP/1.1 is spoken by h11 over that connection. For one GET on a fresh connection a
client library's pool, locks and per-request machinery cost more than the HTTP itself
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
from dataclasses import dataclass

import h11
import httpx

from recall_sim.simulator.clock import SYSTEM_CLOCK, Clock
from recall_sim.simulator.connections import AsyncNetwork, connect_before, open_stream
from recall_sim.simulator.observation import ErrorKind, Observation, ProbeFailure, Timings

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_MAX_BODY", "USER_AGENT", "aprobe", "probe"]

DEFAULT_DEADLINE = 5.0
DEFAULT_MAX_BODY = 64 * 1024
USER_AGENT = "recall-sim/0.1 (Recall access-token callback prober)"


@functools.cache
def _shared_ssl_context() -> ssl.SSLContext:
    # Building a context loads the CA bundle (milliseconds); do it once per process.
    return ssl.create_default_context()


class _InvalidURL(Exception):
    pass


class _ClosedEarly(ConnectionError):
    """The server closed the connection before its answer was complete."""


@dataclass(frozen=True)
class _Target:
    """Where to connect and what to ask for, with the URL encoded as httpx encodes it."""

    host: str
    port: int
    tls: bool
    path: bytes
    headers: tuple[tuple[bytes, bytes], ...]  # Host, and Authorization from userinfo


@functools.lru_cache(maxsize=16_384)
def _target(url: str) -> _Target:
    """Parsed once per URL: the fake Recall calls the same callback URLs round after round."""
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
    tls = parsed.scheme == "https"
    headers = [(b"Host", parsed.netloc)]
    if parsed.userinfo:
        credentials = f"{parsed.username}:{parsed.password}"  # both already %-decoded
        basic = base64.b64encode(credentials.encode("latin-1", "replace"))
        headers.append((b"Authorization", b"Basic " + basic))
    return _Target(
        host=parsed.raw_host.decode("ascii"),
        port=parsed.port or (443 if tls else 80),
        tls=tls,
        path=parsed.raw_path,
        headers=tuple(headers),
    )


class _Exchange:
    """One GET as h11 sees it, and what it produced; both probes drive it with their I/O."""

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
        # identity: the body is graded as sent, so ask for it uncompressed.
        self.request_headers = {
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
            "Accept-Encoding": "identity",
            **(headers or {}),
        }
        self.started_at = clock.now()
        self.t0 = time.perf_counter()
        self.connect: float | None = None
        self.first_byte: float | None = None
        self.status: int | None = None
        self.response_headers: tuple[tuple[str, str], ...] = ()
        self.body = bytearray()
        self.truncated = False
        self.failure: ProbeFailure | None = None
        self._http = h11.Connection(h11.CLIENT)

    @property
    def deadline_at(self) -> float:
        return self.t0 + self.deadline

    def connected(self) -> None:
        self.connect = time.perf_counter() - self.t0

    def request(self, target: _Target) -> bytes:
        """The request's bytes: a GET with no body."""
        extra = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in self.request_headers.items()
        ]
        head = self._http.send(
            h11.Request(method="GET", target=target.path, headers=[*target.headers, *extra])
        )
        return (head or b"") + (self._http.send(h11.EndOfMessage()) or b"")

    def feed(self, data: bytes) -> bool:
        """Take the server's next bytes (``b""`` when it closed its side); True once the
        answer is complete, or cut at the body cap, and reading must stop."""
        self._http.receive_data(data)
        try:
            while True:
                event = self._http.next_event()
                if event is h11.NEED_DATA:
                    return False
                if isinstance(event, h11.Response):
                    self._answered(event)
                elif isinstance(event, h11.Data):
                    if self._received(bytes(event.data)):
                        return True
                elif isinstance(event, h11.EndOfMessage):
                    return True
                elif isinstance(event, h11.ConnectionClosed):
                    raise _ClosedEarly("the server closed the connection")
        except h11.RemoteProtocolError:
            if data:
                raise  # not HTTP
            raise _ClosedEarly("the server closed the connection") from None

    def _answered(self, response: h11.Response) -> None:
        self.first_byte = time.perf_counter() - self.t0
        self.status = response.status_code
        self.response_headers = tuple(
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw_items()
        )

    def _received(self, chunk: bytes) -> bool:
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
        elif isinstance(exc, TimeoutError):
            self.failure = _deadline_failure(
                self.deadline, got_headers=got_headers, body_bytes=len(self.body)
            )
        else:
            self.failure = classify_error(
                exc, connected=self.connect is not None, got_headers=got_headers
            )

    def observation(self) -> Observation:
        return Observation(
            url=self.url,
            started_at=self.started_at,
            deadline=self.deadline,
            timings=Timings(
                connect=self.connect,
                first_byte=self.first_byte,
                total=time.perf_counter() - self.t0,
            ),
            status=self.status,
            headers=self.response_headers,
            body=bytes(self.body),
            body_truncated=self.truncated,
            error=self.failure,
            request_headers=tuple(self.request_headers.items()),
        )


def _tls(target: _Target) -> ssl.SSLContext | None:
    return _shared_ssl_context() if target.tls else None


def probe(
    url: str,
    *,
    deadline: float = DEFAULT_DEADLINE,
    max_body: int = DEFAULT_MAX_BODY,
    headers: Mapping[str, str] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Observation:
    """GET ``url`` once, without following redirects, and record what happened.

    Blocks the calling thread for at most ``deadline`` seconds (on an event loop, await
    :func:`aprobe` instead). Never raises for anything the server or network does:
    failures are classified into ``Observation.error``. The body is read up to
    ``max_body`` bytes; a longer answer is cut there and reported as ``body-too-large``.
    """
    exchange = _Exchange(url, deadline=deadline, max_body=max_body, headers=headers, clock=clock)
    try:
        target = _target(url)
        connection = connect_before(exchange.deadline_at, target.host, target.port, _tls(target))
        try:
            exchange.connected()
            connection.send(exchange.request(target))
            while not exchange.feed(connection.receive()):
                pass
        finally:
            connection.close()
    except Exception as exc:  # the prober never raises for what the target or network does
        exchange.failed(exc)
    return exchange.observation()


async def aprobe(
    url: str,
    *,
    deadline: float = DEFAULT_DEADLINE,
    max_body: int = DEFAULT_MAX_BODY,
    headers: Mapping[str, str] | None = None,
    network: AsyncNetwork = open_stream,
    clock: Clock = SYSTEM_CLOCK,
) -> Observation:
    """:func:`probe` for an event loop: the same GET and observation, never blocking the loop.

    ``network`` opens the connection (unit tests substitute canned answers).
    """
    exchange = _Exchange(url, deadline=deadline, max_body=max_body, headers=headers, clock=clock)
    try:
        async with asyncio.timeout(deadline):
            target = _target(url)
            connection = await network(target.host, target.port, _tls(target))
            try:
                exchange.connected()
                await connection.send(exchange.request(target))
                while not exchange.feed(await connection.receive()):
                    pass
            finally:
                connection.close()
    except Exception as exc:  # the prober never raises for what the target or network does
        exchange.failed(exc)
    return exchange.observation()


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


def classify_error(exc: BaseException, *, connected: bool, got_headers: bool) -> ProbeFailure:
    """Map a transport exception onto the prober's error classes, with a plain message."""
    chain = _causes(exc)
    if any(isinstance(e, OverflowError) for e in chain):
        return ProbeFailure(ErrorKind.INVALID_URL, f"not a callable URL: {exc}")
    if any(isinstance(e, ssl.SSLError | ssl.CertificateError) for e in chain):
        return ProbeFailure(ErrorKind.TLS_ERROR, f"TLS handshake failed: {_first_line(chain)}")
    if any(isinstance(e, socket.gaierror) for e in chain):
        return ProbeFailure(
            ErrorKind.DNS_FAILURE, f"host name did not resolve: {_first_line(chain)}"
        )
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return ProbeFailure(ErrorKind.CONNECTION_REFUSED, "connection refused (nothing listening)")
    if not connected:
        return ProbeFailure(ErrorKind.CONNECT_ERROR, f"could not connect: {_first_line(chain)}")
    if isinstance(exc, ConnectionError):  # reset, broken pipe, or closed before the end
        where = "during the body" if got_headers else "before any response"
        return ProbeFailure(ErrorKind.CONNECTION_RESET, f"connection closed {where}")
    if isinstance(exc, h11.ProtocolError):
        return ProbeFailure(ErrorKind.INVALID_HTTP, f"not valid HTTP: {_first_line(chain)}")
    return ProbeFailure(ErrorKind.CONNECT_ERROR, f"{type(exc).__name__}: {_first_line(chain)}")


def _first_line(chain: list[BaseException]) -> str:
    for exc in reversed(chain):  # the deepest cause says most
        text = str(exc).strip()
        if text:
            return text.splitlines()[0][:200]
    return type(chain[0]).__name__
