"""What hostile clients and a hung store cost a real server (``make hostile``): the figures the
README's Security section promises, measured on loopback.

1. RSS of one worker before and after 1,000 requests whose one header is 16 MB (sent whole).
2. How many of 300 slowloris connections (one header byte a second) are still open just after
   ``--head-timeout``.
3. Seconds until ``/__mock/health`` and a vendor request answer while the Redis store is paused
   (SIGSTOP), when redis-server is installed.

Prints a Markdown table. Every loop is bounded in count and time; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--port", str(self.port), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/__mock/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def huge_header(port: int, size: int) -> int:
    """Send one request with a ``size``-byte header, whole; the status the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"GET /botpress/v1/admin/bots/b/analytics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Huge: ")
        chunk = b"a" * 1_048_576
        try:
            for _ in range(size // len(chunk)):
                sock.sendall(chunk)
            sock.sendall(b"\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: what it said is in the socket's buffer
        try:
            answer = sock.recv(64)
        except OSError:
            return 0
        return int(answer.split()[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def measure_headers(requests: int, size: int) -> tuple[float, float, dict[int, int]]:
    server = Server()
    try:
        before = server.rss_mb()
        statuses: dict[int, int] = {}
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for status in pool.map(lambda _: huge_header(server.port, size), range(requests)):
                statuses[status] = statuses.get(status, 0) + 1
        return before, server.rss_mb(), statuses
    finally:
        server.stop()


def measure_slowloris(connections: int, timeout: float) -> tuple[int, int]:
    server = Server("--head-timeout", str(timeout))
    socks = []
    try:
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /botpress/x HTTP/1.1\r\n")
            socks.append(sock)
        started = time.monotonic()
        while time.monotonic() - started < timeout + 1:  # one header byte a second, as slowloris sends
            for sock in socks:
                try:
                    sock.sendall(b"X")
                except OSError:
                    pass
            time.sleep(1)
        open_now = 0
        for sock in socks:
            sock.setblocking(False)
            try:
                data = sock.recv(65536)
                while data:  # the 408, then the close
                    data = sock.recv(65536)
            except BlockingIOError:
                open_now += 1  # nothing to read, not closed: still open
            except OSError:
                pass
        return connections, open_now
    finally:
        for sock in socks:
            sock.close()
        server.stop()


def measure_paused_redis() -> tuple[float, float, int] | None:
    if shutil.which("redis-server") is None:
        return None
    folder = tempfile.mkdtemp(prefix="mockserver-bench-redis-")
    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)
        server = Server("--state", f"redis://127.0.0.1:{port}/0")
        try:
            os.kill(redis.pid, signal.SIGSTOP)
            started = time.monotonic()
            httpx.get(f"{server.url}/__mock/health", timeout=30)
            health = time.monotonic() - started
            started = time.monotonic()
            answer = httpx.get(
                f"{server.url}/generalbots/api/v1/analytics/usage?days=7", headers={"Authorization": "Bearer t"}, timeout=30
            )
            return health, time.monotonic() - started, answer.status_code
        finally:
            os.kill(redis.pid, signal.SIGCONT)
            server.stop()
    finally:
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--header-mb", type=int, default=16)
    parser.add_argument("--slowloris", type=int, default=300)
    parser.add_argument("--head-timeout", type=float, default=3.0)
    args = parser.parse_args()
    before, after, statuses = measure_headers(args.requests, args.header_mb * 1_048_576)
    total, still_open = measure_slowloris(args.slowloris, args.head_timeout)
    print("| measure | result |\n| --- | --- |")
    print(
        f"| RSS before / after {args.requests} requests with a {args.header_mb} MB header | {before:.0f} MB / {after:.0f} MB "
        f"(answers: {', '.join(f'{n}x {s}' for s, n in sorted(statuses.items()))}) |"
    )
    print(
        f"| slowloris connections still open {args.head_timeout + 1:g} s after opening (head timeout "
        f"{args.head_timeout:g} s) | {still_open} of {total} |"
    )
    paused = measure_paused_redis()
    if paused is None:
        print("| Redis paused | redis-server not installed |")
    else:
        health, vendor, status = paused
        print(f"| Redis paused: seconds until /__mock/health answers | {health:.3f} s |")
        print(f"| Redis paused: seconds until a vendor request answers | {vendor:.3f} s ({status}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
