"""The control plane's OpenAPI document (``control/openapi.yaml``), parsed once per process.

The fault rules read their limits from it at import and the control plane serves it, adapted to
the vendors served: both start from this one parse, each with a copy of its own.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson

from mockserver.openapi.loader import load_yaml

PATH = Path(__file__).with_name("openapi.yaml")


@cache
def _parsed() -> bytes:
    return orjson.dumps(load_yaml(PATH.read_text(encoding="utf-8")))


def document() -> dict[str, Any]:
    """A copy of the document of its own, for the caller to adapt."""
    parsed: dict[str, Any] = orjson.loads(_parsed())
    return parsed
