"""The fake Recall over HTTP: FastAPI routers that parse, call `FakeRecall`, and serialize."""

from __future__ import annotations

from recall_sim.simulator.recall.api.application import (
    API_PREFIX,
    BOT_API_PREFIX,
    CONTROL_PREFIX,
    build_bot_api,
    build_recall_api,
    build_recall_app,
    mount_recall,
)

__all__ = [
    "API_PREFIX",
    "BOT_API_PREFIX",
    "CONTROL_PREFIX",
    "build_bot_api",
    "build_recall_api",
    "build_recall_app",
    "mount_recall",
]
