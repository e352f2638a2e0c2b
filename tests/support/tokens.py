"""Zoom-shaped tokens for tests, minted with the simulator's own layout."""

from __future__ import annotations

import base64
import json
import time

from recall_sim.simulator.zoom_jwt import ACCESS, mint_zoom_token

CLIENT_ID = "testClientId0123456789"
OTHER_CLIENT_ID = "otherClientId987654321"
USER_ID = "uSeR0123456789abcdefgh"
OTHER_USER_ID = "oThEr0123456789abcdefg"
ACCOUNT_ID = "aCcOuNt0123456789abcde"
SIGNING_KEY = "test-signing-key-" + "x" * 47


def zoom_token(
    *,
    validity: float = 3600,
    client_id: str = CLIENT_ID,
    user_id: str = USER_ID,
    token_type: int = ACCESS,
    now: float | None = None,
) -> str:
    """A token that expires ``validity`` seconds from ``now``."""
    moment = time.time() if now is None else now
    issued_at = int(moment)
    lifetime = round(validity + (moment - issued_at))
    return mint_zoom_token(
        signing_key=SIGNING_KEY,
        client_id=client_id,
        user_id=user_id,
        account_id=ACCOUNT_ID,
        issued_at=issued_at,
        lifetime=lifetime,
        token_type=token_type,
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_with_payload(payload: bytes, header: dict[str, str] | None = None) -> str:
    """A JWT-shaped string with an arbitrary (possibly broken) payload."""
    head = b64(json.dumps(header or {"alg": "HS512"}).encode())
    return f"{head}.{b64(payload)}.c2lnbmF0dXJl"
