from odoo import api, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    @api.model
    def name_search(self, name="", args=None, operator="ilike", limit=100):
        """On a work order, the spare parts compatible with its device model come first
        (context key ``compatible_with_product_id``, the device's product): the technician
        on a phone finds the right part at the top of a short list."""
        device_product = self.env["product.product"].browse(
            self.env.context.get("compatible_with_product_id")
        )
        compatible = device_product.exists().product_tmpl_id.compatible_part_ids
        if not compatible:
            return super().name_search(name, args, operator, limit)
        first = super().name_search(
            name, [*(args or []), ("id", "in", compatible.ids)], operator, limit
        )
        if limit and len(first) >= limit:
            return first
        rest = super().name_search(
            name,
            [*(args or []), ("id", "not in", [product_id for product_id, _name in first])],
            operator,
            limit and limit - len(first),
        )
        return first + rest
