"""The test controls over HTTP: apps, users, settings, clock, faults, journal, reset."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.zoom import DEFAULT_CLIENT_ID, DEFAULT_USER_ID, FakeZoom
from recall_sim.simulator.zoom_jwt import decode_zoom_token
from tests.zoom.conftest import START
from tests.zoom.flows import REDIRECT_URI, authorize, bearer, exchange, onboard, refresh


def test_overview_shows_defaults_and_settings(client: TestClient) -> None:
    body = client.get("/_sim/zoom").json()

    assert body["default_app"]["client_id"] == DEFAULT_CLIENT_ID
    assert body["default_user"]["id"] == DEFAULT_USER_ID
    assert body["settings"]["access_token_lifetime"] == 3600
    assert body["faults"] == [] and body["journal_seq"] == 0


def test_register_an_app_and_a_user_then_onboard_them(client: TestClient) -> None:
    app = client.post(
        "/_sim/zoom/apps", json={"client_id": "acmeApp", "redirect_uris": [REDIRECT_URI]}
    ).json()
    user = client.post(
        "/_sim/zoom/users", json={"email": "ivy@acme.example", "account_id": "acmeAccount"}
    ).json()

    code = authorize(client, client_id="acmeApp", user=user["id"])
    response = exchange(client, code, auth=(app["client_id"], app["client_secret"]))

    claims = decode_zoom_token(response.json()["access_token"]).claims
    assert claims["iss"] == "zm:cid:acmeApp"
    assert (claims["uid"], claims["aid"]) == (user["id"], "acmeAccount")
    assert {a["client_id"] for a in client.get("/_sim/zoom/apps").json()} == {
        DEFAULT_CLIENT_ID,
        "acmeApp",
    }
    assert "ivy@acme.example" in {u["email"] for u in client.get("/_sim/zoom/users").json()}


def test_registration_conflicts_and_bad_values_are_400(client: TestClient) -> None:
    duplicate = client.post("/_sim/zoom/apps", json={"client_id": DEFAULT_CLIENT_ID})
    bad_email = client.post("/_sim/zoom/users", json={"email": "nope"})

    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["detail"]
    assert bad_email.status_code == 400 and "email" in bad_email.json()["detail"]


def test_settings_patch_changes_only_what_is_given(client: TestClient, zoom: FakeZoom) -> None:
    client.patch("/_sim/zoom/settings", json={"consenting_user": "jay"})
    response = client.patch("/_sim/zoom/settings", json={"access_token_lifetime": 130})

    assert response.json()["access_token_lifetime"] == 130
    assert response.json()["consenting_user"] == "jay"
    cleared = client.patch("/_sim/zoom/settings", json={"consenting_user": None}).json()
    assert cleared["consenting_user"] is None
    bad = client.patch("/_sim/zoom/settings", json={"code_lifetime": 0})
    assert bad.status_code == 400 and "code_lifetime" in bad.json()["detail"]
    assert zoom.settings.code_lifetime == 300


def test_clock_controls(client: TestClient, clock: VirtualClock) -> None:
    assert client.get("/_sim/clock").json()["now"] == pytest.approx(START)

    advanced = client.post("/_sim/zoom/clock/advance", json={"seconds": 90}).json()
    assert advanced["now"] == pytest.approx(START + 90)
    assert client.post("/_sim/clock/set", json={"now": START + 500}).json()["now"] == START + 500
    assert clock.now() == START + 500
    reset = client.post("/_sim/clock/reset").json()
    assert abs(reset["offset"]) < 5


def test_issue_tokens_control_seeds_a_callback(client: TestClient) -> None:
    client.post("/_sim/zoom/users", json={"id": "kim"})

    tokens = client.post("/_sim/zoom/tokens", json={"user_id": "kim"}).json()

    assert tokens["user_id"] == "kim"
    assert refresh(client, tokens["refresh_token"]).status_code == 200
    missing = client.post("/_sim/zoom/tokens", json={"user_id": "nobody"})
    assert missing.status_code == 404


def test_meetings_control(client: TestClient) -> None:
    created = client.post(f"/_sim/zoom/users/{DEFAULT_USER_ID}/meetings", json={"topic": "1:1"})
    token = onboard(client)["access_token"]

    assert created.status_code == 201
    listed = client.get("/zoom/v2/users/me/meetings", headers=bearer(token)).json()
    assert [m["topic"] for m in listed["meetings"]] == ["1:1"]
    assert client.post("/_sim/zoom/users/nobody/meetings").status_code == 404


def test_deauthorize_unknown_user_is_404(client: TestClient) -> None:
    assert client.post("/_sim/zoom/users/nobody/deauthorize").status_code == 404


def test_fault_controls_list_and_clear(client: TestClient) -> None:
    created = client.post("/_sim/zoom/faults", json={"kind": "server_error", "count": 2, "seed": 5})
    client.post("/_sim/zoom/faults", json={"kind": "stall", "seconds": 0.1})

    assert created.status_code == 201
    assert created.json()["remaining"] == 2 and created.json()["seed"] == 5
    assert [f["kind"] for f in client.get("/_sim/zoom/faults").json()] == ["server_error", "stall"]
    client.delete("/_sim/zoom/faults")
    assert client.get("/_sim/zoom/faults").json() == []


def test_bad_faults_are_refused_with_the_reason(client: TestClient) -> None:
    unknown = client.post("/_sim/zoom/faults", json={"kind": "explode"})
    negative = client.post("/_sim/zoom/faults", json={"kind": "server_error", "count": 0})

    assert unknown.status_code == 400 and "server_error" in unknown.json()["detail"]
    assert negative.status_code == 400 and "count" in negative.json()["detail"]


def test_journal_filters(client: TestClient) -> None:
    tokens = onboard(client)
    refresh(client, tokens["refresh_token"])
    refresh(client, tokens["refresh_token"])
    onboard(client, user="lee")

    everything = client.get("/_sim/zoom/journal").json()
    refreshes = client.get("/_sim/zoom/journal", params={"kind": "refresh"}).json()["events"]
    lee = client.get("/_sim/zoom/journal", params={"user_id": "lee"}).json()["events"]
    later = client.get("/_sim/zoom/journal", params={"since": 4}).json()["events"]
    reuses = client.get("/_sim/zoom/journal/refresh-token-reuses").json()

    assert everything["last_seq"] == len(everything["events"]) == 6
    assert [e["outcome"] for e in refreshes] == ["ok"]
    assert {e["kind"] for e in lee} == {"authorize", "code_exchange"}
    assert [e["seq"] for e in later] == [5, 6]
    assert reuses["count"] == 1 and reuses["events"][0]["error"] == "invalid_grant"
    assert tokens["refresh_token"] not in str(everything)
    bad = client.get("/_sim/zoom/journal", params={"kind": "nonsense"})
    assert bad.status_code == 400 and "refresh_token_reuse" in bad.json()["detail"]


def test_resets(client: TestClient, zoom: FakeZoom, clock: VirtualClock) -> None:
    onboard(client, user="max")
    client.post("/_sim/zoom/faults", json={"kind": "server_error"})

    assert client.post("/_sim/zoom/reset").json() == {"status": "reset"}
    assert zoom.user("max") is None and zoom.faults() == []
    clock.advance(1000)
    assert client.post("/_sim/reset").json() == {"status": "reset"}
    assert abs(clock.offset) < 5


def test_health(client: TestClient) -> None:
    assert client.get("/_sim/health").json()["status"] == "ok"
