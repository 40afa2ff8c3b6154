import secrets

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools.barcode_rules import invalid_code128_characters

DEVICE_STATES = [
    ("in_stock", "In Stock"),
    ("installed", "Installed"),
    ("in_service", "In Service"),
    ("under_repair", "Under Repair"),
    ("retired", "Retired"),
]

# The date field each lifecycle state stamps when a device enters it.
STATE_DATE_FIELDS = {
    "installed": "installation_date",
    "in_service": "in_service_date",
    "under_repair": "repair_date",
    "retired": "retirement_date",
}


def new_label_token():
    """An unguessable token for the public label URL: 128 random bits, never a sequence."""
    return secrets.token_urlsafe(16)


class MaintenanceEquipment(models.Model):
    _inherit = "maintenance.equipment"

    customer_id = fields.Many2one(
        "res.partner",
        string="Customer",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        help="The customer who owns the device (the Vendor is who the device was bought from).",
    )
    site_id = fields.Many2one(
        "res.partner",
        string="Installation Site",
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('id', 'child_of', customer_id)]",
        help="The customer's address where the device stands.",
    )
    product_id = fields.Many2one(
        "product.product",
        string="Device Model",
        index="btree_not_null",
        check_company=True,
        tracking=True,
    )
    lot_id = fields.Many2one(
        "stock.lot",
        string="Delivered Lot/Serial",
        index="btree_not_null",
        check_company=True,
        copy=False,
        domain="[('product_id', '=?', product_id)]",
    )
    firmware_version = fields.Char(tracking=True)
    installation_date = fields.Date(tracking=True)
    in_service_date = fields.Date(string="In Service Since")
    repair_date = fields.Date(string="Last Repair Date")
    retirement_date = fields.Date()
    warranty_start_date = fields.Date(tracking=True)
    warranty_end_date = fields.Date(tracking=True)
    under_warranty = fields.Boolean(compute="_compute_under_warranty")
    device_state = fields.Selection(
        DEVICE_STATES,
        string="Lifecycle State",
        default="in_stock",
        required=True,
        tracking=True,
        index=True,
    )
    barcode = fields.Char(
        copy=False,
        index=True,
        tracking=True,
        help="Internal device barcode (Code 128), printed on the device label. "
        "Left empty, it is taken from the device barcode sequence.",
    )
    label_token = fields.Char(
        copy=False,
        readonly=True,
        index=True,
        default=lambda self: new_label_token(),
        groups="maintenance.group_equipment_manager,"
        "barcode_device_service.group_device_service_user",
        help="Random part of the public service URL on the device label.",
    )
    service_url = fields.Char(compute="_compute_service_url", string="Public Service URL")
    delivery_count = fields.Integer(compute="_compute_delivery_count")
    contract_ids = fields.Many2many(
        "service.contract",
        "service_contract_equipment_rel",
        "equipment_id",
        "contract_id",
        string="Service Contracts",
        copy=False,
        help="Every contract that covers or covered this device.",
    )
    active_contract_id = fields.Many2one(
        "service.contract", compute="_compute_active_contract_id", string="Current Contract"
    )

    _sql_constraints = [
        # Core makes the serial unique across all companies; a service vendor with two
        # companies can meet the same serial in both, so the check is per company.
        (
            "serial_no",
            "unique(serial_no, company_id)",
            "Another device of this company already has this serial number.",
        ),
        (
            "barcode_company_uniq",
            "unique(barcode, company_id)",
            "Another device of this company already has this barcode.",
        ),
        ("label_token_uniq", "unique(label_token)", "The label token must be unique."),
    ]

    @api.depends("warranty_start_date", "warranty_end_date")
    def _compute_under_warranty(self):
        today = fields.Date.context_today(self)
        for device in self:
            device.under_warranty = bool(
                device.warranty_end_date
                and (not device.warranty_start_date or device.warranty_start_date <= today)
                and today <= device.warranty_end_date
            )

    @api.depends("label_token")
    def _compute_service_url(self):
        base_url = self[:1].get_base_url()
        for device in self:
            device.service_url = (
                f"{base_url}/service/device/{device.sudo().label_token}"
                if device.sudo().label_token
                else False
            )

    @api.depends("contract_ids.state", "contract_ids.date_start", "contract_ids.date_end")
    def _compute_active_contract_id(self):
        today = fields.Date.context_today(self)
        for device in self:
            device.active_contract_id = device.contract_ids.filtered(
                lambda c: c.state == "active" and c.date_start <= today <= c.date_end
            )[:1]

    def _compute_delivery_count(self):
        lots = self.lot_id
        counts = {}
        if lots:
            counts = dict(
                self.env["stock.move.line"]._read_group(
                    [("lot_id", "in", lots.ids), ("state", "=", "done")],
                    ["lot_id"],
                    ["__count"],
                )
            )
        for device in self:
            device.delivery_count = counts.get(device.lot_id, 0)

    @api.constrains("customer_id", "site_id")
    def _check_site_belongs_to_customer(self):
        for device in self:
            site = device.site_id
            if not site:
                continue
            if not device.customer_id:
                raise ValidationError(
                    _(
                        "Device %(device)s has an installation site but no customer: "
                        "choose the customer first.",
                        device=device.display_name,
                    )
                )
            if site.commercial_partner_id != device.customer_id.commercial_partner_id:
                raise ValidationError(
                    _(
                        "The installation site %(site)s is not an address of customer "
                        "%(customer)s.",
                        site=site.display_name,
                        customer=device.customer_id.display_name,
                    )
                )

    @api.constrains("warranty_start_date", "warranty_end_date")
    def _check_warranty_dates(self):
        for device in self:
            start, end = device.warranty_start_date, device.warranty_end_date
            if start and end and end < start:
                raise ValidationError(
                    _(
                        "The warranty of %(device)s cannot end (%(end)s) before it starts "
                        "(%(start)s).",
                        device=device.display_name,
                        end=end,
                        start=start,
                    )
                )

    @api.constrains("barcode")
    def _check_barcode_characters(self):
        for device in self.filtered("barcode"):
            bad = invalid_code128_characters(device.barcode)
            if bad:
                raise ValidationError(
                    _(
                        "The barcode %(barcode)s contains characters a Code 128 label cannot "
                        "carry: %(chars)s. Use letters, digits and common punctuation only.",
                        barcode=device.barcode,
                        chars=" ".join(repr(c) for c in bad),
                    )
                )

    @api.onchange("customer_id")
    def _onchange_customer_id(self):
        if self.site_id and (
            self.site_id.commercial_partner_id != self.customer_id.commercial_partner_id
        ):
            self.site_id = False

    @api.onchange("product_id")
    def _onchange_product_id(self):
        if self.product_id and not self.name:
            self.name = self.product_id.name
        if self.lot_id and self.lot_id.product_id != self.product_id:
            self.lot_id = False

    @api.onchange("lot_id")
    def _onchange_lot_id(self):
        if self.lot_id:
            self.serial_no = self.lot_id.name
            self.product_id = self.lot_id.product_id

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("barcode"):
                vals["barcode"] = self._next_device_barcode(vals.get("company_id"))
            self._stamp_state_date(vals)
        return super().create(vals_list)

    def write(self, vals):
        if "barcode" in vals and not vals["barcode"]:
            raise UserError(_("A device needs a barcode: leave the one it has or type a new one."))
        self._stamp_state_date(vals)
        return super().write(vals)

    def _init_column(self, column_name):
        # A column default is computed once and copied to every existing row; each existing
        # device needs a token of its own, so the post-init hook fills them instead.
        if column_name == "label_token":
            return
        super()._init_column(column_name)

    def _fill_missing_identifiers(self):
        """Give devices registered before the module was installed a barcode and a token."""
        for device in self:
            vals = {}
            if not device.barcode:
                vals["barcode"] = self._next_device_barcode(device.company_id.id)
            if not device.sudo().label_token:
                vals["label_token"] = new_label_token()
            device.sudo().write(vals)

    @api.model
    def _next_device_barcode(self, company_id=None):
        company = self.env["res.company"].browse(company_id) if company_id else self.env.company
        return (
            self.env["ir.sequence"]
            .with_company(company)
            .next_by_code("maintenance.equipment.barcode")
        )

    @api.model
    def _stamp_state_date(self, vals):
        """Record the day a device enters a lifecycle state unless the caller gives it."""
        date_field = STATE_DATE_FIELDS.get(vals.get("device_state"))
        if date_field and not vals.get(date_field):
            vals[date_field] = fields.Date.context_today(self)

    @api.model
    def _warranty_end(self, start, months):
        return start + relativedelta(months=months, days=-1) if start and months else False

    def action_regenerate_label_token(self):
        """Give the devices new label tokens: the printed labels stop working at once."""
        if not self.env.user.has_group("barcode_device_service.group_device_service_manager"):
            raise AccessError(_("Only a Device Service manager can regenerate label tokens."))
        for device in self:
            device.label_token = new_label_token()
            device.message_post(
                body=_("Label token regenerated: labels printed before no longer open this device.")
            )
        return True

    def action_print_labels(self):
        if not self:
            raise UserError(_("Select at least one device to print labels for."))
        return {
            "type": "ir.actions.act_window",
            "name": _("Print Device Labels"),
            "res_model": "device.label.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_device_ids": self.ids},
        }

    def action_view_contracts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "barcode_device_service.service_contract_action"
        )
        action["domain"] = [("id", "in", self.contract_ids.ids)]
        action["context"] = {"default_partner_id": self.customer_id.id}
        return action

    def action_view_deliveries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.stock_move_line_action")
        action["domain"] = [("lot_id", "=", self.lot_id.id)]
        action["context"] = {"search_default_done": 1}
        return action

    def _render_device_labels(self, label_format):
        """Return the PDF (bytes) of the labels of these devices in ``label_format``.

        ``label_format`` is ``roll_62x29`` (thermal roll, one label a page) or ``a4_3x8``.
        """
        if not self:
            raise UserError(_("Select at least one device to print labels for."))
        from ..tools.labels import LABEL_FORMATS, LabelData, render_labels

        if label_format not in LABEL_FORMATS:
            raise UserError(
                _("Unknown label format %(format)s.", format=label_format or _("(none)"))
            )
        labels = []
        for device in self:
            company = device.company_id or self.env.company
            if not device.barcode:
                raise UserError(
                    _("Device %(device)s has no barcode to print.", device=device.display_name)
                )
            phone = company.service_desk_phone or company.phone
            labels.append(
                LabelData(
                    barcode=device.barcode,
                    url=device.service_url,
                    company=company.name or "",
                    model=device.product_id.display_name or device.model or device.name or "",
                    serial=device.serial_no and _("S/N %(serial)s", serial=device.serial_no),
                    phone=phone and _("Service desk %(phone)s", phone=phone),
                )
            )
        try:
            return render_labels(labels, label_format)
        except ValueError as error:
            raise UserError(
                _("A barcode is too long to print on this label: %(error)s", error=error)
            ) from error

    @api.model
    def action_open_by_barcode(self, barcode):
        """Action opening the device whose barcode (or serial) was scanned, for the backend."""
        device = self.search([("barcode", "=", barcode)], limit=1) or self.search(
            [("serial_no", "=", barcode)], limit=1
        )
        if not device:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning",
                    "message": _("No device has the barcode %(barcode)s.", barcode=barcode),
                },
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": "maintenance.equipment",
            "res_id": device.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
