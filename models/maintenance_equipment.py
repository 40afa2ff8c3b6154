import secrets

from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.barcode_rules import invalid_code128_characters
from ..tools.groups import USER

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


# The public service URL printed as a QR code on the label: scanning it in the backend
# opens the device like its barcode does.
SERVICE_URL_PATH = "/service/device/"


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
    # The customer's company, stored for the portal's record rule: one indexed equality
    # instead of child_of over contacts (res.partner has no parent_path).
    commercial_partner_id = fields.Many2one(
        related="customer_id.commercial_partner_id", store=True, index="btree_not_null"
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
        groups=f"maintenance.group_equipment_manager,{USER}",
        help="Random part of the public service URL on the device label.",
    )
    # The URL carries the token: whoever may not read the token may not read the URL either.
    service_url = fields.Char(
        compute="_compute_service_url",
        string="Public Service URL",
        groups=f"maintenance.group_equipment_manager,{USER}",
    )
    delivery_count = fields.Integer(compute="_compute_delivery_count")
    contract_ids = fields.Many2many(
        "service.contract",
        "service_contract_equipment_rel",
        "equipment_id",
        "contract_id",
        string="Service Contracts",
        copy=False,
        help="Every contract that covers or covered this device, except the active contracts "
        "of a former owner: a device handed to another customer leaves them.",
    )
    active_contract_id = fields.Many2one(
        "service.contract", compute="_compute_active_contract_id", string="Current Contract"
    )
    # Core's fields the portal never shows (what the device cost, whom it was bought from,
    # internal notes, who services it) stay internal, also over RPC.
    cost = fields.Float(groups="base.group_user")
    partner_id = fields.Many2one(groups="base.group_user")
    partner_ref = fields.Char(groups="base.group_user")
    note = fields.Html(groups="base.group_user")
    technician_user_id = fields.Many2one(groups="base.group_user")
    maintenance_team_id = fields.Many2one(groups="base.group_user")

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
            token = device.sudo().label_token
            device.service_url = f"{base_url}{SERVICE_URL_PATH}{token}" if token else False

    @api.depends(
        "commercial_partner_id",
        "contract_ids.state",
        "contract_ids.date_start",
        "contract_ids.date_end",
        "contract_ids.commercial_partner_id",
    )
    def _compute_active_contract_id(self):
        today = fields.Date.context_today(self)
        for device in self:
            device.active_contract_id = device._active_contract_on(today)

    def _active_contract_on(self, day, customer=None):
        """The active contract of ``customer`` (by default the device's owner) covering this
        device on ``day``, empty when none. Coverage is the customer's: a contract of
        another customer that still lists the device never covers it for this one."""
        self.ensure_one()
        day = fields.Date.to_date(day)
        owner = (self.customer_id if customer is None else customer).commercial_partner_id
        return self.contract_ids.filtered(
            lambda c: c.state == "active"
            and c.commercial_partner_id == owner
            and c.date_start <= day <= c.date_end
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

    @api.constrains("lot_id", "product_id", "serial_no")
    def _check_lot_matches_device(self):
        for device in self.filtered("lot_id"):
            lot = device.lot_id
            if device.product_id and lot.product_id != device.product_id:
                raise ValidationError(
                    _(
                        "The serial number %(lot)s belongs to %(lot_product)s, not to the device "
                        "model %(product)s of %(device)s.",
                        lot=lot.name,
                        lot_product=lot.product_id.display_name,
                        product=device.product_id.display_name,
                        device=device.display_name,
                    )
                )
            if device.serial_no and device.serial_no != lot.name:
                raise ValidationError(
                    _(
                        "Device %(device)s has serial number %(serial)s but is linked to the "
                        "delivered serial %(lot)s: make them the same or remove the link.",
                        device=device.display_name,
                        serial=device.serial_no,
                        lot=lot.name,
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
        """Number the devices left without a barcode (one sequence call for the whole batch)
        and refuse identifiers already taken before anything is written."""
        for vals in vals_list:
            # An empty token (an import column left blank) means "generate one".
            if "label_token" in vals and not vals["label_token"]:
                del vals["label_token"]
        if any("label_token" in vals for vals in vals_list):
            self._check_label_token_write()
        default_company = self.env["res.company"].browse(
            self.env.context.get("default_company_id") or self.env.company.id
        )
        unnumbered = {}
        for index, vals in enumerate(vals_list):
            if vals.get("barcode"):
                vals["barcode"] = vals["barcode"].strip()
            if not vals.get("barcode"):
                company = (
                    self.env["res.company"].browse(vals["company_id"])
                    if vals.get("company_id")
                    else default_company
                )
                unnumbered.setdefault(company, []).append(index)
            self._stamp_state_date(vals)
        for company, indexes in unnumbered.items():
            for index, barcode in zip(
                indexes, self._next_device_barcodes(company, len(indexes)), strict=True
            ):
                vals_list[index]["barcode"] = barcode
        self._check_identifiers_free(
            [
                (
                    ("new", index),
                    vals.get("company_id") or default_company.id,
                    vals["barcode"],
                    vals.get("serial_no") or False,
                )
                for index, vals in enumerate(vals_list)
            ]
        )
        return super().create(vals_list)

    def write(self, vals):
        """Refuse an emptied barcode, a token typed by hand and identifiers already taken;
        stamp the date of the lifecycle state a device enters; a device handed to another
        customer leaves the former owner's contracts (see _end_former_coverage)."""
        if "label_token" in vals:
            self._check_label_token_write()
        if "barcode" in vals:
            vals = dict(vals, barcode=(vals["barcode"] or "").strip())
            if not vals["barcode"]:
                raise UserError(
                    _("A device needs a barcode: leave the one it has or type a new one.")
                )
        if {"barcode", "serial_no", "company_id"} & vals.keys():
            self._check_identifiers_free(
                [
                    (
                        device.id,
                        vals.get("company_id", device.company_id.id),
                        vals.get("barcode", device.barcode),
                        vals.get("serial_no", device.serial_no),
                    )
                    for device in self
                ]
            )
        handed_over = self.browse()
        if "customer_id" in vals:
            new_owner = self.env["res.partner"].browse(vals["customer_id"]).commercial_partner_id
            handed_over = self.filtered(lambda d: d.commercial_partner_id != new_owner)
        date_field = STATE_DATE_FIELDS.get(vals.get("device_state"))
        entering = self.browse()
        if date_field and not vals.get(date_field):
            # Only the devices that change state get the date: writing the state a device
            # already has must not move the day it entered it.
            entering = self.filtered(lambda d: d.device_state != vals["device_state"])
        result = super().write(vals)
        if entering:
            super(MaintenanceEquipment, entering).write(
                {date_field: fields.Date.context_today(self)}
            )
        if handed_over:
            handed_over._end_former_coverage()
        return result

    def _check_company(self, fnames=None):
        """Check each distinct combination of company and linked records once.

        Core checks record by record and field by field; a delivery or an import creates
        many devices sharing the same company, customer, site and model, and checking them
        one by one was most of the cost of creating them. The outcome depends only on the
        company and the linked records, so one record per combination is enough.
        """
        if len(self) < 2:
            return super()._check_company(fnames)
        if fnames is None or {"company_id", "company_ids"} & set(fnames):
            fnames = list(self._fields)
        names = [
            name
            for name in fnames
            if self._fields[name].relational and self._fields[name].check_company
        ]
        representatives = {}
        for record in self.sudo():
            key = (record.company_id.id, *(record[name]._ids for name in names))
            representatives.setdefault(key, record.id)
        return super(
            MaintenanceEquipment, self.browse(list(representatives.values()))
        )._check_company(fnames)

    @api.model
    def _stamp_state_date(self, vals):
        """Record the day a device enters a lifecycle state unless the caller gives it."""
        date_field = STATE_DATE_FIELDS.get(vals.get("device_state"))
        if date_field and not vals.get(date_field):
            vals[date_field] = fields.Date.context_today(self)

    @api.model
    def _warranty_end(self, start, months):
        return start + relativedelta(months=months, days=-1) if start and months else False

    def _end_former_coverage(self):
        """These devices changed owner: the active contracts of another customer stop
        covering them, with a note on each contract and device.

        Coverage follows ownership, and the change of owner is not refused: it also comes
        from a validated delivery of the serial number to another customer (stock_move.py),
        which a warehouse user who may not see contracts must be able to validate. A device
        handed back does not return to its former contract by itself: the account manager
        adds it again. Work orders already opened keep their contract, so their SLA and
        penalties stay with the customer who reported them.
        """
        # sudo: whoever may change a device's owner (a technician, a delivery) ends the
        # former owner's coverage of it, contract manager or not; only that link is removed.
        contracts = (
            self.env["service.contract"]
            .sudo()
            .search([("state", "=", "active"), ("device_ids", "in", self.ids)])
        )
        for contract in contracts:
            leaving = contract.device_ids.filtered(
                lambda d, c=contract: d.id in self.ids
                and d.commercial_partner_id != c.commercial_partner_id
            )
            if not leaving:
                continue
            contract.write({"device_ids": [Command.unlink(device.id) for device in leaving]})
            for device in leaving:
                new_owner = device.customer_id.display_name or _("no customer")
                contract._message_log(
                    body=_(
                        "Device %(device)s now belongs to %(customer)s: this contract no longer "
                        "covers it. Its work orders opened before keep this contract.",
                        device=device.display_name,
                        customer=new_owner,
                    )
                )
                device._message_log(
                    body=_(
                        "Now belongs to %(customer)s: no longer covered by contract "
                        "%(contract)s of %(former)s.",
                        customer=new_owner,
                        contract=contract.name,
                        former=contract.partner_id.display_name,
                    )
                )

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
