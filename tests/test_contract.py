from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DeviceServiceCase


@tagged("post_install", "-at_install")
class TestServiceContract(DeviceServiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env.ref("barcode_device_service.resource_calendar_7x24")
        cls.device = cls.create_device()
        cls.device_b = cls.create_device(name="Second printer")
        cls.Contract = cls.env["service.contract"].with_company(cls.company)

    def _contract(self, **vals):
        values = {
            "partner_id": self.customer.id,
            "date_start": "2026-01-01",
            "date_end": "2026-12-31",
            "resource_calendar_id": self.calendar.id,
            "device_ids": [(6, 0, self.device.ids)],
            "monthly_fee": 5000,
        }
        values.update(vals)
        return self.Contract.create(values)

    def test_reference_and_default_targets(self):
        first, second = self._contract(), self._contract(device_ids=[])
        self.assertTrue(first.name.startswith("SC/"))
        self.assertNotEqual(first.name, second.name)
        self.assertEqual(set(first.sla_ids.mapped("severity")), {"p1", "p2", "p3", "p4"})
        p1 = first._sla_for("p1")
        self.assertLessEqual(p1.response_hours, p1.arrival_hours)
        self.assertLessEqual(p1.arrival_hours, p1.resolution_hours)
        self.assertEqual(p1.warning_percent, 75)
        self.assertFalse(first._sla_for("p4").arrival_hours, "planned work is remote-only")

    def test_activation_and_lookup(self):
        contract = self._contract()
        contract.action_activate()
        self.assertEqual(contract.state, "active")
        self.assertEqual(self.device._active_contract_on("2026-06-01"), contract)
        self.assertFalse(self.device._active_contract_on("2027-01-01"))
        self.assertFalse(self.device_b._active_contract_on("2026-06-01"))
        with freeze_time("2026-06-01"):
            self.device.invalidate_recordset(["active_contract_id"])
            self.assertEqual(self.device.active_contract_id, contract)

    def test_service_hours_in_the_customers_time_zone(self):
        """A contract counts its service hours where the customer's devices are: activated
        with a calendar of another zone (7x24 ships in UTC), it takes that calendar's copy
        in the customer's zone (one per zone, public holidays included)."""
        self.company.partner_id.tz = "Europe/Brussels"
        self.customer.tz = "Asia/Shanghai"
        # A calendar of its own (the shipped 7x24 may have its Shanghai copy already).
        self.calendar = self.calendar.copy({"tz": "UTC"})
        self.calendar.name = "Round the clock, test"
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Company holiday",
                "calendar_id": self.calendar.id,
                "date_from": "2026-12-25 00:00:00",
                "date_to": "2026-12-25 23:59:59",
            }
        )
        first = self._contract()
        first.action_activate()
        shanghai = first.resource_calendar_id
        self.assertEqual(shanghai.tz, "Asia/Shanghai")
        self.assertIn("Asia/Shanghai", shanghai.name)
        self.assertEqual(
            shanghai.attendance_ids.mapped(lambda a: (a.dayofweek, a.hour_from, a.hour_to)),
            self.calendar.attendance_ids.mapped(lambda a: (a.dayofweek, a.hour_from, a.hour_to)),
        )
        self.assertEqual(shanghai.global_leave_ids.mapped("name"), ["Company holiday"])
        self.assertEqual(self.calendar.tz, "UTC", "the calendar itself is untouched")
        self.assertIn("customer's time zone", first.message_ids[0].body)
        second = self._contract(device_ids=[])
        second.action_activate()
        self.assertEqual(second.resource_calendar_id, shanghai, "one copy per zone")
        # A customer without a zone: the company's.
        self.customer.tz = False
        self.customer_2.tz = False
        third = self._contract(partner_id=self.customer_2.id, device_ids=[])
        third.action_activate()
        self.assertEqual(third.resource_calendar_id.tz, "Europe/Brussels")

    def test_new_contracts_default_to_the_company_hours(self):
        contract = self.Contract.create(
            {"partner_id": self.customer.id, "date_start": "2026-01-01", "date_end": "2026-12-31"}
        )
        self.assertEqual(contract.resource_calendar_id, self.company.resource_calendar_id)
        self.assertNotEqual(
            contract.resource_calendar_id,
            self.env.ref("barcode_device_service.resource_calendar_7x24"),
        )

    def test_activation_refuses_missing_targets(self):
        contract = self._contract()
        contract._sla_for("p3").unlink()
        with self.assertRaisesRegex(UserError, "P3"):
            contract.action_activate()
        self.assertEqual(contract.state, "draft")

    def test_activation_refuses_devices_of_another_customer(self):
        foreign = self.create_device(customer_id=self.customer_2.id, site_id=self.site_2.id)
        contract = self._contract(device_ids=[(6, 0, foreign.ids)])
        with self.assertRaises(UserError):
            contract.action_activate()

    def test_bad_targets_and_dates(self):
        contract = self._contract()
        p2 = contract._sla_for("p2")
        with self.assertRaises(ValidationError):
            p2.response_hours = 0
        with self.assertRaises(ValidationError):
            p2.write({"response_hours": 30, "resolution_hours": 24})
        with self.assertRaises(ValidationError):
            p2.arrival_hours = 100
        with self.assertRaises(ValidationError):
            p2.warning_percent = 120
        with self.assertRaises(ValidationError):
            self._contract(date_end="2025-12-31")

    def test_contract_needs_service_hours(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self._contract(resource_calendar_id=False)
        calendar = self.env["resource.calendar"].create(
            {"name": "Plant hours", "company_id": self.company.id}
        )
        contract = self._contract(resource_calendar_id=calendar.id)
        with self.assertRaises(UserError), self.cr.savepoint():
            calendar.unlink()
        self.assertEqual(contract.resource_calendar_id, calendar)

    def test_a_device_is_under_one_active_contract_at_a_time(self):
        self._contract().action_activate()
        overlapping = self._contract(date_start="2026-06-01", date_end="2027-05-31")
        with self.assertRaisesRegex(ValidationError, "already covered"):
            overlapping.action_activate()
        self.assertEqual(overlapping.state, "draft")
        # The following year is fine, and the history keeps both.
        next_year = self._contract(date_start="2027-01-01", date_end="2027-12-31")
        next_year.action_activate()
        self.assertEqual(len(self.device.contract_ids), 3)

    def test_duplicate_as_template(self):
        contract = self._contract(covers_spare_parts=True, note="<p>Price lock</p>")
        contract._sla_for("p1").response_hours = 0.25
        contract.action_activate()
        copy = contract.copy()
        self.assertEqual(copy.state, "draft")
        self.assertNotEqual(copy.name, contract.name)
        self.assertFalse(copy.device_ids)
        self.assertTrue(copy.covers_spare_parts)
        self.assertEqual(copy.resource_calendar_id, self.calendar)
        self.assertEqual(copy._sla_for("p1").response_hours, 0.25)
        self.assertEqual(len(copy.sla_ids), 4)

    def test_terminate_and_delete_rules(self):
        contract = self._contract()
        with self.assertRaises(UserError):
            contract.action_terminate()
        contract.action_activate()
        with self.assertRaises(UserError):
            contract.unlink()
        contract.action_terminate()
        self.assertEqual(contract.state, "terminated")
        contract.action_reset_to_draft()
        contract.unlink()
        self.assertFalse(contract.exists())

    def test_expiry_job_and_reminder(self):
        contract = self._contract(user_id=self.manager.id)
        contract.action_activate()
        Contract = self.env["service.contract"]
        with freeze_time("2026-11-15"):
            Contract._cron_expire_contracts()
        self.assertFalse(contract.activity_ids, "more than 30 days before the end")
        with freeze_time("2026-12-02"):
            Contract._cron_expire_contracts()
            Contract._cron_expire_contracts()
        self.assertEqual(len(contract.activity_ids), 1, "one reminder, not one a day")
        self.assertEqual(contract.activity_ids.user_id, self.manager)
        self.assertEqual(contract.state, "active")
        with freeze_time("2027-01-01"):
            Contract._cron_expire_contracts()
        self.assertEqual(contract.state, "expired")

    def test_multi_company(self):
        contract = self._contract()
        with self.assertRaises(AccessError):
            contract.with_user(self.manager_company_2).read(["name"])
        self.assertFalse(self.env["service.contract"].with_user(self.manager_company_2).search([]))
        self.assertFalse(
            self.env["service.contract.sla"].with_user(self.manager_company_2).search([])
        )
