from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.modules import module as odoo_module
from odoo.tools import float_compare

from .service_stock_shortfall import OPEN_SHORTFALL_STATES

BATCH_SIZE = 1000
# How far back the daily check looks for the move that crossed a minimum: the check runs
# every day; after a longer outage a period starts when the check sees it.
CROSSING_LOOKBACK = timedelta(days=7)
# Changing one of these on a line of an active contract changes its reordering rule.
ORDERPOINT_FIELDS = {"product_id", "location_id", "min_qty", "max_qty"}


class ServiceContractStockCommitment(models.Model):
    _name = "service.contract.stock.commitment"
    _description = "Service Contract Spare Stock Commitment"
    _order = "contract_id, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    contract_id = fields.Many2one("service.contract", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(
        related="contract_id.company_id", store=True, index=True, precompute=True
    )
    contract_state = fields.Selection(related="contract_id.state", string="Contract Status")
    product_id = fields.Many2one(
        "product.product",
        string="Spare Part",
        required=True,
        index=True,
        check_company=True,
        domain=[("is_storable", "=", True)],
    )
    product_uom_id = fields.Many2one(related="product_id.uom_id")
    location_id = fields.Many2one(
        "stock.location",
        string="Location",
        index="btree_not_null",
        check_company=True,
        domain=[("usage", "=", "internal")],
        help="Where the parts are held for the customer. Leave empty to hold them in the "
        "contract's own location, created under its warehouse when the contract is activated.",
    )
    min_qty = fields.Float(
        string="Minimum Quantity", digits="Product Unit of Measure", required=True, default=1.0
    )
    max_qty = fields.Float(
        string="Maximum Quantity",
        digits="Product Unit of Measure",
        help="Replenishment fills the location up to this quantity; empty means the minimum.",
    )
    orderpoint_id = fields.Many2one(
        "stock.warehouse.orderpoint",
        string="Reordering Rule",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    shortfall_ids = fields.One2many("service.stock.shortfall", "commitment_id")
    qty_on_hand = fields.Float(
        string="On Hand", digits="Product Unit of Measure", compute="_compute_compliance"
    )
    is_compliant = fields.Boolean(string="Compliant", compute="_compute_compliance")
    qty_incoming = fields.Float(
        string="Incoming",
        digits="Product Unit of Measure",
        compute="_compute_qty_incoming",
        help="On its way to the location: refills and returns not yet done.",
    )
    days_below_min = fields.Float(
        string="Days Below Minimum", digits=(16, 1), compute="_compute_days_below_min"
    )

    @api.depends("product_id", "location_id", "min_qty")
    def _compute_compliance(self):
        on_hand = self._on_hand_at_locations(self.product_id, self.location_id)
        for line in self:
            qty = on_hand.get((line.product_id.id, line.location_id.id), 0.0)
            line.qty_on_hand = qty
            line.is_compliant = bool(line.location_id and line.product_id) and line._is_met(qty)

    @api.depends("product_id", "location_id")
    def _compute_qty_incoming(self):
        """One grouped query over the moves still to come into the lines' locations."""
        lines = self.filtered(lambda line: line.product_id and line.location_id)
        incoming = defaultdict(float)
        if lines:
            # sudo: the contract's spare stock shows to Device Service users without
            # Inventory rights.
            groups = (
                self.env["stock.move"]
                .sudo()
                ._read_group(
                    [
                        ("state", "not in", ("draft", "done", "cancel")),
                        ("product_id", "in", lines.product_id._origin.ids),
                        ("location_dest_id", "child_of", lines.location_id._origin.ids),
                    ],
                    ["product_id", "location_id", "location_dest_id"],
                    ["product_qty:sum"],
                )
            )
            wanted = set(lines.location_id._origin.ids)
            for product, source, destination, qty in groups:
                inside_source = set(map(int, source.parent_path.rstrip("/").split("/")))
                for ancestor in map(int, destination.parent_path.rstrip("/").split("/")):
                    # A move within the location brings nothing new to it.
                    if ancestor in wanted and ancestor not in inside_source:
                        incoming[product.id, ancestor] += qty
        for line in self:
            line.qty_incoming = incoming[line.product_id._origin.id, line.location_id._origin.id]

    def _compute_days_below_min(self):
        now = fields.Datetime.now()
        days = defaultdict(float)
        ids = [line_id for line_id in self._origin.ids if line_id]
        # Closed periods add up their stored length; the open one (one per line at most)
        # counts until now.
        for line, state, closed_days, open_since in self.env["service.stock.shortfall"]._read_group(
            [("commitment_id", "in", ids)],
            ["commitment_id", "state"],
            ["duration_days:sum", "date_start:min"],
        ):
            if state in OPEN_SHORTFALL_STATES:
                days[line.id] += max((now - open_since).total_seconds(), 0.0) / 86400
            else:
                days[line.id] += closed_days
        for line in self:
            line.days_below_min = days[line._origin.id]

    @api.depends("contract_id", "product_id")
    def _compute_display_name(self):
        for line in self:
            line.display_name = _(
                "%(contract)s: %(product)s",
                contract=line.contract_id.name,
                product=line.product_id.display_name,
            )

    @api.constrains("min_qty", "max_qty")
    def _check_quantities(self):
        for line in self:
            if line.min_qty <= 0 or line.max_qty < 0:
                raise ValidationError(
                    _(
                        "The committed quantities of %(product)s on contract %(contract)s must "
                        "be positive: a minimum above zero, a maximum above zero or empty.",
                        product=line.product_id.display_name,
                        contract=line.contract_id.name,
                    )
                )
            if line.max_qty and line.max_qty < line.min_qty:
                raise ValidationError(
                    _(
                        "The maximum of %(product)s on contract %(contract)s (%(max)s) cannot be "
                        "below its minimum (%(min)s).",
                        product=line.product_id.display_name,
                        contract=line.contract_id.name,
                        max=line.max_qty,
                        min=line.min_qty,
                    )
                )

    @api.constrains("product_id")
    def _check_product_storable(self):
        for line in self:
            if not line.product_id.is_storable:
                raise ValidationError(
                    _(
                        "%(product)s is not tracked in stock: only storable products can be "
                        "held as committed spare parts.",
                        product=line.product_id.display_name,
                    )
                )

    @api.constrains("location_id", "company_id")
    def _check_location(self):
        for line in self.filtered("location_id"):
            # Read as superuser: a location of another company must be named, not hidden.
            location = line.location_id.sudo()
            if location.usage != "internal":
                raise ValidationError(
                    _(
                        "Location %(location)s is not an internal stock location: spare parts "
                        "are held in the company's own warehouse.",
                        location=location.display_name,
                    )
                )
            if location.company_id != line.company_id:
                raise ValidationError(
                    _(
                        "Location %(location)s belongs to %(location_company)s: the parts of "
                        "contract %(contract)s (%(company)s) must be held in one of its own "
                        "company's locations.",
                        location=location.display_name,
                        location_company=location.company_id.name or _("no company"),
                        contract=line.contract_id.name,
                        company=line.company_id.name,
                    )
                )

    @api.constrains("contract_id", "product_id", "location_id")
    def _check_unique_on_contract(self):
        for contract in self.contract_id:
            seen = set()
            for line in contract.stock_commitment_ids:
                key = (line.product_id, line.location_id)
                if key in seen:
                    raise ValidationError(
                        _(
                            "Contract %(contract)s commits %(product)s twice at the same "
                            "location: change the quantity of the existing line instead.",
                            contract=contract.name,
                            product=line.product_id.display_name,
                        )
                    )
                seen.add(key)

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._sync_orderpoints()
        return lines

    def write(self, vals):
        if "product_id" in vals:
            changed = self.filtered(
                lambda line: line.shortfall_ids and line.product_id.id != vals["product_id"]
            )
            if changed:
                raise UserError(
                    _(
                        "%(product)s of contract %(contract)s has recorded shortfall periods: "
                        "add a line for the other part instead of changing this one.",
                        product=changed[0].product_id.display_name,
                        contract=changed[0].contract_id.name,
                    )
                )
        res = super().write(vals)
        if ORDERPOINT_FIELDS & vals.keys() and not self.env.context.get("stock_commitment_sync"):
            self._sync_orderpoints()
        return res

    def copy_data(self, default=None):
        """A copy of a contract gets its own location, not the original contract's."""
        vals_list = super().copy_data(default=default)
        for line, vals in zip(self, vals_list, strict=True):
            if line.location_id and line.location_id == line.contract_id.stock_location_id:
                vals["location_id"] = False
        return vals_list

    @api.ondelete(at_uninstall=False)
    def _unlink_except_recorded_shortfalls(self):
        recorded = self.filtered("shortfall_ids")
        if recorded:
            raise UserError(
                _(
                    "%(product)s of contract %(contract)s has recorded shortfall periods, which "
                    "penalties are computed from: it cannot be deleted.",
                    product=recorded[0].product_id.display_name,
                    contract=recorded[0].contract_id.name,
                )
            )

    def unlink(self):
        orderpoints = self.filtered(lambda line: line.contract_id.state == "active").orderpoint_id
        res = super().unlink()
        self._archive_orderpoints(orderpoints)
        return res

    # ------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------

    def _is_met(self, qty):
        self.ensure_one()
        rounding = self.product_id.uom_id.rounding
        return float_compare(qty, self.min_qty, precision_rounding=rounding) >= 0

    @api.model
    def _on_hand_at_locations(self, products, locations):
        """On-hand quantity of each product at each location, its child locations included,
        as {(product id, location id): qty}: one grouped query over the quants, whatever the
        number of lines."""
        products, locations = products._origin, locations._origin
        if not products or not locations:
            return {}
        groups = self.env["stock.quant"]._read_group(
            [("product_id", "in", products.ids), ("location_id", "child_of", locations.ids)],
            ["product_id", "location_id"],
            ["quantity:sum"],
        )
        wanted = set(locations.ids)
        on_hand = defaultdict(float)
        for product, location, qty in groups:
            # A quant counts for every committed location above it in the tree.
            for ancestor in map(int, location.parent_path.rstrip("/").split("/")):
                if ancestor in wanted:
                    on_hand[product.id, ancestor] += qty
        return on_hand

    def _orderpoint_values(self):
        """The reordering rule of this line. A customer spare shelf is refilled by its
        warehouse's route from the main stock (buying only when that is short); a location
        of the manager's choosing follows the warehouse's usual routes."""
        self.ensure_one()
        # sudo: read for the contract manager, who needs no Inventory rights.
        location = self.location_id.sudo()
        warehouse = location.warehouse_id
        shelves = warehouse.service_shelf_location_id
        on_shelf = bool(shelves) and str(shelves.id) in location.parent_path.split("/")
        return {
            "route_id": warehouse.service_resupply_route_id.id if on_shelf else False,
            "product_id": self.product_id.id,
            "location_id": self.location_id.id,
            "company_id": self.company_id.id,
            "product_min_qty": self.min_qty,
            "product_max_qty": self.max_qty or self.min_qty,
            "trigger": "auto",
            "active": True,
        }

    def _sync_orderpoints(self):
        """Create, update or take over the reordering rule of each line of an active contract,
        so Odoo's replenishment keeps its minimum. One rule per product and location: an
        existing rule there (archived or not) is reused, never duplicated."""
        lines = self.filtered(lambda line: line.contract_id.state == "active")
        if not lines:
            return
        lines._assign_contract_locations()
        lines._check_committed_elsewhere()
        previous = lines.orderpoint_id
        # The contract manager needs no Inventory rights: the rules follow the contract they
        # may edit, with its company's products and locations (checked above).
        Orderpoint = self.env["stock.warehouse.orderpoint"].sudo().with_context(active_test=False)
        existing = {
            (orderpoint.product_id.id, orderpoint.location_id.id): orderpoint
            for orderpoint in Orderpoint.search(
                [
                    ("product_id", "in", lines.product_id.ids),
                    ("location_id", "in", lines.location_id.ids),
                ]
            )
        }
        to_create = []
        for line in lines:
            values = line._orderpoint_values()
            orderpoint = existing.get((line.product_id.id, line.location_id.id))
            if orderpoint:
                if orderpoint.snoozed_until:
                    # Core refuses an automatic rule that is snoozed.
                    orderpoint.snoozed_until = False
                orderpoint.write(values)
            else:
                to_create.append((line, values))
        for company, items in _group_by_company(to_create).items():
            created = Orderpoint.with_company(company).create([values for _line, values in items])
            for (line, _values), orderpoint in zip(items, created, strict=True):
                existing[line.product_id.id, line.location_id.id] = orderpoint
        for line in lines:
            orderpoint = existing[line.product_id.id, line.location_id.id]
            if line.orderpoint_id != orderpoint:
                line.with_context(stock_commitment_sync=True).orderpoint_id = orderpoint
        self._archive_orderpoints(previous - lines.orderpoint_id)

    @api.model
    def _archive_orderpoints(self, orderpoints):
        """Archive these reordering rules unless a line of an active contract still uses them
        (kept, not deleted: reactivating the contract reuses them)."""
        if not orderpoints:
            return
        used = self.search(
            [("orderpoint_id", "in", orderpoints.ids), ("contract_id.state", "=", "active")]
        ).orderpoint_id
        # Rules the contract created or took over; see _sync_orderpoints for the sudo.
        (orderpoints - used).sudo().filtered("active").write({"active": False})

    def _assign_contract_locations(self):
        """Lines without a location hold their parts in the contract's own location."""
        lines = self.filtered(lambda line: not line.location_id)
        lines.contract_id._ensure_stock_location()
        for contract, contract_lines in lines.grouped("contract_id").items():
            contract_lines.with_context(
                stock_commitment_sync=True
            ).location_id = contract.stock_location_id

    def _check_committed_elsewhere(self):
        """A location holds one active contract's commitment of a part: the reordering rule
        carries one minimum, and each shortfall must belong to one contract."""
        others = self.search(
            [
                ("id", "not in", self.ids),
                ("contract_id.state", "=", "active"),
                ("product_id", "in", self.product_id.ids),
                ("location_id", "in", self.location_id.ids),
            ]
        )
        taken = {}
        for line in others | self:
            key = (line.product_id, line.location_id)
            other = taken.setdefault(key, line)
            if other.contract_id != line.contract_id:
                raise ValidationError(
                    _(
                        "%(product)s is already held at %(location)s for contract %(other)s. "
                        "Choose another location for contract %(contract)s, or leave it empty "
                        "to use the contract's own location.",
                        product=line.product_id.display_name,
                        location=line.location_id.display_name,
                        other=other.contract_id.name,
                        contract=line.contract_id.name,
                    )
                )

    # ------------------------------------------------------------
    # Daily check
    # ------------------------------------------------------------

    @api.model
    def _cron_check_stock(self, batch_size=BATCH_SIZE):
        """Daily: compare the on-hand quantity at each committed location of the active
        contracts with the minimum and record shortfall periods, a batch at a time with a
        commit each (an interrupted run resumes where it stopped); then wake up again when the
        next grace period ends."""
        now = fields.Datetime.now()
        domain = [("contract_id.state", "=", "active"), ("location_id", "!=", False)]
        remaining = self.search_count(domain)
        done = last_id = 0
        while remaining:
            lines = self.search([*domain, ("id", ">", last_id)], order="id", limit=batch_size)
            if not lines:
                break
            lines._check_stock_levels(now)
            done += len(lines)
            remaining = max(remaining - len(lines), 0)
            last_id = lines[-1].id
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            if not odoo_module.current_test:
                # Commit per batch: what is recorded stays recorded if the job dies.
                self.env.cr.commit()  # pylint: disable=invalid-commit
        upcoming = self.env["service.stock.shortfall"].search(
            [("state", "=", "open"), ("grace_end", ">", now)], order="grace_end", limit=1
        )
        if upcoming:
            self.env.ref("barcode_device_service.ir_cron_stock_check")._trigger(
                at=upcoming.grace_end
            )

    def _check_stock_levels(self, now=None):
        """Open, update, close and expire the shortfall periods of these lines: one grouped
        query over the quants and one over the open shortfalls, whatever their number."""
        now = now or fields.Datetime.now()
        Shortfall = self.env["service.stock.shortfall"]
        on_hand = self._on_hand_at_locations(self.product_id, self.location_id)
        current = Shortfall.search(
            [("commitment_id", "in", self.ids), ("state", "in", OPEN_SHORTFALL_STATES)]
        )
        current_by_line = {shortfall.commitment_id.id: shortfall for shortfall in current}
        to_open, restored = [], Shortfall
        still_short = defaultdict(lambda: Shortfall)
        for line in self:
            qty = on_hand.get((line.product_id.id, line.location_id.id), 0.0)
            shortfall = current_by_line.get(line.id, Shortfall)
            if line._is_met(qty):
                restored |= shortfall
                continue
            missing = line.min_qty - qty
            if not shortfall:
                to_open.append(
                    {"commitment_id": line.id, "date_start": now, "missing_qty": missing}
                )
            elif float_compare(
                shortfall.missing_qty, missing, precision_rounding=line.product_id.uom_id.rounding
            ):
                still_short[missing] |= shortfall
        for missing, shortfalls in still_short.items():
            shortfalls.missing_qty = missing
        # A period starts (or ends) when the move that crossed the minimum was done, not
        # when this check notices it; without such a move (stock set by hand), now.
        changed = self.browse([vals["commitment_id"] for vals in to_open]) | restored.commitment_id
        crossings = changed._last_crossings(on_hand, now)
        for vals in to_open:
            vals["date_start"] = crossings.get(vals["commitment_id"], now)
        late = Shortfall
        for end, shortfalls in restored.grouped(
            lambda s: max(crossings.get(s.commitment_id.id, now), s.date_start)
        ).items():
            late |= shortfalls._close(end)
        opened = Shortfall.create(to_open)
        expired = (current - restored + opened)._expire(now)
        (late | expired)._notify_grace_expired()

    def _last_crossings(self, on_hand, now):
        """{line id: when the latest done move took the line's location across its minimum
        into its state of ``now`` (below it, or back at it)}, walking back from the
        on-hand quantity through the moves of the last days: one query for all lines.
        Lines without such a move since they were committed are left out."""
        if not self:
            return {}
        since = max(now - CROSSING_LOOKBACK, min(self.mapped("create_date")))
        move_lines = self.env["stock.move.line"].search_fetch(
            [
                ("state", "=", "done"),
                ("product_id", "in", self.product_id.ids),
                ("date", ">=", since),
                ("date", "<=", now),
                "|",
                ("location_id", "child_of", self.location_id.ids),
                ("location_dest_id", "child_of", self.location_id.ids),
            ],
            ["product_id", "location_id", "location_dest_id", "quantity_product_uom", "date"],
            order="date desc, id desc",
        )
        by_product = defaultdict(list)
        for move_line in move_lines:
            by_product[move_line.product_id.id].append(move_line)
        crossings = {}
        for line in self:
            location = str(line.location_id.id)
            qty = on_hand.get((line.product_id.id, line.location_id.id), 0.0)
            met_now = line._is_met(qty)
            for move_line in by_product[line.product_id.id]:
                if move_line.date < line.create_date:
                    break
                into = location in move_line.location_dest_id.parent_path.split("/")
                out_of = location in move_line.location_id.parent_path.split("/")
                delta = move_line.quantity_product_uom * ((1 if into else 0) - (1 if out_of else 0))
                before = qty - delta
                if line._is_met(before) != met_now:
                    crossings[line.id] = move_line.date
                    break
                qty = before
        return crossings


def _group_by_company(items):
    """[(line, values)] grouped by the line's company (rules are created in its company)."""
    grouped = defaultdict(list)
    for line, values in items:
        grouped[line.company_id].append((line, values))
    return grouped
