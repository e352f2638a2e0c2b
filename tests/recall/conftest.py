"""Fixtures for the fake Recall's tests: a FakeRecall served on 127.0.0.1 port 0, a client
with the workspace key, and a switchable callback server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.recall.api import build_recall_app
from recall_sim.simulator.serving import ThreadedServer
from tests.recall.support import Callbacks
from tests.support.tokens import CLIENT_ID

API_KEY = "0123456789abcdef0123456789abcdef01234567"
# Short enough that a hanging callback costs a test little, long enough for loopback calls.
FAST_DEADLINE = 1.5


@pytest.fixture(scope="session")
def switchboard() -> Iterator[tuple[Callbacks, ThreadedServer]]:
    callbacks = Callbacks()
    with ThreadedServer(callbacks.app()) as server:
        yield callbacks, server


@pytest.fixture
def callbacks(switchboard: tuple[Callbacks, ThreadedServer]) -> Iterator[Callbacks]:
    board, _ = switchboard
    board.reset()
    yield board
    board.reset()


@pytest.fixture
def callback_url(switchboard: tuple[Callbacks, ThreadedServer]) -> Callable[[str], str]:
    """``callback_url("alice")``: the URL of callback ``alice``, with a secret to mask."""
    _, server = switchboard
    return lambda name: f"{server.url}/cb/{name}?user-id={name}&auth_token=s3cr3t-{name}-value"


@pytest.fixture
def settings() -> RecallSettings:
    return RecallSettings(api_key=API_KEY, poll_interval=0, callback_deadline=FAST_DEADLINE)


@pytest.fixture
def fake(settings: RecallSettings) -> Iterator[FakeRecall]:
    recall = FakeRecall(settings=settings)
    yield recall
    recall.close()


@pytest.fixture
def server(fake: FakeRecall) -> Iterator[ThreadedServer]:
    with ThreadedServer(build_recall_app(fake)) as running:
        yield running


@pytest.fixture
def api(server: ThreadedServer) -> Iterator[httpx.Client]:
    """A client of ``/api/v2`` sending ``Authorization: Token <key>``."""
    with httpx.Client(
        base_url=server.url + "/api/v2",
        headers={"Authorization": f"Token {API_KEY}"},
        timeout=20,
    ) as client:
        yield client


@pytest.fixture
def control(server: ThreadedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + "/_sim/recall", timeout=30) as client:
        yield client


@pytest.fixture
def app_id(api: httpx.Client) -> str:
    """A user-level app whose client id matches the callbacks' tokens."""
    response = api.post(
        "/zoom-oauth-apps/",
        json={
            "kind": "user_level",
            "client_id": CLIENT_ID,
            "client_secret": "dummy",
            "webhook_secret": "dummy",
        },
    )
    assert response.status_code == 201, response.text
    app: str = response.json()["id"]
    return app
