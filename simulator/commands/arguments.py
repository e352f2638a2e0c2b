"""argparse value types for numbers within bounds, so every option reports a bad value alike."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TypeVar

__all__ = ["bounded"]

N = TypeVar("N", int, float)


def bounded(
    parse: Callable[[str], N],
    low: N,
    high: N,
    *,
    malformed: str,
    out_of_range: str,
    low_inclusive: bool = True,
) -> Callable[[str], N]:
    """A ``type=`` for argparse: ``parse`` the text and keep it within ``[low, high]``.

    The messages are templates with ``{text}`` (what was typed) and ``{value}`` (parsed).
    """

    def convert(text: str) -> N:
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(malformed.format(text=text, value=None)) from None
        above_low = low <= value if low_inclusive else low < value
        if not (above_low and value <= high):
            raise argparse.ArgumentTypeError(out_of_range.format(text=text, value=value))
        return value

    return convert
