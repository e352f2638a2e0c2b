"""``recall-sim serve`` in a subprocess, as a user starts it: yielded once its banner is out."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class ServeProcess:
    """A running ``serve``: its process, base URL and banner text."""

    process: subprocess.Popen[str]
    url: str
    banner: str
    stderr: str = field(default="", init=False)

    def interrupt(self, *, timeout: float = 15) -> int:
        """Ctrl-C, then wait: the exit code (``stderr`` holds what it printed)."""
        self.process.send_signal(signal.SIGINT)
        _, self.stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: nothing runs on the way out."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


@contextmanager
def serve_process(*options: str, env: Mapping[str, str] | None = None) -> Iterator[ServeProcess]:
    """``recall-sim serve --port 0 OPTIONS``; killed at the end if still running."""
    process = subprocess.Popen(
        [sys.executable, "-m", "recall_sim", "serve", "--port", "0", *options],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        seen: list[str] = []
        while not any("POST" in line and "/_sim/reset" in line for line in seen):
            seen.append(lines.get(timeout=20))
        yield ServeProcess(process, seen[0].split()[4], "".join(seen))
    finally:
        if process.poll() is None:
            process.kill()
        if process.stdout is not None and not process.stdout.closed:
            process.communicate(timeout=10)
