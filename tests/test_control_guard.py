"""The control plane (``/_sim/``) refuses web pages, rebinding and strangers (SPEC §9)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from recall_sim.conformance.zoom_admin import ZoomAdmin, ZoomAdminError
from recall_sim.simulator.app import Simulator, build_app
from recall_sim.simulator.commands.serve import ServeSettings, banner
from recall_sim.simulator.control_guard import (
    CONTROL_TOKEN_ENV,
    CONTROL_TOKEN_HEADER,
    ControlAccess,
    is_loopback_host,
)
from recall_sim.simulator.recall import RecallSettings
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.testing import running_simulator

API_KEY = "guard-test-key-0123456789"
TOKEN = "control-token-for-the-test-0123"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def sim() -> Simulator:
    return Simulator.create(recall_settings=RecallSettings(api_key=API_KEY, poll_interval=0))


def _client(
    sim: Simulator, control: ControlAccess | None = None, host: str = "127.0.0.1:8700"
) -> TestClient:
    return TestClient(build_app(sim, control=control), base_url=f"http://{host}")


@pytest.fixture
def local(sim: Simulator) -> Iterator[TestClient]:
    with _client(sim) as client:
        yield client


def _an_app_exists(client: TestClient) -> bool:
    listed = client.get("/api/v2/zoom-oauth-apps/", headers={"Authorization": f"Token {API_KEY}"})
    return bool(listed.json()["results"])


def _create_app(client: TestClient) -> None:
    created = client.post(
        "/api/v2/zoom-oauth-apps/",
        headers={"Authorization": f"Token {API_KEY}"},
        json={
            "kind": "user_level",
            "client_id": "cid",
            "client_secret": "x",
            "webhook_secret": "y",
        },
    )
    assert created.status_code == 201, created.text


def test_a_cross_site_form_post_cannot_reset(local: TestClient) -> None:
    _create_app(local)
    answer = local.post(
        "/_sim/reset", headers={"Origin": "http://evil.example", **FORM}, content=b"x=1"
    )
    assert answer.status_code == 403
    assert "cross-site Origin http://evil.example refused" in answer.json()["detail"]
    assert _an_app_exists(local)


@pytest.mark.parametrize(
    "headers",
    [FORM, {"Content-Type": "text/plain"}, {"Content-Type": "multipart/form-data; boundary=b"}],
)
def test_state_changing_controls_take_json_bodies_only(
    local: TestClient, headers: dict[str, str]
) -> None:
    _create_app(local)
    answer = local.post("/_sim/reset", headers=headers, content=b"x=1")
    assert answer.status_code == 415
    assert "JSON bodies" in answer.json()["detail"]
    assert _an_app_exists(local)


def test_a_script_on_the_same_machine_still_resets(local: TestClient) -> None:
    _create_app(local)
    assert local.post("/_sim/reset").status_code == 200  # curl -XPOST, no body
    assert not _an_app_exists(local)
    same_origin = {"Origin": "http://127.0.0.1:8700"}  # the docs page at /_sim/docs
    assert local.post("/_sim/reset", json={}, headers=same_origin).status_code == 200


def test_a_browser_marked_cross_site_request_is_refused(local: TestClient) -> None:
    answer = local.post(
        "/_sim/clock/advance", json={"seconds": 5}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert answer.status_code == 403


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8700", "10.0.0.5:8700", ""])
def test_non_loopback_host_names_are_refused_on_loopback(sim: Simulator, host: str) -> None:
    with _client(sim) as client:
        answer = client.get("/_sim/zoom/settings", headers={"Host": host})
    assert answer.status_code == 403
    assert "refused: on loopback the controls answer only" in answer.json()["detail"]


@pytest.mark.parametrize("host", ["localhost:8700", "127.0.0.1", "[::1]:8700", "app.localhost"])
def test_loopback_host_names_are_accepted(sim: Simulator, host: str) -> None:
    with _client(sim) as client:
        assert client.get("/_sim/zoom/settings", headers={"Host": host}).status_code == 200


def test_the_fakes_themselves_answer_any_host(sim: Simulator) -> None:
    # Recall's and Zoom's stand-ins are what the user's code calls, by whatever name.
    with _client(sim, host="recall-sim:8700") as client:
        listed = client.get(
            "/api/v2/zoom-oauth-apps/", headers={"Authorization": f"Token {API_KEY}"}
        )
        assert listed.status_code == 200
        assert client.get("/_sim/zoom/settings").status_code == 403


def test_beyond_loopback_every_control_needs_the_token(sim: Simulator) -> None:
    access = ControlAccess(token=TOKEN, loopback_only=False)
    with _client(sim, access, host="recall-sim:8700") as client:
        missing = client.get("/_sim/zoom/settings")
        wrong = client.get("/_sim/zoom/settings", headers={CONTROL_TOKEN_HEADER: "nope"})
        right = client.get("/_sim/zoom/settings", headers={CONTROL_TOKEN_HEADER: TOKEN})
        health = client.get("/_sim/health")  # readiness checks need no secret
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 403, 200)
    assert CONTROL_TOKEN_HEADER in missing.json()["detail"]
    assert TOKEN not in missing.text + wrong.text
    assert health.status_code == 200


def test_repeated_guarded_headers_are_refused(sim: Simulator) -> None:
    access = ControlAccess(token=TOKEN, loopback_only=False)
    with _client(sim, access) as client:
        answer = client.get(
            "/_sim/zoom/settings",
            headers=[(CONTROL_TOKEN_HEADER, TOKEN), (CONTROL_TOKEN_HEADER, "other")],
        )
    assert answer.status_code == 400


def test_the_listener_decides_whether_a_token_is_needed() -> None:
    assert ControlAccess.for_listener("127.0.0.1", environ={}) == ControlAccess()
    assert ControlAccess.for_listener("localhost", environ={}).token is None
    beyond = ControlAccess.for_listener("0.0.0.0", environ={})
    assert beyond.token is not None and len(beyond.token) >= 32
    assert not beyond.loopback_only
    chosen = ControlAccess.for_listener("0.0.0.0", environ={CONTROL_TOKEN_ENV: TOKEN})
    assert (chosen.token, chosen.token_from_env) == (TOKEN, True)
    # Set on loopback too: then required there as well.
    assert ControlAccess.for_listener("127.0.0.1", environ={CONTROL_TOKEN_ENV: TOKEN}).token


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.9.9.9:1", True),
        ("[::1]:80", True),
        ("LOCALHOST", True),
        ("localhost.evil.example", False),
        ("[::ffff:10.0.0.1]", False),
        ("0.0.0.0", False),
        ("", False),
    ],
)
def test_loopback_host_names(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_the_banner_prints_a_made_token_whole_and_a_chosen_one_as_a_fingerprint(
    sim: Simulator,
) -> None:
    made = banner(sim, "http://0.0.0.0:8700", control=ControlAccess(TOKEN, loopback_only=False))
    assert f"{CONTROL_TOKEN_HEADER}: {TOKEN}" in made
    chosen = ControlAccess(TOKEN, loopback_only=False, token_from_env=True)
    fingerprinted = banner(sim, "http://0.0.0.0:8700", control=chosen)
    assert TOKEN not in fingerprinted
    assert f"(from {CONTROL_TOKEN_ENV})" in fingerprinted
    assert "loopback Host names" in banner(sim, "http://127.0.0.1:8700")


@pytest.mark.parametrize("name", ["api_key", "journal_path"])
def test_settings_naming_credentials_or_files_are_fixed_at_start(
    local: TestClient, sim: Simulator, name: str
) -> None:
    before = sim.recall.settings
    answer = local.patch("/_sim/recall/settings", json={name: "/any/file"})
    assert answer.status_code == 400
    assert f"{name} cannot change while the server runs" in answer.json()["detail"]
    assert sim.recall.settings == before
    # The settings serve still takes at start:
    assert ServeSettings(api_key="k", journal_path="j").recall_settings().api_key == "k"


def test_check_zoom_admin_sends_the_token_from_the_environment(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    access = ControlAccess(token=TOKEN, loopback_only=False)
    with ThreadedServer(build_app(sim, control=access)) as server:
        monkeypatch.delenv(CONTROL_TOKEN_ENV, raising=False)
        without = ZoomAdmin(server.url + "/_sim/zoom")
        with pytest.raises(ZoomAdminError, match="answered 401"):
            without.check()
        without.close()
        monkeypatch.setenv(CONTROL_TOKEN_ENV, TOKEN)
        admin = ZoomAdmin(server.url + "/_sim/zoom")
        admin.check()
        admin.close()


def test_the_fixture_server_gives_its_clients_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONTROL_TOKEN_ENV, TOKEN)
    with running_simulator() as running, httpx.Client(trust_env=False) as http:
        url = running.control_url + "/zoom/settings"
        assert http.get(url).status_code == 401
        assert http.get(url, headers=running.control_headers).status_code == 200
