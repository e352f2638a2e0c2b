"""Both journals show ``at`` in one format, Recall's, and ``since`` takes it back."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.recall.api import build_recall_app
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.timestamps import iso_timestamp, parse_iso_timestamp
from recall_sim.simulator.zoom import FakeZoom
from tests.recall.conftest import API_KEY, FAST_DEADLINE
from tests.recall.support import Callbacks
from tests.support.tokens import CLIENT_ID

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _instant_that_rounds_up() -> float:
    """A time now-ish whose microsecond rounding moves it later, as ``at`` shows it."""
    instant = float(int(time.time())) + 0.0000007
    assert round(instant * 1_000_000) / 1_000_000 > instant
    return instant


@pytest.fixture
def frozen() -> VirtualClock:
    clock = VirtualClock(frozen=True)
    clock.set(_instant_that_rounds_up())  # exactly: a frozen clock keeps what it is set to
    return clock


@pytest.fixture
def recall(frozen: VirtualClock) -> Iterator[FakeRecall]:
    settings = RecallSettings(api_key=API_KEY, poll_interval=0, callback_deadline=FAST_DEADLINE)
    fake = FakeRecall(settings=settings, clock=frozen)
    yield fake
    fake.close()


def test_both_journals_show_at_as_iso_8601_z_read_by_one_parser(
    frozen: VirtualClock,
    recall: FakeRecall,
    callbacks: Callbacks,
    callback_url: Callable[[str], str],
) -> None:
    zoom = FakeZoom(clock=frozen)
    zoom.issue_tokens()
    app = recall.create_app(client_id=CLIENT_ID)
    recall.create_credential(oauth_app=app.id, access_token_callback_url=callback_url("jan"))
    zoom_at = zoom.journal()[-1].to_json()["at"]
    recall_at = recall.calls()[-1].to_json()["at"]
    for shown in (zoom_at, recall_at):
        assert isinstance(shown, str) and ISO_Z.fullmatch(shown), shown
        assert round(parse_iso_timestamp(shown) * 1e6) == round(frozen.now() * 1e6)
    assert zoom_at == recall_at == iso_timestamp(frozen.now())  # one clock, one format


def test_a_calls_own_at_passed_as_since_finds_it(
    recall: FakeRecall, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    app = recall.create_app(client_id=CLIENT_ID)
    recall.create_credential(oauth_app=app.id, access_token_callback_url=callback_url("kim"))
    [call] = recall.calls()
    at = call.to_json()["at"]
    assert parse_iso_timestamp(at) > call.at  # shown rounded up: the case that matters
    assert recall.calls(since_time=parse_iso_timestamp(at)) == [call]
    with (
        ThreadedServer(build_recall_app(recall)) as server,
        httpx.Client(base_url=server.url + "/_sim/recall", timeout=20) as control,
    ):
        journal = control.get("/journal", params={"since": at})
        assert journal.status_code == 200, journal.text
        assert [c["seq"] for c in journal.json()["calls"]] == [call.seq]
        later = iso_timestamp(call.at + 0.001)
        assert control.get("/journal", params={"since": later}).json()["calls"] == []
