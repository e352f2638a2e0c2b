"""Settings: from the environment, secrets only there, every bad value named."""

from __future__ import annotations

import pytest

from examples.reference_callback import Settings, SettingsError
from examples.reference_callback.cli import main

BASE = {
    "ZOOM_CLIENT_ID": "cid",
    "ZOOM_CLIENT_SECRET": "csecret",
    "CALLBACK_PUBLIC_BASE_URL": "https://callbacks.example.com/",
}


def test_environment_gives_every_setting_and_flags_override_it():
    settings = Settings.from_env(
        {**BASE, "ZOOM_REFRESH_MARGIN": "600", "CALLBACK_PORT": "9000", "RECALL_API_KEY": "k"},
        port=9100,
    )
    assert (settings.refresh_margin, settings.port) == (600.0, 9100)
    assert settings.redirect_uri == "https://callbacks.example.com/zoom/oauth-callback"
    assert settings.callback_base == "https://callbacks.example.com/zoom/access-token"
    assert settings.registers_with_recall
    assert "csecret" not in repr(settings) and "'k'" not in repr(settings)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"ZOOM_CLIENT_SECRET": ""}, "ZOOM_CLIENT_SECRET is required"),
        (
            {"CALLBACK_PUBLIC_BASE_URL": "callbacks.example.com"},
            "CALLBACK_PUBLIC_BASE_URL must be an http(s) URL",
        ),
        ({"ZOOM_API_BASE": "https://api.zoom.us/v2?x=1"}, "no query"),
        ({"ZOOM_TIMEOUT": "6"}, "ZOOM_TIMEOUT must be at most 4 s"),
        ({"ZOOM_REFRESH_MARGIN": "soon"}, "ZOOM_REFRESH_MARGIN must be a number"),
        ({"RECALL_VERIFICATION_SECRET": "not-whsec"}, "whsec_"),
        ({"RECALL_VERIFICATION_SECRET": "whsec_c2hvcnQ="}, "too short"),
    ],
)
def test_a_bad_setting_is_named(changes: dict[str, str], words: str):
    with pytest.raises(SettingsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env({**BASE, **changes})


def test_the_command_exits_2_with_the_reason(monkeypatch, capsys):
    for name in ("ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "CALLBACK_PUBLIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert main([]) == 2
    assert "ZOOM_CLIENT_ID is required" in capsys.readouterr().err
