import uuid
from collections import defaultdict

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare, format_date, formatLang

from ..tools.groups import MANAGER
from .service_contract_price_lock import LOCK_BILLING_MOVE_TYPES


class AccountMove(models.Model):
    _inherit = "account.move"

    service_request_id = fields.Many2one(
        "maintenance.request",
        string="Work Order",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The work order whose parts, labour and travel this invoice bills.",
    )
    # A contract's monthly fee invoice: the contract and the month (YYYY-MM) it bills,
    # unique together so that no month is billed twice, whoever or whatever creates it.
    service_contract_id = fields.Many2one(
        "service.contract",
        string="Service Contract",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The service contract whose monthly fee this invoice bills.",
    )
    service_fee_period = fields.Char(string="Fee Month", readonly=True, copy=False)

    _sql_constraints = [
        (
            "service_fee_period_uniq",
            "unique(service_contract_id, service_fee_period)",
            "This month's fee of the contract is already invoiced.",
        ),
    ]

    def _post(self, soft=True):
        """Refuse to post customer invoices that break a contract's price lock, or ledger
        documents that would credit or charge other than their entries (see
        ``_check_ledger_documents``), before anything is posted. Once posted, a
        penalty/rebate settlement settles its ledger entries, and a posted reversal of one
        opens its entries again."""
        self._check_price_locks()
        self._check_ledger_documents()
        posted = super()._post(soft=soft)
        Entry = self.env["service.ledger.entry"].sudo()
        settled = Entry._settle_moves(posted)
        # The customer's contract page links each settled entry to its document.
        settled.settlement_move_id._ensure_portal_tokens()
        # Entries are settled only by a move that is not reversed: a reversal is final when
        # it is posted (at once when it cancels the move, later for a draft credit note).
        reversed_moves = posted.reversed_entry_id
        if reversed_moves:
            Entry._unsettle_moves(reversed_moves, release=True)
        return posted

    def button_draft(self):
        """A settlement back to draft settles nothing until it is posted again; it still
        holds its entries (no other settlement takes them). A posted settlement and its
        posted reversal stay posted: the entries they undo are open again (or settled
        anew), and either of them back to draft would leave the other counting."""
        for move in self.filtered(lambda m: m.state == "posted"):
            pair = move._ledger_reversal_pair()
            if pair:
                raise UserError(
                    _(
                        "%(move)s and %(other)s reverse each other in the penalty and rebate "
                        "ledger: its entries are open again, so neither goes back to draft. "
                        "Settle the entries again if they are still owed.",
                        move=move.display_name,
                        other=pair[0].display_name,
                    )
                )
        result = super().button_draft()
        self.env["service.ledger.entry"].sudo()._unsettle_moves(self, release=False)
        return result

    def button_cancel(self):
        """A cancelled settlement lets its entries go: the next settlement offers them."""
        result = super().button_cancel()
        self.env["service.ledger.entry"].sudo()._unsettle_moves(self, release=True)
        return result

    # ------------------------------------------------------------------ ledger documents
    def _ledger_amounts(self):
        """``{kind: amount}`` of this move's product lines, kind False for lines that are
        not the ledger's; positive when credited to the customer, in the move's currency
        (as the entries' net)."""
        self.ensure_one()
        amounts = defaultdict(float)
        for line in self.line_ids.filtered(lambda line: line.display_type == "product"):
            amounts[line.service_ledger_kind or False] += line.amount_currency
        return amounts

    def _is_ledger_document(self):
        """Whether these moves are settlements of the ledger (or their reversals): their
        lines net kinds of entries, also once reversed, when they no longer hold any."""
        return any(self.line_ids.mapped("service_ledger_kind"))

    def _ledger_reversal_pair(self):
        """The posted moves this posted ledger document reverses or is reversed by."""
        self.ensure_one()
        if self.reversed_entry_id._is_ledger_document():
            return self.reversed_entry_id.filtered(lambda m: m.state == "posted")
        if self._is_ledger_document():
            return self.reversal_move_ids.filtered(lambda m: m.state == "posted")
        return self.browse()

    def _check_ledger_documents(self):
        """Per contract and period, the posted settlements net of their reversals equal the
        settled entries, never more. So, before these moves are posted: a settlement
        credits or charges exactly what the entries it holds net, kind by kind; a reversal
        of a settlement reverses all of it, once, while it is posted (entries are not
        split: a partial credit goes through the ledger, as an adjustment); nothing else
        carries ledger lines (a reversal of a reversal, a copy)."""
        Entry = self.env["service.ledger.entry"].sudo()
        held = defaultdict(lambda: defaultdict(float))
        for move, kind, total in Entry._read_group(
            [("settlement_move_id", "in", self.ids)],
            ["settlement_move_id", "kind"],
            ["signed_amount:sum"],
        ):
            held[move][kind] += total
        originals = self.reversed_entry_id.filtered(lambda m: m._is_ledger_document())
        reversals = defaultdict(lambda: self.browse())
        if originals:
            for move in self.search(
                [("reversed_entry_id", "in", originals.ids), ("state", "=", "posted")]
            ) | self.filtered(lambda m: m.reversed_entry_id in originals):
                reversals[move.reversed_entry_id] |= move
        for move in self:
            original = move.reversed_entry_id
            if move in held:
                if not move._ledger_amounts_match(held[move]):
                    raise UserError(
                        _(
                            "%(move)s must credit or charge exactly the penalty and rebate "
                            "entries it settles, kind by kind. Put its lines back, or cancel "
                            "it and settle the entries again.",
                            move=move.display_name,
                        )
                    )
            elif original in originals:
                if original.reversed_entry_id._is_ledger_document():
                    raise UserError(
                        _(
                            "%(move)s reverses %(original)s, itself the reversal of a "
                            "settlement: settle the entries again instead.",
                            move=move.display_name,
                            original=original.display_name,
                        )
                    )
                if original.state != "posted":
                    raise UserError(
                        _(
                            "%(move)s reverses the settlement %(original)s, which is not "
                            "posted: cancel %(move)s.",
                            move=move.display_name,
                            original=original.display_name,
                        )
                    )
                if len(reversals[original]) > 1:
                    raise UserError(
                        _(
                            "The settlement %(original)s is already reversed: %(move)s would "
                            "credit or charge its entries a second time.",
                            move=move.display_name,
                            original=original.display_name,
                        )
                    )
                opposite = {k: -v for k, v in original._ledger_amounts().items()}
                if not move._ledger_amounts_match(opposite):
                    raise UserError(
                        _(
                            "%(move)s reverses the settlement %(original)s: a settlement is "
                            "reversed in full, its entries opened again. For a partial "
                            "credit, book an adjustment in the ledger and settle it.",
                            move=move.display_name,
                            original=original.display_name,
                        )
                    )
            elif move._is_ledger_document():
                raise UserError(
                    _(
                        "%(move)s has penalty and rebate lines but settles no ledger entry: "
                        "cancel it and settle the entries with the settlement.",
                        move=move.display_name,
                    )
                )

    def _ledger_amounts_match(self, expected):
        """Whether this move's lines net ``expected`` (``{kind: amount}``), kind by kind,
        with nothing else on it."""
        self.ensure_one()
        amounts = self._ledger_amounts()
        return all(
            self.currency_id.compare_amounts(amounts.get(kind, 0.0), expected.get(kind, 0.0)) == 0
            for kind in set(amounts) | set(expected)
        )

    def _ensure_portal_tokens(self):
        """Give these moves their portal access token (what ``_portal_ensure_token`` writes
        on first view) in one statement: the portal pages that link them are read-only."""
        self.flush_recordset(["access_token"])
        missing = self.filtered(lambda move: not move.access_token)
        if not missing:
            return
        self.env.execute_query(
            SQL(
                """
                UPDATE account_move move
                   SET access_token = token.value
                  FROM unnest(%(ids)s::int[], %(tokens)s::varchar[]) AS token(id, value)
                 WHERE move.id = token.id AND move.access_token IS NULL
                """,
                ids=missing.ids,
                tokens=[str(uuid.uuid4()) for _move in missing],
            )
        )
        missing.invalidate_recordset(["access_token"])

    def _check_price_locks(self):
        """Every product line of a customer invoice (or receipt) of these moves whose part is
        under a price lock of the customer's active contract, in the invoice's company and on
        the invoice date, must bill the locked price: above it is always refused; below it
        only a Device Service manager may post. Credit notes are not checked: crediting more
        than the locked price gives money back, and crediting less is a partial credit.

        The locks of all the lines of all the moves are read with one search, and the prices
        compared in the invoice's currency (converted at the invoice date), unit of measure
        and discount of each line.
        """
        lines = self.filtered(lambda move: move.move_type in LOCK_BILLING_MOVE_TYPES).line_ids
        lines = lines.filtered(
            lambda line: line.display_type == "product"
            and line.product_id
            and line.quantity
            and not line._is_covered_service_part()
        )
        if not lines:
            return
        may_post_below = self.env.user.has_group(MANAGER)
        errors = []
        for line, (lock, allowed) in lines._price_lock_allowed_prices().items():
            currency = line.move_id.currency_id
            billed = line.price_unit * (1.0 - (line.discount or 0.0) / 100.0)
            comparison = float_compare(billed, allowed, precision_rounding=currency.rounding)
            if comparison == 0 or (comparison < 0 and may_post_below):
                continue
            values = {
                "invoice": line.move_id.display_name,
                "contract": lock.contract_id.name,
                "product": line.product_id.display_name,
                "price": formatLang(self.env, lock.price_unit, currency_obj=lock.currency_id),
                "date_from": format_date(self.env, lock.date_from),
                "date_to": format_date(self.env, lock.date_to),
                "allowed": formatLang(self.env, allowed, currency_obj=currency),
                "billed": formatLang(self.env, billed, currency_obj=currency),
            }
            if comparison > 0:
                errors.append(
                    _(
                        "%(invoice)s: contract %(contract)s locks the price of %(product)s at "
                        "%(price)s from %(date_from)s to %(date_to)s (%(allowed)s on this "
                        "line), but the line bills it at %(billed)s.",
                        **values,
                    )
                )
            else:
                errors.append(
                    _(
                        "%(invoice)s: the line bills %(product)s at %(billed)s, below the "
                        "price locked by contract %(contract)s (%(price)s from %(date_from)s to "
                        "%(date_to)s, %(allowed)s on this line). Only a Device Service manager "
                        "may bill a locked part below its locked price.",
                        **values,
                    )
                )
        if errors:
            raise UserError("\n".join(errors))

    def action_view_work_order(self):
        self.ensure_one()
        return self.service_request_id._get_records_action(name=_("Work Order"))
