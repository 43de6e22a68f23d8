"""Limits a hostile or broken client meets on a real server: huge heads, slow or silent
connections, bodies that never end, floods of connections. Each is refused in the error body of
the vendor the path names (every discovered vendor), and the server keeps serving."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from mockserver.profiles import discover_profiles
from tests.conftest import LiveServer
from tests.test_hostile_input import error_message

VENDORS = tuple(discover_profiles())
TIMEOUT = 0.5  # --head-timeout and --body-timeout of the server under test


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = LiveServer("--head-timeout", str(TIMEOUT), "--body-timeout", str(TIMEOUT), "--max-connections", "40")
    yield live
    live.stop()


def connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """The one answer the server sends before closing (it must close: read to the end)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def check_refusal(vendor: str, status: int, answer: tuple[int, dict[str, str], bytes], *words: str) -> None:
    got, headers, body = answer
    assert got == status, body[:300]
    assert headers["connection"] == "close" and int(headers["content-length"]) == len(body)
    message = error_message(vendor, status, json.loads(body))
    assert all(word in message for word in words), message


def still_serving(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/__mock/health", timeout=5).status_code == 200


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_head_over_the_limit_is_refused_before_it_is_buffered(server: LiveServer, vendor: str) -> None:
    with connect(server) as sock:
        # The head never ends: the answer comes once 64 kB arrived, not when the client stops.
        sock.sendall(f"GET /{vendor}/anything HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ".encode() + b"a" * 70_000)
        check_refusal(vendor, 431, read_answer(sock), "--max-head-bytes")
    with connect(server) as sock:  # a whole head of 1 MB in one go
        sock.sendall(f"GET /{vendor}/anything HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ".encode() + b"b" * 1_000_000 + b"\r\n\r\n")
        check_refusal(vendor, 431, read_answer(sock), "--max-head-bytes")
    still_serving(server)


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_slow_head_is_cut_off(server: LiveServer, vendor: str) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(f"GET /{vendor}/anything HTTP/1.1\r\nHo".encode())  # and then nothing, as slowloris does
        check_refusal(vendor, 408, read_answer(sock), "--head-timeout")
        assert time.monotonic() - started < TIMEOUT + 5


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_body_shorter_than_its_length_is_cut_off(server: LiveServer, vendor: str) -> None:
    with connect(server) as sock:
        sock.sendall(f"POST /{vendor}/anything HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{{".encode())
        check_refusal(vendor, 408, read_answer(sock), "--body-timeout")
    # The journal says what the client got.
    deadline = time.monotonic() + 5
    while not (
        entries := httpx.get(f"{server.url}/__mock/journal", params={"vendor": vendor, "method": "POST"}).json()["entries"]
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert entries[-1]["status"] == 408


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"",  # a connection that never says anything
        b"GET /\r\n",  # an HTTP/0.9 request line
        b"POST /botpress/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",  # no last chunk
    ],
    ids=["silent", "HTTP/0.9", "endless chunks"],
)
def test_a_connection_that_never_finishes_its_request_is_closed(server: LiveServer, request_bytes: bytes) -> None:
    with connect(server) as sock:
        sock.sendall(request_bytes)
        status, _, _ = read_answer(sock)  # returns: the server closed the connection
        assert status in (400, 408)


def test_slowloris_connections_are_all_closed_after_the_head_timeout(server: LiveServer) -> None:
    socks = [connect(server) for _ in range(30)]
    try:
        for sock in socks:
            sock.sendall(b"GET /botpress/x HTTP/1.1\r\nX-a: ")
        for sock in socks:
            assert read_answer(sock)[0] == 408
    finally:
        for sock in socks:
            sock.close()
    still_serving(server)


def test_one_connection_over_the_limit_is_refused_cleanly(server: LiveServer) -> None:
    idle = [connect(server) for _ in range(40)]  # --max-connections 40
    try:
        with connect(server) as extra:
            extra.sendall(b"GET /__mock/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status, headers, body = read_answer(extra)
            assert status == 503 and headers["retry-after"] == "1" and b"--max-connections" in body
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + 10
    while True:  # the idle ones are gone once the server saw them close
        try:
            still_serving(server)
            break
        except AssertionError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_a_healthy_keep_alive_connection_outlives_the_head_timeout(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        started = time.monotonic()
        ports = set()
        while time.monotonic() - started < 3 * TIMEOUT:  # one connection, many heads, longer than one timeout
            assert client.get("/__mock/health").status_code == 200
            ports.add(client.get("/__mock/health").extensions["network_stream"].get_extra_info("client_addr"))
        assert len(ports) == 1
