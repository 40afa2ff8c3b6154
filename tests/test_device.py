from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..tools.barcode_rules import invalid_code128_characters
from .common import DeviceServiceCase


@tagged("post_install", "-at_install")
class TestDevice(DeviceServiceCase):
    def test_barcode_from_sequence_and_token_random(self):
        first, second = self.create_device(), self.create_device(name="Second")
        self.assertTrue(first.barcode.startswith("DEV"))
        self.assertNotEqual(first.barcode, second.barcode)
        self.assertGreaterEqual(len(first.label_token), 22)
        self.assertNotEqual(first.label_token, second.label_token)
        self.assertEqual(
            first.service_url,
            f"{first.get_base_url()}/service/device/{first.label_token}",
        )

    def test_device_registered_by_hand_without_product_or_lot(self):
        device = self.Device.create({"name": "Old scanner we did not sell", "serial_no": "X-1"})
        self.assertFalse(device.product_id)
        self.assertFalse(device.lot_id)
        self.assertEqual(device.device_state, "in_stock")
        self.assertTrue(device.barcode)

    def test_site_must_belong_to_customer(self):
        with self.assertRaises(ValidationError):
            self.create_device(site_id=self.site_2.id)
        with self.assertRaises(ValidationError):
            self.create_device(customer_id=False)
        # The customer itself is a valid site; so is any address of it.
        self.assertEqual(self.create_device(site_id=self.customer.id).site_id, self.customer)

    def test_onchange_customer_clears_a_foreign_site(self):
        form = Form(self.Device)
        form.name = "Handheld"
        form.customer_id = self.customer
        form.site_id = self.site
        form.customer_id = self.customer_2
        self.assertFalse(form.site_id)

    def test_warranty_end_before_start_is_refused(self):
        with self.assertRaises(ValidationError):
            self.create_device(warranty_start_date="2026-05-01", warranty_end_date="2026-04-30")
        device = self.create_device(
            warranty_start_date="2026-05-01", warranty_end_date="2026-05-01"
        )
        self.assertTrue(device)

    @freeze_time("2026-06-01")
    def test_under_warranty(self):
        device = self.create_device(
            warranty_start_date="2026-01-01", warranty_end_date="2026-12-31"
        )
        self.assertTrue(device.under_warranty)
        device.warranty_end_date = "2026-05-31"
        self.assertFalse(device.under_warranty)

    def test_barcode_must_be_code128_safe(self):
        self.assertEqual(invalid_code128_characters("DEV-0001/a b~"), [])
        self.assertEqual(invalid_code128_characters("DEV\t设备设"), ["\t", "设", "备"])
        with self.assertRaises(ValidationError):
            self.create_device(barcode="DEV-é")
        device = self.create_device()
        with self.assertRaises(UserError):
            device.barcode = False

    def test_barcode_unique_per_company(self):
        self.create_device(barcode="SAME-1")
        # Another company may use the same barcode.
        other = self.env["maintenance.equipment"].create(
            {"name": "Other company's", "barcode": "SAME-1", "company_id": self.company_2.id}
        )
        self.assertEqual(other.barcode, "SAME-1")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.create_device(barcode="SAME-1")

    def test_serial_unique_per_company_not_globally(self):
        self.create_device(serial_no="99J1")
        other = self.env["maintenance.equipment"].create(
            {"name": "Same serial elsewhere", "serial_no": "99J1", "company_id": self.company_2.id}
        )
        self.assertTrue(other)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.create_device(serial_no="99J1")

    @freeze_time("2026-07-15")
    def test_lifecycle_states_stamp_their_dates(self):
        device = self.create_device()
        device.device_state = "installed"
        self.assertEqual(str(device.installation_date), "2026-07-15")
        device.device_state = "under_repair"
        self.assertEqual(str(device.repair_date), "2026-07-15")
        device.device_state = "retired"
        self.assertEqual(str(device.retirement_date), "2026-07-15")
        device.write({"device_state": "in_service", "in_service_date": "2026-07-01"})
        self.assertEqual(str(device.in_service_date), "2026-07-01")

    def test_only_a_manager_regenerates_the_label_token(self):
        device = self.create_device()
        token, url = device.label_token, device.service_url
        with self.assertRaises(AccessError):
            device.with_user(self.technician).action_regenerate_label_token()
        self.assertEqual(device.label_token, token)
        device.with_user(self.manager).action_regenerate_label_token()
        self.assertNotEqual(device.label_token, token)
        self.assertNotEqual(device.service_url, url)

    def test_scanning_a_barcode_opens_the_device(self):
        device = self.create_device(serial_no="SCAN-SN-1")
        Device = self.env["maintenance.equipment"].with_user(self.technician)
        action = Device.action_open_by_barcode(device.barcode)
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("maintenance.equipment", device.id)
        )
        self.assertEqual(Device.action_open_by_barcode("SCAN-SN-1")["res_id"], device.id)
        self.assertEqual(Device.action_open_by_barcode("NOPE")["tag"], "display_notification")

    def test_print_labels_needs_a_device(self):
        with self.assertRaises(UserError):
            self.Device.browse().action_print_labels()
        action = self.create_device().action_print_labels()
        self.assertEqual(action["res_model"], "device.label.wizard")

    def test_delivered_product_flag_makes_it_serial_tracked(self):
        form = Form(self.env["product.template"])
        form.name = "TC52 Mobile Computer"
        form.is_storable = True
        form.is_serviced_device = True
        self.assertEqual(form.tracking, "serial")
        with self.assertRaises(ValidationError):
            self.device_product.device_warranty_months = -1
