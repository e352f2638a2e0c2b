"""Whatever arrives at ``/oauth/token``, the answer is a success or a Zoom-shaped 4xx, never 5xx."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from recall_sim.simulator.app import Simulator, build_app
from recall_sim.simulator.zoom import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from tests.zoom.flows import authorize, onboard

FORM = "application/x-www-form-urlencoded"
PARAM_NAMES = [
    "grant_type",
    "code",
    "redirect_uri",
    "refresh_token",
    "client_id",
    "client_secret",
    "code_verifier",
]
GRANT_TYPES = ["authorization_code", "refresh_token", "password", "client_credentials", ""]
PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)

GOOD_BASIC = (
    "Basic " + base64.b64encode(f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}".encode()).decode()
)

param_names = st.one_of(st.sampled_from(PARAM_NAMES), st.text(max_size=20))
param_values = st.one_of(
    st.sampled_from(GRANT_TYPES),
    st.just("https://app.example/zoom/callback"),
    st.text(max_size=80),
)
# Mostly well-formed requests with a few odd parts, so that every branch is reached,
# plus wholly arbitrary ones.
forms = st.one_of(
    st.builds(
        lambda grant, extra: [("grant_type", grant), *extra],
        st.one_of(st.sampled_from(GRANT_TYPES), st.text(max_size=20)),
        st.lists(st.tuples(param_names, param_values), max_size=3),
    ),
    st.lists(st.tuples(param_names, param_values), max_size=8),
)
content_types = st.one_of(
    st.just(FORM),
    st.sampled_from(
        [FORM + "; charset=utf-8", "application/json", "text/plain", "multipart/form-data", None]
    ),
)
authorizations = st.one_of(
    st.just(GOOD_BASIC),
    st.none(),
    st.text(max_size=40).map(lambda s: "Basic " + base64.b64encode(s.encode()).decode()),
    PRINTABLE,
)


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[TestClient]:
    # Module-scoped: Hypothesis runs many examples against one app.
    with TestClient(build_app(Simulator.create())) as test_client:
        yield test_client


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    form=forms,
    raw=st.binary(max_size=300),
    query=st.lists(st.tuples(param_names, param_values), max_size=3),
    shape=st.sampled_from(["form", "form", "form", "raw body", "form and query"]),
    content_type=content_types,
    authorization=authorizations,
    real_code=st.booleans(),
    real_refresh=st.booleans(),
)
def test_token_endpoint_never_answers_5xx(
    fuzz_client: TestClient,
    form: list[tuple[str, str]],
    raw: bytes,
    query: list[tuple[str, str]],
    shape: str,
    content_type: str | None,
    authorization: str | None,
    real_code: bool,
    real_refresh: bool,
) -> None:
    if real_code:
        form = [*form, ("code", authorize(fuzz_client))]
    if real_refresh:
        form = [*form, ("refresh_token", onboard(fuzz_client)["refresh_token"])]
    body = raw if shape == "raw body" else urlencode(form).encode()
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if authorization is not None:
        headers["Authorization"] = authorization
    url = "/zoom/oauth/token"
    if shape == "form and query":
        url += "?" + urlencode(query)

    response = fuzz_client.post(url, content=body, headers=headers)
    event(
        f"{response.status_code} {response.json().get('error', 'ok')}"
    )  # --hypothesis-show-statistics

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"reason", "error"}
        assert response.json()["error"] in {
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unsupported_grant_type",
        }
    else:
        assert response.json()["token_type"] == "bearer"
