"""Validate one request against its operation: security, then parameters, then body.

Everything that can be prepared is prepared in ``__init__`` (one instance per operation, built
at start-up); ``validate`` only reads the request and runs compiled validators.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema.exceptions import best_match

from mockserver.errors import (
    INVALID_BODY,
    INVALID_PARAMETER,
    MALFORMED_BODY,
    PAYLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    Problem,
)
from mockserver.openapi.model import ApiSpec, Operation, Parameter, resolve_pointer
from mockserver.validation.fast import compile_check
from mockserver.validation.params import ParameterPlan
from mockserver.validation.schema import SchemaCompiler, expectation, shorten
from mockserver.validation.security import SecurityCheck

# How a client may spell an array query parameter, and which spellings a vendor's stack reads
# (``Profile.array_spellings``): REPEAT ``a=1&a=2`` (OpenAPI's form, explode), BRACKETS ``a[]=1&a[]=2``
# or ``a[0]=1`` (PHP, Rails and Node's qs), COMMA ``a=1,2`` split as well.
REPEAT, BRACKETS, COMMA = "repeat", "brackets", "comma"
_BRACKETED = re.compile(r"([^\[\]]+)\[([0-9]{0,4})\]")


@dataclass
class ValidRequest:
    """A request that passed validation, with typed values."""

    params: dict[str, Any] = field(default_factory=dict)  # by parameter name (all locations)
    supplied: set[str] = field(default_factory=set)  # names the client sent; the rest are defaults
    body: Any = None


class RequestValidator:
    """Checks parameters and body; ``security`` checks credentials (the engine runs it first)."""

    def __init__(
        self,
        operation: Operation,
        spec: ApiSpec,
        compiler: SchemaCompiler,
        tokens: frozenset[str],
        max_body_bytes: int,
        spellings: frozenset[str] = frozenset({REPEAT}),
    ) -> None:
        self.operation = operation
        self._spellings = spellings
        self._resolve = lambda ref: resolve_pointer(spec.root, ref, spec.source)
        self.security = SecurityCheck(operation.security, spec.security_schemes, tokens)
        self._params = [
            (ParameterPlan.of(p, self._resolve), _checker(compiler.compile(p.schema), p.schema, self._resolve))
            for p in operation.parameters
        ]
        body = operation.request_body
        self._body_required = bool(body and body.required)
        self._body_media = {mt.lower(): compiler.compile(schema) for mt, schema in (body.content.items() if body else ())}
        self._body_schemas = dict(body.content) if body else {}
        self._max_body = max_body_bytes
        # Query parameters by name, for keys a client writes with brackets (source[]=a, source[0]=a).
        self._query_plans = {plan.parameter.name: plan for plan, _ in self._params if plan.parameter.location == "query"}

    def validate(
        self,
        path_params: Mapping[str, str],
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        cookies: Mapping[str, str],
        content_type: str | None,
        body: bytes,
    ) -> ValidRequest:
        result = ValidRequest()
        if any("[" in key for key in query):
            query = self._unbracketed(query)
        for plan, is_valid in self._params:
            param = plan.parameter
            if param.location == "query" and (plan.spread or (plan.is_object and param.style == "deepObject")):
                self._query_object(plan, is_valid, query, result)
                continue
            raw = _raw_values(param, path_params, query, headers, cookies)
            if raw is None:
                if param.required:
                    raise Problem(
                        INVALID_PARAMETER,
                        f"Missing required {param.location} parameter '{param.name}': "
                        f"expected {expectation(param.schema, self._resolve)}.",
                        param.location,
                        param.name,
                    )
                if plan.default is not None:
                    result.params[param.name] = plan.default
                continue
            if len(raw) > 1 and not plan.repeatable:
                raise Problem(
                    INVALID_PARAMETER,
                    f"{param.location.capitalize()} parameter '{param.name}' was given {len(raw)} times; send it once.",
                    param.location,
                    param.name,
                )
            if COMMA in self._spellings and plan.repeatable and param.location == "query":
                raw = [item for value in raw for item in value.split(",")]
            value = plan.coerce(raw)
            if not is_valid(value):
                received = raw[0] if len(raw) == 1 else ",".join(raw)
                hint = ""
                if plan.repeatable and any("," in value for value in raw):  # a comma list the vendor does not split
                    hint = f" Send each value as its own parameter: {param.name}=a&{param.name}=b."
                raise Problem(
                    INVALID_PARAMETER,
                    f"Invalid {param.location} parameter '{param.name}': expected "
                    f"{expectation(param.schema, self._resolve)}, got {shorten(received)}.{hint}",
                    param.location,
                    param.name,
                )
            result.params[param.name] = value
            result.supplied.add(param.name)
        result.body = self._validate_body(content_type, body)
        return result

    def _query_object(
        self, plan: ParameterPlan, is_valid: Callable[[Any], bool], query: Mapping[str, list[str]], result: ValidRequest
    ) -> None:
        """An object parameter spread over the query: ``R=100&G=200`` (form, exploded: every key the
        operation does not declare) or ``color[R]=100&color[G]=200`` (deepObject). Sending none of
        its keys sends the empty object, which the schema then accepts or refuses."""
        param = plan.parameter
        if plan.spread:
            pairs = [(k, v) for k, values in query.items() if k not in self._query_plans for v in values]
        else:
            pairs = [
                (found.group(1), v)
                for k, values in query.items()
                if (found := re.fullmatch(re.escape(param.name) + r"\[([^\[\]]*)\]", k))
                for v in values
            ]
        names = [name for name, _ in pairs]
        if len(set(names)) < len(names):
            twice = next(name for name in names if names.count(name) > 1)
            raise Problem(
                INVALID_PARAMETER,
                f"Query parameter '{param.name}' has property '{shorten(twice)[1:-1]}' twice; send each once.",
                "query",
                param.name,
            )
        if not pairs and not param.required:
            if plan.default is not None:
                result.params[param.name] = plan.default
            return
        value = plan.properties(pairs)
        if not is_valid(value):
            raise Problem(
                INVALID_PARAMETER,
                f"Invalid query parameter '{param.name}': expected {expectation(param.schema, self._resolve)}, "
                f"got {shorten(json.dumps(value, ensure_ascii=False))}.",
                "query",
                param.name,
            )
        result.params[param.name] = value
        if pairs:
            result.supplied.add(param.name)

    def _unbracketed(self, query: Mapping[str, list[str]]) -> dict[str, list[str]]:
        """The query with ``name[]=a`` and ``name[0]=a`` read as ``name=a`` for a declared array
        parameter, where the vendor's stack reads them so (BRACKETS); otherwise such a key for a
        declared parameter is refused with a 400 naming it, never silently dropped. Keys for
        parameters the operation does not declare stay as they are (ignored, as the vendor does)."""
        plain: dict[str, list[str]] = {}
        indexed: dict[str, list[tuple[int, list[str]]]] = {}
        for key, values in query.items():
            found = _BRACKETED.fullmatch(key)
            plan = self._query_plans.get(found.group(1)) if found else None
            if found is None or plan is None or plan.parameter.style == "deepObject":  # color[0]: a property
                plain.setdefault(key, []).extend(values)
                continue
            name = plan.parameter.name
            if not (BRACKETS in self._spellings and plan.repeatable):
                how = (
                    f"repeat {name}=<value> for each value"
                    if plan.repeatable
                    else f"send {name}=<value> once" + (", values separated by commas" if "array" in plan.types else "")
                )
                raise Problem(
                    INVALID_PARAMETER,
                    f"Invalid query parameter '{shorten(key)[1:-1]}': this API does not read '{name}' with brackets; {how}.",
                    "query",
                    name,
                )
            indexed.setdefault(name, []).append((int(found.group(2)) if found.group(2) else -1, values))
        for name, parts in indexed.items():
            # name[0], name[1], ... in index order, then name[] in the order sent; after name=... itself.
            ordered = sorted((p for p in parts if p[0] >= 0), key=lambda p: p[0]) + [p for p in parts if p[0] < 0]
            plain[name] = plain.get(name, []) + [v for _, values in ordered for v in values]
        return plain

    def _validate_body(self, content_type: str | None, body: bytes) -> Any:
        if len(body) > self._max_body:
            raise Problem(
                PAYLOAD_TOO_LARGE,
                f"Request body is {len(body)} bytes; the limit is {self._max_body} bytes.",
                "body",
            )
        if not self._body_media:
            return None  # operations without a declared body ignore one, as most servers do
        if not body:
            if self._body_required:
                raise Problem(
                    INVALID_BODY,
                    f"A request body is required: send {' or '.join(self._body_media)} "
                    f"with {expectation(next(iter(self._body_schemas.values())), self._resolve)}.",
                    "body",
                )
            return None
        media = (content_type or "").split(";")[0].strip().lower()
        validator = self._body_media.get(media) or self._body_media.get("*/*")
        if validator is None:
            raise Problem(
                UNSUPPORTED_MEDIA_TYPE,
                f"Unsupported Content-Type {shorten(content_type or '(none)')}: send {' or '.join(self._body_media)}.",
                "header",
                "content-type",
            )
        if media == "application/json" or media.endswith("+json"):
            try:
                text = body.decode("utf-8")  # strict: json.loads(bytes) would let encoded surrogates through
            except UnicodeDecodeError as exc:
                raise Problem(
                    MALFORMED_BODY,
                    f"Request body is not valid UTF-8: byte {body[exc.start]:#04x} at position {exc.start} ({exc.reason}).",
                    "body",
                ) from exc
            try:
                value = json.loads(text, parse_constant=_no_constants)
            except RecursionError as exc:
                raise Problem(
                    MALFORMED_BODY, "Request body is nested too deeply to be a sensible JSON document.", "body"
                ) from exc
            except ValueError as exc:
                raise Problem(MALFORMED_BODY, f"Request body is not valid JSON: {exc}.", "body") from exc
        else:
            value = body.decode("utf-8", errors="replace")
        errors = list(validator.iter_errors(value))
        if errors:
            raise Problem(INVALID_BODY, _body_message(best_match(errors), self._resolve), "body")
        return value


def _checker(validator: Any, schema: Any, resolve: Any) -> Callable[[Any], bool]:
    """The fast check for a simple schema (validation/fast.py), else the compiled validator's."""
    return compile_check(schema, resolve) or validator.is_valid


def _no_constants(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON does not.
    raise ValueError(f"{name} is not a JSON value")


def _raw_values(
    param: Parameter,
    path_params: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
) -> list[str] | None:
    if param.location == "path":
        value = path_params.get(param.name)
        return None if value is None else [value]
    if param.location == "query":
        return query.get(param.name)
    if param.location == "header":
        value = headers.get(param.name.lower())
        return None if value is None else [value]
    value = cookies.get(param.name)
    return None if value is None else [value]


def _show_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:80] + "..."


def _body_message(error: Any, resolve: Any) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    field_name = f"body field '{where.lstrip('.')}'" if where else "request body"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"Invalid request body: {field_name} is missing the required property '{missing}'."
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extra = [shorten(k, 40) for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        return (
            f"Invalid request body: {field_name} has properties it does not allow: {', '.join(extra[:5])}"
            + (" and more" if len(extra) > 5 else "")
            + (f"; allowed properties: {', '.join(allowed)}." if allowed else ".")
        )
    return f"Invalid request body: {field_name} must be {expectation(error.schema, resolve)}, got {_show_json(error.instance)}."
