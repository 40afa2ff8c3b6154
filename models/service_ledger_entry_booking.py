"""The ledger's bulk booking: what the SLA clock and the stock check accrue (breaches,
lateness, shortfall days), priced by the contract's rules, described in the customer's
language, and inserted in one statement. Same model as service_ledger_entry.py."""

import logging

from psycopg2 import errors as pg_errors
from psycopg2.extras import Json

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import penalty
from ..tools.sla_time import aware_utc, late_hours
from .service_ledger_entry import LOCKED_FIELDS, _contract_tz, request_of, signed

_logger = logging.getLogger(__name__)

# The columns an accrual fills (see _insert_accruals), besides the log-access ones: what
# locks once an entry is confirmed, less its reference (given on confirmation) and the
# reversal link (reversals go through the ORM), plus its state.
INSERT_COLUMNS = (*sorted(LOCKED_FIELDS - {"name", "reversed_entry_id"}), "state")


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
