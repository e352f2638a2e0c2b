"""The simulator in-process for tests: a real server on 127.0.0.1, port 0, in a thread.

    with running_simulator() as sim:
        callback = start_my_callback(zoom_base=sim.zoom_oauth_base, api_base=sim.zoom_api_base)
        sim.zoom.configure(access_token_lifetime=130)
        ...
        assert sim.zoom.refresh_token_reuses() == []

With ``running_simulator(zoom_paths=True)`` the fake Zoom is also served at Zoom's own
paths (``/oauth/...``, ``/v2/...``) on a second server, at ``sim.zoom_base_url``: a client
that builds its URLs from ``https://zoom.us`` and ``https://api.zoom.us`` needs only
that one base.

The pytest plugin wraps this as the ``recall_sim`` fixture (one server per session,
reset before each test).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from recall_sim.simulator.app import (
    CONTROL_PREFIX,
    ZOOM_PREFIX,
    Simulator,
    build_app,
    build_zoom_paths_app,
)
from recall_sim.simulator.clock import VirtualClock
from recall_sim.simulator.control_guard import CONTROL_TOKEN_HEADER, ControlAccess
from recall_sim.simulator.recall import FakeRecall
from recall_sim.simulator.recall.api import API_PREFIX
from recall_sim.simulator.serving import ThreadedServer
from recall_sim.simulator.zoom import FakeZoom, ZoomSettings

__all__ = ["RunningSimulator", "running_simulator"]


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator being served at ``url``; its fakes are driven directly in Python."""

    simulator: Simulator
    url: str
    control: ControlAccess = field(default_factory=ControlAccess)
    # The fake Zoom at Zoom's own paths (``running_simulator(zoom_paths=True)``), else None.
    zoom_base_url: str | None = None

    @property
    def zoom(self) -> FakeZoom:
        return self.simulator.zoom

    @property
    def recall(self) -> FakeRecall:
        return self.simulator.recall

    @property
    def recall_api_base(self) -> str:
        """What an integration uses instead of ``https://us-east-1.recall.ai/api/v2``."""
        return self.url + API_PREFIX

    @property
    def clock(self) -> VirtualClock:
        return self.simulator.clock

    @property
    def zoom_oauth_base(self) -> str:
        """What a callback under test uses instead of ``https://zoom.us``."""
        return self.url + ZOOM_PREFIX

    @property
    def zoom_api_base(self) -> str:
        """What a callback under test uses instead of ``https://api.zoom.us/v2``."""
        return self.url + ZOOM_PREFIX + "/v2"

    @property
    def control_url(self) -> str:
        return self.url + CONTROL_PREFIX

    @property
    def control_headers(self) -> dict[str, str]:
        """What an HTTP client of `control_url` sends: the control token, when one is set."""
        token = self.control.token
        return {} if token is None else {CONTROL_TOKEN_HEADER: token}

    def reset(self) -> None:
        self.simulator.reset()


@contextmanager
def running_simulator(
    *,
    zoom_settings: ZoomSettings | None = None,
    clock: VirtualClock | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    zoom_paths: bool = False,
) -> Iterator[RunningSimulator]:
    """Serve a fresh simulator for the duration of the ``with`` block.

    ``zoom_paths``: also serve the fake Zoom at Zoom's own paths on a second server (a
    free port on ``host``), at `RunningSimulator.zoom_base_url`; it shares the fakes and
    the clock, and has no ``/_sim`` controls.
    """
    sim = Simulator.create(zoom_settings=zoom_settings, clock=clock)
    control = ControlAccess.for_listener(host)
    with ExitStack() as servers:
        server = servers.enter_context(
            ThreadedServer(build_app(sim, control=control), host=host, port=port)
        )
        zoom_base_url = None
        if zoom_paths:
            zoom_server = servers.enter_context(
                ThreadedServer(build_zoom_paths_app(sim), host=host)
            )
            zoom_base_url = zoom_server.url
        yield RunningSimulator(
            simulator=sim, url=server.url, control=control, zoom_base_url=zoom_base_url
        )
