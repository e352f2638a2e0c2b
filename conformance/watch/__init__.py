"""``recall-sim watch``: a callback called the way Recall calls it, again and again, shown live.

It lives with the suite, not in ``simulator/commands``, because it reads the fake Zoom's
journal through the suite's `ZoomAdmin` and writes the suite's reports; the simulator
never imports the suite (except the CLI, lazily).

- `settings`: `WatchSettings`, what was asked, validated before the first call;
- `session`: `run_watch(settings)`, the loop (probe, judge, timeline, Zoom's journal);
- `state`: `WatchState`, running aggregates in constant memory;
- `render`: pure text from the state (a call line, the status, the final diagnosis);
- `display`: `LiveDisplay` on a terminal, `LineDisplay` elsewhere, chosen once;
- `outputs`: the JSON lines, the JSON report (``check``'s shape) and the HTML report;
- `cli`: the argparse layer.
"""

from recall_sim.conformance.watch.session import run_watch
from recall_sim.conformance.watch.settings import WatchSettings

__all__ = ["WatchSettings", "run_watch"]
