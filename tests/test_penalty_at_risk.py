from freezegun import freeze_time

from odoo.tests import tagged

from .test_ledger import LedgerCase


@tagged("post_install", "-at_install")
class TestPenaltyAtRisk(LedgerCase):
    """Money at risk on the desk's queue, priced by hand from the contract's rules: a P1
    (response 30 min, arrival 4 h, resolution 8 h, 7x24) under a fixed response penalty of
    400, 100 per working hour of late arrival, 10 % of the 1,000 fee for a late resolution,
    and a cap of 800 a month."""

    def setUp(self):
        super().setUp()
        self.contract = self._ruled_contract(
            [
                {"milestone": "response", "computation": "fixed", "amount": 400},
                {"milestone": "arrival", "computation": "per_hour", "amount": 100},
                {"milestone": "resolution", "computation": "fee_percent", "percent": 10},
                {"rule_type": "cap", "amount": 800},
            ]
        )

    def _risk(self, request):
        request.invalidate_recordset(["penalty_at_risk", "penalty_per_hour"])
        return request.penalty_at_risk, request.penalty_per_hour

    def test_risk_follows_the_clock_and_the_cap(self):
        with freeze_time("2026-06-10 10:00:00"):
            request = self._request("p1", on_site=True)
        # Breached now: the response's 400 and the resolution's 100; a late arrival of no
        # hour yet costs nothing.
        self.assertEqual(self._risk(request), (500.0, 0.0))

        self._run_job("2026-06-10 11:00:00")
        self.assertEqual(len(self._entries(self.contract, kind="penalty")), 1)
        # The response's penalty is in the ledger: no longer at risk.
        self.assertEqual(self._risk(request), (100.0, 0.0))

        self._run_job("2026-06-10 15:00:00")
        # The arrival (due 14:00) is an hour late: 100 so far, 100 more per working hour.
        self.assertEqual(self._risk(request), (200.0, 100.0))
        with freeze_time("2026-06-10 17:00:00"):
            self.env["maintenance.request"]._cron_refresh_penalty_at_risk()
        self.assertEqual(self._risk(request), (400.0, 100.0))

        # The month's cap has 400 left (800 less the 400 accrued): a new P1 risks 500 by
        # its rules, 400 within the cap.
        with freeze_time("2026-06-10 17:00:00"):
            others = self._request("p1") | self._request("p1")
        self.assertEqual(self._risk(others[0]), (400.0, 0.0))
        # Their responses breach: 1,200 accrued, the cap is used up, nothing more at risk.
        self._run_job("2026-06-10 18:00:00")
        self.assertEqual(self._risk(others[0]), (0.0, 0.0))
        self.assertEqual(self._risk(request), (0.0, 0.0))

    def test_closed_work_orders_risk_nothing(self):
        with freeze_time("2026-06-10 10:00:00"):
            request = self._request("p1")
            self.assertEqual(self._risk(request), (500.0, 0.0))
            request.stage_id = self.stage_repaired
        self.assertEqual(self._risk(request), (0.0, 0.0))
        with freeze_time("2026-06-10 10:05:00"):
            cancelled = self._request("p1")
            cancelled.archive = True
        self.assertEqual(self._risk(cancelled), (0.0, 0.0))

    def test_a_work_order_without_rules_or_contract_risks_nothing(self):
        with freeze_time("2026-06-10 10:00:00"):
            request = self._request("p4", equipment_id=self.create_device().id)
        self.assertFalse(request.contract_id)
        self.assertEqual(self._risk(request), (0.0, 0.0))

    def test_the_queue_sorts_and_filters_on_the_risk(self):
        with freeze_time("2026-06-10 10:00:00"):
            p1 = self._request("p1")
            p3 = self._request("p3")
            uncovered = self._request("p3", equipment_id=self.create_device().id)
        self._run_job("2026-06-10 11:00:00")
        # The P1's response is already charged (100 left at risk); the P3's is not due yet.
        self.assertEqual(self._risk(p1), (100.0, 0.0))
        self.assertEqual(self._risk(p3), (500.0, 0.0))
        Request = self.env["maintenance.request"].with_user(self.manager)
        found = Request.search(
            [("id", "in", (p1 | p3 | uncovered).ids), ("penalty_at_risk", ">", 0)],
            order="penalty_at_risk desc",
        )
        self.assertEqual(found.ids, [p3.id, p1.id])

    def test_a_fixed_number_of_queries_per_batch(self):
        with freeze_time("2026-06-10 10:00:00"):
            few = self.env["maintenance.request"].concat(*(self._request("p1") for _i in range(3)))
            many = self.env["maintenance.request"].concat(
                *(self._request("p1") for _i in range(30))
            )
        self._run_job("2026-06-10 15:00:00")
        counts = []
        for batch in (few, many):
            self.env.invalidate_all()
            with freeze_time("2026-06-10 16:00:00"):
                before = self.env.cr.sql_log_count
                batch._refresh_penalty_at_risk()
                counts.append(self.env.cr.sql_log_count - before)
        self.assertEqual(counts[0], counts[1])
