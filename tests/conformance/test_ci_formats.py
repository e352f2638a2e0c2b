"""``check --format github`` (workflow annotations) and the Markdown summary renderer."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

from recall_sim.conformance.renderers.github import (
    escape_data,
    escape_property,
    render_annotations,
)
from recall_sim.conformance.renderers.markdown import render_markdown, verdict_of
from tests.support.flawed_callback import SECRETS, callback_url
from tests.support.tokens import USER_ID


def _report(**summary: int) -> dict[str, Any]:
    return {
        "target": "http://127.0.0.1:1/cb?auth_token=***",
        "seed": 7,
        "duration_s": 1.5,
        "summary": {"pass": 1, "fail": 0, "warn": 0, "skip": 1, **summary},
        "causes": [],
        "notes": [],
        "results": [
            {"rule": "contract.status-2xx", "verdict": "pass", "title": "2xx", "detail": "200"},
            {"rule": "contract.expected-user", "verdict": "skip", "title": "U", "detail": "none"},
        ],
    }


def test_escaping_follows_githubs_rules() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a: b, c%") == "a%3A b%2C c%25"


def test_one_annotation_per_failed_or_warned_rule() -> None:
    report = _report(fail=1, warn=1)
    report["results"] += [
        {
            "rule": "auth.rejects-wrong-credential",
            "verdict": "fail",
            "title": "Wrong credentials, no token",
            "detail": "a changed secret still got a token\n::error::injected",
            "fix": "Compare the whole secret, 100% of it.",
        },
        {
            "rule": "hygiene.https",
            "verdict": "warn",
            "title": "https",
            "detail": "http",
            "fix": "TLS",
        },
    ]
    report["causes"] = [{"cause": "cause.x", "rules": ["auth.rejects-wrong-credential"]}]

    lines = render_annotations(report).splitlines()

    assert lines == [
        "::error title=recall-sim FAIL auth.rejects-wrong-credential%3A Wrong credentials%2C "
        "no token::a changed secret still got a token%0A::error::injected%0Acause: cause.x"
        "%0Afix: Compare the whole secret, 100%25 of it.",
        "::warning title=recall-sim WARN hygiene.https%3A https::http%0Afix: TLS",
    ]
    strict = render_annotations(report, strict=True).splitlines()
    assert [line.split(" ", 1)[0] for line in strict] == ["::error", "::error"]
    assert render_annotations(_report()) == ""


def test_check_format_github_prints_annotations(serve_flawed: Callable[..., str]) -> None:
    url = callback_url(serve_flawed("prefix-auth"), flaw="prefix-auth")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "recall_sim",
            "check",
            url,
            "--rule",
            "auth.rejects-wrong-credential",
            "--rule",
            "hygiene.https",
            "--seed",
            "3",
            "--format",
            "github",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 2
    assert annotations[0].startswith("::error title=recall-sim FAIL auth.rejects-wrong-credential")
    assert "fix: " in annotations[0]
    assert annotations[1].startswith("::warning title=recall-sim WARN hygiene.https")
    assert SECRETS[USER_ID] not in result.stdout
    assert "hygiene.https" in result.stdout.split("::", 1)[0]  # the table is still printed


def test_markdown_summary_has_verdict_causes_and_rows() -> None:
    report = _report(fail=1)
    report["results"].append(
        {
            "rule": "contract.plain-token-body",
            "verdict": "fail",
            "title": "Bare token",
            "detail": 'body is JSON | {"a": 1}\nsecond line',
            "fix": "Answer the token alone.",
        }
    )
    report["causes"] = [
        {
            "cause": "cause.empty-success",
            "title": "Empty success",
            "detail": "a 2xx with no token",
            "fix": "Answer 503",
            "rules": ["contract.plain-token-body"],
        }
    ]

    text = render_markdown(report)

    assert text.startswith("## ❌ recall-sim: the callback does not conform\n")
    assert "**1** passed, **1** failed, **0** warned, **1** skipped" in text
    assert "- **`cause.empty-success`** — Empty success" in text
    assert "  - explains: `contract.plain-token-body`" in text
    assert (
        '| `contract.plain-token-body` | ❌ FAIL | body is JSON \\| {"a": 1} second line '
        "| Answer the token alone. |" in text
    )
    assert "| `contract.expected-user` | ⏭️ SKIP | none |  |" in text


def test_the_overall_verdict() -> None:
    assert verdict_of(_report()) == "pass"
    assert verdict_of(_report(warn=1)) == "warn"
    assert verdict_of(_report(warn=1), strict=True) == "fail"
    assert verdict_of(_report(fail=2, warn=1)) == "fail"
    assert "warnings fail (strict)" in render_markdown(_report(warn=1), strict=True)
