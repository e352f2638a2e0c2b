"""The fake Zoom at Zoom's own paths: ``serve --zoom-port``, ``running_simulator(zoom_paths=True)``.

The client below is written the way Zoom's sample apps are: every URL is
``new URL(path, ZOOM_HOST)`` (here `urljoin`), and the API host is configured beside it.
Against real Zoom it is given ``https://zoom.us`` and ``https://api.zoom.us``; against the
simulator only those base URLs change, both to the one Zoom-paths base.
"""

from __future__ import annotations

import base64
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest

from recall_sim.simulator.app import Simulator
from recall_sim.simulator.cli import main
from recall_sim.simulator.commands.serve import ServeSettings, banner, serve
from recall_sim.simulator.testing import RunningSimulator, running_simulator
from recall_sim.simulator.zoom import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_USER_ID
from tests.support.serve_process import serve_process
from tests.zoom import flows

REDIRECT_URI = "https://app.example/zoom/callback"
ZOOM_PATHS_LABEL = "Zoom's own paths"


@dataclass
class SampleAppClient:
    """A Zoom OAuth client in the style of Zoom's sample apps; it knows nothing of recall-sim."""

    zoom_host: str = "https://zoom.us"
    zoom_api_host: str = "https://api.zoom.us"
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    redirect_uri: str = REDIRECT_URI

    def __post_init__(self) -> None:
        self.http = httpx.Client(timeout=10, trust_env=False)

    def close(self) -> None:
        self.http.close()

    def _basic(self) -> dict[str, str]:
        pair = f"{self.client_id}:{self.client_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def authorize_url(self, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "state": state,
            }
        )
        return urljoin(self.zoom_host, "/oauth/authorize") + "?" + query

    def token(self, form: dict[str, str]) -> httpx.Response:
        return self.http.post(
            urljoin(self.zoom_host, "/oauth/token"), data=form, headers=self._basic()
        )

    def exchange(self, code: str) -> httpx.Response:
        return self.token(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        )

    def refresh(self, refresh_token: str) -> httpx.Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def revoke(self, token: str) -> httpx.Response:
        return self.http.post(
            urljoin(self.zoom_host, "/oauth/revoke"), data={"token": token}, headers=self._basic()
        )

    def me(self, access_token: str) -> httpx.Response:
        return self.http.get(
            urljoin(self.zoom_api_host, "/v2/users/me"),
            headers={"Authorization": f"Bearer {access_token}"},
        )


def drive_the_whole_flow(base: str) -> None:
    """authorize → code → token (HTTP Basic) → /v2/users/me → refresh → revoke, at ``base``."""
    client = SampleAppClient(zoom_host=base, zoom_api_host=base)
    try:
        state = secrets.token_urlsafe(8)
        # The browser's part: consent is automatic, Zoom redirects back with the code.
        consent = client.http.get(client.authorize_url(state), follow_redirects=False)
        assert consent.status_code == 302, consent.text
        location = urlsplit(consent.headers["location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
        query = parse_qs(location.query)
        assert query["state"] == [state]

        exchanged = client.exchange(query["code"][0])
        assert exchanged.status_code == 200, exchanged.text
        tokens = exchanged.json()
        assert tokens["token_type"] == "bearer"
        # Real Zoom answers https://api.zoom.us: here, the base the client called.
        assert tokens["api_url"] == base

        me = client.me(tokens["access_token"])
        assert me.status_code == 200, me.text
        assert me.json()["id"] == DEFAULT_USER_ID

        refreshed = client.refresh(tokens["refresh_token"])
        assert refreshed.status_code == 200, refreshed.text
        fresh = refreshed.json()
        assert fresh["refresh_token"] != tokens["refresh_token"]
        assert client.me(fresh["access_token"]).status_code == 200
        reused = client.refresh(tokens["refresh_token"])  # single-use, as Zoom's are
        assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")

        revoked = client.revoke(fresh["access_token"])
        assert revoked.status_code == 200, revoked.text
        assert revoked.json() == {"status": "success"}
        after = client.me(fresh["access_token"])
        assert after.status_code == 401
        assert after.json()["code"] == 124
    finally:
        client.close()


@pytest.fixture(scope="module")
def zoom_paths_sim() -> Iterator[RunningSimulator]:
    with running_simulator(zoom_paths=True) as running:
        yield running


def test_a_sample_app_client_runs_against_the_fixture(zoom_paths_sim: RunningSimulator) -> None:
    zoom_paths_sim.reset()
    assert zoom_paths_sim.zoom_base_url is not None
    assert zoom_paths_sim.zoom_base_url != zoom_paths_sim.url

    drive_the_whole_flow(zoom_paths_sim.zoom_base_url)

    # One fake Zoom behind both listeners: the grant was recorded, and then revoked.
    assert zoom_paths_sim.zoom.journal()


def test_both_listeners_share_one_fake_zoom(zoom_paths_sim: RunningSimulator) -> None:
    zoom_paths_sim.reset()
    base = zoom_paths_sim.zoom_base_url
    assert base is not None
    with httpx.Client(trust_env=False, timeout=10) as http:
        # Onboarded at Zoom's paths, used under the /zoom mount, and the other way round.
        at_root = flows.onboard(http, base=base)
        under_mount = flows.onboard(http, base=zoom_paths_sim.zoom_oauth_base)
        for api_base, token in (
            (zoom_paths_sim.zoom_api_base, at_root["access_token"]),
            (base + "/v2", under_mount["access_token"]),
        ):
            answer = http.get(f"{api_base}/users/me", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
        # api_url follows the base each client used.
        assert at_root["api_url"] == base
        assert under_mount["api_url"] == zoom_paths_sim.zoom_oauth_base


def test_the_zoom_port_has_only_zoom_paths(zoom_paths_sim: RunningSimulator) -> None:
    base = zoom_paths_sim.zoom_base_url
    assert base is not None
    with httpx.Client(base_url=base, trust_env=False, timeout=10) as http:
        for path in ("/_sim/health", "/_sim/reset", "/_sim/docs", "/_sim/openapi.json", "/zoom"):
            assert http.get(path).status_code == 404, path
        assert http.post("/_sim/reset").status_code == 404
        assert http.get("/api/v2/zoom-oauth-credentials/").status_code == 404


def test_zoom_paths_are_off_by_default() -> None:
    with running_simulator() as running:
        assert running.zoom_base_url is None


def test_a_sample_app_client_runs_against_serve_zoom_port() -> None:
    with serve_process("--zoom-port", "0", "--poll-interval", "0") as served:
        [line] = [line for line in served.banner.splitlines() if ZOOM_PATHS_LABEL in line]
        zoom_url = line.split()[3]
        assert zoom_url.startswith("http://127.0.0.1:") and zoom_url != served.url

        drive_the_whole_flow(zoom_url)

        with httpx.Client(trust_env=False, timeout=10) as http:
            # The /zoom mount and the controls stay on the main port; none on the Zoom port.
            assert flows.onboard(http, base=served.url + "/zoom")["api_url"] == served.url + "/zoom"
            assert http.get(served.url + "/_sim/health").json()["status"] == "ok"
            assert http.get(zoom_url + "/_sim/health").status_code == 404
        code = served.interrupt()
    # Ctrl-C stops both servers cleanly; the CLI exits the conventional 130.
    assert code == 130, served.stderr
    assert "Traceback" not in served.stderr


def test_a_bad_zoom_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--zoom-port", "70000"])

    assert exited.value.code == 2
    assert "port must be between 0 and 65535, got 70000" in capsys.readouterr().err


def test_banner_names_the_zoom_paths_base() -> None:
    sim = Simulator.create()

    text = banner(sim, "http://127.0.0.1:8700", zoom_url="http://127.0.0.1:8701")

    assert (
        "  Zoom's own paths  http://127.0.0.1:8701  "
        "(set ZOOM_HOST / your OAuth base and API base here)\n" in text
    )
    assert ZOOM_PATHS_LABEL not in banner(sim, "http://127.0.0.1:8700")


def test_a_busy_zoom_port_is_an_environment_error(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        code = serve(ServeSettings(port=0, zoom_port=port))

    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"recall-sim serve: cannot listen on 127.0.0.1:{port} (--zoom-port):")
