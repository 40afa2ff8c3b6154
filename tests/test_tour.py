from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestDeviceTour(HttpCase):
    def test_open_device_and_print_its_label(self):
        customer = self.env["res.partner"].create({"name": "Tour Customer", "is_company": True})
        device = self.env["maintenance.equipment"].create(
            {"name": "Tour printer", "barcode": "TOUR-DEV-0001", "customer_id": customer.id}
        )
        self.start_tour(
            "/odoo/action-barcode_device_service.maintenance_equipment_action_devices",
            "barcode_device_service_print_label",
            login="admin",
        )
        wizard = self.env["device.label.wizard"].search([("device_ids", "in", device.ids)])
        self.assertEqual(len(wizard), 1)
        self.assertEqual(wizard.label_format, "a4_3x8")
        self.assertTrue(wizard.label_pdf, "the PDF was rendered for the browser")
        self.assertEqual(wizard.label_filename, "TOUR-DEV-0001-a4_3x8.pdf")
