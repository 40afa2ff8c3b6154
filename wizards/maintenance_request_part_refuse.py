from odoo import fields, models


class MaintenanceRequestPartRefuse(models.TransientModel):
    """The team manager refuses parts waiting for approval, saying why."""

    _name = "maintenance.request.part.refuse"
    _description = "Refuse Work Order Parts"

    part_ids = fields.Many2many("maintenance.request.part", string="Parts", required=True)
    reason = fields.Char(required=True)

    def action_apply(self):
        self.ensure_one()
        self.part_ids.action_refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
