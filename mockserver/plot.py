"""``mockserver plot``: draw a few series from the mock's own endpoints, to judge realism by eye.

Requests go through the same engine a client reaches over HTTP (routing, validation, profiles),
only without a socket. Needs matplotlib: ``pip install -e '.[plot]'``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from mockserver.app import create_app
from mockserver.messages import Incoming
from mockserver.settings import Settings
from mockserver.timeutil import UTC

_AUTH = {"authorization": "Bearer plot", "x-chatcaptain-key": "plot", "x-workspace-id": "plot"}


def fetch(app: Any, vendor: str, path: str, now: datetime, **params: Any) -> Any:
    query = urlencode(params, doseq=True)
    answer = app.vendors[vendor].handle(Incoming("GET", path, query, _AUTH, b"", f"http://mock/{vendor}", now))
    if answer.status != 200:
        raise RuntimeError(f"{vendor}{path}?{query} answered {answer.status}: {answer.body.decode()}")
    return json.loads(answer.body)


def render(out: Path, seed: int = 0, now: datetime | None = None) -> Path:
    """Draw the figure to ``out`` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    now = now or datetime.now(UTC)
    app = create_app(Settings(seed=seed, now=now))
    today = now.date()
    window = {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}
    fig, axes = plt.subplots(2, 2, figsize=(13, 8), constrained_layout=True)

    grouped = fetch(app, "chatbotcom", "/reports/conversations", now, group="source", **window)["data"]
    by_source: dict[str, dict[str, int]] = defaultdict(dict)
    for point in grouped:
        by_source[point["source"]][point["date"][:10]] = point["value"]
    days = sorted({p["date"][:10] for p in grouped})
    x = [datetime.fromisoformat(d) for d in days]
    axes[0][0].stackplot(x, *[[by_source[s].get(d, 0) for d in days] for s in sorted(by_source)], labels=sorted(by_source))
    axes[0][0].set_title("ChatBot.com: conversations per day, by source (90 days)")
    axes[0][0].legend(loc="upper left", fontsize=7, ncol=4)

    week = {"from": (today - timedelta(days=7)).isoformat(), "to": (today - timedelta(days=1)).isoformat()}
    hourly = fetch(app, "chatbotcom", "/reports/conversations", now, dimension="hour", **week)["data"]
    axes[0][1].plot([datetime.fromisoformat(p["date"][:19]) for p in hourly], [p["value"] for p in hourly])
    axes[0][1].set_title("ChatBot.com: conversations per hour (one week, UTC)")

    heatmap = fetch(app, "chatbotcom", "/reports/conversations.heatmap", now, **window)
    image = axes[1][0].imshow([[cell["value"] for cell in row] for row in heatmap], aspect="auto", cmap="viridis")
    axes[1][0].set_yticks(range(7), ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"])
    axes[1][0].set_xlabel("hour (UTC)")
    axes[1][0].set_title("ChatBot.com: busiest periods (90 days)")
    fig.colorbar(image, ax=axes[1][0], label="conversations")

    records = fetch(app, "botpress", "/v1/admin/bots/bot_demo/analytics", now, startDate=window["from"], endDate=window["to"])[
        "records"
    ]
    dates = [datetime.fromisoformat(r["startDateTimeUtc"][:10]) for r in records]
    axes[1][1].plot(dates, [r["sessions"] for r in records], label="sessions")
    axes[1][1].plot(dates, [r["newUsers"] for r in records], label="new users")
    axes[1][1].plot(dates, [r["llm"]["calls"] / 10 for r in records], label="LLM calls / 10")
    axes[1][1].set_title("Botpress bot_demo: daily records (90 days)")
    axes[1][1].legend(fontsize=8)
    for ax in (axes[0][0], axes[0][1], axes[1][1]):
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.suptitle(f"mockserver synthetic world, seed {seed}, now {now.isoformat()}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
