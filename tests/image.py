"""Build the container image and check it as a CI service runs it (``make image``, ``make image-test``).

    python -m tests.image base  --name localhost/debian-py:bookworm   a Debian base (debootstrap), for
                                                                      machines that reach no image registry
    python -m tests.image build --image mockserver:test [--base IMAGE]
    python -m tests.image test  --image mockserver:test [--budget-mb N]

The engine is buildah where it is installed (it needs no daemon), else podman, else docker.
Under buildah the image runs with ``buildah run --isolation chroot --network host``: the server is
a process of this machine, so the checks reach it on loopback and signal it directly.

The checks: readiness and the health check's command; one request per vendor, with the status a
client expects; the user is not root; SIGTERM stops it with status 0 within a few seconds; a job
created before a restart, on a volume-backed SQLite store, is still there after it; the image's
size, printed and held under ``--budget-mb``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import httpx

from tests.cases import AUTH, TOKEN

ROOT = Path(__file__).parent.parent
CHATBOT = "6790b2f1c2a4e5d3f8a1b234"
REQUESTS = [
    ("botpress", "GET", "/v1/admin/bots/bot_1/analytics?startDate=2025-05-01&endDate=2025-05-07", 200),
    ("chatcaptain", "GET", "/v1/chatbots/cb_1/statistics/channels", 200),
    ("chatbotcom", "GET", "/reports/conversations?from=2025-05-01&to=2025-05-07", 200),
    ("generalbots", "GET", "/api/v1/analytics/usage", 200),
    ("chatbotcom", "GET", "/reports/conversations?from=soon", 400),
]


def engine() -> str:
    for name in ("buildah", "podman", "docker"):
        if shutil.which(name):
            return name
    sys.exit("no container engine: install buildah (apt-get install buildah), podman or docker")


def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, check=True, text=True, **kwargs)  # type: ignore[call-overload]


def base(name: str) -> None:
    """A Debian bookworm image with python3 and venv, made with debootstrap (root only)."""
    if subprocess.run(["buildah", "inspect", "--type", "image", name], capture_output=True).returncode == 0:
        print(f"{name} is there already")
        return
    with tempfile.TemporaryDirectory(prefix="mockserver-base-") as folder:
        rootfs = Path(folder) / "rootfs"
        run(
            "debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates",
            "bookworm", str(rootfs), "http://deb.debian.org/debian",
        )  # fmt: skip
        container = run("buildah", "from", "scratch", capture_output=True).stdout.strip()
        try:
            run("buildah", "copy", container, f"{rootfs}/", "/")
            run("buildah", "config", "--cmd", "/bin/sh", container)
            run("buildah", "commit", "--rm", container, name)
        except subprocess.CalledProcessError:
            subprocess.run(["buildah", "rm", container], capture_output=True)
            raise


def build(image: str, base_image: str | None) -> None:
    wheels = ROOT / ".wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    # The package and every dependency as wheels, built here: the image installs them with no index.
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheels), str(ROOT))
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    remote = subprocess.run(["git", "-C", str(ROOT), "remote", "get-url", "origin"], capture_output=True, text=True)
    args = ["--build-arg", f"VERSION={version}", "--build-arg", f"SOURCE={remote.stdout.strip()}"]
    if base_image:
        args += ["--build-arg", f"BASE_IMAGE={base_image}"]
    tool = engine()
    if tool == "buildah":
        # Docker format: OCI image configs have no HEALTHCHECK.
        run("buildah", "bud", "--isolation", "chroot", "--format", "docker", *args, "-t", image, str(ROOT))
    else:
        run(tool, "build", *args, "-t", image, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Running:
    """The image serving on a port of this machine, with ``data`` as its /data volume."""

    def __init__(self, image: str, data: Path, container: str | None = None) -> None:
        self.tool, self.port = engine(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        serve = ["--port", str(self.port), "--token", TOKEN, "--state", "sqlite:///data/state.db"]
        if self.tool == "buildah":
            # buildah mounts the image's VOLUME /data from the container's own storage (a -v there
            # is not honoured by buildah 1.28): a restart runs the same container again, as
            # `docker restart` keeps a container's volume.
            self.container = container or run("buildah", "from", "--pull-never", image, capture_output=True).stdout.strip()
            command = ["buildah", "run", "--isolation", "chroot", "--network", "host"]
            self.process = subprocess.Popen([*command, self.container, "--", "/opt/mockserver/bin/mockserver", "serve", *serve])
        else:
            name = f"mockserver-check-{self.port}"
            self.container = name
            self.process = subprocess.Popen(
                [self.tool, "run", "--rm", "--name", name, "--network", "host", "-v", f"{data}:/data", image, *serve]
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/__mock/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the image did not get ready on {self.url} within 60 s")

    def exec(self, *command: str) -> str:
        if self.tool == "buildah":
            done = run("buildah", "run", "--isolation", "chroot", self.container, "--", *command, capture_output=True)
        else:
            done = run(self.tool, "exec", self.container, *command, capture_output=True)
        return str(done.stdout).strip()

    def server_pid(self) -> int:
        """The server's process (under buildah a process of this machine; else the engine's)."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                line = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            # The Python process itself, not buildah's wrappers around it (which die of SIGTERM).
            if str(self.port).encode() in line and line[0].rsplit(b"/", 1)[-1].startswith(b"python"):
                return int(entry.name)
        raise SystemExit("the server's process was not found")

    def terminate(self) -> tuple[int, float]:
        """SIGTERM to the server; (its exit status as the engine reports it, seconds to stop)."""
        started = time.monotonic()
        if self.tool == "buildah":
            os.kill(self.server_pid(), signal.SIGTERM)
        else:
            run(self.tool, "kill", "--signal", "TERM", self.container)
        status = self.process.wait(timeout=30)
        return status, time.monotonic() - started

    def stop(self, remove: bool = True) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self.tool == "buildah" and remove:
            subprocess.run(["buildah", "rm", self.container], capture_output=True)


def size_mb(image: str) -> float:
    tool = engine()
    if tool == "buildah":
        found = json.loads(run("buildah", "images", "--json", image, capture_output=True).stdout)
        return float(found[0]["size"]) / 1e6 if isinstance(found[0]["size"], (int, float)) else _parse(found[0]["size"])
    found = json.loads(run(tool, "image", "inspect", image, capture_output=True).stdout)
    return float(found[0]["Size"]) / 1e6


def _parse(text: str) -> float:
    number, unit = text.split()
    return float(number) * {"kB": 1e-3, "KB": 1e-3, "MB": 1.0, "GB": 1e3}[unit]


def test(image: str, budget_mb: float) -> None:
    failures: list[str] = []

    def check(ok: bool, what: str) -> None:
        print(("ok    " if ok else "FAIL  ") + what, flush=True)
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory(prefix="mockserver-data-") as folder:
        data = Path(folder)
        os.chmod(data, 0o777)  # the image's user (uid 10001) writes the store here
        first = Running(image, data)
        try:
            check(True, f"ready at {first.url}")
            health = first.exec("/opt/mockserver/bin/mockserver", "wait", "--url-file", "/tmp/mockserver.url", "--timeout", "2")
            check(f"ready: {first.url}" in health, f"the health check's command follows --port ({health})")
            for vendor, method, path, expected in REQUESTS:
                status = httpx.request(method, f"{first.url}/{vendor}{path}", headers=AUTH[vendor], timeout=10).status_code
                check(status == expected, f"{method} /{vendor}{path}: {status} (expected {expected})")
            uid = first.exec("id", "-u")
            check(uid not in ("", "0"), f"runs as uid {uid}, not root")
            export = httpx.post(
                f"{first.url}/chatcaptain/v1/chatbots/{CHATBOT}/statistics/export",
                params={"from": "2025-01-04T23:00:00.000Z", "to": "2025-02-01T22:59:59.999Z"},
                headers=AUTH["chatcaptain"],
                timeout=10,
            )
            check(export.status_code in (200, 201, 202), f"an export job is created ({export.status_code})")
            job = export.json()
            job_id = str(job.get("id", ""))
            status, seconds = first.terminate()
            check(status == 0 and seconds < 5, f"SIGTERM: exit status {status} in {seconds:.1f} s")
        finally:
            first.stop(remove=False)
        second = Running(image, data, first.container)  # the same container (and volume), restarted
        try:
            again = httpx.get(
                f"{second.url}/chatcaptain/v1/chatbots/{CHATBOT}/statistics/export/{job_id}",
                headers=AUTH["chatcaptain"],
                timeout=10,
            )
            check(again.status_code == 200, f"after a restart, job {job_id} is still there ({again.status_code})")
        finally:
            second.terminate()
            second.stop()
    size = size_mb(image)
    check(size <= budget_mb, f"image size {size:.0f} MB (budget {budget_mb:.0f} MB)")
    if failures:
        raise SystemExit(f"{len(failures)} check(s) failed: " + "; ".join(failures))
    print("image checks passed")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.image")
    commands = parser.add_subparsers(dest="command", required=True)
    made = commands.add_parser("base")
    made.add_argument("--name", default="localhost/debian-py:bookworm")
    built = commands.add_parser("build")
    built.add_argument("--image", default="mockserver:test")
    built.add_argument("--base", default=None)
    tested = commands.add_parser("test")
    tested.add_argument("--image", default="mockserver:test")
    tested.add_argument("--budget-mb", type=float, default=450.0)
    args = parser.parse_args()
    if args.command == "base":
        base(args.name)
    elif args.command == "build":
        build(args.image, args.base)
    else:
        test(args.image, args.budget_mb)


if __name__ == "__main__":
    main()
