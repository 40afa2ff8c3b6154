"""The ledger's bulk paths. The accruals: what the SLA clock, the stock check and the
period close accrue (priced by the rules, service_penalty_rule.py), described in the
customer's language and inserted in one statement. The settlement's links: entries
reserved for, settled and released by accounting documents in grouped statements. Same
model as service_ledger_entry.py."""

import logging

from psycopg2 import errors as pg_errors
from psycopg2.extras import Json

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import penalty
from .service_ledger_entry import LOCKED_FIELDS, request_of, signed

_logger = logging.getLogger(__name__)

# The columns an accrual fills (see _insert_accruals), besides the log-access ones: what
# locks once an entry is confirmed, less its reference (given on confirmation) and the
# reversal link (reversals go through the ORM), plus its state.
INSERT_COLUMNS = (*sorted(LOCKED_FIELDS - {"name", "reversed_entry_id"}), "state")


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
    _inherit = "service.ledger.entry"

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
        if self.env.context.get("bds_ledger_price_only"):
            # Pricing only (the money at risk on the desk's queue): no text is stored.
            return None
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
            direction = vals.get("direction", "credit")
            day = fields.Date.to_date(vals["date"])
            row = {
                **vals,
                "date": day,
                "period": vals.get("period") or penalty.period_of_date(day),
                "partner_id": contract.partner_id.id,
                "company_id": contract.company_id.id,
                "currency_id": contract.currency_id.id,
                "direction": direction,
                "signed_amount": signed(vals["amount"], direction),
                "request_id": request_of(vals.get("res_model"), vals.get("res_id")),
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

    # ------------------------------------------------------------------ settlement links
    # Accounting's settlement (wizards/service_settlement_wizard.py, account.move's posting
    # and reversals) links thousands of entries at once: grouped statements.
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

    # ------------------------------------------------------------------ corrections
    @api.model
    def _reconcile(self, existing, vals, key_prefix):
        """Values of the entry that makes ``existing`` (the slot's entries, every state)
        amount to ``vals``' amount in its direction: none when it already does; otherwise
        the live ones are withdrawn and a new revision of the slot is returned."""
        amount, direction = vals["amount"], vals["direction"]
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
        return [vals | {"source_key": f"{key_prefix}:{revision}"}]

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
                period = penalty.period_of(line.start_at, contract._period_tz())
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
        deadline_day = penalty.local_date(line.deadline, line.contract_id._period_tz())
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
        return lines._ledger_accrue()

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
