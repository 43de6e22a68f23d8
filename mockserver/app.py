"""The ASGI application: every vendor under its own base path, plus the ``/__mock`` control plane."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from mockserver.errors import NOT_FOUND, ConfigError, Problem
from mockserver.profiles import discover_profiles
from mockserver.settings import Settings
from mockserver.timeutil import UTC
from mockserver.vendor import Answer, Incoming, VendorService, load_spec

Scope = dict[str, Any]


class MockServer:
    """Pure ASGI app. Specs are loaded and validators compiled here, before the first request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        profiles = discover_profiles()
        names = list(settings.vendors) or list(profiles)
        if settings.root_vendor:
            names = [settings.root_vendor]
        unknown = [n for n in [*names, *settings.spec_overrides] if n not in profiles]
        if unknown:
            raise ConfigError(f"unknown vendor {unknown[0]!r}; known vendors: {', '.join(profiles)}")
        self.vendors: dict[str, VendorService] = {}
        for name in names:
            profile = profiles[name]()
            self.vendors[name] = VendorService(profile, load_spec(profiles[name], settings), settings)

    def now(self) -> datetime:
        return self.settings.now or datetime.now(UTC)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1")
        method = scope["method"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if path.startswith("/__mock/") or path == "/__mock":
            answer = self._control(method, path)
        else:
            vendor, prefix = self._vendor_for(path)
            if vendor is None:
                answer = self._not_found(path)
            else:
                rest = path[len(prefix):] or "/"
                base_url = _base_url(scope, headers) + prefix
                if rest == "/openapi.json" and method in ("GET", "HEAD"):
                    answer = Answer(200, vendor.served_spec(base_url))
                else:
                    body = await _read_body(receive, self.settings.max_body_bytes)
                    incoming = Incoming(
                        method=method,
                        path=rest,
                        query_string=scope.get("query_string", b"").decode("latin-1"),
                        headers=headers,
                        body=body,
                        base_url=base_url,
                        now=self.now(),
                    )
                    answer = vendor.handle(incoming)
        await _send(send, answer, head=method == "HEAD")

    def _vendor_for(self, path: str) -> tuple[VendorService | None, str]:
        if self.settings.root_vendor:
            return self.vendors[self.settings.root_vendor], ""
        first = path.split("/", 2)[1] if path.count("/") >= 1 else ""
        service = self.vendors.get(first)
        return (service, f"/{first}") if service else (None, "")

    def _control(self, method: str, path: str) -> Answer:
        if path == "/__mock/health" and method in ("GET", "HEAD"):
            body = {"status": "ok", "vendors": {name: len(v.spec.operations) for name, v in self.vendors.items()}}
            return Answer(200, json.dumps(body).encode())
        return Answer(404, json.dumps({"error": "not_found", "message": f"No control endpoint {path}; try /__mock/health."}).encode())

    def _not_found(self, path: str) -> Answer:
        bases = ", ".join(f"/{name}" for name in self.vendors)
        problem = Problem(NOT_FOUND, f"Nothing is served at {path!r}. Vendors are served under: {bases}.")
        return Answer(404, json.dumps({"error": problem.kind, "message": problem.message}).encode())


def create_app(settings: Settings | None = None) -> MockServer:
    """Build the ASGI app; raises ``MockServerError`` for a broken spec or setting."""
    return MockServer(settings or Settings())


def _base_url(scope: Scope, headers: dict[str, str]) -> str:
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"


async def _read_body(receive: Any, limit: int) -> bytes:
    """Read the body, keeping at most ``limit + 1`` bytes: enough to know it is too large."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if size <= limit:
            chunks.append(chunk[: limit + 1 - size])
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Any, answer: Answer, head: bool = False) -> None:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
    if answer.content_type:
        headers.append((b"content-type", answer.content_type.encode("latin-1")))
    headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else answer.body})


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
