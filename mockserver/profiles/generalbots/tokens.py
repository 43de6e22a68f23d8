"""Bearer tokens: the claims of a JWT (its signature is not checked), its roles, and the roles
each operation needs."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from mockserver.timeutil import UTC, iso_ms
from mockserver.validation.schema import shorten

REPORT_ROLES = frozenset({"analytics_admin", "admin"})
VIEWER_ROLES = frozenset({"analytics_viewer", "admin"})


def token_claims(authorization: str) -> dict[str, Any] | None:
    """The claims of a bearer JWT (signature not checked); None for an opaque token or none."""
    scheme, _, token = authorization.partition(" ")
    parts = token.strip().split(".")
    if scheme.lower() != "bearer" or len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def token_roles(claims: dict[str, Any]) -> frozenset[str]:
    roles = claims.get("roles", claims.get("role", []))
    if isinstance(roles, str):
        return frozenset([roles])
    return frozenset(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else frozenset()


def challenge(error: str, description: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer realm="mockserver", error="{error}", error_description="{description}"'}


def when(seconds: float) -> str:
    try:
        return iso_ms(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return f"{shorten(str(seconds))} seconds after 1970"
