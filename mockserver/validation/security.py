"""Check credentials against an operation's security requirements.

By default any non-empty credential of the right scheme passes: client tests should not need
real keys. With ``--token`` only the configured values pass, so auth handling can be tested.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.errors import UNAUTHORIZED, ConfigError, Problem


class SecurityCheck:
    """One operation's requirements (alternatives, any of which suffices), precomputed."""

    def __init__(
        self,
        requirements: tuple[dict[str, list[str]], ...],
        schemes: Mapping[str, dict[str, Any]],
        tokens: frozenset[str],
    ) -> None:
        self._alternatives: list[list[dict[str, Any]]] = []
        for requirement in requirements:
            alternative = []
            for name in requirement:
                if name not in schemes:
                    raise ConfigError(f"security requirement names an undeclared scheme {name!r}")
                alternative.append(schemes[name])
            self._alternatives.append(alternative)
        self._tokens = tokens
        # An empty requirement object ({}) makes security optional.
        self.public = not self._alternatives or any(not alt for alt in self._alternatives)
        self.reads_query = not self.public and any(
            s.get("type") == "apiKey" and s.get("in") == "query" for alt in self._alternatives for s in alt
        )

    def check(self, headers: Mapping[str, str], query: Mapping[str, list[str]], cookies: Mapping[str, str]) -> None:
        if self.public:
            return
        failures = []
        for alternative in self._alternatives:
            problem = None
            for scheme in alternative:
                problem = self._check_scheme(scheme, headers, query, cookies)
                if problem:
                    break  # the alternative's first problem: the one reported
            if not problem:
                return
            failures.append(problem)
        # Report the first alternative's problem: it is the scheme the vendor documents first.
        reason, message = failures[0]
        raise Problem(UNAUTHORIZED, message, location="header", headers=self._challenge(), reason=reason)

    def _challenge(self) -> dict[str, str]:
        for alternative in self._alternatives:
            for scheme in alternative:
                if scheme.get("type") == "http":
                    return {"WWW-Authenticate": f'{scheme.get("scheme", "bearer").capitalize()} realm="mockserver"'}
        return {}

    def _check_scheme(
        self, scheme: dict[str, Any], headers: Mapping[str, str], query: Mapping[str, list[str]], cookies: Mapping[str, str]
    ) -> tuple[str, str] | None:
        """None when the scheme's credential is there and acceptable, else (reason, message)."""
        kind = scheme.get("type")
        if kind == "http" or kind == "oauth2" or kind == "openIdConnect":
            expected = str(scheme.get("scheme", "bearer")) if kind == "http" else "bearer"
            header = headers.get("authorization")
            if header is None:
                return "missing", f"Missing credentials: send the header 'Authorization: {expected.capitalize()} <token>'."
            prefix, _, credential = header.partition(" ")
            credential = credential.strip()
            if prefix.lower() != expected.lower() or not credential:
                return "malformed", (
                    f"Malformed Authorization header: expected '{expected.capitalize()} <token>', got '{_mask(header)}'."
                )
            return self._known(credential)
        if kind == "apiKey":
            name, where = scheme.get("name", ""), scheme.get("in", "header")
            if where == "header":
                value = headers.get(name.lower())
            elif where == "query":
                value = (query.get(name) or [""])[0] or None
            else:
                value = cookies.get(name)
            if not value or not value.strip():
                return "missing", f"Missing API key: send it in the {where} '{name}'."
            return self._known(value.strip())
        return "unknown", f"Unsupported security scheme type {kind!r} in the spec."

    def _known(self, credential: str) -> tuple[str, str] | None:
        if self._tokens and credential not in self._tokens:
            return (
                "unknown",
                f"Invalid credentials: '{_mask(credential)}' is not one of the tokens this server accepts (--token).",
            )
        return None


def _mask(secret: str) -> str:
    """Show enough of a credential to recognise it, never all of it: a short one not at all."""
    secret = secret[:64]
    return "****" if len(secret) < 12 else secret[:4] + "*" * min(len(secret) - 4, 12)
