import logging
import uuid
from collections import defaultdict

from psycopg2 import errors as pg_errors
from psycopg2.extras import Json

from odoo import Command, _, api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.modules import module as odoo_module
from odoo.tools import SQL, format_amount

from ..tools import penalty
from ..tools.groups import ACCOUNTANT, MANAGER
from ..tools.sla_time import aware_utc, late_hours
from .service_penalty_rule import DIRECTIONS
from .service_sla_document_mixin import open_document_action

_logger = logging.getLogger(__name__)

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
# The columns an accrual fills (see _insert_accruals), besides the log-access ones.
INSERT_COLUMNS = (
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
    "state",
    "source_key",
    "description",
    "rule_id",
    "sla_line_id",
    "shortfall_id",
    "billed_days",
    "sla_deadline",
    "billed_hours",
    "res_model",
    "res_id",
    "request_id",
)
# Written by the state changes they belong to (a reason, a dispute note, the settlement).
TRANSITION_FIELDS = {"cancel_reason", "dispute_note", "move_line_ids"}
# Written by the code that owns them (the settlement, the reversals, the accruals), never by a
# user's create or write: a typed cause would block the real penalty, a typed link settle
# without a document.
SYSTEM_FIELDS = {"settlement_move_id", "move_line_ids", "reversed_entry_id", "source_key"}
# What a month's penalty total (the base of its cap) is made of.
TOTAL_FIELDS = {"contract_id", "kind", "direction", "amount", "date", "period"}
# Contracts the period job takes per transaction.
PERIOD_BATCH_SIZE = 100
# A period job that keeps meeting another worker's fresh commits gives up after this many
# fresh starts (the next run goes on).
MAX_RESTARTS = 5
# The latest period that may be over somewhere is the one before the period of "now +
# the largest UTC offset".
MAX_UTC_OFFSET = penalty.MAX_UTC_OFFSET


def _contract_tz(contract):
    """Periods are counted in the time zone of the contract's service hours."""
    return contract.resource_calendar_id.tz or "UTC"


def _document_reference(line):
    """How a description names the document of an SLA line: a work order by its reference
    (what the customer quotes), anything else by its name."""
    if line.res_model == "maintenance.request" and line.request_id.reference:
        return line.request_id.reference
    return line.document_name or line.res_model


def _description_json(texts):
    """The value of the translated description column for a raw INSERT."""
    if not texts:
        return None
    return Json(texts if isinstance(texts, dict) else {"en_US": texts})


def _in_language(texts, lang):
    """One text of a description built by _describe (or a plain text)."""
    if isinstance(texts, dict):
        return texts.get(lang) or texts["en_US"]
    return texts


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
            entry.signed_amount = entry.amount if entry.direction == "credit" else -entry.amount

    @api.depends("res_model", "res_id")
    def _compute_request_id(self):
        for entry in self:
            is_request = entry.res_model == "maintenance.request"
            entry.request_id = entry.res_id if is_request else False

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
    # The settlement (credit notes and invoices) calls these two; the transitions they make
    # are the accountant's.
    def _settle(self, move_lines):
        """Confirmed entries settled by ``move_lines`` (journal items of a posted move)."""
        if any(entry.state != "confirmed" for entry in self):
            raise UserError(_("Only confirmed entries can be settled."))
        self._set_state("settled", {"move_line_ids": [Command.set(move_lines.ids)]})

    def _unsettle(self):
        """The settling move was reversed or cancelled: the entries are open again."""
        self._set_state("confirmed", {"move_line_ids": [Command.clear()]})

    @api.model
    def _reserve_for_moves(self, entry_ids_by_move):
        """Link entries to the settlement moves just created for them (``{move id: entry
        ids}``), in one statement. Only entries still free are linked: anything else means
        another settlement took them, and nothing is created."""
        pairs = [
            (entry_id, move_id) for move_id, ids in entry_ids_by_move.items() for entry_id in ids
        ]
        if not pairs:
            return
        self.flush_model(["settlement_move_id", "state"])
        entry_ids, move_ids = zip(*pairs, strict=True)
        linked = self.env.execute_query(
            SQL(
                """
                UPDATE service_ledger_entry entry
                   SET settlement_move_id = link.move_id,
                       write_uid = %(uid)s,
                       write_date = %(now)s
                  FROM unnest(%(entries)s::int[], %(moves)s::int[]) AS link(entry_id, move_id)
                 WHERE entry.id = link.entry_id
                   AND entry.settlement_move_id IS NULL
                   AND entry.state = 'confirmed'
             RETURNING entry.id
                """,
                uid=self.env.uid,
                now=self.env.cr.now(),
                entries=list(entry_ids),
                moves=list(move_ids),
            )
        )
        if len(linked) != len(pairs):
            raise UserError(
                _("Some of these entries were settled meanwhile: run the settlement again.")
            )
        self.browse(entry_ids).invalidate_recordset(
            ["settlement_move_id", "write_uid", "write_date"]
        )

    @api.model
    def _hand_over(self, held, moves, new_moves):
        """*Reverse and create a new draft* of the settlements ``moves`` made ``new_moves``,
        one per move and in the same order (as core creates them): the entries each move
        held (``held``: ``{move: entries}``) that its reversal opened again are held by its
        new draft. Entries still settled (a reversal dated later, not posted yet) stay."""
        if len(moves) != len(new_moves):
            return
        entry_ids_by_move = {}
        for move, new_move in zip(moves, new_moves, strict=True):
            free = held.get(move, self.browse()).filtered(
                lambda e: e.state == "confirmed" and not e.settlement_move_id
            )
            if free and new_move._is_ledger_document():
                entry_ids_by_move[new_move.id] = free.ids
        self._reserve_for_moves(entry_ids_by_move)

    @api.model
    def _settle_moves(self, moves):
        """These moves are posted: the confirmed entries they hold are settled, each linked to
        the journal item of its kind. Grouped statements, whatever the number of entries.

        The state is set in one statement, not through ``write``: a settlement posts
        thousands of entries at once, and the ORM would check, write and track them a
        hundred at a time (what it checks holds here: confirmed to settled is the
        accountant's transition, made by the settlement itself). The entries' own history
        shows the settlement: the move is on them. Then the ORM is told what changed (caches,
        what depends on the state: the SLA lines' penalties), as ``_insert_accruals`` does.
        """
        if not moves:
            return self.browse()
        self.flush_model(["state", "settlement_move_id"])
        ids = [
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """
                    UPDATE service_ledger_entry
                       SET state = 'settled', write_uid = %(uid)s, write_date = %(now)s
                     WHERE settlement_move_id = ANY(%(moves)s) AND state = 'confirmed'
                 RETURNING id
                    """,
                    uid=self.env.uid,
                    now=self.env.cr.now(),
                    moves=moves.ids,
                )
            )
        ]
        entries = self.sudo().browse(ids)
        if not entries:
            return entries
        entries.invalidate_recordset(["state", "write_uid", "write_date"])
        entries.modified(["state"])
        self.flush_model(["state", "settlement_move_id", "kind"])
        self.env["account.move.line"].flush_model(["move_id", "service_ledger_kind"])
        self.env.execute_query(
            SQL(
                """
                INSERT INTO service_ledger_entry_move_line_rel (entry_id, move_line_id)
                SELECT entry.id, line.id
                  FROM service_ledger_entry entry
                  JOIN account_move_line line
                    ON line.move_id = entry.settlement_move_id
                   AND line.service_ledger_kind = entry.kind
                 WHERE entry.id = ANY(%(ids)s)
                """,
                ids=entries.ids,
            )
        )
        entries.invalidate_recordset(["move_line_ids"])
        return entries

    @api.model
    def _unsettle_moves(self, moves, release):
        """These moves no longer settle anything (reset to draft, cancelled, reversed): their
        settled entries are open again. ``release``: the entries are free for another
        settlement too (a draft keeps them until it is posted again, cancelled or deleted)."""
        entries = self.sudo().search([("settlement_move_id", "in", moves.ids)])
        entries.filtered(lambda e: e.state == "settled").with_context(
            tracking_disable=True
        )._unsettle()
        if release and entries:
            entries.write({"settlement_move_id": False})
        return entries

    def _statement_groups(self):
        """The statements of these entries (the PDF), one per contract and period: the
        entries (cancelled ones left out), the totals per kind, the net and the documents
        that settled them."""
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        statements = []
        live = self.filtered(lambda e: e.state != "cancelled").sorted(
            lambda e: (e.contract_id.id, e.period, e.date, e.id)
        )
        for (contract, period), entries in live.grouped(
            lambda e: (e.contract_id, e.period)
        ).items():
            totals = defaultdict(float)
            for entry in entries:
                totals[entry.kind] += entry.signed_amount
            statements.append(
                {
                    "contract": contract,
                    "period": period,
                    "entries": entries,
                    "totals": [
                        (kinds[kind], totals[kind])
                        for kind, _label in ENTRY_KINDS
                        if kind in totals
                    ],
                    "net": contract.currency_id.round(sum(totals.values())),
                    "moves": entries.settlement_move_id,
                    "tz": _contract_tz(contract),
                }
            )
        return statements

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

    # ------------------------------------------------------------------ accrual
    @api.model
    def _accrue(self, vals_list):
        """Draft entries from ``vals_list`` in one grouped insert; a cause already accrued
        (its source key exists) is skipped, also when another transaction accrues it at the
        same moment."""
        by_key = {}
        for vals in vals_list:
            by_key.setdefault(vals["source_key"], vals)
        if not by_key:
            return self.browse()
        Entry = self.sudo().with_context(tracking_disable=True)
        for entry in Entry.search_fetch([("source_key", "in", list(by_key))], ["source_key"]):
            by_key.pop(entry.source_key, None)
        if not by_key:
            return self.browse()
        try:
            with self.env.cr.savepoint():
                return Entry._insert_accruals(list(by_key.values()))
        except pg_errors.UniqueViolation:
            # Another transaction accrued some of these causes after they were looked up
            # (this transaction cannot see them yet, and ON CONFLICT would fail to serialize
            # under Odoo's repeatable read): keep the others, one at a time.
            _logger.info("Ledger: causes accrued meanwhile by another transaction are skipped.")
        created = Entry.browse()
        for vals in by_key.values():
            try:
                with self.env.cr.savepoint():
                    created |= Entry._insert_accruals([vals])
            except pg_errors.UniqueViolation:
                continue
        return created

    @api.model
    @api.model
    def _describe(self, contract, build):
        """A description in English and in the language of ``contract``'s customer, as
        {lang: text}: ``build(env)`` renders it with ``env``'s language (its terms through
        ``env._``, labels and amounts through ``env``). Stored as the translations of the
        entry's description, so that the customer's statement and pages read their
        language without translating at display what was priced then."""
        langs = {"en_US"}
        customer_lang = contract.partner_id.lang
        if customer_lang and customer_lang in dict(self.env["res.lang"].get_installed()):
            langs.add(customer_lang)
        return {lang: build(self.with_context(lang=lang).env) for lang in sorted(langs)}

    @api.model
    def _create_described(self, vals_list):
        """Create entries whose descriptions may come from _describe: English in the
        record, the other languages as its translations."""
        translations = []
        for vals in vals_list:
            texts = vals.get("description")
            if isinstance(texts, dict):
                vals["description"] = texts["en_US"]
            translations.append(texts if isinstance(texts, dict) else None)
        entries = self.with_context(lang="en_US").create(vals_list).with_env(self.env)
        # In SQL: the entries may be born confirmed (reversals), which no write may change;
        # their translations are part of their creation.
        self.env.flush_all()
        for entry, texts in zip(entries, translations, strict=True):
            others = {lang: text for lang, text in (texts or {}).items() if lang != "en_US"}
            if others:
                self.env.cr.execute(
                    SQL(
                        "UPDATE service_ledger_entry SET description = description || %s "
                        "WHERE id = %s",
                        Json(others),
                        entry.id,
                    )
                )
        entries.invalidate_recordset(["description"])
        return entries

    def _insert_accruals(self, vals_list):
        """Insert draft entries in one statement, whatever their number.

        The detection job accrues thousands of entries at once: the ORM would precompute
        them record by record and insert them a hundred at a time, which costs the job
        more than the breaches themselves. Here the stored computed fields are derived as
        the computes above do, from the contract already read; then the ORM is told what
        was created (caches, what depends on the entries: the SLA lines' penalties).
        """
        contracts = self.env["service.contract"].browse({v["contract_id"] for v in vals_list})
        by_id = {contract.id: contract for contract in contracts}
        now, uid = self.env.cr.now(), self.env.uid
        rows = []
        for vals in vals_list:
            contract = by_id[vals["contract_id"]]
            credit = vals.get("direction", "credit") == "credit"
            is_request = vals.get("res_model") == "maintenance.request"
            day = fields.Date.to_date(vals["date"])
            row = {
                **vals,
                "date": day,
                "period": vals.get("period") or penalty.period_of_date(day),
                "partner_id": contract.partner_id.id,
                "company_id": contract.company_id.id,
                "currency_id": contract.currency_id.id,
                "direction": vals.get("direction", "credit"),
                "signed_amount": vals["amount"] if credit else -vals["amount"],
                "request_id": vals.get("res_id") if is_request else False,
                "state": "draft",
                # A translated column: {lang: text} (see _describe).
                "description": _description_json(vals.get("description")),
            }
            rows.append(
                (
                    *(
                        None if row.get(column) is False else row.get(column)
                        for column in INSERT_COLUMNS
                    ),
                    uid,
                    now,
                    uid,
                    now,
                )
            )
        self.flush_model()
        query = SQL(
            "INSERT INTO service_ledger_entry (%s) VALUES %s RETURNING id",
            SQL(", ").join(
                SQL.identifier(column)
                for column in (
                    *INSERT_COLUMNS,
                    "create_uid",
                    "create_date",
                    "write_uid",
                    "write_date",
                )
            ),
            SQL(", ").join(SQL("%s", row) for row in rows),
        )
        # A cause accrued meanwhile by another transaction is an expected unique violation
        # that _accrue handles: not logged by this statement (the error still propagates),
        # instead of muting the shared odoo.sql_db logger, which is not thread-safe.
        self.env.cr.execute(query, log_exceptions=False)
        ids = [row[0] for row in self.env.cr.fetchall()]
        entries = self.browse(ids)
        # What reads entries through a one2many reads the new ones; what depends on them
        # (the SLA lines' penalty amounts) is recomputed.
        self.env["service.contract"].invalidate_model(["ledger_entry_ids"])
        self.env["service.sla.line"].invalidate_model(["ledger_entry_ids"])
        for model in {vals.get("res_model") for vals in vals_list} - {None, False}:
            if "ledger_entry_ids" in self.env[model]._fields:
                self.env[model].invalidate_model(["ledger_entry_ids"])
        entries.modified(["sla_line_id", "kind", "state", "signed_amount"], create=True)
        entries._mark_periods_dirty()
        return entries

    @api.model
    def _accrue_sla_lines(self, lines, final_at=None):
        """Penalties caused by these SLA milestones, in one grouped insert. Called on the
        clock's events: the detection job's breaches, milestones met late, documents
        closed with milestones unmet (``final_at``: when).

        Fixed and fee-% penalties accrue once a milestone is late; per-hour penalties once
        its lateness is final (met late, or its clock closed at ``closed_at``, else at
        ``final_at``); the period job charges the lateness of milestones still late at a
        period's close. A closed milestone is never charged past its close, whoever asks.
        """
        until = {}
        late_ids = []
        for line in lines.sudo():
            if not line.contract_id or not line.deadline:
                continue
            if line.state == "met_late":
                until[line] = line.met_at
            elif line.state != "breached":
                continue
            elif (line.closed_at or final_at) and line.deadline < (line.closed_at or final_at):
                until[line] = line.closed_at or final_at
            late_ids.append(line.id)
        late = self.env["service.sla.line"].sudo().browse(late_ids)
        return self._accrue(self._sla_penalty_values(late, until))

    @api.model
    def _sla_penalty_values(self, lines, until=None):
        """Values of the penalty entries of late SLA ``lines``: one per fixed or fee-%
        rule and breach; per-hour rules charge the lateness up to ``until[line]``, split
        by period (one entry per period, whatever computes it first)."""
        until = until or {}
        rules_by_contract = self._penalty_rules(lines.contract_id)
        if not rules_by_contract:
            return []
        lasting = [line for line in lines if until.get(line)]
        intervals = self._lateness_intervals(lasting, until, rules_by_contract)
        # A paused clock is no later: the pauses of the lines charged per hour, one search.
        pauses = self.env["service.sla.line"].concat(*lasting)._pause_spans()
        vals_list = []
        for line in lines:
            rules = rules_by_contract.get(line.contract_id)
            if not rules:
                continue
            contract = line.contract_id
            tz = _contract_tz(contract)
            deadline_day = penalty.local_date(line.deadline, tz)
            common = {
                "contract_id": contract.id,
                "kind": "penalty",
                "direction": "credit",
                "sla_line_id": line.id,
                "sla_deadline": line.deadline,
                "res_model": line.res_model,
                "res_id": line.res_id,
            }
            key = f"sla:{line.id}:g{line.ledger_generation}"
            for rule in rules:
                if not rule._matches(line, deadline_day):
                    continue
                if rule.computation == "per_hour":
                    if until.get(line):
                        vals_list += self._lateness_values(
                            line,
                            rule,
                            until[line],
                            intervals[line.calendar_id],
                            common,
                            key,
                            pauses=pauses[line],
                        )
                    continue
                amount = contract.currency_id.round(
                    penalty.penalty_amount(
                        rule.computation, rule.amount, rule.percent, contract.monthly_fee
                    )
                )
                if contract.currency_id.is_zero(amount):
                    continue
                vals_list.append(
                    common
                    | {
                        "rule_id": rule.id,
                        "amount": amount,
                        "date": deadline_day,
                        "period": penalty.period_of_date(deadline_day),
                        "source_key": f"{key}:rule{rule.id}:breach",
                        "description": self._describe(
                            contract,
                            lambda env, line=line: env._(
                                "%(document)s: %(milestone)s missed its deadline %(deadline)s",
                                document=_document_reference(line),
                                milestone=line.with_env(env)._milestone_label(line.milestone),
                                deadline=line._format_deadline(),
                            ),
                        ),
                    }
                )
        return vals_list

    @api.model
    def _accrue_shortfalls(self, shortfalls, until=None):
        """Per-day penalties of spare-stock shortfalls that outlasted their grace period, in
        one grouped insert: the days below minimum from the grace's end to ``until[shortfall]``
        (default: the shortfall's end), one entry per rule and period. Called when a shortfall
        ends (the stock is back, or the contract ended) and by the period job for the
        shortfalls still open at a period's close."""
        return self._accrue(self._shortfall_penalty_values(shortfalls.sudo(), until or {}))

    @api.model
    def _shortfall_penalty_values(self, shortfalls, until):
        rules_by_contract = (
            self.env["service.penalty.rule"]
            .sudo()
            .search(
                [("contract_id", "in", shortfalls.contract_id.ids), ("rule_type", "=", "shortfall")]
            )
            .grouped("contract_id")
        )
        vals_list = []
        for shortfall in shortfalls:
            contract = shortfall.contract_id
            start = shortfall.grace_expired_at
            stop = until.get(shortfall) or shortfall.date_end
            if not (rules_by_contract.get(contract) and start and stop and stop > start):
                continue
            tz = _contract_tz(contract)
            ends = penalty.period_ends(start, stop, tz)
            # Counted from the grace's end each time: a period charged at its close and the
            # rest charged when the shortfall ends add up to the days of the whole.
            days = penalty.split_billable_days(
                [(end - start).total_seconds() / 3600 for _period, end in ends]
            )
            for rule in rules_by_contract[contract]:
                first = penalty.period_of_date(rule.date_from)
                for (period, end), charged in zip(ends, days, strict=True):
                    if not charged or period < first:
                        continue
                    vals_list.append(
                        {
                            "contract_id": contract.id,
                            "kind": "penalty",
                            "direction": "credit",
                            "rule_id": rule.id,
                            "shortfall_id": shortfall.id,
                            "res_model": shortfall._name,
                            "res_id": shortfall.id,
                            "amount": contract.currency_id.round(charged * rule.amount),
                            "billed_days": charged,
                            "date": min(penalty.local_date(end, tz), penalty.last_day(period)),
                            "period": period,
                            "source_key": f"shortfall:{shortfall.id}:rule{rule.id}:{period}",
                            "description": self._describe(
                                contract,
                                lambda env,
                                shortfall=shortfall,
                                charged=charged,
                                period=period: env._(
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

    @api.model
    def _accrue_shortfalls_at_close(self, plan):
        """The shortfalls still open past their grace when a period closes: their days up
        to the end of the last period closed."""
        contracts = self.env["service.contract"].concat(*plan)
        shortfalls = (
            self.env["service.stock.shortfall"]
            .sudo()
            .search([("contract_id", "in", contracts.ids), ("state", "=", "expired")])
        )
        until = {}
        for shortfall in shortfalls:
            contract = shortfall.contract_id
            end = penalty.period_bounds(plan[contract][-1], _contract_tz(contract))[1]
            if shortfall.grace_expired_at < end:
                until[shortfall] = end
        self._accrue_shortfalls(shortfalls.filtered(lambda s: s in until), until)

    @api.model
    def _penalty_rules(self, contracts):
        """Active penalty rules of ``contracts``, per contract (one query)."""
        if not contracts:
            return {}
        rules = (
            self.env["service.penalty.rule"]
            .sudo()
            .search([("contract_id", "in", contracts.ids), ("rule_type", "=", "penalty")])
        )
        return rules.grouped("contract_id")

    @api.model
    def _lateness_intervals(self, lines, until, rules_by_contract):
        """Working time of each calendar of the lines charged per hour, from their earliest
        deadline to their latest end: one fetch per calendar."""
        hourly = [
            line
            for line in lines
            if any(r.computation == "per_hour" for r in rules_by_contract.get(line.contract_id, []))
        ]
        result = {}
        for calendar, group in (
            self.env["service.sla.line"].concat(*hourly).grouped("calendar_id").items()
        ):
            start = min(aware_utc(line.deadline) for line in group)
            stop = max(aware_utc(until[line]) for line in group)
            result[calendar] = calendar._sla_intervals(start, stop)
        return result

    @api.model
    def _lateness_values(self, line, rule, final, intervals, common, key, pauses=()):
        """Per-hour penalty of ``line`` from its deadline to ``final``, its document's
        ``pauses`` left out: one entry per period the lateness runs in, with the hours
        charged in it."""
        contract = line.contract_id
        tz = _contract_tz(contract)
        deadline = aware_utc(line.deadline)
        ends = penalty.period_ends(line.deadline, final, tz)
        late = [late_hours(intervals, deadline, aware_utc(end), pauses) for _p, end in ends]
        hours = penalty.split_billable_hours(late, rule.free_minutes)
        vals_list = []
        for (period, end), charged in zip(ends, hours, strict=True):
            if not charged:
                continue
            amount = contract.currency_id.round(
                penalty.penalty_amount("per_hour", rule.amount, hours=charged)
            )
            vals_list.append(
                common
                | {
                    "rule_id": rule.id,
                    "amount": amount,
                    "billed_hours": charged,
                    "date": min(penalty.local_date(end, tz), penalty.last_day(period)),
                    "period": period,
                    "source_key": f"{key}:rule{rule.id}:{period}",
                    "description": self._describe(
                        contract,
                        lambda env, charged=charged, period=period: env._(
                            "%(document)s: %(milestone)s late, %(hours)s working hours charged "
                            "in %(period)s (%(free)s free minutes)",
                            document=_document_reference(line),
                            milestone=line.with_env(env)._milestone_label(line.milestone),
                            hours=charged,
                            period=period,
                            free=rule.free_minutes,
                        ),
                    ),
                }
            )
        return vals_list

    @api.model
    def _sla_retargeted(self, lines, old_terms):
        """The clock of these lines' documents was retargeted (``old_terms``: each
        document's terms before). Entries whose breach no longer stands as priced are
        withdrawn with the reason; the periods the clocks ran in are evaluated again."""
        lines = lines.sudo()
        entries = self.sudo().search(
            [
                ("sla_line_id", "in", lines.ids),
                ("state", "!=", "cancelled"),
                ("reversed_entry_id", "=", False),
                ("reversal_entry_ids", "=", False),
            ]
        )
        for line, line_entries in entries.grouped("sla_line_id").items():
            reason = self._retarget_reason(line, line_entries)
            if reason:
                line_entries._withdraw(reason)
                # The next accrual of this milestone is a new cause with its own keys.
                line.ledger_generation += 1
        old_contracts = {}
        for record, terms in old_terms.items():
            old = dict(zip(record._sla_term_fields(), terms, strict=True)).get("contract_id")
            old_contracts[(record._name, record.id)] = old
        earliest = {}
        for line in lines:
            contracts = line.contract_id | (
                old_contracts.get((line.res_model, line.res_id)) or line.contract_id
            )
            for contract in contracts:
                period = penalty.period_of(line.start_at, _contract_tz(contract))
                earliest[contract] = min(earliest.get(contract, period), period)
        self._reopen_periods(earliest)

    @api.model
    def _retarget_reason(self, line, entries):
        """Why the entries of a retargeted line no longer hold (None when they do)."""
        document = line.document_name or line.res_model
        milestone = line._milestone_label(line.milestone)
        if line.state == "cancelled" or not line.contract_id:
            return _(
                "SLA targets of %(document)s recomputed: the %(milestone)s milestone no longer "
                "applies.",
                document=document,
                milestone=milestone,
            )
        if entries.contract_id != line.contract_id:
            return _(
                "%(document)s is now under contract %(contract)s.",
                document=document,
                contract=line.contract_id.name,
            )
        if any(entry.sla_deadline != line.deadline for entry in entries):
            return _(
                "SLA targets of %(document)s recomputed: the %(milestone)s milestone is now due "
                "%(deadline)s.",
                document=document,
                milestone=milestone,
                deadline=line._format_deadline(),
            )
        deadline_day = penalty.local_date(line.deadline, _contract_tz(line.contract_id))
        if any(not entry.rule_id._matches(line, deadline_day) for entry in entries):
            return _(
                "SLA targets of %(document)s recomputed: severity %(severity)s is priced by "
                "other rules.",
                document=document,
                severity=dict(line._fields["severity"]._description_selection(self.env))[
                    line.severity
                ],
            )
        return None

    @api.model
    def _check_sla_lines_deletable(self, lines):
        """SLA milestones that caused entries stay: they are the entries' trail."""
        if self.sudo().search_count([("sla_line_id", "in", lines.ids)], limit=1):
            raise UserError(
                _(
                    "The SLA milestones of this document caused penalty entries in the ledger: "
                    "archive the document instead of deleting it."
                )
            )

    @api.model
    def _accrue_past_breaches(self, contract_ids):
        """Accrue what the contracts' rules price in milestones already missed: for rules
        given to a contract that has been running (the demo data, a data import)."""
        lines = (
            self.env["service.sla.line"]
            .sudo()
            .search(
                [
                    ("contract_id", "in", contract_ids),
                    "|",
                    ("breached_at", "!=", False),
                    ("state", "=", "met_late"),
                ]
            )
        )
        return self._accrue_sla_lines(lines)

    @api.model
    def _confirm_drafts_before(self, contract_ids, period):
        """Confirm the draft entries of these contracts before ``period``: a reviewed
        backlog (the demo data, a data import)."""
        drafts = self.search(
            [
                ("contract_id", "in", contract_ids),
                ("state", "=", "draft"),
                ("period", "<", period),
            ],
            order="date, id",
        )
        return drafts.action_confirm()

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
        if commit is None:
            commit = not odoo_module.current_test
        Entry = self.sudo()
        now = fields.Datetime.now()
        after_id, done, restarts = 0, 0, 0
        while True:
            try:
                contracts = Entry._lock_contracts_to_close(now, after_id, batch_size)
                if not contracts:
                    break
                Entry._close_periods(contracts, now)
                self.env.flush_all()
            except pg_errors.SerializationFailure:
                # Another worker closed some of these contracts after this transaction
                # began: start the batch again in a new transaction, which sees what it did
                # (only when the job owns its transactions).
                restarts += 1
                if not commit or restarts > MAX_RESTARTS:
                    raise
                _logger.info(
                    "Ledger period job: another worker closed contracts first, restarting."
                )
                self.env.cr.rollback()
                self.env.invalidate_all()
                continue
            after_id = max(contracts.ids)
            done += len(contracts)
            if commit:
                # Commit per batch: what is evaluated stays evaluated if the job dies.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)

    @api.model
    def _lock_contracts_to_close(self, now, after_id, limit):
        """The next contracts (by id, after ``after_id``) with rules and a month over that
        their ledger has not evaluated, locked for this transaction; contracts another
        worker holds are skipped."""
        self.env["service.contract"].flush_model(["state", "date_end", "ledger_evaluated_period"])
        self.env["service.penalty.rule"].flush_model(["contract_id", "active"])
        latest = penalty.last_closed_period(now + MAX_UTC_OFFSET, "UTC")
        rows = self._locked_contract_rows(after_id, latest, limit)
        return self.env["service.contract"].browse([row[0] for row in rows])

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

    @api.model
    def _close_periods(self, contracts, now):
        """Evaluate the months of ``contracts`` that are over and not evaluated yet."""
        rules_by_contract = (
            self.env["service.penalty.rule"]
            .search([("contract_id", "in", contracts.ids)])
            .grouped("contract_id")
        )
        plan = {}
        for contract in contracts:
            rules = rules_by_contract.get(contract)
            if not rules:
                continue
            tz = _contract_tz(contract)
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
            self.env["service.contract"].browse(ids).with_context(tracking_disable=True).write(
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
            end = penalty.period_bounds(plan[contract][-1], _contract_tz(contract))[1]
            if line.deadline < end:
                until[line] = end
        late = lines.filtered(lambda line: line in until)
        self._accrue(self._sla_penalty_values(late, until))

    @api.model
    def _evaluate_caps_and_rebates(self, plan, rules_by_contract):
        """Caps and rebates of each contract and period of ``plan``, reconciled with what
        the ledger already holds for them: nothing when it matches, else the old entries
        withdrawn and the right one accrued."""
        contract_ids = [contract.id for contract in plan]
        periods = sorted({period for periods in plan.values() for period in periods})
        base = [("contract_id", "in", contract_ids), ("period", "in", periods)]
        penalties = {
            (contract, period): total
            for contract, period, total in self._read_group(
                [*base, ("kind", "=", "penalty"), ("state", "!=", "cancelled")],
                ["contract_id", "period"],
                ["signed_amount:sum"],
            )
        }
        existing = defaultdict(lambda: self.browse())
        for entry in self.search([*base, ("kind", "in", ("cap", "rebate"))]):
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
                    vals_list += self._cap_values(
                        contract,
                        period,
                        caps,
                        penalties.get((contract, period), 0.0),
                        existing[(contract, period, "cap")],
                    )
                for rule in in_force.filtered(lambda rule: rule.rule_type == "rebate"):
                    vals_list += self._rebate_values(
                        contract,
                        period,
                        rule,
                        shares.get((contract, period), (0, 0)),
                        existing[(contract, period, rule)],
                    )
        self._accrue(vals_list)

    @api.model
    def _cap_values(self, contract, period, caps, total, existing):
        fee, currency = contract.monthly_fee, contract.currency_id
        limits = {rule: penalty.cap_limit([(rule.amount, rule.percent)], fee) for rule in caps}
        binding = min(caps, key=lambda rule: limits[rule])
        limit = limits[binding]
        excess = currency.round(penalty.capped_excess(total, limit))
        return self._reconcile(
            existing,
            excess,
            "charge",
            {
                "contract_id": contract.id,
                "kind": "cap",
                "rule_id": binding.id,
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
            },
            f"cap:{contract.id}:{period}",
        )

    @api.model
    def _rebate_values(self, contract, period, rule, share, existing):
        on_time, counted = share
        currency = contract.currency_id
        amount = 0.0
        if penalty.rebate_due(on_time, counted, rule.threshold_percent):
            amount = currency.round(
                rule.amount
                if rule.computation == "fixed"
                else penalty.fee_share(contract.monthly_fee, rule.percent)
            )
        return self._reconcile(
            existing,
            amount,
            rule.direction,
            {
                "contract_id": contract.id,
                "kind": "rebate",
                "rule_id": rule.id,
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
                        threshold=rule.threshold_percent,
                    ),
                ),
            },
            f"rebate:{rule.id}:{period}",
        )

    @api.model
    def _reconcile(self, existing, amount, direction, vals, key_prefix):
        """Values of the entry that makes ``existing`` (the slot's entries, every state)
        amount to ``amount`` in ``direction``: none when it already does; otherwise the
        live ones are withdrawn and a new revision of the slot is returned."""
        live = existing.filtered(
            lambda e: e.state != "cancelled"
            and not e.reversed_entry_id
            and not e.reversal_entry_ids
        )
        wanted = amount if direction == "credit" else -amount
        currency = self.env["service.contract"].browse(vals["contract_id"]).currency_id
        if currency.compare_amounts(sum(live.mapped("signed_amount")), wanted) == 0:
            return []
        live._withdraw(
            _(
                "Period %(period)s evaluated again: %(description)s",
                period=vals["period"],
                description=_in_language(vals["description"], self.env.lang),
            )
        )
        if currency.is_zero(amount):
            return []
        revision = len(existing.filtered(lambda e: not e.reversed_entry_id)) + 1
        return [
            vals
            | {"amount": amount, "direction": direction, "source_key": f"{key_prefix}:{revision}"}
        ]

    @api.model
    def _on_time_shares(self, plan):
        """``(met on time, counted)`` milestones due in each contract's periods of ``plan``,
        counted in the contract's time zone: one query per time zone. Milestones cancelled
        or paused (their deadline is not final) are left out; one still open past its
        deadline is a miss."""
        by_tz = defaultdict(dict)
        for contract, periods in plan.items():
            by_tz[_contract_tz(contract)][contract] = periods
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
                ["contract_id", "deadline:month", "state"],
                ["__count"],
            )
            for contract, month, state, count in groups:
                key = (contract, month.strftime("%Y-%m"))
                on_time, counted = result[key]
                result[key] = (on_time + (count if state == "met" else 0), counted + count)
        return result
