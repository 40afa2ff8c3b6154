from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


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


@tagged("post_install", "-at_install")
class TestWorkOrderTour(HttpCase):
    def test_start_work_and_check_in(self):
        customer = self.env["res.partner"].create({"name": "Tour Customer", "is_company": True})
        device = self.env["maintenance.equipment"].create(
            {"name": "Tour scanner", "customer_id": customer.id}
        )
        contract = self.env["service.contract"].create(
            {
                "partner_id": customer.id,
                "date_start": "2020-01-01",
                "date_end": "2099-12-31",
                "resource_calendar_id": self.env.ref(
                    "barcode_device_service.resource_calendar_7x24"
                ).id,
                "device_ids": [Command.set(device.ids)],
            }
        )
        contract.action_activate()
        # The tour meets each milestone within minutes of the start: P1 targets are hours.
        request = self.env["maintenance.request"].create(
            {
                "name": "Scanner does not read",
                "equipment_id": device.id,
                "severity": "p1",
                "is_on_site": True,
                "stage_id": self.env.ref("maintenance.stage_0").id,
            }
        )
        self.assertEqual(request.contract_id, contract)
        self.start_tour(
            "/odoo/action-barcode_device_service.maintenance_request_action_work_orders/"
            f"{request.id}",
            "barcode_device_service_sla_check_in",
            login="admin",
        )
        self.assertEqual(request.checked_in_user_id, self.env.ref("base.user_admin"))
        states = {line.milestone: line.state for line in request.sla_line_ids}
        self.assertEqual(states, {"response": "met", "arrival": "met", "resolution": "running"})


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase):
    def test_manager_opens_the_device_service_dashboard(self):
        new_test_user(
            self.env,
            login="bds_dashboard_manager",
            groups="base.group_user,barcode_device_service.group_device_service_manager",
        )
        self.start_tour(
            "/odoo/action-spreadsheet_dashboard.ir_actions_dashboard_action",
            "barcode_device_service_dashboard",
            login="bds_dashboard_manager",
        )
