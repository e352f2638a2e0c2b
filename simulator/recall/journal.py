"""The call journal: every call the fake Recall makes to a callback, for debugging CI runs.

Records are redacted when made: the URL with its secrets masked, the token only as
its first 8 and last 4 characters plus a fingerprint (SPEC §5), so the journal can
be printed, served and written to a file without leaking anything.

With a `JournalFile`, each record is also appended to a JSON Lines file the moment
it is made, one flushed line per call, so a CI job that kills the server (even with
SIGKILL) still has every call it saw answered. The file is opened for appending and
never truncated: a restart on the same path, a reset and a cleared journal all
continue after the lines already there.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import threading
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from recall_sim.simulator.judge import Judgement
from recall_sim.simulator.redaction import (
    NO_NAMED_SECRETS,
    SecretPolicy,
    redact_text,
    redact_token,
)
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.timestamps import iso_timestamp

__all__ = ["CallJournal", "CallPurpose", "CallRecord", "JournalFile"]

_log = logging.getLogger("recall_sim.recall")


class CallPurpose(StrEnum):
    """Why the simulator called the callback."""

    CREATE = "create"
    POLL = "poll"
    VALIDATE = "validate"
    ACCESS_TOKEN = "access_token"  # noqa: S105 - a purpose, not a password
    # A bot's token callbacks (SPEC §7), called once each just before the bot joins.
    BOT_OBF = "bot_obf"
    BOT_ZAK = "bot_zak"
    BOT_JOIN_TOKEN = "bot_join_token"  # noqa: S105 - a purpose, not a password


@dataclass(frozen=True)
class CallRecord:
    """One callback call: when, where (masked), how it went, and what the judge said."""

    seq: int
    at: float
    purpose: CallPurpose
    url: str
    credential: uuid.UUID | None
    oauth_app: uuid.UUID | None
    accepted: bool
    status: int | None
    error: str | None
    connect_s: float | None
    first_byte_s: float | None
    total_s: float
    verdicts: tuple[tuple[str, str, str], ...]  # (rule, outcome, detail)
    token: str | None
    remaining_validity_s: float | None
    signed: bool
    bot: uuid.UUID | None = None  # the bot a bot_* call was made for
    # What the fake Recall made of the call beyond the verdicts: a bot's outcome, and the
    # assumptions and choices it rests on, each labelled as one.
    notes: tuple[str, ...] = ()

    @property
    def failed_rules(self) -> tuple[str, ...]:
        return tuple(rule for rule, outcome, _ in self.verdicts if outcome == Outcome.FAIL.value)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": iso_timestamp(self.at),
            "purpose": self.purpose.value,
            "url": self.url,
            "credential": None if self.credential is None else str(self.credential),
            "oauth_app": None if self.oauth_app is None else str(self.oauth_app),
            "outcome": "accepted" if self.accepted else "rejected",
            "status": self.status,
            "error": self.error,
            "timings_s": {
                "connect": self.connect_s,
                "first_byte": self.first_byte_s,
                "total": self.total_s,
            },
            "failed_rules": list(self.failed_rules),
            "verdicts": [
                {"rule": rule, "verdict": outcome, "detail": detail}
                for rule, outcome, detail in self.verdicts
            ],
            "token": self.token,
            "remaining_validity_s": self.remaining_validity_s,
            "signed": self.signed,
            "bot": None if self.bot is None else str(self.bot),
            "notes": list(self.notes),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _micros(instant: float) -> int:
    return round(instant * 1_000_000)


class JournalFile:
    """A JSON Lines file the journal appends to: one line per call, flushed as written.

    Opening raises OSError with one line naming the path and the reason, so a path
    that cannot be written fails the start, not the first call. Flushing each line
    hands it to the OS, which keeps it when the process is killed; a buffered file
    with one flush per line costs one small write per call, nothing a poll round notices.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # "a", never "w": earlier runs' lines stay, and every write lands at the end.
            self._out = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise OSError(f"cannot open the journal file {path}: {reason}") from None
        self._failing = False

    def write(self, record: CallRecord) -> None:
        """Append ``record`` as one line; a failed write is logged, never raised into a call."""
        if self._out.closed:
            return
        try:
            self._out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
            self._out.flush()
        except OSError as exc:
            # A full disk must not fail the callback calls themselves; say it once per outage.
            if not self._failing:
                _log.error("could not append to the journal file %s: %s", self.path, exc)
            self._failing = True
        else:
            self._failing = False

    def close(self) -> None:
        try:
            self._out.close()
        except OSError as exc:  # the last flush failed; the lines before it are in the file
            _log.error("could not close the journal file %s: %s", self.path, exc)


class CallJournal:
    """A bounded, thread-safe, append-only list of `CallRecord` with filtered reads.

    ``file``: where each record is also appended as it is made (see `JournalFile`).
    The file keeps every call ever made; `resize` and `clear` change only memory.
    """

    def __init__(self, *, size: int = 10_000, file: JournalFile | None = None) -> None:
        self._lock = threading.Lock()
        self._records: collections.deque[CallRecord] = collections.deque(maxlen=size)
        self._seq = 0
        self._file = file

    @property
    def file(self) -> JournalFile | None:
        return self._file

    def use_file(self, file: JournalFile | None) -> None:
        """Append from now on to ``file`` (or to none), closing the previous one."""
        with self._lock:
            previous, self._file = self._file, file
        if previous is not None and previous is not file:
            previous.close()

    def close(self) -> None:
        """Close the file; the records in memory stay readable."""
        self.use_file(None)

    def resize(self, size: int) -> None:
        with self._lock:
            self._records = collections.deque(self._records, maxlen=size)

    def record(
        self,
        judgement: Judgement,
        *,
        purpose: CallPurpose,
        credential: uuid.UUID | None,
        oauth_app: uuid.UUID | None,
        signed: bool,
        secrets: SecretPolicy = NO_NAMED_SECRETS,
        bot: uuid.UUID | None = None,
        notes: tuple[str, ...] = (),
    ) -> CallRecord:
        """Append what one call produced; the judgement's raw token is redacted here, and
        the URL parts ``secrets`` names are masked (their values hidden in the details)."""
        obs = judgement.observation
        hidden = secrets.values(obs.url)
        error = None if obs.error is None else f"{obs.error.kind.value}: {obs.error.message}"
        with self._lock:
            self._seq += 1
            record = CallRecord(
                seq=self._seq,
                at=obs.started_at,
                purpose=purpose,
                url=secrets.mask_url(obs.url),
                credential=credential,
                oauth_app=oauth_app,
                accepted=judgement.accepted,
                status=obs.status,
                error=None if error is None else redact_text(error, secrets=hidden),
                connect_s=_rounded(obs.timings.connect),
                first_byte_s=_rounded(obs.timings.first_byte),
                total_s=round(obs.timings.total, 4),
                verdicts=tuple(
                    (v.rule, v.outcome.value, redact_text(v.detail, secrets=hidden))
                    for v in judgement.verdicts
                ),
                token=None if judgement.token is None else redact_token(judgement.token),
                remaining_validity_s=(
                    None if judgement.remaining is None else round(judgement.remaining, 1)
                ),
                signed=signed,
                bot=bot,
                notes=tuple(redact_text(n, secrets=hidden) for n in notes),
            )
            self._records.append(record)
            # Under the lock, so the file's lines are in ``seq`` order. A create call is
            # written before the credential it produces exists: its line names the app,
            # and only the in-memory record is linked to the credential afterwards.
            if self._file is not None:
                self._file.write(record)
            return record

    def link(self, seq: int, credential: uuid.UUID) -> None:
        """Name the credential a create call produced, so filtering by it finds that call.

        In memory only: the file's line was written when the call was made.
        """
        with self._lock:
            for index, record in enumerate(self._records):
                if record.seq == seq:
                    self._records[index] = dataclasses.replace(record, credential=credential)
                    return

    def records(
        self,
        *,
        credential: uuid.UUID | None = None,
        accepted: bool | None = None,
        purpose: CallPurpose | None = None,
        rule: str | None = None,
        since_seq: int | None = None,
        since_time: float | None = None,
        limit: int | None = None,
        bot: uuid.UUID | None = None,
    ) -> list[CallRecord]:
        """Records oldest first, filtered; ``rule`` keeps calls where that rule failed,
        ``limit`` keeps the newest ones."""
        with self._lock:
            snapshot = list(self._records)
        selected = [
            r
            for r in snapshot
            if (credential is None or r.credential == credential)
            and (bot is None or r.bot == bot)
            and (accepted is None or r.accepted == accepted)
            and (purpose is None or r.purpose == purpose)
            and (rule is None or rule in r.failed_rules)
            and (since_seq is None or r.seq > since_seq)
            # In whole microseconds, as ``at`` is shown: a record's own timestamp,
            # passed back as ``since``, must find it even when rounding moved it up.
            and (since_time is None or _micros(r.at) >= _micros(since_time))
        ]
        return selected if limit is None else selected[-limit:] if limit > 0 else []

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq

    def clear(self) -> None:
        """Forget the records in memory and restart ``seq`` at 1; the file keeps its lines."""
        with self._lock:
            self._records.clear()
            self._seq = 0
