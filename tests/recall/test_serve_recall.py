"""``recall-sim serve``'s fake Recall options, its banner, and the journal file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from recall_sim.simulator.app import Simulator
from recall_sim.simulator.cli import _parser_for, main
from recall_sim.simulator.commands.serve import ServeSettings, banner, serve, settings_from_args
from recall_sim.simulator.recall import DuplicatePolicy
from tests.recall.meeting_support import sync_settled
from tests.recall.support import Callbacks
from tests.support.serve_process import serve_process
from tests.support.tokens import CLIENT_ID

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--verification-secret", "plain"], "starts with 'whsec_'"),
        (["--poll-interval", "-1"], "seconds must be between 0 and 86400, got -1"),
        (["--poll-interval", "often"], "expected seconds, got 'often'"),
        (["--unhealthy-after", "0"], "must be between 1 and 100000, got 0"),
        (["--duplicate-credentials", "merge"], "invalid choice: 'merge'"),
        (["--api-key", " "], "the API key must be non-empty, without whitespace"),
    ],
)
def test_bad_recall_options_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", *argv])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err.splitlines()[-1]


def test_options_become_recall_settings(tmp_path: Path) -> None:
    argv = [
        "serve",
        "--api-key", "my-key",
        "--verification-secret", SECRET,
        "--poll-interval", "2.5",
        "--poll-jitter", "1",
        "--poll-concurrency", "7",
        "--unhealthy-after", "4",
        "--duplicate-credentials", "reject",
        "--rate-limits",
        "--state", str(tmp_path / "s.db"),
        "--journal-file", str(tmp_path / "j.jsonl"),
    ]  # fmt: skip
    settings = settings_from_args(_parser_for(argv).parse_args(argv))
    recall = settings.recall_settings()
    assert recall.api_key == "my-key"
    assert recall.verification_secret == SECRET
    assert (recall.poll_interval, recall.poll_jitter, recall.poll_concurrency) == (2.5, 1.0, 7)
    assert recall.unhealthy_after == 4
    assert recall.duplicate_credentials is DuplicatePolicy.REJECT
    assert recall.rate_limits
    assert recall.journal_path == str(tmp_path / "j.jsonl")
    assert settings.state_path == str(tmp_path / "s.db")


def test_the_api_key_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECALL_SIM_API_KEY", "key-from-env")
    argv = ["serve"]
    assert settings_from_args(_parser_for(argv).parse_args(argv)).api_key == "key-from-env"


def test_the_verification_secret_can_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RECALL_SIM_VERIFICATION_SECRET", SECRET)
    argv = ["serve"]
    settings = settings_from_args(_parser_for(argv).parse_args(argv))
    assert settings.recall_settings().verification_secret == SECRET
    monkeypatch.setenv("RECALL_SIM_VERIFICATION_SECRET", "not-a-whsec")
    assert main(["serve", "--port", "0"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("recall-sim serve: $RECALL_SIM_VERIFICATION_SECRET: a signing secret")
    assert "starts with 'whsec_'" in line and "not-a-whsec" not in line


def test_banner_names_the_recall_base_url_and_the_key_once_and_hides_the_secret() -> None:
    settings = ServeSettings(api_key="printed-key-123", verification_secret=SECRET)
    sim = Simulator.create(recall_settings=settings.recall_settings())
    text = banner(sim, "http://127.0.0.1:8700")
    assert "API base        http://127.0.0.1:8700/api/v2/" in text
    assert text.count("printed-key-123") == 1
    assert SECRET not in text
    assert "signed with whsec_Mf" in text
    assert "state           in memory" in text
    assert "POST http://127.0.0.1:8700/_sim/recall/poll" in text
    assert text.rstrip().endswith("/_sim/reset")  # still the last line, as readers expect


def test_an_unusable_state_file_is_an_environment_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 42")
    assert serve(ServeSettings(port=0, state_path=str(path))) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"recall-sim serve: cannot start the fake Recall: state file {path}")
    assert "schema version 42" in line


def test_serve_signs_calls_and_writes_the_journal_on_ctrl_c(
    tmp_path: Path,
    callbacks: Callbacks,
    callback_url: Callable[[str], str],
) -> None:
    journal = tmp_path / "calls.jsonl"
    options = ["--api-key", "k-123", "--verification-secret", SECRET, "--poll-interval", "0",
               "--journal-file", str(journal)]  # fmt: skip
    with serve_process(*options) as served:
        headers = {"Authorization": "Token k-123"}
        with httpx.Client(base_url=served.url + "/api/v2", headers=headers, timeout=15) as api:
            app = api.post(
                "/zoom-oauth-apps/",
                data={
                    "kind": "user_level",
                    "client_id": CLIENT_ID,
                    "client_secret": "d",
                    "webhook_secret": "d",
                },
            ).json()
            created = api.post(
                "/zoom-oauth-credentials/",
                json={"oauth_app": app["id"], "access_token_callback_url": callback_url("lou")},
            )
            assert created.status_code == 201, created.text
            # The meeting sync the create started calls the callback for a token too.
            sync_settled(api, created.json()["id"])
        code = served.interrupt()
    stderr = served.stderr
    assert code == 130, stderr
    for headers_seen in callbacks.requests["lou"]:
        Webhook(SECRET).verify("", headers_seen, json_parse=False)
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [(r["purpose"], r["outcome"], r["signed"]) for r in records] == [
        ("create", "accepted", True),
        ("access_token", "accepted", True),
    ]
    assert len(callbacks.requests["lou"]) == 2
    everything = served.banner + stderr + journal.read_text()
    assert "s3cr3t-lou-value" not in everything
    assert SECRET not in everything
