"""Contract coverage from the journal: which parts of each vendor's API the requests exercised.

Per vendor and operation: how often it was called, which declared parameters were sent and which
classes of value (each enum value, each spelling of a list), which statuses and vendor error types were answered against
those the document declares, the undeclared parameters a client sent with the nearest declared
name (the likely typo), and the requests refused and why.

**The percentage**: an operation is *covered* when at least one request to it was answered with a
success (2xx) status; the percentage is covered operations over the operations served, per vendor
and over all of them. The endpoint, ``mockserver coverage`` and the pytest plugin give this one
number. It covers what the journal holds (its last ``--journal-size`` requests).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from mockserver.openapi.model import ApiSpec, Operation, resolve_pointer
from mockserver.validation.typos import undeclared_names

if TYPE_CHECKING:  # (the client module brings urllib.request, which serving does not need)
    from mockserver.client import JournalEntry

DEFINITION = (
    "An operation is covered when at least one request to it was answered with a success (2xx) status; "
    "percent = covered operations / operations served, over the requests the journal holds."
)


def coverage(entries: Iterable[JournalEntry], specs: Mapping[str, ApiSpec]) -> dict[str, Any]:
    """The coverage report of ``entries`` over the operations of ``specs`` (vendor -> its document)."""
    seen: dict[str, dict[str, list[JournalEntry]]] = {vendor: {} for vendor in specs}
    unrouted: dict[str, Counter[tuple[str, str, int]]] = {vendor: Counter() for vendor in specs}
    for entry in entries:
        vendor = entry.get("vendor")
        if vendor not in specs:
            continue
        if entry.get("operationId"):
            seen[vendor].setdefault(str(entry["operationId"]), []).append(entry)
        else:
            unrouted[vendor][(entry["method"], entry["path"], entry["status"])] += 1
    vendors = {}
    for vendor, spec in specs.items():
        operations = {op.operation_id: _operation(op, seen[vendor].get(op.operation_id, []), spec) for op in spec.operations}
        covered = sum(1 for op in operations.values() if op["covered"])
        vendors[vendor] = {
            **_share(covered, len(operations)),
            "operations": operations,
            "unrouted": [
                {"method": method, "path": path, "status": status, "count": count}
                for (method, path, status), count in unrouted[vendor].most_common()
            ],
        }
    total = sum(v["operations_total"] for v in vendors.values())
    covered = sum(v["operations_covered"] for v in vendors.values())
    return {
        "definition": DEFINITION,
        **_share(covered, total),
        "uncovered": [
            f"{vendor} {op_id}" for vendor, v in vendors.items() for op_id, op in v["operations"].items() if not op["covered"]
        ],
        "typos": [
            {"vendor": vendor, "operationId": op_id, "parameter": name, **found}
            for vendor, v in vendors.items()
            for op_id, op in v["operations"].items()
            for name, found in op["undeclared"].items()
        ],
        "vendors": vendors,
    }


def _share(covered: int, total: int) -> dict[str, Any]:
    return {
        "operations_covered": covered,
        "operations_total": total,
        "percent": round(100 * covered / total, 1) if total else 100.0,
    }


def _operation(operation: Operation, entries: list[JournalEntry], spec: ApiSpec) -> dict[str, Any]:
    statuses = Counter(str(e["status"]) for e in entries)
    declared = sorted(code for code in operation.responses if code != "default")
    parameters = [p for p in operation.parameters if p.location == "query"]
    sent: dict[str, dict[str, Any]] = {}
    undeclared: dict[str, dict[str, Any]] = {}
    for entry in entries:
        query = entry.get("query") or {}
        for parameter in parameters:
            forms = _forms(parameter.name, query)
            if not forms:
                continue
            found = sent.setdefault(parameter.name, {"requests": 0, "values": Counter(), "spellings": Counter()})
            found["requests"] += 1
            found["spellings"].update(forms)
            enum = _enum(parameter.schema, spec)
            if enum is not None:
                found["values"].update(v for v in _values(parameter.name, query) if v in enum)
        for key, guess in undeclared_names(query, operation):
            undeclared.setdefault(key, {"requests": 0, "nearest": guess})["requests"] += 1
    refused = Counter((e["status"], e.get("reason") or "") for e in entries if e["status"] >= 400)
    return {
        "method": operation.method.upper(),
        "path": operation.path,
        "calls": len(entries),
        "covered": any(200 <= e["status"] < 300 for e in entries),
        "statuses": dict(sorted(statuses.items())),
        "error_types": dict(sorted(Counter(f"{e['status']} {e['errorType']}" for e in entries if e.get("errorType")).items())),
        "declared_statuses": declared,
        "statuses_not_seen": [code for code in declared if not any(_matches(code, s) for s in statuses)],
        "parameters": {
            p.name: {
                "requests": sent[p.name]["requests"],
                "values": dict(sent[p.name]["values"]),
                "spellings": dict(sent[p.name]["spellings"]),
            }
            if p.name in sent
            else {"requests": 0, "values": {}, "spellings": {}}
            for p in parameters
        },
        "enum_values_not_sent": {
            p.name: [v for v in enum if v not in (sent.get(p.name, {}).get("values") or {})]
            for p in parameters
            if (enum := _enum(p.schema, spec)) is not None
        },
        "undeclared": undeclared,
        "refused": [{"status": status, "reason": reason, "count": count} for (status, reason), count in refused.most_common()],
    }


def _forms(name: str, query: Mapping[str, list[str]]) -> list[str]:
    """How a request spelled parameter ``name``: once, repeated, joined with commas, with brackets."""
    forms = []
    values = query.get(name) or []
    if len(values) > 1:
        forms.append("repeated")
    elif len(values) == 1:
        forms.append("comma-joined" if "," in values[0] else "once")
    if any(key.startswith(name + "[") and key.endswith("]") for key in query):
        forms.append("brackets")
    return forms


def _values(name: str, query: Mapping[str, list[str]]) -> list[str]:
    found = list(query.get(name) or [])
    for key, values in query.items():
        if key.startswith(name + "[") and key.endswith("]"):
            found.extend(values)
    return [part for value in found for part in value.split(",")]


def _enum(schema: Any, spec: ApiSpec) -> list[str] | None:
    """The values a parameter's schema lists (its items' for an array), as they are written in a query."""
    schema = _deref(schema, spec)
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("items"), dict):
        schema = _deref(schema["items"], spec)
    enum = schema.get("enum") if isinstance(schema, dict) else None
    return [str(v) for v in enum] if isinstance(enum, list) else None


def _deref(schema: Any, spec: ApiSpec) -> Any:
    for _ in range(8):  # a chain of references, never a loop
        if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str)):
            break
        schema = resolve_pointer(spec.root, schema["$ref"], spec.source)
    return schema


def _matches(declared: str, status: str) -> bool:
    """Whether answered ``status`` is declared ``declared`` (an exact code or a range like 4XX)."""
    return declared == status or (declared.endswith("XX") and status[:1] == declared[:1])


def markdown(report: Mapping[str, Any]) -> str:
    """The report as a Markdown table: one row per operation, then the typos and refusals."""
    lines = [
        f"Contract coverage: {report['operations_covered']} of {report['operations_total']} operations "
        f"({report['percent']}%). {report['definition']}",
        "",
        "| vendor | operation | calls | statuses answered | declared, not seen |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for vendor, found in report["vendors"].items():
        for op_id, op in found["operations"].items():
            answered = ", ".join(f"{code} x{n}" for code, n in op["statuses"].items()) or "-"
            mark = "" if op["covered"] else " (not covered)"
            lines.append(
                f"| {vendor} | {op_id}{mark} | {op['calls']} | {answered} | {', '.join(op['statuses_not_seen']) or '-'} |"
            )
    if report["typos"]:
        lines += ["", "Undeclared query parameters (ignored, as the vendor ignores them):", ""]
        for typo in report["typos"]:
            guess = f", did you mean `{typo['nearest']}`?" if typo["nearest"] else ""
            lines.append(f"- {typo['vendor']} {typo['operationId']}: `{typo['parameter']}` x{typo['requests']}{guess}")
    return "\n".join(lines) + "\n"


def junit(report: Mapping[str, Any]) -> str:
    """The report as JUnit XML: one test per operation, failed when it is not covered."""
    from xml.sax.saxutils import quoteattr

    cases = []
    for vendor, found in report["vendors"].items():
        for op_id, op in found["operations"].items():
            name = quoteattr(f"{op['method']} {op['path']} ({op_id})")
            body = "" if op["covered"] else f"<failure message={quoteattr('no request was answered with a 2xx status')}/>"
            cases.append(f"    <testcase classname={quoteattr('coverage.' + vendor)} name={name}>{body}</testcase>")
    failures = report["operations_total"] - report["operations_covered"]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuite name="mockserver contract coverage" tests="{report["operations_total"]}" failures="{failures}">\n'
        + "\n".join(cases)
        + "\n</testsuite>\n"
    )
