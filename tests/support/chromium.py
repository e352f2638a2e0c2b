"""Headless Chromium for the report tests: where it is, opening a page, counting what
plotly drew per trace (the browser is Debian's package; .ci/run installs it)."""

from __future__ import annotations

import importlib.util
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent.parent


def _load_script() -> ModuleType:
    # scripts/ is not a package: load the screenshot script by path, for its sample report
    # and its Chromium command line (so the script stays exercised too).
    spec = importlib.util.spec_from_file_location(
        "report_screenshot", ROOT / "scripts" / "report_screenshot.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _load_script()


class PointCounter(HTMLParser):
    """Counts plotly's marker paths (``path.point``) under each trace's group, by uid."""

    def __init__(self) -> None:
        super().__init__()
        self.points: Counter[str] = Counter()
        self._groups: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "g":
            # plotly: <g class="trace scatter trace<uid>">
            uid = next((c[5:] for c in classes if c.startswith("trace") and c != "trace"), None)
            inherited = self._groups[-1] if self._groups else None
            self._groups.append(uid if "scatter" in classes and uid else inherited)
        elif tag == "path" and "point" in classes and self._groups and self._groups[-1]:
            self.points[self._groups[-1]] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "g" and self._groups:
            self._groups.pop()


def open_in_chromium(browser: str, page: Path, tmp_path: Path) -> tuple[str, str]:
    """The DOM after the page's scripts ran, and the browser's console log."""
    command = SCRIPT.chromium_command(
        browser,
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        page.resolve().as_uri(),
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, done.stderr


def drawn_points(dom: str) -> dict[str, int]:
    counter = PointCounter()
    counter.feed(dom)
    return dict(counter.points)
