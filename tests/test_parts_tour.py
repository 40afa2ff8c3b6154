from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestWorkOrderPartsTour(HttpCase):
    def test_technician_consumes_manager_invoices(self):
        company = self.env.company
        technician = new_test_user(
            self.env,
            login="bds_tour_technician",
            groups="base.group_user,barcode_device_service.group_device_service_user",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        customer = self.env["res.partner"].create({"name": "Tour Plant", "is_company": True})
        device = self.env["maintenance.equipment"].create(
            {"name": "Tour line printer", "customer_id": customer.id}
        )
        roller = self.env["product.product"].create(
            {
                "name": "Tour Platen Roller",
                "is_storable": True,
                "is_spare_part": True,
                "list_price": 200.0,
            }
        )
        stock = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        self.env["stock.quant"]._update_available_quantity(roller, stock.lot_stock_id, 5)
        request = self.env["maintenance.request"].create(
            {"name": "Labels smeared", "equipment_id": device.id}
        )
        url = (
            "/odoo/action-barcode_device_service.maintenance_request_action_work_orders/"
            f"{request.id}"
        )
        self.start_tour(url, "barcode_device_service_parts_consume", login=technician.login)
        part = request.part_ids
        self.assertEqual(part.product_id, roller)
        self.assertEqual(part.state, "consumed")
        self.assertEqual(part.move_ids.state, "done")
        self.assertTrue(part.is_chargeable, "no warranty, no contract")

        self.start_tour(url, "barcode_device_service_parts_invoice", login="admin")
        self.assertEqual(len(request.invoice_ids), 1)
        self.assertEqual(request.invoice_ids.state, "draft")
        self.assertEqual(part.invoice_line_id.move_id, request.invoice_ids)
        self.assertEqual(part.invoice_line_id.price_unit, 200.0)

    def test_manager_invoices_only_with_billing_rights(self):
        """A Device Service manager without Invoicing's billing rights is not offered
        Create Invoice; one with them invoices and the invoice opens (no access error)."""
        company = self.env.company
        common = {"company_id": company.id, "company_ids": [Command.set(company.ids)]}
        manager = "base.group_user,barcode_device_service.group_device_service_manager"
        new_test_user(self.env, login="bds_tour_manager_plain", groups=manager, **common)
        new_test_user(
            self.env,
            login="bds_tour_manager_billing",
            groups=f"{manager},account.group_account_invoice",
            **common,
        )
        customer = self.env["res.partner"].create({"name": "Tour Plant", "is_company": True})
        device = self.env["maintenance.equipment"].create(
            {"name": "Tour line printer", "customer_id": customer.id}
        )
        ribbon = self.env["product.product"].create(
            {"name": "Tour ribbon", "is_storable": True, "is_spare_part": True, "list_price": 30.0}
        )
        stock = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        self.env["stock.quant"]._update_available_quantity(ribbon, stock.lot_stock_id, 5)
        request = self.env["maintenance.request"].create(
            {"name": "Ribbon replaced", "equipment_id": device.id}
        )
        part = self.env["maintenance.request.part"].create(
            {"request_id": request.id, "product_id": ribbon.id, "quantity": 1}
        )
        part.action_consume()
        url = (
            "/odoo/action-barcode_device_service.maintenance_request_action_work_orders/"
            f"{request.id}"
        )
        self.start_tour(
            url, "barcode_device_service_invoice_hidden", login="bds_tour_manager_plain"
        )
        self.assertFalse(request.invoice_ids)
        self.start_tour(
            url, "barcode_device_service_invoice_work_order", login="bds_tour_manager_billing"
        )
        self.assertEqual(part.invoice_line_id.move_id, request.invoice_ids)
        self.assertEqual(request.invoice_ids.amount_untaxed, 30.0)
