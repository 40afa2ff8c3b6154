from odoo import fields, models


class StockWarehouseOrderpoint(models.Model):
    _inherit = "stock.warehouse.orderpoint"

    # Core shows the rule's location only with the Storage Locations setting; the shelf a
    # rule refills is what tells one customer's spare stock from another's.
    service_location_name = fields.Char(
        related="location_id.complete_name", string="Shelf", readonly=True
    )
    is_customer_shelf = fields.Boolean(
        string="Customer Spare Shelf",
        compute="_compute_is_customer_shelf",
        search="_search_is_customer_shelf",
        help="The rule keeps a contract's minimum spare stock for a customer.",
    )

    def _compute_is_customer_shelf(self):
        shelves = self._customer_shelf_locations()
        for orderpoint in self:
            orderpoint.is_customer_shelf = orderpoint.location_id in shelves

    def _search_is_customer_shelf(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        positive = (operator == "=") == value
        ids = self._customer_shelf_locations().ids
        return [("location_id", "in" if positive else "not in", ids)]

    def _customer_shelf_locations(self):
        # sudo: warehouses' shelf parents, read for any Inventory user.
        parents = self.env["stock.warehouse"].sudo().search([]).service_shelf_location_id
        if not parents:
            return self.env["stock.location"]
        return self.env["stock.location"].sudo().search([("id", "child_of", parents.ids)])
