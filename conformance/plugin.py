"""The recall-sim pytest plugin (registered through the ``pytest11`` entry point).

Keeping the module import-light matters: pytest loads it in every run of every
project that has recall-sim installed, so simulator modules are imported inside
the fixtures that need them.

Fixtures:

- ``recall_sim``: the simulator (fake Zoom, later fake Recall) served on 127.0.0.1
  at a free port, reset before each test; a `recall_sim.simulator.testing.RunningSimulator`
  with ``.url``, ``.zoom_oauth_base``, ``.zoom_api_base``, ``.zoom_base_url`` (the fake
  Zoom at Zoom's own paths: ``/oauth/...`` and ``/v2/...``), ``.zoom``, ``.recall``,
  ``.clock``, ``.control_url``, ``.control_headers`` (the control token, when
  ``RECALL_SIM_CONTROL_TOKEN`` is set) and ``.reset()``.
- ``recall_sim_server``: the same server without the reset (session-scoped).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from recall_sim.simulator.testing import RunningSimulator

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "recall_sim",
    "recall_sim_server",
]


@pytest.fixture(scope="session")
def recall_sim_server() -> Iterator[RunningSimulator]:
    """One simulator server for the whole session (starting one takes a moment)."""
    from recall_sim.simulator.testing import running_simulator

    with running_simulator(zoom_paths=True) as sim:
        yield sim


@pytest.fixture
def recall_sim(recall_sim_server: RunningSimulator) -> RunningSimulator:
    """The session's simulator, reset to its start state for this test."""
    recall_sim_server.reset()
    return recall_sim_server


# The conformance suite's options and hooks (``pytest --callback-url URL``).
from recall_sim.conformance.pytest_options import (  # noqa: E402
    pytest_addoption,
    pytest_configure,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
