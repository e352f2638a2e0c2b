"""The virtual clock stays where every timestamp can be shown (1970..9999)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from recall_sim.simulator.clock import LATEST_INSTANT, VirtualClock

START = 1_800_000_000.0


@pytest.mark.parametrize("seconds", [1e300, LATEST_INSTANT, -START - 1])
def test_advancing_out_of_range_raises_and_moves_nothing(seconds: float) -> None:
    for frozen in (True, False):
        clock = VirtualClock(start=START, frozen=frozen)
        before = clock.offset
        with pytest.raises(ValueError, match=r"outside 1970-01-01\.\.9999-12-31"):
            clock.advance(seconds)
        assert clock.offset == pytest.approx(before, abs=1.0)


@pytest.mark.parametrize("instant", [-1.0, LATEST_INSTANT + 1, 1e300])
def test_setting_out_of_range_raises(instant: float) -> None:
    clock = VirtualClock(start=START, frozen=True)
    with pytest.raises(ValueError, match="outside"):
        clock.set(instant)
    assert clock.now() == pytest.approx(START, abs=1e-3)


def test_the_clock_controls_answer_400_and_the_journals_still_read(client: TestClient) -> None:
    far = client.post("/_sim/clock/advance", json={"seconds": 1e300})
    assert far.status_code == 400
    assert "outside 1970-01-01..9999-12-31" in far.json()["detail"]
    assert client.post("/_sim/clock/set", json={"now": 1e13}).status_code == 400
    assert client.get("/_sim/zoom/journal").status_code == 200
    assert client.get("/_sim/recall/journal").status_code == 200
