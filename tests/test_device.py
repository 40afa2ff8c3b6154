import os

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from ..hooks import post_init_hook
from ..tools.barcode_rules import invalid_code128_characters
from .common import DeviceServiceCase


@tagged("post_install", "-at_install")
class TestDevice(DeviceServiceCase):
    def test_barcode_from_sequence_and_token_random(self):
        first, second = self.create_device(), self.create_device(name="Second")
        self.assertRegex(first.barcode, r"^DEV\d{6,}$")
        self.assertNotEqual(first.barcode, second.barcode)
        self.assertFalse(invalid_code128_characters(first.barcode))
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
        first = self.create_device(barcode="SAME-1")
        # Another company may use the same barcode.
        other = self.env["maintenance.equipment"].create(
            {"name": "Other company's", "barcode": "SAME-1", "company_id": self.company_2.id}
        )
        self.assertEqual(other.barcode, "SAME-1")
        with self.assertRaises(ValidationError) as caught:
            self.create_device(barcode="SAME-1")
        self.assertIn("barcode SAME-1 is already used", str(caught.exception))
        # Archived devices keep their barcode too.
        first.active = False
        with self.assertRaises(ValidationError):
            self.create_device(barcode=" SAME-1 ")
        second = self.create_device(barcode="SAME-2")
        with self.assertRaises(ValidationError):
            second.barcode = "SAME-1"
        self.assertEqual(second.barcode, "SAME-2")
        # Moving the device to the company where the barcode is taken is refused as well.
        with self.assertRaises(ValidationError):
            first.write({"company_id": self.company_2.id, "customer_id": False, "site_id": False})

    def test_serial_unique_per_company_not_globally(self):
        self.create_device(serial_no="99J1")
        other = self.env["maintenance.equipment"].create(
            {"name": "Same serial elsewhere", "serial_no": "99J1", "company_id": self.company_2.id}
        )
        self.assertTrue(other)
        with self.assertRaises(ValidationError) as caught:
            self.create_device(serial_no="99J1")
        self.assertIn("serial number 99J1 is already used", str(caught.exception))

    def test_a_bad_batch_writes_nothing(self):
        count = self.Device.search_count([])
        with self.assertRaises(ValidationError) as caught:
            self.Device.create(
                [
                    {"name": "A", "serial_no": "TWIN"},
                    {"name": "B"},
                    {"name": "C", "serial_no": "TWIN"},
                ]
            )
        self.assertIn("Two devices of the same company", str(caught.exception))
        with self.assertRaises(ValidationError):
            self.Device.create([{"name": "A", "barcode": "TWIN"}, {"name": "B", "barcode": "TWIN"}])
        self.assertEqual(self.Device.search_count([]), count)
        pair = self.create_device(name="P1") | self.create_device(name="P2")
        with self.assertRaises(ValidationError):
            pair.write({"barcode": "BOTH"})
        self.assertNotIn("BOTH", pair.mapped("barcode"))

    def test_core_global_serial_constraint_is_replaced_in_the_database(self):
        self.env.cr.execute(
            """
            SELECT pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = 'maintenance_equipment'::regclass AND contype = 'u'
            """
        )
        definitions = {row[0] for row in self.env.cr.fetchall()}
        self.assertIn("UNIQUE (serial_no, company_id)", definitions)
        self.assertIn("UNIQUE (barcode, company_id)", definitions)
        self.assertNotIn("UNIQUE (serial_no)", definitions)
        # The database itself refuses a duplicate that bypasses the ORM.
        device = self.create_device(serial_no="SQL-1")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            self.env.cr.execute(
                """
                INSERT INTO maintenance_equipment (name, company_id, effective_date, serial_no)
                VALUES ('{"en_US": "Raw"}', %s, CURRENT_DATE, 'SQL-1')
                """,
                [device.company_id.id],
            )

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
        self.assertTrue(device.service_url.endswith(f"/service/device/{device.label_token}"))

    def test_label_token_cannot_be_typed(self):
        device = self.create_device()
        token = device.label_token
        for user in (self.technician, self.manager):
            with self.assertRaises(AccessError):
                device.with_user(user).write({"label_token": "guessable"})
            with self.assertRaises(AccessError):
                self.Device.with_user(user).create({"name": "Mine", "label_token": "0001"})
        self.assertEqual(device.label_token, token)
        # A blank token (an import column left empty) is generated.
        blank = self.Device.with_user(self.technician).create({"name": "Blank", "label_token": ""})
        self.assertGreaterEqual(len(blank.sudo().label_token), 22)

    def test_company_check_covers_every_device_of_a_batch(self):
        foreign = self.env["res.partner"].create(
            {"name": "Company 2 customer", "company_id": self.company_2.id}
        )
        count = self.Device.search_count([])
        with self.assertRaises(UserError):
            self.Device.create(
                [
                    {"name": "Fine 1", "customer_id": self.customer.id},
                    {"name": "Fine 2", "customer_id": self.customer.id},
                    {"name": "Foreign", "customer_id": foreign.id},
                ]
            )
        self.assertEqual(self.Device.search_count([]), count)
        devices = self.Device.create([{"name": f"Fine {i}"} for i in range(3)])
        with self.assertRaises(UserError):
            devices.write({"customer_id": foreign.id})

    def test_tokens_are_random_not_sequential(self):
        devices = self.Device.create([{"name": f"Batch {i}"} for i in range(50)])
        tokens = devices.mapped("label_token")
        self.assertEqual(len(set(tokens)), 50)
        for token in tokens:
            self.assertRegex(token, r"^[A-Za-z0-9_-]{22,}$")
        # No shared prefix as a counter would leave.
        self.assertLess(len(os.path.commonprefix(tokens)), 3)

    def test_token_and_url_hidden_from_users_without_the_group(self):
        device = self.create_device()
        with self.assertRaises(AccessError):
            device.with_user(self.internal_user).read(["label_token"])
        with self.assertRaises(AccessError):
            device.with_user(self.internal_user).read(["service_url"])
        self.assertTrue(device.with_user(self.technician).read(["service_url"])[0]["service_url"])

    def test_batch_creation_numbers_every_device_from_one_sequence_call(self):
        devices = self.Device.create([{"name": f"Batch {i}"} for i in range(20)])
        numbers = sorted(int(barcode[3:]) for barcode in devices.mapped("barcode"))
        self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 20)))
        # The query count does not grow with the batch: no sequence call per device.
        self.Device.create([{"name": "warm-up"}])
        self.env.flush_all()
        queries = []
        for size in (1, 30):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            self.Device.create([{"name": f"Q {i}"} for i in range(size)])
            self.env.flush_all()
            queries.append(self.cr.sql_log_count - before)
        self.assertEqual(queries[0], queries[1], f"queries for 1 and 30 devices: {queries}")

    def test_missing_sequence_is_explained(self):
        self.env.ref("barcode_device_service.seq_device_barcode").unlink()
        with self.assertRaises(UserError) as caught:
            self.create_device()
        self.assertIn("sequence is missing", str(caught.exception))
        self.assertEqual(self.create_device(barcode="TYPED-1").barcode, "TYPED-1")

    @freeze_time("2026-07-15")
    def test_writing_the_same_state_keeps_its_date(self):
        device = self.create_device(device_state="installed", installation_date="2026-01-10")
        device.device_state = "installed"
        self.assertEqual(str(device.installation_date), "2026-01-10")
        other = self.create_device(name="Other")
        (device | other).write({"device_state": "installed"})
        self.assertEqual(str(device.installation_date), "2026-01-10")
        self.assertEqual(str(other.installation_date), "2026-07-15")

    def test_lot_must_match_model_and_serial(self):
        lot = self.env["stock.lot"].create(
            {"name": "LOT-77", "product_id": self.device_product.id, "company_id": self.company.id}
        )
        device = self.create_device(lot_id=lot.id, serial_no="LOT-77")
        self.assertEqual(device.lot_id, lot)
        with self.assertRaises(ValidationError) as caught:
            device.product_id = self.spare_part
        self.assertIn("belongs to", str(caught.exception))
        with self.assertRaises(ValidationError) as caught:
            device.serial_no = "OTHER-77"
        self.assertIn("serial number", str(caught.exception))
        self.assertEqual(device.serial_no, "LOT-77")

    def test_scanning_a_barcode_opens_the_device(self):
        device = self.create_device(serial_no="SCAN-SN-1")
        Device = self.env["maintenance.equipment"].with_user(self.technician)
        action = Device._open_by_barcode(device.barcode)
        self.assertEqual(
            (action["res_model"], action["res_id"], action["views"]),
            ("maintenance.equipment", device.id, [(False, "form")]),
        )
        self.assertEqual(Device._open_by_barcode(f" {device.barcode}\n")["res_id"], device.id)
        self.assertEqual(Device._open_by_barcode("SCAN-SN-1")["res_id"], device.id)
        # The QR code of the label holds the public URL: scanning it opens the device too.
        self.assertEqual(Device._open_by_barcode(device.service_url)["res_id"], device.id)
        # The public method the barcode service calls over RPC.
        self.assertEqual(Device.action_open_by_barcode(device.barcode)["res_id"], device.id)
        for unknown in ("NOPE", "", "https://x/service/device/", "https://x/service/device/bad"):
            result = Device._open_by_barcode(unknown)
            self.assertEqual(result["tag"], "display_notification", unknown)
            self.assertEqual(result["params"]["type"], "warning")

    def test_scanning_prefers_the_current_company_and_respects_access(self):
        mine = self.create_device(barcode="SHARED-1")
        theirs = self.env["maintenance.equipment"].create(
            {"name": "Theirs", "barcode": "SHARED-1", "company_id": self.company_2.id}
        )
        self.assertEqual(
            self.env["maintenance.equipment"]
            .with_company(self.company_2)
            .with_context(allowed_company_ids=[self.company_2.id, self.company.id])
            ._open_by_barcode("SHARED-1")["res_id"],
            theirs.id,
        )
        self.assertEqual(
            self.Device.with_context(
                allowed_company_ids=[self.company.id, self.company_2.id]
            )._open_by_barcode("SHARED-1")["res_id"],
            mine.id,
        )
        # A technician of company 1 cannot open company 2's device, not even by its QR URL.
        only_theirs = self.env["maintenance.equipment"].create(
            {"name": "Only theirs", "barcode": "THEIRS-2", "company_id": self.company_2.id}
        )
        Device = self.env["maintenance.equipment"].with_user(self.technician)
        self.assertEqual(Device._open_by_barcode("THEIRS-2")["tag"], "display_notification")
        self.assertEqual(
            Device._open_by_barcode(only_theirs.service_url)["tag"], "display_notification"
        )

    def test_install_hook_numbers_existing_equipment(self):
        self.env.cr.execute(
            """
            INSERT INTO maintenance_equipment
                   (name, company_id, effective_date, active, device_state, equipment_assign_to)
            SELECT '{"en_US": "Before install"}', %s, CURRENT_DATE, n %% 2 = 0, 'in_stock',
                   'employee'
              FROM generate_series(1, 3) AS n
            RETURNING id
            """,
            [self.company.id],
        )
        legacy = self.env["maintenance.equipment"].browse(r[0] for r in self.env.cr.fetchall())
        post_init_hook(self.env)
        self.assertEqual(len(set(legacy.mapped("barcode"))), 3)
        self.assertEqual(len(set(legacy.mapped("label_token"))), 3)
        self.assertTrue(all(legacy.mapped("label_token")))

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
