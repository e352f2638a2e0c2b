"""A curl command that repeats a call the way Recall made it, with secrets masked."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping

from recall_sim.simulator.prober import USER_AGENT
from recall_sim.simulator.redaction import mask_headers, mask_url

__all__ = ["curl_command"]

_DEFAULT_HEADERS = {"user-agent", "accept"}


def curl_command(
    url: str,
    *,
    deadline: float = 5.0,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    secret_params: Iterable[str] = (),
    secret_path_segments: Iterable[int] = (),
    show_secrets: bool = False,
) -> str:
    """``curl`` with Recall's budget, no redirect following, and the prober's own headers."""
    pairs = dict(headers.items() if isinstance(headers, Mapping) else headers)
    extra = {k: v for k, v in pairs.items() if k.lower() not in _DEFAULT_HEADERS}
    shown = mask_headers(extra, show=show_secrets)
    shown_url = mask_url(
        url,
        secret_params=secret_params,
        secret_path_segments=secret_path_segments,
        show=show_secrets,
    )
    parts = ["curl", "-sS", "-i", "--max-time", f"{deadline:g}", "-A", USER_AGENT]
    for name, value in shown.items():
        parts += ["-H", f"{name}: {value}"]
    parts.append(shown_url)
    return " ".join(shlex.quote(p) for p in parts)
