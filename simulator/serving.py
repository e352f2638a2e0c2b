"""Run an ASGI app with uvicorn in a background thread on 127.0.0.1 (port 0 by default).

This is how the simulator runs in-process for tests (the moto pattern) and how the
test suite starts its deliberately broken callbacks over real sockets.
`serve_together` runs several uvicorn servers in one event loop of the calling (main)
thread, as ``recall-sim serve`` does with ``--zoom-port``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from types import FrameType, TracebackType
from typing import Any

import uvicorn

__all__ = ["ThreadedServer", "serve_together"]

# What uvicorn handles itself: Ctrl-C and `kill`.
_HANDLED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _SharedSignals(uvicorn.Server):
    """A server that leaves signals to `serve_together`, which stops every server at once.

    Each `uvicorn.Server.serve` installs its own handlers, so with two in one loop the
    last one installed would be the only one told to stop.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def serve_together(listeners: Sequence[tuple[uvicorn.Config, socket.socket]]) -> None:
    """Serve each config on its (bound, listening) socket, in one event loop, until stopped.

    Ctrl-C or SIGTERM asks every server to shut down gracefully (a second Ctrl-C forces
    it), as uvicorn does for one; when any server ends, the others are stopped too.
    Once all are down, a captured signal is raised again with the original handlers
    back, so Ctrl-C ends in `KeyboardInterrupt` exactly as with `uvicorn.Server.run`.
    """
    servers = [_SharedSignals(config) for config, _ in listeners]
    captured: list[int] = []

    def handle_exit(sig: int, frame: FrameType | None) -> None:
        captured.append(sig)
        for server in servers:
            server.handle_exit(sig, frame)

    async def serve_one(server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            for other in servers:
                other.should_exit = True

    async def serve_all() -> None:
        await asyncio.gather(
            *(serve_one(server, sock) for server, (_, sock) in zip(servers, listeners, strict=True))
        )

    in_main_thread = threading.current_thread() is threading.main_thread()
    original = (
        {sig: signal.signal(sig, handle_exit) for sig in _HANDLED_SIGNALS} if in_main_thread else {}
    )
    try:
        asyncio.run(serve_all())
    finally:
        for sig, handler in original.items():
            signal.signal(sig, handler)
    for captured_signal in reversed(captured):
        signal.raise_signal(captured_signal)


class ThreadedServer:
    """A uvicorn server in a daemon thread; a context manager that starts and stops it.

    The socket is bound before the thread starts, so ``url`` is known at once and
    port 0 never races with another test.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        **uvicorn_options: Any,
    ) -> None:
        # IPPROTO_TCP (not 0) lets asyncio set TCP_NODELAY on accepted connections;
        # without it Nagle adds ~40 ms to every keep-alive request.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level=log_level,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=1,
            **uvicorn_options,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"uvicorn:{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def start(self, *, timeout: float = 10.0) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"server on {self.url} exited during startup")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start within {timeout} s")
            time.sleep(0.01)
        return self

    def stop(self, *, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
