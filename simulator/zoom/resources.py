"""The REST API's resources (users, meetings, ZAK and join tokens) as Zoom-shaped JSON."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import jwt

from recall_sim.simulator.zoom.directory import ZoomMeeting, ZoomUser

__all__ = [
    "LOCAL_RECORDING_TOKEN_LIFETIME",
    "USER_TOKEN_TYPES",
    "local_recording_token",
    "meeting_list",
    "user_profile",
    "user_token",
]

LOCAL_RECORDING_TOKEN_LIFETIME = 120
USER_TOKEN_TYPES = ("zak", "onbehalf", "token")


def _iso(instant: float) -> str:
    return datetime.fromtimestamp(instant, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_profile(user: ZoomUser, *, now: float) -> dict[str, Any]:
    """``GET /v2/users/me``."""
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": f"{user.first_name} {user.last_name}",
        "email": user.email,
        "type": user.user_type,
        "role_name": "Owner",
        "pmi": user.pmi,
        "use_pmi": False,
        "personal_meeting_url": f"https://zoom.us/j/{user.pmi}",
        "timezone": "UTC",
        "verified": 1,
        "dept": "",
        "created_at": _iso(user.created_at),
        "user_created_at": _iso(user.created_at),
        "last_login_time": _iso(now),
        "pic_url": "",
        "language": "en-US",
        "phone_number": "",
        "status": "active",
        "role_id": "0",
        "account_id": user.account_id,
        "account_number": user.pmi % 100_000_000,
        "cluster": "us05",
        "group_ids": [],
        "im_group_ids": [],
        "jid": f"{user.id.lower()}@xmpp.zoom.us",
        "login_types": [100],
    }


def meeting_list(meetings: list[ZoomMeeting]) -> dict[str, Any]:
    """``GET /v2/users/me/meetings`` (one page holds them all)."""
    return {
        "page_size": 30,
        "total_records": len(meetings),
        "next_page_token": "",
        "meetings": [
            {
                "uuid": m.uuid,
                "id": m.id,
                "host_id": m.host_id,
                "topic": m.topic,
                "type": 2,
                "start_time": _iso(m.start_time),
                "duration": m.duration_minutes,
                "timezone": "UTC",
                "created_at": _iso(m.created_at),
                "join_url": f"https://zoom.us/j/{m.id}",
            }
            for m in meetings
        ],
    }


def _signed(claims: dict[str, Any], signing_key: str) -> str:
    # Zoom's ZAK and join tokens are JWTs too; clients pass them on without reading them.
    return jwt.encode(claims, signing_key, algorithm="HS256")


def user_token(
    token_type: str, *, user: ZoomUser, now: float, lifetime: int, signing_key: str
) -> str:
    """The token of ``GET /v2/users/{id}/token?type=...`` and ``/v2/users/me/zak``."""
    claims = {
        "aud": "clientsm",
        "uid": user.id,
        "aid": user.account_id,
        "iss": "web",
        "sty": 100 if token_type == "zak" else 1,  # noqa: S105 (a type name)
        "typ": token_type,
        "iat": int(now),
        "exp": int(now) + lifetime,
        "nonce": secrets.token_hex(8),
    }
    return _signed(claims, signing_key)


def local_recording_token(
    meeting_id: str, *, user: ZoomUser, now: float, signing_key: str
) -> dict[str, Any]:
    """``GET /v2/meetings/{id}/jointoken/local_recording`` (the meeting is known to exist)."""
    claims = {
        "mid": meeting_id,
        "uid": user.id,
        "aid": user.account_id,
        "purpose": "local_recording",
        "iat": int(now),
        "exp": int(now) + LOCAL_RECORDING_TOKEN_LIFETIME,
        "nonce": secrets.token_hex(8),
    }
    token = _signed(claims, signing_key)
    return {"expire_in": LOCAL_RECORDING_TOKEN_LIFETIME, "token": token}
