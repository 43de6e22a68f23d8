"""Apply an OpenAPI Overlay 1.0 document (https://spec.openapis.org/overlay/v1.0.0.html).

An overlay lets us declare what a vendor's published document leaves out (error responses,
stricter parameter formats) without editing the vendor's file.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpath

from mockserver.errors import SpecError


def apply_overlay(document: dict[str, Any], overlay: dict[str, Any], source: str, lenient: bool = False) -> dict[str, Any]:
    """Return a copy of ``document`` with every action of ``overlay`` applied in order.

    An action whose target matches nothing is an error, unless ``lenient`` (then it is skipped).
    """
    if not isinstance(overlay, dict) or "overlay" not in overlay:
        raise SpecError(source, "not an OpenAPI Overlay document (no top-level 'overlay' field)")
    actions = overlay.get("actions")
    if not isinstance(actions, list) or not actions:
        raise SpecError(source, "an overlay needs a non-empty 'actions' list")
    result = copy.deepcopy(document)
    for index, action in enumerate(actions):
        where = f"actions[{index}]"
        if not isinstance(action, dict) or "target" not in action:
            raise SpecError(source, f"{where} has no 'target'")
        try:
            matches = list(jsonpath.finditer(action["target"], result))
        except jsonpath.JSONPathError as exc:
            raise SpecError(source, f"{where}: invalid JSONPath {action['target']!r}: {exc}") from exc
        if not matches:
            if lenient:
                continue
            raise SpecError(source, f"{where}: target {action['target']!r} matches nothing")
        if action.get("remove") is True:
            # Remove from the deepest path first so earlier indexes stay valid.
            for match in reversed(matches):
                parent = match.parent.obj if match.parent else None
                key = match.parts[-1] if match.parts else None
                if isinstance(parent, dict):
                    parent.pop(key, None)
                elif isinstance(parent, list):
                    parent.pop(int(key))  # type: ignore[arg-type]  # a list's part is its index
                else:
                    raise SpecError(source, f"{where}: cannot remove the document root")
        elif "update" in action:
            for match in matches:
                _merge(match.obj, action["update"], f"{source} {where}")
        else:
            raise SpecError(source, f"{where} needs either 'update' or 'remove: true'")
    return result


def _merge(target: Any, update: Any, where: str) -> None:
    """Merge per the Overlay spec: objects recursively, arrays by appending. A Reference Object
    (``{$ref: ...}``) replaces what it lands on: merged into a response the document declares, its
    description and content beside the ``$ref`` would make an object OpenAPI refuses."""
    if isinstance(target, dict) and isinstance(update, dict):
        for key, value in update.items():
            if isinstance(value, dict) and "$ref" in value:
                target[key] = copy.deepcopy(value)
            elif key in target and isinstance(target[key], (dict, list)) and isinstance(value, type(target[key])):
                _merge(target[key], value, where)
            else:
                target[key] = copy.deepcopy(value)
    elif isinstance(target, list):
        target.extend(copy.deepcopy(update) if isinstance(update, list) else [copy.deepcopy(update)])
    else:
        raise SpecError(where, f"cannot merge an update into a {type(target).__name__}")
