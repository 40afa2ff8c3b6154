from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .service_contract_sla import SEVERITIES

# Core kanban stars (priority) for each severity, and back.
SEVERITY_PRIORITY = {"p1": "3", "p2": "2", "p3": "1", "p4": "0"}
PRIORITY_SEVERITY = {v: k for k, v in SEVERITY_PRIORITY.items()}
# Worst first: the work order's SLA status shows its worst milestone.
SLA_STATUS_ORDER = ["breached", "warning", "paused", "running", "met_late", "met", "cancelled"]


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    customer_id = fields.Many2one(
        "res.partner",
        compute="_compute_customer_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        tracking=True,
    )
    contract_id = fields.Many2one(
        "service.contract",
        compute="_compute_contract_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('state', '=', 'active'), ('device_ids', 'in', equipment_id)]",
    )
    severity = fields.Selection(SEVERITIES, default="p3", required=True, tracking=True)
    channel = fields.Selection(
        [
            ("backend", "Service Desk"),
            ("portal", "Portal"),
            ("email", "E-mail"),
            ("phone", "Phone"),
            ("device_alert", "Device Alert"),
        ],
        string="Intake Channel",
        default="backend",
        required=True,
    )
    is_on_site = fields.Boolean(string="On Site", tracking=True)
    checked_in_at = fields.Datetime(string="Checked In", readonly=True, copy=False)
    checked_in_user_id = fields.Many2one(
        "res.users", string="Checked In By", readonly=True, copy=False
    )
    sla_line_ids = fields.One2many("service.sla.line", "request_id", string="SLA", copy=False)
    sla_pause_ids = fields.One2many(
        "service.sla.pause", "request_id", string="SLA Pauses", copy=False
    )
    sla_status = fields.Selection(
        [
            ("breached", "Breached"),
            ("warning", "At Risk"),
            ("paused", "Paused"),
            ("running", "Running"),
            ("met_late", "Met Late"),
            ("met", "Met"),
            ("cancelled", "Cancelled"),
        ],
        string="SLA Status",
        compute="_compute_sla_status",
        store=True,
        index="btree_not_null",
    )

    @api.depends("equipment_id")
    def _compute_customer_id(self):
        for request in self:
            if request.equipment_id.customer_id:
                request.customer_id = request.equipment_id.customer_id

    @api.depends("equipment_id", "request_date")
    def _compute_contract_id(self):
        Contract = self.env["service.contract"]
        devices = self.equipment_id
        contracts = (
            Contract.search([("state", "=", "active"), ("device_ids", "in", devices.ids)])
            if devices
            else Contract
        )
        for request in self:
            day = request.request_date or fields.Date.context_today(request)
            request.contract_id = contracts.filtered(
                lambda c, r=request, d=day: r.equipment_id in c.device_ids
                and c.date_start <= d <= c.date_end
            )[:1]

    @api.depends("sla_line_ids.state")
    def _compute_sla_status(self):
        for request in self:
            states = set(request.sla_line_ids.mapped("state"))
            request.sla_status = next((s for s in SLA_STATUS_ORDER if s in states), False)

    @api.onchange("severity")
    def _onchange_severity(self):
        self.priority = SEVERITY_PRIORITY[self.severity]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._sync_severity_priority(vals)
        requests = super().create(vals_list)
        requests.filtered("contract_id")._sla_start_clocks()
        return requests

    def write(self, vals):
        self._sync_severity_priority(vals)
        stage = self.env["maintenance.stage"].browse(vals.get("stage_id"))
        leaving_pause = self.filtered(lambda r: r.stage_id.pauses_sla) if stage else self.browse()
        old_terms = {r: (r.severity, r.contract_id) for r in self}
        result = super().write(vals)
        if "severity" in vals or "contract_id" in vals:
            self.filtered(lambda r: old_terms[r] != (r.severity, r.contract_id))._sla_retarget(
                old_terms
            )
        if stage:
            self._sla_on_stage_change(stage, leaving_pause)
        if vals.get("archive"):
            self.sla_line_ids.filtered(lambda line: line.state not in ("met", "met_late")).write(
                {"state": "cancelled", "next_check_at": False}
            )
        return result

    @api.model
    def _sync_severity_priority(self, vals):
        """Keep the kanban stars and the severity telling the same story."""
        if vals.get("severity"):
            vals["priority"] = SEVERITY_PRIORITY[vals["severity"]]
        elif vals.get("priority") in PRIORITY_SEVERITY:
            vals["severity"] = PRIORITY_SEVERITY[vals["priority"]]

    def message_post(self, **kwargs):
        """A public reply of an internal user to the customer is the first response."""
        message = super().message_post(**kwargs)
        if (
            message.message_type == "comment"
            and message.subtype_id == self.env.ref("mail.mt_comment")
            and self.env.user._is_internal()
            and not self.env.user._is_public()
        ):
            self._sla_meet("response", fields.Datetime.now())
        return message

    def action_check_in(self):
        """The technician arrived on site: meets the arrival target."""
        now = fields.Datetime.now()
        for request in self:
            if not request.is_on_site:
                raise UserError(
                    _(
                        "Work order %(name)s is handled remotely: there is no on-site arrival "
                        "to check in.",
                        name=request.name,
                    )
                )
            if request.checked_in_at:
                raise UserError(_("Work order %(name)s is already checked in.", name=request.name))
        self.write({"checked_in_at": now, "checked_in_user_id": self.env.user.id})
        self._sla_meet("arrival", now)
        for request in self:
            request.message_post(
                body=_("%(user)s checked in on site.", user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        return True

    # ------------------------------------------------------------------ SLA clock
    def _sla_line_values(self, start):
        """One line per milestone from the contract's target for the request's severity."""
        self.ensure_one()
        sla = self.contract_id._sla_for(self.severity)
        if not sla:
            return []
        targets = [("response", sla.response_hours), ("resolution", sla.resolution_hours)]
        if self.is_on_site and sla.arrival_hours:
            targets.insert(1, ("arrival", sla.arrival_hours))
        return [
            {
                "request_id": self.id,
                "severity": self.severity,
                "milestone": milestone,
                "calendar_id": self.contract_id.resource_calendar_id.id,
                "target_hours": hours,
                "warning_percent": sla.warning_percent,
                "start_at": start,
            }
            for milestone, hours in targets
        ]

    def _sla_start_clocks(self):
        # The clock starts now (not create_date, which is the transaction's start time).
        now = fields.Datetime.now()
        vals_list = []
        for request in self:
            vals_list += request._sla_line_values(now)
        lines = self.env["service.sla.line"].sudo().create(vals_list)
        lines._schedule()
        lines._trigger_check()

    def _sla_retarget(self, old_terms):
        """Severity or contract changed: new targets from the original start, keeping the
        paused time; the lines already met stay as they were."""
        Line = self.env["service.sla.line"].sudo()
        to_schedule = Line
        for request in self:
            open_lines = request.sla_line_ids.filtered(
                lambda line: line.state not in ("met", "met_late", "cancelled")
            )
            start = request.sla_line_ids[:1].start_at or fields.Datetime.now()
            new_values = {v["milestone"]: v for v in request._sla_line_values(start)}
            for line in open_lines:
                values = new_values.get(line.milestone)
                if not values:
                    line.write({"state": "cancelled", "next_check_at": False})
                    continue
                state = "paused" if line.state == "paused" else "running"
                line.write(
                    {
                        "severity": values["severity"],
                        "calendar_id": values["calendar_id"],
                        "target_hours": values["target_hours"],
                        "warning_percent": values["warning_percent"],
                        "state": state,
                        "breached_at": False,
                    }
                )
                to_schedule |= line
            met = request.sla_line_ids.mapped("milestone")
            missing = [v for m, v in new_values.items() if m not in met]
            to_schedule |= Line.create(missing)
            old_severity, old_contract = old_terms[request]
            request.message_post(
                body=_(
                    "SLA targets recomputed from the work order's start: severity %(old)s → "
                    "%(new)s, contract %(old_contract)s → %(new_contract)s.",
                    old=dict(SEVERITIES)[old_severity],
                    new=dict(SEVERITIES)[request.severity],
                    old_contract=old_contract.name or _("none"),
                    new_contract=request.contract_id.name or _("none"),
                ),
                subtype_xmlid="mail.mt_note",
            )
        to_schedule._schedule()
        to_schedule.filtered(lambda line: line.state == "paused")._pause()
        to_schedule._trigger_check()

    def _sla_meet(self, milestone, when):
        lines = self.sla_line_ids.filtered(
            lambda line: line.milestone == milestone
            and line.state in ("running", "warning", "breached")
        )
        if lines:
            lines.sudo()._meet(when)

    def _sla_on_stage_change(self, stage, leaving_pause):
        now = fields.Datetime.now()
        Pause = self.env["service.sla.pause"].sudo()
        if stage.pauses_sla:
            entering = self.filtered(lambda r: not r.sla_pause_ids.filtered(lambda p: not p.end_at))
            Pause.create(
                [
                    {"request_id": r.id, "start_at": now, "reason": stage.pause_reason}
                    for r in entering
                ]
            )
            entering.sla_line_ids.filtered(
                lambda line: line.state in ("running", "warning")
            ).sudo()._pause()
            return
        for request in leaving_pause:
            pause = request.sla_pause_ids.filtered(lambda p: not p.end_at)
            if pause:
                pause.end_at = now
                request.sla_line_ids.filtered(lambda line: line.state == "paused").sudo()._resume(
                    pause.start_at, now
                )
        if stage.starts_work or stage.is_resolved:
            self._sla_meet("response", now)
        if stage.is_resolved:
            self._sla_meet("resolution", now)

    def _notify_sla_warning(self, lines):
        """An activity for the assignee and the team manager (the account manager when the
        work order has neither)."""
        for line in lines:
            request = line.request_id
            users = request.user_id | request.maintenance_team_id.manager_id
            milestone = line._milestone_label(line.milestone)
            for user in users or request.contract_id.user_id:
                request.activity_schedule(
                    act_type_xmlid="mail.mail_activity_data_todo",
                    date_deadline=fields.Date.context_today(request),
                    summary=_(
                        "SLA at risk: %(milestone)s due %(deadline)s",
                        milestone=milestone,
                        deadline=line._format_deadline(),
                    ),
                    user_id=user.id,
                )

    def _notify_sla_breach(self, lines):
        for line in lines:
            request = line.request_id
            manager = request.maintenance_team_id.manager_id or request.contract_id.user_id
            request.message_post(
                body=_(
                    "SLA breached: the %(milestone)s target (%(hours)s working hours) passed its "
                    "deadline %(deadline)s.",
                    milestone=line._milestone_label(line.milestone),
                    hours=line.target_hours,
                    deadline=line._format_deadline(),
                ),
                partner_ids=manager.partner_id.ids,
                subtype_xmlid="mail.mt_note",
            )
