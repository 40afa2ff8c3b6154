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
    def _parts_needing_approval(self):
        """The parts of these that wait for approval: on a team that approves parts,
        chargeable, and above the team's limit or not at a price the customer's contract
        locks (the locks read once per work order, for all its parts)."""
        needing = self.browse()
        for request, lines in self.grouped("request_id").items():
            team = request.maintenance_team_id
            parts = lines.filtered(lambda part: part.is_chargeable and part.product_id)
            if not team.approve_parts or not parts:
                continue
            locks = {}
            if request.contract_id and request.customer_id:
                locks = self.env["service.contract.price.lock"]._find_locks(
                    request.customer_id,
                    parts.product_id,
                    request.request_date or fields.Date.context_today(self),
                    request.company_id or self.env.company,
                )
            for part in parts:
                above = (
                    part.currency_id.compare_amounts(part.price_subtotal, team.part_approval_limit)
                    > 0
                )
                unlocked = bool(request.contract_id) and part.product_id not in locks
                if above or unlocked:
                    needing |= part
        return needing

    def _request_approval_if_needed(self):
        waiting = self._parts_needing_approval()
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
        self._decide("draft", _("approved"), {"approved_by_id": self.env.user.id})
        return True

    def action_refuse(self, reason):
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Say why the part is refused: the technician reads it."))
        self._decide("refused", _("refused: %(reason)s", reason=reason), {"refusal_reason": reason})
        return True

    def _decide(self, state, decision, vals):
        """The team manager's decision on the parts waiting among these: ``state`` with
        ``vals``, the time it took, a note and the approval activity closed."""
        self._check_approver()
        parts = self.filtered(lambda part: part.state == "to_approve")
        if not parts:
            raise UserError(_("These parts are not waiting for approval."))
        now = fields.Datetime.now()
        approved = {"approved_at": now, "refusal_reason": False} if state == "draft" else {}
        for part in parts:
            # sudo: the decision is the approver's (checked above), not a write of the line.
            part.with_context(bds_approving=True).sudo().write(
                {
                    **approved,
                    **vals,
                    "state": state,
                    "approval_hours": part._hours_since_request(now),
                }
            )
        parts._post_decision(decision)
        parts._close_approval_activities()

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
