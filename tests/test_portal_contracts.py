from freezegun import freeze_time

from odoo import Command
from odoo.tests import JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger

from ..controllers.portal import DeviceServicePortal
from .common import DevicePortalCase


class PortalContractCase(DevicePortalCase):
    """Helpers of the contract pages' tests: requests as a customer or as nobody, and ledger
    entries in any state."""

    def _get(self, url, user=None):
        if user:
            self.authenticate(user.login, user.login)
        return self.url_open(url, allow_redirects=False)

    def assertRefused(self, response, *secrets):
        """Sent away (to /my, which sends a visitor on to the login), revealing nothing."""
        self.assertIn(response.status_code, (302, 303), response.text[:300])
        self.assertTrue(response.headers["Location"].endswith("/my"), response.headers["Location"])
        for secret in secrets:
            self.assertNotIn(secret, response.text)

    def assertServedReadOnly(self, url, user=None):
        """The page answers 200 without writing anything: on a read-only route a write would
        make Odoo log a warning and run the request again on a read/write cursor."""
        with self.assertNoLogs("odoo.http", "WARNING"):
            response = self._get(url, user)
        self.assertEqual(response.status_code, 200, response.text[:300])
        return response

    @classmethod
    def _entries(cls, contract, specs):
        """Ledger entries of ``contract``: ``specs`` are (state, direction, amount, date,
        description). Moved to their state along the ledger's own transitions."""
        Entry = cls.env["service.ledger.entry"]
        entries = Entry
        for state, direction, amount, date, description in specs:
            entry = Entry.create(
                {
                    "contract_id": contract.id,
                    "kind": "penalty" if direction == "credit" else "rebate",
                    "direction": direction,
                    "amount": amount,
                    "date": date,
                    "description": description,
                }
            )
            if state == "cancelled":
                entry.action_cancel("Booked twice")
            elif state != "draft":
                entry.action_confirm()
            if state == "disputed":
                entry.action_dispute("The customer says the line was running")
            entries |= entry
        return entries


@tagged("post_install", "-at_install")
class TestPortalContracts(PortalContractCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract.write({"covers_spare_parts": True})
        cls.part = cls.env["product.product"].create(
            {"name": "Print Head 203 dpi", "is_storable": True, "company_id": False}
        )
        cls.env["service.contract.price.lock"].create(
            {"contract_id": cls.contract.id, "product_id": cls.part.id, "price_unit": 2345.0}
        )
        # A contract still being negotiated with the first customer: theirs, but not yet.
        cls.draft_contract = cls.env["service.contract"].create(
            {
                "partner_id": cls.customer.id,
                "date_start": "2027-01-01",
                "date_end": "2027-12-31",
                "resource_calendar_id": cls.calendar.id,
                "company_id": cls.company.id,
            }
        )

    # ------------------------------------------------------------------ list
    def test_list_shows_the_customers_own_contracts(self):
        response = self.assertServedReadOnly("/my/contracts", self.portal_user)
        self.assertIn(self.contract.name, response.text)
        self.assertIn(self.contract.get_portal_url(), response.text)
        self.assertNotIn(self.contract_2.name, response.text)
        self.assertNotIn(self.draft_contract.name, response.text)

        response = self._get("/my/contracts", self.portal_user_2)
        self.assertIn(self.contract_2.name, response.text)
        self.assertNotIn(self.contract.name, response.text)

    def test_list_for_a_user_without_access_to_contracts(self):
        """An employee without Device Service rights may not read contracts: the list says
        there is none (as the devices and work orders lists do) instead of failing."""
        employee = new_test_user(
            self.env,
            login="bds_employee",
            password="bds_employee",
            groups="base.group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertFalse(self.env["service.contract"].with_user(employee).has_access("read"))
        for url in ("/my/contracts", "/my/contracts?filterby=active", "/my/contracts/page/2"):
            with self.subTest(url=url):
                response = self.assertServedReadOnly(url, employee)
                self.assertNotIn(self.contract.name, response.text)
        self.assertIn("There is no service contract for your company yet.", response.text)
        self.assertRefused(self._get(f"/my/contracts/{self.contract.id}"), self.contract.name)

    def test_list_counts_covered_devices(self):
        second = self.env["maintenance.equipment"].create(
            {
                "name": "Scanner at the dock",
                "customer_id": self.customer.id,
                "serial_no": "SN-dock",
                "company_id": self.company.id,
            }
        )
        self.contract.device_ids = [Command.link(second.id)]
        response = self._get("/my/contracts", self.portal_user)
        self.assertRegex(response.text, r'<td class="text-end">2</td>')

    def test_list_filters_and_sortings(self):
        self.contract.action_terminate()
        later = self._active_contracts(1, date_start="2026-03-01")
        self.authenticate(self.portal_user.login, self.portal_user.login)
        active = self._get("/my/contracts?filterby=active").text
        self.assertIn(later.name, active)
        self.assertNotIn(self.contract.name, active)
        every = self._get("/my/contracts?filterby=all").text
        self.assertIn(self.contract.name, every)
        for sortby in ("date", "name", "date_end", "not-a-sorting"):
            with self.subTest(sortby=sortby):
                response = self._get(f"/my/contracts?sortby={sortby}")
                self.assertEqual(response.status_code, 200)
                self.assertIn(later.name, response.text)
        # Newest start first; by reference in order.
        self.assertLess(
            every.index(later.name), every.index(self.contract.name), "start date, newest first"
        )
        by_name = self._get("/my/contracts?sortby=name").text
        first, second = sorted([later.name, self.contract.name])
        self.assertLess(by_name.index(first), by_name.index(second))

    def test_list_pages(self):
        self._active_contracts(3)
        # The customer's contracts in the list's default order (start date, newest first).
        ordered = self.env["service.contract"].search(
            [("partner_id", "=", self.customer.id), ("state", "!=", "draft")]
        )
        self.assertEqual(len(ordered), 4)
        self.patch(DeviceServicePortal, "_items_per_page", 2)
        self.authenticate(self.portal_user.login, self.portal_user.login)
        page_1 = self._get("/my/contracts").text
        page_2 = self._get("/my/contracts/page/2").text
        self.assertIn("/my/contracts/page/2", page_1)
        for name in ordered[:2].mapped("name"):
            self.assertIn(name, page_1)
            self.assertNotIn(name, page_2)
        for name in ordered[2:].mapped("name"):
            self.assertIn(name, page_2)
            self.assertNotIn(name, page_1)

    def test_list_anonymous_is_sent_to_login(self):
        response = self._get("/my/contracts")
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        self.assertNotIn(self.contract.name, response.text)

    def test_list_query_budget(self):
        """The list costs the same queries for 1 contract as for 31 (one count, one search,
        one read of the page's contracts, one grouped count of their devices)."""
        self.authenticate(self.portal_user.login, self.portal_user.login)
        few = self._list_queries()
        self._active_contracts(30)
        many = self._list_queries()
        self.assertEqual(many, few)
        self.assertLessEqual(many, 12)

    def _list_queries(self):
        return self._queries("/my/contracts")

    def _queries(self, url):
        self.url_open(url)  # warm the caches
        before = self.cr.sql_log_count
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return self.cr.sql_log_count - before

    def _active_contracts(self, count, date_start="2025-01-01"):
        """``count`` active contracts of the first customer, each covering its own device."""
        devices = self.env["maintenance.equipment"].create(
            [
                {
                    "name": f"Scanner {index}",
                    "customer_id": self.customer.id,
                    "serial_no": f"SN-extra-{index}-{date_start}",
                    "company_id": self.company.id,
                }
                for index in range(count)
            ]
        )
        contracts = self.env["service.contract"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "date_start": date_start,
                    "date_end": "2026-12-31",
                    "resource_calendar_id": self.calendar.id,
                    "device_ids": [Command.set(device.ids)],
                    "company_id": self.company.id,
                }
                for device in devices
            ]
        )
        contracts.action_activate()
        return contracts

    # ------------------------------------------------------------------ detail
    def test_detail_as_the_owner(self):
        url = f"/my/contracts/{self.contract.id}"
        response = self.assertServedReadOnly(url, self.portal_user)
        page = response.text
        self.assertIn(self.contract.name, page)
        self.assertIn(f'href="/my/devices/{self.device.id}"', page)
        self.assertIn(self.device.serial_no, page)
        # SLA targets in the customer's words, in the contract's hours and time zone.
        self.assertIn("P1 - Line stopped", page)
        self.assertIn("30 min", page)  # P1 response
        self.assertIn("24 h", page)  # P2 resolution
        self.assertIn("Remote service", page)  # P4: no on-site target
        self.assertIn("Shanghai office hours", page)
        # The time zone as the customer says it, not its raw name.
        self.assertIn("China Time", page)
        self.assertNotIn("Asia/Shanghai", page)
        # What it covers (spare parts now too, firmware not).
        self.assertIn('data-service="spare_parts" data-covered="1"', page)
        self.assertIn('data-service="firmware" data-covered="0"', page)
        # Locked part prices.
        self.assertIn("Print Head 203 dpi", page)
        self.assertIn("2,345.00", page)
        # The conversation with the service desk.
        self.assertIn('data-res_model="service.contract"', page)
        self.assertIn("No service credit or rebate has been booked", page)

    def test_detail_shows_the_satisfaction_once_rated(self):
        url = f"/my/contracts/{self.contract.id}"
        self.assertNotIn('id="contract_satisfaction"', self._get(url, self.portal_user).text)
        token = self.work_order._rating_get_access_token()
        self.work_order.rating_apply(5, token=token, feedback="Fixed within the hour")
        page = self._get(url).text
        self.assertIn('id="contract_satisfaction"', page)
        self.assertIn("100 % satisfied", page)
        self.assertIn("Work orders rated: 1", page)
        page_2 = self._get(f"/my/contracts/{self.contract_2.id}", self.portal_user_2).text
        self.assertNotIn('id="contract_satisfaction"', page_2)

    def test_detail_query_budget(self):
        """The contract page costs the same queries whatever the number of covered devices,
        locked parts and service credits: each is read for all rows at once."""
        self._entries(self.contract, [("confirmed", "credit", 10.0, "2026-06-10", "June breach")])
        self.device.site_id = self.env["res.partner"].create(
            {"name": "Line 0", "parent_id": self.customer.id}
        )
        self.authenticate(self.portal_user.login, self.portal_user.login)
        url = f"/my/contracts/{self.contract.id}"
        few = self._queries(url)
        sites = self.env["res.partner"].create(
            [{"name": f"Line {index}", "parent_id": self.customer.id} for index in range(1, 11)]
        )
        devices = self.env["maintenance.equipment"].create(
            [
                {
                    "name": f"Scanner on line {index}",
                    "customer_id": self.customer.id,
                    "site_id": site.id,
                    "serial_no": f"SN-line-{index}",
                    "company_id": self.company.id,
                }
                for index, site in enumerate(sites)
            ]
        )
        self.contract.device_ids = [Command.link(device.id) for device in devices]
        parts = self.env["product.product"].create(
            [{"name": f"Platen roller {index}", "company_id": False} for index in range(10)]
        )
        self.env["service.contract.price.lock"].create(
            [{"contract_id": self.contract.id, "product_id": p.id, "price_unit": 42} for p in parts]
        )
        self._entries(
            self.contract,
            [
                ("confirmed", "credit", 10.0 + index, f"2026-{month:02d}-10", f"Breach {index}")
                for index in range(20)
                for month in (5, 6)
            ],
        )
        many = self._queries(url)
        self.assertEqual(many, few)
        self.assertLessEqual(many, 30)

    def test_detail_refuses_other_customers_and_unknown_ids(self):
        self.authenticate(self.portal_user_2.login, self.portal_user_2.login)
        last_id = self.env["service.contract"].search([], order="id desc", limit=1).id
        for contract_id in [*range(self.contract.id - 2, self.contract.id + 1), last_id + 1]:
            if contract_id == self.contract_2.id:
                continue
            with self.subTest(contract_id=contract_id):
                self.assertRefused(
                    self._get(f"/my/contracts/{contract_id}"),
                    self.contract.name,
                    self.customer.name,
                )
        self.assertEqual(self._get(f"/my/contracts/{self.contract_2.id}").status_code, 200)

    def test_detail_tokens(self):
        url = f"/my/contracts/{self.contract.id}"
        secrets = (self.contract.name, self.customer.name)
        self.assertRefused(self._get(url), *secrets)
        self.assertRefused(self._get(f"{url}?access_token="), *secrets)
        self.assertRefused(self._get(f"{url}?access_token=not-the-token"), *secrets)
        self.assertRefused(
            self._get(f"{url}?access_token={self.contract_2.access_token}"), *secrets
        )
        response = self.assertServedReadOnly(f"{url}?access_token={self.contract.access_token}")
        self.assertIn(self.contract.name, response.text)
        self.assertIn(f'data-token="{self.contract.access_token}"', response.text)
        # The other customer with a wrong token is refused as well.
        self.assertRefused(
            self._get(f"{url}?access_token=not-the-token", self.portal_user_2), *secrets
        )

    def test_pages_answer_get_only(self):
        """The contract pages show and change nothing: a POST (here without the CSRF token)
        is refused and reveals nothing."""
        self.authenticate(self.portal_user.login, self.portal_user.login)
        for url in ("/my/contracts", f"/my/contracts/{self.contract.id}"):
            with self.subTest(url=url), mute_logger("odoo.http"):
                response = self.url_open(url, data={"state": "terminated"}, allow_redirects=False)
                self.assertEqual(response.status_code, 405)
                self.assertNotIn(self.contract.name, response.text)
        self.assertEqual(self.contract.state, "active")

    def test_draft_contract_is_nobodys_page(self):
        url = f"/my/contracts/{self.draft_contract.id}"
        self.assertTrue(self.draft_contract.access_token)
        self.assertRefused(self._get(url, self.portal_user), self.draft_contract.name)
        self.assertRefused(
            self._get(f"{url}?access_token={self.draft_contract.access_token}"),
            self.draft_contract.name,
        )

    def test_customer_talks_to_the_desk(self):
        """The customer's contact posts on the contract's chatter; the other customer cannot."""
        self.authenticate(self.portal_user.login, self.portal_user.login)
        self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "service.contract",
                "thread_id": self.contract.id,
                "post_data": {"body": "Please add the new scanner", "message_type": "comment"},
            },
        )
        message = self.contract.message_ids[:1]
        self.assertIn("Please add the new scanner", message.body)
        self.assertEqual(message.author_id, self.portal_user.partner_id)

        self.authenticate(self.portal_user_2.login, self.portal_user_2.login)
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": "service.contract",
                    "thread_id": self.contract.id,
                    "post_data": {"body": "Not my contract", "message_type": "comment"},
                },
            )
        bodies = self.contract.message_ids.mapped("body")
        self.assertFalse([body for body in bodies if "Not my contract" in (body or "")])

    # ------------------------------------------------------------------ service credits
    def test_ledger_shows_confirmed_and_settled_entries_only(self):
        self._entries(
            self.contract,
            [
                ("confirmed", "credit", 111.11, "2026-06-10", "Confirmed P1 response breach"),
                ("confirmed", "charge", 11.0, "2026-06-12", "Confirmed rebate bonus"),
                ("draft", "credit", 222.22, "2026-06-11", "Draft under review"),
                ("disputed", "credit", 333.33, "2026-06-12", "Disputed by the desk"),
                ("cancelled", "credit", 444.44, "2026-06-13", "Cancelled twice booked"),
            ],
        )
        self._entries(
            self.contract_2,
            [("confirmed", "credit", 555.55, "2026-06-10", "Other customer credit")],
        )
        url = f"/my/contracts/{self.contract.id}"
        page = self.assertServedReadOnly(url, self.portal_user).text
        self.assertIn("Confirmed P1 response breach", page)
        self.assertIn("111.11", page)
        self.assertIn("Confirmed rebate bonus", page)
        self.assertIn("100.11", page)  # the month's net: 111.11 credited, 11.00 charged
        self.assertEqual(page.count('class="o_contract_ledger_entry"'), 2)
        for hidden in (
            "Draft under review",
            "222.22",
            "Disputed by the desk",
            "333.33",
            "Cancelled twice booked",
            "444.44",
            "Other customer credit",
            "555.55",
        ):
            self.assertNotIn(hidden, page)

        page_2 = self._get(f"/my/contracts/{self.contract_2.id}", self.portal_user_2).text
        self.assertIn("555.55", page_2)
        for foreign in ("111.11", "100.11", "Confirmed P1 response breach"):
            self.assertNotIn(foreign, page_2)

    def test_ledger_one_period_at_a_time(self):
        self._entries(
            self.contract,
            [
                ("confirmed", "credit", 70.0, "2026-05-20", "May breach"),
                ("confirmed", "credit", 80.0, "2026-06-20", "June breach"),
            ],
        )
        self.authenticate(self.portal_user.login, self.portal_user.login)
        url = f"/my/contracts/{self.contract.id}"
        latest = self._get(url).text
        self.assertIn("June breach", latest)
        self.assertNotIn("May breach", latest)
        self.assertIn('data-period="2026-05"', latest, "every period has its totals row")
        may = self._get(f"{url}?period=2026-05").text
        self.assertIn("May breach", may)
        self.assertNotIn("June breach", may)
        for period in ("1999-01", "<script>alert(1)</script>"):
            with self.subTest(period=period):
                unknown = self._get(f"{url}?period={period}").text
                self.assertIn("June breach", unknown)
                self.assertIn("no service credit in the period you asked for", unknown)
                self.assertNotIn("<script>alert(1)", unknown)


@tagged("post_install", "-at_install")
class TestPortalContractCredits(PortalContractCase):
    """Settled service credits link to their credit note. The first customer's company gets
    core's generic chart of accounts (as AccountTestInvoicingCommon gives its companies)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=cls.company, install_demo=False
        )
        with freeze_time("2026-07-15"):
            cls.settled = cls._entries(
                cls.contract,
                [
                    ("confirmed", "credit", 600.0, "2026-06-10", "June response breach"),
                    ("confirmed", "charge", 50.0, "2026-06-30", "June rebate bonus"),
                ],
            )
            cls.credit_note = cls._settle("2026-06", "posted")
            cls.held = cls._entries(
                cls.contract,
                [("confirmed", "credit", 90.0, "2026-05-10", "May arrival breach")],
            )
            cls.draft_credit_note = cls._settle("2026-05", "draft")

    @classmethod
    def _settle(cls, period, move_state):
        # sudo: the accountant's settlement, as the set-up runs it.
        wizard = (
            cls.env["service.settlement.wizard"]
            .sudo()
            .with_company(cls.company)
            .create(
                {
                    "company_id": cls.company.id,
                    "period_from": period,
                    "period_to": period,
                    "contract_ids": [Command.set(cls.contract.ids)],
                    "move_state": move_state,
                }
            )
        )
        moves, _zero = wizard._settle()
        return moves

    def test_settled_entries_link_their_posted_credit_note(self):
        self.assertEqual(self.credit_note.move_type, "out_refund")
        self.assertEqual(self.credit_note.state, "posted")
        self.assertEqual(set(self.settled.mapped("state")), {"settled"})
        self.assertTrue(self.credit_note.access_token, "given when the settlement is posted")
        url = f"/my/contracts/{self.contract.id}?period=2026-06"
        page = self.assertServedReadOnly(url, self.portal_user).text
        portal_url = self.credit_note.get_portal_url()
        self.assertIn(f"access_token={self.credit_note.access_token}", portal_url)
        self.assertEqual(page.count(f'href="{portal_url}"'), 2, "both settled entries")
        self.assertIn("550.00", page)  # June's net
        self.assertIn("Settled", page)
        # One wording: what is credited, what is charged (the rebate), no "charge" for a cap.
        self.assertIn("Credited to you", page)
        self.assertIn("Charged to you", page)
        cap = self.env["service.ledger.entry"].create(
            {
                "contract_id": self.contract.id,
                "kind": "cap",
                "direction": "charge",
                "amount": 40.0,
                "date": "2026-06-30",
                "description": "June cap",
            }
        )
        cap.action_confirm()
        page = self.assertServedReadOnly(url, self.portal_user).text
        self.assertIn("Not credited (monthly cap)", page)

        # The link opens the standard invoice page, for the customer and for the token holder.
        self.assertEqual(self._get(portal_url.split("?")[0]).status_code, 200)
        self.authenticate(None, None)
        self.assertEqual(self._get(portal_url).status_code, 200)

    def test_a_draft_settlement_links_nothing(self):
        self.assertEqual(self.draft_credit_note.state, "draft")
        self.assertEqual(self.held.state, "confirmed")
        url = f"/my/contracts/{self.contract.id}?period=2026-05"
        page = self.assertServedReadOnly(url, self.portal_user).text
        self.assertIn("May arrival breach", page)
        self.assertIn("To be settled", page)
        self.assertNotIn('class="o_contract_settlement"', page)
        self.assertNotIn(self.draft_credit_note.get_portal_url().split("?")[0], page)

    def test_the_other_customer_never_sees_the_credits(self):
        page = self._get(f"/my/contracts/{self.contract_2.id}", self.portal_user_2).text
        for foreign in ("June response breach", "550.00", "600.00", self.credit_note.name):
            self.assertNotIn(foreign, page)
        self.assertRefused(
            self._get(f"/my/contracts/{self.contract.id}?period=2026-06"),
            "June response breach",
            "600.00",
        )
