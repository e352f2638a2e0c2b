"""SIGKILL right after a refresh, restart on the same database: the user keeps working, because
the rotated refresh token was committed before the new access token was served."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from examples.reference_callback.credentials import callback_url, hash_secret, new_secret
from examples.reference_callback.store import TokenStore
from recall_sim.simulator.testing import RunningSimulator, running_simulator
from recall_sim.simulator.zoom import ZoomSettings
from tests.examples.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
# expires_in 124: a fresh token is servable (>= 122 s left) for about 2 s, then every call
# must wait for a refresh, so the answer that follows a sleep is always a refreshed token.
LIFETIME = 125
SERVABLE_FOR = 2.0


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(zoom_settings=ZoomSettings(access_token_lifetime=LIFETIME)) as running:
        yield running


class ReferenceProcess:
    """``python -m examples.reference_callback`` as a subprocess, started and killed at will."""

    def __init__(self, sim: RunningSimulator, database: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = database
        app = sim.zoom.default_app
        self.env = {
            **os.environ,
            "ZOOM_CLIENT_ID": app.client_id,
            "ZOOM_CLIENT_SECRET": app.client_secret,
            "ZOOM_OAUTH_BASE": sim.zoom_oauth_base,
            "ZOOM_API_BASE": sim.zoom_api_base,
            "CALLBACK_PUBLIC_BASE_URL": self.url,
            "CALLBACK_DATABASE_PATH": str(database),
            "CALLBACK_PORT": str(self.port),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 15.0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "examples.reference_callback", "--log-level", "warning"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the reference exited during startup"
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1, trust_env=False).text == "ok":
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError(f"the reference did not answer /healthz within {timeout} s")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture
def reference(sim: RunningSimulator, tmp_path: Path) -> Iterator[ReferenceProcess]:
    process = ReferenceProcess(sim, tmp_path / "reference.sqlite3")
    yield process
    process.kill()


def connect(base: str, sim_user: str) -> str:
    with httpx.Client(timeout=10, trust_env=False) as browser:
        start = browser.get(f"{base}/zoom/connect")
        consent = browser.get(start.headers["location"] + f"&sim_user={sim_user}")
        back = browser.get(consent.headers["location"])
    assert back.status_code == 200, back.text
    return back.text.split("Zoom connected for user ", 1)[1].split(".", 1)[0]


def test_sigkill_right_after_a_refresh_loses_nothing(
    sim: RunningSimulator, reference: ReferenceProcess
):
    reference.start()
    user_id = connect(reference.url, "alice@example.com")
    secret = new_secret()
    store = TokenStore(reference.database)
    store.begin_secret(user_id, hash_secret(secret))
    store.commit_secret(user_id, hash_secret(secret), None)
    store.close()
    url = callback_url(f"{reference.url}/zoom/access-token", user_id, secret)

    time.sleep(SERVABLE_FOR + 0.5)
    seq = sim.zoom.journal_seq
    refreshed = httpx.get(url, timeout=10, trust_env=False)
    reference.kill()  # at once: the answer has just arrived
    assert refreshed.status_code == 200
    [refresh] = sim.zoom.journal(kind="refresh", outcome="ok", since=seq)

    reference.start()
    time.sleep(SERVABLE_FOR + 0.5)
    after = httpx.get(url, timeout=10, trust_env=False)
    assert after.status_code == 200, after.text
    assert after.text != refreshed.text
    later = sim.zoom.journal(kind="refresh", since=refresh.seq)
    assert [(e.outcome.value, e.user_id) for e in later] == [("ok", user_id)]
    assert sim.zoom.refresh_token_reuses() == []
