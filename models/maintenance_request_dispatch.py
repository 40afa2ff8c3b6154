"""Dispatch: a new work order without a technician goes at once to its region's technician
with the device model's skills, at work now, with the lowest open load (tools/dispatch.py
chooses). Same model as maintenance_request.py."""

from collections import defaultdict
from datetime import timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools.dispatch import Candidate, choose, weighted_load
from ..tools.sla_time import aware_utc

# How far ahead the rule looks for the first technician to start work (a long weekend, a
# holiday): beyond it nobody is a candidate.
DISPATCH_HORIZON = timedelta(days=7)


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    region_id = fields.Many2one(
        "service.region",
        compute="_compute_region_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        help="Where the device stands: from its site's address, else the customer's.",
    )
    required_skill_ids = fields.Many2many(
        related="equipment_id.product_id.product_tmpl_id.service_skill_ids",
        string="Required Skills",
    )
    assigned_at = fields.Datetime(
        readonly=True, copy=False, help="When the current technician was assigned."
    )
    # Set by the dispatch rule only: a technician chosen by hand is never replaced by it.
    auto_assigned = fields.Boolean(string="Assigned by Dispatch", readonly=True, copy=False)

    @api.depends(
        "equipment_id.site_id.country_id",
        "equipment_id.site_id.state_id",
        "equipment_id.site_id.zip",
        "customer_id.country_id",
        "customer_id.state_id",
        "customer_id.zip",
        "company_id",
    )
    def _compute_region_id(self):
        # One search for all: an upgrade computes every existing work order at once.
        regions = (
            self.env["service.region"]
            .sudo()
            .search([("company_id", "in", self.company_id.ids)])
            .grouped("company_id")
        )
        for request in self:
            address = request.equipment_id.site_id or request.customer_id
            request.region_id = next(
                (
                    region
                    for region in regions.get(request.company_id, [])
                    if region._matches(address)
                ),
                False,
            )

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        requests = super().create(vals_list)
        now = fields.Datetime.now()
        assigned = requests.filtered("user_id")
        if assigned:
            assigned.with_context(bds_dispatching=True).write({"assigned_at": now})
        # sudo: whoever reports the fault (an employee, a portal contact) has it dispatched.
        requests.sudo().filtered(
            lambda r: not r.user_id and r._dispatch_team().auto_dispatch and not r.is_closed
        )._dispatch()
        return requests

    def write(self, vals):
        if "user_id" in vals and not self.env.context.get("bds_dispatching"):
            # Chosen by hand (or cleared): the rule keeps out of it from now on.
            vals = {**vals, "auto_assigned": False}
            if vals["user_id"]:
                vals["assigned_at"] = fields.Datetime.now()
        return super().write(vals)

    # ------------------------------------------------------------------ actions
    def action_dispatch(self):
        """The desk's Dispatch button: run the rule again on the selected open work orders
        that have no technician or one the rule chose; a technician chosen by hand stays."""
        todo = self.filtered(lambda r: not r.is_closed and (not r.user_id or r.auto_assigned))
        if not todo:
            raise UserError(
                _(
                    "Nothing to dispatch: these work orders are closed or their technician "
                    "was chosen by hand."
                )
            )
        todo.check_access("write")
        todo._dispatch()
        return True

    # ------------------------------------------------------------------ the rule
    def _dispatch_team(self):
        """The team whose technicians serve the work order: its region's, else its own
        (its own always once escalated)."""
        self.ensure_one()
        if self.is_escalated:
            return self.maintenance_team_id
        return self.region_id.team_id or self.maintenance_team_id

    def _dispatch(self):
        """Assign these work orders by the rule, in batches: a fixed number of queries
        whatever the number of technicians. A work order without a candidate stays
        unassigned and its team manager gets an activity saying why."""
        now = fields.Datetime.now()
        groups = defaultdict(lambda: self.browse())
        for request in self:
            key = (request._dispatch_team(), request.company_id, request.required_skill_ids)
            groups[key] |= request
        # sudo: the rule reads the technicians' employees, skills, calendars and loads,
        # which the desk may not read itself; it assigns only these work orders.
        Request = self.sudo()
        users = self.env["res.users"].sudo().concat(*(team.member_ids for team, _c, _s in groups))
        employees = self._dispatch_employees(users)
        starts = self._dispatch_starts(employees.values(), now)
        loads, today = self._dispatch_loads(users, now)
        assignments = defaultdict(lambda: Request.browse())
        reasons, unassigned = {}, []
        for (team, company, skills), requests in groups.items():
            pool = [
                employees[(user.id, company.id)]
                for user in team.member_ids
                if (user.id, company.id) in employees
                and skills <= employees[(user.id, company.id)].sudo().skill_ids
                and starts.get(employees[(user.id, company.id)].id)
            ]
            for request in requests.sorted(lambda r: (r.severity, r.id)):
                candidates = [
                    Candidate(
                        user_id=employee.user_id.id,
                        name=employee.user_id.name,
                        starts_at=starts[employee.id],
                        load=weighted_load(loads[employee.user_id.id]),
                        assigned_today=today[employee.user_id.id],
                    )
                    for employee in pool
                ]
                winner, why = choose(candidates, now)
                if not winner:
                    unassigned.append(request)
                    continue
                assignments[winner.user_id] |= request
                reasons[request.id] = request._dispatch_reason(winner, why)
                loads[winner.user_id][request.severity] += 1
                today[winner.user_id] += 1
        for user_id, requests in assignments.items():
            requests.with_context(bds_dispatching=True).write(
                {"user_id": user_id, "assigned_at": now, "auto_assigned": True}
            )
        if reasons:
            Request.browse(list(reasons))._message_log_batch(bodies=reasons)
        if unassigned:
            Request.browse().concat(*unassigned)._dispatch_nobody()
        return Request.browse().concat(*assignments.values())

    @api.model
    def _dispatch_employees(self, users):
        """{(user id, company id): employee} of ``users``, one search."""
        employees = (
            self.env["hr.employee"]
            .sudo()
            .search([("user_id", "in", users.ids)])
            .with_context(prefetch_fields=False)
        )
        employees.fetch(["user_id", "company_id", "resource_id", "resource_calendar_id"])
        return {(employee.user_id.id, employee.company_id.id): employee for employee in employees}

    @api.model
    def _dispatch_starts(self, employees, now):
        """{employee id: when they are at work from} (``now`` when at work now, the start of
        their next working interval otherwise, not in ``DISPATCH_HORIZON``: missing), their
        own calendar's hours less their leaves, one fetch per calendar."""
        start = aware_utc(now)
        stop = start + DISPATCH_HORIZON
        result = {}
        by_calendar = defaultdict(list)
        for employee in employees:
            by_calendar[employee.resource_calendar_id].append(employee)
        for calendar, group in by_calendar.items():
            if not calendar:
                # Flexible hours: at work whenever asked.
                result.update(dict.fromkeys((e.id for e in group), now))
                continue
            resources = self.env["resource.resource"].concat(*(e.resource_id for e in group))
            intervals = calendar._work_intervals_batch(start, stop, resources=resources)
            for employee in group:
                first = next(iter(intervals[employee.resource_id.id]), None)
                if first:
                    begin = first[0].astimezone(pytz.utc).replace(tzinfo=None)
                    result[employee.id] = max(begin, now)
        return result

    @api.model
    def _dispatch_loads(self, users, now):
        """Open work orders per technician and severity, and work orders assigned to each
        since midnight (UTC): two grouped reads."""
        Request = self.sudo().with_context(active_test=False)
        loads = defaultdict(lambda: defaultdict(int))
        for user, severity, count in Request._read_group(
            [("user_id", "in", users.ids), ("is_closed", "=", False)],
            ["user_id", "severity"],
            ["__count"],
        ):
            loads[user.id][severity] = count
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        today = defaultdict(int)
        for user, count in Request._read_group(
            [("user_id", "in", users.ids), ("assigned_at", ">=", midnight)],
            ["user_id"],
            ["__count"],
        ):
            today[user.id] = count
        return loads, today

    def _dispatch_reason(self, winner, why):
        """The chatter's one sentence on why ``winner`` got the work order."""
        self.ensure_one()
        whys = {
            "lowest_load": _("the lowest"),
            "fewest_today": _("the lowest, and the fewest assigned today"),
            "first_to_start": _("the first to start work"),
        }
        return _(
            "Assigned to %(user)s: %(where)s, skills %(skills)s, open load %(load)s, %(why)s.",
            user=winner.name,
            where=self.region_id.name or self._dispatch_team().name,
            skills=", ".join(self.required_skill_ids.mapped("name")) or _("none required"),
            load=winner.load,
            why=whys[why],
        )

    def _dispatch_nobody(self):
        """No candidate: the work orders stay unassigned; their team manager is told why."""
        for request in self:
            team = request._dispatch_team()
            skills = ", ".join(request.required_skill_ids.mapped("name"))
            where = request.region_id.name or team.name or _("no team")
            note = (
                _(
                    "No technician with skill %(skills)s in %(where)s is at work within a week: "
                    "assign %(request)s by hand.",
                    skills=skills,
                    where=where,
                    request=request.reference or request.name,
                )
                if skills
                else _(
                    "No technician of %(where)s is at work within a week: assign %(request)s "
                    "by hand.",
                    where=where,
                    request=request.reference or request.name,
                )
            )
            manager = team.manager_id or request.maintenance_team_id.manager_id
            if manager:
                request.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=_("Dispatch by hand"),
                    note=note,
                    user_id=manager.id,
                )
            request.message_post(body=note, subtype_xmlid="mail.mt_note")
