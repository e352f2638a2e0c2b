"""The HTTP boundary: authentication, DRF error shapes, body parsing and its limits."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from recall_sim.simulator.serving import ThreadedServer
from tests.recall.conftest import API_KEY
from tests.support.tokens import CLIENT_ID

APP_BODY = {
    "kind": "user_level",
    "client_id": CLIENT_ID,
    "client_secret": "dummy",
    "webhook_secret": "dummy",
}


@pytest.fixture
def anonymous(server: ThreadedServer) -> httpx.Client:
    return httpx.Client(base_url=server.url + "/api/v2", timeout=10)


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "Authentication credentials were not provided."),
        ("", "Authentication credentials were not provided."),
        ("Bearer " + API_KEY, "Authentication credentials were not provided."),
        ("Token", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
        ("Token wrong-key", "Invalid token."),
        ("wrong-key", "Invalid token."),
        ("Token " + API_KEY.upper(), "Invalid token."),
    ],
)
def test_authentication_failures_answer_drf_401(
    anonymous: httpx.Client, header: str | None, detail: str
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = anonymous.get("/zoom-oauth-apps/", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}
    assert response.headers["www-authenticate"] == "Token"


@pytest.mark.parametrize("header", [f"Token {API_KEY}", f"token {API_KEY}", API_KEY])
def test_token_scheme_and_bare_key_are_accepted(anonymous: httpx.Client, header: str) -> None:
    response = anonymous.get("/zoom-oauth-apps/", headers={"Authorization": header})
    assert response.status_code == 200
    assert response.json() == {"next": None, "previous": None, "results": []}


def test_authentication_is_checked_before_the_id(anonymous: httpx.Client) -> None:
    assert anonymous.get(f"/zoom-oauth-apps/{uuid.uuid4()}/").status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/zoom-oauth-apps/not-a-uuid/",
        # Fixed ids: parallel workers must collect the same test ids.
        "/zoom-oauth-apps/5b0f7e64-1d0a-4c55-9c0e-2f3a61c8d9b1/",
        "/zoom-oauth-credentials/0e9d2c51-7a4b-4f6e-8d3c-b1a2f4e5c6d7/",
        "/zoom-oauth-credentials/%00/access-token/",
        "/no-such-endpoint/",
    ],
)
def test_unknown_ids_and_paths_answer_drf_404(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_unsupported_method_answers_drf_405(api: httpx.Client) -> None:
    response = api.put("/zoom-oauth-apps/", json=APP_BODY)
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.'}


def test_missing_trailing_slash_redirects_to_the_slashed_path(api: httpx.Client) -> None:
    response = api.get("/zoom-oauth-apps")
    assert response.status_code in (301, 307, 308)
    assert response.headers["location"].endswith("/api/v2/zoom-oauth-apps/")


def test_seed_curl_example_trailing_comma_gets_a_400_naming_the_json_error(
    api: httpx.Client, app_id: str
) -> None:
    # The body exactly as the seed page's curl example sends it, trailing comma included.
    body = (
        f'{{\n    "oauth_app": "{app_id}",\n    "access_token_callback_url": "YOUR-URL-HERE",\n  }}'
    )
    response = api.post(
        "/zoom-oauth-credentials/",
        content=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    # The parser's own wording and position differ between Python versions (3.13 points at
    # the comma, 3.11 at the brace after it): the answer carries this interpreter's.
    with pytest.raises(json.JSONDecodeError) as parsed:
        json.loads(body)
    assert parsed.value.lineno in (3, 4)
    assert response.json()["detail"] == f"JSON parse error - {parsed.value}"


def test_seed_curl_example_with_the_comma_removed_reaches_validation(
    api: httpx.Client, app_id: str
) -> None:
    body = {"oauth_app": app_id, "access_token_callback_url": "YOUR-URL-HERE"}
    response = api.post("/zoom-oauth-credentials/", json=body)
    assert response.status_code == 400
    assert response.json() == {"access_token_callback_url": ["Enter a valid URL."]}


def test_field_errors_are_all_reported_drf_style(api: httpx.Client) -> None:
    response = api.post(
        "/zoom-oauth-apps/",
        json={"kind": "team_level", "client_id": "x" * 201, "client_secret": None, "extra": 1},
    )
    assert response.status_code == 400
    assert response.json() == {
        "kind": ['"team_level" is not a valid choice.'],
        "client_id": ["Ensure this field has no more than 200 characters."],
        "client_secret": ["This field may not be null."],
        "webhook_secret": ["This field is required."],
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("   ", "This field may not be blank."),
        ({"a": 1}, "Not a valid string."),
        ([], "Not a valid string."),
        (True, "Not a valid string."),
        ("a\x00b", "Null characters are not allowed."),
    ],
)
def test_string_fields_reject_what_drf_rejects(
    api: httpx.Client, value: object, message: str
) -> None:
    response = api.post("/zoom-oauth-apps/", json={**APP_BODY, "client_id": value})
    assert response.status_code == 400
    assert response.json() == {"client_id": [message]}


def test_numbers_are_accepted_as_strings_and_whitespace_is_trimmed(api: httpx.Client) -> None:
    response = api.post("/zoom-oauth-apps/", json={**APP_BODY, "client_id": 12345})
    assert response.status_code == 201
    assert response.json()["client_id"] == "12345"
    response = api.post("/zoom-oauth-apps/", json={**APP_BODY, "client_id": "  padded  "})
    assert response.json()["client_id"] == "padded"


def test_form_and_multipart_bodies_are_accepted(api: httpx.Client) -> None:
    form = api.post("/zoom-oauth-apps/", data=APP_BODY)
    assert form.status_code == 201, form.text
    multipart = api.post(
        "/zoom-oauth-apps/", data=APP_BODY, files={"unrelated": ("a.txt", b"file body")}
    )
    assert multipart.status_code == 201, multipart.text
    assert multipart.json()["kind"] == "user_level"


def test_a_file_part_is_not_a_valid_string(api: httpx.Client) -> None:
    fields = {k: v for k, v in APP_BODY.items() if k != "client_id"}
    response = api.post("/zoom-oauth-apps/", data=fields, files={"client_id": ("id.txt", b"abc")})
    assert response.status_code == 400
    assert response.json() == {"client_id": ["Not a valid string."]}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "expected"),
    [
        (b"[1, 2]", "application/json", 400, "Expected a dictionary, but got list."),
        (b'"text"', "application/json", 400, "Expected a dictionary, but got str."),
        (b"\xff\xfe\xfa{", "application/json", 400, "JSON parse error"),
        (b"[" * 100_000, "application/json", 400, "JSON parse error"),
        (b"client_id=%FF", "application/x-www-form-urlencoded", 400, "Form parse error"),
        # python-multipart reads a truncated body as no fields at all.
        (b"--x\r\nbroken", "multipart/form-data; boundary=x", 400, "This field is required."),
        (b"multipart without boundary", "multipart/form-data", 400, "Multipart form parse error"),
        (b"kind=user_level", "text/plain", 415, 'Unsupported media type "text/plain"'),
    ],
)
def test_unparseable_bodies_get_4xx_naming_the_problem(
    api: httpx.Client, body: bytes, content_type: str, status: int, expected: str
) -> None:
    response = api.post("/zoom-oauth-apps/", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status, response.text
    assert expected in str(response.json())


def test_lone_surrogates_in_json_are_rejected_not_crashed_on(api: httpx.Client) -> None:
    body = json.dumps({**APP_BODY, "client_id": "\ud800x", "kind": "\udfff"}).encode()
    response = api.post(
        "/zoom-oauth-apps/", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    errors = response.json()
    assert errors["client_id"] == ["Not a valid string."]
    assert errors["kind"][0].endswith("is not a valid choice.")


def test_a_2mb_body_is_refused_with_413_and_a_3mb_one_too(api: httpx.Client) -> None:
    two_mb = json.dumps({**APP_BODY, "client_id": "x" * 2_000_000}).encode()
    response = api.post(
        "/zoom-oauth-apps/", content=two_mb, headers={"Content-Type": "application/json"}
    )
    # Under Django's 2.5 MB cap: parsed, then refused by the field's length rule.
    assert response.status_code == 400
    assert response.json() == {"client_id": ["Ensure this field has no more than 200 characters."]}
    three_mb = b'{"client_id": "' + b"x" * 3_000_000 + b'"}'
    response = api.post(
        "/zoom-oauth-apps/", content=three_mb, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "larger than 2621440 bytes" in response.json()["detail"]


def test_an_empty_body_reports_every_required_field(api: httpx.Client) -> None:
    response = api.post("/zoom-oauth-apps/")
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "client_id", "client_secret", "webhook_secret"}
