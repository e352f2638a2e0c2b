"""An httpcore network backend that bounds a whole exchange by one total deadline.

httpcore's timeouts apply to each operation: a server that sends its headers at once and
then drips the body a byte a second never trips a 5 s read timeout. Here every
operation — DNS, connect, TLS, each write and each read — gets only the time left until
one deadline, so the exchange as a whole ends by then, whatever the server does.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
from httpcore import NetworkBackend, NetworkStream

__all__ = ["DeadlineBackend", "ResolvingBackend", "SocketOption"]

# httpcore's own alias for a setsockopt() argument tuple (kept private there).
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)

# getaddrinfo cannot be interrupted, so a name is resolved on a helper thread and waited
# for only until the deadline; a resolver that hangs keeps that thread, not the probe.
_resolver = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="dns")


class DeadlineBackend(NetworkBackend):
    """Wraps a backend so that each operation of each stream ends by ``deadline_at``
    (a ``time.perf_counter()`` instant)."""

    def __init__(self, inner: NetworkBackend, deadline_at: float) -> None:
        self._inner = inner
        self._deadline_at = deadline_at

    def remaining(self, timeout_class: type[httpcore.TimeoutException]) -> float:
        """Seconds left, or ``timeout_class`` raised once there are none."""
        left = self._deadline_at - time.perf_counter()
        if left <= 0:
            raise timeout_class("the probe's deadline passed")
        return left

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> NetworkStream:
        stream = self._inner.connect_tcp(
            host,
            port,
            timeout=self.remaining(httpcore.ConnectTimeout),
            local_address=local_address,
            socket_options=socket_options,
        )
        return _DeadlineStream(stream, self)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> NetworkStream:
        raise httpcore.UnsupportedProtocol("callbacks are called over TCP only")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineStream(NetworkStream):
    def __init__(self, inner: NetworkStream, backend: DeadlineBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, timeout=self._backend.remaining(httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # CPython bounds a whole sendall (and a whole TLS handshake) by the socket timeout.
        self._inner.write(buffer, timeout=self._backend.remaining(httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> NetworkStream:
        tls = self._inner.start_tls(
            ssl_context,
            server_hostname=server_hostname,
            timeout=self._backend.remaining(httpcore.ConnectTimeout),
        )
        return _DeadlineStream(tls, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class ResolvingBackend(httpcore.SyncBackend):
    """The real network, with name resolution bounded by the connect timeout."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> NetworkStream:
        addresses = [host] if _is_ip_literal(host) else _resolve(host, port, timeout)
        started = time.perf_counter()
        last_error: httpcore.ConnectError | None = None
        for address in addresses:
            left = None if timeout is None else timeout - (time.perf_counter() - started)
            if left is not None and left <= 0:
                break
            try:
                return super().connect_tcp(address, port, left, local_address, socket_options)
            except httpcore.ConnectError as error:  # try the host's next address
                last_error = error
        if last_error is not None:
            raise last_error
        raise httpcore.ConnectTimeout(f"could not connect to {host} in time")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    lookup = _resolver.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        found = lookup.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise httpcore.ConnectTimeout(f"{host} did not resolve in time") from None
    # Each distinct address once, in the resolver's order of preference.
    return list(dict.fromkeys(str(info[4][0]) for info in found))
