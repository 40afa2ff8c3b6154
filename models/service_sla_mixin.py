from markupsafe import Markup

from odoo import _, api, fields, models

from ..tools.display import format_duration
from ..tools.groups import LEDGER_GROUPS

# The states of one milestone clock (service.sla.line).
LINE_STATES = [
    ("running", "Running"),
    ("paused", "Paused"),
    ("warning", "Warning"),
    ("met", "Met"),
    ("met_late", "Met Late"),
    ("breached", "Breached"),
    ("cancelled", "Cancelled"),
]
# Clocks that still wait for their milestone; of those, the ones counting time now.
OPEN_STATES = ("running", "warning", "breached")
TICKING_STATES = ("running", "warning")
MET_STATES = ("met", "met_late")
CLOSED_STATES = (*MET_STATES, "cancelled")
SLA_AT_RISK_ACTIVITY = "barcode_device_service.mail_activity_type_sla_at_risk"

# Worst first: a document's SLA status shows its worst milestone.
SLA_STATUSES = [
    ("breached", "Breached"),
    ("warning", "At Risk"),
    ("paused", "Paused"),
    ("running", "Running"),
    ("met_late", "Met Late"),
    ("met", "Met"),
    ("cancelled", "Cancelled"),
]


class ServiceSlaMixin(models.AbstractModel):
    """The SLA clock of a document, for any model that inherits it.

    The document brings a ``contract_id`` (``service.contract``) and a ``severity``
    (``p1``..``p4``) field. The clock starts when a document with a contract is created; a
    change of the terms (``_sla_term_fields``) recomputes the targets from the original start.
    The document decides what its events are and calls ``_sla_meet``, ``_sla_pause``,
    ``_sla_resume``, ``_sla_close_unmet`` (resolved) and ``_sla_cancel``; the detection job
    calls back ``_notify_sla_warning`` and ``_notify_sla_breach``.

    The clock ends when its document is resolved or cancelled: every milestone is closed
    then (``is_closed``: met, cancelled, or missed with its lateness final) and stays so.
    Nothing after that restarts it: archiving, a change of terms, reopening the document.
    """

    _name = "service.sla.mixin"
    _description = "SLA Clock"

    # The lines and pauses point back with res_model/res_id, as messages do to a mail.thread.
    sla_line_ids = fields.One2many("service.sla.line", "res_id", string="SLA", copy=False)
    sla_pause_ids = fields.One2many("service.sla.pause", "res_id", string="SLA Pauses", copy=False)
    # What the document's missed milestones cost (the ledger's entries pointing to it).
    ledger_entry_ids = fields.One2many(
        "service.ledger.entry",
        "res_id",
        string="Penalties & Rebates",
        readonly=True,
        groups=LEDGER_GROUPS,
    )
    sla_status = fields.Selection(
        SLA_STATUSES,
        string="SLA Status",
        compute="_compute_sla_status",
        store=True,
        index="btree_not_null",
    )

    # Stored for the portal's work-order list, sorted on it: what is due next, in SQL.
    sla_deadline = fields.Datetime(
        string="Next SLA Deadline",
        compute="_compute_sla_deadline",
        store=True,
        index="btree_not_null",
        help="The earliest deadline of the milestones still awaited (the response's while it "
        "is not met); empty while the clock is paused and once the work is resolved.",
    )

    # The desk's cards: the working time left to the next deadline, or how late it is.
    sla_time_left = fields.Char(string="Time Left", compute="_compute_sla_time_left")

    @api.depends("sla_line_ids.state")
    def _compute_sla_status(self):
        order = [key for key, _label in SLA_STATUSES]
        for record in self:
            states = set(record.sla_line_ids.mapped("state"))
            record.sla_status = next((s for s in order if s in states), False)

    @api.depends("sla_line_ids.state", "sla_line_ids.deadline", "sla_line_ids.is_closed")
    def _compute_sla_deadline(self):
        for record in self:
            # A milestone missed when its document was resolved (closed) awaits nothing.
            deadlines = [
                line.deadline
                for line in record.sla_line_ids
                if line.state in OPEN_STATES and line.deadline and not line.is_closed
            ]
            record.sla_deadline = min(deadlines, default=False)

    @api.depends("sla_deadline")
    @api.depends_context("uid", "lang")
    def _compute_sla_time_left(self):
        # The line(s) due at the document's next deadline; their working time left is
        # computed for all documents at once (one calendar read per calendar).
        # sudo: the clock's figures show to whoever sees the document.
        deadlines = {record.id: record.sla_deadline for record in self}
        next_lines = self.sudo().sla_line_ids.filtered(
            lambda line: line.state in OPEN_STATES
            and not line.is_closed
            and line.deadline
            and line.deadline == deadlines.get(line.res_id)
        )
        remaining = {line.res_id: line.remaining_hours for line in next_lines}
        for record in self:
            hours = remaining.get(record.id)
            if hours is None or not record.sla_deadline:
                record.sla_time_left = False
            elif hours >= 0:
                record.sla_time_left = _(
                    "%(duration)s left", duration=format_duration(self.env, hours)
                )
            else:
                record.sla_time_left = _(
                    "%(duration)s late", duration=format_duration(self.env, -hours)
                )

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        # As superuser: the clock reads the contract's terms, which whoever creates the
        # document (a plain Maintenance user too) may not read (see the events below).
        records.filtered("contract_id").sudo()._sla_start_clocks()
        return records

    def write(self, vals):
        old_terms = {}
        if self._sla_term_triggers() & set(vals):
            old_terms = {record: record._sla_terms() for record in self}
        result = super().write(vals)
        if old_terms:
            changed = self.filtered(lambda r: old_terms[r] != r._sla_terms())
            changed.sudo()._sla_retarget(old_terms)
        return result

    def unlink(self):
        # No foreign key behind res_id: the clock goes with its document.
        self.sla_line_ids.sudo().unlink()
        self.sla_pause_ids.sudo().unlink()
        return super().unlink()

    # ------------------------------------------------------------------ hooks
    @api.model
    def _sla_term_fields(self):
        """Fields whose change recomputes the targets."""
        return ["contract_id", "severity"]

    @api.model
    def _sla_term_triggers(self):
        """Fields whose write may change the terms: the term fields and, for a stored
        computed term (a work order's contract follows its device), what it depends on.
        A write of the device alone must retarget as a write of the contract does."""
        triggers = set(self._sla_term_fields())
        for name in self._sla_term_fields():
            field = self._fields[name]
            if field.compute and field.store:
                triggers.update(dep.split(".")[0] for dep in field.get_depends(self)[0])
        return triggers

    def _sla_terms(self):
        self.ensure_one()
        return tuple(self[name] for name in self._sla_term_fields())

    def _sla_milestones(self, sla):
        """``(milestone, target hours)`` pairs the document's clock counts for this target."""
        self.ensure_one()
        return [("response", sla.response_hours), ("resolution", sla.resolution_hours)]

    def _sla_is_closed(self):
        """A closed document (resolved, cancelled) keeps its clock as it ended."""
        self.ensure_one()
        return False

    def _sla_clock_ended(self):
        """The clock ended (``_sla_close_unmet`` stamped its lines ``closed_at``), or the
        document is closed: no change of terms retargets it, even once it is reopened."""
        self.ensure_one()
        return self._sla_is_closed() or any(self.sla_line_ids.mapped("closed_at"))

    def _sla_company(self):
        self.ensure_one()
        if "company_id" in self._fields and self.company_id:
            return self.company_id
        return self.contract_id.company_id or self.env.company

    def _sla_customer(self):
        self.ensure_one()
        return self.contract_id.partner_id

    def _sla_warning_users(self):
        """Who gets an activity when a milestone is at risk."""
        self.ensure_one()
        return self.contract_id.user_id

    def _sla_breach_partners(self):
        """Who is notified of a breach."""
        self.ensure_one()
        return self.contract_id.user_id.partner_id

    # ------------------------------------------------------------------ clock
    def _sla_line_values(self, start):
        """One line per milestone from the contract's target for the document's severity."""
        self.ensure_one()
        sla = self.contract_id and self.contract_id._sla_for(self.severity)
        if not sla:
            return []
        return [
            {
                "res_model": self._name,
                "res_id": self.id,
                "company_id": self._sla_company().id,
                "contract_id": self.contract_id.id,
                "customer_id": self._sla_customer().id,
                "severity": self.severity,
                "milestone": milestone,
                "calendar_id": self.contract_id.resource_calendar_id.id,
                "target_hours": hours,
                "warning_percent": sla.warning_percent,
                "start_at": start,
            }
            for milestone, hours in self._sla_milestones(sla)
        ]

    def _sla_start_clocks(self, start=None):
        # The clock starts now (not create_date, which is the transaction's start time), or
        # at ``start`` for documents recorded after the fact (the demo's history).
        start = start or fields.Datetime.now()
        vals_list = []
        for record in self:
            vals_list += record._sla_line_values(start)
        Line = self.env["service.sla.line"].sudo()
        lines = Line.create(vals_list)
        lines._trigger_check()

    def _sla_retarget(self, old_terms):
        """The terms changed: new targets from the original start, keeping the paused time;
        the closed lines stay as they were, and a clock that ended is left alone."""
        Line = self.env["service.sla.line"].sudo()
        to_schedule = Line
        to_cancel = Line
        new_vals = []
        records = self.filtered(lambda r: not r._sla_clock_ended())
        paused_hours = records._sla_paused_hours()
        for record in records:
            lines = record.sla_line_ids.sudo()
            start = min(lines.mapped("start_at"), default=fields.Datetime.now())
            targets = {v["milestone"]: v for v in record._sla_line_values(start)}
            for values in targets.values():
                values["paused_hours"] = paused_hours[record]
            for line in lines.filtered(lambda line: not line.is_closed):
                values = targets.get(line.milestone)
                if not values:
                    to_cancel |= line
                    continue
                line.write(
                    {
                        key: values[key]
                        for key in (
                            "severity",
                            "calendar_id",
                            "target_hours",
                            "warning_percent",
                            "contract_id",
                            "customer_id",
                            "paused_hours",
                        )
                    }
                    | {
                        "state": "paused" if line.state == "paused" else "running",
                        "breached_at": False,
                    }
                )
                to_schedule |= line
            # A milestone cancelled earlier (e.g. the arrival of a work order that went
            # remote) gets a new line when the terms bring it back.
            done = set(lines.filtered(lambda line: line.state != "cancelled").mapped("milestone"))
            paused = bool(record.sla_pause_ids.filtered(lambda p: not p.end_at))
            new_vals += [
                v | {"state": "paused"} if paused else v
                for m, v in targets.items()
                if m not in done
            ]
            record._sla_post_note(
                _(
                    "SLA targets recomputed from the start of the clock (%(changes)s).",
                    changes=record._sla_describe_changes(old_terms[record]),
                )
            )
        to_cancel._cancel()
        to_schedule._schedule()
        created = Line.create(new_vals)
        (to_schedule | created)._trigger_check()
        self.env["service.ledger.entry"]._sla_retargeted(to_schedule | to_cancel, old_terms)

    def _sla_paused_hours(self):
        """The working time each document's clock already stood still (its closed pauses),
        counted in its contract's calendar: one calendar fetch per calendar."""
        result = dict.fromkeys(self, 0.0)
        for calendar, records in self.grouped(lambda r: r.contract_id.resource_calendar_id).items():
            if not calendar:
                continue
            spans = {
                record: [(p.start_at, p.end_at) for p in record.sla_pause_ids if p.end_at]
                for record in records
            }
            result.update(calendar._sla_hours_in_spans(spans))
        return result

    def _sla_describe_changes(self, old_terms):
        self.ensure_one()
        changes = []
        for name, old in zip(self._sla_term_fields(), old_terms, strict=True):
            new = self[name]
            if old != new:
                field = self._fields[name]
                changes.append(
                    f"{field._description_string(self.env)}: "
                    f"{self._sla_display(field, old)} → {self._sla_display(field, new)}"
                )
        return "; ".join(changes)

    def _sla_display(self, field, value):
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value or _("none"))
        if field.type == "boolean":
            return _("yes") if value else _("no")
        if isinstance(value, models.BaseModel):
            return value.display_name or _("none")
        return str(value)

    # The clock is bookkeeping of its document: whoever may act on the document (a
    # Maintenance user without a Device Service group too) moves its clock, so the events
    # read and write the lines and pauses as superuser.

    def _sla_meet(self, milestone, when):
        """The event of ``milestone`` happened at ``when``."""
        lines = self.sudo().sla_line_ids.filtered(
            lambda line: line.milestone == milestone
            and line.state in OPEN_STATES
            and not line.is_closed
        )
        if lines:
            lines._meet(when)
            lines._ledger_accrue()

    def _sla_pause(self, reason, when=None):
        """Stop the clocks of these documents (those not already paused)."""
        when = when or fields.Datetime.now()
        entering = self.sudo().filtered(
            lambda r: not r.sla_pause_ids.filtered(lambda p: not p.end_at)
        )
        self.env["service.sla.pause"].sudo().create(
            [
                {
                    "res_model": r._name,
                    "res_id": r.id,
                    "company_id": r._sla_company().id,
                    "start_at": when,
                    "reason": reason,
                }
                for r in entering
            ]
        )
        entering.sla_line_ids.filtered(lambda line: line.state in TICKING_STATES)._pause()

    def _sla_resume(self, when=None):
        """Restart the clocks stopped by an open pause; deadlines move by the paused time."""
        when = when or fields.Datetime.now()
        documents = self.sudo()
        pauses = documents.sla_pause_ids.filtered(lambda p: not p.end_at)
        pauses.write({"end_at": when})
        # Documents paused at the same instant (a batch moved together) resume together.
        for start, group in pauses.grouped("start_at").items():
            paused_ids = set(group.mapped("res_id"))
            documents.sla_line_ids.filtered(
                lambda line, ids=paused_ids: line.state == "paused" and line.res_id in ids
            )._resume(start, when)

    def _sla_close_unmet(self, when):
        """The clocks of these documents end at ``when`` (resolved or cancelled): the
        milestones not due yet no longer count (cancelled); those missed stay breached,
        their lateness final at ``when`` (accrued now, never again by the period job). The
        lines of an ended clock are stamped ``closed_at``; a clock that ended before keeps
        its stamp and its figures."""
        lines = self.sudo().sla_line_ids.filtered(lambda line: not line.closed_at)
        overdue = lines.filtered(
            lambda line: line.state in TICKING_STATES and line.deadline and line.deadline <= when
        )
        # Missed before the detection job noticed: a breach like any other.
        overdue._check_due(when)
        lines.filtered(lambda line: line.state in (*TICKING_STATES, "paused"))._cancel()
        missed = lines.filtered(lambda line: line.state == "breached")
        lines.write({"closed_at": when, "next_check_at": False})
        missed._ledger_accrue(final_at=when)

    def _sla_cancel(self):
        """The document was cancelled: its clock ends now, as when it is resolved without
        its milestones (a milestone missed stays missed, its lateness final now)."""
        documents = self.sudo()
        now = fields.Datetime.now()
        documents.sla_pause_ids.filtered(lambda p: not p.end_at).write({"end_at": now})
        documents._sla_close_unmet(now)

    # ------------------------------------------------------------------ notifications
    def _sla_post_note(self, body, partner_ids=None):
        if hasattr(self, "message_post"):
            self.message_post(
                body=body, partner_ids=partner_ids or [], subtype_xmlid="mail.mt_note"
            )

    def _notify_sla_warning(self, lines):
        """One activity per document and user who should act, naming the milestones at
        risk, when the document carries activities."""
        if not hasattr(self, "activity_schedule"):
            return
        by_document = lines.grouped("res_id")
        for record in self.filtered(lambda r: r.id in by_document):
            summary = "; ".join(
                record.env._(
                    "SLA at risk: %(milestone)s due %(deadline)s",
                    milestone=line._milestone_label(line.milestone),
                    deadline=line._format_deadline(),
                )
                for line in by_document[record.id]
            )
            for user in record._sla_warning_users():
                record.activity_schedule(
                    act_type_xmlid=SLA_AT_RISK_ACTIVITY,
                    date_deadline=fields.Date.context_today(record),
                    summary=summary,
                    user_id=user.id,
                )

    def _notify_sla_breach(self, lines):
        """One chatter post per document, naming each milestone that passed its deadline."""
        by_document = lines.grouped("res_id")
        for record in self.filtered(lambda r: r.id in by_document):
            sentences = [
                record.env._(
                    "SLA breached: the %(milestone)s target (%(hours)s working hours) passed its "
                    "deadline %(deadline)s.",
                    milestone=line._milestone_label(line.milestone),
                    hours=line.target_hours,
                    deadline=line._format_deadline(),
                )
                for line in by_document[record.id]
            ]
            body = Markup("<br/>").join(sentences)
            record._sla_post_note(body, partner_ids=record._sla_breach_partners().ids)
            if hasattr(record, "activity_feedback"):
                # The warning turned into the breach: its "at risk" to-dos are done, with the
                # breach as their feedback, rather than left open after the deadline.
                record.activity_feedback([SLA_AT_RISK_ACTIVITY], feedback=body)
