from contextlib import contextmanager

from freezegun import freeze_time

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, new_test_user, tagged


@freeze_time("2026-01-15")
@tagged("post_install", "-at_install")
class TestPriceLock(AccountTestInvoicingCommon):
    """Price locks of a contract on customer invoices: suggested, enforced, converted and
    totalled. Accounting set up by core's common class (company, chart, journals, taxes);
    the poster is core's accountant (no Device Service rights) unless a manager is named."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_data_2 = cls.setup_other_company()
        cls.company_a = cls.company_data["company"]
        cls.company_b = cls.company_data_2["company"]
        cls.eur = cls.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        cls.accountant = cls.env.user
        cls.service_manager = new_test_user(
            cls.env,
            login="bds_lock_manager",
            groups="base.group_user,account.group_account_invoice,"
            "barcode_device_service.group_device_service_manager",
            company_id=cls.company_a.id,
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )
        cls.customer = cls.partner_a
        cls.contact = cls.env["res.partner"].create(
            {"name": "Purchasing desk", "parent_id": cls.customer.id}
        )
        cls.print_head = cls._create_product(name="Print Head 203 dpi", lst_price=1000.0)
        cls.roller = cls._create_product(name="Platen Roller", lst_price=200.0)
        cls.unlocked = cls._create_product(name="Cleaning Kit", lst_price=50.0)
        cls.contract = cls._contract()
        cls.lock = cls._lock(cls.contract, cls.print_head, 900.0)
        cls.contract.action_activate()

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    @classmethod
    def _contract(cls, company=None, partner=None, **vals):
        company = company or cls.company_a
        # sudo: the set-up writes as the service manager would; the accountant cannot.
        return (
            cls.env["service.contract"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "partner_id": (partner or cls.customer).id,
                    "company_id": company.id,
                    "date_start": "2025-01-01",
                    "date_end": "2025-12-31",
                    **vals,
                }
            )
        )

    @classmethod
    def _lock(cls, contract, product, price, **vals):
        return (
            cls.env["service.contract.price.lock"]
            .sudo()
            .create(
                {
                    "contract_id": contract.id,
                    "product_id": product.id,
                    "price_unit": price,
                    **vals,
                }
            )
        )

    def _invoice(self, lines, move_type="out_invoice", date="2025-03-01", **vals):
        """A draft customer document; ``lines`` are (product, quantity, price or None)."""
        return self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": self.customer.id,
                "invoice_date": date,
                "invoice_line_ids": [
                    Command.create(
                        {"product_id": product.id, "quantity": quantity}
                        | ({} if price is None else {"price_unit": price})
                    )
                    for product, quantity, price in lines
                ],
                **vals,
            }
        )

    def _queries(self, function):
        """Queries ``function`` runs on a cold record cache (registry caches warmed up)."""
        self._cold_cache()
        function()
        self._cold_cache()
        before = self.env.cr.sql_log_count
        function()
        return self.env.cr.sql_log_count - before

    def _cold_cache(self):
        self.env.flush_all()
        self.env.cr.flush()
        self.env.invalidate_all()

    @contextmanager
    def _refused(self, exception, pattern):
        """Expect ``exception`` matching ``pattern``, rolling back what the attempt wrote (as
        the failed request would)."""
        with self.assertRaisesRegex(exception, pattern), self.env.cr.savepoint():
            yield

    def _post_as(self, user, invoice):
        invoice.with_user(user).action_post()
        return invoice

    # ------------------------------------------------------------
    # the plain invoice path
    # ------------------------------------------------------------

    def test_draft_line_proposes_the_locked_price(self):
        move_form = Form(self.env["account.move"].with_context(default_move_type="out_invoice"))
        move_form.partner_id = self.contact
        move_form.invoice_date = "2025-03-01"
        with move_form.invoice_line_ids.new() as line:
            line.product_id = self.print_head
            self.assertEqual(line.price_unit, 900.0)
        with move_form.invoice_line_ids.new() as line:
            line.product_id = self.unlocked
            self.assertEqual(line.price_unit, 50.0)
        invoice = move_form.save()
        self.assertEqual(invoice.invoice_line_ids.mapped("price_unit"), [900.0, 50.0])
        # Created without a price (as the work-order invoice does): the same.
        created = self._invoice([(self.print_head, 1, None), (self.roller, 1, None)])
        self.assertEqual(created.invoice_line_ids.mapped("price_unit"), [900.0, 200.0])
        # Outside the validity the list price stands.
        later = self._invoice([(self.print_head, 1, None)], date="2026-01-10")
        self.assertEqual(later.invoice_line_ids.price_unit, 1000.0)

    def test_posting_above_the_lock_is_refused_for_everyone(self):
        invoice = self._invoice([(self.print_head, 2, 950.0), (self.unlocked, 1, 80.0)])
        for user in (self.accountant, self.service_manager):
            with self.assertRaises(UserError) as caught:
                self._post_as(user, invoice)
            message = str(caught.exception)
            for part in (self.contract.name, "Print Head 203 dpi", "900.00", "950.00"):
                self.assertIn(part, message)
            self.assertEqual(invoice.state, "draft")

    def test_posting_at_the_lock_is_accepted_without_device_service_rights(self):
        self.assertFalse(
            self.accountant.has_group("barcode_device_service.group_device_service_user")
        )
        invoice = self._invoice([(self.print_head, 2, 900.0), (self.unlocked, 1, 80.0)])
        self._post_as(self.accountant, invoice)
        self.assertEqual(invoice.state, "posted")
        # A discount counts: 1000 less 10 % is the locked 900.
        discounted = self._invoice([(self.print_head, 1, 1000.0)])
        discounted.invoice_line_ids.discount = 10.0
        self._post_as(self.accountant, discounted)
        self.assertEqual(discounted.state, "posted")

    def test_below_the_lock_only_for_a_service_manager(self):
        invoice = self._invoice([(self.print_head, 1, 850.0)])
        with self._refused(UserError, "Only a Device Service manager"):
            self._post_as(self.accountant, invoice)
        self.assertEqual(invoice.state, "draft")
        self._post_as(self.service_manager, invoice)
        self.assertEqual(invoice.state, "posted")

    def test_credit_notes_are_not_held_to_the_lock(self):
        refund = self._invoice([(self.print_head, 1, 1200.0)], move_type="out_refund")
        self.assertEqual(refund.invoice_line_ids.price_unit, 1200.0)
        self._post_as(self.accountant, refund)
        self.assertEqual(refund.state, "posted")

    def test_several_invoices_posted_together(self):
        good = self._invoice([(self.print_head, 1, 900.0)])
        bad = self._invoice([(self.print_head, 1, 901.0)])
        with self._refused(UserError, "901.00"):
            (good | bad).with_user(self.accountant).action_post()
        self.assertEqual((good | bad).mapped("state"), ["draft", "draft"])

    def test_currency_conversion_at_the_invoice_date(self):
        # Invoice in EUR (2 EUR per company-currency unit): the lock of 900 is 1800 EUR.
        invoice = self._invoice([(self.print_head, 1, None)], currency_id=self.eur.id)
        self.assertEqual(invoice.invoice_line_ids.price_unit, 1800.0)
        invoice.invoice_line_ids.price_unit = 1810.0
        with self._refused(UserError, "1,800.00"):
            self._post_as(self.accountant, invoice)
        invoice.invoice_line_ids.price_unit = 1800.0
        self._post_as(self.accountant, invoice)
        self.assertEqual(invoice.state, "posted")
        # A contract in EUR locks 300 EUR: 150 on an invoice in the company currency.
        eur_contract = self._contract(currency_id=self.eur.id, partner=self.partner_b)
        self._lock(eur_contract, self.roller, 300.0)
        eur_contract.action_activate()
        other = self._invoice([(self.roller, 1, None)], partner_id=self.partner_b.id)
        self.assertEqual(other.invoice_line_ids.price_unit, 150.0)
        other.invoice_line_ids.price_unit = 151.0
        with self._refused(UserError, "300.00"):
            self._post_as(self.accountant, other)

    def test_locks_of_another_company_do_not_apply(self):
        contract_b = self._contract(company=self.company_b)
        self._lock(contract_b, self.roller, 120.0)
        contract_b.action_activate()
        invoice_a = self._invoice([(self.roller, 1, None)])
        self.assertEqual(invoice_a.invoice_line_ids.price_unit, 200.0)
        self._post_as(self.accountant, invoice_a)
        self.assertEqual(invoice_a.state, "posted")
        invoice_b = (
            self.env["account.move"]
            .with_company(self.company_b)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "invoice_date": "2025-03-01",
                    "invoice_line_ids": [
                        Command.create({"product_id": self.roller.id, "price_unit": 200.0})
                    ],
                }
            )
        )
        self.assertEqual(invoice_b.company_id, self.company_b)
        with self._refused(UserError, contract_b.name):
            invoice_b.with_company(self.company_b).action_post()

    def test_locks_of_draft_or_ended_contracts_do_not_apply(self):
        draft = self._contract(partner=self.partner_b)
        self._lock(draft, self.roller, 100.0)
        invoice = self._invoice([(self.roller, 1, 200.0)], partner_id=self.partner_b.id)
        self._post_as(self.accountant, invoice)
        self.assertEqual(invoice.state, "posted")
        self.contract.action_terminate()
        above = self._invoice([(self.print_head, 1, 1000.0)])
        self._post_as(self.accountant, above)
        self.assertEqual(above.state, "posted")

    # ------------------------------------------------------------
    # bad input on the lock
    # ------------------------------------------------------------

    def test_overlapping_locks_are_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self._lock(self.contract, self.print_head, 880.0, date_from="2025-06-01")
        message = str(caught.exception)
        self.assertIn("Print Head 203 dpi", message)
        self.assertIn("01/01/2025", message)
        self.assertIn("06/01/2025", message)
        self.assertEqual(len(self.contract.price_lock_ids), 1)
        # Consecutive periods are fine.
        self.lock.date_to = "2025-06-30"
        self._lock(self.contract, self.print_head, 880.0, date_from="2025-07-01")
        self.assertEqual(len(self.contract.price_lock_ids), 2)
        with self._refused(ValidationError, "overlap"):
            self.lock.date_to = "2025-07-01"

    def test_bad_prices_and_periods_are_refused(self):
        with self._refused(ValidationError, "cannot be negative"):
            self._lock(self.contract, self.roller, -1.0)
        with self._refused(ValidationError, "within the period of contract"):
            self._lock(self.contract, self.roller, 150.0, date_to="2026-01-31")
        with self._refused(ValidationError, "within the period of contract"):
            self._lock(self.contract, self.roller, 150.0, date_from="2024-12-31")
        with self._refused(ValidationError, "before it starts"):
            self._lock(
                self.contract, self.roller, 150.0, date_from="2025-05-01", date_to="2025-04-01"
            )
        self.assertEqual(self.contract.price_lock_ids, self.lock)
        # Shortening the contract must still hold its locks.
        with self._refused(ValidationError, "within the period of contract"):
            self.contract.sudo().date_end = "2025-06-30"
        self.assertEqual(str(self.contract.date_end), "2025-12-31")

    def test_validity_defaults_to_the_contract_period(self):
        self.assertEqual(str(self.lock.date_from), "2025-01-01")
        self.assertEqual(str(self.lock.date_to), "2025-12-31")
        copy = self.contract.sudo().copy()
        self.assertEqual(copy.price_lock_ids.product_id, self.print_head)
        self.assertEqual(copy.price_lock_ids.price_unit, 900.0)

    # ------------------------------------------------------------
    # billed under the lock
    # ------------------------------------------------------------

    def test_billed_quantity_amount_and_saving(self):
        self.lock.date_to = "2025-06-30"
        post = self.accountant
        self._post_as(post, self._invoice([(self.print_head, 3, 900.0), (self.roller, 1, 200.0)]))
        # Covered parts billed at zero are no charge and no saving: the saving is against
        # what the customer would have paid without the lock, for chargeable lines only.
        self._post_as(self.service_manager, self._invoice([(self.print_head, 2, 0.0)]))
        # In EUR at 2 per unit: 1800 EUR is 900 in the company currency.
        self._post_as(post, self._invoice([(self.print_head, 1, 1800.0)], currency_id=self.eur.id))
        self._post_as(post, self._invoice([(self.print_head, 1, 900.0)], move_type="out_refund"))
        # Not under the lock: after its validity, a draft, another customer.
        self._post_as(post, self._invoice([(self.print_head, 5, 1000.0)], date="2025-08-01"))
        self._invoice([(self.print_head, 7, 900.0)])
        self._post_as(
            post, self._invoice([(self.print_head, 11, 1000.0)], partner_id=self.partner_b.id)
        )
        self.lock.invalidate_recordset()
        self.assertAlmostEqual(self.lock.billed_qty, 3.0)
        self.assertAlmostEqual(self.lock.billed_amount, 2700.0)
        self.assertAlmostEqual(self.lock.saving_amount, 300.0)
        # Computed for many locks with one grouped read.
        roller_lock = self._lock(self.contract, self.roller, 180.0)
        locks = self.lock | roller_lock
        one = self._queries(lambda: self.lock.billed_qty)
        self._cold_cache()
        with self.assertQueryCount(one):
            self.assertEqual(locks.mapped("billed_qty"), [3.0, 1.0])

    # ------------------------------------------------------------
    # speed
    # ------------------------------------------------------------

    def test_locks_read_once_per_posting(self):
        """The check costs the same queries for 5 or 50 locked lines."""
        parts = self.env["product.product"].create(
            [{"name": f"Spare {i}", "lst_price": 100.0} for i in range(50)]
        )
        for part in parts:
            self._lock(self.contract, part, 90.0)
        small = self._invoice([(part, 1, 90.0) for part in parts[:5]])
        large = self._invoice([(part, 1, 90.0) for part in parts])
        with_five = self._queries(small._check_price_locks)
        self.assertEqual(self._queries(large._check_price_locks), with_five)
        self._cold_cache()
        with self.assertQueryCount(with_five):
            large._check_price_locks()
        self._post_as(self.accountant, large)
        self.assertEqual(large.state, "posted")
