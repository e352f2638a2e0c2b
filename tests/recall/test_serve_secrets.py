"""``recall-sim serve``: --secret-param/--secret-path-segment, and the banner's API key line."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from recall_sim.simulator.app import Simulator
from recall_sim.simulator.cli import _parser_for, main
from recall_sim.simulator.commands.serve import ServeSettings, banner, settings_from_args
from recall_sim.simulator.redaction import SecretPolicy, redact_token
from recall_sim.simulator.serving import ThreadedServer
from tests.recall.support import Callbacks, Mode
from tests.support.serve_process import serve_process
from tests.support.tokens import CLIENT_ID

ROOT = Path(__file__).resolve().parents[2]
ENV_KEY = "env-key-0123456789abcdefghijklmnop"
URL_SECRET = "c0de-Secret-for-serve-0003"


def _settings(argv: list[str]) -> ServeSettings:
    argv = ["serve", *argv]
    return settings_from_args(_parser_for(argv).parse_args(argv))


def _api_key_line(settings: ServeSettings) -> str:
    sim = Simulator.create(recall_settings=settings.recall_settings())
    try:
        text = banner(sim, "http://127.0.0.1:8700", api_key_from_env=settings.api_key_from_env)
    finally:
        sim.recall.close()
    return next(line for line in text.splitlines() if "API key" in line)


def test_secret_options_become_the_fixed_masking_policy() -> None:
    settings = _settings(
        ["--secret-param", "code", "--secret-param", "sig2", "--secret-path-segment", "-1"]
    )
    assert settings.recall_settings().url_secrets == SecretPolicy(("code", "sig2"), (-1,))
    assert _settings([]).recall_settings().url_secrets == SecretPolicy()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--secret-param", "code=abc"], "takes a parameter name, not NAME=VALUE: give 'code'"),
        (["--secret-path-segment", "1.5"], "must be a whole number (0 = first segment, -1 = last)"),
    ],
)
def test_bad_secret_options_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err.splitlines()[-1] and "abc" not in err


def test_a_key_from_the_environment_is_shown_as_a_fingerprint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECALL_SIM_API_KEY", ENV_KEY)
    settings = _settings([])
    assert settings.api_key_from_env
    line = _api_key_line(settings)
    assert ENV_KEY not in line
    assert redact_token(ENV_KEY) in line and "from RECALL_SIM_API_KEY" in line


def test_a_random_or_given_key_is_printed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECALL_SIM_API_KEY", raising=False)
    given = _settings(["--api-key", "given-key-123"])
    assert not given.api_key_from_env
    assert "given-key-123   (header: Authorization: Token <key>)" in _api_key_line(given)
    random_key = _settings([])
    sim = Simulator.create(recall_settings=random_key.recall_settings())
    try:
        assert sim.recall.settings.api_key in banner(sim, "http://127.0.0.1:8700")
    finally:
        sim.recall.close()


def test_serve_hides_the_env_key_and_the_named_secret_everywhere(
    tmp_path: Path, callbacks: Callbacks, switchboard: tuple[Callbacks, ThreadedServer]
) -> None:
    journal = tmp_path / "calls.jsonl"
    options = ["--poll-interval", "0", "--journal-file", str(journal), "--secret-param", "code"]
    callback_url = f"{switchboard[1].url}/cb/ned?user-id=ned&code={URL_SECRET}"
    with serve_process(*options, env={"RECALL_SIM_API_KEY": ENV_KEY}) as served:
        callbacks.set("ned", Mode.ERROR)
        headers = {"Authorization": f"Token {ENV_KEY}"}
        with httpx.Client(base_url=served.url + "/api/v2", headers=headers, timeout=15) as api:
            app = api.post(
                "/zoom-oauth-apps/",
                json={"kind": "user_level", "client_id": CLIENT_ID,
                      "client_secret": "d", "webhook_secret": "d"},
            ).json()  # fmt: skip
            rejected = api.post(
                "/zoom-oauth-credentials/",
                json={"oauth_app": app["id"], "access_token_callback_url": callback_url},
            )
            logs = api.get("/zoom-oauth-app-logs/").text
        served.interrupt()
    assert rejected.status_code == 400
    assert "code=***" in rejected.text
    everything = served.banner + served.stderr + rejected.text + logs + journal.read_text()
    assert URL_SECRET not in everything
    assert ENV_KEY not in everything
    assert "from RECALL_SIM_API_KEY" in served.banner
