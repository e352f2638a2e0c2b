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
import re
import socket
import ssl
import string
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import h11
import httpx

from recall_sim.simulator.clock import SYSTEM_CLOCK, Clock
from recall_sim.simulator.connections import AsyncNetwork, connect_before, open_stream
from recall_sim.simulator.observation import ErrorKind, Observation, ProbeFailure, Timings
from recall_sim.simulator.redaction import redact_text, url_values

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_MAX_BODY", "USER_AGENT", "aprobe", "probe", "url_problem"]

DEFAULT_DEADLINE = 5.0
DEFAULT_MAX_BODY = 64 * 1024
USER_AGENT = "recall-sim/0.1 (Recall access-token callback prober)"

# What a non-HTTP answer shows of itself: enough to recognise it, redacted like any body.
_HEAD_KEPT = 4096
_PREVIEW_CHARS = 80
_TLS_RECORDS = (b"\x15\x03", b"\x16\x03")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9_-]{1,63}$")


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


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be called, in one plain sentence; None when it can be.

    The same check the prober makes before any I/O, so a command can refuse a URL with
    exit 2 instead of reporting a failed call. The sentence never holds the URL's
    userinfo or query (where secrets live).
    """
    try:
        _target(url)
    except _InvalidURL as exc:
        return str(exc)
    return None


@functools.lru_cache(maxsize=16_384)
def _target(url: str) -> _Target:
    """Parsed once per URL: the fake Recall calls the same callback URLs round after round."""
    _check_text(url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise _InvalidURL(_plain_httpx_message(str(exc))) from None
    if not parsed.raw_host:
        raise _InvalidURL("the URL has no host")
    host = parsed.raw_host.decode("ascii")
    _check_host(host)
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise _InvalidURL(f"port {parsed.port} is outside 1-65535")
    tls = parsed.scheme == "https"
    headers = [(b"Host", parsed.netloc)]
    if parsed.userinfo:
        credentials = f"{parsed.username}:{parsed.password}"  # both already %-decoded
        basic = base64.b64encode(credentials.encode("latin-1", "replace"))
        headers.append((b"Authorization", b"Basic " + basic))
    return _Target(
        host=host,
        port=parsed.port or (443 if tls else 80),
        tls=tls,
        path=parsed.raw_path,
        headers=tuple(headers),
    )


def _check_text(url: str) -> None:
    """What the URL parser would silently encode or misread: checked on the text as typed."""
    for offset, char in enumerate(url):
        if char in string.whitespace or unicodedata.category(char) in _INVISIBLE:
            raise _InvalidURL(
                f"it holds {_describe(char)} at offset {offset}; "
                "remove it, or percent-encode it if it belongs there"
            )
    scheme = _SCHEME.match(url)
    if scheme is None:
        raise _InvalidURL("the URL has no scheme; it must start with http:// or https://")
    if scheme.group(1).lower() not in ("http", "https"):
        raise _InvalidURL(f"the scheme is {scheme.group(1)}; it must be http:// or https://")
    # httpx reads an unclosed IPv6 bracket as a bad port ("Invalid port: ':1'"): say what it is.
    rest = url[scheme.end() :]
    authority = re.split(r"[/?#]", rest[2:], maxsplit=1)[0] if rest.startswith("//") else ""
    host_port = authority.rsplit("@", 1)[-1]  # never the userinfo: it may hold a secret
    if ("[" in host_port) != ("]" in host_port):
        raise _InvalidURL(
            f"the host {host_port} has an unmatched IPv6 bracket; write it as [address]:port"
        )


def _plain_httpx_message(message: str) -> str:
    """httpx's "Invalid port: 'abc'" as a sentence without a Python repr in it."""
    found = re.fullmatch(r"Invalid (port|IPv4 address|IPv6 address|IDNA hostname): '(.*)'", message)
    if found is None:
        return message.rstrip(".")
    what = found.group(1).replace("IDNA hostname", "host name")
    return f"the {what} {found.group(2)} is not valid"


def _check_host(host: str) -> None:
    """A host name is DNS labels (letters, digits, '-', '_'); httpx lets others through to DNS."""
    if ":" in host or re.fullmatch(r"[0-9.]+", host):
        return  # an IP literal, which httpx has already checked
    name = host[:-1] if host.endswith(".") else host  # a trailing dot is a fully qualified name
    if len(name) > 253:
        raise _InvalidURL(f"the host name is {len(name)} characters; DNS allows 253")
    for label in name.split("."):
        if not _HOST_LABEL.match(label):
            why = (
                "an empty label"
                if not label
                else f"a label of {len(label)} characters (DNS allows 63)"
                if len(label) > 63
                else f"the label {label}, with characters a host name cannot hold"
            )
            raise _InvalidURL(f"the host name {host} has {why}")


# Unicode categories that print as nothing or move the cursor: control, format (zero-width,
# byte order mark), separators other than the plain space, surrogates, private, unassigned.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})

_NAMES = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x00": "NUL", " ": "SPACE"}


def _describe(char: str) -> str:
    """``U+FEFF (ZERO WIDTH NO-BREAK SPACE)``: the code point, and its name when it has one."""
    name = _NAMES.get(char) or unicodedata.name(char, "") or "a control character"
    return f"U+{ord(char):04X} ({name})"


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
        self.head = bytearray()  # the first bytes before the headers were parsed, if any
        self.head_bytes = 0
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
        if self.status is None and data:
            self.head_bytes += len(data)
            self.head.extend(data[: _HEAD_KEPT - len(self.head)])
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
            if not got_headers and self.head:
                self.failure = ProbeFailure(
                    self.failure.kind, f"{self.failure.message}; {self._head_summary()}"
                )
        elif (
            not got_headers
            and self.head
            and isinstance(exc, ConnectionError | h11.ProtocolError)
            and not (isinstance(exc, ConnectionError) and self.head.startswith(b"HTTP/"))
        ):
            # Bytes arrived but no status line: the answer is not HTTP (a bare token, a TLS
            # alert, garbage). Closing after them is how it ended, not what went wrong.
            self.failure = ProbeFailure(
                ErrorKind.INVALID_HTTP, f"not an HTTP response: {self._head_summary()}"
            )
        elif not got_headers and self.head:  # "HTTP/..." then closed or reset
            self.failure = ProbeFailure(
                ErrorKind.CONNECTION_RESET,
                f"connection closed before the response headers were complete "
                f"({self.head_bytes} bytes received)",
            )
        else:
            self.failure = classify_error(
                exc, connected=self.connect is not None, got_headers=got_headers
            )

    def _head_summary(self) -> str:
        """How many bytes arrived and how they start, redacted (a bare token is a secret)."""
        head = bytes(self.head)
        # A TLS record (alert 0x15, handshake 0x16, then version 0x03): an https server.
        tls = " (a TLS record: the server speaks https)" if head[:2] in _TLS_RECORDS else ""
        return (
            f"the server sent {self.head_bytes} bytes with no HTTP status line{tls}, "
            f"starting: {_preview(head, hide=url_values(self.url))}"
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


def _preview(data: bytes, *, hide: tuple[str, ...] = ()) -> str:
    """The first characters of raw bytes as printable text: JWTs and ``hide`` redacted,
    every byte that is not printable shown as an escape (so a terminal never interprets it)."""
    # Redact before cutting: a cut secret is no longer recognisable.
    text = redact_text(data.decode("utf-8", "backslashreplace"), secrets=hide)
    shown = "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )
    return shown[:_PREVIEW_CHARS] + ("…" if len(shown) > _PREVIEW_CHARS else "")


def _first_line(chain: list[BaseException]) -> str:
    for exc in reversed(chain):  # the deepest cause says most
        text = str(exc).strip()
        if text:
            return text.splitlines()[0][:200]
    return type(chain[0]).__name__
