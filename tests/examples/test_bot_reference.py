"""A bot created through the fake Recall's API with the reference callback's OBF, ZAK and
join-token URLs joins and records (SPEC §7): each URL is called once, signed, and every
token is one the fake Zoom minted for that call."""

from __future__ import annotations

import time
from typing import Any

import httpx

from recall_sim.simulator.recall.api import BOT_API_PREFIX
from recall_sim.simulator.testing import RunningSimulator
from tests.examples.conftest import WHSEC, StartReference

FINAL = {"in_call_recording", "fatal"}


def _finished(api: httpx.Client, bot_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        bot: dict[str, Any] = api.get(f"/bot/{bot_id}/").json()
        codes = [change["code"] for change in bot["status_changes"]]
        if codes and codes[-1] in FINAL:
            return bot
        assert time.monotonic() < deadline, f"the bot never finished joining: {bot}"
        time.sleep(0.05)


def test_a_bot_with_the_references_three_urls_ends_in_call_recording(
    sim: RunningSimulator, start_reference: StartReference
) -> None:
    sim.recall.configure(verification_secret=WHSEC)
    reference = start_reference(verification_secret=WHSEC)
    user_id = reference.connect("bea@example.com")
    meeting = sim.zoom.add_meeting(user_id, topic="Recorded")
    urls = reference.bot_token_urls(user_id, str(meeting.id))
    zoom = {
        "obf_token_url": urls["obf"],
        "zak_url": urls["zak"],
        "join_token_url": urls["join-token"],
    }
    headers = {"Authorization": f"Token {sim.recall.settings.api_key}"}

    with httpx.Client(base_url=sim.url + BOT_API_PREFIX, headers=headers, timeout=10) as api:
        created = api.post(
            "/bot/", json={"meeting_url": f"https://zoom.us/j/{meeting.id}", "zoom": zoom}
        )
        assert created.status_code == 201, created.text
        bot = _finished(api, created.json()["id"])

    assert [c["code"] for c in bot["status_changes"]] == ["joining_call", "in_call_recording"], bot
    calls = sim.recall.calls(bot=bot["id"])
    assert [c.purpose.value for c in calls] == ["bot_obf", "bot_zak", "bot_join_token"]
    assert all(c.accepted and c.signed for c in calls), [c.to_json() for c in calls]
    obf = sim.zoom.minted_tokens("onbehalf")
    assert [(m.user_id, m.uses) for m in obf] == [(user_id, 1)]
    (join,) = sim.zoom.minted_tokens("local_recording")
    assert join.meeting_id == str(meeting.id)
