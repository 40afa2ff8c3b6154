from odoo import api, fields, models

from .service_contract_price_lock import LOCK_BILLING_MOVE_TYPES, LOCK_REFUND_MOVE_TYPES
from .service_ledger_entry import ENTRY_KINDS


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    # The kind of ledger entries a settlement line nets (one line per kind): the entries of
    # the kind are linked to it when the move is posted.
    service_ledger_kind = fields.Selection(
        ENTRY_KINDS, string="Ledger Kind", copy=False, readonly=True
    )
    # The work-order parts this line bills (one in practice): no part is billed twice.
    service_part_ids = fields.One2many("maintenance.request.part", "invoice_line_id")

    @api.depends("product_id", "product_uom_id")
    def _compute_price_unit(self):
        """Core's price first; then a customer line of a part under a price lock of the
        customer's active contract takes the locked price instead.

        A draft invoice thus proposes what posting will accept, and whatever creates invoice
        lines without a price (the invoice of a work order) gets the locked price. Only the
        lines core prices are touched (not imported ones), with one lock search per batch.
        """
        res = super()._compute_price_unit()
        lines = self.filtered(
            lambda line: line.product_id
            and line.display_type == "product"
            and not line.is_imported
            and line.move_id.move_type in LOCK_BILLING_MOVE_TYPES + LOCK_REFUND_MOVE_TYPES
            and line.move_id.commercial_partner_id
        )
        for line, (_lock, price) in lines._price_lock_allowed_prices().items():
            line.price_unit = price
        return res

    def _copy_data_extend_business_fields(self, values):
        """A reversal of a settlement, and the new draft of *Reverse and create a new draft*,
        keep the kind of each line: they are checked against the settlement when posted."""
        result = super()._copy_data_extend_business_fields(values)
        values["service_ledger_kind"] = self.service_ledger_kind
        return result

    def _price_lock_allowed_prices(self):
        """``{line: (lock, unit price the lock allows on the line)}`` for those of these
        customer lines whose part is under a price lock; one lock search for all of them.

        The allowed price is worked out once per lock, invoice and unit of measure, on the
        invoice date (today for an undated draft), not per line.
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
                prices[key] = line._price_lock_allowed_price(lock, dates[move])
            result[line] = (lock, prices[key])
        return result

    def _price_lock_allowed_price(self, lock, date):
        """The unit price ``lock`` allows on this line: the locked price in the line's unit of
        measure, with the fiscal position's tax mapping, in the invoice's currency at ``date``
        — the steps and order core applies to the product's sales price
        (``product.product._get_tax_included_unit_price``), without reading the product's
        taxes when there is no fiscal position to map them."""
        self.ensure_one()
        move, product = self.move_id, self.product_id
        price = lock.price_unit
        if self.product_uom_id and self.product_uom_id != product.uom_id:
            price = product.uom_id._compute_price(price, self.product_uom_id)
        if move.fiscal_position_id:
            price = product._get_tax_included_unit_price_from_price(
                price,
                product.taxes_id.filtered(lambda tax: tax.company_id == move.company_id),
                fiscal_position=move.fiscal_position_id,
            )
        return lock.currency_id._convert(
            price, move.currency_id, move.company_id, date, round=False
        )

    def _is_covered_service_part(self):
        """A part a work order used under warranty or contract cover: it is shown at zero,
        not billed, so no price lock applies to it."""
        self.ensure_one()
        # sudo: whoever posts the invoice need not read work orders.
        parts = self.sudo().service_part_ids
        return bool(parts) and not any(parts.mapped("is_chargeable"))
