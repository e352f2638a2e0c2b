"""The timeline as one plotly figure: four charts stacked on one shared time axis.

Rows, top to bottom: answer time per call (5 s and 2.5 s lines), validity left per call
(120 s and 150 s lines), the token in use (a marker where it rotates), and the fake
Zoom's token-endpoint events by outcome. One figure with shared x axes, not four, so
zooming into a minute zooms every row and a slow answer lines up with the refresh it
waited for.

Input is the JSON report's ``timeline`` (`Timeline.to_json`), which holds only redacted
values. Per point the figure carries the time (Unix milliseconds: 13 digits, shorter
than any date string), the value, and one short hover line, so an hour at 5 s (720
calls) adds well under 0.5 MB. Each trace has a stable ``uid``: plotly puts it in the
trace's SVG class (``trace scatter trace<uid>``), which the browser test counts.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from recall_sim.simulator.judge import DEADLINE_WARN, MIN_VALIDITY, RECALL_BUDGET, VALIDITY_WARN
from recall_sim.simulator.timestamps import parse_iso_timestamp

__all__ = ["TRACE_UIDS", "ChartData", "figure_json"]

ANSWER_ROW, VALIDITY_ROW, TOKEN_ROW, ZOOM_ROW = 1, 2, 3, 4
ROW_TITLES: Final = (
    "Answer time per call (s)",
    "Validity left when answered (s)",
    "Token in use (◆ where it rotates)",
    "Fake Zoom's token endpoint",
)
_PASS, _WARN, _FAIL, _MUTED = "#2e7d32", "#ef8f00", "#c62828", "#78909c"
# Zoom journal outcomes (simulator/zoom/journal.py Outcome), each its own trace and colour.
_ZOOM_OUTCOMES: Final = {"ok": _PASS, "rejected": _FAIL, "fault": _WARN, "abandoned": _MUTED}
TRACE_UIDS: Final = (
    "answer-pass",
    "answer-warn",
    "answer-fail",
    "validity",
    "token",
    "rotation",
    *(f"zoom-{outcome}" for outcome in _ZOOM_OUTCOMES),
)


@dataclass(frozen=True)
class ChartData:
    """How many points each trace was given (by uid), for the page's captions and tests."""

    points: Mapping[str, int]
    calls: int
    zoom_events: int


def _ms(at: object) -> int:
    return round(parse_iso_timestamp(str(at)) * 1000)


def _text(value: object) -> str:
    """A value for hover text, which plotly reads as a little HTML (``<br>``, ``<a>``,
    entities): escaped, so a callback's error text shows as written, never as markup."""
    return html.escape(str(value), quote=False)


def _short(token_id: object) -> str:
    return _text(token_id) if token_id else "no token"


def _call_line(call: Mapping[str, Any]) -> str:
    status = call.get("status")
    answer = f"HTTP {status}" if status is not None else str(call.get("error") or "no answer")
    head = f"#{call.get('index')} {call.get('label', 'call')}: {answer}"
    lines = [f"{_text(head)}, {_short(call.get('token_id'))}"]
    for kind in ("failed", "warned"):
        rules = call.get(f"{kind}_rules") or []
        if rules:
            lines.append(f"{kind}: " + _text(", ".join(map(str, rules))))
    return "<br>".join(lines)


def _zoom_line(event: Mapping[str, Any]) -> str:
    head = f"#{event.get('seq')} {event.get('kind')}: {event.get('outcome')}"
    parts = []
    if event.get("status") is not None:
        parts.append(f"HTTP {event['status']}")
    for key in ("error", "reason", "fault", "presented"):
        if event.get(key):
            parts.append(f"{key} {event[key]}")
    return "<br>".join(_text(line) for line in (head, ", ".join(parts)) if line)


def _marker_trace(
    uid: str, name: str, xs: Sequence[int], ys: Sequence[Any], texts: Sequence[str], **style: Any
) -> dict[str, Any]:
    return {
        "type": "scatter",
        "uid": uid,
        "name": name,
        "x": list(xs),
        "y": list(ys),
        "text": list(texts),
        "hovertemplate": "%{x|%H:%M:%S.%L}<br>%{text}<extra></extra>",
        "mode": style.pop("mode", "markers"),
        **style,
    }


def _answer_traces(calls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[Mapping[str, Any]]] = {"pass": [], "warn": [], "fail": []}
    for call in calls:
        verdict = (
            "fail" if call.get("failed_rules") else "warn" if call.get("warned_rules") else "pass"
        )
        groups[verdict].append(call)
    colours = {"pass": _PASS, "warn": _WARN, "fail": _FAIL}
    names = {"pass": "call passed", "warn": "call warned", "fail": "call failed"}
    return [
        _marker_trace(
            f"answer-{verdict}",
            names[verdict],
            [_ms(c["at"]) for c in group],
            [round(float(c.get("answer_s") or 0.0), 3) for c in group],
            [f"{float(c.get('answer_s') or 0.0):.3f} s, " + _call_line(c) for c in group],
            marker={"color": colours[verdict], "size": 6},
        )
        for verdict, group in groups.items()
        if group
    ]


def _validity_trace(calls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    valid = [c for c in calls if c.get("remaining_s") is not None]
    if not valid:
        return []
    return [
        _marker_trace(
            "validity",
            "validity left",
            [_ms(c["at"]) for c in valid],
            [round(float(c["remaining_s"])) for c in valid],
            [f"{float(c['remaining_s']):.0f} s left, {_short(c.get('token_id'))}" for c in valid],
            mode="lines+markers",
            line={"color": "#1565c0", "width": 1},
            marker={"color": "#1565c0", "size": 5},
            showlegend=False,
        )
    ]


def _token_traces(calls: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct token gets the next number in order of first use; a rotation is a
    call whose token differs from the previous call's that had one."""
    numbers: dict[str, int] = {}
    served: list[tuple[int, int, str]] = []
    rotations: list[tuple[int, int, str]] = []
    previous: str | None = None
    for call in calls:
        token_id = call.get("token_id")
        if not token_id:
            continue
        number = numbers.setdefault(str(token_id), len(numbers) + 1)
        point = (_ms(call["at"]), number, f"token #{number} {token_id}")
        served.append(point)
        if previous is not None and token_id != previous:
            rotations.append(point)
        previous = str(token_id)
    if not served:
        return []
    traces = [
        _marker_trace(
            "token",
            "token served",
            *zip(*served, strict=True),
            mode="lines+markers",
            line={"color": "#6a1b9a", "width": 1, "shape": "hv"},
            marker={"color": "#6a1b9a", "size": 4},
            showlegend=False,
        )
    ]
    if rotations:
        traces.append(
            _marker_trace(
                "rotation",
                "token rotated",
                *zip(*rotations, strict=True),
                marker={"color": "#6a1b9a", "size": 11, "symbol": "diamond"},
            )
        )
    return traces


def _zoom_traces(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    traces = []
    for outcome, colour in _ZOOM_OUTCOMES.items():
        chosen = [e for e in events if e.get("outcome") == outcome]
        if chosen:
            traces.append(
                _marker_trace(
                    f"zoom-{outcome}",
                    f"Zoom: {outcome}",
                    [_ms(e["at"]) for e in chosen],
                    [str(e.get("kind")) for e in chosen],
                    [_zoom_line(e) for e in chosen],
                    marker={"color": colour, "size": 9, "symbol": "square"},
                )
            )
    return traces


def _empty_trace(row: int) -> dict[str, Any]:
    return {
        "type": "scatter",
        "uid": f"empty-{row}",
        "x": [],
        "y": [],
        "showlegend": False,
        "hoverinfo": "skip",
    }


def _threshold(
    row: int, y: float, colour: str, label: str, *, above: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    axis = "" if row == 1 else str(row)
    shape = {
        "type": "line",
        "xref": f"x{axis} domain",
        "yref": f"y{axis}",
        "x0": 0,
        "x1": 1,
        "y0": y,
        "y1": y,
        "line": {"color": colour, "width": 1, "dash": "dash"},
    }
    note = {
        "xref": f"x{axis} domain",
        "yref": f"y{axis}",
        "x": 1,
        "y": y,
        "xanchor": "right",
        # Two lines can sit a few pixels apart (120 s and 150 s on an hour-long token):
        # the upper one's label goes above it, the lower one's below.
        "yanchor": "bottom" if above else "top",
        "text": label,
        "showarrow": False,
        "font": {"size": 10, "color": colour},
    }
    return shape, note


def _row_note(row: int, text: str) -> dict[str, Any]:
    axis = "" if row == 1 else str(row)
    return {
        "xref": f"x{axis} domain",
        "yref": f"y{axis} domain",
        "x": 0.5,
        "y": 0.5,
        "text": text,
        "showarrow": False,
        "font": {"size": 12, "color": _MUTED},
    }


def _time_range(instants: Sequence[int]) -> list[int] | None:
    """The shared axis's range, set here: plotly's autorange over four matched axes, one
    of them possibly empty, can span decades. Padded so edge markers are not cut."""
    if not instants:
        return None
    first, last = min(instants), max(instants)
    pad = max(1000, (last - first) // 40)
    return [first - pad, last + pad]


def figure_json(timeline: Mapping[str, Any]) -> tuple[str, ChartData]:
    """The figure as compact JSON (data, layout, config) and what it holds.

    Built with plotly's own figure classes, so every attribute is validated against the
    plotly.js schema when the report is made, not when a reader opens it.
    """
    # plotly ships no type information; its figure is checked against plotly.js's schema.
    from plotly.subplots import make_subplots  # type: ignore[import-untyped]

    calls: list[Mapping[str, Any]] = list(timeline.get("calls") or [])
    events: list[Mapping[str, Any]] = list(timeline.get("zoom_events") or [])
    figure = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        row_heights=[0.3, 0.3, 0.2, 0.2],
        subplot_titles=ROW_TITLES,
    )
    rows = (
        (ANSWER_ROW, _answer_traces(calls)),
        (VALIDITY_ROW, _validity_trace(calls)),
        (TOKEN_ROW, _token_traces(calls)),
        (ZOOM_ROW, _zoom_traces(events)),
    )
    for row, traces in rows:
        # plotly.js draws no subplot (axes, notes) for a row without a trace: an empty
        # one keeps the row and the shared time axis under it.
        for trace in traces or [_empty_trace(row)]:
            figure.add_trace(trace, row=row, col=1)
    shapes, notes = [], []
    for row, y, colour, label, above in (
        (ANSWER_ROW, RECALL_BUDGET, _FAIL, f"{RECALL_BUDGET:g} s: Recall gives up", True),
        (ANSWER_ROW, DEADLINE_WARN, _WARN, f"{DEADLINE_WARN:g} s: warn", False),
        (VALIDITY_ROW, VALIDITY_WARN, _WARN, f"{VALIDITY_WARN:g} s: warn", True),
        (VALIDITY_ROW, MIN_VALIDITY, _FAIL, f"{MIN_VALIDITY:g} s: Recall refuses", False),
    ):
        shape, note = _threshold(row, y, colour, label, above=above)
        shapes.append(shape)
        notes.append(note)
    if not calls:
        notes.append(_row_note(ANSWER_ROW, "no calls recorded"))
    elif not any(c.get("remaining_s") is not None for c in calls):
        # OBF, ZAK and join tokens have no 120 s floor: only the access token's is charted.
        why = (
            "the 120 s floor is the access token's: not charted for this kind"
            if any(c.get("token_id") for c in calls)
            else "no call returned a token"
        )
        notes.append(_row_note(VALIDITY_ROW, why))
    if calls and not any(c.get("token_id") for c in calls):
        notes.append(_row_note(TOKEN_ROW, "no call returned a token"))
    if not timeline.get("zoom_observed"):
        notes.append(_row_note(ZOOM_ROW, "the fake Zoom's journal was not read"))
    elif not events:
        notes.append(_row_note(ZOOM_ROW, "no token request reached the fake Zoom"))
    # Thresholds must stay visible even when every answer is far below or above them.
    top_answer = max((float(c.get("answer_s") or 0.0) for c in calls), default=0.0)
    figure.update_yaxes(range=[0, max(RECALL_BUDGET * 1.2, top_answer * 1.05)], row=ANSWER_ROW)
    figure.update_yaxes(rangemode="tozero", row=VALIDITY_ROW)
    figure.update_yaxes(dtick=1, tickformat="d", rangemode="tozero", row=TOKEN_ROW)
    if events:
        figure.update_yaxes(type="category", row=ZOOM_ROW)
    else:
        figure.update_yaxes(range=[0, 1], showticklabels=False, showgrid=False, row=ZOOM_ROW)
    figure.update_xaxes(
        type="date",
        range=_time_range([_ms(c["at"]) for c in calls] + [_ms(e["at"]) for e in events]),
        showspikes=True,
        spikemode="across",
        spikethickness=1,
    )
    figure.update_xaxes(title_text="time (UTC)", row=ZOOM_ROW)
    figure.update_layout(
        template="none",
        height=820,
        margin={"l": 70, "r": 20, "t": 40, "b": 50},
        shapes=shapes,
        annotations=[*figure.layout.annotations, *notes],
        legend={"orientation": "h", "x": 0, "y": 1.06, "yanchor": "bottom"},
        hovermode="closest",
        font={"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12},
    )
    data = figure.to_plotly_json()
    page = {
        "data": data["data"],
        "layout": data["layout"],
        # No plotly logo, no cloud buttons; the page must work offline.
        "config": {
            "displaylogo": False,
            "responsive": True,
            "modeBarButtonsToRemove": ["select2d", "lasso2d"],
        },
    }
    counts = {t["uid"]: len(t["x"]) for t in page["data"]}
    text = json.dumps(page, separators=(",", ":"), ensure_ascii=False, default=_plain)
    return text, ChartData(points=counts, calls=len(calls), zoom_events=len(events))


def _plain(value: object) -> object:
    # to_plotly_json can hold tuples and numpy-free plotly types; all are plain sequences.
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"cannot put {type(value).__name__} in the chart's JSON")
