"""Standard Webhooks signatures on Recall's GETs (SPEC §1.7), via the standardwebhooks library."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import UTC, datetime

from standardwebhooks import Webhook

__all__ = [
    "SIGNATURE_HINT",
    "SIGNATURE_TOLERANCE",
    "check_signing_secret",
    "signature_headers",
    "unsigned_refusal_hint",
]

# Standard Webhooks receivers reject timestamps further than this from their clock.
SIGNATURE_TOLERANCE = 300
# What probe and check say when an unsigned call was refused and no secret was given.
SIGNATURE_HINT = "the callback may require Recall's signature: pass --signing-secret"
_REFUSED = (401, 403)


def unsigned_refusal_hint(status: int | None, *, signed: bool) -> str | None:
    """`SIGNATURE_HINT` when an unsigned call got a 401 or 403, else None."""
    return SIGNATURE_HINT if not signed and status in _REFUSED else None


def check_signing_secret(secret: str) -> str:
    """Return ``secret`` if it is ``whsec_<base64>``; else raise ValueError saying what is wrong."""
    if not secret.startswith("whsec_"):
        raise ValueError("a signing secret starts with 'whsec_' followed by base64")
    payload = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the part after 'whsec_' is not valid base64") from None
    if len(key) < 16:
        raise ValueError(f"the key decodes to {len(key)} bytes; use at least 16 (24 is usual)")
    return secret


def signature_headers(
    secret: str, *, timestamp: float, msg_id: str | None = None
) -> dict[str, str]:
    """The ``webhook-id``/``-timestamp``/``-signature`` headers for a GET (empty payload)."""
    message_id = msg_id or f"msg_{uuid.uuid4().hex}"
    moment = datetime.fromtimestamp(int(timestamp), UTC)
    signature = Webhook(secret).sign(msg_id=message_id, timestamp=moment, data="")
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": signature,
    }
