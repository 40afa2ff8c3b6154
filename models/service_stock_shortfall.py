from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.tools import format_datetime

from ..tools import penalty

# open: below the minimum, still within the contract's grace period; expired: below the
# minimum past the grace period (what the penalty ledger prices); closed: back at the minimum.
SHORTFALL_STATES = [
    ("open", "Below Minimum"),
    ("expired", "Grace Expired"),
    ("closed", "Restored"),
]
OPEN_SHORTFALL_STATES = ("open", "expired")


class ServiceStockShortfall(models.Model):
    _name = "service.stock.shortfall"
    _description = "Spare Stock Shortfall"
    _order = "date_start desc, id desc"

    commitment_id = fields.Many2one(
        "service.contract.stock.commitment",
        string="Commitment",
        required=True,
        index=True,
        # A recorded period is what penalties are priced from: it outlives no line, but the
        # line cannot be deleted under it either.
        ondelete="restrict",
    )
    contract_id = fields.Many2one(related="commitment_id.contract_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="contract_id.partner_id", string="Customer", store=True, index=True
    )
    product_id = fields.Many2one(related="commitment_id.product_id", store=True, index=True)
    location_id = fields.Many2one(related="commitment_id.location_id")
    company_id = fields.Many2one(related="commitment_id.company_id", store=True, index=True)
    product_uom_id = fields.Many2one(related="product_id.uom_id")
    min_qty = fields.Float(related="commitment_id.min_qty", string="Committed Minimum")
    date_start = fields.Datetime(
        string="Below Minimum Since", required=True, index=True, default=fields.Datetime.now
    )
    date_end = fields.Datetime(string="Restored On", index="btree_not_null")
    missing_qty = fields.Float(
        string="Missing Quantity",
        digits="Product Unit of Measure",
        required=True,
        help="How many parts the location lacked to reach the minimum at the last check.",
    )
    grace_end = fields.Datetime(
        compute="_compute_grace_end",
        store=True,
        index=True,
        help="End of the contract's grace period for this shortfall; a shortfall that lasts "
        "beyond it is an event the penalty ledger consumes.",
    )
    grace_expired_at = fields.Datetime(
        string="Grace Expired On",
        readonly=True,
        index="btree_not_null",
        help="Set by the daily check once the shortfall has lasted beyond the grace period.",
    )
    state = fields.Selection(
        SHORTFALL_STATES, required=True, default="open", index=True, readonly=True
    )
    duration_days = fields.Float(
        string="Days Below Minimum",
        compute="_compute_duration_days",
        store=True,
        aggregator="sum",
        digits=(16, 2),
        help="Length of a restored shortfall; an open one counts until now on the contract.",
    )

    _sql_constraints = [
        ("missing_qty_positive", "CHECK(missing_qty > 0)", "A shortfall misses some parts."),
        (
            "dates_ordered",
            "CHECK(date_end IS NULL OR date_end >= date_start)",
            "A shortfall cannot end before it starts.",
        ),
    ]

    @api.depends("date_start", "commitment_id")
    def _compute_grace_end(self):
        # The grace the contract grants when the shortfall opens: changing the contract later
        # does not rewrite recorded periods.
        for shortfall in self:
            hours = shortfall.commitment_id.contract_id.stock_grace_hours
            shortfall.grace_end = shortfall.date_start and shortfall.date_start + timedelta(
                hours=hours
            )

    @api.depends("date_start", "date_end")
    def _compute_duration_days(self):
        for shortfall in self:
            if shortfall.date_start and shortfall.date_end:
                delta = shortfall.date_end - shortfall.date_start
                shortfall.duration_days = delta.total_seconds() / 86400
            else:
                shortfall.duration_days = 0.0

    @api.depends("product_id", "contract_id", "date_start")
    def _compute_display_name(self):
        for shortfall in self:
            shortfall.display_name = _(
                "%(product)s short for %(contract)s since %(date)s",
                product=shortfall.product_id.display_name,
                contract=shortfall.contract_id.name,
                date=fields.Date.to_date(shortfall.date_start),
            )

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    def _grace_expired_since(self, at=None):
        """Whether and since when the grace period of this shortfall has expired: the end of
        the grace when the shortfall lasted beyond it (as of ``at``, default now, while it is
        open), else False. The penalty ledger prices the time from there to ``date_end``."""
        self.ensure_one()
        if self.grace_expired_at:
            return self.grace_expired_at
        if self.date_end:
            return self.grace_end if self.grace_end < self.date_end else False
        return self.grace_end if self.grace_end <= (at or fields.Datetime.now()) else False

    def _close(self, now):
        """Back at the minimum: end the periods. One that outlasted its grace between two
        checks is flagged as well, so the ledger sees it; those are returned."""
        late = self.filtered(lambda s: not s.grace_expired_at and s.grace_end < now)
        for shortfall in late:
            shortfall.grace_expired_at = shortfall.grace_end
        self.write({"date_end": now, "state": "closed"})
        # Its lateness is final: the penalty ledger charges the days past the grace.
        self.filtered("grace_expired_at")._ledger_accrue()
        return late

    def _ledger_accrue(self, until=None):
        """The per-day penalties of these shortfalls past their grace period, accrued in
        one grouped insert: the days below minimum from the grace's end to ``until[shortfall]``
        (default: the shortfall's end), one entry per rule and period. Called when a shortfall
        ends (the stock is back, or the contract ended) and by the period job for the
        shortfalls still open at a period's close."""
        return self.env["service.ledger.entry"]._accrue(
            self.sudo()._ledger_entry_values(until or {})
        )

    def _ledger_entry_values(self, until):
        rules_by_contract = (
            self.env["service.penalty.rule"]
            .sudo()
            .search([("contract_id", "in", self.contract_id.ids), ("rule_type", "=", "shortfall")])
            .grouped("contract_id")
        )
        vals_list = []
        for shortfall in self:
            contract = shortfall.contract_id
            start = shortfall.grace_expired_at
            stop = until.get(shortfall) or shortfall.date_end
            if not (rules_by_contract.get(contract) and start and stop and stop > start):
                continue
            ends = penalty.period_ends(start, stop, contract._period_tz())
            # Counted from the grace's end each time: a period charged at its close and the
            # rest charged when the shortfall ends add up to the days of the whole.
            days = penalty.split_billable_days(
                [(end - start).total_seconds() / 3600 for _period, end in ends]
            )
            for rule in rules_by_contract[contract]:
                vals_list += rule._shortfall_entry_values(shortfall, ends, days)
        return vals_list

    def _expire(self, now):
        """Flag the open shortfalls whose grace period has ended by ``now``; return them."""
        expired = self.filtered(lambda s: s.state == "open" and s.grace_end <= now)
        for shortfall in expired:
            shortfall.grace_expired_at = shortfall.grace_end
        expired.state = "expired"
        return expired

    def _notify_grace_expired(self):
        """One chatter note per contract naming each part whose grace period ran out, and a
        to-do for the account manager while parts are still missing."""
        for contract, shortfalls in self.grouped("contract_id").items():
            contract.message_post(
                body=Markup("%s<br/>%s")
                % (
                    self.env._(
                        "Spare stock below the committed minimum beyond the grace period "
                        "(%(hours)s h):",
                        hours=contract.stock_grace_hours,
                    ),
                    Markup("<br/>").join(shortfalls._describe(contract.user_id.tz)),
                ),
                subtype_xmlid="mail.mt_note",
            )
            if any(shortfall.state == "expired" for shortfall in shortfalls):
                contract.activity_schedule(
                    "mail.mail_activity_data_warning",
                    summary=self.env._(
                        "Spare parts below the committed minimum past the grace period"
                    ),
                    note=self.env._(
                        "Replenish the parts held for %(customer)s: see the Spare Stock page.",
                        customer=contract.partner_id.display_name,
                    ),
                    user_id=(contract.user_id or self.env.user).id,
                )

    def _describe(self, tz):
        """One sentence per shortfall, its times in ``tz`` (the account manager's)."""

        def when(value):
            return format_datetime(self.env, value, tz=tz or "UTC", dt_format="short")

        sentences = []
        for shortfall in self:
            values = {
                "product": shortfall.product_id.display_name,
                "location": shortfall.location_id.display_name,
                "missing": shortfall.missing_qty,
                "start": when(shortfall.date_start),
                "grace_end": when(shortfall.grace_end),
            }
            if shortfall.date_end:
                sentences.append(
                    self.env._(
                        "%(product)s at %(location)s: %(missing)s missing from %(start)s to "
                        "%(end)s, beyond the grace period that ended %(grace_end)s.",
                        end=when(shortfall.date_end),
                        **values,
                    )
                )
            else:
                sentences.append(
                    self.env._(
                        "%(product)s at %(location)s: %(missing)s missing since %(start)s; "
                        "the grace period ended %(grace_end)s.",
                        **values,
                    )
                )
        return sentences
