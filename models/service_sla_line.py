from collections import defaultdict

import pytz

from odoo import api, fields, models
from odoo.modules import module as odoo_module

from ..tools import penalty
from ..tools.display import format_duration
from ..tools.groups import LEDGER_GROUPS
from ..tools.sla_time import aware_utc as _utc
from ..tools.sla_time import late_hours, working_hours_between
from ..tools.sla_time import naive_utc as _naive
from .service_contract_sla import SEVERITIES
from .service_sla_mixin import CLOSED_STATES, LINE_STATES, TICKING_STATES

MILESTONES = [
    ("response", "Response"),
    ("arrival", "On-site Arrival"),
    ("resolution", "Resolution"),
]
BATCH_SIZE = 500


def _longest_per_calendar(pairs):
    """The most working hours any clock of each calendar needs, from (calendar, hours)."""
    hours = {}
    for calendar, need in pairs:
        hours[calendar] = max(hours.get(calendar, 0.0), need)
    return hours


def _next_check(state, dates):
    """When the detection job must look at a line next: its warning time while running,
    its deadline once at risk, never when the clock is stopped."""
    if state == "running":
        return dates["warning_at"]
    if state == "warning":
        return dates["deadline"]
    return False


class ServiceSlaLine(models.Model):
    _name = "service.sla.line"
    _inherit = ["service.sla.document.mixin"]
    _description = "SLA Milestone"
    # Newest clocks first; within a work order, its milestones in the order they fall due.
    _order = "start_at desc, deadline, id"
    _rec_name = "milestone"

    customer_id = fields.Many2one("res.partner")
    contract_id = fields.Many2one("service.contract")
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
        LINE_STATES,
        default="running",
        required=True,
        index=True,
    )
    met_at = fields.Datetime()
    breached_at = fields.Datetime(index="btree_not_null")
    # When the document's clock ended (resolved or cancelled). A breached milestone of it
    # (an arrival nobody checked in) stops counting its lateness here, and the ledger's
    # period job leaves it alone.
    closed_at = fields.Datetime(
        help="The document was resolved or cancelled: a milestone still missed then has its "
        "lateness final."
    )
    # The one definition of a milestone that awaits nothing more, for every event and job:
    # nothing (archiving, an edit of the terms, reopening the document) opens it again.
    is_closed = fields.Boolean(
        compute="_compute_is_closed",
        store=True,
        index=True,
        help="Met, cancelled, or missed by a document resolved or cancelled since.",
    )
    paused_hours = fields.Float(help="Working hours the clock stood still.")
    late_hours = fields.Float(help="Working hours past the deadline when met late.")
    elapsed_hours = fields.Float(
        aggregator="avg",
        help="Working hours from the clock start to the milestone, pauses excluded.",
    )
    # Stored as 0 from the start, so that a breach not yet answered counts as a miss in the
    # on-time share; elapsed_hours stays empty (out of its average) until the milestone is met.
    met_on_time = fields.Float(
        string="Met on Time (%)",
        default=0.0,
        aggregator="avg",
        help="100 when met on time, else 0.",
    )
    # When the detection job must look at this line next (warning or deadline), empty when
    # the clock is stopped: the job reads only due lines through this index.
    next_check_at = fields.Datetime(index="btree_not_null")
    remaining_hours = fields.Float(compute="_compute_remaining_hours")
    # The ledger's side of a milestone: what its breach cost (the SLA analysis sums it).
    ledger_entry_ids = fields.One2many(
        "service.ledger.entry", "sla_line_id", groups=LEDGER_GROUPS, readonly=True
    )
    currency_id = fields.Many2one(related="contract_id.currency_id")
    penalty_amount = fields.Monetary(
        string="Penalties",
        compute="_compute_penalty_amount",
        store=True,
        aggregator="sum",
        groups=LEDGER_GROUPS,
        help="Penalties this milestone caused, net of reversals, cancelled entries left out.",
    )
    # Counts the times the ledger withdrew this milestone's penalties (a retarget): the
    # next accrual is a new cause with keys of its own.
    ledger_generation = fields.Integer(copy=False, readonly=True)

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]
        self._complete_schedule(vals_list)
        return super().create(vals_list)

    @api.depends(
        "ledger_entry_ids.signed_amount", "ledger_entry_ids.state", "ledger_entry_ids.kind"
    )
    def _compute_penalty_amount(self):
        totals = dict(
            self.env["service.ledger.entry"]._read_group(
                [
                    ("sla_line_id", "in", self.ids),
                    ("kind", "=", "penalty"),
                    ("state", "!=", "cancelled"),
                ],
                ["sla_line_id"],
                ["signed_amount:sum"],
            )
        )
        for line in self:
            line.penalty_amount = totals.get(line, 0.0)

    @api.depends("milestone", "res_model", "res_id")
    def _compute_display_name(self):
        # Its work order and the milestone in the user's words: the record name alone was
        # the raw selection key ("response") in links and searches.
        labels = dict(self._fields["milestone"]._description_selection(self.env))
        for line in self:
            label = labels.get(line.milestone, "")
            document = line.document_name
            line.display_name = f"{document} – {label}" if document else label

    @api.depends("state", "closed_at")
    def _compute_is_closed(self):
        for line in self:
            line.is_closed = line.state in CLOSED_STATES or bool(line.closed_at)

    def _compute_remaining_hours(self):
        now = _utc(fields.Datetime.now())
        # A missed milestone of a closed document is as late as it was when it closed.
        ends = {line: _utc(line.closed_at) if line.closed_at else now for line in self}
        deadlines = [_utc(d) for d in self.mapped("deadline")]
        # From the earliest passed deadline to now: an overdue clock counts its working time
        # late, however long ago its deadline passed.
        intervals = self._intervals_by_calendar(
            min([now, *deadlines]), [*deadlines, *ends.values()]
        )
        counting = self.filtered(lambda line: line.state not in CLOSED_STATES and line.deadline)
        late = counting.filtered(lambda line: _utc(line.deadline) < ends[line])
        pauses = late._pause_spans()
        for line in self:
            if line not in counting:
                line.remaining_hours = 0.0
                continue
            ranges = intervals[line.calendar_id]
            deadline = _utc(line.deadline)
            if line in late:
                line.remaining_hours = -late_hours(ranges, deadline, ends[line], pauses[line])
            else:
                line.remaining_hours = working_hours_between(ranges, now, deadline)

    # ------------------------------------------------------------------ calendar
    def _pause_spans(self):
        """The pauses of each line's document as aware UTC ``(start, end)`` pairs, end None
        while the pause lasts: what a late milestone's lateness leaves out. One search."""
        by_document = defaultdict(list)
        if self:
            pauses = (
                self.env["service.sla.pause"]
                .sudo()
                .search(
                    [
                        ("res_model", "in", list(set(self.mapped("res_model")))),
                        ("res_id", "in", list(set(self.mapped("res_id")))),
                    ]
                )
            )
            for pause in pauses:
                by_document[(pause.res_model, pause.res_id)].append(
                    (_utc(pause.start_at), _utc(pause.end_at) or None)
                )
        return {line: by_document[(line.res_model, line.res_id)] for line in self}

    def _intervals_by_calendar(self, start, ends):
        """Working intervals of each calendar of these lines (see
        ``resource.calendar._sla_intervals_for``), fetched once per calendar from ``start``
        to past the latest of ``ends``."""
        hours = _longest_per_calendar(
            (line.calendar_id, line.target_hours + line.paused_hours) for line in self
        )
        return self.env["resource.calendar"]._sla_intervals_for(hours, start, ends)

    @api.model
    def _schedule_values(self, clocks):
        """Deadline, original deadline, warning time and next check of each clock.

        ``clocks`` are dicts with ``calendar`` (record), ``start_at``, ``target_hours``,
        ``warning_percent``, ``paused_hours`` and ``state``; the calendars' working time
        is fetched once per calendar for the whole batch.
        """
        if not clocks:
            return []
        hours = _longest_per_calendar(
            (clock["calendar"], clock["target_hours"] + clock["paused_hours"]) for clock in clocks
        )
        intervals = self.env["resource.calendar"]._sla_intervals_for(
            hours, min(_utc(c["start_at"]) for c in clocks)
        )
        result = []
        for clock in clocks:
            calendar, start = clock["calendar"], _utc(clock["start_at"])
            ranges, target, paused = (
                intervals[calendar],
                clock["target_hours"],
                clock["paused_hours"],
            )
            warning_hours = target * clock["warning_percent"] / 100 + paused
            dates = {
                "original_deadline": calendar._sla_add_hours(ranges, start, target),
                "deadline": calendar._sla_add_hours(ranges, start, target + paused),
                "warning_at": calendar._sla_add_hours(ranges, start, warning_hours),
            }
            values = {key: _naive(value) for key, value in dates.items()}
            values["next_check_at"] = _next_check(clock["state"], values)
            result.append(values)
        return result

    @api.model
    def _complete_schedule(self, vals_list):
        """Give creation values without a deadline their deadlines, so that a line is
        inserted scheduled instead of being written again right after."""
        todo = [
            vals
            for vals in vals_list
            if not vals.get("deadline")
            and vals.get("calendar_id")
            and vals.get("start_at")
            and vals.get("target_hours") is not None
        ]
        calendars = self.env["resource.calendar"].browse({v["calendar_id"] for v in todo})
        by_id = {calendar.id: calendar for calendar in calendars}
        clocks = [
            {
                "calendar": by_id[vals["calendar_id"]],
                "start_at": fields.Datetime.to_datetime(vals["start_at"]),
                "target_hours": vals["target_hours"],
                "warning_percent": vals.get("warning_percent", 75.0),
                "paused_hours": vals.get("paused_hours", 0.0),
                "state": vals.get("state", "running"),
            }
            for vals in todo
        ]
        for vals, dates in zip(todo, self._schedule_values(clocks), strict=True):
            vals.update(dates)

    def _schedule(self):
        """(Re)compute the deadlines from the clock start, the target and the paused time."""
        clocks = [
            {
                "calendar": line.calendar_id,
                "start_at": line.start_at,
                "target_hours": line.target_hours,
                "warning_percent": line.warning_percent,
                "paused_hours": line.paused_hours,
                "state": line.state,
            }
            for line in self
        ]
        for line, values in zip(self, self._schedule_values(clocks), strict=True):
            line.write(values)

    def _update_next_check(self):
        for line in self:
            line.next_check_at = _next_check(
                line.state, {"warning_at": line.warning_at, "deadline": line.deadline}
            )

    # ------------------------------------------------------------------ events
    def _meet(self, when):
        """The milestone happened at ``when``: on time, or late by its working hours."""
        when = _utc(when)
        intervals = self._intervals_by_calendar(min(_utc(line.start_at) for line in self), [when])
        pauses = self.filtered(lambda line: when > _utc(line.deadline))._pause_spans()
        for line in self:
            ranges = intervals[line.calendar_id]
            deadline = _utc(line.deadline)
            late = stood = 0.0
            if when > deadline:
                # Paused while already late (waiting for the customer): neither late nor work.
                late = late_hours(ranges, deadline, when, pauses[line])
                stood = working_hours_between(ranges, deadline, when) - late
            elapsed = (
                working_hours_between(ranges, _utc(line.start_at), when) - line.paused_hours - stood
            )
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

    def _cancel(self):
        self.write({"state": "cancelled", "next_check_at": False})

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
            left = self.search_count(domain)
            self.env["ir.cron"]._notify_progress(done=done, remaining=left)
            if not odoo_module.current_test:
                # Commit per batch: what is processed stays processed if the job dies.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            # _check_due takes every line it is given out of the queue: a batch that did not
            # shrink it would turn forever, so the run stops (the next one starts afresh).
            if left >= remaining:
                break
            remaining = left
        upcoming = self.search([("next_check_at", ">", now)], order="next_check_at", limit=1)
        if upcoming:
            self.env.ref("barcode_device_service.ir_cron_sla_check")._trigger(
                at=upcoming.next_check_at
            )

    def _check_due(self, now):
        """Warn or breach the clocks counting time that are due at ``now``. Every line given
        leaves the job's queue (its next check is in the future, or none): a line in another
        state (a manager may write lines) is not checked, only taken out."""
        ticking = self.filtered(lambda line: line.state in TICKING_STATES)
        (self - ticking).filtered("next_check_at").write({"next_check_at": False})
        breached = ticking.filtered(lambda line: line.deadline and line.deadline <= now)
        warned = (ticking - breached).filtered(
            lambda line: line.state == "running" and line.warning_at and line.warning_at <= now
        )
        for line in breached:
            # The breach happened at the deadline, whenever the job notices it.
            line.write({"state": "breached", "breached_at": line.deadline, "next_check_at": False})
        warned.write({"state": "warning"})
        (ticking - breached)._update_next_check()
        breached._ledger_accrue()
        for model, lines in breached.grouped("res_model").items():
            self.env[model].browse(set(lines.mapped("res_id")))._notify_sla_breach(lines)
        for model, lines in warned.grouped("res_model").items():
            self.env[model].browse(set(lines.mapped("res_id")))._notify_sla_warning(lines)

    # ------------------------------------------------------------------ ledger
    def _ledger_accrue(self, final_at=None):
        """The penalties these milestones caused, accrued in one grouped insert. Called on the
        clock's events: the detection job's breaches, milestones met late, documents
        closed with milestones unmet (``final_at``: when).

        Fixed and fee-% penalties accrue once a milestone is late; per-hour penalties once
        its lateness is final (met late, or its clock closed at ``closed_at``, else at
        ``final_at``); the period job charges the lateness of milestones still late at a
        period's close. A closed milestone is never charged past its close, whoever asks.
        """
        until = {}
        late_ids = []
        for line in self.sudo():
            if not line.contract_id or not line.deadline:
                continue
            if line.state == "met_late":
                until[line] = line.met_at
            elif line.state != "breached":
                continue
            elif (line.closed_at or final_at) and line.deadline < (line.closed_at or final_at):
                until[line] = line.closed_at or final_at
            late_ids.append(line.id)
        late = self.sudo().browse(late_ids)
        return self.env["service.ledger.entry"]._accrue(late._ledger_entry_values(until))

    def _ledger_entry_values(self, until=None):
        """Values of the penalty entries of these late milestones: one per fixed or fee-%
        rule and breach; per-hour rules charge the lateness up to ``until[line]``, split
        by period (one entry per period, whatever computes it first)."""
        until = until or {}
        rules_by_contract = self._penalty_rules()
        if not rules_by_contract:
            return []
        lasting = self.filtered(lambda line: until.get(line))
        intervals = lasting._lateness_intervals(until, rules_by_contract)
        # A paused clock is no later: the pauses of the lines charged per hour, one search.
        pauses = lasting._pause_spans()
        vals_list = []
        for line in self:
            rules = rules_by_contract.get(line.contract_id)
            if not rules:
                continue
            contract = line.contract_id
            tz = contract._period_tz()
            deadline_day = penalty.local_date(line.deadline, tz)
            common = {
                "contract_id": contract.id,
                "kind": "penalty",
                "direction": "credit",
                "sla_line_id": line.id,
                "sla_deadline": line.deadline,
                "res_model": line.res_model,
                "res_id": line.res_id,
            }
            key = f"sla:{line.id}:g{line.ledger_generation}"
            for rule in rules:
                if not rule._matches(line, deadline_day):
                    continue
                if rule.computation == "per_hour":
                    if until.get(line):
                        vals_list += rule._lateness_entry_values(
                            line,
                            until[line],
                            intervals[line.calendar_id],
                            common,
                            key,
                            pauses=pauses[line],
                        )
                    continue
                vals = rule._breach_entry_values(line, deadline_day, common, key)
                if vals:
                    vals_list.append(vals)
        return vals_list

    def _penalty_rules(self):
        """Active penalty rules of these lines' contracts, per contract (one query)."""
        return self.env["service.penalty.rule"].sudo()._penalties_of(self.contract_id)

    def _lateness_intervals(self, until, rules_by_contract):
        """Working time of each calendar of these lines charged per hour, from their
        earliest deadline to their latest end: one fetch per calendar."""
        hourly = self.filtered(
            lambda line: any(
                r.computation == "per_hour" for r in rules_by_contract.get(line.contract_id, [])
            )
        )
        result = {}
        for calendar, group in hourly.grouped("calendar_id").items():
            start = min(_utc(line.deadline) for line in group)
            stop = max(_utc(until[line]) for line in group)
            result[calendar] = calendar._sla_intervals(start, stop)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_ledger(self):
        """A milestone that caused ledger entries is part of their trail."""
        self.env["service.ledger.entry"]._check_sla_lines_deletable(self)

    # ------------------------------------------------------------------ portal
    def _get_portal_milestones(self):
        """One entry per milestone: its state in the customer's words and what is left."""
        _ = self.env._
        open_lines = self.filtered(lambda line: line.state not in CLOSED_STATES)
        # One working-time computation for the lines still counting.
        remaining = {line.id: line.remaining_hours for line in open_lines}
        milestones = []
        for line in self:
            entry = {
                "line": line,
                "label": line._milestone_label(line.milestone),
                "state": line.state,
                "remaining": False,
            }
            if line.state in ("running", "warning"):
                entry["remaining"] = _(
                    "%(duration)s of working time left",
                    duration=format_duration(self.env, remaining[line.id]),
                )
            elif line.state == "breached":
                entry["remaining"] = _(
                    "%(duration)s of working time late",
                    duration=format_duration(self.env, -remaining[line.id]),
                )
            milestones.append(entry)
        return milestones

    @api.model
    def _milestone_label(self, milestone):
        return dict(self._fields["milestone"]._description_selection(self.env))[milestone]

    def _format_deadline(self):
        self.ensure_one()
        tz = pytz.timezone(self.calendar_id.tz or "UTC")
        return _utc(self.deadline).astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


__all__ = ["MILESTONES", "ServiceSlaLine"]
