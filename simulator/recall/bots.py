"""A minimal Recall bot (``POST /api/v1/bot/``): it joins a Zoom meeting by calling its
token callbacks once each, and its ``status_changes`` say how that went.

When the bot joins (at once, or at ``join_at`` on the simulation clock, or when a test
calls `FakeRecall.join_bot`), the fake Recall calls each URL of the bot's ``zoom``
object once, in the order OBF, ZAK, join token, as it calls access-token callbacks, and
grades each answer (`bot_tokens`). Each call goes into the call journal with the bot's
id and notes on what it meant for the bot. The bot then shows ``joining_call`` followed
by ``in_call_recording``, or by ``fatal`` (``zoom_invalid_join_token`` for a join token
that is not valid). Bots live in memory only: a ``--state`` file does not keep them.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from recall_sim.simulator.causes import Cause, diagnose
from recall_sim.simulator.clock import Clock
from recall_sim.simulator.kinds import TokenKind
from recall_sim.simulator.recall.bot_tokens import (
    MintedTokenRegistry,
    TokenGrade,
    grade_bot_token,
    label_of,
    purpose_of,
)
from recall_sim.simulator.recall.caller import CallbackCaller
from recall_sim.simulator.recall.log_causes import RECENT_CALLS, point_from_record, with_cause
from recall_sim.simulator.recall.settings import RecallSettings
from recall_sim.simulator.redaction import redact_text
from recall_sim.simulator.tasks import cancel_and_wait
from recall_sim.simulator.timeline import CallPoint, Timeline

__all__ = [
    "INVALID_JOIN_TOKEN",
    "INVALID_MEETING_URL",
    "Bot",
    "BotCode",
    "BotRunner",
    "BotZoom",
    "StatusChange",
    "ZoomMeeting",
    "zoom_meeting",
]

_log = logging.getLogger("recall_sim.recall.bots")

# Recall's documented sub_code for a join token the bot could not join with (SPEC §7).
INVALID_JOIN_TOKEN: Final = "zoom_invalid_join_token"  # noqa: S105 - a sub_code
# Only Zoom meetings are simulated (Recall also takes Meet, Teams and Webex URLs).
INVALID_MEETING_URL: Final = (
    "Enter a valid Zoom meeting URL, e.g. https://zoom.us/j/<meeting number>?pwd=<passcode> "
    "(the simulator's bots join Zoom meetings only)."
)
# How often the scheduler looks for bots whose join_at has come (real seconds).
SCHEDULER_TICK_S: Final = 0.1
OBF_OR_ZAK_FATAL: Final = (
    "simulator's choice: Recall documents no sub_code for a bot whose {label} callback "
    "fails, so the bot ends fatal without one; the message says why"
)

# zoom.us and its vanity subdomains (us02web.zoom.us, acme.zoom.us).
_ZOOM_HOST = re.compile(r"^([a-z0-9-]+\.)*zoom\.us$")
# /j/<id>, /s/<id>, /w/<id>, /wc/join/<id>, /wc/<id>/join: Zoom's join and start links.
_MEETING_PATH = re.compile(r"^/(?:[jsw]|wc/join|wc)/([0-9]{9,11})(?:/join)?/?$")


class BotCode(StrEnum):
    """The documented status change codes this simulator uses."""

    JOINING_CALL = "joining_call"
    IN_CALL_RECORDING = "in_call_recording"
    FATAL = "fatal"


@dataclass(frozen=True)
class StatusChange:
    code: BotCode
    created_at: float
    message: str | None = None
    sub_code: str | None = None


@dataclass(frozen=True)
class ZoomMeeting:
    """What a Zoom meeting URL names: the meeting number and its passcode (``pwd``)."""

    meeting_id: str
    password: str | None


def zoom_meeting(url: str) -> ZoomMeeting | None:
    """The meeting a Zoom join URL names (``https://zoom.us/j/<id>?pwd=...``), or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or not _ZOOM_HOST.match(host):
        return None
    found = _MEETING_PATH.match(parts.path)
    if found is None:
        return None
    passwords = parse_qs(parts.query).get("pwd")
    return ZoomMeeting(found.group(1), passwords[0] if passwords else None)


@dataclass(frozen=True)
class BotZoom:
    """The ``zoom`` object of a Create Bot request: the token callbacks' URLs."""

    obf_token_url: str | None = None
    zak_url: str | None = None
    join_token_url: str | None = None

    def urls(self) -> list[tuple[TokenKind, str]]:
        """The URLs given, in the order the bot calls them."""
        ordered = (
            (TokenKind.OBF, self.obf_token_url),
            (TokenKind.ZAK, self.zak_url),
            (TokenKind.JOIN_TOKEN, self.join_token_url),
        )
        return [(kind, url) for kind, url in ordered if url is not None]


@dataclass(frozen=True)
class Bot:
    id: uuid.UUID
    meeting_url: str
    meeting: ZoomMeeting
    zoom: BotZoom
    created_at: float
    join_at: float | None = None
    status_changes: tuple[StatusChange, ...] = ()

    @property
    def code(self) -> BotCode | None:
        """The latest status change's code (None before the bot starts joining)."""
        return self.status_changes[-1].code if self.status_changes else None


class BotRunner:
    """Bots in memory, joined once each: by the scheduler, at creation, or on request.

    ``tokens``: the fake Zoom's minted-token record (None: answers are not checked
    against Zoom, which the calls' notes say).
    """

    def __init__(
        self,
        *,
        caller: CallbackCaller,
        clock: Clock,
        settings: Callable[[], RecallSettings],
        tokens: Callable[[], MintedTokenRegistry | None],
    ) -> None:
        self._caller = caller
        self._clock = clock
        self._settings = settings
        self._tokens = tokens
        self._lock = threading.Lock()
        self._bots: dict[uuid.UUID, Bot] = {}
        self._joins: dict[uuid.UUID, asyncio.Task[Bot]] = {}
        self._scheduler: asyncio.Task[None] | None = None

    def create(
        self, *, meeting_url: str, meeting: ZoomMeeting, zoom: BotZoom, join_at: float | None
    ) -> Bot:
        bot = Bot(
            id=uuid.uuid4(),
            meeting_url=meeting_url,
            meeting=meeting,
            zoom=zoom,
            created_at=self._clock.now(),
            join_at=join_at,
        )
        with self._lock:
            self._bots[bot.id] = bot
        return bot

    def get(self, bot_id: uuid.UUID) -> Bot | None:
        with self._lock:
            return self._bots.get(bot_id)

    def clear(self) -> None:
        """Forget every bot (joins in flight finish, changing nothing)."""
        with self._lock:
            self._bots.clear()
            self._joins.clear()

    def _due(self) -> list[uuid.UUID]:
        now = self._clock.now()
        with self._lock:
            return [
                bot.id
                for bot in self._bots.values()
                if bot.id not in self._joins and (bot.join_at is None or bot.join_at <= now)
            ]

    # joining

    def start_join(self, bot_id: uuid.UUID) -> asyncio.Task[Bot] | None:
        """The bot's join task on the running loop, started if it was not (None: the bot
        is unknown, or it joined on a loop that is gone)."""
        with self._lock:
            if bot_id not in self._bots:
                return None
            task = self._joins.get(bot_id)
            if task is None:
                task = asyncio.get_running_loop().create_task(
                    self._join(bot_id), name=f"recall-sim bot {bot_id}"
                )
                self._joins[bot_id] = task
        return task

    async def join(self, bot_id: uuid.UUID) -> Bot | None:
        """Join the bot now, or wait for the join already under way; the bot afterwards."""
        task = self.start_join(bot_id)
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            await asyncio.shield(task)
        return self.get(bot_id)

    def _change(self, bot_id: uuid.UUID, change: StatusChange) -> None:
        with self._lock:
            bot = self._bots.get(bot_id)
            if bot is not None:
                changes = (*bot.status_changes, change)
                self._bots[bot_id] = replace(bot, status_changes=changes)

    async def _join(self, bot_id: uuid.UUID) -> Bot:
        bot = self.get(bot_id)
        assert bot is not None
        self._change(bot_id, StatusChange(BotCode.JOINING_CALL, self._clock.now()))
        fatal: StatusChange | None = None
        for kind, url in bot.zoom.urls():
            grade, cause = await self._call(bot, kind, url)
            if fatal is None and grade.fatal is not None:
                hidden = self._settings().url_secrets.values(url)
                fatal = _fatal(grade, cause, hidden, self._clock.now())
        self._change(bot_id, fatal or StatusChange(BotCode.IN_CALL_RECORDING, self._clock.now()))
        return self.get(bot_id) or bot

    async def _call(self, bot: Bot, kind: TokenKind, url: str) -> tuple[TokenGrade, Cause | None]:
        observation, signed = await self._caller.observe(url)
        grade = grade_bot_token(
            kind,
            observation,
            clock=self._clock,
            budget=self._settings().callback_deadline,
            registry=self._tokens(),
            meeting_id=bot.meeting.meeting_id,
        )
        notes = list(grade.notes)
        cause = None if grade.fatal is None else self._cause(grade, url, signed=signed)
        if cause is not None:
            notes.append(f"{cause.cause.value}: {cause.title}: {cause.detail}. Fix: {cause.fix}")
        if grade.fatal is not None:
            sub_code = INVALID_JOIN_TOKEN if kind is TokenKind.JOIN_TOKEN else None
            shown = "without a sub_code" if sub_code is None else f"sub_code {sub_code}"
            notes.insert(0, f"bot {bot.id} fails to join (fatal, {shown}): {grade.fatal}")
            if kind is not TokenKind.JOIN_TOKEN:
                notes.append(OBF_OR_ZAK_FATAL.format(label=label_of(kind)))
        elif not grade.no_token:
            notes.insert(0, f"bot {bot.id} joins with this {label_of(kind)}")
        self._caller.record(
            grade.judgement, purpose=purpose_of(kind), signed=signed, bot=bot.id, notes=tuple(notes)
        )
        return grade, cause

    def _cause(self, grade: TokenGrade, url: str, *, signed: bool) -> Cause | None:
        """The cause of a failed call (SPEC §8) from this URL's recent calls of its kind
        and this one: the same `diagnose` as check, watch and the credential logs."""
        purpose = purpose_of(grade.kind)
        history = self._caller.recent_to(url, purpose=purpose, limit=RECENT_CALLS)
        index = history[-1].seq + 1 if history else 1
        current = CallPoint.from_judgement(
            index, grade.judgement, signed=signed, label=purpose.value
        )
        timeline = Timeline(
            calls=(*(point_from_record(r) for r in history), current),
            signing_secret_given=signed,
            zoom_observed=False,
            budget_s=self._settings().callback_deadline,
        )
        failed = {v.rule for v in grade.judgement.failures}
        return next(
            (c for c in diagnose(timeline, failed_rules=failed) if failed & set(c.rules)), None
        )

    # the schedule

    def start(self) -> None:
        """Join bots as their time comes, on the running loop (the fake's lifespan)."""
        if self._scheduler is None or self._scheduler.done():
            self._scheduler = asyncio.get_running_loop().create_task(
                self._schedule(), name="recall-sim bot scheduler"
            )

    async def stop(self) -> None:
        """Stop the schedule and cancel joins in progress."""
        with self._lock:
            tasks: list[asyncio.Task[Any]] = [t for t in self._joins.values() if not t.done()]
        if self._scheduler is not None:
            tasks.append(self._scheduler)
        await cancel_and_wait(tasks)
        self._scheduler = None

    async def _schedule(self) -> None:
        while True:
            for bot_id in self._due():
                try:
                    self.start_join(bot_id)
                except Exception:  # one bot must not end the schedule
                    _log.exception("starting bot %s failed inside the simulator", bot_id)
            await asyncio.sleep(SCHEDULER_TICK_S)


def _fatal(
    grade: TokenGrade, cause: Cause | None, hidden: tuple[str, ...], now: float
) -> StatusChange:
    """The bot's ``fatal`` status change, its message naming the failed rules and the cause
    (tokens and the URL's secrets redacted, as everywhere the API shows them)."""
    why = with_cause(redact_text(grade.fatal or "", secrets=hidden), cause)
    if grade.kind is TokenKind.JOIN_TOKEN:
        message = f"The join token callback's answer is not a valid join token: {why}"
        return StatusChange(BotCode.FATAL, now, message=message, sub_code=INVALID_JOIN_TOKEN)
    message = f"The {label_of(grade.kind)} callback's answer cannot be used: {why}"
    return StatusChange(BotCode.FATAL, now, message=message, sub_code=None)
