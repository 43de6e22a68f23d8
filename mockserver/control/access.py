"""Who may use the ``/__mock`` control plane: it changes what every client sees, so it is no browser API.

The checks, in order (``ControlAccess.refusal``):

1. **Open paths.** Health, readiness and the plane's spec answer probes; a signed download link
   carries its own key.
2. **Web pages.** A request a browser sends on behalf of another site (``Sec-Fetch-Site:
   cross-site``, or an ``Origin`` that is neither this server nor listed in ``--cors-origins`` while
   an admin token is set) is refused before anything runs: a page can send a "simple" POST without
   a CORS preflight, so answering without CORS headers is not enough.
3. **The admin token**, when ``--admin-token`` is set: required from every client.
4. Otherwise **the loopback rule**: the peer must be a loopback address, and, against DNS
   rebinding, the ``Host`` must be a loopback name, the bound address or one of ``--allowed-hosts``.

The peer is the socket's, or what ``X-Forwarded-For`` says when the socket's peer is one of
``--forwarded-allow-ips`` (uvicorn's convention: the right-most address the trusted proxies did not
add). A forwarded value that is no address (``unknown``, ``_hidden``) is refused, never trusted.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# The page (/__mock/) is static: what it shows comes from the other endpoints, under their rules.
OPEN_PATHS = frozenset({"/__mock/health", "/__mock/ready", "/__mock/openapi.json", "/__mock/"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "localhost.localdomain", "ip6-localhost"})

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


class TrustedProxies:
    """``--forwarded-allow-ips``: the peers whose forwarding headers are believed."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.any = "*" in allowed
        self.networks: list[Network] = []
        for item in allowed:
            if item != "*":
                self.networks.append(ipaddress.ip_network(item.strip(), strict=False))

    def trusts(self, address: Address | None) -> bool:
        if address is None:
            return False
        return self.any or any(address in network for network in self.networks)

    def client(self, peer: str | None, headers: Mapping[str, str]) -> tuple[Address | None, bool]:
        """The client's address, and whether it is one (False: unknown, obfuscated or not an address).

        ``peer`` None means no socket at all (an in-process ASGI caller), which counts as local.
        """
        if peer is None:
            return None, True
        address = _address(peer)
        if address is None:
            return None, False
        forwarded = headers.get("x-forwarded-for")
        if not forwarded or not self.trusts(address):
            return address, True
        hops = [hop.strip() for hop in forwarded.split(",")]
        # Right to left: each trusted proxy appended the address it saw; the first one it did not
        # trust is the client.
        for hop in reversed(hops):
            hop_address = _address(hop)
            if hop_address is None:
                return None, False
            if not self.trusts(hop_address):
                return hop_address, True
        return _address(hops[0]), True

    def scheme(self, peer: str | None, headers: Mapping[str, str], default: str) -> str:
        """``X-Forwarded-Proto`` from a trusted proxy (for the URLs the mock writes), else ``default``."""
        forwarded = headers.get("x-forwarded-proto")
        if forwarded is None:  # most requests: no proxy in between
            return default
        proto = forwarded.split(",")[-1].strip().lower()
        if proto in ("http", "https") and peer is not None and self.trusts(_address(peer)):
            return proto
        return default


class ControlAccess:
    def __init__(
        self, admin_token: str | None, cors_origins: tuple[str, ...], allowed_hosts: tuple[str, ...], proxies: TrustedProxies
    ) -> None:
        self.admin_token = admin_token
        # A page may call the plane only with the token, and only from an origin the user listed.
        self.origins = frozenset(o for o in cors_origins if o != "*") if admin_token else frozenset()
        self.any_host = "*" in allowed_hosts
        self.hosts = LOOPBACK_NAMES | {h.lower().strip("[]") for h in allowed_hosts}
        self.proxies = proxies

    def refusal(self, scope: Mapping[str, Any], headers: Mapping[str, str], path: str) -> Refusal | None:
        if path in OPEN_PATHS or path.startswith("/__mock/downloads/"):
            return None  # probes, and signed links (the signature is the key)
        origin = headers.get("origin")
        if headers.get("sec-fetch-site") == "cross-site" and not (origin and origin in self.origins):
            return Refusal(
                403,
                "forbidden",
                "The control plane does not answer requests web pages send for other "
                "sites (Sec-Fetch-Site: cross-site). Call it from a test or a script.",
            )
        if origin and origin != "null" and not _same_origin(origin, headers.get("host", "")) and origin not in self.origins:
            return Refusal(
                403,
                "forbidden",
                f"The control plane does not answer web pages from {origin[:200]!r}: "
                "only an origin listed in --cors-origins, with --admin-token set, may call it.",
            )
        if origin == "null" and "null" not in self.origins:
            return Refusal(403, "forbidden", "The control plane does not answer pages of an opaque origin (Origin: null).")
        if self.admin_token is not None:
            given = headers.get("x-mock-admin-token") or headers.get("authorization", "").removeprefix("Bearer ").strip()
            if secrets.compare_digest(given.encode(), self.admin_token.encode()):
                return None
            return Refusal(
                401,
                "unauthorized",
                "The control plane needs the admin token: send "
                "'Authorization: Bearer <token>' or 'X-Mock-Admin-Token: <token>' (see --admin-token).",
            )
        client = scope.get("client")
        peer = client[0] if client else None
        address, known = self.proxies.client(peer, headers)
        # No socket peer, or one that is no address (starlette's TestClient): an in-process caller.
        in_process = peer is None or _address(peer) is None and "x-forwarded-for" not in headers
        if not in_process and not (known and address is not None and address.is_loopback):
            shown = headers.get("x-forwarded-for", peer) if not known else str(address)
            return Refusal(
                403,
                "forbidden",
                f"The control plane answers loopback clients only (this request came from "
                f"{str(shown)[:100]}); start the server with --admin-token to use it remotely.",
            )
        if not in_process and not self._host_allowed(headers.get("host"), scope):
            host = (headers.get("host") or "")[:200]
            return Refusal(
                403,
                "forbidden",
                f"The control plane does not answer to the host name {host!r} (a page "
                "reaching it through DNS rebinding would). Use 127.0.0.1 or localhost, or allow the name "
                "with --allowed-hosts.",
            )
        return None

    def _host_allowed(self, host: str | None, scope: Mapping[str, Any]) -> bool:
        if host is None or self.any_host:
            return True  # HTTP/1.0 sends none; nothing to rebind
        name = _host_name(host)
        if name is None:
            return False
        server = scope.get("server")
        return name in self.hosts or (server is not None and name == str(server[0]).lower())


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]  # [::1] or [::1]:port
    elif text.count(":") == 1:
        text = text.split(":")[0]  # 10.0.0.1:port
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


# RFC 9110's Host: a registered name or IPv4 address, or an IPv6 address in brackets, then an
# optional numeric port. Nothing else: "localhost:80@evil.example" is no loopback name.
_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9._~-]+))(?::[0-9]{1,5})?")


def _host_name(host: str) -> str | None:
    """The name in a ``Host`` header, lower case, or None when the header is malformed."""
    found = _HOST.fullmatch(host.strip().lower())
    if found is None:
        return None
    return found["v6"] or found["name"]


def _same_origin(origin: str, host: str) -> bool:
    """Whether a page's ``Origin`` is this server as the request addressed it (the mock's own pages)."""
    parts = urlsplit(origin)
    return bool(host) and parts.netloc.lower() == host.strip().lower()
