from datetime import date

from freezegun import freeze_time
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import sql_errors_logged
from .test_sla_clock import SlaCase, utc


class LedgerCase(SlaCase):
    """Contracts with penalty and rebate rules, an accountant, and helpers to break, meet
    and close the SLA clocks of work orders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="bds_accountant",
            groups="base.group_user,barcode_device_service.group_device_service_accountant",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.write({"company_ids": [Command.link(cls.company.id)]})
        cls.Entry = cls.env["service.ledger.entry"]
        cls.people = cls.manager | cls.accountant | cls.admin

    def _ruled_contract(self, rules, calendar=None, fee=1000.0, **vals):
        contract = self._contract(calendar or self.calendar_24)
        contract.write({"monthly_fee": fee, **vals})
        self.env["service.penalty.rule"].create(
            [{"contract_id": contract.id, "date_from": "2026-01-01", **rule} for rule in rules]
        )
        return contract

    def _run_job(self, when):
        with freeze_time(when):
            self.env["service.sla.line"]._cron_check_sla()

    def _close(self, when, **kwargs):
        with freeze_time(when):
            self.env["service.contract"]._cron_close_periods(**kwargs)

    def _entries(self, contract, **domain):
        return self.Entry.search(
            [("contract_id", "=", contract.id)] + [(k, "=", v) for k, v in domain.items()],
            order="id",
        )


@tagged("post_install", "-at_install")
class TestLedgerAccrual(LedgerCase):
    def test_descriptions_in_the_customers_language(self):
        """What the ledger says about a breach, a cap or a reversal reads in the customer's
        language (Chinese here) on the statement and the portal, in English for English
        readers, and names the work order by its reference."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["barcode_device_service"], ["zh_CN"])
        self.customer.lang = "zh_CN"
        contract = self._ruled_contract(
            [{"severity": "p1", "milestone": "response", "computation": "fixed", "amount": 500}],
            fee=6800,
        )
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1")
        self._run_job("2026-06-01 11:00:00")
        entry = self._entries(contract)
        english = entry.with_context(lang="en_US").description
        chinese = entry.with_context(lang="zh_CN").description
        self.assertIn("missed its deadline", english)
        self.assertNotEqual(chinese, english)
        self.assertIn(request.reference, chinese)
        self.assertNotIn("missed its deadline", chinese)
        # The response's name is translated too, and the deadline is in the contract's zone.
        response = (
            self.env["service.sla.line"].with_context(lang="zh_CN")._milestone_label("response")
        )
        self.assertIn(response, chinese)
        # A reversal, written by the manager, is described in both too.
        entry.action_confirm()
        entry._reverse("Customer's clock was wrong")
        reversal = entry.reversal_entry_ids
        self.assertIn("Reversal of", reversal.with_context(lang="en_US").description)
        self.assertNotIn("Reversal of", reversal.with_context(lang="zh_CN").description)

    def test_fixed_and_fee_penalties_accrue_when_the_line_turns_breached(self):
        contract = self._ruled_contract(
            [
                {"severity": "p1", "milestone": "response", "computation": "fixed", "amount": 500},
                {"severity": "p1", "computation": "fee_percent", "percent": 2.5},
                {"severity": "p2", "computation": "fixed", "amount": 99},
            ],
            fee=6800,
        )
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1")
        self._run_job("2026-06-01 10:20:00")
        self.assertFalse(self._entries(contract), "not late yet")
        self._run_job("2026-06-01 11:00:00")
        response = self._line(request, "response")
        entries = self._entries(contract)
        self.assertEqual(sorted(entries.mapped("amount")), [170.0, 500.0])
        for entry in entries:
            self.assertEqual(entry.state, "draft")
            self.assertEqual(entry.kind, "penalty")
            self.assertEqual(entry.direction, "credit")
            self.assertEqual(entry.partner_id, self.customer)
            self.assertEqual(entry.company_id, self.company)
            self.assertEqual(entry.period, "2026-06")
            self.assertEqual(entry.date, date(2026, 6, 1))
            self.assertEqual(entry.sla_line_id, response)
            self.assertEqual(entry.request_id, request)
            self.assertEqual(entry.sla_deadline, utc("2026-06-01 10:30:00"))
            self.assertIn(request.reference, entry.description)
        self.assertEqual(response.penalty_amount, 670.0)
        self.assertEqual(request.ledger_entry_ids, entries)
        self.assertEqual(contract.ledger_entry_count, 2)
        self.assertEqual(contract.ledger_balance, 670.0)
        # Re-runs and the late answer accrue nothing twice.
        self._run_job("2026-06-01 12:00:00")
        with freeze_time("2026-06-01 12:30:00"):
            request.stage_id = self.stage_progress
        self.assertEqual(self._entries(contract), entries)
        self.assertEqual(response.state, "met_late")

    def test_penalty_of_a_milestone_met_late_before_the_job_noticed(self):
        contract = self._ruled_contract(
            [{"severity": "p1", "milestone": "response", "computation": "fixed", "amount": 500}]
        )
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1")
        # Answered at 10:40, before any detection run: late all the same.
        with freeze_time("2026-06-01 10:40:00"):
            request.with_user(self.technician).stage_id = self.stage_progress
        self.assertEqual(self._entries(contract).mapped("amount"), [500.0])

    def test_per_hour_penalty_once_lateness_is_final(self):
        contract = self._ruled_contract(
            [
                {
                    "severity": "p1",
                    "milestone": "resolution",
                    "computation": "per_hour",
                    "amount": 300,
                    "free_minutes": 30,
                }
            ]
        )
        with freeze_time("2026-06-01 10:00:00"):
            late, within = self._request("p1"), self._request("p1")
        # Resolution due at 18:00.
        self._run_job("2026-06-01 19:00:00")
        self.assertEqual(self._line(late, "resolution").state, "breached")
        self.assertFalse(self._entries(contract), "lateness not final yet")
        # 2 h 31 late, 30 minutes free: 2 h 01 charged as 3 h.
        with freeze_time("2026-06-01 20:31:00"):
            late.with_user(self.technician).stage_id = self.stage_repaired
        # 2 h 30 late exactly: 2 h.
        with freeze_time("2026-06-01 20:30:00"):
            within.stage_id = self.stage_repaired
        late_entry = self._entries(contract, request_id=late.id)
        self.assertEqual((late_entry.billed_hours, late_entry.amount), (3, 900.0))
        within_entry = self._entries(contract, request_id=within.id)
        self.assertEqual((within_entry.billed_hours, within_entry.amount), (2, 600.0))
        self.assertEqual(late_entry.period, "2026-06")

    def test_per_hour_counts_working_hours_of_the_contract_calendar(self):
        contract = self._ruled_contract(
            [{"milestone": "response", "computation": "per_hour", "amount": 100}],
            calendar=self.shanghai,
        )
        # Friday 26 June 2026, 16:00 in Shanghai (08:00 UTC): P2 response due at 18:00.
        with freeze_time("2026-06-26 08:00:00"):
            request = self._request("p2")
        # Answered Monday 29 June at 10:30 in Shanghai: 1 h 30 of working time late (the
        # weekend and the night do not count), charged as 2 h.
        with freeze_time("2026-06-29 02:30:00"):
            request.stage_id = self.stage_progress
        entry = self._entries(contract)
        self.assertEqual((entry.billed_hours, entry.amount), (2, 200.0))

    def test_lateness_still_running_is_charged_per_period(self):
        contract = self._ruled_contract(
            [
                {
                    "severity": "p1",
                    "milestone": "resolution",
                    "computation": "per_hour",
                    "amount": 100,
                    "free_minutes": 30,
                }
            ]
        )
        with freeze_time("2026-05-31 10:00:00"):
            request = self._request("p1")
        self._run_job("2026-05-31 19:00:00")
        # May is over: 6 h late at its end (18:00 → 24:00), 30 minutes free: 6 h.
        self._close("2026-06-01 03:00:00")
        may = self._entries(contract)
        self.assertEqual((may.period, may.billed_hours, may.amount), ("2026-05", 6, 600.0))
        self.assertEqual(may.date, date(2026, 5, 31))
        # Met at 02:10 on 1 June: 8 h 10 late, 8 h in all, the 2 h left belong to June.
        with freeze_time("2026-06-01 02:10:00"):
            request.stage_id = self.stage_repaired
        june = self._entries(contract) - may
        self.assertEqual((june.period, june.billed_hours, june.amount), ("2026-06", 2, 200.0))
        self.assertIn(":2026-05", may.source_key)
        self.assertIn(":2026-06", june.source_key)
        self._close("2026-06-02 03:00:00")
        self._close("2026-07-01 03:00:00")
        self.assertEqual(self._entries(contract), may | june, "nothing charged twice")

    def test_closing_a_work_order_with_a_milestone_unmet_makes_its_lateness_final(self):
        contract = self._ruled_contract(
            [{"milestone": "response", "computation": "per_hour", "amount": 50}]
        )
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1")
        self._run_job("2026-06-01 11:00:00")
        # Cancelled at 13:00: 2 h 30 late.
        with freeze_time("2026-06-01 13:00:00"):
            request.archive_equipment_request()
        entry = self._entries(contract)
        self.assertEqual((entry.billed_hours, entry.amount), (3, 150.0))
        self._close("2026-07-01 03:00:00")
        self.assertEqual(self._entries(contract), entry)

    def test_resolved_without_the_missed_arrival_stops_its_lateness(self):
        contract = self._ruled_contract(
            [{"milestone": "arrival", "computation": "per_hour", "amount": 100}]
        )
        # P1 on site: arrival due at 14:00.
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1", on_site=True)
        self._run_job("2026-06-01 14:30:00")
        arrival = self._line(request, "arrival")
        self.assertEqual(arrival.state, "breached")
        # Fixed remotely at 16:00, nobody checked in: 2 h late, final.
        with freeze_time("2026-06-01 16:00:00"):
            request.stage_id = self.stage_repaired
        self.assertEqual(arrival.state, "breached", "a missed arrival stays missed")
        self.assertEqual(arrival.closed_at, utc("2026-06-01 16:00:00"))
        self.assertFalse(arrival.next_check_at)
        entry = self._entries(contract)
        self.assertEqual((entry.billed_hours, entry.amount), (2, 200.0))
        self._close("2026-07-01 03:00:00")
        self._close("2026-08-01 03:00:00")
        self.assertEqual(self._entries(contract), entry, "no month charges it again")

    def test_contract_and_work_order_show_their_ledger(self):
        contract = self._ruled_contract([{"computation": "fixed", "amount": 10}])
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1")
        self._run_job("2026-06-01 20:00:00")
        action = contract.action_view_ledger()
        self.assertEqual(
            self.Entry.search(action["domain"]), self._entries(contract), "the smart button"
        )
        self.assertEqual(len(request.ledger_entry_ids), 2, "response and resolution")
        with self.assertRaises(UserError):
            request.unlink()
        with self.assertRaises(UserError):
            contract.unlink()

    def test_multi_company(self):
        calendar = self.calendar_24
        device = self.env["maintenance.equipment"].create(
            {
                "name": "Overseas scanner",
                "customer_id": self.customer_2.id,
                "company_id": self.company_2.id,
            }
        )
        contract = self.env["service.contract"].create(
            {
                "partner_id": self.customer_2.id,
                "date_start": "2026-01-01",
                "date_end": "2026-12-31",
                "resource_calendar_id": calendar.id,
                "device_ids": [Command.set(device.ids)],
                "company_id": self.company_2.id,
                "monthly_fee": 100,
            }
        )
        contract.action_activate()
        rule = self.env["service.penalty.rule"].create(
            {
                "contract_id": contract.id,
                "computation": "fixed",
                "amount": 5,
                "date_from": "2026-01-01",
            }
        )
        team = self.env["maintenance.team"].create(
            {"name": "Overseas", "company_id": self.company_2.id}
        )
        with freeze_time("2026-06-01 10:00:00"):
            self.env["maintenance.request"].with_company(self.company_2).create(
                {
                    "name": "Overseas",
                    "equipment_id": device.id,
                    "severity": "p1",
                    "company_id": self.company_2.id,
                    "maintenance_team_id": team.id,
                }
            )
        self._run_job("2026-06-01 11:00:00")
        entry = self._entries(contract)
        self.assertEqual(entry.company_id, self.company_2)
        manager_2 = self.manager_company_2
        self.assertEqual(self.Entry.with_user(manager_2).search([("id", "=", entry.id)]), entry)
        for user in (self.manager, self.accountant):
            with self.subTest(user=user.login):
                self.assertFalse(self.Entry.with_user(user).search([("id", "=", entry.id)]))
                with self.assertRaises(AccessError):
                    entry.with_user(user).read(["amount"])
                with self.assertRaises(AccessError):
                    rule.with_user(user).read(["amount"])
        entry.with_user(manager_2).action_confirm()
        self.assertEqual(entry.state, "confirmed")


@tagged("post_install", "-at_install")
class TestLedgerPeriods(LedgerCase):
    def test_cap_produces_a_visible_capping_entry(self):
        contract = self._ruled_contract(
            [
                {"milestone": "response", "computation": "fixed", "amount": 400},
                {"rule_type": "cap", "amount": 800, "percent": 50},
            ]
        )
        with freeze_time("2026-06-10 10:00:00"):
            requests = self._request("p1") | self._request("p1") | self._request("p1")
        self._run_job("2026-06-10 11:00:00")
        penalties = self._entries(contract, kind="penalty")
        self.assertEqual(sum(penalties.mapped("amount")), 1200)
        self._close("2026-06-30 23:00:00")
        self.assertFalse(self._entries(contract, kind="cap"), "June is not over")
        self._close("2026-07-01 00:30:00")
        cap = self._entries(contract, kind="cap")
        # Limit: the lower of 800 and 50 % of the 1,000 fee.
        self.assertEqual((cap.amount, cap.direction, cap.period), (700.0, "charge", "2026-06"))
        self.assertEqual(cap.date, date(2026, 6, 30))
        self.assertEqual(cap.rule_id.rule_type, "cap")
        self.assertEqual(contract.ledger_balance, 500.0)
        self.assertEqual(contract.ledger_evaluated_period, "2026-06")
        self._close("2026-07-02 00:30:00")
        self.assertEqual(self._entries(contract, kind="cap"), cap, "re-run: nothing new")

        # The cap is confirmed; then a June penalty is cancelled: June is evaluated again,
        # the cap reversed and a smaller one accrued.
        cap.with_user(self.manager).action_confirm()
        penalties[0].with_user(self.manager).action_cancel("Customer's own network was down")
        self.assertEqual(contract.ledger_evaluated_period, "2026-05")
        self._close("2026-07-03 00:30:00")
        caps = self._entries(contract, kind="cap")
        reversal = caps.filtered("reversed_entry_id")
        self.assertEqual(reversal.reversed_entry_id, cap)
        self.assertEqual(
            (reversal.state, reversal.direction, reversal.amount), ("confirmed", "credit", 700.0)
        )
        new_cap = caps - cap - reversal
        self.assertEqual((new_cap.amount, new_cap.state), (300.0, "draft"))
        self.assertTrue(new_cap.source_key.endswith(":2"))
        self.assertEqual(contract.ledger_balance, 500.0)
        self.assertEqual(
            len(requests.ledger_entry_ids.filtered(lambda e: e.state != "cancelled")), 2
        )

    def test_scheduled_period_job_closes_the_contracts_months(self):
        """The scheduled action runs the period job on the contracts (the job it calls
        lives on service.contract since 18.0.1.3.0; the upgrade points the action there)."""
        contract = self._ruled_contract(
            [
                {"milestone": "response", "computation": "fixed", "amount": 400},
                {"rule_type": "cap", "amount": 500},
            ]
        )
        with freeze_time("2026-06-10 10:00:00"):
            self._request("p1")
            self._request("p1")
        self._run_job("2026-06-10 11:00:00")
        cron = self.env.ref("barcode_device_service.ir_cron_ledger_close_periods")
        self.assertEqual(cron.model_id.model, "service.contract")
        with freeze_time("2026-07-01 02:00:00"):
            cron.method_direct_trigger()
        cap = self._entries(contract, kind="cap")
        self.assertEqual((cap.amount, cap.period), (300.0, "2026-06"))
        self.assertEqual(contract.ledger_evaluated_period, "2026-06")

    def test_editing_a_draft_penalty_reopens_its_evaluated_month(self):
        """Caps sum the month's draft penalties too: any change of a penalty's amount or
        month in an evaluated month has the period job evaluate it again (the old month
        and the new)."""
        contract = self._ruled_contract(
            [
                {"milestone": "response", "computation": "fixed", "amount": 400},
                {"rule_type": "cap", "amount": 800},
            ]
        )
        with freeze_time("2026-06-10 10:00:00"):
            self._request("p1") | self._request("p1") | self._request("p1")
        self._run_job("2026-06-10 11:00:00")
        self._close("2026-08-01 00:30:00")
        self.assertEqual(contract.ledger_evaluated_period, "2026-07")
        cap = self._entries(contract, kind="cap")
        self.assertEqual(cap.amount, 400.0)
        penalties = self._entries(contract, kind="penalty").with_user(self.manager)
        penalties[0].amount = 100
        self.assertEqual(contract.ledger_evaluated_period, "2026-05")
        self._close("2026-08-01 01:30:00")
        live = self._entries(contract, kind="cap").filtered(lambda e: e.state != "cancelled")
        self.assertEqual(live.mapped("amount"), [100.0])
        # A draft moved into July: both months evaluated again.
        penalties[1].write({"date": "2026-07-03"})
        self.assertEqual(penalties[1].period, "2026-07")
        self.assertEqual(contract.ledger_evaluated_period, "2026-05")
        self._close("2026-08-01 02:30:00")
        live = self._entries(contract, kind="cap").filtered(lambda e: e.state != "cancelled")
        self.assertFalse(live, "June: 500, July: 400, both under the cap")
        # Editing what does not count (the description) leaves the month closed.
        penalties[2].description = "Reviewed with the customer"
        self.assertEqual(contract.ledger_evaluated_period, "2026-07")

    def _meet_all(self, requests, when):
        with freeze_time(when):
            requests.write({"stage_id": self.stage_repaired.id})

    def _month_of_work_orders(self, day, late):
        """Ten P3 work orders opened at 08:00 on ``day``; all but ``late`` of them answered
        on time at 09:00, the others at 13:00; all resolved at 14:00 (on time)."""
        with freeze_time(f"{day} 08:00:00"):
            requests = self.env["maintenance.request"].concat(
                *[self._request("p3") for _i in range(10)]
            )
        with freeze_time(f"{day} 09:00:00"):
            requests[late:].write({"stage_id": self.stage_progress.id})
        with freeze_time(f"{day} 13:00:00"):
            requests[:late].write({"stage_id": self.stage_progress.id})
        self._meet_all(requests, f"{day} 14:00:00")
        return requests

    def test_rebate_at_exactly_95_percent_on_time(self):
        contract = self._ruled_contract(
            [
                {
                    "rule_type": "rebate",
                    "computation": "fixed",
                    "amount": 250,
                    "threshold_percent": 95,
                    "direction": "charge",
                },
                {
                    "rule_type": "rebate",
                    "computation": "fee_percent",
                    "percent": 5,
                    "threshold_percent": 96,
                },
            ]
        )
        # June: 10 work orders, 20 milestones; one answered late (response 4 h, due 12:00):
        # 19 of 20 = 95 %.
        june = self._month_of_work_orders("2026-06-02", late=1)
        # July: 18 of 20.
        july = self._month_of_work_orders("2026-07-02", late=2)
        self._close("2026-08-01 01:00:00")
        rebates = self._entries(contract, kind="rebate")
        self.assertEqual(len(rebates), 1, "only the 95 % rule, only in June")
        self.assertEqual(
            (rebates.period, rebates.amount, rebates.direction), ("2026-06", 250.0, "charge")
        )
        self.assertEqual(rebates.signed_amount, -250.0, "a bonus the customer pays")
        self.assertIn("19 of 20", rebates.description)
        self.assertEqual(len(june | july), 20)

    def test_rebate_withdrawn_when_the_period_no_longer_qualifies(self):
        contract = self._ruled_contract(
            [
                {
                    "rule_type": "rebate",
                    "computation": "fixed",
                    "amount": 100,
                    "threshold_percent": 100,
                }
            ]
        )
        # Two P3 work orders in June, answered on time; the second one's resolution (40 h)
        # falls due in July.
        with freeze_time("2026-06-02 08:00:00"):
            done = self._request("p3")
        self._meet_all(done, "2026-06-02 09:00:00")
        with freeze_time("2026-06-29 10:00:00"):
            running = self._request("p3")
        with freeze_time("2026-06-29 12:00:00"):
            running.stage_id = self.stage_progress
        self._close("2026-07-01 03:00:00")
        rebate = self._entries(contract, kind="rebate")
        self.assertEqual((rebate.amount, rebate.period), (100.0, "2026-06"))
        self.assertIn("3 of 3", rebate.description)
        # Raised to P1: its resolution (8 h) was due on 29 June and is missed; June is
        # evaluated again and no longer earns the rebate.
        with freeze_time("2026-07-01 09:00:00"):
            running.severity = "p1"
        self.assertEqual(contract.ledger_evaluated_period, "2026-05")
        self._close("2026-07-02 03:00:00")
        self.assertEqual(rebate.state, "cancelled")
        self.assertIn("2026-06 evaluated again", rebate.cancel_reason)
        self.assertEqual(self._entries(contract, kind="rebate"), rebate)
        self.assertEqual(contract.ledger_evaluated_period, "2026-06")

    def test_interrupted_period_job_rerun_accrues_nothing_twice(self):
        contract = self._ruled_contract(
            [
                {"milestone": "resolution", "computation": "per_hour", "amount": 10},
                {"milestone": "response", "computation": "fixed", "amount": 100},
                {"rule_type": "cap", "amount": 150},
                {
                    "rule_type": "rebate",
                    "computation": "fixed",
                    "amount": 1,
                    "threshold_percent": 1,
                },
            ]
        )
        with freeze_time("2026-06-30 10:00:00"):
            self._request("p1")
            self._request("p1")
        self._run_job("2026-06-30 20:00:00")
        # A first run died after accruing but before recording that June was evaluated.
        with freeze_time("2026-07-01 01:00:00"):
            plan = {contract: ["2026-06"]}
            rules = contract.penalty_rule_ids.grouped("contract_id")
            Contract = self.env["service.contract"]
            Contract._accrue_lateness_at_close(plan, rules)
            Contract._evaluate_caps_and_rebates(plan, rules)
        first = self._entries(contract)
        self.assertEqual(set(first.mapped("kind")), {"penalty", "cap"})
        self.assertFalse(contract.ledger_evaluated_period)
        self._close("2026-07-01 02:00:00", batch_size=1)
        self._close("2026-07-01 03:00:00", batch_size=1)
        self.assertEqual(self._entries(contract), first)
        self.assertEqual(contract.ledger_evaluated_period, "2026-06")

    def test_unique_source_key_makes_a_second_accrual_a_no_op(self):
        contract = self._ruled_contract([])
        vals = {
            "contract_id": contract.id,
            "kind": "penalty",
            "amount": 10,
            "date": "2026-06-01",
            "source_key": "test:one-cause",
        }
        first = self.Entry._accrue([vals])
        self.assertTrue(first)
        self.assertFalse(self.Entry._accrue([vals, dict(vals)]))
        # The database holds it, not only the Python check.
        with mute_logger("odoo.sql_db"), self.assertRaises(pg_errors.UniqueViolation):
            self.Entry.create(vals)
        self.assertEqual(self._entries(contract), first)

    def test_periods_in_the_contract_time_zone(self):
        around_the_clock = self.env["resource.calendar"].create(
            {
                "name": "Shanghai round the clock",
                "tz": "Asia/Shanghai",
                "company_id": False,
                "hours_per_day": 24,
                "attendance_ids": [Command.clear()]
                + [
                    Command.create({"name": day, "dayofweek": day, "hour_from": 0, "hour_to": 24})
                    for day in "0123456"
                ],
            }
        )
        contract = self._ruled_contract(
            [{"milestone": "response", "computation": "fixed", "amount": 10}],
            calendar=around_the_clock,
        )
        # 23:45 on 31 May in Shanghai: the P1 response is due at 00:15 on 1 June there,
        # still 31 May in UTC. The breach belongs to June.
        with freeze_time("2026-05-31 15:45:00"):
            request = self._request("p1")
        self._run_job("2026-05-31 17:00:00")
        entry = self._entries(contract)
        self.assertEqual(self._line(request, "response").deadline, utc("2026-05-31 16:15:00"))
        self.assertEqual((entry.period, entry.date), ("2026-06", date(2026, 6, 1)))


@tagged("post_install", "-at_install")
class TestLedgerCorrections(LedgerCase):
    def _breached_entry(self, contract, severity="p1"):
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request(severity)
        self._run_job("2026-06-01 11:00:00")
        return request, self.Entry.search([("request_id", "=", request.id)])

    def test_retarget_cancels_drafts_and_reverses_confirmed_entries(self):
        contract = self._ruled_contract(
            [{"severity": "p1", "milestone": "response", "computation": "fixed", "amount": 500}]
        )
        confirmed_request, confirmed = self._breached_entry(contract)
        draft_request, draft = self._breached_entry(contract)
        confirmed.with_user(self.manager).action_confirm()
        self.assertTrue(confirmed.name)
        # Lowered to P2 at 11:05: response due at 12:00, no breach any more.
        with freeze_time("2026-06-01 11:05:00"):
            (confirmed_request | draft_request).with_user(self.technician).write({"severity": "p2"})
        self.assertEqual(draft.state, "cancelled")
        self.assertIn("now due", draft.cancel_reason)
        self.assertEqual(confirmed.state, "confirmed", "a booked entry is never rewritten")
        reversal = confirmed.reversal_entry_ids
        self.assertEqual(reversal.reversed_entry_id, confirmed)
        self.assertEqual(
            (reversal.state, reversal.direction, reversal.amount, reversal.period),
            ("confirmed", "charge", 500.0, "2026-06"),
        )
        self.assertTrue(reversal.name)
        self.assertEqual(self._line(confirmed_request, "response").penalty_amount, 0.0)
        self.assertIn(reversal.name, confirmed.message_ids.mapped("body")[0])
        # Back to P1: breached again, accrued again as a new cause.
        with freeze_time("2026-06-01 11:10:00"):
            confirmed_request.severity = "p1"
        self._run_job("2026-06-01 11:15:00")
        again = confirmed_request.ledger_entry_ids - confirmed - reversal
        self.assertEqual((again.state, again.amount), ("draft", 500.0))
        self.assertIn(":g1:", again.source_key)

    def test_retarget_keeping_the_breach_keeps_the_entries(self):
        contract = self._ruled_contract(
            [{"severity": "p1", "milestone": "response", "computation": "fixed", "amount": 500}]
        )
        request, entry = self._breached_entry(contract)
        # Going on site adds the arrival milestone; the response keeps its deadline.
        with freeze_time("2026-06-01 11:05:00"):
            request.is_on_site = True
        self.assertEqual(entry.state, "draft")
        self._run_job("2026-06-01 11:10:00")
        self.assertEqual(self._line(request, "response").state, "breached")
        self.assertEqual(request.ledger_entry_ids, entry)

    def test_dispute_resolve_and_reverse(self):
        contract = self._ruled_contract(
            [{"milestone": "response", "computation": "fixed", "amount": 80}]
        )
        _request, entry = self._breached_entry(contract)
        entry = entry.with_user(self.manager)
        with self.assertRaises(UserError):
            entry.action_dispute("Not confirmed yet")
        entry.action_confirm()
        with self.assertRaises(UserError):
            entry.action_dispute("  ")
        entry.action_dispute("The customer says the technician called at 10:25")
        self.assertEqual(entry.state, "disputed")
        self.assertIn("10:25", entry.dispute_note)
        entry.action_resolve("Call log shows 10:41")
        self.assertEqual(entry.state, "confirmed")
        entry.action_dispute("Second look")
        wizard = (
            self.env["service.ledger.entry.reason"]
            .with_user(self.manager)
            .create(
                {"entry_ids": [Command.set(entry.ids)], "action": "reverse", "reason": "Goodwill"}
            )
        )
        wizard.action_apply()
        self.assertEqual(entry.state, "confirmed")
        self.assertEqual(entry.reversal_entry_ids.amount, 80.0)
        self.assertEqual(contract.ledger_balance, 0.0)
        with self.assertRaises(UserError):
            entry.action_reverse("Twice")
        with self.assertRaises(UserError):
            entry.reversal_entry_ids.action_reverse("A reversal of a reversal")

    def test_confirmed_and_settled_entries_are_frozen_for_everybody(self):
        contract = self._ruled_contract(
            [{"milestone": "response", "computation": "fixed", "amount": 80}]
        )
        _request, entries = self._breached_entry(contract)
        confirmed = entries.with_user(self.manager)
        confirmed.action_confirm()
        _request, settled = self._breached_entry(contract)
        settled.with_user(self.manager).action_confirm()
        settled.with_user(self.accountant)._settle(self.env["account.move.line"])
        self.assertEqual(settled.state, "settled")
        cancelled = self._breached_entry(contract)[1]
        cancelled.with_user(self.manager).action_cancel("Duplicate call")
        # AccessError (no right to delete, for the accountant) is a UserError too.
        for entry in (confirmed, settled, cancelled):
            as_users = [(user.login, entry.with_user(user)) for user in self.people]
            for label, record in [*as_users, ("superuser", entry.sudo())]:
                with self.subTest(state=entry.state, user=label):
                    with self.assertRaises(UserError):
                        record.write({"amount": 1})
                    with self.assertRaises(UserError):
                        record.write({"period": "2026-01"})
                    with self.assertRaises(UserError):
                        record.write({"cancel_reason": "rewritten"})
                    with self.assertRaises(UserError):
                        record.unlink()
        self.assertEqual(confirmed.amount, 80.0)
        self.assertTrue(settled.exists() and cancelled.exists())
        # Nor may a state jump its transitions, superuser included.
        with self.assertRaises(UserError):
            settled.sudo().write({"state": "draft"})
        with self.assertRaises(UserError):
            cancelled.sudo().write({"state": "confirmed"})

    def test_state_changes_per_group(self):
        contract = self._ruled_contract(
            [{"milestone": "response", "computation": "fixed", "amount": 80}]
        )
        _request, entry = self._breached_entry(contract)
        with self.assertRaises(AccessError):
            entry.with_user(self.accountant).action_confirm()
        entry.with_user(self.manager).action_confirm()
        with self.assertRaises(AccessError):
            entry.with_user(self.manager)._settle(self.env["account.move.line"])
        with self.assertRaises(AccessError):
            entry.with_user(self.accountant).action_dispute("Not the accountant's call")
        entry.with_user(self.accountant)._settle(self.env["account.move.line"])
        entry.with_user(self.accountant)._unsettle()
        self.assertEqual(entry.state, "confirmed")
        # A manager enters an adjustment by hand and may delete it while a draft.
        adjustment = self.Entry.with_user(self.manager).create(
            {
                "contract_id": contract.id,
                "amount": 25,
                "date": "2026-06-15",
                "description": "Goodwill gesture",
            }
        )
        self.assertEqual((adjustment.kind, adjustment.state), ("adjustment", "draft"))
        self.assertTrue(adjustment.source_key.startswith("manual:"))
        with self.assertRaises(UserError):
            self.Entry.with_user(self.manager).create(
                {"contract_id": contract.id, "amount": 25, "state": "confirmed"}
            )
        with self.assertRaises(AccessError):
            self.Entry.with_user(self.accountant).create({"contract_id": contract.id, "amount": 1})
        with mute_logger("odoo.sql_db"), self.assertRaises(pg_errors.CheckViolation):
            self.Entry.with_user(self.manager).create({"contract_id": contract.id, "amount": -5})
        adjustment.unlink()
        self.assertFalse(adjustment.exists())
        with self.assertRaises(UserError):
            entry.sudo().unlink()

    def test_state_moves_only_through_the_actions(self):
        """A plain write of the state (what any RPC client can send) is refused to every
        group, along allowed transitions too: no entry is settled without a document, nor
        confirmed without a reference. The actions still move it."""
        contract = self._ruled_contract(
            [{"milestone": "response", "computation": "fixed", "amount": 80}]
        )
        _request, entry = self._breached_entry(contract)

        def refused(*states):
            for new in states:
                for user in (self.manager, self.accountant):
                    with self.subTest(old=entry.state, new=new, user=user.login):
                        old = entry.state
                        with self.assertRaises(UserError):
                            entry.with_user(user).write({"state": new})
                        self.assertEqual(entry.state, old)

        refused("confirmed", "cancelled")
        entry.with_user(self.manager).action_confirm()
        self.assertTrue(entry.name)
        refused("settled", "disputed")
        entry.with_user(self.accountant)._settle(self.env["account.move.line"])
        self.assertEqual(entry.state, "settled")
        refused("confirmed")
        entry.with_user(self.accountant)._unsettle()
        entry.with_user(self.manager).action_dispute("The customer disagrees")
        refused("confirmed")
        entry.with_user(self.manager).action_resolve("Call log checked")
        self.assertEqual(entry.state, "confirmed")
        draft = self._breached_entry(contract)[1].with_user(self.manager)
        draft.action_cancel("Duplicate")
        self.assertEqual(draft.state, "cancelled")

    def test_create_takes_no_link_nor_cause_of_the_system(self):
        """What the settlement, the reversals and the accruals write is refused on create
        as on write: a typed source key would block the real penalty later."""
        contract = self._ruled_contract(
            [{"milestone": "response", "computation": "fixed", "amount": 80}]
        )
        request, entry = self._breached_entry(contract)
        entry.with_user(self.manager).action_confirm()
        move = self.env["account.move"].sudo().create({"move_type": "entry"})
        line = self.env["account.move.line"].sudo().search([], limit=1)
        base = {"contract_id": contract.id, "amount": 10, "date": "2026-06-15"}
        cases = {
            "settlement_move_id": move.id,
            "move_line_ids": [Command.set(line.ids)],
            "reversed_entry_id": entry.id,
            # The cause of a breach to come (the next generation of the milestone).
            "source_key": f"sla:{request.sla_line_ids[:1].id}:g1:rule1:breach",
            "cancel_reason": "typed",
            "dispute_note": "typed",
        }
        for field, value in cases.items():
            with self.subTest(field=field), self.assertRaises(UserError):
                self.Entry.with_user(self.manager).create({**base, field: value})
            draft = self.Entry.with_user(self.manager).create(base)
            with self.subTest(field=field, write=True), self.assertRaises(UserError):
                draft.write({field: value})
            draft.unlink()
        self.assertEqual(self._entries(contract, kind="adjustment").ids, [])
        # The form still creates an entry by hand (it sends the draft state, nothing else).
        with Form(self.Entry.with_user(self.manager)) as form:
            form.contract_id = contract
            form.amount = 15
            form.description = "Goodwill gesture"
        self.assertEqual(form.record.state, "draft")

    def test_rights_per_group(self):
        everything = ("read", "write", "create", "unlink")
        expected = {
            "service.ledger.entry": {
                self.technician: (),
                self.manager: everything,
                self.accountant: ("read", "write"),
                self.internal_user: (),
                self.portal_user: (),
            },
            "service.penalty.rule": {
                self.technician: (),
                self.manager: everything,
                self.accountant: ("read",),
                self.internal_user: (),
                self.portal_user: (),
            },
        }
        for model, per_user in expected.items():
            for user, allowed in per_user.items():
                for operation in everything:
                    with self.subTest(model=model, user=user.login, operation=operation):
                        self.assertEqual(
                            self.env[model].with_user(user).has_access(operation),
                            operation in allowed,
                        )
        self.assertTrue(self.accountant.has_group("account.group_account_invoice"))
        self.assertTrue(
            self.accountant.has_group("barcode_device_service.group_device_service_user")
        )
        # A technician works the work order; its money side stays out of reach.
        contract = self._ruled_contract(
            [{"milestone": "response", "computation": "fixed", "amount": 80}]
        )
        request, _entry = self._breached_entry(contract)
        with self.assertRaises(AccessError):
            request.with_user(self.technician).read(["ledger_entry_ids"])
        with self.assertRaises(AccessError):
            contract.with_user(self.technician).read(["penalty_rule_ids"])
        self.assertEqual(request.with_user(self.technician).read(["name"])[0]["name"], request.name)


@tagged("post_install", "-at_install")
class TestPenaltyRuleInput(LedgerCase):
    def test_bad_rules_are_refused_and_nothing_is_created(self):
        contract = self._contract(self.calendar_24)
        bad = [
            {"computation": "fixed", "amount": -10},
            {"computation": "per_hour", "amount": 10, "free_minutes": -5},
            {"computation": "fee_percent", "percent": 120},
            {"computation": "fee_percent", "percent": -1},
            {"computation": "fixed"},
            {"computation": "fee_percent"},
            {"rule_type": "cap", "amount": -1},
            {"rule_type": "cap", "percent": -3},
            {"rule_type": "cap"},
            {"rule_type": "rebate", "computation": "per_hour", "amount": 5},
            {"rule_type": "rebate", "computation": "fixed", "amount": 5, "threshold_percent": 0},
            {"rule_type": "rebate", "computation": "fixed", "amount": 5, "threshold_percent": 101},
        ]
        Rule = self.env["service.penalty.rule"].with_user(self.manager)
        for values in bad:
            with self.subTest(values=values), self.assertRaises(ValidationError):
                Rule.create({"contract_id": contract.id, **values})
        self.assertFalse(contract.penalty_rule_ids)
        rule = Rule.create({"contract_id": contract.id, "computation": "fixed", "amount": 10})
        with self.assertRaises(ValidationError):
            rule.write({"amount": -10})
        self.assertEqual(rule.amount, 10)


@tagged("post_install", "-at_install")
class TestLedgerQueryBudget(LedgerCase):
    """Accrual costs queries per batch of breaches, not per breach."""

    def _breached_lines(self, contract, count):
        with freeze_time("2026-06-01 10:00:00"):
            requests = self.env["maintenance.request"].concat(
                *[self._request("p1") for _i in range(count)]
            )
        lines = requests.sla_line_ids
        # Breached by the detection job while the rules were archived: measured below is
        # the accrual of these breaches alone.
        rules = contract.penalty_rule_ids
        rules.active = False
        self._run_job("2026-06-01 20:00:00")
        rules.action_unarchive()
        self.assertEqual(set(lines.mapped("state")), {"breached"})
        return lines

    def _accrual_queries(self, lines):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        lines.browse(lines.ids)._ledger_accrue()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_accrual_queries_do_not_grow_with_breaches(self):
        rules = [
            {"computation": "fixed", "amount": 10},
            {"milestone": "resolution", "computation": "fee_percent", "percent": 1},
        ]
        small_contract = self._ruled_contract(rules)
        small = self._breached_lines(small_contract, 2)
        small_contract.action_terminate()
        large_contract = self._ruled_contract(rules)
        large = self._breached_lines(large_contract, 20)
        small_queries = self._accrual_queries(small)
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(small_queries):
            large.browse(large.ids)._ledger_accrue()
            self.env.flush_all()
        self.assertEqual(len(self._entries(small_contract)), 6)
        self.assertEqual(len(self._entries(large_contract)), 60)


@tagged("post_install", "-at_install")
class TestLedgerConcurrency(TransactionCase):
    """Two workers run the period job at once, on committed data in their own transactions:
    each contract is evaluated once, its cap accrued once."""

    def setUp(self):
        super().setUp()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            partner = env["res.partner"].create({"name": "Concurrent Customer", "is_company": True})
            contract = env["service.contract"].create(
                {
                    "partner_id": partner.id,
                    "date_start": "2024-01-01",
                    "date_end": "2024-12-31",
                    "monthly_fee": 1000,
                }
            )
            contract.action_activate()
            env["service.penalty.rule"].create(
                {
                    "contract_id": contract.id,
                    "rule_type": "cap",
                    "amount": 100,
                    "date_from": "2024-01-01",
                }
            )
            env["service.ledger.entry"].create(
                {"contract_id": contract.id, "kind": "penalty", "amount": 250, "date": "2024-05-10"}
            )
            self.partner_id, self.contract_id = partner.id, contract.id
        self.addCleanup(self._drop_data)
        self.workers = [
            api.Environment(self.env.registry.cursor(), SUPERUSER_ID, {}) for _i in range(2)
        ]
        for worker in self.workers:
            self.addCleanup(worker.cr.close)

    def _drop_data(self):
        with self.env.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM service_ledger_entry WHERE contract_id = %s", [self.contract_id]
            )
            cr.execute(
                "DELETE FROM service_penalty_rule WHERE contract_id = %s", [self.contract_id]
            )
            cr.execute(
                "DELETE FROM service_contract_sla WHERE contract_id = %s", [self.contract_id]
            )
            cr.execute("DELETE FROM service_contract WHERE id = %s", [self.contract_id])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.partner_id])

    def _caps(self):
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT amount FROM service_ledger_entry WHERE contract_id = %s AND kind = 'cap'",
                [self.contract_id],
            )
            return [row[0] for row in cr.fetchall()]

    @freeze_time("2024-06-02 03:00:00")
    def test_a_worker_skips_the_contracts_another_one_holds(self):
        first, second = self.workers
        # The first worker evaluates the contract and still holds it (not committed yet).
        first["service.contract"]._cron_close_periods(commit=False)
        second["service.contract"]._cron_close_periods(commit=True)
        self.assertEqual(self._caps(), [], "skipped, and nothing committed by the first yet")
        first.cr.commit()
        second["service.contract"]._cron_close_periods(commit=True)
        self.assertEqual(self._caps(), [150.0])

    @freeze_time("2024-06-02 03:00:00")
    def test_a_worker_whose_snapshot_is_older_starts_again(self):
        first, second = self.workers
        # The first worker's transaction starts before the second one commits its run.
        first.cr.execute("SELECT 1")
        second["service.contract"]._cron_close_periods(commit=True)
        with sql_errors_logged() as logged:
            first["service.contract"]._cron_close_periods(commit=True)
        self.assertEqual(self._caps(), [150.0])
        self.assertEqual(logged, [], "an expected lock failure is not a database error")

    def test_accrual_racing_another_transaction_keeps_the_other_causes(self):
        first, second = self.workers

        def cause(key):
            return {
                "contract_id": self.contract_id,
                "kind": "penalty",
                "amount": 5,
                "date": "2024-05-20",
                "source_key": key,
            }

        # The second transaction starts before the first one accrues and commits "race:a":
        # it cannot see that entry, its grouped insert meets the unique key.
        second.cr.execute("SELECT 1")
        first["service.ledger.entry"]._accrue([cause("race:a")])
        first.cr.commit()
        with sql_errors_logged() as logged:
            created = second["service.ledger.entry"]._accrue([cause("race:a"), cause("race:b")])
        second.cr.commit()
        self.assertEqual(logged, [], "an expected unique key is not a database error")
        self.assertEqual(created.mapped("source_key"), ["race:b"])
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT source_key FROM service_ledger_entry WHERE source_key LIKE 'race:%%'"
                " ORDER BY source_key"
            )
            self.assertEqual([row[0] for row in cr.fetchall()], ["race:a", "race:b"])
