"""The HTML report: sections in order, nothing unescaped, no secret, small, drawn by a browser.

The browser tests open the page in headless Chromium (Debian's package, installed by
.ci/run) and count the markers plotly drew per trace. Without Chromium they skip, except
under CI, where a skip would hide that the charts were never drawn.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
import struct
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from recall_sim.conformance.renderers import html as renderer
from recall_sim.conformance.renderers.charts import figure_json
from recall_sim.conformance.renderers.html import render_html, script_safe_json, write_html
from recall_sim.conformance.renderers.writer import write_report
from recall_sim.simulator.redaction import redact_token
from recall_sim.simulator.timeline import CallPoint, Timeline, ZoomEventPoint
from tests.support.chromium import SCRIPT, drawn_points, open_in_chromium
from tests.support.flawed_callback import SECRETS, callback_url
from tests.support.tokens import zoom_token

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "conformance" / "renderers" / "assets" / "plotly-basic.min.js"
PAYLOAD = "</script><script>alert(1)</script><!--"


def sample(calls: int = 30, interval: float = 40.0) -> dict[str, Any]:
    """The screenshot's sample report, with a fixed cause: these tests are about the page,
    not about what `diagnose` finds."""
    report: dict[str, Any] = SCRIPT.sample_report(calls, interval)
    failed = [r["rule"] for r in report["results"] if r["verdict"] == "fail"]
    report["causes"] = [SCRIPT._timer_cause(failed).to_json()]
    return report


def shown(text: str) -> str:
    """``text`` as the template writes it (Jinja2's autoescape is markupsafe's)."""
    return str(escape(text))


def figure_of(page: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="timeline-figure">(.*?)</script>', page, re.S
    )
    assert found is not None
    figure: dict[str, Any] = json.loads(found.group(1))
    return figure


# --- sections -------------------------------------------------------------------------


def test_causes_then_timeline_then_every_rule() -> None:
    report = sample()
    page = render_html(report)
    assert page.index('id="causes"') < page.index('id="timeline"') < page.index('id="rules"')
    cause = report["causes"][0]
    assert cause["rules"]
    for text in (cause["cause"], cause["title"], cause["detail"], cause["fix"]):
        assert shown(text) in page
    for key in cause["evidence"]:
        assert f"<dt>{key}</dt>" in page
    for result in report["results"]:
        anchor = "rule-" + result["rule"]
        assert f'id="{anchor}"' in page
        assert shown(result["detail"]) in page
        if result["reproduce"]:
            assert shown(result["reproduce"]) in page
        for key in result["evidence"]:
            assert shown(json.dumps(key)) in page
    # Each rule a cause explains links to that rule's verdict further down.
    for rule in cause["rules"]:
        assert f'href="#rule-{rule}"' in page
    # Failures come first among the rules, so a reader meets them before the passes.
    rules_part = page[page.index('id="rules"') :]
    assert rules_part.index('class="rule fail"') < rules_part.index('class="rule pass"')


def test_absent_causes_and_timeline_say_none_recorded_and_embed_no_plotly() -> None:
    report = sample()
    del report["causes"], report["timeline"]
    page = render_html(report)
    assert "No causes recorded" in page
    assert "No timeline recorded" in page
    assert "Plotly" not in page  # 1.1 MB of JavaScript only when there is something to draw
    assert len(page.encode()) < 60_000


def test_an_empty_cause_list_is_no_cause_found() -> None:
    report = sample()
    report["causes"] = []
    assert "No cause found" in render_html(report)


def test_rows_without_data_say_why() -> None:
    report = sample()
    report["timeline"]["zoom_observed"] = False
    report["timeline"]["zoom_events"] = []
    for call in report["timeline"]["calls"]:
        call.update(token=None, token_id=None, remaining_s=None, status=401)
    figure = figure_of(render_html(report))
    notes = [a["text"] for a in figure["layout"]["annotations"]]
    assert "the fake Zoom's journal was not read" in notes
    assert notes.count("no call returned a token") == 2  # validity and token rows


def test_the_page_loads_nothing_from_anywhere() -> None:
    page = render_html(sample())
    assert not re.search(r"<(script|link|img|iframe|source)\b[^>]*\b(src|href)=", page, re.I)
    assert "@import" not in page and "url(" not in renderer._asset("report.css")
    # plotly.js embedded exactly once.
    assert page.count("plotly.js (basic - minified)") == 1


# --- escaping and secrets -----------------------------------------------------------------


def _poisoned() -> dict[str, Any]:
    report = sample()
    report["target"] = f"https://x.example/cb?{PAYLOAD}"
    report["notes"] = [PAYLOAD]
    report["results"][0]["detail"] = PAYLOAD
    report["results"][0]["evidence"] = {"body": PAYLOAD}
    report["results"][0]["reproduce"] = f"curl '{PAYLOAD}'"
    report["causes"][0]["detail"] = PAYLOAD
    report["causes"][0]["evidence"] = {"body": PAYLOAD}
    calls = report["timeline"]["calls"]
    calls[0].update(label=PAYLOAD, error=PAYLOAD, body_hint=PAYLOAD, status=None)
    calls[1]["failed_rules"] = [PAYLOAD]
    event = report["timeline"]["zoom_events"][0]
    event.update(kind=PAYLOAD, error=PAYLOAD, reason=PAYLOAD)
    return report


def test_no_value_can_end_a_script_or_open_markup() -> None:
    page = render_html(_poisoned())
    # The three scripts of the page (plotly.js, the figure's JSON, the call that draws it),
    # and no fourth one opened or closed by a value.
    assert page.lower().count("<script") == 3
    assert page.lower().count("</script") == 3
    assert "<script>alert" not in page
    assert "<!--" not in page
    assert shown(PAYLOAD) in page  # shown as text in the sections


def test_the_figure_json_escapes_losslessly() -> None:
    figure = figure_of(render_html(_poisoned()))
    zoom = next(t for t in figure["data"] if t["uid"] == "zoom-ok")
    assert PAYLOAD in zoom["y"]  # a category shown exactly as the journal had it
    # Hover text is plotly's little HTML: values are escaped there, so a label is text.
    answers = [t for t in figure["data"] if t["uid"].startswith("answer-")]
    hover = "".join(text for t in answers for text in t["text"])
    assert html.escape(PAYLOAD, quote=False) in hover
    assert "<script" not in hover


def test_script_safe_json_keeps_the_value() -> None:
    value = {"a": "</script><!-- & \u2028\u2029 >"}
    safe = script_safe_json(json.dumps(value, ensure_ascii=False))
    assert not set("<>&\u2028\u2029") & set(safe)
    assert json.loads(safe) == value


def test_only_the_redacted_forms_the_report_holds_reach_the_page() -> None:
    token = zoom_token(validity=900)
    secret = "s3cr3t-Url-Value-0123456789abcdef"
    shown = redact_token(token)
    report = sample()
    report["target"] = "https://cb.example/token?key=***"
    report["results"][0]["evidence"] = {"token": shown, "url": report["target"]}
    report["results"][0]["reproduce"] = 'curl "https://cb.example/token?key=$KEY_SHA256_0A1B"'
    for call in report["timeline"]["calls"]:
        call["token"] = shown
    for event in report["timeline"]["zoom_events"]:
        event["issued_access_token"] = shown
    page = render_html(report)
    assert shown.split(" ")[0] in page  # the redacted form is shown...
    assert token not in page  # ...never the token, nor any whole part of it
    for part in token.split("."):
        assert part not in page
    assert not re.search(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.", page)
    assert secret not in page


# --- size ---------------------------------------------------------------------------------


def test_an_hour_at_5_s_stays_under_2_mb() -> None:
    page = render_html(sample(720, 5.0)).encode()
    data = len(page) - BUNDLE.stat().st_size
    # Measured: 1.28 MB, of which 1.12 MB is plotly.js and 0.16 MB the page and its data.
    assert len(page) < 2_000_000
    assert data < 400_000, f"{data} bytes besides plotly.js for 720 calls"


def test_per_call_data_grows_linearly_and_compactly() -> None:
    small, large = (len(render_html(sample(n, 5.0)).encode()) for n in (360, 720))
    assert (large - small) / 360 < 300  # bytes per call across all four rows


def test_every_call_is_a_point_in_the_figure() -> None:
    report = sample(720, 5.0)
    _, data = figure_json(report["timeline"])
    assert data.points == expected_points(report["timeline"])


def expected_points(timeline: dict[str, Any]) -> dict[str, int]:
    """What each trace must draw, counted from the timeline independently of the renderer."""
    calls, events = timeline["calls"], timeline["zoom_events"]
    verdicts = Counter(
        "fail" if c["failed_rules"] else "warn" if c["warned_rules"] else "pass" for c in calls
    )
    served = [c["token_id"] for c in calls if c["token_id"]]
    rotations = sum(1 for a, b in itertools.pairwise(served) if a != b)
    counts = {f"answer-{verdict}": n for verdict, n in verdicts.items() if n}
    counts |= {
        "validity": sum(c["remaining_s"] is not None for c in calls),
        "token": len(served),
        **({"rotation": rotations} if rotations else {}),
    }
    counts |= {f"zoom-{k}": n for k, n in Counter(e["outcome"] for e in events).items()}
    return {uid: n for uid, n in counts.items() if n}


# --- the bundle ---------------------------------------------------------------------------


def test_the_bundle_is_plotly_basic_of_the_major_the_plotly_package_targets() -> None:
    import plotly.offline  # type: ignore[import-untyped]

    head = BUNDLE.read_text(encoding="utf-8")[:300]
    ours = re.search(r"plotly\.js \(basic - minified\) v(\d+)\.", head)
    theirs = re.search(r"plotly\.js v(\d+)\.", plotly.offline.get_plotlyjs()[:300])
    assert ours and theirs and ours.group(1) == theirs.group(1)


def test_the_bundle_holds_nothing_that_ends_its_script() -> None:
    code = BUNDLE.read_text(encoding="utf-8")
    assert "</script" not in code.lower() and "<!--" not in code
    assert renderer._plotly_js() == code


# --- the writer ---------------------------------------------------------------------------


def test_writer_creates_directories_and_says_where(tmp_path: Path) -> None:
    said: list[str] = []
    target = tmp_path / "new" / "dir" / "report.html"
    write_html(sample(5), target, say=said.append)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert said == [f"Wrote HTML report to {target}"]
    assert target.stat().st_mode & 0o777 == 0o644 & ~_umask()  # not mkstemp's 0600


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_a_failed_render_leaves_the_previous_report_and_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("previous")

    def broken() -> str:
        raise RuntimeError("renderer bug")

    with pytest.raises(RuntimeError):
        write_report(target, broken, kind="HTML")
    assert target.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_a_failed_write_deletes_the_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.html"

    def refuse(source: object, destination: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        write_report(target, lambda: "x" * 1000, kind="HTML")
    assert list(tmp_path.iterdir()) == []


# --- a real browser -----------------------------------------------------------------------


@pytest.mark.parametrize(("calls", "interval"), [(60, 40.0), (720, 5.0)])
def test_chromium_draws_every_point_of_every_chart(
    browser: str, tmp_path: Path, calls: int, interval: float
) -> None:
    report = sample(calls, interval)
    page = tmp_path / "report.html"
    write_html(report, page)
    dom, log = open_in_chromium(browser, page, tmp_path)
    assert "Uncaught" not in log, log
    expected = expected_points(report["timeline"])
    assert drawn_points(dom) == expected
    # One time axis: every call is on the answer, validity and token rows.
    assert sum(n for uid, n in expected.items() if uid.startswith("answer-")) == calls
    assert expected["validity"] == expected["token"] == calls
    assert expected.get("rotation", 0) >= 1 and expected["zoom-ok"] >= 1


def test_chromium_draws_a_timeline_from_journal_like_points(browser: str, tmp_path: Path) -> None:
    """Refused calls without a token, a rejected refresh and a fault, built from the
    timeline's own types: every row still draws what it has."""
    calls = [
        CallPoint(
            index=i,
            at=1_767_261_600.0 + i,
            answer_s=5.0 if i % 4 == 0 else 0.2,
            status=None if i % 4 == 0 else 401,
            error="deadline-before-headers" if i % 4 == 0 else None,
            body_kind="none" if i % 4 == 0 else "other",
            token=None,
            token_id=None,
            remaining_s=None,
            issuer=None,
            user_id=None,
            failed_rules=("contract.status-2xx",),
            warned_rules=(),
            signed=False,
        )
        for i in range(12)
    ]
    events = [
        ZoomEventPoint(seq=1, at=1_767_261_601.0, kind="refresh", outcome="rejected", status=400),
        ZoomEventPoint(seq=2, at=1_767_261_605.0, kind="fault", outcome="fault", fault="http-500"),
    ]
    report = sample(5)
    report["timeline"] = Timeline(tuple(calls), tuple(events), zoom_observed=True).to_json()
    page = tmp_path / "report.html"
    write_html(report, page)
    dom, log = open_in_chromium(browser, page, tmp_path)
    assert "Uncaught" not in log, log
    assert drawn_points(dom) == {"answer-fail": 12, "zoom-rejected": 1, "zoom-fault": 1}


def test_the_screenshot_script_writes_a_png(browser: str, tmp_path: Path) -> None:
    png = tmp_path / "shot.png"
    assert SCRIPT.main(["--out", str(png), "--calls", "120"]) == 0
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == SCRIPT.WINDOW


# --- check --report-html and the plugin's --callback-report-html ------------------------------


def _check(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recall_sim", "check", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd,
    )


def test_check_writes_the_html_report_of_its_json_report(
    serve_flawed: Callable[..., str], tmp_path: Path
) -> None:
    url = callback_url(serve_flawed(None))
    json_path, html_path = tmp_path / "r.json", tmp_path / "html" / "r.html"
    done = _check(
        url, "--rule", "contract", "--report-json", str(json_path), "--report-html", str(html_path)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Wrote HTML report to {html_path}" in done.stdout
    data = json.loads(json_path.read_text())
    page = html_path.read_text(encoding="utf-8")
    for result in data["results"]:
        assert f'id="rule-{result["rule"]}"' in page
    assert "No cause found" in page or "No causes recorded" in page  # a correct callback
    for secret in SECRETS.values():
        assert secret not in page
    assert not re.search(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.", page)


def test_check_refuses_a_bad_html_path_before_calling_the_target(tmp_path: Path) -> None:
    done = _check("http://127.0.0.1:9/cb?auth_token=hunter2hunter2", "--report-html", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "--report-html" in done.stderr and "is a directory" in done.stderr
    assert "unreachable" not in done.stderr
    same = str(tmp_path / "report")
    done = _check("http://127.0.0.1:9/cb", "--report-json", same, "--report-html", same)
    assert done.returncode == 2
    assert "--report-json and --report-html both name" in done.stderr


def test_the_plugin_refuses_a_bad_html_path_at_configure_time(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--callback-url",
            "http://127.0.0.1:9/cb",
            "--callback-report-html",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert "--callback-report-html" in done.stderr and "is a directory" in done.stderr
