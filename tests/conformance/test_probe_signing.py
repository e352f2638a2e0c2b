"""``probe --signing-secret`` signs like Recall, and an unsigned 401/403 points at the secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from recall_sim.conformance.report import Report
from recall_sim.simulator.cli import main
from recall_sim.simulator.rules import Outcome
from recall_sim.simulator.signing import SIGNATURE_HINT
from tests.conformance.conftest import SIGNING_SECRET, verdict
from tests.support.flawed_callback import SECRETS, callback_url
from tests.support.tokens import USER_ID


@pytest.fixture(autouse=True)
def no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where no recall-sim.toml can be discovered, with no RECALL_SIM_* set."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)


def _probe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["probe", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_probe_signs_the_get_with_the_flag(
    serve_flawed: Callable[..., str], capsys: pytest.CaptureFixture[str]
):
    url = callback_url(serve_flawed(None, signing_secret=SIGNING_SECRET))
    code, out, _ = _probe(capsys, url, "--signing-secret", SIGNING_SECRET)
    assert code == 0, out
    assert "accepted by Recall's rules" in out
    assert "webhook-signature" in out  # the reproduction carries the signed headers
    assert SIGNING_SECRET not in out
    assert SIGNATURE_HINT not in out


def test_probe_signs_with_the_secret_from_the_environment(
    serve_flawed: Callable[..., str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
):
    url = callback_url(serve_flawed(None, signing_secret=SIGNING_SECRET))
    monkeypatch.setenv("RECALL_SIM_URL", url)
    monkeypatch.setenv("RECALL_SIM_SIGNING_SECRET", SIGNING_SECRET)
    code, out, _ = _probe(capsys, "--json")
    assert code == 0
    report = json.loads(out)
    assert "hint" not in report
    assert SECRETS[USER_ID] not in out


def test_an_unsigned_refusal_says_the_signature_may_be_required(
    serve_flawed: Callable[..., str], capsys: pytest.CaptureFixture[str]
):
    url = callback_url(serve_flawed(None, signing_secret=SIGNING_SECRET))
    code, out, _ = _probe(capsys, url)
    assert code == 1
    assert "HTTP 401" in out or "401" in out
    assert out.rstrip().endswith(f"Hint: {SIGNATURE_HINT}")
    code, out, _ = _probe(capsys, url, "--json")
    assert code == 1 and json.loads(out)["hint"] == SIGNATURE_HINT


def test_a_signed_refusal_gets_no_signature_hint(
    serve_flawed: Callable[..., str], capsys: pytest.CaptureFixture[str]
):
    other = "whsec_" + "QW5vdGhlci1zZWNyZXQtb2YtMjRi"  # a valid secret, not the callback's
    url = callback_url(serve_flawed(None, signing_secret=SIGNING_SECRET))
    code, out, _ = _probe(capsys, url, "--signing-secret", other)
    assert code == 1
    assert SIGNATURE_HINT not in out


def test_a_malformed_signing_secret_is_one_line_without_the_value(
    capsys: pytest.CaptureFixture[str],
):
    with pytest.raises(SystemExit) as exited:
        main(["probe", "http://127.0.0.1:9/cb", "--signing-secret", "whsecret-hunter2hunter2"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "recall-sim probe: error: --signing-secret is malformed: "
        "a signing secret starts with 'whsec_' followed by base64"
    ]


def test_check_names_the_signature_in_the_failed_rule(
    serve_flawed: Callable[..., str], run_suite: Callable[..., Report]
):
    url = callback_url(serve_flawed(None, signing_secret=SIGNING_SECRET))
    report = run_suite(url, rules=("contract.status-2xx",))
    status = verdict(report, "contract.status-2xx")
    assert status.outcome is Outcome.FAIL
    assert status.detail.endswith(SIGNATURE_HINT)
    assert status.fix.startswith(SIGNATURE_HINT)
    assert SIGNATURE_HINT in status.explain()
    assert status.to_json()["fix"].startswith(SIGNATURE_HINT)


def test_check_with_the_secret_passes_and_says_nothing_of_it(
    serve_flawed: Callable[..., str], run_suite: Callable[..., Report]
):
    url = callback_url(serve_flawed(None, signing_secret=SIGNING_SECRET))
    report = run_suite(url, rules=("contract.status-2xx",), signing_secret=SIGNING_SECRET)
    assert verdict(report, "contract.status-2xx").outcome is Outcome.PASS


def test_a_refusal_for_a_wrong_url_secret_also_hints_when_unsigned(
    serve_flawed: Callable[..., str], run_suite: Callable[..., Report]
):
    # Unsigned and refused: the signature may be why, so the hint is given; a signed
    # run refused for its URL gets the catalog's fix alone.
    base = serve_flawed(None)
    wrong = callback_url(base).replace(SECRETS[USER_ID], "not-the-secret-000000000")
    unsigned = verdict(run_suite(wrong, rules=("contract.status-2xx",)), "contract.status-2xx")
    assert SIGNATURE_HINT in unsigned.detail
    signed = verdict(
        run_suite(wrong, rules=("contract.status-2xx",), signing_secret=SIGNING_SECRET),
        "contract.status-2xx",
    )
    assert signed.outcome is Outcome.FAIL and SIGNATURE_HINT not in signed.detail + signed.fix
