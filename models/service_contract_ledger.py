"""The contract's ledger periods: each night, for each contract and month that is over,
the lateness and shortfalls still running at its close are charged, then the month's cap
and rebates are evaluated (priced by the rules), in batches that commit and resume. Same
model as service_contract.py."""

import logging
from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import penalty
from ..tools.batches import run_locked_batches

_logger = logging.getLogger(__name__)

PERIOD_BATCH_SIZE = 100
# The latest period that may be over somewhere is the one before the period of "now +
# the largest UTC offset".
MAX_UTC_OFFSET = penalty.MAX_UTC_OFFSET


class ServiceContract(models.Model):
    _inherit = "service.contract"

    # ------------------------------------------------------------------ period job
    @api.model
    def _cron_close_periods(self, batch_size=PERIOD_BATCH_SIZE, commit=None):
        """For each contract with rules and each month over since the last run: charge the
        lateness of milestones still late at its close, then evaluate its cap and rebates.

        Contracts are taken a batch at a time, locked (another worker running the job at
        the same time skips them), with a commit per batch; a contract remembers up to which
        period it was evaluated, so a re-run, or a run after an interruption, goes on from
        there and accrues nothing twice (each cause has its unique source key).

        ``commit``: commit per batch (by default, unless tests run); False keeps all the
        work in the caller's transaction (module data).
        """
        now = fields.Datetime.now()
        run_locked_batches(
            self.env,
            lambda after_id: self.sudo()._lock_contracts_to_close(now, after_id, batch_size),
            lambda contracts: contracts._close_periods(now),
            commit=commit,
            job="Ledger period job",
        )
        # The months are evaluated: their service reports may be made.
        cron = self.env.ref(
            "barcode_device_service.ir_cron_service_month_reports", raise_if_not_found=False
        )
        if cron:
            cron._trigger()

    @api.model
    def _lock_contracts_to_close(self, now, after_id, limit):
        """The next contracts (by id, after ``after_id``) with rules and a month over that
        their ledger has not evaluated, locked for this transaction; contracts another
        worker holds are skipped."""
        self.flush_model(["state", "date_end", "ledger_evaluated_period"])
        self.env["service.penalty.rule"].flush_model(["contract_id", "active"])
        latest = penalty.last_closed_period(now + MAX_UTC_OFFSET, "UTC")
        rows = self._locked_contract_rows(after_id, latest, limit)
        return self.browse([row[0] for row in rows])

    @api.model
    def _locked_contract_rows(self, after_id, latest, limit):
        query = SQL(
            """
            SELECT contract.id
              FROM service_contract contract
             WHERE contract.id > %(after)s
               AND contract.state != 'draft'
               AND COALESCE(contract.ledger_evaluated_period, '')
                   < LEAST(to_char(contract.date_end, 'YYYY-MM'), %(latest)s)
               AND EXISTS (SELECT 1 FROM service_penalty_rule rule
                            WHERE rule.contract_id = contract.id AND rule.active)
             ORDER BY contract.id
             LIMIT %(limit)s
               FOR NO KEY UPDATE OF contract SKIP LOCKED
            """,
            after=after_id,
            latest=latest,
            limit=limit,
        )
        self.env.flush_query(query)
        # A contract evaluated by another worker since this transaction began fails to lock
        # (serialization failure): expected, the caller starts again. Not logged by this
        # statement alone, instead of muting the shared odoo.sql_db logger (not thread-safe).
        self.env.cr.execute(query, log_exceptions=False)
        return self.env.cr.fetchall()

    def _close_periods(self, now):
        """Evaluate the months of these contracts that are over and not evaluated yet."""
        rules_by_contract = (
            self.env["service.penalty.rule"]
            .search([("contract_id", "in", self.ids)])
            .grouped("contract_id")
        )
        plan = {}
        for contract in self:
            rules = rules_by_contract.get(contract)
            if not rules:
                continue
            tz = contract._period_tz()
            last = min(
                penalty.last_closed_period(now, tz), penalty.period_of_date(contract.date_end)
            )
            first = max(
                penalty.period_of_date(contract.date_start),
                min(penalty.period_of_date(rule.date_from) for rule in rules),
            )
            if contract.ledger_evaluated_period:
                first = max(first, penalty.next_period(contract.ledger_evaluated_period))
            if first <= last:
                plan[contract] = penalty.periods_between(first, last)
        if not plan:
            return
        self._accrue_lateness_at_close(plan, rules_by_contract)
        self._accrue_shortfalls_at_close(plan)
        self._evaluate_caps_and_rebates(plan, rules_by_contract)
        evaluated = defaultdict(list)
        for contract, periods in plan.items():
            evaluated[periods[-1]].append(contract.id)
        for period, ids in evaluated.items():
            self.browse(ids).with_context(tracking_disable=True).write(
                {"ledger_evaluated_period": period}
            )

    @api.model
    def _accrue_lateness_at_close(self, plan, rules_by_contract):
        """Per-hour penalties of milestones still late when the periods closed, charged up
        to the end of the last of them (the rest accrues later, in its own period)."""
        hourly = [
            contract
            for contract in plan
            if any(
                rule.rule_type == "penalty" and rule.computation == "per_hour"
                for rule in rules_by_contract[contract]
            )
        ]
        if not hourly:
            return
        lines = (
            self.env["service.sla.line"]
            .sudo()
            .search(
                [
                    ("contract_id", "in", [c.id for c in hourly]),
                    ("state", "=", "breached"),
                    ("is_closed", "=", False),
                ]
            )
        )
        until = {}
        for line in lines:
            contract = line.contract_id
            end = penalty.period_bounds(plan[contract][-1], contract._period_tz())[1]
            if line.deadline < end:
                until[line] = end
        late = lines.filtered(lambda line: line in until)
        self.env["service.ledger.entry"]._accrue(late._ledger_entry_values(until))

    @api.model
    def _accrue_shortfalls_at_close(self, plan):
        """The shortfalls still open past their grace when a period closes: their days up
        to the end of the last period closed."""
        contracts = self.browse().concat(*plan)
        shortfalls = (
            self.env["service.stock.shortfall"]
            .sudo()
            .search([("contract_id", "in", contracts.ids), ("state", "=", "expired")])
        )
        until = {}
        for shortfall in shortfalls:
            contract = shortfall.contract_id
            end = penalty.period_bounds(plan[contract][-1], contract._period_tz())[1]
            if shortfall.grace_expired_at < end:
                until[shortfall] = end
        shortfalls.filtered(lambda s: s in until)._ledger_accrue(until)

    @api.model
    def _evaluate_caps_and_rebates(self, plan, rules_by_contract):
        """Caps and rebates of each contract and period of ``plan``, reconciled with what
        the ledger already holds for them: nothing when it matches, else the old entries
        withdrawn and the right one accrued."""
        Entry = self.env["service.ledger.entry"]
        contract_ids = [contract.id for contract in plan]
        periods = sorted({period for periods in plan.values() for period in periods})
        base = [("contract_id", "in", contract_ids), ("period", "in", periods)]
        penalties = self._period_penalty_totals(contract_ids, periods)
        existing = defaultdict(lambda: Entry.browse())
        for entry in Entry.search([*base, ("kind", "in", ("cap", "rebate"))]):
            slot = entry.rule_id if entry.kind == "rebate" else "cap"
            existing[(entry.contract_id, entry.period, slot)] |= entry
        shares = self._on_time_shares(
            {
                contract: periods
                for contract, periods in plan.items()
                if any(rule.rule_type == "rebate" for rule in rules_by_contract[contract])
            }
        )
        vals_list = []
        for contract, contract_periods in plan.items():
            rules = rules_by_contract[contract]
            for period in contract_periods:
                in_force = rules.filtered(
                    lambda rule, p=period: penalty.period_of_date(rule.date_from) <= p
                )
                caps = in_force.filtered(lambda rule: rule.rule_type == "cap")
                if caps:
                    vals_list += Entry._reconcile(
                        existing[(contract, period, "cap")],
                        caps._cap_entry_values(
                            contract, period, penalties.get((contract, period), 0.0)
                        ),
                        f"cap:{contract.id}:{period}",
                    )
                for rule in in_force.filtered(lambda rule: rule.rule_type == "rebate"):
                    vals_list += Entry._reconcile(
                        existing[(contract, period, rule)],
                        rule._rebate_entry_values(
                            contract, period, shares.get((contract, period), (0, 0))
                        ),
                        f"rebate:{rule.id}:{period}",
                    )
        Entry._accrue(vals_list)

    @api.model
    def _period_penalty_totals(self, contract_ids, periods):
        """The penalties the ledger holds per (contract, period), cancelled ones left out:
        what a cap limits (the period job's caps, the desk's money at risk)."""
        return {
            (contract, period): total
            for contract, period, total in self.env["service.ledger.entry"]._read_group(
                [
                    ("contract_id", "in", contract_ids),
                    ("period", "in", periods),
                    ("kind", "=", "penalty"),
                    ("state", "!=", "cancelled"),
                ],
                ["contract_id", "period"],
                ["signed_amount:sum"],
            )
        }

    @api.model
    def _on_time_shares(self, plan, detail=()):
        """``(met on time, counted)`` milestones due in each contract's periods of ``plan``,
        counted in the contract's time zone: one query per time zone. Milestones cancelled
        or paused (their deadline is not final) are left out; one still open past its
        deadline is a miss. Keyed ``(contract, period)``, followed by the values of the
        line fields ``detail`` (the monthly report: severity and milestone)."""
        by_tz = defaultdict(dict)
        for contract, periods in plan.items():
            by_tz[contract._period_tz()][contract] = periods
        result = defaultdict(lambda: (0, 0))
        Line = self.env["service.sla.line"].sudo()
        for tz, contract_periods in by_tz.items():
            start = min(penalty.period_bounds(p[0], tz)[0] for p in contract_periods.values())
            end = max(penalty.period_bounds(p[-1], tz)[1] for p in contract_periods.values())
            groups = Line.with_context(tz=tz)._read_group(
                [
                    ("contract_id", "in", [contract.id for contract in contract_periods]),
                    ("deadline", ">=", start),
                    ("deadline", "<", end),
                    ("state", "not in", ("cancelled", "paused")),
                ],
                ["contract_id", "deadline:month", *detail, "state"],
                ["__count"],
            )
            for contract, month, *keys, state, count in groups:
                key = (contract, month.strftime("%Y-%m"), *keys)
                on_time, counted = result[key]
                result[key] = (on_time + (count if state == "met" else 0), counted + count)
        return result
