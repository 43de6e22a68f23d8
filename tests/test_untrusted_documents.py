"""Documents a user points the mock at (--spec, --fixtures): nothing outside them is read or fetched,
and no few lines of YAML expand to fill the memory."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import free_port

MINIMAL = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/reports/conversations": {
            "get": {
                "operationId": "getConversationsReport",
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}},
            }
        }
    },
}


@pytest.fixture
def remote() -> Iterator[tuple[str, list[str]]]:
    """A host that records every request it gets."""
    asked: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"type": "object"}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", free_port()), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()


def _with_ref(ref: str) -> dict[str, object]:
    document = yaml.safe_load(yaml.safe_dump(MINIMAL))
    document["paths"]["/reports/conversations"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": ref
    }
    return document


@pytest.mark.parametrize("command", ["validate", "serve"])
def test_a_remote_or_file_ref_is_refused_before_anything_follows_it(
    command: str, remote: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, asked = remote
    secret = tmp_path / "token.json"
    secret.write_text('{"token": "sk-live-DO-NOT-PRINT"}')
    for ref in (f"{url}/schema.json", secret.as_uri(), "other.yaml#/components/schemas/X"):
        spec = tmp_path / "spec.yaml"
        spec.write_text(yaml.safe_dump(_with_ref(ref)))
        args = [sys.executable, "-m", "mockserver", command, "--spec", f"chatbotcom={spec}", "--vendor", "chatbotcom"]
        if command == "serve":
            args += ["--port", str(free_port())]
        result = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, result.stderr
        assert (
            f"$ref '{ref}' at /paths/~1reports~1conversations/get/responses/200/content/application~1json/schema" in result.stderr
        )
        assert "only local references" in result.stderr and "sk-live" not in result.stderr + result.stdout
    assert asked == []


def _bomb(levels: int = 9) -> str:
    """A few hundred bytes of YAML whose aliases expand to 9**levels strings."""
    lines = ['l0: &l0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["spec", "fixture"])
def test_an_alias_bomb_is_refused_at_once_in_one_line(where: str, tmp_path: Path) -> None:
    if where == "spec":
        spec = tmp_path / "spec.yaml"
        spec.write_text("openapi: 3.1.0\n" + _bomb())
        args = ["--spec", f"chatbotcom={spec}"]
    else:
        (tmp_path / "bomb.yaml").write_text(
            "vendor: chatbotcom\noperationId: getConversationsReport\nname: bomb\n" + _bomb().replace("l0:", "body: {}\nl0:")
        )
        args = ["--fixtures", str(tmp_path)]
    # Expanded, it is 387 million strings: 25 s and gigabytes before this check; the timeout bounds it.
    result = subprocess.run([sys.executable, "-m", "mockserver", "validate", *args], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "aliases expand to more than 1,000,000 nodes" in result.stderr


@pytest.mark.parametrize(
    "document",
    [
        "[&a [1, *a]]",  # after a flow sequence's bracket
        "{x: 1, y: &a [1, *a]}",  # after a space in a flow mapping
        '{"y":&a [1, *a]}',  # after a quoted key's colon
        "x: [1,&a [1, *a]]",  # after a comma
        "- &a [1, *a]\n",  # after a sequence entry's dash and space
        "&a [1, *a]\n",  # at the start of the document
        "x:\t&a [1, *a]\n",  # after a tab
        "\ufeff&a [1, *a]\n",  # after a byte order mark
    ],
)
def test_an_anchor_anywhere_is_checked(document: str) -> None:
    """The check is skipped only for documents with no anchor; an anchor wherever YAML allows one
    still gets its aliases checked (here a node that contains itself)."""
    from mockserver.openapi.loader import load_yaml

    with pytest.raises(yaml.YAMLError, match="refers to a node that contains it"):
        load_yaml(document)


def test_aliases_within_the_budget_still_load(tmp_path: Path) -> None:
    from mockserver.openapi.loader import load_yaml

    assert load_yaml("x: &x {a: 1}\ny: *x\nz: [*x, *x]\n") == {"x": {"a": 1}, "y": {"a": 1}, "z": [{"a": 1}, {"a": 1}]}
    with pytest.raises(yaml.YAMLError, match="refers to a node that contains it"):
        load_yaml("a: &a [1, *a]\n")
