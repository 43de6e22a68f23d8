"""State in Redis (``--state redis://host:port/db``): several servers behind a load balancer act as one.

Every key lives under ``mockserver:``. Operations that read and write several keys run as Lua
scripts, which Redis executes atomically, so concurrent servers never interleave them. Needs the
``redis`` package: ``pip install 'mockserver[redis]'``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from mockserver.errors import ConfigError
from mockserver.jobs.model import Job, job_id
from mockserver.state.base import Breaker, Limits, State, StateFull, StateUnavailable, encode, resources_full

T = TypeVar("T")
P = "mockserver:"
RULES, RULE_ORDER, RULE_SEQ, MATCHED, APPLIED, RULE_NAMES = (
    P + k for k in ("rules", "rules:order", "rules:seq", "rules:matched", "rules:applied", "rules:names")
)

# KEYS: journal list, journal id counter, journal bytes. ARGV: size, bytes limit, then the entries'
# JSON. Newest first; the oldest go while there are more than ``size`` or more bytes than the limit.
_RECORD = """
local bytes = tonumber(redis.call('GET', KEYS[3]) or '0')
for i = 3, #ARGV do
  local item = redis.call('INCR', KEYS[2]) .. '|' .. ARGV[i]
  redis.call('LPUSH', KEYS[1], item)
  bytes = bytes + #item
end
local size, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local length = redis.call('LLEN', KEYS[1])
while length > 0 and (length > size or bytes > limit) do
  bytes = bytes - #redis.call('RPOP', KEYS[1])
  length = length - 1
end
redis.call('SET', KEYS[3], bytes)
"""
# KEYS: journal list, journal bytes. ARGV: session. Keeps the other sessions' entries in order.
_CLEAR_SESSION = """
local kept = {}
for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local body = cjson.decode(string.sub(item, string.find(item, '|', 1, true) + 1))
  if body['session'] ~= ARGV[1] then table.insert(kept, item) end
end
redis.call('DEL', KEYS[1])
local bytes = 0
for i = 1, #kept do
  redis.call('RPUSH', KEYS[1], kept[i])
  bytes = bytes + #kept[i]
end
redis.call('SET', KEYS[2], bytes)
return #kept
"""
# KEYS: a job index (sorted by number), the vendor's job data hash. ARGV: limit, the prefix of
# the per-session indexes. Drops the oldest jobs beyond the limit, from every index; returns how many.
_TRIM_JOBS = """
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if extra > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, extra - 1)) do
    local body = redis.call('HGET', KEYS[2], id)
    if body then
      local session = cjson.decode(body)['session']
      redis.call('ZREM', ARGV[2] .. ((session == cjson.null or session == nil) and '-' or ('=' .. session)), id)
    end
    redis.call('HDEL', KEYS[2], id)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1)
end
return extra
"""
# KEYS: rules hash, rules order zset, rule order counter, matched hash, applied hash, rule name counter.
# ARGV: id or '', body, replace ('1'/'0'), limit. Returns the id, or an error when full.
_ADD_RULE = """
local id = ARGV[1]
if id ~= '' and redis.call('HEXISTS', KEYS[1], id) == 1 and ARGV[3] == '0' then return id end
if (id == '' or redis.call('HEXISTS', KEYS[1], id) == 0) and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return redis.error_reply('FULL ' .. redis.call('HLEN', KEYS[1]))
end
local seq = redis.call('INCR', KEYS[3])
-- Unnamed rules count on their own (rule-1 is the first unnamed one, whatever config rules came
-- before), as in SQLite: fault probabilities are keyed by rule id.
if id == '' then id = 'rule-' .. redis.call('INCR', KEYS[6]) end
redis.call('HSET', KEYS[1], id, ARGV[2])
redis.call('ZADD', KEYS[2], seq, id)
redis.call('HDEL', KEYS[4], id)
redis.call('HDEL', KEYS[5], id)
return id
"""
# KEYS: counter hash, rules hash. ARGV: id. Counts only rules that still exist.
_BUMP = """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
"""
# KEYS: rules hash, order zset, matched, applied. ARGV: id list.
_REMOVE_RULES = """
local removed = 0
for _, id in ipairs(ARGV) do
  removed = removed + redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
end
return removed
"""
# KEYS: sessions hash, order zset, session counter. ARGV: id, body, replace, limit.
_PUT_SESSION = """
if ARGV[3] == '0' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, extra - 1)) do redis.call('HDEL', KEYS[1], id) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, extra - 1)
end
return 1
"""


# KEYS: the session's resource hash, the collection's order, the session's set of order keys, the
# resource sequence, the count over all sessions. ARGV: field, body ("" for deleted), "1" when only
# a new one may be stored, the session's limit, the limit over all. Returns 1 when stored, 0 when
# ``new`` found one, -n when the session keeps n already, "all:n" when all sessions keep n.
_PUT_RESOURCE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  if ARGV[3] == '1' then return 0 end
else
  local kept = redis.call('HLEN', KEYS[1])
  if kept >= tonumber(ARGV[4]) then return -kept end
  local total = tonumber(redis.call('GET', KEYS[5]) or '0')
  if total >= tonumber(ARGV[5]) then return 'all:' .. total end
  redis.call('INCR', KEYS[5])
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[1])
  redis.call('SADD', KEYS[3], KEYS[2])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
# KEYS: the session's resource hash, its numbers hash, its set of order keys, the count over all.
_CLEAR_RESOURCES = """
local orders = redis.call('SMEMBERS', KEYS[3])
for _, key in ipairs(orders) do redis.call('DEL', key) end
redis.call('DECRBY', KEYS[4], redis.call('HLEN', KEYS[1]))
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
"""


class RedisState(State):
    def __init__(self, url: str, seed: int, limits: Limits) -> None:
        super().__init__(seed, limits)
        try:
            import redis
        except ImportError:
            raise ConfigError("--state redis://... needs the redis package: pip install 'mockserver[redis]'") from None
        self.url = url
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self._errors = (redis.RedisError, OSError)
        # Every call within the deadline, and no retries: redis-py's default retries with backoff
        # made a paused Redis cost 5-8 s per request. The breaker retries, off the event loop.
        # decode_responses=True: every reply is str, which redis-py's annotations cannot say.
        self._redis: Any = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=limits.timeout,
            socket_connect_timeout=limits.timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=30,
        )
        self._breaker = Breaker(self._ping_directly)
        self._ping_directly()  # a store that is not there fails the start
        self._scripts = {
            name: self._redis.register_script(source)
            for name, source in (
                ("record", _RECORD),
                ("clear_session", _CLEAR_SESSION),
                ("trim_jobs", _TRIM_JOBS),
                ("add_rule", _ADD_RULE),
                ("bump", _BUMP),
                ("remove_rules", _REMOVE_RULES),
                ("put_session", _PUT_SESSION),
                ("put_resource", _PUT_RESOURCE),
                ("clear_resources", _CLEAR_RESOURCES),
            )
        }

    def _call(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._breaker.call(lambda: self._direct(operation, *args, **kwargs))

    def _direct(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return operation(*args, **kwargs)
        except self._errors as exc:
            raise StateUnavailable(f"the Redis state store at {self._where()} failed: {exc}") from exc

    def ping(self) -> None:
        self._breaker.call(self._ping_directly)

    def _ping_directly(self) -> None:
        self._direct(self._redis.ping)

    @property
    def down(self) -> str | None:
        return self._breaker.down

    def _script(self, name: str, keys: list[str], args: list[Any]) -> Any:
        return self._call(self._scripts[name], keys=keys, args=args)

    def _where(self) -> str:
        # The URL without a password, for messages.
        head, _, tail = self.url.rpartition("@")
        return tail if head else self.url

    def secret(self) -> str:
        # One round trip: read at every link signed or checked (see jobs.links.LinkKey).
        pipe = self._redis.pipeline()
        pipe.set(P + "secret", secrets.token_hex(16), nx=True)
        pipe.get(P + "secret")
        return self._call(pipe.execute)[1]

    # --- jobs ------------------------------------------------------------------------------------
    # jobs:seq numbers them; jobs:data:<vendor> maps id -> job; jobs:index:<vendor>:<kind> orders
    # the ids by number, and jobs:session:<vendor>:<kind>:<-|=session> orders those of one session
    # (so listing a session's jobs reads only its own); jobs:indexes names every vendor:kind.
    def new_job(self, job: Job) -> Job:
        seq = self._call(self._redis.incr, P + "jobs:seq")
        job = replace(job, id=job_id(self.seed, job.vendor, seq))
        index = f"{P}jobs:index:{job.vendor}:{job.kind}"
        pipe = self._redis.pipeline()
        pipe.hset(f"{P}jobs:data:{job.vendor}", job.id, json.dumps(job.public()))
        pipe.zadd(index, {job.id: seq})
        pipe.zadd(_session_index(job.vendor, job.kind, job.session), {job.id: seq})
        pipe.sadd(P + "jobs:indexes", f"{job.vendor}:{job.kind}")
        self._call(pipe.execute)
        self._script(
            "trim_jobs", [index, f"{P}jobs:data:{job.vendor}"], [self.limits.jobs, _session_index(job.vendor, job.kind, "")[:-1]]
        )
        return job

    def job(self, vendor: str, job_id: str) -> Job | None:
        body = self._call(self._redis.hget, f"{P}jobs:data:{vendor}", job_id)
        return Job(**json.loads(body)) if body else None

    def vendor_jobs(self, vendor: str) -> list[Job]:
        bodies = self._call(self._redis.hvals, f"{P}jobs:data:{vendor}")
        return sorted((Job(**json.loads(body)) for body in bodies), key=lambda job: job.created)

    def jobs(self, vendor: str, kind: str, offset: int, limit: int, session: str | None) -> tuple[list[Job], int]:
        index = _session_index(vendor, kind, session)
        pipe = self._redis.pipeline()
        pipe.zcard(index)
        pipe.zrevrange(index, offset, offset + limit - 1)
        total, ids = self._call(pipe.execute)
        bodies = self._call(self._redis.hmget, f"{P}jobs:data:{vendor}", ids) if ids else []
        return [Job(**json.loads(b)) for b in bodies if b], total

    def clear_jobs(self, session: str | None) -> None:
        for name in self._call(self._redis.smembers, P + "jobs:indexes"):
            vendor, _, kind = name.partition(":")
            if session is None:
                sessions = self._call(self._redis.keys, f"{P}jobs:session:{vendor}:{kind}:*")
                self._call(self._redis.delete, f"{P}jobs:index:{vendor}:{kind}", f"{P}jobs:data:{vendor}", *sessions)
                continue
            index = _session_index(vendor, kind, session)
            ids = self._call(self._redis.zrange, index, 0, -1)
            if ids:
                pipe = self._redis.pipeline()
                pipe.zrem(f"{P}jobs:index:{vendor}:{kind}", *ids)
                pipe.hdel(f"{P}jobs:data:{vendor}", *ids)
                pipe.delete(index)
                self._call(pipe.execute)
        if session is None:
            self._call(self._redis.delete, P + "jobs:indexes", P + "jobs:seq")

    # --- journal ---------------------------------------------------------------------------------
    batch_journal = True  # one round trip for every entry of an event-loop turn

    def record(self, entries: Sequence[dict[str, Any]]) -> None:
        if entries:
            self._script(
                "record",
                [P + "journal", P + "journal:seq", P + "journal:bytes"],
                [self.limits.journal, self.limits.journal_bytes, *map(encode, entries)],
            )

    def entries(self) -> list[dict[str, Any]]:
        items = self._call(self._redis.lrange, P + "journal", 0, -1)
        result = []
        for item in reversed(items):
            entry_id, _, body = item.partition("|")
            result.append({"id": int(entry_id), **json.loads(body)})
        return result

    def clear_journal(self, session: str | None) -> None:
        if session is None:
            self._call(self._redis.delete, P + "journal", P + "journal:bytes")
        else:
            self._script("clear_session", [P + "journal", P + "journal:bytes"], [session])

    # --- fault rules -----------------------------------------------------------------------------
    def add_rule(self, rule: dict[str, Any], rule_id: str | None = None, replace: bool = True) -> str:
        try:
            return self._scripts["add_rule"](
                keys=[RULES, RULE_ORDER, RULE_SEQ, MATCHED, APPLIED, RULE_NAMES],
                args=[rule_id or "", json.dumps(rule), "1" if replace else "0", self.limits.rules],
            )
        except self._errors as exc:
            if str(exc).startswith("FULL"):
                raise StateFull(
                    f"there are already {str(exc).split()[1]} fault rules, the most a server keeps; "
                    "delete some (DELETE /__mock/faults/{id}) or reset"
                ) from None
            raise StateUnavailable(f"the Redis state store at {self._where()} failed: {exc}") from exc

    def rules(self) -> list[tuple[str, dict[str, Any]]]:
        pipe = self._redis.pipeline()
        pipe.zrange(RULE_ORDER, 0, -1)
        pipe.hgetall(RULES)
        order, bodies = self._call(pipe.execute)
        return [(rule_id, json.loads(bodies[rule_id])) for rule_id in order if rule_id in bodies]

    def counters(self) -> dict[str, tuple[int, int]]:
        pipe = self._redis.pipeline()
        pipe.hkeys(RULES)
        pipe.hgetall(MATCHED)
        pipe.hgetall(APPLIED)
        ids, matched, applied = self._call(pipe.execute)
        return {i: (int(matched.get(i, 0)), int(applied.get(i, 0))) for i in ids}

    def bump(self, rule_id: str, counter: str) -> int:
        key = {"matched": MATCHED, "applied": APPLIED}[counter]
        return int(self._script("bump", [key, RULES], [rule_id]))

    def remove_rule(self, rule_id: str) -> bool:
        return bool(self._script("remove_rules", [RULES, RULE_ORDER, MATCHED, APPLIED], [rule_id]))

    def clear_rules(self, session: str | None) -> None:
        if session is None:
            self._call(self._redis.delete, RULES, RULE_ORDER, RULE_SEQ, MATCHED, APPLIED, RULE_NAMES)
            return
        ids = [i for i, rule in self.rules() if (rule.get("match") or {}).get("session") == session]
        if ids:
            self._script("remove_rules", [RULES, RULE_ORDER, MATCHED, APPLIED], ids)

    # --- sessions --------------------------------------------------------------------------------
    def put_session(self, session: dict[str, Any], replace: bool = True) -> None:
        self._script(
            "put_session",
            [P + "sessions", P + "sessions:order", P + "sessions:seq"],
            [session["id"], json.dumps(session), "1" if replace else "0", self.limits.sessions],
        )

    def session(self, session_id: str) -> dict[str, Any] | None:
        body = self._call(self._redis.hget, P + "sessions", session_id)
        return json.loads(body) if body else None

    def sessions(self) -> list[dict[str, Any]]:
        pipe = self._redis.pipeline()
        pipe.zrange(P + "sessions:order", 0, -1)
        pipe.hgetall(P + "sessions")
        order, bodies = self._call(pipe.execute)
        return [json.loads(bodies[i]) for i in order if i in bodies]

    def delete_session(self, session_id: str) -> bool:
        pipe = self._redis.pipeline()
        pipe.hdel(P + "sessions", session_id)
        pipe.zrem(P + "sessions:order", session_id)
        return bool(self._call(pipe.execute)[0])

    def clear_sessions(self) -> None:
        self._call(self._redis.delete, P + "sessions", P + "sessions:order")

    # --- resources -------------------------------------------------------------------------------
    # res:<-|=session> maps vendor\x1fcollection\x1fid -> record JSON ("" when deleted); res:order:...
    # orders one collection's fields by first write; res:orders:<tag> names a session's order keys,
    # res:numbers:<tag> its collections' numbers; res:sessions names the tags that have any.
    def resource_number(self, vendor: str, session: str | None, collection: str) -> int:
        tag = _tag(session)
        pipe = self._redis.pipeline()
        pipe.hincrby(f"{P}res:numbers:{tag}", f"{vendor}\x1f{collection}", 1)
        pipe.sadd(P + "res:sessions", tag)
        return int(self._call(pipe.execute)[0])

    def put_resource(
        self, vendor: str, session: str | None, collection: str, resource_id: str, record: dict[str, Any] | None, new: bool
    ) -> bool:
        tag = _tag(session)
        self._call(self._redis.sadd, P + "res:sessions", tag)
        answer = self._script(
            "put_resource",
            [f"{P}res:{tag}", _order_key(tag, vendor, collection), f"{P}res:orders:{tag}", P + "res:seq", P + "res:total"],
            [
                f"{vendor}\x1f{collection}\x1f{resource_id}",
                "" if record is None else encode(record),
                "1" if new else "0",
                self.limits.resources,
                self.limits.resources_total,
            ],
        )
        if isinstance(answer, str) and answer.startswith("all:"):
            raise StateFull(resources_full(int(answer[4:]), session, everywhere=True))
        done = int(answer)
        if done < 0:
            raise StateFull(resources_full(-done, session))
        return done == 1

    def resource(self, vendor: str, session: str | None, collection: str, resource_id: str) -> tuple[bool, dict[str, Any] | None]:
        body = self._call(self._redis.hget, f"{P}res:{_tag(session)}", f"{vendor}\x1f{collection}\x1f{resource_id}")
        if body is None:
            return False, None
        return True, json.loads(body) if body else None

    def resources(self, vendor: str, session: str | None, collection: str) -> list[tuple[str, dict[str, Any] | None]]:
        tag = _tag(session)
        fields = self._call(self._redis.zrange, _order_key(tag, vendor, collection), 0, -1)
        if not fields:
            return []
        bodies = self._call(self._redis.hmget, f"{P}res:{tag}", fields)
        prefix = len(f"{vendor}\x1f{collection}\x1f")
        return [(field[prefix:], json.loads(body) if body else None) for field, body in zip(fields, bodies) if body is not None]

    def clear_resources(self, session: str | None) -> None:
        tags = self._call(self._redis.smembers, P + "res:sessions") if session is None else {_tag(session)}
        for tag in tags:
            self._script(
                "clear_resources", [f"{P}res:{tag}", f"{P}res:numbers:{tag}", f"{P}res:orders:{tag}", P + "res:total"], []
            )
        if session is None:
            self._call(self._redis.delete, P + "res:sessions", P + "res:total")

    def close(self) -> None:
        self._redis.close()


def _session_index(vendor: str, kind: str, session: str | None) -> str:
    """The key ordering the jobs of one session (None: outside any) of a vendor and kind."""
    return f"{P}jobs:session:{vendor}:{kind}:" + ("-" if session is None else "=" + session)


def _tag(session: str | None) -> str:
    return "-" if session is None else "=" + session


def _order_key(tag: str, vendor: str, collection: str) -> str:
    return f"{P}res:order:{tag}:{vendor}\x1f{collection}"
