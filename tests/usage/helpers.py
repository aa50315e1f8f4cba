"""Helpers of the call-log tests."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

PRAGUE = ZoneInfo("Europe/Prague")


def day_start_epoch(day: date) -> int:
    """UTC epoch seconds of a Prague midnight (the sandbox stores usage_date as UTC epoch)."""
    return int(datetime.combine(day, time(0), tzinfo=PRAGUE).timestamp())
