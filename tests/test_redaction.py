"""Secrets are shown as prefix, suffix and fingerprint; URLs with their secrets masked."""

from __future__ import annotations

from recall_sim.simulator.redaction import (
    fingerprint,
    mask_headers,
    mask_url,
    redact_text,
    redact_token,
)
from tests.support.tokens import zoom_token


def test_token_shows_prefix_suffix_and_fingerprint_only():
    token = zoom_token()
    shown = redact_token(token)
    assert token not in shown
    assert shown.startswith(token[:8]) and token[-4:] in shown
    assert fingerprint(token) in shown
    assert redact_token(token, show=True) == token


def test_short_secret_shows_no_characters():
    assert "abc" not in redact_token("abcdefghij")


def test_url_masks_secret_looking_parameters_and_keeps_the_rest():
    url = "https://cb.example/zoom?user-id=0001&auth_token=supersecrettoken&sig=abc123&lang=en"
    masked = mask_url(url)
    assert "supersecrettoken" not in masked and "abc123" not in masked
    assert "user-id=0001" in masked and "lang=en" in masked
    assert mask_url(url, show=True) == url


def test_url_masks_named_parameters_and_random_path_segments():
    url = "https://cb.example/u/42/k9Fq2LmXv8RtYp3Wz7Hs5Jd1/token?who=amy"
    masked = mask_url(url, secret_params=["who"])
    assert "amy" not in masked and "k9Fq2LmXv8RtYp3Wz7Hs5Jd1" not in masked
    assert "/u/42/" in masked
    by_index = mask_url("https://cb.example/user/secretvalue", secret_path_segments=[1])
    assert by_index == "https://cb.example/user/***"


def test_url_masks_userinfo():
    assert "hunter2" not in mask_url("https://amy:hunter2@cb.example/x")


def test_text_redacts_whole_and_truncated_jwts_and_named_secrets():
    token = zoom_token()
    text = f"error for {token} and half {token[:120]} with secret sekrit-value"
    shown = redact_text(text, secrets=["sekrit-value"])
    assert token not in shown and token[:120] not in shown and "sekrit-value" not in shown


def test_headers_redact_credentials():
    shown = mask_headers({"Authorization": "Token abcdefghijklmnopqrstuvwxyz", "X-Ok": "fine"})
    assert "abcdefghijklmnopqrstuvwxyz" not in shown["Authorization"]
    assert shown["X-Ok"] == "fine"
