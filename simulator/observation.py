"""What one call to a callback URL produced: the value the prober returns and the judge grades."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

__all__ = ["ErrorKind", "Observation", "ProbeFailure", "Timings"]


class ErrorKind(enum.Enum):
    """Why a call produced no complete answer; values are stable strings used in reports."""

    DNS_FAILURE = "dns-failure"
    CONNECTION_REFUSED = "connection-refused"
    TLS_ERROR = "tls-error"
    DEADLINE_BEFORE_HEADERS = "deadline-before-headers"
    DEADLINE_DURING_BODY = "deadline-during-body"
    CONNECTION_RESET = "connection-reset"
    BODY_TOO_LARGE = "body-too-large"
    INVALID_HTTP = "invalid-http"
    INVALID_URL = "invalid-url"
    CONNECT_ERROR = "connect-error"

    @property
    def is_deadline(self) -> bool:
        return self in (ErrorKind.DEADLINE_BEFORE_HEADERS, ErrorKind.DEADLINE_DURING_BODY)


@dataclass(frozen=True)
class ProbeFailure:
    """A classified transport failure; ``message`` never holds the URL's secrets."""

    kind: ErrorKind
    message: str


@dataclass(frozen=True)
class Timings:
    """Seconds from the start of the call; ``None`` where that point was never reached.

    ``connect`` is when the TCP (and TLS) connection was up, ``first_byte`` when the
    response headers had arrived, ``total`` when the call ended (complete or cut).
    """

    connect: float | None
    first_byte: float | None
    total: float


@dataclass(frozen=True)
class Observation:
    """One GET to a callback, as Recall would see it."""

    url: str
    started_at: float
    deadline: float
    timings: Timings
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    body_truncated: bool = False
    error: ProbeFailure | None = None
    request_headers: tuple[tuple[str, str], ...] = field(default=())

    def header(self, name: str) -> str | None:
        """The first value of a response header, case-insensitively."""
        return self._first_values.get(name.lower())

    @functools.cached_property
    def _first_values(self) -> dict[str, str]:
        # Built once: the judge asks for several headers of every answer it grades.
        index: dict[str, str] = {}
        for key, value in self.headers:
            index.setdefault(key.lower(), value)
        return index

    @property
    def summary(self) -> str:
        """How the call ended, for a sentence: ``HTTP 401``, or why there was no answer
        (never ``HTTP None``)."""
        if self.status is not None:
            return f"HTTP {self.status}"
        return f"no HTTP answer ({self.error.kind.value if self.error else 'none'})"

    @property
    def completed(self) -> bool:
        """Headers and the whole body arrived (whatever the status)."""
        return self.error is None and self.status is not None

    @property
    def server_date(self) -> float | None:
        """The server's ``Date`` header as Unix time, when present and parseable."""
        raw = self.header("date")
        if raw is None:
            return None
        try:
            return parsedate_to_datetime(raw).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None

    @property
    def clock_skew(self) -> float | None:
        """Server clock minus ours when the headers arrived (``Date`` has 1 s resolution)."""
        server = self.server_date
        if server is None or self.timings.first_byte is None:
            return None
        return server - (self.started_at + self.timings.first_byte)
