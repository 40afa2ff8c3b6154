from freezegun import freeze_time
from odoo_test_helper import FakeModelLoader

from odoo.tests import tagged

from .test_sla_clock import SlaCase, utc


@tagged("post_install", "-at_install")
class TestSlaMixin(SlaCase):
    """The SLA clock on a model that is not a work order, through ``service.sla.mixin``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.loader = FakeModelLoader(cls.env, cls.__module__)
        cls.loader.backup_registry()
        from .fake_models import SlaFakeTicket

        cls.loader.update_registry((SlaFakeTicket,))
        cls.addClassCleanup(cls.loader.restore_registry)
        cls.account_manager = cls.manager

    def _ticket(self, contract, severity="p2"):
        return self.env["bds.sla.fake.ticket"].create(
            {
                "name": "Scanner drops Wi-Fi",
                "company_id": self.company.id,
                "contract_id": contract.id,
                "severity": severity,
            }
        )

    def _contract_with_manager(self, calendar):
        contract = self._contract(calendar)
        contract.user_id = self.account_manager
        return contract

    def _line(self, record, milestone):
        return record.sla_line_ids.filtered(lambda line: line.milestone == milestone)

    def test_clock_starts_in_working_time_without_a_work_order(self):
        contract = self._contract_with_manager(self.shanghai)
        # Thursday 1 October 2026, 17:00 in Shanghai: one working hour before the holiday.
        with freeze_time("2026-10-01 09:00:00"):
            ticket = self._ticket(contract, "p2")
        self.assertEqual(
            sorted(ticket.sla_line_ids.mapped("milestone")), ["resolution", "response"]
        )
        response = self._line(ticket, "response")
        self.assertEqual(response.res_model, "bds.sla.fake.ticket")
        self.assertEqual(response.res_id, ticket.id)
        self.assertFalse(response.request_id)
        self.assertEqual(response.document_name, "Scanner drops Wi-Fi")
        action = response.action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), (ticket._name, ticket.id))
        self.assertEqual(response.company_id, self.company)
        self.assertEqual(response.customer_id, self.customer)
        # 2 working hours: 1 on Thursday, then Tuesday 6 October 09:00-10:00 in Shanghai.
        self.assertEqual(response.deadline, utc("2026-10-06 02:00:00"))
        self.assertEqual(ticket.sla_status, "running")

    def test_pause_resume_and_meet(self):
        contract = self._contract_with_manager(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            ticket = self._ticket(contract, "p2")
        resolution = self._line(ticket, "resolution")
        self.assertEqual(resolution.deadline, utc("2026-06-02 10:00:00"))
        with freeze_time("2026-06-01 11:00:00"):
            ticket._sla_pause("Waiting for the customer's spare unit")
        self.assertEqual(ticket.sla_status, "paused")
        self.assertEqual(ticket.sla_pause_ids.reason, "Waiting for the customer's spare unit")
        with freeze_time("2026-06-01 14:00:00"):
            ticket._sla_resume()
        self.assertEqual(resolution.paused_hours, 3)
        self.assertEqual(resolution.deadline, utc("2026-06-02 13:00:00"))
        self.assertEqual(resolution.original_deadline, utc("2026-06-02 10:00:00"))
        with freeze_time("2026-06-02 13:00:00"):
            ticket._sla_meet("resolution", utc("2026-06-02 13:00:00"))
        self.assertEqual(resolution.state, "met")
        self.assertEqual(resolution.elapsed_hours, 24)

    def test_severity_change_recomputes_from_the_start(self):
        contract = self._contract_with_manager(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            ticket = self._ticket(contract, "p3")
        with freeze_time("2026-06-01 11:00:00"):
            ticket.severity = "p1"
        response = self._line(ticket, "response")
        self.assertEqual(response.severity, "p1")
        self.assertEqual(response.start_at, utc("2026-06-01 10:00:00"))
        self.assertEqual(response.deadline, utc("2026-06-01 10:30:00"))
        note = ticket.message_ids.filtered(lambda m: "SLA targets recomputed" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("P1", note.body)

    def test_detection_job_notifies_the_document(self):
        contract = self._contract_with_manager(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            ticket = self._ticket(contract, "p1")
        with freeze_time("2026-06-01 10:25:00"):
            self.env["service.sla.line"]._cron_check_sla()
        self.assertEqual(ticket.sla_status, "warning")
        self.assertEqual(ticket.activity_ids.user_id, self.account_manager)
        with freeze_time("2026-06-01 10:31:00"):
            self.env["service.sla.line"]._cron_check_sla()
        self.assertEqual(ticket.sla_status, "breached")
        # The breach note (the "at risk" to-do marked done carries the breach as feedback).
        breach = ticket.message_ids.filtered(
            lambda m: "SLA breached" in (m.body or "") and not m.mail_activity_type_id
        )
        self.assertEqual(len(breach), 1)
        self.assertEqual(breach.partner_ids, self.account_manager.partner_id)
        self.assertFalse(ticket.activity_ids, "the warning is done once breached")

    def test_cancel_and_unlink_take_the_clock_along(self):
        contract = self._contract_with_manager(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            ticket = self._ticket(contract, "p2")
            ticket._sla_pause("Customer on holiday")
        with freeze_time("2026-06-01 12:00:00"):
            ticket._sla_cancel()
        self.assertEqual(set(ticket.sla_line_ids.mapped("state")), {"cancelled"})
        self.assertEqual(ticket.sla_pause_ids.end_at, utc("2026-06-01 12:00:00"))
        self.assertFalse(any(ticket.sla_line_ids.mapped("next_check_at")))
        lines, pauses = ticket.sla_line_ids, ticket.sla_pause_ids
        ticket.unlink()
        self.assertFalse(lines.exists())
        self.assertFalse(pauses.exists())
