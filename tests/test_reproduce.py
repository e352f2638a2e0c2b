"""The curl reproduction runs: secrets become shell variables, named with their fingerprints.

Each test runs the printed command with ``sh -c`` against a real callback on 127.0.0.1:
with the variables exported it gets the token; without them it is refused, and the
printed text never held the secret.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from recall_sim.conformance.api import check
from recall_sim.conformance.config import CheckConfig
from recall_sim.simulator.redaction import fingerprint
from recall_sim.simulator.reproduce import Reproduction, reproduction, shell_name
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.signing import SIGNATURE_TOLERANCE, signature_headers
from tests.support.flawed_callback import SECRETS, callback_url
from tests.support.tokens import USER_ID, zoom_token

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")

SECRET = SECRETS[USER_ID]
SIGNING_SECRET = "whsec_" + base64.b64encode(b"reproduce-signing-secret-24").decode()
TOKEN = zoom_token()


def run(command: str, **variables: str) -> str:
    """``sh -c command`` with only ``variables`` (and PATH) in its environment."""
    env = {"PATH": os.environ["PATH"], **variables}
    done = subprocess.run(
        ["sh", "-c", command], env=env, capture_output=True, text=True, timeout=20, check=False
    )
    return done.stdout + done.stderr


def status_of(output: str) -> int:
    return int(output.split()[1])


def printed(repro: Reproduction) -> str:
    return "\n".join(repro.lines()) + "\n" + repro.one_line()


def test_a_query_secret_becomes_a_variable_and_the_command_gets_the_token(
    serve_flawed: Callable[..., str],
) -> None:
    url = callback_url(serve_flawed())
    repro = reproduction(url, headers={"Accept-Encoding": "identity"})

    assert SECRET not in printed(repro)
    assert repro.command.endswith(f"'{url.split(SECRET)[0]}'\"$AUTH_TOKEN\"")
    [variable] = repro.variables
    assert variable.export_line() == (
        f"export AUTH_TOKEN=...  # the auth_token value, {fingerprint(SECRET)}"
    )
    assert "AUTH_TOKEN = the auth_token value" in repro.one_line()

    with_secret = run(repro.command, AUTH_TOKEN=SECRET)
    assert status_of(with_secret) == 200
    assert "\neyJ" in with_secret  # the token, as the body
    without = run(repro.command)
    assert status_of(without) == 401
    assert "eyJ" not in without


def test_a_named_parameter_and_a_path_segment_become_variables() -> None:
    segment_secret = "p4th-s3cret-Segment-9"

    async def endpoint(request: Request) -> Response:
        given = (request.path_params["secret"], request.query_params.get("code"))
        if given != (segment_secret, SECRET):
            return PlainTextResponse("unauthorized", 401)
        return PlainTextResponse(TOKEN)

    app = Starlette(routes=[Route("/u/{uid}/{secret}", endpoint)])
    with ThreadedServer(app) as server:
        url = f"{server.url}/u/{USER_ID}/{segment_secret}?code={SECRET}&lang=en"
        repro = reproduction(url, secret_params=["code"], secret_path_segments=[-1])

        assert SECRET not in printed(repro) and segment_secret not in printed(repro)
        assert [v.name for v in repro.variables] == ["SECRET_SEGMENT_2", "CODE"]
        assert repro.variables[0].fingerprint == fingerprint(segment_secret)
        assert "path segment 2" in repro.variables[0].meaning
        output = run(repro.command, SECRET_SEGMENT_2=segment_secret, CODE=SECRET)
        assert status_of(output) == 200 and TOKEN in output
        assert status_of(run(repro.command)) == 404  # an empty segment: no such route


def test_the_url_is_sent_exactly_as_given() -> None:
    seen: list[str] = []

    async def endpoint(request: Request) -> Response:
        query = request.scope["query_string"].decode("latin-1")
        seen.append(request.scope["raw_path"].decode("latin-1") + "?" + query)
        return PlainTextResponse(TOKEN)

    app = Starlette(routes=[Route("/{rest:path}", endpoint)])
    with ThreadedServer(app) as server:
        target = (
            "/cb;auth_token=m4trix-s3cret?NOEQSECRET&auth_token=one-s3cret&a=%zz&a=%41%2f"
            "&z=a+b&q='x'&auth_token=one-s3cret&auth-token=tw%2Bo-s3cret&[x]={y}"
        )
        repro = reproduction(server.url + target + "#auth_token=fr4g-s3cret")
        text = printed(repro)
        for secret in ("m4trix-s3cret", "one-s3cret", "tw%2Bo-s3cret", "fr4g-s3cret"):
            assert secret not in text
        names = [v.name for v in repro.variables]
        assert names == ["AUTH_TOKEN", "AUTH_TOKEN_2", "AUTH_TOKEN_3"]  # one per value
        assert "percent-encoded" in repro.variables[2].meaning
        run(
            repro.command,
            AUTH_TOKEN="m4trix-s3cret",
            AUTH_TOKEN_2="one-s3cret",
            AUTH_TOKEN_3="tw%2Bo-s3cret",
        )
    assert seen == [target]


def test_signed_calls_are_signed_afresh_from_the_signing_secret(
    serve_flawed: Callable[..., str],
) -> None:
    url = callback_url(serve_flawed(signing_secret=SIGNING_SECRET))
    headers = signature_headers(SIGNING_SECRET, timestamp=time.time())
    repro = reproduction(url, headers=headers, signing_secret=SIGNING_SECRET)

    text = printed(repro)
    assert SIGNING_SECRET not in text and SIGNING_SECRET.removeprefix("whsec_") not in text
    assert headers["webhook-signature"] not in text and SECRET not in text
    assert [v.name for v in repro.variables] == ["AUTH_TOKEN", "SIGNING_SECRET"]
    assert repro.variables[1].fingerprint == fingerprint(SIGNING_SECRET)

    # Run later than the signature was made: the command signs with its own clock.
    signed = run(repro.command, AUTH_TOKEN=SECRET, SIGNING_SECRET=SIGNING_SECRET)
    assert status_of(signed) == 200, signed
    unsigned = run(repro.command, AUTH_TOKEN=SECRET)
    assert status_of(unsigned) == 401 and "bad signature" in unsigned


def test_a_stale_signature_is_reproduced_as_stale(serve_flawed: Callable[..., str]) -> None:
    late = SIGNATURE_TOLERANCE + 60
    headers = signature_headers(SIGNING_SECRET, timestamp=time.time() - late)
    strict = callback_url(serve_flawed(signing_secret=SIGNING_SECRET))
    lax = callback_url(serve_flawed("stale-signature-ok", signing_secret=SIGNING_SECRET))
    variables = {"AUTH_TOKEN": SECRET, "SIGNING_SECRET": SIGNING_SECRET}

    for url, status in ((strict, 401), (lax, 200)):
        repro = reproduction(url, headers=headers, signing_secret=SIGNING_SECRET)
        # The offset is from this machine's clock when the reproduction is made: starting
        # the servers above may have taken a second or two.
        offset = re.search(r" (-\d+) curl ", repro.command)
        assert offset is not None, repro.command
        assert -late - 3 <= int(offset.group(1)) <= -late
        assert status_of(run(repro.command, **variables)) == status


def test_a_signature_the_secret_did_not_make_is_shown_not_recomputed() -> None:
    forged = signature_headers(
        "whsec_" + base64.b64encode(b"another-secret-entirely-24").decode(), timestamp=time.time()
    )
    repro = reproduction("http://127.0.0.1:9/cb", headers=forged, signing_secret=SIGNING_SECRET)
    assert not repro.command.startswith("sh -c")
    assert "webhook-signature: v1," in repro.command and repro.variables == ()


def test_show_secrets_prints_the_real_values(serve_flawed: Callable[..., str]) -> None:
    url = callback_url(serve_flawed(signing_secret=SIGNING_SECRET))
    headers = signature_headers(SIGNING_SECRET, timestamp=time.time())
    repro = reproduction(url, headers=headers, signing_secret=SIGNING_SECRET, show_secrets=True)
    assert SECRET in repro.command and headers["webhook-signature"] in repro.command
    assert repro.variables == ()
    assert status_of(run(repro.command)) == 200


@pytest.mark.parametrize(
    ("name", "variable"),
    [
        ("auth_token", "AUTH_TOKEN"),
        ("auth-token", "AUTH_TOKEN"),
        ("x.api.key", "X_API_KEY"),
        ("2fa", "SECRET_2FA"),
        ("path", "SECRET_PATH"),
        ("IFS", "SECRET_IFS"),
        ("https_proxy", "SECRET_HTTPS_PROXY"),
        ("lc_all", "SECRET_LC_ALL"),
        ("signing_secret", "SECRET_SIGNING_SECRET"),
        ("ключ", "SECRET"),
        ("-", "SECRET"),
    ],
)
def test_variable_names_are_valid_and_read_by_no_shell_or_curl(name: str, variable: str) -> None:
    assert shell_name(name) == variable


@pytest.fixture
def echo_server() -> Iterator[str]:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(request.url.query)

    with ThreadedServer(Starlette(routes=[Route("/", endpoint)])) as server:
        yield server.url


def test_values_with_shell_characters_reach_the_server_unchanged(echo_server: str) -> None:
    tricky = "a'b\"c$d`e\\f!g*h;i|j"
    repro = reproduction(f"{echo_server}/?auth_token=placeholder")
    output = run(repro.command, AUTH_TOKEN=tricky)
    assert output.rstrip().endswith(f"auth_token={tricky}")


def test_check_reports_a_stale_signature_it_accepted_with_a_runnable_reproduction(
    serve_flawed: Callable[..., str],
) -> None:
    url = callback_url(serve_flawed("stale-signature-ok", signing_secret=SIGNING_SECRET))
    config = CheckConfig(
        url=url, signing_secret=SIGNING_SECRET, rules=("auth.signature-freshness",), seed=1
    )
    [result] = [r for r in check(config).results if r.rule == "auth.signature-freshness"]

    assert result.outcome is Outcome.FAIL and result.reproduce is not None
    assert SECRET not in result.reproduce and SIGNING_SECRET not in result.reproduce
    assert (
        "# export first: AUTH_TOKEN" in result.reproduce and "SIGNING_SECRET =" in result.reproduce
    )
    output = run(result.reproduce, AUTH_TOKEN=SECRET, SIGNING_SECRET=SIGNING_SECRET)
    assert status_of(output) == 200 and "\neyJ" in output
