from freezegun import freeze_time

from odoo.tests import tagged

from ..tools import penalty
from .test_ledger import LedgerCase
from .test_sla_clock import utc


@tagged("post_install", "-at_install")
class TestSlaLateness(LedgerCase):
    """What a missed milestone costs per hour late, whatever happens to its work order.

    The invariant: each breached milestone is charged for its lateness exactly once per
    month of lateness, never after it is closed (met, or its work order resolved or
    cancelled), never for the time its clock stood paused. The hours charged for a milestone
    add up to the billable hours of its lateness, counted from its deadline to its end minus
    the pauses in between.
    """

    def _per_hour_contract(self, milestone):
        return self._ruled_contract(
            [{"milestone": milestone, "computation": "per_hour", "amount": 100}]
        )

    def _charged_hours(self, line):
        """Hours charged for ``line``, net of cancelled and reversed entries."""
        entries = self.Entry.search([("sla_line_id", "=", line.id), ("state", "!=", "cancelled")])
        reversed_ = entries.filtered("reversal_entry_ids")
        live = entries - reversed_ - reversed_.reversal_entry_ids
        return sum(live.mapped("billed_hours"))

    def _assert_charged_once(self, line, late_hours):
        self.assertEqual(self._charged_hours(line), penalty.billable_hours(late_hours))
        periods = (
            self.Entry.search([("sla_line_id", "=", line.id), ("state", "!=", "cancelled")])
            .filtered(lambda e: not e.reversal_entry_ids and not e.reversed_entry_id)
            .mapped("period")
        )
        self.assertEqual(len(periods), len(set(periods)), "one charge per month")

    def _resolved_with_missed_arrival(self):
        """P1 on site on 1 June, arrival due at 14:00 missed, resolved remotely at 16:00:
        2 hours late, final."""
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1", on_site=True)
        self._run_job("2026-06-01 14:30:00")
        with freeze_time("2026-06-01 16:00:00"):
            request.stage_id = self.stage_repaired
        return request

    def _clock(self, request):
        return [
            (line.id, line.state, line.deadline, line.closed_at, line.is_closed)
            for line in request.sla_line_ids.sorted("id")
        ]

    # ------------------------------------------------------------------ item 1: archiving
    def test_archiving_a_resolved_work_order_charges_nothing_more(self):
        contract = self._per_hour_contract("arrival")
        request = self._resolved_with_missed_arrival()
        arrival = self._line(request, "arrival")
        june = self._entries(contract)
        self.assertEqual(june.mapped("amount"), [200.0])
        with freeze_time("2026-08-15 10:00:00"):
            request.archive_equipment_request()
        self.assertEqual(self._entries(contract), june, "no charge for July and August")
        self.assertEqual(arrival.state, "breached", "a closed milestone stays as it closed")
        self.assertEqual(arrival.closed_at, utc("2026-06-01 16:00:00"))
        self.assertEqual(arrival.penalty_amount, 200.0)
        self._close("2026-09-01 03:00:00")
        self.assertEqual(self._entries(contract), june)
        self._assert_charged_once(arrival, 2)

    def test_archiving_an_open_work_order_keeps_its_breach(self):
        """Cancelled with a milestone missed: its lateness is final then, and it stays a
        breach in the SLA figures, as when the work order is resolved without it."""
        contract = self._per_hour_contract("response")
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1")
        self._run_job("2026-06-01 11:00:00")
        with freeze_time("2026-06-01 13:00:00"):
            request.archive_equipment_request()
        response = self._line(request, "response")
        self.assertEqual(
            (response.state, response.closed_at), ("breached", utc("2026-06-01 13:00:00"))
        )
        self.assertEqual(self._line(request, "resolution").state, "cancelled")
        self.assertTrue(all(request.sla_line_ids.mapped("is_closed")))
        self._close("2026-07-01 03:00:00")
        self._assert_charged_once(response, 2.5)
        # Restored and cancelled again: the clock ended the first time.
        with freeze_time("2026-07-15 10:00:00"):
            request.reset_equipment_request()
            request.archive_equipment_request()
        self.assertEqual(response.closed_at, utc("2026-06-01 13:00:00"))
        self._assert_charged_once(response, 2.5)
        self.assertEqual(len(self._entries(contract)), 1)

    def test_scrapping_a_work_order_ends_its_clock(self):
        """Done without a solution (core's Scrap stage): closed like a resolved one, the
        missed arrival final, the resolution no longer counting."""
        contract = self._per_hour_contract("arrival")
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1", on_site=True)
        self._run_job("2026-06-01 14:30:00")
        with freeze_time("2026-06-01 16:00:00"):
            request.stage_id = self.env.ref("maintenance.stage_4")
        self.assertTrue(request.is_closed)
        arrival = self._line(request, "arrival")
        self.assertEqual(arrival.closed_at, utc("2026-06-01 16:00:00"))
        self.assertEqual(self._line(request, "resolution").state, "cancelled")
        self._close("2026-07-01 03:00:00")
        self._close("2026-08-01 03:00:00")
        self.assertEqual(self._entries(contract).mapped("amount"), [200.0])
        self._assert_charged_once(arrival, 2)

    # ------------------------------------------------------------------ item 2: editing
    def test_editing_a_resolved_work_order_keeps_its_clock(self):
        contract = self._per_hour_contract("arrival")
        request = self._resolved_with_missed_arrival()
        clock, entries = self._clock(request), self._entries(contract)
        with freeze_time("2026-06-02 09:00:00"):
            request.write({"severity": "p3"})
            request.write({"priority": "2"})  # the kanban stars
            request.write({"is_on_site": False})
            request.write({"is_on_site": True})
        self.assertEqual(self._clock(request), clock, "no milestone reopened, none added")
        self._run_job("2026-06-10 00:00:00")
        for month in ("2026-07-01", "2026-08-01", "2026-09-01"):
            self._close(f"{month} 03:00:00")
        self.assertEqual(self._entries(contract), entries)
        self._assert_charged_once(self._line(request, "arrival"), 2)

    def test_going_on_site_after_resolution_adds_no_clock(self):
        """Resolved before anyone came: the arrival no longer counts (cancelled); switching
        the work order to remote and back afterwards does not bring it back running."""
        contract = self._per_hour_contract("arrival")
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1", on_site=True)
        with freeze_time("2026-06-01 11:00:00"):
            request.stage_id = self.stage_repaired
        self.assertEqual(self._line(request, "arrival").state, "cancelled")
        clock = self._clock(request)
        with freeze_time("2026-06-02 09:00:00"):
            request.write({"severity": "p2", "is_on_site": False})
            request.write({"is_on_site": True})
        self.assertEqual(self._clock(request), clock)
        self._run_job("2026-06-10 00:00:00")
        self._close("2026-07-01 03:00:00")
        self.assertFalse(self._entries(contract))

    def test_reopened_work_order_keeps_its_closed_milestones(self):
        """Moved back to work after resolution, the work order is open again, but its clock
        ended: a check-in or a change of terms does not restart a closed milestone."""
        contract = self._per_hour_contract("arrival")
        request = self._resolved_with_missed_arrival()
        clock, entries = self._clock(request), self._entries(contract)
        with freeze_time("2026-08-15 10:00:00"):
            request.stage_id = self.stage_progress
            request.with_user(self.technician).action_check_in()
            request.severity = "p2"
        self.assertEqual(self._clock(request), clock)
        self._close("2026-09-01 03:00:00")
        self.assertEqual(self._entries(contract), entries)

    def test_editing_an_open_work_order_still_retargets(self):
        """The rule only protects what is closed: an open milestone follows its terms."""
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p3", on_site=True)
        with freeze_time("2026-06-01 10:10:00"):
            request.severity = "p1"
        self.assertEqual(self._line(request, "arrival").deadline, utc("2026-06-01 14:00:00"))

    # ------------------------------------------------------------------ item 5: pauses
    def test_paused_time_is_not_lateness(self):
        contract = self._per_hour_contract("response")
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1")
        # Due at 10:30, missed; the technician waits for the customer from 11:00 to 13:00.
        self._run_job("2026-06-01 10:45:00")
        with freeze_time("2026-06-01 11:00:00"):
            request.stage_id = self.stage_waiting
        with freeze_time("2026-06-01 13:00:00"):
            request.stage_id = self.stage_progress
        response = self._line(request, "response")
        self.assertEqual(response.state, "met_late")
        self.assertEqual(response.late_hours, 0.5, "2 h 30 late, 2 h of it paused")
        self.assertEqual(response.elapsed_hours, 1.0)
        self.assertEqual(self._entries(contract).mapped("amount"), [100.0])
        self._assert_charged_once(response, 0.5)

    def test_paused_time_is_not_charged_at_a_month_close(self):
        contract = self._per_hour_contract("resolution")
        with freeze_time("2026-05-31 10:00:00"):
            request = self._request("p1")
        # Resolution due at 18:00 on 31 May; paused from 20:00 to 02:00 on 1 June.
        self._run_job("2026-05-31 19:00:00")
        with freeze_time("2026-05-31 20:00:00"):
            request.stage_id = self.stage_waiting
        resolution = self._line(request, "resolution")
        self.assertEqual(resolution.state, "breached", "a missed milestone stays missed")
        with freeze_time("2026-05-31 23:00:00"):
            resolution.invalidate_recordset(["remaining_hours"])
            self.assertEqual(resolution.remaining_hours, -2.0, "lateness stands still")
        self._close("2026-06-01 01:00:00")
        may = self._entries(contract)
        self.assertEqual((may.period, may.billed_hours), ("2026-05", 2))
        with freeze_time("2026-06-01 02:00:00"):
            request.stage_id = self.stage_progress
        with freeze_time("2026-06-01 04:00:00"):
            request.stage_id = self.stage_repaired
        june = self._entries(contract) - may
        self.assertEqual((june.period, june.billed_hours), ("2026-06", 2))
        self._close("2026-07-01 03:00:00")
        self._assert_charged_once(resolution, 4)

    # ------------------------------------------------------------------ item 9: remaining time
    def test_lateness_keeps_growing_until_the_milestone_closes(self):
        self._contract(self.calendar_24)
        with freeze_time("2026-06-01 10:00:00"):
            request = self._request("p1", on_site=True)
        self._run_job("2026-06-01 14:30:00")
        response = self._line(request, "response")
        # Due at 10:30 on 1 June: thirty days of round-the-clock lateness by 1 July.
        with freeze_time("2026-07-01 10:30:00"):
            response.invalidate_recordset(["remaining_hours"])
            self.assertEqual(response.remaining_hours, -720.0)

    def test_lateness_of_a_closed_milestone_is_final(self):
        self._per_hour_contract("arrival")
        request = self._resolved_with_missed_arrival()
        arrival = self._line(request, "arrival")
        with freeze_time("2026-07-01 10:00:00"):
            arrival.invalidate_recordset(["remaining_hours"])
            self.assertEqual(arrival.remaining_hours, -2.0)
