"""The config file: found as uv finds ``uv.toml``, read with ``${VAR}`` as coverage.py does.

Discovery walks from the working directory up to the repository root (the first directory
holding ``.git``, a directory or a worktree's file) and takes the first of, per directory,
``recall-sim.toml`` (top-level keys) then ``pyproject.toml`` with a ``[tool.recall-sim]``
table (a ``pyproject.toml`` without one is passed over).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "ConfigFile", "discover", "read_config_file", "substitute_variables"]

OWN_FILE = "recall-sim.toml"
PYPROJECT = "pyproject.toml"
TOOL_TABLE = "recall-sim"


class ConfigError(Exception):
    """A configuration mistake (file, environment or flag): exit 2 with this one line,
    which names where the value came from and never the value of a secret."""


@dataclass(frozen=True)
class ConfigFile:
    """A config file's settings, substituted, and how reports name it."""

    path: Path
    label: str  # e.g. "recall-sim.toml" or "pyproject.toml [tool.recall-sim]"
    values: Mapping[str, Any]


def discover(start: Path) -> Path | None:
    """The first config file from ``start`` upwards, stopping at the repository root."""
    for directory in (start, *start.parents):
        own = directory / OWN_FILE
        if own.is_file():
            return own
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if (directory / ".git").exists():
            return None
    return None


def _has_tool_table(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # not ours to complain about: it is only a candidate
    return isinstance(data.get("tool"), dict) and TOOL_TABLE in data["tool"]


def read_config_file(
    path: Path, *, environ: Mapping[str, str], cwd: Path | None = None
) -> ConfigFile:
    """Parse ``path`` and substitute ``${VAR}`` in its strings; ConfigError when it cannot."""
    shown = _shown(path, cwd or Path.cwd())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {shown} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {shown} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {shown} is not valid TOML: {exc}") from None
    label = shown
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        table = tool.get(TOOL_TABLE, {}) if isinstance(tool, dict) else {}
        if not isinstance(table, dict):
            raise ConfigError(f"{shown}: [tool.{TOOL_TABLE}] must be a table")
        data, label = table, f"{shown} [tool.{TOOL_TABLE}]"
    values = {
        key: _substitute(value, environ, f"{label} key {key!r}") for key, value in data.items()
    }
    return ConfigFile(path=path, label=label, values=values)


def _shown(path: Path, cwd: Path) -> str:
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except ValueError:
        return str(path)


def _substitute(value: Any, environ: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):
        return substitute_variables(value, environ, where=where)
    if isinstance(value, list):
        return [_substitute(item, environ, where) for item in value]
    return value


# coverage.py's pattern (coverage/misc.py): $$, $WORD, ${WORD}, ${WORD?}, ${WORD-default}.
_DOLLAR = re.compile(
    r"""\$(?:
        (?P<dollar>\$)
      | (?P<word1>\w+)
      | \{(?P<word2>\w+)(?:(?P<strict>\?)|-(?P<defval>[^}]*))?\}
    )""",
    re.VERBOSE,
)


def substitute_variables(text: str, environ: Mapping[str, str], *, where: str = "") -> str:
    """``text`` with environment variables substituted, with coverage.py's semantics.

    ``$VAR`` and ``${VAR}`` are replaced by the variable, or by nothing when it is unset;
    ``${VAR-default}`` by the default when it is unset; ``${VAR?}`` raises ConfigError
    when it is unset; ``$$`` is a literal ``$``.
    """

    def replace(match: re.Match[str]) -> str:
        if match["dollar"]:
            return "$"
        word = match["word1"] or match["word2"]
        if word in environ:
            return environ[word]
        if match["strict"]:
            raise ConfigError(f"{where}: environment variable {word} is not set (${{{word}?}})")
        return match["defval"] or ""

    return _DOLLAR.sub(replace, text)
