import io

from freezegun import freeze_time
from PyPDF2 import PdfReader

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import DeviceServiceCase
from .test_checklist import PIXEL


@tagged("post_install", "-at_install")
class TestPdfReports(DeviceServiceCase, HttpCase):
    """Every PDF report of the addon printed for real by wkhtmltopdf, as a user's Print
    does (under tests Odoo otherwise falls back to the HTML), and read back. Fails where
    wkhtmltopdf is missing ("Unable to find Wkhtmltopdf"), which is what a machine without
    it shows the accountant. An HttpCase: wkhtmltopdf fetches the report's style sheets and
    fonts from the test server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2026-07-15"):
            cls.contract = cls.env["service.contract"].create(
                {
                    "partner_id": cls.customer.id,
                    "company_id": cls.company.id,
                    "date_start": "2026-01-01",
                    "date_end": "2026-12-31",
                    "monthly_fee": 1000,
                }
            )
            cls.contract.action_activate()
            cls.entries = cls.env["service.ledger.entry"].create(
                [
                    {
                        "contract_id": cls.contract.id,
                        "kind": kind,
                        "direction": direction,
                        "amount": amount,
                        "date": date,
                    }
                    for kind, direction, amount, date in (
                        ("penalty", "credit", 500, "2026-06-10"),
                        ("cap", "charge", 125, "2026-06-20"),
                    )
                ]
            )
            cls.entries.action_confirm()
            device = cls.create_device(serial_no="99J204501101")
            team = cls.env["maintenance.team"].create(
                {"name": "Report field team", "company_id": cls.company.id}
            )
            cls.work_order = (
                cls.env["maintenance.request"]
                .with_company(cls.company)
                .create(
                    {
                        "name": "Labels smeared",
                        "equipment_id": device.id,
                        "company_id": cls.company.id,
                        "maintenance_team_id": team.id,
                        "is_on_site": True,
                        "diagnosis": "Print head worn: cleaned and adjusted.",
                    }
                )
            )
            cls.env["service.checklist.line"].create(
                {
                    "request_id": cls.work_order.id,
                    "name": "Clean the print head",
                    "is_done": True,
                    "value": "Density 18",
                }
            )
            cls.work_order._check_in(cls.work_order.create_date)
            cls.work_order.action_finish_work()
            cls.work_order.write({"customer_signature": PIXEL, "signed_by": "Wang Fang"})
            cls.month_report = cls.env["service.month.report"].create(
                {"contract_id": cls.contract.id, "period": "2026-06"}
            )

    def _cases(self):
        """Per report of the addon (XML id): the records to print, the pages expected and
        texts the PDF must show."""
        return {
            "barcode_device_service.action_report_ledger_statement": (
                self.entries,
                # One statement: Debian's wkhtmltopdf prints one document at a time (it
                # refuses more than one input document), see README.
                1,
                [
                    "Service Credit Statement",
                    self.contract.name,
                    "2026-06",
                    self.customer.name,
                    "500.00",
                    "125.00",
                    "Not settled yet.",
                ],
            ),
            "barcode_device_service.report_service_work_order": (
                self.work_order,
                1,
                [
                    "Service Report",
                    self.work_order.reference,
                    "99J204501101",
                    "Print head worn",
                    "Clean the print head",
                    "Density 18",
                    "Wang Fang",
                ],
            ),
            "barcode_device_service.action_report_service_month": (
                self.month_report,
                1,
                [
                    "Service Report",
                    "2026-06",
                    self.contract.name,
                    self.customer.name,
                    "500.00",
                    "125.00",
                    "Net to you",
                ],
            ),
        }

    def _print(self, xmlid, records):
        pdf, report_type = (
            self.env["ir.actions.report"]
            .with_user(self.manager)
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(xmlid, records.ids)
        )
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"), "a PDF, not Odoo's HTML fallback")
        return PdfReader(io.BytesIO(pdf))

    def test_every_pdf_report_has_a_case(self):
        reports = self.env["ir.actions.report"].search(
            [("report_type", "=", "qweb-pdf"), ("report_name", "=like", "barcode_device_service.%")]
        )
        self.assertEqual(set(reports.get_external_id().values()), set(self._cases()))

    def test_every_pdf_report_prints(self):
        for xmlid, (records, pages, _texts) in self._cases().items():
            with self.subTest(report=xmlid):
                self.assertEqual(len(self._print(xmlid, records).pages), pages)

    def test_every_pdf_report_text(self):
        # Debian's wkhtmltopdf (unpatched Qt) draws text set in web fonts (@font-face, the
        # layout's Lato) as outlines, leaving no text to read. Without the style sheets it
        # sets the text in a system font, which it embeds as text: point the report at a
        # closed port (wkhtmltopdf warns of the network error, and Odoo keeps the PDF).
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        for xmlid, (records, _pages, texts) in self._cases().items():
            with (
                self.subTest(report=xmlid),
                mute_logger("odoo.addons.base.models.ir_actions_report"),
            ):
                reader = self._print(xmlid, records)
                # wkhtmltopdf may break a line anywhere: compare without white space.
                text = "".join("".join(page.extract_text() for page in reader.pages).split())
                for expected in texts:
                    self.assertIn("".join(expected.split()), text)
