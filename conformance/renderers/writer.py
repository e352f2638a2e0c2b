"""Writing a rendered report to its file, the way coverage.py's ``render_report`` does.

One helper for every format, so each renderer stays a pure ``report -> str``: it creates
the missing directories, writes beside the target and renames into place (a reader, or a
CI artifact upload racing the run, never sees half a report), and leaves no partial file
behind when rendering or writing fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_report"]


def write_report(
    path: Path,
    render: Callable[[], str],
    *,
    kind: str,
    say: Callable[[str], None] | None = None,
) -> Path:
    """Render and write one report to ``path``; ``say`` gets "Wrote KIND report to PATH".

    ``render`` runs before anything is written, so a renderer's bug leaves the previous
    report (if any) as it was. Raises what rendering or writing raised.
    """
    text = render()
    # Through a symlink to its target, as check_output_path checked it.
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: its files are 0600, and a report is read like any other file (the
    # umask applies to this mode, as to the report written in place).
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if say is not None:
        say(f"Wrote {kind} report to {path}")
    return target
