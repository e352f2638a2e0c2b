"""How the prober reaches a callback: a TCP (and TLS) connection that sends and receives bytes.

The blocking kind bounds every operation — DNS, connect, TLS handshake, each send and
receive — by the time left until one deadline, so a server that drips its body a byte
a second is still cut at the deadline. The asyncio kind leaves the deadline to the
caller's ``asyncio.timeout``, which also cancels a pending DNS lookup.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

__all__ = [
    "AsyncConnection",
    "AsyncNetwork",
    "DeadlineSocket",
    "connect_before",
    "open_stream",
]

_CHUNK = 65_536

# getaddrinfo cannot be interrupted, so a name is resolved on a helper thread and waited
# for only until the deadline; a resolver that hangs keeps that thread, not the probe.
_resolver = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="dns")


class DeadlineSocket:
    """A connected socket whose sends and receives raise ``TimeoutError`` at the deadline."""

    def __init__(self, sock: socket.socket, deadline_at: float) -> None:
        self._sock = sock
        self._deadline_at = deadline_at

    def send(self, data: bytes) -> None:
        # CPython bounds a whole sendall (and a whole TLS handshake) by the socket timeout.
        self._sock.settimeout(_left(self._deadline_at))
        self._sock.sendall(data)

    def receive(self) -> bytes:
        """The next bytes from the server; ``b""`` once it has closed its side."""
        self._sock.settimeout(_left(self._deadline_at))
        return self._sock.recv(_CHUNK)

    def close(self) -> None:
        self._sock.close()


def connect_before(
    deadline_at: float, host: str, port: int, tls: ssl.SSLContext | None
) -> DeadlineSocket:
    """Resolve, connect and (with ``tls``) shake hands, all before ``deadline_at``
    (a ``time.perf_counter()`` instant); each of the host's addresses is tried in turn."""
    addresses = [host] if _is_ip_literal(host) else _resolve(host, port, _left(deadline_at))
    for address in addresses[:-1]:
        try:
            sock = socket.create_connection((address, port), timeout=_left(deadline_at))
            break
        except TimeoutError:
            raise
        except OSError:
            continue  # refused or unreachable there: try the next address
    else:
        sock = socket.create_connection((addresses[-1], port), timeout=_left(deadline_at))
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            sock.settimeout(_left(deadline_at))
            sock = tls.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise
    return DeadlineSocket(sock, deadline_at)


def _left(deadline_at: float) -> float:
    left = deadline_at - time.perf_counter()
    if left <= 0:
        raise TimeoutError("the probe's deadline passed")
    return left


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    lookup = _resolver.submit(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    try:
        found = lookup.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        raise TimeoutError(f"{host} did not resolve in time") from None
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, f"{host} resolved to no address")
    # Each distinct address once, in the resolver's order of preference.
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class AsyncConnection(Protocol):
    """What the async prober needs of a connection (tests substitute canned answers)."""

    async def send(self, data: bytes) -> None: ...

    async def receive(self) -> bytes: ...

    def close(self) -> None: ...


AsyncNetwork = Callable[[str, int, ssl.SSLContext | None], Awaitable[AsyncConnection]]


class _StreamConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def send(self, data: bytes) -> None:
        self._writer.write(data)
        await self._writer.drain()

    async def receive(self) -> bytes:
        return await self._reader.read(_CHUNK)

    def close(self) -> None:
        # Not waiting for the close handshake: a peer that never finishes it must not hold
        # the prober past its deadline.
        self._writer.close()


async def open_stream(host: str, port: int, tls: ssl.SSLContext | None) -> AsyncConnection:
    """The real network on asyncio streams (name resolution off the loop, each address
    tried in turn, TCP_NODELAY on)."""
    reader, writer = await asyncio.open_connection(
        host, port, ssl=tls, server_hostname=host if tls is not None else None
    )
    return _StreamConnection(reader, writer)
