from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import _, api, models
from odoo.exceptions import UserError

from ..tools.sla_time import (
    add_working_hours,
    aware_utc,
    naive_utc,
    next_working_instant,
    window_days,
    working_hours_between,
)

# A deadline further than ten years away is not a deadline: stop widening the window there.
MAX_WINDOW_DAYS = 3660


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _kpi_working_days(self, month):
        """Days of the month starting ``month`` (a date, the 1st) with working hours in
        this calendar, public holidays left out (their leaves)."""
        self.ensure_one()
        tz = pytz.timezone(self.tz or "UTC")
        start = tz.localize(datetime.combine(month, time.min))
        end = tz.localize(datetime.combine(month + relativedelta(months=1), time.min))
        intervals = self._work_intervals_batch(start, end)[False]
        return len({interval_start.date() for interval_start, _stop, _meta in intervals})

    def _in_time_zone(self, tz):
        """This calendar's hours in ``tz``: itself when it is there already, else its copy
        for that zone (made once; core copies its public holidays). A contract's service hours are
        the customer's: "9 to 18" means 9 to 18 where the devices are, and its months begin
        and end there."""
        self.ensure_one()
        if not tz or self.tz == tz:
            return self
        # sudo: calendars are configuration; the contract manager needs no Employees rights.
        Calendar = self.sudo()
        name = _("%(calendar)s (%(tz)s)", calendar=self.name, tz=tz)
        copy = Calendar.search(
            [("name", "=", name), ("tz", "=", tz), ("company_id", "=", self.company_id.id)],
            limit=1,
        )
        if not copy:
            copy = Calendar.copy({"tz": tz})
            # Core's copy keeps the public holidays and names it "(copy)" whatever is given.
            copy.name = name
        return copy.sudo(False)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_service_hours(self):
        """SLA clocks count in these calendars: they cannot disappear under them."""
        contracts = (
            self.env["service.contract"].sudo().search([("resource_calendar_id", "in", self.ids)])
        )
        if contracts:
            raise UserError(
                _(
                    "Calendar %(calendar)s gives the service hours of contracts %(contracts)s: "
                    "give them other service hours first, or archive the calendar.",
                    calendar=contracts[0].resource_calendar_id.display_name,
                    contracts=", ".join(contracts[:5].mapped("name")),
                )
            )
        if (
            self.env["service.sla.line"]
            .sudo()
            .search_count([("calendar_id", "in", self.ids)], limit=1)
        ):
            raise UserError(
                _(
                    "SLA clocks of work orders were counted in calendar %(calendar)s: archive "
                    "it instead of deleting it.",
                    calendar=", ".join(self.mapped("display_name")),
                )
            )

    # ------------------------------------------------------------------ SLA arithmetic
    # The SLA clocks count working time through these methods; the counting itself is in
    # tools/sla_time.py. Callers group their clocks per calendar, so a batch costs one
    # fetch of working intervals per calendar.

    def _sla_intervals(self, start, stop):
        """This calendar's working time between two datetimes, leaves (public holidays)
        removed, as sorted and merged ``(begin, end)`` pairs of aware UTC datetimes."""
        self.ensure_one()
        intervals = self._work_intervals_batch(aware_utc(start), aware_utc(stop))[False]
        result = []
        for local_begin, local_end, _records in intervals:
            # Odoo reads an attendance ending at 24:00 as 23:59:59.999999: give the
            # microsecond back so round-the-clock days join without a gap.
            if local_end.microsecond == 999999:
                local_end = local_end + timedelta(microseconds=1)  # noqa: PLW2901
            begin, end = local_begin.astimezone(pytz.utc), local_end.astimezone(pytz.utc)
            if result and result[-1][1] == begin:
                result[-1] = (result[-1][0], end)
            else:
                result.append((begin, end))
        return result

    def _sla_window_days(self, hours):
        self.ensure_one()
        return window_days(hours, self.hours_per_day)

    @api.model
    def _sla_intervals_for(self, hours_by_calendar, start, ends=()):
        """Working intervals of each calendar of ``hours_by_calendar`` (calendar -> the most
        working hours a clock of it needs) from ``start``, long enough for those hours and
        past the latest of ``ends``: one fetch per calendar."""
        start = aware_utc(start)
        ends = [aware_utc(end) for end in ends if end]
        # A line not saved yet may have no calendar: it gets no working time.
        result = defaultdict(list)
        for calendar, hours in hours_by_calendar.items():
            if not calendar:
                continue
            window = start + timedelta(days=calendar._sla_window_days(hours))
            stop = max([*ends, window]) + timedelta(days=1)
            result[calendar] = calendar._sla_intervals(start, stop)
        return result

    def _sla_add_hours(self, intervals, start, hours):
        """``hours`` working hours after ``start`` within ``intervals`` (this calendar's),
        widening the window with a new fetch in the rare case it is too short."""
        self.ensure_one()
        start = aware_utc(start)
        deadline = add_working_hours(intervals, start, hours)
        days = self._sla_window_days(hours)
        while deadline is None and days < MAX_WINDOW_DAYS:
            days *= 2
            intervals = self._sla_intervals(start, start + timedelta(days=days))
            deadline = add_working_hours(intervals, start, hours)
        return deadline

    def _sla_clock_start(self, when):
        """The instant a clock started at ``when`` (naive UTC) begins to count in this
        calendar: ``when`` inside working time, else the next working period's start (naive
        UTC); False when the calendar has no working time in the next ten years."""
        self.ensure_one()
        start = aware_utc(when)
        days = self._sla_window_days(0.0)
        begin = None
        while begin is None and days < MAX_WINDOW_DAYS:
            begin = next_working_instant(
                self._sla_intervals(start, start + timedelta(days=days)), start
            )
            days *= 2
        return naive_utc(begin) if begin else False

    def _sla_hours_in_spans(self, spans_by_key):
        """Working hours of this calendar inside spans, summed per key: ``spans_by_key``
        maps any key to ``(begin, end)`` pairs; one fetch covers every span."""
        self.ensure_one()
        spans_by_key = {
            key: [(aware_utc(b), aware_utc(e)) for b, e in spans if b and e]
            for key, spans in spans_by_key.items()
        }
        every = [span for spans in spans_by_key.values() for span in spans]
        if not every:
            return dict.fromkeys(spans_by_key, 0.0)
        intervals = self._sla_intervals(min(b for b, _e in every), max(e for _b, e in every))
        return {
            key: sum(working_hours_between(intervals, b, e) for b, e in spans)
            for key, spans in spans_by_key.items()
        }
