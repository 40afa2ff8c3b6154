from odoo.tests import tagged

from .common import DevicePortalCase

COUNTERS = ["device_count", "work_order_count", "service_contract_count"]


@tagged("post_install", "-at_install")
class TestPortalHome(DevicePortalCase):
    def _counters(self, user):
        self.authenticate(user.login, user.login)
        return self.make_jsonrpc_request("/my/counters", {"counters": COUNTERS})

    def test_counters_are_the_customers_own(self):
        counters = self._counters(self.portal_user)
        self.assertEqual(
            counters, {"device_count": 1, "work_order_count": 1, "service_contract_count": 1}
        )
        self.work_order.stage_id = self.stage_done
        self.assertEqual(self._counters(self.portal_user_2)["work_order_count"], 1)
        self.assertEqual(self._counters(self.portal_user)["work_order_count"], 0)

    def test_home_lists_the_entries(self):
        self.authenticate(self.portal_user.login, self.portal_user.login)
        response = self.url_open("/my/home")
        self.assertEqual(response.status_code, 200)
        for url in ("/my/devices", "/my/work-orders", "/my/contracts"):
            self.assertIn(url, response.text)

    def test_one_query_per_counter(self):
        """Each counter costs one counting query as the user (the rules are in it), after
        the user's commercial partner is read once (two queries): measured against a
        request for no counter at all."""
        self.authenticate(self.portal_user.login, self.portal_user.login)
        baseline = self._queries([])
        for counter in COUNTERS:
            with self.subTest(counter=counter):
                self.assertEqual(self._queries([counter]) - baseline, 2 + 1)
        self.assertEqual(self._queries(COUNTERS) - baseline, 2 + len(COUNTERS))

    def _queries(self, counters):
        self.make_jsonrpc_request("/my/counters", {"counters": counters})  # warm the caches
        before = self.cr.sql_log_count
        self.make_jsonrpc_request("/my/counters", {"counters": counters})
        return self.cr.sql_log_count - before

    def test_anonymous_visitor_is_sent_to_login(self):
        response = self.url_open("/my/home", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
