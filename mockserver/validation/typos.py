"""Query parameters an operation does not declare: ignored, as the vendor ignores them, but named.

``usage/daily?day=7`` is answered as the vendor answers it (``days`` keeps its default), and the
journal entry, the log line and the coverage report say that ``day`` is not declared and that
``days`` is the nearest name: the likely typo a test would otherwise never notice.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from mockserver.openapi.model import Operation

# How alike two names must be (difflib's ratio) for one to be offered for the other.
CUTOFF = 0.6


def nearest(name: str, declared: list[str]) -> str | None:
    found = difflib.get_close_matches(name, declared, n=1, cutoff=CUTOFF)
    if not found:  # a case slip (StartDate) is a typo too, whatever the ratio says
        found = [d for d in declared if d.lower() == name.lower()]
    return found[0] if found else None


def undeclared_names(query: Mapping[str, list[str]], operation: Operation) -> list[tuple[str, str | None]]:
    """Each query key ``operation`` does not declare (``source[]`` counts as ``source``), with the
    nearest declared name or None."""
    names = operation.query_names
    if names is None:
        return []  # every key is a property of that object
    found = []
    for name in query:
        base = name.split("[", 1)[0] if name.endswith("]") else name
        if base not in names:
            declared = [p.name for p in operation.parameters if p.location == "query"]  # in the document's order
            found.append((name, nearest(base, declared)))
    return found


def undeclared(query: Mapping[str, list[str]], operation: Operation) -> list[str]:
    """A warning for each query parameter ``operation`` does not declare, naming the nearest declared one."""
    return [
        f"query parameter '{name if len(name) <= 60 else name[:60] + '...'}' is not declared"
        + (f"; did you mean '{guess}'?" if guess else "")
        for name, guess in undeclared_names(query, operation)
    ]
