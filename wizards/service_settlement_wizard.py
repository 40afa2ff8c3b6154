"""Accounting's settlement of the penalty ledger: confirmed entries of a month into credit
notes and invoices, one per contract and direction, never twice. About 650 lines, one
wizard's flow (choose, check, lock, draft, link, post) that reads as one story; the
entries' side of the links is in models/service_ledger_entry_booking.py."""

import re
from collections import defaultdict

from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import Command, _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date, split_every

from ..models.service_ledger_entry import ENTRY_KINDS
from ..tools import penalty
from ..tools.groups import ACCOUNTANT

KINDS = [kind for kind, _label in ENTRY_KINDS]
# Moves created per ORM call: big enough to batch the computes, small enough for memory.
MOVE_BATCH_SIZE = 100
# Groups the preview lists one by one (the totals always cover them all).
PREVIEW_ROWS = 50
PERIOD_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class ServiceSettlementWizard(models.TransientModel):
    _name = "service.settlement.wizard"
    _description = "Settle Penalties and Rebates"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    period_from = fields.Char(
        string="From Period",
        required=True,
        default=lambda self: self._default_period(),
        help="First month settled, written YYYY-MM.",
    )
    period_to = fields.Char(
        string="To Period",
        required=True,
        default=lambda self: self._default_period(),
        help="Last month settled, written YYYY-MM: a month that is over and that the period "
        "job has closed (caps and rebates evaluated). The documents are dated its last day.",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        "service_settlement_wizard_partner_rel",
        string="Customers",
        help="Leave empty to settle every customer.",
    )
    contract_ids = fields.Many2many(
        "service.contract",
        "service_settlement_wizard_contract_rel",
        string="Contracts",
        domain="[('company_id', '=', company_id)]",
        help="Leave empty to settle every contract.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        compute="_compute_journal_id",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        domain="[('type', '=', 'sale'), ('company_id', '=', company_id)]",
    )
    penalty_product_id = fields.Many2one(
        "product.product",
        string="Penalties",
        required=True,
        default=lambda self: self._default_product("penalty"),
    )
    rebate_product_id = fields.Many2one(
        "product.product",
        string="Rebates",
        required=True,
        default=lambda self: self._default_product("rebate"),
    )
    cap_product_id = fields.Many2one(
        "product.product",
        string="Caps",
        required=True,
        default=lambda self: self._default_product("cap"),
    )
    adjustment_product_id = fields.Many2one(
        "product.product",
        string="Adjustments",
        required=True,
        default=lambda self: self._default_product("adjustment"),
    )
    grouping = fields.Selection(
        [("contract", "One Document per Contract"), ("customer", "One Document per Customer")],
        required=True,
        default="contract",
    )
    move_state = fields.Selection(
        [("draft", "Draft"), ("posted", "Posted")],
        string="Create As",
        required=True,
        default="posted",
        help="Entries are settled when their document is posted: a draft holds them until it "
        "is posted, cancelled or deleted.",
    )
    # The documents' date: today by default, because the settled month may already be
    # declared for VAT; the month's end or a date of the accountant's own as options.
    date_mode = fields.Selection(
        [
            ("today", "Today"),
            ("period_end", "Last Day of the Settled Month"),
            ("custom", "Another Date"),
        ],
        string="Date the Documents",
        required=True,
        default="today",
    )
    document_date = fields.Date(
        compute="_compute_document_date",
        store=True,
        readonly=False,
        help="Invoice and accounting date of the credit notes and invoices. Lock dates apply.",
    )
    preview_html = fields.Html(string="Preview", compute="_compute_preview", sanitize=False)

    @api.model
    def _default_period(self):
        return penalty.previous_period(penalty.period_of_date(fields.Date.context_today(self)))

    @api.model
    def _default_product(self, kind):
        return self.env.ref(f"barcode_device_service.product_settlement_{kind}", False)

    @api.depends("company_id")
    def _compute_journal_id(self):
        for wizard in self:
            if wizard.journal_id.company_id == wizard.company_id:
                continue
            wizard.journal_id = self.env["account.journal"].search(
                [("type", "=", "sale"), ("company_id", "=", wizard.company_id.id)], limit=1
            )

    @api.depends("date_mode", "period_to")
    def _compute_document_date(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            if wizard.date_mode == "period_end" and PERIOD_RE.match(wizard.period_to or ""):
                wizard.document_date = penalty.last_day(wizard.period_to)
            elif wizard.date_mode == "today" or not wizard.document_date:
                wizard.document_date = today

    @api.depends(
        "company_id",
        "period_from",
        "period_to",
        "partner_ids",
        "contract_ids",
        "journal_id",
        "grouping",
        "document_date",
    )
    def _compute_preview(self):
        for wizard in self:
            try:
                wizard._check_input()
                plan = wizard._plan(wizard._entry_domain())
            except (UserError, AccessError) as error:
                wizard.preview_html = Markup(
                    '<div class="alert alert-warning" role="alert">%s</div>'
                ) % (error.args[0],)
                continue
            wizard.preview_html = wizard._preview_table(plan)

    # ------------------------------------------------------------------ actions
    def action_settle(self):
        """Create the credit notes and invoices; tell what was created and what was not."""
        self.ensure_one()
        moves, zero_groups = self._settle()
        action = {
            "type": "ir.actions.act_window",
            "name": _("Settlement"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", moves.ids)],
        }
        message = _(
            "%(count)s documents created (%(state)s).",
            count=len(moves),
            state=dict(self._fields["move_state"]._description_selection(self.env))[
                self.move_state
            ],
        )
        if zero_groups:
            message += " " + _(
                "Nothing created for %(names)s: their entries net to zero and stay to settle.",
                names=", ".join(zero_groups),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Penalties and rebates settled"),
                "message": message,
                "type": "success",
                "sticky": bool(zero_groups),
                "next": action,
            },
        }

    # ------------------------------------------------------------------ settlement
    def _settle(self):
        """Settle the selected confirmed entries: returns the moves created and the names of
        the groups that net to zero (nothing created for them).

        The entries are locked first (a settlement running at the same time on some of them
        makes this one stop with a clear message); they are read grouped, and the moves are
        created, linked to their entries (one statement) and posted a batch at a time.
        """
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group(ACCOUNTANT):
            raise AccessError(_("Only Device Service accountants settle the ledger."))
        self._check_input()
        domain = self._entry_domain()
        Entry = self.env["service.ledger.entry"]
        entry_ids = Entry._search(domain).get_result_ids()
        if not entry_ids:
            raise UserError(self._nothing_to_settle_message())
        self._lock_entries(entry_ids)
        plan = self._plan(domain)
        self._check_closed(plan)
        self._check_lock_date()
        vals_list, entry_ids_per_move, zero_groups = [], [], []
        for group in plan:
            if group["currency"].is_zero(group["net"]):
                zero_groups.append(group["name"])
                continue
            vals_list.append(self._move_values(group))
            entry_ids_per_move.append(group["entry_ids"])
        if not vals_list:
            raise UserError(
                _(
                    "The selected entries net to zero for %(names)s: there is nothing to "
                    "invoice or credit. Nothing was created.",
                    names=", ".join(zero_groups),
                )
            )
        Move = self.env["account.move"].with_company(self.company_id)
        move_ids = []
        # Created, linked and posted a batch at a time: each batch is its own recordset,
        # so what the ORM prefetches per field stays the batch's size (one recordset of
        # all the moves would make every field access walk all of them).
        for batch in split_every(MOVE_BATCH_SIZE, zip(vals_list, entry_ids_per_move, strict=True)):
            batch_vals, batch_entry_ids = zip(*batch, strict=True)
            moves = Move.create(list(batch_vals))
            Entry._reserve_for_moves(
                {move.id: ids for move, ids in zip(moves, batch_entry_ids, strict=True)}
            )
            if self.move_state == "posted":
                moves.action_post()
            move_ids += moves.ids
        return Move.browse(move_ids), zero_groups

    def _entry_domain(self):
        domain = [
            ("company_id", "=", self.company_id.id),
            ("state", "=", "confirmed"),
            ("settlement_move_id", "=", False),
            ("period", ">=", self.period_from),
            ("period", "<=", self.period_to),
        ]
        if self.contract_ids:
            domain.append(("contract_id", "in", self.contract_ids.ids))
        if self.partner_ids:
            domain.append(("partner_id", "child_of", self.partner_ids.ids))
        return domain

    def _nothing_to_settle_message(self):
        return _(
            "Nothing to settle: no confirmed entry of %(company)s from %(start)s to %(end)s is "
            "waiting for settlement in this selection. Nothing was created.",
            company=self.company_id.name,
            start=self.period_from,
            end=self.period_to,
        )

    def _lock_entries(self, entry_ids):
        """Row locks on the entries for the rest of the transaction; entries another
        settlement holds stop this one at once instead of settling them twice."""
        try:
            # Refused locks are expected here: not logged by this statement alone, instead of
            # muting the shared odoo.sql_db logger (global state, not thread-safe).
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM service_ledger_entry WHERE id = ANY(%s) FOR UPDATE NOWAIT",
                        list(entry_ids),
                    ),
                    log_exceptions=False,
                )
        except pg_errors.LockNotAvailable:
            raise UserError(
                _(
                    "Another settlement is working on some of these entries right now. Try "
                    "again in a moment: what it settles will not be offered again."
                )
            ) from None

    def _plan(self, domain):
        """The documents to create: per contract (or customer) and currency, the net of the
        selected entries per kind, their ids and the work orders behind them. Read grouped,
        whatever the number of entries."""
        group_field = "contract_id" if self.grouping == "contract" else "partner_id"
        rows = self.env["service.ledger.entry"]._read_group(
            domain,
            [group_field, "currency_id", "kind"],
            ["signed_amount:sum", "id:array_agg", "request_id:array_agg", "contract_id:array_agg"],
            order=f"{group_field}, currency_id",
        )
        request_ids = sorted({rid for row in rows for rid in row[5] if rid})
        # sudo: the work orders' references and subjects only, which the accountant may not
        # read otherwise. Listed by reference: several work orders share a subject.
        references = {
            request.id: f"{request.reference or f'#{request.id}'} {request.name}"
            for request in self.env["maintenance.request"].sudo().browse(request_ids)
        }
        groups = {}
        for record, currency, kind, total, ids, requests, contract_ids in rows:
            key = (record, currency)
            if key not in groups:
                groups[key] = {
                    "record": record,
                    "currency": currency,
                    "name": record.display_name,
                    "kinds": {},
                    "net": 0.0,
                    "entry_ids": [],
                    "contract_ids": set(),
                }
            group = groups[key]
            group["kinds"][kind] = {
                "amount": currency.round(total),
                "references": sorted({references[rid] for rid in requests if rid}),
            }
            group["net"] = currency.round(group["net"] + total)
            group["entry_ids"] += ids
            group["contract_ids"].update(contract_ids)
        for group in groups.values():
            group["contracts"] = self.env["service.contract"].browse(sorted(group["contract_ids"]))
            group["partner"] = (
                group["record"] if self.grouping == "customer" else group["record"].partner_id
            )
        return list(groups.values())

    def _move_values(self, group):
        """A credit note when the net is owed to the customer, an invoice otherwise; one
        line per kind, priced so that the document's total is the net."""
        credit = group["net"] > 0
        sign = 1 if credit else -1
        products = {
            "penalty": self.penalty_product_id,
            "rebate": self.rebate_product_id,
            "cap": self.cap_product_id,
            "adjustment": self.adjustment_product_id,
        }
        kinds = dict(
            self.env["service.ledger.entry"]._fields["kind"]._description_selection(self.env)
        )
        periods = self._periods_label()
        lines = []
        for kind in KINDS:
            if kind not in group["kinds"]:
                continue
            values = group["kinds"][kind]
            name = _("%(kind)s %(periods)s", kind=kinds[kind], periods=periods)
            if values["references"]:
                name += "\n" + _(
                    "Work orders: %(references)s", references=", ".join(values["references"])
                )
            lines.append(
                Command.create(
                    {
                        "product_id": products[kind].id,
                        "name": name,
                        "quantity": 1,
                        "price_unit": sign * values["amount"],
                        "service_ledger_kind": kind,
                    }
                )
            )
        day = self.document_date
        contracts = ", ".join(group["contracts"].mapped("name"))
        return {
            "move_type": "out_refund" if credit else "out_invoice",
            "company_id": self.company_id.id,
            "journal_id": self.journal_id.id,
            "partner_id": group["partner"].id,
            "currency_id": group["currency"].id,
            "invoice_date": day,
            "date": day,
            "invoice_origin": contracts,
            "ref": _(
                "Service credits and charges %(periods)s (%(contracts)s)",
                periods=periods,
                contracts=contracts,
            ),
            "invoice_line_ids": lines,
        }

    def _periods_label(self):
        if self.period_from == self.period_to:
            return self.period_to
        return f"{self.period_from} – {self.period_to}"

    # ------------------------------------------------------------------ checks
    def _check_input(self):
        """What the accountant chose makes sense: clear messages, before anything is read
        or created."""
        for period in (self.period_from, self.period_to):
            if not PERIOD_RE.match(period or ""):
                raise UserError(
                    _("Write periods as YYYY-MM (e.g. 2026-05), not %(period)s.", period=period)
                )
        if self.period_from > self.period_to:
            raise UserError(
                _(
                    "The first period (%(start)s) comes after the last one (%(end)s).",
                    start=self.period_from,
                    end=self.period_to,
                )
            )
        today = fields.Date.context_today(self)
        if self.period_to >= penalty.period_of_date(today):
            raise UserError(
                _(
                    "Period %(period)s is not closed yet: settle months that are over (its "
                    "caps and rebates are evaluated after its end).",
                    period=self.period_to,
                )
            )
        month_end = penalty.last_day(self.period_to)
        if not self.document_date or self.document_date < month_end:
            raise UserError(
                _(
                    "The documents cannot be dated before the end of the month they settle "
                    "(%(day)s): choose today, the month's end or a later date.",
                    day=format_date(self.env, month_end),
                )
            )
        journal = self.journal_id
        if not journal:
            raise UserError(_("Choose the sales journal of the credit notes and invoices."))
        if journal.company_id != self.company_id:
            raise UserError(
                _(
                    "Journal %(journal)s belongs to %(journal_company)s: choose a sales journal "
                    "of %(company)s.",
                    journal=journal.display_name,
                    journal_company=journal.company_id.name,
                    company=self.company_id.name,
                )
            )
        if journal.type != "sale":
            raise UserError(
                _(
                    "Journal %(journal)s is not a sales journal: customer credit notes and "
                    "invoices go in a sales journal.",
                    journal=journal.display_name,
                )
            )
        for field in ("penalty", "rebate", "cap", "adjustment"):
            product = self[f"{field}_product_id"]
            if not product:
                raise UserError(
                    _(
                        "Choose the product of the %(field)s lines.",
                        field=self._fields[field + "_product_id"].string.lower(),
                    )
                )
            if product.company_id and product.company_id != self.company_id:
                raise UserError(
                    _(
                        "Product %(product)s belongs to %(product_company)s, not to %(company)s.",
                        product=product.display_name,
                        product_company=product.company_id.name,
                        company=self.company_id.name,
                    )
                )

    def _check_closed(self, plan):
        """Contracts with rules are settled only for periods the period job has closed (their
        caps and rebates evaluated); every document can be booked in the journal's
        currency."""
        journal_currency = self.journal_id.currency_id
        contracts = self.env["service.contract"].concat(*[group["contracts"] for group in plan])
        for contract in contracts.filtered("penalty_rule_ids"):
            end = contract.date_end and penalty.period_of_date(contract.date_end)
            due = min(self.period_to, end or self.period_to)
            if (contract.ledger_evaluated_period or "") < due:
                raise UserError(
                    _(
                        "Period %(period)s of contract %(contract)s is not closed yet: the period "
                        "job evaluates its caps and rebates after the month ends. Nothing was "
                        "created.",
                        period=due,
                        contract=contract.name,
                    )
                )
        for group in plan:
            if journal_currency and group["currency"] != journal_currency:
                raise UserError(
                    _(
                        "Journal %(journal)s books in %(journal_currency)s only, but %(name)s is "
                        "in %(currency)s: choose a journal without a fixed currency or in "
                        "%(currency)s. Nothing was created.",
                        journal=self.journal_id.display_name,
                        journal_currency=journal_currency.name,
                        name=group["name"],
                        currency=group["currency"].name,
                    )
                )

    def _check_lock_date(self):
        """Refused clearly when the company has locked the documents' date, rather than
        moved to another date behind the accountant's back."""
        day = self.document_date
        products = (
            self.penalty_product_id
            | self.rebate_product_id
            | self.cap_product_id
            | self.adjustment_product_id
        )
        has_tax = bool(products.taxes_id.filtered(lambda t: t.company_id == self.company_id))
        violated = self.company_id._get_violated_lock_dates(day, has_tax, self.journal_id)
        if violated:
            raise UserError(
                _(
                    "%(company)s has locked its accounting up to %(lock)s: period %(period)s "
                    "cannot be settled with documents dated %(day)s; choose a later date. "
                    "Nothing was created.",
                    company=self.company_id.name,
                    lock=format_date(self.env, violated[-1][0]),
                    period=self.period_to,
                    day=format_date(self.env, day),
                )
            )

    # ------------------------------------------------------------------ preview
    def _preview_table(self, plan):
        if not plan:
            return Markup('<div class="alert alert-info" role="alert">%s</div>') % (
                self._nothing_to_settle_message(),
            )
        kinds = dict(
            self.env["service.ledger.entry"]._fields["kind"]._description_selection(self.env)
        )
        header = Markup("").join(
            Markup('<th class="text-end">%s</th>') % (kinds[kind],) for kind in KINDS
        )
        rows = []
        totals = defaultdict(float)
        for group in plan:
            currency = group["currency"]
            totals[currency] += group["net"]
            if len(rows) >= PREVIEW_ROWS:
                continue
            if currency.is_zero(group["net"]):
                document = _("Nothing: nets to zero")
            elif group["net"] > 0:
                document = _("Credit note")
            else:
                document = _("Invoice")
            cells = Markup("").join(
                Markup('<td class="text-end">%s</td>')
                % (
                    format_amount(self.env, group["kinds"][kind]["amount"], currency)
                    if kind in group["kinds"]
                    else "",
                )
                for kind in KINDS
            )
            rows.append(
                Markup('<tr><td>%s</td>%s<td class="text-end fw-bold">%s</td><td>%s</td></tr>')
                % (
                    group["name"],
                    cells,
                    format_amount(self.env, group["net"], currency),
                    document,
                )
            )
        more = ""
        if len(plan) > PREVIEW_ROWS:
            more = Markup('<p class="text-muted">%s</p>') % (
                _("… and %(count)s more.", count=len(plan) - PREVIEW_ROWS),
            )
        summary = Markup("<p>%s</p>") % (
            _(
                "%(count)s documents at most; net to customers: %(totals)s (positive: credited "
                "to the customer, negative: charged).",
                count=len(plan),
                totals=", ".join(
                    format_amount(self.env, total, currency) for currency, total in totals.items()
                ),
            ),
        )
        table = Markup(
            '<table class="table table-sm o_settlement_preview"><thead><tr><th>%s</th>%s'
            '<th class="text-end">%s</th><th>%s</th></tr></thead><tbody>%s</tbody></table>'
        ) % (
            _("Contract") if self.grouping == "contract" else _("Customer"),
            header,
            _("Net to Customer"),
            _("Document"),
            Markup("").join(rows),
        )
        return summary + table + more

    # ------------------------------------------------------------------ demo
    @api.model
    def _settle_demo(self, contract_ids):
        """The demo's settled month: the latest period of these contracts whose confirmed
        entries are owed to the customer, settled into a posted credit note. A demo company
        without accounting gets core's generic chart of accounts first (as the Invoicing
        settings would), so that it has a sales journal."""
        contracts = self.env["service.contract"].browse(contract_ids)
        rows = self.env["service.ledger.entry"]._read_group(
            [("contract_id", "in", contracts.ids), ("state", "=", "confirmed")],
            ["period"],
            ["signed_amount:sum"],
            order="period desc",
        )
        credited = [period for period, total in rows if total > 0]
        if not credited:
            return False
        company = contracts.company_id[:1]
        has_journal = self.env["account.journal"].search_count(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        if not has_journal:
            self.env["account.chart.template"].try_loading(
                "generic_coa", company, install_demo=False
            )
        wizard = self.with_company(company).create(
            {
                "company_id": company.id,
                "period_from": credited[0],
                "period_to": credited[0],
                "contract_ids": [Command.set(contracts.ids)],
            }
        )
        return wizard._settle()[0]
