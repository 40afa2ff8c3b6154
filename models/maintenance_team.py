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
    currency_id = fields.Many2one(related="company_id.currency_id")
    # Off by default: a team's technicians consume parts as before until its manager asks
    # to approve them.
    approve_parts = fields.Boolean(
        string="Parts Need Approval",
        help="Chargeable parts above the approval limit, and parts at a price the customer's "
        "contract does not lock, wait for the team manager's approval before they are used.",
    )
    part_approval_limit = fields.Monetary(
        string="Parts Approval Limit",
        help="A chargeable part above this amount waits for the team manager's approval "
        "(0: every chargeable part).",
    )
