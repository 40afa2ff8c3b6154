"""Parts approval: a part the customer pays for above the team's approval limit, or at a
price the contract does not lock, waits for the team manager, who approves or refuses it
with a reason; only approved parts leave the shelf. The time to approve is kept (a KPI).
Same model as maintenance_request_part.py."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.groups import MANAGER

# What may not change on an approved part without asking again.
APPROVED_FIELDS = {"product_id", "quantity", "is_chargeable"}


class MaintenanceRequestPart(models.Model):
    _inherit = "maintenance.request.part"

    approval_requested_at = fields.Datetime(readonly=True, copy=False)
    approved_at = fields.Datetime(readonly=True, copy=False)
    approved_by_id = fields.Many2one("res.users", string="Approved By", readonly=True, copy=False)
    approval_hours = fields.Float(
        string="Time to Approve",
        readonly=True,
        copy=False,
        help="Hours from the request to the manager's decision.",
    )
    refusal_reason = fields.Char(readonly=True, copy=False)

    @api.model_create_multi
    def create(self, vals_list):
        parts = super().create(vals_list)
        parts.filtered(lambda part: part.state == "draft")._request_approval_if_needed()
        return parts

    def write(self, vals):
        result = super().write(vals)
        if APPROVED_FIELDS & vals.keys() and not self.env.context.get("bds_approving"):
            self.filtered(lambda part: part.state == "draft")._request_approval_if_needed()
        return result

    # ------------------------------------------------------------------ the rule
    def _needs_approval(self):
        """On a team that approves parts: chargeable, and above the team's approval limit
        or not at a price the customer's contract locks."""
        self.ensure_one()
        request = self.request_id
        team = request.maintenance_team_id
        if not team.approve_parts or not self.is_chargeable or not self.product_id:
            return False
        limit = team.part_approval_limit
        if self.currency_id.compare_amounts(self.price_subtotal, limit) > 0:
            return True
        if request.contract_id and request.customer_id:
            day = request.request_date or fields.Date.context_today(self)
            locks = self.env["service.contract.price.lock"]._find_locks(
                request.customer_id, self.product_id, day, request.company_id or self.env.company
            )
            return self.product_id not in locks
        return False

    def _request_approval_if_needed(self):
        waiting = self.filtered(lambda part: part._needs_approval())
        if not waiting:
            return
        waiting.with_context(bds_approving=True).write(
            {
                "state": "to_approve",
                "approval_requested_at": fields.Datetime.now(),
                "approved_at": False,
                "approved_by_id": False,
            }
        )
        for request, parts in waiting.grouped("request_id").items():
            manager = request.maintenance_team_id.manager_id
            lines = ", ".join(
                f"{part.product_id.display_name} × {part.quantity:g}" for part in parts
            )
            note = _(
                "Parts to approve on %(request)s: %(parts)s", request=request.name, parts=lines
            )
            if manager:
                request.sudo().activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=_("Approve parts"),
                    note=note,
                    user_id=manager.id,
                )
            request.sudo().message_post(body=note, subtype_xmlid="mail.mt_note")

    # ------------------------------------------------------------------ decisions
    def action_approve(self):
        self._check_approver()
        parts = self.filtered(lambda part: part.state == "to_approve")
        if not parts:
            raise UserError(_("These parts are not waiting for approval."))
        now = fields.Datetime.now()
        for part in parts:
            part.with_context(bds_approving=True).sudo().write(
                {
                    "state": "draft",
                    "approved_at": now,
                    "approved_by_id": self.env.user.id,
                    "approval_hours": part._hours_since_request(now),
                    "refusal_reason": False,
                }
            )
        parts._post_decision(_("approved"))
        parts._close_approval_activities()
        return True

    def action_refuse(self, reason):
        self._check_approver()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Say why the part is refused: the technician reads it."))
        parts = self.filtered(lambda part: part.state == "to_approve")
        if not parts:
            raise UserError(_("These parts are not waiting for approval."))
        now = fields.Datetime.now()
        for part in parts:
            part.with_context(bds_approving=True).sudo().write(
                {
                    "state": "refused",
                    "refusal_reason": reason,
                    "approval_hours": part._hours_since_request(now),
                }
            )
        parts._post_decision(_("refused: %(reason)s", reason=reason))
        parts._close_approval_activities()
        return True

    def action_open_refuse(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Refuse Parts"),
            "res_model": "maintenance.request.part.refuse",
            "view_mode": "form",
            "target": "new",
            "context": {"default_part_ids": self.ids},
        }

    def _check_approver(self):
        """The team manager of the work order, or a Device Service manager."""
        user = self.env.user
        if self.env.su or user.has_group(MANAGER):
            return
        for part in self:
            if part.request_id.maintenance_team_id.manager_id != user:
                raise AccessError(
                    _(
                        "Only the manager of team %(team)s or a Device Service manager approves "
                        "parts.",
                        team=part.request_id.maintenance_team_id.name or _("(none)"),
                    )
                )

    def _hours_since_request(self, now):
        self.ensure_one()
        if not self.approval_requested_at:
            return 0.0
        return max((now - self.approval_requested_at).total_seconds() / 3600, 0.0)

    def _post_decision(self, decision):
        for request, parts in self.grouped("request_id").items():
            request.sudo().message_post(
                body=_(
                    "%(parts)s %(decision)s by %(user)s.",
                    parts=", ".join(parts.product_id.mapped("display_name")),
                    decision=decision,
                    user=self.env.user.name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _close_approval_activities(self):
        requests = self.request_id.filtered(
            lambda r: not r.part_ids.filtered(lambda part: part.state == "to_approve")
        )
        activities = requests.sudo().activity_ids.filtered(
            lambda a: a.summary == _("Approve parts")
        )
        activities.action_feedback(feedback=_("Decided."))
