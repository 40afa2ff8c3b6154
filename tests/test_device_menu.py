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
