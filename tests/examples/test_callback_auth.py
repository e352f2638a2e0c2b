"""The callback answers the right user's token to Recall, and nothing to anyone else."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from recall_sim.simulator.judge import judge
from recall_sim.simulator.prober import probe
from recall_sim.simulator.signing import signature_headers
from recall_sim.simulator.testing import RunningSimulator
from recall_sim.simulator.zoom_jwt import decode_zoom_token
from tests.examples.conftest import WHSEC, StartReference


def test_a_valid_request_gets_the_users_token_as_plain_text(
    sim: RunningSimulator, start_reference: StartReference
):
    ref = start_reference()
    user_id = ref.connect("alice@example.com")
    observation = probe(ref.callback_url(user_id))
    judged = judge(observation, client_id=sim.zoom.default_app.client_id, expected_user_id=user_id)
    assert judged.accepted, [v.detail for v in judged.failures]
    assert observation.status == 200
    assert (observation.header("content-type") or "").startswith("text/plain")
    assert observation.header("cache-control") == "no-store"
    assert observation.body.decode() == judged.token


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda url: url.rsplit("&", 1)[0], id="no-secret"),
        pytest.param(lambda url: url.split("?", 1)[0], id="no-query"),
        pytest.param(lambda url: url[:-1] + ("A" if url[-1] != "A" else "B"), id="changed"),
        pytest.param(lambda url: url[:-10], id="truncated"),
        pytest.param(lambda url: url + "x", id="extended"),
        pytest.param(lambda url: url.rsplit("=", 1)[0] + "=", id="empty"),
        pytest.param(lambda url: url + "&" + url.rsplit("&", 1)[1], id="secret-twice"),
        pytest.param(lambda url: url.replace("user-id=", "user-id=x"), id="other-user-id"),
        pytest.param(
            lambda url: url.rsplit("=", 1)[0] + "=" + url.rsplit("=", 1)[1].swapcase(), id="case"
        ),
    ],
)
def test_requests_without_the_right_secret_are_refused_without_a_token(
    start_reference: StartReference, spoil
):
    ref = start_reference()
    user_id = ref.connect("alice@example.com")
    url = ref.callback_url(user_id)
    answer = httpx.get(spoil(url), trust_env=False)
    assert (answer.status_code, answer.text) == (401, "unauthorized")
    assert answer.headers["cache-control"] == "no-store"


def test_one_users_secret_does_not_unlock_another(start_reference: StartReference):
    ref = start_reference()
    alice = ref.connect("alice@example.com")
    bob = ref.connect("bob@example.com")
    alice_url, bob_url = ref.callback_url(alice), ref.callback_url(bob)
    crossed = alice_url.rsplit("&", 1)[0] + "&" + bob_url.rsplit("&", 1)[1]
    answer = httpx.get(crossed, trust_env=False)
    assert (answer.status_code, answer.text) == (401, "unauthorized")
    tokens = [httpx.get(u, trust_env=False).text for u in (alice_url, bob_url)]
    assert [decode_zoom_token(t).user_id for t in tokens] == [alice, bob]


def test_only_the_hash_of_the_secret_is_stored(start_reference: StartReference):
    ref = start_reference()
    user_id = ref.connect("alice@example.com")
    url = ref.callback_url(user_id)
    secret = url.rsplit("auth_token=", 1)[1]
    database = ref.settings.database_path
    # The WAL file holds the newest pages until a checkpoint.
    files = [Path(database), Path(database + "-wal")]
    stored = b"".join(path.read_bytes() for path in files if path.exists())
    assert secret.encode() not in stored
    assert httpx.get(url, trust_env=False).status_code == 200


def test_with_a_verification_secret_only_fresh_valid_signatures_get_a_token(
    start_reference: StartReference,
):
    ref = start_reference(verification_secret=WHSEC)
    user_id = ref.connect("alice@example.com")
    url = ref.callback_url(user_id)
    now = time.time()
    wrong = "whsec_" + "bm90LXRoZS1yaWdodC1zZWNyZXQtYXQtYWxs"
    good = signature_headers(WHSEC, timestamp=now)
    refused = {
        "unsigned": {},
        "another secret": signature_headers(wrong, timestamp=now),
        "another message id": {**good, "webhook-id": good["webhook-id"] + "x"},
        "empty signature": {**good, "webhook-signature": ""},
        "garbage signature": {**good, "webhook-signature": "v1"},
        "6 minutes old": signature_headers(WHSEC, timestamp=now - 360),
        "6 minutes ahead": signature_headers(WHSEC, timestamp=now + 360),
    }
    for label, headers in refused.items():
        answer = httpx.get(url, headers=headers, trust_env=False)
        assert (answer.status_code, answer.text) == (401, "unauthorized"), label
    assert httpx.get(url, headers=good, trust_env=False).status_code == 200
    within = signature_headers(WHSEC, timestamp=now - 240)
    assert httpx.get(url, headers=within, trust_env=False).status_code == 200


def test_connect_refuses_a_state_this_browser_was_not_given(start_reference: StartReference):
    ref = start_reference()
    with httpx.Client(trust_env=False) as attacker:
        start = attacker.get(f"{ref.url}/zoom/connect")
        consent = attacker.get(start.headers["location"] + "&sim_user=mallory@example.com")
    # The victim's browser follows the attacker's redirect: it has no matching cookie.
    with httpx.Client(trust_env=False) as victim:
        back = victim.get(consent.headers["location"])
    assert back.status_code == 400
    assert "not recognised" in back.text
