"""The HTTP protocol uvicorn runs for the mock: TCP_NODELAY on every connection, and the limits a
hostile or broken client meets before its request reaches the app.

**TCP_NODELAY.** asyncio turns Nagle's algorithm off only on sockets that report ``IPPROTO_TCP``.
Under ``--workers N`` uvicorn binds the listening socket itself with protocol 0, so accepted
connections keep Nagle on. An answer goes out as two writes (head, then body) and the body then
waits for the client's delayed ACK: about 40 ms on Linux for every request after a connection's
first, which measured 1,136 req/s on two workers against 14,500 on one. Setting the option on each
connection holds whichever way the socket was made.

**Writes wait for the end of the loop's turn** (``TurnWrites``). A connection's writes are held
and sent together once every request of the current turn of the event loop has run: the head
and body of an answer leave in one send, and the answers of one turn are worked out back to back
instead of each between two trips through the kernel's network code, which pushed the model's
code and data out of the CPU's caches. One worker with the defaults, runs of ``make bench``'s
workloads taking turns ABBA against the same code writing at once: the spread workload 364 us of
server CPU a request against 411 (medians of six), the repeat workload 67 against 96 (of four),
p99 no worse. A connection's writes keep their order (the protocol's own refusals go through
the same buffer), and closing sends what is held first.

**Limits** (each a ``serve`` flag; see the README's Security section). uvicorn has none of these
for httptools, which buffers a header of any size and waits for a request head for ever:

- ``--max-head-bytes``: a request line and headers larger than this are answered 431 and the
  connection closed, as soon as that many bytes came without the head ending (not after the whole
  head is buffered);
- ``--head-timeout``: a head must arrive within this many seconds of the connection opening or of
  its first byte (a silent or slowloris connection is closed, with a 408 where nothing was sent);
- ``--body-timeout``: a body must arrive within this many seconds of its head (a Content-Length
  larger than what comes, or a chunked body with no end);
- ``--max-connections``: one more connection than this per worker is answered 503 and closed at
  once, so file descriptors never run out under a flood of idle connections.

Refusals use the error body of the vendor the request's path names, through ``MockServer.refusal``.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import weakref
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mockserver.errors import HEADERS_TOO_LARGE, REQUEST_TIMEOUT, STATUS_BY_KIND, UNAVAILABLE

LINGER = 2.0
# A connection over --max-connections lingers only long enough for its first request to arrive,
# so that a flood of them holds few descriptors.
REFUSED_LINGER = 0.25


class ProtocolLimits:
    """What the protocol enforces; set once per process by ``configure``."""

    max_head_bytes = 65_536
    head_timeout = 10.0
    body_timeout = 30.0
    max_connections = 1000


def configure(max_head_bytes: int, head_timeout: float, body_timeout: float, max_connections: int) -> None:
    ProtocolLimits.max_head_bytes = max_head_bytes
    ProtocolLimits.head_timeout = head_timeout
    ProtocolLimits.body_timeout = body_timeout
    ProtocolLimits.max_connections = max_connections


class GuardedHTTP(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above: its parser callbacks tell where a head ends."""

    _head_timer: asyncio.TimerHandle | None = None
    _body_timer: asyncio.TimerHandle | None = None
    _in_head = False
    _in_body = False  # the head is in, the body is not yet
    _head_bytes = 0  # bytes received since the head began, while it has not ended
    _head_size = 0  # bytes of the head as parsed (line and headers)
    _refused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # the peer is already gone: uvicorn sees that next
                pass
        super().connection_made(HeldWrites(transport, TurnWrites.of(self.loop)))  # type: ignore[arg-type]
        if len(self.connections) > ProtocolLimits.max_connections:
            self._refuse(
                "/",
                UNAVAILABLE,
                f"This server holds at most {ProtocolLimits.max_connections} connections "
                "per worker (--max-connections); try again shortly, or reuse a connection.",
                retry_after=True,
                linger=REFUSED_LINGER,
            )
            return
        self._head_timer = self.loop.call_later(ProtocolLimits.head_timeout, self._head_too_slow)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._refused:
            return
        # Timers start only for a request still unfinished when its chunk is parsed: a request
        # that arrives whole (nearly all of them) costs none.
        if self._in_head:
            # The chunk ended inside a head: all of it was head. Past the limit the parser is fed
            # no more, so a huge header never sits in its buffer.
            self._head_bytes += len(data)
            if self._head_bytes > ProtocolLimits.max_head_bytes:
                self._head_too_large()
            elif self._head_timer is None:
                self._head_timer = self.loop.call_later(ProtocolLimits.head_timeout, self._head_too_slow)
        elif self._in_body and self._body_timer is None:
            self._body_timer = self.loop.call_later(ProtocolLimits.body_timeout, self._body_too_slow)

    # httptools' callbacks, around uvicorn's own. Once a request is refused the parser may still be
    # inside the same chunk: every callback then does nothing.
    def on_message_begin(self) -> None:
        if self._refused:
            return
        super().on_message_begin()
        self._in_head, self._head_bytes, self._head_size = True, 0, 0

    def on_url(self, url: bytes) -> None:
        if not self._refused:
            self._head_size += len(url)
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._refused:
            self._head_size += len(name) + len(value) + 4
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._in_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if self._head_size > ProtocolLimits.max_head_bytes:  # a whole head in one chunk
            self._head_too_large()
            return
        super().on_headers_complete()
        self._in_body = True

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._in_body = False
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    def _head_too_large(self) -> None:
        self._refuse(
            self._path(),
            HEADERS_TOO_LARGE,
            f"The request's line and headers are over "
            f"{ProtocolLimits.max_head_bytes} bytes, the most this server takes (--max-head-bytes). "
            "Send fewer or shorter headers.",
        )

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        self._refuse(
            self._path(),
            REQUEST_TIMEOUT,
            f"The request's head did not arrive within {ProtocolLimits.head_timeout:g} s (--head-timeout).",
        )

    def _body_too_slow(self) -> None:
        self._body_timer = None
        if self.transport.is_closing():
            return
        cycle = getattr(self, "cycle", None)
        if cycle is not None and not cycle.response_started:
            message = (
                f"The request's body did not arrive within {ProtocolLimits.body_timeout:g} s of its head "
                "(--body-timeout); was its Content-Length right?"
            )
            # The app's answer, if it comes, goes nowhere: this one is sent. The app is told, so that
            # the journal says what the client got.
            cycle.disconnected = True
            cycle.scope.setdefault("extensions", {})["mockserver.refused"] = (REQUEST_TIMEOUT, message)
            self._refuse(self._path(), REQUEST_TIMEOUT, message)
        else:
            self.transport.close()

    def _path(self) -> str:
        url = getattr(self, "url", b"") or b"/"
        return url.split(b"?", 1)[0].decode("latin-1") or "/"

    def _refuse(self, path: str, kind: str, message: str, retry_after: bool = False, linger: float = LINGER) -> None:
        """Answer ``kind`` in the error body of the vendor ``path`` names, and close the connection."""
        self._refused = True
        self._cancel_timers()
        refusal = getattr(self.app, "refusal", None)
        if refusal is not None:
            answer = refusal(path, kind, message)
            status, body, content_type, headers = answer.status, answer.body, answer.content_type, dict(answer.headers)
        else:  # another app (tests may serve one): plain JSON
            status, body, content_type, headers = STATUS_BY_KIND[kind], f'{{"error": "{kind}"}}'.encode(), "application/json", {}
        if retry_after:
            headers["Retry-After"] = "1"
        lines = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            f"content-type: {content_type or 'application/json'}",
            f"content-length: {len(body)}",
            "connection: close",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        # A lingering close: closing with the client's bytes unread would send a reset, and the
        # client, still sending its huge head, could lose the answer. Half-close, discard what
        # still comes (data_received ignores it), and close for good after ``linger`` seconds.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(linger, self.transport.close)
        else:
            self.transport.close()

    def _cancel_timers(self) -> None:
        for name in ("_head_timer", "_body_timer"):
            timer: Any = getattr(self, name)
            if timer is not None:
                timer.cancel()
                setattr(self, name, None)


class TurnWrites:
    """The writes of one event loop's connections, held until the end of the loop's turn and then
    sent, a connection's in one send (see the module's docstring)."""

    _by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, TurnWrites] = weakref.WeakKeyDictionary()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._holding: list[HeldWrites] = []

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> TurnWrites:
        found = cls._by_loop.get(loop)
        if found is None:
            found = cls._by_loop[loop] = cls(loop)
        return found

    def hold(self, connection: HeldWrites) -> None:
        """``connection`` holds writes now: send them at the end of this turn."""
        if not self._holding:
            # Callbacks added while a turn runs run in the next turn, after every one already queued.
            self.loop.call_soon(self.send)
        self._holding.append(connection)

    def send(self) -> None:
        holding, self._holding = self._holding, []
        for connection in holding:
            try:
                connection.send()
            except Exception:  # noqa: BLE001 - one broken connection must not keep the others' answers
                connection.abort()


class HeldWrites:
    """A connection's transport as the protocol and its requests write to it: writes are held
    until ``TurnWrites`` sends them; closing, or ending the writing side, sends them first.
    Anything else is the transport's."""

    __slots__ = ("_transport", "_turn", "_held")

    def __init__(self, transport: Any, turn: TurnWrites) -> None:
        self._transport, self._turn = transport, turn
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._held:
            self._turn.hold(self)
        self._held.append(bytes(data))

    def send(self) -> None:
        held = self._held
        if not held:
            return
        self._held = []
        if not self._transport.is_closing():  # the peer went away: nothing can reach it
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def is_closing(self) -> bool:  # (uvicorn asks once per request: spelled out, not left to __getattr__)
        return bool(self._transport.is_closing())

    def write_eof(self) -> None:
        self.send()
        self._transport.write_eof()

    def close(self) -> None:
        self.send()
        self._transport.close()

    def abort(self) -> None:
        self._held = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


# --- one accept queue per worker (--workers N) ---------------------------------------------------
# Measured on two workers, 200 connections opened at once (wrk -t2 -c200, spread workload):
# - on one shared listening socket under uvloop, a worker accepts one connection per loop turn, and
#   under load a turn takes 100-300 ms (every request read that turn is answered in it): the last
#   connections waited 2.5-3 s in the kernel's queue for their first answer, past wrk's 2 s timeout.
# - under asyncio each worker accepts every waiting connection at once, so whichever wakes first
#   takes most of a burst: splits of 31/169 and 59/141 in five runs, and the busier worker's answers
#   then take 3-5 times as long as the other's for the whole run (keep-alive connections stay put).
# So each worker listens on a socket of its own, bound with SO_REUSEPORT to the address uvicorn
# bound in the parent (which never listens there): Linux spreads new connections over the workers'
# queues by a hash of the client's address and port (about 100 +- 10 of 200 each), and asyncio's
# loop takes a worker's whole queue at once. Connections still waiting in a worker's queue when that
# worker stops are reset, as on any SO_REUSEPORT server. uvloop with a queue of its own still
# accepts one connection per turn, so this is asyncio's loop. Elsewhere (no SO_REUSEPORT, or one
# that does not balance, as on BSD and macOS) the shared socket is used as before.
def own_queue(shared: socket.socket) -> socket.socket:
    """A listening socket of this worker's own on ``shared``'s address, or ``shared`` where none can be had."""
    if not sys.platform.startswith("linux") or shared.family not in (socket.AF_INET, socket.AF_INET6):
        return shared
    own = socket.socket(shared.family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        own.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        own.bind(shared.getsockname())
    except OSError:  # the parent's socket already listens, or the kernel refuses: share it
        own.close()
        return shared
    return own


class OwnQueueLoop(asyncio.SelectorEventLoop):
    """asyncio's loop with an accept queue of the worker's own (the ``--workers N`` loop; see above)."""

    async def create_server(self, protocol_factory: Any, host: Any = None, port: Any = None, **kwargs: Any) -> Any:
        # uvicorn's workers call create_server(sock=<the parent's socket>): listen on our own instead.
        if kwargs.get("sock") is not None:
            kwargs["sock"] = own_queue(kwargs["sock"])
        return await super().create_server(protocol_factory, host, port, **kwargs)
