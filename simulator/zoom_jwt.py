"""Zoom's token layout (SPEC §2): minting for the fakes, unverified decoding for the judge."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

__all__ = [
    "ACCESS",
    "REFRESH",
    "ZOOM_AUDIENCE",
    "TokenDecodeError",
    "ZoomClaims",
    "decode_zoom_token",
    "issuer_for",
    "mint_zoom_token",
    "random_zoom_id",
]

ZOOM_AUDIENCE = "https://oauth.zoom.us"
ACCESS = 0
REFRESH = 1
MAX_TOKEN_CHARS = 16_384

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


def random_zoom_id() -> str:
    """A 22-character id shaped like Zoom's user and account ids."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


def issuer_for(client_id: str) -> str:
    return f"zm:cid:{client_id}"


def mint_zoom_token(
    *,
    signing_key: str,
    client_id: str,
    user_id: str,
    account_id: str,
    issued_at: int,
    lifetime: int,
    token_type: int = ACCESS,
    grant_id: str | None = None,
) -> str:
    """An HS512 JWT with Zoom's header and claims, in Zoom's claim order."""
    claims: dict[str, Any] = {
        "aud": ZOOM_AUDIENCE,
        "uid": user_id,
        "ver": 10,
        "auid": grant_id or secrets.token_hex(32),
        "nbf": issued_at,
        "code": secrets.token_urlsafe(25)[:33],
        "iss": issuer_for(client_id),
        "gno": 0,
        "exp": issued_at + lifetime,
        "type": token_type,
        "iat": issued_at,
        "aid": account_id,
    }
    header = {"sv": "000002", "v": "2.0", "kid": str(uuid.uuid4())}
    token = jwt.encode(claims, signing_key, algorithm="HS512", headers=header, sort_headers=False)
    return _drop_typ(token)


def _drop_typ(token: str) -> str:
    """PyJWT always writes "typ"; Zoom's header has none, so rebuild it."""
    head, rest = token.split(".", 1)
    header = json.loads(_b64decode(head))
    header.pop("typ", None)
    ordered = {"sv": header["sv"], "alg": header["alg"], "v": header["v"], "kid": header["kid"]}
    raw = json.dumps(ordered, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + rest


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class TokenDecodeError(ValueError):
    """The text is not a decodable Zoom-style JWT; the message says why in a person's words."""


@dataclass(frozen=True)
class ZoomClaims:
    """The claims the contract cares about, with the raw claims kept for evidence."""

    header: dict[str, Any]
    claims: dict[str, Any]

    @property
    def exp(self) -> float:
        return float(self.claims["exp"])

    @property
    def issuer(self) -> str | None:
        iss = self.claims.get("iss")
        return iss if isinstance(iss, str) else None

    @property
    def user_id(self) -> str | None:
        uid = self.claims.get("uid")
        return uid if isinstance(uid, str) else None

    @property
    def account_id(self) -> str | None:
        aid = self.claims.get("aid")
        return aid if isinstance(aid, str) else None

    @property
    def token_type(self) -> object:
        return self.claims.get("type")

    @property
    def is_refresh_token(self) -> bool:
        return self.token_type == REFRESH


def decode_zoom_token(token: str) -> ZoomClaims:
    """Decode without verifying the signature (only Zoom holds the key); raise TokenDecodeError.

    ``exp`` must be a number, since every later rule measures validity from it.
    """
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenDecodeError(f"token is {len(token)} characters; a Zoom token is about 630")
    if token.count(".") != 2:
        raise TokenDecodeError(
            f"not a JWT: expected three dot-separated parts, found {token.count('.') + 1}"
        )
    try:
        # One parse for header and claims (get_unverified_header would parse again).
        decoded = jwt.api_jwt.decode_complete(
            token,
            options={
                "verify_signature": False,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
            },
            algorithms=["HS512", "HS256", "HS384", "RS256", "ES256", "none"],
        )
    except jwt.DecodeError as exc:
        raise TokenDecodeError(f"not a decodable JWT: {_reason(exc)}") from None
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise TokenDecodeError(f"not a decodable JWT: {exc}") from None
    header, claims = decoded["header"], decoded["payload"]
    if not isinstance(claims, dict):
        raise TokenDecodeError("JWT payload is not a JSON object")
    if "exp" not in claims:
        raise TokenDecodeError("JWT has no 'exp' claim, so its validity cannot be known")
    exp = claims["exp"]
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        raise TokenDecodeError(f"JWT 'exp' claim is {type(exp).__name__} {exp!r}, not a number")
    return ZoomClaims(header=dict(header), claims=dict(claims))


def _reason(exc: jwt.DecodeError) -> str:
    text = str(exc)
    return text[:200] if text else type(exc).__name__
