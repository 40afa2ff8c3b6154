from freezegun import freeze_time

from odoo.tests import tagged

from .test_sla_clock import SlaCase, utc


@tagged("post_install", "-at_install")
class TestSlaDetection(SlaCase):
    """The detection job: warnings, breaches, re-runs and interruptions."""

    def _breach_posts(self, request):
        # The breach notes, not the "at risk" to-dos marked done with the breach as feedback.
        return request.message_ids.filtered(
            lambda m: "SLA breached" in (m.body or "") and not m.mail_activity_type_id
        )

    def _run_job(self, when, **kwargs):
        with freeze_time(when):
            self.env["service.sla.line"]._cron_check_sla(**kwargs)

    def test_warning_then_breach_once(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1")
        response = self._line(request, "response")
        # 75 % of 30 minutes: 10:22:30.
        self.assertEqual(response.next_check_at, utc("2026-06-01 10:22:30"))
        self._run_job("2026-06-01 10:22:00")
        self.assertEqual(response.state, "running")
        self._run_job("2026-06-01 10:23:00")
        self.assertEqual(response.state, "warning")
        self.assertEqual(request.sla_status, "warning")
        activities = request.activity_ids
        self.assertEqual(activities.user_id, self.technician | self.manager)
        self._run_job("2026-06-01 10:24:00")
        self.assertEqual(request.activity_ids, activities, "no second warning")
        self._run_job("2026-06-01 10:31:00")
        self.assertEqual(response.state, "breached")
        self.assertEqual(response.breached_at, utc("2026-06-01 10:30:00"))
        self.assertEqual(request.sla_status, "breached")
        self.assertEqual(len(self._breach_posts(request)), 1)
        self.assertIn(self.manager.partner_id, self._breach_posts(request).partner_ids)
        # The "at risk" to-dos turned into the breach: done, with the breach as feedback.
        self.assertFalse(request.activity_ids)
        done = request.message_ids.filtered(lambda m: m.mail_activity_type_id.name == "SLA at Risk")
        self.assertEqual(len(done), len(activities))
        self.assertIn("SLA breached", done[0].body)
        self._run_job("2026-06-01 12:00:00")
        self.assertEqual(len(self._breach_posts(request)), 1, "a re-run posts nothing new")
        # Answering late keeps the breach and records the lateness.
        with freeze_time("2026-06-01 11:30:00"):
            request.stage_id = self.stage_progress
        self.assertEqual(response.state, "met_late")
        self.assertEqual(response.late_hours, 1)
        self.assertEqual(response.breached_at, utc("2026-06-01 10:30:00"))

    def test_interrupted_run_resumes_without_duplicates(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            requests = self._request("p1") | self._request("p1") | self._request("p1")
        due = requests.sla_line_ids.filtered(lambda line: line.milestone == "response")
        # The first run dies after its first batch (one line processed, committed).
        with freeze_time("2026-06-01 11:00:00"):
            due[:1]._check_due(utc("2026-06-01 11:00:00"))
        self._run_job("2026-06-01 11:00:00", batch_size=1)
        self._run_job("2026-06-01 11:00:00", batch_size=1)
        self.assertEqual(set(due.mapped("state")), {"breached"})
        for request in requests:
            self.assertEqual(len(self._breach_posts(request)), 1)

    def test_paused_and_met_lines_are_not_watched(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            paused, met = self._request("p1"), self._request("p1")
        with freeze_time("2026-06-01 10:05:00"):
            paused.stage_id = self.stage_waiting
            met.stage_id = self.stage_repaired
        self._run_job("2026-06-02 10:00:00")
        self.assertEqual(set(paused.sla_line_ids.mapped("state")), {"paused"})
        self.assertEqual(set(met.sla_line_ids.mapped("state")), {"met"})
        self.assertEqual(paused.sla_status, "paused")

    def test_job_schedules_itself_for_the_next_due_time(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            self._request("p2")
        cron = self.env.ref("barcode_device_service.ir_cron_sla_check")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self._run_job("2026-06-01 10:00:30")
        new = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers
        self.assertTrue(new)
        # P2 response target 2 h, warned at 75 %: 11:30.
        self.assertIn(utc("2026-06-01 11:30:00"), new.mapped("call_at"))

    def test_one_post_and_one_activity_per_work_order_and_run(self):
        contract = self._contract(self.calendar_24)
        contract.sla_ids.filtered(lambda sla: sla.severity == "p2").write(
            {"response_hours": 4, "arrival_hours": 4}
        )
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p2", on_site=True)
        # Response and arrival reach 75 % of 4 hours together at 13:00.
        self._run_job("2026-06-01 13:10:00")
        activities = request.activity_ids
        self.assertEqual(activities.user_id, self.technician | self.manager)
        for activity in activities:
            self.assertIn("Response", activity.summary)
            self.assertIn("On-site Arrival", activity.summary)
        # Both pass their deadline at 14:00: one post names both.
        self._run_job("2026-06-01 14:10:00")
        post = self._breach_posts(request)
        self.assertEqual(len(post), 1, post.mapped("body"))
        self.assertIn("Response", post.body)
        self.assertIn("On-site Arrival", post.body)
        self.assertFalse(request.activity_ids, "no new activity for a breach")
        self.assertFalse(activities.exists(), "the warnings are done once breached")

    def test_analysis_counts_breaches_as_missed_and_averages_met_times(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            on_time, missed = self._request("p1"), self._request("p1")
        with freeze_time("2026-06-01 10:20:00"):
            on_time.stage_id = self.stage_progress
        self._run_job("2026-06-01 11:00:00")
        lines = (on_time | missed).sla_line_ids.filtered(lambda line: line.milestone == "response")
        self.assertEqual(set(lines.mapped("state")), {"met", "breached"})
        [(share, elapsed)] = self.env["service.sla.line"]._read_group(
            [("id", "in", lines.ids)], aggregates=["met_on_time:avg", "elapsed_hours:avg"]
        )
        self.assertEqual(share, 50.0, "a breach not yet answered is a miss")
        self.assertAlmostEqual(elapsed, 1 / 3, msg="only answered milestones are averaged")

    def test_only_a_running_clock_breaches(self):
        """Lines in any other state given to the job (a manager may write a line's next
        check) are left as they are, and leave the job's queue."""
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            met, paused = self._request("p1"), self._request("p1")
        with freeze_time("2026-06-01 10:05:00"):
            met.stage_id = self.stage_repaired
            paused.stage_id = self.stage_waiting
        lines = (met | paused).sla_line_ids
        lines.with_user(self.manager).write({"next_check_at": "2026-06-01 10:10:00"})
        with freeze_time("2026-06-02 10:00:00"):
            lines._check_due(utc("2026-06-02 10:00:00"))
        self.assertEqual(set(met.sla_line_ids.mapped("state")), {"met"})
        self.assertEqual(set(paused.sla_line_ids.mapped("state")), {"paused"})
        self.assertFalse(any(lines.mapped("next_check_at")), "out of the job's queue")
        self.assertFalse(self._breach_posts(met) | self._breach_posts(paused))

    def test_job_always_advances(self):
        """A line the job cannot move (a met milestone given a next check in the past, its
        deadline still ahead) does not keep the batch loop turning."""
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p3")
        with freeze_time("2026-06-01 10:05:00"):
            request.stage_id = self.stage_progress
        response = self._line(request, "response")
        response.with_user(self.manager).write({"next_check_at": "2026-06-01 10:06:00"})
        self._run_job("2026-06-01 10:10:00", batch_size=1)
        self.assertEqual(response.state, "met")
        self.assertFalse(response.next_check_at)
