"""The one timestamp format the simulator shows: ISO-8601 in UTC with microseconds and ``Z``.

It is Recall's (SPEC §3), and both journals use it too, so a reader parses every
time the simulator prints with one parser and can pass any of them back as a filter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["iso_timestamp", "parse_iso_timestamp"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def iso_timestamp(instant: float) -> str:
    """``instant`` (Unix seconds) as ``2024-05-01T12:00:00.123456Z``.

    Rounded to the microsecond exactly as the fake Recall's store rounds, so a
    timestamp read back from an answer and used as a filter matches its own record.
    """
    moment = _EPOCH + timedelta(microseconds=round(instant * 1_000_000))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso_timestamp(text: str) -> float:
    """Unix seconds from an ISO-8601 time; ``Z`` or an offset, or none for UTC.

    ValueError when ``text`` is not one.
    """
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
