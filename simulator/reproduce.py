"""A curl command that repeats a call the way Recall made it, runnable without showing a secret.

Each secret value of the URL becomes a shell variable reference (``"$AUTH_TOKEN"``) and
the rest of the URL is quoted exactly as given (never decoded and re-encoded), so the
command sends the same request once the user exports the variables it names; the
reproduction names them with the fingerprint of the value each must hold. A Standard
Webhooks signature is computed when the command runs, from ``$SIGNING_SECRET``: a copied
signature would give the secret's power away for five minutes and then go stale.
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypedDict, Unpack

from recall_sim.simulator.prober import USER_AGENT
from recall_sim.simulator.redaction import (
    MaskedPart,
    SecretPolicy,
    fingerprint,
    mask_headers,
    split_secrets,
)
from recall_sim.simulator.signing import signature_headers

__all__ = ["Reproduction", "ShellVariable", "curl_command", "reproduction", "shell_name"]

_DEFAULT_HEADERS = {"user-agent", "accept"}
_SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
SIGNING_SECRET_VARIABLE = "SIGNING_SECRET"  # noqa: S105 - a variable's name, not its value

# Names a user must not export for a reproduction: the shell's, the locale's and the
# loader's, and the proxies curl itself reads.
_RESERVED = frozenset(
    {
        "CDPATH",
        "EDITOR",
        "ENV",
        "FCEDIT",
        "HISTFILE",
        "HOME",
        "HOSTNAME",
        "IFS",
        "LANG",
        "LANGUAGE",
        "LINENO",
        "LOGNAME",
        "MAIL",
        "MAILPATH",
        "NLSPATH",
        "OLDPWD",
        "OPTARG",
        "OPTIND",
        "PATH",
        "PPID",
        "PS1",
        "PS2",
        "PS4",
        "PWD",
        "RANDOM",
        "SECONDS",
        "SHELL",
        "SHLVL",
        "TERM",
        "TMPDIR",
        "TZ",
        "UID",
        "USER",
    }
)
_RESERVED_PREFIXES = ("BASH", "CURL_", "DYLD_", "LC_", "LD_", "OPENSSL_", "SSL_")

# The signing script, run by ``sh -c SCRIPT sh ID OFFSET curl ...``: a fresh timestamp
# (moved by OFFSET seconds, to repeat a stale or future signature), the HMAC-SHA256 of
# "{id}.{timestamp}." under the base64 key after "whsec_" (Standard Webhooks, empty body),
# then curl with the three headers. POSIX sh and openssl; no single quote inside.
_SIGN = (
    "id=$1 ts=$(($(date +%s) + $2)); shift 2; "
    'key=$(printf %s "${SIGNING_SECRET#whsec_}" | openssl base64 -d -A '
    '| od -An -v -tx1 | tr -d " \\n"); '
    'sig=$(printf %s "$id.$ts." | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" '
    "-binary | openssl base64 -A); "
    'exec "$@" -H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig"'
)
# Closer to now than this, a signature is a current one: the reproduction signs at its own now.
_CURRENT = 60


@dataclass(frozen=True)
class ShellVariable:
    """A variable the reproduction reads, what it must hold, and that value's fingerprint."""

    name: str
    meaning: str
    fingerprint: str

    def export_line(self) -> str:
        return f"export {self.name}=...  # {self.meaning}, {self.fingerprint}"


@dataclass(frozen=True)
class Reproduction:
    """A shell command and the variables to export before running it."""

    command: str
    variables: tuple[ShellVariable, ...] = ()

    def lines(self) -> list[str]:
        """The ``export`` lines, then the command."""
        return [*(v.export_line() for v in self.variables), self.command]

    def one_line(self) -> str:
        """The command, with the variables it needs in a trailing comment (safe in a pipeline)."""
        if not self.variables:
            return self.command
        needs = "; ".join(f"{v.name} = {v.meaning} ({v.fingerprint})" for v in self.variables)
        return f"{self.command}  # export first: {needs}"


class ReproductionOptions(TypedDict, total=False):
    """`reproduction`'s keyword options, so `curl_command` passes them on unchanged."""

    deadline: float
    headers: Mapping[str, str] | Iterable[tuple[str, str]]
    secret_params: Iterable[str]
    secret_path_segments: Iterable[int]
    signing_secret: str | None
    show_secrets: bool


def curl_command(url: str, **options: Unpack[ReproductionOptions]) -> str:
    """`reproduction` on one line: the command, then the variables it needs as a comment."""
    return reproduction(url, **options).one_line()


def reproduction(
    url: str,
    *,
    deadline: float = 5.0,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    secret_params: Iterable[str] = (),
    secret_path_segments: Iterable[int] = (),
    signing_secret: str | None = None,
    show_secrets: bool = False,
) -> Reproduction:
    """``curl`` with Recall's budget, no redirect following, and the prober's own headers.

    ``signing_secret``: the secret the headers were signed with, when they carry a
    Standard Webhooks signature; a signature it made is computed afresh from
    ``$SIGNING_SECRET`` (others, deliberately wrong ones, are sent as they are shown).
    ``show_secrets``: every value inline, the headers exactly as sent.
    """
    pairs = dict(headers.items() if isinstance(headers, Mapping) else headers)
    extra = {k: v for k, v in pairs.items() if k.lower() not in _DEFAULT_HEADERS}
    # -g: brackets and braces in a URL are text, not curl's globbing.
    curl = ["curl", "-sS", "-i", "-g", "--max-time", f"{deadline:g}", "-A", USER_AGENT]
    if show_secrets:
        words = [*curl, *_header_args(extra), url]
        return Reproduction(" ".join(shlex.quote(w) for w in words))
    names = _Names()
    signed = None if signing_secret is None else _signed_by(extra, signing_secret)
    if signed is not None:
        names.reserve(SIGNING_SECRET_VARIABLE)
        extra = {k: v for k, v in extra.items() if k.lower() not in _SIGNATURE_HEADERS}
    quoted = [shlex.quote(w) for w in (*curl, *_header_args(mask_headers(extra)))]
    policy = SecretPolicy(tuple(secret_params), tuple(secret_path_segments))
    # The fragment never leaves the client (neither the prober nor curl sends it).
    url_word, variables = _url_word(url.partition("#")[0], policy, names)
    command = " ".join([*quoted, url_word])
    if signed is None or signing_secret is None:
        return Reproduction(command, variables)
    message_id, offset = signed
    command = f"sh -c {shlex.quote(_SIGN)} sh {shlex.quote(message_id)} {offset} {command}"
    secret = ShellVariable(
        SIGNING_SECRET_VARIABLE,
        "your Recall workspace's verification secret (whsec_...)",
        fingerprint(signing_secret),
    )
    return Reproduction(command, (*variables, secret))


def _header_args(headers: Mapping[str, str]) -> list[str]:
    return [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]


def _signed_by(headers: Mapping[str, str], secret: str) -> tuple[str, int] | None:
    """(message id, seconds from now) when ``secret`` made the headers' signature."""
    lowered = {k.lower(): v for k, v in headers.items()}
    message_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp", "")
    signature = lowered.get("webhook-signature")
    if not message_id or not stamp.isdigit() or not signature:
        return None
    expected = signature_headers(secret, timestamp=int(stamp), msg_id=message_id)
    if expected["webhook-signature"] != signature:
        return None
    # Presentation, not expiry logic: how far from this machine's clock it was signed.
    offset = int(stamp) - int(time.time())
    return message_id, 0 if abs(offset) < _CURRENT else offset


def _url_word(
    url: str, policy: SecretPolicy, names: _Names
) -> tuple[str, tuple[ShellVariable, ...]]:
    """One shell word: the URL's text quoted as is, each secret value a variable reference."""
    word: list[str] = []
    variables: dict[str, ShellVariable] = {}
    for piece in split_secrets(url, policy).pieces:
        if isinstance(piece, str):
            word.append(shlex.quote(piece))
            continue
        variable = names.variable_for(piece)
        variables.setdefault(variable.name, variable)
        word.append(f'"${variable.name}"')
    return "".join(word) or "''", tuple(variables.values())


class _Names:
    """Variable names for one reproduction: one per secret value, never two alike."""

    def __init__(self) -> None:
        self._taken: dict[str, tuple[str, str] | None] = {}

    def reserve(self, name: str) -> None:
        self._taken[name] = None

    def variable_for(self, part: MaskedPart) -> ShellVariable:
        base = _base_name(part)
        key = (base, part.raw_value)
        name, suffix = base, 1
        while name in self._taken and self._taken[name] != key:
            suffix += 1
            name = f"{base}_{suffix}"
        self._taken[name] = key
        meaning = part.label
        if "%" in part.raw_value:
            meaning += ", percent-encoded as in the URL"
        return ShellVariable(name, meaning, fingerprint(part.raw_value))


def _base_name(part: MaskedPart) -> str:
    if part.kind == "userinfo":
        return "URL_USERINFO"
    if part.kind == "path":
        return f"SECRET_SEGMENT_{part.position}"
    if not part.name:
        return f"SECRET_ITEM_{part.position}"
    return shell_name(part.name)


def shell_name(text: str) -> str:
    """``auth-token`` -> ``AUTH_TOKEN``: a valid POSIX name that no shell or curl reads."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper() or "SECRET"
    if (
        name[0].isdigit()
        or name in _RESERVED
        or name == SIGNING_SECRET_VARIABLE
        or name.startswith(_RESERVED_PREFIXES)
        or name.endswith("_PROXY")
    ):
        name = "SECRET_" + name
    return name
