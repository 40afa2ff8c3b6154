from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        """Keep the device register in step with the serial numbers that move.

        A serial of a "serviced device" product delivered to a customer location registers
        (or updates) that customer's device; the same serial coming back into stock sets the
        device back to "in stock". Both are keyed on the lot, so validating twice, a
        backorder or a later redelivery never creates a second device.
        """
        done_moves = super()._action_done(cancel_backorder=cancel_backorder)
        device_moves = done_moves.filtered(
            lambda m: m.state == "done"
            and m.product_id.is_serviced_device
            and m.product_id.tracking == "serial"
        )
        if device_moves:
            device_moves._sync_serviced_devices()
        return done_moves

    def _sync_serviced_devices(self):
        Device = self.env["maintenance.equipment"].sudo()
        delivered, returned = {}, self.env["stock.lot"]
        for move in self:
            to_customer = move.location_dest_id.usage == "customer"
            from_customer = move.location_id.usage == "customer"
            for line in move.move_line_ids.filtered("lot_id"):
                if to_customer and not from_customer:
                    delivered[line.lot_id] = move
                elif from_customer and line.location_dest_id.usage == "internal":
                    returned |= line.lot_id
        lots = returned | self.env["stock.lot"].concat(*delivered)
        if not lots:
            return
        # One search for every lot of the batch: by link first, then by serial for devices
        # that were registered by hand before they were delivered.
        devices = Device.with_context(active_test=False).search(
            [
                "|",
                ("lot_id", "in", lots.ids),
                "&",
                ("lot_id", "=", False),
                ("serial_no", "in", lots.mapped("name")),
            ]
        )
        by_lot = {d.lot_id: d for d in devices if d.lot_id}
        by_serial = {(d.serial_no, d.company_id): d for d in devices if not d.lot_id}

        def device_of(lot):
            return by_lot.get(lot) or by_serial.get((lot.name, lot.company_id))

        to_create = []
        for lot, move in delivered.items():
            vals = move._serviced_device_values(lot)
            device = device_of(lot)
            if device:
                # Keep what the service desk typed (name, barcode, warranty already set).
                keep = {"name", "barcode", "warranty_start_date", "warranty_end_date"}
                device.write({k: v for k, v in vals.items() if k not in keep or not device[k]})
            else:
                to_create.append(vals)
        if to_create:
            Device.create(to_create)
        back_in_stock = Device.concat(*(device_of(lot) or Device for lot in returned))
        back_in_stock.filtered(lambda d: d.device_state != "retired").write(
            {"device_state": "in_stock"}
        )

    def _serviced_device_values(self, lot):
        self.ensure_one()
        picking = self.picking_id
        address = picking.partner_id or self.partner_id
        customer = address.commercial_partner_id
        date_done = fields.Date.context_today(self, picking.date_done or self.date)
        months = self.product_id.device_warranty_months
        Device = self.env["maintenance.equipment"]
        return {
            "name": self.product_id.name,
            "product_id": self.product_id.id,
            "lot_id": lot.id,
            "serial_no": lot.name,
            "company_id": self.company_id.id,
            "customer_id": customer.id or False,
            "site_id": address.id or False,
            "device_state": "installed",
            "installation_date": date_done,
            "warranty_start_date": date_done,
            "warranty_end_date": Device._warranty_end(date_done, months),
        }
