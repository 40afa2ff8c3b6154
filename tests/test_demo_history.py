from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..tools.sla_demo_history import STORIES, story_events
from .common import DeviceServiceCase

NOW = datetime(2026, 6, 15, 8, 0)
DAYS = 90


@tagged("post_install", "-at_install")
class TestDemoHistory(DeviceServiceCase):
    """The demo's SLA history generator, run on own data: a round-the-clock contract and a
    business-hours one in Shanghai, three months back from a frozen day."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        team = cls.env["maintenance.team"].create(
            {"name": "Field team East", "company_id": cls.company.id}
        )
        office = cls.env["resource.calendar"].create(
            {
                "name": "Shanghai office hours",
                "tz": "Asia/Shanghai",
                "company_id": False,
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {"name": name, "dayofweek": day, "hour_from": start, "hour_to": end}
                        | ({"day_period": "afternoon"} if start >= 12 else {})
                    )
                    for day in "01234"
                    for name, start, end in (("AM", 9, 12), ("PM", 13, 18))
                ],
            }
        )
        plant = [
            cls.create_device(name=f"ZT411 line {n}", maintenance_team_id=team.id)
            for n in range(1, 5)
        ]
        # Installed in the middle of the window: no work order before that day.
        plant[3].installation_date = "2026-05-20"
        depot = [
            cls.create_device(
                name=f"TC52 picker {n}",
                customer_id=cls.customer_2.id,
                site_id=cls.site_2.id,
                maintenance_team_id=team.id,
            )
            for n in range(1, 3)
        ]
        Contract = cls.env["service.contract"].with_company(cls.company)
        common = {"date_start": "2026-01-01", "date_end": "2026-12-31"}
        cls.contract_24 = Contract.create(
            common
            | {
                "partner_id": cls.customer.id,
                "resource_calendar_id": cls.env.ref(
                    "barcode_device_service.resource_calendar_7x24"
                ).id,
                "device_ids": [Command.set([d.id for d in plant])],
            }
        )
        cls.contract_office = Contract.create(
            common
            | {
                "partner_id": cls.customer_2.id,
                "resource_calendar_id": office.id,
                "device_ids": [Command.set([d.id for d in depot])],
            }
        )
        (cls.contract_24 | cls.contract_office).action_activate()
        cls.late_device = plant[3]
        with freeze_time(NOW):
            cls.requests = cls.env["maintenance.request"]._demo_create_sla_history(
                (cls.contract_24 | cls.contract_office).ids, days=DAYS, technician=cls.technician
            )
        cls.lines = cls.requests.sla_line_ids

    def test_work_orders_are_closed_across_severities_and_customers(self):
        self.assertEqual(len(self.requests), 4 * 6, "four work orders per covered device")
        self.assertEqual(set(self.requests.mapped("severity")), {"p1", "p2", "p3", "p4"})
        self.assertEqual(self.requests.customer_id, self.customer | self.customer_2)
        for request in self.requests:
            self.assertTrue(request.stage_id.is_resolved and request.stage_id.done, request.name)
            resolution = request.sla_line_ids.filtered(lambda line: line.milestone == "resolution")
            self.assertEqual(request.close_date, resolution.met_at.date(), request.name)
        self.assertFalse(
            self.lines.filtered(lambda line: line.state in ("running", "paused", "warning")),
            "no clock is left running on a closed work order",
        )
        self.assertFalse(any(self.lines.mapped("next_check_at")), "nothing left for the job")
        self.assertEqual(self.requests.maintenance_team_id.company_id, self.company)

    def test_outcomes_mix_met_late_breached_and_paused(self):
        states = set(self.lines.mapped("state"))
        self.assertTrue({"met", "met_late", "breached"} <= states, states)
        breached = self.lines.filtered(lambda line: line.state == "breached")
        self.assertEqual(set(breached.mapped("milestone")), {"arrival"}, "never checked in")
        for line in breached:
            self.assertEqual(line.breached_at, line.deadline, "marked by the detection job")
        late = self.lines.filtered(lambda line: line.state == "met_late")
        self.assertTrue(all(late.mapped("breached_at")), "the job saw every late one first")
        self.assertTrue(all(line.late_hours > 0 for line in late))
        self.assertEqual(set(late.mapped("milestone")), {"response", "arrival", "resolution"})
        # Waiting for the customer moved the deadline: met on time only thanks to the pause.
        saved = self.lines.filtered(
            lambda line: line.state == "met"
            and line.paused_hours > 0
            and line.met_at > line.original_deadline
        )
        self.assertTrue(saved)
        pauses = self.requests.sla_pause_ids
        self.assertTrue(pauses)
        self.assertTrue(all(pauses.mapped("end_at")), "every wait ended")
        checked_in = self.requests.filtered("checked_in_at")
        self.assertTrue(checked_in)
        self.assertEqual(checked_in.checked_in_user_id, self.technician)
        arrivals = checked_in.sla_line_ids.filtered(lambda line: line.milestone == "arrival")
        self.assertEqual(
            sorted(arrivals.mapped("met_at")), sorted(checked_in.mapped("checked_in_at"))
        )

    def test_verdicts_are_the_clocks(self):
        """Met, late or breached follows each line's deadline, whatever the story aimed at."""
        for line in self.lines:
            if line.state == "met":
                self.assertLessEqual(line.met_at, line.deadline)
                self.assertEqual(line.met_on_time, 100.0)
            elif line.state == "met_late":
                self.assertGreater(line.met_at, line.deadline)
                self.assertEqual(line.met_on_time, 0.0)
            else:
                self.assertFalse(line.met_at)
                self.assertEqual(line.met_on_time, 0.0)

    def test_dates_lie_in_the_window_before_today(self):
        since = NOW - timedelta(days=DAYS)
        instants = (
            self.lines.mapped("start_at")
            + self.lines.mapped("met_at")
            + self.lines.mapped("breached_at")
            + self.requests.sla_pause_ids.mapped("start_at")
            + self.requests.sla_pause_ids.mapped("end_at")
            + self.requests.mapped("checked_in_at")
        )
        for instant in filter(None, instants):
            self.assertTrue(since <= instant < NOW, instant)
        for day in self.requests.mapped("request_date") + self.requests.mapped("close_date"):
            self.assertTrue(since.date() <= day < NOW.date(), day)
        late_device_orders = self.requests.filtered(lambda r: r.equipment_id == self.late_device)
        self.assertTrue(late_device_orders)
        for request in late_device_orders:
            self.assertGreaterEqual(request.request_date, self.late_device.installation_date)
        messages = self.env["mail.message"].search(
            [("model", "=", "maintenance.request"), ("res_id", "in", self.requests.ids)]
        )
        self.assertTrue(messages.filtered(lambda m: "SLA breached" in m.body))
        for message in messages:
            self.assertTrue(since <= message.date < NOW, message.body)

    def test_analysis_gives_on_time_shares_per_customer(self):
        groups = self.env["service.sla.line"]._read_group(
            [("request_id", "in", self.requests.ids)], ["customer_id"], ["met_on_time:avg"]
        )
        customers = {customer for customer, _share in groups}
        self.assertEqual(customers, {self.customer, self.customer_2})
        for customer, share in groups:
            self.assertTrue(0 < share < 100, f"{customer.name}: {share}")

    def test_inactive_contract_is_refused(self):
        draft = self.contract_24.copy()
        count = self.env["maintenance.request"].search_count([])
        with self.assertRaises(UserError):
            self.env["maintenance.request"]._demo_create_sla_history(draft.ids)
        self.assertEqual(self.env["maintenance.request"].search_count([]), count)

    def test_a_pause_delays_the_events_after_it(self):
        story = next(s for s in STORIES if s.pause and s.arrival)
        targets = {"response": 2.0, "arrival": 8.0, "resolution": 24.0}
        events = {event: offset for offset, event in story_events(story, targets)}
        start, length = (share * 24.0 for share in story.pause)
        self.assertEqual(events["pause"], start)
        self.assertEqual(events["resume"], start + length)
        self.assertEqual(events["resolution"], story.resolution * 24.0 + length)
        self.assertLess(events["arrival"], events["pause"])
        self.assertEqual(min(events.values()), events["response"])
