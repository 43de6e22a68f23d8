"""Hostile and sloppy requests, per vendor, and how each must be answered.

``refused(...)`` is a request the vendor must refuse with a 4xx in its own error body, with a
message containing the given words; ``answered(...)`` is a valid request at the limits of the
calendar or of the history, answered 200. Targets are sent exactly as written, percent-encoding
and all.

* ``IN_PROCESS``: what an HTTP client library sends (the app in-process).
* ``ON_THE_WIRE``: what only a raw socket sends to a real server: bytes that are not UTF-8 in
  the request line or headers, 100 kB parameters and headers, ``..`` segments left as they are.
* ``AT_THE_EDGES``: valid requests that must not break the server.

A case the server gets wrong stays in its table, marked ``bug=<what the server does wrong>``: a
strict xfail, so the mark must go once the server is fixed. Cases of ``REFUSED_BY_HTTP`` never reach
the mock: uvicorn's HTTP parser answers them with its own plain-text 400.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from mockserver.profiles import discover_profiles

# Every vendor the server serves, found as the server finds them. The four below have cases
# written from their docs; any other gets the cases that hold for every vendor (_anywhere).
VENDORS = tuple(discover_profiles())
WRITTEN = ("botpress", "chatcaptain", "chatbotcom", "generalbots")


@dataclass(frozen=True)
class Hostile:
    vendor: str  # whose error body answers: a vendor, or "mock" for the /__mock control plane
    what: str
    target: str | bytes  # path and query, as sent
    status: int
    words: tuple[str, ...] = ()  # the error message contains each (case-insensitive)
    method: str = "GET"
    headers: Mapping[str, str | bytes] = field(default_factory=dict)  # on top of the vendor's credentials
    body: bytes | None = None


def refused(vendor: str, what: str, target: str | bytes, status: int, *words: str, bug: str | None = None, **request: Any) -> Any:
    case = Hostile(vendor, what, target, status, words, **request)
    marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
    return pytest.param(case, id=f"{vendor}: {what}", marks=marks)


def answered(vendor: str, what: str, target: str, bug: str | None = None, **request: Any) -> Any:
    return refused(vendor, what, target, 200, bug=bug, **request)


def report(**raw: bytes) -> bytes:
    """A valid General Bots report request, with the fields in ``raw`` replaced by this JSON text."""
    fields = {"type": b'"usage"', "start_date": b'"2025-01-01"', "end_date": b'"2025-01-31"', "format": b'"csv"', **raw}
    return b"{" + b", ".join(b'"%s": %s' % (name.encode(), value) for name, value in fields.items()) + b"}"


def jwt(payload: bytes) -> str:
    """A bearer JWT with this payload (General Bots reads roles from it; the signature is not checked)."""
    return "Bearer x." + base64.urlsafe_b64encode(payload).decode().rstrip("=") + ".y"


BP = "/botpress/v1/admin/bots/bot_01HZX/analytics"
BP_RANGE = "startDate=2025-01-01&endDate=2025-01-07"
CC = "/chatcaptain/v1/chatbots/6790b2f1c2a4e5d3f8a1b234/statistics"
CC_RANGE = "from=2025-01-04T23:00:00.000Z&to=2025-02-01T22:59:59.999Z"
CB = "/chatbotcom/reports/conversations"
CB_HEATMAP = "/chatbotcom/reports/conversations.heatmap"
GB = "/generalbots/api/v1/analytics"
REPORTS = f"{GB}/reports"
JSON = {"content-type": "application/json"}
MIB = 1_048_576  # the default --max-body-bytes
HUGE = "9" * 5000  # an integer longer than Python's int() accepts (4300 digits)
KB100 = "a" * 100_000
# The longest parameter under the default --max-query-bytes (16,384): it reaches the validators.
LONG = "1" * 16_000
MAX_HEAD = 65_536  # the default --max-head-bytes
NOT_UTF8 = b"\xff\xfe"
DOWNLOADS = "/__mock/downloads"
NOT_A_LINK = "expires=99999999999999&signature=0"

# Requests uvicorn's HTTP parser refuses before the app sees them: it answers a plain-text 400
# "Invalid HTTP request received." (a 4xx, and the server keeps serving), not a vendor's body.
REFUSED_BY_HTTP = "http"

IN_PROCESS = [
    # Botpress: one operation, a bot id in the path and two dates in the query.
    refused(
        "botpress", "malformed percent-encoding in the query", f"{BP}?startDate=%ZZ&endDate=2025-01-07", 400, "startDate", "'%ZZ'"
    ),
    refused(
        "botpress",
        "malformed percent-encoding in the bot id",
        f"/botpress/v1/admin/bots/%ZZ/analytics?{BP_RANGE}",
        400,
        "%ZZ",
        "encod",
    ),
    refused("botpress", "query not UTF-8", f"{BP}?startDate=%C3%28&endDate=2025-01-07", 400, "UTF-8"),
    refused("botpress", "bot id not UTF-8", f"/botpress/v1/admin/bots/%C3%28/analytics?{BP_RANGE}", 400, "UTF-8"),
    refused("botpress", "a 16 kB parameter", f"{BP}?startDate={LONG}&endDate=2025-01-07", 400, "startDate"),
    refused("botpress", "a repeated parameter", f"{BP}?{BP_RANGE}&startDate=2025-01-02", 400, "startDate", "2 times"),
    refused("botpress", "year 0", f"{BP}?startDate=0000-01-01&endDate=2025-01-07", 400, "startDate", "0000-01-01"),
    refused("botpress", "February 30", f"{BP}?startDate=2025-01-01&endDate=2025-02-30", 400, "endDate", "2025-02-30"),
    refused("botpress", "year 10000", f"{BP}?startDate=2025-01-01&endDate=10000-01-01", 400, "endDate"),
    refused(
        "botpress", "an offset of 24 hours", f"{BP}?startDate=2025-01-01T00:00:00%2B24:00&endDate=2025-01-07", 400, "startDate"
    ),
    refused("botpress", "NaN for a date", f"{BP}?startDate=NaN&endDate=Infinity", 400, "startDate", "NaN"),
    refused(
        "botpress", "Prefer delay=Infinity", f"{BP}?{BP_RANGE}", 400, "delay", "Infinity", headers={"Prefer": "delay=Infinity"}
    ),
    refused("botpress", "Prefer seed of 5000 digits", f"{BP}?{BP_RANGE}", 400, "seed", headers={"Prefer": f"seed={HUGE}"}),
    refused("botpress", "a body over the limit", f"{BP}?{BP_RANGE}", 413, "1048577 bytes", "limit", body=b"x" * (MIB + 1)),
    refused(
        "botpress",
        "path traversal in the bot id",
        f"/botpress/v1/admin/bots/..%2F..%2Fetc%2Fpasswd/analytics?{BP_RANGE}",
        404,
        "'id' names nothing",
        "../../etc/passwd",
    ),
    refused(
        "botpress",
        "path traversal in a fixture name",
        f"{BP}?{BP_RANGE}",
        400,
        "'../../etc/passwd'",
        "not an example",
        headers={"Prefer": "example=../../etc/passwd"},
    ),
    refused(
        "botpress", "a 100 kB fixture name", f"{BP}?{BP_RANGE}", 400, "not an example", headers={"Prefer": f"example={KB100}"}
    ),
    # ChatCaptain: a chatbot id in every path, an export id, date-times and a numeric interval.
    refused(
        "chatcaptain",
        "malformed percent-encoding in the query",
        f"{CC}/inbox?from=%ZZ&to=2025-02-01T22:59:59.999Z",
        400,
        "from",
        "'%ZZ'",
    ),
    refused(
        "chatcaptain",
        "malformed percent-encoding in the chatbot id",
        "/chatcaptain/v1/chatbots/%ZZ/statistics/channels",
        400,
        "%ZZ",
        "encod",
    ),
    refused("chatcaptain", "query not UTF-8", f"{CC}/inbox?from=%C3%28&to=2025-02-01T22:59:59.999Z", 400, "UTF-8"),
    refused("chatcaptain", "chatbot id not UTF-8", "/chatcaptain/v1/chatbots/%C3%28/statistics/channels", 400, "UTF-8"),
    refused("chatcaptain", "export id not UTF-8", f"{CC}/export/%C3%28", 400, "UTF-8"),
    refused("chatcaptain", "a 16 kB parameter", f"{CC}/inbox?from={LONG}&to=2025-02-01T22:59:59.999Z", 400, "from"),
    refused("chatcaptain", "a repeated parameter", f"{CC}/inbox?{CC_RANGE}&from=2025-01-05T00:00:00Z", 400, "from", "2 times"),
    refused(
        "chatcaptain", "year 0", f"{CC}/inbox?from=0000-01-01T00:00:00Z&to=2025-02-01T22:59:59.999Z", 400, "from", "0000-01-01"
    ),
    refused(
        "chatcaptain",
        "February 30",
        f"{CC}/inbox?from=2025-02-30T00:00:00Z&to=2025-03-01T22:59:59.999Z",
        400,
        "from",
        "2025-02-30",
    ),
    refused("chatcaptain", "year 10000", f"{CC}/inbox?from=2025-01-01T00:00:00Z&to=10000-01-01T00:00:00Z", 400, "to"),
    *[
        refused(
            "chatcaptain",
            f"interval={value}",
            f"{CC}/reports/overview?{CC_RANGE}&interval={value}&components=2",
            400,
            "interval",
            value,
        )
        for value in ("NaN", "Infinity", "-Infinity", "1e309")
    ],
    refused(
        "chatcaptain",
        "interval of 5000 digits",
        f"{CC}/reports/overview?{CC_RANGE}&interval={HUGE}&components=2",
        400,
        "interval",
    ),
    refused(
        "chatcaptain",
        "Prefer job-duration=NaN",
        f"{CC}/export?{CC_RANGE}",
        400,
        "job-duration",
        "NaN",
        method="POST",
        headers={"Prefer": "job-duration=NaN"},
    ),
    refused(
        "chatcaptain",
        "Prefer job-duration of 5000 digits",
        f"{CC}/export?{CC_RANGE}",
        400,
        "job-duration",
        method="POST",
        headers={"Prefer": f"job-duration={HUGE}"},
    ),
    refused(
        "chatcaptain",
        "a body over the limit",
        f"{CC}/export?{CC_RANGE}",
        413,
        "1048577 bytes",
        "limit",
        method="POST",
        body=b"x" * (MIB + 1),
    ),
    refused(
        "chatcaptain",
        "path traversal in the chatbot id",
        "/chatcaptain/v1/chatbots/..%2F..%2Fetc%2Fpasswd/statistics/channels",
        404,
        "'chatbotId' names nothing",
        "../../etc/passwd",
    ),
    refused(
        "chatcaptain",
        "path traversal in the export id",
        f"{CC}/export/..%2F..%2Fetc%2Fpasswd",
        404,
        "'../../etc/passwd'",
        "not found",
    ),
    refused(
        "chatcaptain",
        "path traversal in a fixture name",
        f"{CC}/channels",
        400,
        "'../../etc/passwd'",
        "not an example",
        headers={"Prefer": "example=../../etc/passwd"},
    ),
    # ChatBot.com: no path parameters; dates, enums, a numeric offset and repeatable arrays in the query.
    refused("chatbotcom", "malformed percent-encoding in the query", f"{CB}?from=%ZZ", 400, "from", "'%ZZ'"),
    refused("chatbotcom", "malformed percent-encoding in the path", "/chatbotcom/reports/%ZZ", 404, "/reports/%ZZ"),
    refused("chatbotcom", "query not UTF-8", f"{CB}?source=%C3%28", 400, "UTF-8"),
    refused("chatbotcom", "path not UTF-8 where no operation is", "/chatbotcom/reports/%C3%28", 404, "/reports/%C3%28"),
    refused("chatbotcom", "a 16 kB parameter", f"{CB}?from={LONG}", 400, "from"),
    refused("chatbotcom", "a repeated parameter", f"{CB}?dimension=day&dimension=week", 400, "dimension", "2 times"),
    refused("chatbotcom", "year 0", f"{CB}?from=0000-01-01", 400, "from", "0000-01-01"),
    refused("chatbotcom", "February 30", f"{CB}?from=2025-02-30", 400, "from", "2025-02-30"),
    refused("chatbotcom", "year 10000", f"{CB}?to=10000-01-01", 400, "to"),
    refused(
        "chatbotcom",
        "an answer too large: hours per source over all history",
        f"{CB}?from=0001-01-01&to=9999-12-31&dimension=hour&group=source",
        400,
        "points",
        "narrow the range",
    ),
    *[
        refused("chatbotcom", f"offset={value}", f"{CB_HEATMAP}?offset={value}", 400, "offset", value)
        for value in ("NaN", "Infinity", "-Infinity", "1e309", "-1e309")
    ],
    refused("chatbotcom", "offset of 5000 digits", f"{CB_HEATMAP}?offset={HUGE}", 400, "offset"),
    refused("chatbotcom", "Prefer code of 5000 digits", CB, 400, "code", headers={"Prefer": f"code={HUGE}"}),
    refused("chatbotcom", "a body over the limit", CB, 413, "1048577 bytes", "limit", body=b"x" * (MIB + 1)),
    refused(
        "chatbotcom", "path traversal in a story id", f"{CB}?storyId=..%2F..%2Fetc%2Fpasswd", 400, "storyId", "../../etc/passwd"
    ),
    refused(
        "chatbotcom",
        "path traversal in a fixture name",
        CB,
        400,
        "'../../etc/passwd'",
        "not an example",
        headers={"Prefer": "example=../../etc/passwd"},
    ),
    # General Bots: dates, days and UUIDs in the query, a report id in the path, a JSON body, roles in a JWT.
    # Its report is the only operation of the four vendors that takes a body, so the only one with a 415.
    refused("generalbots", "malformed percent-encoding in the query", f"{GB}/usage?start_date=%ZZ", 400, "start_date", "'%ZZ'"),
    refused("generalbots", "malformed percent-encoding in the report id", f"{REPORTS}/%ZZ", 400, "report_id", "'%ZZ'"),
    refused("generalbots", "query not UTF-8", f"{GB}/usage?start_date=%C3%28", 400, "UTF-8"),
    refused("generalbots", "report id not UTF-8", f"{REPORTS}/%C3%28", 400, "UTF-8"),
    refused("generalbots", "a 16 kB parameter", f"{GB}/usage?bot_id={LONG}", 400, "bot_id"),
    refused("generalbots", "a repeated parameter", f"{GB}/usage?days=7&days=8", 400, "days", "2 times"),
    refused("generalbots", "year 0", f"{GB}/usage?start_date=0000-01-01", 400, "start_date", "0000-01-01"),
    refused("generalbots", "February 30", f"{GB}/usage?start_date=2025-02-30", 400, "start_date", "2025-02-30"),
    refused("generalbots", "year 10000", f"{GB}/usage?end_date=10000-01-01", 400, "end_date"),
    *[
        refused("generalbots", f"days={value}", f"{GB}/usage?days={value}", 400, "days", value)
        for value in ("0", "-1", "3651", "99999999999999999999999", "NaN", "Infinity", "-Infinity", "1e309", "7.0")
    ],
    refused("generalbots", "days of 5000 digits", f"{GB}/usage?days={HUGE}", 400, "days"),
    refused("generalbots", "page of 5000 digits", f"{REPORTS}?page={HUGE}", 400, "page"),
    refused("generalbots", "per_page=Infinity", f"{REPORTS}?per_page=Infinity", 400, "per_page", "Infinity"),
    refused(
        "generalbots",
        "a body over the limit",
        REPORTS,
        413,
        "1048577 bytes",
        "limit",
        method="POST",
        headers=JSON,
        body=b"x" * (MIB + 1),
    ),
    *[
        refused(
            "generalbots",
            f"Content-Type {media or '(none)'}",
            REPORTS,
            415,
            "Content-Type",
            "application/json",
            method="POST",
            headers={"content-type": media} if media else {},
            body=b"{}",
        )
        for media in ("text/plain", "application/xml", "application/x-www-form-urlencoded", None)
    ],
    refused("generalbots", "JSON cut short", REPORTS, 400, "not valid JSON", method="POST", headers=JSON, body=b"{"),
    refused(
        "generalbots",
        "JSON with trailing data",
        REPORTS,
        400,
        "not valid JSON",
        method="POST",
        headers=JSON,
        body=b'{"type": "usage"} and more',
    ),
    refused("generalbots", "body not UTF-8", REPORTS, 400, "not valid UTF-8", method="POST", headers=JSON, body=NOT_UTF8 + b"{}"),
    refused(
        "generalbots",
        "body with an encoded surrogate (not UTF-8)",
        REPORTS,
        400,
        "UTF-8",
        method="POST",
        headers=JSON,
        body=report(type=b'"\xed\xa0\x80"'),
    ),
    refused(
        "generalbots",
        "JSON with a lone surrogate escape",
        REPORTS,
        400,
        "type",
        method="POST",
        headers=JSON,
        body=report(type=b'"\\ud800"'),
    ),
    refused(
        "generalbots",
        "JSON nested 5000 deep",
        REPORTS,
        400,
        "nested too deeply",
        method="POST",
        headers=JSON,
        body=b'{"type": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    ),
    refused(
        "generalbots",
        "JSON objects nested 50000 deep",
        REPORTS,
        400,
        "nested too deeply",
        method="POST",
        headers=JSON,
        body=b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
    ),
    *[
        refused(
            "generalbots",
            f"JSON {constant}",
            REPORTS,
            400,
            f"{constant} is not a JSON value",
            method="POST",
            headers=JSON,
            body=b'{"type": %s}' % constant.encode(),
        )
        for constant in ("NaN", "Infinity", "-Infinity")
    ],
    refused(
        "generalbots",
        "JSON number that overflows to infinity",
        REPORTS,
        400,
        "'type'",
        method="POST",
        headers=JSON,
        body=report(type=b"1e999"),
    ),
    refused(
        "generalbots",
        "JSON integer of 5000 digits",
        REPORTS,
        400,
        "not valid JSON",
        method="POST",
        headers=JSON,
        body=b'{"type": %s}' % HUGE.encode(),
    ),
    refused(
        "generalbots",
        "JSON with a 100 kB property name",
        REPORTS,
        400,
        "does not allow",
        method="POST",
        headers=JSON,
        body=report(**{KB100: b"1"}),
    ),
    refused(
        "generalbots",
        "year 0 in the body",
        REPORTS,
        400,
        "start_date",
        method="POST",
        headers=JSON,
        body=report(start_date=b'"0000-01-01"'),
    ),
    refused(
        "generalbots",
        "February 30 in the body",
        REPORTS,
        400,
        "end_date",
        method="POST",
        headers=JSON,
        body=report(end_date=b'"2025-02-30"'),
    ),
    refused(
        "generalbots",
        "path traversal in the report id",
        f"{REPORTS}/..%2F..%2Fetc%2Fpasswd",
        400,
        "report_id",
        "../../etc/passwd",
    ),
    refused(
        "generalbots",
        "path traversal in a bot id",
        f"{GB}/usage?bot_id=..%2F..%2Fetc%2Fpasswd",
        400,
        "bot_id",
        "../../etc/passwd",
    ),
    refused(
        "generalbots",
        "path traversal in the report format",
        REPORTS,
        400,
        "format",
        method="POST",
        headers=JSON,
        body=report(format=b'"../../etc/passwd"'),
    ),
    refused(
        "generalbots",
        "path traversal in a fixture name",
        f"{GB}/usage",
        400,
        "'../../etc/passwd'",
        "not an example",
        headers={"Prefer": "example=../../etc/passwd"},
    ),
    refused(
        "generalbots",
        "a lone surrogate among the token's roles",
        f"{GB}/usage",
        403,
        "needs the role",
        headers={"Authorization": jwt(b'{"roles": ["\\ud800"]}')},
    ),
    refused(
        "generalbots",
        "a 100 kB role in the token",
        f"{GB}/usage",
        403,
        "needs the role",
        headers={"Authorization": jwt(b'{"roles": ["%s"]}' % KB100.encode())},
    ),
    # Download links (/__mock/downloads/<vendor>/<job>?expires=&signature=): signed, so nothing else reaches a file.
    *[
        refused(
            "mock",
            f"{vendor} download link with path traversal in the job id",
            f"{DOWNLOADS}/{vendor}/..%2F..%2Fetc%2Fpasswd?{NOT_A_LINK}",
            403,
            "not valid",
        )
        for vendor in WRITTEN
    ],
    refused(
        "mock",
        "download link with path traversal in the vendor",
        f"{DOWNLOADS}/..%2F..%2Fetc/passwd?{NOT_A_LINK}",
        400,  # no vendor the server serves (the document lists them)
        "expected one of 'botpress'",
    ),
    refused(
        "mock",
        "chatcaptain download link with a job id not UTF-8",
        f"{DOWNLOADS}/chatcaptain/%C3%28?{NOT_A_LINK}",
        400,
        "'jobId' is not valid UTF-8",
    ),
    refused(
        "mock",
        "generalbots download link without expiry or signature",
        f"{DOWNLOADS}/generalbots/x",
        400,
        "missing required query parameter 'expires'",
    ),
    refused(
        "mock",
        "generalbots download link expiring at NaN",
        f"{DOWNLOADS}/generalbots/x?expires=NaN&signature=0",
        403,
        "not valid",
    ),
    refused(
        "mock",
        "generalbots download link expiring at a superscript 2",
        f"{DOWNLOADS}/generalbots/x?expires=%C2%B2&signature=0",
        403,
        "not valid",
    ),
    refused(
        "mock",
        "chatcaptain download link expiring at 5000 digits",
        f"{DOWNLOADS}/chatcaptain/x?expires={HUGE}&signature=0",
        403,
        "not valid",
    ),
]

# Per vendor, for the raw cases: a path with an id ({}), a valid request, and a query parameter it reads.
WIRE = {
    "botpress": ("/botpress/v1/admin/bots/{}/analytics", f"{BP}?{BP_RANGE}", "startDate"),
    "chatcaptain": ("/chatcaptain/v1/chatbots/{}/statistics/channels", f"{CC}/inbox?{CC_RANGE}", "from"),
    "chatbotcom": ("/chatbotcom/reports/{}", f"{CB}?from=2025-03-01&to=2025-03-31", "from"),
    "generalbots": (f"{REPORTS}/{{}}", f"{GB}/usage?days=7", "start_date"),
}
CREDENTIAL = {
    "botpress": ("Authorization", b"Bearer "),
    "chatcaptain": ("x-chatcaptain-key", b""),
    "chatbotcom": ("Authorization", b"Bearer "),
    "generalbots": ("Authorization", b"Bearer "),
}


def with_param(target: str, name: str, value: bytes) -> bytes:
    """``target`` with its query parameter ``name`` set to ``value``, bytes sent as they are."""
    path, _, query = target.partition("?")
    kept = [part for part in query.split("&") if part and not part.startswith(f"{name}=")]
    return f"{path}?{'&'.join([*kept, name])}=".encode() + value


def _anywhere(vendor: str) -> list[Any]:
    """What every vendor refuses alike, whatever its spec: the server's own limits, bytes that are
    not HTTP, and paths that climb out of its base."""
    return [
        refused(
            REFUSED_BY_HTTP,
            f"{vendor}: raw bytes not UTF-8 in the path",
            f"/{vendor}/".encode() + NOT_UTF8,
            400,
            "Invalid HTTP request",
        ),
        refused(vendor, "a 100 kB header", f"/{vendor}/anything", 431, "--max-head-bytes", headers={"X-Filler": KB100}),
        refused(vendor, "a 20 kB query string", f"/{vendor}/anything?q={'1' * 20_000}", 414, "--max-query-bytes"),
        refused(vendor, "../ segments in the path", f"/{vendor}/../../../etc/passwd", 404),
    ]


def _on_the_wire(vendor: str) -> list[Any]:
    if vendor not in WIRE:
        return _anywhere(vendor)
    path, valid, name = WIRE[vendor]
    header, scheme = CREDENTIAL[vendor]
    return [
        refused(
            REFUSED_BY_HTTP,
            f"{vendor}: raw bytes not UTF-8 in the path",
            path.encode().replace(b"{}", NOT_UTF8),
            400,
            "Invalid HTTP request",
        ),
        refused(
            REFUSED_BY_HTTP,
            f"{vendor}: raw bytes not UTF-8 in the query",
            with_param(valid, name, NOT_UTF8),
            400,
            "Invalid HTTP request",
        ),
        refused(
            vendor,
            "raw bytes not UTF-8 in the credential",
            valid,
            401,
            "invalid credentials",
            headers={header: scheme + NOT_UTF8},
        ),
        refused(
            vendor, "raw bytes not UTF-8 in Prefer", valid, 400, "not an example", headers={"Prefer": b"example=" + NOT_UTF8}
        ),
        refused(vendor, "a 100 kB query parameter", with_param(valid, name, KB100.encode()), 431, "--max-head-bytes"),
        refused(vendor, "a 100 kB credential", valid, 431, "--max-head-bytes", headers={header: scheme + KB100.encode()}),
        refused(vendor, "a 100 kB Prefer header", valid, 431, "--max-head-bytes", headers={"Prefer": f"example={KB100}"}),
        refused(vendor, "a 20 kB query string", with_param(valid, name, b"1" * 20_000), 414, "--max-query-bytes"),
        refused(vendor, "../ segments in the path", f"/{vendor}/../../../etc/passwd", 404, "../../etc/passwd"),
    ]


ON_THE_WIRE = [
    *[case for vendor in VENDORS for case in _on_the_wire(vendor)],
    refused(
        "botpress",
        "Prefer seed=<a superscript 2 as a Latin-1 byte>",
        f"{BP}?{BP_RANGE}",
        400,
        "seed",
        headers={"Prefer": b"seed=\xb2"},
    ),
    refused(
        "mock",
        "download link with ../ segments",
        f"{DOWNLOADS}/generalbots/../../../etc/passwd?{NOT_A_LINK}",
        404,
        "no control endpoint",
    ),
]

AT_THE_EDGES = [
    answered("botpress", "the whole calendar, year 1 to 9999", f"{BP}?startDate=0001-01-01&endDate=9999-12-31"),
    answered(
        "botpress",
        "offsets past both ends of the calendar",
        f"{BP}?startDate=0001-01-01T00:00:00%2B14:00&endDate=9999-12-31T23:59:59.999-14:00",
    ),
    answered("botpress", "the last day of year 9999", f"{BP}?startDate=9999-12-31&endDate=9999-12-31"),
    answered(
        "chatcaptain",
        "offsets past both ends of the calendar",
        f"{CC}/inbox?from=0001-01-01T00:00:00%2B14:00&to=9999-12-31T23:59:59.999-14:00",
    ),
    answered(
        "chatcaptain",
        "a trend whose previous period starts before year 1",
        "/chatcaptain/v1/chatbots/b/statistics/reports/overview?from=0132-07-31T19:45:26%2B12:39"
        "&to=2022-07-05T12:12:00.000Z&interval=3600&components=5,9,16",
    ),
    refused(
        "chatcaptain",
        "hourly over the whole calendar: the series would be far too long",
        f"{CC}/reports/overview?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59.999Z&interval=3600&components=2",
        400,
        "the limit is 50000",
        "narrow the range",
    ),
    answered("chatcaptain", "the last day of year 9999", f"{CC}/inbox?from=9999-12-31T00:00:00Z&to=9999-12-31T23:59:59.999Z"),
    # Every bucket of the range is listed (zero-filled), so daily points over millennia are too many.
    refused("chatbotcom", "daily from year 1 at +14:00", f"{CB}?from=0001-01-01T00:00:00%2B14:00", 400, "the limit is 50000"),
    refused("chatbotcom", "daily to year 9999 at -14:00", f"{CB}?to=9999-12-31T23:59:59-14:00", 400, "the limit is 50000"),
    answered("chatbotcom", "yearly from year 1 at +14:00", f"{CB}?from=0001-01-01T00:00:00%2B14:00&dimension=year"),
    answered("chatbotcom", "yearly over the whole calendar", f"{CB}?from=0001-01-01&to=9999-12-31&dimension=year"),
    answered("chatbotcom", "the last day of year 9999", f"{CB}?from=9999-12-31&to=9999-12-31"),
    answered("generalbots", "30 days before 0001-01-05", f"{GB}/usage?end_date=0001-01-05"),
    answered("generalbots", "days=3650", f"{GB}/usage?days=3650"),
    refused(
        "generalbots",
        "hourly over the whole calendar: far too many points",
        f"{GB}/conversations/volume?start_date=0001-01-01&end_date=9999-12-31&group_by=hour",
        400,
        "limit is 50000",
    ),
    answered("generalbots", "from the last day of year 9999", f"{GB}/usage?start_date=9999-12-31"),
    answered("generalbots", "monthly usage in December 9999", f"{GB}/usage/monthly?start_date=9999-12-01&end_date=9999-12-31"),
    *[
        answered(
            "generalbots",
            f"{group} retention in December 9999",
            f"{GB}/engagement/retention?start_date=9999-12-01&end_date=9999-12-31&group_by={group}",
        )
        for group in ("week", "month")
    ],
    answered(
        "generalbots",
        "a token whose JWT payload is nested 100000 deep (an opaque token)",
        f"{GB}/usage",
        headers={"Authorization": jwt(b"[" * 100_000 + b"]" * 100_000)},
    ),
]
