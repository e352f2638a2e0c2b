"""An option's value from its layers: flag, then environment, then config file, then default.

coverage.py's order with uv's discovery: defaults, the config file (``--config-file``
replaces discovery, ``--no-config`` turns it off), ``RECALL_SIM_*`` variables, then the
flags. Each value goes through the option's own converter, whatever layer it came from,
and a bad one is a `ConfigError` naming that layer (``env RECALL_SIM_BURST``, ``file
recall-sim.toml key 'burst'``) and the problem, never a secret's value.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recall_sim.simulator.commands.config_file import (
    ConfigError,
    ConfigFile,
    discover,
    read_config_file,
)
from recall_sim.simulator.commands.options import ENV_PREFIX, OPTIONS, Option, options_for

__all__ = ["ConfigError", "Resolved", "load", "load_or_exit", "resolve"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
CONFIG_FILE_ENV = f"{ENV_PREFIX}CONFIG_FILE"
NO_CONFIG_ENV = f"{ENV_PREFIX}NO_CONFIG"


@dataclass(frozen=True)
class Resolved:
    """Every option of a command, with where each value that is not the default came from."""

    values: Mapping[str, Any]  # settings field -> value
    sources: Mapping[str, str] = field(default_factory=dict)  # option key -> layer
    warnings: tuple[str, ...] = ()
    config_file: str | None = None  # the file read, as reports name it

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def load(command: str, args: argparse.Namespace) -> Resolved:
    """`resolve` for what argparse parsed, in this process's environment and directory."""
    return resolve(command, vars(args), environ=os.environ, cwd=Path.cwd())


def load_or_exit(command: str, args: argparse.Namespace) -> Resolved:
    """`load`, with the warnings printed; a mistake is one line on stderr and exit 2."""
    try:
        resolved = load(command, args)
        if resolved["url"] is None:
            raise ConfigError(
                f"no URL: give it as the argument, in {ENV_PREFIX}URL, or as url in recall-sim.toml"
            )
    except ConfigError as exc:
        print(f"recall-sim {command}: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    for warning in resolved.warnings:
        print(f"recall-sim {command}: warning: {warning}", file=sys.stderr)
    return resolved


def resolve(
    command: str,
    cli: Mapping[str, Any],
    *,
    environ: Mapping[str, str],
    cwd: Path,
    flag_name: Callable[[Option], str] = lambda option: option.flag,
) -> Resolved:
    """``cli`` maps settings fields to parsed flags (None: not given), plus the
    ``config_file`` and ``no_config`` flags; ``flag_name``: how the sources name a flag
    (the pytest plugin's are ``--callback-*``)."""
    options = options_for(command)
    warnings: list[str] = []
    config = _config_file(cli, environ, cwd)
    from_file = _file_layer(command, config, warnings) if config is not None else {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for option in options:
        value, source = _cli_value(option, cli.get(option.field), flag_name(option))
        if value is None:
            value, source = _env_value(option, environ.get(option.env))
        if value is None and option.field in from_file:
            value, source = from_file[option.field]
        if value is None:
            values[option.field] = option.default
            continue
        values[option.field] = value
        if source is not None:
            sources[option.key] = source
    label = config.label if config is not None else None
    return Resolved(values, sources, tuple(warnings), label)


def _config_file(
    cli: Mapping[str, Any], environ: Mapping[str, str], cwd: Path
) -> ConfigFile | None:
    no_config = cli.get("no_config") or _flag(
        f"env {NO_CONFIG_ENV}", environ.get(NO_CONFIG_ENV) or "0"
    )
    explicit = cli.get("config_file") or environ.get(CONFIG_FILE_ENV) or None
    if no_config:
        return None
    path = Path(explicit) if explicit else discover(cwd)
    if path is None:
        return None
    if explicit and not path.is_absolute():
        path = cwd / path
    return read_config_file(path, environ=environ, cwd=cwd)


def _cli_value(option: Option, given: Any, flag: str) -> tuple[Any, str | None]:
    where = f"cli {flag}"
    if given is None:
        return None, None
    if option.kind == "flag" or option.command_checks_flag:
        return given, where
    if option.kind == "list":
        return tuple(_convert(option, item, None) for item in given), where
    return _convert(option, given, None), where


def _env_value(option: Option, text: str | None) -> tuple[Any, str | None]:
    # Empty counts as unset: CI systems expand a missing secret to the empty string.
    if not text:
        return None, None
    where = f"env {option.env}"
    if option.kind == "flag":
        return _flag(where, text), where
    if option.kind == "list":
        items = [item.strip() for item in text.split(",") if item.strip()]
        return tuple(_convert(option, item, where) for item in items), where
    return _convert(option, text, where), where


def _flag(where: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{where}: must be one of 1/true/yes/on or 0/false/no/off, got {text!r}")


def _convert(option: Option, text: str, where: str | None) -> Any:
    """``where``: the variable or file key the text came from (None: the flag, which the
    converters' messages name already)."""
    try:
        return option.convert(text)
    except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
        message = str(exc)
        if option.secret and text:
            # The converters never repeat a secret's value; this keeps it so for new ones.
            message = message.replace(text, "***")
        raise ConfigError(message if where is None else f"{where}: {message}") from None


_BY_NAME = {option.name: option for option in OPTIONS}


def _file_layer(
    command: str, config: ConfigFile, warnings: list[str]
) -> dict[str, tuple[Any, str]]:
    """Settings field -> (converted value, source) for the keys ``command`` takes."""
    layer: dict[str, tuple[Any, str]] = {}
    for key, raw in config.values.items():
        option = _BY_NAME.get(key)
        if option is None:
            dashed = key.replace("_", "-")
            if dashed in _BY_NAME:
                raise ConfigError(
                    f"{config.label}: key {key!r}: write option names with dashes, "
                    f"as the flags: {dashed!r}"
                )
            warnings.append(f"{config.label}: unknown key {key!r} (ignored)")
            continue
        if command not in option.commands:
            continue  # one file serves every command: probe passes over check's burst
        where = f"{config.label} key {key!r}"
        layer[option.field] = (_file_value(option, raw, where), f"file {config.label}")
    return layer


def _file_value(option: Option, raw: Any, where: str) -> Any:
    if option.kind == "flag":
        if not isinstance(raw, bool):
            raise ConfigError(f"{where}: must be true or false, got a TOML {_toml_type(raw)}")
        return raw
    if option.kind == "list":
        items = raw if isinstance(raw, list) else [raw]
        return tuple(_convert(option, _scalar(item, where), where) for item in items)
    return _convert(option, _scalar(raw, where), where)


def _scalar(raw: Any, where: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ConfigError(f"{where}: must be a string or a number, got a TOML {_toml_type(raw)}")
    return str(raw)


def _toml_type(raw: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array"}
    return names.get(type(raw), "table" if isinstance(raw, dict) else type(raw).__name__)
