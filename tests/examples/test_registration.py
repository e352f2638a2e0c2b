"""Connecting a user registers their callback with Recall (the fake Recall validates it at once),
with a per-user secret of which only the hash is kept."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.recall.api import build_recall_app
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.signing import signature_headers
from recall_sim.simulator.testing import RunningSimulator
from tests.examples.conftest import WHSEC, Reference, StartReference

API_KEY = "feedfacefeedfacefeedfacefeedfacefeedface"


@pytest.fixture
def recall() -> Iterator[ThreadedServer]:
    fake = FakeRecall(
        settings=RecallSettings(api_key=API_KEY, poll_interval=0, verification_secret=WHSEC)
    )
    with ThreadedServer(build_recall_app(fake)) as server:
        yield server
    fake.close()


def credentials(recall: ThreadedServer) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{recall.url}/api/v2/zoom-oauth-credentials/",
        headers={"Authorization": f"Token {API_KEY}"},
        trust_env=False,
    )
    answer.raise_for_status()
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def registering(start_reference: StartReference, recall: ThreadedServer) -> Reference:
    return start_reference(
        recall_api_base=recall.url, recall_api_key=API_KEY, verification_secret=WHSEC
    )


def signed_get(url: str) -> httpx.Response:
    return httpx.get(url, headers=signature_headers(WHSEC, timestamp=time.time()), trust_env=False)


def test_connecting_registers_a_healthy_credential_with_the_users_own_url(
    sim: RunningSimulator, start_reference: StartReference, recall: ThreadedServer
):
    ref = registering(start_reference, recall)
    alice = ref.connect("alice@example.com")
    bob = ref.connect("bob@example.com")
    found = {c["user_id"]: c for c in credentials(recall)}
    assert set(found) == {alice, bob}
    assert {c["status"] for c in found.values()} == {"healthy"}
    urls = {uid: c["access_token_callback_url"] for uid, c in found.items()}
    assert urls[alice].startswith(f"{ref.settings.callback_base}?user-id={alice}&auth_token=")
    assert urls[alice].split("auth_token=")[1] != urls[bob].split("auth_token=")[1]
    assert signed_get(urls[alice]).status_code == 200
    stored = ref.service.store.secrets(alice)
    assert stored is not None and stored.pending_secret_hash is None
    assert stored.recall_credential_id == found[alice]["id"]


def test_reconnecting_rotates_the_secret_and_updates_the_credential(
    sim: RunningSimulator, start_reference: StartReference, recall: ThreadedServer
):
    ref = registering(start_reference, recall)
    alice = ref.connect("alice@example.com")
    [first] = credentials(recall)
    ref.connect("alice@example.com")
    [second] = credentials(recall)
    assert second["id"] == first["id"]
    assert second["user_id"] == alice
    assert second["access_token_callback_url"] != first["access_token_callback_url"]
    assert signed_get(first["access_token_callback_url"]).status_code == 401
    assert signed_get(second["access_token_callback_url"]).status_code == 200


def test_a_callback_recall_refuses_is_reported_and_its_secret_forgotten(
    sim: RunningSimulator, start_reference: StartReference, recall: ThreadedServer
):
    ref = registering(start_reference, recall)
    # Tokens that can never have 120 s left: the callback answers 503, Recall refuses it.
    sim.zoom.configure(access_token_lifetime=121)
    with httpx.Client(timeout=30, trust_env=False) as browser:
        start = browser.get(f"{ref.url}/zoom/connect")
        consent = browser.get(start.headers["location"] + "&sim_user=carol@example.com")
        back = browser.get(consent.headers["location"])
    assert back.status_code == 400
    assert back.text.startswith("Recall did not accept the callback")
    assert "contract.status-2xx" in back.text
    assert "auth_token=***" in back.text or "auth_token" not in back.text
    assert credentials(recall) == []
    user_id = sim.zoom.user("carol@example.com").id  # type: ignore[union-attr]
    stored = ref.service.store.secrets(user_id)
    assert stored is not None
    assert (stored.secret_hash, stored.pending_secret_hash) == (None, None)
