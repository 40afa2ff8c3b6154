from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import DeviceServiceCase


@tagged("post_install", "-at_install")
class TestDevicesMenu(DeviceServiceCase):
    def _search_filter(self, name):
        views = (
            self.env["maintenance.equipment"]
            .with_user(self.technician)
            .get_views([(False, "search")])
        )
        arch = etree.fromstring(views["views"]["search"]["arch"])
        [search_filter] = arch.xpath(f"//filter[@name='{name}']")
        return safe_eval(search_filter.get("domain"))

    def test_devices_menu_shows_customer_devices_by_default(self):
        action = self.env.ref("barcode_device_service.maintenance_equipment_action_devices")
        context = safe_eval(action.context)
        enabled = [
            key.removeprefix("search_default_")
            for key, value in context.items()
            if key.startswith("search_default_") and value
        ]
        self.assertEqual(enabled, ["customer_devices"], "one filter, the user can remove it")

        device = self.create_device()
        drill_press = self.Device.create({"name": "Workshop drill press"})
        both = [("id", "in", (device | drill_press).ids)]
        Device = self.Device.with_user(self.technician)
        self.assertEqual(Device.search(self._search_filter("customer_devices") + both), device)
        self.assertEqual(
            Device.search(self._search_filter("company_equipment") + both), drill_press
        )

    def test_core_equipment_menu_keeps_every_equipment(self):
        context = self.env.ref("maintenance.hr_equipment_action").context or ""
        self.assertNotIn("customer_devices", context)
        self.assertNotIn("company_equipment", context)


@tagged("post_install", "-at_install")
class TestWorkOrdersMenu(DeviceServiceCase):
    def test_work_orders_menu_opens_on_customer_work_orders(self):
        """Device Service's work orders open on the customers' ones: the company's internal
        maintenance requests (a laptop, a monitor) stay one click away (filter removed)
        and in core's Maintenance menu."""
        action = self.env.ref("barcode_device_service.maintenance_request_action_work_orders")
        context = safe_eval(action.context)
        enabled = [
            key.removeprefix("search_default_")
            for key, value in context.items()
            if key.startswith("search_default_") and value
        ]
        self.assertEqual(enabled, ["customer_work_orders"])
        Request = self.env["maintenance.request"].with_user(self.technician)
        views = Request.get_views([(False, "search")])
        arch = etree.fromstring(views["views"]["search"]["arch"])
        [search_filter] = arch.xpath("//filter[@name='customer_work_orders']")
        team = self.env["maintenance.team"].create({"name": "Desk", "company_id": self.company.id})
        common = {"company_id": self.company.id, "maintenance_team_id": team.id}
        customers = self.env["maintenance.request"].create(
            {"name": "Scanner drops reads", "equipment_id": self.create_device().id, **common}
        )
        laptop = self.env["maintenance.request"].create({"name": "Laptop screen", **common})
        both = [("id", "in", (customers | laptop).ids)]
        found = Request.search(safe_eval(search_filter.get("domain")) + both)
        self.assertEqual(found, customers)
        self.assertNotIn(
            "customer_work_orders",
            self.env.ref("maintenance.hr_equipment_request_action").context or "",
        )


@tagged("post_install", "-at_install")
class TestScanOnWorkOrders(DeviceServiceCase):
    """A label scanned on the work-order screens opens (or starts) a work order for the
    device; the devices search finds a typed serial number."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.device = cls.create_device(barcode="DEV-SCAN-1", serial_no="ZT-7788")
        cls.Request = cls.env["maintenance.request"].with_user(cls.technician)
        cls.team = cls.env["maintenance.team"].create(
            {"name": "Desk", "company_id": cls.company.id}
        )

    def _order(self, name, **vals):
        return self.env["maintenance.request"].create(
            {
                "name": name,
                "equipment_id": self.device.id,
                "maintenance_team_id": self.team.id,
                "company_id": self.company.id,
                **vals,
            }
        )

    def test_no_open_work_order_starts_one(self):
        self._order("Fixed last month", archive=True)
        for code in ("DEV-SCAN-1", "ZT-7788", f"  {self.device.service_url} "):
            with self.subTest(code=code):
                action = self.Request.action_open_by_barcode(code)
                self.assertEqual(action["res_model"], "maintenance.request")
                self.assertEqual(action["views"], [(False, "form")])
                self.assertNotIn("res_id", action)
                self.assertEqual(action["context"]["default_equipment_id"], self.device.id)

    def test_the_open_work_order_opens(self):
        first = self._order("Feeder jams")
        action = self.Request.action_open_by_barcode("DEV-SCAN-1")
        self.assertEqual(action["res_id"], first.id)
        second = self._order("Ribbon sensor")
        action = self.Request.action_open_by_barcode("DEV-SCAN-1")
        self.assertEqual(action["views"][0], (False, "list"))
        self.assertEqual(self.env["maintenance.request"].search(action["domain"]), first | second)

    def test_unknown_code_warns(self):
        action = self.Request.action_open_by_barcode("NOPE-404")
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("NOPE-404", action["params"]["message"])

    def test_device_of_another_company_is_not_found(self):
        other = self.create_device(
            barcode="DEV-OTHER-1",
            company_id=self.company_2.id,
            customer_id=self.customer_2.id,
            site_id=self.site_2.id,
        )
        self.assertTrue(other)
        action = self.Request.action_open_by_barcode("DEV-OTHER-1")
        self.assertEqual(action.get("tag"), "display_notification")

    def test_devices_search_finds_a_typed_serial(self):
        """What the user types in the devices search (its first field) matches the
        barcode, the serial number or the name."""
        views = self.Device.with_user(self.technician).get_views([(False, "search")])
        arch = etree.fromstring(views["views"]["search"]["arch"])
        first = arch.xpath("//search/field")[0]
        domain = safe_eval(first.get("filter_domain"), {"self": "ZT-7788"})
        found = self.Device.with_user(self.technician).search(domain)
        self.assertEqual(found, self.device)
