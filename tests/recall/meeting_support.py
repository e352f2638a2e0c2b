"""A served simulator with Zoom users whose callback answers tokens the fake Zoom issued, so
the fake Recall's meeting sync has something real to read."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from recall_sim.simulator.app import Simulator, build_app
from recall_sim.simulator.recall import RecallSettings
from recall_sim.simulator.serving import ThreadedServer
from tests.support.refreshing_callback import RefreshingCallback, Tokens

KEY = "meeting-sync-key-0123456789"


def sync_settled(api: httpx.Client, credential_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """The credential (``api``: a client of ``/api/v2``) once the meeting sync a served
    simulator started after its create is over: completed, or failed."""
    deadline = time.monotonic() + timeout
    while True:
        answer = api.get(f"/zoom-oauth-credentials/{credential_id}/")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["meeting_sync_status"] in ("completed", "failed"):
            return body
        assert time.monotonic() < deadline, f"the meeting sync never ended: {body}"
        time.sleep(0.02)


@dataclass
class SyncWorld:
    sim: Simulator
    url: str
    api: httpx.Client
    callback: RefreshingCallback
    callback_url: str
    app_id: str

    def user(self, name: str) -> str:
        """Register a Zoom user and give the callback a fresh grant for them; their id."""
        user = self.sim.zoom.register_user(email=f"{name}@example.com")
        grant = self.sim.zoom.issue_tokens(user_id=user.id)
        self.callback.tokens[user.id] = Tokens(
            grant.access_token, grant.refresh_token, time.time() + grant.expires_in
        )
        return user.id

    def url_for(self, user_id: str) -> str:
        return f"{self.callback_url}?user-id={user_id}"

    def create(self, user_id: str) -> dict[str, Any]:
        """``POST zoom-oauth-credentials/`` for the user; the created credential's JSON."""
        answer = self.api.post(
            "/zoom-oauth-credentials/",
            json={"oauth_app": self.app_id, "access_token_callback_url": self.url_for(user_id)},
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def credential(self, credential_id: str) -> dict[str, Any]:
        answer = self.api.get(f"/zoom-oauth-credentials/{credential_id}/")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def settled(self, credential_id: str) -> dict[str, Any]:
        """The credential once its background sync is over (as a client would poll)."""
        return sync_settled(self.api, credential_id)

    def mappings(self, **params: str) -> dict[str, Any]:
        answer = self.api.get("/zoom-meetings-to-credentials/", params=params)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def logs(self, credential_id: str) -> list[str]:
        answer = self.api.get("/zoom-oauth-credential-logs/", params={"credential": credential_id})
        assert answer.status_code == 200, answer.text
        return [log["message"] for log in answer.json()["results"]]


@contextmanager
def sync_world(*, page_size: int = 50) -> Iterator[SyncWorld]:
    """A served simulator (no rate limits, no polling), its default app registered with the
    fake Recall, and a callback serving fake-Zoom tokens at ``?user-id=<id>``."""
    sim = Simulator.create(
        recall_settings=RecallSettings(
            api_key=KEY, poll_interval=0, rate_limits=False, page_size=page_size
        )
    )
    with ThreadedServer(build_app(sim)) as server:
        app = sim.zoom.default_app
        callback = RefreshingCallback(
            oauth_base=server.url + "/zoom",
            client_id=app.client_id,
            client_secret=app.client_secret,
            tokens={},
        )
        with (
            ThreadedServer(callback.app()) as customer,
            httpx.Client(
                base_url=server.url + "/api/v2",
                headers={"Authorization": f"Token {KEY}"},
                timeout=20,
                trust_env=False,
            ) as api,
        ):
            created = api.post(
                "/zoom-oauth-apps/",
                json={
                    "kind": "user_level",
                    "client_id": app.client_id,
                    "client_secret": "dummy",
                    "webhook_secret": "dummy",
                },
            )
            assert created.status_code == 201, created.text
            yield SyncWorld(
                sim=sim,
                url=server.url,
                api=api,
                callback=callback,
                callback_url=customer.url + "/cb",
                app_id=created.json()["id"],
            )
