from collections import defaultdict
from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.modules import module as odoo_module

from ..tools.sla_time import add_working_hours, window_days, working_hours_between
from .service_contract_sla import SEVERITIES

MILESTONES = [
    ("response", "Response"),
    ("arrival", "On-site Arrival"),
    ("resolution", "Resolution"),
]
OPEN_STATES = ("running", "warning", "breached")
BATCH_SIZE = 500


def _utc(value):
    """Naive UTC (as Odoo stores datetimes) to aware UTC."""
    return pytz.utc.localize(value) if value and value.tzinfo is None else value


def _naive(value):
    return value.astimezone(pytz.utc).replace(tzinfo=None) if value else value


class ServiceSlaLine(models.Model):
    _name = "service.sla.line"
    _description = "SLA Milestone of a Work Order"
    _order = "request_id, deadline"
    _rec_name = "milestone"

    request_id = fields.Many2one(
        "maintenance.request", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="request_id.company_id", store=True, index=True)
    customer_id = fields.Many2one(related="request_id.customer_id", store=True)
    contract_id = fields.Many2one(related="request_id.contract_id", store=True)
    severity = fields.Selection(SEVERITIES, required=True)
    milestone = fields.Selection(MILESTONES, required=True)
    calendar_id = fields.Many2one("resource.calendar", required=True)
    target_hours = fields.Float(required=True)
    warning_percent = fields.Float(default=75.0)
    start_at = fields.Datetime(string="Clock Start", required=True)
    deadline = fields.Datetime()
    original_deadline = fields.Datetime(help="The deadline before any pause.")
    warning_at = fields.Datetime()
    state = fields.Selection(
        [
            ("running", "Running"),
            ("paused", "Paused"),
            ("warning", "Warning"),
            ("met", "Met"),
            ("met_late", "Met Late"),
            ("breached", "Breached"),
            ("cancelled", "Cancelled"),
        ],
        default="running",
        required=True,
        index=True,
    )
    met_at = fields.Datetime()
    breached_at = fields.Datetime(index="btree_not_null")
    paused_hours = fields.Float(help="Working hours the clock stood still.")
    late_hours = fields.Float(help="Working hours past the deadline when met late.")
    elapsed_hours = fields.Float(
        aggregator="avg",
        help="Working hours from the clock start to the milestone, pauses excluded.",
    )
    met_on_time = fields.Float(
        string="Met on Time (%)", aggregator="avg", help="100 when met on time, else 0."
    )
    # When the detection job must look at this line next (warning or deadline), empty when
    # the clock is stopped: the job reads only due lines through this index.
    next_check_at = fields.Datetime(index="btree_not_null")
    remaining_hours = fields.Float(compute="_compute_remaining_hours")

    def _compute_remaining_hours(self):
        now = _utc(fields.Datetime.now())
        intervals = self._intervals_by_calendar(now, self.mapped("deadline"))
        for line in self:
            if line.state in ("met", "met_late", "cancelled") or not line.deadline:
                line.remaining_hours = 0.0
                continue
            ranges = intervals[line.calendar_id]
            deadline = _utc(line.deadline)
            if deadline >= now:
                line.remaining_hours = working_hours_between(ranges, now, deadline)
            else:
                line.remaining_hours = -working_hours_between(ranges, deadline, now)

    # ------------------------------------------------------------------ calendar
    def _intervals_by_calendar(self, start, ends, extra_hours=0.0):
        """Working intervals (aware UTC pairs) of each calendar of these lines, fetched once
        per calendar from ``start`` to past the latest of ``ends``."""
        result = {}
        ends = [_utc(e) for e in ends if e]
        for calendar in self.calendar_id:
            lines = self.filtered(lambda line, cal=calendar: line.calendar_id == cal)
            hours = max([*lines.mapped("target_hours"), 0.0]) + max(
                [*lines.mapped("paused_hours"), 0.0]
            )
            window = start + timedelta(days=window_days(hours + extra_hours, 8.0))
            stop = max([*ends, window]) + timedelta(days=1)
            result[calendar] = self._calendar_intervals(calendar, start, stop)
        return defaultdict(list, result)

    @api.model
    def _calendar_intervals(self, calendar, start, stop):
        """The calendar's working time between two aware datetimes, leaves removed."""
        intervals = calendar._work_intervals_batch(_utc(start), _utc(stop))[False]
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

    @api.model
    def _deadline_from(self, calendar, intervals, start, hours):
        """``hours`` working hours after ``start``; fetches a longer window when needed."""
        deadline = add_working_hours(intervals, start, hours)
        days = window_days(hours, 8.0)
        while deadline is None and days < 3660:
            days *= 2
            intervals = self._calendar_intervals(calendar, start, start + timedelta(days=days))
            deadline = add_working_hours(intervals, start, hours)
        return deadline

    def _schedule(self):
        """(Re)compute deadline, original deadline and warning time from the clock start,
        the target and the paused working time, in batch per calendar."""
        starts = [_utc(line.start_at) for line in self]
        if not starts:
            return
        intervals = self._intervals_by_calendar(min(starts), [])
        for line in self:
            ranges = intervals[line.calendar_id]
            start = _utc(line.start_at)
            original = self._deadline_from(line.calendar_id, ranges, start, line.target_hours)
            deadline = self._deadline_from(
                line.calendar_id, ranges, start, line.target_hours + line.paused_hours
            )
            warning = self._deadline_from(
                line.calendar_id,
                ranges,
                start,
                line.target_hours * line.warning_percent / 100 + line.paused_hours,
            )
            line.write(
                {
                    "original_deadline": _naive(original),
                    "deadline": _naive(deadline),
                    "warning_at": _naive(warning),
                }
            )
        self._update_next_check()

    def _update_next_check(self):
        for line in self:
            if line.state == "running":
                line.next_check_at = line.warning_at
            elif line.state == "warning":
                line.next_check_at = line.deadline
            else:
                line.next_check_at = False

    # ------------------------------------------------------------------ events
    def _meet(self, when):
        """The milestone happened at ``when``: on time, or late by its working hours."""
        when = _utc(when)
        intervals = self._intervals_by_calendar(min(_utc(line.start_at) for line in self), [when])
        for line in self:
            ranges = intervals[line.calendar_id]
            deadline = _utc(line.deadline)
            late = working_hours_between(ranges, deadline, when) if when > deadline else 0.0
            elapsed = working_hours_between(ranges, _utc(line.start_at), when) - line.paused_hours
            line.write(
                {
                    "state": "met_late" if when > deadline else "met",
                    "met_at": _naive(when),
                    "late_hours": late,
                    "elapsed_hours": max(elapsed, 0.0),
                    "met_on_time": 0.0 if when > deadline else 100.0,
                    "next_check_at": False,
                }
            )

    def _pause(self):
        self.write({"state": "paused", "next_check_at": False})

    def _resume(self, pause_start, pause_end):
        """Move the deadlines by the working time the clock stood still."""
        if not self:
            return
        start, end = _utc(pause_start), _utc(pause_end)
        intervals = self._intervals_by_calendar(start, [end])
        for line in self:
            paused = working_hours_between(intervals[line.calendar_id], start, end)
            line.write({"paused_hours": line.paused_hours + paused, "state": "running"})
        self._schedule()
        # A clock that resumes past its warning time is checked at once by the job.
        self._trigger_check()

    def _trigger_check(self):
        cron = self.env.ref("barcode_device_service.ir_cron_sla_check", raise_if_not_found=False)
        times = [t for t in self.mapped("next_check_at") if t]
        if cron and times:
            cron._trigger(at=min(times))

    # ------------------------------------------------------------------ detection job
    @api.model
    def _cron_check_sla(self, batch_size=BATCH_SIZE):
        """Turn due lines to warning or breached, a batch at a time with a commit each, so
        an interrupted run resumes where it stopped; then wake up at the next due time.

        Only lines whose ``next_check_at`` has passed are read (an index scan): the cost
        follows what is due, not how many work orders are open.
        """
        now = fields.Datetime.now()
        domain = [("next_check_at", "<=", now)]
        remaining = self.search_count(domain)
        done = 0
        while remaining:
            lines = self.search(domain, order="next_check_at, id", limit=batch_size)
            lines._check_due(now)
            done += len(lines)
            remaining = max(self.search_count(domain), 0)
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            if not odoo_module.current_test:
                # Commit per batch: what is processed stays processed if the job dies.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        upcoming = self.search([("next_check_at", ">", now)], order="next_check_at", limit=1)
        if upcoming:
            self.env.ref("barcode_device_service.ir_cron_sla_check")._trigger(
                at=upcoming.next_check_at
            )

    def _check_due(self, now):
        breached = self.filtered(lambda line: line.deadline and line.deadline <= now)
        warned = (self - breached).filtered(
            lambda line: line.state == "running" and line.warning_at and line.warning_at <= now
        )
        for line in breached:
            # The breach happened at the deadline, whenever the job notices it.
            line.write({"state": "breached", "breached_at": line.deadline, "next_check_at": False})
        warned.write({"state": "warning"})
        warned._update_next_check()
        (self - breached - warned).filtered(
            lambda line: line.state == "running"
        )._update_next_check()
        breached.request_id._notify_sla_breach(breached)
        warned.request_id._notify_sla_warning(warned)

    @api.model
    def _milestone_label(self, milestone):
        return dict(self._fields["milestone"]._description_selection(self.env))[milestone]

    def _format_deadline(self):
        self.ensure_one()
        tz = pytz.timezone(self.calendar_id.tz or "UTC")
        return _utc(self.deadline).astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


__all__ = ["MILESTONES", "OPEN_STATES", "ServiceSlaLine"]
