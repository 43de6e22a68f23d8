"""The ASGI application: every vendor under its own base path, plus the ``/__mock`` control plane."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mockserver.answers import AnswerCache, BoundedLRU
from mockserver.control.access import ControlAccess, TrustedProxies
from mockserver.control.api import ControlPlane
from mockserver.control.faults import FaultRule
from mockserver.control.journal import JournalViews, Masker
from mockserver.cors import CORSMiddleware
from mockserver.errors import INTERNAL, NOT_FOUND, UNAVAILABLE, URI_TOO_LONG, ConfigError, Problem
from mockserver.fixtures import FixtureError, read_fixtures
from mockserver.generation.rng import derive
from mockserver.jobs.links import LinkKey, verify
from mockserver.logs import DroppedConnection, QuietAcceptErrors, request_line, stamp
from mockserver.messages import Answer, Incoming
from mockserver.profiles import discover_profiles
from mockserver.proxy import Upstream, summary
from mockserver.recording import Recorder
from mockserver.resources import fixtures_dir
from mockserver.settings import Settings
from mockserver.state import Limits, StateUnavailable, open_state
from mockserver.timeutil import UTC
from mockserver.validation.schema import parse_date_time
from mockserver.vendor import VendorService, load_spec
from mockserver.world import NOTHING, WorldError, check_world

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
        self.state = open_state(
            settings.state,
            settings.seed,
            Limits(
                journal=settings.journal_size,
                jobs=settings.max_jobs,
                journal_bytes=settings.journal_bytes,
                resources=settings.max_resources,
                resources_total=settings.max_stored_resources,
                timeout=settings.state_timeout,
            ),
        )
        self.link_key = LinkKey(self.state.secret, settings.secret)
        # Download files, rendered once per job in a thread (see _download); --cache-bytes bounds them.
        self._files = BoundedLRU(settings.cache_bytes)
        self._rendering = threading.Lock()
        bundled, users = read_fixtures([fixtures_dir()]), read_fixtures(settings.fixture_dirs)
        replaced = {(f.vendor, f.operation_id, f.name) for f in users}
        # Bundled fixtures fit the bundled specs only; a user's fixture replaces a bundled one of the same name.
        fixtures = [
            f for f in bundled if f.vendor not in settings.spec_overrides and (f.vendor, f.operation_id, f.name) not in replaced
        ] + users
        strays = [f for f in fixtures if f.vendor not in profiles]
        if strays:
            raise FixtureError(f"{strays[0].source}: unknown vendor {strays[0].vendor!r}; known vendors: {', '.join(profiles)}")
        schemas = {name: cls.world_schema for name, cls in profiles.items()}
        try:
            self.world = check_world(settings.world, schemas)
        except WorldError as exc:
            raise ConfigError(f"config {exc}") from None
        self.vendors: dict[str, VendorService] = {}
        answers = AnswerCache(settings.cache_bytes)
        for name in names:
            profile = profiles[name]()
            spec = load_spec(profiles[name], settings)
            own = [f for f in fixtures if f.vendor == name]
            self.vendors[name] = VendorService(profile, spec, settings, self.state, self.link_key, own, answers)
        operations = {name: frozenset(op.operation_id for op in v.spec.operations) for name, v in self.vendors.items()}
        not_served = [v for v in settings.upstreams if v not in self.vendors]
        if not_served:
            raise ConfigError(f"--upstream {not_served[0]}=...: not a served vendor; served: {', '.join(self.vendors)}")
        self.upstreams = {name: Upstream(name, url, settings.upstream_timeout) for name, url in settings.upstreams.items()}
        if settings.record_dir is not None and not settings.upstreams:
            raise ConfigError("--record keeps what an upstream answers: give --upstream VENDOR=URL too")
        self.recorder = (
            Recorder(settings.record_dir, settings.record_ttl, settings.redact) if settings.record_dir is not None else None
        )
        for vendor, ids in settings.stateless.items():
            if vendor not in operations:
                raise ConfigError(f"config stateless: unknown vendor {vendor!r}; served vendors: {', '.join(operations)}")
            unknown_ids = [i for i in ids if i not in operations[vendor]]
            if unknown_ids:
                raise ConfigError(
                    f"config stateless.{vendor}: {vendor} has no operation {unknown_ids[0]!r}; "
                    "`mockserver routes` lists its operations and which keep what they are sent"
                )
        self.control = ControlPlane(
            self.state,
            operations,
            self._download,
            lambda vendor, seed, world: self.vendors[vendor].profile.entities(seed, world),
            schemas,
            self.world,
            {name: v.spec for name, v in self.vendors.items()},
            admin_token=settings.admin_token is not None,
            charts=self._charts,
        )
        self.control.install(settings.faults, settings.sessions)
        # A vendor's API-key header is a credential whichever vendor it is sent to.
        self.masker = Masker(frozenset().union(*(v.api_key_headers for v in self.vendors.values())))
        self.journal_views = JournalViews(settings.journal_entry_bytes, self.masker)
        self.proxies = TrustedProxies(settings.forwarded_allow_ips)
        self.access = ControlAccess(settings.admin_token, settings.cors_origins, settings.allowed_hosts, self.proxies)
        self.on_shutdown: list[Callable[[], None]] = []  # run once the server drained, before it exits
        self._asgi = (
            CORSMiddleware(self._serve, settings.cors_origins, self.access.origins) if settings.cors_origins else self._serve
        )

    def now(self) -> datetime:
        return self.settings.now or datetime.now(UTC)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self._asgi(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, self.on_shutdown)
            return
        if scope["type"] != "http":
            return
        started, wall = time.perf_counter(), time.time()
        try:
            answer = await self._answer(scope, receive, wall)
        except StateUnavailable as exc:  # the control plane's own use of the store
            answer = _plain_error(503, "state_unavailable", f"{exc}. The mock answers again once its state store does.")
        try:
            await _send(send, answer, head=scope["method"] == "HEAD")
        finally:  # one line per request, also when a fault rule drops the connection
            # The page polls twice a second: its reads would drown the log (its errors do not).
            if answer.status >= 400 or not _from_the_page(scope):
                request_line(
                    scope["method"],
                    scope["path"],
                    answer.status,
                    round((time.perf_counter() - started) * 1000, 3),
                    answer.operation_id,
                    answer.vendor,
                    answer.session,
                    bool(answer.fault and answer.fault.action.get("drop")),
                    answer.reason,
                    answer.warnings,
                    wall,
                )

    async def _answer(self, scope: Scope, receive: Any, wall: float) -> Answer:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1")
        method = scope["method"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query_string = scope.get("query_string", b"").decode("latin-1")
        control = _is_control(path)
        if control:  # who may use the control plane is checked before anything else of the request
            refused = self.access.refusal(scope, headers, path)
            if refused is not None:
                await _read_body(receive, 0)
                return _plain_error(refused.status, refused.code, refused.message)
        if len(query_string) > self.settings.max_query_bytes:
            await _read_body(receive, 0)
            return self.refusal(path, URI_TOO_LONG, _query_too_long(len(query_string), self.settings.max_query_bytes))
        if control:
            body = await _read_body(receive, self.settings.max_body_bytes)
            if path == "/__mock/openapi.json" and method in ("GET", "HEAD"):
                return Answer(200, self.control.spec_json())
            answer = self.control.handle(method, path, query_string, body, headers.get("content-type"))
            return await asyncio.to_thread(answer.render) if answer.render is not None else answer
        vendor, prefix = self._vendor_for(path)
        if vendor is None:
            return self._not_found(path)
        rest = path[len(prefix) :] or "/"
        base_url = self._base_url(scope, headers) + prefix
        if rest == "/openapi.json" and method in ("GET", "HEAD"):
            return Answer(200, vendor.served_spec(base_url))
        try:
            return await self._vendor_request(vendor, scope, receive, method, rest, headers, base_url, prefix, wall)
        except StateUnavailable as exc:
            return self.refusal(
                path,
                UNAVAILABLE,
                f"The mock's state store did not answer: {exc}. It answers again once the store does; /__mock/ready says when.",
            )

    def refusal(self, path: str, kind: str, message: str) -> Answer:
        """The server's own refusal (a limit, a store outage) in the error body of the vendor the
        path belongs to. Also used by the HTTP protocol, before a request reaches the app."""
        vendor = None if _is_control(path) else self._vendor_for(path)[0]
        problem = Problem(kind, message)
        if vendor is None:
            return _plain_error(problem.status, kind, message)
        answer = vendor.error(problem, derive(self.settings.seed, vendor.profile.name, kind, path), self.now())
        answer.vendor, answer.reason = vendor.profile.name, problem.message
        return answer

    async def _vendor_request(
        self,
        vendor: VendorService,
        scope: Scope,
        receive: Any,
        method: str,
        path: str,
        headers: dict[str, str],
        base_url: str,
        prefix: str,
        wall: float,
    ) -> Answer:
        """Answer a vendor request under its session's seed, clock and fault rules, and journal it
        (at ``wall``, when it came: the time its log line gives too)."""
        started = time.perf_counter()
        body = await _read_body(receive, self.settings.max_body_bytes)
        refused = (scope.get("extensions") or {}).get("mockserver.refused")  # by the protocol, mid-body
        query_string = scope.get("query_string", b"").decode("latin-1")
        session_id = headers.get("x-mock-session")
        session = self.control.session(session_id) if session_id else None
        name = vendor.profile.name
        faults = self.control.faults.any()
        pick_fault: Callable[[str, str], FaultRule | None] | None = None
        if faults:  # (no rule in force: nothing to pick, and no closure to make)

            def pick_fault(operation_id: str, route: str) -> FaultRule | None:
                return self.control.faults.pick(name, operation_id, method, path, headers, session_id)

        incoming = Incoming(
            method=method,
            path=path,
            query_string=query_string,
            headers=headers,
            body=body,
            base_url=base_url,
            now=(session.now if session and session.now else self.now()),
            wall=wall,
            prefix=prefix,
            seed=session.seed if session else None,
            session=session_id,
            pick_fault=pick_fault,
            faults=faults,
            world=session.world[name] if session and name in session.world else self.world.get(name, NOTHING),
        )
        verdict = None
        upstream = self.upstreams.get(name)
        if refused is not None:
            answer = self.refusal(prefix + path, *refused)
        elif upstream is not None:
            answer, verdict = await self._proxied(vendor, upstream, incoming)
        else:
            answer = vendor.handle(incoming)
        duration_ms = round((time.perf_counter() - started) * 1000 + answer.delay_ms, 3)
        answer.vendor, answer.session = name, session_id
        kept_path, kept_query, kept_headers, kept_body = self.journal_views(path, query_string, answer.query, headers, body)
        written = self.control.journal.record(
            time=stamp(wall),
            session=session_id,
            vendor=name,
            operationId=answer.operation_id,
            method=method,
            path=kept_path,
            route=answer.route,
            query=kept_query,
            headers=kept_headers,
            body=kept_body,
            status=answer.status,
            durationMs=duration_ms,
            fault=answer.fault.id if answer.fault else None,
            reason=answer.reason,
            warnings=answer.warnings,
            errorType=answer.error_type,
            verdict=verdict,
        )
        if written is not None:
            await written
        return answer

    async def _proxied(self, vendor: VendorService, upstream: Upstream, incoming: Incoming) -> tuple[Answer, dict[str, Any]]:
        """The upstream's answer, unchanged, and the verdict on the exchange (a 502 when it failed)."""
        target = incoming.path + (f"?{incoming.query_string}" if incoming.query_string else "")
        reply = await asyncio.to_thread(upstream.send, incoming.method, target, incoming.headers, incoming.body)
        if reply.status is None:
            message = f"The upstream of {upstream.vendor} ({upstream.url}) failed: {reply.failure}."
            key = derive(self.settings.seed, upstream.vendor, "upstream", incoming.path)
            answer = vendor.error(Problem(INTERNAL, message, code=502), key, self.now())
            answer.reason = message
            return answer, {"upstream": upstream.url, "conforms": None, "violations": [], "failure": reply.failure}
        verdict = vendor.conformance(
            incoming.method,
            incoming.path,
            incoming.query_string,
            incoming.headers,
            incoming.body,
            reply.status,
            reply.headers.get("content-type"),
            reply.body,
        )
        answer = Answer(reply.status, reply.body, reply.headers.get("content-type"), upstream.response_headers(reply))
        answer.operation_id, answer.reason = verdict.operation_id, summary(verdict.violations)
        if self.recorder is not None and verdict.operation_id is not None:
            await asyncio.to_thread(self.recorder.record, upstream, vendor.profile.name, verdict, incoming, reply)
        return answer, {
            "upstream": upstream.url,
            "conforms": not verdict.violations,
            "violations": verdict.violations,
            "failure": None,
        }

    def _base_url(self, scope: Scope, headers: dict[str, str]) -> str:
        """The URL the client used to reach the mock (for served specs and links)."""
        host = headers.get("host")
        if not host:
            server = scope.get("server") or ("127.0.0.1", 80)
            host = f"{server[0]}:{server[1]}"
        client = scope.get("client")
        scheme = self.proxies.scheme(client[0] if client else None, headers, scope.get("scheme", "http"))
        return f"{scheme}://{host}{scope.get('root_path', '')}"

    def _vendor_for(self, path: str) -> tuple[VendorService | None, str]:
        if self.settings.root_vendor:
            return self.vendors[self.settings.root_vendor], ""
        first = path.split("/", 2)[1] if path.count("/") >= 1 else ""
        service = self.vendors.get(first)
        return (service, f"/{first}") if service else (None, "")

    def _charts(self, vendor: str) -> list[dict[str, Any]]:
        """The series ``mockserver plot`` draws for ``vendor``, from this server (its seed, world and clock)."""
        from mockserver.plot import VENDORS, Fetch  # plot builds on the app: imported when asked

        draw = VENDORS.get(vendor)
        if draw is None:
            return []
        credential = next(iter(sorted(self.settings.tokens)), "plot")
        return [{"title": c.title, "x": c.x, "series": c.series} for c in draw(Fetch(self, self.now(), credential))]

    def _download(self, vendor: str, job_id: str, expires: str, signature: str) -> Answer:
        """Serve a finished job's file through a signed, expiring link."""
        if vendor not in self.vendors:
            return _plain_error(404, "not_found", "No such download. Links come from a finished job's status.")
        job = self.state.job(vendor, job_id)
        if job is None or not verify(self.link_key(), job, expires, signature):
            return _plain_error(
                403,
                "invalid_link",
                "This download link is not valid: it names no job, or its signature "
                "does not match. Use the downloadUrl of the job's status as it was given.",
            )
        if int(expires) / 1000 < time.time():
            expired = datetime.fromtimestamp(int(expires) / 1000, UTC).isoformat(timespec="milliseconds")
            return _plain_error(
                410,
                "link_expired",
                f"This download link expired at {expired}: links work for "
                f"{self.settings.download_ttl} s after the job finished (--download-ttl). "
                "Create a new export or report to download again.",
            )
        if job.state(time.time())[0] != "completed":
            return _plain_error(404, "not_found", f"Job {job_id} has no file to download.")
        # The file is made in the world of the request that created the job (its seed and clock),
        # in a thread: a large one takes a second to render. Each job's file is rendered once.
        key = (vendor, job.id, job.seed, job.now)
        profile = self.vendors[vendor].profile

        def file(made: tuple[bytes, str, str]) -> Answer:
            content, media_type, filename = made
            return Answer(200, content, media_type, {"Content-Disposition": f'attachment; filename="{filename}"'})

        def render() -> Answer:
            with self._rendering:  # one rendering at a time: a job asked for twice is rendered once
                made = self._files.get(key)
                if made is None:
                    made = profile.download(job, job.seed, parse_date_time(job.now))
                    self._files.put(key, made, len(made[0]))
            return file(made)

        # A file already made is served at once, without waiting for a rendering of another job.
        found = self._files.get(key)
        return file(found) if found is not None else Answer(200, b"", render=render)

    def _not_found(self, path: str) -> Answer:
        bases = ", ".join(f"/{name}" for name in self.vendors)
        problem = Problem(NOT_FOUND, f"Nothing is served at {path!r}. Vendors are served under: {bases}.")
        return Answer(404, json.dumps({"error": problem.kind, "message": problem.message}).encode())


def create_app(settings: Settings | None = None) -> MockServer:
    """Build the ASGI app; raises ``MockServerError`` for a broken spec or setting."""
    return MockServer(settings or Settings())


def _plain_error(status: int, code: str, message: str) -> Answer:
    answer = Answer(status, json.dumps({"error": code, "message": message}).encode())
    answer.reason = message
    return answer


def _from_the_page(scope: Scope) -> bool:
    """A request the page at /__mock/ sent (it marks them with X-Mock-Page)."""
    return scope["path"].startswith("/__mock/") and any(name == b"x-mock-page" for name, _ in scope["headers"])


def _is_control(path: str) -> bool:
    return path == "/__mock" or path.startswith("/__mock/")


def _query_too_long(size: int, limit: int) -> str:
    return (
        f"The query string is {size} bytes; this server takes at most {limit} (--max-query-bytes). "
        "Send fewer or shorter parameters."
    )


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


# Names the worker process that answered, so a test or a person can see requests spread over workers.
_WORKER = str(os.getpid()).encode()


async def _send(send: Any, answer: Answer, head: bool = False) -> None:
    if answer.delay_ms:
        await asyncio.sleep(answer.delay_ms / 1000)
    if answer.fault is not None and answer.fault.action.get("drop"):
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(b"content-length", str(len(answer.body) + 1).encode())],
            }
        )
        await send({"type": "http.response.body", "body": answer.body[: len(answer.body) // 2], "more_body": True})
        raise DroppedConnection(f"connection dropped on purpose by fault rule {answer.fault.id}")
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
    headers.append((b"x-mock-worker", _WORKER))
    if answer.content_type:
        headers.append((b"content-type", answer.content_type.encode("latin-1")))
    headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else answer.body})


async def _lifespan(receive: Any, send: Any, on_shutdown: list[Callable[[], None]]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            asyncio.get_running_loop().set_exception_handler(QuietAcceptErrors())
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            for hook in on_shutdown:
                hook()
            await send({"type": "lifespan.shutdown.complete"})
            return
