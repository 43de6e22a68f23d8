"""Stage 6, answer: the operation's answer for a valid request.

In this order: ``Prefer: code=`` and ``example=`` (spec examples and fixtures), a fixture whose
match fits, ``Prefer: dynamic=false`` (the first example), else the normal answer: the profile's
handler where the vendor has semantics, otherwise a body generated from the response schema. A
normal answer that touched no stored state is kept in the answer cache (see answers.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from mockserver.answers import AnswerCache, named
from mockserver.errors import INVALID_PARAMETER, Problem, kind_for_status
from mockserver.fixtures import Fixture
from mockserver.generation.rng import derive_text, key_text
from mockserver.generation.values import ValueGenerator
from mockserver.messages import Answer, json_bytes
from mockserver.openapi.model import Operation, ResponseSpec
from mockserver.pipeline.exchange import Exchange
from mockserver.pipeline.stored import Stored
from mockserver.prefer import ResponseControl
from mockserver.profiles.base import Call, Profile, Reply, ServerContext
from mockserver.state import State
from mockserver.validation.schema import shorten


class Answering:
    """One per vendor: its handlers, fixtures, generator and the shared answer cache."""

    def __init__(
        self,
        profile: Profile,
        generator: ValueGenerator,
        fixtures: dict[str, list[Fixture]],
        operations: dict[str, Operation],
        cache: AnswerCache,
        state: State,
        job_duration: float,
        link_key: Callable[[], str],
        download_ttl: int,
        stored: Stored | None = None,
    ) -> None:
        self.profile, self.generator, self.fixtures, self._by_id, self._cache = profile, generator, fixtures, operations, cache
        self._state, self._job_duration, self._link_key, self._ttl = state, job_duration, link_key, download_ttl
        self._stored = stored  # the operations whose writes stick (pipeline/stored.py)
        self._servers: dict[str, ServerContext] = {}

    def __call__(self, exchange: Exchange) -> Answer:
        request, operation, valid = exchange.request, exchange.operation, exchange.valid
        assert operation is not None and valid is not None  # routed and validated
        text = key_text(
            exchange.seed,
            self.profile.name,
            operation.operation_id,
            sorted(valid.params.items()),
            "null" if valid.body is None else json.dumps(valid.body, sort_keys=True),  # (what dumps(None) gives)
            *((request.world.key,) if request.world.key else ()),  # nothing declared: the keys as before
        )
        exchange.key = key = derive_text(text)
        # The answer's name in the cache: what the key is derived from, and where the vendor is
        # served (links in an answer carry it).
        cache_key = named(["answer", request.base_url], text)
        call = Call(
            vendor=self.profile.name,
            operation=operation,
            params=valid.params,
            body=valid.body,
            seed=exchange.seed,
            clock=request.now,
            base_url=request.base_url,
            request_key=key,
            supplied=frozenset(valid.supplied),
            _generate=self._generate,
            server=self._server(request.base_url.removesuffix(request.prefix)),
            wall=request.wall,
            prefer=exchange.preferences,
            session=request.session,
            world=request.world,
        )
        return self._controlled(call, exchange.controls, cache_key)

    def _server(self, url: str) -> ServerContext:
        """The server as a handler sees it from ``url``: the same few URLs again and again (kept for 64)."""
        context = self._servers.get(url)
        if context is None:
            context = ServerContext(url, self._state, self._job_duration, self._link_key, self._ttl)
            if len(self._servers) < 64:
                self._servers[url] = context
        return context

    def _controlled(self, call: Call, controls: ResponseControl, cache_key: bytes) -> Answer:
        """Apply ``Prefer: code=``, ``example=`` and ``dynamic=false``; otherwise the normal answer."""
        operation = call.operation
        if controls.code is not None and controls.example is None:
            return self._forced(call, controls.code, cache_key)
        if controls.example is not None:
            for fixture in self.fixtures.get(operation.operation_id, ()):
                if fixture.name == controls.example:
                    return self._fixture(operation, fixture)
            if controls.code is not None and not operation.declares(controls.code):
                self._forced(call, controls.code, cache_key)  # raises: lists the declared statuses
            for status, response in sorted(operation.responses.items()):
                if controls.code is not None and status != str(controls.code):
                    continue
                if controls.example in response.examples:
                    return self._example(operation, status, controls.example)
            # One entry per name, with the statuses that have it: several responses often share a
            # name ("default"), and code=<status> picks among them.
            statuses: dict[str, list[str]] = {}
            for status, response in sorted(operation.responses.items()):
                for name in response.examples:
                    statuses.setdefault(name, []).append(status)
            named = [
                f"{name} ({', '.join(codes)}{'; add code=<status> to pick one' if len(codes) > 1 else ''})"
                for name, codes in statuses.items()
            ]
            named += [f"{f.name} (fixture)" for f in self.fixtures.get(operation.operation_id, ())]
            raise Problem(
                INVALID_PARAMETER,
                f"Prefer example={shorten(controls.example)} is not an example of "
                f"{operation.operation_id}; "
                + (f"its examples: {', '.join(named)}." if named else "it declares no named examples."),
                "header",
                "Prefer",
            )
        for fixture in self.fixtures.get(operation.operation_id, ()):
            if fixture.matches(call.params, call.supplied):
                return self._fixture(operation, fixture)
        if not controls.dynamic:
            success = str(_success_status(operation))
            examples = operation.responses[success].examples if success in operation.responses else {}
            if examples:
                return self._example(operation, success, next(iter(examples)))
        return self._answer(call, cache_key)

    def _forced(self, call: Call, code: int, cache_key: bytes) -> Answer:
        operation = call.operation
        if not operation.declares(code):
            declared = ", ".join(c for c in sorted(operation.responses) if c != "default")
            raise Problem(
                INVALID_PARAMETER,
                f"Prefer code={code} is not a status {operation.operation_id} declares; declared: {declared}.",
                "header",
                "Prefer",
            )
        if code >= 400:
            raise Problem(
                kind_for_status(code), f"Answered with {code} because the request asked for it (Prefer: code={code}).", code=code
            )
        if code == _success_status(operation):
            return self._answer(call, cache_key)
        declared_response = operation.response_for(code)
        body = self._generate(call, code)
        media = next(iter(declared_response.content), None) if declared_response else None
        return Answer(code, b"" if body is None else json_bytes(body), media)

    def _fixture(self, operation: Operation, fixture: Fixture) -> Answer:
        status = fixture.status or _success_status(operation)
        declared = operation.response_for(status)
        media = next(iter(declared.content), "application/json") if declared and declared.content else "application/json"
        return Answer(status, json_bytes(fixture.body), media, dict(fixture.headers))

    def _example(self, operation: Operation, status: str, name: str) -> Answer:
        response = operation.responses[status]
        code = int(status) if status.isdigit() else _success_status(operation)
        return Answer(code, json_bytes(response.examples[name]), next(iter(response.content), "application/json"))

    def _answer(self, call: Call, key: bytes) -> Answer:
        """The operation's normal answer: the profile's handler, or a body generated from the schema.

        Kept in the answer cache under ``key`` (its name) unless it touched stored state (see answers.py).
        """
        stored = self._stored is not None and call.operation.operation_id in self._stored
        if self._stored is not None and not stored:
            self._stored.check_parents(call)  # under a deleted item: its 404
        cached = None if stored else self._cache.get(key, call.clock)
        if cached is not None:
            return cached
        handler = self.profile.handlers.get(call.operation.operation_id)
        if stored:
            assert self._stored is not None
            result: Any = self._stored(call)
        else:
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
            answer = Answer(reply.status, json_bytes(reply.body), content_type or "application/json", headers)
        if not call.stateful:
            answer.reusable, answer.read_clock = True, call.read_clock
            answer.valid_from, answer.valid_until = call.valid_from, call.valid_until
            self._cache.put(key, call.clock, answer)
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


def _success_status(operation: Operation) -> int:
    return operation.success_status


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
            return call.params.get(expression[len(prefix) :])
    return None
