"""``mockserver plot``: each vendor's main series, daily and hourly, to judge the world by eye.

The series come from the mock's own endpoints, through the same engine a client reaches over HTTP
(routing, validation, profiles, the declared world), only without a socket. The page is one HTML
file with inline SVG: no script, no external asset, nothing to install. A ``.png`` out draws the
same charts with matplotlib when it is installed (``pip install -e '.[plot]'``).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from mockserver.app import create_app
from mockserver.messages import Incoming
from mockserver.settings import Settings
from mockserver.timeutil import UTC
from mockserver.world import NOTHING

DAYS, HOURS_DAYS = 90, 7  # the daily charts' span, and the hourly charts' (days)
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")


@dataclass(frozen=True)
class Chart:
    vendor: str
    title: str
    x: list[str]  # one label per point: a date, or a date and hour
    series: dict[str, list[float]]  # label -> one value per point


class Fetch:
    """GET one vendor endpoint of ``app`` at ``now``, in the server's declared world."""

    def __init__(self, app: Any, now: datetime, credential: str = "plot") -> None:
        self.app, self.now = app, now
        # A server run with --token accepts only its tokens: the caller passes one.
        self.headers = {"authorization": f"Bearer {credential}", "x-chatcaptain-key": credential, "x-workspace-id": "plot"}

    def __call__(self, vendor: str, path: str, **params: Any) -> Any:
        query = urlencode(params, doseq=True)
        world = self.app.world.get(vendor, NOTHING)
        incoming = Incoming("GET", path, query, self.headers, b"", f"http://mock/{vendor}", self.now, world=world)
        answer = self.app.vendors[vendor].handle(incoming)
        if answer.status != 200:
            raise RuntimeError(f"{vendor}{path}?{query} answered {answer.status}: {answer.body.decode()}")
        return json.loads(answer.body)


def _days(now: datetime, count: int) -> tuple[date, date]:
    """The ``count`` whole UTC days before the one holding now."""
    last = now.date() - timedelta(days=1)
    return last - timedelta(days=count - 1), last


def _declared(fetch: Fetch, vendor: str, kind: str, fallback: str) -> str:
    entities = fetch.app.world.get(vendor, NOTHING).entities(kind)
    return str(entities[0]["id"]) if entities else fallback


def botpress(fetch: Fetch) -> list[Chart]:
    bot = _declared(fetch, "botpress", "bots", "bot_demo")
    first, last = _days(fetch.now, DAYS)
    records = fetch("botpress", f"/v1/admin/bots/{bot}/analytics", startDate=first.isoformat(), endDate=last.isoformat())[
        "records"
    ]
    daily = Chart(
        "botpress",
        f"Botpress bot {bot}: per day",
        [r["startDateTimeUtc"][:10] for r in records],
        {
            "sessions": [r["sessions"] for r in records],
            "new users": [r["newUsers"] for r in records],
            "returning users": [r["returningUsers"] for r in records],
            "LLM calls": [r["llm"]["calls"] for r in records],
        },
    )
    # Records are per UTC day; an hour is a range of one hour (any range may cut a day).
    start = datetime.combine(_days(fetch.now, HOURS_DAYS)[0], datetime.min.time(), UTC)
    hours = [start + timedelta(hours=h) for h in range(24 * HOURS_DAYS)]
    sessions = []
    for hour in hours:
        end = hour + timedelta(hours=1, milliseconds=-1)
        found = fetch("botpress", f"/v1/admin/bots/{bot}/analytics", startDate=_ms(hour), endDate=_ms(end))["records"]
        sessions.append(sum(r["sessions"] for r in found))
    hourly = Chart("botpress", f"Botpress bot {bot}: sessions per UTC hour", [_hour(h) for h in hours], {"sessions": sessions})
    return [daily, hourly]


def chatcaptain(fetch: Fetch) -> list[Chart]:
    chatbot = _declared(fetch, "chatcaptain", "chatbots", "6790b2f1c2a4e5d3f8a1b234")
    base = f"/v1/chatbots/{chatbot}/statistics"
    channels = fetch("chatcaptain", f"{base}/channels")["data"]
    charts = []
    for days, interval, what in ((DAYS, 86400, "per day"), (HOURS_DAYS, 3600, "per UTC hour")):
        first, last = _days(fetch.now, days)
        window = {"from": f"{first}T00:00:00.000Z", "to": f"{last}T23:59:59.999Z", "interval": interval, "components": 2}
        series: dict[str, list[float]] = {}
        x: list[str] = []
        for channel in channels:
            report = fetch("chatcaptain", f"{base}/reports/channel", channelId=channel["id"], **window)
            points = report["components"]["CONVERSATION_COUNT_INTERVAL_FOR_CHANNEL_ID"]["series"]
            x = [p["date"][:10] if interval == 86400 else p["date"][:13] for p in points]
            series[f"{channel['name']} ({channel['type']})"] = [p["value"] for p in points]
        charts.append(Chart("chatcaptain", f"ChatCaptain chatbot {chatbot}: conversations {what}, by channel", x, series))
    return charts


def chatbotcom(fetch: Fetch) -> list[Chart]:
    first, last = _days(fetch.now, DAYS)
    grouped = fetch("chatbotcom", "/reports/conversations", group="source", **{"from": str(first), "to": str(last)})["data"]
    x = sorted({p["date"][:10] for p in grouped})
    by_source: dict[str, dict[str, float]] = {}
    for point in grouped:
        by_source.setdefault(point["source"], {})[point["date"][:10]] = point["value"]
    daily = Chart(
        "chatbotcom",
        "ChatBot.com license: conversations per day, by source",
        x,
        {source: [values.get(d, 0) for d in x] for source, values in sorted(by_source.items())},
    )
    first, last = _days(fetch.now, HOURS_DAYS)
    hourly = fetch("chatbotcom", "/reports/conversations", dimension="hour", **{"from": str(first), "to": str(last)})["data"]
    paid = fetch("chatbotcom", "/reports/conversations.paid", dimension="hour", **{"from": str(first), "to": str(last)})["data"]
    return [
        daily,
        Chart(
            "chatbotcom",
            "ChatBot.com license: conversations per UTC hour",
            [p["date"][:13] for p in hourly],
            {"conversations": [p["value"] for p in hourly], "paid": [p["value"] for p in paid]},
        ),
    ]


def generalbots(fetch: Fetch) -> list[Chart]:
    first, last = _days(fetch.now, DAYS)
    daily = fetch("generalbots", "/api/v1/analytics/usage/daily", start_date=str(first), end_date=str(last))["data"]
    first, last = _days(fetch.now, HOURS_DAYS)
    hourly = fetch(
        "generalbots", "/api/v1/analytics/conversations/volume", group_by="hour", start_date=str(first), end_date=str(last)
    )["data"]
    return [
        Chart(
            "generalbots",
            "General Bots instance: per day",
            [d["date"] for d in daily],
            {name.replace("_", " "): [d[name] for d in daily] for name in ("conversations", "active_users", "new_users")},
        ),
        Chart(
            "generalbots",
            "General Bots instance: conversations per UTC hour",
            [h["timestamp"][:13] for h in hourly],
            {"conversations": [h["conversations"] for h in hourly]},
        ),
    ]


# The charts each vendor's world is judged by: its main series, by day and by hour.
VENDORS: dict[str, Callable[[Fetch], list[Chart]]] = {
    "botpress": botpress,
    "chatbotcom": chatbotcom,
    "chatcaptain": chatcaptain,
    "generalbots": generalbots,
}


def _ms(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _hour(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H")


def charts(
    vendors: Sequence[str], seed: int = 0, now: datetime | None = None, world: dict[str, Any] | None = None
) -> list[Chart]:
    """The charts of ``vendors`` (all by default) for ``seed`` at ``now``, in the declared ``world``."""
    unknown = [v for v in vendors if v not in VENDORS]
    if unknown:
        raise ValueError(f"unknown vendor {unknown[0]!r}; plot draws: {', '.join(VENDORS)}")
    now = now or datetime.now(UTC)
    fetch = Fetch(create_app(Settings(seed=seed, now=now, world=world or {})), now)
    return [chart for vendor in (vendors or VENDORS) for chart in VENDORS[vendor](fetch)]


def render(
    out: Path, vendors: Sequence[str] = (), seed: int = 0, now: datetime | None = None, world: dict[str, Any] | None = None
) -> Path:
    """Draw the charts to ``out``: an HTML page, or a PNG (matplotlib) when it ends in ``.png``."""
    now = now or datetime.now(UTC)
    drawn = charts(vendors, seed, now, world)
    title = f"mockserver synthetic world, seed {seed}, now {_ms(now)}"
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".png":
        _png(drawn, title, out)
    else:
        out.write_text(page(drawn, title), encoding="utf-8")
    return out


def page(drawn: Sequence[Chart], title: str) -> str:
    """A self-contained HTML page: one inline SVG line chart per chart."""
    sections = "\n".join(f"<section><h2>{html.escape(c.title)}</h2>\n{svg(c)}</section>" for c in drawn)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}"
        "section{margin-bottom:28px}h2{font-size:15px;margin:0 0 6px}svg text{font-size:11px;fill:#444}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>\n{sections}\n</body></html>\n"
    )


def svg(chart: Chart, width: int = 960, height: int = 300) -> str:
    """A line chart: one polyline per series over the points, with axes, ticks and a legend."""
    left, right, top, bottom = 56, 12, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    points = len(chart.x)
    high = max([v for values in chart.series.values() for v in values] + [1])

    def px(i: int) -> float:
        return left + (plot_w * i / (points - 1) if points > 1 else plot_w / 2)

    def py(value: float) -> float:
        return top + plot_h - plot_h * value / high

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 18 * len(chart.series)}" role="img">']
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#bbb"/>')
    for k in range(5):  # y ticks at 0, 1/4, ... of the highest value
        value = high * k / 4
        parts.append(f'<text x="{left - 6}" y="{py(value) + 4:.1f}" text-anchor="end">{value:,.0f}</text>')
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{py(value):.1f}" y2="{py(value):.1f}" stroke="#eee"/>')
    step = max(1, points // 8)
    for i in range(0, points, step):
        parts.append(f'<text x="{px(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{html.escape(chart.x[i])}</text>')
    for n, (label, values) in enumerate(chart.series.items()):
        color = PALETTE[n % len(PALETTE)]
        line = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{line}"><title>{html.escape(label)}</title></polyline>'
        )
        y = height + 18 * n + 4
        parts.append(f'<rect x="{left}" y="{y - 9}" width="12" height="3" fill="{color}"/>')
        parts.append(f'<text x="{left + 18}" y="{y - 4}">{html.escape(label)} (total {sum(values):,.0f})</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _png(drawn: Sequence[Chart], title: str, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(drawn), 1, figsize=(12, 2.8 * len(drawn)), constrained_layout=True, squeeze=False)
    for ax, chart in zip((row[0] for row in axes), drawn):
        for label, values in chart.series.items():
            ax.plot(range(len(values)), values, label=label, linewidth=1)
        step = max(1, len(chart.x) // 8)
        ax.set_xticks(range(0, len(chart.x), step), chart.x[::step], fontsize=7)
        ax.set_title(chart.title, fontsize=10)
        ax.legend(fontsize=7, ncol=4, loc="upper left")
    fig.suptitle(title)
    fig.savefig(out, dpi=60)
    plt.close(fig)
