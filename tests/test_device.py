from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DeviceServiceCase


@tagged("post_install", "-at_install")
class TestDevice(DeviceServiceCase):
    def test_barcode_from_sequence_and_token_random(self):
        first, second = self.create_device(), self.create_device(name="Second")
        self.assertTrue(first.barcode.startswith("DEV"))
        self.assertNotEqual(first.barcode, second.barcode)
        self.assertEqual(len(first.label_token), 22)
        self.assertNotEqual(first.label_token, second.label_token)
        self.assertEqual(
            first.service_url,
            f"{first.get_base_url()}/service/device/{first.label_token}",
        )

    def test_site_must_belong_to_customer(self):
        with self.assertRaises(ValidationError):
            self.create_device(site_id=self.site_2.id)
