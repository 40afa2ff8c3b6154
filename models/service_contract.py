"""The service contract: its terms (dates, fee, service hours, SLA targets, coverage of
devices and parts), activation, time zone and end. About 600 lines, all of them the
document itself; its other sides have rooms of their own on the same model: the fee job
(service_contract_billing.py), the ledger's period close (service_contract_ledger.py) and
the portal values (service_contract_portal.py)."""

import uuid
from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools.display import timezone_label
from ..tools.groups import LEDGER_GROUPS
from .service_contract_sla import SEVERITIES
from .service_stock_shortfall import OPEN_SHORTFALL_STATES

# Default SLA targets of a new contract (hours): response, on-site arrival, resolution.
# Figures from the trade: a stopped line wants a 30-minute answer and a technician within
# 4 hours; planned work is answered within a working day.
DEFAULT_TARGETS = {
    "p1": (0.5, 4.0, 8.0),
    "p2": (2.0, 8.0, 24.0),
    "p3": (4.0, 24.0, 40.0),
    "p4": (8.0, 0.0, 80.0),
}
REMINDER_DAYS = 30


class ServiceContract(models.Model):
    _name = "service.contract"
    _description = "Service Contract"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin", "rating.parent.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True
    # The customer's contacts talk to the service desk in the portal chatter of a contract
    # they may read (core's invoices and tasks do the same).
    _mail_post_access = "read"

    name = fields.Char(
        string="Reference", required=True, copy=False, readonly=True, default="/", index="trigram"
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    # The customer's company, stored for the portal's record rule: one indexed equality
    # instead of child_of over contacts (res.partner has no parent_path).
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    device_ids = fields.Many2many(
        "maintenance.equipment",
        "service_contract_equipment_rel",
        "contract_id",
        "equipment_id",
        string="Covered Devices",
        check_company=True,
        copy=False,
        domain="[('customer_id', 'child_of', partner_id)]",
    )
    device_count = fields.Integer(compute="_compute_device_count")
    date_start = fields.Date(string="Start Date", required=True, tracking=True, index=True)
    date_end = fields.Date(string="End Date", required=True, tracking=True, index=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("expired", "Expired"),
            ("terminated", "Terminated"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Service Hours",
        required=True,
        check_company=True,
        # The contract's company's working hours, as the service desk's; 7×24 is a choice.
        compute="_compute_resource_calendar_id",
        store=True,
        readonly=False,
        precompute=True,
        help="SLA clocks count only this calendar's working time, in its time zone, "
        "skipping its leaves (public holidays). On activation it is taken in the customer's "
        "time zone (else the company's).",
    )
    # The service hours' time zone as the customer reads it ("China Time", "中国时间").
    service_tz_label = fields.Char(string="Time Zone", compute="_compute_service_tz_label")
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    monthly_fee = fields.Monetary(currency_field="currency_id", tracking=True)
    covers_remote_support = fields.Boolean(string="Remote Support", default=True)
    covers_on_site_repair = fields.Boolean(string="On-site Repair", default=True)
    covers_spare_parts = fields.Boolean(string="Spare Parts")
    covers_firmware = fields.Boolean(string="Firmware Upgrades")
    covers_inspections = fields.Boolean(string="Periodic Inspections")
    # Service products the work orders' invoices bill (maintenance.request.action_create_invoice).
    labour_product_id = fields.Many2one(
        "product.product",
        string="Labour Product",
        check_company=True,
        domain=[("type", "=", "service")],
        help="Billed per hour of a work order's duration; at zero when the contract covers "
        "the work (on-site repair, or remote support).",
    )
    travel_product_id = fields.Many2one(
        "product.product",
        string="Travel Product",
        check_company=True,
        domain=[("type", "=", "service")],
        help="Billed once per on-site work order; at zero when the contract covers on-site "
        "repair.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Account Manager",
        tracking=True,
        index=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        # The portal page names the account manager, read as superuser.
        groups="base.group_user",
    )
    sla_ids = fields.One2many(
        "service.contract.sla",
        "contract_id",
        string="SLA Targets",
        copy=True,
        default=lambda self: self._default_sla_commands(),
    )
    # Spare parts' prices fixed for the term (service.contract.price.lock).
    price_lock_ids = fields.One2many(
        "service.contract.price.lock", "contract_id", string="Price Locks", copy=True
    )
    # Spare stock held for the customer (service.contract.stock.commitment).
    stock_commitment_ids = fields.One2many(
        "service.contract.stock.commitment", "contract_id", string="Spare Stock", copy=True
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        compute="_compute_warehouse_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        groups="base.group_user",
        help="The contract's own spare-parts location is created in this warehouse's stock.",
    )
    stock_location_id = fields.Many2one(
        "stock.location",
        string="Spare Stock Location",
        readonly=True,
        copy=False,
        check_company=True,
        groups="base.group_user",
        help="The contract's own location, created on activation for the parts held without "
        "a location of their own.",
    )
    stock_grace_hours = fields.Float(
        string="Grace Period",
        default=24.0,
        tracking=True,
        groups="base.group_user",
        help="How long a committed part may stay below its minimum before the shortfall "
        "counts against the service (penalties).",
    )
    stock_compliant = fields.Boolean(
        string="Spare Stock Compliant", compute="_compute_stock_compliance"
    )
    stock_shortfall_count = fields.Integer(compute="_compute_stock_shortfall_count")
    end_reminder_sent = fields.Boolean(copy=False, help="The 30-day end reminder was scheduled.")
    note = fields.Html(string="Terms")
    penalty_rule_ids = fields.One2many(
        "service.penalty.rule",
        "contract_id",
        string="Penalty & Rebate Rules",
        copy=True,
        groups=LEDGER_GROUPS,
    )
    ledger_entry_ids = fields.One2many(
        "service.ledger.entry", "contract_id", string="Ledger", groups=LEDGER_GROUPS
    )
    ledger_entry_count = fields.Integer(compute="_compute_ledger", groups=LEDGER_GROUPS)
    ledger_balance = fields.Monetary(
        string="Net to Customer",
        compute="_compute_ledger",
        groups=LEDGER_GROUPS,
        help="Penalties and rebates credited to the customer minus what is charged to them, "
        "cancelled entries left out.",
    )
    ledger_evaluated_period = fields.Char(
        string="Ledger Evaluated Up To",
        copy=False,
        readonly=True,
        groups=LEDGER_GROUPS,
        help="The period job has evaluated caps and rebates up to this month (YYYY-MM); a "
        "correction in an earlier month sets it back.",
    )

    @api.model
    def _default_sla_commands(self):
        return [
            Command.create(
                {
                    "severity": severity,
                    "response_hours": response,
                    "arrival_hours": arrival,
                    "resolution_hours": resolution,
                }
            )
            for severity, (response, arrival, resolution) in DEFAULT_TARGETS.items()
        ]

    def _compute_access_url(self):
        for contract in self:
            contract.access_url = f"/my/contracts/{contract.id}"

    @api.depends("device_ids")
    def _compute_device_count(self):
        for contract in self:
            contract.device_count = len(contract.device_ids)

    @api.depends("company_id")
    def _compute_warehouse_id(self):
        warehouses = self.env["stock.warehouse"].search([("company_id", "in", self.company_id.ids)])
        first = {}
        for warehouse in warehouses:
            first.setdefault(warehouse.company_id, warehouse)
        for contract in self:
            contract.warehouse_id = first.get(contract.company_id, False)

    @api.depends("stock_commitment_ids.is_compliant")
    def _compute_stock_compliance(self):
        for contract in self:
            contract.stock_compliant = all(contract.stock_commitment_ids.mapped("is_compliant"))

    def _compute_stock_shortfall_count(self):
        counts = dict(
            self.env["service.stock.shortfall"]._read_group(
                [("contract_id", "in", self.ids)], ["contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.stock_shortfall_count = counts.get(contract._origin, 0)

    def _compute_ledger(self):
        groups = self.env["service.ledger.entry"]._read_group(
            [("contract_id", "in", self.ids), ("state", "!=", "cancelled")],
            ["contract_id"],
            ["__count", "signed_amount:sum"],
        )
        figures = {contract: (count, total) for contract, count, total in groups}
        for contract in self:
            contract.ledger_entry_count, contract.ledger_balance = figures.get(contract, (0, 0.0))

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for contract in self:
            if contract.date_end < contract.date_start:
                raise ValidationError(
                    _(
                        "Contract %(name)s cannot end (%(end)s) before it starts (%(start)s).",
                        name=contract.name,
                        end=contract.date_end,
                        start=contract.date_start,
                    )
                )

    @api.constrains("date_start", "date_end")
    def _check_price_lock_period(self):
        """A new period must still hold the contract's price locks."""
        self.price_lock_ids._check_within_contract()

    @api.constrains("stock_grace_hours")
    def _check_stock_grace_hours(self):
        for contract in self:
            if contract.stock_grace_hours < 0:
                raise ValidationError(
                    _(
                        "The grace period of contract %(name)s cannot be negative.",
                        name=contract.name,
                    )
                )

    @api.constrains("state", "device_ids", "date_start", "date_end")
    def _check_device_coverage(self):
        """A device is covered by one active contract at a time."""
        self.filtered(lambda c: c.state == "active")._raise_coverage_conflict()

    @api.constrains("state", "partner_id", "device_ids")
    def _check_devices_of_customer(self):
        """An active contract covers devices of its own customer only: coverage follows
        ownership (a device handed to another customer leaves it, see
        maintenance.equipment._end_former_coverage)."""
        for contract in self.filtered(lambda c: c.state == "active"):
            foreign = contract.device_ids.filtered(
                lambda d, c=contract: d.commercial_partner_id != c.commercial_partner_id
            )
            if foreign:
                raise ValidationError(
                    _(
                        "Device %(device)s does not belong to customer %(customer)s.",
                        device=foreign[0].display_name,
                        customer=contract.partner_id.display_name,
                    )
                )

    def _raise_coverage_conflict(self):
        """Refuse when a device of these contracts is covered by another active contract
        over an overlapping period (checked before activation, so nothing is written)."""
        if not self.device_ids:
            return
        others = self.search([("state", "=", "active"), ("device_ids", "in", self.device_ids.ids)])
        for contract in self:
            for other in (others | self) - contract:
                overlap = (
                    other.date_start <= contract.date_end and contract.date_start <= other.date_end
                )
                shared = contract.device_ids & other.device_ids
                if overlap and shared:
                    raise ValidationError(
                        _(
                            "Device %(device)s is already covered by contract %(other)s from "
                            "%(start)s to %(end)s.",
                            device=shared[0].display_name,
                            other=other.name,
                            start=other.date_start,
                            end=other.date_end,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or (
                    self.env.company
                )
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code(
                    "service.contract"
                ) or _("New")
            # The portal token exists from the start, so that the portal's read-only pages
            # never have to write one (see _portal_ensure_token).
            vals.setdefault("access_token", str(uuid.uuid4()))
        return super().create(vals_list)

    def copy_data(self, default=None):
        """A copy is a new draft from the same template: targets, services, calendar, fee."""
        vals_list = super().copy_data(default=default)
        for contract, vals in zip(self, vals_list, strict=True):
            vals.setdefault("note", contract.note)
            vals["name"] = "/"
        return vals_list

    def write(self, vals):
        """Activating keeps the committed spare stock by reordering rules; ending (terminate,
        expiry) archives them and closes the open shortfalls."""
        ending = self.browse()
        if vals.get("state", "active") != "active":
            ending = self.filtered(lambda contract: contract.state == "active")
        res = super().write(vals)
        if vals.get("state") == "active":
            self.stock_commitment_ids._sync_orderpoints()
        ending._stop_stock_commitments()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(contract.state != "draft" for contract in self):
            raise UserError(_("Only draft contracts can be deleted; terminate the others."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_ledger(self):
        if (
            self.env["service.ledger.entry"]
            .sudo()
            .search_count([("contract_id", "in", self.ids)], limit=1)
        ):
            raise UserError(_("A contract with penalty or rebate entries cannot be deleted."))

    def action_activate(self):
        for contract in self:
            contract._check_ready_to_activate()
            contract._align_calendar_time_zone()
        self._raise_coverage_conflict()
        self.write({"state": "active"})
        return True

    @api.depends("company_id")
    def _compute_resource_calendar_id(self):
        for contract in self:
            calendar = contract.resource_calendar_id
            if not calendar or calendar.company_id not in (contract.company_id, calendar.browse()):
                contract.resource_calendar_id = contract.company_id.resource_calendar_id

    @api.depends("resource_calendar_id.tz")
    @api.depends_context("lang")
    def _compute_service_tz_label(self):
        for contract in self:
            contract.service_tz_label = timezone_label(
                contract.resource_calendar_id.tz, self.env.lang
            )

    def _period_tz(self):
        """The time zone the contract's months are counted in (ledger periods, fee months):
        its service hours'."""
        self.ensure_one()
        return self.resource_calendar_id.tz or "UTC"

    def _service_time_zone(self):
        """Where the customer's devices are: the customer's time zone, else the company's."""
        self.ensure_one()
        partner = self.partner_id
        return (
            partner.tz or partner.commercial_partner_id.tz or self.company_id.partner_id.tz or False
        )

    def _align_calendar_time_zone(self):
        """Count the service hours in the customer's time zone (a copy of the calendar
        there when it is in another one), said in the chatter."""
        self.ensure_one()
        calendar = self.resource_calendar_id._in_time_zone(self._service_time_zone())
        if calendar != self.resource_calendar_id:
            self.resource_calendar_id = calendar
            self.message_post(
                body=_(
                    "Service hours counted in the customer's time zone: %(calendar)s.",
                    calendar=calendar.name,
                ),
                subtype_xmlid="mail.mt_note",
            )

    def action_terminate(self):
        if any(contract.state != "active" for contract in self):
            raise UserError(_("Only active contracts can be terminated."))
        self.write({"state": "terminated"})
        return True

    def action_reset_to_draft(self):
        if any(contract.state == "active" for contract in self):
            raise UserError(_("Terminate an active contract before setting it back to draft."))
        self.write({"state": "draft", "end_reminder_sent": False})
        return True

    def action_view_devices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "barcode_device_service.maintenance_equipment_action_devices"
        )
        action["domain"] = [("id", "in", self.device_ids.ids)]
        action["context"] = {"default_customer_id": self.partner_id.id}
        return action

    def action_view_stock_shortfalls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "barcode_device_service.service_stock_shortfall_action"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"search_default_group_product": 1}
        return action

    def action_view_ledger(self):
        """The contract's ledger per period: accrued, capped, settled."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "barcode_device_service.service_ledger_entry_action"
        )
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {
            "default_contract_id": self.id,
            "search_default_group_period": 1,
        }
        return action

    def action_view_ratings(self):
        """The customers' ratings of the contract's work orders: its satisfaction figure."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("rating.rating_rating_action")
        action["domain"] = [
            ("parent_res_model", "=", self._name),
            ("parent_res_id", "=", self.id),
            ("consumed", "=", True),
        ]
        action["context"] = {"create": False}
        return action

    def _check_ready_to_activate(self):
        """Everything an active contract needs, with one clear message per problem."""
        self.ensure_one()
        if self.state != "draft":
            raise UserError(_("Only draft contracts can be activated."))
        missing = [label for key, label in SEVERITIES if not self._sla_for(key)]
        if missing:
            raise UserError(
                _(
                    "Contract %(name)s has no SLA targets for: %(severities)s.",
                    name=self.name,
                    severities=", ".join(missing),
                )
            )
        foreign = self.device_ids.filtered(
            lambda d: d.customer_id.commercial_partner_id != self.partner_id.commercial_partner_id
        )
        if foreign:
            raise UserError(
                _(
                    "Device %(device)s does not belong to customer %(customer)s.",
                    device=foreign[0].display_name,
                    customer=self.partner_id.display_name,
                )
            )

    def _sla_for(self, severity):
        """The SLA target of this contract for ``severity`` (empty when there is none)."""
        self.ensure_one()
        return self.sla_ids.filtered(lambda sla: sla.severity == severity)[:1]

    def _ensure_stock_location(self):
        """Give each contract its own internal location among its warehouse's customer
        spare shelves (refilled from the warehouse's stock), named after the contract."""
        without = self.filtered(lambda c: not c.warehouse_id)
        if without:
            raise UserError(
                _(
                    "Contract %(name)s holds spare parts in its own location: choose the "
                    "warehouse it belongs to on the Spare Stock page.",
                    name=without[0].name,
                )
            )
        todo = self.filtered(lambda c: c.stock_location_id.warehouse_id != c.warehouse_id)
        todo.warehouse_id._ensure_service_shelves()
        # The contract manager needs no Inventory rights to get the location of a contract
        # they may activate; it is created in the contract's company and warehouse.
        locations = (
            self.env["stock.location"]
            .sudo()
            .create(
                [
                    {
                        "name": self.env._(
                            "%(contract)s (%(customer)s)",
                            contract=contract.name,
                            customer=contract.partner_id.commercial_partner_id.name,
                        ),
                        "location_id": contract.warehouse_id.service_shelf_location_id.id,
                        "usage": "internal",
                        "company_id": contract.company_id.id,
                    }
                    for contract in todo
                ]
            )
        )
        for contract, location in zip(todo, locations, strict=True):
            contract.stock_location_id = location

    def _stop_stock_commitments(self):
        """The contract no longer holds parts: archive its reordering rules, close its
        shortfall periods."""
        lines = self.stock_commitment_ids
        lines._archive_orderpoints(lines.orderpoint_id)
        self.env["service.stock.shortfall"].search(
            [("commitment_id", "in", lines.ids), ("state", "in", OPEN_SHORTFALL_STATES)]
        )._close(fields.Datetime.now())

    def _committed_locations(self, products):
        """{(contract id, product id): stock.location} where these contracts hold these
        products (the first line's location when a product is held at several), in one
        query. The default source location of the parts used on work orders."""
        lines = self.env["service.contract.stock.commitment"].search_fetch(
            [
                ("contract_id", "in", self.ids),
                ("product_id", "in", products.ids),
                ("location_id", "!=", False),
            ],
            ["contract_id", "product_id", "location_id"],
            order="sequence, id",
        )
        locations = {}
        for line in lines:
            locations.setdefault((line.contract_id.id, line.product_id.id), line.location_id)
        return locations

    def _committed_location(self, product):
        """The location where this contract holds ``product``, or an empty recordset."""
        self.ensure_one()
        return self._committed_locations(product).get(
            (self.id, product.id), self.env["stock.location"]
        )

    @api.model
    def _cron_expire_contracts(self):
        """Daily: expire contracts past their end; remind account managers 30 days before."""
        today = fields.Date.context_today(self)
        self.search([("state", "=", "active"), ("date_end", "<", today)]).write(
            {"state": "expired"}
        )
        ending = self.search(
            [
                ("state", "=", "active"),
                ("end_reminder_sent", "=", False),
                ("date_end", "<=", today + timedelta(days=REMINDER_DAYS)),
            ]
        )
        for contract in ending:
            contract.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=max(today, contract.date_end - timedelta(days=REMINDER_DAYS)),
                summary=_("Contract ends on %(date)s: renew it?", date=contract.date_end),
                user_id=(contract.user_id or self.env.user).id,
            )
        ending.write({"end_reminder_sent": True})
