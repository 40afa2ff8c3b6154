import importlib.util
from pathlib import Path

from freezegun import freeze_time
from psycopg2.errors import UniqueViolation

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestContractFeeBilling(AccountTestInvoicingCommon):
    """The period job bills each active contract's monthly fee in advance: one draft
    invoice per contract and month, in the contract's currency, never twice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(su=True)
        cls.company = cls.company_data["company"]
        cls.eur = cls.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        cls.customer = cls.partner_a
        cls.shanghai = cls.env["resource.calendar"].create(
            {"name": "Shanghai 7x24", "tz": "Asia/Shanghai", "company_id": False}
        )
        cls.fee_product = cls.env.ref("barcode_device_service.product_service_contract_fee")

    def _contract(self, **vals):
        contract = self.env["service.contract"].create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "date_start": "2026-01-01",
                "date_end": "2026-12-31",
                "monthly_fee": 1200.0,
                "resource_calendar_id": self.shanghai.id,
                **vals,
            }
        )
        contract.action_activate()
        return contract

    def _bill(self):
        self.env["service.contract"]._cron_bill_fees(commit=False)

    def test_billed_in_advance_once_per_month(self):
        with freeze_time("2026-01-01 03:00:00"):
            contract = self._contract()
            self._bill()
        invoice = contract.fee_invoice_ids
        self.assertRecordValues(
            invoice,
            [
                {
                    "move_type": "out_invoice",
                    "state": "draft",
                    "partner_id": self.customer.id,
                    "currency_id": self.company.currency_id.id,
                    "service_fee_period": "2026-01",
                    "invoice_origin": contract.name,
                    "amount_untaxed": 1200.0,
                }
            ],
        )
        self.assertEqual(invoice.invoice_line_ids.product_id, self.fee_product)
        self.assertIn("service fee", invoice.invoice_line_ids.name)
        self.assertEqual((contract.fee_invoice_count, contract.fee_billed_period), (1, "2026-01"))
        # The job runs again the same day, and every day of the month: nothing new.
        with freeze_time("2026-01-20 03:00:00"):
            self._bill()
        self.assertEqual(len(contract.fee_invoice_ids), 1)
        # February begins in Shanghai (UTC+8) at 16:00 UTC the day before.
        with freeze_time("2026-01-31 15:59:00"):
            self._bill()
        self.assertEqual(len(contract.fee_invoice_ids), 1)
        with freeze_time("2026-01-31 16:00:00"):
            self._bill()
        self.assertEqual(
            sorted(contract.fee_invoice_ids.mapped("service_fee_period")), ["2026-01", "2026-02"]
        )
        action = contract.action_view_fee_invoices()
        self.assertEqual(
            self.env["account.move"].search(action["domain"]), contract.fee_invoice_ids
        )

    def test_catch_up_one_invoice_per_month(self):
        """A contract started earlier, or a job that did not run: each month gets its own
        invoice, the missed ones too."""
        with freeze_time("2026-03-10 03:00:00"):
            contract = self._contract()
            self._bill()
        self.assertEqual(
            sorted(contract.fee_invoice_ids.mapped("service_fee_period")),
            ["2026-01", "2026-02", "2026-03"],
        )

    def test_cancelled_or_deleted_draft_is_not_billed_again(self):
        with freeze_time("2026-01-05 03:00:00"):
            contract = self._contract()
            self._bill()
            january = contract.fee_invoice_ids
            january.button_cancel()
            self._bill()
            self.assertEqual(contract.fee_invoice_ids, january)
            january.button_draft()
            january.unlink()
            self._bill()
        self.assertFalse(contract.fee_invoice_ids, "the accountant's decision stands")

    def test_a_month_cannot_be_invoiced_twice(self):
        with freeze_time("2026-01-05 03:00:00"):
            contract = self._contract()
            self._bill()
        values = contract._fee_invoice_values("2026-01", contract.fee_invoice_ids.journal_id)
        with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation), self.cr.savepoint():
            self.env["account.move"].create(values)

    def test_currency_dates_and_state(self):
        with freeze_time("2026-05-02 03:00:00"):
            in_euros = self._contract(currency_id=self.eur.id, date_start="2026-05-01")
            ended = self._contract(date_start="2026-02-01", date_end="2026-03-15")
            terminated = self._contract(date_start="2026-05-01")
            terminated.state = "terminated"
            free = self._contract(monthly_fee=0.0)
            draft = self.env["service.contract"].create(
                {
                    "partner_id": self.customer.id,
                    "date_start": "2026-05-01",
                    "date_end": "2026-12-31",
                    "monthly_fee": 99.0,
                }
            )
            self._bill()
        self.assertRecordValues(
            in_euros.fee_invoice_ids,
            [{"currency_id": self.eur.id, "amount_untaxed": 1200.0}],
        )
        # Ended in March (the job expires it later): February and March, nothing after.
        self.assertEqual(
            sorted(ended.fee_invoice_ids.mapped("service_fee_period")), ["2026-02", "2026-03"]
        )
        self.assertFalse(terminated.fee_invoice_ids | free.fee_invoice_ids | draft.fee_invoice_ids)

    def test_posting_dates_in_an_open_period(self):
        """The draft is undated: the accountant posts it in an open period, also when the
        month it bills is declared already."""
        with freeze_time("2026-01-05 03:00:00"):
            contract = self._contract()
            self._bill()
        invoice = contract.fee_invoice_ids
        self.assertFalse(invoice.invoice_date)
        self.company.sale_lock_date = "2026-01-31"
        with freeze_time("2026-02-03 03:00:00"):
            invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertGreater(invoice.date.isoformat(), "2026-01-31")

    def test_companies_are_billed_in_their_own_journal(self):
        other = self.setup_other_company()["company"]
        customer_b = self.env["res.partner"].create({"name": "Other customer"})
        with freeze_time("2026-01-05 03:00:00"):
            contract = self._contract(
                company_id=other.id,
                partner_id=customer_b.id,
                fee_product_id=False,
                currency_id=other.currency_id.id,
            )
            self._bill()
        self.assertEqual(contract.fee_invoice_ids.company_id, other)
        self.assertEqual(contract.fee_invoice_ids.journal_id.company_id, other)
        self.assertEqual(contract.fee_invoice_ids.amount_untaxed, 1200.0)

    def test_copy_starts_unbilled(self):
        with freeze_time("2026-01-05 03:00:00"):
            contract = self._contract()
            self._bill()
        copy = contract.copy()
        self.assertFalse(copy.fee_billed_period)
        self.assertFalse(copy.fee_invoice_ids)

    def test_upgrade_over_existing_contracts_bills_from_next_month(self):
        """Installed over contracts billed by hand until now: the upgrade marks them billed
        through the current month; the job bills the next one first."""
        migration = self._migration()
        with freeze_time("2026-04-10 03:00:00"):
            contract = self._contract()
            migration.migrate(self.env.cr, "18.0.1.1.0")
            self.assertEqual(contract.fee_billed_period, "2026-04")
            self._bill()
        self.assertFalse(contract.fee_invoice_ids)
        with freeze_time("2026-05-01 03:00:00"):
            self._bill()
        self.assertEqual(contract.fee_invoice_ids.service_fee_period, "2026-05")

    def test_upgrade_marks_parts_in_use_as_spare_parts(self):
        """Products already locked for a customer (or used on work orders, or held on their
        spare shelf) stay pickable as spare parts after the upgrade."""
        locked = self._create_product(name="Print head", lst_price=100.0)
        other = self._create_product(name="Desk lamp", lst_price=10.0)
        contract = self._contract()
        self.env["service.contract.price.lock"].create(
            {"contract_id": contract.id, "product_id": locked.id, "price_unit": 90.0}
        )
        self._migration().migrate(self.env.cr, "18.0.1.1.0")
        self.assertTrue(locked.is_spare_part)
        self.assertFalse(other.is_spare_part)

    def _migration(self):
        path = Path(__file__).parents[1] / "migrations" / "18.0.1.2.0" / "post-migrate.py"
        spec = importlib.util.spec_from_file_location("bds_migration_1_2", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        return migration
