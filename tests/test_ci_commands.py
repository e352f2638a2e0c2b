"""CI service helpers: ``serve --ready-file`` and ``recall-sim wait``."""

from __future__ import annotations

import io
import json
import socket
import time
from pathlib import Path

import pytest

from recall_sim.simulator.cli import main
from recall_sim.simulator.commands.serve import ServeSettings, serve
from recall_sim.simulator.commands.wait import WaitSettings, is_ready, wait
from recall_sim.simulator.observation import ErrorKind, Observation, ProbeFailure, Timings
from recall_sim.simulator.redaction import fingerprint
from recall_sim.simulator.testing import running_simulator
from tests.support.serve_process import serve_process

API_KEY = "ci-test-api-key-0123456789abcdef"
CONTROL_TOKEN = "ci-control-token-0123456789abcdef"


def _await_file(path: Path, *, present: bool, timeout: float = 10.0) -> None:
    give_up = time.monotonic() + timeout
    while path.exists() != present:
        assert time.monotonic() < give_up, f"{path} {'never appeared' if present else 'stayed'}"
        time.sleep(0.05)


def test_ready_file_names_the_addresses_and_no_secret(tmp_path: Path) -> None:
    ready = tmp_path / "state" / "ready.json"  # a missing directory is created
    env = {"RECALL_SIM_API_KEY": API_KEY, "RECALL_SIM_CONTROL_TOKEN": CONTROL_TOKEN}
    with serve_process("--zoom-port", "0", "--ready-file", str(ready), env=env) as served:
        _await_file(ready, present=True)
        text = ready.read_text()
        document = json.loads(text)
        assert document["url"] == served.url
        assert document["recall_api"] == served.url + "/api/v2/"
        assert document["zoom_admin"] == served.url + "/_sim/zoom"
        assert document["zoom_base_url"].startswith("http://127.0.0.1:")
        assert document["zoom_base_url"] in served.banner  # the --zoom-port listener
        assert document["api_key_fingerprint"] == fingerprint(API_KEY)
        assert document["control_token"] == {
            "required": True,
            "header": "X-Recall-Sim-Control",
            "source": "RECALL_SIM_CONTROL_TOKEN",
        }
        assert API_KEY not in text and CONTROL_TOKEN not in text
        assert not [p.name for p in ready.parent.iterdir() if p.name != "ready.json"]  # no temp
        assert served.interrupt() == 130
    assert not ready.exists()  # removed at shutdown


def test_ready_file_without_zoom_port_or_token(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    ready.write_text("stale, from a server that died\n")
    with serve_process("--ready-file", str(ready)) as served:
        _await_file(ready, present=True)
        give_up = time.monotonic() + 10
        while "stale" in ready.read_text():
            assert time.monotonic() < give_up
            time.sleep(0.05)
        document = json.loads(ready.read_text())
        assert document["zoom_base_url"] is None
        assert document["control_token"]["required"] is False
        assert document["control_token"]["source"] is None
        served.interrupt()
    assert not ready.exists()


def test_a_ready_file_that_cannot_be_written_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    code = serve(ServeSettings(port=0, ready_file=blocker / "ready.json"))

    assert code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        f"recall-sim serve: --ready-file {blocker / 'ready.json'} cannot be written: "
        f"{blocker} is not a directory"
    )


def test_a_ready_file_that_is_a_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert serve(ServeSettings(port=0, ready_file=tmp_path)) == 2
    assert "is a directory" in capsys.readouterr().err


# -- wait --------------------------------------------------------------------------------


def _observation(status: int | None, error: ErrorKind | None = None) -> Observation:
    failure = ProbeFailure(error, "refused") if error is not None else None
    return Observation(
        url="http://x/",
        started_at=0.0,
        deadline=2.0,
        timings=Timings(connect=None, first_byte=None, total=0.0),
        status=status,
        error=failure,
    )


@pytest.mark.parametrize(
    ("status", "require_2xx", "ready"),
    [
        (200, False, True),
        (401, False, True),  # a callback without its credential is up all the same
        (404, False, True),
        (501, False, True),
        (502, False, False),
        (503, False, False),
        (500, False, False),
        (None, False, False),
        (204, True, True),
        (401, True, False),
    ],
)
def test_what_counts_as_ready(status: int | None, require_2xx: bool, ready: bool) -> None:
    error = ErrorKind.CONNECTION_REFUSED if status is None else None
    assert is_ready(_observation(status, error), require_2xx=require_2xx) is ready


def test_wait_polls_until_ready_on_a_bounded_clock() -> None:
    now = [0.0]
    answers = [_observation(None, ErrorKind.CONNECTION_REFUSED), _observation(503)]
    answers.append(_observation(200))
    deadlines: list[float] = []

    def attempt(url: str, deadline: float) -> Observation:
        deadlines.append(deadline)
        return answers.pop(0)

    def sleep(seconds: float) -> None:
        now[0] += seconds

    out = io.StringIO()
    code = wait(
        WaitSettings("http://127.0.0.1:1/_sim/health", timeout=5, interval=1),
        out=out,
        attempt=attempt,
        monotonic=lambda: now[0],
        sleep=sleep,
    )

    assert code == 0
    assert deadlines == [2.0, 2.0, 2.0]
    assert "is ready (HTTP 200, 2.0 s, 3 attempts)" in out.getvalue()


def test_wait_gives_up_at_the_timeout_with_exit_2() -> None:
    now = [0.0]

    def attempt(url: str, deadline: float) -> Observation:
        now[0] += deadline  # a hanging server: each attempt takes its whole deadline
        return _observation(None, ErrorKind.DEADLINE_BEFORE_HEADERS)

    err = io.StringIO()
    code = wait(
        WaitSettings("http://127.0.0.1:1/zoom/access-token?user-id=1&secret=hunter2hunter2"),
        err=err,
        attempt=attempt,
        monotonic=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )

    assert code == 2
    message = err.getvalue()
    assert "not ready after 30 s" in message and "last: deadline-before-headers" in message
    assert "hunter2" not in message  # the URL's secret is masked
    assert now[0] <= 30.0


def test_wait_command_against_a_real_server_and_a_closed_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with running_simulator() as sim:
        assert main(["wait", f"{sim.url}/_sim/health", "--require-2xx", "--timeout", "5"]) == 0
    assert "is ready (HTTP 200" in capsys.readouterr().out
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    started = time.monotonic()
    code = main(["wait", f"http://127.0.0.1:{port}/", "--timeout", "0.6", "--interval", "0.1"])
    assert code == 2
    assert time.monotonic() - started < 5
    assert "connection-refused" in capsys.readouterr().err


def test_wait_rejects_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["wait", "ftp://example.com/", "--timeout", "1"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        main(["wait", "http://127.0.0.1/", "--timeout", "0"])
    assert exited.value.code == 2
    assert "--timeout must be between 0 and 3600" in capsys.readouterr().err
