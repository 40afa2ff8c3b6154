from odoo.tests import tagged

from .common import DevicePortalCase


@tagged("post_install", "-at_install")
class TestPortalTour(DevicePortalCase):
    def test_report_a_fault_from_the_label_then_rate_it(self):
        """In a real browser: the label URL, the login, the fault with a photo, the list
        with the response deadline; resolved by the desk, then rated by the customer."""
        before = self.env["maintenance.request"].search([("equipment_id", "=", self.device.id)])
        self.start_tour(
            f"/service/device/{self.device.label_token}",
            "barcode_device_service_portal_report_fault",
            login=None,
        )
        work_order = (
            self.env["maintenance.request"].search([("equipment_id", "=", self.device.id)]) - before
        )
        self.assertEqual(len(work_order), 1)
        self.assertEqual(work_order.channel, "portal")
        self.assertEqual(work_order.severity, "p2")
        self.assertEqual(work_order.owner_user_id, self.portal_user)
        self.assertIn("Labels feed crooked", work_order.name)
        photo = self.env["ir.attachment"].search(
            [("res_model", "=", "maintenance.request"), ("res_id", "=", work_order.id)]
        )
        self.assertEqual(photo.mapped("name"), ["jammed-labels.png"])
        self.assertEqual(photo.mimetype, "image/png")
        response = work_order.sla_line_ids.filtered(lambda line: line.milestone == "response")
        self.assertTrue(response.deadline, "the response clock started")

        # The service desk resolves it: the customer is asked to rate it.
        work_order.stage_id = self.stage_done
        self.start_tour(
            work_order.access_url, "barcode_device_service_portal_rate", login="bds_portal_a"
        )
        rating = work_order.rating_ids.filtered("consumed")
        self.assertEqual(len(rating), 1)
        self.assertEqual(rating.rating, 5)
        self.assertEqual(rating.feedback, "Fixed on the first visit, thank you")
        self.assertEqual(rating.partner_id, self.portal_user.partner_id)

    def test_portal_reads_fully_on_a_phone(self):
        """At 390 px wide (a phone) the home, the work-order list, a work order with its SLA
        clock and its device's page show every key text, nothing cut or wider than the
        screen."""
        self.browser_size = "390x844"
        self.work_order.name = "Printer jams on every label"
        self.start_tour("/my", "barcode_device_service_portal_phone", login="bds_portal_a")
