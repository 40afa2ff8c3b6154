"""The work order's spare parts and its invoice: consuming the parts, and a draft invoice
of what is not billed yet (chargeable parts at the locked price, covered ones at zero,
labour and travel). Same model as maintenance_request.py."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.groups import MANAGER


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    # Spare parts used and the invoices of the work order.
    part_ids = fields.One2many("maintenance.request.part", "request_id", string="Parts")
    invoice_ids = fields.One2many(
        "account.move",
        "service_request_id",
        string="Invoices",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
    invoice_count = fields.Integer(compute="_compute_invoice_count", groups="base.group_user")
    has_parts_to_consume = fields.Boolean(compute="_compute_has_parts_to_consume")
    has_parts_to_approve = fields.Boolean(compute="_compute_has_parts_to_consume")
    # Create Invoice needs both roles: the Device Service manager decides what is billed,
    # Invoicing's billing rights let them open (and the accountant post) what is drafted.
    user_can_invoice = fields.Boolean(compute="_compute_user_can_invoice")

    @api.depends("part_ids.state")
    def _compute_has_parts_to_consume(self):
        for request in self:
            request.has_parts_to_consume = any(p.state == "draft" for p in request.part_ids)
            request.has_parts_to_approve = any(p.state == "to_approve" for p in request.part_ids)

    @api.depends_context("uid")
    def _compute_user_can_invoice(self):
        user = self.env.user
        can = user.has_group(MANAGER) and user.has_group("account.group_account_invoice")
        self.user_can_invoice = can

    def _compute_invoice_count(self):
        # sudo: the count of a work order's invoices shows to its technicians too.
        counts = dict(
            self.env["account.move"]
            .sudo()
            ._read_group(
                [("service_request_id", "in", self.ids)], ["service_request_id"], ["__count"]
            )
        )
        for request in self:
            request.invoice_count = counts.get(request, 0)

    def action_consume_parts(self):
        """Consume every part of these work orders that is still on the shelf."""
        # Approved parts only: those waiting for the manager stay on the shelf.
        parts = self.part_ids.filtered(lambda part: part.state == "draft")
        if not parts:
            raise UserError(_("There are no approved parts left to consume on these work orders."))
        return parts.action_consume()

    def action_approve_parts(self):
        """The team manager approves every part waiting on these work orders."""
        return self.part_ids.filtered(lambda part: part.state == "to_approve").action_approve()

    def action_create_invoice(self):
        """A draft customer invoice per work order with what it has not billed yet: its
        consumed parts (chargeable ones at the contract's locked price, else the list price;
        covered ones at zero), and the contract's labour (the work order's duration, in
        hours) and travel (one trip for on-site work) products.

        Only a Device Service manager with Invoicing's billing rights invoices: both are
        checked before anything is drafted. A part already on an invoice that is not
        cancelled is never billed again, nor are labour and travel; a work order with
        nothing new to bill, only covered (zero) lines, or a cancelled one, is refused.
        """
        if not self.env.user.has_group(MANAGER):
            raise AccessError(_("Only a Device Service manager may invoice a work order."))
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(
                _(
                    "Invoicing a work order needs Invoicing's Billing rights as well: ask an "
                    "administrator to grant them, or an accountant to invoice it."
                )
            )
        self.check_access("write")
        invoices = self.env["account.move"]
        for request in self:
            invoices |= request._create_invoice()
        return invoices._get_records_action(name=_("Invoices"), context={"create": False})

    def action_view_invoices(self):
        self.ensure_one()
        return self.invoice_ids._get_records_action(name=_("Invoices"), context={"create": False})

    def _create_invoice(self):
        self.ensure_one()
        if self.archive:
            raise UserError(
                _("Work order %(name)s is cancelled: it cannot be invoiced.", name=self.name)
            )
        if not self.customer_id:
            raise UserError(_("Work order %(name)s has no customer to invoice.", name=self.name))
        parts = self.part_ids.filtered(lambda part: part.state == "consumed" and not part._billed())
        line_values = [
            {
                "product_id": part.product_id.id,
                "quantity": part.quantity,
                "product_uom_id": part.product_uom_id.id,
                # The line names its part in its values (as core's sale lines do), rather
                # than being matched with it by position afterwards.
                "service_part_ids": [fields.Command.link(part.id)],
                # Chargeable parts take the price core proposes: the contract's locked price
                # when a lock applies (account.move.line._compute_price_unit), else the list
                # price. Covered parts are shown at zero.
                **({} if part.is_chargeable else {"price_unit": 0.0}),
            }
            for part in parts
        ]
        line_values += self._service_line_values()
        if not line_values:
            raise UserError(
                _(
                    "Work order %(name)s has nothing new to invoice: its consumed parts, "
                    "labour and travel are already on an invoice.",
                    name=self.name,
                )
            )
        # Covered lines carry an explicit zero price; a work order with only those has
        # nothing the customer pays, and a 0.00 invoice would only confuse them.
        if all(vals.get("price_unit") == 0.0 for vals in line_values):
            raise UserError(
                _(
                    "Work order %(name)s has nothing chargeable to invoice: its parts, labour "
                    "and travel are covered by the contract.",
                    name=self.name,
                )
            )
        # sudo: the Device Service manager (checked by the caller) drafts the invoice for
        # Accounting to review and post; posting keeps Accounting's own rights and checks.
        invoice = (
            self.env["account.move"]
            .sudo()
            .with_company(self.company_id)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer_id.id,
                    "company_id": self.company_id.id,
                    "invoice_origin": self.name,
                    "service_request_id": self.id,
                    "invoice_line_ids": [fields.Command.create(vals) for vals in line_values],
                }
            )
        )
        self.message_post(
            body=_("Invoice %(invoice)s drafted.", invoice=invoice._get_html_link()),
            subtype_xmlid="mail.mt_note",
        )
        return invoice.sudo(False)

    def _service_line_values(self):
        """Labour and travel lines of the contract's service products, once per work order.

        Labour bills the work order's duration in hours; travel one trip when the work is on
        site. Covered by the contract (on-site repair for on-site work, remote support
        otherwise), they show at zero like covered parts.
        """
        contract = self.contract_id.sudo()
        billed_products = (
            self.sudo()
            .invoice_ids.filtered(lambda move: move.state != "cancel")
            .invoice_line_ids.product_id
        )
        covered = (
            contract.covers_on_site_repair if self.is_on_site else (contract.covers_remote_support)
        )
        values = []
        labour, travel = contract.labour_product_id, contract.travel_product_id
        if labour and self.duration > 0 and labour not in billed_products:
            values.append({"product_id": labour.id, "quantity": self.duration})
        if travel and self.is_on_site and travel not in billed_products:
            values.append({"product_id": travel.id, "quantity": 1.0})
        if covered:
            for vals in values:
                vals["price_unit"] = 0.0
        return values
