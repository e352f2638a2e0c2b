"""The fake Recall's credential and app logs name a failure's cause (SPEC §8), from the
credential's recent calls and, inside the simulator, the fake Zoom's journal."""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from recall_sim.simulator.app import Simulator
from recall_sim.simulator.causes import CAUSES, CauseId
from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.recall.errors import CallbackRejected
from recall_sim.simulator.recall.journal import CallPurpose, CallRecord
from recall_sim.simulator.recall.log_causes import point_from_record
from recall_sim.simulator.recall.queries import AppLogQuery, CredentialLogQuery
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.zoom.errors import OAuthError
from recall_sim.simulator.zoom.tokens import TokenRequest
from tests.recall.conftest import API_KEY, FAST_DEADLINE
from tests.support.tokens import CLIENT_ID, OTHER_CLIENT_ID, zoom_token


class Switch:
    """A one-route callback answering whatever ``answer`` returns at the time of the call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.body = ""
        self.status = 200
        self.refresh: Callable[[], None] | None = None  # run before answering, when set

    def set(self, body: str, status: int = 200) -> None:
        with self._lock:
            self.body, self.status = body, status

    async def handle(self, _: Request) -> Response:
        if self.refresh is not None:
            self.refresh()
        with self._lock:
            return PlainTextResponse(self.body, status_code=self.status)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/cb", self.handle)])


@pytest.fixture
def switch() -> Iterator[tuple[Switch, str]]:
    callback = Switch()
    with ThreadedServer(callback.app()) as server:
        yield callback, f"{server.url}/cb?user-id=u1&auth_token=s3cr3t-value-0123456789"


def settings() -> RecallSettings:
    return RecallSettings(api_key=API_KEY, poll_interval=0, callback_deadline=FAST_DEADLINE)


def failure_logs(fake: FakeRecall, credential: uuid.UUID) -> list[str]:
    page = fake.credential_logs(CredentialLogQuery(credential=credential))
    return [log.message for log in page.items if log.message.startswith("Failed to retrieve")]


def test_a_cached_token_s_log_names_the_cache(switch: tuple[Switch, str]) -> None:
    callback, url = switch
    clock = VirtualClock()
    fake = FakeRecall(settings=settings(), clock=clock)
    try:
        app = fake.create_app(client_id=CLIENT_ID)
        token = zoom_token(validity=140, now=clock.now())
        callback.set(token)
        credential = fake.create_credential(oauth_app=app.id, access_token_callback_url=url)
        clock.advance(42)  # the same token, now with ~98 s left
        fake.poll_now([credential.credential.id])
        [message] = failure_logs(fake, credential.credential.id)
        # A later failure of another kind is not put down to the cache.
        callback.set("upstream failure", status=500)
        fake.poll_now([credential.credential.id])
        later = failure_logs(fake, credential.credential.id)[0]
    finally:
        fake.close()
    assert later.endswith("answered HTTP 500, not 2xx (contract.status-2xx)"), later
    title = CAUSES[CauseId.CACHED_PAST_EXPIRY].title
    assert message.endswith(
        "Recall requires at least 120 s (contract.min-validity-120s) — "
        f"cause.cached-past-expiry: {title}"
    ), message
    assert token not in message and token[:40] not in message
    assert "s3cr3t-value" not in message


def test_a_failure_without_a_cause_logs_the_rule_alone(switch: tuple[Switch, str]) -> None:
    callback, url = switch
    fake = FakeRecall(settings=settings())
    try:
        app = fake.create_app(client_id=CLIENT_ID)
        callback.set(zoom_token(validity=3600))
        credential = fake.create_credential(oauth_app=app.id, access_token_callback_url=url)
        callback.set("upstream failure", status=500)
        fake.poll_now([credential.credential.id])
        [message] = failure_logs(fake, credential.credential.id)
    finally:
        fake.close()
    assert message.endswith("answered HTTP 500, not 2xx (contract.status-2xx)"), message


@pytest.mark.parametrize(
    ("body", "status", "cause"),
    [
        (zoom_token(client_id=OTHER_CLIENT_ID), 200, CauseId.WRONG_APP),
        ("missing webhook-signature header", 401, CauseId.SIGNATURE_REQUIRED),
    ],
)
def test_a_refused_create_s_app_log_names_the_cause(
    switch: tuple[Switch, str], body: str, status: int, cause: CauseId
) -> None:
    callback, url = switch
    fake = FakeRecall(settings=settings())
    try:
        app = fake.create_app(client_id=CLIENT_ID)
        callback.set(body, status=status)
        with pytest.raises(CallbackRejected, match="was rejected") as refused:
            fake.create_credential(oauth_app=app.id, access_token_callback_url=url)
        logs = [log.message for log in fake.app_logs(AppLogQuery(oauth_app=app.id)).items]
    finally:
        fake.close()
    assert logs == [logs[0]]
    assert logs[0].endswith(f" — {cause.value}: {CAUSES[cause].title}"), logs[0]
    assert "cause." not in str(refused.value)  # the API's 400 detail stays the rule's


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def zoom_simulator() -> Simulator:
    return Simulator.create(recall_settings=settings())


def test_inside_the_simulator_the_log_reads_zoom_s_refusal(switch: tuple[Switch, str]) -> None:
    """A callback whose refresh sends no refresh token (a misnamed field) and answers 401:
    only the fake Zoom's journal shows why, and the log says so."""
    callback, url = switch
    sim = zoom_simulator()
    zoom_app = sim.zoom.default_app
    try:
        grant = sim.zoom.issue_tokens()
        app = sim.recall.create_app(client_id=zoom_app.client_id)
        callback.set(grant.access_token)
        credential = sim.recall.create_credential(oauth_app=app.id, access_token_callback_url=url)

        def refresh_without_the_token() -> None:
            auth = basic(zoom_app.client_id, zoom_app.client_secret)
            try:
                sim.zoom.token(TokenRequest({"grant_type": "refresh_token"}, auth))
            except OAuthError:
                callback.set("Unauthorized", status=401)

        callback.refresh = refresh_without_the_token
        sim.recall.poll_now([credential.credential.id])
        [message] = failure_logs(sim.recall, credential.credential.id)
        title = CAUSES[CauseId.REFRESH_FAILED].title
        assert message.endswith(f"(contract.status-2xx) — cause.refresh-failed: {title}"), message
        # Without the Zoom side the same calls show no cause: the token had an hour left.
        sim.recall.attach_zoom_journal(None)
        sim.recall.poll_now([credential.credential.id])
        newest = failure_logs(sim.recall, credential.credential.id)[0]
        assert newest.endswith("answered HTTP 401, not 2xx (contract.status-2xx)"), newest
    finally:
        sim.recall.close()


def record(**changes: object) -> CallRecord:
    fields: dict[str, object] = {
        "seq": 7,
        "at": 1_700_000_000.0,
        "purpose": CallPurpose.POLL,
        "url": "http://cb/?auth_token=***",
        "credential": None,
        "oauth_app": None,
        "accepted": False,
        "status": 200,
        "error": None,
        "connect_s": 0.001,
        "first_byte_s": 0.002,
        "total_s": 0.003,
        "verdicts": (("contract.plain-token-body", "fail", "body is empty"),),
        "token": None,
        "remaining_validity_s": None,
        "signed": False,
    }
    fields.update(changes)
    return CallRecord(**fields)  # type: ignore[arg-type]


def test_journal_records_become_timeline_points() -> None:
    empty = point_from_record(record())
    assert (empty.index, empty.body_kind, empty.failed_rules) == (
        7,
        "empty",
        ("contract.plain-token-body",),
    )
    other = point_from_record(
        record(verdicts=(("contract.plain-token-body", "fail", "body is JSON with keys a"),))
    )
    assert other.body_kind == "other"
    shown = "eyJhbGci…abcd (sha256:0123456789ab)"
    served = point_from_record(
        record(token=shown, remaining_validity_s=98.0, verdicts=(), accepted=True)
    )
    assert (served.body_kind, served.token_id, served.remaining_s) == (
        "token",
        "sha256:0123456789ab",
        98.0,
    )
    hung = point_from_record(
        record(status=None, error="deadline-before-headers: no answer in 1.5 s", verdicts=())
    )
    assert (hung.body_kind, hung.error, hung.label) == ("none", "deadline-before-headers", "poll")
