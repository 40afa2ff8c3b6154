from freezegun import freeze_time
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, Command, api
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.exceptions import AccessError, UserError
from odoo.service.model import retrying
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import sql_errors_logged


@freeze_time("2026-07-15")
@tagged("post_install", "-at_install")
class TestSettlement(AccountTestInvoicingCommon):
    """The accountant settles confirmed ledger entries into credit notes and invoices.
    Accounting set up by core's common class (company, chart, journals); contracts, work
    orders and entries are this class's own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company_data_2 = cls.setup_other_company()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        cls.journal = cls.company_data["default_journal_sale"]
        users = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        # Works for both companies (the other company's journal is in reach, and refused).
        cls.accountant = new_test_user(
            cls.env,
            login="bds_settle_accountant",
            groups="base.group_user,barcode_device_service.group_device_service_accountant",
            company_id=cls.company.id,
            company_ids=[Command.set((cls.company | cls.company_data_2["company"]).ids)],
        )
        cls.manager = new_test_user(
            cls.env,
            login="bds_settle_manager",
            groups="base.group_user,account.group_account_invoice,"
            "barcode_device_service.group_device_service_manager",
            **users,
        )
        cls.technician = new_test_user(
            cls.env,
            login="bds_settle_technician",
            groups="base.group_user,barcode_device_service.group_device_service_user",
            **users,
        )
        cls.contract_a = cls._contract(cls.partner_a)
        cls.contract_b = cls._contract(cls.partner_b)
        team = (
            cls.env["maintenance.team"]
            .sudo()
            .create({"name": "Field", "company_id": cls.company.id})
        )
        Request = cls.env["maintenance.request"].sudo().with_company(cls.company)
        cls.request_1 = Request.create(
            {
                "name": "Line 3 printer jams",
                "company_id": cls.company.id,
                "maintenance_team_id": team.id,
            }
        )
        cls.request_2 = Request.create(
            {
                "name": "Scanner dock dead",
                "company_id": cls.company.id,
                "maintenance_team_id": team.id,
            }
        )

    # ------------------------------------------------------------ helpers
    @classmethod
    def _contract(cls, partner, **vals):
        # sudo: the set-up writes as the service manager would.
        contract = (
            cls.env["service.contract"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "date_start": "2026-01-01",
                    "date_end": "2026-12-31",
                    "monthly_fee": 1000,
                    **vals,
                }
            )
        )
        contract.action_activate()
        return contract

    def _entries(self, contract, specs, period="2026-06"):
        """Confirmed entries: ``specs`` are (kind, direction, amount, work order or None)."""
        Entry = self.env["service.ledger.entry"].with_user(self.manager)
        entries = Entry.create(
            [
                {
                    "contract_id": contract.id,
                    "kind": kind,
                    "direction": direction,
                    "amount": amount,
                    "date": f"{period}-10",
                    "res_model": request and "maintenance.request",
                    "res_id": request and request.id,
                }
                for kind, direction, amount, request in specs
            ]
        )
        entries.action_confirm()
        return entries.with_user(self.accountant)

    def _wizard(self, user=None, **vals):
        return (
            self.env["service.settlement.wizard"]
            .with_user(user or self.accountant)
            .create({"journal_id": self.journal.id, **vals})
        )

    def _settle(self, **vals):
        return self._wizard(**vals)._settle()

    def _moves(self):
        return self.env["account.move"].search(
            [("partner_id", "in", (self.partner_a | self.partner_b).ids)]
        )

    # ------------------------------------------------------------ tests
    def test_netting_both_directions(self):
        owed = self._entries(
            self.contract_a,
            [
                ("penalty", "credit", 500, self.request_1),
                ("penalty", "credit", 200, self.request_2),
                ("cap", "charge", 100, None),
                ("rebate", "charge", 50, None),
            ],
        )
        owing = self._entries(
            self.contract_b,
            [("rebate", "charge", 300, None), ("penalty", "credit", 100, self.request_1)],
        )
        wizard = self._wizard()
        self.assertIn("Credit note", wizard.preview_html)
        self.assertIn("Invoice", wizard.preview_html)
        moves, zero = self._settle()
        self.assertEqual(zero, [])
        self.assertEqual(len(moves), 2)
        credit_note = owed.settlement_move_id
        invoice = owing.settlement_move_id
        self.assertEqual(len(credit_note), 1)
        self.assertEqual((credit_note.move_type, credit_note.state), ("out_refund", "posted"))
        self.assertEqual(credit_note.amount_total, 550.0)
        self.assertEqual(credit_note.partner_id, self.partner_a)
        # Dated today by default, not in the settled month (maybe already declared for VAT).
        self.assertEqual(credit_note.date.isoformat(), "2026-07-15")
        self.assertEqual(credit_note.invoice_date.isoformat(), "2026-07-15")
        lines = credit_note.invoice_line_ids
        self.assertEqual(
            sorted((line.service_ledger_kind, line.price_subtotal) for line in lines),
            [("cap", -100.0), ("penalty", 700.0), ("rebate", -50.0)],
        )
        penalty_line = lines.filtered(lambda line: line.service_ledger_kind == "penalty")
        self.assertIn(self.request_1.name, penalty_line.name)
        self.assertIn(self.request_2.name, penalty_line.name)
        self.assertEqual(
            penalty_line.product_id,
            self.env.ref("barcode_device_service.product_settlement_penalty"),
        )
        self.assertEqual((invoice.move_type, invoice.amount_total), ("out_invoice", 200.0))
        self.assertEqual(set((owed | owing).mapped("state")), {"settled"})
        for entry in owed | owing:
            self.assertEqual(entry.move_line_ids.service_ledger_kind, entry.kind)
            self.assertEqual(entry.move_line_ids.move_id, entry.settlement_move_id)

    def test_penalty_line_lists_each_work_order_by_reference(self):
        """Three work orders with the same subject are three references on the line, each
        followed by its subject."""
        team = self.request_1.maintenance_team_id
        requests = (
            self.env["maintenance.request"]
            .sudo()
            .with_company(self.company)
            .create(
                [
                    {
                        "name": "Printhead worn",
                        "company_id": self.company.id,
                        "maintenance_team_id": team.id,
                    }
                    for _i in range(3)
                ]
            )
        )
        self._entries(
            self.contract_a, [("penalty", "credit", 100, request) for request in requests]
        )
        moves, _zero = self._settle()
        name = moves.invoice_line_ids.name
        for request in requests:
            self.assertTrue(request.reference.startswith("WO/"))
            self.assertIn(f"{request.reference} Printhead worn", name)

    def test_per_customer_grouping(self):
        other_contract = self._contract(self.partner_a)
        entries = self._entries(self.contract_a, [("penalty", "credit", 100, None)])
        entries |= self._entries(other_contract, [("penalty", "credit", 40, None)])
        moves, _zero = self._settle(grouping="customer")
        self.assertEqual(len(moves), 1)
        self.assertEqual(moves.amount_total, 140.0)
        self.assertEqual(len(moves.invoice_line_ids), 1)
        self.assertIn(other_contract.name, moves.invoice_origin)

    def test_draft_posted_by_hand_reset_and_cancel(self):
        entries = self._entries(self.contract_a, [("penalty", "credit", 300, self.request_1)])
        moves, _zero = self._settle(move_state="draft")
        self.assertEqual(moves.state, "draft")
        self.assertEqual(entries.state, "confirmed", "a draft settles nothing")
        self.assertEqual(entries.settlement_move_id, moves)
        with self.assertRaisesRegex(UserError, "Nothing to settle"):
            self._settle()
        moves.with_user(self.accountant).action_post()
        self.assertEqual(entries.state, "settled")
        self.assertEqual(entries.move_line_ids.move_id, moves)
        moves.with_user(self.accountant).button_draft()
        self.assertEqual(entries.state, "confirmed")
        self.assertFalse(entries.move_line_ids)
        self.assertEqual(entries.settlement_move_id, moves, "the draft still holds them")
        moves.with_user(self.accountant).action_post()
        self.assertEqual(entries.state, "settled")
        moves.with_user(self.accountant).button_cancel()
        self.assertEqual(moves.state, "cancel")
        self.assertEqual(entries.state, "confirmed")
        self.assertFalse(entries.settlement_move_id)
        again, _zero = self._settle()
        self.assertEqual((again.state, entries.state), ("posted", "settled"))

    def test_reversal_reopens_the_entries(self):
        entries = self._entries(self.contract_a, [("penalty", "credit", 300, self.request_1)])
        moves, _zero = self._settle()
        self.assertEqual(entries.state, "settled")
        # A draft credit note of the credit note reverses nothing until it is posted.
        reversal = moves.with_user(self.accountant)._reverse_moves()
        self.assertEqual((reversal.move_type, reversal.state), ("out_invoice", "draft"))
        self.assertEqual(entries.state, "settled")
        reversal.with_user(self.accountant).action_post()
        self.assertEqual(entries.state, "confirmed")
        self.assertFalse(entries.settlement_move_id or entries.move_line_ids)
        # Settled again, then reversed with cancellation (posted at once).
        again, _zero = self._settle()
        self.assertEqual(entries.settlement_move_id, again)
        again.with_user(self.accountant)._reverse_moves(cancel=True)
        self.assertEqual(entries.state, "confirmed")
        self.assertFalse(entries.settlement_move_id)

    # ------------------------------------------------------------ the invariant
    def _money(self, contract, period="2026-06"):
        """Both sides of the settlement's invariant for ``contract`` and ``period``: what the
        posted documents to the customer credit net of their reversals (each contract of
        these tests has its own customer and settles one period), and what the settled
        entries of the period credit. Positive: credited to the customer."""
        # sudo: the test's own user is an invoicing user without the ledger's groups.
        documents = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", contract.partner_id.id),
                    ("move_type", "in", ("out_invoice", "out_refund")),
                    ("state", "=", "posted"),
                ]
            )
        )
        settled = (
            self.env["service.ledger.entry"]
            .sudo()
            .search(
                [
                    ("contract_id", "=", contract.id),
                    ("period", "=", period),
                    ("state", "=", "settled"),
                ]
            )
        )
        return (
            -sum(documents.mapped("amount_untaxed_in_currency_signed")),
            sum(settled.mapped("signed_amount")),
        )

    def _assert_money_holds(self, contract, settled):
        documents, entries = self._money(contract)
        self.assertEqual(
            (documents, entries), (settled, settled), "posted documents = settled entries"
        )

    def _reversal_wizard(self, move, **vals):
        """Odoo's own reversal wizard on ``move``, as the accountant opens it."""
        return (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, **vals})
        )

    def _thousand_of_penalties(self, contract=None):
        return self._entries(
            contract or self.contract_a,
            [
                ("penalty", "credit", 600, self.request_1),
                ("penalty", "credit", 400, self.request_2),
            ],
        )

    def test_invariant_reverse_then_post_the_credit_note(self):
        entries = self._thousand_of_penalties()
        moves, _zero = self._settle()
        self._assert_money_holds(self.contract_a, 1000.0)
        wizard = self._reversal_wizard(moves, reason="Wrong month")
        wizard.refund_moves()
        reversal = wizard.new_move_ids
        self.assertEqual(reversal.state, "draft")
        self._assert_money_holds(self.contract_a, 1000.0)
        reversal.with_user(self.accountant).action_post()
        self._assert_money_holds(self.contract_a, 0.0)
        self.assertEqual(set(entries.mapped("state")), {"confirmed"})
        self._settle()
        self._assert_money_holds(self.contract_a, 1000.0)

    def test_invariant_reverse_and_cancel(self):
        self._thousand_of_penalties()
        moves, _zero = self._settle()
        moves.with_user(self.accountant)._reverse_moves(cancel=True)
        self._assert_money_holds(self.contract_a, 0.0)
        self._settle()
        self._assert_money_holds(self.contract_a, 1000.0)

    def test_invariant_reverse_and_new_draft(self):
        """The new draft takes over the entries: posting it settles them, and the next
        settlement finds nothing (it credited 2,000 for 1,000 of penalties)."""
        entries = self._thousand_of_penalties()
        moves, _zero = self._settle()
        wizard = self._reversal_wizard(moves, reason="Corrected")
        wizard.modify_moves()
        new_draft = wizard.new_move_ids
        self.assertEqual((new_draft.state, new_draft.move_type), ("draft", "out_refund"))
        self._assert_money_holds(self.contract_a, 0.0)
        self.assertEqual(entries.settlement_move_id, new_draft, "the new draft holds them")
        with self.assertRaisesRegex(UserError, "Nothing to settle"):
            self._settle()
        new_draft.with_user(self.accountant).action_post()
        self._assert_money_holds(self.contract_a, 1000.0)
        self.assertEqual(set(entries.mapped("state")), {"settled"})
        with self.assertRaisesRegex(UserError, "Nothing to settle"):
            self._settle()
        self._assert_money_holds(self.contract_a, 1000.0)

    def test_invariant_partial_credit_note_is_refused(self):
        """Entries are not split: a settlement is reversed in full or not at all, whether
        the accountant edits the credit note or invoice the wizard drafts or posts another
        one against the same document."""
        credited = self._thousand_of_penalties()
        charged = self._entries(self.contract_b, [("rebate", "charge", 500, None)])
        self._settle()
        credit_note, invoice = credited.settlement_move_id, charged.settlement_move_id
        self.assertEqual((credit_note.move_type, invoice.move_type), ("out_refund", "out_invoice"))
        for move, contract, amount in (
            (credit_note, self.contract_a, 1000.0),
            (invoice, self.contract_b, -500.0),
        ):
            with self.subTest(document=move.move_type):
                wizard = self._reversal_wizard(move, reason="Partial goodwill")
                wizard.refund_moves()
                partial = wizard.new_move_ids.with_user(self.accountant)
                line = partial.invoice_line_ids
                price = line.price_unit
                partial.write({"invoice_line_ids": [Command.update(line.id, {"price_unit": 150})]})
                with self.assertRaisesRegex(UserError, "in full"):
                    partial.action_post()
                self._assert_money_holds(contract, amount)
                # In full it goes; a second reversal of the same document does not.
                partial.write(
                    {"invoice_line_ids": [Command.update(line.id, {"price_unit": price})]}
                )
                wizard = self._reversal_wizard(move, reason="Twice")
                wizard.refund_moves()
                partial.action_post()
                self._assert_money_holds(contract, 0.0)
                with self.assertRaisesRegex(UserError, "already reversed"):
                    wizard.new_move_ids.with_user(self.accountant).action_post()
                self._assert_money_holds(contract, 0.0)

    def test_invariant_reset_to_draft_edit_and_cancel(self):
        entries = self._thousand_of_penalties()
        moves, _zero = self._settle()
        moves = moves.with_user(self.accountant)
        moves.button_draft()
        self._assert_money_holds(self.contract_a, 0.0)
        line = moves.invoice_line_ids
        moves.write({"invoice_line_ids": [Command.update(line.id, {"price_unit": 1500})]})
        with self.assertRaisesRegex(UserError, "entries it settles"):
            moves.action_post()
        self._assert_money_holds(self.contract_a, 0.0)
        moves.write({"invoice_line_ids": [Command.update(line.id, {"price_unit": 1000})]})
        moves.action_post()
        self._assert_money_holds(self.contract_a, 1000.0)
        moves.button_cancel()
        self._assert_money_holds(self.contract_a, 0.0)
        self.assertFalse(entries.settlement_move_id)
        again, _zero = self._settle()
        self._assert_money_holds(self.contract_a, 1000.0)
        # A posted reversal stands, and so does the document it reverses: neither goes back
        # to draft (the entries are open again, or settled anew).
        reversal = again.with_user(self.accountant)._reverse_moves(cancel=True)
        for move in (reversal, again):
            with self.subTest(move=move.move_type), self.assertRaisesRegex(UserError, "reverse"):
                move.with_user(self.accountant).button_draft()
        self._assert_money_holds(self.contract_a, 0.0)
        # Nor is a reversal reversed: the entries are settled again instead.
        with self.assertRaisesRegex(UserError, "settle the entries again"):
            reversal.with_user(self.accountant)._reverse_moves(cancel=True)
        self._settle()
        self._assert_money_holds(self.contract_a, 1000.0)

    def test_never_twice_and_zero_net(self):
        self._entries(self.contract_a, [("penalty", "credit", 300, None)])
        balanced = self._entries(
            self.contract_b, [("penalty", "credit", 80, None), ("rebate", "charge", 80, None)]
        )
        self.assertIn("nets to zero", self._wizard().preview_html)
        moves, zero = self._settle()
        self.assertEqual(len(moves), 1)
        self.assertEqual(zero, [self.contract_b.display_name])
        self.assertEqual(set(balanced.mapped("state")), {"confirmed"})
        with self.assertRaisesRegex(UserError, "net to zero"):
            self._settle()
        self.assertEqual(self._moves(), moves)

    def test_bad_input_creates_nothing(self):
        self._entries(self.contract_a, [("penalty", "credit", 300, None)])
        ruled = self._contract(self.partner_b)
        self.env["service.penalty.rule"].sudo().create(
            {
                "contract_id": ruled.id,
                "computation": "fixed",
                "amount": 5,
                "date_from": "2026-01-01",
            }
        )
        self._entries(ruled, [("penalty", "credit", 5, None)])
        cases = [
            ({"contract_ids": [Command.set(self.contract_b.ids)]}, "Nothing to settle"),
            ({"period_from": "2026-07", "period_to": "2026-07"}, "not closed yet"),
            ({"period_to": "2026-13"}, "YYYY-MM"),
            ({"period_from": "2026-06", "period_to": "2026-05"}, "comes after"),
            ({"journal_id": self.company_data_2["default_journal_sale"].id}, "belongs to"),
            ({"journal_id": self.company_data["default_journal_purchase"].id}, "not a sales"),
            ({"contract_ids": [Command.set(ruled.ids)]}, "period job"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals), self.assertRaisesRegex(UserError, message):
                self._settle(**vals)
        self.journal.sudo().currency_id = self.eur
        with self.assertRaisesRegex(UserError, "books in EUR only"):
            self._settle(contract_ids=[Command.set(self.contract_a.ids)])
        self.assertFalse(self._moves())

    def test_lock_date_is_refused_clearly(self):
        entries = self._entries(self.contract_a, [("penalty", "credit", 300, None)])
        # June is declared: dated at June's end the settlement is refused, nothing written.
        self.company.sudo().sale_lock_date = "2026-06-30"
        with self.assertRaisesRegex(UserError, "locked its accounting"):
            self._settle(date_mode="period_end")
        self.assertFalse(self._moves())
        self.assertEqual(entries.state, "confirmed")
        self.assertFalse(entries.settlement_move_id)
        # A date the accountant picks inside a locked period is refused too.
        with self.assertRaisesRegex(UserError, "locked its accounting"):
            self._settle(date_mode="custom", document_date="2026-06-30")
        self.assertFalse(self._moves())
        # Dated today (the default), it settles in the open period.
        moves, _zero = self._settle()
        self.assertEqual(moves.date.isoformat(), "2026-07-15")
        self.assertEqual(entries.settlement_move_id, moves)

    def test_document_date_choice(self):
        """The accountant chooses the documents' date: today by default, the settled
        month's end as an option, or a date of their own, never before the month ends."""
        self._entries(self.contract_a, [("penalty", "credit", 300, None)])
        wizard = self._wizard()
        self.assertEqual(
            (wizard.date_mode, wizard.document_date.isoformat()), ("today", "2026-07-15")
        )
        wizard.date_mode = "period_end"
        self.assertEqual(wizard.document_date.isoformat(), "2026-06-30")
        wizard.period_from = wizard.period_to = "2026-05"
        self.assertEqual(wizard.document_date.isoformat(), "2026-05-31")
        wizard.date_mode = "today"
        self.assertEqual(wizard.document_date.isoformat(), "2026-07-15")
        with self.assertRaisesRegex(UserError, "before the end of"):
            self._settle(date_mode="custom", document_date="2026-06-20")
        self.assertFalse(self._moves())
        moves, _zero = self._settle(date_mode="custom", document_date="2026-07-01")
        self.assertEqual(
            (moves.date.isoformat(), moves.invoice_date.isoformat()), ("2026-07-01", "2026-07-01")
        )

    def test_hash_restricted_journal_posts(self):
        self.journal.sudo().restrict_mode_hash_table = True
        entries = self._entries(self.contract_a, [("penalty", "credit", 300, None)])
        moves, _zero = self._settle()
        self.assertEqual(moves.state, "posted")
        self.assertTrue(moves.inalterable_hash)
        self.assertEqual(entries.state, "settled")
        # A hashed document is final: undone only by a credit note of the credit note.
        with self.assertRaises(UserError):
            moves.with_user(self.accountant).button_draft()
        self.assertEqual(entries.state, "settled")
        moves.with_user(self.accountant)._reverse_moves(cancel=True)
        self.assertEqual(entries.state, "confirmed")

    def test_contract_in_another_currency(self):
        contract = self._contract(self.partner_b, currency_id=self.eur.id)
        entries = self._entries(contract, [("penalty", "credit", 100, None)])
        moves, _zero = self._settle(contract_ids=[Command.set(contract.ids)])
        self.assertEqual(moves.currency_id, self.eur)
        self.assertEqual(moves.amount_total, 100.0)
        self.assertEqual(moves.amount_total_signed, -50.0, "converted at the rate of 2")
        self.assertEqual(entries.state, "settled")

    def test_rights(self):
        self._entries(self.contract_a, [("penalty", "credit", 300, None)])
        for user in (self.manager, self.technician):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._wizard(user=user)
        self.assertTrue(self._settle()[0])

    def test_statement_pdf(self):
        entries = self._entries(
            self.contract_a,
            [("penalty", "credit", 500, self.request_1), ("cap", "charge", 100, None)],
        )
        moves, _zero = self._settle()
        html = (
            self.env["ir.actions.report"]
            .with_user(self.accountant)
            ._render_qweb_html(
                "barcode_device_service.action_report_ledger_statement", entries.ids
            )[0]
            .decode()
        )
        for text in (self.contract_a.name, "2026-06", self.request_1.name, moves.name):
            self.assertIn(text, html)


@tagged("post_install", "-at_install")
class TestSettlementConcurrency(TransactionCase):
    """Two accountants settle the same entries at once, in their own transactions on
    committed data: exactly one document."""

    def setUp(self):
        super().setUp()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company = env.ref("base.main_company")
            Account = env["account.account"].with_company(company)
            receivable = Account.create(
                {
                    "name": "BDS race receivable",
                    "code": "BDSR1",
                    "account_type": "asset_receivable",
                    "reconcile": True,
                }
            )
            income = Account.create(
                {"name": "BDS race income", "code": "BDSR2", "account_type": "income"}
            )
            journal = env["account.journal"].create(
                {
                    "name": "BDS race sales",
                    "code": "BDSR",
                    "type": "sale",
                    "company_id": company.id,
                    "default_account_id": income.id,
                }
            )
            partner = (
                env["res.partner"]
                .with_company(company)
                .create(
                    {
                        "name": "Race Customer",
                        "is_company": True,
                        "property_account_receivable_id": receivable.id,
                    }
                )
            )
            contract = env["service.contract"].create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "date_start": "2024-01-01",
                    "date_end": "2024-12-31",
                    "monthly_fee": 1000,
                }
            )
            contract.action_activate()
            env["service.ledger.entry"].create(
                [
                    {
                        "contract_id": contract.id,
                        "kind": "penalty",
                        "amount": amount,
                        "date": "2024-05-10",
                        "state": "confirmed",
                        "name": f"RACE{amount}",
                    }
                    for amount in (100, 250)
                ]
            )
            self.ids = {
                "company": company.id,
                "journal": journal.id,
                "contract": contract.id,
                "partner": partner.id,
                "accounts": [receivable.id, income.id],
            }
        self.addCleanup(self._drop_data)
        self.workers = [
            api.Environment(self.env.registry.cursor(), SUPERUSER_ID, {}) for _i in range(2)
        ]
        for worker in self.workers:
            self.addCleanup(worker.cr.close)

    def _drop_data(self):
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["account.move"].search([("journal_id", "=", self.ids["journal"])]).unlink()
            cr.execute(
                "DELETE FROM service_ledger_entry WHERE contract_id = %s", [self.ids["contract"]]
            )
            cr.execute(
                "DELETE FROM service_contract_sla WHERE contract_id = %s", [self.ids["contract"]]
            )
            cr.execute("DELETE FROM service_contract WHERE id = %s", [self.ids["contract"]])
            cr.execute("DELETE FROM res_partner WHERE id = %s", [self.ids["partner"]])
            env["account.journal"].browse(self.ids["journal"]).unlink()
            env["account.account"].browse(self.ids["accounts"]).unlink()

    def _wizard(self, env):
        return env["service.settlement.wizard"].create(
            {
                "company_id": self.ids["company"],
                "journal_id": self.ids["journal"],
                "period_from": "2024-05",
                "period_to": "2024-05",
                "contract_ids": [Command.set([self.ids["contract"]])],
                "move_state": "draft",
            }
        )

    def _move_count(self):
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM account_move WHERE journal_id = %s", [self.ids["journal"]]
            )
            return cr.fetchone()[0]

    @freeze_time("2024-07-15")
    def test_two_accountants_at_once_make_one_document(self):
        first, second = self.workers
        moves, _zero = self._wizard(first)._settle()
        self.assertEqual(len(moves), 1)
        # The first has not committed yet: its row locks stop the second at once.
        with sql_errors_logged() as logged, self.assertRaisesRegex(UserError, "Another settlement"):
            self._wizard(second)._settle()
        self.assertEqual(logged, [], "an expected lock refusal is not a database error")
        second.cr.rollback()
        first.cr.commit()
        # Committed: the second sees the entries taken.
        with self.assertRaisesRegex(UserError, "Nothing to settle"):
            self._wizard(second)._settle()
        second.cr.rollback()
        self.assertEqual(self._move_count(), 1)
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT DISTINCT settlement_move_id FROM service_ledger_entry"
                " WHERE contract_id = %s",
                [self.ids["contract"]],
            )
            self.assertEqual(cr.fetchall(), [(moves.id,)])

    @freeze_time("2024-07-15")
    def test_a_settlement_begun_before_the_other_committed_is_run_again(self):
        """The second accountant's transaction began (its snapshot still shows the entries
        free) before the first one committed: PostgreSQL refuses its locks as a concurrent
        update, and run again, as Odoo runs such a request again, it finds nothing to
        settle."""
        first, second = self.workers
        self._wizard(second)  # the second's transaction and snapshot begin here
        moves, _zero = self._wizard(first)._settle()
        first.cr.commit()
        with mute_logger("odoo.sql_db"), self.assertRaises(pg_errors.SerializationFailure):
            self._wizard(second)._settle()
        second.cr.rollback()
        with self.assertRaisesRegex(UserError, "Nothing to settle"):
            retrying(lambda: self._wizard(second)._settle(), second)
        second.cr.rollback()
        self.assertEqual(self._move_count(), 1)
        self.assertEqual(len(moves), 1)

    def test_the_link_table_takes_an_entry_once(self):
        with self.env.registry.cursor() as cr:
            cr.execute(
                "SELECT id FROM service_ledger_entry WHERE contract_id = %s LIMIT 1",
                [self.ids["contract"]],
            )
            entry_id = cr.fetchone()[0]
            # Two journal items of this test's own (rolled back below), not whatever the
            # database holds: a database without demo data has none.
            env = api.Environment(cr, SUPERUSER_ID, {})
            receivable, income = self.ids["accounts"]
            move = env["account.move"].create(
                {
                    "move_type": "entry",
                    "journal_id": self.ids["journal"],
                    "line_ids": [
                        Command.create({"account_id": receivable, "debit": 10.0}),
                        Command.create({"account_id": income, "credit": 10.0}),
                    ],
                }
            )
            line_ids = move.line_ids.ids
            env.flush_all()
            cr.execute(
                "INSERT INTO service_ledger_entry_move_line_rel VALUES (%s, %s)",
                [entry_id, line_ids[0]],
            )
            with mute_logger("odoo.sql_db"), self.assertRaises(pg_errors.UniqueViolation):
                cr.execute(
                    "INSERT INTO service_ledger_entry_move_line_rel VALUES (%s, %s)",
                    [entry_id, line_ids[1]],
                )
            cr.rollback()
