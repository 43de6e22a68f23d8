"""One vendor served from its spec: route, validate, answer.

This is the generic engine. It knows nothing about any vendor beyond what the spec says and
what the vendor's profile adds (its error body and per-operation handlers).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import orjson

from mockserver.answers import AnswerCache
from mockserver.control.faults import FaultRule, latency_of
from mockserver.control.journal import SECRET_HEADERS
from mockserver.errors import INVALID_PARAMETER, METHOD_NOT_ALLOWED, NOT_FOUND, RATE_LIMITED, Problem, kind_for_status
from mockserver.fixtures import Fixture, FixtureError
from mockserver.generation.rng import derive
from mockserver.generation.values import ValueGenerator
from mockserver.openapi.loader import load_document
from mockserver.openapi.model import (
    ApiSpec,
    Operation,
    ResponseSpec,
    build_spec,
    resolve_pointer,
)
from mockserver.prefer import ResponseControl, parse_prefer, response_control
from mockserver.profiles.base import Call, Profile, Reply, ServerContext
from mockserver.resources import specs_dir
from mockserver.routing import Router, check_id
from mockserver.settings import Settings
from mockserver.state import State
from mockserver.validation.request import RequestValidator
from mockserver.validation.schema import SchemaCompiler, most_specific, shorten


@dataclass
class Answer:
    """A response, ready to send."""

    status: int
    body: bytes
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0  # Prefer: delay=<ms>, or a fault rule's latency
    operation_id: str | None = None  # for the journal
    route: str | None = None
    fault: FaultRule | None = None  # the fault rule that acted on this request
    vendor: str | None = None  # for the log line
    session: str | None = None
    query: dict[str, list[str]] | None = None  # the parsed query, for the journal
    # Set on the normal answer of a request that touched no stored state: the same request gives
    # the same answer again (read_clock: as long as the clock reads the same).
    reusable: bool = False
    read_clock: bool = False

    def copy(self) -> Answer:
        """A copy that may be changed (delays, faults) without touching the kept one."""
        # Field by field through __dict__, so a field added later is never dropped; several times
        # faster than dataclasses.replace, and every answer served from the cache is copied.
        twin = object.__new__(Answer)
        twin.__dict__.update(self.__dict__)
        twin.headers = dict(self.headers)
        return twin


@dataclass(frozen=True)
class Incoming:
    """The parts of an HTTP request the engine reads."""

    method: str
    path: str  # raw (percent-encoded) path below the vendor's base
    query_string: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    base_url: str
    now: datetime
    wall: float = 0.0
    prefix: str = ""  # the vendor's path prefix inside base_url ("/chatcaptain" or "")
    seed: int | None = None  # a session's seed, if it set one
    session: str | None = None  # the X-Mock-Session header
    # Picks the fault rule for (operationId, route template), if any: the control plane's rules.
    pick_fault: Callable[[str, str], FaultRule | None] | None = None
    faults: bool = True  # whether any fault rule is in force (so one might match)


def load_spec(profile: type[Profile], settings: Settings) -> ApiSpec:
    """The vendor's spec plus its overlay: the bundled one, or the user's ``--spec`` replacement.

    A replacement (a newer or fuller vendor document, or one of the user's own) gets the overlay's
    actions that fit it, so the errors the mock answers stay declared, and is checked against the
    OpenAPI meta-schema at start-up; the bundled documents are checked by the test suite.
    """
    overlay = specs_dir() / profile.overlay_file if profile.overlay_file else None
    override = settings.spec_overrides.get(profile.name)
    if override is not None:
        path = Path(override)
        document = load_document(path, overlay, lenient_overlay=True)
    else:
        path = specs_dir() / profile.spec_file
        document = load_document(path, overlay, check=False)
    return build_spec(document, str(path))


class VendorService:
    def __init__(self, profile: Profile, spec: ApiSpec, settings: Settings, state: State, link_key: Callable[[], str],
                 fixtures: list[Fixture] | None = None, cache: AnswerCache | None = None) -> None:
        self.profile = profile
        self._state, self._link_key, self._job_duration, self._ttl = state, link_key, settings.job_duration, settings.download_ttl
        self.spec = spec
        self.seed = settings.seed
        self.router = Router(spec.operations)
        compiler = SchemaCompiler(spec.root)
        self._validators = {
            op.operation_id: RequestValidator(op, spec, compiler, settings.tokens, settings.max_body_bytes)
            for op in spec.operations
        }
        self._resolve = lambda ref: resolve_pointer(spec.root, ref, spec.source)
        self.generator = ValueGenerator(self._resolve, profile.locale)
        self._served: dict[str, bytes] = {}
        self._cache = cache if cache is not None else AnswerCache()  # one for all vendors: one memory bound
        # A GET repeated byte for byte may be answered from the cache before routing and validation,
        # unless the profile authorizes requests itself (its verdict may change with time, as a
        # token's expiry does).
        self._by_request = type(profile).authorize is Profile.authorize
        self._by_id = {op.operation_id: op for op in spec.operations}
        # Header names that carry this vendor's credentials (masked in the journal).
        self.secret_headers = SECRET_HEADERS | {
            str(scheme.get("name", "")).lower() for scheme in spec.security_schemes.values()
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header"}
        self.fixtures: dict[str, list[Fixture]] = {}
        for fixture in fixtures or []:
            self._check_fixture(fixture, compiler)
            self.fixtures.setdefault(fixture.operation_id, []).append(fixture)

    def _check_fixture(self, fixture: Fixture, compiler: SchemaCompiler) -> None:
        operation = self._by_id.get(fixture.operation_id)
        if operation is None:
            raise FixtureError(f"{fixture.source}: {self.profile.name} has no operation {fixture.operation_id!r}; "
                               f"its operations: {', '.join(self._by_id)}")
        status = fixture.status or _success_status(operation)
        declared = operation.response_for(status)
        if declared is None or not operation.declares(status) and status != _success_status(operation):
            raise FixtureError(f"{fixture.source}: {fixture.operation_id} declares no {status} response")
        unknown = set(fixture.match) - {p.name for p in operation.parameters}
        if unknown:
            raise FixtureError(f"{fixture.source}: match names unknown parameter(s) {sorted(unknown)} of {fixture.operation_id}")
        schema = next(iter(declared.content.values()), None)
        if schema:
            error = most_specific(compiler.compile(schema).iter_errors(fixture.body))
            if error is not None:
                pointer = "/" + "/".join(str(p) for p in error.absolute_path)
                raise FixtureError(f"{fixture.source}: body at {pointer} does not fit the {status} response of "
                                   f"{fixture.operation_id}: {error.message}")

    def served_spec(self, base_url: str) -> bytes:
        """The spec as JSON with ``servers`` pointing at this mock (cached per base URL)."""
        cached = self._served.get(base_url)
        if cached is None:
            document = {**self.spec.document, "servers": [{"url": base_url, "description": "mockserver"}]}
            cached = json.dumps(document, ensure_ascii=False).encode()
            if len(self._served) < 64:
                self._served[base_url] = cached
        return cached

    def handle(self, request: Incoming) -> Answer:
        """The answer to one request: a repeated one from the cache, any other worked out."""
        repeat = None
        if self._by_request and request.method == "GET" and not request.faults and "prefer" not in request.headers:
            repeat = ("request", self.profile.name, request.path, request.query_string, request.seed,
                      tuple(request.headers.items()), request.body)
            kept = self._cache.get(repeat, request.now)
            if kept is not None:
                return kept.copy()
        answer = self._work_out(request)
        if repeat is not None and answer.reusable:
            self._cache.put(repeat, request.now if answer.read_clock else None, answer)
        return answer

    def _work_out(self, request: Incoming) -> Answer:
        operation: Operation | None = None
        controls = ResponseControl()
        rule: FaultRule | None = None
        route: str | None = None
        key: int | None = None  # names the request in error ids; derived once it is validated
        query: dict[str, list[str]] | None = None
        try:
            match = self.router.match(request.path)
            if match is None:
                raise Problem(NOT_FOUND, f"No {self.profile.title} operation has the path {shorten(request.path, 200)}.", "path")
            operation = match.operation(request.method)
            route = match.route.template
            if operation is None and request.method == "OPTIONS":
                return Answer(204, b"", None, {"Allow": match.route.allow}, route=route)
            if operation is None:
                raise Problem(
                    METHOD_NOT_ALLOWED,
                    f"{request.method} is not allowed on {match.route.template}; allowed: {match.route.allow}.",
                    headers={"Allow": match.route.allow},
                )
            try:
                query = parse_qs(request.query_string, keep_blank_values=True, errors="strict")
            except UnicodeDecodeError as exc:
                raise Problem(INVALID_PARAMETER, "The query string is not valid UTF-8 once percent-decoded.", "query") from exc
            if request.pick_fault is not None:
                rule = request.pick_fault(operation.operation_id, route)
                if rule is not None:
                    _raise_fault(rule)
            preferences = parse_prefer(request.headers.get("prefer"))
            controls = response_control(preferences)
            seed = controls.seed if controls.seed is not None else request.seed if request.seed is not None else self.seed
            cookies = _cookies(request.headers.get("cookie", ""))
            validator = self._validators[operation.operation_id]
            # The vendors' order: authentication (401), then permissions (403), then input (400).
            validator.security.check(request.headers, query, cookies)
            self.profile.authorize(operation, request.headers)
            valid = validator.validate(
                match.path_params, query, request.headers, cookies, request.headers.get("content-type"), request.body
            )
            for name, value in match.path_params.items():
                check_id(name, value)
            key = derive(seed, self.profile.name, operation.operation_id, sorted(valid.params.items()), json.dumps(valid.body, sort_keys=True))
            call = Call(
                vendor=self.profile.name,
                operation=operation,
                params=valid.params,
                body=valid.body,
                seed=seed,
                clock=request.now,
                base_url=request.base_url,
                request_key=key,
                supplied=frozenset(valid.supplied),
                _generate=self._generate,
                server=ServerContext(request.base_url.removesuffix(request.prefix), self._state, self._job_duration, self._link_key, self._ttl),
                wall=request.wall,
                prefer=preferences,
                session=request.session,
            )
            answer = self._controlled(call, controls)
        except Problem as problem:
            if key is None:
                key = derive(self.seed, self.profile.name, request.method, request.path, request.query_string)
            answer = self.error(problem, key, request.now, operation)
        answer.query = query
        answer.delay_ms = controls.delay_ms
        answer.operation_id, answer.route, answer.fault = (operation.operation_id if operation else None), route, rule
        if rule is not None:
            answer.delay_ms += latency_of(rule, self.seed)
            if rule.action.get("malformed"):
                answer.body = answer.body[: max(len(answer.body) // 2, 1)]  # cut mid-document: not valid JSON
        if request.method == "HEAD":
            answer.body = b""
        return answer

    def error(self, problem: Problem, key: int, now: datetime, operation: Operation | None = None) -> Answer:
        body = self.profile.error_body(problem, key, now)
        content_type = "application/json"
        declared = operation.response_for(problem.status) if operation else None
        if declared and declared.content:
            content_type = next(iter(declared.content))
        headers = {**self.profile.error_headers(problem), **problem.headers}
        return Answer(problem.status, _dump(body), content_type, headers)

    def _controlled(self, call: Call, controls: ResponseControl) -> Answer:
        """Apply ``Prefer: code=``, ``example=`` and ``dynamic=false``; otherwise the normal answer."""
        operation = call.operation
        if controls.code is not None and controls.example is None:
            return self._forced(call, controls.code)
        if controls.example is not None:
            for fixture in self.fixtures.get(operation.operation_id, ()):
                if fixture.name == controls.example:
                    return self._fixture(operation, fixture)
            if controls.code is not None and not operation.declares(controls.code):
                self._forced(call, controls.code)  # raises: lists the declared statuses
            for status, response in sorted(operation.responses.items()):
                if controls.code is not None and status != str(controls.code):
                    continue
                if controls.example in response.examples:
                    return self._example(operation, status, controls.example)
            named = [f"{name} ({status})" for status, r in sorted(operation.responses.items()) for name in r.examples]
            named += [f"{f.name} (fixture)" for f in self.fixtures.get(operation.operation_id, ())]
            raise Problem(INVALID_PARAMETER, f"Prefer example={shorten(controls.example)} is not an example of "
                          f"{operation.operation_id}; " + (f"its examples: {', '.join(named)}." if named else
                          "it declares no named examples."), "header", "Prefer")
        for fixture in self.fixtures.get(operation.operation_id, ()):
            if fixture.matches(call.params, call.supplied):
                return self._fixture(operation, fixture)
        if not controls.dynamic:
            success = str(_success_status(operation))
            examples = operation.responses[success].examples if success in operation.responses else {}
            if examples:
                return self._example(operation, success, next(iter(examples)))
        return self._answer(call)

    def _forced(self, call: Call, code: int) -> Answer:
        operation = call.operation
        if not operation.declares(code):
            declared = ", ".join(c for c in sorted(operation.responses) if c != "default")
            raise Problem(INVALID_PARAMETER, f"Prefer code={code} is not a status {operation.operation_id} declares; "
                          f"declared: {declared}.", "header", "Prefer")
        if code >= 400:
            raise Problem(kind_for_status(code), f"Answered with {code} because the request asked for it "
                          f"(Prefer: code={code}).", code=code)
        if code == _success_status(operation):
            return self._answer(call)
        declared_response = operation.response_for(code)
        body = self._generate(call, code)
        media = next(iter(declared_response.content), None) if declared_response else None
        return Answer(code, b"" if body is None else _dump(body), media)

    def _fixture(self, operation: Operation, fixture: Fixture) -> Answer:
        status = fixture.status or _success_status(operation)
        declared = operation.response_for(status)
        media = next(iter(declared.content), "application/json") if declared and declared.content else "application/json"
        return Answer(status, _dump(fixture.body), media, dict(fixture.headers))

    def _example(self, operation: Operation, status: str, name: str) -> Answer:
        response = operation.responses[status]
        code = int(status) if status.isdigit() else _success_status(operation)
        return Answer(code, _dump(response.examples[name]), next(iter(response.content), "application/json"))

    def _answer(self, call: Call) -> Answer:
        """The operation's normal answer: the profile's handler, or a body generated from the schema.

        Kept in the answer cache unless it touched stored state (see answers.py).
        """
        key = (call.operation.operation_id, call.seed, call.base_url, _frozen(call.params), call.request_key)
        cached = self._cache.get(key, call.clock)
        if cached is not None:
            return cached.copy()
        handler = self.profile.handlers.get(call.operation.operation_id)
        result = handler(call) if handler else self._generate(call, None)
        reply = result if isinstance(result, Reply) else Reply(result, _success_status(call.operation))
        declared = call.operation.response_for(reply.status)
        content_type = next(iter(declared.content), None) if declared and declared.content else None
        headers = {**self._required_headers(call, reply, declared), **reply.headers}
        if reply.body is None and content_type is None:
            answer = Answer(reply.status, b"", None, headers)
        elif isinstance(reply.body, bytes):
            answer = Answer(reply.status, reply.body, content_type or "application/json", headers)
        elif isinstance(reply.body, str) and content_type and content_type.startswith("text/"):
            answer = Answer(reply.status, reply.body.encode(), content_type, headers)  # text, not a JSON string
        else:
            answer = Answer(reply.status, _dump(reply.body), content_type or "application/json", headers)
        if not call.stateful:
            answer.reusable, answer.read_clock = True, call.read_clock
            self._cache.put(key, call.clock if call.read_clock else None, answer)
        return answer

    def _required_headers(self, call: Call, reply: Reply, declared: ResponseSpec | None) -> dict[str, str]:
        """Values for response headers the spec marks required and the handler did not set.

        ``Location`` follows the response's OpenAPI link (create -> status), so clients and
        schemathesis reach the created resource; other headers get a schema-valid value.
        """
        headers: dict[str, str] = {}
        if declared is None:
            return headers
        present = {k.lower() for k in reply.headers}
        for name, header in declared.headers.items():
            if not header.get("required") or name.lower() in present:
                continue
            if name.lower() == "location":
                target = self._link_target(call, reply)
                if target:
                    headers[name] = call.base_url + target
                    continue
            value = self.generator.generate(header.get("schema", {}), call.rng("header", name, call.request_key))
            headers[name] = str(value).lower() if isinstance(value, bool) else str(value)
        return headers

    def _link_target(self, call: Call, reply: Reply) -> str | None:
        for link in call.operation.links.get(str(reply.status), {}).values():
            target = self._by_id.get(link.get("operationId", ""))
            if target is None:
                continue
            values = {name: _runtime_value(expr, call, reply.body) for name, expr in (link.get("parameters") or {}).items()}
            values = {k.split(".")[-1]: v for k, v in values.items() if v is not None}
            path = target.path
            for name in re.findall(r"\{([^}]+)\}", target.path):
                value = values.get(name, call.params.get(name))
                if value is None:
                    break
                path = path.replace("{" + name + "}", quote(str(value), safe=""))
            else:
                return path
        return None

    def _generate(self, call: Call, status: int | None) -> Any:
        status = status or _success_status(call.operation)
        declared = call.operation.response_for(status)
        if declared is None or not declared.content:
            return None
        schema = next(iter(declared.content.values()))
        # Properties named like a request parameter or body field echo what the client sent.
        echo = {**call.params, **(call.body if isinstance(call.body, dict) else {})}
        return self.generator.generate(schema, call.rng(call.operation.operation_id, call.request_key), echo)


def _raise_fault(rule: FaultRule) -> None:
    """A fault rule's error, in the vendor's body (latency, drops and garbage are applied later)."""
    if rule.action.get("rateLimit"):
        raise Problem(RATE_LIMITED, f"Rate limit exceeded (fault rule {rule.id}).")
    status = rule.action.get("status")
    if status:
        raise Problem(kind_for_status(status), f"Injected failure (fault rule {rule.id}).", code=status)


def _runtime_value(expression: Any, call: Call, body: Any) -> Any:
    """Evaluate an OpenAPI link runtime expression such as ``$response.body#/id``."""
    if not isinstance(expression, str) or not expression.startswith("$"):
        return expression
    if expression.startswith("$response.body#"):
        node = body
        for token in expression.split("#", 1)[1].split("/")[1:]:
            if not isinstance(node, dict) or token not in node:
                return None
            node = node[token]
        return node
    for prefix in ("$request.path.", "$request.query.", "$request.header."):
        if expression.startswith(prefix):
            return call.params.get(expression[len(prefix):])
    return None


def _success_status(operation: Operation) -> int:
    codes = sorted(int(code) for code in operation.responses if code.isdigit() and code.startswith("2"))
    return codes[0] if codes else 200


def _dump(body: Any) -> bytes:
    try:
        return orjson.dumps(body)
    except TypeError:
        # orjson refuses lone surrogates (JSON allows "\ud800", and a client may have sent one) and
        # integers over 64 bits: the standard encoder writes both.
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8", "backslashreplace")


def _frozen(value: Any) -> Any:
    """A hashable form of validated parameters (lists become tuples)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


def _cookies(header: str) -> dict[str, str]:
    cookies = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            cookies[name] = value
    return cookies
