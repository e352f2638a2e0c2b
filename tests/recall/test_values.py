"""The plain-Python parts without HTTP: settings, cursors and paging, timestamps, the store,
the rate limiter."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recall_sim.simulator.recall import (
    AppKind,
    AppLog,
    Credential,
    CredentialLog,
    CredentialQuery,
    CredentialStatus,
    DuplicatePolicy,
    InvalidCursor,
    OAuthApp,
    RecallSettings,
)
from recall_sim.simulator.recall.models import iso_timestamp, to_microseconds
from recall_sim.simulator.recall.pagination import Cursor, decode_cursor, encode_cursor, paginate
from recall_sim.simulator.recall.queries import AppLogQuery, AppQuery, CredentialLogQuery
from recall_sim.simulator.recall.ratelimit import RateLimiter
from recall_sim.simulator.recall.store import RecallStore

# settings


def test_default_settings_are_recalls() -> None:
    settings = RecallSettings()
    assert settings.callback_deadline == 5.0
    assert settings.unhealthy_after == 3
    assert settings.duplicate_credentials is DuplicatePolicy.UPDATE
    assert settings.rate_limits is False
    assert (settings.rate_limit_per_minute, settings.list_rate_limit_per_minute) == (300, 60)
    assert len(settings.api_key) == 40
    assert RecallSettings().api_key != settings.api_key  # random per workspace


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"callback_deadline": 0}, "callback_deadline must be in (0, 120] seconds, got 0"),
        ({"poll_interval": -1}, "poll_interval must be between 0 and one year"),
        ({"poll_jitter": "soon"}, "poll_jitter must be a number of seconds, got 'soon'"),
        ({"poll_concurrency": 0}, "poll_concurrency must be a whole number in [1, "),
        ({"page_size": True}, "page_size must be a whole number"),
        ({"duplicate_credentials": "merge"}, "duplicate_credentials must be one of update, reject"),
        ({"api_key": "has space"}, "api_key must not contain whitespace"),
        ({"verification_secret": "whsec_!!"}, "verification_secret is not usable"),
        ({"rate_limits": "yes"}, "rate_limits must be true or false, got 'yes'"),
        ({"colour": "red"}, "unknown setting(s) ['colour']"),
    ],
)
def test_bad_settings_name_the_setting_and_the_value(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        RecallSettings().updated(changes)


def test_public_view_shows_secrets_as_fingerprints_only() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    settings = RecallSettings(api_key="k" * 40, verification_secret=secret)
    shown = settings.public_view()
    assert "k" * 40 not in str(shown)
    assert secret not in str(shown)
    assert shown["duplicate_credentials"] == "update"


# cursors and paging


@given(st.integers(min_value=0, max_value=2**62 - 1), st.booleans())
def test_cursors_round_trip(position: int, reverse: bool) -> None:
    cursor = Cursor(position, reverse)
    assert decode_cursor(encode_cursor(cursor)) == cursor


@pytest.mark.parametrize("text", ["", "x", "cj0yJnA9MQ", "cj0wJnA9LTE", "%%%", "cj0wJnA9YQ"])
def test_foreign_cursors_are_refused(text: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(text)


def _list_fetch(items: list[int]):  # type: ignore[no-untyped-def]
    def fetch(older_than, newer_than, newest_first, limit):  # type: ignore[no-untyped-def]
        chosen = [
            i
            for i in items
            if (older_than is None or i < older_than) and (newer_than is None or i > newer_than)
        ]
        chosen.sort(reverse=newest_first)
        return [(i, i) for i in chosen[:limit]]

    return fetch


@given(st.sets(st.integers(1, 500), max_size=40), st.integers(1, 7))
def test_paging_forward_then_back_sees_every_item_once_in_order(items: set[int], size: int) -> None:
    fetch = _list_fetch(sorted(items))
    pages = [paginate(fetch, cursor=None, size=size)]
    while pages[-1].next is not None and len(pages) < 100:
        pages.append(paginate(fetch, cursor=pages[-1].next, size=size))
    forward = [i for page in pages for i in page.items]
    assert forward == sorted(items, reverse=True)
    assert pages[0].previous is None
    # Walking back from the last page revisits the same pages.
    back = pages[-1]
    walked = [back.items]
    while back.previous is not None and len(walked) < 100:
        back = paginate(fetch, cursor=back.previous, size=size)
        walked.append(back.items)
    assert [i for items_ in reversed(walked) for i in items_] == forward


# timestamps


@given(st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False))
def test_an_answered_timestamp_reads_back_to_the_stored_instant(instant: float) -> None:
    stored = to_microseconds(instant)
    text = iso_timestamp(stored)
    assert text.endswith("Z") and len(text) == 27
    parsed = datetime.fromisoformat(text).timestamp()
    assert round(parsed * 1_000_000) == round(stored * 1_000_000)


# the store


def _app(created_at: float = 1.0, client_id: str = "c") -> OAuthApp:
    return OAuthApp(uuid.uuid4(), AppKind.USER_LEVEL, client_id, "s", "w", created_at)


def _credential(app: OAuthApp, user: str, created_at: float = 2.0) -> Credential:
    return Credential(uuid.uuid4(), app.id, "https://cb/x", user, None, created_at)


def test_store_filters_and_cascades() -> None:
    store = RecallStore()
    app, other = _app(client_id="a"), _app(client_id="b", created_at=5.0)
    store.add_app(app)
    store.add_app(other)
    alice, bob = _credential(app, "alice"), _credential(other, "bob", created_at=6.0)
    assert store.add_credential(alice) and store.add_credential(bob)
    store.add_credential_log(CredentialLog(alice.id, "failed", 3.0))
    store.add_app_log(AppLog(app.id, "rejected", 3.0))

    page = lambda q: store.credentials(q, cursor=None, size=10).items  # noqa: E731
    assert page(CredentialQuery(user_id="bob")) == (bob,)
    assert page(CredentialQuery(oauth_app=app.id)) == (alice,)
    assert page(CredentialQuery(created_after=6.0)) == (bob,)
    assert page(CredentialQuery(created_before=5.999999)) == (alice,)
    assert page(CredentialQuery(status=CredentialStatus.UNHEALTHY)) == ()
    assert store.apps(AppQuery(client_id="b"), cursor=None, size=5).items == (other,)
    assert store.find_credential(app.id, user_id="alice") == alice
    assert store.find_credential(other.id, user_id="alice") is None

    assert store.delete_app(app.id)
    assert store.get_credential(alice.id) is None
    assert store.credential_logs(CredentialLogQuery(), cursor=None, size=5).items == ()
    assert store.app_logs(AppLogQuery(), cursor=None, size=5).items == ()
    assert store.add_credential(_credential(app, "carl")) is False  # its app is gone


# the rate limiter


def test_rate_limiter_counts_a_sliding_minute_per_bucket() -> None:
    now = [1000.0]
    limiter = RateLimiter(monotonic=lambda: now[0])
    limits = {"workspace": 3, "list": 2}
    assert limiter.acquire(limits) is None
    assert limiter.acquire(limits) is None
    assert limiter.acquire(limits) == 60  # the list bucket is full for a minute
    assert limiter.acquire({"workspace": 3}) is None  # non-list requests still have room
    assert limiter.acquire({"workspace": 3}) == 60
    now[0] += 30
    assert limiter.acquire({"workspace": 3}) == 30
    now[0] += 30.5
    assert limiter.acquire(limits) is None
