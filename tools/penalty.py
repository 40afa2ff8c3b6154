"""Penalty and rebate arithmetic of the service ledger, and its periods.

No Odoo here: the ledger gathers a contract's rules, fee and SLA figures and calls these
functions. A period is a calendar month written ``"YYYY-MM"``, counted in the time zone of
the contract's service hours (its calendar): 17:00 UTC on 31 May is already 1 June in Shanghai,
so a breach then belongs to June on a contract counting in Shanghai time.
"""

from datetime import date, datetime, timedelta

import pytz

SECONDS_PER_HOUR = 3600
# Shares and thresholds are compared with this tolerance, so that 19 of 20 milestones on
# time (95 %) meets a 95 % threshold whatever floating point makes of 95.
SHARE_TOLERANCE = 1e-6


# ---------------------------------------------------------------------- amounts
def billable_hours(late_hours, free_minutes=0):
    """Whole hours charged for ``late_hours`` working hours late: the lateness past the
    free minutes, rounded up to the next hour (0 when within the allowance).

    1 h 01 late, no free minutes: 2 h; 1 h 30 late with 30 free minutes: 1 h.
    """
    # Lateness comes from a difference of datetimes divided by an hour: round to the second
    # so that float noise (1.0000000001 h) is not charged as a second hour.
    over = round(late_hours * SECONDS_PER_HOUR) - round(free_minutes * 60)
    if over <= 0:
        return 0
    return -(-over // SECONDS_PER_HOUR)


def split_billable_hours(cumulative_late_hours, free_minutes=0):
    """Hours charged in each period of a lateness that spans several, from the lateness
    reached at the end of each period (the last one: at the final instant).

    The allowance and the rounding apply to the whole lateness, once: the parts add up to
    ``billable_hours`` of the total, whichever periods were charged before the others.
    """
    result = []
    charged = 0
    for late in cumulative_late_hours:
        total = billable_hours(late, free_minutes)
        result.append(max(total - charged, 0))
        charged = max(total, charged)
    return result


def billable_days(hours):
    """Days charged for ``hours`` below the committed minimum after the grace period: every
    started day of 24 hours (25 h below minimum: 2 days)."""
    seconds = round(hours * SECONDS_PER_HOUR)
    if seconds <= 0:
        return 0
    return -(-seconds // (24 * SECONDS_PER_HOUR))


def split_billable_days(cumulative_hours):
    """Days charged in each period of a shortfall that spans several, from the hours below
    minimum reached at the end of each period: the parts add up to ``billable_days`` of the
    whole, so a day started in one month is not charged again in the next."""
    result = []
    charged = 0
    for hours in cumulative_hours:
        total = billable_days(hours)
        result.append(max(total - charged, 0))
        charged = max(total, charged)
    return result


def fee_share(monthly_fee, percent):
    """``percent`` % of the monthly fee."""
    return monthly_fee * percent / 100.0


def penalty_amount(computation, amount=0.0, percent=0.0, monthly_fee=0.0, hours=0):
    """What one breach costs under a penalty rule: a fixed ``amount``, ``amount`` per hour
    charged, or ``percent`` % of the monthly fee."""
    if computation == "fixed":
        return amount
    if computation == "per_hour":
        return amount * hours
    if computation == "fee_percent":
        return fee_share(monthly_fee, percent)
    raise ValueError(f"Unknown penalty computation {computation!r}")


def cap_limit(caps, monthly_fee):
    """The most penalties a period may total under ``caps``, pairs of an absolute
    ``amount`` and a ``percent`` of the monthly fee (0 = not set): the lowest limit that
    is set applies. None when no cap is set."""
    limits = []
    for amount, percent in caps:
        if amount:
            limits.append(amount)
        if percent:
            limits.append(fee_share(monthly_fee, percent))
    return min(limits) if limits else None


def capped_excess(penalties, limit):
    """What a cap takes back from a period's ``penalties`` (0 when within the limit)."""
    if limit is None:
        return 0.0
    return max(penalties - limit, 0.0)


def on_time_percent(on_time, counted):
    """The share of milestones met on time, in %; None without milestones."""
    if not counted:
        return None
    return on_time * 100.0 / counted


def rebate_due(on_time, counted, threshold):
    """Whether ``on_time`` of ``counted`` milestones reaches ``threshold`` % (at least one
    milestone is needed: a period without any gives no share to reward)."""
    if not counted:
        return False
    return on_time * 100.0 - threshold * counted >= -SHARE_TOLERANCE * counted


# ---------------------------------------------------------------------- periods
# No time zone is more than 14 hours ahead of UTC: a month may have begun (or ended)
# somewhere up to 14 hours before it does in UTC.
MAX_UTC_OFFSET = timedelta(hours=14)


def _zone(tz):
    return pytz.timezone(tz or "UTC")


def _aware(moment):
    return pytz.utc.localize(moment) if moment.tzinfo is None else moment


def period_of(moment, tz):
    """The period of a datetime (naive values are UTC, as Odoo stores them) in ``tz``."""
    return _aware(moment).astimezone(_zone(tz)).strftime("%Y-%m")


def local_date(moment, tz):
    """The date of a datetime (naive = UTC) in ``tz``."""
    return _aware(moment).astimezone(_zone(tz)).date()


def period_of_date(day):
    return day.strftime("%Y-%m")


def first_day(period):
    year, month = period.split("-")
    return date(int(year), int(month), 1)


def next_period(period):
    first = first_day(period)
    return (first + timedelta(days=32)).replace(day=1).strftime("%Y-%m")


def previous_period(period):
    return (first_day(period) - timedelta(days=1)).strftime("%Y-%m")


def last_day(period):
    return first_day(next_period(period)) - timedelta(days=1)


def periods_between(first, last):
    """Every period from ``first`` to ``last``, both included (empty when first > last)."""
    result = []
    period = first
    while period <= last:
        result.append(period)
        period = next_period(period)
    return result


def period_bounds(period, tz):
    """Start and end of a period in ``tz``, as naive UTC datetimes (end excluded)."""
    zone = _zone(tz)

    def start_of(day):
        local = zone.localize(datetime.combine(day, datetime.min.time()))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    return start_of(first_day(period)), start_of(first_day(next_period(period)))


def period_ends(start, stop, tz):
    """The periods a span from ``start`` to ``stop`` (naive UTC) crosses in ``tz``, each
    with where the span stops counting in it: the period's end, ``stop`` for the last."""
    result = []
    period, last = period_of(start, tz), period_of(stop, tz)
    while period <= last:
        end = period_bounds(period, tz)[1]
        result.append((period, min(end, stop)))
        period = next_period(period)
    return result


def last_closed_period(now, tz):
    """The latest period whose month is over in ``tz`` at ``now`` (naive UTC)."""
    return previous_period(period_of(now, tz))
