"""``recall-sim connect``: the browser's part of the connect flow, against the reference."""

from __future__ import annotations

import io
import socket

import httpx
import pytest

from recall_sim.simulator.cli import main
from recall_sim.simulator.commands.connect import ConnectSettings, connect
from recall_sim.simulator.testing import RunningSimulator
from tests.examples.conftest import StartReference


def _run(
    settings: ConnectSettings, transport: httpx.BaseTransport | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = connect(settings, out=out, err=err, transport=transport)
    return code, out.getvalue(), err.getvalue()


def test_connect_from_the_apps_own_page_keeps_cookies_and_masks_the_code(
    sim: RunningSimulator, start_reference: StartReference
) -> None:
    reference = start_reference()

    code, out, err = _run(
        ConnectSettings(user="alice", sim=sim.url, start=f"{reference.url}/zoom/connect")
    )

    assert code == 0, err
    # The reference checks that the state came back in its own cookie: it did.
    assert (
        f"connected alice: landed on {reference.url}/zoom/oauth-callback?code=***&state=***" in out
    )
    assert "(HTTP 200, 2 redirects)" in out
    assert "zoom user id: alice" in out
    assert sim.zoom.user("alice") is not None
    # The reference exchanged the code: it now serves alice's token.
    answer = httpx.get(reference.callback_url("alice"), trust_env=False, timeout=5)
    assert answer.status_code == 200, answer.text


def test_connect_through_the_cli_with_an_email(
    sim: RunningSimulator, start_reference: StartReference, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = start_reference()

    code = main(
        [
            "connect",
            "--user",
            "bob@example.org",
            "--sim",
            sim.url,
            "--start",
            f"{reference.url}/zoom/connect",
        ]
    )

    assert code == 0
    user = sim.zoom.user("bob@example.org")
    assert user is not None
    assert f"zoom user id: {user.id}" in capsys.readouterr().out


def test_connect_direct_to_authorize_ends_where_the_app_refuses(
    sim: RunningSimulator, start_reference: StartReference
) -> None:
    reference = start_reference()
    settings = ConnectSettings(
        user="carol",
        sim=sim.url,
        client_id=sim.zoom.default_app.client_id,
        redirect_uri=f"{reference.url}/zoom/oauth-callback",
        state="not-issued-by-the-app",
    )

    code, out, err = _run(settings)

    # The reference never issued that state: it refuses, and connect says where and why.
    assert code == 1
    assert "the flow ended at" in err and "with HTTP 400" in err
    assert "connect attempt not recognised" in err
    assert "not-issued-by-the-app" not in err  # state is masked
    assert out == ""


def test_an_unknown_client_id_is_refused_by_the_fake_zoom(sim: RunningSimulator) -> None:
    settings = ConnectSettings(
        user="dave", sim=sim.url, client_id="no-such-app", redirect_uri="http://127.0.0.1:1/cb"
    )

    code, _, err = _run(settings)

    assert code == 1
    assert "the fake Zoom refused the authorize step" in err
    assert "HTTP 400 invalid_client: Invalid client_id." in err


def test_a_redirect_uri_mismatch_is_refused(sim: RunningSimulator) -> None:
    app = sim.zoom.register_app(redirect_uris=("http://127.0.0.1:1/registered",))
    settings = ConnectSettings(
        user="erin", sim=sim.url, client_id=app.client_id, redirect_uri="http://127.0.0.1:1/other"
    )

    code, _, err = _run(settings)

    assert code == 1
    assert "Redirect URI mismatch." in err


def test_an_app_that_is_down_is_an_environment_error(sim: RunningSimulator) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings = ConnectSettings(
        user="frank",
        sim=sim.url,
        client_id=sim.zoom.default_app.client_id,
        redirect_uri=f"http://127.0.0.1:{port}/zoom/oauth-callback",
    )

    code, _, err = _run(settings)

    assert code == 2
    assert f"cannot reach http://127.0.0.1:{port}/zoom/oauth-callback?code=***&state=***" in err


def test_a_redirect_loop_stops_at_the_bound() -> None:
    seen: list[str] = []

    def loop(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"location": f"/hop{len(seen)}"})

    code, _, err = _run(
        ConnectSettings(user="x", start="http://app.test/start", max_redirects=3),
        transport=httpx.MockTransport(loop),
    )

    assert code == 1
    assert "more than 3 redirects" in err
    assert len(seen) == 4


def test_options_need_a_start_page_or_an_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["connect", "--user", "x", "--client-id", "abc"]) == 2
    assert "give --start URL" in capsys.readouterr().err
