from freezegun import freeze_time

from odoo import Command
from odoo.tests import Form, tagged
from odoo.tools import convert_file

from .test_sla_clock import SlaCase, utc


@tagged("post_install", "-at_install")
class TestSlaTermsChange(SlaCase):
    """Every path that changes a work order's terms retargets its clock."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_b = cls.env["res.partner"].create({"name": "Ningbo Port", "is_company": True})
        cls.device_b = cls.create_device(
            name="Scanner at the port", customer_id=cls.customer_b.id, site_id=False
        )

    def _contract_b(self):
        contract = self.env["service.contract"].create(
            {
                "partner_id": self.customer_b.id,
                "date_start": "2026-01-01",
                "date_end": "2026-12-31",
                "resource_calendar_id": self.berlin.id,
                "device_ids": [Command.set(self.device_b.ids)],
                "company_id": self.company.id,
            }
        )
        contract.action_activate()
        return contract

    def test_device_written_alone_retargets_the_clock(self):
        self._contract(self.calendar_24)
        contract_b = self._contract_b()
        # Monday 1 June 2026, 10:00 UTC = 12:00 in Berlin.
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p2")
        self.assertEqual(self._line(request, "response").deadline, utc("2026-06-01 12:00:00"))
        messages = len(request.message_ids)
        with freeze_time("2026-06-01 10:30:00"):
            # As code, an import or RPC would: the device alone, not the contract.
            request.write({"equipment_id": self.device_b.id})
        self.assertEqual(request.contract_id, contract_b)
        response = self._line(request, "response")
        self.assertEqual(response.contract_id, contract_b)
        self.assertEqual(response.customer_id, self.customer_b)
        self.assertEqual(response.calendar_id, self.berlin)
        self.assertEqual(response.start_at, utc("2026-06-01 10:00:00"), "the original start")
        # 2 working hours in Berlin from 12:00, the 12:00-13:00 break excluded.
        self.assertEqual(response.deadline, utc("2026-06-01 13:00:00"))
        self.assertGreater(len(request.message_ids), messages, "a note names the change")
        self.assertIn(contract_b.name, request.message_ids[0].body)

    def test_device_without_contract_cancels_the_clock(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p2")
        with freeze_time("2026-06-01 10:30:00"):
            request.write({"equipment_id": self.device_b.id})
        self.assertFalse(request.contract_id)
        self.assertEqual(set(request.sla_line_ids.mapped("state")), {"cancelled"})

    def test_overdue_clock_shows_negative_remaining_time(self):
        self._contract(self.shanghai)
        # Monday 1 June 2026, 10:00 in Shanghai: P2 answers within 2 working hours, by 12:00.
        with freeze_time("2026-06-01 02:00:00"):
            request = self._request("p2")
        response = self._line(request, "response")
        self.assertEqual(response.deadline, utc("2026-06-01 04:00:00"))
        # 15:00 in Shanghai: 12:00-13:00 is lunch, so two working hours late.
        with freeze_time("2026-06-01 07:00:00"):
            response.invalidate_recordset(["remaining_hours"])
            self.assertEqual(response.remaining_hours, -2.0)

    def test_window_follows_the_calendar_hours_per_day(self):
        """A round-the-clock calendar needs fewer days of intervals than office hours."""
        self.assertEqual(self.calendar_24.hours_per_day, 24)
        self.assertLess(self.calendar_24._sla_window_days(240), self.shanghai._sla_window_days(240))

    @freeze_time("2026-06-01 10:00:00")
    def test_resolved_remotely_before_arrival_cancels_the_arrival(self):
        self._contract(self.calendar_24)
        request = self._request("p1", on_site=True)
        with freeze_time("2026-06-01 11:00:00"):
            request.stage_id = self.stage_repaired
        self.assertEqual(self._line(request, "resolution").state, "met")
        self.assertEqual(self._line(request, "arrival").state, "cancelled")
        self.assertFalse(request.sla_line_ids.filtered("next_check_at"))

    def test_stage_flags_survive_a_module_update(self):
        """What a manager configured on core's stages stays after an update of the addon."""
        self.stage_progress.starts_work = False
        self.stage_repaired.is_resolved = False
        convert_file(
            self.env, "barcode_device_service", "data/service_sla_data.xml", {}, mode="update"
        )
        self.assertFalse(self.stage_progress.starts_work)
        self.assertFalse(self.stage_repaired.is_resolved)


@tagged("post_install", "-at_install")
class TestSlaWithoutDeviceServiceGroup(SlaCase):
    """Employees who are not in a Device Service group still use the Maintenance app on
    devices under contract: their work orders get their clocks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.maintenance_admin = cls.env["res.users"].create(
            {
                "name": "Maintenance Admin",
                "login": "bds_maintenance_admin",
                "email": "maintenance.admin@example.com",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [
                    Command.set(
                        [
                            cls.env.ref("base.group_user").id,
                            cls.env.ref("maintenance.group_equipment_manager").id,
                        ]
                    )
                ],
            }
        )
        # Core shows an employee the equipment they follow.
        cls.device.message_subscribe(partner_ids=cls.internal_user.partner_id.ids)

    def _check_clock_for(self, user):
        contract = self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            form = Form(self.env["maintenance.request"].with_user(user).with_company(self.company))
            form.name = "Label printer jams"
            form.equipment_id = self.device.with_user(user)
            form.maintenance_team_id = self.team
            request = form.save()
        self.assertEqual(request.sudo().contract_id, contract)
        self.assertEqual(
            sorted(request.sudo().sla_line_ids.mapped("milestone")), ["resolution", "response"]
        )
        # Their own events move the clock: a public reply answers the customer.
        with freeze_time("2026-06-01 10:20:00"):
            request.with_user(user).message_post(
                body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(self._line(request.sudo(), "response").state, "met")
        with freeze_time("2026-06-01 10:30:00"):
            request.with_user(user).stage_id = self.stage_waiting
            request.with_user(user).stage_id = self.stage_repaired
        self.assertEqual(self._line(request.sudo(), "resolution").state, "met")

    def test_maintenance_administrator(self):
        self._check_clock_for(self.maintenance_admin)

    def test_employee_following_the_device(self):
        self._check_clock_for(self.internal_user)
