"""Fixtures for the reference callback: the fake Zoom (and fake Recall) on 127.0.0.1, and the
reference served in a thread with a clock the test can move forward."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from examples.reference_callback import Service, Settings, create_app
from examples.reference_callback.credentials import (
    bot_token_url,
    callback_url,
    hash_secret,
    new_secret,
)
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.testing import RunningSimulator, running_simulator
from recall_sim.simulator.zoom import ZoomSettings

LIFETIME = 130  # the README's recipe: tokens cross Recall's 120 s floor within seconds
WHSEC = "whsec_" + "c2VjcmV0LWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3"


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(zoom_settings=ZoomSettings(access_token_lifetime=LIFETIME)) as running:
        yield running


@dataclass
class Clock:
    """Real time plus an offset: moving it forward makes stored tokens look older."""

    offset: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Reference:
    """The reference served in a thread, with helpers to onboard users and build URLs."""

    settings: Settings
    service: Service
    server: ThreadedServer
    clock: Clock
    users: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def connect(self, sim_user: str) -> str:
        """Run the browser's connect flow as ``sim_user``; return the Zoom user id."""
        with httpx.Client(timeout=10, trust_env=False) as browser:
            start = browser.get(f"{self.url}/zoom/connect")
            assert start.status_code == 302, start.text
            consent = browser.get(start.headers["location"] + f"&sim_user={sim_user}")
            assert consent.status_code == 302, consent.text
            back = browser.get(consent.headers["location"])
        assert back.status_code == 200, back.text
        user_id = back.text.split("Zoom connected for user ", 1)[1].split(".", 1)[0]
        return user_id

    def callback_url(self, user_id: str) -> str:
        """A working callback URL for ``user_id`` (a new secret, as registration would make)."""
        secret = new_secret()
        store = self.service.store
        store.begin_secret(user_id, hash_secret(secret))
        store.commit_secret(user_id, hash_secret(secret), None)
        return callback_url(self.settings.callback_base, user_id, secret)

    def bot_token_url(self, kind: str, user_id: str, meeting_id: str | None = None) -> str:
        """A working OBF (``obf``), ZAK (``zak``) or join-token (``join-token``) URL for
        ``user_id``, with a new secret as `callback_url` makes."""
        return self.bot_token_urls(user_id, meeting_id)[kind]

    def bot_token_urls(self, user_id: str, meeting_id: str | None = None) -> dict[str, str]:
        """The user's three bot token URLs, sharing one new secret (a new secret replaces
        the user's last one, so URLs made one by one would leave only the last working)."""
        secret = new_secret()
        store = self.service.store
        store.begin_secret(user_id, hash_secret(secret))
        store.commit_secret(user_id, hash_secret(secret), None)
        paths = {"obf": "/zoom/obf-token", "zak": "/zoom/zak", "join-token": "/zoom/join-token"}
        return {
            kind: bot_token_url(
                self.url,
                path,
                user_id,
                secret,
                meeting_id=meeting_id if kind == "join-token" else None,
            )
            for kind, path in paths.items()
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def reference_settings(sim: RunningSimulator, database: Path, **changes: object) -> Settings:
    app = sim.zoom.default_app
    values: dict[str, object] = {
        "zoom_client_id": app.client_id,
        "zoom_client_secret": app.client_secret,
        "public_base_url": f"http://127.0.0.1:{free_port()}",
        "zoom_oauth_base": sim.zoom_oauth_base,
        "zoom_api_base": sim.zoom_api_base,
        "database_path": str(database),
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


StartReference = Callable[..., Reference]


@pytest.fixture
def start_reference(sim: RunningSimulator, tmp_path: Path) -> Iterator[StartReference]:
    started: list[ThreadedServer] = []

    def start(**changes: object) -> Reference:
        settings = reference_settings(sim, tmp_path / f"ref{len(started)}.sqlite3", **changes)
        clock = Clock()
        service = Service.build(settings, clock=clock)
        port = int(settings.public_base_url.rsplit(":", 1)[1])
        server = ThreadedServer(create_app(settings, service=service), port=port).start()
        started.append(server)
        return Reference(settings, service, server, clock)

    yield start
    for server in started:
        server.stop()
