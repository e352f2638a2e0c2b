"""Cursor pagination the way Django REST Framework does it: opaque cursors, newest first
unless the list is ordered oldest first.

A cursor names a position in the ordering (a record's insertion sequence number)
and a direction, so pages stay stable while records are added or deleted, and
``previous`` works without offsets. The position means the same in either order,
so a link keeps working as long as it keeps its ``ordering`` (links keep every
other parameter).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import parse_qs, urlencode

from recall_sim.simulator.recall.errors import InvalidCursor

__all__ = ["Cursor", "Fetch", "Page", "decode_cursor", "encode_cursor", "paginate"]

T = TypeVar("T")

# Far above any sequence number SQLite hands out in a test run, far below float trouble.
_MAX_POSITION = 2**62


@dataclass(frozen=True)
class Cursor:
    """``reverse=False``: the records after ``position`` in the list's order (older, when
    newest first); True: the ones before it."""

    position: int
    reverse: bool = False


def encode_cursor(cursor: Cursor) -> str:
    raw = urlencode({"r": int(cursor.reverse), "p": cursor.position}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """The cursor in ``text``; InvalidCursor when this simulator did not make it."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        fields = parse_qs(raw, strict_parsing=True)
        reverse = fields["r"][0]
        position = int(fields["p"][0])
    except (binascii.Error, UnicodeError, ValueError, KeyError, IndexError):
        raise InvalidCursor(f"cursor {text[:40]!r} is not one this server handed out") from None
    if reverse not in ("0", "1") or not 0 <= position < _MAX_POSITION:
        raise InvalidCursor(f"cursor {text[:40]!r} is not one this server handed out")
    return Cursor(position=position, reverse=reverse == "1")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, in the list's order, with the cursors of its neighbours."""

    items: tuple[T, ...]
    next: Cursor | None
    previous: Cursor | None


# fetch(older_than, newer_than, newest_first, limit) -> [(sequence number, item)]
Fetch = Callable[[int | None, int | None, bool, int], Sequence[tuple[int, T]]]


def paginate(
    fetch: Fetch[T], *, cursor: Cursor | None, size: int, newest_first: bool = True
) -> Page[T]:
    """The page at ``cursor`` (the first page when None), newest first unless told otherwise."""

    def following(position: int | None) -> list[tuple[int, T]]:
        """Up to ``size + 1`` rows after ``position``, in the list's order."""
        if newest_first:
            return list(fetch(position, None, True, size + 1))
        return list(fetch(None, position, False, size + 1))

    def preceding(position: int) -> list[tuple[int, T]]:
        """Up to ``size + 1`` rows before ``position``, nearest first."""
        if newest_first:
            return list(fetch(None, position, False, size + 1))
        return list(fetch(position, None, True, size + 1))

    if cursor is None or not cursor.reverse:
        rows = following(None if cursor is None else cursor.position)
        more = len(rows) > size
        rows = rows[:size]
        after = Cursor(rows[-1][0]) if more and rows else None
        if cursor is None:
            before = None
        else:
            before = Cursor(rows[0][0] if rows else cursor.position, reverse=True)
        return Page(tuple(item for _, item in rows), after, before)
    rows = preceding(cursor.position)
    more = len(rows) > size
    rows = list(reversed(rows[:size]))
    before = Cursor(rows[0][0], reverse=True) if more and rows else None
    after = Cursor(rows[-1][0] if rows else cursor.position)
    return Page(tuple(item for _, item in rows), after, before)
