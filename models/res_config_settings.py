from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    service_desk_phone = fields.Char(related="company_id.service_desk_phone", readonly=False)
    service_followup_days = fields.Integer(
        related="company_id.service_followup_days", readonly=False
    )
