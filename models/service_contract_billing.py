"""The contract's monthly fee, billed in advance by a daily job: one draft customer invoice
per contract and month, in the contract's currency, for the accountant to post.

A responsibility of the contract of its own (the period job and its documents), beside the
contract's terms in service_contract.py.
"""

import logging

from odoo import Command, _, api, fields, models
from odoo.tools import SQL, format_date

from ..tools import penalty
from ..tools.batches import run_locked_batches

_logger = logging.getLogger(__name__)

FEE_BATCH_SIZE = 100


class ServiceContract(models.Model):
    _inherit = "service.contract"

    fee_product_id = fields.Many2one(
        "product.product",
        string="Fee Product",
        check_company=True,
        domain=[("type", "=", "service")],
        default=lambda self: self.env.ref(
            "barcode_device_service.product_service_contract_fee", raise_if_not_found=False
        ),
        help="The product of the monthly fee's invoice line: its income account and taxes.",
    )
    # The last month (YYYY-MM, in the time zone of the service hours) whose fee is on an
    # invoice: the job goes on from the next one, so a month is never billed twice, even if
    # its draft invoice is cancelled or deleted.
    fee_billed_period = fields.Char(
        string="Fee Billed Through", readonly=True, copy=False, index="btree_not_null"
    )
    fee_invoice_ids = fields.One2many(
        "account.move",
        "service_contract_id",
        string="Fee Invoices",
        readonly=True,
        groups="account.group_account_invoice",
    )
    fee_invoice_count = fields.Integer(compute="_compute_fee_invoice_count")

    def _compute_fee_invoice_count(self):
        # sudo: the count shows on the contract to the service desk too.
        counts = dict(
            self.env["account.move"]
            .sudo()
            ._read_group(
                [("service_contract_id", "in", self.ids)], ["service_contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.fee_invoice_count = counts.get(contract, 0)

    def action_view_fee_invoices(self):
        self.ensure_one()
        return self.fee_invoice_ids._get_records_action(
            name=_("Fee Invoices"), context={"create": False}
        )

    # ------------------------------------------------------------------ the period job
    @api.model
    def _cron_bill_fees(self, batch_size=FEE_BATCH_SIZE, commit=None):
        """Draft the fee invoices of every month that has begun and is not billed yet, for
        active contracts with a fee. Contracts are taken a batch at a time, locked (another
        worker running the job skips them), with a commit per batch: a run killed halfway
        goes on where it stopped, and a month is billed once."""
        now = fields.Datetime.now()
        run_locked_batches(
            self.env,
            lambda after_id: self.sudo()._lock_contracts_to_bill(now, after_id, batch_size),
            lambda contracts: contracts._bill_fees(now),
            commit=commit,
            job="Fee billing job",
        )

    @api.model
    def _lock_contracts_to_bill(self, now, after_id, limit):
        """Active contracts with a fee whose billing is behind the month now begun (the
        earliest time zone on earth first: a month may begin there already), locked."""
        self.flush_model(["state", "monthly_fee", "fee_billed_period", "date_start", "date_end"])
        latest = penalty.period_of(now + penalty.MAX_UTC_OFFSET, "UTC")
        query = SQL(
            """
            SELECT id FROM service_contract
             WHERE id > %(after)s
               AND state = 'active'
               AND monthly_fee > 0
               AND COALESCE(fee_billed_period, '')
                   < LEAST(to_char(date_end, 'YYYY-MM'), %(latest)s)
             ORDER BY id
             LIMIT %(limit)s
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            after=after_id,
            latest=latest,
            limit=limit,
        )
        self.env.cr.execute(query)
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _fee_periods_due(self, now):
        """The months of this contract to bill now: from the month after the last billed
        (or the start's month) to the month begun now in the contract's time zone, within
        the contract's dates."""
        self.ensure_one()
        tz = self._period_tz()
        first = (
            penalty.next_period(self.fee_billed_period)
            if self.fee_billed_period
            else penalty.period_of_date(self.date_start)
        )
        last = min(penalty.period_of(now, tz), penalty.period_of_date(self.date_end))
        return penalty.periods_between(first, last) if first <= last else []

    def _bill_fees(self, now):
        """One draft invoice per due month of each contract; a company without a sales
        journal is skipped with a warning (its contracts are billed once it has one)."""
        Move = self.env["account.move"]
        journals = {}
        values, billed = [], {}
        for contract in self:
            periods = contract._fee_periods_due(now)
            if not periods:
                continue
            company = contract.company_id
            if company not in journals:
                journals[company] = self.env["account.journal"].search(
                    [
                        ("type", "=", "sale"),
                        *self.env["account.journal"]._check_company_domain(company),
                    ],
                    limit=1,
                )
            if not journals[company]:
                _logger.warning(
                    "Contract fees of %s not billed: the company has no sales journal.",
                    company.name,
                )
                continue
            values += [
                contract._fee_invoice_values(period, journals[company]) for period in periods
            ]
            billed[contract] = periods[-1]
        if values:
            Move.with_context(default_move_type="out_invoice").create(values)
        for contract, period in billed.items():
            contract.fee_billed_period = period

    def _fee_invoice_values(self, period, journal):
        """The draft invoice of ``period``'s fee. Undated: posting dates it, in an open
        accounting period."""
        self.ensure_one()
        first_day = penalty.first_day(period)
        description = _(
            "%(contract)s: service fee %(start)s – %(end)s",
            contract=self.name,
            start=format_date(self.env, first_day, lang_code=self.partner_id.lang),
            end=format_date(self.env, penalty.last_day(period), lang_code=self.partner_id.lang),
        )
        line = {"name": description, "quantity": 1, "price_unit": self.monthly_fee}
        if self.fee_product_id:
            line["product_id"] = self.fee_product_id.id
        return {
            "move_type": "out_invoice",
            "company_id": self.company_id.id,
            "journal_id": journal.id,
            "partner_id": self.partner_id.id,
            "currency_id": self.currency_id.id,
            "invoice_origin": self.name,
            "invoice_user_id": self.user_id.id,
            "service_contract_id": self.id,
            "service_fee_period": period,
            "invoice_line_ids": [Command.create(line)],
        }
