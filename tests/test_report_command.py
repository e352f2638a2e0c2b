"""``recall-sim report JOURNAL.jsonl --html OUT``: a real serve journal in, the HTML report out.

The journals here are written by a real `FakeRecall` calling a real callback over
loopback (the same `JournalFile` that ``serve --journal-file`` uses), so the command is
tested on what it will read, not on a hand-written imitation.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from recall_sim.conformance import journal_report
from recall_sim.simulator import causes
from recall_sim.simulator.causes import Cause, CauseId
from recall_sim.simulator.cli import main
from recall_sim.simulator.recall import CallbackRejected, FakeRecall, RecallSettings
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.timestamps import parse_iso_timestamp
from recall_sim.simulator.zoom.journal import EventKind, JournalEvent, Outcome
from tests.support.flawed_callback import SECRETS, FlawedCallback, callback_url
from tests.support.tokens import CLIENT_ID, OTHER_CLIENT_ID, OTHER_USER_ID

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.")
POLLS = 4


@dataclass(frozen=True)
class Journals:
    one: Path  # one credential: its create call, POLLS polls, one access-token call
    two: Path  # two credentials
    wrong_app: Path  # a create refused: the token names another Zoom app
    credentials: Sequence[str]  # the two credentials of ``two``


def _write_journal(path: Path, base: str, *, users: Sequence[str], client_id: str) -> list[str]:
    fake = FakeRecall(
        settings=RecallSettings(poll_interval=0, callback_deadline=2.0, journal_path=str(path))
    )
    made = []
    try:
        app = fake.create_app(client_id=client_id)
        for user in users:
            try:
                created = fake.create_credential(
                    oauth_app=app.id, access_token_callback_url=callback_url(base, user)
                )
            except CallbackRejected:  # the point of the wrong-app journal: its line stays
                pass
            else:
                made.append(str(created.credential.id))
        for _ in range(POLLS):
            fake.poll_now()
        for credential in made:
            fake.access_token(credential)
    finally:
        fake.close()
    return made


@pytest.fixture(scope="module")
def journals(tmp_path_factory: pytest.TempPathFactory) -> Journals:
    folder = tmp_path_factory.mktemp("journals")
    with ThreadedServer(FlawedCallback().app()) as server:
        one, two, wrong = folder / "one.jsonl", folder / "two.jsonl", folder / "wrong.jsonl"
        _write_journal(one, server.url, users=[next(iter(SECRETS))], client_id=CLIENT_ID)
        made = _write_journal(two, server.url, users=list(SECRETS), client_id=CLIENT_ID)
        _write_journal(wrong, server.url, users=[next(iter(SECRETS))], client_id=OTHER_CLIENT_ID)
    return Journals(one, two, wrong, made)


def report(*args: str | Path) -> int:
    return main(["report", *map(str, args)])


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def figure_points(page: str) -> int:
    found = re.search(r'id="timeline-figure">(.*?)</script>', page, re.S)
    assert found is not None
    figure = json.loads(found.group(1))
    return sum(len(t["x"]) for t in figure["data"] if t["uid"].startswith("answer-"))


# --- the command end to end ---------------------------------------------------------------


def test_a_serve_journal_becomes_a_self_contained_html_report(
    journals: Journals, tmp_path: Path
) -> None:
    out = tmp_path / "deep" / "report.html"
    done = subprocess.run(
        [sys.executable, "-m", "recall_sim", "report", str(journals.one), "--html", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Wrote HTML report to {out}"
    assert done.stderr == ""
    page = out.read_text(encoding="utf-8")
    records = lines(journals.one)
    assert figure_points(page) == len(records) == 2 + POLLS
    assert "auth_token=***" in page
    assert f"{len(records)} calls ({POLLS} poll, 1 create, 1 access_token)" in page
    for rule in ("contract.status-2xx", "contract.min-validity-120s", "hygiene.https"):
        assert f'id="rule-{rule}"' in page
    for secret in SECRETS.values():
        assert secret not in page
    assert not JWT.search(page)


def test_the_report_holds_the_journal_as_a_timeline_and_a_result_per_rule(
    journals: Journals,
) -> None:
    journal = journal_report.read_call_journal(journals.one)
    built = journal_report.journal_report(journal, journal.records, None)
    records = lines(journals.one)
    calls = built["timeline"]["calls"]
    assert [c["label"] for c in calls] == [r["purpose"] for r in records]
    for call, record in zip(calls, records, strict=True):
        assert call["token"] == record["token"]
        # The token's fingerprint, as a live call's token_id: rotations are found by it.
        assert call["token_id"] is not None and call["token_id"] in record["token"]
        assert call["remaining_s"] == record["remaining_validity_s"]
        assert call["answer_s"] == record["timings_s"]["total"]
        assert call["body_kind"] == "token"
    assert built["timeline"]["zoom_observed"] is False
    results = {r["rule"]: r for r in built["results"]}
    https = results["hygiene.https"]  # a loopback http:// URL warns on every call
    assert https["verdict"] == "warn"
    assert https["detail"].startswith(f"warned on {len(records)} of {len(records)} calls")
    assert https["evidence"]["warned_calls"] == [r["seq"] for r in records]
    assert results["contract.status-2xx"]["verdict"] == "pass"
    assert built["summary"]["warn"] == 1 and built["summary"]["fail"] == 0
    assert built["requests_sent"] == len(records)


def test_a_failed_rule_names_the_first_call_it_failed_on(
    journals: Journals, tmp_path: Path
) -> None:
    journal = journal_report.read_call_journal(journals.wrong_app)
    built = journal_report.journal_report(journal, journal.records, None)
    issuer = next(r for r in built["results"] if r["rule"] == "contract.issuer-client-id")
    first = lines(journals.wrong_app)[0]
    assert issuer["verdict"] == "fail"
    assert f"(call #{first['seq']})" in issuer["detail"]
    assert issuer["evidence"]["failed_calls"] == [first["seq"]]
    assert built["summary"]["fail"] >= 1


def test_several_credentials_need_credential(
    journals: Journals, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    assert report(journals.two, "--html", out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("recall-sim report: error: ")
    assert "2 credentials; choose one with --credential ID" in err
    assert all(credential in err for credential in journals.credentials)
    assert not out.exists()

    chosen = journals.credentials[1]
    assert report(journals.two, "--html", out, "--credential", chosen) == 0
    page = out.read_text(encoding="utf-8")
    polled = [r for r in lines(journals.two) if r["credential"] == chosen]
    assert figure_points(page) == len(polled)
    assert f"Calls for credential {chosen} only." in page
    assert f"user-id={OTHER_USER_ID}" in page  # the second credential's own URL

    assert report(journals.two, "--html", out, "--credential", "nope") == 2
    err = capsys.readouterr().err
    assert "has no calls for credential nope; it has" in err


# --- the fake Zoom's journal ----------------------------------------------------------------


def _zoom_events(around: float) -> list[dict[str, Any]]:
    events = [
        JournalEvent(1, around - 1, EventKind.REFRESH, Outcome.OK, status=200, user_id="u"),
        JournalEvent(
            2,
            around,
            EventKind.REFRESH,
            Outcome.REJECTED,
            status=400,
            error="invalid_grant",
            reason="refresh token reused",
        ),
        JournalEvent(3, around + 1, EventKind.FAULT, Outcome.FAULT, fault="http-500"),
        JournalEvent(4, around + 86_400, EventKind.REFRESH, Outcome.OK, status=200),  # a day on
    ]
    return [event.to_json() for event in events]


@pytest.mark.parametrize("form", ["endpoint", "lines"])
def test_the_zoom_journal_joins_the_timeline(
    journals: Journals, tmp_path: Path, form: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = journal_report.read_call_journal(journals.one).records[0]
    events = _zoom_events(parse_iso_timestamp(first["at"]))
    zoom = tmp_path / "zoom.json"
    if form == "endpoint":  # what GET /_sim/zoom/journal answers
        zoom.write_text(json.dumps({"last_seq": 4, "events": events}))
    else:
        zoom.write_text("".join(json.dumps(e) + "\n" for e in events))
    out = tmp_path / "report.html"
    assert report(journals.one, "--html", out, "--zoom-journal", zoom) == 0
    page = out.read_text(encoding="utf-8")
    assert "and 3 fake Zoom events on one time axis" in page
    assert "1 fake Zoom events far from these calls left out." in page
    assert "refresh token reused" in page  # hover text names the reason


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "is not the fake Zoom's journal: line 1 is not JSON"),
        ('{"seq": 1}\n', "line 1 is not an event with seq, at, kind, outcome"),
        ('{"events": [{"seq": 1, "at": "x", "kind": "refresh", "outcome": "ok"}]}', "line 1:"),
    ],
)
def test_a_bad_zoom_journal_is_one_line_exit_2(
    journals: Journals,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    message: str,
) -> None:
    zoom = tmp_path / "zoom.json"
    zoom.write_text(content)
    out = tmp_path / "report.html"
    assert report(journals.one, "--html", out, "--zoom-journal", zoom) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not out.exists()


# --- what is not a journal --------------------------------------------------------------------


def _zoom_line() -> str:
    return json.dumps(JournalEvent(1, 0.0, EventKind.REFRESH, Outcome.OK).to_json()) + "\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("", "holds no calls"),
        ("\n\n", "holds no calls"),
        (b"\xff\xfe\x00binary", "is not a journal: it is not UTF-8 text"),
        ("<html></html>\n", "is not a serve journal: line 1 is not JSON"),
        ("[1, 2]\n", "is not a serve journal: line 1 is not an object"),
        ('{"a": 1}\n', "line 1 has no seq, at, purpose, url, status, timings_s, verdicts"),
        (_zoom_line(), "is the fake Zoom's journal, not serve's call journal: pass it with"),
    ],
)
def test_not_a_journal_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes | None, message: str
) -> None:
    path = tmp_path / "journal.jsonl"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    out = tmp_path / "report.html"
    assert report(path, "--html", out) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("recall-sim report: error: ") and message in err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_call_record_with_wrong_types_is_not_a_journal(
    journals: Journals, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = lines(journals.one)[1]
    wrong: list[dict[str, Any]] = [
        {"at": "yesterday"},
        {"timings_s": "fast"},
        {"verdicts": {}},
        {"status": "ok"},
    ]
    for broken in wrong:
        path = tmp_path / "journal.jsonl"
        path.write_text(json.dumps(record | broken) + "\n")
        assert report(path, "--html", tmp_path / "out.html") == 2
        assert "line 1 is not a call record" in capsys.readouterr().err


def test_a_directory_is_not_a_journal_nor_a_report(
    journals: Journals, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report(tmp_path, "--html", tmp_path / "out.html") == 2
    assert "is a directory; give the file" in capsys.readouterr().err
    assert report(journals.one, "--html", tmp_path) == 2
    assert "--html" in capsys.readouterr().err


def test_a_last_line_cut_short_by_a_kill_is_skipped_and_said(
    journals: Journals, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = journals.one.read_text(encoding="utf-8")
    cut = tmp_path / "cut.jsonl"
    cut.write_text(text + text.splitlines()[0][:40])  # no newline: a write the kill stopped
    out = tmp_path / "report.html"
    assert report(cut, "--html", out) == 0
    assert "last line was cut short" in out.read_text(encoding="utf-8")
    # The same broken line in the middle is not a kill: the file is not a journal.
    middle = tmp_path / "middle.jsonl"
    middle.write_text(text.splitlines()[0][:40] + "\n" + text)
    assert report(middle, "--html", out) == 2
    assert "line 1 is not JSON" in capsys.readouterr().err


# --- the diagnosis ----------------------------------------------------------------------------


def test_causes_from_diagnose_lead_the_report(
    journals: Journals, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[tuple[int, list[str]]] = []

    def diagnose(timeline: Any, *, failed_rules: Sequence[str] = ()) -> list[Cause]:
        asked.append((len(timeline.calls), list(failed_rules)))
        return [Cause(CauseId.CACHED_PAST_EXPIRY, "the same token for 40 min", {"calls": [1]})]

    monkeypatch.setattr(causes, "diagnose", diagnose)
    out = tmp_path / "report.html"
    assert report(journals.one, "--html", out) == 0
    page = out.read_text(encoding="utf-8")
    assert asked == [(2 + POLLS, ["hygiene.https"])]
    assert page.index("cause.cached-past-expiry") < page.index('id="timeline"')
    assert "the same token for 40 min" in page


def test_without_a_diagnosis_the_report_is_still_written(
    journals: Journals, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def diagnose(timeline: Any, *, failed_rules: Sequence[str] = ()) -> list[Cause]:
        raise NotImplementedError("diagnose: being written (issue 12)")

    monkeypatch.setattr(causes, "diagnose", diagnose)
    out = tmp_path / "report.html"
    assert report(journals.one, "--html", out) == 0
    page = out.read_text(encoding="utf-8")
    assert "No causes recorded" in page
    assert "cannot name them yet" in page
