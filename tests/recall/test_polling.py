"""Polling and health: failures logged per rule, ``unhealthy`` after N, ``validate/`` restores;
the schedule; triggered rounds; and that a hanging callback delays no other."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from recall_sim.simulator.recall import CredentialStatus, FakeRecall
from tests.recall.conftest import FAST_DEADLINE
from tests.recall.support import Callbacks, Mode, register
from tests.support.tokens import CLIENT_ID


def _logs(api: httpx.Client, credential_id: str) -> list[str]:
    page = api.get("/zoom-oauth-credential-logs/", params={"credential": credential_id}).json()
    return [entry["message"] for entry in page["results"]]


def test_a_callback_that_starts_failing_turns_unhealthy_after_n_polls_and_validate_restores(
    api: httpx.Client,
    control: httpx.Client,
    fake: FakeRecall,
    app_id: str,
    callbacks: Callbacks,
    callback_url: Callable[[str], str],
) -> None:
    credential_id = register(fake, app_id, callback_url("kim"))
    callbacks.set("kim", Mode.ERROR)
    path = f"/zoom-oauth-credentials/{credential_id}/"
    for poll in range(1, 4):
        summary = control.post("/poll").json()
        assert summary["polled"] == 1
        assert summary["rejected"] == 1
        expected = "healthy" if poll < 3 else "unhealthy"
        assert api.get(path).json()["status"] == expected, f"after poll {poll}"
    messages = _logs(api, credential_id)
    failures = [m for m in messages if m.startswith("Failed to retrieve an access token (poll)")]
    assert len(failures) == 3
    assert all("answered HTTP 500, not 2xx (contract.status-2xx)" in m for m in failures)
    assert any("marked unhealthy after 3 consecutive" in m for m in messages)
    # Disabled: no longer polled, no token handed out.
    assert control.post("/poll").json()["polled"] == 0
    refused = api.get(path + "access-token/")
    assert refused.status_code == 400
    assert "is unhealthy" in refused.json()["detail"]
    # Still broken: validate says why and changes nothing.
    still_broken = api.post(path + "validate/")
    assert still_broken.status_code == 400
    assert "(contract.status-2xx)" in still_broken.json()["detail"]
    assert api.get(path).json()["status"] == "unhealthy"
    # Fixed: validate re-enables.
    callbacks.set("kim", Mode.GOOD)
    restored = api.post(path + "validate/")
    assert restored.status_code == 200
    assert restored.content == b""
    assert api.get(path).json()["status"] == "healthy"
    assert api.get(path + "access-token/").status_code == 200


def test_a_success_resets_the_consecutive_failure_count(
    api: httpx.Client,
    fake: FakeRecall,
    app_id: str,
    callbacks: Callbacks,
    callback_url: Callable[[str], str],
) -> None:
    credential_id = register(fake, app_id, callback_url("lee"))
    for mode in (Mode.ERROR, Mode.ERROR, Mode.GOOD, Mode.EXPIRING, Mode.ERROR):
        callbacks.set("lee", mode)
        fake.poll_now()
    credential = fake.get_credential(credential_id)
    assert credential.status is CredentialStatus.HEALTHY
    assert credential.consecutive_failures == 2
    messages = _logs(api, credential_id)
    assert len(messages) == 4
    assert any("(contract.min-validity-120s)" in m for m in messages)


def test_unhealthy_after_is_a_setting(
    fake: FakeRecall, app_id: str, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    fake.configure(unhealthy_after=1)
    credential_id = register(fake, app_id, callback_url("max"))
    callbacks.set("max", Mode.EXPIRING)
    round_ = fake.poll_now()
    assert (round_.polled, round_.rejected) == (1, 1)
    assert fake.get_credential(credential_id).status is CredentialStatus.UNHEALTHY


def test_polls_expect_the_registered_user(
    fake: FakeRecall, app_id: str, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    credential_id = register(fake, app_id, callback_url("ned"))
    callbacks.set("ned", Mode.GOOD, user_id="someoneElse0000000000x")
    fake.poll_now()
    [record] = fake.calls(credential=credential_id, purpose="poll")
    assert record.failed_rules == ("contract.expected-user",)


def test_the_scheduler_polls_on_its_interval(
    fake: FakeRecall, app_id: str, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    credential_id = register(fake, app_id, callback_url("oli"))
    fake.configure(poll_interval=0.2)
    deadline = time.monotonic() + 10
    while len(fake.calls(credential=credential_id, purpose="poll")) < 3:
        assert time.monotonic() < deadline, "the scheduler made fewer than 3 polls in 10 s"
        time.sleep(0.05)
    fake.configure(poll_interval=0)
    assert fake.polling


def test_trigger_without_waiting_answers_202_and_the_round_runs(
    control: httpx.Client,
    fake: FakeRecall,
    app_id: str,
    callbacks: Callbacks,
    callback_url: Callable[[str], str],
) -> None:
    credential_id = register(fake, app_id, callback_url("pat"))
    response = control.post("/poll", params={"wait": "false"})
    assert response.status_code == 202
    deadline = time.monotonic() + 5
    while not fake.calls(credential=credential_id, purpose="poll"):
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_poll_named_credentials_only(
    control: httpx.Client,
    fake: FakeRecall,
    app_id: str,
    callbacks: Callbacks,
    callback_url: Callable[[str], str],
) -> None:
    first = register(fake, app_id, callback_url("quin"))
    register(fake, app_id, callback_url("ray"))
    summary = control.post("/poll", params={"credential": first}).json()
    assert summary["polled"] == 1
    assert callbacks.calls("ray") == 1  # only its create
    unknown = control.post("/poll", params={"credential": "00000000-0000-4000-8000-000000000000"})
    assert unknown.status_code == 404


def test_poll_now_works_without_a_server(
    callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    from recall_sim.simulator.recall import RecallSettings

    recall = FakeRecall(settings=RecallSettings(poll_interval=0))
    try:
        app = recall.create_app(client_id=CLIENT_ID)
        recall.create_credential(oauth_app=app.id, access_token_callback_url=callback_url("sam"))
        assert recall.poll_now().accepted == 1
    finally:
        recall.close()


HANGING = 3
CREDENTIALS = 100


@pytest.fixture
def crowd(
    fake: FakeRecall, app_id: str, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> list[str]:
    """100 registered credentials, the first 3 of which hang once registered."""
    fake.configure(poll_concurrency=20)
    ids = [register(fake, app_id, callback_url(f"crowd{i}")) for i in range(CREDENTIALS)]
    callbacks.hang_seconds = FAST_DEADLINE + 1.5  # past the deadline, yet gone by teardown
    for i in range(HANGING):
        callbacks.set(f"crowd{i}", Mode.HANG)
    return ids


def test_hanging_callbacks_never_delay_the_others(fake: FakeRecall, crowd: list[str]) -> None:
    round_ = fake.poll_now()
    assert (round_.polled, round_.accepted, round_.rejected) == (100, 97, 3), round_
    # The round lasts as long as the hanging calls' deadline, no more.
    assert round_.duration_s < FAST_DEADLINE + 1.0
    hanging = set(crowd[:HANGING])
    finished = [
        record.at + record.total_s - round_.started_at
        for record in fake.calls(purpose="poll")
        if record.credential is not None and str(record.credential) not in hanging
    ]
    assert len(finished) == CREDENTIALS - HANGING
    # Every other call completed well before the hanging ones' deadline freed their slots.
    assert max(finished) < FAST_DEADLINE * 0.8, f"slowest good call ended at {max(finished):.2f} s"


def test_a_round_skips_credentials_still_in_flight(fake: FakeRecall, crowd: list[str]) -> None:
    fake.trigger_poll()  # no scheduler when poll_interval is 0: trigger is a no-op then
    fake.configure(poll_interval=60)
    fake.trigger_poll()
    deadline = time.monotonic() + 5
    while len(fake.calls(purpose="poll")) < CREDENTIALS - HANGING:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    second = fake.poll_now()  # the 3 hanging calls of the triggered round are still running
    assert second.skipped == HANGING
    assert second.polled == CREDENTIALS - HANGING
