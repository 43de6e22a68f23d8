"""Canned responses ("fixtures") per vendor and operation, checked against the spec at start-up.

A fixture file (YAML or JSON) holds one fixture or a list of them:

    vendor: chatbotcom
    operationId: getConversationsReport
    name: empty                # pick it with  Prefer: example=empty
    match: {storyId: [...]}    # optional: answer automatically when these parameters are sent
    status: 200                # optional: defaults to the operation's success status
    headers: {}                # optional
    recorded: {at, expires, upstream}   # set by serve --record (mockserver/recording.py)
    body: {...}                # must validate against the response schema for that status

A fixture with ``match`` answers every request whose parameters equal those values; any fixture
can be asked for by name. An invalid fixture stops the server, naming the file, the fixture, the
JSON pointer and the schema error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mockserver.errors import MockServerError
from mockserver.openapi.loader import load_yaml


class FixtureError(MockServerError):
    """A fixture file cannot be loaded or does not fit its operation's spec."""


@dataclass(frozen=True)
class Fixture:
    source: str
    vendor: str
    operation_id: str
    name: str
    status: int | None
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    match: dict[str, Any] = field(default_factory=dict)
    recorded: dict[str, str] = field(default_factory=dict)  # a recording's at, expires and upstream

    def matches(self, params: Mapping[str, Any], supplied: Iterable[str]) -> bool:
        sent = set(supplied)
        return bool(self.match) and all(name in sent and params.get(name) == value for name, value in self.match.items())


def read_fixtures(directories: Iterable[Path]) -> list[Fixture]:
    fixtures: list[Fixture] = []
    for directory in directories:
        if not directory.is_dir():
            raise FixtureError(f"{directory}: not a directory of fixtures")
        for path in sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml", ".json")):
            fixtures.extend(_read(path))
    names: dict[tuple[str, str, str], str] = {}
    for fixture in fixtures:
        key = (fixture.vendor, fixture.operation_id, fixture.name)
        if key in names:
            raise FixtureError(
                f"{fixture.source}: fixture {fixture.name!r} of {fixture.vendor}.{fixture.operation_id} "
                f"is also defined in {names[key]}; names must be unique per operation"
            )
        names[key] = fixture.source
    return fixtures


def _read(path: Path) -> list[Fixture]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise FixtureError(f"{path}: cannot read fixture file: {exc}") from exc
    items = data if isinstance(data, list) else [data]
    result = []
    for index, item in enumerate(items):
        where = f"{path}" + (f"[{index}]" if isinstance(data, list) else "")
        if not isinstance(item, dict):
            raise FixtureError(f"{where}: a fixture is a mapping with vendor, operationId, name and body")
        missing = [k for k in ("vendor", "operationId", "name", "body") if k not in item]
        unknown = set(item) - {"vendor", "operationId", "name", "body", "status", "headers", "match", "description", "recorded"}
        if missing or unknown:
            raise FixtureError(
                f"{where}: "
                + (f"missing {', '.join(missing)}" if missing else f"unknown field(s) {sorted(unknown)}")
                + "; a fixture has vendor, operationId, name, body and optionally status, headers, match, description, recorded"
            )
        status = item.get("status")
        if status is not None and not (isinstance(status, int) and 100 <= status <= 599):
            raise FixtureError(f"{where}: status must be an HTTP status code, got {status!r}")
        result.append(
            Fixture(
                where,
                str(item["vendor"]),
                str(item["operationId"]),
                str(item["name"]),
                status,
                item["body"],
                {str(k): str(v) for k, v in (item.get("headers") or {}).items()},
                dict(item.get("match") or {}),
                {str(k): str(v) for k, v in (item.get("recorded") or {}).items()},
            )
        )
    return result
