from odoo import fields, models


class MaintenanceTeam(models.Model):
    _inherit = "maintenance.team"

    manager_id = fields.Many2one(
        "res.users",
        string="Team Manager",
        domain="[('share', '=', False)]",
        help="Warned before an SLA breach and notified when one happens.",
    )
    auto_dispatch = fields.Boolean(
        string="Dispatch Automatically",
        help="A new work order without a technician is assigned at once to the region's "
        "technician with the device model's skills, at work now, with the lowest open load.",
    )
    region_ids = fields.One2many("service.region", "team_id", string="Regions")
