"""``recall-sim serve``: options, the start-up banner, and a real server process."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from recall_sim.simulator.app import Simulator
from recall_sim.simulator.cli import main
from recall_sim.simulator.commands.serve import ServeSettings, banner, serve
from recall_sim.simulator.zoom import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_USER_ID,
    ZoomSettings,
)
from recall_sim.simulator.zoom_jwt import decode_zoom_token
from tests.support.serve_process import serve_process
from tests.zoom import flows

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "70000"], "port must be between 0 and 65535, got 70000"),
        (["--port", "http"], "port must be a number, got 'http'"),
        (["--zoom-token-lifetime", "0"], "lifetime must be between 1 and"),
        (["--zoom-token-lifetime", "1.5"], "lifetime must be a whole number of seconds"),
    ],
)
def test_bad_options_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", *argv])

    assert exited.value.code == 2
    assert message in capsys.readouterr().err.splitlines()[-1]


def test_a_busy_port_is_an_environment_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        code = serve(ServeSettings(port=port))

    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"recall-sim serve: cannot listen on 127.0.0.1:{port}:")


def test_banner_tells_how_to_connect_and_onboard() -> None:
    sim = Simulator.create(zoom_settings=ZoomSettings(access_token_lifetime=130))

    text = banner(sim, "http://127.0.0.1:8700")

    assert "OAuth base      http://127.0.0.1:8700/zoom " in text
    assert "http://127.0.0.1:8700/zoom/v2" in text
    assert DEFAULT_CLIENT_ID in text and DEFAULT_CLIENT_SECRET in text
    assert DEFAULT_USER_ID in text
    assert "130 s (expires_in 129)" in text
    assert (
        "http://127.0.0.1:8700/zoom/oauth/authorize?response_type=code"
        f"&client_id={DEFAULT_CLIENT_ID}&redirect_uri=YOUR_REDIRECT_URI" in text
    )
    assert "sim_user=" in text


def test_serve_runs_a_working_fake_zoom() -> None:
    with serve_process("--zoom-token-lifetime", "130") as served:
        assert served.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=served.url, trust_env=False, timeout=5) as http:
            tokens = flows.onboard(http)
            assert http.get("/_sim/health").json()["status"] == "ok"
        claims = decode_zoom_token(tokens["access_token"]).claims
        assert claims["exp"] - claims["iat"] == 130
        code = served.interrupt()
    # Ctrl-C: uvicorn shuts down cleanly, then the CLI exits the conventional 130.
    assert code == 130, served.stderr
    assert "Traceback" not in served.stderr
