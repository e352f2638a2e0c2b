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


# -- issue 11: no traceback, no misleading verdict -----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/cb",
        "http://[zz]/cb",
        "http://[::1]:abc/cb",
        "cb.example/x",
        "ftp://cb.example/x",
        "http://cb.example:99999/",
        "http://cb.example:0/",
        "http:///cb",
        "http://:8080/cb",
        "http://cb example/",
        "http://cb.example/a b",
        "http://cb\x01.example/",
        "http://cb.example/\x1b[2J",
        "http://cb..example/",
        "http://\ufeffcb.example/",
    ],
)
def test_every_uncallable_url_is_one_line_and_exit_2(url: str, capsys: pytest.CaptureFixture[str]):
    code, out, err = run_cli(["probe", f"{url}?auth_token={SECRET}"], capsys)
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("recall-sim probe: error: URL")
    assert "is not callable: " in err
    assert SECRET not in err
    assert "\x1b" not in err and "\x01" not in err  # the URL is shown escaped


def test_an_unclosed_ipv6_bracket_is_a_usage_error_not_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "recall_sim.simulator.cli", "probe", "http://[::1/cb"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("recall-sim probe: error: URL")
    assert line.endswith("the host [::1 has an unmatched IPv6 bracket; write it as [address]:port")


def test_an_expired_token_is_shown_as_expired_not_too_soon(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = run_cli(["probe", f"{callback_server.url}/good?validity=-600"], capsys)
    assert code == 1
    validity = next(line for line in out.splitlines() if line.strip().startswith("validity"))
    assert "EXPIRED" in validity and "TOO SOON" not in validity
    assert "expired 600 s ago" in validity or "expired 599 s ago" in validity
    assert "-600" not in validity


def test_a_body_with_a_bom_shows_the_bom_escaped(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = run_cli(["probe", f"{callback_server.url}/bom"], capsys)
    assert code == 1
    body = next(line for line in out.splitlines() if line.strip().startswith("body:"))
    assert body.strip().startswith("body: \\ufeffeyJ")
    assert "FAIL  contract.plain-token-body" in out and "U+FEFF" in out


def test_a_probe_renders_no_python_reprs(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = run_cli(["probe", f"{callback_server.url}/no-cache-header"], capsys)
    assert code == 0
    assert "no Cache-Control header" in out
    assert "None" not in out
    assert "body: '" not in out and "b'" not in out
    assert "'zm:cid:" not in out and "'https://oauth.zoom.us'" not in out


@pytest.mark.slow
def test_a_longer_deadline_waits_longer_but_grades_against_recalls_5s(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
):
    code, out, _ = run_cli(
        ["probe", f"{callback_server.url}/slow?delay=6", "--deadline", "10"], capsys
    )
    assert code == 1
    assert "FAIL  contract.deadline-5s" in out
    assert "Recall gives up at 5 s" in out
    assert "Recall's budget: 5 s; waited up to 10 s" in out
    assert "over Recall's budget" in out


def test_version_prints_the_installed_version_and_exits_0():
    from importlib.metadata import version

    result = subprocess.run(
        [sys.executable, "-m", "recall_sim.simulator.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == f"recall-sim {version('recall-sim')}\n"


def test_probe_kind_grades_another_kinds_token_without_the_access_token_rules(
    callback_server: ThreadedServer, capsys: pytest.CaptureFixture[str]
):
    # 90 s left fails the access token's 120 s floor; a join token lives 120 s in all.
    url = f"{callback_server.url}/good?validity=90"
    code, out, _ = run_cli(["probe", url, "--kind", "join-token"], capsys)
    assert code == 0, out
    assert "contract.min-validity-120s is for the access-token kind" in out
    assert "5 s budget is an assumption for the join-token kind" in out
    code, out, _ = run_cli(["probe", url, "--kind", "join-token", "--json"], capsys)
    report = json.loads(out)
    assert (code, report["kind"]) == (0, "join-token")
    with pytest.raises(SystemExit) as exited:
        main(["probe", url, "--kind", "zoom"])
    assert exited.value.code == 2
    assert "--kind must be one of access-token, obf, zak, join-token" in capsys.readouterr().err
