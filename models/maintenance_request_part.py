from collections import defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, float_is_zero

from ..tools.groups import MANAGER

# What may no longer change on a part once it left the shelf: return it first.
CONSUMED_LOCKED_FIELDS = {"product_id", "quantity", "lot_id", "location_id", "request_id"}


class MaintenanceRequestPart(models.Model):
    """A spare part used on a work order.

    Consuming it moves it, with its lot or serial, from its source location (the contract's
    committed location by default) to the customer in a "Service parts" transfer; returning
    an unused part moves it back. The work order's invoice bills it when it is chargeable
    (at the contract's locked price, else the list price) and shows it at zero when covered.
    """

    _name = "maintenance.request.part"
    _description = "Work Order Spare Part"
    _order = "request_id, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    request_id = fields.Many2one(
        "maintenance.request",
        string="Work Order",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        related="request_id.company_id", store=True, index=True, precompute=True
    )
    customer_id = fields.Many2one(related="request_id.customer_id", string="Customer")
    product_id = fields.Many2one(
        "product.product",
        string="Spare Part",
        required=True,
        index=True,
        check_company=True,
        domain=[("type", "=", "consu"), ("is_spare_part", "=", True)],
    )
    # The device model of the work order: its compatible parts are offered first.
    device_product_id = fields.Many2one(related="request_id.equipment_id.product_id")
    tracking = fields.Selection(related="product_id.tracking")
    product_uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    quantity = fields.Float(digits="Product Unit of Measure", required=True, default=1.0)
    lot_id = fields.Many2one(
        "stock.lot",
        string="Lot/Serial Number",
        index="btree_not_null",
        check_company=True,
        domain="[('product_id', '=', product_id)]",
    )
    location_id = fields.Many2one(
        "stock.location",
        string="Source Location",
        compute="_compute_location_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        domain="[('usage', '=', 'internal')]",
        help="Where the part is taken from: the contract's committed location for this part, "
        "else the company's warehouse stock.",
    )
    available_qty = fields.Float(
        string="Available",
        compute="_compute_available_qty",
        digits="Product Unit of Measure",
        help="Unreserved quantity at the source location (and its sublocations), of the lot "
        "when one is set.",
    )
    is_chargeable = fields.Boolean(
        string="Chargeable",
        compute="_compute_is_chargeable",
        store=True,
        readonly=False,
        precompute=True,
        help="Covered parts (device in warranty, or a contract covering spare parts) appear "
        "on the invoice at zero. A manager may override the coverage with a reason.",
    )
    coverage_override_reason = fields.Char(
        help="Why a manager billed a covered part, or covered a chargeable one."
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    price_unit = fields.Monetary(
        string="Unit Price",
        compute="_compute_price_unit",
        help="The contract's locked price on the work order's date, else the list price.",
    )
    price_subtotal = fields.Monetary(string="Amount", compute="_compute_price_unit")
    state = fields.Selection(
        [
            # Chargeable above the team's limit, or at a price the contract does not lock:
            # the team manager approves it first (maintenance_request_part_approval.py).
            ("to_approve", "To Approve"),
            ("refused", "Refused"),
            ("draft", "To Consume"),
            ("consumed", "Consumed"),
            ("returned", "Returned"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
    )
    move_ids = fields.Many2many(
        "stock.move",
        "maintenance_request_part_stock_move_rel",
        "part_id",
        "move_id",
        string="Stock Moves",
        readonly=True,
        copy=False,
    )
    invoice_line_id = fields.Many2one(
        "account.move.line", readonly=True, copy=False, index="btree_not_null", ondelete="set null"
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")
    is_invoiced = fields.Boolean(compute="_compute_is_invoiced")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("product_id", "request_id.contract_id", "company_id")
    def _compute_location_id(self):
        """The contract's committed location for the part, else the company's stock; one
        commitment query for all the lines, one warehouse search per company."""
        todo = self.filtered(lambda part: part.product_id and part.state != "consumed")
        for part in self - todo:
            # A consumed part keeps the location it was taken from.
            part.location_id = part.location_id
        committed = todo.request_id.contract_id._committed_locations(todo.product_id)
        stocks = {}
        for part in todo:
            location = committed.get((part.request_id.contract_id.id, part.product_id.id))
            if not location:
                company = part.company_id or self.env.company
                if company not in stocks:
                    stocks[company] = (
                        self.env["stock.warehouse"]
                        .search([("company_id", "=", company.id)], limit=1)
                        .lot_stock_id
                    )
                location = stocks[company]
            part.location_id = location

    @api.depends("product_id", "location_id", "lot_id")
    def _compute_available_qty(self):
        """One grouped read of the quants of every line's part below its location."""
        available = self._available_quantities()
        for part in self:
            part.available_qty = available.get(part._stock_key(), 0.0)

    @api.depends(
        "request_id.equipment_id.warranty_start_date",
        "request_id.equipment_id.warranty_end_date",
        "request_id.contract_id.covers_spare_parts",
        "request_id.request_date",
    )
    def _compute_is_chargeable(self):
        for part in self:
            if (
                part.coverage_override_reason
                or part.state in ("consumed", "returned")
                or part.invoice_line_id
            ):
                # A manager's decision, or a part already used or billed: keep it.
                part.is_chargeable = part.is_chargeable
            else:
                part.is_chargeable = not part._is_covered()

    @api.depends("product_id", "quantity", "is_chargeable", "request_id.customer_id", "company_id")
    def _compute_price_unit(self):
        """Locked prices read once for all lines of a work order (one search per request)."""
        for request, parts in self.grouped("request_id").items():
            company = request.company_id or self.env.company
            day = request.request_date or fields.Date.context_today(self)
            locks = {}
            if request.customer_id:
                locks = self.env["service.contract.price.lock"]._find_locks(
                    request.customer_id, parts.product_id, day, company
                )
            for part in parts:
                lock = locks.get(part.product_id)
                if lock:
                    price = lock._locked_price_in(company.currency_id, day, company)
                else:
                    price = part.product_id.currency_id._convert(
                        part.product_id.lst_price, company.currency_id, company, day
                    )
                part.price_unit = price
                part.price_subtotal = price * part.quantity if part.is_chargeable else 0.0

    @api.depends("invoice_line_id.parent_state")
    def _compute_is_invoiced(self):
        for part in self:
            part.is_invoiced = part._billed()

    @api.depends("request_id", "product_id")
    def _compute_display_name(self):
        for part in self:
            part.display_name = f"{part.request_id.name or ''}: {part.product_id.display_name}"

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("is_chargeable", "coverage_override_reason")
    def _check_coverage_override(self):
        """Overriding the coverage is a manager's decision, and it says why."""
        is_manager = self.env.su or self.env.user.has_group(MANAGER)
        for part in self:
            if part.state in ("consumed", "returned") or part.is_chargeable == (
                not part._is_covered()
            ):
                continue
            if not is_manager:
                raise ValidationError(
                    _(
                        "Only a Device Service manager may bill a covered part or cover a "
                        "chargeable one (%(product)s on %(request)s).",
                        product=part.product_id.display_name,
                        request=part.request_id.name,
                    )
                )
            if not (part.coverage_override_reason or "").strip():
                raise ValidationError(
                    _(
                        "Say why %(product)s on %(request)s is %(decision)s although the "
                        "warranty and the contract say otherwise: fill in the override reason.",
                        product=part.product_id.display_name,
                        request=part.request_id.name,
                        decision=_("chargeable") if part.is_chargeable else _("covered"),
                    )
                )

    @api.constrains("product_id")
    def _check_spare_part(self):
        for part in self:
            if not part.product_id.is_spare_part:
                raise ValidationError(
                    _(
                        "%(product)s is not a spare part: only products marked Spare Part "
                        "(on the product form) can be used on a work order.",
                        product=part.product_id.display_name,
                    )
                )

    @api.constrains("product_id", "lot_id", "quantity")
    def _check_lot(self):
        for part in self:
            if part.quantity <= 0:
                raise ValidationError(
                    _(
                        "The quantity of %(product)s on %(request)s must be positive.",
                        product=part.product_id.display_name,
                        request=part.request_id.name,
                    )
                )
            if part.lot_id and part.lot_id.product_id != part.product_id:
                raise ValidationError(
                    _(
                        "Lot %(lot)s is not a lot of %(product)s.",
                        lot=part.lot_id.name,
                        product=part.product_id.display_name,
                    )
                )
            if part.product_id.tracking == "serial" and part.quantity != 1:
                raise ValidationError(
                    _(
                        "%(product)s is tracked by serial number: use one line per serial, "
                        "with a quantity of 1.",
                        product=part.product_id.display_name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    def write(self, vals):
        if CONSUMED_LOCKED_FIELDS.intersection(vals):
            used = self.filtered(lambda part: part.state == "consumed")
            if used:
                raise UserError(
                    _(
                        "%(product)s on %(request)s was consumed: return it before changing "
                        "the part, its quantity, lot or location.",
                        product=used[0].product_id.display_name,
                        request=used[0].request_id.name,
                    )
                )
        if {"is_chargeable", "coverage_override_reason"}.intersection(vals):
            billed = self.filtered(lambda part: part._billed())
            if billed:
                raise UserError(
                    _(
                        "%(product)s on %(request)s is on invoice %(invoice)s: its coverage "
                        "can no longer change.",
                        product=billed[0].product_id.display_name,
                        request=billed[0].request_id.name,
                        invoice=billed[0].invoice_id.display_name,
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_consumed_or_billed(self):
        for part in self:
            if part.state == "consumed" or part._billed():
                raise UserError(
                    _(
                        "%(product)s on %(request)s was consumed or billed: return it (and "
                        "credit its invoice) instead of deleting the line.",
                        product=part.product_id.display_name,
                        request=part.request_id.name,
                    )
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_consume(self):
        """Take the parts to the customer: one validated "Service parts" transfer per work
        order and source location, one move per part, with its lot or serial."""
        parts = self.filtered(lambda part: part.state != "consumed")
        if not parts:
            raise UserError(_("These parts are already consumed."))
        parts.check_access("write")
        parts._check_can_consume()
        parts._move_to_or_from_customer("consumed")
        return True

    def action_return(self):
        """Bring unused parts back from the customer to the location they came from."""
        parts = self.filtered(lambda part: part.state == "consumed")
        if not parts:
            raise UserError(_("Only consumed parts can be returned."))
        parts.check_access("write")
        billed = parts.filtered(lambda part: part._billed())
        if billed:
            raise UserError(
                _(
                    "%(product)s is on invoice %(invoice)s: credit the invoice before "
                    "returning the part.",
                    product=billed[0].product_id.display_name,
                    invoice=billed[0].invoice_id.display_name,
                )
            )
        parts._move_to_or_from_customer("returned")
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _move_to_or_from_customer(self, state):
        """One validated transfer per work order and source location: to the customer when
        the parts are ``consumed``, back to where they came from when ``returned``."""
        customers = self.env.ref("stock.stock_location_customers")
        for (request, location), group in self.grouped(
            lambda part: (part.request_id, part.location_id)
        ).items():
            source, destination = (
                (location, customers) if state == "consumed" else (customers, location)
            )
            moves = group._create_validated_transfer(request, source, destination, location)
            for part, move in zip(group, moves, strict=True):
                part.write({"state": state, "move_ids": [Command.link(move.id)]})

    def _is_covered(self):
        """Covered when the device is under warranty on the work order's date, or the work
        order's contract covers spare parts."""
        self.ensure_one()
        request = self.request_id
        device = request.equipment_id
        day = request.request_date or fields.Date.context_today(self)
        in_warranty = bool(
            device.warranty_end_date
            and (not device.warranty_start_date or device.warranty_start_date <= day)
            and day <= device.warranty_end_date
        )
        return in_warranty or bool(request.contract_id.sudo().covers_spare_parts)

    def _billed(self):
        """On an invoice that is not cancelled: never billed a second time."""
        self.ensure_one()
        line = self.sudo().invoice_line_id
        return bool(line) and line.parent_state != "cancel"

    def _stock_key(self):
        return (self.product_id.id, self.location_id.id, self.lot_id.id)

    def _available_quantities(self):
        """{(product id, location id, lot id): unreserved quantity below the location}, in
        one grouped read of stock.quant for all these lines."""
        parts = self.filtered(lambda part: part.product_id and part.location_id)
        if not parts:
            return {}
        # sudo: the quantity on the shelf is shown to technicians, who have no stock rights.
        groups = (
            self.env["stock.quant"]
            .sudo()
            ._read_group(
                [
                    ("product_id", "in", parts.product_id.ids),
                    ("location_id", "child_of", parts.location_id.ids),
                ],
                ["product_id", "location_id", "lot_id"],
                ["quantity:sum", "reserved_quantity:sum"],
            )
        )
        result = defaultdict(float)
        for part in parts:
            key = part._stock_key()
            if key in result:
                continue
            prefix = part.location_id.parent_path
            result[key] = sum(
                quantity - reserved
                for product, location, lot, quantity, reserved in groups
                if product == part.product_id
                and location.parent_path.startswith(prefix)
                and (not part.lot_id or lot == part.lot_id)
            )
        return result

    def _check_can_consume(self):
        """Refuse, before any stock moves, what cannot leave the shelf: parts without a stock
        location, of another company, without their lot, a serial already at a customer, or
        more than is available where the location does not allow negative stock."""
        for part in self:
            if part.state in ("to_approve", "refused"):
                raise UserError(
                    _(
                        "%(product)s on %(request)s is not approved: the team manager approves "
                        "it before it leaves the shelf.",
                        product=part.product_id.display_name,
                        request=part.request_id.name,
                    )
                )
            if part.location_id.usage != "internal":
                raise UserError(
                    _(
                        "Choose the internal location %(product)s is taken from.",
                        product=part.product_id.display_name,
                    )
                )
            if part.location_id.company_id != part.company_id:
                raise UserError(
                    _(
                        "%(location)s belongs to another company than work order %(request)s.",
                        location=part.location_id.display_name,
                        request=part.request_id.name,
                    )
                )
            if part.product_id.tracking != "none" and not part.lot_id:
                raise UserError(
                    _(
                        "%(product)s is tracked: choose its lot or serial number before "
                        "consuming it.",
                        product=part.product_id.display_name,
                    )
                )
            if not part.request_id.customer_id:
                raise UserError(
                    _(
                        "Work order %(request)s has no customer to take the parts to.",
                        request=part.request_id.name,
                    )
                )
        serials = self.lot_id.filtered(lambda lot: lot.product_id.tracking == "serial")
        if serials:
            # sudo: where a serial is, is checked for technicians without stock rights.
            at_customer = (
                self.env["stock.quant"]
                .sudo()
                .search(
                    [
                        ("lot_id", "in", serials.ids),
                        ("location_id.usage", "=", "customer"),
                        ("quantity", ">", 0),
                    ],
                    limit=1,
                )
            )
            if at_customer:
                raise UserError(
                    _(
                        "Serial number %(serial)s of %(product)s is already at a customer "
                        "(%(location)s): it cannot be consumed again.",
                        serial=at_customer.lot_id.name,
                        product=at_customer.product_id.display_name,
                        location=at_customer.location_id.display_name,
                    )
                )
        wanted = defaultdict(float)
        for part in self:
            wanted[part._stock_key()] += part.quantity
        available = self._available_quantities()
        for part in self:
            key = part._stock_key()
            # Consumables without stock tracking have no quantity to check.
            if part.location_id.allow_negative_stock or not part.product_id.is_storable:
                continue
            rounding = part.product_uom_id.rounding
            if float_compare(wanted[key], available.get(key, 0.0), precision_rounding=rounding) > 0:
                # Worked out before the message: the term extractor cannot read f-strings.
                lot = f" ({part.lot_id.name})" if part.lot_id else ""
                raise UserError(
                    _(
                        "Only %(available)s %(uom)s of %(product)s%(lot)s are available at "
                        "%(location)s, %(wanted)s wanted. Replenish the location first, or let "
                        "it allow negative stock.",
                        available=available.get(key, 0.0),
                        uom=part.product_uom_id.name,
                        product=part.product_id.display_name,
                        lot=lot,
                        location=part.location_id.display_name,
                        wanted=wanted[key],
                    )
                )

    def _create_validated_transfer(self, request, source, destination, stock_location):
        """One done "Service parts" transfer of these parts of ``request`` from ``source`` to
        ``destination``; returns its moves in the order of the parts.

        ``stock_location`` is the warehouse side of the transfer: its warehouse gives the
        operation type.
        """
        company = request.company_id
        picking_type = self.env["stock.warehouse"]._service_parts_type_for(stock_location, company)
        partner = request.customer_id
        # sudo: consuming parts is the technician's act on the work order (rights checked on
        # the parts); the transfer is the stock record of it, kept without stock rights.
        # skip_sms: no delivery SMS to the customer for each part (stock_sms, when
        # installed), nor its warning wizard on a server without SMS credits.
        Picking = self.env["stock.picking"].sudo().with_company(company).with_context(skip_sms=True)
        picking = Picking.create(
            {
                "picking_type_id": picking_type.id,
                "partner_id": partner.id,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "origin": request.name,
                "move_ids": [
                    Command.create(
                        {
                            "name": part.product_id.display_name,
                            "product_id": part.product_id.id,
                            "product_uom": part.product_uom_id.id,
                            "product_uom_qty": part.quantity,
                            "location_id": source.id,
                            "location_dest_id": destination.id,
                            "partner_id": partner.id,
                            "company_id": company.id,
                            "picking_type_id": picking_type.id,
                            "origin_returned_move_id": part.move_ids[-1:].id
                            if destination == stock_location
                            else False,
                        }
                    )
                    for part in self
                ],
            }
        )
        # Not merged: each part keeps its own move (and its lot), even for the same product.
        picking.move_ids._action_confirm(merge=False)
        moves = picking.move_ids.sorted("id")
        for part, move in zip(self, moves, strict=True):
            rounding = move.product_uom.rounding
            move.move_line_ids.unlink()
            if not float_is_zero(part.quantity, precision_rounding=rounding):
                move.move_line_ids = [
                    Command.create(
                        {
                            "product_id": part.product_id.id,
                            "product_uom_id": part.product_uom_id.id,
                            "quantity": part.quantity,
                            "lot_id": part.lot_id.id,
                            "location_id": source.id,
                            "location_dest_id": destination.id,
                            "company_id": company.id,
                        }
                    )
                ]
            move.picked = True
        picking._action_done()
        if picking.state != "done":
            raise UserError(
                _("The transfer %(picking)s could not be validated.", picking=picking.name)
            )
        return moves
