from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .test_work_order_parts import WorkOrderPartsCase


@freeze_time("2026-01-15 08:00:00")
@tagged("post_install", "-at_install")
class TestPartApproval(WorkOrderPartsCase):
    """On a team that approves parts: a chargeable part above the limit, or not at a price
    the contract locks, waits for the team manager; only approved parts are consumed; the
    time to decide is kept."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_lead = new_test_user(
            cls.env,
            login="bds_team_lead",
            name="Team Lead",
            groups="base.group_user,barcode_device_service.group_device_service_technician",
            company_id=cls.company_a.id,
            company_ids=[Command.set(cls.company_a.ids)],
        )
        cls.team.write(
            {"approve_parts": True, "part_approval_limit": 850.0, "manager_id": cls.team_lead.id}
        )

    def test_above_the_limit_or_not_locked_waits_for_the_team_manager(self):
        request = self._work_order()
        # Print head: locked at 900 (above 850); roller: 2 × 200 at no locked price.
        head, roller = self._parts(request, [(self.print_head, 1, None), (self.roller, 2, None)])
        self.assertEqual((head.state, roller.state), ("to_approve", "to_approve"))
        activity = request.activity_ids.filtered(lambda a: a.summary == "Approve parts")
        self.assertEqual(activity.user_id, self.team_lead)
        # Under the limit and locked: no approval.
        self.team.part_approval_limit = 1000.0
        cheap = self._parts(request, [(self.print_head, 1, None)])
        self.assertEqual(cheap.state, "draft")
        # A team that does not approve parts: as before.
        self.team.approve_parts = False
        free = self._parts(request, [(self.roller, 1, None)])
        self.assertEqual(free.state, "draft")

    def test_only_approved_parts_are_consumed_and_the_time_is_kept(self):
        request = self._work_order()
        head = self._parts(request, [(self.print_head, 1, None)])
        with self.assertRaisesRegex(UserError, "is not approved"):
            head.with_user(self.technician).action_consume()
        with self.assertRaises(AccessError):
            head.with_user(self.technician).action_approve()
        with freeze_time("2026-01-15 09:30:00"):
            request.with_user(self.team_lead).action_approve_parts()
        self.assertEqual(head.state, "draft")
        self.assertEqual(head.approved_by_id, self.team_lead)
        self.assertEqual(head.approval_hours, 1.5)
        self.assertFalse(request.activity_ids.filtered(lambda a: a.summary == "Approve parts"))
        head.with_user(self.technician).action_consume()
        self.assertEqual(head.state, "consumed")

    def test_refused_with_a_reason(self):
        request = self._work_order()
        roller = self._parts(request, [(self.roller, 1, None)])
        wizard = (
            self.env["maintenance.request.part.refuse"]
            .with_user(self.team_lead)
            .create({"part_ids": [Command.set(roller.ids)], "reason": "  "})
        )
        with self.assertRaisesRegex(UserError, "Say why"):
            wizard.action_apply()
        wizard.reason = "Replace the printer instead"
        wizard.action_apply()
        self.assertEqual(
            (roller.state, roller.refusal_reason), ("refused", "Replace the printer instead")
        )
        with self.assertRaisesRegex(UserError, "is not approved"):
            request.with_user(self.technician).part_ids.action_consume()
        with self.assertRaisesRegex(UserError, "no approved parts"):
            request.with_user(self.technician).action_consume_parts()

    def test_changing_an_approved_part_asks_again(self):
        self.team.part_approval_limit = 1000.0
        request = self._work_order()
        head = self._parts(request, [(self.print_head, 1, None)])
        self.assertEqual(head.state, "draft")
        head.with_user(self.technician).quantity = 2
        self.assertEqual(head.state, "to_approve", "1,800 is above the limit")
