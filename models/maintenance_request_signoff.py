"""The customer's sign-off at the end of the visit and the service report: signed once on
the technician's phone, the report is generated then, attached for good and sent to the
customer's contact. Same model as maintenance_request.py."""

import base64

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.tools.image import image_process

REPORT = "barcode_device_service.report_service_work_order"
# Photos in the report are thumbnails: five photos from a phone keep the PDF small.
PHOTO_SIZE = (480, 480)
SIGNOFF_FIELDS = {"customer_signature", "signed_by"}


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    diagnosis = fields.Text(help="What the technician found and did: printed on the report.")
    customer_signature = fields.Image(max_width=1024, max_height=512, copy=False)
    signed_by = fields.Char(copy=False)
    signed_at = fields.Datetime(string="Signed On", readonly=True, copy=False)
    service_report_id = fields.Many2one(
        "ir.attachment", string="Service Report", readonly=True, copy=False
    )

    def write(self, vals):
        if self.env.context.get("bds_signing") or not SIGNOFF_FIELDS & vals.keys():
            return super().write(vals)
        if "customer_signature" in vals:
            return self._sign(vals)
        # The name may be typed (and saved) before the customer signs, not changed after.
        signed = self.filtered("signed_at")
        if signed:
            raise UserError(
                _(
                    "%(name)s is already signed: the signed report does not change.",
                    name=signed[0].reference or signed[0].name,
                )
            )
        return super().write(vals)

    def _sign(self, vals):
        """The customer signs: once, on a finished visit, with their name. The report is
        generated at that moment and never changes afterwards."""
        signature = vals.get("customer_signature")
        for request in self:
            name = request.reference or request.name
            if request.signed_at:
                raise UserError(
                    _("%(name)s is already signed: the signed report does not change.", name=name)
                )
            if not request.work_done_at and not request.resolved_remotely:
                raise UserError(
                    _("Finish the work on %(name)s before the customer signs.", name=name)
                )
            if not signature:
                raise UserError(_("The signature is empty: ask the customer to sign."))
            if not (vals.get("signed_by") or request.signed_by or "").strip():
                raise UserError(_("Type the name of the person who signs."))
        result = self.with_context(bds_signing=True).write(
            {**vals, "signed_at": fields.Datetime.now()}
        )
        for request in self:
            request._attach_service_report()
        return result

    def _attach_service_report(self):
        """Render the service report once, attach it to the work order and send it to the
        customer's contact."""
        self.ensure_one()
        content, report_type = (
            self.env["ir.actions.report"].sudo()._render_qweb_pdf(REPORT, self.ids)
        )
        # Tests render HTML instead of PDF (Odoo's fallback without report workers).
        mimetype = "application/pdf" if report_type == "pdf" else "text/html"
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": _("Service Report %(name)s.pdf", name=self.reference or self.name),
                    "raw": content,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        )
        # The customer downloads it from the portal, also through the work order's link.
        attachment.generate_access_token()
        self.with_context(bds_signing=True).sudo().service_report_id = attachment
        contact = self._customer_contact()
        self.sudo().message_post(
            body=_("Signed by %(signer)s. The service report is attached.", signer=self.signed_by),
            attachment_ids=attachment.ids,
            partner_ids=contact.filtered("email").ids,
            subtype_xmlid="mail.mt_comment" if contact.email else "mail.mt_note",
        )

    def _get_portal_service_report_url(self):
        """Where the customer downloads the signed report (empty before signature)."""
        self.ensure_one()
        report = self.sudo().service_report_id
        if not report or not report.access_token:
            return False
        return f"/web/content/{report.id}?download=true&access_token={report.access_token}"

    # ------------------------------------------------------------------ report values
    def _report_photos(self):
        """The work order's photos (its images in the chatter and on its checklist) as small
        data URIs for the report."""
        self.ensure_one()
        images = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", self.id),
                    ("mimetype", "like", "image/"),
                ],
                order="id",
            )
        )
        sources = [image.datas for image in images]
        sources += [line.photo for line in self.checklist_line_ids if line.photo]
        photos = []
        for data in sources:
            try:
                thumbnail = image_process(
                    base64.b64decode(data), size=PHOTO_SIZE, quality=80, output_format="JPEG"
                )
            except (UserError, ValueError):
                continue  # not an image after all: left out of the report
            photos.append("data:image/jpeg;base64," + base64.b64encode(thumbnail).decode())
        return photos
