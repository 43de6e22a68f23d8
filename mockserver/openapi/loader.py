"""Read an OpenAPI document (YAML or JSON), apply its overlay, and check it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from mockserver.errors import SpecError
from mockserver.openapi.overlay import apply_overlay

# libyaml's parser when PyYAML has it (the wheels do): ten times faster than the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Nodes a YAML document may hold once its aliases are expanded. An alias bomb (an anchor used nine
# times, each of those nine times, ...) is a few lines that expand to billions of nodes: it is refused
# before anything is built. The largest bundled spec holds about 3,000.
MAX_YAML_NODES = 1_000_000
# Where an anchor can stand: at a line's start, after white space, a byte order mark or a flow
# indicator (``[``, ``{``, ``,``, and ``:`` after a quoted key). Without an anchor an alias has
# nothing to name (libyaml refuses it), so a document with no match has no aliases and the check is
# skipped; a match inside a string ("Q & A") only means that the check runs.
_MAYBE_ANCHOR = re.compile(r"(?:^|[\s\[{,:\ufeff])&", re.MULTILINE)


def load_yaml(text: str) -> Any:
    """Parse YAML safely (no arbitrary objects, no alias bombs), with libyaml when available."""
    loader = _YAML_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _MAYBE_ANCHOR.search(text):  # (a walk over every node: a third of parsing the bundled specs)
            _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand past ``MAX_YAML_NODES`` nodes, or refer to themselves.

    Each node's expanded size is worked out once (aliases share the node they name), children first,
    so the check costs time in the nodes written, not in the nodes they expand to."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        children = _children(node)
        if children_done:
            open_nodes.discard(key)
            size = 1 + sum(sizes[id(child)] for child in children)
            if size > MAX_YAML_NODES:
                raise yaml.YAMLError(
                    f"its aliases expand to more than {MAX_YAML_NODES:,} nodes (line {node.start_mark.line + 1}); "
                    "write the repeated part out, or use fewer aliases"
                )
            sizes[key] = size
        elif key not in sizes:
            if key in open_nodes:
                raise yaml.YAMLError(f"an alias at line {node.start_mark.line + 1} refers to a node that contains it")
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def read_document(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON file into a mapping, with errors that name the file."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(source, f"cannot read file: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SpecError(source, f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(source, "the document must be a mapping at the top level")
    return data


def load_document(
    path: Path, overlay_path: Path | None = None, *, check: bool = True, lenient_overlay: bool = False
) -> dict[str, Any]:
    """Load an OpenAPI 3.0/3.1 document and apply ``overlay_path`` if given.

    ``check`` validates the result against the OpenAPI meta-schema (the bundled specs are checked
    by the test suite and ``mockserver validate``, so start-up skips it for them). A
    ``lenient_overlay`` skips actions whose target the document lacks, for a vendor's overlay
    applied to a user's fuller or newer vendor document.
    """
    document = read_document(path)
    version = str(document.get("openapi", ""))
    if not (version.startswith("3.0") or version.startswith("3.1")):
        found = repr(document["openapi"]) if "openapi" in document else "no 'openapi' field"
        raise SpecError(str(path), f"expected an OpenAPI 3.0 or 3.1 document, found {found}")
    if overlay_path is not None:
        document = apply_overlay(document, read_document(overlay_path), str(overlay_path), lenient=lenient_overlay)
    source = str(path) if overlay_path is None else f"{path} + {overlay_path}"
    # Once, on the document as served (the overlay's additions included), before anything resolves it.
    local_refs_only(document, source)
    if check:
        check_document(document, source)
    return document


# Keys whose values are data, not schema or document structure: a "$ref" there is just a string.
_DATA_KEYS = frozenset({"example", "default", "const", "enum", "value"})


def local_refs_only(document: Any, source: str) -> None:
    """Refuse any ``$ref`` that leaves the document, before anything could follow it.

    A validator or resolver would fetch ``http://`` references and read ``file://`` ones (a slow
    host stalls start-up; a file's content could end up in an error message in a CI log). Only
    ``#/...`` references are followed; the error names the reference and where it is.
    """
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                raise SpecError(
                    source,
                    f"$ref {ref[:200]!r} at {where or '/'} leaves the document: only local references "
                    "(#/components/...) are followed, nothing is fetched or read; inline or bundle what it names",
                )
            stack.extend((value, f"{where}/{_escape(key)}") for key, value in node.items() if key not in _DATA_KEYS)
        elif isinstance(node, list):
            stack.extend((value, f"{where}/{index}") for index, value in enumerate(node))


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def check_document(document: dict[str, Any], source: str) -> None:
    """Validate against the OpenAPI meta-schema; report the first problem with its location.
    (``load_document`` has refused references that leave the document before this runs.)"""
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(document)
    except OpenAPIValidationError as exc:
        where = "/".join(str(p) for p in getattr(exc, "absolute_path", []) or [])
        raise SpecError(source, f"invalid OpenAPI document{f' at {where}' if where else ''}: {_short(exc.message)}") from exc
    except Exception as exc:  # the validator raises plain errors for e.g. unresolvable $refs
        raise SpecError(source, f"invalid OpenAPI document: {_short(str(exc))}") from exc


def _short(message: str, limit: int = 500) -> str:
    """Validator messages can quote a whole document; keep the start, which names the problem."""
    return message if len(message) <= limit else message[:limit] + " ..."
