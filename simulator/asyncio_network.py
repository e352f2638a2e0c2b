"""An httpcore async network backend on plain asyncio streams.

httpcore's default async backend goes through anyio; for the prober's one short GET per
fresh connection that layer costs more than the HTTP itself (measured in
``benchmarks/poller_throughput.py``). Timeouts are not handled here: the prober runs the
whole exchange inside one ``asyncio.timeout``, which also cancels a pending DNS lookup.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore

from simulator.deadline_network import SocketOption

__all__ = ["AsyncioBackend"]

_EXTRA_INFO = {"client_addr": "sockname", "server_addr": "peername"}


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = None if local_address is None else (local_address, 0)
        # asyncio resolves the name off the loop and tries each address; TCP_NODELAY is its
        # default for TCP sockets.
        reader, writer = await asyncio.open_connection(host, port, local_addr=local)
        return _AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.UnsupportedProtocol("callbacks are called over TCP only")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._writer.write(buffer)
        await self._writer.drain()

    async def aclose(self) -> None:
        # Not waiting for the close handshake: a peer that never finishes it must not hold
        # the prober past its deadline.
        self._writer.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return False  # never asked: the prober keeps no connection alive between calls
        return self._writer.get_extra_info(_EXTRA_INFO.get(info, info))
