from odoo import fields, models


class MaintenanceRequestEscalate(models.TransientModel):
    """Escalate a work order to another team (a specialist, a second line), with a reason;
    every SLA clock goes on."""

    _name = "maintenance.request.escalate"
    _description = "Escalate a Work Order"

    request_id = fields.Many2one("maintenance.request", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="request_id.company_id")
    team_id = fields.Many2one(
        "maintenance.team",
        string="To Team",
        required=True,
        domain="[('company_id', 'in', [company_id, False])]",
    )
    reason = fields.Text(required=True)

    def action_apply(self):
        self.ensure_one()
        self.request_id._escalate(self.team_id, self.reason)
        return {"type": "ir.actions.act_window_close"}
