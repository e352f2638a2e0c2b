"""``recall-sim report JOURNAL.jsonl --html OUT``: the HTML report of a ``serve`` journal.

``serve --journal-file`` appends one JSON line per call the fake Recall made to a
callback (`recall_sim.simulator.recall.journal.CallRecord.to_json`). This reads those
lines back into the same `Timeline` that ``check`` and ``watch`` build, adds the fake
Zoom's journal when given (``--zoom-journal``: its JSON lines, or the JSON that
``GET /_sim/zoom/journal`` answers), asks `diagnose` for the causes, and writes the HTML
report. A journal is redacted when written, so nothing here can show a secret.

It lives in the suite's package, beside the renderer it feeds, because the simulator
never imports the suite: ``simulator/cli.py`` imports this module only when the
command runs, as it does ``check``.

A journal line holds less than a live call: no body, no ``iss`` or ``uid``. The points
say what the line knows (a 2xx without a token is "empty" only when the judge said the
body was), and causes that need the rest are found from the verdicts alone.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from recall_sim.conformance.config import UsageError
from recall_sim.simulator.rules import RULES
from recall_sim.simulator.timeline import MAX_POINTS, BodyKind, CallPoint, Timeline, ZoomEventPoint
from recall_sim.simulator.timestamps import iso_timestamp, parse_iso_timestamp

__all__ = ["add_arguments", "journal_report", "read_call_journal", "read_zoom_journal", "run"]

EXIT_OK, EXIT_USAGE = 0, 2
# What every `CallRecord.to_json` line has; a line without them is not a serve journal's.
_CALL_KEYS: Final = ("seq", "at", "purpose", "url", "status", "timings_s", "verdicts")
_ZOOM_KEYS: Final = ("seq", "at", "kind", "outcome")
_FINGERPRINT = re.compile(r"sha256:[0-9a-f]{12}")
# Zoom events this long before the first call or after the last still belong to the
# run (a refresh just before the first poll); further ones would only stretch the axis.
_ZOOM_MARGIN_S: Final = 300.0
_WORST: Final = ("fail", "warn", "pass", "skip")
_LISTED_CALLS: Final = 50


class JournalError(UsageError):
    """A file that is not the journal it was given as: one line, exit 2."""


@dataclass(frozen=True)
class Journal:
    """The call records read from one file, with what reading them left out."""

    path: Path
    records: Sequence[Mapping[str, Any]]
    incomplete_last_line: bool = False


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "journal",
        metavar="JOURNAL.jsonl",
        type=Path,
        help="the call journal that `recall-sim serve --journal-file` wrote",
    )
    parser.add_argument(
        "--html", required=True, type=Path, metavar="OUT", help="write the HTML report here"
    )
    parser.add_argument(
        "--zoom-journal",
        type=Path,
        metavar="FILE",
        help="the fake Zoom's journal: its events as JSON lines, or the JSON of "
        "GET /_sim/zoom/journal (token requests and faults join the timeline)",
    )
    parser.add_argument(
        "--credential",
        metavar="ID",
        help="only this credential's calls (needed when the journal holds several)",
    )


def run(args: argparse.Namespace) -> int:
    from recall_sim.conformance.renderers.html import write_html
    from recall_sim.conformance.report import check_output_path

    try:
        check_output_path("--html", args.html)
        journal = read_call_journal(args.journal)
        records = select_credential(journal, args.credential)
        events = None if args.zoom_journal is None else read_zoom_journal(args.zoom_journal)
    except UsageError as exc:
        print(f"recall-sim report: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = journal_report(journal, records, events, credential=args.credential)
    write_html(report, args.html, say=print)
    return EXIT_OK


def read_call_journal(path: Path) -> Journal:
    """Every call record in ``path``, oldest first; JournalError when it is not a journal.

    A last line without its newline that is not JSON is a write the server was killed
    in the middle of: it is skipped (and said), as the journal promises whole lines.
    """
    lines, whole_last_line = _read_lines(path, "journal")
    records: list[Mapping[str, Any]] = []
    incomplete = False
    for number, line in lines:
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            if number == lines[-1][0] and not whole_last_line:
                incomplete = True
                continue
            raise JournalError(
                f"{path} is not a serve journal: line {number} is not JSON"
            ) from None
        if not isinstance(data, dict):
            raise JournalError(f"{path} is not a serve journal: line {number} is not an object")
        missing = [key for key in _CALL_KEYS if key not in data]
        if missing:
            if all(key in data for key in _ZOOM_KEYS):
                raise JournalError(
                    f"{path} is the fake Zoom's journal, not serve's call journal: "
                    "pass it with --zoom-journal"
                )
            raise JournalError(
                f"{path} is not a serve journal: line {number} has no {', '.join(missing)} "
                "(write one with `recall-sim serve --journal-file PATH`)"
            )
        _check_call(path, number, data)
        records.append(data)
    if not records:
        raise JournalError(f"{path} holds no calls")
    return Journal(path, records, incomplete)


def read_zoom_journal(path: Path) -> list[ZoomEventPoint]:
    """The fake Zoom's events from JSON lines or from ``GET /_sim/zoom/journal``'s JSON."""
    lines, _ = _read_lines(path, "Zoom journal", allow_empty=True)
    text = "\n".join(line for _, line in lines)
    items: list[tuple[int, object]]
    try:
        whole = json.loads(text) if text else {"events": []}
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict) and isinstance(whole.get("events"), list):
        items = [(1, event) for event in whole["events"]]
    elif isinstance(whole, list):
        items = [(1, event) for event in whole]
    else:
        items = []
        for number, line in lines:
            try:
                items.append((number, json.loads(line)))
            except json.JSONDecodeError:
                raise JournalError(
                    f"{path} is not the fake Zoom's journal: line {number} is not JSON"
                ) from None
    events = []
    for number, item in items:
        if not isinstance(item, dict) or any(key not in item for key in _ZOOM_KEYS):
            raise JournalError(
                f"{path} is not the fake Zoom's journal: line {number} is not an event "
                f"with {', '.join(_ZOOM_KEYS)} (save GET /_sim/zoom/journal's answer)"
            )
        try:
            events.append(ZoomEventPoint.from_json(item))
        except (TypeError, ValueError) as exc:
            raise JournalError(
                f"{path} is not the fake Zoom's journal: line {number}: {exc}"
            ) from None
    return sorted(events, key=lambda e: e.seq)


def select_credential(journal: Journal, credential: str | None) -> list[Mapping[str, Any]]:
    """The records of one credential: the one asked for, or the only one there is."""
    counts = Counter(str(r["credential"]) for r in journal.records if r.get("credential"))
    if credential is not None:
        chosen = [r for r in journal.records if str(r.get("credential")) == credential]
        if not chosen:
            raise JournalError(
                f"{journal.path} has no calls for credential {credential}"
                + (f"; it has {_listed(counts)}" if counts else "")
            )
        return chosen
    if len(counts) > 1:
        # One timeline is one callback URL: tokens of several users would read as rotations.
        raise JournalError(
            f"{journal.path} holds calls for {len(counts)} credentials; choose one with "
            f"--credential ID: {_listed(counts)}"
        )
    return list(journal.records)


def journal_report(
    journal: Journal,
    records: Sequence[Mapping[str, Any]],
    zoom_events: Sequence[ZoomEventPoint] | None,
    *,
    credential: str | None = None,
) -> dict[str, Any]:
    """The JSON report (`Report.to_json`'s shape) of a journal's calls, with their timeline,
    the causes `diagnose` names, and one result per rule: its worst verdict over the calls."""
    notes = [f"Built from the serve journal {journal.path}: {_purposes(records)}."]
    if credential is not None:
        notes.append(f"Calls for credential {credential} only.")
    if journal.incomplete_last_line:
        notes.append("The journal's last line was cut short (the server stopped mid-write).")
    kept = list(records)[-MAX_POINTS:]
    if len(kept) < len(records):
        notes.append(f"The timeline shows the newest {len(kept)} of {len(records)} calls.")
    calls = tuple(_call_point(index, record) for index, record in enumerate(kept))
    events = _near(zoom_events or (), calls)
    if zoom_events is None:
        notes.append("No fake Zoom journal given (--zoom-journal): refreshes are not shown.")
    elif len(events) < len(zoom_events):
        notes.append(
            f"{len(zoom_events) - len(events)} fake Zoom events far from these calls left out."
        )
    timeline = Timeline(
        calls=calls,
        zoom_events=tuple(events),
        signing_secret_given=any(c.signed for c in calls),
        zoom_observed=zoom_events is not None,
    )
    results = _rule_results(kept)
    summary = {verdict: sum(r["verdict"] == verdict for r in results) for verdict in _WORST}
    report: dict[str, Any] = {
        "target": _target(kept),
        "started_at": iso_timestamp(calls[0].at),
        "duration_s": round(max(0.0, calls[-1].at + calls[-1].answer_s - calls[0].at), 3),
        "seed": None,
        "requests_sent": len(kept),
        "summary": summary,
        "interrupted": False,
        "notes": notes,
        "results": results,
        "timeline": timeline.to_json(),
    }
    bad = [r["rule"] for r in results if r["verdict"] in ("fail", "warn")]
    causes = _diagnose(timeline, bad)
    if causes is None:
        notes.append("Causes: this version of recall-sim cannot name them yet.")
    else:
        report["causes"] = causes
    return report


def _diagnose(timeline: Timeline, failed_rules: Sequence[str]) -> list[dict[str, Any]] | None:
    from recall_sim.simulator.causes import diagnose

    try:
        return [cause.to_json() for cause in diagnose(timeline, failed_rules=failed_rules)]
    except NotImplementedError:
        # Issue 12 lands the diagnosis and this command separately; the report without
        # causes is still the timeline and every rule, so it is written all the same.
        return None


def _call_point(index: int, record: Mapping[str, Any]) -> CallPoint:
    verdicts = [v for v in record["verdicts"] if isinstance(v, Mapping)]
    status = record["status"]
    token = record.get("token")
    error = record.get("error")
    remaining = record.get("remaining_validity_s")
    match = _FINGERPRINT.search(str(token)) if token else None
    return CallPoint(
        index=index,
        at=parse_iso_timestamp(str(record["at"])),
        answer_s=float(record["timings_s"]["total"]),
        status=status,
        # The journal writes "kind: message"; a point keeps the kind, as a live call does.
        error=None if not error else str(error).split(":", 1)[0],
        body_kind=_body_kind(status, token, verdicts),
        token=None if token is None else str(token),
        token_id=None if match is None else match.group(0),
        remaining_s=None if remaining is None else float(remaining),
        issuer=None,
        user_id=None,
        failed_rules=tuple(str(v.get("rule")) for v in verdicts if v.get("verdict") == "fail"),
        warned_rules=tuple(str(v.get("rule")) for v in verdicts if v.get("verdict") == "warn"),
        signed=bool(record.get("signed")),
        label=str(record["purpose"]),
    )


def _body_kind(status: object, token: object, verdicts: Iterable[Mapping[str, Any]]) -> BodyKind:
    if token:
        return "token"
    if status is None:
        return "none"
    body_rule = [v for v in verdicts if v.get("rule") == "contract.plain-token-body"]
    if body_rule and "body is empty" in str(body_rule[0].get("detail", "")):
        return "empty"
    return "other"


def _rule_results(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One result per rule the calls were graded on, in the catalog's order."""
    seen: dict[str, list[tuple[Mapping[str, Any], Mapping[str, Any]]]] = {}
    for record in records:
        for verdict in record["verdicts"]:
            if isinstance(verdict, Mapping) and verdict.get("rule"):
                seen.setdefault(str(verdict["rule"]), []).append((record, verdict))
    order = {rule: position for position, rule in enumerate(RULES)}
    results = []
    for rule in sorted(seen, key=lambda r: (order.get(r, len(order)), r)):
        graded = seen[rule]
        counts = Counter(str(v.get("verdict")) for _, v in graded)
        worst = next((v for v in _WORST if counts[v]), "skip")
        results.append(
            {
                "rule": rule,
                "verdict": worst,
                "title": RULES[rule].title if rule in RULES else rule,
                "detail": _rule_detail(worst, graded, counts),
                "evidence": _rule_evidence(worst, graded, counts),
                "fix": RULES[rule].fix if rule in RULES else "",
                # A journal's URL is masked: no command could repeat the call as it was.
                "reproduce": None,
                "duration_s": None,
            }
        )
    return results


def _rule_detail(
    worst: str, graded: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], counts: Counter[str]
) -> str:
    total = len(graded)
    if worst not in ("fail", "warn"):
        if counts[worst] == total:
            return f"{worst} on all {total} calls graded"
        return f"{counts['pass']} of {total} calls passed, {counts['skip']} skipped"
    record, verdict = next((r, v) for r, v in graded if v.get("verdict") == worst)
    verb = "failed" if worst == "fail" else "warned"
    return (
        f"{verb} on {counts[worst]} of {total} calls; first at {record['at']} "
        f"(call #{record['seq']}): {verdict.get('detail', '')}"
    )


def _rule_evidence(
    worst: str, graded: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], counts: Counter[str]
) -> dict[str, Any]:
    evidence: dict[str, Any] = {"calls": len(graded), **{v: counts[v] for v in _WORST}}
    if worst in ("fail", "warn"):
        # Journal seq numbers, to find the calls with the journal's ?since= or in the file.
        hit = [record["seq"] for record, v in graded if v.get("verdict") == worst]
        key = "failed_calls" if worst == "fail" else "warned_calls"
        evidence[key] = hit[:_LISTED_CALLS]
        if len(hit) > _LISTED_CALLS:
            evidence[f"{key}_not_listed"] = len(hit) - _LISTED_CALLS
    return evidence


def _near(events: Iterable[ZoomEventPoint], calls: Sequence[CallPoint]) -> list[ZoomEventPoint]:
    start, end = calls[0].at - _ZOOM_MARGIN_S, calls[-1].at + _ZOOM_MARGIN_S
    return [e for e in events if start <= e.at <= end]


def _target(records: Sequence[Mapping[str, Any]]) -> str:
    urls = list(dict.fromkeys(str(r["url"]) for r in records))
    return urls[0] if len(urls) == 1 else f"{urls[0]} (and {len(urls) - 1} other URLs)"


def _purposes(records: Sequence[Mapping[str, Any]]) -> str:
    counts = Counter(str(r["purpose"]) for r in records)
    shown = ", ".join(f"{n} {purpose}" for purpose, n in counts.most_common())
    return f"{len(records)} calls ({shown})"


def _listed(counts: Counter[str]) -> str:
    return ", ".join(
        f"{credential} ({n} call{'' if n == 1 else 's'})" for credential, n in counts.most_common()
    )


def _check_call(path: Path, number: int, data: Mapping[str, Any]) -> None:
    """The values the timeline reads, typed as a journal writes them."""
    timings = data["timings_s"]
    try:
        parse_iso_timestamp(str(data["at"]))
        ok = (
            isinstance(timings, Mapping)
            and isinstance(timings.get("total"), int | float)
            and isinstance(data["verdicts"], list)
            and (data["status"] is None or isinstance(data["status"], int))
        )
    except ValueError:
        ok = False
    if not ok:
        raise JournalError(f"{path} is not a serve journal: line {number} is not a call record")


def _read_lines(
    path: Path, what: str, *, allow_empty: bool = False
) -> tuple[list[tuple[int, str]], bool]:
    """The non-blank lines with their numbers, and whether the last one was ended."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JournalError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise JournalError(f"{what} {path} is a directory; give the file") from None
    except UnicodeDecodeError:
        raise JournalError(f"{path} is not a {what}: it is not UTF-8 text") from None
    except OSError as exc:
        raise JournalError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    # Only "\n" ends a line: the journal writes JSON with ensure_ascii=False, where a
    # U+2028 inside a string is one character of it, not a line break (str.splitlines).
    lines = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    if not lines and not allow_empty:
        raise JournalError(f"{path} holds no calls" if what == "journal" else f"{path} is empty")
    return lines, text.endswith("\n")
