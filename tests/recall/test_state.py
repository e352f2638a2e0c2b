"""``--state PATH``: apps, credentials and logs survive a restart, even a SIGKILL."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.recall.queries import CredentialLogQuery
from tests.recall.support import Callbacks, Mode, user_for
from tests.support.serve_process import ServeProcess, serve_process
from tests.support.tokens import CLIENT_ID

ROOT = Path(__file__).resolve().parents[2]
KEY = "state-test-key-0123456789"


def test_state_file_keeps_apps_credentials_and_logs(
    tmp_path: Path, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    path = tmp_path / "recall.sqlite3"
    first = FakeRecall(settings=RecallSettings(poll_interval=0), state_path=path)
    app = first.create_app(client_id=CLIENT_ID)
    created = first.create_credential(
        oauth_app=app.id, access_token_callback_url=callback_url("jo")
    )
    callbacks.set("jo", Mode.ERROR)
    first.poll_now()
    first.close()

    second = FakeRecall(settings=RecallSettings(poll_interval=0), state_path=path)
    try:
        assert second.get_app(app.id) == app
        assert second.get_credential(created.credential.id).consecutive_failures == 1
        [log] = second.credential_logs(CredentialLogQuery(credential=created.credential.id)).items
        assert "(contract.status-2xx)" in log.message
    finally:
        second.close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_state_file_from_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(RuntimeError, match="schema version 99"):
        FakeRecall(state_path=path)


def _unrelated_database(path: Path, *tables: str) -> bytes:
    """Another program's SQLite file with ``tables`` (and rows); returns its bytes."""
    with sqlite3.connect(path) as db:
        for table in tables:
            db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT)")
            db.execute(f"INSERT INTO {table} (name) VALUES ('kept')")  # noqa: S608
    db.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    ("tables", "named"),
    [
        (("users", "orders"), "table 'orders', table 'users'"),
        # A name recall-sim uses, with other columns: still not a state file.
        (("credentials",), "table 'credentials' with other columns"),
    ],
)
def test_serve_refuses_an_unrelated_database_without_writing_to_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tables: tuple[str, ...],
    named: str,
) -> None:
    from recall_sim.simulator.commands import serve as serve_command

    def no_listening(host: str, port: int) -> None:
        raise AssertionError("serve went on to listen on an unrelated --state file")

    monkeypatch.setattr(serve_command, "_listen", no_listening)
    path = tmp_path / "app.db"
    before = _unrelated_database(path, *tables)
    assert serve_command.serve(serve_command.ServeSettings(port=0, state_path=str(path))) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"recall-sim serve: cannot start the fake Recall: state file {path} ")
    assert f"state file {path} is not a recall-sim state file (it has {named})" in line
    assert path.read_bytes() == before  # no tables, no WAL switch, nothing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100)
    with pytest.raises(RuntimeError, match=f"^state file {path} is not a SQLite database$"):
        FakeRecall(state_path=path)
    assert path.read_text() == "not a database\n" * 100


def test_an_empty_file_becomes_a_state_file(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    path.touch()
    FakeRecall(state_path=path).close()
    FakeRecall(state_path=path).close()  # and is recognised as one when reopened


@contextmanager
def _serve(state: Path) -> Iterator[ServeProcess]:
    """``recall-sim serve --state`` on a free port, its banner checked."""
    options = ["--api-key", KEY, "--poll-interval", "0", "--state", str(state)]
    with serve_process(*options) as served:
        assert f"state           {state}" in served.banner
        assert served.banner.count(KEY) == 1  # the key, printed once
        yield served


def test_a_sigkilled_server_restarted_on_its_state_still_lists_the_credential(
    tmp_path: Path, callbacks: Callbacks, callback_url: Callable[[str], str]
) -> None:
    state = tmp_path / "state.sqlite3"
    headers = {"Authorization": f"Token {KEY}"}
    with _serve(state) as served:
        with httpx.Client(base_url=served.url + "/api/v2", headers=headers, timeout=15) as api:
            app = api.post(
                "/zoom-oauth-apps/",
                json={
                    "kind": "user_level",
                    "client_id": CLIENT_ID,
                    "client_secret": "d",
                    "webhook_secret": "d",
                },
            ).json()
            created = api.post(
                "/zoom-oauth-credentials/",
                json={"oauth_app": app["id"], "access_token_callback_url": callback_url("kai")},
            )
            assert created.status_code == 201, created.text
        served.kill()
        assert served.process.returncode == -signal.SIGKILL

    with (
        _serve(state) as restarted,
        httpx.Client(base_url=restarted.url + "/api/v2", headers=headers, timeout=15) as api,
    ):
        [credential] = api.get("/zoom-oauth-credentials/").json()["results"]
        assert credential == created.json()
        assert credential["user_id"] == user_for("kai")
        assert api.get(f"/zoom-oauth-apps/{app['id']}/").json() == app
