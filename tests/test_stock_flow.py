from freezegun import freeze_time

from odoo.tests import Form, tagged

from .common import DeviceServiceCase


@tagged("post_install", "-at_install")
class TestDeliveryRegistersDevices(DeviceServiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.customers_location = cls.env.ref("stock.stock_location_customers")
        cls.lots = cls.env["stock.lot"].create(
            [
                {
                    "name": f"99J20450{i}",
                    "product_id": cls.device_product.id,
                    "company_id": cls.company.id,
                }
                for i in range(3)
            ]
        )
        for lot in cls.lots:
            cls.env["stock.quant"]._update_available_quantity(
                cls.device_product, cls.stock, 1, lot_id=lot
            )

    def _delivery(self, lots, partner=None, product=None):
        product = product or self.device_product
        picking = (
            self.env["stock.picking"]
            .with_company(self.company)
            .create(
                {
                    "partner_id": (partner or self.site).id,
                    "picking_type_id": self.warehouse.out_type_id.id,
                    "location_id": self.stock.id,
                    "location_dest_id": self.customers_location.id,
                    "move_ids": [
                        (
                            0,
                            0,
                            {
                                "name": product.name,
                                "product_id": product.id,
                                "product_uom_qty": len(lots) or 1,
                                "location_id": self.stock.id,
                                "location_dest_id": self.customers_location.id,
                            },
                        )
                    ],
                }
            )
        )
        picking.action_confirm()
        picking.action_assign()
        return picking

    def _devices(self):
        return self.env["maintenance.equipment"].search([("lot_id", "in", self.lots.ids)])

    def _validate(self, picking, lots):
        """Ship exactly ``lots`` (one unit each), whatever the reservation picked."""
        lines = picking.move_line_ids
        for line, lot in zip(lines, lots, strict=False):
            line.write({"lot_id": lot.id, "quantity": 1})
        lines[len(lots) :].write({"quantity": 0})
        picking.move_ids.picked = True
        return picking.button_validate()

    @freeze_time("2026-03-02 09:00:00")
    def test_delivery_creates_devices_with_customer_site_and_warranty(self):
        picking = self._delivery(self.lots[:2])
        self._validate(picking, self.lots[:2])
        self.assertEqual(picking.state, "done")
        devices = self._devices()
        self.assertEqual(len(devices), 2)
        self.assertEqual(set(devices.mapped("serial_no")), set(self.lots[:2].mapped("name")))
        for device in devices:
            self.assertEqual(device.customer_id, self.customer)
            self.assertEqual(device.site_id, self.site)
            self.assertEqual(device.product_id, self.device_product)
            self.assertEqual(device.company_id, self.company)
            self.assertEqual(device.device_state, "installed")
            self.assertEqual(str(device.warranty_start_date), "2026-03-02")
            # 24 months of warranty from the delivery day.
            self.assertEqual(str(device.warranty_end_date), "2028-03-01")
            self.assertTrue(device.barcode)

    def test_syncing_a_done_delivery_again_creates_no_duplicate(self):
        picking = self._delivery(self.lots[:2])
        self._validate(picking, self.lots[:2])
        picking.move_ids._sync_serviced_devices()
        picking.move_ids._sync_serviced_devices()
        self.assertEqual(len(self._devices()), 2)

    def test_backorder_registers_each_serial_once(self):
        picking = self._delivery(self.lots[:2])
        action = self._validate(picking, self.lots[:1])
        Form(self.env[action["res_model"]].with_context(**action["context"])).save().process()
        self.assertEqual(len(self._devices()), 1)
        backorder = picking.backorder_ids
        self.assertTrue(backorder)
        backorder.action_assign()
        self._validate(backorder, backorder.move_line_ids.lot_id)
        devices = self._devices()
        self.assertEqual(len(devices), 2)
        self.assertEqual(len(devices.lot_id), 2)

    def test_return_puts_device_in_stock_and_redelivery_updates_it(self):
        picking = self._delivery(self.lots[:1])
        self._validate(picking, self.lots[:1])
        device = self._devices()
        self.assertEqual(device.device_state, "installed")

        return_form = Form(
            self.env["stock.return.picking"].with_context(
                active_id=picking.id, active_model="stock.picking"
            )
        )
        wizard = return_form.save()
        wizard.product_return_moves.quantity = 1
        return_picking = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        return_picking.action_assign()
        if not return_picking.move_line_ids:
            return_picking.move_ids.quantity = 1
        return_picking.move_line_ids.lot_id = self.lots[0]
        return_picking.move_line_ids.quantity = 1
        return_picking.move_ids.picked = True
        return_picking.button_validate()
        self.assertEqual(return_picking.state, "done")
        self.assertEqual(device.device_state, "in_stock")

        redelivery = self._delivery(self.lots[:1], partner=self.site_2)
        self._validate(redelivery, self.lots[:1])
        self.assertEqual(self._devices(), device, "the same device, not a new one")
        self.assertEqual(device.customer_id, self.customer_2)
        self.assertEqual(device.site_id, self.site_2)
        self.assertEqual(device.device_state, "installed")

    def test_device_registered_by_hand_is_linked_not_duplicated(self):
        manual = self.create_device(
            serial_no=self.lots[2].name, barcode="CUSTOM-1", firmware_version="V1.2"
        )
        picking = self._delivery(self.lots[2:])
        self._validate(picking, self.lots[2:])
        self.assertEqual(self._devices(), manual)
        self.assertEqual(manual.lot_id, self.lots[2])
        self.assertEqual(manual.barcode, "CUSTOM-1", "what the service desk typed is kept")

    def test_product_not_flagged_registers_nothing(self):
        self.device_product.is_serviced_device = False
        picking = self._delivery(self.lots[:1])
        self._validate(picking, self.lots[:1])
        self.assertFalse(self._devices())
