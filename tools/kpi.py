"""The service figures' arithmetic (no Odoo): what counts as a repeat, the weight of a
closed work order in "closed per technician per working day", spare-part availability."""

from datetime import timedelta


def is_repeat(resolved_day, resolved_type, reported_day, reported_type, days):
    """A work order reported on ``reported_day`` repeats one resolved on ``resolved_day``
    (same device) when it came within ``days`` after it, and for the same symptom. An
    unknown symptom on either side is not a different one: a device back within the
    month counts against its repair."""
    if not resolved_day or not reported_day or reported_day < resolved_day:
        return False
    if reported_day - resolved_day > timedelta(days=days):
        return False
    return not (resolved_type and reported_type and resolved_type != reported_type)


def closed_day_weight(working_days):
    """One over the working days of the technician's month (their sum per technician and
    month is the work orders closed per working day); 0 without a working day."""
    return 1.0 / working_days if working_days else 0.0


def availability_percent(commitment_days, shortfall_days):
    """The share of commitment-days the spare stock was at or above its minimum."""
    if commitment_days <= 0:
        return None
    shortfall_days = min(max(shortfall_days, 0.0), commitment_days)
    return 100.0 * (commitment_days - shortfall_days) / commitment_days


def overlap_days(start, end, period_start, period_end):
    """Days (fractional) the span from ``start`` to ``end`` (``end`` None: still running at
    ``period_end``) shares with the period."""
    start = max(start, period_start)
    end = min(end or period_end, period_end)
    return max((end - start).total_seconds() / 86400.0, 0.0)
