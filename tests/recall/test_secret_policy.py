"""The fake Recall masks the callback URL parts named at start (``serve --secret-param`` /
``--secret-path-segment``) in every output: 400 details, app and credential logs, the
journal in memory and in its file. The policy cannot be changed over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.redaction import SecretPolicy
from recall_sim.simulator.serving import ThreadedServer
from tests.recall.conftest import API_KEY, FAST_DEADLINE
from tests.recall.support import Callbacks, Mode
from tests.support.raw_echo import raw_echo_server

QUERY_SECRET = "qu3ry-Secret-under-code-0001"
SEGMENT_SECRET = "s3gment-Secret-in-path-0002"
POLICY = SecretPolicy(params=("code",), path_segments=(-1,))


@pytest.fixture
def journal_file(tmp_path: Path) -> Path:
    return tmp_path / "calls.jsonl"


@pytest.fixture
def settings(journal_file: Path) -> RecallSettings:
    """Overrides the package's fixture: the policy and a journal file, fixed at start."""
    return RecallSettings(
        api_key=API_KEY,
        poll_interval=0,
        callback_deadline=FAST_DEADLINE,
        journal_path=str(journal_file),
        url_secrets=POLICY,
    )


@pytest.fixture
def redirecting_server() -> Iterator[str]:
    """Redirects to the same query on another host, as an http->https hop would."""

    async def endpoint(request: Request) -> Response:
        return RedirectResponse(f"https://elsewhere.example/cb?{request.url.query}", 301)

    with ThreadedServer(Starlette(routes=[Route("/r/{rest:path}", endpoint)])) as server:
        yield server.url


def test_every_output_masks_the_named_parts(
    api: httpx.Client,
    control: httpx.Client,
    fake: FakeRecall,
    app_id: str,
    callbacks: Callbacks,
    switchboard: tuple[Callbacks, ThreadedServer],
    redirecting_server: str,
    journal_file: Path,
) -> None:
    _, server = switchboard
    by_query = f"{server.url}/cb/amy?user-id=amy&code={QUERY_SECRET}"
    by_segment = f"{server.url}/cb/{SEGMENT_SECRET}?user-id=bob"
    echoed = f"{redirecting_server}/r/x?user-id=cy&code={QUERY_SECRET}"
    outputs: list[str] = []

    # A create that fails: the 400 detail and the app log; the redirect echoes the secret.
    callbacks.set("amy", Mode.ERROR)
    for url in (by_query, echoed):
        response = api.post(
            "/zoom-oauth-credentials/", json={"oauth_app": app_id, "access_token_callback_url": url}
        )
        assert response.status_code == 400
        outputs.append(response.text)
    # Credentials whose polls fail: the credential logs and the journal.
    callbacks.set("amy", Mode.GOOD)
    ids = []
    for url in (by_query, by_segment):
        created = api.post(
            "/zoom-oauth-credentials/", json={"oauth_app": app_id, "access_token_callback_url": url}
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    callbacks.set("amy", Mode.ERROR)
    callbacks.set(SEGMENT_SECRET, Mode.EXPIRING)
    assert control.post("/poll").status_code == 200
    for credential in ids:
        outputs.append(api.post(f"/zoom-oauth-credentials/{credential}/validate/").text)
    outputs.append(api.get("/zoom-oauth-app-logs/").text)
    credential_logs = api.get("/zoom-oauth-credential-logs/").text
    outputs.append(credential_logs)
    journal = control.get("/journal").json()
    outputs.append(json.dumps(journal))
    outputs.append(json.dumps([r.to_json() for r in fake.calls()]))
    outputs.append(journal_file.read_text(encoding="utf-8"))

    everything = "\n".join(outputs)
    assert QUERY_SECRET not in everything
    assert SEGMENT_SECRET not in everything
    # Masked where they were, and the messages still say what happened.
    urls = {call["url"] for call in journal["calls"]}
    assert urls == {
        f"{server.url}/cb/***?user-id=amy&code=***",
        f"{server.url}/cb/***?user-id=bob",
        f"{redirecting_server}/r/***?user-id=cy&code=***",
    }
    assert "(contract.no-redirect)" in everything
    assert "(contract.status-2xx)" in credential_logs
    assert "(contract.min-validity-120s)" in credential_logs
    assert len(journal_file.read_text(encoding="utf-8").splitlines()) == len(journal["calls"])


def test_a_secret_the_answer_echoes_is_hidden_in_the_detail_and_the_journal(
    api: httpx.Client, control: httpx.Client, app_id: str, journal_file: Path
) -> None:
    with raw_echo_server() as base:  # not HTTP: it sends the request line back
        url = f"{base}/e?code={QUERY_SECRET}"
        response = api.post(
            "/zoom-oauth-credentials/", json={"oauth_app": app_id, "access_token_callback_url": url}
        )
    assert response.status_code == 400
    [call] = control.get("/journal").json()["calls"]
    assert "GET /e?code=" in call["error"]  # the echo is shown...
    for output in (response.text, json.dumps(call), journal_file.read_text(encoding="utf-8")):
        assert QUERY_SECRET not in output  # ...without the secret


def test_the_policy_is_shown_and_cannot_be_changed_over_http(
    control: httpx.Client, fake: FakeRecall
) -> None:
    shown = control.get("/settings").json()["url_secrets"]
    assert shown == {"params": ["code"], "path_segments": [-1]}

    response = control.patch("/settings", json={"url_secrets": {"params": []}})

    assert response.status_code == 400
    assert "url_secrets cannot change while the server runs" in response.json()["detail"]
    assert fake.settings.url_secrets == POLICY


def test_a_setting_that_is_not_a_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="url_secrets must be a SecretPolicy"):
        RecallSettings(url_secrets=("code",))  # type: ignore[arg-type]
