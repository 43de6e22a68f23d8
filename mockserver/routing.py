"""Match request paths against the spec's path templates.

Matching works on the raw (still percent-encoded) path split at ``/``, decoding each segment
afterwards, so an id containing ``%2F`` stays one segment, as on the vendors' servers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from mockserver.openapi.model import Operation

_PARAM = re.compile(r"\{([^}]+)\}")


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
        self._by_length: dict[int, list[Route]] = {}
        for route in routes:
            self._by_length.setdefault(len(route.pattern), []).append(route)

    def match(self, raw_path: str) -> Match | None:
        """Find the route for a percent-encoded path such as ``/v1/admin/bots/b%2F1/analytics``."""
        segments = raw_path.split("/")[1:] if raw_path.startswith("/") else raw_path.split("/")
        for route in self._by_length.get(len(segments), ()):
            params: dict[str, str] = {}
            for part, raw, names in zip(route.pattern, segments, route.names):
                if isinstance(part, str):
                    if unquote(raw, errors="strict") != part:
                        break
                    continue
                if not raw:
                    break
                found = part.fullmatch(raw)
                if found is None:
                    break
                for name, value in zip(names, found.groups()):
                    params[name] = unquote(value, errors="strict")
            else:
                return Match(route, params)
        return None


def _compile(path: str, operations: dict[str, Operation]) -> Route:
    pattern: list[str | re.Pattern[str]] = []
    names: list[tuple[str, ...]] = []
    for segment in path.strip("/").split("/") if path != "/" else [""]:
        found = _PARAM.findall(segment)
        if not found:
            pattern.append(segment)
            names.append(())
            continue
        regex = "".join(
            "([^/]+?)" if i % 2 else re.escape(text) for i, text in enumerate(_PARAM.split(segment))
        )
        pattern.append(re.compile(regex))
        names.append(tuple(found))
    return Route(path, tuple(pattern), tuple(names), operations)
