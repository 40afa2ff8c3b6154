import io
import logging
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from freezegun import freeze_time
from PIL import Image

from odoo import http
from odoo.tests import BaseCase, tagged
from odoo.tools import mute_logger

from ..controllers.fault_form import DESCRIPTION_MAX_CHARS, PHOTO_MAX_MB, fault_description_html
from ..tools.sla_time import next_working_instant
from .common import DevicePortalCase


def png_bytes(color="red"):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), color).save(buffer, format="PNG")
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestPortalReport(DevicePortalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.email = "service@label-printers.example"
        cls.Request = cls.env["maintenance.request"]
        cls.team = cls.work_order.maintenance_team_id
        cls.last_request_id = cls.Request.search([], order="id desc", limit=1).id

    def _login(self, user):
        self.authenticate(user.login, user.login)

    def _form(self, **values):
        form = {
            "csrf_token": http.Request.csrf_token(self),
            "submission_key": secrets.token_urlsafe(16),
            "device_id": str(self.device.id),
            "severity": "p2",
            "fault_type": "print",
            "description": "The printer stops after every label\nError light blinks red",
        }
        form.update(values)
        return {key: value for key, value in form.items() if value is not None}

    def _post(self, data, photos=()):
        files = [("photos", photo) for photo in photos] or None
        return self.url_open("/my/work-orders/new", data=data, files=files, allow_redirects=False)

    def _created(self):
        """The work orders made by the test (the database may hold demo ones)."""
        return self.Request.search([("id", ">", self.last_request_id)])

    def assertRefused(self, response, message, typed="Error light blinks red"):
        """The form comes back with the message next to the field and what was typed; no
        work order."""
        self.assertEqual(response.status_code, 200)
        self.assertIn(message, response.text)
        self.assertIn("please correct what is marked below", response.text)
        if typed:
            self.assertIn(typed, response.text)
        self.assertFalse(self._created())

    # ------------------------------------------------------------------ the form
    def test_form_lists_only_the_users_devices(self):
        self._login(self.portal_user)
        response = self.url_open(f"/my/work-orders/new?device_id={self.device.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f'<option value="{self.device.id}" selected', response.text)
        self.assertNotIn(self.device_2.name, response.text)
        for words in ("P1 - Line stopped", "production is down", "P4 - Planned"):
            self.assertIn(words, response.text)
        # The limits of the photos are stated.
        self.assertIn(f"at most {PHOTO_MAX_MB} MB each", response.text)
        self.assertIn("JPEG, PNG, GIF, WebP", response.text)
        # A foreign device in the URL is not preselected, nor named.
        response = self.url_open(f"/my/work-orders/new?device_id={self.device_2.id}")
        self.assertNotIn(self.device_2.name, response.text)
        self.assertNotIn(
            "selected", response.text.split('name="device_id"', 1)[1].split("</select>")[0]
        )

    def test_form_retired_devices_are_not_offered(self):
        self.device.device_state = "retired"
        self._login(self.portal_user)
        response = self.url_open("/my/work-orders/new")
        self.assertIn("No device of your company is registered with our service", response.text)

    def test_anonymous_visitor(self):
        response = self.url_open("/my/work-orders/new", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        self._login(self.portal_user)
        form = self._form()
        self.logout()
        response = self._post(form)
        self.assertIn(response.status_code, (302, 303, 400))
        self.assertFalse(self._created())

    # ------------------------------------------------------------------ creation
    def test_report_creates_the_work_order(self):
        self._login(self.portal_user)
        form = self._form()
        response = self._post(form, [("label.png", png_bytes(), "image/png")])
        work_order = self._created()
        self.assertEqual(len(work_order), 1)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(urlsplit(response.headers["Location"]).path, work_order.access_url)
        page = self.url_open(response.headers["Location"])
        self.assertEqual(page.status_code, 200)
        self.assertIn("The printer stops after every label", page.text)
        self.assertRecordValues(
            work_order,
            [
                {
                    "name": "The printer stops after every label",
                    "equipment_id": self.device.id,
                    "customer_id": self.customer.id,
                    "contract_id": self.contract.id,
                    "severity": "p2",
                    "fault_type": "print",
                    "channel": "portal",
                    "owner_user_id": self.portal_user.id,
                    "company_id": self.company.id,
                    "maintenance_team_id": self.team.id,
                    "stage_id": self.stage_new.id,
                    "portal_submission_key": form["submission_key"],
                }
            ],
        )
        self.assertIn("Error light blinks red", work_order.description)
        # Its clock started as for any new work order.
        self.assertEqual(
            sorted(work_order.sla_line_ids.mapped("milestone")), ["resolution", "response"]
        )
        self.assertEqual(set(work_order.sla_line_ids.mapped("state")), {"running"})
        # The photo is the work order's, posted in the customer's creation message.
        photo = self.env["ir.attachment"].search(
            [("res_model", "=", "maintenance.request"), ("res_id", "=", work_order.id)]
        )
        self.assertEqual(photo.name, "label.png")
        self.assertEqual(photo.mimetype, "image/png")
        report = work_order.message_ids.filtered(lambda m: m.attachment_ids)
        self.assertEqual(report.attachment_ids, photo)
        self.assertEqual(report.author_id, self.portal_user.partner_id)
        # The owner sees it among their work orders (the rule), the other customer does not.
        self.assertTrue(work_order.with_user(self.portal_user).has_access("read"))
        self.assertFalse(work_order.with_user(self.portal_user_2).has_access("read"))

    def test_post_without_csrf_is_refused(self):
        """An expired page (or a forged post) creates nothing, but the customer keeps what
        they typed and reads why: the page expired, send it again."""
        self._login(self.portal_user)
        for token in (None, "", "0" * 40 + "o9999999999"):
            with self.subTest(token=token), mute_logger("odoo.http"):
                response = self._post(self._form(csrf_token=token))
                self.assertEqual(response.status_code, 400)
                self.assertFalse(self._created())
                self.assertIn("This page expired", response.text)
                self.assertIn("Error light blinks red", response.text)
                self.assertIn(f'value="{self.device.id}" selected', response.text)
        # Sent again from that page (a fresh token), it goes through.
        self.url_open("/my/work-orders/new")
        response = self._post(self._form())
        self.assertEqual(response.status_code, 303)
        self.assertEqual(len(self._created()), 1)

    def test_expired_page_as_a_visitor_or_another_customer(self):
        """Without a valid token nothing is created for anyone; a visitor is sent to log
        in, another customer's device is not offered back to them."""
        anonymous = {"csrf_token": "", "device_id": str(self.device.id), "description": "Jam"}
        with mute_logger("odoo.http"):
            response = self._post(anonymous)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])
        self._login(self.portal_user_2)
        with mute_logger("odoo.http"):
            response = self._post(self._form(csrf_token=""))
        self.assertEqual(response.status_code, 400)
        self.assertNotIn(f'value="{self.device.id}"', response.text)
        self.assertFalse(self._created())

    def test_other_fields_are_ignored(self):
        """Customer, contract, technician, stage, price, owner, company, team and channel in
        the POST change nothing: the work order follows the device."""
        self._login(self.portal_user)
        admin = self.env.ref("base.user_admin")
        response = self._post(
            self._form(
                customer_id=str(self.customer_2.id),
                commercial_partner_id=str(self.customer_2.id),
                contract_id=str(self.contract_2.id),
                user_id=str(admin.id),
                stage_id=str(self.stage_done.id),
                owner_user_id=str(self.portal_user_2.id),
                company_id=str(self.company_2.id),
                maintenance_team_id=str(self.work_order_2.maintenance_team_id.id),
                channel="backend",
                price_unit="0",
                duration="99",
                archive="1",
            )
        )
        self.assertEqual(response.status_code, 303)
        self.assertRecordValues(
            self._created(),
            [
                {
                    "customer_id": self.customer.id,
                    "contract_id": self.contract.id,
                    "user_id": False,
                    "stage_id": self.stage_new.id,
                    "owner_user_id": self.portal_user.id,
                    "company_id": self.company.id,
                    "maintenance_team_id": self.team.id,
                    "channel": "portal",
                    "duration": 0.0,
                    "archive": False,
                }
            ],
        )

    def test_description_is_sanitized(self):
        self._login(self.portal_user)
        text = (
            "<script>alert('stolen')</script>Printer <b onmouseover=\"steal()\">jams</b>\n"
            '<img src="https://tracker.example/p.png" onerror="steal()">'
            "Code < 5 & feed > 3\n<style>body{display:none}</style>"
        )
        self._post(self._form(description=text))
        work_order = self._created()
        self.assertEqual(work_order.name, "Printer jams")
        for forbidden in (
            "<script",
            "alert(",
            "steal()",
            "onmouseover",
            "<img",
            "tracker",
            "<style",
        ):
            self.assertNotIn(forbidden, work_order.description)
        self.assertIn("Code &lt; 5 &amp; feed &gt; 3", work_order.description)

    def test_description_helper(self):
        self.assertEqual(fault_description_html("  \n <script>x</script>\n"), "")
        self.assertEqual(
            str(fault_description_html("Jam\nat <i>label</i> 3")), "<p>Jam<br/>at label 3</p>"
        )

    # ------------------------------------------------------------------ bad input
    def test_bad_input_is_refused_with_a_message(self):
        self._login(self.portal_user)
        cases = {
            "empty description": (
                {"description": "  \n "},
                [],
                "Describe the fault",
                None,
            ),
            "description with markup only": (
                {"description": "<script>alert(1)</script>"},
                [],
                "Describe the fault",
                None,
            ),
            "foreign device": (
                {"device_id": str(self.device_2.id)},
                [],
                "Choose one of your devices.",
                "Error light blinks red",
            ),
            "sequential device id": (
                {"device_id": str(self.device_2.id + 1)},
                [],
                "Choose one of your devices.",
                "Error light blinks red",
            ),
            "no device": ({"device_id": None}, [], "Choose one of your devices.", None),
            "not a number": ({"device_id": "1 OR 1=1"}, [], "Choose one of your devices.", None),
            "unknown severity": (
                {"severity": "p9"},
                [],
                "Choose how urgent the fault is.",
                "Error light blinks red",
            ),
            "no severity": ({"severity": None}, [], "Choose how urgent the fault is.", None),
            "unknown symptom": (
                {"fault_type": "on_fire"},
                [],
                "Choose one of the symptoms listed, or none.",
                "Error light blinks red",
            ),
            "not an image": (
                {},
                [("photo.png", b"#!/bin/sh\necho not a picture\n", "image/png")],
                "photo.png is not a photo: attach JPEG, PNG, GIF, WebP images.",
                "Error light blinks red",
            ),
            "an SVG": (
                {},
                [("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/png")],
                "drawing.png is not a photo",
                None,
            ),
            "empty file": (
                {},
                [("empty.jpg", b"", "image/jpeg")],
                "empty.jpg is not a photo",
                None,
            ),
            "too large": (
                {},
                [("huge.png", png_bytes() + b"\0" * (PHOTO_MAX_MB * 1024 * 1024), "image/png")],
                f"huge.png is larger than {PHOTO_MAX_MB} MB.",
                "Error light blinks red",
            ),
            "too many": (
                {},
                [(f"p{index}.png", png_bytes(), "image/png") for index in range(6)],
                "Attach at most 5 photos (you chose 6).",
                "Error light blinks red",
            ),
        }
        for case, (values, photos, message, typed) in cases.items():
            with self.subTest(case=case):
                response = self._post(self._form(**values), photos)
                self.assertRefused(response, message, typed)
                if photos:
                    self.assertIn("choose them again", response.text)

    def test_description_has_a_length_limit(self):
        """A description is at most DESCRIPTION_MAX_CHARS long: the form says so, the server
        refuses more with a message (300 KB were taken before)."""
        self._login(self.portal_user)
        response = self.url_open("/my/work-orders/new")
        self.assertIn(f'maxlength="{DESCRIPTION_MAX_CHARS}"', response.text)
        response = self._post(self._form(description="Error light blinks red " + "x" * 300_000))
        self.assertRefused(response, f"at most {DESCRIPTION_MAX_CHARS} characters")
        # What comes back is what the form takes: cut at the limit.
        self.assertNotIn("x" * DESCRIPTION_MAX_CHARS, response.text)
        response = self._post(self._form(description="y" * DESCRIPTION_MAX_CHARS))
        self.assertEqual(response.status_code, 303)
        self.assertEqual(len(self._created()), 1)

    def test_retired_device_is_refused(self):
        self.env["maintenance.equipment"].create(
            {
                "name": "Spare scanner",
                "customer_id": self.customer.id,
                "company_id": self.company.id,
            }
        )
        self.device.device_state = "retired"
        self._login(self.portal_user)
        self.assertRefused(self._post(self._form()), "Choose one of your devices.")

    def test_typed_values_come_back(self):
        self._login(self.portal_user)
        response = self._post(
            self._form(
                severity="p1",
                device_id=str(self.device_2.id),
                description="Line 3 <stopped> & smoking",
            )
        )
        self.assertIn("Choose one of your devices.", response.text)
        self.assertIn('value="p1" id="fault_severity_p1" checked', response.text)
        self.assertIn("Line 3 &lt;stopped&gt; &amp; smoking", response.text)
        # The form keeps its key: sent again once corrected, it still makes one work order.
        self.assertIn('name="submission_key" value="', response.text)

    def test_missing_submission_key_creates_nothing(self):
        self._login(self.portal_user)
        response = self._post(self._form(submission_key=None))
        self.assertEqual(response.status_code, 200)
        self.assertIn("The form was incomplete", response.text)
        self.assertFalse(self._created())

    # ------------------------------------------------------------------ double submission
    def test_double_submission_makes_one_work_order(self):
        self._login(self.portal_user)
        form = self._form()
        first = self._post(form, [("label.png", png_bytes(), "image/png")])
        second = self._post(form, [("label.png", png_bytes(), "image/png")])
        work_order = self._created()
        self.assertEqual(len(work_order), 1)
        self.assertEqual(first.headers["Location"], second.headers["Location"])
        self.assertEqual(len(work_order.message_ids.attachment_ids), 1)
        # The key of a form already sent leads to its work order.
        response = self.url_open(
            f"/my/work-orders/new?submitted={form['submission_key']}", allow_redirects=False
        )
        self.assertEqual(urlsplit(response.headers["Location"]).path, work_order.access_url)

    def test_a_key_used_by_someone_else_creates_nothing_and_leaks_nothing(self):
        """The database holds the key unique: a form whose key another sending already
        used (a sending at the same moment) creates nothing more; whoever does not own that
        work order gets the empty form, not the work order."""
        self._login(self.portal_user_2)
        form = self._form(device_id=str(self.device_2.id))
        self._post(form)
        theirs = self._created()
        self.assertEqual(len(theirs), 1)

        self._login(self.portal_user)
        form = self._form(submission_key=form["submission_key"])
        response = self._post(form)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self._created(), theirs)
        follow = self.url_open(response.headers["Location"], allow_redirects=False)
        self.assertEqual(follow.status_code, 200)
        self.assertNotIn(theirs.name, follow.text)
        self.assertNotIn(self.device_2.name, follow.text)

    def test_a_key_taken_meanwhile_is_neither_logged_nor_muted(self):
        """The same form sent twice at once: the second sending meets the key the first one
        has just committed. That refusal is expected: it is not logged as a database error,
        and not hidden by muting the database logger either (global state, not thread-safe:
        two such refusals at once left it muted, hiding every later error). A filter on the
        logger sees every record, muted or not."""
        key = secrets.token_urlsafe(16)
        # The first sending, committed after this one looked for the key.
        theirs = self.Request.create(
            {
                "name": "Printer jams",
                "equipment_id": self.device.id,
                "company_id": self.company.id,
                "maintenance_team_id": self.team.id,
                "portal_submission_key": key,
            }
        )
        logger = logging.getLogger("odoo.sql_db")
        records = []
        watch = logging.Filter()
        watch.filter = lambda record: records.append(record) or True
        handlers, propagate = list(logger.handlers), logger.propagate
        logger.addFilter(watch)
        try:
            created = (
                self.Request.with_user(self.portal_user)
                .sudo()
                ._portal_report_fault(self.device.sudo(), "p2", "<p>Printer jams</p>", [], key)
            )
        finally:
            logger.removeFilter(watch)
        self.assertFalse(created)
        self.assertEqual(self.Request.search([("portal_submission_key", "=", key)]), theirs)
        self.assertFalse([r.getMessage() for r in records if r.levelno >= logging.WARNING])
        self.assertEqual((logger.handlers, logger.propagate), (handlers, propagate))

    # ------------------------------------------------------------------ acknowledgement
    def _report_at(self, when, severity="p2"):
        with freeze_time(when):
            work_order = (
                self.Request.with_user(self.portal_user)
                .sudo()
                ._portal_report_fault(
                    self.device,
                    severity,
                    "<p>The printer stops after every label</p>",
                    [],
                    secrets.token_urlsafe(16),
                )
            )
            self.env.flush_all()
        message = work_order.message_ids.filtered(lambda m: m.message_type == "auto_comment")
        self.assertEqual(len(message), 1)
        return work_order, message

    def test_acknowledgement_within_service_hours(self):
        # Monday 5 January 2026, 10:00 in Shanghai: the response (P2: 2 h) is due at noon.
        work_order, message = self._report_at(datetime(2026, 1, 5, 2, 0))
        self.assertEqual(message.partner_ids, self.portal_user.partner_id)
        self.assertEqual(message.author_id, self.company.partner_id)
        self.assertIn("service@label-printers.example", message.email_from)
        self.assertRegex(work_order.reference, r"^WO/\d{4}/\d{5}$")
        self.assertIn(work_order.reference, message.subject)
        body = " ".join(str(message.body).split())
        for text in (
            work_order.reference,
            self.device.name,
            "SN-bds_portal_a",
            "P2 - Degraded",
            "Monday 5 January 2026, 10:00 (China Time)",
            "within 2 h of service hours",
            "by <strong>Monday 5 January 2026, 12:00 (China Time)</strong>",
        ):
            self.assertIn(text, body)
        self.assertNotIn("outside the service hours", body)
        # An automated message: it is not the service desk's first response.
        response = work_order.sla_line_ids.filtered(lambda line: line.milestone == "response")
        self.assertEqual(response.state, "running")
        # The e-mail goes out to the contact.
        self.assertEqual(
            message.notification_ids.filtered(
                lambda n: n.notification_type == "email"
            ).res_partner_id,
            self.portal_user.partner_id,
        )

    def test_acknowledgement_outside_service_hours(self):
        cases = {
            # Saturday 10 January 2026, 15:00 in Shanghai: the clock starts on Monday.
            datetime(2026, 1, 10, 7, 0): (
                "Monday 12 January 2026, 09:00 (China Time)",
                "Monday 12 January 2026, 11:00 (China Time)",
            ),
            # Tuesday 6 January 2026, 20:00: it starts the next morning.
            datetime(2026, 1, 6, 12, 0): (
                "Wednesday 7 January 2026, 09:00 (China Time)",
                "Wednesday 7 January 2026, 11:00 (China Time)",
            ),
        }
        for when, (clock_start, deadline) in cases.items():
            with self.subTest(when=when):
                _work_order, message = self._report_at(when)
                body = " ".join(str(message.body).split())
                self.assertIn("outside the service hours of your contract", body)
                self.assertIn("Shanghai office hours", body)
                self.assertIn(f"counts from <strong>{clock_start}</strong>", body)
                self.assertIn(f"by <strong>{deadline}</strong>", body)

    def test_acknowledgement_in_the_contacts_time_zone(self):
        self.portal_user.tz = "Europe/Paris"
        # The response due on Monday 5 January 2026 at noon in Shanghai: 05:00 in Paris.
        _work_order, message = self._report_at(datetime(2026, 1, 5, 2, 0))
        self.assertIn("Monday 5 January 2026, 05:00 (Central European Time)", str(message.body))

    def test_acknowledgement_without_contract(self):
        self.contract.action_terminate()
        work_order, message = self._report_at(datetime(2026, 1, 5, 2, 0))
        self.assertFalse(work_order.sla_line_ids)
        self.assertIn("our service desk will contact you", str(message.body))

    def test_reported_through_the_portal_sends_it(self):
        self._login(self.portal_user)
        self._post(self._form())
        work_order = self._created()
        message = work_order.message_ids.filtered(lambda m: m.message_type == "auto_comment")
        self.assertEqual(message.partner_ids, self.portal_user.partner_id)
        self.assertIn(
            self.portal_user.partner_id,
            message.notification_ids.filtered(
                lambda n: n.notification_type == "email"
            ).res_partner_id,
        )
        self.assertIn(self.device.name, str(message.body))


@tagged("post_install", "-at_install")
class TestClockStart(BaseCase):
    """When a clock started at an instant begins to count (tools/sla_time.py)."""

    def test_next_working_instant(self):
        def at(day, hour):
            return datetime(2026, 1, day, hour)

        # Monday and Tuesday, 9:00 to 18:00 (naive datetimes: one time zone for the test).
        intervals = [(at(5, 9), at(5, 18)), (at(6, 9), at(6, 18))]
        self.assertEqual(next_working_instant(intervals, at(5, 10)), at(5, 10))
        self.assertEqual(next_working_instant(intervals, at(5, 9)), at(5, 9))
        self.assertEqual(next_working_instant(intervals, at(5, 7)), at(5, 9))
        self.assertEqual(next_working_instant(intervals, at(5, 18)), at(6, 9))
        self.assertEqual(next_working_instant(intervals, at(5, 20)), at(6, 9))
        self.assertIsNone(next_working_instant(intervals, at(6, 19)))
