"""Sending one probe: to the vendor over HTTP, politely, and to the mock in this process.

The vendor side uses the standard library's HTTP client, so HTTPS_PROXY, HTTP_PROXY and NO_PROXY
apply and TLS certificates are verified. It keeps to ``--rate`` requests per second, waits out a
429 as its Retry-After or RateLimit-Reset says (up to ``MAX_WAIT`` seconds, ``RETRIES`` times), and
gives each request ``--timeout`` seconds.
"""

from __future__ import annotations

import asyncio
import email.utils
import http.client
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from mockserver.verify.probes import Probe

RETRIES = 3
MAX_WAIT = 60.0


@dataclass
class Reply:
    status: int | None  # None: no answer (``failure`` says why)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    failure: str | None = None

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class Upstream:
    """The real vendor (or a stand-in) at ``base_url``."""

    def __init__(self, base_url: str, rate: float, timeout: float, on_wait: Callable[[float, str], None]) -> None:
        self.base_url = base_url.rstrip("/")
        self.interval = 1.0 / rate
        self.timeout = timeout
        self.on_wait = on_wait
        self.waited = 0.0  # seconds spent waiting on the vendor's rate limits
        self.limited = 0  # 429s waited out
        self.answered = 0  # requests that got any HTTP answer
        self._next = 0.0

    def send(self, probe: Probe) -> Reply:
        for attempt in range(RETRIES + 1):
            pause = self._next - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self._next = time.monotonic() + self.interval
            reply = self._once(probe)
            if reply.status != 429 or attempt == RETRIES:
                return reply
            wait = min(_retry_after(reply.headers, attempt), MAX_WAIT)
            self.limited += 1
            self.waited += wait
            self.on_wait(wait, "the vendor's rate limit (429)")
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _once(self, probe: Probe) -> Reply:
        request = urllib.request.Request(
            self.base_url + probe.target, data=probe.body, method=probe.method, headers=probe.headers
        )
        reply = fetch(urllib.request.urlopen, request, self.timeout, "--timeout")
        if reply.status is not None:
            self.answered += 1
        return reply


def fetch(open_url: Callable[..., Any], request: urllib.request.Request, timeout: float, flag: str) -> Reply:
    """One exchange with a remote API: its answer (an HTTP error status is an answer too), or
    why there was none, in words that name ``flag``, the setting that bounds the wait."""
    try:
        with open_url(request, timeout=timeout) as response:
            return Reply(response.status, _lower(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, _lower(error.headers.items()), error.read())
    except (TimeoutError, socket.timeout):
        return Reply(None, failure=f"no answer within {timeout:g} s ({flag})")
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            return Reply(None, failure=f"no answer within {timeout:g} s ({flag})")
        return Reply(None, failure=f"connection failed: {error.reason}")
    except (OSError, http.client.HTTPException) as error:
        return Reply(None, failure=f"connection failed: {type(error).__name__}: {error}")


def _retry_after(headers: dict[str, str], attempt: int) -> float:
    """Seconds to wait after a 429: Retry-After (seconds or a date), RateLimit-Reset, else backing off."""
    for name in ("retry-after", "ratelimit-reset", "x-ratelimit-reset"):
        text = headers.get(name, "").strip()
        if not text:
            continue
        try:
            seconds = float(text)
        except ValueError:
            moment = email.utils.parsedate_to_datetime(text) if "," in text else None
            if moment is None:
                continue
            seconds = moment.timestamp() - time.time()
        if name == "x-ratelimit-reset" and seconds > 10**9:  # an epoch, as some APIs send
            seconds -= time.time()
        return max(seconds, 0.0)
    return float(2**attempt)


def _lower(items: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in items}


class InProcessMock:
    """The mock's own ASGI app, asked directly (no port, no journal of another server)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()

    def send(self, probe: Probe) -> Reply:
        return self.loop.run_until_complete(self._send(probe))

    def close(self) -> None:
        self.loop.close()

    async def _send(self, probe: Probe) -> Reply:
        path, _, query = probe.target.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": probe.method,
            "scheme": "http",
            "path": unquote(path),
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in probe.headers.items()]
            + [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 80),
        }
        sent = False
        answer: dict[str, Any] = {"status": None, "headers": {}, "body": b""}

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)  # a disconnect never comes while the app answers
            sent = True
            return {"type": "http.request", "body": probe.body or b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = _lower((k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await self.app(scope, receive, send)
        return Reply(answer["status"], answer["headers"], answer["body"])
