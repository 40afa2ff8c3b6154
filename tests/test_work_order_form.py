from freezegun import freeze_time
from lxml import etree

from odoo.tests import Form, tagged

from .test_sla_clock import SlaCase, utc


@tagged("post_install", "-at_install")
class TestWorkOrderFormSeverity(SlaCase):
    """The desk takes a phoned-in fault on the work-order form: it sets the severity there,
    and may change it while the work order is open (the clock retargets)."""

    def test_severity_is_an_input_on_the_form(self):
        """The browser draws a badge widget read-only whatever the field allows (the test
        Form ignores widgets): the form's severity is a plain input, read-only once closed."""
        Request = self.env["maintenance.request"].with_user(self.technician)
        arch = etree.fromstring(Request.get_views([(False, "form")])["views"]["form"]["arch"])
        (severity,) = arch.xpath("//field[@name='severity']")
        self.assertNotIn(severity.get("widget"), ("badge", "label_selection"))
        self.assertEqual(severity.get("readonly"), "is_closed")

    @freeze_time("2026-06-01 10:00:00")
    def test_desk_sets_severity_on_create_and_while_open(self):
        self._contract(self.calendar_24)
        form = Form(self.env["maintenance.request"].with_user(self.technician))
        form.name = "Line 3 stopped: printer does not print"
        form.equipment_id = self.device
        form.maintenance_team_id = self.team
        form.severity = "p1"
        work_order = form.save()
        self.assertEqual(work_order.severity, "p1")
        response = self._line(work_order, "response")
        self.assertEqual(response.deadline, utc("2026-06-01 10:30:00"), "P1's 30 minutes")
        with Form(work_order.with_user(self.technician)) as form:
            form.severity = "p2"
        self.assertEqual(response.deadline, utc("2026-06-01 12:00:00"), "retargeted to P2's 2 h")

    @freeze_time("2026-06-01 10:00:00")
    def test_severity_is_read_only_once_closed(self):
        self._contract(self.calendar_24)
        work_order = self._request("p2")
        work_order.stage_id = self.stage_repaired
        self.assertTrue(work_order.is_closed)
        form = Form(work_order.with_user(self.technician))
        with self.assertRaises(AssertionError):
            form.severity = "p1"


@tagged("post_install", "-at_install")
class TestWorkOrderStages(SlaCase):
    def test_waiting_for_customer_sits_between_in_progress_and_repaired(self):
        """The status bar reads in the order work goes: waiting for the customer comes
        before the repair is done, not after it."""
        waiting = self.env.ref("barcode_device_service.maintenance_stage_waiting_customer")
        stages = self.env["maintenance.stage"].search(
            [("id", "in", (self.stage_progress | waiting | self.stage_repaired).ids)]
        )
        self.assertEqual(stages.ids, [self.stage_progress.id, waiting.id, self.stage_repaired.id])


@tagged("post_install", "-at_install")
class TestMilestoneNames(SlaCase):
    @freeze_time("2026-06-01 10:00:00")
    def test_a_milestone_is_named_by_its_work_order_and_label(self):
        """A milestone shown in a link (the ledger entry's SLA line, a search) reads as its
        work order and its label in the user's words, never the raw key ("response")."""
        self._contract(self.calendar_24)
        work_order = self._request("p1", on_site=True)
        response = self._line(work_order, "response")
        self.assertEqual(response.display_name, f"{work_order.display_name} – Response")
        arrival = self._line(work_order, "arrival")
        self.assertIn("On-site Arrival", arrival.display_name)
