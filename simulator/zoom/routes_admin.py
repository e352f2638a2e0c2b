"""HTTP adapter for the fake Zoom's test controls (mounted under ``/_sim/zoom``).

Each endpoint mirrors a `FakeZoom` method, so a test in any language can do what a
Python test does: register apps and users, change lifetimes, inject faults, read the
journal, reset.
"""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from recall_sim.simulator.zoom.directory import DEFAULT_SCOPES, ZoomApp, ZoomMeeting, ZoomUser
from recall_sim.simulator.zoom.fake import FakeZoom
from recall_sim.simulator.zoom.journal import EventKind, Outcome

__all__ = ["app_json", "build_admin_router", "user_json"]


class _AppIn(BaseModel):
    client_id: str | None = Field(default=None, max_length=64)
    client_secret: str | None = Field(default=None, max_length=200)
    name: str = Field(default="recall-sim app", max_length=200)
    redirect_uris: list[str] = Field(default_factory=list, max_length=50)
    scopes: list[str] = Field(default_factory=lambda: list(DEFAULT_SCOPES), max_length=100)


class _UserIn(BaseModel):
    id: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=64)
    first_name: str = Field(default="Test", max_length=100)
    last_name: str = Field(default="User", max_length=100)
    type: int = Field(default=2, ge=1, le=3)


class _SettingsIn(BaseModel):
    access_token_lifetime: int | None = None
    refresh_token_lifetime: int | None = None
    code_lifetime: int | None = None
    revoke_access_token_on_refresh: bool | None = None
    revoke_grant_on_refresh_token_reuse: bool | None = None
    auto_create_users: bool | None = None
    consenting_user: str | None = None
    api_url: str | None = None


class _FaultIn(BaseModel):
    kind: str
    count: int = 1
    probability: float = Field(default=1.0, allow_inf_nan=False)
    seed: int | None = None
    seconds: float = Field(default=1.0, allow_inf_nan=False)
    retry_after: int = 1
    endpoint: str = "token"


class _DeauthorizeIn(BaseModel):
    client_id: str | None = None


class _MeetingIn(BaseModel):
    topic: str = Field(default="Test meeting", max_length=200)
    start_time: float | None = Field(default=None, allow_inf_nan=False)
    duration_minutes: int = Field(default=30, ge=1, le=24 * 60)


class _InspectIn(BaseModel):
    token: str = Field(max_length=8192)


class _TokensIn(BaseModel):
    user_id: str | None = None
    client_id: str | None = None


def app_json(app: ZoomApp) -> dict[str, Any]:
    """An app as JSON; the secret is included, it is the fake's own test credential."""
    return {
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "name": app.name,
        "redirect_uris": list(app.redirect_uris),
        "scopes": list(app.scopes),
    }


def user_json(user: ZoomUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "account_id": user.account_id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "type": user.user_type,
    }


def _meeting_json(meeting: ZoomMeeting) -> dict[str, Any]:
    return asdict(meeting)


def _choices(values: type[StrEnum]) -> str:
    return ", ".join(v.value for v in values)


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


def build_admin_router(zoom: FakeZoom) -> APIRouter:
    """The controls of ``zoom``, relative to the control prefix (``/_sim/zoom`` in the app)."""
    router = APIRouter(tags=["zoom controls"])

    @router.get("")
    def overview() -> dict[str, Any]:
        return {
            "now": zoom.clock.now(),
            "settings": asdict(zoom.settings),
            "default_app": app_json(zoom.default_app),
            "default_user": user_json(zoom.default_user),
            "faults": [f.to_json() for f in zoom.faults()],
            "journal_seq": zoom.journal_seq,
        }

    @router.post("/reset")
    def reset() -> dict[str, str]:
        zoom.reset()
        return {"status": "reset"}

    @router.get("/settings")
    def read_settings() -> dict[str, Any]:
        return asdict(zoom.settings)

    @router.patch("/settings", response_model=None)
    def change_settings(body: _SettingsIn) -> dict[str, Any] | JSONResponse:
        # Only fields present in the request change; an explicit null clears a nullable one.
        given = body.model_dump(include=body.model_fields_set)
        try:
            return asdict(zoom.configure(**given))
        except (TypeError, ValueError) as exc:
            return _bad(str(exc))

    @router.get("/apps")
    def list_apps() -> list[dict[str, Any]]:
        return [app_json(a) for a in zoom.apps()]

    @router.post("/apps", status_code=201, response_model=None)
    def create_app(body: _AppIn) -> dict[str, Any] | JSONResponse:
        try:
            app = zoom.register_app(
                client_id=body.client_id,
                client_secret=body.client_secret,
                name=body.name,
                redirect_uris=tuple(body.redirect_uris),
                scopes=tuple(body.scopes),
            )
        except ValueError as exc:
            return _bad(str(exc))
        return app_json(app)

    @router.get("/users")
    def list_users() -> list[dict[str, Any]]:
        return [user_json(u) for u in zoom.users()]

    @router.post("/users", status_code=201, response_model=None)
    def create_user(body: _UserIn) -> dict[str, Any] | JSONResponse:
        try:
            user = zoom.register_user(
                user_id=body.id,
                email=body.email,
                account_id=body.account_id,
                first_name=body.first_name,
                last_name=body.last_name,
                user_type=body.type,
            )
        except ValueError as exc:
            return _bad(str(exc))
        return user_json(user)

    @router.post("/users/{user_id}/deauthorize", response_model=None)
    def deauthorize(
        user_id: str, body: _DeauthorizeIn | None = None
    ) -> dict[str, Any] | JSONResponse:
        user = zoom.user(user_id)
        if user is None:
            return _bad(f"no user with id or email {user_id!r}", 404)
        client_id = body.client_id if body is not None else None
        return {"revoked_grants": zoom.deauthorize_user(user.id, client_id=client_id)}

    @router.post("/users/{user_id}/restore", response_model=None)
    def restore(user_id: str, body: _DeauthorizeIn | None = None) -> dict[str, Any] | JSONResponse:
        """Undo a deauthorization, as if the user reconnected the app."""
        user = zoom.user(user_id)
        if user is None:
            return _bad(f"no user with id or email {user_id!r}", 404)
        client_id = body.client_id if body is not None else None
        return {"restored_grants": zoom.restore_user(user.id, client_id=client_id)}

    @router.post("/users/{user_id}/meetings", status_code=201, response_model=None)
    def add_meeting(user_id: str, body: _MeetingIn | None = None) -> dict[str, Any] | JSONResponse:
        body = body or _MeetingIn()
        user = zoom.user(user_id)
        if user is None:
            return _bad(f"no user with id or email {user_id!r}", 404)
        try:
            meeting = zoom.add_meeting(
                user.id,
                topic=body.topic,
                start_time=body.start_time,
                duration_minutes=body.duration_minutes,
            )
        except ValueError as exc:
            return _bad(str(exc), 404)
        return _meeting_json(meeting)

    @router.post("/tokens", response_model=None)
    def issue_tokens(body: _TokensIn | None = None) -> dict[str, Any] | JSONResponse:
        body = body or _TokensIn()
        try:
            grant = zoom.issue_tokens(user_id=body.user_id, client_id=body.client_id)
        except ValueError as exc:
            return _bad(str(exc), 404)
        return {
            "access_token": grant.access_token,
            "token_type": "bearer",
            "refresh_token": grant.refresh_token,
            "expires_in": grant.expires_in,
            "scope": grant.scope,
            "user_id": grant.user_id,
            "account_id": grant.account_id,
            "client_id": grant.client_id,
        }

    @router.post("/tokens/inspect")
    def inspect_token(body: _InspectIn) -> dict[str, Any]:
        """Whether the REST API would accept the token, whose it is, and why not; the token
        itself is never echoed."""
        return zoom.token_status(body.token).to_json()

    @router.post("/tokens/minted/inspect")
    def inspect_minted(body: _InspectIn) -> dict[str, Any]:
        """What the fake Zoom minted an OBF token, ZAK or join token as, measured on its own
        clock (``age_s``, ``remaining_s``); ``{"minted": false}`` for a token it never
        minted. The token itself is never echoed, only its fingerprint."""
        record = zoom.minted_token(body.token)
        if record is None:
            return {"minted": False}
        now = zoom.clock.now()
        return {
            "minted": True,
            **record.to_json(),
            "age_s": round(now - record.minted_at, 3),
            "remaining_s": round(record.expires_at - now, 3),
        }

    @router.get("/faults")
    def list_faults() -> list[dict[str, Any]]:
        return [f.to_json() for f in zoom.faults()]

    @router.post("/faults", status_code=201, response_model=None)
    def inject_fault(body: _FaultIn) -> dict[str, Any] | JSONResponse:
        try:
            status = zoom.inject_fault(
                body.kind,
                count=body.count,
                probability=body.probability,
                seed=body.seed,
                seconds=body.seconds,
                retry_after=body.retry_after,
                endpoint=body.endpoint,
            )
        except ValueError as exc:
            return _bad(str(exc))
        return status.to_json()

    @router.delete("/faults")
    def clear_faults() -> dict[str, str]:
        zoom.clear_faults()
        return {"status": "cleared"}

    @router.get("/journal", response_model=None)
    def journal(
        kind: str | None = None,
        outcome: str | None = None,
        user_id: str | None = None,
        client_id: str | None = None,
        grant_id: str | None = None,
        since: int | None = Query(default=None, ge=0),
    ) -> dict[str, Any] | JSONResponse:
        if kind is not None and kind not in {k.value for k in EventKind}:
            return _bad(f"unknown kind {kind!r}; expected one of {_choices(EventKind)}")
        if outcome is not None and outcome not in {o.value for o in Outcome}:
            return _bad(f"unknown outcome {outcome!r}; expected one of {_choices(Outcome)}")
        events = zoom.journal(
            kind=kind,
            outcome=outcome,
            user_id=user_id,
            client_id=client_id,
            grant_id=grant_id,
            since=since,
        )
        return {"last_seq": zoom.journal_seq, "events": [e.to_json() for e in events]}

    @router.get("/journal/refresh-token-reuses")
    def refresh_token_reuses(
        user_id: str | None = None, since: int | None = Query(default=None, ge=0)
    ) -> dict[str, Any]:
        events = zoom.refresh_token_reuses(user_id=user_id, since=since)
        return {"count": len(events), "events": [e.to_json() for e in events]}

    return router
