from odoo import fields, models


class MaintenanceTeam(models.Model):
    _inherit = "maintenance.team"

    manager_id = fields.Many2one(
        "res.users",
        string="Team Manager",
        domain="[('share', '=', False)]",
        help="Warned before an SLA breach and notified when one happens.",
    )
