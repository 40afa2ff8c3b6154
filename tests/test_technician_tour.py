from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestTechnicianTour(HttpCase):
    """A technician's visit on a phone, from the queue to the customer's signature; the
    team manager approves the part in between; the customer then downloads the report."""

    def test_technician_visit_on_a_phone(self):
        company = self.env.company
        common = {"company_id": company.id, "company_ids": [Command.set(company.ids)]}
        technician = new_test_user(
            self.env,
            login="bds_tour_field_tech",
            name="Li Wei",
            groups="base.group_user,barcode_device_service.group_device_service_technician",
            **common,
        )
        team_lead = new_test_user(
            self.env,
            login="bds_tour_team_lead",
            groups="base.group_user,barcode_device_service.group_device_service_technician",
            **common,
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Plant", "is_company": True, "email": "plant@tour.example.com"}
        )
        site = self.env["res.partner"].create(
            {
                "name": "Tour Plant, Line 2",
                "parent_id": customer.id,
                "type": "delivery",
                "street": "88 Anting Road",
                "city": "Shanghai",
                "country_id": self.env.ref("base.cn").id,
            }
        )
        contact = self.env["res.partner"].create(
            {"name": "Wang Fang", "parent_id": customer.id, "email": "wang@tour.example.com"}
        )
        portal_user = new_test_user(
            self.env, login="bds_tour_wang", groups="base.group_portal", partner_id=contact.id
        )
        model = self.env["product.product"].create(
            {"name": "Tour ZT411", "is_serviced_device": True, "tracking": "serial"}
        )
        self.env["service.checklist.template"].create(
            {
                "name": "Tour printer service",
                "product_tmpl_id": model.product_tmpl_id.id,
                "item_ids": [Command.create({"name": "Clean the print head"})],
            }
        )
        head = self.env["product.product"].create(
            {
                "name": "Tour Print Head",
                "is_storable": True,
                "is_spare_part": True,
                "list_price": 500,
            }
        )
        stock = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        self.env["stock.quant"]._update_available_quantity(head, stock.lot_stock_id, 3)
        team = self.env["maintenance.team"].create(
            {
                "name": "Tour field team",
                "company_id": company.id,
                "manager_id": team_lead.id,
                "approve_parts": True,
                "part_approval_limit": 100,
            }
        )
        device = self.env["maintenance.equipment"].create(
            {
                "name": "Tour line printer",
                "customer_id": customer.id,
                "site_id": site.id,
                "product_id": model.id,
                "company_id": company.id,
            }
        )
        work_order = self.env["maintenance.request"].create(
            {
                "name": "TOUR-WO labels smeared",
                "equipment_id": device.id,
                "maintenance_team_id": team.id,
                "user_id": technician.id,
                "is_on_site": True,
                "company_id": company.id,
                "caller_id": contact.id,
            }
        )
        self.browser_size = "390x844"
        self.touch_enabled = True
        queue = "/odoo/action-barcode_device_service.maintenance_request_action_my_work_orders"
        self.start_tour(queue, "barcode_device_service_technician_visit", login=technician.login)
        self.assertTrue(work_order.departed_at)
        self.assertTrue(work_order.checked_in_at)
        self.assertTrue(work_order.checklist_line_ids.is_done)
        part = work_order.part_ids
        self.assertEqual((part.product_id, part.state), (head, "to_approve"))

        work_order.with_user(team_lead).action_approve_parts()
        self.assertEqual(part.state, "draft")

        self.start_tour(
            f"{queue}/{work_order.id}",
            "barcode_device_service_technician_signoff",
            login=technician.login,
        )
        self.assertEqual(work_order.signed_by, "Wang Fang")
        self.assertTrue(work_order.customer_signature)
        report = work_order.service_report_id
        self.assertTrue(report)

        # The customer's contact finds the report on the portal; another visitor does not.
        self.authenticate(portal_user.login, portal_user.login)
        page = self.url_open(f"/my/work-orders/{work_order.id}")
        self.assertEqual(page.status_code, 200)
        url = work_order._get_portal_service_report_url()
        self.assertIn(url.replace("&", "&amp;"), page.text)
        self.assertEqual(self.url_open(url).status_code, 200)
        self.authenticate(None, None)
        self.assertEqual(self.url_open(f"/web/content/{report.id}?download=true").status_code, 404)
