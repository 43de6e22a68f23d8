"""Read an OpenAPI document (YAML or JSON), apply its overlay, and check it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from mockserver.errors import SpecError
from mockserver.openapi.overlay import apply_overlay


def read_document(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON file into a mapping, with errors that name the file."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(source, f"cannot read file: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SpecError(source, f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(source, "the document must be a mapping at the top level")
    return data


def load_document(path: Path, overlay_path: Path | None = None) -> dict[str, Any]:
    """Load an OpenAPI 3.0/3.1 document, apply ``overlay_path`` if given, and validate the result."""
    document = read_document(path)
    version = str(document.get("openapi", ""))
    if not (version.startswith("3.0") or version.startswith("3.1")):
        found = repr(document["openapi"]) if "openapi" in document else "no 'openapi' field"
        raise SpecError(str(path), f"expected an OpenAPI 3.0 or 3.1 document, found {found}")
    if overlay_path is not None:
        document = apply_overlay(document, read_document(overlay_path), str(overlay_path))
    check_document(document, str(path) if overlay_path is None else f"{path} + {overlay_path}")
    return document


def check_document(document: dict[str, Any], source: str) -> None:
    """Validate against the OpenAPI meta-schema; report the first problem with its location."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(document)
    except OpenAPIValidationError as exc:
        where = "/".join(str(p) for p in getattr(exc, "absolute_path", []) or [])
        raise SpecError(source, f"invalid OpenAPI document{f' at {where}' if where else ''}: {exc.message}") from exc
    except Exception as exc:  # the validator raises plain errors for e.g. unresolvable $refs
        raise SpecError(source, f"invalid OpenAPI document: {exc}") from exc
