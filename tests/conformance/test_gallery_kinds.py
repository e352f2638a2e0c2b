"""The other token callbacks (SPEC §7) against the fake Zoom: an OBF callback that caches one
token, one that mints for the wrong user, a join-token callback that answers 200 with an
empty body when the user is disconnected, one that stalls when Zoom stalls, each failing
its rule; the reference callback's OBF, ZAK and join-token endpoints pass every rule."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from recall_sim.conformance.report import Report
from recall_sim.simulator.kinds import KIND_RULES, TokenKind, applies
from recall_sim.simulator.redaction import fingerprint
from recall_sim.simulator.rules import RULES, Outcome
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.testing import RunningSimulator, running_simulator
from tests.conformance.conftest import verdict
from tests.examples.conftest import StartReference, start_reference

__all__ = ["start_reference"]  # the reference's fixture, used here too

pytestmark = pytest.mark.slow

KIND_PATHS = {TokenKind.OBF: "obf", TokenKind.ZAK: "zak", TokenKind.JOIN_TOKEN: "join-token"}


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(zoom_paths=True) as running:
        yield running


@dataclass
class KindCallback:
    """A customer's OBF/ZAK/join-token callback over the fake Zoom, with one chosen flaw:
    ``cache`` (keeps its first token), ``wrong-user`` (mints with another user's grant),
    ``empty-200`` (200 and no body when Zoom refuses), ``no-timeout`` (waits on Zoom)."""

    zoom: str  # the fake Zoom at Zoom's own paths
    access_tokens: dict[str, str]  # Zoom user id -> their access token
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    flaw: str | None = None
    cached: str | None = None

    async def endpoint(self, request: Request) -> PlainTextResponse:
        kind = TokenKind(request.path_params["kind"])
        user = request.query_params.get("user-id", "")
        given = request.query_params.get("auth_token", "")
        known = hmac.compare_digest(given.encode(), self.secret.encode())
        if user not in self.access_tokens or not known:
            return PlainTextResponse("unauthorized", status_code=401)
        if self.flaw == "cache" and self.cached is not None:
            return self._token(self.cached)
        if self.flaw == "wrong-user":
            user = next(u for u in self.access_tokens if u != user)
        path = {
            TokenKind.OBF: f"/v2/users/{user}/token?type=onbehalf",
            TokenKind.ZAK: "/v2/users/me/token?type=zak",
            TokenKind.JOIN_TOKEN: "/v2/meetings/"
            + request.query_params.get("meeting-id", "")
            + "/jointoken/local_recording",
        }[kind]
        timeout = None if self.flaw == "no-timeout" else 3.0
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            try:
                answer = await client.get(
                    self.zoom + path,
                    headers={"Authorization": f"Bearer {self.access_tokens[user]}"},
                )
            except httpx.TimeoutException:
                return PlainTextResponse("zoom timed out", status_code=503)
        if answer.status_code != 200:
            if self.flaw == "empty-200":
                return PlainTextResponse("")
            return PlainTextResponse("no token", status_code=404)
        self.cached = answer.json()["token"]
        return self._token(self.cached)

    @staticmethod
    def _token(token: str) -> PlainTextResponse:
        return PlainTextResponse(token, headers={"Cache-Control": "no-store"})

    def url(self, base: str, kind: TokenKind, user: str, meeting: str | None = None) -> str:
        query = {"user-id": user, **({"meeting-id": meeting} if meeting else {})}
        return f"{base}/{KIND_PATHS[kind]}?{urlencode({**query, 'auth_token': self.secret})}"


@dataclass
class Gallery:
    sim: RunningSimulator
    users: list[str]
    meeting: str
    servers: list[ThreadedServer] = field(default_factory=list)

    def serve(self, flaw: str | None = None) -> tuple[KindCallback, str]:
        assert self.sim.zoom_base_url is not None
        tokens = {u: self.sim.zoom.issue_tokens(user_id=u).access_token for u in self.users}
        callback = KindCallback(self.sim.zoom_base_url, tokens, flaw=flaw)
        server = ThreadedServer(Starlette(routes=[Route("/{kind}", callback.endpoint)])).start()
        self.servers.append(server)
        return callback, server.url

    def check(
        self,
        run_suite: Callable[..., Report],
        url: str,
        kind: TokenKind,
        rules: tuple[str, ...],
        **options: object,
    ) -> Report:
        given: dict[str, object] = {
            "kind": kind.value,
            "rules": rules,
            "zoom_admin": self.sim.control_url + "/zoom",
            "expect_user_id": self.users[0],
            "meeting_id": self.meeting,
        }
        return run_suite(url, **{**given, **options})


@pytest.fixture
def gallery(sim: RunningSimulator) -> Iterator[Gallery]:
    first = sim.zoom.default_user
    second = sim.zoom.register_user(email="bob@example.com")
    meeting = sim.zoom.add_meeting(first.id)
    made = Gallery(sim, [first.id, second.id], str(meeting.id))
    yield made
    for server in made.servers:
        server.stop()


def _failed(report: Report, rule_id: str) -> str:
    graded = verdict(report, rule_id)
    assert graded.outcome is Outcome.FAIL, (rule_id, graded.outcome, graded.detail)
    return graded.detail


def test_an_obf_callback_that_caches_its_token_fails_fresh_per_call(
    gallery: Gallery, run_suite: Callable[..., Report]
):
    callback, base = gallery.serve("cache")
    url = callback.url(base, TokenKind.OBF, gallery.users[0])
    report = gallery.check(run_suite, url, TokenKind.OBF, ("obf",))
    detail = _failed(report, "obf.fresh-per-call")
    assert "single-use" in detail
    assert callback.cached is not None and fingerprint(callback.cached) in detail
    assert callback.cached not in str(report.to_json())  # named, never shown
    assert verdict(report, "obf.minted-for-user").outcome is Outcome.PASS


def test_an_obf_callback_that_mints_for_another_user_fails_minted_for_user(
    gallery: Gallery, run_suite: Callable[..., Report]
):
    callback, base = gallery.serve("wrong-user")
    url = callback.url(base, TokenKind.OBF, gallery.users[0])
    report = gallery.check(run_suite, url, TokenKind.OBF, ("obf",))
    detail = _failed(report, "obf.minted-for-user")
    assert gallery.users[1] in detail and gallery.users[0] in detail
    assert verdict(report, "obf.fresh-per-call").outcome is Outcome.PASS


def test_a_zak_callback_that_serves_an_obf_token_fails_zak_valid_for_user(
    gallery: Gallery, run_suite: Callable[..., Report]
):
    callback, base = gallery.serve()
    url = callback.url(base, TokenKind.OBF, gallery.users[0])  # the OBF URL, as a ZAK URL
    report = gallery.check(run_suite, url, TokenKind.ZAK, ("zak",))
    assert "not the ZAK" in _failed(report, "zak.valid-for-user")


def test_a_join_token_for_another_meeting_fails_for_meeting(
    gallery: Gallery, run_suite: Callable[..., Report]
):
    callback, base = gallery.serve()
    other = gallery.sim.zoom.add_meeting(gallery.users[0])
    url = callback.url(base, TokenKind.JOIN_TOKEN, gallery.users[0], str(other.id))
    report = gallery.check(run_suite, url, TokenKind.JOIN_TOKEN, ("join-token.for-meeting",))
    detail = _failed(report, "join-token.for-meeting")
    assert str(other.id) in detail and gallery.meeting in detail


def test_a_join_token_callback_answering_an_empty_200_when_disconnected_fails_404(
    gallery: Gallery, run_suite: Callable[..., Report]
):
    callback, base = gallery.serve("empty-200")
    user = gallery.users[0]
    url = callback.url(base, TokenKind.JOIN_TOKEN, user, gallery.meeting)
    report = gallery.check(run_suite, url, TokenKind.JOIN_TOKEN, ("join-token",))
    detail = _failed(report, "join-token.404-when-unavailable")
    assert "unknown meeting: HTTP 200 with an empty body" in detail
    assert "user disconnected: HTTP 200 with an empty body" in detail
    assert verdict(report, "join-token.for-meeting").outcome is Outcome.PASS
    # The user's grant is restored afterwards: the callback gets join tokens again.
    assert httpx.get(url, trust_env=False).text != ""


def test_a_callback_that_waits_on_a_stalled_zoom_fails_upstream_failure(
    gallery: Gallery, run_suite: Callable[..., Report]
):
    callback, base = gallery.serve("no-timeout")
    url = callback.url(base, TokenKind.ZAK, gallery.users[0])
    report = gallery.check(run_suite, url, TokenKind.ZAK, ("token.upstream-failure",))
    detail = _failed(report, "token.upstream-failure")
    assert "while Zoom stalling 6 s" in detail and "contract.deadline-5s" in detail
    assert gallery.sim.zoom.faults() == []  # cleared afterwards


def test_an_empty_200_while_zoom_fails_fails_upstream_failure(
    gallery: Gallery, run_suite: Callable[..., Report]
):
    callback, base = gallery.serve("empty-200")
    url = callback.url(base, TokenKind.OBF, gallery.users[0])
    report = gallery.check(run_suite, url, TokenKind.OBF, ("token.upstream-failure",))
    assert "while Zoom answering 500" in _failed(report, "token.upstream-failure")


def test_without_the_zoom_admin_the_kind_rules_skip_saying_why(
    gallery: Gallery, run_suite: Callable[..., Report]
):
    callback, base = gallery.serve()
    url = callback.url(base, TokenKind.OBF, gallery.users[0])
    rules = ("obf", "token")
    report = gallery.check(run_suite, url, TokenKind.OBF, rules, zoom_admin=None)
    for rule_id in ("obf.fresh-per-call", "obf.minted-for-user", "token.upstream-failure"):
        graded = verdict(report, rule_id)
        assert graded.outcome is Outcome.SKIP and "--zoom-admin" in graded.detail


def test_rules_of_other_kinds_skip_naming_their_kind_and_the_budget_is_an_assumption(
    gallery: Gallery, run_suite: Callable[..., Report]
):
    callback, base = gallery.serve()
    url = callback.url(base, TokenKind.OBF, gallery.users[0])
    rules = ("contract", "freshness", "zak", "join-token")
    report = gallery.check(run_suite, url, TokenKind.OBF, rules, client_id="some-client")
    assert "is for the access-token kind" in verdict(report, "contract.issuer-client-id").detail
    assert "is for the access-token kind" in verdict(report, "freshness.deauthorized-user").detail
    assert "--kind zak" in verdict(report, "zak.valid-for-user").detail
    deadline = verdict(report, "contract.deadline-5s")
    assert deadline.outcome is Outcome.PASS and "assumed" in deadline.detail
    assert verdict(report, "contract.plain-token-body").outcome is Outcome.PASS
    assert report.to_json()["kind"] == "obf"
    assert any("5 s budget is an assumption" in note for note in report.notes)


@pytest.mark.parametrize("kind", [TokenKind.OBF, TokenKind.ZAK, TokenKind.JOIN_TOKEN])
def test_the_reference_endpoints_pass_every_rule_of_their_kind(
    sim: RunningSimulator,
    start_reference: StartReference,
    run_suite: Callable[..., Report],
    kind: TokenKind,
):
    ref = start_reference()
    alice = ref.connect("alice@example.com")
    bob = ref.connect("bob@example.com")
    meeting = str(sim.zoom.add_meeting(alice).id)
    urls = {user: ref.bot_token_url(kind, user, meeting) for user in (alice, bob)}
    report = run_suite(
        urls[alice],
        kind=kind.value,
        zoom_admin=sim.control_url + "/zoom",
        expect_user_id=alice,
        meeting_id=meeting,
        other_user_url=urls[bob],
    )
    graded = {r.rule: r for r in report.results}
    assert set(graded) == set(RULES)
    for rule_id, result in graded.items():
        if not applies(rule_id, kind):
            assert result.outcome is Outcome.SKIP, (rule_id, result.detail)
        elif rule_id in KIND_RULES:
            assert result.outcome is Outcome.PASS, (rule_id, result.detail)
        else:  # http:// in a test and the auth rules' signatures: warn or skip at most
            assert result.outcome is not Outcome.FAIL, (rule_id, result.detail)
    assert report.exit_code(strict=False) == 0
