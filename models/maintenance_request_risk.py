"""Money at risk on the desk's queue: what each open work order's milestones would cost if
they breached now, priced by the ledger's own functions (the rules' entry values and the
cap's limit), and what a late one adds per further working hour. Stored, so that the
queue sorts and filters on it; refreshed in batches (on creation, stage and severity
changes, breaches, and by the scheduled job as lateness grows). Same model as
maintenance_request.py."""

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import penalty
from .service_sla_mixin import OPEN_STATES

RISK_BATCH_SIZE = 1000


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    risk_currency_id = fields.Many2one(related="contract_id.currency_id", string="Risk Currency")
    penalty_at_risk = fields.Monetary(
        string="Penalty at Risk",
        currency_field="risk_currency_id",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
        help="What the open milestones would cost under the contract's penalty rules if they "
        "breached now (a late one: its lateness so far not charged yet), within what is "
        "left of the month's cap.",
    )
    penalty_per_hour = fields.Monetary(
        string="Penalty per Late Hour",
        currency_field="risk_currency_id",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="What a late milestone adds for each further working hour.",
    )

    @api.model
    def _cron_refresh_penalty_at_risk(self, batch_size=RISK_BATCH_SIZE):
        """Every open work order with a contract, and closed ones still showing a risk,
        a batch at a time (lateness grows with the clock)."""
        domain = [
            "|",
            "&",
            ("is_closed", "=", False),
            ("contract_id", "!=", False),
            ("penalty_at_risk", "!=", 0),
        ]
        last_id = 0
        while True:
            batch = self.sudo().search(
                [*domain, ("id", ">", last_id)], order="id", limit=batch_size
            )
            if not batch:
                break
            batch._refresh_penalty_at_risk()
            last_id = batch[-1].id

    def _refresh_penalty_at_risk(self):
        """Price and store the risk of these work orders: a fixed number of queries for
        a batch (of up to 1,000, what one fetch reads), whatever its size."""
        if self:
            # sudo: the risk is the work order's, whoever moves it (a technician reads no
            # penalty rule nor the ledger).
            self._store_penalty_at_risk(self.sudo()._price_penalty_at_risk())

    def _price_penalty_at_risk(self):
        """{work order id: (penalty at risk, penalty per late hour)}."""
        now = fields.Datetime.now()
        requests = self
        requests.flush_recordset(["is_closed", "contract_id"])
        open_requests = requests.filtered(lambda r: not r.is_closed and r.contract_id)
        risk = defaultdict(float)
        per_hour = defaultdict(float)
        rules_by_contract = self.env["service.penalty.rule"]._penalties_of(
            open_requests.contract_id
        )
        if rules_by_contract:
            domain = [
                ("res_model", "=", self._name),
                ("res_id", "in", open_requests.ids),
                ("state", "in", (*OPEN_STATES, "paused")),
                ("is_closed", "=", False),
                ("contract_id", "in", [contract.id for contract in rules_by_contract]),
                ("deadline", "!=", False),
            ]
            contracts = self.env["service.contract"].concat(*rules_by_contract)
            for request_id, amount in self._risk_of_waiting_lines(domain, contracts):
                risk[request_id] += amount
            late = (
                self.env["service.sla.line"]
                .sudo()
                .search([*domain, ("breached_at", "!=", False)])
                .with_context(bds_ledger_price_only=True)
            )
            # Priced as the ledger prices them, up to now; what the ledger holds already
            # (the breach's fixed penalty, lateness of months closed) is no longer at risk.
            priced = late._ledger_entry_values({line: max(now, line.deadline) for line in late})
            booked = set(
                self.env["service.ledger.entry"]
                .sudo()
                .search([("source_key", "in", [vals["source_key"] for vals in priced])])
                .mapped("source_key")
            )
            for vals in priced:
                if vals["source_key"] not in booked:
                    risk[vals["res_id"]] += vals["amount"]
            for line in late.filtered(lambda line: line.state == "breached"):
                deadline_day = penalty.local_date(line.deadline, line.contract_id._period_tz())
                per_hour[line.res_id] += sum(
                    penalty.penalty_amount("per_hour", rule.amount, hours=1)
                    for rule in rules_by_contract.get(line.contract_id, [])
                    if rule.computation == "per_hour" and rule._matches(line, deadline_day)
                )
            headroom = self._risk_cap_headroom(open_requests.contract_id, now)
            for request in open_requests:
                room = headroom.get(request.contract_id)
                if room is not None:
                    risk[request.id] = min(risk[request.id], room)
                    per_hour[request.id] = min(per_hour[request.id], room)
        return {request.id: (risk[request.id], per_hour[request.id]) for request in requests}

    @api.model
    def _risk_of_waiting_lines(self, domain, contracts):
        """(work order id, amount) for each milestone of ``domain`` not missed yet: what a
        breach now would cost. Milestones of the same contract, severity, kind and
        deadline day (in the contract's zone) cost the same, so one of each is priced by
        the rules (one grouping per time zone)."""
        Line = self.env["service.sla.line"].sudo()
        domain = [*domain, ("breached_at", "=", False)]
        groups = []
        for tz, tz_contracts in contracts.grouped(lambda c: c._period_tz()).items():
            groups += Line.with_context(tz=tz)._read_group(
                [*domain, ("contract_id", "in", tz_contracts.ids)],
                ["contract_id", "severity", "milestone", "deadline:day"],
                ["id:min", "res_id:array_agg"],
            )
        representatives = Line.browse([group[4] for group in groups])
        amounts = defaultdict(float)
        for vals in representatives.with_context(bds_ledger_price_only=True)._ledger_entry_values():
            amounts[vals["sla_line_id"]] += vals["amount"]
        return [
            (request_id, amounts[line_id])
            for *_keys, line_id, request_ids in groups
            if amounts[line_id]
            for request_id in request_ids
        ]

    @api.model
    def _risk_cap_headroom(self, contracts, now):
        """What each capped contract may still be charged in the current month: its cap's
        limit less the penalties the ledger holds for the month (as the period job counts
        them)."""
        if not contracts:
            return {}
        caps = (
            self.env["service.penalty.rule"]
            .sudo()
            .search([("contract_id", "in", contracts.ids), ("rule_type", "=", "cap")])
            .grouped("contract_id")
        )
        periods = {contract: penalty.period_of(now, contract._period_tz()) for contract in caps}
        totals = self.env["service.contract"]._period_penalty_totals(
            [contract.id for contract in caps], sorted(set(periods.values()))
        )
        headroom = {}
        for contract, rules in caps.items():
            period = periods[contract]
            in_force = rules.filtered(
                lambda rule, p=period: penalty.period_of_date(rule.date_from) <= p
            )
            limit = in_force._cap_limit(contract)
            if limit is not None:
                used = totals.get((contract, period), 0.0)
                headroom[contract] = max(limit - used, 0.0)
        return headroom

    def _notify_sla_breach(self, lines):
        result = super()._notify_sla_breach(lines)
        self._refresh_penalty_at_risk()
        return result

    def _store_penalty_at_risk(self, figures):
        """One UPDATE for the batch (the figures differ per work order, so grouped ORM
        writes would be one per figure); the cache learns the new values."""
        if not figures:
            return
        rows = [
            SQL("(%s, %s, %s)", rid, at_risk, hourly) for rid, (at_risk, hourly) in figures.items()
        ]
        self.env.cr.execute(
            SQL(
                """UPDATE maintenance_request request
                      SET penalty_at_risk = figure.at_risk, penalty_per_hour = figure.hourly
                     FROM (VALUES %s) AS figure(id, at_risk, hourly)
                    WHERE request.id = figure.id
                      AND (request.penalty_at_risk IS DISTINCT FROM figure.at_risk
                           OR request.penalty_per_hour IS DISTINCT FROM figure.hourly)""",
                SQL(", ").join(rows),
            )
        )
        self.browse(figures).invalidate_recordset(["penalty_at_risk", "penalty_per_hour"])
