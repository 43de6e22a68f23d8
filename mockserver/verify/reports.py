"""What ``verify`` writes: a Markdown report for a person, JUnit XML for CI, an Overlay 1.0 patch.

None of them holds a credential: requests are shown by method, path and query, with query
parameters named like credentials masked, and header names only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.sax.saxutils import escape, quoteattr

import yaml

from mockserver.control.journal import Masker
from mockserver.verify.compare import CHECKS, Finding
from mockserver.verify.probes import Probe

_MASKER = Masker()


@dataclass
class Run:
    vendor: str
    upstream: str
    operations: list[str]
    probes: int
    findings: list[Finding]
    waited: float
    limited: int
    seconds: float


def public(url: str) -> str:
    """``url`` without what may hold a credential (user info, query, fragment)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def shown(probe: Probe) -> str:
    """The request as a report shows it: no credential in the query, header names only."""
    query = [(k, "****" if _MASKER.secret(k) else v) for k, v in probe.query]
    target = probe.path + ("?" + urlencode(query, safe="*") if query else "")
    names = sorted(k for k in probe.headers if k.lower() != "content-type")
    return f"{probe.method} {target}" + (f" (headers: {', '.join(names)})" if names else "")


def markdown(run: Run) -> str:
    lines = [
        f"# mockserver verify {run.vendor}",
        "",
        f"Upstream `{public(run.upstream)}`; {len(run.operations)} operations, "
        f"{run.probes} requests to each side in {run.seconds:.1f} s; "
        f"{len(run.findings)} drift finding{'' if len(run.findings) == 1 else 's'}.",
    ]
    if run.limited:
        lines.append(f"The vendor rate-limited {run.limited} request(s); verify waited {run.waited:.1f} s as it asked.")
    lines.append("")
    if not run.findings:
        lines += ["No drift: for every request, the vendor answered as the mock and the spec do.", ""]
        return "\n".join(lines)
    lines += ["| operation | check | location | what differs | seen | example request |", "| --- | --- | --- | --- | --- | --- |"]
    for f in sorted(run.findings, key=lambda f: (f.operation_id, CHECKS.index(f.check), f.location)):
        lines.append(
            f"| {f.operation_id} | {f.check} | `{f.location}` | {_cell(f.message)} | {f.seen} | `{_cell(shown(f.probe))}` |"
        )
    lines += [
        "",
        "Checks: `status` (the vendor and the mock answer the same request differently), `declared-status` "
        "and `content-type` (the spec does not declare what the vendor answered), `undeclared-field`, "
        "`missing-field`, `type`, `format`, `enum`, `schema` (the vendor's body against the spec and its overlay), "
        "`error-body` (the vendor's error body against the mock's), `headers` (rate-limit, retry and "
        "download headers one side sends), `invariant` (a rule the vendor's numbers obey whatever they are, "
        "such as a series adding up to its total), `transport` (no answer in time, or the connection failed).",
        "",
    ]
    return "\n".join(lines)


def junit(run: Run) -> str:
    """One test case per operation and check; a failure lists that check's findings."""
    cases = []
    failures = 0
    for operation in run.operations:
        for check in CHECKS:
            mine = [f for f in run.findings if f.operation_id == operation and f.check == check]
            name = f'<testcase classname="verify.{run.vendor}.{escape(operation)}" name="{check}"'
            if mine:
                failures += 1
                text = "\n".join(f"{f.location}: {f.message} -- {shown(f.probe)}" for f in mine)
                cases.append(f"{name}><failure message={quoteattr(mine[0].message)}>{escape(text)}</failure></testcase>")
            else:
                cases.append(f"{name}/>")
    head = (
        f'<testsuite name="mockserver verify {run.vendor}" tests="{len(cases)}" failures="{failures}" '
        f'errors="0" time="{run.seconds:.3f}">'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
        + head
        + "\n"
        + "\n".join(cases)
        + "\n</testsuite>\n</testsuites>\n"
    )


def overlay(run: Run) -> str | None:
    """An Overlay 1.0 document declaring what the vendor answered and the spec lacks, or None."""
    updates: dict[str, dict[str, Any]] = {}
    for f in run.findings:
        if f.proposal is None:
            continue
        path, update = f.proposal
        target = "$" + "".join(f"[{json.dumps(part)}]" for part in path)
        _merge(updates.setdefault(target, {}), update)
    if not updates:
        return None
    document = {
        "overlay": "1.0.0",
        "info": {
            "title": f"What {run.vendor} answered and its spec does not declare",
            "version": "1.0.0",
            "description": "Proposed by mockserver verify from the vendor's answers (shapes only, no values). "
            "Review it, then keep it beside the spec (mockserver serve --spec with the patched document).",
        },
        "actions": [{"target": target, "update": update} for target, update in sorted(updates.items())],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def _merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into.setdefault(key, value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
