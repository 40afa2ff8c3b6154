"""Working-time arithmetic for SLA clocks, over a list of working intervals.

No Odoo here: the caller turns a resource calendar (its attendances in its time zone, minus
its leaves) into sorted, non-overlapping ``(start, end)`` pairs of aware datetimes, and
these functions count hours inside them only.
"""

from datetime import timedelta

import pytz

HOUR = timedelta(hours=1)


def aware_utc(value):
    """A naive UTC datetime (as Odoo stores them) made aware; aware ones are kept."""
    return pytz.utc.localize(value) if value and value.tzinfo is None else value


def naive_utc(value):
    """An aware datetime back to naive UTC, as Odoo stores it."""
    return value.astimezone(pytz.utc).replace(tzinfo=None) if value else value


def working_hours_between(intervals, start, end):
    """Working hours between ``start`` and ``end`` (0 when end is not after start)."""
    if end <= start:
        return 0.0
    total = timedelta()
    for begin, stop in intervals:
        if stop <= start:
            continue
        if begin >= end:
            break
        total += min(stop, end) - max(begin, start)
    return total / HOUR


def late_hours(intervals, deadline, end, pauses=()):
    """Working hours a missed milestone is late at ``end``: from its ``deadline``, less the
    ``pauses`` in between (``(begin, end)`` pairs, end None while the pause lasts). A clock
    that stands still is no later, whether it was running or already late; the pauses of
    one clock never overlap."""
    late = working_hours_between(intervals, deadline, end)
    for begin, stop in pauses:
        late -= working_hours_between(intervals, max(begin, deadline), min(stop or end, end))
    return max(late, 0.0)


def add_working_hours(intervals, start, hours):
    """The instant at which ``hours`` working hours have passed since ``start``.

    Returns None when the intervals end before that (the caller fetches a longer window).
    Zero hours from inside or before working time is ``start`` itself or the next start of
    work, so a deadline never falls in a closed period.
    """
    remaining = timedelta(hours=hours)
    for interval_start, stop in intervals:
        if stop <= start:
            continue
        begin = max(interval_start, start)
        available = stop - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    return None


def next_working_instant(intervals, instant):
    """When a clock started at ``instant`` begins to count: ``instant`` itself inside working
    time, else the start of the next working period (a report on Saturday counts from
    Monday morning). None when the intervals end before any working time."""
    return add_working_hours(intervals, instant, 0.0)


def window_days(hours, hours_per_day):
    """Calendar days of intervals to fetch so that ``hours`` of work surely fit: the work
    days needed, doubled for weekends, plus two weeks for public holidays."""
    # A calendar without attendances has no hours per day: a day of 8 hours is assumed only
    # to size the first window, which is widened when too short.
    per_day = hours_per_day or 8.0
    return int(hours / per_day * 2) + 15
