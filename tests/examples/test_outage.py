"""Zoom's token endpoint failing for 10 s, with the demo's 130 s tokens: no answer from the
reference is a 2xx without a valid token, each comes within budget, and it recovers."""

from __future__ import annotations

import time

import pytest

from recall_sim.simulator.judge import judge
from recall_sim.simulator.prober import probe
from recall_sim.simulator.testing import RunningSimulator
from tests.examples.conftest import StartReference

pytestmark = pytest.mark.slow

OUTAGE = 10.0


def test_ten_seconds_of_token_endpoint_failures(
    sim: RunningSimulator, start_reference: StartReference
):
    ref = start_reference()
    user_id = ref.connect("alice@example.com")
    url = ref.callback_url(user_id)
    client_id = sim.zoom.default_app.client_id
    seq = sim.zoom.journal_seq
    sim.zoom.inject_fault("server_error", count=10_000)
    statuses = []
    started = time.monotonic()
    while time.monotonic() - started < OUTAGE:
        observation = probe(url)
        judged = judge(observation, client_id=client_id, expected_user_id=user_id)
        statuses.append(observation.status)
        assert observation.timings.total < 5.0
        assert observation.status is not None
        if 200 <= observation.status < 300:
            assert judged.accepted, [v.detail for v in judged.failures]
        else:
            assert (observation.status, observation.body) == (503, b"token unavailable")
        time.sleep(0.5)
    sim.zoom.clear_faults()
    # The cached token ran out within the outage: the callback answered 503 from then on.
    assert statuses[0] == 200 and statuses[-1] == 503, statuses
    assert len(sim.zoom.journal(kind="fault", since=seq)) >= 1

    recovered = probe(url)
    assert judge(recovered, client_id=client_id, expected_user_id=user_id).accepted
    assert sim.zoom.refresh_token_reuses() == []
