"""Query parameters of ``zoom-meetings-to-credentials/``: ``credential``, ``meeting_id``,
``synced_at_after``/``_before``, ``ordering`` and ``cursor``, parsed and documented with the
other lists' rules (`params`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation

from recall_sim.simulator.recall.api.params import (
    _CURSOR,
    _EMPTY,
    _instant,
    _parameter,
    _Params,
    _reference,
)
from recall_sim.simulator.recall.queries import MeetingMappingQuery

__all__ = ["MEETING_MAPPING_PARAMETERS", "meeting_mapping_query"]

BAD_NUMBER = "Enter a number."
# DRF's OrderingFilter on this view: the one field a client may order by.
_ORDERING_FIELD = "synced_at"


def _number(p: _Params, name: str) -> str | None:
    """django-filter's NumberFilter (a DecimalField): any finite decimal, compared as a
    number; the text the store compares, or None (no filter, or an error recorded)."""
    value = p.text(name)
    if value is None:
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        p.errors[name] = [BAD_NUMBER]
        return None
    # An integral value names that meeting however it is spelled (1e3, 1000.0); any
    # other value (a fraction, or beyond SQLite's integers) is one no meeting id equals.
    if number == number.to_integral_value() and abs(number) < 2**63:
        return str(int(number))
    return str(number)


def meeting_mapping_query(
    params: Mapping[str, str], *, credential_exists: Callable[[uuid.UUID], bool]
) -> MeetingMappingQuery:
    """The filters, or InvalidInput naming each bad one (DRF's 400)."""
    p = _Params(params)
    credential = p.reference("credential", credential_exists)
    meeting_id = _number(p, "meeting_id")
    after = p.instant("synced_at_after")
    before = p.instant("synced_at_before")
    p.check()
    return MeetingMappingQuery(
        credential=credential,
        meeting_id=meeting_id,
        synced_after=after,
        synced_before=before,
        ordering=p.ordering(_ORDERING_FIELD),
    )


MEETING_MAPPING_PARAMETERS = (
    _reference("credential", "Zoom OAuth credential"),
    _parameter(
        "meeting_id",
        {"anyOf": [{"type": "integer"}, {"type": "number"}, _EMPTY]},
        "Only mappings of this Zoom meeting number, compared as a number (`1e3` is 1000). "
        f'Anything but a number answers 400 {{"meeting_id": ["{BAD_NUMBER}"]}}.',
    ),
    _instant("synced_at_after", "at or after", records="mappings synced"),
    _instant("synced_at_before", "at or before", records="mappings synced"),
    _parameter(
        "ordering",
        {"type": "string", "default": "-synced_at", "examples": ["-synced_at", "synced_at"]},
        "`-synced_at` (latest sync first, the default) or `synced_at`. As DRF's "
        "OrderingFilter: comma-separated terms, the first known one decides, unknown ones "
        "are ignored (no error).",
    ),
    _CURSOR,
)
