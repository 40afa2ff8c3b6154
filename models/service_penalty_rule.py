from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

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
