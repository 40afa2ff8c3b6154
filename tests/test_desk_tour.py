from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestDeskTour(HttpCase):
    """The service desk takes a phoned-in fault in the browser, as the desk user it is."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.desk_user = new_test_user(
            cls.env,
            login="bds_desk",
            password="bds_desk",
            groups="base.group_user,barcode_device_service.group_device_service_user",
        )
        cls.customer = cls.env["res.partner"].create({"name": "Desk Customer", "is_company": True})
        cls.device = cls.env["maintenance.equipment"].create(
            {"name": "Desk scanner", "customer_id": cls.customer.id}
        )
        # 7x24 and a period around any day the suite runs: the clock starts whatever the date.
        cls.contract = cls.env["service.contract"].create(
            {
                "partner_id": cls.customer.id,
                "date_start": "2020-01-01",
                "date_end": "2099-12-31",
                "resource_calendar_id": cls.env.ref(
                    "barcode_device_service.resource_calendar_7x24"
                ).id,
                "device_ids": [Command.set(cls.device.ids)],
            }
        )
        cls.contract.action_activate()

    def test_severity_set_on_create_and_changed_while_open(self):
        self.start_tour(
            "/odoo/action-barcode_device_service.maintenance_request_action_work_orders/new",
            "barcode_device_service_desk_severity",
            login="bds_desk",
        )
        request = self.env["maintenance.request"].search([("name", "=", "Line 3 stopped")])
        self.assertEqual(request.contract_id, self.contract)
        self.assertEqual(request.severity, "p2")
        p2 = self.contract._sla_for("p2")
        response = request.sla_line_ids.filtered(lambda line: line.milestone == "response")
        self.assertEqual(response.severity, "p2", "the clock follows the new severity")
        self.assertEqual(response.target_hours, p2.response_hours)
        notes = request.message_ids.mapped("body")
        self.assertTrue(
            any("P1 - Line stopped → P2 - Degraded" in (body or "") for body in notes), notes
        )


@tagged("post_install", "-at_install")
class TestWorkOrderScanTour(HttpCase):
    """The desk scans device labels on the work-order screens, as the desk user it is."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        new_test_user(
            cls.env,
            login="bds_scan_desk",
            password="bds_scan_desk",
            groups="base.group_user,barcode_device_service.group_device_service_user",
        )
        customer = cls.env["res.partner"].create({"name": "Scan Customer", "is_company": True})
        Device = cls.env["maintenance.equipment"]
        cls.device = Device.create(
            {"name": "Scan printer one", "barcode": "SCAN-DEV-0001", "customer_id": customer.id}
        )
        cls.device_2 = Device.create(
            {"name": "Scan printer two", "barcode": "SCAN-DEV-0002", "customer_id": customer.id}
        )
        cls.work_order = cls.env["maintenance.request"].create(
            {"name": "Feeder jams", "equipment_id": cls.device.id}
        )

    def test_scan_opens_or_starts_a_work_order(self):
        self.start_tour(
            "/odoo/action-barcode_device_service.maintenance_request_action_work_orders",
            "barcode_device_service_work_order_scan",
            login="bds_scan_desk",
        )
        started = self.env["maintenance.request"].search([("equipment_id", "=", self.device_2.id)])
        self.assertEqual(started.mapped("name"), ["Ribbon sensor error"])
        self.assertEqual(started.customer_id, self.device_2.customer_id)


@tagged("post_install", "-at_install")
class TestDeskReplyTour(HttpCase):
    """The desk replies to a caller from the work order: the card shows the time left, the
    caller is on the form and Send message writes to them; that reply is the response."""

    def test_reply_reaches_the_caller_and_meets_the_response(self):
        new_test_user(
            self.env,
            login="bds_reply_desk",
            password="bds_reply_desk",
            groups="base.group_user,barcode_device_service.group_device_service_user",
        )
        customer = self.env["res.partner"].create({"name": "Reply Customer", "is_company": True})
        caller = self.env["res.partner"].create(
            {
                "name": "Wang Fang",
                "parent_id": customer.id,
                "email": "wang.fang@reply.example.com",
                "phone": "+86 21 5555 0101",
            }
        )
        device = self.env["maintenance.equipment"].create(
            {"name": "Reply printer", "customer_id": customer.id}
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
        request = self.env["maintenance.request"].create(
            {
                "name": "Printer offline",
                "equipment_id": device.id,
                "caller_id": caller.id,
                "severity": "p3",
            }
        )
        self.start_tour(
            "/odoo/action-barcode_device_service.maintenance_request_action_work_orders",
            "barcode_device_service_desk_reply",
            login="bds_reply_desk",
        )
        response = request.sla_line_ids.filtered(lambda line: line.milestone == "response")
        self.assertEqual(response.state, "met")
        reply = request.message_ids.filtered(lambda m: "within the hour" in (m.body or ""))
        self.assertEqual(len(reply), 1)
