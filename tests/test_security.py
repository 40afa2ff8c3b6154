import csv
import os

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import JsonRpcException, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .common import DevicePortalCase, DeviceServiceCase


@tagged("post_install", "-at_install")
class TestDeviceSecurity(DeviceServiceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.device = cls.create_device()
        cls.device_2 = cls.env["maintenance.equipment"].create(
            {"name": "Company 2 scanner", "company_id": cls.company_2.id}
        )

    def test_every_acl_row_has_a_group(self):
        path = os.path.join(os.path.dirname(__file__), "..", "security", "ir.model.access.csv")
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        self.assertTrue(rows)
        for row in rows:
            self.assertTrue(row["group_id:id"].strip(), f"{row['id']} grants everybody")

    def _assert_rights(self, expected):
        """``expected``: {model: {user: the operations allowed}}, each checked."""
        for model, per_user in expected.items():
            for user, allowed in per_user.items():
                for operation in ("read", "write", "create", "unlink"):
                    with self.subTest(model=model, user=user.login, operation=operation):
                        self.assertEqual(
                            self.env[model].with_user(user).has_access(operation),
                            operation in allowed,
                        )

    def test_rights_per_group_on_every_model(self):
        """The operations each kind of user may do, model by model (ACLs)."""
        everything = ("read", "write", "create", "unlink")
        expected = {
            "maintenance.equipment": {
                self.technician: ("read", "write", "create"),
                self.manager: everything,
                # Core lets every employee read the equipment they follow.
                self.internal_user: ("read",),
                # Their own devices only (record rule), for the customer portal.
                self.portal_user: ("read",),
            },
            "device.label.wizard": {
                self.technician: everything,
                self.manager: everything,
                self.internal_user: (),
                self.portal_user: (),
            },
            "service.contract": {
                self.technician: ("read",),
                self.manager: everything,
                self.internal_user: (),
                # Their own contracts only (record rule), for the customer portal.
                self.portal_user: ("read",),
            },
            "service.contract.sla": {
                self.technician: ("read",),
                self.manager: everything,
                self.internal_user: (),
                self.portal_user: (),
            },
        }
        self._assert_rights(expected)

    def test_rights_of_the_dispatch_and_visit_models(self):
        """Regions and checklists are configured by managers and read by technicians; the
        checklist lines are ticked by technicians; the visit's wizards are theirs."""
        field_technician = new_test_user(
            self.env,
            login="bds_security_field_tech",
            groups="base.group_user,barcode_device_service.group_device_service_technician",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        everything = ("read", "write", "create", "unlink")
        configured = {
            field_technician: ("read",),
            self.technician: ("read",),
            self.manager: everything,
            self.internal_user: (),
            self.portal_user: (),
        }
        expected = {
            "service.region": configured,
            "service.checklist.template": configured,
            "service.checklist.template.item": configured,
            "service.checklist.line": {
                field_technician: ("read", "write"),
                self.technician: ("read", "write"),
                self.manager: everything,
                self.internal_user: (),
                self.portal_user: (),
            },
            "maintenance.request.escalate": {
                field_technician: everything,
                self.manager: everything,
                self.internal_user: (),
                self.portal_user: (),
            },
            "maintenance.request.part.refuse": {
                field_technician: everything,
                self.manager: everything,
                self.internal_user: (),
                self.portal_user: (),
            },
        }
        self._assert_rights(expected)

    def test_rights_of_the_service_figures(self):
        """Service KPIs and the monthly reports are read by the desk; the reports are made
        by the monthly job only, and a manager may delete one to have it made again. The
        customer downloads theirs through the portal (by its token), not the model."""
        accountant = new_test_user(
            self.env,
            login="bds_security_accountant",
            groups="base.group_user,barcode_device_service.group_device_service_accountant",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        expected = {
            "service.kpi.report": {
                self.technician: ("read",),
                self.manager: ("read",),
                self.internal_user: (),
                self.portal_user: (),
            },
            "service.month.report": {
                self.technician: ("read",),
                self.manager: ("read", "unlink"),
                accountant: ("read",),
                self.internal_user: (),
                self.portal_user: (),
            },
        }
        self._assert_rights(expected)

    def test_every_company_bound_model_has_a_global_company_rule(self):
        names = [
            name
            for name, model in self.env.registry.items()
            if model._original_module == "barcode_device_service"
            and not model._transient
            and not model._abstract
            and "company_id" in model._fields
            and model._fields["company_id"].store
        ]
        self.assertIn("service.contract", names)
        for name in [*names, "maintenance.equipment"]:
            rules = self.env["ir.rule"].search(
                [("model_id.model", "=", name), ("global", "=", True)]
            )
            with self.subTest(model=name):
                self.assertTrue(
                    any("company_ids" in rule.domain_force for rule in rules),
                    f"{name} has no global multi-company rule",
                )

    def test_technician_sees_devices_they_do_not_follow(self):
        self.assertNotIn(self.technician.partner_id, self.device.message_partner_ids)
        Device = self.env["maintenance.equipment"]
        self.assertIn(self.device, Device.with_user(self.technician).search([]))
        # A plain employee only sees what core lets them: the equipment they follow.
        self.assertNotIn(self.device, Device.with_user(self.internal_user).search([]))
        with self.assertRaises(AccessError):
            self.device.with_user(self.internal_user).read(["name"])
        self.device.message_subscribe(partner_ids=self.internal_user.partner_id.ids)
        self.assertEqual(self.device.with_user(self.internal_user).name, self.device.name)
        with self.assertRaises(AccessError):
            self.device.with_user(self.internal_user).read(["label_token"])

    def test_manager_of_another_company_cannot_touch_devices(self):
        device = self.device.with_user(self.manager_company_2)
        for operation in ("read", "write", "unlink"):
            with self.subTest(operation=operation), self.assertRaises(AccessError):
                device.check_access(operation)
        with self.assertRaises(AccessError):
            device.write({"firmware_version": "V2"})
        with self.assertRaises(AccessError):
            device.action_regenerate_label_token()
        self.assertFalse(
            self.env["maintenance.equipment"]
            .with_user(self.manager_company_2)
            .search([("customer_id", "=", self.customer.id)])
        )
        # Nor open it by scanning its barcode.
        action = (
            self.env["maintenance.equipment"]
            .with_user(self.manager_company_2)
            ._open_by_barcode(self.device.barcode)
        )
        self.assertEqual(action["tag"], "display_notification")

    def test_technician_reads_writes_creates_but_does_not_delete(self):
        device = self.device.with_user(self.technician)
        self.assertEqual(device.customer_id, self.customer)
        device.firmware_version = "V85.20.23Z"
        self.Device.with_user(self.technician).create({"name": "Registered by a technician"})
        with self.assertRaises(AccessError):
            device.unlink()

    def test_manager_deletes(self):
        self.device.with_user(self.manager).unlink()
        self.assertFalse(self.device.exists())

    def test_internal_user_without_group_cannot_edit_devices(self):
        device = self.device.with_user(self.internal_user)
        with self.assertRaises(AccessError):
            device.write({"firmware_version": "hacked"})
        with self.assertRaises(AccessError):
            self.Device.with_user(self.internal_user).create({"name": "Not allowed"})

    def test_portal_user_has_no_backend_access(self):
        with self.assertRaises(AccessError):
            self.device.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.env["device.label.wizard"].with_user(self.portal_user).create({})

    def test_label_wizard_rights(self):
        wizard = (
            self.env["device.label.wizard"]
            .with_user(self.technician)
            .create({"device_ids": [(6, 0, self.device.ids)], "label_format": "a4_3x8"})
        )
        self.assertEqual(wizard.device_count, 1)
        with self.assertRaises(AccessError):
            self.env["device.label.wizard"].with_user(self.internal_user).create({})

    def test_companies_do_not_see_each_others_devices(self):
        Device = self.env["maintenance.equipment"]
        self.assertNotIn(self.device, Device.with_user(self.manager_company_2).search([]))
        self.assertIn(self.device_2, Device.with_user(self.manager_company_2).search([]))
        with self.assertRaises(AccessError):
            self.device.with_user(self.manager_company_2).read(["name"])
        with self.assertRaises(AccessError):
            self.device_2.with_user(self.technician).read(["name"])

    def test_service_contract_rights(self):
        calendar = self.env["resource.calendar"].create(
            {"name": "Service hours", "company_id": self.company.id}
        )
        values = {
            "partner_id": self.customer.id,
            "date_start": "2026-01-01",
            "date_end": "2026-12-31",
            "resource_calendar_id": calendar.id,
            "company_id": self.company.id,
        }
        contract = self.env["service.contract"].with_user(self.manager).create(values)
        self.assertEqual(contract.with_user(self.technician).partner_id, self.customer)
        with self.assertRaises(AccessError):
            contract.with_user(self.technician).write({"monthly_fee": 1})
        with self.assertRaises(AccessError):
            self.env["service.contract"].with_user(self.technician).create(values)
        with self.assertRaises(AccessError):
            contract.with_user(self.internal_user).read(["name"])
        with self.assertRaises(AccessError):
            contract.with_user(self.portal_user).read(["name"])

    def test_sla_models_rights(self):
        Line = self.env["service.sla.line"]
        Pause = self.env["service.sla.pause"]
        for model in (Line, Pause):
            model.with_user(self.technician).check_access("read")
            model.with_user(self.manager).check_access("unlink")
            with self.assertRaises(AccessError):
                model.with_user(self.technician).check_access("write")
            with self.assertRaises(AccessError):
                model.with_user(self.internal_user).check_access("read")
            with self.assertRaises(AccessError):
                model.with_user(self.portal_user).check_access("read")

    def test_technician_sees_every_work_order_of_the_company(self):
        request = self.env["maintenance.request"].create(
            {
                "name": "Not mine",
                "equipment_id": self.device.id,
                "company_id": self.company.id,
                "maintenance_team_id": self.env["maintenance.team"]
                .create({"name": "Team", "company_id": self.company.id})
                .id,
            }
        )
        self.assertIn(
            request, self.env["maintenance.request"].with_user(self.technician).search([])
        )
        self.assertNotIn(
            request, self.env["maintenance.request"].with_user(self.internal_user).search([])
        )

    def test_install_gives_existing_work_orders_a_token_each(self):
        """The addon adds the work orders' access_token column: on a database that already
        has work orders, each must get a token of its own (one token would open them all in
        the portal). The ORM fills a column it adds to a table with rows through
        _init_column (Field.update_db_notnull): that call is tested here, on work orders
        whose column is emptied as it is right after the column is added. A real install
        over existing rows cannot run inside a test: it needs a database without the addon
        and a new registry, outside the test's transaction."""
        team = self.env["maintenance.team"].create({"name": "Team", "company_id": self.company.id})
        requests = self.env["maintenance.request"].create(
            [
                {
                    "name": f"Made before the install {number}",
                    "equipment_id": self.device.id,
                    "company_id": self.company.id,
                    "maintenance_team_id": team.id,
                }
                for number in range(5)
            ]
        )
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE maintenance_request SET access_token = NULL WHERE id IN %s",
                tuple(requests.ids),
            )
        )
        requests.invalidate_recordset(["access_token"])
        self.env["maintenance.request"]._init_column("access_token")
        tokens = requests.mapped("access_token")
        self.assertTrue(all(tokens))
        self.assertEqual(len(set(tokens)), 5)

    def test_upgrade_gives_work_orders_sharing_a_token_one_each(self):
        """Databases that installed an earlier version over existing work orders hold one
        token shared by all of them: the upgrade (migrations/18.0.1.1.0) gives each of them
        its own, and leaves a token that is already the work order's alone."""
        team = self.env["maintenance.team"].create({"name": "Team", "company_id": self.company.id})
        requests = self.env["maintenance.request"].create(
            [
                {
                    "name": f"Made before the first install {number}",
                    "equipment_id": self.device.id,
                    "company_id": self.company.id,
                    "maintenance_team_id": team.id,
                }
                for number in range(4)
            ]
        )
        shared, own = requests[:3], requests[3]
        own_token = own.access_token
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE maintenance_request SET access_token = 'one-for-all' WHERE id IN %s",
                tuple(shared.ids),
            )
        )
        requests.invalidate_recordset(["access_token"])
        self.env["maintenance.request"]._refill_access_tokens()
        tokens = shared.mapped("access_token")
        self.assertEqual(len(set(tokens)), 3)
        self.assertNotIn("one-for-all", tokens)
        self.assertEqual(own.access_token, own_token)


@tagged("post_install", "-at_install")
class TestPortalFieldAccess(DevicePortalCase):
    """A portal user reads their own devices, work orders and contracts (record rules),
    also over RPC: only what the portal pages show, never the internal fields."""

    # What the portal never shows, per model: core's fields and the addon's.
    INTERNAL_FIELDS = {
        "maintenance.equipment": [
            "cost",
            "partner_id",
            "partner_ref",
            "note",
            "technician_user_id",
            "maintenance_team_id",
        ],
        "maintenance.request": [
            "user_id",
            "maintenance_team_id",
            "portal_submission_key",
            "invoice_ids",
            "invoice_count",
        ],
        "service.contract": ["stock_location_id", "warehouse_id", "stock_grace_hours", "user_id"],
    }
    # What the portal pages show of them.
    PORTAL_FIELDS = {
        "maintenance.equipment": [
            "name",
            "serial_no",
            "model",
            "barcode",
            "product_id",
            "site_id",
            "device_state",
            "installation_date",
            "warranty_start_date",
            "warranty_end_date",
            "under_warranty",
        ],
        "maintenance.request": [
            "name",
            "reference",
            "description",
            "request_date",
            "equipment_id",
            "stage_id",
            "severity",
            "archive",
            "sla_deadline",
            "sla_status",
        ],
        "service.contract": [
            "name",
            "state",
            "date_start",
            "date_end",
            "covers_spare_parts",
            "covers_on_site_repair",
            "device_ids",
        ],
    }

    def _records(self):
        return {
            "maintenance.equipment": self.device,
            "maintenance.request": self.work_order,
            "service.contract": self.contract,
        }

    def test_portal_user_reads_no_internal_field(self):
        for model, record in self._records().items():
            mine = record.with_user(self.portal_user)
            mine.read(self.PORTAL_FIELDS[model])
            for name in self.INTERNAL_FIELDS[model]:
                with self.subTest(model=model, field=name), self.assertRaises(AccessError):
                    mine.read([name])
            # Nor by searching on them.
            with self.assertRaises(AccessError):
                mine.search([(self.INTERNAL_FIELDS[model][0], "!=", False)])

    def test_portal_user_reads_no_internal_field_over_rpc(self):
        self.authenticate(self.portal_user.login, self.portal_user.login)
        for model, record in self._records().items():
            with self.subTest(model=model):
                result = self.make_jsonrpc_request(
                    "/web/dataset/call_kw",
                    {
                        "model": model,
                        "method": "read",
                        "args": [record.ids, self.PORTAL_FIELDS[model]],
                        "kwargs": {},
                    },
                )
                self.assertEqual(result[0]["id"], record.id)
                with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
                    self.make_jsonrpc_request(
                        "/web/dataset/call_kw",
                        {
                            "model": model,
                            "method": "read",
                            "args": [record.ids, self.INTERNAL_FIELDS[model]],
                            "kwargs": {},
                        },
                    )

    def test_internal_users_still_read_them(self):
        technician = new_test_user(
            self.env,
            login="bds_field_technician",
            groups="base.group_user,barcode_device_service.group_device_service_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        for model, record in self._records().items():
            # (The invoices themselves are for accountants: their count shows.)
            names = [name for name in self.INTERNAL_FIELDS[model] if name != "invoice_ids"]
            with self.subTest(model=model):
                record.with_user(technician).read(names)
