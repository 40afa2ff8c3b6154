from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .test_checklist import PIXEL
from .test_ledger import LedgerCase


@tagged("post_install", "-at_install")
class TestTechnicianDay(LedgerCase):
    """Depart, check in (with the phone's position), finish; refusals out of order; a
    technician's own queue and rights; remote resolution; escalation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        common = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.field_tech = new_test_user(
            cls.env,
            login="bds_field_tech",
            name="Li Wei",
            groups="base.group_user,barcode_device_service.group_device_service_technician",
            **common,
        )
        cls.other_tech = new_test_user(
            cls.env,
            login="bds_other_tech",
            name="Zhang Min",
            groups="base.group_user,barcode_device_service.group_device_service_technician",
            **common,
        )

    def _visit(self, severity="p1", **vals):
        return self._request(severity, on_site=True, user_id=self.field_tech.id, **vals)

    def test_depart_check_in_finish_records_travel_and_work_time(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            work_order = self._visit()
        as_tech = work_order.with_user(self.field_tech)
        with freeze_time("2026-06-01 10:15:00"):
            as_tech.action_depart()
        with freeze_time("2026-06-01 11:00:00"):
            as_tech.action_check_in(latitude=31.2304, longitude=121.4737)
        with freeze_time("2026-06-01 12:30:00"):
            as_tech.action_finish_work()
        self.assertEqual(work_order.travel_hours, 0.75)
        self.assertEqual(work_order.work_hours, 1.5)
        self.assertAlmostEqual(work_order.check_in_latitude, 31.2304)
        self.assertAlmostEqual(work_order.check_in_longitude, 121.4737)
        self.assertEqual(work_order.checked_in_user_id, self.field_tech)
        self.assertEqual(self._line(work_order, "arrival").state, "met")

    def test_actions_out_of_order_are_refused(self):
        with freeze_time("2026-06-01 10:00:00"):
            work_order = self._visit()
            as_tech = work_order.with_user(self.field_tech)
            with self.assertRaisesRegex(UserError, "Check in on site before finishing"):
                as_tech.action_finish_work()
            as_tech.action_depart()
            with self.assertRaisesRegex(UserError, "already departed"):
                as_tech.action_depart()
            as_tech.action_check_in()
            with self.assertRaisesRegex(UserError, "already checked in"):
                as_tech.action_check_in()
            as_tech.action_finish_work()
            with self.assertRaisesRegex(UserError, "already finished"):
                as_tech.action_finish_work()
        # Checking in without departing is allowed: no travel time.
        with freeze_time("2026-06-01 10:00:00"):
            direct = self._visit()
            direct.with_user(self.field_tech).action_check_in()
        self.assertTrue(direct.checked_in_at)
        self.assertEqual(direct.travel_hours, 0.0)
        with self.assertRaisesRegex(UserError, "is already checked in"):
            direct.with_user(self.field_tech).action_depart()

    def test_a_technician_works_on_their_own_and_helped_work_orders_only(self):
        with freeze_time("2026-06-01 10:00:00"):
            mine = self._visit()
            theirs = self._request("p2", on_site=True, user_id=self.other_tech.id)
        Request = self.env["maintenance.request"].with_user(self.field_tech)
        self.assertEqual(Request.search([("id", "in", (mine | theirs).ids)]), mine)
        with self.assertRaises(AccessError):
            theirs.with_user(self.field_tech).read(["name"])
        # Added as a helper (a second opinion): they see it and may act on it.
        theirs.helper_user_ids = self.field_tech
        self.assertEqual(Request.search([("id", "in", (mine | theirs).ids)]), mine | theirs)
        theirs.with_user(self.field_tech).action_depart()
        # A technician who is neither assigned nor helping is told why.
        third = new_test_user(
            self.env,
            login="bds_third_tech",
            groups="base.group_user,barcode_device_service.group_device_service_technician",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with self.assertRaisesRegex(UserError, "it is assigned to Zhang Min"):
            theirs.with_user(third)._check_visit_actor("depart")
        # The desk acts on any work order.
        theirs.with_user(self.technician).action_check_in()

    def test_my_work_orders_queue_next_deadline_first(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            p3 = self._visit(severity="p3")
            p1 = self._visit()
            helped = self._request("p2", on_site=True, user_id=self.other_tech.id)
            helped.helper_user_ids = self.field_tech
            self._request("p1", on_site=True, user_id=self.other_tech.id)
            done = self._visit()
            done.stage_id = self.stage_repaired
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "barcode_device_service.maintenance_request_action_my_work_orders"
        )
        domain = [
            ("is_closed", "=", False),
            "|",
            ("user_id", "=", self.field_tech.id),
            ("helper_user_ids", "in", self.field_tech.id),
        ]
        self.assertIn("helper_user_ids", action["domain"])
        queue = (
            self.env["maintenance.request"]
            .with_user(self.field_tech)
            .search(domain, order="sla_deadline asc, id desc")
        )
        self.assertEqual(queue, p1 | helped | p3)
        self.assertEqual(queue[0], p1, "the P1's response is due first")
        self.assertIn("maps", p1.site_map_url)
        self.assertIn("88 Anting Road", p1.site_address)

    def test_my_work_orders_reads_the_same_queries_whatever_the_team_holds(self):
        self._contract(self.calendar_24)
        spec = {
            "reference": {},
            "name": {},
            "equipment_id": {"fields": {"display_name": {}}},
            "site_address": {},
            "site_map_url": {},
            "severity": {},
            "sla_status": {},
            "sla_time_left": {},
            "stage_id": {"fields": {"display_name": {}}},
        }
        domain = [("is_closed", "=", False), ("user_id", "=", self.field_tech.id)]

        def count(open_in_team):
            with freeze_time("2026-06-01 10:00:00"):
                self.env["maintenance.request"].create(
                    [
                        {
                            "name": f"Other {index}",
                            "company_id": self.company.id,
                            "maintenance_team_id": self.team.id,
                            "user_id": self.other_tech.id,
                        }
                        for index in range(open_in_team)
                    ]
                )
                self.env.flush_all()
                self.env.invalidate_all()
                Request = self.env["maintenance.request"].with_user(self.field_tech)
                before = self.env.cr.sql_log_count
                Request.web_search_read(domain, spec, limit=80)
                return self.env.cr.sql_log_count - before

        with freeze_time("2026-06-01 10:00:00"):
            for _index in range(5):
                self._visit(severity="p3")
        count(0)  # the first reading fills the caches (rules, fields) any screen fills once
        small = count(10)
        self.assertEqual(count(1000), small)

    def test_resolved_remotely_closes_the_arrival_as_not_needed(self):
        contract = self._ruled_contract(
            [{"milestone": "arrival", "computation": "fixed", "amount": 300}]
        )
        with freeze_time("2026-06-01 10:00:00"):
            work_order = self._visit()
        # The arrival (4 h) is missed and charged before the fault is fixed by phone.
        self._run_job("2026-06-01 14:30:00")
        self.assertEqual(self._entries(contract).mapped("amount"), [300.0])
        with freeze_time("2026-06-01 15:00:00"):
            work_order.with_user(self.field_tech).action_resolve_remotely()
        self.assertTrue(work_order.resolved_remotely)
        self.assertTrue(work_order.stage_id.is_resolved)
        self.assertEqual(self._line(work_order, "arrival").state, "cancelled")
        self.assertEqual(self._entries(contract).mapped("state"), ["cancelled"], "never charged")
        with self.assertRaisesRegex(UserError, "is closed"):
            work_order.with_user(self.field_tech).action_depart()

    def test_a_visited_work_order_is_not_resolved_remotely(self):
        with freeze_time("2026-06-01 10:00:00"):
            work_order = self._visit()
            work_order.with_user(self.field_tech).action_check_in()
            with self.assertRaisesRegex(UserError, "was visited"):
                work_order.with_user(self.field_tech).action_resolve_remotely()

    def test_escalation_keeps_every_clock(self):
        self._contract(self.calendar_24)
        specialists = self.env["maintenance.team"].create(
            {"name": "Printer specialists", "company_id": self.company.id}
        )
        with freeze_time("2026-06-01 10:00:00"):
            work_order = self._visit()
        lines = work_order.sla_line_ids
        deadlines = lines.mapped("deadline")
        wizard = (
            self.env["maintenance.request.escalate"]
            .with_user(self.field_tech)
            .create({"request_id": work_order.id, "team_id": specialists.id, "reason": " "})
        )
        with self.assertRaisesRegex(UserError, "Say why"):
            wizard.action_apply()
        with freeze_time("2026-06-01 11:00:00"):
            wizard.reason = "Print head fault needs the specialists"
            wizard.action_apply()
        self.assertEqual(work_order.maintenance_team_id, specialists)
        self.assertFalse(work_order.user_id)
        self.assertEqual(work_order.helper_user_ids, self.field_tech, "stays on as a helper")
        self.assertEqual(work_order.sla_line_ids, lines)
        self.assertEqual(work_order.sla_line_ids.mapped("deadline"), deadlines)
        self.assertIn("Print head fault", work_order.message_ids[:1].body)

    def test_the_customer_signs_once_and_the_report_is_attached(self):
        self._contract(self.calendar_24)
        self.customer.email = "plant2@shanghai-auto.example.com"
        with freeze_time("2026-06-01 10:00:00"):
            work_order = self._visit(diagnosis="Print head worn: cleaned and adjusted.")
            as_tech = work_order.with_user(self.field_tech)
            with self.assertRaisesRegex(UserError, "Finish the work"):
                as_tech.write({"customer_signature": PIXEL, "signed_by": "Wang Fang"})
            as_tech.action_check_in()
            as_tech.action_finish_work()
            with self.assertRaisesRegex(UserError, "The signature is empty"):
                as_tech.write({"customer_signature": False, "signed_by": "Wang Fang"})
            with self.assertRaisesRegex(UserError, "Type the name"):
                as_tech.write({"customer_signature": PIXEL, "signed_by": " "})
            # The name typed and saved first (the form saves when leaving it), then the
            # signature.
            as_tech.signed_by = "Wang Fang"
            as_tech.customer_signature = PIXEL
        self.assertTrue(work_order.signed_at)
        report = work_order.service_report_id
        self.assertTrue(report)
        self.assertEqual((report.res_model, report.res_id), (work_order._name, work_order.id))
        self.assertIn(b"Wang Fang", report.raw)
        self.assertIn(b"Print head worn", report.raw)
        message = work_order.message_ids[:1]
        self.assertEqual(message.attachment_ids, report)
        self.assertIn(self.customer, message.partner_ids)
        with self.assertRaisesRegex(UserError, "already signed"):
            as_tech.write({"customer_signature": PIXEL, "signed_by": "Someone Else"})
        with self.assertRaisesRegex(UserError, "already signed"):
            as_tech.signed_by = "Someone Else"
