from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .service_contract_sla import SEVERITIES

# Core kanban stars (priority) for each severity, and back.
SEVERITY_PRIORITY = {"p1": "3", "p2": "2", "p3": "1", "p4": "0"}
PRIORITY_SEVERITY = {v: k for k, v in SEVERITY_PRIORITY.items()}


class MaintenanceRequest(models.Model):
    _name = "maintenance.request"
    _inherit = ["maintenance.request", "service.sla.mixin"]

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

    @api.depends("equipment_id")
    def _compute_customer_id(self):
        for request in self:
            if request.equipment_id.customer_id:
                request.customer_id = request.equipment_id.customer_id

    @api.depends("equipment_id", "request_date")
    def _compute_contract_id(self):
        for request in self:
            day = request.request_date or fields.Date.context_today(request)
            # As superuser: the contract covering the device is a fact of the device, found
            # for any user who may open a work order on it, contract reader or not.
            device = request.equipment_id.sudo()
            request.contract_id = device._active_contract_on(day) if device else False

    @api.onchange("severity")
    def _onchange_severity(self):
        self.priority = SEVERITY_PRIORITY[self.severity]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._sync_severity_priority(vals)
        requests = super().create(vals_list)
        # A work order created straight into a flagged stage (waiting, in progress, done)
        # gets what a move into that stage would give it.
        flagged = requests.filtered(
            lambda r: (r.stage_id.pauses_sla or r.stage_id.starts_work or r.stage_id.is_resolved)
            and r.sla_line_ids
        )
        for stage, stage_requests in flagged.grouped("stage_id").items():
            stage_requests._sla_on_stage_change(stage, self.browse())
        return requests

    def write(self, vals):
        self._sync_severity_priority(vals)
        stage = self.env["maintenance.stage"].browse(vals.get("stage_id"))
        leaving_pause = self.filtered(lambda r: r.stage_id.pauses_sla) if stage else self.browse()
        result = super().write(vals)
        if stage:
            self._sla_on_stage_change(stage, leaving_pause)
        if vals.get("archive"):
            self._sla_cancel()
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

    # ------------------------------------------------------------------ SLA clock hooks
    @api.model
    def _sla_term_fields(self):
        # On site or remote decides whether there is an arrival milestone.
        return [*super()._sla_term_fields(), "is_on_site"]

    def _sla_milestones(self, sla):
        milestones = super()._sla_milestones(sla)
        if self.is_on_site and sla.arrival_hours:
            milestones.insert(1, ("arrival", sla.arrival_hours))
        return milestones

    def _sla_is_cancelled(self):
        return self.archive

    def _sla_customer(self):
        return self.customer_id or super()._sla_customer()

    def _sla_warning_users(self):
        """The assignee and the team manager (the account manager when there is neither)."""
        users = self.user_id | self.maintenance_team_id.manager_id
        return users or super()._sla_warning_users()

    def _sla_breach_partners(self):
        manager = self.maintenance_team_id.manager_id
        return manager.partner_id if manager else super()._sla_breach_partners()

    def _sla_on_stage_change(self, stage, leaving_pause):
        now = fields.Datetime.now()
        if stage.pauses_sla:
            self._sla_pause(stage.pause_reason, now)
            return
        leaving_pause._sla_resume(now)
        if stage.starts_work or stage.is_resolved:
            self._sla_meet("response", now)
        if stage.is_resolved:
            self._sla_meet("resolution", now)
