"""A load generator for a running mock: keep-alive connections on loopback, each sending the
requests of a list in turn for a while, then a JSON summary of what came back.

    python -m tests.loadgen --port 8000 --connections 200 --seconds 60 requests.json

``requests.json`` is a list of ``[method, target, {header: value}, expected_status]``, each with an
optional fifth item, a JSON body. The summary
counts answers by status, answers whose status was not the expected one, 5xx, and errors
(refused, reset or stalled connections), and gives latency percentiles and per-connection counts.
It runs in its own process so that it does not compete with the server for one interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from typing import Any

Request = tuple[Any, ...]  # method, target, headers, expected status[, JSON body]


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("the server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def _connection(port: int, requests: list[Request], offset: int, deadline: float, stats: dict[str, Any]) -> None:
    encoded = [_encode(port, *request) for request in requests]
    done = 0
    index = offset
    writer = None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < deadline:
            slot = index % len(requests)
            started = time.perf_counter()
            status, _ = await asyncio.wait_for(_exchange(reader, writer, encoded[slot]), timeout=30)
            stats["latencies"].append(time.perf_counter() - started)
            stats["statuses"][status] += 1
            if status != requests[slot][3]:
                stats["unexpected"][f"{requests[slot][0]} {requests[slot][1]} -> {status}"] += 1
            done += 1
            index += 1
    except Exception as exc:  # noqa: BLE001 - every failure of a connection is counted, none is fatal
        stats["errors"][f"{type(exc).__name__}: {exc}"[:200]] += 1
    finally:
        stats["per_connection"].append(done)
        if writer is not None:
            writer.close()


def _encode(port: int, method: str, target: str, headers: dict[str, str], expected: int, body: Any = None) -> bytes:
    content = b"" if body is None else json.dumps(body).encode()
    if body is not None:
        headers = {**headers, "Content-Type": "application/json", "Content-Length": str(len(content))}
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode("latin-1") + content


async def run(port: int, requests: list[Request], connections: int, seconds: float) -> dict[str, Any]:
    stats: dict[str, Any] = {
        "statuses": Counter(),
        "unexpected": Counter(),
        "errors": Counter(),
        "latencies": [],
        "per_connection": [],
    }
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    await asyncio.gather(*(_connection(port, requests, i * 7, deadline, stats) for i in range(connections)))
    elapsed = time.monotonic() - started
    latencies = sorted(stats["latencies"])

    def percentile(p: float) -> float:
        return round(latencies[min(int(p * len(latencies)), len(latencies) - 1)] * 1000, 2) if latencies else 0.0

    total = sum(stats["statuses"].values())
    return {
        "connections": connections,
        "seconds": round(elapsed, 2),
        "requests": total,
        "per_second": round(total / elapsed, 1) if elapsed else 0.0,
        "statuses": {str(k): v for k, v in sorted(stats["statuses"].items())},
        "server_errors": sum(v for k, v in stats["statuses"].items() if k >= 500),
        "unexpected": dict(stats["unexpected"].most_common(20)),
        "errors": dict(stats["errors"].most_common(20)),
        "p50_ms": percentile(0.5),
        "p99_ms": percentile(0.99),
        "max_ms": percentile(1.0),
        "fewest_per_connection": min(stats["per_connection"], default=0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("requests", help="JSON file: [[method, target, headers, expected status], ...]")
    args = parser.parse_args(argv)
    with open(args.requests, encoding="utf-8") as handle:
        requests = [tuple(r) for r in json.load(handle)]
    json.dump(asyncio.run(run(args.port, requests, args.connections, args.seconds)), sys.stdout)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
