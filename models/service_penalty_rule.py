from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount

from ..tools import penalty
from ..tools.sla_time import aware_utc, late_hours
from .service_contract_sla import SEVERITIES
from .service_sla_line import MILESTONES

RULE_TYPES = [
    ("penalty", "Penalty per Breach"),
    ("cap", "Cap per Period"),
    ("rebate", "Rebate"),
    ("shortfall", "Penalty per Day Below Minimum Stock"),
]
COMPUTATIONS = [
    ("fixed", "Fixed Amount"),
    ("per_hour", "Per Working Hour Late"),
    ("fee_percent", "% of Monthly Fee"),
]
# Which way the money of a ledger entry goes. Penalties are credits to the customer (service
# credits); a cap charges back what passes the limit; a rebate goes either way.
DIRECTIONS = [
    ("credit", "Credit to Customer"),
    ("charge", "Charge to Customer"),
]


def _document_reference(line):
    """How a description names the document of an SLA line: a work order by its reference
    (what the customer quotes), anything else by its name."""
    if line.res_model == "maintenance.request" and line.request_id.reference:
        return line.request_id.reference
    return line.document_name or line.res_model


class ServicePenaltyRule(models.Model):
    _name = "service.penalty.rule"
    _description = "Penalty or Rebate Rule"
    _order = "contract_id, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    contract_id = fields.Many2one(
        "service.contract", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="contract_id.currency_id")
    active = fields.Boolean(default=True)
    rule_type = fields.Selection(RULE_TYPES, string="Type", required=True, default="penalty")
    computation = fields.Selection(
        COMPUTATIONS,
        required=True,
        default="fixed",
        help="Penalties: a fixed amount per breach, an amount per working hour late (rounded "
        "up to the hour after the free minutes) or a % of the monthly fee per breach. "
        "Rebates: a fixed amount or a % of the monthly fee per period.",
    )
    severity = fields.Selection(SEVERITIES, help="Empty: breaches of every severity.")
    milestone = fields.Selection(MILESTONES, help="Empty: breaches of every milestone.")
    amount = fields.Monetary(
        currency_field="currency_id",
        help="Per breach, per hour late, per day below the committed minimum stock after the "
        "grace period, the rebate, or the cap's absolute limit per period.",
    )
    percent = fields.Float(
        string="% of Monthly Fee",
        help="The penalty or rebate as a share of the monthly fee, or the cap's limit as a "
        "share of it (the at-risk amount). With an absolute limit too, the lower one applies.",
    )
    free_minutes = fields.Integer(help="Lateness under this allowance is not charged.")
    threshold_percent = fields.Float(
        string="On-time Threshold (%)",
        default=95.0,
        help="The rebate is due when the period's share of milestones met on time reaches "
        "this percentage (a period needs at least one milestone due).",
    )
    direction = fields.Selection(
        DIRECTIONS,
        required=True,
        default="credit",
        help="Rebates only: credited to the customer, or charged to the customer as a bonus.",
    )
    date_from = fields.Date(
        string="Applies From",
        required=True,
        default=fields.Date.context_today,
        help="The rule applies to milestones due from this day and to the periods from its "
        "month: adding a rule does not reprice the past.",
    )

    # ------------------------------------------------------------------ computes
    @api.depends(
        "rule_type", "computation", "severity", "milestone", "amount", "percent", "free_minutes"
    )
    def _compute_display_name(self):
        severities = dict(self._fields["severity"]._description_selection(self.env))
        milestones = dict(self._fields["milestone"]._description_selection(self.env))
        for rule in self:
            if rule.rule_type == "cap":
                rule.display_name = _("Cap per period")
                continue
            if rule.rule_type == "rebate":
                rule.display_name = _(
                    "Rebate at %(threshold)s %% on time", threshold=rule.threshold_percent
                )
                continue
            rule.display_name = _(
                "Penalty: %(severity)s, %(milestone)s",
                severity=severities.get(rule.severity, _("any severity")),
                milestone=milestones.get(rule.milestone, _("any milestone")),
            )

    # ------------------------------------------------------------------ constraints
    @api.constrains(
        "rule_type",
        "computation",
        "amount",
        "percent",
        "free_minutes",
        "threshold_percent",
    )
    def _check_figures(self):
        for rule in self:
            name = rule.display_name
            if rule.rule_type == "cap" and (rule.amount < 0 or rule.percent < 0):
                raise ValidationError(
                    _(
                        "The cap of contract %(contract)s cannot be below zero.",
                        contract=rule.contract_id.name,
                    )
                )
            if rule.amount < 0 or rule.free_minutes < 0:
                raise ValidationError(
                    _(
                        "Rule %(rule)s of contract %(contract)s: amounts and free minutes "
                        "cannot be negative.",
                        rule=name,
                        contract=rule.contract_id.name,
                    )
                )
            if not 0 <= rule.percent <= 100:
                raise ValidationError(
                    _(
                        "Rule %(rule)s of contract %(contract)s: a percentage of the monthly "
                        "fee lies between 0 and 100.",
                        rule=name,
                        contract=rule.contract_id.name,
                    )
                )
            if rule.rule_type == "cap":
                if not rule.amount and not rule.percent:
                    raise ValidationError(
                        _(
                            "The cap of contract %(contract)s needs an amount or a percentage "
                            "of the monthly fee.",
                            contract=rule.contract_id.name,
                        )
                    )
                continue
            if rule.rule_type == "rebate":
                if rule.computation == "per_hour":
                    raise ValidationError(
                        _("A rebate is a fixed amount or a percentage of the monthly fee.")
                    )
                if not 0 < rule.threshold_percent <= 100:
                    raise ValidationError(
                        _(
                            "The on-time threshold of a rebate of contract %(contract)s lies "
                            "between 0 (excluded) and 100 %%.",
                            contract=rule.contract_id.name,
                        )
                    )
            if rule.rule_type == "shortfall" and rule.computation != "fixed":
                raise ValidationError(
                    _(
                        "Rule %(rule)s of contract %(contract)s: a minimum-stock penalty is a "
                        "fixed amount per day below the minimum.",
                        rule=name,
                        contract=rule.contract_id.name,
                    )
                )
            if rule.computation == "fee_percent" and not rule.percent:
                raise ValidationError(
                    _(
                        "Rule %(rule)s of contract %(contract)s needs the percentage of the "
                        "monthly fee.",
                        rule=name,
                        contract=rule.contract_id.name,
                    )
                )
            if rule.computation in ("fixed", "per_hour") and not rule.amount:
                raise ValidationError(
                    _(
                        "Rule %(rule)s of contract %(contract)s needs an amount.",
                        rule=name,
                        contract=rule.contract_id.name,
                    )
                )

    # ------------------------------------------------------------------ business
    @api.model
    def _penalties_of(self, contracts):
        """The active penalty rules of ``contracts``, per contract (one query; those
        without any left out)."""
        if not contracts:
            return {}
        return self.search(
            [("contract_id", "in", contracts.ids), ("rule_type", "=", "penalty")]
        ).grouped("contract_id")

    def _matches(self, line, deadline_day):
        """Whether this penalty rule prices a breach of SLA ``line`` due on ``deadline_day``
        (the day in the contract's time zone)."""
        self.ensure_one()
        return (
            self.rule_type == "penalty"
            and (not self.severity or self.severity == line.severity)
            and (not self.milestone or self.milestone == line.milestone)
            and deadline_day >= self.date_from
        )

    # ------------------------------------------------------------------ pricing
    # Each kind of rule prices its own causes: the values of the ledger entries it accrues
    # (amount, date, period, source key, description in the customer's language). The
    # ledger's booking decides when a cause is priced and inserts the entries.
    def _describe(self, contract, build):
        return self.env["service.ledger.entry"]._describe(contract, build)

    def _breach_entry_values(self, line, deadline_day, common, key):
        """The entry of this fixed or fee-% rule for the breach of SLA ``line`` (due on
        ``deadline_day`` in the contract's zone); None when it comes to nothing."""
        self.ensure_one()
        contract = line.contract_id
        amount = contract.currency_id.round(
            penalty.penalty_amount(
                self.computation, self.amount, self.percent, contract.monthly_fee
            )
        )
        if contract.currency_id.is_zero(amount):
            return None
        return common | {
            "rule_id": self.id,
            "amount": amount,
            "date": deadline_day,
            "period": penalty.period_of_date(deadline_day),
            "source_key": f"{key}:rule{self.id}:breach",
            "description": self._describe(
                contract,
                lambda env: env._(
                    "%(document)s: %(milestone)s missed its deadline %(deadline)s",
                    document=_document_reference(line),
                    milestone=line.with_env(env)._milestone_label(line.milestone),
                    deadline=line._format_deadline(),
                ),
            ),
        }

    def _lateness_entry_values(self, line, final, intervals, common, key, pauses=()):
        """The entries of this per-hour rule for ``line`` late from its deadline to
        ``final`` (``intervals``: its calendar's working time; its document's ``pauses``
        left out): one per period the lateness runs in, with the hours charged in it."""
        self.ensure_one()
        contract = line.contract_id
        tz = contract._period_tz()
        deadline = aware_utc(line.deadline)
        ends = penalty.period_ends(line.deadline, final, tz)
        late = [late_hours(intervals, deadline, aware_utc(end), pauses) for _p, end in ends]
        hours = penalty.split_billable_hours(late, self.free_minutes)
        vals_list = []
        for (period, end), charged in zip(ends, hours, strict=True):
            if not charged:
                continue
            vals_list.append(
                common
                | {
                    "rule_id": self.id,
                    "amount": contract.currency_id.round(
                        penalty.penalty_amount("per_hour", self.amount, hours=charged)
                    ),
                    "billed_hours": charged,
                    "date": min(penalty.local_date(end, tz), penalty.last_day(period)),
                    "period": period,
                    "source_key": f"{key}:rule{self.id}:{period}",
                    "description": self._describe(
                        contract,
                        lambda env, charged=charged, period=period: env._(
                            "%(document)s: %(milestone)s late, %(hours)s working hours charged "
                            "in %(period)s (%(free)s free minutes)",
                            document=_document_reference(line),
                            milestone=line.with_env(env)._milestone_label(line.milestone),
                            hours=charged,
                            period=period,
                            free=self.free_minutes,
                        ),
                    ),
                }
            )
        return vals_list

    def _shortfall_entry_values(self, shortfall, ends, days):
        """The entries of this per-day rule for ``shortfall``: ``days`` charged in each of
        the periods ``ends`` ((period, end) pairs), one entry per period from the rule's
        first."""
        self.ensure_one()
        contract = shortfall.contract_id
        tz = contract._period_tz()
        first = penalty.period_of_date(self.date_from)
        vals_list = []
        for (period, end), charged in zip(ends, days, strict=True):
            if not charged or period < first:
                continue
            vals_list.append(
                {
                    "contract_id": contract.id,
                    "kind": "penalty",
                    "direction": "credit",
                    "rule_id": self.id,
                    "shortfall_id": shortfall.id,
                    "res_model": shortfall._name,
                    "res_id": shortfall.id,
                    "amount": contract.currency_id.round(charged * self.amount),
                    "billed_days": charged,
                    "date": min(penalty.local_date(end, tz), penalty.last_day(period)),
                    "period": period,
                    "source_key": f"shortfall:{shortfall.id}:rule{self.id}:{period}",
                    "description": self._describe(
                        contract,
                        lambda env, charged=charged, period=period: env._(
                            "%(product)s below the minimum at %(location)s: %(days)s "
                            "days charged in %(period)s",
                            product=shortfall.product_id.with_env(env).display_name,
                            location=shortfall.commitment_id.location_id.display_name,
                            days=charged,
                            period=period,
                        ),
                    ),
                }
            )
        return vals_list

    def _cap_limit(self, contract):
        """The most ``contract``'s penalties may total in a period under these cap rules
        (the lowest limit set), None when none is set."""
        return penalty.cap_limit(
            [(rule.amount, rule.percent) for rule in self], contract.monthly_fee
        )

    def _cap_entry_values(self, contract, period, total):
        """The cap entry of ``contract``'s ``period`` whose penalties add up to ``total``,
        by the lowest of these cap rules: what passes the limit, charged back (an amount of
        0 when nothing does)."""
        currency = contract.currency_id
        limits = {rule: rule._cap_limit(contract) for rule in self}
        binding = min(self, key=lambda rule: limits[rule])
        limit = limits[binding]
        return {
            "contract_id": contract.id,
            "kind": "cap",
            "rule_id": binding.id,
            "amount": currency.round(penalty.capped_excess(total, limit)),
            "direction": "charge",
            "date": penalty.last_day(period),
            "period": period,
            "description": self._describe(
                contract,
                lambda env: env._(
                    "Cap of %(period)s: penalties of %(total)s pass the limit of %(limit)s",
                    period=period,
                    total=format_amount(env, total, currency),
                    limit=format_amount(env, limit, currency),
                ),
            ),
        }

    def _rebate_entry_values(self, contract, period, share):
        """The rebate entry of this rule for ``contract``'s ``period``, where ``share`` is
        (milestones met on time, milestones counted): an amount of 0 under the threshold."""
        self.ensure_one()
        on_time, counted = share
        amount = 0.0
        if penalty.rebate_due(on_time, counted, self.threshold_percent):
            amount = contract.currency_id.round(
                self.amount
                if self.computation == "fixed"
                else penalty.fee_share(contract.monthly_fee, self.percent)
            )
        return {
            "contract_id": contract.id,
            "kind": "rebate",
            "rule_id": self.id,
            "amount": amount,
            "direction": self.direction,
            "date": penalty.last_day(period),
            "period": period,
            "description": self._describe(
                contract,
                lambda env: env._(
                    "Rebate of %(period)s: %(on_time)s of %(counted)s milestones met on "
                    "time (threshold %(threshold)s %%)",
                    period=period,
                    on_time=on_time,
                    counted=counted,
                    threshold=self.threshold_percent,
                ),
            ),
        }
