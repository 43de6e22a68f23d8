"""The ceiling of our stack: a Starlette app on uvicorn that answers every Botpress analytics call
with one fixed JSON body (the mock's own answer, read from a file), doing no validation or generation.

It runs the way ``mockserver serve`` runs one worker (same uvicorn install and HTTP parser, the
mock's default event loop, no access log), so the gap between the two is the cost of the mock's own work.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.serving import DEFAULT_LOOP, event_loop


def build(body: bytes, prefix: str) -> Starlette:
    async def analytics(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route(prefix + "/v1/admin/bots/{id}/analytics", analytics)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True, help="file holding the JSON body to answer")
    parser.add_argument("--prefix", default="/botpress", help="path prefix, as on the mock")
    args = parser.parse_args()
    app = build(args.body.read_bytes(), args.prefix)
    uvicorn.run(
        app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False, loop=event_loop(DEFAULT_LOOP, workers=1)
    )


if __name__ == "__main__":
    main()
