"""HTTP methods as DRF answers them: ``OPTIONS`` describes the endpoint (200, metadata,
``Allow``), ``HEAD`` is ``GET`` without the body, and a method the endpoint lacks
answers 405 with ``Allow`` once authenticated (401 before)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from recall_sim.simulator.serving import ThreadedServer
from tests.recall.conftest import API_KEY

PARSES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data"]
ALLOW = {
    "/zoom-oauth-apps/": "GET, POST, HEAD, OPTIONS",
    "/zoom-oauth-apps/{id}/": "GET, PATCH, DELETE, HEAD, OPTIONS",
    "/zoom-oauth-credentials/": "GET, POST, HEAD, OPTIONS",
    "/zoom-oauth-credentials/{id}/": "GET, DELETE, HEAD, OPTIONS",
    "/zoom-oauth-credentials/{id}/access-token/": "GET, HEAD, OPTIONS",
    "/zoom-oauth-credentials/{id}/validate/": "POST, OPTIONS",
    "/zoom-oauth-credential-logs/": "GET, HEAD, OPTIONS",
    "/zoom-oauth-app-logs/": "GET, HEAD, OPTIONS",
}


@pytest.fixture
def anonymous(server: ThreadedServer) -> httpx.Client:
    return httpx.Client(base_url=server.url + "/api/v2", timeout=10)


def _path(template: str) -> str:
    return template.replace("{id}", str(uuid.uuid4()))  # no such record: DRF does not look


@pytest.mark.parametrize(("template", "allow"), ALLOW.items())
def test_options_answers_drf_metadata_and_allow(
    api: httpx.Client, template: str, allow: str
) -> None:
    response = api.options(_path(template))
    assert response.status_code == 200, response.text
    assert response.headers["allow"] == allow
    body = response.json()
    assert set(body) >= {"name", "description", "renders", "parses"}
    assert body["renders"] == ["application/json"]
    assert body["parses"] == PARSES
    # Only the endpoints that create describe what a POST takes.
    assert ("actions" in body) == (template in ("/zoom-oauth-apps/", "/zoom-oauth-credentials/"))


def test_options_on_the_apps_list_describes_the_create_fields(api: httpx.Client) -> None:
    post = api.options("/zoom-oauth-apps/").json()["actions"]["POST"]
    assert post["kind"] == {
        "type": "choice",
        "required": True,
        "read_only": False,
        "label": "Kind",
        "choices": [
            {"value": "user_level", "display_name": "User level"},
            {"value": "account_level", "display_name": "Account level"},
        ],
    }
    assert post["client_id"]["max_length"] == 200
    assert post["id"]["read_only"] is True
    required = {name for name, field in post.items() if field["required"]}
    assert required == {"kind", "client_id", "client_secret", "webhook_secret"}


def test_options_on_the_credentials_list_names_both_kinds_of_credential(
    api: httpx.Client,
) -> None:
    post = api.options("/zoom-oauth-credentials/").json()["actions"]["POST"]
    required = {name for name, field in post.items() if field["required"]}
    assert required == {"oauth_app"}  # and exactly one of the two below
    assert post["access_token_callback_url"]["type"] == "url"
    assert post["authorization_code"]["type"] == "nested object"


@pytest.mark.parametrize("header", [None, "Token wrong-key"])
def test_options_needs_the_key_like_every_other_method(
    anonymous: httpx.Client, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = anonymous.options("/zoom-oauth-apps/", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Token"


def test_head_is_get_without_the_body(api: httpx.Client, app_id: str) -> None:
    got = api.get(f"/zoom-oauth-apps/{app_id}/")
    head = api.head(f"/zoom-oauth-apps/{app_id}/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == "application/json"
    listed = api.head("/zoom-oauth-apps/")
    assert listed.status_code == 200
    assert listed.content == b""
    assert api.head(f"/zoom-oauth-apps/{uuid.uuid4()}/").status_code == 404


def test_head_is_refused_where_there_is_no_get(api: httpx.Client) -> None:
    response = api.head(f"/zoom-oauth-credentials/{uuid.uuid4()}/validate/")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST, OPTIONS"


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("PUT", "/zoom-oauth-apps/"),
        ("DELETE", "/zoom-oauth-apps/"),
        ("PUT", "/zoom-oauth-apps/{id}/"),
        ("POST", "/zoom-oauth-credentials/{id}/"),
        ("PATCH", "/zoom-oauth-credentials/{id}/"),
        ("GET", "/zoom-oauth-credentials/{id}/validate/"),
        ("POST", "/zoom-oauth-app-logs/"),
        ("TRACE", "/zoom-oauth-credential-logs/"),
    ],
)
def test_a_missing_method_answers_405_with_every_allowed_method(
    api: httpx.Client, method: str, template: str
) -> None:
    response = api.request(method, _path(template))
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}
    assert response.headers["allow"] == ALLOW[template]


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("Token wrong-key", "Invalid token."),
    ],
)
def test_a_missing_method_is_authenticated_first_as_drf_does(
    anonymous: httpx.Client, header: str | None, detail: str
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = anonymous.put("/zoom-oauth-apps/", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert anonymous.put("/zoom-oauth-apps/", headers={"Authorization": API_KEY}).status_code == 405
