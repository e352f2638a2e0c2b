"""No request, however malformed, gets a 5xx: Hypothesis drives every operation of the fake
Recall's own OpenAPI schema with valid, wrong-typed and garbage inputs, and checks that each
answer is declared for that operation and has the declared shape."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote, urlencode

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recall_sim.simulator.recall import AppKind, AppQuery, FakeRecall, RecallSettings
from recall_sim.simulator.recall.api import build_recall_api
from recall_sim.simulator.recall.api import schemas as response_models
from tests.support.mock_network import good_token_network
from tests.support.tokens import CLIENT_ID

KEY = "fuzz-key-0123456789"


# Every callback URL answers a good token at once (no sockets, no waiting).
FAKE = FakeRecall(
    settings=RecallSettings(api_key=KEY, poll_interval=0, page_size=3),
    network=good_token_network(),
)
API = build_recall_api(FAKE)
CLIENT = TestClient(API, raise_server_exceptions=False)
SCHEMA = API.openapi()
OPERATIONS = [
    (path, method, operation)
    for path, operations in SCHEMA["paths"].items()
    for method, operation in operations.items()
]
# Stand-ins for the ids of an app and a credential that exist when the request is sent
# (examples delete them; `_existing` recreates them).
APP, CREDENTIAL = "@app", "@credential"


def _existing() -> dict[str, str]:
    apps = FAKE.list_apps(AppQuery(client_id=CLIENT_ID, kind=AppKind.USER_LEVEL)).items
    app = apps[0] if apps else FAKE.create_app(client_id=CLIENT_ID)
    credentials = FAKE.list_credentials().items
    if credentials:
        credential = credentials[0]
    else:
        credential = FAKE.create_credential(
            oauth_app=app.id, access_token_callback_url="https://cb.example/x?auth_token=s"
        ).credential
    return {APP: str(app.id), CREDENTIAL: str(credential.id)}


def _resolve(value: Any, known: dict[str, str]) -> Any:
    if isinstance(value, str):
        for stand_in, real in known.items():
            value = value.replace(stand_in, real)
        return value
    if isinstance(value, list):
        return [_resolve(v, known) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, known) for k, v in value.items()}
    return value


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
ids = st.sampled_from([APP, CREDENTIAL, APP, CREDENTIAL, str(uuid.uuid4())]) | st.text(max_size=40)
plausible = (
    ids
    | st.sampled_from(["user_level", "account_level", "healthy", "unhealthy", "not_started", ""])
    | st.sampled_from(["https://cb.example/a?auth_token=x", "http://127.0.0.1:1/", "ftp://x/"])
    | st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-01", "0001-01-01T00:00:00+14:00"])
)
field_values = plausible | json_values
VALID_BODIES: dict[str, dict[str, Any]] = {
    "AppCreateIn": {
        "kind": "user_level",
        "client_id": CLIENT_ID,
        "client_secret": "s",
        "webhook_secret": "w",
    },
    "AppUpdateIn": {"client_secret": "new"},
    "CredentialCreateIn": {"oauth_app": APP, "access_token_callback_url": "https://cb.example/b"},
}
garbage_auth = st.text(max_size=20).filter(str.isascii)
authorizations = st.integers(0, 9).flatmap(
    lambda n: garbage_auth if n == 0 else st.sampled_from([f"Token {KEY}", KEY])
)


@st.composite
def bodies(draw: st.DrawFn, schema: dict[str, Any]) -> dict[str, Any]:
    """A valid body with one field changed, removed or added, or fields at random."""
    if draw(st.booleans()):
        body = dict(VALID_BODIES[schema["title"]])
        name = draw(st.sampled_from(sorted(schema["properties"])))
        action = draw(st.sampled_from(["keep", "replace", "remove", "add"]))
        if action == "replace":
            body[name] = draw(field_values)
        elif action == "remove":
            body.pop(name, None)
        elif action == "add":
            body[draw(st.text(max_size=10))] = draw(json_values)
        return body
    fields = {name: draw(field_values) for name in schema["properties"] if draw(st.booleans())}
    fields.update(draw(st.dictionaries(st.text(max_size=10), json_values, max_size=2)))
    return fields


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """(method, url with stand-in ids, httpx request kwargs, the operation)."""
    path, method, operation = draw(st.sampled_from(OPERATIONS))
    if "{id}" in path:
        path = path.replace("{id}", quote(draw(ids), safe="@"))
    params = {
        p["name"]: str(draw(plausible))
        for p in operation.get("parameters", [])
        if p["in"] == "query" and draw(st.booleans())
    }
    headers = {"Authorization": draw(authorizations)}
    kwargs: dict[str, Any] = {"headers": headers}
    if "requestBody" in operation:
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        fields = draw(bodies(schema))
        encoding = draw(st.sampled_from(["json", "json", "form", "multipart", "raw", "none"]))
        if encoding == "json":
            # json.dumps, not httpx's json=: Infinity and NaN are worth sending too.
            kwargs["content"] = json.dumps(fields)
            headers["Content-Type"] = "application/json"
        elif encoding in ("form", "multipart"):
            flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
            if encoding == "form":
                kwargs["content"] = urlencode(flat)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                kwargs["data"] = flat
                kwargs["files"] = {"f": ("f.bin", draw(st.binary(max_size=20)))}
        elif encoding == "raw":
            kwargs["content"] = draw(st.binary(max_size=200))
            headers["Content-Type"] = draw(
                st.sampled_from(
                    [
                        "application/json",
                        "application/x-www-form-urlencoded",
                        "multipart/form-data; boundary=b",
                        "text/plain",
                        "application/xml",
                    ]
                )
            )
    url = path + ("?" + urlencode(params) if params else "")
    return method, url, kwargs, operation


def _check_shape(status: int, body: Any, operation: dict[str, Any]) -> None:
    declared = operation["responses"][str(status)]
    content = declared.get("content", {}).get("application/json")
    if content is None:
        assert body is None, f"{status} declares no JSON body but answered {body!r}"
        return
    if status >= 400:
        assert isinstance(body, dict) and body
        if "detail" in body:
            assert isinstance(body["detail"], str)
        else:
            assert all(
                isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body.values()
            )
        return
    name = content["schema"]["$ref"].rsplit("/", 1)[1]
    getattr(response_models, name).model_validate(body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_no_request_gets_a_5xx_and_every_answer_is_declared(
    request: tuple[str, str, dict[str, Any], dict[str, Any]],
) -> None:
    method, url, kwargs, operation = request
    known = _existing()
    url = _resolve(url, known)
    for key in ("data", "content"):
        if isinstance(kwargs.get(key), dict | str):
            kwargs[key] = _resolve(kwargs[key], known)
    response = CLIENT.request(method.upper(), url, **kwargs)
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert str(response.status_code) in operation["responses"], (
        f"{method.upper()} {url} answered undeclared {response.status_code}: {response.text[:300]}"
    )
    body = response.json() if response.content else None
    _check_shape(response.status_code, body, operation)
