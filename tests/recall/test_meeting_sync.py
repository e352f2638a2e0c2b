"""Meeting sync: after a create the fake Recall uses the credential's token on the fake Zoom
(``/v2/users/me`` for the PMI, ``/v2/users/me/meetings``) and maps each meeting to the
credential; a token Zoom refuses, or none at all, fails the sync with a log naming why."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from recall_sim.simulator.clock import SYSTEM_CLOCK
from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.recall.errors import CredentialUnhealthy, NotFound
from recall_sim.simulator.recall.meeting_sync import MeetingSyncUnavailable
from recall_sim.simulator.recall.models import Credential, MeetingSyncStatus
from recall_sim.simulator.recall.queries import MeetingMappingQuery
from recall_sim.simulator.recall.zoom_client import ZoomClient
from recall_sim.simulator.serving import ThreadedServer
from tests.recall.meeting_support import SyncWorld, sync_world
from tests.support.mock_network import good_token_network
from tests.support.tokens import CLIENT_ID

JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


@pytest.fixture
def world() -> Iterator[SyncWorld]:
    with sync_world() as running:
        yield running


def _pmi(world: SyncWorld, user_id: str) -> int:
    user = world.sim.zoom.user(user_id)
    assert user is not None
    return user.pmi


def _mapped(world: SyncWorld, credential_id: str) -> set[int]:
    return {m["meeting_id"] for m in world.mappings(credential=credential_id)["results"]}


def test_a_create_answers_in_progress_then_the_sync_maps_the_meetings_and_the_pmi(
    world: SyncWorld,
) -> None:
    alice = world.user("alice")
    meetings = {world.sim.zoom.add_meeting(alice).id for _ in range(2)}
    created = world.create(alice)
    assert created["meeting_sync_status"] == "in_progress"
    settled = world.settled(created["id"])
    assert settled["meeting_sync_status"] == "completed"
    assert _mapped(world, created["id"]) == meetings | {_pmi(world, alice)}
    mapping = world.mappings(credential=created["id"])["results"][0]
    assert set(mapping) == {"meeting_id", "credential", "synced_at"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", mapping["synced_at"])
    assert world.logs(created["id"]) == []


def test_the_status_passes_through_in_progress_while_zoom_answers(world: SyncWorld) -> None:
    """A stalled Zoom holds the sync in_progress, visible in the credential's JSON."""
    alice = world.user("alice")
    released = asyncio.Event()
    loop_holder: list[asyncio.AbstractEventLoop] = []
    client = world.sim.recall.zoom
    assert client is not None

    class Stalling(ZoomClient):
        async def get_json(self, path, *, access_token, params=None):  # type: ignore[no-untyped-def]
            loop_holder.append(asyncio.get_running_loop())
            await released.wait()
            return await client.get_json(path, access_token=access_token, params=params)

    world.sim.recall.attach_zoom(Stalling(base_url="http://unused.invalid", clock=world.sim.clock))
    created = world.create(alice)
    assert created["meeting_sync_status"] == "in_progress"
    deadline = time.monotonic() + 10
    while not loop_holder:  # the sync has its token and waits on Zoom
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert world.credential(created["id"])["meeting_sync_status"] == "in_progress"
    world.sim.recall.attach_zoom(client)
    loop_holder[0].call_soon_threadsafe(released.set)
    assert world.settled(created["id"])["meeting_sync_status"] == "completed"


def test_sync_meetings_picks_up_new_meetings_and_drops_deleted_ones_with_a_later_synced_at(
    world: SyncWorld,
) -> None:
    alice = world.user("alice")
    created = world.create(alice)
    first = world.settled(created["id"])
    assert first["meeting_sync_status"] == "completed"
    before = world.mappings(credential=created["id"])["results"]
    assert len(before) == 1  # the PMI only: no meeting scheduled yet
    new = world.sim.zoom.add_meeting(alice).id
    world.sim.clock.advance(5)
    answer = world.api.post(f"/zoom-oauth-credentials/{created['id']}/sync-meetings/")
    assert answer.status_code == 200, answer.text
    assert answer.json()["meeting_sync_status"] == "completed"
    assert answer.json()["id"] == created["id"]
    after = world.mappings(credential=created["id"])["results"]
    assert {m["meeting_id"] for m in after} == {new, before[0]["meeting_id"]}
    assert all(m["synced_at"] > before[0]["synced_at"] for m in after)


def test_a_deauthorized_user_fails_the_sync_naming_zoom_error_and_endpoint_without_a_token(
    world: SyncWorld,
) -> None:
    """Recall has no inside view of Zoom: with the simulator's token-live grading detached,
    the callback's dead token is accepted, and Zoom's own 401 (code 124) fails the sync."""
    alice = world.user("alice")
    created = world.create(alice)
    assert world.settled(created["id"])["meeting_sync_status"] == "completed"
    mapped = _mapped(world, created["id"])
    world.sim.recall.attach_token_inspector(None)
    assert world.sim.zoom.deauthorize_user(alice) == 1
    answer = world.api.post(f"/zoom-oauth-credentials/{created['id']}/sync-meetings/")
    assert answer.status_code == 200, answer.text
    assert answer.json()["meeting_sync_status"] == "failed"
    logs = world.logs(created["id"])
    assert len(logs) == 1, logs
    assert "GET /v2/users/me" in logs[0]
    assert "124" in logs[0]
    assert "Invalid access token" in logs[0]
    assert not JWT.search(logs[0])
    assert world.callback.tokens[alice].access_token not in logs[0]
    assert _mapped(world, created["id"]) == mapped  # the last good sync's mappings stay


def test_a_token_that_cannot_be_obtained_fails_the_sync_naming_the_callbacks_failure(
    world: SyncWorld,
) -> None:
    """Inside the simulator the fake Recall sees the dead token at the callback already
    (contract.token-live), so it never reaches Zoom: the sync fails for want of a token."""
    alice = world.user("alice")
    created = world.create(alice)
    world.settled(created["id"])
    world.sim.zoom.deauthorize_user(alice)
    synced = world.sim.recall.sync_meetings(created["id"])
    assert synced.meeting_sync_status is MeetingSyncStatus.FAILED
    sync_logs = [m for m in world.logs(created["id"]) if m.startswith("Meeting sync failed")]
    assert len(sync_logs) == 1
    assert "no access token for the credential" in sync_logs[0]
    assert "contract.token-live" in sync_logs[0]
    assert not JWT.search(sync_logs[0])


def test_an_unhealthy_credential_is_refused_and_left_as_it_was(world: SyncWorld) -> None:
    alice = world.user("alice")
    created = world.create(alice)
    world.settled(created["id"])
    world.sim.recall.configure(unhealthy_after=1)
    world.callback.tokens.pop(alice)  # the callback answers 404 from now on
    assert not world.sim.recall.poll_now([created["id"]]).accepted
    assert world.credential(created["id"])["status"] == "unhealthy"
    answer = world.api.post(f"/zoom-oauth-credentials/{created['id']}/sync-meetings/")
    assert answer.status_code == 400
    assert "validate" in answer.json()["detail"]
    assert world.credential(created["id"])["meeting_sync_status"] == "completed"
    with pytest.raises(CredentialUnhealthy):
        world.sim.recall.sync_meetings(created["id"])


def test_sync_meetings_of_an_unknown_credential_is_404(world: SyncWorld) -> None:
    for bad in (str(uuid.uuid4()), "not-a-uuid"):
        answer = world.api.post(f"/zoom-oauth-credentials/{bad}/sync-meetings/")
        assert (answer.status_code, answer.json()) == (404, {"detail": "Not found."})


def test_deleting_a_credential_deletes_its_mappings_and_leaves_the_others(
    world: SyncWorld,
) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    world.sim.zoom.add_meeting(alice)
    world.sim.zoom.add_meeting(bob)
    a, b = world.create(alice)["id"], world.create(bob)["id"]
    world.settled(a)
    world.settled(b)
    assert len(world.mappings()["results"]) == 4
    assert world.api.delete(f"/zoom-oauth-credentials/{a}/").status_code == 204
    remaining = world.mappings()["results"]
    assert {m["credential"] for m in remaining} == {b}
    assert len(remaining) == 2


def test_reset_clears_the_mappings(world: SyncWorld) -> None:
    alice = world.user("alice")
    world.settled(world.create(alice)["id"])
    assert world.sim.recall.meeting_mappings().items
    world.sim.recall.reset()
    assert world.sim.recall.meeting_mappings().items == ()


def test_a_second_create_for_the_same_user_syncs_again(world: SyncWorld) -> None:
    alice = world.user("alice")
    first = world.create(alice)
    world.settled(first["id"])
    world.sim.zoom.add_meeting(alice)
    again = world.create(alice)
    assert again["id"] == first["id"]
    assert again["meeting_sync_status"] == "in_progress"
    world.settled(first["id"])
    assert len(_mapped(world, first["id"])) == 2


# Without a Zoom, or without a running fake: the status stays not_started.


@pytest.fixture
def standalone() -> Iterator[FakeRecall]:
    fake = FakeRecall(
        settings=RecallSettings(api_key="k" * 20, poll_interval=0), network=good_token_network()
    )
    yield fake
    fake.close()


def test_without_a_zoom_a_create_leaves_the_sync_not_started_and_sync_is_refused(
    standalone: FakeRecall,
) -> None:
    app = standalone.create_app(client_id=CLIENT_ID)

    async def served() -> None:
        async with standalone.running():
            created = await standalone.acreate_credential(
                oauth_app=app.id, access_token_callback_url="http://callback.invalid/cb"
            )
            assert created.credential.meeting_sync_status is MeetingSyncStatus.NOT_STARTED
            with pytest.raises(MeetingSyncUnavailable, match="has none"):
                await standalone.async_meetings(created.credential.id)

    asyncio.run(served())
    only = standalone.list_credentials().items[0]
    assert only.meeting_sync_status is MeetingSyncStatus.NOT_STARTED
    with pytest.raises(NotFound):
        standalone.sync_meetings(uuid.uuid4())


def test_without_a_zoom_the_endpoint_answers_400_saying_so(standalone: FakeRecall) -> None:
    from recall_sim.simulator.recall.api import build_recall_app

    app = standalone.create_app(client_id=CLIENT_ID)
    credential = standalone.create_credential(
        oauth_app=app.id, access_token_callback_url="http://callback.invalid/cb"
    ).credential
    with (
        ThreadedServer(build_recall_app(standalone)) as server,
        httpx.Client(base_url=server.url + "/api/v2", trust_env=False) as http,
    ):
        answer = http.post(
            f"/zoom-oauth-credentials/{credential.id}/sync-meetings/",
            headers={"Authorization": "Token " + "k" * 20},
        )
    assert answer.status_code == 400
    assert "Zoom" in answer.json()["detail"]
    assert standalone.get_credential(credential.id).meeting_sync_status.value == "not_started"


def test_a_create_outside_a_running_fake_does_not_start_a_sync(world: SyncWorld) -> None:
    """Background work needs the fake running (as the poller does): a blocking create from
    plain code, with the fake not served, leaves the sync to `sync_meetings`."""
    fake = FakeRecall(settings=RecallSettings(api_key="k" * 20, poll_interval=0))
    try:
        fake.attach_zoom(world.sim.recall.zoom)
        app = fake.create_app(client_id=world.sim.zoom.default_app.client_id)
        alice = world.user("alice")
        created = fake.create_credential(
            oauth_app=app.id, access_token_callback_url=world.url_for(alice)
        )
        assert created.credential.meeting_sync_status is MeetingSyncStatus.NOT_STARTED
        synced = fake.sync_meetings(created.credential.id)
        assert synced.meeting_sync_status is MeetingSyncStatus.COMPLETED
        page = fake.meeting_mappings(MeetingMappingQuery(credential=created.credential.id))
        assert [m.meeting_id for m in page.items] == [_pmi(world, alice)]
    finally:
        fake.close()


class _StalledZoom(ZoomClient):
    """A Zoom that never answers (a fault the fake Zoom's own stall would need 10 s for)."""

    def __init__(self) -> None:
        super().__init__(base_url="http://zoom.invalid", clock=SYSTEM_CLOCK)
        self.asked = asyncio.Event()

    async def get_json(self, path, *, access_token, params=None):  # type: ignore[no-untyped-def]
        self.asked.set()
        await asyncio.Event().wait()


def test_stopping_the_fake_fails_a_sync_in_flight_saying_so(standalone: FakeRecall) -> None:
    app = standalone.create_app(client_id=CLIENT_ID)
    zoom = _StalledZoom()
    standalone.attach_zoom(zoom)

    async def interrupted() -> uuid.UUID:
        async with standalone.running():
            created = await standalone.acreate_credential(
                oauth_app=app.id, access_token_callback_url="http://callback.invalid/cb"
            )
            assert created.credential.meeting_sync_status is MeetingSyncStatus.IN_PROGRESS
            await asyncio.wait_for(zoom.asked.wait(), 5)
        return created.credential.id

    credential_id = asyncio.run(interrupted())
    assert standalone.get_credential(credential_id).meeting_sync_status.value == "failed"
    [log] = standalone.credential_logs().items
    assert log.message == "Meeting sync failed: the fake Recall stopped while it ran"


def test_mappings_survive_a_restart_and_an_older_state_file_opens(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = FakeRecall(state_path=path)
    app = first.create_app(client_id=CLIENT_ID)
    credential = first.store.add_credential(
        Credential(
            id=uuid.uuid4(),
            oauth_app=app.id,
            access_token_callback_url="http://callback.invalid/cb",
            user_id="u1",
            account_id=None,
            created_at=1.0,
        )
    )
    assert credential
    [stored] = first.list_credentials().items
    assert first.store.replace_meeting_mappings(stored.id, [123, 456, 123], 1_700_000_000.5)
    first.close()
    again = FakeRecall(state_path=path)
    assert sorted(m.meeting_id for m in again.meeting_mappings().items) == [123, 456]
    again.close()
    # A state file written before meeting sync existed has no such table: it opens, and
    # gains it.
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE meeting_mappings")
    older = FakeRecall(state_path=path)
    assert older.meeting_mappings().items == ()
    assert older.store.replace_meeting_mappings(stored.id, [7], 2.0)
    assert not older.store.replace_meeting_mappings(uuid.uuid4(), [8], 2.0)
    assert [m.meeting_id for m in older.meeting_mappings().items] == [7]
    older.close()
