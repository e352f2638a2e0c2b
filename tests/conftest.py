"""Shared fixtures: the deliberately broken callback server, over real sockets."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from recall_sim.simulator.serving import ThreadedServer
from tests.support.callbacks import build_callback_app
from tests.support.chromium import SCRIPT
from tests.support.flawed_callback import FlawedCallback

settings.register_profile(
    "ci", derandomize=True, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def callback_server() -> Iterator[ThreadedServer]:
    """The gallery callback server on 127.0.0.1, port 0, for the whole session."""
    with ThreadedServer(build_callback_app()) as server:
        yield server


@pytest.fixture
def serve_flawed() -> Iterator[Callable[..., str]]:
    """Start a FlawedCallback with the given flaw; returns its base URL."""
    servers: list[ThreadedServer] = []

    def start(flaw: str | None = None, **options: Any) -> str:
        server = ThreadedServer(FlawedCallback(flaw, **options).app())
        servers.append(server.start())
        return server.url

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> str:
    path: str | None = SCRIPT.chromium()
    if path is None:
        message = "headless Chromium is not installed (apt-get install chromium; .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
