"""Issue 12's acceptance run: `watch --duration 60 --interval 1` against the reference
callback with 130 s tokens rotates at least once, names no cause, and its HTML report
draws 60 ± 2 points per chart in headless Chromium."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pytest

from recall_sim.conformance.watch.session import run_watch
from recall_sim.conformance.watch.settings import WatchSettings
from recall_sim.simulator.testing import RunningSimulator
from tests.examples.conftest import StartReference
from tests.support.chromium import drawn_points, open_in_chromium

DURATION = 60


@pytest.mark.slow
def test_a_minute_of_watch_rotates_names_no_cause_and_charts_every_call(
    sim: RunningSimulator, start_reference: StartReference, browser: str, tmp_path: Path
) -> None:
    ref = start_reference()
    user_id = ref.connect("watched")
    report_json, report_html = tmp_path / "watch.json", tmp_path / "watch.html"
    settings = WatchSettings(
        url=ref.callback_url(user_id),
        client_id=sim.zoom.default_app.client_id,
        expect_user_id=user_id,
        zoom_admin=sim.control_url + "/zoom",
        interval=1.0,
        duration=DURATION,
        report_json=report_json,
        report_html=report_html,
        color="never",
    )
    out = io.StringIO()
    code = run_watch(settings, out=out, err=out)

    report = json.loads(report_json.read_text())
    calls = report["timeline"]["calls"]
    assert code == 0, out.getvalue()[-3000:]
    assert abs(len(calls) - DURATION) <= 2
    served = [c["token_id"] for c in calls if c["token_id"]]
    assert sum(a != b for a, b in itertools.pairwise(served)) >= 1  # a 130 s token rotated
    assert report["causes"] == []

    dom, log = open_in_chromium(browser, report_html, tmp_path)
    assert "Uncaught" not in log, log
    drawn = drawn_points(dom)
    answers = sum(n for uid, n in drawn.items() if uid.startswith("answer-"))
    for chart, points in (
        ("answer", answers),
        ("validity", drawn.get("validity", 0)),
        ("token", drawn.get("token", 0)),
    ):
        assert abs(points - DURATION) <= 2, (chart, points, drawn)
    assert drawn.get("rotation", 0) >= 1
