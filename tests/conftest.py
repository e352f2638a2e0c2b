"""Shared fixtures: the deliberately broken callback server, over real sockets."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from simulator.serving import ThreadedServer
from tests.support.callbacks import build_callback_app

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
