"""``auth.credential-strength``: a published default fails, a short random secret warns, a
256-bit one passes; the report names the part and the estimate, never the value."""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from recall_sim.conformance.credential_strength import estimate_strength
from recall_sim.conformance.report import Report
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.serving import ThreadedServer
from tests.conformance.conftest import verdict
from tests.support.tokens import USER_ID, zoom_token

RULE = "auth.credential-strength"
# Twelve random letters and digits (about 71 bits), fixed so the grade cannot vary.
TWELVE_RANDOM = "q7GmX2vRk9Tz"


@pytest.fixture
def serve_secret() -> Iterator[Callable[[str], str]]:
    """A callback that answers a token only when ``auth_token`` is exactly the secret."""
    servers: list[ThreadedServer] = []
    token = zoom_token(user_id=USER_ID)

    def start(secret: str) -> str:
        async def endpoint(request: Request) -> PlainTextResponse:
            given = request.query_params.get("auth_token", "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                return PlainTextResponse("unauthorized", status_code=401)
            return PlainTextResponse(token, headers={"Cache-Control": "no-store"})

        server = ThreadedServer(Starlette(routes=[Route("/cb", endpoint)])).start()
        servers.append(server)
        return f"{server.url}/cb?user-id={USER_ID}&auth_token={secret}"

    yield start
    for server in servers:
        server.stop()


def _grade(run_suite: Callable[..., Report], url: str) -> Report:
    return run_suite(url, rules=(RULE,))


@pytest.mark.parametrize("secret", ["helloWorld", "supersecrettoken", "CHANGEME"])
def test_a_published_default_fails_naming_the_part_not_the_value(
    serve_secret: Callable[[str], str], run_suite: Callable[..., Report], secret: str
) -> None:
    report = _grade(run_suite, serve_secret(secret))

    graded = verdict(report, RULE)
    assert graded.outcome is Outcome.FAIL, graded.detail
    assert 'query parameter "auth_token"' in graded.detail
    assert "published default" in graded.detail
    assert secret not in json.dumps(report.to_json())
    assert report.exit_code(strict=False) == 1


def test_a_twelve_character_random_secret_warns_with_its_estimate(
    serve_secret: Callable[[str], str], run_suite: Callable[..., Report]
) -> None:
    report = _grade(run_suite, serve_secret(TWELVE_RANDOM))

    graded = verdict(report, RULE)
    assert graded.outcome is Outcome.WARN, graded.detail
    assert "12 characters" in graded.detail and "about 71 bits" in graded.detail
    assert TWELVE_RANDOM not in json.dumps(report.to_json())
    assert report.exit_code(strict=False) == 0
    assert report.exit_code(strict=True) == 1


def test_a_word_with_a_few_digits_fails(
    serve_secret: Callable[[str], str], run_suite: Callable[..., Report]
) -> None:
    report = _grade(run_suite, serve_secret("dragon2024dragon"))

    graded = verdict(report, RULE)
    assert graded.outcome is Outcome.FAIL, graded.detail
    assert "dictionary word" in graded.detail and "under 64 bits" in graded.detail


def test_a_256_bit_random_secret_passes(
    serve_secret: Callable[[str], str], run_suite: Callable[..., Report]
) -> None:
    report = _grade(run_suite, serve_secret(secrets.token_urlsafe(32)))

    assert verdict(report, RULE).outcome is Outcome.PASS


def test_without_a_secret_part_it_skips_saying_how_to_name_one(
    serve_secret: Callable[[str], str], run_suite: Callable[..., Report]
) -> None:
    url = serve_secret("x").replace("&auth_token=x", "")  # answers 401: no baseline, no part

    graded = verdict(_grade(run_suite, url), RULE)

    assert graded.outcome is Outcome.SKIP
    assert "--secret-param" in graded.detail


@pytest.mark.parametrize(
    ("secret", "low", "high"),
    [
        ("0123456789abcdef0123456789abcdef", 0, 64),  # a sequence, repeated
        ("3f2b9c1e-8a7d-4c2e-9b1a-5d6e7f8a9b0c", 121, 123),  # a UUID: 122 random bits
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 20),
    ],
)
def test_the_estimate_sees_through_patterns(secret: str, low: float, high: float) -> None:
    assert low <= estimate_strength(secret).bits <= high


def test_random_secrets_of_one_kind_grade_alike() -> None:
    # A random secret holds short words, dates and runs by chance; none may swing its grade.
    draws = [estimate_strength(secrets.token_urlsafe(32)).bits for _ in range(300)]
    assert min(draws) >= 128
