"""The range a request asks for: ``from`` and ``to`` (also as the vendor's unpadded dates), or a
named period; see the spec for the precedence."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from mockserver.errors import INVALID_PARAMETER, Problem
from mockserver.profiles.base import Call
from mockserver.profiles.chatbotcom.licenses import License, license_of
from mockserver.timeutil import UTC, parse_instant
from mockserver.validation.schema import shorten

DEFAULT_FROM = datetime(1974, 1, 1, tzinfo=UTC)  # the vendor's "1974-1-1"
HOUR = timedelta(hours=1)
LAST_MS = timedelta(milliseconds=1)
# The vendor writes dates without zero padding (1974-1-1); RFC 3339 dates and date-times are read
# by ``parse_instant``. A trailing newline is what the spec's pattern (ECMA ``$``) lets through.
_LOOSE_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\n?", re.ASCII)


def request_range(call: Call) -> tuple[License, datetime, datetime]:
    """The requested range (see the spec for precedence and periods); not clipped to the history."""
    lic = license_of(call.seed, call.world)
    if "from" in call.supplied or "to" in call.supplied:
        start = _instant(call, "from") if "from" in call.supplied else DEFAULT_FROM
        end = _instant(call, "to", end_of_day=True) if "to" in call.supplied else call.now
    else:
        start, end = _period(call.params.get("period", "last30days"), call.now)
    return lic, start, end


def _instant(call: Call, name: str, end_of_day: bool = False) -> datetime:
    """``from`` or ``to``: an RFC 3339 date or date-time, or a date without zero padding (1974-1-1)."""
    raw = str(call.params[name])
    loose = _LOOSE_DATE.fullmatch(raw)
    try:
        text = date(*(int(part) for part in loose.groups())).isoformat() if loose else raw
        return parse_instant(text, end_of_day=end_of_day)
    except (ValueError, IndexError):
        raise Problem(
            INVALID_PARAMETER,
            f"Invalid query parameter '{name}': expected a date like 2025-01-31 or "
            f"2025-1-31, or an RFC 3339 date-time like 2025-01-31T00:00:00Z, got {shorten(raw)}.",
            "query",
            name,
        ) from None


def _period(period: str, now: datetime) -> tuple[datetime, datetime]:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    month = today.replace(day=1)
    previous_month = (month - timedelta(days=1)).replace(day=1)
    year = today.replace(month=1, day=1)
    spans = {
        "today": (today, now),
        "yesterday": (today - timedelta(days=1), today - LAST_MS),
        "last7days": (today - timedelta(days=6), now),
        "last30days": (today - timedelta(days=29), now),
        "thisMonth": (month, now),
        "lastMonth": (previous_month, month - LAST_MS),
        "last3Months": ((previous_month - timedelta(days=1)).replace(day=1), now),
        "thisYear": (year, now),
        "lastYear": (year.replace(year=year.year - 1), year - LAST_MS),
    }
    return spans[period]
