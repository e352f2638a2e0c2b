"""Fixtures for the fake Zoom's tests: a frozen clock, a FakeZoom, its app in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

# The plugin's fixtures, imported so they work where recall-sim is not pip-installed
# (where it is, the pytest11 entry point registers the same functions).
from recall_sim.conformance.plugin import recall_sim, recall_sim_server
from recall_sim.simulator.app import Simulator, build_app
from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.zoom import FakeZoom

__all__ = ["recall_sim", "recall_sim_server"]

START = 1_800_000_000.0


@pytest.fixture
def clock() -> VirtualClock:
    """Frozen, so lifetimes and expiry can be asserted to the second."""
    return VirtualClock(start=START, frozen=True)


@pytest.fixture
def zoom(clock: VirtualClock) -> FakeZoom:
    return FakeZoom(clock=clock)


@pytest.fixture
def client(zoom: FakeZoom) -> Iterator[TestClient]:
    """The whole simulator app in-process (no sockets), around ``zoom``."""
    # A loopback base URL: the control guard refuses TestClient's default Host, "testserver".
    app = build_app(Simulator(clock=zoom.clock, zoom=zoom))
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client
