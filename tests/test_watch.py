"""``recall-sim watch``: the loop against real callbacks, its files, both displays, Ctrl-C
and exit codes, and no secret in any output."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from recall_sim.conformance.watch import WatchSettings, run_watch
from recall_sim.conformance.watch.display import LineDisplay, LiveDisplay, open_display
from recall_sim.conformance.watch.render import (
    Style,
    cut,
    render_call_line,
    render_final,
    render_status,
)
from recall_sim.conformance.watch.state import AnswerTimes, WatchState
from recall_sim.simulator.causes import Cause, CauseId
from recall_sim.simulator.kinds import TokenKind
from recall_sim.simulator.redaction import SecretPolicy
from recall_sim.simulator.rules import Outcome, Verdict
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.testing import RunningSimulator, running_simulator
from recall_sim.simulator.timeline import CallPoint
from recall_sim.simulator.zoom import ZoomSettings
from tests.conformance.conftest import SIGNING_SECRET
from tests.support.flawed_callback import callback_url
from tests.support.refreshing_callback import RefreshingCallback
from tests.support.tokens import CLIENT_ID, zoom_token

SECRET = "sup3r-s3cret-auth-value-0001"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # colour, not cursor movement
CSI = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])")
QUICK = {"interval": 0.1, "duration": 0.5}  # five calls


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets the colour environment it is about; a terminal 100 columns wide."""
    for name in ("NO_COLOR", "FORCE_COLOR", "PY_COLORS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "100")


def watch(url: str, out: io.StringIO | None = None, **options: Any) -> tuple[int, str, str]:
    out = io.StringIO() if out is None else out
    err = io.StringIO()
    code = run_watch(WatchSettings(url=url, **{**QUICK, **options}), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def screen(raw: str) -> list[str]:
    """What a terminal shows after ``raw``: enough of VT100 for the live view's codes."""
    rows, row, col = [""], 0, 0
    position = 0
    while position < len(raw):
        match = CSI.match(raw, position)
        if match:
            params, command = match.groups()
            if command == "A":
                row = max(0, row - int(params or 1))
            elif command == "J":
                del rows[row + 1 :]
                rows[row] = rows[row][:col]
            position = match.end()
            continue
        char = raw[position]
        if char == "\r":
            col = 0
        elif char == "\n":
            row, col = row + 1, 0
            if row == len(rows):
                rows.append("")
        else:
            line = rows[row].ljust(col)
            rows[row] = line[:col] + char + line[col + 1 :]
            col += 1
        position += 1
    return rows[:-1] if rows[-1] == "" else rows


# -- the loop against real callbacks -------------------------------------------------------


def test_a_good_callback_exits_0_and_every_call_is_a_line(
    callback_server: ThreadedServer, tmp_path: Path
):
    url = f"{callback_server.url}/good?user-id=1&auth_token={SECRET}"
    jsonl, report_path = tmp_path / "w.jsonl", tmp_path / "out" / "r.json"
    html = tmp_path / "out" / "r.html"
    code, out, err = watch(
        url, jsonl=jsonl, report_json=report_path, report_html=html, client_id=CLIENT_ID
    )
    assert (code, err) == (0, "")
    calls = [line for line in out.splitlines() if re.match(r"\d\d:\d\d:\d\dZ #\d", line)]
    assert [c.split()[1] for c in calls] == ["#0", "#1", "#2", "#3", "#4"]
    assert all(" 200 " in c and "ms/5 s" in c and "sha256:" in c and "s left" in c for c in calls)
    assert "\x1b" not in out  # not a terminal: no colour, no cursor codes
    assert "5 calls, 5 accepted, 0 failed (ended by --duration)" in out
    assert "Causes\n  none found" in out

    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["call"] * 5 + ["summary"]
    first = lines[0]
    assert set(first) >= set(CallPoint.from_json(first).to_json()) | {"verdict", "problems"}
    assert first["verdict"] == "warn"  # http://: hygiene.https
    assert first["problems"] == [
        {"rule": "hygiene.https", "verdict": "warn", "detail": first["problems"][0]["detail"]}
    ]
    summary = lines[-1]
    assert summary["causes"] == [] and "timeline" not in summary
    assert summary["requests_sent"] == 5

    report = json.loads(report_path.read_text())
    assert set(report) >= {
        "target",
        "started_at",
        "duration_s",
        "summary",
        "results",
        "causes",
        "timeline",
        "interrupted",
    }
    assert report["target"] == f"{callback_server.url}/good?user-id=1&auth_token=***"
    assert report["interrupted"] is False and report["stopped_by"] == "duration"
    assert 0.45 <= report["duration_s"] < 2
    assert len(report["timeline"]["calls"]) == 5
    by_rule = {r["rule"]: r for r in report["results"]}
    assert by_rule["contract.status-2xx"]["verdict"] == "pass"
    assert by_rule["contract.status-2xx"]["counts"] == {"pass": 5, "fail": 0, "warn": 0, "skip": 0}
    assert by_rule["contract.issuer-client-id"]["verdict"] == "pass"
    assert by_rule["contract.expected-user"]["verdict"] == "skip"
    assert by_rule["hygiene.https"]["verdict"] == "warn"
    summary_counts = report["summary"]
    assert (summary_counts["fail"], summary_counts["warn"], summary_counts["skip"]) == (0, 1, 1)
    assert sum(summary_counts.values()) == len(report["results"])
    assert "curl" in by_rule["hygiene.https"]["reproduce"]
    assert f"Reports: {jsonl}, {report_path}, {html}" in out
    assert "</html>" in html.read_text()
    for text in (out, jsonl.read_text(), report_path.read_text(), html.read_text()):
        assert SECRET not in text and not JWT.search(text)


def test_a_rule_failing_on_every_call_exits_1_with_counts(
    callback_server: ThreadedServer, tmp_path: Path
):
    report_path = tmp_path / "r.json"
    code, out, _ = watch(f"{callback_server.url}/good?validity=90", report_json=report_path)
    assert code == 1
    assert "FAIL contract.min-validity-120s" in out
    report = json.loads(report_path.read_text())
    failed = next(r for r in report["results"] if r["rule"] == "contract.min-validity-120s")
    assert failed["verdict"] == "fail"
    assert failed["counts"]["fail"] == 5
    assert failed["detail"].startswith("failed on 5 of 5 calls (first #0, last #4)")
    assert failed["fix"]


def test_strict_makes_a_warning_exit_1(callback_server: ThreadedServer):
    url = f"{callback_server.url}/good"
    assert watch(url, interval=0.1, duration=0.1)[0] == 0
    assert watch(url, interval=0.1, duration=0.1, strict=True)[0] == 1  # hygiene.https warns


def _failing_from(call: int) -> Callable[..., Response]:
    calls = {"n": 0}

    async def endpoint(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] > call:
            return PlainTextResponse("down", status_code=503)
        return PlainTextResponse(zoom_token(), headers={"Cache-Control": "no-store"})

    return endpoint


@pytest.fixture
def serve_app() -> Iterator[Callable[[Starlette], str]]:
    servers: list[ThreadedServer] = []

    def start(app: Starlette) -> str:
        server = ThreadedServer(app).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def test_until_fail_stops_at_the_first_failing_call(
    serve_app: Callable[[Starlette], str], tmp_path: Path
):
    base = serve_app(Starlette(routes=[Route("/cb", _failing_from(3))]))
    started = time.monotonic()
    report_path = tmp_path / "r.json"
    code, out, _ = watch(
        f"{base}/cb", interval=0.1, duration=30, until_fail=True, report_json=report_path
    )
    assert time.monotonic() - started < 10
    assert code == 1
    report = json.loads(report_path.read_text())
    assert report["stopped_by"] == "first-failure" and report["interrupted"] is False
    assert [c["status"] for c in report["timeline"]["calls"]] == [200, 200, 200, 503]
    assert "ended by the first failure, --until-fail" in out


def test_signed_calls_pass_a_callback_that_requires_signatures(
    serve_flawed: Callable[..., str], tmp_path: Path
):
    url = callback_url(serve_flawed(None, signing_secret=SIGNING_SECRET))
    jsonl = tmp_path / "w.jsonl"
    code, _, _ = watch(url, jsonl=jsonl, signing_secret=SIGNING_SECRET, duration=0.2)
    assert code == 0
    calls = [json.loads(line) for line in jsonl.read_text().splitlines()][:-1]
    assert calls and all(c["signed"] and c["status"] == 200 for c in calls)
    unsigned, _, _ = watch(url, duration=0.2)
    assert unsigned == 1


def test_a_secret_the_callback_echoes_is_masked_everywhere(
    serve_app: Callable[[Starlette], str], tmp_path: Path
):
    secret = "Qx7-echoed-credential-4242"

    async def echo(request: Request) -> Response:
        return PlainTextResponse(f"no token for {request.url.query}", status_code=401)

    base = serve_app(Starlette(routes=[Route("/cb", echo)]))
    jsonl, report_path = tmp_path / "w.jsonl", tmp_path / "r.json"
    # "code" does not look like a secret's name: only --secret-param says it is one.
    code, out, err = watch(
        f"{base}/cb?user=1&code={secret}",
        secrets=SecretPolicy(params=("code",)),
        jsonl=jsonl,
        report_json=report_path,
        duration=0.2,
    )
    assert code == 1
    report = report_path.read_text()
    assert "no token for user=1&code=" in report  # the echo is there, without the value
    for text in (out, err, jsonl.read_text(), report):
        assert secret not in text


def test_zoom_events_join_the_timeline_and_the_status(tmp_path: Path):
    jsonl, report_path = tmp_path / "w.jsonl", tmp_path / "r.json"
    with running_simulator(zoom_settings=ZoomSettings(access_token_lifetime=130)) as sim:
        app, user_id = _refreshing_callback(sim)
        with ThreadedServer(app) as server:
            code, out, _ = watch(
                f"{server.url}/cb?user-id={user_id}",
                zoom_admin=sim.control_url + "/zoom",
                client_id=sim.zoom.default_app.client_id,
                duration=0.3,
                jsonl=jsonl,
                report_json=report_path,
            )
    # 130 s tokens under the callback's 300 s margin: it refreshes before every answer.
    assert code == 0, out
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    zoom = [line for line in lines if line["type"] == "zoom"]
    assert len(zoom) >= 2 and {z["kind"] for z in zoom} == {"refresh"}
    assert all(z["outcome"] == "ok" for z in zoom)
    report = json.loads(report_path.read_text())
    assert report["timeline"]["zoom_observed"] is True
    assert [e["seq"] for e in report["timeline"]["zoom_events"]] == [z["seq"] for z in zoom]
    # A refresh's issued token, by the fingerprint the call lines show it by.
    issued = re.findall(r"zoom  refresh ok .*issued (sha256:[0-9a-f]{12})$", out, re.MULTILINE)
    served = re.findall(r"Z #\d+ +200 .*? (sha256:[0-9a-f]{12})", out)
    assert len(issued) == len(zoom) and set(issued) <= set(served)
    assert re.search(r"zoom: [2-9] refreshes ok, 0 refused", out)
    assert re.search(r"tokens: [1-9] rotations", out)


def test_a_cache_served_past_its_refresh_point_is_named_in_every_output(tmp_path: Path):
    jsonl, report_path = tmp_path / "w.jsonl", tmp_path / "r.json"
    # 121 s tokens: a second later the cached one is under Recall's 120 s.
    with running_simulator(zoom_settings=ZoomSettings(access_token_lifetime=121)) as sim:
        app, user_id = _refreshing_callback(sim, flaw="caches-until-expiry")
        with ThreadedServer(app) as server:
            code, out, _ = watch(
                f"{server.url}/cb?user-id={user_id}",
                zoom_admin=sim.control_url + "/zoom",
                interval=0.25,
                duration=2.5,
                jsonl=jsonl,
                report_json=report_path,
            )
    assert code == 1
    assert "cause.cached-past-expiry — The callback serves a cached token" in out
    summary = json.loads(jsonl.read_text().splitlines()[-1])
    report = json.loads(report_path.read_text())
    for causes in (summary["causes"], report["causes"]):
        assert causes[0]["cause"] == "cause.cached-past-expiry"
        assert "contract.min-validity-120s" in causes[0]["rules"]
        assert set(causes[0]) == {"cause", "title", "detail", "evidence", "fix", "rules"}


def _refreshing_callback(sim: RunningSimulator, flaw: str | None = None) -> tuple[Starlette, str]:
    """The support callback (done right, or with ``flaw``) holding a fresh grant."""
    callback, user_id = RefreshingCallback.seeded(sim, flaw=flaw)
    return callback.app(), user_id


# -- displays ----------------------------------------------------------------------------


def test_on_a_terminal_the_status_is_rewritten_in_place_and_the_final_diagnosis_stays(
    callback_server: ThreadedServer,
):
    out = FakeTTY()
    code, raw, _ = watch(f"{callback_server.url}/good?validity=140", out=out)
    assert code == 0
    assert raw.count("\x1b[J") >= 5  # the status area was erased and redrawn
    assert raw.rindex("\x1b[?25h") > raw.rindex("\x1b[?25l")  # the cursor is back
    assert SGR.search(raw)  # a terminal gets colour
    shown = screen(raw)
    calls = [line for line in shown if re.match(r"\d\d:\d\d:\d\dZ #", line)]
    assert [c.split()[1] for c in calls] == ["#0", "#1", "#2", "#3", "#4"]
    assert all("WARN contract.min-validity-120s" in c for c in calls)
    # The live status is gone; the final diagnosis is what remains below the calls.
    assert not any(line.startswith(("watch ", "failures:", "causes so far:")) for line in shown)
    final = shown.index(next(line for line in shown if line.startswith("Watched")))
    assert final > shown.index(calls[-1])
    assert "Rules (over every call)" in shown


def test_no_color_keeps_the_live_view_without_colour(
    callback_server: ThreadedServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NO_COLOR", "1")
    _, raw, _ = watch(f"{callback_server.url}/good", out=FakeTTY(), duration=0.2)
    assert "\x1b[J" in raw and not SGR.search(raw)
    _, raw, _ = watch(f"{callback_server.url}/good", out=FakeTTY(), duration=0.2, color="never")
    assert "\x1b[J" in raw and not SGR.search(raw)


def test_color_always_colours_plain_lines_without_moving_the_cursor(
    callback_server: ThreadedServer,
):
    _, raw, _ = watch(f"{callback_server.url}/good", duration=0.2, color="always")
    assert SGR.search(raw)
    assert "\x1b[J" not in raw and "\x1b[?25" not in raw


def test_dumb_terminal_gets_plain_lines(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TERM", "dumb")
    assert isinstance(open_display(FakeTTY(), Style(False)), LineDisplay)
    monkeypatch.setenv("TERM", "xterm")
    assert isinstance(open_display(FakeTTY(), Style(False)), LiveDisplay)
    assert isinstance(open_display(io.StringIO(), Style(True)), LineDisplay)


def _point(index: int, **changes: Any) -> CallPoint:
    base = CallPoint(
        index=index,
        at=1_700_000_000.0 + index,
        answer_s=0.012,
        status=200,
        error=None,
        body_kind="token",
        token="eyJhbGci…abcd (sha256:aaaaaaaaaaaa)",
        token_id="sha256:aaaaaaaaaaaa",
        remaining_s=3000.0,
        issuer=None,
        user_id=None,
        failed_rules=(),
        warned_rules=(),
        signed=False,
        label="watch",
    )
    return replace(base, **changes)


def _state(**changes: Any) -> WatchState:
    return replace(WatchState(target="http://cb.example/x?auth_token=***", interval=1.0), **changes)


def test_live_display_draws_lines_above_one_status_area():
    now = [0.0]
    stream = FakeTTY()
    display = LiveDisplay(stream, style=Style(True), width=lambda: 60, clock=lambda: now[0])
    state = _state(duration=60.0)
    state.add_call(_point(0), ())
    display.update(state, ["first call"])
    now[0] = 0.1
    state.elapsed = 34.0
    display.update(state)  # throttled: nothing new to draw yet
    now[0] = 1.0
    display.update(state, ["second call"])
    shown = screen(stream.getvalue())
    assert shown[:2] == ["first call", "second call"]
    status = shown[2:]
    assert status[0].startswith("watch 34/60 s · 1 calls")
    assert all(len(line) <= 59 for line in status)  # cut to the width: nothing wraps
    assert len(status) == 3  # drawn once, however often it was redrawn
    display.finish(state, "final\n")
    assert screen(stream.getvalue()) == ["first call", "second call", "", "final"]


def test_line_display_repeats_the_status_every_minute():
    now = [0.0]
    stream = io.StringIO()
    display = LineDisplay(stream, style=Style(False), clock=lambda: now[0])
    state = _state()
    display.update(state, ["a call"])
    now[0] = 59.0
    display.update(state)
    assert stream.getvalue() == "a call\n"
    now[0] = 61.0
    display.update(state)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "a call"
    assert lines[1].startswith("-- watch ")
    assert lines[-1].startswith("-- causes so far:")


# -- rendering ---------------------------------------------------------------------------


def test_render_status_sums_up_answer_times_failures_rotations_and_causes():
    state = _state(duration=60.0, zoom_observed=True)
    slow_fail = Verdict("contract.deadline-5s", Outcome.FAIL, "took 5.0 s")
    state.add_call(_point(0, answer_s=0.010), ())
    state.add_call(_point(1, answer_s=0.020, token_id="sha256:bbbbbbbbbbbb"), ())
    state.add_call(
        _point(2, answer_s=5.0, failed_rules=("contract.deadline-5s",), token_id=None),
        (slow_fail,),
    )
    state.elapsed = 34.2
    state.causes = (Cause(CauseId.SLOW_AT_RANDOM, "3 of 10 calls over 5 s"),)
    status = render_status(state)
    lines = status.split("\n")
    assert lines[0] == (
        "watch 34/60 s · 3 calls · 1 failed · p50 20 ms p95 5.00 s (max 5.00 s) · "
        "1 token rotation · min validity 3000 s"
    )
    assert lines[1] == "failures: contract.deadline-5s ×1"
    assert lines[2] == "causes so far: cause.slow-at-random"
    assert lines[3].startswith("zoom: 0 refreshes ok")
    assert "\x1b" not in status
    assert SGR.search(render_status(state, style=Style(True)))
    final = render_final(state)
    assert "cause.slow-at-random — Answers are slow at random" in final
    assert "FAIL  contract.deadline-5s  1/1 calls; first #2: took 5.0 s" in final


def test_open_ended_and_until_fail_progress():
    assert render_status(_state(elapsed=12.0)).startswith("watch 12 s (Ctrl-C ends) · 0 calls")
    until = render_status(_state(elapsed=3.0, until_fail=True))
    assert until.startswith("watch 3 s, until the first failure")


def test_call_line_shows_what_went_wrong():
    line = render_call_line(
        _point(
            7,
            status=None,
            error="deadline-before-headers",
            answer_s=5.0,
            token_id=None,
            remaining_s=None,
            failed_rules=("contract.status-2xx", "contract.deadline-5s"),
        )
    )
    assert line == (
        "22:13:27Z #7    deadline-before-headers  5.00 s/5 s  no token  -  "
        "FAIL contract.status-2xx, contract.deadline-5s"
    )
    rotated = render_call_line(_point(8, remaining_s=100.0), rotated=True)
    assert "sha256:aaaaaaaaaaaa (new)  100 s left  ok" in rotated


def test_cut_keeps_ansi_codes_whole_and_counts_only_visible_characters():
    styled = Style(True)("red text", "red") + " and plain"
    assert cut(styled, 100) == styled
    assert cut("abcdef", 4) == "abc…"
    shortened = cut(styled, 5)
    assert SGR.sub("", shortened) == "red …"
    assert shortened.endswith("\x1b[0m")  # colour never leaks past the cut


def test_answer_time_percentiles_within_a_millisecond():
    times = AnswerTimes()
    values = [i / 1000 * 7.3 % 4.9 for i in range(1, 2001)]
    for value in values:
        times.add(value)
    ordered = sorted(values)
    for q in (0.5, 0.95):
        exact = ordered[max(0, int(q * len(ordered)) - 1)]
        got = times.quantile(q)
        assert got is not None and abs(got - exact) <= 0.0011
    assert times.quantile(1.0) == max(values)
    assert AnswerTimes().quantile(0.5) is None


def test_state_stays_small_over_many_calls():
    state = _state()
    verdict = Verdict("contract.min-validity-120s", Outcome.FAIL, "expires in 90 s")
    for index in range(20_000):
        state.add_call(
            _point(index, token_id=f"sha256:{index:012d}", failed_rules=(verdict.rule,)),
            (verdict,),
        )
    assert state.calls == 20_000 and state.rotations == 19_999
    tally = state.rules[verdict.rule]
    assert tally.counts[Outcome.FAIL] == 20_000
    assert tally.first_fail == (0, verdict) and tally.last_fail_call == 19_999


# -- usage errors and Ctrl-C ---------------------------------------------------------------


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recall_sim.simulator.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        # the layered loader's: one line (the URL may also come from RECALL_SIM_URL)
        (["watch"], "no URL: give it as the argument, in RECALL_SIM_URL"),
        (["watch", "http://x/cb", "--interval", "soon"], "--interval must be seconds"),
        (["watch", "http://x/cb", "--interval", "0"], "--interval must be in (0, 3600]"),
        (["watch", "http://x/cb", "--duration", "-1"], "--duration must be in (0, "),
        (["watch", "http://x/cb", "--color", "blue"], "--color must be one of auto, always"),
        # the command's: one line
        (["watch", f"ftp://cb.example/x?auth_token={SECRET}"], "http:// or https://"),
        (["watch", "http://x/cb", "--signing-secret", "nope"], "--signing-secret is malformed"),
        (["watch", f"http://x/cb?auth_token={SECRET}", "--secret-param", "k"], "no such query"),
        (["watch", "http://x/cb", "--report-json", "."], "--report-json . is a directory"),
        (["watch", "http://cb.example:99999/"], "is not callable"),
    ],
)
def test_bad_options_exit_2_with_one_error_line(args: list[str], words: str):
    result = _cli(*args)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert "error:" in lines[-1] and words in lines[-1], lines
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr + result.stdout
    if not lines[0].startswith("usage:"):
        assert len(lines) == 1 and lines[0].startswith("recall-sim watch: error: "), lines


def test_same_path_for_two_reports_is_a_usage_error(tmp_path: Path):
    path = str(tmp_path / "same")
    result = _cli("watch", "http://x/cb", "--jsonl", path, "--report-json", path)
    assert result.returncode == 2
    assert "--jsonl and --report-json both name" in result.stderr


def test_an_unreachable_target_is_a_usage_error_before_any_report(tmp_path: Path):
    with ThreadedServer(Starlette()) as server:
        url = f"{server.url}/cb?auth_token={SECRET}"
    report_path = tmp_path / "r.json"
    result = _cli("watch", url, "--report-json", str(report_path))  # the port is closed now
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"recall-sim watch: error: target {url.replace(SECRET, '***')} unreachable before "
        f"the first call (connection-refused): {result.stderr.split('): ', 1)[1].strip()}"
    ]
    assert not report_path.exists()


def test_an_unreachable_zoom_admin_is_a_usage_error(callback_server: ThreadedServer):
    with ThreadedServer(Starlette()) as server:
        admin = f"{server.url}/_sim/zoom"
    result = _cli("watch", f"{callback_server.url}/good", "--zoom-admin", admin)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "fake Zoom admin" in result.stderr and "Traceback" not in result.stderr


def _start_watch(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "recall_sim.simulator.cli", "watch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # A shell's background job ignores SIGINT; restore the default for the child.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _start_reporting_watch(url: str, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    """A watch calling every 0.1 s, writing w.jsonl and r.json in ``tmp_path``."""
    return _start_watch(
        url,
        "--interval",
        "0.1",
        "--jsonl",
        str(tmp_path / "w.jsonl"),
        "--report-json",
        str(tmp_path / "r.json"),
        *extra,
        cwd=tmp_path,
    )


def _wait_for_calls(proc: subprocess.Popen[str], jsonl: Path, calls: int) -> None:
    """Until the watch's JSON lines hold ``calls`` calls (it opens them after the first)."""
    deadline = time.monotonic() + 60
    while not jsonl.exists() or len(jsonl.read_text().splitlines()) < calls:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"watch ended or stalled before {calls} calls: {proc.communicate()}")
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("extra", "code", "interrupted"),
    [([], 1, False), (["--duration", "600"], 130, True)],
    ids=["open-ended: Ctrl-C is the end", "cut short: 130"],
)
def test_ctrl_c_writes_the_reports_and_prints_the_diagnosis(
    callback_server: ThreadedServer,
    tmp_path: Path,
    extra: list[str],
    code: int,
    interrupted: bool,
):
    jsonl, report_path = tmp_path / "w.jsonl", tmp_path / "r.json"
    url = f"{callback_server.url}/good?validity=90&auth_token={SECRET}"
    proc = _start_reporting_watch(url, tmp_path, *extra)
    _wait_for_calls(proc, jsonl, 3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, out + err
    assert "Traceback" not in err and "KeyboardInterrupt" not in out + err
    assert "(ended by Ctrl-C)" in out and "FAIL  contract.min-validity-120s" in out
    report = json.loads(report_path.read_text())
    assert report["interrupted"] is interrupted and report["stopped_by"] == "ctrl-c"
    assert len(report["timeline"]["calls"]) == report["requests_sent"] >= 3
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert lines[-1]["type"] == "summary" and lines[-1]["interrupted"] is interrupted
    assert len(lines) == report["requests_sent"] + 1
    if interrupted:
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("recall-sim watch: interrupted after ")
        assert any("interrupted" in note for note in report["notes"])
    else:
        assert err == ""
    assert SECRET not in out + err + jsonl.read_text() + report_path.read_text()


@pytest.mark.slow
def test_ctrl_c_during_a_slow_call_ends_at_once_without_that_call(
    callback_server: ThreadedServer, tmp_path: Path
):
    jsonl, report_path = tmp_path / "w.jsonl", tmp_path / "r.json"
    url = f"{callback_server.url}/slow?delay=3"
    proc = _start_reporting_watch(url, tmp_path)
    _wait_for_calls(proc, jsonl, 1)  # the first call is in: the second has started
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 1.5  # not after the 3 s answer
    assert proc.returncode == 0, out + err
    report = json.loads(report_path.read_text())
    assert report["requests_sent"] == 1  # the cut call is not a call Recall would have graded


def test_watch_kind_grades_a_join_token_without_the_access_token_floor(
    callback_server: ThreadedServer, tmp_path: Path
):
    report_path = tmp_path / "r.json"
    code, out, _ = watch(
        f"{callback_server.url}/good?validity=90",
        report_json=report_path,
        kind=TokenKind.JOIN_TOKEN,
    )
    assert code == 0, out
    report = json.loads(report_path.read_text())
    assert report["kind"] == "join-token"
    assert any("5 s budget is an assumption" in note for note in report["notes"])
    assert "Note: the 5 s budget is an assumption for the join-token kind" in out
    floor = next(r for r in report["results"] if r["rule"] == "contract.min-validity-120s")
    assert floor["verdict"] == "skip"
