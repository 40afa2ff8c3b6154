from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

# Customer documents that bill a locked part, and those that take a billing back.
LOCK_BILLING_MOVE_TYPES = ("out_invoice", "out_receipt")
LOCK_REFUND_MOVE_TYPES = ("out_refund",)


class ServiceContractPriceLock(models.Model):
    """A spare part's unit price fixed by a service contract for part of its term.

    Whatever bills the contract's customer for the part inside the validity — a customer
    invoice typed in Accounting or the invoice of a work order — bills it at this price (in the
    contract's currency, converted at the invoice date): posting above it is refused, below
    it only a Device Service manager may post.
    """

    _name = "service.contract.price.lock"
    _description = "Service Contract Price Lock"
    _order = "contract_id, product_id, date_from"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "service.contract", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(
        related="contract_id.partner_id.commercial_partner_id",
        string="Customer",
        store=True,
        index=True,
    )
    contract_state = fields.Selection(related="contract_id.state", string="Contract Status")
    product_id = fields.Many2one(
        "product.product",
        string="Spare Part",
        required=True,
        index=True,
        check_company=True,
        domain=[("type", "=", "consu")],
    )
    currency_id = fields.Many2one(related="contract_id.currency_id")
    price_unit = fields.Monetary(
        string="Locked Unit Price",
        required=True,
        help="Unit price (per unit of measure of the part, in the contract's currency) that "
        "invoices of this customer may not exceed inside the validity.",
    )
    date_from = fields.Date(
        string="Valid From",
        required=True,
        compute="_compute_validity",
        store=True,
        readonly=False,
        precompute=True,
    )
    date_to = fields.Date(
        string="Valid To",
        required=True,
        compute="_compute_validity",
        store=True,
        readonly=False,
        precompute=True,
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    billed_qty = fields.Float(
        string="Billed Quantity",
        compute="_compute_billed",
        digits="Product Unit of Measure",
        help="Quantity charged on posted customer invoices of the validity (covered parts at "
        "zero left out), credit notes deducted.",
    )
    billed_amount = fields.Monetary(
        compute="_compute_billed",
        currency_field="company_currency_id",
        help="Untaxed amount billed for the part inside the validity (company currency), "
        "credit notes deducted.",
    )
    saving_amount = fields.Monetary(
        string="Saving",
        compute="_compute_billed",
        currency_field="company_currency_id",
        help="What the charged quantity would have cost at the part's list price (the price "
        "without the lock), less what was billed; covered parts are no saving.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("contract_id.date_start", "contract_id.date_end")
    def _compute_validity(self):
        """The contract period unless the validity was set: a lock covers the term by default."""
        for lock in self:
            if not lock.date_from:
                lock.date_from = lock.contract_id.date_start
            if not lock.date_to:
                lock.date_to = lock.contract_id.date_end

    @api.depends("partner_id", "company_id", "product_id", "date_from", "date_to")
    def _compute_billed(self):
        """One grouped read of the posted customer lines of every lock's customer and part.

        Rows are per invoice date so that each lock keeps only the days of its validity.
        Amounts are the lines' balance, i.e. in company currency at the invoice's rate.
        """
        locks = self.filtered(
            lambda lock: lock.partner_id and lock.product_id and lock.date_from and lock.date_to
        )
        (self - locks).update({"billed_qty": 0.0, "billed_amount": 0.0, "saving_amount": 0.0})
        if not locks:
            return
        # sudo: the figures are totals of the contract's own customer and parts, shown to
        # Device Service users who need no accounting rights.
        groups = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                [
                    ("parent_state", "=", "posted"),
                    ("display_type", "=", "product"),
                    # Covered parts (billed at zero) are not charged under the lock: counted,
                    # they would show a saving of their full list price.
                    ("balance", "!=", 0),
                    ("move_id.move_type", "in", LOCK_BILLING_MOVE_TYPES + LOCK_REFUND_MOVE_TYPES),
                    ("company_id", "in", locks.company_id.ids),
                    ("partner_id", "in", locks.partner_id.ids),
                    ("product_id", "in", locks.product_id.ids),
                    ("invoice_date", ">=", min(locks.mapped("date_from"))),
                    ("invoice_date", "<=", max(locks.mapped("date_to"))),
                ],
                [
                    "company_id",
                    "partner_id",
                    "product_id",
                    "product_uom_id",
                    "move_type",
                    "invoice_date:day",
                ],
                ["quantity:sum", "balance:sum"],
            )
        )
        rows = defaultdict(list)
        for company, partner, product, uom, move_type, day, line_qty, balance in groups:
            quantity = line_qty
            if uom and uom != product.uom_id:
                quantity = uom._compute_quantity(line_qty, product.uom_id, round=False)
            sign = -1 if move_type in LOCK_REFUND_MOVE_TYPES else 1
            rows[company.id, partner.id, product.id].append((day, sign * quantity, -balance))
        today = fields.Date.context_today(self)
        for lock in locks:
            billed = [
                (quantity, amount)
                for day, quantity, amount in rows[
                    lock.company_id.id, lock.partner_id.id, lock.product_id.id
                ]
                if lock.date_from <= day <= lock.date_to
            ]
            lock.billed_qty = sum(quantity for quantity, __ in billed)
            lock.billed_amount = sum(amount for __, amount in billed)
            product = lock.product_id
            list_price = product.currency_id._convert(
                product.lst_price, lock.company_currency_id, lock.company_id, today
            )
            lock.saving_amount = list_price * lock.billed_qty - lock.billed_amount

    @api.depends("contract_id", "product_id")
    def _compute_display_name(self):
        for lock in self:
            lock.display_name = f"{lock.contract_id.name or ''} - {lock.product_id.display_name}"

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("price_unit")
    def _check_price_unit(self):
        for lock in self:
            if lock.price_unit < 0:
                raise ValidationError(
                    _(
                        "The locked price of %(product)s on contract %(contract)s cannot be "
                        "negative.",
                        product=lock.product_id.display_name,
                        contract=lock.contract_id.name,
                    )
                )

    @api.constrains("date_from", "date_to", "contract_id")
    def _check_within_contract(self):
        """A lock lies inside its contract's period (also checked when the period changes)."""
        for lock in self:
            contract = lock.contract_id
            if lock.date_to < lock.date_from:
                raise ValidationError(
                    _(
                        "The price lock of %(product)s cannot end (%(date_to)s) before it "
                        "starts (%(date_from)s).",
                        product=lock.product_id.display_name,
                        date_from=format_date(self.env, lock.date_from),
                        date_to=format_date(self.env, lock.date_to),
                    )
                )
            if lock.date_from < contract.date_start or lock.date_to > contract.date_end:
                raise ValidationError(
                    _(
                        "The price lock of %(product)s (%(date_from)s to %(date_to)s) must lie "
                        "within the period of contract %(contract)s (%(start)s to %(end)s).",
                        product=lock.product_id.display_name,
                        date_from=format_date(self.env, lock.date_from),
                        date_to=format_date(self.env, lock.date_to),
                        contract=contract.name,
                        start=format_date(self.env, contract.date_start),
                        end=format_date(self.env, contract.date_end),
                    )
                )

    @api.constrains("contract_id", "product_id", "date_from", "date_to")
    def _check_no_overlap(self):
        """One price per part and day on a contract: overlapping locks would leave it open."""
        siblings = self.search(
            [
                ("contract_id", "in", self.contract_id.ids),
                ("product_id", "in", self.product_id.ids),
            ]
        )
        for lock in self:
            for other in siblings:
                if (
                    other != lock
                    and other.contract_id == lock.contract_id
                    and other.product_id == lock.product_id
                    and other.date_from <= lock.date_to
                    and lock.date_from <= other.date_to
                ):
                    raise ValidationError(
                        _(
                            "Contract %(contract)s already locks the price of %(product)s from "
                            "%(other_from)s to %(other_to)s; a second lock from %(date_from)s "
                            "to %(date_to)s would overlap it.",
                            contract=lock.contract_id.name,
                            product=lock.product_id.display_name,
                            other_from=format_date(self.env, other.date_from),
                            other_to=format_date(self.env, other.date_to),
                            date_from=format_date(self.env, lock.date_from),
                            date_to=format_date(self.env, lock.date_to),
                        )
                    )

    # ------------------------------------------------------------
    # BUSINESS METHODS (the API of every path that bills a locked part)
    # ------------------------------------------------------------

    @api.model
    def _get_price_locks(self, requests):
        """The lock that applies to each ``(partner, product, date, company)`` of ``requests``.

        A lock applies when its contract is active, belongs to ``company``, its customer is
        the commercial partner of ``partner`` and ``date`` lies in its validity. All requests
        are answered with ONE search, so a caller billing many lines calls this once for the
        whole batch, never per line. When locks of several active contracts of the customer
        apply, the lowest price (compared in the company's currency at ``date``) wins.

        :param requests: iterable of ``(res.partner, product.product, date, res.company)``;
            ``date`` is a ``date`` or an ISO string.
        :return: ``{request: lock}`` for every request, the lock being an empty recordset when
            none applies. Locks are returned in sudo mode (whoever bills need not have Device
            Service rights): read them, do not write through them.
        """
        requests = set(requests)
        # sudo: a read-only lookup of the price ceiling, filtered on the billing company below.
        Lock = self.sudo()
        result = dict.fromkeys(requests, Lock.browse())
        requests = {
            request: fields.Date.to_date(request[2])
            for request in requests
            if request[0] and request[1] and request[2] and request[3]
        }
        if not requests:
            return result
        partners = self.env["res.partner"].browse({request[0].id for request in requests})
        locks = Lock.search(
            [
                ("contract_id.state", "=", "active"),
                ("company_id", "in", list({request[3].id for request in requests})),
                ("partner_id", "in", partners.commercial_partner_id.ids),
                ("product_id", "in", list({request[1].id for request in requests})),
                ("date_from", "<=", max(requests.values())),
                ("date_to", ">=", min(requests.values())),
            ]
        )
        candidates = defaultdict(list)
        for lock in locks:
            candidates[lock.company_id.id, lock.partner_id.id, lock.product_id.id].append(lock)
        for request, date in requests.items():
            partner, product, __, company = request
            found = [
                lock
                for lock in candidates[company.id, partner.commercial_partner_id.id, product.id]
                if lock.date_from <= date <= lock.date_to
            ]
            if len(found) > 1:
                found.sort(key=lambda lock: lock._locked_price_in(company.currency_id, date))
            if found:
                result[request] = found[0]
        return result

    @api.model
    def _find_locks(self, partner, products, date, company):
        """The locks that apply when ``company`` bills ``products`` to ``partner`` on ``date``.

        The entry point for one invoice (work-order invoicing calls it once per invoice with
        all its parts): ``{product: lock}`` for the locked products only, one search in all.
        See :meth:`_get_price_locks` for the rules and :meth:`_locked_price_in` for the price.
        """
        found = self._get_price_locks((partner, product, date, company) for product in products)
        return {request[1]: lock for request, lock in found.items() if lock}

    def _locked_price_in(self, currency, date, company=None):
        """This lock's unit price in ``currency``, converted at the rate of ``date``.

        The rate is ``company``'s (the billing company; the lock's company by default), as
        Accounting converts the invoice at its date. Not rounded: the caller rounds it as the
        price it fills. Per unit of measure of the product, taxes as on the product's price.
        """
        self.ensure_one()
        return self.currency_id._convert(
            self.price_unit, currency, company or self.company_id, date, round=False
        )
