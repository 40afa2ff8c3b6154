import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import DevicePortalCase

# The CSRF token a page carries changes every second: left out when two pages are compared.
CSRF_RE = re.compile(r"[0-9a-f]{40}o\d+")
# Queries of /my/devices for a portal user, whatever the number of devices on the page.
LIST_QUERY_BUDGET = 14


@tagged("post_install", "-at_install")
class TestPortalDevices(DevicePortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.site = cls.env["res.partner"].create(
            {"name": "Plant 2, Jiading", "type": "delivery", "parent_id": cls.customer.id}
        )
        today = fields.Date.today()
        cls.device.write(
            {
                "site_id": cls.site.id,
                "barcode": "DEV-PORTAL-A",
                "warranty_start_date": today - timedelta(days=30),
                "warranty_end_date": today + timedelta(days=300),
            }
        )
        cls.device_2.barcode = "DEV-PORTAL-B"

    def _login(self, user):
        self.authenticate(user.login, user.login)

    def _get(self, url):
        return self.url_open(url, allow_redirects=False)

    def assertLeaksNothingOf(self, response, device):
        for secret in (device.name, device.serial_no, device.customer_id.name, device.barcode):
            self.assertNotIn(secret, response.text)

    def assertRedirectsToLogin(self, response):
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    # ------------------------------------------------------------------ list
    def test_list_shows_only_the_customers_devices(self):
        self._login(self.portal_user)
        response = self._get("/my/devices")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.device.name, response.text)
        self.assertIn("SN-bds_portal_a", response.text)
        self.assertIn("Plant 2, Jiading", response.text)
        self.assertIn(f"/my/devices/{self.device.id}", response.text)
        self.assertLeaksNothingOf(response, self.device_2)

        self._login(self.portal_user_2)
        response = self._get("/my/devices")
        self.assertIn(self.device_2.name, response.text)
        self.assertLeaksNothingOf(response, self.device)

    def test_list_counts_open_work_orders(self):
        self._login(self.portal_user)
        row = self._device_row(self._get("/my/devices").text, self.device)
        self.assertIn(">1<", row)
        self.work_order.stage_id = self.stage_done
        row = self._device_row(self._get("/my/devices").text, self.device)
        self.assertIn(">0<", row)

    def _device_row(self, html, device):
        start = html.index(f'href="/my/devices/{device.id}"')
        return html[start : html.index("</tr>", start)]

    def test_list_anonymous_is_sent_to_login(self):
        self.assertRedirectsToLogin(self._get("/my/devices"))
        self.assertRedirectsToLogin(self._get("/my/devices/page/2"))

    def test_search_by_serial_barcode_and_site(self):
        other = self.env["maintenance.equipment"].create(
            {
                "name": "Scanner in the office",
                "customer_id": self.customer.id,
                "serial_no": "OFFICE-77",
                "company_id": self.company.id,
            }
        )
        self._login(self.portal_user)
        searches = {
            ("serial", "bds_portal_a"): True,
            ("serial", "OFFICE"): False,
            ("barcode", "PORTAL-A"): True,
            ("site", "Jiading"): True,
            ("all", "Jiading"): True,
            ("all", "OFFICE-77"): False,
            ("site", "OFFICE"): None,
            # The other customer's device is never found, by any of its identifiers.
            ("all", "SN-bds_portal_b"): None,
            ("barcode", "DEV-PORTAL-B"): None,
        }
        for (search_in, search), finds_device in searches.items():
            with self.subTest(search_in=search_in, search=search):
                response = self._get(f"/my/devices?search_in={search_in}&search={search}")
                self.assertEqual(response.status_code, 200)
                if finds_device is None:
                    # (the search itself is typed back in the search box)
                    self.assertIn("No device matches your search.", response.text)
                    self.assertNotIn(self.device_2.name, response.text)
                    continue
                self.assertEqual(self.device.name in response.text, finds_device)
                self.assertEqual(other.name in response.text, not finds_device)

    def test_sortings(self):
        self.env["maintenance.equipment"].create(
            {
                "name": "AAA first by name",
                "customer_id": self.customer.id,
                "serial_no": "ZZZ-LAST",
                "company_id": self.company.id,
            }
        )
        self._login(self.portal_user)
        orders = {
            "name": ("AAA first by name", self.device.name),
            "serial": (self.device.name, "AAA first by name"),
            "warranty": (self.device.name, "AAA first by name"),
            "site": (self.device.name, "AAA first by name"),
            "unknown": ("AAA first by name", self.device.name),
        }
        for sortby, (first, second) in orders.items():
            with self.subTest(sortby=sortby):
                html = self._get(f"/my/devices?sortby={sortby}").text
                self.assertLess(html.index(first), html.index(second))

    def test_pager(self):
        self.env["maintenance.equipment"].create(
            [
                {
                    "name": f"Scanner {index:03d}",
                    "customer_id": self.customer.id,
                    "company_id": self.company.id,
                }
                for index in range(85)
            ]
        )
        self._login(self.portal_user)
        first = self._get("/my/devices").text
        self.assertIn("/my/devices/page/2", first)
        self.assertIn("Scanner 000", first)
        self.assertNotIn("Scanner 084", first)
        second = self._get("/my/devices/page/2").text
        self.assertIn("Scanner 084", second)
        self.assertNotIn("Scanner 000", second)

    def test_list_query_budget_does_not_grow_with_devices(self):
        """The same number of queries for one device and for sixty (each with its model,
        site, contract and work orders): the page reads them in batches."""
        self._login(self.portal_user)
        few = self._list_queries()
        devices = self.env["maintenance.equipment"].create(
            [
                {
                    "name": f"Printer {index:02d}",
                    "customer_id": self.customer.id,
                    "site_id": self.site.id,
                    "product_id": self.device_product.id,
                    "serial_no": f"BATCH-{index:02d}",
                    "company_id": self.company.id,
                    "warranty_end_date": fields.Date.today(),
                }
                for index in range(60)
            ]
        )
        self.contract.device_ids = [Command.link(device.id) for device in devices]
        self.env["maintenance.request"].create(
            [
                {
                    "name": f"Fault on {device.name}",
                    "equipment_id": device.id,
                    "company_id": self.company.id,
                    "maintenance_team_id": self.work_order.maintenance_team_id.id,
                }
                for device in devices
            ]
        )
        self.assertEqual(self._list_queries(), few)
        self._get("/my/devices")
        with self.assertQueryCount(LIST_QUERY_BUDGET):
            response = self._get("/my/devices")
        self.assertIn("Printer 59", response.text)

    def _list_queries(self):
        self._get("/my/devices")  # warm the caches
        self.env.flush_all()
        before = self.cr.sql_log_count
        self._get("/my/devices")
        return self.cr.sql_log_count - before

    # ------------------------------------------------------------------ detail
    def test_detail_as_owner(self):
        done, cancelled = self.env["maintenance.request"].create(
            [
                {
                    "name": name,
                    "equipment_id": self.device.id,
                    "company_id": self.company.id,
                    "maintenance_team_id": self.work_order.maintenance_team_id.id,
                    "stage_id": stage.id,
                    "archive": archive,
                }
                for name, stage, archive in (
                    ("Platen roller replaced last year", self.stage_done, False),
                    ("Reported twice by mistake", self.stage_new, True),
                )
            ]
        )
        self._login(self.portal_user)
        response = self._get(f"/my/devices/{self.device.id}")
        self.assertEqual(response.status_code, 200)
        html = response.text
        for text in (
            self.device.name,
            "ZT411 Industrial Label Printer",
            "SN-bds_portal_a",
            "DEV-PORTAL-A",
            "Plant 2, Jiading",
            "Under warranty",
            self.contract.name,
            f"/my/contracts/{self.contract.id}",
            "Shanghai office hours",
            # The contract's targets in the customer's words (P1: 30 min, 4 h, 8 h).
            "P1 - Line stopped",
            "30 min",
            "4 h",
            "P4 - Planned",
            f"/my/work-orders/{self.work_order.id}",
            self.work_order.name,
            f"/my/work-orders/{done.id}",
            "Platen roller replaced last year",
            f"/my/devices/{self.device.id}?report=1#report",
        ):
            self.assertIn(text, html)
        # The open work order is listed before the past ones, the cancelled one among them.
        self.assertLess(html.index(self.work_order.name), html.index(done.name))
        self.assertLess(html.index("Past</h5>"), html.index(cancelled.name))
        self.assertIn("Cancelled", html)
        # The fault form is closed until asked for.
        self.assertNotIn('action="/my/work-orders/new"', html)
        self.assertLeaksNothingOf(response, self.device_2)

    def test_detail_with_the_fault_form_open(self):
        self._login(self.portal_user)
        html = self._get(f"/my/devices/{self.device.id}?report=1").text
        self.assertIn('action="/my/work-orders/new"', html)
        self.assertIn(f'name="device_id" value="{self.device.id}"', html)
        self.assertIn("P2 - Degraded", html)
        self.assertIn("working, with problems", html)
        self.assertIn('name="submission_key"', html)

    def test_detail_without_contract_or_warranty(self):
        self.contract.action_terminate()
        self.device.write({"warranty_start_date": False, "warranty_end_date": False})
        self._login(self.portal_user)
        html = self._get(f"/my/devices/{self.device.id}").text
        self.assertIn("not covered by a service contract", html)
        self.assertIn("No warranty recorded", html)
        self.assertNotIn(self.contract.name, html)

    def test_detail_refuses_foreign_sequential_and_missing_ids(self):
        """Another customer's device, the ids next to it and one that does not exist all
        get the same answer: back to /my, nothing of any device in it."""
        missing_id = self.env["maintenance.equipment"].search([], order="id desc", limit=1).id + 1
        self._login(self.portal_user)
        answers = set()
        for device_id in (self.device_2.id, self.device_2.id + 1, self.device.id - 1, missing_id):
            with self.subTest(device_id=device_id):
                response = self._get(f"/my/devices/{device_id}")
                self.assertEqual(response.status_code, 303)
                answers.add((response.status_code, urlsplit(response.headers["Location"]).path))
                self.assertLeaksNothingOf(response, self.device_2)
        self.assertEqual(answers, {(303, "/my")})

    def test_detail_anonymous_is_sent_to_login(self):
        self.assertRedirectsToLogin(self._get(f"/my/devices/{self.device.id}"))

    def test_archived_or_retired_device_takes_no_report(self):
        self._login(self.portal_user)
        self.device.device_state = "retired"
        html = self._get(f"/my/devices/{self.device.id}?report=1").text
        self.assertNotIn('action="/my/work-orders/new"', html)
        self.assertNotIn("?report=1#report", html)
        self.device.write({"device_state": "in_service", "active": False})
        self.assertNotIn(self.device.name, self._get("/my/devices").text)
        html = self._get(f"/my/devices/{self.device.id}?report=1").text
        self.assertNotIn('action="/my/work-orders/new"', html)

    # ------------------------------------------------------------------ label URL
    def _label_url(self, device):
        return f"/service/device/{device.sudo().label_token}"

    def test_label_opens_the_device_for_its_customer(self):
        self._login(self.portal_user)
        response = self._get(self._label_url(self.device))
        self.assertIn(response.status_code, (302, 303))
        self.assertEqual(
            response.headers["Location"].split("//", 1)[-1].split("/", 1)[-1],
            f"my/devices/{self.device.id}?report=1#report",
        )
        page = self.url_open(self._label_url(self.device))
        self.assertEqual(page.status_code, 200)
        self.assertIn('action="/my/work-orders/new"', page.text)

    def test_label_sends_an_anonymous_visitor_to_login_and_back(self):
        url = self._label_url(self.device)
        response = self._get(url)
        self.assertIn(response.status_code, (302, 303))
        location = urlsplit(response.headers["Location"])
        self.assertEqual(location.path, "/web/login")
        self.assertEqual(parse_qs(location.query)["redirect"], [url])
        # An unknown token gets the same answer: nothing learnt without logging in.
        unknown = self._get("/service/device/notARealToken1234567890")
        self.assertEqual(
            parse_qs(urlsplit(unknown.headers["Location"]).query)["redirect"],
            ["/service/device/notARealToken1234567890"],
        )
        self.assertNotIn(self.device.name, response.text + unknown.text)

        self._login(self.portal_user)
        back = self._get(parse_qs(location.query)["redirect"][0])
        self.assertIn(f"/my/devices/{self.device.id}", back.headers["Location"])

    def test_label_login_page_says_why_and_which_model(self):
        """The login page of a valid label says why and names the device's model, nothing
        more; an unknown token gets the generic words."""
        url = self._label_url(self.device)
        message = parse_qs(urlsplit(self._get(url).headers["Location"]).query)["message"][0]
        model = self.device.sudo().product_id.display_name
        self.assertEqual(message, f"Log in to report a fault on your {model}.")
        for secret in (self.device.name, self.device.serial_no, self.customer.name):
            self.assertNotIn(secret, message)
        unknown = self._get("/service/device/notARealToken1234567890")
        message = parse_qs(urlsplit(unknown.headers["Location"]).query)["message"][0]
        self.assertEqual(message, "Log in to report a fault on your device.")
        self.assertNotIn(model, message)
        self.assertIn(model, self.url_open(url).text, "the login page shows it")

    def test_label_reveals_nothing_to_anyone_else(self):
        """Another customer, an unknown token, a regenerated (old) token and no token get the
        same page with the same status, and nothing of the device in it."""
        old_url = self._label_url(self.device)
        self._login(self.portal_user_2)
        foreign = self._get(old_url)
        self.assertEqual(foreign.status_code, 404)
        self.assertLeaksNothingOf(foreign, self.device)
        self.assertIn("This label does not open a device", foreign.text)
        reference = CSRF_RE.sub("", foreign.text)

        self.device.with_user(self._manager()).action_regenerate_label_token()
        urls = [
            "/service/device/notARealToken1234567890",
            "/service/device/x",
            "/service/device/",
            "/service/device",
            old_url,
        ]
        for user in (self.portal_user_2, self.portal_user):
            self._login(user)
            if user == self.portal_user_2:
                urls_for_user = [*urls, self._label_url(self.device)]
            else:
                urls_for_user = urls
                reference = CSRF_RE.sub("", self._get(urls[0]).text)
            for url in urls_for_user:
                with self.subTest(user=user.login, url=url):
                    response = self._get(url)
                    self.assertEqual(response.status_code, 404)
                    self.assertEqual(CSRF_RE.sub("", response.text), reference)
                    self.assertLeaksNothingOf(response, self.device)

    def _manager(self, company=None):
        company = company or self.company
        return new_test_user(
            self.env,
            login=f"bds_portal_manager_{company.id}",
            groups="base.group_user,barcode_device_service.group_device_service_manager",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )

    def test_label_opens_the_backend_form_for_the_service_desk(self):
        """The service company's own people may read the device: its backend form. Those of
        the other company may not: the neutral page."""
        url = self._label_url(self.device)
        manager = self._manager()
        self._login(manager)
        response = self._get(url)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn(f"/odoo/maintenance.equipment/{self.device.id}", response.headers["Location"])
        self._login(self._manager(self.company_2))
        response = self._get(url)
        self.assertEqual(response.status_code, 404)
        self.assertLeaksNothingOf(response, self.device)

    def test_label_token_has_a_unique_index(self):
        self.env.cr.execute(
            """
            SELECT indexdef FROM pg_indexes
             WHERE tablename = 'maintenance_equipment' AND indexdef ILIKE '%%(label_token)%%'
            """
        )
        definitions = [row[0] for row in self.env.cr.fetchall()]
        self.assertTrue(any("UNIQUE" in definition for definition in definitions), definitions)

    def test_label_costs_the_same_for_unknown_and_foreign_tokens(self):
        """A foreign token costs the queries an unknown one does (the lookup fetches what
        the check needs): not even the time of the answer tells them apart."""
        self._login(self.portal_user_2)
        url = self._label_url(self.device)
        self._get(url)
        self.env.flush_all()
        before = self.cr.sql_log_count
        self._get(url)
        foreign = self.cr.sql_log_count - before
        before = self.cr.sql_log_count
        self._get("/service/device/notARealToken1234567890")
        unknown = self.cr.sql_log_count - before
        self.assertEqual(foreign, unknown)
