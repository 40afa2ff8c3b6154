import io
from unittest.mock import patch

from freezegun import freeze_time
from reportlab.pdfgen import canvas

from odoo import fields
from odoo.tests import TransactionCase, tagged
from odoo.tools.pdf import PdfFileReader

from ..models.report_service_month import SPLIT_MARKER
from ..models.service_month_report import ServiceMonthReport
from ..tools.pdf_split import split_by_marker
from .test_ledger import LedgerCase
from .test_portal_contracts import PortalContractCase
from .test_stock_commitment import StockCommitmentCase


class WorkerKilled(Exception):
    """The worker dies in the middle of a batch."""


@tagged("post_install", "-at_install")
class TestMonthReport(LedgerCase):
    """Each contract's monthly service report: its figures by hand, made once by the job
    after the month closes, attached, e-mailed unless the contract opts out."""

    def _bare_contract(self):
        """Another active contract of the customer, with no device."""
        contract = self.env["service.contract"].create(
            {
                "partner_id": self.customer.id,
                "date_start": "2026-01-01",
                "date_end": "2026-12-31",
                "resource_calendar_id": self.calendar_24.id,
                "company_id": self.company.id,
            }
        )
        contract.action_activate()
        return contract

    def _figures(self, contract, period):
        report = self.env["service.month.report"].create(
            {"contract_id": contract.id, "period": period}
        )
        figures = self.env["report.barcode_device_service.report_service_month"]._figures(report)
        return figures[report.id]

    def test_figures_of_a_month(self):
        """June, by hand: a P1 answered late (400 credited) and resolved after 4 h, a P3
        answered on time, resolved after 2 h and rated 4; a P3 reported on the 30th and
        still unanswered (a miss, as the ledger's rebate counts it); nothing of July
        counts."""
        contract = self._ruled_contract(
            [{"severity": "p1", "milestone": "response", "computation": "fixed", "amount": 400}]
        )
        with freeze_time("2026-06-10 10:00:00"):
            p1 = self._request("p1")
            p3 = self._request("p3")
        self._run_job("2026-06-10 11:00:00")
        with freeze_time("2026-06-10 12:00:00"):
            p3.stage_id = self.stage_progress
            p3.stage_id = self.stage_repaired
        with freeze_time("2026-06-10 14:00:00"):
            p1.stage_id = self.stage_repaired
        p3.rating_apply(4, token=p3._rating_get_access_token())
        with freeze_time("2026-06-30 10:00:00"):
            self._request("p3", request_date="2026-06-30")
        with freeze_time("2026-07-02 10:00:00"):
            self._request("p1", request_date="2026-07-02")

        with freeze_time("2026-07-03 00:00:00"):
            f = self._figures(contract, "2026-06")
        self.assertEqual(f["by_severity"], [("P1 - Line stopped", 1, 1), ("P3 - Normal", 2, 1)])
        self.assertEqual(f["resolved"], 2)
        self.assertAlmostEqual(f["mttr"], (4.0 + 2.0) / 2)
        self.assertEqual((f["rating"], f["rated_percent"]), (4.0, 50.0))
        shares = {
            (s["severity"], s["milestone"]): (s["counted"], s["percent"]) for s in f["shares"]
        }
        self.assertEqual(shares[("P1 - Line stopped", "Response")], (1, 0.0))
        self.assertEqual(shares[("P3 - Normal", "Response")], (2, 50.0))
        self.assertEqual(shares[("P1 - Line stopped", "Resolution")], (1, 100.0))
        self.assertEqual(
            [(e.kind, e.amount) for e in f["entries"]],
            [("penalty", 400.0)],
            "the ledger's entries of the month, the same amounts",
        )
        self.assertEqual(f["net"], 400.0)
        self.assertIsNone(f["availability"], "no spare stock committed")

    def test_the_job_makes_each_report_once_and_sends_it(self):
        contract = self._ruled_contract(
            [{"milestone": "response", "computation": "fixed", "amount": 400}]
        )
        self.customer.email = "service@customer.example.com"
        quiet = self._bare_contract()
        quiet.send_month_report = False
        with freeze_time("2026-06-10 10:00:00"):
            self._request("p1")
        with freeze_time("2026-07-01 01:00:00"):
            self.env["service.contract"]._cron_month_reports()
        reports = self.env["service.month.report"].search(
            [("contract_id", "in", (contract | quiet).ids)]
        )
        self.assertEqual(sorted(reports.mapped("period")), ["2026-06", "2026-06"])
        report = reports.filtered(lambda r: r.contract_id == contract)
        self.assertEqual(report.attachment_id.res_model, "service.contract")
        self.assertEqual(report.attachment_id.res_id, contract.id)
        # Printed for real by TestMonthReportPortal; under tests Odoo prints the HTML.
        self.assertIn(contract.name.encode(), report.attachment_id.raw)
        self.assertTrue(report.sent_at)
        mail = self.env["mail.mail"].search(
            [("model", "=", "service.month.report"), ("res_id", "=", report.id)]
        )
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertEqual(mail.attachment_ids.raw, report.attachment_id.raw)
        self.assertIn(report.attachment_id, contract.message_ids.attachment_ids)
        opted_out = reports - report
        self.assertTrue(opted_out.attachment_id, "made and shown on the portal all the same")
        self.assertFalse(opted_out.sent_at)

        # Run again, the next day: nothing twice.
        with freeze_time("2026-07-02 01:00:00"):
            self.env["service.contract"]._cron_month_reports()
        self.assertEqual(
            self.env["service.month.report"].search_count(
                [("contract_id", "in", (contract | quiet).ids)]
            ),
            2,
        )

    def test_a_run_killed_halfway_goes_on_without_duplicates(self):
        first, second = self._bare_contract(), self._bare_contract()
        original = ServiceMonthReport._send

        def send_then_die(reports):
            if second in reports.contract_id:
                raise WorkerKilled
            return original(reports)

        # Not assertRaises: it would roll back the first batch too (a savepoint).
        killed = False
        with freeze_time("2026-07-01 01:00:00"):
            with patch.object(ServiceMonthReport, "_send", send_then_die):
                try:
                    self.env["service.contract"]._cron_month_reports(batch_size=1)
                except WorkerKilled:
                    killed = True
        self.assertTrue(killed)
        # The first batch is done (a real run has committed it); the second is not: a
        # real run rolls its transaction back, as here.
        self.assertEqual(len(first.month_report_ids), 1)
        second.month_report_ids.attachment_id.unlink()
        second.month_report_ids.unlink()
        with freeze_time("2026-07-01 02:00:00"):
            self.env["service.contract"]._cron_month_reports(batch_size=1)
        self.assertEqual(len(first.month_report_ids), 1)
        self.assertEqual(len(second.month_report_ids), 1)

    def test_the_period_job_triggers_the_reports(self):
        self._ruled_contract([{"milestone": "response", "computation": "fixed", "amount": 400}])
        cron = self.env.ref("barcode_device_service.ir_cron_service_month_reports")
        with freeze_time("2026-07-01 01:00:00"):
            self.env["service.contract"]._cron_close_periods()
        self.assertTrue(
            self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]),
            "the reports run once the months are evaluated",
        )


@tagged("post_install", "-at_install")
class TestMonthReportAvailability(StockCommitmentCase):
    def test_spare_part_availability_of_the_month(self):
        """Below the minimum from 1 June 02:00 to 4 June 02:00: 3 of June's 30 days, so the
        stock was there 90 % of the time."""
        contract = self._contract([(self.spare_part, 2, 4, None)], stock_grace_hours=24)
        contract.with_user(self.manager).action_activate()
        line = contract.stock_commitment_ids
        self._check("2026-06-01 02:00:00")
        self._set_stock(self.spare_part, line.location_id, 2)
        self._check("2026-06-04 02:00:00")
        self.assertEqual(line.shortfall_ids.state, "closed")
        report = self.env["service.month.report"].create(
            {"contract_id": contract.id, "period": "2026-06"}
        )
        with freeze_time("2026-07-02 00:00:00"):
            figures = self.env["report.barcode_device_service.report_service_month"]._figures(
                report
            )[report.id]
        self.assertAlmostEqual(figures["availability"]["shortfall_days"], 3.0)
        self.assertAlmostEqual(figures["availability"]["percent"], 90.0)
        with freeze_time("2026-07-02 00:00:00"):
            report._store_figures()
        self.assertRecordValues(
            report,
            [{"has_stock_commitment": True, "availability_percent": 90.0, "shortfall_days": 3.0}],
        )


@tagged("post_install", "-at_install")
class TestMonthReportPortal(PortalContractCase):
    def test_customer_downloads_the_report_others_cannot(self):
        # Printed for real, as the job does outside tests (wkhtmltopdf reads the style
        # sheets from the test server).
        self.contract.with_context(force_report_rendering=True)._make_month_reports(
            fields.Datetime.to_datetime("2026-07-01 01:00:00")
        )
        report = self.contract.month_report_ids
        self.assertTrue(report.attachment_id.access_token)
        url = report._get_portal_url()
        # The page only reads (a read-only route): the link's token was made with the PDF.
        page = self.assertServedReadOnly(f"/my/contracts/{self.contract.id}", self.portal_user)
        self.assertIn("Service report 2026-06", page.text)
        self.assertIn(url.replace("&", "&amp;"), page.text)
        pdf = self._get(url, self.portal_user)
        self.assertEqual(pdf.status_code, 200)
        self.assertTrue(pdf.content.startswith(b"%PDF"))
        # The other customer: not their contract page, and no PDF without the token.
        self.assertRefused(self._get(f"/my/contracts/{self.contract.id}", self.portal_user_2))
        bare = f"/web/content/{report.attachment_id.id}?download=true"
        self.assertNotEqual(self._get(bare, self.portal_user_2).status_code, 200)
        self.logout()
        self.assertNotEqual(self._get(bare).status_code, 200)
        self.assertNotIn(b"%PDF", self._get(bare).content)


@tagged("post_install", "-at_install")
class TestPdfSplit(TransactionCase):
    def test_split_at_the_markers(self):
        """A batch of three documents of 2, 1 and 3 pages printed as one PDF comes apart
        at the marker each one starts with."""
        stream = io.BytesIO()
        pdf = canvas.Canvas(stream)
        for doc_id, pages in ((7, 2), (8, 1), (9, 3)):
            for page in range(pages):
                if page == 0:
                    pdf.drawString(72, 800, f"{SPLIT_MARKER}{doc_id}")
                pdf.drawString(72, 700, f"Document {doc_id}, page {page + 1}")
                pdf.showPage()
        pdf.save()
        documents = split_by_marker(stream.getvalue(), SPLIT_MARKER)
        self.assertEqual(
            {
                doc_id: PdfFileReader(io.BytesIO(raw)).getNumPages()
                for doc_id, raw in documents.items()
            },
            {7: 2, 8: 1, 9: 3},
        )
