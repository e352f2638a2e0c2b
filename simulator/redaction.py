"""How secrets are shown: never whole unless the user asked with --show-secrets (SPEC §5)."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, unquote_plus, urlsplit

__all__ = [
    "JWT_PATTERN",
    "MASK",
    "NO_NAMED_SECRETS",
    "SECRET_NAME_HINTS",
    "MaskedPart",
    "MaskedUrl",
    "SecretPolicy",
    "fingerprint",
    "looks_like_secret_name",
    "mask_headers",
    "mask_url",
    "redact_text",
    "redact_token",
    "split_secrets",
    "url_values",
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

# The scheme and the authority ("https://user:pass@host:port"): what comes before the path.
_HEAD = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/]*)?")

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


@dataclass(frozen=True)
class SecretPolicy:
    """Where the user said a URL's credential is: the ``--secret-param NAME`` names and the
    ``--secret-path-segment INDEX`` indexes (0 = first segment, -1 = last).

    They add to the name heuristic, never replace it: naming one part must not unmask
    another that looks like a secret.
    """

    params: tuple[str, ...] = ()
    path_segments: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for name in self.params:
            if not isinstance(name, str) or not name:
                raise ValueError(f"a secret parameter is a non-empty name, got {name!r}")
        for index in self.path_segments:
            if isinstance(index, bool) or not isinstance(index, int):
                raise ValueError(f"a secret path segment is an index, got {index!r}")

    def mask_url(self, url: str, *, show: bool = False) -> str:
        """``url`` as given, with every secret-bearing value replaced by ``***``."""
        return url if show else _masked(url, self)

    def values(self, url: str) -> tuple[str, ...]:
        """The secret values in ``url``, as written and decoded: what free text must not show."""
        return split_secrets(url, self).values()


# The heuristic alone: what every output uses when the user named nothing.
NO_NAMED_SECRETS = SecretPolicy()

PartKind = Literal["userinfo", "path", "matrix", "query", "fragment"]


@dataclass(frozen=True)
class MaskedPart:
    """One secret-bearing value of a URL, where it is, and (never in a repr) what it is.

    ``name`` is the parameter's decoded name, empty for a whole path segment, a query
    item without ``=`` or the userinfo; ``position`` is the path segment's index (path,
    matrix) or the item's index in the query or fragment.
    """

    kind: PartKind
    name: str
    position: int
    raw_value: str = field(repr=False)

    @property
    def label(self) -> str:
        if self.kind == "userinfo":
            return "the URL's user info (user:password before @)"
        if self.kind == "path":
            return f"path segment {self.position}"
        if self.kind == "matrix":
            return f"the ;{self.name} value in path segment {self.position}"
        where = "query" if self.kind == "query" else "fragment"
        if not self.name:
            return f"{where} item {self.position} (a value without a name)"
        return f"the {self.name} value" + ("" if self.kind == "query" else " in the fragment")


@dataclass(frozen=True)
class MaskedUrl:
    """A URL cut into its literal text and its secret values, in order: joined with the
    values it is the URL exactly as given; joined with ``***`` it is safe to print."""

    pieces: tuple[str | MaskedPart, ...]

    @property
    def parts(self) -> tuple[MaskedPart, ...]:
        return tuple(p for p in self.pieces if isinstance(p, MaskedPart))

    def masked(self) -> str:
        return "".join(MASK if isinstance(p, MaskedPart) else p for p in self.pieces)

    def values(self) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for part in self.parts:
            raw = part.raw_value
            found.update(dict.fromkeys((raw, unquote(raw), unquote_plus(raw))))
        return tuple(found)


def mask_url(
    url: str,
    *,
    secret_params: Iterable[str] = (),
    secret_path_segments: Iterable[int] = (),
    show: bool = False,
) -> str:
    """The URL exactly as given, but with its secret-bearing values replaced by ``***``.

    Named parameters and segment indexes are always masked; beyond those, parameters
    whose names look like secrets and long random-looking path segments are masked too,
    so a URL is safe to print even when the user did not say where its secret is.
    """
    if show:
        return url
    return _masked(url, SecretPolicy(tuple(secret_params), tuple(secret_path_segments)))


def _masked(url: str, policy: SecretPolicy) -> str:
    try:
        urlsplit(url)
    except ValueError:  # a URL no parser agrees on cannot be shown safely in parts
        return MASK
    return split_secrets(url, policy).masked()


@functools.lru_cache(maxsize=16_384)
def split_secrets(url: str, policy: SecretPolicy = NO_NAMED_SECRETS) -> MaskedUrl:
    """``url`` cut into literal text and secret values, never decoded and re-encoded.

    The query string and the fragment are ``&``-separated items; a ``;`` also separates
    parameters inside a path segment (matrix parameters) and, for servers that split on
    it, inside a query value. A value is secret when its parameter is named by ``policy``
    or looks like a secret by name, its path segment is named, or it looks random (a
    long mix of letters and digits) where no name says what it is. Cached: the fake
    Recall masks the same few callback URLs on every call it journals.
    """
    named = frozenset(name.lower() for name in policy.params)
    pieces = _Pieces()
    rest, hash_mark, fragment = url.partition("#")
    before, question_mark, query = rest.partition("?")
    head = _HEAD.match(before)
    head_text = head.group(0) if head else ""
    _add_head(pieces, head_text)
    _add_path(pieces, before[len(head_text) :], policy.path_segments, named)
    if question_mark:
        pieces.add("?")
        _add_items(pieces, query, "query", named)
    if hash_mark:
        pieces.add("#")
        _add_items(pieces, fragment, "fragment", named)
    return MaskedUrl(pieces.done())


class _Pieces:
    """Literal text and secret parts in order, adjacent text merged."""

    def __init__(self) -> None:
        self._pieces: list[str | MaskedPart] = []

    def add(self, piece: str | MaskedPart) -> None:
        if isinstance(piece, str) and self._pieces and isinstance(self._pieces[-1], str):
            self._pieces[-1] += piece
        elif piece != "":
            self._pieces.append(piece)

    def done(self) -> tuple[str | MaskedPart, ...]:
        return tuple(self._pieces)


def _add_head(pieces: _Pieces, head: str) -> None:
    authority_at = head.find("//") + 2
    userinfo, at, host = head[authority_at:].rpartition("@")
    if authority_at < 2 or not at or not userinfo:
        pieces.add(head)
        return
    pieces.add(head[:authority_at])
    pieces.add(MaskedPart("userinfo", "", 0, userinfo))
    pieces.add("@" + host)


def _add_path(pieces: _Pieces, path: str, indexes: tuple[int, ...], named: frozenset[str]) -> None:
    if not path.startswith("/"):
        pieces.add(path)
        return
    segments = path[1:].split("/")
    count = len(segments)
    # Index 0 is the first segment after the leading slash; -1 the last, as in `check`.
    chosen = {index % count for index in indexes if -count <= index < count}
    for position, segment in enumerate(segments):
        pieces.add("/")
        if position in chosen and segment:
            pieces.add(MaskedPart("path", "", position, segment))
            continue
        first, *matrix = segment.split(";")
        pieces.add(MaskedPart("path", "", position, first) if _looks_random(first) else first)
        for parameter in matrix:
            pieces.add(";")
            _add_item(pieces, parameter, "matrix", position, named, split_values=False)


def _add_items(pieces: _Pieces, text: str, kind: PartKind, named: frozenset[str]) -> None:
    for position, item in enumerate(text.split("&")):
        if position:
            pieces.add("&")
        _add_item(pieces, item, kind, position, named, split_values=True)


def _add_item(
    pieces: _Pieces,
    item: str,
    kind: PartKind,
    position: int,
    named: frozenset[str],
    *,
    split_values: bool,
) -> None:
    name, equals, value = item.partition("=")
    if not equals:
        # A bare item ("?s3cr3t") is a value without a name: secret when named or random.
        secret = bool(item) and (_name_is_named(item, named) or _looks_random(item))
        pieces.add(MaskedPart(kind, "", position, item) if secret else item)
        return
    pieces.add(name + "=")
    if value and (_name_is_named(name, named) or looks_like_secret_name(unquote_plus(name))):
        # The whole value, ';' and all: a server that does not split on ';' reads it so.
        pieces.add(MaskedPart(kind, unquote_plus(name), position, value))
        return
    first, *more = value.split(";") if split_values else (value,)
    pieces.add(first)
    for parameter in more:
        pieces.add(";")
        _add_item(pieces, parameter, kind, position, named, split_values=False)


def _name_is_named(raw_name: str, named: frozenset[str]) -> bool:
    return bool(named) and (
        unquote_plus(raw_name).lower() in named or unquote(raw_name).lower() in named
    )


def url_values(url: str) -> tuple[str, ...]:
    """Every value a URL carries (path segments, query and matrix values, user info), raw
    and decoded: what a server that echoes the request could send back."""
    try:
        parts = urlsplit(url)
        userinfo = (parts.username or "", parts.password or "")
    except ValueError:
        return ()
    pieces = [*parts.path.split("/"), *userinfo]
    for item in re.split("[&;]", f"{parts.query};{parts.path}"):
        pieces.append(item.partition("=")[2] or item)
    return tuple({form for piece in pieces if piece for form in (piece, unquote_plus(piece))})


def redact_text(text: str, *, secrets: Iterable[str] = (), show: bool = False) -> str:
    """Replace every JWT and every given secret inside free text by its redacted form."""
    if show:
        return text
    for secret in sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True):
        text = text.replace(secret, redact_token(secret))
    return JWT_PATTERN.sub(lambda m: redact_token(m.group(0)), text)


def mask_headers(headers: Mapping[str, str], *, show: bool = False) -> dict[str, str]:
    """Headers with credentials and any embedded JWT redacted (an empty value hides nothing)."""
    if show:
        return dict(headers)
    shown: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in _SECRET_HEADERS and value:
            shown[name] = redact_token(value)
        else:
            shown[name] = redact_text(value)
    return shown
