"""``zoom-oauth-credentials/``: create calls and judges the callback; uniqueness; tokens."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from recall_sim.simulator.recall import FakeRecall
from recall_sim.simulator.serving import ThreadedServer
from tests.recall.support import Callbacks, Mode, user_for
from tests.support.tokens import ACCOUNT_ID, CLIENT_ID

URL_FIELDS = {
    "id",
    "oauth_app",
    "status",
    "user_id",
    "account_id",
    "access_token_callback_url",
    "created_at",
    "meeting_sync_status",
}


def _credential(api: httpx.Client, app_id: str, url: str) -> httpx.Response:
    return api.post(
        "/zoom-oauth-credentials/", json={"oauth_app": app_id, "access_token_callback_url": url}
    )


def test_create_calls_the_callback_and_fills_the_zoom_user(
    api: httpx.Client, app_id: str, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    response = _credential(api, app_id, callback_url("alice"))
    assert response.status_code == 201, response.text
    credential = response.json()
    assert set(credential) == URL_FIELDS
    assert credential["user_id"] == user_for("alice")
    assert credential["account_id"] is None
    assert credential["status"] == "healthy"
    assert credential["meeting_sync_status"] == "not_started"
    assert credential["access_token_callback_url"] == callback_url("alice")
    assert callbacks.calls("alice") == 1
    assert api.get(f"/zoom-oauth-credentials/{credential['id']}/").json() == credential


def test_account_level_apps_fill_the_account_id(
    api: httpx.Client, callback_url: Callable[[str], str], callbacks: Callbacks
) -> None:
    app = api.post(
        "/zoom-oauth-apps/",
        json={
            "kind": "account_level",
            "client_id": CLIENT_ID,
            "client_secret": "d",
            "webhook_secret": "d",
        },
    ).json()
    credential = _credential(api, app["id"], callback_url("org")).json()
    assert credential["account_id"] == ACCOUNT_ID
    assert credential["user_id"] is None


@pytest.mark.parametrize(
    ("route", "rule"),
    [
        ("/good?validity=98", "contract.min-validity-120s"),
        ("/json", "contract.plain-token-body"),
        ("/status?code=401", "contract.status-2xx"),
        ("/redirect", "contract.no-redirect"),
        ("/refresh-token", "contract.jwt-access-token"),
        ("/wrong-issuer", "contract.issuer-client-id"),
        ("/slow?delay=3", "contract.deadline-5s"),
        ("/drip?seconds=3", "contract.deadline-5s"),
    ],
)
def test_a_failing_callback_gets_400_naming_the_rule_and_nothing_is_stored(
    api: httpx.Client, app_id: str, callback_server: ThreadedServer, route: str, rule: str
) -> None:
    url = callback_server.url + route
    started = time.monotonic()
    response = _credential(api, app_id, url)
    elapsed = time.monotonic() - started
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert f"({rule})" in detail
    assert elapsed < 1.5 + 1.0  # the fixture's callback deadline plus slack
    assert api.get("/zoom-oauth-credentials/").json()["results"] == []
    logs = api.get("/zoom-oauth-app-logs/", params={"oauth_app": app_id}).json()["results"]
    assert len(logs) == 1
    assert rule in logs[0]["message"]


def test_expiring_token_detail_says_what_was_observed(
    api: httpx.Client, app_id: str, callback_server: ThreadedServer
) -> None:
    detail = _credential(api, app_id, callback_server.url + "/good?validity=98").json()["detail"]
    assert "callback token expires in 98 s; Recall requires at least 120 s" in detail
    assert detail.endswith("(contract.min-validity-120s)")


def test_unreachable_callback_is_rejected_quickly(api: httpx.Client, app_id: str) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    detail = _credential(api, app_id, f"http://127.0.0.1:{port}/cb").json()["detail"]
    assert "connection-refused" in detail
    assert "(contract.status-2xx)" in detail


@pytest.mark.slow
def test_the_real_5s_budget_rejects_a_hang_within_about_5_5s(
    api: httpx.Client, app_id: str, callback_server: ThreadedServer, fake: FakeRecall
) -> None:
    fake.configure(callback_deadline=5.0)
    started = time.monotonic()
    response = _credential(api, app_id, callback_server.url + "/slow?delay=30")
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    assert "(contract.deadline-5s)" in response.json()["detail"]
    assert 4.9 < elapsed < 5.5


def test_a_second_create_for_the_same_user_updates_and_returns_the_first(
    api: httpx.Client, app_id: str, callback_url: Callable[[str], str], callbacks: Callbacks
) -> None:
    first = _credential(api, app_id, callback_url("bob")).json()
    callbacks.set("bob-new", Mode.GOOD, user_id=user_for("bob"))
    second = _credential(api, app_id, callback_url("bob-new"))
    assert second.status_code == 201
    assert second.json()["id"] == first["id"]
    assert second.json()["access_token_callback_url"] == callback_url("bob-new")
    assert len(api.get("/zoom-oauth-credentials/").json()["results"]) == 1


def test_the_legacy_policy_answers_the_conflict_400(
    api: httpx.Client,
    app_id: str,
    callback_url: Callable[[str], str],
    callbacks: Callbacks,
    fake: FakeRecall,
) -> None:
    fake.configure(duplicate_credentials="reject")
    _credential(api, app_id, callback_url("carol"))
    callbacks.set("carol-2", Mode.GOOD, user_id=user_for("carol"))
    response = _credential(api, app_id, callback_url("carol-2"))
    assert response.status_code == 400
    body = response.json()
    assert body["conflicting_zoom_user_id"] == user_for("carol")
    assert body["detail"].startswith(
        "A Zoom OAuth Credential already exists for this OAuth App and Zoom "
        f"account(user_id: {user_for('carol')})."
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"oauth_app": ["This field is required."]}),
        (
            {"oauth_app": "nope", "access_token_callback_url": "http://x/"},
            {"oauth_app": ["“nope” is not a valid UUID."]},
        ),
        (
            {"oauth_app": 1.5, "access_token_callback_url": "http://x/"},
            {"oauth_app": ["Incorrect type. Expected pk value, received float."]},
        ),
        (
            {
                "oauth_app": "00000000-0000-4000-8000-000000000000",
                "access_token_callback_url": "http://x/",
            },
            {
                "oauth_app": [
                    'Invalid pk "00000000-0000-4000-8000-000000000000" - object does not exist.'
                ]
            },
        ),
        (
            {"access_token_callback_url": "ftp://example.com/x"},
            {
                "oauth_app": ["This field is required."],
                "access_token_callback_url": ["Enter a valid URL."],
            },
        ),
        (
            {"access_token_callback_url": "https://example.com/" + "x" * 200},
            {
                "oauth_app": ["This field is required."],
                "access_token_callback_url": ["Ensure this field has no more than 200 characters."],
            },
        ),
    ],
)
def test_invalid_credential_bodies_get_field_errors(
    api: httpx.Client, body: dict[str, object], errors: dict[str, list[str]]
) -> None:
    response = api.post("/zoom-oauth-credentials/", json=body)
    assert response.status_code == 400
    assert response.json() == errors


def test_exactly_one_of_callback_url_and_authorization_code(
    api: httpx.Client, app_id: str, callback_url: Callable[[str], str]
) -> None:
    neither = api.post("/zoom-oauth-credentials/", json={"oauth_app": app_id})
    assert neither.status_code == 400
    assert "exactly one of" in neither.json()["non_field_errors"][0]
    both = api.post(
        "/zoom-oauth-credentials/",
        json={
            "oauth_app": app_id,
            "access_token_callback_url": callback_url("dave"),
            "authorization_code": {"code": "c", "redirect_uri": "https://x/"},
        },
    )
    assert both.status_code == 400
    assert "exactly one of" in both.json()["non_field_errors"][0]
    code_only = api.post(
        "/zoom-oauth-credentials/",
        json={
            "oauth_app": app_id,
            "authorization_code": {"code": "c", "redirect_uri": "https://x/"},
        },
    )
    assert code_only.status_code == 400  # Recall-managed: Zoom refuses the made-up code
    assert code_only.json()["detail"].startswith("Zoom refused the authorization code: ")


def test_access_token_calls_the_callback_and_returns_its_token(
    api: httpx.Client, app_id: str, callback_url: Callable[[str], str], callbacks: Callbacks
) -> None:
    credential = _credential(api, app_id, callback_url("erin")).json()
    response = api.get(f"/zoom-oauth-credentials/{credential['id']}/access-token/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert body["token"].startswith("eyJ")
    assert body["expires_at"].endswith("Z")
    assert callbacks.calls("erin") == 2


def test_delete_credential(
    api: httpx.Client, app_id: str, callback_url: Callable[[str], str]
) -> None:
    credential = _credential(api, app_id, callback_url("fay")).json()
    path = f"/zoom-oauth-credentials/{credential['id']}/"
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    assert api.get(path + "access-token/").status_code == 404
    assert api.post(path + "validate/").status_code == 404


def test_list_filters(
    api: httpx.Client, app_id: str, callback_url: Callable[[str], str], fake: FakeRecall
) -> None:
    a = _credential(api, app_id, callback_url("gus")).json()
    b = _credential(api, app_id, callback_url("hal")).json()
    ids = lambda params: [  # noqa: E731
        c["id"] for c in api.get("/zoom-oauth-credentials/", params=params).json()["results"]
    ]
    assert ids({"user_id": user_for("gus")}) == [a["id"]]
    assert ids({"oauth_app": app_id}) == [b["id"], a["id"]]
    assert ids({"status": "unhealthy"}) == []
    assert ids({"meeting_sync_status": "not_started", "status": "healthy"}) == [b["id"], a["id"]]
    bad = api.get(
        "/zoom-oauth-credentials/",
        params={"oauth_app": "00000000-0000-4000-8000-000000000000", "status": "sick"},
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"oauth_app", "status"}


def test_form_encoded_create_works_like_json(
    api: httpx.Client, app_id: str, callback_url: Callable[[str], str]
) -> None:
    response = api.post(
        "/zoom-oauth-credentials/",
        data={"oauth_app": app_id, "access_token_callback_url": callback_url("ivy")},
    )
    assert response.status_code == 201
    assert response.json()["user_id"] == user_for("ivy")


def test_a_token_without_uid_cannot_be_mapped_to_a_user(
    api: httpx.Client, app_id: str, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    callbacks.set("anon", Mode.NO_UID)
    response = _credential(api, app_id, callback_url("anon"))
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "no 'uid' (the Zoom user id) claim" in detail
    assert detail.endswith("(contract.jwt-access-token)")
    assert api.get("/zoom-oauth-credentials/").json()["results"] == []
