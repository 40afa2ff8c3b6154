import importlib.util
from pathlib import Path

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged

from .test_sla_clock import SlaCase


@tagged("post_install", "-at_install")
class TestKpiReport(SlaCase):
    """The work-order figures of Service KPIs, computed by hand for a small set and read
    back from the report, and agreeing with the SLA lines."""

    def _row(self, request):
        return self.env["service.kpi.report"].search([("request_id", "=", request.id)])

    def test_figures_of_a_visit_on_time_and_of_a_late_response(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            on_time = self._request("p2", on_site=True)
            late = self._request("p1", on_site=False)
            remote = self._request("p3", on_site=False)
        with freeze_time("2026-06-01 10:30:00"):
            on_time.action_depart()
        with freeze_time("2026-06-01 11:00:00"):
            on_time.stage_id = self.stage_progress  # P2 response (2 h) met after 1 h
        with freeze_time("2026-06-01 12:00:00"):
            on_time._check_in(fields.Datetime.now())  # on site after 2 h
            late.stage_id = self.stage_progress  # P1 response (30 min) met after 2 h: late
        with freeze_time("2026-06-01 15:00:00"):
            on_time.action_finish_work()
            on_time.stage_id = self.stage_repaired  # resolved after 5 h
            late.stage_id = self.stage_repaired
        with freeze_time("2026-06-01 16:00:00"):
            remote.action_resolve_remotely()
        self.env.flush_all()

        row = self._row(on_time)
        self.assertRecordValues(
            row,
            [
                {
                    "response_hours": 1.0,
                    "arrival_hours": 2.0,
                    "resolution_hours": 5.0,
                    "within_sla_percent": 100.0,
                    "remote_percent": 0.0,
                    "travel_hours": 1.5,
                    "work_hours": 3.0,
                    "rated_percent": 0.0,
                    "severity": "p2",
                    "contract_id": on_time.contract_id.id,
                    "user_id": self.technician.id,
                }
            ],
        )
        self.assertEqual(self._row(late).response_hours, 2.0)
        self.assertEqual(self._row(late).within_sla_percent, 0.0)
        # The remote fix answered the customer when it resolved the fault: after 6 h, past
        # the P3 response target (4 h).
        self.assertRecordValues(
            self._row(remote),
            [{"remote_percent": 100.0, "response_hours": 6.0, "within_sla_percent": 0.0}],
        )
        # Agrees with the SLA lines: the same elapsed hours.
        line = self._line(on_time, "resolution")
        self.assertEqual(row.resolution_hours, line.elapsed_hours)

        # Grouped as the manager reads it: averages and shares over the month.
        groups = self.env["service.kpi.report"]._read_group(
            [("request_id", "in", (on_time | late | remote).ids)],
            ["date:month"],
            ["response_hours:avg", "within_sla_percent:avg", "__count"],
        )
        ((_month, response, within_sla, count),) = groups
        self.assertEqual(count, 3)
        self.assertAlmostEqual(response, (1.0 + 2.0 + 6.0) / 3)
        self.assertAlmostEqual(within_sla, 100.0 / 3)

    def test_another_company_does_not_see_the_figures(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p2")
        Report = self.env["service.kpi.report"]
        self.assertTrue(Report.with_user(self.manager).search([("request_id", "=", request.id)]))
        self.assertFalse(
            Report.with_user(self.manager_company_2).search([("request_id", "=", request.id)])
        )

    def _part_product(self):
        return self.env["product.product"].create(
            {
                "name": "Print head 203 dpi",
                "is_storable": True,
                "is_spare_part": True,
                "company_id": self.company.id,
            }
        )

    def test_first_time_fix_reopen_and_repeat(self):
        """By hand: of four resolved work orders on two devices, only the first is a
        first-time fix; the second was reopened, the third needed a part after the check-in
        (a second trip), the fourth was back on the same device and symptom 10 days later."""
        self._contract(self.calendar_24)
        other_device = self.create_device()
        with freeze_time("2026-06-01 10:00:00"):
            fixed = self._request("p3", fault_type="print", equipment_id=other_device.id)
            reopened = self._request("p3", fault_type="scan")
            part_needed = self._request("p3", on_site=True, fault_type="power")
        with freeze_time("2026-06-01 11:00:00"):
            part_needed._check_in(fields.Datetime.now())
        with freeze_time("2026-06-01 12:00:00"):
            self.env["maintenance.request.part"].create(
                {"request_id": part_needed.id, "product_id": self._part_product().id}
            )
            (fixed | reopened | part_needed).stage_id = self.stage_repaired
        with freeze_time("2026-06-02 09:00:00"):
            reopened.stage_id = self.stage_progress
        with freeze_time("2026-06-02 10:00:00"):
            reopened.stage_id = self.stage_repaired
        self.assertEqual(reopened.reopen_count, 1)
        self.assertEqual(str(reopened.resolved_at), "2026-06-02 10:00:00")
        with freeze_time("2026-06-11 10:00:00"):
            # Same device and symptom as the reopened one: it repeats that, not the others.
            repeat = self._request("p3", fault_type="scan", request_date="2026-06-11")
            # Another symptom on the same device is a new fault.
            other_fault = self._request("p3", fault_type="mechanical", request_date="2026-06-11")
        self.assertEqual(repeat.repeat_of_id, reopened)
        self.assertFalse(other_fault.repeat_of_id)
        self.env.flush_all()

        figures = {
            request: (row.first_time_fix_percent, row.reopen_percent)
            for request in (fixed, reopened, part_needed)
            for row in self._row(request)
        }
        self.assertEqual(
            figures,
            {fixed: (100.0, 0.0), reopened: (0.0, 100.0), part_needed: (0.0, 0.0)},
        )
        # Open ones are out of the share, not counted as failures.
        self.assertFalse(self._row(repeat).first_time_fix_percent)
        ((ftf, reopen_rate),) = self.env["service.kpi.report"]._read_group(
            [("request_id", "in", (fixed | reopened | part_needed | repeat).ids)],
            [],
            ["first_time_fix_percent:avg", "reopen_percent:avg"],
        )
        self.assertAlmostEqual(ftf, 100.0 / 3)
        self.assertAlmostEqual(reopen_rate, 100.0 / 3)

    def test_a_repeat_after_30_days_is_a_new_fault(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            first = self._request("p3")
            first.stage_id = self.stage_repaired
        with freeze_time("2026-07-02 10:00:00"):
            later = self._request("p3", request_date="2026-07-02")
        self.assertFalse(later.repeat_of_id)
        self.assertEqual(first.kpi_first_time_fix, 100.0)
        with freeze_time("2026-07-01 10:00:00"):
            within = self._request("p3", request_date="2026-07-01")
        # Neither symptom known: the device back within the 30 days counts.
        self.assertEqual(within.repeat_of_id, first)
        self.assertEqual(first.kpi_first_time_fix, 0.0)

    def test_late_arrival_inside_a_pause(self):
        """The arrival is met late after the clock stood still for two hours: its working
        hours leave the pause out, as the SLA line does."""
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1", on_site=True)
        with freeze_time("2026-06-01 11:00:00"):
            request.stage_id = self.stage_waiting
        with freeze_time("2026-06-01 13:00:00"):
            request.stage_id = self.stage_progress
        with freeze_time("2026-06-01 18:00:00"):
            request._check_in(fields.Datetime.now())
        self.env.flush_all()
        line = self._line(request, "arrival")
        row = self._row(request)
        self.assertEqual(line.state, "met_late")
        self.assertEqual(row.arrival_hours, 6.0)  # 8 h on the clock, 2 h of them paused
        self.assertEqual(row.arrival_hours, line.elapsed_hours)
        self.assertFalse(row.within_sla_percent, "still open: out of the on-time share")

    def test_closed_per_technician_per_working_day(self):
        """June 2026 has 22 working days in the company's Monday-to-Friday calendar: each
        work order the technician closed weighs 1/22, and their sum is the daily figure."""
        self._contract(self.calendar_24)
        calendar = self.company.resource_calendar_id
        self.assertEqual(calendar._kpi_working_days(fields.Date.to_date("2026-06-01")), 22)
        with freeze_time("2026-06-01 10:00:00"):
            requests = self._request("p3") | self._request("p3") | self._request("p3")
            unassigned = self._request("p3", user_id=False)
        with freeze_time("2026-06-03 10:00:00"):
            (requests | unassigned).stage_id = self.stage_repaired
        self.env.flush_all()
        groups = self.env["service.kpi.report"]._read_group(
            [("request_id", "in", (requests | unassigned).ids)],
            ["user_id", "date:month"],
            ["closed_per_day:sum"],
        )
        self.assertEqual(
            [(user, round(value, 4)) for user, _month, value in groups],
            [(self.technician, round(3 / 22, 4)), (self.env["res.users"], 0.0)],
        )

    def test_follow_up_call_after_a_p1_or_p2(self):
        contract = self._contract(self.calendar_24)
        contract.user_id = self.manager
        followup = self.env.ref("barcode_device_service.mail_activity_type_service_followup")
        with freeze_time("2026-06-01 10:00:00"):
            p1 = self._request("p1")
            p3 = self._request("p3")
            (p1 | p3).stage_id = self.stage_repaired
        activity = p1.activity_ids.filtered(lambda a: a.activity_type_id == followup)
        self.assertRecordValues(
            activity,
            [{"user_id": self.manager.id, "date_deadline": fields.Date.to_date("2026-06-08")}],
        )
        self.assertFalse(p3.activity_ids.filtered(lambda a: a.activity_type_id == followup))
        # Reopened and resolved again: still one call to make.
        with freeze_time("2026-06-02 10:00:00"):
            p1.stage_id = self.stage_progress
            p1.stage_id = self.stage_repaired
        self.assertEqual(len(p1.activity_ids.filtered(lambda a: a.activity_type_id == followup)), 1)
        # The company turned it off.
        self.company.service_followup_days = 0
        with freeze_time("2026-06-03 10:00:00"):
            p2 = self._request("p2")
            p2.stage_id = self.stage_repaired
        self.assertFalse(p2.activity_ids.filtered(lambda a: a.activity_type_id == followup))

    def test_digest_figures(self):
        """The digest's service figures over a week, by hand: two work orders resolved in
        the week (one within SLA, one late), one rated 4; an open P1."""
        contract = self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            on_time = self._request("p3")
            late = self._request("p1")
            open_p1 = self._request("p1")
        with freeze_time("2026-06-01 10:15:00"):
            on_time.stage_id = self.stage_progress  # answered after 15 min
            on_time.stage_id = self.stage_repaired
        with freeze_time("2026-06-01 12:00:00"):
            late.stage_id = self.stage_repaired  # P1 response after 2 h: late
        on_time.rating_apply(4, token=on_time._rating_get_access_token())
        self.assertTrue(contract)
        digest = self.env["digest.digest"].create(
            {"name": "Service week", "company_id": self.company.id, "periodicity": "weekly"}
        )
        digest = digest.with_context(
            start_datetime=fields.Datetime.to_datetime("2026-06-01 00:00:00"),
            end_datetime=fields.Datetime.to_datetime("2026-06-08 00:00:00"),
        ).with_user(self.manager)
        self.assertAlmostEqual(digest.kpi_bds_on_time_value, 50.0)
        # Both answered in the week (0.25 h and 2 h); the open P1 not yet.
        self.assertAlmostEqual(digest.kpi_bds_first_response_value, (0.25 + 2.0) / 2)
        self.assertAlmostEqual(digest.kpi_bds_first_time_fix_value, 100.0)
        self.assertAlmostEqual(digest.kpi_bds_satisfaction_value, 4.0)
        self.assertEqual(digest.kpi_bds_open_p1_value, 1)
        self.assertEqual(digest.kpi_bds_money_at_risk_value, open_p1.penalty_at_risk)

    def test_upgrade_dates_the_work_orders_resolved_before_it(self):
        """Work orders resolved before 18.0.1.4.0 have no resolution date: the upgrade takes
        the end of their SLA clock, and their per-day weight follows."""
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p3")
        with freeze_time("2026-06-03 16:00:00"):
            request.stage_id = self.stage_repaired
        still_open = self._request("p3")
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE maintenance_request SET resolved_at = NULL, kpi_closed_weight = 0"
            " WHERE id IN %s",
            [(request.id, still_open.id)],
        )
        self.env.invalidate_all()
        path = Path(__file__).parents[1] / "migrations" / "18.0.1.4.0" / "post-migrate.py"
        spec = importlib.util.spec_from_file_location("bds_migration_1_4", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.3.0")
        self.env.invalidate_all()
        self.assertEqual(str(request.resolved_at), "2026-06-03 16:00:00")
        self.assertAlmostEqual(request.kpi_closed_weight, 1 / 22)
        self.assertFalse(still_open.resolved_at)
