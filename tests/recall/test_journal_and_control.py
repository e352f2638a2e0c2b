"""The call journal over the control API, Standard Webhooks signing, settings, reset."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from recall_sim.simulator.recall import FakeRecall
from recall_sim.simulator.redaction import JWT_PATTERN
from tests.recall.conftest import API_KEY
from tests.recall.support import Callbacks, Mode, register

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_journal_records_every_call_redacted(
    control: httpx.Client,
    fake: FakeRecall,
    app_id: str,
    callbacks: Callbacks,
    callback_url: Callable[[str], str],
) -> None:
    credential_id = register(fake, app_id, callback_url("tia"))
    callbacks.set("tia", Mode.EXPIRING)
    control.post("/poll")
    journal = control.get("/journal").json()
    assert journal["last_seq"] == 2
    create, poll = journal["calls"]
    assert (create["purpose"], create["outcome"]) == ("create", "accepted")
    assert (poll["purpose"], poll["outcome"]) == ("poll", "rejected")
    assert poll["failed_rules"] == ["contract.min-validity-120s"]
    assert poll["credential"] == credential_id
    assert poll["url"].endswith("/cb/tia?user-id=tia&auth_token=***")
    assert 55 < poll["remaining_validity_s"] < 61
    assert poll["status"] == 200
    assert poll["timings_s"]["total"] > 0
    assert "sha256:" in poll["token"]
    text = json.dumps(journal)
    assert "s3cr3t-tia-value" not in text
    assert JWT_PATTERN.search(text) is None  # only the 8+4-character redacted forms


def test_journal_filters(
    control: httpx.Client,
    fake: FakeRecall,
    app_id: str,
    callbacks: Callbacks,
    callback_url: Callable[[str], str],
) -> None:
    first = register(fake, app_id, callback_url("uma"))
    register(fake, app_id, callback_url("vic"))
    callbacks.set("vic", Mode.ERROR)
    control.post("/poll")
    calls = lambda **params: control.get("/journal", params=params).json()["calls"]  # noqa: E731
    assert [c["purpose"] for c in calls(credential=first)] == ["create", "poll"]
    assert {c["outcome"] for c in calls(outcome="rejected")} == {"rejected"}
    assert len(calls(outcome="rejected")) == 1
    assert len(calls(purpose="create")) == 2
    assert len(calls(rule="contract.status-2xx")) == 1
    assert [c["seq"] for c in calls(since=2)] == [3, 4]
    assert len(calls(limit=1)) == 1
    assert control.get("/journal", params={"outcome": "meh"}).status_code == 400
    assert control.get("/journal", params={"since": "last tuesday"}).status_code == 400
    assert control.delete("/journal").status_code == 204
    assert calls() == []


def test_journal_file_has_every_call_of_a_run(
    tmp_path: Path, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    import asyncio

    from recall_sim.simulator.recall import RecallSettings
    from tests.support.tokens import CLIENT_ID

    target = tmp_path / "journal" / "calls.jsonl"
    recall = FakeRecall(settings=RecallSettings(poll_interval=0, journal_path=str(target)))

    async def session() -> None:
        async with recall.running():
            app = recall.create_app(client_id=CLIENT_ID)
            await recall.acreate_credential(
                oauth_app=app.id, access_token_callback_url=callback_url("walt")
            )
            await recall.apoll_now()

    asyncio.run(session())
    recall.close()
    lines = target.read_text().splitlines()
    assert [json.loads(line)["purpose"] for line in lines] == ["create", "poll"]
    assert "s3cr3t" not in target.read_text()


def test_signed_calls_verify_with_standardwebhooks(
    fake: FakeRecall, app_id: str, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    fake.configure(verification_secret=SECRET)
    register(fake, app_id, callback_url("xia"))
    [headers] = callbacks.requests["xia"]
    Webhook(SECRET).verify("", headers, json_parse=False)  # raises when not valid
    assert fake.calls()[-1].signed


def test_unsigned_by_default(
    fake: FakeRecall, app_id: str, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    register(fake, app_id, callback_url("yan"))
    [headers] = callbacks.requests["yan"]
    assert "webhook-signature" not in headers
    assert not fake.calls()[-1].signed


def test_settings_over_the_control_api_hide_secrets(
    control: httpx.Client, fake: FakeRecall
) -> None:
    shown = control.get("/settings").json()
    assert shown["api_key"] != API_KEY
    assert "sha256:" in shown["api_key"]
    changed = control.patch("/settings", json={"unhealthy_after": 5, "verification_secret": SECRET})
    assert changed.status_code == 200
    assert changed.json()["unhealthy_after"] == 5
    assert SECRET not in changed.text
    assert fake.settings.unhealthy_after == 5
    bad = control.patch("/settings", json={"unhealthy_after": 0})
    assert bad.status_code == 400
    assert (
        "unhealthy_after must be a whole number in [1, 1000000000], got 0" in bad.json()["detail"]
    )
    unknown = control.patch("/settings", json={"nope": 1})
    assert "unknown setting(s) ['nope']" in unknown.json()["detail"]
    assert control.patch("/settings", json={"verification_secret": "plain"}).status_code == 400


def test_reset_forgets_state_but_keeps_settings(
    control: httpx.Client,
    api: httpx.Client,
    fake: FakeRecall,
    app_id: str,
    callback_url: Callable[[str], str],
) -> None:
    fake.configure(unhealthy_after=7)
    register(fake, app_id, callback_url("zed"))
    assert control.post("/reset").status_code == 200
    assert api.get("/zoom-oauth-apps/").json()["results"] == []
    assert control.get("/journal").json() == {"last_seq": 0, "calls": []}
    assert fake.settings.unhealthy_after == 7


def test_credential_state_shows_the_bookkeeping(
    control: httpx.Client,
    fake: FakeRecall,
    app_id: str,
    callbacks: Callbacks,
    callback_url: Callable[[str], str],
) -> None:
    credential_id = register(fake, app_id, callback_url("abe"))
    callbacks.set("abe", Mode.ERROR)
    control.post("/poll")
    state = control.get(f"/credentials/{credential_id}").json()
    assert state["consecutive_failures"] == 1
    assert state["calls"] == 2
    assert control.get("/credentials/nope").status_code == 404


@pytest.mark.parametrize("listing", [True, False])
def test_rate_limits_answer_429_with_retry_after(
    api: httpx.Client, fake: FakeRecall, listing: bool
) -> None:
    fake.configure(rate_limits=True, rate_limit_per_minute=5, list_rate_limit_per_minute=3)
    path = (
        "/zoom-oauth-apps/" if listing else "/zoom-oauth-apps/00000000-0000-4000-8000-000000000000/"
    )
    allowed = 3 if listing else 5
    started = time.monotonic()
    statuses = [api.get(path).status_code for _ in range(allowed)]
    assert 429 not in statuses
    throttled = api.get(path)
    took = time.monotonic() - started
    assert throttled.status_code == 429
    # The oldest request leaves the one-minute window 60 s after it was made: what the
    # burst took is already behind us, so the wait is 60 s less that, rounded up.
    retry_after = int(throttled.headers["retry-after"])
    assert 60 - math.ceil(took) <= retry_after <= 60
    assert throttled.json()["detail"] == (
        f"Request was throttled. Expected available in {retry_after} seconds."
    )


def test_rate_limits_are_off_by_default(api: httpx.Client) -> None:
    assert all(api.get("/zoom-oauth-apps/").status_code == 200 for _ in range(70))
