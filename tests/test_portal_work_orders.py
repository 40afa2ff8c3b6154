import json
import re
from urllib.parse import parse_qs, urlsplit

from freezegun import freeze_time

from odoo import Command, http
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DevicePortalCase

# Monday 1 June 2026, 10:00 in Shanghai: inside the contract's service hours (9-18).
MONDAY_10_SHANGHAI = "2026-06-01 02:00:00"


@tagged("post_install", "-at_install")
class TestPortalWorkOrders(DevicePortalCase):
    """/my/work-orders and /my/work-orders/<id> as the owner, as the other customer (another
    company), and as an anonymous visitor with and without the work order's access token."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.technician = cls.env["res.users"].create(
            {
                "name": "Zhang Min",
                "login": "bds_tech_zhang",
                "company_id": cls.company.id,
                "company_ids": [Command.set(cls.company.ids)],
                "groups_id": [Command.set(cls.env.ref("base.group_user").ids)],
            }
        )
        cls.work_order.write(
            {"user_id": cls.technician.id, "description": "<p>Labels jam at the peeler.</p>"}
        )
        cls.stage_progress = cls.env.ref("maintenance.stage_1")
        cls.stage_waiting = cls.env.ref("barcode_device_service.maintenance_stage_waiting_customer")

    def _login(self, user):
        self.authenticate(user.login, user.login)

    def _work_order(self, name, **vals):
        return self.env["maintenance.request"].create(
            {
                "name": name,
                "equipment_id": self.device.id,
                "severity": "p2",
                "stage_id": self.stage_new.id,
                "company_id": self.company.id,
                "maintenance_team_id": self.work_order.maintenance_team_id.id,
                **vals,
            }
        )

    def _assert_refused(self, response, *secrets):
        """Sent home (the login page for a visitor), and nothing of ``secrets`` shown."""
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("/my/work-orders/", response.url)
        for secret in secrets:
            self.assertNotIn(secret, response.text)

    # ------------------------------------------------------------------ list
    def test_list_shows_the_customers_own_work_orders(self):
        self._login(self.portal_user)
        response = self.url_open("/my/work-orders")
        self.assertEqual(response.status_code, 200)
        for text in (
            self.work_order.name,
            self.device.name,
            self.device.serial_no,
            "P2 - Degraded",
        ):
            self.assertIn(text, response.text)
        self.assertIn(f'href="/my/work-orders/{self.work_order.id}"', response.text)
        for text in (self.work_order_2.name, self.device_2.name, self.device_2.serial_no):
            self.assertNotIn(text, response.text)

        self._login(self.portal_user_2)
        response = self.url_open("/my/work-orders")
        self.assertIn(self.work_order_2.name, response.text)
        self.assertNotIn(self.work_order.name, response.text)

    def test_newest_lists_open_work_orders_first(self):
        """An open P1 reported last week is never buried under closed ones reported since."""
        with freeze_time("2026-06-01 02:00:00"):
            open_p1 = self._work_order("Line 4 stopped", severity="p1")
        with freeze_time("2026-06-05 02:00:00"):
            closed = self._work_order("Roll changed", stage_id=self.stage_done.id)
        self._login(self.portal_user)
        page = self.url_open("/my/work-orders?sortby=newest").text
        self.assertLess(page.index("Line 4 stopped"), page.index("Roll changed"))
        self.assertEqual((open_p1.is_closed, closed.is_closed), (False, True))
        self.assertIn('href="/my/work-orders/new"', page, "Report a fault from the list")

    def test_work_order_link_logs_in_and_lands_on_it(self):
        url = f"/my/work-orders/{self.work_order.id}"
        response = self.url_open(url, allow_redirects=False)
        location = urlsplit(response.headers["Location"])
        self.assertEqual(location.path, "/web/login")
        self.assertEqual(parse_qs(location.query)["redirect"], [url])
        # Logged in as another customer: nothing of it, back to their home.
        self._login(self.portal_user_2)
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/my")

    def test_chinese_page_shows_no_seconds_and_a_named_time_zone(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.portal_user.lang = "zh_CN"
        self._login(self.portal_user)
        page = self.url_open(f"/my/work-orders/{self.work_order.id}").text
        self.assertIn("时", page)
        self.assertNotIn("秒", page)
        self.assertNotIn("Asia/Shanghai", page)
        self.assertIn("中国时间", page)

    def test_list_sends_an_anonymous_visitor_to_login(self):
        response = self.url_open("/my/work-orders", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        response = self.url_open("/my/work-orders/page/2", allow_redirects=False)
        self.assertIn("/web/login", response.headers["Location"])

    def test_list_filters(self):
        done = self._work_order("Ribbon sensor replaced", stage_id=self.stage_done.id)
        at_risk = self._work_order("Scanner reads slowly")
        breached = self._work_order("Printer offline")
        at_risk.sla_line_ids.filtered(lambda line: line.milestone == "response").state = "warning"
        breached.sla_line_ids.filtered(lambda line: line.milestone == "response").state = "breached"
        self.assertEqual((at_risk.sla_status, breached.sla_status), ("warning", "breached"))
        self._login(self.portal_user)
        expected = {
            "all": {self.work_order, done, at_risk, breached},
            "open": {self.work_order, at_risk, breached},
            "closed": {done},
            "at_risk": {at_risk},
            "breached": {breached},
        }
        everything = set().union(*expected.values())
        for filterby, shown in expected.items():
            with self.subTest(filterby=filterby):
                text = self.url_open(f"/my/work-orders?filterby={filterby}").text
                for work_order in everything:
                    (self.assertIn if work_order in shown else self.assertNotIn)(
                        f'href="/my/work-orders/{work_order.id}"', text
                    )
        # An unknown filter, sorting or search field falls back to the defaults.
        response = self.url_open("/my/work-orders?filterby=nope&sortby=nope&search_in=nope")
        self.assertEqual(response.status_code, 200)
        self.assertIn(done.name, response.text)

    def test_list_search(self):
        other_device = self.env["maintenance.equipment"].create(
            {
                "name": "TC52 handheld in the warehouse",
                "customer_id": self.customer.id,
                "product_id": self.device_product.id,
                "serial_no": "SN-HANDHELD-7",
                "company_id": self.company.id,
            }
        )
        handheld = self._work_order(
            "Battery drains overnight",
            equipment_id=other_device.id,
            description="<p>The battery swells.</p>",
        )
        self._login(self.portal_user)
        cases = [
            ("all", "handheld", {handheld}),
            ("reference", "drains", {handheld}),
            ("reference", "handheld", set()),
            ("device", "TC52", {handheld}),
            ("serial", "SN-HANDHELD", {handheld}),
            ("serial", self.device.serial_no, {self.work_order}),
            ("description", "peeler", {self.work_order}),
            ("description", "swells", {handheld}),
            # The other customer's serial finds nothing here.
            ("serial", self.device_2.serial_no, set()),
            ("all", self.work_order_2.name, set()),
        ]
        for search_in, search, found in cases:
            with self.subTest(search_in=search_in, search=search):
                text = self.url_open(f"/my/work-orders?search_in={search_in}&search={search}").text
                for work_order in (self.work_order, handheld):
                    (self.assertIn if work_order in found else self.assertNotIn)(
                        f'href="/my/work-orders/{work_order.id}"', text
                    )
                self.assertNotIn(f'href="/my/work-orders/{self.work_order_2.id}"', text)
                if not found:
                    self.assertIn("No work order matches your search.", text)

    def test_list_sortings(self):
        with freeze_time(MONDAY_10_SHANGHAI):
            urgent = self._work_order("Line stopped", severity="p1")
            planned = self._work_order("Yearly inspection", severity="p4")
        self._login(self.portal_user)

        def order(sortby):
            text = self.url_open(f"/my/work-orders?sortby={sortby}").text
            ids = [int(i) for i in re.findall(r'href="/my/work-orders/(\d+)"', text)]
            return [i for i in ids if i in (urgent.id, planned.id)]

        self.assertEqual(order("severity"), [urgent.id, planned.id])
        self.assertEqual(order("reference"), [urgent.id, planned.id])
        # The P1 answers first (half a working hour against 8).
        self.assertLess(urgent.sla_deadline, planned.sla_deadline)
        self.assertEqual(order("deadline"), [urgent.id, planned.id])
        self.assertEqual(order("newest"), [planned.id, urgent.id])
        self.assertEqual(len(order("stage")), 2)

    def test_list_pages_of_80(self):
        self.env["maintenance.request"].create(
            [
                {
                    "name": f"Label jam {n:03d}",
                    "equipment_id": self.device.id,
                    "company_id": self.company.id,
                    "maintenance_team_id": self.work_order.maintenance_team_id.id,
                }
                for n in range(80)
            ]
        )
        self._login(self.portal_user)
        first = self.url_open("/my/work-orders?sortby=reference").text
        second = self.url_open("/my/work-orders/page/2?sortby=reference").text
        links = re.compile(r'href="/my/work-orders/(\d+)"')
        self.assertEqual(len(set(links.findall(first))), 80)
        self.assertEqual(len(set(links.findall(second))), 1)
        self.assertIn("/my/work-orders/page/2", first)
        # The reference sort puts the fixture's, numbered first, on the first page and the
        # last of the 80 on the second.
        self.assertIn(self.work_order.name, first)
        self.assertNotIn(self.work_order.name, second)
        self.assertIn("Label jam 079", second)

    def test_list_deadline_in_the_customers_time_zone(self):
        with freeze_time(MONDAY_10_SHANGHAI):
            work_order = self._work_order("Printhead streaks")
            self._login(self.portal_user)
            text = self.url_open(
                f"/my/work-orders?search_in=reference&search={work_order.name}"
            ).text
        # P2: first response within 2 working hours, noon in Shanghai (04:00 UTC).
        self.assertEqual(str(work_order.sla_deadline), "2026-06-01 04:00:00")
        self.assertIn("06/01/2026 12:00", text)
        self.assertNotIn("06/01/2026 04:00", text)

    def test_list_next_deadline_until_resolved(self):
        """The next deadline is the earliest one still awaited, a missed one included; none
        once the work order is resolved, even with its arrival missed."""
        with freeze_time(MONDAY_10_SHANGHAI):
            work_order = self._work_order("Applicator arm stuck", is_on_site=True)
        self.assertEqual(str(work_order.sla_deadline), "2026-06-01 04:00:00")
        # Tuesday 10:00 in Shanghai: answered, nobody came (due Monday 18:00).
        arrival = work_order.sla_line_ids.filtered(lambda line: line.milestone == "arrival")
        with freeze_time("2026-06-02 02:00:00"):
            work_order.stage_id = self.stage_progress
            arrival._check_due(arrival.deadline)  # what the detection job does
        self.assertEqual(arrival.state, "breached")
        self.assertEqual(work_order.sla_deadline, arrival.deadline)
        with freeze_time("2026-06-02 03:00:00"):
            work_order.stage_id = self.stage_done
        self.assertEqual((arrival.state, bool(arrival.closed_at)), ("breached", True))
        self.assertFalse(work_order.sla_deadline)
        self._login(self.portal_user)
        listed = self.url_open("/my/work-orders").text
        row = re.search(rf'/my/work-orders/{work_order.id}".*?</tr>', listed, re.S).group(0)
        deadline_cell = re.search(r'<td class="text-end text-wrap">(.*?)</td>', row, re.S).group(1)
        self.assertFalse(deadline_cell.strip(), "no deadline awaited once resolved")
        self.assertIn("Breached", row)

    # ------------------------------------------------------------------ query budgets
    def _bulk_work_orders(self, count):
        """``count`` more open work orders of customer 1 on its device, straight in SQL:
        what is measured is the page, not their creation."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            INSERT INTO maintenance_request
                (name, company_id, maintenance_team_id, stage_id, kanban_state, severity,
                 priority, channel, request_date, maintenance_type, archive, equipment_id,
                 customer_id, commercial_partner_id, contract_id, sla_status, sla_deadline,
                 access_token, create_date, write_date)
            SELECT 'Bulk work order ' || n, %(company)s, %(team)s, %(stage)s, 'normal', 'p3',
                   '1', 'portal', CURRENT_DATE, 'corrective', false, %(device)s, %(customer)s,
                   %(customer)s, %(contract)s, 'running', now() + interval '4 hours',
                   md5(n::text || clock_timestamp()::text), now(), now()
              FROM generate_series(1, %(count)s) AS n
            """,
            {
                "company": self.company.id,
                "team": self.work_order.maintenance_team_id.id,
                "stage": self.stage_new.id,
                "device": self.device.id,
                "customer": self.customer.id,
                "contract": self.contract.id,
                "count": count,
            },
        )
        self.env.invalidate_all()

    def _page_queries(self, url):
        self.url_open(url)  # warm the caches (views, rules, translations)
        self.url_open(url)
        self.env.flush_all()
        before = self.cr.sql_log_count
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return self.cr.sql_log_count - before

    def test_list_queries_do_not_grow_with_the_work_orders(self):
        """As many queries for 100 work orders as for 10,000, at most 35, on each sorting
        and filter."""
        self._bulk_work_orders(99)
        self._login(self.portal_user)
        urls = [
            "/my/work-orders",
            "/my/work-orders?sortby=deadline&filterby=open",
            "/my/work-orders?sortby=stage&filterby=at_risk",
            "/my/work-orders/page/2?sortby=severity",
            "/my/work-orders?search_in=serial&search=SN",
        ]
        with_100 = {url: self._page_queries(url) for url in urls}
        for url in urls:
            with self.subTest(url=url), self.assertQueryCount(35):
                self.url_open(url)
        self._bulk_work_orders(9900)
        self.assertEqual(
            self.env["maintenance.request"].search_count(
                [("commercial_partner_id", "=", self.customer.id)]
            ),
            10000,
        )
        for url in urls:
            with self.subTest(url=url):
                self.assertEqual(self._page_queries(url), with_100[url])
                with self.assertQueryCount(with_100[url]):
                    self.url_open(url)

    def test_detail_queries(self):
        self.work_order.with_context(tracking_disable=False).stage_id = self.stage_progress
        self.env.cr.flush()
        self._login(self.portal_user)
        url = f"/my/work-orders/{self.work_order.id}"
        self._page_queries(url)
        with self.assertQueryCount(30):
            self.url_open(url)

    # ------------------------------------------------------------------ detail
    def test_detail_as_the_owner(self):
        with freeze_time(MONDAY_10_SHANGHAI):
            work_order = self._work_order(
                "Peeler bar loose", user_id=self.technician.id, is_on_site=True
            )
            # Created without tracking (the fixture's context): its precommit ends that.
            self.env.cr.flush()
        with freeze_time("2026-06-01 03:00:00"):
            work_order.with_context(tracking_disable=False).stage_id = self.stage_progress
            self.env.cr.flush()
        with freeze_time("2026-06-01 04:00:00"):
            self._login(self.portal_user)
            response = self.url_open(f"/my/work-orders/{work_order.id}")
        self.assertEqual(response.status_code, 200)
        text = response.text
        for expected in (
            work_order.name,
            self.device.name,
            f'href="/my/devices/{self.device.id}"',
            "P2 - Degraded",
            "Zhang Min",
            # The three milestones, in Shanghai time: response (2 h) due at noon, met at
            # 11:00 by the move to In Progress; arrival (8 h) due Monday 18:00, resolution
            # (24 h) Wednesday 16:00.
            "Response",
            "On-site Arrival",
            "Resolution",
            "06/01/2026 12:00",
            "06/01/2026 11:00",
            "06/01/2026 18:00",
            "06/03/2026 16:00",
            # Noon now: 6 working hours left for the arrival, 22 for the resolution.
            "6 h of working time left",
            "22 h of working time left",
            # The timeline: reported, the stage, the response met.
            "Reported",
            f"Stage: {self.stage_progress.name}",
            "Response met",
            # The chatter posts with the token.
            f'data-token="{work_order.access_token}"',
            'data-res_model="maintenance.request"',
        ):
            self.assertIn(expected, text)
        self.assertNotIn(self.work_order_2.name, text)
        # No rating form while the work order is not resolved.
        self.assertNotIn(f"/my/work-orders/{work_order.id}/rate", text)

    def test_detail_breached_and_paused_milestones(self):
        with freeze_time(MONDAY_10_SHANGHAI):
            work_order = self._work_order("Cutter blocked")
        response_line = work_order.sla_line_ids.filtered(lambda line: line.milestone == "response")
        # Noon passed, the job flags the breach at 13:30 (it happened at noon).
        with freeze_time("2026-06-01 05:30:00"):
            work_order.sla_line_ids._check_due(response_line.deadline)
            self._login(self.portal_user)
            text = self.url_open(f"/my/work-orders/{work_order.id}").text
        self.assertEqual(response_line.state, "breached")
        self.assertIn("Breached", text)
        self.assertIn("1 h 30 min of working time late", text)
        self.assertIn("Response target missed", text)
        # Waiting for the customer: the clocks still counting stop; the breach stays.
        with freeze_time("2026-06-01 06:00:00"):
            work_order.stage_id = self.stage_waiting
            quiet = self._work_order("Dust in the scanner window")
            quiet.stage_id = self.stage_waiting
        with freeze_time("2026-06-01 07:00:00"):
            text = self.url_open(f"/my/work-orders/{work_order.id}").text
            listed = self.url_open("/my/work-orders").text
        self.assertEqual(work_order.sla_line_ids.mapped("state"), ["breached", "paused"])
        self.assertIn("Clock stopped", text)
        self.assertIn("(Waiting for the customer)", text)
        self.assertEqual(quiet.sla_status, "paused")
        row = re.search(rf'/my/work-orders/{quiet.id}".*?</tr>', listed, re.S).group(0)
        self.assertIn("Clock stopped", row)

    def test_detail_time_zone_falls_back_on_the_customer_then_the_calendar(self):
        with freeze_time(MONDAY_10_SHANGHAI):
            work_order = self._work_order("Ribbon wrinkles")
        url = f"/my/work-orders/{work_order.id}?access_token={work_order.access_token}"
        # An anonymous visitor with the token: the customer's zone (Paris, UTC+2 in June).
        self.customer.tz = "Europe/Paris"
        self.assertIn("06/01/2026 06:00", self.url_open(url).text)
        # None: the contract's calendar's (Shanghai).
        self.customer.tz = False
        self.assertIn("06/01/2026 12:00", self.url_open(url).text)
        # Logged in, the user's own zone comes first.
        self.customer.tz = "Europe/Paris"
        self._login(self.portal_user)
        self.assertIn("06/01/2026 12:00", self.url_open(url).text)

    def test_detail_refuses_the_other_customer(self):
        self._login(self.portal_user_2)
        response = self.url_open(f"/my/work-orders/{self.work_order.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertTrue(response.headers["Location"].endswith("/my"))
        self._assert_refused(
            self.url_open(f"/my/work-orders/{self.work_order.id}"),
            self.work_order.name,
            self.device.name,
        )

    def test_detail_sequential_and_unknown_ids(self):
        """Around the other customer's work order and past the last id: refused alike."""
        self._login(self.portal_user)
        last = self.env["maintenance.request"].search([], order="id desc", limit=1).id
        for request_id in {
            *range(self.work_order_2.id - 2, self.work_order_2.id + 3),
            last + 1,
            last + 1000,
        } - {self.work_order.id}:
            with self.subTest(request_id=request_id):
                self._assert_refused(
                    self.url_open(f"/my/work-orders/{request_id}"),
                    self.work_order_2.name,
                    self.device_2.name,
                )

    def test_detail_access_tokens(self):
        url = f"/my/work-orders/{self.work_order.id}"
        token = self.work_order.access_token
        self.assertTrue(token)
        # Anonymous: the right token opens it, no token or a wrong one does not.
        response = self.url_open(f"{url}?access_token={token}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.work_order.name, response.text)
        for query in ("", "?access_token=", "?access_token=wrong", f"?access_token={token[:-1]}"):
            with self.subTest(query=query):
                response = self.url_open(url + query)
                self._assert_refused(response, self.work_order.name, self.device.name)
                self.assertIn("/web/login", response.url)
        # Another work order's token opens nothing else.
        self._assert_refused(
            self.url_open(f"/my/work-orders/{self.work_order_2.id}?access_token={token}"),
            self.work_order_2.name,
        )
        # A logged-in contact of another customer with the right token (it was sent to
        # them): the page; with a wrong one: refused.
        self._login(self.portal_user_2)
        self.assertEqual(self.url_open(f"{url}?access_token={token}").status_code, 200)
        self._assert_refused(
            self.url_open(f"{url}?access_token=wrong"), self.work_order.name, self.device.name
        )

    def test_detail_token_holder_gets_no_device_link(self):
        """The device page is for the customer's contacts: a token holder sees the device's
        name, not a link to it."""
        url = f"/my/work-orders/{self.work_order.id}?access_token={self.work_order.access_token}"
        text = self.url_open(url).text
        self.assertIn(self.device.name, text)
        self.assertNotIn(f"/my/devices/{self.device.id}", text)

    def test_detail_writes_nothing(self):
        """A GET changes nothing: no token to create (given at creation), no message."""
        self._login(self.portal_user)
        messages = self.work_order.message_ids
        write_date = self.work_order.write_date
        self.url_open(f"/my/work-orders/{self.work_order.id}")
        self.env.invalidate_all()
        self.assertEqual(self.work_order.message_ids, messages)
        self.assertEqual(self.work_order.write_date, write_date)

    # ------------------------------------------------------------------ chatter
    def _attachment_of_customer_2(self):
        """A photo customer 2 attached to their work order's conversation."""
        attachment = self.env["ir.attachment"].create(
            {
                "name": "suzhou-secret-photo.png",
                "raw": b"customer 2 only",
                "res_model": "maintenance.request",
                "res_id": self.work_order_2.id,
                "access_token": "att-token-of-customer-2",
            }
        )
        self.work_order_2.message_post(
            body="Photo of the jam", attachment_ids=attachment.ids, message_type="comment"
        )
        return attachment

    def _jsonrpc(self, route, params):
        response = self.url_open(
            route,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
        )
        return response

    def test_chatter_posts_with_the_token(self):
        self._login(self.portal_user)
        self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "maintenance.request",
                "thread_id": self.work_order.id,
                "post_data": {"body": "It jams again", "message_type": "comment"},
                "token": self.work_order.access_token,
            },
        )
        message = self.work_order.message_ids[:1]
        self.assertIn("It jams again", str(message.body))
        self.assertEqual(message.author_id, self.portal_user.partner_id)

    @mute_logger("odoo.http", "odoo.addons.http_routing.models.ir_http")
    def test_chatter_foreign_attachments(self):
        """Customer 1, with their own work order's token, reaches nothing of customer 2's
        attachment through the chatter routes."""
        attachment = self._attachment_of_customer_2()
        token = self.work_order.access_token
        self._login(self.portal_user)
        # Posted on their own work order with it: refused, nothing posted or moved.
        response = self._jsonrpc(
            "/mail/message/post",
            {
                "thread_model": "maintenance.request",
                "thread_id": self.work_order.id,
                "post_data": {"body": "Look", "attachment_ids": attachment.ids},
                "attachment_tokens": [token],
                "token": token,
            },
        )
        self.assertIn("error", response.json())
        self.assertNotIn("customer 2 only", response.text)
        self.assertFalse(
            self.work_order.message_ids.filtered(lambda m: attachment in m.attachment_ids)
        )
        self.assertEqual(
            (attachment.res_model, attachment.res_id), ("maintenance.request", self.work_order_2.id)
        )
        # Downloaded with their token: not found.
        for query in (f"?access_token={token}", ""):
            response = self.url_open(f"/web/content/{attachment.id}{query}")
            self.assertIn(response.status_code, (403, 404))
            self.assertNotIn("customer 2 only", response.text)
        # Deleted with their token: not found, still there.
        response = self._jsonrpc(
            "/mail/attachment/delete",
            {"attachment_id": attachment.id, "access_token": token, "token": token},
        )
        self.assertIn("error", response.json())
        self.assertTrue(attachment.exists())
        # Customer 2's conversation read or written to with customer 1's token: refused.
        response = self._jsonrpc(
            "/mail/chatter_fetch",
            {
                "thread_model": "maintenance.request",
                "thread_id": self.work_order_2.id,
                "token": token,
            },
        )
        self.assertIn("error", response.json())
        self.assertNotIn("suzhou-secret-photo", response.text)
        data = self.make_jsonrpc_request(
            "/mail/thread/data",
            {
                "thread_model": "maintenance.request",
                "thread_id": self.work_order_2.id,
                "request_list": ["attachments"],
                "token": token,
            },
        )
        self.assertNotIn("suzhou-secret-photo", json.dumps(data))
        response = self.url_open(
            "/mail/attachment/upload",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "thread_id": self.work_order_2.id,
                "thread_model": "maintenance.request",
                "token": token,
            },
            files={"ufile": ("note.txt", b"hello", "text/plain")},
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(
            self.env["ir.attachment"].search(
                [("res_model", "=", "maintenance.request"), ("name", "=", "note.txt")]
            )
        )
