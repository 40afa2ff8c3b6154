"""The technician's visit: depart, check in (with the phone's position when it allows),
finish the work; travel and work time; helpers, escalation to another team and a fault
resolved remotely. Same model as maintenance_request.py."""

from urllib.parse import quote_plus

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools.groups import USER


def _hours_between(start, stop):
    """Hours from ``start`` to ``stop``, when both are known and in that order."""
    if not start or not stop or stop < start:
        return 0.0
    return (stop - start).total_seconds() / 3600


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    departed_at = fields.Datetime(string="Departed", readonly=True, copy=False)
    checked_in_at = fields.Datetime(string="Checked In", readonly=True, copy=False)
    checked_in_user_id = fields.Many2one(
        "res.users", string="Checked In By", readonly=True, copy=False
    )
    check_in_latitude = fields.Float(digits=(10, 7), readonly=True, copy=False)
    check_in_longitude = fields.Float(digits=(10, 7), readonly=True, copy=False)
    work_done_at = fields.Datetime(string="Work Finished", readonly=True, copy=False)
    travel_hours = fields.Float(
        string="Travel Time",
        compute="_compute_visit_hours",
        store=True,
        help="From departure to check-in (none when the technician checked in without "
        "departing first).",
    )
    work_hours = fields.Float(
        string="Work Time",
        compute="_compute_visit_hours",
        store=True,
        help="From check-in to the end of the work on site.",
    )
    resolved_remotely = fields.Boolean(
        copy=False,
        tracking=True,
        help="Resolved without a visit: the on-site arrival target no longer applies and is "
        "never charged.",
    )
    helper_user_ids = fields.Many2many(
        "res.users",
        "maintenance_request_helper_rel",
        "request_id",
        "user_id",
        string="Helpers",
        domain="[('share', '=', False)]",
        help="Other technicians working on it (a second opinion): they see it in their queue.",
    )
    # Escalated to another team: that team's technicians serve it, whatever the region.
    is_escalated = fields.Boolean(readonly=True, copy=False)
    site_address = fields.Char(compute="_compute_site_address")
    site_map_url = fields.Char(string="Map", compute="_compute_site_address")

    @api.depends("departed_at", "checked_in_at", "work_done_at")
    def _compute_visit_hours(self):
        for request in self:
            request.travel_hours = _hours_between(request.departed_at, request.checked_in_at)
            request.work_hours = _hours_between(request.checked_in_at, request.work_done_at)

    @api.depends("equipment_id.site_id", "customer_id")
    def _compute_site_address(self):
        # sudo: the address of the site the work order is about, for whoever reads the work
        # order (the device itself may be out of their reach).
        for request in self:
            site = request.sudo().equipment_id.site_id or request.sudo().customer_id
            address = site._display_address(without_company=True) if site else ""
            address = ", ".join(line.strip() for line in address.splitlines() if line.strip())
            request.site_address = address
            request.site_map_url = (
                f"https://www.google.com/maps/search/?api=1&query={quote_plus(address)}"
                if address
                else False
            )

    # ------------------------------------------------------------------ actions
    def action_depart(self):
        """The technician leaves for the site: travel time starts."""
        self._check_visit_actor(_("depart"))
        for request in self:
            request._check_open()
            if request.departed_at:
                raise UserError(
                    _("You already departed for %(name)s.", name=request.reference or request.name)
                )
            if request.checked_in_at:
                raise UserError(
                    _(
                        "%(name)s is already checked in: there is no departure to record.",
                        name=request.reference or request.name,
                    )
                )
        self.write({"departed_at": fields.Datetime.now()})
        return True

    def action_check_in(self, latitude=None, longitude=None):
        """The technician arrived on site: meets the arrival target. ``latitude`` and
        ``longitude``: where the phone says they are, when it allows (the check-in button
        asks the browser)."""
        self._check_visit_actor(_("check in"))
        for request in self:
            request._check_open()
        return self._check_in(fields.Datetime.now(), latitude=latitude, longitude=longitude)

    def _check_in(self, when, latitude=None, longitude=None):
        """Check in at ``when``: now from the button, a past instant for a visit recorded
        after the fact."""
        for request in self:
            if not request.is_on_site or request.resolved_remotely:
                raise UserError(
                    _(
                        "Work order %(name)s is handled remotely: there is no on-site arrival "
                        "to check in.",
                        name=request.name,
                    )
                )
            if request.checked_in_at:
                raise UserError(_("Work order %(name)s is already checked in.", name=request.name))
        vals = {"checked_in_at": when, "checked_in_user_id": self.env.user.id}
        if latitude is not None and longitude is not None:
            vals.update(check_in_latitude=float(latitude), check_in_longitude=float(longitude))
        self.write(vals)
        # Being on site is responding, as the trade counts it: a response still awaited is
        # met at the check-in, so its clock can never run out (and be charged) while the
        # technician stands at the device.
        self._sla_meet("response", when)
        self._sla_meet("arrival", when)
        for request in self:
            request.message_post(
                body=_("%(user)s checked in on site.", user=self.env.user.name),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_finish_work(self):
        """The work on site is done: work time stops (the customer signs next)."""
        self._check_visit_actor(_("finish the work"))
        for request in self:
            request._check_open()
            if not request.checked_in_at:
                raise UserError(
                    _(
                        "Check in on site before finishing the work on %(name)s.",
                        name=request.reference or request.name,
                    )
                )
            if request.work_done_at:
                raise UserError(
                    _(
                        "The work on %(name)s is already finished.",
                        name=request.reference or request.name,
                    )
                )
        self.write({"work_done_at": fields.Datetime.now()})
        return True

    def action_resolve_remotely(self):
        """Resolved without a visit: the arrival target no longer applies (never charged)
        and the work order moves to the first resolved stage."""
        self._check_visit_actor(_("resolve it remotely"))
        stage = self.env["maintenance.stage"].search([("is_resolved", "=", True)], limit=1)
        if not stage:
            raise UserError(_("No work order stage is marked Resolved: ask a manager to mark one."))
        for request in self:
            request._check_open()
            if request.checked_in_at:
                raise UserError(
                    _(
                        "%(name)s was visited (checked in): it was not resolved remotely.",
                        name=request.reference or request.name,
                    )
                )
        self.write({"resolved_remotely": True})
        self.write({"stage_id": stage.id})
        return True

    def action_escalate(self):
        """Open the escalation: another team, with a reason."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Escalate %(name)s", name=self.reference or self.name),
            "res_model": "maintenance.request.escalate",
            "view_mode": "form",
            "target": "new",
            "context": {"default_request_id": self.id},
        }

    def _escalate(self, team, reason):
        """Move the work order to ``team`` with ``reason``, every SLA clock kept: its
        technician stays on as a helper, the new team's rule (or desk) assigns it."""
        self.ensure_one()
        self._check_open()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Say why the work order is escalated."))
        if team == self.maintenance_team_id:
            raise UserError(
                _("%(name)s is already with team %(team)s.", name=self.name, team=team.name)
            )
        former = self.maintenance_team_id
        vals = {"maintenance_team_id": team.id, "is_escalated": True, "user_id": False}
        if self.user_id:
            vals["helper_user_ids"] = [fields.Command.link(self.user_id.id)]
        self.write(vals)
        self.message_post(
            body=_(
                "Escalated from %(former)s to %(team)s: %(reason)s",
                former=former.name or _("no team"),
                team=team.name,
                reason=reason,
            ),
            subtype_xmlid="mail.mt_note",
        )
        if team.auto_dispatch:
            self._dispatch()
        return True

    # ------------------------------------------------------------------ checks
    def _check_open(self):
        self.ensure_one()
        if self.is_closed:
            raise UserError(
                _("%(name)s is closed: reopen it first.", name=self.reference or self.name)
            )

    def _check_visit_actor(self, what):
        """A technician acts on their own work orders, those they help on and their team's
        when they manage it; the service desk (and managers) on any."""
        user = self.env.user
        if self.env.su or user.has_group(USER):
            return
        # sudo: to name whose work order it is, also to a technician who may not read it.
        for request in self.sudo():
            if user not in (
                request.user_id | request.helper_user_ids | request.maintenance_team_id.manager_id
            ):
                raise UserError(
                    _(
                        "You cannot %(what)s on %(name)s: it is assigned to %(technician)s. "
                        "Ask them or the service desk to add you as a helper.",
                        what=what,
                        name=request.reference or request.name,
                        technician=request.user_id.name or _("nobody"),
                    )
                )
