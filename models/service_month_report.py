import logging

from markupsafe import Markup

from odoo import _, api, fields, models, tools

from ..tools import penalty
from ..tools.pdf_split import split_by_marker
from .report_service_month import SPLIT_MARKER

_logger = logging.getLogger(__name__)

MONTH_REPORT = "barcode_device_service.action_report_service_month"
MONTH_REPORT_MAIL = "barcode_device_service.mail_template_service_month_report"


class ServiceMonthReport(models.Model):
    """A contract's service report of one month (PDF), made once by the monthly job after
    the month closes (service_contract_month_report.py): attached to the contract, shown
    on the customer's portal page, e-mailed to the customer unless the contract opts out.
    One per contract and month; never made twice."""

    _name = "service.month.report"
    _description = "Monthly Service Report"
    _order = "period desc, contract_id"
    _rec_name = "period"

    contract_id = fields.Many2one(
        "service.contract", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Customer", store=True)
    period = fields.Char(string="Month", required=True, readonly=True, help="YYYY-MM")
    attachment_id = fields.Many2one("ir.attachment", string="PDF", readonly=True)
    # The month's spare-part availability, kept for the Device Service dashboard.
    has_stock_commitment = fields.Boolean(readonly=True)
    availability_percent = fields.Float(
        string="Spare-part Availability (%)",
        aggregator="avg",
        readonly=True,
        help="Share of the month's commitment-days the committed spare stock was at or "
        "above its minimum.",
    )
    shortfall_days = fields.Float(string="Days below Minimum", readonly=True)
    sent_at = fields.Datetime(
        string="E-mailed On",
        readonly=True,
        help="Empty when the contract opts out of the monthly e-mail.",
    )

    _sql_constraints = [
        (
            "contract_period_uniq",
            "unique(contract_id, period)",
            "A contract has one service report per month.",
        ),
    ]

    @api.depends("contract_id", "period")
    def _compute_display_name(self):
        for report in self:
            report.display_name = f"{report.contract_id.name} {report.period}"

    def _bounds(self):
        """The month's start and end (naive UTC) in the contract's time zone."""
        self.ensure_one()
        return penalty.period_bounds(self.period, self.contract_id._period_tz())

    def _store_figures(self):
        """Keep the month's spare-part availability (the dashboard's card)."""
        figures = self.env["report.barcode_device_service.report_service_month"]._figures(self)
        for report in self:
            availability = figures[report.id]["availability"]
            if availability:
                report.write(
                    {
                        "has_stock_commitment": True,
                        "availability_percent": availability["percent"],
                        "shortfall_days": availability["shortfall_days"],
                    }
                )

    def _print(self):
        """Print these reports and attach each to its contract."""
        contents = self._render()
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                [
                    {
                        "name": report._filename(),
                        "raw": contents[report.id],
                        "res_model": "service.contract",
                        "res_id": report.contract_id.id,
                    }
                    for report in self
                ]
            )
        )
        # The customer's download link: made now, so that the portal page only reads.
        attachments.generate_access_token()
        for report, attachment in zip(self, attachments, strict=True):
            report.attachment_id = attachment

    def _render(self):
        """{report id: its PDF}: one print per company for all its reports, split at the
        marker before each (see the template); one at a time where a batch cannot be split.
        Under tests, the HTML, as Odoo's own printing gives there (wkhtmltopdf needs the
        test server: see TestMonthReportPortal)."""
        Report = self.env["ir.actions.report"].sudo()
        if tools.config["test_enable"] and not self.env.context.get("force_report_rendering"):
            return {
                report.id: Report._render_qweb_html(MONTH_REPORT, report.ids)[0] for report in self
            }
        contents = {}
        for reports in self.grouped("company_id").values():
            streams = Report._render_qweb_pdf_prepare_streams(MONTH_REPORT, {}, reports.ids)
            if False not in streams:
                # Split by Odoo already (one report, or one page each).
                contents.update({rid: data["stream"].getvalue() for rid, data in streams.items()})
                continue
            pages = split_by_marker(streams[False]["stream"].getvalue(), SPLIT_MARKER)
            for report in reports:
                if report.id in pages:
                    contents[report.id] = pages[report.id]
                else:
                    _logger.warning(
                        "Monthly report %s not found in its batch: printed alone.", report.id
                    )
                    contents[report.id] = report._render()[report.id]
        return contents

    def _filename(self):
        self.ensure_one()
        return _(
            "Service Report %(period)s - %(contract)s.pdf",
            period=self.period,
            contract=self.contract_id.name,
        )

    def _send(self):
        """E-mail each report to its customer (unless the contract opts out), and note it
        on the contract's chatter with the PDF."""
        template = self.env.ref(MONTH_REPORT_MAIL)
        now = fields.Datetime.now()
        for report in self:
            contract = report.contract_id
            if contract.send_month_report and contract.partner_id.email:
                template.send_mail(
                    report.id,
                    email_layout_xmlid="mail.mail_notification_light",
                    email_values={"attachment_ids": report.attachment_id.ids},
                )
                report.sent_at = now
                body = _(
                    "Service report of %(period)s e-mailed to %(customer)s.",
                    period=report.period,
                    customer=contract.partner_id.display_name,
                )
            else:
                body = _("Service report of %(period)s made.", period=report.period)
            contract.message_post(
                body=Markup("<p>%s</p>") % body,
                attachment_ids=report.attachment_id.ids,
                subtype_xmlid="mail.mt_note",
            )

    def _get_portal_url(self):
        """Where the customer downloads the PDF (its attachment's token)."""
        self.ensure_one()
        attachment = self.sudo().attachment_id
        if not attachment.access_token:
            return False
        return f"/web/content/{attachment.id}?download=true&access_token={attachment.access_token}"

    def action_download(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "self",
        }
