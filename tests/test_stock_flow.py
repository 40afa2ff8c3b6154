from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from .common import DeviceServiceCase


@tagged("post_install", "-at_install")
class TestDeliveryRegistersDevices(DeviceServiceCase):
    """Real pickings, validated the way a warehouse user does, keep the register in step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.customers_location = cls.env.ref("stock.stock_location_customers")
        cls.lots = cls._stock_lots(cls.device_product, cls.company, cls.stock, "99J20450", 4)
        cls.warehouse_user = new_test_user(
            cls.env,
            login="bds_warehouse",
            groups="base.group_user,stock.group_stock_user",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )

    @classmethod
    def _stock_lots(cls, product, company, location, prefix, count, lot_company=True):
        lots = cls.env["stock.lot"].create(
            [
                {
                    "name": f"{prefix}{i}",
                    "product_id": product.id,
                    "company_id": company.id if lot_company else False,
                }
                for i in range(count)
            ]
        )
        for lot in lots:
            cls.env["stock.quant"].with_company(company)._update_available_quantity(
                product, location, 1, lot_id=lot
            )
        return lots

    def _delivery(self, lots, partner=None, product=None, warehouse=None, user=None):
        product = product or self.device_product
        warehouse = warehouse or self.warehouse
        stock = warehouse.lot_stock_id
        picking = (
            self.env["stock.picking"]
            .with_user(user or self.env.user)
            .with_company(warehouse.company_id)
            .create(
                {
                    "partner_id": (partner or self.site).id,
                    "picking_type_id": warehouse.out_type_id.id,
                    "location_id": stock.id,
                    "location_dest_id": self.customers_location.id,
                    "move_ids": [
                        (
                            0,
                            0,
                            {
                                "name": product.name,
                                "product_id": product.id,
                                "product_uom_qty": len(lots) or 1,
                                "location_id": stock.id,
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

    def _devices(self, lots=None):
        return self.env["maintenance.equipment"].search([("lot_id", "in", (lots or self.lots).ids)])

    def _validate(self, picking, lots):
        """Ship exactly ``lots`` (one unit each), whatever the reservation picked."""
        lines = picking.move_line_ids
        for line, lot in zip(lines, lots, strict=False):
            line.write({"lot_id": lot.id, "quantity": 1})
        lines[len(lots) :].write({"quantity": 0})
        picking.move_ids.picked = True
        return picking.button_validate()

    def _return(self, picking, lots):
        """Take ``lots`` back into stock with the return wizard of the delivery."""
        wizard = Form(
            self.env["stock.return.picking"].with_context(
                active_id=picking.id, active_model="stock.picking"
            )
        ).save()
        wizard.product_return_moves.quantity = len(lots)
        return_picking = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        return_picking.action_assign()
        return_picking.move_line_ids.unlink()
        return_picking.move_ids.write(
            {
                "move_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": lot.product_id.id,
                            "lot_id": lot.id,
                            "quantity": 1,
                            "location_id": return_picking.location_id.id,
                            "location_dest_id": return_picking.location_dest_id.id,
                        },
                    )
                    for lot in lots
                ]
            }
        )
        return_picking.move_ids.picked = True
        return_picking.button_validate()
        self.assertEqual(return_picking.state, "done")
        return return_picking

    @freeze_time("2026-03-02 09:00:00")
    def test_delivery_creates_devices_with_customer_site_and_warranty(self):
        picking = self._delivery(self.lots[:2])
        self._validate(picking, self.lots[:2])
        self.assertEqual(picking.state, "done")
        devices = self._devices()
        self.assertEqual(len(devices), 2)
        self.assertEqual(set(devices.mapped("serial_no")), set(self.lots[:2].mapped("name")))
        self.assertEqual(devices.lot_id, self.lots[:2])
        for device in devices:
            # The delivery goes to a site: the customer is its commercial partner.
            self.assertEqual(device.customer_id, self.customer)
            self.assertEqual(device.site_id, self.site)
            self.assertEqual(device.product_id, self.device_product)
            self.assertEqual(device.name, self.device_product.name)
            self.assertEqual(device.company_id, self.company)
            self.assertEqual(device.device_state, "installed")
            self.assertEqual(str(device.installation_date), "2026-03-02")
            self.assertEqual(str(device.warranty_start_date), "2026-03-02")
            # 24 months of warranty from the delivery day.
            self.assertEqual(str(device.warranty_end_date), "2028-03-01")
            self.assertTrue(device.barcode)
            self.assertTrue(device.label_token)
            self.assertEqual(device.delivery_count, 1)

    def test_validating_twice_creates_no_duplicate(self):
        picking = self._delivery(self.lots[:2])
        self._validate(picking, self.lots[:2])
        devices = self._devices()
        # Core refuses a second validation; the moves done again and a re-sync change nothing.
        with self.assertRaises(UserError):
            picking.button_validate()
        picking.move_ids._action_done()
        picking.move_ids._sync_serviced_devices()
        picking.move_ids._sync_serviced_devices()
        self.assertEqual(self._devices(), devices)
        self.assertEqual(len(devices), 2)

    def test_backorder_registers_each_serial_once(self):
        # Three serials ordered, two shipped now, the third with the backorder.
        picking = self._delivery(self.lots[:3])
        action = self._validate(picking, self.lots[:2])
        Form(self.env[action["res_model"]].with_context(**action["context"])).save().process()
        self.assertEqual(self._devices().lot_id, self.lots[:2])
        backorder = picking.backorder_ids
        self.assertEqual(len(backorder), 1)
        backorder.action_assign()
        self._validate(backorder, self.lots[2:3])
        self.assertEqual(backorder.state, "done")
        devices = self._devices()
        self.assertEqual(len(devices), 3)
        self.assertEqual(devices.lot_id, self.lots[:3])
        self.assertEqual(len(set(devices.mapped("barcode"))), 3)

    def test_return_puts_device_in_stock_and_redelivery_updates_it(self):
        picking = self._delivery(self.lots[:1])
        self._validate(picking, self.lots[:1])
        device = self._devices()
        self.assertEqual(device.device_state, "installed")
        barcode, token = device.barcode, device.label_token

        self._return(picking, self.lots[:1])
        self.assertEqual(device.device_state, "in_stock")

        redelivery = self._delivery(self.lots[:1], partner=self.site_2)
        self._validate(redelivery, self.lots[:1])
        self.assertEqual(self._devices(), device, "the same device, not a new one")
        self.assertEqual(device.customer_id, self.customer_2)
        self.assertEqual(device.site_id, self.site_2)
        self.assertEqual(device.device_state, "installed")
        # The label on the unit keeps working.
        self.assertEqual((device.barcode, device.label_token), (barcode, token))

    def test_return_of_one_serial_leaves_the_others_installed(self):
        picking = self._delivery(self.lots[:2])
        self._validate(picking, self.lots[:2])
        self._return(picking, self.lots[1:2])
        states = {d.lot_id: d.device_state for d in self._devices()}
        self.assertEqual(states, {self.lots[0]: "installed", self.lots[1]: "in_stock"})

    def test_retired_device_stays_retired_when_returned(self):
        picking = self._delivery(self.lots[:1])
        self._validate(picking, self.lots[:1])
        device = self._devices()
        device.device_state = "retired"
        self._return(picking, self.lots[:1])
        self.assertEqual(device.device_state, "retired")

    def test_device_registered_by_hand_is_linked_not_duplicated(self):
        manual = self.create_device(
            serial_no=self.lots[2].name,
            barcode="CUSTOM-1",
            firmware_version="V1.2",
            product_id=False,
            warranty_start_date="2025-01-01",
            warranty_end_date="2027-12-31",
        )
        picking = self._delivery(self.lots[2:3])
        self._validate(picking, self.lots[2:3])
        self.assertEqual(self._devices(), manual)
        self.assertEqual(manual.lot_id, self.lots[2])
        self.assertEqual(manual.product_id, self.device_product)
        self.assertEqual(manual.device_state, "installed")
        # What the service desk typed is kept.
        self.assertEqual(manual.barcode, "CUSTOM-1")
        self.assertEqual(manual.firmware_version, "V1.2")
        self.assertEqual(str(manual.warranty_end_date), "2027-12-31")

    def test_shared_product_lot_without_company_links_the_manual_device(self):
        # Lots of a product shared between companies have no company of their own.
        lots = self._stock_lots(
            self.device_product, self.company, self.stock, "SHARED-", 1, lot_company=False
        )
        self.assertFalse(lots.company_id)
        manual = self.create_device(serial_no=lots.name)
        picking = self._delivery(lots)
        self._validate(picking, lots)
        self.assertEqual(self._devices(lots), manual)
        self.assertEqual(manual.company_id, self.company)

    def test_same_serial_of_another_model_is_refused_in_words(self):
        other_model = self.env["product.product"].create(
            {
                "name": "DS2208 Scanner",
                "is_storable": True,
                "tracking": "serial",
                "is_serviced_device": True,
            }
        )
        self.create_device(serial_no="CLASH-0", product_id=other_model.id)
        lots = self._stock_lots(self.device_product, self.company, self.stock, "CLASH-", 1)
        picking = self._delivery(lots)
        with self.assertRaises(ValidationError) as caught:
            self._validate(picking, lots)
        self.assertIn("serial number CLASH-0 is already used", str(caught.exception))

    def test_delivery_in_the_second_company(self):
        warehouse_2 = (
            self.env["stock.warehouse"]
            .with_company(self.company_2)
            .create({"name": "Overseas", "code": "OVS", "company_id": self.company_2.id})
        )
        # The same serial exists in both companies' registers.
        lots_2 = self._stock_lots(
            self.device_product, self.company_2, warehouse_2.lot_stock_id, "99J20450", 1
        )
        picking = self._delivery(lots_2, partner=self.site_2, warehouse=warehouse_2)
        self._validate(picking, lots_2)
        picking_1 = self._delivery(self.lots[:1])
        self._validate(picking_1, self.lots[:1])
        device_2, device_1 = self._devices(lots_2), self._devices(self.lots[:1])
        self.assertEqual(device_2.company_id, self.company_2)
        self.assertEqual(device_1.company_id, self.company)
        self.assertEqual(device_1.serial_no, device_2.serial_no)
        self.assertEqual(device_2.customer_id, self.customer_2)

    @freeze_time("2026-03-02 09:00:00")
    def test_redelivery_to_another_customer_ends_the_former_coverage(self):
        """A warehouse user who may not see contracts validates the delivery of a unit
        covered by its former owner's contract: the delivery goes through and the contract
        lets the device go."""
        picking = self._delivery(self.lots[:1])
        self._validate(picking, self.lots[:1])
        device = self._devices()
        contract = self.env["service.contract"].create(
            {
                "partner_id": self.customer.id,
                "date_start": "2026-01-01",
                "date_end": "2026-12-31",
                "device_ids": [(6, 0, device.ids)],
                "company_id": self.company.id,
            }
        )
        contract.action_activate()
        self._return(picking, self.lots[:1])
        self.assertIn(device, contract.device_ids, "back in stock, still the customer's")

        redelivery = self._delivery(self.lots[:1], partner=self.site_2, user=self.warehouse_user)
        self._validate(redelivery.with_user(self.warehouse_user), self.lots[:1])
        self.assertEqual(redelivery.state, "done")
        self.assertEqual(device.customer_id, self.customer_2)
        self.assertNotIn(device, contract.device_ids)
        self.assertIn(device.name, contract.message_ids[:1].body)

    def test_warehouse_user_without_device_rights_registers_devices(self):
        picking = self._delivery(self.lots[:1], user=self.warehouse_user)
        self._validate(picking.with_user(self.warehouse_user), self.lots[:1])
        self.assertEqual(picking.state, "done")
        self.assertEqual(len(self._devices(self.lots[:1])), 1)

    def test_product_not_flagged_registers_nothing(self):
        self.device_product.is_serviced_device = False
        picking = self._delivery(self.lots[:1])
        self._validate(picking, self.lots[:1])
        self.assertFalse(self._devices())
