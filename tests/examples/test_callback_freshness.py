"""Refresh on demand against the fake Zoom: single flight, bounded waits, stale-but-valid
fallback, and a clear 503 when no valid token is left.

Zoom's tokens live an hour here, as in production; each test moves the reference's
clock to age the stored token to the point it needs."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from examples.reference_callback.tokens import MIN_VALIDITY, SERVE_GUARD
from recall_sim.simulator.testing import RunningSimulator
from recall_sim.simulator.zoom_jwt import decode_zoom_token
from tests.examples.conftest import Reference, StartReference


def age_tokens_to(ref: Reference, user_id: str, remaining: float) -> None:
    """Move the reference's clock so the user's stored token has ``remaining`` seconds left."""
    tokens = ref.service.store.tokens(user_id)
    assert tokens is not None
    ref.clock.offset = tokens.expires_at - remaining - time.time()


@pytest.fixture(autouse=True)
def hour_long_tokens(sim: RunningSimulator) -> None:
    sim.zoom.configure(access_token_lifetime=3600)


def refreshes(sim: RunningSimulator, since: int) -> int:
    return len(sim.zoom.journal(kind="refresh", outcome="ok", since=since))


async def burst(url: str, count: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(timeout=10, trust_env=False, limits=limits) as client:
        return await asyncio.gather(*(client.get(url) for _ in range(count)))


def test_fifty_concurrent_calls_with_no_servable_token_make_exactly_one_refresh(
    sim: RunningSimulator, start_reference: StartReference
):
    ref = start_reference()
    user_id = ref.connect("alice@example.com")
    url = ref.callback_url(user_id)
    old = httpx.get(url, trust_env=False).text
    age_tokens_to(ref, user_id, MIN_VALIDITY)  # under the serving floor: every call must wait
    seq = sim.zoom.journal_seq
    answers = asyncio.run(burst(url, 50))
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert answers[0].text != old
    assert refreshes(sim, seq) == 1
    assert sim.zoom.refresh_token_reuses() == []


def test_fifty_concurrent_calls_with_a_servable_token_get_it_at_once_and_refresh_once(
    sim: RunningSimulator, start_reference: StartReference
):
    ref = start_reference()
    user_id = ref.connect("alice@example.com")
    url = ref.callback_url(user_id)
    old = httpx.get(url, trust_env=False).text
    age_tokens_to(ref, user_id, 250)  # under the 300 s margin, far above the floor
    seq = sim.zoom.journal_seq
    answers = asyncio.run(burst(url, 50))
    deadline = time.monotonic() + 5
    while refreshes(sim, seq) < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    new = httpx.get(url, trust_env=False).text
    assert new != old  # the background refresh landed
    assert {a.status_code for a in answers} == {200}
    assert {a.text for a in answers} <= {old, new}
    assert old in {a.text for a in answers}  # the call that started the refresh did not wait
    assert refreshes(sim, seq) == 1
    assert sim.zoom.refresh_token_reuses() == []


def test_a_failed_refresh_serves_the_old_token_while_it_has_at_least_120_s(
    sim: RunningSimulator, start_reference: StartReference
):
    ref = start_reference()
    user_id = ref.connect("alice@example.com")
    url = ref.callback_url(user_id)
    old = httpx.get(url, trust_env=False).text
    sim.zoom.inject_fault("server_error", count=1000)
    age_tokens_to(ref, user_id, MIN_VALIDITY + SERVE_GUARD + 10)
    seq = sim.zoom.journal_seq
    answer = httpx.get(url, trust_env=False)
    assert (answer.status_code, answer.text) == (200, old)
    time.sleep(0.3)  # the background refresh meets the fault
    assert len(sim.zoom.journal(kind="fault", since=seq)) >= 1
    assert httpx.get(url, trust_env=False).text == old

    age_tokens_to(ref, user_id, MIN_VALIDITY + 1)  # valid for Recall, but not with our guard
    answer = httpx.get(url, trust_env=False)
    assert (answer.status_code, answer.text) == (503, "token unavailable")
    assert answer.headers["cache-control"] == "no-store"

    sim.zoom.clear_faults()
    recovered = httpx.get(url, trust_env=False)
    assert recovered.status_code == 200
    assert recovered.text != old
    assert decode_zoom_token(recovered.text).exp - time.time() >= MIN_VALIDITY
    assert sim.zoom.refresh_token_reuses() == []


def test_a_stalled_zoom_gets_a_503_within_the_budget_then_recovery(
    sim: RunningSimulator, start_reference: StartReference
):
    ref = start_reference()
    user_id = ref.connect("alice@example.com")
    url = ref.callback_url(user_id)
    sim.zoom.inject_fault("stall", count=1000, seconds=6.0)
    age_tokens_to(ref, user_id, MIN_VALIDITY)
    started = time.monotonic()
    answer = httpx.get(url, timeout=10, trust_env=False)
    took = time.monotonic() - started
    assert (answer.status_code, answer.text) == (503, "token unavailable")
    # The Zoom call is cut at ZOOM_TIMEOUT (2.5 s), well inside Recall's 5 s.
    assert 2.0 < took < 4.0, took
    sim.zoom.clear_faults()
    time.sleep(0.2)
    recovered = httpx.get(url, timeout=10, trust_env=False)
    assert recovered.status_code == 200
    assert sim.zoom.refresh_token_reuses() == []


def test_a_revoked_grant_stops_refreshing_until_the_user_reconnects(
    sim: RunningSimulator, start_reference: StartReference
):
    ref = start_reference()
    user_id = ref.connect("alice@example.com")
    url = ref.callback_url(user_id)
    sim.zoom.deauthorize_user(user_id)
    age_tokens_to(ref, user_id, MIN_VALIDITY)
    # 404, not a 5xx Recall would retry: the user removed the app (freshness.deauthorized-user).
    assert httpx.get(url, trust_env=False).status_code == 404
    seq = sim.zoom.journal_seq
    assert httpx.get(url, trust_env=False).status_code == 404
    assert sim.zoom.journal(kind="refresh", since=seq) == []  # the refused token rests

    assert ref.connect("alice@example.com") == user_id
    ref.clock.offset = 0
    assert httpx.get(url, trust_env=False).status_code == 200
