"""Meeting sync: the fake Recall uses a credential's token on Zoom, as Recall does.

With a token for the credential (`CredentialLifecycle.access_token`: the callback for a
customer-managed credential), a sync reads the user (``GET /v2/users/me``, for the
personal meeting id) and lists their meetings (``GET /v2/users/me/meetings``, every
page), then records one mapping per meeting id: the scheduled meetings' and the PMI.
Recall uses these mappings to pick the credential whose token fetches a bot's join token.

``meeting_sync_status`` goes ``not_started`` → ``in_progress`` → ``completed`` or
``failed``. A sync that fails (no token, or Zoom refused one) writes a credential log
naming why — Zoom's own error and the endpoint — and keeps the mappings of the last
successful sync; a successful one replaces them. Tokens never reach a log.

When it runs: after a create, in the background on the loop the fake is running on
(`FakeRecall.running`, as the served app's lifespan does), so the create answers with
``in_progress``; `MeetingSync.run` (``FakeRecall.async_meetings``) syncs now and returns
when done. Without a Zoom to talk to (`FakeRecall.zoom` is None) or a running fake, the
create leaves the status ``not_started``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeGuard

from recall_sim.simulator.clock import Clock
from recall_sim.simulator.recall.credentials import AccessToken
from recall_sim.simulator.recall.errors import (
    CallbackRejected,
    CredentialUnhealthy,
    NotFound,
    RecallError,
)
from recall_sim.simulator.recall.models import (
    Credential,
    CredentialLog,
    CredentialStatus,
    MeetingSyncStatus,
    to_microseconds,
)
from recall_sim.simulator.recall.store import RecallStore
from recall_sim.simulator.recall.zoom_client import ZoomClient, ZoomRefused
from recall_sim.simulator.redaction import redact_token
from recall_sim.simulator.tasks import cancel_and_wait

__all__ = ["MeetingSync", "MeetingSyncUnavailable", "SyncFailed"]

_log = logging.getLogger("recall_sim.recall.meeting_sync")

USER_PATH: Final = "/v2/users/me"
MEETINGS_PATH: Final = "/v2/users/me/meetings"
# Zoom's largest page; a user with more pages than this many is not a test fixture.
_PAGE_SIZE: Final = "300"
_MAX_PAGES: Final = 50

TokenSource = Callable[[uuid.UUID], Awaitable[AccessToken]]


class MeetingSyncUnavailable(RecallError):
    """This fake Recall has no Zoom to sync with (answered ``400 {"detail": ...}``)."""

    def __init__(self) -> None:
        super().__init__(
            "Meeting sync needs a Zoom to talk to, and this fake Recall has none: run it "
            "inside the simulator (recall-sim serve, running_simulator()), or attach one "
            "with FakeRecall.attach_zoom."
        )


class SyncFailed(Exception):
    """Why one sync failed, as its credential log says it."""


class MeetingSync:
    """Runs meeting syncs for credentials, awaited or in the background."""

    def __init__(
        self,
        *,
        store: RecallStore,
        clock: Clock,
        token: TokenSource,
        zoom: Callable[[], ZoomClient | None],
    ) -> None:
        self._store = store
        self._clock = clock
        self._token = token
        self._zoom = zoom
        # Background syncs by credential: a sync asked for meanwhile waits for it, so the
        # last one asked for is the one whose outcome stays.
        self._background: dict[uuid.UUID, asyncio.Task[Credential | None]] = {}

    def _now(self) -> float:
        return to_microseconds(self._clock.now())

    # starting

    def start(
        self, credential: Credential, *, loop: asyncio.AbstractEventLoop | None
    ) -> Credential:
        """Sync ``credential`` in the background on ``loop`` (the running fake's) and return
        it ``in_progress``; unchanged when there is no Zoom or no running loop."""
        if self._zoom() is None or loop is None or not loop.is_running():
            return credential
        if not self._store.set_meeting_sync_status(credential.id, MeetingSyncStatus.IN_PROGRESS):
            return credential  # deleted meanwhile
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            self._track(credential.id)
        else:
            loop.call_soon_threadsafe(self._track, credential.id)
        return self._store.get_credential(credential.id) or credential

    def _track(self, credential_id: uuid.UUID) -> None:
        previous = self._background.get(credential_id)
        task = asyncio.get_running_loop().create_task(
            self._after(previous, credential_id), name=f"meeting sync {credential_id}"
        )
        self._background[credential_id] = task

        def forget(done: asyncio.Task[Credential | None]) -> None:
            if self._background.get(credential_id) is done:
                del self._background[credential_id]
            if not done.cancelled() and done.exception() is not None:
                _log.error("meeting sync crashed", exc_info=done.exception())

        task.add_done_callback(forget)

    async def _after(
        self, previous: asyncio.Task[Credential | None] | None, credential_id: uuid.UUID
    ) -> Credential | None:
        await self._wait_for(previous)
        try:
            return await self._sync(credential_id)
        except NotFound:
            return None  # deleted meanwhile
        except MeetingSyncUnavailable:  # the Zoom was detached meanwhile: never started
            self._store.set_meeting_sync_status(credential_id, MeetingSyncStatus.NOT_STARTED)
            return None
        except RecallError as exc:  # disabled meanwhile
            self._fail(credential_id, str(exc))
            return None

    async def _wait_for(self, task: asyncio.Task[Credential | None] | None) -> None:
        if task is None or task.done():
            return
        if task.get_loop() is not asyncio.get_running_loop():
            return  # another loop's task cannot be awaited here; both write whole outcomes
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(task)

    async def aclose(self) -> None:
        """Cancel the background syncs (each marks its credential ``failed``, saying why)."""
        await cancel_and_wait(list(self._background.values()))

    # syncing

    async def run(self, credential_id: uuid.UUID) -> Credential:
        """Sync now and return the credential, ``completed`` or ``failed``.

        Raises NotFound (no such credential), CredentialUnhealthy (disabled until
        ``validate/``: nothing changes) and MeetingSyncUnavailable (no Zoom).
        """
        await self._wait_for(self._background.get(credential_id))
        return await self._sync(credential_id)

    async def _sync(self, credential_id: uuid.UUID) -> Credential:
        credential = self._store.get_credential(credential_id)
        if credential is None:
            raise NotFound("zoom oauth credential", credential_id)
        if credential.status is CredentialStatus.UNHEALTHY:
            raise CredentialUnhealthy(credential.id, credential.consecutive_failures)
        zoom = self._zoom()
        if zoom is None:
            raise MeetingSyncUnavailable()
        self._store.set_meeting_sync_status(credential_id, MeetingSyncStatus.IN_PROGRESS)
        try:
            meeting_ids = await self._meeting_ids(zoom, credential_id)
        except SyncFailed as failure:
            self._fail(credential_id, str(failure))
        except asyncio.CancelledError:
            self._fail(credential_id, "the fake Recall stopped while it ran")
            raise
        else:
            if self._store.replace_meeting_mappings(credential_id, meeting_ids, self._now()):
                self._store.set_meeting_sync_status(credential_id, MeetingSyncStatus.COMPLETED)
        synced = self._store.get_credential(credential_id)
        if synced is None:
            raise NotFound("zoom oauth credential", credential_id)
        return synced

    def _fail(self, credential_id: uuid.UUID, why: str) -> None:
        if self._store.set_meeting_sync_status(credential_id, MeetingSyncStatus.FAILED):
            message = f"Meeting sync failed: {why}"
            self._store.add_credential_log(CredentialLog(credential_id, message, self._now()))

    async def _meeting_ids(self, zoom: ZoomClient, credential_id: uuid.UUID) -> list[int]:
        """The user's scheduled meetings' ids, then their PMI; SyncFailed says why not."""
        try:
            token = (await self._token(credential_id)).token
        except (CallbackRejected, CredentialUnhealthy) as exc:
            raise SyncFailed(f"no access token for the credential: {exc.detail}") from None
        except ZoomRefused as exc:  # a Recall-managed credential's refresh, refused
            raise SyncFailed(f"no access token for the credential: Zoom {exc.describe()}") from None
        except NotFound:
            raise
        except RecallError as exc:
            raise SyncFailed(f"no access token for the credential: {exc}") from None
        user = await self._get(zoom, USER_PATH, token)
        meeting_ids: list[int] = []
        params = {"page_size": _PAGE_SIZE}
        for _ in range(_MAX_PAGES):
            page = await self._get(zoom, MEETINGS_PATH, token, params=params)
            meeting_ids.extend(_ids(page, MEETINGS_PATH))
            next_token = page.get("next_page_token")
            if not next_token:
                break
            params = {"page_size": _PAGE_SIZE, "next_page_token": str(next_token)}
        pmi = user.get("pmi")
        if _meeting_number(pmi):
            meeting_ids.append(pmi)
        return meeting_ids

    async def _get(
        self,
        zoom: ZoomClient,
        path: str,
        token: str,
        *,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            return await zoom.get_json(path, access_token=token, params=params)
        except ZoomRefused as refused:
            # Zoom's messages never echo a token; masked all the same, should one ever.
            why = refused.describe().replace(token, redact_token(token))
            advice = " (the user may have removed the app: reconnect them)" * refused.permanent
            raise SyncFailed(f"Zoom refused GET {path}: {why}{advice}") from None


def _meeting_number(value: object) -> TypeGuard[int]:
    """A Zoom meeting number: a positive integer that fits SQLite's INTEGER."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _ids(page: dict[str, Any], path: str) -> list[int]:
    meetings = page.get("meetings")
    if not isinstance(meetings, list):
        raise SyncFailed(f"Zoom's answer to GET {path} has no 'meetings' list")
    ids: list[int] = []
    for meeting in meetings:
        found = meeting.get("id") if isinstance(meeting, dict) else None
        if not _meeting_number(found):
            raise SyncFailed(f"Zoom's answer to GET {path} has a meeting without a numeric 'id'")
        ids.append(found)
    return ids
