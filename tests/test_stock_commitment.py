import importlib.util
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import DeviceServiceCase


class StockCommitmentCase(DeviceServiceCase):
    """Contracts holding spare parts in the test company's warehouse; contracts are handled
    by the service manager, who has no Inventory rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Warehouse = cls.env["stock.warehouse"]
        cls.warehouse = Warehouse.search([("company_id", "=", cls.company.id)], limit=1)
        cls.warehouse_2 = Warehouse.search([("company_id", "=", cls.company_2.id)], limit=1)
        cls.stock = cls.warehouse.lot_stock_id
        cls.cage = cls.env["stock.location"].create(
            {"name": "Spare cage", "location_id": cls.stock.id, "company_id": cls.company.id}
        )
        cls.roller = cls.env["product.product"].create(
            {"name": "Platen Roller", "is_storable": True, "company_id": False}
        )
        cls.label_roll = cls.env["product.product"].create(
            {"name": "Label roll (consumable)", "type": "consu", "is_storable": False}
        )
        cls.calendar = cls.env.ref("barcode_device_service.resource_calendar_7x24")
        cls.Contract = cls.env["service.contract"].with_user(cls.manager)
        cls.Orderpoint = cls.env["stock.warehouse.orderpoint"].with_context(active_test=False)
        cls.Shortfall = cls.env["service.stock.shortfall"]

    def _contract(self, lines, **vals):
        """A draft contract of the test company holding ``lines``: (product, min, max,
        location or None for the contract's own)."""
        values = {
            "partner_id": self.customer.id,
            "date_start": "2026-01-01",
            "date_end": "2027-12-31",
            "resource_calendar_id": self.calendar.id,
            "company_id": self.company.id,
            "stock_commitment_ids": [
                Command.create(
                    {
                        "product_id": product.id,
                        "min_qty": min_qty,
                        "max_qty": max_qty,
                        "location_id": location.id if location else False,
                    }
                )
                for product, min_qty, max_qty, location in lines
            ],
        }
        values.update(vals)
        # Created by the service manager; read back as superuser (the manager cannot read
        # the reordering rules, which the assertions look at).
        return self.Contract.create(values).with_env(self.env)

    @contextmanager
    def assertRefused(self, exception, text):
        """The error names ``text``; what the failed operation wrote is rolled back."""
        with self.assertRaises(exception) as caught:
            yield
        self.assertIn(text, str(caught.exception))
        self.env.invalidate_all()

    def _rules(self, product, location):
        return self.Orderpoint.search(
            [("product_id", "=", product.id), ("location_id", "=", location.id)]
        )

    def _set_stock(self, product, location, qty):
        quants = self.env["stock.quant"]._gather(product, location, strict=True)
        delta = qty - sum(quants.mapped("quantity"))
        if delta:
            self.env["stock.quant"]._update_available_quantity(product, location, delta)

    def _check(self, when):
        with freeze_time(when):
            self.env["service.contract.stock.commitment"]._cron_check_stock()
        self.env.invalidate_all()


@tagged("post_install", "-at_install")
class TestStockCommitmentRules(StockCommitmentCase):
    def test_activation_creates_location_and_rules(self):
        contract = self._contract([(self.spare_part, 2, 0, None), (self.roller, 4, 10, self.cage)])
        self.assertEqual(contract.warehouse_id, self.warehouse, "the company's first warehouse")
        head, roller = contract.stock_commitment_ids
        self.assertFalse(head.location_id)
        self.assertFalse(head.orderpoint_id)
        contract.with_user(self.manager).action_activate()

        own = contract.stock_location_id
        # Beside WH/Stock, not in it: what a customer holds is not the company's free stock.
        self.assertEqual(own.location_id, self.warehouse.service_shelf_location_id)
        self.assertEqual(own.warehouse_id, self.warehouse)
        self.assertNotIn(str(self.stock.id), own.parent_path.split("/"))
        self.assertEqual((own.usage, own.company_id), ("internal", self.company))
        self.assertIn(contract.name, own.name)
        self.assertEqual(head.location_id, own)
        self.assertEqual(roller.location_id, self.cage)
        for line, min_qty, max_qty in ((head, 2, 2), (roller, 4, 10)):
            rule = line.orderpoint_id
            self.assertEqual(rule, self._rules(line.product_id, line.location_id))
            self.assertTrue(rule.active)
            self.assertEqual(rule.trigger, "auto")
            self.assertEqual((rule.product_min_qty, rule.product_max_qty), (min_qty, max_qty))
            self.assertEqual((rule.warehouse_id, rule.company_id), (self.warehouse, self.company))
        self.assertEqual(contract._committed_location(self.roller), self.cage)
        self.assertEqual(contract._committed_location(self.spare_part), own)
        self.assertFalse(contract._committed_location(self.device_product))
        # The shelf is refilled from WH/Stock; a location chosen in the stock keeps the
        # warehouse's usual routes.
        self.assertEqual(head.orderpoint_id.route_id, self.warehouse.service_resupply_route_id)
        self.assertFalse(roller.orderpoint_id.route_id)

    def test_the_shelf_is_refilled_from_the_main_stock(self):
        """Replenishing a customer's shelf is an internal transfer from WH/Stock (buying
        only when WH/Stock is short, through its own routes); an Inventory user sees the
        shelf's rule and where it is, and the contract shows what is on its way."""
        contract = self._contract([(self.spare_part, 2, 4, None)])
        contract.with_user(self.manager).action_activate()
        line = contract.stock_commitment_ids
        self._set_stock(self.spare_part, self.stock, 10)
        line.orderpoint_id.action_replenish()
        move = self.env["stock.move"].search(
            [
                ("product_id", "=", self.spare_part.id),
                ("location_dest_id", "=", line.location_id.id),
            ]
        )
        self.assertEqual(move.picking_type_id.code, "internal")
        refills = self.warehouse.service_resupply_route_id.rule_ids.picking_type_id
        self.assertRecordValues(
            move,
            [
                {
                    "location_id": self.stock.id,
                    "picking_type_id": refills.id,
                    "product_uom_qty": 4.0,
                    "procure_method": "make_to_stock",
                }
            ],
        )
        line.invalidate_recordset(["qty_incoming"])
        self.assertEqual((line.qty_on_hand, line.qty_incoming), (0.0, 4.0))
        stock_user = new_test_user(
            self.env,
            login="bds_stock_user",
            groups="base.group_user,stock.group_stock_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        Orderpoint = self.env["stock.warehouse.orderpoint"].with_user(stock_user)
        found = Orderpoint.search([("is_customer_shelf", "=", True)])
        self.assertIn(line.orderpoint_id, found)
        self.assertIn(
            contract.name, found.filtered(lambda o: o == line.orderpoint_id).service_location_name
        )
        action = self.env.ref(
            "barcode_device_service.stock_warehouse_orderpoint_action_customer_shelves"
        )
        self.assertIn(line.orderpoint_id, Orderpoint.search(safe_eval(action.domain)))
        # The main stock's rules are no customer shelf.
        other = self.Orderpoint.create(
            {
                "product_id": self.roller.id,
                "location_id": self.stock.id,
                "product_min_qty": 1,
                "product_max_qty": 1,
                "company_id": self.company.id,
            }
        )
        self.assertNotIn(other, found | Orderpoint.search([("is_customer_shelf", "=", True)]))

    def test_upgrade_moves_shelves_beside_the_stock(self):
        """A shelf created under WH/Stock by an earlier version moves beside it on upgrade,
        its parts with it, and its rule takes the refill route."""
        contract = self._contract([(self.spare_part, 2, 4, None)])
        contract.with_user(self.manager).action_activate()
        shelf, line = contract.stock_location_id, contract.stock_commitment_ids
        shelf.location_id = self.stock  # as 18.0.1.1.0 made it
        line.orderpoint_id.route_id = False
        self._set_stock(self.spare_part, shelf, 3)
        path = Path(__file__).parents[1] / "migrations" / "18.0.1.2.0" / "post-migrate.py"
        spec = importlib.util.spec_from_file_location("bds_migration_shelves", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.1.0")
        self.assertEqual(shelf.location_id, self.warehouse.service_shelf_location_id)
        self.assertEqual(line.orderpoint_id.route_id, self.warehouse.service_resupply_route_id)
        line.invalidate_recordset(["qty_on_hand"])
        self.assertEqual(line.qty_on_hand, 3)

    def test_editing_a_line_updates_its_rule(self):
        contract = self._contract([(self.spare_part, 2, 0, None)])
        contract.with_user(self.manager).action_activate()
        line = contract.stock_commitment_ids
        rule = line.orderpoint_id
        line.with_user(self.manager).write({"min_qty": 3, "max_qty": 5})
        self.assertEqual((rule.product_min_qty, rule.product_max_qty), (3, 5))
        line.with_user(self.manager).max_qty = 0
        self.assertEqual(rule.product_max_qty, 3, "no maximum: the minimum")

        # Moved to the cage: a rule there, the old one archived.
        line.with_user(self.manager).location_id = self.cage
        self.assertNotEqual(line.orderpoint_id, rule)
        self.assertEqual(line.orderpoint_id, self._rules(self.spare_part, self.cage))
        self.assertTrue(line.orderpoint_id.active)
        self.assertFalse(rule.active)

    def test_lines_added_or_deleted_on_an_active_contract(self):
        contract = self._contract([(self.spare_part, 2, 0, None)])
        contract.with_user(self.manager).action_activate()
        contract.with_user(self.manager).stock_commitment_ids = [
            Command.create({"product_id": self.roller.id, "min_qty": 1})
        ]
        added = contract.stock_commitment_ids.filtered(lambda line: line.product_id == self.roller)
        self.assertEqual(added.location_id, contract.stock_location_id)
        rule = added.orderpoint_id
        self.assertTrue(rule.active)
        added.with_user(self.manager).unlink()
        self.assertFalse(rule.active, "archived, not deleted")
        self.assertTrue(rule.exists())

    def test_ending_archives_and_reactivating_reuses(self):
        contract = self._contract([(self.spare_part, 2, 0, None), (self.roller, 1, 0, self.cage)])
        contract.with_user(self.manager).action_activate()
        rules = contract.stock_commitment_ids.orderpoint_id
        location = contract.stock_location_id
        self.assertEqual(len(rules), 2)
        contract.with_user(self.manager).action_terminate()
        self.assertFalse(any(rules.mapped("active")))
        contract.with_user(self.manager).action_reset_to_draft()
        contract.stock_commitment_ids[0].min_qty = 5
        contract.with_user(self.manager).action_activate()
        self.assertEqual(contract.stock_location_id, location, "the same location again")
        self.assertEqual(contract.stock_commitment_ids.orderpoint_id, rules)
        self.assertTrue(all(rules.mapped("active")))
        self.assertEqual(rules[0].product_min_qty, 5)
        for line in contract.stock_commitment_ids:
            self.assertEqual(len(self._rules(line.product_id, line.location_id)), 1)

    def test_expiry_archives_the_rules(self):
        contract = self._contract([(self.spare_part, 2, 0, None)], date_end="2026-12-31")
        contract.with_user(self.manager).action_activate()
        rule = contract.stock_commitment_ids.orderpoint_id
        with freeze_time("2027-01-02 01:00:00"):
            self.env["service.contract"]._cron_expire_contracts()
        self.assertEqual(contract.state, "expired")
        self.assertFalse(rule.active)

    def test_an_existing_rule_is_taken_over_not_duplicated(self):
        archived, manual = self.Orderpoint.with_company(self.company).create(
            [
                {
                    "product_id": self.spare_part.id,
                    "location_id": self.cage.id,
                    "product_min_qty": 1,
                    "product_max_qty": 1,
                    "active": False,
                },
                {
                    "product_id": self.roller.id,
                    "location_id": self.cage.id,
                    "trigger": "manual",
                    "snoozed_until": "2099-01-01",
                },
            ]
        )
        contract = self._contract(
            [(self.spare_part, 2, 0, self.cage), (self.roller, 3, 6, self.cage)]
        )
        contract.with_user(self.manager).action_activate()
        self.assertEqual(contract.stock_commitment_ids.orderpoint_id, archived | manual)
        self.assertTrue(archived.active)
        self.assertEqual((manual.trigger, manual.snoozed_until), ("auto", False))
        self.assertEqual((manual.product_min_qty, manual.product_max_qty), (3, 6))
        self.assertEqual(len(self._rules(self.roller, self.cage)), 1)

    def test_two_active_contracts_cannot_hold_a_part_at_the_same_location(self):
        first = self._contract([(self.spare_part, 2, 0, self.cage)])
        first.with_user(self.manager).action_activate()
        second = self._contract([(self.spare_part, 1, 0, self.cage)])
        with self.assertRefused(ValidationError, first.name):
            second.with_user(self.manager).action_activate()
        self.assertEqual(second.state, "draft")
        self.assertEqual(len(self._rules(self.spare_part, self.cage)), 1)
        self.assertEqual(self._rules(self.spare_part, self.cage).product_min_qty, 2)
        # Nor be moved there while active; its own location is fine.
        second.stock_commitment_ids.location_id = False
        second.with_user(self.manager).action_activate()
        with self.assertRaises(ValidationError):
            second.stock_commitment_ids.location_id = self.cage
        first.with_user(self.manager).action_terminate()
        second.stock_commitment_ids.location_id = self.cage
        self.assertEqual(second.stock_commitment_ids.orderpoint_id.product_min_qty, 1)
        self.assertEqual(len(self._rules(self.spare_part, self.cage)), 1)

    def test_a_copy_gets_its_own_location(self):
        contract = self._contract([(self.spare_part, 2, 0, None), (self.roller, 1, 0, self.cage)])
        contract.with_user(self.manager).action_activate()
        copy = contract.copy()
        head, roller = copy.stock_commitment_ids
        self.assertFalse(head.location_id)
        self.assertEqual(roller.location_id, self.cage)
        self.assertFalse(copy.stock_location_id)
        self.assertFalse(copy.stock_commitment_ids.orderpoint_id)


@tagged("post_install", "-at_install")
class TestStockCommitmentBadInput(StockCommitmentCase):
    def _counts(self):
        return (
            self.env["service.contract.stock.commitment"].search_count([]),
            self.Orderpoint.search_count([]),
            self.env["stock.location"].search_count([]),
        )

    def test_bad_quantities_are_refused(self):
        contract = self._contract([(self.spare_part, 2, 0, None)])
        contract.with_user(self.manager).action_activate()
        line = contract.stock_commitment_ids.with_user(self.manager)
        before = self._counts()
        for values in ({"min_qty": -1}, {"min_qty": 0}, {"max_qty": -3}, {"max_qty": 1}):
            with self.subTest(values=values), self.assertRefused(ValidationError, "Print Head"):
                line.write(values)
            self.assertEqual((line.min_qty, line.max_qty), (2, 0))
            self.assertEqual(line.sudo().orderpoint_id.product_min_qty, 2)
        with self.assertRefused(ValidationError, "Platen Roller"):
            self._contract([(self.roller, -1, 0, None)])
        with self.assertRefused(ValidationError, "below its minimum"):
            self._contract([(self.roller, 4, 2, None)])
        self.assertEqual(self._counts(), before)

    def test_non_storable_product_is_refused(self):
        before = self._counts()
        with self.assertRefused(ValidationError, "Label roll"):
            self._contract([(self.label_roll, 1, 0, None)])
        self.assertEqual(self._counts(), before)

    def test_location_of_another_company_is_refused(self):
        before = self._counts()
        with self.assertRefused(ValidationError, self.company_2.name):
            self._contract([(self.spare_part, 1, 0, self.warehouse_2.lot_stock_id)])
        contract = self._contract([(self.spare_part, 1, 0, None)])
        with self.assertRefused(ValidationError, "internal"):
            contract.stock_commitment_ids.location_id = self.env.ref(
                "stock.stock_location_customers"
            )
        with self.assertRaises(UserError):
            contract.warehouse_id = self.warehouse_2
        self.assertEqual(self._counts()[1:], before[1:])

    def test_a_part_twice_at_the_same_location_is_refused(self):
        with self.assertRefused(ValidationError, "twice"):
            self._contract([(self.spare_part, 1, 0, None), (self.spare_part, 2, 0, None)])
        contract = self._contract(
            [(self.spare_part, 1, 0, None), (self.spare_part, 2, 0, self.cage)]
        )
        self.assertEqual(len(contract.stock_commitment_ids), 2, "two locations are two lines")

    def test_activation_without_warehouse_is_refused(self):
        contract = self._contract([(self.spare_part, 1, 0, None)])
        contract.warehouse_id = False
        before = self._counts()
        with self.assertRefused(UserError, "warehouse"):
            contract.with_user(self.manager).action_activate()
        self.assertEqual(contract.state, "draft")
        self.assertEqual(self._counts(), before)

    def test_negative_grace_period_is_refused(self):
        with self.assertRaises(ValidationError):
            self._contract([], stock_grace_hours=-1)

    def test_a_line_with_recorded_shortfalls_is_kept(self):
        contract = self._contract([(self.spare_part, 1, 0, None)])
        contract.with_user(self.manager).action_activate()
        self._check("2027-02-01 02:00:00")
        line = contract.stock_commitment_ids
        self.assertTrue(line.shortfall_ids)
        with self.assertRaises(UserError):
            line.unlink()
        with self.assertRaises(UserError):
            line.product_id = self.roller
        self.assertTrue(line.orderpoint_id.active)


@tagged("post_install", "-at_install")
class TestStockShortfalls(StockCommitmentCase):
    def test_periods_open_update_and_close_across_days(self):
        contract = self._contract([(self.spare_part, 2, 4, None)], stock_grace_hours=72)
        contract.with_user(self.manager).action_activate()
        line = contract.stock_commitment_ids
        location = line.location_id
        self._set_stock(self.spare_part, location, 2)
        self._check("2027-02-01 02:00:00")
        self.assertFalse(line.shortfall_ids)
        self.assertTrue(line.is_compliant)

        self._set_stock(self.spare_part, location, 0)  # both used on a repair
        self._check("2027-02-02 02:00:00")
        shortfall = line.shortfall_ids
        self.assertEqual(len(shortfall), 1)
        self.assertEqual(shortfall.date_start, datetime(2027, 2, 2, 2))
        self.assertEqual((shortfall.missing_qty, shortfall.state), (2, "open"))
        self.assertEqual(shortfall.grace_end, datetime(2027, 2, 5, 2))
        self.assertEqual((shortfall.product_id, shortfall.contract_id), (self.spare_part, contract))
        self.assertFalse(line.is_compliant)
        self.assertEqual(line.qty_on_hand, 0)

        self._set_stock(self.spare_part, location, 1)
        self._check("2027-02-03 02:00:00")
        self.assertEqual(line.shortfall_ids, shortfall, "the same period goes on")
        self.assertEqual(shortfall.missing_qty, 1)

        self._set_stock(self.spare_part, location, 2)
        self._check("2027-02-04 02:00:00")
        self.assertEqual((shortfall.state, shortfall.date_end), ("closed", datetime(2027, 2, 4, 2)))
        self.assertEqual(shortfall.duration_days, 2)
        self.assertFalse(shortfall.grace_expired_at)
        self.assertFalse(shortfall._grace_expired_since())

        self._set_stock(self.spare_part, location, 1)
        self._check("2027-02-10 02:00:00")
        second = line.shortfall_ids - shortfall
        self.assertEqual(second.date_start, datetime(2027, 2, 10, 2))
        with freeze_time("2027-02-10 14:00:00"):
            line.invalidate_recordset(["days_below_min"])
            self.assertAlmostEqual(line.days_below_min, 2.5)
            self.assertEqual(contract.stock_shortfall_count, 2)
            self.assertFalse(contract.stock_compliant)

    def _move(self, product, source, destination, qty, when):
        """A validated move of ``qty`` at ``when`` (a part taken to a repair, a refill)."""
        with freeze_time(when):
            move = self.env["stock.move"].create(
                {
                    "name": product.name,
                    "product_id": product.id,
                    "product_uom_qty": qty,
                    "location_id": source.id,
                    "location_dest_id": destination.id,
                    "company_id": self.company.id,
                }
            )
            move._action_confirm()
            move.quantity = qty
            move.picked = True
            move._action_done()
        return move

    def test_period_starts_and_ends_with_the_moves_that_cross_the_minimum(self):
        """A shortfall starts when the move that took the shelf below its minimum was done,
        not when the daily check noticed it (up to a day later, which would under-charge a
        per-day penalty), and ends with the move that restored it."""
        contract = self._contract([(self.spare_part, 2, 4, None)], stock_grace_hours=0)
        contract.with_user(self.manager).action_activate()
        line = contract.stock_commitment_ids
        shelf = line.location_id
        customers = self.env.ref("stock.stock_location_customers")
        self._move(self.spare_part, self.stock, shelf, 3, "2027-02-01 01:00:00")
        self._check("2027-02-01 02:00:00")
        self.assertFalse(line.shortfall_ids)
        # 3 → 2 stays at the minimum; 2 → 0 goes below it at 09:30.
        self._move(self.spare_part, shelf, customers, 1, "2027-02-01 08:00:00")
        self._move(self.spare_part, shelf, customers, 2, "2027-02-01 09:30:00")
        self._check("2027-02-02 02:00:00")
        shortfall = line.shortfall_ids
        self.assertEqual(shortfall.date_start, datetime(2027, 2, 1, 9, 30))
        self.assertEqual(shortfall.state, "expired", "no grace: over since 09:30")
        # One back at 10:00 (still short), two at 15:00: restored then.
        self._move(self.spare_part, self.stock, shelf, 1, "2027-02-02 10:00:00")
        self._move(self.spare_part, self.stock, shelf, 2, "2027-02-02 15:00:00")
        self._check("2027-02-03 02:00:00")
        self.assertEqual(
            (shortfall.state, shortfall.date_end), ("closed", datetime(2027, 2, 2, 15))
        )

    def test_stock_in_child_locations_counts(self):
        contract = self._contract([(self.spare_part, 3, 0, self.stock)])
        contract.with_user(self.manager).action_activate()
        self._set_stock(self.spare_part, self.stock, 1)
        self._set_stock(self.spare_part, self.cage, 2)
        line = contract.stock_commitment_ids
        self.assertEqual(line.qty_on_hand, 3)
        self.assertTrue(line.is_compliant)
        self._check("2027-02-01 02:00:00")
        self.assertFalse(line.shortfall_ids)

    def test_grace_expiry_is_flagged_and_notified_once(self):
        contract = self._contract([(self.spare_part, 2, 0, None)], stock_grace_hours=24)
        contract.with_user(self.manager).action_activate()
        line = contract.stock_commitment_ids
        cron = self.env.ref("barcode_device_service.ir_cron_stock_check")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self._check("2027-02-01 02:00:00")
        shortfall = line.shortfall_ids
        new_triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers
        self.assertIn(datetime(2027, 2, 2, 2), new_triggers.mapped("call_at"))

        self._check("2027-02-01 20:00:00")
        self.assertEqual(shortfall.state, "open")
        self.assertFalse(shortfall._grace_expired_since(at=datetime(2027, 2, 1, 20)))
        messages = contract.message_ids

        self._check("2027-02-02 02:00:00")
        self.assertEqual(shortfall.state, "expired")
        self.assertEqual(shortfall.grace_expired_at, datetime(2027, 2, 2, 2))
        self.assertEqual(shortfall._grace_expired_since(), datetime(2027, 2, 2, 2))
        note = contract.message_ids - messages
        self.assertEqual(len(note), 1)
        self.assertIn(self.spare_part.name, note.body)
        activity = contract.activity_ids
        self.assertEqual(activity.user_id, self.manager, "the account manager")
        self.assertEqual(
            self.Shortfall.search(
                [("grace_expired_at", "!=", False), ("contract_id", "=", contract.id)]
            ),
            shortfall,
        )

        self._check("2027-02-03 02:00:00")
        self.assertEqual(contract.message_ids - messages, note, "notified once")
        self.assertEqual(contract.activity_ids, activity)
        self._set_stock(self.spare_part, line.location_id, 2)
        self._check("2027-02-04 02:00:00")
        self.assertEqual(shortfall.state, "closed")
        self.assertEqual(shortfall.grace_expired_at, datetime(2027, 2, 2, 2), "kept for the ledger")

    def test_a_shortfall_restored_after_its_grace_between_checks_is_flagged(self):
        contract = self._contract([(self.spare_part, 1, 0, None)], stock_grace_hours=36)
        contract.with_user(self.manager).action_activate()
        line = contract.stock_commitment_ids
        self._check("2027-02-01 02:00:00")
        self._check("2027-02-02 02:00:00")
        shortfall = line.shortfall_ids
        self.assertEqual(shortfall.state, "open")
        self._set_stock(self.spare_part, line.location_id, 1)
        messages = contract.message_ids
        self._check("2027-02-03 02:00:00")
        self.assertEqual(shortfall.state, "closed")
        self.assertEqual(shortfall.grace_expired_at, datetime(2027, 2, 2, 14))
        self.assertEqual(len(contract.message_ids - messages), 1)
        self.assertFalse(contract.activity_ids, "nothing left to do")

    def test_grace_changes_do_not_rewrite_recorded_periods(self):
        contract = self._contract([(self.spare_part, 1, 0, None)], stock_grace_hours=24)
        contract.with_user(self.manager).action_activate()
        self._check("2027-02-01 02:00:00")
        contract.stock_grace_hours = 96
        self.assertEqual(
            contract.stock_commitment_ids.shortfall_ids.grace_end, datetime(2027, 2, 2, 2)
        )

    def test_ending_the_contract_closes_its_shortfalls(self):
        contract = self._contract([(self.spare_part, 1, 0, None)])
        contract.with_user(self.manager).action_activate()
        self._check("2027-02-01 02:00:00")
        with freeze_time("2027-02-03 09:00:00"):
            contract.with_user(self.manager).action_terminate()
        shortfall = contract.stock_commitment_ids.shortfall_ids
        self.assertEqual((shortfall.state, shortfall.date_end), ("closed", datetime(2027, 2, 3, 9)))
        self._check("2027-02-04 02:00:00")
        self.assertEqual(contract.stock_commitment_ids.shortfall_ids, shortfall, "not checked")

    def test_query_budget_does_not_grow_with_lines(self):
        """The check runs the same queries for N and for 10 x N lines in one batch."""
        self._check("2027-03-01 02:00:00")  # settle what other tests or data left open
        products = self.env["product.product"].create(
            [{"name": f"Spare {i}", "is_storable": True} for i in range(4)]
        )

        def contracts(count):
            records = self.env["service.contract"]
            for _index in range(count):
                records |= self._contract([(product, 2, 0, None) for product in products])
            records.with_user(self.manager).action_activate()
            return records

        def run(lines, when, qty, budget):
            for line in lines:
                self._set_stock(line.product_id, line.location_id, qty)
            self.env.flush_all()
            self.env.invalidate_all()
            with freeze_time(when):
                before = self.cr.sql_log_count
                with self.assertQueryCount(budget):
                    self.env["service.contract.stock.commitment"]._cron_check_stock()
                    self.env.flush_all()
                return self.cr.sql_log_count - before

        counts = []
        # The first round warms the caches (xml ids, precisions): no budget. Then N lines
        # and 10 x N lines, in one batch each. Opening and closing read the moves that
        # crossed the minimum (one query).
        for size, budgets in ((1, (30, 30, 30)), (1, (19, 15, 14)), (10, (19, 15, 14))):
            batch = contracts(size)
            lines = batch.stock_commitment_ids
            self.assertEqual(len(lines), 4 * size)
            opened, updated, closed = budgets
            counts.append(
                (
                    run(lines, "2027-03-01 03:00:00", 0, opened),  # opens every period
                    run(lines, "2027-03-01 04:00:00", 1, updated),  # updates every one
                    run(lines, "2027-03-01 05:00:00", 2, closed),  # closes every one
                )
            )
            self.assertEqual(set(lines.shortfall_ids.mapped("state")), {"closed"})
            batch.with_user(self.manager).action_terminate()
        self.assertEqual(counts[1], counts[2])


@tagged("post_install", "-at_install")
class TestStockCommitmentCompaniesAndRights(StockCommitmentCase):
    def test_each_company_its_own_warehouse_and_records(self):
        contract_2 = (
            self.env["service.contract"]
            .with_user(self.manager_company_2)
            .create(
                {
                    "partner_id": self.customer_2.id,
                    "date_start": "2026-01-01",
                    "date_end": "2027-12-31",
                    "resource_calendar_id": self.calendar.id,
                    "stock_commitment_ids": [
                        Command.create({"product_id": self.spare_part.id, "min_qty": 1})
                    ],
                }
            )
            .with_env(self.env)
        )
        self.assertEqual(contract_2.company_id, self.company_2)
        self.assertEqual(contract_2.warehouse_id, self.warehouse_2)
        contract_2.with_user(self.manager_company_2).action_activate()
        self._check("2027-02-01 02:00:00")
        line_2 = contract_2.stock_commitment_ids
        self.assertEqual(line_2.location_id.company_id, self.company_2)
        self.assertEqual(line_2.orderpoint_id.company_id, self.company_2)
        self.assertEqual(line_2.orderpoint_id.warehouse_id, self.warehouse_2)

        contract = self._contract([(self.spare_part, 1, 0, None)])
        contract.with_user(self.manager).action_activate()
        self._check("2027-02-02 02:00:00")
        Line = self.env["service.contract.stock.commitment"]
        Shortfall = self.Shortfall
        self.assertNotIn(
            contract.stock_commitment_ids, Line.with_user(self.manager_company_2).search([])
        )
        self.assertIn(line_2, Line.with_user(self.manager_company_2).search([]))
        self.assertNotIn(line_2.shortfall_ids, Shortfall.with_user(self.manager).search([]))
        with self.assertRaises(AccessError):
            contract.stock_commitment_ids.with_user(self.manager_company_2).read(["min_qty"])
        with self.assertRaises(AccessError):
            line_2.shortfall_ids.with_user(self.technician).read(["missing_qty"])

    def test_technician_reads_manager_writes(self):
        contract = self._contract([(self.spare_part, 2, 0, None)])
        contract.with_user(self.manager).action_activate()
        self._set_stock(self.spare_part, contract.stock_location_id, 1)
        self._check("2027-02-01 02:00:00")
        line = contract.stock_commitment_ids.with_user(self.technician)
        self.assertEqual((line.qty_on_hand, line.is_compliant), (1, False))
        with freeze_time("2027-02-02 02:00:00"):
            self.assertEqual(line.days_below_min, 1)
        self.assertEqual(line.shortfall_ids.missing_qty, 1)
        with self.assertRaises(AccessError):
            line.min_qty = 1
        with self.assertRaises(AccessError):
            line.shortfall_ids.missing_qty = 2
        with self.assertRaises(AccessError):
            self.env["service.contract.stock.commitment"].with_user(self.technician).create(
                {"contract_id": contract.id, "product_id": self.roller.id, "min_qty": 1}
            )
        manager_line = line.with_user(self.manager)
        manager_line.min_qty = 1
        self.assertEqual(line.sudo().orderpoint_id.product_min_qty, 1)
        for user in (self.internal_user, self.portal_user):
            with self.assertRaises(AccessError):
                line.with_user(user).read(["min_qty"])
            with self.assertRaises(AccessError):
                line.shortfall_ids.with_user(user).read(["missing_qty"])

    def test_check_runs_in_batches(self):
        contract = self._contract([(self.spare_part, 1, 0, None), (self.roller, 1, 0, None)])
        contract.with_user(self.manager).action_activate()
        with freeze_time("2027-02-01 02:00:00"):
            self.env["service.contract.stock.commitment"]._cron_check_stock(batch_size=1)
        self.assertEqual(len(contract.stock_commitment_ids.shortfall_ids), 2)
        self.assertEqual(
            contract.stock_commitment_ids.shortfall_ids.mapped("date_start"),
            [datetime(2027, 2, 1, 2)] * 2,
        )
        self.assertEqual(
            contract.stock_commitment_ids.shortfall_ids[0].grace_end
            - contract.stock_commitment_ids.shortfall_ids[0].date_start,
            timedelta(hours=24),
        )
