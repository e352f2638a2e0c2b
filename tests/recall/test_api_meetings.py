"""``GET /api/v2/zoom-meetings-to-credentials/``: Recall's shape, each filter, DRF's 400s,
cursor pagination like the other lists, OPTIONS; and ``sync-meetings/`` in the schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from recall_sim.simulator.recall.models import iso_timestamp
from tests.recall.meeting_support import SyncWorld, sync_world

PAGE = 2


@pytest.fixture(scope="module")
def world() -> Iterator[SyncWorld]:
    """Alice (2 meetings + PMI) synced at t0, Bob (1 meeting + PMI) synced 60 s later."""
    with sync_world(page_size=PAGE) as running:
        alice, bob = running.user("alice"), running.user("bob")
        running.sim.zoom.add_meeting(alice)
        running.sim.zoom.add_meeting(alice)
        running.sim.zoom.add_meeting(bob)
        a = running.create(alice)["id"]
        assert running.settled(a)["meeting_sync_status"] == "completed"
        running.sim.clock.advance(60)
        b = running.create(bob)["id"]
        assert running.settled(b)["meeting_sync_status"] == "completed"
        running.ids = {"alice": a, "bob": b}  # type: ignore[attr-defined]
        yield running


def _ids(world: SyncWorld) -> dict[str, str]:
    ids: dict[str, str] = world.ids  # type: ignore[attr-defined]
    return ids


def _all(world: SyncWorld, **params: str) -> list[dict[str, Any]]:
    """Every result, following ``next`` links."""
    results: list[dict[str, Any]] = []
    answer = world.api.get("/zoom-meetings-to-credentials/", params=params)
    while True:
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["results"]) <= PAGE
        results.extend(body["results"])
        if body["next"] is None:
            return results
        answer = world.api.get(body["next"])


def test_every_mapping_is_listed_once_across_pages_latest_sync_first(world: SyncWorld) -> None:
    results = _all(world)
    assert len(results) == 5
    assert len({(r["credential"], r["meeting_id"]) for r in results}) == 5
    ids = _ids(world)
    assert [r["credential"] for r in results[:2]] == [ids["bob"]] * 2
    synced = [r["synced_at"] for r in results]
    assert synced == sorted(synced, reverse=True)
    oldest_first = _all(world, ordering="synced_at")
    assert [r["synced_at"] for r in oldest_first] == sorted(synced)


def test_previous_links_walk_back(world: SyncWorld) -> None:
    first = world.mappings()
    second = world.api.get(first["next"]).json()
    assert second["previous"] is not None
    back = world.api.get(second["previous"]).json()
    assert back["results"] == first["results"]


def test_filter_by_credential(world: SyncWorld) -> None:
    ids = _ids(world)
    alice = _all(world, credential=ids["alice"])
    assert len(alice) == 3
    assert {r["credential"] for r in alice} == {ids["alice"]}


def test_filter_by_meeting_id_as_a_number(world: SyncWorld) -> None:
    bob = _all(world, credential=_ids(world)["bob"])
    meeting_id = bob[0]["meeting_id"]
    assert _all(world, meeting_id=str(meeting_id)) == [bob[0]]
    assert _all(world, meeting_id=f"{meeting_id}.0") == [bob[0]]
    assert _all(world, meeting_id=f"{meeting_id}.5") == []
    assert _all(world, meeting_id="1e999999") == []
    assert len(_all(world, meeting_id="")) == 5  # empty: no filter, as django-filter


def test_filter_by_synced_at_range(world: SyncWorld) -> None:
    results = _all(world)
    bob_synced = results[0]["synced_at"]
    alice_synced = results[-1]["synced_at"]
    assert bob_synced != alice_synced
    after = _all(world, synced_at_after=bob_synced)
    assert {r["credential"] for r in after} == {_ids(world)["bob"]}
    before = _all(world, synced_at_before=alice_synced)
    assert {r["credential"] for r in before} == {_ids(world)["alice"]}
    both = _all(world, synced_at_after=alice_synced, synced_at_before=bob_synced)
    assert len(both) == 5
    later = iso_timestamp(world.sim.clock.now() + 3600)
    assert _all(world, synced_at_after=later) == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("meeting_id", "abc", "Enter a number."),
        ("meeting_id", "NaN", "Enter a number."),
        ("synced_at_after", "yesterday", "Enter a valid date/time."),
        ("synced_at_before", "2024-13-01", "Enter a valid date/time."),
        (
            "credential",
            "not-a-uuid",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            "credential",
            "00000000-0000-4000-8000-000000000000",
            "Select a valid choice. That choice is not one of the available choices.",
        ),
    ],
)
def test_bad_filters_answer_drf_400s_naming_the_field(
    world: SyncWorld, name: str, value: str, message: str
) -> None:
    answer = world.api.get("/zoom-meetings-to-credentials/", params={name: value})
    assert (answer.status_code, answer.json()) == (400, {name: [message]})


def test_every_bad_filter_is_named_at_once(world: SyncWorld) -> None:
    answer = world.api.get(
        "/zoom-meetings-to-credentials/",
        params={"meeting_id": "x", "synced_at_after": "y", "credential": "z"},
    )
    assert answer.status_code == 400
    assert set(answer.json()) == {"meeting_id", "synced_at_after", "credential"}


def test_a_cursor_not_handed_out_is_404(world: SyncWorld) -> None:
    answer = world.api.get("/zoom-meetings-to-credentials/", params={"cursor": "bogus"})
    assert (answer.status_code, answer.json()) == (404, {"detail": "Invalid cursor"})


def test_auth_options_and_methods_like_the_other_lists(world: SyncWorld) -> None:
    with httpx.Client(base_url=world.url + "/api/v2", trust_env=False) as anonymous:
        answer = anonymous.get("/zoom-meetings-to-credentials/")
    assert answer.status_code == 401
    assert answer.json() == {"detail": "Authentication credentials were not provided."}
    options = world.api.options("/zoom-meetings-to-credentials/")
    assert options.status_code == 200
    assert options.headers["allow"] == "GET, HEAD, OPTIONS"
    assert options.json()["name"] == "Zoom Meeting To Credential List"
    refused = world.api.post("/zoom-meetings-to-credentials/")
    assert refused.status_code == 405
    sync = world.api.options(f"/zoom-oauth-credentials/{_ids(world)['alice']}/sync-meetings/")
    assert sync.headers["allow"] == "POST, OPTIONS"
    assert (
        world.api.get(f"/zoom-oauth-credentials/{_ids(world)['alice']}/sync-meetings/").status_code
        == 405
    )


def test_the_list_counts_against_the_list_rate_limit(world: SyncWorld) -> None:
    world.sim.recall.configure(rate_limits=True, list_rate_limit_per_minute=1)
    try:
        world.sim.recall.rate_limiter.reset()
        assert world.api.get("/zoom-meetings-to-credentials/").status_code == 200
        throttled = world.api.get("/zoom-meetings-to-credentials/")
        assert throttled.status_code == 429
        assert "Retry-After" in throttled.headers
    finally:
        world.sim.recall.configure(rate_limits=False)
        world.sim.recall.rate_limiter.reset()


def test_the_served_schema_documents_both_endpoints_with_models(world: SyncWorld) -> None:
    schema = world.api.get("/openapi.json").json()
    listing = schema["paths"]["/zoom-meetings-to-credentials/"]["get"]
    assert listing["operationId"] == "zoom_meetings_to_credentials_list"
    documented = {p["name"] for p in listing["parameters"]}
    assert documented == {
        "credential",
        "meeting_id",
        "synced_at_after",
        "synced_at_before",
        "ordering",
        "cursor",
    }
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert page.endswith("/PaginatedZoomMeetingToCredentialList")
    item = schema["components"]["schemas"]["ZoomMeetingToCredential"]
    assert set(item["properties"]) == {"meeting_id", "credential", "synced_at"}
    assert item["properties"]["meeting_id"]["type"] == "integer"
    sync = schema["paths"]["/zoom-oauth-credentials/{id}/sync-meetings/"]["post"]
    body = sync["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/ZoomOauthCredential")
    assert {"400", "401", "404", "429"} <= set(sync["responses"])
