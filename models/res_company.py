from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    service_desk_phone = fields.Char(
        help="Printed on device labels; the company phone is used when empty.",
    )
