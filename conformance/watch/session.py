"""One watch: call the callback the way Recall does, again and again, until the run ends.

Each call is probed (signed when there is a signing secret, within Recall's 5 s),
judged, recorded in the timeline and counted in the state; with ``--zoom-admin`` the
fake Zoom's new journal events are read after it. The causes are re-diagnosed every few
seconds for the live view and once more at the end, for the reports.

Ctrl-C only lands while the watch waits (a call, a sleep, a journal read), never while it
updates its state, so the reports written afterwards are consistent.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Final, TextIO

from recall_sim.conformance.config import UsageError
from recall_sim.conformance.terminal import should_do_markup
from recall_sim.conformance.watch.display import Display, open_display
from recall_sim.conformance.watch.outputs import (
    HtmlRenderer,
    JsonLines,
    Scrubber,
    assumptions,
    build_report,
    check_outputs,
    html_renderer,
    write_html,
    write_json,
)
from recall_sim.conformance.watch.render import Style, render_call_line, render_final
from recall_sim.conformance.watch.render import render_zoom_line as zoom_line
from recall_sim.conformance.watch.settings import WatchSettings
from recall_sim.conformance.watch.state import WatchState
from recall_sim.conformance.zoom_admin import ZoomAdmin, ZoomAdminError
from recall_sim.simulator import causes
from recall_sim.simulator.judge import RECALL_BUDGET, Judgement, judge
from recall_sim.simulator.prober import probe
from recall_sim.simulator.signing import signature_headers
from recall_sim.simulator.timeline import MAX_POINTS, Timeline, TimelineRecorder, ZoomEventPoint

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "run_watch"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # as `check`: 128 + SIGINT
# As check's preflight: nothing listens there, as opposed to a callback that misbehaves.
_UNREACHABLE = frozenset({"dns-failure", "connection-refused", "invalid-url", "connect-error"})
# The live view's causes lag the calls by at most this much; each diagnosis reads the
# whole (bounded) timeline, so once per call would cost more as the hour goes on.
DIAGNOSE_EVERY_S: Final = 5.0
_TICK_S: Final = 0.25  # how often a wait wakes to tick the display and notice Ctrl-C
_ZOOM_ADMIN_TIMEOUT: Final = 5.0


def run_watch(
    settings: WatchSettings, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Watch until the run ends; return the exit code (0 no failure, 1 a rule failed on some
    call, 2 usage or environment error, 130 Ctrl-C before an asked --duration/--until-fail
    end). Without either, Ctrl-C is the normal end: 0 or 1 by the verdicts."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    try:
        settings.validate()
        check_outputs(settings)
        renderer = html_renderer() if settings.report_html is not None else None
    except UsageError as exc:
        print(f"recall-sim watch: error: {exc}", file=err)
        return EXIT_USAGE
    return _Watch(settings, renderer, out, err).run()


class _Interrupts:
    """SIGINT raises KeyboardInterrupt only inside `waiting`; elsewhere it is noted and
    raised at the next wait. Outside the main thread Python's own handling stays."""

    def __init__(self) -> None:
        self.requested = False
        self._waiting = False
        self._installed = False
        self._previous: object = None

    def __enter__(self) -> _Interrupts:
        # Not where SIGINT is ignored (a background job, nohup): that choice stands.
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]
            self._installed = False
        self.requested = False  # a second Ctrl-C from here on interrupts for good

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        if self._waiting:
            raise KeyboardInterrupt

    @contextmanager
    def waiting(self) -> Iterator[None]:
        if self.requested:
            raise KeyboardInterrupt
        self._waiting = True
        try:
            yield
        finally:
            self._waiting = False


class _Watch:
    def __init__(
        self, settings: WatchSettings, renderer: HtmlRenderer | None, out: TextIO, err: TextIO
    ) -> None:
        self.settings = settings
        self.renderer = renderer
        self.out, self.err = out, err
        self.style = Style(should_do_markup(out, settings.color))
        self.state = WatchState(
            target=settings.masked_url(),
            interval=settings.interval,
            duration=settings.duration,
            until_fail=settings.until_fail,
            strict=settings.strict,
            zoom_observed=settings.zoom_admin is not None,
        )
        self.recorder = TimelineRecorder()
        self.zoom_events: deque[ZoomEventPoint] = deque(maxlen=MAX_POINTS)
        self.scrub = Scrubber(settings)
        self.interrupts = _Interrupts()
        self.admin: ZoomAdmin | None = None
        self.seq = 0
        self.jsonl: JsonLines | None = None
        self.display: Display | None = None
        self.t0 = time.monotonic()
        self.started_at = time.time()
        self.diagnosed_at: float | None = None

    def run(self) -> int:
        try:
            with self.interrupts:
                try:
                    first = self._preflight()
                except UsageError as exc:
                    print(f"recall-sim watch: error: {self.scrub.text(str(exc))}", file=self.err)
                    return EXIT_USAGE
                except KeyboardInterrupt:
                    print("recall-sim watch: interrupted before the first call", file=self.err)
                    _forget_interrupt()
                    return EXIT_INTERRUPTED
                display = self.display = open_display(self.out, self.style)
                if self.settings.jsonl is not None:
                    self.jsonl = JsonLines.open(self.settings.jsonl, self.scrub)
                try:
                    self._take(first)
                    self._loop()
                except KeyboardInterrupt:
                    self.state.stopped_by = "ctrl-c"
                    self.state.interrupted = not self.settings.open_ended
            return self._finish(display)
        finally:
            if self.jsonl is not None:
                self.jsonl.close()
            if self.admin is not None:
                self.admin.close()

    # -- calls ---------------------------------------------------------------------------

    def _preflight(self) -> Judgement:
        """The Zoom admin answers, and the first call reaches the target (else exit 2)."""
        settings = self.settings
        if settings.zoom_admin is not None:
            self.admin = ZoomAdmin(settings.zoom_admin, timeout=_ZOOM_ADMIN_TIMEOUT)
            try:
                with self.interrupts.waiting():
                    self.admin.check()
                    # Only what happens from now on: older events belong to other runs.
                    self.seq = self.admin.journal_seq()
            except ZoomAdminError as exc:
                raise UsageError(str(exc)) from None
        self.t0, self.started_at = time.monotonic(), time.time()
        judged = self._call()
        error = judged.observation.error
        if error is not None and error.kind.value in _UNREACHABLE:
            raise UsageError(
                f"target {settings.masked_url()} unreachable before the first call "
                f"({error.kind.value}): {error.message}"
            )
        return judged

    def _call(self) -> Judgement:
        settings = self.settings
        with self.interrupts.waiting():
            headers = {}
            if settings.signing_secret is not None:
                headers = signature_headers(settings.signing_secret, timestamp=time.time())
            observation = probe(settings.url, deadline=RECALL_BUDGET, headers=headers)
        return judge(
            observation,
            client_id=settings.client_id,
            expected_user_id=settings.expect_user_id,
            kind=settings.kind,
        )

    def _take(self, judged: Judgement) -> None:
        """Record one call, read the fake Zoom's new events, and show both."""
        signed = self.settings.signing_secret is not None
        point = self.recorder.record(judged, signed=signed, label="watch")
        rotated = self.state.add_call(point, judged.verdicts)
        if self.jsonl is not None:
            self.jsonl.call(point, judged.verdicts)
        lines = [render_call_line(point, rotated=rotated, style=self.style)]
        lines += [zoom_line(event, style=self.style) for event in self._pull_zoom()]
        self.state.elapsed = time.monotonic() - self.t0
        self._diagnose()
        self._show(lines)

    def _pull_zoom(self) -> list[ZoomEventPoint]:
        if self.admin is None:
            return []
        try:
            with self.interrupts.waiting():
                raw = self.admin.events_since(self.seq)
        except ZoomAdminError as exc:
            # The run goes on without Zoom's side; the status and the report say so.
            self.state.zoom_error = str(exc)
            return []
        self.state.zoom_error = None
        events = []
        for item in raw:
            try:
                events.append(ZoomEventPoint.from_json(item))
            except (KeyError, TypeError, ValueError):
                continue  # an event this version cannot read does not end the watch
        if events:
            self.seq = max(self.seq, *(e.seq for e in events))
            self.zoom_events.extend(events)
            self.state.add_zoom_events(events)
            if self.jsonl is not None:
                self.jsonl.zoom_events(events)
        return events

    def _loop(self) -> None:
        """Calls every --interval from the first one's start until the run's end.

        A call that overran its slot skips the slots it missed: no burst of calls
        catching up (Recall does not call twice to make up).
        """
        settings, state = self.settings, self.state
        interval = settings.interval
        slot = 1  # calls start on a grid (t0 + slot * interval), so none drifts
        while True:
            if settings.until_fail and state.failing():
                state.stopped_by = "first-failure"
                return
            # A slot at the very end is outside the run: 60 s at 1 s is 60 calls, not 61.
            if settings.duration is not None and slot * interval >= settings.duration - 1e-9:
                self._wait_until(self.t0 + settings.duration)
                state.stopped_by = "duration"
                return
            self._wait_until(self.t0 + slot * interval)
            self._take(self._call())
            late = math.ceil((time.monotonic() - self.t0) / interval)
            slot = max(slot + 1, late)

    def _wait_until(self, moment: float) -> None:
        while True:
            now = time.monotonic()
            self.state.elapsed = now - self.t0
            if now >= moment:
                return
            self._show()
            with self.interrupts.waiting():
                time.sleep(min(moment - now, _TICK_S))

    # -- what is shown and written ---------------------------------------------------------

    def _show(self, lines: list[str] | None = None) -> None:
        if self.display is not None:
            self.display.update(self.state, [self.scrub.text(line) for line in lines or ()])

    def _timeline(self) -> Timeline:
        return self.recorder.timeline(
            zoom_events=self.zoom_events,
            client_id=self.settings.client_id,
            signing_secret_given=self.settings.signing_secret is not None,
            zoom_observed=self.admin is not None,
        )

    def _diagnose(self, *, now: bool = False) -> None:
        moment = time.monotonic()
        recent = self.diagnosed_at is not None and moment - self.diagnosed_at < DIAGNOSE_EVERY_S
        if recent and not now:
            return
        self.diagnosed_at = moment
        found = causes.diagnose(self._timeline(), failed_rules=self.state.flagged_rules())
        self.state.causes = tuple(found)

    def _finish(self, display: Display) -> int:
        """Read Zoom's last events, diagnose, write the reports, print the final diagnosis."""
        state = self.state
        self._show([zoom_line(event, style=self.style) for event in self._pull_zoom()])
        state.elapsed = time.monotonic() - self.t0
        self._diagnose(now=True)
        written, failure = self._write_reports()
        notes = assumptions(self.settings)
        final = render_final(state, reports=written, notes=notes, style=self.style)
        display.finish(state, self.scrub.text(final))
        if state.stopped_by == "ctrl-c":
            _forget_interrupt()
        if failure is not None:
            print(f"recall-sim watch: error: {failure}", file=self.err)
            return EXIT_USAGE
        if state.interrupted:
            print(
                f"recall-sim watch: interrupted after {state.elapsed:.1f} s and {state.calls} "
                'calls; the reports say "interrupted": true',
                file=self.err,
            )
            return EXIT_INTERRUPTED
        return EXIT_FAILED if state.failing() else EXIT_OK

    def _write_reports(self) -> tuple[list[str], str | None]:
        """The paths written, and why one could not be (the others are still written)."""
        settings = self.settings
        if settings.jsonl is None and settings.report_json is None and settings.report_html is None:
            return [], None  # no report: no whole-timeline JSON to build
        report = build_report(
            settings,
            self.state,
            started_at=self.started_at,
            timeline=self._timeline(),
            causes=self.state.causes,
            scrub=self.scrub,
        )
        written: list[str] = []
        try:
            if self.jsonl is not None and settings.jsonl is not None:
                self.jsonl.summary(report)
                written.append(str(settings.jsonl))
            if settings.report_json is not None:
                write_json(settings.report_json, report)
                written.append(str(settings.report_json))
            if settings.report_html is not None and self.renderer is not None:
                write_html(settings.report_html, report, self.renderer)
                written.append(str(settings.report_html))
        except Exception as exc:  # the run is over: say which report failed, keep the rest
            return written, f"a report could not be written: {type(exc).__name__}: {exc}"
        return written, None


def _forget_interrupt() -> None:
    # CPython 3.11 remembers a KeyboardInterrupt that landed in exec()'d code (a
    # dataclass's generated __init__ during a call, say) even once it was handled, and
    # under `python -m` turns the exit status into death by SIGINT. Running exec() once
    # more resets that memory (as `recall-sim check` does in conformance/cli.py).
    exec("None")  # noqa: S102 - a constant, no input involved
