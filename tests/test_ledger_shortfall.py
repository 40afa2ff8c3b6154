from datetime import date

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..tools import penalty
from .test_stock_commitment import StockCommitmentCase


@tagged("post_install", "-at_install")
class TestShortfallPenalty(StockCommitmentCase):
    """A minimum-stock shortfall that outlasts its grace costs an amount per day below the
    minimum, accrued when it ends and at each period's close while it lasts."""

    def _ruled_contract(self, amount=200.0):
        contract = self._contract([(self.spare_part, 2, 4, None)], stock_grace_hours=24)
        self.env["service.penalty.rule"].create(
            {
                "contract_id": contract.id,
                "rule_type": "shortfall",
                "computation": "fixed",
                "amount": amount,
                "date_from": "2026-01-01",
            }
        )
        contract.with_user(self.manager).action_activate()
        return contract

    def _entries(self, contract):
        return self.env["service.ledger.entry"].search(
            [("contract_id", "=", contract.id)], order="period, id"
        )

    def test_days_charged(self):
        self.assertEqual(penalty.billable_days(0), 0)
        self.assertEqual(penalty.billable_days(24), 1)
        self.assertEqual(penalty.billable_days(25), 2)
        # 30 h in May then 20 h more in June: 3 days in all, 2 + 1.
        self.assertEqual(penalty.split_billable_days([30, 50]), [2, 1])

    def test_shortfall_within_grace_costs_nothing(self):
        contract = self._ruled_contract()
        location = contract.stock_commitment_ids.location_id
        self._check("2026-06-01 02:00:00")  # nothing there: short from now
        self._set_stock(self.spare_part, location, 2)
        self._check("2026-06-01 20:00:00")
        self.assertEqual(contract.stock_commitment_ids.shortfall_ids.state, "closed")
        self.assertFalse(self._entries(contract))

    def test_days_past_the_grace_accrue_when_restored(self):
        contract = self._ruled_contract()
        line = contract.stock_commitment_ids
        self._check("2026-06-01 02:00:00")
        self._check("2026-06-02 03:00:00")
        shortfall = line.shortfall_ids
        self.assertEqual(shortfall.state, "expired")
        self.assertFalse(self._entries(contract), "still short: the days are not final")
        # Back at the minimum 2 days 4 hours after the grace ended: 3 days charged.
        self._set_stock(self.spare_part, line.location_id, 2)
        self._check("2026-06-04 06:00:00")
        entry = self._entries(contract)
        self.assertEqual((entry.billed_days, entry.amount), (3, 600.0))
        self.assertEqual((entry.kind, entry.direction, entry.state), ("penalty", "credit", "draft"))
        self.assertEqual((entry.shortfall_id, entry.period), (shortfall, "2026-06"))
        self.assertEqual(entry.partner_id, self.customer)
        self._check("2026-06-05 02:00:00")
        with freeze_time("2026-07-01 03:00:00"):
            self.env["service.contract"]._cron_close_periods()
        self.assertEqual(self._entries(contract), entry, "never charged twice")

    def test_open_shortfall_is_charged_at_each_period_close(self):
        contract = self._ruled_contract(amount=100.0)
        line = contract.stock_commitment_ids
        # Short from 28 May 02:00 (the 7x24 calendar counts in UTC); the grace ends on 29 May.
        self._check("2026-05-28 02:00:00")
        self._check("2026-05-30 02:00:00")
        with freeze_time("2026-06-01 03:00:00"):
            self.env["service.contract"]._cron_close_periods()
        may = self._entries(contract)
        # 29 May 02:00 to 1 June 00:00: 70 hours, 3 days started.
        self.assertEqual((may.period, may.billed_days, may.amount), ("2026-05", 3, 300.0))
        self.assertEqual(may.date, date(2026, 5, 31))
        self._set_stock(self.spare_part, line.location_id, 2)
        self._check("2026-06-02 12:00:00")
        june = self._entries(contract) - may
        # 106 hours in all: 5 days, 2 of them in June.
        self.assertEqual((june.period, june.billed_days, june.amount), ("2026-06", 2, 200.0))

    def test_ending_the_contract_makes_the_days_final(self):
        contract = self._ruled_contract()
        self._check("2026-06-01 02:00:00")
        self._check("2026-06-02 03:00:00")
        with freeze_time("2026-06-03 02:00:00"):
            contract.with_user(self.manager).action_terminate()
        entry = self._entries(contract)
        self.assertEqual((entry.billed_days, entry.amount), (1, 200.0))

    def test_a_shortfall_rule_is_an_amount_per_day(self):
        contract = self._contract([(self.spare_part, 2, 4, None)])
        with self.assertRaises(ValidationError):
            self.env["service.penalty.rule"].create(
                {
                    "contract_id": contract.id,
                    "rule_type": "shortfall",
                    "computation": "fee_percent",
                    "percent": 5,
                }
            )
        self.assertFalse(contract.penalty_rule_ids)
