from freezegun import freeze_time

from odoo.tests import tagged

from .test_sla_clock import SlaCase


@tagged("post_install", "-at_install")
class TestSlaQueryBudget(SlaCase):
    """Moving a work order costs the same whatever the number of open work orders."""

    def _open_work_orders(self, count):
        # Bulk rows straight in SQL: what is measured is the stage move, not their creation.
        self.env.cr.execute(
            """
            INSERT INTO maintenance_request
                (name, company_id, maintenance_team_id, stage_id, kanban_state, severity,
                 channel, request_date, maintenance_type, archive, create_date, write_date)
            SELECT 'Bulk ' || n, %s, %s, %s, 'normal', 'p3', 'backend', CURRENT_DATE,
                   'corrective', false, now(), now()
              FROM generate_series(1, %s) AS n
            """,
            (self.company.id, self.team.id, self.stage_new.id, count),
        )
        self.env.invalidate_all()

    def _move_queries(self, request, stage):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        request.stage_id = stage
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_stage_move_query_count_does_not_grow_with_open_work_orders(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            first, second = self._request("p2"), self._request("p2")
        self._open_work_orders(10)
        with freeze_time("2026-06-01 10:10:00"):
            with_ten = self._move_queries(first, self.stage_waiting)
        self._open_work_orders(9990)
        with freeze_time("2026-06-01 10:10:00"):
            self.env.flush_all()
            self.env.invalidate_all()
            with self.assertQueryCount(with_ten):
                second.stage_id = self.stage_waiting
                self.env.flush_all()
        self.assertEqual(second.sla_status, "paused")
