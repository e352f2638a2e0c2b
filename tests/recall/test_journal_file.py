"""The journal file: one flushed JSON line per call as it is made, never truncated."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from recall_sim.simulator.commands import serve as serve_command
from recall_sim.simulator.commands.serve import ServeSettings, serve
from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.recall.api import build_recall_app
from recall_sim.simulator.serving import ThreadedServer
from tests.recall.conftest import API_KEY, FAST_DEADLINE
from tests.recall.meeting_support import sync_settled
from tests.recall.support import Callbacks
from tests.support.serve_process import serve_process
from tests.support.tokens import CLIENT_ID

ROOT = Path(__file__).resolve().parents[2]
APP = {"kind": "user_level", "client_id": CLIENT_ID, "client_secret": "d", "webhook_secret": "d"}


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _fake(path: Path) -> FakeRecall:
    settings = RecallSettings(
        api_key=API_KEY, poll_interval=0, callback_deadline=FAST_DEADLINE, journal_path=str(path)
    )
    return FakeRecall(settings=settings)


def _create(fake: FakeRecall, url: str) -> str:
    app = fake.create_app(client_id=CLIENT_ID)
    return str(
        fake.create_credential(oauth_app=app.id, access_token_callback_url=url).credential.id
    )


def test_each_call_is_in_the_file_while_the_server_still_runs(
    tmp_path: Path, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    path = tmp_path / "calls.jsonl"
    fake = _fake(path)
    assert path.read_text() == ""  # opened (created) at start, before any call
    try:
        with (
            ThreadedServer(build_recall_app(fake)) as server,
            httpx.Client(
                base_url=server.url + "/api/v2",
                headers={"Authorization": f"Token {API_KEY}"},
                timeout=20,
            ) as api,
        ):
            app = api.post("/zoom-oauth-apps/", json=APP).json()
            created = api.post(
                "/zoom-oauth-credentials/",
                json={"oauth_app": app["id"], "access_token_callback_url": callback_url("ada")},
            )
            assert created.status_code == 201, created.text
            assert [line["purpose"] for line in _lines(path)] == ["create"]
            credential = created.json()["id"]
            token = api.get(f"/zoom-oauth-credentials/{credential}/access-token/")
            assert token.status_code == 200, token.text
            lines = _lines(path)  # the server is still serving: nothing waits for shutdown
            assert [line["purpose"] for line in lines] == ["create", "access_token"]
            create, access = fake.calls()
            assert lines[1] == access.to_json()
            # Written when the call was made, before the credential existed; only the
            # in-memory record is linked to it afterwards.
            assert lines[0] == {**create.to_json(), "credential": None}
            assert create.credential is not None and str(create.credential) == credential
    finally:
        fake.close()
    assert "s3cr3t-ada-value" not in path.read_text()
    assert token.json()["token"] not in path.read_text()


def test_a_restart_on_the_same_path_appends_after_the_earlier_lines(
    tmp_path: Path, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    path = tmp_path / "runs" / "calls.jsonl"  # missing folders are created

    async def one_run(name: str) -> None:
        fake = _fake(path)
        async with fake.running():
            app = fake.create_app(client_id=CLIENT_ID)
            await fake.acreate_credential(
                oauth_app=app.id, access_token_callback_url=callback_url(name)
            )
        fake.close()

    asyncio.run(one_run("bea"))
    first = path.read_text()
    asyncio.run(one_run("cyd"))
    assert path.read_text().startswith(first)
    lines = _lines(path)
    assert [(line["seq"], line["purpose"]) for line in lines] == [(1, "create"), (1, "create")]
    assert [line["url"].split("?")[0].rsplit("/", 1)[1] for line in lines] == ["bea", "cyd"]


def test_reset_and_clearing_the_journal_leave_the_file_alone(
    tmp_path: Path, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    path = tmp_path / "calls.jsonl"
    fake = _fake(path)
    try:
        _create(fake, callback_url("dee"))
        fake.reset()
        assert fake.calls() == []
        assert len(_lines(path)) == 1
        _create(fake, callback_url("eve"))
        fake.journal.clear()
        _create(fake, callback_url("fay"))
    finally:
        fake.close()
    # The memory restarts at seq 1 after each; the file keeps every call in order.
    assert [line["seq"] for line in _lines(path)] == [1, 1, 1]
    assert len({line["at"] for line in _lines(path)}) == 3


def test_a_new_journal_path_takes_the_next_calls_and_a_bad_one_changes_nothing(
    tmp_path: Path, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    fake = _fake(first)
    try:
        _create(fake, callback_url("gus"))
        with pytest.raises(OSError, match=f"cannot open the journal file {tmp_path}: "):
            fake.configure(journal_path=str(tmp_path), unhealthy_after=7)  # a folder
        assert fake.settings.journal_path == str(first)
        assert fake.settings.unhealthy_after != 7
        fake.configure(journal_path=str(second))
        _create(fake, callback_url("hal"))
    finally:
        fake.close()
    assert len(_lines(first)) == 1
    assert len(_lines(second)) == 1


def test_a_journal_path_that_cannot_be_opened_fails_the_start(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for path in (tmp_path, blocker / "calls.jsonl"):  # a folder; a file's "subfolder"
        with pytest.raises(OSError, match=f"^cannot open the journal file {path}: "):
            FakeRecall(settings=RecallSettings(journal_path=str(path)))


def test_serve_refuses_a_journal_path_it_cannot_open_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_listening(host: str, port: int) -> None:
        raise AssertionError("serve went on to listen despite the journal path")

    monkeypatch.setattr(serve_command, "_listen", no_listening)
    assert serve(ServeSettings(port=0, journal_path=str(tmp_path))) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("recall-sim serve: cannot start the fake Recall: ")
    assert f"cannot open the journal file {tmp_path}: Is a directory" in line


def test_a_bad_journal_path_beside_a_good_state_file_is_not_blamed_on_the_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_command, "_listen", lambda host, port: None)
    state = str(tmp_path / "state.db")
    assert serve(ServeSettings(port=0, state_path=state, journal_path=str(tmp_path))) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "--state" not in line
    assert f"cannot open the journal file {tmp_path}" in line


def test_a_sigkilled_serve_leaves_a_line_for_every_answered_call(
    tmp_path: Path, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    path = tmp_path / "calls.jsonl"
    path.write_text('{"from": "an earlier run"}\n')
    options = ["--api-key", "k-456", "--poll-interval", "0", "--journal-file", str(path)]
    with serve_process(*options) as served:
        headers = {"Authorization": "Token k-456"}
        with httpx.Client(base_url=served.url + "/api/v2", headers=headers, timeout=15) as api:
            app = api.post("/zoom-oauth-apps/", json=APP).json()
            created = api.post(
                "/zoom-oauth-credentials/",
                json={"oauth_app": app["id"], "access_token_callback_url": callback_url("ivy")},
            )
            assert created.status_code == 201, created.text
            credential = created.json()["id"]
            # The meeting sync the create started calls the callback for a token too.
            sync_settled(api, credential)
            answered = [
                api.get(f"/zoom-oauth-credentials/{credential}/access-token/"),
                api.post(f"/zoom-oauth-credentials/{credential}/validate/"),
            ]
            assert [r.status_code for r in answered] == [200, 200]
        served.kill()
        assert served.process.returncode == -signal.SIGKILL
    earlier, *calls = _lines(path)
    assert earlier == {"from": "an earlier run"}
    assert [(c["seq"], c["purpose"], c["outcome"]) for c in calls] == [
        (1, "create", "accepted"),
        (2, "access_token", "accepted"),  # the meeting sync's
        (3, "access_token", "accepted"),
        (4, "validate", "accepted"),
    ]
    assert {c["credential"] for c in calls[1:]} == {credential}
