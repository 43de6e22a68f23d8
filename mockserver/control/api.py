"""The ``/__mock`` endpoints. Documented by ``control/openapi.yaml``, served at ``/__mock/openapi.json``."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from mockserver.control.coverage import coverage
from mockserver.control.document import PATH, document
from mockserver.control.faults import FaultRules
from mockserver.control.journal import Journal
from mockserver.errors import INVALID_BODY, INVALID_PARAMETER, METHOD_NOT_ALLOWED, NOT_FOUND, ConfigError, Problem
from mockserver.messages import Answer
from mockserver.openapi.model import ApiSpec, build_spec
from mockserver.routing import Router
from mockserver.state import State, StateUnavailable
from mockserver.timeutil import clock, iso_ms
from mockserver.validation.request import RequestValidator
from mockserver.validation.schema import SchemaCompiler, parse_date_time
from mockserver.world import NOTHING, Declared, WorldError, check_world, declared

JOURNAL_FILTERS = ("vendor", "operationId", "method", "status", "session", "since", "until")


@dataclass(frozen=True)
class Session:
    """What a session overrides for requests carrying its ``X-Mock-Session`` header."""

    id: str
    seed: int | None = None
    now: datetime | None = None
    # Vendor -> its declared entities, replacing the config's for that vendor (checked when set).
    world: Mapping[str, Declared] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        now = self.now.isoformat().replace("+00:00", "Z") if self.now else None
        world = {vendor: dict(declared.section) for vendor, declared in self.world.items()}
        return {"id": self.id, "seed": self.seed, "now": now, "world": world or None}

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Session:
        now = parse_date_time(stored["now"]) if stored.get("now") else None
        world = {vendor: declared(section) for vendor, section in (stored.get("world") or {}).items()}
        return cls(stored["id"], stored.get("seed"), now, world)


class ControlPlane:
    """The ``/__mock`` endpoints over the state store: what one worker changes, every worker sees."""

    def __init__(
        self,
        state: State,
        operations: Mapping[str, frozenset[str]],
        download: Callable[[str, str, str, str], Answer],
        world: Callable[[str, int, Declared], dict[str, Any]],
        world_schemas: Mapping[str, Mapping[str, Any] | None],
        declared_world: Mapping[str, Declared],
        specs: Mapping[str, ApiSpec] | None = None,
        admin_token: bool = False,
        charts: Callable[[str], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.state = state
        self._charts = charts  # vendor -> its series as mockserver plot draws them, for the page
        self.journal = Journal(state)
        self.faults = FaultRules(state, operations)
        self.vendors = {vendor: len(ids) for vendor, ids in operations.items()}  # vendor -> number of operations
        self._download = download  # (vendor, job id, expires, signature) -> the file or an error
        self._world = world  # (vendor, seed, declared entities) -> its entities
        self._world_schemas = world_schemas  # vendor -> the schema of its declared world
        self._declared = declared_world  # the config's
        self._specs = dict(specs or {})  # vendor -> its served document, for coverage
        self._startup: tuple[list[Mapping[str, Any]], dict[str, Mapping[str, Any]]] = ([], {})
        # The control plane is served from its own spec, with the same router and validators as
        # the vendors: what /__mock/openapi.json says is what is enforced.
        self._document = document()
        # What a rule may name is what this server serves: the served document says so.
        match = self._document["components"]["schemas"]["FaultRuleSpec"]["properties"]["match"]
        match["properties"]["vendor"]["enum"] = sorted(operations)
        match["properties"]["operationId"]["enum"] = sorted(set().union(*operations.values()))
        # The journal's filters likewise: a misspelt vendor is a 400 naming those served, not an empty list.
        filters = self._document["components"]["parameters"]
        filters["Vendor"]["schema"]["enum"] = match["properties"]["vendor"]["enum"]
        filters["OperationId"]["schema"]["enum"] = match["properties"]["operationId"]["enum"]
        match["if"] = {"required": ["vendor", "operationId"]}  # then the operation is that vendor's
        match["then"] = {
            "anyOf": [
                {"properties": {"vendor": {"const": vendor}, "operationId": {"enum": sorted(ids)}}}
                for vendor, ids in sorted(operations.items())
            ]
        }
        # A vendor in a path is one this server serves; a session's world fits each vendor's schema.
        for item in self._document["paths"].values():
            for operation in item.values():
                for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                    if parameter.get("in") == "path" and parameter.get("name") == "vendor":
                        parameter["schema"] = {**parameter.get("schema", {}), "enum": sorted(operations)}
        session_body = self._document["paths"]["/__mock/sessions/{sessionId}"]["put"]["requestBody"]["content"][
            "application/json"
        ]
        session_body["schema"]["properties"]["world"].update(
            additionalProperties=False,
            properties={
                vendor: copy.deepcopy(schema) if schema is not None else False for vendor, schema in world_schemas.items()
            },
        )
        if admin_token:
            _declare_admin_token(self._document)
        self._spec = json.dumps(self._document).encode()
        spec = build_spec(self._document, str(PATH))
        self._router = Router(spec.operations)
        compiler = SchemaCompiler(spec.root)
        self._validators = {
            op.operation_id: RequestValidator(op, spec, compiler, frozenset(), 1_048_576) for op in spec.operations
        }

    def session(self, session_id: str) -> Session | None:
        stored = self.state.session(session_id)
        return Session.of(stored) if stored else None

    def handle(self, method: str, path: str, query_string: str, body: bytes, content_type: str | None) -> Answer:
        try:
            match = self._router.match(path)
            if match is None:
                raise Problem(NOT_FOUND, f"No control endpoint {path}; see /__mock/openapi.json.")
            operation = match.operation(method)
            if operation is None and method == "OPTIONS":
                return Answer(204, b"", None, {"Allow": match.route.allow})
            if operation is None:
                raise Problem(
                    METHOD_NOT_ALLOWED,
                    f"{method} is not allowed on {match.route.template}; allowed: {match.route.allow}.",
                    headers={"Allow": match.route.allow},
                )
            query = parse_qs(query_string, keep_blank_values=True)
            # The control plane is this project's own API: a misspelt filter is an error, not "no requests".
            declared = {p.name for p in operation.parameters if p.location == "query"}
            unknown = sorted(set(query) - declared)
            if unknown:
                raise Problem(
                    INVALID_PARAMETER,
                    f"Unknown query parameter {unknown[0][:100]!r} for {operation.operation_id}; "
                    f"it takes: {', '.join(sorted(declared)) or 'none'}.",
                )
            if operation.operation_id == "addFault":
                self._check_operation_named(body)
            valid = self._validators[operation.operation_id].validate(match.path_params, query, {}, {}, content_type, body)
            if operation.operation_id == "download":
                p = valid.params
                return self._download(p["vendor"], p["jobId"], p["expires"], p["signature"])
            return getattr(self, "_" + operation.operation_id)(valid.params, valid.body)
        except Problem as problem:
            return _json(problem.status, {"error": problem.kind, "message": problem.message}, problem.headers)
        except ConfigError as exc:
            return _json(400, {"error": "bad_request", "message": str(exc)})

    def _check_operation_named(self, body: bytes) -> None:
        """The served schema says a rule's vendor and operationId go together with if/then, which a
        validator can only report as "match must be a value or a value ...": check the pair first,
        as FaultRules does, so the message says which operations the vendor has."""
        try:
            rule = json.loads(body)
        except (ValueError, RecursionError):
            return  # the validator says what is wrong with the JSON (or that it nests too deep)
        match = rule.get("match") if isinstance(rule, dict) else None
        if isinstance(match, dict) and isinstance(match.get("vendor"), str) and isinstance(match.get("operationId"), str):
            try:
                self.faults.check_names(match["vendor"], match["operationId"])
            except ConfigError as exc:
                raise Problem(INVALID_BODY, f"Invalid request body: {exc}.") from None

    def _health(self, params: dict[str, Any], body: Any) -> Answer:
        """Liveness: the process answers. Never touches the store, so it answers while the store hangs."""
        return _json(200, {"status": "ok", "vendors": dict(self.vendors)})

    def _ready(self, params: dict[str, Any], body: Any) -> Answer:
        """Readiness: the store answers too (within its deadline), so an orchestrator stops routing here while it does not."""
        try:
            self.state.ping()
        except StateUnavailable as exc:
            return _json(503, {"status": "unavailable", "reason": str(exc), "vendors": dict(self.vendors)}, {"Retry-After": "1"})
        return _json(200, {"status": "ok", "vendors": dict(self.vendors)})

    def _reset(self, params: dict[str, Any], body: Any) -> Answer:
        self.reset(params.get("session"))
        return Answer(204, b"", None)

    def _listJournal(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802 - named after the operationId
        entries = self.journal.select(_filters(params))
        return _json(200, {"total": len(entries), "entries": entries[-params.get("limit", 100) :]})

    def _getCoverage(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        filters = {key: params[key] for key in ("session", "vendor") if params.get(key) is not None}
        specs = {v: s for v, s in self._specs.items() if "vendor" not in filters or v == filters["vendor"]}
        return _json(200, coverage(self.journal.select(filters), specs))

    def _countJournal(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        return _json(200, {"count": len(self.journal.select(_filters(params)))})

    def _clearJournal(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        self.journal.clear(params.get("session"))
        return Answer(204, b"", None)

    def _getWorld(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        vendor = params["vendor"]
        if vendor not in self.vendors:
            return _json(404, {"error": "not_found", "message": f"No vendor {vendor!r}; vendors: {', '.join(self.vendors)}."})
        seed = params.get("seed")
        world = self._declared.get(vendor, NOTHING)
        # A session that sets nothing (or does not exist) sees the server's world, as its requests do.
        session = self.session(params["session"]) if params.get("session") is not None else None
        if session is not None:
            seed = session.seed if seed is None else seed
            world = session.world.get(vendor, world)
        seed = self.state.seed if seed is None else seed
        found: dict[str, Any] = {"vendor": vendor, "seed": seed, "entities": self._world(vendor, seed, world)}
        if params.get("charts") and self._charts is not None:
            try:
                found["charts"] = self._charts(vendor)
            except Exception as exc:  # noqa: BLE001  # a replaced spec may lack what the charts read
                found["chartsError"] = f"{type(exc).__name__}: {exc}"[:500]
        return _json(200, found)

    def _page(self, params: dict[str, Any], body: Any) -> Answer:
        """The page to watch the mock (control/page.html), with a policy that lets only its own script run."""
        return Answer(
            200, PAGE, "text/html; charset=utf-8", {"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-store"}
        )

    def _listSessions(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        return _json(200, {"sessions": [Session.of(s).public() for s in self.state.sessions()]})

    def _listJobs(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        wall = time.time()
        jobs = []
        for vendor in self.vendors:
            if params.get("vendor") not in (None, vendor):
                continue
            for job in self.state.vendor_jobs(vendor):
                if params.get("session") is not None and job.session != params["session"]:
                    continue
                state, progress = job.state(wall)
                jobs.append(
                    {
                        "vendor": vendor,
                        "id": job.id,
                        "kind": job.kind,
                        "session": job.session,
                        "created": iso_ms(datetime.fromtimestamp(job.created, timezone.utc)),
                        "state": state,
                        "progress": progress,
                    }
                )
        return _json(200, {"jobs": jobs})

    def _listFaults(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        return _json(200, {"rules": self.faults.public(params.get("session"))})

    def _addFault(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        return _json(201, self.faults.add(body).public(0, 0))

    def _clearFaults(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        self.faults.clear(params.get("session"))
        return Answer(204, b"", None)

    def _deleteFault(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        if self.faults.remove(params["ruleId"]):
            return Answer(204, b"", None)
        return _json(404, {"error": "not_found", "message": f"No fault rule {params['ruleId']!r}."})

    def _putSession(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        now = clock(body["now"], "now") if body.get("now") else None
        try:
            world = check_world(body.get("world"), self._world_schemas)
        except WorldError as exc:
            raise Problem(INVALID_BODY, f"Invalid request body: {exc}.", "body", exc.path) from None
        session = Session(params["sessionId"], body.get("seed"), now, world)
        self.state.put_session(session.public())
        return _json(200, session.public())

    def _getSession(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        session = self.session(params["sessionId"])
        if session is None:
            return _json(404, {"error": "not_found", "message": f"No session {params['sessionId']!r}."})
        return _json(200, session.public())

    def _deleteSession(self, params: dict[str, Any], body: Any) -> Answer:  # noqa: N802
        self.reset(params["sessionId"])
        return Answer(204, b"", None)

    def spec_json(self) -> bytes:
        return self._spec

    def install(
        self, faults: Iterable[Mapping[str, Any]], sessions: Mapping[str, Mapping[str, Any]], replace: bool = False
    ) -> None:
        """Rules and sessions from the start-up config, checked like the API checks them.

        They are part of the server's initial state: ``reset`` puts them back. Their ids are fixed
        (``config-1``, ...), so every worker and server that starts with the same config installs
        them once; at start-up an existing one is kept, with its counters.
        """
        self._startup = (list(faults), dict(sessions))
        for index, rule in enumerate(faults):
            try:
                self.faults.add(rule, f"config-{index + 1}", replace)
            except ConfigError as exc:
                raise ConfigError(f"config faults[{index}]: {exc}") from None
        for session_id, values in sessions.items():
            self.state.put_session(self._config_session(session_id, values).public(), replace)

    def _config_session(self, session_id: Any, values: Any) -> Session:
        """A session from the start-up config, checked like the API checks one."""
        where = f"config sessions.{session_id}"
        if not isinstance(values, Mapping) or set(values) - {"seed", "now", "world"}:
            raise ConfigError(f"{where}: a session takes only seed, now and world")
        seed = values.get("seed")
        if seed is not None and not (isinstance(seed, int) and seed >= 0):
            raise ConfigError(f"{where}.seed must be a whole number >= 0, got {seed!r}")
        raw = values.get("now")
        now = clock(raw.isoformat() if isinstance(raw, datetime) else str(raw), f"{where}.now") if raw else None
        try:
            world = check_world(values.get("world"), self._world_schemas, f"{where}.world")
        except WorldError as exc:
            raise ConfigError(str(exc)) from None
        return Session(str(session_id), seed, now, world)

    def reset(self, session: str | None = None) -> None:
        """Back to the start-up state: for everything, or for one session."""
        self.journal.clear(session)
        self.faults.clear(session)
        self.state.clear_jobs(session)
        self.state.clear_resources(session)
        if session is None:
            self.state.clear_sessions()
        else:
            self.state.delete_session(session)
        faults, sessions = self._startup
        for index, rule in enumerate(faults):
            if session is None or (rule.get("match") or {}).get("session") == session:
                self.faults.add(rule, f"config-{index + 1}")
        for session_id, values in sessions.items():
            if session is None or session_id == session:
                self.state.put_session(self._config_session(session_id, values).public())


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, json.dumps(body).encode(), headers=dict(headers or {}))


def _filters(params: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in params.items() if k in JOURNAL_FILTERS}


# What --admin-token guards: every operation but the probes and signed links, which stay open.
OPEN_OPERATIONS = frozenset({"health", "ready", "download", "page"})
# The page (control/page.html): its one inline script allowed by its digest, nothing from elsewhere.
PAGE = Path(__file__).with_name("page.html").read_bytes()
_SCRIPT = re.search(rb"<script>(.*?)</script>", PAGE, re.S)
assert _SCRIPT is not None
PAGE_POLICY = (
    "default-src 'none'; script-src 'sha256-"
    + base64.b64encode(hashlib.sha256(_SCRIPT.group(1)).digest()).decode()
    + "'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def _declare_admin_token(document: dict[str, Any]) -> None:
    """With --admin-token the served document says what the server enforces (control/access.py):
    the token, in either header, and the 401 of a request without it."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(
        {
            "adminBearer": {"type": "http", "scheme": "bearer", "description": "The --admin-token value."},
            "adminHeader": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Mock-Admin-Token",
                "description": "The --admin-token value.",
            },
        }
    )
    components.setdefault("responses", {})["Unauthorized"] = {
        "description": "The admin token is missing or wrong.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    document["security"] = [{"adminBearer": []}, {"adminHeader": []}]
    for item in document["paths"].values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            if operation["operationId"] in OPEN_OPERATIONS:
                operation["security"] = []
            else:
                operation.setdefault("responses", {})["401"] = {"$ref": "#/components/responses/Unauthorized"}
