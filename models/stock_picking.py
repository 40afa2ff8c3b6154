from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _send_confirmation_email(self):
        """A "Service parts" transfer is the stock record of the technician's work on the
        work order, not a delivery: the customer gets no delivery e-mail for each part (the
        work order's chatter tells them what was done)."""
        service_parts_types = self.picking_type_id.warehouse_id.service_parts_type_id
        return super(
            StockPicking, self.filtered(lambda p: p.picking_type_id not in service_parts_types)
        )._send_confirmation_email()
