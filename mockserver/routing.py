"""Match request paths against the spec's path templates.

Matching works on the raw (still percent-encoded) path split at ``/``, decoding each segment
afterwards, so an id containing ``%2F`` stays one segment, as on the vendors' servers. Then, like
the vendors' web frameworks, a parameter whose escapes are malformed or not UTF-8 is a 400, and one
that decodes to more than a single id (``../..``) names nothing: a 404 (see ``check_id``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from mockserver.errors import INVALID_PARAMETER, NOT_FOUND, Problem
from mockserver.openapi.model import Operation
from mockserver.validation.schema import shorten

_PARAM = re.compile(r"\{([^}]+)\}")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_NOT_AN_ID = re.compile(r"[/\\\x00-\x1f\x7f]|^\.\.?$")


def check_id(name: str, value: str) -> None:
    """A 404 for a path parameter that decodes to more than one id (``../..``): it names nothing.

    The engine calls this after schema validation, so a value that breaks the schema gets its 400.
    """
    if _NOT_AN_ID.search(value):
        raise Problem(
            NOT_FOUND,
            f"Not found: path parameter '{name}' names nothing, as {shorten(value)} is not a single "
            "id (it holds '/', '\\', a control character, or is '.' or '..').",
            "path",
            name,
        )


@dataclass(frozen=True)
class Route:
    template: str
    pattern: tuple[str | re.Pattern[str], ...]  # literal segment, or a compiled segment regex
    names: tuple[tuple[str, ...], ...]  # parameter names per regex segment
    operations: dict[str, Operation]  # method -> operation

    @property
    def allow(self) -> str:
        methods = set(self.operations)
        if "GET" in methods:
            methods.add("HEAD")
        return ", ".join(sorted(methods | {"OPTIONS"}))


@dataclass(frozen=True)
class Match:
    route: Route
    path_params: dict[str, str]

    def operation(self, method: str) -> Operation | None:
        ops = self.route.operations
        return ops.get(method) or (ops.get("GET") if method == "HEAD" else None)


class Router:
    def __init__(self, operations: tuple[Operation, ...]) -> None:
        by_path: dict[str, dict[str, Operation]] = {}
        for op in operations:
            by_path.setdefault(op.path, {})[op.method] = op
        routes = [_compile(path, ops) for path, ops in by_path.items()]
        # OpenAPI: concrete paths win over templated ones; compare segment by segment.
        routes.sort(key=lambda r: tuple(0 if isinstance(s, str) else 1 for s in r.pattern))
        self._templates = [r.template for r in routes]
        self._by_length: dict[int, list[Route]] = {}
        for route in routes:
            self._by_length.setdefault(len(route.pattern), []).append(route)

    def match(self, raw_path: str) -> Match | None:
        """Find the route for a percent-encoded path such as ``/v1/admin/bots/b%2F1/analytics``.

        Raises a ``Problem`` when the route is found but a path parameter cannot be decoded.
        """
        segments = raw_path.split("/")[1:] if raw_path.startswith("/") else raw_path.split("/")
        for route in self._by_length.get(len(segments), ()):
            raw_params: dict[str, str] = {}
            for part, raw, names in zip(route.pattern, segments, route.names):
                if isinstance(part, str):
                    # (most paths hold no escape: compared as sent, without decoding)
                    if raw != part and ("%" not in raw or unquote(raw, errors="replace") != part):
                        break
                    continue
                if not raw:
                    break
                found = part.fullmatch(raw)
                if found is None:
                    break
                raw_params.update(zip(names, found.groups()))
            else:
                return Match(route, {name: _decode(name, raw) for name, raw in raw_params.items()})
        return None

    def suggest(self, raw_path: str) -> str | None:
        """The route template closest to a path that matched none (a typo, a missing segment), if any is close."""
        import difflib

        path = unquote(raw_path, errors="replace")
        segments = path.strip("/").split("/")
        # Each template with its parameters filled from the path where the segment counts agree,
        # so that "/v1/admin/bots/bot_1/analytic" is compared with ".../bots/bot_1/analytics".
        filled: dict[str, str] = {}
        for template in self._templates:
            parts = template.strip("/").split("/")
            if len(parts) == len(segments):
                parts = [seg if part.startswith("{") else part for part, seg in zip(parts, segments)]
            filled["/" + "/".join(parts)] = template
        close = difflib.get_close_matches(path, list(filled), n=1, cutoff=0.75)
        return filled[close[0]] if close else None


def _decode(name: str, raw: str) -> str:
    if "%" not in raw:
        return raw
    if _BAD_ESCAPE.search(raw):
        raise Problem(
            INVALID_PARAMETER,
            f"Path parameter '{name}' has malformed percent-encoding: {shorten(raw)} ('%' "
            "must start a two-digit hex escape; write a literal '%' as %25).",
            "path",
            name,
        )
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise Problem(
            INVALID_PARAMETER, f"Path parameter '{name}' is not valid UTF-8 once percent-decoded: {shorten(raw)}.", "path", name
        ) from None


def _compile(path: str, operations: dict[str, Operation]) -> Route:
    pattern: list[str | re.Pattern[str]] = []
    names: list[tuple[str, ...]] = []
    # Split as ``match`` splits a request's path: a trailing slash is an empty last segment, so
    # "/__mock/" and "/__mock" are two routes, as OpenAPI has them.
    for segment in path.removeprefix("/").split("/"):
        found = _PARAM.findall(segment)
        if not found:
            pattern.append(segment)
            names.append(())
            continue
        regex = "".join("([^/]+?)" if i % 2 else re.escape(text) for i, text in enumerate(_PARAM.split(segment)))
        pattern.append(re.compile(regex))
        names.append(tuple(found))
    return Route(path, tuple(pattern), tuple(names), operations)
