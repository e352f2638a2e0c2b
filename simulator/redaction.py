"""How secrets are shown: never whole unless the user asked with --show-secrets (SPEC §5)."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

__all__ = [
    "JWT_PATTERN",
    "MASK",
    "SECRET_NAME_HINTS",
    "fingerprint",
    "looks_like_secret_name",
    "mask_headers",
    "mask_url",
    "redact_text",
    "redact_token",
]

MASK = "***"

# Parameter names that carry a credential (SPEC §4, "which parts of the URL carry the credential").
SECRET_NAME_HINTS = (
    "token",
    "secret",
    "key",
    "auth",
    "sig",
    "signature",
    "pass",
    "pwd",
    "cred",
    "hmac",
    "hash",
    "otp",
    "apikey",
)

# A JWT or any fragment of one: base64url that starts like a JSON object ('{"' -> 'eyJ'),
# so a token cut short by truncation is still redacted.
JWT_PATTERN = re.compile(r"eyJ[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*){0,2}")

# Long random-looking path segments are treated as secrets when masking URLs.
_RANDOM_SEGMENT = re.compile(r"^[A-Za-z0-9_\-~.%+=]{24,}$")

_SECRET_HEADERS = frozenset({"authorization", "webhook-signature", "cookie", "x-api-key"})


def fingerprint(secret: str) -> str:
    """A short, stable SHA-256 fingerprint that identifies a secret without revealing it."""
    return "sha256:" + hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def redact_token(token: str, *, show: bool = False) -> str:
    """First 8 and last 4 characters plus a fingerprint; short tokens show only the fingerprint."""
    if show:
        return token
    if len(token) < 24:
        return f"<{len(token)} chars, {fingerprint(token)}>"
    return f"{token[:8]}…{token[-4:]} ({fingerprint(token)})"


def looks_like_secret_name(name: str) -> bool:
    lowered = name.lower().replace("-", "_")
    return any(hint in lowered for hint in SECRET_NAME_HINTS)


def _looks_random(segment: str) -> bool:
    if not _RANDOM_SEGMENT.match(segment):
        return False
    has_digit = any(c.isdigit() for c in segment)
    has_alpha = any(c.isalpha() for c in segment)
    return has_digit and has_alpha


def mask_url(
    url: str,
    *,
    secret_params: Iterable[str] = (),
    secret_path_segments: Iterable[int] = (),
    show: bool = False,
) -> str:
    """The URL with secret-bearing query values and path segments replaced by ``***``.

    Named parameters and segment indexes are always masked; beyond those, parameters
    whose names look like secrets and long random-looking path segments are masked too,
    so a URL is safe to print even when the user did not say where its secret is.
    """
    if show:
        return url
    if not secret_params and not secret_path_segments:
        return _mask_url_by_look(url)
    return _mask_url(url, secret_params, secret_path_segments)


@functools.lru_cache(maxsize=16_384)
def _mask_url_by_look(url: str) -> str:
    # The fake Recall masks the same few callback URLs on every call it journals.
    return _mask_url(url, (), ())


def _mask_url(url: str, secret_params: Iterable[str], secret_path_segments: Iterable[int]) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    named = {name.lower() for name in secret_params}
    query = [
        (k, MASK if (k.lower() in named or looks_like_secret_name(k)) and v else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    indexes = set(secret_path_segments)
    segments = parts.path.split("/")
    # Index 0 is the first segment after the leading slash.
    masked_segments = [
        seg if i == 0 else (MASK if (i - 1) in indexes or _looks_random(seg) else seg)
        for i, seg in enumerate(segments)
    ]
    netloc = parts.netloc
    if "@" in netloc:
        netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
    new_query = urlencode(query, safe="*", quote_via=quote)
    return urlunsplit((parts.scheme, netloc, "/".join(masked_segments), new_query, parts.fragment))


def redact_text(text: str, *, secrets: Iterable[str] = (), show: bool = False) -> str:
    """Replace every JWT and every given secret inside free text by its redacted form."""
    if show:
        return text
    for secret in sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True):
        text = text.replace(secret, redact_token(secret))
    return JWT_PATTERN.sub(lambda m: redact_token(m.group(0)), text)


def mask_headers(headers: Mapping[str, str], *, show: bool = False) -> dict[str, str]:
    """Headers with credentials and any embedded JWT redacted."""
    if show:
        return dict(headers)
    shown: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in _SECRET_HEADERS:
            shown[name] = redact_token(value)
        else:
            shown[name] = redact_text(value)
    return shown
