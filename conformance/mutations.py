"""Hypothesis strategies for wrong credentials: the secret changed in the ways real checks break.

Each mutation is described without the secret itself ("truncated to 12 of 32
characters"), so a falsifying example can be printed safely. Mutations whose
decoded value equals the real secret are never generated: a server that decodes
``%61`` to ``a`` is right to accept it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from hypothesis import strategies as st

from recall_sim.conformance.url_parts import SecretPart

__all__ = ["Mutation", "classic_mutations", "credential_mutations"]

_SAFE = "-._~"
_EXTENSION_ALPHABET = st.characters(
    codec="ascii", categories=("L", "N"), include_characters="-_.~!*"
)


@dataclass(frozen=True)
class Mutation:
    """A wrong credential: the raw values that replace one secret part in the URL."""

    part: SecretPart
    kind: str
    description: str
    raw_values: tuple[str, ...] = field(repr=False)

    def __repr__(self) -> str:
        return f"Mutation({self.part.label}: {self.description})"


def _raw(value: str) -> str:
    return quote(value, safe=_SAFE)


def _mutation(part: SecretPart, kind: str, description: str, *values: str) -> Mutation:
    return Mutation(part, kind, description, tuple(_raw(v) for v in values))


def _is_real(part: SecretPart, mutation: Mutation) -> bool:
    """True when the mutation decodes to the genuine secret (not a wrong credential)."""
    return any(unquote(raw) == part.value for raw in mutation.raw_values) or not mutation.raw_values


def classic_mutations(part: SecretPart) -> list[Mutation]:
    """The classic mistakes, always tried first: empty, a prefix, the case flipped."""
    secret = part.value
    found = [_mutation(part, "empty", "empty value", "")]
    if len(secret) >= 2:
        half = len(secret) // 2
        found.append(
            _mutation(
                part,
                "truncated",
                f"prefix: first {half} of {len(secret)} characters",
                secret[:half],
            )
        )
    if secret.swapcase() != secret:
        found.append(
            _mutation(part, "case-flipped", "every letter's case flipped", secret.swapcase())
        )
    return [m for m in found if not _is_real(part, m)]


@st.composite
def _changed(draw: st.DrawFn, part: SecretPart) -> Mutation:
    secret = part.value
    index = draw(st.integers(0, max(len(secret) - 1, 0)))
    original = secret[index] if secret else ""
    replacement = draw(_EXTENSION_ALPHABET.filter(lambda c: c != original))
    changed = secret[:index] + replacement + secret[index + 1 :]
    return _mutation(part, "changed", f"character {index} of {len(secret)} changed", changed)


@st.composite
def _truncated(draw: st.DrawFn, part: SecretPart) -> Mutation:
    secret = part.value
    keep = draw(st.integers(0, max(len(secret) - 1, 0)))
    from_end = draw(st.booleans())
    value = secret[len(secret) - keep :] if from_end and keep else secret[:keep]
    where = "last" if from_end and keep else "first"
    return _mutation(part, "truncated", f"{where} {keep} of {len(secret)} characters", value)


@st.composite
def _extended(draw: st.DrawFn, part: SecretPart) -> Mutation:
    suffix = draw(st.text(_EXTENSION_ALPHABET, min_size=1, max_size=8))
    before = draw(st.booleans())
    value = suffix + part.value if before else part.value + suffix
    where = "prepended" if before else "appended"
    return _mutation(part, "extended", f"{len(suffix)} characters {where}", value)


@st.composite
def _case_flipped(draw: st.DrawFn, part: SecretPart) -> Mutation:
    secret = part.value
    letters = [i for i, c in enumerate(secret) if c.swapcase() != c]
    if not letters:
        return _mutation(part, "case-flipped", "upper-cased (no letters to flip)", secret.upper())
    chosen = draw(st.sets(st.sampled_from(letters), min_size=1))
    value = "".join(c.swapcase() if i in chosen else c for i, c in enumerate(secret))
    return _mutation(part, "case-flipped", f"case of {len(chosen)} letters flipped", value)


@st.composite
def _percent_encoded(draw: st.DrawFn, part: SecretPart) -> Mutation:
    # Encoded twice: one decode gives '%41…', not the secret. A server that decodes
    # twice (or normalises) would wrongly accept it.
    secret = part.value
    index = draw(st.integers(0, max(len(secret) - 1, 0)))
    char = secret[index] if secret else "a"
    once = "".join(f"%{b:02X}" for b in char.encode())
    raw = _raw(secret[:index]) + once.replace("%", "%25") + _raw(secret[index + 1 :])
    return Mutation(part, "percent-encoded", f"character {index} percent-encoded twice", (raw,))


_LOOKALIKES = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і", "s": "ѕ"}


@st.composite
def _unicode_variant(draw: st.DrawFn, part: SecretPart) -> Mutation:
    secret = part.value or "a"
    index = draw(st.integers(0, len(secret) - 1))
    char = secret[index]
    style = draw(st.sampled_from(["fullwidth", "lookalike", "combining"]))
    if style == "fullwidth" and "!" <= char <= "~":
        variant = chr(ord(char) + 0xFEE0)  # NFKC folds it back to ASCII
    elif style == "lookalike" and char.lower() in _LOOKALIKES:
        variant = _LOOKALIKES[char.lower()]
    else:
        variant = unicodedata.normalize("NFD", char + "\u0301")  # a combining accent
        style = "combining"
    value = secret[:index] + variant + secret[index + 1 :]
    return _mutation(part, "unicode", f"character {index} replaced by a {style} variant", value)


@st.composite
def _duplicated(draw: st.DrawFn, part: SecretPart) -> Mutation:
    first = draw(st.one_of(_changed(part), _truncated(part)))
    second = draw(st.one_of(_changed(part), _truncated(part), _extended(part)))
    raws = first.raw_values + second.raw_values
    return Mutation(part, "duplicated", "parameter given twice, both values wrong", raws)


def credential_mutations(parts: list[SecretPart]) -> st.SearchStrategy[Mutation]:
    """Wrong credentials for one of ``parts``, simplest kinds first so shrinking favours them."""

    # Each part's strategy is built once; a flatmap would rebuild (and re-validate) it on
    # every draw.
    def for_part(part: SecretPart) -> st.SearchStrategy[Mutation]:
        kinds = [
            _truncated(part),
            _changed(part),
            _case_flipped(part),
            _extended(part),
            _percent_encoded(part),
            _unicode_variant(part),
        ]
        if part.kind == "query":
            kinds.append(_duplicated(part))
        return st.one_of(kinds).filter(lambda m: not _is_real(part, m))

    return st.one_of([for_part(part) for part in parts])
