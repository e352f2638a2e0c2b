"""Every injected fault, observed by a client over real sockets, and cleared after its count."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from recall_sim.simulator.testing import RunningSimulator
from recall_sim.simulator.zoom import EventKind, Outcome
from tests.zoom import flows


@pytest.fixture
def http(recall_sim: RunningSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=recall_sim.url, trust_env=False, timeout=5) as client:
        yield client


@pytest.fixture
def refresh_token(http: httpx.Client) -> str:
    return flows.onboard(http)["refresh_token"]


def _fault_events(sim: RunningSimulator) -> list[str | None]:
    return [e.fault for e in sim.zoom.journal(kind=EventKind.FAULT)]


def test_server_error_for_the_next_n_requests(
    recall_sim: RunningSimulator, http: httpx.Client, refresh_token: str
) -> None:
    recall_sim.zoom.inject_fault("server_error", count=2)

    first = flows.refresh(http, refresh_token)
    second = flows.refresh(http, refresh_token)
    third = flows.refresh(http, refresh_token)

    assert [first.status_code, second.status_code, third.status_code] == [500, 500, 200]
    assert first.json() == {"reason": "Internal Error", "error": "server_error"}
    # The faulted requests were never processed, so the refresh token was still unspent.
    assert recall_sim.zoom.refresh_token_reuses() == []
    assert _fault_events(recall_sim) == ["server_error", "server_error"]
    assert recall_sim.zoom.faults() == []


def test_rate_limited_with_retry_after(
    recall_sim: RunningSimulator, http: httpx.Client, refresh_token: str
) -> None:
    # Through the HTTP control, as a test in another language would.
    http.post("/_sim/zoom/faults", json={"kind": "rate_limited", "retry_after": 7})

    limited = flows.refresh(http, refresh_token)
    after = flows.refresh(http, refresh_token)

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.json()["code"] == 429
    assert after.status_code == 200


def test_malformed_body(
    recall_sim: RunningSimulator, http: httpx.Client, refresh_token: str
) -> None:
    recall_sim.zoom.inject_fault("malformed_body")

    broken = flows.refresh(http, refresh_token)
    after = flows.refresh(http, refresh_token)

    assert broken.status_code == 200
    assert broken.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    assert after.json()["token_type"] == "bearer"


def test_drop_connection(
    recall_sim: RunningSimulator, http: httpx.Client, refresh_token: str
) -> None:
    recall_sim.zoom.inject_fault("drop_connection", count=2)

    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            flows.refresh(http, refresh_token)
    after = flows.refresh(http, refresh_token)

    assert after.status_code == 200
    assert _fault_events(recall_sim) == ["drop_connection", "drop_connection"]


def test_stall_delays_then_answers(
    recall_sim: RunningSimulator, http: httpx.Client, refresh_token: str
) -> None:
    recall_sim.zoom.inject_fault("stall", seconds=0.5)

    started = time.monotonic()
    stalled = flows.refresh(http, refresh_token)
    stalled_for = time.monotonic() - started
    started = time.monotonic()
    after = flows.refresh(http, stalled.json()["refresh_token"])
    after_took = time.monotonic() - started

    assert stalled.status_code == 200 and stalled_for >= 0.45
    assert after.status_code == 200 and after_took < 0.4


def test_a_stalled_request_whose_client_gave_up_is_not_processed(
    recall_sim: RunningSimulator, http: httpx.Client, refresh_token: str
) -> None:
    recall_sim.zoom.inject_fault("stall", seconds=0.6)

    impatient = httpx.Client(base_url=recall_sim.url, trust_env=False, timeout=0.2)
    with impatient, pytest.raises(httpx.ReadTimeout):
        flows.refresh(impatient, refresh_token)
    deadline = time.monotonic() + 3
    while not recall_sim.zoom.journal(outcome=Outcome.ABANDONED):
        assert time.monotonic() < deadline, "the stalled request never finished"
        time.sleep(0.05)

    assert flows.refresh(http, refresh_token).status_code == 200
    assert recall_sim.zoom.refresh_token_reuses() == []


def test_seeded_probabilistic_faults_replay_exactly(
    recall_sim: RunningSimulator, http: httpx.Client
) -> None:
    def statuses() -> list[int]:
        recall_sim.zoom.inject_fault("server_error", count=12, probability=0.5, seed=42)
        # Refused for a bad client unless faulted: 401 or 500, never spending anything.
        codes = [flows.refresh(http, "x", auth=("nobody", "nope")).status_code for _ in range(12)]
        assert recall_sim.zoom.faults() == []
        return codes

    first, second = statuses(), statuses()

    assert first == second
    assert set(first) == {401, 500}
