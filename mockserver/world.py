"""A declared world: the user's own entities (bots, channels, stories), per vendor.

Client code is configured with the user's ids. The ``world`` section of ``--config`` (and a
session's ``world``) names them per vendor, in the shape each profile declares
(``Profile.world_schema``); the profile then makes its data for those entities. Checking is the
engine's: the vendor must exist, its section must fit the profile's schema, and ids must be unique
in each list. Every error names the path of the value in the file and the value seen.

A vendor's section is canonical JSON once checked, and its digest joins every cache key, so two
sessions that declare different accounts never share an answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator

from mockserver.validation.schema import FORMAT_CHECKER, shorten


class WorldError(ValueError):
    """A declared world that does not fit: ``path`` (``world.chatcaptain.chatbots[0].id``) and why."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass(frozen=True, eq=False)
class Declared:
    """One vendor's declared entities (its checked section of the world) and a digest naming them."""

    section: Mapping[str, Any]
    key: str  # "" when nothing is declared

    def entities(self, kind: str) -> list[dict[str, Any]]:
        """The declared entities of ``kind`` ("bots", "chatbots", ...), in the order given."""
        return list(self.section.get(kind) or ())

    def find(self, kind: str, entity_id: str) -> dict[str, Any] | None:
        return next((e for e in self.entities(kind) if e.get("id") == entity_id), None)

    def declares(self, kind: str) -> bool:
        """Whether the user listed this kind of entity (then it is exactly what they listed)."""
        return kind in self.section


NOTHING = Declared({}, "")

# Pieces of the profiles' world schemas: an id as clients write one, and a creation time.
ID = {"type": "string", "minLength": 1, "maxLength": 200, "description": "an id of 1 to 200 characters"}
NAME = {"type": "string", "minLength": 1, "maxLength": 200, "description": "a name of 1 to 200 characters"}
DATE = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-", "description": "a date like 2024-01-31"}
CREATED = {
    "type": "string",
    "anyOf": [{"format": "date", "pattern": "^[0-9]{4}-"}, {"format": "date-time", "pattern": "^[0-9]{4}-"}],
    "description": "a date like 2024-01-31 or an RFC 3339 date-time like 2024-01-31T09:30:00Z",
}


def entity_list(
    properties: Mapping[str, Any], most: int = 1000, required: tuple[str, ...] = ("id",), **more: Any
) -> dict[str, Any]:
    """The schema of a list of declared entities: objects with an ``id`` (ID unless ``properties``
    says otherwise) and ``properties``, at most ``most`` of them."""
    item = {"type": "object", "additionalProperties": False, "required": list(required), "properties": {"id": ID, **properties}}
    return {"type": "array", "maxItems": most, **more, "items": item}


def section(**kinds: Any) -> dict[str, Any]:
    """The schema of a vendor's section of the world: its kinds of entity (``bots=entity_list(...)``)."""
    return {"type": "object", "additionalProperties": False, "properties": kinds}


def declared(section: Mapping[str, Any]) -> Declared:
    if not section:
        return NOTHING
    text = json.dumps(section, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Declared(json.loads(text), hashlib.blake2b(text.encode(), digest_size=12).hexdigest())


def check_world(raw: Any, schemas: Mapping[str, Mapping[str, Any] | None], where: str = "world") -> dict[str, Declared]:
    """The declared world, vendor by vendor; WorldError naming the first value that does not fit.

    ``schemas``: each vendor's ``world_schema`` (None: it takes no declarations)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise WorldError(where, f"expected a mapping of vendor names to their entities, got {_seen(raw)}")
    world: dict[str, Declared] = {}
    for vendor, section in raw.items():
        path = f"{where}.{vendor}"
        if vendor not in schemas:
            raise WorldError(path, f"unknown vendor {shorten(str(vendor))}; known vendors: {', '.join(schemas)}")
        schema = schemas[vendor]
        if schema is None:
            raise WorldError(path, f"{vendor} takes no declared entities")
        section = _plain(section) if section is not None else {}
        errors = sorted(
            Draft202012Validator(schema, format_checker=FORMAT_CHECKER).iter_errors(section),
            key=lambda e: (list(map(str, e.absolute_path)), e.validator != "required"),
        )
        if errors:
            raise WorldError(_joined(path, errors[0].absolute_path), _message(errors[0]))
        for item_path, message in _duplicates(section, path):
            raise WorldError(item_path, message)
        world[vendor] = declared(section)
    return world


def _plain(value: Any) -> Any:
    """YAML's dates as the strings they were written as (``createdAt: 2024-01-01`` unquoted)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _message(error: Any) -> str:
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"{_seen(error.instance)} is not one of: {allowed}"
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted((error.schema.get("properties") or {}).keys()))
        return f"{error.message}; allowed: {allowed}"
    if "description" in error.schema and error.validator != "required":
        return f"expected {error.schema['description']}, got {_seen(error.instance)}"
    return error.message


def _seen(value: Any) -> str:
    """A value as the message shows it: a string quoted, anything else as JSON."""
    if isinstance(value, str):
        return shorten(value)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:80] + "..."


def _joined(path: str, parts: Iterator[Any] | Any) -> str:
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _duplicates(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every id given twice in one list of entities: (the second one's path, what is wrong)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _duplicates(value, f"{path}.{key}")
    elif isinstance(node, list):
        first: dict[Any, int] = {}
        for index, item in enumerate(node):
            if isinstance(item, Mapping) and "id" in item:
                if item["id"] in first:
                    yield (
                        f"{path}[{index}].id",
                        f"duplicate id {_seen(item['id'])}, already at {path}[{first[item['id']]}]; ids are unique in a list",
                    )
                first.setdefault(item["id"], index)
            yield from _duplicates(item, f"{path}[{index}]")
