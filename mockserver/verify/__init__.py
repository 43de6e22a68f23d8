"""``mockserver verify VENDOR --upstream URL``: the same requests to the real vendor and to the mock.

``probes`` says what is sent, ``exchange`` sends it (politely to the vendor, in-process to the
mock), ``compare`` says what differs, ``reports`` writes it down. Exit status: 0 no drift, 1 drift,
2 a usage error or a vendor that never answered.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from mockserver.errors import ConfigError
from mockserver.verify.compare import Comparison, Finding
from mockserver.verify.exchange import InProcessMock, Upstream
from mockserver.verify.probes import probes_for
from mockserver.verify.reports import Run, junit, markdown, overlay, public

__all__ = ["Options", "verify"]


@dataclass(frozen=True)
class Options:
    vendor: str
    upstream: str
    headers: Mapping[str, str]
    params: Mapping[str, str]
    operations: Sequence[str] = ()
    rate: float = 2.0
    timeout: float = 10.0
    report: Path | None = None
    junit: Path | None = None
    overlay_out: Path | None = None
    spec: Path | None = None


def verify(options: Options, out: TextIO = sys.stderr) -> int:
    from mockserver.app import create_app
    from mockserver.settings import Settings

    overrides = {options.vendor: options.spec} if options.spec else {}
    app = create_app(Settings(root_vendor=options.vendor, spec_overrides=overrides))
    service = app.vendors[options.vendor]
    spec = service.spec
    by_id = {op.operation_id: op for op in spec.operations}
    unknown = [name for name in options.operations if name not in by_id]
    if unknown:
        raise ConfigError(f"--operations: {options.vendor} has no operation {unknown[0]!r}; it has: {', '.join(by_id)}")
    chosen = [by_id[name] for name in options.operations] if options.operations else list(spec.operations)
    progress = Progress(out, len(chosen))
    upstream = Upstream(options.upstream, options.rate, options.timeout, progress.waiting)
    mock = InProcessMock(app)
    compare = Comparison(spec, service.profile)
    found: dict[tuple[str, str, str], Finding] = {}
    sent = 0
    started = time.monotonic()
    try:
        for operation in chosen:
            for probe in probes_for(spec, operation, options.params, options.headers):
                sent += 1
                vendor_reply, mock_reply = upstream.send(probe), mock.send(probe)
                for finding in compare.findings(operation, probe, vendor_reply, mock_reply):
                    if finding.key in found:
                        found[finding.key].seen += 1
                    else:
                        found[finding.key] = finding
                if sent == 1 and upstream.answered == 0 and vendor_reply.failure and "connection failed" in vendor_reply.failure:
                    print(f"mockserver: error: {public(options.upstream)}: {vendor_reply.failure}", file=out)
                    return 2
            progress.done(operation.operation_id, sum(1 for f in found.values() if f.operation_id == operation.operation_id))
    finally:
        mock.close()
        progress.close()
    if upstream.answered == 0:
        print(f"mockserver: error: {public(options.upstream)} answered none of {sent} requests", file=out)
        return 2
    run = Run(
        options.vendor,
        options.upstream,
        [op.operation_id for op in chosen],
        sent,
        list(found.values()),
        upstream.waited,
        upstream.limited,
        time.monotonic() - started,
    )
    _write(options.report, markdown(run))
    _write(options.junit, junit(run))
    patch = overlay(run)
    if options.overlay_out is not None:
        _write(options.overlay_out, patch or "")
    print(
        f"verify {options.vendor}: {len(chosen)} operations, {sent} requests, {len(run.findings)} drift finding(s)"
        + (f"; report: {options.report}" if options.report else ""),
        file=out,
    )
    return 1 if run.findings else 0


def _write(path: Path | None, text: str) -> None:
    if path is None:
        return
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


class Progress:
    """Operations done of all, drift so far and any rate-limit wait: one rewritten line on a terminal,
    one line per operation otherwise (a CI log)."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out, self.total, self.count, self.drift = out, total, 0, 0
        self.tty = out.isatty()

    def done(self, operation_id: str, drift: int) -> None:
        self.count += 1
        self.drift += drift
        line = f"[{self.count}/{self.total}] {operation_id}: {drift} drift (so far {self.drift})"
        print("\r\033[K" + line if self.tty else line, end="" if self.tty else "\n", file=self.out, flush=True)

    def waiting(self, seconds: float, why: str) -> None:
        line = f"waiting {seconds:.1f} s: {why}"
        print("\r\033[K" + line if self.tty else line, end="" if self.tty else "\n", file=self.out, flush=True)

    def close(self) -> None:
        if self.tty:
            print(file=self.out)
