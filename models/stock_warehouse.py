from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError


class StockWarehouse(models.Model):
    _inherit = "stock.warehouse"

    service_parts_type_id = fields.Many2one(
        "stock.picking.type",
        string="Service Parts Operation Type",
        check_company=True,
        copy=False,
        help="Spare parts used on work orders leave (and come back) with this operation type.",
    )
    service_shelf_location_id = fields.Many2one(
        "stock.location",
        string="Customer Spare Shelves",
        check_company=True,
        copy=False,
        help="Parent of the locations where contracts hold spare parts for their customers.",
    )
    service_resupply_route_id = fields.Many2one(
        "stock.route",
        string="Spare Shelves Refill Route",
        check_company=True,
        copy=False,
        help="Refills the customers' spare shelves from the warehouse's stock.",
    )

    # Each warehouse gets its "Service parts" operation type and sequence the way core
    # (and repair) give it its receipts, deliveries and repairs.

    def _get_sequence_values(self, name=False, code=False):
        values = super()._get_sequence_values(name=name, code=code)
        values["service_parts_type_id"] = {
            "name": _("%(name)s Sequence service parts", name=self.name),
            "prefix": self.code + "/" + (self.service_parts_type_id.sequence_code or "SP") + "/",
            "padding": 5,
            "company_id": self.company_id.id,
        }
        return values

    def _get_picking_type_create_values(self, max_sequence):
        data, next_sequence = super()._get_picking_type_create_values(max_sequence)
        data["service_parts_type_id"] = {
            "name": _("Service Parts"),
            "code": "outgoing",
            "default_location_src_id": self.lot_stock_id.id,
            "default_location_dest_id": self.env.ref("stock.stock_location_customers").id,
            "sequence": next_sequence + 1,
            "sequence_code": "SP",
            # The work order says which lot leaves: nothing is reserved on confirmation.
            "reservation_method": "manual",
            "company_id": self.company_id.id,
        }
        return data, next_sequence + 2

    def _get_picking_type_update_values(self):
        data = super()._get_picking_type_update_values()
        data["service_parts_type_id"] = {
            "active": self.active,
            "barcode": self.code.replace(" ", "").upper() + "SP",
        }
        return data

    @api.model
    def _create_missing_service_parts_types(self):
        """Give the warehouses that existed before the addon their "Service parts" type."""
        self.search([("service_parts_type_id", "=", False)])._ensure_service_parts_type()

    @api.model
    def _service_parts_type_for(self, location, company):
        """The "Service parts" operation type of ``location``'s warehouse, else of the
        company's first warehouse."""
        # sudo: the operation type is looked up for technicians without stock rights.
        warehouse = location.sudo().warehouse_id or self.sudo().search(
            [("company_id", "=", company.id)], limit=1
        )
        if not warehouse.service_parts_type_id:
            warehouse._ensure_service_parts_type()
        if not warehouse.service_parts_type_id:
            raise UserError(
                _(
                    "Company %(company)s has no warehouse to take spare parts from.",
                    company=company.name,
                )
            )
        return warehouse.service_parts_type_id

    def _ensure_service_parts_type(self):
        for warehouse in self.filtered(lambda wh: not wh.service_parts_type_id):
            values = warehouse._create_or_update_sequences_and_picking_types()
            if values:
                warehouse.write(values)

    # ------------------------------------------------------------------ customer spare shelves
    def _ensure_service_shelves(self):
        """Give each warehouse the parent location of its customers' spare shelves and the
        route that refills them from its main stock.

        The shelves sit beside WH/Stock, not inside it: parts held for one customer are not
        the company's free stock (nor reserved for another customer's shelf). The route's
        pull rule takes from WH/Stock by an internal transfer and, when WH/Stock is short,
        asks WH/Stock's own replenishment (buy, manufacture) for the rest (mts_else_mto)."""
        # sudo: the contract manager activating a contract needs no Inventory rights.
        for warehouse in self.sudo().filtered(
            lambda wh: not wh.service_shelf_location_id or not wh.service_resupply_route_id
        ):
            shelves = warehouse.service_shelf_location_id or self.env[
                "stock.location"
            ].sudo().create(
                {
                    "name": _("%(warehouse)s: Customer Spare Shelves", warehouse=warehouse.code),
                    "usage": "view",
                    "location_id": warehouse.view_location_id.id,
                    "company_id": warehouse.company_id.id,
                }
            )
            # Its own operation type: core sends a move to its type's destination unless
            # the final location (the shelf) lies below it.
            refill_type = (
                self.env["stock.picking.type"]
                .sudo()
                .create(
                    {
                        "name": _("Spare Shelf Refills"),
                        "code": "internal",
                        "sequence_code": "RS",
                        "default_location_src_id": warehouse.lot_stock_id.id,
                        "default_location_dest_id": shelves.id,
                        "warehouse_id": warehouse.id,
                        "company_id": warehouse.company_id.id,
                    }
                )
            )
            route = (
                self.env["stock.route"]
                .sudo()
                .create(
                    {
                        "name": _(
                            "%(warehouse)s: Refill Customer Spare Shelves", warehouse=warehouse.name
                        ),
                        "company_id": warehouse.company_id.id,
                        "sequence": 100,
                        "product_selectable": False,
                        "warehouse_selectable": False,
                        "rule_ids": [
                            Command.create(
                                {
                                    "name": _(
                                        "%(stock)s → %(shelves)s",
                                        stock=warehouse.lot_stock_id.complete_name,
                                        shelves=shelves.complete_name,
                                    ),
                                    "action": "pull",
                                    "location_src_id": warehouse.lot_stock_id.id,
                                    "location_dest_id": shelves.id,
                                    "procure_method": "mts_else_mto",
                                    "picking_type_id": refill_type.id,
                                    "warehouse_id": warehouse.id,
                                    "company_id": warehouse.company_id.id,
                                }
                            )
                        ],
                    }
                )
            )
            warehouse.write(
                {"service_shelf_location_id": shelves.id, "service_resupply_route_id": route.id}
            )
