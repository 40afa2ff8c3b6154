from datetime import date, datetime

from odoo.tests import BaseCase, TransactionCase, tagged

from ..tools import penalty
from ..tools.display import format_duration, pattern_without_seconds, timezone_label


def utc(text):
    return datetime.fromisoformat(text)


@tagged("post_install", "-at_install")
class TestPenaltyFormulas(BaseCase):
    """The ledger's arithmetic is plain Python: checked without a database."""

    def test_hours_late_round_up_after_the_free_minutes(self):
        self.assertEqual(penalty.billable_hours(0.0), 0)
        self.assertEqual(penalty.billable_hours(0.25), 1, "a started hour is charged")
        self.assertEqual(penalty.billable_hours(1.0), 1)
        self.assertEqual(penalty.billable_hours(1 + 1 / 60), 2, "1 h 01 is two hours")
        # Lateness is a float from a datetime difference: noise is not an extra hour.
        self.assertEqual(penalty.billable_hours(1.0000000001), 1)
        self.assertEqual(penalty.billable_hours(0.5, free_minutes=30), 0, "within the allowance")
        self.assertEqual(penalty.billable_hours(0.5 + 1 / 3600, free_minutes=30), 1)
        self.assertEqual(penalty.billable_hours(1.5, free_minutes=30), 1)
        self.assertEqual(penalty.billable_hours(2.5 + 1 / 60, free_minutes=30), 3)
        self.assertEqual(penalty.billable_hours(3.0, free_minutes=240), 0)

    def test_lateness_split_over_periods_adds_up_to_the_whole(self):
        # 6 h late when May closes, 8 h 10 when met in June, 30 free minutes: 6 h are charged
        # in May (5 h 30 rounded up), 8 h in all, so 2 h in June.
        self.assertEqual(penalty.split_billable_hours([6.0, 8 + 10 / 60], 30), [6, 2])
        # Within the allowance at the first close: nothing charged there.
        self.assertEqual(penalty.split_billable_hours([0.4, 2.2, 3.0], 30), [0, 2, 1])
        for lateness in ([0.2, 0.9, 1.3], [5.0, 5.0, 7.5], [0.0, 24.0, 48.01]):
            with self.subTest(lateness=lateness):
                parts = penalty.split_billable_hours(lateness, 15)
                self.assertEqual(sum(parts), penalty.billable_hours(lateness[-1], 15))
                self.assertTrue(all(part >= 0 for part in parts))

    def test_penalty_per_breach_per_hour_and_share_of_fee(self):
        self.assertEqual(penalty.penalty_amount("fixed", amount=500), 500)
        self.assertEqual(penalty.penalty_amount("per_hour", amount=300, hours=3), 900)
        self.assertEqual(penalty.penalty_amount("fee_percent", percent=2, monthly_fee=6800), 136)
        self.assertEqual(penalty.fee_share(6800, 15), 1020)
        with self.assertRaises(ValueError):
            penalty.penalty_amount("per_day", amount=1)

    def test_cap_takes_the_lowest_limit(self):
        self.assertEqual(penalty.cap_limit([(5000, 15)], 6800), 1020)
        self.assertEqual(penalty.cap_limit([(500, 0)], 6800), 500)
        self.assertEqual(penalty.cap_limit([(0, 10), (800, 0)], 6800), 680)
        self.assertIsNone(penalty.cap_limit([], 6800))
        self.assertEqual(penalty.capped_excess(1200, 1020), 180)
        self.assertEqual(penalty.capped_excess(900, 1020), 0)
        self.assertEqual(penalty.capped_excess(1020, 1020), 0)
        self.assertEqual(penalty.capped_excess(900, None), 0)

    def test_rebate_threshold_is_reached_at_exactly_95_percent(self):
        self.assertTrue(penalty.rebate_due(19, 20, 95))
        self.assertFalse(penalty.rebate_due(18, 20, 95))
        self.assertTrue(penalty.rebate_due(57, 60, 95.0))
        self.assertTrue(penalty.rebate_due(999, 1000, 99.9), "no float noise at 99.9 %")
        self.assertFalse(penalty.rebate_due(998, 1000, 99.9))
        self.assertFalse(penalty.rebate_due(0, 0, 95), "no milestone, no share to reward")
        self.assertTrue(penalty.rebate_due(1, 1, 100))
        self.assertEqual(penalty.on_time_percent(19, 20), 95.0)
        self.assertIsNone(penalty.on_time_percent(0, 0))

    def test_periods_follow_the_contract_time_zone(self):
        # 17:00 UTC on 31 May is 01:00 on 1 June in Shanghai.
        self.assertEqual(penalty.period_of(utc("2026-05-31 17:00:00"), "Asia/Shanghai"), "2026-06")
        self.assertEqual(penalty.period_of(utc("2026-05-31 17:00:00"), "UTC"), "2026-05")
        self.assertEqual(penalty.period_of(utc("2026-05-31 17:00:00"), False), "2026-05")
        self.assertEqual(
            penalty.period_bounds("2026-06", "Asia/Shanghai"),
            (utc("2026-05-31 16:00:00"), utc("2026-06-30 16:00:00")),
        )
        self.assertEqual(
            penalty.local_date(utc("2026-05-31 17:00:00"), "Asia/Shanghai"), date(2026, 6, 1)
        )
        self.assertEqual(penalty.next_period("2026-12"), "2027-01")
        self.assertEqual(penalty.previous_period("2026-01"), "2025-12")
        self.assertEqual(penalty.last_day("2028-02"), date(2028, 2, 29))
        self.assertEqual(
            penalty.periods_between("2026-11", "2027-02"),
            ["2026-11", "2026-12", "2027-01", "2027-02"],
        )
        self.assertEqual(penalty.periods_between("2026-05", "2026-04"), [])
        self.assertEqual(penalty.last_closed_period(utc("2026-06-30 17:00:00"), "UTC"), "2026-05")
        self.assertEqual(
            penalty.last_closed_period(utc("2026-06-30 17:00:00"), "Asia/Shanghai"), "2026-06"
        )

    def test_a_lateness_is_cut_at_each_period_end(self):
        self.assertEqual(
            penalty.period_ends(utc("2026-05-30 10:00:00"), utc("2026-07-02 00:00:00"), "UTC"),
            [
                ("2026-05", utc("2026-06-01 00:00:00")),
                ("2026-06", utc("2026-07-01 00:00:00")),
                ("2026-07", utc("2026-07-02 00:00:00")),
            ],
        )
        self.assertEqual(
            penalty.period_ends(utc("2026-06-01 10:00:00"), utc("2026-06-01 12:00:00"), "UTC"),
            [("2026-06", utc("2026-06-01 12:00:00"))],
        )


@tagged("post_install", "-at_install")
class TestDisplayHelpers(BaseCase):
    """Times as a customer reads them: zones by name, no seconds in any language."""

    def test_timezone_label(self):
        self.assertEqual(timezone_label("Asia/Shanghai", "en_US"), "China Time")
        self.assertEqual(timezone_label("Asia/Shanghai", "zh_CN"), "中国时间")
        self.assertEqual(timezone_label("UTC", "zh_CN"), "UTC")
        self.assertEqual(timezone_label(False), "UTC")
        self.assertEqual(timezone_label("Not/AZone"), "Not/AZone")

    def test_pattern_without_seconds(self):
        self.assertEqual(pattern_without_seconds("MM/dd/yyyy HH:mm:ss"), "MM/dd/yyyy HH:mm")
        self.assertEqual(
            pattern_without_seconds("yyyy'年'MM'月'dd'日' HH'时'mm'分'ss'秒'"),
            "yyyy'年'MM'月'dd'日' HH'时'mm'分'",
        )


@tagged("post_install", "-at_install")
class TestDurationFormat(TransactionCase):
    """One duration format for targets, time left and lateness, in the reader's language."""

    def test_one_duration_format(self):
        self.assertEqual(format_duration(self.env, 0.5), "30 min")
        self.assertEqual(format_duration(self.env, 4), "4 h")
        self.assertEqual(format_duration(self.env, 1.5), "1 h 30 min")
        self.assertEqual(format_duration(self.env, -1), "0 min", "never negative")
