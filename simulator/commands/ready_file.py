"""``serve --ready-file PATH``: tell a CI job where the running simulator is, without a log.

The file is JSON, written atomically (a temporary file in the same directory, then a
rename) once the listeners accept connections, and removed at shutdown, so "the file
exists" means "the simulator is up". It holds addresses and fingerprints only: never the
API key, and never a control token the user set in the environment.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recall_sim.simulator.redaction import fingerprint

__all__ = ["ReadyFileError", "ServeAddresses", "check_ready_file", "ready_document", "write_atomic"]

FORMAT_VERSION = 1


class ReadyFileError(ValueError):
    """The ready file cannot be written where asked (a usage error, before serving)."""


@dataclass(frozen=True)
class ServeAddresses:
    """Where a running ``serve`` answers; ``zoom_url``: the ``--zoom-port`` listener."""

    url: str
    zoom_url: str | None = None


def check_ready_file(path: Path) -> None:
    """Raise `ReadyFileError` unless a file can be created and renamed at ``path``.

    Missing parent directories are created (as the reports' paths are); a probe file is
    written next to ``path`` and removed, since permission bits alone do not tell.
    """
    if path.is_dir():
        raise ReadyFileError(f"--ready-file {path} is a directory; give a file path inside it")
    # mkdir(exist_ok=True) says "File exists" when a parent is a file: name that parent.
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ReadyFileError(f"--ready-file {path} cannot be written: {blocker} is not a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".ready-", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
        # A file left by a server that died: it would say "up" before this one is.
        path.unlink(missing_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ReadyFileError(f"--ready-file {path} cannot be written: {reason}") from None


def ready_document(
    addresses: ServeAddresses,
    *,
    api_key: str,
    control_token_required: bool,
    control_token_source: str | None,
    control_header: str,
    pid: int,
) -> dict[str, Any]:
    """The ready file's content. ``control_token_source``: the environment variable the
    token came from, ``"printed in banner"`` for a generated one, None when there is none."""
    url, zoom_url = addresses.url, addresses.zoom_url
    return {
        "version": FORMAT_VERSION,
        "pid": pid,
        "url": url,
        "health": f"{url}/_sim/health",
        "recall_api": f"{url}/api/v2/",
        "control": f"{url}/_sim",
        "zoom_admin": f"{url}/_sim/zoom",
        "zoom_oauth_base": f"{url}/zoom",
        "zoom_api_base": f"{url}/zoom/v2",
        # The --zoom-port listener: Zoom's own paths (/oauth/..., /v2/...); None without it.
        "zoom_base_url": zoom_url,
        "api_key_fingerprint": fingerprint(api_key),
        "control_token": {
            "required": control_token_required,
            "header": control_header,
            "source": control_token_source,
        },
    }


def write_atomic(path: Path, document: Mapping[str, Any]) -> None:
    """Write ``document`` as JSON at ``path`` so a reader never sees half a file."""
    fd, temporary = tempfile.mkstemp(prefix=".ready-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
