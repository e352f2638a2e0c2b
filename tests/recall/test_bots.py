"""Bots (``/api/v1/bot/``): a bot joins by calling its OBF, ZAK and join-token URLs once
each, graded against what the fake Zoom minted; ``status_changes`` and the call journal
say how it went (SPEC §7)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from recall_sim.simulator.recall.api import BOT_API_PREFIX
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.testing import RunningSimulator, running_simulator
from tests.recall.bot_support import TokenCallbacks

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
AUTH = "auth_token=bot-callback-secret-0123456789"
FINAL = {"in_call_recording", "fatal"}


@dataclass
class World:
    sim: RunningSimulator
    callbacks: TokenCallbacks
    callback_base: str
    api: httpx.Client
    meeting_id: str

    def urls(self, *, obf: str = "", join: str = "", meeting: str | None = None) -> dict[str, str]:
        base = self.callback_base
        return {
            "obf_token_url": f"{base}/obf?{AUTH}{obf}",
            "zak_url": f"{base}/zak?{AUTH}",
            "join_token_url": f"{base}/join/{meeting or self.meeting_id}?{AUTH}{join}",
        }

    def create(self, **body: Any) -> httpx.Response:
        body.setdefault("meeting_url", f"https://zoom.us/j/{self.meeting_id}?pwd=abc123")
        return self.api.post("/bot/", json=body)

    def finished(self, bot_id: str) -> dict[str, Any]:
        """The bot once its last status change is final (joins run in the background)."""
        deadline = time.monotonic() + 15
        while True:
            bot = self.api.get(f"/bot/{bot_id}/").json()
            codes = [c["code"] for c in bot["status_changes"]]
            if codes and codes[-1] in FINAL:
                return bot
            assert time.monotonic() < deadline, f"bot never finished joining: {bot}"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[RunningSimulator, ThreadedServer, TokenCallbacks]]:
    with running_simulator(zoom_paths=True) as sim:
        assert sim.zoom_base_url is not None
        callbacks = TokenCallbacks(zoom_base_url=sim.zoom_base_url, access_token="")
        with ThreadedServer(callbacks.app()) as server:
            yield sim, server, callbacks


@pytest.fixture
def world(served: tuple[RunningSimulator, ThreadedServer, TokenCallbacks]) -> Iterator[World]:
    sim, server, callbacks = served
    sim.reset()
    sim.recall.configure(callback_deadline=3.0)
    callbacks.access_token = sim.zoom.issue_tokens().access_token
    callbacks.cached_obf = None
    callbacks.seen.clear()
    meeting = sim.zoom.add_meeting(sim.zoom.default_user.id)
    headers = {"Authorization": f"Token {sim.recall.settings.api_key}"}
    with httpx.Client(base_url=sim.url + BOT_API_PREFIX, headers=headers, timeout=10) as api:
        yield World(sim, callbacks, server.url, api, str(meeting.id))


def codes(bot: dict[str, Any]) -> list[str]:
    return [change["code"] for change in bot["status_changes"]]


def test_a_bot_with_three_good_callbacks_joins_and_records(world: World) -> None:
    created = world.create(zoom=world.urls())
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["meeting_url"] == {
        "meeting_id": world.meeting_id,
        "meeting_password": "abc123",
        "platform": "zoom",
    }
    assert body["join_at"] is None
    bot = world.finished(body["id"])
    assert codes(bot) == ["joining_call", "in_call_recording"]
    assert all(c["sub_code"] is None for c in bot["status_changes"])
    calls = world.sim.recall.calls(bot=body["id"])
    assert [c.purpose.value for c in calls] == ["bot_obf", "bot_zak", "bot_join_token"]
    assert all(c.accepted and not c.signed for c in calls), [c.to_json() for c in calls]
    # The kinds' own rules were graded against the fake Zoom's record, and passed.
    graded = {rule: outcome for c in calls for rule, outcome, _ in c.verdicts}
    assert graded["obf.minted-for-user"] == graded["obf.fresh-per-call"] == "pass"
    assert graded["zak.valid-for-user"] == graded["join-token.for-meeting"] == "pass"
    # The access-token claim rules do not apply to these tokens: they skip, as in check.
    assert graded["contract.jwt-access-token"] == "skip"
    assert all(any(n.startswith("assumption: ") for n in c.notes) for c in calls)
    # Each URL was called once, with its query string kept, and the OBF token was presented.
    assert [path.split("?")[0] for path, _ in world.callbacks.seen] == [
        "/obf",
        "/zak",
        f"/join/{world.meeting_id}",
    ]
    assert all(AUTH in path for path, _ in world.callbacks.seen)
    obf = world.sim.zoom.minted_tokens("onbehalf")
    assert [m.uses for m in obf] == [1]
    # Secrets stay masked in the journal (SPEC §5).
    assert all("bot-callback-secret" not in str(c.to_json()) for c in calls)


def test_a_caching_obf_callback_fails_the_second_bot_and_the_journal_says_why(
    world: World,
) -> None:
    first = world.finished(world.create(zoom=world.urls(obf="&mode=cache")).json()["id"])
    assert codes(first) == ["joining_call", "in_call_recording"]
    second_id = world.create(zoom=world.urls(obf="&mode=cache")).json()["id"]
    second = world.finished(second_id)
    assert codes(second) == ["joining_call", "fatal"]
    fatal = second["status_changes"][-1]
    assert fatal["sub_code"] is None  # Recall documents none for OBF failures: labelled
    assert "already used" in fatal["message"]
    assert "(obf.fresh-per-call)" in fatal["message"]
    # ...and the cause, from the same diagnosis check and watch use (SPEC §8).
    assert (
        "cause.obf-reused: The OBF callback serves one token more than once" in (fatal["message"])
    )
    (obf_call,) = world.sim.recall.calls(bot=second_id, purpose="bot_obf")
    assert not obf_call.accepted
    assert obf_call.failed_rules == ("obf.fresh-per-call",)
    assert (
        "must mint a new token per call"
        in dict((rule, detail) for rule, _, detail in obf_call.verdicts)["obf.fresh-per-call"]
    )
    assert any(n.startswith(f"bot {second_id} fails to join") for n in obf_call.notes)
    assert any(n.startswith("simulator's choice: ") for n in obf_call.notes)
    (cause,) = [n for n in obf_call.notes if n.startswith("cause.obf-reused: ")]
    assert "Fix: Mint a new OBF token from Zoom on every call" in cause
    # The journal's JSON says it too, as served by the control API.
    journal = httpx.get(
        world.sim.url + "/_sim/recall/journal",
        params={"bot": second_id, "outcome": "rejected"},
    ).json()
    (line,) = journal["calls"]
    assert line["purpose"] == "bot_obf" and line["bot"] == second_id
    assert line["failed_rules"] == ["obf.fresh-per-call"]


@pytest.mark.parametrize(
    ("mode", "rule"),
    [
        ("&mode=made-up", "join-token.for-meeting"),
        ("&mode=empty", "join-token.404-when-unavailable"),
    ],
)
def test_a_join_token_that_is_not_valid_ends_the_bot_fatal(
    world: World, mode: str, rule: str
) -> None:
    bot = world.finished(world.create(zoom=world.urls(join=mode)).json()["id"])
    assert codes(bot) == ["joining_call", "fatal"]
    assert bot["status_changes"][-1]["sub_code"] == "zoom_invalid_join_token"
    assert f"({rule})" in bot["status_changes"][-1]["message"]


def test_a_join_token_for_another_meeting_is_invalid(world: World) -> None:
    other = str(world.sim.zoom.add_meeting(world.sim.zoom.default_user.id).id)
    bot = world.finished(world.create(zoom=world.urls(meeting=other)).json()["id"])
    assert bot["status_changes"][-1]["sub_code"] == "zoom_invalid_join_token"
    assert (
        f"minted for meeting {other}, not {world.meeting_id}"
        in bot["status_changes"][-1]["message"]
    )


def test_a_404_from_the_join_token_url_means_no_token_and_the_bot_joins(world: World) -> None:
    bot_id = world.create(zoom=world.urls(join="&mode=404")).json()["id"]
    assert codes(world.finished(bot_id)) == ["joining_call", "in_call_recording"]
    (call,) = world.sim.recall.calls(bot=bot_id, purpose="bot_join_token")
    assert call.accepted and call.status == 404
    assert any("joins without a join token" in n for n in call.notes)


def test_bot_calls_are_signed_when_a_verification_secret_is_set(world: World) -> None:
    world.sim.recall.configure(verification_secret=SECRET)
    bot_id = world.create(zoom=world.urls()).json()["id"]
    assert codes(world.finished(bot_id)) == ["joining_call", "in_call_recording"]
    assert all(c.signed for c in world.sim.recall.calls(bot=bot_id))
    for _, headers in world.callbacks.seen:
        assert headers["webhook-signature"].startswith("v1,")
        assert {"webhook-id", "webhook-timestamp"} <= set(headers)


def test_a_bot_joins_at_join_at_on_the_simulation_clock(world: World) -> None:
    join_at = world.sim.clock.now() + 600
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(join_at))
    created = world.create(zoom=world.urls(), join_at=stamp).json()
    assert created["join_at"].startswith(stamp[:-1])
    time.sleep(0.3)  # a few scheduler ticks: not yet
    assert world.api.get(f"/bot/{created['id']}/").json()["status_changes"] == []
    world.sim.clock.advance(601)
    assert codes(world.finished(created["id"])) == ["joining_call", "in_call_recording"]


def test_join_bot_in_python_joins_once(world: World) -> None:
    bot = world.sim.recall.create_bot(
        meeting_url=f"https://us02web.zoom.us/j/{world.meeting_id}",
        join_at=world.sim.clock.now() + 3600,
    )
    joined = world.sim.recall.join_bot(bot.id)
    assert [c.code.value for c in joined.status_changes] == ["joining_call", "in_call_recording"]
    again = world.sim.recall.join_bot(bot.id)  # already joined: nothing is called twice
    assert again.status_changes == joined.status_changes
    assert world.sim.recall.calls(bot=bot.id) == []  # no zoom URLs: nothing to call


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"meeting_url": ["This field is required."]}),
        ({"meeting_url": "https://meet.google.com/abc-defg-hij"}, {"meeting_url": None}),
        ({"meeting_url": "https://zoom.us/j/12"}, {"meeting_url": None}),
        ({"zoom": {"obf_token_url": "ftp://x.example/obf"}}, {"zoom": {"obf_token_url": None}}),
        ({"zoom": "https://x.example"}, {"zoom": None}),
        ({"join_at": "tomorrow"}, {"join_at": None}),
        ({"join_at": "2026-02-30T10:00:00Z"}, {"join_at": None}),
    ],
)
def test_invalid_bodies_answer_400_naming_the_field(
    world: World, body: dict[str, Any], errors: dict[str, Any]
) -> None:
    if "meeting_url" not in body and errors != {"meeting_url": ["This field is required."]}:
        body["meeting_url"] = f"https://zoom.us/j/{world.meeting_id}"
    answer = world.api.post("/bot/", json=body)
    assert answer.status_code == 400, answer.text
    found = answer.json()
    assert set(found) == set(errors)
    for name, expected in errors.items():
        if isinstance(expected, dict):
            assert set(found[name]) == set(expected)
        elif expected is not None:
            assert found[name] == expected


def test_unknown_bots_are_not_found_and_the_key_is_required(world: World) -> None:
    for bot_id in ("6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", "not-a-uuid"):
        answer = world.api.get(f"/bot/{bot_id}/")
        assert (answer.status_code, answer.json()) == (404, {"detail": "Not found."})
    anonymous = httpx.post(world.sim.url + BOT_API_PREFIX + "/bot/", json={})
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "Authentication credentials were not provided."}
