from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    def _action_done(self, cancel_backorder=False):
        """Keep the device register in step with the serial numbers that move.

        A serial of a "serviced device" product delivered to a customer location registers
        (or updates) that customer's device; the same serial coming back into stock sets the
        device back to "in stock". Both are keyed on the lot (or, for a device registered by
        hand, its serial number in the company), so validating twice, a backorder or a later
        redelivery never creates a second device.
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
        """Create or update the devices of the serials these done moves delivered or took back."""
        # sudo: whoever validates a delivery (a warehouse user) need not have Device Service
        # rights; the register follows the stock moves, not the user.
        Device = self.env["maintenance.equipment"].sudo()
        # A lot's company may be empty (products shared between companies): the device
        # belongs to the company of the move.
        delivered, returned = {}, {}
        for move in self:
            to_customer = move.location_dest_id.usage == "customer"
            from_customer = move.location_id.usage == "customer"
            for line in move.move_line_ids.filtered("lot_id"):
                key = (line.lot_id, move.company_id)
                if to_customer and not from_customer:
                    delivered[key] = move
                    returned.pop(key, None)
                elif from_customer and line.location_dest_id.usage == "internal":
                    returned[key] = move
                    delivered.pop(key, None)
        keys = [*delivered, *returned]
        if not keys:
            return
        lots = self.env["stock.lot"].concat(*(lot for lot, _company in keys))
        # One search for every lot of the batch: by link first, then by serial for devices
        # that were registered by hand before they were delivered.
        devices = Device.with_context(active_test=False).search(
            [
                ("company_id", "in", list({company.id for _lot, company in keys})),
                "|",
                ("lot_id", "in", lots.ids),
                "&",
                ("lot_id", "=", False),
                ("serial_no", "in", lots.mapped("name")),
            ]
        )
        by_lot = {(d.lot_id, d.company_id): d for d in devices if d.lot_id}
        by_serial = {(d.serial_no, d.company_id): d for d in devices if not d.lot_id}

        def device_of(lot, company):
            device = by_lot.get((lot, company))
            if device:
                return device
            # A device typed by hand is that unit only if its model is unknown or the same;
            # otherwise creating the device reports the serial clash in words.
            device = by_serial.get((lot.name, company))
            if device and device.product_id in (lot.product_id, Device.product_id):
                return device
            return Device

        to_create = []
        for (lot, company), move in delivered.items():
            vals = move._serviced_device_values(lot)
            device = device_of(lot, company)
            if device:
                # Keep what the service desk typed (name, barcode, warranty already set).
                keep = {"name", "barcode", "warranty_start_date", "warranty_end_date"}
                device.write({k: v for k, v in vals.items() if k not in keep or not device[k]})
            else:
                to_create.append(vals)
        if to_create:
            Device.create(to_create)
        back_in_stock = Device.concat(*(device_of(lot, company) for lot, company in returned))
        back_in_stock.filtered(lambda d: d.device_state not in ("in_stock", "retired")).write(
            {"device_state": "in_stock"}
        )

    def _serviced_device_values(self, lot):
        """Device values for ``lot`` delivered by this move: customer, site, warranty."""
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
