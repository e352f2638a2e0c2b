"""The parts of a callback URL that carry its credential, and URLs with those parts changed.

Query strings are edited raw (never decoded and re-encoded), so a mutation's exact
bytes reach the server and every other parameter stays exactly as registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from recall_sim.simulator.redaction import looks_like_secret_name

__all__ = ["SecretPart", "UrlParts"]


@dataclass(frozen=True)
class SecretPart:
    """One secret-bearing query parameter or path segment, and why it was chosen."""

    kind: Literal["query", "path"]
    key: str | int  # the parameter name, or the path segment index (0 = first segment)
    raw_value: str = field(repr=False)  # a secret: never in a repr
    reason: str = ""
    # A query item without '=' (``?s3cr3t``): its name is the secret, so never shown.
    bare_position: int | None = None

    @property
    def value(self) -> str:
        return unquote(self.raw_value)

    @property
    def label(self) -> str:
        if self.kind == "path":
            return f"path segment {self.key}"
        if self.bare_position is not None:
            return f"query item {self.bare_position} (a bare value, no '=')"
        return f'query parameter "{self.key}"'


@dataclass(frozen=True)
class UrlParts:
    """A URL split into raw query pairs and path segments, rebuilt on demand."""

    scheme: str
    netloc: str
    segments: tuple[str, ...]
    query: tuple[tuple[str, str | None], ...]  # raw name, raw value (None: no '=')
    fragment: str

    @classmethod
    def parse(cls, url: str) -> UrlParts:
        parts = urlsplit(url)
        pairs: list[tuple[str, str | None]] = []
        for item in parts.query.split("&") if parts.query else []:
            name, eq, value = item.partition("=")
            pairs.append((name, value if eq else None))
        segments = tuple(parts.path.split("/")[1:]) if parts.path else ()
        return cls(parts.scheme, parts.netloc, segments, tuple(pairs), parts.fragment)

    def url(self) -> str:
        path = "/" + "/".join(self.segments) if self.segments else ""
        query = "&".join(name if value is None else f"{name}={value}" for name, value in self.query)
        return urlunsplit((self.scheme, self.netloc, path, query, self.fragment))

    def query_names(self) -> list[str]:
        return list(dict.fromkeys(unquote(name) for name, _ in self.query))

    def raw_query_value(self, name: str) -> str | None:
        return next((v or "" for n, v in self.query if unquote(n) == name), None)

    def with_query_values(self, name: str, raw_values: tuple[str, ...]) -> UrlParts:
        """The parameter ``name`` replaced by one occurrence per value (none: dropped)."""
        kept: list[tuple[str, str | None]] = []
        inserted = False
        for n, v in self.query:
            if unquote(n) != name:
                kept.append((n, v))
            elif not inserted:
                kept += [(n, raw) for raw in raw_values]
                inserted = True
        return replace(self, query=tuple(kept))

    def with_segment(self, index: int, raw_value: str | None) -> UrlParts:
        """Path segment ``index`` replaced (``None``: removed)."""
        segments = list(self.segments)
        if raw_value is None:
            del segments[index]
        else:
            segments[index] = raw_value
        return replace(self, segments=tuple(segments))

    def without_query(self) -> UrlParts:
        return replace(self, query=())

    def with_part(self, part: SecretPart, raw_values: tuple[str, ...]) -> str:
        """The URL with ``part`` set to the given raw values (none: removed)."""
        if part.kind == "query":
            return self.with_query_values(str(part.key), raw_values).url()
        value = raw_values[0] if raw_values else None
        return self.with_segment(int(part.key), value).url()

    def named_parts(
        self, secret_params: tuple[str, ...], secret_path_segment: int | None
    ) -> list[SecretPart]:
        """Parts named by --secret-param / --secret-path-segment, else secret-looking names."""
        parts: list[SecretPart] = []
        for name in secret_params:
            raw = self.raw_query_value(name)
            if raw is not None:
                parts.append(SecretPart("query", name, raw, "named by --secret-param"))
        if secret_path_segment is not None:
            index = self.segment_index(secret_path_segment)
            if index is not None:
                parts.append(
                    SecretPart(
                        "path", index, self.segments[index], "named by --secret-path-segment"
                    )
                )
        if parts or secret_params or secret_path_segment is not None:
            return parts
        return [
            SecretPart(
                "query", name, self.raw_query_value(name) or "", "its name looks like a secret"
            )
            for name in self.query_names()
            if looks_like_secret_name(name) and self.raw_query_value(name)
        ]

    def segment_index(self, index: int) -> int | None:
        """``index`` as a position from the start (negative: from the end); None if absent."""
        count = len(self.segments)
        return index % count if count and -count <= index < count else None

    def candidate_parts(self) -> list[SecretPart]:
        """Every query parameter and non-empty path segment, for the drop-one-and-see search."""
        bare = {unquote(n): i for i, (n, v) in enumerate(self.query, start=1) if v is None}
        parts = [
            SecretPart(
                "query",
                name,
                self.raw_query_value(name) or "",
                "needed for a token",
                bare_position=bare.get(name),
            )
            for name in self.query_names()
        ]
        parts += [
            SecretPart("path", i, seg, "needed for a token")
            for i, seg in enumerate(self.segments)
            if seg
        ]
        return parts
