"""Values of the token issuer: requests, issued grants, and the records it keeps per token."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from recall_sim.simulator.zoom.errors import OAuthError

__all__ = [
    "AccessContext",
    "AccessRecord",
    "AuthorizationCode",
    "Grant",
    "RefreshRecord",
    "TokenGrant",
    "TokenRequest",
    "TokenStatus",
    "check_pkce",
]


@dataclass(frozen=True)
class TokenRequest:
    """A parsed ``POST /oauth/token``: its parameters and raw ``Authorization`` header."""

    params: Mapping[str, str]
    authorization: str | None = None


@dataclass(frozen=True)
class TokenGrant:
    """Tokens issued by one successful token request (kept out of ``repr``, SPEC §5)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    scope: str
    client_id: str
    user_id: str
    account_id: str
    grant_id: str
    issued_at: int
    expires_at: int

    def response_body(self, *, api_url: str) -> dict[str, str | int]:
        """The JSON body Zoom answers a successful token request with."""
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "refresh_token": self.refresh_token,
            "expires_in": self.expires_in,
            "scope": self.scope,
            "api_url": api_url,
        }


@dataclass(frozen=True)
class AccessContext:
    """Whom a valid access token speaks for."""

    client_id: str
    user_id: str
    account_id: str
    grant_id: str
    expires_at: int
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenStatus:
    """Whether Zoom's API would accept an access token, and whose it is (never the token).

    ``issued_here`` is False when this fake Zoom did not sign the token at all (another
    Zoom's, or forged); ``reason`` says why a token is not live (None when it is).
    """

    live: bool
    client_id: str | None
    user_id: str | None
    reason: str | None
    issued_here: bool = True
    expired: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "live": self.live,
            "client_id": self.client_id,
            "user_id": self.user_id,
            "reason": self.reason,
            "issued_here": self.issued_here,
        }


@dataclass(frozen=True)
class AuthorizationCode:
    client_id: str
    user_id: str
    account_id: str
    redirect_uri: str
    expires_at: float
    code_challenge: str | None
    code_challenge_method: str | None


@dataclass(frozen=True)
class Grant:
    id: str
    client_id: str
    user_id: str
    account_id: str
    scope: str
    revoked: bool = False
    # Why it was revoked: "revoked" (POST /oauth/revoke), "deauthorized" (the user removed
    # the app), "refresh token reuse".
    revoked_by: str | None = None
    # Access tokens minted before this generation are revoked (revoke-on-refresh setting).
    min_generation: int = 0
    generation: int = 0


@dataclass(frozen=True)
class AccessRecord:
    grant_id: str
    generation: int
    expires_at: int


@dataclass(frozen=True)
class RefreshRecord:
    grant_id: str
    expires_at: int
    spent_at: float | None = None


def check_pkce(record: AuthorizationCode, verifier: str | None) -> None:
    """RFC 7636: a code issued with a challenge needs the matching verifier."""
    if record.code_challenge is None:
        return
    if not verifier:
        raise OAuthError.invalid_request("Missing code_verifier.")
    if record.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        computed = verifier
    if not hmac.compare_digest(computed.encode(), record.code_challenge.encode()):
        raise OAuthError.invalid_grant("Invalid code_verifier.")
