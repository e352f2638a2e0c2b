"""Per-user callback secrets: made at random, stored only as a hash, compared in constant time.

The callback URL a user's Recall credential calls is
``<public base>/zoom/access-token?user-id=<Zoom user id>&auth_token=<secret>``
(SPEC 1.6: a per-user secret and the user id in the URL).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from urllib.parse import urlencode

__all__ = [
    "SECRET_PARAM",
    "USER_PARAM",
    "bot_token_url",
    "callback_url",
    "hash_secret",
    "new_secret",
    "secret_matches",
    "token_fingerprint",
]

USER_PARAM = "user-id"
SECRET_PARAM = "auth_token"
# Compared against when the user is unknown, so that an unknown user id costs the same
# work as a wrong secret and the answer does not reveal which users exist.
_DUMMY_HASH = hashlib.sha256(b"no such user").hexdigest()


def new_secret() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """SHA-256 of the secret's UTF-8 bytes, hex.

    A plain hash is enough: the secret is 256 random bits, so there is nothing to
    brute-force, and a stolen database does not reveal working URLs.
    """
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(presented: str, stored_hashes: Iterable[str | None]) -> bool:
    """True when ``presented`` hashes to one of ``stored_hashes``, compared in constant time."""
    digest = hash_secret(presented)
    matched = False
    candidates = [h for h in stored_hashes if h] or [_DUMMY_HASH]
    for stored in candidates:
        # No early exit: every candidate is compared, whatever the outcome.
        matched |= hmac.compare_digest(digest, stored)
    return matched


def callback_url(base: str, user_id: str, secret: str) -> str:
    """The URL to register with Recall for ``user_id``; it holds the secret, so never log it."""
    return f"{base}?{urlencode({USER_PARAM: user_id, SECRET_PARAM: secret})}"


def bot_token_url(
    base: str, path: str, user_id: str, secret: str, *, meeting_id: str | None = None
) -> str:
    """An OBF, ZAK or join-token URL (``path`` e.g. ``/zoom/obf-token``) for a bot of
    ``user_id``, with the same secret as their access-token URL; never log it."""
    query = {USER_PARAM: user_id, **({"meeting-id": meeting_id} if meeting_id else {})}
    return f"{base}{path}?{urlencode({**query, SECRET_PARAM: secret})}"


def token_fingerprint(value: str) -> str:
    """A short, stable, non-reversible name for a token or secret, safe to log."""
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]
