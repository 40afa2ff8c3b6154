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
