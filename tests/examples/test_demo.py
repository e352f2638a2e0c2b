"""``make demo`` end to end: every rule of each checked kind (access-token, obf) exercised
against the reference, nothing failed, nothing skipped but the other kinds' rules, no
secret printed, and nothing left running (also after Ctrl-C)."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from examples.demo import EXPECTED_WARNINGS
from recall_sim.simulator.kinds import TokenKind, applies
from recall_sim.simulator.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.py"

pytestmark = pytest.mark.slow


def ports_in(output: str) -> set[int]:
    return {int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)", output)}


def is_listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_make_demo_passes_every_rule_with_no_skips(tmp_path: Path):
    report_path = tmp_path / "report.json"
    obf_report = tmp_path / "report-obf.json"
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, str(DEMO), "--report-json", str(report_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    took = time.monotonic() - started
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-4000:]
    assert took < 240, f"the demo took {took:.0f} s"

    # Both checks: the access-token callback, then the same user's OBF callback. Every
    # rule of the kind is exercised; only the rules of other kinds skip.
    for path, kind in ((report_path, TokenKind.ACCESS_TOKEN), (obf_report, TokenKind.OBF)):
        report = json.loads(path.read_text())
        assert report["kind"] == kind.value
        verdicts = {r["rule"]: r["verdict"] for r in report["results"]}
        assert set(verdicts) == set(RULES)
        assert report["summary"]["fail"] == 0, kind
        skipped = {rule for rule, verdict in verdicts.items() if verdict == "skip"}
        assert skipped == {r for r in RULES if not applies(r, kind)}, (kind, skipped)
        warned = {rule for rule, verdict in verdicts.items() if verdict == "warn"}
        assert warned <= set(EXPECTED_WARNINGS), (kind, warned)
    assert "recall-sim check --kind obf exited 0" in output
    # The demo shows the way the README recommends: secrets in the environment, not argv.
    assert output.count("RECALL_SIM_SIGNING_SECRET=whsec_***") == 2
    assert "refresh tokens used twice: 0" in output
    # The fake Recall used each user's token on Zoom: 2 scheduled meetings + the PMI.
    assert output.count("meeting sync completed: 3 meetings mapped") == 2, output[-4000:]

    # Generated secrets appear only as fingerprints, callback secrets only masked.
    assert not re.search(r"whsec_(?!\*\*\*)[A-Za-z0-9+/=]{8,}", output)
    assert not re.search(r"auth_token=(?!\*\*\*)[^\s&'\"]+", output)
    assert not re.search(r"\b[0-9a-f]{40}\b", output)  # the Recall API key's shape
    assert not re.search(r"eyJ[\w-]{20,}\.[\w-]{20,}\.[\w-]{20,}", output)  # a whole JWT

    ports = ports_in(completed.stdout)
    assert len(ports) >= 2
    assert not any(is_listening(port) for port in ports)


def test_ctrl_c_stops_everything_the_demo_started():
    process = subprocess.Popen(
        [sys.executable, str(DEMO)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if line.startswith("[3/6]") or not line:
                break
        assert any(line.startswith("[2/6]") for line in lines), "".join(lines)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 130, "".join(lines) + rest
    ports = ports_in("".join(lines))
    assert len(ports) >= 2
    assert not any(is_listening(port) for port in ports)
