"""Recall-managed OAuth end to end, through the public HTTP APIs only.

`DocsClient` is written from Recall's guide to Recall-managed OAuth and knows nothing of
recall-sim: it registers the Zoom app with Recall, sends the user to Zoom's authorize
URL (with PKCE), hands the code from the redirect to Recall, and asks Recall for the
user's token. Against the real services it would be given ``https://zoom.us`` and
Recall's region URL; here those base URLs are the simulator's.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest

from recall_sim.simulator.app import Simulator
from recall_sim.simulator.recall.recall_managed import REFRESH_WHEN_LEFT_S
from recall_sim.simulator.testing import RunningSimulator, running_simulator
from recall_sim.simulator.zoom import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from recall_sim.simulator.zoom_jwt import decode_zoom_token

REDIRECT_URI = "https://app.example/zoom/oauth-callback"
MIN_VALIDITY_S = 120


@dataclass
class DocsClient:
    """An integration of Recall-managed OAuth, as Recall's docs describe it."""

    recall_api: str  # https://us-east-1.recall.ai/api/v2
    api_key: str
    zoom_host: str  # https://zoom.us
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=15, trust_env=False))
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    def _recall(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Token {self.api_key}"}
        return self.http.request(method, f"{self.recall_api}/{path}", headers=headers, **kwargs)

    def register_app(self) -> str:
        response = self._recall(
            "POST",
            "zoom-oauth-apps/",
            json={
                "kind": "user_level",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "webhook_secret": "whsec-unused-here",
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def authorize_url(self, state: str) -> str:
        challenge = hashlib.sha256(self.verifier.encode()).digest()
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI,
            "state": state,
            "code_challenge": base64.urlsafe_b64encode(challenge).rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        return urljoin(self.zoom_host, "/oauth/authorize") + "?" + urlencode(query)

    def consent(self, url: str) -> str:
        """The user's browser: Zoom consents and redirects back with the code."""
        response = self.http.get(url, follow_redirects=False)
        assert response.status_code == 302, response.text
        return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]

    def create_credential(
        self, app_id: str, code: str, overrides: dict[str, str] | None = None
    ) -> httpx.Response:
        authorization = {"code": code, "redirect_uri": REDIRECT_URI, "code_verifier": self.verifier}
        authorization.update(overrides or {})
        return self._recall(
            "POST",
            "zoom-oauth-credentials/",
            json={"oauth_app": app_id, "authorization_code": authorization},
        )

    def credential(self, credential_id: str) -> dict[str, Any]:
        response = self._recall("GET", f"zoom-oauth-credentials/{credential_id}/")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def access_token(self, credential_id: str) -> httpx.Response:
        return self._recall("GET", f"zoom-oauth-credentials/{credential_id}/access-token/")

    def logs(self, credential_id: str) -> list[str]:
        response = self._recall(
            "GET", "zoom-oauth-credential-logs/", params={"credential": credential_id}
        )
        return [entry["message"] for entry in response.json()["results"]]


@pytest.fixture
def served() -> Iterator[RunningSimulator]:
    with running_simulator(zoom_paths=True) as running:
        yield running


@pytest.fixture
def client(served: RunningSimulator) -> Iterator[DocsClient]:
    assert served.zoom_base_url is not None
    docs = DocsClient(
        recall_api=served.recall_api_base,
        api_key=served.recall.settings.api_key,
        zoom_host=served.zoom_base_url,
    )
    yield docs
    docs.http.close()


def _control(served: RunningSimulator, path: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.post(
        f"{served.control_url}/{path}", json=body or {}, headers=served.control_headers
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def _new_user(served: RunningSimulator, email: str) -> str:
    user_id: str = _control(served, "zoom/users", {"email": email})["id"]
    return user_id


def _connect(client: DocsClient, app_id: str, user_id: str) -> httpx.Response:
    url = client.authorize_url(state="s1") + "&" + urlencode({"sim_user": user_id})
    return client.create_credential(app_id, client.consent(url))


def test_authorize_create_token_deauthorize_unhealthy(
    served: RunningSimulator, client: DocsClient
) -> None:
    app_id = client.register_app()
    user_id = _new_user(served, "ada@example.com")

    created = _connect(client, app_id, user_id)

    assert created.status_code == 201, created.text
    credential = created.json()
    assert credential["status"] == "healthy"
    assert credential["user_id"] == user_id
    assert credential["access_token_callback_url"] is None
    token = client.access_token(credential["id"])
    assert token.status_code == 200, token.text
    claims = decode_zoom_token(token.json()["token"])
    assert claims.user_id == user_id
    assert claims.exp - served.clock.now() >= MIN_VALIDITY_S
    assert served.zoom.token_status(token.json()["token"]).live

    # The user removes the app in Zoom; the token runs low and Recall's refresh fails.
    _control(served, f"zoom/users/{user_id}/deauthorize")
    served.clock.advance(claims.exp - served.clock.now() - REFRESH_WHEN_LEFT_S + 1)
    refused = client.access_token(credential["id"])

    assert refused.status_code == 400
    assert "invalid_grant" in refused.json()["detail"]
    assert client.credential(credential["id"])["status"] == "unhealthy"
    logs = client.logs(credential["id"])
    assert any("invalid_grant" in m and "re-authorize the user" in m for m in logs), logs
    assert any(m.startswith("Credential marked unhealthy") for m in logs), logs
    again = client.access_token(credential["id"])
    assert again.status_code == 400 and "authorize the user again" in again.json()["detail"]


def test_reauthorizing_the_user_updates_the_same_credential_and_heals_it(
    served: RunningSimulator, client: DocsClient
) -> None:
    app_id = client.register_app()
    user_id = _new_user(served, "grace@example.com")
    first = _connect(client, app_id, user_id).json()
    _control(served, f"zoom/users/{user_id}/deauthorize")
    validate = client._recall("POST", f"zoom-oauth-credentials/{first['id']}/validate/")
    assert validate.status_code == 400, validate.text
    assert client.credential(first["id"])["status"] == "unhealthy"

    second = _connect(client, app_id, user_id)

    assert second.status_code == 201, second.text
    assert second.json()["id"] == first["id"]
    assert client.credential(first["id"])["status"] == "healthy"
    token = client.access_token(first["id"])
    assert token.status_code == 200
    assert served.zoom.token_status(token.json()["token"]).live


def test_recall_refreshes_before_expiry_rotating_the_refresh_token(
    served: RunningSimulator, client: DocsClient
) -> None:
    app_id = client.register_app()
    credential = _connect(client, app_id, _new_user(served, "lin@example.com")).json()
    first = client.access_token(credential["id"]).json()
    exp = decode_zoom_token(first["token"]).exp

    tokens = [first["token"]]
    for _ in range(2):
        served.clock.advance(exp - served.clock.now() - 60)  # a minute left
        answer = client.access_token(credential["id"]).json()
        exp = decode_zoom_token(answer["token"]).exp
        assert exp - served.clock.now() >= REFRESH_WHEN_LEFT_S
        tokens.append(answer["token"])

    assert len(set(tokens)) == 3
    assert served.zoom.refresh_token_reuses() == []
    assert client.credential(credential["id"])["status"] == "healthy"


def test_concurrent_access_token_calls_spend_the_refresh_token_once() -> None:
    sim = Simulator.create()
    app = sim.recall.create_app(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    redirect = sim.zoom.authorize(client_id=DEFAULT_CLIENT_ID, redirect_uri=REDIRECT_URI)
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    created = sim.recall.create_managed_credential(
        oauth_app=app.id, code=code, redirect_uri=REDIRECT_URI
    )
    exp = sim.recall.access_token(created.credential.id).expires_at
    sim.clock.advance(exp - sim.clock.now() - 30)

    async def burst() -> list[str]:
        calls = [sim.recall.aaccess_token(created.credential.id) for _ in range(8)]
        return [answer.token for answer in await asyncio.gather(*calls)]

    tokens = asyncio.run(burst())

    assert len(set(tokens)) == 1
    assert sim.zoom.refresh_token_reuses() == []
    assert sim.recall.get_credential(created.credential.id).status.value == "healthy"


@pytest.mark.parametrize(
    ("overrides", "zoom_error"),
    [
        ({"code": "not-a-code"}, "invalid_grant"),
        ({"redirect_uri": "https://app.example/elsewhere"}, "invalid_request"),
        ({"code_verifier": "the-wrong-verifier-" + "x" * 30}, "invalid_grant"),
    ],
    ids=["bad-code", "redirect-mismatch", "pkce-mismatch"],
)
def test_a_code_zoom_refuses_answers_400_naming_zooms_error_and_stores_nothing(
    served: RunningSimulator, client: DocsClient, overrides: dict[str, str], zoom_error: str
) -> None:
    app_id = client.register_app()
    code = client.consent(client.authorize_url(state="s"))

    refused = client.create_credential(app_id, code, overrides)

    assert refused.status_code == 400
    detail = refused.json()["detail"]
    assert detail.startswith("Zoom refused the authorization code:")
    assert zoom_error in detail
    listed = client._recall("GET", "zoom-oauth-credentials/").json()
    assert listed["results"] == []


def test_a_used_code_is_refused(served: RunningSimulator, client: DocsClient) -> None:
    app_id = client.register_app()
    code = client.consent(client.authorize_url(state="s"))
    assert client.create_credential(app_id, code).status_code == 201

    reused = client.create_credential(app_id, code)

    assert reused.status_code == 400
    assert "invalid_grant" in reused.json()["detail"]


def test_an_expired_code_is_refused(served: RunningSimulator, client: DocsClient) -> None:
    app_id = client.register_app()
    code = client.consent(client.authorize_url(state="s"))
    served.clock.advance(5 * 60 + 1)  # codes live five minutes

    expired = client.create_credential(app_id, code)

    assert expired.status_code == 400
    assert "invalid_grant" in expired.json()["detail"]


@pytest.mark.parametrize(
    ("authorization_code", "errors"),
    [
        ("a-string", {"authorization_code": ["Invalid data. Expected a dictionary, but got str."]}),
        (
            {"redirect_uri": REDIRECT_URI},
            {"authorization_code": {"code": ["This field is required."]}},
        ),
        (
            {"code": "c", "redirect_uri": ""},
            {"authorization_code": {"redirect_uri": ["This field may not be blank."]}},
        ),
    ],
    ids=["not-an-object", "no-code", "blank-redirect"],
)
def test_a_malformed_authorization_code_gets_field_errors(
    client: DocsClient, authorization_code: object, errors: dict[str, Any]
) -> None:
    app_id = client.register_app()

    response = client._recall(
        "POST",
        "zoom-oauth-credentials/",
        json={"oauth_app": app_id, "authorization_code": authorization_code},
    )

    assert response.status_code == 400
    assert response.json() == errors


def test_the_secret_is_never_in_a_refusal(served: RunningSimulator, client: DocsClient) -> None:
    client.client_secret = "the-wrong-secret-" + secrets.token_hex(8)
    app_id = client.register_app()
    code = client.consent(client.authorize_url(state="s"))

    refused = client.create_credential(app_id, code)

    assert refused.status_code == 400
    assert "invalid_client" in refused.json()["detail"]
    assert client.client_secret not in refused.text
    app_logs = client._recall("GET", "zoom-oauth-app-logs/", params={"oauth_app": app_id})
    assert "invalid_client" in app_logs.text and client.client_secret not in app_logs.text


def _managed(sim: Simulator, user: str | None = None) -> tuple[uuid.UUID, float]:
    """A Recall-managed credential made in Python; its id and its token's expiry."""
    app = sim.recall.create_app(client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET)
    redirect = sim.zoom.authorize(client_id=DEFAULT_CLIENT_ID, redirect_uri=REDIRECT_URI, user=user)
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    created = sim.recall.create_managed_credential(
        oauth_app=app.id, code=code, redirect_uri=REDIRECT_URI
    )
    return created.credential.id, sim.recall.access_token(created.credential.id).expires_at


def test_a_poll_refreshes_only_when_the_token_runs_low() -> None:
    sim = Simulator.create()
    credential_id, exp = _managed(sim)
    before = sim.recall.store.get_tokens(credential_id)

    sim.recall.poll_now([credential_id])
    unchanged = sim.recall.store.get_tokens(credential_id)
    sim.clock.advance(exp - sim.clock.now() - REFRESH_WHEN_LEFT_S + 1)
    round_ = sim.recall.poll_now([credential_id])
    refreshed = sim.recall.store.get_tokens(credential_id)

    assert before == unchanged
    assert round_.accepted == 1
    assert refreshed is not None and before is not None
    assert refreshed.refresh_token != before.refresh_token
    assert refreshed.expires_at > exp


def test_the_poll_after_a_deauthorization_marks_the_credential_unhealthy() -> None:
    sim = Simulator.create()
    credential_id, exp = _managed(sim)
    user_id = sim.recall.get_credential(credential_id).user_id
    assert user_id is not None
    sim.zoom.deauthorize_user(user_id)

    sim.clock.advance(exp - sim.clock.now() - REFRESH_WHEN_LEFT_S + 1)
    round_ = sim.recall.poll_now()

    assert round_.rejected == 1
    assert sim.recall.get_credential(credential_id).status.value == "unhealthy"
    messages = [log.message for log in sim.recall.credential_logs().items]
    assert any("Zoom answered invalid_grant" in m and "(poll)" in m for m in messages), messages
    assert sim.recall.poll_now().polled == 0  # disabled, like an unhealthy callback


def test_tokens_survive_a_restart_with_a_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    sim = Simulator.create(state_path=state)
    credential_id, _ = _managed(sim)
    kept = sim.recall.store.get_tokens(credential_id)
    sim.recall.close()

    again = Simulator.create(state_path=state)

    assert again.recall.store.get_tokens(credential_id) == kept
    assert again.recall.get_credential(credential_id).recall_managed
    again.recall.close()


def test_the_tokens_never_show_in_a_repr() -> None:
    sim = Simulator.create()
    credential_id, _ = _managed(sim)
    tokens = sim.recall.store.get_tokens(credential_id)
    assert tokens is not None
    assert tokens.access_token not in repr(tokens)
    assert tokens.refresh_token not in repr(tokens)


def test_a_recall_managed_credential_syncs_its_meetings_with_the_stored_token(
    served: RunningSimulator, client: DocsClient
) -> None:
    app_id = client.register_app()
    user_id = _new_user(served, "mei@example.com")
    meeting = served.zoom.add_meeting(user_id, topic="Planning")
    credential = _connect(client, app_id, user_id).json()

    synced = client._recall("POST", f"zoom-oauth-credentials/{credential['id']}/sync-meetings/")
    mapped = client._recall(
        "GET", "zoom-meetings-to-credentials/", params={"credential": credential["id"]}
    ).json()["results"]

    assert synced.status_code == 200, synced.text
    assert synced.json()["meeting_sync_status"] == "completed"
    assert {m["meeting_id"] for m in mapped} == {meeting.id, served.zoom.user(user_id).pmi}
    assert served.recall.calls(credential=credential["id"]) == []  # no callback to call
