"""The prober over real sockets: answers, error classes, the hard deadline and the body cap."""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from recall_sim.simulator.observation import ErrorKind, Observation
from recall_sim.simulator.prober import aprobe, probe, url_problem
from recall_sim.simulator.redaction import redact_token
from recall_sim.simulator.serving import ThreadedServer
from tests.support.mock_network import answering, http_answer
from tests.support.raw_echo import raw_echo_server
from tests.support.tokens import zoom_token

Probe = Callable[..., Observation]


@pytest.fixture(params=["probe", "aprobe"])
def call(request: pytest.FixtureRequest) -> Probe:
    """Each test runs against both cores: the blocking ``probe`` and the async ``aprobe``."""
    if request.param == "probe":
        return probe

    def run_aprobe(url: str, **options: Any) -> Observation:
        return asyncio.run(aprobe(url, **options))

    return run_aprobe


def test_good_answer_records_status_body_and_ordered_timings(
    call: Probe, callback_server: ThreadedServer
):
    before = time.time()
    obs = call(callback_server.url + "/good")
    assert obs.error is None
    assert obs.status == 200
    assert obs.body.startswith(b"eyJ")
    assert before <= obs.started_at <= time.time()
    t = obs.timings
    assert t.connect is not None and t.first_byte is not None
    assert 0 < t.connect <= t.first_byte <= t.total < 5
    assert obs.header("cache-control") == "no-store"
    assert obs.server_date is not None
    assert obs.clock_skew is not None and abs(obs.clock_skew) < 2


def test_redirect_is_not_followed(call: Probe, callback_server: ThreadedServer):
    obs = call(callback_server.url + "/redirect")
    assert obs.status == 302
    assert obs.body == b""


def test_each_probe_opens_a_fresh_connection(call: Probe, callback_server: ThreadedServer):
    first = call(callback_server.url + "/good")
    second = call(callback_server.url + "/good")
    assert first.timings.connect is not None
    assert second.timings.connect is not None


def test_body_is_capped_without_reading_a_100_mb_answer(
    call: Probe, callback_server: ThreadedServer
):
    obs = call(callback_server.url + "/huge", max_body=4096)
    assert obs.error is not None and obs.error.kind is ErrorKind.BODY_TOO_LARGE
    assert obs.body_truncated
    assert len(obs.body) == 4096
    assert obs.timings.total < 2


def test_deadline_before_headers_is_classified(call: Probe, callback_server: ThreadedServer):
    obs = call(callback_server.url + "/slow?delay=2", deadline=0.5)
    assert obs.error is not None and obs.error.kind is ErrorKind.DEADLINE_BEFORE_HEADERS
    assert obs.status is None
    assert 0.45 <= obs.timings.total < 0.9


def test_deadline_during_body_is_classified(call: Probe, callback_server: ThreadedServer):
    obs = call(callback_server.url + "/drip?seconds=3", deadline=0.5)
    assert obs.error is not None and obs.error.kind is ErrorKind.DEADLINE_DURING_BODY
    assert obs.status == 200
    assert 0 < len(obs.body) < 600
    assert 0.45 <= obs.timings.total < 0.9


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_connection_refused_is_classified(call: Probe):
    obs = call(f"http://127.0.0.1:{_free_port()}/cb")
    assert obs.error is not None and obs.error.kind is ErrorKind.CONNECTION_REFUSED
    assert obs.status is None


def test_dns_failure_is_classified(call: Probe):
    obs = call("http://no-such-host.invalid/cb")
    assert obs.error is not None and obs.error.kind is ErrorKind.DNS_FAILURE


def test_a_resolver_that_hangs_is_cut_at_the_deadline(call: Probe, monkeypatch: pytest.MonkeyPatch):
    def hanging_getaddrinfo(*args: object, **kwargs: object) -> list[object]:
        time.sleep(1)
        return []

    monkeypatch.setattr(socket, "getaddrinfo", hanging_getaddrinfo)
    obs = call("http://slow-dns.example/cb", deadline=0.3)
    assert obs.error is not None and obs.error.kind is ErrorKind.DEADLINE_BEFORE_HEADERS
    assert 0.25 <= obs.timings.total < 0.8


def test_a_host_name_tries_each_address_it_resolves_to(
    call: Probe, callback_server: ThreadedServer, monkeypatch: pytest.MonkeyPatch
):
    # The first address refuses (nothing listens on 127.0.0.2's port); the second answers.
    real_getaddrinfo = socket.getaddrinfo

    def two_addresses(host: str, port: int, *args: Any) -> list[Any]:
        if host != "callback.test":
            return real_getaddrinfo(host, port, *args)
        stream = socket.SOCK_STREAM
        return [
            (socket.AF_INET, stream, 6, "", ("127.0.0.2", port)),
            (socket.AF_INET, stream, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    obs = call(f"http://callback.test:{callback_server.port}/good")
    assert obs.error is None and obs.status == 200


def test_tls_error_is_classified(call: Probe, callback_server: ThreadedServer):
    # TLS spoken to a plain-HTTP server fails the handshake.
    obs = call(f"https://127.0.0.1:{callback_server.port}/good")
    assert obs.error is not None and obs.error.kind is ErrorKind.TLS_ERROR


@pytest.mark.parametrize("url", ["ftp://example.com/x", "http://127.0.0.1:99999/", "http://[::1"])
def test_invalid_urls_are_classified_not_raised(call: Probe, url: str):
    obs = call(url)
    assert obs.error is not None and obs.error.kind is ErrorKind.INVALID_URL


class RawServer:
    """A TCP server that answers every connection with fixed bytes, then closes (or resets)."""

    def __init__(self, answer: bytes, *, reset: bool = False) -> None:
        self.answer = answer
        self.reset = reset
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                if self.answer:
                    conn.sendall(self.answer)
                if self.reset:
                    # SO_LINGER 0 makes close() send RST instead of FIN.
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")


@pytest.fixture
def raw_server_factory() -> Iterator[type[RawServer]]:
    servers: list[RawServer] = []

    class Tracked(RawServer):
        def __init__(self, answer: bytes, *, reset: bool = False) -> None:
            super().__init__(answer, reset=reset)
            servers.append(self)

    yield Tracked
    for server in servers:
        server.sock.close()


def test_connection_reset_before_headers_is_classified(
    call: Probe, raw_server_factory: type[RawServer]
):
    server = raw_server_factory(b"", reset=True)
    obs = call(f"http://127.0.0.1:{server.port}/cb")
    assert obs.error is not None and obs.error.kind is ErrorKind.CONNECTION_RESET


def test_connection_closed_mid_body_is_classified(call: Probe, raw_server_factory: type[RawServer]):
    partial = b"HTTP/1.1 200 OK\r\nContent-Length: 600\r\nContent-Type: text/plain\r\n\r\neyJ"
    server = raw_server_factory(partial)
    obs = call(f"http://127.0.0.1:{server.port}/cb")
    assert obs.status == 200
    assert obs.error is not None and obs.error.kind is ErrorKind.CONNECTION_RESET


def test_invalid_http_is_classified(call: Probe, raw_server_factory: type[RawServer]):
    server = raw_server_factory(b"HELLO THERE\r\n\r\n")
    obs = call(f"http://127.0.0.1:{server.port}/cb")
    assert obs.error is not None and obs.error.kind is ErrorKind.INVALID_HTTP


def test_aprobe_works_with_a_canned_network_and_no_socket():
    network = answering(lambda: http_answer("eyJtoken", status="201 Created"))
    obs = asyncio.run(aprobe("https://callback.example/cb?x=1", network=network))
    assert obs.error is None
    assert obs.status == 201
    assert obs.body == b"eyJtoken"


def test_request_is_a_bare_get_with_host_port_and_userinfo_as_basic_auth():
    sent: list[bytes] = []
    network = answering(lambda: http_answer("eyJtoken"), sent=sent)
    url = "http://us%40er:p%3Ass@callback.example:8080/cb?auth_token=s3cret&x=%C3%A9"
    obs = asyncio.run(aprobe(url, headers={"Webhook-Id": "msg_1"}, network=network))
    assert obs.error is None
    head = b"".join(sent).decode("latin-1")
    request_line, *lines = head.split("\r\n")
    assert request_line == "GET /cb?auth_token=s3cret&x=%C3%A9 HTTP/1.1"
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines if line)}
    assert headers["host"] == "callback.example:8080"
    assert headers["authorization"] == "Basic dXNAZXI6cDpzcw=="  # us@er:p:ss
    assert headers["webhook-id"] == "msg_1"
    assert headers["accept-encoding"] == "identity"
    assert head.endswith("\r\n\r\n")  # no body


def test_sync_probe_is_usable_inside_a_running_event_loop(callback_server: ThreadedServer):
    async def inside_loop() -> int | None:
        return probe(callback_server.url + "/good").status

    assert asyncio.run(inside_loop()) == 200


@pytest.mark.slow
def test_deadline_boundaries_are_exact(callback_server: ThreadedServer):
    """4.8 s passes, 5.2 s is cut at 5.0 s, a 7 s drip is cut at 5.0 s ± 0.1 s."""

    async def all_three() -> list[tuple[float, object]]:
        started = time.perf_counter()
        results = []
        for coro in asyncio.as_completed(
            [
                aprobe(callback_server.url + "/slow?delay=4.8"),
                aprobe(callback_server.url + "/slow?delay=5.2"),
                aprobe(callback_server.url + "/drip?seconds=7"),
            ]
        ):
            obs = await coro
            results.append((time.perf_counter() - started, obs))
        return results

    results = asyncio.run(all_three())
    by_url = {obs.url.rsplit("/", 1)[1]: (wall, obs) for wall, obs in results}  # type: ignore[attr-defined]

    wall, ok = by_url["slow?delay=4.8"]
    assert ok.error is None and ok.status == 200
    assert 4.8 <= ok.timings.total < 5.0

    wall, late = by_url["slow?delay=5.2"]
    assert late.error is not None and late.error.kind is ErrorKind.DEADLINE_BEFORE_HEADERS
    assert 4.9 <= late.timings.total <= 5.1

    wall, dripped = by_url["drip?seconds=7"]
    assert dripped.error is not None and dripped.error.kind is ErrorKind.DEADLINE_DURING_BODY
    assert 4.9 <= dripped.timings.total <= 5.1
    assert 4.9 <= wall <= 5.1 + 0.2  # measured outside the prober too


# -- answers that are not HTTP, and URLs nobody can call (issue 11) ------------------------

NOT_HTTP_JWT = zoom_token()


def test_a_bare_token_then_close_is_invalid_http_showing_its_first_bytes_redacted(
    call: Probe, raw_server_factory: type[RawServer]
):
    server = raw_server_factory(NOT_HTTP_JWT.encode())
    obs = call(f"http://127.0.0.1:{server.port}/cb")
    assert obs.error is not None and obs.error.kind is ErrorKind.INVALID_HTTP
    message = obs.error.message
    assert "before any response" not in message  # bytes did arrive
    assert f"sent {len(NOT_HTTP_JWT)} bytes" in message
    assert redact_token(NOT_HTTP_JWT) in message  # recognisable: first 8, last 4, fingerprint
    assert NOT_HTTP_JWT not in message
    assert NOT_HTTP_JWT[:20] not in message


def test_random_bytes_then_close_are_invalid_http_shown_as_printable_escapes(
    call: Probe, raw_server_factory: type[RawServer]
):
    noise = b"\x8f\x00\x1b[2J" + random.Random(11).randbytes(200).replace(b"\n", b"")
    server = raw_server_factory(noise)
    obs = call(f"http://127.0.0.1:{server.port}/cb")
    assert obs.error is not None and obs.error.kind is ErrorKind.INVALID_HTTP
    message = obs.error.message
    assert f"sent {len(noise)} bytes" in message
    assert "starting: \\x8f\\x00\\x1b[2J" in message
    assert message.isprintable()  # no escape sequence reaches a terminal


def test_a_token_line_is_invalid_http_without_echoing_the_token(
    call: Probe, raw_server_factory: type[RawServer]
):
    # h11 refuses the status line at once and quotes it whole in its own message.
    server = raw_server_factory(NOT_HTTP_JWT.encode() + b"\r\n\r\n")
    obs = call(f"http://127.0.0.1:{server.port}/cb")
    assert obs.error is not None and obs.error.kind is ErrorKind.INVALID_HTTP
    assert NOT_HTTP_JWT[:20] not in obs.error.message
    assert "bytearray" not in obs.error.message


def test_an_echo_of_the_request_never_shows_part_of_a_url_value(call: Probe):
    # The preview is cut at 80 characters: a value cut in half would no longer be
    # recognisable afterwards, so the request's own values are redacted before the cut.
    value = "v" + "0123456789abcdef" * 8  # under a name that does not look secret
    with raw_echo_server() as base:
        obs = call(f"{base}/e?lang={value}")
    assert obs.error is not None and obs.error.kind is ErrorKind.INVALID_HTTP
    assert "GET /e?lang=" in obs.error.message
    assert value[:16] not in obs.error.message


def test_a_tls_record_to_http_is_invalid_http_saying_the_server_speaks_https(
    call: Probe, raw_server_factory: type[RawServer]
):
    server = raw_server_factory(b"\x15\x03\x01\x00\x02\x02\x32")  # a TLS alert
    obs = call(f"http://127.0.0.1:{server.port}/cb")
    assert obs.error is not None and obs.error.kind is ErrorKind.INVALID_HTTP
    assert "https" in obs.error.message


def test_a_status_line_then_close_is_a_reset_during_the_headers(
    call: Probe, raw_server_factory: type[RawServer]
):
    server = raw_server_factory(b"HTTP/1.1 200 OK\r\nContent-")
    obs = call(f"http://127.0.0.1:{server.port}/cb")
    assert obs.error is not None and obs.error.kind is ErrorKind.CONNECTION_RESET
    assert "before the response headers were complete" in obs.error.message


BAD_URLS = [
    ("http://[::1/cb", "bracket"),
    ("http://[zz]/", "[zz]"),
    ("http://[::1]:abc/", "port abc"),
    ("example.com/cb", "no scheme"),
    ("ftp://example.com/x", "http:// or https://"),
    ("http://h:99999/", "99999"),
    ("http://h:0/", "port 0"),
    ("http:///x", "no host"),
    ("http://:80/", "no host"),
    ("http://", "no host"),
    ("", "no scheme"),
    (" http://h/", "U+0020"),
    ("http://exa mple.com/", "U+0020"),
    ("http://h/a b", "U+0020"),
    ("http://ex\x01ample.com/", "U+0001"),
    ("http://h/\x00", "U+0000"),
    ("http://h/\t", "U+0009"),
    ("http://\u200bh/", "U+200B"),
    ("http://a..b/", "empty label"),
    ("http://" + "a" * 64 + ".example/", "63"),
    ("http://%zz/", "%zz"),
]


@pytest.mark.parametrize(("url", "words"), BAD_URLS)
def test_every_uncallable_url_is_invalid_url_with_a_plain_reason(call: Probe, url: str, words: str):
    obs = call(url + ("&" if "?" in url else "?") + "auth_token=s3cret-value-1234")
    assert obs.error is not None and obs.error.kind is ErrorKind.INVALID_URL, obs.error
    assert words in obs.error.message
    assert "s3cret-value-1234" not in obs.error.message
    assert url_problem(url) is not None and words in url_problem(url)  # type: ignore[operator]


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8080/cb?a=1", "https://[::1]:8443/cb", "http://cb.example./x", "HTTP://h/"],
)
def test_callable_urls_have_no_problem(url: str):
    assert url_problem(url) is None
