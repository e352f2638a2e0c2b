"""Request bodies as DRF parses them: JSON, form-encoded or multipart, with DRF's errors.

The body is read with a size cap before parsing, so a 2 MB (or 2 GB) upload costs
at most ``max_body_bytes`` of memory and answers 413 rather than failing later.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message

from recall_sim.simulator.recall.api.errors import ApiError

__all__ = ["UPLOADED_FILE", "read_data"]


class _UploadedFile:
    """Stands for a file part of a multipart body: never a valid value for any field."""

    def __repr__(self) -> str:
        return "<file>"


UPLOADED_FILE = _UploadedFile()


async def _read_capped(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(int(declared), max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(size, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> ApiError:
    return ApiError.detail(
        413, f"Request body is larger than {limit} bytes (at least {size} bytes were sent)."
    )


async def read_data(request: Request, *, max_bytes: int) -> dict[str, Any]:
    """The body as a dict of fields; DRF's 400/415 answers for what cannot be parsed."""
    body = await _read_capped(request, max_bytes)
    raw_type = request.headers.get("content-type", "")
    media = raw_type.split(";", 1)[0].strip().lower()
    if not body.strip() and media in ("", "application/json", "application/x-www-form-urlencoded"):
        return {}
    if media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    ):
        data = _parse_json(body)
    elif media == "application/x-www-form-urlencoded":
        data = _parse_form(body)
    elif media == "multipart/form-data":
        data = await _parse_multipart(request, body)
    elif not body:
        return {}
    else:
        shown = raw_type.encode("ascii", "replace").decode()[:100]
        raise ApiError.detail(415, f'Unsupported media type "{shown}" in request.')
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise ApiError(
            400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
        )
    return data


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, nesting
        message = str(exc) if not isinstance(exc, RecursionError) else "nested too deeply"
        raise ApiError.detail(400, f"JSON parse error - {message}") from None


def _parse_form(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError.detail(400, f"Form parse error - {exc}") from None
    return dict(pairs)  # the last value of a repeated name wins, as with Django's QueryDict


async def _parse_multipart(request: Request, body: bytes) -> dict[str, Any]:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    replayed = Request(request.scope, receive=replay)
    try:
        form = await replayed.form()
    except Exception as exc:  # python-multipart raises several unrelated types
        detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
        raise ApiError.detail(400, f"Multipart form parse error - {detail}") from None
    try:
        return {
            name: (UPLOADED_FILE if isinstance(value, UploadFile) else value)
            for name, value in form.multi_items()
        }
    finally:
        await form.close()
