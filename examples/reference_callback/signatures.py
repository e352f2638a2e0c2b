"""Verification of Recall's Standard Webhooks signature on the callback's GETs (SPEC 1.7).

With a verification secret configured, every call from Recall carries ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature``; the signed content is
``"{id}.{timestamp}."`` (a GET has an empty payload). The standardwebhooks library
checks the HMAC in constant time and rejects timestamps more than 5 minutes away
from this machine's clock, which stops replays of a captured request.
"""

from __future__ import annotations

from collections.abc import Mapping

from standardwebhooks import Webhook, WebhookVerificationError

__all__ = ["SignatureVerifier"]

_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class SignatureVerifier:
    """``verify(headers)`` is True only for a valid, fresh signature over an empty payload."""

    def __init__(self, secret: str) -> None:
        self._webhook = Webhook(secret)

    def verify(self, headers: Mapping[str, str]) -> bool:
        picked = {name: headers.get(name, "") for name in _HEADERS}
        if not all(picked.values()):
            return False
        try:
            self._webhook.verify(b"", picked, json_parse=False)
        except (WebhookVerificationError, ValueError, TypeError):
            # ValueError covers malformed headers the library does not wrap itself
            # (an empty or comma-less signature, bad base64, a non-numeric timestamp).
            return False
        return True
