"""One vendor served from its spec: its pipeline (see mockserver/pipeline), built at start-up.

This is the generic engine. It knows nothing about any vendor beyond what the spec says and
what the vendor's profile adds (its error body and per-operation handlers).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from mockserver.answers import AnswerCache, named
from mockserver.errors import Problem
from mockserver.fixtures import Fixture, FixtureError
from mockserver.generation.values import ValueGenerator
from mockserver.messages import Answer, Incoming, json_bytes
from mockserver.openapi.crud import infer
from mockserver.openapi.loader import load_document
from mockserver.openapi.model import ApiSpec, Operation, build_spec, resolve_pointer
from mockserver.pipeline.answer import Answering
from mockserver.pipeline.exchange import Stage
from mockserver.pipeline.faults import Faults
from mockserver.pipeline.parameters import Parameters
from mockserver.pipeline.respond import Respond
from mockserver.pipeline.response_control import ResponseControl
from mockserver.pipeline.route import Route
from mockserver.pipeline.run import Pipeline
from mockserver.pipeline.security import Security, cookies
from mockserver.pipeline.stored import Stored
from mockserver.profiles.base import Profile
from mockserver.resources import specs_dir
from mockserver.routing import Router
from mockserver.settings import Settings
from mockserver.state import State
from mockserver.validation.fast import compile_check
from mockserver.validation.request import RequestValidator
from mockserver.validation.schema import SchemaCompiler, most_specific

__all__ = ["Answer", "Incoming", "VendorService", "load_spec"]
# Violations of one response body kept in a verdict (the journal bounds its entries too).
MAX_VIOLATIONS = 20


@dataclass
class Conformance:
    """The verdict on one exchange with the real vendor (``VendorService.conformance``)."""

    operation_id: str | None
    violations: list[dict[str, str]]
    params: dict[str, Any] | None = None  # the request's path and query values, when it was valid


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
    def __init__(
        self,
        profile: Profile,
        spec: ApiSpec,
        settings: Settings,
        state: State,
        link_key: Callable[[], str],
        fixtures: list[Fixture] | None = None,
        cache: AnswerCache | None = None,
    ) -> None:
        self.profile = profile
        self.spec = spec
        self.seed = settings.seed
        self.router = Router(spec.operations)
        compiler = SchemaCompiler(spec.root)
        self._validators = {
            op.operation_id: RequestValidator(
                op, spec, compiler, settings.tokens, settings.max_body_bytes, profile.array_spellings
            )
            for op in spec.operations
        }
        self._resolve = lambda ref: resolve_pointer(spec.root, ref, spec.source)
        self.generator = ValueGenerator(self._resolve, profile.locale, compiler)
        self._served: dict[str, bytes] = {}
        self._cache = cache if cache is not None else AnswerCache()  # one for all vendors: one memory bound
        # A GET repeated byte for byte may be answered from the cache before routing and validation,
        # unless the profile authorizes requests itself (its verdict may change with time, as a
        # token's expiry does).
        self._by_request = type(profile).authorize is Profile.authorize
        self._by_id = {op.operation_id: op for op in spec.operations}
        # API keys its spec reads from the query: never part of a recording's match.
        self.query_keys = {
            str(scheme.get("name", "")).lower()
            for scheme in spec.security_schemes.values()
            if scheme.get("type") == "apiKey" and scheme.get("in") == "query"
        }
        # The API-key headers its spec declares (masked in the journal, on every vendor).
        self.api_key_headers = {
            str(scheme.get("name", "")).lower()
            for scheme in spec.security_schemes.values()
            if scheme.get("type") == "apiKey" and scheme.get("in") == "header"
        }
        self.fixtures: dict[str, list[Fixture]] = {}
        for fixture in fixtures or []:
            self._check_fixture(fixture, compiler)
            self.fixtures.setdefault(fixture.operation_id, []).append(fixture)
        # Collections the document writes to keep what they are sent, unless a profile handler
        # answers the operation or the config's ``stateless`` names it.
        excluded = {*profile.handlers, *settings.stateless.get(profile.name, ())}
        self.stateful = infer(spec.operations, self._resolve, excluded)
        stored = Stored(profile, self.stateful, spec.operations, self.generator, self._resolve) if self.stateful else None
        # With written resources, a deleted item's sub-resources answer 404: routed first, then cached.
        self._by_request = self._by_request and not self.stateful
        answering = Answering(
            profile,
            self.generator,
            self.fixtures,
            self._by_id,
            self._cache,
            state,
            settings.job_duration,
            link_key,
            settings.download_ttl,
            stored,
        )
        stages: dict[str, tuple[Stage, ...]] = {
            op.operation_id: (
                Faults(op.operation_id),
                Security(self._validators[op.operation_id].security, profile.authorize, op),
                Parameters(self._validators[op.operation_id]),
                ResponseControl(),
                answering,
            )
            for op in spec.operations
        }
        self.pipeline = Pipeline(
            profile.name, self.seed, Route(self.router, profile.title, profile.name), stages, Respond(self.seed), self.error
        )

    def _check_fixture(self, fixture: Fixture, compiler: SchemaCompiler) -> None:
        operation = self._by_id.get(fixture.operation_id)
        if operation is None:
            raise FixtureError(
                f"{fixture.source}: {self.profile.name} has no operation {fixture.operation_id!r}; "
                f"its operations: {', '.join(self._by_id)}"
            )
        status = fixture.status or operation.success_status
        declared = operation.response_for(status)
        if declared is None or not operation.declares(status) and status != operation.success_status:
            raise FixtureError(f"{fixture.source}: {fixture.operation_id} declares no {status} response")
        unknown = set(fixture.match) - {p.name for p in operation.parameters}
        if unknown:
            raise FixtureError(f"{fixture.source}: match names unknown parameter(s) {sorted(unknown)} of {fixture.operation_id}")
        schema = next(iter(declared.content.values()), None)
        if not schema:
            return
        # The plain-Python check says yes in a few milliseconds where jsonschema walks a year of
        # records for a tenth of a second at every start; when it says no, jsonschema has the last
        # word and says what is wrong.
        fits = compile_check(schema, self._resolve)
        if fits is not None and fits(fixture.body):
            return
        error = most_specific(compiler.compile(schema).iter_errors(fixture.body))
        if error is not None:
            pointer = "/" + "/".join(str(p) for p in error.absolute_path)
            raise FixtureError(
                f"{fixture.source}: body at {pointer} does not fit the {status} response of "
                f"{fixture.operation_id}: {error.message}"
            )

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
            parts = ["request", self.profile.name, request.path, request.query_string, str(request.seed), request.world.key]
            for header in request.headers.items():
                parts += header
            repeat = named(parts, request.body)
            kept = self._cache.get(repeat, request.now)
            if kept is not None:
                return kept
        answer = self.pipeline(request, request.seed if request.seed is not None else self.seed)
        # Kept under the request's own name once its call was answered before (the pipeline's
        # cache gave it): a request asked once, as most are under varied traffic, is kept once.
        if repeat is not None and answer.reusable and answer.cached:
            self._cache.put(repeat, request.now, answer)
        return answer

    def conformance(
        self,
        method: str,
        path: str,
        query_string: str,
        headers: Mapping[str, str],
        body: bytes,
        status: int,
        content_type: str | None,
        answered: bytes,
    ) -> Conformance:
        """An exchange with the real vendor checked against this vendor's spec: the request as the
        pipeline checks it (credentials aside: the vendor judges those), the response's status,
        media type and body. A violation is ``{side, at, message}``."""
        match = self.router.match(path)
        operation = match.operation(method) if match else None
        if match is None or operation is None:
            where = "no operation has this path" if match is None else f"{method} is not declared on {match.route.template}"
            return Conformance(None, [{"side": "request", "at": "path", "message": where}])
        found: list[dict[str, str]] = []
        result = Conformance(operation.operation_id, found)
        try:
            query = parse_qs(query_string, keep_blank_values=True)
            valid = self._validators[operation.operation_id].validate(
                match.path_params, query, headers, cookies(headers.get("cookie", "")), headers.get("content-type"), body
            )
            # What identifies the request for a fixture's match: what the client sent in the path
            # and query, never a header or cookie (where credentials travel) or a query API key.
            result.params = {
                p.name: valid.params[p.name]
                for p in operation.parameters
                if p.location in ("path", "query") and p.name in valid.supplied and p.name.lower() not in self.query_keys
            }
        except Problem as problem:
            at = " ".join(p for p in (problem.location, problem.name) if p) or "request"
            found.append({"side": "request", "at": at, "message": problem.message})
        declared = operation.response_for(status)
        if declared is None:
            statuses = ", ".join(sorted(operation.responses))
            found.append({"side": "response", "at": "status", "message": f"{status} is not declared; declared: {statuses}"})
            return result
        media = (content_type or "").split(";")[0].strip().lower()
        if declared.content and media not in declared.content and "*/*" not in declared.content:
            found.append(
                {
                    "side": "response",
                    "at": "content-type",
                    "message": f"{media or 'none'} is not declared for {status}; declared: {', '.join(declared.content)}",
                }
            )
            return result
        schema = declared.content.get(media) if declared.content else None
        if schema and (media == "application/json" or media.endswith("+json")):
            try:
                value = json.loads(answered)
            except ValueError:
                found.append({"side": "response", "at": "body", "message": "the body is not JSON"})
                return result
            validator = self.generator.validator(schema)
            assert validator is not None  # the generator has the document's compiler
            for error in islice(validator.iter_errors(value), MAX_VIOLATIONS):
                if error.validator == "additionalProperties":
                    continue  # named below, one field each
                pointer = "/" + "/".join(str(p) for p in error.absolute_path)
                found.append({"side": "response", "at": f"body {pointer}", "message": error.message[:300]})
            from mockserver.verify.compare import undeclared_fields  # the same finder verify reports with

            schema_path = [
                "paths",
                operation.path,
                operation.method.lower(),
                "responses",
                declared.status,
                "content",
                media,
                "schema",
            ]
            for where in undeclared_fields(self.spec.root, schema_path, value)[:MAX_VIOLATIONS]:
                found.append({"side": "response", "at": f"body {where}", "message": "a field the spec does not declare"})
        return result

    def error(self, problem: Problem, key: int, now: datetime, operation: Operation | None = None) -> Answer:
        body = self.profile.error_body(problem, key, now)
        content_type = "application/json"
        declared = operation.response_for(problem.status) if operation else None
        if declared and declared.content:
            content_type = next(iter(declared.content))
        headers = {**self.profile.error_headers(problem), **problem.headers}
        answer = Answer(problem.status, json_bytes(body), content_type, headers)
        answer.error_type = self.profile.error_type(body)  # for the journal and coverage
        return answer
