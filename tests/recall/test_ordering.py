"""``?ordering=created_at`` / ``-created_at`` on every list, as DRF's OrderingFilter does it:
the default order unchanged (newest first), unknown terms ignored rather than refused,
and cursor pages that walk the same order forwards and backwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.recall.models import AppLog, CredentialLog
from recall_sim.simulator.recall.pagination import Cursor, Page, paginate
from tests.recall.conftest import API_KEY, FAST_DEADLINE
from tests.recall.support import register

PAGE = 2
COUNT = 5  # three pages of two: the middle one has both links
PATHS = [
    "/zoom-oauth-apps/",
    "/zoom-oauth-credentials/",
    "/zoom-oauth-credential-logs/",
    "/zoom-oauth-app-logs/",
]
# Per list: the parameter that keeps other records out, and the field telling records apart.
Listing = tuple[dict[str, str], str, list[str]]


@pytest.fixture
def settings() -> RecallSettings:
    return RecallSettings(
        api_key=API_KEY, poll_interval=0, callback_deadline=FAST_DEADLINE, page_size=PAGE
    )


@pytest.fixture
def lists(
    api: httpx.Client, fake: FakeRecall, app_id: str, callback_url: Callable[[str], str]
) -> dict[str, Listing]:
    """Per list path: a filter selecting COUNT records, the field that tells them apart,
    and its values in creation order."""
    apps = [
        str(fake.create_app(client_id=f"client-{n}", kind="account_level").id) for n in range(COUNT)
    ]
    credentials = [register(fake, app_id, callback_url(f"user-{n}")) for n in range(COUNT)]
    credential = fake.get_credential(credentials[0]).id
    app = fake.get_app(apps[0]).id
    # Stamped in insertion order, as records are.
    credential_logs = [f"call {n} failed" for n in range(COUNT)]
    for n, message in enumerate(credential_logs):
        fake.store.add_credential_log(CredentialLog(credential, message, 1.7e9 + n))
    app_logs = [f"create {n} rejected" for n in range(COUNT)]
    for n, message in enumerate(app_logs):
        fake.store.add_app_log(AppLog(app, message, 1.7e9 + n))
    return {
        "/zoom-oauth-apps/": ({"kind": "account_level"}, "id", apps),
        "/zoom-oauth-credentials/": ({"oauth_app": app_id}, "id", credentials),
        "/zoom-oauth-credential-logs/": (
            {"credential": str(credential)},
            "message",
            credential_logs,
        ),
        "/zoom-oauth-app-logs/": ({"oauth_app": str(app)}, "message", app_logs),
    }


def _keys(body: dict[str, Any], key: str) -> list[str]:
    return [str(item[key]) for item in body["results"]]


def _walk(api: httpx.Client, path: str, params: dict[str, str], key: str) -> list[list[str]]:
    """The pages following ``next`` from the first to the last, then ``previous`` back to
    the first: every page's keys, in the order visited."""
    body = api.get(path, params=params).json()
    assert body["previous"] is None
    pages = [_keys(body, key)]
    while body["next"]:
        body = api.get(body["next"]).json()
        pages.append(_keys(body, key))
    while body["previous"]:
        body = api.get(body["previous"]).json()
        pages.append(_keys(body, key))
    return pages


@pytest.mark.parametrize("path", PATHS)
def test_the_default_order_is_newest_first(
    api: httpx.Client, lists: dict[str, Listing], path: str
) -> None:
    params, key, created = lists[path]
    unordered = [k for page in _walk(api, path, params, key)[:3] for k in page]
    assert unordered == created[::-1]
    explicit = _walk(api, path, {**params, "ordering": "-created_at"}, key)
    assert explicit == _walk(api, path, params, key)


@pytest.mark.parametrize("path", PATHS)
def test_created_at_orders_oldest_first(
    api: httpx.Client, lists: dict[str, Listing], path: str
) -> None:
    params, key, created = lists[path]
    pages = _walk(api, path, {**params, "ordering": "created_at"}, key)
    assert [k for page in pages[:3] for k in page] == created


@pytest.mark.parametrize("ordering", ["created_at", "-created_at"])
@pytest.mark.parametrize("path", PATHS)
def test_cursor_pages_walk_the_same_order_both_ways(
    api: httpx.Client, lists: dict[str, Listing], path: str, ordering: str
) -> None:
    params, key, created = lists[path]
    expected = created if ordering == "created_at" else created[::-1]
    pages = _walk(api, path, {**params, "ordering": ordering}, key)
    # Forwards: [0:2], [2:4], [4:5]; then back through the middle page to the first.
    assert pages == [expected[0:2], expected[2:4], expected[4:5], expected[2:4], expected[0:2]]


def test_links_keep_the_ordering(api: httpx.Client, lists: dict[str, Listing]) -> None:
    body = api.get("/zoom-oauth-apps/", params={"kind": "account_level", "ordering": "created_at"})
    following = api.get(body.json()["next"])
    assert "ordering=created_at" in following.json()["previous"]
    assert "ordering=created_at" in following.json()["next"]


@pytest.mark.parametrize(
    ("ordering", "oldest_first"),
    [
        ("", False),
        ("foo", False),
        ("--created_at", False),
        ("id", False),  # a real field, but not one the lists may be ordered by
        ("foo,created_at", True),
        (" created_at ", True),
        ("created_at,-created_at", True),  # the first known term decides
        ("-created_at,created_at", False),
    ],
)
@pytest.mark.parametrize("path", PATHS)
def test_unknown_ordering_terms_are_ignored_as_drf_does(
    api: httpx.Client, lists: dict[str, Listing], path: str, ordering: str, oldest_first: bool
) -> None:
    params, key, created = lists[path]
    response = api.get(path, params={**params, "ordering": ordering})
    assert response.status_code == 200, response.text
    expected = created if oldest_first else created[::-1]
    assert _keys(response.json(), key) == expected[:PAGE]


def _fetch_from(records: list[int]) -> Callable[[int | None, int | None, bool, int], list[Any]]:
    """A store over sequence numbers ``records`` (as `RecallStore` would fetch them)."""

    def fetch(older: int | None, newer: int | None, newest_first: bool, limit: int) -> list[Any]:
        rows = [r for r in records if (older is None or r < older) and (newer is None or r > newer)]
        rows.sort(reverse=newest_first)
        return [(r, r) for r in rows[:limit]]

    return fetch


@pytest.mark.parametrize("newest_first", [True, False])
def test_paginate_steps_through_either_order_and_back(newest_first: bool) -> None:
    records = [3, 5, 8, 13, 21, 34, 55]
    fetch = _fetch_from(records)
    expected = sorted(records, reverse=newest_first)
    seen: list[Page[int]] = [paginate(fetch, cursor=None, size=3, newest_first=newest_first)]
    while seen[-1].next is not None:
        seen.append(paginate(fetch, cursor=seen[-1].next, size=3, newest_first=newest_first))
    assert [list(page.items) for page in seen] == [expected[0:3], expected[3:6], expected[6:7]]
    back = seen[-1].previous
    assert back == Cursor(expected[6], reverse=True)
    middle = paginate(fetch, cursor=back, size=3, newest_first=newest_first)
    assert list(middle.items) == expected[3:6]
    first = paginate(fetch, cursor=middle.previous, size=3, newest_first=newest_first)
    assert list(first.items) == expected[0:3]
    assert first.previous is None
