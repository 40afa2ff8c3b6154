from contextlib import contextmanager

from freezegun import freeze_time

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged


class WorkOrderPartsCase(AccountTestInvoicingCommon):
    """Two companies, a customer's device under a contract (print head locked and held on
    the customer's shelf), spare parts in stock, a technician and managers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The set-up and the stock checks run as superuser; users act through with_user.
        cls.env = cls.env(su=True)
        cls.company_data_2 = cls.setup_other_company()
        cls.company_a = cls.company_data["company"]
        cls.company_b = cls.company_data_2["company"]
        common = {
            "company_id": cls.company_a.id,
            "company_ids": [Command.set(cls.company_a.ids)],
        }
        cls.technician = new_test_user(
            cls.env,
            login="bds_parts_technician",
            groups="base.group_user,barcode_device_service.group_device_service_user",
            **common,
        )
        cls.manager = new_test_user(
            cls.env,
            login="bds_parts_manager",
            groups=(
                "base.group_user,barcode_device_service.group_device_service_manager,"
                "account.group_account_invoice"
            ),
            **common,
        )
        # A Device Service manager without Invoicing's billing rights does not invoice.
        cls.manager_no_billing = new_test_user(
            cls.env,
            login="bds_parts_manager_no_billing",
            groups="base.group_user,barcode_device_service.group_device_service_manager",
            **common,
        )
        Warehouse = cls.env["stock.warehouse"]
        cls.warehouse = Warehouse.search([("company_id", "=", cls.company_a.id)], limit=1)
        cls.warehouse_b = Warehouse.search([("company_id", "=", cls.company_b.id)], limit=1)
        cls.stock = cls.warehouse.lot_stock_id
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.customer = cls.partner_a
        cls.print_head = cls._create_product(
            name="Print Head 203 dpi", lst_price=1000.0, is_storable=True, is_spare_part=True
        )
        cls.roller = cls._create_product(
            name="Platen Roller", lst_price=200.0, is_storable=True, is_spare_part=True
        )
        cls.scanner_board = cls._create_product(
            name="Scanner Main Board",
            lst_price=700.0,
            is_storable=True,
            tracking="serial",
            is_spare_part=True,
        )
        cls.labour = cls._create_product(name="Technician hour", type="service", lst_price=90.0)
        cls.travel = cls._create_product(name="Travel", type="service", lst_price=60.0)
        cls.device = cls.env["maintenance.equipment"].create(
            {"name": "ZT411 Line 1", "customer_id": cls.customer.id, "company_id": cls.company_a.id}
        )
        cls.contract = cls.env["service.contract"].create(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.company_a.id,
                "date_start": "2025-07-01",
                "date_end": "2026-06-30",
                "resource_calendar_id": cls.env.ref(
                    "barcode_device_service.resource_calendar_7x24"
                ).id,
                "device_ids": [Command.set(cls.device.ids)],
                "covers_spare_parts": False,
                "covers_on_site_repair": False,
                "labour_product_id": cls.labour.id,
                "travel_product_id": cls.travel.id,
                "price_lock_ids": [
                    Command.create({"product_id": cls.print_head.id, "price_unit": 900.0})
                ],
                "stock_commitment_ids": [
                    Command.create({"product_id": cls.print_head.id, "min_qty": 1.0})
                ],
            }
        )
        cls.contract.action_activate()
        cls.cage = cls.contract.stock_location_id
        Team = cls.env["maintenance.team"]
        cls.team = Team.create({"name": "Field service A", "company_id": cls.company_a.id})
        cls.team_b = Team.create({"name": "Field service B", "company_id": cls.company_b.id})
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.print_head, cls.cage, 3)
        Quant._update_available_quantity(cls.roller, cls.stock, 5)
        cls.serials = cls.env["stock.lot"].create(
            [
                {
                    "name": f"SB-{i}",
                    "product_id": cls.scanner_board.id,
                    "company_id": cls.company_a.id,
                }
                for i in range(2)
            ]
        )
        for lot in cls.serials:
            Quant._update_available_quantity(cls.scanner_board, cls.stock, 1, lot_id=lot)

    # ------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------

    def _work_order(self, device=None, **vals):
        return (
            self.env["maintenance.request"]
            .with_user(self.technician)
            .create(
                {
                    "name": "Labels smeared",
                    "equipment_id": (device or self.device).id,
                    "is_on_site": True,
                    "duration": 2.0,
                    "maintenance_team_id": self.team.id,
                    **vals,
                }
            )
            .with_env(self.env)
        )

    def _parts(self, request, lines, user=None):
        """Parts added to ``request`` by the technician: (product, quantity, lot or None)."""
        return (
            self.env["maintenance.request.part"]
            .with_user(user or self.technician)
            .create(
                [
                    {
                        "request_id": request.id,
                        "product_id": product.id,
                        "quantity": quantity,
                        "lot_id": lot.id if lot else False,
                    }
                    for product, quantity, lot in lines
                ]
            )
            .with_env(self.env)
        )

    def _on_hand(self, product, location, lot=None):
        return self.env["stock.quant"]._get_available_quantity(
            product, location, lot_id=lot, strict=True, allow_negative=True
        )

    @contextmanager
    def _refused(self, exception, pattern):
        """The error says ``pattern``; what the attempt wrote is rolled back."""
        with self.assertRaisesRegex(exception, pattern), self.env.cr.savepoint():
            yield


@freeze_time("2026-01-15")
@tagged("post_install", "-at_install")
class TestWorkOrderParts(WorkOrderPartsCase):
    """Spare parts used on work orders: taken to the customer with real stock moves, brought
    back, and billed once on the work order's draft invoice (covered parts at zero)."""

    # ------------------------------------------------------------
    # stock
    # ------------------------------------------------------------

    def test_default_location_and_availability(self):
        request = self._work_order()
        head, roller = self._parts(request, [(self.print_head, 1, None), (self.roller, 2, None)])
        self.assertEqual(head.location_id, self.cage, "the contract's committed location")
        self.assertEqual(roller.location_id, self.stock, "else the warehouse stock")
        self.assertEqual(head.available_qty, 3.0)
        self.assertEqual(roller.available_qty, 5.0)

    def test_consume_and_return_with_serial(self):
        request = self._work_order()
        lot = self.serials[0]
        board = self._parts(request, [(self.scanner_board, 1, lot)])
        self.assertEqual(board.available_qty, 1.0)
        board.with_user(self.technician).action_consume()
        self.assertEqual(board.state, "consumed")
        move = board.move_ids
        self.assertEqual(move.state, "done")
        self.assertEqual(move.picking_id.picking_type_id, self.warehouse.service_parts_type_id)
        self.assertEqual(move.picking_id.partner_id, self.customer)
        self.assertEqual(move.location_dest_id, self.customers)
        self.assertEqual(move.move_line_ids.lot_id, lot)
        self.assertEqual(self._on_hand(self.scanner_board, self.stock, lot), 0.0)
        self.assertEqual(self._on_hand(self.scanner_board, self.customers, lot), 1.0)

        board.with_user(self.technician).action_return()
        self.assertEqual(board.state, "returned")
        self.assertEqual(len(board.move_ids), 2)
        back = board.move_ids - move
        self.assertEqual(back.location_dest_id, self.stock)
        self.assertEqual(back.origin_returned_move_id, move)
        self.assertEqual(self._on_hand(self.scanner_board, self.stock, lot), 1.0)
        self.assertEqual(self._on_hand(self.scanner_board, self.customers, lot), 0.0)

    def test_tracked_part_needs_its_lot(self):
        board = self._parts(self._work_order(), [(self.scanner_board, 1, None)])
        with self._refused(UserError, "choose its lot or serial number"):
            board.action_consume()
        self.assertEqual(board.state, "draft")

    def test_serial_already_at_customer_refused(self):
        lot = self.serials[1]
        first = self._parts(self._work_order(), [(self.scanner_board, 1, lot)])
        first.action_consume()
        # The serial is at the customer; a second work order tries to use it again.
        self.env["stock.quant"]._update_available_quantity(
            self.scanner_board, self.stock, 1, lot_id=lot
        )
        second = self._parts(self._work_order(), [(self.scanner_board, 1, lot)])
        moves_before = self.env["stock.move"].search_count([])
        with self._refused(UserError, "SB-1 .* is already at a customer"):
            second.action_consume()
        self.assertEqual(second.state, "draft")
        self.assertEqual(self.env["stock.move"].search_count([]), moves_before)

    def test_many_parts_one_transfer(self):
        request = self._work_order()
        parts = self._parts(request, [(self.roller, 1, None)] * 4)
        self.assertTrue(request.has_parts_to_consume)
        request.with_user(self.technician).action_consume_parts()
        self.assertEqual(set(parts.mapped("state")), {"consumed"})
        self.assertFalse(request.has_parts_to_consume, "the Consume Parts button goes")
        self.assertEqual(len(parts.move_ids.picking_id), 1)
        self.assertEqual(len(parts.move_ids), 4)
        self.assertEqual(self._on_hand(self.roller, self.stock), 1.0)

    def test_consuming_sends_no_delivery_notice(self):
        """The service-parts transfer is the stock record of the technician's work, not a
        delivery the customer is told about: no delivery e-mail (nor SMS: validated with
        skip_sms), even when the company sends them for its deliveries."""
        self.company_a.stock_move_email_validation = True
        self.customer.write({"email": "plant@customer.example.com", "mobile": "+86 139 0000"})
        request = self._work_order()
        self._parts(request, [(self.roller, 1, None)]).action_consume()
        picking = request.part_ids.move_ids.picking_id
        self.assertEqual(picking.state, "done")
        template = self.company_a.stock_mail_confirmation_template_id
        comment = self.env.ref("mail.mt_comment")

        def notices(transfer):
            return self.env["mail.message"].search_count(
                [
                    ("model", "=", "stock.picking"),
                    ("res_id", "=", transfer.id),
                    ("subtype_id", "=", comment.id),
                ]
            )

        self.assertEqual(notices(picking), 0, template.name)
        # A real delivery of the same company still tells the customer.
        delivery = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.out_type_id.id,
                "partner_id": self.customer.id,
                "location_id": self.stock.id,
                "location_dest_id": self.customers.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": "Roller",
                            "product_id": self.roller.id,
                            "product_uom_qty": 1,
                            "location_id": self.stock.id,
                            "location_dest_id": self.customers.id,
                        }
                    )
                ],
            }
        )
        delivery.action_confirm()
        delivery.move_ids.quantity = 1
        delivery.move_ids.picked = True
        delivery._action_done()
        self.assertEqual(notices(delivery), 1)

    def test_only_spare_parts_compatible_first(self):
        """Only products marked as spare parts go on a work order; the device model's
        compatible parts are offered first when the technician picks one."""
        chair = self._create_product(name="Office chair", lst_price=90.0, is_storable=True)
        with self._refused(ValidationError, "not a spare part"):
            self._parts(self._work_order(), [(chair, 1, None)])
        model = self._create_product(name="ZT411 printer", is_storable=True).product_tmpl_id
        self.device.product_id = model.product_variant_id
        request = self._work_order()
        Product = self.env["product.product"].with_user(self.technician)
        field = self.env["maintenance.request.part"]._fields["product_id"]
        found = Product.name_search("", field.domain, limit=50)
        ids = [product_id for product_id, _name in found]
        self.assertNotIn(chair.id, ids)
        self.assertIn(self.roller.id, ids)
        # No compatible list: the usual order; with one, those parts lead.
        model.compatible_part_ids = self.scanner_board
        part = self.env["maintenance.request.part"].new({"request_id": request.id})
        self.assertEqual(part.device_product_id, model.product_variant_id)
        compatible = Product.with_context(compatible_with_product_id=part.device_product_id.id)
        found = compatible.name_search("", field.domain, limit=50)
        self.assertEqual(found[0][0], self.scanner_board.id)
        self.assertEqual(sorted(i for i, _n in found), sorted(ids), "the others still follow")
        # A short limit keeps room for the compatible ones; typing still filters.
        self.assertEqual(
            compatible.name_search("", field.domain, limit=1)[0][0], self.scanner_board.id
        )
        ours = [*field.domain, ("id", "in", (self.roller | self.print_head | chair).ids)]
        self.assertEqual([i for i, _n in compatible.name_search("Roller", ours)], [self.roller.id])

    def test_more_than_available_refused_unless_negative_allowed(self):
        request = self._work_order()
        roller = self._parts(request, [(self.roller, 6, None)])
        self.assertEqual(roller.available_qty, 5.0)
        with self._refused(UserError, "Only 5.0 Units of Platen Roller are available"):
            roller.action_consume()
        self.assertEqual(self._on_hand(self.roller, self.stock), 5.0)
        self.assertFalse(self.env["stock.move"].search([("product_id", "=", self.roller.id)]))
        # Two lines that each fit but not together are refused as well.
        split = self._parts(self._work_order(), [(self.roller, 3, None), (self.roller, 3, None)])
        with self._refused(UserError, "6.0 wanted"):
            split.action_consume()

        self.stock.allow_negative_stock = True
        roller.action_consume()
        self.assertEqual(self._on_hand(self.roller, self.stock), -1.0)

    def test_bad_input(self):
        request = self._work_order()
        with self._refused(ValidationError, "must be positive"):
            self._parts(request, [(self.roller, -1, None)])
        with self._refused(ValidationError, "one line per serial"):
            self._parts(request, [(self.scanner_board, 2, None)])
        roller = self._parts(request, [(self.roller, 1, None)])
        with self._refused(UserError, "(?i)compan"):
            roller.location_id = self.warehouse_b.lot_stock_id
        roller.action_consume()
        with self._refused(UserError, "return it before changing"):
            roller.quantity = 2
        with self._refused(UserError, "return it"):
            roller.unlink()

    # ------------------------------------------------------------
    # coverage
    # ------------------------------------------------------------

    def test_coverage(self):
        warranty_device = self.env["maintenance.equipment"].create(
            {
                "name": "ZT411 Line 2",
                "customer_id": self.customer.id,
                "company_id": self.company_a.id,
                "warranty_start_date": "2025-06-01",
                "warranty_end_date": "2027-05-31",
            }
        )
        self.contract.device_ids = [Command.link(warranty_device.id)]
        in_warranty = self._parts(self._work_order(warranty_device), [(self.roller, 1, None)])
        self.assertFalse(in_warranty.is_chargeable, "device in warranty")
        plain = self._parts(self._work_order(), [(self.roller, 1, None)])
        self.assertTrue(plain.is_chargeable, "neither warranty nor spare parts cover")
        self.contract.covers_spare_parts = True
        covered = self._parts(self._work_order(), [(self.roller, 1, None)])
        self.assertFalse(covered.is_chargeable, "the contract covers spare parts")

        # Overriding: a manager's decision, with a reason.
        with self._refused(ValidationError, "Only a Device Service manager"):
            covered.with_user(self.technician).write(
                {"is_chargeable": True, "coverage_override_reason": "Dropped by the customer"}
            )
        with self._refused(ValidationError, "fill in the override reason"):
            covered.with_user(self.manager).is_chargeable = True
        covered.with_user(self.manager).write(
            {"is_chargeable": True, "coverage_override_reason": "Dropped by the customer"}
        )
        self.assertTrue(covered.is_chargeable)

    # ------------------------------------------------------------
    # invoicing
    # ------------------------------------------------------------

    def test_invoice_covered_and_chargeable(self):
        request = self._work_order()
        head, roller, board = self._parts(
            request,
            [
                (self.print_head, 1, None),
                (self.roller, 2, None),
                (self.scanner_board, 1, self.serials[0]),
            ],
        )
        board.with_user(self.manager).write(
            {"is_chargeable": False, "coverage_override_reason": "Goodwill: failed twice"}
        )
        (head | roller | board).action_consume()
        self.assertEqual(head.price_unit, 900.0, "the locked price is shown")
        self.assertEqual(roller.price_unit, 200.0, "else the list price")

        with self._refused(AccessError, "Only a Device Service manager"):
            request.with_user(self.technician).action_create_invoice()
        request.with_user(self.manager).action_create_invoice()
        invoice = request.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertRecordValues(
            invoice,
            [{"move_type": "out_invoice", "state": "draft", "partner_id": self.customer.id}],
        )
        self.assertEqual(invoice.service_request_id, request)
        self.assertEqual(request.invoice_count, 1)
        self.assertRecordValues(
            invoice.invoice_line_ids.sorted("id"),
            [
                {"product_id": self.print_head.id, "quantity": 1.0, "price_unit": 900.0},
                {"product_id": self.roller.id, "quantity": 2.0, "price_unit": 200.0},
                {"product_id": self.scanner_board.id, "quantity": 1.0, "price_unit": 0.0},
                {"product_id": self.labour.id, "quantity": 2.0, "price_unit": 90.0},
                {"product_id": self.travel.id, "quantity": 1.0, "price_unit": 60.0},
            ],
        )
        self.assertEqual(head.invoice_id, invoice)
        self.assertTrue(head.is_invoiced)
        with self._refused(UserError, "credit the invoice"):
            head.action_return()

        # A covered locked part alone is nothing chargeable: no 0.00 invoice is drafted.
        covered_head = self._parts(request, [(self.print_head, 1, None)])
        covered_head.with_user(self.manager).write(
            {"is_chargeable": False, "coverage_override_reason": "Replaced under goodwill"}
        )
        covered_head.action_consume()
        with self._refused(UserError, "nothing chargeable"):
            request.with_user(self.manager).action_create_invoice()
        self.assertEqual(request.invoice_ids, invoice)
        self.assertFalse(covered_head.invoice_id)
        # With a chargeable part beside it, the covered one shows at zero and the lock
        # holds: core's accountant, who is no Device Service manager, posts it.
        roller_2 = self._parts(request, [(self.roller, 1, None)])
        roller_2.action_consume()
        request.with_user(self.manager).action_create_invoice()
        second = request.invoice_ids - invoice
        self.assertRecordValues(
            second.invoice_line_ids.sorted("id"),
            [
                {"product_id": self.print_head.id, "price_unit": 0.0},
                {"product_id": self.roller.id, "price_unit": 200.0},
            ],
        )
        second.invoice_date = "2026-01-15"
        second.with_env(self.env(su=False)).action_post()
        self.assertEqual(second.state, "posted")

        # No double billing: nothing new now; after cancelling the first invoice, its
        # lines can be billed again.
        with self._refused(UserError, "nothing new to invoice"):
            request.with_user(self.manager).action_create_invoice()
        invoice.button_cancel()
        self.assertFalse(head.is_invoiced)
        request.with_user(self.manager).action_create_invoice()
        third = request.invoice_ids - invoice - second
        self.assertEqual(len(third.invoice_line_ids), 5)

    def test_invoice_needs_billing_rights(self):
        """A Device Service manager without billing rights is refused before anything is
        drafted or linked (never a half-done action), and does not see the button."""
        request = self._work_order()
        roller = self._parts(request, [(self.roller, 1, None)])
        roller.action_consume()
        as_manager = request.with_user(self.manager_no_billing)
        self.assertFalse(as_manager.user_can_invoice)
        self.assertTrue(request.with_user(self.manager).user_can_invoice)
        self.assertFalse(request.with_user(self.technician).user_can_invoice)
        with self._refused(AccessError, "Billing rights"):
            as_manager.action_create_invoice()
        self.assertFalse(request.invoice_ids)
        self.assertFalse(roller.invoice_line_id)
        # The one who has them invoices once; the invoice opens for them.
        action = request.with_user(self.manager).action_create_invoice()
        invoice = request.invoice_ids
        self.assertEqual(action["res_id"], invoice.id)
        invoice.with_user(self.manager).check_access("read")
        self.assertEqual(roller.invoice_line_id.move_id, invoice)

    def test_cancelled_work_order_not_invoiced(self):
        request = self._work_order()
        self._parts(request, [(self.roller, 1, None)]).action_consume()
        request.archive_equipment_request()
        with self._refused(UserError, "is cancelled"):
            request.with_user(self.manager).action_create_invoice()
        self.assertFalse(request.invoice_ids)

    # ------------------------------------------------------------
    # companies and rights
    # ------------------------------------------------------------

    def test_multi_company(self):
        device_b = self.env["maintenance.equipment"].create(
            {"name": "Scanner B", "customer_id": self.customer.id, "company_id": self.company_b.id}
        )
        request_b = self.env["maintenance.request"].create(
            {
                "name": "Scanner B broken",
                "equipment_id": device_b.id,
                "company_id": self.company_b.id,
                "maintenance_team_id": self.team_b.id,
            }
        )
        self.env["stock.quant"]._update_available_quantity(
            self.roller, self.warehouse_b.lot_stock_id, 2
        )
        part_b = self.env["maintenance.request.part"].create(
            {"request_id": request_b.id, "product_id": self.roller.id, "quantity": 1}
        )
        self.assertEqual(part_b.company_id, self.company_b)
        self.assertEqual(part_b.location_id, self.warehouse_b.lot_stock_id)
        part_b.action_consume()
        self.assertEqual(
            part_b.move_ids.picking_id.picking_type_id, self.warehouse_b.service_parts_type_id
        )
        self.assertEqual(self._on_hand(self.roller, self.stock), 5.0, "company A's stock untouched")
        Part = self.env["maintenance.request.part"].with_user(self.technician)
        self.assertFalse(Part.search([("id", "=", part_b.id)]), "company B's parts are hidden")

    def test_technician_rights(self):
        request = self._work_order()
        roller = self._parts(request, [(self.roller, 1, None)])
        roller.with_user(self.technician).action_consume()
        self.assertEqual(roller.state, "consumed")
        outsider = new_test_user(
            self.env,
            login="bds_parts_outsider",
            groups="base.group_user",
            company_id=self.company_a.id,
            company_ids=[Command.set(self.company_a.ids)],
        )
        with self.assertRaises(AccessError):
            self._parts(request, [(self.roller, 1, None)], user=outsider)
