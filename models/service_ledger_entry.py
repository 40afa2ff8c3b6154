"""The penalty and rebate ledger entry: the record, its computes and checks, its state
machine and actions, and the corrections (reversals). Its bulk paths, the accruals' INSERT
and the settlement's links to moves, are in service_ledger_entry_booking.py (same model);
pricing is the rules' (service_penalty_rule.py), the nightly period close the contract's
(service_contract_ledger.py)."""

import uuid

from odoo import Command, _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError

from ..tools import penalty
from ..tools.groups import ACCOUNTANT, MANAGER
from .service_penalty_rule import DIRECTIONS
from .service_sla_document_mixin import open_document_action

ENTRY_KINDS = [
    ("penalty", "Penalty"),
    ("rebate", "Rebate"),
    ("cap", "Cap"),
    ("adjustment", "Adjustment"),
]
ENTRY_STATES = [
    ("draft", "Draft"),
    ("confirmed", "Confirmed"),
    ("disputed", "Disputed"),
    ("settled", "Settled"),
    ("cancelled", "Cancelled"),
]
# The only ways an entry's state moves, and the group whose members may move it (code running
# as superuser, the jobs, passes the group check but not the transition check).
TRANSITIONS = {
    ("draft", "confirmed"): MANAGER,
    ("draft", "cancelled"): MANAGER,
    ("confirmed", "disputed"): MANAGER,
    ("disputed", "confirmed"): MANAGER,
    ("confirmed", "settled"): ACCOUNTANT,
    ("settled", "confirmed"): ACCOUNTANT,
}
# What an entry says: written while it is a draft, never after (corrections are reversals).
LOCKED_FIELDS = {
    "name",
    "contract_id",
    "partner_id",
    "company_id",
    "currency_id",
    "date",
    "period",
    "kind",
    "direction",
    "amount",
    "signed_amount",
    "source_key",
    "rule_id",
    "sla_line_id",
    "shortfall_id",
    "billed_days",
    "sla_deadline",
    "res_model",
    "res_id",
    "request_id",
    "billed_hours",
    "description",
    "reversed_entry_id",
}
# Written by the state changes they belong to (a reason, a dispute note, the settlement).
TRANSITION_FIELDS = {"cancel_reason", "dispute_note", "move_line_ids"}
# Written by the code that owns them (the settlement, the reversals, the accruals), never by a
# user's create or write: a typed cause would block the real penalty, a typed link settle
# without a document.
SYSTEM_FIELDS = {"settlement_move_id", "move_line_ids", "reversed_entry_id", "source_key"}
# What a month's penalty total (the base of its cap) is made of.
TOTAL_FIELDS = {"contract_id", "kind", "direction", "amount", "date", "period"}
# Contracts the period job takes per transaction.


# The stored computed values below are derived once, here, for the computes and for the
# accruals' INSERT (service_ledger_entry_booking.py), which writes them without the ORM.
def signed(amount, direction):
    """An entry's amount in the customer's favour: positive credited, negative charged."""
    return amount if direction == "credit" else -amount


def request_of(res_model, res_id):
    """The work order an entry is about, when its document is one."""
    return res_id if res_model == "maintenance.request" else False


class ServiceLedgerEntry(models.Model):
    _name = "service.ledger.entry"
    _description = "Penalty and Rebate Ledger Entry"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference",
        copy=False,
        readonly=True,
        index="trigram",
        help="Given when the entry is confirmed.",
    )
    contract_id = fields.Many2one(
        "service.contract", required=True, index=True, check_company=True, ondelete="restrict"
    )
    # Customer, company and currency are the contract's at the time of the accrual: they
    # follow the contract field only, so that history is not rewritten.
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_from_contract",
        store=True,
        precompute=True,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_from_contract",
        store=True,
        precompute=True,
        required=True,
        index=True,
    )
    currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_from_contract",
        store=True,
        precompute=True,
        required=True,
    )
    date = fields.Date(required=True, index=True, default=fields.Date.context_today)
    period = fields.Char(
        compute="_compute_period",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        index=True,
        help="The month (YYYY-MM) the entry belongs to, in the time zone of the contract's "
        "service hours: the month of the breach, of the lateness charged, or the month a "
        "cap or rebate evaluates. A reversal keeps the period of the entry it reverses.",
    )
    kind = fields.Selection(ENTRY_KINDS, required=True, default="adjustment", index=True)
    direction = fields.Selection(DIRECTIONS, required=True, default="credit")
    amount = fields.Monetary(currency_field="currency_id", required=True, tracking=True)
    signed_amount = fields.Monetary(
        string="Net to Customer",
        currency_field="currency_id",
        compute="_compute_signed_amount",
        store=True,
        precompute=True,
        aggregator="sum",
        help="Positive when credited to the customer, negative when charged to the customer.",
    )
    state = fields.Selection(
        ENTRY_STATES, default="draft", required=True, index=True, tracking=True, copy=False
    )
    source_key = fields.Char(
        required=True,
        readonly=True,
        copy=False,
        # An entry entered by hand is its own cause.
        default=lambda self: f"manual:{uuid.uuid4().hex}",
        help="What caused the entry (SLA line, rule, period, revision): one entry per cause.",
    )
    # Stored in English and in the customer's language (see _describe): the statement and
    # the portal show it in the customer's, the backend in the user's when it is one of them.
    description = fields.Char(translate=True)
    rule_id = fields.Many2one(
        "service.penalty.rule", index="btree_not_null", ondelete="restrict", readonly=True
    )
    sla_line_id = fields.Many2one(
        "service.sla.line",
        string="SLA Milestone",
        index="btree_not_null",
        ondelete="restrict",
        readonly=True,
    )
    shortfall_id = fields.Many2one(
        "service.stock.shortfall",
        string="Stock Shortfall",
        index="btree_not_null",
        ondelete="restrict",
        readonly=True,
    )
    billed_days = fields.Integer(string="Days Charged", readonly=True)
    sla_deadline = fields.Datetime(
        string="Deadline", readonly=True, help="The milestone's deadline the penalty was priced on."
    )
    billed_hours = fields.Integer(string="Hours Charged", readonly=True)
    # The document whose clock caused the entry (a work order, or any other SLA document).
    res_model = fields.Char(string="Document Model", readonly=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", readonly=True, index="btree_not_null"
    )
    request_id = fields.Many2one(
        "maintenance.request",
        string="Work Order",
        compute="_compute_request_id",
        store=True,
        precompute=True,
        index="btree_not_null",
        ondelete="restrict",
    )
    reversed_entry_id = fields.Many2one(
        "service.ledger.entry",
        string="Reverses",
        index="btree_not_null",
        ondelete="restrict",
        readonly=True,
        copy=False,
    )
    reversal_entry_ids = fields.One2many(
        "service.ledger.entry", "reversed_entry_id", string="Reversed By", readonly=True
    )
    cancel_reason = fields.Text(readonly=True, copy=False, tracking=True)
    # Posted in the chatter by the dispute and its resolution, not tracked.
    dispute_note = fields.Text(readonly=True, copy=False)
    # Filled by the settlement: the journal items of the credit note or invoice that settles it.
    move_line_ids = fields.Many2many(
        "account.move.line",
        "service_ledger_entry_move_line_rel",
        "entry_id",
        "move_line_id",
        string="Journal Items",
        copy=False,
        readonly=True,
    )
    # The credit note or invoice that settles the entry: set when the settlement creates it
    # (a draft holds its entries), the entry is settled when it is posted, and the link is
    # dropped when it is cancelled, deleted or reversed. A stored link, not a search through
    # the journal items, so that the settlement never offers an entry twice.
    settlement_move_id = fields.Many2one(
        "account.move",
        string="Settlement",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
    )

    _sql_constraints = [
        (
            "source_key_uniq",
            "unique(source_key)",
            "This cause has already been accrued in the ledger.",
        ),
        ("amount_positive", "CHECK(amount >= 0)", "A ledger amount cannot be negative."),
        ("reversal_uniq", "unique(reversed_entry_id)", "An entry is reversed only once."),
        (
            "period_format",
            "CHECK(period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')",
            "A period is written YYYY-MM.",
        ),
    ]

    def init(self):
        """An entry is settled by one journal item at most, whatever two settlements do at
        the same time: a unique index on the settlement link itself."""
        result = super().init()
        tools.create_unique_index(
            self.env.cr,
            "service_ledger_entry_move_line_rel_entry_uniq",
            "service_ledger_entry_move_line_rel",
            ["entry_id"],
        )
        return result

    # ------------------------------------------------------------------ computes
    @api.depends("contract_id")
    def _compute_from_contract(self):
        for entry in self:
            contract = entry.contract_id
            entry.partner_id = contract.partner_id
            entry.company_id = contract.company_id or entry.company_id or self.env.company
            entry.currency_id = contract.currency_id or entry.company_id.currency_id

    @api.depends("date")
    def _compute_period(self):
        for entry in self:
            entry.period = penalty.period_of_date(entry.date or fields.Date.context_today(entry))

    @api.depends("amount", "direction")
    def _compute_signed_amount(self):
        for entry in self:
            entry.signed_amount = signed(entry.amount, entry.direction)

    @api.depends("res_model", "res_id")
    def _compute_request_id(self):
        for entry in self:
            entry.request_id = request_of(entry.res_model, entry.res_id)

    @api.depends("name", "kind", "period")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for entry in self:
            entry.display_name = _(
                "%(reference)s (%(kind)s %(period)s)",
                reference=entry.name or _("Draft"),
                kind=kinds.get(entry.kind, ""),
                period=entry.period or "",
            )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]
        for vals in vals_list:
            if self.env.su:
                continue
            if vals.get("state", "draft") != "draft":
                raise UserError(
                    _("Ledger entries are created as drafts and confirmed after review.")
                )
            self._check_user_vals({key: value for key, value in vals.items() if key != "state"})
        entries = super().create(vals_list)
        entries._mark_periods_dirty()
        return entries

    def write(self, vals):
        self._check_write(vals)
        # A change of a month's penalty total (caps sum drafts too) re-opens the month the
        # entries were in and the one they go to.
        touched = self.browse()
        if vals.get("state") == "cancelled":
            touched = self.filtered(lambda e: e.state != "cancelled")
        elif TOTAL_FIELDS.intersection(vals):
            touched = self
        before = touched._penalty_periods()
        result = super().write(vals)
        touched._mark_periods_dirty(before)
        return result

    def _check_user_vals(self, vals):
        """A user's create or write (what any RPC client can send) moves no state and
        writes no link or cause: the actions move the state, and they, the settlement,
        the reversals and the accruals write the rest as superuser."""
        if self.env.su:
            return
        if "state" in vals:
            raise UserError(
                _(
                    "The state of a ledger entry changes through its actions (confirm, "
                    "cancel, dispute, resolve, reverse) and the settlement, not by editing it."
                )
            )
        written = (SYSTEM_FIELDS | TRANSITION_FIELDS).intersection(vals)
        if written:
            raise UserError(
                _(
                    "%(fields)s of a ledger entry are written by the actions, the settlement "
                    "and the ledger's own accruals, not by hand.",
                    fields=", ".join(sorted(self._fields[name].string for name in written)),
                )
            )

    def _check_write(self, vals):
        """Confirmed, disputed, settled and cancelled entries are frozen for everybody,
        superuser included: only their state moves, along the allowed transitions."""
        self._check_user_vals(vals)
        frozen = self.filtered(lambda e: e.state != "draft")
        if frozen and LOCKED_FIELDS.intersection(vals):
            raise UserError(
                _(
                    "Entry %(entry)s is %(state)s and can no longer be changed: book an "
                    "adjustment or reverse it.",
                    entry=frozen[0].display_name,
                    state=dict(self._fields["state"]._description_selection(self.env))[
                        frozen[0].state
                    ],
                )
            )
        moving = self.browse()
        if "state" in vals:
            self._check_transition(vals["state"])
            moving = self.filtered(lambda e: e.state != vals["state"])
        if (frozen - moving) and TRANSITION_FIELDS.intersection(vals):
            raise UserError(
                _(
                    "Entry %(entry)s: reasons, dispute notes and settlements are recorded by "
                    "the actions that change its state.",
                    entry=(frozen - moving)[0].display_name,
                )
            )

    def _check_transition(self, new_state):
        labels = dict(self._fields["state"]._description_selection(self.env))
        for entry in self:
            if entry.state == new_state:
                continue
            group = TRANSITIONS.get((entry.state, new_state))
            if not group:
                raise UserError(
                    _(
                        "Entry %(entry)s cannot go from %(old)s to %(new)s.",
                        entry=entry.display_name,
                        old=labels[entry.state],
                        new=labels.get(new_state, new_state),
                    )
                )
            if not self.env.su and not self.env.user.has_group(group):
                raise AccessError(
                    _(
                        "Only %(group)s may set entry %(entry)s to %(new)s.",
                        group=self.env.ref(group).full_name,
                        entry=entry.display_name,
                        new=labels[new_state],
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_only_manual_drafts(self):
        """Accrued entries are cancelled with a reason, booked ones reversed: only a draft
        adjustment entered by hand may disappear."""
        for entry in self:
            if entry.state != "draft" or entry.kind != "adjustment" or entry.reversed_entry_id:
                raise UserError(
                    _(
                        "Entry %(entry)s cannot be deleted: cancel a draft with a reason, "
                        "reverse a confirmed one.",
                        entry=entry.display_name,
                    )
                )

    # ------------------------------------------------------------------ actions
    def action_confirm(self):
        """Reviewed: the entry gets its reference and can be settled."""
        if any(entry.state != "draft" for entry in self):
            raise UserError(_("Only draft entries can be confirmed."))
        self._check_transition("confirmed")
        for entry in self:
            entry._set_state("confirmed", {"name": entry._next_reference()})
        return True

    def action_cancel(self, reason):
        if any(entry.state != "draft" for entry in self):
            raise UserError(_("Only draft entries can be cancelled; reverse a confirmed one."))
        self._require_reason(reason)
        self._set_state("cancelled", {"cancel_reason": reason})
        return True

    def action_dispute(self, note):
        if any(entry.state != "confirmed" for entry in self):
            raise UserError(_("Only confirmed entries can be disputed."))
        self._require_reason(note)
        self._set_state("disputed", {"dispute_note": note})
        self._post_note(_("Disputed: %(note)s", note=note))
        return True

    def action_resolve(self, note):
        """The dispute is settled in favour of the entry as it stands (reverse it
        otherwise)."""
        if any(entry.state != "disputed" for entry in self):
            raise UserError(_("Only disputed entries can be resolved."))
        self._require_reason(note)
        self._set_state("confirmed")
        self._post_note(_("Dispute resolved: %(note)s", note=note))
        return True

    def action_reverse(self, reason):
        """Correct a confirmed, disputed or settled entry with a reversal entry."""
        self._require_reason(reason)
        if not self.env.su and not self.env.user.has_group(MANAGER):
            raise AccessError(_("Only Device Service managers reverse ledger entries."))
        for entry in self:
            if entry.state not in ("confirmed", "disputed", "settled"):
                raise UserError(
                    _(
                        "Entry %(entry)s is not booked: cancel a draft instead of reversing it.",
                        entry=entry.display_name,
                    )
                )
            if entry.reversed_entry_id or entry.reversal_entry_ids:
                raise UserError(
                    _(
                        "Entry %(entry)s is a reversal or already reversed.",
                        entry=entry.display_name,
                    )
                )
        self._reverse(reason)
        return True

    def action_open_document(self):
        self.ensure_one()
        return open_document_action(
            self.env,
            self.res_model,
            self.res_id,
            _("Entry %(entry)s has no document.", entry=self.display_name),
        )

    def _set_state(self, state, vals=None):
        """How the actions move the state: the user's right to write these entries and the
        transition's group are checked as the user, then the state (with what belongs to
        the change) is written as superuser, the user's own write of it being refused."""
        self.check_access("write")
        self._check_transition(state)
        self.sudo().write({"state": state, **(vals or {})})

    def _require_reason(self, reason):
        if not (reason or "").strip():
            raise UserError(_("Give the reason: it stays in the entry's history."))

    def _post_note(self, body):
        for entry in self:
            entry.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _next_reference(self):
        self.ensure_one()
        sequence = self.env["ir.sequence"].sudo().with_company(self.company_id)
        return sequence.next_by_code("service.ledger.entry", sequence_date=self.date) or "/"

    # ------------------------------------------------------------------ settlement
    # The transitions of a settlement (credit notes and invoices), the accountant's; the
    # bulk links of entries to settlement moves are in service_ledger_entry_booking.py.
    def _settle(self, move_lines):
        """Confirmed entries settled by ``move_lines`` (journal items of a posted move)."""
        if any(entry.state != "confirmed" for entry in self):
            raise UserError(_("Only confirmed entries can be settled."))
        self._set_state("settled", {"move_line_ids": [Command.set(move_lines.ids)]})

    def _unsettle(self):
        """The settling move was reversed or cancelled: the entries are open again."""
        self._set_state("confirmed", {"move_line_ids": [Command.clear()]})

    # ------------------------------------------------------------------ corrections
    def _withdraw(self, reason):
        """Take these entries back because their cause is gone: drafts are cancelled with
        ``reason``, booked ones reversed. Nothing is rewritten."""
        entries = self.sudo()
        drafts = entries.filtered(lambda e: e.state == "draft")
        drafts.write({"state": "cancelled", "cancel_reason": reason})
        booked = entries.filtered(
            lambda e: e.state in ("confirmed", "disputed", "settled")
            and not e.reversed_entry_id
            and not e.reversal_entry_ids
        )
        booked._reverse(reason)

    def _reverse(self, reason):
        """Confirmed reversal entries (same amount, the other way, same period) linked to
        these entries; a disputed entry is no longer in dispute once reversed."""
        if not self:
            return self.browse()
        today = fields.Date.context_today(self)
        Entry = self.sudo().with_context(tracking_disable=True)
        vals_list = []
        for entry in self.sudo():
            vals_list.append(
                {
                    "contract_id": entry.contract_id.id,
                    "kind": entry.kind,
                    "direction": "charge" if entry.direction == "credit" else "credit",
                    "amount": entry.amount,
                    "date": today,
                    "period": entry.period,
                    "rule_id": entry.rule_id.id,
                    "sla_line_id": entry.sla_line_id.id,
                    "sla_deadline": entry.sla_deadline,
                    "res_model": entry.res_model,
                    "res_id": entry.res_id,
                    "billed_hours": entry.billed_hours,
                    "shortfall_id": entry.shortfall_id.id,
                    "billed_days": entry.billed_days,
                    "description": self._describe(
                        entry.contract_id,
                        lambda env, entry=entry: env._(
                            "Reversal of %(entry)s: %(reason)s",
                            entry=entry.display_name,
                            reason=reason,
                        ),
                    ),
                    "reversed_entry_id": entry.id,
                    "source_key": f"reversal:{entry.id}",
                    "state": "confirmed",
                    "name": entry._next_reference(),
                }
            )
        reversals = Entry._create_described(vals_list)
        self.sudo().filtered(lambda e: e.state == "disputed").write({"state": "confirmed"})
        for entry, reversal in zip(self.sudo(), reversals, strict=True):
            entry.message_post(
                body=_(
                    "Reversed by %(reversal)s: %(reason)s",
                    reversal=reversal.display_name,
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return reversals

    def _mark_periods_dirty(self, before=None):
        """A penalty booked, changed or cancelled in a period the period job already
        evaluated: that period is evaluated again (its cap may change). ``before``: the
        periods of these entries before a change (``_penalty_periods``), evaluated again
        too."""
        earliest = dict(before or {})
        for contract, period in self._penalty_periods().items():
            earliest[contract] = min(earliest.get(contract, period), period)
        self._reopen_periods(earliest)

    def _penalty_periods(self):
        """``{contract: earliest period}`` of the penalties among these entries."""
        earliest = {}
        for entry in self.sudo():
            if entry.kind == "penalty":
                contract = entry.contract_id
                earliest[contract] = min(earliest.get(contract, entry.period), entry.period)
        return earliest

    @api.model
    def _reopen_periods(self, earliest):
        """``earliest`` maps contracts to the first period whose figures changed: the
        period job evaluates again from there, when it had gone past it."""
        for contract, period in earliest.items():
            evaluated = contract.sudo().ledger_evaluated_period
            if evaluated and period <= evaluated:
                contract.sudo().with_context(tracking_disable=True).write(
                    {"ledger_evaluated_period": penalty.previous_period(period)}
                )
