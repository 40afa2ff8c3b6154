"""Dispatch: a new work order without a technician goes at once to its region's technician
with the device model's skills, at work now, with the lowest open load (tools/dispatch.py
chooses). Same model as maintenance_request.py."""

from collections import defaultdict
from datetime import timedelta

import pytz
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools.dispatch import SEVERITY_WEIGHTS, Candidate, choose, weighted_load
from ..tools.sla_time import aware_utc
from .maintenance_request import PRIORITY_SEVERITY

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
        """A work order created without a technician, on a team that dispatches, is
        assigned before it is created: the technician comes with it (followers, clock)
        instead of a second write of every new work order."""
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("user_id"):
                vals.setdefault("assigned_at", now)
        # sudo: whoever reports the fault (an employee, a portal contact) has it dispatched.
        planned = self.sudo()._dispatch_before_create(vals_list, now)
        requests = super().create(vals_list)
        reasons = {requests[index].id: reason for index, reason in planned.items() if reason}
        if reasons:
            requests.sudo().browse(list(reasons))._dispatch_log(reasons)
        nobody = [requests[index] for index, reason in planned.items() if not reason]
        if nobody:
            self.browse().concat(*nobody).sudo()._dispatch_nobody()
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
        """Assign these existing work orders by the rule (the Dispatch button, an
        escalation). A work order without a candidate stays unassigned and its team manager
        gets an activity saying why."""
        now = fields.Datetime.now()
        Request = self.sudo()
        items = [
            (
                request.id,
                request._dispatch_team(),
                request.company_id,
                request.required_skill_ids,
                request.severity,
                request.region_id,
            )
            for request in Request
        ]
        plan = self._dispatch_plan(items, now)
        assignments = defaultdict(list)
        reasons, nobody = {}, []
        for request_id, (winner, reason) in plan.items():
            if winner:
                assignments[winner.user_id].append(request_id)
                reasons[request_id] = reason
            else:
                nobody.append(request_id)
        for user_id, ids in assignments.items():
            Request.browse(ids).with_context(bds_dispatching=True).write(
                {"user_id": user_id, "assigned_at": now, "auto_assigned": True}
            )
        if reasons:
            Request.browse(list(reasons))._dispatch_log(reasons)
        if nobody:
            Request.browse(nobody)._dispatch_nobody()
        return Request.browse([i for ids in assignments.values() for i in ids])

    @api.model
    def _dispatch_before_create(self, vals_list, now):
        """Assign, in their values, the work orders about to be created without a
        technician on a team that dispatches: {index in ``vals_list``: the chatter's
        reason, or None when nobody could take it}."""
        Device = self.env["maintenance.equipment"]
        devices = Device.browse({vals.get("equipment_id") for vals in vals_list} - {None, False})
        Team = self.env["maintenance.team"]
        companies = self.env["res.company"].browse(
            {vals.get("company_id") for vals in vals_list} - {None, False}
        )
        regions = (
            self.env["service.region"]
            .search([("company_id", "in", (devices.company_id | companies | self.env.company).ids)])
            .grouped("company_id")
        )
        default_team = None
        items = []
        for index, vals in enumerate(vals_list):
            if vals.get("user_id") or vals.get("archive"):
                continue
            device = Device.browse(vals.get("equipment_id"))
            if device.technician_user_id or device.category_id.technician_user_id:
                continue  # core gives the device's own technician
            stage = self.env["maintenance.stage"].browse(vals.get("stage_id"))
            if stage.done or stage.is_resolved:
                continue
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            customer = self.env["res.partner"].browse(vals.get("customer_id")) or device.customer_id
            address = device.site_id or customer
            region = next(
                (r for r in regions.get(company, []) if r._matches(address)),
                self.env["service.region"],
            )
            team = region.team_id or Team.browse(vals.get("maintenance_team_id"))
            if not team:
                team = device.maintenance_team_id
            if not team:
                if default_team is None:
                    default_team = Team.browse(self._get_default_team_id())
                team = default_team
            if not team.auto_dispatch:
                continue
            skills = device.product_id.product_tmpl_id.service_skill_ids
            severity = vals.get("severity") or PRIORITY_SEVERITY.get(vals.get("priority")) or "p3"
            items.append((index, team, company, skills, severity, region))
        planned = {}
        for index, (winner, reason) in self._dispatch_plan(items, now).items():
            planned[index] = reason if winner else None
            if winner:
                vals_list[index].update(user_id=winner.user_id, assigned_at=now, auto_assigned=True)
        return planned

    @api.model
    def _dispatch_plan(self, items, now):
        """The rule over ``items`` ``(key, team, company, skills, severity, region)``:
        {key: (winning Candidate or None, the chatter's reason)}. A fixed number of queries
        whatever the number of technicians; each assignment counts in the next choice."""
        if not items:
            return {}
        users = self.env["maintenance.team"].sudo().concat(*{item[1] for item in items}).member_ids
        employees = self._dispatch_employees(users)
        starts = self._dispatch_starts(employees.values(), now)
        loads, today = self._dispatch_loads(users, now)
        weighted = {user_id: weighted_load(counts) for user_id, counts in loads.items()}
        # What the rule reads of each technician, read once.
        known = {
            key: (employee.user_id.id, employee.user_id.name, starts[employee.id])
            for key, employee in employees.items()
            if starts.get(employee.id)
        }
        skills_of = {key: employee.skill_ids for key, employee in employees.items()}
        plan = {}
        pools = {}
        for key, team, company, skills, severity, region in sorted(
            items, key=lambda item: (item[4], str(item[0]))
        ):
            pool_key = (team, company, skills)
            if pool_key not in pools:
                pools[pool_key] = [
                    known[(user.id, company.id)]
                    for user in team.member_ids
                    if (user.id, company.id) in known and skills <= skills_of[(user.id, company.id)]
                ]
            candidates = [
                Candidate(user_id, name, start, weighted.get(user_id, 0), today[user_id])
                for user_id, name, start in pools[pool_key]
            ]
            winner, why = choose(candidates, now)
            if not winner:
                plan[key] = (None, None)
                continue
            plan[key] = (winner, self._dispatch_reason(winner, why, region or team, skills))
            weighted[winner.user_id] = weighted.get(winner.user_id, 0) + SEVERITY_WEIGHTS.get(
                severity, 1
            )
            today[winner.user_id] += 1
        return plan

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

    def _dispatch_log(self, reasons):
        """The reasons ({work order id: text}) as internal notes in the chatter, inserted
        in one statement: a batch of new work orders would otherwise create its notes one
        ORM record at a time, which cost the batch more than choosing the technicians."""
        if not self:
            return
        self.env.flush_all()
        now, uid = self.env.cr.now(), self.env.uid
        author = self.env.user.partner_id.id
        subtype = self.env.ref("mail.mt_note").id
        rows = [
            SQL(
                "(%s, %s, %s, 'notification', %s, %s, %s, %s, %s, %s, %s, %s)",
                self._name,
                request.id,
                Markup("<p>%s</p>") % reasons[request.id],
                subtype,
                author,
                now,
                request.display_name,
                uid,
                now,
                uid,
                now,
            )
            for request in self
        ]
        self.env.cr.execute(
            SQL(
                "INSERT INTO mail_message (model, res_id, body, message_type, subtype_id, "
                "author_id, date, record_name, create_uid, create_date, write_uid, write_date) "
                "VALUES %s",
                SQL(", ").join(rows),
            )
        )
        self.invalidate_recordset(["message_ids"])

    @api.model
    def _dispatch_reason(self, winner, why, where, skills):
        """The chatter's one sentence on why ``winner`` got the work order (``where``: its
        region, else its team)."""
        whys = {
            "lowest_load": _("the lowest"),
            "fewest_today": _("the lowest, and the fewest assigned today"),
            "first_to_start": _("the first to start work"),
        }
        return _(
            "Assigned to %(user)s: %(where)s, skills %(skills)s, open load %(load)s, %(why)s.",
            user=winner.name,
            where=where.name,
            skills=", ".join(skills.mapped("name")) or _("none required"),
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
