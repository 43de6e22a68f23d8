"""Where a server keeps jobs, the journal, fault rules and sessions (see ``base.State``).

``--state`` chooses the store:

- ``memory`` (the default): in this process. One worker only.
- ``sqlite:///path/state.db``: a file that every worker on this host opens; ``--workers N`` uses
  a temporary one on its own. A named file also keeps jobs across restarts.
- ``redis://host:port/db``: a Redis database, for several servers that should act as one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mockserver.errors import ConfigError
from mockserver.state.base import Limits, State, StateFull, StateUnavailable

__all__ = ["Limits", "State", "StateFull", "StateUnavailable", "open_state", "check_state_url"]

FORMS = "memory, sqlite:///path/to/state.db or redis://host:port/db"


def check_state_url(url: str) -> str:
    """The store's kind ("memory", "sqlite", "redis"), or a ConfigError that shows the accepted forms."""
    if url == "memory":
        return "memory"
    parts = urlsplit(url)
    if parts.scheme == "sqlite" and parts.path not in ("", "/"):
        return "sqlite"
    if parts.scheme in ("redis", "rediss", "unix"):
        return "redis"
    raise ConfigError(f"--state expects {FORMS}; got {url!r}")


def open_state(url: str, seed: int, limits: Limits) -> State:
    """Open the store named by ``url`` (see the module docstring)."""
    kind = check_state_url(url)
    if kind == "memory":
        from mockserver.state.memory import MemoryState

        return MemoryState(seed, limits)
    if kind == "redis":
        from mockserver.state.redis import RedisState

        return RedisState(url, seed, limits)
    from mockserver.state.sqlite import SqliteState

    return SqliteState(urlsplit(url).path, seed, limits)
