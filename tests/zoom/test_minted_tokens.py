"""The fake Zoom mints OBF tokens, ZAKs and join tokens as Zoom does, and records each one."""

from __future__ import annotations

import jwt
import pytest
from fastapi.testclient import TestClient

from recall_sim.simulator.zoom import (
    DEFAULT_CLIENT_ID,
    DEFAULT_USER_EMAIL,
    DEFAULT_USER_ID,
    EventKind,
    FakeZoom,
    MintedKind,
    Outcome,
)
from tests.zoom.flows import authorize, bearer, exchange, onboard

OBF = "/zoom/v2/users/{user}/token?type=onbehalf"


def _claims(token: str) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return claims


@pytest.mark.parametrize("user", ["me", DEFAULT_USER_ID, DEFAULT_USER_EMAIL])
def test_an_obf_token_is_minted_for_the_tokens_own_user_and_recorded(
    client: TestClient, zoom: FakeZoom, user: str
) -> None:
    access = onboard(client)["access_token"]

    response = client.get(OBF.format(user=user), headers=bearer(access))

    assert response.status_code == 200, response.text
    token = response.json()["token"]
    minted = zoom.minted_token(token)
    assert minted is not None
    assert minted.kind is MintedKind.OBF
    assert (minted.user_id, minted.client_id) == (DEFAULT_USER_ID, DEFAULT_CLIENT_ID)
    assert minted.expires_at - minted.minted_at == 7200  # Zoom's default TTL
    assert not minted.used
    assert _claims(token)["uid"] == DEFAULT_USER_ID
    event = zoom.journal(kind=EventKind.MINT)[-1]
    assert event.outcome is Outcome.OK and event.user_id == DEFAULT_USER_ID
    assert event.issued_token is not None and token not in event.issued_token


def test_ttl_sets_the_obf_lifetime_and_a_bad_ttl_is_refused(
    client: TestClient, zoom: FakeZoom
) -> None:
    access = onboard(client)["access_token"]

    short = client.get(OBF.format(user="me") + "&ttl=60", headers=bearer(access))
    bad = client.get(OBF.format(user="me") + "&ttl=-5", headers=bearer(access))

    minted = zoom.minted_token(short.json()["token"])
    assert minted is not None and minted.expires_at - minted.minted_at == 60
    assert bad.status_code == 400 and bad.json()["code"] == 300
    assert "ttl" in bad.json()["message"]


def test_each_call_mints_a_new_token(client: TestClient, zoom: FakeZoom) -> None:
    access = onboard(client)["access_token"]

    tokens = {
        client.get(OBF.format(user="me"), headers=bearer(access)).json()["token"] for _ in range(3)
    }

    assert len(tokens) == 3
    assert len(zoom.minted_tokens(MintedKind.OBF)) == 3


def test_another_users_token_is_refused_and_an_unknown_user_is_404(
    client: TestClient, zoom: FakeZoom
) -> None:
    zoom.register_user(email="other@example.com")
    access = onboard(client)["access_token"]

    other = client.get(OBF.format(user="other@example.com"), headers=bearer(access))
    unknown = client.get(OBF.format(user="nobody@example.com"), headers=bearer(access))

    assert (other.status_code, other.json()["code"]) == (400, 200)
    assert (unknown.status_code, unknown.json()["code"]) == (404, 1001)
    assert zoom.minted_tokens() == []
    refusals = zoom.journal(kind=EventKind.MINT, outcome=Outcome.REJECTED)
    assert [e.status for e in refusals] == [400, 404]


def test_a_missing_scope_is_refused_in_zooms_words(client: TestClient, zoom: FakeZoom) -> None:
    zoom.register_app(
        client_id="narrowApp0000000000001", client_secret="s" * 32, scopes=("user:read:user",)
    )
    code = authorize(client, client_id="narrowApp0000000000001")
    access = exchange(client, code, auth=("narrowApp0000000000001", "s" * 32)).json()[
        "access_token"
    ]

    response = client.get(OBF.format(user="me"), headers=bearer(access))

    assert response.status_code == 400
    assert response.json() == {
        "code": 4711,
        "message": "Invalid access token, does not contain scopes:[user:read:token].",
    }


def test_a_deauthorized_user_gets_no_token(client: TestClient, zoom: FakeZoom) -> None:
    access = onboard(client)["access_token"]
    zoom.deauthorize_user(DEFAULT_USER_ID)

    response = client.get(OBF.format(user="me"), headers=bearer(access))

    assert response.status_code == 401
    assert response.json()["code"] == 124


@pytest.mark.parametrize("path", ["/zoom/v2/users/me/zak", "/zoom/v2/users/me/token?type=zak"])
def test_a_zak_is_recorded_as_one(client: TestClient, zoom: FakeZoom, path: str) -> None:
    access = onboard(client)["access_token"]

    token = client.get(path, headers=bearer(access)).json()["token"]

    minted = zoom.minted_token(token)
    assert minted is not None and minted.kind is MintedKind.ZAK


def test_a_join_token_names_its_meeting_and_the_pmi_counts_as_one(
    client: TestClient, zoom: FakeZoom
) -> None:
    user = zoom.default_user
    access = onboard(client)["access_token"]

    response = client.get(
        f"/zoom/v2/meetings/{user.pmi}/jointoken/local_recording", headers=bearer(access)
    )

    assert response.status_code == 200
    minted = zoom.minted_token(response.json()["token"])
    assert minted is not None
    assert minted.kind is MintedKind.JOIN_TOKEN and minted.meeting_id == str(user.pmi)
    assert minted.expires_at - minted.minted_at == 120


def test_use_counts_each_presentation(client: TestClient, zoom: FakeZoom) -> None:
    access = onboard(client)["access_token"]
    token = client.get(OBF.format(user="me"), headers=bearer(access)).json()["token"]

    first = zoom.use_token(token)
    second = zoom.use_token(token)

    assert first is not None and not first.used
    assert second is not None and second.used
    assert zoom.use_token("not-a-minted-token") is None
    record = zoom.minted_token(token)
    assert record is not None and record.uses == 2


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        ("obf", "/zoom/v2/users/me/token?type=onbehalf"),
        ("zak", "/zoom/v2/users/me/zak"),
        ("join_token", "/zoom/v2/meetings/{pmi}/jointoken/local_recording"),
    ],
)
def test_faults_hit_only_their_endpoint(
    client: TestClient, zoom: FakeZoom, endpoint: str, path: str
) -> None:
    access = onboard(client)["access_token"]
    zoom.inject_fault("server_error", endpoint=endpoint)
    url = path.format(pmi=zoom.default_user.pmi)

    failed = client.get(url, headers=bearer(access))
    again = client.get(url, headers=bearer(access))

    assert failed.status_code == 500
    assert failed.json() == {"code": 500, "message": "Internal Error"}
    assert again.status_code == 200
    assert zoom.faults() == []


def test_a_token_endpoint_fault_leaves_the_api_alone(client: TestClient, zoom: FakeZoom) -> None:
    access = onboard(client)["access_token"]
    zoom.inject_fault("server_error")  # the token endpoint's

    response = client.get(OBF.format(user="me"), headers=bearer(access))

    assert response.status_code == 200
    assert len(zoom.faults()) == 1


def test_an_unknown_fault_endpoint_is_refused_with_the_choices(client: TestClient) -> None:
    response = client.post("/_sim/zoom/faults", json={"kind": "stall", "endpoint": "meetings"})

    assert response.status_code == 400
    assert "meetings" in response.text and "join_token" in response.text


def test_reset_forgets_minted_tokens(client: TestClient, zoom: FakeZoom) -> None:
    access = onboard(client)["access_token"]
    client.get(OBF.format(user="me"), headers=bearer(access))

    zoom.reset()

    assert zoom.minted_tokens() == []


def test_the_inspect_control_answers_the_record_on_zooms_clock_never_the_token(
    client: TestClient, zoom: FakeZoom
) -> None:
    access = onboard(client)["access_token"]
    token = client.get(OBF.format(user="me"), headers=bearer(access)).json()["token"]
    zoom.clock.advance(40)

    record = client.post("/_sim/zoom/tokens/minted/inspect", json={"token": token}).json()
    unknown = client.post("/_sim/zoom/tokens/minted/inspect", json={"token": access}).json()

    assert record["minted"] is True and record["kind"] == "onbehalf"
    assert (record["user_id"], record["client_id"]) == (DEFAULT_USER_ID, DEFAULT_CLIENT_ID)
    assert (record["age_s"], record["remaining_s"], record["uses"]) == (40, 7160, 0)
    assert token not in str(record) and record["token"].startswith(token[:8])
    assert unknown == {"minted": False}


def test_restore_undoes_a_deauthorization(client: TestClient, zoom: FakeZoom) -> None:
    access = onboard(client)["access_token"]
    client.post(f"/_sim/zoom/users/{DEFAULT_USER_ID}/deauthorize", json={})
    refused = client.get(OBF.format(user="me"), headers=bearer(access))

    restored = client.post(f"/_sim/zoom/users/{DEFAULT_USER_ID}/restore", json={}).json()
    again = client.get(OBF.format(user="me"), headers=bearer(access))

    assert refused.status_code == 401
    assert restored == {"restored_grants": 1}
    assert again.status_code == 200 and zoom.minted_token(again.json()["token"]) is not None
    unknown = client.post("/_sim/zoom/users/nobody/restore", json={})
    assert unknown.status_code == 404
