"""CORS for browser clients, as pure ASGI middleware.

Default: any origin, without credentials (``Access-Control-Allow-Origin: *``). With a list of
origins, only those are echoed back, with ``Vary: Origin`` and credentials allowed: ``*`` is
never combined with credentials.

The vendor APIs only: the ``/__mock`` control plane gets CORS for the origins in
``control_origins`` alone (listed origins, and only with an admin token; see control/access.py).

Why not starlette's CORSMiddleware: on a GET with an Origin, in-process, it cost 6.1 us a request
against 2.4 us for this one (0.5 us for the app alone), a third of what a repeated request costs
in the whole app; and its preflight answers 400 for an origin it does not allow, where the vendor
APIs' own OPTIONS answer (Allow, 405) should decide. (Starlette's TrustedHostMiddleware does not
fit either: the Host rule holds for /__mock alone, and only while the loopback rule guards it.)
"""

from __future__ import annotations

from typing import Any

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
# Response headers page scripts may read. Named, not "*": with credentials a browser takes "*"
# literally, and these are the ones clients act on (job polling, rate limits, files, errors).
EXPOSED = b"Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Content-Disposition, WWW-Authenticate, Allow, X-Mock-Worker"


class CORSMiddleware:
    def __init__(self, app: Any, origins: tuple[str, ...] = ("*",), control_origins: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.any_origin = origins == ("*",)
        self.origins = frozenset(origins)
        self.control_origins = control_origins

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = ""
        for name, value in scope["headers"]:  # (the last one, if sent twice)
            if name.lower() == b"origin":
                origin = value.decode("latin-1")
        path = scope["path"]
        if path == "/__mock" or path.startswith("/__mock/"):
            allowed = _echo(origin) if origin in self.control_origins else []
        else:
            allowed = self._allow(origin)
        if not allowed:
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]} if scope["method"] == "OPTIONS" else {}
        if b"access-control-request-method" in headers:
            requested = headers.get(b"access-control-request-headers", b"").decode("latin-1")
            preflight = [
                *allowed,
                (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
                (b"access-control-max-age", b"600"),
            ]
            if requested:
                preflight.append((b"access-control-allow-headers", requested.encode("latin-1")))
            await send({"type": "http.response.start", "status": 204, "headers": preflight})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), *allowed, (b"access-control-expose-headers", EXPOSED)],
                }
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _allow(self, origin: str) -> list[tuple[bytes, bytes]]:
        if not origin:
            return []
        if self.any_origin:
            return [(b"access-control-allow-origin", b"*")]
        if origin in self.origins:
            return _echo(origin)
        return []


def _echo(origin: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"access-control-allow-origin", origin.encode("latin-1")),
        (b"vary", b"Origin"),
        (b"access-control-allow-credentials", b"true"),
    ]
