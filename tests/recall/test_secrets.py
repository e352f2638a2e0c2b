"""SPEC §5: the API key, callback URL secrets and tokens never appear whole in logs, the
journal, error messages or control answers. (The credential resource itself returns its
``access_token_callback_url`` as Recall does, and ``access-token/`` returns the token: those
are the API's job.)"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from recall_sim.simulator.recall import FakeRecall
from recall_sim.simulator.redaction import JWT_PATTERN
from recall_sim.simulator.serving import ThreadedServer
from tests.recall.conftest import API_KEY
from tests.recall.support import Callbacks, Mode

URL_SECRET = "s3cr3t-"


def test_no_output_but_the_credential_resource_shows_a_secret_or_token(
    api: httpx.Client,
    control: httpx.Client,
    fake: FakeRecall,
    app_id: str,
    callbacks: Callbacks,
    callback_url: Callable[[str], str],
    callback_server: ThreadedServer,
) -> None:
    outputs: list[str] = []
    secret_url = callback_server.url + "/json?auth_token=s3cr3t-json-value&sig=s3cr3t-sig"
    # Rejections: a JSON body holding the token, an expiring token, a redirect.
    for url in (
        secret_url,
        callback_server.url + "/good?validity=60&token=s3cr3t-short",
        callback_server.url + "/redirect?key=s3cr3t-redirect",
    ):
        response = api.post(
            "/zoom-oauth-credentials/", json={"oauth_app": app_id, "access_token_callback_url": url}
        )
        assert response.status_code == 400
        outputs.append(response.text)
    created = api.post(
        "/zoom-oauth-credentials/",
        json={"oauth_app": app_id, "access_token_callback_url": callback_url("mia")},
    ).json()
    callbacks.set("mia", Mode.EXPIRING)
    for _ in range(3):
        control.post("/poll")
    outputs.append(api.get(f"/zoom-oauth-credentials/{created['id']}/access-token/").text)
    outputs.append(api.post(f"/zoom-oauth-credentials/{created['id']}/validate/").text)
    outputs.append(api.get("/zoom-oauth-app-logs/").text)
    outputs.append(api.get("/zoom-oauth-credential-logs/").text)
    outputs.append(control.get("/journal").text)
    outputs.append(control.get("/settings").text)
    outputs.append(control.get("/state").text)
    outputs.append(control.get(f"/credentials/{created['id']}").text)
    outputs.append(json.dumps([r.to_json() for r in fake.calls()], ensure_ascii=False))

    everything = "\n".join(outputs)
    assert URL_SECRET not in everything
    assert API_KEY not in everything
    assert JWT_PATTERN.search(everything) is None, JWT_PATTERN.search(everything)
    # And the messages still say what happened.
    assert "(contract.plain-token-body)" in everything
    assert "(contract.min-validity-120s)" in everything
    assert "(contract.no-redirect)" in everything
    assert "auth_token=***" in everything
