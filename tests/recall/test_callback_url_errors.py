"""The fake Recall never answers 500 for a callback URL nobody can call (issue 11): the form
refuses what it cannot parse, and what it lets through the prober classifies, never raises."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("url", "words"),
    [
        # The form's own check refuses these (DRF's wording).
        ("http://[::1/cb", None),
        ("http://[zz]/cb", None),
        # These parse, so the prober is called and refuses them itself.
        ("http://cb..example/cb", "empty label"),
        ("http://cb.example/\x01", "U+0001"),
    ],
)
def test_an_uncallable_callback_url_is_a_400_not_a_500(
    api: httpx.Client, app_id: str, url: str, words: str | None
) -> None:
    response = api.post(
        "/zoom-oauth-credentials/", json={"oauth_app": app_id, "access_token_callback_url": url}
    )
    assert response.status_code == 400, response.text
    if words is None:
        assert response.json() == {"access_token_callback_url": ["Enter a valid URL."]}
    else:
        detail = response.json()["detail"]
        assert "invalid-url" in detail and words in detail
