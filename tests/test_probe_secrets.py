"""``recall-sim probe --secret-param/--secret-path-segment``: every output masks the named parts,
and the printed reproduction runs once its variables are exported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from recall_sim.simulator.cli import main
from recall_sim.simulator.redaction import fingerprint
from recall_sim.simulator.serving import ThreadedServer
from tests.support.flawed_callback import SECRETS, callback_url
from tests.support.raw_echo import raw_echo_server
from tests.support.tokens import USER_ID, zoom_token

SECRET = "pl41n-n4med-Secret-0077"  # under a name the heuristic does not know


def probe(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["probe", *args])
    out, err = capsys.readouterr()
    return code, out, err


def reproduce_section(out: str) -> list[str]:
    lines = out.splitlines()
    start = lines.index("Reproduce") + 1
    return [line.strip() for line in lines[start : lines.index("", start)]]


def test_a_named_parameter_is_masked_in_the_text_and_the_reproduction_runs(
    serve_flawed: Callable[..., str], capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("curl") is None:
        pytest.skip("needs curl")
    url = callback_url(serve_flawed(secret_param="code"), secret_param="code")
    secret = SECRETS[USER_ID]

    code, out, _ = probe([url, "--secret-param", "code"], capsys)

    assert code == 0, out
    assert secret not in out
    assert f"GET {url.replace(secret, '***')}" in out
    *exports, command = reproduce_section(out)
    assert exports == [f"export CODE=...  # the code value, {fingerprint(secret)}"]
    env = {"PATH": os.environ["PATH"]}
    run = [
        subprocess.run(["sh", "-c", command], env=e, capture_output=True, text=True, check=False)
        for e in ({**env, "CODE": secret}, env)
    ]
    assert run[0].stdout.startswith("HTTP/1.1 200") and "\neyJ" in run[0].stdout
    assert run[1].stdout.startswith("HTTP/1.1 401") and "eyJ" not in run[1].stdout


@pytest.fixture
def echoing_server() -> Iterator[str]:
    """/redirect sends the caller to the same URL elsewhere, secrets and all; /echo says the
    query back in a 401, as careless error pages do."""

    async def redirect(request: Request) -> Response:
        return RedirectResponse(f"https://elsewhere.example/cb?{request.url.query}", 301)

    async def echo(request: Request) -> Response:
        return PlainTextResponse(f"no user for {request.url.query}", 401)

    routes = [Route("/u/{rest:path}", redirect), Route("/echo/{rest:path}", echo)]
    with ThreadedServer(Starlette(routes=routes)) as server:
        yield server.url


@pytest.mark.parametrize("route", ["u", "echo"])
def test_named_secrets_never_appear_in_text_or_json_even_when_echoed(
    echoing_server: str, route: str, capsys: pytest.CaptureFixture[str]
) -> None:
    segment = "s3gment-Secret-42"
    url = f"{echoing_server}/{route}/{segment};code={SECRET}?NOEQ&code={SECRET}&lang=en"
    options = ["--secret-param", "code", "--secret-path-segment", "1"]

    code, text, _ = probe([url, *options], capsys)
    code_json, raw, _ = probe([url, *options, "--json"], capsys)

    assert code == code_json == 1
    report = json.loads(raw)
    for output in (text, raw):
        assert SECRET not in output and segment not in output
    masked = f"{echoing_server}/{route}/***?NOEQ&code=***&lang=en"
    assert report["observation"]["url"] == masked
    assert f"GET {masked}" in text
    reproduce = next(r["reproduce"] for r in report["results"] if r["reproduce"])
    assert '"$SECRET_SEGMENT_1"' in reproduce and '"$CODE"' in reproduce
    assert f"CODE = the code value ({fingerprint(SECRET)})" in reproduce


def test_matrix_parameters_and_fragments_are_masked_without_options(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{callback_server.url}/good;auth_token={SECRET}?user-id=1#auth_token={SECRET}"
    for args in ([url], [url, "--json"]):
        _, out, _ = probe(args, capsys)
        assert SECRET not in out
        assert "good;auth_token=***?user-id=1#auth_token=***" in out


def test_the_json_url_keeps_the_url_as_given(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{callback_server.url}/good?NOEQSECRET&a=1&a=1&x=%zz&y=a+b&auth_token=%41{SECRET}"
    _, out, _ = probe([url, "--json", "--client-id", "someone-else"], capsys)
    report = json.loads(out)
    assert report["observation"]["url"] == url.replace(f"%41{SECRET}", "***")
    reproduce = next(r["reproduce"] for r in report["results"] if r["reproduce"])
    assert '?NOEQSECRET&a=1&a=1&x=%zz&y=a+b&auth_token=\'"$AUTH_TOKEN"' in reproduce


def test_show_secrets_still_shows_everything(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{callback_server.url}/good?code={SECRET}"
    _, out, _ = probe([url, "--secret-param", "code", "--show-secrets"], capsys)
    assert f"GET {url}" in out
    assert reproduce_section(out)[-1].endswith(f"'{url}'")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--secret-param", f"code={SECRET}"],
            "--secret-param takes a parameter name, not NAME=VALUE: give 'code'",
        ),
        (["--secret-param", ""], "--secret-param must be a parameter name, got ''"),
        (
            ["--secret-path-segment", "last"],
            "--secret-path-segment must be a whole number (0 = first segment, -1 = last), "
            "got 'last'",
        ),
    ],
)
def test_bad_secret_options_are_one_line_usage_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["probe", "http://127.0.0.1:9/cb", *args])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].endswith(message)
    assert SECRET not in err


def test_an_uncallable_url_is_refused_with_the_named_parts_masked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = probe([f"ftp://cb.example/x?code={SECRET}", "--secret-param", "code"], capsys)
    assert code == 2 and out == ""
    assert SECRET not in err and "code=***" in err


def test_tokens_stay_redacted_when_a_named_secret_is_short(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # A value shorter than the scrubber's floor is still masked in the URL itself.
    _, out, _ = probe([f"{callback_server.url}/good?code=ab1", "--secret-param", "code"], capsys)
    assert "code=***" in out and "code=ab1" not in out
    assert zoom_token()[:40] not in out


def test_a_secret_echoed_in_a_non_http_answer_is_hidden(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with raw_echo_server() as base:
        url = f"{base}/e?code={SECRET}"
        for extra in ([], ["--json"]):
            code, out, _ = probe([url, "--secret-param", "code", *extra], capsys)
            assert code == 1
            assert "invalid-http" in out and "GET /e?code=" in out  # the echo is shown...
            assert SECRET not in out  # ...without the secret
