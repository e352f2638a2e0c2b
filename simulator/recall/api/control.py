"""The fake Recall's control API under ``/_sim/recall/``: reset, polls, the journal, settings.

Guarded like the rest of ``/_sim/`` (`recall_sim.simulator.control_guard`): loopback
``Host`` names and same-origin JSON requests only, or the control token beyond
loopback. Secrets in the settings are shown as fingerprints only, and the settings
that name credentials or files are fixed at start.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from recall_sim.simulator.recall.api.bodies import read_data
from recall_sim.simulator.recall.api.errors import ApiError
from recall_sim.simulator.recall.fake import FakeRecall
from recall_sim.simulator.recall.journal import CallPurpose
from recall_sim.simulator.recall.models import iso_timestamp
from recall_sim.simulator.recall.settings import FIXED_AT_START
from recall_sim.simulator.timestamps import parse_iso_timestamp

__all__ = ["control_router"]

_OUTCOMES = {"accepted": True, "rejected": False}


def _since(value: str) -> tuple[int | None, float | None]:
    """``since`` is a journal sequence number or an ISO-8601 instant."""
    if value.isdigit():
        return int(value), None
    try:
        return None, parse_iso_timestamp(value)  # the journal's own ``at`` format, and others
    except ValueError:
        raise ApiError.detail(
            400, f"since must be a sequence number or an ISO-8601 time, got {value[:60]!r}"
        ) from None


def control_router(fake: FakeRecall) -> APIRouter:
    router = APIRouter(tags=["recall-sim control"])
    background: set[asyncio.Task[Any]] = set()

    @router.post("/reset")
    async def reset() -> dict[str, str]:
        """Forget every app, credential, log and journal entry (settings stay)."""
        fake.reset()
        return {"detail": "fake Recall reset"}

    @router.post("/poll")
    async def poll(request: Request) -> Response:
        """Run a poll round now: every healthy credential, or those named by ``credential``.

        ``wait=false`` starts the round and answers 202 at once.
        """
        ids = request.query_params.getlist("credential") or None
        wait = request.query_params.get("wait", "true").lower() not in ("false", "0", "no")
        if ids is not None:
            for credential_id in ids:
                fake.get_credential(credential_id)  # 404 for an unknown id
        if not wait:
            task = asyncio.create_task(fake.apoll_now(ids))
            background.add(task)
            task.add_done_callback(background.discard)
            return JSONResponse({"detail": "poll round started"}, status_code=202)
        round_ = await fake.apoll_now(ids)
        return JSONResponse(round_.to_json())

    @router.get("/journal")
    async def journal(
        credential: str | None = None,
        outcome: str | None = None,
        purpose: str | None = None,
        rule: str | None = None,
        since: str | None = None,
        limit: int | None = None,
        bot: str | None = None,
    ) -> dict[str, Any]:
        """Every callback call the simulator made, oldest first, filtered.

        ``outcome``: accepted|rejected; ``purpose``: create|poll|validate|access_token, or a
        bot's bot_obf|bot_zak|bot_join_token; ``bot``: the calls made for that bot;
        ``rule``: calls where that rule failed; ``since``: a ``seq`` (exclusive) or an
        ISO-8601 time (inclusive); ``limit``: the newest N.
        """
        if outcome is not None and outcome not in _OUTCOMES:
            raise ApiError.detail(400, f"outcome must be accepted or rejected, got {outcome!r}")
        purposes = [p.value for p in CallPurpose]
        if purpose is not None and purpose not in purposes:
            raise ApiError.detail(400, f"purpose must be one of {purposes}, got {purpose!r}")
        since_seq, since_time = _since(since) if since else (None, None)
        records = fake.calls(
            credential=credential,
            accepted=None if outcome is None else _OUTCOMES[outcome],
            purpose=purpose,
            rule=rule,
            since_seq=since_seq,
            since_time=since_time,
            limit=limit,
            bot=bot,
        )
        return {"last_seq": fake.journal.last_seq, "calls": [r.to_json() for r in records]}

    @router.delete("/journal", status_code=204)
    async def clear_journal() -> Response:
        fake.journal.clear()
        return Response(status_code=204)

    @router.get("/settings")
    async def settings() -> dict[str, Any]:
        return fake.settings.public_view()

    @router.patch("/settings")
    async def update_settings(request: Request) -> dict[str, Any]:
        """Change settings with a JSON object, e.g. ``{"unhealthy_after": 2}``."""
        changes = await read_data(request, max_bytes=65536)
        fixed = sorted(FIXED_AT_START & set(changes))
        if fixed:
            raise ApiError.detail(
                400,
                f"{', '.join(fixed)} cannot change while the server runs: "
                "set it when starting recall-sim serve",
            )
        try:
            return fake.configure(**changes).public_view()
        except (ValueError, TypeError) as exc:
            raise ApiError.detail(400, str(exc)) from None

    @router.get("/credentials/{id}")
    async def credential_state(id: str) -> dict[str, Any]:
        """A credential with the simulator's bookkeeping (failure count, last call)."""
        credential = fake.get_credential(id)
        last = credential.last_called_at
        return {
            "id": str(credential.id),
            "oauth_app": str(credential.oauth_app),
            "status": credential.status.value,
            "consecutive_failures": credential.consecutive_failures,
            "last_called_at": None if last is None else iso_timestamp(last),
            "calls": len(fake.calls(credential=credential.id)),
        }

    @router.get("/state")
    async def state() -> dict[str, Any]:
        """Counts, the poller's state and where the state lives."""
        return {
            "persistent": fake.store.persistent,
            "polling": fake.polling,
            "journal_calls": fake.journal.last_seq,
            "settings": fake.settings.public_view(),
        }

    return router
