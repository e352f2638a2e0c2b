"""What Linux's ``/proc`` says of a process: its stat fields and its argv (the tests that no
secret reaches any process's argv read them)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["argv_of", "stat_fields"]


def stat_fields(pid: int | str) -> list[str] | None:
    """``/proc/<pid>/stat``'s fields after the command name (state, ppid, pgrp, session,
    ...), or None when the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def argv_of(pid: int | str) -> str | None:
    """The process's argv joined by spaces, or None (gone meanwhile, or a kernel thread)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.rstrip(b"\0").replace(b"\0", b" ").decode(errors="replace") or None
