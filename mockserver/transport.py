"""The HTTP protocol uvicorn runs for the mock: its own choice of parser, with TCP_NODELAY on every
connection.

asyncio turns Nagle's algorithm off only on sockets that report ``IPPROTO_TCP``. Under
``--workers N`` uvicorn binds the listening socket itself with protocol 0, so accepted connections
keep Nagle on. An answer goes out as two writes (head, then body) and the body then waits for the
client's delayed ACK: about 40 ms on Linux for every request after a connection's first, which
measured 1,136 req/s on two workers against 14,500 on one. Setting the option on each connection
holds whichever way the socket was made.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayHTTP(AutoHTTPProtocol):  # type: ignore[misc, valid-type]  # httptools, or h11 where it is missing
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # the peer is already gone: uvicorn sees that next
                pass
        super().connection_made(transport)  # type: ignore[arg-type]
