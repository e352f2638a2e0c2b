"""The fake Recall's own OpenAPI schema describes what it answers.

Schemathesis drives the API in-process from the schema it serves, with every check
it has, through its examples, coverage and fuzzing phases (one test per operation)
and its stateful phase (the schema's links: create an app, then its credentials,
and use them), and must find no mismatch at all; the bot API (``/api/v1``) likewise.
Every callback URL answers a good token for the tests' client id at once (no sockets),
so a schema-valid credential body for an app of that client id is accepted. The fake
Recall runs inside a simulator whose fake Zoom issued those tokens and hosts a meeting,
so a meeting sync completes.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from recall_sim.simulator.app import Simulator
from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.recall import FakeRecall, RecallSettings
from recall_sim.simulator.recall.api import build_bot_api, build_recall_api
from recall_sim.simulator.zoom import FakeZoom, ZoomApp
from tests.support.mock_network import answering, http_answer
from tests.support.tokens import CLIENT_ID

KEY = "schema-key-0123456789"
CLOCK = VirtualClock()
ZOOM = FakeZoom(clock=CLOCK, default_app=ZoomApp(client_id=CLIENT_ID, client_secret="s" * 32))
ZOOM.add_meeting(ZOOM.default_user.id)
FAKE = FakeRecall(
    settings=RecallSettings(api_key=KEY, poll_interval=0, page_size=3),
    clock=CLOCK,
    network=answering(lambda: http_answer(ZOOM.issue_tokens().access_token)),
)
Simulator(clock=CLOCK, zoom=ZOOM, with_recall=FAKE)  # the fake Recall talks to ZOOM
# One synced credential from the start, so every list answers records to validate.
_SEEDED = FAKE.create_credential(
    oauth_app=FAKE.create_app(client_id=CLIENT_ID).id,
    access_token_callback_url="http://callback.invalid/token",
).credential
assert FAKE.sync_meetings(_SEEDED.id).meeting_sync_status.value == "completed"
# Whether a filter or body naming another record is valid depends on what is stored,
# which no schema can say: a well-formed id of nothing answers 400, as documented.
NAMES_ANOTHER_RECORD = [
    "zoom_oauth_credentials_create",
    "zoom_oauth_credentials_list",
    "zoom_oauth_credential_logs_list",
    "zoom_oauth_app_logs_list",
    "zoom_meetings_to_credentials_list",
]
CONFIG: dict[str, Any] = {
    "seed": 20251130,
    "auth": {"openapi": {"tokenAuth": {"api_key": f"Token {KEY}"}}},
    "generation": {"max-examples": 25},
    "phases": {"stateful": {"max-steps": 12}},
    "operations": [
        {
            "include-operation-id": NAMES_ANOTHER_RECORD,
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "400", "401", "404", "429"]
                }
            },
        },
        {
            # OPTIONS describes the endpoint, not a record (DRF answers it for any id),
            # so answering it after a DELETE is not a use after free.
            "include-method": "OPTIONS",
            "checks": {"use_after_free": {"enabled": False}},
        },
    ],
}
API = build_recall_api(FAKE)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", API, config=schemathesis.Config.from_dict(CONFIG)
)
# The workflows create apps for the client id the callbacks' tokens name, so that a
# credential created through the schema's links passes and its own links are walked
# (fields are fuzzed above, operation by operation).
WORKFLOW_CONFIG: dict[str, Any] = {
    **CONFIG,
    # Only the schema's own links (the inferred ones would spread the few steps thin),
    # and valid requests: the phases above send the invalid ones.
    "phases": {
        "stateful": {
            "max-steps": 12,
            "inference": {"algorithms": []},
            "generation": {"mode": "positive"},
        }
    },
    "operations": [
        *CONFIG["operations"],
        {
            "include-operation-id": "zoom_oauth_apps_create",
            "parameters": {"body.client_id": CLIENT_ID},
        },
        {
            # Deleting an app deletes its credentials, a cascade no schema link can
            # express: a credential's 404 after its app's DELETE is not a lost record.
            "include-operation-id": [
                "zoom_oauth_credentials_retrieve",
                "zoom_oauth_credentials_destroy",
                "zoom_oauth_credentials_access_token",
                "zoom_oauth_credentials_validate",
                "zoom_oauth_credentials_sync_meetings",
            ],
            "checks": {"ensure_resource_availability": {"enabled": False}},
        },
    ],
}
workflows = schemathesis.openapi.from_asgi(
    "/openapi.json", API, config=schemathesis.Config.from_dict(WORKFLOW_CONFIG)
)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says(case: schemathesis.Case) -> None:
    case.call_and_validate()


TestWorkflowsFollowTheSchemasLinks = workflows.as_state_machine().TestCase
TestWorkflowsFollowTheSchemasLinks.settings = settings(
    max_examples=30,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


# The bot API (``/api/v1``). Its served bots do not join here (the fake is not running),
# so every answer is the bot as created. A join_at that matches the schema's pattern can
# still name no date (February 30), which no pattern can say: such a body answers 400, as
# documented.
BOT_CONFIG: dict[str, Any] = {
    **CONFIG,
    "operations": [
        {
            "include-operation-id": "bot_create",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "429"]}
            },
        },
        CONFIG["operations"][1],  # OPTIONS describes the endpoint, not a record
    ],
}
BOT_API = build_bot_api(FAKE)
bot_schema = schemathesis.openapi.from_asgi(
    "/openapi.json", BOT_API, config=schemathesis.Config.from_dict(BOT_CONFIG)
)
bot_workflows = schemathesis.openapi.from_asgi(
    "/openapi.json",
    BOT_API,
    config=schemathesis.Config.from_dict({**BOT_CONFIG, "phases": WORKFLOW_CONFIG["phases"]}),
)


@bot_schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_bot_operation_answers_as_its_schema_says(case: schemathesis.Case) -> None:
    case.call_and_validate()


TestBotWorkflowsFollowTheSchemasLinks = bot_workflows.as_state_machine().TestCase
TestBotWorkflowsFollowTheSchemasLinks.settings = settings(
    max_examples=20,
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
