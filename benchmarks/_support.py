"""Shared by the benchmark scripts: a fixed-JWT callback served by uvicorn in a subprocess
(so the server never competes for the measuring process's GIL), and a free port."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def served(app: str, *, env_extra: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``uvicorn <app>`` on 127.0.0.1 in a subprocess; yield its base URL."""
    with served_process(app, env_extra=env_extra) as (url, _):
        yield url


@contextlib.contextmanager
def served_process(
    app: str, *, env_extra: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """:func:`served`, also yielding the server's process id (to read its CPU time)."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=str(_root()))
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/health", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{app} did not start on {url}") from None
                time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()


def _root() -> object:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent
