import secrets
from urllib.parse import urlsplit

from freezegun import freeze_time

from odoo import Command, http
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DevicePortalCase, DeviceServiceCase


@tagged("post_install", "-at_install")
class TestDeviceHandover(DeviceServiceCase):
    """A device handed to another customer: coverage follows ownership, a work order takes
    the contract of its own customer, and what the old owner's work orders booked stays
    theirs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env.ref("barcode_device_service.resource_calendar_7x24")
        # No installation site: the customer is written alone, as the lessons ask.
        cls.device = cls.create_device(site_id=False)
        cls.team = cls.env["maintenance.team"].create(
            {"name": "Field team", "company_id": cls.company.id}
        )
        with freeze_time("2026-06-01"):
            cls.contract = cls._contract(cls.customer, cls.device)
            cls.contract.action_activate()

    @classmethod
    def _contract(cls, customer, devices):
        return (
            cls.env["service.contract"]
            .with_company(cls.company)
            .create(
                {
                    "partner_id": customer.id,
                    "date_start": "2026-01-01",
                    "date_end": "2026-12-31",
                    "resource_calendar_id": cls.calendar.id,
                    "device_ids": [Command.set(devices.ids)],
                    "monthly_fee": 5000,
                }
            )
        )

    def _work_order(self, **vals):
        return self.env["maintenance.request"].create(
            {
                "name": "Printer does not feed labels",
                "equipment_id": self.device.id,
                "severity": "p2",
                "company_id": self.company.id,
                "maintenance_team_id": self.team.id,
                **vals,
            }
        )

    @freeze_time("2026-06-01 10:00:00")
    def test_customer_change_ends_the_old_coverage(self):
        old_order = self._work_order()
        self.assertEqual(old_order.contract_id, self.contract)
        old_lines = old_order.sla_line_ids
        self.assertTrue(old_lines)
        # The source field alone, as the device form, an import or a delivery writes it.
        self.device.customer_id = self.customer_2
        self.assertNotIn(self.device, self.contract.device_ids)
        self.assertEqual(self.contract.state, "active")
        self.device.invalidate_recordset(["active_contract_id"])
        self.assertFalse(self.device.active_contract_id)
        # The account manager reads why the device left the contract.
        note = self.contract.message_ids[:1]
        self.assertIn(self.device.name, note.body)
        self.assertIn(self.customer_2.name, note.body)
        self.assertIn(self.contract.name, self.device.message_ids[:1].body)
        # The old owner's work order keeps its contract, its clock and its customer: its SLA
        # and penalties stay with the old customer.
        self.assertEqual(old_order.contract_id, self.contract)
        self.assertEqual(old_order.customer_id, self.customer)
        self.assertEqual(old_order.sla_line_ids, old_lines)
        self.assertEqual(set(old_lines.mapped("contract_id")), {self.contract})
        self.assertEqual(set(old_lines.mapped("state")), {"running"})
        # The new owner's fault is not booked under the old owner's contract.
        new_order = self._work_order(name="Paper jam")
        self.assertEqual(new_order.customer_id, self.customer_2)
        self.assertFalse(new_order.contract_id)
        self.assertFalse(new_order.sla_line_ids)

    @freeze_time("2026-06-01 10:00:00")
    def test_another_contact_of_the_same_customer_keeps_the_coverage(self):
        contact = self.env["res.partner"].create(
            {"name": "Wang Lei", "parent_id": self.customer.id}
        )
        self.device.customer_id = contact
        self.assertIn(self.device, self.contract.device_ids)
        self.assertEqual(self._work_order().contract_id, self.contract)

    @freeze_time("2026-06-01 10:00:00")
    def test_work_order_takes_the_contract_of_its_own_customer(self):
        self.device.customer_id = self.customer_2
        contract_2 = self._contract(self.customer_2, self.device)
        contract_2.action_activate()
        work_order = self._work_order()
        self.assertEqual(work_order.contract_id, contract_2)
        self.assertEqual(set(work_order.sla_line_ids.mapped("contract_id")), {contract_2})
        # Back to the first customer: the new contract lets the device go, the first
        # contract does not take it back by itself, and each work order keeps its own.
        self.device.customer_id = self.customer
        self.assertFalse(contract_2.device_ids)
        self.assertFalse(self._work_order(name="Ribbon torn").contract_id)
        self.assertEqual(work_order.contract_id, contract_2)

    @freeze_time("2026-06-01 10:00:00")
    def test_contract_not_found_for_another_customer(self):
        """The lookup itself asks for the customer's contracts: a device that sits in the
        contract of someone else (data from before the rule) is not covered for its owner."""
        self.assertEqual(self.device._active_contract_on("2026-06-01"), self.contract)
        self.assertFalse(self.device._active_contract_on("2026-06-01", self.customer_2))
        # Writing the customer on the contract's table behind the ORM's back, as old data
        # would have it.
        self.env.cr.execute(
            "UPDATE maintenance_equipment SET customer_id = %s, commercial_partner_id = %s "
            "WHERE id = %s",
            [self.customer_2.id, self.customer_2.id, self.device.id],
        )
        self.device.invalidate_recordset()
        work_order = self._work_order()
        self.assertEqual(work_order.customer_id, self.customer_2)
        self.assertFalse(work_order.contract_id)

    @freeze_time("2026-06-01 10:00:00")
    def test_contract_written_by_hand_must_be_the_customers(self):
        """The compute and the form's domain offer only the customer's contracts; a write
        by hand, an import or RPC is held to the same rule."""
        work_order = self._work_order()
        self.assertEqual(work_order.contract_id, self.contract)
        self.device.customer_id = self.customer_2
        new_order = self._work_order(name="Paper jam")
        with self.assertRaisesRegex(ValidationError, "cannot be booked under contract"):
            new_order.contract_id = self.contract
        self.assertEqual(work_order.contract_id, self.contract)

    def test_active_contract_refuses_a_device_of_another_customer(self):
        other = self.create_device(
            name="Scanner of Suzhou", customer_id=self.customer_2.id, site_id=self.site_2.id
        )
        with self.assertRaisesRegex(ValidationError, "does not belong to customer"):
            self.contract.device_ids = [Command.link(other.id)]


@tagged("post_install", "-at_install")
class TestPortalDeviceHandover(DevicePortalCase):
    """The first customer's device handed to a new owner of the same company (its own portal
    contact and contract), seen from the portal of each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.customer_3, cls.portal_user_3, cls.device_3, cls.contract_3, cls.work_order_3) = (
            cls._portal_customer(cls.company, "Ningbo Packaging Ltd", "bds_portal_c")
        )
        cls.Request = cls.env["maintenance.request"]

    def _login(self, user):
        self.authenticate(user.login, user.login)

    def _hand_over(self, customer):
        self.device.customer_id = customer

    def test_new_owners_device_page_shows_no_old_contract(self):
        self._hand_over(self.customer_3)
        self._login(self.portal_user_3)
        response = self.url_open(f"/my/devices/{self.device.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.device.name, response.text)
        self.assertNotIn(self.contract.name, response.text)
        self.assertIn("not covered by a service contract", response.text)

    def test_new_owners_fault_report_is_not_booked_under_old_contract(self):
        self._hand_over(self.customer_3)
        last_id = self.Request.search([], order="id desc", limit=1).id
        self._login(self.portal_user_3)
        response = self.url_open(
            "/my/work-orders/new",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "submission_key": secrets.token_urlsafe(16),
                "device_id": str(self.device.id),
                "severity": "p1",
                "description": "The printer stopped the line",
            },
            allow_redirects=False,
        )
        work_order = self.Request.search([("id", ">", last_id)])
        self.assertEqual(len(work_order), 1)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(urlsplit(response.headers["Location"]).path, work_order.access_url)
        self.assertEqual(work_order.commercial_partner_id, self.customer_3)
        self.assertNotEqual(work_order.contract_id, self.contract)
        self.assertFalse(work_order.contract_id)
        self.assertFalse(work_order.sla_line_ids)

    def test_past_work_orders_stay_readable_after_the_device_leaves(self):
        self._hand_over(self.customer_3)
        work_order = self.Request.create(
            {
                "name": "Ningbo: labels print blank",
                "equipment_id": self.device.id,
                "company_id": self.company.id,
                "maintenance_team_id": self.work_order.maintenance_team_id.id,
            }
        )
        self.assertEqual(work_order.customer_id, self.customer_3)
        # The device goes back to its first owner.
        self._hand_over(self.customer)
        self._login(self.portal_user_3)
        response = self.url_open("/my/work-orders")
        self.assertEqual(response.status_code, 200)
        self.assertIn(work_order.name, response.text)
        self.assertIn(self.device.name, response.text)
        self.assertIn(self.device.serial_no, response.text)
        self.assertIn(self.work_order_3.name, response.text)
        # Found by the device's name and serial number too.
        for search_in, search in (("device", self.device.name), ("serial", "SN-bds_portal_a")):
            with self.subTest(search_in=search_in):
                text = self.url_open(f"/my/work-orders?search_in={search_in}&search={search}").text
                self.assertIn(f'href="/my/work-orders/{work_order.id}"', text)
        response = self.url_open(f"/my/work-orders/{work_order.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(work_order.name, response.text)
        self.assertIn(self.device.name, response.text)
        # No link to the device page, which is not theirs any more.
        self.assertNotIn(f"/my/devices/{self.device.id}", response.text)
        response = self.url_open(f"/my/devices/{self.device.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        # The first owner sees their device again, not the new owner's work order.
        self._login(self.portal_user)
        response = self.url_open("/my/work-orders")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(work_order.name, response.text)
        self.assertIn(self.work_order.name, response.text)

    def test_former_contract_page_does_not_show_where_the_device_went(self):
        """A contract that ended before the handover still lists the device (it covered it),
        but its page tells the former owner nothing of the new owner: no site, no link."""
        self.contract.action_terminate()
        new_site = self.env["res.partner"].create(
            {"name": "Ningbo Plant 7", "type": "delivery", "parent_id": self.customer_3.id}
        )
        self.device.write({"customer_id": self.customer_3.id, "site_id": new_site.id})
        self.assertIn(self.device, self.contract.device_ids)
        self._login(self.portal_user)
        response = self.url_open(f"/my/contracts/{self.contract.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.device.serial_no, response.text)
        self.assertNotIn(new_site.name, response.text)
        self.assertNotIn(f"/my/devices/{self.device.id}", response.text)
