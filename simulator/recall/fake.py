"""`FakeRecall`: the public Python API of the simulated Recall workspace.

Everything the HTTP API does is a method here, so tests can arrange state and
read results without HTTP; the routers only parse, call this, and serialize.
Methods that call a callback are coroutines (``acreate_credential`` ...); each
has a blocking twin (``create_credential`` ...) for plain test code, which runs
the coroutine on the server's event loop when the fake is being served.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from recall_sim.simulator.clock import SYSTEM_CLOCK, Clock
from recall_sim.simulator.connections import AsyncNetwork, open_stream
from recall_sim.simulator.recall.bot_tokens import MintedTokenRegistry
from recall_sim.simulator.recall.bots import (
    INVALID_MEETING_URL,
    Bot,
    BotRunner,
    BotZoom,
    zoom_meeting,
)
from recall_sim.simulator.recall.caller import CallbackCaller, TokenInspector
from recall_sim.simulator.recall.credentials import (
    AccessToken,
    CredentialCreated,
    CredentialLifecycle,
)
from recall_sim.simulator.recall.errors import InvalidInput, NotFound
from recall_sim.simulator.recall.journal import (
    CallJournal,
    CallPurpose,
    CallRecord,
    JournalFile,
)
from recall_sim.simulator.recall.log_causes import ZoomEvents
from recall_sim.simulator.recall.meeting_sync import MeetingSync
from recall_sim.simulator.recall.models import (
    AppKind,
    AppLog,
    Credential,
    CredentialLog,
    CredentialStatus,
    MeetingMapping,
    OAuthApp,
    parse_uuid,
    to_microseconds,
)
from recall_sim.simulator.recall.pagination import Cursor, Page
from recall_sim.simulator.recall.poller import Poller, PollRound
from recall_sim.simulator.recall.queries import (
    AppLogQuery,
    AppQuery,
    CredentialLogQuery,
    CredentialQuery,
    MeetingMappingQuery,
)
from recall_sim.simulator.recall.ratelimit import RateLimiter
from recall_sim.simulator.recall.recall_managed import AuthorizationCode
from recall_sim.simulator.recall.settings import RecallSettings
from recall_sim.simulator.recall.store import MEMORY, RecallStore
from recall_sim.simulator.recall.zoom_client import ZoomClient

__all__ = ["FakeRecall"]

T = TypeVar("T")
# Customer-managed OAuth never uses the app's secrets, so Recall accepts placeholders.
DUMMY_SECRET = "dummy"  # noqa: S105 - a documented placeholder, not a credential
IdLike = uuid.UUID | str


def _id(value: IdLike, kind: str) -> uuid.UUID:
    parsed = value if isinstance(value, uuid.UUID) else parse_uuid(value)
    if parsed is None:
        raise NotFound(kind, value)
    return parsed


class FakeRecall:
    """A Recall workspace: Zoom OAuth apps, credentials, logs, the poller and the call journal.

    ``state_path``: a SQLite file that keeps apps, credentials and logs across
    restarts (default: memory). ``clock``: the simulation clock used for
    timestamps and token validity (share the fake Zoom's to expire tokens at will).
    ``network``: opens callback connections (unit tests substitute canned answers).
    """

    def __init__(
        self,
        *,
        settings: RecallSettings | None = None,
        clock: Clock = SYSTEM_CLOCK,
        state_path: str | Path | None = None,
        network: AsyncNetwork = open_stream,
    ) -> None:
        self._settings = settings or RecallSettings()
        self._settings_lock = threading.Lock()
        self.clock = clock
        # Opened first, so a path that cannot be written stops the start with one line.
        path = self._settings.journal_path
        self.journal = CallJournal(
            size=self._settings.journal_size, file=JournalFile(path) if path else None
        )
        try:
            self.store = RecallStore(MEMORY if state_path is None else state_path)
        except BaseException:
            self.journal.close()
            raise
        self.rate_limiter = RateLimiter()
        caller = CallbackCaller(
            clock=clock, journal=self.journal, settings=lambda: self._settings, network=network
        )
        self._caller = caller
        self._credentials = CredentialLifecycle(
            store=self.store,
            caller=caller,
            clock=clock,
            settings=lambda: self._settings,
            zoom=lambda: self.zoom,
        )
        self._poller = Poller(
            poll_one=self._credentials.poll,
            work=self._healthy_credential_ids,
            settings=lambda: self._settings,
            clock=clock,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self.zoom: ZoomClient | None = None
        self._minted: MintedTokenRegistry | None = None
        self._bots = BotRunner(
            caller=caller,
            clock=clock,
            settings=lambda: self._settings,
            tokens=lambda: self._minted,
        )
        self._meeting_sync = MeetingSync(
            store=self.store, clock=clock, token=self._credentials.access_token, zoom=self._zoom
        )

    # settings

    @property
    def settings(self) -> RecallSettings:
        return self._settings

    def configure(self, **changes: Any) -> RecallSettings:
        """Change settings (ValueError names a bad one); the poller picks up a new interval.

        A new ``journal_path`` is opened before anything changes (OSError when it
        cannot be); later calls are appended there, earlier ones stay in the old file.
        """
        with self._settings_lock:
            updated = self._settings.updated(changes)
            path = updated.journal_path
            if path != self._settings.journal_path:
                self.journal.use_file(JournalFile(path) if path else None)
            self._settings = updated
            self.journal.resize(self._settings.journal_size)
        if "poll_interval" in changes:
            self._poller.reschedule()
        return self._settings

    def attach_zoom_journal(self, events: ZoomEvents | None) -> None:
        """Read the fake Zoom's events (``events(since)``: those at or after a Unix time)
        when a failed call's log names its cause; the simulator app sets it. None detaches."""
        self._credentials.zoom_events = events

    def attach_token_inspector(self, inspector: TokenInspector | None) -> None:
        """Ask the fake Zoom whether each token a callback returns is live (create, validate
        and polls then grade ``contract.token-live``); the simulator app sets it, e.g. with
        `FakeZoom.token_liveness`. None detaches."""
        self._caller.token_inspector = inspector

    def attach_zoom(self, zoom: ZoomClient | None) -> None:
        """Talk to this Zoom (Recall-managed OAuth's code exchange and refreshes, meeting
        sync); the simulator app sets it to its fake Zoom. None detaches: a
        Recall-managed create is then refused, naming why."""
        self.zoom = zoom

    def attach_minted_tokens(self, registry: MintedTokenRegistry | None) -> None:
        """Grade a bot's OBF, ZAK and join tokens against what this Zoom minted (an OBF
        token is presented with ``use_token``); the simulator app sets it to its fake Zoom.
        None detaches: bots then take any bare token as valid, and say so."""
        self._minted = registry

    # apps

    def create_app(
        self,
        *,
        client_id: str,
        kind: AppKind | str = AppKind.USER_LEVEL,
        client_secret: str = DUMMY_SECRET,
        webhook_secret: str = DUMMY_SECRET,
    ) -> OAuthApp:
        """Register a Zoom OAuth app (with customer-managed OAuth the secrets may be dummies)."""
        app = OAuthApp(
            id=uuid.uuid4(),
            kind=AppKind(kind),
            client_id=client_id,
            client_secret=client_secret,
            webhook_secret=webhook_secret,
            created_at=to_microseconds(self.clock.now()),
        )
        self.store.add_app(app)
        return app

    def get_app(self, app_id: IdLike) -> OAuthApp:
        app = self.store.get_app(_id(app_id, "zoom oauth app"))
        if app is None:
            raise NotFound("zoom oauth app", app_id)
        return app

    def list_apps(
        self,
        query: AppQuery | None = None,
        *,
        cursor: Cursor | None = None,
        page_size: int | None = None,
    ) -> Page[OAuthApp]:
        size = page_size or self._settings.page_size
        return self.store.apps(query or AppQuery(), cursor=cursor, size=size)

    def update_app(
        self,
        app_id: IdLike,
        *,
        client_secret: str | None = None,
        webhook_secret: str | None = None,
    ) -> OAuthApp:
        """Change the secrets (the other fields are fixed once created, as in Recall)."""
        app = self.get_app(app_id)
        changed = OAuthApp(
            id=app.id,
            kind=app.kind,
            client_id=app.client_id,
            client_secret=app.client_secret if client_secret is None else client_secret,
            webhook_secret=app.webhook_secret if webhook_secret is None else webhook_secret,
            created_at=app.created_at,
            webhook_last_validation=app.webhook_last_validation,
        )
        if not self.store.update_app(changed):
            raise NotFound("zoom oauth app", app_id)
        return changed

    def delete_app(self, app_id: IdLike) -> None:
        """Delete the app with its credentials and logs."""
        if not self.store.delete_app(_id(app_id, "zoom oauth app")):
            raise NotFound("zoom oauth app", app_id)

    # credentials

    async def acreate_credential(
        self, *, oauth_app: IdLike, access_token_callback_url: str
    ) -> CredentialCreated:
        """Call the callback, judge it and store the credential (see `CredentialLifecycle`)."""
        app_id = _id(oauth_app, "zoom oauth app")
        outcome = await self._credentials.create(app_id, access_token_callback_url)
        return self._syncing_meetings(outcome)

    def create_credential(
        self, *, oauth_app: IdLike, access_token_callback_url: str
    ) -> CredentialCreated:
        return self._blocking(
            self.acreate_credential(
                oauth_app=oauth_app, access_token_callback_url=access_token_callback_url
            ),
            "create_credential",
        )

    async def acreate_managed_credential(
        self,
        *,
        oauth_app: IdLike,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
    ) -> CredentialCreated:
        """Recall-managed OAuth: exchange the code at Zoom, keep and refresh the tokens
        (ZoomRejected names Zoom's error; see `CredentialLifecycle.create_managed`)."""
        app_id = _id(oauth_app, "zoom oauth app")
        authorization = AuthorizationCode(code, redirect_uri, code_verifier)
        outcome = await self._credentials.create_managed(app_id, authorization)
        return self._syncing_meetings(outcome)

    def create_managed_credential(
        self,
        *,
        oauth_app: IdLike,
        code: str,
        redirect_uri: str,
        code_verifier: str | None = None,
    ) -> CredentialCreated:
        return self._blocking(
            self.acreate_managed_credential(
                oauth_app=oauth_app,
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
            ),
            "create_managed_credential",
        )

    def get_credential(self, credential_id: IdLike) -> Credential:
        credential = self.store.get_credential(_id(credential_id, "zoom oauth credential"))
        if credential is None:
            raise NotFound("zoom oauth credential", credential_id)
        return credential

    def list_credentials(
        self,
        query: CredentialQuery | None = None,
        *,
        cursor: Cursor | None = None,
        page_size: int | None = None,
    ) -> Page[Credential]:
        size = page_size or self._settings.page_size
        return self.store.credentials(query or CredentialQuery(), cursor=cursor, size=size)

    def delete_credential(self, credential_id: IdLike) -> None:
        if not self.store.delete_credential(_id(credential_id, "zoom oauth credential")):
            raise NotFound("zoom oauth credential", credential_id)

    async def aaccess_token(self, credential_id: IdLike) -> AccessToken:
        """A token now: the callback's (CallbackRejected when it fails) or, Recall-managed,
        the stored one, refreshed when low (ZoomRejected when Zoom refuses)."""
        return await self._credentials.access_token(_id(credential_id, "zoom oauth credential"))

    def access_token(self, credential_id: IdLike) -> AccessToken:
        return self._blocking(self.aaccess_token(credential_id), "access_token")

    async def avalidate(self, credential_id: IdLike) -> Credential:
        """Re-check the callback; success makes the credential healthy again."""
        return await self._credentials.validate(_id(credential_id, "zoom oauth credential"))

    def validate(self, credential_id: IdLike) -> Credential:
        return self._blocking(self.avalidate(credential_id), "validate")

    # polling

    def _healthy_credential_ids(self) -> list[uuid.UUID]:
        # Unhealthy credentials are disabled, as in Recall, until validate/ succeeds.
        return [c.id for c in self.store.all_credentials(status=CredentialStatus.HEALTHY)]

    async def apoll_now(self, credential_ids: Sequence[IdLike] | None = None) -> PollRound:
        """Run one poll round now (every healthy credential, or exactly those given)."""
        ids = None
        if credential_ids is not None:
            ids = [_id(c, "zoom oauth credential") for c in credential_ids]
        return await self._poller.run_round(ids)

    def poll_now(self, credential_ids: Sequence[IdLike] | None = None) -> PollRound:
        return self._blocking(self.apoll_now(credential_ids), "poll_now")

    def trigger_poll(self) -> None:
        """Ask the running scheduler for a round now, without waiting for it."""
        self._poller.trigger()

    @property
    def polling(self) -> bool:
        """Whether the scheduled poller is running (between `astart` and `aclose`)."""
        return self._poller.running

    # logs and journal

    def credential_logs(
        self,
        query: CredentialLogQuery | None = None,
        *,
        cursor: Cursor | None = None,
        page_size: int | None = None,
    ) -> Page[CredentialLog]:
        size = page_size or self._settings.page_size
        return self.store.credential_logs(query or CredentialLogQuery(), cursor=cursor, size=size)

    def app_logs(
        self,
        query: AppLogQuery | None = None,
        *,
        cursor: Cursor | None = None,
        page_size: int | None = None,
    ) -> Page[AppLog]:
        size = page_size or self._settings.page_size
        return self.store.app_logs(query or AppLogQuery(), cursor=cursor, size=size)

    def calls(
        self,
        *,
        credential: IdLike | None = None,
        accepted: bool | None = None,
        purpose: CallPurpose | str | None = None,
        rule: str | None = None,
        since_seq: int | None = None,
        since_time: float | None = None,
        limit: int | None = None,
        bot: IdLike | None = None,
    ) -> list[CallRecord]:
        """The call journal, oldest first, filtered (see `CallJournal.records`)."""
        return self.journal.records(
            credential=None if credential is None else _id(credential, "zoom oauth credential"),
            bot=None if bot is None else _id(bot, "bot"),
            accepted=accepted,
            purpose=None if purpose is None else CallPurpose(purpose),
            rule=rule,
            since_seq=since_seq,
            since_time=since_time,
            limit=limit,
        )

    # bots (see `bots`)

    def create_bot(
        self, *, meeting_url: str, zoom: BotZoom | None = None, join_at: float | None = None
    ) -> Bot:
        """A bot for a Zoom meeting URL (InvalidInput names ``meeting_url`` otherwise). It
        joins at ``join_at`` (a Unix time on the simulation clock; None: at once) while the
        fake runs, or when `join_bot` is called."""
        meeting = zoom_meeting(meeting_url)
        if meeting is None:
            raise InvalidInput({"meeting_url": [INVALID_MEETING_URL]})
        bot = self._bots.create(
            meeting_url=meeting_url, meeting=meeting, zoom=zoom or BotZoom(), join_at=join_at
        )
        loop = self._loop
        if (
            loop is not None
            and loop.is_running()
            and (join_at is None or join_at <= self.clock.now())
        ):
            loop.call_soon_threadsafe(self._bots.start_join, bot.id)
        return bot

    def get_bot(self, bot_id: IdLike) -> Bot:
        bot = self._bots.get(_id(bot_id, "bot"))
        if bot is None:
            raise NotFound("bot", bot_id)
        return bot

    async def ajoin_bot(self, bot_id: IdLike) -> Bot:
        """Join the bot now (or wait for its join under way): call its token callbacks once
        each and record the outcome in its status changes; the bot afterwards."""
        bot = await self._bots.join(_id(bot_id, "bot"))
        if bot is None:
            raise NotFound("bot", bot_id)
        return bot

    def join_bot(self, bot_id: IdLike) -> Bot:
        return self._blocking(self.ajoin_bot(bot_id), "join_bot")

    # meeting sync (see `meeting_sync`)

    def _zoom(self) -> ZoomClient | None:
        return self.zoom

    def _syncing_meetings(self, outcome: CredentialCreated) -> CredentialCreated:
        """After a create: the meeting sync starts in the background while the fake runs
        (the answer then says ``in_progress``); otherwise the status stays as it was."""
        credential = self._meeting_sync.start(outcome.credential, loop=self._loop)
        return CredentialCreated(credential, created=outcome.created)

    async def async_meetings(self, credential_id: IdLike) -> Credential:
        """Sync the credential's meetings now (after any background sync of it) and return
        it ``completed`` or ``failed``; NotFound, CredentialUnhealthy (nothing changes) and
        MeetingSyncUnavailable (no Zoom attached) refuse."""
        return await self._meeting_sync.run(_id(credential_id, "zoom oauth credential"))

    def sync_meetings(self, credential_id: IdLike) -> Credential:
        return self._blocking(self.async_meetings(credential_id), "sync_meetings")

    def meeting_mappings(
        self,
        query: MeetingMappingQuery | None = None,
        *,
        cursor: Cursor | None = None,
        page_size: int | None = None,
    ) -> Page[MeetingMapping]:
        """``zoom-meetings-to-credentials/``: the meetings each credential's last sync found."""
        size = page_size or self._settings.page_size
        query = query or MeetingMappingQuery()
        return self.store.meeting_mappings(query, cursor=cursor, size=size)

    # lifecycle

    def reset(self) -> None:
        """Forget every app, credential, log, bot and journal entry; settings stay."""
        self.store.clear()
        self.journal.clear()
        self.rate_limiter.reset()
        self._bots.clear()

    async def astart(self) -> None:
        """Bind to the running loop and start the scheduled poller (the server's lifespan)."""
        self._loop = asyncio.get_running_loop()
        self._poller.start()
        self._bots.start()

    async def aclose(self) -> None:
        """Stop polling and background meeting syncs (the journal file needs nothing: every
        call's line is already in it)."""
        await self._poller.stop()
        await self._bots.stop()
        await self._meeting_sync.aclose()
        self._loop = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FakeRecall]:
        """``async with fake.running():`` polls in the background for the block's duration."""
        await self.astart()
        try:
            yield self
        finally:
            await self.aclose()

    def close(self) -> None:
        """Release the state file and the journal file."""
        self.store.close()
        self.journal.close()

    def _blocking(self, coroutine: Coroutine[Any, Any, T], name: str) -> T:
        loop = self._loop
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if loop is not None and loop.is_running() and current is not loop:
            # Served: run where the poller and the server's requests run.
            return asyncio.run_coroutine_threadsafe(coroutine, loop).result()
        if current is not None:
            coroutine.close()
            raise RuntimeError(
                f"FakeRecall.{name}() blocks; inside an event loop, await FakeRecall.a{name}()"
            )
        return asyncio.run(coroutine)
