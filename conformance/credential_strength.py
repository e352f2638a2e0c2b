"""How hard a callback URL's secret is to guess: an entropy estimate and published defaults.

The estimate follows zxcvbn: it finds the dictionary words, keyboard runs, repeats and
sequences in the secret and counts the guesses each needs. zxcvbn prices the rest
(characters that match no pattern) at ten guesses per character, right for
passwords people choose but far too low for the random tokens a callback should use,
so those stretches are priced by the alphabet the secret draws from instead (16 for
hex, 62 for letters and digits, 64 for base64url...), and so are the short patterns
any random string holds by chance. A UUID carries its 122 random bits. Values are
never returned or shown: only their length, alphabet and estimate.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass

from zxcvbn import zxcvbn

__all__ = [
    "FAIL_BELOW_BITS",
    "PUBLISHED_DEFAULTS",
    "WARN_BELOW_BITS",
    "Strength",
    "estimate_strength",
]

WARN_BELOW_BITS = 128
FAIL_BELOW_BITS = 64
# Credentials published in Recall's docs and sample apps, and the usual placeholders;
# compared without regard to case.
PUBLISHED_DEFAULTS = frozenset(
    value.lower()
    for value in (
        "helloWorld",  # Recall's sample callback app
        "supersecrettoken",  # Recall's docs
        "changeme",
        "secret",
        "password",
        "token",
        "test",
        "mysecret",
        "my-secret",
        "your-secret",
        "yoursecret",
        "your_secret_here",
        "example",
        "1234",
        "12345678",
    )
)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_UUID_BITS = 122.0
_HEX = frozenset(string.hexdigits)
_URLSAFE_EXTRA = frozenset("-_")
# zxcvbn's matching is quadratic; beyond this the rest is priced as random characters.
_ANALYSED_CHARS = 64
# A random token holds short repeats, runs, words and dates by chance ("1515", "cdef",
# "faced", "121299"); pricing them as patterns would make the estimate of one random
# secret swing from draw to draw. A pattern counts only when it is 5 characters or more,
# covers a quarter of the secret or more, and is at most half as costly to guess as
# random characters of that alphabet would be.
_MIN_PATTERN_CHARS = 5
_MIN_PATTERN_SHARE = 0.25
_PATTERN_SAVING = 0.5


@dataclass(frozen=True)
class Strength:
    """The estimate for one secret: bits, and what it was based on (never the value)."""

    bits: float
    length: int
    alphabet: str
    published_default: bool
    patterns: tuple[str, ...]  # what zxcvbn recognised, e.g. "dictionary word"

    def describe(self) -> str:
        found = f"; contains {', '.join(self.patterns)}" if self.patterns else ""
        return f"{self.length} characters of {self.alphabet}, about {self.bits:.0f} bits{found}"


def _alphabet(secret: str) -> tuple[int, str]:
    """The size of the alphabet the secret seems drawn from, and its name."""
    chars = set(secret)
    if chars <= _HEX and len(secret) >= 8:
        hex_digits = set(string.digits) | set("abcdef" if secret.lower() == secret else "ABCDEF")
        if chars <= hex_digits:
            return 16, "hex digits"
    size, names = 0, []
    for group, group_size, name in (
        (string.ascii_lowercase, 26, "lower-case letters"),
        (string.ascii_uppercase, 26, "upper-case letters"),
        (string.digits, 10, "digits"),
    ):
        if chars & set(group):
            size += group_size
            names.append(name)
    others = chars - set(string.ascii_letters + string.digits)
    if others and others <= _URLSAFE_EXTRA:
        size += 2
        names.append("'-'/'_'")
    elif others:
        size += 33
        names.append("symbols")
    return max(size, 1), ", ".join(names) or "nothing"


def estimate_strength(secret: str) -> Strength:
    """How many bits of guessing ``secret`` takes, by the method in the module docstring."""
    published = secret.lower() in PUBLISHED_DEFAULTS
    if _UUID.match(secret):
        return Strength(_UUID_BITS, len(secret), "a UUID", published, ())
    size, alphabet = _alphabet(secret)
    per_char = math.log2(size)
    analysed = secret[:_ANALYSED_CHARS]
    bits = per_char * (len(secret) - len(analysed))
    patterns: list[str] = []
    if analysed:
        for match in zxcvbn(analysed)["sequence"]:
            random_bits = per_char * len(str(match["token"]))
            pattern_bits = math.log2(max(float(match["guesses"]), 1.0))
            if (
                match["pattern"] == "bruteforce"
                or len(str(match["token"])) < _MIN_PATTERN_CHARS
                or len(str(match["token"])) < _MIN_PATTERN_SHARE * len(secret)
                or pattern_bits > _PATTERN_SAVING * random_bits
            ):
                bits += random_bits
            else:
                bits += pattern_bits
                patterns.append(_pattern_name(match))
    if published:
        bits = min(bits, math.log2(len(PUBLISHED_DEFAULTS)))
    return Strength(
        bits=bits,
        length=len(secret),
        alphabet=alphabet,
        published_default=published,
        patterns=tuple(dict.fromkeys(patterns)),
    )


def _pattern_name(match: dict[str, object]) -> str:
    pattern = str(match["pattern"])
    return {
        "dictionary": "a dictionary word",
        "spatial": "a keyboard run",
        "repeat": "a repeated run",
        "sequence": "a sequence (abc, 123)",
        "regex": "a recent year",
        "date": "a date",
    }.get(pattern, pattern)
