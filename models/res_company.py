from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    service_desk_phone = fields.Char(
        help="Printed on device labels; the company phone is used when empty.",
    )
    service_followup_days = fields.Integer(
        string="Follow-up After (days)",
        default=7,
        help="A resolved P1 or P2 work order gives its account manager an after-repair call "
        "to make this many days later; 0: no follow-up.",
    )
