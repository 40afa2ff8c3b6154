import json

from odoo import http
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..controllers.portal_rating import RATING_FEEDBACK_MAX
from .common import DevicePortalCase


@tagged("post_install", "-at_install")
class TestPortalRating(DevicePortalCase):
    """A resolved work order asks its customer contact for a rating, once; the contact rates
    it from the e-mail's links or the work order's page; the rating feeds the contract's
    satisfaction. Tried as the owner, the other customer and an anonymous visitor."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Reported through the portal by the customer's contact: they are asked to rate.
        cls.work_order.owner_user_id = cls.portal_user
        cls.work_order_2.owner_user_id = cls.portal_user_2
        cls.portal_user.partner_id.email = "li.wei@shanghai-auto.example.com"
        cls.template = cls.env.ref("barcode_device_service.mail_template_work_order_rating")

    def _login(self, user):
        self.authenticate(user.login, user.login)

    def _resolve(self, work_order):
        work_order.stage_id = self.stage_done
        self.env.flush_all()

    def _rating_requests(self, work_order):
        return work_order.message_ids.filtered(lambda m: m.subject and "how did we do" in m.subject)

    def _pending(self, work_order):
        return work_order.rating_ids.filtered(lambda r: not r.consumed)

    def _rate(self, work_order, rating="4", feedback="Fixed within the hour.", **extra):
        data = {
            "csrf_token": http.Request.csrf_token(self),
            "rating": rating,
            "feedback": feedback,
            **extra,
        }
        return self.url_open(f"/my/work-orders/{work_order.id}/rate", data=data)

    # ------------------------------------------------------------------ request
    def test_resolving_asks_the_customer_contact_once(self):
        self.assertFalse(self._rating_requests(self.work_order))
        self._resolve(self.work_order)
        request = self._rating_requests(self.work_order)
        self.assertEqual(len(request), 1)
        self.assertEqual(request.partner_ids, self.portal_user.partner_id)
        pending = self._pending(self.work_order)
        self.assertEqual(pending.partner_id, self.portal_user.partner_id)
        body = str(request.body)
        for link in (5, 3, 1):
            self.assertIn(f"/rate/{pending.access_token}/{link}", body)
        self.assertIn(
            f"/my/work-orders/{self.work_order.id}?access_token={self.work_order.access_token}",
            body,
        )
        # An internal note: the portal's chatter does not show it (nor its rating links).
        self.assertTrue(request.subtype_id.internal)
        mail = self.env["mail.mail"].search([("mail_message_id", "=", request.id)])
        self.assertEqual(mail.recipient_ids, self.portal_user.partner_id)

        # Reopened and resolved again: not asked twice.
        self.work_order.stage_id = self.stage_new
        self._resolve(self.work_order)
        self.assertEqual(len(self._rating_requests(self.work_order)), 1)
        self.assertEqual(len(self.work_order.rating_ids), 1)

    def test_no_request_before_resolution_nor_for_history(self):
        self.work_order.stage_id = self.env.ref("maintenance.stage_1")
        self.assertFalse(self._rating_requests(self.work_order))
        # Scrapped is done but not resolved: nothing to rate.
        self.work_order.stage_id = self.env.ref("maintenance.stage_4")
        self.assertFalse(self.work_order.rating_ids)
        # The demo's history replays past work orders: no request about them.
        self.work_order_2.with_context(no_rating_request=True).stage_id = self.stage_done
        self.assertFalse(self.work_order_2.rating_ids)

    def test_rating_from_the_email_link(self):
        self._resolve(self.work_order)
        token = self._pending(self.work_order).access_token
        self._login(self.portal_user)
        response = self.url_open(f"/rate/{token}/5")
        self.assertEqual(response.status_code, 200)
        rating = self.work_order.rating_ids
        self.assertEqual((rating.rating, rating.consumed), (5, True))
        self.assertEqual(self.work_order.rating_last_value, 5)

    @mute_logger("odoo.http")
    def test_foreign_rating_tokens(self):
        """Customer 2, logged in, opening customer 1's rating link rates nothing; a made-up
        token is not found."""
        self._resolve(self.work_order)
        pending = self._pending(self.work_order)
        self._login(self.portal_user_2)
        response = self.url_open(f"/rate/{pending.access_token}/5")
        self.assertIn("You cannot rate this work order", response.text)
        self.assertFalse(pending.consumed)
        self.assertEqual(pending.rating, 0)
        self.assertNotIn(self.work_order.name, response.text)
        self.assertNotIn(self.device.name, response.text)
        response = self.url_open("/rate/not-a-token/5")
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.work_order.rating_ids.filtered("consumed"))

    def _submit_feedback(self, token, rate="1", feedback="Nobody came."):
        """Core's feedback form, under the rating link's page: a POST of its own."""
        return self.url_open(
            f"/rate/{token}/submit_feedback",
            data={"csrf_token": http.Request.csrf_token(self), "rate": rate, "feedback": feedback},
        )

    @mute_logger("odoo.http")
    def test_foreign_rating_tokens_posted(self):
        """Core's feedback form is refused to customer 2 as the rating link is."""
        self._resolve(self.work_order)
        pending = self._pending(self.work_order)
        self._login(self.portal_user_2)
        response = self._submit_feedback(pending.access_token)
        self.assertIn("You cannot rate this work order", response.text)
        self.assertNotIn(self.work_order.name, response.text)
        self.assertEqual((pending.consumed, pending.rating, pending.feedback), (False, 0, False))

    def test_feedback_posted_has_the_portal_forms_limit(self):
        self._resolve(self.work_order)
        pending = self._pending(self.work_order)
        self._login(self.portal_user)
        limit = RATING_FEEDBACK_MAX
        response = self._submit_feedback(pending.access_token, feedback="z" * (limit + 1))
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"at most {limit} characters", response.text)
        self.assertIn(f'maxlength="{limit}"', response.text)
        self.assertEqual((pending.consumed, pending.feedback), (False, False))
        response = self._submit_feedback(pending.access_token, rate="5", feedback="z" * limit)
        self.assertEqual(response.status_code, 200)
        self.assertEqual((pending.consumed, pending.rating), (True, 5))
        self.assertEqual(pending.feedback, "z" * limit)

    # ------------------------------------------------------------------ portal form
    def test_resolved_work_order_shows_the_form_until_rated(self):
        url = f"/my/work-orders/{self.work_order.id}"
        self._login(self.portal_user)
        self.assertNotIn(f"{url}/rate", self.url_open(url).text)
        self._resolve(self.work_order)
        self.assertIn(f'action="{url}/rate"', self.url_open(url).text)

        response = self._rate(self.work_order, rating="4", feedback="Fixed within the hour.")
        self.assertEqual(response.status_code, 200)
        self.assertIn("message=rated", response.url)
        self.assertIn("Your rating is recorded.", response.text)
        self.assertNotIn(f'action="{url}/rate"', response.text)
        self.assertIn("Fixed within the hour.", response.text)

        rating = self.work_order.rating_ids
        self.assertEqual(len(rating), 1, "the pending rating of the e-mail was applied")
        self.assertEqual(
            (rating.rating, rating.feedback, rating.consumed, rating.partner_id),
            (4, "Fixed within the hour.", True, self.portal_user.partner_id),
        )
        self.assertIn("Fixed within the hour.", str(rating.message_id.body))
        self.assertEqual(rating.message_id.author_id, self.portal_user.partner_id)
        # The satisfaction KPI: the work order and its contract.
        self.assertEqual(self.work_order.rating_last_value, 4)
        self.assertEqual(self.contract.rating_count, 1)
        self.assertEqual(self.contract.rating_avg, 4)
        self.assertEqual(self.contract.rating_percentage_satisfaction, 100)
        [[average]] = self.env["maintenance.request"]._read_group(
            [("id", "=", self.work_order.id)], [], ["rating_last_value:avg"]
        )
        self.assertEqual(average, 4)

    def test_form_refusals_keep_what_was_typed(self):
        self._login(self.portal_user)
        response = self._rate(self.work_order, feedback="Too early")
        self.assertIn("This work order is not resolved yet", response.text)
        self.assertFalse(self.work_order.rating_ids.filtered("consumed"))

        self._resolve(self.work_order)
        for rating in ("0", "6", "abc", ""):
            with self.subTest(rating=rating):
                response = self._rate(self.work_order, rating=rating, feedback="Kept comment")
                self.assertEqual(response.status_code, 200)
                self.assertIn("Choose from 1 to 5 stars.", response.text)
                self.assertIn("Kept comment", response.text)
        response = self._rate(self.work_order, feedback="x" * 2001)
        self.assertIn("Your comment is too long: at most 2000 characters.", response.text)
        self.assertFalse(self.work_order.rating_ids.filtered("consumed"))

        self._rate(self.work_order, rating="2", feedback="Slow")
        response = self._rate(self.work_order, rating="5", feedback="Changed my mind")
        self.assertIn("This work order is already rated", response.text)
        rating = self.work_order.rating_ids.filtered("consumed")
        self.assertEqual((rating.rating, rating.feedback), (2, "Slow"))

    @mute_logger("odoo.http")
    def test_form_without_csrf_is_refused(self):
        self._resolve(self.work_order)
        self._login(self.portal_user)
        response = self.url_open(
            f"/my/work-orders/{self.work_order.id}/rate", data={"rating": "5", "feedback": "x"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.work_order.rating_ids.filtered("consumed"))
        # A GET does not rate either.
        response = self.url_open(f"/my/work-orders/{self.work_order.id}/rate?rating=5")
        self.assertIn(response.status_code, (404, 405))
        self.assertFalse(self.work_order.rating_ids.filtered("consumed"))

    def test_form_foreign_ids_and_tokens(self):
        (self.work_order | self.work_order_2).stage_id = self.stage_done
        self.env.flush_all()
        url = f"/my/work-orders/{self.work_order.id}/rate"
        # The other customer, by id (theirs is next to it) or with a wrong token: refused.
        self._login(self.portal_user_2)
        for extra in ({}, {"access_token": "wrong"}, {"access_token": ""}):
            with self.subTest(extra=extra):
                response = self._rate(self.work_order, **extra)
                self.assertNotIn("/my/work-orders/", response.url)
                self.assertNotIn(self.work_order.name, response.text)
                self.assertNotIn(self.device.name, response.text)
        for request_id in (self.work_order.id + 1000, 0):
            response = self.url_open(
                f"/my/work-orders/{request_id}/rate",
                data={"csrf_token": http.Request.csrf_token(self), "rating": "1"},
            )
            self.assertNotIn("/my/work-orders/", response.url)
        self.assertFalse(self.work_order.rating_ids.filtered("consumed"))
        # Customer 2's own still rates.
        self._rate(self.work_order_2, rating="5")
        self.assertEqual(self.work_order_2.rating_ids.filtered("consumed").rating, 5)

        # Anonymous: refused without the token, rated with it.
        self.authenticate(None, None)
        response = self.url_open(
            url, data={"csrf_token": http.Request.csrf_token(self), "rating": "3"}
        )
        self.assertIn("/web/login", response.url)
        self.assertNotIn(self.work_order.name, response.text)
        self.assertFalse(self.work_order.rating_ids.filtered("consumed"))
        response = self._rate(
            self.work_order, rating="3", access_token=self.work_order.access_token
        )
        self.assertIn(f"access_token={self.work_order.access_token}", response.url)
        self.assertEqual(self.work_order.rating_ids.filtered("consumed").rating, 3)

    @mute_logger("odoo.http")
    def test_no_rating_through_the_chatter(self):
        """The chatter route accepts a ``rating_value``: on a work order it is refused, so
        the once-when-resolved rule holds."""
        self._resolve(self.work_order)
        self._login(self.portal_user)
        response = self.url_open(
            "/mail/message/post",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "thread_model": "maintenance.request",
                        "thread_id": self.work_order.id,
                        "post_data": {"body": "Great", "rating_value": 5},
                        "token": self.work_order.access_token,
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertIn("rated from its page", response.json()["error"]["data"]["message"])
        self.assertFalse(self.work_order.rating_ids.filtered("consumed"))
