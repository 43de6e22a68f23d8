"""Real traffic through the mock: a vendor answered by its upstream, both sides checked.

``serve --upstream VENDOR=URL`` sends that vendor's requests, credentials included, to the real
vendor (or its sandbox) and gives the client the vendor's response unchanged. The request and the
response are checked against the vendor's spec and overlay (``VendorService.conformance``), and
the verdict goes to the journal and the log line: a client's own traffic shows every place where
the vendor and its documents disagree. Other vendors stay mocked.

The standard library's HTTP client sends, as ``mockserver verify`` does: HTTPS_PROXY, HTTP_PROXY
and NO_PROXY apply and TLS certificates are verified. Redirects are not followed (the client gets
the 3xx), and the response is not decompressed (no Accept-Encoding goes upstream), so the bytes
the client gets are the vendor's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockserver.verify.exchange import Reply

# Headers of one connection, not of the message (RFC 9110, 7.6.1), and those the mock sets itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
# Sent to the mock, not to the vendor: Accept-Encoding (see the docstring); the mock's own X-Mock-*
# headers are not forwarded either.
NOT_FORWARDED = HOP_BY_HOP | {"accept-encoding"}
# The vendor's response headers the mock does not pass on as they are: it sets these itself.
NOT_RETURNED = HOP_BY_HOP | {"content-type"}


class Upstream:
    """One vendor's upstream: its base URL and how long it may take."""

    def __init__(self, vendor: str, url: str, timeout: float) -> None:
        # The HTTP client and the verify package load only for a proxied vendor: a server without
        # one starts sooner (urllib.request brings http.client and email, some 20 ms).
        import urllib.request  # noqa: PLC0415

        from mockserver.verify.exchange import fetch  # noqa: PLC0415

        class KeepRedirects(urllib.request.HTTPRedirectHandler):
            """A 3xx goes back to the client as the vendor sent it."""

            def redirect_request(self, *args: Any, **kwargs: Any) -> None:
                return None

        self.vendor, self.url, self.timeout = vendor, url.rstrip("/"), timeout
        self._opener = urllib.request.build_opener(KeepRedirects)
        self._request = urllib.request.Request
        self._fetch = fetch

    def send(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Blocking: run it off the event loop (``asyncio.to_thread``). Sent as ``verify`` sends."""
        sent = {k: v for k, v in headers.items() if k.lower() not in NOT_FORWARDED and not k.lower().startswith("x-mock-")}
        request = self._request(self.url + target, data=body or None, method=method, headers=sent)
        return self._fetch(self._opener.open, request, self.timeout, "--upstream-timeout")

    @staticmethod
    def response_headers(reply: Reply) -> dict[str, str]:
        """The vendor's headers for the client, without those of its connection (one value per name)."""
        return {k: v for k, v in reply.headers.items() if k not in NOT_RETURNED}


def summary(violations: list[dict[str, str]]) -> str | None:
    """One line for the log: where the exchange broke the spec, the first place in full."""
    if not violations:
        return None
    first = violations[0]
    more = f" (and {len(violations) - 1} more; see the journal's verdict)" if len(violations) > 1 else ""
    return f"the {first['side']} broke the spec at {first['at']}: {first['message']}{more}"
