"""``recall-sim probe``: the diagnosis, the JSON shape, exit codes, and no secret in any output."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from recall_sim.simulator.cli import main
from recall_sim.simulator.serving import ThreadedServer
from tests.support.tokens import CLIENT_ID, USER_ID

SECRET = "sup3r-s3cret-auth-value-0001"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_good_callback_exits_0_with_a_full_diagnosis(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
):
    url = f"{callback_server.url}/good?user-id=1&auth_token={SECRET}"
    code, out, _ = run_cli(
        ["probe", url, "--client-id", CLIENT_ID, "--expect-user-id", USER_ID], capsys
    )
    assert code == 0
    for expected in (
        "Timeline",
        "connected",
        "headers",
        "complete",
        "Clock skew",
        "validity",
        "floor is 120 s",
        "curl",
        "uid",
        "accepted by Recall's rules",
    ):
        assert expected in out
    assert SECRET not in out
    assert not JWT.search(out)


def test_expiring_token_exits_1_and_shows_the_fix(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = run_cli(["probe", f"{callback_server.url}/good?validity=90"], capsys)
    assert code == 1
    assert "FAIL  contract.min-validity-120s" in out
    assert "expires in 9" in out
    assert "Refresh when less than a margin" in out


def test_unreachable_target_is_a_status_failure_with_the_error_class(
    capsys: pytest.CaptureFixture[str],
):
    code, out, _ = run_cli(["probe", "http://no-such-host.invalid/cb"], capsys)
    assert code == 1
    assert "FAIL  contract.status-2xx" in out and "dns-failure" in out


def test_json_output_has_the_observation_and_per_rule_results(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
):
    url = f"{callback_server.url}/json?auth_token={SECRET}"
    code, out, _ = run_cli(["probe", url, "--json"], capsys)
    assert code == 1
    report = json.loads(out)
    assert report["observation"]["status"] == 200
    assert set(report["results"][0]) >= {
        "rule",
        "verdict",
        "title",
        "detail",
        "evidence",
        "reproduce",
    }
    body_rule = next(r for r in report["results"] if r["rule"] == "contract.plain-token-body")
    assert body_rule["verdict"] == "fail"
    assert "curl" in body_rule["reproduce"]
    assert SECRET not in out
    assert not JWT.search(out)


def test_show_secrets_reveals_token_and_secret(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
):
    url = f"{callback_server.url}/good?auth_token={SECRET}"
    code, out, _ = run_cli(["probe", url, "--show-secrets"], capsys)
    assert code == 0
    assert SECRET in out
    assert JWT.search(out)


def test_non_http_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]):
    code, out, err = run_cli(["probe", f"ftp://cb.example/x?auth_token={SECRET}"], capsys)
    assert code == 2
    assert "http:// or https://" in err
    assert SECRET not in err + out


@pytest.mark.parametrize(
    "args",
    [
        ["probe"],
        ["probe", "http://x", "--deadline", "soon"],
        ["probe", "http://x", "--deadline", "0"],
        ["bogus"],
    ],
)
def test_bad_options_exit_2_with_one_clear_line(args: list[str]):
    result = subprocess.run(
        [sys.executable, "-m", "recall_sim.simulator.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr.splitlines()[-1]
