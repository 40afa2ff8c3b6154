from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import ValidationError
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


@tagged("post_install", "-at_install")
class TestWorkOrderCustomerContact(SlaCase):
    """The customer's contact follows the work order and is the one the desk writes to; only
    a message that reaches the customer meets the response, and being on site does too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.caller = Partner.create(
            {
                "name": "Wang Fang",
                "parent_id": cls.customer.id,
                "email": "wang.fang@shanghai-auto.example.com",
                "phone": "+86 21 5555 0101",
            }
        )
        cls.stranger = Partner.create(
            {"name": "Zhou Min", "parent_id": cls.customer_2.id, "phone": "+86 512 0000"}
        )
        cls.comment = cls.env.ref("mail.mt_comment")

    def _follows_replies(self, work_order, partner):
        follower = work_order.message_follower_ids.filtered(lambda f: f.partner_id == partner)
        return bool(follower) and self.comment in follower.subtype_ids

    @freeze_time("2026-06-01 10:00:00")
    def test_the_caller_is_recorded_and_follows(self):
        """The desk records who called (a contact of the customer, with a phone); "Requested
        by" stays the internal user who took the call."""
        self._contract(self.calendar_24)
        form = Form(self.env["maintenance.request"].with_user(self.technician))
        form.name = "Line 3 stopped"
        form.equipment_id = self.device
        form.maintenance_team_id = self.team
        form.caller_id = self.caller
        self.assertEqual(form.caller_phone, "+86 21 5555 0101")
        form.caller_phone = "+86 138 0000 0000"  # a mobile number given on the phone
        work_order = form.save()
        self.assertEqual(work_order.owner_user_id, self.technician)
        self.assertEqual(work_order.caller_phone, "+86 138 0000 0000")
        self.assertEqual(self.caller.phone, "+86 21 5555 0101", "the contact is not changed")
        self.assertTrue(self._follows_replies(work_order, self.caller))
        # A reply goes to them; the desk's other messages (stage, notes) do not.
        follower = work_order.message_follower_ids.filtered(lambda f: f.partner_id == self.caller)
        self.assertEqual(follower.subtype_ids, self.comment)
        self.assertFalse(
            self._follows_replies(work_order, self.customer), "the caller is the contact"
        )

    @freeze_time("2026-06-01 10:00:00")
    def test_a_caller_of_another_customer_is_refused(self):
        self._contract(self.calendar_24)
        with self.assertRaisesRegex(ValidationError, "not a contact of"):
            self._request("p2", caller_id=self.stranger.id)

    @freeze_time("2026-06-01 10:00:00")
    def test_without_caller_the_customer_follows_and_is_suggested(self):
        self._contract(self.calendar_24)
        work_order = self._request("p2")
        self.assertTrue(self._follows_replies(work_order, self.customer))
        # Should the contact stop following, the composer still proposes them.
        work_order.message_unsubscribe(partner_ids=self.customer.ids)
        suggested = work_order._message_get_suggested_recipients()
        self.assertIn(self.customer.id, [r.get("partner_id") for r in suggested])

    @freeze_time("2026-06-01 10:00:00")
    def test_portal_reporter_is_the_contact(self):
        portal = self.env["res.users"].create(
            {
                "name": "Li Na",
                "login": "bds_contact_portal",
                "email": "li.na@shanghai-auto.example.com",
                "parent_id": self.customer.id,
                "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)],
            }
        )
        self._contract(self.calendar_24)
        work_order = self._request("p2", owner_user_id=portal.id)
        self.assertTrue(self._follows_replies(work_order, portal.partner_id))
        self.assertEqual(work_order._customer_contact(), portal.partner_id)

    def test_a_reply_to_nobody_does_not_meet_the_response(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            work_order = self._request("p2")
        work_order.message_unsubscribe(partner_ids=self.customer.ids)
        response = self._line(work_order, "response")
        with freeze_time("2026-06-01 10:20:00"):
            work_order.with_user(self.technician).message_post(
                body="We are on it", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(response.state, "running", "a message to nobody answers no one")
        # Addressed to an internal colleague only: still not the customer.
        with freeze_time("2026-06-01 10:25:00"):
            work_order.with_user(self.technician).message_post(
                body="Can you look?",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=self.manager.partner_id.ids,
            )
        self.assertEqual(response.state, "running")
        with freeze_time("2026-06-01 10:30:00"):
            work_order.with_user(self.technician).message_post(
                body="We are on it",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=self.caller.ids,
            )
        self.assertEqual(response.state, "met")
        self.assertEqual(response.met_at, utc("2026-06-01 10:30:00"))

    def test_check_in_meets_an_unmet_response(self):
        """Being on site is responding (the trade counts it so): the response clock cannot
        run out, and be charged, while the technician stands at the device."""
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            work_order = self._request("p1", on_site=True)
        with freeze_time("2026-06-01 10:20:00"):
            work_order.with_user(self.technician).action_check_in()
        self.assertRecordValues(
            self._line(work_order, "response") | self._line(work_order, "arrival"),
            [
                {"state": "met", "met_at": utc("2026-06-01 10:20:00")},
                {"state": "met", "met_at": utc("2026-06-01 10:20:00")},
            ],
        )

    def test_check_in_keeps_an_earlier_response(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            work_order = self._request("p1", on_site=True)
        with freeze_time("2026-06-01 10:10:00"):
            work_order.with_user(self.technician).message_post(
                body="Technician on the way",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        with freeze_time("2026-06-01 11:00:00"):
            work_order.with_user(self.technician).action_check_in()
        self.assertEqual(self._line(work_order, "response").met_at, utc("2026-06-01 10:10:00"))


@tagged("post_install", "-at_install")
class TestWorkOrderTimeLeft(SlaCase):
    """The kanban card tells the time left to the next deadline, in working time."""

    def test_time_left_to_the_next_deadline(self):
        self._contract(self.shanghai)
        # Monday 1 June 2026, 10:00 in Shanghai: P2 responds in 2 working hours.
        with freeze_time("2026-06-01 02:00:00"):
            work_order = self._request("p2")
        with freeze_time("2026-06-01 02:30:00"):
            self.env.invalidate_all()
            self.assertEqual(work_order.sla_time_left, "1 h 30 min left")
        # Due at 12:00; at 14:00 it is one working hour late (lunch does not count).
        with freeze_time("2026-06-01 06:00:00"):
            self.env.invalidate_all()
            self.assertEqual(work_order.sla_time_left, "1 h late")
        work_order.stage_id = self.stage_repaired
        self.env.invalidate_all()
        self.assertFalse(work_order.sla_time_left, "nothing is awaited once resolved")

    def test_the_card_shows_it(self):
        arch = self.env["maintenance.request"].get_views([(False, "kanban")])["views"]["kanban"]
        self.assertIn('name="sla_time_left"', arch["arch"])


@tagged("post_install", "-at_install")
class TestWorkOrderReports(SlaCase):
    """The managers' reports average what is measured: unrated work orders are no 0 in
    the rating average, and the SLA Analysis graph shows shares, not a stacked sum."""

    def test_rating_average_counts_rated_work_orders_only(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            rated, unrated = self._request("p2"), self._request("p2")
        rated.rating_apply(5, token=rated._rating_get_access_token(self.customer))
        self.assertEqual(rated.rating_last_value, 5)
        self.assertEqual(unrated.rating_last_value, 0)
        [(average,)] = (
            self.env["maintenance.request"]
            .with_user(self.manager)
            ._read_group([("id", "in", (rated | unrated).ids)], [], ["rating_last_value:avg"])
        )
        self.assertEqual(average, 5.0)
        # The pivot offers the measure.
        arch = self.env["maintenance.request"].get_views([(False, "pivot")])["views"]["pivot"]
        self.assertIn('name="rating_last_value"', arch["arch"])

    def test_sla_graph_is_unstacked_shares(self):
        views = self.env["service.sla.line"].with_user(self.manager).get_views([(False, "graph")])
        graph = etree.fromstring(views["views"]["graph"]["arch"])
        self.assertEqual(graph.get("stacked"), "0")
        [measure] = graph.xpath("//field[@type='measure']")
        self.assertEqual(measure.get("name"), "met_on_time")
        field = self.env["service.sla.line"]._fields["met_on_time"]
        self.assertEqual(field.aggregator, "avg")
