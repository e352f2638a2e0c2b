"""``zoom-oauth-apps/``: the CRUD cycle, filters, timestamps and cursor pagination."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from recall_sim.simulator.recall import FakeRecall

ISO_MICROS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def _create(api: httpx.Client, client_id: str, kind: str = "user_level") -> dict[str, object]:
    response = api.post(
        "/zoom-oauth-apps/",
        json={"kind": kind, "client_id": client_id, "client_secret": "s", "webhook_secret": "w"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_create_answers_every_field_with_a_uuid4_and_iso_timestamp(api: httpx.Client) -> None:
    app = _create(api, "client-a")
    assert set(app) == {
        "id",
        "kind",
        "client_id",
        "client_secret",
        "webhook_secret",
        "webhook_last_validation",
        "created_at",
    }
    assert uuid.UUID(str(app["id"])).version == 4
    assert ISO_MICROS_Z.match(str(app["created_at"]))
    assert app["webhook_last_validation"] is None


def test_retrieve_patch_delete_cycle(api: httpx.Client) -> None:
    app = _create(api, "client-b")
    path = f"/zoom-oauth-apps/{app['id']}/"
    assert api.get(path).json() == app
    patched = api.patch(path, json={"client_secret": "new-secret", "client_id": "ignored"})
    assert patched.status_code == 200
    assert patched.json()["client_secret"] == "new-secret"
    assert patched.json()["client_id"] == "client-b"  # read-only after create
    assert api.patch(path, json={"webhook_secret": ""}).json() == {
        "webhook_secret": ["This field may not be blank."]
    }
    deleted = api.delete(path)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert api.get(path).status_code == 404
    assert api.delete(path).status_code == 404


def test_uuid_in_any_spelling_finds_the_app(api: httpx.Client) -> None:
    app_id = str(_create(api, "client-c")["id"])
    assert api.get(f"/zoom-oauth-apps/{app_id.upper()}/").status_code == 200
    assert api.get(f"/zoom-oauth-apps/{app_id.replace('-', '')}/").status_code == 200


def test_list_filters_by_client_id_kind_and_creation_time(
    api: httpx.Client, fake: FakeRecall
) -> None:
    a = _create(api, "client-x", "user_level")
    b = _create(api, "client-y", "account_level")
    ids = lambda response: [r["id"] for r in response.json()["results"]]  # noqa: E731
    assert ids(api.get("/zoom-oauth-apps/", params={"client_id": "client-y"})) == [b["id"]]
    assert ids(api.get("/zoom-oauth-apps/", params={"kind": "user_level"})) == [a["id"]]
    assert ids(api.get("/zoom-oauth-apps/")) == [b["id"], a["id"]]  # newest first
    created_b = datetime.fromisoformat(str(b["created_at"]))
    after = api.get("/zoom-oauth-apps/", params={"created_at_after": str(b["created_at"])})
    assert ids(after) == [b["id"]]
    before = (created_b - timedelta(microseconds=1)).astimezone(UTC).isoformat()
    assert ids(api.get("/zoom-oauth-apps/", params={"created_at_before": before})) == [a["id"]]


def test_list_filters_with_bad_values_answer_400_per_parameter(api: httpx.Client) -> None:
    response = api.get(
        "/zoom-oauth-apps/", params={"kind": "team", "created_at_after": "yesterday"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "kind": ["Select a valid choice. team is not one of the available choices."],
        "created_at_after": ["Enter a valid date/time."],
    }


def test_cursor_pagination_walks_forward_and_back_with_absolute_links(
    api: httpx.Client, fake: FakeRecall
) -> None:
    fake.configure(page_size=2)
    created = [str(_create(api, f"client-{i}")["id"]) for i in range(5)]
    newest_first = list(reversed(created))
    seen: list[str] = []
    pages = []
    url: str | None = "/zoom-oauth-apps/?kind=user_level"
    while url is not None and len(pages) < 10:
        page = api.get(url).json()
        pages.append(page)
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
        if url is not None:
            assert url.startswith(str(api.base_url).rstrip("/") + "/zoom-oauth-apps/?")
            assert "kind=user_level" in url
    assert seen == newest_first
    assert [len(p["results"]) for p in pages] == [2, 2, 1]
    assert pages[0]["previous"] is None
    back = api.get(pages[2]["previous"]).json()
    assert [r["id"] for r in back["results"]] == newest_first[2:4]
    first = api.get(back["previous"]).json()
    assert [r["id"] for r in first["results"]] == newest_first[:2]
    assert first["previous"] is None


def test_an_unknown_cursor_answers_404_invalid_cursor(api: httpx.Client) -> None:
    response = api.get("/zoom-oauth-apps/", params={"cursor": "not-a-cursor"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid cursor"}
