"""Cited shapes of a week and a day for chatbots, in their audience's local time.

Business bots (support desks, IT and HR helpdesks) keep office hours: more than half of their
conversations between 10:00 and 15:00 local time (Zendesk's live-chat benchmark: over 50 %), a
rise from 08:00 (help desks' Monday-morning peak), little at night; Monday high, Tuesday the
peak, Friday lower, Saturday low and Sunday lowest. Consumer bots are open all week and busiest
in the evening. (Sources: ../notes/domain.md of the project's research, section 9.)
"""

from __future__ import annotations

# Weights by local hour 0..23.
BUSINESS_HOURS = (
    0.1,
    0.1,
    0.1,
    0.1,
    0.1,
    0.15,
    0.3,
    0.8,
    2.4,
    3.8,
    5.2,
    5.6,
    5.0,
    5.3,
    5.1,
    3.6,
    2.6,
    1.3,
    0.6,
    0.4,
    0.35,
    0.3,
    0.2,
    0.15,
)
CONSUMER_HOURS = (
    0.9,
    0.6,
    0.4,
    0.3,
    0.3,
    0.4,
    0.7,
    1.2,
    1.8,
    2.3,
    2.6,
    2.8,
    3.0,
    2.9,
    2.8,
    2.8,
    2.9,
    3.1,
    3.4,
    3.7,
    3.9,
    3.6,
    2.6,
    1.6,
)
# Weights by local weekday, Monday first.
BUSINESS_WEEK = (1.12, 1.18, 1.1, 1.06, 0.94, 0.34, 0.26)
CONSUMER_WEEK = (0.96, 0.97, 0.98, 0.99, 1.02, 1.06, 1.02)


def utc_day(hours: tuple[float, ...], zone: int) -> list[float]:
    """Weights by UTC hour of a local-time curve, for an audience ``zone`` hours east of UTC."""
    return [hours[(h + zone) % 24] for h in range(24)]
