from odoo import fields, models


class StockLocation(models.Model):
    _inherit = "stock.location"

    # Odoo 18.0 has no negative-stock setting of its own: a van or a consignment shelf
    # whose parts are used before their receipt is recorded opts in here.
    allow_negative_stock = fields.Boolean(
        help="Parts used on work orders may be taken from this location beyond its quantity "
        "on hand (the quantity goes negative until the receipt is recorded).",
    )
