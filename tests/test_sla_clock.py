from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import DeviceServiceCase


def utc(text):
    return datetime.fromisoformat(text)


class SlaCase(DeviceServiceCase):
    """Calendars (7x24, Shanghai office hours with a holiday, Berlin office hours), a device,
    a team with a manager and the stages a work order goes through."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar_24 = cls.env.ref("barcode_device_service.resource_calendar_7x24")
        cls.shanghai = cls._business_calendar("Shanghai office hours", "Asia/Shanghai")
        # National Day holidays: Friday 2 and Monday 5 October around the weekend.
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "National Day",
                "calendar_id": cls.shanghai.id,
                "date_from": "2026-10-01 16:00:00",  # Fri 2 Oct 00:00 in Shanghai
                "date_to": "2026-10-05 15:59:59",  # Mon 5 Oct 23:59 in Shanghai
            }
        )
        cls.berlin = cls._business_calendar("Berlin office hours", "Europe/Berlin")
        cls.device = cls.create_device()
        cls.team = cls.env["maintenance.team"].create(
            {"name": "Field team East", "company_id": cls.company.id, "manager_id": cls.manager.id}
        )
        cls.stage_new = cls.env.ref("maintenance.stage_0")
        cls.stage_progress = cls.env.ref("maintenance.stage_1")
        cls.stage_repaired = cls.env.ref("maintenance.stage_3")
        cls.stage_waiting = cls.env["maintenance.stage"].create(
            {"name": "Waiting for parts approval", "pauses_sla": True, "pause_reason": "Approval"}
        )

    @classmethod
    def _business_calendar(cls, name, tz):
        attendances = []
        for day in "01234":
            attendances += [
                Command.create({"name": "AM", "dayofweek": day, "hour_from": 9, "hour_to": 12}),
                Command.create(
                    {
                        "name": "PM",
                        "dayofweek": day,
                        "hour_from": 13,
                        "hour_to": 18,
                        "day_period": "afternoon",
                    }
                ),
            ]
        return cls.env["resource.calendar"].create(
            {
                "name": name,
                "tz": tz,
                "company_id": False,
                "attendance_ids": [Command.clear(), *attendances],
            }
        )

    def _contract(self, calendar):
        contract = self.env["service.contract"].create(
            {
                "partner_id": self.customer.id,
                "date_start": "2026-01-01",
                "date_end": "2026-12-31",
                "resource_calendar_id": calendar.id,
                "device_ids": [Command.set(self.device.ids)],
                "company_id": self.company.id,
            }
        )
        contract.action_activate()
        return contract

    def _request(self, severity="p2", on_site=False, **vals):
        values = {
            "name": "Printer does not feed labels",
            "equipment_id": self.device.id,
            "is_on_site": on_site,
            "stage_id": self.stage_new.id,
            "company_id": self.company.id,
            "maintenance_team_id": self.team.id,
            "user_id": self.technician.id,
        }
        if severity:
            values["severity"] = severity
        values.update(vals)
        return self.env["maintenance.request"].with_company(self.company).create(values)

    def _line(self, request, milestone):
        return request.sla_line_ids.filtered(lambda line: line.milestone == milestone)


@tagged("post_install", "-at_install")
class TestSlaClock(SlaCase):
    @freeze_time("2026-06-01 10:00:00")
    def test_customer_contract_and_lines_from_the_device(self):
        contract = self._contract(self.calendar_24)
        request = self._request("p1", on_site=True)
        self.assertEqual(request.customer_id, self.customer)
        self.assertEqual(request.contract_id, contract)
        self.assertEqual(request.priority, "3", "P1 shows three stars")
        self.assertEqual(
            sorted(request.sla_line_ids.mapped("milestone")), ["arrival", "resolution", "response"]
        )
        remote = self._request("p1", on_site=False)
        self.assertEqual(remote.contract_id, contract, "inside the contract's period")
        self.assertEqual(
            sorted(remote.sla_line_ids.mapped("milestone")), ["resolution", "response"]
        )
        stars = self._request(None, priority="3")
        self.assertEqual(stars.severity, "p1", "stars set the severity too")

    @freeze_time("2026-06-01 10:00:00")
    def test_7x24_counts_wall_clock_hours(self):
        self._contract(self.calendar_24)
        request = self._request("p1", on_site=True)
        self.assertEqual(self._line(request, "response").deadline, utc("2026-06-01 10:30:00"))
        self.assertEqual(self._line(request, "arrival").deadline, utc("2026-06-01 14:00:00"))
        resolution = self._line(request, "resolution")
        self.assertEqual(resolution.deadline, utc("2026-06-01 18:00:00"))
        self.assertEqual(resolution.original_deadline, resolution.deadline)
        # 75 % of 8 hours.
        self.assertEqual(resolution.warning_at, utc("2026-06-01 16:00:00"))

    def test_business_hours_in_shanghai_skip_holidays_and_weekend(self):
        self._contract(self.shanghai)
        # Thursday 1 October, 16:00 in Shanghai (08:00 UTC).
        with freeze_time("2026-10-01 08:00:00"):
            request = self._request("p2")
        # Response 2 h: 16:00 → 18:00 the same day.
        self.assertEqual(self._line(request, "response").deadline, utc("2026-10-01 10:00:00"))
        # Resolution 24 h: 2 h on Thursday, Friday and Monday are holidays, the weekend is
        # closed, 8 h Tuesday, 8 h Wednesday, 6 h Thursday 8 October → 16:00 in Shanghai.
        self.assertEqual(self._line(request, "resolution").deadline, utc("2026-10-08 08:00:00"))

    def test_daylight_saving_change_in_berlin(self):
        self._contract(self.berlin)
        # Friday 27 March 2026, 16:00 CET (15:00 UTC); clocks go forward on Sunday 29.
        with freeze_time("2026-03-27 15:00:00"):
            request = self._request("p2")
        # Response 2 h: 16:00-18:00 on Friday is 2 h → 18:00 CET = 17:00 UTC.
        self.assertEqual(self._line(request, "response").deadline, utc("2026-03-27 17:00:00"))
        # Resolution 24 h: 2 h Friday, 8 h Monday, 8 h Tuesday, 6 h Wednesday → 16:00 CEST.
        self.assertEqual(self._line(request, "resolution").deadline, utc("2026-04-01 14:00:00"))

    def test_met_exactly_at_the_deadline_or_one_second_after(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            on_time, late = self._request("p1"), self._request("p1")
        with freeze_time("2026-06-01 10:30:00"):
            on_time.stage_id = self.stage_progress
        with freeze_time("2026-06-01 10:30:01"):
            late.stage_id = self.stage_progress
        self.assertEqual(self._line(on_time, "response").state, "met")
        late_line = self._line(late, "response")
        self.assertEqual(late_line.state, "met_late")
        self.assertAlmostEqual(late_line.late_hours, 1 / 3600, places=6)

    def test_first_public_reply_is_the_response_not_a_note(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p2")
        line = self._line(request, "response")
        with freeze_time("2026-06-01 10:20:00"):
            request.with_user(self.technician).message_post(
                body="Internal", subtype_xmlid="mail.mt_note"
            )
            self.assertEqual(line.state, "running")
            request.with_user(self.technician).message_post(
                body="We are on it", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(line.state, "met")
        self.assertEqual(line.met_at, utc("2026-06-01 10:20:00"))

    def test_pause_and_resume_move_the_deadlines(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1")
        resolution = self._line(request, "resolution")
        with freeze_time("2026-06-01 11:00:00"):
            request.stage_id = self.stage_waiting
        self.assertEqual(resolution.state, "paused")
        self.assertFalse(resolution.next_check_at, "a paused clock is not watched")
        self.assertEqual(request.sla_pause_ids.reason, "Approval")
        with freeze_time("2026-06-01 13:00:00"):
            request.stage_id = self.stage_progress
        self.assertEqual(resolution.state, "running")
        self.assertEqual(resolution.paused_hours, 2)
        self.assertEqual(resolution.original_deadline, utc("2026-06-01 18:00:00"))
        self.assertEqual(resolution.deadline, utc("2026-06-01 20:00:00"))
        self.assertEqual(request.sla_pause_ids.end_at, utc("2026-06-01 13:00:00"))
        with freeze_time("2026-06-01 19:00:00"):
            request.stage_id = self.stage_repaired
        self.assertEqual(resolution.state, "met")
        self.assertEqual(resolution.elapsed_hours, 7)

    def test_severity_upgrade_recomputes_from_the_original_start(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p3")
        resolution = self._line(request, "resolution")
        self.assertEqual(resolution.deadline, utc("2026-06-03 02:00:00"))  # 40 h round the clock
        with freeze_time("2026-06-01 12:00:00"):
            request.severity = "p1"
        self.assertEqual(resolution.target_hours, 8)
        self.assertEqual(resolution.deadline, utc("2026-06-01 18:00:00"))
        self.assertEqual(request.priority, "3")
        self.assertIn("recomputed", request.message_ids[0].body)

    def test_check_in_meets_arrival_and_refuses_remote_work(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            on_site, remote = self._request("p1", on_site=True), self._request("p1")
        with self.assertRaises(UserError):
            remote.action_check_in()
        with freeze_time("2026-06-01 13:00:00"):
            on_site.with_user(self.technician).action_check_in()
        self.assertEqual(on_site.checked_in_at, utc("2026-06-01 13:00:00"))
        self.assertEqual(on_site.checked_in_user_id, self.technician)
        self.assertEqual(self._line(on_site, "arrival").state, "met")
        with self.assertRaises(UserError):
            on_site.action_check_in()

    def test_pause_stage_needs_a_reason(self):
        with self.assertRaises(ValidationError):
            self.env["maintenance.stage"].create({"name": "On hold", "pauses_sla": True})

    def test_no_contract_no_clock(self):
        request = self._request("p1")
        self.assertFalse(request.contract_id)
        self.assertFalse(request.sla_line_ids)

    @freeze_time("2026-06-01 10:00:00")
    def test_archived_work_order_cancels_its_clocks(self):
        self._contract(self.calendar_24)
        request = self._request("p2")
        request.archive = True
        self.assertEqual(set(request.sla_line_ids.mapped("state")), {"cancelled"})
        request.write({"severity": "p1", "is_on_site": True})
        self.assertEqual(len(request.sla_line_ids), 2, "a cancelled work order gets no new clock")
        self.assertEqual(set(request.sla_line_ids.mapped("state")), {"cancelled"})

    def test_going_on_site_while_paused_adds_a_paused_arrival(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1")
        self.assertFalse(self._line(request, "arrival"))
        with freeze_time("2026-06-01 11:00:00"):
            request.stage_id = self.stage_waiting
        with freeze_time("2026-06-01 11:30:00"):
            request.is_on_site = True
        arrival = self._line(request, "arrival")
        self.assertEqual(arrival.state, "paused", "the work order is still waiting")
        self.assertEqual(arrival.start_at, utc("2026-06-01 10:00:00"))
        self.assertFalse(arrival.next_check_at)
        with freeze_time("2026-06-01 12:00:00"):
            request.stage_id = self.stage_progress
        # 4 hours from the start plus the hour spent waiting.
        self.assertEqual(arrival.deadline, utc("2026-06-01 15:00:00"))
        with freeze_time("2026-06-01 12:30:00"):
            request.is_on_site = False
        self.assertEqual(arrival.state, "cancelled")
        with freeze_time("2026-06-01 13:00:00"):
            request.is_on_site = True
        arrivals = self._line(request, "arrival")
        self.assertEqual(sorted(arrivals.mapped("state")), ["cancelled", "running"])
        running = arrivals.filtered(lambda line: line.state == "running")
        self.assertEqual(running.deadline, utc("2026-06-01 15:00:00"), "same start, same pause")

    def test_removing_the_contract_cancels_the_open_milestones(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p2")
        with freeze_time("2026-06-01 10:30:00"):
            request.stage_id = self.stage_progress
            request.contract_id = False
        self.assertEqual(self._line(request, "response").state, "met")
        self.assertEqual(self._line(request, "resolution").state, "cancelled")
        self.assertFalse(request.sla_line_ids.filtered("next_check_at"))

    def test_severity_change_after_a_pause_keeps_the_paused_time(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p3")
        with freeze_time("2026-06-01 11:00:00"):
            request.stage_id = self.stage_waiting
        with freeze_time("2026-06-01 13:00:00"):
            request.stage_id = self.stage_progress
        with freeze_time("2026-06-01 14:00:00"):
            request.severity = "p1"
        resolution = self._line(request, "resolution")
        self.assertEqual(resolution.paused_hours, 2)
        # 8 hours of the P1 target from 10:00, plus the 2 hours spent waiting.
        self.assertEqual(resolution.deadline, utc("2026-06-01 20:00:00"))
        self.assertEqual(resolution.original_deadline, utc("2026-06-01 18:00:00"))

    def test_line_given_by_its_work_order_alone_is_scheduled(self):
        request = self._request("p2")
        self.assertFalse(request.sla_line_ids)
        line = self.env["service.sla.line"].create(
            {
                "request_id": request.id,
                "severity": "p2",
                "milestone": "resolution",
                "calendar_id": self.calendar_24.id,
                "target_hours": 24,
                "start_at": "2026-06-01 10:00:00",
            }
        )
        self.assertEqual((line.res_model, line.res_id), ("maintenance.request", request.id))
        self.assertEqual(line.company_id, self.company)
        self.assertEqual(line.deadline, utc("2026-06-02 10:00:00"))
        self.assertEqual(line.warning_at, utc("2026-06-02 04:00:00"))
        self.assertEqual(line.next_check_at, line.warning_at)
        self.assertEqual(request.sla_line_ids, line)
        self.assertEqual(request.sla_status, "running")
        # From the SLA analysis, a technician opens the work order behind the line.
        as_technician = line.with_user(self.technician)
        self.assertEqual(as_technician.document_name, request.display_name)
        self.assertEqual(as_technician.action_open_document()["res_id"], request.id)
        request.unlink()
        self.assertFalse(line.exists(), "the clock goes with its work order")

    @freeze_time("2026-06-01 10:00:00")
    def test_a_calendar_clocks_counted_in_is_not_deleted(self):
        contract = self._contract(self.berlin)
        request = self._request("p2")
        self.assertTrue(request.sla_line_ids, "the clock counts in the Berlin calendar")
        with self.assertRaises(UserError):
            self.berlin.unlink()
        contract.action_terminate()
        contract.resource_calendar_id = self.calendar_24
        with self.assertRaises(UserError):
            self.berlin.unlink()  # the work order's lines were counted in it
        self.berlin.active = False

    def test_created_in_a_flagged_stage(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            waiting = self._request("p2", stage_id=self.stage_waiting.id)
            started = self._request("p2", stage_id=self.stage_progress.id)
            done = self._request("p2", stage_id=self.stage_repaired.id)
        self.assertEqual(waiting.sla_status, "paused")
        self.assertEqual(waiting.sla_pause_ids.reason, "Approval")
        self.assertEqual(self._line(started, "response").state, "met")
        self.assertEqual(self._line(started, "resolution").state, "running")
        self.assertEqual(set(done.sla_line_ids.mapped("state")), {"met"})
