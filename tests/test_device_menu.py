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
