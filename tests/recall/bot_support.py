"""Small OBF, ZAK and join-token callbacks for the bot tests: each asks the fake Zoom for a
token with a user's access token (at Zoom's own paths), as a customer's callback would,
and answers it as plain text. ``mode`` picks a flaw: an OBF callback that caches its first
token, a join-token callback that answers 404, an empty 200 or a made-up token."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


@dataclass
class TokenCallbacks:
    """The callbacks' shared state: the fake Zoom's base URL, a user's access token and
    what each callback was asked (the headers of every request, by path)."""

    zoom_base_url: str
    access_token: str
    cached_obf: str | None = None
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def _zoom(self, path: str) -> str:
        async with httpx.AsyncClient(base_url=self.zoom_base_url, timeout=3.0) as client:
            answer = await client.get(
                path, headers={"Authorization": f"Bearer {self.access_token}"}
            )
        answer.raise_for_status()
        return str(answer.json()["token"])

    def _saw(self, request: Request) -> None:
        self.seen.append((request.url.path + "?" + request.url.query, dict(request.headers)))

    async def obf(self, request: Request) -> Response:
        self._saw(request)
        if request.query_params.get("mode") == "cache" and self.cached_obf is not None:
            return PlainTextResponse(self.cached_obf)
        token = await self._zoom("/v2/users/me/token?type=onbehalf")
        self.cached_obf = token
        return PlainTextResponse(token)

    async def zak(self, request: Request) -> Response:
        self._saw(request)
        return PlainTextResponse(await self._zoom("/v2/users/me/zak"))

    async def join_token(self, request: Request) -> Response:
        self._saw(request)
        mode = request.query_params.get("mode", "good")
        if mode == "404":
            return Response(status_code=404)
        if mode == "empty":
            return PlainTextResponse("")
        if mode == "made-up":
            return PlainTextResponse("not-a-join-token-0123456789")
        meeting = request.path_params["meeting"]
        return PlainTextResponse(
            await self._zoom(f"/v2/meetings/{meeting}/jointoken/local_recording")
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/obf", self.obf),
                Route("/zak", self.zak),
                Route("/join/{meeting}", self.join_token),
            ]
        )
