import base64

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.maintenance_equipment import SERVICE_URL_PATH
from ..tools.labels import is_private_url


class DeviceLabelWizard(models.TransientModel):
    _name = "device.label.wizard"
    _description = "Print Device Labels"

    device_ids = fields.Many2many("maintenance.equipment", string="Devices")
    device_count = fields.Integer(compute="_compute_device_count")
    label_format = fields.Selection(
        [
            ("roll_62x29", "Thermal roll, 62 × 29 mm (one label a page)"),
            ("a4_3x8", "A4 sheet, 3 × 8 labels of 70 × 37 mm"),
        ],
        required=True,
        default="roll_62x29",
    )
    label_url = fields.Char(
        string="URL on the Labels",
        compute="_compute_label_url",
        help="Start of the public service URL the labels' QR codes hold (web.base.url).",
    )
    label_url_is_private = fields.Boolean(compute="_compute_label_url")
    confirm_label_url = fields.Boolean(
        string="Print with this URL",
        help="The QR codes cannot be changed once printed: confirm that phones scanning "
        "them will reach this address.",
    )
    label_pdf = fields.Binary(string="Labels", readonly=True, attachment=False)
    label_filename = fields.Char(readonly=True)

    @api.depends("device_ids")
    def _compute_device_count(self):
        for wizard in self:
            wizard.device_count = len(wizard.device_ids)

    @api.depends("device_ids")
    def _compute_label_url(self):
        for wizard in self:
            base_url = wizard.device_ids[:1].get_base_url()
            wizard.label_url = f"{base_url}{SERVICE_URL_PATH}"
            wizard.label_url_is_private = is_private_url(base_url)

    def action_print(self):
        """Render the labels and hand the PDF to the browser as a download."""
        self.ensure_one()
        if not self.device_ids:
            raise UserError(_("Select at least one device to print labels for."))
        if self.label_url_is_private and not self.confirm_label_url:
            # A printed QR code cannot be corrected: a server reached as localhost or on a
            # private address would print labels no customer's phone can open.
            raise UserError(
                _(
                    "The labels' QR codes would open %(url)s, an address only your own network "
                    "reaches. Set the public address of this server (system parameter "
                    "web.base.url), or confirm that you want to print with this URL.",
                    url=self.label_url,
                )
            )
        pdf = self.device_ids._render_device_labels(self.label_format)
        name = self.device_ids.barcode if len(self.device_ids) == 1 else _("device-labels")
        # A barcode may hold "/", which would cut the download URL.
        name = name.replace("/", "_")
        self.write(
            {
                "label_pdf": base64.b64encode(pdf),
                "label_filename": f"{name}-{self.label_format}.pdf",
            }
        )
        # Shown in a new tab: the browser's PDF viewer prints straight to the label printer.
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/device.label.wizard/{self.id}/label_pdf/{self.label_filename}",
            "target": "new",
            "close": True,
        }
