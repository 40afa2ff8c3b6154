from odoo import api, fields, models

from .service_contract_price_lock import LOCK_BILLING_MOVE_TYPES, LOCK_REFUND_MOVE_TYPES


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    @api.depends("product_id", "product_uom_id")
    def _compute_price_unit(self):
        """Core's price first; then a customer line of a part under a price lock of the
        customer's active contract takes the locked price instead.

        A draft invoice thus proposes what posting will accept, and whatever creates invoice
        lines without a price (the invoice of a work order) gets the locked price. Only the
        lines core prices are touched (not imported ones), with one lock search per batch.
        """
        super()._compute_price_unit()
        lines = self.filtered(
            lambda line: line.product_id
            and line.display_type == "product"
            and not line.is_imported
            and line.move_id.move_type in LOCK_BILLING_MOVE_TYPES + LOCK_REFUND_MOVE_TYPES
            and line.move_id.commercial_partner_id
        )
        for line, (lock, price) in lines._price_lock_allowed_prices().items():
            line.price_unit = price

    def _price_lock_allowed_prices(self):
        """``{line: (lock, unit price the lock allows on the line)}`` for those of these
        customer lines whose part is under a price lock; one lock search for all of them.

        The allowed price is the locked price in the line's unit of measure and the invoice's
        currency at the invoice date (today for an undated draft), with the fiscal position's
        tax mapping applied as core applies it to the product's sales price. It is worked out
        once per lock, invoice and unit of measure, not per line.
        """
        today = fields.Date.context_today(self)
        dates = {move: move.invoice_date or today for move in self.move_id}
        requests = {
            line: (
                line.move_id.commercial_partner_id,
                line.product_id,
                dates[line.move_id],
                line.move_id.company_id,
            )
            for line in self
        }
        locks = self.env["service.contract.price.lock"]._get_price_locks(requests.values())
        prices, result = {}, {}
        for line, request in requests.items():
            lock = locks[request]
            if not lock:
                continue
            move = line.move_id
            key = (lock, move, line.product_uom_id)
            if key not in prices:
                prices[key] = line.product_id._get_tax_included_unit_price(
                    move.company_id,
                    move.currency_id,
                    dates[move],
                    "sale",
                    product_uom=line.product_uom_id,
                    product_currency=lock.currency_id,
                    product_price_unit=lock.price_unit,
                    fiscal_position=move.fiscal_position_id,
                )
            result[line] = (lock, prices[key])
        return result
