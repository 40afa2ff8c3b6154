from odoo import _, api, fields, models
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
